"""Label behaviour the full mutation run (docs/testing.md) found unpinned."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from tests.domain.labels.label_strategies import GROUPS, ON
from tests.domain.labels.own_schemes import OWN, scheme

from caveat.domain.errors import InvalidInput
from caveat.domain.labels import (
    Category,
    CategoryType,
    Label,
    Originator,
    SchemeRegistry,
    aggregate_marking,
    builtin_schemes,
    normalise,
    parse_banner,
    parse_marking,
    parse_portion,
    render_banner,
    roll_up,
    scheme_from_mapping,
)
from caveat.domain.labels.algebra import dominates, join
from caveat.domain.labels.builder import (
    SCI_CHOICES,
    Choice,
    Option,
    build,
    parse_level_value,
    rel_to_codes,
)
from caveat.domain.labels.errors import (
    InvalidLabel,
    MarkingError,
    NoEquivalentLevel,
    SchemeDataError,
)
from caveat.domain.labels.marking import INCOMPLETE, Marking, national_text
from caveat.domain.labels.releasability import collapse, expand
from caveat.domain.labels.validation import Violation, find_violation

R, P, INFO = CategoryType.RESTRICTIVE, CategoryType.PERMISSIVE, CategoryType.INFORMATIVE


def _denying(code: str, nation: str) -> dict[str, object]:
    """A scheme like the node's own ones whose rule for common step 1 is deny."""
    raw = scheme(code, nation)
    raw["no_equivalent"] = [
        {"common": 1, "rule": "deny", "source": f"{code} handling rules"},
        {"common": 3, "rule": "treat_as", "level": "HIDDEN", "source": "s"},
    ]
    return raw


def _bare(code: str, nation: str) -> dict[str, object]:
    """A scheme whose levels are written bare, as US levels are (no leading //)."""
    raw = scheme(code, nation)
    raw["capco_foreign"] = False
    return raw


# The shipped schemes, the node's own two (AAA, BBB) and two more shapes of scheme.
REGISTRY = SchemeRegistry(
    [
        *builtin_schemes().all(),
        *OWN.all(),
        scheme_from_mapping(_denying("DDD", "MLT")),
        scheme_from_mapping(_bare("EEE", "CYP")),
    ]
)


def _refused(text: str, *, portion: bool = False) -> MarkingError:
    parse = parse_portion if portion else parse_banner
    with pytest.raises(MarkingError) as error:
        parse(text, groups=GROUPS, on=ON)
    return error.value


def _names_fault(text: str, portion: bool, detail: str, position: int, hint: str) -> None:
    """The parser refuses ``text`` with this detail, at this position, with this hint."""
    error = _refused(text, portion=portion)
    assert (error.detail, error.position, error.hint) == (
        f"{detail} at position {position}",
        position,
        hint,
    )


# --- banner: the parser's messages, hints and positions ---------------------------------


@pytest.mark.parametrize(
    ("text", "portion", "detail", "position", "hint"),
    [
        ("secret", False, "markings are written in capitals", 0, "SECRET"),
        # A repeated compartment: its own message, at the repeat.
        ("TOP SECRET//SI/TK/SI", False, "SI is repeated", 18, "list each value once"),
        # A repeat does not end the block: a bad value after it is still read (and a
        # fault of substance is named before one of form).
        (
            "TOP SECRET//SI/SI/ZZ",
            False,
            "'ZZ' is not a valid SCI value",
            18,
            "write for example SI/TK or SI-G ABCD; SCI systems are HCS, KDK, RSV, SI, TK",
        ),
        (
            "SECRET//REL TO USA, GBR/REL TO USA, CAN",
            False,
            "REL TO USA, CAN is repeated",
            24,
            "list each control once",
        ),
        ("SECRET//NOFORN/NOFORN", False, "NOFORN is repeated", 15, "list each control once"),
        # A banner word in a portion mark: the hint gives the portion form.
        (
            "(S//NOFORN)",
            True,
            "unknown dissemination control 'NOFORN'",
            4,
            "write NF in a portion mark",
        ),
        # A foreign level without its //, in a portion mark and in a banner.
        (
            "(NS)",
            True,
            "unknown classification 'NS'",
            1,
            "NATO, EU and foreign levels start with //, for example //NATO SECRET",
        ),
        (
            "NATO SECRET",
            False,
            "unknown classification 'NATO SECRET'",
            0,
            "NATO, EU and foreign levels start with //, for example //NATO SECRET",
        ),
        (
            "S",
            False,
            "unknown classification 'S'",
            0,
            "banners spell the level out, for example SECRET or NATO SECRET",
        ),
        (
            "//SECRET",
            False,
            "unknown classification 'SECRET'",
            2,
            "US levels are written without the leading //",
        ),
        (
            "SECRET//REL TO USA, GBR, CAN",
            False,
            "CAN is out of order in REL TO",
            25,
            "order: USA first, then trigraphs alphabetically, then groups alphabetically: "
            "USA, CAN, GBR",
        ),
        # The strict parser trims no space after a code: a space before the comma is a
        # fault of form where the code is known, and "ZZZ " is not a code.
        (
            "SECRET//REL TO USA , GBR",
            False,
            "separate REL TO entries with comma and space",
            18,
            "USA, GBR",
        ),
        (
            "SECRET//REL TO ZZZ , GBR",
            False,
            "'ZZZ ' is neither a country code nor a known group",
            15,
            "use ISO 3166-1 alpha-3 codes (GBR) or a configured group (FVEY)",
        ),
    ],
)
def test_the_parser_names_the_fault_where_it_is_with_its_hint(
    text: str, portion: bool, detail: str, position: int, hint: str
) -> None:
    _names_fault(text, portion, detail, position, hint)


