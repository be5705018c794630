"""Embargoes as dated, sourced data per imposing jurisdiction and regime, and the
database-backed ``Embargoes`` source of requirement 9.

Caveat ships no embargo data: operators load it (``caveat embargo add`` or
``caveat embargo load FILE``) from the official sources they follow, citing each one.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from caveat.adapters.db.models.compliance import EmbargoRow
from caveat.domain.compliance import require_dates, require_reason
from caveat.domain.errors import Conflict, InvalidInput, NotFound
from caveat.domain.nations import require_nation
from caveat.domain.permissions import Act
from caveat.domain.policy import EmbargoTerms
from caveat.domain.screening import ScreeningFormatError
from caveat.services.kernel.authorize import authorize
from caveat.services.kernel.principal import Acting
from caveat.services.kernel.records import new_id, require_text
from caveat.services.kernel.uow import CallContext, UnitOfWork, UnitOfWorkFactory

FILE_COLUMNS = ("imposed_by", "nation", "regime", "valid_from", "valid_to", "source")


@dataclass(frozen=True, slots=True)
class EmbargoDraft:
    """An embargo as an operator records it."""

    imposed_by: str  # a nation or "EU"
    nation: str
    valid_from: date
    valid_to: date | None
    source: str  # citation: instrument, article, URL
    regime: str = ""  # e.g. "arms", "ITAR 126.1", "EU 2014/512"


@dataclass(frozen=True, slots=True)
class Embargo:
    """An embargo as services hand it out."""

    id: str
    imposed_by: str
    nation: str
    regime: str
    valid_from: date
    valid_to: date | None
    source: str
    created_at: datetime


def _view(row: EmbargoRow) -> Embargo:
    return Embargo(
        row.id,
        row.imposed_by,
        row.nation,
        row.regime,
        row.valid_from,
        row.valid_to,
        row.source,
        row.created_at,
    )


def _check(draft: EmbargoDraft) -> EmbargoDraft:
    if draft.imposed_by != "EU":
        require_nation(draft.imposed_by, field="imposed_by")
    require_nation(draft.nation)
    if draft.imposed_by == draft.nation:
        raise InvalidInput(
            "a jurisdiction does not embargo itself", code="invalid_embargo", field="nation"
        )
    require_dates(draft.valid_from, draft.valid_to, what="embargo")
    return EmbargoDraft(
        draft.imposed_by,
        draft.nation,
        draft.valid_from,
        draft.valid_to,
        require_text(draft.source, field="source", low=3, high=2000),
        draft.regime.strip()[:40],
    )


class EmbargoService:
    """Record, load, lift and list embargoes (export control officers, node operators)."""

    def __init__(self, *, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def add(self, by: Acting, ctx: CallContext, draft: EmbargoDraft) -> Embargo:
        """Record one embargo."""
        authorize(by, Act.EMBARGO_WRITE)
        draft = _check(draft)
        with self._uow(ctx) as uow:
            return self._add(uow, by, draft)

    def load(self, by: Acting, ctx: CallContext, text: str) -> list[Embargo]:
        """Record every embargo of a CSV file (``FILE_COLUMNS``), all or nothing."""
        authorize(by, Act.EMBARGO_WRITE)
        drafts = parse_embargo_csv(text)
        with self._uow(ctx) as uow:
            return [self._add(uow, by, d) for d in drafts]

    def lift(self, by: Acting, ctx: CallContext, ref: str, *, on: date, reason: str) -> Embargo:
        """End an embargo on ``on`` (its last day)."""
        authorize(by, Act.EMBARGO_WRITE)
        reason = require_reason(reason)
        with self._uow(ctx) as uow:
            row = uow.session.get(EmbargoRow, ref)
            if row is None:
                raise NotFound(f"no embargo {ref!r}", code="unknown_embargo")
            if on < row.valid_from:
                raise InvalidInput(
                    f"the embargo starts on {row.valid_from}; it cannot end on {on}",
                    code="invalid_dates",
                    field="on",
                )
            if row.valid_to is not None and row.valid_to <= on:
                raise Conflict(
                    f"the embargo already ends on {row.valid_to}", code="embargo_already_ended"
                )
            row.valid_to = on
            uow.record(
                "embargo.lifted",
                by.actor(),
                target_id=row.id,
                data={"valid_to": on.isoformat(), "reason": reason},
            )
            return _view(row)

    def list_embargoes(self, by: Acting) -> list[Embargo]:
        """Every embargo, by nation and start."""
        authorize(by, Act.EMBARGO_READ)
        with self._uow.read() as session:
            rows = session.scalars(
                select(EmbargoRow).order_by(
                    EmbargoRow.nation, EmbargoRow.imposed_by, EmbargoRow.valid_from
                )
            ).all()
            return [_view(r) for r in rows]

    def _add(self, uow: UnitOfWork, by: Acting, draft: EmbargoDraft) -> Embargo:
        clash = uow.session.scalars(
            select(EmbargoRow).where(
                EmbargoRow.imposed_by == draft.imposed_by,
                EmbargoRow.nation == draft.nation,
                EmbargoRow.regime == draft.regime,
            )
        ).all()
        for other in clash:
            if (draft.valid_to is None or other.valid_from <= draft.valid_to) and (
                other.valid_to is None or draft.valid_from <= other.valid_to
            ):
                raise Conflict(
                    f"{draft.imposed_by} already embargoes {draft.nation} "
                    f"({draft.regime or 'all'}) "
                    f"from {other.valid_from} to {other.valid_to or 'open end'}",
                    code="overlapping_embargo",
                    data={"embargo_id": other.id},
                )
        row = EmbargoRow(
            id=new_id(),
            imposed_by=draft.imposed_by,
            nation=draft.nation,
            regime=draft.regime,
            valid_from=draft.valid_from,
            valid_to=draft.valid_to,
            source=draft.source,
            created_at=uow.now,
        )
        uow.session.add(row)
        uow.session.flush()
        uow.record(
            "embargo.recorded",
            by.actor(),
            target_id=row.id,
            data={
                "imposed_by": row.imposed_by,
                "nation": row.nation,
                "regime": row.regime,
                "valid_from": row.valid_from.isoformat(),
                "valid_to": None if row.valid_to is None else row.valid_to.isoformat(),
                "source": row.source,
            },
        )
        return _view(row)


def _date(value: str, line: int, column: int) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ScreeningFormatError(
            f"{value!r} is not a date (YYYY-MM-DD)", line=line, column=column
        ) from None


def parse_embargo_csv(text: str) -> list[EmbargoDraft]:
    """Embargo rows of a CSV with the header ``FILE_COLUMNS``; errors name line and column."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), strict=True)
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise ScreeningFormatError(f"not valid CSV ({exc})", line=reader.line_num) from None
    if not rows or tuple(c.strip() for c in rows[0]) != FILE_COLUMNS:
        raise ScreeningFormatError("the header must be " + ",".join(FILE_COLUMNS), line=1, column=1)
    drafts = []
    for line, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        if len(row) != len(FILE_COLUMNS):
            raise ScreeningFormatError(
                f"{len(row)} columns, expected {len(FILE_COLUMNS)}", line=line, column=len(row)
            )
        imposed, nation, regime, start, end, source = (c.strip() for c in row)
        try:
            drafts.append(
                _check(
                    EmbargoDraft(
                        imposed,
                        nation,
                        _date(start, line, 4),
                        _date(end, line, 5) if end else None,
                        source,
                        regime,
                    )
                )
            )
        except ScreeningFormatError:
            raise
        except InvalidInput as exc:
            column = FILE_COLUMNS.index(exc.field) + 1 if exc.field in FILE_COLUMNS else None
            raise ScreeningFormatError(exc.detail, line=line, column=column) from None
    return drafts


