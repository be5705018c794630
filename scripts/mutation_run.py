"""Check mutmut's mutants one at a time in forked children (docs/testing.md, "Mutation testing").

mutmut's own runner re-starts pytest for every mutant, which on a busy two-core machine
costs several seconds before the first test runs. This runner uses mutmut's mutated tree
(``mutants/src``) and its trampoline, but imports pytest, Caveat and the selected test
modules once, then forks one child per mutant: the child names the mutant
(``MUTANT_UNDER_TEST``, which mutmut's trampoline reads on every call) and runs
``pytest -x`` on those of the given tests that call the mutated function (found by one
clean run in the trampoline's "stats" mode), fastest first; none: "no tests" (33).
The result goes into mutmut's own ``.meta`` records,
with mutmut's exit codes, so ``.ci/mutation_report.py`` and ``mutmut results`` read it.

    python scripts/mutation_run.py generate
    nice -n 19 python scripts/mutation_run.py run "caveat.domain.policy.*" \\
        tests/policy/test_decide.py tests/policy/test_cedar_oracle.py

``run`` checks only mutants not yet checked (``--recheck``: every matching one again;
``--only FILE``: the named ones first, checked or not) and saves after each one, so it
can be stopped and started again. ``--shuffle SEED`` makes a stopped run a fair sample;
``--budget S`` caps the clean-run seconds of tests per mutant (survivors can only be
overcounted). A failure of the
given tests is a failure of ``make mutate``'s wider selection too, so a kill here is a
kill there; a survivor here may be killed by a slower test outside the given ones.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import random
import signal
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MUTANTS = ROOT / "mutants"
# mutmut's exit codes (mutmut.stats.status_by_exit_code).
KILLED, SURVIVED, TIMEOUT, NO_TESTS = 1, 0, 36, 33
PYTEST_ARGS = ["-q", "-n", "0", "-p", "no:randomly", "-p", "no:cacheprovider"]


def generate() -> int:
    """Write ``mutants/`` as ``mutmut run`` does before it runs any test."""
    os.chdir(ROOT)
    from mutmut.__main__ import create_mutants
    from mutmut.utils.file_utils import copy_also_copy_files, copy_src_dir, setup_source_paths

    MUTANTS.mkdir(exist_ok=True)
    copy_src_dir()
    copy_also_copy_files()
    setup_source_paths()
    stats = create_mutants(1)
    print(f"{stats.mutated} files mutated, {stats.unmodified} unchanged")
    return 0


def _records() -> list[tuple[Path, dict[str, object]]]:
    return [
        (meta, json.loads(meta.read_text(encoding="utf-8")))
        for meta in sorted(MUTANTS.rglob("*.py.meta"))
    ]


def _save(meta: Path, data: dict[str, object]) -> None:
    partial = meta.with_suffix(".partial")
    partial.write_text(json.dumps(data, indent=4), encoding="utf-8")
    partial.replace(meta)


def _forget_clean_run() -> None:
    """In the child: drop what the parent's clean run computed with the unmutated code.

    Caveat's memoised functions (``functools.cache``/``lru_cache``: the screening
    normaliser's ``analyse`` and ``fold``, the shipped label schemes) would answer from
    the clean run and hide a mutant in anything they call, and a test module's
    module-level values (schemes and directories built at import) were built by the
    unmutated code too: clear the caches and let pytest import the test modules again.
    """
    for module_name, module in list(sys.modules.items()):
        if module_name == "caveat" or module_name.startswith("caveat."):
            for value in list(vars(module).values()):
                clear = getattr(value, "cache_clear", None)
                if callable(clear) and getattr(value, "__module__", None) == module_name:
                    clear()
        elif module_name == "tests" or module_name.startswith("tests."):
            del sys.modules[module_name]


def _check(name: str, tests: list[str], timeout: float) -> tuple[int, float]:
    """Run the tests against one mutant in a forked child; mutmut's exit code for it."""
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:  # the child: name the mutant, run pytest, never return
        try:
            from mutmut.mutation.trampoline import set_mutant_under_test

            set_mutant_under_test(name)
            _forget_clean_run()
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            import pytest

            code = int(pytest.main(["-x", *PYTEST_ARGS, *tests]))
        except BaseException:
            code = 3
        os._exit(code)
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() - started > timeout:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return TIMEOUT, time.monotonic() - started
        time.sleep(0.02)
    elapsed = time.monotonic() - started
    if os.WIFSIGNALED(status):
        return TIMEOUT, elapsed
    code = os.WEXITSTATUS(status)
    # pytest: 0 passed, 1 a test failed, 2 a collection error (the mutant broke an import),
    # 3 an internal error, 5 no test selected.
    return {0: SURVIVED, 1: KILLED, 2: KILLED, 3: KILLED, 5: NO_TESTS}.get(code, code), elapsed


