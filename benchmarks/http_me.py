"""GET /api/v1/me through uvicorn with 2 workers, loaded with wrk on the same machine.

Peer in the same run: GET /healthz on the same server (no authentication, no database),
so the ratio isolates what authentication and the person lookup cost per request.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import write_result
from caveat.bootstrap.container import FirstOperator, init_node
from caveat.bootstrap.settings import HashProfile, Settings
from caveat.client import CaveatClient
from caveat.domain.credentials import totp_code
from caveat.domain.errors import CaveatError

DURATION_S = int(os.environ.get("CAVEAT_BENCH_SECONDS", "15"))
CONNECTIONS = 64


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wrk(url: str, headers: dict[str, str]) -> dict[str, float]:
    args = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{DURATION_S}s", "--latency"]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    latency = dict(re.findall(r"^\s+(50|90|99)%\s+([\d.]+\w+)", out, re.MULTILINE))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "requests_per_s": rps,
        "p50": _ms(latency["50"]),
        "p90": _ms(latency["90"]),
        "p99_ms": _ms(latency["99"]),
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
    }


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()  # type: ignore[union-attr]
    return round(float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit], 2)


def run() -> dict[str, Any]:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: `apt-get install wrk` (make bench does this)")
    with tempfile.TemporaryDirectory(prefix="caveat-http-") as tmp:
        settings = Settings(data_dir=Path(tmp), hash_profile=HashProfile.TEST, node_name="bench")
        node, operator = init_node(
            settings,
            FirstOperator("operator", "Bench Operator", "ops@bench.example", "Bench Lab", "GBR"),
        )
        node.close()
        port = _free_port()
        env = {**os.environ, "CAVEAT_DATA_DIR": tmp, "CAVEAT_HASH_PROFILE": "test"}
        server = subprocess.Popen(
            [sys.executable, "-m", "caveat", "serve", "--port", str(port), "--workers", "2"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    with CaveatClient(url, timeout=1) as c:
                        c.ready()
                        break
                except CaveatError:
                    time.sleep(0.1)
            with CaveatClient(url) as client:
                assert operator.one_time_password is not None
                session = client.login(
                    "operator",
                    operator.one_time_password,
                    totp_code(operator.mfa.totp_secret, node.uow.clock()),
                )
            token = session["token"]
            result: dict[str, Any] = {
                "server": "uvicorn, 2 workers, SQLite (WAL)",
                "load": f"wrk -t2 -c{CONNECTIONS} -d{DURATION_S}s on the same 2 cores",
                "get_me": _wrk(f"{url}/api/v1/me", {"Authorization": f"Bearer {token}"}),
                "peer_healthz": _wrk(f"{url}/healthz", {}),
            }
        finally:
            server.terminate()
            server.wait(timeout=20)
    result["ratio_me_to_healthz"] = round(
        result["get_me"]["requests_per_s"] / result["peer_healthz"]["requests_per_s"], 2
    )
    write_result("http_me", result)
    return result


if __name__ == "__main__":
    print(run())
