"""Releasing to a partner node and receiving from one (issue 18, ADRs 0019 and 0022).

Sending is a named officer's act of the originating organisation: they read the content
with their own rights (the read is recorded as theirs), the policy decides the item for
the node (``decide_node_release``), and the content goes into an OpenTDF package that
only the peer can open, its label and export classification bound to it and signed with
this node's federation key. The package waits in the outbox until the peer pulls it over
the signed protocol; the pull resumes from a cursor, so nothing is lost or taken twice.

Receiving checks every part of a package before keeping it (the signer must be the
peer's key, the key wrapping ours, the label readable, the provenance naming the peer as
the originating node, the label releasable to this node's nation): a package that fails
is refused, recorded and alerted, and the cursor moves past it so one bad package cannot
stop the rest. Received packages are kept sealed with their provenance, and listed only
to readers the local policy lets read them (absent to everyone else).

Sequence numbers in the outbox count per peer (``peer_seq``): a peer's cursor says
nothing of how many packages went to other peers.
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, wait
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_der_public_key
from sqlalchemy import func, select
from sqlalchemy.orm import Session, defer

from caveat.adapters.db.models.federation import (
    PeerIngestedRow,
    PeerLinkRow,
    PeerOutboxRow,
    PeerReceivedRow,
    PeerReceivedSplitRow,
    PeerRow,
)
from caveat.adapters.db.models.policy import ResourceRow
from caveat.adapters.keys import KeyProvider
from caveat.adapters.tdf import (
    Markings,
    Opened,
    Provenance,
    Sealed,
    TdfError,
    caveat_assertions,
    inspect_package,
    key_id,
    open_package,
    policy_object,
    provenance_assertion,
    read_markings,
    read_provenance,
    write_package,
    write_split_package,
)
from caveat.adapters.workers import peer_fetch_workers
from caveat.domain.artifacts import ContentTooLarge
from caveat.domain.errors import Conflict, IntegrityError, PermissionDenied, ServiceUnavailable
from caveat.domain.events import Actor, Outcome
from caveat.domain.export_control import export_from_canonical_json, export_to_canonical_json
from caveat.domain.labels import SchemeRegistry, render_banner
from caveat.domain.labels.canonical import label_from_canonical_json, label_to_canonical_json
from caveat.domain.permissions import Act, Target
from caveat.domain.policy import (
    Action,
    Context,
    PolicyEnvironment,
    decide_node_release,
    decide_received,
    label_facts,
    make_resource,
    not_released_to,
)
from caveat.services.artifacts import ArtifactService, ReceivedPage, StagedContent
from caveat.services.federation._ingest import NodeNation, PeerIngest, node_nation
from caveat.services.federation._outbound import Outbound, answer_json, kas_url, url_of
from caveat.services.federation._peers import _find
from caveat.services.federation._preview import recipient_of
from caveat.services.federation._re_releases import PeerReReleases, Within, take_decision
from caveat.services.federation._recalls import (
    PeerRecalls,
    recall_words,
    recalled_after,
    take_recall,
)
from caveat.services.federation._requests import PeerCaller
from caveat.services.federation._splits import (
    AWAITING,
    OFFLINE,
    SPLIT,
    OpenedSplit,
    PeerSplits,
    keep_split,
    require_key_mode,
)
from caveat.services.kernel.authorize import authorize
from caveat.services.kernel.ports import PeerTransport
from caveat.services.kernel.principal import Acting, Principal
from caveat.services.kernel.records import new_id
from caveat.services.kernel.uow import CallContext, UnitOfWork, UnitOfWorkFactory
from caveat.services.ledger import MonitoringService
from caveat.services.policy import (
    PolicyService,
    find_resource,
    not_found,
    refuse_received,
    resource_of,
    subject_of,
)

MAX_RELEASE_BYTES = 64 << 20  # packages are built in memory and kept in the database
PULL_BATCH = 64  # packages per pull request (and per transaction of the receiver)
V1_PULL_BATCH = 8  # the page of the protocol's first version, which peers still accept
PAGE_BYTES = 16 << 20  # and at most this much of them (one larger package goes alone)
OUTBOX_BYTES = 96 << 20  # an outbox answer: one 64 MiB package in base64, with room
# The outbox as binary frames (ADR 0019, "Outbox in binary"): the same page without
# base64 or JSON around the packages. Peers that do not serve it (404) are asked for
# the JSON page.
OUTBOX_FRAMES_PATH = "/outbox/v2"
# What a peer of an earlier protocol lacks (the binary page; a page larger than
# V1_PULL_BATCH) is remembered for this long, so its pulls do not ask for it each time
# and an upgraded peer is asked again after.
PROTOCOL_RECHECK = timedelta(hours=1)
OUTBOX_FRAMES_MEDIA_TYPE = "application/vnd.caveat.outbox.v2"
OUTBOX_FRAMES_MAGIC = b"caveat-outbox/2\n"
_FRAME = struct.Struct(">QBQ")  # seq, kind, length of the bytes that follow
_KINDS = ("package", "recall", "re_release_decision")
RECEIVER = Actor.system("federation")
log = structlog.get_logger("caveat.federation")


@dataclass(frozen=True, slots=True)
class SentRelease:
    """A package put in a peer's outbox."""

    seq: int
    peer: str
    resource_id: str
    content_sha256: str
    package_sha256: str
    package_bytes: int
    key_mode: str = OFFLINE  # split: the peer must obtain this node's split to open it


@dataclass(frozen=True, slots=True)
class ReceivedItem:
    """A package a peer released to this node, with its provenance."""

    id: str
    peer: str
    origin_node_id: str  # the node it was released from (signed provenance)
    origin_resource_id: str  # the artifact there ('' if received before migration 0016)
    banner: str
    media_type: str
    size: int
    content_sha256: str
    received_at: datetime
    viewer_banner: str | None = None  # the label in the reader's national form, if any
    artifact_id: str | None = None  # the local artifact it became (a receiving project)
    split: str | None = None  # split mode: awaiting | obtained | refused (None: offline)


