"""What every part of the artifact service shares: collaborators and the node's limits.

One mutable object, so the service's limits (``max_bytes``, ``part_bytes``) can be
changed in one place and every part sees the change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from caveat.adapters.blobstore import BlobStore
from caveat.adapters.kek import KekProvider
from caveat.domain.artifacts import PART_BYTES
from caveat.services.kernel.uow import UnitOfWorkFactory
from caveat.services.policy import CatalogueService, PolicyService


@dataclass
class ArtifactDeps:
    """Collaborators and limits of the artifact service."""

    uow: UnitOfWorkFactory
    policy: PolicyService
    catalogue: CatalogueService
    blobs: BlobStore
    kek: KekProvider
    signing_key: Callable[[], Ed25519PrivateKey]
    max_bytes: int
    upload_ttl: timedelta
    part_bytes: int = PART_BYTES
