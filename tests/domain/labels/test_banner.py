"""CAPCO-style banners and portion marks: known answers, strict rejections, normalisation."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from tests.domain.labels.label_strategies import GROUPS, ON, labels

from caveat.domain.groups import Group, GroupDirectory, Membership
from caveat.domain.labels import (
    DISSEM,
    REL_TO,
    SCI,
    Label,
    MarkingError,
    normalise,
    parse_banner,
    parse_marking,
    parse_portion,
    render_banner,
    render_portion,
)


def test_banner_with_rel_to_list_and_group(groups: GroupDirectory, on: date) -> None:
    label = parse_banner("SECRET//REL TO USA, GBR, FVEY", groups=groups, on=on)
    assert (label.policy, label.classification) == ("USA", 2)
    assert label.releasable_to == frozenset({"USA", "GBR", "FVEY"})
    assert label.values(DISSEM) == frozenset()


def test_portion_noforn(groups: GroupDirectory, on: date) -> None:
    label = parse_portion("(S//NF)", groups=groups, on=on)
    assert (label.policy, label.classification) == ("USA", 2)
    assert label.values(DISSEM) == frozenset({"NOFORN"})
    assert label.releasable_to is None
    assert render_banner(label) == "SECRET//NOFORN"
    assert render_portion(label) == "(S//NF)"


@pytest.mark.parametrize(
    ("text", "policy", "level_id", "rel_to"),
    [
        ("(S//REL TO USA, GBR)", "USA", "SECRET", {"USA", "GBR"}),
        ("//NATO SECRET//REL TO USA, NATO", "NATO", "NS", {"USA", "NATO"}),
        ("//COSMIC TOP SECRET", "NATO", "CTS", None),
        ("(//CTS)", "NATO", "CTS", None),
        ("//DEU GEHEIM//REL TO USA, DEU, FRA", "DEU", "GEHEIM", {"USA", "DEU", "FRA"}),
        ("//DEU VS-NUR FÜR DEN DIENSTGEBRAUCH", "DEU", "VS-NUR FÜR DEN DIENSTGEBRAUCH", None),
        ("//EU SECRET//REL TO USA, EU", "EU", "SECRET UE", {"USA", "EU"}),
        ("//GBR OFFICIAL-SENSITIVE", "GBR", "OFFICIAL-SENSITIVE", None),
        ("//FRA TRÈS SECRET", "FRA", "TRÈS SECRET", None),
        ("UNCLASSIFIED", "USA", "UNCLASSIFIED", None),
        ("(U)", "USA", "UNCLASSIFIED", None),
    ],
)
def test_known_markings(
    text: str, policy: str, level_id: str, rel_to: set[str] | None, groups: GroupDirectory, on: date
) -> None:
    from caveat.domain.labels import builtin_schemes

    label = parse_marking(text, groups=groups, on=on)
    assert label.policy == policy
    assert builtin_schemes().get(policy).level(label.classification).id == level_id
    assert label.releasable_to == (None if rel_to is None else frozenset(rel_to))
    rendered = render_portion(label) if text.startswith("(") else render_banner(label)
    assert rendered == text


def test_full_banner_order(groups: GroupDirectory, on: date) -> None:
    text = "TOP SECRET//SI/TK//SAR-BP//ORCON/NOFORN/PROPIN"
    label = parse_banner(text, groups=groups, on=on)
    assert label.values(SCI) == frozenset({"SI", "TK"})
    assert label.values(DISSEM) == frozenset({"ORCON", "NOFORN", "PROPIN"})
    assert render_banner(label) == text
    assert render_portion(label) == "(TS//SI/TK//SAR-BP//OC/NF/PR)"


def test_rel_to_with_relido(groups: GroupDirectory, on: date) -> None:
    label = parse_banner("SECRET//REL TO USA, GBR/RELIDO", groups=groups, on=on)
    assert label.values(DISSEM) == frozenset({"RELIDO"})
    assert render_portion(label) == "(S//REL TO USA, GBR/RELIDO)"


def test_portion_rel_takes_the_banner_list(groups: GroupDirectory, on: date) -> None:
    banner = parse_banner("SECRET//REL TO USA, FVEY", groups=groups, on=on)
    portion = parse_portion("(S//REL)", groups=groups, on=on, banner=banner)
    assert portion.releasable_to == frozenset({"USA", "FVEY"})
    assert render_portion(portion, banner=banner) == "(S//REL)"
    with pytest.raises(MarkingError) as caught:
        parse_portion("(S//REL)", groups=groups, on=on)
    assert caught.value.position == 4


@pytest.mark.parametrize(
    ("text", "position", "fragment"),
    [
        ("SECRET//REL TO USA", 15, "alone"),
        ("SECRET//NOFORN/REL TO USA, GBR", 15, "NOFORN"),
        ("SECRET//REL TO USA, GBR/NOFORN", 24, "NOFORN"),
        ("(S//REL TO USA, GBR/NF)", 20, "NOFORN"),
        ("SECRET//REL TO USA, XYZ", 20, "neither a country"),
        ("SECRET//REL TO USA, ABCD", 20, "neither a country"),
        ("SECRET//REL TO GBR, USA", 20, "out of order"),
        ("SECRET//REL TO USA, FVEY, GBR", 26, "out of order"),
        ("SECRET//REL TO USA, NZL, GBR", 25, "out of order"),
        ("SECRET//REL TO USA, GBR, GBR", 25, "repeated"),
        ("SECRET//REL TO USA,GBR", 19, "comma and space"),
        ("SECRET//REL TO FRA, GBR", 15, "include USA"),
        ("SECRET//BOGUS", 8, "unknown dissemination control"),
        ("SECRET//NF", 8, "unknown dissemination control"),
        ("(S//NOFORN)", 4, "unknown dissemination control"),
        ("Secret", 1, "capitals"),
        ("secret//noforn", 0, "capitals"),
        ("SECRET//REL TO USA, gbr", 20, "capitals"),
        ("SEKRET", 0, "unknown classification"),
        ("(SECRET)", 1, "unknown classification"),
        ("NATO SECRET", 0, "unknown classification"),
        ("//SECRET", 2, "unknown classification"),
        ("SECRET//", 8, "empty category"),
        ("SECRET////NOFORN", 8, "empty category"),
        ("(S//NF", 6, "not closed"),
        ("(S)//NF", 7, "not closed"),
        (" SECRET", 0, "surrounding spaces"),
        ("", 0, "empty"),
        ("SECRET//NOFORN/ORCON", 15, "out of order"),
        ("SECRET//NOFORN/NOFORN", 15, "repeated"),
        ("SECRET//NOFORN//SI", 16, "out of order"),
        ("SECRET//SI//SI", 12, "repeated or out of order"),
        ("TOP SECRET//TK/SI", 15, "out of order"),
        ("SECRET//NOFORN/RELIDO", 15, "RELIDO"),
        ("SECRET//FOUO", 8, "FOUO"),
        ("SECRET//REL TO", 8, "needs a list"),
        ("//DEU GEHEIM//REL TO DEU", 21, "alone"),
        ("SECRET//SAR-", 8, "not a valid SAP"),
    ],
)
def test_invalid_markings_are_rejected_with_position(
    text: str, position: int, fragment: str, groups: GroupDirectory, on: date
) -> None:
    with pytest.raises(MarkingError) as caught:
        parse_marking(text, groups=groups, on=on)
    error = caught.value
    assert error.code == "invalid_marking"
    assert error.position == position, error.diagnostics()
    assert fragment in error.detail
    assert error.hint
    assert error.data["position"] == position


def test_diagnostics_point_at_the_fault(groups: GroupDirectory, on: date) -> None:
    with pytest.raises(MarkingError) as caught:
        parse_banner("SECRET//REL TO USA, XYZ", groups=groups, on=on)
    lines = caught.value.diagnostics().splitlines()
    assert lines[1] == "  SECRET//REL TO USA, XYZ"
    assert lines[2] == "  " + " " * 20 + "^"


def test_banner_and_portion_parsers_refuse_each_others_form(
    groups: GroupDirectory, on: date
) -> None:
    with pytest.raises(MarkingError, match="parentheses"):
        parse_banner("(S)", groups=groups, on=on)
    with pytest.raises(MarkingError, match="parentheses"):
        parse_portion("SECRET", groups=groups, on=on)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("(S//REL TO USA, AUS, CAN, GBR, NZL)", "(S//REL TO USA, FVEY)"),
        ("(S//REL TO USA, AUS, CAN, DEU, GBR, NZL)", "(S//REL TO USA, DEU, FVEY)"),
        ("SECRET//REL TO USA, GBR, FVEY", "SECRET//REL TO USA, FVEY"),
        ("SECRET//REL TO USA, AUS, GBR", "SECRET//REL TO USA, TEYE"),
        ("SECRET//REL TO USA, AUS, CAN, GBR", "SECRET//REL TO USA, ACGU"),
        ("secret//rel to gbr,usa", "SECRET//REL TO USA, GBR"),
        ("SECRET // NOFORN / ORCON", "SECRET//ORCON/NOFORN"),
        ("(s//nf/oc)", "(S//OC/NF)"),
        ("TOP SECRET//TK/SI//NOFORN/NOFORN", "TOP SECRET//SI/TK//NOFORN"),
        # A repeated compartment is a repeat like any other, not a refusal.
        ("TOP SECRET//SI/TK/SI//NOFORN", "TOP SECRET//SI/TK//NOFORN"),
        ("SECRET//SAR-BP/SAR-BP//NOFORN", "SECRET//SAR-BP//NOFORN"),
        ("SECRET//REL TO JPN, USA, NATO, DEU", "SECRET//REL TO USA, JPN, NATO"),
        # A label's own nation, named by its writer, stays named: USA is not put in its
        # place, so a list already collapsed reads back as written.
        ("//GBR SECRET//REL TO GBR, FVEY", "//GBR SECRET//REL TO GBR, FVEY"),
        ("//GBR SECRET//REL TO AUS, CAN, GBR, NZL, USA", "//GBR SECRET//REL TO USA, GBR, FVEY"),
        ("//DEU GEHEIM//REL TO DEU, FRA, NATO", "//DEU GEHEIM//REL TO DEU, NATO"),
    ],
)
def test_normalise_known_answers(
    text: str, expected: str, groups: GroupDirectory, on: date
) -> None:
    assert normalise(text, groups, on) == expected
    assert normalise(expected, groups, on) == expected


def test_normalise_keeps_substantive_errors(groups: GroupDirectory, on: date) -> None:
    with pytest.raises(MarkingError, match="NOFORN"):
        normalise("secret//noforn/rel to usa, gbr", groups, on)
    with pytest.raises(MarkingError, match="neither a country"):
        normalise("SECRET//REL TO USA, ZZZ", groups, on)


def test_group_codes_come_from_the_directory(on: date) -> None:
    directory = GroupDirectory(
        [Group("PAIR", "test pair", (Membership("DEU"), Membership("FRA")), source="test")]
    )
    label = parse_banner("SECRET//REL TO USA, PAIR", groups=directory, on=on)
    assert label.releasable_to == frozenset({"USA", "PAIR"})
    with pytest.raises(MarkingError, match="neither a country"):
        parse_banner("SECRET//REL TO USA, FVEY", groups=directory, on=on)
    assert normalise("SECRET//REL TO USA, FRA, DEU", directory, on) == "SECRET//REL TO USA, PAIR"


def test_collapse_uses_membership_on_the_day(groups: GroupDirectory) -> None:
    dated = GroupDirectory(
        [
            Group(
                "DUO", "dated", (Membership("DEU"), Membership("FRA", date(2030, 1, 1))), source="t"
            )
        ]
    )
    assert normalise("SECRET//REL TO USA, DEU, FRA", dated, date(2024, 1, 1)) == (
        "SECRET//REL TO USA, DEU, FRA"
    )
    assert normalise("SECRET//REL TO USA, DEU, FRA", dated, date(2031, 1, 1)) == (
        "SECRET//REL TO USA, DUO"
    )


def test_rendering_refuses_a_restriction_it_cannot_write() -> None:
    from caveat.domain.labels import Category, CategoryType, InvalidLabel

    label = Label("USA", 2, (Category("PROJECT", CategoryType.RESTRICTIVE, frozenset({"X"})),))
    with pytest.raises(InvalidLabel):
        render_banner(label)


@given(labels())
def test_banner_render_parse_round_trip(label: Label) -> None:
    text = render_banner(label)
    assert parse_banner(text, groups=GROUPS, on=ON) == label


@given(labels())
def test_portion_render_parse_round_trip(label: Label) -> None:
    text = render_portion(label)
    assert parse_portion(text, groups=GROUPS, on=ON) == label


@given(labels())
def test_normalise_is_idempotent_and_keeps_the_release(label: Label) -> None:
    once = normalise(render_banner(label), GROUPS, ON)
    assert normalise(once, GROUPS, ON) == once
    again = parse_banner(once, groups=GROUPS, on=ON)
    before, after = label.releasable_to, again.releasable_to
    if before is None:
        assert after is None
    else:
        assert after is not None
        assert GROUPS.expand(after, ON) == GROUPS.expand(before, ON)
    assert again.values(DISSEM) == label.values(DISSEM)
    assert again.category(REL_TO) is None or again.releasable_to is not None


# CAPCO marking titles: a banner may spell a dissemination control out (issue 13).


@pytest.mark.parametrize(
    ("spelled", "banner"),
    [
        ("SECRET//NOT RELEASABLE TO FOREIGN NATIONALS", "SECRET//NOFORN"),
        ("UNCLASSIFIED//FOR OFFICIAL USE ONLY", "UNCLASSIFIED//FOUO"),
        (
            "TOP SECRET//SI//ORIGINATOR CONTROLLED/NOT RELEASABLE TO FOREIGN NATIONALS",
            "TOP SECRET//SI//ORCON/NOFORN",
        ),
        (
            "SECRET//CONTROLLED IMAGERY/CAUTION-PROPRIETARY INFORMATION INVOLVED",
            "SECRET//IMCON/PROPIN",
        ),
        (
            "SECRET//AUTHORIZED FOR RELEASE TO USA, GBR/"
            "RELEASABLE BY INFORMATION DISCLOSURE OFFICIAL",
            "SECRET//REL TO USA, GBR/RELIDO",
        ),
        ("SECRET//ORCON/NOT RELEASABLE TO FOREIGN NATIONALS", "SECRET//ORCON/NOFORN"),
        ("//NATO SECRET//AUTHORIZED FOR RELEASE TO USA, NATO", "//NATO SECRET//REL TO USA, NATO"),
    ],
)
def test_titles_parse_to_the_label_of_the_abbreviation(
    spelled: str, banner: str, groups: GroupDirectory, on: date
) -> None:
    label = parse_marking(spelled, groups=groups, on=on)
    assert label == parse_marking(banner, groups=groups, on=on)
    assert render_banner(label) == banner  # rendering always writes the banner word
    assert normalise(spelled.lower(), groups, on) == banner


@pytest.mark.parametrize(
    ("text", "position", "fragment", "rule"),
    [
        ("(S//NOT RELEASABLE TO FOREIGN NATIONALS)", 4, "unknown dissemination", "unknown_value"),
        ("(S//AUTHORIZED FOR RELEASE TO USA, GBR)", 4, "unknown dissemination", "unknown_value"),
        (
            "SECRET//NOT RELEASABLE TO FOREIGN NATIONALS/AUTHORIZED FOR RELEASE TO USA, GBR",
            44,
            "NOFORN",
            "noforn_with_release",
        ),
        ("SECRET//FOR OFFICIAL USE ONLY", 8, "FOUO", "fouo_classified"),
        ("SECRET//AUTHORIZED FOR RELEASE TO USA", 34, "alone", "rel_to_owner_alone"),
        ("SECRET//AUTHORIZED FOR RELEASE TO", 8, "needs a list", None),
        ("SECRET//NOT RELEASABLE TO FOREIGN NATIONALS/ORCON", 44, "out of order", None),
    ],
)
def test_titles_keep_every_rule(
    text: str, position: int, fragment: str, rule: str | None, groups: GroupDirectory, on: date
) -> None:
    with pytest.raises(MarkingError) as caught:
        parse_marking(text, groups=groups, on=on)
    assert (caught.value.position, caught.value.rule) == (position, rule), caught.value.detail
    assert fragment in caught.value.detail
    if text.startswith("("):  # portion marks use the abbreviation only, and say which
        assert caught.value.hint is not None
        assert "in a portion mark" in caught.value.hint


def test_a_no_break_space_is_named_by_its_code_point_and_repaired_by_normalise() -> None:
    pasted = "SECRET//REL TO USA,\u00a0GBR"  # as copied from a document
    with pytest.raises(MarkingError) as error:
        parse_marking(pasted, groups=GROUPS, on=ON)
    assert error.value.detail == "the space character U+00A0 is not a plain space at position 19"
    assert error.value.text == pasted  # the caret is drawn under it
    assert error.value.hint == (
        "retype the spaces; text copied from documents can carry no-break spaces"
    )
    # The web form's tolerant reading repairs spacing, this one included.
    assert normalise(pasted, GROUPS, ON) == "SECRET//REL TO USA, GBR"
