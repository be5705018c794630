"""Full verification of the ledger from the database (``caveat audit verify``).

Recomputes every leaf from the stored event bytes, checks the row columns against
those bytes, recomputes every perfect-subtree hash and compares it with the stored
one, and checks every checkpoint (signature, row, root) and cosignature. Findings
name the first leaf index that is inconsistent wherever one can be named.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from caveat.adapters.db.models import Base
from caveat.domain.errors import IntegrityError, InvalidInput
from caveat.domain.ledger import (
    CheckpointError,
    NoteVerificationError,
    NoteVerifier,
    leaf_hash,
    node_hash,
    open_checkpoint,
    open_note,
    root_hash,
    verifier_from_vkey,
)
from caveat.services.ledger._store import snapshot

EVENTS = Base.metadata.tables["events"]
NODES = Base.metadata.tables["ledger_nodes"]
CHECKPOINTS = Base.metadata.tables["ledger_checkpoints"]
COSIGNATURES = Base.metadata.tables["ledger_cosignatures"]
WITNESSES = Base.metadata.tables["ledger_witnesses"]
# On PostgreSQL a transaction holding a lower seq may commit after a higher one was
# integrated; give it this long before calling it an insertion.
PG_LATE_COMMIT_GRACE = timedelta(minutes=1)


class LedgerTampered(IntegrityError):
    """Raised when verification finds the ledger inconsistent with itself or its checkpoints."""

    code = "ledger_tampered"


@dataclass(frozen=True, slots=True)
class Finding:
    """One inconsistency: what kind, the first leaf index it concerns (if any), details."""

    kind: str
    index: int | None
    detail: str
    exact: bool = True  # False: ``index`` only bounds the bad range from below


@dataclass
class VerifyReport:
    """The result of a full verification."""

    entries: int = 0
    checkpoints: int = 0
    cosignatures: int = 0
    pending: int = 0
    covered: int = 0  # entries [0, covered) are committed to by a verified checkpoint
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing is inconsistent."""
        return not self.findings

    @property
    def first_bad_index(self) -> int | None:
        """The lowest leaf index any finding names."""
        exact = [f.index for f in self.findings if f.index is not None and f.exact]
        bounds = [f.index for f in self.findings if f.index is not None]
        return min(exact) if exact else min(bounds) if bounds else None

    def require_ok(self) -> None:
        """Raise :class:`LedgerTampered` naming the first bad entry unless all is well."""
        if self.findings:
            first = self.first_bad_index
            where = f"first inconsistent entry: {first}; " if first is not None else ""
            raise LedgerTampered(
                f"ledger verification failed: {where}{self.findings[0].detail}",
                data={"first_bad_index": first, "findings": len(self.findings)},
                hint="restore from backup and compare with witness-cosigned checkpoints",
            )


class Levels:
    """Every perfect-subtree hash recomputed from leaves: a HashSource held in memory."""

    def __init__(self, leaves: list[bytes]) -> None:
        self.levels = [leaves]
        while len(self.levels[-1]) > 1:
            row = self.levels[-1]
            self.levels.append([node_hash(row[i], row[i + 1]) for i in range(0, len(row) - 1, 2)])

    @property
    def size(self) -> int:
        """The number of leaves."""
        return len(self.levels[0])

    def stored_hash(self, level: int, index: int) -> bytes:
        """The recomputed hash at (level, index)."""
        if level < len(self.levels) and 0 <= index < len(self.levels[level]):
            return self.levels[level][index]
        raise InvalidInput(f"no subtree ({level}, {index})")


