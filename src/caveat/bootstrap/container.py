"""Wiring: the one place that turns settings into concrete adapters and services."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from caveat.adapters.blobstore import BlobStore, LocalBlobStore
from caveat.adapters.blobstore.s3 import S3BlobStore
from caveat.adapters.db import engine as engines
from caveat.adapters.db import schema
from caveat.adapters.db.engine import make_session_factory
from caveat.adapters.documents import PdfReports, ProficiencyReports
from caveat.adapters.federation_transport import HttpPeerTransport
from caveat.adapters.files import make_private_dir
from caveat.adapters.kek import LocalKekFile
from caveat.adapters.keys import LocalKeyFiles
from caveat.adapters.mail import SmtpMailer
from caveat.adapters.proficiency_plots import SvgPlots
from caveat.adapters.taxii_source import TaxiiSource
from caveat.bootstrap.settings import HashProfile, Settings, SmtpSecurity
from caveat.domain.credentials import PRODUCTION_COST, TEST_COST, PasswordHashing
from caveat.domain.errors import InvalidInput
from caveat.domain.identity import (
    OrganisationKind,
    Role,
    validate_email,
    validate_username,
)
from caveat.domain.labels import FALLBACK_SCHEME, aggregate_marking
from caveat.domain.nations import require_nation
from caveat.domain.policy import DualNationalRule, PolicyConfig
from caveat.domain.throttle import ThrottlePolicy
from caveat.services import demo as demo
from caveat.services.artifacts import (
    ArtifactAdmin,
    ArtifactSearch,
    ArtifactService,
    ArtifactTables,
)
from caveat.services.channels import ChannelLedger, ChannelService
from caveat.services.compliance import (
    AgreementService,
    AuthorizationService,
    DbAgreements,
    DbAuthorizations,
    DbEmbargoes,
    DbScreening,
    EmbargoService,
    ReleaseService,
    ScreeningService,
)
from caveat.services.discussions import DiscussionService
from caveat.services.federation import (
    FederationService,
    PeerReleases,
    PeerRequests,
    PeerSync,
    ReceivedItems,
    ReleaseProofs,
    ReReleaseLimits,
)
from caveat.services.identity import (
    AuthService,
    ConductAlert,
    NewAccount,
    PeopleService,
    RegistryService,
    SessionPolicy,
    TokenService,
)
from caveat.services.intel import SubscriptionService, TaxiiService
from caveat.services.kernel.periodic import PeriodicWorker
from caveat.services.kernel.ports import ChannelBroker
from caveat.services.kernel.principal import ConsoleOperator
from caveat.services.kernel.uow import CallContext, Clock, UnitOfWork, UnitOfWorkFactory
from caveat.services.ledger import (
    AuditService,
    BundleExporter,
    CheckpointSchedule,
    HttpWitnessTransport,
    LedgerService,
    LedgerVerifier,
    LedgerWorker,
    MonitoringService,
    MonitorRules,
    WitnessService,
    origin_for,
)
from caveat.services.node import (
    NodeIdentity,
    create_identity,
    load_identity,
    new_node_id,
    public_key_b64,
    record_operating_organisation,
)
from caveat.services.notifications import (
    MAIL_QUEUED,
    MailDelivery,
    NotificationService,
    queue_mail,
)
from caveat.services.plans import PlanReminders, PlanService
from caveat.services.policy import (
    AccessEffects,
    CatalogueService,
    GrantService,
    HoldingsService,
    PolicyService,
)
from caveat.services.proficiency import ProficiencyService
from caveat.services.programmes import ProgrammeRecords, ProgrammeService
from caveat.services.projects import ProjectService
from caveat.services.work import WorkService


def utc_now() -> datetime:
    """The wall clock, in UTC."""
    return datetime.now(UTC)


@dataclass
class Node:
    """A running node: its identity, database and services."""

    settings: Settings
    engine: Engine
    identity: NodeIdentity
    keys: LocalKeyFiles
    uow: UnitOfWorkFactory
    registry: RegistryService
    people: PeopleService
    auth: AuthService
    tokens: TokenService
    ledger: LedgerService
    witnesses: WitnessService
    ledger_verifier: LedgerVerifier
    bundles: BundleExporter
    audit: AuditService
    monitoring: MonitoringService
    ledger_worker: LedgerWorker
    projects: ProjectService
    policy: PolicyService
    catalogue: CatalogueService
    artifacts: ArtifactService
    artifact_search: ArtifactSearch
    artifact_tables: ArtifactTables
    artifact_admin: ArtifactAdmin
    agreements: AgreementService
    authorizations: AuthorizationService
    screening: ScreeningService
    embargoes: EmbargoService
    federation: FederationService
    federation_sync: PeerSync
    federation_releases: PeerReleases
    federation_proofs: ReleaseProofs
    federation_received: ReceivedItems  # what peers released here, with its proof status
    federation_worker: PeriodicWorker
    programmes: ProgrammeService
    programme_records: ProgrammeRecords
    holdings: HoldingsService
    releases: ReleaseService
    grants: GrantService
    effects: AccessEffects
    taxii: TaxiiService
    taxii_subscriptions: SubscriptionService
    taxii_worker: PeriodicWorker
    proficiency: ProficiencyService
    discussions: DiscussionService
    plans: PlanService
    plan_reminder_worker: PeriodicWorker
    channels: ChannelService
    channel_worker: PeriodicWorker
    notifications: NotificationService
    mail: MailDelivery
    mail_worker: PeriodicWorker

    @property
    def work(self) -> WorkService:
        """The work queue: it keeps no state, only asks the services that own the work."""
        return WorkService(
            uow=self.uow,
            releases=self.releases,
            screening=self.screening,
            programmes=self.programmes,
            agreements=self.agreements,
            authorizations=self.authorizations,
            plans=self.plans,
            people=self.people,
            re_releases=self.federation_releases.re_releases,
        )

    def close(self) -> None:
        """Release database connections (channel activity still counted is recorded)."""
        self.ledger_worker.stop()
        self.federation_worker.stop()
        self.channel_worker.stop()
        self.taxii_worker.stop()
        self.plan_reminder_worker.stop()
        self.mail_worker.stop()
        try:
            self.channels.ledger.flush()
        finally:
            self.engine.dispose()


def _hashing(settings: Settings) -> PasswordHashing:
    return PasswordHashing(
        TEST_COST if settings.hash_profile is HashProfile.TEST else PRODUCTION_COST,
        at_once=os.cpu_count() or 1,  # CPU-bound: one per core is all the throughput
    )


def _conduct_alert(monitoring: MonitoringService) -> ConductAlert:
    """A conduct alert raised in the caller's unit of work (so the change and its alert
    commit together): operators' changes of people, the console's read-ons."""

    def raise_in(
        uow: UnitOfWork,
        rule: str,
        subject_id: str | None,
        subject_name: str | None,
        summary: str,
        data: dict[str, Any],
    ) -> None:
        monitoring.raise_within(
            uow,
            rule=rule,
            severity="medium",
            subject_id=subject_id,
            subject_name=subject_name,
            summary=summary,
            data=data,
        )

    return raise_in


def _build(
    settings: Settings,
    engine: Engine,
    identity: NodeIdentity,
    clock: Clock,
    hashing: PasswordHashing | None = None,
    *,
    uow: UnitOfWorkFactory | None = None,
) -> Node:
    keys = LocalKeyFiles(settings.data_dir / "keys")
    uow = uow or UnitOfWorkFactory(
        sessions=make_session_factory(engine),
        read_sessions=make_session_factory(engine, read_only=True),
        node_id=identity.id,
        clock=clock,
    )
    hashing = hashing or _hashing(settings)
    secret_key: Callable[[], bytes] = keys.secret_key
    throttle = ThrottlePolicy(
        threshold=settings.lockout_threshold,
        base_wait=timedelta(seconds=settings.lockout_base_seconds),
        max_wait=timedelta(seconds=settings.lockout_max_seconds),
        hard_lock_after=settings.hard_lock_after,
        address_threshold=settings.address_threshold,
    )
    sessions = SessionPolicy(
        idle=timedelta(minutes=settings.session_idle_minutes),
        absolute=timedelta(hours=settings.session_absolute_hours),
    )
    issuer = f"Caveat {identity.name}"
    registry = RegistryService(uow=uow)
    policy = PolicyService(
        uow=uow,
        registry=registry,
        config=_policy_config(settings),
        # Requirements 6-9 read the recorded agreements, authorizations, hits, embargoes.
        agreements=DbAgreements(uow=uow),
        authorizations=DbAuthorizations(uow=uow),
        screening=DbScreening(uow=uow),
        embargoes=DbEmbargoes(uow=uow),
    )
    screening = ScreeningService(uow=uow)
    registry.on_subject_saved = screening.screen_in
    ledger = _ledger(settings, engine, identity, keys, clock)
    monitoring = MonitoringService(uow=uow, rules=_monitor_rules(settings))
    worker = LedgerWorker(
        ledger=ledger, monitoring=monitoring, period=settings.ledger_worker_seconds
    )
    # A commit that wrote events wakes the ledger worker (if one runs in this process).
    event.listen(uow.sessions, "after_commit", lambda _session: worker.nudge())
    catalogue = CatalogueService(uow=uow, policy=policy)
    artifacts, artifact_search, artifact_admin = _artifacts(
        settings, uow, policy, catalogue, keys, clock
    )
    people = PeopleService(uow=uow, hashing=hashing, secret_key=secret_key, issuer=issuer)
    people.on_subject_saved = screening.screen_in
    people.conduct_alert = _conduct_alert(monitoring)
    witnesses = WitnessService(
        uow=uow,
        ledger=ledger,
        monitoring=monitoring,
        transport=HttpWitnessTransport(
            timeout=settings.witness_timeout_seconds, ca_bundle=settings.federation_ca_bundle
        ),
        clock=clock,
    )
    peers_transport = HttpPeerTransport(
        timeout=settings.federation_timeout_seconds, ca_bundle=settings.federation_ca_bundle
    )
    federation = FederationService(
        uow=uow,
        keys=keys,
        requests=PeerRequests(uow=uow, monitoring=monitoring),
        transport=peers_transport,
        policy=policy,
        ledger=ledger,
        witnesses=witnesses,
    )
    releases = PeerReleases(
        uow=uow,
        keys=keys,
        policy=policy,
        artifacts=artifacts,
        transport=peers_transport,
        monitoring=monitoring,
    )
    # How many re-release requests one peer may have pending, and send in an hour.
    releases.re_releases.limits = ReReleaseLimits(
        pending=settings.federation_re_release_pending_max,
        per_hour=settings.federation_re_release_per_hour,
    )
    agreements = AgreementService(uow=uow, registry=registry, policy=policy)
    # An agreement taken out of force recalls, in that transaction, what it covered.
    agreements.when_ended(releases.recalls.recall_uncovered)
    proofs = ReleaseProofs(
        uow=uow, keys=keys, ledger=ledger, transport=peers_transport, monitoring=monitoring
    )
    sync = PeerSync(
        uow=uow,
        federation=federation,
        releases=releases,
        witnesses=witnesses,
        monitoring=monitoring,
        period=timedelta(seconds=settings.federation_sync_seconds or 60),
        proofs=proofs,
    )
    channels = ChannelService(
        uow=uow,
        policy=policy,
        broker=channel_broker(settings, clock),
        secret_key=secret_key,
        ledger=ChannelLedger(uow=uow),
        refresh_seconds=settings.channel_refresh_seconds,
        queue_size=settings.channel_queue_size,
    )
    reminders = PlanReminders(uow=uow, policy=policy)
    mail, mail_worker = _mail(settings, uow, identity)
    subscriptions = SubscriptionService(
        uow=uow,
        policy=policy,
        catalogue=catalogue,
        source=TaxiiSource(
            timeout=settings.taxii_timeout_seconds,
            max_bytes=settings.taxii_max_response_bytes,
            ca_bundle=settings.federation_ca_bundle,
            unsafe_local=settings.taxii_unsafe_local_endpoints,
        ),
        secret_key=secret_key,
        unsafe_local=settings.taxii_unsafe_local_endpoints,
    )
    node = Node(
        settings=settings,
        engine=engine,
        identity=identity,
        keys=keys,
        uow=uow,
        registry=registry,
        people=people,
        auth=AuthService(
            uow=uow,
            hashing=hashing,
            secret_key=secret_key,
            issuer=issuer,
            throttle=throttle,
            sessions=sessions,
        ),
        tokens=TokenService(uow=uow),
        ledger=ledger,
        witnesses=witnesses,
        ledger_verifier=LedgerVerifier(
            engine=engine, origin=ledger.origin, log_verifier=ledger.verifier, clock=clock
        ),
        bundles=BundleExporter(engine=engine, uow=uow, ledger=ledger),
        audit=AuditService(uow=uow, policy=policy),
        monitoring=monitoring,
        ledger_worker=worker,
        projects=ProjectService(uow=uow),
        policy=policy,
        catalogue=catalogue,
        artifacts=artifacts,
        artifact_search=artifact_search,
        artifact_tables=ArtifactTables(uow=uow, policy=policy),
        artifact_admin=artifact_admin,
        agreements=agreements,
        authorizations=AuthorizationService(uow=uow),
        screening=screening,
        embargoes=EmbargoService(uow=uow),
        federation=federation,
        federation_sync=sync,
        federation_releases=releases,
        federation_proofs=proofs,
        federation_received=ReceivedItems(uow=uow, releases=releases),
        federation_worker=PeriodicWorker(
            name="federation-sync",
            period=settings.federation_sync_seconds,
            run_once=lambda: sync.run_due(CallContext(request_id="federation-sync")),
        ),
        programmes=ProgrammeService(uow=uow),
        programme_records=ProgrammeRecords(uow=uow),
        holdings=HoldingsService(uow=uow, policy=policy),
        releases=ReleaseService(
            uow=uow,
            catalogue=catalogue,
            policy=policy,
            signing_key=keys.signing_key,
            reports=PdfReports(),
        ),
        grants=GrantService(uow=uow, policy=policy, conduct_alert=_conduct_alert(monitoring)),
        effects=AccessEffects(uow=uow, policy=policy),
        taxii=TaxiiService(uow=uow, policy=policy, catalogue=catalogue),
        taxii_subscriptions=subscriptions,
        taxii_worker=PeriodicWorker(
            name="taxii-poller",
            period=settings.taxii_poll_seconds,
            run_once=lambda: subscriptions.run_due(CallContext(request_id="taxii-poller")),
        ),
        proficiency=ProficiencyService(
            uow=uow,
            policy=policy,
            catalogue=catalogue,
            plots=SvgPlots(),
            reports=ProficiencyReports(),
        ),
        discussions=DiscussionService(uow=uow, policy=policy),
        plans=PlanService(uow=uow, policy=policy),
        plan_reminder_worker=PeriodicWorker(
            name="plan-reminders",
            period=settings.plan_reminder_seconds,
            run_once=lambda: reminders.run_due(CallContext(request_id="plan-reminders")),
        ),
        channels=channels,
        channel_worker=PeriodicWorker(
            name="channel-ledger",
            period=settings.channel_ledger_seconds,
            run_once=channels.ledger.flush,
        ),
        notifications=NotificationService(uow=uow, mails=mail.enabled),
        mail=mail,
        mail_worker=mail_worker,
    )
    mail.marking = lambda: _floor_marking(node)
    return node


def mailer(settings: Settings) -> SmtpMailer | None:
    """The SMTP server notifications are mailed through, or None when none is set
    (the embedded default). A half-made configuration is refused at start, in words
    that never hold the password."""
    if not settings.mail_enabled:
        return None
    assert settings.smtp_host is not None
    missing = [
        name
        for name, value in (
            ("CAVEAT_SMTP_FROM", settings.smtp_from),
            ("CAVEAT_MAIL_BASE_URL", settings.mail_base_url),
        )
        if not value
    ]
    if missing:
        raise InvalidInput(
            f"mail is configured (CAVEAT_SMTP_HOST) without {' and '.join(missing)}",
            code="mail_misconfigured",
        )
    sender = validate_email(settings.smtp_from or "")
    base = settings.mail_base_url or ""
    if not base.startswith(("https://", "http://")):
        raise InvalidInput(
            "CAVEAT_MAIL_BASE_URL must be the node's web address (https://...)",
            code="mail_misconfigured",
        )
    try:
        password = settings.resolved_smtp_password()
    except OSError:
        raise InvalidInput(
            "the SMTP password file cannot be read",
            code="mail_misconfigured",
            hint="check CAVEAT_SMTP_PASSWORD_FILE and its permissions",
        ) from None
    if password is not None and not settings.smtp_username:
        raise InvalidInput(
            "an SMTP password is set without CAVEAT_SMTP_USERNAME", code="mail_misconfigured"
        )
    if settings.smtp_username and settings.smtp_security is SmtpSecurity.NONE:
        # A login in the clear would hand the password to anyone on the path.
        raise InvalidInput(
            "an SMTP login needs TLS: CAVEAT_SMTP_SECURITY=none is for a local relay without one",
            code="mail_misconfigured",
        )
    return SmtpMailer(
        host=settings.smtp_host,
        port=settings.smtp_port,
        security=settings.smtp_security.value,
        sender=sender,
        username=settings.smtp_username,
        password=password,
        ca_bundle=settings.smtp_ca_bundle,
        timeout=settings.smtp_timeout_seconds,
    )


def _mail(
    settings: Settings, uow: UnitOfWorkFactory, identity: NodeIdentity
) -> tuple[MailDelivery, PeriodicWorker]:
    """Mail of notifications and its worker: each notification queues its mail in its
    own transaction, and a commit that queued one wakes the worker (ADR 0030)."""
    smtp = mailer(settings)
    delivery = MailDelivery(
        uow=uow,
        mailer=smtp,
        node_name=identity.name,
        base_url=settings.mail_base_url or "",
        marking=lambda: "UNCLASSIFIED",  # replaced by the node's own floor once it is built
        max_attempts=settings.mail_max_attempts,
        retry_first=timedelta(seconds=settings.mail_retry_seconds),
        server=f"{smtp.host}:{smtp.port} ({smtp.security})" if smtp else None,
    )
    worker = PeriodicWorker(
        name="mail",
        period=settings.mail_worker_seconds if smtp else 0,
        run_once=lambda: delivery.run_due(CallContext(request_id="mail")),
    )
    if smtp is not None:
        event.listen(uow.sessions, "after_flush", queue_mail)

        def wake(session: Session) -> None:
            if session.info.pop(MAIL_QUEUED, False):
                worker.nudge()

        event.listen(uow.sessions, "after_commit", wake)
    return delivery, worker


def _floor_marking(node: Node) -> str:
    """The lowest level of the node's own scheme, as the pages nobody has signed in to
    are marked (``bootstrap.marking.node_scheme``: CAVEAT_NODE_NATION, else the nation
    of the node operators' organisation, else NATO's): the marking of every mail, which
    holds no labelled content."""
    env = node.policy.environment()
    nation = node.settings.node_nation
    if nation is None:
        operators = {
            p.organisation_nation
            for p in node.people.list_people()
            if Role.NODE_OPERATOR in p.roles
        }
        nation = operators.pop() if len(operators) == 1 else None
    return aggregate_marking(
        [],
        scheme=env.scheme_by_nation.get(nation or "", FALLBACK_SCHEME),
        groups=env.groups,
        on=node.uow.clock().date(),
        schemes=node.policy.schemes,
    ).text


def channel_broker(settings: Settings, clock: Clock) -> ChannelBroker:
    """NATS JetStream when a server is configured, else the in-process broker."""
    if settings.channel_nats_url:
        from caveat.adapters.channels.nats import NatsBroker

        return NatsBroker(
            servers=[u.strip() for u in settings.channel_nats_url.split(",") if u.strip()],
            replicas=settings.channel_nats_replicas,
        )
    from caveat.adapters.channels.memory import MemoryBroker

    return MemoryBroker(clock=clock)


def _policy_config(settings: Settings) -> PolicyConfig:
    rule = None
    if settings.policy_dual_national_max_level is not None:
        orgs = settings.policy_dual_national_organisations
        rule = DualNationalRule(
            max_common_level=settings.policy_dual_national_max_level,
            organisations=frozenset(orgs) if orgs else None,
        )
    return PolicyConfig(dual_national=rule)


def _ledger(
    settings: Settings, engine: Engine, identity: NodeIdentity, keys: LocalKeyFiles, clock: Clock
) -> LedgerService:
    return LedgerService(
        engine=engine,
        clock=clock,
        origin=settings.ledger_origin or origin_for(identity.name),
        signing_key=keys.signing_key,
        batch_size=settings.ledger_batch_size,
        schedule=CheckpointSchedule(
            every_entries=settings.checkpoint_every_entries,
            every_seconds=settings.checkpoint_every_seconds,
        ),
    )


def blob_store(settings: Settings) -> BlobStore:
    """The configured blob store: local files under the data directory, or S3."""
    if settings.blob_store == "s3":
        if not settings.s3_bucket:
            raise InvalidInput("CAVEAT_S3_BUCKET is required with CAVEAT_BLOB_STORE=s3")
        return S3BlobStore.connect(
            bucket=settings.s3_bucket,
            endpoint_url=settings.s3_endpoint,
            region=settings.s3_region,
            prefix=settings.s3_prefix,
        )
    if settings.blob_store != "local":
        raise InvalidInput(f"unknown blob store {settings.blob_store!r}", hint="local or s3")
    return LocalBlobStore(settings.blob_dir or settings.data_dir / "blobs")


def _artifacts(
    settings: Settings,
    uow: UnitOfWorkFactory,
    policy: PolicyService,
    catalogue: CatalogueService,
    keys: LocalKeyFiles,
    clock: Clock,
) -> tuple[ArtifactService, ArtifactSearch, ArtifactAdmin]:
    blobs = blob_store(settings)
    kek = LocalKekFile(keys.directory)
    artifacts = ArtifactService(
        uow=uow,
        policy=policy,
        catalogue=catalogue,
        blobs=blobs,
        kek=kek,
        signing_key=keys.signing_key,
        max_bytes=settings.artifact_max_bytes,
        upload_ttl=timedelta(hours=settings.upload_expiry_hours),
    )
    admin = ArtifactAdmin(uow=uow, artifacts=artifacts, blobs=blobs, kek=kek, clock=clock)
    search = ArtifactSearch(uow=uow, policy=policy, secret_key=keys.secret_key)
    return artifacts, search, admin


def _monitor_rules(settings: Settings) -> MonitorRules:
    return MonitorRules(
        failure_threshold=settings.monitor_failure_threshold,
        failure_window=timedelta(minutes=settings.monitor_failure_window_minutes),
        bulk_types=frozenset(settings.monitor_bulk_types),
        bulk_threshold=settings.monitor_bulk_threshold,
        bulk_window=timedelta(minutes=settings.monitor_bulk_window_minutes),
        work_hours=settings.monitor_work_hours,
    )


def open_node(
    settings: Settings, *, clock: Clock = utc_now, hashing: PasswordHashing | None = None
) -> Node:
    """Open an initialised node; refuses a database whose schema is not this code's."""
    # `engines.make_engine`, looked up when called: a test process shares one engine per
    # database (tests/support.py, share_engines).
    engine = engines.make_engine(
        settings.resolved_database_url(), request_threads=settings.request_threads
    )
    try:
        schema.require_current(engine)
        with make_session_factory(engine, read_only=True)() as session:
            identity = load_identity(session)
        node = _build(settings, engine, identity, clock, hashing)
        node.keys.secret_key()  # fail at start, not at the first login, if keys are missing
        return node
    except Exception:
        engine.dispose()
        raise


