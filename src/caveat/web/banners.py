"""Classification banners: the roll-up of what a page shows, in the viewer's national form.

A page records the label of everything it displays (``PageContext.show``; ``None`` for
an item whose label could not be read); the banner is their roll-up as
``caveat.bootstrap.marking`` computes it for the viewer: level, SCI and SAP, dissemination
controls and REL TO, in the viewer's scheme and words, with the originators' levels
where the viewer's level stands in for a step their scheme lacks. An empty page carries
the scheme's lowest level. A roll-up that fails marks the page at the highest level the
viewer may see, and says so: a page stays usable, and never reads lower than it is.

The colour class follows the level the text states; the text alone tells levels apart.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from caveat.bootstrap.container import Node
from caveat.bootstrap.marking import marking_for
from caveat.domain.labels import Label, Marking
from caveat.services.kernel.principal import Principal

_STYLE = {0: "unclassified", 1: "restricted", 2: "confidential", 3: "secret", 4: "top-secret"}


@dataclass(frozen=True, slots=True)
class Banner:
    """What the top and bottom banners say, and their colour class."""

    text: str
    style: str
    note: str = ""
    complete: bool = True

    @property
    def line(self) -> str:
        """The text and its note on one line."""
        return f"{self.text} ({self.note})" if self.note else self.text


def banner_of(marking: Marking) -> Banner:
    """The banner showing ``marking``."""
    return Banner(marking.text, _STYLE[marking.common], marking.note, marking.complete)


def page_banner(node: Node, principal: Principal | None, labels: Iterable[Label | None]) -> Banner:
    """The banner for a page showing ``labels`` to ``principal`` (None: nobody signed in,
    marked in the node's own scheme)."""
    return banner_of(marking_for(node, principal, labels))
