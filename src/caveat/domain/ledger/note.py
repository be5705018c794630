"""C2SP signed notes (c2sp.org/signed-note) with Ed25519 and cosignature/v1 keys.

A note is text ending in a newline, a blank line, then signature lines
``— <key name> <base64(4-byte key ID || signature)>``. Verification raises
:class:`NoteVerificationError`; the text of a note must not be used unless
:func:`open_note` accepted it. Timestamped witness cosignatures follow
c2sp.org/tlog-cosignature (signature type 0x04).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from caveat.domain.errors import IntegrityError, InvalidInput

ALG_ED25519 = 0x01
ALG_COSIGNATURE_V1 = 0x04

SIGNATURE_PREFIX = "\u2014 "  # em dash, space
# The spec asks verifiers to cap signatures and to accept at least 16.
MAX_SIGNATURES = 100
MAX_NOTE_BYTES = 1 << 20
MAX_TIMESTAMP = 2**63 - 1  # tlog-cosignature: the timestamp MUST NOT exceed 2^63 - 1

_HEX_KEY_ID = re.compile(r"[0-9a-f]{8}")
_ED25519_SIGNATURE_SIZE = 64


class NoteVerificationError(IntegrityError):
    """Raised when a signed note is malformed or no trusted signature on it verifies."""

    code = "signed_note_invalid"


class InvalidKey(InvalidInput):
    """Raised when a key name, verifier key or signer key text is malformed."""

    code = "note_key_invalid"


@dataclass(frozen=True)
class Signature:
    """One signature line: key name, 32-bit key ID and the signature bytes after the ID."""

    name: str
    key_id: int
    signature: bytes

    def line(self) -> str:
        """The signature line, without its final newline."""
        blob = self.key_id.to_bytes(4, "big") + self.signature
        return f"{SIGNATURE_PREFIX}{self.name} {base64.b64encode(blob).decode('ascii')}"


@dataclass(frozen=True)
class OpenedNote:
    """A note whose text at least one trusted key signed."""

    text: str
    verified: tuple[Signature, ...]  # signatures from known keys, all checked
    unverified: tuple[Signature, ...]  # signatures from unknown keys, ignored


class NoteVerifier(Protocol):
    """A trusted public key: verifies signatures made under one (name, key ID)."""

    @property
    def name(self) -> str:
        """The key name that signature lines carry."""
        ...

    @property
    def key_id(self) -> int:
        """The 32-bit key ID that starts each signature."""
        ...

    def verify(self, text: str, signature: bytes) -> None:
        """Raise :class:`NoteVerificationError` unless ``signature`` signs ``text``."""
        ...


class NoteSigner(Protocol):
    """A private key that signs note text under one (name, key ID)."""

    @property
    def name(self) -> str:
        """The key name written on the signature line."""
        ...

    @property
    def key_id(self) -> int:
        """The 32-bit key ID written before the signature."""
        ...

    def sign(self, text: str) -> bytes:
        """The signature over ``text`` (without the key ID)."""
        ...


def check_key_name(name: str) -> None:
    """Raise :class:`InvalidKey` unless ``name`` is non-empty with no spaces or '+' (C2SP)."""
    if not name or "+" in name or any(c.isspace() or ord(c) < 0x20 for c in name):
        raise InvalidKey(f"key name {name!r} must be non-empty, without spaces or '+'")


def key_id(name: str, algorithm: int, public_key: bytes) -> int:
    """SHA-256(name || 0x0A || algorithm || public key)[:4] as a big-endian uint32 (C2SP)."""
    check_key_name(name)
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([algorithm]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def _vkey(name: str, algorithm: int, public_key: bytes) -> str:
    material = base64.b64encode(bytes([algorithm]) + public_key).decode("ascii")
    return f"{name}+{key_id(name, algorithm, public_key):08x}+{material}"


def _parse_key_text(text: str, what: str) -> tuple[str, int, int, bytes]:
    """Split ``<name>+<hex key ID>+<base64(type || key)>`` into its parts."""
    parts = text.split("+", 2)  # names hold no '+'; the base64 may
    if len(parts) != 3 or not _HEX_KEY_ID.fullmatch(parts[1]):
        raise InvalidKey(f"malformed {what}")
    name, hex_id, material = parts
    check_key_name(name)
    try:
        raw = base64.b64decode(material, validate=True)
    except binascii.Error as exc:
        raise InvalidKey(f"malformed {what}: bad base64") from exc
    if len(raw) != 33 or base64.b64encode(raw).decode("ascii") != material:
        raise InvalidKey(f"malformed {what}: expected one type byte and a 32-byte key")
    return name, int(hex_id, 16), raw[0], raw[1:]


class Ed25519Verifier:
    """Verifies Ed25519 note signatures (signature type 0x01)."""

    algorithm = ALG_ED25519

    def __init__(self, name: str, public_key: Ed25519PublicKey) -> None:
        self._public_key = public_key
        self._raw = _raw_public(public_key)
        self._name = name
        self._key_id = key_id(name, self.algorithm, self._raw)

    @property
    def name(self) -> str:
        """The key name."""
        return self._name

    @property
    def key_id(self) -> int:
        """The 32-bit key ID."""
        return self._key_id

    @property
    def vkey(self) -> str:
        """The verifier key text ``<name>+<hex ID>+<base64(type || key)>``."""
        return _vkey(self._name, self.algorithm, self._raw)

    def _check(self, message: bytes, signature: bytes) -> None:
        if len(signature) != _ED25519_SIGNATURE_SIZE:
            raise NoteVerificationError(f"signature by {self._name} has the wrong length")
        try:
            self._public_key.verify(signature, message)
        except InvalidSignature:
            raise NoteVerificationError(f"signature by {self._name} does not verify") from None

    def verify(self, text: str, signature: bytes) -> None:
        """Raise :class:`NoteVerificationError` unless ``signature`` signs ``text``."""
        self._check(text.encode(), signature)


class CosignatureV1Verifier(Ed25519Verifier):
    """Verifies timestamped Ed25519 cosignatures (c2sp.org/tlog-cosignature, type 0x04)."""

    algorithm = ALG_COSIGNATURE_V1

    def verify(self, text: str, signature: bytes) -> None:
        """Raise unless ``signature`` is u64 timestamp || Ed25519 over the cosigned message."""
        timestamp = cosignature_timestamp(signature)
        self._check(_cosigned_message(text, timestamp), signature[8:])


def cosignature_timestamp(signature: bytes) -> int:
    """The POSIX time a cosignature/v1 signature claims (its first 8 bytes, big-endian)."""
    if len(signature) != 8 + _ED25519_SIGNATURE_SIZE:
        raise NoteVerificationError("cosignature has the wrong length")
    timestamp = int.from_bytes(signature[:8], "big")
    if timestamp > MAX_TIMESTAMP:
        raise NoteVerificationError("cosignature timestamp is out of range")
    return timestamp


def _cosigned_message(text: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n{text}".encode()


def verifier_from_vkey(vkey: str) -> Ed25519Verifier:
    """Parse a verifier key of type 0x01 (Ed25519) or 0x04 (cosignature/v1)."""
    name, parsed_id, algorithm, key = _parse_key_text(vkey, "verifier key")
    kinds = {ALG_ED25519: Ed25519Verifier, ALG_COSIGNATURE_V1: CosignatureV1Verifier}
    if algorithm not in kinds:
        raise InvalidKey(f"unsupported verifier key type 0x{algorithm:02x}")
    try:
        verifier = kinds[algorithm](name, Ed25519PublicKey.from_public_bytes(key))
    except ValueError as exc:
        raise InvalidKey("verifier key holds no valid Ed25519 key") from exc
    if verifier.key_id != parsed_id:
        raise InvalidKey("verifier key ID does not match its name and key")
    return verifier


class Ed25519Signer:
    """Signs notes with an Ed25519 key (signature type 0x01)."""

    algorithm = ALG_ED25519

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        self._private_key = private_key
        self._raw = _raw_public(private_key.public_key())
        self._name = name
        self._key_id = key_id(name, self.algorithm, self._raw)

    @classmethod
    def generate(cls, name: str) -> Ed25519Signer:
        """A signer with a fresh random key."""
        return cls(name, Ed25519PrivateKey.generate())

    @classmethod
    def from_skey(cls, skey: str) -> Ed25519Signer:
        """Parse ``PRIVATE+KEY+<name>+<hex ID>+<base64(0x01 || seed)>`` (golang note format)."""
        prefix = "PRIVATE+KEY+"
        if not skey.startswith(prefix):
            raise InvalidKey("malformed signer key")
        name, parsed_id, algorithm, seed = _parse_key_text(skey[len(prefix) :], "signer key")
        if algorithm != cls.algorithm:
            raise InvalidKey(f"signer key type 0x{algorithm:02x} is not 0x{cls.algorithm:02x}")
        signer = cls(name, Ed25519PrivateKey.from_private_bytes(seed))
        if signer.key_id != parsed_id:
            raise InvalidKey("signer key ID does not match its name and key")
        return signer

    @property
    def name(self) -> str:
        """The key name."""
        return self._name

    @property
    def key_id(self) -> int:
        """The 32-bit key ID."""
        return self._key_id

    def skey(self) -> str:
        """The secret signer key text; keep it out of logs."""
        seed = self._private_key.private_bytes_raw()
        material = base64.b64encode(bytes([self.algorithm]) + seed).decode("ascii")
        return f"PRIVATE+KEY+{self._name}+{self._key_id:08x}+{material}"

    def verifier(self) -> Ed25519Verifier:
        """The matching verifier."""
        return Ed25519Verifier(self._name, self._private_key.public_key())

    def sign(self, text: str) -> bytes:
        """An Ed25519 signature over the note text."""
        return self._private_key.sign(text.encode())


class CosignatureV1Signer:
    """Makes cosignature/v1 signatures as of one given time (time is a parameter)."""

    algorithm = ALG_COSIGNATURE_V1

    def __init__(self, name: str, private_key: Ed25519PrivateKey, *, timestamp: int) -> None:
        if not 0 <= timestamp <= MAX_TIMESTAMP:
            raise InvalidInput("cosignature timestamp is out of range", field="timestamp")
        self._private_key = private_key
        self._raw = _raw_public(private_key.public_key())
        self._name = name
        self._key_id = key_id(name, self.algorithm, self._raw)
        self._timestamp = timestamp

    @property
    def name(self) -> str:
        """The cosigner name."""
        return self._name

    @property
    def key_id(self) -> int:
        """The 32-bit key ID."""
        return self._key_id

    def verifier(self) -> CosignatureV1Verifier:
        """The matching verifier."""
        return CosignatureV1Verifier(self._name, self._private_key.public_key())

    def sign(self, text: str) -> bytes:
        """u64 timestamp || Ed25519 over ``cosignature/v1\\ntime <t>\\n`` + text."""
        message = _cosigned_message(text, self._timestamp)
        return self._timestamp.to_bytes(8, "big") + self._private_key.sign(message)


# --- format ------------------------------------------------------------------------


def _check_text(text: str) -> None:
    if not text.endswith("\n"):
        raise InvalidInput("note text must end with a newline")
    if any(ord(c) < 0x20 and c != "\n" for c in text):
        raise InvalidInput("note text must not contain control characters")


def sign_note(text: str, signers: Sequence[NoteSigner]) -> str:
    """Sign ``text`` with each signer and render the signed note."""
    _check_text(text)
    if not signers:
        raise InvalidInput("a note needs at least one signer")
    lines = [Signature(s.name, s.key_id, s.sign(text)).line() for s in signers]
    return text + "\n" + "".join(line + "\n" for line in lines)


def add_signatures(message: str, signers: Sequence[NoteSigner]) -> str:
    """Append signatures to a signed note (a witness adding its cosignature)."""
    text, signatures = _parse(message)
    added = [Signature(s.name, s.key_id, s.sign(text)) for s in signers]
    if len(signatures) + len(added) > MAX_SIGNATURES:
        raise InvalidInput("too many signatures on one note")
    return message + "".join(sig.line() + "\n" for sig in added)


def _parse(message: str | bytes) -> tuple[str, list[Signature]]:
    """Split a signed note into text and signature lines; reject anything malformed."""
    if isinstance(message, bytes):
        if len(message) > MAX_NOTE_BYTES:
            raise NoteVerificationError("note is too large")
        try:
            message = message.decode("utf-8")
        except UnicodeDecodeError:
            raise NoteVerificationError("note is not valid UTF-8") from None
    if len(message) > MAX_NOTE_BYTES:
        raise NoteVerificationError("note is too large")
    if any(ord(c) < 0x20 and c != "\n" for c in message):
        raise NoteVerificationError("note contains control characters")
    split = message.rfind("\n\n")
    if split < 0 or not message.endswith("\n"):
        raise NoteVerificationError("note has no signature block")
    text, block = message[: split + 1], message[split + 2 :]
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteVerificationError("note has too many signatures")
    return text, [_parse_signature_line(line) for line in lines]


def _parse_signature_line(line: str) -> Signature:
    if not line.startswith(SIGNATURE_PREFIX):
        raise NoteVerificationError("malformed signature line")
    name, sep, encoded = line[len(SIGNATURE_PREFIX) :].partition(" ")
    try:
        check_key_name(name)
        blob = base64.b64decode(encoded, validate=True)
    except (InvalidKey, binascii.Error):
        raise NoteVerificationError("malformed signature line") from None
    if not sep or len(blob) < 5 or base64.b64encode(blob).decode("ascii") != encoded:
        raise NoteVerificationError("malformed signature line")
    return Signature(name, int.from_bytes(blob[:4], "big"), blob[4:])


def open_note(message: str | bytes, verifiers: Iterable[NoteVerifier]) -> OpenedNote:
    """Verify a signed note against trusted keys and return its text (C2SP signed-note).

    Signatures from unknown keys are ignored; every signature from a known key must
    verify, and at least one must be present.
    """
    known: dict[tuple[str, int], NoteVerifier] = {}
    for verifier in verifiers:
        if (verifier.name, verifier.key_id) in known:
            raise InvalidInput(f"two trusted keys share the name and ID of {verifier.name}")
        known[(verifier.name, verifier.key_id)] = verifier
    text, signatures = _parse(message)
    verified: list[Signature] = []
    unverified: list[Signature] = []
    seen: set[tuple[str, int]] = set()
    for sig in signatures:
        ident = (sig.name, sig.key_id)
        if ident in seen:
            raise NoteVerificationError(f"note is signed twice by {sig.name}")
        seen.add(ident)
        trusted = known.get(ident)
        if trusted is None:
            unverified.append(sig)
            continue
        # The spec says a failing known signature SHOULD reject the whole note; we do.
        trusted.verify(text, sig.signature)
        verified.append(sig)
    if not verified:
        raise NoteVerificationError("note has no signature from a trusted key")
    return OpenedNote(text, tuple(verified), tuple(unverified))
