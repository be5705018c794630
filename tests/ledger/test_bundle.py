"""Bundles verify offline (no database, no server) and tampering with them is found."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from caveat.bootstrap.container import Node
from caveat.domain.ledger import Ed25519Signer
from caveat.services.kernel.principal import ConsoleOperator
from caveat.services.kernel.uow import CallContext
from caveat.services.ledger._bundle import BundleInvalid, verify_bundle
from tests.ledger.support import add_events


@pytest.fixture
def bundle(node: Node, tmp_path: Path) -> Path:
    add_events(node, 120)
    node.ledger.publish_now()
    add_events(node, 30)
    path = tmp_path / "ledger.jsonl"
    summary = node.bundles.export(ConsoleOperator(), CallContext.cli(), path)
    assert summary.checkpoints == 2
    return path


def _offline(path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`caveat audit verify-bundle` with no data directory, database or server around."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAVEAT_")}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "caveat",
            "--data-dir",
            str(path.parent / "nowhere"),
            "audit",
            "verify-bundle",
            str(path),
            "--json",
            *args,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_bundle_verifies_offline_with_the_pinned_key(bundle: Path, node: Node) -> None:
    done = _offline(bundle, "--log-key", node.ledger.verifier().vkey)
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(done.stdout)
    assert result["ok"]
    assert result["checkpoints"] == 2
    assert result["entries"] > 150
    assert not (bundle.parent / "nowhere").exists()


def test_a_wrong_pinned_key_fails(bundle: Path) -> None:
    vkey = Ed25519Signer.generate("test-node").verifier().vkey  # same name, another key
    report = verify_bundle(bundle, log_vkey=vkey)
    assert [f.kind for f in report.findings] == ["log_key"]
    assert _offline(bundle, "--log-key", vkey).returncode == 1


def _rewrite(path: Path, change: object) -> None:
    lines = path.read_text().splitlines()
    path.write_text("\n".join(change(lines)) + "\n")  # type: ignore[operator]


def test_an_edited_entry_is_found(bundle: Path) -> None:
    def edit(lines: list[str]) -> list[str]:
        record = json.loads(lines[10])
        record["body"] = record["body"].replace('"n":', '"n":1')
        lines[10] = json.dumps(record)
        return lines

    _rewrite(bundle, edit)
    report = verify_bundle(bundle)
    assert not report.ok
    assert report.first_bad_index == 0
    done = _offline(bundle)
    assert done.returncode == 1
    assert json.loads(done.stdout)["ok"] is False


def test_a_dropped_entry_is_found(bundle: Path) -> None:
    _rewrite(bundle, lambda lines: lines[:40] + lines[41:])
    report = verify_bundle(bundle)
    assert not report.ok
    assert report.first_bad_index == 39


def test_an_altered_checkpoint_is_found(bundle: Path) -> None:
    def alter(lines: list[str]) -> list[str]:
        record = json.loads(lines[-1])
        head, _, rest = record["checkpoint"].partition("\n")
        size, _, rest = rest.partition("\n")
        record["checkpoint"] = f"{head}\n{int(size) - 1}\n{rest}"
        lines[-1] = json.dumps(record)
        return lines

    _rewrite(bundle, alter)
    report = verify_bundle(bundle)
    # The altered checkpoint no longer vouches for anything: what only it covered is
    # covered by no verified checkpoint.
    assert [f.kind for f in report.findings] == ["checkpoint_signature", "uncovered_entries"]


def _entries(lines: list[str]) -> list[int]:
    return [i for i, line in enumerate(lines) if '"body"' in line]


def test_an_entry_forged_after_the_last_checkpoint_fails_with_the_key_pinned(
    bundle: Path, node: Node
) -> None:
    def forge(lines: list[str]) -> list[str]:
        last = _entries(lines)[-1]
        record = json.loads(lines[last])
        forged = {"i": record["i"] + 1, "body": record["body"].replace('"n":', '"n":9')}
        return [*lines[: last + 1], json.dumps(forged), *lines[last + 1 :]]

    _rewrite(bundle, forge)
    done = _offline(bundle, "--log-key", node.ledger.verifier().vkey)
    assert done.returncode == 1, done.stdout
    result = json.loads(done.stdout)
    size = result["entries"] - 1
    assert result["covered"] == size
    assert [f["kind"] for f in result["findings"]] == ["size_mismatch", "uncovered_entries"]
    assert result["first_bad_index"] == size


def test_entries_rewritten_after_an_old_checkpoint_fail(bundle: Path, node: Node) -> None:
    def keep_only_the_old_checkpoint_and_rewrite(lines: list[str]) -> list[str]:
        old = json.loads(lines[-2])["checkpoint"].split("\n")[1]
        lines = lines[:-1]  # the newer checkpoint goes, as a rewriter would drop it
        target = _entries(lines)[int(old) + 5]
        record = json.loads(lines[target])
        record["body"] = record["body"].replace('"n":', '"n":7')
        lines[target] = json.dumps(record)
        return lines

    _rewrite(bundle, keep_only_the_old_checkpoint_and_rewrite)
    report = verify_bundle(bundle, log_vkey=node.ledger.verifier().vkey)
    assert [f.kind for f in report.findings] == ["uncovered_entries"]
    assert 100 < report.covered < report.entries


def test_garbage_is_not_a_bundle(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text("hello\n")
    with pytest.raises(BundleInvalid):
        verify_bundle(path)


def test_a_bundle_cut_back_to_an_old_checkpoint_fails(bundle: Path, node: Node) -> None:
    def cut(lines: list[str]) -> list[str]:
        old = int(json.loads(lines[-2])["checkpoint"].split("\n")[1])
        return [*lines[: 1 + old], lines[-2]]  # header, the entries it covers, itself

    _rewrite(bundle, cut)
    report = verify_bundle(bundle, log_vkey=node.ledger.verifier().vkey)
    assert [f.kind for f in report.findings] == ["size_mismatch"]
