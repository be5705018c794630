"""Random populations for the policy's differential tests (Cedar oracle, SQL listing).

A seeded ``random.Random`` drives everything so a failing case can be replayed from
its seed. Populations are biased towards near-misses: most subjects share a nation,
a project or an agreement with most resources, so every requirement both holds and
fails often.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from caveat.domain.export_control import ExportClassification, parse_control_entry
from caveat.domain.groups import builtin_directory
from caveat.domain.identity import Clearance, CommonLevel
from caveat.domain.labels import (
    DISSEM,
    REL_TO,
    SAP,
    SCI,
    Category,
    CategoryType,
    Label,
    Originator,
    builtin_schemes,
)
from caveat.domain.policy import (
    Action,
    AgreementTerms,
    AuthorizationTerms,
    DatedAgreement,
    DatedAuthorization,
    DatedEmbargo,
    DualNationalRule,
    EmbargoTerms,
    GrantKind,
    MemoryAgreements,
    MemoryAuthorizations,
    MemoryEmbargoes,
    MemoryScreening,
    PolicyConfig,
    PolicyEnvironment,
    Resource,
    ScreeningHold,
    Subject,
    make_resource,
)

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
TODAY = NOW.date()
GROUPS = builtin_directory()
SCHEMES = builtin_schemes()
NATIONS = ["USA", "GBR", "FRA", "DEU", "NOR", "AUS", "CAN", "IND", "SWE", "NZL"]
REL_POOL = [*NATIONS, "FVEY", "NATO", "EU", "TEYE"]
ORGS = {
    "o-usa": "USA",
    "o-gbr": "GBR",
    "o-gbr2": "GBR",
    "o-fra": "FRA",
    "o-deu": "DEU",
    "o-nor": "NOR",
}
PROJECTS = ["p-alpha", "p-bravo", "p-charlie", "p-delta"]
LABEL_SCHEMES = ["USA", "GBR", "NATO", "DEU", "FRA", "EU"]
ENTRIES = [
    "ITAR:USML-XI(c)(1)",
    "EAR:3A001.a.1",
    "EAR:EAR99",
    "WA:ML11",
    "MTCR:2.A.1",
    "EU:5A002.a",
]
HELD = ["SCI:SI", "SCI:TK", "SAP:SAR-BP"]
MFA_AGES = [None, 0, 600, 3000, 7200, 30000, 50000]


@dataclass
class Population:
    """Subjects, resources and the data behind requirements 6-9."""

    subjects: list[Subject]
    resources: list[Resource]
    agreements: list[DatedAgreement] = field(default_factory=list)
    authorizations: list[DatedAuthorization] = field(default_factory=list)
    holds: list[tuple[str, ScreeningHold]] = field(default_factory=list)
    embargoes: list[DatedEmbargo] = field(default_factory=list)
    dual: DualNationalRule | None = None

    def environment(self) -> PolicyEnvironment:
        return PolicyEnvironment(
            groups=GROUPS,
            schemes=SCHEMES,
            config=PolicyConfig(dual_national=self.dual),
            agreements=MemoryAgreements(self.agreements),
            authorizations=MemoryAuthorizations(self.authorizations),
            screening=MemoryScreening(self.holds),
            embargoes=MemoryEmbargoes(self.embargoes),
        )


def _some(rng: random.Random, pool: list[str], most: int) -> list[str]:
    return rng.sample(pool, rng.randint(0, min(most, len(pool))))


def _expiry(rng: random.Random) -> datetime | None:
    return rng.choice([None, None, NOW + timedelta(days=30), NOW - timedelta(hours=1)])


def random_label(rng: random.Random) -> tuple[Label, str | None]:
    """A label and the id of its originating organisation (or None)."""
    policy = rng.choice(LABEL_SCHEMES)
    scheme = SCHEMES.get(policy)
    classification = rng.randrange(len(scheme.levels))
    categories = []
    release = rng.random()
    extras = ["ORCON", "PROPIN", "IMCON", "RELIDO", "FOUO"]
    dissem = set(_some(rng, extras, 2)) if rng.random() < 0.3 else set()
    if release < 0.2:
        dissem.add("NOFORN")
    elif release < 0.8:
        codes = set(_some(rng, REL_POOL, 4)) or {"FVEY"}
        categories.append(Category(REL_TO, CategoryType.PERMISSIVE, frozenset(codes)))
    if dissem:
        categories.append(Category(DISSEM, CategoryType.RESTRICTIVE, frozenset(dissem)))
    if rng.random() < 0.25:
        categories.append(
            Category(
                SCI,
                CategoryType.RESTRICTIVE,
                frozenset(rng.sample(["SI", "TK"], rng.randint(1, 2))),
            )
        )
    if rng.random() < 0.1:
        categories.append(Category(SAP, CategoryType.RESTRICTIVE, frozenset({"SAR-BP"})))
    org = None
    originator = None
    if rng.random() < 0.85:
        org = rng.choice(list(ORGS))
        originator = Originator(org, ORGS[org])
    label = Label(policy, classification, tuple(categories), originator=originator)
    return label, org


def random_resource(rng: random.Random, index: int) -> Resource:
    label, org = random_label(rng)
    entries = _some(rng, ENTRIES, 2) if rng.random() < 0.5 else []
    export = ExportClassification(tuple(parse_control_entry(e) for e in entries))
    return make_resource(
        id=f"r{index:05d}",
        project_id=rng.choice(PROJECTS),
        kind="document",
        label=None if rng.random() < 0.02 else label,
        schemes=SCHEMES,
        export=export,
        originator_org_id=org,
    )


def random_subject(rng: random.Random, index: int, resources: list[Resource]) -> Subject:
    org = rng.choice(list(ORGS))
    nation = ORGS[org]
    citizenships = (
        {nation} if rng.random() < 0.6 else {nation, *rng.sample(NATIONS, rng.randint(1, 2))}
    )
    if rng.random() < 0.1:
        citizenships = {rng.choice(NATIONS)}
    clearance = None
    roll = rng.random()
    if roll < 0.85:
        granting = nation if rng.random() < 0.8 else rng.choice(NATIONS)
        # The expiry day itself is a boundary: it still counts.
        expires = TODAY + timedelta(days=rng.choice([365, 365, 365, 1, 0, -1]))
        level = CommonLevel(rng.choice([1, 2, 3, 3, 3, 4]))
        clearance = Clearance(level, level.name, granting, expires)
    resource_ids = [r.id for r in resources]
    grants: dict[tuple[str, GrantKind], datetime | None] = {}
    for rid in rng.sample(resource_ids, min(len(resource_ids), rng.randint(0, 4))):
        grants[(rid, rng.choice(list(GrantKind)))] = _expiry(rng)
    return Subject(
        id=f"s{index:04d}",
        username=f"user{index}",
        organisation_id=org,
        organisation_nation=nation,
        active=rng.random() < 0.95,
        mfa_enrolled=rng.random() < 0.98,
        citizenships=frozenset(citizenships),
        residencies=frozenset(_some(rng, NATIONS, 1)),
        clearance=clearance,
        memberships={p: _expiry(rng) for p in rng.sample(PROJECTS, rng.randint(1, 4))},
        grants=grants,
        caveats={c: _expiry(rng) for c in rng.sample(HELD, rng.randint(1, 3))},
    )


def random_population(seed: int, *, subjects: int = 40, resources: int = 60) -> Population:
    """A reproducible population for ``seed``."""
    rng = random.Random(seed)
    items = [random_resource(rng, i) for i in range(resources)]
    people = [random_subject(rng, i, items) for i in range(subjects)]
    agreements = []
    for i in range(rng.randint(2, 6)):
        scope = None if rng.random() < 0.6 else frozenset(_some(rng, ENTRIES, 4))
        agreements.append(
            DatedAgreement(
                AgreementTerms(
                    f"a{i}",
                    f"agreement {i}",
                    frozenset(_some(rng, PROJECTS, 3)),
                    rng.choice([1, 2, 3, 4]),
                    scope,
                ),
                organisations=frozenset(_some(rng, list(ORGS), 2)),
                nations=frozenset(_some(rng, NATIONS, 2)),
                valid_from=TODAY - timedelta(days=rng.choice([100, 100, 0, -1])),
                valid_to=rng.choice(
                    [None, TODAY + timedelta(days=10), TODAY, TODAY - timedelta(days=1)]
                ),
            )
        )
    authorizations = [
        DatedAuthorization(
            AuthorizationTerms(f"x{i}", f"licence {i}", frozenset(_some(rng, ENTRIES, 3))),
            people=frozenset(s.id for s in rng.sample(people, 3)),
            organisations=frozenset(_some(rng, list(ORGS), 1)),
            nations=frozenset(_some(rng, NATIONS, 1)),
            valid_to=rng.choice([None, TODAY, TODAY - timedelta(days=1)]),
        )
        for i in range(rng.randint(0, 4))
    ]
    holds = [
        (s.id, ScreeningHold(f"h{s.id}", "person", "fuzzy name match"))
        for s in people
        if rng.random() < 0.04
    ]
    if rng.random() < 0.3:
        holds.append((rng.choice(list(ORGS)), ScreeningHold("horg", "organisation", "entity list")))
    # Embargoes often fall on a second nationality or a residence (the subjects' extra
    # citizenships and residencies come from NATIONS), and end or start around today.
    embargoes = [
        DatedEmbargo(
            EmbargoTerms(
                f"e{i}", rng.choice(["USA", "EU", "GBR"]), rng.choice(["IND", "SWE", "NOR"]), "test"
            ),
            valid_from=rng.choice([None, None, TODAY, TODAY + timedelta(days=1)]),
            valid_to=rng.choice([None, None, TODAY, TODAY - timedelta(days=1)]),
        )
        for i in range(rng.randint(0, 3))
    ]
    dual = None
    if rng.random() < 0.5:
        dual = DualNationalRule(
            rng.choice([0, 1, 3]),
            None if rng.random() < 0.5 else frozenset(_some(rng, list(ORGS), 3)),
        )
    return Population(people, items, agreements, authorizations, holds, embargoes, dual)


def mfa_at(rng: random.Random) -> datetime | None:
    age = rng.choice(MFA_AGES)
    return None if age is None else NOW - timedelta(seconds=age)


ACTIONS = list(Action)
__all__ = ["ACTIONS", "NOW", "Population", "date", "mfa_at", "random_population"]
