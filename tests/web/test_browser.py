"""End to end in a real browser: Debian's Chromium driven by Playwright against a real
`caveat demo` server. Nothing is downloaded: the browser comes from the system package
(.ci/run installs it). Screenshots land in a temporary folder, or in docs/screenshots/
with CAVEAT_UPDATE_SCREENSHOTS=1.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from filelock import FileLock
from playwright.sync_api import (
    Browser,
    BrowserContext,
    FilePayload,
    Page,
    StorageState,
    expect,
    sync_playwright,
)

from caveat.client import CaveatClient
from caveat.domain.credentials import TOTP_STEP_SECONDS, totp_code
from caveat.domain.errors import CaveatError
from caveat.services.demo import DEMO_PASSWORD
from tests.support import die_with_parent

CHROMIUM = os.environ.get("CAVEAT_CHROMIUM", "/usr/bin/chromium")
REPO = Path(__file__).parents[2]
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Demo:
    """A running demo node: its URL and a way to read a person's TOTP code."""

    def __init__(self, url: str, data_dir: Path, env: dict[str, str]) -> None:
        self.url = url
        self.data_dir = data_dir
        self.env = env
        self._used: dict[str, str] = {}
        self._sessions: dict[str, StorageState] = {}

    def session(self, browser: Browser, username: str) -> StorageState:
        """``username`` signed in once for this demo, as cookies for new browser contexts
        (``storage_state=``): for tests about a page, not about signing in, since each
        sign-in waits for a TOTP step its person has not used yet (up to 30 s)."""
        if username not in self._sessions:
            context = browser.new_context()
            sign_in(context.new_page(), self, username)
            self._sessions[username] = context.storage_state()
            context.close()
        return self._sessions[username]

    def context(
        self, browser: Browser, username: str, *, width: int = 1280, height: int = 860
    ) -> BrowserContext:
        """A context signed in as ``username`` (``session``) that lets axe-core's inline
        script in (``bypass_csp``): for the accessibility checks, never for a CSP test."""
        return browser.new_context(
            bypass_csp=True,
            viewport={"width": width, "height": height},
            storage_state=self.session(browser, username),
        )

    def code(self, username: str) -> str:
        """A code the server has not seen from this person: it refuses a replayed code,
        so a second sign-in within the same 30-second step waits for the next one."""
        return self._unused(username, lambda: self._demo_code(username))

    def code_for(self, username: str, secret: str) -> str:
        """As ``code``, for an account the test made itself (its secret is known)."""
        return self._unused(username, lambda: totp_code(secret, datetime.now(UTC)))

    def _unused(self, username: str, current: Callable[[], str]) -> str:
        deadline = time.monotonic() + 2 * TOTP_STEP_SECONDS
        code = current()
        while code == self._used.get(username) and time.monotonic() < deadline:
            time.sleep(1)
            code = current()
        self._used[username] = code
        return code

    def _demo_code(self, username: str) -> str:
        # What `caveat demo code` prints (tests/cli/test_demo_e2e.py runs the command),
        # read here without starting a Python process for every sign-in.
        creds = json.loads((self.data_dir / "demo-credentials.json").read_text())
        account = creds["operator"] if username == "ops" else creds["people"][username]
        return totp_code(account["totp_secret"], datetime.now(UTC))


