"""Reading tables out of the files factories keep: Excel workbooks and CSV files.

A table is a header row and data rows; each cell keeps where it came from (file, sheet, row,
column letter) so that an error can point at it. Headers may be Chinese, English or both
(``排放源编号 source_id``, ``数量\\nQuantity``): :func:`match_columns` maps them to field names.
CSV files are read one row at a time by :func:`lingtan.imports.text.csv_rows` (UTF-8, GB18030
or UTF-16); a workbook's parts are bounded in size before one is opened (:data:`MAX_XLSX_BYTES`).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.utils import get_column_letter
from python_calamine import CalamineWorkbook

from lingtan.errors import InputError, InputProblem, InputTooLargeError
from lingtan.i18n import Message
from lingtan.imports.text import csv_encoding, csv_rows  # csv_encoding: also named from here

__all__ = [
    "Table",
    "column_label",
    "csv_encoding",
    "header_columns",
    "match_columns",
    "read_tables",
]


@dataclass
class Table:
    """A sheet (or a CSV file): its header and an iterator over its data rows."""

    origin: str  # "file.xlsx sheet X" or "file.csv"
    name: str  # sheet name, or the file stem for CSV
    header: list[str]
    rows: Iterator[tuple[int, list[Any]]]  # (row number as shown in the file, values)


def _fold(text: str) -> str:
    return re.sub(r"[\s_\-()（）:：/]+", "", str(text)).casefold()


def header_columns(header: list[Any], fields: dict[str, tuple[str, ...]]) -> dict[str, int]:
    """Map field names to column indexes by header text; fields not found are left out.

    A header matches a field when it equals one of the field's names, or is made of them
    (``排放源编号 source_id``); case, spaces and ``_-()/:`` do not matter. The first matching
    column wins.
    """
    names = {_fold(alias): field for field, aliases in fields.items() for alias in aliases}
    found: dict[str, int] = {}
    for index, text in enumerate(header):
        if text is None or not str(text).strip():
            continue
        field = names.get(_fold(text))
        if field is None:
            # combined "中文 English" headers: any alias contained as a whole word part
            parts = [p for p in re.split(r"[\s/\n]+", str(text).strip()) if p]
            candidates = {names[_fold(p)] for p in parts if _fold(p) in names}
            field = candidates.pop() if len(candidates) == 1 else None
        if field is not None and field not in found:
            found[field] = index
    return found


def match_columns(
    table: Table, fields: dict[str, tuple[str, ...]], required: tuple[str, ...]
) -> dict[str, int]:
    """:func:`header_columns` of a table; raises InputError naming missing required columns."""
    found = header_columns(table.header, fields)
    missing = [field for field in required if field not in found]
    if missing:
        expected = "; ".join(" / ".join(fields[f][:2]) for f in missing)
        raise InputError(
            InputProblem(
                table.origin,
                "header",
                ", ".join(map(str, table.header)),
                Message("required columns are missing: %(columns)s", columns=expected),
            )
        )
    return found


def column_label(index: int, header: str) -> str:
    return f"{get_column_letter(index + 1)} ({header})"


#: The most a workbook may unpack to (its sheets and shared strings) [bytes]: a few MB of
#: .xlsx can hold a gigabyte of sheet XML.
MAX_XLSX_BYTES = 1 << 30
#: Up to this much sheet XML [bytes] a workbook is read by calamine (fast, but it holds a
#: sheet in memory, about twice its XML); above, by openpyxl in read-only mode (a row at a
#: time, some 15 times slower).
CALAMINE_XLSX_BYTES = 64 << 20


def _unpacked_bytes(path: Path) -> int:
    """What the sheets and shared strings of a workbook unpack to [bytes]."""
    try:
        with zipfile.ZipFile(path) as archive:
            return sum(
                info.file_size
                for info in archive.infolist()
                if info.filename.startswith("xl/worksheets/")
                or info.filename == "xl/sharedStrings.xml"
            )
    except (zipfile.BadZipFile, OSError) as exc:
        raise _unreadable(path, exc) from None


def _unreadable(path: Path, exc: Exception) -> InputError:
    rule = Message("is not a readable .xlsx workbook (%(error)s)", error=str(exc))
    return InputError(InputProblem(str(path), "file", path.name, rule))


def _sheet_rows(path: Path, unpacked: int) -> Iterator[tuple[str, Iterator[list[Any]]]]:
    """(name, rows) of every sheet of a workbook whose sheets unpack to ``unpacked`` bytes,
    each row a list of cells from column A (an empty one ``""``, as calamine gives it)."""
    if unpacked > CALAMINE_XLSX_BYTES:
        try:
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # the reader raises its own kinds for a damaged file
            raise _unreadable(path, exc) from None
        # not closed here: the rows are read after every sheet was named (read_tables)
        for sheet in book.worksheets:
            rows = sheet.iter_rows(values_only=True)
            yield sheet.title, (["" if v is None else v for v in row] for row in rows)
        return
    # calamine (Rust) reads a 100,000-row sheet about 15 times faster than openpyxl
    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # the reader raises its own kinds for a damaged or foreign file
        raise _unreadable(path, exc) from None
    for name in workbook.sheet_names:
        sheet = workbook.get_sheet_by_name(name)
        if sheet.start is None:
            continue  # an empty sheet
        # iter_rows hands over one row at a time (no list of the whole sheet); its rows start
        # at row 1 but its columns at the first used one: pad so that indexes are columns.
        pad = [""] * sheet.start[1]
        yield name, (pad + values for values in sheet.iter_rows())


def _xlsx_tables(path: Path) -> Iterator[Table]:
    unpacked = _unpacked_bytes(path)
    if unpacked > MAX_XLSX_BYTES:
        rule = Message(
            "unpacks to %(size)d bytes of sheets, more than the limit of %(limit)d",
            size=unpacked,
            limit=MAX_XLSX_BYTES,
        )
        raise InputTooLargeError(InputProblem(str(path), "file", path.name, rule))
    for name, rows in _sheet_rows(path, unpacked):
        numbered = (
            (number, values)
            for number, values in enumerate(rows, start=1)
            if any(v not in (None, "") for v in values)
        )
        first = next(numbered, None)
        if first is None:
            continue
        header = [_header_text(v) for v in first[1]]
        origin = Message("%(file)s sheet %(sheet)s", file=path.name, sheet=name)
        yield Table(origin, name, header, numbered)


def _header_text(value: Any) -> str:
    # Excel keeps a number typed as a header (a meter code 1001) as the float 1001.0
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "" if value is None else str(value)


def _csv_table(path: Path) -> Table:
    rows = csv_rows(path)
    first = next(rows, None)
    if first is None:
        raise InputError(InputProblem(str(path), "file", path.name, Message("is empty")))
    header = first[1]

    def data() -> Iterator[tuple[int, list[Any]]]:
        for number, values in rows:
            if any(v.strip() for v in values):
                yield number, [v if v.strip() else None for v in values]

    return Table(path.name, path.stem, header, data())


def read_tables(path: str | Path) -> list[Table]:
    """The tables of a workbook (one per non-empty sheet) or of a CSV file (one)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(InputProblem(str(path), "file", str(path), Message("does not exist")))
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return list(_xlsx_tables(path))
    if suffix in (".csv", ".txt"):
        return [_csv_table(path)]
    raise InputError(
        InputProblem(
            str(path), "file", path.name, Message("must be an .xlsx workbook or a .csv file")
        )
    )
