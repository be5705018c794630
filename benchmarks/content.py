"""The content pipeline at line rate (issue 17), each row beside its peer in the same run.

- encrypt + hash + store: ``PartedWriter`` (Tink's AES-GCM-HKDF format written by
  ``caveat.adapters.streaming_aead``, SHA-256 on the second core, 64 MiB parts, each
  blob written and fsynced) into a blob store on tmpfs, so the rate is the pipeline's
  and not the disk's, and again on the disk beside the disk's own write+fsync rate;
- decrypt + verify: ``read_range`` (the next segment decrypted ahead) plus SHA-256;
- peers: `cryptography`'s AES-256-GCM plus SHA-256 over the same 1 MiB chunks on one
  thread (the raw speed the issue measures against), and Tink's own Python stream
  over the same bytes (what the pipeline used before ADR 0015).

HTTP (``http()``): 1 GiB up (``PUT .../content``) and down (``GET .../content``) with
curl over loopback through ``caveat serve`` (one uvicorn worker, SQLite), the data
directory on the disk and on tmpfs, beside the same uvicorn serving a static file and a
sink that writes the body to a file (``benchmarks/http_peer.py``); server RSS before and
after (VmHWM).

Run: ``python -m benchmarks.content`` (``CAVEAT_BENCH_PIPELINE_MIB``, default 512;
``CAVEAT_BENCH_HTTP_MIB``, default 1024).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import tink
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from tink import streaming_aead

from benchmarks.artifacts import PASSWORD, _free_port, _researcher, _rss
from benchmarks.common import machine, write_result
from caveat.adapters.blobstore import LocalBlobStore
from caveat.adapters.kek import DATA_KEY_TEMPLATE, LocalKekFile, create_kek_file, new_data_key
from caveat.bootstrap.container import FirstOperator, init_node
from caveat.bootstrap.settings import HashProfile, Settings
from caveat.client import CaveatClient
from caveat.domain.credentials import totp_code
from caveat.services.artifacts._content import PartedWriter, read_range

MiB = 2**20
TOTAL = int(os.environ.get("CAVEAT_BENCH_PIPELINE_MIB", "512")) * MiB
TMPFS = Path("/dev/shm")  # noqa: S108 - memory-backed, to take the disk out of the rate
HTTP_TOTAL = int(os.environ.get("CAVEAT_BENCH_HTTP_MIB", "1024")) * MiB
RUNS = 3  # the median of three passes; the first pass also warms the page cache
BLOCK = os.urandom(64 * MiB)


def _chunks(total: int, size: int = MiB) -> Iterator[memoryview]:
    view, sent = memoryview(BLOCK), 0
    while sent < total:
        start = sent % len(BLOCK)
        n = min(size, total - sent, len(BLOCK) - start)
        yield view[start : start + n]
        sent += n


def _mbps(seconds: float) -> float:
    return round(TOTAL / seconds / 1e6, 1)


def _median(times: list[float]) -> float:
    return _mbps(statistics.median(times))


def caveat_pipeline(root: Path) -> tuple[float, float]:
    """Seconds to encrypt+hash+store, then to decrypt+verify, TOTAL bytes under ``root``."""
    with tempfile.TemporaryDirectory(prefix="caveat-content-", dir=root) as tmp:
        create_kek_file(Path(tmp) / "keys")
        key, _ = new_data_key(LocalKekFile(Path(tmp) / "keys"), "v1")
        store = LocalBlobStore(Path(tmp) / "blobs")
        sizes: list[int] = []
        hasher = hashlib.sha256()
        writer = PartedWriter(
            blobs=store, key=key, version_id="v1", generation=0, first_index=0, hasher=hasher,
            on_part=lambda p, _h: sizes.append(p.plain_size), limit=lambda _n: None,
        )  # fmt: skip
        started = time.perf_counter()
        for chunk in _chunks(TOTAL):
            writer.write(chunk)
        writer.finish()
        encrypt = time.perf_counter() - started
        started = time.perf_counter()
        check = hashlib.sha256()
        for plain in read_range(store, key, "v1", 0, sizes, 0, TOTAL):
            check.update(plain)
        decrypt = time.perf_counter() - started
        assert check.digest() == hasher.digest()
    return encrypt, decrypt


def raw_peer() -> tuple[float, float]:
    """`cryptography`'s AES-256-GCM and SHA-256 over the same chunks, one thread, in memory."""
    aes = AESGCM(os.urandom(32))
    sealed = []
    started = time.perf_counter()
    digest = hashlib.sha256()
    for i, chunk in enumerate(_chunks(TOTAL)):
        digest.update(chunk)
        ciphertext = aes.encrypt(i.to_bytes(12, "big"), chunk, None)
        if i < 64:
            sealed.append((i.to_bytes(12, "big"), ciphertext))
    encrypt = time.perf_counter() - started
    started = time.perf_counter()
    check = hashlib.sha256()
    for i in range(TOTAL // MiB):
        nonce, ciphertext = sealed[i % len(sealed)]
        check.update(aes.decrypt(nonce, ciphertext, None))
    return encrypt, time.perf_counter() - started


class _Keep(io.BytesIO):
    def close(self) -> None:
        pass


def tink_peer() -> tuple[float, float]:
    """Tink's own Python stream over the same bytes, SHA-256 beside it, in memory."""
    streaming_aead.register()
    primitive = tink.new_keyset_handle(DATA_KEY_TEMPLATE).primitive(streaming_aead.StreamingAead)
    sink = _Keep()
    started = time.perf_counter()
    digest = hashlib.sha256()
    with primitive.new_encrypting_stream(sink, b"v1") as stream:
        for chunk in _chunks(TOTAL):
            digest.update(chunk)
            stream.write(chunk)
    encrypt = time.perf_counter() - started
    sink.seek(0)
    started = time.perf_counter()
    check = hashlib.sha256()
    with primitive.new_decrypting_stream(sink, b"v1") as stream:
        while chunk := stream.read(MiB):
            check.update(chunk)
    assert check.digest() == digest.digest()
    return encrypt, time.perf_counter() - started


def disk_peer(root: Path) -> float:
    """Seconds to write TOTAL bytes in 1 MiB writes and fsync every 64 MiB (no crypto)."""
    with tempfile.TemporaryDirectory(prefix="caveat-disk-", dir=root) as tmp:
        started = time.perf_counter()
        fd = os.open(Path(tmp) / "f", os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            for i, chunk in enumerate(_chunks(TOTAL)):
                os.write(fd, chunk)
                if (i + 1) % 64 == 0:
                    os.fsync(fd)
            os.fsync(fd)
        finally:
            os.close(fd)
        return time.perf_counter() - started


def _curl(*args: str) -> str:
    done = subprocess.run(["curl", "-sS", "-f", *args], check=True, capture_output=True, text=True)
    return done.stdout


def _timed(*args: str) -> tuple[float, str]:
    started = time.perf_counter()
    out = _curl(*args)
    return time.perf_counter() - started, out


def _wait(url: str) -> None:
    for _ in range(300):
        try:
            _curl("-o", "/dev/null", url)
            return
        except subprocess.CalledProcessError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} never answered")


def _serve(command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        command, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def _stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    server.wait(timeout=30)


def caveat_http(source: Path, digest: str, root: Path) -> dict[str, float]:
    """1 GiB up and down through `caveat serve` with its data directory under ``root``."""
    with tempfile.TemporaryDirectory(prefix="caveat-http-", dir=root) as tmp:
        settings = Settings(data_dir=Path(tmp), hash_profile=HashProfile.TEST, node_name="bench")
        node, _ = init_node(
            settings,
            FirstOperator("operator", "Bench Operator", "ops@bench.example", "Bench Lab", "GBR"),
        )
        secret, _ = _researcher(node)
        node.close()
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        env = {"CAVEAT_DATA_DIR": tmp, "CAVEAT_HASH_PROFILE": "test", "CAVEAT_LOG_LEVEL": "WARNING"}
        command = [sys.executable, "-m", "caveat", "serve", "--port", str(port), "--workers", "1"]
        server = _serve(command, env)
        try:
            _wait(f"{url}/readyz")
            with CaveatClient(url, timeout=600) as client:
                session = client.login("rita", PASSWORD, totp_code(secret, datetime.now(UTC)))
                auth = f"Authorization: Bearer {session['token']}"
                baseline = _rss(server.pid, "VmRSS")
                upload = client.begin_upload(
                    project="Bench", kind="dataset", title="one gibibyte",
                    label="SECRET//REL TO USA, GBR", size=HTTP_TOTAL, sha256=digest,
                )  # fmt: skip
                up_s, answer = _timed(
                    "-X", "PUT", "-T", str(source), "-H", auth, "-H", "Expect:",
                    "-H", "Content-Type: application/octet-stream",
                    "-H", f"X-Content-SHA256: {digest}",
                    f"{url}/api/v1/uploads/{upload['id']}/content",
                )  # fmt: skip
                artifact = json.loads(answer)["artifact_id"]
                down_s, _ = _timed(
                    "-H", auth, "-o", "/dev/null", f"{url}/api/v1/artifacts/{artifact}/content"
                )
                peak = _rss(server.pid, "VmHWM")
        finally:
            _stop(server)
    return {
        "upload_MBps": round(HTTP_TOTAL / up_s / 1e6, 1),
        "download_MBps": round(HTTP_TOTAL / down_s / 1e6, 1),
        "rss_baseline_MiB": round(baseline / MiB, 1),
        "rss_growth_MiB": round((peak - baseline) / MiB, 1),
    }


def peer_http(source: Path, root: Path) -> dict[str, float]:
    """The same uvicorn serving ``source`` and a body-to-file sink under ``root``."""
    with tempfile.TemporaryDirectory(prefix="caveat-peer-", dir=root) as tmp:
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        env = {"CAVEAT_PEER_FILE": str(source), "CAVEAT_PEER_SINK": f"{tmp}/sink"}
        command = [
            sys.executable, "-m", "uvicorn", "benchmarks.http_peer:app", "--port", str(port),
            "--workers", "1", "--log-level", "warning",
        ]  # fmt: skip
        server = _serve(command, env)
        try:
            _wait(f"{url}/static")
            up_s, _ = _timed("-X", "PUT", "-T", str(source), "-H", "Expect:", f"{url}/sink")
            down_s, _ = _timed("-o", "/dev/null", f"{url}/static")
        finally:
            _stop(server)
    return {
        "upload_MBps": round(HTTP_TOTAL / up_s / 1e6, 1),
        "download_MBps": round(HTTP_TOTAL / down_s / 1e6, 1),
    }


def http() -> dict[str, Any]:
    """Caveat and the peer side by side, the data on disk and on tmpfs."""
    disk = Path(tempfile.gettempdir())
    with tempfile.NamedTemporaryFile(prefix="caveat-http-src-", dir=TMPFS) as source:
        digest = hashlib.sha256()
        for chunk in _chunks(HTTP_TOTAL, 64 * MiB):
            source.write(chunk)
            digest.update(chunk)
        source.flush()
        path = Path(source.name)
        return {
            "bytes": HTTP_TOTAL,
            "client": "curl -T (upload) and curl -o /dev/null (download), loopback",
            "caveat_disk": caveat_http(path, digest.hexdigest(), disk),
            "peer_disk": peer_http(path, disk),
            "caveat_tmpfs": caveat_http(path, digest.hexdigest(), TMPFS),
            "peer_tmpfs": peer_http(path, TMPFS),
        }


def run() -> dict[str, Any]:
    tmpfs = TMPFS
    disk = Path(tempfile.gettempdir())
    rows: dict[str, list[tuple[float, float]]] = {"tmpfs": [], "disk": [], "raw": [], "tink": []}
    disk_only: list[float] = []
    for _ in range(RUNS):  # interleaved, so a busy moment hits every row alike
        rows["raw"].append(raw_peer())
        rows["tmpfs"].append(caveat_pipeline(tmpfs))
        rows["tink"].append(tink_peer())
        rows["disk"].append(caveat_pipeline(disk))
        disk_only.append(disk_peer(disk))
    rates = {
        name: {
            "encrypt_MBps": _median([e for e, _ in times]),
            "decrypt_MBps": _median([d for _, d in times]),
        }
        for name, times in rows.items()
    }
    raw = rates["raw"]
    result = {
        "machine": machine(),
        "bytes": TOTAL,
        "runs": RUNS,
        "caveat_tmpfs": rates["tmpfs"],
        "caveat_disk": rates["disk"],
        "peer_raw_aesgcm_sha256": raw,
        "peer_tink_stream": rates["tink"],
        "peer_disk_write_fsync_MBps": _median(disk_only),
        "ratio_encrypt": round(rates["tmpfs"]["encrypt_MBps"] / raw["encrypt_MBps"], 2),
        "ratio_decrypt": round(rates["tmpfs"]["decrypt_MBps"] / raw["decrypt_MBps"], 2),
        "ratio_tink_encrypt": round(rates["tink"]["encrypt_MBps"] / raw["encrypt_MBps"], 2),
        "ratio_tink_decrypt": round(rates["tink"]["decrypt_MBps"] / raw["decrypt_MBps"], 2),
        "http": http(),
    }
    write_result("content", result)
    return result


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
