"""Health, readiness, security headers, administration and logging at the API edge."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from caveat.api.app import create_app
from caveat.bootstrap import container
from caveat.bootstrap.container import Node
from caveat.bootstrap.logging import configure_logging
from caveat.client import CaveatClient
from caveat.domain.errors import PermissionDenied
from caveat.services.identity._people import NewAccount
from tests.support import PASSWORD, FakeClock, Scenario


def test_health_and_readiness(http: TestClient) -> None:
    assert http.get("/healthz").json() == {"status": "ok", "detail": None}
    assert http.get("/readyz").json()["status"] == "ready"


def test_security_headers_on_every_response(http: TestClient) -> None:
    for response in (http.get("/healthz"), http.get("/api/v1/me"), http.get("/nowhere")):
        headers = response.headers
        assert headers["content-security-policy"].startswith("default-src 'none'")
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["cache-control"] == "no-store"
        assert headers["x-request-id"]


def test_request_ids_are_echoed_when_safe_and_replaced_when_not(http: TestClient) -> None:
    assert (
        http.get("/healthz", headers={"X-Request-ID": "trace-12345678"}).headers["x-request-id"]
        == "trace-12345678"
    )
    replaced = http.get("/healthz", headers={"X-Request-ID": "bad id\nwith newline"})
    assert replaced.headers["x-request-id"] != "bad id\nwith newline"


def test_openapi_and_docs_are_served_without_a_cdn(http: TestClient) -> None:
    spec = http.get("/api/v1/openapi.json").json()
    assert "/api/v1/auth/login" in spec["paths"]
    page = http.get("/api/docs")
    assert "/api/docs/static/swagger-ui-bundle.js" in page.text
    assert "http" not in page.text.replace("http-equiv", "")  # nothing from elsewhere
    assert http.get("/api/docs/static/swagger-ui-bundle.js").status_code == 200


def test_database_down_gives_503_not_a_crash(
    node: Node, clock: FakeClock, alice: NewAccount, world: Scenario
) -> None:
    issued = world.login(alice)
    dead = create_engine(
        "postgresql+psycopg://nobody@127.0.0.1:1/none", connect_args={"connect_timeout": 1}
    )
    broken = container._build(node.settings, dead, node.identity, clock)
    with TestClient(create_app(broken), raise_server_exceptions=False) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["code"] == "database_unavailable"
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {issued.token}"})
        assert me.status_code == 503
        assert me.json()["code"] == "database_unavailable"
        assert me.headers["Retry-After"] == "1"
        assert client.get("/healthz").status_code == 200  # the process itself is fine
    dead.dispose()


def test_administration_through_the_api(
    admin: CaveatClient, http: TestClient, world: Scenario
) -> None:
    org = admin.create_organisation("Fraunhofer FKIE", "DEU", "government_laboratory", "FKIE")
    assert org["nation"] == "DEU"
    group = admin.create_group("SENSORPROG", "Sensor programme", ["USA", "GBR", "DEU"])
    assert group["members_on"] == ["DEU", "GBR", "USA"]
    assert {g["code"] for g in admin.groups()} >= {"FVEY", "NATO", "SENSORPROG"}
    created = admin.create_person(
        username="dieter",
        display_name="Dieter Brandt",
        email="dieter@fkie.example",
        organisation="FKIE",
        citizenships=["DEU"],
        residencies=["FRA"],
        clearance={
            "level": 3,
            "national_name": "GEHEIM",
            "granting_nation": "DEU",
            "expires": "2029-01-01",
        },
    )
    assert created["one_time_password"]
    assert len(created["mfa"]["recovery_codes"]) == 10
    assert created["person"]["clearance"]["national_name"] == "GEHEIM"
    assert admin.suspend("dieter", reason="on leave")["status"] == "suspended"
    assert admin.reactivate("dieter", reason="back from leave")["status"] == "active"
    assert admin.unlock("dieter")["locked"] is False
    assert admin.reset_mfa("dieter")["totp_secret"] != created["mfa"]["totp_secret"]
    assert "dieter" in {p["username"] for p in admin.people()}
    assert admin.unlock_address("192.0.2.7") == {"address": "192.0.2.7", "unlocked": False}
    assert len(admin.nations()) == 249


def test_researchers_cannot_administer(signed_in: CaveatClient) -> None:
    with pytest.raises(PermissionDenied):
        signed_in.people()
    with pytest.raises(PermissionDenied):
        signed_in.create_group("MINE", "mine", ["USA"])
    assert signed_in.person("alice")["username"] == "alice"  # one's own record is fine
    with pytest.raises(PermissionDenied):
        signed_in.person("operator")


def test_logs_never_contain_secrets(
    http: TestClient, world: Scenario, alice: NewAccount, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(json=True, level="DEBUG")
    world.clock.advance(seconds=30)
    code = world.code(alice)
    response = http.post(
        "/api/v1/auth/login", json={"username": "alice", "password": PASSWORD, "otp": code}
    )
    token = response.json()["token"]
    http.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    http.post(
        "/api/v1/auth/login",
        json={"username": "alice", "password": "wrong-pass-here", "otp": "123456"},
    )
    logs = capsys.readouterr().err
    lines = [json.loads(line) for line in logs.splitlines() if line.startswith("{")]
    assert any(line.get("path") == "/api/v1/auth/login" for line in lines)
    for secret in (PASSWORD, token, code, alice.mfa.totp_secret, "wrong-pass-here"):
        assert secret not in logs
