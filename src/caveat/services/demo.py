"""A realistic multinational scenario for demonstrations and manual testing.

Five nations run a joint sensor programme: government laboratories, two companies
and a university; people with single and dual nationality, clearances from their
own nations (one expired), every role, and one suspended account.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from caveat.domain.compliance import AgreementKind
from caveat.domain.errors import AuthenticationFailed
from caveat.domain.export_control import parse_export_classification
from caveat.domain.identity import (
    Clearance,
    CommonLevel,
    OrganisationKind,
    PersonStatus,
    ProjectRole,
    Role,
)
from caveat.domain.labels import parse_marking
from caveat.domain.policy import GrantKind
from caveat.services.artifacts import ArtifactService, NewArtifact
from caveat.services.channels import ChannelService
from caveat.services.compliance import (
    AgreementDraft,
    AgreementService,
    AuthorizationDraft,
    AuthorizationService,
    ReleaseService,
    ScreeningService,
)
from caveat.services.discussions import DiscussionService
from caveat.services.identity import AuthService, NewAccount, PeopleService, RegistryService
from caveat.services.kernel.principal import ConsoleOperator, Principal
from caveat.services.kernel.uow import CallContext, Clock
from caveat.services.plans import PlanService
from caveat.services.policy import CatalogueService, GrantService
from caveat.services.proficiency import (
    ItemDraft,
    ProcedureDraft,
    ProficiencyService,
    ResultDraft,
    RoundDraft,
)
from caveat.services.programmes import ProgrammeService
from caveat.services.projects import ProjectService

DEMO_PASSWORD = "caveat-demo-sensor-2026"  # noqa: S105 - published demo credential

ORGANISATIONS = [
    ("Air Force Research Laboratory", "AFRL", "USA", OrganisationKind.GOVERNMENT_LABORATORY),
    (
        "Defence Science and Technology Laboratory",
        "DSTL",
        "GBR",
        OrganisationKind.GOVERNMENT_LABORATORY,
    ),
    ("ONERA - The French Aerospace Lab", "ONERA", "FRA", OrganisationKind.GOVERNMENT_LABORATORY),
    ("Wehrtechnische Dienststelle 81", "WTD81", "DEU", OrganisationKind.GOVERNMENT_LABORATORY),
    (
        "Norwegian Defence Research Establishment",
        "FFI",
        "NOR",
        OrganisationKind.GOVERNMENT_LABORATORY,
    ),
    ("Northwind Sensors Ltd", "NORTHWIND", "GBR", OrganisationKind.INDUSTRY),
    ("Aster Avionik GmbH", "ASTER", "DEU", OrganisationKind.INDUSTRY),
    ("Nordic Institute of Technology", "NIT", "NOR", OrganisationKind.ACADEMIA),
]


@dataclass(frozen=True, slots=True)
class DemoPerson:
    username: str
    display_name: str
    organisation: str
    citizenships: tuple[str, ...]
    roles: tuple[Role, ...]
    clearance: tuple[CommonLevel, str, str, date] | None
    residencies: tuple[str, ...] = ()
    note: str = ""
    suspended: bool = False


_EXPIRES = date(2028, 12, 31)
PEOPLE = [
    DemoPerson(
        "alice",
        "Alice Moreno",
        "AFRL",
        ("USA",),
        (Role.RESEARCHER,),
        (CommonLevel.SECRET, "SECRET", "USA", _EXPIRES),
        note="US researcher",
    ),
    DemoPerson(
        "erin",
        "Erin Walsh",
        "AFRL",
        ("USA",),
        (Role.EXPORT_CONTROL_OFFICER,),
        (CommonLevel.SECRET, "SECRET", "USA", _EXPIRES),
        note="US export control officer",
    ),
    DemoPerson(
        "victor",
        "Victor Hale",
        "AFRL",
        ("USA",),
        (Role.SECURITY_OFFICER,),
        (CommonLevel.SECRET, "SECRET", "USA", _EXPIRES),
        note="US security officer (decides AFRL's releases)",
    ),
    DemoPerson(
        "bob",
        "Bob Hartley",
        "DSTL",
        ("GBR",),
        (Role.RESEARCHER,),
        (CommonLevel.SECRET, "SECRET", "GBR", _EXPIRES),
        note="UK researcher",
    ),
    DemoPerson(
        "paul",
        "Paul Okafor",
        "DSTL",
        ("GBR",),
        (Role.PROGRAMME_MANAGER,),
        (CommonLevel.SECRET, "SECRET", "GBR", _EXPIRES),
        note="programme manager",
    ),
    DemoPerson(
        "claire",
        "Claire Dubois",
        "ONERA",
        ("FRA",),
        (Role.RESEARCHER,),
        (CommonLevel.SECRET, "SECRET", "FRA", _EXPIRES),
        note="French researcher",
    ),
    DemoPerson(
        "agnes",
        "Agnès Laurent",
        "ONERA",
        ("FRA",),
        (Role.AGREEMENT_MANAGER,),
        (CommonLevel.SECRET, "SECRET", "FRA", _EXPIRES),
        note="agreement manager",
    ),
    DemoPerson(
        "dieter",
        "Dieter Brandt",
        "WTD81",
        ("DEU",),
        (Role.RESEARCHER,),
        (CommonLevel.SECRET, "GEHEIM", "DEU", _EXPIRES),
        note="German researcher",
    ),
    DemoPerson(
        "ingrid",
        "Ingrid Solberg",
        "FFI",
        ("NOR",),
        (Role.SECURITY_OFFICER,),
        (CommonLevel.SECRET, "HEMMELIG", "NOR", _EXPIRES),
        note="Norwegian security officer",
    ),
    DemoPerson(
        "sam",
        "Sam Whitaker",
        "NORTHWIND",
        ("GBR", "USA"),
        (Role.RESEARCHER,),
        (CommonLevel.SECRET, "SECRET", "GBR", _EXPIRES),
        note="dual national (GBR, USA)",
    ),
    DemoPerson(
        "priya",
        "Priya Raman",
        "NORTHWIND",
        ("GBR", "IND"),
        (Role.RESEARCHER,),
        (CommonLevel.RESTRICTED, "OFFICIAL-SENSITIVE", "GBR", _EXPIRES),
        note="dual national with a non-partner nationality (GBR, IND)",
    ),
    DemoPerson(
        "hanna",
        "Hanna Vogel",
        "ASTER",
        ("DEU",),
        (Role.RESEARCHER,),
        (CommonLevel.CONFIDENTIAL, "VS-VERTRAULICH", "DEU", _EXPIRES),
        residencies=("FRA",),
        note="German industry engineer resident in France",
    ),
    DemoPerson(
        "lars",
        "Lars Eide",
        "NIT",
        ("NOR",),
        (Role.RESEARCHER,),
        None,
        note="university researcher without a clearance",
    ),
    DemoPerson(
        "oskar",
        "Oskar Lind",
        "FFI",
        ("NOR", "SWE"),
        (Role.RESEARCHER,),
        (CommonLevel.SECRET, "HEMMELIG", "NOR", date(2025, 6, 30)),
        note="clearance expired 2025-06-30",
    ),
    DemoPerson(
        "audra",
        "Audra Kim",
        "DSTL",
        ("GBR",),
        (Role.AUDITOR,),
        None,
        note="auditor (reads the ledger, no content)",
    ),
    DemoPerson(
        "mallory",
        "Mallory Price",
        "NORTHWIND",
        ("GBR",),
        (Role.RESEARCHER,),
        None,
        note="suspended account",
        suspended=True,
    ),
]

PROGRAMME_GROUP = (
    "SENSORPROG",
    "Multinational Passive Sensor Programme partners",
    ["USA", "GBR", "FRA", "DEU", "NOR"],
)


def seed(
    registry: RegistryService,
    people: PeopleService,
    projects: ProjectService,
    catalogue: CatalogueService,
    grants: GrantService,
    programmes: ProgrammeService,
    agreements: AgreementService,
    authorizations: AuthorizationService,
    screening: ScreeningService,
    releases: ReleaseService,
    *,
    clock: Clock,
) -> dict[str, NewAccount]:
    """Create the scenario through the ordinary services (every step is an event)."""
    console = ConsoleOperator("demo-seed")
    ctx = CallContext.cli()
    for name, short, nation, kind in ORGANISATIONS:
        registry.create_organisation(
            console, ctx, name=name, short_name=short, nation=nation, kind=kind
        )
    code, group_name, members = PROGRAMME_GROUP
    registry.create_group(
        console,
        ctx,
        code=code,
        name=group_name,
        members=members,
        valid_from=date(2025, 1, 1),
        source="demo programme arrangement",
    )
    accounts: dict[str, NewAccount] = {}
    for p in PEOPLE:
        clearance = None
        if p.clearance is not None:
            level, name, nation, expires = p.clearance
            clearance = Clearance(level, name, nation, expires)
        accounts[p.username] = people.create_person(
            console,
            ctx,
            username=p.username,
            display_name=p.display_name,
            email=f"{p.username}@{p.organisation.lower()}.example",
            organisation=p.organisation,
            citizenships=list(p.citizenships),
            residencies=list(p.residencies),
            roles=list(p.roles),
            clearance=clearance,
            password=DEMO_PASSWORD,
        )
        if p.suspended:
            people.set_status(
                console, ctx, p.username, PersonStatus.SUSPENDED, reason="demo: a suspended account"
            )
    resources = seed_policy(registry, projects, catalogue, grants, clock=clock)
    seed_compliance(programmes, agreements, authorizations, screening, clock=clock)
    # A pending release request for the officers to classify and decide.
    alice = Principal(person=people.get_person("alice"), mfa_at=clock())
    releases.request(
        alice,
        ctx,
        resource=resources["Antenna array design"],
        to_organisations=("ONERA",),
        justification="ONERA joins the antenna trials next quarter",
    )
    return accounts


# Projects and labelled resources: enough for `caveat policy explain` to show real
# permits and denials (dual nationals, other nations, ORCON, NOFORN, no agreement).
PROJECTS = [  # both join the programme in seed_compliance
    (
        "Passive Sensor Fusion",
        "alice erin victor bob paul claire dieter sam priya hanna oskar".split(),
    ),
    ("Radar Signature Library", ["alice", "erin", "sam"]),
]
RESOURCES = [
    ("Sensor fusion test plan", "Passive Sensor Fusion", "SECRET//REL TO USA, GBR", "AFRL", []),
    (
        "Radar cross-section measurements",
        "Radar Signature Library",
        "SECRET//NOFORN",
        "AFRL",
        ["ITAR:USML-XI(c)(1)"],
    ),
    (
        "Threat emitter parameters",
        "Passive Sensor Fusion",
        "SECRET//ORCON/REL TO USA, FVEY",
        "DSTL",
        [],
    ),
    ("Sensor calibration notes", "Passive Sensor Fusion", "UNCLASSIFIED", "WTD81", ["EAR:EAR99"]),
    (
        "Antenna array design",
        "Passive Sensor Fusion",
        "CONFIDENTIAL//REL TO USA, GBR, NOR",
        "AFRL",
        ["EAR:3A001.a.1"],
    ),
]


def seed_policy(
    registry: RegistryService,
    projects: ProjectService,
    catalogue: CatalogueService,
    grants: GrantService,
    *,
    clock: Clock,
) -> dict[str, str]:
    """Projects, members, labelled resources and one originator grant, through the services;
    the resources' ids by title."""
    console = ConsoleOperator("demo-seed")
    ctx = CallContext.cli()
    for name, members in PROJECTS:
        projects.create_project(console, ctx, name=name)
        for username in members:
            projects.add_member(console, ctx, name, username)
    groups = registry.directory()
    ids: dict[str, str] = {}
    for title, project, marking, originator, controls in RESOURCES:
        label = parse_marking(marking, groups=groups, on=clock().date())
        ids[title] = catalogue.register(
            console,
            ctx,
            project=project,
            kind="document",
            title=title,
            label=label,
            export=parse_export_classification(controls),
            originator=originator,
        ).id
    # DSTL lets the dual national at Northwind see its ORCON material.
    grants.grant(
        console,
        ctx,
        resource=ids["Threat emitter parameters"],
        person="sam",
        kind=GrantKind.ORIGINATOR,
    )
    return ids


