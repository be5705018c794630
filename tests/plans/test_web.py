"""The plan pages as the demo's people use them: the banner and content follow the
reader, the timeline is SVG without inline styles, the calendar and the dashboard list
what is due, coordinators' forms post, and refusals say why."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from caveat.bootstrap.container import Node
from caveat.server import create_server
from caveat.services import demo
from tests.plans.support import World
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


def _project(world: World) -> str:
    return world.node.plans.plan(world.who("alice"), demo.PLAN_PROJECT).project_id


def test_the_plan_page_follows_the_reader(browser: Browser, world: World) -> None:
    project = _project(world)
    _as(browser, world, "alice")
    alice = _page(browser, f"/plans/{project}")
    assert MARKING.findall(alice)[0].startswith("SECRET//REL TO USA, GBR")
    assert "Joint trial campaign" in alice
    assert "<svg" in alice
    assert "style=" not in alice
    assert "Add a work package" in alice
    assert "Calendar" in alice
    assert "overdue" in alice
    _as(browser, world, "claire")
    claire = _page(browser, f"/plans/{project}")
    assert "Joint trial campaign" not in claire
    assert "Trial data package" not in claire
    assert "Sensor integration" in claire
    assert "Add a work package" not in claire
    _as(browser, world, "lars")
    assert browser.client.get(f"/plans/{project}").status_code == 404


def test_overdue_items_are_in_the_work_queue(browser: Browser, world: World) -> None:
    _as(browser, world, "bob")
    dashboard = _page(browser, "/")
    assert "Plan items due" in dashboard
    assert "overdue" in dashboard
    assert "Calibrate the passive array" in dashboard
    plans = _page(browser, "/plans")
    assert "Calibrate the passive array" in plans
    _as(browser, world, "claire")
    assert "Calibrate the passive array" not in _page(browser, "/")


def test_coordinator_forms_and_refusals(browser: Browser, world: World) -> None:
    project = _project(world)
    wp = world.work_packages[0]
    day = world.clock().date().isoformat()
    _as(browser, world, "alice")
    _page(browser, f"/plans/{project}")
    added = browser.post(
        f"/plans/{project}/items",
        {"kind": "task", "work_package": wp, "title": "Fit the mast", "label": "UNCLASSIFIED",
         "due_on": day, "assignee": "bob"},
    )  # fmt: skip
    assert added.status_code == 303
    assert "Fit the mast" in _page(browser, f"/plans/{project}")
    over = browser.post(
        f"/plans/{project}/work-packages",
        {"title": "More", "label": "UNCLASSIFIED", "lead": "AFRL", "starts_on": day,
         "ends_on": day, "efforts": "AFRL=99"},
    )  # fmt: skip
    assert over.status_code == 422
    assert "agreed" in html.unescape(over.text)
    task = next(
        t.id
        for w in world.node.plans.plan(world.who("alice"), project).work_packages
        for t in w.tasks
        if t.title == "Fit the mast"
    )
    _as(browser, world, "bob")
    _page(browser, f"/plans/{project}")
    moved = browser.post(f"/plans/{project}/tasks/{task}/moves", {"verb": "start"})
    assert moved.status_code == 303
    _as(browser, world, "claire")
    _page(browser, f"/plans/{project}")
    refused = browser.post(f"/plans/{project}/tasks/{task}/moves", {"verb": "finish"})
    assert refused.status_code == 403
