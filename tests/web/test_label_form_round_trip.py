"""The web form's label check (issue 13: the render/parse round trip on every entry
point). The form reads a typed marking tolerantly (`normalise`: case, spacing, order,
groups collapsed), so its property is in two parts, checked for generated labels as a
US and a British writer types them:

- what it reads from a rendered label means the same: level, compartments, controls,
  and the nations the release list expands to;
- what it reads, rendered again, reads back exactly: the form's own output round-trips.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, example, given, settings

from caveat.bootstrap.container import Node
from caveat.domain.labels import (
    REL_TO,
    Category,
    CategoryType,
    Label,
    parse_marking,
    render_banner,
    render_portion,
)
from caveat.services.kernel.principal import ConsoleOperator, Principal
from caveat.services.kernel.uow import CallContext
from caveat.web.labelling import check_label
from tests.domain.labels.label_strategies import GROUPS, ON, labels
from tests.support import Scenario
from tests.web.content import PROJECT, UK_LAB, Content


@pytest.fixture
def writers(node: Node, world: Scenario) -> list[Principal]:
    """A US and a British writer, as the form sees them."""
    node.projects.create_project(ConsoleOperator(), CallContext.cli(), name=PROJECT)
    made = Content(world, node, PROJECT)
    made.member("alice")
    made.member("sam", nations=("GBR",), lab=UK_LAB)
    return [
        Principal(person=node.people.get_person(name), mfa_at=world.clock())
        for name in ("alice", "sam")
    ]


def _read(node: Node, writer: Principal, text: str) -> tuple[str, Label]:
    check = check_label(node.policy, writer, text, ON)
    assert check.ok, (text, check.error)
    return check.normalised, parse_marking(check.normalised, groups=GROUPS, on=ON)


def _released(policy: str, level: int, *codes: str) -> Label:
    return Label(policy, level, (Category(REL_TO, CategoryType.PERMISSIVE, frozenset(codes)),))


def _apart_from_release(label: Label) -> Label:
    return Label(
        label.policy, label.classification, tuple(c for c in label.categories if c.tag != REL_TO)
    )


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=labels())
@example(value=_released("USA", 2, "USA", "FVEY"))
@example(value=_released("USA", 2, "USA", "AUS", "CAN", "GBR", "NZL"))
@example(value=_released("GBR", 2, "GBR", "FVEY"))
@example(value=_released("DEU", 3, "DEU", "FRA", "NATO"))
def test_the_form_reads_a_rendered_label_alike_and_its_own_output_exactly(
    node: Node, writers: list[Principal], value: Label
) -> None:
    for writer in writers:
        for render in (render_banner, render_portion):
            text = render(value)
            shown, read = _read(node, writer, text)
            assert _apart_from_release(read) == _apart_from_release(value), text
            before, after = value.releasable_to, read.releasable_to
            assert (before is None) == (after is None), text
            if before is not None and after is not None:
                assert GROUPS.expand(after, ON) == GROUPS.expand(before, ON), text
            again, reread = _read(node, writer, render(read))
            assert (again, reread) == (shown, read), text