class PeerReleases:
    """Sends items to peers and takes in what peers send."""

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        keys: KeyProvider,
        policy: PolicyService,
        artifacts: ArtifactService,
        transport: PeerTransport,
        monitoring: MonitoringService,
    ) -> None:
        self._uow = uow
        self._keys = keys
        self._policy = policy
        self._artifacts = artifacts
        self._transport = transport
        self._monitoring = monitoring
        # Peers (by node id) found to lack the binary page or large pages, until when.
        self._no_frames: dict[str, datetime] = {}
        self._small_pages: dict[str, datetime] = {}
        self.ingest = PeerIngest(policy=policy, artifacts=artifacts, monitoring=monitoring)
        self.recalls = PeerRecalls(uow=uow, keys=keys, policy=policy, transport=transport)
        self.splits = PeerSplits(
            uow=uow, keys=keys, policy=policy, transport=transport, monitoring=monitoring
        )
        self.re_releases = PeerReReleases(
            uow=uow,
            keys=keys,
            policy=policy,
            transport=transport,
            monitoring=monitoring,
            send=self.send,
            readable=self._readable,
        )

    # --- sending ------------------------------------------------------------------

    def send(
        self,
        by: Principal,
        ctx: CallContext,
        peer_ref: str,
        artifact_id: str,
        *,
        within: Within | None = None,
        key_mode: str = OFFLINE,
    ) -> SentRelease:
        """Release an artifact to a peer: the policy must permit it for the node.
        ``within`` runs in the release's unit of work with its outbox number (an approved
        re-release request records its decision there). ``key_mode`` ``split`` keeps a
        split of the payload key here: the peer obtains it before its first open, and a
        recall destroys it (ADR 0033); ``offline`` (the default) sends the whole key."""
        key_mode = require_key_mode(key_mode)
        now = self._uow.clock()
        with self._uow.read() as session:
            peer = _find(session, peer_ref)
            self._refuse_re_release(session, by, artifact_id, now)
            node = recipient_of(session, peer)
            row = find_resource(session, artifact_id)
            if artifact_id not in self._policy.discoverable_in(session, by, [row.id], now):
                raise not_found(artifact_id)  # as for an id that names nothing
            refuse_received(session, artifact_id, "release to another node")
            authorize(by, Act.PEER_RELEASE, Target(originator_org_id=row.originator_org_id))
            resource = resource_of(row, self._policy.schemes)
            decision = decide_node_release(
                node, resource, Context(now, None, self._policy.environment())
            )
            peer_id, peer_name, peer_node = peer.id, peer.name, peer.node_id
            wrapping = load_der_public_key(base64.b64decode(peer.wrapping_key))
        if not decision.permitted:
            raise PermissionDenied(
                f"{row.title!r} may not be released to peer {peer_name}",
                code="node_release_denied",
                data={"failed": list(decision.failed_codes)},
                hint="`caveat federation preview PEER` says why, item by item",
            )
        assert isinstance(wrapping, ec.EllipticCurvePublicKey)
        assert resource.label is not None  # a permitted decision needs a label
        content = self._artifacts.open_content(by, ctx, artifact_id)  # the officer's read
        if content.size > MAX_RELEASE_BYTES:
            raise ContentTooLarge(
                f"releases to peers are at most {MAX_RELEASE_BYTES >> 20} MiB for now",
                code="release_too_large",
            )
        plaintext = b"".join(content.chunks)
        signing, own_wrapping = self._keys.federation_keys()
        release_id = str(uuid.uuid4())  # the policy's uuid: names the release to the peer
        policy = policy_object(uuid=release_id, dissem=[peer_node])
        assertions = [
            *caveat_assertions(resource.label, resource.export, schemes=self._policy.schemes),
            provenance_assertion(
                node_id=self._uow.node_id, resource_id=artifact_id, version=content.version
            ),
        ]
        held: bytes | None = None
        if key_mode == SPLIT:
            made = write_split_package(
                plaintext,
                recipient_key=wrapping,
                kas_url=kas_url(peer_node),
                holder_kas_url=kas_url(self._uow.node_id),
                holder_kid=key_id(own_wrapping.public_key()),
                policy=policy,
                assertions=assertions,
                signing_key=signing,
                mime_type=content.media_type,
            )
            package, held = made.package, made.held_split
        else:
            package = write_package(
                plaintext,
                recipient_key=wrapping,
                kas_url=kas_url(peer_node),
                policy=policy,
                assertions=assertions,
                signing_key=signing,
                mime_type=content.media_type,
            )
        digest = hashlib.sha256(package).hexdigest()
        with self._uow(ctx) as uow:
            counter = uow.session.get(PeerRow, peer_id, with_for_update=True)
            assert counter is not None
            counter.outbox_seq = (counter.outbox_seq or 0) + 1
            queued = PeerOutboxRow(
                peer_id=peer_id,
                peer_seq=counter.outbox_seq,
                resource_id=artifact_id,
                package=package,
                sha256=digest,
                created_at=uow.now,
            )
            uow.session.add(queued)
            uow.session.flush()
            if held is not None:
                keep_split(
                    uow,
                    self._keys,
                    release_id=release_id,
                    peer_id=peer_id,
                    peer_seq=queued.peer_seq,
                    resource_id=artifact_id,
                    split=held,
                )
            uow.record(
                "peer.released",
                by.actor(),
                target_id=peer_id,
                data={
                    "resource_id": artifact_id,
                    "version": content.version,
                    "content_sha256": content.sha256,
                    "package_sha256": digest,
                    "seq": queued.peer_seq,
                    "key_mode": key_mode,
                },
            )
            if within is not None:
                within(uow, queued.peer_seq)
            return SentRelease(
                queued.peer_seq,
                peer_name,
                artifact_id,
                content.sha256,
                digest,
                len(package),
                key_mode,
            )

    def _refuse_re_release(
        self, session: Session, by: Principal, item_id: str, now: datetime
    ) -> None:
        """A received item goes on to another node only by its originating node's
        decision: refused here, naming that node (to a reader who may see the item; to
        others it does not exist, as a recalled item does not)."""
        received = session.get(PeerReceivedRow, item_id, options=[defer(PeerReceivedRow.package)])
        if received is None:
            return
        if received.recalled_at is not None or item_id not in self._readable(
            session, by, [received], now
        ):
            raise not_found(item_id)
        origin = session.scalar(select(PeerRow.name).where(PeerRow.id == received.peer_id))
        raise PermissionDenied(
            f"this item was released to this node by {origin}: releasing it to another "
            "node, or widening it, is decided by its originating node",
            code="re_release_not_originator",
            data={"origin_node_id": received.origin_node_id},
            hint=f"ask {origin} to release it to that node's nation: `caveat federation "
            "re-release request ITEM --nation NATION --justification TEXT` (a security "
            "officer of the organisation receiving its releases)",
        )

    def outbox(self, caller: PeerCaller, *, after: int, limit: int) -> list[PeerOutboxRow]:
        """What waits for the calling peer after its cursor, in order: a batch of at most
        ``limit`` packages and ``PAGE_BYTES`` (always at least one package). Each queued
        package is decided again first; one whose grounds have gone is withheld."""
        now = self._uow.clock()
        withheld: dict[int, list[str]] = {}
        # shared: the policy sources each decision asks (agreements, authorizations,
        # screening, embargoes) read in this transaction, not one each per package.
        with self._uow.read(shared=True) as session:
            queued = session.execute(
                select(
                    PeerOutboxRow.seq,
                    PeerOutboxRow.peer_seq,
                    PeerOutboxRow.kind,
                    PeerOutboxRow.resource_id,
                    func.length(PeerOutboxRow.package),  # not the bytes: only the page's
                )
                .where(PeerOutboxRow.peer_id == caller.peer_id, PeerOutboxRow.peer_seq > after)
                .order_by(PeerOutboxRow.peer_seq)
                .limit(max(1, min(limit, PULL_BATCH)))
            ).all()
            failed = self._still_releasable(
                session, caller.peer_id, [_Queued(*q[:4]) for q in queued], now
            )
            chosen: list[int] = []
            size = 0
            for seq, _, _, _, length in queued:
                if seq in failed:  # the grounds for it are gone (agreement, label, hold...)
                    withheld[seq] = failed[seq]
                    continue
                size += int(length or 0)
                if chosen and size > PAGE_BYTES:
                    break
                chosen.append(seq)
            page = list(
                session.scalars(
                    select(PeerOutboxRow)
                    .where(PeerOutboxRow.seq.in_(chosen))
                    .order_by(PeerOutboxRow.peer_seq)
                )
            )
            for row in page:
                session.expunge(row)
        if withheld:
            self._withhold(caller, withheld)
        return page

    def _still_releasable(
        self, session: Session, peer_id: str, queued: list[_Queued], now: datetime
    ) -> dict[int, list[str]]:
        """What each queued package fails now (by ``seq``; absent: nothing), decided
        again as when it was queued, for a page at once: the peer as recipient, the
        policy environment, the recalls and the resources are read once (a recall or
        another signed statement always goes)."""
        packages = [q for q in queued if q.kind == "package"]
        if not packages:
            return {}
        recalled = recalled_after(session, peer_id, {q.resource_id for q in packages})
        failed: dict[int, list[str]] = {}
        live = []
        for q in packages:
            if recalled.get(q.resource_id, 0) > q.peer_seq:
                failed[q.seq] = ["recalled"]
            else:
                live.append(q)
        if not live:
            return failed
        peer = session.get(PeerRow, peer_id)
        assert peer is not None
        try:
            node = recipient_of(session, peer)
        except Conflict:
            return failed | {q.seq: ["peering"] for q in live}
        ids = {q.resource_id for q in live}
        rows = {
            r.id: r for r in session.scalars(select(ResourceRow).where(ResourceRow.id.in_(ids)))
        }
        resources = {}
        for resource_id in ids:
            if resource_id not in rows:
                raise not_found(resource_id)  # as find_resource: the catalogue keeps them
            resources[resource_id] = resource_of(rows[resource_id], self._policy.schemes)
        context = Context(now, None, self._policy.environment())
        for q in live:
            codes = list(decide_node_release(node, resources[q.resource_id], context).failed_codes)
            if codes:
                failed[q.seq] = codes
        return failed

    def _withhold(self, caller: PeerCaller, withheld: dict[int, list[str]]) -> None:
        """Queued packages that may no longer go are taken out of the outbox, on record."""
        with self._uow(CallContext(request_id="federation-outbox")) as uow:
            for seq, failed in withheld.items():
                row = uow.session.get(PeerOutboxRow, seq)
                if row is None:
                    continue
                uow.record(
                    "peer.release_withheld",
                    RECEIVER,
                    target_id=caller.peer_id,
                    data={
                        "seq": row.peer_seq,
                        "resource_id": row.resource_id,
                        "failed": failed,
                    },
                )
                uow.session.delete(row)

    # --- receiving ----------------------------------------------------------------

    def pull(self, ctx: CallContext, peer_id: str, *, pages: int = 1) -> int:
        """Take what the peer's outbox holds for this node, from the stored cursor on,
        page after page until one comes back empty, at most ``pages`` (a sync drains a
        backlog in one call); the number of packages kept. After each page the recalls
        acted on are confirmed and waiting re-release requests delivered. Raises when
        the peer cannot be asked; the pages before stand.

        While a page is checked and kept, the next is already asked for, from where
        this page ends, so the peer prepares it meanwhile (its work and ours overlap on
        separate cores). That is where the cursor ends when the page is taken without
        an error (an error ends the pull, the next page unused); entries at or below a
        cursor another process moved further are skipped, as in any page. The peer's
        key is read again for every page, so a key accepted meanwhile checks the next."""
        source, endpoint, after = self._source(peer_id)
        signing, wrapping = self._keys.federation_keys()
        kept = 0
        page = self._fetch(source, endpoint, after, signing)
        for left in range(max(1, pages), 0, -1):
            end = page.entries[-1][0] if page.entries else None
            following: Future[_Fetched] | None = None
            if left > 1 and end is not None and page.failure is None:
                following = peer_fetch_workers().submit(self._fetch, source, endpoint, end, signing)
            try:
                kept += self._take_page(ctx, source, wrapping, page)
                self.recalls.acknowledge(peer_id)  # confirm the recalls acted on, signed
                self.re_releases.deliver(peer_id)  # re-release requests not taken yet
            except BaseException:
                if following is not None:
                    following.cancel()
                    wait([following])  # no request outlives the pull that made it
                raise
            if following is None:
                break
            page = following.result()
            source, endpoint, _ = self._source(peer_id)
        return kept

    def _source(self, peer_id: str) -> tuple[_Source, str, int]:
        """The peer as a pull takes from it (its key as stored now), its endpoint and
        this node's cursor."""
        with self._uow.read() as session:
            peer = session.get(PeerRow, peer_id)
            assert peer is not None
            link = session.get(PeerLinkRow, peer_id)
            trusted = Ed25519PublicKey.from_public_bytes(base64.b64decode(peer.signing_key))
            source = _Source(peer_id, peer.name, peer.node_id, trusted)
            return source, peer.endpoint, 0 if link is None else link.pulled_seq

    def _fetch(
        self, source: _Source, endpoint: str, after: int, signing: Ed25519PrivateKey
    ) -> _Fetched:
        """One page, its entries read up to the first malformed one (kept as the
        failure, raised once the entries before it are taken). Entries must come after
        ``after`` in rising order, as the outbox serves them: a page that goes back
        would have a sync take the same entries again, page after page."""
        entries: list[tuple[int, bytes, str]] = []
        try:
            last = after
            for entry in self._page(source, endpoint, after, signing, PULL_BATCH):
                if entry[0] <= last:
                    raise IntegrityError(
                        f"peer {source.name}'s outbox page goes back to seq {entry[0]} "
                        f"after {last}",
                        code="peer_answer_invalid",
                    )
                last = entry[0]
                entries.append(entry)
        except IntegrityError as exc:
            return _Fetched(entries, exc)
        return _Fetched(entries, None)

    def _take_page(
        self,
        ctx: CallContext,
        source: _Source,
        wrapping: ec.EllipticCurvePrivateKey,
        page: _Fetched,
    ) -> int:
        """Check and keep a page's entries in order (packages in a row in one
        transaction, each statement in its own); the number of packages kept."""
        kept = 0
        run: list[_Checked] = []  # packages in a row, kept in one transaction
        try:
            for seq, data, kind in page.entries:
                if kind == "package":
                    run.append(self._check(source, wrapping, seq, data))
                    continue
                taking, run = run, []
                kept += self._take_packages(ctx, source, taking)
                kept += self._take_statement(ctx, source, seq, data, kind)
        except BaseException:
            self._take_packages(ctx, source, run)  # what came before the failure stands
            raise
        kept += self._take_packages(ctx, source, run)
        if page.failure is not None:
            raise page.failure
        return kept

    def _page(
        self, source: _Source, endpoint: str, after: int, signing: Ed25519PrivateKey, limit: int
    ) -> Iterator[tuple[int, bytes, str]]:
        """One outbox page from the peer, signed for it, as (seq, bytes, kind) in order,
        each checked as it is reached (what came before a malformed entry stands). The
        binary page first; a peer that does not serve it (404) is asked for the JSON
        page, and a peer that accepts only the first protocol's page of
        ``V1_PULL_BATCH`` (a 422 for a larger one) is asked again for that. What a peer
        lacks is remembered for ``PROTOCOL_RECHECK``."""
        now = self._uow.clock()
        if not _within(self._no_frames, source.node, now):
            status, body = self._ask(source, endpoint, OUTBOX_FRAMES_PATH, after, signing, limit)
            if status != 404:
                if status == 200:
                    return outbox_frames_of(source.name, body)
                answer_json(source.name, status, body)  # raises the error the status says
            self._no_frames[source.node] = now + PROTOCOL_RECHECK
        if _within(self._small_pages, source.node, now):
            limit = min(limit, V1_PULL_BATCH)
        status, body = self._ask(source, endpoint, "/outbox", after, signing, limit)
        if status == 422 and limit > V1_PULL_BATCH:
            self._small_pages[source.node] = now + PROTOCOL_RECHECK
            status, body = self._ask(source, endpoint, "/outbox", after, signing, V1_PULL_BATCH)
        items = answer_json(source.name, status, body).get("items")
        return (_item(item) for item in (items if isinstance(items, list) else []))

    def _ask(
        self,
        source: _Source,
        endpoint: str,
        path: str,
        after: int,
        signing: Ed25519PrivateKey,
        limit: int,
    ) -> tuple[int, bytes]:
        url = url_of(endpoint, f"{path}?after={after}&limit={limit}")
        signer = Outbound(self._uow.node_id, signing, self._uow.clock())
        try:
            return self._transport.send(
                "GET",
                url,
                signer.headers("GET", url, b"", to=source.node),
                b"",
                limit=OUTBOX_BYTES,
            )
        except ConnectionError as exc:
            raise ServiceUnavailable(
                f"peer {source.name} cannot be reached: {exc}", code="peer_unavailable"
            ) from exc

    def _check(
        self, source: _Source, wrapping: ec.EllipticCurvePrivateKey, seq: int, data: bytes
    ) -> _Checked:
        """Every check of a package that needs no database: schema, signatures, binding,
        key unwrap, segments, label and provenance (the problem that refuses it). A
        split-mode package passes every check but its payload key's (which needs the
        originator's split) and stays sealed."""
        try:
            sealed = inspect_package(
                data,
                recipient_key=wrapping,
                kas_url=kas_url(self._uow.node_id),
                trusted_assertion_keys=[source.trusted],
            )
            # Split mode: kept sealed until its first open obtains the originator's split.
            opened = sealed if sealed.held is not None else open_package(sealed)
            marks = read_markings(opened, schemes=self._policy.schemes)
            origin = read_provenance(opened)
            if origin.node_id != source.node:
                # Re-release to a third node goes through the originator: a peer sends
                # only what originated with it.
                raise IntegrityError(
                    f"the package names node {origin.node_id} as its origin, not the peer "
                    "that sent it",
                    code="peer_package_not_origin",
                )
        except (TdfError, IntegrityError) as exc:
            return _Checked(seq, data, problem=exc)
        return _Checked(seq, data, opened, marks, origin)

    def _take_packages(self, ctx: CallContext, source: _Source, run: list[_Checked]) -> int:
        """Keep or refuse checked packages in one transaction (one lock of the link, one
        commit), in order; the number kept. The page is first written at once (one
        flush, ``_keep_page``); if anything in it fails, that attempt is undone whole
        and the page redone item by item, each package in a savepoint of its own, so a
        refusal (recorded and alerted, the cursor moving past it) or an item that cannot
        become an artifact (kept sealed, recorded and alerted) leaves the others kept;
        a package that fails unexpectedly is undone alone and its error raised after
        the ones before it commit, the cursor stopping before it (as when each package
        had its own transaction)."""
        if not run:
            return 0
        staged: dict[int, StagedContent] = {}  # re-encrypted before the transaction
        committed: set[int] = set()
        try:
            good = [c for c in run if c.opened is not None]
            if good:
                with self._uow.read() as session:
                    receiving = self.ingest.receiving(session, source.peer_id)
                if receiving:
                    self.ingest.stage_all(
                        {
                            c.seq: (c.opened.payload, c.opened.mime_type)
                            for c in good
                            if isinstance(c.opened, Opened)
                        },
                        into=staged,
                    )
            kept, failure = 0, None
            ingested: set[int] = set()
            with self._uow(ctx) as uow:
                link = locked_link(uow.session, source.peer_id)
                here = self._here(uow.session)
                held = self._held(uow.session, source.peer_id, run)
                todo = [c for c in run if c.seq > link.pulled_seq]  # others: taken already
                at_once = self._keep_page(uow, source, here, held, todo, staged)
                if at_once is not None:
                    kept, ingested = at_once
                    if todo:
                        link.pulled_seq = todo[-1].seq
                for checked in [] if at_once is not None else todo:
                    try:
                        with uow.savepoint():
                            took, made = self._keep(
                                uow, source, here, held, checked, staged.get(checked.seq)
                            )
                    except Exception as exc:
                        failure = exc
                        break
                    link.pulled_seq = checked.seq
                    kept += took
                    if made:
                        ingested.add(checked.seq)
            committed = ingested  # the artifacts of these are kept
            if failure is not None:
                raise failure
            return kept
        finally:
            for seq, content in staged.items():
                if seq not in committed:
                    self.ingest.discard(content)

    def _keep_page(
        self,
        uow: UnitOfWork,
        source: _Source,
        here: _Here,
        held: set[str],
        todo: list[_Checked],
        staged: dict[int, StagedContent],
    ) -> tuple[int, set[int]] | None:
        """Keep or refuse a page's packages at once, in one savepoint with one flush
        (the same rows and events, in the same order, as ``_keep`` item by item):
        (kept, the seqs made artifacts); None, with nothing of it written, when any
        item fails (the caller redoes the page item by item). ``held`` gains the
        packages kept."""
        if len(todo) < 2:
            return None  # one item: the item-by-item path is the same work
        page = self.ingest.page()
        holding = set(held)
        kept, ingested = 0, set[int]()
        try:
            with uow.savepoint(), uow.session.no_autoflush:
                for checked in todo:
                    took, made = self._keep(
                        uow, source, here, holding, checked, staged.get(checked.seq), page=page
                    )
                    kept += took
                    if made:
                        ingested.add(checked.seq)
                page.finish(uow)
        except Exception as exc:  # redone item by item, where it fails alone
            log.info(
                "a page of packages is redone item by item",
                peer_id=source.peer_id,
                error=type(exc).__name__,
                detail=str(exc)[:300],
            )
            return None
        held |= holding
        return kept, ingested

    def _here(self, session: Session) -> _Here:
        """What a page's packages are judged against, read once in its transaction."""
        environment = self._policy.environment()
        return _Here(node_nation(session, environment), environment)

    @staticmethod
    def _held(session: Session, peer_id: str, run: list[_Checked]) -> set[str]:
        """Which of these packages (by their policy's uuid) the peer sent here before."""
        uuids = {_package_uuid(c.opened) for c in run if c.opened is not None}
        return set(
            session.scalars(
                select(PeerReceivedRow.package_uuid).where(
                    PeerReceivedRow.peer_id == peer_id,
                    PeerReceivedRow.package_uuid.in_(sorted(uuids)),
                )
            )
        )

    def _keep(
        self,
        uow: UnitOfWork,
        source: _Source,
        here: _Here,
        held: set[str],
        checked: _Checked,
        staged: StagedContent | None,
        *,
        page: ReceivedPage | None = None,
    ) -> tuple[int, bool]:
        """Keep one checked package (with its ``peer.received`` event) or refuse it:
        (kept, made an artifact). ``held``: the package uuids kept from the peer, this
        one added when kept. With ``page`` (``_keep_page``), nothing is flushed."""
        session = uow.session
        problem = checked.problem
        if problem is None:
            assert checked.marks is not None
            problem = _not_for_here(here, checked.marks, self._policy.schemes, uow.now)
        if problem is not None:
            if page is not None:  # the alert flushes: the page's rows go first, in order
                page.flush(uow)
            self._refuse(uow, source.peer_id, source.name, checked.seq, problem)
            return 0, False
        opened, marks, origin = checked.opened, checked.marks, checked.origin
        assert opened is not None
        assert marks is not None
        assert origin is not None
        package_uuid = _package_uuid(opened)
        if package_uuid in held:  # the same package served again (a relay, a resend)
            return 0, False
        held.add(package_uuid)
        split = isinstance(opened, Sealed)  # its content is unknown until its first open
        content_sha = _content_sha256(opened, staged)
        received = PeerReceivedRow(
            id=new_id(),
            peer_id=source.peer_id,
            seq=checked.seq,
            origin_node_id=origin.node_id,
            origin_resource_id=origin.resource_id,
            package_uuid=package_uuid,
            banner=render_banner(marks.label, schemes=self._policy.schemes)[:500],
            label_json=label_to_canonical_json(marks.label).decode(),
            export_json=export_to_canonical_json(marks.export).decode(),
            media_type=opened.mime_type[:200],
            size=opened.size if isinstance(opened, Sealed) else len(opened.payload),
            content_sha256=content_sha,
            package=checked.data,
            received_at=uow.now,
        )
        session.add(received)
        uow.record(
            "peer.received",
            RECEIVER,
            target_id=received.id,
            data={
                "peer_id": source.peer_id,
                "seq": checked.seq,
                "content_sha256": content_sha,
                "origin_node_id": origin.node_id,
                "origin_resource_id": origin.resource_id,
                "origin_version": origin.version,
                "key_mode": SPLIT if split else OFFLINE,
            },
        )
        if split:
            session.add(
                PeerReceivedSplitRow(
                    received_id=received.id,
                    peer_id=source.peer_id,
                    release_id=package_uuid,
                    state=AWAITING,
                    changed_at=uow.now,
                )
            )
            return 1, False
        if staged is None:
            return 1, False
        if page is None:
            session.flush()
        title = f"{opened.mime_type or 'item'} from {source.name} ({origin.resource_id[:8]})"
        return 1, self.ingest.ingest_in(uow, received, marks, staged, title, here.node, page=page)

    def _refuse(
        self, uow: UnitOfWork, peer_id: str, name: str, seq: int, problem: IntegrityError
    ) -> None:
        data_out = {"seq": seq, "code": problem.code, "detail": problem.detail[:300]}
        uow.record(
            "peer.package_refused",
            RECEIVER,
            target_id=peer_id,
            outcome=Outcome.DENIED,
            data=data_out,
        )
        self._monitoring.raise_within(
            uow,
            rule="peer_package_refused",
            severity="critical",
            subject_id=peer_id,
            subject_name=name,
            summary=f"a package from peer {name} was refused: {problem.code}",
            data=data_out,
        )

    def _take_statement(
        self, ctx: CallContext, source: _Source, seq: int, data: bytes, kind: str
    ) -> int:
        """A recall (or a re-release decision) from the peer's outbox: acted on in the
        same transaction as the cursor moves past it; one that fails its checks is
        refused and alerted."""
        peer_id, name, peer_node, trusted = source.peer_id, source.name, source.node, source.trusted
        with self._uow(ctx) as uow:
            link = locked_link(uow.session, peer_id)
            if seq <= link.pulled_seq:
                return 0
            link.pulled_seq = seq
            try:  # the statement is checked before anything is written
                if kind == "recall":
                    take_recall(
                        uow,
                        peer_id=peer_id,
                        peer_node=peer_node,
                        trusted=trusted,
                        this_node=self._uow.node_id,
                        seq=seq,
                        data=data,
                    )
                else:
                    take_decision(
                        uow,
                        peer_id=peer_id,
                        peer_name=name,
                        peer_node=peer_node,
                        trusted=trusted,
                        this_node=self._uow.node_id,
                        seq=seq,
                        data=data,
                    )
            except IntegrityError as exc:
                self._refuse(uow, peer_id, name, seq, exc)
            return 0

    def open_split(self, by: Acting, ctx: CallContext, item_id: str) -> OpenedSplit:
        """The first open of a received split-mode item: obtain its originator's split
        (a signed request, refused if the release was recalled or may no longer go),
        open and verify the package, and make it an artifact of the peering's receiving
        project as an offline release is on pull (otherwise it stays sealed, its split
        held). Operators and the console, as a sync; the item must be one ``by`` may
        see. A refusal is recorded and raised in the originator's words."""
        authorize(by, Act.PEER_PROPOSE)
        now = self._uow.clock()
        with self._uow.read() as session:
            row = session.get(PeerReceivedRow, item_id, options=[defer(PeerReceivedRow.package)])
            if row is None or item_id not in self._readable(session, by, [row], now):
                raise not_found(item_id)
            if row.recalled_at is not None:  # the recall was pulled: say so, in words
                raise PermissionDenied(
                    f"this item cannot be opened: {recall_words(session, row)}",
                    code="split_refused",
                    data={"origin_code": "split_recalled"},
                )
            peer_id = row.peer_id
            receiving = self.ingest.receiving(session, peer_id)
            name = session.scalar(select(PeerRow.name).where(PeerRow.id == peer_id)) or ""

        def stage(opened: Opened) -> StagedContent | None:
            return self.ingest.stage(opened.payload, opened.mime_type) if receiving else None

        def keep(
            uow: UnitOfWork, received: PeerReceivedRow, opened: Opened, staged: object
        ) -> str | None:
            if not isinstance(staged, StagedContent):
                return None
            marks = read_markings(opened, schemes=self._policy.schemes)
            uow.session.flush()
            title = f"{opened.mime_type or 'item'} from {name} ({received.origin_resource_id[:8]})"
            here = node_nation(uow.session, self._policy.environment())
            if not self.ingest.ingest_in(uow, received, marks, staged, title, here):
                return None
            return uow.session.scalar(
                select(PeerIngestedRow.artifact_id).where(
                    PeerIngestedRow.received_id == received.id
                )
            )

        def discard(staged: object) -> None:
            if isinstance(staged, StagedContent):
                self.ingest.discard(staged)

        return self.splits.open_received(ctx, item_id, stage=stage, keep=keep, discard=discard)

    def received(self, by: Acting) -> list[ReceivedItem]:
        """What peers have released to this node and the reader may read, newest first.

        Each item is decided by the local policy on its label (``decide_received``): an
        item the reader may not read is left out, as if it had never been received."""
        authorize(by, Act.PEER_READ)
        now = self._uow.clock()
        with self._uow.read() as session:
            rows = session.execute(
                select(PeerReceivedRow, PeerRow.name)
                .join(PeerRow, PeerRow.id == PeerReceivedRow.peer_id)
                .where(PeerReceivedRow.recalled_at.is_(None))  # recalled: gone for everyone
                .options(defer(PeerReceivedRow.package))  # up to 64 MiB each, not listed
                .order_by(PeerReceivedRow.received_at.desc(), PeerReceivedRow.id)
            ).all()
            readable = self._readable(session, by, [r for r, _ in rows], now)
            ingested = dict(
                session.execute(
                    select(PeerIngestedRow.received_id, PeerIngestedRow.artifact_id).where(
                        PeerIngestedRow.received_id.in_(list(readable))
                    )
                ).all()
            )
            scheme = self._policy.viewer_scheme(by) if isinstance(by, Principal) else None
            splits = PeerSplits.awaiting(session, sorted(readable))
            return [
                ReceivedItem(
                    r.id,
                    peer,
                    r.origin_node_id,
                    r.origin_resource_id,
                    r.banner,
                    r.media_type,
                    r.size,
                    r.content_sha256,
                    r.received_at,
                    self._in_scheme(r, scheme),
                    ingested.get(r.id),
                    splits[r.id].state if r.id in splits else None,
                )
                for r, peer in rows
                if r.id in readable
            ]

    def _in_scheme(self, row: PeerReceivedRow, scheme: str | None) -> str | None:
        """A received item's label in the scheme of the reader's nation."""
        if scheme is None:
            return None
        schemes = self._policy.schemes
        label = label_from_canonical_json(
            row.label_json.encode(), schemes=schemes, check_rules=False
        )
        return self._policy.banner_in(label, scheme)

    def _readable(
        self, session: Session, by: Acting, rows: list[PeerReceivedRow], now: datetime
    ) -> set[str]:
        """The received items ``by`` may discover under the local policy, as a catalogue
        listing decides (the console: all, as it discovers the whole catalogue)."""
        if not isinstance(by, Principal):
            return {r.id for r in rows}
        subject = subject_of(session, by.person)
        context = Context(now, by.mfa_at, self._policy.environment())
        schemes = self._policy.schemes
        found = set()
        for row in rows:
            resource = make_resource(
                id=row.id,
                project_id="",  # in no project of this node
                kind="received",
                label=label_from_canonical_json(
                    row.label_json.encode(), schemes=schemes, check_rules=False
                ),
                schemes=schemes,
                export=export_from_canonical_json(row.export_json.encode()),
            )
            if decide_received(subject, Action.DISCOVER, resource, context).permitted:
                found.add(row.id)
        return found

    def waiting(self, peer_id: str) -> int:
        """How many packages wait in the outbox of a peer (its lag)."""
        with self._uow.read() as session:
            return int(
                session.scalar(
                    select(func.count())
                    .select_from(PeerOutboxRow)
                    .where(PeerOutboxRow.peer_id == peer_id)
                )
                or 0
            )


