"""Tampering with event rows, tree nodes or checkpoints is found, with the first bad index."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import bindparam, text

from caveat.adapters.db.types import UTCDateTime
from caveat.bootstrap.container import Node
from caveat.services.ledger._verify import LedgerTampered, VerifyReport
from tests.ledger.support import add_events, execute

SIZE = 44  # 40 events and the node's own 4


@pytest.fixture
def log(node: Node) -> Node:
    add_events(node, 40)
    node.ledger.publish_now()
    node.ledger_verifier.verify().require_ok()
    return node


def _failed(node: Node) -> VerifyReport:
    report = node.ledger_verifier.verify()
    assert not report.ok
    with pytest.raises(LedgerTampered):
        report.require_ok()
    return report


def test_an_untouched_log_verifies(log: Node) -> None:
    report = log.ledger_verifier.verify()
    assert (report.entries, report.checkpoints, report.findings) == (SIZE, 1, [])


def test_editing_an_event_body_is_found(log: Node) -> None:
    execute(
        log.engine,
        "UPDATE events SET body = replace(body, :a, :b) WHERE leaf_index = 17",
        a='"n":13',  # leaf 17 = event 13 after the node's own 4
        b='"n":99',
    )
    report = _failed(log)
    assert report.first_bad_index == 17
    assert {f.kind for f in report.findings} >= {"node_hash", "checkpoint_root"}


def test_editing_an_indexed_column_is_found(log: Node) -> None:
    execute(log.engine, "UPDATE events SET actor_name = 'someone-else' WHERE leaf_index = 5")
    report = _failed(log)
    assert report.first_bad_index == 5
    assert report.findings[0].kind == "row_mismatch"


def test_deleting_an_event_is_found(log: Node) -> None:
    execute(log.engine, "DELETE FROM events WHERE leaf_index = 10")
    assert _failed(log).first_bad_index == 10


def test_reordering_events_is_found(log: Node) -> None:
    execute(log.engine, "UPDATE events SET leaf_index = -1 WHERE leaf_index = 20")
    execute(log.engine, "UPDATE events SET leaf_index = 20 WHERE leaf_index = 21")
    execute(log.engine, "UPDATE events SET leaf_index = 21 WHERE leaf_index = -1")
    assert _failed(log).first_bad_index == 20


def test_inserting_an_event_among_integrated_ones_is_found(log: Node) -> None:
    # Make room at 30 (through negative values: unique checks are per row on PostgreSQL).
    execute(log.engine, "UPDATE events SET leaf_index = -leaf_index - 1 WHERE leaf_index >= 30")
    execute(log.engine, "UPDATE events SET leaf_index = -leaf_index WHERE leaf_index < 0")
    execute(
        log.engine,
        "INSERT INTO events (id, type, type_version, occurred_at, actor_kind, actor_id,"
        " actor_name, target_type, target_id, outcome, request_id, node_id, body, leaf_index)"
        " SELECT 'forged-0000', type, type_version, occurred_at, actor_kind, actor_id,"
        " actor_name, target_type, target_id, outcome, request_id, node_id, body, 30"
        " FROM events WHERE leaf_index = 29",
    )
    assert _failed(log).first_bad_index == 30


def test_inserting_an_unintegrated_event_with_an_old_sequence_number_is_found(log: Node) -> None:
    backdated = text(
        "INSERT INTO events (seq, id, type, type_version, occurred_at, actor_kind, actor_id,"
        " actor_name, target_type, target_id, outcome, request_id, node_id, body)"
        " SELECT 0, 'forged-0001', type, type_version, :at, actor_kind, actor_id,"
        " actor_name, target_type, target_id, outcome, request_id, node_id, body"
        " FROM events WHERE leaf_index = 0"
    ).bindparams(bindparam("at", type_=UTCDateTime()))
    with log.engine.begin() as conn:
        conn.execute(backdated, {"at": datetime(2026, 1, 1, tzinfo=UTC)})
    report = _failed(log)
    assert report.findings[0].kind == "inserted_row"
    assert report.first_bad_index == 0


def test_truncating_the_log_is_found(log: Node) -> None:
    execute(log.engine, "DELETE FROM events WHERE leaf_index >= 38")
    execute(log.engine, "DELETE FROM ledger_nodes WHERE idx >= 38 AND level = 0")
    execute(log.engine, "DELETE FROM ledger_nodes WHERE level > 0 AND idx * power(2, level) >= 32")
    report = _failed(log)
    assert report.first_bad_index == 38 or report.first_bad_index == 32


def test_altering_a_stored_subtree_hash_is_found(log: Node) -> None:
    execute(
        log.engine,
        "UPDATE ledger_nodes SET hash = (SELECT hash FROM ledger_nodes WHERE level = 1 AND idx = 0)"
        " WHERE level = 1 AND idx = 3",
    )
    assert _failed(log).first_bad_index == 6


def test_altering_a_checkpoint_note_is_found(log: Node) -> None:
    execute(log.engine, "UPDATE ledger_checkpoints SET note = replace(note, '\n44\n', '\n43\n')")
    report = _failed(log)
    assert report.findings[0].kind == "checkpoint_signature"
    assert "size 44" in report.findings[0].detail


def test_altering_a_checkpoint_row_is_found(log: Node) -> None:
    execute(log.engine, "UPDATE ledger_checkpoints SET size = 40")
    assert "checkpoint_row" in {f.kind for f in _failed(log).findings}


def test_rewriting_history_with_matching_hashes_is_found_by_the_checkpoint(log: Node) -> None:
    """An attacker who also rewrites every stored hash is still caught by the signature."""
    execute(
        log.engine,
        "UPDATE events SET body = replace(body, :a, :b) WHERE leaf_index = 6",
        a='"n":2',  # leaf 6 = event 2
        b='"n":4',
    )
    execute(log.engine, "DELETE FROM ledger_nodes")
    execute(log.engine, "UPDATE events SET leaf_index = NULL")
    log.ledger.integrate()  # recomputes every stored hash from the edited rows
    report = _failed(log)
    assert [f.kind for f in report.findings] == ["checkpoint_root"]
    assert report.first_bad_index == 0  # the signed root bounds the damage to [0, 44)
