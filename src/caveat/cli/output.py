"""How the CLI speaks: JSON for scripts, tables for people, exit codes for both."""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from enum import Enum, IntEnum
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from caveat.domain.errors import CaveatError, ErrorKind

out = Console()
err = Console(stderr=True)


class Exit(IntEnum):
    """Exit codes: scripts tell a usage error from a denial from a failure."""

    OK = 0
    FAILURE = 1  # the node or a dependency failed: try again later or call the operator
    USAGE = 2  # the command or its input is wrong: fix the call
    DENIED = 3  # not signed in, not allowed, or throttled
    NOT_FOUND = 4
    CONFLICT = 5  # clashes with existing state (a taken name)


EXIT_BY_KIND: dict[ErrorKind, Exit] = {
    ErrorKind.INVALID: Exit.USAGE,
    ErrorKind.TOO_LARGE: Exit.USAGE,
    ErrorKind.NOT_FOUND: Exit.NOT_FOUND,
    ErrorKind.CONFLICT: Exit.CONFLICT,
    ErrorKind.UNAUTHENTICATED: Exit.DENIED,
    ErrorKind.DENIED: Exit.DENIED,
    ErrorKind.THROTTLED: Exit.DENIED,
    ErrorKind.UNAVAILABLE: Exit.FAILURE,
    ErrorKind.INTEGRITY: Exit.FAILURE,
    ErrorKind.INTERNAL: Exit.FAILURE,
}


# Where a marking breaks a rule (MarkingError, LabelRuleError): kept in --json errors.
_MARKING_DATA = ("rule", "position", "path")


def fail(exc: CaveatError, *, as_json: bool) -> NoReturn:
    """Report ``exc`` as one clear line and a hint (or JSON) and exit with its code. A
    marking error also shows the marking with a caret under the fault (docs/errors.md)."""
    # Imported here: the label package is large, and most commands never fail on a marking.
    from caveat.domain.labels.errors import marking_caret, marking_diagnostics

    code = EXIT_BY_KIND[exc.kind]
    if as_json:
        error: dict[str, Any] = {
            "code": exc.code,
            "detail": exc.detail,
            "field": exc.field,
            "hint": exc.hint,
        }
        error.update({k: exc.data[k] for k in _MARKING_DATA if k in exc.data})
        diagnostics = marking_diagnostics(exc)
        if diagnostics is not None:
            error["diagnostics"] = diagnostics
        sys.stdout.write(json.dumps({"error": error}) + "\n")
    else:
        where = f" ({exc.field})" if exc.field else ""
        err.print(
            f"[bold red]error:[/] {escape(exc.detail)}{where} [dim]\\[{exc.code}][/]",
            highlight=False,
        )
        caret = marking_caret(exc)
        if caret is not None:  # never wrapped: the caret must stay under its character
            err.print(caret, markup=False, highlight=False, soft_wrap=True)
        if exc.hint:
            err.print(f"[yellow]hint:[/] {escape(exc.hint)}", highlight=False)
    raise typer.Exit(int(code))


@contextmanager
def errors(as_json: bool) -> Iterator[None]:
    """Turn typed errors into exit codes; anything else is a bug and shows as one."""
    try:
        yield
    except CaveatError as exc:
        fail(exc, as_json=as_json)


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | frozenset | set):
        items = [_plain(v) for v in value]
        return sorted(items) if isinstance(value, frozenset | set) else items
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def emit_json(value: Any) -> None:
    """Print ``value`` (dataclasses, enums and dates included) as one JSON document."""
    sys.stdout.write(json.dumps(_plain(value), indent=2, ensure_ascii=False) + "\n")


def table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Print a table for people. Cells are plain text: a name, title or reason someone
    typed is never read as Rich markup (``[link=…]`` would otherwise become a link)."""
    from rich.table import Table
    from rich.text import Text

    t = Table(title=title, title_justify="left")
    for column in columns:
        t.add_column(column)
    for row in rows:
        t.add_row(*(Text("" if v is None else str(_plain(v))) for v in row))
    out.print(t)


def show(value: Any, as_json: bool, human: Callable[[], None]) -> None:
    """JSON for scripts, the ``human`` rendering otherwise."""
    if as_json:
        emit_json(value)
    else:
        human()


def say(text: str) -> None:
    """Print one line for people as plain text: names, titles and reasons from a server
    are never read as Rich markup (a ``[link=…]`` in a name would become a link)."""
    out.print(text, markup=False, highlight=False)
