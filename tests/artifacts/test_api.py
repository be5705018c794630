"""The artifact API end to end: streaming upload, resumable upload, Range, problems."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from caveat.adapters.db.models import EventRow
from caveat.adapters.db.models.artifacts import ArtifactRow, UploadSessionRow
from caveat.domain.errors import CaveatError, InvalidInput
from caveat.services.kernel.principal import Principal
from tests.artifacts.conftest import LABEL, PART, World, client_for, random_bytes, sha

NEW: dict[str, Any] = {
    "project": "Hypersonics",
    "kind": "dataset",
    "title": "Sled test 4",
    "label": LABEL,
}


def _count(world: World, model: type) -> int:
    with world.node.uow.read() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _events(world: World, type_name: str) -> list[dict[str, object]]:
    with world.node.uow.read() as session:
        bodies = session.scalars(
            select(EventRow.body).where(EventRow.type == type_name).order_by(EventRow.seq)
        )
        return [json.loads(b) for b in bodies]


def test_single_shot_upload_and_download_with_headers(
    http: TestClient, world: World, alice: Principal
) -> None:
    client = client_for(http, world, "alice")
    data = random_bytes(2 * PART + 5)
    upload = client.begin_upload(**NEW, filename="sled 4.csv", media_type="text/csv")
    version = client.put_content(upload["id"], iter([data[:1000], data[1000:]]), sha(data))
    assert version["size"] == len(data)
    assert version["parts"] == 3
    out = io.BytesIO()
    info = client.download(version["artifact_id"], out)
    assert out.getvalue() == data
    assert info["status"] == 200
    raw = http.get(
        f"/api/v1/artifacts/{version['artifact_id']}/content",
        headers={"Authorization": f"Bearer {world.tokens['alice']}"},
    )
    assert raw.headers["content-type"].startswith("text/csv")
    assert raw.headers["content-disposition"] == "attachment; filename*=UTF-8''sled%204.csv"
    assert raw.headers["x-content-sha256"] == sha(data)
    downloads = _events(world, "artifact.downloaded")
    assert len(downloads) == 2
    assert all(e["outcome"] == "success" for e in downloads)


@pytest.mark.parametrize(
    ("first", "last"),
    [(0, 0), (5, PART + 10), (PART - 1, PART), (PART, None), (2 * PART, 2 * PART + 4), (-7, None)],
)
def test_range_requests(
    http: TestClient, world: World, alice: Principal, first: int, last: int | None
) -> None:
    client = client_for(http, world, "alice")
    data = random_bytes(2 * PART + 5)
    upload = client.begin_upload(**NEW)
    artifact = client.put_content(upload["id"], [data], sha(data))["artifact_id"]
    out = io.BytesIO()
    info = client.download(artifact, out, byte_range=(first, last))
    expected = data[first:] if first < 0 else data[first : None if last is None else last + 1]
    assert out.getvalue() == expected
    assert info["status"] == 206
    start = len(data) + first if first < 0 else first
    assert info["content_range"] == f"bytes {start}-{start + len(expected) - 1}/{len(data)}"


def test_unsatisfiable_range_is_416(http: TestClient, world: World, alice: Principal) -> None:
    client = client_for(http, world, "alice")
    upload = client.begin_upload(**NEW)
    artifact = client.put_content(upload["id"], [b"abc"], sha(b"abc"))["artifact_id"]
    answer = http.get(
        f"/api/v1/artifacts/{artifact}/content",
        headers={"Authorization": f"Bearer {world.tokens['alice']}", "Range": "bytes=3-"},
    )
    assert answer.status_code == 416
    assert answer.headers["content-range"] == "bytes */3"
    assert answer.json()["code"] == "range_not_satisfiable"


def test_resumable_upload_after_a_dropped_connection(
    http: TestClient, world: World, alice: Principal
) -> None:
    client = client_for(http, world, "alice")
    data = random_bytes(3 * PART + 123)
    upload = client.begin_upload(**NEW, size=len(data), sha256=sha(data))

    def dropping() -> Iterator[bytes]:
        yield data[: PART + 500]
        raise ConnectionResetError("the cable was pulled")

    with pytest.raises(Exception):  # noqa: B017, PT011 - whatever the transport raises
        client.append(upload["id"], 0, dropping())
    status = client.upload_status(upload["id"])
    # What arrived before the drop is kept (a whole part and maybe a partial one).
    assert 0 <= status["offset"] <= PART + 500
    offset = status["offset"]
    with pytest.raises(CaveatError) as wrong:
        client.append(upload["id"], offset + 1, [b"x"])
    assert wrong.value.code == "upload_offset_mismatch"
    client.append(upload["id"], offset, [data[offset : offset + PART]])
    offset = client.upload_status(upload["id"])["offset"]
    client.append(upload["id"], offset, [data[offset:]])
    version = client.complete_upload(upload["id"], sha(data))
    out = io.BytesIO()
    client.download(version["artifact_id"], out)
    assert out.getvalue() == data
    assert _count(world, UploadSessionRow) == 0


def test_upload_file_resumes_until_done(
    http: TestClient, world: World, alice: Principal, tmp_path: object
) -> None:
    from pathlib import Path

    client = client_for(http, world, "alice")
    data = random_bytes(PART * 2 + 1)
    path = Path(str(tmp_path)) / "run.bin"
    path.write_bytes(data)
    seen: list[int] = []
    version = client.upload_file(path, append_bytes=PART // 2, progress=seen.append, **NEW)
    assert version["size"] == len(data)
    assert version["parts"] == 5
    assert seen[-1] == len(data)


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"label": None}, 422, "label_required"),
        ({"label": "SECRET//REL TO USA, XXX"}, 422, "invalid_marking"),
        ({"label": "SECRET//NOFORN//REL TO USA"}, 422, "invalid_marking"),
        ({"project": "No such project"}, 404, "unknown_project"),
        ({"kind": "poem"}, 422, "invalid_kind"),
        ({"controls": ["ITAR:XI(c)"]}, 422, "invalid_control_entry"),
        ({"label": "TOP SECRET//REL TO USA, GBR"}, 403, "label_above_reader"),
        ({"size": 10**15}, 413, "content_too_large"),
    ],
)
def test_bad_uploads_are_refused_with_a_problem(
    http: TestClient,
    world: World,
    alice: Principal,
    change: dict[str, object],
    status: int,
    code: str,
) -> None:
    answer = http.post(
        "/api/v1/uploads",
        json={**NEW, **change},
        headers={"Authorization": f"Bearer {world.tokens['alice']}"},
    )
    assert answer.status_code == status, answer.json()
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["code"] == code
    assert _count(world, UploadSessionRow) == 0


def test_marking_errors_say_where(http: TestClient, world: World, alice: Principal) -> None:
    answer = http.post(
        "/api/v1/uploads",
        json={**NEW, "label": "SECRET//REL TO GBR, USA"},
        headers={"Authorization": f"Bearer {world.tokens['alice']}"},
    )
    body = answer.json()
    assert body["field"] == "label"
    assert "position" in body["detail"]
    assert body["hint"]


def test_non_members_cannot_upload(http: TestClient, world: World) -> None:
    world.principal("mallory", member=False)
    answer = http.post(
        "/api/v1/uploads",
        json=NEW,
        headers={"Authorization": f"Bearer {world.tokens['mallory']}"},
    )
    assert answer.status_code == 403
    assert answer.json()["code"] == "not_project_member"


def test_hash_mismatch_stores_nothing(http: TestClient, world: World, alice: Principal) -> None:
    client = client_for(http, world, "alice")
    upload = client.begin_upload(**NEW)
    with pytest.raises(CaveatError) as caught:
        client.put_content(upload["id"], [random_bytes(PART + 3)], "0" * 64)
    assert caught.value.code == "hash_mismatch"
    assert _count(world, UploadSessionRow) == 0
    assert _count(world, ArtifactRow) == 0
    assert list(world.node.artifacts.blobs.list()) == []


def test_size_limit_is_enforced_while_streaming(
    http: TestClient, world: World, alice: Principal
) -> None:
    world.node.artifacts.max_bytes = PART + 10
    client = client_for(http, world, "alice")
    upload = client.begin_upload(**NEW)
    data = random_bytes(2 * PART)
    with pytest.raises(CaveatError) as caught:
        client.put_content(upload["id"], [data[:PART], data[PART:]], sha(data))
    assert caught.value.code == "content_too_large"
    assert _count(world, UploadSessionRow) == 0
    assert list(world.node.artifacts.blobs.list()) == []


def test_octet_stream_only_on_upload_endpoints(http: TestClient, world: World) -> None:
    answer = http.post(
        "/api/v1/uploads", content=b"xx", headers={"Content-Type": "application/octet-stream"}
    )
    assert answer.status_code == 415


def test_denied_reads_are_events_and_unreadable(
    http: TestClient, world: World, alice: Principal
) -> None:
    client = client_for(http, world, "alice")
    upload = client.begin_upload(**NEW)
    artifact = client.put_content(upload["id"], [b"secret"], sha(b"secret"))["artifact_id"]
    world.principal("gaston", nations=("FRA",), member=True)
    stranger = client_for(http, world, "gaston")
    with pytest.raises(CaveatError) as caught:
        stranger.download(artifact, io.BytesIO())
    assert caught.value.code in ("unknown_artifact", "policy_denied")
    denied = [e for e in _events(world, "artifact.downloaded") if e["outcome"] == "denied"]
    assert len(denied) == 1


def test_show_gives_both_label_forms_versions_and_why(
    http: TestClient, world: World, alice: Principal
) -> None:
    client = client_for(http, world, "alice")
    upload = client.begin_upload(**NEW, controls=["ITAR:USML-XI(c)(1)"], keywords=["mach", "sled"])
    artifact = client.put_content(upload["id"], [b"v1"], sha(b"v1"))["artifact_id"]
    again = client.begin_upload(artifact_id=artifact)
    client.put_content(again["id"], [b"v2!"], sha(b"v2!"))
    with pytest.raises(InvalidInput):
        client.relabel(artifact, "SECRET//REL TO USA, AUS, GBR", reason="")
    # A wider REL TO is a release, not a relabel: 202 with the release request.
    widened = client.relabel(artifact, "SECRET//REL TO USA, AUS, GBR", reason="AUS joins")
    assert widened["outcome"] == "release_requested"
    # The originator narrows it at once; the entries, not resent, stay.
    narrowed = client.relabel(artifact, "SECRET//NOFORN", reason="US only for now")
    assert narrowed["outcome"] == "applied"
    shown = client.artifact(artifact)
    assert [v["number"] for v in shown["versions"]] == [1, 2]
    assert [lab["seq"] for lab in shown["labels"]] == [1, 2]
    assert shown["banner"] == "SECRET//NOFORN"  # the current label
    assert shown["labels"][0]["banner"] == "SECRET//REL TO USA, GBR"  # history is kept
    assert shown["viewer_banner"]
    assert shown["export"] == ["ITAR:USML-XI(c)(1)"]
    assert shown["read"]["permitted"] is True
    out = io.BytesIO()
    client.download(artifact, out, version=1)
    assert out.getvalue() == b"v1"
