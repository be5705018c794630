"""``caveat backup`` and ``caveat restore``: a consistent online snapshot of a node, and
a restore that refuses anything whose ledger does not verify.

A backup directory holds the database snapshot, the local blobs, the keys sealed under a
passphrase (``keys.sealed``), and ``manifest.json`` — written last, atomically, with the
SHA-256 of every file and the ledger checkpoint signed just before the snapshot. A
backup killed half-way has no manifest and is refused whole.

Order matters: checkpoint, then database snapshot, then blobs. Every blob the snapshot
names was written before the commit that named it, so it is there when blobs are
copied; blobs written later are orphans the start-up sweep removes.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, text

from caveat.adapters.backup import (
    pg_dump,
    pg_restore,
    require_passphrase,
    seal_keys,
    sqlite_snapshot,
    unseal_keys,
)
from caveat.adapters.db.engine import make_engine
from caveat.adapters.files import make_private_dir
from caveat.bootstrap.container import Node, open_node
from caveat.bootstrap.settings import Settings
from caveat.domain.errors import CaveatError, Conflict, ErrorKind, InvalidInput
from caveat.services.kernel.principal import ConsoleOperator

MANIFEST = "manifest.json"
FORMAT = "caveat-backup-v1"
Progress = Callable[[str], None]


class BackupIncomplete(CaveatError):
    """Raised when a backup has no manifest, or its files do not match the manifest."""

    code = "backup_incomplete"
    kind = ErrorKind.INTEGRITY


class RestoreRefused(CaveatError):
    """Raised when the restored ledger does not verify or does not match the manifest's
    checkpoint; everything the restore wrote is removed again."""

    code = "restore_refused"
    kind = ErrorKind.INTEGRITY


@dataclass(frozen=True, slots=True)
class BackupSummary:
    """What a backup holds."""

    path: str
    node_id: str
    database: str  # sqlite | postgresql
    blobs: int
    checkpoint_size: int
    checkpoint_root: str
    created_at: datetime


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _blob_dir(settings: Settings) -> Path:
    return settings.blob_dir or settings.data_dir / "blobs"


def _fresh_directory(path: Path) -> None:
    if path.exists() and any(path.iterdir()):
        raise Conflict(f"{path} is not empty", code="target_not_empty", field="dest")
    make_private_dir(path)


def backup(settings: Settings, dest: Path, passphrase: str, progress: Progress) -> BackupSummary:
    """Snapshot the node in ``settings`` into the new directory ``dest``."""
    require_passphrase(passphrase)
    if settings.blob_store != "local":
        raise InvalidInput(
            "backup copies local blobs; an S3 bucket is backed up with the store's own "
            "versioning and replication",
            code="unsupported_blob_store",
        )
    _fresh_directory(dest)
    node = open_node(settings)
    try:
        progress("publishing a checkpoint")
        checkpoint = node.ledger.publish_checkpoint(ConsoleOperator())
        progress(f"checkpoint at {checkpoint.size} entries; snapshotting the database")
        database = node.engine.dialect.name
        if database == "sqlite":
            source = Path(str(node.engine.url.database))
            sqlite_snapshot(source, dest / "caveat.db")
        else:
            pg_dump(settings.resolved_database_url(), dest / "database.dump")
        (dest / "keys.sealed").write_bytes(
            seal_keys(node.keys.directory, passphrase, node_id=node.identity.id)
        )
        blobs = _copy_tree(_blob_dir(settings), dest / "blobs", progress)
        files = {
            str(p.relative_to(dest)): _sha256(p)
            for p in sorted(dest.rglob("*"))
            if p.is_file() and p.name != MANIFEST
        }
        created = node.uow.clock()
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "node_id": node.identity.id,
            "node_name": node.identity.name,
            "database": database,
            "created_at": created.isoformat(),
            "checkpoint": {
                "size": checkpoint.size,
                "root_hash": checkpoint.root_hash.hex(),
                "note": checkpoint.note,
            },
            "files": files,
        }
        tmp = dest / (MANIFEST + ".tmp")
        tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True))
        os.replace(tmp, dest / MANIFEST)  # the backup exists from this rename on
        return BackupSummary(
            str(dest),
            node.identity.id,
            database,
            blobs,
            checkpoint.size,
            checkpoint.root_hash.hex(),
            created,
        )
    finally:
        node.close()


def _copy_tree(source: Path, target: Path, progress: Progress) -> int:
    copied = 0
    if not source.exists():
        return 0
    for path in sorted(source.rglob("*")):
        if not path.is_file() or path.name.endswith(".tmp"):
            continue  # an upload still being written is not part of any committed state
        out = target / path.relative_to(source)
        out.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        shutil.copyfile(path, out)
        os.chmod(out, 0o600)
        copied += 1
        if copied % 500 == 0:
            progress(f"{copied} blobs copied")
    return copied


def read_manifest(source: Path) -> dict[str, Any]:
    """The manifest of a complete backup, every file checked against it."""
    path = source / MANIFEST
    if not path.is_file():
        raise BackupIncomplete(
            f"{source} has no {MANIFEST}: the backup did not finish",
            hint="take a new backup; an unfinished one is never restored",
        )
    manifest: dict[str, Any] = json.loads(path.read_text())
    if manifest.get("format") != FORMAT:
        raise BackupIncomplete(f"unknown backup format {manifest.get('format')!r}")
    for name, digest in manifest["files"].items():
        file = source / name
        if not file.is_file() or _sha256(file) != digest:
            raise BackupIncomplete(f"{name} is missing or differs from the manifest")
    return manifest


def restore(settings: Settings, source: Path, passphrase: str, progress: Progress) -> BackupSummary:
    """Restore the backup in ``source`` into the (empty) node of ``settings``, then verify
    its ledger against the manifest's checkpoint; on any failure remove what was written."""
    manifest = read_manifest(source)
    _fresh_directory(settings.data_dir)
    url = settings.resolved_database_url()
    try:
        unseal_keys(
            (source / "keys.sealed").read_bytes(),
            passphrase,
            node_id=manifest["node_id"],
            directory=settings.data_dir / "keys",
        )
        progress("keys unsealed; restoring the database")
        _restore_database(manifest["database"], source, url)
        blobs = _copy_tree(source / "blobs", _blob_dir(settings), progress)
        progress("verifying the restored ledger")
        _verify(settings, manifest)
    except BaseException:
        _undo(settings, url)
        raise
    checkpoint = manifest["checkpoint"]
    return BackupSummary(
        str(source),
        manifest["node_id"],
        manifest["database"],
        blobs,
        checkpoint["size"],
        checkpoint["root_hash"],
        datetime.fromisoformat(manifest["created_at"]),
    )


