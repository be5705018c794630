"""Paging through STIX objects over TAXII 2.1, beside OASIS's medallion (issue 20).

What is measured is real HTTP paging: OASIS's ``taxii2-client`` (``as_pages`` over
``Collection.get_objects``, the same page size for both servers) walks a whole collection
of STIX 2.1 indicators, one request at a time over loopback keep-alive, and times each
page from the request to the parsed envelope.

- **Caveat**: ``caveat serve`` (uvicorn, one worker) on SQLite, and on PostgreSQL too when
  ``CAVEAT_BENCH_POSTGRES_URL`` is set. Every page is filtered by the policy inside the
  query (ADR 0023) and is one ``taxii.objects_read`` ledger event. Four readers of the same
  collection: a US SECRET researcher who may read everything, a British SECRET researcher
  (no NOFORN: 3/4), a US CONFIDENTIAL researcher (1/2) and the first researcher's API token
  over HTTP Basic (no second factor, so unclassified only: 1/4). The objects carry four
  labels in turn (``MARKINGS``), so those fractions are exact, and each walk is checked
  to return exactly the objects the reader's fraction names. Before the timed walks the
  server answers ``WARMUP_PAGES`` untimed pages. After them, in-process on the same
  database: every page's query alone (``fetch_page``) with each reader's READ clause and
  with TRUE in its place, which is the policy filter's own cost, and the whole service
  call (query, STIX JSON with markings, the ledger event) per page.
- **Peer**: medallion 3.0 (OASIS's reference TAXII 2.1 server; Flask's own server, as its
  ``medallion`` command runs it) with its memory backend holding the same objects, each
  with the ``object_marking_refs`` Caveat writes on it, and the same ``date_added`` order.
  It has no per-object access control: its one user reads everything.

Population. Adding through the TAXII endpoint costs a catalogue registration per version
(about 170 objects/s), so the collection is filled in bulk: one object per label is added
through ``TaxiiService.add_objects`` (the strict STIX import, the policy's
``label_above_reader`` check, ``CatalogueService.register_in``), then every other object
gets copies of its label's rows written by SQL: the ``resources`` row (the label and the
facts the policy's query reads) with its ``resource_releasability`` / ``resource_caveats``
/ ``resource_controls`` rows, and a ``taxii_objects`` row whose content is the object's
RFC 8785 JSON as the import stores it (checked against the four added through the
service) and whose ``date_added`` is one microsecond after the previous. No ledger events
are written for the copies. Then ANALYZE.

medallion's memory backend sorts and filters the whole collection on the first page of a
walk in quadratic time (``BasicFilter.filter_by_spec_version`` compares every object with
every other; ``sort_and_paginate`` finds each manifest entry's object by a linear scan,
parsing timestamps) and deep-copies the collection on every request, so it is measured
beside Caveat (SQLite, the reader who sees everything) at ``PEER_SIZES`` where it answers,
and at the full size for ``PEER_BUDGET_S`` seconds (``CAVEAT_BENCH_TAXII_PEER_BUDGET``);
then it is stopped.

    python -m benchmarks.taxii                                    # 100,000 objects
    CAVEAT_BENCH_TAXII_OBJECTS=10000 python -m benchmarks.taxii   # a quick run
    # CAVEAT_BENCH_TAXII_PAGE: the page size (100); CAVEAT_BENCH_POSTGRES_URL: PostgreSQL too

Results: ``benchmarks/results/taxii.json``.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
import requests.auth
from sqlalchemy import ColumnElement, Connection, insert, select, text, true
from taxii2client.v21 import Collection, as_pages  # type: ignore[import-untyped]

from benchmarks.common import machine, percentile, write_result
from benchmarks.ledger import fresh_database
from benchmarks.load import _start_server, _stop_server
from caveat.adapters.db.models.policy import (
    ResourceCaveatRow,
    ResourceControlRow,
    ResourceGrantRow,
    ResourceReleaseRow,
    ResourceRow,
)
from caveat.adapters.db.models.taxii import TaxiiObjectRow
from caveat.bootstrap.container import FirstOperator, Node, init_node, open_node
from caveat.bootstrap.settings import HashProfile, Settings
from caveat.domain.credentials import totp_code
from caveat.domain.identity import Clearance, CommonLevel, OrganisationKind, Role
from caveat.domain.labels import TLP, Label, parse_marking
from caveat.domain.permissions import Scope
from caveat.domain.stix import (
    LabelledObject,
    label_marking_id,
    marked_objects,
    stix_object,
    tlp_marking_id,
)
from caveat.services.intel import Filters
from caveat.services.intel._query import fetch_page, reader
from caveat.services.kernel.principal import ConsoleOperator, Principal
from caveat.services.kernel.uow import CallContext

SIZE = int(os.environ.get("CAVEAT_BENCH_TAXII_OBJECTS", "100000"))
PAGE = int(os.environ.get("CAVEAT_BENCH_TAXII_PAGE", "100"))
PEER_SIZES = (1_000, 2_000, 4_000)
WARMUP_PAGES = 20
PEER_BUDGET_S = float(os.environ.get("CAVEAT_BENCH_TAXII_PEER_BUDGET", "180"))
PASSWORD = "violet-harbour-lantern-42"
PEER_LOGIN = {"user": "bench", "password": "bench"}  # medallion's one user
MEDIA_STIX = "application/stix+json;version=2.1"
# Object n carries MARKINGS[n % 4]; who reads which is the policy's decision.
MARKINGS = (
    "UNCLASSIFIED",
    "CONFIDENTIAL//REL TO USA, GBR",
    "SECRET//REL TO USA, GBR",
    "SECRET//NOFORN",
)
# reader: (the markings they may read, by index, and how they authenticate)
READERS: dict[str, tuple[frozenset[int], str]] = {
    "alice": (frozenset({0, 1, 2, 3}), "session"),  # USA, SECRET
    "gwen": (frozenset({0, 1, 2}), "session"),  # GBR, SECRET: no NOFORN
    "carol": (frozenset({0, 1}), "session"),  # USA, CONFIDENTIAL
    "alice-token": (frozenset({0}), "api token"),  # no second factor: unclassified
}
_TICK = timedelta(microseconds=1)
_CHILDREN = (ResourceReleaseRow, ResourceCaveatRow, ResourceControlRow)


class Bearer(requests.auth.AuthBase):
    """A Caveat session token as a bearer token (taxii2-client's ``auth=``)."""

    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers["Authorization"] = f"Bearer {self.token}"
        return r


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stix_id(n: int) -> str:
    """Object n's id (a UUIDv4 form: version 4, RFC 4122 variant)."""
    return f"indicator--{uuid.UUID(int=n + 1, version=4)}"


def indicator(n: int) -> dict[str, Any]:
    """Object n's STIX properties, without markings, in the stix2 library's own form (as
    the import stores them: ``pattern_version`` filled in, ``valid_from`` to the second)."""
    moment = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=n)
    created = moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": stix_id(n),
        "created": created,
        "modified": created,
        "name": f"Indicator {n}",
        "description": f"Beacon to a staging host seen in campaign {n % 97}",
        "indicator_types": ["malicious-activity"],
        "pattern": f"[ipv4-addr:value = '198.51.{n // 250 % 256}.{n % 250 + 1}']",
        "pattern_type": "stix",
        "pattern_version": "2.1",
        "valid_from": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


