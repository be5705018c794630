"""The README's run command, for real: `caveat demo` in a subprocess, a login over HTTP."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from caveat.client import CaveatClient
from caveat.domain.errors import AuthenticationFailed, CaveatError, Throttled
from caveat.services.demo import DEMO_PASSWORD
from tests.support import die_with_parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def caveat(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "caveat", *args],
        env=env,
        text=True,
        capture_output=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def demo_server(tmp_path: Path) -> Iterator[tuple[str, dict[str, str], Path]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAVEAT_")}
    data_dir = tmp_path / "demo"
    port = free_port()
    log = (tmp_path / "demo.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "caveat", "--data-dir", str(data_dir), "demo", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=die_with_parent,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with CaveatClient(url, timeout=2) as client:
                    if client.ready()["status"] == "ready":
                        break
            except CaveatError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("demo did not come up:\n" + (tmp_path / "demo.log").read_text())
            time.sleep(0.2)
        yield url, env, data_dir
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


@pytest.mark.slow
def test_demo_comes_up_and_a_demo_user_signs_in(
    demo_server: tuple[str, dict[str, str], Path],
) -> None:
    url, env, data_dir = demo_server
    code = caveat("--data-dir", str(data_dir), "demo", "code", "priya", env=env)
    assert code.returncode == 0, code.stderr
    otp = code.stdout.strip()
    assert len(otp) == 6
    with CaveatClient(url) as client:
        client.login("priya", DEMO_PASSWORD, otp)
        me = client.me()
        assert me["citizenships"] == ["GBR", "IND"]  # a dual national
        assert me["organisation_name"] == "Northwind Sensors Ltd"
    # The CLI's remote commands go through the SDK and keep the token in a 0600 file.
    config = data_dir.parent / "config"
    env = {**env, "CAVEAT_CONFIG_DIR": str(config)}
    login = caveat(
        "login",
        "--server",
        url,
        "--username",
        "alice",
        "--password",
        DEMO_PASSWORD,
        "--otp",
        caveat("--data-dir", str(data_dir), "demo", "code", "alice", env=env).stdout.strip(),
        "--json",
        env=env,
    )
    assert login.returncode == 0, login.stdout + login.stderr
    assert stat.S_IMODE((config / "credentials.json").stat().st_mode) == 0o600
    whoami = caveat("whoami", "--json", env=env)
    assert json.loads(whoami.stdout)["username"] == "alice"
    assert caveat("logout", "--json", env=env).returncode == 0
    assert caveat("whoami", "--json", env=env).returncode == 3
    # The demo holds content: the dual national lists what he may read (not NOFORN).
    sam_otp = caveat("--data-dir", str(data_dir), "demo", "code", "sam", env=env).stdout.strip()
    login = caveat(
        "login", "--server", url, "--username", "sam", "--password", DEMO_PASSWORD,
        "--otp", sam_otp, "--json", env=env,
    )  # fmt: skip
    assert login.returncode == 0, login.stdout + login.stderr
    listed = caveat("ls", "--json", env=env)
    assert listed.returncode == 0, listed.stdout + listed.stderr
    titles = {item["title"] for item in json.loads(listed.stdout)["items"]}
    assert "Passive sensor trial report, phase 1" in titles
    assert "Radar cross-section measurements, X band" not in titles
    # The demo's live channel: published to and followed over the WebSocket from the CLI.
    sent = caveat(
        "channel", "publish", "Trial status", "range clear at 14:00",
        "--label", "UNCLASSIFIED", "--json", env=env,
    )  # fmt: skip
    assert sent.returncode == 0, sent.stdout + sent.stderr
    tailed = caveat(
        "channel", "tail", "Trial status", "--after", "0", "--count", "1",
        "--websocket", "--json", env=env,
    )  # fmt: skip
    assert tailed.returncode == 0, tailed.stdout + tailed.stderr
    [message] = [json.loads(line) for line in tailed.stdout.splitlines()]
    assert (message["event"], message["body"], message["publisher"]) == (
        "message",
        "range clear at 14:00",
        "sam",
    )
    assert caveat("logout", "--json", env=env).returncode == 0
    # Suspended; the demo's own failed sign-ins for her may have throttled her too.
    with CaveatClient(url) as client, pytest.raises((AuthenticationFailed, Throttled)):
        client.login(
            "mallory",
            DEMO_PASSWORD,
            caveat("--data-dir", str(data_dir), "demo", "code", "mallory", env=env).stdout.strip(),
        )
