"""Each received item shows where its release proof stands (proved at a checkpoint this
node cosigned, pending, or refused with the reason), and an item whose proof was refused
is hidden, fail closed: its artifact is opened and listed by no one, the received list
leaves it out for everyone but the console and security officers (who see why), and the
alert stands (ADR 0022 addendum "Proof status"). Node B is SQLite in every run; node A
is the session's database."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from caveat.api.app import create_app
from caveat.domain.errors import NotFound
from caveat.domain.identity import Role
from caveat.server import create_server
from caveat.services.federation import CheckedItem
from caveat.services.kernel.principal import ConsoleOperator
from caveat.services.kernel.uow import CallContext
from tests.federation import test_ingest
from tests.federation.test_ingest import AtB
from tests.federation.test_release_proofs import (
    _alerts,
    _b_cosigns_a,
    _denied,
    _events,
    _proofs_at_b,
)
from tests.web.conftest import Browser

at_b = test_ingest.at_b  # the fixture: A (USA) releases to B (GBR), B ingests
CONSOLE = ConsoleOperator()


def ctx() -> CallContext:
    return CallContext.cli()


def _ingested(at_b: AtB) -> tuple[str, str]:
    """B's officer names the receiving project; A releases one item and B pulls it: the
    received item's id and the artifact made of it."""
    at_b.b.federation.set_receiving_project(
        at_b.principal("bso"), ctx(), "node-a", "Partner trials"
    )
    at_b.release()
    assert at_b.pull() == 1
    [ingested] = at_b.ingested()
    return ingested.received_id, ingested.artifact_id


def _operator(at_b: AtB) -> str:
    """A node operator of B (reads the received list, is no security officer)."""
    operations = at_b.people.org("Node B Operations", "GBR")
    at_b.people.person("olga", nations=("GBR",), roles=(Role.NODE_OPERATOR,), org=operations)
    return "olga"


def _listed(at_b: AtB, who: str | None) -> dict[str, CheckedItem]:
    by = CONSOLE if who is None else at_b.principal(who)
    return {i.id: i for i in at_b.b.federation_received.list(by)}


def test_each_received_item_shows_its_proof_pending_then_proved(at_b: AtB) -> None:
    item, _ = _ingested(at_b)
    pending = _listed(at_b, "bso")[item].proof
    assert (pending.state, pending.tree_size, pending.checked_at) == ("pending", None, None)
    _b_cosigns_a(at_b.pair)
    _proofs_at_b(at_b.pair).prove(ctx(), _a_at_b(at_b))
    proved = _listed(at_b, "bso")[item].proof
    assert proved.state == "proved"
    [event] = _events(at_b.b, "peer.release_proved")
    assert (proved.tree_size, proved.leaf_index) == (event["tree_size"], event["leaf_index"])
    assert proved.checked_at is not None
    assert proved.reason == ""


def _a_at_b(at_b: AtB) -> str:
    [peer] = at_b.b.federation.peers(CONSOLE)
    return peer.id


def test_a_refused_proof_hides_the_item_from_everyone_but_officers(at_b: AtB) -> None:
    item, artifact = _ingested(at_b)
    operator = _operator(at_b)
    reader = at_b.principal("reader")
    # Before: the reader opens the artifact, the operator lists the item.
    assert b"".join(at_b.b.artifacts.open_content(reader, ctx(), artifact).chunks)
    assert item in _listed(at_b, operator)
    _b_cosigns_a(at_b.pair)
    # A denies having released it (a hostile originator, or a log forked to hide it).
    assert _proofs_at_b(at_b.pair, _denied).prove(ctx(), _a_at_b(at_b)).refused == 1
    # Fail closed: nobody opens or lists the artifact, not even the officers.
    for name in ("reader", "bso"):
        with pytest.raises(NotFound):
            at_b.b.artifacts.open_content(at_b.principal(name), ctx(), artifact)
        visible = at_b.b.policy.list_visible(at_b.principal(name)).items
        assert artifact not in {r.id for r in visible}
    # The received list leaves it out for the operator ...
    assert item not in _listed(at_b, operator)
    # ... and shows it to the officer and the console, refused, with the reason.
    for who in ("bso", None):
        refused = _listed(at_b, who)[item].proof
        assert refused.state == "refused"
        assert refused.reason.startswith("other_entry: the originator says it released")
        assert refused.checked_at is not None
    [event] = _events(at_b.b, "peer.release_proof_refused")
    assert event["withdrawn_artifacts"] == [artifact]
    assert _alerts(at_b.b) == ["peer_release_proof_invalid"]
    # Withdrawn on purpose: the node's own verification does not call it damage.
    assert at_b.b.artifact_admin.verify(CONSOLE, ctx()).problems == []


def test_the_api_and_the_web_show_the_proof_and_hide_a_refused_item(at_b: AtB) -> None:
    item, _ = _ingested(at_b)
    operator = _operator(at_b)
    http = TestClient(create_app(at_b.b), base_url="https://b.example")

    def bearer(username: str) -> dict[str, str]:
        account = at_b.people.accounts[username]
        return {"Authorization": f"Bearer {at_b.people.login(account).token}"}

    bso, olga = bearer("bso"), bearer(operator)
    [listed] = http.get("/api/v1/federation/received", headers=bso).json()
    assert listed["id"] == item
    assert listed["proof"] == {
        "state": "pending",
        "tree_size": None,
        "leaf_index": None,
        "checked_at": None,
        "reason": "",
    }
    _b_cosigns_a(at_b.pair)
    _proofs_at_b(at_b.pair, _denied).prove(ctx(), _a_at_b(at_b))
    [listed] = http.get("/api/v1/federation/received", headers=bso).json()
    assert listed["proof"]["state"] == "refused"
    assert "released nothing" in listed["proof"]["reason"]
    assert http.get("/api/v1/federation/received", headers=olga).json() == []
    # The web page: the officer reads the refusal and its reason.
    browser = Browser(TestClient(create_server(at_b.b), base_url="https://b.example"), at_b.people)
    browser.sign_in(at_b.people.accounts["bso"])
    page = browser.client.get("/federation")
    assert page.status_code == 200
    assert "Proof refused" in page.text
    assert "released nothing at this seq" in page.text


def test_the_cli_lists_the_proof_of_each_item(
    at_b: AtB, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    item, _ = _ingested(at_b)
    _b_cosigns_a(at_b.pair)
    _proofs_at_b(at_b.pair).prove(ctx(), _a_at_b(at_b))
    settings = at_b.b.settings
    monkeypatch.setenv("CAVEAT_DATABASE_URL", settings.resolved_database_url())
    monkeypatch.setenv("CAVEAT_HASH_PROFILE", "test")
    monkeypatch.setenv("CAVEAT_NODE_NAME", "node-b")
    monkeypatch.setenv("CAVEAT_CONFIG_DIR", str(tmp_path / "config"))
    args = ["--data-dir", str(settings.data_dir), "federation", "received"]
    result = CliRunner().invoke(_app(), [*args, "--json"], env=dict(os.environ))
    assert result.exit_code == 0, result.stdout
    [listed] = json.loads(result.stdout)
    assert listed["id"] == item
    assert listed["proof"]["state"] == "proved"
    human = CliRunner().invoke(_app(), args, env=dict(os.environ))
    assert human.exit_code == 0, human.stdout
    assert "proved at" in human.stdout


def _app() -> Any:
    from caveat.cli.main import app

    return app