# --- Caveat ----------------------------------------------------------------------------


@dataclass
class Loaded:
    """A populated node's data directory and database, its collection, the readers'
    credentials (taxii2-client keyword arguments) and how long loading took."""

    data_dir: Path
    database_url: str | None
    collection: str
    credentials: dict[str, dict[str, Any]]
    tokens: dict[str, str]  # each reader's session or API token
    load_s: float


def _person(node: Node, org: str, username: str, nation: str, level: CommonLevel) -> str:
    console, ctx = ConsoleOperator(), CallContext.cli()
    account = node.people.create_person(
        console, ctx, username=username, display_name=username.title(),
        email=f"{username}@bench.example", organisation=org, citizenships=[nation],
        roles=[Role.RESEARCHER], clearance=Clearance(level, level.name, nation, date(2035, 1, 1)),
        password=PASSWORD,
    )  # fmt: skip
    return account.mfa.totp_secret


def _sign_in(node: Node, username: str, secret: str) -> tuple[str, Principal]:
    session = node.auth.login(
        CallContext("bench", "127.0.0.1"), username=username, password=PASSWORD,
        otp=totp_code(secret, node.uow.clock()),
    )  # fmt: skip
    return session.token, node.auth.authenticate(CallContext(), session.token)


def _labels(node: Node) -> list[Label]:
    groups, today = node.registry.directory(), node.uow.clock().date()
    return [parse_marking(m, groups=groups, on=today) for m in MARKINGS]


