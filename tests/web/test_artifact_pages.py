"""Artifact pages over real services: list and search, detail, download, upload, labels."""

from __future__ import annotations

import html as html_lib
import re
from typing import Any

import pytest

from caveat.bootstrap.container import Node
from caveat.domain.identity import Role
from caveat.services.kernel.principal import ConsoleOperator
from caveat.services.kernel.uow import CallContext
from caveat.services.ledger._audit import EventFilter
from caveat.web.routes import artifacts as artifact_routes
from tests.support import Scenario
from tests.web.conftest import Browser
from tests.web.content import FR_LAB, PROJECT, UK_LAB, Content

ITAR = "ITAR:USML-XI(c)(1)"


@pytest.fixture
def content(node: Node, world: Scenario) -> Content:
    node.projects.create_project(ConsoleOperator(), CallContext.cli(), name=PROJECT)
    made = Content(world, node, PROJECT)
    made.member("alice")
    made.member("sam", nations=("GBR", "USA"), lab=UK_LAB)
    made.member("bob", nations=("GBR",), lab=UK_LAB)
    made.member("claire", nations=("FRA",), lab=FR_LAB)
    return made


NOBODY = "00000000-0000-0000-0000-000000000000"


def _main(html: str, artifact_id: str) -> str:
    """The page's main content with the id asked for and the request reference blanked."""
    main = html[html.index("<main") : html.index("</main>")]
    return re.sub(r"reference <code>[^<]+", "", main.replace(artifact_id, "ID"))


def banner_of(html: str) -> str:
    """The top banner as ``colour:marking``; the bottom one must say the same."""
    found = re.findall(
        r'<div class="banner banner-(top|bottom) banner-([a-z-]+)[^"]*" data-marking="([^"]*)"',
        html,
    )
    assert [where for where, _, _ in found] == ["top", "bottom"], "no top and bottom banner"
    assert found[0][1:] == found[1][1:], "the bottom banner differs from the top"
    return f"{found[0][1]}:{html_lib.unescape(found[0][2])}"


def note_of(html: str) -> str:
    """The top banner's note (the originators' levels behind a stand-in), or ""."""
    top = re.search(r'<div class="banner banner-top[^>]*>(.*?)</div>', html, re.S)
    assert top, "no top banner"
    note = re.search(r'<span class="banner-note">\((.*?)\)</span>', top.group(1))
    return html_lib.unescape(note.group(1)) if note else ""


def test_the_list_shows_what_the_viewer_may_see_and_rolls_up_its_labels(
    browser: Browser, content: Content
) -> None:
    content.put("alice", title="Open notes", label="UNCLASSIFIED")
    content.put("alice", title="Shock tube data", label="SECRET//REL TO USA, GBR")
    content.put("sam", title="Seeker trials", label="CONFIDENTIAL//REL TO USA, GBR")
    browser.sign_in(content.accounts["alice"])
    page = browser.client.get("/artifacts")
    assert page.status_code == 200
    assert "Shock tube data" in page.text
    assert "Open notes" in page.text
    assert "Seeker trials" not in page.text  # GBR originator: no agreement for a US lab
    assert "(S//REL TO USA, GBR)" in page.text  # portion marks beside titles
    assert banner_of(page.text) == "secret:SECRET//REL TO USA, GBR"
    only_open = browser.client.get("/artifacts?level=0")
    assert "Shock tube data" not in only_open.text
    assert (
        banner_of(only_open.text) == "unclassified:UNCLASSIFIED"
    )  # what is shown, not system-high
    found = browser.client.get("/artifacts?q=shock")
    assert "Shock tube data" in found.text
    assert "Open notes" not in found.text


def test_the_banner_is_in_the_viewers_national_words(browser: Browser, content: Content) -> None:
    content.put("sam", title="Seeker trials", label="SECRET//REL TO USA, GBR")
    browser.sign_in(content.accounts["bob"])
    page = browser.client.get("/artifacts")
    assert "Seeker trials" in page.text
    assert (
        banner_of(page.text) == "secret:SECRET//REL TO USA, GBR"
    )  # UK words for the common level 3


