"""The mutation runner's bookkeeping (scripts/mutation_run.py, docs/testing.md).

How a child ended becomes the right record (only our own timeout is a timeout; another
signal is a crash), and two runners recording into the same ``.meta`` file at once lose
nothing and never leave a half-written file.
"""

from __future__ import annotations

import faulthandler
import json
import multiprocessing
import os
import signal
import time
from multiprocessing.synchronize import Barrier
from pathlib import Path

import pytest
from scripts import mutation_run, mutation_store


@pytest.fixture(autouse=True)
def _no_store_of_the_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Results these tests record never reach the repository's store."""
    monkeypatch.setattr(mutation_store, "STORE", tmp_path / "store.json")


def _exits(code: int) -> int:
    return code


def _dies_by(signum: int) -> int:
    faulthandler.disable()  # pytest's handler would print the child's stack on SIGSEGV
    os.kill(os.getpid(), signum)
    time.sleep(60)  # not reached: the signal ends the child
    return 0


def _hangs() -> int:
    time.sleep(60)
    return 0


def _raises() -> int:
    raise RuntimeError("the child's work failed")


@pytest.mark.parametrize(
    ("pytest_code", "recorded"),
    [
        (0, mutation_run.SURVIVED),
        (1, mutation_run.KILLED),
        (2, mutation_run.KILLED),
        (3, mutation_run.KILLED),
        (4, mutation_run.KILLED),  # a node id not found: the mutant broke its module
        (5, mutation_run.NO_TESTS),
    ],
)
def test_pytest_exit_codes_become_mutmut_codes(pytest_code: int, recorded: int) -> None:
    code, _ = mutation_run._in_child(lambda: _exits(pytest_code), timeout=30)
    assert code == recorded


def test_an_exception_in_the_child_is_a_kill() -> None:
    assert mutation_run._in_child(_raises, timeout=30)[0] == mutation_run.KILLED


@pytest.mark.parametrize("signum", [signal.SIGSEGV, signal.SIGABRT, signal.SIGKILL])
def test_a_child_ended_by_a_signal_is_a_crash_not_a_timeout(signum: int) -> None:
    # SIGKILL here stands for the OOM killer: the same signal as our timeout's, but
    # sent before any timeout, so not a timeout.
    code, elapsed = mutation_run._in_child(lambda: _dies_by(signum), timeout=30)
    assert code == -signum
    assert elapsed < 30


def test_a_child_killed_by_our_timeout_is_a_timeout() -> None:
    code, elapsed = mutation_run._in_child(_hangs, timeout=0.3)
    assert code == mutation_run.TIMEOUT
    assert 0.3 <= elapsed < 30


def test_wait_statuses_are_read_as_documented() -> None:
    exited_1 = 1 << 8
    by_sigkill = signal.SIGKILL
    by_sigsegv = signal.SIGSEGV
    assert mutation_run._exit_code(exited_1, timed_out=False) == mutation_run.KILLED
    assert mutation_run._exit_code(exited_1, timed_out=True) == mutation_run.KILLED
    assert mutation_run._exit_code(by_sigkill, timed_out=True) == mutation_run.TIMEOUT
    assert mutation_run._exit_code(by_sigkill, timed_out=False) == -signal.SIGKILL
    # The child segfaulted just before our kill: a crash, not our timeout.
    assert mutation_run._exit_code(by_sigsegv, timed_out=True) == -signal.SIGSEGV


def _meta(tmp_path: Path, names: list[str]) -> Path:
    meta = tmp_path / "engine.py.meta"
    record = {
        "exit_code_by_key": dict.fromkeys(names),
        "hash_by_function_name": {},
        "durations_by_key": {},
        "estimated_durations_by_key": {},
    }
    meta.write_text(json.dumps(record), encoding="utf-8")
    return meta


def _writer(meta: Path, names: list[str], start: Barrier) -> None:
    start.wait()
    for name in names:
        mutation_run._record(meta, name, mutation_run.KILLED)


def _reader(meta: Path, start: Barrier, until: float) -> None:
    """Read the record as mutmut does, without the lock, until ``until``: it must always be
    whole JSON (exit 1 otherwise)."""
    start.wait()
    while time.monotonic() < until:
        try:
            json.loads(meta.read_text(encoding="utf-8"))
        except ValueError:
            os._exit(1)


