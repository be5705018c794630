"""Artifact repository benchmarks (issue 4), each beside its peer in the same run.

1. In-process pipelines: encrypt+hash (PartedWriter: SHA-256, Tink streaming AEAD, blob
   written and fsynced) and decrypt+verify (read_range plus SHA-256) against the raw
   speed of `cryptography`'s AES-256-GCM plus SHA-256 over the same bytes.
2. HTTP upload and download of 1 GiB over loopback through `caveat serve` (uvicorn).
3. Peak RSS growth of the server while uploading and downloading a 2 GiB file.
4. Search over 1,000,000 artifacts (bulk-inserted catalogue, artifact and search rows):
   first page through the policy's listing query, on SQLite and PostgreSQL, beside the
   policy's own listing page and a bare full-text lookup.
"""

from __future__ import annotations

import hashlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import insert, text

from benchmarks.common import machine, write_result
from caveat.adapters.blobstore import LocalBlobStore
from caveat.adapters.db.models.artifacts import ArtifactLabelRow, ArtifactRow
from caveat.adapters.db.models.policy import ResourceReleaseRow, ResourceRow
from caveat.adapters.kek import LocalKekFile, create_kek_file, new_data_key
from caveat.bootstrap.container import FirstOperator, Node, init_node
from caveat.bootstrap.settings import HashProfile, Settings
from caveat.client import CaveatClient
from caveat.domain.credentials import totp_code
from caveat.domain.errors import CaveatError
from caveat.domain.identity import Clearance, CommonLevel, OrganisationKind, Role
from caveat.domain.labels import label_to_canonical_json, parse_banner
from caveat.domain.policy import label_facts
from caveat.services.artifacts._content import PartedWriter, read_range
from caveat.services.artifacts._search import SearchQuery
from caveat.services.kernel.principal import ConsoleOperator, Principal
from caveat.services.kernel.uow import CallContext

MiB = 2**20
PIPELINE_BYTES = int(os.environ.get("CAVEAT_BENCH_PIPELINE_MIB", "512")) * MiB
HTTP_BYTES = int(os.environ.get("CAVEAT_BENCH_HTTP_MIB", "1024")) * MiB
RSS_BYTES = int(os.environ.get("CAVEAT_BENCH_RSS_MIB", "2048")) * MiB
SEARCH_ROWS = int(os.environ.get("CAVEAT_BENCH_SEARCH_ROWS", "1000000"))
PASSWORD = "violet-harbour-lantern-42"
LABEL = "SECRET//REL TO USA, GBR"
BLOCK = os.urandom(64 * MiB)


def _plaintext(total: int, chunk: int = MiB) -> Iterator[memoryview]:
    view = memoryview(BLOCK)
    sent = 0
    while sent < total:
        n = min(chunk, total - sent)
        start = sent % len(BLOCK)
        yield view[start : start + n] if start + n <= len(BLOCK) else view[:n]
        sent += n


def _rate(nbytes: int, seconds: float) -> float:
    return round(nbytes / seconds / 1e6, 1)


# 1. pipelines


