"""The Protocols services use to reach adapters (ADR 0018).

Services name these, never a driver, an HTTP client or a rendering library; bootstrap
passes the adapter that implements each one (``caveat.adapters``). Adapters sit below
services, so they fit these Protocols structurally without importing them, and what
crosses a port is a domain value or a plain one; mypy checks the fit where bootstrap
passes an adapter to a parameter typed with its port.
"""

from __future__ import annotations

from typing import Protocol

from caveat.domain.compliance.export_report import ExportReport


class ReportRenderer(Protocol):
    """Draws reports as documents (``adapters.pdf_report.PdfReports``: PDF with fpdf2)."""

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
