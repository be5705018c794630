"""Fixtures for artifact tests: a project with members, signed-in principals, small parts."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from fastapi.testclient import TestClient

from caveat.api.app import create_app
from caveat.bootstrap.container import Node
from caveat.client import CaveatClient
from caveat.domain.identity import Role
from caveat.services.artifacts import ArtifactService, NewArtifact, VersionView
from caveat.services.principal import ConsoleOperator, Principal
from caveat.services.uow import CallContext
from tests.support import FakeClock, Scenario

PART = 64 * 1024  # small parts so tests cross part boundaries with little data
LABEL = "SECRET//REL TO USA, GBR"


@dataclass
class World:
    """A node with a project, its members as principals, and the artifact service."""

    scenario: Scenario
    node: Node
    project: str
    people: dict[str, Principal]
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def artifacts(self) -> ArtifactService:
        return self.node.artifacts

    def principal(
        self,
        username: str,
        *,
        nations: tuple[str, ...] = ("USA",),
        member: bool = True,
        roles: tuple[Role, ...] = (Role.RESEARCHER,),
        org: str | None = None,
    ) -> Principal:
        account = self.scenario.person(username, nations=nations, roles=roles, org=org)
        if member:
            self.node.projects.add_member(
                ConsoleOperator(), CallContext.cli(), self.project, username
            )
        session = self.scenario.login(account)
        principal = self.node.auth.authenticate(CallContext("t", "10.0.0.1"), session.token)
        self.people[username] = principal
        self.tokens[username] = session.token
        return principal

    def put(
        self,
        who: Principal,
        data: bytes,
        *,
        label: str = LABEL,
        title: str = "Wind tunnel run 7",
        controls: tuple[str, ...] = (),
        **extra: object,
    ) -> VersionView:
        new = NewArtifact(
            project=self.project,
            kind="dataset",
            title=title,
            label=label,
            controls=controls,
            summary=str(extra.pop("summary", "")),
            keywords=tuple(extra.pop("keywords", ())),
        )  # type: ignore[arg-type]
        return self.artifacts.put(
            who,
            CallContext.cli(),
            chunks(data),
            sha256=sha(data),
            new=new,
            filename="run7.bin",
            **extra,
        )  # type: ignore[arg-type]


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def chunks(data: bytes, size: int = 10_000) -> Iterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


def content(node: Node, who: Principal, artifact_id: str, **kwargs: object) -> bytes:
    opened = node.artifacts.open_content(who, CallContext.cli(), artifact_id, **kwargs)  # type: ignore[arg-type]
    return b"".join(opened.chunks)


@pytest.fixture
def world(node: Node, clock: FakeClock) -> World:
    node.artifacts.part_bytes = PART
    scenario = Scenario(node, clock)
    project = node.projects.create_project(
        ConsoleOperator(), CallContext.cli(), name="Hypersonics"
    ).id
    return World(scenario, node, project, {})


@pytest.fixture
def alice(world: World) -> Principal:
    return world.principal("alice")


def random_bytes(n: int) -> bytes:
    return os.urandom(n)


@pytest.fixture
def http(node: Node) -> Iterator[TestClient]:
    with TestClient(create_app(node), raise_server_exceptions=False) as client:
        yield client


def client_for(http: TestClient, world: World, username: str) -> CaveatClient:
    """An SDK client on the in-process app, signed in as ``username``."""
    return CaveatClient(
        "http://testserver", http=TestClient(http.app), token=world.tokens[username]
    )
