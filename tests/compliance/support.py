"""A small cross-national world for the compliance tests, built through services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from caveat.bootstrap.container import Node
from caveat.domain.compliance import AgreementKind
from caveat.domain.export_control import parse_export_classification
from caveat.domain.identity import Role
from caveat.domain.labels import parse_marking
from caveat.domain.policy import Action
from caveat.services.compliance._agreements import AgreementDraft
from caveat.services.kernel.principal import ConsoleOperator, Principal
from caveat.services.kernel.uow import CallContext
from tests.support import FakeClock, Scenario

CONSOLE = ConsoleOperator()


def ctx() -> CallContext:
    return CallContext.cli()


@dataclass
class World:
    """USA originates; a GBR researcher reads; officers of both nations."""

    scenario: Scenario
    project: str
    plain: str  # SECRET//REL TO USA, GBR, no control entries
    controlled: str  # the same, with ITAR:USML-XI(c)(1)
    afrl: str
    dstl: str

    @property
    def node(self) -> Node:
        return self.scenario.node

    @property
    def clock(self) -> FakeClock:
        return self.scenario.clock

    @property
    def today(self) -> date:
        return self.clock().date()

    def principal(self, username: str) -> Principal:
        return Principal(person=self.node.people.get_person(username), mfa_at=self.clock())

    def failed(self, username: str, resource: str, action: Action = Action.READ) -> set[str]:
        explanation = self.node.policy.explain(
            CONSOLE, person=username, resource_id=resource, action=action
        )
        return set(explanation.failed)

    def draft(self, name: str = "Sensor MoU", **changes: object) -> AgreementDraft:
        values: dict[str, object] = {
            "name": name,
            "kind": AgreementKind.MOU,
            "effective_on": self.today - timedelta(days=1),
            "expires_on": self.today + timedelta(days=30),
            "max_level": 3,
            "party_nations": ("USA", "GBR"),
            "projects": (self.project,),
        }
        values.update(changes)
        return AgreementDraft(**values)  # type: ignore[arg-type]


def build(node: Node, clock: FakeClock) -> World:
    world = Scenario(node, clock)
    afrl = world.org("Air Force Research Laboratory", "USA")
    dstl = world.org("Dstl", "GBR")
    world.person("alice", nations=("USA",))
    world.person("bob", nations=("GBR",), org=dstl)
    world.person("agnes", nations=("USA",), roles=(Role.AGREEMENT_MANAGER,))
    world.person("eco", nations=("USA",), roles=(Role.EXPORT_CONTROL_OFFICER,))
    world.person("sol", nations=("USA",), roles=(Role.SECURITY_OFFICER,))
    world.person("gso", nations=("GBR",), roles=(Role.SECURITY_OFFICER,), org=dstl)
    project = node.projects.create_project(CONSOLE, ctx(), name="Sensor fusion").id
    for who in ("alice", "bob", "sol"):
        node.projects.add_member(CONSOLE, ctx(), project, who)
    day = clock().date()
    label = parse_marking("SECRET//REL TO USA, GBR", groups=node.registry.directory(), on=day)
    plain = node.catalogue.register(
        CONSOLE,
        ctx(),
        project=project,
        kind="document",
        title="plain",
        label=label,
        originator=afrl,
    ).id
    controlled = node.catalogue.register(
        CONSOLE,
        ctx(),
        project=project,
        kind="document",
        title="controlled",
        label=label,
        originator=afrl,
        export=parse_export_classification(["ITAR:USML-XI(c)(1)"]),
    ).id
    return World(world, project, plain, controlled, afrl, dstl)
