"""Caveat's profile of the ZTDF manifest: which of the spec's fields a package has, the
values the profile fixes, and how sizes must agree. A manifest is checked against the
spec's JSON schema first; this is stricter (the schema allows any extra name and leaves
most values open), so every name and value in a package is one Caveat wrote on purpose.

Values follow the reference SDKs (platform ``sdk/tdf.go``, ``sdk/manifest.go`` at
053f7e5d) where the spec leaves them open; ADR 0022 records each choice.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from caveat.adapters.tdf._assertions import BINDING_METHOD, SCOPES, STATES, TYPES
from caveat.adapters.tdf._crypto import (
    KEY_SIZE,
    SEGMENT_OVERHEAD,
    TAG_SIZE,
    WRAPPED_KEY_SIZE,
    ephemeral_pem,
    is_p256,
)
from caveat.adapters.tdf._encoding import b64decode
from caveat.adapters.tdf._errors import TdfInvalid, TdfTooLarge

SPEC_VERSION = "4.3.0"  # opentdf/spec VERSION; both reference SDKs' TDFSpecVersion
KEY_ACCESS_SCHEMA_VERSION = "1.0"  # platform sdk/tdf.go keyAccessSchemaVersion
PAYLOAD_NAME = "0.payload"  # platform sdk/internal/zipstream/zip_headers.go
MANIFEST_NAME = "0.manifest.json"
MIN_SEGMENT_SIZE = 16 * 1024  # platform sdk/tdf_config.go minSegmentSize
MAX_SEGMENT_SIZE = 4 * 1024 * 1024  # maxSegmentSize
DEFAULT_SEGMENT_SIZE = 2 * 1024 * 1024  # defaultSegmentSize
MAX_SEGMENTS = 16_384
MAX_MANIFEST_BYTES = 10 * 1024 * 1024  # platform sdk/tdf_config.go defaultMaxManifestSize
MAX_PAYLOAD_BYTES = 1024 * 1024 * 1024  # plaintext: packages are built in memory, without ZIP64
MAX_POLICY_BYTES = 64 * 1024
MAX_ASSERTIONS = 16
MANIFEST_BINDING_ID = "caveat-manifest"

_TOP = {"schemaVersion", "payload", "encryptionInformation", "assertions"}
_PAYLOAD = {"type", "url", "protocol", "isEncrypted", "mimeType", "tdf_spec_version"}
_ENCRYPTION = {"type", "keyAccess", "method", "integrityInformation", "policy"}
_KEY_ACCESS = {
    "type", "url", "protocol", "wrappedKey", "policyBinding", "kid", "schemaVersion",
    "ephemeralPublicKey",
}  # fmt: skip
_KEY_ACCESS_SPLIT = _KEY_ACCESS | {"sid"}  # the recipient's split of a split package
_KEY_ACCESS_HELD = {
    "type", "url", "protocol", "sid", "kid", "policyBinding", "schemaVersion",
}  # fmt: skip  # the originator's split: "remote", its key held by that node alone
RECIPIENT_SID, HOLDER_SID = "1", "2"  # the split ids (``sid``) of a split package
_INTEGRITY = {
    "rootSignature", "segmentHashAlg", "segmentSizeDefault", "encryptedSegmentSizeDefault",
    "segments",
}  # fmt: skip
_SEGMENT = {"hash", "segmentSize", "encryptedSegmentSize"}
_ASSERTION = {"id", "type", "scope", "appliesToState", "statement", "binding"}
_MIME = re.compile(
    r"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$"
)
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
_URL = re.compile(r"^[\x21-\x7e]{1,2048}$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True, slots=True)
class Segment:
    """One payload segment as the manifest describes it."""

    hash: bytes
    size: int
    encrypted_size: int


@dataclass(frozen=True, slots=True)
class HeldSplit:
    """The key access object of a split the originating node holds (``remote``): the
    node's key access URL, its key id and the split's policy binding."""

    kas_url: str
    kid: str
    policy_binding: str  # base64 of the hex HMAC under the held split


@dataclass(frozen=True, slots=True)
class ManifestView:
    """A manifest that passed the profile, with its values decoded."""

    mime_type: str
    kas_url: str
    kid: str
    wrapped_key: bytes
    ephemeral_key: ec.EllipticCurvePublicKey
    policy_b64: str
    policy_binding: str  # base64 of the hex HMAC, as written
    segment_size: int
    segments: tuple[Segment, ...]
    root_signature: bytes
    assertions: tuple[dict[str, Any], ...]
    held: HeldSplit | None = None  # split mode: the split the originator keeps

    @property
    def plaintext_size(self) -> int:
        """The payload's size once decrypted."""
        return sum(s.size for s in self.segments)

    @property
    def encrypted_size(self) -> int:
        """The size the ``0.payload`` entry must have."""
        return sum(s.encrypted_size for s in self.segments)