def _clone(conn: Connection, templates: list[str], size: int, start: datetime) -> None:
    """Objects 4..size-1 as copies of the catalogue rows of object n % 4 (see the module
    docstring), in batches."""
    columns = [c.name for c in ResourceRow.__table__.columns]
    copied = [c for c in columns if c not in ("id", "title")]
    resources = text(
        f"INSERT INTO resources ({', '.join(['id', 'title', *copied])}) "  # noqa: S608 (column names from the model)
        f"SELECT :id, :title, {', '.join(copied)} FROM resources WHERE id = :template"
    )
    children = []
    for model in _CHILDREN:
        table = model.__tablename__
        names = [c.name for c in model.__table__.columns if c.name != "resource_id"]
        children.append(
            text(
                f"INSERT INTO {table} (resource_id, {', '.join(names)}) "  # noqa: S608 (names from the models)
                f"SELECT :id, {', '.join(names)} FROM {table} WHERE resource_id = :template"
            )
        )
    template_rows = {
        row.id: row for row in conn.execute(select(TaxiiObjectRow.__table__).where(
            TaxiiObjectRow.id.in_(templates)))
    }  # fmt: skip
    batch = 10_000
    for first in range(len(templates), size, batch):
        numbers = range(first, min(size, first + batch))
        ids = {n: str(uuid.UUID(int=(1 << 64) + n, version=4)) for n in numbers}
        pairs = [{"id": ids[n], "template": templates[n % 4]} for n in numbers]
        conn.execute(
            resources,
            [{**p, "title": f"Indicator {n}"} for n, p in zip(numbers, pairs, strict=True)],
        )
        for statement in children:
            conn.execute(statement, pairs)
        rows = []
        for n in numbers:
            template = template_rows[templates[n % 4]]
            stix = stix_object(indicator(n))
            assert stix.modified is not None
            rows.append({
                "id": ids[n], "collection_id": template.collection_id, "object_id": stix.id,
                "type": stix.type, "spec_version": "2.1", "version": stix.modified,
                "date_added": start + n * _TICK, "content": stix.content.decode(),
                "added_by": template.added_by,
            })  # fmt: skip
        conn.execute(insert(TaxiiObjectRow), rows)


@contextmanager
def loaded(size: int, database_url: str | None) -> Iterator[Loaded]:
    """A node in a temporary directory whose one collection holds ``size`` objects."""
    with (
        tempfile.TemporaryDirectory(prefix="caveat-taxii-") as tmp,
        fresh_database(database_url) as url,
    ):
        settings = Settings(
            data_dir=Path(tmp), hash_profile=HashProfile.TEST, node_name="bench",
            database_url=url, ledger_worker_seconds=0,
        )  # fmt: skip
        node, _ = init_node(
            settings,
            FirstOperator("operator", "Bench Operator", "ops@bench.example", "Bench Lab", "GBR"),
        )
        try:
            started = time.perf_counter()
            console, ctx = ConsoleOperator(), CallContext.cli()
            org = node.registry.create_organisation(
                console, ctx, name="Air Force Research Laboratory", short_name="AFRL",
                nation="USA", kind=OrganisationKind.GOVERNMENT_LABORATORY,
            ).id  # fmt: skip
            secrets = {
                "alice": _person(node, org, "alice", "USA", CommonLevel.SECRET),
                "gwen": _person(node, org, "gwen", "GBR", CommonLevel.SECRET),
                "carol": _person(node, org, "carol", "USA", CommonLevel.CONFIDENTIAL),
            }
            project = node.projects.create_project(console, ctx, name="Cyber threats").id
            for who in secrets:
                node.projects.add_member(console, ctx, project, who)
            collection = node.taxii.create_collection(
                console, ctx, project=project, title="Indicators"
            ).id
            credentials: dict[str, dict[str, Any]] = {}
            tokens: dict[str, str] = {}
            principals: dict[str, Principal] = {}
            for who, secret in secrets.items():
                tokens[who], principals[who] = _sign_in(node, who, secret)
                credentials[who] = {"auth": Bearer(tokens[who])}
            issued = node.tokens.create(
                principals["alice"], ctx, name="feed", scopes=[Scope.READ],
                lifetime=timedelta(days=1),
            )  # fmt: skip
            credentials["alice-token"] = {"user": "alice", "password": issued.secret}
            tokens["alice-token"] = issued.secret
            # One object per label through the service: the rows every other one copies.
            labels = _labels(node)
            first = [LabelledObject(stix_object(indicator(n)), labels[n]) for n in range(4)]
            body = json.dumps({"objects": marked_objects(first, schemes=node.policy.schemes)})
            status = node.taxii.add_objects(principals["alice"], ctx, collection, body.encode())
            assert len(status.successes) == 4, status.failures
            with node.engine.begin() as conn:
                stored = {
                    row.object_id: row
                    for row in conn.execute(select(TaxiiObjectRow.__table__))
                }  # fmt: skip
                templates = [stored[stix_id(n)].id for n in range(4)]
                for n in range(4):  # the bulk content is what the import stores
                    assert stored[stix_id(n)].content == stix_object(indicator(n)).content.decode()
                grants = conn.execute(
                    select(ResourceGrantRow.id).where(ResourceGrantRow.resource_id.in_(templates))
                ).first()
                assert grants is None, "the templates carry grants: copy them too"
                start = max(row.date_added for row in stored.values()) + _TICK
                _clone(conn, templates, size, start - 4 * _TICK)
            with node.engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE")
            load_s = time.perf_counter() - started
        finally:
            node.close()
        yield Loaded(Path(tmp), url, collection, credentials, tokens, load_s)


