"""The proficiency service end to end on the database under test: procedures and their
approval, opening a round, submissions with units converted, blindness until close, the
close's scores and its ledger event."""

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


def test_a_round_from_procedure_to_scores(trials: Trials) -> None:
    node = trials.node
    opened = trials.open()
    assert opened.status == "open"
    assert [lab.code for lab in opened.laboratories] == ["L01", "L02", "L03", "L04", "L05"]
    assert opened.is_coordinator
    trials.submit_all(opened.id)
    results = node.proficiency.close(trials.principal("pam"), ctx(), opened.id)
    assert results.round.status == "closed"
    (item,) = results.items
    assert item.participants == 5
    assert item.assigned_method == "consensus"
    assert item.robust_method == "algorithm_a"
    # The coordinator sees every laboratory by name; ARL is the outlier.
    by_name = {s.laboratory.split()[1]: s for s in item.scores}
    assert set(by_name) == {"AFRL", "NRL", "ARL", "SNL", "APL"}
    assert by_name["ARL"].z_verdict == "unsatisfactory"
    assert by_name["AFRL"].z_verdict == "satisfactory"
    assert by_name["ARL"].zeta is not None
    assert by_name["ARL"].en is not None
    assert by_name["ARL"].mandel_h is not None
    assert by_name["ARL"].mandel_k is not None
    (closed,) = _events(node, "proficiency.round_closed")
    assert len(closed["scores"]) == 5
    assert closed["items"][0]["participants"] == 5


def test_results_are_blind_until_close_then_coded(trials: Trials) -> None:
    node = trials.node
    opened = trials.open()
    trials.submit_all(opened.id)
    alice = trials.principal("alice")
    # Before close: her own result only, and nothing counted of the others.
    mine = node.proficiency.submissions(alice, ctx(), opened.id)
    assert [s.value for s in mine] == [VALUES["alice"]]
    assert mine[0].own
    # nadia's submission is a resource alice may not read through the round.
    nadia = node.proficiency.submissions(trials.principal("nadia"), ctx(), opened.id)
    with node.uow.read() as session:
        from caveat.adapters.db.models.proficiency import SubmissionRow

        assert session.get(SubmissionRow, nadia[0].id) is not None
    before = node.proficiency.results(alice, ctx(), opened.id)
    assert before.items == ()
    # The coordinator reads every result before close.
    assert len(node.proficiency.submissions(trials.principal("pam"), ctx(), opened.id)) == 5
    node.proficiency.close(trials.principal("pam"), ctx(), opened.id)
    after = node.proficiency.submissions(alice, ctx(), opened.id)
    assert len(after) == 5
    others = [s for s in after if not s.own]
    assert all(s.laboratory == s.code for s in others)  # codes, not names
    assert all(s.submitted_by == "" for s in others)
    own = next(s for s in after if s.own)
    assert own.laboratory.endswith("AFRL")
    reads = _events(node, "proficiency.results_read")
    assert any(set(r["submissions"]) == {s.id for s in others} for r in reads)


def test_outsiders_do_not_see_the_round(trials: Trials) -> None:
    opened = trials.open()
    with pytest.raises(NotFound) as info:
        trials.node.proficiency.round(trials.principal("eve"), opened.id)
    assert info.value.code == "unknown_round"
    assert trials.node.proficiency.rounds(trials.principal("eve")) == []


