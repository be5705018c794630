"""The artifact list page rendered by the server over 1,000,000 artifacts (issue 7).

``GET /artifacts`` (first page of 50, newest first; and a full-text search page) goes
through the whole web application: session cookie to principal, the policy's listing
query, labels parsed for portion marks and the banner roll-up, Jinja2 rendering. It
runs two ways over the same database:

1. in-process, through the ASGI app with Starlette's ``TestClient`` (no sockets);
2. through ``caveat serve`` (uvicorn, one worker) over loopback, one request at a time.

Peers in the same run, sampled interleaved with the page so that load on the machine
falls on all of them alike: the JSON API's search for the same page
(``GET /api/v1/artifacts?limit=50``), the bare service call
(``ArtifactSearch.search``, in-process only) and ``GET /healthz`` (the HTTP floor).

The catalogue, artifacts and search index are bulk-loaded by ``benchmarks.artifacts``.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

from benchmarks.artifacts import (
    PASSWORD,
    SEARCH_ROWS,
    _bulk,
    _drop_postgres,
    _free_port,
    _fresh_postgres,
    _researcher,
)
from benchmarks.common import machine, percentile, write_result
from caveat.api.deps import SESSION_COOKIE
from caveat.bootstrap.container import FirstOperator, Node, init_node
from caveat.bootstrap.logging import configure_logging
from caveat.bootstrap.settings import HashProfile, Settings
from caveat.domain.credentials import totp_code
from caveat.server import create_server
from caveat.services.artifacts._search import SearchQuery
from caveat.services.kernel.principal import ConsoleOperator, Principal
from caveat.services.kernel.uow import CallContext
from caveat.web.routes import artifacts as artifact_pages

ROUNDS = int(os.environ.get("CAVEAT_BENCH_WEB_ROUNDS", "300"))
WARMUP = 20
PAGE = 50
GOAL_P95_MS = 100.0
_ROW = re.compile(r'<a href="/artifacts/[0-9a-f-]{36}">')


@contextmanager
def loaded(database_url: str | None) -> Iterator[tuple[Node, Settings, Principal, str]]:
    """A node holding SEARCH_ROWS artifacts; its researcher's principal and session token."""
    with tempfile.TemporaryDirectory(prefix="caveat-weblist-") as tmp:
        url = None if database_url is None else _fresh_postgres(database_url)
        settings = Settings(
            data_dir=Path(tmp), hash_profile=HashProfile.TEST, node_name="bench",
            database_url=url, ledger_worker_seconds=0,
        )  # fmt: skip
        node, _ = init_node(
            settings,
            FirstOperator("operator", "Bench Operator", "ops@bench.example", "Bench Lab", "GBR"),
        )
        try:
            secret, org = _researcher(node)
            console, ctx = ConsoleOperator(), CallContext.cli()
            projects = [node.projects.get_project("Bench").id]
            for i in range(9):  # as the search benchmark: ten projects, five of them hers
                projects.append(node.projects.create_project(console, ctx, name=f"P{i}").id)
                if i < 4:
                    node.projects.add_member(console, ctx, f"P{i}", "rita")
            session = node.auth.login(
                CallContext("bench", "127.0.0.1"), username="rita", password=PASSWORD,
                otp=totp_code(secret, node.uow.clock()),
            )  # fmt: skip
            principal = node.auth.authenticate(CallContext(), session.token)
            started = time.perf_counter()
            _bulk(node, org, principal.person_id, projects)
            print(f"loaded {SEARCH_ROWS:,} artifacts in {time.perf_counter() - started:.0f} s")
            yield node, settings, principal, session.token
        finally:
            node.close()
            if url is not None:
                _drop_postgres(database_url or "", url)


def _interleaved(calls: dict[str, Callable[[], None]]) -> dict[str, dict[str, float]]:
    """Median, p95, p99 and max in ms of each call, sampled round-robin."""
    for _ in range(WARMUP):
        for fn in calls.values():
            fn()
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(ROUNDS):
        for name, fn in calls.items():
            started = time.perf_counter_ns()
            fn()
            samples[name].append((time.perf_counter_ns() - started) / 1e6)
    return {
        name: {
            "n": len(s),
            "median_ms": round(statistics.median(s), 2),
            "p95_ms": round(percentile(s, 95), 2),
            "p99_ms": round(percentile(s, 99), 2),
            "max_ms": round(max(s), 2),
        }
        for name, s in samples.items()
    }


def _page_check(html: str) -> None:
    rows = len(_ROW.findall(html))
    assert rows == PAGE, f"the page lists {rows} artifacts, not {PAGE}"
    assert 'rel="next"' in html


