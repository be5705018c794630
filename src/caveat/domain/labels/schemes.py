"""Classification schemes (SPIF-like) and their equivalences on a common scale.

Each scheme ships as one sourced, dated JSON file in ``caveat/data/schemes``. Every
level maps to Caveat's common ordinal scale, used for decisions across schemes:

    0 unclassified/official, 1 restricted, 2 confidential, 3 secret, 4 top secret

A step a scheme lacks has an explicit, sourced rule: treat as a (higher) level of
the scheme, or deny. Equivalence is computed per receiving scheme and is not
symmetric; the originator's label is never rewritten.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any

from caveat.domain.labels.errors import NoEquivalentLevel, SchemeDataError, UnknownScheme
from caveat.domain.labels.model import SCHEME_CODE
from caveat.domain.nations import require_nation

COMMON_SCALE: tuple[str, ...] = (
    "unclassified",
    "restricted",
    "confidential",
    "secret",
    "top secret",
)
SCHEMA = "caveat.scheme/1"

_SCHEME_KEYS = {
    "schema", "scheme", "name", "nation", "check", "capco_foreign", "source",
    "source_date", "as_of", "levels", "no_equivalent", "note",
}  # fmt: skip
_LEVEL_KEYS = {
    "ordinal", "id", "name", "abbreviation", "banner", "portion", "common", "check", "note",
}  # fmt: skip
_RULE_KEYS = {"common", "rule", "level", "source", "check", "note"}


class MissingRule(StrEnum):
    """What a scheme does with a common step it has no level for."""

    TREAT_AS = "treat_as"  # protect it as the named (equal or higher) level
    DENY = "deny"  # no equivalent: refuse to hold it under this scheme


@dataclass(frozen=True, slots=True)
class Level:
    """One level of a scheme: its names, CAPCO-style forms and common ordinal."""

    ordinal: int
    id: str
    name: str
    abbreviation: str
    banner: str
    portion: str
    common: int
    check: bool = False
    note: str = ""


@dataclass(frozen=True, slots=True)
class NoEquivalentRule:
    """The stated handling of a common step the scheme has no level for."""

    common: int
    rule: MissingRule
    level: str | None
    source: str
    check: bool = False
    note: str = ""


@dataclass(frozen=True, slots=True)
class Scheme:
    """A classification scheme: levels in order, rules for missing steps, provenance."""

    code: str
    name: str
    nation: str | None
    capco_foreign: bool
    levels: tuple[Level, ...]
    no_equivalent: tuple[NoEquivalentRule, ...]
    source: str
    source_date: date
    as_of: date
    check: bool = False

    def level(self, ordinal: int) -> Level:
        """The level with this ordinal; raises SchemeDataError if the scheme has none."""
        if 0 <= ordinal < len(self.levels):
            return self.levels[ordinal]
        raise SchemeDataError(
            f"scheme {self.code} has no level with ordinal {ordinal}",
            code="unknown_level",
            hint=f"ordinals run from 0 to {len(self.levels) - 1}",
        )

    def level_by_id(self, level_id: str) -> Level:
        """The level called ``level_id``."""
        for level in self.levels:
            if level.id == level_id:
                return level
        raise SchemeDataError(f"scheme {self.code} has no level {level_id!r}", code="unknown_level")

    def level_for_common(self, common: int) -> Level:
        """The level that protects common step ``common`` under this scheme.

        Raises NoEquivalentLevel when the scheme's stated rule for that step is deny.
        """
        for level in self.levels:
            if level.common == common:
                return level
        for rule in self.no_equivalent:
            if rule.common == common:
                if rule.rule is MissingRule.TREAT_AS and rule.level is not None:
                    return self.level_by_id(rule.level)
                raise NoEquivalentLevel(
                    f"{COMMON_SCALE[common]} information has no equivalent under {self.code}",
                    hint=rule.source,
                )
        raise SchemeDataError(f"scheme {self.code} has no rule for common step {common}")


class SchemeRegistry:
    """The known schemes, looked up by code."""

    def __init__(self, schemes: Iterable[Scheme]) -> None:
        self._schemes: dict[str, Scheme] = {}
        forms: dict[str, str] = {}
        for scheme in schemes:
            if scheme.code in self._schemes:
                raise SchemeDataError(f"scheme {scheme.code} is defined twice")
            self._schemes[scheme.code] = scheme
            # Text forms must name one level only, across all schemes, or parsing is ambiguous.
            for level in scheme.levels:
                for form in (f"B:{level.banner}", f"P:{level.portion}"):
                    if form in forms:
                        raise SchemeDataError(
                            f"marking {form[2:]!r} is used by {forms[form]} and {scheme.code}"
                        )
                    forms[form] = scheme.code

    def __contains__(self, code: object) -> bool:
        return code in self._schemes

    def get(self, code: str) -> Scheme:
        """The scheme called ``code``; an unknown scheme is an error, never a wildcard."""
        try:
            return self._schemes[code]
        except KeyError:
            raise UnknownScheme(
                f"unknown classification scheme {code!r}",
                hint="known schemes: " + ", ".join(sorted(self._schemes)),
            ) from None

    def all(self) -> list[Scheme]:
        """Every scheme, sorted by code."""
        return [self._schemes[c] for c in sorted(self._schemes)]

    def common(self, policy: str, ordinal: int) -> int:
        """The common-scale step of level ``ordinal`` in scheme ``policy``."""
        return self.get(policy).level(ordinal).common

    def equivalent(self, policy: str, ordinal: int, target: str) -> Level:
        """The level of scheme ``target`` that protects level ``ordinal`` of ``policy``."""
        return self.get(target).level_for_common(self.common(policy, ordinal))


def _bad(where: str, why: str) -> SchemeDataError:
    return SchemeDataError(
        f"{where}: {why}", hint="fix the scheme JSON; see docs for caveat.scheme/1"
    )


def _require_keys(raw: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = set(raw) - allowed
    if unknown:
        raise _bad(where, f"unknown keys {sorted(unknown)}")


def _text(raw: Mapping[str, Any], key: str, where: str, *, upper: bool = False) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise _bad(where, f"{key} must be a non-empty string")
    if upper and value != value.upper():
        raise _bad(where, f"{key} {value!r} must be written in capitals")
    return value


def _int(raw: Mapping[str, Any], key: str, where: str) -> int:
    value = raw.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise _bad(where, f"{key} must be an integer")
    return value


def _flag(raw: Mapping[str, Any], key: str, where: str) -> bool:
    value = raw.get(key, False)
    if not isinstance(value, bool):
        raise _bad(where, f"{key} must be true or false")
    return value


def _day(raw: Mapping[str, Any], key: str, where: str) -> date:
    try:
        return date.fromisoformat(_text(raw, key, where))
    except ValueError:
        raise _bad(where, f"{key} must be an ISO date") from None


def _level(raw: Mapping[str, Any], where: str) -> Level:
    _require_keys(raw, _LEVEL_KEYS, where)
    common = _int(raw, "common", where)
    if not 0 <= common < len(COMMON_SCALE):
        raise _bad(where, f"common must be 0-{len(COMMON_SCALE) - 1}")
    return Level(
        ordinal=_int(raw, "ordinal", where),
        id=_text(raw, "id", where, upper=True),
        name=_text(raw, "name", where),
        abbreviation=_text(raw, "abbreviation", where),
        banner=_text(raw, "banner", where, upper=True),
        portion=_text(raw, "portion", where, upper=True),
        common=common,
        check=_flag(raw, "check", where),
        note=str(raw.get("note", "")),
    )


def _rule(raw: Mapping[str, Any], where: str) -> NoEquivalentRule:
    _require_keys(raw, _RULE_KEYS, where)
    try:
        kind = MissingRule(str(raw.get("rule")))
    except ValueError:
        raise _bad(where, "rule must be 'treat_as' or 'deny'") from None
    level = raw.get("level")
    if kind is MissingRule.TREAT_AS and not isinstance(level, str):
        raise _bad(where, "treat_as needs the level to treat it as")
    if kind is MissingRule.DENY and level is not None:
        raise _bad(where, "deny names no level")
    return NoEquivalentRule(
        common=_int(raw, "common", where),
        rule=kind,
        level=level,
        source=_text(raw, "source", where),
        check=_flag(raw, "check", where),
        note=str(raw.get("note", "")),
    )


def scheme_from_mapping(raw: Mapping[str, Any]) -> Scheme:
    """Build a Scheme from its JSON form, checking it strictly (fail closed on any doubt)."""
    where = str(raw.get("scheme", "<scheme>"))
    _require_keys(raw, _SCHEME_KEYS, where)
    if raw.get("schema") != SCHEMA:
        raise _bad(where, f"schema must be {SCHEMA}")
    code = _text(raw, "scheme", where, upper=True)
    if not SCHEME_CODE.match(code):  # else no label could name it as its policy
        raise _bad(where, "the scheme code is a capital letter then 1-15 capitals, digits or _")
    nation = raw.get("nation")
    if nation is not None:
        nation = require_nation(str(nation), field=f"{code}.nation")
    capco_foreign = raw.get("capco_foreign")
    if not isinstance(capco_foreign, bool):
        raise _bad(where, "capco_foreign must be true or false")
    levels = tuple(_level(r, f"{code}.levels[{i}]") for i, r in enumerate(raw.get("levels") or []))
    rules = tuple(
        _rule(r, f"{code}.no_equivalent[{i}]") for i, r in enumerate(raw["no_equivalent"])
    )
    if not levels:
        raise _bad(where, "a scheme needs at least one level")
    for index, level in enumerate(levels):
        if level.ordinal != index:
            raise _bad(where, f"level {level.id} has ordinal {level.ordinal}, expected {index}")
        if index and level.common <= levels[index - 1].common:
            raise _bad(where, f"level {level.id} must sit above the level before it")
    if len({lv.id for lv in levels}) != len(levels):
        raise _bad(where, "level ids must be unique")
    covered = [lv.common for lv in levels] + [r.common for r in rules]
    if sorted(covered) != list(range(len(COMMON_SCALE))):
        raise _bad(where, "every common step needs exactly one level or one no-equivalent rule")
    by_id = {lv.id: lv for lv in levels}
    for rule in rules:
        if rule.level is None:
            continue
        target = by_id.get(rule.level)
        if target is None:
            raise _bad(where, f"rule for step {rule.common} names unknown level {rule.level!r}")
        # Treating information as a lower level would under-protect it.
        if target.common < rule.common:
            raise _bad(
                where, f"step {rule.common} cannot be treated as the lower level {target.id}"
            )
    return Scheme(
        code=code,
        name=_text(raw, "name", where),
        nation=nation,
        capco_foreign=capco_foreign,
        levels=levels,
        no_equivalent=rules,
        source=_text(raw, "source", where),
        source_date=_day(raw, "source_date", where),
        as_of=_day(raw, "as_of", where),
        check=_flag(raw, "check", where),
    )


def load_builtin_schemes() -> list[Scheme]:
    """Read and validate every scheme file shipped in ``caveat.data.schemes``."""
    folder = resources.files("caveat.data.schemes")
    schemes = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".json"):
            scheme = scheme_from_mapping(json.loads(entry.read_text(encoding="utf-8")))
            if entry.name != f"{scheme.code.lower()}.json":
                raise _bad(scheme.code, f"must be stored as {scheme.code.lower()}.json")
            schemes.append(scheme)
    return schemes


@cache
def builtin_schemes() -> SchemeRegistry:
    """The registry of shipped schemes (loaded once; the data is immutable)."""
    return SchemeRegistry(load_builtin_schemes())
