"""Witnessing (c2sp.org/tlog-witness, tlog-cosignature) in both directions.

As a witness, the node cosigns a partner log's checkpoint only if it is signed by the
log's configured key and provably extends the last checkpoint it cosigned for that
log; as a log, it asks its configured witnesses to cosign its latest checkpoint and
keeps the cosignatures it could verify. A refusal raises an alert.
"""

from __future__ import annotations

import base64
import binascii
import re
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Protocol
from urllib.parse import urlparse

import httpx
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import select

from caveat.adapters.db.models.ledger import (
    LedgerCheckpointRow,
    LedgerCosignatureRow,
    LedgerWitnessRow,
    WitnessedLogRow,
)
from caveat.domain.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from caveat.domain.events import Actor, Outcome
from caveat.domain.ledger import (
    EMPTY_ROOT,
    CosignatureV1Signer,
    CosignatureV1Verifier,
    NoteVerificationError,
    ProofError,
    open_note,
    parse_checkpoint,
    verifier_from_vkey,
    verify_consistency,
)
from caveat.domain.ledger.checkpoint import CheckpointError
from caveat.domain.ledger.merkle import HASH_SIZE
from caveat.domain.ledger.note import Signature, cosignature_timestamp
from caveat.domain.permissions import Act
from caveat.services.kernel.authorize import authorize
from caveat.services.kernel.principal import Acting
from caveat.services.kernel.uow import CallContext, UnitOfWork, UnitOfWorkFactory
from caveat.services.ledger._monitoring import MonitoringService
from caveat.services.ledger._service import LedgerService, StoredCheckpoint, b64

MAX_REQUEST_BYTES = 64 * 1024
MAX_PROOF_LINES = 63
_OLD_LINE = re.compile(r"old (0|[1-9][0-9]{0,19})")
WITNESS = Actor.system("witness")


# --- errors of the witness protocol (each maps to the status tlog-witness prescribes) ---


class WitnessBadRequest(InvalidInput):
    """Raised when an add-checkpoint body is malformed (400)."""

    code = "witness_bad_request"


class WitnessUnknownLog(NotFound):
    """Raised when the checkpoint's origin is not a log this node witnesses (404)."""

    code = "witness_unknown_log"


class WitnessBadSignature(PermissionDenied):
    """Raised when the log's own signature on the checkpoint is missing or wrong (403)."""

    code = "witness_bad_signature"


class WitnessStaleSize(Conflict):
    """Raised when the request's old size is not the size we last cosigned (409 + size)."""

    code = "witness_old_size_mismatch"


class WitnessRootMismatch(Conflict):
    """Raised when a checkpoint repeats the cosigned size with another root (a fork, 409)."""

    code = "witness_root_mismatch"


class WitnessBadProof(InvalidInput):
    """Raised when the consistency proof does not verify: the log forked or lied (422)."""

    code = "witness_bad_proof"


# --- keys --------------------------------------------------------------------------


def witness_key(node_key: Ed25519PrivateKey) -> Ed25519PrivateKey:
    """The node's cosigning key, derived from its log key with HKDF-SHA256.

    A separate key keeps log signatures and cosignatures apart (tlog-cosignature
    asks that a witness key sign nothing else) while backup and rotation stay those
    of the one node key.
    """
    seed = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=None,
        info=b"caveat/tlog-witness/cosignature-v1",
    ).derive(node_key.private_bytes_raw())
    return Ed25519PrivateKey.from_private_bytes(seed)


# --- transport -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WitnessReply:
    """What a witness answered: HTTP status, content type and text body."""

    status: int
    content_type: str
    body: str


class WitnessTransport(Protocol):
    """How add-checkpoint requests reach a witness."""

    def add_checkpoint(self, url: str, body: str) -> WitnessReply:
        """POST ``body`` to ``<url>/add-checkpoint``; raise ConnectionError if unreachable."""
        ...


