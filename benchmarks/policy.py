"""The policy decision point: one decision beside cedarpy and pycasbin; listing at scale.

1. Single decisions on the same random cases: ``decide()`` (subject facts derived
   once per context, as in a request), cedarpy with pre-parsed PolicySet/Entities
   handles (one call per request, and one batch call), and pycasbin with an ABAC
   matcher (requirements 1-5 only: casbin has no natural form for the rest).
2. Listing: 1,000,000 labelled resources in 2,000 projects and 10,000 people,
   written with bulk inserts; first keyset page of 50 and the exact count through
   the compiled SQL, beside naive per-row ``decide()`` (timed on a sample and scaled).
"""

from __future__ import annotations

import json
import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import casbin
import cedarpy
from sqlalchemy import Engine, create_engine, insert, select, text
from sqlalchemy.engine import make_url
from tests.policy.cedar_model import context_of, entities_of, policy_set, request, schema_text
from tests.policy.population import NOW, SCHEMES, mfa_at, random_label, random_population

from benchmarks.common import percentile, write_result
from caveat.adapters.db.models.policy import ResourceRow
from caveat.bootstrap.container import FirstOperator, Node, init_node
from caveat.bootstrap.settings import HashProfile, Settings
from caveat.domain.export_control import ExportClassification, export_to_canonical_json
from caveat.domain.labels import label_to_canonical_json
from caveat.domain.policy import (
    Action,
    AgreementTerms,
    Context,
    DatedAgreement,
    MemoryAgreements,
    decide,
    label_facts,
)
from caveat.services.kernel.principal import Principal
from caveat.services.policy import listing as policy_listing
from caveat.services.policy._loader import resource_of, subject_of

RESOURCES = int(os.environ.get("CAVEAT_BENCH_POLICY_RESOURCES", "1000000"))
PEOPLE = 10_000
PROJECTS = 2_000

_CASBIN_MODEL = """
[request_definition]
r = sub, obj, act
[policy_definition]
p = act
[policy_effect]
e = some(where (p.eft == allow))
[matchers]
m = r.act == p.act && r.sub.ok && within(r.obj.level, r.sub.levels) && \
    covers(r.sub.nations, r.obj.releasable) && covers(r.sub.holdings, r.obj.held) && \
    (within(r.obj.project, r.sub.projects) || within(r.obj.rid, r.sub.grants))
"""


def _us(seconds: list[float]) -> dict[str, float]:
    us = [s * 1e6 for s in seconds]
    return {
        "n": len(us),
        "median_us": round(statistics.median(us), 2),
        "p99_us": round(percentile(us, 99), 2),
    }


class _Attrs:
    def __init__(self, **values: Any) -> None:
        self.__dict__.update(values)


def single_decisions(cases: int = 20_000) -> dict[str, Any]:
    """Median and p99 per decision for decide(), cedarpy (single, batch) and pycasbin."""
    population = random_population(11, subjects=60, resources=120)
    env = population.environment()
    rng = random.Random(3)
    at = mfa_at(rng) or NOW
    ctx = Context(NOW, at, env)
    picks = [
        (
            rng.choice(population.subjects),
            rng.choice(list(Action)),
            rng.choice(population.resources),
        )
        for _ in range(cases)
    ]
    for s, _, _ in picks:
        ctx.facts(s)  # one derivation per subject, as one request derives it once
    ours = []
    for s, a, r in picks:
        start = time.perf_counter()
        decide(s, a, r, ctx)
        ours.append(time.perf_counter() - start)
    cold = []
    for s, a, r in picks[:2000]:
        start = time.perf_counter()
        decide(s, a, r, Context(NOW, at, env))  # a fresh request: facts derived again
        cold.append(time.perf_counter() - start)

    entities = entities_of(population)
    policies = policy_set()
    schema = cedarpy.Schema.from_str(schema_text())
    context = context_of(at, population)
    requests = [request(s, a, r, context) for s, a, r in picks]
    cedar_single = []
    for req in requests[:5000]:
        start = time.perf_counter()
        cedarpy.is_authorized(req, policies, entities, schema=schema)
        cedar_single.append(time.perf_counter() - start)
    start = time.perf_counter()
    cedarpy.is_authorized_batch(requests, policies, entities, schema=schema)
    batch_total = time.perf_counter() - start

    enforcer = _casbin()
    subjects = {s.id: _casbin_subject(s, ctx) for s in population.subjects}
    objects = {r.id: _casbin_object(r) for r in population.resources}
    casbin_times = []
    for s, a, r in picks[:5000]:
        start = time.perf_counter()
        enforcer.enforce(subjects[s.id], objects[r.id], a.value)
        casbin_times.append(time.perf_counter() - start)
    return {
        "cases": cases,
        "caveat_decide": _us(ours),
        "caveat_decide_fresh_context": _us(cold),
        "cedarpy_single_preparsed": _us(cedar_single),
        "cedarpy_batch_per_decision_us": round(batch_total / len(requests) * 1e6, 2),
        "pycasbin_abac_req1_to_5": _us(casbin_times),
    }


