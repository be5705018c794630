"""Random populations written through the services (for listing == decide on real databases)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from caveat.bootstrap.container import Node
from caveat.domain.export_control import ExportClassification, parse_control_entry
from caveat.domain.identity import Clearance, CommonLevel, OrganisationKind, Role
from caveat.domain.labels import Originator
from caveat.domain.policy import (
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
    ScreeningHold,
)
from caveat.services.kernel.principal import ConsoleOperator
from caveat.services.kernel.uow import CallContext
from tests.policy.population import ENTRIES, HELD, NATIONS, ORGS, random_label
from tests.support import FakeClock

CONSOLE = ConsoleOperator()


@dataclass
class Built:
    """What a build created: person ids, resource ids and project ids."""

    people: list[str] = field(default_factory=list)
    resources: list[str] = field(default_factory=list)
    projects: list[str] = field(default_factory=list)


def _ctx() -> CallContext:
    return CallContext.cli()


def ensure_orgs(node: Node) -> dict[str, str]:
    """The test organisations (name -> id), created once per node."""
    existing = {o.name: o.id for o in node.registry.list_organisations()}
    for name, nation in ORGS.items():
        if name not in existing:
            existing[name] = node.registry.create_organisation(
                CONSOLE,
                _ctx(),
                name=name,
                short_name=name,
                nation=nation,
                kind=OrganisationKind.INDUSTRY,
            ).id
    return existing


def build(
    node: Node, clock: FakeClock, seed: int, *, people: int = 6, resources: int = 18
) -> Built:
    """Write a random population; memberships, grants and holdings sometimes lapse soon."""
    rng = random.Random(seed)
    orgs = ensure_orgs(node)
    out = Built()
    soon = clock() + timedelta(minutes=5)  # callers advance the clock past this

    def expiry() -> datetime | None:
        return rng.choice([None, None, clock() + timedelta(days=30), soon])

    for i in range(4):
        out.projects.append(node.projects.create_project(CONSOLE, _ctx(), name=f"p{seed}-{i}").id)
    for i in range(resources):
        label, org = random_label(rng)
        org = org or rng.choice(list(ORGS))
        label = label.__class__(
            label.policy,
            label.classification,
            label.categories,
            originator=Originator(org, ORGS[org]),
        )
        entries = rng.sample(ENTRIES, rng.randint(0, 2)) if rng.random() < 0.5 else []
        out.resources.append(
            node.catalogue.register(
                CONSOLE,
                _ctx(),
                project=rng.choice(out.projects),
                kind="document",
                title=f"r{seed}-{i}",
                label=label,
                export=ExportClassification(tuple(parse_control_entry(e) for e in entries)),
            ).id
        )
    for i in range(people):
        org = rng.choice(list(ORGS))
        nation = ORGS[org]
        citizenships = (
            {nation} if rng.random() < 0.7 else {nation, *rng.sample(NATIONS, rng.randint(1, 2))}
        )
        clearance = None
        if rng.random() < 0.85:
            level = CommonLevel(rng.choice([1, 2, 3, 3, 4]))
            expires = date(2099, 1, 1) if rng.random() < 0.9 else clock().date() - timedelta(days=1)
            clearance = Clearance(
                level, level.name, nation if rng.random() < 0.8 else rng.choice(NATIONS), expires
            )
        account = node.people.create_person(
            CONSOLE,
            _ctx(),
            username=f"u{seed}x{i}",
            display_name=f"User {i}",
            email=f"u{seed}x{i}@example.org",
            organisation=orgs[org],
            citizenships=sorted(citizenships),
            residencies=rng.sample(sorted(set(NATIONS) - citizenships), rng.randint(0, 1)),
            roles=[Role.RESEARCHER],
            clearance=clearance,
            password="violet-harbour-lantern-42",
        )
        pid = account.person.id
        out.people.append(pid)
        for project in rng.sample(out.projects, rng.randint(1, 4)):
            node.projects.add_member(CONSOLE, _ctx(), project, pid, expires_at=expiry())
        for rid in rng.sample(out.resources, rng.randint(0, 3)):
            node.grants.grant(
                CONSOLE,
                _ctx(),
                resource=rid,
                person=pid,
                kind=rng.choice(list(GrantKind)),
                expires_at=expiry(),
            )
        for caveat in rng.sample(HELD, rng.randint(0, 3)):
            node.grants.grant_caveat(
                CONSOLE, _ctx(), person=pid, caveat=caveat, reason="population", expires_at=expiry()
            )
    today = clock().date()
    node.policy.agreements = MemoryAgreements(
        DatedAgreement(
            AgreementTerms(
                f"a{i}",
                f"agreement {i}",
                frozenset(rng.sample(out.projects, rng.randint(1, 3))),
                rng.choice([1, 2, 3, 4]),
                None if rng.random() < 0.6 else frozenset(rng.sample(ENTRIES, 3)),
            ),
            organisations=frozenset(rng.sample(sorted(orgs.values()), 2)),
            nations=frozenset(rng.sample(NATIONS, 1)),
            valid_to=rng.choice([None, today + timedelta(days=3), today - timedelta(days=1)]),
        )
        for i in range(rng.randint(1, 5))
    )
    node.policy.authorizations = MemoryAuthorizations(
        DatedAuthorization(
            AuthorizationTerms(f"x{i}", f"licence {i}", frozenset(rng.sample(ENTRIES, 3))),
            people=frozenset(rng.sample(out.people, 2)),
            nations=frozenset(rng.sample(NATIONS, 1)),
        )
        for i in range(rng.randint(0, 3))
    )
    node.policy.screening = MemoryScreening(
        [
            (p, ScreeningHold(f"h{p}", "person", "name match"))
            for p in out.people
            if rng.random() < 0.1
        ]
    )
    node.policy.embargoes = MemoryEmbargoes(
        DatedEmbargo(
            EmbargoTerms(
                f"e{i}", rng.choice(["USA", "EU"]), rng.choice(["IND", "SWE", "NOR"]), "test"
            )
        )
        for i in range(rng.randint(0, 2))
    )
    node.policy.config = PolicyConfig(
        dual_national=DualNationalRule(rng.choice([0, 3])) if rng.random() < 0.5 else None
    )
    return out
