"""The OpenTDF manifest JSON schema (a verbatim copy in ``caveat/data/opentdf``, with its
provenance) and validation against it with ``jsonschema`` (draft 2020-12)."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from caveat.adapters.tdf._errors import TdfInvalid

SCHEMA_PACKAGE = "caveat.data.opentdf"
SCHEMA_FILE = "manifest.schema.json"


def schema_bytes() -> bytes:
    """The schema file exactly as copied from opentdf/spec."""
    return resources.files(SCHEMA_PACKAGE).joinpath(SCHEMA_FILE).read_bytes()


@cache
def _validator() -> Any:
    # Imported on first use: jsonschema builds ~40 grammars for its format checks at
    # import (rfc3987-syntax), a second or more that every process opening a node paid.
    import jsonschema  # type: ignore[import-untyped]  # ships no type information

    schema = json.loads(schema_bytes())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def schema_errors(manifest: Any) -> list[str]:
    """Every way ``manifest`` breaks the spec's schema, as ``path: message`` lines."""
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '(root)'}: {error.message}"
        for error in _validator().iter_errors(manifest)
    ]


def validate_manifest(manifest: Any) -> None:
    """Raise TdfInvalid unless ``manifest`` validates against the spec's schema."""
    errors = schema_errors(manifest)
    if errors:
        raise TdfInvalid(
            "the manifest does not validate against the OpenTDF schema: " + "; ".join(errors[:3]),
            data={"schema_errors": errors[:20]},
        )
