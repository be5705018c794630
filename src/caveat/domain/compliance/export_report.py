"""The export-records report as data: one line per record, totals per authorization.

Built by the compliance service (names joined, each record checked against its ledger
event) and rendered by an adapter (the PDF) or a page; nothing here reads or writes.
"""

from __future__ import annotations

from dataclasses import dataclass
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
    requested_by: str
    approved_by: str
    retain_until: date
    ledger_leaf: int | None  # None until the sequencer integrates the event
    ledger_agrees: bool


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

    @property
    def disagreements(self) -> int:
        """Records the ledger does not confirm (should be zero)."""
        return sum(1 for line in self.lines if not line.ledger_agrees)
