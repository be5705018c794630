"""C2SP signed notes: external known answers, round trips and malformed input."""

from __future__ import annotations

import base64
import hashlib
import struct

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from caveat.domain.errors import InvalidInput
from caveat.domain.ledger import note

# Known answer from golang.org/x/mod/sumdb/note (package doc and example_test.go):
# a deterministic Ed25519 signature that any Go verifier accepts byte for byte.
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_SIG = (
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
)
GO_NOTE = GO_TEXT + "\n\u2014 PeterNeumann " + GO_SIG + "\n"


def test_go_known_answer_signs_byte_for_byte() -> None:
    signer = note.Ed25519Signer.from_skey(GO_SKEY)
    assert signer.skey() == GO_SKEY
    assert signer.verifier().vkey == GO_VKEY
    assert note.sign_note(GO_TEXT, [signer]) == GO_NOTE
    opened = note.open_note(GO_NOTE, [note.verifier_from_vkey(GO_VKEY)])
    assert opened.text == GO_TEXT
    assert [s.name for s in opened.verified] == ["PeterNeumann"]


def test_key_id_by_an_independent_computation() -> None:
    # Decode the Go vkey by hand and recompute SHA-256(name || "\n" || 0x01 || key)[:4]
    # without our helpers; also check the Go signature with `cryptography` directly.
    name, hex_id, material = GO_VKEY.split("+", 2)
    raw = base64.b64decode(material)
    assert raw[0] == 0x01
    assert len(raw) == 33
    digest = hashlib.sha256(name.encode("utf-8") + bytes([0x0A, 0x01]) + raw[1:]).digest()
    (independent,) = struct.unpack(">I", digest[:4])
    assert f"{independent:08x}" == hex_id == "c74f20a3"
    assert note.key_id(name, note.ALG_ED25519, raw[1:]) == independent
    blob = base64.b64decode(GO_SIG)
    assert blob[:4] == bytes.fromhex(hex_id)
    Ed25519PublicKey.from_public_bytes(raw[1:]).verify(blob[4:], GO_TEXT.encode())


def test_round_trip_with_several_signers_and_unknown_keys_ignored() -> None:
    a, b = note.Ed25519Signer.generate("a.example/log"), note.Ed25519Signer.generate("b.example")
    message = note.sign_note("hello\n\nworld\n", [a, b])
    opened = note.open_note(message, [a.verifier()])
    assert opened.text == "hello\n\nworld\n"
    assert [s.name for s in opened.verified] == ["a.example/log"]
    assert [s.name for s in opened.unverified] == ["b.example"]


def test_wrong_key_altered_body_and_unknown_key_only_are_rejected() -> None:
    signer = note.Ed25519Signer.generate("log.example")
    message = note.sign_note("body\n", [signer])
    impostor = note.Ed25519Verifier("log.example", Ed25519PrivateKey.generate().public_key())
    with pytest.raises(note.NoteVerificationError, match="no signature from a trusted key"):
        note.open_note(message, [impostor])  # same name, different key ID: unknown
    with pytest.raises(note.NoteVerificationError, match="does not verify"):
        note.open_note(message.replace("body", "bodY"), [signer.verifier()])
    with pytest.raises(note.NoteVerificationError):
        note.open_note(message, [])


def test_known_key_with_bad_signature_rejects_whole_note() -> None:
    good, bad = note.Ed25519Signer.generate("good"), note.Ed25519Signer.generate("bad")
    message = note.sign_note("body\n", [good])
    forged = note.Signature(bad.name, bad.key_id, b"\x00" * 64).line() + "\n"
    with pytest.raises(note.NoteVerificationError, match="bad"):
        note.open_note(message + forged, [good.verifier(), bad.verifier()])


