from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from caveat.adapters.db.models import EventRow, PersonRow
from caveat.bootstrap.container import Node, open_node
from caveat.bootstrap.settings import Settings
from caveat.domain.credentials import Argon2Cost, PasswordHashing
from caveat.domain.errors import AuthenticationFailed, Throttled
from caveat.domain.identity import PersonStatus
from caveat.services.kernel.principal import ConsoleOperator
from caveat.services.kernel.uow import CallContext
from tests.support import PASSWORD, FakeClock, Scenario

CTX = CallContext("test", "10.0.0.1")


@pytest.fixture
def world(node: Node, clock: FakeClock) -> Scenario:
    return Scenario(node, clock)


def events(node: Node, type_name: str) -> list[EventRow]:
    with node.uow.read() as session:
        return list(
            session.scalars(
                select(EventRow).where(EventRow.type == type_name).order_by(EventRow.seq)
            )
        )


def test_login_with_password_and_totp_opens_a_session(world: Scenario) -> None:
    alice = world.person()
    issued = world.login(alice)
    principal = world.node.auth.authenticate(CTX, issued.token)
    assert principal.username == "alice"
    assert principal.mfa_at == world.clock()
    assert principal.session_id == issued.session_id
    assert [e.outcome for e in events(world.node, "auth.login")] == ["success"]


def test_a_totp_code_cannot_be_replayed(world: Scenario) -> None:
    alice = world.person()
    world.clock.advance(seconds=30)
    code = world.code(alice)
    world.node.auth.login(CTX, username="alice", password=PASSWORD, otp=code)
    with pytest.raises(AuthenticationFailed):
        world.node.auth.login(CTX, username="alice", password=PASSWORD, otp=code)
    reasons = [e.body for e in events(world.node, "auth.login")]
    assert '"reason":"totp_replay"' in reasons[-1]


def test_wrong_password_and_unknown_user_fail_alike(world: Scenario) -> None:
    alice = world.person()
    with pytest.raises(AuthenticationFailed) as wrong:
        world.node.auth.login(
            CTX, username="alice", password="not-the-password!", otp=world.code(alice)
        )
    with pytest.raises(AuthenticationFailed) as unknown:
        world.node.auth.login(CTX, username="nobody", password="whatever-it-is", otp="123456")
    assert wrong.value.detail == unknown.value.detail
    assert wrong.value.code == unknown.value.code == "bad_credentials"


def test_unknown_users_cost_a_hash_too(world: Scenario, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str | None] = []
    original = PasswordHashing.verify

    def counting(self: PasswordHashing, stored: str | None, password: str) -> bool:
        calls.append(stored)
        return original(self, stored, password)

    monkeypatch.setattr(PasswordHashing, "verify", counting)
    with pytest.raises(AuthenticationFailed):
        world.node.auth.login(CTX, username="nobody", password="whatever-it-is", otp="123456")
    assert calls == [None]  # verified against the dummy hash


def test_repeated_failures_back_off_then_lock_until_an_operator_unlocks(world: Scenario) -> None:
    alice = world.person()
    for _ in range(5):
        with pytest.raises(AuthenticationFailed):
            world.node.auth.login(
                CallContext("t", None),
                username="alice",
                password="wrong-password-xyz",
                otp="000000",
            )
    # Backoff: even the right credentials wait now.
    world.clock.advance(seconds=1)
    with pytest.raises(Throttled) as throttled:
        world.node.auth.login(
            CallContext("t", None), username="alice", password=PASSWORD, otp=world.code(alice)
        )
    assert throttled.value.code == "account_throttled"
    assert 0 < throttled.value.data["retry_after"] <= 30
    # After the wait the right credentials work; the count stays (only time forgets it).
    world.clock.advance(seconds=31)
    world.login(alice, ctx=CallContext("t", None))

    for _ in range(15):
        world.clock.advance(hours=2)  # wait out each backoff: only the hard lock remains
        with pytest.raises(AuthenticationFailed):
            world.node.auth.login(
                CallContext("t", None),
                username="alice",
                password="wrong-password-xyz",
                otp="000000",
            )
    world.clock.advance(days=2)
    with pytest.raises(Throttled) as locked:
        world.login(alice, ctx=CallContext("t", None))
    assert locked.value.code == "account_locked"
    assert any('"hard":true' in e.body for e in events(world.node, "auth.locked"))

    person = world.node.people.unlock(ConsoleOperator(), CallContext.cli(), "alice")
    assert not person.locked
    world.login(alice, ctx=CallContext("t", None))
    assert len(events(world.node, "person.unlocked")) == 1


def test_a_client_address_is_throttled_across_accounts(world: Scenario) -> None:
    world.person()
    bob = world.person("bob", nations=("GBR",))
    for i in range(20):
        with pytest.raises(AuthenticationFailed):
            world.node.auth.login(
                CTX, username=f"guess{i}", password="wrong-password-xyz", otp="000000"
            )
    with pytest.raises(Throttled) as caught:
        world.node.auth.login(CTX, username="alice", password=PASSWORD, otp="000000")
    assert caught.value.code == "address_throttled"
    assert len(events(world.node, "auth.address_locked")) == 1
    # Another address is not affected.
    world.login(bob, ctx=CallContext("t", "10.0.0.2"))
    # An operator lifts the throttle, with an event.
    assert world.node.auth.unlock_address(ConsoleOperator(), CallContext.cli(), "10.0.0.1")
    assert not world.node.auth.unlock_address(ConsoleOperator(), CallContext.cli(), "10.0.0.9")
    world.login(bob, ctx=CTX)
    assert len(events(world.node, "auth.address_unlocked")) == 1


