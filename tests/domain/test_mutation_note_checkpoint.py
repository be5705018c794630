"""Signed notes and checkpoints: each refusal names the check that failed, and limits hold
exactly at their edges (the mutation run, docs/testing.md, found these unpinned).

A witness, an auditor or an operator loading a key reads the ``detail`` of the refusal;
"bad base64" and "key ID does not match" call for different fixes, so the reason is part
of the contract and is compared whole here.
"""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from caveat.domain.errors import InvalidInput
from caveat.domain.ledger import checkpoint as cp
from caveat.domain.ledger import merkle, note

GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_SIG = (
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
)
GO_NOTE = GO_TEXT + "\n\u2014 PeterNeumann " + GO_SIG + "\n"
GO = note.verifier_from_vkey(GO_VKEY)


def _vkey(algorithm: int, key: bytes, name: str = "PeterNeumann", key_id: int | None = None) -> str:
    if key_id is None:
        key_id = note.key_id(name, algorithm, key)
    material = base64.b64encode(bytes([algorithm]) + key).decode("ascii")
    return f"{name}+{key_id:08x}+{material}"


RAW = base64.b64decode(GO_VKEY.split("+", 2)[2])[1:]


@pytest.mark.parametrize(
    ("vkey", "detail"),
    [
        pytest.param("PeterNeumann+c74f20a3", "malformed verifier key", id="two-parts"),
        pytest.param(
            GO_VKEY.replace("c74f20a3", "c74f20a"), "malformed verifier key", id="short-id"
        ),
        pytest.param(
            GO_VKEY.replace("+ARpc", "+ARp!"), "malformed verifier key: bad base64", id="base64"
        ),
        pytest.param(
            GO_VKEY[:-4],
            "malformed verifier key: expected one type byte and a 32-byte key",
            id="short-key",
        ),
        pytest.param(
            GO_VKEY + "AAAA",
            "malformed verifier key: expected one type byte and a 32-byte key",
            id="long-key",
        ),
        pytest.param(_vkey(0x02, RAW), "unsupported verifier key type 0x02", id="type-2"),
        pytest.param(
            _vkey(0x01, RAW, key_id=0xC74F20A4),
            "verifier key ID does not match its name and key",
            id="wrong-id",
        ),
    ],
)
def test_malformed_verifier_keys_are_refused_with_the_reason(vkey: str, detail: str) -> None:
    with pytest.raises(note.InvalidKey) as caught:
        note.verifier_from_vkey(vkey)
    assert caught.value.detail == detail
    assert caught.value.code == "note_key_invalid"


def test_verifier_keys_of_both_types_round_trip() -> None:
    ed = note.verifier_from_vkey(GO_VKEY)
    assert type(ed) is note.Ed25519Verifier
    assert (ed.name, ed.key_id, ed.vkey) == ("PeterNeumann", 0xC74F20A3, GO_VKEY)
    cosig = note.verifier_from_vkey(_vkey(0x04, RAW))
    assert type(cosig) is note.CosignatureV1Verifier
    assert cosig.vkey == _vkey(0x04, RAW)


@pytest.mark.parametrize("name", ["", "a b", "a+b", "tab\tname", "bell\aname", "nl\nname"])
def test_bad_key_names_are_refused_by_name(name: str) -> None:
    with pytest.raises(note.InvalidKey) as caught:
        note.check_key_name(name)
    assert caught.value.detail == f"key name {name!r} must be non-empty, without spaces or '+'"


def test_good_key_names_pass() -> None:
    for name in ("a", "log.example/path", "caf\u00e9", "x-y_z:1"):
        note.check_key_name(name)


def test_signature_checks_name_the_failure() -> None:
    with pytest.raises(note.NoteVerificationError) as caught:
        GO.verify(GO_TEXT, b"\x00" * 63)
    assert caught.value.detail == "signature by PeterNeumann has the wrong length"
    with pytest.raises(note.NoteVerificationError) as caught:
        GO.verify(GO_TEXT, b"\x00" * 64)
    assert caught.value.detail == "signature by PeterNeumann does not verify"


