"""Tamper detection, key rotation and verification."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable

import pytest
from sqlalchemy import insert, select, update

from caveat.adapters.db.models import EventRow
from caveat.adapters.db.models.artifacts import (
    ArtifactBindingRow,
    ArtifactLabelRow,
    ArtifactPartRow,
    ArtifactVersionRow,
)
from caveat.adapters.db.models.policy import (
    ResourceCaveatRow,
    ResourceControlRow,
    ResourceReleaseRow,
    ResourceRow,
)
from caveat.adapters.kek import KEK_FILE
from caveat.domain.errors import CaveatError, ErrorKind
from caveat.services.kernel.principal import ConsoleOperator, Principal
from caveat.services.kernel.uow import CallContext
from tests.artifacts.conftest import PART, World, content, random_bytes


def _artifact(world: World, alice: Principal, data: bytes) -> str:
    version = world.put(alice, data)
    with world.node.uow.read() as session:
        row = session.get(ArtifactVersionRow, version.id)
        assert row is not None
        return row.artifact_id


def _flip_blob(world: World, index: int) -> None:
    blobs = list(world.node.artifacts.blobs.list())
    path = world.node.artifacts.blobs.objects / blobs[index].key  # type: ignore[attr-defined]
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    path.write_bytes(bytes(raw))


def _sql(world: World, statement: object) -> None:
    with world.node.engine.begin() as conn:
        conn.execute(statement)  # type: ignore[call-overload]


def _flip_wrapped_key(world: World) -> None:
    with world.node.engine.begin() as conn:
        for version_id, wrapped in conn.execute(
            select(ArtifactVersionRow.id, ArtifactVersionRow.wrapped_key)
        ):
            flipped = bytearray(wrapped)
            flipped[-3] ^= 0x01
            conn.execute(
                update(ArtifactVersionRow)
                .where(ArtifactVersionRow.id == version_id)
                .values(wrapped_key=bytes(flipped))
            )


TAMPERS: dict[str, Callable[[World, str], None]] = {
    "blob byte": lambda w, a: _flip_blob(w, 1),
    "label row": lambda w, a: _sql(
        w,
        update(ArtifactLabelRow)
        .where(ArtifactLabelRow.artifact_id == a)
        .values(label_json=ArtifactLabelRow.label_json + " "),
    ),
    "signature": lambda w, a: _sql(w, update(ArtifactBindingRow).values(signature=b"\x00" * 64)),
    "size": lambda w, a: _sql(
        w, update(ArtifactVersionRow).values(size=ArtifactVersionRow.size - 1)
    ),
    "part layout": lambda w, a: _sql(
        w,
        update(ArtifactPartRow)
        .where(ArtifactPartRow.idx == 0)
        .values(plain_size=ArtifactPartRow.plain_size - 1),
    ),
    "catalogue label": lambda w, a: _sql(
        w, update(ResourceRow).where(ResourceRow.id == a).values(common_level=0)
    ),
    # Issue 12: a row beside the label, inserted by hand, made a title discoverable to
    # another nation while verify said clean; every fact the policy reads is compared.
    "releasability row": lambda w, a: _sql(
        w, insert(ResourceReleaseRow).values(resource_id=a, code="FRA")
    ),
    "caveat row": lambda w, a: _sql(
        w, insert(ResourceCaveatRow).values(resource_id=a, caveat="SCI:SI")
    ),
    "control row": lambda w, a: _sql(
        w,
        insert(ResourceControlRow).values(
            resource_id=a, entry="EAR:3A001.a.1", jurisdiction="USA", exempt=False
        ),
    ),
    "wrapped key": lambda w, a: _flip_wrapped_key(w),
    "sha256": lambda w, a: _sql(w, update(ArtifactVersionRow).values(sha256=b"\x01" * 32)),
}


@pytest.mark.parametrize("tamper", sorted(TAMPERS))
def test_tampering_is_detected_by_download_and_verify(
    world: World, alice: Principal, tamper: str
) -> None:
    data = random_bytes(3 * PART + 9)
    artifact = _artifact(world, alice, data)
    console, ctx = ConsoleOperator(), CallContext.cli()
    assert world.node.artifact_admin.verify(console, ctx).clean
    TAMPERS[tamper](world, artifact)
    with pytest.raises(CaveatError) as caught:
        assert content(world.node, alice, artifact) == data
    assert caught.value.kind is ErrorKind.INTEGRITY
    report = world.node.artifact_admin.verify(console, ctx)
    assert not report.clean
    assert report.problems[0].artifact_id == artifact
    with world.node.uow.read() as session:
        events = list(
            session.scalars(
                select(EventRow.body)
                .where(EventRow.type == "artifact.integrity_failed")
                .order_by(EventRow.seq)
            )
        )
    assert len(events) >= 2
    assert all(json.loads(e)["outcome"] == "failure" for e in events)


def test_a_range_read_inside_an_intact_part_still_works_but_verify_finds_the_bad_one(
    world: World, alice: Principal
) -> None:
    data = random_bytes(3 * PART)
    artifact = _artifact(world, alice, data)
    _flip_blob(world, 2)  # the third part
    assert content(world.node, alice, artifact, byte_range=(0, PART - 1)) == data[:PART]
    with pytest.raises(CaveatError):
        content(world.node, alice, artifact, byte_range=(2 * PART, None))
    assert not world.node.artifact_admin.verify(ConsoleOperator(), CallContext.cli()).clean


def test_rotation_rewraps_and_every_artifact_stays_readable(world: World, alice: Principal) -> None:
    blobs = {}
    datas = [random_bytes(n) for n in (0, 10, 2 * PART + 1)]
    ids = [_artifact(world, alice, d) for d in datas]
    for blob in world.node.artifacts.blobs.list():
        blobs[blob.key] = world.node.artifacts.blobs.size(blob.key)
    admin, console, ctx = world.node.artifact_admin, ConsoleOperator(), CallContext.cli()
    first = admin.key_status().keys[0].key_id
    report = admin.rotate(console, ctx)
    assert report.rewrapped == 3
    assert report.primary.key_id != first
    status = admin.key_status()
    assert status.wrapped == {report.primary.key_id: 3}
    # No content was re-encrypted: the very same blobs.
    assert {b.key: b.size for b in world.node.artifacts.blobs.list()} == blobs
    assert admin.disable_old(console, ctx) == [first]
    for artifact, data in zip(ids, datas, strict=True):
        assert content(world.node, alice, artifact) == data
    assert admin.verify(console, ctx).clean


def test_rotation_with_reencryption_replaces_the_blobs(world: World, alice: Principal) -> None:
    data = random_bytes(2 * PART + 3)
    artifact = _artifact(world, alice, data)
    before = {b.key for b in world.node.artifacts.blobs.list()}
    admin, console, ctx = world.node.artifact_admin, ConsoleOperator(), CallContext.cli()
    report = admin.rotate(console, ctx, reencrypt=True, disable_old=True)
    assert report.reencrypted == 1
    assert len(report.disabled) == 1
    after = {b.key for b in world.node.artifacts.blobs.list()}
    assert before.isdisjoint(after)
    assert len(after) == len(before)
    assert content(world.node, alice, artifact) == data
    assert admin.verify(console, ctx).clean


def test_old_keys_still_in_use_cannot_be_disabled(world: World, alice: Principal) -> None:
    _artifact(world, alice, b"x")
    kek = world.node.artifacts.kek
    kek.rotate()  # a new primary, but nothing rewrapped yet
    with pytest.raises(CaveatError) as caught:
        world.node.artifact_admin.disable_old(ConsoleOperator(), CallContext.cli())
    assert caught.value.code == "kek_in_use"


def test_the_kek_file_is_private(world: World) -> None:
    path = world.node.keys.directory / KEK_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    os.chmod(path, 0o644)
    with pytest.raises(CaveatError) as caught:
        world.node.artifacts.kek.aead()
    assert caught.value.code == "insecure_key_file"
