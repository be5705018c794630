"""The discussion pages as the demo's people use them: the banner rolls up what each
reader sees, hidden messages are not on the page, forms post and edit, refusals say why."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from caveat.bootstrap.container import Node
from caveat.server import create_server
from caveat.services import demo
from tests.discussions.support import World
from tests.web.conftest import Browser, csrf_of

MARKING = re.compile(r'data-marking="([^"]*)"')


@pytest.fixture
def browser(node: Node, world: World) -> Iterator[Browser]:
    with TestClient(create_server(node), raise_server_exceptions=False) as client:
        yield Browser(client, world.scenario)


def _as(browser: Browser, world: World, who: str) -> None:
    browser.client.cookies.clear()
    browser.sign_in(world.scenario.accounts[who], password=demo.DEMO_PASSWORD)


def _page(browser: Browser, path: str) -> str:
    page = browser.client.get(path)
    assert page.status_code == 200, page.text
    browser.csrf = csrf_of(page.text)
    return html.unescape(page.text)


def test_the_banner_follows_the_reader(browser: Browser, world: World) -> None:
    d = demo.seed_discussions(world.node.discussions, world.node.people, clock=world.clock)
    seen = {}
    for who in ("alice", "bob", "claire"):
        _as(browser, world, who)
        text = _page(browser, f"/discussions/{d}")
        seen[who] = (MARKING.findall(text)[0], text)
    assert seen["alice"][0] == "SECRET//NOFORN"
    assert seen["bob"][0] == "SECRET//REL TO USA, GBR"
    assert "US only" in seen["alice"][1]
    assert "US only" not in seen["bob"][1]
    assert "Emitter set" in seen["bob"][1]
    assert "Emitter set" not in seen["claire"][1]
    assert "weeks 14-15" in seen["claire"][1]
    # The list counts what each reads: Claire one message, Alice four.
    assert "First joint trial window" in _page(browser, "/discussions")


def test_post_edit_and_refusals_in_the_browser(browser: Browser, world: World) -> None:
    _as(browser, world, "alice")
    _page(browser, "/discussions")
    project = world.node.projects.projects_of(world.who("alice").person_id)[0].id
    started = browser.post(
        "/discussions",
        {
            "project": project,
            "title": "Range slots",
            "title_label": "UNCLASSIFIED",
            "text": "Slot 3?",
            "label": "UNCLASSIFIED",
        },
    )
    assert started.status_code == 303, started.text
    where = started.headers["location"].split("?")[0]
    _page(browser, where)
    posted = browser.post(
        f"{where}/messages", {"text": "slot 3 confirmed", "label": "SECRET//REL TO USA, GBR"}
    )
    assert posted.status_code == 303
    refused = browser.post(
        f"{where}/messages", {"text": "@claire see above", "label": "SECRET//REL TO USA, GBR"}
    )
    assert refused.status_code == 422
    assert "mention only people who may read" in html.unescape(refused.text)
    view = world.node.discussions.discussion(world.who("alice"), where.rsplit("/", 1)[1])
    message = view.messages[-1].id
    _page(browser, f"/discussions/messages/{message}")
    loosened = browser.post(
        f"/discussions/messages/{message}/versions", {"text": "slot 3", "label": "UNCLASSIFIED"}
    )
    assert loosened.status_code == 403
    assert "never loosen" in html.unescape(loosened.text)
    edited = browser.post(
        f"/discussions/messages/{message}/versions",
        {"text": "slot 3 confirmed, 0900", "label": "SECRET//REL TO USA, GBR"},
    )
    assert edited.status_code == 303
    assert "0900" in _page(browser, where)