def test_units_are_converted_and_incompatible_ones_refused(trials: Trials) -> None:
    node = trials.node
    opened = trials.open()
    alice = trials.principal("alice")
    (made,) = node.proficiency.submit(
        alice,
        ctx(),
        opened.id,
        [ResultDraft("Sphere A", 1002.0, "cm^2", standard_uncertainty=20.0, replicates=(1000.0,))],
    )
    assert made.value == pytest.approx(0.1002)
    assert made.standard_uncertainty == pytest.approx(0.002)
    assert made.replicates == pytest.approx((0.1,))
    assert made.reported_value == 1002.0
    assert made.reported_unit == "cm^2"
    with pytest.raises(InvalidInput) as info:
        node.proficiency.submit(
            trials.principal("nadia"), ctx(), opened.id, [ResultDraft("Sphere A", 1.0, "kg")]
        )
    assert info.value.code == "incompatible_unit"
    assert info.value.field == "unit"
    with pytest.raises(InvalidInput) as info:
        node.proficiency.submit(
            trials.principal("nadia"), ctx(), opened.id, [ResultDraft("Sphere A", 1.0, "furlongz")]
        )
    assert info.value.code == "unknown_unit"


def test_who_may_do_what(trials: Trials) -> None:
    node = trials.node
    version = node.proficiency.create_procedure(
        trials.principal("walt"),
        ctx(),
        project="Calibration trials",
        name="Gain of a standard horn",
        draft=ProcedureDraft(measurand="gain", unit="dimensionless", method="three-antenna"),
        label="UNCLASSIFIED",
    )
    with pytest.raises(PermissionDenied):  # not a programme manager
        node.proficiency.approve(trials.principal("alice"), ctx(), version.id)
    # A draft cannot carry a round.
    with pytest.raises(Conflict) as info:
        trials.open(version=version.id)
    assert info.value.code == "procedure_not_approved"
    opened = trials.open()
    with pytest.raises(PermissionDenied) as denied:
        node.proficiency.close(trials.principal("pat"), ctx(), opened.id)  # not coordinator
    assert "coordinator" in denied.value.detail
    # Any of a participating laboratory's people submits for it (pat is NRL's).
    node.proficiency.submit(
        trials.principal("pat"), ctx(), opened.id, [ResultDraft("Sphere A", 0.1, "m^2")]
    )
    with pytest.raises(Conflict) as info:  # one result per laboratory and item
        node.proficiency.submit(
            trials.principal("nadia"), ctx(), opened.id, [ResultDraft("Sphere A", 0.1, "m^2")]
        )
    assert info.value.code == "already_submitted"
    opened_labs = trials.open(labs=("AFRL", "ARL", "SNL"))
    with pytest.raises(PermissionDenied) as denied:
        node.proficiency.submit(
            trials.principal("nadia"), ctx(), opened_labs.id, [ResultDraft("Sphere A", 0.1, "m^2")]
        )
    assert denied.value.code == "not_a_round_laboratory"


def test_labels_decide_what_is_read_after_close(trials: Trials) -> None:
    node = trials.node
    opened = trials.open()
    trials.submit_all(opened.id)
    node.proficiency.close(trials.principal("pam"), ctx(), opened.id)
    connie = trials.principal("connie")  # SNL, cleared CONFIDENTIAL: reads UNCLASSIFIED
    (item,) = node.proficiency.results(connie, ctx(), opened.id).items
    assert len(item.scores) == 5
    second = trials.open(label="SECRET//NOFORN")
    for who, value in VALUES.items():
        node.proficiency.submit(
            trials.principal(who), ctx(), second.id, [ResultDraft("Sphere A", value, "m^2")]
        )
    node.proficiency.close(trials.principal("pam"), ctx(), second.id)
    (item,) = node.proficiency.results(connie, ctx(), second.id).items
    assert item.scores == ()  # every result is SECRET: counted, not shown
    assert item.withheld == 5
    alice = node.proficiency.results(trials.principal("alice"), ctx(), second.id).items[0]
    assert len(alice.scores) == 5
    assert all(s.zeta is None for s in alice.scores)  # no uncertainties: no ζ


