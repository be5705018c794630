"""Readers for the list formats screening imports, all-or-nothing with line and column.

- OFAC SDN legacy CSV (``sdn.csv``: no header, 12 columns, nulls written ``-0-``,
  aliases in the Remarks column as ``a.k.a. '...'``) with its companion ``alt.csv``
  (``ent_num, alt_num, alt_type, alt_name, alt_remarks``).
- US Consolidated Screening List CSV (header row; ``_id, source, entity_number, type,
  programs, name, ...``, ``alt_names``, ``citizenships``, ``nationalities``;
  multi-valued cells separated by ``;``).
- A generic CSV with a header: ``name`` required; ``id``, ``aliases`` (``;``-separated),
  ``kind``, ``programs``, ``nations``, ``source`` optional.

A bad file raises :class:`ScreeningFormatError` naming the line and column, and no
entry of it is returned: a half-imported list would screen against the wrong data.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

from caveat.domain.errors import InvalidInput
from caveat.domain.screening.model import ListedParty, PartyKind

MAX_FIELD = 1_000_000  # bytes in one cell; the SDN's longest remarks are ~10 kB
_SDN_NULL = "-0-"
_ALIAS = re.compile(r"\b(?:a\.k\.a\.|f\.k\.a\.|n\.k\.a\.)\s*'([^']+)'", re.IGNORECASE)
_NATIONALITY = re.compile(r"\b(?:nationality|citizen)\s+([A-Z][A-Za-z .'-]+?)\s*(?:[;.]|$)")


class ScreeningFormatError(InvalidInput):
    """Raised when a list file is malformed; ``data`` has its line and column."""

    code = "invalid_screening_file"

    def __init__(
        self, message: str, *, line: int, column: int | None = None, hint: str | None = None
    ) -> None:
        where = f"line {line}" + (f", column {column}" if column else "")
        super().__init__(
            f"{where}: {message}", field="file", hint=hint, data={"line": line, "column": column}
        )


def _rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """CSV rows with their 1-based line numbers; the DOS end-of-file mark is ignored."""
    text = text.lstrip("\ufeff").rstrip("\x1a\r\n ")
    csv.field_size_limit(MAX_FIELD)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    line = 1
    try:
        for row in reader:
            if row and any(cell.strip() for cell in row):
                yield line, row
            line = reader.line_num + 1
    except csv.Error as exc:
        raise ScreeningFormatError(
            f"not valid CSV ({exc})",
            line=reader.line_num or line,
            hint="check quoting: a cell with a comma needs quotes",
        ) from None


def _cell(value: str) -> str:
    value = value.strip()
    return "" if value == _SDN_NULL else value


def _split(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(";") if v.strip())


def _sdn_kind(value: str) -> PartyKind:
    kind = _cell(value).lower()
    return PartyKind(kind) if kind in {k.value for k in PartyKind} else PartyKind.ENTITY


def parse_ofac_sdn(sdn_text: str, alt_text: str | None = None) -> list[ListedParty]:
    """Read OFAC's legacy ``sdn.csv`` (and optionally ``alt.csv``)."""
    aliases: dict[str, list[str]] = {}
    if alt_text is not None:
        for line, row in _rows(alt_text):
            if len(row) != 5:
                raise ScreeningFormatError(
                    f"alt.csv rows have 5 columns, this one has {len(row)}",
                    line=line,
                    column=min(len(row), 5) + 1,
                )
            ent, name = _cell(row[0]), _cell(row[3])
            if not ent.isdigit():
                raise ScreeningFormatError(
                    f"ent_num {row[0]!r} is not a number", line=line, column=1
                )
            if name:
                aliases.setdefault(ent, []).append(name)
    parties: list[ListedParty] = []
    seen: set[str] = set()
    for line, row in _rows(sdn_text):
        if len(row) != 12:
            raise ScreeningFormatError(
                f"sdn.csv rows have 12 columns, this one has {len(row)}",
                line=line,
                column=min(len(row), 12) + 1,
                hint="is this the legacy sdn.csv (no header row, 12 columns)?",
            )
        ent, name, remarks = _cell(row[0]), _cell(row[1]), _cell(row[11])
        if not ent.isdigit():
            raise ScreeningFormatError(f"ent_num {row[0]!r} is not a number", line=line, column=1)
        if not name:
            raise ScreeningFormatError("the name is empty", line=line, column=2)
        if ent in seen:
            raise ScreeningFormatError(f"ent_num {ent} appears twice", line=line, column=1)
        seen.add(ent)
        from_remarks = _ALIAS.findall(remarks)
        names = list(dict.fromkeys([*aliases.get(ent, []), *from_remarks]))
        parties.append(
            ListedParty(
                source="OFAC SDN",
                entry_id=ent,
                name=name,
                kind=_sdn_kind(row[2]),
                aliases=tuple(n for n in names if n != name),
                programs=tuple(
                    p.strip() for p in re.split(r"[\]\[ ]+", _cell(row[3])) if p.strip()
                ),
                nations=tuple(dict.fromkeys(n.strip() for n in _NATIONALITY.findall(remarks))),
                remarks=remarks,
            )
        )
    return parties