def test_numbered_pages_sorts_and_facets_carry_the_filters(
    browser: Browser, content: Content, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(artifact_routes, "PAGE_SIZE", 2)
    for n in range(3):
        content.put("alice", title=f"Run {n}", label="UNCLASSIFIED")
    content.put("sam", title="Seeker trials", label="CONFIDENTIAL//REL TO USA, GBR")
    browser.sign_in(content.accounts["alice"])
    first = browser.client.get("/artifacts?kind=dataset")
    assert "<strong>3</strong> artifacts" in first.text  # Seeker trials is not alice's to see
    assert "Run 2" in first.text
    assert "Run 0" not in first.text
    link = re.search(r'href="(/artifacts\?[^"]*page=2)" rel="next"', first.text)
    assert link
    assert "kind=dataset" in link.group(1)
    second = browser.client.get(link.group(1).replace("&amp;", "&"))
    assert "Run 0" in second.text
    assert "Run 2" not in second.text
    assert 'rel="next"' not in second.text
    assert 'aria-current="page"><span class="visually-hidden">Page </span>2' in second.text
    # Sorted by title ascending: a click on the header, and a second one reverses it.
    by_title = browser.client.get("/artifacts?sort=title&dir=asc")
    assert by_title.text.index("Run 0") < by_title.text.index("Run 1")
    assert 'aria-sort="ascending"' in by_title.text
    assert 'href="/artifacts?sort=title&amp;dir=desc"' in by_title.text
    # Facets count what alice may see: 3 UNCLASSIFIED, and no CONFIDENTIAL entry at all.
    facets = re.search(r'<nav class="facets".*?</nav>', first.text, re.S)
    assert facets
    assert re.search(r'UNCLASSIFIED</span> <span class="count">3</span>', facets.group(0))
    assert "CONFIDENTIAL" not in facets.group(0)
    for bad in ("/artifacts?sort=label_json", "/artifacts?dir=up", "/artifacts?page=999"):
        refused = browser.client.get(bad)
        assert refused.status_code == 422, bad


def test_the_detail_page_shows_both_label_forms_portion_marks_and_versions(
    browser: Browser, content: Content
) -> None:
    content.put("sam", title="Seeker trials", summary="Passive seeker results", controls=(ITAR,))
    artifact_id = content.artifact_id("Seeker trials")
    browser.sign_in(content.accounts["sam"])
    page = browser.client.get(f"/artifacts/{artifact_id}")
    assert page.status_code == 200
    assert banner_of(page.text) == "secret:SECRET//REL TO USA, GBR"
    assert "In your national form" in page.text
    assert "Originator's form" in page.text
    assert "SECRET//REL TO USA, GBR" in page.text
    assert page.text.count("(S//REL TO USA, GBR)</span>") == 2  # title and summary
    assert ITAR in page.text  # export classification
    assert "run7.bin" in page.text
    assert f"/artifacts/{artifact_id}/download" in page.text
    assert "Access history" not in page.text  # researchers do not see who read it


def test_a_person_of_another_nation_sees_why_without_leaks(
    browser: Browser, content: Content
) -> None:
    content.put("sam", title="Seeker trials", controls=(ITAR,))
    artifact_id = content.artifact_id("Seeker trials")
    browser.sign_in(content.accounts["bob"])
    page = browser.client.get(f"/artifacts/{artifact_id}")
    assert page.status_code == 200
    assert "Why can't I download this?" in page.text
    assert "export authorization" in page.text
    assert "1 export-control entry needs an authorization that covers you" in page.text
    assert "no authorization covers" not in page.text  # the officer's wording stays hidden
    assert f"/artifacts/{artifact_id}/download" not in page.text
    denied = browser.client.get(f"/artifacts/{artifact_id}/download")
    assert denied.status_code == 403
    assert "What stands in the way" in denied.text
    assert "export authorization" in denied.text
    assert banner_of(denied.text) == "secret:SECRET//REL TO USA, GBR"


def test_hidden_artifacts_look_exactly_like_missing_ones(
    browser: Browser, content: Content
) -> None:
    content.put("sam", title="Seeker trials", controls=(ITAR,))
    artifact_id = content.artifact_id("Seeker trials")
    browser.sign_in(content.accounts["claire"])
    hidden = browser.client.get(f"/artifacts/{artifact_id}")
    missing = browser.client.get(f"/artifacts/{NOBODY}")
    assert hidden.status_code == missing.status_code == 404
    assert "Seeker trials" not in hidden.text
    assert "SECRET" not in hidden.text.replace("UNCLASSIFIED", "")
    assert _main(hidden.text, artifact_id) == _main(missing.text, NOBODY)
    assert browser.client.get(f"/artifacts/{artifact_id}/download").status_code == 404


def test_download_streams_the_content_with_its_filename(browser: Browser, content: Content) -> None:
    content.put("alice", b"\x00binary\xffdata", title="Shock tube data")
    artifact_id = content.artifact_id("Shock tube data")
    browser.sign_in(content.accounts["alice"])
    response = browser.client.get(f"/artifacts/{artifact_id}/download")
    assert response.status_code == 200
    assert response.content == b"\x00binary\xffdata"
    assert response.headers["content-disposition"] == "attachment; filename*=UTF-8''run7.bin"
    history = content.node.audit.search(
        ConsoleOperator(), EventFilter(action="artifact.downloaded")
    )
    assert [e.outcome for e in history.entries] == ["success"]


def _upload(browser: Browser, content: Content, **fields: str) -> Any:
    data = {
        "csrf": browser.csrf,
        "project": content.node.projects.get_project(PROJECT).id,
        "kind": "report",
        "title": "Flutter analysis",
        "summary": "Wing flutter at Mach 2",
        "keywords": "flutter, wing",
        "label": "secret//rel to gbr,usa",
        "controls": "",
        **fields,
    }
    return browser.client.post(
        "/artifacts/new",
        data=data,
        files={"file": ("flutter.csv", b"mach,damping\n2.0,0.01\n", "text/csv")},
        follow_redirects=False,
    )


def test_upload_streams_a_labelled_file_into_the_artifact_service(
    browser: Browser, content: Content
) -> None:
    browser.sign_in(content.accounts["alice"])
    form = browser.client.get("/artifacts/new")
    assert form.status_code == 200
    assert PROJECT in form.text
    assert 'enctype="multipart/form-data"' in form.text
    assert '<label for="label">Security label</label>' in form.text
    made = _upload(browser, content)
    assert made.status_code == 303, made.text
    detail = browser.client.get(made.headers["location"])
    assert banner_of(detail.text) == "secret:SECRET//REL TO USA, GBR"
    assert "SECRET//REL TO USA, GBR" in detail.text  # normalised
    assert "flutter.csv" in detail.text
    artifact_id = made.headers["location"].split("/")[2].split("?")[0]
    download = browser.client.get(f"/artifacts/{artifact_id}/download")
    assert download.content == b"mach,damping\n2.0,0.01\n"
    assert download.headers["content-type"].startswith("text/csv")


def test_upload_needs_the_csrf_token_and_stores_nothing_without_it(
    browser: Browser, content: Content
) -> None:
    browser.sign_in(content.accounts["alice"])
    refused = _upload(browser, content, csrf="forged")
    assert refused.status_code == 403
    assert "did not come from this site" in refused.text
    assert content.node.policy.catalogue() == []


def test_upload_errors_come_back_on_the_form(browser: Browser, content: Content) -> None:
    browser.sign_in(content.accounts["alice"])
    bad_label = _upload(browser, content, label="SECRET//REL TO XYZ")
    assert bad_label.status_code == 422
    assert "XYZ" in bad_label.text
    assert 'value="Flutter analysis"' in bad_label.text  # what was typed is kept
    above = _upload(browser, content, label="TOP SECRET//REL TO USA, GBR")
    assert above.status_code == 403
    assert "above what you may read yourself" in above.text
    assert "clearance" in above.text
    assert content.node.policy.catalogue() == []


def test_upload_is_only_into_projects_of_the_uploader(
    browser: Browser, content: Content, world: Scenario
) -> None:
    content.member("dave", member=False)
    browser.sign_in(content.accounts["dave"])
    form = browser.client.get("/artifacts/new")
    assert "not a member of any project" in form.text
    refused = _upload(browser, content)
    assert refused.status_code == 403
    assert "not a member of this project" in refused.text


def test_the_label_builder_normalises_or_points_at_the_error(
    browser: Browser, content: Content
) -> None:
    browser.sign_in(content.accounts["alice"])
    headers = {"X-CSRF-Token": browser.csrf, "HX-Request": "true"}
    good = browser.client.post(
        "/labels/check", data={"label": "secret // rel to gbr, usa"}, headers=headers
    )
    assert good.status_code == 200
    assert "<html" not in good.text  # a fragment for htmx
    assert 'class="chip chip-secret">SECRET//REL TO USA, GBR</span>' in good.text
    assert "(S//REL TO USA, GBR)" in good.text
    # A marking already in its rendered form reads back as written, a partner's own
    # nation included (USA is not put in its place).
    british = browser.client.post(
        "/labels/check", data={"label": "//GBR SECRET//REL TO GBR, FVEY"}, headers=headers
    )
    assert ">//GBR SECRET//REL TO GBR, FVEY</span>" in british.text
    bad = browser.client.post(
        "/labels/check", data={"label": "SECRET//REL TO XYZ"}, headers=headers
    )
    assert 'class="error"' in bad.text
    assert "XYZ" in bad.text
    assert re.search(r"SECRET//REL TO XYZ\n *\^</pre>", bad.text)
    forged = browser.client.post(
        "/labels/check", data={"label": "SECRET"}, headers={"X-CSRF-Token": "forged"}
    )
    assert forged.status_code == 403


def test_officers_see_the_access_history(
    browser: Browser, content: Content, world: Scenario
) -> None:
    content.put("alice", title="Shock tube data")
    artifact_id = content.artifact_id("Shock tube data")
    content.member("olga", roles=(Role.SECURITY_OFFICER,))
    browser.sign_in(content.accounts["alice"])
    browser.client.get(f"/artifacts/{artifact_id}/download")
    browser.sign_in(content.accounts["olga"])
    page = browser.client.get(f"/artifacts/{artifact_id}")
    assert "Access history" in page.text
    assert "artifact.downloaded" in page.text
    assert "artifact.created" in page.text
    assert f"/policy/explain?resource={artifact_id}" in page.text


def test_the_dashboard_lists_projects_recent_artifacts_and_rolls_up_their_labels(
    browser: Browser, content: Content
) -> None:
    content.put("alice", title="Shock tube data", label="CONFIDENTIAL//REL TO USA, GBR")
    browser.sign_in(content.accounts["alice"])
    page = browser.client.get("/")
    assert f'href="/artifacts?project={content.node.projects.get_project(PROJECT).id}"' in page.text
    assert "Shock tube data" in page.text
    assert "(C//REL TO USA, GBR)" in page.text
    assert banner_of(page.text) == "confidential:CONFIDENTIAL//REL TO USA, GBR"
    assert "Pending alerts" not in page.text
