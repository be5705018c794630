"""Wiring: the one place that turns settings into concrete adapters and services."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from caveat.adapters.db import schema
from caveat.adapters.db.engine import make_engine, make_session_factory
from caveat.adapters.keys import LocalKeyFiles
from caveat.bootstrap.settings import HashProfile, Settings
from caveat.domain.credentials import PRODUCTION_COST, TEST_COST, PasswordHashing
from caveat.domain.errors import InvalidInput
from caveat.domain.identity import (
    OrganisationKind,
    Role,
    validate_email,
    validate_username,
)
from caveat.domain.nations import require_nation
from caveat.domain.throttle import ThrottlePolicy
from caveat.services.auth import AuthService, SessionPolicy
from caveat.services.node import NodeIdentity, create_identity, load_identity, new_node_id
from caveat.services.people import NewAccount, PeopleService
from caveat.services.principal import ConsoleOperator
from caveat.services.registry import RegistryService
from caveat.services.tokens import TokenService
from caveat.services.uow import CallContext, Clock, UnitOfWorkFactory


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

    def close(self) -> None:
        """Release database connections."""
        self.engine.dispose()


def _hashing(settings: Settings) -> PasswordHashing:
    return PasswordHashing(
        TEST_COST if settings.hash_profile is HashProfile.TEST else PRODUCTION_COST
    )


def _build(
    settings: Settings,
    engine: Engine,
    identity: NodeIdentity,
    clock: Clock,
    hashing: PasswordHashing | None = None,
) -> Node:
    keys = LocalKeyFiles(settings.data_dir / "keys")
    uow = UnitOfWorkFactory(
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
    return Node(
        settings=settings,
        engine=engine,
        identity=identity,
        keys=keys,
        uow=uow,
        registry=RegistryService(uow=uow),
        people=PeopleService(uow=uow, hashing=hashing, secret_key=secret_key, issuer=issuer),
        auth=AuthService(
            uow=uow,
            hashing=hashing,
            secret_key=secret_key,
            issuer=issuer,
            throttle=throttle,
            sessions=sessions,
        ),
        tokens=TokenService(uow=uow),
    )


def open_node(
    settings: Settings, *, clock: Clock = utc_now, hashing: PasswordHashing | None = None
) -> Node:
    """Open an initialised node; refuses a database whose schema is not this code's."""
    engine = make_engine(settings.resolved_database_url())
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
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    keys = LocalKeyFiles(settings.data_dir / "keys")
    keys.create()
    engine = make_engine(settings.resolved_database_url())
    try:
        schema.upgrade(engine)
        uow = UnitOfWorkFactory(
            sessions=make_session_factory(engine),
            read_sessions=make_session_factory(engine, read_only=True),
            node_id=new_node_id(),
            clock=clock,
        )
        ctx = CallContext.cli()
        with uow(ctx) as unit:
            identity = create_identity(
                unit, name=settings.node_name, public_key=keys.signing_key().public_key()
            )
        node = _build(settings, engine, identity, clock, hashing)
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
    except Exception:
        engine.dispose()
        raise
    return node, account
