"""Known answers from outside sources, and an independent reading of a package.

No expected value here was computed with the code under test:

- assertion hashes: opentdf/platform ``sdk/assertion_test.go`` at
  053f7e5d753d499de95da941aa3a1ace54617fe7, ``TestTDFWithAssertion`` and
  ``TestTDFWithAssertionJsonObject`` (the Go SDK's ``Assertion.GetHash``);
- the ec-wrapped key derivation (ECDH, then HKDF-SHA256 with empty info): opentdf/java-sdk
  ``sdk/src/test/java/io/opentdf/platform/sdk/ECKeyPairTest.java`` at
  57d070b075a9134a11f8926b8898ac19b8cb6718, ``testECDH`` (its keys, salt ``L1L``);
- JWS: RFC 8037 Appendix A.4 (EdDSA over Ed25519, with the key of A.1) and RFC 7515
  Appendix A.1 (HS256);
- the policy binding's form: the spec's own manifest example (opentdf/spec
  ``schema/OpenTDF/manifest.md`` at 7a4ed269a65f8485495178d6072f697602f05598).

Vectors of our own packages are checked by independent implementations instead: joserfc
(an RFC 7515/7638/8037 library that shares no code with Caveat) verifies the bindings
and computes the key thumbprint, and a reader written here from the reference SDK's
formulas, on ``cryptography``'s primitives, opens a package without Caveat's reader.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import zipfile
from typing import Any

import rfc8785
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from joserfc import jws
from joserfc.jwk import ECKey, OKPKey

from caveat.adapters.tdf import key_id
from caveat.adapters.tdf._assertions import assertion_hash
from caveat.adapters.tdf._crypto import derive_wrapping_key
from caveat.adapters.tdf._errors import TdfTampered
from caveat.adapters.tdf._jws import parse, sign, verify_ed25519, verify_hs256
from tests.federation.tdf.support import SMALL, Parties, package

# --- opentdf/platform sdk/assertion_test.go ------------------------------------------

GO_STANAG_5636_VALUE = (
    '{"ocl":{"pol":"62c76c68-d73d-4628-8ccc-4c1e18118c22","cls":"SECRET","catl":[{"type":"P",'
    '"name":"Releasable To","vals":["usa"]}],"dcr":"2024-10-21T20:47:36Z"},"context":{"@base":'
    '"urn:nato:stanag:5636:A:1:elements:json"}}'
)
GO_JSON_OBJECT_VALUE = (  # a Go raw string: tabs and newlines are part of the value
    '{\n\t\t"ocl": {\n\t\t\t"pol": "2ccf11cb-6c9a-4e49-9746-a7f0a295945d",\n\t\t\t"cls": '
    '"SECRET",\n\t\t\t"catl": [\n\t\t\t\t{\n\t\t\t\t\t"type": "P",\n\t\t\t\t\t"name": '
    '"Releasable To",\n\t\t\t\t\t"vals": ["usa"]\n\t\t\t\t}\n\t\t\t],\n\t\t\t"dcr": '
    '"2024-12-17T13:00:52Z"\n\t\t},\n\t\t"context": {\n\t\t\t"@base": '
    '"urn:nato:stanag:5636:A:1:elements:json"\n\t\t}\n\t}'
)


def test_assertion_hash_matches_the_go_sdk() -> None:
    assertion = {
        "id": "424ff3a3-50ca-4f01-a2ae-ef851cd3cac0",
        "type": "handling",
        "scope": "tdo",
        "appliesToState": "encrypted",
        "statement": {
            "format": "json+stanag5636",
            "schema": "urn:nato:stanag:5636:A:1:elements:json",
            "value": GO_STANAG_5636_VALUE,
        },
        "binding": {"method": "jws", "signature": "not part of the hash"},
    }
    expected = "4a447a13c5a32730d20bdf7feecb9ffe16649bc731914b574d80035a3927f860"
    assert assertion_hash(assertion).hex() == expected


def test_assertion_hash_matches_the_go_sdk_without_optional_fields() -> None:
    # AppliesToState "" and Schema "" are left out by the Go SDK's omitempty.
    assertion = {
        "id": "ab43266781e64b51a4c52ffc44d6152c",
        "type": "handling",
        "scope": "payload",
        "statement": {"format": "json-structured", "value": GO_JSON_OBJECT_VALUE},
    }
    expected = "722dd40a90a0f7ec718fb156207a647e64daa43c0ae1f033033473a172c72aee"
    assert assertion_hash(assertion).hex() == expected


# --- opentdf/java-sdk ECKeyPairTest.testECDH -----------------------------------------

JAVA_SDK_PUBLIC = b"""-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEXe/Hn2kGc/y1HG5QXDXxor3KbqsW
vFlGGlVDK1RD4qD1HlO8vaXb+JAqNsY31wgbcTNn2TxcV4KR2R7MO2Xgcg==
-----END PUBLIC KEY-----
"""
JAVA_SDK_PRIVATE = b"""-----BEGIN PRIVATE KEY-----
MIGTAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBHkwdwIBAQQgKsp9nL8iG6Yd/qOX
DjuArDwjJWhOkHCAmucdwArx1TGgCgYIKoZIzj0DAQehRANCAARd78efaQZz/LUc
blBcNfGivcpuqxa8WUYaVUMrVEPioPUeU7y9pdv4kCo2xjfXCBtxM2fZPFxXgpHZ
Hsw7ZeBy
-----END PRIVATE KEY-----"""
JAVA_KAS_PUBLIC = b"""-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEC4Wmdb7smRiIeA/Zkua2TNj9kySE
8Q2MaJ0kQX9GFePqi5KNDVnjBxQrkHXSTGB7Z/SrRny9vxgo86FT+1aXMQ==
-----END PUBLIC KEY-----"""
JAVA_KAS_PRIVATE = b"""-----BEGIN PRIVATE KEY-----
MIGTAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBHkwdwIBAQQg2Wgo3sPikn/fj9uU
/cU+F4I2rRyOit9/s3fNjHVLxgugCgYIKoZIzj0DAQehRANCAAQLhaZ1vuyZGIh4
D9mS5rZM2P2TJITxDYxonSRBf0YV4+qLko0NWeMHFCuQddJMYHtn9KtGfL2/GCjz
oVP7Vpcx
-----END PRIVATE KEY-----"""


def _private(pem: bytes) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return key


def _public(pem: bytes) -> ec.EllipticCurvePublicKey:
    key = serialization.load_pem_public_key(pem)
    assert isinstance(key, ec.EllipticCurvePublicKey)
    return key


def test_the_wrapping_key_derivation_matches_the_java_sdk_both_ways() -> None:
    expected = "3KGgsptHbTsbxJtql6sHUcx255KcUhxdeJWKjmPMlcc="
    sender = derive_wrapping_key(_private(JAVA_SDK_PRIVATE), _public(JAVA_KAS_PUBLIC), b"L1L")
    receiver = derive_wrapping_key(_private(JAVA_KAS_PRIVATE), _public(JAVA_SDK_PUBLIC), b"L1L")
    assert base64.b64encode(sender).decode() == expected
    assert base64.b64encode(receiver).decode() == expected


# --- RFC 8037 A.4 and RFC 7515 A.1 ---------------------------------------------------


def _b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


RFC8037_D = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"
RFC8037_JWS = (
    "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PG"
    "cvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"
)
RFC7515_A1_KEY = (
    "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"
)
RFC7515_A1_JWS = (
    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogI"
    "mh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
)


def test_ed25519_signatures_match_rfc_8037() -> None:
    # RFC 8037 names the algorithm EdDSA; RFC 9864 renames it Ed25519, same signature.
    key = Ed25519PrivateKey.from_private_bytes(_b64url(RFC8037_D))
    assert sign({"alg": "EdDSA"}, b"Example of Ed25519 signing", key) == RFC8037_JWS
    token = parse(RFC8037_JWS, error=TdfTampered)
    assert verify_ed25519(token, [key.public_key()]) == key.public_key()
    assert verify_ed25519(token, [Ed25519PrivateKey.generate().public_key()]) is None


def test_hs256_signatures_match_rfc_7515() -> None:
    token = parse(RFC7515_A1_JWS, error=TdfTampered)
    assert token.header == {"typ": "JWT", "alg": "HS256"}
    assert verify_hs256(token, _b64url(RFC7515_A1_KEY))
    assert not verify_hs256(token, _b64url(RFC7515_A1_KEY)[:-1] + b"\x00")


def test_the_spec_example_carries_the_policy_binding_in_our_form() -> None:
    spec_example = (
        "ZGMwNGExZjg0ODFjNDEzZTk5NjdkZmI5MWFjN2Y1MzI0MTliNjM5MmRlMTlhYWM0NjNjN2VjYTVkOTJlODcwNA=="
    )
    text = base64.b64decode(spec_example).decode("ascii")
    assert len(text) == 64
    assert int(text, 16) >= 0
    assert text == text.lower()


# --- independent implementations -----------------------------------------------------


def test_joserfc_computes_the_same_key_id(parties: Parties) -> None:
    public = parties.recipient.public_key()
    pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert key_id(public) == ECKey.import_key(pem).thumbprint()


def _unzip(data: bytes) -> tuple[bytes, dict[str, Any]]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return zf.read("0.payload"), json.loads(zf.read("0.manifest.json"))


def test_joserfc_verifies_every_binding_of_a_signed_package(parties: Parties) -> None:
    _, manifest = _unzip(package(b"x" * (SMALL + 5), parties))
    signer = OKPKey.import_key(
        parties.signer.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    segments = manifest["encryptionInformation"]["integrityInformation"]["segments"]
    aggregate = b"".join(base64.b64decode(s["hash"]) for s in segments)
    for assertion in manifest["assertions"]:
        token = jws.deserialize_compact(
            assertion["binding"]["signature"], signer, algorithms=["Ed25519"]
        )
        claims = json.loads(token.payload)
        unbound = {k: v for k, v in assertion.items() if k != "binding"}
        digest = hashlib.sha256(rfc8785.dumps(unbound)).digest()
        assert claims == {
            "assertionHash": digest.hex(),
            "assertionSig": base64.b64encode(aggregate + digest).decode(),
        }


def test_a_reader_written_from_the_reference_formulas_opens_a_package(parties: Parties) -> None:
    """Everything recomputed here as platform sdk/tdf.go computes it (see _crypto's
    docstring for the functions), with joserfc for the HS256 bindings."""
    plaintext = bytes(range(256)) * 200
    payload, manifest = _unzip(package(plaintext, parties, signed=False))
    info = manifest["encryptionInformation"]
    kao = info["keyAccess"][0]

    ephemeral = serialization.load_pem_public_key(kao["ephemeralPublicKey"].encode())
    assert isinstance(ephemeral, ec.EllipticCurvePublicKey)
    shared = parties.recipient.exchange(ec.ECDH(), ephemeral)
    salt = hashlib.sha256(b"TDF").digest()
    wrapping = HKDF(hashes.SHA256(), 32, salt, None).derive(shared)
    wrapped = base64.b64decode(kao["wrappedKey"])
    dek = AESGCM(wrapping).decrypt(wrapped[:12], wrapped[12:], None)

    mac = hmac.new(dek, info["policy"].encode(), hashlib.sha256).hexdigest()
    assert kao["policyBinding"] == {"alg": "HS256", "hash": base64.b64encode(mac.encode()).decode()}
    assert json.loads(base64.b64decode(info["policy"]))["uuid"]

    integrity = info["integrityInformation"]
    recovered, offset, tags = b"", 0, b""
    for segment in integrity["segments"]:
        sealed = payload[offset : offset + segment["encryptedSegmentSize"]]
        offset += segment["encryptedSegmentSize"]
        assert base64.b64decode(segment["hash"]) == sealed[-16:]
        tags += sealed[-16:]
        recovered += AESGCM(dek).decrypt(sealed[:12], sealed[12:], None)
    assert offset == len(payload)
    assert recovered == plaintext
    root = hmac.new(dek, tags, hashlib.sha256).digest()
    assert integrity["rootSignature"] == {"alg": "HS256", "sig": base64.b64encode(root).decode()}

    from joserfc.jwk import OctKey

    for assertion in manifest["assertions"]:
        jws.deserialize_compact(
            assertion["binding"]["signature"], OctKey.import_key(dek), algorithms=["HS256"]
        )
