"""Write docs/errors.md from the error catalogue (src/caveat/domain/error_catalogue.py).

    python scripts/error_docs.py          # rewrite docs/errors.md
    python scripts/error_docs.py --check  # exit 1 if docs/errors.md is not current

``make errors-doc`` runs the first; tests/domain/test_error_catalogue.py checks the page
is current.
"""

from __future__ import annotations

import sys
from pathlib import Path

from caveat.cli.error_reference import markdown

OUT = Path(__file__).resolve().parents[1] / "docs" / "errors.md"


def main(argv: list[str]) -> int:
    text = markdown()
    if "--check" in argv:
        current = OUT.exists() and OUT.read_text(encoding="utf-8") == text
        if not current:
            print(f"{OUT} is not current: run `make errors-doc`", file=sys.stderr)
        return 0 if current else 1
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
