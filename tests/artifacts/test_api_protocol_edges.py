"""HTTP edges of downloads: RFC 9110 Range corner cases, bounded numbers, inert types."""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient

from caveat.services.kernel.principal import Principal
from tests.artifacts.conftest import LABEL, World, client_for, sha

NEW = {"project": "Hypersonics", "kind": "dataset", "title": "Edge cases", "label": LABEL}


def _stored(http: TestClient, world: World, data: bytes, **extra: str) -> str:
    client = client_for(http, world, "alice")
    upload = client.begin_upload(**NEW, **extra)
    return str(client.put_content(upload["id"], [data], sha(data))["artifact_id"])


def _get(http: TestClient, world: World, artifact: str, **headers: str) -> httpx.Response:
    response: httpx.Response = http.get(
        f"/api/v1/artifacts/{artifact}/content",
        headers={"Authorization": f"Bearer {world.tokens['alice']}", **headers},
    )
    return response


def test_a_zero_length_suffix_range_is_416_not_the_whole_body(
    http: TestClient, world: World, alice: Principal
) -> None:
    """Reproduction: ``Range: bytes=-0`` answered 206 with the whole body."""
    artifact = _stored(http, world, b"abcdef")
    answer = _get(http, world, artifact, Range="bytes=-0")
    assert answer.status_code == 416
    assert answer.headers["content-range"] == "bytes */6"


@pytest.mark.parametrize(
    ("header", "status"),
    [
        ("bytes=" + "9" * 10000 + "-", 416),  # reproduction: answered 500
        ("bytes=0-" + "9" * 10000, 206),  # last beyond the end: to the end
        ("bytes=-" + "9" * 10000, 206),  # suffix longer than the body: all of it
        ("bytes=4-2", 200),  # last < first: an invalid range is ignored (RFC 9110 14.1.1)
    ],
)
def test_huge_and_invalid_positions_never_fail_the_server(
    http: TestClient, world: World, alice: Principal, header: str, status: int
) -> None:
    artifact = _stored(http, world, b"abcdef")
    answer = _get(http, world, artifact, Range=header)
    assert answer.status_code == status


def test_an_out_of_range_version_is_422(http: TestClient, world: World, alice: Principal) -> None:
    """Reproduction: ``?version=99999999999999999999999`` answered 500."""
    artifact = _stored(http, world, b"abc")
    answer = http.get(
        f"/api/v1/artifacts/{artifact}/content?version=99999999999999999999999",
        headers={"Authorization": f"Bearer {world.tokens['alice']}"},
    )
    assert answer.status_code == 422


def test_active_content_is_served_as_opaque_bytes(
    http: TestClient, world: World, alice: Principal
) -> None:
    """Reproduction: uploads were served with the uploader's type (text/javascript)."""
    script = _stored(http, world, b"alert(1)", media_type="text/javascript")
    html = _stored(http, world, b"<script>alert(1)</script>", media_type="text/html")
    pdf = _stored(http, world, b"%PDF-1.7", media_type="application/pdf")
    served = {a: _get(http, world, a).headers["content-type"] for a in (script, html, pdf)}
    assert served[script] == "application/octet-stream"
    assert served[html] == "application/octet-stream"
    assert served[pdf] == "application/pdf"
