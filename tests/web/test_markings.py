"""Markings an accreditor accepts (issue 16): every page's top and bottom banner is the
full roll-up of what it shows, as the viewer reads it; pages for nobody are marked in the
node's scheme; downloads carry the marking of their content."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime

import pytest

from caveat.adapters.pdf_report import report_pdf
from caveat.bootstrap import marking as node_marking
from caveat.bootstrap.container import Node
from caveat.domain.identity import Role
from caveat.services.compliance import ExportReport, ReportLine
from caveat.services.kernel.principal import ConsoleOperator
from caveat.services.kernel.uow import CallContext
from caveat.services.ledger._audit import EventFilter
from caveat.web.routes import artifacts as artifact_routes
from tests.compliance.support import World, ctx
from tests.pdf_text import pdf_streams
from tests.support import PASSWORD, Scenario
from tests.web.conftest import Browser
from tests.web.content import PROJECT, UK_LAB, Content
from tests.web.test_artifact_pages import banner_of, note_of
from tests.web.test_release_pages import LICENCE, _release, artifact_of, as_, rw

__all__ = ["rw"]  # the release pages' world, as a fixture here too


@pytest.fixture
def content(node: Node, world: Scenario) -> Content:
    node.projects.create_project(ConsoleOperator(), CallContext.cli(), name=PROJECT)
    made = Content(world, node, PROJECT)
    made.member("alice")
    made.member("sam", nations=("GBR", "USA"), lab=UK_LAB)
    made.member("grace", nations=("GBR",), lab=UK_LAB, roles=(Role.SECURITY_OFFICER,))
    return made


def uncleared_auditor(content: Content) -> None:
    """Audra: a UK auditor with no clearance, on the project (she may read what is
    unclassified, and nothing else)."""
    account = content.node.people.create_person(
        ConsoleOperator(),
        CallContext.cli(),
        username="audra",
        display_name="Audra",
        email="audra@example.org",
        organisation=content.world.org(*UK_LAB),
        citizenships=["GBR"],
        roles=[Role.AUDITOR],
        clearance=None,
        password=PASSWORD,
    )
    content.world.accounts["audra"] = account
    content.accounts["audra"] = account
    content.node.projects.add_member(ConsoleOperator(), CallContext.cli(), PROJECT, "audra")


def csv_marking(text: str) -> str:
    """The marking a CSV download carries on its first line (and again on its last)."""
    lines = text.splitlines()
    assert lines[0] == lines[-1], "the first and last lines differ"
    [[cell]] = csv.reader([lines[0]])
    assert cell.startswith("MARKING: ")
    return cell.removeprefix("MARKING: ")


def test_a_page_listing_a_noforn_item_is_bannered_noforn(
    browser: Browser, content: Content
) -> None:
    content.put("alice", title="Open notes", label="UNCLASSIFIED")
    content.put("alice", title="Shock tube data", label="SECRET//NOFORN")
    browser.sign_in(content.accounts["alice"])
    listing = browser.client.get("/artifacts")
    assert "Shock tube data" in listing.text
    assert banner_of(listing.text) == "secret:SECRET//NOFORN"  # top and bottom alike
    detail = browser.client.get(f"/artifacts/{content.artifact_id('Shock tube data')}")
    assert banner_of(detail.text) == "secret:SECRET//NOFORN"
    assert banner_of(browser.client.get("/").text) == "secret:SECRET//NOFORN"  # dashboard
    assert banner_of(browser.client.get("/resources").text) == "secret:SECRET//NOFORN"


def test_a_dual_national_tells_us_confidential_from_us_secret_without_colour(
    browser: Browser, content: Content
) -> None:
    content.put("sam", title="Seeker trials", label="CONFIDENTIAL//REL TO USA, GBR")
    content.put("sam", title="Range plan", label="SECRET//REL TO USA, GBR")
    browser.sign_in(content.accounts["sam"])  # GBR and USA, at a UK laboratory
    confidential = browser.client.get(f"/artifacts/{content.artifact_id('Seeker trials')}").text
    secret = browser.client.get(f"/artifacts/{content.artifact_id('Range plan')}").text
    # UK SECRET protects both (the UK has no CONFIDENTIAL)...
    assert banner_of(confidential) == banner_of(secret) == "secret:SECRET//REL TO USA, GBR"
    # ...and the words, not the colour, say which is which, top and bottom.
    assert note_of(confidential) == "as marked: USA CONFIDENTIAL"
    assert note_of(secret) == ""
    assert confidential.count('<span class="banner-note">(as marked: USA CONFIDENTIAL)') == 2


def test_an_uncleared_auditors_ledger_is_marked_only_with_what_she_may_read(
    browser: Browser, content: Content
) -> None:
    uncleared_auditor(content)
    content.put("sam", title="Seeker trials", label="SECRET//REL TO USA, GBR")
    content.put("sam", title="Open notes", label="UNCLASSIFIED")
    node = content.node
    node.ledger.integrate()
    created = {
        e.data.get("title"): e.leaf_index
        for e in node.audit.search(
            ConsoleOperator(), EventFilter(action="artifact.created")
        ).entries
    }
    browser.sign_in(content.accounts["audra"])
    assert banner_of(browser.client.get("/ledger").text) == "unclassified:OFFICIAL"
    secret_entry = browser.client.get(f"/ledger/entries/{created['Seeker trials']}").text
    assert "Seeker trials" not in secret_entry  # withheld from her...
    assert banner_of(secret_entry) == "unclassified:OFFICIAL"  # ...and not in her banner
    open_entry = browser.client.get(f"/ledger/entries/{created['Open notes']}").text
    assert "Open notes" in open_entry
    assert banner_of(open_entry) == "unclassified:OFFICIAL"  # UK words for US UNCLASSIFIED
    search = {"action": "artifact.*", "csrf": browser.csrf}
    mine = browser.client.post("/ledger/events.csv", data=search)
    assert csv_marking(mine.text) == "OFFICIAL"
    assert "Seeker trials" not in mine.text
    # A security officer who may read both gets both, and the marking says so.
    browser.sign_in(content.accounts["grace"])
    theirs = browser.client.post("/ledger/events.csv", data={**search, "csrf": browser.csrf})
    assert "Seeker trials" in theirs.text
    assert csv_marking(theirs.text) == "SECRET//REL TO USA, GBR"


def test_pages_for_nobody_are_marked_in_the_nodes_scheme(browser: Browser, node: Node) -> None:
    # The node's operators are British (tests/conftest.py): UK words, not NATO's.
    login = browser.client.get("/login").text
    assert banner_of(login) == "unclassified:OFFICIAL"
    missing = browser.client.get("/no-such-page")
    assert missing.status_code == 404
    assert banner_of(missing.text) == "unclassified:OFFICIAL"
    assert "NATO UNCLASSIFIED" not in login + missing.text


def test_the_node_nation_setting_names_the_scheme(
    browser: Browser, node: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(node.settings, "node_nation", "FRA")
    monkeypatch.setattr(node_marking, "_NODE_SCHEMES", {})
    assert banner_of(browser.client.get("/login").text) == "unclassified:NON PROTÉGÉ"


def pdf_pages(pdf: bytes) -> list[str]:
    """The text drawn on each page (fpdf2 deflates each page's content stream)."""
    drawn = [stream.decode("latin-1") for stream in pdf_streams(pdf)]
    return [text for text in drawn if " Tj" in text or "TJ" in text]


def test_the_export_records_downloads_carry_their_marking(browser: Browser, rw: World) -> None:
    artifact = artifact_of(rw)
    release_id = _release(rw, "alice", artifact, to_organisations=("ONERA",))
    rw.node.releases.classify(rw.principal("eco"), ctx(), release_id, authorization=LICENCE)
    rw.node.releases.decide(rw.principal("sol"), ctx(), release_id, approve=True, reason="agreed")
    as_(browser, rw, "eco")
    # A release to the organisation ONERA reads as one, not as a release to France.
    onera = "ONERA (organisation, FRA)"
    assert onera in browser.client.get(f"/releases/{release_id}").text
    assert onera in browser.client.get("/releases").text
    page = browser.client.get("/export-records").text
    assert f'<td data-label="Recipients">{onera}</td>' in page
    expected = "SECRET//REL TO USA, FRA, GBR"
    assert banner_of(page) == f"secret:{expected}"
    download = browser.client.get("/export-records.csv").text
    assert csv_marking(download) == expected  # as the page that offers it
    pdf = browser.client.get("/export-records.pdf").content
    pages = pdf_pages(pdf)
    assert pages
    assert "ONERA \\(organisation, FRA\\)" in "".join(pages)  # PDF escapes the brackets
    for text in pages:  # at the head and the foot of every page
        assert text.count(f"({expected}) Tj") == 2, text


def test_a_long_pdf_is_marked_on_every_page() -> None:
    at = datetime(2026, 12, 1, tzinfo=UTC)
    line = ReportLine(
        "r" * 36, at, "x" * 36, "0" * 64, None, ("ITAR:USML-XI(c)(1)",), ("FRA",),
        "DSP5-1", "Alice", "Sol", date(2032, 12, 1), 7, True,
    )  # fmt: skip
    report = ExportReport(at, None, None, None, (line,) * 120, ())
    pages = pdf_pages(report_pdf(report, node_name="n", marking="SECRET//NOFORN"))
    assert len(pages) > 3
    for number, text in enumerate(pages, 1):
        assert text.count("(SECRET//NOFORN) Tj") == 2, number
        assert f"(page {number} of ) Tj ({len(pages)}) Tj" in text


def test_an_unreadable_label_marks_the_page_at_the_viewers_ceiling(
    browser: Browser, content: Content, monkeypatch: pytest.MonkeyPatch
) -> None:
    content.put("alice", title="Open notes", label="UNCLASSIFIED")
    monkeypatch.setattr(artifact_routes, "label_of", lambda _: None)  # a label gone bad
    browser.sign_in(content.accounts["alice"])
    page = browser.client.get("/artifacts").text
    assert "Open notes" in page
    # Not the UNCLASSIFIED of what did read: the highest she may see, and why.
    assert banner_of(page) == "secret:SECRET"
    assert note_of(page) == "marking incomplete: handle as the highest level you may see"
    assert "banner-incomplete" in page
