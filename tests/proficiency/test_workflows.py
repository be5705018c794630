"""The proficiency workflows beside submitting and closing, through the service on the
database under test: replacing a result while the round is open (with its history, its
event, and a label that may only tighten)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from caveat.adapters.db.models import EventRow
from caveat.bootstrap.container import Node
from caveat.domain.errors import Conflict, NotFound, PermissionDenied
from caveat.services.proficiency import ResultDraft
from tests.proficiency.support import VALUES, Trials, ctx


def _events(node: Node, kind: str) -> list[dict[str, Any]]:
    with node.uow.read() as session:
        bodies = session.scalars(select(EventRow.body).where(EventRow.type == kind)).all()
    return [json.loads(b)["data"] for b in bodies]


def _result(value: float, **more: Any) -> ResultDraft:
    return ResultDraft("Sphere A", value, "m^2", **more)


# -- replacing a result ---------------------------------------------------------------


def test_a_laboratory_replaces_its_result_while_open(trials: Trials) -> None:
    node = trials.node
    opened = trials.open()
    alice, nadia = trials.principal("alice"), trials.principal("nadia")
    (first,) = node.proficiency.submit(alice, ctx(), opened.id, [_result(0.1102)])
    assert first.revision == 1
    # A unit slip: 1102 cm² was meant as 0.1002 m²; the replacement converts as a submission.
    replaced = node.proficiency.resubmit(
        alice, ctx(), opened.id, ResultDraft("Sphere A", 1002.0, "cm^2", notes="typo fixed")
    )
    assert replaced.id == first.id
    assert replaced.revision == 2
    assert replaced.value == pytest.approx(0.1002)
    assert replaced.reported_unit == "cm^2"
    history = node.proficiency.submission_history(alice, ctx(), first.id)
    assert [(h.revision, h.current) for h in history] == [(1, False), (2, True)]
    assert history[0].value == pytest.approx(0.1102)
    assert history[0].replaced_by == "alice"
    (event,) = _events(node, "proficiency.result_replaced")
    assert event["submission_id"] == first.id
    assert event["revision"] == 2
    assert event["replaced_revision"] == 1
    assert "value" not in event  # the ledger names the result, never its number
    # Another laboratory's result (and its history) stays blind until close.
    with pytest.raises(NotFound) as info:
        node.proficiency.submission_history(nadia, ctx(), first.id)
    assert info.value.code == "unknown_submission"
    # The coordinator may read it; the score at close uses the replacement.
    assert len(node.proficiency.submission_history(trials.principal("pam"), ctx(), first.id)) == 2


def test_replacing_needs_a_result_of_ones_own_and_an_open_round(trials: Trials) -> None:
    node = trials.node
    opened = trials.open()
    nadia = trials.principal("nadia")
    with pytest.raises(Conflict) as info:  # nothing of NRL's to replace yet
        node.proficiency.resubmit(nadia, ctx(), opened.id, _result(0.1))
    assert info.value.code == "nothing_to_replace"
    with pytest.raises(NotFound):  # eve is outside the project: no such round
        node.proficiency.resubmit(trials.principal("eve"), ctx(), opened.id, _result(0.1))
    trials.submit_all(opened.id)
    closed = node.proficiency.close(trials.principal("pam"), ctx(), opened.id)
    assert closed.round.status == "closed"
    with pytest.raises(Conflict) as info:
        node.proficiency.resubmit(nadia, ctx(), opened.id, _result(0.1))
    assert info.value.code == "round_not_open"
    assert _events(node, "proficiency.result_replaced") == []
    # After close, every laboratory reads the others' histories under the same rules.
    mine = next(s for s in node.proficiency.submissions(nadia, ctx(), opened.id) if not s.own)
    assert len(node.proficiency.submission_history(nadia, ctx(), mine.id)) == 1


def test_replacing_keeps_or_tightens_the_label(trials: Trials) -> None:
    node = trials.node
    opened = trials.open()
    alice = trials.principal("alice")
    (first,) = node.proficiency.submit(alice, ctx(), opened.id, [_result(VALUES["alice"])])
    tighter = node.proficiency.resubmit(
        alice, ctx(), opened.id, _result(0.1001), label="SECRET//NOFORN"
    )
    assert "SECRET" in tighter.marking
    assert len(_events(node, "resource.relabelled")) >= 1
    with pytest.raises(PermissionDenied) as info:
        node.proficiency.resubmit(alice, ctx(), opened.id, _result(0.1003), label="UNCLASSIFIED")
    assert info.value.code == "edit_loosens_label"
    # Refused: nothing changed, the result stays at revision 2 under its tighter label.
    (still,) = node.proficiency.submissions(alice, ctx(), opened.id)
    assert still.revision == 2
    assert still.value == pytest.approx(0.1001)
    assert "SECRET" in still.marking
    assert first.id == still.id
