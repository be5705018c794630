"""Artifacts: metadata rules, the part layout and the signed label binding.

An artifact is a labelled, versioned piece of content in a project. Its content is
stored as a sequence of parts (each at most ``PART_BYTES`` of plaintext, each its own
authenticated stream) so that a range read decrypts at most one part's prefix.

The binding is what the originating node signs (Ed25519) for every content version
under every label version: the RFC 8785 canonical JSON of the artifact id, the
version, the content's SHA-256 and size, the digest of the part layout, the label's
canonical JSON and the export classification's canonical JSON. Any change to one of
them breaks the signature; verification raises, it never returns a bool.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from caveat.domain.canonical_json import canonical_json
from caveat.domain.errors import Conflict, ErrorKind, IntegrityError, InvalidInput

BINDING_VERSION = "caveat.binding/1"
PART_AD_VERSION = b"caveat.part/1"
KEYSET_AD_VERSION = b"caveat.datakey/1"
PART_BYTES = 64 * 2**20  # plaintext per part: a range read decrypts at most this much
SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")

MAX_TITLE = 300
MAX_SUMMARY = 10_000
MAX_KEYWORDS = 50
MAX_KEYWORD = 64
MAX_FILENAME = 255
_KEYWORD = re.compile(r"^[\w][\w .+/#-]*$")
_MEDIA_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}$")


class IpKind(StrEnum):
    """Background IP (brought into the project) or foreground IP (made in it)."""

    BACKGROUND = "background"
    FOREGROUND = "foreground"


@dataclass(frozen=True, slots=True, order=True)
class IpOwner:
    """An organisation owning intellectual property in an artifact."""

    organisation_id: str
    kind: IpKind


class ContentTooLarge(InvalidInput):
    """Raised when content grows past the node's size limit while it streams in."""

    code = "content_too_large"
    kind = ErrorKind.TOO_LARGE


class HashMismatch(InvalidInput):
    """Raised when the SHA-256 the client declared is not the hash of what arrived."""

    code = "hash_mismatch"


class SizeMismatch(InvalidInput):
    """Raised when the content's size is not the size the client declared."""

    code = "size_mismatch"


class OffsetMismatch(Conflict):
    """Raised when an append does not start where the upload session stands."""

    code = "upload_offset_mismatch"


class BindingInvalid(IntegrityError):
    """Raised when a label binding's signature does not verify: a row or blob changed."""

    code = "binding_invalid"


class ContentCorrupt(IntegrityError):
    """Raised when stored content fails authenticated decryption or its hash."""

    code = "content_corrupt"


