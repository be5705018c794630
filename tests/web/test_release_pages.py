"""Release pages over real services: request, classify, decide, refusals in the page, the
export-records report and its CSV, and the dashboard's pending approvals."""

from __future__ import annotations

import csv
import hashlib
import io
import re
from datetime import timedelta
from typing import Any

import pytest

from caveat.bootstrap.container import Node
from caveat.domain.identity import Role
from caveat.services.artifacts._service import NewArtifact
from caveat.services.compliance._authorizations import AuthorizationDraft
from tests.compliance.support import CONSOLE, World, build, ctx
from tests.support import FakeClock
from tests.web.conftest import Browser

LICENCE = "DSP5-2026-0042"
OTHER = "DSP5-GBR-ONLY"
ITAR = "ITAR:USML-XI(c)(1)"
DATA = b"range_km,pd\n40,0.9\n"
TITLE = "Seeker trials"


@pytest.fixture
def rw(node: Node, clock: FakeClock) -> World:
    """The compliance world, ONERA with a US licence for it, and an ITAR artifact of AFRL."""
    made = build(node, clock)
    onera = made.scenario.org("ONERA", "FRA")
    node.projects.add_member(CONSOLE, ctx(), made.project, "eco")
    for number, valid_to, organisations, nations in (
        (LICENCE, made.today + timedelta(days=365), (onera,), ()),
        (OTHER, None, (), ("GBR",)),
    ):
        node.authorizations.create(
            CONSOLE,
            ctx(),
            AuthorizationDraft(
                type="DSP-5",
                jurisdiction="USA",
                number=number,
                entries=(ITAR,),
                valid_from=made.today,
                valid_to=valid_to,
                organisations=organisations,
                nations=nations,
                max_level=3,
            ),
        )
    node.artifacts.put(
        made.principal("alice"),
        ctx(),
        iter([DATA]),
        sha256=hashlib.sha256(DATA).hexdigest(),
        new=NewArtifact(
            project=made.project,
            kind="dataset",
            title=TITLE,
            label="SECRET//REL TO USA, GBR",
            controls=(ITAR,),
        ),
        filename="seeker.csv",
    )
    return made


def artifact_of(world: World) -> str:
    [found] = [r.id for r in world.node.policy.catalogue() if r.title == TITLE]
    return found


def as_(browser: Browser, world: World, username: str) -> Browser:
    browser.sign_in(world.scenario.accounts[username])
    return browser


def error_of(html: str) -> str:
    match = re.search(r'<p class="error" role="alert">([^<]+)</p>', html)
    assert match, "no error in the page"
    return match.group(1)


def banner_of(html: str) -> str:
    match = re.search(r'<div class="banner banner-top banner-([a-z-]+)', html)
    assert match, "no banner"
    return match.group(1)


def post(browser: Browser, path: str, data: dict[str, object]) -> Any:
    return browser.post(path, data)


def test_request_classify_and_approve_through_the_pages(browser: Browser, rw: World) -> None:
    artifact = artifact_of(rw)
    as_(browser, rw, "alice")
    detail = browser.client.get(f"/artifacts/{artifact}").text
    assert f'href="/releases/new?resource={artifact}"' in detail  # from the artifact page
    form = browser.client.get(f"/releases/new?resource={artifact}")
    assert form.status_code == 200
    assert "(S//REL TO USA, GBR)</span> Seeker trials" in form.text
    assert banner_of(form.text) == "secret"
    # Nobody to release to: the form comes back with the service's message.
    empty = post(browser, "/releases/new", {"resource": artifact, "justification": "trial"})
    assert empty.status_code == 422
    assert "names the nations or organisations" in error_of(empty.text)
    made = post(
        browser,
        "/releases/new",
        {"resource": artifact, "organisations": "ONERA", "justification": "joint trial"},
    )
    assert made.status_code == 303
    href = made.headers["location"].split("?")[0]
    release_id = href.rsplit("/", 1)[1]
    listed = browser.client.get("/releases")
    assert f'href="/releases/{release_id}">Seeker trials</a>' in listed.text
    assert "ONERA" in listed.text
    assert "pending" in listed.text
    mine = browser.client.get(href)
    assert "Classify this release" not in mine.text  # a researcher gets neither form
    assert "Approve or deny" not in mine.text
    # The requester cannot approve it, even by posting the form.
    refused = post(browser, f"{href}/decide", {"decision": "approve", "reason": "fine"})
    assert refused.status_code == 403
    assert (
        error_of(refused.text)
        == "you may not do this (release.decide needs: role security_officer)"
    )
    # Export control classifies: an authorization that does not name ONERA is refused.
    as_(browser, rw, "eco")
    page = browser.client.get(href)
    assert "Classify this release" in page.text
    assert ITAR in page.text  # the artifact's recorded entries, to confirm
    wrong = post(browser, f"{href}/classify", {"entries": "recorded", "authorization": OTHER})
    assert wrong.status_code == 422
    assert f"authorization {OTHER} does not name ONERA" in wrong.text
    assert 'value="DSP5-GBR-ONLY" selected' in wrong.text  # the form keeps what was chosen
    done = post(browser, f"{href}/classify", {"entries": "recorded", "authorization": LICENCE})
    assert done.status_code == 303
    assert "classified" in browser.client.get(href).text
    # A security officer of another organisation is refused in the page.
    as_(browser, rw, "gso")
    other = post(browser, f"{href}/decide", {"decision": "approve", "reason": "fine by me"})
    assert other.status_code == 403
    assert "release.decide needs: of the originating organisation" in error_of(other.text)
    # The originator's security officer approves.
    as_(browser, rw, "sol")
    approved = post(browser, f"{href}/decide", {"decision": "approve", "reason": "agreed"})
    assert approved.status_code == 303
    shown = browser.client.get(href)
    assert "approved" in shown.text
    assert "agreed" in shown.text
    assert "History" in shown.text
    assert "release.decided" in shown.text
    assert "FRA" in rw.node.artifacts.show(rw.principal("alice"), artifact).labels[-1].banner
    again = post(browser, f"{href}/decide", {"decision": "deny", "reason": "changed my mind"})
    assert again.status_code == 409  # already decided: the form is gone, the message shown
    assert "already approved" in error_of(again.text)


