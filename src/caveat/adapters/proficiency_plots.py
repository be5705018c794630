"""A proficiency round's plots as SVG, drawn with matplotlib (its Agg backend, imported
when the first plot is drawn: never when a command or the API starts).

The SVG is made fit for a page under a strict Content-Security-Policy: matplotlib's
``<style>`` element and every ``style="..."`` attribute become SVG presentation
attributes (the same properties, so the drawing is unchanged), the XML prologue and
metadata go, ids are prefixed so several plots share a page, and the document gets a
``<title>`` and ``<desc>`` for assistive technology. Output is deterministic: ids come
from a salt given per plot, no date is written, and text stays text (``svg.fonttype``
none), so the same numbers draw the same bytes.

``SvgPlots`` implements ``PlotRenderer`` (services/kernel/ports.py); ``Drawings`` with
``png`` draws the same plots for the PDF report.
"""

from __future__ import annotations

import html
import io
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from caveat.domain.proficiency_report import ControlSeries, Density, YoudenData

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

# Verdict colours: dark enough for 3:1 against white (WCAG 1.4.11); bars carry their
# values in the table beside the plot, so the plot does not rely on colour alone.
GOOD, WARN, BAD = "#1d6b33", "#9a5b00", "#b42318"
INK, BAND, GRID = "#1b1f24", "#0b4f8a", "#c9d0d9"
MAX_TICK_LABELS = 40  # beyond this many laboratories the axis shows no codes
WIDTH_IN = 7.2

_STYLE_ELEMENT = re.compile(r"<style[^>]*>.*?</style>", re.S)
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.S)
_STYLE_ATTR = re.compile(r'\sstyle="([^"]*)"')
_ID = re.compile(r'\sid="([^"]+)"')
_URL = re.compile(r"url\(#([^)]+)\)")
_HREF = re.compile(r'xlink:href="#([^"]+)"')
_ROOT = re.compile(r"<svg\b[^>]*>")
_LOCK = threading.Lock()  # matplotlib's rcParams are process-wide


def _attributes(match: re.Match[str]) -> str:
    """``style="a: b; c: d"`` as ``a="b" c="d"`` (SVG presentation attributes)."""
    out = []
    for declaration in match.group(1).split(";"):
        name, _, value = declaration.partition(":")
        name, value = name.strip(), value.strip()
        if name and value:
            out.append(f' {name}="{html.escape(value, quote=True)}"')
    return "".join(out)


def clean_svg(text: str, *, prefix: str, title: str, desc: str) -> str:
    """matplotlib's SVG as an inline, CSP-safe, accessible ``<svg>`` element."""
    start = text.index("<svg")
    text = text[start:]
    text = _METADATA.sub("", text)
    text = _STYLE_ELEMENT.sub("", text)
    text = _STYLE_ATTR.sub(_attributes, text)
    text = _ID.sub(lambda m: f' id="{prefix}-{m.group(1)}"', text)
    text = _URL.sub(lambda m: f"url(#{prefix}-{m.group(1)})", text)
    text = _HREF.sub(lambda m: f'xlink:href="#{prefix}-{m.group(1)}"', text)
    root = _ROOT.search(text)
    assert root is not None
    view_box = re.search(r'viewBox="([^"]+)"', root.group(0))
    assert view_box is not None
    opening = (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'viewBox="{view_box.group(1)}" width="100%" role="img" focusable="false" '
        f'aria-labelledby="{prefix}-title" aria-describedby="{prefix}-desc" '
        'stroke-linejoin="round" stroke-linecap="butt" class="plot">'
        f'<title id="{prefix}-title">{html.escape(title)}</title>'
        f'<desc id="{prefix}-desc">{html.escape(desc)}</desc>'
    )
    return opening + text[root.end() :].strip() + "\n"


def _verdict_colour(value: float | None, warning: float, action: float) -> str:
    if value is None:
        return GRID
    size = abs(value)
    if size <= warning * (1 + 1e-9):
        return GOOD
    return BAD if size >= action * (1 - 1e-9) else WARN


