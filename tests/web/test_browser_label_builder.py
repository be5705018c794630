"""The structured label builder in a real browser (Debian's Chromium against a `caveat
demo` server of its own): Bob (GBR, cleared SECRET) picks TOP SECRET and is warned
before sending anything (the Upload button then refuses to send the file), builds
SECRET released to the USA with chips, sees NOFORN unavailable and why, finds a control
entry in the catalogue, sees the banner in his national form, and uploads. axe-core
checks the form with the builder open; no script error or CSP violation appears."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, FilePayload, Page, expect

from tests.web.test_accessibility import AXE, _violations
from tests.web.test_browser import Demo, _page, browser, demo, shots, sign_in  # noqa: F401

pytestmark = pytest.mark.slow


def test_a_label_built_with_chips_is_warned_when_unreadable_and_uploaded(
    browser: Browser,  # noqa: F811
    demo: Demo,  # noqa: F811
    shots: Path,  # noqa: F811
) -> None:
    page, problems = _page(browser, demo, "bob")
    page.goto(demo.url + "/artifacts/new")
    builder = page.locator("#label-builder")
    expect(builder).to_be_visible()  # shown once the script runs
    page.get_by_label("Project").select_option(label="Passive Sensor Fusion")
    page.get_by_label("Title").fill("Towed array trials")
    page.get_by_label("File").set_input_files(
        files=[FilePayload(name="array.csv", mimeType="text/csv", buffer=b"bearing,snr\n12,9\n")]
    )

    # Above his clearance: warned before anything is sent, and the form will not send it.
    page.get_by_label("Level", exact=True).select_option(label="TOP SECRET")
    warning = page.locator("#label-result [data-unreadable]")
    expect(warning).to_contain_text("You could not read content with this label yourself")
    expect(page.locator("#label")).to_have_value("//GBR TOP SECRET")
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.locator("#upload-error")).to_contain_text("the upload would be refused")
    assert page.url.endswith("/artifacts/new")

    # SECRET, released to the USA: a chip added with Enter; GBR is kept as the originator's.
    page.get_by_label("Level", exact=True).select_option(label="SECRET")
    expect(warning).to_have_count(0)
    expect(page.locator("#upload-error")).to_have_count(0)  # the refusal went with it
    page.get_by_label("REL TO: release to the nations and groups listed").check()
    expect(page.locator("#label")).to_have_value("")  # the builder came back: REL TO, no nation
    page.get_by_label("Add a nation or group").fill("usa")
    page.get_by_label("Add a nation or group").press("Enter")
    chips = page.get_by_role("list", name="Nations and groups chosen").get_by_role("listitem")
    expect(chips).to_have_count(2)
    expect(chips.first).to_contain_text("USA")
    expect(page.get_by_role("button", name="Remove USA")).to_be_visible()
    expect(page.locator("#label")).to_have_value("//GBR SECRET//REL TO USA, GBR")
    noforn = page.locator("input[name=lb_dissem][value=NOFORN]")
    expect(noforn).to_be_disabled()
    expect(page.get_by_text("NOFORN is unavailable: NOFORN cannot be combined")).to_be_visible()
    result = page.locator("#label-result")
    expect(result.locator(".chip")).to_have_text("//GBR SECRET//REL TO USA, GBR")
    expect(result).to_contain_text("portion mark (//GBR S//REL TO USA, GBR)")
    expect(result).to_contain_text("In your national form: SECRET//REL TO USA, GBR")

    # A control entry from the catalogue lookup.
    page.get_by_label("Find an entry in the control lists").press_sequentially("aircraft")
    page.get_by_role("button", name="Add ITAR:USML-VIII").click()
    expect(page.get_by_role("list", name="Entries chosen")).to_contain_text("ITAR:USML-VIII")
    expect(page.locator("#controls")).to_have_value("ITAR:USML-VIII")
    # A British reader needs an export authorization for ITAR content: warned again.
    expect(warning).to_contain_text("1 export-control entry needs an authorization")
    # caret "initial": hiding the caret leaves style="" on the inputs, which htmx's
    # settling then copies onto their replacements (a CSP violation of the test's own).
    page.screenshot(path=shots / "label-builder.png", full_page=True, caret="initial")
    page.get_by_role("button", name="Remove ITAR:USML-VIII").click()
    expect(page.locator("#controls")).to_have_value("")
    expect(warning).to_have_count(0)

    page.get_by_role("button", name="Upload", exact=True).click()
    page.wait_for_url(re.compile(r".*/artifacts/[0-9a-f-]{36}\?done=.*"))
    expect(page.get_by_role("heading", name=re.compile(r"Towed array trials"))).to_be_visible()
    assert page.locator(".banner-text").first.inner_text().startswith("SECRET//REL TO USA, GBR")
    assert problems == [], problems


def _open_builder(page: Page) -> None:
    """Each step waits for the builder the server sends back (it replaces the whole
    fieldset): acting before it lands would act on the form it is about to replace, so
    a nation typed into the old one would be lost on a slow machine."""
    label = page.locator("#label")
    page.get_by_label("Level", exact=True).select_option(label="SECRET")
    expect(label).to_have_value("//GBR SECRET")
    page.get_by_label("REL TO: release to the nations and groups listed").check()
    expect(label).to_have_value("")  # REL TO without a nation yet is no label
    page.get_by_label("Add a nation or group").fill("FRA")
    page.get_by_role("button", name="Add", exact=True).first.click()
    expect(page.get_by_role("button", name="Remove FRA")).to_be_visible()
    expect(label).to_have_value("//GBR SECRET//REL TO FRA, GBR")
    page.get_by_label("Find an entry in the control lists").press_sequentially("aircraft")
    expect(page.get_by_role("button", name="Add WA:ML10")).to_be_visible()


def test_the_open_builder_has_no_accessibility_violations(
    browser: Browser,  # noqa: F811
    demo: Demo,  # noqa: F811
) -> None:
    assert AXE.exists(), f"{AXE} is missing: run `make browser` (npm ci in tests/web/axe)"
    # axe is injected as an inline script: this page alone bypasses the CSP (the test
    # above runs the builder under it).
    page = demo.context(browser, "bob").new_page()
    page.goto(demo.url + "/artifacts/new")
    _open_builder(page)
    assert _violations(page, AXE.read_text()) == []
