"""The HTTPS peer for benchmarks/federation.py: the same uvicorn serving, with the same
certificate, the bytes a federation pull carries, as static files (no signature, no
encryption, no database): ``/page/{n}`` the n-th outbox page, ``/content`` the large
package."""

from __future__ import annotations

import os
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

FILES = Path(os.environ.get("CAVEAT_PEER_DIR", "."))


async def page(request: Request) -> Response:
    return FileResponse(FILES / f"page-{int(request.path_params['n'])}")


async def content(request: Request) -> Response:
    return FileResponse(FILES / "content")


async def ready(request: Request) -> Response:
    return Response(b"ok")


app = Starlette(
    routes=[Route("/page/{n:int}", page), Route("/content", content), Route("/readyz", ready)]
)
