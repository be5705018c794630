"""PDF documents drawn with fpdf2 (core fonts, no external resources): the
export-records report.

The compliance service reaches this through ``services.kernel.ports.ReportRenderer``
(bootstrap passes ``adapters.documents.PdfReports``, which imports this module when
first drawing), so fpdf2 stays out of the services and out of start-up. What every
page carries at its head and foot belongs in an ``FPDF`` subclass's ``header`` and
``footer``, which fpdf2 calls for each page, the pages a long table adds included.
"""

from __future__ import annotations

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from caveat.domain.compliance.export_report import ExportReport


def _latin(text: str) -> str:
    """The core PDF fonts speak Latin-1; anything else is shown as '?' rather than lost
    silently in a way that changes meaning (ids and hashes are ASCII anyway)."""
    return text.encode("latin-1", "replace").decode("latin-1")


def _selection(report: ExportReport) -> str:
    parts = [f"authorization {report.authorization}" if report.authorization else "all"]
    if report.since or report.until:
        parts.append(f"from {report.since or 'the start'} to {report.until or 'today'}")
    return ", ".join(parts)


class _MarkedPDF(FPDF):
    """A PDF whose every page carries the marking at its head and foot (fpdf2 calls
    ``header`` and ``footer`` for each page, the pages a long table adds included)."""

    def __init__(self, marking: str) -> None:
        super().__init__(orientation="L", unit="mm", format="A4")
        self.marking = _latin(marking)

    def header(self) -> None:
        with self.local_context():
            self.set_font("Helvetica", "B", 10)
            self.cell(0, 6, self.marking, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1)

    def footer(self) -> None:
        with self.local_context():
            self.set_y(-11)
            self.set_font("Helvetica", "B", 10)
            self.cell(0, 6, self.marking, align="C")
            self.set_y(-11)
            self.set_font("Helvetica", "", 7)
            self.cell(0, 6, f"page {self.page_no()} of {{nb}}", align="R")


def report_pdf(report: ExportReport, *, node_name: str, marking: str) -> bytes:
    """The report as an A4 landscape PDF (fpdf2, core fonts, no external resources),
    ``marking`` (the roll-up of what it concerns, as the reader reads it) at the head
    and foot of every page."""
    pdf = _MarkedPDF(marking)
    pdf.set_title("Caveat export records")
    pdf.set_subject(_latin(marking))
    pdf.set_creator("Caveat")
    pdf.set_auto_page_break(auto=True, margin=14)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 15)
    pdf.cell(0, 9, "Export records", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", "", 9)
    stamp = report.generated_at.strftime("%Y-%m-%d %H:%M UTC")
    pdf.cell(
        0,
        5,
        _latin(f"Node {node_name} - {_selection(report)} - generated {stamp}"),
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    agree = (
        "Every record matches its ledger event."
        if report.disagreements == 0
        else f"{report.disagreements} record(s) do NOT match the ledger: investigate."
    )
    pdf.cell(0, 5, f"{len(report.lines)} record(s). {agree}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(0, 7, "Per authorization", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", "", 8)
    with pdf.table(col_widths=(60, 20, 45, 45, 40), text_align="LEFT") as table:
        table.row(["Authorization", "Records", "First", "Last", "Retain until"])
        for t in report.totals:
            table.row(
                [
                    _latin(t.authorization),
                    str(t.records),
                    t.first.strftime("%Y-%m-%d %H:%M"),
                    t.last.strftime("%Y-%m-%d %H:%M"),
                    t.retain_until.isoformat(),
                ]
            )
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 11)
    pdf.cell(0, 7, "Records", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", "", 7)
    widths = (24, 22, 22, 40, 40, 30, 28, 28, 20, 13)
    with pdf.table(col_widths=widths, text_align="LEFT") as table:
        table.row(
            [
                "Released",
                "Record",
                "Resource",
                "Controls",
                "To",
                "Authorization",
                "Requested by",
                "Approved by",
                "Retain until",
                "Ledger",
            ]
        )
        for line in report.lines:
            leaf = "pending" if line.ledger_leaf is None else f"#{line.ledger_leaf}"
            table.row(
                [
                    line.released_at.strftime("%Y-%m-%d %H:%M"),
                    line.record_id[:8],
                    _latin(line.resource_title or "not shown to you"),
                    _latin(", ".join(line.controls) or "-"),
                    _latin(", ".join(line.recipients)),
                    _latin(line.authorization),
                    _latin(line.requested_by),
                    _latin(line.approved_by),
                    line.retain_until.isoformat(),
                    leaf if line.ledger_agrees else f"{leaf} MISMATCH",
                ]
            )
    return bytes(pdf.output())
