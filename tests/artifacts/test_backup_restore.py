"""``caveat backup`` / ``caveat restore``: a consistent online snapshot that restores into
a fresh node which verifies; incomplete, altered or mis-keyed backups are refused whole,
also after the backup process is killed with SIGKILL."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from caveat.adapters.backup import KeysUnsealFailed
from caveat.bootstrap.backup import BackupIncomplete, RestoreRefused, backup, restore
from caveat.bootstrap.container import open_node
from caveat.bootstrap.settings import HashProfile, Settings
from caveat.services.kernel.principal import ConsoleOperator
from caveat.services.kernel.uow import CallContext
from tests.artifacts.conftest import World

PASSPHRASE = "correct horse battery staple"


def _quiet(_: str) -> None:
    pass


@pytest.fixture
def target_url(tmp_path: Path, database_url: str) -> Iterator[str]:
    """An empty database of the kind the suite runs on, for the restored node."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored-db' / 'caveat.db'}"
        return
    base = make_url(database_url)
    name = f"caveat_restore_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield base.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _target(tmp_path: Path, url: str, name: str = "restored") -> Settings:
    return Settings(
        data_dir=tmp_path / name,
        database_url=url,
        hash_profile=HashProfile.TEST,
        node_name="test-node",
    )


@pytest.fixture
def stocked(world: World, alice: object, settings: Settings) -> Settings:
    for i in range(3):
        world.put(alice, f"trial data {i}".encode() * 100, label="UNCLASSIFIED", title=f"run {i}")  # type: ignore[arg-type]
    return settings


def test_a_backup_restores_into_a_fresh_node_that_verifies(
    stocked: Settings, tmp_path: Path, target_url: str
) -> None:
    summary = backup(stocked, tmp_path / "backup", PASSPHRASE, _quiet)
    assert summary.blobs >= 3
    restored = _target(tmp_path, target_url)
    restore(restored, tmp_path / "backup", PASSPHRASE, _quiet)
    node = open_node(restored)
    try:
        assert node.ledger_verifier.verify().ok  # caveat audit verify
        report = node.artifact_admin.verify(ConsoleOperator(), CallContext.cli())  # verify --all
        assert report.artifacts == 3
        assert not report.problems
        assert node.ledger.checkpoint_at(summary.checkpoint_size).root_hash.hex() == (
            summary.checkpoint_root
        )
    finally:
        node.close()


def test_a_backup_whose_ledger_was_changed_is_refused_and_leaves_nothing(
    stocked: Settings, tmp_path: Path, target_url: str
) -> None:
    source = tmp_path / "backup"
    backup(stocked, source, PASSPHRASE, _quiet)
    manifest = json.loads((source / "manifest.json").read_text())
    manifest["checkpoint"]["root_hash"] = "00" * 32  # a backup claiming another ledger
    (source / "manifest.json").write_text(json.dumps(manifest))
    restored = _target(tmp_path, target_url)
    with pytest.raises(RestoreRefused):
        restore(restored, source, PASSPHRASE, _quiet)
    assert not restored.data_dir.exists()


def test_an_edited_event_in_the_snapshot_is_refused(
    stocked: Settings, tmp_path: Path, target_url: str, database_url: str
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("edits the SQLite snapshot file; the PostgreSQL dump is covered above")
    source = tmp_path / "backup"
    backup(stocked, source, PASSPHRASE, _quiet)
    db = sqlite3.connect(source / "caveat.db")
    with db:  # an insider edits one recorded event in the backup and fixes the manifest
        db.execute("UPDATE events SET body = body || ' ' WHERE leaf_index = 2")
    db.close()
    manifest = json.loads((source / "manifest.json").read_text())
    manifest["files"]["caveat.db"] = hashlib.sha256((source / "caveat.db").read_bytes()).hexdigest()
    (source / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(RestoreRefused):
        restore(_target(tmp_path, target_url), source, PASSPHRASE, _quiet)


def test_a_wrong_passphrase_or_a_missing_manifest_is_refused(
    stocked: Settings, tmp_path: Path, target_url: str
) -> None:
    source = tmp_path / "backup"
    backup(stocked, source, PASSPHRASE, _quiet)
    restored = _target(tmp_path, target_url)
    with pytest.raises(KeysUnsealFailed):
        restore(restored, source, "not the passphrase at all", _quiet)
    assert not restored.data_dir.exists()
    (source / "manifest.json").unlink()
    with pytest.raises(BackupIncomplete):
        restore(restored, source, PASSPHRASE, _quiet)


@pytest.mark.slow
def test_a_backup_killed_midway_is_never_restored_and_the_node_is_unharmed(
    stocked: Settings, tmp_path: Path, target_url: str, database_url: str
) -> None:
    env = {
        **os.environ,
        "CAVEAT_DATABASE_URL": database_url,
        "CAVEAT_HASH_PROFILE": "test",
        "CAVEAT_BACKUP_PASSPHRASE": PASSPHRASE,
    }
    outcomes = []
    for i, delay in enumerate((0.5, 1.5, 2.5, 3.5, 6.0)):
        dest = tmp_path / f"killed-{i}"
        command = [sys.executable, "-m", "caveat", "--data-dir", str(stocked.data_dir)]
        process = subprocess.Popen(
            [*command, "backup", str(dest)], env=env, stdout=subprocess.DEVNULL
        )
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
        complete = (dest / "manifest.json").exists()
        outcomes.append(complete)
        if not complete and dest.exists():
            with pytest.raises(BackupIncomplete):
                restore(_target(tmp_path, target_url, f"r{i}"), dest, PASSPHRASE, _quiet)
    node = open_node(stocked)
    try:
        assert node.ledger_verifier.verify().ok
        assert not node.artifact_admin.verify(ConsoleOperator(), CallContext.cli()).problems
    finally:
        node.close()
    assert False in outcomes  # at least one kill landed mid-backup
