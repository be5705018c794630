"""A bare REL in a portion, and equivalents computed under a node's own scheme registry.

Written against the survivors of the 2026-12-04 mutation run of ``labels.banner``,
``labels.equivalence`` and ``labels.model``.
"""

from __future__ import annotations

from datetime import date

import pytest
from tests.domain.labels.own_schemes import OWN

from caveat.domain.groups import builtin_directory
from caveat.domain.labels import (
    Label,
    MarkingError,
    equivalent,
    parse_portion,
    with_alternatives,
)
from caveat.domain.labels.model import Category, CategoryType

GROUPS = builtin_directory()
ON = date(2024, 6, 1)


def _rel_banner(*nations: str) -> Label:
    """A banner label built directly, as a caller holding a stored label would pass it."""
    rel = Category("REL TO", CategoryType.PERMISSIVE, frozenset(nations))
    return Label("USA", 2, categories=(rel,))


def test_a_bare_rel_without_a_banner_list_says_what_to_write() -> None:
    with pytest.raises(MarkingError) as caught:
        parse_portion("(S//OC/REL)", groups=GROUPS, on=ON, banner=Label("USA", 2))
    assert caught.value.diagnostics() == (
        "REL without a list needs the banner's REL TO list at position 7\n"
        "  (S//OC/REL)\n"
        "         ^\n"
        "hint: write REL TO with the list, or parse the portion with its banner"
    )


def test_a_rule_broken_by_the_inherited_list_points_at_the_bare_rel() -> None:
    with pytest.raises(MarkingError) as caught:
        parse_portion("(S//OC/REL)", groups=GROUPS, on=ON, banner=_rel_banner("GBR"))
    assert caught.value.position == 7
    assert caught.value.rule == "rel_to_without_usa"
    with pytest.raises(MarkingError) as caught:
        parse_portion("(S//OC/REL)", groups=GROUPS, on=ON, banner=_rel_banner("USA"))
    assert caught.value.position == 7
    assert caught.value.rule == "rel_to_owner_alone"


def test_alternatives_are_computed_in_the_registry_given() -> None:
    label = Label("AAA", 1)
    carried = with_alternatives(label, ["BBB", "AAA"], schemes=OWN)
    assert carried.alternatives == (Label("BBB", 1),)


def test_an_equivalent_and_a_label_without_alternatives_carry_none() -> None:
    label = Label("AAA", 2, alternatives=(Label("BBB", 2),))
    assert equivalent(label, "BBB", schemes=OWN) == Label("BBB", 2)
    assert equivalent(label, "AAA", schemes=OWN) == Label("AAA", 2)
    assert label.without_alternatives() == Label("AAA", 2)
