"""A private directory on tmpfs (``/dev/shm``), for the local blob store's memory-file-system
paths (ADR 0031, ADR 0032); the test is skipped where there is none."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

SHM = "/dev/shm"  # noqa: S108 - a private temporary directory is made under it


def tmpfs_mounted(path: str) -> bool:
    """Whether ``path`` is a tmpfs mount point (by /proc/mounts)."""
    if not os.path.exists("/proc/mounts"):
        return False
    with open("/proc/mounts") as mounts:
        return any(line.split()[1:3] == [path, "tmpfs"] for line in mounts)


@contextlib.contextmanager
def tmpfs_directory() -> Iterator[Path]:
    """A temporary directory on tmpfs, removed afterwards; skips the test without one."""
    if not tmpfs_mounted(SHM):
        pytest.skip("no tmpfs at /dev/shm")
    with tempfile.TemporaryDirectory(prefix="caveat-test-", dir=SHM) as tmp:
        yield Path(tmp)
