"""Rebuild src/caveat/data/confusables.json from Unicode's confusables.txt (UTS #39).

    python scripts/confusables_to_json.py path/to/confusables.txt "where it came from"

Keeps only the source -> prototype map (every line of the file is of type MA) and the
file's provenance and SHA-256, so that the shipped data can be traced to its source.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "src" / "caveat" / "data" / "confusables.json"


def main(source: Path, origin: str) -> None:
    raw = source.read_bytes()
    prototypes: dict[str, str] = {}
    version = ""
    for line in raw.decode("utf-8-sig").splitlines():
        if line.startswith("# Version:"):
            version = line.split(":", 1)[1].strip()
        data = line.split("#", 1)[0].strip()
        if not data:
            continue
        char, prototype, kind = (field.strip() for field in data.split(";")[:3])
        if kind != "MA":
            raise SystemExit(f"unexpected mapping type {kind!r} in {line!r}")
        prototypes[chr(int(char, 16))] = "".join(chr(int(c, 16)) for c in prototype.split())
    document = {
        "source": f"Unicode Security Mechanisms for UTS #39, confusables.txt version "
        f"{version}, {origin}",
        "source_sha256": hashlib.sha256(raw).hexdigest(),
        "licence": "Unicode License (https://www.unicode.org/terms_of_use.html)",
        "rebuild": "scripts/confusables_to_json.py",
        "prototypes": dict(sorted(prototypes.items())),
    }
    OUT.write_text(json.dumps(document, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    print(f"{len(prototypes)} prototypes from {source} -> {OUT}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2])
