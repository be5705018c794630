"""The web pages through real HTTP requests: sign-in, CSRF, roles, errors, banners."""

from __future__ import annotations

from typing import Any

from caveat.domain.identity import Role
from tests.support import PASSWORD, Scenario
from tests.web.conftest import Browser, csrf_of


def test_pages_need_a_sign_in_and_come_back_after_it(browser: Browser, world: Scenario) -> None:
    response = browser.client.get("/admin/groups?on=2020-01-01", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/admin/groups?on=2020-01-01"


def test_sign_in_with_password_and_totp_shows_the_dashboard(
    browser: Browser, world: Scenario
) -> None:
    alice = world.person("alice")
    assert browser.sign_in(alice) == "/"
    page = browser.client.get("/")
    assert page.status_code == 200
    assert "Welcome, Alice" in page.text
    assert page.text.count(' banner-unclassified" data-marking="UNCLASSIFIED"') == 2  # top, bottom
    assert '<span class="banner-text">UNCLASSIFIED</span>' in page.text  # US words for a US viewer


def test_wrong_credentials_say_so_without_saying_which(browser: Browser, world: Scenario) -> None:
    world.person("alice")
    form = browser.client.get("/login")
    response = browser.client.post(
        "/login",
        data={
            "csrf": csrf_of(form.text),
            "username": "alice",
            "password": "not-the-password",
            "otp": "123456",
        },
    )
    assert response.status_code == 401
    assert "username, password or one-time code is wrong" in response.text


def test_the_login_form_needs_its_csrf_token(browser: Browser, world: Scenario) -> None:
    alice = world.person("alice")
    browser.client.get("/login")
    response = browser.client.post(
        "/login",
        data={
            "csrf": "forged",
            "username": "alice",
            "password": PASSWORD,
            "otp": world.code(alice),
        },
    )
    assert response.status_code == 403
    assert "expired" in response.text
    assert response.headers["content-type"].startswith("text/html")


def test_next_cannot_leave_the_site(browser: Browser, world: Scenario) -> None:
    alice = world.person("alice")
    form = browser.client.get("/login")
    world.clock.advance(seconds=30)
    response = browser.client.post(
        "/login",
        data={
            "csrf": csrf_of(form.text),
            "username": "alice",
            "password": PASSWORD,
            "otp": world.code(alice),
            "next": "//evil.example/",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"


def test_one_time_passwords_lead_to_the_account_page_first(
    browser: Browser, world: Scenario
) -> None:
    bob = world.person("bob", nations=("GBR",), password=None)
    assert bob.one_time_password
    assert browser.sign_in(bob, password=bob.one_time_password) == "/account"
    assert browser.client.get("/", follow_redirects=False).headers["location"] == "/account"
    response: Any = browser.post(
        "/account/password",
        {"current_password": bob.one_time_password, "new_password": "amber-meadow-falcon-77"},
    )
    assert response.status_code == 303
    assert browser.client.get("/").status_code == 200


def test_forms_without_the_session_token_are_refused(browser: Browser, world: Scenario) -> None:
    operator = world.person("olav", nations=("NOR",), roles=(Role.NODE_OPERATOR,))
    browser.sign_in(operator)
    refused = browser.client.post(
        "/admin/organisations",
        data={"name": "Rogue", "nation": "GBR", "kind": "industry", "csrf": "wrong"},
    )
    assert refused.status_code == 403
    assert "Rogue" not in browser.client.get("/admin/organisations").text
    created: Any = browser.post(
        "/admin/organisations", {"name": "Kongsberg Defence", "nation": "NOR", "kind": "industry"}
    )
    assert created.status_code == 303
    assert "Kongsberg Defence" in browser.client.get("/admin/organisations").text


def test_admin_pages_are_for_officers_only(browser: Browser, world: Scenario) -> None:
    browser.sign_in(world.person("alice"))
    response = browser.client.get("/admin/people")
    assert response.status_code == 403
    assert "node operators and security officers" in response.text
    assert "People</a>" not in browser.client.get("/").text  # no admin links either


def test_officers_create_people_and_see_their_secrets_once(
    browser: Browser, world: Scenario
) -> None:
    # A Norwegian officer administers people of FFI and records Norwegian clearances.
    org = world.org("Norwegian Defence Research Establishment", "NOR")
    officer = world.person("ingrid", nations=("NOR",), roles=(Role.SECURITY_OFFICER,), org=org)
    browser.sign_in(officer)
    bad: Any = browser.post(
        "/admin/people/new",
        {
            "username": "lars",
            "display_name": "Lars Eide",
            "email": "lars@nit.example",
            "organisation": org,
            "citizenships": "XXX",
            "roles": "researcher",
        },
    )
    assert bad.status_code == 422
    assert "XXX" in bad.text
    made: Any = browser.post(
        "/admin/people/new",
        {
            "username": "lars",
            "display_name": "Lars Eide",
            "email": "lars@nit.example",
            "organisation": org,
            "citizenships": "NOR, SWE",
            "roles": "researcher",
            "clearance_level": "3",
            "clearance_name": "HEMMELIG",
            "clearance_nation": "NOR",
            "clearance_expires": "2029-01-01",
        },
    )
    assert made.status_code == 200
    assert "One-time secrets for lars" in made.text
    assert "<svg" in made.text
    person = world.node.people.get_person("lars")
    assert person.citizenships == ("NOR", "SWE")
    assert person.clearance is not None
    assert person.clearance.national_name == "HEMMELIG"
    listing = browser.client.get("/admin/people").text
    assert "lars" in listing
    reset: Any = browser.post("/admin/people/lars/reset-mfa")
    assert "One-time secrets for lars" in reset.text


def test_unknown_pages_and_errors_are_friendly_html(browser: Browser) -> None:
    response = browser.client.get("/no/such/page")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "There is no such page." in response.text
    assert "What to do" in response.text
    api = browser.client.get("/api/v1/no/such")
    assert api.headers["content-type"].startswith("application/problem+json")


def test_pages_run_under_a_strict_csp(browser: Browser) -> None:
    csp = browser.client.get("/login").headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    html = browser.client.get("/login").text
    assert "<script>" not in html  # only <script src=...>
    assert " on" + "click=" not in html


def test_logout_ends_the_session(browser: Browser, world: Scenario) -> None:
    browser.sign_in(world.person("alice"))
    response: Any = browser.post("/logout")
    assert response.headers["location"] == "/login"
    assert browser.client.get("/", follow_redirects=False).status_code == 303
