"""Structured logs (JSON lines on stderr) that never carry secrets.

Call sites log only ids, names and outcomes; the redaction step is the second
line of defence that blanks any field whose name suggests a secret.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

_SECRET_KEY = re.compile(
    r"pass|token|secret|otp|recovery|cookie|authorization|private|_key$", re.IGNORECASE
)
_ALLOWED = {"token_id"}  # an id names a token without revealing it


def redact(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Blank values of fields named like secrets."""
    for name in list(event):
        if name not in _ALLOWED and _SECRET_KEY.search(name):
            event[name] = "[redacted]"
    return event


class _StderrLogger:
    """Writes each line to whatever ``sys.stderr`` is at that moment (redirects follow)."""

    def __init__(self, *_: Any) -> None:
        pass

    def msg(self, message: str) -> None:
        sys.stderr.write(message + "\n")
        sys.stderr.flush()

    log = debug = info = warning = warn = error = critical = exception = fatal = msg


def configure_logging(*, json: bool = True, level: str = "INFO") -> None:
    """Configure structlog and the standard library to write one JSON object per line."""
    renderer: Any = structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            redact,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=_StderrLogger,
        cache_logger_on_first_use=True,
    )
    logging.basicConfig(stream=sys.stderr, level=level, format="%(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)  # schema checks are not news
