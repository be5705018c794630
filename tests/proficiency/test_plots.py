"""The plots: SVG fit for a page under the CSP (no style, no script, ids prefixed),
accessible (title and desc), and the same bytes for the same numbers."""

from __future__ import annotations

import re

from caveat.adapters.proficiency_plots import SvgPlots, clean_svg

LABELS = ["L01", "L02", "L03", "L04", "L05"]
VALUES = [0.1002, 0.0995, 0.124, 0.1008, 0.0998]


def _results() -> str:
    return SvgPlots().results(
        title="Round 1: Sphere A",
        unit="m^2",
        labels=LABELS,
        values=VALUES,
        expanded=[0.004, None, 0.004, 0.004, 0.004],
        assigned=0.1007,
        assigned_expanded=0.002,
    )


def test_the_same_numbers_draw_the_same_bytes() -> None:
    assert _results() == _results()


def test_plots_are_inline_svg_without_style_or_script() -> None:
    plots = SvgPlots()
    drawn = [
        _results(),
        plots.scores(
            title="Round 1: Sphere A, scores",
            labels=LABELS,
            series=[
                ("z", [0.1, -0.4, 13.6, 0.05, -0.5], 2.0, 3.0),
                ("En", [0.1, None, 5.2, 0.0, -0.2], 1.0, 1.0),
            ],
        ),
        plots.mandel(
            title="Round 1: Sphere A, Mandel",
            labels=LABELS,
            h=[-0.4, -0.5, 1.8, -0.4, -0.5],
            h_critical=(1.57, 1.72),
            k=[1.0, 0.9, 1.1, 1.0, 1.0],
            k_critical=(1.68, 2.05),
        ),
    ]
    for svg in drawn:
        assert svg.startswith("<svg ")
        assert "style" not in svg
        assert "<script" not in svg
        assert "<?xml" not in svg
        assert 'role="img"' in svg
        title = re.search(r'<title id="([^"]+)">', svg)
        assert title is not None
        prefix = title.group(1).removesuffix("-title")
        ids = re.findall(r' id="([^"]+)"', svg)
        assert ids
        assert all(i.startswith(prefix + "-") for i in ids)
        for ref in re.findall(r'(?:url\(#|xlink:href="#)([^)"]+)', svg):
            assert ref in ids
    assert "L03" in drawn[0]
    assert len({re.search(r'<title id="([^"]+)"', d).group(1) for d in drawn}) == 3  # type: ignore[union-attr]


def test_cleaning_turns_declarations_into_attributes() -> None:
    raw = (
        '<?xml version="1.0"?><svg width="10pt" viewBox="0 0 10 10"><defs><style>'
        "*{stroke-linejoin: round}</style></defs>"
        '<path id="p1" style="fill: #ffffff; stroke-width: 0.8" clip-path="url(#c1)"/></svg>'
    )
    cleaned = clean_svg(raw, prefix="x", title="T <1>", desc="D & E")
    assert '<path id="x-p1" fill="#ffffff" stroke-width="0.8" clip-path="url(#x-c1)"/>' in cleaned
    assert '<title id="x-title">T &lt;1&gt;</title>' in cleaned
    assert "D &amp; E" in cleaned
    assert "style" not in cleaned


# -- the kernel density, Youden plot and control chart carry the right points -----------


def _points(svg: str, gid: str) -> list[tuple[float, float]]:
    """The (x, y) of every marker drawn in the artist with ``gid`` (page coordinates)."""
    import xml.etree.ElementTree as ET

    root = ET.fromstring(svg)  # noqa: S314 - SVG this test's own code drew
    found = [e for e in root.iter() if (e.get("id") or "").endswith(f"-{gid}")]
    assert len(found) == 1, gid
    uses = [e for e in found[0].iter() if e.tag.endswith("}use")]
    return [(float(u.get("x", "nan")), float(u.get("y", "nan"))) for u in uses]


def _ranks(values: list[float]) -> list[int]:
    return sorted(range(len(values)), key=lambda i: values[i])


def test_the_kernel_density_marks_each_result_and_integrates_to_one() -> None:
    from caveat.domain.proficiency_report import kernel_density

    data = kernel_density(VALUES, assigned=0.1002, scale=0.0008)
    assert data is not None
    assert data.points == tuple(VALUES)
    step = data.grid[1] - data.grid[0]
    assert abs(sum(data.density) * step - 1.0) < 1e-3
    peak = data.grid[max(range(len(data.density)), key=data.density.__getitem__)]
    assert 0.099 < peak < 0.101  # the cluster, not the outlier
    svg = SvgPlots().density(title="Round 1: Sphere A", unit="m^2", data=data)
    rug = _points(svg, "rug")
    assert len(rug) == len(VALUES)
    assert _ranks([x for x, _ in rug]) == _ranks(VALUES)  # each result where it belongs
    assert "style=" not in svg
    assert "<title" in svg


def test_the_youden_plot_has_one_labelled_point_per_laboratory_in_both_items() -> None:
    from caveat.domain.proficiency_report import youden

    a = [("L01", "L01", 1.0), ("L02", "L02", 2.0), ("L03", "L03 AFRL", 3.0), ("L04", "L04", 4.0)]
    b = [("L02", "L02", 20.5), ("L01", "L01", 10.5), ("L03", "L03 AFRL", 5.5)]  # no L04
    data = youden(("Sphere A", 2.0, 1.0), ("Sphere B", 10.0, 4.0), a, b)
    assert data is not None
    assert data.labels == ("L01", "L02", "L03 AFRL")
    assert data.xs == (1.0, 2.0, 3.0)
    assert data.ys == (10.5, 20.5, 5.5)
    svg = SvgPlots().youden(title="Round 1: A against B", unit="m^2", data=data)
    points = _points(svg, "points")
    assert len(points) == 3
    assert _ranks([x for x, _ in points]) == _ranks(list(data.xs))
    assert _ranks([-y for _, y in points]) == _ranks(list(data.ys))  # SVG's y runs down
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert {"L01", "L02", "L03 AFRL"} <= set(texts)
    assert "L04" not in texts
    assert youden(("A", 0, 1), ("B", 0, 1), a[:1], b[:1]) is None


def test_the_control_chart_has_a_point_per_score_in_round_order() -> None:
    from datetime import UTC, datetime

    from caveat.domain.proficiency_report import ControlPoint, ControlSeries

    when = datetime(2026, 1, 1, tzinfo=UTC)
    points = (
        ControlPoint("r1", "Round 1", when, "A", 0.5),
        ControlPoint("r1", "Round 1", when, "B", -1.0),
        ControlPoint("r2", "Round 2", when, "A", 2.5),
        ControlPoint("r3", "Round 3", when, "A", 3.5),
    )
    data = ControlSeries("L02 NRL", False, points, 2.0, 3.0)
    svg = SvgPlots().control(title="L02 NRL: z across rounds", data=data)
    drawn = _points(svg, "points")
    assert len(drawn) == 4
    xs = [x for x, _ in drawn]
    assert xs[0] == xs[1] < xs[2] < xs[3]  # one column per round, oldest first
    assert _ranks([-y for _, y in drawn]) == _ranks([p.z for p in points])
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert {"Round 1", "Round 2", "Round 3"} <= set(texts)


def test_the_same_drawings_rasterise_for_reports() -> None:
    from caveat.adapters.proficiency_plots import drawings, png

    image = png(drawings().scores(title="Round 1", labels=LABELS, series=[("z", VALUES, 2.0, 3.0)]))
    assert image.startswith(b"\x89PNG\r\n\x1a\n")