def check_checkpoints(
    report: VerifyReport,
    levels: Levels,
    notes: Iterable[tuple[str, str]],
    *,
    origin: str,
    log_verifier: NoteVerifier,
    cosigners: list[NoteVerifier],
    min_cosignatures: int = 0,
) -> int:
    """Check signed checkpoints (label, note) against the recomputed tree; returns the
    size of the largest one that verified (the prefix of the log it vouches for), also
    kept in ``report.covered``. A checkpoint with fewer than ``min_cosignatures``
    verified cosignatures (from ``cosigners``) vouches for nothing."""
    good_below = 0
    for label, note in notes:
        report.checkpoints += 1
        try:
            verified = open_checkpoint(
                note, origin=origin, log_verifier=log_verifier, cosigners=cosigners
            )
        except (CheckpointError, NoteVerificationError, InvalidInput) as exc:
            report.findings.append(Finding("checkpoint_signature", None, f"{label}: {exc.detail}"))
            continue
        report.cosignatures += len(verified.cosignatures)
        if len(verified.cosignatures) < min_cosignatures:
            report.findings.append(
                Finding(
                    "too_few_cosignatures",
                    None,
                    f"{label}: {len(verified.cosignatures)} of the {min_cosignatures} "
                    "cosignatures required from the pinned witnesses",
                )
            )
            continue
        cp = verified.checkpoint
        if cp.size > levels.size:
            report.findings.append(
                Finding(
                    "checkpoint_beyond_log",
                    levels.size,
                    f"{label} commits to {cp.size} entries; only {levels.size} are present",
                )
            )
        elif root_hash(levels, cp.size) != cp.root_hash:
            report.findings.append(
                Finding(
                    "checkpoint_root",
                    good_below,
                    f"{label}: entries in [{good_below}, {cp.size}) differ from what was signed",
                    exact=False,
                )
            )
        else:
            good_below = max(good_below, cp.size)
    report.covered = good_below
    return good_below


_COLUMNS = ("id", "type", "type_version", "outcome", "request_id", "node_id")


def _row_problem(row: Any) -> str | None:
    """Which indexed column disagrees with the committed event bytes, if any."""
    try:
        doc = json.loads(row.body)
    except ValueError:
        return "body is not JSON"
    expected = {
        **{k: doc.get(k) for k in _COLUMNS},
        "actor_kind": doc.get("actor", {}).get("kind"),
        "actor_id": doc.get("actor", {}).get("id"),
        "actor_name": doc.get("actor", {}).get("name"),
        "target_type": doc.get("target", {}).get("type"),
        "target_id": doc.get("target", {}).get("id"),
        "occurred_at": doc.get("occurred_at"),
    }
    actual = {k: getattr(row, k) for k in expected}
    actual["occurred_at"] = row.occurred_at.astimezone(UTC).isoformat(timespec="microseconds")
    for key, value in expected.items():
        if actual[key] != value:
            return f"column {key} disagrees with the event bytes"
    return None


def _compare_level(rows: Iterable[Any], computed: list[bytes], level: int) -> Finding | None:
    """The first stored hash of one level that is missing, extra or different."""
    count = 0
    for position, (idx, stored) in enumerate(rows):
        count = position + 1
        if idx != position or position >= len(computed) or bytes(stored) != computed[position]:
            first = min(idx, position) << level
            what = "leaf hash" if level == 0 else f"subtree hash at level {level}"
            # Above the leaves a bad node only bounds the bad entry from below.
            detail = f"stored {what} covering entry {first} disagrees"
            return Finding("node_hash", first, detail, exact=level == 0)
    if count < len(computed):
        first = count << level
        return Finding(
            "node_missing", first, f"no stored hash covers entry {first}", exact=level == 0
        )
    return None


