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
can be stopped and started again; saves are atomic and locked, so runners sharing one
``mutants/`` tree lose none of each other's results. A child that our timeout killed is
a timeout; one ended by another signal is recorded as minus its number (a crash).
``--shuffle SEED`` makes a stopped run a fair sample; ``--budget S`` caps the clean-run
seconds of tests per mutant (survivors can only be overcounted). A failure of the
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
from collections.abc import Callable
from pathlib import Path

if not __package__:  # run as a file (python scripts/mutation_run.py): the repository's root
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from scripts import mutation_store

ROOT = Path(__file__).resolve().parents[1]
MUTANTS = ROOT / "mutants"
# mutmut's exit codes (mutmut.stats.status_by_exit_code). A child ended by a signal we
# did not send is recorded as minus the signal's number, as mutmut does (its stats call
# -9 and -11 "segfault"); .ci/mutation_report.py counts those as "crashed", not killed.
KILLED, SURVIVED, TIMEOUT, NO_TESTS = 1, 0, 36, 33
PYTEST_ARGS = ["-q", "-n", "0", "-p", "no:randomly", "-p", "no:cacheprovider"]
# pytest's exit code in the child -> mutmut's: 0 passed, 1 a test failed, 2 a collection
# error (the mutant broke an import), 3 an internal error, 5 no test selected, and 4 a
# "usage error": the child names tests by the node ids the clean run collected, so a node
# id not found means the mutant broke the import of that test's module (pytest reports
# "found no collectors" rather than a collection error when given node ids).
MUTMUT_CODE_BY_PYTEST_CODE = {0: SURVIVED, 1: KILLED, 2: KILLED, 3: KILLED, 4: KILLED, 5: NO_TESTS}


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


_locked = mutation_store.locked
_write_atomic = mutation_store.write_atomic


def _result_of(meta: Path, name: str) -> int | None:
    """``name``'s result as recorded now (another runner may have checked it meanwhile)."""
    with _locked(meta):
        codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
    return codes.get(name)  # type: ignore[no-any-return]


def _record(meta: Path, name: str, code: int) -> None:
    """Set ``name``'s result in ``meta`` and keep every other runner's results: the record
    is read again under the lock, not written from the copy read when the run began. The
    result is kept in the repository's store too (``mutation_store``), with the hash of
    the function it mutates, so the next machine need not check it again."""
    with _locked(meta):
        data = json.loads(meta.read_text(encoding="utf-8"))
        data["exit_code_by_key"][name] = code
        _write_atomic(meta, json.dumps(data, indent=4))
    function_hash = data.get("hash_by_function_name", {}).get(mutation_store.function_of(name))
    if function_hash:
        mutation_store.keep(name, function_hash, code)


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


def _exit_code(status: int, timed_out: bool) -> int:
    """mutmut's exit code for a child's wait status.

    Only our own SIGKILL after the timeout is a timeout (a kill in mutmut's score: the
    mutant made the tests hang). Any other signal (SIGSEGV, SIGABRT, the kernel's OOM
    killer's SIGKILL) is recorded as minus its number: a crash, which may be the mutant's
    doing or the machine's, so it is reported apart and checked again.
    """
    if os.WIFSIGNALED(status):
        if timed_out and os.WTERMSIG(status) == signal.SIGKILL:
            return TIMEOUT
        return -os.WTERMSIG(status)
    code = os.WEXITSTATUS(status)
    return MUTMUT_CODE_BY_PYTEST_CODE.get(code, code)


def _in_child(work: Callable[[], int], timeout: float) -> tuple[int, float]:
    """Run ``work`` in a forked child, killed after ``timeout`` seconds; mutmut's exit
    code for how it ended (``work`` returns pytest's exit code) and the seconds taken."""
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:  # the child: never return into the parent's code
        try:
            code = work()
        except BaseException:
            code = 3
        os._exit(code)
    timed_out = False
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() - started > timeout:
            # The child may end on its own between the check and the kill: the status
            # then says how, and only a death by our SIGKILL is counted as the timeout.
            timed_out = True
            os.kill(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
            break
        time.sleep(0.02)
    return _exit_code(status, timed_out), time.monotonic() - started


def _check(name: str, tests: list[str], timeout: float) -> tuple[int, float]:
    """Run the tests against one mutant in a forked child; mutmut's exit code for it."""

    def work() -> int:  # in the child: name the mutant, run pytest
        from mutmut.mutation.trampoline import set_mutant_under_test

        set_mutant_under_test(name)
        _forget_clean_run()
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        import pytest

        return int(pytest.main(["-x", *PYTEST_ARGS, *tests]))

    return _in_child(work, timeout)


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
    carried = mutation_store.restore(_records())
    print(f"{carried} results carried over from {mutation_store.STORE.name}", flush=True)
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
    for count, (meta, _, name) in enumerate(todo, 1):
        if name not in only and not recheck and _result_of(meta, name) is not None:
            print(f"{count}/{len(todo)} {name} checked by another runner", flush=True)
            continue
        function = name.partition("__mutmut_")[0]
        selected = sorted(
            (test for test, hits in clean.functions_by_test.items() if function in hits),
            key=clean.seconds.__getitem__,
        )
        selected = _within(selected, clean.seconds, budget)
        code, elapsed = _check(name, selected, timeout) if selected else (NO_TESTS, 0.0)
        _record(meta, name, code)
        print(f"{count}/{len(todo)} {name} {code} {elapsed:.1f}s {len(selected)} tests", flush=True)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("generate", help="write mutants/ with mutmut")
    commands.add_parser(
        "restore", help="fill mutants/ with the results kept in the repository (unchanged code)"
    )
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
    if args.command == "restore":
        print(f"{mutation_store.restore(_records())} results carried over")
        return 0
    only = frozenset(args.only.read_text().split()) if args.only else frozenset()
    return run(
        args.pattern, args.tests, args.timeout, args.recheck, args.budget, args.shuffle, only
    )


if __name__ == "__main__":
    sys.exit(main())