# The legal frame (ADR 0008): the programme and its participants, the MoU in force that
# lets the five nations share the programme's projects, an arrangement about to expire,
# a US licence for a partner laboratory, and a screening hit for an officer to resolve.
PROGRAMME = "Multinational Passive Sensor Programme"
PARTICIPANTS = [
    ("AFRL", "lead", "30"),
    ("DSTL", "partner", "20"),
    ("ONERA", "partner", "15"),
    ("WTD81", "partner", "15"),
    ("FFI", "partner", "10"),
    ("NORTHWIND", "industry_partner", "4"),
    ("ASTER", "industry_partner", "4"),
    ("NIT", "academic_partner", "2"),
]
PARTNER_NATIONS = ("USA", "GBR", "FRA", "DEU", "NOR")
SENSOR_MOU = "Passive Sensor Programme MoU"
EXPIRING = "GBR-NOR calibration data exchange arrangement"
# Ends soon too, and ONERA is a party: agnes (ONERA's agreement manager) has it to renew.
RENEWAL = "FRA-GBR radar signature exchange arrangement"
DEMO_LICENCE = "DEMO-DSP5-0001"
DEMO_EAR_LICENCE = "DEMO-EAR-D123456"
DEMO_LIST_NAME = "DEMO screening list"
# Fictitious names for the demo only: one is close to Oskar Lind (a hit to resolve).
DEMO_LIST = (
    "name,id,aliases,kind,source\n"
    "Oskar Lindh,DEMO-1,O. Lindh,individual,DEMO DATA - not a real list\n"
    "Zephyr Trading Front Company,DEMO-2,,entity,DEMO DATA - not a real list\n"
)