def _demo_template(tmp_path_factory: pytest.TempPathFactory, env: dict[str, str]) -> Path:
    """One seeded demo data directory for the whole run, made by the first module that
    asks (across pytest-xdist workers, under a file lock): seeding costs about 9 s of
    CPU (production argon2 for 18 people), and each module serves its own copy."""
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    template = root / "demo-template"
    ready = root / "demo-template.ready"
    with FileLock(str(root / "demo-template.lock")):
        if not ready.exists():
            shutil.rmtree(template, ignore_errors=True)
            command = ["-m", "caveat", "--data-dir", str(template), "demo", "--no-serve"]
            seeded = subprocess.run(
                [sys.executable, *command],
                env=env,
                capture_output=True,
                text=True,
                timeout=300,  # seeding is slow on a loaded machine
                check=False,
            )
            assert seeded.returncode == 0, seeded.stdout + seeded.stderr
            ready.touch()
    return template


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    tmp = tmp_path_factory.mktemp("browser")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAVEAT_")}
    env["CAVEAT_VERIFY_BATCH"] = "2"  # verify-all then takes several steps in the page
    # Passwords hashed at the test cost: the pages, not argon2's production cost, are under
    # test here (the wheel's smoke test and tests/cli/test_demo_e2e.py seed at that cost).
    env["CAVEAT_HASH_PROFILE"] = "test"
    shutil.copytree(_demo_template(tmp_path_factory, env), tmp / "demo")
    port = _free_port()
    log = (tmp / "server.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "caveat",
            "--data-dir",
            str(tmp / "demo"),
            "demo",
            "--port",
            str(port),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        preexec_fn=die_with_parent,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180  # starting is slow on a loaded machine
        while True:
            try:
                with CaveatClient(url, timeout=2) as client:
                    client.ready()
                    break
            except CaveatError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("demo server did not start:\n" + (tmp / "server.log").read_text())
                time.sleep(0.3)
        yield Demo(url, tmp / "demo", env)
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert shutil.which(CHROMIUM) or Path(CHROMIUM).exists(), (
        f"Chromium is not installed at {CHROMIUM}: apt-get install chromium (.ci/run does)"
    )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if os.environ.get("CAVEAT_UPDATE_SCREENSHOTS") == "1":
        target = REPO / "docs" / "screenshots"
        target.mkdir(parents=True, exist_ok=True)
        return target
    return tmp_path_factory.mktemp("screenshots")


def _page(
    browser: Browser, demo: Demo | None = None, username: str | None = None
) -> tuple[Page, list[str]]:
    """A page with its console errors collected; with ``username``, signed in as them
    (``Demo.session``) and opened on the home page."""
    state = demo.session(browser, username) if demo is not None and username else None
    page = browser.new_page(viewport={"width": 1280, "height": 860}, storage_state=state)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    if demo is not None and username:
        page.goto(demo.url + "/")
    return page, problems


def sign_in(page: Page, demo: Demo, username: str) -> None:
    page.goto(demo.url + "/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_label("One-time code").fill(demo.code(username))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(demo.url + "/")


def test_sign_in_with_totp_and_keyboard_only(browser: Browser, demo: Demo, shots: Path) -> None:
    page, problems = _page(browser)
    page.goto(demo.url + "/")
    assert page.url.startswith(demo.url + "/login")
    page.screenshot(path=shots / "sign-in.png")
    # Keyboard only: the username field has focus; tab through the form and submit.
    page.keyboard.type("claire")
    page.keyboard.press("Tab")
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Tab")
    page.keyboard.type(demo.code("claire"))
    page.keyboard.press("Enter")
    page.wait_for_url(demo.url + "/")
    expect(page.get_by_role("heading", name="Welcome, Claire Dubois")).to_be_visible()
    banners = page.locator(".banner-text")
    assert banners.count() == 2
    assert banners.first.inner_text().split("//")[0] == "NON PROTÉGÉ"  # French words
    page.screenshot(path=shots / "dashboard.png", full_page=True)
    assert problems == []


def test_a_wrong_code_is_refused_in_the_page(browser: Browser, demo: Demo) -> None:
    page, _ = _page(browser)
    page.goto(demo.url + "/login")
    page.get_by_label("Username").fill("bob")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_label("One-time code").fill("000000")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").inner_text().startswith("the username, password")


def test_an_officer_adds_a_person_and_gets_the_qr_code(
    browser: Browser, demo: Demo, shots: Path
) -> None:
    page, problems = _page(browser, demo, "ingrid")
    page.get_by_role("link", name="People").click()
    # Wait for the whole list: a full-page shot taken mid-load is cut short.
    page.wait_for_url(demo.url + "/admin/people")
    expect(page.get_by_role("link", name="oskar", exact=True)).to_be_visible()
    page.screenshot(path=shots / "people.png", full_page=True)
    page.get_by_role("link", name="Add a person").click()
    page.get_by_label("Username").fill("nora")
    page.get_by_label("Display name").fill("Nora Haugen")
    page.get_by_label("E-mail").fill("nora@ffi.example")
    page.get_by_label("Organisation").select_option(
        label="Norwegian Defence Research Establishment (NOR)"
    )
    page.get_by_label("Citizenships").fill("NOR")
    page.get_by_role("button", name="Create account").click()
    # The answer is a new page after an Argon2 hash: wait for it (auto-retrying assertion).
    expect(page.get_by_role("heading", name="One-time secrets for nora")).to_be_visible()
    assert page.locator(".qr svg").count() == 1
    page.screenshot(path=shots / "new-person-secrets.png", full_page=True)
    page.locator("details.nav-more summary").click()  # less-used links sit under More
    page.get_by_role("link", name="Groups").click()
    expect(page.get_by_role("cell", name="SENSORPROG")).to_be_visible()
    page.screenshot(path=shots / "groups.png", full_page=True)
    assert problems == []


def test_researchers_get_a_readable_refusal(browser: Browser, demo: Demo) -> None:
    page, _ = _page(browser, demo, "alice")
    response = page.goto(demo.url + "/admin/people")
    assert response is not None
    assert response.status == 403
    expect(page.get_by_role("heading", name="Forbidden")).to_be_visible()
    expect(page.get_by_text("What to do")).to_be_visible()


CAVEAT = (sys.executable, "-m", "caveat")


ITAR = "ITAR:USML-XI(c)(1)"


@dataclass
class Uploaded:
    """An artifact uploaded through the form, and the page that did it (left on the
    artifact's page)."""

    url: str
    page: Page
    problems: list[str]


@pytest.fixture(scope="module")
def seeker_trials(browser: Browser, demo: Demo, shots: Path) -> Uploaded:
    """Sam (GBR and USA, Northwind Sensors) uploads ITAR test data for the UK project
    members through the upload form, once for the tests that read it (in any order)."""
    page, problems = _page(browser, demo, "sam")
    page.get_by_role("link", name="Artifacts", exact=True).click()
    page.get_by_role("link", name="Upload an artifact").click()
    page.get_by_label("Project").select_option(label="Passive Sensor Fusion")
    page.get_by_label("Kind").select_option(label="test data")
    page.get_by_label("Title").fill("Seeker trials, range B")
    page.get_by_label("Summary").fill("Passive seeker detection ranges against the test emitter.")
    page.get_by_label("Keywords").fill("seeker, range, emitter")
    page.get_by_label("Security label").press_sequentially("secret//rel to gbr,usa", delay=20)
    chip = page.locator("#label-result .chip")
    chip.wait_for()
    assert chip.inner_text() == "SECRET//REL TO USA, GBR"  # normalised as typed
    page.get_by_label("Export-control entries").fill(ITAR)
    page.get_by_label("File").set_input_files(
        files=[
            FilePayload(
                name="seeker-range-b.csv", mimeType="text/csv", buffer=b"range_km,pd\n40,0.9\n"
            )
        ]
    )
    page.screenshot(path=shots / "upload.png", full_page=True)
    page.get_by_role("button", name="Upload", exact=True).click()
    page.wait_for_url(re.compile(r".*/artifacts/[0-9a-f-]{36}\?done=.*"))
    return Uploaded(page.url.split("?")[0], page, problems)


def test_upload_a_labelled_file_and_see_its_banner(shots: Path, seeker_trials: Uploaded) -> None:
    page, problems = seeker_trials.page, seeker_trials.problems
    page.goto(seeker_trials.url)  # the page the upload ended on
    banners = page.locator(".banner")
    assert page.locator(".banner-text").first.inner_text() == "SECRET//REL TO USA, GBR"
    assert "banner-secret" in (banners.first.get_attribute("class") or "")
    expect(
        page.get_by_role("heading", name="(S//REL TO USA, GBR) Seeker trials, range B")
    ).to_be_visible()
    expect(page.get_by_text("You may download the content.")).to_be_visible()
    page.screenshot(path=shots / "artifact-detail.png", full_page=True)
    page.get_by_role("link", name="Artifacts", exact=True).click()
    expect(page.get_by_role("link", name="Seeker trials, range B")).to_be_visible()
    rolled = page.locator(".banner-text").first.inner_text()
    assert rolled.split("//")[0] == "SECRET"  # the list's roll-up
    page.screenshot(path=shots / "artifact-list.png", full_page=True)
    assert problems == []


def test_a_user_of_another_nation_is_denied_with_the_explanation(
    browser: Browser, demo: Demo, shots: Path, seeker_trials: Uploaded
) -> None:
    url = seeker_trials.url
    # Bob (GBR only, DSTL) may see the entry but not the ITAR-controlled content.
    page, problems = _page(browser, demo, "bob")
    page.goto(url)
    expect(page.get_by_role("heading", name="Why can't I download this?")).to_be_visible()
    expect(page.get_by_text("export authorization", exact=False).first).to_be_visible()
    expect(
        page.get_by_text("1 export-control entry needs an authorization that covers you")
    ).to_be_visible()
    page.screenshot(path=shots / "explanation.png", full_page=True)
    assert problems == []
    response = page.goto(url + "/download")  # the browser logs the intended 403
    assert response is not None
    assert response.status == 403
    expect(page.get_by_role("heading", name="What stands in the way")).to_be_visible()
    # Dieter (DEU) may not even know it exists: the same page as for no artifact at all.
    other, _ = _page(browser, demo, "dieter")
    missing = other.goto(url)
    assert missing is not None
    assert missing.status == 404
    assert other.get_by_text("Seeker trials").count() == 0


def test_the_auditor_verifies_an_entrys_inclusion_proof(
    browser: Browser, demo: Demo, shots: Path, seeker_trials: Uploaded
) -> None:
    # The newest artifact.created entry is Sam's ITAR upload, which Audra may not discover.
    page, problems = _page(browser, demo, "audra")
    page.get_by_role("link", name="Ledger").click()
    page.get_by_label("Action").fill("artifact.created")
    page.get_by_role("button", name="Search").click()
    # The filtered page, loaded: a shot taken mid-load has the unfiltered page's height.
    page.wait_for_url(re.compile(r".*/ledger\?.*action=artifact\.created.*"))
    page.wait_for_load_state()
    page.screenshot(path=shots / "ledger.png", full_page=True)
    # Only operators publish at once; the console stands in for the sequencer's schedule.
    assert page.get_by_role("button", name="Publish a checkpoint now").count() == 0
    subprocess.run(
        [*CAVEAT, "--data-dir", str(demo.data_dir), "audit", "checkpoint"],
        env=demo.env,
        cwd=REPO,
        capture_output=True,
        check=True,
        timeout=120,
    )
    page.get_by_role("link", name="proof").first.click()
    result = page.locator("#proof-result")
    assert result.inner_text().startswith("Verified: entry #")
    assert page.get_by_text("✔ passed").count() == 4
    # Audra may not discover the ITAR artifact: its title and label are withheld and the
    # page's banner does not echo the label, yet the proof still verifies the entry.
    expect(page.locator("p.withheld")).to_be_visible()
    assert page.locator(".banner").first.inner_text() != "SECRET"
    page.screenshot(path=shots / "ledger-entry.png", full_page=True)
    page.get_by_role("link", name="Verify").click()
    page.get_by_role("button", name="Run the verifier").click()
    assert page.locator("#verify-outcome").inner_text() == "The ledger is consistent."
    assert problems == []


def test_programme_and_compliance_pages_render_under_the_csp(
    browser: Browser, demo: Demo, shots: Path
) -> None:
    page, problems = _page(browser, demo, "paul")  # programme manager
    page.get_by_role("link", name="Programmes").first.click()
    page.get_by_role("link", name="Multinational Passive Sensor Programme").click()
    chart = page.locator("svg[role=img]").first
    expect(chart).to_be_visible()
    page.screenshot(path=shots / "programme.png", full_page=True)
    page.get_by_role("link", name="Agreements").first.click()
    expect(page.get_by_text("ends in").first).to_be_visible()  # the arrangement about to expire
    page.screenshot(path=shots / "agreements.png", full_page=True)
    page.get_by_role("link", name="Control lists").click()
    page.get_by_role("textbox", name="Control entry").fill("MTCR:2.A.1")
    page.get_by_role("button", name="Check").click()
    expect(page.get_by_text("MTCR Category I")).to_be_visible()
    page.screenshot(path=shots / "control-lists.png")
    officer, officer_problems = _page(
        browser, demo, "ingrid"
    )  # security officer: the screening hit to resolve
    officer.get_by_role("link", name="Screening", exact=True).click()
    expect(officer.get_by_text("Oskar Lind").first).to_be_visible()
    officer.screenshot(path=shots / "screening.png", full_page=True)
    assert problems == []
    assert officer_problems == []


def test_the_operator_verifies_every_artifact_step_by_step(
    browser: Browser, demo: Demo, shots: Path, tmp_path: Path
) -> None:
    # Sam shares three small result files through the API (the demo has no content yet).
    with CaveatClient(demo.url, timeout=30) as sam:
        sam.login("sam", DEMO_PASSWORD, demo.code("sam"))
        for n in range(3):
            result = tmp_path / f"range-{n}.csv"
            result.write_bytes(f"range_km,pd\n{40 + n},0.9\n".encode())
            sam.upload_file(
                result,
                project="Passive Sensor Fusion",
                kind="test_data",
                title=f"Seeker trials, batch {n}",
                label="SECRET//REL TO USA, GBR",
            )
    creds = json.loads((demo.data_dir / "demo-credentials.json").read_text())
    page, problems = _page(browser)
    page.goto(demo.url + "/")
    page.get_by_label("Username").fill("ops")
    page.get_by_label("Password").fill(creds["operator"]["password"])
    page.get_by_label("One-time code").fill(demo.code("ops"))
    page.get_by_role("button", name="Sign in").click()
    # A one-time password: the operator chooses a password first.
    page.get_by_label("Current password").fill(creds["operator"]["password"])
    page.get_by_label("New password").fill("operator keeps the node honest 42")
    page.get_by_role("button", name="Change password").click()
    page.wait_for_load_state()
    page.goto(demo.url + "/admin/keys")
    page.get_by_role("button", name="Verify every artifact").click()
    # htmx asks for each next step itself until the summary replaces the progress.
    summary = page.get_by_text(re.compile(r"^Clean: \d+ artifacts"))
    summary.wait_for(timeout=60_000)
    artifacts = int(re.findall(r"Clean: (\d+) artifacts", summary.inner_text())[0])
    assert artifacts > 2  # more than one step of two
    assert page.get_by_role("button", name="Continue").count() == 0
    page.screenshot(path=shots / "verify.png")
    assert problems == []


def test_a_widening_relabel_is_previewed_then_becomes_a_release_request(
    browser: Browser, demo: Demo, shots: Path, seeker_trials: Uploaded
) -> None:
    url = seeker_trials.url
    # Sam's organisation originated the artifact; widening it to FRA is still a release.
    page, problems = _page(browser, demo, "sam")
    page.goto(url + "/relabel")
    page.get_by_label("New security label").fill("SECRET//REL TO USA, FRA, GBR")
    page.get_by_label("Reason").fill("the French partners join range B")
    page.get_by_role("button", name="Preview").click()
    assert page.locator("#relabel-path").inner_text().startswith("This loosens the marking")
    assert page.get_by_role("heading", name=re.compile(r"Would gain read access: [1-9]")).count()
    page.screenshot(path=shots / "relabel-preview.png", full_page=True)
    page.get_by_role("button", name="Request a release").click()
    page.wait_for_url(re.compile(r".*/releases/[0-9a-f-]{36}.*"))
    expect(page.get_by_text("SECRET//REL TO USA, FRA, GBR").first).to_be_visible()
    page.goto(url)  # nothing changed until the release is decided
    expect(
        page.get_by_role("heading", name="(S//REL TO USA, GBR) Seeker trials, range B")
    ).to_be_visible()
    assert problems == []


# Pages a security officer can open in the demo; the test finds the longest of them.
LONG_PAGES = (
    "/",
    "/artifacts",
    "/resources",
    "/releases",
    "/export-records",
    "/ledger",
    "/ledger/checkpoints",
    "/ledger/alerts",
    "/control-lists",
    "/screening",
    "/programmes",
    "/agreements",
    "/authorizations",
    "/admin/people",
    "/admin/organisations",
    "/admin/groups",
)


def test_the_banners_stay_in_view_on_the_longest_page(
    browser: Browser, demo: Demo, shots: Path
) -> None:
    page, problems = _page(
        browser, demo, "victor"
    )  # a security officer: the most pages, the longest ones
    heights: dict[str, int] = {}
    for path in LONG_PAGES:
        response = page.goto(demo.url + path)
        if response is not None and response.ok:
            heights[path] = int(page.evaluate("document.documentElement.scrollHeight"))
    longest = max(heights, key=lambda path: heights[path])
    page.goto(demo.url + longest)
    assert heights[longest] > 2 * 860, heights  # long enough for a banner to scroll away
    top, bottom = page.locator(".banner-top"), page.locator(".banner-bottom")
    assert top.inner_text() == bottom.inner_text()
    for where in ("document.documentElement.scrollHeight / 2", "document.body.scrollHeight"):
        page.evaluate(f"window.scrollTo(0, {where})")
        expect(top).to_be_in_viewport()
        expect(bottom).to_be_in_viewport()
    # At the very bottom the banner sits inside the window, whole.
    box = bottom.bounding_box()
    assert box is not None
    assert box["y"] + box["height"] <= 860 + 1
    page.screenshot(path=shots / "banner-bottom.png")
    assert problems == []


def test_the_subscriptions_page_under_the_csp(browser: Browser, demo: Demo) -> None:
    """The subscriptions status page and its add form load under the strict CSP with no
    console error (the label field's check runs from the page's own script file)."""
    page, problems = _page(browser, demo, "paul")  # a programme manager: the add form is offered
    page.goto(demo.url + "/intel")
    page.get_by_role("link", name="Subscriptions").click()
    page.wait_for_url(demo.url + "/intel/subscriptions")
    expect(page.get_by_role("heading", name="Subscriptions", exact=True)).to_be_visible()
    if page.get_by_label("Subscription label").count():
        page.get_by_label("Subscription label").fill("SECRET//REL TO USA, GBR")
        page.wait_for_timeout(600)
    assert problems == []


@pytest.mark.parametrize("username", ["victor", "ingrid", "erin", "alice"])
def test_the_navigation_fits_one_line_at_1366_px(
    browser: Browser, demo: Demo, username: str
) -> None:
    """The bar wrapped to two lines at 14 links (issue 16): less-used links sit under a
    "More" disclosure, opened from the keyboard with no script."""
    page = browser.new_page(
        viewport={"width": 1366, "height": 768}, storage_state=demo.session(browser, username)
    )
    page.goto(demo.url + "/")
    tops = page.eval_on_selector_all(
        'header.top nav[aria-label="Main"] > a, header.top nav[aria-label="Main"] > details',
        "items => items.map(e => Math.round(e.getBoundingClientRect().top))",
    )
    assert len(tops) > 5
    assert max(tops) - min(tops) <= 2, tops  # every link on one line
    more = page.locator("details.nav-more")
    assert not more.locator("ul").is_visible()
    more.locator("summary").focus()
    page.keyboard.press("Enter")
    inside = more.get_by_role("link", name="Discussions")
    expect(inside).to_be_visible()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('details.nav-more') !== null")
    inside.click()
    page.wait_for_url(demo.url + "/discussions")
    page.close()
