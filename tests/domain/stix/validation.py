"""OASIS's stix2-validator, the judge of what Caveat exports (typed for the tests)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from stix2validator import (  # type: ignore[import-untyped]
    ValidationOptions,
    validate_instance,
    validate_string,
)

_CODE = re.compile(r"^(?P<id>[a-z0-9-]+--[0-9a-f-]{36}): \{(?P<code>\d+)\}")


@dataclass(frozen=True)
class Findings:
    """The validator's errors and warnings, as the text it gives them."""

    errors: list[str]
    warnings: list[str]

    def warning_codes(self) -> set[tuple[str, str]]:
        """(STIX type of the object, validator code) of every warning."""
        found = set()
        for text in self.warnings:
            match = _CODE.match(text)
            assert match is not None, text
            found.add((match["id"].split("--")[0], match["code"]))
        return found


def _findings(result: Any) -> Findings:
    return Findings([str(e) for e in result.errors], [str(w) for w in result.warnings])


def validate_bundle(data: bytes) -> Findings:
    """What stix2-validator (default options: every check on) says of a bundle."""
    return _findings(validate_string(data.decode("utf-8"), ValidationOptions()))


def validate_object(value: dict[str, Any]) -> Findings:
    """What stix2-validator says of one object."""
    return _findings(validate_instance(value, ValidationOptions()))


# STIX 2.1 §2.9 says SDOs, SROs, SMOs and bundles SHOULD use UUIDv4; Caveat's marking
# definitions and default bundle ids are UUIDv5 of their content by design (ADR 0021).
# The validator's {103} is that SHOULD, a warning; nothing else may be warned about.
NAME_BASED_IDS = {("marking-definition", "103"), ("bundle", "103")}
