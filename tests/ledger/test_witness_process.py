"""A partner node in a second process cosigns our checkpoints and refuses a forked one.

The partner is a real `caveat serve` on its own data directory; it is told to witness
our log through its CLI, and we ask it through the C2SP tlog-witness endpoint.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from caveat.api.app import create_app
from caveat.bootstrap.container import Node, open_node
from caveat.bootstrap.settings import HashProfile, Settings
from caveat.client import CaveatClient
from caveat.domain.errors import NotFound, PermissionDenied
from caveat.domain.identity import Role
from caveat.domain.ledger import open_checkpoint, verifier_from_vkey
from caveat.services.kernel.principal import ConsoleOperator
from caveat.services.kernel.uow import CallContext
from caveat.services.ledger import EventFilter
from caveat.services.ledger._witness import request_body
from tests.ledger.support import add_events, execute
from tests.support import (
    PASSWORD,
    FakeClock,
    Scenario,
    caveat_cli,
    die_with_parent,
    free_port,
)

# The subject is the transport between two processes, the same whatever the database:
# run on SQLite only (each starts processes, a minute of CI on PostgreSQL).
pytestmark = pytest.mark.one_database


@pytest.fixture
def partner(tmp_path: Path, node: Node) -> Iterator[tuple[Path, str, str]]:
    """A second node serving on a free port that witnesses our log: (dir, url, vkey)."""
    data = tmp_path / "partner"
    caveat_cli(data, "init", "--nation", "FRA", "--node-name", "partner-node", "--json")
    caveat_cli(data, "audit", "witness", "trust-log", node.ledger.verifier().vkey)
    keys = json.loads(caveat_cli(data, "audit", "keys", "--json"))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAVEAT_")}
    server = subprocess.Popen(
        [sys.executable, "-m", "caveat", "--data-dir", str(data), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=die_with_parent,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        # A minute, as for the TLS partner: a loaded CI machine takes tens of seconds.
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("the partner node did not start")
                time.sleep(0.2)
        yield data, url, keys["witness_vkey"]
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_partner_cosigns_and_refuses_a_fork(node: Node, partner: tuple[Path, str, str]) -> None:
    data, url, witness_vkey = partner
    console, ctx = ConsoleOperator(), CallContext.cli()
    node.witnesses.add_witness(console, ctx, vkey=witness_vkey, url=url)

    # 1. First contact (old size 0), then growth with a consistency proof.
    add_events(node, 30)
    assert [o.status for o in node.witnesses.request_cosignatures(console, ctx)] == ["cosigned"]
    add_events(node, 50)
    [outcome] = node.witnesses.request_cosignatures(console, ctx)
    assert outcome.status == "cosigned", outcome.detail
    latest = node.ledger.latest_checkpoint()
    assert latest is not None
    assert latest.cosigners == ("partner-node",)
    cosigned = open_checkpoint(
        latest.note,
        origin=node.ledger.origin,
        log_verifier=node.ledger.verifier(),
        cosigners=[verifier_from_vkey(witness_vkey)],
    )
    assert len(cosigned.cosignatures) == 1
    report = node.ledger_verifier.verify()
    report.require_ok()
    assert report.cosignatures == 2

    # 2. A stale old size gets 409 with the size the partner knows.
    stale = httpx.post(
        f"{url}/add-checkpoint",
        content=request_body(0, [], node.witnesses._bare_note(latest)),
        headers={"content-type": "text/plain"},
    )
    assert stale.status_code == 409
    assert stale.headers["content-type"].startswith("text/x.tlog.size")
    assert stale.text == f"{latest.size}\n"

    # 3. Rewrite history (a split view) and ask again: the partner refuses it.
    execute(
        node.engine,
        "UPDATE events SET body = replace(body, :a, :b) WHERE leaf_index = 5",
        a='"n":',
        b='"n":9',
    )
    execute(node.engine, "DELETE FROM ledger_nodes")
    execute(node.engine, "UPDATE events SET leaf_index = NULL")
    add_events(node, 5)
    [refused] = node.witnesses.request_cosignatures(console, ctx)
    assert refused.status == "refused"
    assert "HTTP 422" in refused.detail
    [alert] = node.monitoring.alerts(console)
    assert alert.rule == "witness_refused"
    assert alert.subject_id == "partner-node"

    # The partner kept the refusal in its own ledger (read through its services: the
    # audit explorer of the CLI is a signed-in auditor's).
    partner_node = open_node(
        Settings(
            data_dir=data,
            database_url=f"sqlite:///{data / 'caveat.db'}",
            hash_profile=HashProfile.TEST,
        )
    )
    try:
        found = partner_node.audit.search(
            ConsoleOperator(), EventFilter(action="ledger.checkpoint_witnessed")
        )
    finally:
        partner_node.close()
    outcomes = [e.outcome for e in found.entries]
    assert outcomes == ["denied", "success", "success"]


def test_an_officer_configures_and_asks_one_witness_through_the_api(
    node: Node, clock: FakeClock, partner: tuple[Path, str, str]
) -> None:
    _, url, witness_vkey = partner
    world = Scenario(node, clock)
    http = TestClient(create_app(node), raise_server_exceptions=False)
    officer = world.person("grace", roles=(Role.SECURITY_OFFICER,))
    client = CaveatClient("http://testserver", http=http)
    client.login("grace", PASSWORD, world.code(officer))
    added = client.add_witness(witness_vkey, url)
    assert added["name"] == "partner-node"
    assert client.witnesses() == [added]
    add_events(node, 10)
    [outcome] = client.request_cosignatures("partner-node")
    assert outcome["status"] == "cosigned", outcome["detail"]
    assert client.witnesses()[0]["last_size"] == outcome["size"]
    with pytest.raises(NotFound) as unknown:
        client.request_cosignatures("nobody")
    assert unknown.value.code == "unknown_witness"
    researcher = world.person("rita")
    world.clock.advance(seconds=30)
    other = CaveatClient("http://testserver", http=TestClient(http.app))  # its own cookies
    other.login("rita", PASSWORD, world.code(researcher))
    with pytest.raises(PermissionDenied):
        other.request_cosignatures()
    with pytest.raises(PermissionDenied):
        other.witnesses()  # partner addresses and keys are for operators, officers, auditors
    assert len(client.witnesses()) == 1
