from __future__ import annotations

from datetime import date

import pytest

from caveat.domain.errors import Conflict, InvalidInput, NotFound
from caveat.domain.groups import (
    Group,
    Membership,
    builtin_directory,
    builtin_groups,
    validate_group_code,
)
from caveat.domain.nations import require_nation


def test_builtin_groups_are_sourced_and_complete() -> None:
    groups = {g.code: g for g in builtin_groups()}
    assert set(groups) >= {"FVEY", "ACGU", "TEYE", "NATO", "EU", "WA", "MTCR"}
    for group in groups.values():
        assert group.source, group.code
    today = date(2026, 1, 1)
    assert groups["FVEY"].members_on(today) == {"AUS", "CAN", "GBR", "NZL", "USA"}
    assert groups["ACGU"].members_on(today) == {"AUS", "CAN", "GBR", "USA"}
    assert groups["TEYE"].members_on(today) == {"AUS", "GBR", "USA"}
    assert len(groups["NATO"].members_on(today)) == 32
    assert len(groups["EU"].members_on(today)) == 27
    assert len(groups["WA"].members_on(today)) == 42
    assert len(groups["MTCR"].members_on(today)) == 35


def test_membership_is_dated() -> None:
    directory = builtin_directory()
    assert "GBR" in directory.members("EU", date(2020, 1, 31))
    assert "GBR" not in directory.members("EU", date(2020, 2, 1))
    assert "SWE" not in directory.members("NATO", date(2024, 3, 6))
    assert "SWE" in directory.members("NATO", date(2024, 3, 7))
    assert "FIN" in directory.members("NATO", date(2023, 4, 4))


def test_expand_mixes_nations_and_groups_and_refuses_unknown_codes() -> None:
    directory = builtin_directory()
    assert directory.expand(["DEU", "TEYE"], date(2026, 1, 1)) == {"DEU", "AUS", "GBR", "USA"}
    with pytest.raises(InvalidInput, match="neither"):
        directory.expand(["XYZ"], date(2026, 1, 1))
    with pytest.raises(NotFound):
        directory.members("NOPE", date(2026, 1, 1))


def test_custom_groups_join_the_directory_but_cannot_shadow() -> None:
    custom = Group(
        "SENSORPROG",
        "Sensor programme",
        (Membership("USA"), Membership("NOR")),
        "demo",
        builtin=False,
    )
    directory = builtin_directory().with_groups([custom])
    assert directory.members("SENSORPROG", date(2026, 1, 1)) == {"USA", "NOR"}
    # The same code and kind as the registry's refusal of a taken group code (409).
    with pytest.raises(Conflict, match="twice") as shadowed:
        directory.with_groups([Group("FVEY", "again", (), "", builtin=False)])
    assert shadowed.value.code == "duplicate_group"


@pytest.mark.parametrize("code", ["GBR", "a", "lower", "X", "TOO_LONG_GROUP_CODE_X", "1ABC"])
def test_group_codes_are_checked(code: str) -> None:
    with pytest.raises(InvalidInput):
        validate_group_code(code)


@pytest.mark.parametrize("code", ["XYZ", "gbr", "GB", "UK"])
def test_nations_must_be_iso_alpha3(code: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        require_nation(code)
    assert caught.value.code == "invalid_nation"
    assert caught.value.hint
