"""A calibration programme for the proficiency tests, built through the services: five
US laboratories in one project, a programme manager who coordinates, a procedure author,
a CONFIDENTIAL-cleared reader and someone outside the project."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from caveat.bootstrap.container import Node
from caveat.domain.identity import Clearance, CommonLevel, OrganisationKind, Role
from caveat.services.kernel.principal import ConsoleOperator, Principal
from caveat.services.kernel.uow import CallContext
from caveat.services.proficiency import (
    ItemDraft,
    Methods,
    ProcedureDraft,
    ResultDraft,
    Round,
    RoundDraft,
)
from tests.support import PASSWORD, FakeClock, Scenario

CONSOLE = ConsoleOperator()
PROJECT = "Calibration trials"
LABS = {
    "alice": ("Air Force Research Laboratory", "AFRL"),
    "nadia": ("Naval Research Laboratory", "NRL"),
    "arlo": ("Army Research Laboratory", "ARL"),
    "sandy": ("Sandia National Laboratories", "SNL"),
    "jolene": ("Johns Hopkins Applied Physics Laboratory", "APL"),
}
# Radar cross-section of a calibration sphere, m^2: ARL is the outlier.
VALUES = {"alice": 0.1002, "nadia": 0.0995, "arlo": 0.1240, "sandy": 0.1008, "jolene": 0.0998}


def ctx() -> CallContext:
    return CallContext.cli()


@dataclass
class Trials:
    """The world and the names in it."""

    world: Scenario
    project: str
    orgs: dict[str, str] = field(default_factory=dict)  # short name -> id
    versions: dict[str, str] = field(default_factory=dict)  # unit -> approved version id

    @property
    def node(self) -> Node:
        return self.world.node

    @property
    def clock(self) -> FakeClock:
        return self.world.clock

    def principal(self, username: str) -> Principal:
        return Principal(person=self.node.people.get_person(username), mfa_at=self.clock())

    def procedure(self, *, unit: str = "m^2", label: str = "UNCLASSIFIED") -> str:
        """An approved procedure version in ``unit``: its id (one procedure per unit)."""
        if unit in self.versions:
            return self.versions[unit]
        version = self.node.proficiency.create_procedure(
            self.principal("walt"),
            ctx(),
            project=PROJECT,
            name=f"RCS of a calibration sphere ({unit})",
            draft=ProcedureDraft(
                measurand="radar cross-section of the 0.1 m² sphere at 10 GHz",
                unit=unit,
                method="monostatic, anechoic chamber, HH polarisation",
                equipment="vector network analyser, standard gain horn",
                acceptance_criteria="|z| ≤ 2",
                uncertainty_reporting="standard uncertainty with its coverage factor",
            ),
            label=label,
        )
        approved = self.node.proficiency.approve(self.principal("pam"), ctx(), version.id)
        self.versions[unit] = approved.id
        return approved.id

    def open(
        self,
        *,
        version: str | None = None,
        labs: Sequence[str] = ("AFRL", "NRL", "ARL", "SNL", "APL"),
        items: Sequence[ItemDraft] = (ItemDraft("Sphere A"),),
        methods: Methods | None = None,
        reveal: bool = False,
        label: str = "UNCLASSIFIED",
        days: int = 14,
        kind: str = "proficiency",
    ) -> Round:
        return self.node.proficiency.open_round(
            self.principal("pam"),
            ctx(),
            RoundDraft(
                project=PROJECT,
                procedure_version=version or self.procedure(),
                title="Sphere round 2026-1",
                deadline=self.clock() + timedelta(days=days),
                laboratories=list(labs),
                items=list(items),
                label=label,
                methods=methods or Methods(),
                reveal_identities=reveal,
                kind=kind,
            ),
        )

    def submit_all(self, round_id: str, *, with_uncertainty: bool = True) -> None:
        for who, value in VALUES.items():
            self.node.proficiency.submit(
                self.principal(who),
                ctx(),
                round_id,
                [
                    ResultDraft(
                        "Sphere A",
                        value,
                        "m^2",
                        standard_uncertainty=0.002 if with_uncertainty else None,
                        coverage_factor=2.0 if with_uncertainty else None,
                        replicates=(value - 0.0004, value + 0.0003, value + 0.0001),
                    )
                ],
            )


def build(node: Node, clock: FakeClock) -> Trials:
    world = Scenario(node, clock)
    trials = Trials(world, PROJECT)
    for username, (name, short) in LABS.items():
        org = node.registry.create_organisation(
            CONSOLE,
            ctx(),
            name=name,
            nation="USA",
            kind=OrganisationKind.GOVERNMENT_LABORATORY,
            short_name=short,
        ).id
        trials.orgs[short] = org
        world.person(username, org=org)
    afrl = trials.orgs["AFRL"]
    world.person("pam", roles=(Role.PROGRAMME_MANAGER,), org=afrl)
    world.person("pat", roles=(Role.PROGRAMME_MANAGER,), org=trials.orgs["NRL"])
    world.person("walt", org=afrl)
    world.person("eve", org=trials.orgs["NRL"])  # no member of the project
    world.accounts["connie"] = node.people.create_person(
        CONSOLE,
        ctx(),
        username="connie",
        display_name="Connie",
        email="connie@example.org",
        organisation=trials.orgs["SNL"],
        citizenships=["USA"],
        roles=[Role.RESEARCHER],
        clearance=Clearance(CommonLevel.CONFIDENTIAL, "CONFIDENTIAL", "USA", date(2030, 1, 1)),
        password=PASSWORD,
    )
    project = node.projects.create_project(CONSOLE, ctx(), name=PROJECT).id
    for who in (*LABS, "pam", "pat", "walt", "connie"):
        node.projects.add_member(CONSOLE, ctx(), project, who)
    trials.project = project
    return trials