@pytest.mark.parametrize(
    ("message", "detail"),
    [
        pytest.param(GO_TEXT, "note has no signature block", id="no-block"),
        pytest.param(GO_NOTE[:-1], "note has no signature block", id="no-final-newline"),
        pytest.param(GO_NOTE.replace("\u2014 ", "- "), "malformed signature line", id="hyphen"),
        pytest.param(
            GO_NOTE.replace("PeterNeumann ", "PeterNeumann"), "malformed signature line", id="sep"
        ),
        pytest.param(
            GO_NOTE.replace(GO_SIG, GO_SIG + "!"), "malformed signature line", id="base64"
        ),
        pytest.param(
            GO_NOTE.replace("\u2014 PeterNeumann", "\u2014 Peter+Neumann"),
            "malformed signature line",
            id="bad-name",
        ),
        pytest.param(
            GO_NOTE.replace(GO_SIG, "AAAAAA=="), "malformed signature line", id="four-bytes"
        ),
        pytest.param(
            GO_NOTE.replace(GO_SIG, GO_SIG[:-2] + "N="),
            "malformed signature line",
            id="non-canonical-base64",
        ),
        pytest.param(
            GO_NOTE.replace("problem,", "problem,\t"),
            "note contains control characters",
            id="tab",
        ),
        pytest.param(
            GO_NOTE.encode()[:-5] + b"\xff\n", "note is not valid UTF-8", id="invalid-utf8"
        ),
        pytest.param(
            GO_NOTE + GO_NOTE.split("\n\n")[1], "note is signed twice by PeterNeumann", id="twice"
        ),
        pytest.param(
            GO_NOTE.replace("answer", "Answer"),
            "signature by PeterNeumann does not verify",
            id="altered",
        ),
    ],
)
def test_malformed_notes_are_refused_with_the_reason(message: str | bytes, detail: str) -> None:
    with pytest.raises(note.NoteVerificationError) as caught:
        note.open_note(message, [GO])
    assert caught.value.detail == detail


def test_a_five_byte_signature_blob_is_a_signature_line() -> None:
    # Four bytes of key ID and one of signature: parsed, then ignored as unknown.
    extra = "\u2014 other " + base64.b64encode(b"\x00\x00\x00\x01\x02").decode() + "\n"
    opened = note.open_note(GO_NOTE + extra, [GO])
    assert [(s.name, s.key_id, s.signature) for s in opened.unverified] == [("other", 1, b"\x02")]


def test_note_size_limit_is_exact_for_text_and_bytes() -> None:
    signer = note.Ed25519Signer.generate("n")

    def signed(length: int) -> str:
        return note.sign_note("x" * (length - 1) + "\n", [signer])

    overhead = len(signed(2)) - 2
    for encode in (False, True):
        # A text is counted in characters, bytes in bytes (the em dash is three).
        extra = 2 if encode else 0
        at_limit = signed(note.MAX_NOTE_BYTES - overhead - extra)
        over = signed(note.MAX_NOTE_BYTES - overhead - extra + 1)
        good: str | bytes = at_limit.encode() if encode else at_limit
        bad: str | bytes = over.encode() if encode else over
        assert len(good) == note.MAX_NOTE_BYTES
        assert note.open_note(good, [signer.verifier()]).text.startswith("xxx")
        with pytest.raises(note.NoteVerificationError) as caught:
            note.open_note(bad, [signer.verifier()])
        assert caught.value.detail == "note is too large"


def test_signature_count_limit_is_exact() -> None:
    signer = note.Ed25519Signer.generate("n")
    base = note.sign_note("t\n", [signer])

    def others(count: int) -> str:
        return "".join(note.Signature(f"o{i}", i, b"\x01" * 64).line() + "\n" for i in range(count))

    full = base + others(note.MAX_SIGNATURES - 1)
    assert len(note.open_note(full, [signer.verifier()]).unverified) == note.MAX_SIGNATURES - 1
    with pytest.raises(note.NoteVerificationError) as caught:
        note.open_note(base + others(note.MAX_SIGNATURES), [signer.verifier()])
    assert caught.value.detail == "note has too many signatures"


