"""Artifacts in the policy catalogue, database-assigned order, verify over HTTP, sweeping."""

from __future__ import annotations

import json
import os
import threading
import time
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from caveat.adapters.db.models import EventRow
from caveat.adapters.db.models.artifacts import ArtifactRow, ArtifactVersionRow
from caveat.adapters.db.models.policy import ResourceRow
from caveat.cli import artifacts as cli_artifacts
from caveat.cli import main as cli_main
from caveat.cli.serving import run_server
from caveat.client import CaveatClient
from caveat.domain.errors import CaveatError, InvalidInput
from caveat.domain.identity import Role
from caveat.domain.labels import parse_marking
from caveat.domain.resources import ResourceKind
from caveat.services.artifacts._service import NewArtifact
from caveat.services.kernel.principal import ConsoleOperator, Principal
from caveat.services.kernel.uow import CallContext
from tests.artifacts.conftest import LABEL, World, chunks, client_for, sha
from tests.conftest import empty_tables


def _artifact_id(world: World, alice: Principal, data: bytes, title: str = "Run") -> str:
    version = world.put(alice, data, title=title)
    with world.node.uow.read() as session:
        row = session.get(ArtifactVersionRow, version.id)
        assert row is not None
        return row.artifact_id


def _event_types(world: World, target: str) -> list[str]:
    with world.node.uow.read() as session:
        return list(
            session.scalars(
                select(EventRow.type).where(EventRow.target_id == target).order_by(EventRow.seq)
            )
        )


def test_artifacts_enter_and_change_the_catalogue_through_its_service(
    world: World, alice: Principal
) -> None:
    artifact = _artifact_id(world, alice, b"content")
    assert "resource.registered" in _event_types(world, artifact)
    with pytest.raises(InvalidInput) as unexplained:
        world.artifacts.relabel(
            alice, CallContext.cli(), artifact, label="CONFIDENTIAL//REL TO USA, GBR", reason=" "
        )
    assert unexplained.value.code == "reason_required"
    # A lower level loosens the marking: a release request, the catalogue unchanged...
    lowered = world.artifacts.relabel(
        alice,
        CallContext.cli(),
        artifact,
        label="CONFIDENTIAL//REL TO USA, GBR",
        reason="declassified in part by the originator",
    )
    assert lowered.outcome.path == "release_requested"
    assert lowered.outcome.release_id is not None
    assert "resource.relabelled" not in _event_types(world, artifact)
    # ...while the originator's narrower release is applied at once.
    narrowed = world.artifacts.relabel(
        alice, CallContext.cli(), artifact, label="SECRET//NOFORN", reason="US eyes for now"
    )
    assert narrowed.outcome.path == "applied"
    assert narrowed.view.banner == "SECRET//NOFORN"
    assert "resource.relabelled" in _event_types(world, artifact)
    with world.node.uow.read() as session:
        row = session.get(ResourceRow, artifact)
        assert row is not None
        assert row.kind == ResourceKind.DATASET
        assert row.common_level == 3
        assert row.rel_mode == "noforn"
    assert world.node.artifact_admin.verify(ConsoleOperator(), CallContext.cli()).clean


def test_one_list_of_kinds_for_catalogue_and_artifacts(world: World, alice: Principal) -> None:
    directory = world.node.registry.directory()
    label = parse_marking("UNCLASSIFIED", groups=directory, on=world.node.uow.clock().date())
    register = world.node.catalogue.register
    with pytest.raises(CaveatError) as caught:
        register(
            alice,
            CallContext.cli(),
            project=world.project,
            kind="test_result",
            title="t",
            label=label,
        )
    assert caught.value.code == "invalid_kind"
    made = register(
        alice,
        CallContext.cli(),
        project=world.project,
        kind="threat_intelligence",
        title="t",
        label=label,
    )
    assert made.kind == ResourceKind.THREAT_INTELLIGENCE
    with pytest.raises(CaveatError) as caught:
        world.artifacts.begin_upload(
            alice, CallContext.cli(), new=NewArtifact(world.project, "other", "t", LABEL)
        )
    assert caught.value.code == "invalid_kind"


