"""Serving a node: checks before the first request, then uvicorn (used by `serve` and
`demo`)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from caveat.cli import artifacts
from caveat.cli.output import errors, out

if TYPE_CHECKING:
    from caveat.bootstrap.settings import Settings


def run_server(
    settings: Settings,
    *,
    host: str,
    port: int,
    workers: int,
    tls: tuple[Path, Path] | None = None,
) -> None:
    """Check the node opens (schema, keys), sweep crash leftovers once, then serve it
    (over TLS with ``tls`` = certificate chain and private key, both PEM)."""
    import uvicorn

    from caveat.adapters.files import require_private, sqlite_files
    from caveat.bootstrap.container import open_node

    with errors(False):
        if settings.database_url is None:  # the embedded database lives in the data directory
            database = settings.data_dir / "caveat.db"
            require_private(settings.data_dir, sqlite_files(database))
        if tls is not None:
            _require_tls_files(*tls)
        node = open_node(settings)  # refuse to start on a wrong schema, with a clear message
        try:
            artifacts.sweep_at_start(node)
        finally:
            node.close()
    # Workers re-read settings from the environment in caveat.server:create.
    os.environ["CAVEAT_DATA_DIR"] = str(settings.data_dir)
    if settings.database_url is not None:
        os.environ["CAVEAT_DATABASE_URL"] = settings.database_url.get_secret_value()
    if settings.forwarded_allow_ips:
        os.environ["CAVEAT_FORWARDED_ALLOW_IPS"] = json.dumps(settings.forwarded_allow_ips)
    if workers > 1 and settings.resolved_database_url().startswith("sqlite"):
        # Writers of one process take turns in order; between processes SQLite's polling
        # busy handler decides, and under heavy load a writer can wait out its 10 s.
        out.print(
            "[yellow]note:[/] several workers share one SQLite file: under heavy load a few "
            "writes may answer 503 (docs/benchmarks.md, Load); use PostgreSQL for more "
            "than one worker"
        )
    scheme = "https" if tls else "http"
    out.print(f"serving on {scheme}://{host}:{port}  (API docs: {scheme}://{host}:{port}/api/docs)")
    uvicorn.run(
        "caveat.server:create",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,
        proxy_headers=False,
        server_header=False,
        ssl_certfile=None if tls is None else str(tls[0]),
        ssl_keyfile=None if tls is None else str(tls[1]),
    )


def _require_tls_files(certificate: Path, key: Path) -> None:
    """Both files readable PEM, the key private to this account; refused otherwise
    before anything listens."""
    from caveat.adapters.files import require_private
    from caveat.domain.errors import InvalidInput

    for path, field in ((certificate, "tls_cert"), (key, "tls_key")):
        if not path.is_file():
            raise InvalidInput(f"no file {path}", code="tls_file_missing", field=field)
        if b"-----BEGIN " not in path.read_bytes()[:4096]:
            raise InvalidInput(f"{path} is not PEM", code="tls_file_invalid", field=field)
    require_private(key, [])  # the key only: its directory may be a shared one