def test_an_invisible_character_is_named_by_its_code_point() -> None:
    with pytest.raises(MarkingError) as error:
        parse_marking("SECRET//NO\u200bFORN", groups=GROUPS, on=ON)
    assert error.value.detail == (
        "the invisible character U+200B is not allowed in a marking at position 10"
    )
    assert error.value.position == 10


def test_a_marking_may_be_exactly_the_longest_length() -> None:
    # 1,024 characters are read (the trailing spaces are normalised away); 1,025 are not.
    longest = "SECRET//NOFORN".ljust(1024)
    assert normalise(longest, GROUPS, ON) == "SECRET//NOFORN"
    with pytest.raises(MarkingError) as error:
        normalise(longest + " ", GROUPS, ON)
    assert (error.value.detail, error.value.hint) == (
        "a marking is at most 1024 characters at position 1024",
        "this is not a banner or portion mark",
    )


@pytest.mark.parametrize("writer", [None, "XYZ"])
def test_normalise_with_no_known_writer_leaves_an_unknown_level_to_the_parser(
    writer: str | None,
) -> None:
    # No writer, or one whose scheme the registry lacks: nothing is guessed, and the
    # parser refuses the level with its own message (not an unknown-scheme error).
    with pytest.raises(MarkingError) as error:
        normalise("BOGUS//NF", GROUPS, ON, writer=writer)
    assert error.value.detail == "unknown classification 'BOGUS' at position 0"


def _lowest_level_called(level_id: str) -> SchemeRegistry:
    """The shipped schemes and FFF (Malta's, invented), whose lowest level has this id."""
    own = scheme("FFF", "MLT")
    own["levels"][0]["id"] = level_id
    return SchemeRegistry([*builtin_schemes().all(), scheme_from_mapping(own)])


def test_a_writers_level_id_is_read_whatever_follows_it() -> None:
    # FFF's lowest level has the id XX: "XX//..." from an FFF writer is read as
    # //FFF OPEN, so the fault found is the unknown control after it, not the level.
    with pytest.raises(MarkingError) as error:
        normalise("XX//XX", GROUPS, ON, schemes=_lowest_level_called("XX"), writer="FFF")
    assert (error.value.text, error.value.detail) == (
        "//FFF OPEN//XX",
        "unknown dissemination control 'XX' at position 12",
    )


def test_a_category_with_no_capco_text_form_is_named() -> None:
    label = Label("USA", 2, (Category("HANDLING", R, frozenset({"X"})),))
    with pytest.raises(InvalidLabel) as error:
        render_banner(label)
    assert error.value.detail == "category HANDLING has no CAPCO text form"


# --- validation: the validator's own messages (canonical JSON, the builder) -----------


@pytest.mark.parametrize(
    ("label", "detail", "hint"),
    [
        (
            Label("USA", 2, (Category("SCI", R, frozenset({"ZZ"})),)),
            "'ZZ' is not a valid SCI value",
            "write for example SI/TK or SI-G ABCD; SCI systems are HCS, KDK, RSV, SI, TK",
        ),
        (
            Label("USA", 2, (Category("DISSEM", R, frozenset({"BOGUS"})),)),
            "unknown dissemination control 'BOGUS'",
            "known controls: FOUO, ORCON, IMCON, NOFORN, PROPIN, RELIDO "
            "(REL TO is its own category)",
        ),
        (
            Label("USA", 2, (Category("DISSEM", R, frozenset({"NOFORN", "RELIDO"})),)),
            "NOFORN cannot be combined with RELIDO",
            "keep one of them",
        ),
        (
            Label("USA", 2, (Category("DISSEM", R, frozenset({"FOUO"})),)),
            "FOUO marks unclassified information only",
            "drop FOUO",
        ),
        (
            Label("GBR", 3, (Category("REL TO", P, frozenset({"GBR"})),)),
            "REL TO GBR alone is not a release",
            "use NOFORN, or add the nations it may be released to",
        ),
    ],
)
def test_the_validator_says_what_is_wrong_and_how_to_fix_it(
    label: Label, detail: str, hint: str
) -> None:
    found = find_violation(label, groups=GROUPS)
    assert found is not None
    assert (found.detail, found.hint) == (detail, hint)


def test_a_category_refuses_a_bad_tag_or_value_as_a_categories_fault() -> None:
    with pytest.raises(InvalidLabel) as tag:
        Category("bad", R, frozenset({"X"}))
    assert (tag.value.detail, tag.value.field) == ("category tag 'bad' is not valid", "categories")
    with pytest.raises(InvalidLabel) as value:
        Category("SCI", R, frozenset({"x"}))
    assert (value.value.detail, value.value.field) == (
        "category SCI value 'x' is not valid",
        "categories",
    )


# --- algebra ------------------------------------------------------------------------------


