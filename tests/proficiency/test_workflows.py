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
from caveat.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from caveat.services.proficiency import ProcedureDraft, ResultDraft
from tests.proficiency.support import VALUES, Trials, ctx


def _events(node: Node, kind: str) -> list[dict[str, Any]]:
    with node.uow.read() as session:
        bodies = session.scalars(
            select(EventRow.body).where(EventRow.type == kind).order_by(EventRow.seq)
        ).all()
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


# -- declaring the procedure version followed -----------------------------------------


def _second_version(trials: Trials) -> str:
    """Version 2 of the round's procedure, approved (version 1, the round's, superseded)."""
    node = trials.node
    first = trials.procedure()
    procedure = node.proficiency.procedures(trials.principal("walt"))[0]
    assert procedure.versions[-1].id == first or procedure.versions[0].id == first
    second = node.proficiency.add_version(
        trials.principal("walt"),
        ctx(),
        procedure.id,
        ProcedureDraft(measurand="RCS, revised", unit="m^2", method="bistatic"),
        label="UNCLASSIFIED",
    )
    return node.proficiency.approve(trials.principal("pam"), ctx(), second.id).id


def test_laboratories_declare_the_version_they_follow(trials: Trials) -> None:
    node = trials.node
    opened = trials.open()
    first = opened.procedure_version_id
    second = _second_version(trials)
    alice, nadia = trials.principal("alice"), trials.principal("nadia")
    # Alice declares the round's version when she submits; Nadia declares version 2.
    node.proficiency.submit(
        alice, ctx(), opened.id, [_result(VALUES["alice"])], procedure_version=first
    )
    seen = node.proficiency.declare_procedure(nadia, ctx(), opened.id, second)
    (nrl,) = [lab for lab in seen.laboratories if lab.own]
    assert (nrl.declared_version, nrl.deviates) == (2, True)
    # Blind until close: Nadia does not see what AFRL declared; the coordinator does.
    assert all(lab.declared_version is None for lab in seen.laboratories if not lab.own)
    coordinator = node.proficiency.round(trials.principal("pam"), opened.id)
    declared = {lab.name.split()[1]: lab for lab in coordinator.laboratories}
    assert (declared["AFRL"].declared_version, declared["AFRL"].deviates) == (1, False)
    assert declared["NRL"].deviates
    assert declared["ARL"].declared_version is None
    events = _events(node, "proficiency.procedure_declared")
    assert [e["deviates"] for e in events] == [False, True]
    # A version of another procedure is not this round's to follow: refused as missing.
    other = trials.procedure(unit="GHz")
    with pytest.raises(NotFound) as info:
        node.proficiency.declare_procedure(nadia, ctx(), opened.id, other)
    assert info.value.code == "unknown_procedure"
    with pytest.raises(NotFound):  # eve is NRL's but no project member: no such round
        node.proficiency.declare_procedure(trials.principal("eve"), ctx(), opened.id, first)
    # At close: flagged in the event and beside the scores, for everyone.
    for who in ("nadia", "arlo", "sandy", "jolene"):
        node.proficiency.submit(
            trials.principal(who),
            ctx(),
            opened.id,
            [_result(VALUES[who], standard_uncertainty=0.002)],
        )
    node.proficiency.close(trials.principal("pam"), ctx(), opened.id)
    (closed,) = _events(node, "proficiency.round_closed")
    assert len(closed["procedures"]["deviating"]) == 1
    assert len(closed["procedures"]["undeclared"]) == 3
    (item,) = node.proficiency.results(trials.principal("arlo"), ctx(), opened.id).items
    assert sorted((s.declared_version, s.deviates) for s in item.scores if s.declared_version) == [
        (1, False),
        (2, True),
    ]
    with pytest.raises(Conflict) as refused:  # no declaring after close
        node.proficiency.declare_procedure(nadia, ctx(), opened.id, first)
    assert refused.value.code == "round_not_open"


# -- homogeneity and stability of the items -------------------------------------------

# Ten spheres measured twice (m^2): alike within 0.3 sigma_pt for sigma_pt = 0.005.
HOMOGENEOUS = [[0.1000 + d, 0.1002 + d] for d in (0, 1e-4, -1e-4, 2e-4, 0, -2e-4, 1e-4, 0, 0, 1e-4)]
UNEVEN = [[0.1000 + d, 0.1001 + d] for d in (0, 0.004, -0.004, 0.006, 0, -0.005, 0.003, 0, 0, 0)]


