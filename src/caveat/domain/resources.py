"""What a labelled resource is: the one list of kinds for the catalogue and artifacts.

A kind is descriptive (it drives browsing and filters, never a policy decision); the
values are the ones issue 4 names for research content.
"""

from __future__ import annotations

from enum import StrEnum

from caveat.domain.errors import InvalidInput


class ResourceKind(StrEnum):
    """What a catalogued resource (or artifact) is."""

    DOCUMENT = "document"
    DATASET = "dataset"
    TEST_DATA = "test_data"
    REPORT = "report"
    SOFTWARE = "software"
    THREAT_INTELLIGENCE = "threat_intelligence"


def resource_kind(value: str) -> ResourceKind:
    """The kind called ``value``; anything else is ``invalid_kind`` (with the list as hint)."""
    try:
        return ResourceKind(value)
    except ValueError:
        raise InvalidInput(
            f"unknown kind {value!r}",
            code="invalid_kind",
            field="kind",
            hint=", ".join(k.value for k in ResourceKind),
        ) from None
