"""CAPCO register facts the banner syntax needs (register of 2016).

Only the controls Caveat supports are listed; anything else in a marking is an
error, never ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DissemControl:
    """A dissemination control: banner word, portion abbreviation, register position and
    the spelled-out marking title a banner may use instead of the banner word."""

    name: str
    portion: str
    order: int
    title: str


# Register order: FOUO, ORCON, IMCON, NOFORN, PROPIN, REL TO, RELIDO.
# REL TO is a PERMISSIVE list in the model but keeps its slot in the dissem block.
# Titles: the "marking title" column of the register's dissemination control table
# (CAPCO register 2016, section H.8; the same titles as ODNI IC-ISM CVEnumISMDissem).
# A banner may spell a control out by its title; portion marks use the abbreviation
# only, and Caveat always renders the banner word or the abbreviation.
DISSEM_CONTROLS: tuple[DissemControl, ...] = (
    DissemControl("FOUO", "FOUO", 0, "FOR OFFICIAL USE ONLY"),
    DissemControl("ORCON", "OC", 1, "ORIGINATOR CONTROLLED"),
    DissemControl("IMCON", "IMC", 2, "CONTROLLED IMAGERY"),
    DissemControl("NOFORN", "NF", 3, "NOT RELEASABLE TO FOREIGN NATIONALS"),
    DissemControl("PROPIN", "PR", 4, "CAUTION-PROPRIETARY INFORMATION INVOLVED"),
    DissemControl("REL TO", "REL TO", 5, "AUTHORIZED FOR RELEASE TO"),
    DissemControl("RELIDO", "RELIDO", 6, "RELEASABLE BY INFORMATION DISCLOSURE OFFICIAL"),
)
BY_NAME = {c.name: c for c in DISSEM_CONTROLS}
BY_PORTION = {c.portion: c for c in DISSEM_CONTROLS}
BY_TITLE = {c.title: c for c in DISSEM_CONTROLS}
REL_TO_ORDER = BY_NAME["REL TO"].order
REL_TO_TITLE = BY_NAME["REL TO"].title  # followed by the list: AUTHORIZED FOR RELEASE TO USA, GBR

# Published SCI control systems; compartments after a hyphen are free text.
SCI_SYSTEMS = ("HCS", "KDK", "RSV", "SI", "TK")
SCI_VALUE = re.compile(r"^(HCS|KDK|RSV|SI|TK)(-[A-Z0-9]{1,16}( [A-Z0-9]{1,16})*)*$")
# Special access programmes: SAR- plus a nickname or its abbreviation.
SAP_VALUE = re.compile(r"^SAR-[A-Z0-9][A-Z0-9-]{0,23}( [A-Z0-9][A-Z0-9-]{0,23})*$")

BLOCK_ORDER = "CLASSIFICATION//SCI//SAP//DISSEM"
