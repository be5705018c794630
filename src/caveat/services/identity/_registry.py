"""Organisations and groups of nations."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from caveat.adapters.db.models import GroupMemberRow, GroupRow, OrganisationRow
from caveat.domain.errors import Conflict, InvalidInput, NotFound
from caveat.domain.groups import (
    Group,
    GroupDirectory,
    Membership,
    builtin_directory,
    validate_group_code,
)
from caveat.domain.identity import OrganisationKind
from caveat.domain.names import clean_name, look_alike
from caveat.domain.nations import require_nation
from caveat.domain.permissions import Act
from caveat.services.kernel.authorize import authorize
from caveat.services.kernel.lookup import by_reference
from caveat.services.kernel.principal import Acting
from caveat.services.kernel.uow import CallContext, UnitOfWork, UnitOfWorkFactory

# Called inside the creating transaction: (unit of work, "person"|"organisation", id, names).
SubjectHook = Callable[[UnitOfWork, str, str, tuple[str, ...]], None]


@dataclass(frozen=True, slots=True)
class Organisation:
    """A partner organisation as the services hand it out."""

    id: str
    name: str
    short_name: str | None
    nation: str
    kind: OrganisationKind


def _organisation(row: OrganisationRow) -> Organisation:
    return Organisation(row.id, row.name, row.short_name, row.nation, OrganisationKind(row.kind))


def _group(row: GroupRow) -> Group:
    return Group(
        code=row.code,
        name=row.name,
        members=tuple(Membership(m.nation, m.valid_from, m.valid_to) for m in row.members),
        source=row.source,
        as_of=None,
        builtin=False,
    )


class RegistryService:
    """Registers organisations and custom groups; lists them with the built-in groups."""

    def __init__(self, *, uow: UnitOfWorkFactory) -> None:
        self._uow = uow
        self._builtin = builtin_directory()
        # Denied-party screening of a new organisation, in its transaction (container wires it).
        self.on_subject_saved: SubjectHook | None = None

    def create_organisation(
        self,
        by: Acting,
        ctx: CallContext,
        *,
        name: str,
        nation: str,
        kind: OrganisationKind,
        short_name: str | None = None,
    ) -> Organisation:
        """Register an organisation of ``nation``; names are unique (node operators: an
        officer would otherwise register a foreign organisation to administer)."""
        authorize(by, Act.ORGANISATION_CREATE)
        name = clean_name(name, field="name", what="an organisation name", shortest=2, longest=200)
        if short_name is not None and short_name.strip():
            short_name = clean_name(
                short_name, field="short_name", what="a short name", shortest=1, longest=40
            )
        else:
            short_name = None
        require_nation(nation)
        with self._uow(ctx) as uow:
            taken = uow.session.execute(
                select(OrganisationRow.name, OrganisationRow.short_name)
            ).all()
            existing = [n for row in taken for n in row if n]
            for field, wanted in (("name", name), ("short_name", short_name)):
                if wanted is None:
                    continue
                clash = look_alike(wanted, existing)
                if clash == wanted:
                    raise Conflict(
                        f"an organisation called {wanted!r} already exists",
                        code="duplicate_organisation",
                        field=field,
                    )
                if clash is not None:
                    raise Conflict(
                        f"{wanted!r} could be mistaken for the organisation {clash!r}",
                        code="confusable_name",
                        field=field,
                        hint="choose a name that reads differently",
                    )
            row = OrganisationRow(
                id=str(uuid.uuid4()),
                name=name,
                short_name=short_name,
                nation=nation,
                kind=kind.value,
                created_at=uow.now,
            )
            uow.session.add(row)
            uow.record(
                "org.created",
                by.actor(),
                target_id=row.id,
                data={"name": name, "nation": nation, "kind": kind.value},
            )
            if self.on_subject_saved is not None:
                self.on_subject_saved(uow, "organisation", row.id, (name, short_name or ""))
            return _organisation(row)

    def list_organisations(self) -> list[Organisation]:
        """Every organisation, by name."""
        with self._uow.read() as session:
            rows = session.scalars(select(OrganisationRow).order_by(OrganisationRow.name))
            return [_organisation(r) for r in rows]

    def get_organisation(self, ref: str) -> Organisation:
        """An organisation by id, exact name or short name."""
        with self._uow.read() as session:
            row = by_reference(
                session, OrganisationRow, ref, OrganisationRow.name, OrganisationRow.short_name
            )
            if row is None:
                raise NotFound(
                    f"no organisation {ref!r}",
                    code="unknown_organisation",
                    hint="list organisations with `caveat org list`",
                )
            return _organisation(row)

    def create_group(
        self,
        by: Acting,
        ctx: CallContext,
        *,
        code: str,
        name: str,
        members: list[str],
        valid_from: date | None = None,
        source: str = "",
    ) -> Group:
        """Create a custom group of nations (for example a programme's partners)."""
        authorize(by, Act.GROUP_CREATE)
        validate_group_code(code)
        if not members:
            raise InvalidInput(
                "a group needs at least one member", code="empty_group", field="members"
            )
        nations = sorted({require_nation(n, field="members") for n in members})
        with self._uow(ctx) as uow:
            if code in self._builtin or uow.session.get(GroupRow, code) is not None:
                raise Conflict(
                    f"a group {code!r} already exists", code="duplicate_group", field="code"
                )
            row = GroupRow(code=code, name=name.strip() or code, source=source, created_at=uow.now)
            row.members = [GroupMemberRow(nation=n, valid_from=valid_from) for n in nations]
            uow.session.add(row)
            uow.record(
                "group.created",
                by.actor(),
                target_id=code,
                data={"name": row.name, "members": nations},
            )
            return _group(row)

    def directory(self) -> GroupDirectory:
        """Built-in and custom groups together, for expanding group codes."""
        with self._uow.read() as session:
            custom = [_group(r) for r in session.scalars(select(GroupRow))]
        return self._builtin.with_groups(custom)
