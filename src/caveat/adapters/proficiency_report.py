"""A proficiency round's report (or one laboratory's) as a document: standalone HTML
with the plots as inline SVG, or a PDF (fpdf2, core fonts) with the same plots as PNG.

Both carry ``marking`` (the roll-up of everything the report shows, as the reader reads
it) at the head and foot: the HTML at the top and bottom of the document, the PDF on
every page (``_MarkedPDF``'s header and footer, which fpdf2 calls for each page). Both
record the standard's edition and every method choice (robust algorithm and its
constants, assigned value, sigma_pt, limits, the |En| = 1 boundary). The services
reach this through ``services.kernel.ports.ProficiencyReportRenderer``
(``adapters.documents.ProficiencyReports``, which imports this module when first drawing).
"""

from __future__ import annotations

import html
import io
from collections.abc import Sequence
from datetime import datetime

from fpdf.enums import XPos, YPos

from caveat.adapters.pdf_report import _latin, _MarkedPDF
from caveat.adapters.proficiency_plots import Drawing, drawings, png, svg
from caveat.domain.proficiency_report import (
    PRECISION_STANDARD,
    ProficiencyReport,
    ReportItem,
    ReportScore,
)

EN_BOUNDARIES = {
    "satisfactory_at_limit": "|En| <= limit satisfactory (ISO 13528:2022 9.7)",
    "unsatisfactory_at_limit": "|En| < limit satisfactory, the limit itself not "
    "(the stricter reading, as ISO/IEC 17043 words it)",
}


def _when(moment: datetime | None) -> str:
    return "-" if moment is None else moment.strftime("%Y-%m-%d %H:%M UTC")


def _num(value: float | None, fmt: str = "%.4g") -> str:
    return "-" if value is None else fmt % value


def _verdict(value: float | None, verdict: str | None) -> str:
    return "-" if value is None else f"{value:.2f} {verdict or ''}".strip()


def _facts(report: ProficiencyReport) -> list[tuple[str, str]]:
    """The round's facts, as (term, description)."""
    return [
        ("Report", report.scope),
        ("Round", f"{report.title} ({report.round_id})"),
        ("Status", report.status),
        ("Measurand", report.measurand or "not shown to you"),
        ("Unit", report.unit or "-"),
        ("Procedure version", report.procedure_version_id),
        ("Coordinator", report.coordinator),
        ("Opened / deadline / closed", " / ".join(
            _when(m) for m in (report.opened_at, report.deadline, report.closed_at)
        )),
        ("Laboratories", ", ".join(report.laboratories)),
        ("Identities", "named" if report.reveal_identities else "by code"),
        ("Generated", _when(report.generated_at)),
    ]  # fmt: skip


def _methods(report: ProficiencyReport) -> list[tuple[str, str]]:
    """Every method choice the round was scored with, and the standard's edition."""
    sigma = report.sigma_method
    if report.sigma_value is not None:
        sigma += f" ({report.sigma_value:g})"
    return [
        ("Standard", f"{report.standard}; Mandel's h and k: {PRECISION_STANDARD} 7.3.1"),
        ("Robust algorithm", report.robust_method),
        *((f"  constant: {name}", f"{value:g}") for name, value in report.constants),
        ("Assigned value x_pt", report.assigned_method),
        ("sigma_pt", sigma),
        ("z, z', zeta limits", f"warning {report.warning_limit:g}, action "
         f"{report.action_limit:g}"),
        ("En limit", f"{report.en_limit:g}"),
        ("En boundary", EN_BOUNDARIES.get(report.en_boundary, report.en_boundary)),
    ]  # fmt: skip


