"""The demo's people, projects and plan (``services/demo.py``, no files) for plan tests."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from caveat.adapters.db.models.artifacts import ArtifactVersionRow
from caveat.bootstrap.container import Node
from caveat.services import demo
from caveat.services.artifacts import NewArtifact
from caveat.services.identity._people import NewAccount
from caveat.services.kernel.principal import Principal
from caveat.services.kernel.uow import CallContext
from tests.support import FakeClock, Scenario

PROJECT = demo.PLAN_PROJECT


def ctx() -> CallContext:
    return CallContext.cli()


@dataclass
class World:
    node: Node
    clock: FakeClock
    scenario: Scenario
    work_packages: list[str]

    def who(self, username: str) -> Principal:
        """The person signed in with a fresh second factor."""
        return Principal(person=self.node.people.get_person(username), mfa_at=self.clock())

    def artifact(
        self, marking: str = "SECRET//REL TO USA, GBR", *, by: str = "alice", project: str = PROJECT
    ) -> str:
        """A new artifact of ``project`` labelled ``marking``: its id."""
        data = f"report {marking} {self.clock()}".encode()
        made = self.node.artifacts.put(
            self.who(by),
            ctx(),
            [data],
            sha256=hashlib.sha256(data).hexdigest(),
            new=NewArtifact(project=project, kind="document", title="Report", label=marking),
            filename="report.txt",
            media_type="text/plain",
            size=len(data),
        )
        with self.node.uow.read() as session:
            row = session.get(ArtifactVersionRow, made.id)
            assert row is not None
            return row.artifact_id


@dataclass(frozen=True)
class Seed:
    """What seeding the demo's people, projects and plan made."""

    accounts: Mapping[str, NewAccount]
    work_packages: tuple[str, ...]


def seed(node: Node) -> Seed:
    accounts = demo.seed(
        node.registry,
        node.people,
        node.projects,
        node.catalogue,
        node.grants,
        node.programmes,
        node.agreements,
        node.authorizations,
        node.screening,
        node.releases,
        clock=node.uow.clock,
    )
    wps = demo.seed_plans(node.plans, node.projects, node.people, clock=node.uow.clock)
    return Seed(accounts, tuple(wps))


def world_of(node: Node, clock: FakeClock, seeded: Seed) -> World:
    scenario = Scenario(node, clock, dict(seeded.accounts))
    return World(node, clock, scenario, list(seeded.work_packages))


def build(node: Node, clock: FakeClock) -> World:
    return world_of(node, clock, seed(node))
