"""The demo's people and projects (``services/demo.py``, no files) for discussion tests,
and a small artifact of the sensor fusion project to discuss."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from caveat.adapters.db.models.artifacts import ArtifactVersionRow
from caveat.bootstrap.container import Node
from caveat.domain.policy import Action, Context, decide
from caveat.services import demo
from caveat.services.artifacts import NewArtifact
from caveat.services.discussions import Discussion
from caveat.services.identity._people import NewAccount
from caveat.services.kernel.principal import Principal
from caveat.services.kernel.uow import CallContext
from caveat.services.policy import subject_of
from tests.support import FakeClock, Scenario

PROJECT = "Passive Sensor Fusion"
# The project's members of four nations, a dual national, a RESTRICTED-cleared one,
# and Lars, who is not a member.
READERS = ("alice", "erin", "bob", "claire", "dieter", "sam", "priya", "hanna", "lars")


def ctx() -> CallContext:
    return CallContext.cli()


@dataclass
class World:
    node: Node
    clock: FakeClock
    scenario: Scenario

    def who(self, username: str) -> Principal:
        """The person signed in with a fresh second factor."""
        return Principal(person=self.node.people.get_person(username), mfa_at=self.clock())

    def artifact(self, marking: str = "SECRET//REL TO USA, GBR", *, by: str = "alice") -> str:
        """A new artifact of the project, labelled ``marking``: its id."""
        data = f"fusion notes {marking} {self.clock()}".encode()
        made = self.node.artifacts.put(
            self.who(by),
            ctx(),
            [data],
            sha256=hashlib.sha256(data).hexdigest(),
            new=NewArtifact(project=PROJECT, kind="document", title="Fusion notes", label=marking),
            filename="notes.txt",
            media_type="text/plain",
            size=len(data),
        )
        with self.node.uow.read() as session:
            row = session.get(ArtifactVersionRow, made.id)
            assert row is not None
            return row.artifact_id

    def start(
        self, *, by: str = "alice", title_label: str = "UNCLASSIFIED", **kw: str
    ) -> Discussion:
        """A discussion of the project with an unclassified first message."""
        args = {"title": "Trial window", "text": "Kick-off", "label": "UNCLASSIFIED"} | kw
        if "artifact" not in args:
            args["project"] = PROJECT
        return self.node.discussions.start(self.who(by), ctx(), title_label=title_label, **args)

    def may_read(self, username: str, marking: str, *, author_org: str, project: str) -> bool:
        """decide() on a message labelled ``marking`` of ``project`` by ``author_org``,
        asked directly of the policy (what the service's filter must agree with)."""
        from caveat.domain.labels import parse_marking
        from caveat.domain.policy import make_resource

        policy = self.node.policy
        env = policy.environment()
        label = parse_marking(marking, groups=env.groups, on=self.clock().date())
        principal = self.who(username)
        with self.node.uow.read() as session:
            subject = subject_of(session, principal.person)
        resource = make_resource(
            id="m",
            project_id=project,
            kind="discussion_message",
            label=label,
            schemes=policy.schemes,
            originator_org_id=author_org,
        )
        context = Context(self.clock(), principal.mfa_at, env)
        return decide(subject, Action.READ, resource, context).permitted


def seed(node: Node) -> Mapping[str, NewAccount]:
    """The demo's people and projects (no files, no plan): the accounts by username."""
    return demo.seed(
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


def world_of(node: Node, clock: FakeClock, accounts: Mapping[str, NewAccount]) -> World:
    return World(node, clock, Scenario(node, clock, dict(accounts)))