@dataclass(frozen=True, slots=True)
class _Queued:
    """A row of a peer's outbox, without its bytes."""

    seq: int
    peer_seq: int
    kind: str
    resource_id: str


def _within(until: dict[str, datetime], node: str, now: datetime) -> bool:
    """Whether ``node`` is remembered in ``until`` at ``now``."""
    when = until.get(node)
    return when is not None and now < when


@dataclass(frozen=True, slots=True)
class _Fetched:
    """An outbox page as received: its entries up to the first malformed one, and the
    error that one raised (None: the page was whole)."""

    entries: list[tuple[int, bytes, str]]
    failure: IntegrityError | None


@dataclass(frozen=True, slots=True)
class _Source:
    """The peer a pull takes packages from."""

    peer_id: str
    name: str
    node: str  # its node id
    trusted: Ed25519PublicKey  # its federation signing key


@dataclass(frozen=True, slots=True)
class _Checked:
    """A package of an outbox page, read and verified before its transaction; or the
    problem that refuses it."""

    seq: int
    data: bytes
    opened: Opened | Sealed | None = None  # Sealed: split mode, until its first open
    marks: Markings | None = None
    origin: Provenance | None = None
    problem: IntegrityError | None = None


@dataclass(frozen=True, slots=True)
class _Here:
    """This node as a page's packages are judged against it: its nation and national
    scheme, and the policy environment."""

    node: NodeNation
    environment: PolicyEnvironment


