"""The simulated users of the load benchmark (benchmarks/load.py runs locust on this).

Every user is a researcher of the benchmark's project with a few accounts of their own
(a TOTP code is accepted once per 30 s step per person, so a user signs in again with
whichever of its accounts has not used the current step). Without think time each user
loops over: search (full text or browse), download a 2 MiB artifact (SHA-256 checked
against the server's header), upload a 2 MiB artifact (POST /api/v1/uploads, then PUT
its content, which completes it), and now and then sign in again (password + TOTP, the
production Argon2 cost) and sign the old session out.

Input: the JSON plan named by CAVEAT_LOAD_PLAN (accounts, project, label, artifacts
already stored). Output: every request's kind, latency and status, written as JSON to
CAVEAT_LOAD_OUT when the test stops; load.py turns it into the report.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import random
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from locust import FastHttpUser, constant, events, task

from caveat.domain.credentials import totp_code

PLAN: dict[str, Any] = json.loads(Path(os.environ["CAVEAT_LOAD_PLAN"]).read_text())
OUT = Path(os.environ["CAVEAT_LOAD_OUT"])
THINK_S = float(os.environ.get("CAVEAT_LOAD_THINK_S", "0"))
SIZE = int(PLAN["upload_bytes"])
WORDS: list[str] = PLAN["words"]
TOTP_STEP_S = 30

_accounts = itertools.count()
_uploads = itertools.count()
# Artifact ids any user may download: the seeded ones, every upload and search result.
_artifacts: list[str] = list(PLAN["artifacts"])
_known: set[str] = set(_artifacts)
_base = bytearray(os.urandom(SIZE))

# What load.py reports: every request, by kind.
_latency: dict[str, list[float]] = defaultdict(list)
_status: dict[str, Counter[int]] = defaultdict(Counter)
_errors: dict[str, Counter[int]] = defaultdict(Counter)
_failures: Counter[str] = Counter()
_timeline: dict[int, Counter[str]] = defaultdict(Counter)
_notes: Counter[str] = Counter()
_span: list[float] = []


@events.request.add_listener
def _on_request(
    request_type: str,
    name: str,
    response_time: float,
    response_length: int,
    response: Any = None,
    exception: BaseException | None = None,
    start_time: float | None = None,
    **_: Any,
) -> None:
    status = int(getattr(response, "status_code", 0) or 0)
    _latency[name].append(response_time)
    _status[name][status] += 1
    second = int(start_time or time.time())
    _timeline[second]["requests"] += 1
    if exception is not None:
        _errors[name][status] += 1
        _timeline[second]["failures"] += 1
        _failures[f"{name} {status}: {str(exception)[:160]}"] += 1
    started = start_time or time.time()
    finished = started + response_time / 1000
    if not _span:
        _span.extend([started, finished])
    _span[0] = min(_span[0], started)
    _span[1] = max(_span[1], finished)


@events.test_stop.add_listener
def _write(**_: Any) -> None:
    OUT.write_text(
        json.dumps(
            {
                "span_s": [_span[0], _span[1]] if _span else None,
                "latency_ms": _latency,
                "status": {name: dict(counts) for name, counts in _status.items()},
                "errors": {name: dict(counts) for name, counts in _errors.items()},
                "failures": dict(_failures),
                "timeline": {str(s): dict(c) for s, c in sorted(_timeline.items())},
                "notes": dict(_notes),
                "artifacts_known": len(_artifacts),
            }
        )
    )


def _problem(response: Any) -> str:
    """The status and the problem's code (never a body that could hold a token)."""
    try:
        code = response.json().get("code")
    except (ValueError, AttributeError):
        code = None
    return f"HTTP {response.status_code} {code or '(no problem code)'}"