def test_a_roll_up_keeps_the_shared_creation_time_and_originator() -> None:
    made = datetime(2024, 5, 1, tzinfo=UTC)
    mod = Originator("MoD", "GBR")
    rolled = roll_up(
        [Label("GBR", 1, originator=mod, created_at=made), Label("GBR", 3, created_at=made)],
        groups=GROUPS,
        on=ON,
    )
    assert (rolled.classification, rolled.created_at, rolled.originator) == (3, made, None)


def test_permissive_categories_no_holder_can_satisfy_are_refused_with_a_hint() -> None:
    a = Label("GBR", 1, (Category("AUDIENCE", P, frozenset({"A"})),))
    b = Label("GBR", 1, (Category("AUDIENCE", P, frozenset({"B"})),))
    with pytest.raises(InvalidLabel) as error:
        roll_up([a, b], groups=GROUPS, on=ON)
    assert error.value.detail == "no holder can satisfy permissive category AUDIENCE of both labels"
    assert error.value.hint == "these items cannot be combined into one aggregate"


def test_only_the_dissemination_block_drops_relido_and_fouo_in_a_roll_up() -> None:
    # FOUO and RELIDO are absorbed as dissemination controls only; in another
    # restrictive category they are plain values a holder needs, and stay.
    label = Label("USA", 2, (Category("HANDLING", R, frozenset({"FOUO", "RELIDO"})),))
    assert roll_up([label], groups=GROUPS, on=ON) == label


def test_a_join_keeps_the_values_of_an_informative_category_from_both_labels() -> None:
    a = Label("GBR", 1, (Category("NOTE", INFO, frozenset({"A"})),))
    b = Label("GBR", 2, (Category("NOTE", INFO, frozenset({"B"})),))
    assert join(a, b, groups=GROUPS, on=ON) == Label(
        "GBR", 2, (Category("NOTE", INFO, frozenset({"A", "B"})),)
    )


def test_a_label_dominates_itself_with_an_informative_category_other_than_tlp() -> None:
    noted = Label("GBR", 1, (Category("NOTE", INFO, frozenset({"A"})),))
    assert dominates(noted, noted, groups=GROUPS, on=ON)
    assert not dominates(Label("GBR", 1), noted, groups=GROUPS, on=ON)


def test_join_passes_its_registry_and_target_scheme_on() -> None:
    # AAA is only in the node's own registry; USA and GBR labels need a target scheme.
    assert join(Label("AAA", 1), Label("AAA", 2), groups=GROUPS, on=ON, schemes=OWN) == Label(
        "AAA", 2
    )
    assert join(Label("USA", 2), Label("GBR", 1), groups=GROUPS, on=ON, policy="GBR") == Label(
        "GBR", 2
    )


def test_groups_are_expanded_with_their_members_on_the_day() -> None:
    # Finland joined NATO in 2023 and Sweden in 2024.
    before = expand(["NATO"], GROUPS, date(2022, 1, 1))
    after = expand(["NATO"], GROUPS, ON)
    assert after - before == {"FIN", "SWE"}


# --- marking ------------------------------------------------------------------------------


def test_an_unreadable_label_falls_back_to_nato_words_where_the_readers_scheme_denies() -> None:
    # DDD denies common step 1, the reader's ceiling: the marking says NATO RESTRICTED.
    marking = aggregate_marking(
        [None], scheme="DDD", groups=GROUPS, on=ON, schemes=REGISTRY, ceiling=1
    )
    assert marking == Marking("NATO RESTRICTED", 1, INCOMPLETE, complete=False)


def test_a_stand_in_level_names_the_originators_level_from_the_given_registry() -> None:
    # GBR has no CONFIDENTIAL step: AAA GUARDED (step 2) reads as SECRET, and the note
    # names the node's own scheme's level.
    marking = aggregate_marking(
        [Label("AAA", 1)], scheme="GBR", groups=GROUPS, on=ON, schemes=REGISTRY
    )
    assert marking == Marking("SECRET", 3, "as marked: AAA GUARDED")


def test_a_bare_written_scheme_has_its_own_words_for_the_level() -> None:
    # EEE writes its levels bare, as US banners do ("EEE GUARDED"); in words, GUARDED.
    assert render_banner(Label("EEE", 1), schemes=REGISTRY) == "EEE GUARDED"
    assert national_text(Label("EEE", 1), schemes=REGISTRY) == "GUARDED"


# --- builder ------------------------------------------------------------------------------


def test_the_builder_reads_a_choice_under_the_registry_it_is_given() -> None:
    built = build(Choice("AAA", 1, rel_to=frozenset({"USA"})), schemes=OWN, groups=GROUPS)
    assert (built.violation, built.banner, built.national, built.portion) == (
        None,
        "//AAA GUARDED//REL TO USA, ISL",
        "GUARDED//REL TO USA, ISL",
        "(//AAA G//REL TO USA, ISL)",
    )


def test_the_sci_boxes_show_what_is_ticked() -> None:
    built = build(Choice("USA", 2, sci=frozenset({"SI"})), schemes=builtin_schemes(), groups=GROUPS)
    assert built.sci == tuple(Option(value, value == "SI") for value in SCI_CHOICES)


def test_an_unknown_level_value_is_a_fault_of_the_level_field() -> None:
    with pytest.raises(InvalidInput) as error:
        parse_level_value("XYZ:1", builtin_schemes())
    assert (error.value.detail, error.value.code, error.value.field) == (
        "unknown level 'XYZ:1'",
        "invalid_marking",
        "level",
    )


