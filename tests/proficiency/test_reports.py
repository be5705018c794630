"""Round and laboratory reports: built from what closing the round stored (a
recomputation from the stored inputs gives the same numbers), with every method choice
and the standard's edition, under the round page's access decisions (blind rounds only
for the coordinator, other laboratories under codes), marked with the roll-up of what
they show on every PDF page; downloads through the web, API, SDK and CLI."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from caveat.adapters.db.models import EventRow
from caveat.adapters.db.models.proficiency import RoundRow
from caveat.bootstrap.container import Node
from caveat.client import CaveatClient
from caveat.domain.errors import NotFound, PermissionDenied
from caveat.domain.proficiency import ScoreKind
from caveat.server import create_server
from caveat.services.proficiency import _evaluation, _rounds
from caveat.services.proficiency._submissions import stored
from tests.pdf_text import pdf_text
from tests.proficiency.support import Trials, ctx
from tests.web.conftest import Browser

# Run on one database: reports rendered from stored results; the storage is tested on both
# databases.
pytestmark = pytest.mark.one_database

NAMES = ("Air Force", "Naval", "Army", "Sandia", "Johns Hopkins", "NRL", "ARL", "SNL", "APL")


def _closed(trials: Trials) -> str:
    opened = trials.open()
    trials.submit_all(opened.id)
    trials.node.proficiency.close(trials.principal("pam"), ctx(), opened.id)
    return opened.id


def test_a_report_recomputes_from_the_stored_inputs(trials: Trials) -> None:
    node = trials.node
    round_id = _closed(trials)
    report = node.proficiency.report(trials.principal("pam"), ctx(), round_id)
    assert report.standard == "ISO 13528:2022"
    assert (report.robust_method, report.assigned_method, report.sigma_method) == (
        "algorithm_a",
        "consensus",
        "robust_sd_of_round",
    )
    assert report.en_boundary == "satisfactory_at_limit"
    assert dict(report.constants)["winsorising at x* +/- delta * s*, delta"] == 1.5
    assert dict(report.constants)["s* = f * sd of the winsorised values, f"] == 1.134
    # Recompute every number from the stored submissions with the round's choices.
    with node.uow.read() as session:
        row = session.get(RoundRow, round_id)
        assert row is not None
        entries = stored(session, row)
        (item_row,) = _rounds.items_of(session, round_id)
        again = _evaluation.evaluate_item(row, item_row, entries).evaluation
    (item,) = report.items
    assert item.assigned_value == pytest.approx(again.assigned.value, rel=1e-12)
    assert item.assigned_uncertainty == pytest.approx(again.assigned.standard_uncertainty)
    assert item.sigma_pt == pytest.approx(again.sigma_pt.value, rel=1e-12)
    assert item.robust_scale == pytest.approx(again.robust.scale, rel=1e-12)
    assert item.iterations == again.robust.iterations
    z = again.score(ScoreKind.Z)
    assert z is not None
    by_code = {s.code: s for s in item.scores}
    for entry, value in zip(entries, z.values, strict=True):
        assert by_code[entry.code].z == pytest.approx(value, rel=1e-12)
    assert item.density is not None
    assert item.density.points == tuple(s.value for s in item.scores)


def test_a_blind_round_is_the_coordinators_only(trials: Trials) -> None:
    node = trials.node
    opened = trials.open()
    trials.submit_all(opened.id)
    with pytest.raises(PermissionDenied) as info:
        node.proficiency.report(trials.principal("alice"), ctx(), opened.id)
    assert info.value.code == "report_not_available"
    with pytest.raises(NotFound) as missing:
        node.proficiency.report(trials.principal("eve"), ctx(), opened.id)
    assert missing.value.code == "unknown_round"
    early = node.proficiency.report(trials.principal("pam"), ctx(), opened.id)
    assert early.items == ()
    assert early.status == "open"


def test_a_laboratory_report_shows_the_others_by_code_only(trials: Trials) -> None:
    node = trials.node
    round_id = _closed(trials)
    alice = trials.principal("alice")
    mine = node.proficiency.round(alice, round_id).my_code
    assert mine is not None
    report = node.proficiency.report(alice, ctx(), round_id, laboratory=mine.lower())
    assert report.laboratory is not None
    assert report.laboratory.endswith("AFRL")
    assert report.laboratory_code == mine
    (series,) = report.control  # her own history
    assert series.own
    others = [s.laboratory for s in report.items[0].scores if not s.own]
    assert len(others) == 4
    assert all(re.fullmatch(r"L0\d", name) for name in others)
    page = node.proficiency.report_document(
        alice, ctx(), round_id, fmt="html", laboratory=mine, marking=lambda r: "UNCLASSIFIED"
    ).decode()
    assert page.count("UNCLASSIFIED") >= 2
    assert "ISO 13528:2022" in page
    assert "algorithm_a" in page
    assert "satisfactory_at_limit" not in page  # the boundary in words
    assert "ISO 13528:2022 9.7" in page
    assert not any(name in page for name in NAMES[1:])
    # Her table holds her row only (the plots show every code).
    table = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert table.count("<tr>") == 1
    assert "(yours)" in table
    with pytest.raises(NotFound) as missing:
        node.proficiency.report(alice, ctx(), round_id, laboratory="L99")
    assert missing.value.code == "unknown_round_laboratory"


@pytest.fixture
def browser(node: Node, trials: Trials) -> Iterator[Browser]:
    with TestClient(create_server(node), raise_server_exceptions=False) as client:
        yield Browser(client, trials.world)


def test_the_pdf_is_marked_on_every_page_and_reads_are_recorded(
    trials: Trials, signed_in: Callable[[str], CaveatClient]
) -> None:
    round_id = _closed(trials)
    alice = signed_in("alice")
    pdf = alice.proficiency.report(round_id)
    assert pdf.startswith(b"%PDF")
    pages = len(re.findall(rb"/Type /Page\b", pdf))
    assert pages >= 2
    text = pdf_text(pdf)
    assert text.count("(UNCLASSIFIED)") >= 2 * pages  # head and foot of every page
    assert "ISO 13528:2022" in text
    html = alice.proficiency.report(round_id, format="html").decode()
    assert html.startswith("<!doctype html>")
    assert html.count("<svg") >= 4  # results, scores, Mandel, density
    with trials.node.uow.read() as session:
        reads = [
            json.loads(b)["data"]
            for b in session.scalars(
                select(EventRow.body)
                .where(EventRow.type == "proficiency.results_read", EventRow.target_id == round_id)
                .order_by(EventRow.seq)
            )
        ]
    assert len(reads) == 2  # one per report, the four others' results each time
    assert all(len(r["submissions"]) == 4 for r in reads)


def test_reports_download_from_the_round_page(browser: Browser, trials: Trials) -> None:
    opened = trials.open()
    trials.submit_all(opened.id)
    base = f"/proficiency/rounds/{opened.id}"
    browser.sign_in(trials.world.accounts["alice"])
    assert "report.pdf" not in browser.client.get(base).text  # blind: no report
    assert browser.client.get(f"{base}/report.pdf").status_code == 403
    trials.node.proficiency.close(trials.principal("pam"), ctx(), opened.id)
    page = browser.client.get(base).text
    assert f'href="{base}/report.pdf"' in page
    mine = re.search(r"report\.html\?laboratory=(L0\d)", page)
    assert mine is not None
    got = browser.client.get(f"{base}/report.html?laboratory={mine.group(1)}")
    assert got.status_code == 200
    assert got.headers["content-type"].startswith("text/html")
    assert "attachment" in got.headers["content-disposition"]
    assert browser.client.get(f"{base}/report.docx").status_code == 404
    browser.client.cookies.clear()
    browser.sign_in(trials.world.accounts["eve"])  # not in the project
    assert browser.client.get(f"{base}/report.pdf").status_code == 404


def test_a_refused_marking_hands_out_nothing_and_records_no_read(trials: Trials) -> None:
    from caveat.domain.errors import IntegrityError

    round_id = _closed(trials)

    def incomplete(_: object) -> str:
        raise IntegrityError("cannot roll up", code="marking_incomplete")

    with pytest.raises(IntegrityError):
        trials.node.proficiency.report_document(
            trials.principal("alice"), ctx(), round_id, fmt="pdf", marking=incomplete
        )
    with trials.node.uow.read() as session:
        reads = session.scalars(
            select(EventRow.id)
            .where(EventRow.type == "proficiency.results_read")
            .order_by(EventRow.seq)
        ).all()
    assert reads == []
