"""A background thread that runs one job every ``period`` seconds, or soon after a
nudge, and retries a failed run quickly, backing off to the period (the ledger worker,
the federation sync)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import structlog

from caveat.domain.errors import CaveatError

RETRY_FIRST_S = 0.05  # the first retry after a failed run; doubles up to the period


class PeriodicWorker:
    """Runs ``run_once`` on a daemon thread named ``name``."""

    def __init__(self, *, name: str, period: float, run_once: Callable[[], object]) -> None:
        self._name = name
        self._period = period
        self._run_once = run_once
        self._log = structlog.get_logger(f"caveat.{name}")
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def name(self) -> str:
        """The job's name (its thread is ``caveat-<name>``)."""
        return self._name

    @property
    def period(self) -> float:
        """Seconds between runs; 0: the worker is off and ``start`` does nothing."""
        return self._period

    @property
    def running(self) -> bool:
        """Whether its thread runs."""
        return self._thread is not None and self._thread.is_alive()

    def run_now(self) -> object:
        """One run in the calling thread (``caveat worker --once``)."""
        return self._run_once()

    def nudge(self) -> None:
        """Ask for a run soon (called after commits; costs one flag set)."""
        self._wake.set()

    def _loop(self) -> None:
        failures = 0
        while not self._stop.is_set():
            if failures:
                # A failed run (the database busy or down) is retried soon, backing off
                # to the period: work is never left for a whole period.
                self._stop.wait(min(self._period, RETRY_FIRST_S * 2 ** min(failures - 1, 8)))
            else:
                self._wake.wait(self._period)
            if self._stop.is_set():
                break
            try:
                self._run_once()
                failures = 0
            except CaveatError as exc:  # the database is busy or down
                failures += 1
                self._log.warning(
                    f"{self._name} run failed; retrying",
                    code=exc.code,
                    detail=exc.detail,
                    failures=failures,
                )
            except Exception:
                failures += 1
                self._log.exception(f"{self._name} crashed a run; retrying", failures=failures)
            if not failures:
                # Cleared after a good run: its own commits must not wake it again at once.
                self._wake.clear()

    def start(self) -> None:
        """Start the thread (no-op when the period is 0 or it already runs)."""
        if self._period <= 0 or self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name=f"caveat-{self._name}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread and wait for the current run to finish."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