def seed_compliance(
    programmes: ProgrammeService,
    agreements: AgreementService,
    authorizations: AuthorizationService,
    screening: ScreeningService,
    *,
    clock: Clock,
) -> None:
    """Programme, agreements, a licence and a screening hit, through the services."""
    console = ConsoleOperator("demo-seed")
    ctx = CallContext.cli()
    today = clock().date()
    programmes.create(
        console, ctx, name=PROGRAMME, description="Passive sensing research of five nations"
    )
    for project, _ in PROJECTS:
        programmes.add_project(console, ctx, PROGRAMME, project)
    for organisation, role, share in PARTICIPANTS:
        programmes.set_participant(
            console, ctx, PROGRAMME, organisation, role=role, work_share=share
        )
    programmes.record_funding(
        console, ctx, PROGRAMME, "AFRL", kind="commitment", amount="4000000", currency="USD",
        on=date(2025, 1, 15),
    )  # fmt: skip
    programmes.record_funding(
        console, ctx, PROGRAMME, "DSTL", kind="commitment", amount="2500000", currency="GBP",
        on=date(2025, 1, 15),
    )  # fmt: skip
    programmes.record_funding(
        console, ctx, PROGRAMME, "AFRL", kind="contribution", amount="1000000", currency="USD",
        on=date(2025, 6, 30),
    )  # fmt: skip
    sensor_mou = agreements.create(
        console,
        ctx,
        AgreementDraft(
            name=SENSOR_MOU,
            kind=AgreementKind.MOU,
            effective_on=date(2025, 1, 1),
            expires_on=date(2030, 12, 31),
            max_level=3,
            party_nations=PARTNER_NATIONS,
            programmes=(PROGRAMME,),
            technology_areas=("passive sensing", "sensor fusion", "radar signatures"),
            releasability=PARTNER_NATIONS,
            ip_terms={
                "background": [{"item": "AFRL passive tracker", "owner": "USA"}],
                "foreground": "generating_party",
                "licences": [{"party": "GBR", "right": "royalty-free research use"}],
                "publication_review_days": 60,
            },
            disputes={"mechanism": "consultation", "venue": "", "governing_law": ""},
        ),
    )
    agreements.move(console, ctx, sensor_mou.id, "activate", reason="signed by all five nations")
    expiring = agreements.create(
        console,
        ctx,
        AgreementDraft(
            name=EXPIRING,
            kind=AgreementKind.DATA_EXCHANGE,
            effective_on=today - timedelta(days=700),
            expires_on=today + timedelta(days=21),
            max_level=2,
            party_nations=("GBR", "NOR"),
            projects=("Passive Sensor Fusion",),
            technology_areas=("sensor calibration",),
        ),
    )
    agreements.move(console, ctx, expiring.id, "activate", reason="signed")
    renewal = agreements.create(
        console,
        ctx,
        AgreementDraft(
            name=RENEWAL,
            kind=AgreementKind.DATA_EXCHANGE,
            effective_on=today - timedelta(days=351),
            expires_on=today + timedelta(days=14),
            max_level=2,
            party_nations=("FRA", "GBR"),
            projects=("Radar Signature Library",),
            technology_areas=("radar signatures",),
        ),
    )
    agreements.move(console, ctx, renewal.id, "activate", reason="signed")
    # A US licence lets ONERA receive the ITAR-controlled radar data (within SECRET).
    authorizations.create(
        console,
        ctx,
        AuthorizationDraft(
            type="DSP-5",
            jurisdiction="USA",
            number=DEMO_LICENCE,
            entries=("ITAR:USML-XI(c)(1)",),
            valid_from=date(2025, 1, 1),
            valid_to=date(2029, 12, 31),
            organisations=("ONERA",),
            max_level=3,
            no_retransfer=True,
            provisos="DEMO DATA: no retransfer without prior written approval",
        ),
    )
    # A US export licence for the antenna design's EAR entry, so the pending release to
    # ONERA can be classified (erin) and approved (victor) in the demo.
    authorizations.create(
        console,
        ctx,
        AuthorizationDraft(
            type="EAR licence",
            jurisdiction="USA",
            number=DEMO_EAR_LICENCE,
            entries=("EAR:3A001.a.1",),
            valid_from=date(2025, 1, 1),
            valid_to=date(2029, 12, 31),
            organisations=("ONERA",),
            max_level=2,
            provisos="DEMO DATA: for the antenna trials only",
        ),
    )
    screening.import_list(console, ctx, name=DEMO_LIST_NAME, fmt="generic", text=DEMO_LIST)


