"""Helpers for the package tests: parties and a labelled release, ZIP surgery, and the
walk that turns a manifest into every single-point alteration of it."""

from __future__ import annotations

import copy
import io
import json
import warnings
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from caveat.adapters.tdf import (
    MIN_SEGMENT_SIZE,
    Assertion,
    Opened,
    caveat_assertions,
    policy_object,
    read_package,
    write_package,
)
from caveat.domain.export_control import ExportClassification, parse_export_classification
from caveat.domain.groups import builtin_directory
from caveat.domain.labels import Label, Originator, parse_banner

KAS_URL = "https://gbr.caveat.example/federation/v1"
SMALL = MIN_SEGMENT_SIZE
POLICY_UUID = "6f3b6a82-2f30-4c8a-aef3-57c65b8e7387"
ON = date(2026, 3, 1)


@dataclass(frozen=True)
class Parties:
    """The receiving node's wrapping key and the releasing node's signing key."""

    recipient: ec.EllipticCurvePrivateKey
    signer: Ed25519PrivateKey


def new_parties() -> Parties:
    """Fresh keys for a release between two nodes."""
    return Parties(ec.generate_private_key(ec.SECP256R1()), Ed25519PrivateKey.generate())


def label(banner: str = "SECRET//REL TO USA, GBR") -> Label:
    """A label as the originating node holds it."""
    parsed = parse_banner(banner, groups=builtin_directory(), on=ON)
    return replace(
        parsed,
        originator=Originator("AFRL", "USA"),
        created_at=datetime(2026, 2, 1, 9, 30, tzinfo=UTC),
    )


def export(*entries: str, dual_use: bool = False) -> ExportClassification:
    """An export classification from entry texts (EAR 3A001.a.1 by default)."""
    return parse_export_classification(entries or ("EAR:3A001.a.1",), dual_use=dual_use)


def policy() -> dict[str, Any]:
    """The policy object a release to GBR carries."""
    return policy_object(
        uuid=POLICY_UUID,
        attributes=["https://caveat.example/attr/releasable-to/value/gbr"],
        dissem=["gbr.caveat.example"],
    )


def package(
    payload: bytes | Iterable[bytes],
    parties: Parties,
    *,
    segment_size: int = SMALL,
    signed: bool = True,
    assertions: Sequence[Assertion] | None = None,
) -> bytes:
    """A release of ``payload`` to ``parties.recipient``, labelled unless told otherwise."""
    return write_package(
        payload,
        recipient_key=parties.recipient.public_key(),
        kas_url=KAS_URL,
        policy=policy(),
        assertions=caveat_assertions(label(), export()) if assertions is None else assertions,
        segment_size=segment_size,
        signing_key=parties.signer if signed else None,
    )


def open_package(data: bytes, parties: Parties, *, signed: bool = True) -> Opened:
    """Read a package as the recipient, trusting the releasing node's key if signed."""
    return read_package(
        data,
        recipient_key=parties.recipient,
        kas_url=KAS_URL,
        trusted_assertion_keys=[parties.signer.public_key()] if signed else [],
    )


# --- ZIP surgery -------------------------------------------------------------------


