"""A large artifact catalogue written in set-based SQL, for plan tests and benchmarks.

Rows come from a recursive CTE (SQLite) or ``generate_series`` (PostgreSQL) in one
``INSERT ... SELECT`` per table, so a million rows take seconds, not a Python loop per
row. Artifact ``n`` (0-based) is in project ``n % len(projects)``, carries label variant
``n % 5`` and words chosen by ``n`` as in the search benchmark of issue 4, so full-text
queries hit known fractions: "hypersonic" is 1 artifact in 47, "graphene nozzle" rarer.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import Connection, text

from caveat.bootstrap.container import Node
from caveat.domain.credentials import totp_code
from caveat.domain.identity import Clearance, CommonLevel, OrganisationKind, Role
from caveat.domain.labels import Originator, label_to_canonical_json, parse_banner
from caveat.domain.policy import label_facts
from caveat.services.kernel.principal import ConsoleOperator, Principal
from caveat.services.kernel.uow import CallContext

WORDS = (
    "hypersonic scramjet radar telemetry sled plasma inlet thermal lidar sonar gnss "
    "antenna turbine composite ceramic ablation guidance seeker datalink waveform "
    "propellant nozzle combustor payload fairing avionics gyroscope magnetometer "
    "spectrum jamming decoy stealth coating infrared optics laser fibre cryogenic "
    "battery fuelcell hydrogen kerosene graphene titanium aluminium carbon nitride"
).split()
VARIANTS = (
    "SECRET//REL TO USA, GBR",
    "SECRET//NOFORN",
    "CONFIDENTIAL//REL TO USA, FVEY",
    "TOP SECRET//NOFORN",
    "UNCLASSIFIED",
)
PASSWORD = "violet-harbour-lantern-42"
PROJECTS = 10  # the researcher is a member of the first five (Bench, P0-P3)
EXPORT = '{"dual_use":false,"entries":[],"version":"caveat.export/1"}'


@dataclass(frozen=True, slots=True)
class Catalogue:
    """Who browses and where the rows went."""

    principal: Principal
    org: str
    projects: tuple[str, ...]  # ids, in the order rows are dealt out


def researcher(node: Node) -> Catalogue:
    """A SECRET-cleared US researcher, signed in, a member of half of ten projects."""
    console, ctx = ConsoleOperator(), CallContext.cli()
    org = node.registry.create_organisation(
        console, ctx, name="Air Force Research Laboratory", nation="USA",
        kind=OrganisationKind.GOVERNMENT_LABORATORY,
    ).id  # fmt: skip
    account = node.people.create_person(
        console, ctx, username="rita", display_name="Rita", email="rita@afrl.example",
        organisation=org, citizenships=["USA"], roles=[Role.RESEARCHER],
        clearance=Clearance(CommonLevel.SECRET, "SECRET", "USA", date(2035, 1, 1)),
        password=PASSWORD,
    )  # fmt: skip
    projects = []
    for i in range(PROJECTS):
        name = "Bench" if i == 0 else f"P{i - 1}"
        projects.append(node.projects.create_project(console, ctx, name=name).id)
        if i < PROJECTS // 2:
            node.projects.add_member(console, ctx, name, "rita")
    session = node.auth.login(
        CallContext("bench", "127.0.0.1"), username="rita", password=PASSWORD,
        otp=totp_code(account.mfa.totp_secret, node.uow.clock()),
    )  # fmt: skip
    principal = node.auth.authenticate(CallContext(), session.token)
    return Catalogue(principal, org, tuple(projects))


def _variants(node: Node) -> list[dict[str, object]]:
    env, schemes = node.policy.environment(), node.policy.schemes
    out = []
    for k, banner in enumerate(VARIANTS):
        label = parse_banner(banner, groups=env.groups, on=date.today(), schemes=schemes)
        label = replace(label, originator=Originator("AFRL", "USA"))
        facts = label_facts(label, schemes)
        out.append({
            "k": k, "banner": banner, "label_json": label_to_canonical_json(label).decode(),
            "scheme": label.policy, "classification": label.classification,
            "common_level": facts.common_level, "rel_mode": facts.rel_mode,
            "nation": facts.originator_nation, "controlled": facts.originator_controlled,
            "codes": sorted(facts.rel_codes),
        })  # fmt: skip
    return out


def _values(rows: list[tuple[object, ...]], prefix: str) -> tuple[str, dict[str, object]]:
    """A VALUES list with every value bound (names ``prefix`` + row + column)."""
    params: dict[str, object] = {}
    tuples = []
    for i, row in enumerate(rows):
        names = []
        for j, value in enumerate(row):
            params[f"{prefix}{i}_{j}"] = value
            names.append(f":{prefix}{i}_{j}")
        tuples.append(f"({', '.join(names)})")
    return "VALUES " + ", ".join(tuples), params


def populate(node: Node, catalogue: Catalogue, rows: int, *, analyze: bool = True) -> None:
    """Write ``rows`` labelled artifacts (catalogue, artifact, label and search rows)."""
    sqlite = node.engine.dialect.name == "sqlite"
    variants = _variants(node)
    v_sql, params = _values(
        [
            (v["k"], v["banner"], v["label_json"], v["scheme"], v["classification"],
             v["common_level"], v["rel_mode"], v["nation"], v["controlled"])
            for v in variants
        ],
        "v",
    )  # fmt: skip
    p_sql, p_params = _values([(i, p) for i, p in enumerate(catalogue.projects)], "p")
    w_sql, w_params = _values([(i, w) for i, w in enumerate(WORDS)], "w")
    c_sql, c_params = _values(
        [(v["k"], code) for v in variants for code in v["codes"]],  # type: ignore[attr-defined]
        "c",
    )
    params |= p_params | w_params | c_params
    params |= {
        "rows": rows, "org": catalogue.org, "person": catalogue.principal.person_id,
        "node": node.identity.id, "nproj": len(catalogue.projects), "export": EXPORT,
    }  # fmt: skip
    if sqlite:
        series = (
            "s(n) AS (SELECT 0 WHERE :rows > 0 UNION ALL SELECT n + 1 FROM s WHERE n + 1 < :rows)"
        )
        rid = "printf('00000000-0000-0000-0000-%012x', s.n + 1)"
        lid = "printf('00000000-0000-0000-0001-%012x', s.n + 1)"
        created = "strftime('%Y-%m-%d %H:%M:%f000', '2020-01-01', '+' || s.n || ' minutes')"
    else:
        series = "s(n) AS (SELECT generate_series(0, CAST(:rows AS bigint) - 1))"
        rid = "'00000000-0000-0000-0000-' || lpad(to_hex(s.n + 1), 12, '0')"
        lid = "'00000000-0000-0000-0001-' || lpad(to_hex(s.n + 1), 12, '0')"
        created = "TIMESTAMPTZ '2020-01-01 00:00:00+00' + s.n * INTERVAL '1 minute'"
    ctes = (
        f"WITH RECURSIVE {series}, "
        f"v(k, banner, label_json, scheme, classification, common_level, rel_mode, nation,"
        f" controlled) AS ({v_sql}), p(i, id) AS ({p_sql}), w(i, w) AS ({w_sql}), "
        f"c(k, code) AS ({c_sql}) "
    )
    # Column expressions per artifact n; the word choices are those of issue 4's benchmark.
    title = (
        "(SELECT w FROM w WHERE i = s.n % 47) || ' ' || (SELECT w FROM w WHERE i = s.n * 7 % 43)"
        " || ' run ' || CAST(s.n AS TEXT)"
    )
    summary = (
        "(SELECT w FROM w WHERE i = s.n * 13 % 41) || ' measurements of '"
        " || (SELECT w FROM w WHERE i = s.n * 3 % 37)"
    )
    keywords = (
        "(SELECT w FROM w WHERE i = s.n * 11 % 31) || ' ' "
        "|| (SELECT w FROM w WHERE i = s.n * 5 % 29)"
    )
    project = "(SELECT id FROM p WHERE i = s.n % :nproj)"
    statements = [
        f"INSERT INTO resources (id, project_id, kind, title, label_json, export_json, scheme,"  # noqa: S608 (our own fragments; values are bound)
        f" classification, common_level, rel_mode, originator_nation, originator_org_id,"
        f" originator_controlled, created_at) "
        f"{ctes}SELECT {rid}, {project}, 'dataset', {title}, v.label_json, :export, v.scheme,"
        f" v.classification, v.common_level, v.rel_mode, v.nation, :org, v.controlled, {created}"
        f" FROM s JOIN v ON v.k = s.n % 5",
        f"INSERT INTO resource_releasability (resource_id, code) "  # noqa: S608 (our own fragments; values are bound)
        f"{ctes}SELECT {rid}, c.code FROM s JOIN c ON c.k = s.n % 5",
        "INSERT INTO artifacts (seq, id, project_id, kind, title, summary, keywords,"  # noqa: S608 (our own fragments; values are bound)
        " originating_org_id, originating_node_id, created_by, created_at, latest_version,"
        " label_seq) "
        + ("" if sqlite else "OVERRIDING SYSTEM VALUE ")
        + f"{ctes}SELECT s.n + 1, {rid}, {project}, 'dataset', {title}, {summary}, {keywords},"  # noqa: S608 (our own fragments; values are bound)
        f" :org, :node, :person, {created}, 1, 1 FROM s",
        f"INSERT INTO artifact_labels (id, artifact_id, seq, label_json, export_json, banner,"  # noqa: S608 (our own fragments; values are bound)
        f" created_by, created_at) "
        f"{ctes}SELECT {lid}, {rid}, 1, v.label_json, :export, v.banner, :person, {created}"
        f" FROM s JOIN v ON v.k = s.n % 5",
    ]
    if sqlite:
        statements.append(
            "INSERT INTO artifact_fts (rowid, artifact_id, title, summary, keywords) "
            "SELECT seq, id, title, summary, keywords FROM artifacts"
        )
    with node.engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement), params)
        if not sqlite:
            conn.exec_driver_sql(
                "SELECT setval(pg_get_serial_sequence('artifacts', 'seq'),"
                " (SELECT coalesce(max(seq), 0) + 1 FROM artifacts), false)"
            )
    if analyze:
        with node.engine.begin() as conn:
            refresh_statistics(conn)


def refresh_statistics(conn: Connection) -> None:
    """ANALYZE, as the node's maintenance does after bulk changes."""
    conn.exec_driver_sql("ANALYZE")


def explain(conn: Connection, statement: Any, *, analyze: bool = False) -> list[str]:
    """The plan of ``statement`` with its own bound values, one line per step:
    SQLite's ``EXPLAIN QUERY PLAN`` details, PostgreSQL's ``EXPLAIN`` text."""
    compiled = statement.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.construct_params()
    sql = str(compiled)
    if conn.dialect.name == "sqlite":
        values = tuple(params[name] for name in compiled.positiontup)
        processors = compiled._bind_processors
        values = tuple(
            processors[name](v) if name in processors else v
            for name, v in zip(compiled.positiontup, values, strict=True)
        )
        rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, values).all()
        return [str(r[3]) for r in rows]
    options = "ANALYZE, COSTS OFF, TIMING OFF" if analyze else "COSTS OFF"
    rows = conn.exec_driver_sql(f"EXPLAIN ({options}) " + sql, params).all()
    return [str(r[0]) for r in rows]