def pipelines() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="caveat-pipe-") as tmp:
        keys = Path(tmp) / "keys"
        create_kek_file(keys)
        kek = LocalKekFile(keys)
        store = LocalBlobStore(Path(tmp) / "blobs")
        key, _ = new_data_key(kek, "v1")
        sizes: list[int] = []
        hasher = hashlib.sha256()
        writer = PartedWriter(
            blobs=store, key=key, version_id="v1", generation=0, first_index=0, hasher=hasher,
            on_part=lambda p, _h: sizes.append(p.plain_size), limit=lambda _n: None,
        )  # fmt: skip
        started = time.perf_counter()
        for chunk in _plaintext(PIPELINE_BYTES):
            writer.write(chunk)
        writer.finish()
        encrypt_s = time.perf_counter() - started
        started = time.perf_counter()
        check = hashlib.sha256()
        for plain in read_range(store, key, "v1", 0, sizes, 0, PIPELINE_BYTES):
            check.update(plain)
        decrypt_s = time.perf_counter() - started
        assert check.digest() == hasher.digest()

        aes = AESGCM(os.urandom(32))
        started = time.perf_counter()
        raw_hash = hashlib.sha256()
        sealed = []
        for i, chunk in enumerate(_plaintext(PIPELINE_BYTES)):
            raw_hash.update(chunk)
            nonce = i.to_bytes(12, "big")
            ct = aes.encrypt(nonce, chunk, None)
            if i < 64:
                sealed.append((nonce, ct))
        raw_encrypt_s = time.perf_counter() - started
        started = time.perf_counter()
        raw_check = hashlib.sha256()
        for i in range(PIPELINE_BYTES // MiB):
            nonce, ct = sealed[i % len(sealed)]
            raw_check.update(aes.decrypt(nonce, ct, None))
        raw_decrypt_s = time.perf_counter() - started
    encrypt = _rate(PIPELINE_BYTES, encrypt_s)
    decrypt = _rate(PIPELINE_BYTES, decrypt_s)
    raw_e = _rate(PIPELINE_BYTES, raw_encrypt_s)
    raw_d = _rate(PIPELINE_BYTES, raw_decrypt_s)
    return {
        "bytes": PIPELINE_BYTES,
        "caveat_encrypt_hash_store_MBps": encrypt,
        "caveat_decrypt_verify_MBps": decrypt,
        "peer_raw_aesgcm_sha256_encrypt_MBps": raw_e,
        "peer_raw_aesgcm_sha256_decrypt_MBps": raw_d,
        "ratio_encrypt": round(encrypt / raw_e, 2),
        "ratio_decrypt": round(decrypt / raw_d, 2),
        "note": "Caveat's encrypt path also writes and fsyncs the blobs; the raw peer "
        "keeps ciphertext in memory",
    }


# 2 and 3. HTTP through uvicorn


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _researcher(node: Node) -> tuple[str, str]:
    console, ctx = ConsoleOperator(), CallContext.cli()
    org = node.registry.create_organisation(
        console, ctx, name="Air Force Research Laboratory", nation="USA",
        kind=OrganisationKind.GOVERNMENT_LABORATORY,
    ).id  # fmt: skip
    account = node.people.create_person(
        console, ctx, username="rita", display_name="Rita", email="rita@afrl.example",
        organisation=org, citizenships=["USA"], roles=[Role.RESEARCHER],
        clearance=Clearance(CommonLevel.SECRET, "SECRET", "USA", date(2035, 1, 1)),
        password=PASSWORD,
    )  # fmt: skip
    node.projects.create_project(console, ctx, name="Bench")
    node.projects.add_member(console, ctx, "Bench", "rita")
    return account.mfa.totp_secret, org


def _rss(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1]) * 1024
    raise RuntimeError(field)


def _upload(client: CaveatClient, total: int, title: str) -> tuple[str, float]:
    digest = hashlib.sha256()
    for chunk in _plaintext(total):
        digest.update(chunk)
    upload = client.begin_upload(
        project="Bench", kind="dataset", title=title, label=LABEL, size=total,
        sha256=digest.hexdigest(),
    )  # fmt: skip
    started = time.perf_counter()
    version = client.put_content(
        upload["id"], (bytes(c) for c in _plaintext(total, 4 * MiB)), digest.hexdigest()
    )
    return str(version["artifact_id"]), time.perf_counter() - started


class _Discard:
    def __init__(self) -> None:
        self.n = 0

    def write(self, data: bytes) -> int:
        self.n += len(data)
        return len(data)


def _download(client: CaveatClient, artifact: str) -> float:
    started = time.perf_counter()
    client.download(artifact, _Discard())  # type: ignore[arg-type]
    return time.perf_counter() - started