class LedgerVerifier:
    """Verifies the whole ledger in the database."""

    def __init__(
        self,
        *,
        engine: Engine,
        origin: str,
        log_verifier: Callable[[], NoteVerifier],
        clock: Callable[[], datetime],
    ) -> None:
        self._engine = engine.execution_options(caveat_read_only=True)
        self._origin = origin
        self._log_verifier = log_verifier
        self._clock = clock

    def verify(self) -> VerifyReport:
        """Check everything; the report lists every finding (see ``require_ok``)."""
        report = VerifyReport()
        with snapshot(self._engine) as conn:
            leaves = self._entries(conn, report)
            levels = Levels(leaves)
            report.entries = levels.size
            self._nodes(conn, report, levels)
            self._inserted(conn, report)
            cosigners = self._witness_verifiers(conn, report)
            check_checkpoints(
                report,
                levels,
                self._notes(conn),
                origin=self._origin,
                log_verifier=self._log_verifier(),
                cosigners=cosigners,
            )
            self._checkpoint_rows(conn, report)
        return report

    def _entries(self, conn: Connection, report: VerifyReport) -> list[bytes]:
        leaves: list[bytes] = []
        rows = conn.execution_options(yield_per=10_000).execute(
            select(EVENTS).where(EVENTS.c.leaf_index.is_not(None)).order_by(EVENTS.c.leaf_index)
        )
        for row in rows:
            expected = len(leaves)
            if row.leaf_index != expected:
                report.findings.append(
                    Finding("missing_entry", expected, f"entry {expected} is missing")
                )
                break
            problem = _row_problem(row)
            if problem:
                report.findings.append(
                    Finding("row_mismatch", expected, f"entry {expected}: {problem}")
                )
            leaves.append(leaf_hash(row.body.encode("utf-8")))
        rows.close()
        return leaves

    def _nodes(self, conn: Connection, report: VerifyReport, levels: Levels) -> None:
        top = conn.scalar(select(func.max(NODES.c.level))) or 0
        for level in range(max(top + 1, len(levels.levels))):
            computed = levels.levels[level] if level < len(levels.levels) else []
            rows = conn.execution_options(yield_per=20_000).execute(
                select(NODES.c.idx, NODES.c.hash)
                .where(NODES.c.level == level)
                .order_by(NODES.c.idx)
            )
            finding = _compare_level(rows, computed, level)
            if finding is not None:
                report.findings.append(finding)
            rows.close()

    def _inserted(self, conn: Connection, report: VerifyReport) -> None:
        top = conn.scalar(select(func.max(EVENTS.c.seq)).where(EVENTS.c.leaf_index.is_not(None)))
        if top is None:
            report.pending = int(conn.scalar(select(func.count()).select_from(EVENTS)) or 0)
            return
        pending = conn.execute(
            select(EVENTS.c.seq, EVENTS.c.id, EVENTS.c.occurred_at).where(
                EVENTS.c.leaf_index.is_(None)
            )
        ).all()
        report.pending = len(pending)
        grace = PG_LATE_COMMIT_GRACE if conn.dialect.name == "postgresql" else timedelta(0)
        cutoff = self._clock() - grace
        for seq, event_id, occurred_at in sorted(pending):
            if seq < top and occurred_at <= cutoff:
                where = conn.scalar(select(func.min(EVENTS.c.leaf_index)).where(EVENTS.c.seq > seq))
                report.findings.append(
                    Finding(
                        "inserted_row",
                        None if where is None else int(where),
                        f"event {event_id} (seq {seq}) appeared among integrated entries",
                    )
                )
                break

    def _witness_verifiers(self, conn: Connection, report: VerifyReport) -> list[NoteVerifier]:
        verifiers: list[NoteVerifier] = []
        for name, vkey in conn.execute(select(WITNESSES.c.name, WITNESSES.c.vkey)):
            try:
                verifiers.append(verifier_from_vkey(vkey))
            except InvalidInput as exc:
                report.findings.append(
                    Finding("witness_key", None, f"witness {name}: {exc.detail}")
                )
        return verifiers

    def _notes(self, conn: Connection) -> list[tuple[str, str]]:
        cosigs: dict[int, list[str]] = {}
        for cp_id, line in conn.execute(select(COSIGNATURES.c.checkpoint_id, COSIGNATURES.c.line)):
            cosigs.setdefault(int(cp_id), []).append(line)
        notes = []
        for cp_id, size, note in conn.execute(
            select(CHECKPOINTS.c.id, CHECKPOINTS.c.size, CHECKPOINTS.c.note).order_by(
                CHECKPOINTS.c.size
            )
        ):
            lines = "".join(line + "\n" for line in cosigs.get(int(cp_id), []))
            notes.append((f"checkpoint #{cp_id} (size {size})", note + lines))
        return notes

    def _checkpoint_rows(self, conn: Connection, report: VerifyReport) -> None:
        """The size and root columns must say what the signed note says."""
        for cp_id, size, root, note in conn.execute(
            select(
                CHECKPOINTS.c.id, CHECKPOINTS.c.size, CHECKPOINTS.c.root_hash, CHECKPOINTS.c.note
            )
        ):
            try:
                opened = open_note(note, [self._log_verifier()])
            except NoteVerificationError:
                continue  # already reported as a signature finding
            lines = opened.text.split("\n")
            if lines[1] != str(size) or lines[2] != base64.b64encode(bytes(root)).decode():
                report.findings.append(
                    Finding(
                        "checkpoint_row",
                        None,
                        f"checkpoint #{cp_id}: size or root column differs from the signed note",
                    )
                )