def entries(data: bytes) -> list[tuple[str, bytes]]:
    """The entries of a package, in order."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return [(info.filename, zf.read(info)) for info in zf.infolist()]


def rezip(
    parts: Sequence[tuple[str, bytes]],
    *,
    compression: int = zipfile.ZIP_STORED,
    comment: bytes = b"",
) -> bytes:
    """A ZIP of ``parts`` written by ``zipfile``, with correct CRCs."""
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about duplicate names
        with zipfile.ZipFile(buffer, "w", compression=compression) as zf:
            for name, content in parts:
                info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = compression
                zf.writestr(info, content)
            zf.comment = comment
    return buffer.getvalue()


def manifest_of(data: bytes) -> dict[str, Any]:
    """The manifest of a package, parsed."""
    found: dict[str, Any] = json.loads(dict(entries(data))["0.manifest.json"])
    return found


def with_manifest(data: bytes, manifest: Any) -> bytes:
    """The package with its manifest replaced (payload unchanged, CRCs correct)."""
    payload = dict(entries(data))["0.payload"]
    return rezip([("0.payload", payload), ("0.manifest.json", json.dumps(manifest).encode())])


def with_payload(data: bytes, payload: bytes) -> bytes:
    """The package with its payload entry replaced (manifest unchanged, CRCs correct)."""
    manifest = dict(entries(data))["0.manifest.json"]
    return rezip([("0.payload", payload), ("0.manifest.json", manifest)])


# --- the manifest walk -------------------------------------------------------------

Path = tuple[str | int, ...]
B64_FIELDS = {"wrappedKey", "sig", "hash", "policy"}
SIZES = {"segmentSizeDefault", "encryptedSegmentSizeDefault", "segmentSize", "encryptedSegmentSize"}


@dataclass(frozen=True)
class Mutation:
    """One alteration of a manifest: ``op`` at ``path`` (``key`` for add and delete)."""

    path: Path
    op: str  # change | retype | delete | add | drop_last | drop_first | duplicate | reverse
    key: str | None = None

    @property
    def id(self) -> str:
        where = "/".join(str(p) for p in self.path) or "(root)"
        return f"{where}:{self.op}" + (f":{self.key}" if self.key else "")


def _nodes(node: Any, path: Path = ()) -> Iterator[tuple[Path, Any]]:
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _nodes(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _nodes(value, (*path, index))


def mutations(manifest: dict[str, Any]) -> list[Mutation]:
    """Every single-point alteration of ``manifest``: each leaf changed and given another
    JSON type, each object's names deleted one by one and a name added, each list
    shortened at either end, its first item duplicated and its order reversed."""
    found: list[Mutation] = []
    for path, node in _nodes(manifest):
        if isinstance(node, dict):
            found += [Mutation(path, "delete", key) for key in node]
            found.append(Mutation(path, "add", "x-added"))
        elif isinstance(node, list):
            if node:
                found += [Mutation(path, "drop_last"), Mutation(path, "duplicate")]
            if len(node) > 1:
                found.append(Mutation(path, "drop_first"))
            if node != node[::-1]:
                found.append(Mutation(path, "reverse"))
        else:
            found += [Mutation(path, "change"), Mutation(path, "retype")]
    return found


def _flip(text: str, path: Path) -> str:
    import base64

    raw = bytearray(base64.b64decode(text))
    if path[-2:] == ("policyBinding", "hash"):  # hex text inside: keep it hex
        raw[0] = ord("1") if raw[0] != ord("1") else ord("2")
    else:
        raw[-1] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


def _in_value(path: Path) -> bool:
    return any(path[i] == "statement" and path[i + 1] == "value" for i in range(len(path) - 1))


def _changed(value: Any, path: Path, fresh_pem: str) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if value is None:
        return "x"
    if not _in_value(path) and path[-1] in B64_FIELDS:
        return _flip(value, path)
    if path[-1] == "ephemeralPublicKey":
        return fresh_pem
    return value + "x"


def apply(manifest: dict[str, Any], mutation: Mutation, fresh_pem: str) -> dict[str, Any]:
    """A copy of ``manifest`` with ``mutation`` applied."""
    altered = copy.deepcopy(manifest)
    *parent_path, last = mutation.path or ("",)
    parent: Any = altered
    for step in parent_path:
        parent = parent[step]
    target: Any = parent[last] if mutation.path else altered
    if mutation.op == "change":
        parent[last] = _changed(target, mutation.path, fresh_pem)
    elif mutation.op == "retype":
        parent[last] = "1" if isinstance(target, int | type(None)) else 1
    elif mutation.op == "delete":
        del target[mutation.key]
    elif mutation.op == "add":
        target[mutation.key] = "1"
    elif mutation.op == "drop_last":
        target.pop()
    elif mutation.op == "drop_first":
        target.pop(0)
    elif mutation.op == "duplicate":
        target.insert(0, copy.deepcopy(target[0]))
    elif mutation.op == "reverse":
        target.reverse()
    return altered


def _segments_in_profile(segments: list[Any], default: int) -> bool:
    if not segments:
        return False
    *rest, last = segments
    size = last["segmentSize"]
    return all(s["segmentSize"] == default for s in rest) and (
        0 < size <= default or (size == 0 and not rest)
    )


FIXED_INVALID = {"type", "scope", "appliesToState"}


def expected_code(manifest: dict[str, Any], mutation: Mutation) -> str:
    """The refusal an alteration must meet, from what each field is:

    - inside an assertion's statement (or its optional schema removed): the assertion's
      binding no longer covers it, ``tdf_tampered``;
    - the key access object's URL or key id: ``tdf_not_recipient``;
    - a cryptographic value (wrapped or ephemeral key, policy or its binding, a segment
      hash, the root signature, a binding's signature) or a value only Caveat's manifest
      binding covers (the media type, an assertion's id): ``tdf_tampered``;
    - a list of segments still shaped like one, or assertions no longer in the manifest
      binding's order: ``tdf_tampered``;
    - anything else (a value the profile fixes, a size that no longer adds up, a name
      added or removed, a value of another type): ``tdf_invalid``.
    """
    path, op = mutation.path, mutation.op
    if _in_value(path) or (op in {"delete", "add"} and path[-2:] == ("statement", "value")):
        return "tdf_tampered"
    if path and path[-1] == "statement" and op == "delete" and mutation.key == "schema":
        return "tdf_tampered"
    if op in {"delete", "add", "retype"}:
        return "tdf_invalid"
    if op == "change":
        name = path[-1]
        if path[:2] == ("encryptionInformation", "keyAccess") and name in {"url", "kid"}:
            return "tdf_not_recipient"
        if name in SIZES:
            return "tdf_invalid"
        if path[0] == "assertions":
            last = path[1] == len(manifest["assertions"]) - 1
            if name == "id":
                return "tdf_invalid" if last else "tdf_tampered"
            if name in FIXED_INVALID or name == "method":
                return "tdf_invalid"
            return "tdf_tampered"  # statement format or schema, binding signature
        if name in B64_FIELDS or name in {"ephemeralPublicKey", "mimeType"}:
            return "tdf_tampered"
        return "tdf_invalid"
    # list operations
    if path == ("encryptionInformation", "keyAccess"):
        return "tdf_invalid"
    if path[-1] == "segments":
        integrity = manifest["encryptionInformation"]["integrityInformation"]
        altered = apply(manifest, mutation, "")
        segments = altered["encryptionInformation"]["integrityInformation"]["segments"]
        ok = _segments_in_profile(segments, integrity["segmentSizeDefault"])
        return "tdf_tampered" if ok else "tdf_invalid"
    if path == ("assertions",):
        return "tdf_tampered" if op == "drop_first" else "tdf_invalid"
    raise AssertionError(f"no expectation for {mutation.id}")


def fresh_pem() -> str:
    """A P-256 public key nobody used, as an SPKI PEM."""
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    pem = key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem.decode()
