"""Scheme data: strict loading, the common scale and sourced national equivalences."""

from __future__ import annotations

import copy
import json
from importlib import resources
from typing import Any

import pytest

from caveat.domain.labels import (
    Label,
    NoEquivalentLevel,
    SchemeDataError,
    SchemeRegistry,
    UnknownScheme,
    common_level,
    equivalent,
    render_banner,
    scheme_from_mapping,
    with_alternatives,
)

REQUIRED = {"USA", "NATO", "GBR", "FRA", "DEU", "ITA", "ESP", "CAN", "AUS", "NLD", "NOR", "EU"}


def _raw(code: str) -> dict[str, Any]:
    text = (
        resources.files("caveat.data.schemes").joinpath(f"{code.lower()}.json").read_text("utf-8")
    )
    data: dict[str, Any] = json.loads(text)
    return data


def _level(schemes: SchemeRegistry, policy: str, level_id: str) -> Label:
    return Label(policy, schemes.get(policy).level_by_id(level_id).ordinal)


def test_every_required_scheme_ships(schemes: SchemeRegistry) -> None:
    assert {s.code for s in schemes.all()} >= REQUIRED


def test_every_scheme_is_sourced_dated_and_complete(schemes: SchemeRegistry) -> None:
    for scheme in schemes.all():
        assert scheme.source
        assert scheme.source_date <= scheme.as_of
        steps = {lv.common for lv in scheme.levels} | {r.common for r in scheme.no_equivalent}
        assert steps == {0, 1, 2, 3, 4}, scheme.code
        for rule in scheme.no_equivalent:
            assert rule.source


# Council Decision 2013/488/EU, Appendix B: one row per EU level.
APPENDIX_B = [
    ("RESTREINT UE", "VS-NUR FÜR DEN DIENSTGEBRAUCH", "RISERVATO", "DIFUSIÓN LIMITADA",
     "DIFFUSION RESTREINTE", "DEPARTEMENTAAL VERTROUWELIJK", "NR"),
    ("CONFIDENTIEL UE", "VS-VERTRAULICH", "RISERVATISSIMO", "CONFIDENCIAL", None,
     "STG. CONFIDENTIEEL", "NC"),
    ("SECRET UE", "GEHEIM", "SEGRETO", "RESERVADO", "SECRET", "STG. GEHEIM", "NS"),
    ("TRES SECRET UE", "STRENG GEHEIM", "SEGRETISSIMO", "SECRETO", "TRÈS SECRET",
     "STG. ZEER GEHEIM", "CTS"),
]  # fmt: skip


@pytest.mark.parametrize("row", APPENDIX_B)
def test_eu_appendix_b_equivalences(row: tuple[str | None, ...], schemes: SchemeRegistry) -> None:
    eu, deu, ita, esp, fra, nld, nato = row
    expected = {"EU": eu, "DEU": deu, "ITA": ita, "ESP": esp, "FRA": fra, "NLD": nld, "NATO": nato}
    present = {p: lid for p, lid in expected.items() if lid is not None}
    commons = {common_level(_level(schemes, p, lid)) for p, lid in present.items()}
    assert len(commons) == 1
    for source, source_id in present.items():
        for target, target_id in present.items():
            got = equivalent(_level(schemes, source, source_id), target)
            assert schemes.get(target).level(got.classification).id == target_id


def test_deu_geheim_is_nato_secret_is_eu_secret(schemes: SchemeRegistry) -> None:
    geheim = _level(schemes, "DEU", "GEHEIM")
    assert render_banner(equivalent(geheim, "NATO")) == "//NATO SECRET"
    assert render_banner(equivalent(geheim, "EU")) == "//EU SECRET"
    assert render_banner(equivalent(geheim, "USA")) == "SECRET"
    assert common_level(geheim) == 3


def test_gbr_has_no_confidential_and_protects_nc_as_secret(schemes: SchemeRegistry) -> None:
    assert all(level.common != 2 for level in schemes.get("GBR").levels)
    nc = _level(schemes, "NATO", "NC")
    assert render_banner(equivalent(nc, "GBR")) == "//GBR SECRET"
    # Not symmetric: GBR SECRET goes back as NATO SECRET, not NATO CONFIDENTIAL.
    assert render_banner(equivalent(equivalent(nc, "GBR"), "NATO")) == "//NATO SECRET"


