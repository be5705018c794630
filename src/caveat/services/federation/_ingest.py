"""Received items become local artifacts (issue 18, ADR 0019 addendum "Ingest").

A peering names the local project what the peer releases here goes into (a security
officer of the operating organisation who did not record the peer: the receiving
project decides who may read, as the recipient decides what may leave). Each package
then becomes, in the transaction that keeps it, an artifact of that project: its content
re-encrypted under this node's content pipeline, its label exactly as received (never
wider), its provenance kept beside it (originating node and organisation, the label in
the originator's scheme and in this node's national form). Local readers see and open
it by the same ``decide()`` as every artifact; no local flow relabels, releases, grants
or exports it (``refuse_received``). A recall from the originator withdraws its catalogue
label in the recall's transaction: unlabelled, it is shown to no one and opened by no one.

An item that cannot be made an artifact (a label this node cannot hold, an originator
organisation of another nation) stays sealed and officer-only, recorded and alerted;
it never stops the pull.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from caveat.adapters.db.models import PersonRow
from caveat.adapters.db.models.core import OrganisationRow
from caveat.adapters.db.models.federation import PeerIngestedRow, PeerReceivedRow, PeerRow
from caveat.adapters.db.models.policy import ProjectRow, ResourceRow
from caveat.adapters.tdf import Markings
from caveat.adapters.workers import staging_workers
from caveat.domain.errors import CaveatError
from caveat.domain.events import Actor, Outcome
from caveat.domain.policy import PolicyEnvironment
from caveat.services.artifacts import ArtifactService, Provenance, ReceivedPage, StagedContent
from caveat.services.kernel.uow import UnitOfWork
from caveat.services.ledger import MonitoringService
from caveat.services.node import operating_organisation
from caveat.services.policy import PolicyService

RECEIVER = Actor.system("federation")


@dataclass(frozen=True, slots=True)
class NodeNation:
    """The nation of the organisation operating this node (None: not recorded) and the
    label scheme of that nation, read once for a page of packages."""

    nation: str | None
    scheme: str | None


def node_nation(session: Session, environment: PolicyEnvironment) -> NodeNation:
    """This node's nation and national scheme, as the session sees them now."""
    org_id = operating_organisation(session)
    org = None if org_id is None else session.get(OrganisationRow, org_id)
    if org is None:
        return NodeNation(None, None)
    return NodeNation(org.nation, environment.scheme_by_nation.get(org.nation))


