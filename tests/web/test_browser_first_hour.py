"""Each role's first hour on the demo (issue 16), in Debian's Chromium against a `caveat
demo` server of its own: sign in, the first screen lists something for the role, the
role's work queue item is acted on in the page and leaves the queue, the banner stays in
view at the bottom of the longest page the role can open, the role's download carries
its marking, and axe-core finds nothing on the pages the walk passes through. The
notification bell in the navigation is drawn (an inline SVG: Debian's Chromium has no
emoji font, and showed the emoji bell as an empty box).

One browser context per role, under the pages' own content security policy: axe-core is
served to the page from its own origin by Playwright (a route, never the server), so the
walk needs no CSP bypass and a CSP violation would show as a console error.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import urljoin

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, Route, expect

from caveat.services.demo import DEMO_EAR_LICENCE, OVERDUE_MILESTONE, PROFICIENCY_CLOSED
from tests.web.test_accessibility import AXE, settled
from tests.web.test_browser import Demo, browser, demo, sign_in  # noqa: F401
from tests.web.test_markings import csv_marking, pdf_pages

pytestmark = pytest.mark.slow
HEIGHT = 860
_AXE_URL = "/__axe-core.js"  # answered by the route below; the server has no such path


@dataclass(frozen=True)
class Download:
    """A file the role downloads: its name and bytes, and the banner it must carry
    (that of the page offering it, when the file holds what that page shows; None when
    it holds more, as every matching event for a page of them)."""

    name: str
    body: bytes
    expected: str | None


@dataclass(frozen=True)
class Walk:
    """What one role's first hour does: the dashboard panel that must list something,
    the /work section whose first item is acted on by ``act`` on the item's page (a
    queue holds only what its reader may act on; None: nothing waits for the role), and
    the role's downloads."""

    username: str
    first_screen: str
    queue: str | None
    act: Callable[[Page], None] | None
    downloads: Callable[[Page, str], list[Download]] | None
    sign_in: Callable[[Page, Demo], None] | None = None  # None: with the demo password


def _finish_task(title: str) -> Callable[[Page], None]:
    def act(page: Page) -> None:
        row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=title))
        row.get_by_role("button", name="finish").click()
        expect(page.get_by_role("status")).to_be_visible()

    return act


def _achieve_milestone(title: str) -> Callable[[Page], None]:
    def act(page: Page) -> None:
        # the work package's list of milestones: "title, due: not yet achieved [button]"
        listed = re.escape(title) + r", \d{4}-\d{2}-\d{2}: "
        item = page.get_by_role("listitem").filter(has_text=re.compile(listed))
        item.get_by_role("button", name="Mark achieved").click()
        expect(page.get_by_role("status")).to_be_visible()
        done = re.compile(listed + r"achieved \d{4}-\d{2}-\d{2}")  # not "not yet achieved"
        expect(page.get_by_role("listitem").filter(has_text=done)).to_have_count(1)

    return act


def _classify(page: Page) -> None:
    page.get_by_label("Covering authorization").select_option(value=DEMO_EAR_LICENCE)
    page.get_by_role("button", name="Record the classification").click()
    expect(page.get_by_role("status")).to_contain_text("Classified.")


def _resolve_hit(page: Page) -> None:
    form = page.locator("form.ack").filter(
        has=page.get_by_role("button", name="Resolve the hit on Oskar Lind")
    )
    form.get_by_label("Decision").select_option(value="false_positive")
    form.get_by_label("Reason").fill("a different person: born 1981, not on the list's entry")
    form.get_by_role("button", name="Resolve the hit on Oskar Lind").click()
    expect(page.get_by_role("status")).to_be_visible()


def _renew(page: Page) -> None:
    page.get_by_text("Show the form with the current terms").click()
    renewed = date.today() + timedelta(days=3 * 365)
    page.get_by_label("Expires on").fill(renewed.isoformat())
    page.get_by_label("Why this amendment").fill("renewed for three years by both parties")
    page.get_by_role("button", name="Record the amendment").click()
    expect(page.get_by_role("status")).to_be_visible()


def _fetched(page: Page, href: str, *, same_as_page: bool = True) -> Download:
    """The file a link of ``page`` offers, fetched with the page's session."""
    response = page.request.get(urljoin(page.url, href))
    assert response.ok, (href, response.status)
    return Download(href, response.body(), _banner(page) if same_as_page else None)


