"""Subscriptions to partners' TAXII 2.1 collections, and the poller that ingests them
(issue 20, ADR 0023 addendum).

A subscription names the partner's collection URL, the credentials to present (sealed
with the node's secret key, bound to the subscription's id, never logged nor handed
out), the local collection objects go into (its project, hence programme), the owning
organisation and owner, and the label: unmarked objects take it, and objects marked
wider than it are refused (fail closed).

The poller acts on behalf of the owner: each page is added as the owner would add it
(``Adder``: member of the collection's project, ``taxii.add``, nobody adds content
labelled above what they may read), with the owner's account, clearance and roles as
they stand at the poll. A background poll has no second factor to show; MFA freshness is
waived for it, and only for it, since the poller hands nothing to a person.

Each poll fetches with ``added_after`` from the subscription's cursor and pages with
``next``; each page is one transaction (its objects, the cursor moved to the page's
``X-TAXII-Date-Added-Last``, the counters, one ``taxii.subscription_ingested`` event),
so a poll cut short resumes where the last page committed, and a version held already
is "held" again, never stored twice. Failures back off 30 s doubling to 6 h; a lease on
the row keeps two processes from polling one subscription at once, and its token keeps a
poll that outlived its lease (a stalled partner) from writing a page or recording its end
over the poll that took the lease after it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import or_, select, update

from caveat.adapters.db.models import OrganisationRow
from caveat.adapters.db.models.taxii import TaxiiCollectionRow, TaxiiSubscriptionRow
from caveat.domain.errors import CaveatError, NotFound, PermissionDenied
from caveat.domain.events import Actor
from caveat.domain.labels import Label, Originator, label_to_canonical_json, render_banner
from caveat.domain.permissions import Act, Target
from caveat.domain.policy import Action, Context, decide, make_resource
from caveat.domain.sealing import seal, unseal
from caveat.domain.taxii_feeds import (
    FeedAuth,
    FeedCredentials,
    FeedPage,
    backoff,
    require_collection_url,
    require_interval,
    wider_than,
)
from caveat.services.identity import find_person, person_view
from caveat.services.intel._collections import visible_row, visible_rows
from caveat.services.intel._query import reader
from caveat.services.intel._writes import KIND, Adder, label_of
from caveat.services.kernel.authorize import authorize
from caveat.services.kernel.ports import FeedSource
from caveat.services.kernel.principal import Principal
from caveat.services.kernel.uow import CallContext, UnitOfWork, UnitOfWorkFactory
from caveat.services.policy import CatalogueService, PolicyService, subject_of

log = structlog.get_logger("caveat.taxii")

PER_PAGE = 100
LEASE = timedelta(minutes=10)  # longer than any poll; a crashed poller's lease lapses
MAX_REFUSALS = 20
DOWN_AFTER = 3  # failures in a row before the subscription is reported down
POLLER = Actor.system("taxii-poller")
_DEFINITION_TYPES = ("marking-definition", "extension-definition")


@dataclass(frozen=True, slots=True)
class Refusal:
    """An object a poll did not ingest, and why."""

    object_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class Subscription:
    """A subscription and how its polls are going (never its credentials)."""

    id: str
    url: str
    collection_id: str
    collection_title: str
    organisation_id: str
    owner: str  # username
    label: str  # banner of the label unmarked objects take (and the widest let in)
    auth: str  # basic | bearer | none
    interval_seconds: int
    created_at: datetime
    removed: bool
    cursor: datetime | None
    next_poll_at: datetime | None
    last_attempt_at: datetime | None
    last_success_at: datetime | None
    caught_up_at: datetime | None
    lag_seconds: int | None  # since the last poll that read to the partner's end
    failures: int
    last_error: str
    ingested: int
    refused: int
    last_refusals: tuple[Refusal, ...]

    @property
    def state(self) -> str:
        """removed, new (never polled), ok, or failing."""
        if self.removed:
            return "removed"
        if self.failures:
            return "failing"
        return "ok" if self.last_success_at is not None else "new"


@dataclass(frozen=True, slots=True)
class PollResult:
    """What one poll did: versions ingested, held already, refused; pages read; whether
    it read to the partner's end; the error that stopped it ("" if none)."""

    subscription_id: str
    ingested: int = 0
    held: int = 0
    refused: int = 0
    pages: int = 0
    caught_up: bool = False
    error: str = ""


