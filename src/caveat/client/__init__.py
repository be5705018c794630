"""Python client for a Caveat node's REST API (used by the CLI and by tests).

Errors come back as the same typed errors the server raised, rebuilt from the
problem+json body, so callers switch on ``code`` exactly as on the server.
"""

from __future__ import annotations

import hashlib
import os
import ssl
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

import httpx

from caveat.client.account import Account
from caveat.client.artifacts import Artifacts
from caveat.client.channels import Channels
from caveat.client.discussions import Discussions
from caveat.client.federation import Federation
from caveat.client.plans import Plans
from caveat.client.proficiency import Proficiency
from caveat.client.releases import Releases
from caveat.client.taxii import Taxii
from caveat.client.work import Notifications, Work
from caveat.domain.errors import (
    AuthenticationFailed,
    CaveatError,
    Conflict,
    IntegrityError,
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
    405: InvalidInput,  # the codes HTTP names itself are invalid input (docs/errors.md)
    406: InvalidInput,
    409: Conflict,
    413: InvalidInput,
    415: InvalidInput,
    416: InvalidInput,
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
    # A permission refusal names the action, the failed rule and what the action requires;
    # a marking error the marking as read, where it breaks which rule (for the caret view).
    kept = (
        "errors",
        "retry_after",
        "request_id",
        "action",
        "rule",
        "requires",
        "text",
        "position",
        "path",
        "failed",  # the requirements a refused release to a partner node fails
    )
    extra = {k: v for k, v in body.items() if k in kept}
    return cls(
        str(body.get("detail") or f"HTTP {response.status_code}"),
        code=str(body.get("code") or cls.code),
        field=body.get("field"),
        hint=body.get("hint"),
        data=extra,
    )


class CaveatClient:
    """A thin client: one method per endpoint, JSON in and out; resources split out as
    typed sub-objects (``client.account``, ``client.artifacts``, ``client.releases``) as
    the SDK moves to them (issue 15)."""

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
        if http is None and transport is None and httpx.URL(base_url).scheme == "http":
            # Plain HTTP needs no CA bundle, and loading certifi's costs every CLI command
            # about 20 ms. This context trusts no certificate: TLS through it (there is
            # none: paths are relative and redirects are not followed) would fail closed.
            transport = httpx.HTTPTransport(verify=ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT))
        self._http = http or httpx.Client(base_url=base_url, transport=transport, timeout=timeout)
        self.account = Account(self)
        self.artifacts = Artifacts(self)
        self.releases = Releases(self)
        self.federation = Federation(self)
        self.taxii = Taxii(self)
        self.proficiency = Proficiency(self)
        self.discussions = Discussions(self)
        self.plans = Plans(self)
        self.channels = Channels(self)
        self.work = Work(self)
        self.notifications = Notifications(self)
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
        response = self._send(method, path, json=json, params=params)
        if response.status_code >= 400:
            raise _error(response)
        return None if response.status_code == 204 else response.json()

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One request; an unreachable server is ``server_unreachable``."""
        try:
            return self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise ServiceUnavailable(
                f"cannot reach the Caveat server at {self._http.base_url}",
                code="server_unreachable",
                hint="check the URL and that `caveat serve` is running",
            ) from exc

    @staticmethod
    def _taxii_error(response: httpx.Response) -> CaveatError:
        """The typed error of a TAXII error message (its ``error_code`` is Caveat's)."""
        try:
            body: dict[str, Any] = response.json()
        except ValueError:
            body = {}
        cls = _BY_STATUS.get(response.status_code, RemoteError)
        found = body.get("details")
        details: dict[str, Any] = found if isinstance(found, dict) else {}
        return cls(
            str(body.get("description") or f"HTTP {response.status_code}"),
            code=str(body.get("error_code") or cls.code),
            field=details.get("field"),
            hint=details.get("hint"),
        )

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

    def step_up(self, otp: str) -> dict[str, Any]:
        """Prove the second factor again in this session (credential changes need one
        from the last 15 minutes; an API token cannot step up)."""
        return dict(self._call("POST", "/api/v1/auth/step-up", json={"otp": otp}))

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

    def suspend(self, ref: str, reason: str = "") -> dict[str, Any]:
        """Suspend an account, with a reason (never your own)."""
        body = {"reason": reason}
        return dict(self._call("POST", f"/api/v1/people/{ref}/suspend", json=body))

    def reactivate(self, ref: str, reason: str = "") -> dict[str, Any]:
        """Reactivate an account, with a reason."""
        body = {"reason": reason}
        return dict(self._call("POST", f"/api/v1/people/{ref}/reactivate", json=body))

    def change_person(self, ref: str, reason: str = "", **changes: Any) -> dict[str, Any]:
        """Change roles, clearance or nationalities (fields as in PersonChangeIn), with a
        reason."""
        body = {**changes, "reason": reason}
        return dict(self._call("PATCH", f"/api/v1/people/{ref}", json=body))

    def preview_person_change(self, ref: str, **changes: Any) -> dict[str, Any]:
        """What a change would do (``status``, ``roles``, ``clearance``, ``add_caveat`` ...):
        how many catalogue entries the person may read now and afterwards."""
        return dict(self._call("POST", f"/api/v1/people/{ref}/preview", json=changes))

    def unlock(self, ref: str, reason: str = "") -> dict[str, Any]:
        """Lift a login lockout."""
        body = {"reason": reason}
        return dict(self._call("POST", f"/api/v1/people/{ref}/unlock", json=body))

    def reset_mfa(self, ref: str, reason: str = "") -> dict[str, Any]:
        """Issue a new TOTP seed and recovery codes."""
        body = {"reason": reason}
        return dict(self._call("POST", f"/api/v1/people/{ref}/reset-mfa", json=body))

    def unlock_address(self, address: str) -> dict[str, Any]:
        """Lift the sign-in throttle on a client address."""
        return dict(self._call("DELETE", f"/api/v1/throttle/addresses/{address}"))

    # ledger, audit explorer and alerts (issue 5)
    def _text(self, path: str, params: dict[str, Any] | None = None) -> str:
        """GET a non-JSON body (checkpoints, CSV), with the same typed errors."""
        return self._body(path, params).decode("utf-8")

    def _body(self, path: str, params: dict[str, Any] | None = None) -> bytes:
        """GET a non-JSON body as bytes (PDF, CSV), with the same typed errors."""
        try:
            response = self._http.get(path, params=params)
        except httpx.TransportError as exc:
            raise ServiceUnavailable(
                f"cannot reach the Caveat server at {self._http.base_url}",
                code="server_unreachable",
            ) from exc
        if response.status_code >= 400:
            raise _error(response)
        return response.content

    def ledger_keys(self) -> dict[str, Any]:
        """The node's origin, log verifier key and witness (cosigner) key."""
        return dict(self._call("GET", "/api/v1/ledger/keys"))

    def checkpoint_note(self) -> str:
        """The latest signed checkpoint with its cosignatures (GET /checkpoint)."""
        return self._text("/checkpoint")

    def checkpoints(self, *, below: int | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """Published checkpoints, newest first."""
        params = {k: v for k, v in {"below": below, "limit": limit}.items() if v is not None}
        return list(self._call("GET", "/api/v1/ledger/checkpoints", params=params))

    def publish_checkpoint(self) -> dict[str, Any]:
        """Integrate pending events and publish a checkpoint now."""
        return dict(self._call("POST", "/api/v1/ledger/checkpoints"))

    def witnesses(self) -> list[dict[str, Any]]:
        """The partners that witness this log."""
        return list(self._call("GET", "/api/v1/ledger/witnesses"))

    def add_witness(self, vkey: str, url: str) -> dict[str, Any]:
        """Configure a witness by its cosigner key and add-checkpoint URL prefix."""
        body = {"vkey": vkey, "url": url}
        return dict(self._call("POST", "/api/v1/ledger/witnesses", json=body))

    def request_cosignatures(self, witness: str | None = None) -> list[dict[str, Any]]:
        """Publish a checkpoint and ask every witness (or the one named) to cosign it."""
        body = {"witness": witness}
        return list(self._call("POST", "/api/v1/ledger/cosignatures", json=body))

    def inclusion_proof(
        self, *, index: int | None = None, event_id: str | None = None, size: int | None = None
    ) -> dict[str, Any]:
        """An inclusion proof for a leaf index or an event id."""
        params = {"index": index, "event_id": event_id, "size": size}
        return dict(
            self._call(
                "GET",
                "/api/v1/ledger/proofs/inclusion",
                params={k: v for k, v in params.items() if v is not None},
            )
        )

    def consistency_proof(self, old: int, new: int | None = None) -> dict[str, Any]:
        """A consistency proof between two checkpointed sizes."""
        params = {"old": old} if new is None else {"old": old, "new": new}
        return dict(self._call("GET", "/api/v1/ledger/proofs/consistency", params=params))

    def ledger_entry(self, index: int) -> dict[str, Any]:
        """The event document at a leaf index."""
        return dict(self._call("GET", f"/api/v1/ledger/entries/{index}"))

    def audit_events(self, **filters: Any) -> dict[str, Any]:
        """Search events (actor, target_type, target_id, action, outcome, since, until...)."""
        params = {k: v for k, v in filters.items() if v is not None}
        return dict(self._call("GET", "/api/v1/audit/events", params=params))

    def audit_table(self, **filters: Any) -> dict[str, Any]:
        """The events table: the search's filters and actor_kind, day; sort (seq, type,
        outcome, actor, target), dir (asc, desc), page, limit; total and facet counts
        per event type, actor kind and UTC day."""
        params = {k: v for k, v in filters.items() if v is not None}
        return dict(self._call("GET", "/api/v1/audit/events/table", params=params))

    def audit_activity(self, **filters: Any) -> dict[str, Any]:
        """The matching events per UTC hour, day or month and event family (the table's
        filters): period, bars (period, counts per family), families, total."""
        params = {k: v for k, v in filters.items() if v is not None}
        return dict(self._call("GET", "/api/v1/audit/events/activity", params=params))

    def audit_events_csv(self, **filters: Any) -> str:
        """Matching events as CSV (the export is recorded on the server)."""
        return self._text(
            "/api/v1/audit/events.csv", {k: v for k, v in filters.items() if v is not None}
        )

    def target_history(self, target_type: str, target_id: str, **page: Any) -> dict[str, Any]:
        """Everything that happened to one target."""
        return dict(
            self._call("GET", f"/api/v1/audit/targets/{target_type}/{target_id}", params=page)
        )

    def person_history(self, person_id: str, **page: Any) -> dict[str, Any]:
        """Everything one person did or had done to their account."""
        return dict(self._call("GET", f"/api/v1/audit/people/{person_id}", params=page))

    def alerts(self, *, status: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """Conduct-monitoring alerts, newest first."""
        params: dict[str, Any] = {"limit": limit}
        if status:
            params["status"] = status
        return list(self._call("GET", "/api/v1/alerts", params=params))

    def acknowledge_alert(self, alert_id: str, note: str) -> dict[str, Any]:
        """Acknowledge an alert with a note."""
        return dict(
            self._call("POST", f"/api/v1/alerts/{alert_id}/acknowledge", json={"note": note})
        )

    # labels and the policy
    def parse_label(self, text: str, on: str | None = None) -> dict[str, Any]:
        """Parse a banner or portion mark."""
        return dict(self._call("POST", "/api/v1/labels/parse", json={"text": text, "on": on}))

    def validate_label(self, text: str) -> dict[str, Any]:
        """Whether a marking is valid, with the error if not."""
        return dict(self._call("POST", "/api/v1/labels/validate", json={"text": text}))

    def normalise_label(self, text: str) -> dict[str, Any]:
        """The corrected form of a marking."""
        return dict(self._call("POST", "/api/v1/labels/normalise", json={"text": text}))

    def precheck_label(
        self,
        label: str,
        *,
        controls: list[str] | None = None,
        dual_use: bool = False,
        project: str | None = None,
        artifact_id: str | None = None,
    ) -> dict[str, Any]:
        """Whether you could read content under this label (before uploading to
        ``project`` or relabelling ``artifact_id``): banner, readable, failed."""
        body = {
            "label": label,
            "controls": controls or [],
            "dual_use": dual_use,
            "project": project,
            "artifact_id": artifact_id,
        }
        return dict(self._call("POST", "/api/v1/labels/precheck", json=body))

    def render_label(self, label: dict[str, Any]) -> dict[str, Any]:
        """Banner and portion of a caveat.label/1 object."""
        return dict(self._call("POST", "/api/v1/labels/render", json={"label": label}))

    def roll_up_labels(self, markings: list[str], policy: str | None = None) -> dict[str, Any]:
        """The label of an aggregate."""
        body = {"markings": markings, "policy": policy}
        return dict(self._call("POST", "/api/v1/labels/roll-up", json=body))

    def projects(self) -> list[dict[str, Any]]:
        """Every project."""
        return list(self._call("GET", "/api/v1/projects"))

    def create_project(self, name: str, programme: str | None = None) -> dict[str, Any]:
        """Create a project, in an existing programme if one is named."""
        body = {"name": name, "programme": programme}
        return dict(self._call("POST", "/api/v1/projects", json=body))

    def project_members(self, project: str) -> list[dict[str, Any]]:
        """A project's members."""
        return list(self._call("GET", f"/api/v1/projects/{project}/members"))

    def add_project_member(
        self, project: str, person: str, expires_at: str | None = None, role: str = "member"
    ) -> dict[str, Any]:
        """Add a project member (the project's lead or the person's own security officer;
        never yourself)."""
        body = {"person": person, "expires_at": expires_at, "role": role}
        return dict(self._call("POST", f"/api/v1/projects/{project}/members", json=body))

    def change_project_member(
        self,
        project: str,
        person: str,
        *,
        role: str | None = None,
        expires_at: str | None = None,
        open_ended: bool = False,
    ) -> dict[str, Any]:
        """Change a member's project role or end date (``open_ended`` removes it)."""
        body = {"role": role, "expires_at": expires_at, "open_ended": open_ended}
        path = f"/api/v1/projects/{project}/members/{person}"
        return dict(self._call("PATCH", path, json=body))

    def remove_project_member(self, project: str, person: str) -> None:
        """Remove a project member."""
        self._call("DELETE", f"/api/v1/projects/{project}/members/{person}")

    def register_resource(self, **fields: Any) -> dict[str, Any]:
        """Register a labelled resource (fields as in ResourceIn)."""
        return dict(self._call("POST", "/api/v1/resources", json=fields))

    def resources(
        self, action: str = "discover", after: str | None = None, limit: int = 50
    ) -> dict[str, Any]:
        """A page of the resources you may ``action`` and ``total`` (exact when
        ``total_exact``, else "more than ``total``")."""
        params: dict[str, Any] = {"action": action, "limit": limit}
        if after:
            params["after"] = after
        return dict(self._call("GET", "/api/v1/resources", params=params))

    def resource(self, resource_id: str) -> dict[str, Any]:
        """A resource's metadata and label."""
        return dict(self._call("GET", f"/api/v1/resources/{resource_id}"))

    def my_decision(self, resource_id: str, action: str = "read") -> dict[str, Any]:
        """Your own decision on a resource (subject view)."""
        path = f"/api/v1/resources/{resource_id}/decision"
        return dict(self._call("GET", path, params={"action": action}))

    def grant(
        self, resource_id: str, person: str, kind: str = "access", expires_at: str | None = None
    ) -> dict[str, Any]:
        """Grant access or originator permission on a resource."""
        body = {"person": person, "kind": kind, "expires_at": expires_at}
        return dict(self._call("POST", f"/api/v1/resources/{resource_id}/grants", json=body))

    def revoke_grant(self, resource_id: str, grant_id: str) -> None:
        """Withdraw a grant."""
        self._call("DELETE", f"/api/v1/resources/{resource_id}/grants/{grant_id}")

    def grants(self, resource_id: str) -> list[dict[str, Any]]:
        """The explicit grants on a resource."""
        return list(self._call("GET", f"/api/v1/resources/{resource_id}/grants"))

    def request_readon(
        self, person: str, caveat: str, reason: str, expires_at: str | None = None
    ) -> dict[str, Any]:
        """Ask for a person of your organisation to be read on to a caveat; a second
        security officer approves (:meth:`decide_readon`)."""
        body = {"caveat": caveat, "expires_at": expires_at, "reason": reason}
        return dict(self._call("POST", f"/api/v1/people/{person}/caveats", json=body))

    grant_caveat = request_readon  # reading on is always a request now

    def readon_requests(self, status: str = "pending") -> list[dict[str, Any]]:
        """Read-on requests (of your organisation's people); ``status`` may be ``all``."""
        return list(self._call("GET", "/api/v1/readons", params={"status": status}))

    def decide_readon(self, request_id: str, approve: bool, reason: str = "") -> dict[str, Any]:
        """Approve or deny a read-on someone else asked for (a reason is needed to deny)."""
        body = {"approve": approve, "reason": reason}
        return dict(self._call("POST", f"/api/v1/readons/{request_id}", json=body))

    def caveats(self, person: str) -> list[dict[str, Any]]:
        """The caveats a person holds."""
        return list(self._call("GET", f"/api/v1/people/{person}/caveats"))

    def read_off(self, person: str, caveat: str, reason: str) -> None:
        """Read a person off a caveat, with a reason."""
        path = f"/api/v1/people/{person}/caveats/{caveat}"
        self._call("DELETE", path, params={"reason": reason})

    def explain(self, person: str, resource: str, action: str = "read") -> dict[str, Any]:
        """Why a person may or may not act on a resource (security officers)."""
        body = {"person": person, "resource": resource, "action": action}
        return dict(self._call("POST", "/api/v1/policy/explain", json=body))

    def who_can(self, resource: str, action: str = "read") -> dict[str, Any]:
        """Who may act on a resource (security officers): ``people`` of your own
        organisation listed with failed requirements, ``others`` counted per organisation."""
        path = f"/api/v1/policy/who-can/{resource}"
        return dict(self._call("GET", path, params={"action": action}))

    def what_if(
        self, person: str, resource: str, changes: list[dict[str, Any]], action: str = "read"
    ) -> dict[str, Any]:
        """The decision now and under hypothetical changes (security officers)."""
        body = {"person": person, "resource": resource, "action": action, "changes": changes}
        return dict(self._call("POST", "/api/v1/policy/what-if", json=body))

    # artifacts (streaming: content never sits in memory whole)

    def _raw(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise ServiceUnavailable(
                f"the connection to {self._http.base_url} failed: {exc}",
                code="server_unreachable",
                hint="run the same command again: uploads resume where they stopped",
            ) from exc
        if response.status_code >= 400:
            raise _error(response)
        return response

    def begin_upload(self, **fields: Any) -> dict[str, Any]:
        """Open an upload (fields as in UploadIn: project, kind, title, label, ...)."""
        return dict(self._call("POST", "/api/v1/uploads", json=fields))

    def upload_status(self, upload_id: str) -> dict[str, Any]:
        """Where an upload stands (its ``offset``)."""
        return dict(self._call("GET", f"/api/v1/uploads/{upload_id}"))

    def append(self, upload_id: str, offset: int, chunks: Iterable[bytes]) -> dict[str, Any]:
        """PATCH ``chunks`` at ``offset`` as one streamed request."""
        response = self._raw(
            "PATCH",
            f"/api/v1/uploads/{upload_id}",
            content=chunks,
            headers={"Content-Type": "application/octet-stream", "Upload-Offset": str(offset)},
        )
        return dict(response.json())

    def put_content(
        self, upload_id: str, chunks: Iterable[bytes], sha256: str | None = None
    ) -> dict[str, Any]:
        """The whole content in one streamed request; the server completes or keeps nothing."""
        headers = {"Content-Type": "application/octet-stream"}
        if sha256:
            headers["X-Content-SHA256"] = sha256
        response = self._raw(
            "PUT", f"/api/v1/uploads/{upload_id}/content", content=chunks, headers=headers
        )
        return dict(response.json())

    def complete_upload(self, upload_id: str, sha256: str) -> dict[str, Any]:
        """Finish an upload: the server checks the SHA-256 and commits the version."""
        return dict(
            self._call("POST", f"/api/v1/uploads/{upload_id}/complete", json={"sha256": sha256})
        )

    def abort_upload(self, upload_id: str) -> None:
        """Abandon an upload."""
        self._call("DELETE", f"/api/v1/uploads/{upload_id}")

    def upload_file(
        self,
        path: str | os.PathLike[str],
        *,
        append_bytes: int = 64 * 2**20,
        progress: Callable[[int], None] | None = None,
        attempts: int = 5,
        **fields: Any,
    ) -> dict[str, Any]:
        """Hash a file, then upload it in resumable appends (each one part on the server).

        After a dropped connection it asks the server for the offset and goes on from
        there, up to ``attempts`` times in a row.
        """
        file = Path(path)
        digest = hashlib.sha256()
        with file.open("rb") as handle:
            while block := handle.read(1 << 20):
                digest.update(block)
        size = file.stat().st_size
        fields.setdefault("filename", file.name)
        upload = self.begin_upload(size=size, sha256=digest.hexdigest(), **fields)
        offset, failures = 0, 0
        while offset < size:
            try:
                status = self.append(
                    upload["id"], offset, _file_chunks(file, offset, append_bytes, progress)
                )
                failures = 0
            except ServiceUnavailable:
                failures += 1
                if failures >= attempts:
                    raise
                status = self.upload_status(upload["id"])
            offset = int(status["offset"])
            if progress is not None:
                progress(offset)
        return self.complete_upload(upload["id"], digest.hexdigest())

    def search_artifacts(self, **params: Any) -> dict[str, Any]:
        """Artifacts you may discover (q, project, kind, level, nation, regime, after, limit)."""
        query = {k: v for k, v in params.items() if v is not None}
        return dict(self._call("GET", "/api/v1/artifacts", params=query))

    def artifact_table(self, **params: Any) -> dict[str, Any]:
        """The artifacts table (the search's filters; sort, dir, page, limit): a numbered
        page, the total and facet counts over what you may discover."""
        query = {k: v for k, v in params.items() if v is not None}
        return dict(self._call("GET", "/api/v1/artifacts/table", params=query))

    def artifact(self, artifact_id: str) -> dict[str, Any]:
        """One artifact: metadata, labels, versions, and why you may or may not read it."""
        return dict(self._call("GET", f"/api/v1/artifacts/{artifact_id}"))

    def relabel(
        self,
        artifact_id: str,
        label: str,
        controls: list[str] | None = None,
        dual_use: bool | None = None,
        *,
        reason: str,
    ) -> dict[str, Any]:
        """Relabel, or ask for it; ``outcome`` says which: ``applied`` (the artifact, with
        its new label version), ``requested`` (``relabel_request``, for the originator's
        security officer) or ``release_requested`` (``release_id``: it loosens).
        ``controls`` / ``dual_use`` None keep the current ones (``[]``: no entries, a
        loosening); ``reason`` (3-2000 characters) is kept in the ledger."""
        body = {"label": label, "controls": controls, "dual_use": dual_use, "reason": reason}
        return dict(self._call("POST", f"/api/v1/artifacts/{artifact_id}/label", json=body))

    def preview_relabel(
        self,
        artifact_id: str,
        label: str,
        controls: list[str] | None = None,
        dual_use: bool | None = None,
    ) -> dict[str, Any]:
        """What :meth:`relabel` would do (``path``) and who would gain or lose read access
        (``gains`` / ``loses``: people per organisation); changes nothing."""
        body = {"label": label, "controls": controls, "dual_use": dual_use}
        url = f"/api/v1/artifacts/{artifact_id}/label/preview"
        return dict(self._call("POST", url, json=body))

    def relabel_requests(self, *, awaiting: bool = False) -> list[dict[str, Any]]:
        """Your relabel requests and those you may decide (``awaiting``: pending ones)."""
        params = {"awaiting": "true"} if awaiting else None
        return list(self._call("GET", "/api/v1/relabel-requests", params=params))

    def decide_relabel_request(self, request_id: str, approve: bool, reason: str) -> dict[str, Any]:
        """Approve or deny a relabel request (the originator's security officers)."""
        body = {"approve": approve, "reason": reason}
        url = f"/api/v1/relabel-requests/{request_id}/decision"
        return dict(self._call("POST", url, json=body))

    def verify_artifacts(
        self, artifact_id: str | None = None, *, after: str | None = None, limit: int | None = None
    ) -> dict[str, Any]:
        """Verify one artifact or all (node operators, security officers); with ``limit``,
        one batch: pass its ``next_after`` as ``after`` until it is None."""
        body = {"artifact_id": artifact_id, "after": after, "limit": limit}
        return dict(self._call("POST", "/api/v1/artifacts/verify", json=body))

    def download(
        self,
        artifact_id: str,
        destination: BinaryIO,
        *,
        version: int | None = None,
        byte_range: tuple[int, int | None] | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> dict[str, Any]:
        """Stream content into ``destination``; a whole download is checked against its SHA-256."""
        headers = {}
        if byte_range is not None:
            first, last = byte_range
            tail = "" if last is None else last
            headers["Range"] = f"bytes={first}" if first < 0 else f"bytes={first}-{tail}"
        params = {"version": version} if version is not None else None
        url = f"/api/v1/artifacts/{artifact_id}/content"
        digest = hashlib.sha256()
        received = 0
        try:
            with self._http.stream("GET", url, params=params, headers=headers) as response:
                if response.status_code >= 400:
                    response.read()
                    raise _error(response)
                expected = int(response.headers["content-length"])
                for chunk in response.iter_bytes(1 << 20):
                    destination.write(chunk)
                    digest.update(chunk)
                    received += len(chunk)
                    if progress is not None:
                        progress(received)
                info = {
                    "status": response.status_code,
                    "sha256": response.headers.get("x-content-sha256"),
                    "version": int(response.headers.get("x-caveat-version", "0")),
                    "content_type": response.headers.get("content-type"),
                    "content_range": response.headers.get("content-range"),
                    "bytes": received,
                }
        except httpx.TransportError as exc:
            raise IntegrityError(
                f"the download of {artifact_id} broke off after {received} bytes",
                code="download_incomplete",
                hint="the server refused to send content that failed its integrity check, "
                "or the connection dropped; try again, and tell the node operator if it repeats",
            ) from exc
        if received != expected:
            raise IntegrityError(
                f"the download of {artifact_id} ended after {received} of {expected} bytes",
                code="download_incomplete",
            )
        if info["status"] == 200 and digest.hexdigest() != info["sha256"]:
            raise IntegrityError(
                f"the content of {artifact_id} does not match its signed SHA-256",
                code="content_corrupt",
            )
        return info

    # the control-list catalogue
    def control_lists(self) -> list[dict[str, Any]]:
        """GET /api/v1/control-lists: every regime with its source, edition and headings."""
        return list(self._call("GET", "/api/v1/control-lists"))

    def describe_entries(self, entries: list[str]) -> list[dict[str, Any]]:
        """GET /api/v1/control-lists/describe: where each entry sits on its list."""
        path = "/api/v1/control-lists/describe"
        return list(self._call("GET", path, params={"entry": entries}))

    # programmes, agreements, export control, screening, embargoes (issue 6)
    def programmes(self) -> list[dict[str, Any]]:
        """GET /api/v1/programmes."""
        return list(self._call("GET", "/api/v1/programmes"))

    def create_programme(self, name: str, description: str = "") -> dict[str, Any]:
        """POST /api/v1/programmes."""
        body = {"name": name, "description": description}
        return dict(self._call("POST", "/api/v1/programmes", json=body))

    def programme(self, ref: str) -> dict[str, Any]:
        """GET /api/v1/programmes/{ref}."""
        return dict(self._call("GET", f"/api/v1/programmes/{ref}"))

    def add_programme_project(self, programme: str, project: str) -> None:
        """POST /api/v1/programmes/{ref}/projects."""
        self._call("POST", f"/api/v1/programmes/{programme}/projects", json={"project": project})

    def set_programme_participant(self, programme: str, **fields: Any) -> None:
        """POST /api/v1/programmes/{ref}/participants (organisation, role, work_share)."""
        self._call("POST", f"/api/v1/programmes/{programme}/participants", json=fields)

    def record_funding(self, programme: str, **fields: Any) -> dict[str, Any]:
        """POST /api/v1/programmes/{ref}/funding."""
        return dict(self._call("POST", f"/api/v1/programmes/{programme}/funding", json=fields))

    def funding_summary(self, programme: str) -> list[dict[str, Any]]:
        """GET /api/v1/programmes/{ref}/funding."""
        return list(self._call("GET", f"/api/v1/programmes/{programme}/funding"))

    def funding_by_nation(self) -> list[dict[str, Any]]:
        """GET /api/v1/funding/nations: every programme's funding per partner nation."""
        return list(self._call("GET", "/api/v1/funding/nations"))

    def add_activity(self, programme: str, **fields: Any) -> dict[str, Any]:
        """POST /api/v1/programmes/{ref}/activities."""
        return dict(self._call("POST", f"/api/v1/programmes/{programme}/activities", json=fields))

    def visits(self) -> list[dict[str, Any]]:
        """GET /api/v1/visits."""
        return list(self._call("GET", "/api/v1/visits"))

    def request_visit(self, **fields: Any) -> dict[str, Any]:
        """POST /api/v1/visits."""
        return dict(self._call("POST", "/api/v1/visits", json=fields))

    def decide_visit(self, visit_id: str, *, approve: bool, reason: str) -> dict[str, Any]:
        """POST /api/v1/visits/{id}/decision."""
        body = {"approve": approve, "reason": reason}
        return dict(self._call("POST", f"/api/v1/visits/{visit_id}/decision", json=body))

    def agreements(self) -> list[dict[str, Any]]:
        """GET /api/v1/agreements."""
        return list(self._call("GET", "/api/v1/agreements"))

    def agreement(self, ref: str) -> dict[str, Any]:
        """GET /api/v1/agreements/{ref}."""
        return dict(self._call("GET", f"/api/v1/agreements/{ref}"))

    def create_agreement(self, **fields: Any) -> dict[str, Any]:
        """POST /api/v1/agreements."""
        return dict(self._call("POST", "/api/v1/agreements", json=fields))

    def amend_agreement(self, ref: str, **fields: Any) -> dict[str, Any]:
        """POST /api/v1/agreements/{ref}/amend (every term, plus note)."""
        return dict(self._call("POST", f"/api/v1/agreements/{ref}/amend", json=fields))

    def move_agreement(self, ref: str, verb: str, reason: str) -> dict[str, Any]:
        """POST /api/v1/agreements/{ref}/{activate|suspend|resume|expire|terminate}."""
        body = {"reason": reason}
        return dict(self._call("POST", f"/api/v1/agreements/{ref}/{verb}", json=body))

    def authorizations(self) -> list[dict[str, Any]]:
        """GET /api/v1/authorizations."""
        return list(self._call("GET", "/api/v1/authorizations"))

    def authorization(self, ref: str) -> dict[str, Any]:
        """GET /api/v1/authorizations/{ref}."""
        return dict(self._call("GET", f"/api/v1/authorizations/{ref}"))

    def create_authorization(self, **fields: Any) -> dict[str, Any]:
        """POST /api/v1/authorizations."""
        return dict(self._call("POST", "/api/v1/authorizations", json=fields))

    def move_authorization(self, ref: str, verb: str, reason: str) -> dict[str, Any]:
        """POST /api/v1/authorizations/{ref}/{suspend|reinstate|revoke}."""
        body = {"reason": reason}
        return dict(self._call("POST", f"/api/v1/authorizations/{ref}/{verb}", json=body))

    def screening_lists(self) -> list[dict[str, Any]]:
        """GET /api/v1/screening/lists."""
        return list(self._call("GET", "/api/v1/screening/lists"))

    def import_screening_list(
        self, name: str, fmt: str, text: str, alt_text: str | None = None
    ) -> dict[str, Any]:
        """POST /api/v1/screening/lists (sdn, csl or generic)."""
        body = {"name": name, "format": fmt, "text": text, "alt_text": alt_text}
        return dict(self._call("POST", "/api/v1/screening/lists", json=body))

    def check_name(self, name: str, *, limit: int = 5) -> dict[str, Any]:
        """POST /api/v1/screening/check: one name against every imported list (the name
        travels in the body, out of access logs)."""
        body = {"name": name, "limit": limit}
        return dict(self._call("POST", "/api/v1/screening/check", json=body))

    def run_screening(self) -> dict[str, Any]:
        """POST /api/v1/screening/run."""
        return dict(self._call("POST", "/api/v1/screening/run"))

    def screening_hits(self, status: str = "open") -> list[dict[str, Any]]:
        """GET /api/v1/screening/hits."""
        return list(self._call("GET", "/api/v1/screening/hits", params={"status": status}))

    def resolve_hit(self, hit_id: str, outcome: str, reason: str) -> dict[str, Any]:
        """POST /api/v1/screening/hits/{id}/resolve."""
        body = {"outcome": outcome, "reason": reason}
        return dict(self._call("POST", f"/api/v1/screening/hits/{hit_id}/resolve", json=body))

    def embargoes(self) -> list[dict[str, Any]]:
        """GET /api/v1/embargoes."""
        return list(self._call("GET", "/api/v1/embargoes"))

    def add_embargo(self, **fields: Any) -> dict[str, Any]:
        """POST /api/v1/embargoes."""
        return dict(self._call("POST", "/api/v1/embargoes", json=fields))

    def import_embargoes(self, text: str) -> list[dict[str, Any]]:
        """POST /api/v1/embargoes/import: every embargo of a CSV file, all or nothing."""
        return list(self._call("POST", "/api/v1/embargoes/import", json={"text": text}))

    def lift_embargo(self, embargo_id: str, on: str, reason: str) -> dict[str, Any]:
        """POST /api/v1/embargoes/{id}/lift."""
        body = {"on": on, "reason": reason}
        return dict(self._call("POST", f"/api/v1/embargoes/{embargo_id}/lift", json=body))

    # release requests and export records (issue 6): the flat forms below are kept for
    # the tests until they move to ``client.releases`` (typed; what the CLI uses)
    def request_release(
        self,
        resource: str,
        justification: str,
        nations: list[str] | None = None,
        organisations: list[str] | None = None,
    ) -> dict[str, Any]:
        """POST /api/v1/releases."""
        body = {
            "resource": resource,
            "justification": justification,
            "nations": nations or [],
            "organisations": organisations or [],
        }
        return dict(self._call("POST", "/api/v1/releases", json=body))

    def classify_release(self, request_id: str, **fields: Any) -> dict[str, Any]:
        """POST /api/v1/releases/{id}/classification."""
        path = f"/api/v1/releases/{request_id}/classification"
        return dict(self._call("POST", path, json=fields))

    def decide_release(self, request_id: str, approve: bool, reason: str) -> dict[str, Any]:
        """POST /api/v1/releases/{id}/decision."""
        body = {"approve": approve, "reason": reason}
        return dict(self._call("POST", f"/api/v1/releases/{request_id}/decision", json=body))

    def export_records(self, **params: Any) -> list[dict[str, Any]]:
        """GET /api/v1/export-records (authorization, since, until, regime, destination)."""
        query = {k: v for k, v in params.items() if v is not None}
        return list(self._call("GET", "/api/v1/export-records", params=query))

    def export_records_csv(self, **params: Any) -> str:
        """GET /api/v1/export-records.csv (authorization, since, until)."""
        query = {k: v for k, v in params.items() if v is not None}
        return self._text("/api/v1/export-records.csv", params=query)

    def export_report(self, **params: Any) -> dict[str, Any]:
        """GET /api/v1/export-records/report: names, totals, ledger agreement."""
        query = {k: v for k, v in params.items() if v is not None}
        return dict(self._call("GET", "/api/v1/export-records/report", params=query))

    def export_records_pdf(self, **params: Any) -> bytes:
        """GET /api/v1/export-records.pdf (authorization, since, until)."""
        query = {k: v for k, v in params.items() if v is not None}
        return self._body("/api/v1/export-records.pdf", params=query)


def _file_chunks(
    file: Path, offset: int, limit: int, progress: Callable[[int], None] | None
) -> Iterator[bytes]:
    with file.open("rb") as handle:
        handle.seek(offset)
        sent = 0
        while sent < limit:
            block = handle.read(min(1 << 20, limit - sent))
            if not block:
                return
            sent += len(block)
            if progress is not None:
                progress(offset + sent)
            yield block
