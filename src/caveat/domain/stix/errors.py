"""Errors raised while reading or writing STIX 2.1 content.

Each is an ``InvalidInput`` (or, for size, ``TOO_LARGE``) with a stable code, so the
TAXII server and the CLI report them as they report any other refused input. The STIX
id of the object or marking at fault travels in ``data`` (``object`` or ``marking``)
and, where it helps, the property in ``field``.
"""

from __future__ import annotations

from caveat.domain.errors import ErrorKind, InvalidInput


class InvalidStix(InvalidInput):
    """Raised when a bundle or object is not well-formed STIX 2.1: bad JSON, a malformed
    id or timestamp, another spec version, a property the STIX library refuses, or two
    different objects under one version."""

    code = "invalid_stix"


class StixTooLarge(InvalidInput):
    """Raised when a bundle has more bytes or more objects than the node accepts; checked
    before anything is parsed, so hostile input costs nothing."""

    code = "stix_too_large"
    kind = ErrorKind.TOO_LARGE


class UnknownMarking(InvalidInput):
    """Raised when an object refers to a marking definition Caveat cannot read as exactly
    one meaning (a Caveat label or a TLP colour): a missing definition, a statement, PAP,
    an unknown TLP colour, or readings that disagree. Fail closed: a marking that might
    restrict is never dropped."""

    code = "unknown_marking_definition"


class UnmarkedObject(InvalidInput):
    """Raised when an object carries no Caveat label and the import names no default
    label: unlabelled data is not taken in (TLP alone is not a label)."""

    code = "unmarked_stix_object"
