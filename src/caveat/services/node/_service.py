"""Creating a node: its identity row, the first organisation and the first operator."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from caveat.adapters.db.models import NodeRow
from caveat.domain.errors import Conflict, ServiceUnavailable
from caveat.domain.events import Actor
from caveat.services.kernel.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class NodeIdentity:
    """Who this node is: its id, origin name and public signing key (base64)."""

    id: str
    name: str
    signing_public_key: str


class NodeNotInitialised(ServiceUnavailable):
    """Raised when the database has the schema but no node was created in it."""

    code = "node_not_initialised"


def public_key_b64(key: Ed25519PublicKey) -> str:
    """Raw 32-byte Ed25519 public key, base64."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def load_identity(session: Session) -> NodeIdentity:
    """The node row; NodeNotInitialised if ``caveat init`` never ran on this database."""
    row = session.scalar(select(NodeRow))
    if row is None:
        raise NodeNotInitialised(
            "this database holds no Caveat node", hint="run `caveat init` first"
        )
    return NodeIdentity(row.id, row.name, row.signing_public_key)


def create_identity(
    uow: UnitOfWork,
    *,
    name: str,
    public_key: Ed25519PublicKey,
) -> NodeIdentity:
    """Insert the node row and its ``node.initialised`` event in ``uow``."""
    if uow.session.scalar(select(NodeRow.id)) is not None:
        raise Conflict("this database already holds a node", code="node_exists")
    row = NodeRow(
        id=uow.node_id,
        name=name,
        signing_public_key=public_key_b64(public_key),
        created_at=uow.now,
    )
    uow.session.add(row)
    uow.record(
        "node.initialised",
        Actor.system(),
        target_id=row.id,
        data={"name": name, "signing_public_key": row.signing_public_key},
    )
    return NodeIdentity(row.id, row.name, row.signing_public_key)


def operating_organisation(session: Session) -> str | None:
    """The id of the organisation operating this node, if recorded."""
    return session.scalar(select(NodeRow.organisation_id))


def record_operating_organisation(uow: UnitOfWork, actor: Actor, organisation_id: str) -> None:
    """Record, once, the organisation that operates this node (``node.organisation_set``).

    It decides who may say what a partner node receives and the nation received packages
    must be releasable to, so it is never changed once set: a node that changes hands
    is a new node (new keys, new peerings)."""
    row = uow.session.scalar(select(NodeRow).with_for_update())
    if row is None:
        raise NodeNotInitialised(
            "this database holds no Caveat node", hint="run `caveat init` first"
        )
    if row.organisation_id is not None:
        raise Conflict(
            "the organisation operating this node is already recorded",
            code="node_organisation_set",
            hint="it is set once; a node that changes hands is set up anew",
        )
    row.organisation_id = organisation_id
    uow.record(
        "node.organisation_set",
        actor,
        target_id=row.id,
        data={"organisation_id": organisation_id},
    )


def new_node_id() -> str:
    """A fresh node id."""
    return str(uuid.uuid4())