@dataclass(frozen=True, slots=True)
class FirstOperator:
    """Who runs the node: created by ``caveat init``."""

    username: str
    display_name: str
    email: str
    organisation: str
    nation: str
    organisation_kind: OrganisationKind = OrganisationKind.GOVERNMENT_LABORATORY


def init_node(
    settings: Settings,
    operator: FirstOperator,
    *,
    clock: Clock = utc_now,
    hashing: PasswordHashing | None = None,
) -> tuple[Node, NewAccount]:
    """Create keys, migrate, and create the node, its organisation and first operator."""
    validate_username(operator.username)
    validate_email(operator.email)
    require_nation(operator.nation)
    if not settings.node_name.strip():
        raise InvalidInput("the node needs a name", code="invalid_name", field="node_name")
    make_private_dir(settings.data_dir)
    keys = LocalKeyFiles(settings.data_dir / "keys")
    keys.create()
    engine = engines.make_engine(
        settings.resolved_database_url(), request_threads=settings.request_threads
    )
    try:
        schema.upgrade(engine)
        uow = UnitOfWorkFactory(
            sessions=make_session_factory(engine),
            read_sessions=make_session_factory(engine, read_only=True),
            node_id=new_node_id(),
            clock=clock,
        )
        ctx = CallContext.cli()
        public_key = keys.signing_key().public_key()
        planned = NodeIdentity(uow.node_id, settings.node_name, public_key_b64(public_key))
        node = _build(settings, engine, planned, clock, hashing, uow=uow)
        # One transaction: a node is never left with an identity but no operator.
        with uow.transaction(ctx) as unit:
            create_identity(unit, name=settings.node_name, public_key=public_key)
            console = ConsoleOperator()
            org = node.registry.create_organisation(
                console,
                ctx,
                name=operator.organisation,
                nation=operator.nation,
                kind=operator.organisation_kind,
            )
            account = node.people.create_person(
                console,
                ctx,
                username=operator.username,
                display_name=operator.display_name,
                email=operator.email,
                organisation=org.id,
                citizenships=[operator.nation],
                roles=[Role.NODE_OPERATOR, Role.SECURITY_OFFICER],
            )
            record_operating_organisation(unit, console.actor(), org.id)
    except Exception:
        engine.dispose()
        raise
    return node, account


def seed_demo(node: Node) -> dict[str, NewAccount]:
    """The demo scenario (``services/demo.py``) on ``node``, through its services and
    on its clock, with the demo's files uploaded; the people's accounts by username."""
    from caveat.bootstrap import demo_content

    accounts = demo.seed(
        node.registry,
        node.people,
        node.projects,
        node.catalogue,
        node.grants,
        node.programmes,
        node.agreements,
        node.authorizations,
        node.screening,
        node.releases,
        clock=node.uow.clock,
    )
    demo.seed_content(node.artifacts, node.people, demo_content.files(), clock=node.uow.clock)
    demo.seed_proficiency(
        node.proficiency,
        node.projects,
        node.people,
        results_csv=demo_content.proficiency_results_csv(),
        clock=node.uow.clock,
    )
    demo.seed_discussions(node.discussions, node.people, clock=node.uow.clock)
    demo.seed_plans(node.plans, node.projects, node.people, clock=node.uow.clock)
    demo.seed_channels(node.channels)
    demo.seed_conduct(node.auth)
    return accounts
