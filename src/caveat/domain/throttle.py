"""Login throttling: exponential backoff after repeated failures, then a hard lock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    """After ``threshold`` failures each further one doubles the wait, up to ``max_wait``.

    ``hard_lock_after`` failures lock the account until an operator unlocks it
    (OWASP ASVS 2.2.1: soft lockout and rate limiting against guessing).
    """

    threshold: int = 5
    base_wait: timedelta = timedelta(seconds=30)
    max_wait: timedelta = timedelta(hours=1)
    hard_lock_after: int = 20
    forget_after: timedelta = timedelta(hours=1)  # an address's old failures stop counting
    # Addresses are shared (NAT, proxies), so they start backing off later than accounts.
    address_threshold: int = 20

    def wait_after(self, failures: int) -> timedelta | None:
        """How long to refuse attempts after ``failures`` consecutive failures, if at all."""
        if failures < self.threshold:
            return None
        doublings = min(failures - self.threshold, 32)
        wait: timedelta = self.base_wait * (2**doublings)
        return min(wait, self.max_wait)

    def locked_until(self, failures: int, now: datetime) -> datetime | None:
        """The end of the backoff that ``failures`` earns, counted from ``now``."""
        wait = self.wait_after(failures)
        return None if wait is None else now + wait

    def address_locked_until(self, failures: int, now: datetime) -> datetime | None:
        """The end of the backoff an address earns with ``failures`` recent failures."""
        return self.locked_until(failures - self.address_threshold + self.threshold, now)

    def is_hard_lock(self, failures: int) -> bool:
        """True when the account needs an operator to unlock it."""
        return failures >= self.hard_lock_after