@dataclass(frozen=True, slots=True)
class DemoFile:
    """One artifact of the demo with its content, uploaded by ``uploader``."""

    uploader: str
    project: str
    kind: str
    title: str
    marking: str
    filename: str
    media_type: str
    content: Callable[[], bytes]
    summary: str = ""
    keywords: Sequence[str] = ()
    controls: Sequence[str] = ()


def seed_content(
    artifacts: ArtifactService,
    people: PeopleService,
    files: Sequence[DemoFile],
    *,
    clock: Clock,
) -> None:
    """Upload ``files``, each by its uploader through the ordinary upload path (label
    checked against what the uploader may read, content encrypted, events written)."""
    ctx = CallContext.cli()
    for file in files:
        uploader = Principal(person=people.get_person(file.uploader), mfa_at=clock())
        data = file.content()
        artifacts.put(
            uploader,
            ctx,
            [data],
            sha256=hashlib.sha256(data).hexdigest(),
            new=NewArtifact(
                project=file.project,
                kind=file.kind,
                title=file.title,
                label=file.marking,
                summary=file.summary,
                keywords=file.keywords,
                controls=file.controls,
            ),
            filename=file.filename,
            media_type=file.media_type,
            size=len(data),
        )


# Standardized test and evaluation (issue 19): a procedure written by AFRL and approved
# by DSTL's programme manager, who coordinates two rounds among the five nations'
# laboratories. The first is closed and scored (WTD 81 is the outlier); the second is
# still open and blind: each laboratory sees its own result only.
PROFICIENCY_PROCEDURE = "Radar cross-section of a calibration sphere"
PROFICIENCY_CLOSED = "Calibration sphere RCS, round 2026-1"
PROFICIENCY_OPEN = "Calibration sphere RCS, round 2026-2"
PROFICIENCY_LABS = ("AFRL", "DSTL", "ONERA", "WTD81", "FFI")
# (submitter, value, unit, standard uncertainty, replicates): the measured RCS of the
# 0.1 m² sphere; DSTL reports in cm², WTD 81 is off by a fifth.
PROFICIENCY_RESULTS = (
    ("alice", 0.1003, "m^2", 0.0018, (0.1001, 0.1004, 0.1004)),
    ("bob", 998.0, "cm^2", 16.0, (996.0, 999.0, 999.0)),
    ("dieter", 0.1196, "m^2", 0.0025, (0.1189, 0.1199, 0.1200)),
    ("ingrid", 0.0991, "m^2", 0.0020, (0.0988, 0.0992, 0.0993)),
)


