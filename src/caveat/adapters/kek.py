"""The node's key-encryption key (KEK) and the per-version data keys it wraps (Tink).

- The KEK is a Tink AEAD keyset (AES256_GCM). By default it is kept as a 0600 JSON
  keyset file in the data directory's ``keys/``; an HSM or KMS plugs in behind
  :class:`KekProvider` (Tink's KMS AEADs fit the same ``aead()`` call).
- Every artifact version gets a fresh streaming-AEAD keyset (AES256_GCM_HKDF_1MB),
  stored only wrapped under the KEK, with the version id as associated data.
- Each content part is one Tink stream; its associated data binds version, encryption
  generation and part index, so truncation, reordering and moves are all detected.

Rotation adds a new primary key to the KEK keyset; data keys are then rewrapped by the
artifact service. Old KEK keys decrypt until they are disabled.
"""

from __future__ import annotations

import io
import os
import stat
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol, cast

import tink
from tink import aead, secret_key_access, streaming_aead
from tink.proto import tink_pb2

from caveat.domain.artifacts import ContentCorrupt, keyset_associated_data
from caveat.domain.errors import IntegrityError, InvalidInput, ServiceUnavailable

aead.register()
streaming_aead.register()

KEK_FILE = "kek.json"
DATA_KEY_TEMPLATE = streaming_aead.streaming_aead_key_templates.AES256_GCM_HKDF_1MB
KEK_TEMPLATE = aead.aead_key_templates.AES256_GCM


@dataclass(frozen=True, slots=True)
class KekKey:
    """One key of the KEK keyset, as `caveat keys status` shows it."""

    key_id: int
    status: str  # enabled | disabled
    primary: bool


class KekProvider(Protocol):
    """Where the node's key-encryption key lives (a local file now; HSM or KMS later)."""

    def aead(self) -> Any:
        """The Tink AEAD primitive that wraps and unwraps data keysets."""
        ...

    def primary_key_id(self) -> int:
        """The id of the key new wraps use."""
        ...

    def keys(self) -> list[KekKey]:
        """Every key of the keyset."""
        ...

    def rotate(self) -> KekKey:
        """Add a new primary key; old keys keep decrypting until disabled."""
        ...

    def disable(self, key_ids: set[int]) -> list[KekKey]:
        """Disable keys (never the primary); they no longer decrypt."""
        ...


class KekFileMissing(ServiceUnavailable):
    """Raised when the KEK file is not in the data directory."""

    code = "kek_missing"


def _write_private(path: Path, data: bytes, *, replace: bool) -> None:
    """Write ``data`` to ``path`` as 0600: temp file, fsync, rename, fsync the directory."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    if replace:
        os.replace(tmp, path)
    else:
        try:
            os.link(tmp, path)  # refuses to overwrite an existing KEK
        except FileExistsError:
            return
        finally:
            tmp.unlink(missing_ok=True)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _serialize(handle: Any) -> bytes:
    text = tink.json_proto_keyset_format.serialize(handle, secret_key_access.TOKEN)
    return text.encode() if isinstance(text, str) else bytes(text)


def create_kek_file(directory: Path) -> None:
    """Create ``keys/kek.json`` with one AES256_GCM key (idempotent: never replaces)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / KEK_FILE
    if path.exists():
        return
    _write_private(path, _serialize(tink.new_keyset_handle(KEK_TEMPLATE)), replace=False)


class LocalKekFile:
    """The KEK as a Tink JSON keyset in a 0600 file (refused if others can read it)."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / KEK_FILE
        self._lock = threading.Lock()
        self._cached: tuple[float, int, Any, Any] | None = None  # mtime, size, handle, aead

    def _handle(self) -> tuple[Any, Any]:
        try:
            info = self.path.stat()
        except FileNotFoundError:
            raise KekFileMissing(
                f"the key-encryption key {self.path} is missing",
                hint="run `caveat keys rotate` to create one on a node without artifacts, "
                "or restore keys/ from backup",
            ) from None
        if info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise IntegrityError(
                f"the key file {self.path} is accessible to other users",
                code="insecure_key_file",
                hint=f"chmod 600 {self.path}, and consider the key exposed",
            )
        with self._lock:
            cached = self._cached
            if cached is not None and cached[:2] == (info.st_mtime, info.st_size):
                return cached[2], cached[3]
            try:
                handle = tink.json_proto_keyset_format.parse(
                    self.path.read_text(), secret_key_access.TOKEN
                )
                primitive = handle.primitive(aead.Aead)
            except tink.TinkError as exc:
                raise IntegrityError(
                    f"the key-encryption key {self.path} cannot be read", code="bad_key"
                ) from exc
            self._cached = (info.st_mtime, info.st_size, handle, primitive)
            return handle, primitive

    def aead(self) -> Any:
        """The AEAD over every enabled key (the primary encrypts)."""
        return self._handle()[1]

    def primary_key_id(self) -> int:
        """The primary key's id."""
        return int(self._handle()[0].keyset_info().primary_key_id)

    def _keyset(self) -> tink_pb2.Keyset:
        handle = self._handle()[0]
        data = tink.proto_keyset_format.serialize(handle, secret_key_access.TOKEN)
        return tink_pb2.Keyset.FromString(data)

    def _store(self, keyset: tink_pb2.Keyset) -> None:
        handle = tink.proto_keyset_format.parse(keyset.SerializeToString(), secret_key_access.TOKEN)
        handle.primitive(aead.Aead)  # refuse to store a keyset Tink cannot use
        _write_private(self.path, _serialize(handle), replace=True)
        with self._lock:
            self._cached = None

    def keys(self) -> list[KekKey]:
        """Every key with its status."""
        keyset = self._keyset()
        return [
            KekKey(
                key_id=int(k.key_id),
                status="enabled" if k.status == tink_pb2.ENABLED else "disabled",
                primary=k.key_id == keyset.primary_key_id,
            )
            for k in keyset.key
        ]

    def rotate(self) -> KekKey:
        """Add a fresh AES256_GCM key and make it the primary."""
        if not self.path.exists():
            create_kek_file(self.path.parent)
            return next(k for k in self.keys() if k.primary)
        keyset = self._keyset()
        fresh = tink_pb2.Keyset.FromString(
            tink.proto_keyset_format.serialize(
                tink.new_keyset_handle(KEK_TEMPLATE), secret_key_access.TOKEN
            )
        ).key[0]
        used = {k.key_id for k in keyset.key}
        while fresh.key_id in used:  # Tink ids are random 32-bit; a clash is rare
            fresh.key_id = int.from_bytes(os.urandom(4), "big") & 0x7FFFFFFF
        keyset.key.append(fresh)
        keyset.primary_key_id = fresh.key_id
        self._store(keyset)
        return KekKey(int(fresh.key_id), "enabled", True)

    def disable(self, key_ids: set[int]) -> list[KekKey]:
        """Disable the given keys; the primary cannot be disabled."""
        keyset = self._keyset()
        if keyset.primary_key_id in key_ids:
            raise InvalidInput("the primary KEK key cannot be disabled", code="kek_primary")
        for key in keyset.key:
            if key.key_id in key_ids:
                key.status = tink_pb2.DISABLED
        self._store(keyset)
        return self.keys()


