"""End to end in a real browser: Debian's Chromium driven by Playwright against a real
`caveat demo` server. Nothing is downloaded: the browser comes from the system package
(.ci/run installs it). Screenshots land in a temporary folder, or in docs/screenshots/
with CAVEAT_UPDATE_SCREENSHOTS=1.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from caveat.client import CaveatClient
from caveat.domain.errors import CaveatError
from caveat.services.demo import DEMO_PASSWORD

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

    def code(self, username: str) -> str:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "caveat",
                "--data-dir",
                str(self.data_dir),
                "demo",
                "code",
                username,
            ],
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        return result.stdout.strip()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    tmp = tmp_path_factory.mktemp("browser")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAVEAT_")}
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
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
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


def _page(browser: Browser) -> tuple[Page, list[str]]:
    page = browser.new_page(viewport={"width": 1280, "height": 860})
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
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
    assert page.get_by_role("heading", name="Welcome, Claire Dubois").is_visible()
    banners = page.locator(".banner")
    assert banners.count() == 2
    assert banners.first.inner_text() == "NON PROTÉGÉ"  # a French viewer reads French words
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
    page, problems = _page(browser)
    sign_in(page, demo, "ingrid")
    page.get_by_role("link", name="People").click()
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
    assert page.get_by_role("heading", name="One-time secrets for nora").is_visible()
    assert page.locator(".qr svg").count() == 1
    page.screenshot(path=shots / "new-person-secrets.png", full_page=True)
    page.get_by_role("link", name="Groups").click()
    assert page.get_by_role("cell", name="SENSORPROG").is_visible()
    page.screenshot(path=shots / "groups.png", full_page=True)
    assert problems == []


def test_researchers_get_a_readable_refusal(browser: Browser, demo: Demo) -> None:
    page, _ = _page(browser)
    sign_in(page, demo, "alice")
    response = page.goto(demo.url + "/admin/people")
    assert response is not None
    assert response.status == 403
    assert page.get_by_role("heading", name="Forbidden").is_visible()
    assert page.get_by_text("What to do").is_visible()
