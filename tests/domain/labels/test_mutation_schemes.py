"""Scheme files as a node operator writes them: every refusal names the field and why.

Written against the survivors of the 2026-12-04 mutation run of ``labels.schemes``: the
exact message, hint and code of each refusal, every field a valid file sets (and the
defaults of the ones it leaves out), and the loader itself, including a zipped install.
"""

from __future__ import annotations

import copy
import json
import types
import zipfile
from collections.abc import Callable
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from caveat.domain.errors import InvalidInput
from caveat.domain.labels import SchemeDataError, scheme_from_mapping
from caveat.domain.labels import schemes as schemes_module
from caveat.domain.labels.schemes import (
    Level,
    MissingRule,
    NoEquivalentRule,
    Scheme,
    load_builtin_schemes,
)

HINT = "fix the scheme JSON; see docs for caveat.scheme/1"


def _base() -> dict[str, Any]:
    return {
        "schema": "caveat.scheme/1",
        "scheme": "TST",
        "name": "Test scheme",
        "nation": "GBR",
        "capco_foreign": True,
        "source": "test source",
        "source_date": "2020-01-02",
        "as_of": "2021-03-04",
        "check": True,
        "levels": [
            {
                "ordinal": 0,
                "id": "L0",
                "name": "Low",
                "abbreviation": "l",
                "banner": "TST LOW",
                "portion": "TST L",
                "common": 0,
            },
            {
                "ordinal": 1,
                "id": "L2",
                "name": "Middle",
                "abbreviation": "m",
                "banner": "TST MIDDLE",
                "portion": "TST M",
                "common": 2,
                "check": True,
                "note": "a level note",
            },
            {
                "ordinal": 2,
                "id": "L3",
                "name": "High",
                "abbreviation": "h",
                "banner": "TST HIGH",
                "portion": "TST H",
                "common": 3,
                "check": False,
            },
        ],
        "no_equivalent": [
            {"common": 1, "rule": "treat_as", "level": "L2", "source": "rule one"},
            {
                "common": 4,
                "rule": "deny",
                "source": "rule four",
                "check": True,
                "note": "a rule note",
            },
        ],
    }


def test_a_valid_file_sets_every_field_and_the_defaults() -> None:
    expected = Scheme(
        code="TST",
        name="Test scheme",
        nation="GBR",
        capco_foreign=True,
        levels=(
            Level(0, "L0", "Low", "l", "TST LOW", "TST L", 0, check=False, note=""),
            Level(
                1, "L2", "Middle", "m", "TST MIDDLE", "TST M", 2, check=True, note="a level note"
            ),
            Level(2, "L3", "High", "h", "TST HIGH", "TST H", 3, check=False, note=""),
        ),
        no_equivalent=(
            NoEquivalentRule(1, MissingRule.TREAT_AS, "L2", "rule one", check=False, note=""),
            NoEquivalentRule(
                4, MissingRule.DENY, None, "rule four", check=True, note="a rule note"
            ),
        ),
        source="test source",
        source_date=date(2020, 1, 2),
        as_of=date(2021, 3, 4),
        check=True,
    )
    scheme = scheme_from_mapping(_base())
    assert scheme == expected
    assert scheme.no_equivalent[0].rule is MissingRule.TREAT_AS


def test_defaults_when_a_file_leaves_check_and_nation_out() -> None:
    raw = _base()
    del raw["check"], raw["nation"]
    scheme = scheme_from_mapping(raw)
    assert scheme.check is False
    assert scheme.nation is None


Edit = Callable[[dict[str, Any]], None]


def _set(path: tuple[str | int, ...], value: Any) -> Edit:
    def edit(raw: dict[str, Any]) -> None:
        target: Any = raw
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value

    return edit


def _drop(path: tuple[str | int, ...]) -> Edit:
    def edit(raw: dict[str, Any]) -> None:
        target: Any = raw
        for step in path[:-1]:
            target = target[step]
        del target[path[-1]]

    return edit


def _both(*edits: Edit) -> Edit:
    def edit(raw: dict[str, Any]) -> None:
        for one in edits:
            one(raw)

    return edit


