"""``client.account``: sign in and out, the signed-in person, password, API tokens.

The types mirror the API's ``SessionOut``, ``PersonOut``, ``TokenOut`` and
``IssuedTokenOut``, parsed from the JSON the API documents.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from caveat.client._parse import parse, parse_list

if TYPE_CHECKING:
    from caveat.client import CaveatClient


@dataclass(frozen=True, slots=True)
class Clearance:
    level: int
    level_name: str
    national_name: str
    granting_nation: str
    expires: str


@dataclass(frozen=True, slots=True)
class Person:
    """A person's account as the API shows it."""

    id: str
    username: str
    display_name: str
    email: str
    organisation_id: str
    organisation_name: str
    organisation_nation: str
    status: str
    roles: tuple[str, ...]
    citizenships: tuple[str, ...]
    residencies: tuple[str, ...]
    clearance: Clearance | None
    mfa_enrolled_at: str
    locked: bool
    must_change_password: bool


@dataclass(frozen=True, slots=True)
class Session:
    """A signed-in session; ``token`` is its bearer token (shown once)."""

    token: str
    session_id: str
    expires_at: str
    idle_timeout_seconds: int
    must_change_password: bool
    person: Person


@dataclass(frozen=True, slots=True)
class Token:
    """An API token (never its secret)."""

    id: str
    name: str
    scopes: tuple[str, ...]
    created_at: str
    expires_at: str
    revoked_at: str | None
    last_used_at: str | None


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A new API token and its secret (shown once)."""

    token: Token
    secret: str


class Account:
    """The signed-in person's own account."""

    def __init__(self, client: CaveatClient) -> None:
        self._client = client

    def login(self, username: str, password: str, otp: str) -> Session:
        """Sign in; later calls use the new session token."""
        return parse(Session, self._client.login(username, password, otp))

    def logout(self) -> None:
        """End the current session."""
        self._client.logout()

    def step_up(self, otp: str) -> str:
        """Prove the second factor again; when it was proved (ISO 8601)."""
        return str(self._client.step_up(otp)["mfa_at"])

    def me(self) -> Person:
        """The signed-in person."""
        return parse(Person, self._client.me())

    def change_password(self, current: str, new: str) -> None:
        """Change the signed-in person's password."""
        self._client.change_password(current, new)

    def tokens(self) -> list[Token]:
        """The signed-in person's API tokens."""
        return parse_list(Token, self._client.tokens())

    def create_token(self, name: str, scopes: Sequence[str], days: int = 30) -> IssuedToken:
        """Issue an API token (its secret in the answer, once)."""
        return parse(IssuedToken, self._client.create_token(name, list(scopes), days))

    def revoke_token(self, token_id: str) -> Token:
        """Revoke an API token."""
        return parse(Token, self._client.revoke_token(token_id))
