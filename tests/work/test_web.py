"""The work queue and notifications in the browser: the dashboard's counts, /work with
its items (a labelled plan item's label joins the banner), /notifications with the bell's
count, marking read through the form, and another person's notification answering 404."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from caveat.bootstrap.container import Node
from caveat.bootstrap.marking import marking_for
from caveat.server import create_server
from caveat.services import demo
from tests.plans.support import World, ctx
from tests.web.conftest import Browser, csrf_of

MARKING = re.compile(r'data-marking="([^"]*)"')
BELL = re.compile(r'<a class="bell"[^>]*aria-label="Notifications: (\d+) unread"')


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


def test_the_dashboard_counts_what_waits(browser: Browser, world: World) -> None:
    _as(browser, world, "erin")
    dashboard = _page(browser, "/")
    assert "Work waiting for you (" in dashboard
    assert "Releases to classify: 1" in dashboard
    _as(browser, world, "ingrid")
    assert "Screening hits to adjudicate: 1" in _page(browser, "/")
    _as(browser, world, "lars")  # a researcher outside the plan's project
    assert "Nothing waits for your act." in _page(browser, "/")


def test_the_work_page_lists_items_under_their_marking(browser: Browser, world: World) -> None:
    world.node.plans.add_task(
        world.who("alice"),
        ctx(),
        world.work_packages[1],
        title="Align the secret array",
        label="SECRET//REL TO USA, GBR",
        due_on=world.clock().date(),
        assignee="bob",
    )
    _as(browser, world, "bob")
    work = _page(browser, "/work")
    assert "Plan items overdue" in work
    assert "Calibrate the passive array" in work
    assert "Align the secret array" in work
    agenda = world.node.plans.agenda(world.who("bob"), today=world.clock().date())
    for item in agenda.overdue + agenda.upcoming:
        assert item.marking in work
    # The banner covers every plan item shown (their labels joined the page's), and the
    # empty queue of someone outside the project does not.
    labels = [i.label for i in agenda.overdue + agenda.upcoming]
    assert labels
    expected = marking_for(world.node, world.who("bob"), labels).text
    assert expected != marking_for(world.node, world.who("bob"), []).text  # it can fail
    assert set(MARKING.findall(work)) == {expected}
    _as(browser, world, "lars")
    empty = _page(browser, "/work")
    assert "Nothing waits for you." in empty
    assert set(MARKING.findall(empty)) == {marking_for(world.node, world.who("lars"), []).text}


def test_notifications_page_bell_and_marking_read(browser: Browser, world: World) -> None:
    _as(browser, world, "oskar")
    dashboard = browser.client.get("/").text
    assert BELL.findall(dashboard) == ["1"]
    page = _page(browser, "/notifications")
    assert "A screening check placed a hold on your account" in page
    [note] = world.node.notifications.list_notifications(world.who("oskar"))
    # Another person posting to mark it: 404, as for an id that does not exist.
    _as(browser, world, "ingrid")
    _page(browser, "/notifications")
    assert "placed a hold" not in _page(browser, "/notifications")
    other = browser.post(f"/notifications/{note.id}/read")
    missing = browser.post("/notifications/00000000-0000-4000-8000-000000000000/read")
    assert other.status_code == missing.status_code == 404
    assert world.node.notifications.unread_count(world.who("oskar")) == 1
    _as(browser, world, "oskar")
    _page(browser, "/notifications")
    done = browser.post(f"/notifications/{note.id}/read")
    assert done.status_code == 303
    assert BELL.findall(browser.client.get("/").text) == ["0"]
    assert "Mark read" not in _page(browser, "/notifications")


def test_marking_read_needs_the_forms_csrf_token(browser: Browser, world: World) -> None:
    _as(browser, world, "oskar")
    [note] = world.node.notifications.list_notifications(world.who("oskar"))
    _page(browser, "/notifications")
    browser.csrf = "forged"
    assert browser.post(f"/notifications/{note.id}/read").status_code == 403
    assert world.node.notifications.unread_count(world.who("oskar")) == 1


def test_every_notification_links_to_a_page_its_recipient_opens(
    browser: Browser, world: World
) -> None:
    """A notification never points at a page that would refuse its reader."""
    [pending] = world.node.releases.requests(world.who("erin"))
    world.node.releases.classify(
        world.who("erin"), ctx(), pending.id, authorization=demo.DEMO_EAR_LICENCE
    )
    world.node.releases.decide(
        world.who("victor"), ctx(), pending.id, approve=False, reason="no go"
    )
    for who in ("alice", "oskar", "ingrid"):
        notes = world.node.notifications.list_notifications(world.who(who))
        assert notes, who
        _as(browser, world, who)
        for note in notes:
            assert browser.client.get(note.link).status_code == 200, (who, note.link)
