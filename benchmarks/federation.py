"""Federation between two real nodes on loopback (issue 18), beside its peer in the same run.

Two nodes of `caveat demo --federation --no-serve` (USA and GBR: their own SQLite
databases, keys, certificates from the demo CA, peered both ways under the demo
agreement). On the USA node, its researcher uploads ``ITEMS`` small items (1 KiB) and one
large one (``CONTENT_MIB``) and its security officer releases each to the GBR node, which
packages it (OpenTDF, ADR 0022) into the GBR node's outbox; then the USA node serves as
`caveat serve` over TLS (one uvicorn worker) and the GBR node, in this process, pulls
through ``PeerReleases.pull`` over HTTPS: every request signed (RFC 9421), every package
checked (signature, binding, key unwrap, label, provenance, releasability), decrypted and
kept with its ``peer.received`` event, a page's packages in one transaction.

- metadata sync: items/s for the small items, pulled as the sync loop pulls them (pages
  of ``PULL_BATCH``, the next asked for while one is kept), from the first request
  to the last item kept;
- content release: MB/s of plaintext for the large item, pull to kept;
- the fixed cost of one sync round with nothing to take (signed hello, a cosignature of
  our checkpoint, an empty pull);
- release (the sender's side): items/s and MB/s packaging into the outbox, in process;
- memory: this process's (the receiver's) RSS, and the server's RSS and high-water mark,
  before and after.

The peer: the same uvicorn, the same certificate, serving the very bytes each pull
carried (each outbox page's body, binary frames since ADR 0019's addendum, written to
a file) as static files (``benchmarks/federation_peer.py``), fetched with httpx over
HTTPS: no signing, no encryption, no database. The ratio is Caveat's rate over the
peer's.

Run: ``PYTHONPATH=$PWD python -m benchmarks.federation`` (``CAVEAT_BENCH_FED_ITEMS``,
default 500; ``CAVEAT_BENCH_FED_MIB``, default 32; at most 64, the package cap, and at
least 17, so that the large item is a page of its own: a page holds 16 MiB).
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from benchmarks.common import write_result
from caveat.adapters.db.models.federation import PeerOutboxRow, PeerRow
from caveat.adapters.tdf import schema_errors
from caveat.bootstrap.container import Node, open_node
from caveat.bootstrap.demo_federation import Federation, load
from caveat.bootstrap.settings import Settings
from caveat.services.artifacts import NewArtifact
from caveat.services.demo_federation import PROJECT
from caveat.services.federation import PULL_BATCH, outbox_frames
from caveat.services.kernel.principal import ConsoleOperator, Principal
from caveat.services.kernel.uow import CallContext

ITEMS = int(os.environ.get("CAVEAT_BENCH_FED_ITEMS", "500"))
CONTENT_MIB = min(64, max(17, int(os.environ.get("CAVEAT_BENCH_FED_MIB", "32"))))
ITEM_BYTES = 1024
LABEL = "CONFIDENTIAL//REL TO USA, FRA, GBR"
MiB = 2**20
CONSOLE = ConsoleOperator()


def _rss(pid: int | str = "self", field: str = "VmRSS") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1]) * 1024
    raise RuntimeError(field)


def _mib(n: int) -> float:
    return round(n / MiB, 1)


def _three_free_ports() -> int:
    """A port with the next two free as well (the demo's nodes take three in a row)."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            base = int(s.getsockname()[1])
        try:
            for port in (base, base + 1, base + 2):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port))
        except OSError:
            continue
        if base + 2 < 65536:
            return base
    raise RuntimeError("no three consecutive free ports")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(federation: Federation) -> dict[str, str]:
    env = federation.serve_env(dict(os.environ))
    env["CAVEAT_FEDERATION_SYNC_SECONDS"] = "3600"  # the server pulls nothing meanwhile
    env["CAVEAT_LOG_LEVEL"] = "WARNING"
    return env


def _wait(url: str, trusting: ssl.SSLContext, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"{url} ended with {server.returncode}")
        try:
            if httpx.get(f"{url}/readyz", verify=trusting, timeout=2).is_success:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} never answered")


def _stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=10)


def _node(federation: Federation, code: str) -> Node:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAVEAT_")}
    os.environ.clear()
    os.environ.update(env)  # each node its own database, whatever the shell says
    return open_node(
        Settings(
            data_dir=federation.node(code).data_dir,
            federation_ca_bundle=str(federation.ca),
            federation_timeout_seconds=120,  # a shared, loaded machine
        )
    )