def _item_facts(item: ReportItem, unit: str) -> list[tuple[str, str]]:
    params = ", ".join(f"{k} = {v:g}" for k, v in item.sigma_parameters)
    rows = [
        ("x_pt", f"{item.assigned_value:.6g} {unit} ({item.assigned_method}, "
         f"{item.assigned_clause})"),
        ("u(x_pt)", f"{item.assigned_uncertainty:.3g} {unit}"),
        ("sigma_pt", f"{item.sigma_pt:.4g} {unit} ({item.sigma_method}, {item.sigma_clause}"
         + (f"; {params}" if params else "") + ")"),
        ("Robust statistics", f"{item.robust_method}, {item.robust_clause}: x* = "
         f"{item.robust_location:.6g}, s* = {item.robust_scale:.4g}"
         + (f", {item.iterations} iterations" if item.iterations else "")
         + (f", stopping rule {item.stopping_rule}" if item.stopping_rule else "")),
        ("Results", f"{item.participants}"
         + (f"; {item.withheld} not shown to you (their labels)" if item.withheld else "")),
        ("Coverage factor when none given", f"{item.default_coverage_factor:g}"),
    ]  # fmt: skip
    if item.mandel_h_critical is not None:
        five, one = item.mandel_h_critical
        rows.append(("Mandel h critical (5 % / 1 %)", f"{five:.3g} / {one:.3g}"))
    if item.mandel_k_critical is not None:
        five, one = item.mandel_k_critical
        rows.append(("Mandel k critical (5 % / 1 %)", f"{five:.3g} / {one:.3g}"))
    return rows


HEADINGS = ("Laboratory", "Value", "U", "z", "z'", "zeta", "En", "Mandel h", "Mandel k")


def _cells(s: ReportScore) -> list[str]:
    return [
        s.laboratory + (" (yours)" if s.own else ""),
        f"{s.value:.6g}",
        _num(s.expanded_uncertainty, "%.3g"),
        _verdict(s.z, s.z_verdict),
        _verdict(s.z_prime, s.z_prime_verdict),
        _verdict(s.zeta, s.zeta_verdict),
        _verdict(s.en, s.en_verdict),
        _num(s.mandel_h, "%.2f"),
        _num(s.mandel_k, "%.2f"),
    ]


def _rows(report: ProficiencyReport, item: ReportItem) -> list[ReportScore]:
    """The table's rows: every score in a round report, the laboratory's in its own."""
    if report.laboratory_code is None:
        return list(item.scores)
    return [s for s in item.scores if s.code == report.laboratory_code]


def _item_drawings(report: ProficiencyReport, item: ReportItem) -> list[tuple[str, Drawing]]:
    """The item's plots, each with its caption."""
    d = drawings()
    unit = report.unit or ""
    title = f"{report.title}: {item.name}"
    scores = item.scores
    labels = [s.laboratory for s in scores]
    out: list[tuple[str, Drawing]] = []
    if not scores:
        return out
    out.append((
        "Results in ascending order with their expanded uncertainties, and x_pt +/- U(x_pt).",
        d.results(
            title=title,
            unit=unit,
            labels=labels,
            values=[s.value for s in scores],
            expanded=[s.expanded_uncertainty for s in scores],
            assigned=item.assigned_value,
            assigned_expanded=item.default_coverage_factor * item.assigned_uncertainty,
        ),
    ))  # fmt: skip
    series: list[tuple[str, Sequence[float | None], float, float]] = [
        ("z", [s.z for s in scores], report.warning_limit, report.action_limit)
    ]
    if any(s.zeta is not None for s in scores):
        series.append(("zeta", [s.zeta for s in scores], report.warning_limit, report.action_limit))
    if any(s.en is not None for s in scores):
        series.append(("En", [s.en for s in scores], report.en_limit, report.en_limit))
    out.append((
        "Scores with warning (dashed) and action (solid) limits.",
        d.scores(title=f"{title}, scores", labels=labels, series=series),
    ))  # fmt: skip
    h = [s.mandel_h for s in scores]
    if item.mandel_h_critical is not None and all(v is not None for v in h):
        k = [s.mandel_k for s in scores]
        has_k = item.mandel_k_critical is not None and all(v is not None for v in k)
        out.append((
            "Mandel's h and k with their 5 % (dashed) and 1 % (solid) critical values.",
            d.mandel(
                title=f"{title}, Mandel's statistics",
                labels=labels,
                h=[float(v or 0.0) for v in h],
                h_critical=item.mandel_h_critical,
                k=[float(v or 0.0) for v in k] if has_k else None,
                k_critical=item.mandel_k_critical if has_k else None,
            ),
        ))  # fmt: skip
    if item.density is not None:
        out.append((
            f"Kernel density (Gaussian, bandwidth {item.density.bandwidth:.3g}) and x_pt.",
            d.density(title=f"{title}, kernel density", unit=unit, data=item.density),
        ))  # fmt: skip
    return out


