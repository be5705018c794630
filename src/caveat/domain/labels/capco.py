"""CAPCO register facts the banner syntax needs (register of 2016).

Only the controls Caveat supports are listed; anything else in a marking is an
error, never ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DissemControl:
    """A dissemination control: banner word, portion abbreviation, register position."""

    name: str
    portion: str
    order: int


# Register order: FOUO, ORCON, IMCON, NOFORN, PROPIN, REL TO, RELIDO.
# REL TO is a PERMISSIVE list in the model but keeps its slot in the dissem block.
DISSEM_CONTROLS: tuple[DissemControl, ...] = (
    DissemControl("FOUO", "FOUO", 0),
    DissemControl("ORCON", "OC", 1),
    DissemControl("IMCON", "IMC", 2),
    DissemControl("NOFORN", "NF", 3),
    DissemControl("PROPIN", "PR", 4),
    DissemControl("REL TO", "REL TO", 5),
    DissemControl("RELIDO", "RELIDO", 6),
)
BY_NAME = {c.name: c for c in DISSEM_CONTROLS}
BY_PORTION = {c.portion: c for c in DISSEM_CONTROLS}
REL_TO_ORDER = BY_NAME["REL TO"].order

# Published SCI control systems; compartments after a hyphen are free text.
SCI_SYSTEMS = ("HCS", "KDK", "RSV", "SI", "TK")
SCI_VALUE = re.compile(r"^(HCS|KDK|RSV|SI|TK)(-[A-Z0-9]{1,16}( [A-Z0-9]{1,16})*)*$")
# Special access programmes: SAR- plus a nickname or its abbreviation.
SAP_VALUE = re.compile(r"^SAR-[A-Z0-9][A-Z0-9-]{0,23}( [A-Z0-9][A-Z0-9-]{0,23})*$")

BLOCK_ORDER = "CLASSIFICATION//SCI//SAP//DISSEM"