def valid_mime_type(text: object) -> bool:
    """Whether ``text`` is a bare ``type/subtype`` media type (RFC 6838 names)."""
    return isinstance(text, str) and _MIME.match(text) is not None


def valid_kas_url(text: object) -> bool:
    """Whether ``text`` can be a key access service URL: 1-2048 printable ASCII."""
    return isinstance(text, str) and _URL.match(text) is not None


def valid_assertion_id(text: object) -> bool:
    """Whether ``text`` can be an assertion id: 1-128 of letters, digits, ``._:-``."""
    return isinstance(text, str) and _ID.match(text) is not None


def _object(raw: Any, names: set[str], where: str) -> Mapping[str, Any]:
    if not isinstance(raw, dict):
        raise TdfInvalid(f"{where} must be an object")
    if set(raw) != names:
        extra, missing = sorted(set(raw) - names), sorted(names - set(raw))
        raise TdfInvalid(f"{where} has names {extra} it may not have and lacks {missing}")
    return raw


def _fixed(raw: Mapping[str, Any], name: str, value: object, where: str) -> None:
    # type() too: True == 1 in Python, and the profile means the JSON literal.
    if type(raw[name]) is not type(value) or raw[name] != value:
        raise TdfInvalid(f"{where}.{name} must be {value!r}")


def _integer(raw: Any, where: str) -> int:
    if type(raw) is not int:
        raise TdfInvalid(f"{where} must be an integer")
    return raw


def _string(raw: Any, where: str) -> str:
    if not isinstance(raw, str):
        raise TdfInvalid(f"{where} must be a string")
    return raw


def _binding_hash(kao: Mapping[str, Any], where: str) -> str:
    binding = _object(kao["policyBinding"], {"alg", "hash"}, f"{where}.policyBinding")
    _fixed(binding, "alg", "HS256", f"{where}.policyBinding")
    hex_text = b64decode(binding["hash"], f"{where}.policyBinding.hash")
    if _HEX64.match(hex_text.decode("latin-1")) is None:
        raise TdfInvalid(f"{where}.policyBinding.hash must be base64 of a hex HMAC-SHA256")
    return str(binding["hash"])


def _common(kao: Mapping[str, Any], kind: str, where: str) -> None:
    _fixed(kao, "type", kind, where)
    _fixed(kao, "protocol", "kas", where)
    _fixed(kao, "schemaVersion", KEY_ACCESS_SCHEMA_VERSION, where)
    if not valid_kas_url(kao["url"]) or not isinstance(kao["kid"], str):
        raise TdfInvalid(f"{where}.url and .kid must be strings of printable ASCII")
    _binding_hash(kao, where)


