"""REL TO lists: CAPCO order, group expansion and tetragraph collapse.

Order (CAPCO register 2016): USA first, then country trigraphs alphabetically,
then group codes (tetragraphs) alphabetically. Groups and their dated members come
from the GroupDirectory passed in; no group is known to this module by name.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from caveat.domain.groups import GroupDirectory
from caveat.domain.nations import is_nation

LEADING_NATION = "USA"  # CAPCO lists USA first whatever the scheme


def rel_to_sort_key(code: str) -> tuple[int, str]:
    """Sort key giving the CAPCO order: USA, trigraphs, then group codes."""
    if code == LEADING_NATION:
        return (0, code)
    return (1, code) if is_nation(code) else (2, code)


def ordered(codes: Iterable[str]) -> list[str]:
    """Codes in CAPCO REL TO order, without duplicates."""
    return sorted(set(codes), key=rel_to_sort_key)


def expand(codes: Iterable[str], groups: GroupDirectory, on: date) -> frozenset[str]:
    """The nations named by nation and group codes on day ``on``."""
    return groups.expand(codes, on)


def collapse(
    nations: Iterable[str], groups: GroupDirectory, on: date, *, keep: Iterable[str] = ()
) -> frozenset[str]:
    """Replace whole groups of ``nations`` by their code, without changing the set.

    Larger groups are tried first; a group is used when every member on ``on`` is in
    the set and it covers at least two nations not yet covered. Codes in ``keep``
    (the leading USA) stay listed by name, as in ``REL TO USA, FVEY``.
    """
    wanted = frozenset(nations)
    kept = frozenset(keep) & wanted
    candidates = sorted(
        ((g.code, g.members_on(on)) for g in groups.all()),
        key=lambda item: (-len(item[1]), item[0]),
    )
    covered: set[str] = set(kept)
    chosen: set[str] = set()
    for code, members in candidates:
        if len(members) >= 2 and members <= wanted and len(members - covered) >= 2:
            chosen.add(code)
            covered |= members
    return frozenset(chosen | kept | (wanted - covered))