def test_sessions_expire_when_idle_and_absolutely(world: Scenario) -> None:
    alice = world.person()
    issued = world.login(alice)
    world.clock.advance(minutes=29)
    world.node.auth.authenticate(CTX, issued.token)  # keeps it alive
    world.clock.advance(minutes=29)
    world.node.auth.authenticate(CTX, issued.token)
    world.clock.advance(minutes=31)
    with pytest.raises(AuthenticationFailed) as idle:
        world.node.auth.authenticate(CTX, issued.token)
    assert idle.value.code == "session_idle"

    issued = world.login(alice)
    for _ in range(12 * 4 - 1):  # active every 15 minutes for just under 12 hours
        world.clock.advance(minutes=15)
        world.node.auth.authenticate(CTX, issued.token)
    world.clock.advance(minutes=15)
    with pytest.raises(AuthenticationFailed) as absolute:
        world.node.auth.authenticate(CTX, issued.token)
    assert absolute.value.code == "session_expired"
    assert world.clock() - issued.mfa_at >= timedelta(hours=12)


def test_logout_and_revoke_all_end_sessions(world: Scenario) -> None:
    alice = world.person()
    first, second = world.login(alice), world.login(alice)
    principal = world.node.auth.authenticate(CTX, first.token)
    world.node.auth.logout(principal, CTX)
    with pytest.raises(AuthenticationFailed, match="ended"):
        world.node.auth.authenticate(CTX, first.token)
    world.node.auth.authenticate(CTX, second.token)
    assert (
        world.node.auth.revoke_all_sessions(world.node.auth.authenticate(CTX, second.token), CTX)
        == 1
    )
    with pytest.raises(AuthenticationFailed):
        world.node.auth.authenticate(CTX, second.token)


def test_recovery_codes_work_once(world: Scenario) -> None:
    alice = world.person()
    code = alice.mfa.recovery_codes[0]
    world.node.auth.login(CTX, username="alice", password=PASSWORD, otp=code.upper())
    with pytest.raises(AuthenticationFailed):
        world.node.auth.login(CTX, username="alice", password=PASSWORD, otp=code)
    assert '"codes_left":9' in events(world.node, "auth.recovery_code_used")[0].body


def test_suspended_accounts_cannot_sign_in_and_lose_their_sessions(world: Scenario) -> None:
    alice = world.person()
    issued = world.login(alice)
    world.node.people.set_status(
        ConsoleOperator(), CallContext.cli(), "alice", PersonStatus.SUSPENDED, reason="left"
    )
    with pytest.raises(AuthenticationFailed):
        world.node.auth.authenticate(CTX, issued.token)
    with pytest.raises(AuthenticationFailed, match="suspended"):
        world.login(alice)


def test_password_is_rehashed_when_the_cost_changes(world: Scenario, settings: Settings) -> None:
    alice = world.person()
    stronger = PasswordHashing(Argon2Cost(time_cost=2, memory_cost=8 * 1024, parallelism=1))
    node = open_node(settings, clock=world.clock, hashing=stronger)
    try:
        Scenario(node, world.clock).login(alice)
        with node.uow.read() as session:
            stored = session.scalar(
                select(PersonRow.password_hash).where(PersonRow.username == "alice")
            )
        assert stored is not None
        assert "$m=8192,t=2,p=1$" in stored
    finally:
        node.close()


def test_change_password_checks_the_current_one_and_ends_other_sessions(world: Scenario) -> None:
    alice = world.person()
    keep, other = world.login(alice), world.login(alice)
    me = world.node.auth.authenticate(CTX, keep.token)
    with pytest.raises(AuthenticationFailed):
        world.node.auth.change_password(
            me, CTX, current="wrong-password-xyz", new="amber-meadow-falcon-77"
        )
    world.node.auth.change_password(me, CTX, current=PASSWORD, new="amber-meadow-falcon-77")
    world.node.auth.authenticate(CTX, keep.token)
    with pytest.raises(AuthenticationFailed):
        world.node.auth.authenticate(CTX, other.token)
    world.login(alice, password="amber-meadow-falcon-77")


def test_one_time_passwords_must_be_changed(world: Scenario) -> None:
    bob = world.person("bob", nations=("GBR",), password=None)
    assert bob.one_time_password is not None
    issued = world.login(bob, password=bob.one_time_password)
    assert issued.person.must_change_password
    assert world.node.auth.authenticate(CTX, issued.token).must_change_password


def test_totp_re_enrolment_needs_a_valid_code(world: Scenario) -> None:
    from caveat.domain.credentials import totp_code

    alice = world.person()
    me = world.node.auth.authenticate(CTX, world.login(alice).token)
    enrolment = world.node.auth.begin_totp_enrolment(me)
    with pytest.raises(AuthenticationFailed):
        world.node.auth.confirm_totp_enrolment(me, CTX, ticket=enrolment.ticket, code="000000")
    world.node.auth.confirm_totp_enrolment(
        me, CTX, ticket=enrolment.ticket, code=totp_code(enrolment.secret, world.clock())
    )
    world.clock.advance(seconds=30)
    with pytest.raises(AuthenticationFailed):  # the old phone no longer works
        world.node.auth.login(CTX, username="alice", password=PASSWORD, otp=world.code(alice))
    world.clock.advance(seconds=30)
    world.node.auth.login(
        CTX, username="alice", password=PASSWORD, otp=totp_code(enrolment.secret, world.clock())
    )
