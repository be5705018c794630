"""The OpenTDF manifest JSON schema (a verbatim copy in ``caveat/data/opentdf``, with its
provenance) and validation against it (draft 2020-12) with ``jsonschema-rs``, compiled
once per process (ADR 0034): the pure-Python ``jsonschema`` was about a tenth of the CPU
of receiving a package. ``tests/federation/tdf/test_schema.py`` holds the two validators
to the same verdicts."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import jsonschema_rs

from caveat.adapters.tdf._errors import TdfInvalid

SCHEMA_PACKAGE = "caveat.data.opentdf"
SCHEMA_FILE = "manifest.schema.json"


def schema_bytes() -> bytes:
    """The schema file exactly as copied from opentdf/spec."""
    return resources.files(SCHEMA_PACKAGE).joinpath(SCHEMA_FILE).read_bytes()


@cache
def _validator() -> jsonschema_rs.Draft202012Validator:
    schema = json.loads(schema_bytes())
    jsonschema_rs.meta.validate(schema)  # the schema itself is a valid draft 2020-12 schema
    # ``format`` is an annotation in draft 2020-12 (as jsonschema checks it by default);
    # the schema names no remote reference, and none is ever fetched (offline).
    return jsonschema_rs.Draft202012Validator(schema, validate_formats=False, offline=True)


def schema_errors(manifest: Any) -> list[str]:
    """Every way ``manifest`` breaks the spec's schema, as ``path: message`` lines."""
    validator = _validator()
    try:
        if validator.is_valid(manifest):
            return []
        return [
            f"{'/'.join(str(p) for p in error.instance_path) or '(root)'}: {error.message}"
            for error in validator.iter_errors(manifest)
        ]
    except ValueError as exc:  # not a JSON value (bytes, a name that is not a string)
        return [f"(root): not a JSON value: {exc}"]
    except BaseException as exc:
        # A panic inside the Rust validator reaches Python as pyo3's PanicException, a
        # BaseException: it would end the whole sync instead of refusing this package,
        # and a peer could send it again on every pull. Refuse the package instead.
        if type(exc).__name__ != "PanicException":
            raise
        return ["(root): the schema validator failed on this manifest"]


def validate_manifest(manifest: Any) -> None:
    """Raise TdfInvalid unless ``manifest`` validates against the spec's schema."""
    errors = schema_errors(manifest)
    if errors:
        raise TdfInvalid(
            "the manifest does not validate against the OpenTDF schema: " + "; ".join(errors[:3]),
            data={"schema_errors": errors[:20]},
        )
