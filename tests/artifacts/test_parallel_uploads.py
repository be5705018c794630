"""Twenty people uploading 2 MiB at once on the embedded default (issue 12): before,
13 of 20 answered 503 database_unavailable. Every upload must land, be listed once and
read back bit for bit, and the ledger must hold each one's event."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from caveat.services.artifacts._search import SearchQuery
from caveat.services.artifacts._service import VersionView
from tests.artifacts.conftest import World, content, random_bytes

UPLOADS = 20
SIZE = 2 * 1024 * 1024


def test_twenty_parallel_uploads_all_land(world: World) -> None:
    people = [world.principal(f"user{i:02}") for i in range(UPLOADS)]
    payloads = [random_bytes(SIZE) for _ in range(UPLOADS)]

    def upload(i: int) -> VersionView:
        return world.put(people[i], payloads[i], title=f"Trial run {i}")

    with ThreadPoolExecutor(max_workers=UPLOADS) as pool:
        views = list(pool.map(upload, range(UPLOADS)))
    assert [v.size for v in views] == [SIZE] * UPLOADS
    listed = world.node.artifact_search.search(people[0], SearchQuery(limit=50)).items
    by_title = {item.title: item.id for item in listed}
    assert len(listed) == len(by_title) == UPLOADS  # each once
    for i in range(UPLOADS):
        assert content(world.node, people[i], by_title[f"Trial run {i}"]) == payloads[i]
