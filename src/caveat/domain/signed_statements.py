"""Statements one node signs for another (a recall, a re-release decision; ADR 0019).

A statement is a flat JSON object of strings whose ``statement`` field names its type and
version. It travels as ``{"<kind>": body, "signature": base64}``, the signature being the
sending node's federation key (Ed25519) over the body's RFC 8785 canonical form. Both
kinds are sealed and opened here, so each is believed on the same terms: exactly its own
fields, every value a string, the sender's signature, its own statement type, addressed
from the peer it came from to this node, with a zoned time."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from datetime import datetime

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

Refusal = Callable[[str], Exception]  # builds the caller's typed error from a reason


def seal(kind: str, body: Mapping[str, str], key: Ed25519PrivateKey) -> bytes:
    """The bytes that carry ``body`` as a ``kind`` statement signed with ``key``."""
    signature = key.sign(rfc8785.dumps(dict(body)))
    return json.dumps(
        {kind: dict(body), "signature": base64.b64encode(signature).decode()},
        separators=(",", ":"),
    ).encode()


def unseal(
    data: bytes,
    key: Ed25519PublicKey,
    *,
    kind: str,
    statement: str,
    fields: tuple[str, ...],
    refuse: Refusal,
) -> dict[str, str]:
    """The body of a ``kind`` statement, believed only if ``key`` signed it, it has
    exactly ``fields`` (all strings) and it is a ``statement``; ``refuse(reason)`` is
    raised otherwise."""
    try:
        value = json.loads(data)
        body, signature = value[kind], base64.b64decode(value["signature"], validate=True)
        if not isinstance(body, dict) or set(body) != set(fields):
            raise ValueError("fields")
        if not all(isinstance(v, str) for v in body.values()):
            raise ValueError("types")
        key.verify(signature, rfc8785.dumps(body))
    except InvalidSignature:
        raise refuse(f"the {kind} is not signed by the peer's key") from None
    except (
        ValueError,
        KeyError,
        TypeError,
        RecursionError,
        binascii.Error,
        rfc8785.CanonicalizationError,
    ):
        raise refuse(f"the {kind} is malformed") from None
    if body["statement"] != statement:
        raise refuse(f"the {kind} is not a {statement} statement")
    return body


def require_addressed(
    kind: str,
    *,
    origin_role: str,
    named_origin: str,
    origin: str,
    named_to: str,
    to: str,
    at: datetime,
    refuse: Refusal,
) -> None:
    """A statement names the peer it came from (``origin``, in its ``origin_role``: the
    originating or the deciding node) and this node (``to``), at a zoned time."""
    if named_origin != origin:
        raise refuse(f"the {kind} names another {origin_role} node than the peer that sent it")
    if named_to != to:
        raise refuse(f"the {kind} is addressed to another node")
    if at.tzinfo is None:
        raise refuse(f"the {kind}'s time has no time zone")
