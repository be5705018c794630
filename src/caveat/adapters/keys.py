"""The node's key material in its data directory (a key-provider behind a small interface).

Files are created 0600 in a 0700 directory; a file readable by others is refused,
as ssh does, because it means the key may already be out.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Protocol

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from caveat.domain.errors import IntegrityError, ServiceUnavailable
from caveat.domain.sealing import KEY_BYTES


class KeyProvider(Protocol):
    """Where the node's secrets come from (local files now; an HSM or KMS later)."""

    def secret_key(self) -> bytes:
        """The 32-byte key that seals small secrets such as TOTP seeds."""
        ...

    def signing_key(self) -> Ed25519PrivateKey:
        """The node's Ed25519 signing key."""
        ...

    def federation_keys(self) -> tuple[Ed25519PrivateKey, ec.EllipticCurvePrivateKey]:
        """The keys this node shows partner nodes: Ed25519 for signing requests, P-256
        for unwrapping the data keys of packages released to it."""
        ...


class InsecureKeyFile(IntegrityError):
    """Raised when a key file can be read or written by other users."""

    code = "insecure_key_file"


class LocalKeyFiles:
    """Keys kept as files under ``<data dir>/keys``."""

    SECRET = "secrets.key"  # noqa: S105 - a file name, not a secret
    SIGNING = "node-signing.pem"
    FEDERATION_SIGNING = "federation-signing.pem"
    FEDERATION_WRAPPING = "federation-wrapping.pem"

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def create(self) -> None:
        """Create missing keys (idempotent: existing keys are never replaced)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        os.chmod(self.directory, 0o700)
        self._write_new(self.SECRET, os.urandom(KEY_BYTES))
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        self._write_new(self.SIGNING, pem)
        self.federation_keys()
        # The key-encryption key that wraps every artifact version's data key (ADR 0007).
        from caveat.adapters.kek import create_kek_file

        create_kek_file(self.directory)

    def _write_new(self, name: str, data: bytes) -> None:
        path = self.directory / name
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())

    def _read(self, name: str) -> bytes:
        path = self.directory / name
        try:
            mode = path.stat().st_mode
        except FileNotFoundError:
            raise ServiceUnavailable(
                f"the node key {path} is missing",
                code="key_missing",
                hint="run `caveat init` to create a node, or restore the keys from backup",
            ) from None
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise InsecureKeyFile(
                f"the key file {path} is accessible to other users",
                hint=f"chmod 600 {path}, and consider the key exposed",
            )
        return path.read_bytes()

    def secret_key(self) -> bytes:
        """The 32-byte sealing key."""
        key = self._read(self.SECRET)
        if len(key) != KEY_BYTES:
            raise IntegrityError("the sealing key has the wrong length", code="bad_key")
        return key

    def signing_key(self) -> Ed25519PrivateKey:
        """The Ed25519 node signing key."""
        key = serialization.load_pem_private_key(self._read(self.SIGNING), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise IntegrityError("the node signing key is not Ed25519", code="bad_key")
        return key

    def federation_keys(self) -> tuple[Ed25519PrivateKey, ec.EllipticCurvePrivateKey]:
        """The federation keys, made on first use for nodes created before federation
        (each file appears whole or not at all, whichever process makes it first)."""
        self._create_once(self.FEDERATION_SIGNING, _pem(Ed25519PrivateKey.generate()))
        self._create_once(self.FEDERATION_WRAPPING, _pem(ec.generate_private_key(ec.SECP256R1())))
        signing = serialization.load_pem_private_key(
            self._read(self.FEDERATION_SIGNING), password=None
        )
        wrapping = serialization.load_pem_private_key(
            self._read(self.FEDERATION_WRAPPING), password=None
        )
        if not isinstance(signing, Ed25519PrivateKey) or not (
            isinstance(wrapping, ec.EllipticCurvePrivateKey) and wrapping.curve.name == "secp256r1"
        ):
            raise IntegrityError("a federation key has the wrong type", code="bad_key")
        return signing, wrapping

    def _create_once(self, name: str, data: bytes) -> None:
        path = self.directory / name
        if path.exists():
            return
        temporary = self.directory / f".{name}.{os.getpid()}.tmp"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)  # atomic; fails if another process was first
        except FileExistsError:
            pass
        finally:
            temporary.unlink()


def _pem(key: Ed25519PrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
