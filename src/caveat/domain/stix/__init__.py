"""STIX 2.1 objects as labelled content (issue 20, ADR 0021): the domain core of
Caveat's TAXII hub.

Pure: no I/O, no clock (the day is passed in), nothing from services, adapters or
interfaces. Not imported by ``caveat.domain`` itself, so commands that never touch
STIX do not load the ``stix2`` library.

- ``import_bundle`` / ``import_objects``: strict reading of a bundle or a TAXII
  envelope's objects into :class:`LabelledObject` s, each with one Caveat label from its
  object and granular markings; unmarked objects take the configured default label or
  are refused (:class:`ImportRules`).
- ``export_bundle`` / ``marked_objects``: the same objects written back with the Caveat
  label marking and the OASIS TLP 2.0 marking, deterministically.
- ``tlp``: the TLP 2.0 marking definitions and the TLP 1.0 and vendor forms read on input;
  ``extension``: the Caveat label marking, its extension definition and JSON Schema.
"""

from caveat.domain.stix.errors import InvalidStix, StixTooLarge, UnknownMarking, UnmarkedObject
from caveat.domain.stix.exporting import export_bundle, marked_objects
from caveat.domain.stix.extension import (
    CAVEAT_IDENTITY_ID,
    EXTENSION_ID,
    SCHEMA_FILE,
    SCHEMA_SHA256,
    extension_definition,
    label_marking_definition,
    label_marking_id,
    read_label_marking,
)
from caveat.domain.stix.importing import ImportedBundle, ImportRules, import_bundle, import_objects
from caveat.domain.stix.model import LabelledObject, Limits, StixObject, stix_object
from caveat.domain.stix.tlp import (
    TLP1_IDS,
    TLP2_EXTENSION_ID,
    TLP2_IDS,
    colour_of_tag,
    colour_of_word,
    read_tlp,
    tlp_marking_definition,
    tlp_marking_id,
)

__all__ = [
    "CAVEAT_IDENTITY_ID",
    "EXTENSION_ID",
    "SCHEMA_FILE",
    "SCHEMA_SHA256",
    "TLP1_IDS",
    "TLP2_EXTENSION_ID",
    "TLP2_IDS",
    "ImportRules",
    "ImportedBundle",
    "InvalidStix",
    "LabelledObject",
    "Limits",
    "StixObject",
    "StixTooLarge",
    "UnknownMarking",
    "UnmarkedObject",
    "colour_of_tag",
    "colour_of_word",
    "export_bundle",
    "extension_definition",
    "import_bundle",
    "import_objects",
    "label_marking_definition",
    "label_marking_id",
    "marked_objects",
    "read_label_marking",
    "read_tlp",
    "stix_object",
    "tlp_marking_definition",
    "tlp_marking_id",
]
