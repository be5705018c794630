"""The HTTP peer for benchmarks/content.py: the same uvicorn serving a static file and a
sink that writes an uploaded body to a file and fsyncs it (no crypto, no database)."""

from __future__ import annotations

import os

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

SOURCE = os.environ.get("CAVEAT_PEER_FILE", "")
SINK = os.environ.get("CAVEAT_PEER_SINK", "")


async def static(request: Request) -> Response:
    return FileResponse(SOURCE)


async def sink(request: Request) -> Response:
    received = 0
    fd = os.open(SINK, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        async for chunk in request.stream():
            os.write(fd, chunk)
            received += len(chunk)
        os.fsync(fd)
    finally:
        os.close(fd)
    return PlainTextResponse(str(received))


app = Starlette(routes=[Route("/static", static), Route("/sink", sink, methods=["PUT"])])
