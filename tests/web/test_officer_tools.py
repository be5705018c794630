"""Officer and operator tools in the browser: grants on a resource, a person's caveats,
registering a resource without content, and verifying artifacts from the keys page."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from caveat.api.app import create_app
from caveat.bootstrap.container import Node
from caveat.domain.identity import Role
from caveat.services.kernel.principal import ConsoleOperator
from caveat.services.kernel.uow import CallContext
from caveat.services.ledger._audit import EventFilter
from tests.support import Scenario
from tests.web.conftest import Browser
from tests.web.content import PROJECT, UK_LAB, Content
from tests.web.test_artifact_pages import banner_of

SHOCK = "Shock tube data"


@pytest.fixture
def content(node: Node, world: Scenario) -> Content:
    node.projects.create_project(ConsoleOperator(), CallContext.cli(), name=PROJECT)
    made = Content(world, node, PROJECT)
    made.member("sam", nations=("GBR", "USA"), lab=UK_LAB)
    made.member("bob", nations=("GBR",), lab=UK_LAB)
    made.member("dora", nations=("GBR",), lab=UK_LAB, member=False)
    made.member("grace", nations=("GBR",), lab=UK_LAB, roles=(Role.SECURITY_OFFICER,))
    made.member("gwen", nations=("GBR",), lab=UK_LAB, roles=(Role.SECURITY_OFFICER,), member=False)
    made.member("olga", nations=("GBR",), lab=UK_LAB, roles=(Role.NODE_OPERATOR,), member=False)
    made.put("sam", title=SHOCK, label="SECRET//REL TO USA, GBR")
    return made


def _flash(response: Any) -> str:
    """Where a form's success redirects, with its flash note."""
    assert response.status_code == 303, response.text
    return str(response.headers["location"])


def test_an_officer_grants_and_revokes_access(browser: Browser, content: Content) -> None:
    shock = content.artifact_id(SHOCK)
    browser.sign_in(content.accounts["dora"])
    assert browser.client.get(f"/artifacts/{shock}").status_code == 404  # no need-to-know
    browser.sign_in(content.accounts["grace"])
    page = browser.client.get(f"/resources/{shock}/grants")
    assert page.status_code == 200
    assert "No grant on this resource." in page.text
    assert '<option value="originator"' in page.text  # officers may give both kinds
    assert banner_of(page.text).startswith("secret:")
    made = _flash(browser.post(f"/resources/{shock}/grants", {"person": "dora", "kind": "access"}))
    assert made.startswith(f"/resources/{shock}/grants?done=Granted")
    listed = browser.client.get(made)
    assert "Granted access to dora" in listed.text
    grant_id = re.search(r'name="grant_id" value="([0-9a-f-]{36})"', listed.text)
    assert grant_id, "no revoke button"
    assert '<th scope="row">dora</th><td>access</td>' in listed.text
    again: Any = browser.post(f"/resources/{shock}/grants", {"person": "dora", "kind": "access"})
    assert again.status_code == 409
    assert "dora already holds that grant" in again.text
    browser.sign_in(content.accounts["dora"])
    assert browser.client.get(f"/artifacts/{shock}").status_code == 200  # access follows
    browser.sign_in(content.accounts["grace"])
    wrong: Any = browser.post(f"/resources/{shock}/grants/revoke", {"grant_id": "nope"})
    assert wrong.status_code == 404
    assert "no grant &#39;nope&#39; on this resource" in wrong.text
    revoked = _flash(
        browser.post(f"/resources/{shock}/grants/revoke", {"grant_id": grant_id.group(1)})
    )
    after = browser.client.get(revoked)
    assert "Revoked grant" in after.text
    assert "No grant on this resource." in after.text
    assert 'name="grant_id" value="' not in after.text  # nothing left to revoke
    browser.sign_in(content.accounts["dora"])
    assert browser.client.get(f"/artifacts/{shock}").status_code == 404