def _casbin() -> casbin.Enforcer:
    with tempfile.TemporaryDirectory() as tmp:
        model = Path(tmp) / "model.conf"
        model.write_text(_CASBIN_MODEL)
        enforcer = casbin.Enforcer(str(model))
    for action in Action:
        enforcer.add_policy(action.value)
    enforcer.add_function("within", lambda item, items: item in items)
    enforcer.add_function("covers", lambda have, need: need <= have)
    return enforcer


def _casbin_subject(s: Any, ctx: Context) -> _Attrs:
    f = ctx.facts(s)
    return _Attrs(
        ok=f.account_ok,
        levels=f.cleared_levels,
        nations=frozenset().union(*f.covering.values()),
        holdings=f.holdings,
        projects=f.projects,
        grants=f.access_grants,
    )


def _casbin_object(r: Any) -> _Attrs:
    facts = r.facts
    return _Attrs(
        rid=r.id,
        level=facts.common_level if facts else 99,
        releasable=frozenset() if facts is None or facts.rel_mode != "list" else facts.rel_codes,
        held=facts.held_caveats if facts else frozenset({"unlabelled"}),
        project=r.project_id,
    )


# listing at scale


@contextmanager
def _database(postgres_url: str | None) -> Iterator[str | None]:
    if postgres_url is None:
        yield None
        return
    base = make_url(postgres_url)
    name = f"caveat_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _populate(node: Node, rng: random.Random) -> list[str]:
    """Organisations, people, projects, memberships and the catalogue, by bulk insert."""
    engine = node.engine
    now = datetime.now(UTC)
    orgs = [
        (str(uuid.uuid4()), f"org-{n}-{i}", n)
        for i, n in enumerate(
            ["USA", "USA", "GBR", "GBR", "FRA", "DEU", "NOR", "AUS", "CAN", "NLD"]
        )
    ]
    projects = [str(uuid.uuid4()) for _ in range(PROJECTS)]
    templates = []
    for _ in range(400):
        label, _org = random_label(rng)
        if label.originator is None:
            continue
        facts = label_facts(label, SCHEMES)
        templates.append((label_to_canonical_json(label).decode(), label, facts))
    export = export_to_canonical_json(ExportClassification()).decode()
    with engine.begin() as conn:
        conn.execute(
            ResourceRow.metadata.tables["organisations"].insert(),
            [
                {
                    "id": i,
                    "name": n,
                    "short_name": n,
                    "nation": nat,
                    "kind": "industry",
                    "created_at": now,
                }
                for i, n, nat in orgs
            ],
        )
        conn.execute(
            ResourceRow.metadata.tables["projects"].insert(),
            [
                {"id": p, "name": f"project-{k}", "programme": None, "created_at": now}
                for k, p in enumerate(projects)
            ],
        )
        people = []
        for k in range(PEOPLE):
            oid, _, nat = rng.choice(orgs)
            people.append(
                {
                    "id": str(uuid.uuid4()),
                    "username": f"bench{k:05d}",
                    "display_name": "B",
                    "email": f"b{k}@example.org",
                    "organisation_id": oid,
                    "status": "active",
                    "password_hash": "x",
                    "password_changed_at": now,
                    "must_change_password": False,
                    "totp_secret": "x",
                    "totp_last_step": 0,
                    "mfa_enrolled_at": now,
                    "failed_logins": 0,
                    "hard_locked": False,
                    "clearance_level": rng.choice([2, 3, 3, 4]),
                    "clearance_name": "S",
                    "clearance_nation": nat,
                    "clearance_expires": date(2099, 1, 1),
                    "created_at": now,
                    "_nation": nat,
                }
            )
        conn.execute(
            ResourceRow.metadata.tables["people"].insert(),
            [{k: v for k, v in p.items() if k != "_nation"} for p in people],
        )
        conn.execute(
            ResourceRow.metadata.tables["person_nations"].insert(),
            [{"person_id": p["id"], "nation": p["_nation"], "kind": "citizen"} for p in people],
        )
        conn.execute(
            ResourceRow.metadata.tables["project_members"].insert(),
            [
                {"project_id": proj, "person_id": p["id"], "added_at": now, "expires_at": None}
                for p in people
                for proj in rng.sample(projects, rng.randint(1, 5))
            ],
        )
    org_by_nation: dict[str, list[str]] = {}
    for oid, _, nat in orgs:
        org_by_nation.setdefault(nat, []).append(oid)
    batch = 50_000
    for start in range(0, RESOURCES, batch):
        rows, rels, cavs = [], [], []
        for k in range(start, min(RESOURCES, start + batch)):
            label_json, label, facts = rng.choice(templates)
            rid = f"{k:08d}-{uuid.UUID(int=rng.getrandbits(128))}"[:36]
            nation = facts.originator_nation or "USA"
            rows.append(
                {
                    "id": rid,
                    "project_id": projects[k % PROJECTS],
                    "kind": "document",
                    "title": f"resource {k}",
                    "label_json": label_json,
                    "export_json": export,
                    "scheme": label.policy,
                    "classification": label.classification,
                    "common_level": facts.common_level,
                    "rel_mode": facts.rel_mode,
                    "originator_nation": facts.originator_nation,
                    "originator_org_id": rng.choice(org_by_nation.get(nation, [orgs[0][0]])),
                    "originator_controlled": facts.originator_controlled,
                    "created_at": now,
                }
            )
            rels += [{"resource_id": rid, "code": c} for c in facts.rel_codes]
            cavs += [{"resource_id": rid, "caveat": c} for c in facts.held_caveats]
        with engine.begin() as conn:
            conn.execute(insert(ResourceRow), rows)
            if rels:
                conn.execute(ResourceRow.metadata.tables["resource_releasability"].insert(), rels)
            if cavs:
                conn.execute(ResourceRow.metadata.tables["resource_caveats"].insert(), cavs)
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    return projects


