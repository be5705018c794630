"""The OASIS ``stix2`` library as the judge of each object's properties.

Caveat checks ids, spec versions and markings itself; everything else about an object
(required properties, types, vocabularies of closed enumerations, patterns, selectors
of granular markings) is what the reference library accepts. What is kept is the
library's own serialisation, so stored objects are exactly what it understood: its
timestamps (``created``/``modified`` to at least the millisecond, STIX 2.1 §3.2) and
its defaults (``pattern_version``), never a value it coerced silently behind our back.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import stix2  # type: ignore[import-untyped]
from stix2.exceptions import (  # type: ignore[import-untyped]
    ExtraPropertiesError,
    ParseError,
    STIXError,
)

from caveat.domain.stix.errors import InvalidStix

# What the library raises on malformed input besides its own errors (a string where it
# expects a mapping gives AttributeError, for one); caught here, never let through.
_LIBRARY_FAULTS = (STIXError, ValueError, TypeError, AttributeError, KeyError, IndexError)


def library_form(raw: Mapping[str, Any], *, allow_custom: bool) -> dict[str, Any]:
    """``raw`` as the stix2 library reads and writes it back (STIX 2.1); refused with
    InvalidStix when the library refuses it. Custom properties and object types pass
    only with ``allow_custom`` (then an unknown type is kept as given, unchecked)."""
    where = str(raw.get("id"))
    if raw.get("type") == "observed-data" and "objects" in raw:
        # Deprecated in 2.1 (the library warns); object_refs says the same thing.
        raise InvalidStix(
            f"{where}: observed-data 'objects' is deprecated in STIX 2.1",
            field="objects",
            data={"object": where},
            hint="refer to the observables with object_refs",
        )
    copy = json.loads(json.dumps(raw))  # the library may keep references into its input
    try:
        parsed = stix2.parse(copy, allow_custom=allow_custom, version="2.1")
        if isinstance(parsed, dict):  # an unknown custom type, let through by allow_custom
            kept: dict[str, Any] = copy
            return kept
        value: dict[str, Any] = json.loads(parsed.serialize())
    except _LIBRARY_FAULTS as exc:
        custom = isinstance(exc, ExtraPropertiesError | ParseError) and not allow_custom
        raise InvalidStix(
            f"{where}: {exc}",
            data={"object": where},
            hint="this import does not accept custom properties or types" if custom else None,
        ) from None
    return value
