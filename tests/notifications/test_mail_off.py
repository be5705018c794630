"""The embedded default mails nothing: no outbox rows, no worker, a test mail refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from caveat.adapters.db.models.notifications import MailOutboxRow
from caveat.bootstrap.container import Node
from caveat.bootstrap.settings import HashProfile, Settings
from caveat.domain.errors import InvalidInput
from caveat.services.identity import NewAccount
from caveat.services.kernel.principal import ConsoleOperator
from caveat.services.kernel.uow import CallContext
from caveat.services.notifications import MailRun, notify


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path / "node",
        database_url=database_url,
        hash_profile=HashProfile.TEST,
        node_name="test-node",
    )


def test_the_embedded_default_sends_no_mail(node: Node, operator: NewAccount) -> None:
    with node.uow(CallContext.cli()) as uow:
        notify(uow, [operator.person.id], "release.approved", "text", link="/releases/x")
    with node.uow.read() as session:
        assert session.scalar(select(func.count()).select_from(MailOutboxRow)) == 0
    assert not node.mail.enabled
    assert not node.notifications.mails
    assert node.mail_worker.period == 0
    assert node.mail.run_due(CallContext(request_id="test")) == MailRun()
    with pytest.raises(InvalidInput) as refused:
        node.mail.send_test(ConsoleOperator(), to="ops@node.test.example")
    assert refused.value.code == "mail_not_configured"
