"""The marking of an aggregate as one reader reads it (issue 16): the full roll-up in the
reader's words, a note where a level stands in for another, and never an under-statement."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from tests.domain.labels.label_strategies import GROUPS, ON, SCHEMES, labels

from caveat.domain.labels import (
    TOP_COMMON,
    Category,
    CategoryType,
    Label,
    aggregate_marking,
    common_level,
    national_text,
    parse_marking,
)
from caveat.domain.labels.marking import INCOMPLETE


def marking(scheme: str, *texts: str | None, ceiling: int = TOP_COMMON) -> tuple[str, str, bool]:
    shown = [None if t is None else parse_marking(t, groups=GROUPS, on=ON) for t in texts]
    found = aggregate_marking(shown, scheme=scheme, groups=GROUPS, on=ON, ceiling=ceiling)
    return found.text, found.note, found.complete


def test_an_empty_page_is_the_readers_lowest_level_in_their_words() -> None:
    assert marking("USA") == ("UNCLASSIFIED", "", True)
    assert marking("GBR") == ("OFFICIAL", "", True)
    assert marking("FRA") == ("NON PROTÉGÉ", "", True)
    assert marking("NATO") == ("NATO UNCLASSIFIED", "", True)


def test_the_roll_up_keeps_every_control_and_rel_to() -> None:
    assert marking("USA", "UNCLASSIFIED", "SECRET//NOFORN") == ("SECRET//NOFORN", "", True)
    assert marking("USA", "SECRET//REL TO USA, GBR", "CONFIDENTIAL//REL TO USA, GBR, NOR")[0] == (
        "SECRET//REL TO USA, GBR"
    )
    assert marking("USA", "SECRET//REL TO USA, GBR", "SECRET//REL TO USA, NOR")[0] == (
        "SECRET//NOFORN"  # an empty intersection
    )
    assert marking("USA", "TOP SECRET//SI//ORCON/NOFORN")[0] == "TOP SECRET//SI//ORCON/NOFORN"


def test_each_originators_rules_roll_up_its_own_labels() -> None:
    # A US aggregate leaves the REL TO of the rest alone beside plain UNCLASSIFIED
    # (IC-ISM); a British reader gets the same roll-up, in British words.
    assert marking("GBR", "UNCLASSIFIED", "SECRET//REL TO USA, GBR")[0] == (
        "SECRET//REL TO USA, GBR"
    )


def test_a_stand_in_level_names_what_it_holds() -> None:
    # The UK protects CONFIDENTIAL as SECRET: the words tell the two apart, not the colour.
    assert marking("GBR", "CONFIDENTIAL//REL TO USA, GBR") == (
        "SECRET//REL TO USA, GBR",
        "as marked: USA CONFIDENTIAL",
        True,
    )
    assert marking("GBR", "SECRET//REL TO USA, GBR") == ("SECRET//REL TO USA, GBR", "", True)
    assert marking("FRA", "//NATO CONFIDENTIAL", "CONFIDENTIAL//NOFORN")[1] == (
        "as marked: NATO CONFIDENTIAL, USA CONFIDENTIAL"
    )


def test_an_unreadable_label_marks_the_readers_ceiling_and_says_so() -> None:
    assert marking("USA", "UNCLASSIFIED", None, ceiling=3) == ("SECRET", INCOMPLETE, False)
    # Never below what did read, whatever the ceiling.
    assert marking("USA", "TOP SECRET", None, ceiling=2) == ("TOP SECRET", INCOMPLETE, False)


def test_a_label_text_cannot_carry_fails_closed() -> None:
    odd = Label("USA", 1, (Category("PROJECT X", CategoryType.RESTRICTIVE, frozenset({"A"})),))
    found = aggregate_marking([odd], scheme="USA", groups=GROUPS, on=ON, ceiling=3)
    assert (found.text, found.complete) == ("SECRET", False)


@given(st.lists(labels(), min_size=1, max_size=4), st.sampled_from(["USA", "GBR", "FRA", "DEU"]))
def test_a_marking_never_reads_lower_than_what_it_covers(shown: list[Label], scheme: str) -> None:
    found = aggregate_marking(shown, scheme=scheme, groups=GROUPS, on=ON, schemes=SCHEMES)
    assert found.common >= max(common_level(label) for label in shown)
    if found.complete and len(shown) == 1 and shown[0].policy == scheme:
        assert found.text == national_text(shown[0])
