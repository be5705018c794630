"""Groups of nations (tetragraphs such as FVEY, alliances, export-control regimes).

Membership is dated data, never an enum: a nation belongs to a group on a given
day. Built-in groups ship as sourced package data (``caveat/data/groups.json``);
administrators add custom groups, which the registry stores and hands to the same
:class:`GroupDirectory`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from importlib import resources
from typing import Any

from caveat.domain.errors import Conflict, InvalidInput, NotFound
from caveat.domain.nations import is_nation, require_nation

_GROUP_CODE = re.compile(r"^[A-Z][A-Z0-9_]{1,15}$")


@dataclass(frozen=True, slots=True)
class Membership:
    """A nation's membership of a group from ``valid_from`` to ``valid_to`` (inclusive).

    ``None`` bounds are open: the source records no date on that side.
    """

    nation: str
    valid_from: date | None = None
    valid_to: date | None = None

    def holds_on(self, day: date) -> bool:
        """True when the membership is in force on ``day``."""
        if self.valid_from is not None and day < self.valid_from:
            return False
        return not (self.valid_to is not None and day > self.valid_to)


@dataclass(frozen=True, slots=True)
class Group:
    """A named set of nations with dated memberships and where the data came from."""

    code: str
    name: str
    members: tuple[Membership, ...]
    source: str
    as_of: date | None = None
    builtin: bool = True

    def members_on(self, day: date) -> frozenset[str]:
        """The nations that belong to the group on ``day``."""
        return frozenset(m.nation for m in self.members if m.holds_on(day))


def validate_group_code(code: str, *, field: str = "code") -> str:
    """A group code is 2-16 capitals/digits and must not be a nation's trigraph."""
    if not _GROUP_CODE.match(code):
        raise InvalidInput(
            f"{code!r} is not a valid group code",
            code="invalid_group_code",
            field=field,
            hint="use 2-16 capital letters, digits or underscores, starting with a letter",
        )
    if is_nation(code):
        raise InvalidInput(
            f"{code!r} is a country code and cannot name a group",
            code="invalid_group_code",
            field=field,
            hint="choose a code that is not an ISO 3166-1 alpha-3 code",
        )
    return code


class GroupDirectory:
    """Look up groups and expand group codes into nations on a given day."""

    def __init__(self, groups: Iterable[Group]) -> None:
        self._groups: dict[str, Group] = {}
        for group in groups:
            if group.code in self._groups:
                raise Conflict(f"group {group.code} is defined twice", code="duplicate_group")
            self._groups[group.code] = group

    def __contains__(self, code: object) -> bool:
        return code in self._groups

    def is_group(self, code: str) -> bool:
        """True when ``code`` names a known group."""
        return code in self._groups

    def get(self, code: str) -> Group:
        """The group called ``code``; raises NotFound for an unknown code (never a wildcard)."""
        try:
            return self._groups[code]
        except KeyError:
            raise NotFound(
                f"unknown group {code!r}",
                code="unknown_group",
                hint="list groups with `caveat group list`",
            ) from None

    def all(self) -> list[Group]:
        """Every group, sorted by code."""
        return [self._groups[c] for c in sorted(self._groups)]

    def members(self, code: str, on: date) -> frozenset[str]:
        """The nations in group ``code`` on day ``on``."""
        return self.get(code).members_on(on)

    def expand(self, codes: Iterable[str], on: date) -> frozenset[str]:
        """Nations named by a mix of nation and group codes; unknown codes are errors."""
        nations: set[str] = set()
        for code in codes:
            if code in self._groups:
                nations |= self.members(code, on)
            elif is_nation(code):
                nations.add(code)
            else:
                raise InvalidInput(
                    f"{code!r} is neither a country code nor a known group",
                    code="unknown_code",
                    hint="use ISO 3166-1 alpha-3 codes or a group from `caveat group list`",
                )
        return frozenset(nations)

    def with_groups(self, extra: Iterable[Group]) -> GroupDirectory:
        """A directory holding these groups plus ``extra`` (custom groups)."""
        return GroupDirectory([*self._groups.values(), *extra])


def _parse_date(value: Any) -> date | None:
    return None if value is None else date.fromisoformat(value)


def group_from_mapping(raw: Mapping[str, Any], *, builtin: bool) -> Group:
    """Build a Group from its JSON form, checking every code."""
    code = validate_group_code(raw["code"])
    members = tuple(
        Membership(
            nation=require_nation(m["nation"], field=f"{code}.members"),
            valid_from=_parse_date(m.get("from")),
            valid_to=_parse_date(m.get("to")),
        )
        for m in raw["members"]
    )
    return Group(
        code=code,
        name=raw["name"],
        members=members,
        source=raw.get("source", ""),
        as_of=_parse_date(raw.get("as_of")),
        builtin=builtin,
    )


def builtin_groups() -> list[Group]:
    """The sourced, dated groups shipped with Caveat."""
    text = resources.files("caveat.data").joinpath("groups.json").read_text(encoding="utf-8")
    document = json.loads(text)
    if document.get("schema") != "caveat.groups/1":
        raise InvalidInput("groups.json has an unknown schema", code="bad_package_data")
    return [group_from_mapping(raw, builtin=True) for raw in document["groups"]]


def builtin_directory() -> GroupDirectory:
    """A directory of the built-in groups only."""
    return GroupDirectory(builtin_groups())
