"""Classification banners: the highest label of what a page shows, in the viewer's form.

A page lists the labels of the content it displays; the banner is their roll-up (an
empty page is unclassified), rendered in the viewer's national scheme when there is
one, and coloured by the common level (green, blue, red, orange).
"""

from __future__ import annotations

from dataclasses import dataclass

from caveat.domain.labels import Label, builtin_schemes, common_level

_STYLE = {0: "unclassified", 1: "restricted", 2: "confidential", 3: "secret", 4: "top-secret"}


@dataclass(frozen=True, slots=True)
class Banner:
    """What the top and bottom banners say, and their colour class."""

    text: str
    style: str


def page_banner(labels: list[Label], viewer_nation: str | None) -> Banner:
    """The banner for a page showing ``labels`` to a viewer of ``viewer_nation``."""
    schemes = builtin_schemes()
    level = max((common_level(label) for label in labels), default=0)
    scheme_code = viewer_nation if viewer_nation and viewer_nation in schemes else "NATO"
    # A viewer reads their own scheme's words (GEHEIM, not DEU GEHEIM); others see NATO's.
    name = schemes.get(scheme_code).level_for_common(level).name
    return Banner(text=name.upper(), style=_STYLE[level])
