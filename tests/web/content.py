"""Content for web tests: a project, members from several nations, uploaded artifacts."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from caveat.bootstrap.container import Node
from caveat.domain.identity import Role
from caveat.services.artifacts._service import NewArtifact, VersionView
from caveat.services.identity._people import NewAccount
from caveat.services.kernel.principal import ConsoleOperator, Principal
from caveat.services.kernel.uow import CallContext
from tests.support import Scenario

PROJECT = "Hypersonics"
US_LAB = ("Air Force Research Laboratory", "USA")
UK_LAB = ("Defence Science and Technology Laboratory", "GBR")
FR_LAB = ("ONERA", "FRA")


@dataclass
class Content:
    """A node with one project, members by nation, and a way to upload as any of them."""

    world: Scenario
    node: Node
    project: str
    accounts: dict[str, NewAccount] = field(default_factory=dict)

    def member(
        self,
        username: str,
        *,
        nations: tuple[str, ...] = ("USA",),
        lab: tuple[str, str] = US_LAB,
        roles: tuple[Role, ...] = (Role.RESEARCHER,),
        member: bool = True,
    ) -> NewAccount:
        account = self.world.person(
            username, nations=nations, roles=roles, org=self.world.org(*lab)
        )
        if member:
            self.node.projects.add_member(ConsoleOperator(), CallContext.cli(), PROJECT, username)
        self.accounts[username] = account
        return account

    def principal(self, username: str) -> Principal:
        session = self.world.login(self.accounts[username])
        return self.node.auth.authenticate(CallContext("t", "10.0.0.1"), session.token)

    def put(
        self,
        username: str,
        data: bytes = b"wind tunnel run 7\n",
        *,
        title: str = "Wind tunnel run 7",
        label: str = "SECRET//REL TO USA, GBR",
        controls: tuple[str, ...] = (),
        summary: str = "",
    ) -> VersionView:
        new = NewArtifact(
            project=PROJECT,
            kind="dataset",
            title=title,
            label=label,
            summary=summary,
            controls=controls,
        )
        return self.node.artifacts.put(
            self.principal(username),
            CallContext.cli(),
            iter([data]),
            sha256=hashlib.sha256(data).hexdigest(),
            new=new,
            filename="run7.bin",
        )

    def artifact_id(self, title: str) -> str:
        rows = [r for r in self.node.policy.catalogue() if r.title == title]
        assert len(rows) == 1
        return rows[0].id