def _export_records(page: Page, url: str) -> list[Download]:
    page.goto(url + "/export-records")
    return [_fetched(page, "/export-records.csv"), _fetched(page, "/export-records.pdf")]


def _ledger_csv(page: Page, url: str) -> list[Download]:
    page.goto(url + "/ledger")
    with page.expect_download() as started:
        page.get_by_role("button", name=re.compile("Download every matching event")).click()
    body = started.value.path().read_bytes()
    return [Download(started.value.suggested_filename, body, None)]  # every event, all pages


def _proficiency_report(page: Page, url: str) -> list[Download]:
    page.goto(url + "/proficiency")
    page.get_by_role("link", name=PROFICIENCY_CLOSED).click()
    href = page.locator("a[href$='/report.html']").first.get_attribute("href")
    assert href, "the closed round offers no report"
    return [_fetched(page, href, same_as_page=False)]


def _operator_signs_in(page: Page, demo: Demo) -> None:  # noqa: F811 - not the fixture
    """The operator's first sign-in: the one-time password ``caveat demo`` printed, then
    a password of their own."""
    creds = json.loads((demo.data_dir / "demo-credentials.json").read_text())
    once = creds["operator"]["password"]
    page.goto(demo.url + "/")
    page.get_by_label("Username").fill("ops")
    page.get_by_label("Password").fill(once)
    page.get_by_label("One-time code").fill(demo.code("ops"))
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Current password").fill(once)
    page.get_by_label("New password").fill("the operator keeps this node honest 42")
    page.get_by_role("button", name="Change password").click()
    page.wait_for_url(re.compile(re.escape(demo.url) + r"/\?done=.*"))


def _ledger_and_records(page: Page, url: str) -> list[Download]:
    return [*_ledger_csv(page, url), *_export_records(page, url)]


WALKS = {
    "researcher": Walk(
        "bob",
        "Recently shared with me",
        "Plan items overdue",
        _finish_task("Calibrate the passive array"),
        _proficiency_report,
    ),
    "export control officer": Walk(
        "erin", "Pending approvals", "Releases to classify", _classify, _export_records
    ),
    "security officer": Walk(
        "ingrid", "Work waiting for you", "Screening hits to adjudicate", _resolve_hit, _ledger_csv
    ),
    # The programme manager is the demo plan's second lead: its overdue milestone is his
    # to mark achieved.
    "programme manager": Walk(
        "paul",
        "Plan items due",
        "Plan items overdue",
        _achieve_milestone(OVERDUE_MILESTONE),
        _proficiency_report,
    ),
    # The agreement manager's pages offer no download (agreements have none).
    "agreement manager": Walk(
        "agnes", "Work waiting for you", "Agreements expiring within 30 days", _renew, None
    ),
    # The auditor reads the ledger and its alerts (the demo's suspended account tried to
    # sign in): no queue kind is an auditor's, she acknowledges nothing.
    "auditor": Walk("audra", "Pending alerts", None, None, _ledger_and_records),
    # The node operator (also a security officer in the demo): the alerts on the first
    # screen; no queue kind is theirs until someone asks for a release of the operator's
    # organisation.
    "node operator": Walk(
        "ops", "Pending alerts", None, None, _ledger_csv, sign_in=_operator_signs_in
    ),
}


def _banner(page: Page) -> str:
    return page.locator(".banner-top .banner-text").inner_text()


def _serve_axe(route: Route) -> None:
    route.fulfill(body=AXE.read_text(), content_type="text/javascript")


