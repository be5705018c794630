"""The Protocols services use to reach adapters (ADR 0018).

Services name these, never a driver, an HTTP client or a rendering library; bootstrap
passes the adapter that implements each one (``caveat.adapters``). Adapters sit below
services, so they fit these Protocols structurally without importing them, and what
crosses a port is a domain value or a plain one; mypy checks the fit where bootstrap
passes an adapter to a parameter typed with its port.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol

from caveat.domain.channels import Retention, Stored
from caveat.domain.compliance.export_report import ExportReport
from caveat.domain.proficiency_report import (
    ControlSeries,
    Density,
    ProficiencyReport,
    YoudenData,
)
from caveat.domain.taxii_feeds import FeedCredentials, FeedPage


class ReportRenderer(Protocol):
    """Draws reports as documents (``adapters.documents.PdfReports``: PDF with fpdf2)."""

    def export_records(self, report: ExportReport, *, node_name: str, marking: str) -> bytes:
        """The export-records report as a document's bytes, ``marking`` on every page."""
        ...


class PeerTransport(Protocol):
    """Carries a signed request to a partner node (``adapters.federation_transport``:
    HTTPS with httpx) and brings back its answer."""

    def send(
        self, method: str, url: str, headers: dict[str, str], body: bytes, *, limit: int
    ) -> tuple[int, bytes]:
        """The answer's status and body of at most ``limit`` bytes; ``ConnectionError``
        when the peer cannot be reached (refused, timed out, TLS failed) or answers more."""
        ...


class PlotRenderer(Protocol):
    """Draws a proficiency round's plots as SVG documents
    (``adapters.proficiency_plots.SvgPlots``: matplotlib, imported when first drawing).
    Laboratories come as the viewer may see them (codes or names) with plain numbers."""

    def results(
        self,
        *,
        title: str,
        unit: str,
        labels: Sequence[str],
        values: Sequence[float],
        expanded: Sequence[float | None],
        assigned: float,
        assigned_expanded: float,
    ) -> str:
        """Results in ascending order with their expanded-uncertainty bars, and the band
        x_pt ± U(x_pt)."""
        ...

    def scores(
        self,
        *,
        title: str,
        labels: Sequence[str],
        series: Sequence[tuple[str, Sequence[float | None], float, float]],
    ) -> str:
        """One bar chart per score kind: (name, values, warning limit, action limit)."""
        ...

    def mandel(
        self,
        *,
        title: str,
        labels: Sequence[str],
        h: Sequence[float],
        h_critical: tuple[float, float],
        k: Sequence[float] | None,
        k_critical: tuple[float, float] | None,
    ) -> str:
        """Mandel's h (and k) by laboratory with the 5 % and 1 % critical values."""
        ...

    def density(self, *, title: str, unit: str, data: Density) -> str:
        """One item's results as a kernel density, the results marked, x_pt a line."""
        ...

    def youden(self, *, title: str, unit: str, data: YoudenData) -> str:
        """Two items' results, one point per laboratory, x_pt and 2/3 sigma_pt boxes."""
        ...

    def control(self, *, title: str, data: ControlSeries) -> str:
        """One laboratory's z-scores across the closed rounds of a procedure."""
        ...


class ProficiencyReportRenderer(Protocol):
    """Draws a proficiency round's report (``adapters.documents.ProficiencyReports``): HTML with
    SVG plots, or PDF (fpdf2) with PNG plots, ``marking`` at the head and foot of every
    page."""

    def html(self, report: ProficiencyReport, *, marking: str) -> str:
        """The report as a standalone HTML document (no script, no external resource)."""
        ...

    def pdf(self, report: ProficiencyReport, *, marking: str) -> bytes:
        """The report as a PDF."""
        ...


class ChannelBroker(Protocol):
    """Keeps and carries live channels' sealed messages (issue 21, ADR 0025): the
    in-process broker (``adapters.channels.memory``, the embedded default) or NATS
    JetStream (``adapters.channels.nats``) shared by several workers and hosts.

    Event ids are the broker's own per-channel sequence: 1, 2, 3, ... in publication
    order, never reused; retention may drop the oldest. Methods run on the caller's event
    loop. The broker sees sealed bytes only; the service opens and decides them."""

    async def open(self, channel_id: str, retention: Retention) -> None:
        """Make the channel's store ready (idempotent; a new retention replaces the old)."""
        ...

    async def publish(self, channel_id: str, payload: bytes) -> int:
        """Append ``payload``; its event id once the broker holds it."""
        ...

    async def bounds(self, channel_id: str) -> tuple[int, int]:
        """(the oldest kept event id, the newest ever): ``(last + 1, last)`` when none is kept."""
        ...

    async def read(self, channel_id: str, after: int, limit: int) -> list[Stored]:
        """At most ``limit`` kept messages with event ids above ``after``, in order."""
        ...

    def follow(self, channel_id: str, after: int) -> AsyncIterator[Stored]:
        """Every message with an event id above ``after``, in order, then each new one as
        it is published, with no gap and no duplicate, until the caller stops reading."""
        ...

    async def close(self) -> None:
        """Release connections (the broker may be used again after, reconnecting)."""


class FeedSource(Protocol):
    """Reads partners' TAXII 2.1 collections (``adapters.taxii_source.TaxiiSource``: the
    OASIS ``taxii2-client`` over guarded HTTP). Raises ``ConnectionError`` when the
    partner cannot be reached, refuses, answers too much or at an address refused."""

    def pages(
        self,
        url: str,
        credentials: FeedCredentials,
        *,
        added_after: datetime | None,
        per_page: int,
    ) -> Iterator[FeedPage]:
        """The collection's objects added after ``added_after``, a page at a time."""
        ...

    def definitions(
        self, url: str, credentials: FeedCredentials, ids: Sequence[str]
    ) -> list[dict[str, Any]]:
        """The marking definitions ``ids`` as the partner gives them (those it has)."""
        ...


class MailConnection(Protocol):
    """An open connection to the mail server (``adapters.mail``)."""

    def send(self, *, to: str, subject: str, body: str) -> None:
        """Hand one message over (``mail_refused``: for good; ``mail_unavailable``: later)."""
        ...


class Mailer(Protocol):
    """Sends mail (``adapters.mail.SmtpMailer``: smtplib); what crosses is plain text."""

    def session(self) -> AbstractContextManager[MailConnection]:
        """A connection, closed at the end (``mail_unavailable`` when none can be had)."""
        ...
