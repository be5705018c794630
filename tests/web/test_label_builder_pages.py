"""The structured label builder over real services: /labels/build composes only valid
labels and writes them into the form's text field, says why an option is unavailable,
warns before an upload the uploader could not read, looks entries up in the control-list
catalogue; the upload form accepts the NATO and national forms its help text names."""

from __future__ import annotations

import html as html_lib
import re
from typing import Any

import pytest

from caveat.bootstrap.container import Node
from caveat.services.kernel.principal import ConsoleOperator
from caveat.services.kernel.uow import CallContext
from tests.support import Scenario
from tests.web.conftest import Browser
from tests.web.content import PROJECT, UK_LAB, Content


@pytest.fixture
def content(node: Node, world: Scenario) -> Content:
    node.projects.create_project(ConsoleOperator(), CallContext.cli(), name=PROJECT)
    made = Content(world, node, PROJECT)
    made.member("alice")
    made.member("bob", nations=("GBR",), lab=UK_LAB)
    return made


def _build(browser: Browser, **fields: Any) -> str:
    headers = {"X-CSRF-Token": browser.csrf, "HX-Request": "true"}
    answer = browser.client.post("/labels/build", data=fields, headers=headers)
    assert answer.status_code == 200, answer.text
    assert "<html" not in answer.text  # a fragment for htmx
    return str(answer.text)


def _written(fragment: str) -> str:
    """The value the builder wrote into the out-of-band label field."""
    found = re.search(
        r'<input id="label" name="label"[^>]*value="([^"]*)"[^>]*hx-swap-oob', fragment
    )
    assert found, "no out-of-band label field"
    return html_lib.unescape(found.group(1))


def _disabled(fragment: str, value: str) -> bool:
    box = re.search(rf'<input type="checkbox" name="lb_dissem" value="{value}"[^>]*>', fragment)
    assert box, value
    return " disabled" in box.group(0)


def test_the_upload_form_carries_the_builder_hidden_until_scripts_run(
    browser: Browser, content: Content
) -> None:
    browser.sign_in(content.accounts["bob"])
    page = browser.client.get("/artifacts/new")
    assert '<div id="label-builder-box" hidden>' in page.text  # no script: free text only
    assert 'src="/static/label-builder.js"' in page.text
    assert '<optgroup label="Your national levels (GBR)">' in page.text
    words = re.findall(r'<option value="GBR:\d">([^<]+)</option>', page.text)
    assert words == ["OFFICIAL", "OFFICIAL-SENSITIVE", "SECRET", "TOP SECRET"]
    assert '<option value="NATO:3">NATO SECRET</option>' in page.text
    assert "<script>" not in page.text  # strict CSP: no inline script or handler
    assert " onclick=" not in page.text


def test_building_a_british_release_writes_the_label_and_shows_the_banner(
    browser: Browser, content: Content
) -> None:
    browser.sign_in(content.accounts["bob"])
    project = content.node.projects.get_project(PROJECT).id
    fragment = _build(
        browser, lb_level="GBR:2", lb_rel_on="on", lb_rel_new="usa", lb_act="add_rel",
        project=project,
    )  # fmt: skip
    assert _written(fragment) == "//GBR SECRET//REL TO USA, GBR"
    assert "(//GBR S//REL TO USA, GBR)" in fragment  # the portion mark
    assert "In your national form:</span> SECRET//REL TO USA, GBR" in fragment
    assert 'name="lb_rel" value="USA"' in fragment  # a chip that can be removed
    assert "nation, always listed)" in fragment
    assert _disabled(fragment, "NOFORN")
    assert "NOFORN is unavailable: NOFORN cannot be combined with REL TO" in fragment
    assert _disabled(fragment, "FOUO")
    assert "FOUO marks unclassified information only" in fragment
    assert "data-unreadable" not in fragment
    # Removing the only partner leaves REL TO GBR alone: explained, and nothing written.
    alone = _build(
        browser, lb_level="GBR:2", lb_rel_on="on", lb_rel="USA", lb_act="drop_rel",
        lb_arg="USA", project=project,
    )  # fmt: skip
    assert _written(alone) == ""
    assert "REL TO GBR alone is not a release" in alone