def _person(node: Node, username: str) -> Principal:
    return Principal(person=node.people.get_person(username), mfa_at=node.uow.clock())


def release_side(federation: Federation) -> dict[str, Any]:
    """Upload and release to GBR: ITEMS small items, then one large one."""
    usa = _node(federation, "usa")
    ctx = CallContext.cli()
    try:
        alice, victor = _person(usa, "alice"), _person(usa, "victor")

        def upload(title: str, data: bytes) -> str:
            digest = hashlib.sha256(data).hexdigest()
            status = usa.artifacts.begin_upload(
                alice,
                ctx,
                new=NewArtifact(project=PROJECT, kind="dataset", title=title, label=LABEL),
                filename=f"{title}.bin",
                media_type="application/octet-stream",
                size=len(data),
                sha256=digest,
            )
            usa.artifacts.put_content(alice, ctx, status.id, [data], sha256=digest)
            return status.artifact_id

        small = [upload(f"bench item {i}", os.urandom(ITEM_BYTES)) for i in range(ITEMS)]
        large = upload("bench content", os.urandom(CONTENT_MIB * MiB))
        started = time.perf_counter()
        for artifact in small:
            usa.federation_releases.send(victor, ctx, "gbr-node", artifact)
        small_s = time.perf_counter() - started
        started = time.perf_counter()
        sent = usa.federation_releases.send(victor, ctx, "gbr-node", large)
        large_s = time.perf_counter() - started
        # The server starts with its log integrated and monitored, as a node in steady
        # state does (else its ledger worker judges the release's thousands of events
        # while the pull runs, holding the database's write lock for seconds).
        usa.ledger.integrate()
        usa.ledger.publish_now()
        usa.monitoring.scan(ctx)
        return {
            "items": ITEMS,
            "item_bytes": ITEM_BYTES,
            "items_per_s": round(ITEMS / small_s, 1),
            "content_mib": CONTENT_MIB,
            "content_mb_per_s": round(CONTENT_MIB * MiB / large_s / 1e6, 1),
            "content_package_bytes": sent.package_bytes,
        }
    finally:
        usa.close()


def peer_files(federation: Federation, into: Path) -> tuple[int, int]:
    """Each outbox page the pull will carry, as the USA node answers it, into files:
    (pages, bytes of the small items' pages)."""
    usa = _node(federation, "usa")
    try:
        with usa.uow.read() as session:
            gbr = session.scalar(select(PeerRow.id).where(PeerRow.name == "gbr-node"))
            rows = list(
                session.scalars(
                    select(PeerOutboxRow)
                    .where(PeerOutboxRow.peer_id == gbr)
                    .order_by(PeerOutboxRow.peer_seq)
                )
            )
            *small, large = rows
            total = 0
            pages = 0
            for start in range(0, len(small), PULL_BATCH):
                body = outbox_frames(small[start : start + PULL_BATCH])
                (into / f"page-{pages}").write_bytes(body)
                total += len(body)
                pages += 1
            (into / "content").write_bytes(outbox_frames([large]))
            return pages, total
    finally:
        usa.close()