def _release(rw: World, username: str, resource: str, **to: Any) -> str:
    made = rw.node.releases.request(
        rw.principal(username), ctx(), resource=resource, justification="to share", **to
    )
    return made.id


def test_self_approval_is_refused_and_a_plain_release_needs_a_reason(
    browser: Browser, rw: World
) -> None:
    release_id = _release(rw, "sol", rw.plain, to_nations=("FRA",))
    href = f"/releases/{release_id}"
    as_(browser, rw, "eco")
    missing = post(browser, f"{href}/classify", {"entries": "replace", "controls": ""})
    assert missing.status_code == 422
    assert "reason" in error_of(missing.text)
    done = post(
        browser,
        f"{href}/classify",
        {"entries": "replace", "controls": "", "not_controlled_reason": "a test schedule"},
    )
    assert done.status_code == 303
    as_(browser, rw, "sol")
    page = browser.client.get(href)
    assert "Approve or deny" in page.text  # the role allows the form; the service refuses
    own = post(browser, f"{href}/decide", {"decision": "approve", "reason": "mine"})
    assert own.status_code == 403
    assert "nobody decides a request they made" in error_of(own.text)
    assert rw.node.releases.requests(CONSOLE)[0].status == "classified"


def test_the_export_records_report_and_its_csv(browser: Browser, rw: World) -> None:
    artifact = artifact_of(rw)
    release_id = _release(rw, "alice", artifact, to_organisations=("ONERA",))
    rw.node.releases.classify(rw.principal("eco"), ctx(), release_id, authorization=LICENCE)
    rw.node.releases.decide(rw.principal("sol"), ctx(), release_id, approve=True, reason="agreed")
    as_(browser, rw, "alice")
    assert browser.client.get("/export-records").status_code == 403  # researchers may not
    assert browser.client.get("/export-records.csv").status_code == 403
    assert browser.client.get("/export-records.pdf").status_code == 403
    as_(browser, rw, "eco")
    report = browser.client.get(f"/export-records?authorization={LICENCE}")
    assert report.status_code == 200
    [record] = rw.node.releases.export_records(CONSOLE)
    body = report.text
    assert "Seeker trials</a>" in body
    assert "(S//REL TO USA, FRA, GBR)" in body
    # The hash shortened (so its column stays narrow), the whole value in its title.
    digest = record.content_sha256
    assert digest is not None
    assert f'v1 <code class="hash short" title="SHA-256 {digest}">{digest[:12]}…</code>' in body
    assert ITAR in body
    assert LICENCE in body
    assert "ONERA" in body
    assert "Alice" in body
    assert "Sol" in body
    assert record.retain_until.isoformat() in body
    assert re.search(rf"<th scope=\"row\">{LICENCE}</th><td>1</td>", body)  # the totals
    assert banner_of(body) == "secret"
    assert f'href="/export-records.csv?authorization={LICENCE}"' in body
    assert 'media="print"' in body
    assert re.search(r'class="verified">(#\d+ )?✔', body)  # the ledger confirms the record
    assert "not confirmed by the ledger" not in body
    pdf = browser.client.get(f"/export-records.pdf?authorization={LICENCE}")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].endswith('.pdf"')
    assert pdf.content.startswith(b"%PDF")
    later = (rw.today + timedelta(days=2)).isoformat()
    assert "No export records match" in browser.client.get(f"/export-records?since={later}").text
    bad = browser.client.get("/export-records?until=someday")
    assert bad.status_code == 422
    assert "until must be a date" in bad.text
    download = browser.client.get(f"/export-records.csv?authorization={LICENCE}")
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    assert download.headers["content-disposition"].startswith('attachment; filename="export-')
    marked = download.text.splitlines()  # the marking first and last (issue 16)
    assert marked[0] == marked[-1] == '"MARKING: SECRET//REL TO USA, FRA, GBR"'
    rows = list(csv.DictReader(io.StringIO("\n".join(marked[1:-1]))))
    assert [(r["record_id"], r["authorization_number"]) for r in rows] == [(record.id, LICENCE)]
    # Names beside the ids: the title (eco may discover it), the people, the organisation.
    assert rows[0]["resource_title"] == "Seeker trials"
    assert rows[0]["requested_by_name"].startswith("Alice")
    assert "ONERA" in rows[0]["recipient_names"]
    # Facets: counted per regime and destination; choosing one narrows the records.
    assert re.search(
        r'regime=ITAR"><span class="facet-name">ITAR</span> <span class="count">1</span>', body
    )
    org = record.organisations[0]
    assert f'destination={org}">' in body  # the organisation by id in the link, named in text
    none_itar = browser.client.get("/export-records?regime=EAR")
    assert "No export records match" in none_itar.text
    assert 'aria-sort="descending"' in body  # newest first by default
    assert browser.client.get("/export-records?sort=title").status_code == 422


