"""The background ledger worker of an API process: integrate, checkpoint, monitor.

Every worker process of a node runs one; they take turns through the sequencer lock,
so running several is safe. A commit anywhere in the process nudges it (a cheap
after-commit hook); otherwise it wakes every ``period`` seconds.
"""

from __future__ import annotations

import threading

import structlog

from caveat.domain.errors import CaveatError
from caveat.services.ledger import LedgerService
from caveat.services.monitoring import MonitoringService
from caveat.services.uow import CallContext

log = structlog.get_logger("caveat.ledger")


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
        while not self._stop.is_set():
            self._wake.wait(self._period)
            if self._stop.is_set():
                break
            try:
                self.run_once()
            except CaveatError as exc:  # the database is down: try again next period
                log.warning("ledger worker failed", code=exc.code, detail=exc.detail)
            except Exception:
                log.exception("ledger worker crashed a run")
            # Cleared after the run: the run's own commits must not wake it again at once.
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