def test_usa_has_no_restricted_and_protects_nr_as_confidential(schemes: SchemeRegistry) -> None:
    assert all(level.common != 1 for level in schemes.get("USA").levels)
    nr = _level(schemes, "NATO", "NR")
    assert render_banner(equivalent(nr, "USA")) == "CONFIDENTIAL"
    rule = next(r for r in schemes.get("USA").no_equivalent if r.common == 1)
    assert rule.check is True


def test_fra_abolished_confidential_in_2021(schemes: SchemeRegistry) -> None:
    fra = schemes.get("FRA")
    assert fra.source_date.isoformat() == "2021-07-01"
    assert render_banner(equivalent(_level(schemes, "EU", "CONFIDENTIEL UE"), "FRA")) == (
        "//FRA SECRET"
    )


def test_aus_and_can_levels(schemes: SchemeRegistry) -> None:
    aus = [lv.id for lv in schemes.get("AUS").levels]
    assert aus == ["OFFICIAL", "OFFICIAL: SENSITIVE", "PROTECTED", "SECRET", "TOP SECRET"]
    can = [lv.id for lv in schemes.get("CAN").levels]
    assert "PROTECTED A" not in can
    assert can[-1] == "TOP SECRET"


def test_equivalent_keeps_the_originator_label(schemes: SchemeRegistry) -> None:
    geheim = _level(schemes, "DEU", "GEHEIM")
    labelled = with_alternatives(geheim, ["NATO", "USA", "DEU"])
    assert (labelled.policy, labelled.classification) == (geheim.policy, geheim.classification)
    assert [a.policy for a in labelled.alternatives] == ["NATO", "USA"]


def test_deny_rule_raises(schemes: SchemeRegistry) -> None:
    raw = _raw("USA")
    raw["scheme"] = "XDENY"
    raw["nation"] = None
    for level in raw["levels"]:
        level["banner"] = "XDENY " + level["banner"]
        level["portion"] = "XDENY " + level["portion"]
    raw["no_equivalent"] = [{"common": 1, "rule": "deny", "level": None, "source": "test"}]
    registry = SchemeRegistry([*schemes.all(), scheme_from_mapping(raw)])
    with pytest.raises(NoEquivalentLevel) as caught:
        equivalent(_level(registry, "NATO", "NR"), "XDENY", schemes=registry)
    assert caught.value.code == "no_equivalent_level"


def test_unknown_scheme_is_an_error(schemes: SchemeRegistry) -> None:
    with pytest.raises(UnknownScheme):
        schemes.get("XYZ")


def _broken(change: str) -> dict[str, Any]:
    raw = copy.deepcopy(_raw("GBR"))
    if change == "unknown key":
        raw["colour"] = "blue"
    elif change == "schema":
        raw["schema"] = "caveat.scheme/0"
    elif change == "gap":
        raw["no_equivalent"] = []
    elif change == "treat as lower":
        raw["no_equivalent"][0]["level"] = "OFFICIAL"
    elif change == "ordinal":
        raw["levels"][1]["ordinal"] = 5
    elif change == "not ascending":
        raw["levels"][2]["common"] = 1
    elif change == "lower case banner":
        raw["levels"][0]["banner"] = "GBR Official"
    elif change == "rule":
        raw["no_equivalent"][0]["rule"] = "guess"
    elif change == "common out of range":
        raw["levels"][3]["common"] = 5
    elif change == "bad date":
        raw["as_of"] = "last year"
    return raw


@pytest.mark.parametrize(
    "change",
    ["unknown key", "schema", "gap", "treat as lower", "ordinal", "not ascending",
     "lower case banner", "rule", "common out of range", "bad date"],
)  # fmt: skip
def test_bad_scheme_data_is_rejected(change: str) -> None:
    with pytest.raises(SchemeDataError):
        scheme_from_mapping(_broken(change))


def test_ambiguous_text_forms_are_rejected(schemes: SchemeRegistry) -> None:
    raw = _raw("GBR")
    raw["scheme"] = "XGB"
    with pytest.raises(SchemeDataError, match="used by"):
        SchemeRegistry([*schemes.all(), scheme_from_mapping(raw)])


def test_uncertain_data_is_flagged_check() -> None:
    assert _raw("GBR")["no_equivalent"][0]["check"] is True
    assert any(level["check"] for level in _raw("AUS")["levels"])
