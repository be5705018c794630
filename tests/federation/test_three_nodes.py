"""The federated demo for real: `caveat demo --federation --no-serve` seeds three nodes
(USA, GBR, FRA), and each runs as its own `caveat serve` process over HTTPS on loopback,
checking its partners' certificates against the demo CA, syncing in the background.
Through the API (the SDK), the USA security officer releases to the others: what an
agreement and the label allow arrives and is listed for GBR's reader in GBR's national
form; what they do not is refused with the failed requirements named; a node that was
down gets what waited for it when it comes back, once."""

from __future__ import annotations

import hashlib
import io
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from caveat.bootstrap.demo_federation import Federation, credentials, load
from caveat.client import CaveatClient
from caveat.domain.credentials import totp_code
from caveat.domain.errors import PermissionDenied
from caveat.services.demo_federation import (
    DEMO_PASSWORD,
    FILES,
    LICENSABLE,
    NATIONS,
    NOFORN,
    RELEASABLE_TO_GBR,
    TO_BOTH,
)
from tests.support import caveat_cli, caveat_env, die_with_parent, free_port

# Processes talking to each other over TLS: the same whatever the database.
pytestmark = [pytest.mark.slow, pytest.mark.one_database]

T = TypeVar("T")
WAIT = 60.0  # seconds, for a process to start or a sync to bring a package


@dataclass
class Running:
    """The seeded demo served by `caveat demo --federation` (its nodes' server pids by
    node code), and servers the test starts itself."""

    federation: Federation
    logs: Path
    demo: subprocess.Popen[bytes] | None = None
    under_demo: dict[str, int] = field(default_factory=dict)
    servers: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    clients: list[CaveatClient] = field(default_factory=list)
    tokens: dict[str, str] = field(default_factory=dict)

    def serve_demo(self) -> None:
        """`caveat demo --federation`, until it says the three nodes are up."""
        log_path = self.logs / "demo.log"
        with log_path.open("wb") as log:
            self.demo = subprocess.Popen(
                [
                    *(sys.executable, "-m", "caveat", "--data-dir", str(self.federation.root)),
                    *("demo", "--federation"),
                ],
                env=caveat_env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=die_with_parent,
            )
        demo = self.demo

        def up() -> bool:
            if demo.poll() is not None:
                pytest.fail(f"the demo ended:\n{log_path.read_text()}")
            return b"three nodes up" in log_path.read_bytes()

        _until(up, "the demo's three nodes")
        for child in _children(demo.pid):
            argv = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
            data_dir = Path(argv[argv.index(b"--data-dir") + 1].decode())
            self.under_demo[data_dir.name] = child
        assert sorted(self.under_demo) == ["fra", "gbr", "usa"]

    def stop_demo(self) -> int:
        """SIGTERM to `caveat demo --federation`: its exit status."""
        assert self.demo is not None
        self.demo.send_signal(signal.SIGTERM)
        return self.demo.wait(timeout=60)

    def start(self, code: str) -> None:
        """The node's server started by the test (as the demo starts it)."""
        node = self.federation.node(code)
        log_path = self.logs / f"{code}.log"
        with log_path.open("ab") as log:
            server = subprocess.Popen(
                self.federation.serve_command(node),
                env=self.federation.serve_env(caveat_env()),
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=die_with_parent,
            )
        self.servers[code] = server
        trusting = ssl.create_default_context(cafile=str(self.federation.ca))

        def up() -> bool:
            if server.poll() is not None:
                pytest.fail(f"{code} stopped:\n{log_path.read_text()}")
            try:
                return httpx.get(f"{node.url}/readyz", verify=trusting, timeout=2).is_success
            except httpx.HTTPError:
                return False

        _until(up, f"the {code} node to start")

    def stop(self, code: str) -> None:
        """SIGTERM to the node's server, wherever it was started; until it has ended."""
        if code in self.under_demo:
            pid = self.under_demo.pop(code)
            os.kill(pid, signal.SIGTERM)
            _until(lambda: _gone(pid), f"the {code} node to stop")
            return
        server = self.servers.pop(code)
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)

    def client(self, code: str, username: str, *, token: str | None = None) -> CaveatClient:
        """``username`` signed in to the node (the demo's password and TOTP secret), or
        a client with ``token`` (a session of theirs); closed with the processes."""
        node = self.federation.node(code)
        trusting = ssl.create_default_context(cafile=str(self.federation.ca))
        client = CaveatClient(node.url, token=token, transport=httpx.HTTPTransport(verify=trusting))
        self.clients.append(client)
        if token is None:
            secret = credentials(node)["people"][username]["totp_secret"]
            session = client.login(username, DEMO_PASSWORD, totp_code(secret, datetime.now(UTC)))
            self.tokens[username] = session["token"]
        return client


