#!/usr/bin/env bash
# Rebuild tests/data/upgrade/node-<commit>.tar.gz: a node made by an earlier Caveat
# (default: commit 254e5af, the last commit before versions, wheels and locks), for the
# upgrade test (tests/test_upgrade.py). The old source comes from git (git archive), runs
# in a throwaway virtualenv with today's locked runtime dependencies (the same set that
# commit declared), and makes: `caveat init` via `caveat demo --no-serve` (the
# multinational demo), two artifacts stored by a demo researcher (seed_old_node.py), the
# ledger integrated (`caveat audit integrate`). The data directory (SQLite database,
# encrypted blobs, keys, demo credentials) is packed reproducibly (sorted, fixed times).
# Afterwards: update SHA256SUMS and README.md in tests/data.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(git -C "$here" rev-parse --show-toplevel)
commit=$(git -C "$repo" rev-parse --short "${1:-254e5af}")
uv="$repo/.venv/bin/uv"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir "$work/old"
git -C "$repo" archive "$commit" src | tar -x -C "$work/old"
"${PYTHON:-python3}" -m venv "$work/venv"
"$uv" pip install --quiet --python "$work/venv/bin/python" --require-hashes \
  -r "$repo/requirements/runtime.txt"
old() { PYTHONPATH="$work/old/src" "$work/venv/bin/python" -m caveat --data-dir "$work/node" "$@"; }

old demo --no-serve >/dev/null
PYTHONPATH="$work/old/src" "$work/venv/bin/python" "$here/seed_old_node.py" "$work/node"
old audit integrate
old audit verify
old verify --all
old db status
rm -f "$work/node"/*.db-wal "$work/node"/*.db-shm

out="$here/node-$commit.tar.gz"
tar --sort=name --mtime=2026-11-26T00:00:00Z --owner=0 --group=0 --numeric-owner \
  -C "$work/node" -c . | gzip -9n >"$out"
echo "$out: $(du -k "$out" | cut -f1) KiB, sha256 $(sha256sum "$out" | cut -d' ' -f1)"