class Researcher(FastHttpUser):
    """One person at a keyboard with no think time (CAVEAT_LOAD_THINK_S to add some)."""

    wait_time = constant(THINK_S)
    network_timeout = 120.0
    connection_timeout = 30.0

    def on_start(self) -> None:
        first = next(_accounts) * PLAN["accounts_per_user"]
        self.accounts: list[dict[str, Any]] = [
            dict(a, last_step=0)
            for a in PLAN["accounts"][first : first + PLAN["accounts_per_user"]]
        ]
        self.token: str | None = None
        self.rng = random.Random(first)
        while not self._sign_in():  # only if it failed: the next account, or the next step
            _notes["first_sign_in_retried"] += 1
            time.sleep(1)

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def _sign_in(self) -> bool:
        """Sign in as the account that has waited longest; False if every account has
        already used the current TOTP step (then the caller does something else)."""
        now = datetime.now(UTC)
        step = int(now.timestamp()) // TOTP_STEP_S
        account = min(self.accounts, key=lambda a: a["last_step"])
        if account["last_step"] >= step:
            _notes["sign_in_deferred_no_fresh_totp_step"] += 1
            return False
        account["last_step"] = step
        body = {
            "username": account["username"],
            "password": account["password"],
            "otp": totp_code(account["totp_secret"], now),
        }
        with self.client.post(
            "/api/v1/auth/login", json=body, name="login", catch_response=True
        ) as response:
            if response.status_code != 201:
                response.failure(_problem(response))
                return False
            old, self.token = self.token, response.json()["token"]
        if old is not None:
            self.client.post(
                "/api/v1/auth/logout", headers={"Authorization": f"Bearer {old}"}, name="logout"
            )
        return True

    @task(10)
    def search(self) -> None:
        params = f"?q={self.rng.choice(WORDS)}" if self.rng.random() < 0.7 else ""
        with self.client.get(
            f"/api/v1/artifacts{params}",
            headers=self._headers(),
            name="search",
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(_problem(response))
                return
            for item in response.json()["items"]:
                if item["id"] not in _known:
                    _known.add(item["id"])
                    _artifacts.append(item["id"])

    @task(5)
    def download(self) -> None:
        artifact = self.rng.choice(_artifacts)
        with self.client.get(
            f"/api/v1/artifacts/{artifact}/content",
            headers=self._headers(),
            name="download",
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(_problem(response))
                return
            content = response.content or b""
            if hashlib.sha256(content).hexdigest() != response.headers.get("x-content-sha256"):
                response.failure("content does not match its SHA-256")
            elif len(content) != SIZE:
                response.failure(f"{len(content)} bytes, not {SIZE}")

    @task(2)
    def upload(self) -> None:
        n = next(_uploads)
        _base[:16] = n.to_bytes(8, "big") + os.urandom(8)  # every upload is new content
        content = bytes(_base)
        digest = hashlib.sha256(content).hexdigest()
        words = " ".join(self.rng.sample(WORDS, 2))
        body = {
            "project": PLAN["project"],
            "kind": "dataset",
            "title": f"{words} load run {n}",
            "summary": f"{words} measured under load",
            "keywords": words.split(),
            "label": PLAN["label"],
            "filename": f"run-{n}.bin",
            "size": SIZE,
            "sha256": digest,
        }
        with self.client.post(
            "/api/v1/uploads",
            json=body,
            headers=self._headers(),
            name="upload_begin",
            catch_response=True,
        ) as response:
            if response.status_code != 201:
                response.failure(_problem(response))
                return
            upload = response.json()
        headers = {
            **self._headers(),
            "Content-Type": "application/octet-stream",
            "X-Content-SHA256": digest,
        }
        with self.client.put(
            f"/api/v1/uploads/{upload['id']}/content",
            data=content,  # type: ignore[arg-type]  # sent as is; the annotation omits bytes
            headers=headers,
            name="upload_content",
            catch_response=True,
        ) as response:
            if response.status_code != 201:
                response.failure(_problem(response))
                return
            artifact = response.json()["artifact_id"]
        if artifact not in _known:
            _known.add(artifact)
            _artifacts.append(artifact)

    @task(1)
    def sign_in_again(self) -> None:
        if not self._sign_in():
            self.search()
