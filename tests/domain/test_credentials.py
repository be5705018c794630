from __future__ import annotations

import base64
import threading
import time
from datetime import UTC, datetime

import pytest

from caveat.domain.credentials import (
    TEST_COST,
    Argon2Cost,
    PasswordHashing,
    TokenKind,
    TotpRejected,
    digest,
    new_recovery_codes,
    new_token,
    normalise_recovery_code,
    totp_code,
    verify_totp,
)

# RFC 6238 Appendix B: SHA-1 seed "12345678901234567890", 8-digit codes. A 6-digit code
# is the same value mod 10^6, so its last six digits are the known answer.
RFC6238_SECRET = base64.b32encode(b"12345678901234567890").decode()
RFC6238_SHA1 = [
    (59, "94287082"),
    (1111111109, "07081804"),
    (1111111111, "14050471"),
    (1234567890, "89005924"),
    (2000000000, "69279037"),
    (20000000000, "65353130"),
]


@pytest.mark.parametrize(("unix", "eight_digits"), RFC6238_SHA1)
def test_totp_matches_rfc6238_vectors(unix: int, eight_digits: str) -> None:
    at = datetime.fromtimestamp(unix, UTC)
    assert totp_code(RFC6238_SECRET, at) == eight_digits[-6:]
    assert verify_totp(RFC6238_SECRET, eight_digits[-6:], at=at, last_step=0) == unix // 30


def test_a_code_is_accepted_one_step_either_side_but_not_two() -> None:
    at = datetime.fromtimestamp(1_000_000_000, UTC)
    step = 1_000_000_000 // 30
    for offset in (-1, 0, 1):
        code = totp_code(RFC6238_SECRET, datetime.fromtimestamp((step + offset) * 30, UTC))
        assert verify_totp(RFC6238_SECRET, code, at=at, last_step=0) == step + offset
    for offset in (-2, 2):
        code = totp_code(RFC6238_SECRET, datetime.fromtimestamp((step + offset) * 30, UTC))
        with pytest.raises(TotpRejected):
            verify_totp(RFC6238_SECRET, code, at=at, last_step=0)


def test_a_used_step_is_a_replay() -> None:
    at = datetime.fromtimestamp(1_000_000_000, UTC)
    code = totp_code(RFC6238_SECRET, at)
    step = verify_totp(RFC6238_SECRET, code, at=at, last_step=0)
    with pytest.raises(TotpRejected, match="already been used"):
        verify_totp(RFC6238_SECRET, code, at=at, last_step=step)


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "12 456"])
def test_malformed_codes_are_rejected(code: str) -> None:
    with pytest.raises(TotpRejected):
        verify_totp(RFC6238_SECRET, code, at=datetime.now(UTC), last_step=0)


def test_password_hash_records_parameters_and_detects_a_cost_change() -> None:
    hashing = PasswordHashing(TEST_COST)
    stored = hashing.hash("violet-harbour-lantern-42")
    assert stored.startswith("$argon2id$v=19$m=1024,t=1,p=1$")
    assert hashing.verify(stored, "violet-harbour-lantern-42")
    assert not hashing.verify(stored, "violet-harbour-lantern-43")
    assert not hashing.needs_rehash(stored)
    assert PasswordHashing(Argon2Cost(2, 1024, 1)).needs_rehash(stored)


def test_unknown_user_never_verifies_even_with_the_dummy_password() -> None:
    hashing = PasswordHashing(TEST_COST)
    assert not hashing.verify(None, "anything at all")


def test_recovery_codes_are_distinct_and_normalise() -> None:
    codes = new_recovery_codes()
    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert normalise_recovery_code(" " + codes[0].upper() + " ") == codes[0].replace("-", "")


def test_tokens_carry_their_kind_and_are_stored_as_sha256() -> None:
    token = new_token(TokenKind.API)
    assert token.startswith("cvt_")
    assert len(token) > 40
    assert digest(token) != token
    assert len(digest(token)) == 64


class _SlowHasher:
    """Stands in for argon2's hasher to count hashes running at the same moment."""

    def __init__(self) -> None:
        self.running = 0
        self.most = 0
        self._lock = threading.Lock()

    def _run(self) -> None:
        with self._lock:
            self.running += 1
            self.most = max(self.most, self.running)
        time.sleep(0.05)
        with self._lock:
            self.running -= 1

    def hash(self, password: str) -> str:
        self._run()
        return "hashed"

    def verify(self, stored: str, password: str) -> bool:
        self._run()
        return True


@pytest.mark.parametrize("at_once", [1, 2])
def test_no_more_hashes_run_at_once_than_allowed(at_once: int) -> None:
    hashing = PasswordHashing(TEST_COST, at_once=at_once)
    spy = _SlowHasher()
    hashing._hasher = spy  # type: ignore[assignment]
    calls = [lambda: hashing.verify(None, "pw"), lambda: hashing.hash("pw")] * 4
    threads = [threading.Thread(target=call) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert spy.most == at_once  # 64 MiB each in production: memory grows with this, not load


def test_hashing_needs_at_least_one_turn() -> None:
    with pytest.raises(ValueError, match="at least one"):
        PasswordHashing(TEST_COST, at_once=0)
