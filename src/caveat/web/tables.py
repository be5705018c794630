"""Listing tables in the browser: sort links, facet links with counts, numbered pages.

The server does the sorting, counting and paging (the services do, inside the policy);
this builds the links that carry the current filters, so every state of a table is a
plain URL (bookmarkable, no script). Templates use the macros in ``_table.html``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode

from caveat.domain.errors import InvalidInput

ASCENDING, DESCENDING = "asc", "desc"


@dataclass(frozen=True, slots=True)
class Facet:
    """One facet value as a link: its name, its count and whether it is chosen."""

    value: str
    name: str
    count: int


@dataclass(frozen=True, slots=True)
class FacetGroup:
    """A facet: the query parameter it sets and its values, most frequent first."""

    param: str
    title: str
    values: tuple[Facet, ...]


@dataclass(frozen=True, slots=True)
class TableState:
    """Where a table is: its filters, sort and page, and the links to other states."""

    base: str
    filters: Mapping[str, str]  # the current filters (empty values are left out of links)
    sort: str
    direction: str
    default_sort: str
    default_direction: str = DESCENDING
    page: int = 1
    pages: int = 1
    total: int = 0
    total_exact: bool = True
    facets: tuple[FacetGroup, ...] = field(default_factory=tuple)

    def _params(self, **changes: str | int) -> dict[str, str]:
        params = {k: v for k, v in self.filters.items() if v}
        if self.sort != self.default_sort or self.direction != self.default_direction:
            params.update(sort=self.sort, dir=self.direction)
        for key, value in changes.items():
            params[key] = str(value)
        return {k: v for k, v in params.items() if v}

    def href(self, **changes: str | int) -> str:
        """This table with ``changes`` (a changed filter or sort starts at page 1)."""
        params = self._params(**changes)
        if params.get("page") == "1":
            params.pop("page")
        query = urlencode(params)
        return self.base + (f"?{query}" if query else "")

    def sort_href(self, key: str) -> str:
        """Sort by ``key``; a second click on the current key reverses the order."""
        if key == self.sort:
            flipped = ASCENDING if self.direction == DESCENDING else DESCENDING
            return self.href(sort=key, dir=flipped)
        return self.href(
            sort=key, dir=self.default_direction if key == self.default_sort else ASCENDING
        )

    def aria_sort(self, key: str) -> str:
        if key != self.sort:
            return "none"
        return "ascending" if self.direction == ASCENDING else "descending"

    def facet_href(self, param: str, value: str) -> str:
        """Choose ``value`` for ``param``, or clear it when it is already chosen."""
        return self.href(**{param: "" if self.filters.get(param) == value else value})

    def chosen(self, param: str, value: str) -> bool:
        return self.filters.get(param) == value

    def page_numbers(self) -> list[int | None]:
        """The page links to show: first, last and two either side; None is a gap."""
        wanted = {1, self.pages, *range(self.page - 2, self.page + 3)}
        shown = sorted(n for n in wanted if 1 <= n <= self.pages)
        out: list[int | None] = []
        for n in shown:
            if out and out[-1] is not None and n - out[-1] > 1:
                out.append(None)
            out.append(n)
        return out


def sort_of(sort: str, direction: str, allowed: Iterable[str], default: str) -> tuple[str, str]:
    """The requested sort, checked (InvalidInput for a column the table has not)."""
    keys = tuple(allowed)
    sort = sort or default
    if sort not in keys:
        raise InvalidInput(f"sort by one of {', '.join(keys)}", code="invalid_sort", field="sort")
    if direction not in ("", ASCENDING, DESCENDING):
        raise InvalidInput("dir is asc or desc", code="invalid_sort", field="dir")
    return sort, direction or (DESCENDING if sort == default else ASCENDING)
