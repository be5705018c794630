"""Agreements, export authorizations, embargoes and screening pages over the real services."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest

from caveat.bootstrap.container import Node
from caveat.domain.identity import Role
from caveat.domain.labels import parse_marking
from caveat.services.identity._people import NewAccount
from caveat.services.kernel.principal import ConsoleOperator
from caveat.services.kernel.uow import CallContext
from tests.support import PASSWORD, Scenario
from tests.web.conftest import Browser

CONSOLE = ConsoleOperator()
PROJECT = "Sensor fusion"


@dataclass
class Cast:
    """Who acts on the compliance pages, and the day it is."""

    world: Scenario
    accounts: dict[str, NewAccount]

    @property
    def today(self) -> date:
        return self.world.clock().date()

    def __getitem__(self, username: str) -> NewAccount:
        return self.accounts[username]


@pytest.fixture
def cast(node: Node, world: Scenario) -> Cast:
    world.org("Air Force Research Laboratory", "USA")
    dstl = world.org("Dstl", "GBR")
    accounts = {
        "alice": world.person("alice"),
        "agnes": world.person("agnes", roles=(Role.AGREEMENT_MANAGER,)),
        "eco": world.person("eco", roles=(Role.EXPORT_CONTROL_OFFICER,)),
        "sol": world.person("sol", roles=(Role.SECURITY_OFFICER,)),
        "bob": world.person("bob", nations=("GBR",), org=dstl),
    }
    node.projects.create_project(CONSOLE, CallContext.cli(), name=PROJECT)
    return Cast(world, accounts)


def _text(html: str) -> str:
    """The page's text with tags dropped and spaces collapsed (for phrases across tags)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace(" ,", ",")


def _post(browser: Browser, path: str, data: dict[str, Any], **kwargs: Any) -> Any:
    return browser.post(path, data, **kwargs)


def _forms(html: str, action_suffix: str) -> list[str]:
    """The verbs of the lifecycle forms on a page."""
    return re.findall(
        r'action="[^"]*/' + action_suffix + r'"[^>]*>\s*<input type="hidden" name="csrf"[^>]*>'
        r'\s*<input type="hidden" name="verb" value="(\w+)"',
        html,
    )


# --- who may open what ---------------------------------------------------------------------


def test_a_plain_researcher_is_refused_with_a_friendly_page(browser: Browser, cast: Cast) -> None:
    browser.sign_in(cast["alice"])
    for path in ("/agreements", "/authorizations", "/embargoes", "/screening"):
        page = browser.client.get(path)
        assert page.status_code == 403, path
        assert "<h1>Forbidden</h1>" in page.text
        assert "Back to the dashboard" in page.text
    refused = _post(browser, "/screening/run", {})
    assert refused.status_code == 403


def test_readers_see_the_lists_without_the_forms_they_may_not_use(
    browser: Browser, cast: Cast
) -> None:
    browser.sign_in(cast["sol"])
    agreements = browser.client.get("/agreements")
    assert agreements.status_code == 200
    assert 'href="/control-lists"' in agreements.text  # the sub-navigation
    assert 'action="/agreements"' not in agreements.text  # managers record agreements
    authorizations = browser.client.get("/authorizations")
    assert authorizations.status_code == 200
    assert 'action="/authorizations"' not in authorizations.text
    embargoes = browser.client.get("/embargoes")
    assert embargoes.status_code == 200
    assert 'action="/embargoes"' not in embargoes.text
    assert browser.client.get("/screening").status_code == 200
    # The agreement manager reads agreements but not authorizations.
    browser.sign_in(cast["agnes"])
    assert 'action="/agreements"' in browser.client.get("/agreements").text
    assert browser.client.get("/authorizations").status_code == 403


# --- agreements ------------------------------------------------------------------------------


