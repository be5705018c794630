"""The round page's further plots through the service: kernel densities, Youden plots
and z-score control charts show only what the reader may read, under the codes the
table uses; a blind round draws nothing; a chart never links codes across rounds."""

from __future__ import annotations

import re

import pytest

from caveat.services.proficiency import ItemDraft, ResultDraft
from tests.proficiency.support import VALUES, Trials, ctx

# Run on one database: plots drawn from stored results; the storage is tested on both
# databases.
pytestmark = pytest.mark.one_database

TWO = (ItemDraft("Sphere A"), ItemDraft("Sphere B"))


def _submit_two(trials: Trials, round_id: str) -> None:
    for who, value in VALUES.items():
        trials.node.proficiency.submit(
            trials.principal(who),
            ctx(),
            round_id,
            [
                ResultDraft("Sphere A", value, "m^2", standard_uncertainty=0.002),
                ResultDraft("Sphere B", value * 1.5, "m^2", standard_uncertainty=0.003),
            ],
        )


def _two_rounds(trials: Trials) -> tuple[str, str]:
    first = trials.open()
    trials.submit_all(first.id)
    trials.node.proficiency.close(trials.principal("pam"), ctx(), first.id)
    trials.clock.advance(days=20)
    second = trials.open(items=TWO)
    _submit_two(trials, second.id)
    return first.id, second.id


def test_a_blind_round_draws_nothing(trials: Trials) -> None:
    _, second = _two_rounds(trials)
    for who in ("alice", "pam"):
        seen = trials.node.proficiency.results(trials.principal(who), ctx(), second, plots=True)
        assert seen.items == ()
        assert seen.plots == ()
        assert seen.youden == ()
        assert seen.control == ()


def test_a_laboratory_sees_its_own_history_and_the_others_by_code(trials: Trials) -> None:
    node = trials.node
    _, second = _two_rounds(trials)
    node.proficiency.close(trials.principal("pam"), ctx(), second)
    seen = node.proficiency.results(trials.principal("alice"), ctx(), second, plots=True)
    (pair,) = seen.youden
    assert (pair.first, pair.second) == ("Sphere A", "Sphere B")
    labels = set(re.findall(r"<text[^>]*>([^<]*)</text>", pair.svg))
    codes = {s.laboratory for s in seen.items[0].scores}
    assert codes <= labels  # one labelled point per laboratory, as in the table
    assert not any(name in pair.svg for name in ("NRL", "ARL", "SNL", "APL"))
    # The control chart: alice's laboratory only, one point per item and round.
    (chart,) = seen.control
    assert chart.own
    assert chart.laboratory.endswith("AFRL")
    assert len(re.findall(r"<use ", chart.svg.split("-points", 1)[1])) >= 3
    assert all(p.density is not None for p in seen.plots)


def test_the_coordinator_charts_every_laboratory_and_reads_are_recorded(trials: Trials) -> None:
    import json

    from sqlalchemy import select

    from caveat.adapters.db.models import EventRow

    node = trials.node
    first, second = _two_rounds(trials)
    node.proficiency.close(trials.principal("pam"), ctx(), second)
    seen = node.proficiency.results(trials.principal("pam"), ctx(), second, plots=True)
    assert len(seen.control) == 5
    assert sum(c.own for c in seen.control) == 1  # pam is of AFRL
    with node.uow.read() as session:
        reads = session.execute(
            select(EventRow.target_id, EventRow.body)
            .where(EventRow.type == "proficiency.results_read")
            .order_by(EventRow.seq)
        ).all()
    # The first round's other laboratories were read through the charts: recorded, as
    # the four others' submissions of that round.
    (earlier,) = [json.loads(body)["data"] for target, body in reads if target == first]
    assert len(earlier["submissions"]) == 4


def test_charts_data_is_the_readers(trials: Trials) -> None:
    from caveat.services.proficiency import _charts
    from caveat.services.proficiency._access import viewer, visible_round

    node = trials.node
    _, second = _two_rounds(trials)
    node.proficiency.close(trials.principal("pam"), ctx(), second)
    with node.uow.read() as session:
        who = viewer(session, node.policy, trials.principal("nadia"), trials.clock())
        row = visible_round(session, who, second)
        control = _charts.control_of(session, who, row)
    (series,) = control.series
    assert series.laboratory.endswith("NRL")
    assert len(series.points) == 3  # A in the first round; A and B in the second
    assert control.read == {}  # her own results only