def test_a_caveat_granted_to_a_person_appears_and_can_be_removed(
    browser: Browser, content: Content
) -> None:
    browser.sign_in(content.accounts["grace"])
    person = browser.client.get("/admin/people/bob")
    assert "Not read on to any caveat." in person.text
    bad: Any = browser.post("/admin/people/bob/caveats", {"caveat": "SI", "reason": "SI work"})
    assert bad.status_code == 422
    assert "is not TAG:VALUE" in bad.text
    assert 'value="SI"' in bad.text  # what was typed stays
    asked = _flash(
        browser.post(
            "/admin/people/bob/caveats", {"caveat": "sci:si", "until": "", "reason": "SI work"}
        )
    )
    shown = browser.client.get(asked)
    assert "another security officer approves it" in shown.text
    assert "Not read on to any caveat." in shown.text  # nothing held until approved
    assert "another security officer decides" in shown.text  # grace asked: not hers to decide
    [request] = content.node.grants.readon_requests(ConsoleOperator())
    mine: Any = browser.post(f"/admin/people/bob/readons/{request.id}", {"decision": "approve"})
    assert mine.status_code == 403
    assert "not who asked" in mine.text
    browser.sign_in(content.accounts["gwen"])  # a second officer of bob's organisation
    assert "Approve SCI:SI for bob" in browser.client.get("/admin/people/bob").text
    added = _flash(browser.post(f"/admin/people/bob/readons/{request.id}", {"decision": "approve"}))
    shown = browser.client.get(added)
    assert "SCI:SI: approved" in shown.text
    assert '<th scope="row"><code>SCI:SI</code></th>' in shown.text
    unexplained: Any = browser.post("/admin/people/bob/caveats/remove", {"caveat": "SCI:SI"})
    assert unexplained.status_code == 422
    removed = _flash(
        browser.post(
            "/admin/people/bob/caveats/remove", {"caveat": "SCI:SI", "reason": "project ended"}
        )
    )
    gone = browser.client.get(removed)
    assert "Read bob off SCI:SI." in gone.text
    assert "<code>SCI:SI</code></th>" not in gone.text
    assert "Not read on to any caveat." in gone.text
    twice: Any = browser.post(
        "/admin/people/bob/caveats/remove", {"caveat": "SCI:SI", "reason": "again"}
    )
    assert twice.status_code == 404
    assert "bob does not hold SCI:SI" in twice.text


def test_a_resource_registered_through_the_form_joins_the_catalogue(
    browser: Browser, content: Content
) -> None:
    browser.sign_in(content.accounts["sam"])
    assert 'href="/resources/new"' in browser.client.get("/resources").text
    form = browser.client.get("/resources/new")
    assert form.status_code == 200
    assert 'hx-post="/labels/check"' in form.text  # the live label check of the upload form
    project = content.node.projects.get_project(PROJECT).id
    fields = {
        "project": project,
        "kind": "report",
        "title": "Flight test plan",
        "label": "SECRET//REL TO GBR, USA",
        "controls": "EAR:EAR99",
    }
    bad: Any = browser.post("/resources/new", {**fields, "label": "SECRET//REL TO"})
    assert bad.status_code == 422
    assert 'id="register-error"' in bad.text
    assert 'value="Flight test plan"' in bad.text
    made = _flash(browser.post("/resources/new", fields))
    assert made.startswith("/resources/")
    assert "done=Registered" in made
    shown = browser.client.get(made)
    assert shown.status_code == 200
    assert "Flight test plan" in shown.text
    assert banner_of(shown.text).startswith("secret:")
    assert "SECRET//REL TO USA, GBR" in shown.text  # normalised
    listing = browser.client.get("/resources")
    assert "Flight test plan" in listing.text
    assert "Grants" not in shown.text  # researchers grant nothing
    browser.sign_in(content.accounts["dora"])  # not of the project
    assert browser.client.get(made.split("?")[0]).status_code == 404
    browser.sign_in(content.accounts["grace"])  # an officer manages its grants in place
    officer = browser.client.get(made.split("?")[0])
    assert 'id="grants-h">Grants</h2>' in officer.text
    assert f'action="{made.split("?")[0]}/grants"' in officer.text


def test_an_operator_verifies_every_artifact(browser: Browser, content: Content) -> None:
    browser.sign_in(content.accounts["olga"])
    keys = browser.client.get("/admin/keys")
    assert 'action="/admin/keys/verify"' in keys.text
    assert 'action="/admin/keys/rotate"' in keys.text
    report: Any = browser.post("/admin/keys/verify")
    assert report.status_code == 200
    assert "Clean: 1 artifact, 1 version" in report.text
    assert SHOCK not in report.text  # ids only, never titles
    blobs = content.node.artifacts.blobs
    key = next(iter(blobs.list())).key
    path = blobs.objects / key  # type: ignore[attr-defined]
    raw = bytearray(path.read_bytes())
    raw[-1] ^= 0x01
    path.write_bytes(bytes(raw))
    found: Any = browser.post("/admin/keys/verify")
    assert found.status_code == 200
    assert "1 problem found in 1 artifact (1 version checked)" in found.text
    assert content.artifact_id(SHOCK) in found.text


