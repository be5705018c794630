"""JWS compact serialisation (RFC 7515 section 7.1) for assertion bindings, with two
algorithms: ``Ed25519`` (RFC 9864 section 2.2, the fully specified name of RFC 8037's
EdDSA over Ed25519, which RFC 9864 deprecates) and ``HS256`` (RFC 7518 section 3.2). The
signatures are ``cryptography``'s; this module only joins the parts.

Parsing is strict: the protected header may name ``alg`` and ``typ`` (``JWT``, as both
reference SDKs write) and nothing else. Keys never come from the token: a header that
carries ``jwk``, ``x5c``, ``kid`` or ``crit`` is refused, where the reference SDKs would
verify with a key the token brings along (platform ``sdk/assertion.go`` ``Verify``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from caveat.adapters.tdf._crypto import hmac_sha256, hmac_sha256_matches
from caveat.adapters.tdf._encoding import (
    b64url_decode,
    b64url_encode,
    canonical_json,
    parse_json,
)
from caveat.adapters.tdf._errors import TdfError

ED25519 = "Ed25519"  # RFC 9864
EDDSA = "EdDSA"  # RFC 8037, deprecated by RFC 9864: signed only to check RFC 8037's vector
HS256 = "HS256"
_HEADER_NAMES = {"alg", "typ"}


@dataclass(frozen=True, slots=True)
class Token:
    """A parsed compact JWS: its header, payload, the bytes signed and the signature."""

    header: dict[str, Any]
    payload: bytes
    signing_input: bytes
    signature: bytes

    @property
    def alg(self) -> str:
        """The header's ``alg``."""
        return str(self.header["alg"])


def sign(header: dict[str, Any], payload: bytes, key: Ed25519PrivateKey | bytes) -> str:
    """A compact JWS of ``payload``; ``key`` is an Ed25519 key for ``Ed25519`` (or
    ``EdDSA``) or the HMAC key for ``HS256``, as ``header["alg"]`` says."""
    signing_input = (b64url_encode(canonical_json(header)) + "." + b64url_encode(payload)).encode(
        "ascii"
    )
    alg = header["alg"]
    if alg in {ED25519, EDDSA} and isinstance(key, Ed25519PrivateKey):
        signature = key.sign(signing_input)
    elif alg == HS256 and isinstance(key, bytes):
        signature = hmac_sha256(key, signing_input)
    else:
        raise ValueError(f"cannot sign {alg} with {type(key).__name__}")
    return signing_input.decode("ascii") + "." + b64url_encode(signature)


def parse(token: object, *, error: type[TdfError]) -> Token:
    """Split and decode a compact JWS; anything but the strict form is ``error``."""
    if not isinstance(token, str) or not token.isascii():
        raise error("the binding is not a compact JWS")
    parts = token.split(".")
    if len(parts) != 3:
        raise error("the binding is not a compact JWS")
    header = parse_json(
        b64url_decode(parts[0], "JWS header", error=error), "JWS header", error=error
    )
    if not isinstance(header, dict) or "alg" not in header or not set(header) <= _HEADER_NAMES:
        raise error("the JWS header may name only alg and typ")
    if not isinstance(header["alg"], str) or header.get("typ", "JWT") != "JWT":
        raise error("the JWS header's alg or typ is not valid")
    return Token(
        header=header,
        payload=b64url_decode(parts[1], "JWS payload", error=error),
        signing_input=(parts[0] + "." + parts[1]).encode("ascii"),
        signature=b64url_decode(parts[2], "JWS signature", error=error),
    )


def verify_ed25519(token: Token, keys: Sequence[Ed25519PublicKey]) -> Ed25519PublicKey | None:
    """The key among ``keys`` whose Ed25519 signature this is, or None (whatever the
    header's ``alg``: the caller decides which it accepts)."""
    for key in keys:
        try:
            key.verify(token.signature, token.signing_input)
        except InvalidSignature:
            continue
        return key
    return None


def verify_hs256(token: Token, key: bytes) -> bool:
    """Whether this is the HS256 signature under ``key``."""
    return hmac_sha256_matches(key, token.signing_input, token.signature)
