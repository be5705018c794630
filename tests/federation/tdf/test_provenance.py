"""The originating node and artifact travel as a signed assertion and come back exactly;
a package without one, or with one in another form, is refused."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from caveat.adapters.tdf import (
    PROVENANCE_ASSERTION_ID,
    PROVENANCE_SCHEMA,
    Assertion,
    Statement,
    TdfProvenanceInvalid,
    caveat_assertions,
    provenance_assertion,
    read_provenance,
)
from tests.federation.tdf.support import Parties, export, label, open_package, package

NODE, ARTIFACT = str(uuid.uuid4()), str(uuid.uuid4())


def test_the_origin_comes_back_signed(parties: Parties) -> None:
    assertions = [
        *caveat_assertions(label(), export()),
        provenance_assertion(node_id=NODE, resource_id=ARTIFACT, version=3),
    ]
    opened = open_package(package(b"x", parties, assertions=assertions), parties)
    found = read_provenance(opened)
    assert (found.node_id, found.resource_id, found.version) == (NODE, ARTIFACT, 3)
    assert found.signer is not None


def test_a_package_without_provenance_is_refused(parties: Parties) -> None:
    opened = open_package(
        package(b"x", parties, assertions=caveat_assertions(label(), export())), parties
    )
    with pytest.raises(TdfProvenanceInvalid, match="no 'caveat-provenance'"):
        read_provenance(opened)


@pytest.mark.parametrize(
    "value",
    [
        {"OriginNode": NODE, "OriginResource": ARTIFACT},
        {"OriginNode": NODE, "OriginResource": ARTIFACT, "Version": 1, "Extra": 1},
        {"OriginNode": "not a uuid", "OriginResource": ARTIFACT, "Version": 1},
        {"OriginNode": NODE, "OriginResource": ARTIFACT.upper(), "Version": 1},
        {"OriginNode": NODE, "OriginResource": ARTIFACT, "Version": 0},
        {"OriginNode": NODE, "OriginResource": ARTIFACT, "Version": True},
    ],
)
def test_a_provenance_out_of_its_form_is_refused(parties: Parties, value: Any) -> None:
    """Validly bound by the sender, but not in the schema's form."""
    forged = Assertion(
        PROVENANCE_ASSERTION_ID,
        "other",
        "payload",
        Statement("json-structured", value, PROVENANCE_SCHEMA),
    )
    assertions = [*caveat_assertions(label(), export()), forged]
    opened = open_package(package(b"x", parties, assertions=assertions), parties)
    with pytest.raises(TdfProvenanceInvalid):
        read_provenance(opened)