def test_the_dashboard_lists_what_waits_for_the_viewer(browser: Browser, rw: World) -> None:
    artifact = artifact_of(rw)
    release_id = _release(rw, "alice", artifact, to_organisations=("ONERA",))
    rw.scenario.person("sue", nations=("USA",), roles=(Role.SECURITY_OFFICER,))
    rw.node.projects.add_member(CONSOLE, ctx(), rw.project, "sue")
    link = f'href="/releases/{release_id}">'
    as_(browser, rw, "eco")
    assert f"{link}Classify: Seeker trials to ONERA" in browser.client.get("/").text
    as_(browser, rw, "sol")
    assert "Nothing waits for your decision." in browser.client.get("/").text  # not classified
    rw.node.releases.classify(rw.principal("eco"), ctx(), release_id, authorization=LICENCE)
    assert f"{link}Decide: Seeker trials to ONERA" in browser.client.get("/").text
    as_(browser, rw, "gso")  # another organisation's officer: not theirs to decide
    theirs = browser.client.get("/").text
    assert link not in theirs
    assert banner_of(theirs) == "unclassified"  # what is not shown does not mark the page
    as_(browser, rw, "eco")  # classified: nothing left for export control
    assert link not in browser.client.get("/").text
    as_(browser, rw, "alice")  # a researcher has no such panel
    assert "Pending approvals" not in browser.client.get("/").text


def test_requests_not_for_the_viewer_do_not_mark_the_dashboard(browser: Browser, rw: World) -> None:
    from caveat.domain.labels import parse_marking

    project = rw.node.projects.create_project(CONSOLE, ctx(), name="Radar").id
    sandia = rw.scenario.org("Sandia", "USA")
    rw.scenario.person("otto", nations=("USA",), roles=(Role.SECURITY_OFFICER,), org=sandia)
    for who in ("alice", "eco", "otto", "sol"):
        rw.node.projects.add_member(CONSOLE, ctx(), project, who)
    label = parse_marking(
        "CONFIDENTIAL//REL TO USA, GBR", groups=rw.node.registry.directory(), on=rw.today
    )
    notes = rw.node.catalogue.register(
        CONSOLE, ctx(), project=project, kind="document", title="Radar notes", label=label,
        originator=rw.afrl,
    ).id  # fmt: skip
    release_id = _release(rw, "alice", notes, to_nations=("FRA",))
    rw.node.releases.classify(
        rw.principal("eco"), ctx(), release_id, not_controlled_reason="no technical data"
    )
    as_(browser, rw, "otto")  # sees the notes, but Sandia did not originate them
    page = browser.client.get("/").text
    assert "Radar notes" not in page
    assert banner_of(page) == "unclassified"
    as_(browser, rw, "sol")  # AFRL's officer decides: the panel shows it, the banner says so
    page = browser.client.get("/").text
    assert "Decide: Radar notes to FRA" in page
    assert banner_of(page) == "secret"  # with the SECRET artifact shared with Sol