# --- schemes ------------------------------------------------------------------------------


def test_an_unknown_ordinal_names_the_scheme_and_the_range() -> None:
    with pytest.raises(SchemeDataError) as error:
        builtin_schemes().get("USA").level(7)
    assert (error.value.detail, error.value.hint) == (
        "scheme USA has no level with ordinal 7",
        "ordinals run from 0 to 3",
    )


def test_a_denied_step_names_the_scheme_and_cites_its_source() -> None:
    with pytest.raises(NoEquivalentLevel) as error:
        REGISTRY.get("DDD").level_for_common(1)
    assert (error.value.detail, error.value.hint) == (
        "restricted information has no equivalent under DDD",
        "DDD handling rules",
    )


def test_a_marking_two_schemes_use_names_both() -> None:
    twin = scheme("AAA", "ISL")
    twin.update(scheme="BBB", nation="LUX")  # BBB with AAA's level forms
    with pytest.raises(SchemeDataError) as error:
        SchemeRegistry([scheme_from_mapping(scheme("AAA", "ISL")), scheme_from_mapping(twin)])
    assert error.value.detail == "marking 'AAA OPEN' is used by AAA and BBB"


# --- the full run's second batch (2026-12-07 evening) ------------------------------------
# --- banner: more of the parser's messages, hints and positions --------------------------


@pytest.mark.parametrize(
    ("text", "detail", "position", "hint"),
    [
        # A level no scheme has: the hint lists the banner levels it could have been.
        (
            "BOGUS",
            "unknown classification 'BOGUS'",
            0,
            "expected one of: CONFIDENTIAL, SECRET, TOP SECRET, UNCLASSIFIED",
        ),
        # A portion mark's control in a banner: the hint gives the banner word.
        ("SECRET//NF", "unknown dissemination control 'NF'", 8, "write NOFORN in a banner"),
        (
            "SECRET//BOGUS",
            "unknown dissemination control 'BOGUS'",
            8,
            "known controls: FOUO, ORCON, IMCON, NOFORN, PROPIN, REL TO, RELIDO",
        ),
    ],
)
def test_a_banner_s_unknown_level_or_control_is_refused_with_what_it_could_be(
    text: str, detail: str, position: int, hint: str
) -> None:
    _names_fault(text, False, detail, position, hint)


def test_a_portion_marks_unknown_control_is_refused_with_the_portion_forms() -> None:
    _names_fault(
        "(S//BOGUS)",
        True,
        "unknown dissemination control 'BOGUS'",
        4,
        "known controls: FOUO, OC, IMC, NF, PR, REL TO, RELIDO",
    )


def test_normalise_refuses_two_rel_to_lists_rather_than_pick_one() -> None:
    # A repeated control is dropped by normalise, but of two REL TO lists neither can be
    # told to be the one meant: the marking is refused, not read with the last list.
    with pytest.raises(MarkingError) as error:
        normalise("SECRET//REL TO USA, GBR/REL TO USA, CAN", GROUPS, ON)
    assert (error.value.detail, error.value.hint) == (
        "REL TO USA, CAN is repeated at position 24",
        "list each control once",
    )


def test_an_invisible_character_is_a_fault_of_the_marking_field_with_a_hint() -> None:
    with pytest.raises(MarkingError) as error:
        parse_marking("SECRET//NO\u200bFORN", groups=GROUPS, on=ON)
    assert (error.value.field, error.value.code, error.value.hint) == (
        "marking",
        "invalid_marking",
        "retype the marking; text copied from documents can carry hidden characters",
    )


def test_text_in_parentheses_stays_a_portion_mark_whatever_the_writer_calls_a_level() -> None:
    # FFF's lowest level has the id "(O)". Text in parentheses is a portion mark, never
    # a level in the writer's words: "(O)" is refused as a portion mark's unknown level,
    # not read as //FFF OPEN.
    with pytest.raises(MarkingError) as error:
        normalise("(O)", GROUPS, ON, schemes=_lowest_level_called("(O)"), writer="FFF")
    assert (error.value.text, error.value.detail) == (
        "(O)",
        "unknown classification 'O' at position 1",
    )


# --- builder (continued) -------------------------------------------------------------------


def test_a_refused_choice_has_no_text_and_still_offers_its_boxes() -> None:
    # FOUO on a classified level: no label, so no text forms. The ticked FOUO box is not
    # blocked, and REL TO stays on offer: adding it breaks no rule the choice does not
    # already break (the probe's violation is the same FOUO rule).
    built = build(
        Choice("USA", 2, dissem=frozenset({"FOUO"})), schemes=builtin_schemes(), groups=GROUPS
    )
    assert built.violation is not None
    assert (built.label, built.violation.rule, built.banner, built.national, built.portion) == (
        None,
        "fouo_classified",
        "",
        "",
        "",
    )
    assert built.dissem[0] == Option("FOUO", True, "")
    assert built.rel_to == Option("REL TO", False, "")


def test_a_chosen_rel_to_box_is_not_blocked() -> None:
    built = build(
        Choice("USA", 2, rel_to=frozenset({"GBR"})), schemes=builtin_schemes(), groups=GROUPS
    )
    assert (built.banner, built.rel_to) == ("SECRET//REL TO USA, GBR", Option("REL TO", True, ""))