def marking_refs(label: Label) -> list[str]:
    """The ``object_marking_refs`` Caveat writes on an object under ``label``."""
    return sorted([label_marking_id(label), *(tlp_marking_id(c) for c in label.values(TLP))])


# --- the client: one walk through a collection -----------------------------------------


def walk(collection: Collection, pages: int | None = None) -> dict[str, Any]:
    """Every page of ``collection`` through ``as_pages`` (the first ``pages`` only, when
    given); per-page times in ms."""
    # Before the clock starts: the collection's own GET, and one object by id (Caveat
    # imports the STIX library on its first read of content; medallion has it loaded).
    collection.refresh()
    collection.get_object(stix_id(0))
    times: list[float] = []
    ids: list[str] = []
    started = last = time.perf_counter()
    for envelope in as_pages(collection.get_objects, per_request=PAGE):
        now = time.perf_counter()
        times.append((now - last) * 1000)
        ids.extend(o["id"] for o in envelope.get("objects", []))
        last = now
        if pages is not None and len(times) >= pages:
            break
    total = time.perf_counter() - started
    assert len(ids) == len(set(ids)), "an object came twice"
    return {
        "objects": len(ids),
        "pages": len(times),
        "seconds": round(total, 2),
        "objects_per_s": round(len(ids) / total, 1),
        "first_page_ms": round(times[0], 1),
        "p50_ms": round(statistics.median(times), 1),
        "p99_ms": round(percentile(times, 99), 1),
        "max_ms": round(max(times), 1),
        "ids": ids,
    }


def _caveat_walks(loaded: Loaded, size: int) -> dict[str, Any]:
    """Each reader walks the collection once through a fresh ``caveat serve``."""
    log = loaded.data_dir / "serve.log"
    server, url = _start_server(loaded.data_dir, loaded.database_url, 1, log)
    try:
        base = f"{url}/taxii2/caveat/collections/{loaded.collection}/"
        # Untimed: the first pages of a walk, so that no reader pays the server's warm-up.
        walk(Collection(base, **loaded.credentials["alice"]), pages=WARMUP_PAGES)
        out: dict[str, Any] = {}
        for who, (readable, how) in READERS.items():
            walked = walk(Collection(base, **loaded.credentials[who]))
            expected = {stix_id(n) for n in range(size) if n % 4 in readable}
            assert set(walked.pop("ids")) == expected, f"{who} did not read what the policy gives"
            out[who] = {"reads": f"{len(readable)}/4 of the objects", "auth": how, **walked}
        return out
    finally:
        _stop_server(server)


def _ms(samples: list[float]) -> dict[str, float]:
    return {
        "pages": len(samples),
        "p50_ms": round(statistics.median(samples), 2),
        "p99_ms": round(percentile(samples, 99), 2),
        "total_s": round(sum(samples) / 1000, 2),
    }


