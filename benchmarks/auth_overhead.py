"""In-process cost of authenticating a request (token lookup + session and MFA checks).

Peers in the same run: the raw indexed SELECT of the same session row through the
DB driver (the floor any implementation pays), and a whole in-process GET /api/v1/me
through the ASGI stack (what a request costs end to end without the network).
"""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from benchmarks.common import scratch_node, time_calls, write_result
from caveat.api.app import create_app
from caveat.domain.credentials import digest, totp_code
from caveat.domain.identity import OrganisationKind
from caveat.services.kernel.principal import ConsoleOperator, Scope
from caveat.services.kernel.uow import CallContext

PASSWORD = "violet-harbour-lantern-42"


def _measure(database_url: str | None) -> dict[str, Any]:
    with scratch_node(database_url) as node:
        ctx = CallContext("bench", "127.0.0.1")
        org = node.registry.create_organisation(
            ConsoleOperator(),
            ctx,
            name="AFRL",
            nation="USA",
            kind=OrganisationKind.GOVERNMENT_LABORATORY,
        )
        account = node.people.create_person(
            ConsoleOperator(),
            ctx,
            username="alice",
            display_name="Alice",
            email="a@x.example",
            organisation=org.id,
            citizenships=["USA"],
            password=PASSWORD,
        )
        issued = node.auth.login(
            ctx,
            username="alice",
            password=PASSWORD,
            otp=totp_code(account.mfa.totp_secret, node.uow.clock()),
        )
        principal = node.auth.authenticate(ctx, issued.token)
        api = node.tokens.create(
            principal, ctx, name="bench", scopes=[Scope.READ], lifetime=timedelta(days=1)
        )
        result: dict[str, Any] = {
            "session_authenticate": time_calls(
                lambda: node.auth.authenticate(ctx, issued.token), n=5000
            ),
            "api_token_authenticate": time_calls(
                lambda: node.auth.authenticate(ctx, api.secret), n=5000
            ),
        }
        if database_url is None:
            path = node.settings.resolved_database_url().removeprefix("sqlite:///")
            raw = sqlite3.connect(path)
            hashed = digest(issued.token)
            result["peer_raw_sqlite_select"] = time_calls(
                lambda: raw.execute(
                    "SELECT * FROM sessions WHERE token_hash = ?", (hashed,)
                ).fetchone(),
                n=5000,
            )
            raw.close()
        with TestClient(create_app(node)) as client:
            headers = {"Authorization": f"Bearer {issued.token}"}
            result["asgi_get_me_in_process"] = time_calls(
                lambda: client.get("/api/v1/me", headers=headers), n=2000
            )
            result["asgi_healthz_in_process"] = time_calls(lambda: client.get("/healthz"), n=2000)
        return result


def run(postgres_url: str | None = None) -> dict[str, Any]:
    results = {"sqlite": _measure(None)}
    if postgres_url:
        results["postgresql"] = _measure(postgres_url)
    write_result("auth_overhead", results)
    return results


if __name__ == "__main__":
    import os

    print(run(os.environ.get("CAVEAT_BENCH_POSTGRES_URL")))
