"""The outbox answer is written as bytes (``outbox_body``), its packages' base64 copied
once: it must be exactly the JSON the protocol's first writer gave (``json.dumps`` of
``outbox_json``), so peers of every release read it alike."""

from __future__ import annotations

import base64
import json

from hypothesis import given
from hypothesis import strategies as st

from caveat.adapters.db.models.federation import PeerOutboxRow
from caveat.api.routes.federation_protocol import in_pieces
from caveat.services.federation import outbox_body, outbox_frame_parts, outbox_frames, outbox_json

_rows = st.lists(
    st.builds(
        lambda seq, kind, package, sha: PeerOutboxRow(
            peer_seq=seq, kind=kind, package=package, sha256=sha
        ),
        st.integers(min_value=1, max_value=2**53 - 1),
        st.sampled_from(["package", "recall", "re_release_decision"]),
        st.binary(max_size=300),
        st.text(alphabet="0123456789abcdef", min_size=64, max_size=64),
    ),
    max_size=5,
)


@given(_rows)
def test_the_body_is_the_json_of_the_page(rows: list[PeerOutboxRow]) -> None:
    body = outbox_body(rows)
    assert body == json.dumps(outbox_json(rows)).encode()
    parsed = json.loads(body)
    assert [base64.b64decode(i["package"]) for i in parsed["items"]] == [r.package for r in rows]
    assert parsed["next"] == (rows[-1].peer_seq if rows else None)


def test_an_unusual_kind_or_digest_is_escaped_as_json_escapes_it() -> None:
    row = PeerOutboxRow(peer_seq=7, kind='re"lease\\', package=b"\x00\xff", sha256="\u00e9\n")
    assert outbox_body([row]) == json.dumps(outbox_json([row])).encode()


@given(_rows)
def test_the_frames_parts_join_to_the_frames(rows: list[PeerOutboxRow]) -> None:
    assert b"".join(outbox_frame_parts(rows)) == outbox_frames(rows)


@given(st.lists(st.binary(max_size=40), max_size=12), st.integers(min_value=1, max_value=17))
def test_an_answer_in_pieces_is_its_parts_in_order_in_full_pieces(
    parts: list[bytes], size: int
) -> None:
    pieces = list(in_pieces(parts, size))
    assert b"".join(pieces) == b"".join(parts)
    assert all(len(piece) == size for piece in pieces[:-1])
    assert all(pieces)  # no empty piece, none for no bytes
    assert all(type(piece) is bytes for piece in pieces)
