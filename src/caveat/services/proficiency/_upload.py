"""A laboratory's results from a CSV or XLSX file: every fault reported with its row
and column, and nothing submitted unless every row is good.

The first row names the columns (in any order, any case): ``item``, ``value`` and
``unit`` are required; ``standard_uncertainty`` (or ``u``), ``coverage_factor`` (or
``k``), ``replicates`` (numbers separated by ``;``) and ``notes`` are optional. Rows
count as a spreadsheet shows them: the header is row 1. XLSX is read with openpyxl
(imported when a file is read) from the first worksheet, values not formulas.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from caveat.domain.errors import CaveatError, InvalidInput
from caveat.services.proficiency._views import ResultDraft, RowError

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_ROWS = 2000
COLUMNS = {
    "item": "item",
    "value": "value",
    "unit": "unit",
    "standard_uncertainty": "standard_uncertainty",
    "u": "standard_uncertainty",
    "coverage_factor": "coverage_factor",
    "k": "coverage_factor",
    "replicates": "replicates",
    "notes": "notes",
}
REQUIRED = ("item", "value", "unit")
XLSX_MAGIC = b"PK\x03\x04"


def refused(errors: list[RowError], *, name: str) -> InvalidInput:
    """The one error for a file with faults, listing every one."""
    shown = "; ".join(f"row {e.row}, {e.column}: {e.message}" for e in errors[:5])
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return InvalidInput(
        f"{name} was not submitted: {shown}{more}",
        code="invalid_results_file",
        field="file",
        hint="correct the rows named and send the whole file again; nothing was stored",
        data={"errors": [{"row": e.row, "column": e.column, "message": e.message} for e in errors]},
    )


@dataclass(frozen=True, slots=True)
class Row:
    """One data row's cells by column, and its row number."""

    number: int
    cells: dict[str, Any]


def _csv_rows(content: bytes) -> Iterator[list[Any]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(
            "a CSV results file is UTF-8 text", code="invalid_results_file", field="file"
        ) from None
    yield from csv.reader(io.StringIO(text, newline=""))


def _xlsx_rows(content: bytes) -> Iterator[list[Any]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a bad file
        raise InvalidInput(
            "the file is not an XLSX workbook openpyxl can read",
            code="invalid_results_file",
            field="file",
        ) from exc
    try:
        sheet = book.worksheets[0]
        for values in sheet.iter_rows(values_only=True):
            yield list(values)
    finally:
        book.close()


def _blank(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def read_rows(name: str, content: bytes) -> tuple[list[Row], list[RowError]]:
    """The data rows of a CSV or XLSX file (by its content), and header faults."""
    if len(content) > MAX_FILE_BYTES:
        raise InvalidInput(
            f"a results file is at most {MAX_FILE_BYTES // (1024 * 1024)} MiB",
            code="invalid_results_file",
            field="file",
        )
    raw = _xlsx_rows(content) if content.startswith(XLSX_MAGIC) else _csv_rows(content)
    try:
        header = next(raw)
    except StopIteration:
        return [], [RowError(1, "(header)", "the file is empty")]
    except csv.Error as exc:
        return [], [RowError(1, "(header)", f"not CSV: {exc}")]
    columns: list[str | None] = []
    errors: list[RowError] = []
    for cell in header:
        key = "" if cell is None else str(cell).strip().lower().replace(" ", "_")
        if key and key not in COLUMNS:
            errors.append(RowError(1, str(cell), "unknown column (see the upload's help)"))
        columns.append(COLUMNS.get(key))
    for needed in REQUIRED:
        if needed not in columns:
            errors.append(RowError(1, needed, "required column missing"))
    if len({c for c in columns if c}) != len([c for c in columns if c]):
        errors.append(RowError(1, "(header)", "a column is named twice"))
    rows: list[Row] = []
    try:
        for number, values in enumerate(raw, start=2):
            if all(_blank(v) for v in values):
                continue
            if len(rows) >= MAX_ROWS:
                errors.append(RowError(number, "(row)", f"more than {MAX_ROWS} rows"))
                break
            cells = {c: v for c, v in zip(columns, values, strict=False) if c is not None}
            rows.append(Row(number, cells))
    except csv.Error as exc:
        errors.append(RowError(len(rows) + 2, "(row)", f"not CSV: {exc}"))
    if not rows and not errors:
        errors.append(RowError(2, "(row)", "the file has no results"))
    return rows, errors


def _number(cell: Any, column: str, *, required: bool) -> float | None:
    if _blank(cell):
        if required:
            raise CellError(column, "a number is required")
        return None
    if isinstance(cell, bool):
        raise CellError(column, "a number is required")
    if isinstance(cell, int | float):
        number = float(cell)
    else:
        text = str(cell).strip()
        if "," in text and "." not in text:
            raise CellError(column, f"{text!r}: write decimals with a point")
        try:
            number = float(text)
        except ValueError:
            raise CellError(column, f"{text!r} is not a number") from None
    if not math.isfinite(number):
        raise CellError(column, "not a finite number")
    return number


class CellError(Exception):
    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column
        self.message = message


def draft_of(row: Row) -> ResultDraft:
    """The result a row holds; ``CellError`` names the column at fault."""
    cells = row.cells
    item = cells.get("item")
    if _blank(item):
        raise CellError("item", "the item is required")
    unit = cells.get("unit")
    if _blank(unit):
        raise CellError("unit", "the unit is required")
    value = _number(cells.get("value"), "value", required=True)
    assert value is not None
    replicates: list[float] = []
    raw = cells.get("replicates")
    if not _blank(raw):
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            replicates = [float(raw)]
        else:
            for part in str(raw).split(";"):
                number = _number(part, "replicates", required=True)
                assert number is not None
                replicates.append(number)
    notes = cells.get("notes")
    return ResultDraft(
        item=str(item).strip(),
        value=value,
        unit=str(unit).strip(),
        standard_uncertainty=_number(
            cells.get("standard_uncertainty"), "standard_uncertainty", required=False
        ),
        coverage_factor=_number(cells.get("coverage_factor"), "coverage_factor", required=False),
        replicates=tuple(replicates),
        notes="" if _blank(notes) else str(notes).strip(),
    )


def row_error(number: int, exc: CaveatError | CellError) -> RowError:
    """A fault of a row: the column from the error's field (``unit``, ``value``...)."""
    if isinstance(exc, CellError):
        return RowError(number, exc.column, exc.message)
    column = (exc.field or "(row)").rsplit(".", 1)[-1]
    return RowError(number, column, exc.detail)