def _round_drawings(report: ProficiencyReport) -> list[tuple[str, str, Drawing]]:
    """The Youden plots and control charts, each with its heading and caption."""
    d = drawings()
    out: list[tuple[str, str, Drawing]] = []
    for pair in report.youden:
        out.append((
            f"Youden plot: {pair.first} against {pair.second}",
            "One point per laboratory; boxes at 2 (dashed) and 3 (solid) sigma_pt.",
            d.youden(title=f"{report.title}: {pair.first} against {pair.second}",
                     unit=report.unit or "", data=pair),
        ))  # fmt: skip
    for series in report.control:
        out.append((
            f"z-scores across rounds: {series.laboratory}",
            "z in each closed round of the procedure you may read, oldest first.",
            d.control(title=f"{series.laboratory}: z across rounds", data=series),
        ))  # fmt: skip
    return out


# -- HTML ------------------------------------------------------------------------------

_CSS = (
    "body{font-family:sans-serif;max-width:60rem;margin:0 auto;padding:0 1rem;color:#1b1f24}"
    ".marking{font-weight:bold;text-align:center;padding:.3rem;border:2px solid #1b1f24}"
    "table{border-collapse:collapse}th,td{border:1px solid #c9d0d9;padding:.2rem .4rem;"
    "text-align:left}dt{font-weight:bold}figure{margin:1rem 0}"
)


def _dl(rows: list[tuple[str, str]]) -> str:
    return (
        "<dl>"
        + "".join(f"<dt>{html.escape(t)}</dt><dd>{html.escape(d)}</dd>" for t, d in rows)
        + "</dl>"
    )


def report_html(report: ProficiencyReport, marking: str) -> str:
    e = html.escape
    unit = report.unit or ""
    parts = [
        '<!doctype html>\n<html lang="en">\n<head><meta charset="utf-8">',
        f"<title>{e(report.title)}: {e(report.scope)}</title><style>{_CSS}</style></head>",
        f'<body>\n<header class="marking" aria-label="Marking">{e(marking)}</header>\n<main>',
        f"<h1>Proficiency test report: {e(report.title)}</h1>",
        f"<p>{e(report.scope.capitalize())}, under {e(report.standard)}.</p>",
        '<section aria-labelledby="round-h"><h2 id="round-h">Round</h2>',
        _dl(_facts(report)),
        '</section><section aria-labelledby="methods-h"><h2 id="methods-h">Method choices</h2>',
        _dl(_methods(report)),
        "</section>",
    ]
    if not report.items:
        parts.append("<p>No scores: the round has not been closed.</p>")
    for n, item in enumerate(report.items, 1):
        parts.append(
            f'<section aria-labelledby="item-{n}-h"><h2 id="item-{n}-h">{e(item.name)}</h2>'
        )
        parts.append(_dl(_item_facts(item, unit)))
        parts.append(f"<table><caption>Scores for {e(item.name)}</caption><thead><tr>")
        parts.extend(f'<th scope="col">{h}</th>' for h in HEADINGS)
        parts.append("</tr></thead><tbody>")
        for s in _rows(report, item):
            cells = _cells(s)
            parts.append(f'<tr><th scope="row">{e(cells[0])}</th>')
            parts.extend(f"<td>{e(c)}</td>" for c in cells[1:])
            parts.append("</tr>")
        parts.append("</tbody></table>")
        for caption, drawing in _item_drawings(report, item):
            parts.append(f"<figure>{svg(drawing)}<figcaption>{e(caption)}</figcaption></figure>")
        parts.append("</section>")
    for n, (heading, caption, drawing) in enumerate(_round_drawings(report), 1):
        parts.append(
            f'<section aria-labelledby="plot-{n}-h"><h2 id="plot-{n}-h">{e(heading)}</h2>'
            f"<figure>{svg(drawing)}<figcaption>{e(caption)}</figcaption></figure></section>"
        )
    parts.append(f'</main>\n<footer class="marking" aria-label="Marking">{e(marking)}</footer>')
    parts.append("</body>\n</html>\n")
    return "\n".join(parts)


