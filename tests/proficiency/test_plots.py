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
