"""Credentials: password hashing, TOTP (RFC 6238), recovery codes and bearer tokens.

Passwords use argon2id with the parameters written into each PHC hash string, so a
change of cost is detected per hash and the hash is renewed at the next login.
High-entropy secrets (tokens, recovery codes) are stored as SHA-256: they cannot be
guessed, so a slow hash would only cost time on every request.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from argon2.low_level import Type

from caveat.domain.errors import AuthenticationFailed

TOTP_STEP_SECONDS = 30
TOTP_DIGITS = 6
TOTP_WINDOW = 1  # accept the previous and next step: about ±30 s of clock drift
RECOVERY_CODE_COUNT = 10


@dataclass(frozen=True, slots=True)
class Argon2Cost:
    """Argon2id cost: iterations, memory in KiB, lanes."""

    time_cost: int
    memory_cost: int
    parallelism: int


# RFC 9106 §4 second recommended option (t=3, 64 MiB, 4 lanes): about 100 ms per hash
# on the reference 2-core machine (docs/benchmarks.md), inside the 50-500 ms budget.
PRODUCTION_COST = Argon2Cost(time_cost=3, memory_cost=64 * 1024, parallelism=4)
# Only for test suites: fast, and deliberately different so rehash-on-login is exercised.
TEST_COST = Argon2Cost(time_cost=1, memory_cost=1024, parallelism=1)


class PasswordHashing:
    """argon2id hashing with a fixed cost and a dummy hash for unknown users.

    At most ``at_once`` hashes run together: each holds ``memory_cost`` (64 MiB in
    production) while it runs, and they are CPU-bound, so more at once only adds memory
    (fifty simultaneous sign-ins would otherwise ask for 3 GiB) and no throughput."""

    def __init__(self, cost: Argon2Cost, *, at_once: int = 2) -> None:
        if at_once < 1:
            raise ValueError("at least one hash must be allowed to run")
        self._turns = threading.BoundedSemaphore(at_once)
        self._hasher = PasswordHasher(
            time_cost=cost.time_cost,
            memory_cost=cost.memory_cost,
            parallelism=cost.parallelism,
            hash_len=32,
            salt_len=16,
            type=Type.ID,
        )
        # Verifying against this when the username is unknown makes the time taken
        # the same as for a real account (no user enumeration by timing).
        self._dummy = self._hasher.hash(secrets.token_hex(16))

    def hash(self, password: str) -> str:
        """A PHC-format argon2id hash of ``password`` with a fresh salt."""
        with self._turns:
            return self._hasher.hash(password)

    def verify(self, stored: str | None, password: str) -> bool:
        """True when ``password`` matches ``stored``; None stands for an unknown user."""
        try:
            with self._turns:
                matched = self._hasher.verify(stored or self._dummy, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
        return matched and stored is not None

    def needs_rehash(self, stored: str) -> bool:
        """True when ``stored`` was made with other parameters than the current cost."""
        return self._hasher.check_needs_rehash(stored)


def new_totp_secret() -> str:
    """A fresh 160-bit base32 TOTP seed (RFC 4226 recommends at least 128 bits)."""
    return pyotp.random_base32(length=32)


def totp_uri(secret: str, *, account: str, issuer: str) -> str:
    """The otpauth:// URI that authenticator apps read from a QR code."""
    return pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_STEP_SECONDS).provisioning_uri(
        name=account, issuer_name=issuer
    )


def totp_code(secret: str, at: datetime) -> str:
    """The code an authenticator shows at ``at`` (used by tests and the demo)."""
    return pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_STEP_SECONDS).at(at)


class TotpRejected(AuthenticationFailed):
    """Raised when a TOTP code is wrong, outside the window, or already used."""

    code = "totp_rejected"


def verify_totp(secret: str, code: str, *, at: datetime, last_step: int) -> int:
    """Check ``code`` at ``at``; return its time step, which must exceed ``last_step``.

    The returned step is stored by the caller; a code whose step is not newer than the
    last accepted one is a replay and is refused (RFC 6238 §5.2).
    """
    if len(code) != TOTP_DIGITS or not code.isdigit():
        raise TotpRejected("the one-time code must be six digits")
    totp = pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_STEP_SECONDS)
    now_step = int(at.timestamp()) // TOTP_STEP_SECONDS
    for step in range(now_step - TOTP_WINDOW, now_step + TOTP_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            if step <= last_step:
                raise TotpRejected("this one-time code has already been used")
            return step
    raise TotpRejected("the one-time code is not valid")


def new_recovery_codes(count: int = RECOVERY_CODE_COUNT) -> list[str]:
    """Single-use codes like ``k3f9-7qzp-2mxd`` (60 bits each)."""
    alphabet = "23456789abcdefghjkmnpqrstuvwxyz"  # no 0/o, 1/l/i
    return [
        "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(3))
        for _ in range(count)
    ]


def normalise_recovery_code(code: str) -> str:
    """Lower case, without spaces or dashes, so people may type it either way."""
    return code.strip().lower().replace("-", "").replace(" ", "")


def looks_like_recovery_code(code: str) -> bool:
    """Recovery codes have 12 characters once normalised; TOTP codes have 6 digits."""
    return len(normalise_recovery_code(code)) == 12


class TokenKind(StrEnum):
    """Bearer secrets carry a readable prefix so leaked ones are easy to spot and scan for."""

    SESSION = "cvs"
    API = "cvt"


def new_token(kind: TokenKind) -> str:
    """A fresh 256-bit bearer token with its kind as prefix."""
    return f"{kind.value}_{secrets.token_urlsafe(32)}"


def digest(secret: str) -> str:
    """SHA-256 hex of a high-entropy secret (token or recovery code), for storage."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()