def _agreement_form(cast: Cast, **changes: str) -> dict[str, str]:
    form = {
        "name": "Sensor MoU",
        "kind": "mou",
        "party_nations": "USA, GBR",
        "party_organisations": "",
        "programmes": "",
        "projects": PROJECT,
        "technology_areas": "radar, signal processing",
        "scope": "listed",
        "controls": "ITAR:USML-XI(c)(1)",
        "max_level": "3",
        "releasability": "USA, GBR",
        "effective_on": (cast.today - timedelta(days=1)).isoformat(),
        "expires_on": (cast.today + timedelta(days=20)).isoformat(),
        "background": "Radar models v2, AFRL\nTest ranges, Dstl",
        "foreground": "joint",
        "licences": "Dstl, royalty-free research use, non-exclusive",
        "review_days": "45",
        "mechanism": "arbitration",
        "venue": "The Hague",
        "governing_law": "English law",
        "text_resource_id": "",
    }
    return form | changes


def test_an_agreement_is_recorded_and_moved_through_its_lifecycle(
    browser: Browser, cast: Cast
) -> None:
    browser.sign_in(cast["agnes"])
    # A form the service refuses comes back with its message and what was typed.
    refused = _post(browser, "/agreements", _agreement_form(cast, party_nations="USA"))
    assert refused.status_code == 422
    assert "at least two parties" in refused.text
    assert 'value="radar, signal processing"' in refused.text
    made = _post(browser, "/agreements", _agreement_form(cast))
    assert made.status_code == 303
    url = made.headers["location"].split("?")[0]
    page = browser.client.get(made.headers["location"])
    text = _text(page.text)
    assert "Recorded Sensor MoU as a draft." in text
    assert "MoU · draft · version 1" in text
    assert "Radar models v2 AFRL" in text  # background IP table: item, owner
    assert "royalty-free research use, non-exclusive" in text  # the right after the first comma
    assert "belongs to the parties jointly" in text
    assert "45 days" in text
    assert "arbitration" in text
    assert "The Hague" in text
    assert "English law" in text
    assert "ITAR:USML-XI(c)(1)" in text
    assert "Sensor fusion" in text
    assert _forms(page.text, "move") == ["activate", "terminate"]
    # The list highlights an agreement ending within 30 days.
    listing = _text(browser.client.get("/agreements").text)
    assert "Sensor MoU" in listing
    assert "ends in 20 days" in listing
    assert "1 agreement ends within 30 days" in listing

    missing = _post(browser, f"{url}/move", {"verb": "activate", "reason": ""})
    assert missing.status_code == 422
    assert "give a reason" in missing.text
    moved = _post(browser, f"{url}/move", {"verb": "activate", "reason": "signed by both"})
    assert moved.status_code == 303
    page = browser.client.get(moved.headers["location"])
    assert "is now in force" in page.text
    assert _forms(page.text, "move") == ["suspend", "expire", "terminate"]
    _post(browser, f"{url}/move", {"verb": "suspend", "reason": "audit finding"})
    page = browser.client.get(url)
    assert _forms(page.text, "move") == ["resume", "expire", "terminate"]
    # A verb not valid from here is refused by the service and shown on the page.
    wrong = _post(browser, f"{url}/move", {"verb": "activate", "reason": "try again"})
    assert wrong.status_code == 409
    assert "not a draft" in wrong.text
    _post(browser, f"{url}/move", {"verb": "resume", "reason": "finding closed"})

    later = (cast.today + timedelta(days=200)).isoformat()
    amended = _post(
        browser,
        f"{url}/amend",
        _agreement_form(cast, expires_on=later, note="extended for phase 2"),
    )
    assert amended.status_code == 303
    page = _text(browser.client.get(url).text)
    assert "version 2" in page
    assert "extended for phase 2" in page
    assert "expires on" in page  # what the amendment changed
    assert "ends in" not in page
    _post(browser, f"{url}/move", {"verb": "terminate", "reason": "programme closed"})
    page = browser.client.get(url)
    assert _forms(page.text, "move") == []
    assert "its lifecycle is over" in page.text
    assert f'action="{url}/amend"' not in page.text


