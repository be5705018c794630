"""Audit the locked dependencies (requirements/lock.txt) for known vulnerabilities.

`make audit` and CI run this. It is pip-audit over the hash-checked lock, failing on any
known vulnerability not in requirements/audit-ignore.txt (each entry dated, with its
reason; an entry past its review date fails too). pip-audit needs an advisory service:

1. PyPI's per-release JSON (pip-audit's default, ``-s pypi``), if this machine reaches it;
2. else OSV (``-s osv``), if this machine reaches api.osv.dev;
3. else the PyPA advisory database snapshot kept in requirements/advisories/ (OSV
   records, dated; see its README), served to pip-audit over loopback as an OSV query
   endpoint (``--osv-url``). The report then says, loudly, how old the snapshot is. On
   top, PyPI's project JSON (which it does serve) gives live advisories for every
   locked package whose pin is the newest release.

``--service pypi|osv|snapshot`` forces one. ``--build-snapshot DIR`` rebuilds the
snapshot from a checkout of github.com/pypa/advisory-database (needs PyYAML: it is in
the lock).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime as dt
import gzip
import http.server
import json
import re
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements" / "lock.txt"
IGNORE = ROOT / "requirements" / "audit-ignore.txt"
SNAPSHOTS = ROOT / "requirements" / "advisories"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")


def locked() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in LOCK.read_text(encoding="utf-8").splitlines():
        if match := PIN.match(line):
            pins[canonicalize_name(match[1])] = match[2]
    if not pins:
        sys.exit(f"audit: no pinned requirement in {LOCK}")
    return pins


def ignored(today: dt.date) -> list[str]:
    """IDs from audit-ignore.txt: `ID  REVIEW-BY-DATE  reason`; an expired entry fails."""
    ids, expired = [], []
    for number, raw in enumerate(IGNORE.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split(None, 2)
        if len(parts) < 3:
            sys.exit(f"audit: {IGNORE.name} line {number}: want `ID  YYYY-MM-DD  reason`")
        vuln_id, review_by, _reason = parts
        if dt.date.fromisoformat(review_by) < today:
            expired.append(f"{vuln_id} (review was due {review_by})")
        ids.append(vuln_id)
    if expired:
        sys.exit(f"audit: ignore entries past their review date: {', '.join(expired)}")
    return ids


def reachable(url: str, method: str = "GET", body: bytes | None = None) -> bool:
    request = urllib.request.Request(url, data=body, method=method)  # noqa: S310
    request.add_header("content-type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310
            return bool(200 <= response.status < 300)
    except (urllib.error.URLError, OSError):
        return False


def choose_service(pins: dict[str, str]) -> str:
    version = pins.get("pip-audit") or next(iter(pins.values()))
    name = "pip-audit" if "pip-audit" in pins else next(iter(pins))
    if reachable(f"https://pypi.org/pypi/{name}/{version}/json"):
        return "pypi"
    query = json.dumps({"package": {"name": name, "ecosystem": "PyPI"}, "version": version})
    if reachable("https://api.osv.dev/v1/query", "POST", query.encode()):
        return "osv"
    print(
        "audit: neither PyPI's per-release JSON nor api.osv.dev answers from this machine; "
        "auditing against the advisory snapshot in requirements/advisories/"
    )
    return "snapshot"


# --- the snapshot, served as an OSV endpoint ---------------------------------------------


def snapshot_file() -> Path:
    found = sorted(SNAPSHOTS.glob("pypa-advisory-database-*.json.gz"))
    if not found:
        sys.exit(f"audit: no advisory snapshot in {SNAPSHOTS}")
    return found[-1]


def _affects(record: dict[str, Any], name: str, version: str) -> bool:
    try:
        wanted = Version(version)
    except InvalidVersion:
        wanted = None
    for affected in record.get("affected", []):
        package = affected.get("package", {})
        if package.get("ecosystem") != "PyPI" or canonicalize_name(package["name"]) != name:
            continue
        if version in affected.get("versions", []):
            return True
        for span in affected.get("ranges", []):
            if span.get("type") != "ECOSYSTEM" or wanted is None:
                continue
            inside = False
            for event in span.get("events", []):
                try:
                    # Events come in version order: each bound the wanted version has
                    # passed turns the range on (introduced) or off (fixed, last_affected).
                    if "introduced" in event:
                        low = event["introduced"]
                        inside = inside or low == "0" or wanted >= Version(low)
                    elif ("fixed" in event and wanted >= Version(event["fixed"])) or (
                        "last_affected" in event and wanted > Version(event["last_affected"])
                    ):
                        inside = False
                except InvalidVersion:
                    continue
            if inside:
                return True
    return False


def serve_snapshot(records: list[dict[str, Any]]) -> tuple[http.server.HTTPServer, str]:
    by_name: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        if record.get("withdrawn"):
            continue
        for affected in record.get("affected", []):
            package = affected.get("package", {})
            if package.get("ecosystem") == "PyPI":
                by_name.setdefault(canonicalize_name(package["name"]), []).append(record)

    class Query(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["content-length"])))
            name = canonicalize_name(body["package"]["name"])
            version = body["version"]
            hits = [r for r in by_name.get(name, []) if _affects(r, name, version)]
            payload = json.dumps({"vulns": hits} if hits else {}, default=str).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = http.server.HTTPServer(("127.0.0.1", 0), Query)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/v1/query"


def live_latest(pins: dict[str, str]) -> tuple[list[str], list[str]]:
    """PyPI's project JSON: live advisories of the newest release, for pins that are it."""

    def one(item: tuple[str, str]) -> tuple[str, str, dict[str, Any] | None]:
        name, version = item
        try:
            url = f"https://pypi.org/pypi/{name}/json"
            with urllib.request.urlopen(url, timeout=30) as response:
                return name, version, json.load(response)
        except (urllib.error.URLError, OSError, ValueError):
            return name, version, None

    findings, stale = [], []
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        for name, version, data in pool.map(one, sorted(pins.items())):
            if data is None:
                stale.append(f"{name}=={version} (PyPI did not answer)")
            elif data["info"]["version"] != version:
                stale.append(f"{name}=={version} (newest is {data['info']['version']})")
            else:
                findings += [
                    f"{name}=={version}: {v['id']} ({', '.join(v.get('aliases', []))})"
                    for v in data.get("vulnerabilities", [])
                    if not v.get("withdrawn")
                ]
    return findings, stale


