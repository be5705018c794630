"""Federation: this node's descriptor and the partner nodes it peers with (issue 18).

The entry point of the feature: other features, the API, the web app and the CLI import
from here only (an import-linter contract keeps the modules beside it private)."""

from __future__ import annotations

from caveat.services.federation._outbound import PROTOCOL_ROOT, PeerHello
from caveat.services.federation._peers import FederationService, NodeOrganisation, Peer
from caveat.services.federation._preview import PreviewItem, ReleasePreview
from caveat.services.federation._proof_status import CheckedItem, ProofStatus, ReceivedItems
from caveat.services.federation._proofs import ProofRound, ReleaseProofs
from caveat.services.federation._re_releases import PeerReReleases, ReRelease, ReReleaseLimits
from caveat.services.federation._recalls import PeerRecalls, Recall
from caveat.services.federation._releasing import (
    OUTBOX_FRAMES_MEDIA_TYPE,
    OUTBOX_FRAMES_PATH,
    PROTOCOL_RECHECK,
    PULL_BATCH,
    V1_PULL_BATCH,
    PeerReleases,
    ReceivedItem,
    SentRelease,
    outbox_body,
    outbox_frame_parts,
    outbox_frames,
    outbox_frames_of,
    outbox_json,
)
from caveat.services.federation._requests import (
    PeerCaller,
    PeerRequests,
    SignedRequest,
    header_lines,
)
from caveat.services.federation._splits import KEY_MODES, OFFLINE, SPLIT, OpenedSplit, SplitAnswer
from caveat.services.federation._sync import LinkStatus, PeerSync

__all__ = [
    "KEY_MODES",
    "OFFLINE",
    "OUTBOX_FRAMES_MEDIA_TYPE",
    "OUTBOX_FRAMES_PATH",
    "PROTOCOL_RECHECK",
    "PROTOCOL_ROOT",
    "PULL_BATCH",
    "SPLIT",
    "V1_PULL_BATCH",
    "CheckedItem",
    "FederationService",
    "LinkStatus",
    "NodeOrganisation",
    "OpenedSplit",
    "Peer",
    "PeerCaller",
    "PeerHello",
    "PeerReReleases",
    "PeerRecalls",
    "PeerReleases",
    "PeerRequests",
    "PeerSync",
    "PreviewItem",
    "ProofRound",
    "ProofStatus",
    "ReRelease",
    "ReReleaseLimits",
    "Recall",
    "ReceivedItem",
    "ReceivedItems",
    "ReleasePreview",
    "ReleaseProofs",
    "SentRelease",
    "SignedRequest",
    "SplitAnswer",
    "header_lines",
    "outbox_body",
    "outbox_frame_parts",
    "outbox_frames",
    "outbox_frames_of",
    "outbox_json",
]