def _not_for_here(
    here: _Here, marks: Markings, schemes: SchemeRegistry, now: datetime
) -> IntegrityError | None:
    """Why a verified package may not be kept here: its label does not release it to
    this node's nation (the nation of the organisation operating it). The sender's
    policy should never have sent it; a compromised or misconfigured sender might."""
    nation = here.node.nation
    if nation is None:
        return IntegrityError(
            "this node's operating organisation is not recorded, so no package can be "
            "judged releasable to its nation",
            code="peer_package_not_releasable",
        )
    facts = label_facts(marks.label, schemes)
    if not_released_to(facts, [nation], here.environment, now.date()):
        return IntegrityError(
            f"the package's label does not release it to {nation}, this node's nation",
            code="peer_package_not_releasable",
        )
    return None


def _content_sha256(opened: Opened | Sealed, staged: StagedContent | None) -> str:
    """The SHA-256 of a package's content ("" while sealed): staging hashed it already
    (a 32 MiB content is hashed once, not twice)."""
    if isinstance(opened, Sealed):
        return ""
    if staged is not None:  # staged from exactly this payload (``_take_packages``)
        return staged.sha256.hex()
    return hashlib.sha256(opened.payload).hexdigest()


def _package_uuid(opened: Opened | Sealed) -> str:
    return str(opened.policy.get("uuid", ""))[:36]


