"""Bodies are capped before they are read: JSON and forms at 1 MiB, content streams."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi.testclient import TestClient

from caveat.api.middleware import MAX_SMALL_BODY

BIG = b'{"text": "' + b"A" * (MAX_SMALL_BODY + 10) + b'"}'


def test_an_oversized_json_body_is_refused_before_authentication(http: TestClient) -> None:
    """Reproduction: a 200 MiB JSON body to /labels/parse was read and parsed before
    the 401; now any body over the limit is a 413 problem before any handler runs."""
    response = http.post(
        "/api/v1/labels/parse", content=BIG, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "body_too_large"


def test_a_chunked_body_that_grows_past_the_limit_is_stopped(http: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"text": "'
        for _ in range(20):
            yield b"A" * (128 * 1024)
        yield b'"}'

    response = http.post(
        "/api/v1/labels/parse", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


def test_web_forms_are_capped_too(http: TestClient) -> None:
    response = http.post(
        "/login",
        content=b"username=" + b"a" * (MAX_SMALL_BODY + 1),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413


def test_a_small_body_still_reaches_its_handler(http: TestClient) -> None:
    response = http.post("/api/v1/labels/parse", json={"text": "SECRET"})
    assert response.status_code != 413
