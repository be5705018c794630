"""TLP in STIX: the OASIS TLP 2.0 marking definitions, and every older form read as one.

Caveat's label model already carries TLP 2.0 as the INFORMATIVE category ``TLP`` whose
one value is a colour of ``caveat.domain.labels.TLP_LEVELS`` (CLEAR ... RED); this module
only translates between that colour and STIX marking definitions. Output is always
the OASIS TLP 2.0 objects; input may be any of:

- TLP 2.0 (OASIS CTI TC, cti-stix-common-objects,
  ``extension-definition-specifications/tlp-2.0/``: the JSON schema
  ``extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d.json`` fixes the five ids,
  names and ``tlp_2_0`` values; ``examples/tlp-*.json`` fix ``created``);
- TLP 1.0 as predefined by STIX 2.1 (OASIS STIX 2.1 §7.2.1.4; the same four objects as
  ``stix2.v21.TLP_WHITE`` ... ``TLP_RED``): ``definition_type: "tlp"``,
  ``definition: {"tlp": "amber"}``;
- vendor forms: the same ``definition`` under other ids and in any case, as tools
  without the stix2 library's TLP check write it (misp-stix builds
  ``definition_type: "tlp", definition: {"tlp": "amber+strict"}`` under a fresh uuid4
  from the tag ``tlp:amber+strict``; OpenCTI's converter writes ``definition_type:
  "TLP"`` with ``name: "TLP:AMBER+STRICT"`` and, in older releases,
  ``definition: {"tlp": "AMBER+STRICT"}``), and tags such as ``tlp:white`` or
  ``TLP:AMBER`` as MISP and OpenCTI write them.

TLP 1.0 WHITE is TLP 2.0 CLEAR; GREEN, AMBER and RED keep their names (FIRST TLP 2.0).
Every reading of one definition (its id, extension, definition and TLP-shaped name) must
agree, or the definition is refused: a definition whose id says CLEAR and whose body
says RED is not guessed at.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from caveat.domain.labels import TLP_LEVELS
from caveat.domain.stix.errors import UnknownMarking

TLP2_EXTENSION_ID = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
TLP2_CREATED = "2022-10-01T00:00:00.000Z"
# Caveat colour -> OASIS TLP 2.0 marking-definition id.
TLP2_IDS: Mapping[str, str] = MappingProxyType(
    {
        "CLEAR": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
        "GREEN": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
        "AMBER": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
        "AMBER+STRICT": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
        "RED": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
    }
)
TLP1_CREATED = "2017-01-20T00:00:00.000Z"
# STIX 2.1 §7.2.1.4 TLP 1.0 marking-definition id -> the TLP 2.0 colour it maps to.
TLP1_IDS: Mapping[str, str] = MappingProxyType(
    {
        "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": "CLEAR",  # TLP:WHITE
        "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": "GREEN",
        "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": "AMBER",
        "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": "RED",
    }
)
_BY_ID: Mapping[str, str] = MappingProxyType(
    {**TLP1_IDS, **{marking: colour for colour, marking in TLP2_IDS.items()}}
)
_WORDS: Mapping[str, str] = MappingProxyType(
    {"white": "CLEAR", **{colour.lower(): colour for colour in TLP_LEVELS}}
)
_TAG = "tlp:"
_TLP_TYPE = "tlp"


def colour_of_word(word: object) -> str | None:
    """The TLP 2.0 colour a TLP 1.0 or 2.0 word names (``white``, ``AMBER+STRICT``),
    in any case; None for anything else."""
    return _WORDS.get(word.lower()) if isinstance(word, str) else None


def colour_of_tag(text: object) -> str | None:
    """The colour of a tag such as ``tlp:white`` or ``TLP:AMBER+STRICT``; None when the
    text is not a TLP colour tag (``tlp:ex:chr`` and other extensions are not)."""
    if not isinstance(text, str) or text[: len(_TAG)].lower() != _TAG:
        return None
    return colour_of_word(text[len(_TAG) :])


def predefined_colour(marking_id: str) -> str | None:
    """The colour of a marking id every STIX consumer knows without its object (the
    TLP 1.0 and TLP 2.0 ids), None for any other id."""
    return _BY_ID.get(marking_id)


def tlp_marking_id(colour: str) -> str:
    """The OASIS TLP 2.0 marking-definition id of a Caveat TLP colour."""
    return TLP2_IDS[colour]


def tlp_marking_definition(colour: str) -> dict[str, Any]:
    """The OASIS TLP 2.0 marking-definition object of a Caveat TLP colour, as published."""
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": TLP2_IDS[colour],
        "created": TLP2_CREATED,
        "name": f"TLP:{colour}",
        "extensions": {
            TLP2_EXTENSION_ID: {"extension_type": "property-extension", "tlp_2_0": colour.lower()}
        },
    }


def _refuse(marking_id: str, why: str) -> UnknownMarking:
    return UnknownMarking(
        f"marking definition {marking_id}: {why}",
        field="marking",
        data={"marking": marking_id},
        hint="send the OASIS TLP 2.0 marking definitions",
    )


def _definition_reading(marking_id: str, definition: object) -> str:
    if not isinstance(definition, Mapping) or len(definition) != 1:
        raise _refuse(marking_id, "a TLP definition holds exactly one member, tlp")
    ((key, word),) = definition.items()
    colour = None
    if str(key).lower() == _TLP_TYPE:  # {"tlp": "amber"}, {"TLP": "TLP:AMBER+STRICT"}
        colour = colour_of_word(word) or colour_of_tag(word)
    if colour is None:
        raise _refuse(marking_id, f"{key}: {word!r} is not a TLP colour")
    return colour


def _extension_reading(marking_id: str, extension: object) -> str:
    if (
        not isinstance(extension, Mapping)
        or set(extension) != {"extension_type", "tlp_2_0"}
        or extension["extension_type"] != "property-extension"
    ):
        raise _refuse(marking_id, "the TLP 2.0 extension is not as OASIS defines it")
    word = extension["tlp_2_0"]
    colour = colour_of_word(word)
    if colour is None or word != colour.lower() or word == "white":
        raise _refuse(marking_id, f"tlp_2_0 {word!r} is not a TLP 2.0 value")
    return colour


def read_tlp(definition: Mapping[str, Any]) -> str | None:
    """The TLP colour a marking-definition object states, or None when it states no TLP.

    A definition that claims TLP (a TLP id, the TLP 2.0 extension, ``definition_type``
    tlp) but names no colour Caveat knows, or whose readings disagree, is refused.
    """
    marking_id = str(definition.get("id"))
    readings: list[str] = []
    by_id = predefined_colour(marking_id)
    if by_id is not None:
        readings.append(by_id)
    extensions = definition.get("extensions")
    if isinstance(extensions, Mapping) and TLP2_EXTENSION_ID in extensions:
        readings.append(_extension_reading(marking_id, extensions[TLP2_EXTENSION_ID]))
    declared = definition.get("definition_type")
    is_tlp_type = isinstance(declared, str) and declared.lower() == _TLP_TYPE
    if declared is not None and not is_tlp_type and readings:
        raise _refuse(marking_id, f"a TLP marking cannot also be of type {declared!r}")
    if is_tlp_type and "definition" in definition:
        readings.append(_definition_reading(marking_id, definition["definition"]))
    elif "definition" in definition and readings:
        raise _refuse(marking_id, "a TLP marking has a definition without definition_type tlp")
    named = colour_of_tag(definition.get("name"))
    if named is not None and (readings or is_tlp_type):
        readings.append(named)
    elif is_tlp_type and not readings:
        raise _refuse(marking_id, "definition_type tlp, but no colour in definition or name")
    if len(set(readings)) > 1:
        raise _refuse(marking_id, "its id, extension, definition and name name different colours")
    return readings[0] if readings else None