CSL_REQUIRED = ("_id", "source", "type", "name", "alt_names")


def _header(
    rows: Iterator[tuple[int, list[str]]], required: tuple[str, ...], what: str
) -> dict[str, int]:
    try:
        line, header = next(rows)
    except StopIteration:
        raise ScreeningFormatError("the file is empty", line=1) from None
    columns = {name.strip().lower(): i for i, name in enumerate(header)}
    for name in required:
        if name not in columns:
            raise ScreeningFormatError(
                f"the header has no {name!r} column",
                line=line,
                hint=f"a {what} needs the columns {', '.join(required)}",
            )
    return columns


def _get(row: list[str], columns: dict[str, int], name: str) -> str:
    index = columns.get(name)
    return row[index].strip() if index is not None and index < len(row) else ""


def parse_csl(text: str) -> list[ListedParty]:
    """Read the US Consolidated Screening List CSV."""
    rows = _rows(text)
    columns = _header(rows, CSL_REQUIRED, "Consolidated Screening List CSV")
    width = len(columns)
    parties: list[ListedParty] = []
    for line, row in rows:
        if len(row) != width:
            raise ScreeningFormatError(
                f"the header has {width} columns, this row {len(row)}",
                line=line,
                column=min(len(row), width) + 1,
            )
        name = _get(row, columns, "name")
        if not name:
            raise ScreeningFormatError("the name is empty", line=line, column=columns["name"] + 1)
        kind = _get(row, columns, "type").lower()
        parties.append(
            ListedParty(
                source="CSL: " + _get(row, columns, "source"),
                entry_id=_get(row, columns, "_id") or _get(row, columns, "entity_number"),
                name=name,
                kind=PartyKind(kind) if kind in {k.value for k in PartyKind} else PartyKind.ENTITY,
                aliases=_split(_get(row, columns, "alt_names")),
                programs=_split(_get(row, columns, "programs")),
                nations=tuple(
                    dict.fromkeys(
                        _split(_get(row, columns, "citizenships"))
                        + _split(_get(row, columns, "nationalities"))
                    )
                ),
                remarks=_get(row, columns, "remarks"),
            )
        )
    return parties


def parse_generic(text: str, *, source: str = "custom list") -> list[ListedParty]:
    """Read a simple CSV with a ``name`` column (and optional others)."""
    rows = _rows(text)
    columns = _header(rows, ("name",), "generic screening CSV")
    width = len(columns)
    parties: list[ListedParty] = []
    for line, row in rows:
        if len(row) != width:
            raise ScreeningFormatError(
                f"the header has {width} columns, this row {len(row)}",
                line=line,
                column=min(len(row), width) + 1,
            )
        name = _get(row, columns, "name")
        if not name:
            raise ScreeningFormatError("the name is empty", line=line, column=columns["name"] + 1)
        kind_text = _get(row, columns, "kind").lower() or PartyKind.ENTITY.value
        if kind_text not in {k.value for k in PartyKind}:
            raise ScreeningFormatError(
                f"kind {kind_text!r} is not one of {', '.join(k.value for k in PartyKind)}",
                line=line,
                column=columns["kind"] + 1,
            )
        parties.append(
            ListedParty(
                source=_get(row, columns, "source") or source,
                entry_id=_get(row, columns, "id") or str(line),
                name=name,
                kind=PartyKind(kind_text),
                aliases=_split(_get(row, columns, "aliases")),
                programs=_split(_get(row, columns, "programs")),
                nations=_split(_get(row, columns, "nations")),
            )
        )
    return parties