def test_noforn_makes_rel_to_unavailable(browser: Browser, content: Content) -> None:
    browser.sign_in(content.accounts["alice"])
    fragment = _build(browser, lb_level="USA:2", lb_dissem="NOFORN")
    assert _written(fragment) == "SECRET//NOFORN"
    assert re.search(r'name="lb_rel_on" value="on"\s+disabled', fragment)
    assert "REL TO is unavailable: NOFORN cannot be combined with REL TO" in fragment
    # A post that forces the combination anyway is refused by the validator, not built.
    forced = _build(browser, lb_level="USA:2", lb_dissem="NOFORN", lb_rel_on="on", lb_rel="GBR")
    assert _written(forced) == ""
    assert "NOFORN cannot be combined with REL TO" in forced


def test_a_level_above_the_uploader_is_warned_before_the_upload(
    browser: Browser, content: Content
) -> None:
    browser.sign_in(content.accounts["alice"])  # cleared SECRET
    project = content.node.projects.get_project(PROJECT).id
    fragment = _build(browser, lb_level="USA:3", project=project)
    assert _written(fragment) == "TOP SECRET"
    assert "data-unreadable" in fragment
    assert "You could not read content with this label yourself" in fragment
    # The typed form is warned alike, and so is a release that leaves the reader out.
    headers = {"X-CSRF-Token": browser.csrf, "HX-Request": "true"}
    typed = browser.client.post(
        "/labels/check",
        data={"label": "TOP SECRET", "project": project, "lb_read": "1"},
        headers=headers,
    )
    assert "data-unreadable" in typed.text
    readable = browser.client.post(
        "/labels/check",
        data={"label": "SECRET", "project": project, "lb_read": "1"},
        headers=headers,
    )
    assert "data-unreadable" not in readable.text
    # Forms with rules of their own (resources, channels) do not ask for it.
    elsewhere = browser.client.post(
        "/labels/check", data={"label": "TOP SECRET", "project": project}, headers=headers
    )
    assert "data-unreadable" not in elsewhere.text
    page = browser.client.get("/artifacts/new").text
    assert """hx-vals='{"lb_read": "1"}'""" in page


def test_unknown_codes_and_forged_values_are_refused(browser: Browser, content: Content) -> None:
    browser.sign_in(content.accounts["alice"])
    unknown = _build(browser, lb_level="USA:2", lb_rel_on="on", lb_rel_new="XXQ", lb_act="add_rel")
    odd = _build(browser, lb_level="USA:2", lb_sci="SI!", lb_dissem="NO FORN")
    assert _written(odd) == ""  # a value no category may hold builds nothing, and no 500
    assert "is neither a country code nor a known group" in unknown
    assert 'name="lb_rel" value="XXQ"' not in unknown
    forged = _build(browser, lb_level="USA:9", lb_dissem="NOFORN")
    assert _written(forged) == ""  # an unknown level builds nothing
    not_a_control = _build(browser, lb_level="USA:0", lb_dissem="BOGUS")
    assert _written(not_a_control) == ""
    assert "unknown dissemination control" in not_a_control
    refused = browser.client.post(
        "/labels/build", data={"lb_level": "USA:2"}, headers={"X-CSRF-Token": "forged"}
    )
    assert refused.status_code == 403