def sql_pages(loaded: Loaded) -> dict[str, Any]:
    """The policy filter alone: every page's query in-process (``fetch_page``, as the
    server runs it, one read transaction per page), for each reader with their READ
    clause, and once with the clause replaced by TRUE (no policy: every version); and the
    whole service call per page for the reader who may read everything."""
    settings = Settings(
        data_dir=loaded.data_dir, hash_profile=HashProfile.TEST, database_url=loaded.database_url,
        ledger_worker_seconds=0,
    )  # fmt: skip
    node = open_node(settings)
    try:
        clauses: dict[str, ColumnElement[bool]] = {}
        for who in READERS:
            principal = node.auth.authenticate(CallContext(), loaded.tokens[who])
            with node.uow.read() as session:
                clauses[who] = reader(session, node.policy, principal, node.uow.clock()).visible
        clauses["no policy (TRUE)"] = true()
        out: dict[str, Any] = {}
        for name, visible in clauses.items():
            filters, samples, rows = Filters(limit=PAGE), [], 0
            while True:
                started = time.perf_counter()
                with node.uow.read() as session:
                    page, more = fetch_page(
                        session, visible, loaded.collection, filters, content=True
                    )
                samples.append((time.perf_counter() - started) * 1000)
                rows += len(page)
                if not more:
                    break
                filters = replace(filters, after=page[-1].date_added)
            out[name] = {"objects": rows, **_ms(samples)}
        # The whole service call for the reader who sees everything: the query, the STIX
        # JSON with its markings and the page's ledger event (HTTP and the client aside).
        principal = node.auth.authenticate(CallContext(), loaded.tokens["alice"])
        filters, samples, rows = Filters(limit=PAGE), [], 0
        while True:
            started = time.perf_counter()
            got = node.taxii.objects(principal, CallContext.cli(), loaded.collection, filters)
            samples.append((time.perf_counter() - started) * 1000)
            rows += len(got.items)
            if not got.more:
                break
            filters = replace(filters, after=got.items[-1].date_added)
        out["alice: TaxiiService.objects"] = {"objects": rows, **_ms(samples)}
        return out
    finally:
        node.close()


# --- the peer: medallion with its memory backend ---------------------------------------


