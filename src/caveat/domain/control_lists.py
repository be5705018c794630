"""The control-list catalogue: structure and headings of USML, CCL, Wassenaar, MTCR and
EU Annex I, shipped as sourced package data (``caveat/data/control_lists.json``).

Syntax alone accepts ``MTCR:5.A.1`` or ``WA:1A101``; the catalogue knows MTCR item 5 is
reserved and that Wassenaar dual-use entries all carry the regime digit 0. It also says
what an entry is about ("3A001: Electronics / Systems, equipment and components / National
security"), which is what an export control officer reads before confirming a
classification.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from caveat.domain.errors import InvalidInput

SCHEMA = "caveat.control-lists/1"
_CCL_SHAPE = re.compile(r"^(\d)([A-E])(\d)(\d\d)")
_MTCR_SHAPE = re.compile(r"^(\d{1,2})\.([A-E])\.")
_ML_SHAPE = re.compile(r"^ML(\d{1,2})")


@dataclass(frozen=True, slots=True)
class Heading:
    """One level of a list's structure: ``("3", "Electronics")``."""

    code: str
    title: str


@dataclass(frozen=True, slots=True)
class EntryDescription:
    """What the catalogue says about one entry."""

    regime: str
    code: str
    list_name: str
    source: str
    as_of: str
    headings: tuple[Heading, ...]
    mtcr_category: int | None = None
    note: str = ""

    @property
    def summary(self) -> str:
        """One line: the headings from the top of the list down."""
        return " / ".join(h.title for h in self.headings)


class CatalogueError(InvalidInput):
    """An entry that is well formed but not on its list (reserved item, unused digit)."""

    code = "invalid_control_entry"


@dataclass(frozen=True)
class ControlLists:
    """The catalogue as loaded from package data, indexed for lookups."""

    document: dict[str, Any]

    def regime(self, name: str) -> dict[str, Any]:
        regimes: dict[str, Any] = self.document["regimes"]
        return dict(regimes[name])

    def _table(self, name: str, key: str, field: str = "code") -> dict[str, str]:
        return _table(name, key, field)

    def describe(self, regime: str, code: str) -> EntryDescription:
        """Describe a syntactically valid ``code`` of ``regime``; raise CatalogueError
        when the list has no such heading."""
        data = self.regime(regime)
        heads, category, note = _DESCRIBERS[regime](self, code)
        return EntryDescription(
            regime=regime,
            code=code,
            list_name=str(data["name"]),
            source=str(data["source"]),
            as_of=str(data["as_of"]),
            headings=tuple(heads),
            mtcr_category=category,
            note=note,
        )

    def rows(self) -> list[dict[str, Any]]:
        """Every regime with its headings, for listing pages and `caveat control-list`."""
        return [{"regime": name, **body} for name, body in self.document["regimes"].items()]


_Described = tuple[list[Heading], int | None, str]


def _missing(regime: str, code: str, why: str) -> CatalogueError:
    return CatalogueError(f"{regime}:{code}: {why}", field="control_entry")


def _ccl_like(lists: ControlLists, regime: str, code: str) -> list[Heading]:
    """Category, product group and regime-of-origin digit of a CCL-shaped number."""
    match = _CCL_SHAPE.match(code)
    if match is None:
        raise _missing(regime, code, "not a category-group-number entry")
    digit_cat, group, origin, rest = match.groups()
    categories = lists._table(regime, "categories")
    origins = lists._table(regime, "origins", "digit")
    if digit_cat not in categories:
        raise _missing(regime, code, f"the list has no category {digit_cat}")
    if origin not in origins:
        used = ", ".join(sorted(origins))
        raise _missing(regime, code, f"the third digit {origin} is not used (used: {used})")
    origin_title = origins[origin]
    if regime == "EU" and digit_cat == "0":  # Annex I category 0 comes from the NSG
        origin_title = str(lists.regime("EU")["category_0_origin"])
    heads = [
        Heading(digit_cat, categories[digit_cat]),
        Heading(group, lists._table(regime, "groups")[group]),
        Heading(origin, origin_title),
    ]
    if regime == "EAR" and origin == "6":
        ml = int(rest)
        if not 1 <= ml <= 22:
            raise _missing(regime, code, "600-series numbers mirror Wassenaar ML1-ML22")
        munitions = lists._table("WA", "munitions")
        heads.append(Heading(f"ML{ml}", munitions[f"ML{ml}"]))
    return heads


def _ear(lists: ControlLists, code: str) -> _Described:
    if code == "EAR99":
        row = lists.regime("EAR")["not_listed"]
        return [Heading("EAR99", str(row["title"]))], None, ""
    return _ccl_like(lists, "EAR", code), None, ""


def _eu(lists: ControlLists, code: str) -> _Described:
    return _ccl_like(lists, "EU", code), None, ""


def _wa(lists: ControlLists, code: str) -> _Described:
    munition = _ML_SHAPE.match(code)
    if munition:
        key = f"ML{int(munition.group(1))}"
        title = lists._table("WA", "munitions").get(key)
        if title is None:
            raise _missing("WA", code, "the Munitions List runs from ML1 to ML22")
        return [Heading(key, title)], None, "Munitions List"
    return _ccl_like(lists, "WA", code), None, "Dual-Use List"


def _itar(lists: ControlLists, code: str) -> _Described:
    roman = re.match(r"^[IVX]+", code)
    categories = lists._table("ITAR", "categories")
    if roman is None or roman.group(0) not in categories:
        raise _missing("ITAR", code, "the USML has categories I to XXI")
    return [Heading(roman.group(0), categories[roman.group(0)])], None, ""


def _mtcr(lists: ControlLists, code: str) -> _Described:
    match = _MTCR_SHAPE.match(code)
    if match is None:
        raise _missing("MTCR", code, "not an Annex item such as 2.A.1")
    items = {int(row["item"]): row for row in lists.regime("MTCR")["items"]}
    item = items.get(int(match.group(1)))
    if item is None:
        raise _missing("MTCR", code, "the Annex has items 1 to 20")
    if item["reserved"]:
        raise _missing("MTCR", code, f"Annex item {item['item']} is reserved for future use")
    category = int(item["category"])
    group = lists._table("MTCR", "groups")[match.group(2)]
    note = str(lists.regime("MTCR")["category_notes"][str(category)])
    heads = [Heading(f"Item {item['item']}", str(item["title"])), Heading(match.group(2), group)]
    return heads, category, note


_DESCRIBERS = {"ITAR": _itar, "EAR": _ear, "WA": _wa, "MTCR": _mtcr, "EU": _eu}


@cache
def _table(regime: str, key: str, field: str) -> dict[str, str]:
    rows = control_lists().document["regimes"][regime].get(key, [])
    return {str(row[field]): str(row["title"]) for row in rows}


@lru_cache(maxsize=4096)
def describe_entry(regime: str, code: str) -> EntryDescription:
    """The catalogue's description of one entry (cached: entries repeat a lot)."""
    return control_lists().describe(regime, code)


@cache
def control_lists() -> ControlLists:
    """The shipped catalogue (read once)."""
    text = resources.files("caveat.data").joinpath("control_lists.json").read_text("utf-8")
    document = json.loads(text)
    if document.get("schema") != SCHEMA:
        raise InvalidInput("control_lists.json has an unknown schema", code="bad_package_data")
    return ControlLists(document)


def heading_titles(regime: str, key: str) -> dict[str, str]:
    """A list's headings of one kind (``categories``, ``munitions``) by code."""
    return dict(_table(regime, key, "code"))
