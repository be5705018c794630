"""The release workflow in a real browser against a `caveat demo` server of its own: the
requester is refused approving their own request, export control classifies, the
originator's security officer approves, and the export-records page shows the record.

The demo has no second security officer at AFRL, so two are added (with the demo
password) and an ITAR artifact of AFRL is uploaded, through the services, by a small
script run against the demo's data directory before anyone signs in.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import UTC, date, datetime
from hashlib import sha256
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from caveat.services.demo import DEMO_LICENCE, DEMO_PASSWORD

# The demo server, browser and screenshot folder of test_browser.py (module-scoped: this
# module gets a demo node of its own).
from tests.web.test_browser import REPO, Demo, _page, browser, demo, shots, sign_in  # noqa: F401
from tests.web.test_browser_tables import LINES, overflow

pytestmark = pytest.mark.slow
PROJECT = "Passive Sensor Fusion"
TITLE = "Seeker trials, range C"
OFFICERS = (("sol", "Sol Ortega"), ("sue", "Sue Park"))  # security officers at AFRL


def _records_are_readable(page: Page, width: int) -> None:
    """The records table at ``width``: no column a letter wide, no cell wrapping inside a
    word, and when wider than its box it scrolls there, the page not sideways (issue 16:
    the hash, entries and recipients ran down letter by letter, "Approved by" was cut)."""
    cells = page.locator("table.records thead th, table.records tbody td")
    measured = cells.evaluate_all(LINES)
    assert [(text, n) for text, n, words, _ in measured if n > words] == [], width
    wide = page.evaluate("""() => [...document.querySelectorAll('body *')].filter(
      e => e.getBoundingClientRect().right > innerWidth + 1).slice(0, 8).map(
      e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))""")
    assert overflow(page) <= 0, (width, wide)
    scroller = page.locator("table.records").evaluate(
        "t => [t.parentElement.className, getComputedStyle(t.parentElement).overflowX]"
    )
    assert scroller == ["table-scroll", "auto"]
    approved = page.locator("table.records thead th", has_text="Approved by")
    if width > 640:  # the phone shows the rows as cards, under the sort headers only
        widths = page.locator("table.records thead th").evaluate_all(
            "ths => ths.map(th => th.getBoundingClientRect().width)"
        )
        assert min(widths) >= 64, widths
        approved.scroll_into_view_if_needed()
        expect(approved).to_be_in_viewport()
        assert overflow(page) <= 0, width
    digest = page.locator('table.records td[data-label="Version"] code.hash').first
    title = digest.get_attribute("title") or ""
    assert re.fullmatch(r"SHA-256 [0-9a-f]{64}", title)  # the whole value, for copying
    page.evaluate(
        "() => { document.querySelectorAll('.table-scroll').forEach(s => { s.scrollLeft = 0; });"
        " window.scrollTo(0, 0); }"
    )


def seed(data_dir: str) -> dict[str, str]:
    """Run in a subprocess on the demo's data directory: the officers' TOTP secrets and
    the artifact's id."""
    from caveat.bootstrap.container import open_node
    from caveat.bootstrap.settings import Settings
    from caveat.domain.identity import Clearance, CommonLevel, Role
    from caveat.services.artifacts._service import NewArtifact
    from caveat.services.kernel.principal import ConsoleOperator, Principal
    from caveat.services.kernel.uow import CallContext

    node = open_node(Settings(data_dir=Path(data_dir)))
    console, ctx, out = ConsoleOperator("browser-test"), CallContext.cli(), {}
    try:
        for username, name in OFFICERS:
            account = node.people.create_person(
                console,
                ctx,
                username=username,
                display_name=name,
                email=f"{username}@afrl.example",
                organisation="AFRL",
                citizenships=["USA"],
                roles=[Role.SECURITY_OFFICER],
                clearance=Clearance(CommonLevel.SECRET, "SECRET", "USA", date(2028, 12, 31)),
                password=DEMO_PASSWORD,
            )
            node.projects.add_member(console, ctx, PROJECT, username)
            out[username] = account.mfa.totp_secret
        alice = Principal(person=node.people.get_person("alice"), mfa_at=datetime.now(UTC))
        data = b"range_km,pd\n55,0.8\n"
        node.artifacts.put(
            alice,
            ctx,
            iter([data]),
            sha256=sha256(data).hexdigest(),
            new=NewArtifact(
                project=PROJECT,
                kind="test_data",
                title=TITLE,
                label="SECRET//REL TO USA, GBR",
                controls=("ITAR:USML-XI(c)(1)",),
            ),
            filename="seeker-range-c.csv",
        )
        [out["artifact"]] = [r.id for r in node.policy.catalogue() if r.title == TITLE]
    finally:
        node.close()
    return out


