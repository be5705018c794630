"""Fixtures for artifact tests: a project with members, signed-in principals, small parts."""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient

from caveat.api.app import create_app
from caveat.bootstrap.container import Node
from caveat.client import CaveatClient
from caveat.domain.identity import Role
from caveat.services.artifacts._service import ArtifactService, NewArtifact, VersionView
from caveat.services.kernel.principal import ConsoleOperator, Principal
from caveat.services.kernel.uow import CallContext
from tests.support import FakeClock, Scenario, die_with_parent

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
        **extra: Any,
    ) -> VersionView:
        new = NewArtifact(
            project=self.project,
            kind="dataset",
            title=title,
            label=label,
            controls=controls,
            summary=str(extra.pop("summary", "")),
            keywords=tuple(extra.pop("keywords", ())),
        )
        return self.artifacts.put(
            who,
            CallContext.cli(),
            chunks(data),
            sha256=sha(data),
            new=new,
            filename="run7.bin",
            **extra,
        )


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


S3_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "caveat-test", "AWS_SECRET_ACCESS_KEY": "caveat-test"}


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """An S3-compatible server over real HTTP: CAVEAT_TEST_S3_ENDPOINT when given (MinIO,
    a bucket), else moto's server started here as its own process on a free port."""
    given = os.environ.get("CAVEAT_TEST_S3_ENDPOINT")
    if given:
        yield given
        return
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **S3_CREDENTIALS},
        preexec_fn=die_with_parent,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moto's S3 server did not start") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)
