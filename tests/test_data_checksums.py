"""The test data under tests/data is exactly what tests/data/README.md describes.

Every file there (other than the README, the checksum list and the scripts that rebuild
data) is listed in tests/data/SHA256SUMS with its SHA-256, and the README names each
checksum. A changed, missing or unlisted file fails here, loudly, instead of silently
changing what the conformance, screening and upgrade tests prove.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

DATA = Path(__file__).parent / "data"
SUMS = DATA / "SHA256SUMS"
NOT_DATA = {"README.md", "SHA256SUMS", ".gitattributes"}
SCRIPT_SUFFIXES = {".sh", ".py"}


def _listed() -> dict[str, str]:
    listed: dict[str, str] = {}
    for number, line in enumerate(SUMS.read_text(encoding="ascii").splitlines(), 1):
        digest, _, name = line.partition("  ")
        assert len(digest) == 64, f"SHA256SUMS line {number} is not `<sha256>  <path>`"
        listed[name] = digest
    return listed


def _on_disk() -> set[str]:
    return {
        path.relative_to(DATA).as_posix()
        for path in DATA.rglob("*")
        if path.is_file()
        and path.name not in NOT_DATA
        and path.suffix not in SCRIPT_SUFFIXES
        and "__pycache__" not in path.parts
    }


def test_every_data_file_is_listed_and_every_listed_file_exists() -> None:
    listed, present = set(_listed()), _on_disk()
    assert not present - listed, f"data files with no checksum in SHA256SUMS: {present - listed}"
    assert not listed - present, f"files in SHA256SUMS missing from tests/data: {listed - present}"


def test_every_data_file_has_its_recorded_checksum() -> None:
    changed = {
        name: (digest, hashlib.sha256((DATA / name).read_bytes()).hexdigest())
        for name, digest in _listed().items()
    }
    changed = {name: pair for name, pair in changed.items() if pair[0] != pair[1]}
    assert not changed, (
        "test data differs from its recorded SHA-256 (recorded, actual): "
        f"{changed}; if the change is deliberate, update SHA256SUMS and README.md together"
    )


def test_the_readme_names_every_checksum() -> None:
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    missing = [name for name, digest in _listed().items() if digest not in readme]
    assert not missing, f"tests/data/README.md does not give the SHA-256 of {missing}"
