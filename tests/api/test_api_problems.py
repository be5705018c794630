"""Bad input gets a 4xx problem+json that names the field and the fix; never a 500."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from caveat.client import CaveatClient

PROBLEM = "application/problem+json"


def _auth(admin: CaveatClient) -> dict[str, str]:
    return {"Authorization": admin._http.headers["Authorization"]}


def assert_problem(response: Any, status: int, code: str, field: str | None = None) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"urn:caveat:error:{code}"
    assert body["detail"]
    assert body["request_id"] == response.headers["x-request-id"]
    assert "Traceback" not in response.text
    if field is not None:
        assert body["field"] == field


def test_malformed_json(http: TestClient) -> None:
    response = http.post(
        "/api/v1/auth/login", content=b'{"username": ', headers={"content-type": "application/json"}
    )
    assert_problem(response, 400, "malformed_json")


def test_wrong_content_type(http: TestClient) -> None:
    response = http.post(
        "/api/v1/auth/login",
        content=b"username=alice",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert_problem(response, 415, "unsupported_media_type")


def test_missing_and_unknown_fields_are_all_named(http: TestClient) -> None:
    response = http.post("/api/v1/auth/login", json={"username": "a", "pasword": "x"})
    assert_problem(response, 422, "invalid_input")
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"password", "otp", "pasword"}


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"nation": "XXX"}, 422, "invalid_nation", "nation"),
        ({"nation": "GB"}, 422, "invalid_input", "nation"),
        ({"kind": "spaceship"}, 422, "invalid_input", "kind"),
        ({"name": "Caveat Node Operations (GBR)"}, 409, "duplicate_organisation", "name"),
        ({"name": "Caveat Node 0perations (GBR)"}, 409, "confusable_name", "name"),
        ({"name": "Thales\u200bUK"}, 422, "invisible_character", "name"),
    ],
)
def test_organisation_input_errors(
    http: TestClient, admin: CaveatClient, body: dict[str, str], status: int, code: str, field: str
) -> None:
    payload = {"name": "Thales UK", "nation": "GBR", "kind": "industry"} | body
    response = http.post("/api/v1/organisations", json=payload, headers=_auth(admin))
    assert_problem(response, status, code, field)


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"username": "operator"}, 409, "duplicate_username", "username"),
        ({"organisation": "Nowhere"}, 422, "unknown_organisation", "organisation"),
        ({"citizenships": ["ZZZ"]}, 422, "invalid_nation", "citizenships"),
        ({"citizenships": []}, 422, "invalid_input", "citizenships"),
        ({"email": "nope"}, 422, "invalid_email", "email"),
        ({"roles": ["emperor"]}, 422, "invalid_input", "roles.0"),
    ],
)
def test_person_input_errors(
    http: TestClient, admin: CaveatClient, body: dict[str, Any], status: int, code: str, field: str
) -> None:
    payload = {
        "username": "claire",
        "display_name": "Claire Dubois",
        "email": "claire@onera.example",
        "organisation": "Caveat Node Operations (GBR)",
        "citizenships": ["FRA"],
    } | body
    response = http.post("/api/v1/people", json=payload, headers=_auth(admin))
    assert_problem(response, status, code, field)


def test_group_with_unknown_member(http: TestClient, admin: CaveatClient) -> None:
    response = http.post(
        "/api/v1/groups",
        json={"code": "PROG", "name": "P", "members": ["USA", "QQQ"]},
        headers=_auth(admin),
    )
    assert_problem(response, 422, "invalid_nation", "members")


def test_weak_password_on_change(http: TestClient, admin: CaveatClient) -> None:
    from tests.support import PASSWORD

    response = http.post(
        "/api/v1/me/password",
        headers=_auth(admin) | {},
        json={"current_password": PASSWORD, "new_password": "password1234"},
    )
    assert_problem(response, 422, "weak_password", "password")


def test_unknown_route_and_method(http: TestClient) -> None:
    assert_problem(http.get("/api/v1/nope"), 404, "not_found")
    assert_problem(http.delete("/healthz"), 405, "method_not_allowed")


def test_unauthenticated_requests_get_401_with_a_challenge(http: TestClient) -> None:
    response = http.get("/api/v1/me")
    assert_problem(response, 401, "not_authenticated")
    assert response.headers["www-authenticate"].startswith("Bearer")
    bad = http.get("/api/v1/me", headers={"Authorization": "Bearer cvs_forged"})
    assert_problem(bad, 401, "invalid_session")


def test_unexpected_errors_are_500_problems_without_traces(
    http: TestClient, admin: CaveatClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from caveat.services.identity._registry import RegistryService

    def boom(self: RegistryService) -> None:
        raise ZeroDivisionError("secret internal detail")

    monkeypatch.setattr(RegistryService, "list_organisations", boom)
    response = http.get("/api/v1/organisations", headers=_auth(admin))
    assert_problem(response, 500, "internal_error")
    assert "secret internal detail" not in response.text
