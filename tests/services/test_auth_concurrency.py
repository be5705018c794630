"""Sign-in under contention and under guessing (issue 12).

The embedded default has one write lock. Argon2 hashing inside a write transaction held
it for the length of a hash, so 40 parallel first logins and 38 parallel password changes
answered 503 ``database_unavailable`` once the waits passed SQLite's busy timeout. And a
lockout answered 429 for a real account but 401 for an unknown name, telling an outsider
which usernames exist.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

import pytest

from caveat.adapters.db.models import LoginNameThrottleRow, PersonRow
from caveat.bootstrap.container import Node
from caveat.domain.credentials import PasswordHashing
from caveat.domain.errors import AuthenticationFailed, Throttled
from caveat.services.kernel.principal import Principal
from caveat.services.kernel.uow import CallContext, UnitOfWork
from tests.support import PASSWORD, FakeClock, Scenario

T = TypeVar("T")
NO_ADDRESS = CallContext("t", None)  # only the account's (or name's) own count applies
# Long enough that hashing inside the write lock serialises 40 sign-ins past SQLite's
# 10 s busy timeout; a sleep releases the GIL as Argon2 does.
HASH_SECONDS = 0.3


@pytest.fixture
def world(node: Node, clock: FakeClock) -> Scenario:
    return Scenario(node, clock)


@pytest.fixture
def open_writes(node: Node, monkeypatch: pytest.MonkeyPatch) -> dict[int, int]:
    """How many writing units of work each thread has open right now."""
    count: dict[int, int] = {}
    original = node.uow._open

    @contextmanager
    def counted(ctx: CallContext) -> Iterator[UnitOfWork]:
        me = threading.get_ident()
        count[me] = count.get(me, 0) + 1
        try:
            with original(ctx) as uow:
                yield uow
        finally:
            count[me] -= 1

    monkeypatch.setattr(node.uow, "_open", counted)
    return count


@pytest.fixture
def slow_hashing(monkeypatch: pytest.MonkeyPatch, open_writes: dict[int, int]) -> list[int]:
    """Hashing that takes production time, and records how many writes the hashing
    thread had open during each hash (there must be none)."""
    during: list[int] = []
    verify, hash_ = PasswordHashing.verify, PasswordHashing.hash

    def slow_verify(self: PasswordHashing, stored: str | None, password: str) -> bool:
        during.append(open_writes.get(threading.get_ident(), 0))
        time.sleep(HASH_SECONDS)
        return verify(self, stored, password)

    def slow_hash(self: PasswordHashing, password: str) -> str:
        during.append(open_writes.get(threading.get_ident(), 0))
        time.sleep(HASH_SECONDS)
        return hash_(self, password)

    monkeypatch.setattr(PasswordHashing, "verify", slow_verify)
    monkeypatch.setattr(PasswordHashing, "hash", slow_hash)
    return during


def test_no_password_hash_runs_inside_a_write(world: Scenario, slow_hashing: list[int]) -> None:
    alice = world.person()  # hashes the chosen password
    session = world.login(alice)  # verifies it
    with pytest.raises(AuthenticationFailed):
        world.node.auth.login(NO_ADDRESS, username="nobody", password="x" * 12, otp="000000")
    principal = world.node.auth.authenticate(NO_ADDRESS, session.token)
    world.node.auth.change_password(
        principal, NO_ADDRESS, current=PASSWORD, new="quartz-meadow-tinsel-77"
    )
    assert len(slow_hashing) == 5
    assert slow_hashing == [0] * 5


def test_parallel_first_logins_and_password_changes_all_succeed(
    world: Scenario, slow_hashing: list[int]
) -> None:
    for i in range(20):
        world.person(f"user{i:02}", password=PASSWORD)
    slow_hashing.clear()
    world.clock.advance(seconds=30)
    # Two sign-ins per person, each with its own recovery code: 40 at once.
    attempts = [
        (f"user{i:02}", world.accounts[f"user{i:02}"].mfa.recovery_codes[k])
        for i in range(20)
        for k in range(2)
    ]

    def sign_in(attempt: tuple[str, str]) -> str:
        username, code = attempt
        ctx = CallContext(f"login-{username}", None)
        return world.node.auth.login(ctx, username=username, password=PASSWORD, otp=code).token

    with ThreadPoolExecutor(max_workers=40) as pool:
        tokens = list(pool.map(sign_in, attempts))
    assert len(set(tokens)) == 40
    assert set(slow_hashing) == {0}

    principals = [world.node.auth.authenticate(NO_ADDRESS, t) for t in tokens[:38]]

    def change(indexed: tuple[int, Principal]) -> None:
        i, principal = indexed
        world.node.auth.change_password(
            principal, NO_ADDRESS, current=PASSWORD, new=f"cobalt-river-signal-{i:03}"
        )

    # 38 password changes at once; two sessions of one person race on the same account.
    with ThreadPoolExecutor(max_workers=38) as pool:
        outcomes = list(pool.map(_outcome(change), enumerate(principals)))
    changed = [o for o in outcomes if o == "ok"]
    raced = [o for o in outcomes if o == "password_changed_meanwhile"]
    assert len(changed) + len(raced) == 38, outcomes
    assert len(changed) >= 19  # every person's password changed once at least
    assert set(slow_hashing) == {0}


def _outcome(change: Callable[[T], None]) -> Callable[[T], str]:
    """``change`` made to answer "ok" or its error's code, so that every outcome is seen."""

    def run(arg: T) -> str:
        try:
            change(arg)
        except Exception as exc:
            return str(getattr(exc, "code", repr(exc)))
        return "ok"

    return run


