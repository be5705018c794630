"""What the programme and visit pages share: form errors, dates, redirects, lookups."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse

from caveat.api.problems import STATUS
from caveat.domain.errors import CaveatError, ErrorKind, InvalidInput
from caveat.domain.identity import Person, Role
from caveat.services.registry import Organisation
from caveat.web.session import node_of

MANAGERS = frozenset({Role.PROGRAMME_MANAGER})  # ProgrammeService: creating and running
# Errors the person can fix in the form; the rest (denied, throttled...) get the error page.
FORM_ERRORS = frozenset({ErrorKind.INVALID, ErrorKind.CONFLICT, ErrorKind.NOT_FOUND})
_DAYS = {
    "on": "the date",
    "starts_on": "the first day",
    "ends_on": "the last day",
    "until": "the last day",
}


def form_error(exc: CaveatError) -> tuple[str, int]:
    """The message and status of an error to show in its form; other errors are raised."""
    if exc.kind not in FORM_ERRORS:
        raise exc
    hint = f" — {exc.hint}" if exc.hint else ""
    return f"{exc.detail}{hint}", STATUS[exc.kind]


def parse_day(value: str, name: str) -> date:
    """A YYYY-MM-DD form field; InvalidInput naming the field otherwise."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        what = _DAYS.get(name, name)
        raise InvalidInput(f"{what} must be a date (YYYY-MM-DD)", field=name) from None


def done(href: str, message: str) -> RedirectResponse:
    """Back to ``href`` after a change, with the message shown as a flash."""
    return RedirectResponse(f"{href}?done={quote(message)}", status_code=303)


def organisations(request: Request) -> dict[str, Organisation]:
    """Every organisation by id."""
    return {o.id: o for o in node_of(request).registry.list_organisations()}


def people(request: Request) -> dict[str, Person]:
    """Every account by id (names and organisations to show)."""
    return {p.id: p for p in node_of(request).people.list_people()}
