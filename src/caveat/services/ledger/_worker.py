"""The background ledger worker of an API process: integrate, checkpoint, monitor.

Every worker process of a node runs one; they take turns through the sequencer lock,
so running several is safe. A commit anywhere in the process nudges it (a cheap
after-commit hook); otherwise it wakes every ``period`` seconds.
"""

from __future__ import annotations

import threading

import structlog

from caveat.domain.errors import CaveatError
from caveat.services.kernel.uow import CallContext
from caveat.services.ledger._monitoring import MonitoringService
from caveat.services.ledger._service import LedgerService

log = structlog.get_logger("caveat.ledger")

RETRY_FIRST_S = 0.05  # the first retry after a failed run; doubles up to the period


class LedgerWorker:
    """Runs the sequencer, scheduled checkpoints and monitoring off the request path."""

    def __init__(
        self, *, ledger: LedgerService, monitoring: MonitoringService, period: float
    ) -> None:
        self._ledger = ledger
        self._monitoring = monitoring
        self._period = period
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def nudge(self) -> None:
        """Ask for a run soon (called after commits; costs one flag set)."""
        self._wake.set()

    def run_once(self) -> None:
        """Integrate pending events and publish a checkpoint when due, then monitor.

        Each step looks first with a plain read, so an idle node takes no write lock.
        """
        if self._ledger.pending():
            self._ledger.integrate()
        else:
            self._ledger.publish_if_due()
        if self._monitoring.behind():
            self._monitoring.scan(CallContext(request_id="ledger-worker"))

    def _loop(self) -> None:
        failures = 0
        while not self._stop.is_set():
            if failures:
                # A failed run (the database busy or down) is retried soon, backing off
                # to the period: pending events are never left for a whole period.
                self._stop.wait(min(self._period, RETRY_FIRST_S * 2 ** min(failures - 1, 8)))
            else:
                self._wake.wait(self._period)
            if self._stop.is_set():
                break
            try:
                self.run_once()
                failures = 0
            except CaveatError as exc:  # the database is busy or down
                failures += 1
                log.warning(
                    "ledger worker run failed; retrying",
                    code=exc.code,
                    detail=exc.detail,
                    failures=failures,
                )
            except Exception:
                failures += 1
                log.exception("ledger worker crashed a run; retrying", failures=failures)
            if not failures:
                # Cleared after a good run: its own commits must not wake it again at once.
                self._wake.clear()

    def start(self) -> None:
        """Start the thread (no-op when the period is 0 or it already runs)."""
        if self._period <= 0 or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._loop, name="caveat-ledger", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread and wait for the current run to finish."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
