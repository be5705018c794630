"""Fills for the server-drawn SVG charts that tell series apart without colour: each is a
colour (3:1 against white, WCAG 1.4.11) and a pattern (solid, stripes, dots...), drawn as
an SVG ``<pattern>`` in the chart's ``<defs>`` (attributes only: the CSP forbids inline
style). The legend shows the same pattern beside each series' name.
"""

from __future__ import annotations

from dataclasses import dataclass

SIZE = 6  # the pattern tile, in chart units
WHITE = "#ffffff"

# (pattern name, colour, the shapes of one tile as (tag, attributes)).
_TILES: tuple[tuple[str, str, tuple[tuple[str, tuple[tuple[str, str], ...]], ...]], ...] = (
    ("solid", "#0b4f8a", (("rect", (("width", "6"), ("height", "6"))),)),
    (
        "diagonal stripes",
        "#1d6b33",
        (("path", (("d", "M-1 1L1 -1M0 6L6 0M5 7L7 5"), ("stroke-width", "2.2"))),),
    ),
    ("dots", "#8a3b0b", (("circle", (("cx", "3"), ("cy", "3"), ("r", "2"))),)),
    (
        "cross-hatching",
        "#5b2c86",
        (("path", (("d", "M0 0L6 6M6 0L0 6"), ("stroke-width", "1.6"))),),
    ),
    ("horizontal stripes", "#006d75", (("rect", (("width", "6"), ("height", "3"))),)),
    ("vertical stripes", "#4a5360", (("rect", (("width", "3"), ("height", "6"))),)),
    (
        "checks",
        "#7a1f4b",
        (
            ("rect", (("width", "3"), ("height", "3"))),
            ("rect", (("x", "3"), ("y", "3"), ("width", "3"), ("height", "3"))),
        ),
    ),
    (
        "back diagonal stripes",
        "#6b5a00",
        (("path", (("d", "M-1 5L1 7M0 0L6 6M5 -1L7 1"), ("stroke-width", "2.2"))),),
    ),
)


@dataclass(frozen=True, slots=True)
class Fill:
    """One series' fill: the ``<pattern>`` id, its colour, shapes and name."""

    id: str
    colour: str
    pattern: str  # its name, for the legend's text equivalent
    shapes: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]

    @property
    def url(self) -> str:
        return f"url(#{self.id})"

    def painted(self) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
        """The tile's shapes with this fill's colour (strokes for lines, fills otherwise)."""
        paint = "stroke" if self.shapes[0][0] == "path" else "fill"
        return tuple((tag, (*attrs, (paint, self.colour))) for tag, attrs in self.shapes)


def fills(prefix: str, count: int) -> tuple[Fill, ...]:
    """``count`` distinct fills whose pattern ids start with ``prefix`` (unique per page);
    beyond the eight patterns they repeat, so callers keep series to eight or fewer."""
    return tuple(
        Fill(f"{prefix}-{i}", colour, name, shapes)
        for i, (name, colour, shapes) in ((i, _TILES[i % len(_TILES)]) for i in range(count))
    )


def nice_step(most: int) -> int:
    """A round tick step (1, 2, 2.5 or 5 times a power of ten) giving at most five steps
    up to ``most``."""
    magnitude = 1
    while True:
        steps = (magnitude, 2 * magnitude, magnitude * 25 // 10, 5 * magnitude)
        for step in steps if magnitude >= 10 else (magnitude, 2 * magnitude, 5 * magnitude):
            if most <= 5 * step:
                return step
        magnitude *= 10
