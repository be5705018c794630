"""Python client for a Caveat node's REST API (used by the CLI and by tests).

Errors come back as the same typed errors the server raised, rebuilt from the
problem+json body, so callers switch on ``code`` exactly as on the server.
"""

from __future__ import annotations

from typing import Any

import httpx

from caveat.domain.errors import (
    AuthenticationFailed,
    CaveatError,
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    ServiceUnavailable,
    Throttled,
)

_BY_STATUS: dict[int, type[CaveatError]] = {
    400: InvalidInput,
    401: AuthenticationFailed,
    403: PermissionDenied,
    404: NotFound,
    409: Conflict,
    415: InvalidInput,
    422: InvalidInput,
    429: Throttled,
    503: ServiceUnavailable,
}


class RemoteError(CaveatError):
    """Raised for a server error that has no more specific type (5xx)."""

    code = "remote_error"


def _error(response: httpx.Response) -> CaveatError:
    try:
        body: dict[str, Any] = response.json()
    except ValueError:
        body = {}
    cls = _BY_STATUS.get(response.status_code, RemoteError)
    extra = {k: v for k, v in body.items() if k in ("errors", "retry_after", "request_id")}
    return cls(
        str(body.get("detail") or f"HTTP {response.status_code}"),
        code=str(body.get("code") or cls.code),
        field=body.get("field"),
        hint=body.get("hint"),
        data=extra,
    )


class CaveatClient:
    """A thin client: one method per endpoint, JSON in and out."""

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 30.0,
        http: httpx.Client | None = None,
    ) -> None:
        # ``http`` lets tests hand in an in-process client (Starlette's TestClient).
        self._http = http or httpx.Client(base_url=base_url, transport=transport, timeout=timeout)
        if token:
            self.use_token(token)

    def __enter__(self) -> CaveatClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def use_token(self, token: str) -> None:
        """Authenticate later requests with ``token``."""
        self._http.headers["Authorization"] = f"Bearer {token}"

    def _call(
        self, method: str, path: str, *, json: Any = None, params: dict[str, Any] | None = None
    ) -> Any:
        try:
            response = self._http.request(method, path, json=json, params=params)
        except httpx.TransportError as exc:
            raise ServiceUnavailable(
                f"cannot reach the Caveat server at {self._http.base_url}",
                code="server_unreachable",
                hint="check the URL and that `caveat serve` is running",
            ) from exc
        if response.status_code >= 400:
            raise _error(response)
        return None if response.status_code == 204 else response.json()

    # health
    def health(self) -> dict[str, Any]:
        """GET /healthz."""
        return dict(self._call("GET", "/healthz"))

    def ready(self) -> dict[str, Any]:
        """GET /readyz."""
        return dict(self._call("GET", "/readyz"))

    # authentication
    def login(self, username: str, password: str, otp: str) -> dict[str, Any]:
        """Sign in; on success later calls use the new session token."""
        session: dict[str, Any] = self._call(
            "POST",
            "/api/v1/auth/login",
            json={"username": username, "password": password, "otp": otp},
        )
        self.use_token(session["token"])
        return session

    def logout(self) -> None:
        """End the current session."""
        self._call("POST", "/api/v1/auth/logout")

    def revoke_all_sessions(self) -> dict[str, Any]:
        """End every session of the signed-in person."""
        return dict(self._call("POST", "/api/v1/auth/sessions/revoke-all"))

    def me(self) -> dict[str, Any]:
        """The signed-in person."""
        return dict(self._call("GET", "/api/v1/me"))

    def change_password(self, current: str, new: str) -> None:
        """Change the signed-in person's password."""
        self._call(
            "POST", "/api/v1/me/password", json={"current_password": current, "new_password": new}
        )

    def begin_totp_enrolment(self) -> dict[str, Any]:
        """Start moving to a new authenticator."""
        return dict(self._call("POST", "/api/v1/me/mfa/totp/enrolment"))

    def confirm_totp_enrolment(self, ticket: str, code: str) -> None:
        """Confirm a new authenticator."""
        self._call("POST", "/api/v1/me/mfa/totp/confirm", json={"ticket": ticket, "code": code})

    def new_recovery_codes(self) -> list[str]:
        """Replace the recovery codes."""
        return list(self._call("POST", "/api/v1/me/mfa/recovery-codes")["codes"])

    def create_token(
        self, name: str, scopes: list[str], expires_in_days: int = 30
    ) -> dict[str, Any]:
        """Issue an API token (its secret is in the result, once)."""
        return dict(
            self._call(
                "POST",
                "/api/v1/me/tokens",
                json={"name": name, "scopes": scopes, "expires_in_days": expires_in_days},
            )
        )

    def tokens(self) -> list[dict[str, Any]]:
        """The signed-in person's API tokens."""
        return list(self._call("GET", "/api/v1/me/tokens"))

    def revoke_token(self, token_id: str) -> dict[str, Any]:
        """Revoke an API token."""
        return dict(self._call("DELETE", f"/api/v1/me/tokens/{token_id}"))

    # registry
    def nations(self) -> list[dict[str, Any]]:
        """Every ISO alpha-3 nation."""
        return list(self._call("GET", "/api/v1/nations"))

    def groups(self, on: str | None = None) -> list[dict[str, Any]]:
        """Every group, members on ``on`` (ISO date)."""
        return list(self._call("GET", "/api/v1/groups", params={"on": on} if on else None))

    def create_group(
        self, code: str, name: str, members: list[str], **extra: Any
    ) -> dict[str, Any]:
        """Create a custom group."""
        return dict(
            self._call(
                "POST",
                "/api/v1/groups",
                json={"code": code, "name": name, "members": members, **extra},
            )
        )

    def organisations(self) -> list[dict[str, Any]]:
        """Every organisation."""
        return list(self._call("GET", "/api/v1/organisations"))

    def create_organisation(
        self, name: str, nation: str, kind: str, short_name: str | None = None
    ) -> dict[str, Any]:
        """Register an organisation."""
        return dict(
            self._call(
                "POST",
                "/api/v1/organisations",
                json={"name": name, "nation": nation, "kind": kind, "short_name": short_name},
            )
        )

    # people
    def people(self) -> list[dict[str, Any]]:
        """Every account."""
        return list(self._call("GET", "/api/v1/people"))

    def person(self, ref: str) -> dict[str, Any]:
        """One account."""
        return dict(self._call("GET", f"/api/v1/people/{ref}"))

    def create_person(self, **fields: Any) -> dict[str, Any]:
        """Create an account (fields as in PersonIn)."""
        return dict(self._call("POST", "/api/v1/people", json=fields))

    def suspend(self, ref: str) -> dict[str, Any]:
        """Suspend an account."""
        return dict(self._call("POST", f"/api/v1/people/{ref}/suspend"))

    def reactivate(self, ref: str) -> dict[str, Any]:
        """Reactivate an account."""
        return dict(self._call("POST", f"/api/v1/people/{ref}/reactivate"))

    def unlock(self, ref: str) -> dict[str, Any]:
        """Lift a login lockout."""
        return dict(self._call("POST", f"/api/v1/people/{ref}/unlock"))

    def reset_mfa(self, ref: str) -> dict[str, Any]:
        """Issue a new TOTP seed and recovery codes."""
        return dict(self._call("POST", f"/api/v1/people/{ref}/reset-mfa"))

    def unlock_address(self, address: str) -> dict[str, Any]:
        """Lift the sign-in throttle on a client address."""
        return dict(self._call("DELETE", f"/api/v1/throttle/addresses/{address}"))
