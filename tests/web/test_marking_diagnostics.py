"""A refused marking is shown with a caret under the fault (MarkingError.caret) on the
page where it was refused: the live label check, upload, relabel and resource forms."""

from __future__ import annotations

import re
from typing import Any

import pytest

from caveat.bootstrap.container import Node
from caveat.domain.labels import MarkingError
from caveat.services.kernel.principal import ConsoleOperator
from caveat.services.kernel.uow import CallContext
from tests.support import Scenario
from tests.web.conftest import Browser
from tests.web.content import FR_LAB, PROJECT, UK_LAB, Content

# Typed with odd spacing and case: the parser reads it as "SECRET//REL TO USA, ZZZ" and
# the fault starts at position 20 of that reading, not of what was typed.
TYPED = "secret // rel to  usa,zzz"
CARET = "  SECRET//REL TO USA, ZZZ\n" + " " * 22 + "^</pre>"
_CARETS = re.compile(r'<pre class="caret"[^>]*>')


@pytest.fixture
def content(node: Node, world: Scenario) -> Content:
    node.projects.create_project(ConsoleOperator(), CallContext.cli(), name=PROJECT)
    made = Content(world, node, PROJECT)
    made.member("alice")
    made.member("sam", nations=("GBR", "USA"), lab=UK_LAB)
    made.member("claire", nations=("FRA",), lab=FR_LAB)
    return made


def _upload(browser: Browser, content: Content, label: str) -> Any:
    data = {
        "csrf": browser.csrf,
        "project": content.node.projects.get_project(PROJECT).id,
        "kind": "report",
        "title": "Flutter analysis",
        "summary": "Wing flutter at Mach 2",
        "keywords": "flutter",
        "label": label,
        "controls": "",
    }
    return browser.client.post(
        "/artifacts/new",
        data=data,
        files={"file": ("flutter.csv", b"mach,damping\n2.0,0.01\n", "text/csv")},
        follow_redirects=False,
    )


def test_the_label_check_puts_the_caret_under_the_marking_as_read(
    browser: Browser, content: Content
) -> None:
    browser.sign_in(content.accounts["alice"])
    headers = {"X-CSRF-Token": browser.csrf, "HX-Request": "true"}
    checked = browser.client.post("/labels/check", data={"label": TYPED}, headers=headers)
    assert checked.status_code == 200
    assert CARET in checked.text
    assert "neither a country code nor a known group" in checked.text


def test_a_refused_upload_shows_the_caret_once(browser: Browser, content: Content) -> None:
    browser.sign_in(content.accounts["alice"])
    refused = _upload(browser, content, TYPED)
    assert refused.status_code == 422
    assert 'id="upload-error"' in refused.text
    assert CARET in refused.text
    assert len(_CARETS.findall(refused.text)) == 1  # the label check shows it: not twice


def test_a_marking_the_check_passed_but_the_service_refused_is_shown_under_the_error(
    browser: Browser, content: Content, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_: object, **__: object) -> None:
        raise MarkingError(
            "REL TO needs the originator's nation",
            text="SECRET//REL TO GBR",
            position=8,
            hint="add USA",
            rule="rel_to_without_originator",
        )

    monkeypatch.setattr(content.node.artifacts, "begin_upload", refuse)
    browser.sign_in(content.accounts["alice"])
    refused = _upload(browser, content, "SECRET//REL TO USA, GBR")
    assert refused.status_code == 422
    assert re.search(
        r'<pre class="caret" id="refusal-caret"[^>]*>  SECRET//REL TO GBR\n {10}\^</pre>',
        refused.text,
    )


def test_a_refused_relabel_shows_the_caret(browser: Browser, content: Content) -> None:
    content.put("alice", title="Shock tube data", label="SECRET//REL TO USA, GBR")
    doc = content.artifact_id("Shock tube data")
    browser.sign_in(content.accounts["alice"])
    refused: Any = browser.post(
        f"/artifacts/{doc}/relabel", {"label": TYPED, "controls": "", "reason": "wider"}
    )
    assert refused.status_code == 422, refused.text
    assert 'id="relabel-error"' in refused.text
    assert CARET in refused.text


def test_a_refused_resource_shows_the_caret(browser: Browser, content: Content) -> None:
    browser.sign_in(content.accounts["sam"])
    fields = {
        "project": content.node.projects.get_project(PROJECT).id,
        "kind": "report",
        "title": "Flight test plan",
        "label": TYPED,
    }
    refused: Any = browser.post("/resources/new", fields)
    assert refused.status_code == 422
    assert 'id="register-error"' in refused.text
    assert CARET in refused.text
