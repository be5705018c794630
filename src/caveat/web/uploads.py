"""The upload form's body, read as a stream: fields first, then the file, chunk by chunk.

Starlette's ``request.form()`` spools files to temporary files on disk; an upload of
export-controlled content must not leave plaintext there. This reader parses
``multipart/form-data`` incrementally (python-multipart's push parser) and yields
events: each small text field whole, then the file's start, its data as it arrives,
and its end. The form puts the file input last, so the metadata (and the CSRF field)
arrive before the first byte of content.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from caveat.domain.errors import InvalidInput

MAX_FIELD = 64 * 1024  # a text field (summary, label) is small; a larger one is refused
MAX_FIELDS = 64


@dataclass(frozen=True, slots=True)
class Field:
    """A text field, whole."""

    name: str
    value: str


@dataclass(frozen=True, slots=True)
class FileStart:
    """A file part begins: its field name, the browser's filename and media type."""

    name: str
    filename: str
    media_type: str | None


@dataclass(frozen=True, slots=True)
class FileData:
    """Some bytes of the file."""

    data: bytes


@dataclass(frozen=True, slots=True)
class FileEnd:
    """The file part ended."""


Event = Field | FileStart | FileData | FileEnd


class _Collector:
    """Callbacks of the push parser, turned into a list of events per pushed chunk."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._fields = 0
        self._header_name = bytearray()
        self._header_value = bytearray()
        self._headers: dict[bytes, bytes] = {}
        self._name = ""
        self._is_file = False
        self._value = bytearray()

    def part_begin(self) -> None:
        self._headers = {}
        self._value = bytearray()

    def header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def header_end(self) -> None:
        self._headers[bytes(self._header_name).lower()] = bytes(self._header_value)
        self._header_name = bytearray()
        self._header_value = bytearray()

    def headers_finished(self) -> None:
        self._fields += 1
        if self._fields > MAX_FIELDS:
            raise InvalidInput("the form has too many fields", code="invalid_form")
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        self._name = options.get(b"name", b"").decode("utf-8", "replace")
        filename = options.get(b"filename")
        self._is_file = filename is not None
        if filename is not None:
            media = self._headers.get(b"content-type")
            self.events.append(
                FileStart(
                    self._name,
                    filename.decode("utf-8", "replace"),
                    media.decode("latin-1") if media else None,
                )
            )

    def part_data(self, data: bytes, start: int, end: int) -> None:
        if self._is_file:
            self.events.append(FileData(bytes(data[start:end])))
            return
        self._value += data[start:end]
        if len(self._value) > MAX_FIELD:
            raise InvalidInput(f"the field {self._name!r} is too long", code="invalid_form")

    def part_end(self) -> None:
        if self._is_file:
            self.events.append(FileEnd())
        else:
            self.events.append(Field(self._name, self._value.decode("utf-8", "replace")))


async def form_events(request: Request) -> AsyncIterator[Event]:
    """The events of a ``multipart/form-data`` body, as the body arrives."""
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise InvalidInput(
            "the upload form must be sent as multipart/form-data", code="invalid_form"
        )
    collector = _Collector()
    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": collector.part_begin,
            "on_part_data": collector.part_data,
            "on_part_end": collector.part_end,
            "on_header_field": collector.header_field,
            "on_header_value": collector.header_value,
            "on_header_end": collector.header_end,
            "on_headers_finished": collector.headers_finished,
        },
    )
    async for chunk in request.stream():
        if not chunk:
            continue
        parser.write(chunk)
        events, collector.events = collector.events, []
        for event in events:
            yield event
    parser.finalize()
    for event in collector.events:
        yield event