@contextmanager
def medallion(size: int, labels: list[Label]) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """medallion serving ``size`` objects from its memory backend: the collection's URL
    and the server's process."""
    port = _free_port()
    root = f"http://127.0.0.1:{port}/caveat/"
    start = datetime(2026, 2, 1, tzinfo=UTC)
    refs = [marking_refs(label) for label in labels]
    objects, manifest = [], []
    for n in range(size):
        item = {**indicator(n), "object_marking_refs": refs[n % 4]}
        objects.append(item)
        manifest.append({
            "id": item["id"], "date_added": (start + n * _TICK).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "version": item["modified"], "media_type": MEDIA_STIX,
        })  # fmt: skip
    collection = str(uuid.uuid4())
    data = {
        "/discovery": {"title": "medallion", "default": root, "api_roots": [root]},
        "caveat": {
            "information": {
                "title": "peer", "versions": ["application/taxii+json;version=2.1"],
                "max_content_length": 16 * 2**20,
            },
            "status": [],
            "collections": [{
                "id": collection, "title": "Indicators", "can_read": True, "can_write": False,
                "media_types": [MEDIA_STIX], "objects": objects, "manifest": manifest,
            }],
        },
    }  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="medallion-") as tmp:
        (Path(tmp) / "data.json").write_text(json.dumps(data))
        config = {
            "backend": {
                "module": "medallion.backends.memory_backend",
                "module_class": "MemoryBackend",
                "filename": str(Path(tmp) / "data.json"),
            },
            "users": {PEER_LOGIN["user"]: PEER_LOGIN["password"]},
            "taxii": {"max_page_size": PAGE},
        }
        (Path(tmp) / "config.json").write_text(json.dumps(config))
        server = subprocess.Popen(
            [sys.executable, "-m", "medallion.scripts.run", "--port", str(port),
             str(Path(tmp) / "config.json")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            url = f"{root}collections/{collection}/"
            deadline = time.monotonic() + 120
            while True:
                try:
                    Collection(url, **PEER_LOGIN).refresh()
                    break
                except requests.ConnectionError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError("medallion did not start") from None
                    time.sleep(0.2)
            yield url, server
        finally:
            server.terminate()
            server.wait(timeout=30)


def _peer_walk(size: int, labels: list[Label], budget: float | None) -> dict[str, Any]:
    """medallion's walk of ``size`` objects; with a budget, given up (the server stopped)
    once it has taken that long."""
    with medallion(size, labels) as (url, server):
        timer = threading.Timer(budget or 0, server.terminate)
        if budget is not None:
            timer.start()
        started = time.perf_counter()
        try:
            walked = walk(Collection(url, **PEER_LOGIN))
        except requests.ConnectionError:
            return {
                "objects": 0,
                "given_up_after_s": round(time.perf_counter() - started, 1),
                "note": "no first page within the budget; the server was stopped",
            }
        finally:
            timer.cancel()
    assert walked.pop("ids") == [stix_id(n) for n in range(size)]
    return walked


# --- the run -----------------------------------------------------------------------------


def _loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def run(postgres_url: str | None = None, size: int = SIZE) -> dict[str, Any]:
    """Caveat on SQLite (and PostgreSQL) at ``size``; medallion beside it."""
    result: dict[str, Any] = {
        "machine": machine(),
        "objects": size,
        "page_size": PAGE,
        "client": "taxii2-client 2.3 as_pages(Collection.get_objects), one request at a time",
        "caveat_server": "caveat serve --workers 1 (uvicorn), loopback",
        "peer_server": "medallion 3.0, memory backend, Flask's server (medallion's command)",
        "loadavg_before": _loadavg(),
    }
    databases: dict[str, str | None] = {"sqlite": None}
    if postgres_url:
        databases["postgresql"] = postgres_url
    for name, url in databases.items():
        with loaded(size, url) as node:
            result[f"caveat_{name}"] = {"load_s": round(node.load_s, 1)}
            result[f"caveat_{name}"].update(_caveat_walks(node, size))
            result[f"caveat_{name}"]["sql_pages"] = sql_pages(node)
        print(f"caveat {name}: {json.dumps(result[f'caveat_{name}'])}", flush=True)
    with scratch_labels() as labels:
        sizes = [s for s in PEER_SIZES if s < size]
        ladder: dict[str, Any] = {}
        for peer_size in sizes:
            with loaded(peer_size, None) as node:
                caveat = _caveat_walks(node, peer_size)["alice"]
            peer = _peer_walk(peer_size, labels, None)
            ladder[str(peer_size)] = {
                "caveat_sqlite_alice": caveat,
                "medallion": peer,
                "ratio_objects_per_s": round(caveat["objects_per_s"] / peer["objects_per_s"], 2),
            }
            print(f"ladder {peer_size}: {json.dumps(ladder[str(peer_size)])}", flush=True)
        result["same_size_ladder"] = ladder
        peer = _peer_walk(size, labels, PEER_BUDGET_S)
        result["medallion"] = peer
        print(f"medallion {size}: {json.dumps(peer)}", flush=True)
    alice = result["caveat_sqlite"]["alice"]
    if peer.get("objects"):
        result["ratio_objects_per_s"] = round(alice["objects_per_s"] / peer["objects_per_s"], 2)
    # The policy filter's cost: each reader's HTTP page and rate beside the reader who may
    # read everything, and each reader's page query beside the same query without it.
    result["policy_filter"] = {}
    for name in databases:
        walks = result[f"caveat_{name}"]
        sql = walks["sql_pages"]
        result["policy_filter"][name] = {
            who: {
                "http_p50_page_vs_alice": round(walks[who]["p50_ms"] / walks["alice"]["p50_ms"], 2),
                "http_objects_per_s_vs_alice": round(
                    walks[who]["objects_per_s"] / walks["alice"]["objects_per_s"], 2
                ),
                "sql_p50_page_vs_no_policy": round(
                    sql[who]["p50_ms"] / sql["no policy (TRUE)"]["p50_ms"], 2
                ),
            }
            for who in READERS
        }
    result["loadavg_after"] = _loadavg()
    write_result("taxii", result)
    return result


@contextmanager
def scratch_labels() -> Iterator[list[Label]]:
    """MARKINGS as labels, read on a throwaway node (the peer's objects carry the same
    marking references as Caveat's)."""
    with tempfile.TemporaryDirectory(prefix="caveat-labels-") as tmp:
        settings = Settings(data_dir=Path(tmp), hash_profile=HashProfile.TEST, node_name="b")
        node, _ = init_node(
            settings,
            FirstOperator("operator", "Bench Operator", "ops@bench.example", "Bench Lab", "GBR"),
        )
        try:
            yield _labels(node)
        finally:
            node.close()


if __name__ == "__main__":
    print(json.dumps(run(os.environ.get("CAVEAT_BENCH_POSTGRES_URL")), indent=2))
