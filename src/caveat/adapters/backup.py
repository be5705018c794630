"""The pieces of a backup that touch the outside: database snapshots and sealed keys.

- SQLite: the SQLite online backup API copies a consistent snapshot while the node
  serves (readers and writers carry on; the copy sees one committed state).
- PostgreSQL: ``pg_dump --format=custom`` (one repeatable-read snapshot) and
  ``pg_restore`` into an empty database.
- Keys never travel in the clear: the key files are sealed with AES-256-GCM under a key
  derived from the operator's passphrase by scrypt (RFC 7914), in a versioned format
  bound to the node's id.
"""

from __future__ import annotations

import base64
import json
import os
import sqlite3
import subprocess
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from sqlalchemy.engine import make_url

from caveat.domain.errors import CaveatError, ErrorKind, IntegrityError, InvalidInput

SEALED_KEYS_FORMAT = "caveat-keys-v1"
# scrypt cost (RFC 7914 §2; OWASP's interactive minimum is N=2^17 for r=8, p=1)
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**17, 8, 1
MIN_PASSPHRASE = 12


class BackupToolFailed(CaveatError):
    """Raised when pg_dump or pg_restore fails (its own message is attached)."""

    code = "backup_tool_failed"
    kind = ErrorKind.UNAVAILABLE


class KeysUnsealFailed(IntegrityError):
    """Raised when sealed keys do not open: a wrong passphrase, another node, or an edit."""

    code = "keys_unseal_failed"


def sqlite_snapshot(source: Path, target: Path) -> None:
    """A consistent copy of a live SQLite database, written to ``target`` (0600)."""
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst, pages=1024)  # one self-contained file (rollback journal)
        finally:
            dst.close()
    finally:
        src.close()


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A SQLAlchemy URL as a libpq connection string, the password in the environment."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupToolFailed(
            f"{command[0]} failed: {done.stderr.strip()[:500]}",
            hint="check that the PostgreSQL client tools match the server's major version",
        )


def pg_dump(url: str, target: Path) -> None:
    """``pg_dump`` of the node's database in custom format, to ``target``."""
    conn, env = _libpq(url)
    _run(
        ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "-f", str(target), conn],
        env,
    )
    os.chmod(target, 0o600)


def pg_restore(url: str, source: Path) -> None:
    """Restore a custom-format dump into the (empty) database at ``url``."""
    conn, env = _libpq(url)
    _run(
        ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "-d", conn, str(source)],
        env,
    )


def _derive(passphrase: str, salt: bytes) -> bytes:
    return Scrypt(salt=salt, length=32, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P).derive(
        passphrase.encode()
    )


def require_passphrase(passphrase: str) -> str:
    """A passphrase long enough to stand against offline guessing of a stolen backup."""
    if len(passphrase) < MIN_PASSPHRASE:
        raise InvalidInput(
            f"the backup passphrase needs at least {MIN_PASSPHRASE} characters",
            code="weak_passphrase",
            field="passphrase",
        )
    return passphrase


def seal_keys(directory: Path, passphrase: str, *, node_id: str) -> bytes:
    """Every file of the key directory, sealed under the passphrase, as JSON bytes."""
    files = {
        p.name: base64.b64encode(p.read_bytes()).decode()
        for p in sorted(directory.iterdir())
        if p.is_file()
    }
    salt, nonce = os.urandom(16), os.urandom(12)
    aad = f"{SEALED_KEYS_FORMAT}|{node_id}".encode()
    sealed = AESGCM(_derive(require_passphrase(passphrase), salt)).encrypt(
        nonce, json.dumps(files, sort_keys=True).encode(), aad
    )
    envelope = {
        "format": SEALED_KEYS_FORMAT,
        "kdf": {"name": "scrypt", "n": _SCRYPT_N, "r": _SCRYPT_R, "p": _SCRYPT_P},
        "salt": base64.b64encode(salt).decode(),
        "nonce": base64.b64encode(nonce).decode(),
        "ciphertext": base64.b64encode(sealed).decode(),
    }
    return json.dumps(envelope, indent=1).encode()


def unseal_keys(sealed: bytes, passphrase: str, *, node_id: str, directory: Path) -> list[str]:
    """Write the sealed key files into ``directory`` (0700, files 0600); their names."""
    try:
        envelope = json.loads(sealed)
        if envelope.get("format") != SEALED_KEYS_FORMAT:
            raise ValueError(envelope.get("format"))
        key = _derive(passphrase, base64.b64decode(envelope["salt"]))
        aad = f"{SEALED_KEYS_FORMAT}|{node_id}".encode()
        plain = AESGCM(key).decrypt(
            base64.b64decode(envelope["nonce"]), base64.b64decode(envelope["ciphertext"]), aad
        )
        files: dict[str, str] = json.loads(plain)
    except (InvalidTag, ValueError, KeyError, TypeError):
        raise KeysUnsealFailed(
            "the backup's keys do not open",
            hint="check the passphrase; the keys are bound to the node the backup came from",
        ) from None
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(directory, 0o700)
    for name, data in files.items():
        if "/" in name or name.startswith("."):
            raise KeysUnsealFailed(f"the sealed keys name an unsafe file {name!r}")
        fd = os.open(directory / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(base64.b64decode(data))
    return sorted(files)
