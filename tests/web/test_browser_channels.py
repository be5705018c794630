"""A live channel in a real browser against a `caveat demo` server of its own: Paul
(GBR, programme manager) opens a channel of the sensor project on its page and
publishes into it; the pages Alice (USA) and Claire (FRA) opened before show each new
message without a reload, only those the policy lets each of them read, with their
portion marks, under a banner rolled up again, and without any content-security-policy
violation or script error. axe-core checks both pages (the accessibility crawl reaches
the list and the demo's own channel, empty)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

# The demo server, browser and screenshot folder of test_browser.py (module-scoped: this
# module gets a demo node of its own).
from tests.web.test_accessibility import AXE, _violations
from tests.web.test_browser import Demo, _page, browser, demo, shots, sign_in  # noqa: F401

pytestmark = pytest.mark.slow
PROJECT = "Passive Sensor Fusion"


def _publish(page: Page, body: str, label: str) -> None:
    page.get_by_role("textbox", name="Message").fill(body)
    page.get_by_role("combobox", name="Security label").fill(label)
    page.get_by_role("button", name="Publish").click()
    page.wait_for_url(re.compile(r".*/channels/[0-9a-f-]{36}\?done=.*"))


def test_messages_published_after_the_page_loaded_appear_for_those_who_may_read_them(
    browser: Browser,  # noqa: F811
    demo: Demo,  # noqa: F811
    shots: Path,  # noqa: F811
) -> None:
    # Paul's context lets axe-core in (test_accessibility's way); the watchers' do not.
    paul = demo.context(browser, "paul").new_page()
    paul.goto(demo.url + "/")
    paul.locator("details.nav-more summary").click()  # less-used links sit under More
    paul.get_by_role("link", name="Channels").click()
    paul.get_by_label("Name").fill("Range C telemetry")  # the demo has "Trial status"
    paul.get_by_label("Project").fill(PROJECT)
    paul.get_by_role("button", name="Open the channel").click()
    paul.wait_for_url(re.compile(r".*/channels/[0-9a-f-]{36}\?done=.*"))
    channel = paul.url.split("?")[0]

    watchers = {}
    for username in ("alice", "claire"):
        page, problems = _page(browser, demo, username)
        page.goto(channel)
        expect(page.get_by_role("status").filter(has_text="Live")).to_be_visible()
        watchers[username] = (page, problems)
    alice, alice_problems = watchers["alice"]
    claire, claire_problems = watchers["claire"]
    assert alice.locator("article.message").count() == 0

    _publish(paul, "Range C is hot from 14:00", "SECRET//REL TO USA, GBR")
    _publish(paul, "Weather briefing at 13:30", "UNCLASSIFIED")

    # Alice reads both, as they arrive, each with its own portion mark.
    expect(alice.locator("article.message")).to_have_count(2)
    first = alice.locator("article.message").first
    expect(first).to_contain_text("Range C is hot from 14:00")
    expect(first.locator(".portion")).to_have_text("(S//REL TO USA, GBR)")
    expect(alice.locator(".banner-text").first).to_have_text(re.compile(r"^SECRET//REL TO"))
    expect(alice.locator(".banner-top")).to_have_class(re.compile(r"banner-secret"))
    # Claire (FRA) gets the unclassified one live, never the one not releasable to France.
    expect(claire.locator("article.message")).to_have_count(1)
    expect(claire.locator("article.message")).to_contain_text("Weather briefing at 13:30")
    assert "Range C is hot" not in claire.content()
    assert "SECRET" not in claire.locator(".banner-text").first.inner_text()
    alice.screenshot(path=shots / "channel-live.png", full_page=True)
    # axe checks the list and the live page with messages the script added.
    if AXE.exists():
        axe = AXE.read_text()
        for where in (channel, demo.url + "/channels"):
            paul.goto(where)
            assert _violations(paul, axe) == [], where
    # Still on the pages first loaded: nothing was reloaded.
    assert alice.url == channel
    assert claire.url == channel
    assert alice_problems == []
    assert claire_problems == []