@dataclass(frozen=True, slots=True)
class Drawing:
    """A plot ready to draw: its id prefix, title, description, height and painter."""

    prefix: str
    title: str
    desc: str
    height_in: float
    paint: Callable[[Figure], None]


def _figure(drawing: Drawing, fmt: str, **options: Any) -> bytes | str:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    settings: Any = {
        "svg.hashsalt": drawing.prefix,
        "svg.fonttype": "none",
        "font.family": "sans-serif",
        "font.sans-serif": ["DejaVu Sans"],
        "font.size": 9,
        "axes.edgecolor": INK,
        "axes.labelcolor": INK,
        "xtick.color": INK,
        "ytick.color": INK,
        "text.color": INK,
        "text.parse_math": False,  # a "$" in a laboratory's name is text, not maths
    }
    with _LOCK, matplotlib.rc_context(settings):
        figure = Figure(figsize=(WIDTH_IN, drawing.height_in), layout="constrained")
        drawing.paint(figure)
        if fmt == "svg":
            text = io.StringIO()
            figure.savefig(
                text,
                format="svg",
                metadata={"Date": None, "Creator": None, "Format": None, "Type": None},
            )
            return text.getvalue()
        binary = io.BytesIO()
        figure.savefig(binary, format=fmt, **options)
        return binary.getvalue()


def svg(drawing: Drawing) -> str:
    """The plot as an inline, CSP-safe, accessible ``<svg>`` element."""
    text = _figure(drawing, "svg")
    assert isinstance(text, str)
    return clean_svg(text, prefix=drawing.prefix, title=drawing.title, desc=drawing.desc)


def png(drawing: Drawing, *, dpi: int = 150) -> bytes:
    """The plot as PNG (for a PDF report): the same drawing, rasterised, no metadata
    but the format's own."""
    data = _figure(drawing, "png", dpi=dpi, metadata={"Software": None})
    assert isinstance(data, bytes)
    return data


def _draw(
    prefix: str, title: str, desc: str, height_in: float, paint: Callable[[Figure], None]
) -> Drawing:
    return Drawing(prefix, title, desc, height_in, paint)


def _ticks(axes: Axes, labels: Sequence[str]) -> None:
    positions = list(range(len(labels)))
    if len(labels) <= MAX_TICK_LABELS:
        axes.set_xticks(positions, list(labels), rotation=90 if len(labels) > 12 else 0)
    else:
        axes.set_xticks([])
    axes.set_xlim(-0.7, len(labels) - 0.3)


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:40] or "plot"