def wrapped_key_id(wrapped: bytes) -> int:
    """The KEK key id a wrapped keyset was encrypted under (Tink's 5-byte output prefix)."""
    encrypted = tink_pb2.EncryptedKeyset.FromString(wrapped)
    prefix = encrypted.encrypted_keyset[:5]
    if len(prefix) != 5 or prefix[0] != 1:
        raise IntegrityError("a wrapped data key has no Tink key prefix", code="bad_key")
    return int.from_bytes(prefix[1:5], "big")


@dataclass(frozen=True, slots=True)
class DataKey:
    """A version's streaming-AEAD keyset, unwrapped in memory only."""

    primitive: Any

    def encrypting(self, destination: BinaryIO, associated_data: bytes) -> BinaryIO:
        """A writable stream that encrypts into ``destination`` (closing it finishes)."""
        return cast(BinaryIO, self.primitive.new_encrypting_stream(destination, associated_data))

    def decrypting(self, source: BinaryIO, associated_data: bytes) -> BinaryIO:
        """A readable stream of plaintext from ``source``; any change raises on read."""
        return cast(BinaryIO, self.primitive.new_decrypting_stream(source, associated_data))


def new_data_key(kek: KekProvider, version_id: str) -> tuple[DataKey, bytes]:
    """A fresh data keyset and its wrapped form (associated data: the version id)."""
    handle = tink.new_keyset_handle(DATA_KEY_TEMPLATE)
    return DataKey(handle.primitive(streaming_aead.StreamingAead)), _wrap(kek, handle, version_id)


def _wrap(kek: KekProvider, handle: Any, version_id: str) -> bytes:
    buffer = io.BytesIO()
    handle.write_with_associated_data(
        tink.BinaryKeysetWriter(buffer), kek.aead(), keyset_associated_data(version_id)
    )
    return buffer.getvalue()


def _unwrap_handle(kek: KekProvider, wrapped: bytes, version_id: str) -> Any:
    try:
        return tink.read_keyset_handle_with_associated_data(
            tink.BinaryKeysetReader(wrapped), kek.aead(), keyset_associated_data(version_id)
        )
    except tink.TinkError as exc:
        raise ContentCorrupt(
            f"the data key of version {version_id} cannot be unwrapped",
            hint="the wrapped key row was changed, or the KEK key that wrapped it is disabled",
        ) from exc


def unwrap_data_key(kek: KekProvider, wrapped: bytes, version_id: str) -> DataKey:
    """The data key of ``version_id``; ContentCorrupt if it was changed or its KEK is gone."""
    handle = _unwrap_handle(kek, wrapped, version_id)
    return DataKey(handle.primitive(streaming_aead.StreamingAead))


def rewrap_data_key(kek: KekProvider, wrapped: bytes, version_id: str) -> bytes:
    """The same data keyset wrapped under the KEK's current primary key."""
    return _wrap(kek, _unwrap_handle(kek, wrapped, version_id), version_id)


class PlainSink(io.RawIOBase):
    """A write-only adapter Tink encrypts into; closing it does not close the target.

    Tink closes its destination when the encrypting stream closes; the blob writer
    must stay open until it is committed (fsync, rename) or aborted.
    """

    def __init__(self, write: Callable[[bytes], None]) -> None:
        super().__init__()
        self._write = write
        self.written = 0

    def writable(self) -> bool:
        return True

    def write(self, b: Any) -> int:
        data = bytes(b)
        self._write(data)
        self.written += len(data)
        return len(data)