def _violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations on ``page``, the script loaded from the page's own origin
    (a Playwright route), so the page's CSP stays in force."""
    settled(page)
    page.add_script_tag(url=_AXE_URL)
    found: list[dict[str, Any]] = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']}))
            .violations.map(v => ({rule: v.id, impact: v.impact, help: v.help,
                                   where: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"""
    )
    return found


def _inked(png: bytes) -> int:
    """How many pixels of a screenshot differ from its top-left one (the background)."""
    image = Image.open(io.BytesIO(png)).convert("L")
    background = int(image.getpixel((0, 0)))  # type: ignore[arg-type]  # one band: an int
    counts = image.histogram()  # pixels per grey value, 0 to 255
    return sum(n for value, n in enumerate(counts) if abs(value - background) > 64)


def _section(page: Page, heading: str) -> Any:
    title = page.get_by_role("heading", name=re.compile("^" + re.escape(heading)))
    return page.locator("section.card").filter(has=title)


def _longest_page(page: Page, url: str) -> str:
    """The longest page the role's navigation (the More links included) opens."""
    hrefs = page.eval_on_selector_all(
        'header.top nav[aria-label="Main"] a[href]', "as => as.map(a => a.getAttribute('href'))"
    )
    heights: dict[str, int] = {}
    for href in dict.fromkeys(hrefs):
        response = page.goto(url + href)
        if response is not None and response.ok:
            heights[href] = int(page.evaluate("document.documentElement.scrollHeight"))
    return max(heights, key=lambda href: heights[href])


def _is_marked(download: Download) -> None:
    """A CSV carries its marking on its first and last lines, a PDF at the head and foot
    of every page, an HTML report in its header and footer; the banner of the page that
    offered it when the file holds what the page shows."""
    if download.name.endswith(".pdf"):
        pages = pdf_pages(download.body)
        assert pages, download.name
        assert download.expected is not None
        for text in pages:
            assert text.count(f"({download.expected}) Tj") == 2, text
        return
    text = download.body.decode("utf-8")
    if download.name.endswith(".html"):
        found = re.findall(r'<(header|footer) class="marking" aria-label="Marking">([^<]+)<', text)
        assert [where for where, _ in found] == ["header", "footer"], found
        assert found[0][1] == found[1][1]
        assert found[0][1].strip()
        marking = found[0][1]
    else:
        marking = csv_marking(text)
        assert marking.strip()
    if download.expected is not None:
        assert marking == download.expected, download.name


@pytest.mark.parametrize("role", sorted(WALKS))
def test_a_roles_first_hour(browser: Browser, demo: Demo, role: str) -> None:  # noqa: F811
    # A route that raised would leave the page waiting for axe with no error.
    assert AXE.exists(), f"{AXE} is missing: run `make browser` (npm ci in tests/web/axe)"
    walk = WALKS[role]
    context = browser.new_context(viewport={"width": 1280, "height": HEIGHT})
    context.route(f"{demo.url}{_AXE_URL}", _serve_axe)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    found: dict[str, list[dict[str, Any]]] = {}

    def judge() -> None:
        if violations := _violations(page):
            found[page.url] = violations

    # Sign in; the first screen lists something for the role, and the bell shows.
    if walk.sign_in is None:
        sign_in(page, demo, walk.username)
    else:
        walk.sign_in(page, demo)
    expect(_section(page, walk.first_screen).get_by_role("listitem").first).to_be_visible()
    bell = page.get_by_role("link", name=re.compile(r"^Notifications: \d+ unread$"))
    icon = bell.locator("svg")
    expect(icon).to_be_visible()
    box = icon.bounding_box()
    assert box is not None
    assert box["width"] >= 10
    assert box["height"] >= 10
    assert _inked(icon.screenshot()) >= 20  # drawn, not an empty box (no emoji font here)
    judge()

    # The queue: the first item of the role's kind is acted on and leaves the queue.
    page.goto(demo.url + "/work")
    if walk.queue is None:
        expect(page.get_by_text("Nothing waits for you.")).to_be_visible()
    else:
        items = _section(page, walk.queue).get_by_role("link")
        waiting = items.count()
        assert waiting >= 1, f"nothing waits for {walk.username} under {walk.queue}"
        text = items.first.inner_text()
        items.first.click()
        assert walk.act is not None, f"{walk.username}'s queue holds what they may not do"
        walk.act(page)
        judge()
        page.goto(demo.url + "/work")
        expect(page.get_by_role("link", name=text, exact=True)).to_have_count(0)
        assert _section(page, walk.queue).get_by_role("link").count() == waiting - 1
        judge()

    # The banner at the bottom of the longest page stays in view, whole.
    longest = _longest_page(page, demo.url)
    page.goto(demo.url + longest)
    top, bottom = page.locator(".banner-top"), page.locator(".banner-bottom")
    assert top.inner_text() == bottom.inner_text()
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    expect(top).to_be_in_viewport()
    expect(bottom).to_be_in_viewport()
    seen = bottom.bounding_box()
    assert seen is not None
    assert seen["y"] + seen["height"] <= HEIGHT + 1, longest
    judge()

    # The role's download carries the marking of the page that offered it.
    for download in walk.downloads(page, demo.url) if walk.downloads else []:
        _is_marked(download)
    context.close()
    assert found == {}, found
    assert problems == [], problems
