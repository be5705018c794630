"""The export-records report as data: one line per record, totals per authorization.

Built by the compliance service (names joined, each record checked against its ledger
event) and rendered by an adapter (the PDF) or a page; nothing here reads or writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True, slots=True)
class ReportLine:
    """One export record as the report shows it."""

    record_id: str
    released_at: datetime
    resource_id: str
    label_sha256: str
    content_sha256: str | None
    controls: tuple[str, ...]
    recipients: tuple[str, ...]  # nation codes, and "<name> (organisation, <nation>)"
    authorization: str  # number, or "not controlled"
    requested_by: str  # the display name (the id when unknown)
    approved_by: str
    retain_until: date
    ledger_leaf: int | None  # None until the sequencer integrates the event
    ledger_agrees: bool
    resource_title: str | None = None  # None: the reader may not discover the resource
    destinations: tuple[str, ...] = ()  # nation codes and organisation ids (the filter's values)
    requested_by_id: str = ""  # the ids beside the names above, for scripts
    approved_by_id: str = ""


@dataclass(frozen=True, slots=True)
class AuthorizationTotal:
    """Records per authorization in the report."""

    authorization: str
    records: int
    first: datetime
    last: datetime
    retain_until: date


@dataclass(frozen=True, slots=True)
class ExportReport:
    """The report for one selection (authorization, period)."""

    generated_at: datetime
    authorization: str | None
    since: date | None
    until: date | None
    lines: tuple[ReportLine, ...]
    totals: tuple[AuthorizationTotal, ...]
    # Records per regime and per destination over the selection, each facet without
    # its own filter (see ``facet_counts``); the filters chosen, if any.
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    regime: str | None = None
    destination: str | None = None

    @property
    def disagreements(self) -> int:
        """Records the ledger does not confirm (should be zero)."""
        return sum(1 for line in self.lines if not line.ledger_agrees)


def regimes_of(controls: tuple[str, ...]) -> frozenset[str]:
    """The export-control regimes of a record's entries (``ITAR:...`` is ITAR);
    "none" for a record without entries, so every record has a regime to count."""
    return frozenset(c.split(":", 1)[0] for c in controls) or frozenset({"none"})


def matches(line: ReportLine, *, regime: str | None, destination: str | None) -> bool:
    """Whether a line is under ``regime`` and went to ``destination`` (None: any)."""
    return (regime is None or regime in regimes_of(line.controls)) and (
        destination is None or destination in line.destinations
    )


def facet_counts(
    lines: tuple[ReportLine, ...], *, regime: str | None, destination: str | None
) -> dict[str, dict[str, int]]:
    """Records per regime (with the destination filter applied) and per destination
    (with the regime filter applied): each facet leaves out its own filter."""
    regimes: dict[str, int] = {}
    destinations: dict[str, int] = {}
    for line in lines:
        if matches(line, regime=None, destination=destination):
            for r in regimes_of(line.controls):
                regimes[r] = regimes.get(r, 0) + 1
        if matches(line, regime=regime, destination=None):
            for d in set(line.destinations):
                destinations[d] = destinations.get(d, 0) + 1
    return {"regime": regimes, "destination": destinations}


def destination_names(lines: tuple[ReportLine, ...]) -> dict[str, str]:
    """Destination value -> what a person reads (a nation code, or the organisation's
    name and nation): ``recipients`` names ``destinations`` in the same order."""
    return {
        d: name
        for line in lines
        for d, name in zip(line.destinations, line.recipients, strict=False)
    }


def totals_of(lines: tuple[ReportLine, ...]) -> tuple[AuthorizationTotal, ...]:
    """Records per authorization, first and last release, the latest retention date."""
    by_authorization: dict[str, list[ReportLine]] = {}
    for line in lines:
        by_authorization.setdefault(line.authorization, []).append(line)
    return tuple(
        AuthorizationTotal(
            authorization=name,
            records=len(group),
            first=min(g.released_at for g in group),
            last=max(g.released_at for g in group),
            retain_until=max(g.retain_until for g in group),
        )
        for name, group in sorted(by_authorization.items())
    )