def test_verification_runs_in_batches_and_shows_its_progress(
    browser: Browser, content: Content, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(content.node.settings, "verify_batch", 1)
    content.put("sam", b"run 8\n", title="Wind tunnel run 8")
    content.put("sam", b"run 9\n", title="Wind tunnel run 9")
    browser.sign_in(content.accounts["olga"])
    # Without script: each step is a page with the progress and a Continue button.
    first: Any = browser.post("/admin/keys/verify")
    assert first.status_code == 200
    assert "Checked 1 of 3 artifacts" in first.text
    assert '<progress id="verify-progress" max="3" value="1">' in first.text
    step = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', first.text))
    assert step["artifacts"] == "1"
    assert step["after"]
    # With htmx: the fragment alone, which asks for the next step when it loads.
    second: Any = browser.client.post(
        "/admin/keys/verify", data=step, headers={"HX-Request": "true"}
    )
    assert second.status_code == 200
    assert "<html" not in second.text
    assert 'hx-trigger="load"' in second.text
    assert "Checked 2 of 3 artifacts" in second.text
    step = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', second.text))
    last: Any = browser.client.post("/admin/keys/verify", data=step, headers={"HX-Request": "true"})
    assert "Clean: 3 artifacts, 3 versions" in last.text
    assert 'hx-trigger="load"' not in last.text
    # A run cannot continue after an artifact that does not exist.
    gone: Any = browser.post("/admin/keys/verify", {**step, "after": "no-such-artifact"})
    assert gone.status_code == 422
    assert "no artifact" in gone.text


def test_a_researcher_is_refused_each_tool(browser: Browser, content: Content) -> None:
    shock = content.artifact_id(SHOCK)
    browser.sign_in(content.accounts["bob"])
    # Granting is for the project's lead or the grantee's own officer: bob sees no form,
    # and the service refuses him naming the rule (the form shows why).
    page = browser.client.get(f"/resources/{shock}/grants")
    assert page.status_code == 200
    assert 'name="grant_id"' not in page.text
    granted: Any = browser.post(f"/resources/{shock}/grants", {"person": "dora", "kind": "access"})
    assert granted.status_code == 403
    assert "resource.grant_access needs" in granted.text
    refusals: list[Any] = [
        browser.post("/admin/people/sam/caveats", {"caveat": "SCI:SI"}),
        browser.post("/admin/people/sam/caveats/remove", {"caveat": "SCI:SI"}),
        browser.post("/admin/keys/verify"),
        browser.post("/admin/keys/rotate", {"confirm": "on"}),
    ]
    for refused in refusals:
        assert refused.status_code == 403
        assert "ask your security officer" in refused.text  # the friendly error page
        assert 'class="error"' not in refused.text  # not a form re-rendered
    browser.sign_in(content.accounts["dora"])
    assert browser.client.get(f"/artifacts/{shock}").status_code == 404


def test_an_operator_rotates_the_key_encryption_key(browser: Browser, content: Content) -> None:
    admin = content.node.artifact_admin
    before = admin.key_status()
    browser.sign_in(content.accounts["olga"])
    unconfirmed: Any = browser.post("/admin/keys/rotate", {})
    assert unconfirmed.status_code == 422
    assert admin.key_status().keys == before.keys  # nothing rotated
    rotated: Any = browser.post("/admin/keys/rotate", {"confirm": "on", "disable_old": "on"})
    assert rotated.status_code == 200, rotated.text
    after = admin.key_status()
    primary = next(k for k in after.keys if k.primary)
    assert primary.key_id not in {k.key_id for k in before.keys}
    assert f"New primary key <code>{primary.key_id}</code>: 1 data key rewrapped" in rotated.text
    assert after.wrapped == {primary.key_id: 1}  # every data key under the new key
    assert all(k.status == "disabled" for k in after.keys if not k.primary)
    # Every version still decrypts and verifies under the new key.
    assert admin.verify(ConsoleOperator(), CallContext.cli()).clean
    events = content.node.audit.search(ConsoleOperator(), EventFilter(action="kek.rotated"))
    assert [e.actor_name for e in events.entries] == ["olga"]


def test_the_api_rotates_for_operators_only(content: Content, node: Node) -> None:
    world = content.world
    with TestClient(create_app(node), raise_server_exceptions=False) as http:
        for username, status in (("bob", 403), ("olga", 200)):
            session = world.login(content.accounts[username])
            done = http.post(
                "/api/v1/keys/rotate",
                json={},
                headers={"Authorization": f"Bearer {session.token}"},
            )
            assert done.status_code == status, done.text
    assert done.json()["rewrapped"] == 1