# --- algebra (continued) -------------------------------------------------------------------


@pytest.mark.parametrize("audience_first", [True, False])
def test_a_permissive_category_of_one_label_only_is_kept_in_a_roll_up(
    audience_first: bool,
) -> None:
    plain = Label("GBR", 1)
    audience = Label("GBR", 1, (Category("AUDIENCE", P, frozenset({"A"})),))
    labels = [audience, plain] if audience_first else [plain, audience]
    assert roll_up(labels, groups=GROUPS, on=ON) == audience


def test_a_roll_up_keeps_an_originator_both_labels_share() -> None:
    mod = Originator("MoD", "GBR")
    rolled = roll_up(
        [Label("GBR", 1, originator=mod), Label("GBR", 3, originator=mod)], groups=GROUPS, on=ON
    )
    assert (rolled.classification, rolled.originator) == (3, mod)


# --- marking (continued) -------------------------------------------------------------------


def test_an_unreadable_label_under_a_ceiling_of_zero_marks_the_lowest_level() -> None:
    # Nothing readable raises the level above the reader's ceiling.
    marking = aggregate_marking([None], scheme="USA", groups=GROUPS, on=ON, ceiling=0)
    assert marking == Marking("UNCLASSIFIED", 0, INCOMPLETE, complete=False)


# --- model ---------------------------------------------------------------------------------


def test_a_privacy_mark_of_one_character_is_accepted() -> None:
    assert Label("GBR", 1, privacy_mark="X").privacy_mark == "X"
    with pytest.raises(InvalidLabel) as error:
        Label("GBR", 1, privacy_mark="")
    assert error.value.detail == "privacy mark must be 1-128 characters"


@pytest.mark.parametrize(
    "alternatives", [(Label("USA", 1), Label("USA", 2)), (Label("GBR", 2),)], ids=["twice", "own"]
)
def test_alternatives_under_one_scheme_are_refused_with_a_reason(
    alternatives: tuple[Label, ...],
) -> None:
    with pytest.raises(InvalidLabel) as error:
        Label("GBR", 1, alternatives=alternatives)
    assert error.value.detail == "each alternative must be under a different scheme"


# --- schemes (continued) -------------------------------------------------------------------


def test_an_unknown_ordinal_is_an_unknown_level() -> None:
    with pytest.raises(SchemeDataError) as error:
        builtin_schemes().get("USA").level(7)
    assert error.value.code == "unknown_level"


# --- validation (continued) ----------------------------------------------------------------


def test_an_unknown_tlp_colour_is_refused_with_the_colours() -> None:
    label = Label("GBR", 1, (Category("TLP", INFO, frozenset({"PURPLE"})),))
    found = find_violation(label, groups=GROUPS)
    assert found is not None
    assert (found.detail, found.hint) == (
        "a TLP category holds one TLP 2.0 colour",
        "one of CLEAR, GREEN, AMBER, AMBER+STRICT, RED",
    )


# --- the full run's third batch (2026-12-07 evening) -------------------------------------
# --- banner: the parser's messages, hints and positions (continued) ----------------------


@pytest.mark.parametrize(
    ("text", "portion", "detail", "position", "hint"),
    [
        ("", False, "empty marking", 0, "write for example UNCLASSIFIED"),
        ("S", True, "a portion mark is written in parentheses", 0, "(S)"),
        ("SECRET////NOFORN", False, "empty category between //", 8, "remove the extra //"),
        # An unknown group code is refused where it is written, before anything after it
        # is read (the directory is asked at once, not left to the validator).
        (
            "SECRET//REL TO USA, ABCD/BOGUS",
            False,
            "'ABCD' is neither a country code nor a known group",
            20,
            "use ISO 3166-1 alpha-3 codes (GBR) or a configured group (FVEY)",
        ),
    ],
)
def test_the_parser_names_an_empty_or_misplaced_part_with_its_hint(
    text: str, portion: bool, detail: str, position: int, hint: str
) -> None:
    _names_fault(text, portion, detail, position, hint)


def test_only_a_space_separates_rel_to_entries() -> None:
    # A no-break space (text copied from a document) after the comma is not the space
    # the strict parser trims: the entry is read as written (and shown by its repr), and
    # is no code. (Every entry point checks the text first and names the space itself:
    # test_banner.py.)
    with pytest.raises(MarkingError) as error:
        parse_banner("SECRET//REL TO USA,\u00a0GBR", groups=GROUPS, on=ON)
    assert error.value.detail == (
        "'\\xa0GBR' is neither a country code nor a known group at position 19"
    )


def test_a_trailing_control_whitespace_character_is_refused_as_invisible() -> None:
    # Only space, tab, CR and LF count as surrounding whitespace (left to the parser);
    # a trailing vertical tab is a hidden character, named where it is.
    with pytest.raises(MarkingError) as error:
        parse_marking("SECRET\x0b", groups=GROUPS, on=ON)
    assert (error.value.detail, error.value.position) == (
        "the invisible character U+000B is not allowed in a marking at position 6",
        6,
    )


