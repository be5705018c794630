"""Blobs in an S3-compatible object store (boto3): multipart upload, visible on completion.

A writer buffers at most one multipart chunk (8 MiB of ciphertext) and uploads it;
``commit`` completes the multipart upload, which is when the object appears. A crash
leaves an unfinished multipart upload, which ``sweep_temporary`` aborts (configure a
bucket lifecycle rule for it as well).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime
from typing import Any, BinaryIO, cast

from caveat.adapters.blobstore.base import BlobInfo, BlobMissing, StorageFailed, check_key

CHUNK_BYTES = 8 * 2**20  # S3 multipart parts must be ≥ 5 MiB except the last


def _missing(exc: Exception) -> bool:
    response = getattr(exc, "response", None) or {}
    code = str(response.get("Error", {}).get("Code", ""))
    return code in ("NoSuchKey", "404", "NotFound")


class S3BlobWriter:
    """One multipart upload."""

    def __init__(self, store: S3BlobStore, key: str) -> None:
        self._store = store
        self._key = store.object_key(key)
        self._buffer = bytearray()
        self._parts: list[dict[str, Any]] = []
        self._size = 0
        self._upload_id: str | None = None
        self._done = False

    def _flush(self) -> None:
        client = self._store.client
        try:
            if self._upload_id is None:
                created = client.create_multipart_upload(Bucket=self._store.bucket, Key=self._key)
                self._upload_id = str(created["UploadId"])
            number = len(self._parts) + 1
            answer = client.upload_part(
                Bucket=self._store.bucket,
                Key=self._key,
                UploadId=self._upload_id,
                PartNumber=number,
                Body=bytes(self._buffer),
            )
        except Exception as exc:
            self.abort()
            raise StorageFailed(f"the S3 store refused a write: {exc}") from exc
        self._parts.append({"PartNumber": number, "ETag": answer["ETag"]})
        self._buffer.clear()

    def write(self, data: bytes | memoryview) -> None:
        """Append ``data``; full chunks go to S3 at once."""
        if self._done:
            raise StorageFailed("write after commit or abort")
        self._buffer += data
        self._size += len(data)
        while len(self._buffer) >= CHUNK_BYTES:
            rest = bytes(self._buffer[CHUNK_BYTES:])
            del self._buffer[CHUNK_BYTES:]
            self._flush()
            self._buffer += rest

    def commit(self) -> int:
        """Complete the upload (or put a small object in one call)."""
        if self._done:
            raise StorageFailed("commit after commit or abort")
        client = self._store.client
        try:
            if self._upload_id is None:
                client.put_object(
                    Bucket=self._store.bucket, Key=self._key, Body=bytes(self._buffer)
                )
            else:
                if self._buffer:
                    self._flush()
                client.complete_multipart_upload(
                    Bucket=self._store.bucket,
                    Key=self._key,
                    UploadId=self._upload_id,
                    MultipartUpload={"Parts": self._parts},
                )
        except StorageFailed:
            raise
        except Exception as exc:
            self.abort()
            raise StorageFailed(f"the S3 store refused to complete a blob: {exc}") from exc
        self._done = True
        self._buffer.clear()
        return self._size

    def abort(self) -> None:
        """Abort the multipart upload, if one was started."""
        if self._done:
            return
        self._done = True
        self._buffer.clear()
        if self._upload_id is not None:
            # On failure the sweeper and the bucket's lifecycle rule clean up.
            with contextlib.suppress(Exception):
                self._store.client.abort_multipart_upload(
                    Bucket=self._store.bucket, Key=self._key, UploadId=self._upload_id
                )


class S3BlobStore:
    """Objects under ``prefix`` in one bucket of an S3-compatible store."""

    name = "s3"

    def __init__(self, client: Any, bucket: str, prefix: str = "caveat/") -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix

    @classmethod
    def connect(
        cls,
        *,
        bucket: str,
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key: str | None = None,
        secret_key: str | None = None,
        prefix: str = "caveat/",
    ) -> S3BlobStore:
        """A store on a boto3 client (credentials from arguments or boto3's usual chain)."""
        import boto3

        client = boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
        )
        return cls(client, bucket, prefix)

    def object_key(self, key: str) -> str:
        """The S3 object key of blob ``key``."""
        return self.prefix + check_key(key)

    def writer(self, key: str) -> S3BlobWriter:
        """Start a multipart upload for ``key``."""
        return S3BlobWriter(self, key)

    def open(self, key: str) -> BinaryIO:
        """A streaming body of the object."""
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self.object_key(key))
        except Exception as exc:
            if _missing(exc):
                raise BlobMissing(f"blob {key} is missing from the S3 store") from None
            raise StorageFailed(f"the S3 store failed to read {key}: {exc}") from exc
        return cast(BinaryIO, answer["Body"])

    def size(self, key: str) -> int:
        """The object's size."""
        try:
            answer = self.client.head_object(Bucket=self.bucket, Key=self.object_key(key))
        except Exception as exc:
            if _missing(exc):
                raise BlobMissing(f"blob {key} is missing from the S3 store") from None
            raise StorageFailed(f"the S3 store failed to stat {key}: {exc}") from exc
        return int(answer["ContentLength"])

    def delete(self, key: str) -> None:
        """Delete the object (S3 deletes are idempotent)."""
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self.object_key(key))
        except Exception as exc:
            raise StorageFailed(f"the S3 store failed to delete {key}: {exc}") from exc

    def list(self, prefix: str = "") -> Iterator[BlobInfo]:
        """Every object under ``prefix``, in key order."""
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix):
            for item in page.get("Contents", []):
                yield BlobInfo(
                    str(item["Key"])[len(self.prefix) :],
                    int(item["Size"]),
                    cast(datetime, item["LastModified"]),
                )

    def sweep_temporary(self, older_than: datetime) -> int:
        """Abort multipart uploads under the prefix started before ``older_than``."""
        removed = 0
        paginator = self.client.get_paginator("list_multipart_uploads")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix):
            for upload in page.get("Uploads", []):
                if upload["Initiated"] < older_than:
                    self.client.abort_multipart_upload(
                        Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                    )
                    removed += 1
        return removed