class HttpWitnessTransport:
    """add-checkpoint over HTTP(S) with httpx."""

    def __init__(self, *, timeout: float = 10.0, ca_bundle: str | None = None) -> None:
        self._timeout, self._ca_bundle = timeout, ca_bundle

    @cached_property
    def _trust(self) -> ssl.SSLContext:
        # Partners' certificates: the system's trust store, or the federation's CA bundle,
        # loaded on the first request (most processes that open a node never send one).
        return ssl.create_default_context(cafile=self._ca_bundle)

    def add_checkpoint(self, url: str, body: str) -> WitnessReply:
        """POST the request; the reply is capped at 64 KiB."""
        try:
            response = httpx.post(
                url.rstrip("/") + "/add-checkpoint",
                content=body.encode("utf-8"),
                headers={"content-type": "text/plain; charset=utf-8"},
                timeout=self._timeout,
                verify=self._trust,
            )
        except httpx.HTTPError as exc:
            raise ConnectionError(str(exc)) from exc
        media = response.headers.get("content-type", "").split(";")[0].strip()
        return WitnessReply(response.status_code, media, response.text[:MAX_REQUEST_BYTES])


# --- data handed out -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Witness:
    """A partner that witnesses this node's log."""

    name: str
    vkey: str
    url: str
    last_size: int


@dataclass(frozen=True, slots=True)
class WitnessedLog:
    """A partner log this node witnesses."""

    origin: str
    vkey: str
    size: int
    root_hash: str


@dataclass(frozen=True, slots=True)
class WitnessOutcome:
    """What one witness did with our checkpoint: cosigned, refused or unreachable."""

    witness: str
    status: str
    size: int
    detail: str


@dataclass(frozen=True, slots=True)
class AddCheckpointRequest:
    """A parsed add-checkpoint body."""

    old_size: int
    proof: list[bytes]
    note: str


def parse_add_checkpoint(body: bytes) -> AddCheckpointRequest:
    """Parse ``old <n>``, proof lines, a blank line and the signed checkpoint strictly."""
    if len(body) > MAX_REQUEST_BYTES:
        raise WitnessBadRequest("request body is too large")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise WitnessBadRequest("request body is not UTF-8") from None
    head, sep, note = text.partition("\n\n")
    if not sep or not note:
        raise WitnessBadRequest("request needs an old-size line, a blank line and a checkpoint")
    lines = head.split("\n")
    match = _OLD_LINE.fullmatch(lines[0])
    if not match:
        raise WitnessBadRequest("first line must be `old <size>`")
    if len(lines) - 1 > MAX_PROOF_LINES:
        raise WitnessBadRequest("too many proof lines")
    proof: list[bytes] = []
    for line in lines[1:]:
        try:
            value = base64.b64decode(line, validate=True)
        except binascii.Error:
            raise WitnessBadRequest("proof line is not base64") from None
        if len(value) != HASH_SIZE or b64(value) != line:
            raise WitnessBadRequest("proof lines must be canonical base64 of 32 bytes")
        proof.append(value)
    return AddCheckpointRequest(int(match.group(1)), proof, note)


def request_body(old_size: int, proof: list[bytes], note: str) -> str:
    """The add-checkpoint body for a checkpoint note."""
    return f"old {old_size}\n" + "".join(b64(p) + "\n" for p in proof) + "\n" + note