def _calls(get: Callable[[str], httpx.Response]) -> dict[str, Callable[[], None]]:
    def page(path: str) -> Callable[[], None]:
        def call() -> None:
            response = get(path)
            assert response.status_code == 200, response.status_code
            _page_check(response.text)

        return call

    def api(path: str) -> Callable[[], None]:
        def call() -> None:
            response = get(path)
            assert response.status_code == 200, response.status_code
            assert len(response.json()["items"]) == PAGE

        return call

    def healthz() -> None:
        assert get("/healthz").status_code == 200

    return {
        "web_browse": page("/artifacts"),
        "api_browse": api(f"/api/v1/artifacts?limit={PAGE}"),
        "web_text": page("/artifacts?q=hypersonic"),
        "api_text": api(f"/api/v1/artifacts?q=hypersonic&limit={PAGE}"),
        "healthz": healthz,
    }


def _ratios(t: dict[str, dict[str, float]]) -> dict[str, float]:
    """Median of the page over the median of each peer of the same query."""
    pairs = [("api", "browse"), ("api", "text"), ("service", "browse"), ("service", "text")]
    return {
        f"web_to_{peer}_{query}": round(
            t[f"web_{query}"]["median_ms"] / t[f"{peer}_{query}"]["median_ms"], 2
        )
        for peer, query in pairs
        if f"{peer}_{query}" in t
    }


def in_process(node: Node, principal: Principal, token: str) -> dict[str, Any]:
    """The ASGI app in this process through TestClient, beside the bare service call."""
    find = node.artifact_search.search

    def service(text: str | None) -> Callable[[], None]:
        def call() -> None:
            assert len(find(principal, SearchQuery(text=text, limit=PAGE)).items) == PAGE

        return call

    configure_logging(json=True, level="WARNING")  # as the server below: no line per request
    with TestClient(create_server(node)) as client:
        client.cookies.set(SESSION_COOKIE, token)
        calls = _calls(client.get)
        calls["service_browse"] = service(None)
        calls["service_text"] = service("hypersonic")
        timings = _interleaved(calls)
    return {"mode": "in-process ASGI (Starlette TestClient)", **timings, "ratios": _ratios(timings)}


def through_uvicorn(settings: Settings, token: str) -> dict[str, Any]:
    """``caveat serve`` with one uvicorn worker, loopback, one request at a time."""
    port = _free_port()
    env = {
        **os.environ, "CAVEAT_DATA_DIR": str(settings.data_dir), "CAVEAT_HASH_PROFILE": "test",
        "CAVEAT_LOG_LEVEL": "WARNING", "CAVEAT_LEDGER_WORKER_SECONDS": "0",
    }  # fmt: skip
    if settings.database_url is not None:
        env["CAVEAT_DATABASE_URL"] = settings.database_url.get_secret_value()
    server = subprocess.Popen(
        [sys.executable, "-m", "caveat", "serve", "--port", str(port), "--workers", "1"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=30) as client:
            for _ in range(300):
                try:
                    if client.get("/readyz").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
            client.cookies.set(SESSION_COOKIE, token)
            timings = _interleaved(_calls(client.get))
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {
        "mode": "caveat serve: uvicorn, 1 worker, loopback, sequential httpx keep-alive client",
        **timings,
        "ratios": _ratios(timings),
    }


def measure(database_url: str | None) -> dict[str, Any]:
    """Both modes over one freshly loaded database."""
    with loaded(database_url) as (node, settings, principal, token):
        result: dict[str, Any] = {
            "rows": SEARCH_ROWS,
            "page_size": PAGE,
            "asgi": in_process(node, principal, token),
        }
        node.close()  # the server opens its own
        result["uvicorn"] = through_uvicorn(settings, token)
    for mode in ("asgi", "uvicorn"):
        result[mode]["goal_p95_met"] = all(
            result[mode][k]["p95_ms"] <= GOAL_P95_MS for k in ("web_browse", "web_text")
        )
    return result


def run(postgres_url: str | None = None) -> dict[str, Any]:
    """SQLite always; PostgreSQL too when a URL is given."""
    assert artifact_pages.PAGE_SIZE == PAGE, "the list page's size changed"
    result: dict[str, Any] = {"machine": machine(), "goal_p95_ms": GOAL_P95_MS}
    result["sqlite"] = measure(None)
    if postgres_url:
        result["postgresql"] = measure(postgres_url)
    write_result("web_list", result)
    return result


if __name__ == "__main__":
    import json

    print(json.dumps(run(os.environ.get("CAVEAT_BENCH_POSTGRES_URL")), indent=2))
