"""The demo node as the issue's reproductions used it: its people sign in over the API
(the SDK) or the web, with the demo password and their phones' codes."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient

from caveat.api.app import create_app
from caveat.bootstrap.container import Node, init_node, seed_demo
from caveat.bootstrap.settings import HashProfile, Settings
from caveat.client import CaveatClient
from caveat.domain.identity import Clearance, CommonLevel, Role
from caveat.server import create_server
from caveat.services import demo as demo
from caveat.services.identity._people import NewAccount
from caveat.services.kernel.principal import ConsoleOperator, Principal
from caveat.services.kernel.uow import CallContext
from tests.support import FIRST_OPERATOR, FakeClock, Scenario, migrated_sqlite
from tests.web.conftest import Browser

CONSOLE = ConsoleOperator()


@dataclass
class Demo:
    node: Node
    world: Scenario
    accounts: dict[str, NewAccount] = field(default_factory=dict)

    def api(self, username: str) -> CaveatClient:
        """The SDK signed in as ``username`` (a fresh TOTP step)."""
        client = CaveatClient(
            "http://testserver",
            http=TestClient(create_app(self.node), raise_server_exceptions=False),
        )
        self.world.clock.advance(seconds=30)
        client.login(username, demo.DEMO_PASSWORD, self.world.code(self.accounts[username]))
        return client

    def principal(self, username: str) -> Principal:
        return Principal(person=self.node.people.get_person(username), mfa_at=self.world.clock())

    @contextmanager
    def browser(self, username: str) -> Iterator[Browser]:
        """A browser signed in to the web application as ``username``."""
        with TestClient(create_server(self.node), raise_server_exceptions=False) as client:
            browser = Browser(client, self.world)
            browser.sign_in(self.accounts[username], password=demo.DEMO_PASSWORD)
            yield browser

    def add(self, username: str, organisation: str, nation: str, *roles: Role) -> NewAccount:
        """Another person of the demo, made at the console."""
        account = self.node.people.create_person(
            CONSOLE,
            CallContext.cli(),
            username=username,
            display_name=username.title(),
            email=f"{username}@{organisation.lower()}.example",
            organisation=organisation,
            citizenships=[nation],
            roles=list(roles) or [Role.RESEARCHER],
            clearance=Clearance(CommonLevel.SECRET, "SECRET", nation, demo._EXPIRES),
            password=demo.DEMO_PASSWORD,
        )
        self.accounts[username] = account
        return account


def demo_node(node: Node, clock: FakeClock) -> Demo:
    return demo_of(node, clock, seed_demo(node))


def demo_of(node: Node, clock: FakeClock, accounts: Mapping[str, NewAccount]) -> Demo:
    """The demo whose people are ``accounts``, seeded on ``node`` already."""
    world = Scenario(node, clock, dict(accounts))
    return Demo(node, world, dict(accounts))


@contextmanager
def separate_demo(root: Path) -> Iterator[Demo]:
    """A seeded demo node on a SQLite database of its own in ``root``, for a module whose
    tests only read the demo: seeding costs seconds of CPU, paid once, not per test."""
    clock = FakeClock(datetime.now(UTC).replace(microsecond=0))
    settings = Settings(
        data_dir=root / "node",
        database_url=migrated_sqlite(root / "demo.db"),
        hash_profile=HashProfile.TEST,
        node_name="test-node",
    )
    node, _ = init_node(settings, FIRST_OPERATOR, clock=clock)
    try:
        yield demo_node(node, clock)
    finally:
        node.close()
