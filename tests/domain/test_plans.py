"""Project plans, the pure rules: task and deliverable moves as data, work shares that
add up, the agreement's cap, and where overdue and upcoming begin and end."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from caveat.domain.errors import InvalidInput
from caveat.domain.lifecycle import RefusedMove, require_move
from caveat.domain.lifecycles import DELIVERABLE, TASK
from caveat.domain.plans import (
    FULL,
    DeliverableStatus,
    Due,
    TaskStatus,
    add_efforts,
    bar,
    due_state,
    excesses,
    format_effort,
    parse_effort,
    require_span,
    timeline,
    work_shares,
)

T = TaskStatus
D = DeliverableStatus


def test_task_moves_follow_the_table() -> None:
    assert TASK.verbs_from(T.OPEN) == ("start", "finish", "cancel")
    assert TASK.verbs_from(T.IN_PROGRESS) == ("pause", "finish", "cancel")
    assert TASK.verbs_from(T.DONE) == ()
    assert require_move(TASK, "start", T.OPEN).to is T.IN_PROGRESS
    assert require_move(TASK, "pause", T.IN_PROGRESS).to is T.OPEN
    assert require_move(TASK, "finish", T.IN_PROGRESS).to is T.DONE
    with pytest.raises(RefusedMove) as refused:
        require_move(TASK, "start", T.DONE)
    assert refused.value.code == "task_closed"
    with pytest.raises(RefusedMove):
        require_move(TASK, "pause", T.OPEN)


def test_a_deliverable_is_delivered_or_cancelled_once() -> None:
    assert require_move(DELIVERABLE, "deliver", D.PLANNED).to is D.DELIVERED
    for state in (D.DELIVERED, D.CANCELLED):
        with pytest.raises(RefusedMove) as refused:
            require_move(DELIVERABLE, "deliver", state)
        assert refused.value.code == "deliverable_closed"


@pytest.mark.parametrize(("text", "tenths"), [("6", 60), ("2.5", 25), (" 0 ", 0), ("0.1", 1)])
def test_effort_in_tenths_of_person_months(text: str, tenths: int) -> None:
    assert parse_effort(text) == tenths
    assert parse_effort(format_effort(tenths)) == tenths


@pytest.mark.parametrize("text", ["", "x", "-1", "1.25", "NaN", "inf", "1e9"])
def test_bad_efforts_are_refused(text: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_effort(text)
    assert refused.value.code == "invalid_effort"


def test_shares_add_up_to_the_whole() -> None:
    assert work_shares({"a": 1, "b": 1, "c": 1}) == {"a": 3334, "b": 3333, "c": 3333}
    assert work_shares({"a": 30, "b": 70}) == {"a": 3000, "b": 7000}
    assert work_shares({}) == {}
    assert work_shares({"a": 0}) == {}


@given(st.dictionaries(st.sampled_from("abcdefgh"), st.integers(0, 10_000), min_size=1))
def test_shares_always_sum_to_full_and_follow_effort(efforts: dict[str, int]) -> None:
    shares = work_shares(efforts)
    if sum(efforts.values()) == 0:
        assert shares == {}
        return
    assert sum(shares.values()) == FULL
    total = sum(efforts.values())
    for org, share in shares.items():
        assert abs(share - efforts[org] * FULL / total) < 1


def test_the_agreement_caps_each_partner_with_an_agreed_share() -> None:
    shares = work_shares(add_efforts([{"afrl": 40, "dstl": 20}, {"dstl": 20, "nit": 20}]))
    assert shares == {"afrl": 4000, "dstl": 4000, "nit": 2000}
    assert excesses(shares, {"afrl": 3000, "dstl": 4000, "nit": None}) == ("afrl",)
    assert excesses(shares, {}) == ()
    assert excesses(shares, {"nit": 1999}) == ("nit",)


def test_overdue_and_upcoming_boundaries() -> None:
    today = date(2026, 12, 5)
    day = timedelta(days=1)
    assert due_state(today - day, closed=False, today=today) is Due.OVERDUE
    assert due_state(today, closed=False, today=today) is Due.UPCOMING
    assert due_state(today + 14 * day, closed=False, today=today) is Due.UPCOMING
    assert due_state(today + 15 * day, closed=False, today=today) is Due.LATER
    assert due_state(today - 30 * day, closed=True, today=today) is Due.CLOSED
    assert due_state(today + 3 * day, closed=False, today=today, horizon=2) is Due.LATER


def test_spans_and_timeline() -> None:
    require_span(date(2026, 1, 1), date(2026, 1, 1))
    with pytest.raises(InvalidInput):
        require_span(date(2026, 1, 2), date(2026, 1, 1))
    first, last = timeline(
        [(date(2026, 1, 15), date(2026, 3, 3)), (date(2026, 2, 1), date(2026, 2, 2))]
    )
    assert (first, last) == (date(2026, 1, 1), date(2026, 3, 31))
    assert bar(first, date(2026, 1, 15), date(2026, 1, 16)) == bar(
        first, date(2026, 1, 15), date(2026, 1, 16)
    )
    assert bar(first, date(2026, 1, 15), date(2026, 1, 16)).offset == 14
    assert bar(first, date(2026, 1, 15), date(2026, 1, 16)).days == 2
