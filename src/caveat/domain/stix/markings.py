"""What each marking definition of a bundle means to Caveat: a label, or a TLP colour.

Every marking-definition object in a bundle is read, used or not: one Caveat cannot
read is refused rather than dropped, since it may restrict something. The TLP 1.0 and
2.0 ids need no object (every STIX consumer knows them); any other reference must have
its definition in the same bundle.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from caveat.domain.groups import GroupDirectory
from caveat.domain.labels import Label, SchemeRegistry
from caveat.domain.stix.errors import InvalidStix, UnknownMarking
from caveat.domain.stix.extension import carries_label, read_label_marking
from caveat.domain.stix.identifiers import check_id, parse_timestamp
from caveat.domain.stix.tlp import predefined_colour, read_tlp


@dataclass(frozen=True, slots=True)
class Meaning:
    """What one marking definition says: a Caveat label or a TLP colour, never both."""

    label: Label | None = None
    colour: str | None = None


def _read(
    definition: Mapping[str, Any], groups: GroupDirectory, schemes: SchemeRegistry | None
) -> Meaning:
    marking_id = str(definition["id"])
    if carries_label(definition):
        # A label marking has exactly its own members and a uuid5 id, so it cannot be
        # TLP as well (read_label_marking refuses any other member).
        return Meaning(label=read_label_marking(definition, groups=groups, schemes=schemes))
    colour = read_tlp(definition)
    if colour is None:
        kind = definition.get("definition_type") or "an extension Caveat does not know"
        raise UnknownMarking(
            f"marking definition {marking_id} ({kind}) is neither a Caveat label nor TLP",
            field="marking",
            data={"marking": marking_id},
            hint="Caveat reads Caveat label markings and TLP; anything else is refused",
        )
    return Meaning(colour=colour)


def _check_shape(definition: Mapping[str, Any]) -> str:
    marking_id = str(definition.get("id"))
    check_id(definition.get("id"), type_="marking-definition", where=marking_id)
    if definition.get("spec_version") != "2.1":
        raise InvalidStix(
            f"{marking_id}: spec_version must be 2.1, not {definition.get('spec_version')!r}",
            field="spec_version",
            data={"marking": marking_id},
        )
    parse_timestamp(definition.get("created"), where=marking_id)
    return marking_id


def read_markings(
    definitions: Iterable[Mapping[str, Any]],
    *,
    groups: GroupDirectory,
    schemes: SchemeRegistry | None = None,
) -> dict[str, Meaning]:
    """The meaning of every marking-definition object given, by id. A definition given
    twice must be the same both times (marking definitions are never versioned)."""
    seen: dict[str, Mapping[str, Any]] = {}
    table: dict[str, Meaning] = {}
    for definition in definitions:
        marking_id = _check_shape(definition)
        if marking_id in seen:
            if seen[marking_id] != definition:
                raise InvalidStix(
                    f"{marking_id} is given twice with different content",
                    data={"marking": marking_id},
                    hint="marking definitions are never versioned",
                )
            continue
        seen[marking_id] = definition
        table[marking_id] = _read(definition, groups, schemes)
    return table


def resolve(table: Mapping[str, Meaning], marking_id: object, *, where: str) -> Meaning:
    """The meaning of one reference: from the bundle's definitions or a predefined TLP id."""
    check_id(marking_id, type_="marking-definition", where=where)
    assert isinstance(marking_id, str)  # check_id refuses anything else
    found = table.get(marking_id)
    if found is not None:
        return found
    colour = predefined_colour(marking_id)
    if colour is not None:
        return Meaning(colour=colour)
    raise UnknownMarking(
        f"{where} refers to marking definition {marking_id}, which the bundle does not define",
        field="object_marking_refs",
        data={"object": where, "marking": marking_id},
        hint="send every marking definition an object refers to in the same bundle",
    )
