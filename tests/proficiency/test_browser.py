"""The demo's proficiency rounds in a real browser (Chromium, Playwright) against a real
`caveat demo` server: the scores and plots render under the page's CSP with no console
error, the open round is blind to a laboratory, and the coordinator closes it from the
page. Screenshots land beside the others (docs/screenshots/ with
CAVEAT_UPDATE_SCREENSHOTS=1)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from caveat.services import demo as scenario
from tests.web.test_browser import Demo, _page, browser, demo, shots, sign_in

__all__ = ["browser", "demo", "shots"]  # the fixtures, from the browser tests
pytestmark = pytest.mark.slow


def test_rounds_scores_and_plots_in_the_browser(browser: Browser, demo: Demo, shots: Path) -> None:
    page, problems = _page(browser)
    sign_in(page, demo, "bob")  # DSTL
    page.locator("details.nav-more summary").click()  # less-used links sit under More
    page.get_by_role("link", name="Proficiency").first.click()
    page.get_by_role("link", name=scenario.PROFICIENCY_CLOSED).click()
    expect(page.get_by_role("heading", name="Sphere S-01: scores")).to_be_visible()
    plots = page.locator("svg[role=img]")
    expect(plots).to_have_count(5)  # results, scores, Mandel, density, control
    expect(page.get_by_role("rowheader", name="DSTL (yours)")).to_be_visible()
    expect(page.get_by_text("unsatisfactory").first).to_be_visible()
    page.screenshot(path=shots / "proficiency-round.png", full_page=True)
    page.get_by_role("link", name="Proficiency testing").click()
    page.get_by_role("link", name=scenario.PROFICIENCY_OPEN).click()
    expect(page.get_by_role("heading", name="Your laboratory's results")).to_be_visible()
    rows = page.locator("section[aria-labelledby=mine-h] tbody tr")
    expect(rows).to_have_count(1)  # DSTL's only: blind until close
    expect(page.locator("svg[role=img]")).to_have_count(0)
    assert problems == []
    coordinator, coordinator_problems = _page(browser)
    sign_in(coordinator, demo, "paul")
    coordinator.goto(page.url)
    expect(coordinator.locator("section[aria-labelledby=mine-h] tbody tr")).to_have_count(3)
    coordinator.get_by_role("button", name="Close and score the round").click()
    expect(coordinator.get_by_text("round closed and scored")).to_be_visible()
    page.reload()
    expect(page.locator("svg[role=img]")).to_have_count(5)
    assert coordinator_problems == []
    assert problems == []


def test_the_round_page_and_its_report_pass_axe(browser: Browser, demo: Demo) -> None:
    """axe-core finds nothing on a closed round's page (scores, every plot, the report
    links) nor in the HTML report it offers, as a laboratory reads them."""
    from tests.web.test_accessibility import AXE, _violations

    assert AXE.exists(), f"{AXE} is missing: run `make browser`"
    source = AXE.read_text()
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 860})
    page = context.new_page()
    sign_in(page, demo, "bob")
    page.locator("details.nav-more summary").click()  # less-used links sit under More
    page.get_by_role("link", name="Proficiency").first.click()
    page.get_by_role("link", name=scenario.PROFICIENCY_CLOSED).click()
    expect(page.get_by_role("heading", name="Reports")).to_be_visible()
    assert _violations(page, source) == []
    report = page.request.get(page.url + "/report.html")
    assert report.ok
    assert report.headers["content-type"].startswith("text/html")
    shown = context.new_page()
    shown.set_content(report.text())
    expect(shown.get_by_role("heading", level=1)).to_contain_text("Proficiency test report")
    assert _violations(shown, source) == []
    context.close()
