"""The listing tables in a real browser (Debian's Chromium) against a `caveat demo`
server: the artifacts list, the ledger's events and the export records fit a 390 px
phone and a 1366 px laptop without the page scrolling sideways, and their sort links,
facets and page numbers work under the strict CSP with no console error."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

# The demo server, browser and screenshot folder of test_browser.py (module-scoped: this
# module gets a demo node of its own).
from tests.web.test_browser import Demo, browser, demo, shots  # noqa: F401

pytestmark = pytest.mark.slow
TABLES = {"alice": ("/artifacts",), "victor": ("/ledger", "/export-records")}


def signed_in(browser: Browser, demo: Demo, username: str, width: int) -> Page:  # noqa: F811
    """A new page of ``username``'s session, ``width`` pixels wide (close its context)."""
    context = browser.new_context(
        storage_state=demo.session(browser, username), viewport={"width": width, "height": 800}
    )
    return context.new_page()


def overflow(page: Page) -> int:
    """How far the page reaches past the window's right edge (0: no sideways scroll)."""
    return int(
        page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    )


@pytest.mark.parametrize("width", [390, 1366])
@pytest.mark.parametrize("username", sorted(TABLES))
def test_the_tables_fit_the_window(
    browser: Browser,  # noqa: F811
    demo: Demo,  # noqa: F811
    shots: Path,  # noqa: F811
    width: int,
    username: str,
) -> None:
    page = signed_in(browser, demo, username, width)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    for path in TABLES[username]:
        page.goto(demo.url + path)
        expect(page.locator(".table-total")).to_be_visible()
        assert overflow(page) <= 0, (path, width)
        name = path.strip("/").replace("/", "-")
        page.screenshot(path=shots / f"table-{name}-{width}.png", full_page=True)
    assert problems == []
    page.context.close()


def test_sorting_faceting_and_paging_in_the_browser(
    browser: Browser,  # noqa: F811
    demo: Demo,  # noqa: F811
) -> None:
    page = signed_in(browser, demo, "alice", 390)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.goto(demo.url + "/artifacts")
    total = page.locator(".table-total strong").inner_text()
    assert int(total) > 0  # the demo has content for alice
    # Sort by title: the header link, then its reverse.
    page.get_by_role("link", name="Title").click()
    page.wait_for_url("**/artifacts?sort=title&dir=asc")
    titles = page.locator('td[data-label="Title"] a').all_inner_texts()
    assert titles == sorted(titles, key=str.lower)
    expect(page.locator('th[aria-sort="ascending"]')).to_have_count(1)
    # A facet: the first kind; the total becomes its count.
    kind = page.locator("#facet-kind + ul li a").first
    count = kind.locator(".count").inner_text()
    kind.click()
    page.wait_for_url("**kind=**")
    assert page.locator(".table-total strong").inner_text() == count
    assert overflow(page) <= 0
    # The ledger: a day facet narrows the events and the page numbers work.
    page.context.close()
    page = signed_in(browser, demo, "victor", 390)
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.goto(demo.url + "/ledger")
    pages = page.locator("nav.pager.numbered")
    if pages.count():
        pages.get_by_role("link", name="Next").click()
        page.wait_for_url("**page=2**")
        expect(page.locator('nav.pager a[aria-current="page"]')).to_contain_text("2")
    day = page.locator("#facet-day + ul li a").first
    count = day.locator(".count").inner_text()
    day.click()
    page.wait_for_url("**day=**")
    assert page.locator(".table-total strong").inner_text() == count
    assert overflow(page) <= 0
    assert problems == []
    page.context.close()


# Cells that wrapped inside a word ("threat intellig/ence", "artifact.creat/ed", a facet's
# count pushed out of its box: issue 16; the export records, which this demo node has
# none of, are measured in test_browser_releases.py).
WORDY = {
    "alice": {"/artifacts": 'td[data-label="Kind"]'},
    "victor": {"/ledger": 'td[data-label="Action"], .facet li a'},
}
# Per cell: its line boxes, its words, and whether it reaches past its box.
LINES = """cells => cells.map(cell => {
  // the lines of its text (not of its elements' boxes, whose padding shifts their tops)
  const tops = new Set();
  const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const range = document.createRange();
    range.selectNodeContents(node);
    for (const r of range.getClientRects()) if (r.width > 0) tops.add(Math.round(r.bottom));
  }
  const box = cell.getBoundingClientRect();
  const inside = [...cell.querySelectorAll('*')].every(
    e => e.getBoundingClientRect().right <= box.right + 1);
  // a name given <wbr> after its dots and underscores may break there too
  const breaks = cell.querySelector('wbr') ? /[\\s._]+/ : /\\s+/;
  return [cell.textContent.trim(), tops.size,
          cell.textContent.trim().split(breaks).length, inside];
})"""


@pytest.mark.parametrize("width", [390, 1366])
@pytest.mark.parametrize("username", sorted(WORDY))
def test_table_cells_wrap_between_words_not_letters(
    browser: Browser,  # noqa: F811
    demo: Demo,  # noqa: F811
    width: int,
    username: str,
) -> None:
    """No cell wraps inside a word: its text takes at most a line per word, and nothing
    in it (a facet's count) reaches past its box."""
    page = signed_in(browser, demo, username, width)
    for path, selector in WORDY[username].items():
        page.goto(demo.url + path)
        cells = page.locator(selector)
        assert cells.count() > 0, path
        measured = cells.evaluate_all(LINES)
        broken = [(text, lines) for text, lines, words, _ in measured if lines > words]
        assert broken == [], (path, width)
        outside = [text for text, _, _, inside in measured if not inside]
        assert outside == [], (path, width)
        assert overflow(page) <= 0, (path, width)
    page.context.close()