def _seeded(server: Demo) -> dict[str, str]:
    script = "import json, sys; from {} import seed; print(json.dumps(seed(sys.argv[1])))"
    result = subprocess.run(
        [sys.executable, "-c", script.format(__name__), str(server.data_dir)],
        env=server.env,
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    found: dict[str, str] = json.loads(result.stdout.strip().splitlines()[-1])
    return found


def _sign_in_with(page: Page, server: Demo, username: str, secret: str) -> None:
    page.goto(server.url + "/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_label("One-time code").fill(server.code_for(username, secret))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(server.url + "/")


def test_a_release_request_approved_by_the_right_officer_and_refused_for_the_requester(
    browser: Browser,  # noqa: F811
    demo: Demo,  # noqa: F811
    shots: Path,  # noqa: F811
) -> None:
    seeded = _seeded(demo)
    # Sol, an AFRL security officer on the project, asks to release the artifact to ONERA.
    page, problems = _page(browser)
    _sign_in_with(page, demo, "sol", seeded["sol"])
    page.goto(f"{demo.url}/releases/new?resource={seeded['artifact']}")
    expect(page.get_by_text(f"(S//REL TO USA, GBR) {TITLE}")).to_be_visible()
    page.get_by_label("Release to organisations").fill("ONERA")
    page.get_by_label("Justification").fill("ONERA runs the range C trials with us")
    page.get_by_role("button", name="Request the release").click()
    page.wait_for_url(re.compile(r".*/releases/[0-9a-f-]{36}\?done=.*"))
    release = page.url.split("?")[0]
    assert page.locator(".banner-text").first.inner_text().split("//")[0] == "SECRET"
    assert problems == []
    # The officer's role offers the decision form; the service refuses his own request.
    page.get_by_label("Reason").fill("approving my own request")
    with page.expect_response(f"{release}/decide") as answer:
        page.get_by_role("button", name="Approve").click()
    assert answer.value.status == 403  # the browser logs the intended 403
    assert "nobody decides a request they made" in page.get_by_role("alert").inner_text()
    # Erin (AFRL export control) finds it on her dashboard and classifies it under the licence.
    eco, eco_problems = _page(browser, demo, "erin")
    eco.get_by_role("link", name=f"Classify: {TITLE} to ONERA").click()
    eco.get_by_label("Covering authorization").select_option(value=DEMO_LICENCE)
    eco.get_by_role("button", name="Record the classification").click()
    assert eco.get_by_role("status").inner_text().startswith("Classified.")
    assert eco_problems == []
    # Sue, another AFRL security officer, approves: the label widens, a record is written.
    officer, officer_problems = _page(browser)
    _sign_in_with(officer, demo, "sue", seeded["sue"])
    officer.get_by_role("link", name=f"Decide: {TITLE} to ONERA").click()
    officer.get_by_label("Reason").fill("AFRL agrees: ONERA holds the licence")
    officer.get_by_role("button", name="Approve").click()
    assert officer.get_by_role("status").inner_text().startswith("Approved")
    assert officer.get_by_role("heading", name=re.compile(r"FRA.*Seeker trials, range C")).count()
    officer.get_by_role("link", name="Requests").click()
    officer.screenshot(path=shots / "releases.png", full_page=True)
    officer.get_by_role("link", name="Export records").click()
    row = officer.get_by_role("row").filter(has_text=TITLE)
    expect(row.get_by_role("cell", name=DEMO_LICENCE)).to_be_visible()
    expect(row.get_by_role("cell", name="ONERA - The French Aerospace Lab")).to_be_visible()
    assert "v1" in row.inner_text()
    assert officer.locator(".banner-text").first.inner_text().split("//")[0] == "SECRET"
    for width in (390, 1366):
        officer.set_viewport_size({"width": width, "height": 800})
        _records_are_readable(officer, width)
    officer.set_viewport_size({"width": 1280, "height": 860})  # as every screenshot
    officer.screenshot(path=shots / "export-records.png", full_page=True)
    # Printed: the report and its banners, without menus or the filter form.
    officer.emulate_media(media="print")
    expect(officer.get_by_text("Report of ")).to_be_visible()
    assert not officer.get_by_role("search").is_visible()
    assert not officer.get_by_role("navigation", name="Main").is_visible()
    expect(officer.locator(".banner").last).to_be_visible()
    assert officer_problems == []
