"""Background workers that run for as long as the app serves (router lifespans)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

from fastapi import FastAPI


class Worker(Protocol):
    def start(self) -> None: ...
    def stop(self) -> None: ...


def while_serving(
    worker_of: Callable[[FastAPI], Worker],
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """A lifespan that starts the node's worker ``worker_of(app)`` and stops it at the end."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        worker = worker_of(app)
        worker.start()
        try:
            yield
        finally:
            worker.stop()

    return lifespan