def test_closing_moves_once_and_needs_enough_results(trials: Trials) -> None:
    node = trials.node
    pam = trials.principal("pam")
    opened = trials.open()
    node.proficiency.submit(
        trials.principal("alice"), ctx(), opened.id, [ResultDraft("Sphere A", 0.1, "m^2")]
    )
    with pytest.raises(Conflict) as info:
        node.proficiency.close(pam, ctx(), opened.id)
    assert info.value.code == "round_not_evaluable"
    assert info.value.data["item"] == "Sphere A"
    assert node.proficiency.round(pam, opened.id).status == "open"  # nothing changed
    cancelled = node.proficiency.cancel(pam, ctx(), opened.id, reason="items damaged in transit")
    assert cancelled.status == "cancelled"
    with pytest.raises(Conflict) as info:
        node.proficiency.close(pam, ctx(), opened.id)
    assert info.value.code == "round_not_open"
    assert _events(node, "proficiency.round_cancelled") == [{"reason": "items damaged in transit"}]


def test_a_reference_value_and_a_prescribed_sigma(trials: Trials) -> None:
    from caveat.services.proficiency import ItemDraft, Methods

    node = trials.node
    opened = trials.open(
        items=(ItemDraft("Sphere A", 0.1, 0.0005),),
        methods=Methods(assigned_method="reference_value", sigma_method="prescribed",
                        sigma_value=0.002, robust_method="q_hampel"),
    )  # fmt: skip
    trials.submit_all(opened.id)
    (item,) = node.proficiency.close(trials.principal("pam"), ctx(), opened.id).items
    assert item.assigned_value == 0.1
    assert item.sigma_pt == 0.002
    assert item.assigned_method == "reference_value"
    assert item.sigma_method == "prescribed"
    by_value = {s.value: s for s in item.scores}
    assert by_value[VALUES["alice"]].z == pytest.approx((VALUES["alice"] - 0.1) / 0.002)
    record = json.loads(item.evaluation)
    assert record["standard"] == "ISO 13528:2022"
    assert record["robust"]["method"] == "q_hampel"


def test_round_choices_name_the_domains_options() -> None:
    from caveat.domain.proficiency import AssignedValueMethod, EnBoundary, RobustMethod
    from caveat.services.proficiency import (
        ASSIGNED_METHODS,
        EN_BOUNDARIES,
        ROBUST_METHODS,
        SIGMA_METHODS,
    )

    assert set(ROBUST_METHODS) == {m.value for m in RobustMethod}
    assert set(ASSIGNED_METHODS) == {m.value for m in AssignedValueMethod}
    assert set(EN_BOUNDARIES) == {b.value for b in EnBoundary}
    assert set(SIGMA_METHODS) <= {
        "robust_sd_of_round", "prescribed", "fitness_for_purpose", "general_model",
        "precision_experiment",
    }  # fmt: skip


def test_an_author_does_not_approve_their_own_version(trials: Trials) -> None:
    node = trials.node
    made = node.proficiency.create_procedure(
        trials.principal("pat"),
        ctx(),
        project="Calibration trials",
        name="Frequency of the reference oscillator",
        draft=ProcedureDraft(measurand="frequency", unit="GHz", method="counter"),
        label="UNCLASSIFIED",
    )
    with pytest.raises(PermissionDenied) as info:
        node.proficiency.approve(trials.principal("pat"), ctx(), made.id)
    assert info.value.code == "self_change"
    approved = node.proficiency.approve(trials.principal("pam"), ctx(), made.id)
    newer = node.proficiency.add_version(
        trials.principal("walt"),
        ctx(),
        made.procedure_id,
        ProcedureDraft(measurand="frequency", unit="MHz", method="counter, gated 10 s"),
        label="UNCLASSIFIED",
    )
    assert newer.version == 2
    node.proficiency.approve(trials.principal("pat"), ctx(), newer.id)
    versions = node.proficiency.procedure(trials.principal("alice"), made.procedure_id).versions
    assert [(v.version, v.status) for v in versions] == [(2, "approved"), (1, "superseded")]
    assert approved.status == "approved"
    with pytest.raises(Conflict) as refused:
        node.proficiency.approve(trials.principal("pam"), ctx(), made.id)
    assert refused.value.code == "procedure_not_draft"