def test_two_runners_recording_into_one_meta_file_lose_nothing(tmp_path: Path) -> None:
    per_runner = 150
    names = [f"engine.x_decide__mutmut_{n}" for n in range(1, 2 * per_runner + 1)]
    meta = _meta(tmp_path, names)
    fork = multiprocessing.get_context("fork")
    start = fork.Barrier(3)
    runners = [
        fork.Process(target=_writer, args=(meta, names[:per_runner], start)),
        fork.Process(target=_writer, args=(meta, names[per_runner:], start)),
        fork.Process(target=_reader, args=(meta, start, time.monotonic() + 3)),
    ]
    for process in runners:
        process.start()
    for process in runners:
        process.join(120)
    assert [process.exitcode for process in runners] == [0, 0, 0]
    codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
    assert codes == dict.fromkeys(names, mutation_run.KILLED)
    # Every write went through a unique temporary file, and none is left behind.
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "engine.py.meta",
        "engine.py.meta.lock",
    ]


def test_a_record_keeps_the_other_keys_and_the_rest_of_the_file(tmp_path: Path) -> None:
    meta = _meta(tmp_path, ["a__mutmut_1", "a__mutmut_2"])
    mutation_run._record(meta, "a__mutmut_2", mutation_run.TIMEOUT)
    record = json.loads(meta.read_text(encoding="utf-8"))
    assert record["exit_code_by_key"] == {"a__mutmut_1": None, "a__mutmut_2": 36}
    assert set(record) == {
        "exit_code_by_key",
        "hash_by_function_name",
        "durations_by_key",
        "estimated_durations_by_key",
    }
    assert mutation_run._result_of(meta, "a__mutmut_2") == mutation_run.TIMEOUT
    assert mutation_run._result_of(meta, "a__mutmut_1") is None


def _meta_with_hashes(path: Path, codes: dict[str, int | None], hashes: dict[str, str]) -> Path:
    path.write_text(
        json.dumps({"exit_code_by_key": codes, "hash_by_function_name": hashes}), "utf-8"
    )
    return path


def test_results_are_kept_in_the_repository_and_carried_to_a_fresh_tree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run stopped on one machine goes on on the next: what the runner records is kept
    (name, the mutated function's hash), and a fresh ``mutants/`` tree is filled from it
    only where the function is unchanged and nothing was recorded yet."""
    store = tmp_path / "mutation-checked.json"
    monkeypatch.setattr(mutation_store, "STORE", store)
    name = "caveat.domain.m.x_f__mutmut_{}"
    first = _meta_with_hashes(
        tmp_path / "m.py.meta",
        {name.format(1): None, name.format(2): None, name.format(3): None},
        {"x_f": "aaa"},
    )
    mutation_run._record(first, name.format(1), mutation_run.KILLED)
    mutation_run._record(first, name.format(2), mutation_run.SURVIVED)
    assert mutation_store.load() == {name.format(1): ("aaa", 1), name.format(2): ("aaa", 0)}
    # The next machine: a fresh tree, one result already there, one function changed.
    fresh = _meta_with_hashes(
        tmp_path / "fresh.py.meta",
        {name.format(1): None, name.format(2): mutation_run.KILLED, name.format(3): None},
        {"x_f": "aaa"},
    )
    changed = _meta_with_hashes(
        tmp_path / "changed.py.meta", {"caveat.domain.m.x_f__mutmut_1": None}, {"x_f": "bbb"}
    )
    records = [(m, json.loads(m.read_text("utf-8"))) for m in (fresh, changed)]
    assert mutation_store.restore(records) == 1
    codes = json.loads(fresh.read_text("utf-8"))["exit_code_by_key"]
    assert codes == {name.format(1): 1, name.format(2): 1, name.format(3): None}
    assert json.loads(changed.read_text("utf-8"))["exit_code_by_key"] == {name.format(1): None}
    # Another mutmut numbers mutants differently: its results are not reused.
    assert mutation_store.load(version="0.0") == {}
    assert mutation_store.restore(records, store=tmp_path / "none.json") == 0
