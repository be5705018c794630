"""One label validator for banners, portion marks and canonical JSON (issue 13).

Every rule the banner grammar holds is held for a label given as canonical JSON too,
with the same error code and rule; known answers for the faults the review found, then
properties over labels that keep every rule and labels drawn to break them.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from tests.domain.labels.label_strategies import (
    GROUPS,
    ON,
    any_labels,
    broken_labels,
    labels,
    raw_marking,
)

from caveat.domain.groups import Group, GroupDirectory, Membership
from caveat.domain.labels import (
    DISSEM,
    MAX_CANONICAL_BYTES,
    REL_TO,
    SAP,
    SCI,
    TLP,
    Category,
    CategoryType,
    InvalidLabel,
    Label,
    LabelRuleError,
    MarkingError,
    label_from_canonical_json,
    label_to_canonical_json,
    parse_banner,
    parse_marking,
    parse_portion,
    render_banner,
    render_portion,
    roll_up,
    validate_label,
    with_alternatives,
)

P, R = CategoryType.PERMISSIVE, CategoryType.RESTRICTIVE


def label(policy: str, level: int, *categories: tuple[str, CategoryType, set[str]]) -> Label:
    return Label(policy, level, tuple(Category(t, k, frozenset(v)) for t, k, v in categories))


def refused_as_json(value: Label, groups: GroupDirectory | None = GROUPS) -> LabelRuleError:
    with pytest.raises(LabelRuleError) as caught:
        label_from_canonical_json(label_to_canonical_json(value), groups=groups)
    return caught.value


def refused_as_text(text: str, groups: GroupDirectory = GROUPS) -> MarkingError:
    with pytest.raises(MarkingError) as caught:
        parse_marking(text, groups=groups, on=ON)
    return caught.value


# The faults of the outside review, each as canonical JSON and as the banner it renders.
# The canonical path points at the fault with a JSON path into the bytes given.
REVIEW = [
    pytest.param(
        label("USA", 2, (DISSEM, R, {"NOFORN"}), (REL_TO, P, {"USA", "GBR"})),
        "SECRET//NOFORN/REL TO USA, GBR",
        "noforn_with_release",
        "/categories/0/values/0",
        id="NOFORN with REL TO",
    ),
    pytest.param(
        label("USA", 2, (DISSEM, R, {"NOFORN", "RELIDO"})),
        "SECRET//NOFORN/RELIDO",
        "noforn_with_release",
        "/categories/0/values/0",
        id="NOFORN with RELIDO",
    ),
    pytest.param(
        label("USA", 2, (DISSEM, R, {"FOUO"})),
        "SECRET//FOUO",
        "fouo_classified",
        "/categories/0/values/0",
        id="FOUO on SECRET",
    ),
    pytest.param(
        label("NATO", 1, (DISSEM, R, {"FOUO"})),
        "//NATO RESTRICTED//FOUO",
        "fouo_classified",
        "/categories/0/values/0",
        id="FOUO on NATO RESTRICTED",
    ),
    pytest.param(
        label("USA", 2, (REL_TO, P, {"USA"})),
        "SECRET//REL TO USA",
        "rel_to_owner_alone",
        "/categories/0",
        id="REL TO USA alone",
    ),
    pytest.param(
        label("DEU", 3, (REL_TO, P, {"DEU"})),
        "//DEU GEHEIM//REL TO DEU",
        "rel_to_owner_alone",
        "/categories/0",
        id="REL TO DEU alone",
    ),
    pytest.param(
        label("USA", 2, (REL_TO, P, {"FRA", "GBR"})),
        "SECRET//REL TO FRA, GBR",
        "rel_to_without_usa",
        "/categories/0",
        id="US list without USA",
    ),
    pytest.param(
        label("USA", 2, (DISSEM, R, {"BOGUS", "ORCON"})),
        "SECRET//ORCON/BOGUS",
        "unknown_value",
        "/categories/0/values/0",
        id="unknown dissemination control",
    ),
    pytest.param(
        label("USA", 3, (SCI, R, {"SI", "ZZ"})),
        "TOP SECRET//SI/ZZ",
        "unknown_value",
        "/categories/0/values/1",
        id="unknown SCI system",
    ),
    pytest.param(
        label("USA", 3, (SCI, R, {"ZZ-ABC"})),
        "TOP SECRET//ZZ-ABC",
        "unknown_value",
        "/categories/0/values/0",
        id="unknown SCI system alone",
    ),
    pytest.param(
        label("USA", 2, (SAP, R, {"SAR-"})),
        "SECRET//SAR-",
        "unknown_value",
        "/categories/0/values/0",
        id="SAP without a nickname",
    ),
    pytest.param(
        label("USA", 2, (REL_TO, P, {"USA", "XYZ"})),
        "SECRET//REL TO USA, XYZ",
        "unknown_value",
        "/categories/0/values/1",
        id="unknown REL TO code",
    ),
]


@pytest.mark.parametrize(("value", "text", "rule", "path"), REVIEW)
def test_review_faults_are_refused_alike_by_both_paths(
    value: Label, text: str, rule: str, path: str
) -> None:
    as_json = refused_as_json(value)
    as_text = refused_as_text(text)
    assert as_json.code == as_text.code == "invalid_marking"
    assert as_json.rule == as_text.rule == rule
    assert as_json.path == path
    assert as_json.data == {"rule": rule, "path": path}
    assert as_text.data["rule"] == rule
    assert as_json.hint
    assert as_text.hint


def test_rules_only_json_can_break() -> None:
    # The grammar cannot write these; the validator holds them all the same.
    wrong_type = label("USA", 2, (REL_TO, R, {"USA", "GBR"}))
    assert refused_as_json(wrong_type).rule == "category_type"
    assert refused_as_json(wrong_type).path == "/categories/0"
    as_dissem = label("USA", 2, (DISSEM, R, {"REL TO"}))
    assert refused_as_json(as_dissem).rule == "unknown_value"
    for colours in ({"PURPLE"}, {"RED", "GREEN"}):
        tlp = label("USA", 0, (TLP, CategoryType.INFORMATIVE, colours))
        assert refused_as_json(tlp).rule == "unknown_value"


def test_alternatives_are_checked_by_the_rules_of_their_own() -> None:
    # A German label releasable to GBR and FRA: its US equivalent carries the list
    # unchanged, without USA. The rules on the scheme's own nation bind the originator's
    # label only, so this is accepted...
    german = label("DEU", 3, (REL_TO, P, {"FRA", "GBR"}))
    both = with_alternatives(german, ["USA"])
    assert label_from_canonical_json(label_to_canonical_json(both), groups=GROUPS) == both
    # ...while a combination no scheme allows is refused in an alternative too.
    clash = label("USA", 2, (DISSEM, R, {"NOFORN"}), (REL_TO, P, {"USA", "GBR"}))
    smuggled = Label("DEU", 3, alternatives=(clash,))
    error = refused_as_json(smuggled)
    assert error.rule == "noforn_with_release"
    assert error.path == "/alternatives/0/categories/0/values/0"


def test_group_codes_are_checked_against_the_directory_when_given() -> None:
    pair = GroupDirectory(
        [Group("PAIR", "test pair", (Membership("DEU"), Membership("FRA")), source="test")]
    )
    value = label("USA", 2, (REL_TO, P, {"USA", "PAIR"}))
    data = label_to_canonical_json(value)
    assert label_from_canonical_json(data, groups=pair) == value
    assert refused_as_json(value, groups=GROUPS).rule == "unknown_value"
    # A stored label is read without the node's directory: a well-formed group code
    # passes (the policy matches codes as written, so an unknown one grants nothing),
    # a code no group could have does not.
    assert label_from_canonical_json(data) == value
    no_group = refused_as_json(label("USA", 2, (REL_TO, P, {"USA", "FIVE-EYES"})), None)
    assert (no_group.rule, no_group.path) == ("unknown_value", "/categories/0/values/0")


def test_canonical_json_has_a_size_limit() -> None:
    padded = label_to_canonical_json(label("USA", 2)).replace(b"{", b"{" + b" " * 20_000, 1)
    assert len(padded) > MAX_CANONICAL_BYTES
    with pytest.raises(InvalidLabel) as caught:
        label_from_canonical_json(padded)
    assert caught.value.code == "label_too_large"
    assert str(MAX_CANONICAL_BYTES) in caught.value.detail
    # Not even decoded: bytes that are no JSON at all meet the same error.
    with pytest.raises(InvalidLabel, match="at most"):
        label_from_canonical_json(b"\xff" * (MAX_CANONICAL_BYTES + 1))


def test_substance_is_named_before_form() -> None:
    # REL TO before NOFORN is out of register order as well; the clash is what matters.
    assert refused_as_text("(S//REL TO USA, GBR/NF)").rule == "noforn_with_release"
    assert refused_as_text("SECRET//ORCON/FOUO").rule == "fouo_classified"
    assert refused_as_text("SECRET//REL TO USA/ORCON").rule == "rel_to_owner_alone"
    form = refused_as_text("SECRET//NOFORN/ORCON")
    assert (form.rule, form.position) == (None, 15)


# Properties


def _marked(value: Label) -> Label:
    """What a banner says of ``value``: scheme, level and the CAPCO categories."""
    kept = tuple(c for c in value.categories if c.tag in (SCI, SAP, DISSEM, REL_TO))
    return Label(value.policy, value.classification, kept)


@given(labels(informative=True, provenance=True))
def test_accepted_labels_round_trip_through_every_form(value: Label) -> None:
    assert validate_label(value, groups=GROUPS) is value
    data = label_to_canonical_json(value)
    assert label_from_canonical_json(data, groups=GROUPS) == value
    assert parse_banner(render_banner(value), groups=GROUPS, on=ON) == _marked(value)
    assert parse_portion(render_portion(value), groups=GROUPS, on=ON) == _marked(value)
    banner = _marked(value)
    if banner.releasable_to is not None:  # the short portion form, with its banner
        portion = render_portion(value, banner=banner)
        assert parse_portion(portion, groups=GROUPS, on=ON, banner=banner) == banner


@given(broken_labels())
def test_a_label_broken_by_one_rule_is_refused_by_every_path_for_it(
    case: tuple[Label, str],
) -> None:
    value, rule = case
    as_json = refused_as_json(value)
    assert (as_json.code, as_json.rule) == ("invalid_marking", rule)
    for text in (raw_marking(value), raw_marking(value, portion=True)):
        as_text = refused_as_text(text)
        assert (as_text.code, as_text.rule) == ("invalid_marking", rule), text
    with pytest.raises(MarkingError) as titled:
        parse_banner(raw_marking(value, titles=True), groups=GROUPS, on=ON)
    assert titled.value.rule == rule


@given(any_labels())
def test_both_paths_accept_and_refuse_alike(value: Label) -> None:
    try:
        validate_label(value, groups=GROUPS)
        verdict: LabelRuleError | None = None
    except LabelRuleError as error:
        verdict = error
    data = label_to_canonical_json(value)
    texts = [raw_marking(value), raw_marking(value, portion=True)]
    if verdict is None:
        assert label_from_canonical_json(data, groups=GROUPS) == value
        assert texts == [render_banner(value), render_portion(value)]
        for text in texts:
            assert parse_marking(text, groups=GROUPS, on=ON) == value
        return
    as_json = refused_as_json(value)
    assert (as_json.code, as_json.rule, as_json.path) == (verdict.code, verdict.rule, verdict.path)
    for text in texts:
        as_text = refused_as_text(text)
        assert (as_text.code, as_text.rule) == ("invalid_marking", verdict.rule), text


@given(labels())
def test_titles_read_as_the_abbreviations(value: Label) -> None:
    spelled = raw_marking(value, titles=True)
    assert parse_banner(spelled, groups=GROUPS, on=ON) == value
    assert render_banner(parse_banner(spelled, groups=GROUPS, on=ON)) == render_banner(value)


@given(labels(["USA"]), labels(["USA"]))
def test_roll_up_of_accepted_labels_is_accepted(a: Label, b: Label) -> None:
    assert validate_label(roll_up([a, b], groups=GROUPS, on=ON), groups=GROUPS)


@given(labels(["NATO"]), labels(["NATO"]))
def test_roll_up_of_accepted_labels_is_accepted_without_an_owner(a: Label, b: Label) -> None:
    assert validate_label(roll_up([a, b], groups=GROUPS, on=ON), groups=GROUPS)


def test_a_stored_label_that_breaks_a_later_rule_stays_readable() -> None:
    # Rows the node wrote itself are read with check_rules=False: a rule added later
    # must not make stored information unreadable (one old row would fail a listing).
    stored = Label(
        "USA",
        2,
        (Category(DISSEM, CategoryType.RESTRICTIVE, frozenset({"FOUO"})),),
    )
    data = label_to_canonical_json(stored)
    with pytest.raises(LabelRuleError):
        label_from_canonical_json(data)
    assert label_from_canonical_json(data, check_rules=False) == stored