def caveat_pull(federation: Federation) -> dict[str, Any]:
    """The GBR node pulls everything from the USA node's server, then syncs idle."""
    gbr = _node(federation, "gbr")
    ctx = CallContext.cli()
    try:
        with gbr.uow.read() as session:
            usa = session.scalar(select(PeerRow.id).where(PeerRow.name == "usa-node"))
        assert usa is not None
        pull = gbr.federation_releases.pull
        # The schema validator is compiled once per process (ADR 0034): a sync worker
        # in steady state has it, so it is built before the clock starts.
        schema_errors({})
        rss_before = _rss()
        started = time.perf_counter()
        kept = 0
        while kept < ITEMS:  # as a sync pulls: the pages in one call, the next one asked
            # for while this one is kept; as many pages as the small items fill
            got = pull(ctx, usa, pages=-(-(ITEMS - kept) // PULL_BATCH))
            if not got:
                raise RuntimeError(f"the pull stopped after {kept} items")
            kept += got
        small_s = time.perf_counter() - started
        rss_small = _rss()
        started = time.perf_counter()
        if pull(ctx, usa) != 1:
            raise RuntimeError("the large item was not kept")
        large_s = time.perf_counter() - started
        rss_large = _rss()
        idle = _median_s(lambda: gbr.federation_sync.sync_now(CONSOLE, ctx, "usa-node"), 5)
        return {
            "items_per_s": round(ITEMS / small_s, 1),
            "items_s": round(small_s, 2),
            "content_mb_per_s": round(CONTENT_MIB * MiB / large_s / 1e6, 1),
            "content_s": round(large_s, 2),
            "idle_sync_ms": round(idle * 1000, 1),
            "receiver_rss_mib": {
                "before": _mib(rss_before),
                "after_items": _mib(rss_small),
                "after_content": _mib(rss_large),
            },
        }
    finally:
        gbr.close()


def _median_s(fn: Callable[[], object], n: int) -> float:
    times = []
    for _ in range(n):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return sorted(times)[n // 2]


def peer_pull(url: str, trusting: ssl.SSLContext, pages: int) -> dict[str, Any]:
    """The same bytes from the static peer with httpx, one request per page, then the
    large page streamed."""
    with httpx.Client(verify=trusting, timeout=60) as client:
        client.get(f"{url}/readyz")  # the connection, as the node's transport keeps one
        started = time.perf_counter()
        for n in range(pages):
            client.get(f"{url}/page/{n}").raise_for_status()
        small_s = time.perf_counter() - started
        started = time.perf_counter()
        with client.stream("GET", f"{url}/content") as answer:
            answer.raise_for_status()
            received = b"".join(answer.iter_bytes())
        large_s = time.perf_counter() - started
    return {
        "items_per_s": round(ITEMS / small_s, 1),
        "items_s": round(small_s, 3),
        "content_mb_per_s": round(CONTENT_MIB * MiB / large_s / 1e6, 1),
        "content_wire_bytes": len(received),
        "content_s": round(large_s, 3),
    }


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="caveat-fed-bench-") as tmp:
        root = Path(tmp) / "demo"
        started = time.perf_counter()
        subprocess.run(
            [
                *(sys.executable, "-m", "caveat", "--data-dir", str(root)),
                *("demo", "--federation", "--no-serve", "--base-port", str(_three_free_ports())),
            ],
            check=True,
            capture_output=True,
        )
        federation = load(root)
        assert federation is not None
        print(f"seeded in {time.perf_counter() - started:.0f} s", flush=True)
        releasing = release_side(federation)
        print("release", releasing, flush=True)
        files = Path(tmp) / "peer"
        files.mkdir()
        pages, page_bytes = peer_files(federation, files)
        trusting = ssl.create_default_context(cafile=str(federation.ca))
        usa = federation.node("usa")
        server = subprocess.Popen(
            federation.serve_command(usa),
            env=_env(federation),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait(usa.url, trusting, server)
            server_before = _rss(server.pid)
            caveat = caveat_pull(federation)
            server_after = _rss(server.pid)
            server_peak = _rss(server.pid, "VmHWM")
        finally:
            _stop(server)
        print("caveat", caveat, flush=True)
        port = _free_port()
        peer = subprocess.Popen(
            [
                *(sys.executable, "-m", "uvicorn", "benchmarks.federation_peer:app"),
                *("--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"),
                *("--ssl-certfile", str(usa.cert), "--ssl-keyfile", str(usa.key)),
            ],
            env={**os.environ, "CAVEAT_PEER_DIR": str(files)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait(f"https://127.0.0.1:{port}", trusting, peer)
            plain = peer_pull(f"https://127.0.0.1:{port}", trusting, pages)
        finally:
            _stop(peer)
        print("peer", plain, flush=True)
    result = {
        "setup": {
            "items": ITEMS,
            "item_bytes": ITEM_BYTES,
            "content_mib": CONTENT_MIB,
            "pages": pages,
            "page_bytes_total": page_bytes,
            "transport": "HTTPS on loopback, one uvicorn worker, SQLite on both nodes",
        },
        "goals": {"metadata_items_per_s": 1000, "content_mb_per_s": 100},
        "release": releasing,
        "caveat": caveat,
        "server_rss_mib": {
            "before": _mib(server_before),
            "after": _mib(server_after),
            "peak": _mib(server_peak),
        },
        "peer": plain,
        "ratio": {
            "metadata": round(caveat["items_per_s"] / plain["items_per_s"], 3),
            "content": round(caveat["content_mb_per_s"] / plain["content_mb_per_s"], 3),
        },
    }
    print(json.dumps(result, indent=2))
    print(write_result("federation", result))


if __name__ == "__main__":
    main()