class Drawings:
    """Every plot of a round as a ``Drawing``: ``svg`` or ``png`` draws it."""

    @staticmethod
    def _prefix(kind: str, title: str) -> str:
        return f"{kind}-{_slug(title)}"

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
    ) -> Drawing:
        """Results in ascending order with ±U bars, and the band x_pt ± U(x_pt)."""
        order = sorted(range(len(values)), key=lambda i: (values[i], labels[i]))
        ys = [values[i] for i in order]
        bars = [expanded[i] or 0.0 for i in order]
        names = [labels[i] for i in order]

        def paint(figure: Figure) -> None:
            axes = figure.subplots()
            xs = list(range(len(ys)))
            axes.axhspan(
                assigned - assigned_expanded,
                assigned + assigned_expanded,
                color=BAND,
                alpha=0.15,
                linewidth=0,
                label="x_pt ± U(x_pt)",
            )
            axes.axhline(assigned, color=BAND, linewidth=1.2, label=f"x_pt = {assigned:.6g}")
            axes.errorbar(
                xs,
                ys,
                yerr=bars,
                fmt="o",
                color=INK,
                ecolor=INK,
                elinewidth=1,
                capsize=3,
                markersize=4,
                label="result ± U",
            )
            _ticks(axes, names)
            axes.set_ylabel(f"result ({unit})")
            axes.set_title(title)
            axes.grid(axis="y", color=GRID, linewidth=0.6)
            axes.legend(loc="best", fontsize=8, frameon=False)

        desc = (
            f"{len(ys)} results in ascending order with their expanded uncertainties; "
            f"x_pt = {assigned:.6g} {unit}, U(x_pt) = {assigned_expanded:.3g} {unit}. "
            "The scores table gives the same numbers."
        )
        return _draw(self._prefix("results", title), title, desc, 3.6, paint)

    def scores(
        self,
        *,
        title: str,
        labels: Sequence[str],
        series: Sequence[tuple[str, Sequence[float | None], float, float]],
    ) -> Drawing:
        """A bar chart per score kind with its warning (dashed) and action (solid) limits."""

        def paint(figure: Figure) -> None:
            axes_list: Any = figure.subplots(len(series), 1, sharex=True, squeeze=False)
            for row, (name, values, warning, action) in enumerate(series):
                axes = axes_list[row][0]
                heights = [0.0 if v is None else v for v in values]
                colours = [_verdict_colour(v, warning, action) for v in values]
                axes.bar(range(len(values)), heights, color=colours, width=0.7)
                axes.axhline(0, color=INK, linewidth=0.8)
                for limit, style in ((warning, "--"), (action, "-")):
                    if limit == action and warning == action and style == "--":
                        continue
                    for sign in (1, -1):
                        axes.axhline(sign * limit, color=BAD, linestyle=style, linewidth=0.9)
                top = max([abs(h) for h in heights] + [action]) * 1.15
                axes.set_ylim(-top, top)
                axes.set_ylabel(name)
                axes.grid(axis="y", color=GRID, linewidth=0.6)
                _ticks(axes, labels)
            axes_list[0][0].set_title(title)

        names = ", ".join(s[0] for s in series)
        desc = (
            f"{names} per laboratory ({len(labels)}), with dashed warning and solid action "
            "limits; the scores table gives the same numbers."
        )
        return _draw(self._prefix("scores", title), title, desc, 1.2 + 1.9 * len(series), paint)

    def mandel(
        self,
        *,
        title: str,
        labels: Sequence[str],
        h: Sequence[float],
        h_critical: tuple[float, float],
        k: Sequence[float] | None,
        k_critical: tuple[float, float] | None,
    ) -> Drawing:
        """Mandel's h (and k) by laboratory, critical values at 5 % (dashed) and 1 %."""
        panels: list[tuple[str, Sequence[float], tuple[float, float], bool]] = [
            ("Mandel's h", h, h_critical, True)
        ]
        if k is not None and k_critical is not None:
            panels.append(("Mandel's k", k, k_critical, False))

        def paint(figure: Figure) -> None:
            axes_list: Any = figure.subplots(len(panels), 1, sharex=True, squeeze=False)
            for row, (name, values, (five, one), both_signs) in enumerate(panels):
                axes = axes_list[row][0]
                colours = [BAD if abs(v) > one else WARN if abs(v) > five else GOOD for v in values]
                axes.bar(range(len(values)), list(values), color=colours, width=0.7)
                axes.axhline(0, color=INK, linewidth=0.8)
                for limit, style in ((five, "--"), (one, "-")):
                    axes.axhline(limit, color=BAD, linestyle=style, linewidth=0.9)
                    if both_signs:
                        axes.axhline(-limit, color=BAD, linestyle=style, linewidth=0.9)
                axes.set_ylabel(name)
                axes.grid(axis="y", color=GRID, linewidth=0.6)
                _ticks(axes, labels)
            axes_list[0][0].set_title(title)

        desc = (
            f"Mandel's h{' and k' if len(panels) == 2 else ''} for {len(labels)} laboratories "
            f"(ISO 5725-2 7.3.1); critical values at 5 % dashed ({h_critical[0]:.3g}) and "
            f"1 % solid ({h_critical[1]:.3g}) for h."
        )
        return _draw(self._prefix("mandel", title), title, desc, 1.2 + 1.9 * len(panels), paint)

    def density(self, *, title: str, unit: str, data: Density) -> Drawing:
        """The kernel density of one item's results, each result as a rug tick and the
        assigned value as a vertical line."""

        def paint(figure: Figure) -> None:
            axes = figure.subplots()
            axes.plot(data.grid, data.density, color=INK, linewidth=1.4, label="kernel density")
            axes.fill_between(data.grid, data.density, color=BAND, alpha=0.12, linewidth=0)
            top = max(data.density) if data.density else 1.0
            axes.plot(
                data.points,
                [-0.04 * top] * len(data.points),
                linestyle="none",
                marker="|",
                markersize=10,
                color=INK,
                label="results",
                gid="rug",
            )
            axes.axvline(
                data.assigned, color=BAND, linewidth=1.2, label=f"x_pt = {data.assigned:.6g}"
            )
            axes.set_ylim(-0.1 * top, top * 1.1)
            axes.set_xlabel(f"result ({unit})")
            axes.set_ylabel("density")
            axes.set_title(title)
            axes.grid(axis="x", color=GRID, linewidth=0.6)
            axes.legend(loc="best", fontsize=8, frameon=False)

        desc = (
            f"Kernel density of {len(data.points)} results (Gaussian kernel, bandwidth "
            f"{data.bandwidth:.3g} {unit}), each result marked on the axis; "
            f"x_pt = {data.assigned:.6g} {unit}. The scores table gives the same numbers."
        )
        return _draw(self._prefix("density", title), title, desc, 3.2, paint)

    def youden(self, *, title: str, unit: str, data: YoudenData) -> Drawing:
        """Two items' results, one point per laboratory (labelled), with each item's x_pt,
        the boxes x_pt ± 2sigma_pt (dashed) and ± 3sigma_pt (solid) and the line of a purely
        systematic error (through both x_pt, slope sigma_pt(second) / sigma_pt(first))."""
        (ax_pt, ay_pt), (sx, sy) = data.assigned, data.sigma_pt

        def paint(figure: Figure) -> None:
            axes = figure.subplots()
            for factor, style in ((2, "--"), (3, "-")):
                xs = [ax_pt - factor * sx, ax_pt + factor * sx, ax_pt + factor * sx]
                xs += [ax_pt - factor * sx, ax_pt - factor * sx]
                ys = [ay_pt - factor * sy, ay_pt - factor * sy, ay_pt + factor * sy]
                ys += [ay_pt + factor * sy, ay_pt - factor * sy]
                axes.plot(xs, ys, color=BAD, linestyle=style, linewidth=0.9)
            axes.axvline(ax_pt, color=BAND, linewidth=1.0)
            axes.axhline(ay_pt, color=BAND, linewidth=1.0)
            reach = 4.0
            axes.plot(
                [ax_pt - reach * sx, ax_pt + reach * sx],
                [ay_pt - reach * sy, ay_pt + reach * sy],
                color=GRID,
                linewidth=1.0,
            )
            axes.plot(
                data.xs,
                data.ys,
                linestyle="none",
                marker="o",
                markersize=4,
                color=INK,
                gid="points",
            )
            if len(data.labels) <= MAX_TICK_LABELS:
                for label, x, y in zip(data.labels, data.xs, data.ys, strict=True):
                    axes.annotate(
                        label, (x, y), xytext=(4, 3), textcoords="offset points", fontsize=7
                    )
            axes.set_xlabel(f"{data.first} ({unit})")
            axes.set_ylabel(f"{data.second} ({unit})")
            axes.set_title(title)
            axes.grid(color=GRID, linewidth=0.6)

        desc = (
            f"Youden plot: {len(data.xs)} laboratories' results on {data.first} (across) "
            f"against {data.second} (up), x_pt {ax_pt:.6g} and {ay_pt:.6g} {unit}, boxes at "
            "2 and 3 sigma_pt; points along the diagonal suggest a systematic error. The "
            "scores tables give the same numbers."
        )
        return _draw(self._prefix("youden", title), title, desc, 4.6, paint)

    def control(self, *, title: str, data: ControlSeries) -> Drawing:
        """A laboratory's z-scores across the rounds of a procedure, oldest first, with
        the warning (dashed) and action (solid) limits."""
        rounds = list(dict.fromkeys((p.round_id, p.round_title) for p in data.points))
        position = {round_id: i for i, (round_id, _) in enumerate(rounds)}

        def paint(figure: Figure) -> None:
            axes = figure.subplots()
            xs = [position[p.round_id] for p in data.points]
            zs = [p.z for p in data.points]
            colours = [_verdict_colour(z, data.warning, data.action) for z in zs]
            for name in dict.fromkeys(p.item for p in data.points):  # a line per item name
                same = [(x, p.z) for x, p in zip(xs, data.points, strict=True) if p.item == name]
                axes.plot([x for x, _ in same], [z for _, z in same], color=GRID, linewidth=1.0)
            axes.scatter(xs, zs, c=colours, s=22, zorder=3, gid="points")
            axes.axhline(0, color=INK, linewidth=0.8)
            for limit, style in ((data.warning, "--"), (data.action, "-")):
                for sign in (1, -1):
                    axes.axhline(sign * limit, color=BAD, linestyle=style, linewidth=0.9)
            top = max([abs(z) for z in zs] + [data.action]) * 1.15
            axes.set_ylim(-top, top)
            # Titles of one procedure's rounds share their start: keep their ends.
            _ticks(axes, [name if len(name) <= 24 else "…" + name[-23:] for _, name in rounds])
            axes.set_ylabel("z")
            axes.set_title(title)
            axes.grid(axis="y", color=GRID, linewidth=0.6)

        desc = (
            f"z-scores of {data.laboratory} in {len(rounds)} closed rounds of the procedure, "
            f"oldest first ({len(data.points)} scores), with warning (dashed) and action "
            "(solid) limits."
        )
        return _draw(self._prefix("control", title), title, desc, 3.0, paint)


