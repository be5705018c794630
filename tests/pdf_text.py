"""The text a PDF draws, read from its content streams (fpdf2 deflates each one).

Each stream is cut by the ``/Length`` its dictionary gives, not by searching for
``endstream``: a deflated stream whose last byte happens to be a carriage return was cut
one byte short by ``stream\\r?\\n(.*?)\\r?\\nendstream``, failed to inflate and was skipped,
so about one PDF in 256 read as empty (a flaky export-records test on 2026-12-07).
"""

from __future__ import annotations

import re
import zlib

_STREAM = re.compile(rb"/Length (\d+)\s*>>\s*stream\r?\n")


def pdf_streams(pdf: bytes) -> list[bytes]:
    """Every content stream of ``pdf``, inflated (streams that are not deflated are left out)."""
    found = []
    for match in _STREAM.finditer(pdf):
        start = match.end()
        try:
            found.append(zlib.decompress(pdf[start : start + int(match.group(1))]))
        except zlib.error:
            continue
    return found


def pdf_text(pdf: bytes) -> str:
    """All the streams' text, in order."""
    return "".join(stream.decode("latin-1") for stream in pdf_streams(pdf))
