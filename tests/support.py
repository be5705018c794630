"""Test helpers: a hand-driven clock and scenario factories that go through services."""

from __future__ import annotations

import atexit
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path

from caveat.bootstrap.container import FirstOperator, Node
from caveat.domain.credentials import totp_code
from caveat.domain.identity import Clearance, CommonLevel, OrganisationKind, Role
from caveat.services.identity._auth import IssuedSession
from caveat.services.identity._people import NewAccount
from caveat.services.kernel.principal import ConsoleOperator
from caveat.services.kernel.uow import CallContext

PASSWORD = "violet-harbour-lantern-42"


FIRST_OPERATOR = FirstOperator(
    username="operator",
    display_name="Olive Operator",
    email="olive@dstl.example",
    # The CLI's demo names its operators' organisation the same way; the demo's own
    # laboratories (DSTL among them) must not clash with it.
    organisation="Caveat Node Operations (GBR)",
    nation="GBR",
)


class FakeClock:
    """Returns a time the test sets; ``advance`` moves it forward."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@dataclass
class Scenario:
    """A node with one organisation per nation used in tests."""

    node: Node
    clock: FakeClock
    accounts: dict[str, NewAccount] = field(default_factory=dict)

    def org(self, name: str = "Air Force Research Laboratory", nation: str = "USA") -> str:
        existing = {o.name: o.id for o in self.node.registry.list_organisations()}
        if name in existing:
            return existing[name]
        return self.node.registry.create_organisation(
            ConsoleOperator(),
            CallContext.cli(),
            name=name,
            nation=nation,
            kind=OrganisationKind.GOVERNMENT_LABORATORY,
        ).id

    def person(
        self,
        username: str = "alice",
        *,
        nations: tuple[str, ...] = ("USA",),
        roles: tuple[Role, ...] = (Role.RESEARCHER,),
        password: str | None = PASSWORD,
        org: str | None = None,
    ) -> NewAccount:
        account = self.node.people.create_person(
            ConsoleOperator(),
            CallContext.cli(),
            username=username,
            display_name=username.title(),
            email=f"{username}@example.org",
            organisation=org or self.org(),
            citizenships=list(nations),
            roles=list(roles),
            clearance=Clearance(CommonLevel.SECRET, "SECRET", nations[0], date(2030, 1, 1)),
            password=password,
        )
        self.accounts[username] = account
        return account

    def code(self, account: NewAccount) -> str:
        """The TOTP code the person's phone shows now."""
        self.accounts[account.person.username] = account
        return totp_code(account.mfa.totp_secret, self.clock())

    def code_for(self, username: str) -> str:
        """A fresh code (one step later) for a person seen before."""
        self.clock.advance(seconds=30)
        return self.code(self.accounts[username])

    def login(
        self, account: NewAccount, *, password: str = PASSWORD, ctx: CallContext | None = None
    ) -> IssuedSession:
        """Sign in with a fresh TOTP step (moves the clock one step on)."""
        self.clock.advance(seconds=30)
        return self.node.auth.login(
            ctx or CallContext("test", "10.0.0.1"),
            username=account.person.username,
            password=password,
            otp=self.code(account),
        )


PR_SET_PDEATHSIG = 1  # linux/prctl.h


def die_with_parent() -> None:
    """``preexec_fn`` for a server a test starts: the kernel sends it SIGTERM when the
    test process dies, also when that is killed outright and no ``finally`` runs (a
    mutation run's timeout left partner nodes serving for an hour)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def caveat_env() -> dict[str, str]:
    """This environment without CAVEAT_* settings, hashing at the test cost: what a
    `caveat` subprocess of a test runs under (its own data directory and database)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAVEAT_")}
    env["CAVEAT_HASH_PROFILE"] = "test"
    return env


def caveat_cli(data_dir: Path, *args: str) -> str:
    """Run `caveat --data-dir DIR ARGS` in a subprocess; its standard output (it must
    succeed)."""
    done = subprocess.run(
        [sys.executable, "-m", "caveat", "--data-dir", str(data_dir), *args],
        env=caveat_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr + done.stdout
    return done.stdout


def free_port() -> int:
    """A TCP port nothing listens on now (on 127.0.0.1)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@cache
def _migrated_template() -> Path:
    """An empty SQLite database at the head migration, made once per test process."""
    from caveat.adapters.db import schema
    from caveat.adapters.db.engine import make_engine

    folder = Path(tempfile.mkdtemp(prefix="caveat-schema-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    template = folder / "head.db"
    engine = make_engine(f"sqlite:///{template}")
    schema.upgrade(engine)
    engine.dispose()  # the last connection closes: its write-ahead log is merged and gone
    assert not template.with_name("head.db-wal").exists()
    return template


def migrated_sqlite(path: Path) -> str:
    """The URL of a new SQLite database at ``path`` already at the head migration: a
    copy of one migrated database, since running the migrations for each extra node a
    test makes cost a third of a second each (tests/adapters/test_database.py runs them
    from empty)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(_migrated_template(), path)
    return f"sqlite:///{path}"


def share_engines(keep: int = 16) -> None:
    """Make ``caveat.adapters.db.engine.make_engine`` hand out one engine per database
    (and pool size) for the whole test process, the last ``keep`` of them.

    Each test's node would otherwise make its own engine on the session's database and
    compile every statement again (SQLAlchemy caches compiled SQL per engine): about a
    sixth of a database test's CPU. The engines are real and unchanged; a node still
    disposes its engine when closed, which closes its pooled connections (an engine
    stays usable after ``dispose``). An engine pushed out of the cache is not disposed: a
    node may still hold it."""
    from collections import OrderedDict

    from sqlalchemy import Engine

    from caveat.adapters.db import engine as engines

    make_new = engines.make_engine
    made: OrderedDict[tuple[str, bool, int], Engine] = OrderedDict()

    def make_engine(url: str, *, echo: bool = False, request_threads: int = 20) -> Engine:
        key = (str(url), echo, request_threads)
        engine = made.get(key)
        if engine is None:
            engine = make_new(url, echo=echo, request_threads=request_threads)
        made[key] = engine
        made.move_to_end(key)
        while len(made) > keep:
            made.popitem(last=False)
        return engine

    engines.make_engine = make_engine