_DRAWINGS = Drawings()


class SvgPlots:
    """The round page's plots as SVG (``PlotRenderer``)."""

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
        """Results in ascending order with ±U bars, and the band x_pt ± U(x_pt)."""
        return svg(
            _DRAWINGS.results(
                title=title,
                unit=unit,
                labels=labels,
                values=values,
                expanded=expanded,
                assigned=assigned,
                assigned_expanded=assigned_expanded,
            )
        )

    def scores(
        self,
        *,
        title: str,
        labels: Sequence[str],
        series: Sequence[tuple[str, Sequence[float | None], float, float]],
    ) -> str:
        """A bar chart per score kind with its warning (dashed) and action (solid) limits."""
        return svg(_DRAWINGS.scores(title=title, labels=labels, series=series))

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
        """Mandel's h (and k) by laboratory, critical values at 5 % (dashed) and 1 %."""
        return svg(
            _DRAWINGS.mandel(
                title=title, labels=labels, h=h, h_critical=h_critical, k=k, k_critical=k_critical
            )
        )

    def density(self, *, title: str, unit: str, data: Density) -> str:
        """The kernel density of one item's results."""
        return svg(_DRAWINGS.density(title=title, unit=unit, data=data))

    def youden(self, *, title: str, unit: str, data: YoudenData) -> str:
        """The Youden plot of two items."""
        return svg(_DRAWINGS.youden(title=title, unit=unit, data=data))

    def control(self, *, title: str, data: ControlSeries) -> str:
        """A laboratory's z-score control chart across rounds."""
        return svg(_DRAWINGS.control(title=title, data=data))


def drawings() -> Drawings:
    """The drawings (for reports, which rasterise them with ``png``)."""
    return _DRAWINGS