L1 = ("levels", 1)
R0 = ("no_equivalent", 0)
R1 = ("no_equivalent", 1)

REFUSALS: list[tuple[str, Edit, str]] = [
    ("unknown top key", _set(("extra",), 1), "TST: unknown keys ['extra']"),
    ("unknown level key", _set((*L1, "colour"), "red"), "TST.levels[1]: unknown keys ['colour']"),
    ("unknown rule key", _set((*R1, "x"), 1), "TST.no_equivalent[1]: unknown keys ['x']"),
    ("wrong schema", _set(("schema",), "caveat.scheme/2"), "TST: schema must be caveat.scheme/1"),
    (
        "no scheme code",
        _both(_drop(("scheme",)), _set(("schema",), "x")),
        "<scheme>: schema must be caveat.scheme/1",
    ),
    ("lower-case code", _set(("scheme",), "tst"), "tst: scheme 'tst' must be written in capitals"),
    ("numeric code", _set(("scheme",), 5), "5: scheme must be a non-empty string"),
    ("blank code", _set(("scheme",), "  "), "  : scheme must be a non-empty string"),
    (
        "capco_foreign text",
        _set(("capco_foreign",), "yes"),
        "TST: capco_foreign must be true or false",
    ),
    (
        "capco_foreign missing",
        _drop(("capco_foreign",)),
        "TST: capco_foreign must be true or false",
    ),
    ("no levels", _set(("levels",), []), "TST: a scheme needs at least one level"),
    ("ordinal out of place", _set((*L1, "ordinal"), 5), "TST: level L2 has ordinal 5, expected 1"),
    ("equal steps", _set((*L1, "common"), 0), "TST: level L2 must sit above the level before it"),
    ("duplicate id", _set((*L1, "id"), "L0"), "TST: level ids must be unique"),
    (
        "step not covered",
        _set(("no_equivalent",), [{"common": 1, "rule": "deny", "source": "s"}]),
        "TST: every common step needs exactly one level or one no-equivalent rule",
    ),
    (
        "unknown level named after a deny rule",
        _set(
            ("no_equivalent",),
            [
                {"common": 4, "rule": "deny", "source": "s"},
                {"common": 1, "rule": "treat_as", "level": "NOPE", "source": "s"},
            ],
        ),
        "TST: rule for step 1 names unknown level 'NOPE'",
    ),
    (
        "treated as a lower level",
        _set((*R0, "level"), "L0"),
        "TST: step 1 cannot be treated as the lower level L0",
    ),
    ("level common too high", _set((*L1, "common"), 5), "TST.levels[1]: common must be 0-4"),
    ("level common negative", _set((*L1, "common"), -1), "TST.levels[1]: common must be 0-4"),
    ("level common text", _set((*L1, "common"), "2"), "TST.levels[1]: common must be an integer"),
    ("level common bool", _set((*L1, "common"), True), "TST.levels[1]: common must be an integer"),
    ("level ordinal missing", _drop((*L1, "ordinal")), "TST.levels[1]: ordinal must be an integer"),
    (
        "level id lower",
        _set((*L1, "id"), "l2"),
        "TST.levels[1]: id 'l2' must be written in capitals",
    ),
    (
        "level banner lower",
        _set((*L1, "banner"), "TST Middle"),
        "TST.levels[1]: banner 'TST Middle' must be written in capitals",
    ),
    (
        "level portion lower",
        _set((*L1, "portion"), "TST m"),
        "TST.levels[1]: portion 'TST m' must be written in capitals",
    ),
    ("level name missing", _drop((*L1, "name")), "TST.levels[1]: name must be a non-empty string"),
    (
        "level abbreviation empty",
        _set((*L1, "abbreviation"), ""),
        "TST.levels[1]: abbreviation must be a non-empty string",
    ),
    ("level check text", _set((*L1, "check"), "yes"), "TST.levels[1]: check must be true or false"),
    (
        "rule kind",
        _set((*R0, "rule"), "upgrade"),
        "TST.no_equivalent[0]: rule must be 'treat_as' or 'deny'",
    ),
    (
        "treat_as without level",
        _drop((*R0, "level")),
        "TST.no_equivalent[0]: treat_as needs the level to treat it as",
    ),
    ("deny with level", _set((*R1, "level"), "L3"), "TST.no_equivalent[1]: deny names no level"),
    (
        "rule common missing",
        _drop((*R0, "common")),
        "TST.no_equivalent[0]: common must be an integer",
    ),
    (
        "rule source missing",
        _drop((*R0, "source")),
        "TST.no_equivalent[0]: source must be a non-empty string",
    ),
    (
        "rule check text",
        _set((*R1, "check"), 1),
        "TST.no_equivalent[1]: check must be true or false",
    ),
    ("name missing", _drop(("name",)), "TST: name must be a non-empty string"),
    ("source missing", _drop(("source",)), "TST: source must be a non-empty string"),
    (
        "source_date not a date",
        _set(("source_date",), "2020-13-01"),
        "TST: source_date must be an ISO date",
    ),
    ("as_of missing", _drop(("as_of",)), "TST: as_of must be a non-empty string"),
    ("as_of not a date", _set(("as_of",), "soon"), "TST: as_of must be an ISO date"),
    ("check text", _set(("check",), "no"), "TST: check must be true or false"),
]


