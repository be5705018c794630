"""The content pipeline at line rate (issue 17), each row beside its peer in the same run.

- encrypt + hash + store: ``PartedWriter`` (Tink's AES-GCM-HKDF format written by
  ``caveat.adapters.streaming_aead``, SHA-256 on the second core, 64 MiB parts, each
  blob written and fsynced) into a blob store on tmpfs, so the rate is the pipeline's
  and not the disk's, and again on the disk beside the disk's own write+fsync rate;
- decrypt + verify: ``read_range`` (the next segment decrypted ahead) plus SHA-256;
- peers: `cryptography`'s AES-256-GCM plus SHA-256 over the same 1 MiB chunks on one
  thread (the raw speed the issue measures against), and Tink's own Python stream
  over the same bytes (what the pipeline used before ADR 0015).

Run: ``python -m benchmarks.content`` (``CAVEAT_BENCH_PIPELINE_MIB``, default 512).
"""

from __future__ import annotations

import hashlib
import io
import os
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import tink
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from tink import streaming_aead

from benchmarks.common import machine, write_result
from caveat.adapters.blobstore import LocalBlobStore
from caveat.adapters.kek import DATA_KEY_TEMPLATE, LocalKekFile, create_kek_file, new_data_key
from caveat.services.artifacts_content import PartedWriter, read_range

MiB = 2**20
TOTAL = int(os.environ.get("CAVEAT_BENCH_PIPELINE_MIB", "512")) * MiB
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
            on_part=lambda p: sizes.append(p.plain_size), limit=lambda _n: None,
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


def run() -> dict[str, Any]:
    tmpfs = Path("/dev/shm")
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
    }
    write_result("content", result)
    return result


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
