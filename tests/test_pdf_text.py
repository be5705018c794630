"""The tests' PDF reader (``tests/pdf_text.py``) reads every stream, whatever its bytes."""

from __future__ import annotations

import zlib

from tests.pdf_text import pdf_text


def test_a_stream_whose_deflated_bytes_end_in_a_carriage_return_is_read() -> None:
    """The old search for ``\\r?\\nendstream`` cut such a stream a byte short."""
    for n in range(100_000):
        text = f"BT ({n:08x} do NOT match the ledger) Tj ET".encode()
        data = zlib.compress(text)
        if data.endswith(b"\r"):
            break
    else:
        raise AssertionError("no deflated stream ending in a carriage return")
    pdf = b"<< /Filter /FlateDecode /Length %d >>\nstream\n%b\nendstream\n" % (len(data), data)
    assert pdf_text(pdf) == text.decode()
