"""A real SMTP server (aiosmtpd) on a loopback port, and a node that mails through it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from caveat.bootstrap.container import Node
from caveat.bootstrap.settings import HashProfile, Settings, SmtpSecurity
from tests.plans.support import World, build
from tests.support import FakeClock, free_port

BASE_URL = "https://caveat.test.example"


@dataclass
class Inbox:
    """What the server accepted: (envelope recipients, parsed message) per mail."""

    mails: list[tuple[list[str], Message]] = field(default_factory=list)

    async def handle_DATA(  # noqa: N802 - the hook's name is aiosmtpd's
        self, server: Any, session: Any, envelope: Any
    ) -> str:
        self.mails.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 OK"

    def to(self, address: str) -> list[Message]:
        return [m for rcpts, m in self.mails if address in rcpts]


class SmtpServer:
    """aiosmtpd on 127.0.0.1:``port``, started and stopped by the test."""

    def __init__(self, port: int, **options: Any) -> None:
        self.port = port
        self.inbox = Inbox()
        self._options = options
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(
            self.inbox, hostname="127.0.0.1", port=self.port, **self._options
        )
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A plain SMTP server, running (``smtp.stop()`` takes it down)."""
    server = SmtpServer(free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def settings(tmp_path: Path, database_url: str, smtp: SmtpServer) -> Settings:
    """The test node, mailing through ``smtp`` (a local relay: no TLS, no login)."""
    return Settings(
        data_dir=tmp_path / "node",
        database_url=database_url,
        hash_profile=HashProfile.TEST,
        node_name="test-node",
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        smtp_security=SmtpSecurity.NONE,
        smtp_from="caveat@node.test.example",
        smtp_timeout_seconds=5,
        mail_base_url=BASE_URL,
        mail_retry_seconds=60,
        mail_max_attempts=3,
    )


@pytest.fixture
def world(node: Node, clock: FakeClock) -> World:
    return build(node, clock)