@pytest.mark.parametrize(
    ("text", "normalised"),
    [
        # A repeated control is dropped and the controls after it are still read.
        ("SECRET//ORCON/ORCON/NOFORN", "SECRET//ORCON/NOFORN"),
        # Luxembourg's code ends in X: only spaces are trimmed from a REL TO entry.
        ("SECRET//REL TO USA, LUX", "SECRET//REL TO USA, LUX"),
        # Runs of spaces inside the level are one space.
        ("TOP  SECRET//NOFORN", "TOP SECRET//NOFORN"),
    ],
)
def test_normalise_tidies_without_losing_anything(text: str, normalised: str) -> None:
    assert normalise(text, GROUPS, ON) == normalised


# --- algebra (continued) -------------------------------------------------------------------


def test_no_release_dominates_a_rel_to_list_of_another_kind() -> None:
    def p(text: str) -> Label:
        return parse_marking(text, groups=GROUPS, on=ON)

    # An uncaveated US UNCLASSIFIED label (neutral in an IC-ISM roll-up) and an unmarked
    # SECRET one say nothing about foreign release, so neither is as protective as a
    # REL TO list at its level.
    assert not dominates(
        p("UNCLASSIFIED"), p("UNCLASSIFIED//REL TO USA, GBR"), groups=GROUPS, on=ON
    )
    assert not dominates(p("SECRET"), p("SECRET//REL TO USA, GBR"), groups=GROUPS, on=ON)


# --- builder (continued) -------------------------------------------------------------------


def test_an_empty_rel_to_list_under_a_scheme_without_a_nation_is_refused() -> None:
    # NATO has no nation to add to the list, so it stays empty: no label, and the
    # violation points at no spot.
    built = build(Choice("NATO", 3, rel_to=frozenset()), schemes=builtin_schemes(), groups=GROUPS)
    assert (built.label, built.violation) == (
        None,
        Violation("rel_to_empty", "REL TO needs a list", "add nations", ()),
    )


def test_a_scheme_code_no_label_could_carry_is_refused_on_load() -> None:
    # A label's policy is a capital then capitals, digits or _: a scheme coded X:Y
    # could never be named by a label, so the loader refuses it (it once took it).
    with pytest.raises(SchemeDataError) as error:
        scheme_from_mapping(scheme("X:Y", "MLT"))
    assert error.value.detail == (
        "X:Y: the scheme code is a capital letter then 1-15 capitals, digits or _"
    )
    with pytest.raises(InvalidInput) as refused:
        parse_level_value("X:Y:1", REGISTRY)
    assert refused.value.detail == "unknown level 'X:Y:1'"


# --- model (continued) ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "detail"),
    [
        (lambda: Label("gbr", 1), "policy 'gbr' is not a scheme identifier"),
        (lambda: Label("GBR", -1), "classification must be a non-negative ordinal"),
        (
            lambda: Label(
                "GBR", 1, alternatives=(Label("USA", 1, alternatives=(Label("AUS", 1),)),)
            ),
            "an alternative label cannot have alternatives",
        ),
    ],
    ids=["policy", "classification", "nested"],
)
def test_a_label_says_which_of_its_parts_is_wrong(make: Callable[[], Label], detail: str) -> None:
    with pytest.raises(InvalidLabel) as error:
        make()
    assert error.value.detail == detail


# --- schemes (continued) -------------------------------------------------------------------


def test_a_common_step_off_the_scale_names_the_scheme_and_the_step() -> None:
    # Loading guarantees a level or a rule for every step of the scale; a step off it
    # is a caller's fault, named rather than answered.
    with pytest.raises(SchemeDataError) as error:
        builtin_schemes().get("USA").level_for_common(9)
    assert error.value.detail == "scheme USA has no rule for common step 9"


# --- re-checked survivors, 2026-12-07 evening ---------------------------------------------


def test_a_roll_up_of_nothing_is_refused_with_a_hint() -> None:
    with pytest.raises(InvalidInput) as error:
        roll_up([], groups=GROUPS, on=ON)
    assert (error.value.detail, error.value.hint) == (
        "nothing to roll up",
        "pass at least one label",
    )


def test_an_unclassified_label_without_fouo_does_not_dominate_one_with_it() -> None:
    def p(text: str) -> Label:
        return parse_marking(text, groups=GROUPS, on=ON)

    # FOUO is absorbed only by a classified level; at UNCLASSIFIED it is a control the
    # holder needs.
    assert not dominates(p("UNCLASSIFIED"), p("UNCLASSIFIED//FOUO"), groups=GROUPS, on=ON)
    # NOFORN is release enough, so only the missing FOUO decides.
    assert not dominates(p("UNCLASSIFIED//NOFORN"), p("UNCLASSIFIED//FOUO"), groups=GROUPS, on=ON)
    assert dominates(p("UNCLASSIFIED//FOUO"), p("UNCLASSIFIED//FOUO"), groups=GROUPS, on=ON)


def test_a_label_dominates_itself_with_a_permissive_category_other_than_rel_to() -> None:
    audience = Label("GBR", 1, (Category("AUDIENCE", P, frozenset({"A"})),))
    assert dominates(audience, audience, groups=GROUPS, on=ON)


def test_a_label_without_tlp_does_not_dominate_one_with_it() -> None:
    amber = Label("GBR", 1, (Category("TLP", INFO, frozenset({"AMBER"})),))
    assert not dominates(Label("GBR", 1), amber, groups=GROUPS, on=ON)
    assert dominates(amber, amber, groups=GROUPS, on=ON)


