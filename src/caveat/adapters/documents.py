"""The document renderers the container wires into the services, cheap to construct:
fpdf2 (and fontTools beneath it) is imported when a document is first drawn, not by
every process that opens a node (each CLI command, worker and test node would pay a
second or more for it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from caveat.domain.compliance.export_report import ExportReport
    from caveat.domain.proficiency_report import ProficiencyReport


class PdfReports:
    """The export-records report as a PDF (implements ``ports.ReportRenderer``)."""

    def export_records(self, report: ExportReport, *, node_name: str, marking: str) -> bytes:
        """The export-records report for an inspector or the file, ``marking`` at the
        head and foot of every page."""
        from caveat.adapters.pdf_report import report_pdf

        return report_pdf(report, node_name=node_name, marking=marking)


class ProficiencyReports:
    """A round's report as documents (implements ``ports.ProficiencyReportRenderer``)."""

    def html(self, report: ProficiencyReport, *, marking: str) -> str:
        """The report as one HTML document, ``marking`` at its head and foot."""
        from caveat.adapters.proficiency_report import report_html

        return report_html(report, marking)

    def pdf(self, report: ProficiencyReport, *, marking: str) -> bytes:
        """The report as a PDF, ``marking`` at the head and foot of every page."""
        from caveat.adapters.proficiency_report import report_pdf

        return report_pdf(report, marking)