def embargoes_in_force(
    session: Session, *, nations: frozenset[str], on: date
) -> list[EmbargoTerms]:
    """Embargoes in force on ``on`` against any of ``nations``."""
    if not nations:
        return []
    rows = session.scalars(
        select(EmbargoRow)
        .where(
            EmbargoRow.nation.in_(sorted(nations)),
            EmbargoRow.valid_from <= on,
            or_(EmbargoRow.valid_to.is_(None), EmbargoRow.valid_to >= on),
        )
        .order_by(EmbargoRow.id)
    ).all()
    return [EmbargoTerms(r.id, r.imposed_by, r.nation, r.source) for r in rows]


class DbEmbargoes:
    """Requirement 9's source, read from the database on every decision."""

    def __init__(self, *, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def in_force(self, *, nations: frozenset[str], on: date) -> Sequence[EmbargoTerms]:
        with self._uow.read() as session:
            # Within a shared read (a page of decisions, one snapshot) each question is
            # asked of the database once; a read of its own is a new session each time.
            asked = session.info.setdefault("embargoes_in_force", {})
            if (nations, on) not in asked:
                asked[nations, on] = tuple(embargoes_in_force(session, nations=nations, on=on))
            answer: tuple[EmbargoTerms, ...] = asked[nations, on]
            return answer
