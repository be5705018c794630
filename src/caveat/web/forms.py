"""What the form pages share: a refusal's message and status, the redirect after a
change, date fields, and who-is-who lookups.

A page shows a service's refusal in its form only for the kinds the person can act on;
every other kind is raised again, so the app's handler gives the error page.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, date, datetime, time
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse

from caveat.api.problems import STATUS
from caveat.domain.errors import CaveatError, ErrorKind, InvalidInput
from caveat.domain.identity import Person
from caveat.services.identity import Organisation
from caveat.web.session import node_of

# Integrity and internal failures always get the error page.
PAGE_ERRORS = frozenset(ErrorKind) - {ErrorKind.INTEGRITY, ErrorKind.INTERNAL}
# What a person can fix in the form itself (denied, throttled... get the error page).
FIXABLE = frozenset({ErrorKind.INVALID, ErrorKind.CONFLICT, ErrorKind.NOT_FOUND})
# How the programme and visit forms name their date fields in messages.
_DAYS = {
    "on": "the date",
    "starts_on": "the first day",
    "ends_on": "the last day",
    "until": "the last day",
}


def message(exc: CaveatError, *, field: bool = True) -> str:
    """The service's message for a form: what is wrong, in which field, what to do."""
    where = f" ({exc.field})" if field and exc.field else ""
    hint = f" — {exc.hint}" if exc.hint else ""
    return f"{exc.detail}{where}{hint}"


def page_status(exc: CaveatError, kinds: Collection[ErrorKind] = PAGE_ERRORS) -> int:
    """The HTTP status of a refusal shown in the page; other kinds are raised."""
    if exc.kind not in kinds:
        raise exc
    return STATUS[exc.kind]


def refusal(
    exc: CaveatError, kinds: Collection[ErrorKind] = PAGE_ERRORS, *, field: bool = True
) -> tuple[str, int]:
    """The message and status of a refusal shown in the page; other kinds are raised."""
    status = page_status(exc, kinds)
    return message(exc, field=field), status


def done(href: str, note: str) -> RedirectResponse:
    """Back to ``href`` after a change, with the note shown as a flash."""
    return RedirectResponse(f"{href}?done={quote(note)}", status_code=303)


def parse_date(value: str, name: str, what: str = "") -> date:
    """A YYYY-MM-DD form field; InvalidInput naming the field (or ``what``) otherwise."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{what or name} must be a date (YYYY-MM-DD)", field=name) from None


def optional_date(value: str, name: str, what: str = "") -> date | None:
    """A YYYY-MM-DD form field, or None when it is empty."""
    return parse_date(value, name, what) if value else None


def start_of_day(value: str, name: str) -> datetime | None:
    """Midnight UTC of a YYYY-MM-DD form field, or None when it is empty."""
    day = optional_date(value, name)
    return None if day is None else datetime.combine(day, time(), tzinfo=UTC)


def parse_day(value: str, name: str) -> date:
    """A programme or visit form's date, its field named in words in the message."""
    return parse_date(value, name, _DAYS.get(name, name))


def organisations(request: Request) -> dict[str, Organisation]:
    """Every organisation by id."""
    return {o.id: o for o in node_of(request).registry.list_organisations()}


def people(request: Request) -> dict[str, Person]:
    """Every account by id (names and organisations to show)."""
    return {p.id: p for p in node_of(request).people.list_people()}
