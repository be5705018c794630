"""Split-mode releases: recall that is cryptographic (issue 18, ADR 0033).

A release to a peer is offline (the package carries the whole payload key, wrapped for
the peer: today's behaviour and the default, for partners that are disconnected) or
split (the OpenTDF key splits: the package carries one split wrapped for the peer, this
node keeps the other). Sending in split mode keeps this node's split sealed at rest
under the node's secret key, in the release's transaction.

The receiver keeps a split package sealed (everything it can check alone is checked on
pull) and, on its first open, asks the originator for the split in a signed request
(``POST /federation/v1/splits/{release}``). The originator gives it only to the peer it
released to, while the release is not recalled, the peering is in force and the policy
still permits the release to that node, exactly as when it was sent; the split travels
wrapped for the peer's key. Every grant and refusal is a ledger event on both sides, in
the transaction of the state it changes. A recall destroys the originator's split in
the recall's transaction: a receiver that had not opened the package never can.

What this does not do, and ADR 0033 says so: a receiver that obtained the split keeps
it (and the plaintext); recall after the first open relies on its cooperation, as an
offline release's does.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_der_public_key
from sqlalchemy import select
from sqlalchemy.orm import Session

from caveat.adapters.db.models.federation import (
    PeerKeySplitRow,
    PeerRecallRow,
    PeerReceivedRow,
    PeerReceivedSplitRow,
    PeerRow,
)
from caveat.adapters.keys import KeyProvider
from caveat.adapters.tdf import (
    Opened,
    TdfError,
    inspect_package,
    open_package,
    unwrap_split,
    wrap_split,
)
from caveat.domain.errors import (
    Conflict,
    IntegrityError,
    InvalidInput,
    PermissionDenied,
    ServiceUnavailable,
)
from caveat.domain.events import Actor, Outcome
from caveat.domain.policy import Context, decide_node_release
from caveat.domain.sealing import UnsealFailed, seal, unseal
from caveat.services.federation._outbound import Outbound, kas_url, url_of
from caveat.services.federation._preview import recipient_of
from caveat.services.federation._recalls import SENT, recalled_after
from caveat.services.federation._requests import PeerCaller
from caveat.services.kernel.ports import PeerTransport
from caveat.services.kernel.uow import CallContext, UnitOfWork, UnitOfWorkFactory
from caveat.services.ledger import MonitoringService
from caveat.services.policy import PolicyService, find_resource, not_found, resource_of

OFFLINE, SPLIT = "offline", "split"
KEY_MODES = (OFFLINE, SPLIT)
SPLITS_PATH = "/splits"
SPLIT_ANSWER_BYTES = 16 << 10  # a wrapped split is a few hundred bytes
AWAITING, OBTAINED, REFUSED = "awaiting", "obtained", "refused"
RECEIVER = Actor.system("federation")


def require_key_mode(mode: str) -> str:
    """``offline`` (the default) or ``split``."""
    if mode not in KEY_MODES:
        raise InvalidInput(
            f"a release's key mode is offline or split, not {mode!r}",
            code="invalid_key_mode",
            field="key_mode",
        )
    return mode


def _aad(release_id: str) -> bytes:
    """Binds a sealed split to its release: a sealed value copied onto another row fails."""
    return f"caveat:federation:split:{release_id}".encode()


def keep_split(
    uow: UnitOfWork,
    keys: KeyProvider,
    *,
    release_id: str,
    peer_id: str,
    peer_seq: int,
    resource_id: str,
    split: bytes,
) -> None:
    """Keep this node's split of a split-mode release, sealed at rest, in the release's
    unit of work (never logged; the release event says only that it is split)."""
    uow.session.add(
        PeerKeySplitRow(
            release_id=release_id,
            peer_id=peer_id,
            peer_seq=peer_seq,
            resource_id=resource_id,
            sealed_split=seal(keys.secret_key(), split, aad=_aad(release_id)),
            created_at=uow.now,
            grants=0,
        )
    )


@dataclass(frozen=True, slots=True)
class SplitAnswer:
    """What this node answers a split request: the split wrapped for the caller, or why
    not (``code`` and words)."""

    granted: bool
    wrapped: dict[str, str] | None = None
    code: str = ""
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        if self.granted:
            return {"granted": True, "split": self.wrapped}
        return {"granted": False, "code": self.code, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class OpenedSplit:
    """A received split-mode item opened: its content's hash and size, and the local
    artifact it became (None: no receiving project, it stays sealed for officers)."""

    item_id: str
    content_sha256: str
    size: int
    artifact_id: str | None


class _Refusal(PermissionDenied):
    """Why this node refuses a split (code, words): the answer, and its ledger event."""

    def __init__(self, *, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason


class PeerSplits:
    """Gives this node's splits to the peers it released to, and obtains peers' splits
    for the packages they released here."""

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        keys: KeyProvider,
        policy: PolicyService,
        transport: PeerTransport,
        monitoring: MonitoringService,
    ) -> None:
        self._uow = uow
        self._keys = keys
        self._policy = policy
        self._transport = transport
        self._monitoring = monitoring

    # --- the originator -------------------------------------------------------------

    def answer(self, caller: PeerCaller, ctx: CallContext, release_id: str) -> SplitAnswer:
        """The calling peer (its signed request verified, its nonce spent) asks for this
        node's split of a release. Given only to the peer it was released to, while the
        release is not recalled, the peering is in force and the policy still permits
        the release; either way recorded (``peer.split_granted``/``peer.split_refused``)
        in the transaction that changes the split's state."""
        with self._uow(ctx) as uow:
            try:
                row, wrapped = self._grant(uow, caller, release_id)
            except _Refusal as refused:
                data = {
                    "release_id": release_id[:36],
                    "code": refused.code,
                    "reason": refused.reason[:300],
                }
                uow.record(
                    "peer.split_refused",
                    caller.actor(),
                    target_id=caller.peer_id,
                    outcome=Outcome.DENIED,
                    data=data,
                )
                if refused.code == "split_unknown":  # asking for what it was not sent
                    self._monitoring.raise_within(
                        uow,
                        rule="peer_split_unknown",
                        severity="critical",
                        subject_id=caller.peer_id,
                        subject_name=caller.name,
                        summary=f"peer {caller.name} asked for a key split of a release "
                        "this node did not make to it",
                        data=data,
                    )
                return SplitAnswer(False, code=refused.code, reason=refused.reason)
            row.grants += 1
            if row.granted_at is None:
                row.granted_at = uow.now
            uow.record(
                "peer.split_granted",
                caller.actor(),
                target_id=caller.peer_id,
                data={
                    "release_id": release_id,
                    "resource_id": row.resource_id,
                    "seq": row.peer_seq,
                    "grants": row.grants,
                },
            )
            return SplitAnswer(True, wrapped=wrapped)

    def _grant(
        self, uow: UnitOfWork, caller: PeerCaller, release_id: str
    ) -> tuple[PeerKeySplitRow, dict[str, str]]:
        session = uow.session
        row = session.get(PeerKeySplitRow, release_id[:36], with_for_update=True)
        if row is None or row.peer_id != caller.peer_id:
            # A third node asking for another's split learns no more than of an unknown id.
            raise _Refusal(
                code="split_unknown", reason="this node released nothing to your node by that id"
            )
        recall = _recall_of(session, row)
        if row.sealed_split is None or recall is not None:
            words = "the originating node recalled this release and destroyed its key split"
            if recall is not None:
                words += (
                    f" (reason: {recall.reason}{'; ' + recall.detail if recall.detail else ''})"
                )
            raise _Refusal(code="split_recalled", reason=words)
        peer = session.get(PeerRow, row.peer_id)
        assert peer is not None
        try:
            node = recipient_of(session, peer)
        except Conflict as exc:
            raise _Refusal(
                code="split_peering", reason=f"the peering does not allow it now: {exc.detail}"
            ) from None
        resource = resource_of(find_resource(session, row.resource_id), self._policy.schemes)
        decision = decide_node_release(
            node, resource, Context(uow.now, None, self._policy.environment())
        )
        if not decision.permitted:
            raise _Refusal(
                code="split_not_releasable",
                reason="the policy no longer permits this release to your node: "
                + ", ".join(decision.failed_codes),
            )
        try:
            split = unseal(self._keys.secret_key(), row.sealed_split, aad=_aad(row.release_id))
        except UnsealFailed:
            raise _Refusal(
                code="split_unavailable", reason="this node cannot unseal its split"
            ) from None
        wrapping = load_der_public_key(base64.b64decode(peer.wrapping_key))
        assert isinstance(wrapping, ec.EllipticCurvePublicKey)
        return row, wrap_split(wrapping, split)

    # --- the receiver ---------------------------------------------------------------

    def open_received(
        self,
        ctx: CallContext,
        item_id: str,
        *,
        stage: Callable[[Opened], Any],
        keep: Callable[[UnitOfWork, PeerReceivedRow, Opened, Any], str | None],
        discard: Callable[[Any], None],
    ) -> OpenedSplit:
        """First open of a received split-mode item: ask its originator for the split
        (signed), open and verify the package with it, and in one transaction keep the
        split (sealed at rest), record ``peer.split_obtained`` and ``keep`` the content
        (the caller's ingest). A refusal, or a split that does not open the package, is
        recorded (``peer.split_denied``) and raised with the originator's words."""
        with self._uow.read() as session:
            received = session.get(PeerReceivedRow, item_id)
            wait = session.get(PeerReceivedSplitRow, item_id)
            if received is None or received.recalled_at is not None:
                raise not_found(item_id)
            if wait is None:
                raise Conflict(
                    "this item was released offline: it opens without its originator",
                    code="split_not_needed",
                )
            if wait.state == OBTAINED:
                raise Conflict(
                    "this item was opened already: its originator's split is held",
                    code="split_obtained_already",
                )
            peer = session.get(PeerRow, received.peer_id)
            assert peer is not None
            name, endpoint, node = peer.name, peer.endpoint, peer.node_id
            trusted = Ed25519PublicKey.from_public_bytes(base64.b64decode(peer.signing_key))
            release_id, package, peer_id = wait.release_id, received.package, peer.id
        answer = self._ask(name, endpoint, node, release_id)
        _, wrapping = self._keys.federation_keys()
        opened: Opened | None = None
        problem: tuple[str, str] | None = None
        if not answer.get("granted"):
            code = str(answer.get("code", "split_refused"))[:64]
            problem = (code, str(answer.get("reason", "refused"))[:300])
        else:
            try:
                split = unwrap_split(wrapping, answer.get("split"))
                sealed = inspect_package(
                    package,
                    recipient_key=wrapping,
                    kas_url=kas_url(self._uow.node_id),
                    trusted_assertion_keys=[trusted],
                )
                opened = open_package(sealed, split)
            except TdfError as exc:
                problem = (exc.code, f"the split it gave does not open the package: {exc.detail}")
        if problem is not None or opened is None:
            code, reason = problem or ("split_refused", "refused")
            self._denied(
                ctx,
                item_id,
                peer_id,
                name,
                code,
                reason,
                alert=opened is None and bool(answer.get("granted")),
            )
            raise PermissionDenied(
                f"peer {name} refused its key split of this item, so it cannot be opened: {reason}",
                code="split_refused",
                data={"origin_code": code},
                hint="a split-mode release opens only with its originator's split; a "
                "recalled one never will",
            )
        staged = stage(opened)
        kept = False
        try:
            with self._uow(ctx) as uow:
                wait_row = uow.session.get(PeerReceivedSplitRow, item_id, with_for_update=True)
                row = uow.session.get(PeerReceivedRow, item_id, with_for_update=True)
                assert wait_row is not None
                assert row is not None
                if wait_row.state == OBTAINED or row.recalled_at is not None:
                    raise Conflict(
                        "this item was opened, or recalled, meanwhile", code="split_raced"
                    )
                wait_row.state, wait_row.changed_at = OBTAINED, uow.now
                wait_row.sealed_split = seal(
                    self._keys.secret_key(), split, aad=_aad(wait_row.release_id)
                )
                wait_row.refusal_code = wait_row.refusal = ""
                row.content_sha256 = hashlib.sha256(opened.payload).hexdigest()
                row.size = len(opened.payload)
                uow.record(
                    "peer.split_obtained",
                    RECEIVER,
                    target_id=item_id,
                    data={
                        "peer_id": peer_id,
                        "release_id": release_id,
                        "content_sha256": row.content_sha256,
                    },
                )
                artifact = keep(uow, row, opened, staged)
                kept = True
                return OpenedSplit(item_id, row.content_sha256, row.size, artifact)
        finally:
            if not kept:
                discard(staged)

    def _ask(self, name: str, endpoint: str, node: str, release_id: str) -> dict[str, Any]:
        url = url_of(endpoint, f"{SPLITS_PATH}/{release_id}")
        signing, _ = self._keys.federation_keys()
        signer = Outbound(self._uow.node_id, signing, self._uow.clock())
        body = b""
        try:
            status, answer = self._transport.send(
                "POST",
                url,
                signer.headers("POST", url, body, to=node),
                body,
                limit=SPLIT_ANSWER_BYTES,
            )
        except ConnectionError as exc:
            raise ServiceUnavailable(
                f"peer {name} cannot be reached to obtain its key split: {exc}",
                code="peer_unavailable",
                hint="a split-mode item opens only while its originator answers",
            ) from exc
        if status == 401:
            raise Conflict(
                f"peer {name} refused this node's request for its key split",
                code="peer_refused_request",
                hint="its operators see why in their ledger (a revoked peering, a key "
                "not yet accepted there, a clock more than 30 s off)",
            )
        if status not in (200, 403):
            raise ServiceUnavailable(f"peer {name} answered HTTP {status}", code="peer_unavailable")
        try:
            value = json.loads(answer)
        except (ValueError, RecursionError) as exc:
            raise IntegrityError(
                f"peer {name} answered no JSON", code="peer_answer_invalid"
            ) from exc
        if not isinstance(value, dict) or (status == 403) == bool(value.get("granted")):
            raise IntegrityError(
                f"peer {name} answered a malformed split", code="peer_answer_invalid"
            )
        return value

    def _denied(
        self,
        ctx: CallContext,
        item_id: str,
        peer_id: str,
        name: str,
        code: str,
        reason: str,
        *,
        alert: bool,
    ) -> None:
        """Record the refusal (state ``refused``, ``peer.split_denied``); a split given
        that does not open the package is also an alert (an altered answer, or a
        misbehaving originator)."""
        with self._uow(ctx) as uow:
            wait = uow.session.get(PeerReceivedSplitRow, item_id, with_for_update=True)
            if wait is None or wait.state == OBTAINED:
                return
            wait.state, wait.changed_at = REFUSED, uow.now
            wait.refusal_code, wait.refusal = code, reason[:500]
            uow.record(
                "peer.split_denied",
                RECEIVER,
                target_id=item_id,
                outcome=Outcome.DENIED,
                data={
                    "peer_id": peer_id,
                    "release_id": wait.release_id,
                    "code": code,
                    "reason": reason[:300],
                },
            )
            if alert:
                self._monitoring.raise_within(
                    uow,
                    rule="peer_split_invalid",
                    severity="critical",
                    subject_id=peer_id,
                    subject_name=name,
                    summary=f"the key split peer {name} gave does not open its package: {code}",
                    data={"received_id": item_id, "code": code},
                )

    @staticmethod
    def awaiting(session: Session, ids: list[str]) -> dict[str, PeerReceivedSplitRow]:
        """The split waits of these received items (absent: released offline)."""
        if not ids:
            return {}
        return {
            r.received_id: r
            for r in session.scalars(
                select(PeerReceivedSplitRow).where(PeerReceivedSplitRow.received_id.in_(ids))
            )
        }


def _reason(recall: PeerRecallRow | None) -> str:
    if recall is None:
        return ""
    return f" (reason: {recall.reason}{f'; {recall.detail}' if recall.detail else ''})"


def _recall_of(session: Session, row: PeerKeySplitRow) -> PeerRecallRow | None:
    """The recall sent to the peer of the release's artifact after the release, if any."""
    after = recalled_after(session, row.peer_id, {row.resource_id}).get(row.resource_id, 0)
    if after <= row.peer_seq:
        return None
    return session.scalar(
        select(PeerRecallRow).where(
            PeerRecallRow.peer_id == row.peer_id,
            PeerRecallRow.direction == SENT,
            PeerRecallRow.peer_seq == after,
        )
    )
