"""Mail over STARTTLS with a login, against aiosmtpd with a test CA: the password is
used and never shown, neither in a log line, an error, an outbox row, the ledger nor a
representation of the settings or the mailer."""

from __future__ import annotations

import base64
import logging
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import select

from caveat.adapters.db.models import EventRow
from caveat.adapters.db.models.notifications import MailOutboxRow
from caveat.bootstrap.container import Node, mailer
from caveat.bootstrap.settings import HashProfile, Settings, SmtpSecurity
from caveat.domain.errors import CaveatError, InvalidInput
from caveat.services.identity import NewAccount
from caveat.services.kernel.principal import ConsoleOperator
from caveat.services.kernel.uow import CallContext
from caveat.services.notifications import notify
from tests.federation.test_tls_process import make_tls
from tests.notifications.conftest import BASE_URL, SmtpServer
from tests.support import FakeClock, free_port

PASSWORD = "Corr3ct-Horse-Battery-Staple-91"
CONSOLE = ConsoleOperator()


class Accounts:
    """The server's one account; ``password`` changes when the test says."""

    def __init__(self) -> None:
        self.password = "not-the-node's"

    def __call__(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == b"caveat"
            and auth_data.password == self.password.encode()
        )
        return AuthResult(success=ok)


@pytest.fixture
def accounts() -> Accounts:
    return Accounts()


@pytest.fixture
def tls_files(tmp_path: Path) -> tuple[Path, Path, Path]:
    directory = tmp_path / "tls"
    directory.mkdir()
    return make_tls(directory)


@pytest.fixture
def smtp(tls_files: tuple[Path, Path, Path], accounts: Accounts) -> Iterator[SmtpServer]:
    _, cert, key = tls_files
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server = SmtpServer(
        free_port(),
        tls_context=context,
        require_starttls=True,
        authenticator=accounts,
        auth_require_tls=True,
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture
def settings(
    tmp_path: Path, database_url: str, smtp: SmtpServer, tls_files: tuple[Path, Path, Path]
) -> Settings:
    secret = tmp_path / "smtp-password"
    secret.write_text(PASSWORD + "\n")
    return Settings(
        data_dir=tmp_path / "node",
        database_url=database_url,
        hash_profile=HashProfile.TEST,
        node_name="test-node",
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        smtp_security=SmtpSecurity.STARTTLS,
        smtp_username="caveat",
        smtp_password_file=secret,
        smtp_ca_bundle=str(tls_files[0]),
        smtp_from="caveat@node.test.example",
        smtp_timeout_seconds=5,
        mail_base_url=BASE_URL,
    )


def _forms(password: str) -> list[str]:
    """The password and the encodings an SMTP login carries it in."""
    raw = password.encode()
    return [
        password,
        base64.b64encode(raw).decode(),
        base64.b64encode(b"\0caveat\0" + raw).decode(),  # AUTH PLAIN
    ]


def test_the_password_logs_in_over_starttls_and_never_shows(
    node: Node,
    operator: NewAccount,
    smtp: SmtpServer,
    accounts: Accounts,
    clock: FakeClock,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    with node.uow(CallContext.cli()) as uow:
        notify(uow, [operator.person.id], "release.approved", "text", link="/releases/x")

    # The server refuses the login: an error in the node's own words, the mail kept.
    with structlog.testing.capture_logs() as logs:
        with pytest.raises(CaveatError) as refused:
            node.mail.send_test(CONSOLE, to="someone@node.test.example")
        run = node.mail.run_due(CallContext(request_id="test"))
    assert refused.value.code == "mail_unavailable"
    assert "login" in refused.value.detail
    assert run.retrying == 1
    assert smtp.inbox.mails == []
    with node.uow.read() as session:
        [row] = session.scalars(select(MailOutboxRow))
        events = [e.body for e in session.scalars(select(EventRow))]
    shown = [
        str(refused.value),
        refused.value.diagnostics(),
        repr(refused.value.__cause__),
        repr(refused.value.__context__),
        repr(node.mail.mailer),
        repr(settings),
        str(settings.model_dump()),
        row.last_error or "",
        *map(str, logs),
        caplog.text,
        *capsys.readouterr(),
        *events,
    ]
    for form in _forms(PASSWORD):
        assert not [text for text in shown if form in text]

    # With the password the server expects, the mail goes over TLS.
    accounts.password = PASSWORD
    clock.advance(seconds=3600)
    assert node.mail.run_due(CallContext(request_id="test")).sent == 1
    [mail] = smtp.inbox.to(operator.person.email)
    assert f"{BASE_URL}/releases/x" in mail.as_string()
    node.mail.send_test(CONSOLE, to="someone@node.test.example")
    assert len(smtp.inbox.to("someone@node.test.example")) == 1


def test_a_login_in_the_clear_or_a_half_made_configuration_is_refused(
    settings: Settings,
) -> None:
    clear = settings.model_copy(update={"smtp_security": SmtpSecurity.NONE})
    with pytest.raises(InvalidInput, match="needs TLS") as no_tls:
        mailer(clear)
    no_from = settings.model_copy(update={"smtp_from": None})
    with pytest.raises(InvalidInput, match="CAVEAT_SMTP_FROM") as no_sender:
        mailer(no_from)
    unreadable = settings.model_copy(update={"smtp_password_file": Path("/nonexistent/pw")})
    with pytest.raises(InvalidInput, match="password file") as no_file:
        mailer(unreadable)
    for exc in (no_tls, no_sender, no_file):
        assert PASSWORD not in exc.value.diagnostics()
    assert mailer(settings.model_copy(update={"smtp_host": None})) is None
