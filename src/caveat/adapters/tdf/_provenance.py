"""Where a released item comes from, as an assertion of its package: the originating
node's id, the artifact's id there and the version released.

It is bound to the payload and signed by the releasing node like the label (and covered
by the manifest binding), so a receiver can trace what it keeps back to the artifact it
was released from, and a sender cannot pass one item off as another's without its own
signature saying so. The policy object's uuid names the package, not the artifact.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from caveat.adapters.tdf._assertions import Assertion, Statement
from caveat.adapters.tdf._errors import TdfProvenanceInvalid
from caveat.adapters.tdf._package import Opened, Sealed

PROVENANCE_ASSERTION_ID = "caveat-provenance"
PROVENANCE_SCHEMA = "urn:caveat:provenance:1"
_FIELDS = {"OriginNode", "OriginResource", "Version"}


@dataclass(frozen=True, slots=True)
class Provenance:
    """The originating node and artifact of a package, and the key that signed them."""

    node_id: str
    resource_id: str
    version: int
    signer: Ed25519PublicKey | None


def provenance_assertion(*, node_id: str, resource_id: str, version: int) -> Assertion:
    """The assertion naming the originating node, artifact and version released."""
    return Assertion(
        id=PROVENANCE_ASSERTION_ID,
        type="other",
        scope="payload",
        applies_to_state="encrypted",
        statement=Statement(
            format="json-structured",
            schema=PROVENANCE_SCHEMA,
            value={"OriginNode": node_id, "OriginResource": resource_id, "Version": version},
        ),
    )


def _uuid(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        return value if str(uuid.UUID(value)) == value else None
    except ValueError:
        return None


def read_provenance(opened: Opened | Sealed) -> Provenance:
    """The provenance of a verified package. Raises TdfProvenanceInvalid when it carries
    none, or one not exactly in the form :func:`provenance_assertion` writes."""
    found = opened.assertion(PROVENANCE_ASSERTION_ID)
    if found is None:
        raise TdfProvenanceInvalid(f"the package carries no {PROVENANCE_ASSERTION_ID!r} assertion")
    value = found.assertion.statement.value
    if not isinstance(value, dict) or set(value) != _FIELDS:
        raise TdfProvenanceInvalid("the provenance assertion is not in its schema's form")
    node, resource, version = (
        _uuid(value["OriginNode"]),
        _uuid(value["OriginResource"]),
        value["Version"],
    )
    if node is None or resource is None or type(version) is not int or not 1 <= version < 2**31:
        raise TdfProvenanceInvalid("the provenance assertion's values are not valid")
    expected = provenance_assertion(node_id=node, resource_id=resource, version=version)
    if found.assertion != expected:
        raise TdfProvenanceInvalid("the provenance assertion is not in its schema's form")
    return Provenance(node, resource, version, found.signer)
