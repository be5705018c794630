"""Self-contained ledger bundles for inspectors: export from a node, verify with nothing else.

A bundle is JSON lines: a header (format, origin, the log's verifier key, witness keys,
size), one line per entry in leaf order, and one line per signed checkpoint with its
cosignatures. Verification needs only the file (and, ideally, the log key pinned out
of band): no database, no server.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Engine, select

from caveat.adapters.db.models import Base
from caveat.domain.errors import InvalidInput, PermissionDenied
from caveat.domain.ledger import NoteVerifier, leaf_hash, verifier_from_vkey
from caveat.domain.permissions import Act
from caveat.services.kernel.authorize import authorize
from caveat.services.kernel.principal import Acting, ConsoleOperator
from caveat.services.kernel.uow import CallContext, UnitOfWorkFactory
from caveat.services.ledger._service import LedgerService
from caveat.services.ledger._store import snapshot
from caveat.services.ledger._verify import Finding, Levels, VerifyReport, check_checkpoints

FORMAT = "caveat-ledger-bundle/1"
EVENTS = Base.metadata.tables["events"]
WITNESSES = Base.metadata.tables["ledger_witnesses"]


class BundleInvalid(InvalidInput):
    """Raised when a bundle file is not a well-formed Caveat ledger bundle."""

    code = "bundle_invalid"


@dataclass(frozen=True, slots=True)
class BundleSummary:
    """What an export wrote."""

    path: str
    entries: int
    checkpoints: int


class BundleExporter:
    """Writes bundles from the node's database."""

    def __init__(self, *, engine: Engine, uow: UnitOfWorkFactory, ledger: LedgerService) -> None:
        self._engine = engine.execution_options(caveat_read_only=True)
        self._uow = uow
        self._ledger = ledger

    def export(self, by: Acting, ctx: CallContext, path: Path) -> BundleSummary:
        """Checkpoint the log, then write every entry it covers and every checkpoint.

        A bundle carries every entry's exact bytes, whatever resource it describes, so
        only the node's console writes one (ADR 0012); auditors and officers read entries
        through the audit explorer, which withholds what they may not discover."""
        authorize(by, Act.AUDIT_READ)
        if not isinstance(by, ConsoleOperator):
            raise PermissionDenied(
                "a ledger bundle holds every entry's bytes: only the node's console exports it",
                code="policy_denied",
                hint="search the audit log or read entries one by one instead",
                data={"action": Act.AUDIT_READ.value, "rule": "the node's console"},
            )
        latest = self._ledger.publish_now()
        with self._uow(ctx) as uow:
            uow.record("audit.exported", by.actor(), target_id=None, data={"bundle": latest.size})
        checkpoints = [
            cp for cp in self._ledger.checkpoints(limit=1000_000) if cp.size <= latest.size
        ]
        with snapshot(self._engine) as conn:
            witnesses = [
                {"name": n, "vkey": v}
                for n, v in conn.execute(select(WITNESSES.c.name, WITNESSES.c.vkey))
            ]
            header = {
                "format": FORMAT,
                "origin": self._ledger.origin,
                "log_vkey": self._ledger.verifier().vkey,
                "witnesses": witnesses,
                "size": latest.size,
            }
            tmp = path.with_name(path.name + ".tmp")
            with tmp.open("w", encoding="utf-8") as out:
                out.write(json.dumps(header) + "\n")
                rows = conn.execution_options(yield_per=10_000).execute(
                    select(EVENTS.c.leaf_index, EVENTS.c.body)
                    .where(EVENTS.c.leaf_index < latest.size)
                    .order_by(EVENTS.c.leaf_index)
                )
                for index, body in rows:
                    out.write(json.dumps({"i": index, "body": body}, ensure_ascii=False) + "\n")
                for cp in sorted(checkpoints, key=lambda c: c.size):
                    out.write(json.dumps({"checkpoint": cp.note}) + "\n")
            tmp.replace(path)
        return BundleSummary(str(path), latest.size, len(checkpoints))


def _records(handle: IO[str]) -> Iterator[dict[str, Any]]:
    for number, line in enumerate(handle, 1):
        try:
            record = json.loads(line)
        except ValueError:
            raise BundleInvalid(f"line {number} is not JSON") from None
        if not isinstance(record, dict):
            raise BundleInvalid(f"line {number} is not a JSON object")
        yield record


