"""Organisation and project names (issue 12): one name, one row. A Cyrillic letter, a
zero-width space or a second ``AFRL`` used to register beside the real one, and lookups
by short name then took "the first row"."""

from __future__ import annotations

import pytest

from caveat.bootstrap.container import Node
from caveat.domain.errors import Conflict, InvalidInput
from caveat.domain.identity import OrganisationKind
from caveat.domain.names import clean_name, look_alike, skeleton
from caveat.services.kernel.principal import ConsoleOperator
from caveat.services.kernel.uow import CallContext

LAB = OrganisationKind.GOVERNMENT_LABORATORY


def _org(node: Node, name: str, short: str | None = None, nation: str = "USA") -> str:
    return node.registry.create_organisation(
        ConsoleOperator(), CallContext.cli(), name=name, nation=nation, kind=LAB, short_name=short
    ).name


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("AFRL", "\u0410FRL"),  # Cyrillic capital A
        ("AFRL", "afrl"),
        ("AFRL", "AFRI"),  # a capital I reads as a small L
        ("Dstl", "D\u0455tl"),  # Cyrillic dze
        ("Thales", "\uff34hales"),  # full-width T
        ("Onera", "0nera"),  # zero for O
        ("Northwind Labs", "Northwind  Labs"),  # only the spacing differs
    ],
)
def test_names_that_look_alike_share_a_skeleton(one: str, other: str) -> None:
    assert skeleton(one) == skeleton(other)
    assert look_alike(other, ["Fraunhofer", one]) == one


@pytest.mark.parametrize(("one", "other"), [("AFRL", "AFRO"), ("Dstl", "Dstg"), ("TNO", "TNA")])
def test_names_that_read_differently_do_not_clash(one: str, other: str) -> None:
    assert look_alike(other, [one]) is None


def test_names_are_nfkc_normalised_with_single_spaces() -> None:
    assert clean_name(" \uff21FRL  Rome\u00a0NY ", field="n", what="n", shortest=1, longest=50) == (
        "AFRL Rome NY"
    )


@pytest.mark.parametrize("invisible", ["\u200b", "\u200d", "\u202e", "\u0007", "\ue000"])
def test_a_name_with_an_invisible_character_is_refused(node: Node, invisible: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        _org(node, f"Air Force{invisible} Research Laboratory")
    assert refused.value.code == "invisible_character"
    assert refused.value.data["position"] == 9


def test_an_organisation_that_looks_like_another_is_refused(node: Node) -> None:
    _org(node, "Air Force Research Laboratory", "AFRL")
    for name, short, code in [
        ("Air Force Research Laboratory", None, "duplicate_organisation"),
        ("\u0410ir Force Research Laboratory", None, "confusable_name"),
        ("Advanced Flight Research Lab", "AFRL", "duplicate_organisation"),
        ("Advanced Flight Research Lab", "\u0410FRL", "confusable_name"),
        ("Advanced Flight Research Lab", "afrl", "confusable_name"),
        ("AFRL", None, "duplicate_organisation"),  # a name may not be another's short name
    ]:
        with pytest.raises(Conflict) as refused:
            _org(node, name, short)
        assert refused.value.code == code, (name, short)
    # The real one is still the one a lookup by short name finds.
    assert node.registry.get_organisation("AFRL").name == "Air Force Research Laboratory"
    assert _org(node, "Advanced Flight Research Lab", "AFLR") == "Advanced Flight Research Lab"


def test_a_project_that_looks_like_another_is_refused(node: Node) -> None:
    node.projects.create_project(ConsoleOperator(), CallContext.cli(), name="Hypersonics")
    with pytest.raises(Conflict) as refused:
        node.projects.create_project(ConsoleOperator(), CallContext.cli(), name="Hypers\u043enics")
    assert refused.value.code == "confusable_name"
    with pytest.raises(InvalidInput):
        node.projects.create_project(ConsoleOperator(), CallContext.cli(), name="Radar\u200b")


@pytest.mark.parametrize(
    "hidden",
    ["\u3164", "\u034f", "\u115f", "\uffa0", "\u17b4", "\u180b", "\ufe0f", "\U000e0100", "\u2800"],
)
def test_default_ignorable_characters_are_refused(node: Node, hidden: str) -> None:
    # Each renders as nothing: AFRL plus one of them looked exactly like AFRL.
    _org(node, "Air Force Research Laboratory", "AFRL")
    with pytest.raises(InvalidInput) as refused:
        _org(node, "Advanced Flight Research Lab", f"AFRL{hidden}")
    assert refused.value.code == "invisible_character"


def test_a_name_spelled_as_another_rows_id_cannot_stand_in_for_it(node: Node) -> None:
    real = node.projects.create_project(ConsoleOperator(), CallContext.cli(), name="Radar")
    with pytest.raises(InvalidInput) as refused:
        node.projects.create_project(ConsoleOperator(), CallContext.cli(), name=real.id)
    assert refused.value.code == "invalid_name"
    assert node.projects.get_project(real.id).name == "Radar"


def test_programme_names_are_checked_like_the_others(node: Node) -> None:
    node.programmes.create(ConsoleOperator(), CallContext.cli(), name="Sensor Programme")
    with pytest.raises(Conflict) as refused:
        node.programmes.create(ConsoleOperator(), CallContext.cli(), name="S\u0435nsor Programme")
    assert refused.value.code == "confusable_name"
