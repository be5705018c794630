"""The release event's inclusion proof, following its package (issue 18, ADR 0019
addendum "Release proofs").

A package is taken on its own checks (``_releasing``). Its release event enters the
originator's Merkle log only when the sequencer integrates it, and is provable to this
node only at a checkpoint this node has cosigned as the originator's witness: both happen
after the package may already have travelled. So after each pull the receiver asks, in
one signed request (``POST /federation/v1/release-proofs``), for the proofs of the items
it holds without one; the originator answers each seq with the release event's body and
its inclusion path in the tree of the size the asker last cosigned, or ``pending``
(not integrated or not cosigned yet), or ``unknown`` (it released nothing at that seq to
the asker). The receiver checks the path against the root it witnessed and that the leaf
is the release of exactly that package (its seq and package hash); a proof that does not
verify, a leaf that is another entry, or an originator denying the release is refused,
recorded and alerted, and the item is hidden (``_proof_status``)."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from caveat.adapters.db.models import EventRow
from caveat.adapters.db.models.federation import (
    PeerReceivedRow,
    PeerReleaseProofRow,
    PeerRow,
)
from caveat.adapters.db.models.ledger import LedgerWitnessRow, WitnessedLogRow
from caveat.adapters.keys import KeyProvider
from caveat.domain.errors import InvalidInput, ServiceUnavailable
from caveat.domain.events import Actor, Outcome
from caveat.domain.federation_proofs import (
    RELEASE_EVENT,
    ProofVerdict,
    Witnessed,
    judge,
    parse_proof,
)
from caveat.services.federation._outbound import Outbound, answer_json, url_of
from caveat.services.federation._proof_status import withhold_refused
from caveat.services.federation._requests import PeerCaller
from caveat.services.kernel.ports import PeerTransport
from caveat.services.kernel.uow import CallContext, UnitOfWork, UnitOfWorkFactory
from caveat.services.ledger import LedgerService, MonitoringService

PROOFS_PATH = "/release-proofs"
MAX_ASKED = 100  # seqs in one request
ANSWER_BYTES = 4 << 20  # 100 entries of a few hundred bytes and paths of 64 hashes
RECEIVER = Actor.system("federation")


@dataclass(frozen=True, slots=True)
class ProofRound:
    """What one round of asking a peer for proofs did."""

    asked: int
    verified: int
    refused: int
    waiting: int


def _name_of(vkey: str) -> str:
    return vkey.split("+", 1)[0]  # a C2SP verifier key begins with its name


class ReleaseProofs:
    """Answers peers' requests for release proofs and asks peers for its own."""

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        keys: KeyProvider,
        ledger: LedgerService,
        transport: PeerTransport,
        monitoring: MonitoringService,
    ) -> None:
        self._uow = uow
        self._keys = keys
        self._ledger = ledger
        self._transport = transport
        self._monitoring = monitoring

    # --- the originator -------------------------------------------------------------

    def answer(self, caller: PeerCaller, body: bytes) -> list[dict[str, Any]]:
        """For each seq the calling peer asks about (``{seqs: [int]}``, at most 100), the
        proof of the release event that put it in the caller's outbox, at the size of
        the latest checkpoint the caller cosigned; ``pending`` until there is one."""
        seqs = _asked(body)
        with self._uow.read() as session:
            peer = session.get(PeerRow, caller.peer_id)
            assert peer is not None
            witness = session.get(LedgerWitnessRow, _name_of(peer.witness_key))
            cosigned = 0 if witness is None else int(witness.last_size or 0)
            found: dict[int, tuple[str, int | None]] = {}
            wanted = set(seqs)
            # One pass over the release events about the caller (ix_events_target).
            rows = session.execute(
                select(EventRow.body, EventRow.leaf_index).where(
                    EventRow.target_type == "peer",
                    EventRow.target_id == caller.peer_id,
                    EventRow.type == RELEASE_EVENT,
                )
            )
            for body_text, index in rows:
                seq = json.loads(body_text).get("data", {}).get("seq")
                if seq in wanted:
                    found[seq] = (body_text, index)
        answers: list[dict[str, Any]] = []
        for seq in seqs:
            if seq not in found:
                answers.append({"seq": seq, "status": "unknown"})
                continue
            entry, index = found[seq]
            if index is None or index >= cosigned:
                answers.append({"seq": seq, "status": "pending"})
                continue
            proved = self._ledger.inclusion_proof(index, cosigned)
            answers.append(
                {
                    "seq": seq,
                    "status": "proved",
                    "entry": entry,
                    "index": index,
                    "size": proved.size,
                    "proof": [base64.b64encode(h).decode() for h in proved.proof],
                }
            )
        return answers

    # --- the receiver ---------------------------------------------------------------

    def prove(self, ctx: CallContext, peer_id: str) -> ProofRound:
        """Ask the peer for the proofs of what it released here that has none yet, and
        judge each against the latest checkpoint of its log this node cosigned."""
        with self._uow.read() as session:
            peer = session.get(PeerRow, peer_id)
            assert peer is not None
            name, endpoint, node = peer.name, peer.endpoint, peer.node_id
            origin = _name_of(peer.log_key)
            waiting = session.execute(
                select(PeerReceivedRow.id, PeerReceivedRow.seq)
                .outerjoin(
                    PeerReleaseProofRow, PeerReleaseProofRow.received_id == PeerReceivedRow.id
                )
                .where(
                    PeerReceivedRow.peer_id == peer_id,
                    PeerReleaseProofRow.received_id.is_(None),
                )
                .order_by(PeerReceivedRow.seq)
                .limit(MAX_ASKED)
            ).all()
            logged = session.get(WitnessedLogRow, origin)
            cosigned = 0 if logged is None else int(logged.size)
        if not waiting or cosigned == 0:  # nothing waits, or nothing can be proved yet
            return ProofRound(0, 0, 0, len(waiting))
        by_seq = {int(seq): item_id for item_id, seq in waiting}
        body = json.dumps({"seqs": sorted(by_seq)}).encode()
        signing, _ = self._keys.federation_keys()
        url = url_of(endpoint, PROOFS_PATH)
        signer = Outbound(self._uow.node_id, signing, self._uow.clock())
        headers = signer.headers("POST", url, body, to=node)
        headers["content-type"] = "application/json"
        try:
            status, answer = self._transport.send("POST", url, headers, body, limit=ANSWER_BYTES)
        except ConnectionError as exc:
            raise ServiceUnavailable(
                f"peer {name} cannot be reached: {exc}", code="peer_unavailable"
            ) from exc
        items = answer_json(name, status, answer).get("proofs")
        verified = refused = 0
        answered: set[int] = set()
        with self._uow(ctx) as uow:
            logged = uow.session.get(WitnessedLogRow, origin)
            witnessed = Witnessed(
                0 if logged is None else int(logged.size),
                b"" if logged is None else bytes(logged.root_hash),
            )
            for item in items if isinstance(items, list) else []:
                seq = item.get("seq") if isinstance(item, dict) else None
                if not isinstance(seq, int) or seq not in by_seq or seq in answered:
                    continue  # not asked, or answered twice: ignored
                answered.add(seq)
                outcome = self._judge(uow, peer_id, name, node, by_seq[seq], item, witnessed)
                verified += outcome == ProofVerdict.VERIFIED
                refused += outcome in (ProofVerdict.INVALID, ProofVerdict.OTHER_ENTRY)
        return ProofRound(len(by_seq), verified, refused, len(by_seq) - verified - refused)

    def _judge(
        self,
        uow: UnitOfWork,
        peer_id: str,
        name: str,
        node: str,
        item_id: str,
        item: dict[str, Any],
        witnessed: Witnessed,
    ) -> ProofVerdict | None:
        """Judge one answer and record the verdict; None while it waits."""
        received = uow.session.get(PeerReceivedRow, item_id)
        assert received is not None
        state = item.get("status")
        if state == "pending":
            return None
        if state == "unknown":
            reason = "the originator says it released nothing at this seq to this node"
            return self._refuse(uow, peer_id, name, received, ProofVerdict.OTHER_ENTRY, reason)
        try:
            proof = parse_proof(item)
        except ValueError as exc:
            return self._refuse(uow, peer_id, name, received, ProofVerdict.INVALID, str(exc))
        judged = judge(
            proof,
            witnessed,
            origin_node_id=node,
            seq=received.seq,
            package_sha256=hashlib.sha256(received.package).hexdigest(),
        )
        if judged.verdict == ProofVerdict.NOT_YET:
            return None
        if judged.verdict != ProofVerdict.VERIFIED:
            return self._refuse(
                uow, peer_id, name, received, judged.verdict, judged.reason, judged.entry_id
            )
        uow.session.add(
            PeerReleaseProofRow(
                received_id=received.id,
                peer_id=peer_id,
                status="verified",
                leaf_index=proof.index,
                tree_size=proof.size,
                entry_id=judged.entry_id,
                reason="",
                checked_at=uow.now,
            )
        )
        uow.record(
            "peer.release_proved",
            RECEIVER,
            target_id=received.id,
            data={
                "peer_id": peer_id,
                "seq": received.seq,
                "entry_id": judged.entry_id,
                "leaf_index": proof.index,
                "tree_size": proof.size,
            },
        )
        return ProofVerdict.VERIFIED

    def _refuse(
        self,
        uow: UnitOfWork,
        peer_id: str,
        name: str,
        received: PeerReceivedRow,
        verdict: ProofVerdict,
        reason: str,
        entry_id: str = "",
    ) -> ProofVerdict:
        data = {
            "peer_id": peer_id,
            "seq": received.seq,
            "verdict": verdict.value,
            "reason": reason[:300],
            "entry_id": entry_id,
        }
        uow.session.add(
            PeerReleaseProofRow(
                received_id=received.id,
                peer_id=peer_id,
                status="refused",
                entry_id=entry_id,
                reason=f"{verdict.value}: {reason}"[:300],
                checked_at=uow.now,
            )
        )
        # Fail closed: what the originator's log does not prove is hidden at once.
        withdrawn = withhold_refused(uow, received.id)
        uow.record(
            "peer.release_proof_refused",
            RECEIVER,
            target_id=received.id,
            outcome=Outcome.DENIED,
            data={**data, "withdrawn_artifacts": withdrawn},
        )
        self._monitoring.raise_within(
            uow,
            rule="peer_release_proof_invalid",
            severity="critical",
            subject_id=peer_id,
            subject_name=name,
            summary=f"the release proof of an item from peer {name} was refused: {reason}"[:300],
            data={**data, "received_id": received.id},
        )
        return verdict

    def status(self, item_id: str) -> str:
        """``verified``, ``refused`` or ``waiting``: where a received item's proof stands."""
        with self._uow.read() as session:
            row = session.get(PeerReleaseProofRow, item_id)
            return "waiting" if row is None else row.status


def _asked(body: bytes) -> list[int]:
    """The seqs of a proofs request: ``{seqs: [int]}``, distinct, at most 100."""
    try:
        value = json.loads(body)
    except ValueError:
        value = None
    seqs = value.get("seqs") if isinstance(value, dict) else None
    if (
        not isinstance(seqs, list)
        or not 0 < len(seqs) <= MAX_ASKED
        or not all(isinstance(s, int) and 1 <= s < 2**53 for s in seqs)
    ):
        raise InvalidInput(
            "a request for release proofs is {seqs: [int]} with 1 to 100 entries",
            code="invalid_release_proof_request",
            field="seqs",
        )
    return sorted(set(seqs))