# --- running -------------------------------------------------------------------------------


def pip_audit(service: str, ignore_ids: list[str], osv_url: str | None) -> int:
    command = [
        str(Path(sys.executable).with_name("pip-audit")),
        "--requirement",
        str(LOCK),
        "--require-hashes",
        "--disable-pip",
        "--strict",  # a package that could not be looked up fails the audit
        "--progress-spinner",
        "off",
        "--vulnerability-service",
        "osv" if service == "snapshot" else service,
    ]
    if osv_url:
        command += ["--osv-url", osv_url]
    for vuln_id in ignore_ids:
        command += ["--ignore-vuln", vuln_id]
    print("audit:", " ".join(command[1:]))
    return subprocess.run(command, check=False).returncode  # noqa: S603


def build_snapshot(checkout: Path) -> None:
    import yaml

    commit = subprocess.run(  # noqa: S603
        ["git", "-C", str(checkout), "log", "-1", "--format=%H %cs"],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    records = [
        yaml.safe_load(path.read_text(encoding="utf-8"))
        for path in sorted((checkout / "vulns").glob("*/*.yaml"))
    ]
    text = json.dumps(records, separators=(",", ":"), sort_keys=True, default=str)
    out = SNAPSHOTS / f"pypa-advisory-database-{commit[1]}.json.gz"
    for old in SNAPSHOTS.glob("pypa-advisory-database-*.json.gz"):
        old.unlink()
    out.write_bytes(gzip.compress(text.encode(), compresslevel=9, mtime=0))
    print(f"{out.relative_to(ROOT)}: {len(records)} advisories at commit {commit[0]}")
    print("now update requirements/advisories/README.md (commit, date, SHA-256)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--service", choices=["pypi", "osv", "snapshot"])
    parser.add_argument("--build-snapshot", type=Path, metavar="ADVISORY_DATABASE_CHECKOUT")
    args = parser.parse_args()
    if args.build_snapshot:
        build_snapshot(args.build_snapshot)
        return 0
    pins = locked()
    ignore_ids = ignored(dt.datetime.now(dt.UTC).date())
    service = args.service or choose_service(pins)
    if service != "snapshot":
        return pip_audit(service, ignore_ids, None)

    path = snapshot_file()
    records = json.loads(gzip.decompress(path.read_bytes()))
    taken = dt.date.fromisoformat(path.name.removesuffix(".json.gz")[-10:])
    age = (dt.datetime.now(dt.UTC).date() - taken).days
    server, url = serve_snapshot(records)
    try:
        status = pip_audit(service, ignore_ids, url)
    finally:
        server.shutdown()
    print(
        f"audit: {len(pins)} locked packages checked against {len(records)} advisories of "
        f"{taken} ({age} days old: advisories published since then are NOT covered)"
    )
    findings, stale = live_latest(pins)
    ignored_ids = set(ignore_ids)
    findings = [f for f in findings if not any(i in f for i in ignored_ids)]
    print(
        f"audit: live, from PyPI: {len(pins) - len(stale)} pins are their project's newest "
        f"release; {len(findings)} known vulnerabilities in those"
    )
    for finding in findings:
        print(f"  VULNERABLE {finding}")
    if stale:
        print(f"audit: not live-checked (pinned below the newest release): {len(stale)}")
        for entry in stale:
            print(f"  {entry}")
    return status or (1 if findings else 0)


if __name__ == "__main__":
    sys.exit(main())