@pytest.mark.parametrize(
    "message",
    [
        pytest.param("body\n", id="no-signature-block"),
        pytest.param("body\n\n", id="empty-signature-block"),
        pytest.param(GO_NOTE[:-1], id="no-final-newline"),
        pytest.param(GO_NOTE.replace("\u2014 ", "- "), id="hyphen-not-em-dash"),
        pytest.param(GO_NOTE.replace("\u2014 PeterNeumann ", "\u2014 PeterNeumann"), id="no-space"),
        pytest.param(GO_NOTE.replace("AM=", "AM"), id="unpadded-base64"),
        pytest.param(GO_NOTE.replace(GO_SIG, "x08="), id="signature-too-short"),
        pytest.param(GO_NOTE.replace(GO_SIG, GO_SIG + "!"), id="bad-base64"),
        pytest.param(GO_NOTE.replace("Peter", "Pe\tter"), id="control-character"),
        pytest.param(GO_NOTE + GO_NOTE.split("\n\n")[1], id="duplicate-signature"),
        pytest.param(GO_NOTE.encode("utf-8")[:-5] + b"\xff\n", id="invalid-utf8"),
        pytest.param(GO_NOTE + "\n", id="blank-line-after-signatures"),
    ],
)
def test_malformed_notes_are_rejected(message: str | bytes) -> None:
    with pytest.raises(note.NoteVerificationError):
        note.open_note(message, [note.verifier_from_vkey(GO_VKEY)])


def test_too_many_signatures_are_rejected() -> None:
    signer = note.Ed25519Signer.generate("n")
    line = note.Signature("other", 1, b"\x01" * 64).line() + "\n"
    message = note.sign_note("t\n", [signer]) + line * note.MAX_SIGNATURES
    with pytest.raises(note.NoteVerificationError, match="too many"):
        note.open_note(message, [signer.verifier()])


@pytest.mark.parametrize("name", ["", "a b", "a+b", "tab\tname", "nbsp\u00a0name"])
def test_bad_key_names(name: str) -> None:
    with pytest.raises(note.InvalidKey):
        note.Ed25519Signer.generate(name)


@pytest.mark.parametrize(
    "vkey",
    [
        GO_VKEY.replace("c74f20a3", "c74f20a4"),  # ID does not match
        GO_VKEY.replace("c74f20a3", "C74F20A3"),  # hex must be lower case
        GO_VKEY.replace("+ARpc", "+AhPc"),  # unsupported type byte 0x02
        GO_VKEY[:-1],  # truncated key material
        "PeterNeumann+c74f20a3",
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    ],
)
def test_bad_verifier_keys(vkey: str) -> None:
    with pytest.raises(note.InvalidKey):
        note.verifier_from_vkey(vkey)


def test_note_text_rules_when_signing() -> None:
    signer = note.Ed25519Signer.generate("n")
    with pytest.raises(InvalidInput):
        note.sign_note("no newline", [signer])
    with pytest.raises(InvalidInput):
        note.sign_note("bell\a\n", [signer])
    with pytest.raises(InvalidInput):
        note.sign_note("t\n", [])


def test_cosignature_round_trip_and_time_is_signed() -> None:
    log = note.Ed25519Signer.generate("log.example")
    key = Ed25519PrivateKey.generate()
    witness = note.CosignatureV1Signer("witness.example", key, timestamp=1_700_000_000)
    message = note.add_signatures(note.sign_note("body\n", [log]), [witness])
    opened = note.open_note(message, [log.verifier(), witness.verifier()])
    cosig = opened.verified[1]
    assert note.cosignature_timestamp(cosig.signature) == 1_700_000_000
    assert witness.verifier().vkey.split("+")[2].startswith("B")  # type byte 0x04
    # The witness signed "cosignature/v1\ntime <t>\n" + body, checked with `cryptography`.
    expected = b"cosignature/v1\ntime 1700000000\nbody\n"
    key.public_key().verify(cosig.signature[8:], expected)
    shifted = (1_700_000_001).to_bytes(8, "big") + cosig.signature[8:]
    with pytest.raises(note.NoteVerificationError):
        witness.verifier().verify("body\n", shifted)
    # A cosignature key is not an Ed25519 note key: same key, different key ID.
    assert witness.key_id != note.Ed25519Verifier("witness.example", key.public_key()).key_id