def test_the_signed_text_is_linked(browser: Browser, cast: Cast, node: Node) -> None:
    text = node.catalogue.register(
        CONSOLE,
        CallContext.cli(),
        project=PROJECT,
        kind="document",
        title="MoU text",
        label=parse_marking("UNCLASSIFIED", groups=node.registry.directory(), on=cast.today),
        originator="Air Force Research Laboratory",
    )
    node.projects.add_member(CONSOLE, CallContext.cli(), PROJECT, "agnes")  # need-to-know
    browser.sign_in(cast["agnes"])
    made = _post(browser, "/agreements", _agreement_form(cast, text_resource_id=text.id))
    assert made.status_code == 303, made.text
    page = browser.client.get(made.headers["location"])
    assert f'href="/resources/{text.id}"' in page.text
    assert "no longer releases it" not in page.text
    noforn = parse_marking("SECRET//NOFORN", groups=node.registry.directory(), on=cast.today)
    with node.uow(CallContext.cli()) as uow:
        node.catalogue.relabel_in(uow, CONSOLE, text.id, label=noforn)
    warned = browser.client.get(made.headers["location"])
    assert "Its label no longer releases it to GBR" in warned.text
    unknown = _post(
        browser, "/agreements", _agreement_form(cast, name="Other", text_resource_id="x")
    )
    assert unknown.status_code == 404  # the service's not-found, shown in the form
    assert "no resource" in unknown.text
    assert 'id="agreement-error"' in unknown.text


def test_only_a_partys_agreement_manager_changes_an_agreement(
    browser: Browser, cast: Cast, node: Node, world: Scenario
) -> None:
    """Issue 11, reproduction 6: agnes of ONERA (France) suspended the GBR-NOR
    arrangement in the browser; France is no party."""
    onera = world.org("ONERA", "FRA")
    amelie = world.person("amelie", nations=("FRA",), roles=(Role.AGREEMENT_MANAGER,), org=onera)
    browser.sign_in(cast["agnes"])  # agnes (AFRL, USA) is party to a USA-GBR agreement
    made = _post(browser, "/agreements", _agreement_form(cast))
    url = made.headers["location"].split("?")[0]
    assert (
        _post(browser, f"{url}/move", {"verb": "activate", "reason": "signed"}).status_code == 303
    )
    outsider = _post(browser, "/agreements", _agreement_form(cast, name="Not ours"))
    assert outsider.status_code == 303  # USA is a party: agnes records it
    browser.sign_in(amelie)
    page = browser.client.get(url)
    assert _forms(page.text, "move") == []  # no lifecycle or amendment for outsiders
    assert f'action="{url}/amend"' not in page.text
    assert 'id="not-a-party"' in page.text
    refused = _post(browser, f"{url}/move", {"verb": "suspend", "reason": "we object"})
    assert refused.status_code == 403
    assert "only a party to the agreement may change it" in refused.text
    amended = _post(browser, f"{url}/amend", _agreement_form(cast, note="new terms"))
    assert amended.status_code == 403
    recorded = _post(browser, "/agreements", _agreement_form(cast, name="USA-GBR by France"))
    assert recorded.status_code == 403
    assert "agreement.create" in _text(recorded.text)
    assert node.agreements.get(CONSOLE, "Sensor MoU").status == "in_force"


def test_the_agreement_form_is_no_existence_oracle(
    browser: Browser, cast: Cast, node: Node
) -> None:
    """Issue 11, reproduction 8: the form answered "not releasable to FRA" for a hidden
    NOFORN resource and "no resource" for a random id."""
    hidden = node.catalogue.register(
        CONSOLE,
        CallContext.cli(),
        project=PROJECT,
        kind="document",
        title="US-only annex",
        label=parse_marking("SECRET//NOFORN", groups=node.registry.directory(), on=cast.today),
        originator="Air Force Research Laboratory",
    ).id
    browser.sign_in(cast["agnes"])  # not in the project: she may not discover the annex
    answers = []
    for ref in (hidden, "4f0c7e0a-0000-4000-8000-000000000000"):
        response = _post(browser, "/agreements", _agreement_form(cast, text_resource_id=ref))
        message = re.search(r'id="agreement-error">([^<]*)<', response.text)
        assert message, response.text
        answers.append((response.status_code, message.group(1).replace(ref, "?")))
    assert answers[0] == answers[1]
    assert answers[0][0] == 404
    assert "releasable" not in answers[0][1]


