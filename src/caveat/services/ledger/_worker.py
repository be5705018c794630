"""The background ledger worker of an API process: integrate, checkpoint, monitor.

Every worker process of a node runs one; they take turns through the sequencer lock,
so running several is safe. A commit anywhere in the process nudges it (a cheap
after-commit hook); otherwise it wakes every ``period`` seconds.
"""

from __future__ import annotations

from caveat.services.kernel.periodic import PeriodicWorker
from caveat.services.kernel.uow import CallContext
from caveat.services.ledger._monitoring import MonitoringService
from caveat.services.ledger._service import LedgerService


class LedgerWorker(PeriodicWorker):
    """Runs the sequencer, scheduled checkpoints and monitoring off the request path."""

    def __init__(
        self, *, ledger: LedgerService, monitoring: MonitoringService, period: float
    ) -> None:
        super().__init__(name="ledger", period=period, run_once=self.run_once)
        self._ledger = ledger
        self._monitoring = monitoring

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