def http() -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="caveat-http-") as tmp:
        settings = Settings(data_dir=Path(tmp), hash_profile=HashProfile.TEST, node_name="bench")
        node, _ = init_node(
            settings,
            FirstOperator("operator", "Bench Operator", "ops@bench.example", "Bench Lab", "GBR"),
        )
        secret, _ = _researcher(node)
        node.close()
        port = _free_port()
        env = {
            **os.environ, "CAVEAT_DATA_DIR": tmp, "CAVEAT_HASH_PROFILE": "test",
            "CAVEAT_LOG_LEVEL": "WARNING",
        }  # fmt: skip
        server = subprocess.Popen(
            [sys.executable, "-m", "caveat", "serve", "--port", str(port), "--workers", "1"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(150):
                try:
                    with CaveatClient(url, timeout=1) as c:
                        c.ready()
                        break
                except CaveatError:
                    time.sleep(0.1)
            pid = _server_pid(server.pid)
            with CaveatClient(url, timeout=600) as client:
                client.login("rita", PASSWORD, totp_code(secret, datetime.now(UTC)))
                warm, _ = _upload(client, 64 * MiB, "warm-up")
                _download(client, warm)
                baseline = _rss(pid, "VmRSS")
                artifact, up_s = _upload(client, HTTP_BYTES, "one gibibyte")
                down_s = _download(client, artifact)
                big, _ = _upload(client, RSS_BYTES, "two gibibytes")
                _download(client, big)
                peak = _rss(pid, "VmHWM")
        finally:
            server.terminate()
            server.wait(timeout=30)
    return {
        "server": "caveat serve, 1 uvicorn worker, SQLite, local blob store (fsync)",
        "http_bytes": HTTP_BYTES,
        "upload_MBps": _rate(HTTP_BYTES, up_s),
        "download_MBps": _rate(HTTP_BYTES, down_s),
        "rss_bytes": RSS_BYTES,
        "rss_baseline_MiB": round(baseline / MiB, 1),
        "rss_peak_MiB": round(peak / MiB, 1),
        "rss_growth_MiB": round((peak - baseline) / MiB, 1),
    }


def _server_pid(parent: int) -> int:
    """The uvicorn process (``caveat serve`` runs it in-process with one worker)."""
    return parent


# 4. search over a million artifacts

WORDS = (
    "hypersonic scramjet radar telemetry sled plasma inlet thermal lidar sonar gnss "
    "antenna turbine composite ceramic ablation guidance seeker datalink waveform "
    "propellant nozzle combustor payload fairing avionics gyroscope magnetometer "
    "spectrum jamming decoy stealth coating infrared optics laser fibre cryogenic "
    "battery fuelcell hydrogen kerosene graphene titanium aluminium carbon nitride"
).split()
VARIANTS = [
    "SECRET//REL TO USA, GBR",
    "SECRET//NOFORN",
    "CONFIDENTIAL//REL TO USA, FVEY",
    "TOP SECRET//NOFORN",
    "UNCLASSIFIED",
]


def _bulk(node: Node, org: str, person: str, projects: list[str]) -> None:
    env = node.policy.environment()
    schemes = node.policy.schemes
    variants = []
    for banner in VARIANTS:
        label = parse_banner(banner, groups=env.groups, on=date.today(), schemes=schemes)
        from dataclasses import replace

        from caveat.domain.labels import Originator

        label = replace(label, originator=Originator("AFRL", "USA"))
        facts = label_facts(label, schemes)
        variants.append((banner, label_to_canonical_json(label).decode(), label, facts))
    export = '{"dual_use":false,"entries":[],"version":"caveat.export/1"}'
    base = datetime(2020, 1, 1, tzinfo=UTC)
    batch = 50_000
    dialect = node.engine.dialect.name
    for start in range(0, SEARCH_ROWS, batch):
        resources, releases, artifacts, labels, fts = [], [], [], [], []
        for n in range(start, min(start + batch, SEARCH_ROWS)):
            rid = str(uuid.UUID(int=n + 1))
            banner, label_json, label, facts = variants[n % len(variants)]
            project = projects[n % len(projects)]
            created = base + timedelta(seconds=n * 60)
            title = f"{WORDS[n % 47]} {WORDS[(n * 7) % 43]} run {n}"
            summary = f"{WORDS[(n * 13) % 41]} measurements of {WORDS[(n * 3) % 37]}"
            keywords = f"{WORDS[(n * 11) % 31]} {WORDS[(n * 5) % 29]}"
            resources.append({
                "id": rid, "project_id": project, "kind": "dataset", "title": title,
                "label_json": label_json, "export_json": export, "scheme": label.policy,
                "classification": label.classification, "common_level": facts.common_level,
                "rel_mode": facts.rel_mode, "originator_nation": facts.originator_nation,
                "originator_org_id": org, "originator_controlled": facts.originator_controlled,
                "created_at": created,
            })  # fmt: skip
            releases += [{"resource_id": rid, "code": c} for c in sorted(facts.rel_codes)]
            artifacts.append({
                "id": rid, "seq": n + 1, "project_id": project, "kind": "dataset",
                "title": title, "summary": summary, "keywords": keywords, "originating_org_id": org,
                "originating_node_id": node.identity.id, "created_by": person,
                "created_at": created, "latest_version": 1, "label_seq": 1,
            })  # fmt: skip
            labels.append({
                "id": str(uuid.UUID(int=n + 1 + 2**100)), "artifact_id": rid, "seq": 1,
                "label_json": label_json, "export_json": export, "banner": banner,
                "created_by": person, "created_at": created,
            })  # fmt: skip
            fts.append(
                {"seq": n + 1, "id": rid, "title": title, "summary": summary, "keywords": keywords}
            )
        with node.engine.begin() as conn:
            conn.execute(insert(ResourceRow), resources)
            if releases:
                conn.execute(insert(ResourceReleaseRow), releases)
            conn.execute(insert(ArtifactRow), artifacts)
            conn.execute(insert(ArtifactLabelRow), labels)
            if dialect == "sqlite":
                conn.execute(
                    text(
                        "INSERT INTO artifact_fts (rowid, artifact_id, title, summary, keywords)"
                        " VALUES (:seq, :id, :title, :summary, :keywords)"
                    ),
                    fts,
                )
    with node.engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")


def _median_ms(fn: Any, n: int = 15) -> dict[str, float]:
    fn()
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return {"median_ms": round(statistics.median(samples), 1), "max_ms": round(max(samples), 1)}


def search(database_url: str | None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="caveat-search-") as tmp:
        url = database_url
        if url is not None:
            url = _fresh_postgres(url)
        settings = Settings(
            data_dir=Path(tmp), hash_profile=HashProfile.TEST, node_name="bench",
            database_url=url, ledger_worker_seconds=0,
        )  # fmt: skip
        node, _ = init_node(
            settings,
            FirstOperator("operator", "Bench Operator", "ops@bench.example", "Bench Lab", "GBR"),
        )
        try:
            secret, org = _researcher(node)
            console, ctx = ConsoleOperator(), CallContext.cli()
            projects = [node.projects.get_project("Bench").id]
            for i in range(9):
                projects.append(node.projects.create_project(console, ctx, name=f"P{i}").id)
                if i < 4:
                    node.projects.add_member(console, ctx, f"P{i}", "rita")
            session = node.auth.login(
                CallContext("bench", "127.0.0.1"), username="rita", password=PASSWORD,
                otp=totp_code(secret, node.uow.clock()),
            )  # fmt: skip
            principal: Principal = node.auth.authenticate(CallContext(), session.token)
            person = principal.person_id
            started = time.perf_counter()
            _bulk(node, org, person, projects)
            load_s = time.perf_counter() - started
            find = node.artifact_search.search

            def browse() -> None:
                assert len(find(principal, SearchQuery(limit=50)).items) == 50

            def rare() -> None:
                find(principal, SearchQuery(text="graphene nozzle", limit=50))

            def common() -> None:
                find(principal, SearchQuery(text="hypersonic", limit=50))

            def filtered() -> None:
                find(principal, SearchQuery(text="radar", project="P1", limit=50))

            def policy_page() -> None:
                node.policy.list_visible(principal, limit=50)

            result = {
                "rows": SEARCH_ROWS,
                "load_seconds": round(load_s, 1),
                "browse_first_page": _median_ms(browse),
                "fulltext_two_rare_words": _median_ms(rare),
                "fulltext_common_word": _median_ms(common),
                "fulltext_word_and_project": _median_ms(filtered),
                "peer_policy_list_visible_first_page_with_count": _median_ms(policy_page, 3),
            }
        finally:
            node.close()
            if url is not None:
                _drop_postgres(database_url or "", url)
    return result


def _fresh_postgres(base: str) -> str:
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    name = f"caveat_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return make_url(base).set(database=name).render_as_string(hide_password=False)


def _drop_postgres(base: str, url: str) -> None:
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')
    admin.dispose()


def run(postgres_url: str | None = None) -> dict[str, Any]:
    """Every artifact benchmark; PostgreSQL search too when a URL is given."""
    result: dict[str, Any] = {"machine": machine()}
    result["pipelines"] = pipelines()
    result["http"] = http()
    result["search_sqlite"] = search(None)
    if postgres_url:
        result["search_postgresql"] = search(postgres_url)
    write_result("artifacts", result)
    return result


if __name__ == "__main__":
    import json

    print(json.dumps(run(os.environ.get("CAVEAT_BENCH_POSTGRES_URL")), indent=2))
