"""Pinned witness keys in `caveat audit verify-bundle` (review finding, 2026-12-04): whoever
holds the log's signing key can re-sign rewritten history and cosign it with a witness
key of their own, listed in the bundle's header; with the partner's witness keys pinned
(obtained out of band) such a bundle fails."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from caveat.bootstrap.container import Node
from caveat.domain.errors import InvalidInput
from caveat.domain.ledger.note import CosignatureV1Signer, add_signatures
from caveat.services.kernel.principal import ConsoleOperator
from caveat.services.kernel.uow import CallContext
from caveat.services.ledger._bundle import verify_bundle
from tests.ledger.support import add_events
from tests.ledger.test_bundle import _offline


def _witness(name: str) -> CosignatureV1Signer:
    return CosignatureV1Signer(name, Ed25519PrivateKey.generate(), timestamp=int(time.time()))


def _bundle(node: Node, path: Path, *cosigners: CosignatureV1Signer) -> Path:
    """An exported bundle whose checkpoints carry the cosigners' signatures, and whose
    header lists their keys (as a bundle exported by a node with those witnesses does)."""
    add_events(node, 40)
    node.ledger.publish_now()
    add_events(node, 10)
    node.ledger.publish_now()
    node.bundles.export(ConsoleOperator(), CallContext.cli(), path)
    records = [json.loads(line) for line in path.read_text().splitlines()]
    records[0]["witnesses"] = [{"name": w.name, "vkey": w.verifier().vkey} for w in cosigners]
    for record in records:
        if "checkpoint" in record and cosigners:
            record["checkpoint"] = add_signatures(record["checkpoint"], list(cosigners))
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def test_a_bundle_cosigned_by_the_pinned_witness_verifies(node: Node, tmp_path: Path) -> None:
    partner = _witness("partner-witness")
    bundle = _bundle(node, tmp_path / "b.jsonl", partner)
    log_key, witness_key = node.ledger.verifier().vkey, partner.verifier().vkey
    report = verify_bundle(bundle, log_vkey=log_key, witness_vkeys=[witness_key])
    assert report.ok, report.findings
    assert report.cosignatures == 2
    done = _offline(bundle, "--log-key", log_key, "--witness-key", witness_key)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_witness_of_the_forgers_own_fails_against_the_pinned_one(
    node: Node, tmp_path: Path
) -> None:
    partner, forger = _witness("partner-witness"), _witness("partner-witness")  # same name
    bundle = _bundle(node, tmp_path / "b.jsonl", forger)
    log_key = node.ledger.verifier().vkey
    assert verify_bundle(bundle, log_vkey=log_key).ok  # trusting the header: the hole
    report = verify_bundle(bundle, log_vkey=log_key, witness_vkeys=[partner.verifier().vkey])
    kinds = [f.kind for f in report.findings]
    assert kinds == ["too_few_cosignatures", "too_few_cosignatures", "uncovered_entries"]
    assert report.covered == 0
    done = _offline(bundle, "--log-key", log_key, "--witness-key", partner.verifier().vkey)
    assert done.returncode == 1
    assert json.loads(done.stdout)["ok"] is False


def test_an_uncosigned_bundle_fails_when_a_witness_is_pinned(node: Node, tmp_path: Path) -> None:
    bundle = _bundle(node, tmp_path / "b.jsonl")
    pinned = [_witness("partner-witness").verifier().vkey]
    report = verify_bundle(bundle, witness_vkeys=pinned)
    assert not report.ok
    assert report.covered == 0
    # ... and passes when the verifier asks for no cosignature (the log key alone).
    assert verify_bundle(bundle, witness_vkeys=pinned, min_cosignatures=0).ok


def test_two_of_two_pinned_witnesses(node: Node, tmp_path: Path) -> None:
    first, second = _witness("witness-a"), _witness("witness-b")
    keys = [first.verifier().vkey, second.verifier().vkey]
    one = _bundle(node, tmp_path / "one.jsonl", first)
    assert verify_bundle(one, witness_vkeys=keys).ok  # one of them is the default
    assert not verify_bundle(one, witness_vkeys=keys, min_cosignatures=2).ok
    both = _bundle(node, tmp_path / "both.jsonl", first, second)
    assert verify_bundle(both, witness_vkeys=keys, min_cosignatures=2).ok


def test_more_cosignatures_than_pinned_keys_is_refused(node: Node, tmp_path: Path) -> None:
    bundle = _bundle(node, tmp_path / "b.jsonl")
    with pytest.raises(InvalidInput) as refused:
        verify_bundle(bundle, min_cosignatures=1)
    assert refused.value.code == "witness_keys_needed"
    done = _offline(
        bundle, "--min-cosignatures", "2", "--witness-key", _witness("w").verifier().vkey
    )
    assert done.returncode != 0
    assert "witness_keys_needed" in done.stdout + done.stderr
