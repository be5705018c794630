"""The status page of subscriptions to partners' TAXII collections (issue 20): what each
member of the collection's project sees, the add form and the poll and remove buttons
only for those the permission table lets act (the service decides either way), and
every change a POST with the page's CSRF token that lands in the ledger.

The partner is a loopback port nobody listens on: polls fail at once, with no network.
"""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from caveat.adapters.db.models import EventRow
from caveat.bootstrap.container import Node
from caveat.bootstrap.settings import Settings
from caveat.domain.taxii_feeds import credentials
from caveat.server import create_server
from caveat.services.kernel.uow import CallContext
from tests.intel.support import Population, label, populate
from tests.support import FakeClock
from tests.web.conftest import Browser

CTX = CallContext("test", "10.0.0.1")
ALLOWED = "CONFIDENTIAL//REL TO USA, GBR"
_FLASH = re.compile(r'<p class="flash" role="status">([^<]*)</p>')


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={"taxii_unsafe_local_endpoints": True, "taxii_poll_seconds": 0}
    )


@pytest.fixture
def people(node: Node, clock: FakeClock) -> Population:
    return populate(node, clock)


@pytest.fixture
def feed() -> str:
    with socket.socket() as s:  # a port that was free: nothing answers there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/taxii2/api/collections/partner-indicators/"


@pytest.fixture
def client(node: Node, people: Population) -> Iterator[TestClient]:
    with TestClient(create_server(node), raise_server_exceptions=False) as c:
        yield c


def _as(client: TestClient, people: Population, who: str) -> Browser:
    browser = Browser(client, people.world)
    client.cookies.clear()
    browser.sign_in(people.world.accounts[who])
    return browser


def _events(node: Node, type_: str) -> list[dict[str, Any]]:
    with node.uow.read() as session:
        bodies = session.scalars(
            select(EventRow.body).where(EventRow.type == type_).order_by(EventRow.seq)
        )
        return [json.loads(b) for b in bodies]


def _flash(browser: Browser, response: Any) -> str:
    assert response.status_code == 303, response.text
    page = browser.client.get(response.headers["location"])
    found = _FLASH.search(page.text)
    assert found is not None, page.text
    return found.group(1)


def test_a_programme_manager_subscribes_polls_and_removes(
    client: TestClient, people: Population, feed: str
) -> None:
    node = people.node
    paula = _as(client, people, "paula")
    page = paula.client.get("/intel/subscriptions")
    assert page.status_code == 200
    assert "None of your projects' collections is subscribed" in page.text
    assert 'action="/intel/subscriptions"' in page.text  # the add form
    assert 'href="/intel/subscriptions" aria-current="page"' in page.text
    assert "style=" not in page.text
    assert "<script>" not in page.text  # strict CSP: no inline script

    added = paula.post(
        "/intel/subscriptions",
        {
            "url": feed,
            "collection": people.collection,
            "label": ALLOWED,
            "auth": "bearer",
            "secret": "partner-token-never-shown",
            "interval_seconds": "600",
        },
    )
    assert "the first poll is due now" in _flash(paula, added)
    [sub] = node.taxii_subscriptions.subscriptions(people.principal("paula"))
    assert (sub.url, sub.label, sub.auth, sub.interval_seconds) == (feed, ALLOWED, "bearer", 600)
    page = paula.client.get("/intel/subscriptions")
    assert feed in page.text
    assert f"<code>{ALLOWED}</code>" in page.text
    assert "not polled yet" in page.text
    assert "every 10 min" in page.text
    assert "partner-token-never-shown" not in page.text
    assert f'action="/intel/subscriptions/{sub.id}/poll"' in page.text

    polled = paula.post(f"/intel/subscriptions/{sub.id}/poll")
    assert _flash(paula, polled).startswith("The poll failed: partner_unavailable")
    page = paula.client.get("/intel/subscriptions")
    assert "failing" in page.text
    assert "last error: partner_unavailable" in page.text
    assert "0 ingested, 0 refused in all" in page.text

    removed = paula.post(f"/intel/subscriptions/{sub.id}/remove")
    assert "credentials are erased" in _flash(paula, removed)
    assert node.taxii_subscriptions.subscriptions(people.principal("paula")) == []
    for kind in ("added", "polled", "removed"):
        [event] = _events(node, f"taxii.subscription_{kind}")
        assert event["actor"]["id"] == people.world.accounts["paula"].person.id
    assert "partner-token-never-shown" not in json.dumps(_events(node, "taxii.subscription_added"))


def test_what_members_and_others_see_and_may_do(
    client: TestClient, people: Population, feed: str
) -> None:
    node = people.node
    sub = node.taxii_subscriptions.subscribe(
        people.principal("paula"),
        CTX,
        url=feed,
        collection=people.collection,
        label=label(node, ALLOWED),
        credentials=credentials("none"),
    )
    # alice, a researcher of the project: the status, no form, no buttons.
    alice = _as(client, people, "alice")
    page = alice.client.get("/intel/subscriptions")
    assert page.status_code == 200
    assert feed in page.text
    assert 'action="/intel/subscriptions"' not in page.text
    assert f"/intel/subscriptions/{sub.id}/poll" not in page.text
    # The buttons are only hidden: the service refuses the POST all the same.
    refused = alice.post(f"/intel/subscriptions/{sub.id}/remove")
    assert refused.status_code == 403
    assert "taxii.subscribe" in refused.text
    refused = alice.post(
        "/intel/subscriptions", {"url": feed, "collection": people.collection, "label": ALLOWED}
    )
    assert refused.status_code == 403
    assert len(node.taxii_subscriptions.subscriptions(people.principal("paula"))) == 1

    # eve is no member: nothing listed, and a subscription's id is "not found".
    eve = _as(client, people, "eve")
    page = eve.client.get("/intel/subscriptions")
    assert feed not in page.text
    for action in ("poll", "remove"):
        hidden = eve.post(f"/intel/subscriptions/{sub.id}/{action}")
        assert hidden.status_code == 404, action
        assert feed not in hidden.text
    assert _events(node, "taxii.subscription_polled") == []
    assert _events(node, "taxii.subscription_removed") == []

    # Without the page's CSRF token nothing happens, even for the owner.
    paula = _as(client, people, "paula")
    forged = paula.client.post(
        f"/intel/subscriptions/{sub.id}/remove", data={}, follow_redirects=False
    )
    assert forged.status_code == 403
    assert len(node.taxii_subscriptions.subscriptions(people.principal("paula"))) == 1


def test_refusals_keep_what_was_typed_but_never_the_secret(
    client: TestClient, people: Population, feed: str
) -> None:
    paula = _as(client, people, "paula")
    typed = {
        "url": feed,
        "collection": people.collection,
        "label": "TOP SECRET//NOFORN",  # above what paula may read
        "auth": "bearer",
        "secret": "typed-secret-value",
        "interval_seconds": "600",
    }
    above = paula.post("/intel/subscriptions", typed)
    assert above.status_code == 403
    assert "above what you may read yourself" in above.text
    assert f'value="{feed}"' in above.text
    assert "typed-secret-value" not in above.text
    bad = paula.post("/intel/subscriptions", {**typed, "label": ALLOWED, "interval_seconds": "5"})
    assert bad.status_code == 422
    assert 'id="add-error"' in bad.text
    words = paula.post("/intel/subscriptions", {**typed, "label": ALLOWED, "interval_seconds": "x"})
    assert words.status_code == 422
    assert "whole number of seconds" in words.text
    assert people.node.taxii_subscriptions.subscriptions(people.principal("paula")) == []
