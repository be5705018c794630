"""Pages shaped by role (issue 16): the navigation shows every page the viewer may open
and none they may not, decided by the permission table the pages use; error pages keep
the viewer's navigation and banner, and word their advice by the viewer's roles."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from caveat.domain.errors import Conflict
from caveat.server import create_server
from caveat.services import demo
from caveat.web import nav
from tests.permissions.demo_support import Demo, separate_demo
from tests.web.conftest import Browser
from tests.web.test_artifact_pages import banner_of

# Every demo person who can sign in: one or more of each role.
# Which links a role's pages offer is decided by the permission table, not the database:
# walked on SQLite only. The tests only read the demo (signing in aside), so the module
# seeds it once.
pytestmark = pytest.mark.one_database

PEOPLE = [p.username for p in demo.PEOPLE if not p.suspended]
_MAIN_NAV = re.compile(r'<nav aria-label="Main">(.*?)</nav>', re.S)
_HREF = re.compile(r'href="([^"]+)"')
TARGETS = [link.href for link in (*nav.MAIN, nav.BELL, nav.ACCOUNT)]
SECTION_PAGES = ["/agreements", "/admin/people"]  # pages whose own bar lists sections


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    with separate_demo(tmp_path_factory.mktemp("navigation")) as seeded:
        yield seeded


def nav_links(html: str) -> list[str]:
    """The links of the page's main navigation (those under "More" included)."""
    found = _MAIN_NAV.search(html)
    assert found, "the page has no main navigation"
    return _HREF.findall(found.group(1))


def subnav_links(html: str) -> list[str]:
    return [h for block in re.findall(r'<nav class="subnav"[^>]*>(.*?)</nav>', html, re.S)
            for h in _HREF.findall(block)]  # fmt: skip


@pytest.mark.parametrize("username", PEOPLE)
def test_the_navigation_offers_exactly_the_pages_the_role_opens(world: Demo, username: str) -> None:
    """Every link answers 200, and every page of the list that answers 200 is linked
    (researchers were offered Agreements, a 403; erin had no Screening)."""
    with world.browser(username) as browser:
        shown = nav_links(browser.client.get("/").text)
        assert len(shown) == len(set(shown)), shown
        assert set(shown) <= set(TARGETS), set(shown) - set(TARGETS)
        answers = {href: browser.client.get(href).status_code for href in TARGETS}
        refused = {href: answers[href] for href in shown if answers[href] != 200}
        assert refused == {}, f"{username} is offered pages that refuse them"
        opens = {href for href, status in answers.items() if status == 200}
        assert opens - set(shown) == set(), f"{username} may open pages the bar hides"
        # The sections' own bars follow the same rule.
        for section in SECTION_PAGES:
            page = browser.client.get(section)
            if page.status_code != 200:
                continue
            for href in subnav_links(page.text):
                assert browser.client.get(href).status_code == 200, (username, href)


def test_researchers_get_no_agreements_and_export_control_gets_screening(world: Demo) -> None:
    """The two findings of the issue, by name."""
    with world.browser("alice") as alice:
        assert "/agreements" not in nav_links(alice.client.get("/").text)
    with world.browser("erin") as erin:
        links = nav_links(erin.client.get("/").text)
        assert "/screening" in links
        assert "/agreements" in links


def test_a_programme_manager_sees_no_sections_she_cannot_open(world: Demo) -> None:
    """paul reads agreements, not authorizations or embargoes (export control's)."""
    with world.browser("paul") as paul:
        links = subnav_links(paul.client.get("/agreements").text)
        assert "/authorizations" not in links
        assert "/embargoes" not in links
        assert "/control-lists" in links


def test_less_used_links_sit_under_a_more_disclosure(world: Demo) -> None:
    """Less-used links are gathered under "More" (the bar wrapped at 14 links; the
    browser test measures it on one line at 1366 px)."""
    with world.browser("victor") as victor:
        html = victor.client.get("/discussions").text
    bar = _MAIN_NAV.search(html)
    assert bar
    more = re.search(r'<details class="nav-more[^"]*">\s*<summary>More</summary>(.*?)</details>',
                     bar.group(1), re.S)  # fmt: skip
    assert more, "no More disclosure"
    inside = _HREF.findall(more.group(1))
    assert "/discussions" in inside
    assert "/federation" in inside
    assert "nav-more-current" in bar.group(1)  # the page shown is under More
    outside = [h for h in _HREF.findall(bar.group(1)) if h not in inside]
    assert outside[0] == "/"
    assert outside[-1] == "/account"
    assert not set(outside) & set(inside)


# A page each viewer may not open (a 403 with their navigation around it).
REFUSED = {"alice": "/ledger", "ingrid": "/admin/keys", "audra": "/policy/explain"}