def locked_link(session: Session, peer_id: str) -> PeerLinkRow:
    """The link row of a peer, locked for this transaction (made on first use)."""
    link = session.get(PeerLinkRow, peer_id, with_for_update=True)
    if link is None:
        link = PeerLinkRow(peer_id=peer_id, failures=0, last_error="")
        link.peer_size = link.cosigned_size = link.pulled_seq = 0
        session.add(link)
    return link


def _item(item: object) -> tuple[int, bytes, str]:
    """An outbox entry as the peer sent it: its sequence number, bytes and kind
    (``package``, ``recall``: a signed recall statement, or ``re_release_decision``)."""
    if not isinstance(item, dict):
        raise IntegrityError("a peer's outbox entry is not an object", code="peer_answer_invalid")
    seq, package, kind = item.get("seq"), item.get("package"), item.get("kind", "package")
    if (
        not isinstance(seq, int)
        or not 1 <= seq < 2**53
        or not isinstance(package, str)
        or kind not in ("package", "recall", "re_release_decision")
    ):
        raise IntegrityError("a peer's outbox entry is malformed", code="peer_answer_invalid")
    try:
        return seq, base64.b64decode(package, validate=True), str(kind)
    except ValueError as exc:
        raise IntegrityError(
            "a peer's outbox entry is not base64", code="peer_answer_invalid"
        ) from exc


