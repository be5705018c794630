"""The cryptographic operations of a package, each a vetted construction from
``cryptography``, computed exactly as the OpenTDF reference SDKs compute them.

Sources (opentdf/platform at 053f7e5d, opentdf/java-sdk at 57d070b0):

- payload segments: AES-256-GCM, a fresh random 96-bit nonce per segment, stored as
  ``nonce || ciphertext || tag`` (platform ``lib/ocrypto/aes_gcm.go`` ``Encrypt``, Go's
  ``cipher.NewGCMWithRandomNonce``); no associated data.
- segment hash ``GMAC``: the segment's 16-byte GCM tag, its last 16 bytes
  (platform ``sdk/tdf.go`` ``calculateSignature``; java-sdk ``TDF.calculateSignature``).
- root signature ``HS256``: HMAC-SHA256 under the payload key over the segment hashes'
  raw bytes in order (``sdk/tdf.go`` ``CreateTDFContext``, ``validateRootSignature``).
- policy binding: base64 of the lowercase hex of HMAC-SHA256 under the key over the
  base64 policy string (``sdk/tdf.go`` ``prepareManifest``; the spec's manifest example
  carries this hex form too).
- ``ec-wrapped``: an ephemeral P-256 key, ECDH with the recipient's key, HKDF-SHA256 with
  salt SHA-256("TDF"), empty info, 32 bytes; AES-256-GCM of the payload key under the
  result, again ``nonce || ciphertext || tag``; the ephemeral public key as an SPKI PEM
  (``sdk/tdf.go`` ``generateWrapKeyWithEC`` and ``tdfSalt``, ``lib/ocrypto/ec_key_pair.go``
  ``CalculateHKDF``, ``lib/ocrypto/asym_decryption.go`` ``DecryptWithEphemeralKey``;
  java-sdk ``TDF.createECWrappedKey`` and ``ECKeyPair.calculateHKDF``).
"""

from __future__ import annotations

import hashlib
import os

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, hmac, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from caveat.adapters.tdf._encoding import b64encode, b64url_encode, canonical_json

KEY_SIZE = 32  # AES-256
NONCE_SIZE = 12  # GCM's standard 96-bit nonce
TAG_SIZE = 16  # GCM's full 128-bit tag
SEGMENT_OVERHEAD = NONCE_SIZE + TAG_SIZE
WRAPPED_KEY_SIZE = NONCE_SIZE + KEY_SIZE + TAG_SIZE
TDF_SALT = hashlib.sha256(b"TDF").digest()


class UnwrapFailed(Exception):
    """The wrapped key does not open under the reader's key (wrong key or altered)."""


def new_key() -> bytes:
    """A fresh payload key (DEK)."""
    return AESGCM.generate_key(bit_length=256)


def xor_splits(a: bytes, b: bytes) -> bytes:
    """The XOR of two key splits (the spec's split scheme; platform ``sdk/tdf.go``
    computes the payload key so)."""
    if len(a) != len(b):
        raise ValueError("key splits differ in length")
    return bytes(x ^ y for x, y in zip(a, b, strict=True))


def seal(key: bytes, plaintext: bytes) -> bytes:
    """AES-256-GCM with a random nonce, as ``nonce || ciphertext || tag``."""
    nonce = os.urandom(NONCE_SIZE)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, None)


def open_sealed(key: bytes, sealed: bytes | memoryview) -> bytes:
    """The inverse of :func:`seal`; raises ``InvalidTag`` when anything was altered."""
    if len(sealed) < SEGMENT_OVERHEAD:
        raise InvalidTag
    return AESGCM(key).decrypt(sealed[:NONCE_SIZE], sealed[NONCE_SIZE:], None)


def segment_hash(sealed_segment: bytes | memoryview) -> bytes:
    """The ``GMAC`` segment hash: the sealed segment's GCM tag."""
    return bytes(sealed_segment[-TAG_SIZE:])


def hmac_sha256(key: bytes, data: bytes) -> bytes:
    """HMAC-SHA256 (RFC 2104)."""
    mac = hmac.HMAC(key, hashes.SHA256())
    mac.update(data)
    return mac.finalize()


def hmac_sha256_matches(key: bytes, data: bytes, expected: bytes) -> bool:
    """Whether HMAC-SHA256 of ``data`` is ``expected`` (compared in constant time)."""
    mac = hmac.HMAC(key, hashes.SHA256())
    mac.update(data)
    try:
        mac.verify(expected)
    except InvalidSignature:
        return False
    return True


def policy_binding(key: bytes, policy_b64: str) -> str:
    """The policy binding's hash field: base64 of the hex HMAC of the base64 policy."""
    return b64encode(hmac_sha256(key, policy_b64.encode("ascii")).hex().encode("ascii"))


def derive_wrapping_key(
    private_key: ec.EllipticCurvePrivateKey, peer: ec.EllipticCurvePublicKey, salt: bytes
) -> bytes:
    """ECDH (the shared point's x coordinate) then HKDF-SHA256 to 32 bytes, empty info."""
    shared = private_key.exchange(ec.ECDH(), peer)
    return HKDF(algorithm=hashes.SHA256(), length=KEY_SIZE, salt=salt, info=None).derive(shared)


def is_p256(key: ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey) -> bool:
    """Whether the key is on NIST P-256 (secp256r1), the only curve packages use."""
    return isinstance(key.curve, ec.SECP256R1)


def ephemeral_pem(key: ec.EllipticCurvePublicKey) -> str:
    """The SPKI PEM of a public key, as Go's ``pem.EncodeToMemory`` writes it."""
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def wrap_key(recipient: ec.EllipticCurvePublicKey, key: bytes) -> tuple[bytes, str]:
    """``ec-wrapped``: the wrapped payload key and the ephemeral public key's PEM."""
    ephemeral = ec.generate_private_key(ec.SECP256R1())
    wrapping = derive_wrapping_key(ephemeral, recipient, TDF_SALT)
    return seal(wrapping, key), ephemeral_pem(ephemeral.public_key())


def unwrap_key(
    recipient: ec.EllipticCurvePrivateKey, wrapped: bytes, ephemeral: ec.EllipticCurvePublicKey
) -> bytes:
    """The payload key from an ``ec-wrapped`` key access object; UnwrapFailed if it
    does not open under ``recipient``."""
    wrapping = derive_wrapping_key(recipient, ephemeral, TDF_SALT)
    try:
        key = open_sealed(wrapping, wrapped)
    except InvalidTag:
        raise UnwrapFailed from None
    if len(key) != KEY_SIZE:
        raise UnwrapFailed
    return key


def key_id(key: ec.EllipticCurvePublicKey) -> str:
    """The RFC 7638 JWK thumbprint (SHA-256, base64url) of a P-256 public key: the
    ``kid`` of the key access object, so a reader knows a package is for its key."""
    numbers = key.public_numbers()
    size = (key.curve.key_size + 7) // 8
    jwk = {
        "crv": "P-256",
        "kty": "EC",
        "x": b64url_encode(numbers.x.to_bytes(size, "big")),
        "y": b64url_encode(numbers.y.to_bytes(size, "big")),
    }
    return b64url_encode(hashlib.sha256(canonical_json(jwk)).digest())