# -- PDF -------------------------------------------------------------------------------


def _pdf_dl(pdf: _MarkedPDF, rows: list[tuple[str, str]]) -> None:
    pdf.set_font("Helvetica", "", 8)
    with pdf.table(col_widths=(70, 200), text_align="LEFT", first_row_as_headings=False) as t:
        for term, description in rows:
            t.row([_latin(term), _latin(description)])
    pdf.ln(2)


def _heading(pdf: _MarkedPDF, text: str, size: int = 11) -> None:
    pdf.set_font("Helvetica", "B", size)
    pdf.cell(0, 7, _latin(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _image(pdf: _MarkedPDF, drawing: Drawing, caption: str) -> None:
    width = 190.0
    height = width * drawing.height_in / 7.2
    if pdf.get_y() + height + 8 > pdf.page_break_trigger:
        pdf.add_page()
    pdf.image(io.BytesIO(png(drawing)), w=width, h=height)
    pdf.set_font("Helvetica", "I", 7)
    pdf.cell(0, 5, _latin(caption), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)


def report_pdf(report: ProficiencyReport, marking: str) -> bytes:
    pdf = _MarkedPDF(marking)
    pdf.set_title(_latin(f"{report.title}: {report.scope}"))
    pdf.set_subject(_latin(marking))
    pdf.set_creator("Caveat")
    pdf.set_creation_date(report.generated_at)
    pdf.set_auto_page_break(auto=True, margin=14)
    pdf.add_page()
    _heading(pdf, f"Proficiency test report: {report.title}", 15)
    pdf.set_font("Helvetica", "", 9)
    pdf.cell(0, 5, _latin(f"{report.scope.capitalize()}, under {report.standard}."),
             new_x=XPos.LMARGIN, new_y=YPos.NEXT)  # fmt: skip
    _heading(pdf, "Round")
    _pdf_dl(pdf, _facts(report))
    _heading(pdf, "Method choices")
    _pdf_dl(pdf, _methods(report))
    if not report.items:
        pdf.set_font("Helvetica", "", 9)
        pdf.cell(0, 6, "No scores: the round has not been closed.")
    unit = report.unit or ""
    for item in report.items:
        pdf.add_page()
        _heading(pdf, item.name, 13)
        _pdf_dl(pdf, _item_facts(item, unit))
        pdf.set_font("Helvetica", "", 7)
        widths = (60, 26, 22, 32, 22, 32, 32, 22, 22)
        with pdf.table(col_widths=widths, text_align="LEFT") as table:
            table.row(list(HEADINGS))
            for s in _rows(report, item):
                table.row([_latin(c) for c in _cells(s)])
        pdf.ln(3)
        for caption, drawing in _item_drawings(report, item):
            _image(pdf, drawing, caption)
    extra = _round_drawings(report)
    if extra:
        pdf.add_page()
    for heading, caption, drawing in extra:
        _heading(pdf, heading)
        _image(pdf, drawing, caption)
    return bytes(pdf.output())