@pytest.mark.parametrize(
    ("edit", "detail"), [r[1:] for r in REFUSALS], ids=[r[0] for r in REFUSALS]
)
def test_each_refusal_names_where_and_why(edit: Edit, detail: str) -> None:
    raw = _base()
    edit(raw)
    with pytest.raises(SchemeDataError) as caught:
        scheme_from_mapping(raw)
    assert caught.value.detail == detail
    assert caught.value.hint == HINT
    assert caught.value.code == "bad_scheme_data"


def test_a_bad_nation_is_reported_on_the_scheme_nation_field() -> None:
    raw = _base()
    raw["nation"] = "XYZ"
    with pytest.raises(InvalidInput) as caught:
        scheme_from_mapping(raw)
    assert caught.value.code == "invalid_nation"
    assert caught.value.field == "TST.nation"


def _shipped() -> list[tuple[str, str]]:
    folder = resources.files("caveat.data.schemes")
    names = sorted(e.name for e in folder.iterdir() if e.name.endswith(".json"))
    return [(name, folder.joinpath(name).read_text(encoding="utf-8")) for name in names]


def test_the_loader_reads_every_shipped_file_in_name_order() -> None:
    shipped = _shipped()
    assert len(shipped) >= 12
    expected = [scheme_from_mapping(json.loads(text)) for _, text in shipped]
    assert load_builtin_schemes() == expected


def _zipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: list[tuple[str, str]]) -> None:
    archive = tmp_path / "caveat.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name, text in files:
            zf.writestr(f"caveat/data/schemes/{name}", text)
    asked: list[str] = []

    def files_of(package: str) -> zipfile.Path:
        asked.append(package)
        return zipfile.Path(archive, "caveat/data/schemes/")

    monkeypatch.setattr(schemes_module, "resources", types.SimpleNamespace(files=files_of))


def test_the_loader_works_from_a_zipped_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # zipfile.Path entries cannot be compared: the loader must sort them by name.
    shipped = dict(_shipped())
    files = [
        ("usa.json", shipped["usa.json"]),
        ("README.txt", "x"),
        ("can.json", shipped["can.json"]),
    ]
    _zipped(tmp_path, monkeypatch, files)
    assert [s.code for s in load_builtin_schemes()] == ["CAN", "USA"]


def test_a_scheme_stored_under_another_name_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = json.loads(dict(_shipped())["usa.json"])
    _zipped(tmp_path, monkeypatch, [("nato.json", json.dumps(raw))])
    with pytest.raises(SchemeDataError) as caught:
        load_builtin_schemes()
    assert caught.value.detail == "USA: must be stored as usa.json"
    assert caught.value.hint == HINT


def test_the_base_file_is_not_shared_between_tests() -> None:
    assert _base() == copy.deepcopy(_base())