class WitnessService:
    """Cosigns partner checkpoints and collects cosignatures for ours."""

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        ledger: LedgerService,
        monitoring: MonitoringService,
        transport: WitnessTransport,
        clock: Callable[[], datetime],
    ) -> None:
        self._uow = uow
        self._ledger = ledger
        self._monitoring = monitoring
        self._transport = transport
        self._clock = clock

    def cosigner(self) -> CosignatureV1Signer:
        """Our cosignature/v1 signer as of now (its name is our origin)."""
        key = witness_key(self._ledger.signer_key())
        return CosignatureV1Signer(
            self._ledger.origin, key, timestamp=int(self._clock().timestamp())
        )

    def cosigner_vkey(self) -> str:
        """The verifier key partners configure to check our cosignatures."""
        return self.cosigner().verifier().vkey

    # --- configuration ------------------------------------------------------------

    def add_witness(self, by: Acting, ctx: CallContext, *, vkey: str, url: str) -> Witness:
        """Configure a partner (its cosigner vkey and add-checkpoint URL prefix)."""
        authorize(by, Act.WITNESS_CONFIGURE)
        verifier = verifier_from_vkey(vkey.strip())
        if not isinstance(verifier, CosignatureV1Verifier):
            raise InvalidInput(
                "a witness key must be a cosignature/v1 (type 0x04) key",
                code="witness_key_type",
                field="vkey",
            )
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise InvalidInput("the witness URL must be http(s)://host/...", field="url")
        with self._uow(ctx) as uow:
            if uow.session.get(LedgerWitnessRow, verifier.name) is not None:
                raise Conflict(f"witness {verifier.name!r} exists", code="duplicate_witness")
            row = LedgerWitnessRow(
                name=verifier.name, vkey=vkey.strip(), url=url, last_size=0, created_at=uow.now
            )
            uow.session.add(row)
            uow.record(
                "ledger.witness_added",
                by.actor(),
                target_id=row.name,
                data={"vkey": row.vkey, "url": url},
            )
            return Witness(row.name, row.vkey, row.url, 0)

    def witness_each_other_in(
        self,
        uow: UnitOfWork,
        actor: Actor,
        *,
        log_vkey: str,
        witness_vkey: str,
        url: str,
        replacing: tuple[str, str] | None = None,
    ) -> None:
        """Inside a peering's acceptance (its own authorization): witness the peer's log
        and ask the peer to witness ours. The keys are the peer descriptor's, confirmed by
        its fingerprint. A peer's new keys replace only its own old ones (``replacing``:
        its log and witness keys in use; the log continues, so what was cosigned stays
        the starting point): a log or witness of that name held by anyone else, or this
        node's own, is refused, so no partner takes over another's entries."""
        log = verifier_from_vkey(log_vkey)
        cosigner = verifier_from_vkey(witness_vkey)
        session = uow.session
        if log.name == self._ledger.origin or cosigner.name == self.cosigner().name:
            raise Conflict("the peer's keys carry this node's own name", code="peer_key_name_taken")
        logged = session.get(WitnessedLogRow, log.name)
        witness_row = session.get(LedgerWitnessRow, cosigner.name)
        for row, mine in ((logged, 0), (witness_row, 1)):
            if row is not None and (replacing is None or row.vkey != replacing[mine]):
                raise Conflict(
                    f"a log or witness named {row.vkey.split('+', 1)[0]!r} is already known "
                    "with other keys",
                    code="peer_key_name_taken",
                    hint="the partner's node needs a name no other node here uses",
                )
        if logged is None:
            session.add(
                WitnessedLogRow(
                    origin=log.name, vkey=log_vkey, size=0, root_hash=EMPTY_ROOT, updated_at=uow.now
                )
            )
        else:
            logged.vkey, logged.updated_at = log_vkey, uow.now
        uow.record("ledger.log_trusted", actor, target_id=log.name, data={"vkey": log_vkey})
        witness = witness_row
        if witness is None:
            session.add(
                LedgerWitnessRow(
                    name=cosigner.name, vkey=witness_vkey, url=url, last_size=0, created_at=uow.now
                )
            )
        else:
            witness.vkey, witness.url = witness_vkey, url
        uow.record(
            "ledger.witness_added",
            actor,
            target_id=cosigner.name,
            data={"vkey": witness_vkey, "url": url},
        )

    def configured(self, by: Acting) -> list[Witness]:
        """The configured witnesses (their addresses and keys), for node operators,
        security officers and auditors."""
        authorize(by, Act.WITNESS_LIST)
        return self.witnesses()

    def witnesses(self) -> list[Witness]:
        """Configured witnesses, by name."""
        with self._uow.read() as session:
            rows = session.scalars(select(LedgerWitnessRow).order_by(LedgerWitnessRow.name))
            return [Witness(r.name, r.vkey, r.url, r.last_size) for r in rows]

    def trust_log(
        self, by: Acting, ctx: CallContext, *, vkey: str, origin: str | None = None
    ) -> WitnessedLog:
        """Agree to witness a partner log whose checkpoints ``vkey`` signs."""
        authorize(by, Act.WITNESS_CONFIGURE)
        verifier = verifier_from_vkey(vkey.strip())
        if isinstance(verifier, CosignatureV1Verifier):
            raise InvalidInput(
                "a log key must be an Ed25519 (type 0x01) key", code="log_key_type", field="vkey"
            )
        origin = origin or verifier.name
        with self._uow(ctx) as uow:
            if uow.session.get(WitnessedLogRow, origin) is not None:
                raise Conflict(f"log {origin!r} is already witnessed", code="duplicate_log")
            row = WitnessedLogRow(
                origin=origin, vkey=vkey.strip(), size=0, root_hash=EMPTY_ROOT, updated_at=uow.now
            )
            uow.session.add(row)
            uow.record("ledger.log_trusted", by.actor(), target_id=origin, data={"vkey": row.vkey})
            return WitnessedLog(origin, row.vkey, 0, b64(EMPTY_ROOT))

    def witnessed_logs(self) -> list[WitnessedLog]:
        """Partner logs we witness, with the latest size we cosigned."""
        with self._uow.read() as session:
            rows = session.scalars(select(WitnessedLogRow).order_by(WitnessedLogRow.origin))
            return [WitnessedLog(r.origin, r.vkey, r.size, b64(r.root_hash)) for r in rows]

    # --- the witness side: add-checkpoint ---------------------------------------------

    def add_checkpoint(self, ctx: CallContext, body: bytes) -> str:
        """Cosign a partner's checkpoint if it extends what we cosigned; return the lines."""
        request = parse_add_checkpoint(body)
        origin = request.note.split("\n", 1)[0]
        refusal: WitnessBadProof | WitnessRootMismatch | None = None
        line = ""
        with self._uow(ctx) as uow:
            row = uow.session.get(WitnessedLogRow, origin, with_for_update=True)
            if row is None:
                raise WitnessUnknownLog(f"this node does not witness {origin!r}")
            try:
                opened = open_note(request.note, [verifier_from_vkey(row.vkey)])
            except NoteVerificationError as exc:
                raise WitnessBadSignature(f"checkpoint signature: {exc.detail}") from None
            try:
                checkpoint = parse_checkpoint(opened.text)
            except CheckpointError as exc:
                raise WitnessBadRequest(exc.detail) from None
            if checkpoint.origin != origin:
                raise WitnessBadRequest("checkpoint origin line is malformed")
            if request.old_size > checkpoint.size:
                raise WitnessBadRequest("old size is larger than the checkpoint")
            if request.old_size != row.size:
                raise WitnessStaleSize(
                    f"the latest cosigned size is {row.size}", data={"known_size": row.size}
                )
            try:
                _check_extension(request, checkpoint.size, checkpoint.root_hash, row.root_hash)
            except (WitnessBadProof, WitnessRootMismatch) as exc:
                refusal = exc
            if refusal is None:
                row.size, row.root_hash, row.updated_at = (
                    checkpoint.size,
                    checkpoint.root_hash,
                    uow.now,
                )
                cosigner = self.cosigner()
                line = Signature(cosigner.name, cosigner.key_id, cosigner.sign(opened.text)).line()
            uow.record(
                "ledger.checkpoint_witnessed",
                WITNESS,
                target_id=origin,
                outcome=Outcome.SUCCESS if refusal is None else Outcome.DENIED,
                data={
                    "size": checkpoint.size,
                    "root_hash": b64(checkpoint.root_hash),
                    "old_size": request.old_size,
                    "refusal": None if refusal is None else refusal.code,
                },
            )
        if refusal is not None:
            raise refusal  # after commit: the refusal of a signed fork is evidence we keep
        return line + "\n"

    # --- the log side: asking witnesses -------------------------------------------------

    def request_cosignatures(
        self, by: Acting, ctx: CallContext, *, witness: str | None = None
    ) -> list[WitnessOutcome]:
        """Publish a checkpoint and ask every configured witness (or only the one named
        ``witness``, e.g. after its outage) to cosign it."""
        authorize(by, Act.WITNESS_CONFIGURE)
        asked = self.witnesses()
        if witness is not None:
            asked = [w for w in asked if w.name == witness]
            if not asked:
                raise NotFound(f"no witness named {witness!r}", code="unknown_witness")
        checkpoint = self._ledger.publish_now()
        return [self._ask(ctx, w, checkpoint) for w in asked]

    def _ask(self, ctx: CallContext, witness: Witness, cp: StoredCheckpoint) -> WitnessOutcome:
        bare = self._bare_note(cp)
        old = witness.last_size if witness.last_size <= cp.size else 0
        for _attempt in range(2):  # a 409 tells us the size it knows: retry once with it
            try:
                reply = self._transport.add_checkpoint(
                    witness.url, request_body(old, self._proof(old, cp.size), bare)
                )
            except ConnectionError as exc:
                return WitnessOutcome(witness.name, "unreachable", cp.size, str(exc)[:200])
            if reply.status == 409 and reply.content_type == "text/x.tlog.size":
                known = reply.body.strip()
                if known.isdigit() and int(known) <= cp.size and int(known) != old:
                    old = int(known)
                    continue
            break
        if reply.status == 200:
            try:
                self._store_cosignature(ctx, witness, cp, reply.body)
            except (NoteVerificationError, InvalidInput) as exc:
                return self._refused(ctx, witness, cp, 200, f"bad cosignature: {exc.detail}")
            return WitnessOutcome(witness.name, "cosigned", cp.size, "")
        return self._refused(ctx, witness, cp, reply.status, reply.body.strip()[:300])

    def _bare_note(self, cp: StoredCheckpoint) -> str:
        with self._uow.read() as session:
            note = session.scalar(
                select(LedgerCheckpointRow.note).where(LedgerCheckpointRow.id == cp.id)
            )
        return str(note)

    def _proof(self, old: int, size: int) -> list[bytes]:
        if old == 0 or old == size:
            return []
        return self._ledger.consistency_proof(old, size).proof

    def _store_cosignature(
        self, ctx: CallContext, witness: Witness, cp: StoredCheckpoint, body: str
    ) -> None:
        verifier = verifier_from_vkey(witness.vkey)
        bare = self._bare_note(cp)
        line = next(
            (ln for ln in body.split("\n") if ln.startswith(f"\u2014 {witness.name} ")), None
        )
        if line is None:
            raise InvalidInput("the witness sent no cosignature line of its own")
        opened = open_note(bare + line + "\n", [verifier])  # raises unless it verifies
        cosigned = next(s for s in opened.verified if s.name == witness.name)
        at = datetime.fromtimestamp(cosignature_timestamp(cosigned.signature), UTC)
        with self._uow(ctx) as uow:
            row = uow.session.get(LedgerWitnessRow, witness.name, with_for_update=True)
            if row is not None:
                row.last_size = max(row.last_size, cp.size)
            exists = uow.session.scalar(
                select(LedgerCosignatureRow.id).where(
                    LedgerCosignatureRow.checkpoint_id == cp.id,
                    LedgerCosignatureRow.witness == witness.name,
                )
            )
            if exists is None:
                uow.session.add(
                    LedgerCosignatureRow(
                        checkpoint_id=cp.id,
                        witness=witness.name,
                        line=line,
                        cosigned_at=at,
                        received_at=uow.now,
                    )
                )
                uow.record(
                    "ledger.cosigned",
                    WITNESS,
                    target_id=str(cp.size),
                    data={"witness": witness.name, "size": cp.size, "root_hash": b64(cp.root_hash)},
                )

    def _refused(
        self, ctx: CallContext, witness: Witness, cp: StoredCheckpoint, status: int, detail: str
    ) -> WitnessOutcome:
        self._monitoring.raise_alert(
            ctx,
            rule="witness_refused",
            severity="critical",
            subject_id=witness.name,
            summary=f"witness {witness.name} refused checkpoint {cp.size} (HTTP {status})",
            data={"witness": witness.name, "size": cp.size, "status": status, "detail": detail},
        )
        return WitnessOutcome(witness.name, "refused", cp.size, f"HTTP {status}: {detail}")


def _check_extension(
    request: AddCheckpointRequest, size: int, root: bytes, known_root: bytes
) -> None:
    """tlog-witness: the new checkpoint must extend the cosigned one, provably."""
    old = request.old_size
    if old == size:
        if request.proof:
            raise WitnessBadProof("equal sizes need an empty proof")
        if root != known_root:
            raise WitnessRootMismatch("same size as the cosigned checkpoint, different root")
        return
    if old == 0:
        if request.proof:
            raise WitnessBadProof("a proof from size 0 must be empty")
        return
    try:
        verify_consistency(old, size, request.proof, known_root, root)
    except ProofError as exc:
        raise WitnessBadProof(f"consistency proof: {exc.detail}") from None
