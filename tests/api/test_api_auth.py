from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from caveat.client import CaveatClient
from caveat.domain.errors import AuthenticationFailed, NotFound, PermissionDenied
from caveat.services.identity._people import NewAccount
from tests.support import PASSWORD, Scenario


def test_login_me_logout_through_the_sdk(signed_in: CaveatClient) -> None:
    me = signed_in.me()
    assert me["username"] == "alice"
    assert me["citizenships"] == ["USA"]
    assert me["clearance"]["level_name"] == "SECRET"
    signed_in.logout()
    with pytest.raises(AuthenticationFailed):
        signed_in.me()


def test_session_cookie_is_httponly_strict_and_secure_when_asked(
    http: TestClient, world: Scenario, alice: NewAccount
) -> None:
    world.clock.advance(seconds=30)
    response = http.post(
        "/api/v1/auth/login",
        json={"username": "alice", "password": PASSWORD, "otp": world.code(alice)},
    )
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Secure" not in cookie  # plain HTTP in tests
    world.node.settings = world.node.settings.model_copy(update={"secure_cookies": True})
    world.clock.advance(seconds=30)
    response = http.post(
        "/api/v1/auth/login",
        json={"username": "alice", "password": PASSWORD, "otp": world.code(alice)},
    )
    assert "Secure" in response.headers["set-cookie"]


def test_cookie_sessions_need_the_csrf_header_for_changes(
    http: TestClient, world: Scenario, alice: NewAccount
) -> None:
    world.clock.advance(seconds=30)
    http.post(
        "/api/v1/auth/login",
        json={"username": "alice", "password": PASSWORD, "otp": world.code(alice)},
    )
    assert http.get("/api/v1/me").status_code == 200  # cookie works for reads
    refused = http.post("/api/v1/auth/sessions/revoke-all")
    assert refused.status_code == 403
    assert refused.json()["code"] == "csrf_header_missing"
    allowed = http.post("/api/v1/auth/sessions/revoke-all", headers={"X-Requested-With": "caveat"})
    assert allowed.status_code == 200


def test_tokens_are_scoped_expire_and_can_be_revoked(
    http: TestClient, signed_in: CaveatClient, world: Scenario
) -> None:
    issued = signed_in.create_token("ci reader", ["read"], expires_in_days=1)
    assert issued["secret"].startswith("cvt_")
    reader = CaveatClient("http://testserver", token=issued["secret"], http=TestClient(http.app))
    assert reader.me()["username"] == "alice"
    with pytest.raises(PermissionDenied) as no_write:
        reader.revoke_all_sessions()
    assert no_write.value.code == "scope_missing"
    with pytest.raises(PermissionDenied) as no_mint:
        reader.create_token("child", ["read"])
    assert no_mint.value.code in ("scope_missing", "session_required")
    # Secrets are never listed again.
    listed = signed_in.tokens()
    assert [t["name"] for t in listed] == ["ci reader"]
    assert "secret" not in listed[0]
    # Expiry.
    world.clock.advance(days=1, seconds=1)
    with pytest.raises(AuthenticationFailed) as expired:
        reader.me()
    assert expired.value.code == "token_expired"
    # Revocation.
    signed_in_again = CaveatClient("http://testserver", http=TestClient(http.app))
    signed_in_again.login("alice", PASSWORD, world.code_for("alice"))
    writer = signed_in_again.create_token("ci writer", ["read", "write"], expires_in_days=30)
    client = CaveatClient("http://testserver", token=writer["secret"], http=TestClient(http.app))
    assert client.me()["username"] == "alice"
    signed_in_again.revoke_token(writer["token"]["id"])
    with pytest.raises(AuthenticationFailed) as revoked:
        client.me()
    assert revoked.value.code == "token_revoked"
    with pytest.raises(NotFound):
        signed_in_again.revoke_token("not-a-token-id")


def test_one_time_password_blocks_everything_but_changing_it(
    http: TestClient, world: Scenario, operator: NewAccount
) -> None:
    client = CaveatClient("http://testserver", http=http)
    world.clock.advance(seconds=30)
    assert operator.one_time_password is not None
    session = client.login("operator", operator.one_time_password, world.code(operator))
    assert session["must_change_password"]
    assert client.me()["must_change_password"]
    with pytest.raises(PermissionDenied) as blocked:
        client.organisations()
    assert blocked.value.code == "password_change_required"
    client.change_password(operator.one_time_password, PASSWORD)
    assert client.organisations()[0]["name"] == "Caveat Node Operations (GBR)"


def test_totp_enrolment_returns_a_qr_code(signed_in: CaveatClient) -> None:
    enrolment = signed_in.begin_totp_enrolment()
    assert enrolment["qr_svg"].startswith("<svg")
    assert enrolment["otpauth_uri"].startswith("otpauth://totp/")
    assert len(signed_in.new_recovery_codes()) == 10
