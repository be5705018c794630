"""Policy pages (catalogue, explanations, who-can) and the ledger explorer over real services."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest

from caveat.bootstrap.container import Node
from caveat.domain.export_control import parse_export_classification
from caveat.domain.identity import Role
from caveat.domain.labels import parse_marking
from caveat.services.kernel.principal import ConsoleOperator
from caveat.services.kernel.uow import CallContext
from caveat.services.ledger import FAMILY_NAMES, family_of
from caveat.services.ledger._audit import EventFilter
from caveat.services.policy import listing as policy_listing
from tests.support import Scenario
from tests.web.conftest import Browser
from tests.web.content import PROJECT, UK_LAB, Content
from tests.web.test_artifact_pages import ITAR, banner_of, note_of


@pytest.fixture
def content(node: Node, world: Scenario) -> Content:
    node.projects.create_project(ConsoleOperator(), CallContext.cli(), name=PROJECT)
    made = Content(world, node, PROJECT)
    made.member("sam", nations=("GBR", "USA"), lab=UK_LAB)
    made.member("bob", nations=("GBR",), lab=UK_LAB)
    made.member("grace", nations=("GBR",), lab=UK_LAB, roles=(Role.SECURITY_OFFICER,))
    made.member("audra", nations=("GBR",), lab=UK_LAB, roles=(Role.AUDITOR,), member=False)
    made.member("alice")
    made.put("sam", title="Seeker trials", controls=(ITAR,))
    return made


# --- the catalogue and the subject's own explanation ----------------------------------


def test_the_catalogue_lists_visible_resources_and_explains_to_the_subject(
    browser: Browser, content: Content, monkeypatch: pytest.MonkeyPatch
) -> None:
    node = content.node
    entry = node.catalogue.register(
        ConsoleOperator(),
        CallContext.cli(),
        project=PROJECT,
        kind="document",
        title="Range safety plan",
        label=parse_marking(
            "CONFIDENTIAL//REL TO USA, GBR",
            groups=node.registry.directory(),
            on=content.world.clock().date(),
        ),
        export=parse_export_classification([ITAR]),
        originator="Defence Science and Technology Laboratory",
    )
    browser.sign_in(content.accounts["bob"])
    listing = browser.client.get("/resources")
    assert "Range safety plan" in listing.text
    assert "Seeker trials" in listing.text
    assert "2 in all" in listing.text
    monkeypatch.setattr(policy_listing, "COUNT_CAP", 1)  # the count says where it stopped
    assert "More than 1 (counted no further)." in browser.client.get("/resources").text
    monkeypatch.undo()
    assert banner_of(listing.text) == "secret:SECRET//REL TO USA, GBR"
    page = browser.client.get(f"/resources/{entry.id}")
    assert page.status_code == 200
    assert "Why can't I read this?" in page.text
    assert "export authorization" in page.text
    assert "no authorization covers" not in page.text  # subject view only
    # UK SECRET protects US CONFIDENTIAL (the UK has no CONFIDENTIAL): the note says so.
    assert banner_of(page.text) == "secret:SECRET//REL TO USA, GBR"
    assert note_of(page.text) == "as marked: USA CONFIDENTIAL"
    artifact = browser.client.get(
        f"/resources/{content.artifact_id('Seeker trials')}", follow_redirects=False
    )
    assert artifact.status_code == 303  # artifacts have their own page
    assert browser.client.get("/resources/nope").status_code == 404


# --- officers: explain and who-can ------------------------------------------------------


def test_explanations_and_who_can_are_for_security_officers(
    browser: Browser, content: Content
) -> None:
    browser.sign_in(content.accounts["bob"])
    assert browser.client.get("/policy/explain").status_code == 403
    assert browser.client.get("/policy/who-can").status_code == 403
    assert "/policy/explain" not in browser.client.get("/").text


def test_an_officer_explains_a_colleagues_access_in_full(
    browser: Browser, content: Content
) -> None:
    artifact_id = content.artifact_id("Seeker trials")
    browser.sign_in(content.accounts["grace"])
    form = browser.client.get("/policy/explain")
    assert form.status_code == 200
    assert "Seeker trials" in form.text
    assert banner_of(form.text) == "unclassified:OFFICIAL"  # a list of titles, no labels shown
    page = browser.client.get(f"/policy/explain?person=bob&resource={artifact_id}&action=read")
    assert page.status_code == 200
    assert "Denied — failed: export_authorization" in page.text
    assert f"no authorization covers {ITAR}" in page.text  # the officer's detail
    assert banner_of(page.text) == "secret:SECRET//REL TO USA, GBR"
    # Names, not ids: the project by name, the MFA age in hours.
    assert "member of project “Hypersonics”" in page.text
    assert content.node.projects.get_project(PROJECT).id not in page.text
    assert re.search(r"MFA within the last \d+ (hour|minute)", page.text)
    other = browser.client.get(f"/policy/explain?person=alice&resource={artifact_id}")
    assert other.status_code == 403  # alice is of another organisation
    assert "policy.explain" in other.text
    hidden = browser.client.get("/policy/explain?person=bob&resource=nope")
    assert hidden.status_code == 404


def test_who_can_lists_the_officers_organisation_and_counts_the_others(
    browser: Browser, content: Content
) -> None:
    artifact_id = content.artifact_id("Seeker trials")
    browser.sign_in(content.accounts["grace"])
    page = browser.client.get(f"/policy/who-can?resource={artifact_id}&action=read")
    assert page.status_code == 200
    rows = dict(
        re.findall(
            r'<tr><td><a href="/policy/explain[^"]*">[^<]+</a> <span class="muted small">'
            r"\((\w+)\)</span></td><td>[^<]*</td>\s*<td><span class=\"(\w+)-text\"",
            page.text,
        )
    )
    assert rows["sam"] == "ok"
    assert rows["bob"] == "failed"
    assert "alice" not in rows  # of another organisation: counted, not listed
    assert "alice" not in page.text
    assert re.search(
        r"<th scope=\"row\">Air Force Research Laboratory</th><td>USA</td><td>1</td>", page.text
    )
    assert banner_of(page.text) == "secret:SECRET//REL TO USA, GBR"


# --- the ledger explorer ----------------------------------------------------------------


def test_the_ledger_is_for_auditors_and_security_officers(
    browser: Browser, content: Content
) -> None:
    browser.sign_in(content.accounts["bob"])
    for path in (
        "/ledger",
        "/ledger/checkpoints",
        "/ledger/verify",
        "/ledger/alerts",
        "/ledger/entries/0",
    ):
        response = browser.client.get(path)
        assert response.status_code == 403, path
        assert "auditors and security officers" in response.text
    assert 'href="/ledger"' not in browser.client.get("/").text


def _table_of(html: str) -> str:
    found = re.search(r'<table class="listing.*?</table>', html, re.S)
    assert found
    return found.group(0)


def test_the_event_table_sorts_counts_and_filters_by_facet(
    browser: Browser, content: Content
) -> None:
    browser.sign_in(content.accounts["audra"])
    every = node_events(content)
    page = browser.client.get("/ledger")
    assert f"<strong>{len(every)}</strong> events" in page.text
    kinds = Counter(e.actor_kind for e in every)
    for kind, n in kinds.items():
        facet = f'actor_kind={kind}"><span class="facet-name">{kind}</span> <span class="count">'
        assert f"{facet}{n}</span>" in page.text
    day = every[0].occurred_at.date().isoformat()
    on_day = browser.client.get(f"/ledger?day={day}&actor_kind=person")
    expected = sum(
        1 for e in every if e.actor_kind == "person" and e.occurred_at.date().isoformat() == day
    )
    assert f"<strong>{expected}</strong> event" in on_day.text
    by_type = browser.client.get("/ledger?sort=type&dir=asc")
    listed = re.findall(r'<td data-label="Action">([^<]+)</td>', by_type.text)
    assert listed == sorted(listed)
    # A long type in a facet breaks only at its dots (it pushed its count out of the box).
    assert '<span class="facet-name">artifact.<wbr>created</span>' in page.text
    assert browser.client.get("/ledger?sort=body").status_code == 422
    # The checkpoint line says which entries it covers and where newer ones go.
    latest = content.node.ledger.latest_checkpoint()
    assert latest is not None
    last = f"#{latest.size - 1:,}"
    assert f"covers entries <strong>#0 to {last}</strong>" in page.text
    assert f"entries after {last} will be covered by the next checkpoint" in page.text
    assert "waiting to be integrated" not in page.text
    # Targets by name only for who may discover them: audra may not see Seeker trials.
    created = browser.client.get("/ledger?action=artifact.created")
    assert "Seeker trials" not in created.text
    artifact_id = content.artifact_id("Seeker trials")
    assert f'title="{artifact_id}">{artifact_id[:8]}</code>' in created.text
    browser.sign_in(content.accounts["grace"])  # a member of its project: may discover it
    named = browser.client.get("/ledger?action=artifact.created")
    assert f'<a href="/artifacts/{artifact_id}">Seeker trials</a>' in named.text


def node_events(content: Content) -> list[Any]:
    """Every event as the console reads it (the auditor's table counts the same rows)."""
    found, cursor = [], None
    while True:
        page = content.node.audit.search(ConsoleOperator(), EventFilter(), cursor=cursor, limit=500)
        found += page.entries
        if page.next_cursor is None:
            return found
        cursor = page.next_cursor


def test_auditors_search_events(browser: Browser, content: Content) -> None:
    browser.sign_in(content.accounts["audra"])
    page = browser.client.get("/ledger?action=artifact.*")
    assert page.status_code == 200
    listed = _table_of(page.text)
    assert "artifact.created" in listed
    assert "person.created" not in listed
    # The type facet counts every type beside the search (its own filter left out).
    facet = r'action=person.created"><span class="facet-name">person.<wbr>created</span> '
    assert re.search(facet + r'<span class="count">\d+', page.text)
    by_actor = browser.client.get("/ledger?actor=sam&outcome=success")
    assert "artifact.created" in by_actor.text
    nothing = browser.client.get("/ledger?actor=nobody")
    assert "No events match." in nothing.text
    bad = browser.client.get("/ledger?since=yesterday")
    assert bad.status_code == 422


def test_an_entry_proof_is_verified_against_the_signed_checkpoint(
    browser: Browser, content: Content
) -> None:
    node = content.node
    browser.sign_in(content.accounts["grace"])  # a member of the project: may discover it
    node.ledger.integrate()
    found = node.audit.search(ConsoleOperator(), EventFilter(action="artifact.created"))
    created = found.entries[0]
    assert created.leaf_index is not None
    unproven = browser.client.get(f"/ledger/entries/{created.leaf_index}")
    assert "Publish a checkpoint now" not in unproven.text  # operators only
    refused: Any = browser.post(
        "/ledger/checkpoints", {"back": f"/ledger/entries/{created.leaf_index}"}
    )
    assert refused.status_code == 403
    node.ledger.publish_now()  # the sequencer's schedule
    page = browser.client.get(f"/ledger/entries/{created.leaf_index}")
    assert page.status_code == 200
    assert f"Verified: entry #{created.leaf_index} is in the signed checkpoint" in page.text
    assert page.text.count("✔ passed") == 4
    assert node.ledger.origin in page.text
    assert (
        banner_of(page.text) == "secret:SECRET//REL TO USA, GBR"
    )  # the entry's data carries the label
    assert browser.client.get("/ledger/entries/999999").status_code == 404


def test_checkpoints_verify_and_csrf(browser: Browser, content: Content) -> None:
    node = content.node
    node.ledger.publish_now()
    browser.sign_in(content.accounts["audra"])
    page = browser.client.get("/ledger/checkpoints")
    assert node.ledger.origin in page.text
    assert "no witness yet" in page.text
    refused = browser.client.post("/ledger/verify", data={"csrf": "forged"})
    assert refused.status_code == 403
    report: Any = browser.post("/ledger/verify")
    assert report.status_code == 200
    assert "The ledger is consistent" in report.text
    fragment = browser.client.post(
        "/ledger/verify", headers={"X-CSRF-Token": browser.csrf, "HX-Request": "true"}
    )
    assert "<html" not in fragment.text
    assert "The ledger is consistent" in fragment.text


def test_alerts_are_acknowledged_by_officers_only(browser: Browser, content: Content) -> None:
    node = content.node
    alert = node.monitoring.raise_alert(
        CallContext.cli(),
        rule="witness_refused",
        severity="high",
        subject_id=None,
        summary="witness example refused checkpoint 12",
        data={},
    )
    browser.sign_in(content.accounts["audra"])
    page = browser.client.get("/ledger/alerts")
    assert "witness example refused checkpoint 12" in page.text
    assert "Acknowledge" not in page.text
    assert "witness example refused" in browser.client.get("/").text  # the dashboard panel
    browser.sign_in(content.accounts["grace"])
    assert "Acknowledge" in browser.client.get("/ledger/alerts").text
    forged = browser.client.post(
        f"/ledger/alerts/{alert.id}/acknowledge", data={"csrf": "x", "note": "checked"}
    )
    assert forged.status_code == 403
    done: Any = browser.post(f"/ledger/alerts/{alert.id}/acknowledge", {"note": "witness was down"})
    assert done.status_code == 303
    assert "refused checkpoint 12" not in browser.client.get("/ledger/alerts").text
    assert "witness was down" in browser.client.get("/ledger/alerts?status=acknowledged").text
    again: Any = browser.post(f"/ledger/alerts/{alert.id}/acknowledge", {"note": "again"})
    assert again.status_code == 409
    assert "already acknowledged" in again.text


def _chart_of(html: str) -> str:
    found = re.search(r'<figure [^>]*id="ledger-activity">.*?</details>', html, re.S)
    assert found, "no activity timeline on the page"
    return found.group(0)


def _tfoot(chart: str) -> list[int]:
    found = re.search(r"<tfoot>(.*?)</tfoot>", chart, re.S)
    assert found
    return [int(n.replace(",", "")) for n in re.findall(r"<td[^>]*>([\d,]+)</td>", found.group(1))]


def test_the_timeline_counts_exactly_the_listed_events(browser: Browser, content: Content) -> None:
    # audra may not discover Seeker trials: its events are listed withheld, and counted.
    browser.sign_in(content.accounts["audra"])
    every = node_events(content)
    page = browser.client.get("/ledger")
    assert f"<strong>{len(every)}</strong> events" in page.text
    chart = _chart_of(page.text)
    assert f'<td id="activity-total">{len(every):,}</td>' in chart
    families = Counter(family_of(e.type) for e in every)
    order = [f for f in ("access", "content", "release", "programme", "federation", "admin",
                         "other") if f in families]  # fmt: skip
    assert _tfoot(chart) == [families[f] for f in order] + [len(every)]
    for f in order:  # the legend names each family with its total, beside its pattern
        assert f"{FAMILY_NAMES[f]} ({families[f]:,})</text>" in chart
    assert 'role="img"' in chart
    assert '<title id="activity-title">Ledger activity per' in chart
    assert f"{len(every):,} events per" in chart  # the <desc> summary
    assert "<script" not in chart
    assert "style=" not in chart
    assert "Seeker trials" not in chart
    # A narrower search: the chart follows the same filter as the listing.
    created = browser.client.get("/ledger?action=artifact.*")
    listed = [e for e in every if e.type.startswith("artifact.")]
    assert f'<td id="activity-total">{len(listed):,}</td>' in _chart_of(created.text)
    day = every[-1].occurred_at.date().isoformat()
    on_day = _chart_of(browser.client.get(f"/ledger?day={day}").text)
    assert '<th scope="col">Hour (UTC)</th>' in on_day
    assert 'id="ledger-activity"' not in browser.client.get("/ledger?actor=nobody").text
