"""The acting subject of a service call, as established by authentication."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from caveat.domain.errors import PermissionDenied
from caveat.domain.events import Actor, ActorKind
from caveat.domain.identity import Clearance, Person, Role
from caveat.domain.permissions import Scope  # what an API token may do; sessions hold all

__all__ = ["ALL_SCOPES", "Acting", "ConsoleOperator", "Principal", "Scope"]

ALL_SCOPES = frozenset(Scope)


@dataclass(frozen=True, slots=True)
class Principal:
    """A signed-in person and how they proved it (session with MFA time, or API token)."""

    person: Person  # the account as it stood when the credential was checked
    mfa_at: datetime | None
    session_id: str | None = None
    token_id: str | None = None
    scopes: frozenset[Scope] = ALL_SCOPES

    @property
    def person_id(self) -> str:
        return self.person.id

    @property
    def username(self) -> str:
        return self.person.username

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(self.person.roles)

    @property
    def citizenships(self) -> tuple[str, ...]:
        return self.person.citizenships

    @property
    def residencies(self) -> tuple[str, ...]:
        return self.person.residencies

    @property
    def clearance(self) -> Clearance | None:
        return self.person.clearance

    @property
    def organisation_nation(self) -> str:
        return self.person.organisation_nation

    @property
    def must_change_password(self) -> bool:
        return self.person.must_change_password

    def actor(self) -> Actor:
        """This principal as the actor of an event."""
        return Actor(ActorKind.PERSON, self.person_id, self.username)

    def require_scope(self, scope: Scope) -> None:
        """Raise PermissionDenied unless the credential carries ``scope``."""
        if scope not in self.scopes:
            raise PermissionDenied(
                f"this API token lacks the {scope.value!r} scope",
                code="scope_missing",
                hint=f"create a token with --scope {scope.value}",
            )

    def require_role(self, roles: Iterable[Role], *, action: str) -> None:
        """Raise PermissionDenied unless the principal holds one of ``roles``."""
        wanted = frozenset(roles)
        if not wanted & self.roles:
            names = ", ".join(sorted(r.value for r in wanted))
            raise PermissionDenied(
                f"{action} needs the role {names}",
                code="role_missing",
                data={"required_roles": sorted(r.value for r in wanted)},
            )


@dataclass(frozen=True, slots=True)
class ConsoleOperator:
    """Someone at the node's own console (the CLI with the data directory).

    Holding the data directory already means holding the node's keys, so the console
    may administer accounts; it never reads labelled content on anyone's behalf.
    """

    name: str = "console"

    def actor(self) -> Actor:
        """The console as the actor of an event."""
        return Actor(ActorKind.SYSTEM, None, self.name)


Acting = Principal | ConsoleOperator
