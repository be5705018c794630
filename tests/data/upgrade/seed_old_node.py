"""Run by make_fixture.sh with the OLD Caveat on the path: on a node made by
`caveat demo --no-serve`, a demo researcher stores two artifacts (one version each),
so the upgrade test's `caveat verify --all` has encrypted content to check.
Uses only service calls that Caveat had at commit 254e5af."""

from __future__ import annotations

import hashlib
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from caveat.bootstrap.container import open_node
from caveat.bootstrap.settings import Settings
from caveat.domain.credentials import totp_code
from caveat.services.artifacts._service import NewArtifact
from caveat.services.kernel.uow import CallContext

data_dir = Path(sys.argv[1])
creds = json.loads((data_dir / "demo-credentials.json").read_text())
node = open_node(Settings(data_dir=data_dir))
try:
    ctx = CallContext.cli()
    secret = creds["people"]["sam"]["totp_secret"]
    session = node.auth.login(
        ctx, username="sam", password=creds["password"], otp=totp_code(secret, datetime.now(UTC))
    )
    sam = node.auth.authenticate(ctx, session.token)
    project = next(p for p in node.projects.list_projects() if p.name == "Passive Sensor Fusion")
    for title, label, body in [
        ("Upgrade fixture: bench notes", "UNCLASSIFIED", b"bench notes\n" * 300),
        ("Upgrade fixture: range report", "SECRET//REL TO USA, GBR", bytes(range(256)) * 64),
    ]:
        new = NewArtifact(
            project=project.id,
            kind="dataset",
            title=title,
            label=label,
            controls=(),
            summary="made by tests/data/upgrade/make_fixture.sh",
            keywords=(),
        )
        version = node.artifacts.put(
            sam,
            ctx,
            iter([body]),
            sha256=hashlib.sha256(body).hexdigest(),
            new=new,
            filename="fixture.bin",
        )
        print(f"stored {title!r}: {version}")
finally:
    node.close()