def _children(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(c) for c in text.split()]


def _gone(pid: int) -> bool:
    """Whether the process has ended (reaped, or a zombie waiting to be)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].startswith("Z")
    except FileNotFoundError:
        return True


def _three_free_ports() -> int:
    """A port with the next two free as well."""
    for _ in range(50):
        base = free_port()
        try:
            for port in (base + 1, base + 2):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port))
        except OSError:
            continue
        if base + 2 < 65536:
            return base
    raise AssertionError("no three consecutive free ports")


def _until(check: Callable[[], T | None], what: str) -> T:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.25)
    pytest.fail(f"waited {WAIT:.0f} s for {what}")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    root = tmp_path_factory.mktemp("federated") / "demo"
    caveat_cli(root, "demo", "--federation", "--no-serve", "--base-port", str(_three_free_ports()))
    federation = load(root)
    assert federation is not None
    running = Running(federation, root.parent)
    try:
        running.serve_demo()
        yield running
    finally:
        for client in running.clients:
            client.close()
        if running.demo is not None and running.demo.poll() is None:
            running.demo.kill()  # its nodes get SIGTERM from the kernel (die with parent)
            running.demo.wait(timeout=10)
        for code in list(running.servers):
            running.stop(code)


def _call(client: CaveatClient, method: str, path: str, **body: Any) -> Any:
    return client._call(method, f"/api/v1/federation{path}", json=body or None)


def _received(client: CaveatClient) -> list[dict[str, Any]]:
    return list(_call(client, "GET", "/received"))


def _sha256(title: str) -> str:
    [file] = [f for f in FILES if f.title == title]
    return hashlib.sha256(file.content()).hexdigest()


def test_the_federated_demo_releases_refuses_and_resumes(demo: Running) -> None:
    """One set of processes serves every step (starting them is most of the cost)."""
    usa = demo.federation.node("usa")
    # Seeding again changes nothing: the demo is made once.
    again = caveat_cli(usa.data_dir.parent, "demo", "--federation", "--no-serve")
    assert "using the existing federated demo" in again
    victor = demo.client("usa", "victor")
    hugh = demo.client("gbr", "hugh")
    sylvie = demo.client("fra", "sylvie")
    for node, officer in zip(demo.federation.nodes, (victor, hugh, sylvie), strict=True):
        assert (node.key.stat().st_mode & 0o777) == 0o600
        peers = _call(officer, "GET", "/peers")
        assert sorted(p["nation"] for p in peers) == sorted(
            n.nation for n in demo.federation.nodes if n is not node
        )
        assert all(p["status"] == "active" for p in peers)
        assert all(p["agreements"] == ["Tri-national Sensor Trials Agreement"] for p in peers)
        assert all(p["accredited_level"] == "secret" for p in peers)
        assert {p["recipient_organisation"] for p in peers} == {
            n.organisation for n in NATIONS if n.nation != node.nation
        }

    ids = {a.title: a.id for a in victor.artifacts.search().items}
    assert set(ids) >= {RELEASABLE_TO_GBR, NOFORN, LICENSABLE, TO_BOTH}

    # Released under the agreement: REL TO USA, GBR goes to GBR ...
    sent = _call(victor, "POST", "/peers/gbr-node/releases", artifact_id=ids[RELEASABLE_TO_GBR])
    assert sent["peer"] == "gbr-node"
    assert sent["content_sha256"] == _sha256(RELEASABLE_TO_GBR)
    # ... and is refused to FRA, NOFORN to anyone, the controlled item without a licence,
    # each with the requirements it fails.
    for peer, title, failing in (
        ("fra-node", RELEASABLE_TO_GBR, ["releasability"]),
        ("gbr-node", NOFORN, ["releasability"]),
        ("fra-node", LICENSABLE, ["export_authorization"]),
    ):
        with pytest.raises(PermissionDenied) as refused:
            _call(victor, "POST", f"/peers/{peer}/releases", artifact_id=ids[title])
        assert refused.value.code == "node_release_denied", title
        assert refused.value.data["failed"] == failing, (peer, title)

    # The GBR node's sync pulls it; GBR's security officer sees it in GBR's form.
    [arrived] = _until(lambda: _received(hugh), "the release to reach GBR")
    assert arrived["peer"] == "usa-node"
    assert arrived["origin_resource_id"] == ids[RELEASABLE_TO_GBR]
    assert arrived["content_sha256"] == _sha256(RELEASABLE_TO_GBR)
    assert arrived["banner"] == "SECRET//REL TO USA, GBR"
    assert arrived["viewer_banner"] == "//GBR SECRET//REL TO USA, GBR"
    # It became an artifact of GBR's trials project (the peering names it): a GBR
    # researcher opens it under GBR's policy, its label as received.
    bob = demo.client("gbr", "bob")
    held = io.BytesIO()
    bob.artifacts.download(arrived["artifact_id"], held)
    assert hashlib.sha256(held.getvalue()).hexdigest() == _sha256(RELEASABLE_TO_GBR)
    assert bob.artifacts.get(arrived["artifact_id"]).banner == "SECRET//REL TO USA, GBR"

    # GBR goes down; what is released to it meanwhile waits, and FRA is not held up.
    # (A server over TLS waits out asyncio's 30 s TLS shutdown for each idle keep-alive
    # connection a client holds open: close the reader's before stopping it.)
    hugh.close()
    bob.close()
    demo.stop("gbr")
    _call(victor, "POST", "/peers/gbr-node/releases", artifact_id=ids[TO_BOTH])
    _call(victor, "POST", "/peers/fra-node/releases", artifact_id=ids[TO_BOTH])
    [at_fra] = _until(lambda: _received(sylvie), "the release to reach FRA")
    assert at_fra["origin_resource_id"] == ids[TO_BOTH]  # never the GBR-only plan
    assert at_fra["viewer_banner"] == "//FRA SECRET//REL TO USA, FRA, GBR"

    # GBR comes back: its sync resumes from its cursor, and nothing is lost or twice.
    demo.start("gbr")
    hugh = demo.client("gbr", "hugh", token=demo.tokens["hugh"])  # the same session

    def two() -> list[dict[str, Any]] | None:
        found = _received(hugh)
        return found if len(found) >= 2 else None

    both = _until(two, "what waited to reach GBR")
    assert sorted(r["origin_resource_id"] for r in both) == sorted(
        [ids[RELEASABLE_TO_GBR], ids[TO_BOTH]]
    )
    # A later sync of GBR's link to USA succeeds and brings nothing again.
    seen = datetime.now(UTC)

    def synced_since() -> dict[str, Any] | None:
        [link] = [x for x in _call(hugh, "GET", "/links") if x["peer"] == "usa-node"]
        done = link["last_success_at"]
        return link if done and datetime.fromisoformat(done) > seen else None

    link = _until(synced_since, "GBR's next sync with USA")
    assert link["failures"] == 0
    assert link["last_error"] == ""
    after_sync = _received(hugh)
    assert len({r["id"] for r in after_sync}) == len(after_sync) == 2

    # SIGTERM (or Ctrl-C) to `caveat demo --federation` stops the nodes it started,
    # leaving no orphans (GBR's server now is the test's own).
    for client in demo.clients:  # (as for GBR above: no 30 s TLS shutdown each)
        client.close()
    left = list(demo.under_demo.values())
    assert len(left) == 2
    assert demo.stop_demo() == 0
    assert all(_gone(pid) for pid in left)
    trusting = ssl.create_default_context(cafile=str(demo.federation.ca))
    for code in ("usa", "fra"):
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{demo.federation.node(code).url}/healthz", verify=trusting, timeout=5)


def test_a_half_made_demo_is_refused_not_built_upon(tmp_path: Path) -> None:
    """A seeding that stopped part-way leaves nodes without peers: the next run says so
    instead of failing on the node already there."""
    (tmp_path / "demo" / "usa").mkdir(parents=True)
    done = subprocess.run(
        [
            *(sys.executable, "-m", "caveat", "--data-dir", str(tmp_path / "demo")),
            *("demo", "--federation", "--no-serve"),
        ],
        env=caveat_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 5, done.stderr + done.stdout
    assert "demo_incomplete" in done.stderr + done.stdout
    assert not (tmp_path / "demo" / "gbr").exists()
