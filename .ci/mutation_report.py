"""Summarise a mutmut run per domain package (run by `make mutate`).

Reads the ``.meta`` files mutmut leaves under ``mutants/`` and prints, per package, how
many mutants the tests killed, how many survived, and the score (killed or timed out
over everything checked). Survivors are listed by name so each can be killed by a new
test or recorded as equivalent in docs/testing.md; so are crashes (a child ended by a
signal nobody's timeout sent), which count as checked and not killed until checked
again. Writes the same as JSON to ``benchmarks/results/mutation.json``.
"""

from __future__ import annotations

import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from scripts import mutation_store  # noqa: E402

PACKAGES = ("policy", "labels", "ledger", "screening")
# mutmut's exit codes: 1 and 3 killed, 0 survived, 36/24/152/255/-24 timed out (a kill:
# the mutant made the tests hang; mutmut's own runner sets a CPU limit, so SIGXCPU is its
# timeout), 33/5 no test reached it, 34 skipped, 37 type check. Any other negative code
# is a child ended by that signal (mutmut: -11, -9 "segfault"): crashed, which is not a
# kill, since a shared machine's OOM killer ends a child whatever the mutant.
KILLED = {1, 3, 37}
TIMEOUT = {36, 24, 152, 255, -24}
SURVIVED = {0}


def _package(meta: Path) -> str | None:
    parts = meta.relative_to(ROOT / "mutants").parts
    for name in PACKAGES:
        if "domain" in parts and name in parts:
            return name
    return None


def main() -> int:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    survivors: dict[str, list[str]] = defaultdict(list)
    crashed: dict[str, list[str]] = defaultdict(list)
    metas = sorted((ROOT / "mutants").rglob("*.py.meta"))
    # Results checked on earlier machines, for functions unchanged since (the store).
    records = [(meta, json.loads(meta.read_text(encoding="utf-8"))) for meta in metas]
    carried = mutation_store.restore(records)
    if carried:
        print(f"{carried} results carried over from {mutation_store.STORE.name}")
    for meta in metas:
        package = _package(meta)
        if package is None:
            continue
        data = json.loads(meta.read_text(encoding="utf-8"))
        for name, code in data.get("exit_code_by_key", {}).items():
            if code is None:
                counts[package]["not checked"] += 1
            elif code in KILLED:
                counts[package]["killed"] += 1
            elif code in TIMEOUT:
                counts[package]["timeout"] += 1
            elif code in SURVIVED:
                counts[package]["survived"] += 1
                survivors[package].append(name)
            elif code < 0:
                counts[package]["crashed"] += 1
                crashed[package].append(f"{name} (signal {-code})")
            else:
                counts[package]["no tests or skipped"] += 1
    if not counts:
        print("no mutation results under mutants/: run `make mutate` first")
        return 1
    out = ROOT / "benchmarks" / "results" / "mutation.json"
    # A package with nothing checked in this tree keeps its last report (runs are long and
    # done one package at a time, sometimes on different days).
    previous = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
    report = {}
    for package in PACKAGES:
        c = counts.get(package)
        if not c or c["not checked"] == sum(c.values()):
            if package in previous:
                report[package] = previous[package]
            continue
        checked = (
            c["killed"] + c["timeout"] + c["survived"] + c["crashed"] + c["no tests or skipped"]
        )
        score = (c["killed"] + c["timeout"]) / checked if checked else 0.0
        report[package] = {**c, "checked": checked, "score": round(score, 4)}
        report[package]["survivors"] = sorted(survivors[package])
        if crashed[package]:
            report[package]["crashes"] = sorted(crashed[package])
        print(
            f"{package:10} {score:7.1%} killed {c['killed'] + c['timeout']} of {checked}"
            f" (survived {c['survived']}, crashed {c['crashed']},"
            f" unreached {c['no tests or skipped']}, not yet checked {c['not checked']})"
        )
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"survivors listed in {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