def _restore_database(kind: str, source: Path, url: str) -> None:
    engine = make_engine(url)
    try:
        if engine.dialect.name != kind:
            raise InvalidInput(
                f"the backup holds a {kind} database; the target is {engine.dialect.name}",
                code="database_mismatch",
            )
        if inspect(engine).get_table_names():
            raise Conflict("the target database is not empty", code="target_not_empty")
    finally:
        engine.dispose()
    if kind == "sqlite":
        target = Path(str(make_engine(url).url.database))
        target.unlink(missing_ok=True)  # the empty file make_engine created
        shutil.copyfile(source / "caveat.db", target)
        os.chmod(target, 0o600)
    else:
        pg_restore(url, source / "database.dump")


def _verify(settings: Settings, manifest: dict[str, Any]) -> None:
    node: Node = open_node(settings)
    try:
        report = node.ledger_verifier.verify()
        if not report.ok:
            raise RestoreRefused(
                f"the restored ledger does not verify: {report.findings[0].detail}",
                data={"first_bad_index": report.first_bad_index},
            )
        expected = manifest["checkpoint"]
        found = node.ledger.checkpoint_at(expected["size"])
        if (
            found.root_hash.hex() != expected["root_hash"]
            or node.identity.id != manifest["node_id"]
        ):
            raise RestoreRefused("the restored ledger is not the one the backup recorded")
    except CaveatError as exc:
        if isinstance(exc, RestoreRefused):
            raise
        raise RestoreRefused(f"the restored node does not open cleanly: {exc.detail}") from exc
    finally:
        node.close()


def _undo(settings: Settings, url: str) -> None:
    """Fail closed: nothing of a refused restore stays usable."""
    engine = make_engine(url)
    try:
        if engine.dialect.name == "postgresql":
            with engine.begin() as conn:
                for name in inspect(conn).get_table_names():
                    conn.execute(text(f'DROP TABLE IF EXISTS "{name}" CASCADE'))
    finally:
        engine.dispose()
    shutil.rmtree(settings.data_dir, ignore_errors=True)