def _key_access(manifest: Mapping[str, Any]) -> tuple[Mapping[str, Any], HeldSplit | None]:
    """The recipient's key access object and, in split mode, the originator's split.

    Offline mode: one ``wrapped`` object holding the whole key. Split mode (the spec's
    key splits): the recipient's ``wrapped`` object with sid 1, then a ``remote`` object
    with sid 2 naming the originating node's key access service, whose split the package
    does not carry; the payload key is the XOR of the two."""
    objects = manifest["encryptionInformation"]["keyAccess"]
    if not isinstance(objects, list) or len(objects) not in (1, 2):
        raise TdfInvalid("a package has one key access object for its recipient, or two key splits")
    split = len(objects) == 2
    kao = _object(objects[0], _KEY_ACCESS_SPLIT if split else _KEY_ACCESS, "keyAccess[0]")
    _common(kao, "wrapped", "keyAccess[0]")
    if len(b64decode(kao["wrappedKey"], "keyAccess[0].wrappedKey")) != WRAPPED_KEY_SIZE:
        raise TdfInvalid(f"keyAccess[0].wrappedKey must be {WRAPPED_KEY_SIZE} bytes")
    if not split:
        return kao, None
    _fixed(kao, "sid", RECIPIENT_SID, "keyAccess[0]")
    held = _object(objects[1], _KEY_ACCESS_HELD, "keyAccess[1]")
    _common(held, "remote", "keyAccess[1]")
    _fixed(held, "sid", HOLDER_SID, "keyAccess[1]")
    if held["url"] == kao["url"]:
        raise TdfInvalid("the two key splits must be held by different key access services")
    return kao, HeldSplit(held["url"], held["kid"], _binding_hash(held, "keyAccess[1]"))