def _listing(postgres_url: str | None, samples: int = 25) -> dict[str, Any]:
    with _database(postgres_url) as url, tempfile.TemporaryDirectory(prefix="caveat-bench-") as tmp:
        settings = Settings(
            data_dir=Path(tmp),
            hash_profile=HashProfile.TEST,
            node_name="bench",
            database_url=url,
            ledger_worker_seconds=0,
        )
        node, _ = init_node(settings, FirstOperator("operator", "Op", "o@b.example", "Ops", "GBR"))
        try:
            started = time.perf_counter()
            projects = _populate(node, random.Random(7))
            # One broad multilateral agreement, so cross-national sharing is possible at all.
            node.policy.agreements = MemoryAgreements(
                [
                    DatedAgreement(
                        AgreementTerms("bench-mou", "bench MoU", frozenset(projects), 4),
                        nations=frozenset({"USA", "GBR", "FRA", "DEU", "NOR", "AUS", "CAN", "NLD"}),
                    )
                ]
            )
            load_s = time.perf_counter() - started
            return {
                "load_seconds": round(load_s, 1),
                **_measure_listing(node, node.engine, samples),
            }
        finally:
            node.close()


def _ms(xs: list[float]) -> dict[str, float]:
    return {
        "median_ms": round(statistics.median(xs) * 1e3, 2),
        "p99_ms": round(percentile([x * 1e3 for x in xs], 99), 2),
    }


def _measure_listing(node: Node, engine: Engine, samples: int) -> dict[str, Any]:
    rng = random.Random(5)
    people = [p for p in node.people.list_people() if p.username.startswith("bench")]
    env = node.policy.environment()
    page_s, count_s, service_s, visible = [], [], [], []
    naive_rate = 0.0
    with node.uow.read() as session:
        for person in rng.sample(people, samples):
            subject = subject_of(session, person)
            facts = Context(datetime.now(UTC), datetime.now(UTC), env).facts(subject)
            postgres = engine.dialect.name == "postgresql"
            where = policy_listing.visible(subject, facts, Action.DISCOVER, env, postgres=postgres)
            start = time.perf_counter()
            session.execute(policy_listing.page_query(where, after=None, limit=50)).all()
            page_s.append(time.perf_counter() - start)
            start = time.perf_counter()
            visible.append(int(session.execute(policy_listing.count_query(where)).scalar_one()))
            count_s.append(time.perf_counter() - start)
        for person in rng.sample(people, 5):
            start = time.perf_counter()
            node.policy.list_visible(Principal(person=person, mfa_at=datetime.now(UTC)), limit=50)
            service_s.append(time.perf_counter() - start)
        # Naive: read every row, rebuild the label and decide; timed on a sample and scaled.
        person = people[0]
        subject = subject_of(session, person)
        ctx = Context(datetime.now(UTC), datetime.now(UTC), env)
        sample = 20_000
        start = time.perf_counter()
        rows = session.scalars(select(ResourceRow).limit(sample)).all()
        for row in rows:
            decide(subject, Action.DISCOVER, resource_of(row, node.policy.schemes), ctx)
        naive_rate = (time.perf_counter() - start) / len(rows)
    return {
        "resources": RESOURCES,
        "people": PEOPLE,
        "projects": PROJECTS,
        "visible_median": statistics.median(visible),
        "first_page_50": _ms(page_s),
        "exact_count": _ms(count_s),
        "service_list_visible_page_and_count": _ms(service_s),
        "naive_per_row_seconds_for_all": round(naive_rate * RESOURCES, 1),
    }


def run(postgres_url: str | None = None) -> dict[str, Any]:
    results: dict[str, Any] = {"single": single_decisions()}
    results["listing_sqlite"] = _listing(None)
    if postgres_url:
        results["listing_postgresql"] = _listing(postgres_url)
    write_result("policy", results)
    return results


if __name__ == "__main__":
    print(json.dumps(run(os.environ.get("CAVEAT_BENCH_POSTGRES_URL")), indent=2))
