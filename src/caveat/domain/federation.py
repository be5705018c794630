"""Federation peers: the descriptor a node hands a partner out of band, and its
fingerprint (issue 18, ADR 0019).

A descriptor names a node (id, name, nation, organisation), where it answers and its
public keys: Ed25519 for signing federation requests, P-256 for wrapping data keys in
release packages, and the C2SP keys of its ledger's checkpoints and of its cosignatures,
so that peers witness each other's logs. Operators exchange descriptors by any channel and compare
fingerprints by another (a call, a letter) before accepting a peer: the fingerprint is
the SHA-256 of the descriptor's canonical JSON (RFC 8785), so any change to any field
changes it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import ipaddress
import json
import re
import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

import rfc8785
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_der_public_key

from caveat.domain.errors import InvalidInput
from caveat.domain.ledger import CosignatureV1Verifier, InvalidKey, verifier_from_vkey
from caveat.domain.nations import require_nation

PROTOCOL = "caveat.federation/1"
MAX_DESCRIPTOR_BYTES = 4096  # a descriptor is a few short fields and two keys
_NAME = re.compile(r"^[\w .,()'&-]{1,120}$")


class PeerStatus(StrEnum):
    """Where a peering stands."""

    PROPOSED = "proposed"  # descriptor recorded, fingerprint not yet confirmed
    ACTIVE = "active"
    ROTATING = "rotating"  # active, with new keys waiting for their fingerprint check
    REVOKED = "revoked"


@dataclass(frozen=True, slots=True)
class PeerDescriptor:
    """What a node says about itself to a partner (all public)."""

    node_id: str
    name: str
    nation: str
    organisation: str
    endpoint: str
    signing_key: str  # base64 of the raw 32-byte Ed25519 public key
    wrapping_key: str  # base64 of the DER SubjectPublicKeyInfo of a P-256 key
    log_key: str  # the verifier key of its ledger's checkpoints (C2SP note, Ed25519)
    witness_key: str  # the key its cosignatures of partners' checkpoints verify with

    def to_json(self) -> dict[str, Any]:
        """The descriptor as a JSON object (what operators exchange)."""
        return {
            "protocol": PROTOCOL,
            "node_id": self.node_id,
            "name": self.name,
            "nation": self.nation,
            "organisation": self.organisation,
            "endpoint": self.endpoint,
            "signing_key": self.signing_key,
            "wrapping_key": self.wrapping_key,
            "log_key": self.log_key,
            "witness_key": self.witness_key,
        }

    def fingerprint(self) -> str:
        """SHA-256 of the canonical JSON, as 16 groups of four hex digits."""
        digest = hashlib.sha256(rfc8785.dumps(self.to_json())).hexdigest()
        return " ".join(digest[i : i + 4] for i in range(0, 64, 4))


def normalise_fingerprint(text: str) -> str:
    """A fingerprint as typed (spaces, colons, any case) in the grouped form."""
    digits = re.sub(r"[\s:]", "", text).lower()
    if not re.fullmatch(r"[0-9a-f]{64}", digits):
        raise InvalidInput(
            "a fingerprint is 64 hexadecimal digits",
            code="invalid_fingerprint",
            field="fingerprint",
        )
    return " ".join(digits[i : i + 4] for i in range(0, 64, 4))


def parse_descriptor(data: bytes | str) -> PeerDescriptor:
    """A descriptor from its JSON text; every field checked, unknown fields refused."""
    raw = data.encode() if isinstance(data, str) else data
    if len(raw) > MAX_DESCRIPTOR_BYTES:
        raise _invalid(f"a descriptor is at most {MAX_DESCRIPTOR_BYTES} bytes", "descriptor")
    try:
        value = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise _invalid("a descriptor is a JSON object", "descriptor") from None
    if not isinstance(value, dict):
        raise _invalid("a descriptor is a JSON object", "descriptor")
    expected = set(PeerDescriptor.__slots__) | {"protocol"}
    if set(value) != expected:
        unknown = sorted(set(value) - expected)
        missing = sorted(expected - set(value))
        raise _invalid(f"descriptor fields: unknown {unknown}, missing {missing}", "descriptor")
    if not all(isinstance(v, str) for v in value.values()):
        raise _invalid("every descriptor field is a string", "descriptor")
    if value["protocol"] != PROTOCOL:
        raise _invalid(f"this node speaks {PROTOCOL}, not {value['protocol']!r}", "protocol")
    return PeerDescriptor(
        node_id=_node_id(value["node_id"]),
        name=_text(value["name"], "name"),
        nation=require_nation(value["nation"], field="nation"),
        organisation=_text(value["organisation"], "organisation"),
        endpoint=require_endpoint(value["endpoint"]),
        signing_key=_signing_key(value["signing_key"]),
        wrapping_key=_wrapping_key(value["wrapping_key"]),
        log_key=_note_key(value["log_key"], "log_key", cosigner=False),
        witness_key=_note_key(value["witness_key"], "witness_key", cosigner=True),
    )


def require_endpoint(url: str) -> str:
    """An HTTPS origin (scheme, host, optional port and path), nothing else."""
    parts = urlsplit(url)
    if (
        parts.scheme != "https"
        or not parts.hostname
        or parts.username is not None
        or parts.password is not None
        or parts.query
        or parts.fragment
        or len(url) > 300
    ):
        raise _invalid(
            "a peer's endpoint is an https:// URL without credentials, query or fragment",
            "endpoint",
        )
    host = parts.hostname.strip("[]")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return url.rstrip("/")
    if (
        address.is_link_local
        or address.is_unspecified
        or address.is_multicast
        or address in _METADATA
    ):
        # A partner must not point this node at its own infrastructure (cloud metadata,
        # link-local services, "this host").
        raise _invalid(
            "a peer's endpoint may not be a link-local, metadata or unspecified address", "endpoint"
        )
    return url.rstrip("/")


_METADATA = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)


def _node_id(text: str) -> str:
    try:
        return str(uuid.UUID(text))
    except ValueError:
        raise _invalid("node_id is a UUID", "node_id") from None


def _text(text: str, field: str) -> str:
    if not _NAME.fullmatch(text):
        raise _invalid(f"{field} is 1-120 letters, digits, spaces and .,()'&-", field)
    return text


def _key_bytes(text: str, field: str) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise _invalid(f"{field} is standard base64", field) from None
    if base64.b64encode(raw).decode() != text:
        raise _invalid(f"{field} is canonical base64", field)
    return raw


def _signing_key(text: str) -> str:
    raw = _key_bytes(text, "signing_key")
    if len(raw) != 32:
        raise _invalid("signing_key is a raw 32-byte Ed25519 public key", "signing_key")
    try:
        Ed25519PublicKey.from_public_bytes(raw)
    except ValueError:
        raise _invalid("signing_key is not an Ed25519 public key", "signing_key") from None
    return text


def _wrapping_key(text: str) -> str:
    raw = _key_bytes(text, "wrapping_key")
    try:
        key = load_der_public_key(raw)
    except ValueError:
        raise _invalid("wrapping_key is not a DER public key", "wrapping_key") from None
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise _invalid("wrapping_key is a P-256 public key", "wrapping_key")
    return text


def _note_key(text: str, field: str, *, cosigner: bool) -> str:
    """A C2SP verifier key: the log's (Ed25519, type 0x01) or a witness's (0x04)."""
    try:
        verifier = verifier_from_vkey(text)
    except (InvalidKey, InvalidInput):
        raise _invalid(f"{field} is not a C2SP verifier key", field) from None
    if isinstance(verifier, CosignatureV1Verifier) != cosigner:
        kind = "a cosignature/v1 (0x04)" if cosigner else "an Ed25519 (0x01)"
        raise _invalid(f"{field} is {kind} verifier key", field)
    return text


def _invalid(detail: str, field: str) -> InvalidInput:
    return InvalidInput(detail, code="invalid_descriptor", field=field)
