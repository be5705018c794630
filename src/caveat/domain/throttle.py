"""Login throttling: exponential backoff after repeated failures, then a hard lock."""

from __future__ import annotations

import threading
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
    # An account's or an unknown name's failures stop counting after this long without
    # another failure; a successful sign-in never clears them (below).
    forget_name_failures_after: timedelta = timedelta(hours=24)
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

    def remembered(self, failures: int, last_failure: datetime | None, now: datetime) -> int:
        """The failures of an account or a username that still count at ``now``: all of
        them until ``forget_name_failures_after`` passes without another, then none.

        Time is the only thing that forgets. If the owner's successful sign-in reset the
        count, an attacker could fail five times on a name, wait, and fail again: a count
        that had dropped back would mark a real account (an unknown name has no owner to
        sign in), and the lockout would again tell which usernames exist."""
        if last_failure is not None and now - last_failure >= self.forget_name_failures_after:
            return 0
        return failures

    def is_hard_lock(self, failures: int) -> bool:
        """True when the account needs an operator to unlock it."""
        return failures >= self.hard_lock_after


class DenialFolding:
    """A per-subject budget of recorded denials: the first ``per_minute`` denials of a
    subject in a clock minute are recorded one by one; the rest are counted and folded
    into the next recorded denial (its ``folded`` count), so a flood of refused requests
    costs few ledger writes and loses no count. Thread-safe; time is passed in."""

    def __init__(self, per_minute: int = 10, *, max_subjects: int = 10_000) -> None:
        self.per_minute = per_minute
        self._max_subjects = max_subjects
        self._lock = threading.Lock()
        # subject -> (minute, recorded in that minute, folded since the last record)
        self._seen: dict[str, tuple[int, int, int]] = {}

    def admit(self, subject: str, now: datetime) -> int | None:
        """None: count this denial without recording it. Else record it, carrying the
        returned number of earlier denials folded into it."""
        minute = int(now.timestamp() // 60)
        with self._lock:
            last_minute, recorded, folded = self._seen.get(subject, (minute, 0, 0))
            if last_minute != minute:
                recorded = 0
            if recorded >= self.per_minute:
                self._seen[subject] = (minute, recorded, folded + 1)
                return None
            self._seen[subject] = (minute, recorded + 1, 0)
            if len(self._seen) > self._max_subjects:
                self._forget_before(minute)
            return folded

    def _forget_before(self, minute: int) -> None:
        # Subjects idle since an earlier minute with nothing folded hold no state worth
        # keeping; a subject with folded denials is kept until a record carries them.
        for subject in [s for s, (m, _, f) in self._seen.items() if m < minute and not f]:
            del self._seen[subject]