class _TestsByFunction:
    """A pytest plugin for the clean run: which mutated functions each test calls (through
    mutmut's trampoline in its "stats" mode), and how long each test takes."""

    def __init__(self) -> None:
        self.hits: set[str] = set()
        self.functions_by_test: dict[str, set[str]] = {}
        self.seconds: dict[str, float] = {}
        self._started = 0.0

    def record(self, name: str, caller: str | None = None) -> None:
        self.hits.add(name)

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        self.hits = set()
        self._started = time.monotonic()

    def pytest_runtest_logfinish(self, nodeid: str) -> None:
        self.functions_by_test[nodeid] = self.hits
        self.seconds[nodeid] = time.monotonic() - self._started


def _clean_run(tests: list[str]) -> _TestsByFunction | None:
    import pytest
    from mutmut.mutation import trampoline

    plugin = _TestsByFunction()
    trampoline.record_trampoline_hit = plugin.record  # type: ignore[attr-defined]
    os.environ["MUTANT_UNDER_TEST"] = "stats"
    code = pytest.main([*PYTEST_ARGS, *tests], plugins=[plugin])
    os.environ["MUTANT_UNDER_TEST"] = ""
    return None if code else plugin


def _within(tests: list[str], seconds: dict[str, float], budget: float | None) -> list[str]:
    """The fastest tests first, as many as fit in ``budget`` seconds of the clean run."""
    if budget is None:
        return tests
    kept: list[str] = []
    spent = 0.0
    for test in tests:
        spent += seconds[test]
        if kept and spent > budget:
            break
        kept.append(test)
    return kept


def run(
    pattern: str,
    tests: list[str],
    timeout: float,
    recheck: bool,
    budget: float | None,
    seed: int | None,
    only: frozenset[str] = frozenset(),
) -> int:
    os.chdir(ROOT)
    sys.path[:0] = [str(MUTANTS / "src"), str(ROOT)]
    os.environ["PYTHONPATH"] = os.pathsep.join([str(MUTANTS / "src"), str(ROOT)])
    os.environ.setdefault("CAVEAT_HYPOTHESIS_PROFILE", "mutation")
    import caveat

    assert Path(caveat.__file__).is_relative_to(MUTANTS), caveat.__file__
    # One clean run in the parent: every child starts with the imports done, and each
    # mutant is checked only by the tests that call its function, fastest first. The
    # clean run must pass, or no survivor means anything.
    clean = _clean_run(tests)
    if clean is None:
        print("the tests fail without a mutant: fix that first")
        return 1
    todo = [
        (meta, data, name)
        for meta, data in _records()
        for name, code in data["exit_code_by_key"].items()  # type: ignore[attr-defined]
        if name in only or (fnmatch.fnmatchcase(name, pattern) and (code is None or recheck))
    ]
    if seed is not None:  # a run that may not finish checks a fair sample first
        random.Random(seed).shuffle(todo)  # noqa: S311 (an order, not a secret)
    todo.sort(key=lambda item: item[2] not in only)  # the names given first
    print(f"{len(todo)} mutants to check", flush=True)
    for count, (meta, data, name) in enumerate(todo, 1):
        function = name.partition("__mutmut_")[0]
        selected = sorted(
            (test for test, hits in clean.functions_by_test.items() if function in hits),
            key=clean.seconds.__getitem__,
        )
        selected = _within(selected, clean.seconds, budget)
        code, elapsed = _check(name, selected, timeout) if selected else (NO_TESTS, 0.0)
        data["exit_code_by_key"][name] = code  # type: ignore[index]
        _save(meta, data)
        print(f"{count}/{len(todo)} {name} {code} {elapsed:.1f}s {len(selected)} tests", flush=True)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("generate", help="write mutants/ with mutmut")
    runner = commands.add_parser("run", help="check the mutants whose names match a pattern")
    runner.add_argument("pattern", help='fnmatch pattern, e.g. "caveat.domain.policy.*"')
    runner.add_argument("tests", nargs="+", help="test files or node ids to run per mutant")
    runner.add_argument("--timeout", type=float, default=120.0, help="seconds per mutant")
    runner.add_argument("--recheck", action="store_true", help="check checked mutants again")
    runner.add_argument(
        "--budget",
        type=float,
        help="seconds of the clean run's tests per mutant (fastest first); a mutant that "
        "survives them is recorded as a survivor, to be checked again without a budget",
    )
    runner.add_argument(
        "--only",
        type=Path,
        help="a file of mutant names (one a line) to check first, checked or not",
    )
    runner.add_argument("--shuffle", type=int, metavar="SEED", help="check in a seeded order")
    args = parser.parse_args()
    if args.command == "generate":
        return generate()
    only = frozenset(args.only.read_text().split()) if args.only else frozenset()
    return run(
        args.pattern, args.tests, args.timeout, args.recheck, args.budget, args.shuffle, only
    )


if __name__ == "__main__":
    sys.exit(main())
