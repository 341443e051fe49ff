"""Reading tables out of the files factories keep: Excel workbooks and CSV files.

A table is a header row and data rows; each cell keeps where it came from (file, sheet, row,
column letter) so that an error can point at it. Headers may be Chinese, English or both
(``排放源编号 source_id``, ``数量\\nQuantity``): :func:`match_columns` maps them to field names.
CSV files are read as UTF-8 (with or without BOM) or, failing that, GB18030, the encoding a
Chinese Excel writes.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl.utils import get_column_letter
from python_calamine import CalamineWorkbook

from lingtan.errors import InputError, InputProblem
from lingtan.i18n import Message

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
                f"required columns are missing: {expected}",
            )
        )
    return found


def column_label(index: int, header: str) -> str:
    return f"{get_column_letter(index + 1)} ({header})"


def _xlsx_tables(path: Path) -> Iterator[Table]:
    # calamine (Rust) reads a 100,000-row sheet about 15 times faster than openpyxl
    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # the reader raises its own kinds for a damaged or foreign file
        raise InputError(
            InputProblem(str(path), "file", path.name, f"is not a readable .xlsx workbook ({exc})")
        ) from None
    for name in workbook.sheet_names:
        sheet = workbook.get_sheet_by_name(name)
        if sheet.start is None:
            continue  # an empty sheet
        # iter_rows hands over one row at a time (no list of the whole sheet); its rows start
        # at row 1 but its columns at the first used one: pad so that indexes are columns.
        pad = [""] * sheet.start[1]
        numbered = (
            (number, pad + values)
            for number, values in enumerate(sheet.iter_rows(), start=1)
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


def csv_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) if the whole file decodes as such, else GB18030, the
    encoding a Chinese Excel writes. Decoded block by block: memory stays bounded."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as handle:
        try:
            while block := handle.read(1 << 20):
                decoder.decode(block)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "gb18030"
    return "utf-8-sig"


def _decode(path: Path) -> str:
    try:
        return path.read_text(encoding=csv_encoding(path))
    except UnicodeDecodeError:
        raise InputError(
            InputProblem(str(path), "file", path.name, "is neither UTF-8 nor GB18030 text")
        ) from None


def _csv_table(path: Path) -> Table:
    reader = csv.reader(io.StringIO(_decode(path), newline=""))
    header = next(reader, None)
    if header is None:
        raise InputError(InputProblem(str(path), "file", path.name, "is empty"))

    def data() -> Iterator[tuple[int, list[Any]]]:
        for number, values in enumerate(reader, start=2):
            if any(v.strip() for v in values):
                yield number, [v if v.strip() else None for v in values]

    return Table(path.name, path.stem, header, data())


def read_tables(path: str | Path) -> list[Table]:
    """The tables of a workbook (one per non-empty sheet) or of a CSV file (one)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(InputProblem(str(path), "file", str(path), "does not exist"))
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return list(_xlsx_tables(path))
    if suffix in (".csv", ".txt"):
        return [_csv_table(path)]
    raise InputError(
        InputProblem(str(path), "file", path.name, "must be an .xlsx workbook or a .csv file")
    )
