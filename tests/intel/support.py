"""A Caveat node serving over real HTTP on loopback, a population with different views
of one collection, and STIX objects under Caveat labels."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import requests
import requests.auth
import uvicorn
from sqlalchemy import select

from caveat.adapters.db.models.policy import ResourceRow
from caveat.adapters.db.models.taxii import TaxiiObjectRow
from caveat.api.app import create_app
from caveat.bootstrap.container import Node
from caveat.domain.identity import Clearance, CommonLevel, Role
from caveat.domain.labels import Label, parse_marking
from caveat.domain.policy import Action
from caveat.domain.stix import LabelledObject, marked_objects, stix_object
from caveat.services.kernel.principal import ConsoleOperator, Principal
from caveat.services.kernel.uow import CallContext
from tests.support import FakeClock, Scenario

CONSOLE = ConsoleOperator()
TAXII = "application/taxii+json;version=2.1"
# The labels objects are posted under: who reads which is the policy's decision.
MARKINGS = (
    "UNCLASSIFIED",
    "CONFIDENTIAL//REL TO USA, GBR",
    "SECRET//REL TO USA, GBR",
    "SECRET//NOFORN",
)


class Bearer(requests.auth.AuthBase):
    """A Caveat session or API token as a bearer token (taxii2-client's ``auth=``)."""

    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers["Authorization"] = f"Bearer {self.token}"
        return r


@contextmanager
def serving(node: Node, port: int = 0) -> Iterator[str]:
    """``node``'s app served by uvicorn on a loopback port (default: a free one), in a
    thread: its URL. Serving again on the port of a stopped server brings it back."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(node), log_config=None, access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("the node did not start serving")
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)
        sock.close()


@dataclass
class Population:
    """alice (USA, SECRET), sam (USA and GBR, SECRET) and carol (USA, CONFIDENTIAL),
    members of one project with one collection; eve (USA, SECRET) is no member."""

    world: Scenario
    project: str
    collection: str
    tokens: dict[str, str]
    logged_in_at: dict[str, datetime]

    @property
    def node(self) -> Node:
        return self.world.node

    def principal(self, username: str, *, token: bool = False) -> Principal:
        """The principal behind ``username``'s session (or an API token: no MFA time)."""
        person = self.node.people.get_person(username)
        return Principal(person=person, mfa_at=None if token else self.logged_in_at[username])

    def readable(self, principal: Principal) -> set[str]:
        """The stored TAXII object ids the policy lets ``principal`` read, decided row by
        row with ``decide()`` (not the listing SQL)."""
        node = self.node
        with node.uow.read() as session:
            now = node.uow.clock()
            found = set()
            for object_id, resource_id in session.execute(
                select(TaxiiObjectRow.object_id, TaxiiObjectRow.id)
            ):
                row = session.get(ResourceRow, resource_id)
                assert row is not None
                if node.policy.decide_row(session, principal, Action.READ, row, now).permitted:
                    found.add(object_id)
            return found


def populate(node: Node, clock: FakeClock) -> Population:
    world = Scenario(node, clock)
    world.org("Air Force Research Laboratory", "USA")
    world.org("Dstl", "GBR")
    world.person("alice", nations=("USA",))
    world.person("sam", nations=("USA", "GBR"))
    world.person("eve", nations=("USA",))
    world.person("paula", nations=("USA",), roles=(Role.PROGRAMME_MANAGER,))
    carol = node.people.create_person(
        CONSOLE,
        CallContext.cli(),
        username="carol",
        display_name="Carol",
        email="carol@example.org",
        organisation=world.org(),
        citizenships=["USA"],
        roles=[Role.RESEARCHER],
        clearance=Clearance(CommonLevel.CONFIDENTIAL, "CONFIDENTIAL", "USA", date(2030, 1, 1)),
        password="violet-harbour-lantern-42",
    )
    world.accounts["carol"] = carol
    project = node.projects.create_project(CONSOLE, CallContext.cli(), name="Cyber threats").id
    for who in ("alice", "sam", "carol", "paula"):
        node.projects.add_member(CONSOLE, CallContext.cli(), project, who)
    collection = node.taxii.create_collection(
        CONSOLE,
        CallContext.cli(),
        project=project,
        title="Indicators",
        description="Alliance indicators",
    ).id
    tokens: dict[str, str] = {}
    logged_in_at: dict[str, datetime] = {}
    for who in ("alice", "sam", "carol", "eve", "paula"):
        tokens[who] = world.login(world.accounts[who]).token
        logged_in_at[who] = clock()
    return Population(world, project, collection, tokens, logged_in_at)


def label(node: Node, marking: str) -> Label:
    return parse_marking(marking, groups=node.registry.directory(), on=node.uow.clock().date())


def indicator(
    number: int, *, modified: datetime | None = None, object_id: str | None = None
) -> dict[str, Any]:
    """An indicator's STIX properties (created a day ago; ``modified`` for a new version)."""
    created = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=number)
    stamp = created.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    changed = (modified or created).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": object_id or f"indicator--{uuid.uuid4()}",
        "created": stamp,
        "modified": changed,
        "name": f"Indicator {number}",
        "pattern": f"[ipv4-addr:value = '198.51.100.{number % 250 + 1}']",
        "pattern_type": "stix",
        "valid_from": stamp,
    }


def envelope(node: Node, items: list[tuple[dict[str, Any], str]]) -> dict[str, Any]:
    """A TAXII envelope of objects under the given markings, with their marking
    definitions, as a partner's Caveat node would send it."""
    labelled = [LabelledObject(stix_object(p), label(node, m)) for p, m in items]
    return {"objects": marked_objects(labelled, schemes=node.policy.schemes)}