def verify_bundle(
    path: Path,
    *,
    log_vkey: str | None = None,
    witness_vkeys: Sequence[str] = (),
    min_cosignatures: int | None = None,
) -> VerifyReport:
    """Recompute the tree from the bundle's entries and check every checkpoint in it.

    ``log_vkey`` pins the log's key (recommended: taken from the partner out of band);
    without it the key inside the bundle is trusted and the report says so.
    ``witness_vkeys`` pins the witnesses' keys instead of the bundle's list, and then a
    checkpoint vouches for entries only with ``min_cosignatures`` of them (default 1):
    whoever holds the log key could otherwise re-sign rewritten history and cosign it
    with a witness key of their own, listed in the bundle's header.
    """
    required = _required_cosignatures(witness_vkeys, min_cosignatures)
    pinned = [verifier_from_vkey(key.strip()) for key in witness_vkeys]
    with path.open(encoding="utf-8") as handle:
        records = _records(handle)
        header = next(records, None)
        if header is None or header.get("format") != FORMAT:
            raise BundleInvalid(f"not a {FORMAT} file")
        origin, bundled_key = str(header.get("origin")), str(header.get("log_vkey"))
        report = VerifyReport()
        if log_vkey is not None and log_vkey.strip() != bundled_key:
            report.findings.append(
                Finding("log_key", None, "the bundle's log key is not the pinned key")
            )
            return report
        log_verifier = verifier_from_vkey(log_vkey or bundled_key)
        cosigners: list[NoteVerifier] = list(pinned) or [
            verifier_from_vkey(str(w["vkey"])) for w in header.get("witnesses", [])
        ]
        leaves: list[bytes] = []
        notes: list[tuple[str, str]] = []
        for record in records:
            if "body" in record:
                if notes or record.get("i") != len(leaves) or not isinstance(record["body"], str):
                    report.findings.append(
                        Finding("missing_entry", len(leaves), f"entry {len(leaves)} is missing")
                    )
                    break
                leaves.append(leaf_hash(record["body"].encode("utf-8")))
            elif isinstance(record.get("checkpoint"), str):
                notes.append((f"checkpoint {len(notes) + 1}", record["checkpoint"]))
            else:
                raise BundleInvalid("unknown record in bundle")
        levels = Levels(leaves)
        report.entries = levels.size
        covered = check_checkpoints(
            report,
            levels,
            notes,
            origin=origin,
            log_verifier=log_verifier,
            cosigners=cosigners,
            min_cosignatures=required,
        )
        declared = header.get("size")
        if declared != levels.size:
            # A bundle cut back to an old checkpoint verifies on its own: its header
            # still says how many entries were exported.
            report.findings.append(
                Finding(
                    "size_mismatch",
                    min(levels.size, declared) if isinstance(declared, int) else None,
                    f"the bundle says it holds {declared} entries; it holds {levels.size}",
                    exact=False,
                )
            )
        if not notes:
            report.findings.append(Finding("no_checkpoint", None, "the bundle has no checkpoint"))
        elif covered < levels.size:
            # Nothing signed vouches for these: an entry appended (or rewritten) after the
            # last verified checkpoint is exactly what a forger would add.
            report.findings.append(
                Finding(
                    "uncovered_entries",
                    covered,
                    f"entries [{covered}, {levels.size}) are covered by no verified checkpoint",
                    exact=False,
                )
            )
        return report


def _required_cosignatures(witness_vkeys: Sequence[str], wanted: int | None) -> int:
    if wanted is None:
        return 1 if witness_vkeys else 0
    if wanted < 0:
        raise InvalidInput(
            "the number of cosignatures cannot be negative", field="min_cosignatures"
        )
    if wanted > len(witness_vkeys):
        raise InvalidInput(
            f"{wanted} cosignatures are required but {len(witness_vkeys)} witness keys "
            "are pinned: only cosignatures of pinned keys count",
            code="witness_keys_needed",
            hint="pin each witness's key with --witness-key (obtained out of band)",
        )
    return wanted


def entries_of(path: Path) -> Iterable[str]:
    """The entry bodies in a bundle, in leaf order (for inspectors' own tooling)."""
    with path.open(encoding="utf-8") as handle:
        for record in _records(handle):
            if "body" in record:
                yield str(record["body"])
