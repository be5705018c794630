"""Issue 11, reproduction 7 in the browser: credentials change only in a session whose
second factor is fresh. A stale session types a fresh code with the change itself and
the change completes; without one it is refused with ``step_up_required``."""

from __future__ import annotations

from typing import Any

from caveat.bootstrap.container import Node
from caveat.domain.permissions import STEP_UP_WINDOW_S
from caveat.services.kernel.principal import ConsoleOperator
from caveat.services.ledger._audit import EventFilter
from tests.support import PASSWORD, Scenario
from tests.web.conftest import Browser


def _go_stale(browser: Browser, world: Scenario) -> None:
    """Stay active (no idle time-out) until the sign-in's second factor is stale."""
    for _ in range(2):
        world.clock.advance(seconds=STEP_UP_WINDOW_S // 2 + 30)
        browser.client.get("/")


def test_credentials_need_a_fresh_code_in_a_stale_session(
    browser: Browser, world: Scenario, node: Node
) -> None:
    alice = world.person("alice")
    browser.sign_in(alice)
    fresh = browser.client.get("/account").text
    assert "Confirm it is you" not in fresh
    assert 'name="otp"' not in fresh
    made: Any = browser.post("/account/tokens", {"name": "ci", "scopes": ["read"], "days": "1"})
    assert made.status_code == 200
    assert "New token (shown once)" in made.text
    _go_stale(browser, world)
    page = browser.client.get("/account").text
    assert "Confirm it is you" in page
    assert page.count('name="otp"') >= 4  # password, authenticator, codes, token forms
    # Without a code: refused, nothing changed, the form says what to do.
    before = node.audit.search(
        ConsoleOperator(), EventFilter(action="auth.recovery_codes_issued")
    ).entries
    refused: Any = browser.post("/account/recovery-codes")
    assert refused.status_code == 403
    assert "credentials change only with a fresh second factor" in refused.text
    assert "enter a fresh code from your authenticator" in refused.text
    assert "Your new recovery codes" not in refused.text
    refused_pw: Any = browser.post(
        "/account/password",
        {"current_password": PASSWORD, "new_password": "amber-meadow-falcon-77"},
    )
    assert refused_pw.status_code == 403
    # With a wrong code: refused as a failed step-up.
    wrong: Any = browser.post("/account/recovery-codes", {"otp": "000000"})
    assert wrong.status_code == 401
    assert "Your new recovery codes" not in wrong.text
    after = node.audit.search(
        ConsoleOperator(), EventFilter(action="auth.recovery_codes_issued")
    ).entries
    assert len(after) == len(before)
    # With a fresh code typed beside the change: stepped up, and the change completes.
    world.clock.advance(seconds=30)
    done: Any = browser.post("/account/recovery-codes", {"otp": world.code(alice)})
    assert done.status_code == 200
    assert "Your new recovery codes" in done.text
    assert "Confirm it is you" not in done.text  # the session is fresh again
    changed: Any = browser.post(
        "/account/password",
        {"current_password": PASSWORD, "new_password": "amber-meadow-falcon-77"},
    )
    assert changed.status_code == 303
    kinds = [
        e.type
        for e in node.audit.search(ConsoleOperator(), EventFilter(action="auth.step_up")).entries
    ]
    assert kinds.count("auth.step_up") == 2  # the wrong code and the right one


def test_a_stale_session_steps_up_to_move_to_a_new_authenticator(
    browser: Browser, world: Scenario
) -> None:
    alice = world.person("alice")
    browser.sign_in(alice)
    _go_stale(browser, world)
    refused: Any = browser.post("/account/mfa")
    assert refused.status_code == 403
    # no new seed for a stale session (the bell icon is in the nav)
    assert "<svg" not in refused.text.split("</nav>", 1)[1]
    world.clock.advance(seconds=30)
    begun: Any = browser.post("/account/mfa", {"otp": world.code(alice)})
    assert begun.status_code == 200
    assert "Scan this code" in begun.text