def seed_proficiency(
    proficiency: ProficiencyService,
    projects: ProjectService,
    people: PeopleService,
    *,
    results_csv: bytes,
    clock: Clock,
) -> None:
    """A procedure, a closed and scored round and an open, blind one, through the
    services as the people named (ONERA's results come as a CSV file)."""
    ctx = CallContext.cli()

    def who(username: str) -> Principal:
        return Principal(person=people.get_person(username), mfa_at=clock())

    # FFI's security officer submits for her laboratory: she needs the project.
    projects.add_member(ConsoleOperator("demo-seed"), ctx, "Passive Sensor Fusion", "ingrid")
    draft = proficiency.create_procedure(
        who("alice"),
        ctx,
        project="Passive Sensor Fusion",
        name=PROFICIENCY_PROCEDURE,
        draft=ProcedureDraft(
            measurand="monostatic radar cross-section of the 0.1 m² sphere at 10 GHz, HH",
            unit="m^2",
            method="anechoic chamber, stepped-frequency, background subtracted, three sweeps",
            equipment="vector network analyser, standard gain horns, the circulated sphere",
            acceptance_criteria="|z| ≤ 2 satisfactory, |z| ≥ 3 unsatisfactory",
            uncertainty_reporting="standard uncertainty with its coverage factor (k = 2)",
        ),
        label="UNCLASSIFIED",
    )
    version = proficiency.approve(who("paul"), ctx, draft.id)
    for title, days in ((PROFICIENCY_CLOSED, 14), (PROFICIENCY_OPEN, 30)):
        opened = proficiency.open_round(
            who("paul"),
            ctx,
            RoundDraft(
                project="Passive Sensor Fusion",
                procedure_version=version.id,
                title=title,
                deadline=clock() + timedelta(days=days),
                laboratories=PROFICIENCY_LABS,
                items=(ItemDraft("Sphere S-01"),),
                label="UNCLASSIFIED",
            ),
        )
        closing = title == PROFICIENCY_CLOSED
        for username, value, unit, u, replicates in PROFICIENCY_RESULTS:
            if not closing and username in ("dieter", "ingrid"):
                continue  # the open round is waiting for two laboratories
            proficiency.submit(
                who(username),
                ctx,
                opened.id,
                [ResultDraft("Sphere S-01", value, unit, u, 2.0, replicates)],
            )
        proficiency.upload(
            who("claire"), ctx, opened.id, filename="onera-results.csv", content=results_csv
        )
        if closing:
            proficiency.close(who("paul"), ctx, opened.id)


