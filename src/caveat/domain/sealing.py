"""Sealing small secrets (TOTP seeds) at rest with AES-256-GCM.

Format: ``v1.`` + base64url(12-byte nonce || ciphertext || tag). The version marker
lets the algorithm change later; the associated data binds a sealed value to its
owner (a person id) so a sealed seed cannot be copied onto another account.
"""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from caveat.domain.errors import IntegrityError

_PREFIX = "v1."
KEY_BYTES = 32


class UnsealFailed(IntegrityError):
    """Raised when a sealed value is malformed, altered, or sealed under another key."""

    code = "unseal_failed"


def seal(key: bytes, plaintext: bytes, *, aad: bytes, nonce: bytes | None = None) -> str:
    """Encrypt and authenticate ``plaintext``; ``aad`` must match on unseal."""
    nonce = nonce if nonce is not None else os.urandom(12)
    ciphertext = AESGCM(key).encrypt(nonce, plaintext, aad)
    return _PREFIX + base64.urlsafe_b64encode(nonce + ciphertext).decode("ascii")


def unseal(key: bytes, sealed: str, *, aad: bytes) -> bytes:
    """Decrypt a value made by :func:`seal`; every failure is one opaque UnsealFailed."""
    if not sealed.startswith(_PREFIX):
        raise UnsealFailed("sealed value has an unknown format")
    try:
        raw = base64.urlsafe_b64decode(sealed[len(_PREFIX) :].encode("ascii"))
        return AESGCM(key).decrypt(raw[:12], raw[12:], aad)
    except (InvalidTag, ValueError) as exc:
        raise UnsealFailed("sealed value failed authentication") from exc
