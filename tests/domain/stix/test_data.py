"""The published examples in data/ are exactly what data/README.md describes."""

from __future__ import annotations

import hashlib
import re

from tests.domain.stix.support import DATA

_ROW = re.compile(r"^\| `(?P<name>[^`]+)` \|.*\| `(?P<digest>[0-9a-f]{64})` \|$", re.MULTILINE)


def test_every_example_has_its_recorded_checksum() -> None:
    listed = {m["name"]: m["digest"] for m in _ROW.finditer((DATA / "README.md").read_text())}
    present = {p.name for p in DATA.glob("*.json")}
    assert set(listed) == present
    for name, digest in listed.items():
        assert hashlib.sha256((DATA / name).read_bytes()).hexdigest() == digest, name
