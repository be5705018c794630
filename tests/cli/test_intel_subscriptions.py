"""`caveat intel subscription add | list | show | poll | remove`, and the SDK beneath it,
over real HTTP: the subscribing node serves its API on loopback, the partner (a second
Caveat node) serves TAXII on another port; the CLI signs in to the first as paula
(programme manager), carol (researcher) or eve (no member of the project)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from caveat.adapters.db.models.taxii import TaxiiSubscriptionRow
from caveat.bootstrap.container import FirstOperator, Node, init_node
from caveat.bootstrap.settings import HashProfile, Settings
from caveat.cli import main as cli_main
from caveat.client import CaveatClient
from caveat.domain.errors import NotFound, PermissionDenied
from caveat.domain.taxii_feeds import credentials
from caveat.services.intel import Subscription
from caveat.services.kernel.uow import CallContext
from tests.intel.support import (
    MARKINGS,
    Population,
    envelope,
    indicator,
    label,
    populate,
    serving,
)
from tests.support import FakeClock, die_with_parent, migrated_sqlite

LOG_LINE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \[")
CTX = CallContext("test", "10.0.0.1")
ALLOWED = "CONFIDENTIAL//REL TO USA, GBR"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Loopback partners over HTTP (tests only); no background poll races the test's."""
    return settings.model_copy(
        update={"taxii_unsafe_local_endpoints": True, "taxii_poll_seconds": 0}
    )


@pytest.fixture
def partner(tmp_path: Path, clock: FakeClock) -> Iterator[Population]:
    node, _ = init_node(
        Settings(
            data_dir=tmp_path / "partner",
            database_url=migrated_sqlite(tmp_path / "partner.db"),
            hash_profile=HashProfile.TEST,
            node_name="partner-node",
        ),
        FirstOperator("operator", "Olive", "olive@partner.example", "Partner Ops", "GBR"),
        clock=clock,
    )
    try:
        yield populate(node, clock)
    finally:
        node.close()


@pytest.fixture
def local(node: Node, partner: Population, clock: FakeClock) -> Population:
    return populate(node, clock)


@pytest.fixture
def feed(partner: Population) -> Iterator[str]:
    """The partner's collection URL, with eight indicators under the four markings."""
    items = [(indicator(n), MARKINGS[n % len(MARKINGS)]) for n in range(8)]
    body = json.dumps(envelope(partner.node, items)).encode()
    partner.node.taxii.add_objects(partner.principal("alice"), CTX, partner.collection, body)
    with serving(partner.node) as base:
        yield f"{base}/taxii2/caveat/collections/{partner.collection}/"


@pytest.fixture
def url(local: Population) -> Iterator[str]:
    with serving(local.node) as base:
        yield base


class Cli:
    """The CLI signed in to the local node's server as one person."""

    def __init__(self, url: str, local: Population, config: Path) -> None:
        self.url, self.local, self.config = url, local, config

    def run(self, who: str, *args: str, env: dict[str, str] | None = None) -> Any:
        (self.config / "credentials.json").write_text(
            json.dumps({"server": self.url, "username": who, "token": self.local.tokens[who]})
        )
        return CliRunner().invoke(
            cli_main.app,
            list(args),
            env={"CAVEAT_CONFIG_DIR": str(self.config), "COLUMNS": "250", **(env or {})},
        )

    def json(self, who: str, *args: str, env: dict[str, str] | None = None) -> Any:
        result = self.run(who, *args, "--json", env=env)
        assert result.exit_code == 0, result.output
        lines = [line for line in result.stdout.splitlines() if not LOG_LINE.match(line)]
        return json.loads("\n".join(lines))