def test_an_unclosed_portion_mark_is_named_at_its_end() -> None:
    error = _refused("(S", portion=True)
    assert (error.detail, error.position) == (
        "the portion mark is not closed at position 2",
        2,
    )


def test_normalise_writes_a_comma_then_one_space_between_rel_to_entries() -> None:
    assert normalise("SECRET//REL TO USA ,GBR", GROUPS, ON) == "SECRET//REL TO USA, GBR"
    # The refused text is shown as tidied, with the comma and space.
    with pytest.raises(MarkingError) as error:
        normalise("SECRET//REL TO USA ,ZZZ", GROUPS, ON)
    assert error.value.text == "SECRET//REL TO USA, ZZZ"


def test_a_writers_level_name_is_read_when_its_id_differs() -> None:
    # FFF's lowest level is called OPEN but has the id XX: its name still reads.
    registry = _lowest_level_called("XX")
    assert normalise("OPEN", GROUPS, ON, schemes=registry, writer="FFF") == "//FFF OPEN"


def test_the_rel_to_box_of_a_scheme_only_the_given_registry_knows_is_judged_under_it() -> None:
    # AAA is only in the node's own registry; NOFORN blocks adding REL TO.
    built = build(Choice("AAA", 1, dissem=frozenset({"NOFORN"})), schemes=OWN, groups=GROUPS)
    assert built.rel_to == Option(
        "REL TO", False, "NOFORN cannot be combined with REL TO: keep one of them"
    )


def test_collapse_uses_every_group_it_can_and_lists_no_member_twice() -> None:
    nations = {m for g in GROUPS.all() if g.code in ("NATO", "FVEY") for m in g.members_on(ON)}
    assert collapse(nations, GROUPS, ON) == frozenset({"FVEY", "NATO"})


def test_a_sap_value_without_its_prefix_is_refused_with_an_example() -> None:
    found = find_violation(Label("USA", 2, (Category("SAP", R, frozenset({"BP"})),)), groups=GROUPS)
    assert found is not None
    assert (found.detail, found.hint) == (
        "'BP' is not a valid SAP value",
        "write for example SAR-BP",
    )


# --- the last survivors of the evening run ---------------------------------------------


@pytest.mark.parametrize(
    ("text", "detail", "position", "hint"),
    [
        (
            "TOP SECRET//TK/SI//NOFORN",
            "SI is out of order",
            15,
            "list values in alphabetical order",
        ),
        (" SECRET", "a marking has no surrounding spaces", 0, "SECRET"),
    ],
)
def test_a_fault_of_form_is_named_with_its_hint(
    text: str, detail: str, position: int, hint: str
) -> None:
    _names_fault(text, False, detail, position, hint)


def test_normalise_reads_on_past_a_repeated_rel_to_code() -> None:
    assert normalise("SECRET//REL TO USA, GBR, GBR, CAN", GROUPS, ON) == (
        "SECRET//REL TO USA, CAN, GBR"
    )


def test_an_alternatives_violation_keeps_the_rules_hint() -> None:
    # The same rule broken by a label and by an alternative reads the same, with the
    # alternative's index added.
    clash = Label(
        "USA",
        2,
        (
            Category("DISSEM", R, frozenset({"NOFORN"})),
            Category("REL TO", P, frozenset({"USA", "GBR"})),
        ),
    )
    own = find_violation(clash, groups=GROUPS)
    found = find_violation(Label("DEU", 3, alternatives=(clash,)), groups=GROUPS)
    assert own is not None
    assert found is not None
    assert own.hint
    assert (found.rule, found.detail, found.hint, found.alternative) == (
        own.rule,
        own.detail,
        own.hint,
        0,
    )


def _no_top(code: str, nation: str) -> dict[str, object]:
    """A scheme with no level for the top common step, whose rule for it is deny."""
    raw = scheme(code, nation)
    raw["levels"] = raw["levels"][:2]
    raw["no_equivalent"] = [
        {"common": 1, "rule": "treat_as", "level": "GUARDED", "source": "s"},
        {"common": 3, "rule": "deny", "source": "s"},
        {"common": 4, "rule": "deny", "source": "s"},
    ]
    return raw


def test_an_unknown_scheme_is_marked_at_the_fallback_top_where_the_reader_denies_it() -> None:
    # The label's scheme is unknown to the registry, so the marking is the top step;
    # the reader's scheme denies that step, so it is written in NATO words.
    registry = SchemeRegistry(
        [*builtin_schemes().all(), scheme_from_mapping(_no_top("FFF", "AND"))]
    )
    marking = aggregate_marking(
        [Label("AAA", 1)], scheme="FFF", groups=GROUPS, on=ON, schemes=registry
    )
    assert marking == Marking("COSMIC TOP SECRET", 4, INCOMPLETE, complete=False)


def test_an_alternatives_release_list_is_checked_against_the_given_groups() -> None:
    # QQQ could name a group, but the directory given knows none by that name.
    odd = Label("USA", 2, (Category("REL TO", P, frozenset({"USA", "QQQQ"})),))
    found = find_violation(Label("DEU", 3, alternatives=(odd,)), groups=GROUPS)
    assert found is not None
    assert (found.rule, found.alternative) == ("unknown_value", 0)