class PeerIngest:
    """Makes received packages local artifacts of the peering's receiving project."""

    def __init__(
        self, *, policy: PolicyService, artifacts: ArtifactService, monitoring: MonitoringService
    ) -> None:
        self._policy = policy
        self._artifacts = artifacts
        self._monitoring = monitoring

    def receiving(self, session: Session, peer_id: str) -> bool:
        """Whether the peering names a receiving project (otherwise what the peer sends
        stays sealed and nothing is staged)."""
        peer = session.get(PeerRow, peer_id)
        return peer is not None and peer.receiving_project_id is not None

    def stage(self, payload: bytes, media_type: str) -> StagedContent:
        """Encrypt a package's content for ingest, before the transaction that keeps it
        (when ``receiving`` says the peering names a receiving project)."""
        return self._artifacts.received.stage(payload, media_type)

    def stage_all(
        self, contents: dict[int, tuple[bytes, str]], *, into: dict[int, StagedContent]
    ) -> None:
        """``stage`` a page's contents (by sequence number) into ``into``, several at a
        time: each is still encrypted into its own blobs and made durable (fsync of the
        file and its directory) before the transaction that keeps it, but their fsyncs
        overlap, so the disk's journal commits them together instead of one by one.
        Whatever was staged is in ``into`` even when one fails (the caller discards
        what it does not keep); the first failure is raised."""
        if len(contents) <= 1:
            for seq, (payload, media_type) in contents.items():
                into[seq] = self.stage(payload, media_type)
            return
        running = {
            seq: staging_workers().submit(self.stage, payload, media_type)
            for seq, (payload, media_type) in contents.items()
        }
        failure: BaseException | None = None
        for seq, done in running.items():
            try:
                into[seq] = done.result()
            except BaseException as exc:  # the others are still collected, to discard
                failure = failure or exc
        if failure is not None:
            raise failure

    def discard(self, staged: StagedContent | None) -> None:
        """Delete staged content the transaction did not keep."""
        if staged is not None:
            self._artifacts.received.discard(staged)

    def page(self) -> ReceivedPage:
        """A page of items to ``ingest_in`` at once (``ReceivedPage``)."""
        return self._artifacts.received.page()

    def ingest_in(
        self,
        uow: UnitOfWork,
        received: PeerReceivedRow,
        marks: Markings,
        staged: StagedContent,
        title: str,
        here: NodeNation,
        *,
        page: ReceivedPage | None = None,
    ) -> bool:
        """Make ``received`` an artifact of its peering's receiving project, in the unit
        of work that keeps it (``here``: read in that unit of work); False (recorded and
        alerted) if it cannot be. With ``page``, nothing is flushed and a failure is
        raised, not recorded: the caller then redoes the page item by item, where this
        item fails alone (in a savepoint) and stays sealed."""
        session = uow.session
        peer = session.get(PeerRow, received.peer_id)
        assert peer is not None
        project = peer.receiving_project_id
        if project is None or peer.organisation_id is None:  # changed since staged
            return False
        if page is not None and (PeerRow, peer.id) not in page.rows:
            page.rows[(PeerRow, peer.id)] = peer  # kept in the identity map for the page
            page.rows[(ProjectRow, project)] = session.get(ProjectRow, project)
            org = peer.organisation_id
            page.rows[(OrganisationRow, org)] = session.get(OrganisationRow, org)
        made = Provenance(
            project_id=project,
            title=title,
            kind="document",
            label=marks.label,
            export=marks.export,
            originator_org_id=peer.organisation_id,
            origin_node_id=received.origin_node_id,
            created_by=peer.receiving_set_by or _console_holder(session),
        )
        if page is not None:
            artifact_id = self._artifacts.received.commit_in(uow, staged, made, RECEIVER, page=page)
            session.add(self._ingested_row(uow, received, peer, artifact_id, marks, here))
            self._record_ingested(uow, received, peer.id, project, artifact_id)
            return True
        try:
            with uow.savepoint():  # a failure leaves the item kept, sealed
                artifact_id = self._artifacts.received.commit_in(uow, staged, made, RECEIVER)
                session.add(self._ingested_row(uow, received, peer, artifact_id, marks, here))
                session.flush()
        except CaveatError as exc:
            data = {"received_id": received.id, "code": exc.code, "detail": exc.detail[:300]}
            uow.record(
                "peer.ingest_failed",
                RECEIVER,
                target_id=received.id,
                outcome=Outcome.FAILURE,
                data=data,
            )
            self._monitoring.raise_within(
                uow,
                rule="peer_ingest_failed",
                severity="warning",
                subject_id=peer.id,
                subject_name=peer.name,
                summary=f"an item from peer {peer.name} stays sealed: {exc.code}",
                data=data,
            )
            return False
        self._record_ingested(uow, received, peer.id, project, artifact_id)
        return True

    def _ingested_row(
        self,
        uow: UnitOfWork,
        received: PeerReceivedRow,
        peer: PeerRow,
        artifact_id: str,
        marks: Markings,
        here: NodeNation,
    ) -> PeerIngestedRow:
        return PeerIngestedRow(
            artifact_id=artifact_id,
            received_id=received.id,
            peer_id=peer.id,
            origin_node_id=received.origin_node_id,
            origin_resource_id=received.origin_resource_id,
            origin_organisation=peer.organisation[:120],
            origin_banner=received.banner,
            national_banner=(self._policy.banner_in(marks.label, here.scheme) or "")[:500],
            ingested_at=uow.now,
        )

    @staticmethod
    def _record_ingested(
        uow: UnitOfWork, received: PeerReceivedRow, peer_id: str, project: str, artifact_id: str
    ) -> None:
        uow.record(
            "peer.ingested",
            RECEIVER,
            target_id=received.id,
            data={
                "artifact_id": artifact_id,
                "project_id": project,
                "peer_id": peer_id,
                "origin_node_id": received.origin_node_id,
                "origin_resource_id": received.origin_resource_id,
                "label": received.label_json,
            },
        )


def withdraw_recalled(uow: UnitOfWork, hidden: list[PeerReceivedRow]) -> list[str]:
    """A recall hid ``hidden``: withdraw the catalogue label of each artifact made of
    them, in the recall's unit of work. An unlabelled resource is listed to no one and
    decided for no one (the policy's rule for unlabelled data), so its content is opened
    by no one; its label history and content stay for the record. The artifact ids."""
    if not hidden:
        return []
    session = uow.session
    rows = session.scalars(
        select(PeerIngestedRow)
        .where(PeerIngestedRow.received_id.in_([r.id for r in hidden]))
        .with_for_update()
    ).all()
    for row in rows:
        row.recalled_at = uow.now
        resource = session.get(ResourceRow, row.artifact_id, with_for_update=True)
        if resource is not None:
            resource.label_json = None
    return sorted(r.artifact_id for r in rows)


def _console_holder(session: Session) -> str:
    """The first account of the node (the operator `caveat init` made, who holds its
    console): the creator of record when the console named the receiving project."""
    held = session.info.get(_CONSOLE_HOLDER)  # asked once per transaction, not per item
    if held is None:
        held = session.scalar(select(PersonRow.id).order_by(PersonRow.created_at, PersonRow.id))
        assert held is not None  # a node always has its first operator
        session.info[_CONSOLE_HOLDER] = held
    return str(held)


_CONSOLE_HOLDER = "federation_console_holder"
