"""C2SP checkpoints: strict parsing, signing, and a real cosigned checkpoint."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from caveat.domain.errors import InvalidInput
from caveat.domain.ledger import checkpoint as cp
from caveat.domain.ledger import merkle, note

# A real checkpoint of the arche2025h1 staging CT log (transparency.dev), with an
# RFC 6962 (type 0x05) signature, an Ed25519 note signature and witness cosignatures
# (type 0x04). Keys are the ones the log and the remora.n621.de witness publish.
ARCHE = "arche2025h1.staging.ct.transparency.dev"
ARCHE_VKEY = f"{ARCHE}+ba2f06c0+AU0vHmlGCS/PdN8b2OaGmKprLI8HKM+dJ472xgFYh15f"
REMORA_VKEY = "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2"
ARCHE_CHECKPOINT = (
    f"{ARCHE}\n1432088532\nU7WM79jrzyhGZ5/GUBTpM7NzwdyfFx61t3RovgcC4Ro=\n\n"
    f"\u2014 {ARCHE} zTM8sQAAAZ5W0WdjBAMARjBEAiBjW5IQf9pvsYLfQFX6hoGREPMHbdQ3urbllzalApkptQIgI"
    "pwtEroeW2BXaHAI4kJXFbon5Ch9MNL5zRNZ55lvGt0=\n"
    f"\u2014 {ARCHE} ui8GwCF1+kWqZrxGdhj4aX3gcw7XUlXQQabg/27lefwhUkzbC3NygNI75MdhL1bfTW9g8Ei59RA"
    "23oHP7Ry1k3ZFWwQ=\n"
    "\u2014 transparency.dev/DEV:witness-little-garden 2AQqhwAAAABqEiEgzgFIqqhbUoDwjMWE6UP8nd8/K"
    "YTzwZ2rhIgcqoXHAwVkjZr4AscylP3v7sEodkRAErumC2q44vdgJY096st5BQ==\n"
    "\u2014 witness1.smartit.nu/witness1 pIyCDwAAAABqEiEghIp82KWebrw7/oHQwlTAm3g2RKS4+eebl8eO0WH"
    "+/iEcxZ75W3u5hNI7TOQtmJbqmNWVuE0tgh0XwzdZsDsUAQ==\n"
    "\u2014 remora.n621.de 2net5wAAAABqEiEgPlfF3V06o0Y+fHM+J5J9s27wgxxcOVSpZ/2g/KSiXCg9DEZI+aVCIob"
    "WX9sXTynk5XeU/zZ0WBxtqB0DrAWfBw==\n"
    "\u2014 witness.stagemole.eu Z/euoAAAAABqEiEgw0i+7g2ENfDAWHmtRzCfKTHSDwYDJA2NmKeGi9Y8FtEyOUvVr"
    "+AJmIY/2TUFucgKi7lI7cUiOvKFYe/TmN9DAg==\n"
)


def test_real_checkpoint_with_log_signature_and_cosignature() -> None:
    log, remora = note.verifier_from_vkey(ARCHE_VKEY), note.verifier_from_vkey(REMORA_VKEY)
    verified = cp.open_checkpoint(
        ARCHE_CHECKPOINT, origin=ARCHE, log_verifier=log, cosigners=[remora]
    )
    assert verified.checkpoint.size == 1432088532
    assert verified.checkpoint.body() == ARCHE_CHECKPOINT.split("\n\n")[0] + "\n"
    assert [s.name for s in verified.cosignatures] == ["remora.n621.de"]
    assert note.cosignature_timestamp(verified.cosignatures[0].signature) == 1779573024
    altered = ARCHE_CHECKPOINT.replace("1432088532", "1432088533")
    with pytest.raises(cp.CheckpointError):
        cp.open_checkpoint(altered, origin=ARCHE, log_verifier=log)


def test_sign_and_open_round_trip_with_witness() -> None:
    log = note.Ed25519Signer.generate("caveat.example/log")
    root = merkle.root_from_leaf_hashes([merkle.leaf_hash(b"a")])
    checkpoint = cp.Checkpoint("caveat.example/log", 1, root, ("ext one",))
    message = cp.sign_checkpoint(checkpoint, log)
    witness = note.CosignatureV1Signer("w.example", _key(), timestamp=5)
    message = note.add_signatures(message, [witness])
    opened = cp.open_checkpoint(
        message,
        origin="caveat.example/log",
        log_verifier=log.verifier(),
        cosigners=[witness.verifier()],
    )
    assert opened.checkpoint == checkpoint
    assert len(opened.cosignatures) == 1


def test_checkpoint_requires_the_log_signature_and_origin() -> None:
    log = note.Ed25519Signer.generate("caveat.example/log")
    witness = note.CosignatureV1Signer("w.example", _key(), timestamp=5)
    body = cp.Checkpoint("caveat.example/log", 0, merkle.EMPTY_ROOT)
    only_witness = note.sign_note(body.body(), [witness])
    with pytest.raises(cp.CheckpointError, match="not signed by its log"):
        cp.open_checkpoint(
            only_witness,
            origin="caveat.example/log",
            log_verifier=log.verifier(),
            cosigners=[witness.verifier()],
        )
    signed = cp.sign_checkpoint(body, log)
    with pytest.raises(cp.CheckpointError, match=r"not 'other\.example'"):
        cp.open_checkpoint(signed, origin="other.example", log_verifier=log.verifier())


ROOT_B64 = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="


def test_parse_accepts_strict_form() -> None:
    parsed = cp.parse_checkpoint(f"o\n0\n{ROOT_B64}\nx\n")
    assert (parsed.origin, parsed.size, parsed.root_hash) == ("o", 0, merkle.EMPTY_ROOT)
    assert parsed.extensions == ("x",)


@pytest.mark.parametrize(
    "text",
    [
        f"o\n0\n{ROOT_B64}",  # no final newline
        "o\n0\n",  # no root line
        f"o\n00\n{ROOT_B64}\n",  # leading zero
        f"o\n+1\n{ROOT_B64}\n",
        f"o\n1 \n{ROOT_B64}\n",
        f"o\n{2**64}\n{ROOT_B64}\n",  # beyond uint64
        f"\n1\n{ROOT_B64}\n",  # empty origin
        "o\n1\nV3JvbmdSb290\n",  # 9-byte root
        f"o\n1\n{ROOT_B64[:-1]}\n",  # unpadded base64
        f"o\n1\n{ROOT_B64}\n\n",  # empty extension line
    ],
)
def test_parse_rejects_malformed_bodies(text: str) -> None:
    with pytest.raises(cp.CheckpointError):
        cp.parse_checkpoint(text)


def test_constructor_rejects_bad_fields() -> None:
    with pytest.raises(InvalidInput):
        cp.Checkpoint("o", -1, merkle.EMPTY_ROOT)
    with pytest.raises(InvalidInput):
        cp.Checkpoint("o\nforged", 1, merkle.EMPTY_ROOT)
    with pytest.raises(InvalidInput):
        cp.Checkpoint("o", 1, b"short")


def _key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()
