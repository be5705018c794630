"""axe-core over the demo, role by role: every page a person of each role reaches by
following links from their first screen, and the sign-in page.

axe-core comes from npm, locked with its integrity hash in tests/web/axe (``make
browser`` installs it); it is injected into each page, so this browser context bypasses
the content security policy for that one script (the pages themselves are unchanged).
A page of one shape (the same route with another id) is checked once, for the first role
that reaches it: the templates are what axe judges, and each role's crawl still walks its
own navigation and first screen.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlparse

import pytest
from playwright.sync_api import Browser, Page

from tests.web.test_browser import Demo, browser, demo

__all__ = ["browser", "demo"]  # the fixtures, started once for this module

pytestmark = pytest.mark.slow

AXE = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
ROLES = {
    "researcher": "alice",
    "security officer": "ingrid",
    "export control officer": "erin",
    "programme manager": "paul",
    "agreement manager": "agnes",
    "auditor": "audra",
}
MAX_PAGES = 120
# Links that change state or leave HTML: signing out, downloads, exports (a proficiency
# report's HTML is a download too; tests/proficiency/test_browser.py runs axe over it).
_SKIP = re.compile(r"/logout|/download|/content|\.(csv|pdf|json|svg|png|html)$|/export")
_ID = re.compile(r"/[0-9a-f]{8}-[0-9a-f-]{27}|/\d+")

Violations = dict[str, list[dict[str, Any]]]


@pytest.fixture(scope="module")
def checked_shapes() -> set[str]:
    """Page shapes already checked by an earlier role in this module."""
    return set()


@pytest.fixture(scope="module")
def axe_source() -> str:
    assert AXE.exists(), f"{AXE} is missing: run `make browser` (npm ci in tests/web/axe)"
    return AXE.read_text()


def _violations(page: Page, axe_source: str) -> list[dict[str, Any]]:
    settled(page)
    page.add_script_tag(content=axe_source)
    found: list[dict[str, Any]] = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']}))
            .violations.map(v => ({rule: v.id, impact: v.impact, help: v.help,
                                   where: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"""
    )
    return found


def settled(page: Page) -> None:
    """Wait until no htmx request is in flight (htmx marks the element that asked with
    ``htmx-request``): an answer swapped in while axe walks the page would judge half
    of one state and half of the next."""
    page.wait_for_function("() => !document.querySelector('.htmx-request')")


def _links(page: Page, here: str, origin: str) -> Iterator[str]:
    for href in page.eval_on_selector_all("a[href]", "as => as.map(a => a.getAttribute('href'))"):
        if not href or href.startswith("#"):
            continue
        target = urlparse(urljoin(here, href))
        if f"{target.scheme}://{target.netloc}" != origin:
            continue
        path = target.path + (f"?{target.query}" if target.query else "")
        if not _SKIP.search(target.path):
            yield path


def _crawl(page: Page, origin: str, axe_source: str, shapes: set[str]) -> tuple[int, Violations]:
    """Visit what links reach from "/", checking shapes not in ``shapes`` (and adding
    them); the number of pages visited and the violations found."""
    seen: set[str] = set()
    queue = ["/"]
    found: Violations = {}
    while queue and len(seen) < MAX_PAGES:
        path = queue.pop(0)
        shape = _ID.sub("/{id}", path.split("?")[0]) + ("?" if "?" in path else "")
        if path in seen or (shape in shapes and path != "/"):
            continue
        seen.add(path)
        shapes.add(shape)
        response = page.goto(origin + path)
        if response is None or "text/html" not in response.headers.get("content-type", ""):
            continue
        if problems := _violations(page, axe_source):
            found[path] = problems
        queue.extend(link for link in _links(page, page.url, origin) if link not in seen)
    return len(seen), found


def test_the_sign_in_page_has_no_violations(browser: Browser, demo: Demo, axe_source: str) -> None:
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    page.goto(demo.url + "/login")
    assert _violations(page, axe_source) == []
    context.close()


@pytest.mark.parametrize("role", sorted(ROLES))
def test_every_page_a_role_reaches_has_no_violations(
    browser: Browser, demo: Demo, axe_source: str, checked_shapes: set[str], role: str
) -> None:
    context = demo.context(browser, ROLES[role])
    page = context.new_page()
    page.goto(demo.url + "/")
    visited, found = _crawl(page, demo.url, axe_source, checked_shapes)
    context.close()
    assert visited >= 1
    assert len(checked_shapes) >= 10, f"only {len(checked_shapes)} kinds of page reached"
    assert found == {}, "\n".join(f"{path}: {problems}" for path, problems in found.items())


@pytest.mark.parametrize("path", ["/", "/admin/keys", "/no-such-page"])
def test_the_navigation_with_more_open_has_no_violations(
    browser: Browser, demo: Demo, axe_source: str, path: str
) -> None:
    """The "More" disclosure opened (its links are then judged too), on a page, a 403
    and a 404 page that keep the navigation (issue 16)."""
    context = demo.context(browser, "victor", width=1366, height=768)  # the most links
    page = context.new_page()
    page.goto(demo.url + path)
    page.locator("details.nav-more summary").click()
    assert page.locator("details.nav-more ul").is_visible()
    found = _violations(page, axe_source)
    context.close()
    assert found == []


@pytest.mark.parametrize(
    ("username", "path", "figure"),
    [
        ("audra", "/ledger", "#ledger-activity"),
        ("audra", "/ledger?action=auth.*", "#ledger-activity"),
        ("paul", "/programmes", "#funding figure"),
    ],
)
def test_the_charts_and_their_tables_have_no_violations(
    browser: Browser, demo: Demo, axe_source: str, username: str, path: str, figure: str
) -> None:
    """The ledger timeline and the funding across programmes, with their tables opened
    (the crawl judges them closed)."""
    context = demo.context(browser, username)
    page = context.new_page()
    page.goto(demo.url + path)
    assert page.locator(figure).first.is_visible()
    for summary in page.locator("figure + details > summary").all():
        summary.click()
    found = _violations(page, axe_source)
    context.close()
    assert found == []
