"""Policy decisions with 1,000 agreements and 5,000 export authorizations in force.

A node on SQLite (or PostgreSQL with CAVEAT_BENCH_POSTGRES_URL) gets 40 organisations
in 20 nations, 200 projects, 1,000 agreements in force (2-4 nation or organisation
parties, 1-5 projects, half scoped to control entries) and 5,000 authorizations
(1-3 entries, 1-3 end users), written with bulk inserts. Measured per subject, as a
request does: deriving the subject's facts through the database-backed ports (the
four queries of requirements 6-9) once on a cold cache and then as later requests do,
with agreement and authorization terms from the generation-checked cache
(services/kernel/generations.py); beside it, in
the same run, the same subject with the in-memory ports holding the same terms (the
ports' cost is the difference).
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from benchmarks.common import percentile, write_result
from caveat.adapters.db.models import OrganisationRow
from caveat.adapters.db.models.compliance import (
    AgreementControlRow,
    AgreementCoverageRow,
    AgreementPartyRow,
    AgreementRow,
    AuthorizationEntryRow,
    AuthorizationRecipientRow,
    AuthorizationRow,
)
from caveat.adapters.db.models.policy import ProjectRow
from caveat.bootstrap.container import FirstOperator, init_node
from caveat.bootstrap.settings import HashProfile, Settings
from caveat.domain.policy import (
    Context,
    DatedAgreement,
    DatedAuthorization,
    MemoryAgreements,
    MemoryAuthorizations,
)
from caveat.services.kernel.principal import ConsoleOperator
from caveat.services.kernel.uow import CallContext
from caveat.services.policy._loader import people_rows, subject_of

NATIONS = (
    "USA GBR FRA DEU ITA ESP NLD NOR DNK SWE FIN POL CZE CAN AUS NZL JPN KOR BEL PRT"
).split()
ENTRIES = [f"ITAR:USML-XI(c)({i})" for i in range(1, 10)] + [
    f"EAR:3A001.a.{i}" for i in range(1, 10)
]
TODAY = datetime.now(UTC).date()


def _now() -> datetime:
    return datetime.now(UTC)


def _populate(node: Any, rng: random.Random) -> dict[str, Any]:
    orgs = [(str(uuid.uuid4()), f"Lab {i}", NATIONS[i % len(NATIONS)]) for i in range(40)]
    projects = [str(uuid.uuid4()) for _ in range(200)]
    agreements, parties, coverage, controls = [], [], [], []
    auths, entries, recipients = [], [], []
    for i in range(1000):
        aid = str(uuid.uuid4())
        scoped = i % 2 == 0
        agreements.append(
            {
                "id": aid, "name": f"Agreement {i}", "kind": "mou", "status": "in_force",
                "version": 1, "effective_on": TODAY - timedelta(days=10),
                "expires_on": TODAY + timedelta(days=365), "max_common_level": rng.randint(1, 4),
                "releasability_json": "[]", "technology_areas_json": "[]", "scoped": scoped,
                "ip_terms_json": "{}", "disputes_json": "{}", "text_resource_id": None,
                "created_at": _now(), "updated_at": _now(),
            }
        )  # fmt: skip
        for _ in range(rng.randint(2, 4)):
            if rng.random() < 0.5:
                parties.append(
                    {"agreement_id": aid, "kind": "nation", "party": rng.choice(NATIONS)}
                )
            else:
                parties.append(
                    {"agreement_id": aid, "kind": "organisation", "party": rng.choice(orgs)[0]}
                )
        for p in rng.sample(projects, rng.randint(1, 5)):
            coverage.append({"agreement_id": aid, "kind": "project", "ref_id": p})
        if scoped:
            for e in rng.sample(ENTRIES, 3):
                controls.append({"agreement_id": aid, "entry": e})
    for i in range(5000):
        zid = str(uuid.uuid4())
        auths.append(
            {
                "id": zid, "type": "DSP-5", "jurisdiction": "USA", "number": f"05{i:07d}",
                "status": "active", "valid_from": TODAY - timedelta(days=5),
                "valid_to": TODAY + timedelta(days=700), "max_common_level": None,
                "no_retransfer": False, "provisos": "", "created_at": _now(),
                "updated_at": _now(),
            }
        )  # fmt: skip
        for e in rng.sample(ENTRIES, rng.randint(1, 3)):
            entries.append({"authorization_id": zid, "entry": e})
        seen = set()
        for _ in range(rng.randint(1, 3)):
            kind, ref = (
                ("nation", rng.choice(NATIONS))
                if rng.random() < 0.3
                else ("organisation", rng.choice(orgs)[0])
            )
            if (kind, ref) not in seen:
                seen.add((kind, ref))
                recipients.append({"authorization_id": zid, "kind": kind, "ref": ref})
    with node.uow(CallContext.cli()) as uow:
        s = uow.session
        s.execute(
            insert(OrganisationRow),
            [
                {
                    "id": i,
                    "name": n,
                    "short_name": None,
                    "nation": c,
                    "kind": "government_laboratory",
                    "created_at": _now(),
                }
                for i, n, c in orgs
            ],
        )
        s.execute(
            insert(ProjectRow),
            [
                {"id": p, "name": f"P{k}", "programme": None, "created_at": _now()}
                for k, p in enumerate(projects)
            ],
        )
        for table, rows in (
            (AgreementRow, agreements),
            (AgreementPartyRow, _unique(parties, ("agreement_id", "kind", "party"))),
            (AgreementCoverageRow, coverage),
            (AgreementControlRow, controls),
            (AuthorizationRow, auths),
            (AuthorizationEntryRow, entries),
            (AuthorizationRecipientRow, recipients),
        ):
            s.execute(insert(table), rows)
    return {"orgs": orgs, "projects": projects}


def _unique(rows: list[dict[str, Any]], keys: tuple[str, ...]) -> list[dict[str, Any]]:
    seen: dict[tuple[Any, ...], dict[str, Any]] = {}
    for r in rows:
        seen.setdefault(tuple(r[k] for k in keys), r)
    return list(seen.values())


def run(postgres_url: str | None = None, subjects: int = 40) -> dict[str, Any]:
    rng = random.Random(6)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            data_dir=Path(tmp) / "node",
            database_url=postgres_url,
            hash_profile=HashProfile.TEST,
            node_name="bench",
        )
        node, _ = init_node(
            settings,
            FirstOperator("operator", "Operator", "op@example.org", "Bench Lab", "USA"),
        )
        try:
            world = _populate(node, rng)
            console = ConsoleOperator()
            for k, (org_id, _, nation) in enumerate(world["orgs"]):
                node.people.create_person(
                    console, CallContext.cli(), username=f"person{k}", display_name=f"Person {k}",
                    email=f"p{k}@example.org", organisation=org_id, citizenships=[nation],
                )  # fmt: skip
            return _measure(node, subjects)
        finally:
            node.close()


def _measure(node: Any, subjects: int) -> dict[str, Any]:
    from caveat.services.identity._people import person_view

    env = node.policy.environment()
    db_facts: list[float] = []
    mem_facts: list[float] = []
    agreements_seen: list[int] = []
    with node.uow.read() as session:
        people = [person_view(r, _now()) for r in people_rows(session)][:subjects]
        subject_list = [subject_of(session, p) for p in people]
    warm_facts: list[float] = []
    for subject in subject_list:
        now = _now()
        started = time.perf_counter()
        facts = Context(now, now, env).facts(subject)
        db_facts.append(time.perf_counter() - started)  # first derivation: cache miss
        for _ in range(5):
            started = time.perf_counter()
            Context(now, now, env).facts(subject)
            warm_facts.append(time.perf_counter() - started)
        agreements_seen.append(len(facts.agreements))
        memory = env.__class__(
            groups=env.groups,
            schemes=env.schemes,
            config=env.config,
            agreements=MemoryAgreements(
                DatedAgreement(t, organisations=frozenset({subject.organisation_id}))
                for t in facts.agreements
            ),
            authorizations=MemoryAuthorizations(
                DatedAuthorization(t, people=frozenset({subject.id}))
                for t in env.authorizations.in_force(
                    person_id=subject.id,
                    organisation_id=subject.organisation_id,
                    nations=subject.citizenships | subject.residencies,
                    on=now.date(),
                )
            ),
            screening=env.screening,
            embargoes=env.embargoes,
        )
        started = time.perf_counter()
        Context(now, now, memory).facts(subject)
        mem_facts.append(time.perf_counter() - started)
    result = {
        "agreements_in_force": 1000,
        "authorizations_in_force": 5000,
        "subjects": len(subject_list),
        "agreements_per_subject_median": statistics.median(agreements_seen),
        "facts_db_ms": {
            "p50": round(percentile(db_facts, 50) * 1000, 3),
            "p95": round(percentile(db_facts, 95) * 1000, 3),
        },
        "facts_db_cached_ms": {
            "p50": round(percentile(warm_facts, 50) * 1000, 3),
            "p95": round(percentile(warm_facts, 95) * 1000, 3),
        },
        "facts_memory_ms": {
            "p50": round(percentile(mem_facts, 50) * 1000, 3),
            "p95": round(percentile(mem_facts, 95) * 1000, 3),
        },
    }
    write_result("compliance", result)
    return result


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
