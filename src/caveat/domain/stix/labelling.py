"""One Caveat label per STIX object, from every marking that applies to it.

- The label covers the whole object, so it is the roll-up (``labels.roll_up``: highest
  level, united caveats, intersected REL TO) of every Caveat label that applies, in
  ``object_marking_refs`` or in any granular marking: an object is handed out whole,
  so it is protected as its most protected part.
- The object itself must be labelled (a Caveat label in ``object_marking_refs``);
  failing that, the import's default label stands in, and without one the object is
  refused. A granular label covers only the parts it selects, so it never makes the
  rest of the object labelled.
- TLP is informative in Caveat's model and decides no access: it never labels an
  object by itself, and it rolls up to the most restrictive colour of the label's own
  TLP, every TLP marking that applies and any TLP tag in the object's ``labels``
  (``tlp:amber`` as MISP writes them), so a colour the sender meant is never lost.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date

from caveat.domain.errors import CaveatError
from caveat.domain.groups import GroupDirectory
from caveat.domain.labels import (
    TLP,
    TLP_LEVELS,
    Category,
    CategoryType,
    Label,
    SchemeRegistry,
    roll_up,
)
from caveat.domain.stix.errors import UnmarkedObject
from caveat.domain.stix.tlp import colour_of_tag


def tag_colours(labels: object) -> list[str]:
    """The TLP colours named by TLP tags in an object's ``labels`` property."""
    if not isinstance(labels, list):
        return []
    return [c for c in (colour_of_tag(text) for text in labels) if c is not None]


def _set_tlp(label: Label, colour: str) -> Label:
    categories = [c for c in label.categories if c.tag != TLP]
    categories.append(Category(TLP, CategoryType.INFORMATIVE, frozenset({colour})))
    return label.with_categories(categories)


def with_tlp(label: Label, colours: Iterable[str]) -> Label:
    """``label`` with its TLP raised to the most restrictive of its own and ``colours``
    (its alternatives alike, so they keep describing the same label)."""
    present = [*label.values(TLP), *colours]
    if not present:
        return label
    colour = max(present, key=TLP_LEVELS.index)
    if label.values(TLP) == {colour}:
        return label
    return replace(
        _set_tlp(label, colour),
        alternatives=tuple(_set_tlp(a, colour) for a in label.alternatives),
    )


def object_label(
    object_id: str,
    *,
    object_labels: Sequence[Label],
    granular_labels: Sequence[Label],
    colours: Sequence[str],
    default: Label | None,
    groups: GroupDirectory,
    on: date,
    schemes: SchemeRegistry | None = None,
    policy: str | None = None,
) -> Label:
    """The one label of an object (see the module's rules). A single label is kept as
    it is, alternatives and provenance included; several are rolled up under
    ``policy`` (needed when they are under different schemes)."""
    if not object_labels:
        if default is None:
            raise UnmarkedObject(
                f"{object_id} carries no Caveat label",
                field="object_marking_refs",
                data={"object": object_id},
                hint="mark it with a Caveat label marking, or import with a default label",
            )
        object_labels = [default]
    distinct = list(dict.fromkeys([*object_labels, *granular_labels]))
    try:
        label = (
            distinct[0]
            if len(distinct) == 1
            else roll_up(distinct, groups=groups, on=on, schemes=schemes, policy=policy)
        )
    except CaveatError as exc:
        exc.data.setdefault("object", object_id)
        raise
    return with_tlp(label, colours)
