"""A party on a denied-party list, as every list format is read into."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class PartyKind(StrEnum):
    """What a list entry names."""

    INDIVIDUAL = "individual"
    ENTITY = "entity"
    VESSEL = "vessel"
    AIRCRAFT = "aircraft"


@dataclass(frozen=True, slots=True)
class ListedParty:
    """One entry: its primary name and every alias, with what the list says about it."""

    source: str  # e.g. "OFAC SDN", "CSL: Entity List (EL) - Bureau of Industry and Security"
    entry_id: str
    name: str
    kind: PartyKind
    aliases: tuple[str, ...] = ()
    programs: tuple[str, ...] = ()
    nations: tuple[str, ...] = ()  # as written in the list (names or codes), not validated
    remarks: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        """The primary name followed by the aliases."""
        return (self.name, *self.aliases)