# --- export authorizations ----------------------------------------------------------------------


def test_an_export_control_officer_records_an_authorization(browser: Browser, cast: Cast) -> None:
    browser.sign_in(cast["eco"])
    assert browser.client.get("/authorizations").status_code == 200
    form = {
        "type": "DSP-5",
        "jurisdiction": "usa",
        "number": "DSP5-0042",
        "entries": "EAR:3A001.a.1",
        "valid_from": cast.today.isoformat(),
        "valid_to": (cast.today + timedelta(days=365)).isoformat(),
        "organisations": "Dstl",
        "nations": "gbr",
        "people": "bob",
        "max_level": "2",
        "no_retransfer": "on",
        "provisos": "Return all hardware after trials.",
    }
    refused = _post(browser, "/authorizations", form)
    assert refused.status_code == 422
    assert "authorizes ITAR (USML) entries only" in refused.text
    assert 'value="DSP5-0042"' in refused.text
    made = _post(browser, "/authorizations", form | {"entries": "ITAR:USML-XI(c)(1)"})
    assert made.status_code == 303
    url = made.headers["location"].split("?")[0]
    page = _text(browser.client.get(made.headers["location"]).text)
    assert "Recorded DSP-5 DSP5-0042." in page
    assert "ITAR:USML-XI(c)(1)" in page
    assert "Dstl" in page
    assert "GBR" in page
    assert "Bob (bob)" in page
    assert "no retransfer" in page
    assert "Return all hardware after trials." in page
    assert "Highest classification CONFIDENTIAL" in page  # the viewer's (US) words
    assert "Status today active" in page
    listing = _text(browser.client.get("/authorizations").text)
    assert "DSP5-0042" in listing
    assert "Dstl, GBR, 1 named person" in listing
    raw = browser.client.get(url).text
    assert _forms(raw, "move") == ["suspend", "revoke"]
    _post(browser, f"{url}/move", {"verb": "suspend", "reason": "end-use check"})
    page = browser.client.get(url)
    assert "Status today suspended" in _text(page.text)
    assert _forms(page.text, "move") == ["reinstate", "revoke"]


# --- embargoes -----------------------------------------------------------------------------------


def test_embargoes_are_added_loaded_and_lifted(browser: Browser, cast: Cast) -> None:
    browser.sign_in(cast["eco"])
    start = (cast.today - timedelta(days=10)).isoformat()
    added = _post(
        browser,
        "/embargoes",
        {
            "imposed_by": "usa",
            "nation": "prk",
            "regime": "arms",
            "valid_from": start,
            "valid_to": "",
            "source": "22 CFR 126.1(d)(1)",
        },
    )
    assert added.status_code == 303
    bad = "imposed_by,nation,regime,valid_from,valid_to,source\nEU,BLR,arms,2014-13-01,,x y z\n"
    refused = _post(browser, "/embargoes/load", {}, files={"file": ("e.csv", bad, "text/csv")})
    assert refused.status_code == 422
    assert "line 2, column 4" in refused.text
    good = (
        "imposed_by,nation,regime,valid_from,valid_to,source\n"
        f"EU,BLR,arms,{start},,Council Decision 2012/642/CFSP\n"
    )
    loaded = _post(browser, "/embargoes/load", {}, files={"file": ("e.csv", good, "text/csv")})
    assert loaded.status_code == 303
    page = browser.client.get(loaded.headers["location"])
    text = _text(page.text)
    assert "Recorded 1 embargo." in text
    assert "PRK USA arms" in text
    assert "22 CFR 126.1(d)(1)" in text
    assert "Council Decision 2012/642/CFSP" in text
    assert text.count("in force") >= 2
    lift = re.search(r'action="(/embargoes/[^/"]+/lift)"', page.text)
    assert lift
    lifted = _post(
        browser,
        lift.group(1),
        {"on": (cast.today - timedelta(days=1)).isoformat(), "reason": "UN measures ended"},
    )
    assert lifted.status_code == 303
    assert "ended" in _text(browser.client.get("/embargoes").text)
    # Security officers read embargoes but do not record them.
    browser.sign_in(cast["sol"])
    assert "Council Decision" in browser.client.get("/embargoes").text
    assert _post(browser, "/embargoes/load", {}, files={"file": ("e.csv", good)}).status_code == 403


