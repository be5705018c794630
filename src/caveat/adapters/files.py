"""The data directory's file modes: private to the node's account.

The database holds password hashes, sealed TOTP seeds and every title and label; the
data directory holds the keys. Nothing in it is for other local accounts: the
directory is 0700 and the database (with SQLite's -wal and -shm files, which SQLite
creates with the database file's mode) 0600. ``serve`` refuses wider modes.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path

from caveat.domain.errors import CaveatError, ErrorKind

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


class InsecureFileMode(CaveatError):
    """Raised when the data directory or database can be read by other local accounts."""

    code = "insecure_file_mode"
    kind = ErrorKind.INVALID


def make_private_dir(path: Path) -> None:
    """Create ``path`` (and parents) if missing and make it 0700."""
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    os.chmod(path, PRIVATE_DIR)


def create_private_file(path: Path) -> None:
    """Create ``path`` empty with mode 0600 if it does not exist (never widens one)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except FileExistsError:
        return
    os.close(fd)


def require_private(directory: Path, files: Iterable[Path]) -> None:
    """Refuse a data directory or file that group or others may access."""
    wide = [
        (p, stat.S_IMODE(p.stat().st_mode))
        for p in (directory, *files)
        if p.exists() and stat.S_IMODE(p.stat().st_mode) & 0o077
    ]
    if wide:
        listed = ", ".join(f"{p} ({mode:o})" for p, mode in wide)
        fixes = "; ".join(f"chmod {700 if p.is_dir() else 600} {p}" for p, _ in wide)
        raise InsecureFileMode(
            f"other local accounts can read the node's data: {listed}",
            hint=f"make them private to this account: {fixes}",
        )


def sqlite_files(database: Path) -> list[Path]:
    """The database file and the WAL and shared-memory files beside it."""
    return [
        database,
        database.with_name(database.name + "-wal"),
        database.with_name(database.name + "-shm"),
    ]
