"""Mutation results kept in the repository, so a run carries over between machines.

``mutants/`` is made afresh on every machine (and ignored by git), so a long run stopped
at a session's end used to lose everything but the report. Every result the runner
records (``scripts/mutation_run.py``) is also written here, keyed by the mutant's name
and the hash mutmut gives the *original* function it mutates (``hash_by_function_name``
in the ``.meta`` record), with the mutmut version. ``restore`` fills a fresh tree's
unchecked mutants from it: a result is reused only while its function is unchanged and
mutmut's version is the same, since a mutant's number names a different change once
either moves. New tests can kill a carried-over survivor: check survivors again with
``mutation_run.py run --only`` after adding tests (docs/testing.md).

    benchmarks/results/mutation-checked.json
    {"mutmut": "3.8.1", "results": {"<mutant name>": ["<function hash>", <code>], ...}}
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STORE = ROOT / "benchmarks" / "results" / "mutation-checked.json"
Results = dict[str, tuple[str, int]]


def mutmut_version() -> str:
    import mutmut

    return str(mutmut.__version__)


def function_of(name: str) -> str:
    """The mutated function's key in ``hash_by_function_name`` (``x_f`` of ``m.x_f__mutmut_3``)."""
    return name.partition("__mutmut_")[0].rpartition(".")[2]


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold ``path``'s lock file (``<name>.lock`` beside it) for a read-modify-write;
    ``flock`` is released when the process dies, so a stopped runner leaves no stale lock."""
    with open(path.with_name(path.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` by ``text`` at once, through a unique temporary file."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def load(store: Path | None = None, version: str | None = None) -> Results:
    """The kept results of this mutmut version (none if the store is of another)."""
    store = store or STORE
    if not store.exists():
        return {}
    data = json.loads(store.read_text(encoding="utf-8"))
    if data.get("mutmut") != (version or mutmut_version()):
        return {}
    return {name: (str(h), int(code)) for name, (h, code) in data["results"].items()}


def _dump(results: Results, version: str) -> str:
    # One result a line, in name order: a run's commit shows what it checked.
    lines = [
        f"    {json.dumps(name)}: {json.dumps([h, code])}"
        for name, (h, code) in sorted(results.items())
    ]
    body = ",\n".join(lines)
    return f'{{\n  "mutmut": {json.dumps(version)},\n  "results": {{\n{body}\n  }}\n}}\n'


def keep(name: str, function_hash: str, code: int, store: Path | None = None) -> None:
    """Add or replace ``name``'s result, keeping every other runner's."""
    store = store or STORE
    version = mutmut_version()
    with locked(store):
        results = load(store, version)
        results[name] = (function_hash, code)
        write_atomic(store, _dump(results, version))


def restore(records: list[tuple[Path, dict[str, object]]], store: Path | None = None) -> int:
    """Fill the unchecked mutants of ``records`` (``.meta`` files and their contents)
    whose function is unchanged from the store; the number filled."""
    results = load(store)
    filled = 0
    for meta, data in records:
        hashes: dict[str, str] = data.get("hash_by_function_name", {})  # type: ignore[assignment]
        codes: dict[str, int | None] = data["exit_code_by_key"]  # type: ignore[assignment]
        found = {
            name: kept[1]
            for name, code in codes.items()
            if code is None
            and (kept := results.get(name)) is not None
            and hashes.get(function_of(name)) == kept[0]
        }
        if not found:
            continue
        with locked(meta):
            fresh = json.loads(meta.read_text(encoding="utf-8"))
            for name, code in found.items():
                if fresh["exit_code_by_key"].get(name) is None:
                    fresh["exit_code_by_key"][name] = code
                    filled += 1
            write_atomic(meta, json.dumps(fresh, indent=4))
    return filled