def _clean(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip()


def check_title(title: str) -> str:
    """A title: 1-300 characters after trimming, no control characters."""
    value = _clean(title)
    if not value or len(value) > MAX_TITLE or any(unicodedata.category(c) == "Cc" for c in value):
        raise InvalidInput(
            "the title must be 1-300 printable characters",
            code="invalid_title",
            field="title",
        )
    return value


def check_summary(summary: str) -> str:
    """A summary: at most 10,000 characters."""
    value = _clean(summary)
    if len(value) > MAX_SUMMARY:
        raise InvalidInput(
            "the summary is longer than 10,000 characters", code="invalid_summary", field="summary"
        )
    return value


def check_keywords(keywords: Sequence[str]) -> tuple[str, ...]:
    """Keywords: at most 50, each 1-64 word characters, lower-cased, unique, sorted."""
    seen: set[str] = set()
    for raw in keywords:
        word = _clean(raw).lower()
        if not word or len(word) > MAX_KEYWORD or not _KEYWORD.match(word):
            raise InvalidInput(
                f"keyword {raw!r} is not 1-64 letters, digits or . + / # -",
                code="invalid_keyword",
                field="keywords",
            )
        seen.add(word)
    if len(seen) > MAX_KEYWORDS:
        raise InvalidInput("at most 50 keywords", code="invalid_keyword", field="keywords")
    return tuple(sorted(seen))


def check_filename(name: str | None) -> str | None:
    """A download file name: no path, no control characters, at most 255 characters."""
    if name is None:
        return None
    value = _clean(name)
    if (
        not value
        or len(value) > MAX_FILENAME
        or value in (".", "..")
        or any(c in value for c in "/\\\x00")
        or any(unicodedata.category(c) == "Cc" for c in value)
    ):
        raise InvalidInput(
            "the file name must be a plain name without a path",
            code="invalid_filename",
            field="filename",
        )
    return value


def check_media_type(media_type: str | None) -> str:
    """A media type such as ``application/pdf``; default ``application/octet-stream``."""
    if media_type is None:
        return "application/octet-stream"
    value = media_type.strip().lower()
    if not _MEDIA_TYPE.match(value):
        raise InvalidInput(
            f"{media_type!r} is not a media type", code="invalid_media_type", field="media_type"
        )
    return value


# Types a browser renders inertly (nosniff is always sent); anything else, HTML and
# script above all, is served as opaque bytes so an upload cannot run as this origin.
SAFE_SERVED_TYPES = frozenset(
    {
        "application/pdf",
        "application/json",
        "application/zip",
        "application/octet-stream",
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "text/plain",
        "text/csv",
    }
)


def served_media_type(declared: str | None) -> str:
    """The type content is served as: the declared one when it is on the safe list,
    else ``application/octet-stream`` (the declared type is kept in the record)."""
    base = (declared or "").split(";")[0].strip().lower()
    return base if base in SAFE_SERVED_TYPES else "application/octet-stream"


def check_sha256(value: str, *, field: str = "sha256") -> bytes:
    """The 32 bytes of a lower-case hex SHA-256."""
    text = value.strip().lower()
    if not SHA256_HEX.match(text):
        raise InvalidInput(
            "a SHA-256 is 64 hexadecimal characters", code="invalid_sha256", field=field
        )
    return bytes.fromhex(text)


def check_ip_owners(owners: Sequence[IpOwner]) -> tuple[IpOwner, ...]:
    """IP owners, unique and sorted."""
    return tuple(sorted(set(owners)))


def part_associated_data(version_id: str, generation: int, index: int) -> bytes:
    """The associated data that binds one part's stream to its version and position.

    A part moved to another version or position, or taken from an older encryption
    generation, fails authentication.
    """
    return b"|".join(
        [PART_AD_VERSION, version_id.encode(), str(generation).encode(), str(index).encode()]
    )


def keyset_associated_data(version_id: str) -> bytes:
    """The associated data binding a wrapped data keyset to its version."""
    return KEYSET_AD_VERSION + b"|" + version_id.encode()


def layout_digest(part_sizes: Sequence[int]) -> bytes:
    """SHA-256 of the canonical JSON list of the parts' plaintext sizes."""
    return hashlib.sha256(canonical_json(list(part_sizes))).digest()


def part_for_offset(part_sizes: Sequence[int], offset: int) -> tuple[int, int]:
    """The part holding plaintext byte ``offset`` and the offset within that part."""
    start = 0
    for index, size in enumerate(part_sizes):
        if offset < start + size:
            return index, offset - start
        start += size
    raise InvalidInput("offset past the end of the content", code="range_not_satisfiable")


@dataclass(frozen=True, slots=True)
class Binding:
    """What the originating node signs for one content version under one label version."""

    artifact_id: str
    version: int
    version_id: str
    sha256: bytes
    size: int
    layout: bytes  # layout_digest of the part sizes
    label: bytes  # the label's canonical JSON
    export: bytes  # the export classification's canonical JSON
    node_id: str

    def document(self) -> dict[str, Any]:
        """The JSON document; labels are embedded as their exact canonical strings."""
        return {
            "binding": BINDING_VERSION,
            "artifact": self.artifact_id,
            "version": self.version,
            "version_id": self.version_id,
            "sha256": self.sha256.hex(),
            "size": self.size,
            "parts": self.layout.hex(),
            "label": self.label.decode("utf-8"),
            "export": self.export.decode("utf-8"),
            "node": self.node_id,
        }

    def canonical_bytes(self) -> bytes:
        """RFC 8785 canonical JSON of :meth:`document`: the signed message."""
        return canonical_json(self.document())

    def sign(self, key: Ed25519PrivateKey) -> bytes:
        """The node's Ed25519 signature over the canonical bytes."""
        return key.sign(self.canonical_bytes())

    def verify(self, signature: bytes, key: Ed25519PublicKey) -> None:
        """Raise BindingInvalid unless ``signature`` is the node's over this binding."""
        try:
            key.verify(signature, self.canonical_bytes())
        except InvalidSignature:
            raise BindingInvalid(
                f"the label binding of {self.artifact_id} version {self.version} does not verify",
                hint="the content, its label or the signature was changed outside Caveat",
            ) from None