# Discussions (issue 21): one thread of the sensor fusion project whose messages carry
# different labels, so each reader sees a different part of it under a different banner:
# Alice (USA) reads all four (SECRET//NOFORN), Bob (GBR) three (SECRET//REL TO USA, GBR),
# Claire (FRA) the unclassified opening only.
DISCUSSION_TITLE = "First joint trial window"
DISCUSSION = (
    (
        "alice",
        "UNCLASSIFIED",
        "Proposing weeks 14-15 for the first joint trial. @bob can DSTL bring the passive array?",
    ),
    (
        "bob",
        "CONFIDENTIAL//REL TO USA, GBR",
        "Yes: the array ships in week 12; DSTL holds the range booking.",
    ),
    (
        "alice",
        "SECRET//REL TO USA, GBR",
        "Emitter set for the trial as in section 4 of the fusion test plan; @bob please confirm.",
    ),
    ("alice", "SECRET//NOFORN", "US only: the tracker's trial firmware stays on AFRL hardware."),
)


def seed_discussions(discussions: DiscussionService, people: PeopleService, *, clock: Clock) -> str:
    """The demo's discussion, posted by its people through the service: its id."""
    ctx = CallContext.cli()

    def who(username: str) -> Principal:
        return Principal(person=people.get_person(username), mfa_at=clock())

    (first, label, text), *rest = DISCUSSION
    started = discussions.start(
        who(first),
        ctx,
        project="Passive Sensor Fusion",
        title=DISCUSSION_TITLE,
        title_label="UNCLASSIFIED",
        text=text,
        label=label,
    )
    for username, label, text in rest:
        discussions.post(who(username), ctx, started.id, text=text, label=label)
    return started.id


# The sensor fusion project's live channel (ADR 0025). Its messages live on the broker
# (in memory for the embedded default), so the demo opens the channel and leaves the
# publishing to whoever tries it: `caveat channel publish "Trial status" ...` or the page.
# Mallory, suspended, tries an old password this often: the conduct monitor's default
# threshold of failures within 15 minutes, so the security officers and the auditor find an
# open alert on their first screen whatever the hour (issue 16).
SUSPENDED_TRIES = 5