def test_control_entries_are_looked_up_in_the_catalogue(browser: Browser, content: Content) -> None:
    browser.sign_in(content.accounts["alice"])
    found = browser.client.get("/labels/controls", params={"lb_ctl_new": "aircraft"})
    assert "Add ITAR:USML-VIII" in found.text
    assert "Add WA:ML10" in found.text
    added = _build(browser, lb_level="USA:0", lb_act="add_control", lb_arg="ITAR:USML-VIII")
    assert 'name="lb_ctl" value="ITAR:USML-VIII"' in added
    assert re.search(r'<input id="controls"[^>]*value="ITAR:USML-VIII"[^>]*hx-swap-oob', added)
    wrong = _build(browser, lb_level="USA:0", lb_act="add_control", lb_ctl_new="MTCR:5.A.1")
    assert "reserved" in wrong
    assert 'name="lb_ctl"' not in wrong
    # A change of level leaves the typed controls field alone.
    level_only = _build(browser, lb_level="USA:2", lb_ctl="ITAR:USML-VIII")
    assert 'id="controls"' not in level_only


def _upload(browser: Browser, content: Content, label: str) -> Any:
    data = {
        "csrf": browser.csrf,
        "project": content.node.projects.get_project(PROJECT).id,
        "kind": "report",
        "title": f"Note {label}",
        "summary": "",
        "keywords": "",
        "label": label,
        "controls": "",
    }
    return browser.client.post(
        "/artifacts/new",
        data=data,
        files={"file": ("note.txt", b"note\n", "text/plain")},
        follow_redirects=False,
    )


@pytest.mark.parametrize(
    ("user", "typed", "stored"),
    [
        ("alice", "NATO CONFIDENTIAL", "//NATO CONFIDENTIAL"),
        ("alice", "NATO SECRET", "//NATO SECRET"),
        ("bob", "OFFICIAL-SENSITIVE", "//GBR OFFICIAL-SENSITIVE"),
    ],
)
def test_the_forms_the_help_text_names_are_accepted(
    browser: Browser, content: Content, user: str, typed: str, stored: str
) -> None:
    browser.sign_in(content.accounts[user])
    help_text = browser.client.get("/artifacts/new").text
    assert "NATO CONFIDENTIAL" in help_text
    if user == "bob":
        assert "<code>OFFICIAL-SENSITIVE</code>" in help_text
    headers = {"X-CSRF-Token": browser.csrf, "HX-Request": "true"}
    checked = browser.client.post("/labels/check", data={"label": typed}, headers=headers)
    assert f">{stored}</span>" in checked.text
    uploaded = _upload(browser, content, typed)
    assert uploaded.status_code == 303, uploaded.text
    rows = [r for r in content.node.policy.catalogue() if r.title == f"Note {typed}"]
    assert len(rows) == 1


def test_a_bare_us_word_from_a_british_writer_is_read_as_the_us_level(
    browser: Browser, content: Content
) -> None:
    browser.sign_in(content.accounts["bob"])
    headers = {"X-CSRF-Token": browser.csrf, "HX-Request": "true"}
    checked = browser.client.post("/labels/check", data={"label": "SECRET"}, headers=headers)
    assert "SECRET written alone is the US level" in checked.text
    assert "//GBR SECRET" in checked.text


def test_the_relabel_form_starts_the_builder_from_the_current_label(
    browser: Browser, content: Content
) -> None:
    content.put("alice", title="Shock tube data", label="SECRET//REL TO USA, GBR")
    artifact_id = content.artifact_id("Shock tube data")
    browser.sign_in(content.accounts["alice"])
    page = browser.client.get(f"/artifacts/{artifact_id}/relabel")
    assert '<option value="USA:2" selected>SECRET</option>' in page.text
    assert 'name="lb_rel" value="GBR"' in page.text
    assert f'name="lb_artifact" value="{artifact_id}"' in page.text
    fragment = _build(
        browser, lb_level="USA:3", lb_rel_on="on", lb_rel="GBR", lb_artifact=artifact_id
    )
    assert _written(fragment) == "TOP SECRET//REL TO USA, GBR"
    assert "data-unreadable" in fragment  # alice is cleared SECRET
