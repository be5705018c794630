"""The federated demo's scenario (issue 18): three nodes, of the USA, GBR and FRA, each
run by its nation's defence laboratory, share a trials project under one agreement.

Every node holds the same organisations, project and agreement (each node decides its
own releases from its own records); each has its own people (a security officer, an
export control officer and a researcher of its laboratory). The USA node holds the
labelled files a newcomer releases to the others: one that may go to GBR only, one that
may go nowhere (NOFORN), one export-controlled item that needs a licence first, and one
that may go to both partners.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from caveat.domain.compliance import AgreementKind
from caveat.domain.identity import Clearance, CommonLevel, OrganisationKind, Role
from caveat.services.artifacts import ArtifactService
from caveat.services.compliance import AgreementDraft, AgreementService
from caveat.services.demo import DEMO_PASSWORD, DemoFile, seed_content
from caveat.services.identity import NewAccount, PeopleService, RegistryService
from caveat.services.kernel.principal import ConsoleOperator
from caveat.services.kernel.uow import CallContext, Clock
from caveat.services.projects import ProjectService

__all__ = [
    "AGREEMENT",
    "DEMO_PASSWORD",
    "FILES",
    "NATIONS",
    "PROJECT",
    "DemoNation",
    "FederatedPerson",
    "seed_files",
    "seed_nation",
]


@dataclass(frozen=True, slots=True)
class FederatedPerson:
    username: str
    display_name: str
    role: Role
    note: str


@dataclass(frozen=True, slots=True)
class DemoNation:
    """One node of the federated demo: its nation, the laboratory operating it (made by
    ``init_node``) and its people, all of that laboratory."""

    code: str  # usa | gbr | fra: the node's directory and its place in the port order
    nation: str
    node_name: str  # the node's origin name, and the peer name partners know it by
    organisation: str
    short_name: str
    clearance_name: str  # the nation's name for the common SECRET level
    operator_email: str
    people: tuple[FederatedPerson, ...]


def _people(*rows: tuple[str, str, Role, str]) -> tuple[FederatedPerson, ...]:
    return tuple(FederatedPerson(*row) for row in rows)


NATIONS = (
    DemoNation(
        "usa",
        "USA",
        "usa-node",
        "Air Force Research Laboratory",
        "AFRL",
        "SECRET",
        "ops@afrl.example",
        _people(
            ("victor", "Victor Hale", Role.SECURITY_OFFICER, "releases AFRL's items to partners"),
            ("erin", "Erin Walsh", Role.EXPORT_CONTROL_OFFICER, "export control officer"),
            ("alice", "Alice Moreno", Role.RESEARCHER, "researcher, uploaded the files"),
        ),
    ),
    DemoNation(
        "gbr",
        "GBR",
        "gbr-node",
        "Defence Science and Technology Laboratory",
        "DSTL",
        "SECRET",
        "ops@dstl.example",
        _people(
            ("hugh", "Hugh Pemberton", Role.SECURITY_OFFICER, "sees what partners released"),
            ("gwen", "Gwen Rhys", Role.EXPORT_CONTROL_OFFICER, "export control officer"),
            ("bob", "Bob Hartley", Role.RESEARCHER, "researcher"),
        ),
    ),
    DemoNation(
        "fra",
        "FRA",
        "fra-node",
        "ONERA - The French Aerospace Lab",
        "ONERA",
        "SECRET",
        "ops@onera.example",
        _people(
            ("sylvie", "Sylvie Marchand", Role.SECURITY_OFFICER, "sees what partners released"),
            ("fabien", "Fabien Roux", Role.EXPORT_CONTROL_OFFICER, "export control officer"),
            ("claire", "Claire Dubois", Role.RESEARCHER, "researcher"),
        ),
    ),
)

PROJECT = "Tri-national Sensor Trials"
AGREEMENT = "Tri-national Sensor Trials Agreement"
_EXPIRES = date(2028, 12, 31)


def _text(marking: str, body: str) -> Callable[[], bytes]:
    """A small text file carrying its marking on its first and last lines."""
    return lambda: f"{marking}\n\n{body}\n\n{marking}\n".encode()


# On the USA node, uploaded by its researcher: what a newcomer releases to the others.
RELEASABLE_TO_GBR = "Joint trial plan, range week 14"
NOFORN = "Tracker firmware notes"
LICENSABLE = "Antenna array drawings"
TO_BOTH = "Trial schedule"
FILES = (
    DemoFile(
        uploader="alice",
        project=PROJECT,
        kind="document",
        title=RELEASABLE_TO_GBR,
        marking="SECRET//REL TO USA, GBR",
        filename="joint-trial-plan.txt",
        media_type="text/plain",
        summary="The emitters, geometry and timing of the first joint trial",
        keywords=("trial", "plan"),
        content=_text(
            "SECRET//REL TO USA, GBR",
            "DEMO DATA. Range week 14: two emitters, passive array at site B, DSTL range.",
        ),
    ),
    DemoFile(
        uploader="alice",
        project=PROJECT,
        kind="document",
        title=NOFORN,
        marking="SECRET//NOFORN",
        filename="tracker-firmware-notes.txt",
        media_type="text/plain",
        summary="The tracker's trial firmware: it stays on AFRL hardware",
        content=_text("SECRET//NOFORN", "DEMO DATA. Firmware build 7.2 for the trial tracker."),
    ),
    DemoFile(
        uploader="alice",
        project=PROJECT,
        kind="document",
        title=LICENSABLE,
        marking="CONFIDENTIAL//REL TO USA, FRA, GBR",
        filename="antenna-array-drawings.txt",
        media_type="text/plain",
        summary="Element spacing and feed network of the trial array (EAR-controlled)",
        controls=("EAR:3A001.a.1",),
        content=_text(
            "CONFIDENTIAL//REL TO USA, FRA, GBR",
            "DEMO DATA. 16 elements at 0.5 lambda; corporate feed.",
        ),
    ),
    DemoFile(
        uploader="alice",
        project=PROJECT,
        kind="document",
        title=TO_BOTH,
        marking="CONFIDENTIAL//REL TO USA, FRA, GBR",
        filename="trial-schedule.txt",
        media_type="text/plain",
        summary="Who is on the range when",
        content=_text(
            "CONFIDENTIAL//REL TO USA, FRA, GBR",
            "DEMO DATA. Week 14: AFRL and DSTL. Week 15: ONERA joins.",
        ),
    ),
)


def seed_nation(
    home: DemoNation,
    registry: RegistryService,
    people: PeopleService,
    projects: ProjectService,
    agreements: AgreementService,
) -> dict[str, NewAccount]:
    """One node's records: the other laboratories, its people, the project and the
    agreement in force (the node's own laboratory was made by ``init_node``)."""
    console = ConsoleOperator("demo-seed")
    ctx = CallContext.cli()
    for other in NATIONS:
        if other.code != home.code:
            registry.create_organisation(
                console,
                ctx,
                name=other.organisation,
                short_name=other.short_name,
                nation=other.nation,
                kind=OrganisationKind.GOVERNMENT_LABORATORY,
            )
    projects.create_project(console, ctx, name=PROJECT)
    accounts: dict[str, NewAccount] = {}
    for person in home.people:
        accounts[person.username] = people.create_person(
            console,
            ctx,
            username=person.username,
            display_name=person.display_name,
            email=f"{person.username}@{home.short_name.lower()}.example",
            organisation=home.organisation,
            citizenships=[home.nation],
            roles=[person.role],
            clearance=Clearance(CommonLevel.SECRET, home.clearance_name, home.nation, _EXPIRES),
            password=DEMO_PASSWORD,
        )
        projects.add_member(console, ctx, PROJECT, person.username)
    made = agreements.create(
        console,
        ctx,
        AgreementDraft(
            name=AGREEMENT,
            kind=AgreementKind.PROJECT_ARRANGEMENT,
            effective_on=date(2025, 1, 1),
            expires_on=date(2030, 12, 31),
            max_level=int(CommonLevel.SECRET),
            party_nations=tuple(n.nation for n in NATIONS),
            party_organisations=tuple(n.organisation for n in NATIONS),
            projects=(PROJECT,),
            technology_areas=("passive sensing",),
            releasability=tuple(n.nation for n in NATIONS),
        ),
    )
    agreements.move(console, ctx, made.id, "activate", reason="signed by the three laboratories")
    return accounts


def seed_files(artifacts: ArtifactService, people: PeopleService, *, clock: Clock) -> None:
    """The USA node's files, uploaded by its researcher through the ordinary path."""
    seed_content(artifacts, people, FILES, clock=clock)
