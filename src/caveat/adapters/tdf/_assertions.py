"""Assertions and their bindings (spec ``schema/OpenTDF/assertion*.md``).

An assertion's hash is SHA-256 over the RFC 8785 canonical JSON of the assertion
without its ``binding`` (platform ``sdk/assertion.go`` ``GetHash``; java-sdk
``Manifest.Assertion.hash``). Its binding is a compact JWS whose claims are
``assertionHash`` (that hash, lowercase hex) and ``assertionSig`` (base64 of the segment
hashes' raw bytes in order followed by the raw assertion hash), so an assertion is bound
both to its own content and to this payload (platform ``sdk/tdf.go``
``CreateTDFContext`` and ``Reader.buildKey``, for a manifest that names its
``schemaVersion``). The JWS is ``Ed25519`` (RFC 9864) under the releasing node's key,
or, without one, ``HS256`` under the payload key as the reference SDKs do by default.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from caveat.adapters.tdf import _jws
from caveat.adapters.tdf._encoding import b64encode, canonical_json, parse_json
from caveat.adapters.tdf._errors import TdfTampered, TdfUntrustedSigner

BINDING_METHOD = "jws"  # the spec's spelling; java-sdk writes "JWS"
TYPES = frozenset({"handling", "other"})
SCOPES = frozenset({"tdo", "payload"})
STATES = frozenset({"encrypted", "unencrypted"})


@dataclass(frozen=True, slots=True)
class Statement:
    """What an assertion says: ``value`` in ``format`` (a JSON object for
    ``json-structured``, else a string), optionally naming its ``schema``."""

    format: str
    value: dict[str, Any] | str
    schema: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The manifest's form."""
        body: dict[str, Any] = {"format": self.format, "value": self.value}
        if self.schema is not None:
            body["schema"] = self.schema
        return body


@dataclass(frozen=True, slots=True)
class Assertion:
    """An assertion to bind into a package (spec ``assertion.md``)."""

    id: str
    type: str
    scope: str
    statement: Statement
    applies_to_state: str = "encrypted"

    def to_json(self) -> dict[str, Any]:
        """The manifest's form, without the binding."""
        return {
            "id": self.id,
            "type": self.type,
            "scope": self.scope,
            "appliesToState": self.applies_to_state,
            "statement": self.statement.to_json(),
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Assertion:
        """From a manifest's (already profile-checked) assertion object."""
        statement = raw["statement"]
        return cls(
            id=raw["id"],
            type=raw["type"],
            scope=raw["scope"],
            applies_to_state=raw["appliesToState"],
            statement=Statement(
                format=statement["format"],
                value=statement["value"],
                schema=statement.get("schema"),
            ),
        )


@dataclass(frozen=True, slots=True)
class VerifiedAssertion:
    """An assertion whose binding verified: ``signer`` is the trusted Ed25519 key that
    signed it, or None when it is bound with the payload key (``HS256``)."""

    assertion: Assertion
    signer: Ed25519PublicKey | None


def assertion_hash(assertion: dict[str, Any]) -> bytes:
    """SHA-256 of the canonical JSON of ``assertion`` without its binding."""
    body = {name: value for name, value in assertion.items() if name != "binding"}
    return hashlib.sha256(canonical_json(body)).digest()


def _claims(digest: bytes, aggregate: bytes) -> dict[str, str]:
    return {"assertionHash": digest.hex(), "assertionSig": b64encode(aggregate + digest)}


def bind(
    assertion: dict[str, Any], aggregate: bytes, key: Ed25519PrivateKey | bytes
) -> dict[str, str]:
    """The binding of ``assertion`` to the payload whose segment hashes, concatenated,
    are ``aggregate``: Ed25519 with a node key, or HS256 with the payload key."""
    alg = _jws.ED25519 if isinstance(key, Ed25519PrivateKey) else _jws.HS256
    header = {"alg": alg, "typ": "JWT"}
    token = _jws.sign(header, canonical_json(_claims(assertion_hash(assertion), aggregate)), key)
    return {"method": BINDING_METHOD, "signature": token}


def verify_binding(
    assertion: dict[str, Any],
    aggregate: bytes,
    *,
    trusted_keys: Sequence[Ed25519PublicKey],
    payload_key: bytes,
    digest: bytes | None = None,
) -> Ed25519PublicKey | None:
    """Check an assertion's binding; the signer's key, or None for an HS256 binding.

    With trusted keys, only an Ed25519 signature by one of them is accepted; without, only
    HS256 under the payload key. Raises TdfUntrustedSigner for the other algorithm and
    TdfTampered when the signature or either claim does not match. ``digest``: the
    assertion's :func:`assertion_hash`, when the reader has it already (a package's
    assertions are each canonicalised once, ``_package.inspect_package``).
    """
    where = f"assertion {assertion['id']!r}"
    token = _jws.parse(assertion["binding"]["signature"], error=TdfTampered)
    wanted = _jws.ED25519 if trusted_keys else _jws.HS256
    if token.alg != wanted:
        raise TdfUntrustedSigner(
            f"{where} is bound with {token.alg}; this reader accepts only {wanted}",
            hint="a package from a peer must be signed by the peer's federation key",
        )
    signer: Ed25519PublicKey | None = None
    if trusted_keys:
        signer = _jws.verify_ed25519(token, trusted_keys)
        if signer is None:
            raise TdfTampered(f"{where}: the binding's signature does not verify")
    elif not _jws.verify_hs256(token, payload_key):
        raise TdfTampered(f"{where}: the binding's signature does not verify")
    claims = parse_json(token.payload, f"{where}'s binding claims", error=TdfTampered)
    if digest is None:
        digest = assertion_hash(assertion)
    if claims != _claims(digest, aggregate):
        raise TdfTampered(f"{where}: the binding does not cover this assertion and payload")
    return signer