WRONG = "wrong-password-xyz"


def _fail(world: Scenario, username: str, password: str = WRONG) -> Exception:
    try:
        world.node.auth.login(NO_ADDRESS, username=username, password=password, otp="000000")
    except (AuthenticationFailed, Throttled) as exc:
        return exc
    raise AssertionError("the sign-in succeeded")


def _answer(exc: Exception) -> tuple[str, str, str, object]:
    return type(exc).__name__, getattr(exc, "code", ""), str(exc), getattr(exc, "data", None)


def test_a_lockout_answers_alike_for_an_account_and_an_unknown_name(world: Scenario) -> None:
    world.person()
    for _ in range(5):
        assert _answer(_fail(world, "alice")) == _answer(_fail(world, "nobody"))
    world.clock.advance(seconds=1)
    real, unknown = _fail(world, "alice", PASSWORD), _fail(world, "nobody", PASSWORD)
    assert isinstance(real, Throttled)
    assert real.code == "account_throttled"
    assert _answer(real) == _answer(unknown)
    for _ in range(15):
        world.clock.advance(hours=2)  # wait out each backoff: only the hard lock remains
        assert _answer(_fail(world, "alice")) == _answer(_fail(world, "nobody"))
    world.clock.advance(days=2)
    real, unknown = _fail(world, "alice"), _fail(world, "nobody")
    assert getattr(real, "code", None) == "account_locked"
    assert _answer(real) == _answer(unknown)


def test_the_owner_signing_in_does_not_tell_a_real_account_from_an_unknown_name(
    world: Scenario,
) -> None:
    # Review finding (2026-12-04): five failures on a name, the owner signs in (which
    # reset an account's count, never an unknown name's), one more failure: the account
    # answered 401 and the unknown name 429.
    alice = world.person()
    for _ in range(5):
        assert _answer(_fail(world, "alice")) == _answer(_fail(world, "nobody"))
    world.clock.advance(seconds=31)  # the backoff is over
    world.login(alice, ctx=NO_ADDRESS)
    for _ in range(3):
        real, unknown = _fail(world, "alice"), _fail(world, "nobody")
        assert _answer(real) == _answer(unknown)
    assert isinstance(real, Throttled)  # the count went on from five: backing off again


def test_failures_are_forgotten_after_a_quiet_day_for_accounts_and_names_alike(
    world: Scenario,
) -> None:
    world.person()
    for _ in range(4):
        assert _answer(_fail(world, "alice")) == _answer(_fail(world, "nobody"))
    world.clock.advance(hours=23)
    real, unknown = _fail(world, "alice"), _fail(world, "nobody")  # the fifth: backoff
    assert _answer(real) == _answer(unknown)
    world.clock.advance(hours=1)  # a day since the fourth failure, not since the fifth
    for _ in range(2):  # the sixth failure backs off again, the next attempt waits
        real, unknown = _fail(world, "alice"), _fail(world, "nobody")
        assert _answer(real) == _answer(unknown)
    assert isinstance(real, Throttled)
    world.clock.advance(hours=24)
    for _ in range(4):  # a quiet day: counting starts again, four failures before a wait
        real, unknown = _fail(world, "alice"), _fail(world, "nobody")
        assert getattr(real, "code", None) == "bad_credentials"
        assert _answer(real) == _answer(unknown)


def test_unknown_names_are_never_stored_in_clear(world: Scenario) -> None:
    typed = "my-password-typed-in-the-wrong-box"
    _fail(world, typed)
    with world.node.uow.read() as session:
        rows = session.query(LoginNameThrottleRow).all()
    assert len(rows) == 1
    assert typed not in rows[0].name_hash
    assert rows[0].failures == 1


def test_parallel_failures_each_count_and_answer_alike(world: Scenario) -> None:
    # On PostgreSQL parallel failures used to overwrite one another's count (never
    # reaching the backoff) and a parallel first failure under an unknown name answered
    # 409: the rows are now locked for the short write, and created in a savepoint.
    world.person()

    def burst(username: str) -> list[str]:
        barrier = threading.Barrier(8)

        def attempt(i: int) -> str:
            barrier.wait()
            return str(_answer(_fail(world, username))[1])

        with ThreadPoolExecutor(max_workers=8) as pool:
            return sorted(pool.map(attempt, range(8)))

    expected = ["account_throttled"] * 3 + ["bad_credentials"] * 5
    assert burst("alice") == expected
    assert burst("nobody") == expected
    with world.node.uow.read() as session:
        alice = session.query(PersonRow).filter_by(username="alice").one()
        assert alice.failed_logins == 5
        assert [r.failures for r in session.query(LoginNameThrottleRow)] == [5]