def test_open_note_refuses_ambiguous_trust_and_untrusted_notes() -> None:
    with pytest.raises(InvalidInput) as caught:
        note.open_note(GO_NOTE, [GO, note.verifier_from_vkey(GO_VKEY)])
    assert caught.value.detail == "two trusted keys share the name and ID of PeterNeumann"
    other = note.Ed25519Signer.generate("other").verifier()
    with pytest.raises(note.NoteVerificationError) as unverified:
        note.open_note(GO_NOTE, [other])
    assert unverified.value.detail == "note has no signature from a trusted key"
    opened = note.open_note(GO_NOTE, [other, GO])
    assert opened == note.OpenedNote(GO_TEXT, opened.verified, ())
    assert opened.verified[0].line() == GO_NOTE.split("\n\n")[1][:-1]


def test_note_text_refusals_name_the_rule() -> None:
    signer = note.Ed25519Signer.generate("n")
    for text, detail in [
        ("no newline", "note text must end with a newline"),
        ("bell\a\n", "note text must not contain control characters"),
        ("tab\there\n", "note text must not contain control characters"),
    ]:
        with pytest.raises(InvalidInput) as caught:
            note.sign_note(text, [signer])
        assert caught.value.detail == detail
    with pytest.raises(InvalidInput) as caught:
        note.sign_note("t\n", [])
    assert caught.value.detail == "a note needs at least one signer"
    # Newlines inside the text are allowed: a checkpoint is several lines.
    message = note.sign_note("a\nb\n\nc\n", [signer])
    assert note.open_note(message, [signer.verifier()]).text == "a\nb\n\nc\n"


def test_signer_round_trips_through_its_secret_key() -> None:
    signer = note.Ed25519Signer.generate("log.example")
    again = note.Ed25519Signer.from_skey(signer.skey())
    assert (again.name, again.key_id) == (signer.name, signer.key_id)
    assert again.sign("t\n") == signer.sign("t\n")
    prefix = f"PRIVATE+KEY+log.example+{signer.key_id:08x}+"
    assert signer.skey().startswith(prefix)
    assert base64.b64decode(signer.skey().removeprefix(prefix))[0] == note.ALG_ED25519


# --- checkpoints --------------------------------------------------------------------

ROOT = merkle.EMPTY_ROOT
ROOT_B64 = base64.b64encode(ROOT).decode()


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        (f"o\n0\n{ROOT_B64}", "checkpoint text must end with a newline"),
        ("o\n0\n", "checkpoint needs origin, size and root hash lines"),
        (f"o\n00\n{ROOT_B64}\n", "checkpoint size must be decimal without leading zeros"),
        (f"o\n{'9' * 21}\n{ROOT_B64}\n", "checkpoint size must be decimal without leading zeros"),
        (f"o\n{2**64}\n{ROOT_B64}\n", "checkpoint tree size is out of range"),
        (f"o\n1\n{ROOT_B64}!\n", "checkpoint root hash is not base64"),
        (f"o\n1\n{ROOT_B64[:-2]}V=\n", "checkpoint root hash is not canonical base64"),
        ("o\n1\nV3JvbmdSb290\n", "checkpoint root hash must be 32 bytes"),
        (f"\n1\n{ROOT_B64}\n", "checkpoint origin must be a non-empty line"),
        (f"o\n1\n{ROOT_B64}\n\n", "checkpoint extension lines must be non-empty lines"),
        (f"o\n1\n{ROOT_B64}\nx\ty\n", "checkpoint extension lines must be non-empty lines"),
    ],
)
def test_malformed_checkpoint_bodies_are_refused_with_the_reason(text: str, detail: str) -> None:
    with pytest.raises(cp.CheckpointError) as caught:
        cp.parse_checkpoint(text)
    assert caught.value.detail == detail
    assert caught.value.code == "checkpoint_invalid"


def test_checkpoint_sizes_at_the_edges_parse() -> None:
    for size in (0, 1, merkle.MAX_TREE_SIZE):
        parsed = cp.parse_checkpoint(f"o\n{size}\n{ROOT_B64}\n")
        assert parsed == cp.Checkpoint("o", size, ROOT)
        assert parsed.body() == f"o\n{size}\n{ROOT_B64}\n"


