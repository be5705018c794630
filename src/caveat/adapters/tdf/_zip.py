"""The package's ZIP container, written with ``zipfile`` and read strictly.

A package is exactly two stored (uncompressed) entries, ``0.payload`` then
``0.manifest.json`` (the names and order of platform ``sdk/internal/zipstream``), with
no extra fields, comments, data descriptors, encryption, ZIP64 records, or bytes before,
between or after the parts. The reader parses the end record, the central directory and
both local headers itself and requires them to agree; then ``zipfile`` must list the same
two names, so no ZIP parser elsewhere can see another file in the same bytes.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from caveat.adapters.tdf._errors import TdfInvalid, TdfTampered, TdfTooLarge
from caveat.adapters.tdf._profile import MANIFEST_NAME, MAX_MANIFEST_BYTES, PAYLOAD_NAME

_EOCD = struct.Struct("<4s4H2LH")
_CENTRAL = struct.Struct("<4s6H3L5H2L")
_LOCAL = struct.Struct("<4s5H3L2H")
_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest ZIP time: a package carries no clock
_NAMES = (PAYLOAD_NAME, MANIFEST_NAME)


@dataclass(frozen=True, slots=True)
class _Entry:
    name: str
    crc: int
    size: int
    offset: int


def write_zip(payload_parts: Iterable[bytes], manifest: Callable[[], bytes]) -> bytes:
    """Write ``0.payload`` from ``payload_parts`` as they come, then the manifest that
    ``manifest()`` returns once they are all written."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED, allowZip64=False) as zf:
        info = zipfile.ZipInfo(PAYLOAD_NAME, date_time=_EPOCH)
        with zf.open(info, "w") as entry:
            for part in payload_parts:
                entry.write(part)
        zf.writestr(zipfile.ZipInfo(MANIFEST_NAME, date_time=_EPOCH), manifest())
    return buffer.getvalue()


def _central(data: bytes, offset: int) -> tuple[_Entry, int]:
    if offset + _CENTRAL.size > len(data):
        raise TdfInvalid("the ZIP central directory is cut short")
    (sig, _made, _need, flags, method, _t, _d, crc, csize, usize, nlen, xlen, clen, disk, _i, _e,
     local) = _CENTRAL.unpack_from(data, offset)  # fmt: skip
    if sig != b"PK\x01\x02" or flags or method or csize != usize or xlen or clen or disk:
        raise TdfInvalid("a ZIP entry is compressed, encrypted, split or carries extra fields")
    name = data[offset + _CENTRAL.size : offset + _CENTRAL.size + nlen]
    return _Entry(name.decode("latin-1"), crc, csize, local), offset + _CENTRAL.size + nlen


def _local(data: bytes, entry: _Entry) -> int:
    """Check an entry's local header against the directory; where its data begins."""
    if entry.offset + _LOCAL.size > len(data):
        raise TdfInvalid("a ZIP local header is cut short")
    sig, _need, flags, method, _t, _d, crc, csize, usize, nlen, xlen = _LOCAL.unpack_from(
        data, entry.offset
    )
    start = entry.offset + _LOCAL.size
    name = data[start : start + nlen].decode("latin-1")
    if (
        sig != b"PK\x03\x04"
        or (flags, method, xlen) != (0, 0, 0)
        or (crc, csize, usize, name) != (entry.crc, entry.size, entry.size, entry.name)
    ):
        raise TdfInvalid(f"the local header of {entry.name!r} disagrees with the directory")
    return start + int(nlen)


def read_zip(data: bytes) -> tuple[memoryview, bytes]:
    """The payload (a view into ``data``) and manifest bytes of a strictly laid-out
    package; TdfInvalid for any other layout, TdfTampered when a CRC-32 is wrong."""
    if len(data) < _EOCD.size:
        raise TdfInvalid("too short to be a ZIP archive")
    eocd_at = len(data) - _EOCD.size
    sig, disk, cd_disk, here, total, cd_size, cd_offset, comment = _EOCD.unpack_from(data, eocd_at)
    if sig != b"PK\x05\x06" or (disk, cd_disk, here, total, comment) != (0, 0, 2, 2, 0):
        raise TdfInvalid("a package is a ZIP archive of exactly two entries and no comment")
    if cd_offset + cd_size != eocd_at:
        raise TdfInvalid("bytes lie between the ZIP central directory and its end record")
    first, after = _central(data, cd_offset)
    second, after = _central(data, after)
    if after != eocd_at:
        raise TdfInvalid("the ZIP central directory has bytes beyond its two entries")
    if (first.name, second.name) != _NAMES:
        raise TdfInvalid(f"a package's entries are {_NAMES[0]!r} then {_NAMES[1]!r}")
    if second.size > MAX_MANIFEST_BYTES:
        raise TdfTooLarge(f"a manifest is at most {MAX_MANIFEST_BYTES} bytes")
    if first.offset != 0:
        raise TdfInvalid("bytes lie before the first ZIP entry")
    payload_at = _local(data, first)
    if second.offset != payload_at + first.size:
        raise TdfInvalid("bytes lie between the ZIP entries")
    manifest_at = _local(data, second)
    if manifest_at + second.size != cd_offset:
        raise TdfInvalid("bytes lie between the last ZIP entry and the central directory")
    view = memoryview(data)
    payload = view[payload_at : payload_at + first.size]
    manifest = bytes(view[manifest_at : manifest_at + second.size])
    for entry, content in ((first, payload), (second, manifest)):
        if zlib.crc32(content) != entry.crc:
            raise TdfTampered(f"the CRC-32 of {entry.name!r} does not match its content")
    try:
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    except (zipfile.BadZipFile, ValueError):
        names = []
    if tuple(names) != _NAMES:
        raise TdfInvalid("the standard ZIP reader does not see the same two entries")
    return payload, manifest
