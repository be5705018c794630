"""Blob stores for encrypted artifact parts: one Protocol, a local and an S3 implementation."""

from caveat.adapters.blobstore.base import (
    BlobInfo,
    BlobMissing,
    BlobStore,
    BlobWriter,
    StorageFailed,
    StorageFull,
    check_key,
)
from caveat.adapters.blobstore.local import LocalBlobStore

__all__ = [
    "BlobInfo",
    "BlobMissing",
    "BlobStore",
    "BlobWriter",
    "LocalBlobStore",
    "StorageFailed",
    "StorageFull",
    "check_key",
]
