"""Denied-party screening: recall and precision by variant kind on realistic variants of
real SDN names, beside a brute-force rapidfuzz baseline; per-query latency; every listed
name screened for itself; and issue 6's throughput (10,000 names against 20,000 entries).

The evaluation set (benchmarks/screening_variants.py) is generated, seeded, from the
real OFAC SDN list of 2024-05-03 (tests/data/screening): labelled variants of listed
individuals' and entities' names by kind, and names that are not on the list.

- recall: the share of variants for which the party they were made from is among the
  matches (the service raises every match as a hit);
- query precision: of the queries with any match, the share that are variants whose
  party is matched (a negative with a match, or a variant matched only to other
  parties, counts against it);
- baseline: brute-force rapidfuzz over every listed name (``token_sort_ratio``, and
  ``token_set_ratio`` when both names have two or more words, on anyascii and
  rapidfuzz's default processing), threshold 88, the best five — the blocking index's
  peer, without its normalisation.

``python -m benchmarks.screening`` runs it all (``--quick`` for a short run,
``--before <git revision>`` to measure the matcher as it was at that revision on the
same set).
"""

from __future__ import annotations

import argparse
import importlib
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from anyascii import anyascii
from rapidfuzz import fuzz, process, utils

from benchmarks.common import percentile, write_result
from benchmarks.screening_variants import (
    GIVEN_POOL,
    NEGATIVE_KINDS,
    ORG_FIRST,
    POSITIVE_KINDS,
    Query,
    evaluation_set,
    sdn_parties,
)
from caveat.domain.screening import ListedParty, Matcher, PartyKind, score

Key = tuple[str, str]
Screen = Callable[[str], list[Key]]
ROOT = Path(__file__).parents[1]


def _key(party: ListedParty) -> Key:
    return (party.source, party.entry_id)


def evaluate(screen: Screen, queries: Sequence[Query]) -> dict[str, Any]:
    """Recall and query precision per positive kind, false alarms per negative kind,
    query precision over all, latency."""
    found: dict[str, list[bool]] = defaultdict(list)
    answered_by_kind: dict[str, int] = defaultdict(int)  # queries with any match
    misses: dict[str, list[str]] = defaultdict(list)
    true_queries = false_queries = 0
    latencies: list[float] = []
    hits_per_query: list[int] = []
    cpu: list[float] = []
    for query in queries:
        started, started_cpu = time.perf_counter_ns(), time.thread_time_ns()
        keys = screen(query.text)
        latencies.append((time.perf_counter_ns() - started) / 1e6)
        cpu.append((time.thread_time_ns() - started_cpu) / 1e6)
        hits_per_query.append(len(keys))
        if query.party is None:
            found[query.kind].append(bool(keys))
            false_queries += bool(keys)
            if keys and len(misses[query.kind]) < 20:
                misses[query.kind].append(query.text)
            continue
        ok = _key(query.party) in keys
        found[query.kind].append(ok)
        answered_by_kind[query.kind] += bool(keys)
        if ok:
            true_queries += 1
        else:
            false_queries += bool(keys)
            if len(misses[query.kind]) < 20:
                misses[query.kind].append(f"{query.text}  <-  {query.source_name}")
    positives = [ok for kind in POSITIVE_KINDS for ok in found.get(kind, [])]
    negatives = [hit for kind in NEGATIVE_KINDS for hit in found.get(kind, [])]
    answered = true_queries + false_queries
    return {
        "queries": len(queries),
        "recall": round(sum(positives) / len(positives), 4) if positives else None,
        "query_precision": round(true_queries / answered, 4) if answered else None,
        "negatives_with_any_hit": round(sum(negatives) / len(negatives), 4) if negatives else None,
        "by_kind": {
            kind: _kind_row(found[kind], answered_by_kind[kind], positive=kind in POSITIVE_KINDS)
            for kind in (*POSITIVE_KINDS, *NEGATIVE_KINDS)
            if found.get(kind)
        },
        "latency_ms": {
            "median": round(statistics.median(latencies), 3),
            "mean": round(statistics.fmean(latencies), 3),
            "p95": round(percentile(latencies, 95), 3),
            "p99": round(percentile(latencies, 99), 3),
        },
        "cpu_ms": {  # the thread's own time: what the other work on the cores does not add
            "median": round(statistics.median(cpu), 3),
            "mean": round(statistics.fmean(cpu), 3),
        },
        "matches_per_query": {
            "mean": round(statistics.fmean(hits_per_query), 2),
            "max": max(hits_per_query),
        },
        "misses": {kind: texts for kind, texts in misses.items() if texts},
    }


