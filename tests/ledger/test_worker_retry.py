"""The ledger worker never loses a run: a failed run (SQLite busy, database down) is
retried soon with backoff, not left until the next period."""

from __future__ import annotations

import time

from caveat.bootstrap.container import Node
from caveat.domain.errors import ServiceUnavailable
from caveat.services.ledger._service import Integration, LedgerService
from caveat.services.ledger._worker import LedgerWorker


class BusyAtFirst:
    """The node's real ledger, whose first ``failures`` integrations find the database
    locked (as SQLite answers a writer that waited out its busy timeout)."""

    def __init__(self, ledger: LedgerService, failures: int) -> None:
        self._ledger = ledger
        self.failures = failures
        self.calls = 0

    def pending(self) -> int:
        return self._ledger.pending()

    def publish_if_due(self) -> object:
        return self._ledger.publish_if_due()

    def integrate(self) -> Integration:
        self.calls += 1
        if self.calls <= self.failures:
            raise ServiceUnavailable("database is locked", code="database_unavailable")
        return self._ledger.integrate()


def test_a_busy_database_delays_integration_by_backoff_not_by_a_period(node: Node) -> None:
    assert node.ledger.pending() > 0  # init wrote events
    busy = BusyAtFirst(node.ledger, failures=3)
    worker = LedgerWorker(ledger=busy, monitoring=node.monitoring, period=60)  # type: ignore[arg-type]
    worker.start()
    try:
        worker.nudge()
        deadline = time.monotonic() + 10
        while node.ledger.pending() and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        worker.stop()
    assert busy.calls == 4  # three refusals, then the run that integrated
    assert node.ledger.pending() == 0  # long before the 60 s period