def outbox_json(rows: list[PeerOutboxRow]) -> dict[str, object]:
    """The protocol's answer for an outbox page."""
    return {
        "items": [
            {
                "seq": r.peer_seq,
                "kind": r.kind,
                "package": base64.b64encode(r.package).decode(),
                "sha256": r.sha256,
            }
            for r in rows
        ],
        "next": rows[-1].peer_seq if rows else None,
    }


def outbox_body(rows: list[PeerOutboxRow]) -> bytes:
    """``outbox_json`` as the answer's bytes, exactly what ``json.dumps`` of it gives,
    written with one copy of each package: its base64 goes in as bytes, instead of
    decoded to a string, escaped, serialised and encoded again (a 64 MiB package is
    85 MiB of base64)."""
    parts = [b'{"items": [']
    for n, row in enumerate(rows):
        parts += [
            b", " if n else b"",
            b'{"seq": ',
            json.dumps(row.peer_seq).encode(),
            b', "kind": ',
            json.dumps(row.kind).encode(),
            b', "package": "',
            base64.b64encode(row.package),
            b'", "sha256": ',
            json.dumps(row.sha256).encode(),
            b"}",
        ]
    parts += [b'], "next": ', json.dumps(rows[-1].peer_seq if rows else None).encode(), b"}"]
    return b"".join(parts)