def test_the_coordinator_checks_homogeneity_and_stability(trials: Trials) -> None:
    node = trials.node
    opened = trials.open()
    pam = trials.principal("pam")
    with pytest.raises(PermissionDenied):  # a laboratory does not check the items
        node.proficiency.record_homogeneity(
            trials.principal("alice"), ctx(), opened.id, item="Sphere A", results=HOMOGENEOUS
        )
    with pytest.raises(InvalidInput) as info:  # sigma_pt comes from the results: give one
        node.proficiency.record_homogeneity(
            pam, ctx(), opened.id, item="Sphere A", results=HOMOGENEOUS
        )
    assert info.value.field == "sigma_pt"
    with pytest.raises(InvalidInput) as info:
        node.proficiency.record_homogeneity(
            pam, ctx(), opened.id, item="Sphere B", results=HOMOGENEOUS, sigma_pt=0.005
        )
    assert info.value.code == "unknown_round_item"
    good = node.proficiency.record_homogeneity(
        pam, ctx(), opened.id, item="Sphere A", results=HOMOGENEOUS, sigma_pt=0.005
    )
    assert good.passed
    assert good.criterion == pytest.approx(0.0015)
    assert good.statistic < good.criterion
    assert json.loads(good.outcome)["items"] == 10
    bad = node.proficiency.record_homogeneity(
        pam, ctx(), opened.id, item="Sphere A", results=UNEVEN, sigma_pt=0.005
    )
    assert not bad.passed
    moved = node.proficiency.record_stability(
        pam,
        ctx(),
        opened.id,
        item="Sphere A",
        before=[0.1, 0.1002],
        after=[0.1030, 0.1034],
        sigma_pt=0.005,
    )
    assert not moved.passed
    assert moved.statistic == pytest.approx(0.0031)
    # The newest of each kind is in force; the page names what fails.
    seen = node.proficiency.workflow(trials.principal("nadia"), opened.id)
    assert [(c.kind, c.in_force) for c in seen.checks] == [
        ("stability", True),
        ("homogeneity", True),
        ("homogeneity", False),
    ]
    assert seen.failing == ("Sphere A: homogeneity", "Sphere A: stability")
    events = _events(node, "proficiency.item_check_recorded")
    assert [e["passed"] for e in events] == [True, False, False]
    # A failing check does not refuse the close: it is flagged in the close's event.
    trials.submit_all(opened.id)
    node.proficiency.close(pam, ctx(), opened.id)
    (closed,) = _events(node, "proficiency.round_closed")
    assert closed["item_checks"]["failing"] == ["Sphere A: homogeneity", "Sphere A: stability"]
    with pytest.raises(Conflict) as refused:
        node.proficiency.record_stability(
            pam, ctx(), opened.id, item="Sphere A", before=[0.1], after=[0.1], sigma_pt=0.005
        )
    assert refused.value.code == "round_not_open"


def test_a_prescribed_sigma_is_the_checks_own(trials: Trials) -> None:
    from caveat.services.proficiency import Methods

    node = trials.node
    opened = trials.open(methods=Methods(sigma_method="prescribed", sigma_value=0.005))
    made = node.proficiency.record_stability(
        trials.principal("pam"), ctx(), opened.id, item="Sphere A", before=[0.1], after=[0.1001]
    )
    assert made.passed
    assert made.sigma_pt == 0.005
    unchecked = node.proficiency.workflow(trials.principal("pam"), opened.id).unchecked
    assert unchecked == ("Sphere A: homogeneity",)


# -- precision studies (ISO 5725-2) ---------------------------------------------------


def _precision_round(trials: Trials) -> str:
    from caveat.services.proficiency import ItemDraft

    opened = trials.open(items=(ItemDraft("Sphere A"),), kind="precision_study")
    assert opened.kind == "precision_study"
    for who, value in VALUES.items():
        trials.node.proficiency.submit(
            trials.principal(who),
            ctx(),
            opened.id,
            [_result(value, replicates=(value - 0.0002, value + 0.0002))],
        )
    return opened.id


def test_a_precision_study_closes_with_iso_5725_statistics(trials: Trials) -> None:
    node = trials.node
    round_id = _precision_round(trials)
    alice = trials.principal("alice")
    assert node.proficiency.precision(alice, ctx(), round_id) == ()  # nothing before close
    closed = node.proficiency.close(trials.principal("pam"), ctx(), round_id)
    assert closed.round.status == "closed"
    assert closed.items == ()  # no ISO 13528 scores in a precision study
    (level,) = node.proficiency.precision(alice, ctx(), round_id)
    arl = next(lab.code for lab in closed.round.laboratories if lab.name.endswith("ARL"))
    # ARL's mean is Grubbs' outlier (G = 1.79 > 1.764 at 1 % for p = 5): set aside.
    assert level.outliers == (arl,)
    assert level.laboratories == 5
    assert level.s_r == pytest.approx(0.0004 / 2**0.5)
    assert level.r == pytest.approx(2.8 * level.s_r)
    assert pytest.approx(2.8 * level.s_R) == level.R
    assert level.s_R >= level.s_r
    assert level.all_s_R > level.s_R  # the outlier widened reproducibility
    kinds = [t.kind for t in level.tests]
    assert kinds[0] == "cochran"
    assert "grubbs_high" in kinds
    assert level.mandel_h_critical[1] > level.mandel_h_critical[0]
    flags = {c.code: c.flag for c in level.cells}
    assert flags[arl] == "outlier"
    assert len(level.cells) == 5  # every result is readable after close
    assert all(c.mandel_k is not None for c in level.cells)
    (closed_event,) = _events(node, "proficiency.round_closed")
    assert closed_event["kind"] == "precision_study"
    assert closed_event["levels"][0]["outliers"] == [arl]
    assert closed_event["levels"][0]["s_r"] == pytest.approx(level.s_r)
    # A round kind that is not one is refused, the field named.
    with pytest.raises(InvalidInput) as info:
        trials.open(kind="survey")
    assert info.value.field == "kind"


def test_a_precision_study_without_enough_laboratories_stays_open(trials: Trials) -> None:
    node = trials.node
    opened = trials.open(kind="precision_study")
    node.proficiency.submit(
        trials.principal("alice"), ctx(), opened.id, [_result(0.1, replicates=(0.1, 0.1002))]
    )
    with pytest.raises(Conflict) as info:
        node.proficiency.close(trials.principal("pam"), ctx(), opened.id)
    assert info.value.code == "round_not_evaluable"
    assert node.proficiency.round(trials.principal("pam"), opened.id).status == "open"
