"""RFC 9421 signatures on requests between nodes, made and checked with the
``http-message-signatures`` library (Ed25519). Which components are covered, how long a
signature lives and what a refusal means are the domain's
(:mod:`caveat.domain.federation_requests`); this module only does the arithmetic.

The library's own time checks read the wall clock; the receiving service checks the
window against the node's clock instead (tests move it), so they are switched off here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from http_message_signatures import (
    HTTPMessageSignaturesException,
    HTTPMessageSigner,
    HTTPMessageVerifier,
    HTTPSignatureKeyResolver,
    algorithms,
)
from http_sf import parse as parse_structured

from caveat.domain.federation_requests import (
    AUDIENCE_HEADER,
    COVERED,
    MAX_LIFETIME,
    NONCE,
    TAG,
    Refusal,
    content_digest,
)

MAX_SIGNATURE_HEADER = 2048  # one Ed25519 signature and its parameters fit in far less


class SignatureRefused(Exception):
    """A request's signature is missing, malformed or does not verify."""

    def __init__(self, refusal: Refusal, detail: str) -> None:
        super().__init__(detail)
        self.refusal = refusal


@dataclass(frozen=True, slots=True)
class SignatureParams:
    """The signed parameters of a request: who signed it, when, for how long, once."""

    key_id: str
    created: datetime
    expires: datetime
    nonce: str


class _Headers:
    """Header field lines in wire order (repeated names kept), as the library reads them."""

    def __init__(self, lines: Iterable[tuple[str, str]]) -> None:
        self._lines = list(lines)

    def items(self) -> Iterator[tuple[str, str]]:
        return iter(self._lines)

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._lines)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and any(n.lower() == name.lower() for n, _ in self._lines)

    def __setitem__(self, name: str, value: str) -> None:
        self._lines.append((name, value))

    def __delitem__(self, name: str) -> None:
        self._lines = [(n, v) for n, v in self._lines if n.lower() != name.lower()]


@dataclass
class _Message:
    method: str
    url: str
    headers: _Headers


class _OneKey(HTTPSignatureKeyResolver):
    """Resolves exactly one key id; any other id has no key."""

    def __init__(
        self,
        key_id: str,
        *,
        public: Ed25519PublicKey | None = None,
        private: Ed25519PrivateKey | None = None,
    ) -> None:
        self._key_id, self._public, self._private = key_id, public, private

    def resolve_public_key(self, key_id: str) -> Ed25519PublicKey | None:
        return self._public if key_id == self._key_id else None

    def resolve_private_key(self, key_id: str) -> Ed25519PrivateKey | None:
        return self._private if key_id == self._key_id else None


class _Verifier(HTTPMessageVerifier):
    """The library's verifier without its wall-clock checks (the service has a clock)."""

    def validate_created_and_expires(self, sig_input: Any, max_age: Any = None) -> None:
        return None


def sign_request(
    method: str,
    url: str,
    body: bytes,
    *,
    key_id: str,
    key: Ed25519PrivateKey,
    audience: str,
    created: datetime,
    nonce: str,
    lifetime: timedelta = MAX_LIFETIME,
) -> dict[str, str]:
    """The headers that make ``method url`` with ``body`` a signed request from
    ``key_id`` to the node ``audience``."""
    message = _Message(
        method.upper(),
        url,
        _Headers([("Content-Digest", content_digest(body)), ("Caveat-To", audience)]),
    )
    signer = HTTPMessageSigner(
        signature_algorithm=algorithms.ED25519, key_resolver=_OneKey(key_id, private=key)
    )
    signer.sign(
        message,
        key_id=key_id,
        created=created,
        expires=created + lifetime,
        nonce=nonce,
        tag=TAG,
        label="caveat",
        covered_component_ids=COVERED,
        body=body,
        use_existing_digest=True,  # the domain's digest, which the library checks again
    )
    return dict(message.headers.items())


def signature_params(headers: Iterable[tuple[str, str]]) -> SignatureParams:
    """The parameters of the one signature a request carries for this protocol, read
    before any key is known (the key id says which peer's key to check it with)."""
    fields = _fields(headers)
    raw = fields.get("signature-input")
    if raw is None or "signature" not in fields:
        raise SignatureRefused(Refusal.UNSIGNED, "no Signature-Input or Signature field")
    if len(raw) > MAX_SIGNATURE_HEADER or len(fields["signature"]) > MAX_SIGNATURE_HEADER:
        raise SignatureRefused(Refusal.MALFORMED, "signature fields too long")
    try:
        members: Any = parse_structured(
            raw.encode(), tltype="dictionary", on_duplicate_key=_duplicate
        )
    except ValueError as exc:  # http_sf's StructuredFieldError, duplicates included
        raise SignatureRefused(Refusal.MALFORMED, "Signature-Input is not a dictionary") from exc
    if not isinstance(members, dict) or len(members) != 1:
        raise SignatureRefused(Refusal.MALFORMED, "exactly one signature is expected")
    (_, (_, params)) = next(iter(members.items()))
    key_id, created, expires, nonce = (
        params.get(p) for p in ("keyid", "created", "expires", "nonce")
    )
    if params.get("tag") != TAG or params.get("alg") != "ed25519":
        raise SignatureRefused(Refusal.MALFORMED, "not a caveat-federation/1 Ed25519 signature")
    if not isinstance(key_id, str) or not (0 < len(key_id) <= 64):
        raise SignatureRefused(Refusal.MALFORMED, "keyid missing")
    if not (isinstance(created, int) and isinstance(expires, int)):
        raise SignatureRefused(Refusal.MALFORMED, "created and expires are required")
    if not (isinstance(nonce, str) and NONCE.fullmatch(nonce)):
        raise SignatureRefused(Refusal.MALFORMED, "a nonce of at least 128 bits is required")
    try:
        at, until = (datetime.fromtimestamp(t, tz=UTC) for t in (created, expires))
    except (OverflowError, OSError, ValueError) as exc:
        raise SignatureRefused(Refusal.MALFORMED, "created or expires out of range") from exc
    return SignatureParams(key_id=key_id, created=at, expires=until, nonce=nonce)


def _duplicate(name: str, context: str) -> None:
    raise ValueError(f"duplicate {context} {name!r}")


def verify_request(
    method: str,
    url: str,
    headers: Iterable[tuple[str, str]],
    *,
    key_id: str,
    key: Ed25519PublicKey,
) -> Mapping[str, str]:
    """Check the request's signature with ``key``; return the header fields it covers
    (so the caller reads ``Caveat-To`` and ``Content-Digest`` only as signed)."""
    message = _Message(method.upper(), url, _Headers(headers))
    verifier = _Verifier(
        signature_algorithm=algorithms.ED25519, key_resolver=_OneKey(key_id, public=key)
    )
    try:
        verifier.verify(message, max_age=None, expect_tag=TAG, require_components=COVERED)
    except HTTPMessageSignaturesException as exc:
        raise SignatureRefused(Refusal.BAD_SIGNATURE, str(exc)) from exc
    fields = _fields(message.headers.items())
    return {name: fields[name] for name in ("content-digest", AUDIENCE_HEADER) if name in fields}


def _fields(lines: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Header fields by lower-case name, repeated lines joined as HTTP combines them."""
    fields: dict[str, list[str]] = {}
    for name, value in lines:
        fields.setdefault(name.lower(), []).append(value.strip())
    return {name: ", ".join(values) for name, values in fields.items()}
