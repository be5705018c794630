"""Writing and reading a package: bytes and keys in, bytes out.

Reading verifies everything before any plaintext leaves: the ZIP layout, the manifest's
JSON, the spec's schema, Caveat's profile, that the package is addressed to the reader's
key and key access service, the wrapped key, the policy binding, the payload's layout,
every segment hash, the root signature, every assertion binding, the manifest binding,
and the authenticated decryption of every segment. Each failure is a TdfError with its
own code; none says more than which check failed.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from caveat.adapters.tdf._assertions import (
    SCOPES,
    STATES,
    TYPES,
    Assertion,
    Statement,
    VerifiedAssertion,
    assertion_hash,
    bind,
    verify_binding,
)
from caveat.adapters.tdf._crypto import (
    KEY_SIZE,
    SEGMENT_OVERHEAD,
    UnwrapFailed,
    hmac_sha256,
    hmac_sha256_matches,
    is_p256,
    key_id,
    new_key,
    open_sealed,
    policy_binding,
    seal,
    segment_hash,
    unwrap_key,
    wrap_key,
    xor_splits,
)
from caveat.adapters.tdf._encoding import b64decode, b64encode, canonical_json, parse_json
from caveat.adapters.tdf._errors import (
    TdfInvalid,
    TdfNotRecipient,
    TdfSplitMissing,
    TdfTampered,
    TdfTooLarge,
    TdfUntrustedSigner,
)
from caveat.adapters.tdf._policy import policy_problem
from caveat.adapters.tdf._profile import (
    DEFAULT_SEGMENT_SIZE,
    HOLDER_SID,
    KEY_ACCESS_SCHEMA_VERSION,
    MANIFEST_BINDING_ID,
    MAX_ASSERTIONS,
    MAX_MANIFEST_BYTES,
    MAX_PAYLOAD_BYTES,
    MAX_POLICY_BYTES,
    MAX_SEGMENT_SIZE,
    MAX_SEGMENTS,
    MIN_SEGMENT_SIZE,
    PAYLOAD_NAME,
    RECIPIENT_SID,
    SPEC_VERSION,
    HeldSplit,
    ManifestView,
    check_profile,
    ephemeral_key,
    valid_assertion_id,
    valid_kas_url,
    valid_mime_type,
)
from caveat.adapters.tdf._schema import validate_manifest
from caveat.adapters.tdf._zip import read_zip, write_zip
from caveat.domain.errors import InvalidInput

MANIFEST_BINDING_SCHEMA = "urn:caveat:tdf:manifest-binding:1"
DEFAULT_MIME_TYPE = "application/octet-stream"


@dataclass(frozen=True, slots=True)
class Opened:
    """A package that passed every check: its plaintext, manifest, policy and assertions
    (the last of them Caveat's manifest binding)."""

    payload: bytes
    manifest: dict[str, Any]
    policy: dict[str, Any]
    assertions: tuple[VerifiedAssertion, ...]

    @property
    def mime_type(self) -> str:
        """The payload's media type, as the (bound) manifest gives it."""
        return str(self.manifest["payload"]["mimeType"])

    def assertion(self, assertion_id: str) -> VerifiedAssertion | None:
        """The verified assertion with this id, if the package has one."""
        return next((a for a in self.assertions if a.assertion.id == assertion_id), None)


def _manifest_binding(manifest: dict[str, Any], others: Sequence[dict[str, Any]]) -> Assertion:
    """Caveat's manifest binding: an assertion over the digest of the manifest without
    its assertions, and each other assertion's id and hash in order. Bound like every
    assertion, it covers the fields the spec's bindings leave open (the key access
    object's URL and key id, the media type, the segment sizes) and the set and order of
    the assertions, so nothing in a manifest can change unnoticed."""
    return _binding_assertion(
        _rest_digest(manifest), [(a["id"], assertion_hash(a)) for a in others]
    )


def _rest_digest(manifest: dict[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of the manifest without its assertions."""
    rest = {name: value for name, value in manifest.items() if name != "assertions"}
    return hashlib.sha256(canonical_json(rest)).hexdigest()


def _binding_assertion(rest_digest: str, others: Sequence[tuple[str, bytes]]) -> Assertion:
    """The manifest binding of a manifest whose digest without its assertions is
    ``rest_digest``, over the other assertions' ids and hashes."""
    return Assertion(
        id=MANIFEST_BINDING_ID,
        type="other",
        scope="tdo",
        applies_to_state="encrypted",
        statement=Statement(
            format="json-structured",
            schema=MANIFEST_BINDING_SCHEMA,
            value={
                "digestAlgorithm": "SHA-256",
                "manifestDigest": rest_digest,
                "assertions": [
                    {"id": name, "assertionHash": digest.hex()} for name, digest in others
                ],
            },
        ),
    )


def _check_assertions(assertions: Sequence[Assertion]) -> None:
    if len(assertions) >= MAX_ASSERTIONS:
        raise InvalidInput(f"a package carries at most {MAX_ASSERTIONS - 1} assertions")
    ids = [a.id for a in assertions]
    if len(set(ids)) != len(ids) or MANIFEST_BINDING_ID in ids:
        raise InvalidInput(f"assertion ids must be unique and not {MANIFEST_BINDING_ID!r}")
    for item in assertions:
        statement = item.statement
        if (
            not valid_assertion_id(item.id)
            or item.type not in TYPES
            or item.scope not in SCOPES
            or item.applies_to_state not in STATES
            or not isinstance(statement.value, dict | str)
        ):
            raise InvalidInput(f"assertion {item.id!r} is not a valid assertion")
        try:
            canonical_json(item.to_json())
        except (TypeError, ValueError) as exc:
            raise InvalidInput(f"assertion {item.id!r} is not JSON: {exc}") from None


def _plaintext_segments(payload: bytes | Iterable[bytes], size: int) -> Iterator[bytes]:
    """The payload cut into ``size``-byte segments (the last shorter), at least one."""
    if isinstance(payload, bytes | bytearray | memoryview):
        view = memoryview(payload)
        for start in range(0, len(view), size):
            yield bytes(view[start : start + size])
        if len(view) == 0:
            yield b""
        return
    pending = bytearray()
    emitted = False
    for chunk in payload:
        pending += chunk
        while len(pending) >= size:
            yield bytes(pending[:size])
            del pending[:size]
            emitted = True
    if pending or not emitted:
        yield bytes(pending)


@dataclass(frozen=True, slots=True)
class SplitPackage:
    """A split-mode package and the split its originator keeps (never in the package:
    without it, the recipient's split alone opens nothing)."""

    package: bytes
    held_split: bytes = field(repr=False)


def write_package(
    payload: bytes | Iterable[bytes],
    *,
    recipient_key: ec.EllipticCurvePublicKey,
    kas_url: str,
    policy: dict[str, Any],
    assertions: Sequence[Assertion],
    segment_size: int = DEFAULT_SEGMENT_SIZE,
    signing_key: Ed25519PrivateKey | None = None,
    mime_type: str = DEFAULT_MIME_TYPE,
) -> bytes:
    """A ZTDF package of ``payload`` that only ``recipient_key``'s holder can open.

    The payload is encrypted in ``segment_size`` segments under a fresh key, wrapped for
    the recipient alone (``ec-wrapped``); ``policy`` is bound to that key; every
    assertion, and Caveat's manifest binding after them, is bound to the payload with
    ``signing_key`` (Ed25519) or, without one, with the payload key (HS256).
    """
    package, _ = _write(
        payload, recipient_key, kas_url, policy, assertions, segment_size, signing_key,
        mime_type, None,
    )  # fmt: skip
    return package


def write_split_package(
    payload: bytes | Iterable[bytes],
    *,
    recipient_key: ec.EllipticCurvePublicKey,
    kas_url: str,
    holder_kas_url: str,
    holder_kid: str,
    policy: dict[str, Any],
    assertions: Sequence[Assertion],
    signing_key: Ed25519PrivateKey,
    segment_size: int = DEFAULT_SEGMENT_SIZE,
    mime_type: str = DEFAULT_MIME_TYPE,
) -> SplitPackage:
    """A package whose payload key is split in two, as the spec's key splits are: the
    XOR of a split wrapped for ``recipient_key`` (sid 1) and a split the originating node
    keeps (sid 2, a ``remote`` key access object naming ``holder_kas_url`` and
    ``holder_kid``). Each split's policy binding is under that split, so either key
    access object altered is refused. Assertions must be signed (the recipient verifies
    them before it can hold the payload key)."""
    if not valid_kas_url(holder_kas_url) or holder_kas_url == kas_url:
        raise InvalidInput("the holder's key access URL must be another service's")
    if not valid_kas_url(holder_kid):
        raise InvalidInput("the holder's key id must be printable ASCII")
    package, held = _write(
        payload, recipient_key, kas_url, policy, assertions, segment_size, signing_key,
        mime_type, (holder_kas_url, holder_kid),
    )  # fmt: skip
    assert held is not None
    return SplitPackage(package, held)


def wrap_split(recipient: ec.EllipticCurvePublicKey, split: bytes) -> dict[str, str]:
    """A key split wrapped for ``recipient`` alone, as a key access object wraps one
    (``ec-wrapped``): what an originating node answers a split request with, so that
    nothing between the two nodes (a relay, a TLS-terminating proxy) can read it."""
    if not isinstance(recipient, ec.EllipticCurvePublicKey) or not is_p256(recipient):
        raise InvalidInput("the recipient's key must be a P-256 public key")
    wrapped, ephemeral = wrap_key(recipient, split)
    return {"wrappedKey": b64encode(wrapped), "ephemeralPublicKey": ephemeral}


def unwrap_split(recipient: ec.EllipticCurvePrivateKey, value: object) -> bytes:
    """The split of :func:`wrap_split`'s answer; TdfTampered if it is not one for this
    key (its binding to the package is checked when the package is opened)."""
    if not isinstance(value, dict) or set(value) != {"wrappedKey", "ephemeralPublicKey"}:
        raise TdfInvalid("a wrapped split has exactly wrappedKey and ephemeralPublicKey")
    wrapped = b64decode(value["wrappedKey"], "the wrapped split")
    ephemeral = ephemeral_key(value["ephemeralPublicKey"])
    try:
        return unwrap_key(recipient, wrapped, ephemeral)
    except UnwrapFailed:
        raise TdfTampered("the wrapped split does not open under this node's key") from None


def _write(
    payload: bytes | Iterable[bytes],
    recipient_key: ec.EllipticCurvePublicKey,
    kas_url: str,
    policy: dict[str, Any],
    assertions: Sequence[Assertion],
    segment_size: int,
    signing_key: Ed25519PrivateKey | None,
    mime_type: str,
    holder: tuple[str, str] | None,
) -> tuple[bytes, bytes | None]:
    if not isinstance(recipient_key, ec.EllipticCurvePublicKey) or not is_p256(recipient_key):
        raise InvalidInput("the recipient's key must be a P-256 public key")
    if not valid_kas_url(kas_url) or not valid_mime_type(mime_type):
        raise InvalidInput("kas_url must be printable ASCII and mime_type a media type")
    if type(segment_size) is not int or not MIN_SEGMENT_SIZE <= segment_size <= MAX_SEGMENT_SIZE:
        raise InvalidInput(f"segment_size must be {MIN_SEGMENT_SIZE} to {MAX_SEGMENT_SIZE} bytes")
    problem = policy_problem(policy)
    if problem:
        raise InvalidInput(f"policy: {problem}", field="policy")
    _check_assertions(assertions)
    policy_json = canonical_json(policy)
    if len(policy_json) > MAX_POLICY_BYTES:
        raise TdfTooLarge(f"a policy is at most {MAX_POLICY_BYTES} bytes")
    policy_b64 = b64encode(policy_json)

    key = new_key()
    # Split mode: the recipient's split wrapped, the holder's kept; the key is their XOR
    # (platform sdk/tdf.go: a random key per split, the payload key their XOR).
    mine = new_key() if holder is not None else key
    held = xor_splits(key, mine) if holder is not None else None
    wrapped, ephemeral = wrap_key(recipient_key, mine)
    segments: list[dict[str, Any]] = []
    hashes: list[bytes] = []

    def sealed() -> Iterator[bytes]:
        total = 0
        for plain in _plaintext_segments(payload, segment_size):
            total += len(plain)
            if total > MAX_PAYLOAD_BYTES or len(segments) >= MAX_SEGMENTS:
                raise TdfTooLarge(
                    f"a package holds at most {MAX_PAYLOAD_BYTES} bytes in {MAX_SEGMENTS} segments"
                )
            part = seal(key, plain)
            hashes.append(segment_hash(part))
            segments.append(
                {
                    "hash": b64encode(hashes[-1]),
                    "segmentSize": len(plain),
                    "encryptedSegmentSize": len(part),
                }
            )
            yield part

    def key_access() -> list[dict[str, Any]]:
        recipient: dict[str, Any] = {
            "type": "wrapped",
            "url": kas_url,
            "protocol": "kas",
            "wrappedKey": b64encode(wrapped),
            "policyBinding": {"alg": "HS256", "hash": policy_binding(mine, policy_b64)},
            "kid": key_id(recipient_key),
            "schemaVersion": KEY_ACCESS_SCHEMA_VERSION,
            "ephemeralPublicKey": ephemeral,
        }
        if holder is None or held is None:
            return [recipient]
        return [
            {**recipient, "sid": RECIPIENT_SID},
            {
                "type": "remote",
                "url": holder[0],
                "protocol": "kas",
                "sid": HOLDER_SID,
                "kid": holder[1],
                "policyBinding": {"alg": "HS256", "hash": policy_binding(held, policy_b64)},
                "schemaVersion": KEY_ACCESS_SCHEMA_VERSION,
            },
        ]

    def manifest() -> bytes:
        aggregate = b"".join(hashes)
        root = b64encode(hmac_sha256(key, aggregate))
        document: dict[str, Any] = {
            "schemaVersion": SPEC_VERSION,
            "payload": {
                "type": "reference",
                "url": PAYLOAD_NAME,
                "protocol": "zip",
                "isEncrypted": True,
                "mimeType": mime_type,
                "tdf_spec_version": SPEC_VERSION,
            },
            "encryptionInformation": {
                "type": "split",
                "keyAccess": key_access(),
                "method": {"algorithm": "AES-256-GCM", "isStreamable": True, "iv": ""},
                "integrityInformation": {
                    "rootSignature": {"alg": "HS256", "sig": root},
                    "segmentHashAlg": "GMAC",
                    "segmentSizeDefault": segment_size,
                    "encryptedSegmentSizeDefault": segment_size + SEGMENT_OVERHEAD,
                    "segments": segments,
                },
                "policy": policy_b64,
            },
        }
        binding_key: Ed25519PrivateKey | bytes = signing_key if signing_key is not None else key
        bound = []
        for item in assertions:
            body = item.to_json()
            bound.append({**body, "binding": bind(body, aggregate, binding_key)})
        last = _manifest_binding(document, bound).to_json()
        document["assertions"] = [*bound, {**last, "binding": bind(last, aggregate, binding_key)}]
        validate_manifest(document)  # a package Caveat writes always meets the spec's schema
        encoded = canonical_json(document)
        if len(encoded) > MAX_MANIFEST_BYTES:
            raise TdfTooLarge(f"a manifest is at most {MAX_MANIFEST_BYTES} bytes")
        return encoded

    return write_zip(sealed(), manifest), held


def _unwrap(view: ManifestView, recipient: ec.EllipticCurvePrivateKey, kas_url: str) -> bytes:
    if view.kas_url != kas_url or view.kid != key_id(recipient.public_key()):
        raise TdfNotRecipient(
            "the package is addressed to another key or key access service",
            hint="it was made for another node, or its key access object was changed",
        )
    try:
        key = unwrap_key(recipient, view.wrapped_key, view.ephemeral_key)
    except UnwrapFailed:
        raise TdfTampered("the wrapped key does not open under this node's key") from None
    if not hmac.compare_digest(policy_binding(key, view.policy_b64), view.policy_binding):
        raise TdfTampered("the policy binding does not match the policy")
    return key


def _sealed_segments(view: ManifestView, payload: memoryview) -> list[memoryview]:
    if len(payload) != view.encrypted_size:
        raise TdfTampered(
            f"the payload has {len(payload)} bytes where its segments total {view.encrypted_size}"
        )
    parts, offset = [], 0
    for index, segment in enumerate(view.segments):
        part = payload[offset : offset + segment.encrypted_size]
        offset += segment.encrypted_size
        if not hmac.compare_digest(segment_hash(part), segment.hash):
            raise TdfTampered(f"segment {index}'s hash does not match its content")
        parts.append(part)
    return parts


@dataclass(frozen=True, slots=True)
class Sealed:
    """A package that passed every check its recipient can make before it holds the
    payload key: layout, schema, profile, addressee, its own split and that split's
    policy binding, every segment hash, every assertion's signature and the manifest
    binding. Its label and provenance can be read; its payload cannot until
    :func:`open_package` (with the originator's split, for a split package)."""

    manifest: dict[str, Any]
    policy: dict[str, Any]
    assertions: tuple[VerifiedAssertion, ...]
    _view: ManifestView = field(repr=False)
    _parts: tuple[memoryview, ...] = field(repr=False)
    _split: bytes = field(repr=False)  # this node's split (the whole key offline)

    @property
    def mime_type(self) -> str:
        return str(self.manifest["payload"]["mimeType"])

    @property
    def size(self) -> int:
        """The payload's size once opened, as the (bound) manifest gives it."""
        return self._view.plaintext_size

    @property
    def held(self) -> HeldSplit | None:
        """Split mode: the split the originating node holds (its service and key id)."""
        return self._view.held

    def assertion(self, assertion_id: str) -> VerifiedAssertion | None:
        return next((a for a in self.assertions if a.assertion.id == assertion_id), None)


def read_package(
    data: bytes,
    *,
    recipient_key: ec.EllipticCurvePrivateKey,
    kas_url: str,
    trusted_assertion_keys: Sequence[Ed25519PublicKey],
    max_payload_bytes: int = MAX_PAYLOAD_BYTES,
) -> Opened:
    """Verify every part of a package made for ``recipient_key`` at ``kas_url`` and open
    it; raises a TdfError subclass, and returns no plaintext, if any check fails (a
    split package: TdfSplitMissing, see :func:`inspect_package`).

    ``trusted_assertion_keys`` are the Ed25519 keys whose signatures bind assertions
    (the originating peer's federation keys; two while it rotates). Given any, every
    assertion must be signed by one of them; given none, every assertion must be bound
    with the payload key (HS256), as a package written without a signing key is.
    """
    sealed = inspect_package(
        data,
        recipient_key=recipient_key,
        kas_url=kas_url,
        trusted_assertion_keys=trusted_assertion_keys,
        max_payload_bytes=max_payload_bytes,
    )
    return open_package(sealed)


def inspect_package(
    data: bytes,
    *,
    recipient_key: ec.EllipticCurvePrivateKey,
    kas_url: str,
    trusted_assertion_keys: Sequence[Ed25519PublicKey],
    max_payload_bytes: int = MAX_PAYLOAD_BYTES,
) -> Sealed:
    """Every check of :func:`read_package` that needs no split but this node's: a
    package that passes is genuine, addressed here and unaltered (as far as anything
    but the payload key can tell); one that fails raises, as :func:`read_package`. A
    split package's assertions must be signed by a trusted key (their HS256 form would
    need the payload key)."""
    if not isinstance(recipient_key, ec.EllipticCurvePrivateKey) or not is_p256(recipient_key):
        raise InvalidInput("the recipient's key must be a P-256 private key")
    if not 0 <= max_payload_bytes <= MAX_PAYLOAD_BYTES:
        raise InvalidInput(f"max_payload_bytes is at most {MAX_PAYLOAD_BYTES}")
    ceiling = max_payload_bytes + MAX_SEGMENTS * SEGMENT_OVERHEAD + MAX_MANIFEST_BYTES + 4096
    if len(data) > ceiling:
        raise TdfTooLarge(f"the package is larger than {ceiling} bytes")
    payload, manifest_bytes = read_zip(data)
    manifest = parse_json(manifest_bytes, "the manifest")
    try:  # hashes are over RFC 8785 forms: numbers beyond its range cannot be bound
        digests = _canonical_digests(manifest)
    except ValueError as exc:
        raise TdfInvalid(f"the manifest has a value RFC 8785 cannot encode: {exc}") from None
    validate_manifest(manifest)
    view = check_profile(manifest)
    assert digests is not None  # the profile has made sure assertions list objects
    if view.plaintext_size > max_payload_bytes:
        raise TdfTooLarge(f"the payload is larger than {max_payload_bytes} bytes")
    if view.held is not None and not trusted_assertion_keys:
        raise TdfUntrustedSigner(
            "a split package's assertions are verified only under a trusted signer's key"
        )

    split = _unwrap(view, recipient_key, kas_url)
    policy = parse_json(b64decode(view.policy_b64, "the policy"), "the policy")
    problem = policy_problem(policy)
    if problem:
        raise TdfInvalid(f"policy: {problem}")
    parts = _sealed_segments(view, payload)
    aggregate = b"".join(s.hash for s in view.segments)
    if view.held is None:  # offline: this node's split is the key, checked now
        _check_root(view, split, aggregate)

    trusted = tuple(trusted_assertion_keys)
    verified = tuple(
        VerifiedAssertion(
            Assertion.from_json(raw),
            verify_binding(raw, aggregate, trusted_keys=trusted, payload_key=split, digest=digest),
        )
        for raw, digest in zip(view.assertions, digests.assertions, strict=True)
    )
    *others, last = view.assertions
    expected = _binding_assertion(
        digests.rest, [(a["id"], d) for a, d in zip(others, digests.assertions[:-1], strict=True)]
    ).to_json()
    if {k: v for k, v in last.items() if k != "binding"} != expected:
        raise TdfTampered("the manifest binding does not match the manifest")
    return Sealed(manifest, policy, verified, view, tuple(parts), split)


@dataclass(frozen=True, slots=True)
class _Digests:
    """A received manifest's canonical parts, each hashed once: the manifest without its
    assertions (hex) and each assertion without its binding, in order."""

    rest: str
    assertions: tuple[bytes, ...]


def _canonical_digests(manifest: Any) -> _Digests | None:
    """Every part of a received manifest put in RFC 8785 form once (raising ValueError,
    as :func:`canonical_json` of the whole manifest would, for a value it cannot
    encode): the manifest without its assertions and each assertion without its binding
    hashed, for the manifest binding and the assertions' bindings to share; each
    binding only checked. None, after checking the whole, for a manifest whose
    assertions are not a list of objects (the profile refuses it)."""
    assertions = manifest.get("assertions") if isinstance(manifest, dict) else None
    if not isinstance(assertions, list) or not all(isinstance(a, dict) for a in assertions):
        canonical_json(manifest)
        return None
    for assertion in assertions:
        if "binding" in assertion:
            canonical_json(assertion["binding"])
    return _Digests(_rest_digest(manifest), tuple(assertion_hash(a) for a in assertions))


def open_package(sealed: Sealed, held_split: bytes | None = None) -> Opened:
    """The plaintext of an inspected package: offline, with this node's key alone; a
    split package, with ``held_split``, the split its originator gave (checked against
    that split's policy binding before it is used)."""
    view = sealed._view
    key = sealed._split
    if view.held is not None:
        if held_split is None:
            raise TdfSplitMissing(
                "the package's key is split: the originating node's split is needed to open it",
                hint="its first open asks the originating node for that split",
            )
        if len(held_split) != KEY_SIZE or not hmac.compare_digest(
            policy_binding(held_split, view.policy_b64), view.held.policy_binding
        ):
            raise TdfTampered("the originator's split does not match its key access object")
        key = xor_splits(key, held_split)
        _check_root(view, key, b"".join(s.hash for s in view.segments))
    plaintext = []
    for index, part in enumerate(sealed._parts):
        try:
            plaintext.append(open_sealed(key, part))
        except InvalidTag:
            raise TdfTampered(f"segment {index} fails authenticated decryption") from None
    return Opened(b"".join(plaintext), sealed.manifest, sealed.policy, sealed.assertions)


def _check_root(view: ManifestView, key: bytes, aggregate: bytes) -> None:
    if not hmac_sha256_matches(key, aggregate, view.root_signature):
        raise TdfTampered("the root signature does not match the segment hashes")
