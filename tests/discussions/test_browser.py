"""The demo's discussion in a real browser (Chromium, Playwright) against a real
`caveat demo` server, under the page's CSP with no console error: the banner changes
with the viewer (a USA reader sees SECRET//NOFORN, a GBR reader SECRET//REL TO USA, GBR)
and the messages a reader may not read are simply not there."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from caveat.services import demo as scenario
from tests.web.test_browser import Demo, _page, browser, demo, shots, sign_in

__all__ = ["browser", "demo", "shots"]  # the fixtures, from the browser tests
pytestmark = pytest.mark.slow


def test_the_discussion_banner_changes_with_the_viewer(
    browser: Browser, demo: Demo, shots: Path
) -> None:
    seen = {}
    for who, nation in (("alice", "USA"), ("bob", "GBR")):
        page, problems = _page(browser)
        sign_in(page, demo, who)
        page.locator("details.nav-more summary").click()  # less-used links sit under More
        page.get_by_role("link", name="Discussions").first.click()
        page.get_by_role("rowheader").get_by_role("link", name=scenario.DISCUSSION_TITLE).click()
        expect(page.get_by_role("heading", name=scenario.DISCUSSION_TITLE)).to_be_visible()
        banner = page.locator(".banner-top")
        seen[nation] = banner.get_attribute("data-marking")
        page.screenshot(path=shots / f"discussion-{nation.lower()}.png", full_page=True)
        messages = page.locator("article.message")
        if nation == "USA":
            expect(messages).to_have_count(4)
            expect(page.get_by_text("US only")).to_be_visible()
        else:
            expect(messages).to_have_count(3)
            expect(page.get_by_text("US only")).to_have_count(0)
        assert problems == []
        page.context.close()
    assert seen == {"USA": "SECRET//NOFORN", "GBR": "SECRET//REL TO USA, GBR"}
