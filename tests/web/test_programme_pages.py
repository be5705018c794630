"""Programme and visit pages over the real services: a programme manager runs a programme
(participants, projects and members, funding with its chart, capacity building); a
foreign national asks for a visit and only the host's security officer decides it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from caveat.bootstrap.container import Node
from caveat.domain.identity import Role
from caveat.services.kernel.principal import ConsoleOperator
from caveat.services.kernel.uow import CallContext
from tests.support import Scenario
from tests.web.conftest import Browser

LAB = ("Air Force Research Laboratory", "USA")
UK = ("Defence Science and Technology Laboratory", "GBR")


@dataclass
class People:
    """A US lab and a UK lab with a programme manager, researchers and officers."""

    world: Scenario
    afrl: str
    dstl: str

    def sign_in(self, browser: Browser, username: str) -> None:
        browser.sign_in(self.world.accounts[username])


@pytest.fixture
def people(world: Scenario) -> People:
    afrl, dstl = world.org(*LAB), world.org(*UK)
    world.person("pam", roles=(Role.PROGRAMME_MANAGER,), org=afrl)
    world.person("sol", roles=(Role.SECURITY_OFFICER,), org=afrl)
    world.person("alice", org=afrl)
    world.person("bob", nations=("GBR",), org=dstl)
    world.person("gso", nations=("GBR",), roles=(Role.SECURITY_OFFICER,), org=dstl)
    return People(world, afrl, dstl)


def _post(browser: Browser, path: str, data: dict[str, object]) -> Any:
    return browser.post(path, data)


def _create(browser: Browser, name: str = "Passive Sensors") -> str:
    made = _post(browser, "/programmes", {"name": name, "description": "joint radar work"})
    assert made.status_code == 303, made.text
    location = made.headers["location"]
    assert location.startswith("/programmes/")
    return str(location.split("?")[0].rsplit("/", 1)[1])


def test_a_programme_manager_creates_a_programme_and_sees_the_funding_chart(
    browser: Browser, people: People
) -> None:
    people.sign_in(browser, "pam")
    listing = browser.client.get("/programmes")
    assert listing.status_code == 200
    assert "Create a programme" in listing.text
    pid = _create(browser)
    base = f"/programmes/{pid}"
    for org, role, share in ((people.afrl, "lead", "60"), (people.dstl, "partner", "40")):
        done = _post(
            browser,
            f"{base}/participants",
            {"organisation": org, "role": role, "work_share": share},
        )
        assert done.status_code == 303, done.text
    day = people.world.clock().date().isoformat()
    for org, kind, amount in (
        (people.afrl, "commitment", "600000"),
        (people.dstl, "commitment", "400000.00"),
        (people.dstl, "contribution", "150000.50"),
    ):
        done = _post(
            browser,
            f"{base}/funding",
            {"organisation": org, "kind": kind, "amount": amount, "currency": "usd", "on": day},
        )
        assert done.status_code == 303, done.text
    page = browser.client.get(base)
    assert page.status_code == 200
    html = page.text
    # Participants with their roles, funding lines with date and currency.
    assert re.search(
        r"Defence Science and Technology Laboratory</th><td>GBR</td><td>partner</td>\s*<td>40.00 %",
        html,
    )
    assert f"<td>{day}</td>" in html
    assert "150,000.50 USD" in html
    # The summary against commitments: Dstl owes 249,999.50 and committed 40 %.
    assert "249,999.50 USD" in html
    assert "Funding summary in USD" in html
    # The chart: an accessible inline SVG, sized by attributes (no style, no script).
    start = html.index("<svg", html.index("</nav>"))  # past the bell icon
    svg = html[start : html.index("</svg>", start)]
    assert 'role="img"' in svg
    assert 'aria-labelledby="chart-usd-title"' in svg
    assert '<title id="chart-usd-title">' in svg
    assert '<desc id="chart-usd-desc">' in svg
    assert (
        "Defence Science and Technology Laboratory: 40.00 % of commitments, "
        "100.00 % of contributions, work share 40.00 %" in svg
    )
    widths = re.findall(r'<rect x="230" y="[\d.]+" width="([\d.]+)" height="14"', svg)
    # Alphabetical: AFRL (60 % committed, 0 % paid, 60 % work), then Dstl (40, 100, 40).
    assert widths == ["198.0", "0.0", "198.0", "132.0", "330.0", "132.0"]
    assert "style=" not in html
    assert "<script>" not in html
    listed = browser.client.get("/programmes").text
    assert re.search(
        r"Passive Sensors</a>.*?</th>\s*<td>Air Force Research Laboratory</td>\s*<td>2</td>",
        listed,
        re.S,
    )


def test_projects_members_and_capacity_building(browser: Browser, people: People) -> None:
    world = people.world
    people.sign_in(browser, "pam")
    pid = _create(browser)
    base = f"/programmes/{pid}"
    assert _post(browser, f"{base}/projects/new", {"name": "Radar fusion"}).status_code == 303
    project = world.node.projects.get_project("Radar fusion")
    assert world.node.programmes.get(pid).projects == (project.id,)
    until = (world.clock().date() + timedelta(days=2)).isoformat()
    # Need-to-know is not the programme manager's to grant: the lead's own security
    # officer makes the lead, the lead adds members.
    members = f"{base}/projects/{project.id}/members"
    refused = _post(browser, members, {"person": "alice", "until": "", "role": "lead"})
    assert refused.status_code == 403
    assert "project.member_add needs" in refused.text
    for officer, person, last, role in (("sol", "alice", "", "lead"), ("alice", "bob", until, "")):
        people.sign_in(browser, officer)
        done = _post(browser, members, {"person": person, "until": last, "role": role or "member"})
        assert done.status_code == 303, done.text
    roles = {m.username: m.role for m in world.node.projects.members(project.id)}
    assert roles == {"alice": "lead", "bob": "member"}
    people.sign_in(browser, "pam")
    _post(browser, f"{base}/participants", {"organisation": people.afrl, "role": "lead"})
    day = world.clock().date()
    done = _post(
        browser,
        f"{base}/activities",
        {
            "kind": "placement",
            "title": "Radar exchange",
            "host": people.afrl,
            "person": "bob",
            "location": "Wright-Patterson AFB",
            "starts_on": day.isoformat(),
            "ends_on": (day + timedelta(days=90)).isoformat(),
        },
    )
    assert done.status_code == 303, done.text
    html = browser.client.get(base).text
    assert "Radar fusion" in html
    assert "no end date" in html
    assert "expired" not in html
    assert re.search(
        r"Radar exchange</th><td>exchange placement</td>\s*<td>Bob</td>\s*"
        r"<td>Air Force Research Laboratory</td>\s*<td>Wright-Patterson AFB</td>",
        html,
    )
    world.clock.advance(days=4)
    people.sign_in(browser, "pam")
    later = browser.client.get(base).text
    assert re.search(
        r"\(bob\)</span></th>.*?<span class=\"failed-text\">expired</span>", later, re.S
    )
    # A placement names its person: the form says so, and nothing is recorded.
    refused = _post(
        browser,
        f"{base}/activities",
        {
            "kind": "placement",
            "title": "Nobody",
            "host": people.afrl,
            "starts_on": day.isoformat(),
            "ends_on": day.isoformat(),
        },
    )
    assert refused.status_code == 422
    assert "a placement names its person" in refused.text
    assert 'value="Nobody"' in refused.text
    people.sign_in(browser, "alice")  # the lead ends the membership
    removed = _post(browser, f"{base}/projects/{project.id}/members/bob/remove", {})
    assert removed.status_code == 303
    assert [m.username for m in world.node.projects.members(project.id)] == ["alice"]


def test_form_errors_come_back_in_the_form(browser: Browser, people: People) -> None:
    people.sign_in(browser, "pam")
    pid = _create(browser)
    base = f"/programmes/{pid}"
    too_much = _post(
        browser,
        f"{base}/participants",
        {"organisation": people.afrl, "role": "lead", "work_share": "101"},
    )
    assert too_much.status_code == 422
    assert "a work share is 0-100 %" in too_much.text
    _post(browser, f"{base}/participants", {"organisation": people.afrl, "role": "lead"})
    bad = _post(
        browser,
        f"{base}/funding",
        {
            "organisation": people.afrl,
            "kind": "commitment",
            "amount": "1.005",
            "currency": "USD",
            "on": "2030-01-01",
        },
    )
    assert bad.status_code == 422
    assert "at most two decimal places" in bad.text
    assert 'value="1.005"' in bad.text
    duplicate = _post(browser, "/programmes", {"name": "Passive Sensors"})
    assert duplicate.status_code == 409
    assert "exists" in duplicate.text
    assert people.world.node.programmes.funding_summary(pid) == []


def test_researchers_see_no_forms_and_are_refused_politely(
    browser: Browser, people: People
) -> None:
    programme = people.world.node.programmes.create(
        ConsoleOperator(), CallContext.cli(), name="PSP"
    )
    people.sign_in(browser, "bob")
    listing = browser.client.get("/programmes")
    assert "PSP" in listing.text
    assert "Create a programme" not in listing.text
    detail = browser.client.get(f"/programmes/{programme.id}")
    assert detail.status_code == 200
    assert "Record funding" not in detail.text
    assert "Set a participant" not in detail.text
    refused = _post(browser, "/programmes", {"name": "Mine"})
    assert refused.status_code == 403
    assert "programme.manage needs" in refused.text
    assert "<h1>Forbidden</h1>" in refused.text
    assert [p.name for p in people.world.node.programmes.list_programmes()] == ["PSP"]
    assert browser.client.get("/programmes/nope").status_code == 404


def test_a_visit_is_approved_by_the_hosts_security_officer_only(
    browser: Browser, people: People, node: Node
) -> None:
    world = people.world
    project = node.projects.create_project(ConsoleOperator(), CallContext.cli(), name="Host lab")
    day = world.clock().date()
    people.sign_in(browser, "bob")
    page = browser.client.get("/visits")
    assert page.status_code == 200
    assert "Request a visit" in page.text
    assert 'name="person"' not in page.text  # researchers ask for themselves only
    asked = _post(
        browser,
        "/visits",
        {
            "host": people.afrl,
            "project": project.id,
            "purpose": "radar trials",
            "starts_on": day.isoformat(),
            "ends_on": (day + timedelta(days=2)).isoformat(),
        },
    )
    assert asked.status_code == 303, asked.text
    (visit,) = node.programmes.visits(ConsoleOperator())
    mine = browser.client.get("/visits").text
    assert "radar trials" in mine
    assert "waiting for the host" in mine
    assert "Approve" not in mine

    # The visitor's own officer (another organisation) gets no buttons and is refused.
    people.sign_in(browser, "gso")
    assert "radar trials" not in browser.client.get("/visits").text
    other = _post(
        browser, f"/visits/{visit.id}/decision", {"decision": "approve", "reason": "fine by us"}
    )
    assert other.status_code == 403
    assert "visit.decide needs" in other.text
    # A researcher of the host is refused with a friendly page.
    people.sign_in(browser, "alice")
    refused = _post(
        browser, f"/visits/{visit.id}/decision", {"decision": "approve", "reason": "looks fine"}
    )
    assert refused.status_code == 403
    assert "visit.decide needs" in refused.text
    assert "ask your security officer" in refused.text
    assert node.programmes.visits(ConsoleOperator())[0].status == "pending"

    people.sign_in(browser, "sol")
    queue = browser.client.get("/visits").text
    assert "radar trials" in queue
    assert f'action="/visits/{visit.id}/decision"' in queue
    no_reason = _post(
        browser, f"/visits/{visit.id}/decision", {"decision": "approve", "reason": ""}
    )
    assert no_reason.status_code == 422
    assert "give a reason" in no_reason.text
    approved = _post(
        browser, f"/visits/{visit.id}/decision", {"decision": "approve", "reason": "host approves"}
    )
    assert approved.status_code == 303
    assert "a project member until the end of" in approved.headers["location"].replace("%20", " ")
    shown = browser.client.get("/visits").text
    assert "approved" in shown
    assert "host approves" in shown
    assert "Temporary member of Host lab until" in shown
    (member,) = node.projects.members(project.id)
    assert member.username == "bob"
    assert member.expires_at is not None
    assert member.expires_at.date() == day + timedelta(days=3)
    again = _post(
        browser, f"/visits/{visit.id}/decision", {"decision": "deny", "reason": "changed mind"}
    )
    assert again.status_code == 409
    assert "already approved" in again.text


def test_an_officer_who_asked_for_a_visit_is_not_offered_its_decision(
    browser: Browser, people: People, node: Node
) -> None:
    world = people.world
    world.person("max", roles=(Role.PROGRAMME_MANAGER, Role.SECURITY_OFFICER), org=people.afrl)
    project = node.projects.create_project(ConsoleOperator(), CallContext.cli(), name="Host lab")
    day = world.clock().date()
    people.sign_in(browser, "max")
    asked = _post(
        browser,
        "/visits",
        {
            "person": "bob",
            "host": people.afrl,
            "project": project.id,
            "purpose": "antenna trials",
            "starts_on": day.isoformat(),
            "ends_on": (day + timedelta(days=1)).isoformat(),
        },
    )
    assert asked.status_code == 303, asked.text
    (visit,) = node.programmes.visits(ConsoleOperator())
    assert visit.requested_by == world.accounts["max"].person.id
    # Max is the host's security officer, but he asked: no form, and the service agrees.
    mine = browser.client.get("/visits").text
    assert "antenna trials" in mine
    assert f'action="/visits/{visit.id}/decision"' not in mine
    assert "waiting for the host" in mine
    refused = _post(
        browser, f"/visits/{visit.id}/decision", {"decision": "approve", "reason": "self"}
    )
    assert refused.status_code == 403
    assert "nobody decides a request they made" in refused.text
    # Another officer of the host gets the form.
    people.sign_in(browser, "sol")
    assert f'action="/visits/{visit.id}/decision"' in browser.client.get("/visits").text


def test_forms_without_the_csrf_token_are_refused(browser: Browser, people: People) -> None:
    people.sign_in(browser, "pam")
    for token in (None, "forged"):
        data = {"name": "Rogue"} if token is None else {"name": "Rogue", "csrf": token}
        refused = browser.client.post("/programmes", data=data, follow_redirects=False)
        assert refused.status_code == 403
        assert "the form has expired or did not come from this site" in refused.text
    assert people.world.node.programmes.list_programmes() == []


def test_the_programmes_list_charts_every_programmes_funding_per_nation(
    browser: Browser, people: People, node: Node
) -> None:
    console, ctx = ConsoleOperator(), CallContext.cli()
    day = people.world.clock().date()
    saab = people.world.org("Saab", "SWE")
    for name, lines in {
        "Passive Sensors": [
            (people.afrl, "commitment", "600000", "USD"),
            (people.dstl, "commitment", "300000", "USD"),
            (people.dstl, "contribution", "150000.50", "USD"),
            (people.dstl, "commitment", "1000", "EUR"),
        ],
        "Arctic Radar": [(saab, "contribution", "300000", "USD")],
    }.items():
        node.programmes.create(console, ctx, name=name, description="")
        for org in {org for org, *_ in lines}:
            node.programmes.set_participant(console, ctx, name, org, role="partner")
        for org, kind, amount, currency in lines:
            node.programmes.record_funding(
                console, ctx, name, org, kind=kind, amount=amount, currency=currency, on=day
            )
    people.sign_in(browser, "alice")  # programme data is not labelled: anyone reads it
    html = browser.client.get("/programmes").text
    assert "Joint funding across programmes" in html
    usd = html[html.index('<figure class="summary spaced" id="funding-usd">') :]
    usd = usd[: usd.index("</details>")]
    assert 'id="funding-eur"' in html
    svg = usd[usd.index("<svg") : usd.index("</svg>")]
    assert 'role="img"' in svg
    assert '<title id="funding-usd-title">Funding of every programme in USD' in svg
    assert (
        "Passive Sensors: committed 900,000.00, contributed 150,000.50 "
        "(USA 600,000.00 / 0.00, GBR 300,000.00 / 150,000.50)" in svg
    )
    # One money scale: 900,000 committed is the longest bar; nations by weight, each its
    # own pattern (USA 600k, GBR 450k, SWE 300k).
    assert [t for t in re.findall(r'font-size="12" fill="#1b1f24">([A-Z]{3})</text>', svg)] == [
        "USA",
        "GBR",
        "SWE",
    ]
    segments = re.findall(
        r'<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="14" '
        r'fill="url\(#funding-usd-(\d)\)" stroke="#1b1f24"',
        svg,
    )
    widths = {(float(y), int(p)): float(w) for _, y, w, p in segments}
    scale = 330 / 1_000_000  # ticks every 200 k up to 1 M
    arctic_contributed, *_ = (w for (_, p), w in widths.items() if p == 2)
    assert arctic_contributed == round(300_000 * scale, 1)
    assert sorted(widths.values()) == sorted(
        round(v * scale, 1) for v in (300_000, 600_000, 300_000, 150_000.50)
    )
    assert "<title>Passive Sensors: GBR contributed 150,000.50 USD</title>" in svg
    assert "900,000.00 committed</text>" in svg
    # The table: every line, and the totals.
    assert "<td>SWE</td><td>0.00 USD</td><td>300,000.00 USD</td>" in usd
    assert (
        '<th scope="row" colspan="2">Total</th><td>900,000.00 USD</td><td>450,000.50 USD</td>'
        in usd
    )
    assert "style=" not in html
    assert "<script>" not in html