def test_concurrent_completions_each_get_their_own_seq(world: World, alice: Principal) -> None:
    ctx = CallContext.cli()
    uploads = []
    for n in range(4):
        data = f"payload {n}".encode()
        status = world.artifacts.begin_upload(
            alice,
            ctx,
            new=NewArtifact(world.project, "dataset", f"Run {n}", LABEL),
            sha256=sha(data),
        )
        world.artifacts.append(alice, ctx, status.id, 0, chunks(data))
        uploads.append(status.id)
    start, failures = threading.Barrier(len(uploads)), []

    def complete(upload_id: str) -> None:
        start.wait()
        try:
            world.artifacts.complete(alice, ctx, upload_id)
        except Exception as exc:  # collected: a thread's exception would be lost
            failures.append(exc)

    threads = [threading.Thread(target=complete, args=(u,)) for u in uploads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with world.node.uow.read() as session:
        seqs = list(session.scalars(select(ArtifactRow.seq)))
    assert len(set(seqs)) == len(uploads)


def test_emptying_the_tables_empties_the_search_index(
    world: World, alice: Principal, database_url: str
) -> None:
    _artifact_id(world, alice, b"x", title="Findable")
    empty_tables(database_url)
    with world.node.engine.connect() as conn:
        if world.node.engine.dialect.name == "sqlite":
            assert conn.execute(text("SELECT count(*) FROM artifact_fts")).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM artifacts")).scalar() == 0


@pytest.fixture
def officer(world: World) -> Principal:
    return world.principal("sofia", roles=(Role.SECURITY_OFFICER,))


def test_verify_over_the_api_is_for_operators_and_officers(
    world: World, alice: Principal, officer: Principal, http: TestClient
) -> None:
    artifact = _artifact_id(world, alice, b"abc")
    with pytest.raises(CaveatError) as caught:
        client_for(http, world, "alice").verify_artifacts()
    assert caught.value.code == "policy_denied"
    report = client_for(http, world, "sofia").verify_artifacts(artifact)
    assert report["clean"] is True
    assert report["artifacts"] == 1
    assert report["versions"] == 1


def test_verify_walks_every_artifact_in_batches(
    world: World,
    alice: Principal,
    officer: Principal,
    http: TestClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for n in range(5):
        _artifact_id(world, alice, bytes([n]) * 10, title=f"Run {n}")
    client = client_for(http, world, "sofia")
    seen: list[int] = []
    cursors: list[str] = []
    after = None
    while True:
        batch = client.verify_artifacts(after=after, limit=2)
        assert batch["total"] == 5
        seen.append(batch["artifacts"])
        after = batch["next_after"]
        if after is None:
            break
        cursors.append(after)
    assert seen == [2, 2, 1]  # every artifact once, in creation order
    assert len(set(cursors)) == 2
    whole = world.node.artifact_admin.verify(ConsoleOperator(), CallContext.cli())
    assert (whole.artifacts, whole.next_after, whole.total) == (5, None, 5)
    rest = world.node.artifact_admin.verify(
        ConsoleOperator(), CallContext.cli(), after=cursors[0], limit=10
    )
    assert (rest.artifacts, rest.next_after) == (3, None)
    # `caveat verify --all` walks the same batches and adds them up.
    monkeypatch.setattr(cli_artifacts, "VERIFY_BATCH", 2)
    console = cli_artifacts._verify_all(
        world.node, ConsoleOperator(), CallContext.cli(), quiet=True
    )
    assert (console.artifacts, console.versions, console.total) == (5, 5, 5)
    with pytest.raises(InvalidInput):
        client.verify_artifacts(after="no-such-artifact", limit=2)
    with pytest.raises(InvalidInput):
        world.node.artifact_admin.verify(ConsoleOperator(), CallContext.cli(), limit=0)


def test_caveat_relabel_talks_to_the_server(
    world: World, alice: Principal, http: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    artifact = _artifact_id(world, alice, b"abc")

    def client() -> CaveatClient:
        return client_for(http, world, "alice")

    monkeypatch.setattr(cli_artifacts, "_client", client)
    label = ["--label", "SECRET//NOFORN"]
    unexplained = CliRunner().invoke(cli_main.app, ["relabel", artifact, *label, "--json"])
    assert unexplained.exit_code == 2  # --reason is required
    # The preview first: who would lose read access (nobody here), and no change.
    dry = CliRunner().invoke(cli_main.app, ["relabel", artifact, *label, "--dry-run"])
    assert dry.exit_code == 0, dry.stdout
    assert "applied at once" in dry.stdout
    assert "would lose read access: 0" in dry.stdout
    why = ["--reason", "the originator's review"]
    declined = CliRunner().invoke(cli_main.app, ["relabel", artifact, *label, *why], input="n\n")
    assert declined.exit_code == 2
    assert "Go ahead?" in declined.stdout
    result = CliRunner().invoke(
        cli_main.app, ["relabel", artifact, *label, *why, "--json", "--yes"]
    )
    assert result.exit_code == 0, result.stdout
    lines = result.stdout.splitlines()
    shown = json.loads("\n".join(lines[lines.index("{") :]))  # after the request log lines
    assert shown["outcome"] == "applied"
    assert [lab["seq"] for lab in shown["labels"]] == [1, 2]
    # Leaving out --control keeps the entries; --no-controls would drop them: a release.
    dropped = CliRunner().invoke(
        cli_main.app, ["relabel", artifact, *label, *why, "--no-controls", "--json", "--yes"]
    )
    assert dropped.exit_code == 0, dropped.stdout
    assert '"outcome": "applied"' in dropped.stdout  # no entries before: nothing loosens


def test_serve_sweeps_orphan_blobs_once_before_serving(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    blobs = world.node.artifacts.blobs
    key = f"v/{uuid.uuid4()}/g0/0"
    writer = blobs.writer(key)
    writer.write(b"left behind by a crash")
    writer.commit()
    path = blobs.objects / key  # type: ignore[attr-defined]
    old = time.time() - 2 * 3600
    os.utime(path, (old, old))
    served: list[str] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **_: served.append(app))
    # run_server exports these for its workers; monkeypatch restores them afterwards.
    monkeypatch.setenv("CAVEAT_DATA_DIR", "")
    monkeypatch.setenv("CAVEAT_DATABASE_URL", "")
    run_server(world.node.settings, host="127.0.0.1", port=0, workers=2)
    assert served == ["caveat.server:create"]
    assert key not in {b.key for b in blobs.list()}


def test_the_sweep_reads_the_store_in_chunks_and_keeps_live_blobs(
    world: World, alice: Principal, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import timedelta

    from caveat.services.artifacts import _admin as artifacts_admin

    for n in range(3):
        _artifact_id(world, alice, bytes([n]) * 10, title=f"Kept {n}")
    blobs = world.node.artifacts.blobs
    live_version = next(iter(blobs.list("v/"))).key.split("/")[1]
    orphans = [
        f"v/{uuid.uuid4()}/g0/00000",  # a version that no row names
        f"v/{uuid.uuid4()}/g0/00001",
        f"v/{live_version}/g9/00000",  # a live version, but a generation it left behind
    ]
    for key in orphans:
        writer = blobs.writer(key)
        writer.write(b"left by a crash")
        writer.commit()
    monkeypatch.setattr(artifacts_admin, "BATCH", 2)  # several chunks of the store
    report = world.node.artifact_admin.cleanup(
        ConsoleOperator(), CallContext.cli(), grace=timedelta(0)
    )
    assert report.orphan_blobs == 3
    keys = {b.key for b in blobs.list("v/")}
    assert not keys & set(orphans)
    assert len(keys) == 3  # one part per kept artifact
    assert world.node.artifact_admin.verify(ConsoleOperator(), CallContext.cli()).clean
