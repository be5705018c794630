"""The demo holds real content: every file is uploaded through the ordinary path, reads
back byte for byte, carries its marking, and each person lists what the policy allows."""

from __future__ import annotations

import io
import json
import re

import pytest
from PIL import Image

from caveat.bootstrap import demo_content
from caveat.bootstrap.container import Node, seed_demo
from caveat.services.artifacts import SearchQuery
from caveat.services.kernel.principal import Principal
from caveat.services.kernel.uow import CallContext
from tests.pdf_text import pdf_streams
from tests.support import FakeClock

# The demo's content, not the database: seeded on SQLite only (the whole demo each time).
pytestmark = pytest.mark.one_database

FILES = {f.title: f for f in demo_content.files()}


@pytest.fixture
def demo(node: Node) -> Node:
    seed_demo(node)
    return node


def _as(node: Node, clock: FakeClock, username: str) -> Principal:
    return Principal(person=node.people.get_person(username), mfa_at=clock())


def _visible(node: Node, clock: FakeClock, username: str) -> set[str]:
    page = node.artifact_search.search(_as(node, clock, username), SearchQuery(limit=200))
    return {item.title for item in page.items}


def test_every_demo_file_reads_back_as_uploaded_with_its_marking(
    demo: Node, clock: FakeClock
) -> None:
    for title, file in FILES.items():
        uploader = _as(demo, clock, file.uploader)
        artifact_id = demo.policy.resolve(title)
        view = demo.artifacts.show(uploader, artifact_id)
        assert view.banner == file.marking
        assert [v.media_type for v in view.versions] == [file.media_type]
        content = demo.artifacts.open_content(uploader, CallContext.cli(), artifact_id)
        assert b"".join(content.chunks) == file.content()


def test_each_person_lists_what_the_policy_lets_them_read(demo: Node, clock: FakeClock) -> None:
    everything = set(FILES)
    # The US researcher is in both projects and in every REL TO list.
    assert _visible(demo, clock, "alice") == everything
    # The dual national (GBR, USA) is refused NOFORN: he holds a foreign nationality.
    assert _visible(demo, clock, "sam") == everything - {"Radar cross-section measurements, X band"}
    # The French researcher is in no REL TO list; EAR99 needs no licence.
    assert _visible(demo, clock, "claire") == {"Sensor calibration results, run 14"}
    # The uncleared university researcher is in neither project.
    assert _visible(demo, clock, "lars") == set()


def test_the_report_is_marked_at_the_top_and_bottom_of_every_page() -> None:
    pdf = FILES["Passive sensor trial report, phase 1"].content()
    pages = re.findall(rb"/Type /Page\b", pdf)
    streams = pdf_streams(pdf)
    marked = [s for s in streams if s.count(b"(SECRET//REL TO USA, GBR) Tj") == 2]
    assert len(pages) >= 2
    assert len(marked) == len(pages)


def test_the_other_formats_carry_their_marking_where_they_have_room() -> None:
    for title in ("Radar cross-section measurements, X band", "Sensor calibration results, run 14"):
        first, *rows = FILES[title].content().decode().splitlines()
        assert first == f"# {FILES[title].marking}"
        assert len(rows) > 10
    bundle = json.loads(FILES["Emitter threat report TR-7"].content())
    assert bundle["x_caveat_marking"] == "//GBR SECRET//REL TO USA, GBR"
    assert [o["type"] for o in bundle["objects"]] == ["indicator", "report"]
    image = Image.open(io.BytesIO(FILES["Antenna array gain pattern"].content()))
    image.load()  # decodes every row: a bad CRC or stream would raise
    assert (image.format, image.mode, image.size) == ("PNG", "L", (128, 128))


def test_the_demo_files_are_the_same_bytes_every_time() -> None:
    again = {f.title: f.content() for f in demo_content.files()}
    assert again == {title: f.content() for title, f in FILES.items()}
