"""Every package validates against the OpenTDF manifest schema, copied unchanged from the
specification (and against the reference SDK's own, stricter-in-places copy)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caveat.adapters.tdf import (
    Assertion,
    Statement,
    TdfInvalid,
    _schema,
    read_package,
    schema_bytes,
    schema_errors,
)
from tests.federation.tdf.support import (
    KAS_URL,
    SMALL,
    Parties,
    apply,
    fresh_pem,
    manifest_of,
    mutations,
    package,
    with_manifest,
)

HERE = Path(__file__).parent
DATA = Path(__file__).parents[3] / "src" / "caveat" / "data" / "opentdf"
SDK_SCHEMA = json.loads((HERE / "reference" / "sdk-manifest.schema.json").read_bytes())


def _git_blob(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\x00" % len(data) + data, usedforsecurity=False).hexdigest()


def test_the_schema_is_the_specifications_file_unchanged() -> None:
    data = schema_bytes()
    provenance = (DATA / "PROVENANCE.md").read_text(encoding="utf-8")
    assert _git_blob(data) == "b2929ba0b885b8b8feaa005b72ebacef36fc32e2"
    assert hashlib.sha256(data).hexdigest() == (
        "acbec136bf9194ebb2f63078243802e3946622b3db0854c30b9cfef993db77ce"
    )
    assert _git_blob(data) in provenance
    assert hashlib.sha256(data).hexdigest() in provenance
    assert "7a4ed269a65f8485495178d6072f697602f05598" in provenance
    assert (DATA / "LICENSE").read_text(encoding="utf-8").startswith("The Clear BSD License")


def test_the_reference_sdks_schema_is_its_file_unchanged() -> None:
    data = (HERE / "reference" / "sdk-manifest.schema.json").read_bytes()
    assert _git_blob(data) == "8a0e47ac940b0716b4f36a4ce7da52edf4d5bafb"


SPEC_SCHEMA = jsonschema.Draft202012Validator(json.loads(schema_bytes()))


def _paths(errors: list[str]) -> list[str]:
    return sorted(error.split(": ", 1)[0] for error in errors)


def _pure_python_paths(manifest: Any) -> list[str]:
    """Where the pure-Python ``jsonschema`` (the validator before ADR 0034) finds the spec's
    schema broken, in ``schema_errors``'s spelling."""
    return sorted(
        "/".join(str(p) for p in error.absolute_path) or "(root)"
        for error in SPEC_SCHEMA.iter_errors(manifest)
    )


def _sdk_errors(manifest: Any) -> list[str]:
    validator = jsonschema.Draft202012Validator(SDK_SCHEMA)
    return [e.message for e in validator.iter_errors(manifest)]


NOTE = Assertion("note", "other", "tdo", Statement("string", "unlabelled note"))


@settings(max_examples=25, deadline=None)
@given(
    size=st.integers(min_value=0, max_value=4 * SMALL + 3),
    signed=st.booleans(),
    labelled=st.booleans(),
)
def test_every_package_validates_against_both_schemas(
    parties: Parties, size: int, signed: bool, labelled: bool
) -> None:
    manifest = manifest_of(
        package(b"\x01" * size, parties, signed=signed, assertions=None if labelled else [NOTE])
    )
    assert schema_errors(manifest) == []
    assert _sdk_errors(manifest) == []


def test_the_schema_is_enforced() -> None:
    assert schema_errors({"payload": {}}) != []
    assert schema_errors([]) != []


def test_the_specifications_schema_has_no_ec_wrapped_type(parties: Parties) -> None:
    """Why the key access object's type is "wrapped" (ADR 0022): the specification's
    schema allows only wrapped and remote, where both reference SDKs write ec-wrapped."""
    manifest = manifest_of(package(b"x", parties))
    manifest["encryptionInformation"]["keyAccess"][0]["type"] = "ec-wrapped"
    assert any("ec-wrapped" in error for error in schema_errors(manifest))
    assert _sdk_errors(manifest) == []


@pytest.mark.parametrize("name", ["mimeType", "tdf_spec_version"])
def test_the_specifications_schema_requires_what_the_sdk_leaves_out(
    parties: Parties, name: str
) -> None:
    manifest = manifest_of(package(b"x", parties))
    del manifest["payload"][name]
    assert schema_errors(manifest) != []
    assert _sdk_errors(manifest) == []


def _altered_manifests(parties: Parties) -> list[tuple[bytes, dict[str, Any]]]:
    """Every single-point alteration of a signed and an unsigned package's manifest
    (the walk of test_tamper), each with the package it came from."""
    pem = fresh_pem()
    found = []
    for signed in (True, False):
        data = package(b"\x02" * (2 * SMALL + 5), parties, signed=signed)
        manifest = manifest_of(data)
        found += [(data, apply(manifest, m, pem)) for m in mutations(manifest)]
    return found


def test_the_compiled_validator_agrees_with_jsonschema_on_every_alteration(
    parties: Parties,
) -> None:
    """ADR 0034: jsonschema-rs gives the pure-Python validator's verdict, and finds the
    same places broken, for every single-point alteration of a real manifest."""
    altered = _altered_manifests(parties)
    refused = 0
    for _, manifest in altered:
        paths = _pure_python_paths(manifest)
        assert _paths(schema_errors(manifest)) == paths, manifest
        refused += bool(paths)
    assert refused > 100  # the walk reaches the schema, not only the profile behind it


def test_a_manifest_the_schema_refuses_is_refused_as_before(parties: Parties) -> None:
    """Each alteration the spec's schema refuses is refused by the reader with the same
    error as before ADR 0034: TdfInvalid, code tdf_invalid, the same detail's opening
    and the broken places in its data."""
    checked = 0
    for data, manifest in _altered_manifests(parties):
        paths = _pure_python_paths(manifest)
        if not paths:
            continue
        with pytest.raises(TdfInvalid) as caught:
            read_package(
                with_manifest(data, manifest),
                recipient_key=parties.recipient,
                kas_url=KAS_URL,
                trusted_assertion_keys=[parties.signer.public_key()],
            )
        refusal = caught.value
        assert refusal.code == "tdf_invalid"
        assert refusal.detail.startswith(
            "the manifest does not validate against the OpenTDF schema: "
        )
        assert len(paths) <= 20  # single alterations: every place fits in the data
        assert _paths(refusal.data["schema_errors"]) == paths
        checked += 1
    assert checked > 100


def test_what_is_not_json_is_an_error_not_a_crash() -> None:
    assert schema_errors({1: "name not a string"}) != []
    assert schema_errors({"payload": b"bytes"}) != []


class PanicException(BaseException):
    """pyo3's panic, as the Rust validator raises it (a BaseException of that name)."""


def test_a_panic_in_the_validator_refuses_the_package_instead_of_ending_the_sync(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Panicking:
        def is_valid(self, manifest: Any) -> bool:
            raise PanicException("index out of bounds")

    monkeypatch.setattr(_schema, "_validator", lambda: Panicking())
    assert schema_errors({}) == ["(root): the schema validator failed on this manifest"]

    class Interrupted:
        def is_valid(self, manifest: Any) -> bool:
            raise KeyboardInterrupt

    monkeypatch.setattr(_schema, "_validator", lambda: Interrupted())
    with pytest.raises(KeyboardInterrupt):  # anything else still goes through
        schema_errors({})
