"""A whole node on the S3 blob store, over HTTP to an S3-compatible server: content goes
in encrypted, comes out bit for bit, verifies clean, and an altered object is found."""

from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path

import boto3
import pytest

from caveat.adapters.blobstore.s3 import S3BlobStore
from caveat.bootstrap.settings import HashProfile, Settings
from caveat.services.kernel.principal import ConsoleOperator, Principal
from caveat.services.kernel.uow import CallContext
from tests.artifacts.conftest import PART, S3_CREDENTIALS, World, content, random_bytes

BUCKET = "caveat-node-test"


@pytest.fixture
def settings(
    tmp_path: Path, database_url: str, s3_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> Settings:
    """The session's database, blobs in a fresh prefix of a bucket on the S3 server."""
    for name, value in S3_CREDENTIALS.items():
        if name not in os.environ:
            monkeypatch.setenv(name, value)
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou):
        client.create_bucket(Bucket=BUCKET)
    return Settings(
        data_dir=tmp_path / "node",
        database_url=database_url,
        hash_profile=HashProfile.TEST,
        node_name="s3-node",
        blob_store="s3",
        s3_endpoint=s3_endpoint,
        s3_bucket=BUCKET,
        s3_region="us-east-1",
        s3_prefix=f"node-{uuid.uuid4().hex[:8]}/",
    )


def test_content_round_trips_through_s3_and_verifies(world: World, alice: Principal) -> None:
    assert world.node.artifacts.blobs.name == "s3"
    data = random_bytes(3 * PART + 5)
    world.put(alice, data)
    [artifact] = [r.id for r in world.node.policy.catalogue()]
    assert content(world.node, alice, artifact) == data
    objects = world.node.artifacts.blobs.list()
    assert sum(1 for _ in objects) >= 4  # one object per encrypted part
    report = world.node.artifact_admin.verify(ConsoleOperator(), CallContext.cli())
    assert report.clean, report.problems
    assert data not in b"".join(_read_all(world))  # at rest only ciphertext


def test_an_altered_object_is_found_by_verify(world: World, alice: Principal) -> None:
    world.put(alice, random_bytes(2 * PART))
    store = world.node.artifacts.blobs
    assert isinstance(store, S3BlobStore)  # alter the object behind Caveat's back
    key = sorted(b.key for b in store.list())[0]
    body = store.client.get_object(Bucket=store.bucket, Key=store.object_key(key))["Body"].read()
    store.client.put_object(
        Bucket=store.bucket, Key=store.object_key(key), Body=bytes([body[0] ^ 1]) + body[1:]
    )
    report = world.node.artifact_admin.verify(ConsoleOperator(), CallContext.cli())
    assert not report.clean
    [problem] = report.problems
    assert (problem.version, problem.code) == (1, "content_corrupt")


def _read_all(world: World) -> list[bytes]:
    out = []
    for blob in world.node.artifacts.blobs.list():
        with world.node.artifacts.blobs.open(blob.key) as handle:
            out.append(handle.read())
    return out