# --- screening -------------------------------------------------------------------------------


def test_an_imported_list_raises_a_hit_which_an_officer_resolves(
    browser: Browser, cast: Cast, node: Node
) -> None:
    node.people.create_person(
        CONSOLE,
        CallContext.cli(),
        username="ivo",
        display_name="Ivo Halloran",
        email="ivo@example.org",
        organisation="Air Force Research Laboratory",
        citizenships=["USA"],
        roles=[Role.RESEARCHER],
        password=PASSWORD,
    )
    listed = (
        "name,id,aliases,kind,programs,nations,source\nIVO HALLORAN,X-1,,individual,,,Test list\n"
    )
    browser.sign_in(cast["sol"])
    assert "No list is imported yet" in browser.client.get("/screening").text
    imported = _post(
        browser,
        "/screening/lists",
        {"name": "Partner list", "format": "generic"},
        files={"file": ("list.csv", listed, "text/csv")},
    )
    assert imported.status_code == 303, imported.text
    page = browser.client.get(imported.headers["location"])
    text = _text(page.text)
    assert "Imported Partner list: 1 entries" in text
    assert "1 new hit." in text
    assert "Partner list Generic CSV 1" in text
    assert "Ivo Halloran (person)" in text
    assert "IVO HALLORAN" in text
    assert "Partner list (Test list), entry X-1" in text
    resolve = re.search(r'action="(/screening/hits/[^/"]+/resolve)"', page.text)
    assert resolve
    # Export control officers see the hits but the decision is the security officer's.
    browser.sign_in(cast["eco"])
    assert 'action="/screening/hits/' not in browser.client.get("/screening").text
    browser.sign_in(cast["sol"])
    short = _post(browser, resolve.group(1), {"outcome": "false_positive", "reason": ""})
    assert short.status_code == 422
    assert "give a reason" in short.text
    done = _post(
        browser,
        resolve.group(1),
        {"outcome": "false_positive", "reason": "different date of birth"},
    )
    assert done.status_code == 303
    page = _text(browser.client.get(done.headers["location"]).text)
    assert "resolved as a false positive" in page
    assert "No open hits." in page
    assert "false positive different date of birth Sol (sol)" in page
    rerun = _post(browser, "/screening/run", {})
    assert rerun.status_code == 303
    assert "0 new hits" in _text(browser.client.get(rerun.headers["location"]).text)


def test_a_malformed_list_shows_the_line_and_imports_nothing(browser: Browser, cast: Cast) -> None:
    browser.sign_in(cast["sol"])
    bad = "name,kind\nGood Name,entity\nOther Name,robot\n"
    refused = _post(
        browser,
        "/screening/lists",
        {"name": "Broken", "format": "generic"},
        files={"file": ("bad.csv", bad, "text/csv")},
    )
    assert refused.status_code == 422
    assert "line 3, column 2" in refused.text
    assert "robot" in refused.text
    assert 'value="Broken"' in refused.text  # the form keeps what was typed
    assert "No list is imported yet" in refused.text
    none = _post(browser, "/screening/lists", {"name": "Empty", "format": "generic"})
    assert none.status_code == 422
    assert "choose the list file" in none.text