def ephemeral_key(text: Any) -> ec.EllipticCurvePublicKey:
    """An ephemeral P-256 public key from its canonical SPKI PEM; TdfInvalid if not."""
    pem = _string(text, "keyAccess[0].ephemeralPublicKey")
    try:
        key = load_pem_public_key(pem.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise TdfInvalid("keyAccess[0].ephemeralPublicKey is not a PEM public key") from None
    if not isinstance(key, ec.EllipticCurvePublicKey) or not is_p256(key):
        raise TdfInvalid("keyAccess[0].ephemeralPublicKey is not a P-256 key")
    if ephemeral_pem(key) != pem:
        raise TdfInvalid("keyAccess[0].ephemeralPublicKey is not in canonical SPKI PEM")
    return key


def _segments(integrity: Mapping[str, Any]) -> tuple[int, tuple[Segment, ...]]:
    default = _integer(integrity["segmentSizeDefault"], "segmentSizeDefault")
    if not MIN_SEGMENT_SIZE <= default <= MAX_SEGMENT_SIZE:
        raise TdfInvalid(
            f"segmentSizeDefault must be {MIN_SEGMENT_SIZE} to {MAX_SEGMENT_SIZE} bytes"
        )
    encrypted = _integer(integrity["encryptedSegmentSizeDefault"], "encryptedSegmentSizeDefault")
    if encrypted != default + SEGMENT_OVERHEAD:
        raise TdfInvalid("encryptedSegmentSizeDefault must be segmentSizeDefault + 28")
    raw = integrity["segments"]
    if not isinstance(raw, list) or not raw:
        raise TdfInvalid("segments must list at least one segment")
    if len(raw) > MAX_SEGMENTS:
        raise TdfTooLarge(f"a package has at most {MAX_SEGMENTS} segments")
    segments = []
    for index, item in enumerate(raw):
        where = f"segments[{index}]"
        entry = _object(item, _SEGMENT, where)
        size = _integer(entry["segmentSize"], f"{where}.segmentSize")
        if _integer(entry["encryptedSegmentSize"], where) != size + SEGMENT_OVERHEAD:
            raise TdfInvalid(f"{where}.encryptedSegmentSize must be its segmentSize + 28")
        last = index == len(raw) - 1
        if (not last and size != default) or not (0 <= size <= default):
            raise TdfInvalid(f"{where} must be segmentSizeDefault long (the last at most)")
        if last and size == 0 and len(raw) > 1:
            raise TdfInvalid("only the one segment of an empty payload may be empty")
        digest = b64decode(entry["hash"], f"{where}.hash")
        if len(digest) != TAG_SIZE:
            raise TdfInvalid(f"{where}.hash must be a {TAG_SIZE}-byte GMAC")
        segments.append(Segment(digest, size, size + SEGMENT_OVERHEAD))
    return default, tuple(segments)


def _assertions(raw: Any) -> tuple[dict[str, Any], ...]:
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_ASSERTIONS:
        raise TdfInvalid(f"assertions must list 1 to {MAX_ASSERTIONS} assertions")
    ids = []
    for index, item in enumerate(raw):
        where = f"assertions[{index}]"
        assertion = _object(item, _ASSERTION, where)
        if not valid_assertion_id(assertion["id"]):
            raise TdfInvalid(f"{where}.id is not a valid assertion id")
        for name, allowed in (("type", TYPES), ("scope", SCOPES), ("appliesToState", STATES)):
            if assertion[name] not in allowed:
                raise TdfInvalid(f"{where}.{name} must be one of {sorted(allowed)}")
        statement = assertion["statement"]
        if not isinstance(statement, dict) or not {"format", "value"} <= set(statement) <= {
            "format",
            "value",
            "schema",
        }:
            raise TdfInvalid(f"{where}.statement must have format, value and maybe schema")
        _string(statement["format"], f"{where}.statement.format")
        _string(statement.get("schema", ""), f"{where}.statement.schema")
        if not isinstance(statement["value"], dict | str):
            raise TdfInvalid(f"{where}.statement.value must be an object or a string")
        binding = _object(assertion["binding"], {"method", "signature"}, f"{where}.binding")
        _fixed(binding, "method", BINDING_METHOD, f"{where}.binding")
        _string(binding["signature"], f"{where}.binding.signature")
        ids.append(assertion["id"])
    if len(set(ids)) != len(ids):
        raise TdfInvalid("assertion ids must be unique in a package")
    if ids.count(MANIFEST_BINDING_ID) != 1 or ids[-1] != MANIFEST_BINDING_ID:
        raise TdfInvalid(f"the last assertion must be the one {MANIFEST_BINDING_ID!r}")
    return tuple(raw)


def check_profile(manifest: Any) -> ManifestView:
    """Check a (schema-valid) manifest against Caveat's profile; TdfInvalid if it is not
    one, TdfTooLarge if it lists more segments than a package may have."""
    top = _object(manifest, _TOP, "the manifest")
    _fixed(top, "schemaVersion", SPEC_VERSION, "manifest")
    payload = _object(top["payload"], _PAYLOAD, "payload")
    for name, value in (
        ("type", "reference"),
        ("url", PAYLOAD_NAME),
        ("protocol", "zip"),
        ("isEncrypted", True),
        ("tdf_spec_version", SPEC_VERSION),
    ):
        _fixed(payload, name, value, "payload")
    if not valid_mime_type(payload["mimeType"]):
        raise TdfInvalid("payload.mimeType is not a media type")
    encryption = _object(top["encryptionInformation"], _ENCRYPTION, "encryptionInformation")
    _fixed(encryption, "type", "split", "encryptionInformation")
    method = _object(encryption["method"], {"algorithm", "isStreamable", "iv"}, "method")
    _fixed(method, "algorithm", "AES-256-GCM", "method")
    _fixed(method, "isStreamable", True, "method")
    _fixed(method, "iv", "", "method")  # every segment carries its own nonce
    integrity = _object(encryption["integrityInformation"], _INTEGRITY, "integrityInformation")
    root = _object(integrity["rootSignature"], {"alg", "sig"}, "rootSignature")
    _fixed(root, "alg", "HS256", "rootSignature")
    _fixed(integrity, "segmentHashAlg", "GMAC", "integrityInformation")
    signature = b64decode(root["sig"], "rootSignature.sig")
    if len(signature) != KEY_SIZE:
        raise TdfInvalid("rootSignature.sig must be a 32-byte HMAC-SHA256")
    segment_size, segments = _segments(integrity)
    policy = encryption["policy"]
    if len(b64decode(policy, "encryptionInformation.policy")) > MAX_POLICY_BYTES:
        raise TdfTooLarge(f"a policy is at most {MAX_POLICY_BYTES} bytes")
    kao, held = _key_access(top)
    return ManifestView(
        mime_type=payload["mimeType"],
        kas_url=kao["url"],
        kid=kao["kid"],
        wrapped_key=b64decode(kao["wrappedKey"], "keyAccess[0].wrappedKey"),
        ephemeral_key=ephemeral_key(kao["ephemeralPublicKey"]),
        policy_b64=policy,
        policy_binding=kao["policyBinding"]["hash"],
        segment_size=segment_size,
        segments=segments,
        root_signature=signature,
        assertions=_assertions(top["assertions"]),
        held=held,
    )
