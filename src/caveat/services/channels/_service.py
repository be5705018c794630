"""The channel service: open channels, publish labelled messages, follow a channel.

Every method takes the principal first and checks the permission table first
(``Act.CHANNEL_*``). Publishing needs the publisher to be a reader of the channel who
may read the message's label themselves (``label_above_reader``); the message is sealed
(``domain.channels.seal``) and handed to the broker, which assigns its event id. A
reader's subscription replays what the broker keeps after their last event id at their
own pace, then joins the live fan-out of their process (``_hub.py``); each message is
decided for that reader by ``decide()`` as they take it (``_reader.py``), with facts
refreshed every ``refresh_seconds`` beside the deliveries and never used past one and a
half periods (``_Reading``). A reader's connections, and a publisher's messages,
share one derivation of their facts at most half a refresh old (``_facts.py``).
Activity reaches the ledger in batches (``_ledger.py``).
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import replace

import anyio.to_thread

from caveat.domain.channels import (
    Envelope,
    EventIds,
    Retention,
    Stored,
    TamperedMessage,
    channel_key,
    check_body,
    event_id_key,
    open_sealed,
    seal,
)
from caveat.domain.errors import (
    AuthenticationFailed,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from caveat.domain.labels import (
    label_from_canonical_json,
    label_to_canonical_json,
    render_banner,
    render_portion,
    validate_label,
)
from caveat.domain.permissions import Act
from caveat.domain.policy import Context
from caveat.domain.policy.fingerprint import Scope, decision_fingerprint
from caveat.services.artifacts import parse_label_text
from caveat.services.channels._facts import SharedDerivations
from caveat.services.channels._hub import Hub, Inbox
from caveat.services.channels._ledger import ChannelLedger
from caveat.services.channels._reader import OpenMessage, ReaderFacts, resource_prefix
from caveat.services.channels._store import (
    ChannelInfo,
    create_in,
    info_of,
    not_found,
    visible_rows,
)
from caveat.services.channels._subjects import SharedDecisions, SubjectCache
from caveat.services.channels._views import Channel, Delivery, Notice, Published, Window
from caveat.services.kernel.authorize import allowed, authorize
from caveat.services.kernel.ports import ChannelBroker
from caveat.services.kernel.principal import Acting, Principal
from caveat.services.kernel.uow import CallContext, UnitOfWorkFactory
from caveat.services.policy import PolicyService, subject_of

Reauthenticate = Callable[[], Principal]
Item = Delivery | Notice


class ChannelService:
    """Live labelled channels over a broker (``ChannelBroker``)."""

    def __init__(
        self,
        *,
        uow: UnitOfWorkFactory,
        policy: PolicyService,
        broker: ChannelBroker,
        secret_key: Callable[[], bytes],
        ledger: ChannelLedger,
        refresh_seconds: float = 5.0,
        queue_size: int = 256,
        page_size: int = 500,
    ) -> None:
        self._uow = uow
        self._policy = policy
        self.broker = broker
        self._secret_key = secret_key
        self.ledger = ledger
        self.refresh_seconds = refresh_seconds
        self.queue_size = queue_size
        self._page = page_size
        self._keys: dict[str, bytes] = {}
        self._event_ids: EventIds | None = None
        self._opened: set[str] = set()
        self._hubs: dict[tuple[asyncio.AbstractEventLoop, str], Hub] = {}
        self._subjects = SubjectCache(uow, policy)
        self._decisions = SharedDecisions()
        self._derivations: SharedDerivations[tuple[ChannelInfo, ReaderFacts]] = SharedDerivations(
            lambda: self.refresh_seconds / 2
        )

    # channels

    def create(
        self,
        by: Acting,
        ctx: CallContext,
        *,
        name: str,
        project: str | None = None,
        programme: str | None = None,
        description: str = "",
        retention: Retention | None = None,
    ) -> Channel:
        """A new channel of ``project`` or ``programme``."""
        authorize(by, Act.CHANNEL_CREATE, now=self._uow.clock())
        with self._uow(ctx) as uow:
            row = create_in(
                uow,
                by,
                name=name,
                description=description,
                project=project,
                programme=programme,
                retention=retention or Retention(),
            )
            return self._view(info_of(row), by)

    def channels(self, by: Principal) -> list[Channel]:
        """The channels the caller may read (of their current projects and programmes)."""
        authorize(by, Act.CHANNEL_READ)
        with self._uow.read() as session:
            subject = subject_of(session, by.person)
            now = self._uow.clock()
            facts = Context(now, by.mfa_at, self._policy.environment()).facts(subject)
            projects = facts.projects if facts.account_ok else frozenset()
            return [self._view(info_of(row), by) for row in visible_rows(session, projects)]

    def channel(self, by: Principal, ref: str) -> Channel:
        """One channel, if the caller may read it."""
        authorize(by, Act.CHANNEL_READ)
        info, _ = self._reader(by, ref, None)
        return self._view(info, by)

    async def window(
        self,
        by: Principal,
        ref: str,
        *,
        after: str | None = None,
        upto: str | None = None,
        span: int = 200,
    ) -> Window:
        """The kept messages the caller may read with event ids in (``after``, ``upto``]
        (``upto`` defaults to the newest; ``after`` to ``span`` messages before it), each
        decided by the policy now. At most ``span`` messages are read: a wider range
        reads its newest part and says it is incomplete."""
        authorize(by, Act.CHANNEL_READ)
        info, facts = await self._facts(by, ref, None)
        ids = self.event_ids
        low = None if after is None else ids.seq(info.id, after)
        high = None if upto is None else ids.seq(info.id, upto)
        await self._ensure(info)
        first, newest = await self.broker.bounds(info.id)
        top = newest if high is None else min(high, newest)
        start = max(top - span, 0) if low is None else low
        # Retention dropped part of the range, or it is wider than one window.
        complete = top - start <= span and (low is None or low >= first - 1)
        start = max(start, top - span, first - 1, 0)
        found: list[Delivery] = []
        last = start
        while last < top:
            page = await self.broker.read(info.id, last, min(self._page, top - last))
            if not page:
                break
            for stored in page:
                if stored.seq <= last or stored.seq > top:
                    continue
                last = stored.seq
                message = self._open_or_none(info.id, stored)
                if message is not None and facts.may_read(message):
                    found.append(message.delivery())
            if page[-1].seq >= top:
                break
        window = tuple(found)
        return Window(
            self._view(info, by), window, ids.of(info.id, start), ids.of(info.id, top), complete
        )

    def _view(self, info: ChannelInfo, by: Acting) -> Channel:
        return Channel(
            id=info.id,
            name=info.name,
            description=info.description,
            project_id=info.project_id,
            programme_id=info.programme_id,
            max_messages=info.retention.max_messages,
            max_age_seconds=info.retention.max_age_seconds,
            created_at=info.created_at,
            can_publish=isinstance(by, Principal)
            and allowed(by, Act.CHANNEL_PUBLISH, now=self._uow.clock()),
        )

    # readers' facts

    def _reader(
        self, by: Principal, ref: str, reauthenticate: Reauthenticate | None
    ) -> tuple[ChannelInfo, ReaderFacts]:
        """The channel and the caller's facts now; "not found" unless they may read it
        (a current member of a project in its scope, with an account in order). One read
        transaction: what it reads of the person and the channel is cached under the
        subjects generation (``_subjects.py``), and the policy sources join it."""
        principal = by if reauthenticate is None else reauthenticate()
        with self._uow.read(shared=True) as session:
            now = self._uow.clock()
            base = self._subjects.base(session, by.person_id, ref)
            if reauthenticate is None:
                principal = replace(by, person=base.person)
            elif principal.person != base.person:  # the credential's view is newer
                base = SubjectCache.base_of(session, principal.person, ref)
            env = self._subjects.environment(session)
            context = Context(now, principal.mfa_at, env)
            facts = context.facts(base.subject)
            projects = tuple(sorted(base.scope & facts.projects)) if facts.account_ok else ()
            if not projects:
                raise not_found(ref)
            scope = Scope(frozenset(projects), resource_prefix(base.info.id))
            decided = self._decisions.of(
                (base.info.id, decision_fingerprint(base.subject, facts, env.config, scope))
            )
            reader = ReaderFacts(
                principal, base.subject, context, projects, now, base.originator, decided
            )
            return base.info, reader

    async def _facts(
        self, by: Principal, ref: str, reauthenticate: Reauthenticate | None
    ) -> tuple[ChannelInfo, ReaderFacts]:
        """``_reader`` on a worker thread, shared with the caller's other connections
        that ask within half a refresh (``_facts.py``)."""
        _, found = await self._dated_facts(by, ref, reauthenticate)
        return found

    async def _dated_facts(
        self, by: Principal, ref: str, reauthenticate: Reauthenticate | None
    ) -> tuple[float, tuple[ChannelInfo, ReaderFacts]]:
        """``_facts`` with the event-loop time their derivation started (their age)."""
        if reauthenticate is not None and by.session_id is None and by.token_id is None:
            # A credential re-checked but not named: nothing tells two callers apart.
            started = asyncio.get_running_loop().time()
            found = await anyio.to_thread.run_sync(self._reader, by, ref, reauthenticate)
            return started, found
        key = (
            ref,
            by.person_id,
            by.session_id,
            by.token_id,
            by.mfa_at,
            by.scopes,
            reauthenticate is not None,
        )
        return await self._derivations.get_dated(key, lambda: self._reader(by, ref, reauthenticate))

    # publishing

    async def publish(
        self, by: Principal, ctx: CallContext, ref: str, *, label: str, body: str
    ) -> Published:
        """Publish ``body`` under ``label`` (banner, portion or canonical JSON)."""
        authorize(by, Act.CHANNEL_PUBLISH, now=self._uow.clock())
        check_body(body)
        info, facts = await self._facts(by, ref, None)
        # Pure work on the facts already read (a few hundred microseconds): no thread.
        payload, envelope, banner = self._prepare(by, info, facts, label, body)
        await self._ensure(info)
        seq = await self.broker.publish(info.id, payload)
        self.ledger.published(info.id, by.actor(), seq, payload)
        return Published(info.id, self.event_ids.of(info.id, seq), envelope.message_id, banner)

    def _prepare(
        self, by: Principal, info: ChannelInfo, facts: ReaderFacts, text: str, body: str
    ) -> tuple[bytes, Envelope, str]:
        now = self._uow.clock()  # the facts may be a moment older: the message is not
        env = facts.context.env
        label = parse_label_text(text, self._policy, now, environment=env)
        nation = facts.originator.nation
        if label.originator is None:
            label = replace(label, originator=facts.originator)
        elif label.originator.nation != nation:
            raise InvalidInput(
                f"the label names an originator of {label.originator.nation}; "
                f"your organisation is of {nation}",
                code="originator_mismatch",
                field="label",
            )
        label = validate_label(label, schemes=self._policy.schemes, groups=env.groups)
        envelope = Envelope(
            channel_id=info.id,
            message_id=str(uuid.uuid4()),
            label_json=label_to_canonical_json(label).decode(),
            body=body,
            publisher_id=by.person_id,
            publisher_name=by.username,
            publisher_org_id=facts.subject.organisation_id,
            published_at=now,
        )
        banner = render_banner(label, schemes=self._policy.schemes)
        draft = OpenMessage(0, "", envelope, label, banner, self._policy.schemes)
        if not facts.may_read(draft):
            raise PermissionDenied(
                "you may not publish a message labelled above what you may read yourself",
                code="label_above_reader",
                field="label",
            )
        return seal(envelope, self._key(info.id)), envelope, banner

    # reading

    async def subscribe(
        self,
        by: Principal,
        ctx: CallContext,
        ref: str,
        *,
        after: str | None = None,
        reauthenticate: Reauthenticate | None = None,
    ) -> AsyncIterator[Item]:
        """The messages of the channel the caller may read, after event id ``after``
        (none: all that is kept): those the broker keeps, then each new one, until the
        caller stops, loses access (checked every ``refresh_seconds``; ``reauthenticate``
        re-checks the credential), or is dropped as lagging (a Notice says so; resume
        from its ``last_id``). An ``after`` this node did not give out for this channel
        is refused (InvalidInput) once the caller may read the channel."""
        authorize(by, Act.CHANNEL_READ)
        derived, (info, facts) = await self._dated_facts(by, ref, reauthenticate)
        start = self.event_ids.seq(info.id, after)
        await self._ensure(info)
        self.ledger.reading(info.id, by.actor(), start)
        return self._stream(info, facts, derived, start, ref, reauthenticate)

    async def _stream(
        self,
        info: ChannelInfo,
        facts: ReaderFacts,
        derived: float,
        after: int,
        ref: str,
        reauthenticate: Reauthenticate | None,
    ) -> AsyncIterator[Item]:
        loop = asyncio.get_running_loop()
        inbox = Inbox(self.queue_size)
        reading = _Reading(self, info, facts, derived, ref, reauthenticate, inbox.nudge)
        hub: Hub | None = None
        last = after
        first, _ = await self.broker.bounds(info.id)
        if after and after + 1 < first:
            # Retention dropped messages after the resume point: say so, never a silent gap.
            ids = self.event_ids
            yield Notice("trimmed", last_id=ids.of(info.id, after), first_id=ids.of(info.id, first))
        try:
            # Catch up from the broker's store at this reader's pace, then join the live
            # fan-out at the point reached (no gap: the hub has not passed it; no
            # duplicate: anything at or before it is skipped).
            while True:
                page = await self.broker.read(info.id, last, self._page)
                for stored in page:
                    if stored.seq <= last:
                        continue
                    last = stored.seq
                    message = self._open_or_none(info.id, stored)
                    if message is not None and await reading.decide(message):
                        yield message.delivery()
                    if reading.ended:
                        return
                if page:
                    continue
                hub = await self._hub(info.id)
                if hub.position <= last:
                    hub.join(inbox)
                    break
            while not reading.ended:
                if inbox.items:
                    message = inbox.items.popleft()
                    if message.seq <= last:
                        continue
                    if message.seq > last + 1:  # the hub moved on before this reader joined
                        for stored in await self.broker.read(info.id, last, message.seq - last - 1):
                            last = stored.seq
                            missed = self._open_or_none(info.id, stored)
                            if missed is not None and await reading.decide(missed):
                                yield missed.delivery()
                    last = message.seq
                    # The hot path (one per reader and message): no coroutine unless
                    # the facts are due for a refresh (which waits only for facts
                    # about to pass the bound, ``_Reading``).
                    if loop.time() >= reading.refresh_due:
                        await reading.refresh()
                        if reading.ended:
                            return
                    if reading.permits(message):
                        yield message.delivery()
                    continue
                if inbox.lagging:
                    reading.lagging = 1
                    yield Notice("lagging", last_id=self.event_ids.of(info.id, last))
                    return
                if inbox.broken:
                    yield Notice("reconnect", last_id=self.event_ids.of(info.id, last))
                    return
                if loop.time() >= reading.refresh_due:
                    await reading.refresh()
                    continue
                # A message, the hub's tick (refreshes when due) or a refresh's end.
                await inbox.wait()
        finally:
            if hub is not None:
                hub.leave(inbox)
            reading.close()

    # the broker

    @property
    def event_ids(self) -> EventIds:
        """The node's event ids: what readers see of a message's place (ADR 0025)."""
        if self._event_ids is None:
            self._event_ids = EventIds(event_id_key(self._secret_key()))
        return self._event_ids

    def _key(self, channel_id: str) -> bytes:
        key = self._keys.get(channel_id)
        if key is None:
            key = self._keys[channel_id] = channel_key(self._secret_key(), channel_id)
        return key

    def _open(self, channel_id: str, stored: Stored) -> OpenMessage:
        """The message in ``stored`` once its authentication passes (TamperedMessage)."""
        envelope = open_sealed(stored.payload, self._key(channel_id), channel_id)
        schemes = self._policy.schemes
        try:
            label = label_from_canonical_json(
                envelope.label_json.encode(), schemes=schemes, check_rules=False
            )
        except InvalidInput as exc:  # sealed by this node, so never; fail closed anyway
            raise TamperedMessage from exc
        banner = render_banner(label, schemes=schemes)
        try:
            portion = render_portion(label)
        except InvalidInput:  # a scheme without a portion form: the banner in brackets
            portion = f"({banner})"
        event_id = self.event_ids.of(channel_id, stored.seq)
        return OpenMessage(stored.seq, event_id, envelope, label, banner, schemes, portion)

    def _open_or_none(self, channel_id: str, stored: Stored) -> OpenMessage | None:
        try:
            return self._open(channel_id, stored)
        except TamperedMessage:
            return None  # the hub counts it for the ledger; a replay only skips it

    async def _ensure(self, info: ChannelInfo) -> None:
        if info.id not in self._opened:
            await self.broker.open(info.id, info.retention)
            self._opened.add(info.id)

    async def _hub(self, channel_id: str) -> Hub:
        """This event loop's hub of the channel, started at the broker's newest id."""
        loop = asyncio.get_running_loop()
        key = (loop, channel_id)
        hub = self._hubs.get(key)
        if hub is not None:
            return hub
        _, newest = await self.broker.bounds(channel_id)
        hub = self._hubs.get(key)
        if hub is None:

            def forget(gone: Hub) -> None:
                if self._hubs.get(key) is gone:
                    del self._hubs[key]

            hub = Hub(
                broker=self.broker,
                channel_id=channel_id,
                position=newest,
                opener=lambda stored: self._open(channel_id, stored),
                on_rejected=lambda: self.ledger.rejected(channel_id),
                on_empty=forget,
                tick=self.refresh_seconds / 2,
            )
            self._hubs[key] = hub
            hub.start()
        return hub


class _Reading:
    """One connection's reader: current facts, refreshes and what it was given.

    Facts are used for at most one and a half refresh periods from the start of their
    derivation (a derivation shared with other connections may be half a period old
    when it is handed over; then a full period between refreshes): the bound within
    which a revoked clearance, an ended membership, a suspended account or a revoked
    credential stops delivery. A refresh is due a period after its facts were derived
    and runs beside the delivery: the reader goes on deciding messages with the facts
    it has while they are inside the bound, and waits for the new ones only when they
    are not (a refresh slower than half a period). So a thousand readers refreshing on
    worker threads never hold up each other's deliveries, and no message is decided
    with facts older than the bound unless a refresh was waited for first.
    """

    def __init__(
        self,
        service: ChannelService,
        info: ChannelInfo,
        facts: ReaderFacts,
        derived: float,
        ref: str,
        reauthenticate: Reauthenticate | None,
        wake: Callable[[], None],
    ) -> None:
        self._service = service
        self._info = info
        self.facts = facts
        self._ref = ref
        self._reauthenticate = reauthenticate
        self._wake = wake
        self._actor = facts.principal.actor()
        period = service.refresh_seconds
        self.expires = derived + period * 1.5
        # The first refresh at a random point of the first period (never later than a
        # full one after the facts' derivation): a thousand readers who subscribed
        # together refresh spread over the period rather than all at once; each
        # refreshes a full period after its facts afterwards.
        spread = random.random()  # noqa: S311 (when to refresh, not a secret)
        started = asyncio.get_running_loop().time()
        self.refresh_due = min(started + period * (1.0 - spread), derived + period)
        self._pending: asyncio.Task[None] | None = None
        self._failure: Exception | None = None
        self.ended = False
        self.delivered = 0
        self.withheld = 0
        self.lagging = 0

    async def decide(self, message: OpenMessage) -> bool:
        """Whether this reader may read ``message`` now (refreshing facts when due)."""
        if asyncio.get_running_loop().time() >= self.refresh_due:
            await self.refresh()
        return not self.ended and self.permits(message)

    def permits(self, message: OpenMessage) -> bool:
        """Whether the current facts let this reader read ``message`` (counted)."""
        if self.facts.may_read(message):
            self.delivered += 1
            return True
        self.withheld += 1
        return False

    async def refresh(self) -> None:
        """Start a refresh when none runs; wait for it when the facts in hand have
        reached the bound. A reader who lost access (membership, account, credential)
        ends; any other failure of a refresh is raised here."""
        if self._failure is not None:
            raise self._failure
        loop = asyncio.get_running_loop()
        pending = self._pending
        if pending is None:
            self.report()
            pending = self._pending = loop.create_task(self._derive())
            self.refresh_due = self.expires  # come back then, if it has not ended
        if loop.time() >= self.expires:
            await asyncio.shield(pending)
            if self._failure is not None:
                raise self._failure

    async def _derive(self) -> None:
        service = self._service
        try:
            derived, (_, facts) = await service._dated_facts(
                self.facts.principal, self._info.id, self._reauthenticate
            )
        except (NotFound, AuthenticationFailed, PermissionDenied):
            self.ended = True
        except Exception as exc:  # a failed read: the stream fails, as it would inline
            self._failure = exc
            self.refresh_due = float("-inf")
        else:
            self.facts = facts
            period = service.refresh_seconds
            self.expires = derived + period * 1.5
            self.refresh_due = derived + period
        finally:
            self._pending = None
            self._wake()

    def close(self) -> None:
        """The connection ended: a refresh under way is abandoned, the counts reported."""
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None
        self.report()

    def report(self) -> None:
        """Hand the counts so far to the ledger's batch."""
        self._service.ledger.count(
            self._info.id,
            self._actor,
            delivered=self.delivered,
            withheld=self.withheld,
            lagging=self.lagging,
        )
        self.delivered = self.withheld = self.lagging = 0