def outbox_frames(rows: list[PeerOutboxRow]) -> bytes:
    """The outbox page as binary frames (``OUTBOX_FRAMES_PATH``): the magic line, then
    for each entry its seq (8 bytes), kind (1 byte: package, recall,
    re_release_decision), length (8 bytes, all big-endian) and bytes. No base64 and no
    JSON: a 64 MiB package is 64 MiB on the wire and parsed by slicing. (The JSON
    page's ``sha256`` is left out: every entry authenticates itself, by its package's
    checks or its statement's signature.)"""
    return b"".join(outbox_frame_parts(rows))


def outbox_frame_parts(rows: list[PeerOutboxRow]) -> list[bytes]:
    """``outbox_frames`` in the parts it is joined from (each package's bytes as they
    are), for an answer sent in pieces without first copying a page of up to 64 MiB."""
    parts = [OUTBOX_FRAMES_MAGIC]
    for row in rows:
        parts += [_FRAME.pack(row.peer_seq, _KINDS.index(row.kind), len(row.package)), row.package]
    return parts


def outbox_frames_of(peer: str, body: bytes) -> Iterator[tuple[int, bytes, str]]:
    """The entries of a binary outbox page, each (seq, bytes, kind), checked as
    ``_item`` checks a JSON entry; an entry that is not one, or bytes after the last,
    raise ``peer_answer_invalid`` when reached."""
    if not body.startswith(OUTBOX_FRAMES_MAGIC):
        raise IntegrityError(
            f"peer {peer} answered no binary outbox page", code="peer_answer_invalid"
        )

    def entries() -> Iterator[tuple[int, bytes, str]]:
        view = memoryview(body)
        offset = len(OUTBOX_FRAMES_MAGIC)
        while offset < len(view):
            if len(view) - offset < _FRAME.size:
                raise IntegrityError(
                    "a peer's outbox frame is cut short", code="peer_answer_invalid"
                )
            seq, kind, length = _FRAME.unpack_from(view, offset)
            offset += _FRAME.size
            if not 1 <= seq < 2**53 or kind >= len(_KINDS) or length > len(view) - offset:
                raise IntegrityError(
                    "a peer's outbox frame is malformed", code="peer_answer_invalid"
                )
            yield seq, bytes(view[offset : offset + length]), _KINDS[kind]
            offset += length

    return entries()