def test_a_repeated_release_code_says_to_list_it_once() -> None:
    _names_fault(
        "SECRET//REL TO USA, GBR, GBR",
        False,
        "GBR is repeated in REL TO",
        25,
        "list each code once",
    )


def test_an_option_breaking_only_the_rule_already_broken_is_not_blocked() -> None:
    # NOFORN with a REL TO list is already refused; adding ORCON breaks nothing new.
    choice = Choice("USA", 2, dissem=frozenset({"NOFORN"}), rel_to=frozenset({"USA", "GBR"}))
    built = build(choice, schemes=REGISTRY, groups=GROUPS)
    assert built.violation is not None
    assert built.violation.rule == "noforn_with_release"
    assert {o.value: o.blocked for o in built.dissem}["ORCON"] == ""


def test_dominance_reads_the_registry_it_is_given() -> None:
    assert dominates(Label("AAA", 2), Label("AAA", 1), groups=GROUPS, on=ON, schemes=REGISTRY)
    assert not dominates(Label("AAA", 1), Label("AAA", 2), groups=GROUPS, on=ON, schemes=REGISTRY)


def test_the_release_codes_of_a_choice_are_in_capco_order() -> None:
    chosen = Choice("USA", 2, rel_to=frozenset({"FVEY", "GBR", "USA"}))
    assert rel_to_codes(chosen) == ["USA", "GBR", "FVEY"]
    assert rel_to_codes(Choice("USA", 2)) == []


def test_a_control_out_of_register_order_is_refused_with_the_order() -> None:
    _names_fault(
        "SECRET//NOFORN/ORCON",
        False,
        "ORCON is out of order",
        15,
        "register order: FOUO, ORCON, IMCON, NOFORN, PROPIN, REL TO, RELIDO",
    )


def test_an_unknown_code_before_a_spaced_comma_is_named_as_written() -> None:
    # GBRX is no code, so the space after it is no slip of form around a known one.
    _names_fault(
        "SECRET//REL TO USA, GBRX , FRA",
        False,
        "'GBRX ' is neither a country code nor a known group",
        20,
        "use ISO 3166-1 alpha-3 codes (GBR) or a configured group (FVEY)",
    )


@pytest.mark.parametrize(
    ("codes", "hint"),
    [
        ({"GBR", "FRA"}, "start the list with USA"),
        ({"USA", "QQQQ"}, "use ISO 3166-1 alpha-3 codes (GBR) or a configured group (FVEY)"),
    ],
    ids=["without-usa", "unknown-code"],
)
def test_a_release_list_the_validator_refuses_has_its_hint(codes: set[str], hint: str) -> None:
    found = find_violation(
        Label("USA", 2, (Category("REL TO", P, frozenset(codes)),)), groups=GROUPS
    )
    assert found is not None
    assert found.hint == hint


def test_a_built_choice_names_its_owner_and_itself_whether_or_not_it_makes_a_label() -> None:
    refused = build(Choice("USA", 2, dissem=frozenset({"FOUO"})), schemes=REGISTRY, groups=GROUPS)
    assert refused.violation is not None
    assert refused.owner == "USA"
    choice = Choice("USA", 2, rel_to=frozenset({"USA", "GBR"}))
    made = build(choice, schemes=REGISTRY, groups=GROUPS)
    assert made.label is not None
    assert (made.choice, made.owner) == (choice, "USA")


# --- banner: what a refusal carries (the text for its caret) -------------------------------


def test_a_refusal_of_a_marking_too_long_carries_the_text_it_read() -> None:
    from caveat.domain.labels.banner import MAX_MARKING_LENGTH

    error = _refused("SECRET//" + "A" * MAX_MARKING_LENGTH)
    assert error.text == ("SECRET//" + "A" * MAX_MARKING_LENGTH)[:MAX_MARKING_LENGTH]
    assert error.caret().endswith("^")


def test_a_refusal_of_an_invisible_character_carries_the_text_it_read() -> None:
    from caveat.domain.labels.banner import check_marking_input

    with pytest.raises(MarkingError) as error:
        check_marking_input("SECRET\u200b//NOFORN")
    assert (error.value.text, error.value.position) == ("SECRET\u200b//NOFORN", 6)


@pytest.mark.parametrize(
    ("text", "detail", "position", "hint"),
    [
        # A trailing space is pointed at where it starts, not at the front.
        ("SECRET ", "a marking has no surrounding spaces", 6, "SECRET"),
        ("(S)", "a banner is not written in parentheses", 0, "parse it as a portion mark"),
        # A tab before the comma is no slip of form around a known code: the entry is
        # named as written.
        (
            "SECRET//REL TO USA, GBR\t , FRA",
            "'GBR\\t ' is neither a country code nor a known group",
            20,
            "use ISO 3166-1 alpha-3 codes (GBR) or a configured group (FVEY)",
        ),
        # A known code ending in X before a spaced comma keeps its X.
        (
            "SECRET//REL TO USA, LUX , GBR",
            "separate REL TO entries with comma and space",
            23,
            "USA, GBR",
        ),
    ],
    ids=["trailing-space", "parentheses", "tab-before-comma", "lux-before-comma"],
)
def test_a_banner_fault_is_named_where_it_is(
    text: str, detail: str, position: int, hint: str
) -> None:
    _names_fault(text, False, detail, position, hint)