def _missing(ref: str) -> NotFound:
    """The one answer for a missing subscription and one the caller may not see."""
    return NotFound(f"no TAXII subscription {ref!r}", code="unknown_taxii_subscription")


def _aad(subscription_id: str) -> bytes:
    return f"taxii-subscription:{subscription_id}".encode()


def _refs(item: dict[str, Any]) -> set[str]:
    refs = item.get("object_marking_refs")
    found = {r for r in refs if isinstance(r, str)} if isinstance(refs, list) else set()
    granular = item.get("granular_markings")
    for entry in granular if isinstance(granular, list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("marking_ref"), str):
            found.add(entry["marking_ref"])
    return found


class SubscriptionService:
    """Subscribe to partners' collections, list them with their status, poll, remove."""

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        policy: PolicyService,
        catalogue: CatalogueService,
        source: FeedSource,
        secret_key: Callable[[], bytes],
        unsafe_local: bool = False,
    ) -> None:
        self._uow = uow
        self._policy = policy
        self._catalogue = catalogue
        self._source = source
        self._secret_key = secret_key
        self._unsafe_local = unsafe_local

    # management

    def subscribe(
        self,
        by: Principal,
        ctx: CallContext,
        *,
        url: str,
        collection: str,
        label: Label,
        credentials: FeedCredentials,
        interval_seconds: int = 900,
    ) -> Subscription:
        """Subscribe ``collection`` (one of the caller's) to the partner's collection at
        ``url``; the caller owns it and the first poll is due at once."""
        now = self._uow.clock()
        authorize(
            by, Act.TAXII_SUBSCRIBE, Target(organisation_id=by.person.organisation_id), now=now
        )
        authorize(by, Act.TAXII_ADD, now=now)  # the poller adds as the owner
        url = require_collection_url(url, unsafe_local=self._unsafe_local)
        interval = require_interval(interval_seconds)
        with self._uow(ctx) as uow:
            caller = reader(uow.session, self._policy, by, uow.now)
            target = visible_row(uow.session, caller, collection)
            self._owner_may_read(uow, by, target, label)
            row = TaxiiSubscriptionRow(
                id=str(uuid.uuid4()),
                url=url,
                collection_id=target.id,
                organisation_id=by.person.organisation_id,
                owner_id=by.person_id,
                label_json=label_to_canonical_json(label).decode(),
                auth=credentials.auth.value,
                interval_seconds=int(interval.total_seconds()),
                created_at=uow.now,
                next_poll_at=uow.now,
                failures=0,
                last_error="",
                ingested=0,
                refused=0,
                last_refusals="[]",
            )
            if credentials.auth is not FeedAuth.NONE:
                secret = json.dumps({"u": credentials.username, "s": credentials.secret})
                row.credentials_sealed = seal(self._secret_key(), secret.encode(), aad=_aad(row.id))
            uow.session.add(row)
            uow.record(
                "taxii.subscription_added",
                by.actor(),
                target_id=row.id,
                data={
                    "url": url,
                    "collection": target.id,
                    "label": render_banner(label, schemes=self._policy.schemes),
                    "auth": credentials.auth.value,
                    "interval_seconds": row.interval_seconds,
                },
            )
            uow.session.flush()
            return self._view(row, target.title, by.username, uow.now)

    def _owner_may_read(
        self, uow: UnitOfWork, by: Principal, collection: TaxiiCollectionRow, label: Label
    ) -> None:
        """Nobody subscribes under a label they could not read themselves: what comes in
        unmarked would be content they label above their own access."""
        org = uow.session.get(OrganisationRow, by.person.organisation_id)
        assert org is not None
        if label.originator is None:  # as the poller will store it (``Adder``)
            label = replace(label, originator=Originator(org.short_name or org.name, org.nation))
        draft = make_resource(
            id=str(uuid.uuid4()),
            project_id=collection.project_id,
            kind=KIND,
            label=label,
            schemes=self._policy.schemes,
            originator_org_id=org.id,
        )
        subject = subject_of(uow.session, by.person)
        context = Context(uow.now, by.mfa_at, self._policy.environment())
        decision = decide(subject, Action.READ, draft, context)
        if not decision.permitted:
            raise PermissionDenied(
                "you may not subscribe under a label above what you may read yourself",
                code="label_above_reader",
                data={"failed": decision.failed_codes},
            )

    def subscriptions(self, by: Principal, *, removed: bool = False) -> list[Subscription]:
        """The subscriptions of the collections the caller may see (by URL)."""
        authorize(by, Act.TAXII_READ)
        with self._uow.read() as session:
            now = self._uow.clock()
            caller = reader(session, self._policy, by, now)
            titles = {c.id: c.title for c in visible_rows(session, caller)}
            if not titles:
                return []
            query = select(TaxiiSubscriptionRow).where(
                TaxiiSubscriptionRow.collection_id.in_(sorted(titles))
            )
            if not removed:
                query = query.where(TaxiiSubscriptionRow.removed_at.is_(None))
            rows = list(session.scalars(query.order_by(TaxiiSubscriptionRow.url)))
            owners = self._usernames(session, {r.owner_id for r in rows})
            return [self._view(r, titles[r.collection_id], owners[r.owner_id], now) for r in rows]

    def subscription(self, by: Principal, subscription_id: str) -> Subscription:
        """One subscription, if the caller may see its collection."""
        authorize(by, Act.TAXII_READ)
        with self._uow.read() as session:
            now = self._uow.clock()
            row, title = self._visible(session, by, subscription_id, now)
            owner = self._usernames(session, {row.owner_id})[row.owner_id]
            return self._view(row, title, owner, now)

    def remove(self, by: Principal, ctx: CallContext, subscription_id: str) -> None:
        """Stop polling and forget the credentials; what was ingested stays, with its
        provenance."""
        with self._uow(ctx) as uow:
            row, _ = self._visible(uow.session, by, subscription_id, uow.now)
            authorize(
                by, Act.TAXII_SUBSCRIBE, Target(organisation_id=row.organisation_id), now=uow.now
            )
            if row.removed_at is not None:
                raise _missing(subscription_id)
            row.removed_at = uow.now
            row.credentials_sealed = None
            row.next_poll_at = None
            uow.record(
                "taxii.subscription_removed",
                by.actor(),
                target_id=row.id,
                data={"url": row.url, "collection": row.collection_id},
            )

    def poll_now(self, by: Principal, ctx: CallContext, subscription_id: str) -> PollResult:
        """Poll one subscription now, whatever its backoff (after a repair)."""
        with self._uow.read() as session:
            row, _ = self._visible(session, by, subscription_id, self._uow.clock())
            organisation, removed = row.organisation_id, row.removed_at is not None
        authorize(
            by, Act.TAXII_SUBSCRIBE, Target(organisation_id=organisation), now=self._uow.clock()
        )
        if removed:
            raise _missing(subscription_id)
        return self._poll(ctx, subscription_id, by=by)

    def run_due(self, ctx: CallContext) -> list[PollResult]:
        """Poll every subscription that is due (the background worker)."""
        now = self._uow.clock()
        with self._uow.read() as session:
            due = list(
                session.scalars(
                    select(TaxiiSubscriptionRow.id)
                    .where(
                        TaxiiSubscriptionRow.removed_at.is_(None),
                        TaxiiSubscriptionRow.next_poll_at <= now,
                    )
                    .order_by(TaxiiSubscriptionRow.next_poll_at)
                )
            )
        # Another process may have polled one of them since the read: each claim takes
        # it only if it is still due, in the same UPDATE that takes the lease.
        return [self._poll(ctx, subscription_id, due_by=now) for subscription_id in due]

    # reads

    def _visible(
        self, session: Any, by: Principal, subscription_id: str, now: datetime
    ) -> tuple[TaxiiSubscriptionRow, str]:
        row = session.get(TaxiiSubscriptionRow, subscription_id)
        if row is None:
            raise _missing(subscription_id)
        caller = reader(session, self._policy, by, now)
        collection = session.get(TaxiiCollectionRow, row.collection_id)
        if collection is None or not caller.member_of(collection.project_id):
            raise _missing(subscription_id)
        return row, collection.title

    @staticmethod
    def _usernames(session: Any, ids: Iterable[str]) -> dict[str, str]:
        return {i: find_person(session, i).username for i in ids}

    def _view(
        self, row: TaxiiSubscriptionRow, title: str, owner: str, now: datetime
    ) -> Subscription:
        refusals = tuple(Refusal(r["id"], r["reason"]) for r in json.loads(row.last_refusals))
        label = label_of(row.label_json, self._policy)
        return Subscription(
            id=row.id,
            url=row.url,
            collection_id=row.collection_id,
            collection_title=title,
            organisation_id=row.organisation_id,
            owner=owner,
            label=render_banner(label, schemes=self._policy.schemes),
            auth=row.auth,
            interval_seconds=row.interval_seconds,
            created_at=row.created_at,
            removed=row.removed_at is not None,
            cursor=row.cursor,
            next_poll_at=row.next_poll_at,
            last_attempt_at=row.last_attempt_at,
            last_success_at=row.last_success_at,
            caught_up_at=row.caught_up_at,
            lag_seconds=None
            if row.caught_up_at is None
            else max(0, int((now - row.caught_up_at).total_seconds())),
            failures=row.failures,
            last_error=row.last_error,
            ingested=row.ingested,
            refused=row.refused,
            last_refusals=refusals,
        )

    # polling

    def _claim(
        self,
        ctx: CallContext,
        subscription_id: str,
        *,
        due_by: datetime | None = None,
        by: Principal | None = None,
    ) -> tuple[str, FeedCredentials, datetime | None, str] | None:
        """Take the subscription's lease (None: removed, another poll holds it, or, with
        ``due_by``, no longer due) and what the poll needs: URL, credentials, cursor.

        One conditional UPDATE decides, so of several pollers (API workers, `caveat
        worker`) on SQLite or PostgreSQL exactly one wins: the loser's UPDATE matches no
        row once the winner's committed (PostgreSQL re-checks the row after waiting for
        the winner's lock; SQLite writes one transaction at a time)."""
        token = str(uuid.uuid4())
        with self._uow(ctx) as uow:
            now = uow.now
            conditions = [
                TaxiiSubscriptionRow.id == subscription_id,
                TaxiiSubscriptionRow.removed_at.is_(None),
                or_(
                    TaxiiSubscriptionRow.lease_until.is_(None),
                    TaxiiSubscriptionRow.lease_until < now,
                ),
            ]
            if due_by is not None:
                conditions.append(TaxiiSubscriptionRow.next_poll_at <= due_by)
            taken = uow.session.execute(
                update(TaxiiSubscriptionRow)
                .where(*conditions)
                .values(lease_until=now + LEASE, lease_token=token, last_attempt_at=now)
            )
            if taken.rowcount != 1:  # type: ignore[attr-defined]
                return None
            row = uow.session.get(TaxiiSubscriptionRow, subscription_id)
            assert row is not None
            uow.session.refresh(row)
            if by is not None:  # a person asked for this poll: theirs, on the record
                uow.record(
                    "taxii.subscription_polled",
                    by.actor(),
                    target_id=row.id,
                    data={"url": row.url, "collection": row.collection_id},
                )
            return row.url, self._credentials(row), row.cursor, token

    def _credentials(self, row: TaxiiSubscriptionRow) -> FeedCredentials:
        if row.credentials_sealed is None:
            return FeedCredentials(FeedAuth.NONE)
        opened = json.loads(unseal(self._secret_key(), row.credentials_sealed, aad=_aad(row.id)))
        return FeedCredentials(FeedAuth(row.auth), opened["u"], opened["s"])

    def _poll(
        self,
        ctx: CallContext,
        subscription_id: str,
        *,
        due_by: datetime | None = None,
        by: Principal | None = None,
    ) -> PollResult:
        claimed = self._claim(ctx, subscription_id, due_by=due_by, by=by)
        if claimed is None:
            return PollResult(subscription_id, error="busy: another poll runs")
        url, credentials, cursor, token = claimed
        totals = PollResult(subscription_id)
        error = ""
        try:
            for page in self._source.pages(url, credentials, added_after=cursor, per_page=PER_PAGE):
                definitions = self._definitions(url, credentials, page)
                done = self._ingest(ctx, subscription_id, token, page, definitions)
                if done is None:  # the lease lapsed and another poll holds it now
                    log.warning("a TAXII poll outlived its lease", subscription_id=subscription_id)
                    return PollResult(
                        subscription_id, totals.ingested, totals.held, totals.refused,
                        totals.pages, error="busy: another poll took over",
                    )  # fmt: skip
                totals = PollResult(
                    subscription_id,
                    ingested=totals.ingested + done.ingested,
                    held=totals.held + done.held,
                    refused=totals.refused + done.refused,
                    pages=totals.pages + 1,
                    caught_up=not page.more,
                )
        except ConnectionError as exc:
            error = f"partner_unavailable: {exc}"
        except CaveatError as exc:
            error = f"{exc.code}: {exc.detail}"
        except Exception as exc:  # a broken partner must not stop the poller
            # No traceback: its frames' locals hold the credentials.
            error = f"internal_error: {type(exc).__name__}"
        self._finish(
            ctx, subscription_id, token, error[:500], caught_up=totals.caught_up and not error
        )
        if error:
            log.warning("TAXII poll failed", subscription_id=subscription_id, error=error[:500])
        return PollResult(
            subscription_id,
            totals.ingested,
            totals.held,
            totals.refused,
            totals.pages,
            totals.caught_up and not error,
            error[:500],
        )

    def _definitions(
        self, url: str, credentials: FeedCredentials, page: FeedPage
    ) -> list[dict[str, Any]]:
        """The page's marking definitions, and those its objects refer to that it does
        not carry, asked of the partner by id (a TAXII server need not send them)."""
        from caveat.domain.stix.tlp import predefined_colour

        given = [
            o for o in page.objects if isinstance(o, dict) and o.get("type") in _DEFINITION_TYPES
        ]
        have = {str(d.get("id")) for d in given}
        wanted = set()
        for item in page.objects:
            if isinstance(item, dict):
                wanted |= _refs(item)
        missing = sorted(r for r in wanted - have if predefined_colour(r) is None)
        if not missing:
            return given
        return given + self._source.definitions(url, credentials, missing)

    def _ingest(
        self,
        ctx: CallContext,
        subscription_id: str,
        token: str,
        page: FeedPage,
        definitions: Sequence[dict[str, Any]],
    ) -> PollResult | None:
        """One page, in one transaction: its objects as the owner adds them, the cursor,
        the counters and the page's one event."""
        from caveat.domain.stix import ImportRules, import_objects

        with self._uow(ctx) as uow:
            session = uow.session
            sub = session.scalar(
                select(TaxiiSubscriptionRow)
                .where(TaxiiSubscriptionRow.id == subscription_id)
                .with_for_update()
            )
            if sub is None or sub.removed_at is not None:
                raise _missing(subscription_id)
            if sub.lease_token != token:
                return None  # nothing of this page is written: the lease holder polls
            sub.lease_until = uow.now + LEASE  # a long poll keeps its lease page by page
            collection = session.scalar(
                select(TaxiiCollectionRow)
                .where(TaxiiCollectionRow.id == sub.collection_id)
                .with_for_update()
            )
            assert collection is not None
            owner = self._on_behalf_of(uow, sub)
            adder = Adder(
                uow,
                owner,
                policy=self._policy,
                catalogue=self._catalogue,
                collection=collection,
                subscription_id=sub.id,
            )
            if not adder.member:
                raise PermissionDenied(
                    "the subscription's owner is no longer a member of the collection's project",
                    code="taxii_owner_denied",
                )
            allowed = label_of(sub.label_json, self._policy)
            env = self._policy.environment()
            rules = ImportRules(
                groups=env.groups,
                on=uow.now.date(),
                default_label=allowed,
                schemes=self._policy.schemes,
            )
            by_id = {str(d.get("id")): d for d in definitions}
            refusals: list[Refusal] = []
            ingested = held = 0
            for item in page.objects:
                if not isinstance(item, dict):
                    refusals.append(Refusal("?", "invalid_stix: not a JSON object"))
                    continue
                if item.get("type") in _DEFINITION_TYPES:
                    continue
                object_id = str(item.get("id"))[:300]
                try:
                    needed = [by_id[r] for r in sorted(_refs(item)) if r in by_id]
                    labelled = import_objects([item, *needed], rules)
                except CaveatError as exc:
                    refusals.append(Refusal(object_id, f"{exc.code}: {exc.detail}"[:300]))
                    continue
                for one in labelled:
                    if wider_than(
                        one.label, allowed, groups=env.groups, on=uow.now.date(),
                        schemes=self._policy.schemes,
                    ):  # fmt: skip
                        banner = render_banner(one.label, schemes=self._policy.schemes)
                        refusals.append(
                            Refusal(
                                object_id,
                                f"marked_wider: {banner} is wider than the subscription allows",
                            )
                        )
                        continue
                    outcome = adder.add(one)
                    if not outcome.ok:
                        refusals.append(Refusal(object_id, (outcome.message or "")[:300]))
                    elif outcome.message == "held already":
                        held += 1
                    else:
                        ingested += 1
            if page.last_added is not None and (sub.cursor is None or page.last_added > sub.cursor):
                sub.cursor = page.last_added
            sub.ingested += ingested
            sub.refused += len(refusals)
            if refusals:
                kept = json.loads(sub.last_refusals) + [
                    {"id": r.object_id, "reason": r.reason} for r in refusals
                ]
                sub.last_refusals = json.dumps(kept[-MAX_REFUSALS:])
            if ingested or refusals:
                uow.record(
                    "taxii.subscription_ingested",
                    owner.actor(),
                    target_id=sub.id,
                    data={
                        "collection": collection.id,
                        "source": sub.url,
                        "ingested": ingested,
                        "held": held,
                        "refused": [{"id": r.object_id, "reason": r.reason} for r in refusals],
                        "resources": adder.added,
                        "cursor": None if sub.cursor is None else sub.cursor.isoformat(),
                    },
                )
            return PollResult(subscription_id, ingested, held, len(refusals))

    def _on_behalf_of(self, uow: UnitOfWork, sub: TaxiiSubscriptionRow) -> Principal:
        """The owner as the poller acts for them: their account as it stands now, its
        second-factor freshness waived (a background poll has none to show, and hands
        nothing to a person), still allowed to add to TAXII collections."""
        person = person_view(find_person(uow.session, sub.owner_id), uow.now)
        owner = Principal(person=person, mfa_at=uow.now)
        try:
            authorize(owner, Act.TAXII_ADD, now=uow.now)
        except PermissionDenied as exc:
            raise PermissionDenied(
                f"the subscription's owner may no longer add: {exc.detail}",
                code="taxii_owner_denied",
            ) from None
        return owner

    def _finish(
        self, ctx: CallContext, subscription_id: str, token: str, error: str, *, caught_up: bool
    ) -> None:
        """Release the lease and record how the poll went; the next poll's time."""
        with self._uow(ctx) as uow:
            sub = uow.session.scalar(
                select(TaxiiSubscriptionRow)
                .where(TaxiiSubscriptionRow.id == subscription_id)
                .with_for_update()
            )
            if sub is None or sub.lease_token != token:
                return  # removed, or another poll took the lapsed lease: it records its own
            sub.lease_until = sub.lease_token = None
            if sub.removed_at is not None:
                return
            was_down = sub.failures >= DOWN_AFTER
            if not error:
                sub.failures, sub.last_error = 0, ""
                sub.last_success_at = uow.now
                if caught_up:
                    sub.caught_up_at = sub.last_attempt_at or uow.now
                sub.next_poll_at = uow.now + timedelta(seconds=sub.interval_seconds)
                if was_down:
                    uow.record("taxii.subscription_up", POLLER, target_id=sub.id, data={})
                return
            sub.failures += 1
            sub.last_error = error
            sub.next_poll_at = uow.now + backoff(sub.failures)
            if sub.failures == DOWN_AFTER:
                uow.record(
                    "taxii.subscription_down",
                    POLLER,
                    target_id=sub.id,
                    data={"failures": sub.failures, "error": error},
                )
