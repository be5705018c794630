"""Threat-intelligence pages: collections, a collection's objects with filters, and an
object with its label, TLP, versions and neighbourhood graph (issue 20).

Two researchers of different nations read one collection: alice (USA) may read
everything, gwen (GBR) nothing NOFORN. What gwen may not read is never listed, drawn,
counted or offered as a filter, and its page answers exactly as a missing object's.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import select

from caveat.adapters.db.models import EventRow
from caveat.bootstrap.container import Node
from caveat.domain.identity import OrganisationKind
from caveat.domain.labels import Label, Originator, parse_marking, parse_tlp
from caveat.domain.stix import LabelledObject, marked_objects, stix_object
from caveat.services.kernel.principal import ConsoleOperator, Principal
from caveat.services.kernel.uow import CallContext
from tests.support import Scenario
from tests.web.conftest import Browser

CONSOLE = ConsoleOperator()
REL = "SECRET//REL TO USA, GBR"
NOFORN = "SECRET//NOFORN"
_MARKING = re.compile(r'data-marking="([^"]*)"')


def _id(kind: str) -> str:
    return f"{kind}--{uuid.uuid4()}"


@dataclass
class Intel:
    """The collection, its objects by role in the story, and the label keys used."""

    collection: str
    ids: dict[str, str]
    world: Scenario

    def page(self, name: str) -> str:
        return f"/intel/collections/{self.collection}/objects/{self.ids[name]}"


def _stamp(minute: int) -> str:
    return datetime(2026, 1, 1, 0, minute, tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _sdo(kind: str, object_id: str, minute: int, **properties: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "spec_version": "2.1",
        "id": object_id,
        "created": _stamp(0),
        "modified": _stamp(minute),
        **properties,
    }


def _label(node: Node, marking: str, *, tlp: str | None = None, org: str | None = None) -> Label:
    label = parse_marking(marking, groups=node.registry.directory(), on=node.uow.clock().date())
    if tlp is not None:
        label = label.with_categories([*label.categories, parse_tlp(f"TLP:{tlp}")])
    if org is not None:
        label = replace(label, originator=Originator(org, "USA"))
    return label


@pytest.fixture
def intel(node: Node, world: Scenario) -> Intel:
    world.org("Air Force Research Laboratory", "USA")
    sandia = "Sandia National Laboratories"
    node.registry.create_organisation(
        CONSOLE, CallContext.cli(), name=sandia, nation="USA",
        kind=OrganisationKind.GOVERNMENT_LABORATORY,
    )  # fmt: skip
    world.person("alice", nations=("USA",))
    world.person("gwen", nations=("GBR",))  # a British researcher at the same laboratory
    world.person("eve", nations=("USA",))  # no member of the project
    project = node.projects.create_project(CONSOLE, CallContext.cli(), name="Cyber threats").id
    for who in ("alice", "gwen"):
        node.projects.add_member(CONSOLE, CallContext.cli(), project, who)
    collection = node.taxii.create_collection(
        CONSOLE, CallContext.cli(), project=project, title="Alliance feed",
        description="Indicators shared in the alliance",
    ).id  # fmt: skip
    world.login(world.accounts["alice"])
    alice = Principal(person=node.people.get_person("alice"), mfa_at=world.clock())
    ids = {
        name: _id(kind)
        for name, kind in (
            ("beacon", "indicator"), ("c2", "indicator"), ("implant", "malware"),
            ("actor", "threat-actor"), ("indicates_implant", "relationship"),
            ("indicates_actor", "relationship"), ("sighting", "sighting"),
            ("report", "report"), ("sandia", "indicator"),
        )
    }  # fmt: skip
    pattern = "[ipv4-addr:value = '203.0.113.7']"
    objects = [
        (
            _sdo(
                "indicator",
                ids["beacon"],
                1,
                name="Shared beacon",
                pattern_type="stix",
                pattern="[domain-name:value = 'beacon.example']",
                valid_from=_stamp(0),
            ),
            _label(node, "UNCLASSIFIED", tlp="GREEN"),
        ),
        (
            _sdo(
                "indicator",
                ids["c2"],
                1,
                name="Allied C2 server",
                pattern_type="stix",
                pattern=pattern,
                valid_from=_stamp(0),
                description="Seen by both nations",
            ),
            _label(node, REL, tlp="AMBER"),
        ),
        # A later version of the same indicator that only US readers may read.
        (
            _sdo(
                "indicator",
                ids["c2"],
                5,
                name="Allied C2 server (attributed)",
                pattern_type="stix",
                pattern=pattern,
                valid_from=_stamp(0),
            ),
            _label(node, NOFORN, tlp="RED"),
        ),
        (
            _sdo("malware", ids["implant"], 1, name="Noforn implant", is_family=True),
            _label(node, NOFORN),
        ),
        (
            _sdo("threat-actor", ids["actor"], 1, name="Harbour Spider"),
            _label(node, "CONFIDENTIAL//REL TO USA, GBR"),
        ),
        (
            _sdo(
                "relationship",
                ids["indicates_implant"],
                1,
                relationship_type="indicates",
                source_ref=ids["c2"],
                target_ref=ids["implant"],
            ),
            _label(node, REL),
        ),  # readable by gwen, but its target is not: left out whole
        (
            _sdo(
                "relationship",
                ids["indicates_actor"],
                1,
                relationship_type="indicates",
                source_ref=ids["c2"],
                target_ref=ids["actor"],
            ),
            _label(node, "CONFIDENTIAL//REL TO USA, GBR"),
        ),
        (
            _sdo("sighting", ids["sighting"], 1, sighting_of_ref=ids["c2"], count=3),
            _label(node, NOFORN),
        ),
        (
            _sdo(
                "report",
                ids["report"],
                1,
                name="Weekly report",
                published=_stamp(2),
                report_types=["threat-report"],
                object_refs=[ids["beacon"], ids["c2"], ids["implant"]],
            ),
            _label(node, "UNCLASSIFIED"),
        ),
        (
            _sdo(
                "indicator",
                ids["sandia"],
                1,
                name="Sandia lure",
                pattern_type="stix",
                pattern="[url:value = 'http://lure.example/']",
                valid_from=_stamp(0),
            ),
            _label(node, "UNCLASSIFIED", org=sandia),
        ),
    ]
    labelled = [LabelledObject(stix_object(p), lab) for p, lab in objects]
    body = {"objects": marked_objects(labelled, schemes=node.policy.schemes)}
    status = node.taxii.add_objects(alice, CallContext.cli(), collection, json.dumps(body).encode())
    assert not status.failures, status.failures
    return Intel(collection, ids, world)


def _signed_in(browser: Browser, world: Scenario, who: str) -> Browser:
    browser.sign_in(world.accounts[who])
    return browser


def _banner(html: str) -> str:
    found = _MARKING.findall(html)
    top, bottom = found
    assert top == bottom
    return str(top)


def _get(browser: Browser, path: str) -> str:
    response = browser.client.get(path)
    assert response.status_code == 200, response.text
    html: str = response.text
    assert "style=" not in html  # the CSP forbids inline style
    return html


def test_the_collections_page_lists_the_viewers_collections(browser: Browser, intel: Intel) -> None:
    _signed_in(browser, intel.world, "alice")
    html = _get(browser, "/")
    assert '<a href="/intel"' in html  # the nav link
    html = _get(browser, "/intel")
    assert f'href="/intel/collections/{intel.collection}"' in html
    assert "Alliance feed" in html
    assert "Cyber threats" in html
    assert f"/taxii2/caveat/collections/{intel.collection}/" in html


def test_someone_outside_the_project_sees_no_collection(browser: Browser, intel: Intel) -> None:
    _signed_in(browser, intel.world, "eve")
    assert "Alliance feed" not in _get(browser, "/intel")
    hidden = browser.client.get(f"/intel/collections/{intel.collection}")
    missing = browser.client.get(f"/intel/collections/{uuid.uuid4()}")
    assert hidden.status_code == missing.status_code == 404
    assert "Alliance feed" not in hidden.text


def test_two_nations_see_different_objects(browser: Browser, intel: Intel) -> None:
    path = f"/intel/collections/{intel.collection}"
    _signed_in(browser, intel.world, "alice")
    alice = _get(browser, path)
    everything = (
        "Shared beacon", "Allied C2 server (attributed)", "Noforn implant", "Harbour Spider",
        "Weekly report", "Sandia lure", "sighting (3 times)",
    )  # fmt: skip
    for name in everything:
        assert name in alice
    assert "NOFORN" in _banner(alice)

    _signed_in(browser, intel.world, "gwen")
    gwen = _get(browser, path)
    for name in ("Shared beacon", "Allied C2 server", "Harbour Spider", "Weekly report"):
        assert name in gwen
    # The NOFORN malware, sighting and version are not listed or counted anywhere.
    listed = gwen.split('<form class="filters', 1)[1].split("</form>", 1)[1]
    for hidden in ("sighting", "malware"):
        assert hidden not in listed
    for hidden in ("Noforn implant", "(attributed)", "NOFORN", intel.ids["implant"],
                   intel.ids["sighting"]):  # fmt: skip
        assert hidden not in gwen
    assert _banner(gwen).startswith("SECRET//REL TO USA, GBR")


def _filter_form(html: str) -> str:
    return html.split('<form class="filters', 1)[1].split("</form>", 1)[0]


def test_the_filters_work_in_the_query(browser: Browser, intel: Intel, node: Node) -> None:
    path = f"/intel/collections/{intel.collection}"
    _signed_in(browser, intel.world, "alice")
    html = _get(browser, f"{path}?type=malware")
    assert "Noforn implant" in html
    assert "Shared beacon" not in html
    sandia = {o.name: o.id for o in node.registry.list_organisations()}[
        "Sandia National Laboratories"
    ]
    html = _get(browser, f"{path}?source={sandia}")
    assert "Sandia lure" in html
    assert "Shared beacon" not in html
    html = _get(browser, f"{path}?level=2")  # CONFIDENTIAL
    assert "Harbour Spider" in html
    assert "Shared beacon" not in html
    assert "Noforn implant" not in html
    assert 'value="2" selected' in html
    alice_form = _filter_form(_get(browser, path))

    _signed_in(browser, intel.world, "gwen")
    html = _get(browser, f"{path}?level=3")  # SECRET: what she may read of it
    assert "Allied C2 server" in html
    assert "Noforn implant" not in html
    assert "(attributed)" not in html
    html = _get(browser, f"{path}?type=malware")
    assert "matches these filters" in html
    # The filters offer fixed choices, never read from the objects: the same for both.
    assert _filter_form(_get(browser, path)) == alice_form
    assert browser.client.get(f"{path}?type=Not%20a%20type").status_code == 422
    assert browser.client.get(f"{path}?level=7").status_code == 422
    assert browser.client.get(f"{path}?next=soon").status_code == 422


def test_an_object_shows_its_content_label_tlp_and_versions(browser: Browser, intel: Intel) -> None:
    _signed_in(browser, intel.world, "gwen")
    html = _get(browser, intel.page("c2"))
    assert "Allied C2 server" in html
    assert "(attributed)" not in html
    assert "[ipv4-addr:value = &#39;203.0.113.7&#39;]" in html  # the pattern, escaped
    assert "TLP:AMBER" in html
    assert 'fill="#ffc000"' in html
    assert _banner(html).startswith("SECRET//REL TO USA, GBR")
    assert "2026-01-01T00:05:00.000Z" not in html  # the NOFORN version is not listed
    _signed_in(browser, intel.world, "alice")
    html = _get(browser, intel.page("c2"))
    assert "Allied C2 server (attributed)" in html
    assert "TLP:RED" in html
    assert "2026-01-01T00:01:00.000Z" in html
    assert "2026-01-01T00:05:00.000Z" in html
    assert "NOFORN" in _banner(html)
    older = _get(browser, intel.page("c2") + "?version=2026-01-01T00:01:00.000Z")
    assert "TLP:AMBER" in older
    assert ">the latest you may read</a>" in older


def test_two_nations_see_different_graphs(browser: Browser, intel: Intel) -> None:
    _signed_in(browser, intel.world, "alice")
    alice = _get(browser, intel.page("c2"))
    assert '<svg class="graph"' in alice
    assert 'role="group"' in alice
    assert "3 linked objects you may read, 3 links" in alice
    for name in ("implant", "actor", "sighting"):
        assert f'href="{intel.page(name)}"' in alice

    _signed_in(browser, intel.world, "gwen")
    gwen = _get(browser, intel.page("c2"))
    assert "1 linked objects you may read, 1 links" in gwen
    assert f'href="{intel.page("actor")}"' in gwen
    # Nothing of what gwen may not read, not the relationship she could read whose
    # other end she may not: it is left out whole.
    for name in ("implant", "sighting", "indicates_implant"):
        assert intel.ids[name] not in gwen
    assert gwen.count("<line ") == 1

    report = _get(browser, intel.page("report"))
    # The contents list only what she may read; the report's own JSON still names every
    # reference, as the TAXII server hands the same readable object to her.
    contents = report.split("Contents you may read", 1)[1].split("</ul>", 1)[0]
    assert "Shared beacon" in contents
    assert "Allied C2 server" in contents
    assert intel.ids["implant"] not in contents
    assert "Noforn implant" not in report


def _normalised(text: str, *secrets: str) -> str:
    for secret in secrets:
        text = text.replace(secret, "X")
    return re.sub(r"<code>[0-9a-f-]{36}</code>", "<code>R</code>", text)


def test_a_hidden_object_answers_exactly_like_a_missing_one(browser: Browser, intel: Intel) -> None:
    _signed_in(browser, intel.world, "gwen")
    absent = _id("malware")
    hidden = browser.client.get(intel.page("implant"))
    missing = browser.client.get(f"/intel/collections/{intel.collection}/objects/{absent}")
    assert hidden.status_code == missing.status_code == 404
    assert dict(hidden.headers).keys() == dict(missing.headers).keys()
    assert _normalised(hidden.text, intel.ids["implant"]) == _normalised(missing.text, absent)
    assert "Noforn implant" not in hidden.text
    # A version she may not read answers as a version that is not stored.
    noforn = browser.client.get(intel.page("c2") + "?version=" + quote("2026-01-01T00:05:00.000Z"))
    never = browser.client.get(intel.page("c2") + "?version=" + quote("2026-01-01T00:09:00.000Z"))
    assert noforn.status_code == never.status_code == 404
    assert _normalised(noforn.text) == _normalised(never.text)


def test_each_page_read_is_one_ledger_event(browser: Browser, intel: Intel, node: Node) -> None:
    _signed_in(browser, intel.world, "gwen")
    _get(browser, intel.page("c2"))
    with node.uow.read() as session:
        [body] = session.scalars(
            select(EventRow.body).where(EventRow.type == "taxii.objects_read")
        ).all()
    data = json.loads(body)["data"]
    assert data["endpoint"] == "web"
    assert data["count"] == len(data["resources"]) == 3  # c2's version, the link, the actor