@pytest.fixture
def cli(url: str, local: Population, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    # The CLI's console reads COLUMNS when it is first imported, which in a shared test
    # worker may be before this test: give it the width the tables need here.
    from caveat.cli import output

    monkeypatch.setattr(output.out, "_width", 250)
    return Cli(url, local, tmp_path)


def test_add_list_show_poll_remove(
    cli: Cli, local: Population, partner: Population, feed: str
) -> None:
    secret = partner.tokens["alice"]
    made = cli.json(
        "paula",
        "intel", "subscription", "add", feed,
        "--collection", local.collection, "--label", ALLOWED, "--auth", "bearer",
        "--every", "600",
        env={"CAVEAT_TAXII_SECRET": secret},
    )  # fmt: skip
    assert (made["url"], made["label"], made["auth"], made["state"]) == (
        feed, ALLOWED, "bearer", "new",
    )  # fmt: skip
    assert made["interval_seconds"] == 600
    assert secret not in json.dumps(made)

    polled = cli.json("paula", "intel", "subscription", "poll", made["id"])
    assert (polled["error"], polled["ingested"], polled["refused"]) == ("", 6, 2)
    assert polled["caught_up"] is True

    # carol, a member who may not subscribe, sees the status all the same.
    [listed] = cli.json("carol", "intel", "subscription", "list")
    assert (listed["id"], listed["state"], listed["ingested"], listed["refused"]) == (
        made["id"], "ok", 6, 2,
    )  # fmt: skip
    assert listed["last_success_at"] is not None
    assert listed["next_poll_at"] is not None
    shown = cli.json("carol", "intel", "subscription", "show", made["id"])
    assert len(shown["last_refusals"]) == 2
    assert all(r["reason"].startswith("marked_wider") for r in shown["last_refusals"])

    # People's output: the table and the detail, never the secret.
    table = cli.run("paula", "intel", "subscription", "list")
    assert table.exit_code == 0, table.output
    assert made["id"] in table.output
    assert "6 ingested, 2 refused" in table.output
    detail = cli.run("paula", "intel", "subscription", "show", made["id"])
    assert detail.exit_code == 0, detail.output
    assert f"partner: {feed}" in detail.output
    assert f"label: {ALLOWED}" in detail.output
    assert secret not in table.output + detail.output

    removed = cli.json("paula", "intel", "subscription", "remove", made["id"])
    assert removed == {"removed": made["id"]}
    assert cli.json("paula", "intel", "subscription", "list") == []
    [gone] = cli.json("paula", "intel", "subscription", "list", "--removed")
    assert gone["state"] == "removed"
    again = cli.run("paula", "intel", "subscription", "poll", made["id"])
    assert again.exit_code == 4, again.output  # not found: it was removed


def test_refusals_are_one_clear_line_with_the_exit_code(
    cli: Cli, local: Population, feed: str
) -> None:
    args = ("intel", "subscription", "add", feed, "--collection", local.collection)
    denied = cli.run("carol", *args, "--label", ALLOWED)  # a researcher
    assert denied.exit_code == 3, denied.output
    assert "taxii.subscribe" in denied.output
    above = cli.run("paula", *args, "--label", "TOP SECRET//NOFORN")  # above paula
    assert above.exit_code == 3, above.output
    assert "label_above_reader" in above.output
    bad = cli.run("paula", *args, "--label", ALLOWED, "--auth", "kerberos")
    assert bad.exit_code == 2, bad.output
    made = cli.json("paula", *args, "--label", ALLOWED)
    # eve is no member of the collection's project: it does not exist for her.
    for command in ("show", "poll", "remove"):
        hidden = cli.run("eve", "intel", "subscription", command, made["id"])
        assert hidden.exit_code == 4, (command, hidden.output)
        assert "unknown_taxii_subscription" in hidden.output
    assert cli.json("eve", "intel", "subscription", "list") == []
    # carol sees it but may not poll or remove it.
    for command in ("poll", "remove"):
        refused = cli.run("carol", "intel", "subscription", command, made["id"])
        assert refused.exit_code == 3, (command, refused.output)


def test_the_sdk_over_http(url: str, local: Population, partner: Population, feed: str) -> None:
    """The SDK against the served API: problem+json answers become the typed errors."""
    secret = partner.tokens["alice"]
    with CaveatClient(url, token=local.tokens["paula"]) as paula:
        made = paula.taxii.subscribe(feed, local.collection, ALLOWED, auth="bearer", secret=secret)
        assert made.state == "new"
        assert paula.taxii.subscription(made.id).url == feed
        done = paula.taxii.poll(made.id)
        assert (done.ingested, done.refused, done.error) == (6, 2, "")
        [listed] = paula.taxii.subscriptions()
        assert (listed.state, listed.ingested) == ("ok", 6)
    with CaveatClient(url, token=local.tokens["eve"]) as eve:
        with pytest.raises(NotFound) as missing:
            eve.taxii.subscription(made.id)
        assert missing.value.code == "unknown_taxii_subscription"
        with pytest.raises(NotFound):
            eve.taxii.unsubscribe(made.id)
    with CaveatClient(url, token=local.tokens["carol"]) as carol:
        with pytest.raises(PermissionDenied):
            carol.taxii.subscribe(feed, local.collection, ALLOWED)
        with pytest.raises(PermissionDenied):
            carol.taxii.unsubscribe(made.id)
    with CaveatClient(url, token=local.tokens["paula"]) as paula:
        paula.taxii.unsubscribe(made.id)
        with pytest.raises(NotFound):
            paula.taxii.unsubscribe(made.id)
        assert paula.taxii.subscriptions() == []


def _status(local: Population, subscription_id: str) -> Subscription:
    return local.node.taxii_subscriptions.subscription(local.principal("paula"), subscription_id)


def _worker_env(settings: Settings, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAVEAT_")}
    assert settings.database_url is not None
    env.update(
        CAVEAT_DATA_DIR=str(settings.data_dir),
        CAVEAT_DATABASE_URL=settings.database_url.get_secret_value(),
        CAVEAT_HASH_PROFILE="test",
        CAVEAT_TAXII_UNSAFE_LOCAL_ENDPOINTS="true",
        **extra,
    )
    return env


@pytest.mark.slow
def test_caveat_worker_polls_beside_the_server_and_stops_on_sigterm(
    settings: Settings, local: Population, partner: Population, feed: str, tmp_path: Path
) -> None:
    """`caveat worker` in its own process runs the jobs `caveat serve` would (here the
    test's node serves nothing), polls the due subscription, and stops on SIGTERM."""
    node = local.node
    made = node.taxii_subscriptions.subscribe(
        local.principal("paula"),
        CTX,
        url=feed,
        collection=local.collection,
        label=label(node, ALLOWED),
        credentials=credentials("bearer", secret=partner.tokens["alice"]),
    )
    # The worker reads the real clock; the test's clock ran ahead while people signed in.
    with node.uow(CTX) as uow:
        row = uow.session.get(TaxiiSubscriptionRow, made.id)
        assert row is not None
        row.next_poll_at = datetime.now(UTC) - timedelta(seconds=1)
    log = (tmp_path / "worker.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "caveat", "worker"],
        env=_worker_env(settings, CAVEAT_TAXII_POLL_SECONDS="0.2"),
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=die_with_parent,
    )
    try:
        # A fresh process imports the whole node first: on a loaded two-core machine
        # (CI runs both databases side by side) that alone has taken over 15 s.
        deadline = time.monotonic() + 60
        while (status := _status(local, made.id)).state != "ok":
            if process.poll() is not None or time.monotonic() > deadline:
                log.flush()
                text = (tmp_path / "worker.log").read_text()
                pytest.fail(f"the worker did not poll: {status}\n{text}")
            time.sleep(0.2)
        assert process.poll() is None
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=40) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=20)
        log.close()
    output = (tmp_path / "worker.log").read_text()
    assert "taxii-poller: every 0.2 s" in output
    assert "ledger: every" in output
    assert "federation-sync: every" in output
    assert "SIGTERM: stopping" in output
    assert output.rstrip().endswith("stopped")
    status = node.taxii_subscriptions.subscription(local.principal("paula"), made.id)
    assert (status.ingested, status.refused) == (6, 2)


def test_caveat_worker_once_runs_each_job_and_exits(settings: Settings, local: Population) -> None:
    waiting = local.node.ledger.pending()
    assert waiting > 0
    result = CliRunner().invoke(
        cli_main.app, ["worker", "--once"], env=_worker_env(settings, COLUMNS="200")
    )
    assert result.exit_code == 0, result.output
    for job in ("ledger", "federation-sync", "taxii-poller"):
        assert f"{job}: one run" in result.output
    assert local.node.ledger.pending() < waiting  # the sequencer ran