def seed_conduct(auth: AuthService) -> None:
    """Failed sign-ins by the suspended account, through the ordinary sign-in path (each
    one an ``auth.login`` failure in the ledger, as from the login page)."""
    for _ in range(SUSPENDED_TRIES):
        with contextlib.suppress(AuthenticationFailed):
            auth.login(
                CallContext.cli(),
                username="mallory",
                password="an old password",  # noqa: S106 - a wrong guess, on purpose
                otp="000000",
            )


CHANNEL_NAME = "Trial status"
CHANNEL_DESCRIPTION = (
    "Joint trial status from the range: each message carries its own label, and each "
    "reader receives only those the policy lets them read."
)


def seed_channels(channels: ChannelService) -> str:
    """The demo's channel, opened by the node's console: its id."""
    return channels.create(
        ConsoleOperator("demo-seed"),
        CallContext.cli(),
        name=CHANNEL_NAME,
        project="Passive Sensor Fusion",
        description=CHANNEL_DESCRIPTION,
    ).id


# The plan of the sensor fusion project (ADR 0027): Alice coordinates it (its lead), with
# Paul, DSTL's programme manager, as its second lead for the trial campaign DSTL leads;
# two work packages whose efforts follow the programme's agreed shares, one of them
# SECRET, with tasks, milestones and deliverables due around the day the demo is made.
# Paul's milestone, the trial range's safety case, is overdue: it waits in the queue of
# the plan's leads (who may mark it achieved), not in the other members' queues.
PLAN_PROJECT = "Passive Sensor Fusion"
PLAN_COORDINATOR = "alice"
PLAN_CO_LEAD = "paul"
OVERDUE_MILESTONE = "Trial range safety case agreed"


def seed_plans(
    plans: PlanService, projects: ProjectService, people: PeopleService, *, clock: Clock
) -> list[str]:
    """The demo's plan, made through the services: the work packages' ids."""
    ctx = CallContext.cli()
    for lead in (PLAN_COORDINATOR, PLAN_CO_LEAD):
        projects.update_member(
            ConsoleOperator("demo-seed"), ctx, PLAN_PROJECT, lead, role=ProjectRole.LEAD
        )
    alice = Principal(person=people.get_person(PLAN_COORDINATOR), mfa_at=clock())
    paul = Principal(person=people.get_person(PLAN_CO_LEAD), mfa_at=clock())
    today = clock().date()
    shares = {org: share for org, _, share in PARTICIPANTS}
    first = plans.add_work_package(
        alice,
        ctx,
        PLAN_PROJECT,
        title="Sensor integration",
        label="UNCLASSIFIED",
        lead_organisation="AFRL",
        starts_on=today - timedelta(days=60),
        ends_on=today + timedelta(days=120),
        efforts=shares,
    )
    second = plans.add_work_package(
        alice,
        ctx,
        PLAN_PROJECT,
        title="Joint trial campaign",
        label="SECRET//REL TO USA, GBR",
        lead_organisation="DSTL",
        starts_on=today + timedelta(days=30),
        ends_on=today + timedelta(days=210),
        efforts={org: str(int(share) / 2) for org, share in shares.items()},
    )
    plans.add_task(
        alice,
        ctx,
        first.id,
        title="Calibrate the passive array",
        label="UNCLASSIFIED",
        due_on=today - timedelta(days=3),
        assignee="bob",
    )
    plans.add_task(
        alice,
        ctx,
        first.id,
        title="Integrate the tracker firmware",
        label="UNCLASSIFIED",
        due_on=today + timedelta(days=5),
    )
    plans.add_milestone(
        alice,
        ctx,
        first.id,
        title="Integrated sensor suite ready",
        label="UNCLASSIFIED",
        due_on=today + timedelta(days=10),
    )
    plans.add_milestone(
        paul,
        ctx,
        first.id,
        title=OVERDUE_MILESTONE,
        label="UNCLASSIFIED",
        due_on=today - timedelta(days=2),
    )
    plans.add_deliverable(
        alice,
        ctx,
        first.id,
        title="Integration report",
        label="UNCLASSIFIED",
        due_on=today + timedelta(days=40),
    )
    plans.add_deliverable(
        alice,
        ctx,
        second.id,
        title="Trial data package",
        label="SECRET//REL TO USA, GBR",
        due_on=today + timedelta(days=200),
    )
    return [first.id, second.id]
