"""What makes a request from a partner node acceptable (issue 18, ADR 0019).

Every request between nodes is signed with the sender's federation key under RFC 9421
(HTTP Message Signatures). The signature covers the method, path and query, the body
(through its RFC 9530 ``Content-Digest``) and ``Caveat-To``, the receiving node's id, so
a request signed for one node is worthless at another. It carries ``created``,
``expires`` and a ``nonce``: a request older than its expiry, one created in the future,
one valid for longer than :data:`MAX_LIFETIME` and one whose nonce was seen before are
refused. The rules are here; the signature arithmetic is the adapter's.
"""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import datetime, timedelta
from enum import StrEnum

TAG = "caveat-federation/1"  # the RFC 9421 ``tag``: signatures made for this protocol only
AUDIENCE_HEADER = "caveat-to"
COVERED = ("@method", "@path", "@query", "content-digest", AUDIENCE_HEADER)
MAX_LIFETIME = timedelta(minutes=5)  # a signature is good for one exchange, not a session
CLOCK_SKEW = timedelta(seconds=30)  # partner clocks drift; a minute's disagreement is a fault
NONCE = re.compile(r"^[A-Za-z0-9_-]{22,64}$")  # at least 128 bits, base64url


class Refusal(StrEnum):
    """Why a partner's request was refused. Kept in the receiving node's ledger; the
    caller only learns that it was refused, so a forger learns nothing from trying."""

    UNSIGNED = "unsigned"
    MALFORMED = "malformed"
    UNKNOWN_PEER = "unknown_peer"
    PEER_NOT_ACTIVE = "peer_not_active"
    BAD_SIGNATURE = "bad_signature"
    WRONG_AUDIENCE = "wrong_audience"
    DIGEST_MISMATCH = "digest_mismatch"
    NOT_YET_VALID = "not_yet_valid"
    EXPIRED = "expired"
    TOO_LONG = "too_long"
    REPLAY = "replay"


def content_digest(body: bytes) -> str:
    """The RFC 9530 ``Content-Digest`` of ``body`` (SHA-256, a structured-field byte
    sequence)."""
    return f"sha-256=:{base64.b64encode(hashlib.sha256(body).digest()).decode()}:"


def digest_matches(header: str | None, body: bytes) -> bool:
    """Whether ``header`` is exactly the digest this node computes for ``body``.

    Only the one form this protocol sends is accepted (no algorithm negotiation, so no
    downgrade to a weaker one)."""
    return header is not None and header.strip() == content_digest(body)


def window_refusal(created: datetime, expires: datetime, now: datetime) -> Refusal | None:
    """What is wrong with a signature's validity window at ``now``, if anything."""
    if expires <= created:
        return Refusal.MALFORMED
    if expires - created > MAX_LIFETIME:
        return Refusal.TOO_LONG
    if created > now + CLOCK_SKEW:
        return Refusal.NOT_YET_VALID
    if expires < now - CLOCK_SKEW:
        return Refusal.EXPIRED
    return None