def _kind_row(found: list[bool], answered: int, *, positive: bool) -> dict[str, Any]:
    """One kind's row: its recall and query precision (of its queries with any match, the
    share matched to their own party), or for negatives the share with any match."""
    share = round(sum(found) / len(found), 4)
    if not positive:
        return {"n": len(found), "with_hit": share}
    precision = round(sum(found) / answered, 4) if answered else None
    return {"n": len(found), "recall": share, "query_precision": precision}


def matcher_screen(matcher: Any) -> Screen:
    """A matcher's ``screen`` (the service's call, default limit) as party keys."""

    def screen(text: str) -> list[Key]:
        return [_key(m.party) for m in matcher.screen(text)]

    return screen


def _baseline_process(text: str) -> str:
    return str(utils.default_process(anyascii(text)))


class Baseline:
    """Brute-force rapidfuzz over every listed name; see the module docstring."""

    def __init__(self, parties: Sequence[ListedParty], threshold: float = 88) -> None:
        self.threshold = threshold
        self.keys = [_key(p) for p in parties for _ in p.names]
        self.names = [_baseline_process(n) for p in parties for n in p.names]
        self.multi = [" " in n for n in self.names]

    def screen(self, text: str) -> list[Key]:
        query = _baseline_process(text)
        if not query:
            return []
        scores: dict[int, float] = {}
        for _, value, i in process.extract(
            query, self.names, scorer=fuzz.token_sort_ratio, score_cutoff=self.threshold, limit=None
        ):
            scores[i] = value
        if " " in query:
            for _, value, i in process.extract(
                query,
                self.names,
                scorer=fuzz.token_set_ratio,
                score_cutoff=self.threshold,
                limit=None,
            ):
                if self.multi[i]:
                    scores[i] = max(scores.get(i, 0), value)
        best: dict[Key, float] = {}
        for i, value in scores.items():
            best[self.keys[i]] = max(best.get(self.keys[i], 0), value)
        return [k for k, _ in sorted(best.items(), key=lambda kv: -kv[1])[:5]]


def own_names(screen: Screen, parties: Sequence[ListedParty]) -> dict[str, Any]:
    """Every name of every listed individual and entity screened as written: the parties
    not among their own name's matches."""
    missing = []
    checked = 0
    for party in parties:
        if party.kind not in (PartyKind.INDIVIDUAL, PartyKind.ENTITY):
            continue
        for name in party.names:
            checked += 1
            if _key(party) not in screen(name):
                missing.append(f"{name} ({party.entry_id})")
    return {"names": checked, "not_found": len(missing), "examples": missing[:20]}


def blocking_loss(
    matcher: Any, pair_score: Callable[[str, str], float], queries: Sequence[Query]
) -> dict[str, Any]:
    """One-edit variants (the typo kinds) that the matcher's own score accepts against the
    name they were made from, but that its index does not find (no top-k cut here)."""
    typos = [q for q in queries if q.kind.startswith("typo_") and q.party is not None]
    accepted = [q for q in typos if pair_score(q.text, q.source_name) >= matcher.threshold]
    lost = [
        q
        for q in accepted
        if q.party is not None
        and _key(q.party) not in [_key(m.party) for m in matcher.screen(q.text, limit=10_000)]
    ]
    return {
        "one_edit_variants": len(typos),
        "accepted_by_the_score": len(accepted),
        "not_found_by_the_index": len(lost),
        "share_lost": round(len(lost) / len(accepted), 4) if accepted else None,
        "examples": [f"{q.text}  <-  {q.source_name}" for q in lost[:10]],
    }


