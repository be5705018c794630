"""What a partner node would receive, and why not the rest (issue 18): a dry run of
releasing the catalogue to a peer through the policy, item by item, with the reasons of
every refusal. Nothing is sent and nothing changes; the asker sees only items they may
discover themselves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from caveat.adapters.db.models.federation import PeerAgreementRow, PeerRow
from caveat.adapters.db.models.policy import ResourceRow
from caveat.domain.errors import Conflict, InvalidInput
from caveat.domain.federation import PeerStatus
from caveat.domain.identity import Role
from caveat.domain.labels import render_banner
from caveat.domain.permissions import Act
from caveat.domain.policy import (
    Audience,
    Context,
    NodeRecipient,
    decide_node_release,
    explain,
    level_name,
)
from caveat.services.kernel.authorize import allowed
from caveat.services.kernel.principal import Acting, ConsoleOperator
from caveat.services.policy import PolicyService, resource_of

MAX_PREVIEW = 500  # items per page: a dry run decides each one


@dataclass(frozen=True, slots=True)
class PreviewItem:
    """One catalogue item and whether it could go to the peer; if not, which requirements
    fail and why (the officer's words)."""

    resource_id: str
    title: str
    kind: str
    banner: str | None
    releasable: bool
    failed: tuple[str, ...]
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ReleasePreview:
    """A page of the dry run for one peer, with the facts it was decided on."""

    peer: str
    nation: str
    organisation_id: str
    accredited_level: str
    agreement_ids: tuple[str, ...]
    decided_at: datetime
    items: tuple[PreviewItem, ...]
    releasable: int
    withheld: int
    next_after: str | None  # the last id of a full page: ask again with ``after``


def recipient_of(session: Session, row: PeerRow) -> NodeRecipient:
    """The peer as the policy's recipient; refused while nobody has said who it is."""
    if row.status not in (PeerStatus.ACTIVE.value, PeerStatus.ROTATING.value):
        raise Conflict(f"peer {row.name} is {row.status}", code="invalid_peer_transition")
    if row.organisation_id is None:
        raise Conflict(
            f"nobody has said which organisation receives what is released to peer {row.name}",
            code="peer_recipient_unset",
            hint="a security officer sets it: `caveat federation recipient PEER "
            "--organisation ORG --accredited SECRET`",
        )
    agreements = session.scalars(
        select(PeerAgreementRow.agreement_id).where(PeerAgreementRow.peer_id == row.id)
    ).all()
    return NodeRecipient(
        peer_id=row.id,
        name=row.name,
        organisation_id=row.organisation_id,
        nation=row.nation,
        accredited_level=row.accredited_level,
        agreement_ids=frozenset(agreements),
    )


def _audience(by: Acting, node: NodeRecipient) -> Audience:
    """Officers' words (agreements, control entries, screening holds) for compliance
    staff; the words a subject reads for everyone else, and always for a member of the
    organisation the node belongs to, so that nobody learns of a screening hold on their
    own organisation from a dry run (never tip off a screened party)."""
    if isinstance(by, ConsoleOperator):
        return Audience.OFFICER
    if by.person.organisation_id == node.organisation_id:
        return Audience.SUBJECT
    staff = by.roles & {Role.SECURITY_OFFICER, Role.EXPORT_CONTROL_OFFICER}
    return Audience.OFFICER if staff and allowed(by, Act.SCREENING_READ) else Audience.SUBJECT


def preview_page(
    session: Session,
    policy: PolicyService,
    by: Acting,
    row: PeerRow,
    now: datetime,
    *,
    after: str | None,
    limit: int,
) -> ReleasePreview:
    """One page (by resource id) of the dry run, for what ``by`` may discover."""
    if not 1 <= limit <= MAX_PREVIEW:
        raise InvalidInput(f"limit must be 1-{MAX_PREVIEW}", code="invalid_limit", field="limit")
    node = recipient_of(session, row)
    context = Context(now, None, policy.environment())
    audience = _audience(by, node)
    items: list[PreviewItem] = []
    for resource_row in _discoverable_rows(session, policy, by, now, after=after, limit=limit):
        resource = resource_of(resource_row, policy.schemes)
        decision = decide_node_release(node, resource, context)
        told = explain(decision, audience)
        banner = (
            None
            if resource.label is None
            else render_banner(resource.label, schemes=policy.schemes)
        )
        items.append(
            PreviewItem(
                resource_id=resource_row.id,
                title=resource_row.title,
                kind=resource_row.kind,
                banner=banner,
                releasable=decision.permitted,
                failed=tuple(decision.failed_codes),
                reasons=tuple(
                    f"{r.code}: {r.detail}"
                    for r in told.requirements
                    if r.applies and not r.satisfied
                ),
            )
        )
    going = sum(i.releasable for i in items)
    return ReleasePreview(
        peer=row.name,
        nation=row.nation,
        organisation_id=node.organisation_id,
        accredited_level=level_name(node.accredited_level),
        agreement_ids=tuple(sorted(node.agreement_ids)),
        decided_at=now,
        items=tuple(items),
        releasable=going,
        withheld=len(items) - going,
        # The cursor is the last item shown, never a row the asker may not discover.
        next_after=items[-1].resource_id if len(items) == limit else None,
    )


def _discoverable_rows(
    session: Session,
    policy: PolicyService,
    by: Acting,
    now: datetime,
    *,
    after: str | None,
    limit: int,
) -> list[ResourceRow]:
    """The next ``limit`` catalogue rows after ``after`` that ``by`` may discover,
    reading on past hidden ones."""
    found: list[ResourceRow] = []
    cursor = after
    while len(found) < limit:
        query = select(ResourceRow).order_by(ResourceRow.id).limit(limit)
        if cursor is not None:
            query = query.where(ResourceRow.id > cursor)
        rows = session.scalars(query).all()
        if not rows:
            break
        seen = policy.discoverable_in(session, by, [r.id for r in rows], now)
        found += [r for r in rows if r.id in seen][: limit - len(found)]
        cursor = rows[-1].id
        if len(rows) < limit:
            break
    return found