def test_checkpoint_constructor_refusals_name_the_field() -> None:
    for args, detail in [
        (("", 1, ROOT, ()), "checkpoint origin must be a non-empty line"),
        (("o", -1, ROOT, ()), "checkpoint tree size is out of range"),
        (("o", 2**64, ROOT, ()), "checkpoint tree size is out of range"),
        (("o", 1, ROOT[:31], ()), "checkpoint root hash must be 32 bytes"),
        (("o", 1, ROOT, ("",)), "checkpoint extension lines must be non-empty lines"),
    ]:
        with pytest.raises(InvalidInput) as caught:
            cp.Checkpoint(*args)
        assert caught.value.detail == detail


def test_open_checkpoint_refusals_name_the_failure() -> None:
    log = note.Ed25519Signer.generate("caveat.example/log")
    body = cp.Checkpoint("caveat.example/log", 3, ROOT, ("ext",))
    signed = cp.sign_checkpoint(body, log)
    with pytest.raises(cp.CheckpointError) as caught:
        cp.open_checkpoint(
            signed.replace("\n3\n", "\n4\n"), origin=body.origin, log_verifier=log.verifier()
        )
    assert caught.value.detail == (
        "checkpoint signature check failed: signature by caveat.example/log does not verify"
    )
    with pytest.raises(cp.CheckpointError) as caught:
        cp.open_checkpoint(signed, origin="other", log_verifier=log.verifier())
    assert caught.value.detail == "checkpoint is for 'caveat.example/log', not 'other'"
    # A body that is not a checkpoint, signed by the log, is refused as a checkpoint.
    odd = note.sign_note("caveat.example/log\nthree\n", [log])
    with pytest.raises(cp.CheckpointError) as caught:
        cp.open_checkpoint(odd, origin=body.origin, log_verifier=log.verifier())
    assert caught.value.detail == "checkpoint needs origin, size and root hash lines"


def test_cosignatures_are_the_trusted_signatures_other_than_the_log() -> None:
    log = note.Ed25519Signer.generate("log")
    key = Ed25519PrivateKey.generate()
    w1 = note.CosignatureV1Signer("w1", key, timestamp=7)
    w2 = note.CosignatureV1Signer("w2", Ed25519PrivateKey.generate(), timestamp=8)
    body = cp.Checkpoint("log", 1, ROOT)
    message = note.add_signatures(cp.sign_checkpoint(body, log), [w1, w2])
    opened = cp.open_checkpoint(
        message, origin="log", log_verifier=log.verifier(), cosigners=[w1.verifier()]
    )
    assert opened.checkpoint == body
    assert [(s.name, s.key_id) for s in opened.cosignatures] == [("w1", w1.key_id)]
    # The log's own key as an Ed25519 key under another name is not the log.
    impostor = note.Ed25519Signer("log", key)
    with pytest.raises(cp.CheckpointError) as caught:
        cp.open_checkpoint(
            note.sign_note(body.body(), [impostor]),
            origin="log",
            log_verifier=log.verifier(),
            cosigners=[impostor.verifier()],
        )
    assert caught.value.detail == "checkpoint is not signed by its log"


def test_stray_characters_in_key_base64_are_bad_base64() -> None:
    # A character outside the alphabet is refused as such, not skipped (validate=True):
    # skipping it would leave a well-formed key one character shorter.
    with pytest.raises(note.InvalidKey) as caught:
        note.verifier_from_vkey(GO_VKEY.replace("+ARpc", "+AR!pc"))
    assert caught.value.detail == "malformed verifier key: bad base64"
    skey = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
    with pytest.raises(note.InvalidKey) as caught:
        note.Ed25519Signer.from_skey(skey.replace("+AYEK", "+AY!EK"))
    assert caught.value.detail == "malformed signer key: bad base64"


def test_a_note_whose_text_is_one_empty_line_round_trips() -> None:
    # The signature block then starts at index 0 of "\n\n": still a block, not none.
    signer = note.Ed25519Signer.generate("n")
    message = note.sign_note("\n", [signer])
    assert message.startswith("\n\n\u2014 n ")
    assert note.open_note(message, [signer.verifier()]).text == "\n"