def _error_pages(browser: Browser, username: str) -> dict[int, Any]:
    return {
        403: browser.client.get(REFUSED[username]),
        404: browser.client.get("/no-such-page"),
        422: browser.client.get("/artifacts", params={"level": "too long"}),
    }


@pytest.mark.parametrize("username", sorted(REFUSED))
def test_error_pages_keep_the_navigation_and_the_viewers_banner(world: Demo, username: str) -> None:
    with world.browser(username) as browser:
        home = browser.client.get("/account")  # a page showing nothing labelled
        for status, page in _error_pages(browser, username).items():
            assert page.status_code == status, (username, status)
            assert nav_links(page.text) == nav_links(home.text), (username, status)
            assert banner_of(page.text) == banner_of(home.text), (username, status)
            assert "Sign out" in page.text


def test_a_conflict_page_keeps_the_navigation(world: Demo) -> None:
    app: FastAPI = create_server(world.node)

    def clash() -> None:
        raise Conflict("that already exists")

    app.add_api_route("/clash-for-test", clash)
    with TestClient(app, raise_server_exceptions=False) as client:
        browser = Browser(client, world.world)
        browser.sign_in(world.accounts["alice"], password=demo.DEMO_PASSWORD)
        page = client.get("/clash-for-test")
        assert page.status_code == 409
        assert nav_links(page.text) == nav_links(client.get("/account").text)


def test_nobody_signed_in_gets_a_bare_error_page(world: Demo) -> None:
    with TestClient(create_server(world.node), raise_server_exceptions=False) as client:
        page = client.get("/no-such-page")
        assert page.status_code == 404
        assert '<nav aria-label="Main">' not in page.text


def test_the_refusal_tells_an_officer_who_else_decides(world: Demo) -> None:
    """The 403 page told a security officer to "ask your security officer"."""
    with world.browser("victor") as victor:
        page = victor.client.get("/admin/keys")
        assert page.status_code == 403
        assert "ask your security officer" not in page.text
        assert "another security officer of your organisation, or the node operator" in page.text
    with world.browser("alice") as alice:
        page = alice.client.get("/ledger")
        assert page.status_code == 403
        assert "ask your security officer" in page.text


def test_the_banner_of_a_listing_rolls_up_noforn(world: Demo) -> None:
    """A page listing SECRET//NOFORN (the demo's radar library) is bannered so."""
    with world.browser("alice") as alice:
        for path in ("/artifacts", "/resources", "/"):
            page = alice.client.get(path)
            assert "SECRET//NOFORN" in page.text.split("<main", 1)[1]
            assert banner_of(page.text) == "secret:SECRET//NOFORN", path


def test_an_artifact_an_officer_may_not_read_tells_them_who_else_decides(world: Demo) -> None:
    """ingrid (a Norwegian security officer) opens the catalogue's artifacts she may
    discover but not read: no page tells her to ask her security officer."""
    with world.browser("ingrid") as ingrid:
        listing = ingrid.client.get("/resources").text
        ids = dict.fromkeys(re.findall(r'href="/resources/([0-9a-f-]{36})"', listing))
        refused = [
            page.text
            for page in (ingrid.client.get(f"/artifacts/{i}") for i in ids)
            if "believe you should have access" in page.text
        ]
    assert refused, "the demo shows ingrid no artifact she may not read"
    for text in refused:
        assert "your security officer" not in text
        assert "another security officer of your organisation, or the node operator" in text


def _current_in_bar(html: str) -> tuple[list[str], bool]:
    """The bar's links marked current outside "More", and whether "More" is marked."""
    bar = _MAIN_NAV.search(html)
    assert bar
    outside = re.sub(r"<details.*?</details>", "", bar.group(1), flags=re.S)
    current = re.findall(r'href="([^"]+)" aria-current="page"', outside)
    return current, "nav-more-current" in bar.group(1)


@pytest.mark.parametrize(
    ("path", "section"),
    [
        ("/control-lists", "/agreements"),
        ("/admin/groups", "/admin/people"),
        ("/admin/organisations", "/admin/people"),
    ],
)
def test_a_page_under_more_highlights_the_section_whose_tabs_it_shows(
    world: Demo, path: str, section: str
) -> None:
    """Control lists and Groups highlighted "More" although they show Agreements' and
    People's tabs (issue 16): the section is highlighted, not "More"."""
    with world.browser("victor") as victor:
        html = victor.client.get(path).text
    assert section in subnav_links(html)
    current, more = _current_in_bar(html)
    assert current == [section]
    assert not more


def test_a_researcher_on_control_lists_still_sees_more_marked(world: Demo) -> None:
    """Without an Agreements link the page has no section in the bar: "More" is marked."""
    with world.browser("alice") as alice:
        html = alice.client.get("/control-lists").text
    assert _current_in_bar(html) == ([], True)