def matcher_at(revision: str) -> type:
    """The ``Matcher`` class as it was at a git revision (normalise and matcher modules),
    loaded beside the current code for a before/after comparison."""
    folder = Path(tempfile.mkdtemp(prefix="caveat-screening-"))
    package = folder / "screening_before"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for name in ("normalise", "matcher"):
        source = subprocess.run(
            ["git", "show", f"{revision}:src/caveat/domain/screening/{name}.py"],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        source = source.replace(
            "caveat.domain.screening.normalise", "screening_before.normalise"
        ).replace("caveat.domain.screening.matcher", "screening_before.matcher")
        (package / f"{name}.py").write_text(source)
    sys.path.insert(0, str(folder))
    module = importlib.import_module("screening_before.matcher")
    return module.Matcher  # type: ignore[no-any-return]


def _subset(queries: Sequence[Query], per_kind: int) -> list[Query]:
    taken: dict[str, int] = defaultdict(int)
    out = []
    for query in queries:
        if taken[query.kind] < per_kind:
            taken[query.kind] += 1
            out.append(query)
    return out


def throughput(
    parties: Sequence[ListedParty], queries: Sequence[Query], matcher_class: Any = Matcher
) -> dict[str, Any]:
    """Issue 6: 10,000 names screened against the list topped up to 20,000 entries."""
    rng = random.Random(20261125)
    topped = list(parties)
    for i in range(20_000 - len(topped)):
        topped.append(
            ListedParty(
                "synthetic",
                f"x{i}",
                f"{rng.choice(ORG_FIRST)} {rng.choice(GIVEN_POOL)} Trading Co",
                PartyKind.ENTITY,
            )
        )
    started = time.perf_counter()
    matcher = matcher_class(topped)
    built = time.perf_counter() - started
    texts = [q.text for q in queries]
    texts = (texts * (10_000 // len(texts) + 1))[:10_000]
    started, started_cpu = time.perf_counter(), time.thread_time()
    matcher.screen_many(texts)
    elapsed, cpu = time.perf_counter() - started, time.thread_time() - started_cpu
    return {
        "screen_cpu_s": round(cpu, 2),
        "list_entries": len(topped),
        "names": len(texts),
        "index_build_s": round(built, 2),
        "screen_s": round(elapsed, 2),
        "per_name_ms": round(elapsed / len(texts) * 1000, 3),
    }


def run(
    per_kind: int = 400, baseline_per_kind: int = 100, before: str | None = None
) -> dict[str, Any]:
    parties = sdn_parties()
    queries = evaluation_set(parties, per_kind=per_kind)
    started = time.perf_counter()
    matcher = Matcher(parties)
    index_s = time.perf_counter() - started
    result: dict[str, Any] = {
        "list": "OFAC SDN 2024-05-03",
        "list_entries": len(parties),
        "list_names_with_aliases": sum(len(p.names) for p in parties),
        "index_build_s": round(index_s, 2),
        "evaluation_set": {
            "positives_per_kind": per_kind,
            "queries": len(queries),
            "positives": sum(1 for q in queries if q.party is not None),
            "negatives": sum(1 for q in queries if q.party is None),
        },
        "matcher": evaluate(matcher_screen(matcher), queries),
        "own_names": own_names(matcher_screen(matcher), parties),
        "blocking_loss": blocking_loss(matcher, score, queries),
    }
    subset = _subset(queries, baseline_per_kind)
    result["baseline_bruteforce"] = evaluate(Baseline(parties).screen, subset)
    result["baseline_bruteforce"]["subset_per_kind"] = baseline_per_kind
    if before:
        old_class = matcher_at(before)
        old = old_class(parties)
        old_module = sys.modules[old_class.__module__]
        old_normalise = sys.modules["screening_before.normalise"].normalise_name

        def old_score(query: str, name: str) -> float:
            return float(old_module.score(old_normalise(query), old_normalise(name)))

        started = time.perf_counter()
        old_class(parties)
        result["before"] = {
            "revision": before,
            "index_build_s": round(time.perf_counter() - started, 2),
            "throughput_issue6": throughput(parties, queries, old_class),
            **evaluate(matcher_screen(old), queries),
            "own_names": own_names(matcher_screen(old), parties),
            "blocking_loss": blocking_loss(old, old_score, queries),
        }
    result["throughput_issue6"] = throughput(parties, queries)
    write_result("screening", result)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="60 variants a kind, no baseline")
    parser.add_argument("--before", help="also measure the matcher at this git revision")
    args = parser.parse_args()
    if args.quick:
        parties = sdn_parties()
        queries = evaluation_set(parties, per_kind=60)
        print(_summary(evaluate(matcher_screen(Matcher(parties)), queries)))
        return
    result = run(before=args.before)
    print(_summary(result["matcher"]))


def _summary(result: dict[str, Any]) -> str:
    lines = [
        f"recall {result['recall']}  query precision {result['query_precision']}  "
        f"negatives with a hit {result['negatives_with_any_hit']}  latency {result['latency_ms']}"
    ]
    for kind, row in result["by_kind"].items():
        lines.append(f"  {kind:20} {row}")
    for kind, texts in result["misses"].items():
        lines.append(f"  misses {kind}: {texts[:6]}")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
