"""Meter readings and meter definitions from CSV and XLSX files, streamed in bounded memory.

Two layouts of readings are recognised by the header row (English or Chinese names):

=======  ==================================================================================
long     one reading per row: ``meter`` (表计), ``timestamp`` (时间), ``value`` (读数)
wide     a ``timestamp`` (时间) column and one column per meter code; an empty cell is no
         reading
=======  ==================================================================================

Timestamps are ISO 8601 (``2025-03-01T08:15:00+08:00``, ``2025-03-01 08:15``) or Excel date
cells. A timestamp with an offset (or ``Z``) is taken as written; a naive one is local time at
``utc_offset_min`` minutes east of UTC (default 480, China Standard Time +08:00). Values are
as read from the register, before the multiplier.

A file is read, checked and stored in chunks of about
:data:`lingtan.metering.store.CHUNK_READINGS` readings, all inside the caller's single
transaction; a file with any bad row writes nothing (design principle 8), and neither does a
file without readings (a header alone). A CSV file is read by pyarrow's streaming reader, every
cell as text, in memory bounded whatever its size; its rows with more or fewer cells than the
header are read by the csv module in their place (``csv_reader="python"`` reads the whole file
so, the reference the columnar reader is tested against). An XLSX workbook is read with
calamine through :func:`lingtan.imports.tables.read_tables`, which holds the sheet's cells in
native form (about 70 bytes per cell) and hands over Python rows one at a time: some 250 MiB for
a year of 100 meters (3.5 million cells), 7 to 9 times faster than openpyxl's streaming reader.

The checks work on a whole chunk's columns: each distinct meter code and timestamp text is read
once (a long file repeats every timestamp for every meter), values are converted by Arrow's cast
(cell by cell as :func:`float` reads them, thousands separators too, where the cast refuses).
The readings go to :func:`lingtan.metering.store.ingest_columns` as numpy arrays. Every problem
names the file, row, column, value and rule, in row order, at most :data:`MAX_PROBLEMS`: unknown
or virtual meter, unparsable timestamp or value, a timestamp in the future, and a second value
for a meter and time that an earlier row of the file gave another value (the same value again
is stored once). To find those, the first value of every meter and time of the file is kept
in numpy arrays, 20 bytes a reading (70 MB for 3.5 million readings).
"""

from __future__ import annotations

import csv
import math
import queue
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import sqlalchemy as sa
from sqlalchemy.orm import Session

from lingtan.errors import MAX_PROBLEMS, InputError, InputProblem
from lingtan.i18n import Message
from lingtan.imports.tables import header_columns, read_tables
from lingtan.imports.text import MAX_FIELD_CHARS, csv_encoding, csv_rows, file_sha256
from lingtan.metering.reading import EARLIEST, EARLIEST_TS
from lingtan.metering.store import (
    CHUNK_READINGS,
    FacilityRef,
    IngestSummary,
    MeterDefinition,
    NodeDefinition,
    define_meters,
    facility_id,
    ingest_columns,
)
from lingtan.store import audit
from lingtan.store.models import ImportBatch, Meter

__all__ = [
    "DEFAULT_UTC_OFFSET_MIN",
    "FUTURE_TOLERANCE_S",
    "MAX_PROBLEMS",
    "FileImport",
    "audit_readings_import",
    "define_meters_from_file",
    "import_readings_file",
    "iter_rows",
    "read_definitions",
]

DEFAULT_UTC_OFFSET_MIN = 480
#: A reading up to this far ahead of the clock is accepted (gateway clocks drift).
FUTURE_TOLERANCE_S = 300

READINGS = {
    "meter": (
        "meter",
        "meter_code",
        "meter code",
        "meter_id",
        "表计",
        "表计编号",
        "仪表",
        "仪表编号",
        "计量器具",
    ),
    "timestamp": ("timestamp", "time", "datetime", "ts", "时间", "时间戳", "采集时间", "日期时间"),
    "value": ("value", "reading", "读数", "数值", "示数"),
}
DEFINITIONS = {
    "record": ("record", "type", "类别", "记录类型"),
    "code": ("code", "编号", "代码"),
    "name": ("name", "名称"),
    "parent": ("parent", "node", "上级", "上级节点", "节点"),
    "level": ("level", "层级"),
    "energy_type": ("energy_type", "能源类型", "能源品种"),
    "unit": ("unit", "单位"),
    "kind": ("kind", "计量方式", "表计类型"),
    "multiplier": ("multiplier", "倍率"),
    "rollover_at": ("rollover_at", "满量程", "翻转值"),
    "formula": ("formula", "virtual_formula", "公式", "虚拟表公式"),
    "flow": ("flow", "能流", "流向"),
}
_NODE = ("node", "节点")
_METER = ("meter", "表计", "仪表")


def iter_rows(path: str | Path) -> Iterator[tuple[int, list[Any]]]:
    """The rows of a CSV file or of the first non-empty sheet of an XLSX workbook, one at a
    time, with their row numbers as shown in the file (the header is the first row yielded).

    CSV is read as UTF-8 (a byte-order mark is skipped) or GB18030; cells are strings. XLSX
    cells keep their types (numbers as floats, datetimes; an empty cell is ``""``); blank
    rows of a workbook are left out.
    """
    path = Path(path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        tables = read_tables(path)
        if tables:
            yield 1, tables[0].header  # the first non-blank row, whatever its number
            yield from tables[0].rows
        return
    yield from csv_rows(path)


def _parse_time(cell: Any, offset: timezone) -> int:
    if isinstance(cell, datetime):
        moment = cell
    else:
        text = str(cell).strip()
        if not text:
            raise ValueError("missing")
        moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=offset)
    return math.floor(moment.timestamp())


def _parse_value(cell: Any) -> float:
    try:
        value = float(cell)  # numbers, and text with or without surrounding spaces
    except ValueError:
        value = float(str(cell).replace(",", ""))  # thousands separators: "104,522.6"
    if not math.isfinite(value):
        raise ValueError("not finite")
    return value


@dataclass
class FileImport:
    """The outcome of a file import: the batch id, rows read, layout and the ingestion summary."""

    import_id: int
    layout: str
    rows_read: int
    readings: IngestSummary


def _blank(row: list[Any]) -> bool:
    # any() first: cheap, and a row with a truthy cell is not blank; only an all-falsy row
    # (None, "", 0) is looked at cell by cell, since a 0 is a value.
    return not any(row) and all(c is None or c == "" for c in row)


def _code(cell: Any) -> str:
    # a meter code typed as a number in Excel comes as a float: 1001.0 is meter 1001
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    return "" if cell is None else str(cell).strip()


#: A column of a chunk of rows: Arrow strings (the CSV reader) or Python cells (rows read one
#: by one: XLSX, and the rows Arrow could not split into the header's columns).
Cells = pa.Array | list[Any]
#: Row numbers (as shown in the file) and the columns of a chunk of rows, blank rows left out.
Chunk = tuple[np.ndarray, list[Cells]]


def _row_chunks(rows: Iterator[tuple[int, list[Any]]], width: int, size: int) -> Iterator[Chunk]:
    """Rows read one by one, in chunks of ``size`` as columns padded (or cut) to ``width``."""
    while batch := list(islice(rows, size)):
        kept = [(n, row) for n, row in batch if not _blank(row)]
        if kept:
            yield _columns(kept, width)


def _columns(rows: list[tuple[int, list[Any]]], width: int) -> Chunk:
    numbers = np.array([n for n, _ in rows], np.int64)
    cells = [
        row if len(row) == width else list(row[:width]) + [None] * (width - len(row))
        for _, row in rows
    ]
    return numbers, [list(column) for column in zip(*cells, strict=True)]


def _refuse_huge_fields(path: Path, numbers: np.ndarray, columns: list[Cells]) -> None:
    """The csv module's field limit on Arrow's cells too: the first row with a longer field
    is refused as the row reader refuses it."""
    rows = [
        int(numbers[np.flatnonzero(long)[0]])
        for column in columns
        if (long := pc.greater(pc.utf8_length(column), MAX_FIELD_CHARS).to_numpy(
            zero_copy_only=False
        )).any()
    ]  # fmt: skip
    if rows:
        where = Message("%(file)s row %(row)d", file=path.name, row=min(rows))
        rule = Message("a field is longer than %(limit)d characters", limit=MAX_FIELD_CHARS)
        raise InputError(InputProblem(where, "row", None, rule))


def _arrow_chunks(path: Path, width: int, readings: int) -> Iterator[Chunk]:
    """The rows after the header of a CSV file, by pyarrow's streaming reader, every cell as
    text, in blocks of about ``readings`` readings. Rows with more or fewer cells than the header
    (Arrow refuses them) are read by the csv module and take their place in the chunk."""
    odd: list[tuple[int, str]] = []  # (row number, text) of rows Arrow passed by

    def passed_by(row: Any) -> str:
        odd.append((row.number, row.text))
        return "skip"

    names = [f"c{i}" for i in range(width)]
    encoding = csv_encoding(path)
    reader = pa_csv.open_csv(
        path,
        read_options=pa_csv.ReadOptions(
            skip_rows=1,
            column_names=names,
            use_threads=False,  # the rows passed by then come with their numbers
            encoding="utf8" if encoding == "utf-8-sig" else encoding,
            # a reading takes about 40 bytes in a long file, 10 in a wide one
            block_size=max(1 << 16, 32 * readings),
        ),
        parse_options=pa_csv.ParseOptions(ignore_empty_lines=False, invalid_row_handler=passed_by),
        convert_options=pa_csv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()),
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    first = 2  # the number of the next row Arrow hands over
    for batch in reader:
        n = batch.num_rows
        skipped = {number for number, _ in odd if number >= first}
        numbers = np.arange(first, first + n + len(skipped), dtype=np.int64)
        if skipped:
            numbers = numbers[~np.isin(numbers, list(skipped))]
        numbers = numbers[:n]
        first = int(numbers[-1]) + 1 if n else first
        columns: list[Cells] = list(batch.columns)
        _refuse_huge_fields(path, numbers, columns)
        mine = [(number, text) for number, text in odd if number < first]
        if mine:  # rare: the whole chunk as Python cells, with those rows in their place
            odd[:] = [(number, text) for number, text in odd if number >= first]
            cells = zip(*(c.to_pylist() for c in columns), strict=True)
            rows = list(zip(numbers.tolist(), cells, strict=True))
            rows += [(number, next(csv.reader([text]))) for number, text in mine]
            rows = [(number, list(row)) for number, row in sorted(rows) if not _blank(row)]
            if rows:
                yield _columns(rows, width)
            continue
        blank = pc.equal(columns[0], "")
        for column in columns[1:]:
            blank = pc.and_(blank, pc.equal(column, ""))
        if pc.any(blank).as_py():
            keep = pc.invert(blank)
            numbers = numbers[keep.to_numpy(zero_copy_only=False)]
            columns = [column.filter(keep) for column in columns]
        if numbers.size:
            yield numbers, columns
    if odd:
        rows = [(number, next(csv.reader([text]))) for number, text in odd]
        rows = [(number, row) for number, row in rows if not _blank(row)]
        if rows:
            yield _columns(rows, width)


def _unique(cells: Cells) -> tuple[list[Any], np.ndarray]:
    """The distinct cells of a column and, for each cell, the index of its distinct value."""
    if isinstance(cells, pa.Array):
        encoded = pc.dictionary_encode(cells)
        return encoded.dictionary.to_pylist(), encoded.indices.to_numpy(zero_copy_only=False)
    index: dict[Any, int] = {}
    positions = np.fromiter((index.setdefault(c, len(index)) for c in cells), np.int64, len(cells))
    return list(index), positions


def _numbers(cells: Cells) -> tuple[np.ndarray, np.ndarray]:
    """Values of a column [float64] and where a cell is no finite number (as
    :func:`_parse_value` reads them): Arrow's cast first, cell by cell where it refuses."""
    if isinstance(cells, pa.Array):
        try:
            values = pc.cast(cells, pa.float64()).to_numpy(zero_copy_only=False)
        except pa.ArrowInvalid:  # spaces, thousands separators, text: as the row path reads
            cells = cells.to_pylist()
        else:
            return values, ~np.isfinite(values)
    elif not any(isinstance(cell, str) for cell in cells):  # a workbook's number cells
        try:
            values = np.array(cells, dtype=np.float64)  # None is nan: bad, as float refuses it
        except (ValueError, TypeError):  # a date, a time
            pass
        else:
            return values, ~np.isfinite(values)
    values = np.empty(len(cells))
    bad = np.zeros(len(cells), bool)
    for i, cell in enumerate(cells):
        try:
            values[i] = _parse_value(cell)
        except (ValueError, TypeError):
            bad[i] = True
    return values, bad


def _cell(cells: Cells, i: int) -> Any:
    return cells[i].as_py() if isinstance(cells, pa.Array) else cells[i]


#: Bytes of the duplicate check's first values held in memory before they go to a temporary
#: file (20 bytes a reading: about 3.4 million readings).
FIRST_VALUES_IN_MEMORY_BYTES = 64 << 20


class _FirstValues:
    """The first value given in a file for each meter and time, to refuse a second, different
    one (as an HTTP batch is refused). Kept as sorted numpy runs, one per chunk, of the keys
    ``meter id << 33 | ts + 2**32`` with their row numbers and values: 20 bytes a reading.
    Beyond :data:`FIRST_VALUES_IN_MEMORY_BYTES` of them, further runs go to files in a
    temporary directory, read through memory maps (the operating system's page cache, not the
    process, holds them), so that a file of any length is checked in bounded memory."""

    def __init__(self) -> None:
        # (lowest key, highest key, earliest ts, latest ts, keys, rows, values)
        self.runs: list[tuple[int, int, int, int, np.ndarray, np.ndarray, np.ndarray]] = []
        self.room = FIRST_VALUES_IN_MEMORY_BYTES
        self.spilled: tempfile.TemporaryDirectory[str] | None = None

    def _kept(self, *arrays: np.ndarray) -> list[np.ndarray]:
        """``arrays`` as they are while there is room in memory, else as read-only maps of
        files they are written to."""
        size = sum(a.nbytes for a in arrays)
        if size <= self.room:
            self.room -= size
            return list(arrays)
        if self.spilled is None:  # removed with this object (or at exit)
            self.spilled = tempfile.TemporaryDirectory(prefix="lingtan-first-values-")
        kept = []
        for array in arrays:
            name = Path(self.spilled.name, f"{len(self.runs)}-{len(kept)}.npy")
            np.save(name, array)
            kept.append(np.load(name, mmap_mode="r"))
        return kept

    def check(
        self,
        meter_ids: np.ndarray,
        ts: np.ndarray,
        values: np.ndarray,
        rows: np.ndarray,
        places: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For readings of one chunk (their rows, and places in the row): which come after
        the first of their meter and time in the file (a mask), and the row and value of that
        first reading for each."""
        keys = (meter_ids.astype(np.int64) << 33) + (ts.astype(np.int64) + (1 << 32))
        order = np.lexsort((places, rows, keys))  # by key, then as they come in the file
        sorted_keys = keys[order]
        starts = np.ones(keys.size, bool)
        starts[1:] = sorted_keys[1:] != sorted_keys[:-1]
        group = np.cumsum(starts) - 1
        firsts = order[starts]  # the first reading of each key in the chunk
        first_keys = keys[firsts]
        first_rows, first_values = rows[firsts], values[firsts]
        fresh = np.ones(firsts.size, bool)
        if first_keys.size:
            # Runs whose keys or times cannot meet this chunk's are passed by: a file in time
            # order (or in meter order) is compared with one neighbouring run per chunk.
            low, high = int(first_keys[0]), int(first_keys[-1])
            start, end = int(ts.min()), int(ts.max())
            for run in self.runs:
                run_low, run_high, run_start, run_end, run_keys, run_rows, run_values = run
                if run_high < low or run_low > high or run_end < start or run_start > end:
                    continue
                at = np.searchsorted(run_keys, first_keys).clip(max=run_keys.size - 1)
                found = run_keys[at] == first_keys
                first_rows[found], first_values[found] = run_rows[at[found]], run_values[at[found]]
                fresh &= ~found
            if fresh.any():
                kept = first_keys[fresh]
                kept_ts = (kept & ((1 << 33) - 1)) - (1 << 32)
                arrays = self._kept(kept, first_rows[fresh].astype(np.int32), first_values[fresh])
                bounds = (int(kept[0]), int(kept[-1]), int(kept_ts.min()), int(kept_ts.max()))
                self.runs.append((*bounds, *arrays))
        later = np.empty(keys.size, bool)
        earlier_rows = np.empty(keys.size, np.int64)
        earlier_values = np.empty(keys.size)
        later[order] = ~starts | ~fresh[group]  # a key of an earlier chunk: all are later
        earlier_rows[order], earlier_values[order] = first_rows[group], first_values[group]
        return later, earlier_rows, earlier_values


class _Checker:
    """Turns chunks of rows into checked readings (meter ids, epoch s, values), collecting
    problems in row order; stops storing at the first problem so that nothing more is
    written, but keeps checking to report every problem, up to :data:`MAX_PROBLEMS`."""

    def __init__(
        self,
        name: str,
        header: list[Any],
        meters: dict[str, tuple[int, bool]],
        *,
        utc_offset_min: int,
        now: datetime,
    ) -> None:
        self.name, self.meters = name, meters
        self.offset = timezone(timedelta(minutes=utc_offset_min))
        self.latest = math.floor(now.timestamp()) + FUTURE_TOLERANCE_S
        self.problems: list[InputProblem] = []
        self.full = False
        self.rows_read = 0
        self.readings_read = 0
        self.repeated = 0  # readings given twice with the same value: stored once
        self.first = _FirstValues()
        self.layout = ""
        self.width = len(header)
        cols = header_columns(header, READINGS)
        if "timestamp" not in cols:
            where = Message("%(file)s row %(row)d", file=name, row=1)
            rule = Message("no timestamp column (timestamp / 时间)")
            self.problems.append(InputProblem(where, "header", [str(h) for h in header], rule))
            self.full = True
            return
        self.it = cols["timestamp"]
        if {"meter", "value"} <= cols.keys():
            self.layout, self.im, self.iv = "long", cols["meter"], cols["value"]
            return
        self.layout = "wide"
        self.columns = [
            (i, str(h).strip())
            for i, h in enumerate(header)
            if i != self.it and h is not None and str(h).strip()
        ]
        self.add(
            [
                (1, j, code, code, rule)
                for j, (_, code) in enumerate(self.columns, start=1)
                if (rule := self._meter_rule(code)) is not None
            ]
        )

    def _meter_rule(self, code: str) -> str | None:
        meter = self.meters.get(code)
        if meter is None:
            return Message("unknown meter")
        return Message("a virtual meter has no readings of its own") if meter[1] else None

    def add(self, found: list[tuple[int, int, str, Any, str]]) -> None:
        """Problems ``(row, place in the row, field, value, rule)``; once there are
        :data:`MAX_PROBLEMS`, those of the rest of that row and none after."""
        found.sort(key=lambda p: p[:2])
        room = MAX_PROBLEMS - len(self.problems)
        if len(found) >= room:
            last_row = found[room - 1][0] if room > 0 else found[0][0]
            found = [p for p in found if p[0] <= last_row]
            self.full = True
        for row, _, field, value, rule in found:
            where = Message("%(file)s row %(row)d", file=self.name, row=row)
            self.problems.append(InputProblem(where, field, value, rule))

    def _times(self, cells: Cells, rows: np.ndarray, place: int) -> np.ndarray:
        """Epoch seconds of a timestamp column, each distinct cell parsed once; problems added
        for the bad ones. A bad timestamp is -2**62."""
        distinct, positions = _unique(cells)
        parsed = np.empty(len(distinct), np.int64)
        rules: dict[int, str] = {}
        for i, cell in enumerate(distinct):
            try:
                parsed[i] = _parse_time(cell, self.offset)
            except (ValueError, TypeError, OverflowError):
                rules[i] = Message(
                    "unparsable timestamp: ISO 8601 expected, e.g. 2025-03-01T08:15:00+08:00"
                )
                continue
            if parsed[i] > self.latest:
                rules[i] = Message("timestamp in the future")
            elif parsed[i] < EARLIEST_TS:
                rules[i] = Message("before %(earliest)s", earliest=EARLIEST)
        for i in rules:
            parsed[i] = _BAD_TS
        ts = parsed[positions]
        if rules:
            for k in np.flatnonzero(ts == _BAD_TS)[:MAX_PROBLEMS].tolist():
                self._found.append(
                    (int(rows[k]), place, "timestamp", _cell(cells, k), rules[int(positions[k])])
                )
        return ts

    def _values(self, cells: Cells, rows: np.ndarray, place: int, field: str) -> np.ndarray:
        values, bad = _numbers(cells)
        rule = Message("unparsable value: a number expected")
        for k in np.flatnonzero(bad)[:MAX_PROBLEMS].tolist():
            self._found.append((int(rows[k]), place, field, _cell(cells, k), rule))
        return np.where(bad, np.nan, values)

    def chunk(self, rows: np.ndarray, columns: list[Cells]) -> tuple[np.ndarray, ...] | None:
        """The readings of a chunk, checked (meter ids, ts, values); None once there is a
        problem in the file."""
        self.rows_read += rows.size
        self._found: list[tuple[int, int, str, Any, str]] = []
        if self.layout == "long":
            meter_ids, ts, values, at, places = self._long(rows, columns)
        else:
            meter_ids, ts, values, at, places = self._wide(rows, columns)
        ok = (meter_ids >= 0) & (ts != _BAD_TS) & ~np.isnan(values)
        meter_ids, ts, values, at, places = (a[ok] for a in (meter_ids, ts, values, at, places))
        self.readings_read += meter_ids.size
        later, first_rows, first_values = self.first.check(meter_ids, ts, values, rows[at], places)
        differ = later & (values != first_values)
        for k in np.flatnonzero(differ)[:MAX_PROBLEMS].tolist():
            rule = Message(
                "row %(row)d gives this meter and time the value %(value)s",
                row=int(first_rows[k]),
                value=repr(float(first_values[k])),
            )
            field, cells = self._field(int(places[k]), columns)
            self._found.append((int(rows[at[k]]), int(places[k]), field, _cell(cells, at[k]), rule))
        self.add(self._found)
        if self.problems:
            return None
        self.repeated += int(later.sum())
        keep = ~later
        return meter_ids[keep], ts[keep], values[keep]

    def _field(self, place: int, columns: list[Cells]) -> tuple[str, Cells]:
        if self.layout == "long":
            return "value", columns[self.iv]
        i, code = self.columns[place - 1]
        return code, columns[i]

    def _long(self, rows: np.ndarray, columns: list[Cells]) -> tuple[np.ndarray, ...]:
        n = rows.size
        codes, positions = _unique(columns[self.im])
        ids = np.empty(len(codes), np.int64)
        for i, cell in enumerate(codes):
            code = _code(cell)
            rule = self._meter_rule(code)
            ids[i] = -1 if rule is not None else self.meters[code][0]
            if rule is not None:
                for k in np.flatnonzero(positions == i)[:MAX_PROBLEMS].tolist():
                    self._found.append((int(rows[k]), 0, "meter", code, rule))
        ts = self._times(columns[self.it], rows, 1)
        values = self._values(columns[self.iv], rows, 2, "value")
        everywhere = np.arange(n)
        return ids[positions], ts, values, everywhere, np.full(n, 3)

    def _wide(self, rows: np.ndarray, columns: list[Cells]) -> tuple[np.ndarray, ...]:
        ts = self._times(columns[self.it], rows, 0)
        parts = []
        for place, (i, code) in enumerate(self.columns, start=1):
            cells = columns[i]
            if isinstance(cells, pa.Array):
                given = pc.not_equal(cells, "").to_numpy(zero_copy_only=False)
            else:
                given = np.fromiter((c is not None and c != "" for c in cells), bool, len(cells))
            at = np.flatnonzero(given)
            if not at.size:
                continue
            taken = cells.take(at) if isinstance(cells, pa.Array) else [cells[k] for k in at]
            values = self._values(taken, rows[at], place, code)
            meter = self.meters.get(code)
            mid = meter[0] if meter is not None and not meter[1] else -1
            parts.append((np.full(at.size, mid), ts[at], values, at, np.full(at.size, place)))
        if not parts:
            empty = np.empty(0, np.int64)
            return empty, empty, np.empty(0), empty, empty
        return tuple(np.concatenate(p) for p in zip(*parts, strict=True))


_BAD_TS = -(1 << 62)


def _read(
    path: Path,
    meters: dict[str, tuple[int, bool]],
    *,
    utc_offset_min: int,
    now: datetime,
    chunk_size: int,
    csv_reader: str,
) -> tuple[_Checker, Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]]:
    """The checker of a file (its header read) and its checked readings, chunk by chunk, until
    the first problem (then the rest is checked up to :data:`MAX_PROBLEMS`)."""
    rows = iter_rows(path)
    first = next(rows, None)
    if first is None:
        where = Message("%(file)s row %(row)d", file=path.name, row=1)
        raise InputError(InputProblem(where, "header", None, Message("empty file")))
    checker = _Checker(path.name, first[1], meters, utc_offset_min=utc_offset_min, now=now)
    if checker.full:
        raise InputError(checker.problems, origin=str(path))
    # about chunk_size readings a chunk: a row of a wide file holds one per meter column
    size = chunk_size // max(1, len(checker.columns)) if checker.layout == "wide" else chunk_size
    if path.suffix.lower() == ".csv" and csv_reader == "arrow":
        rows.close()
        chunks = _arrow_chunks(path, checker.width, chunk_size)
    else:
        chunks = _row_chunks(rows, checker.width, max(1, size))

    def checked() -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        for numbers, columns in chunks:
            readings = checker.chunk(numbers, columns)
            if readings is not None:
                yield readings
            if checker.full:
                return

    return checker, _read_ahead(checked())


def _read_ahead(items: Iterator[Any]) -> Iterator[Any]:
    """``items`` produced by a thread one item ahead of the consumer: reading and checking the
    next chunk (pyarrow and numpy release the GIL) overlaps storing this one (SQLite releases
    it while it writes). At most two chunks are held; an exception reaches the consumer."""
    ahead: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def put(kind: str, item: Any) -> bool:
        while not stop.is_set():
            try:
                ahead.put((kind, item), timeout=0.1)
            except queue.Full:
                continue
            return True
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put("item", item):
                    return
        except BaseException as error:  # handed over, raised in the consumer
            put("error", error)
        else:
            put("end", None)

    thread = threading.Thread(target=produce, name="lingtan-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            kind, item = ahead.get()
            if kind == "end":
                return
            if kind == "error":
                raise item
            yield item
    finally:
        stop.set()  # a consumer that stops early (an error while storing) ends the thread
        thread.join()


def import_readings_file(
    session: Session,
    facility_code: FacilityRef,
    path: str | Path,
    *,
    utc_offset_min: int = DEFAULT_UTC_OFFSET_MIN,
    actor: str = "cli",
    now: datetime | None = None,
    chunk_size: int = CHUNK_READINGS,
    csv_reader: str = "arrow",
) -> FileImport:
    """Import a file of readings (long or wide layout) in the caller's transaction.

    Parameters
    ----------
    session
        An open session; the whole file is one transaction (commit or roll back outside).
    facility_code
        The facility whose meters the file names.
    path
        A ``.csv`` (UTF-8 or GB18030) or ``.xlsx`` file; see the module notes for the layouts.
    utc_offset_min
        Offset of naive timestamps [min east of UTC]; 480 is +08:00.
    actor
        Who imports, kept in ``import_batch``.
    now
        The clock for the future-timestamp rule; the current time if omitted.
    chunk_size
        Rows checked and stored per round trip (about).
    csv_reader
        ``"arrow"``: pyarrow's streaming CSV reader (columnar, the fast path); ``"python"``:
        the csv module, row by row, the reference the columnar reader is tested against.
        Both go through the same checks and the same bulk store.

    Returns
    -------
    FileImport

    Raises
    ------
    InputError
        If any row is bad, or the file holds no reading; every problem names file, row,
        column, value and rule. The caller must roll back (``session_scope`` does): chunks
        already sent are then undone, and no batch or audit entry stays.
    """
    path = Path(path)
    fid = facility_id(session, facility_code)
    meters = {
        code: (mid, bool(formula))
        for mid, code, formula in session.execute(
            sa.select(Meter.id, Meter.code, Meter.virtual_formula).where(Meter.facility_id == fid)
        )
    }
    checker, readings = _read(
        path,
        meters,
        utc_offset_min=utc_offset_min,
        now=now or datetime.now(UTC),
        chunk_size=chunk_size,
        csv_reader=csv_reader,
    )
    batch = ImportBatch(
        facility_id=fid,
        filename=path.name,
        sha256=file_sha256(path),
        rows_read=0,
        rows_added=0,
        actor=actor,
    )
    session.add(batch)
    session.flush()
    summary = ingest_columns(session, fid, readings, origin=path.name, import_id=batch.id)
    if checker.problems:
        raise InputError(checker.problems, origin=str(path))
    if not checker.readings_read:
        where = Message("%(file)s row %(row)d", file=path.name, row=1)
        rule = Message("no readings: the file has a header and nothing under it")
        raise InputError(InputProblem(where, "rows", checker.rows_read, rule), origin=str(path))
    summary.unchanged += checker.repeated
    batch.rows_read, batch.rows_added = checker.rows_read, summary.added
    session.flush()
    audit_readings_import(session, batch, checker.layout, summary)
    return FileImport(batch.id, checker.layout, checker.rows_read, summary)


def _utc(ts: int | None) -> str | None:
    return None if ts is None else datetime.fromtimestamp(ts, UTC).isoformat()


def audit_readings_import(
    session: Session, batch: ImportBatch, layout: str, summary: IngestSummary
) -> None:
    """The audit entry of a file of readings, one per file (batch), in its transaction: the
    file's name and SHA-256, rows read, readings added, unchanged and in conflict, and the
    number of meters and the span [UTC] of the readings it added."""
    audit.record(
        session,
        actor=batch.actor,
        action="import",
        entity="import_batch",
        entity_key=str(batch.id),
        after={
            "kind": "meter_readings",
            "facility_id": batch.facility_id,
            "file": batch.filename,
            "sha256": batch.sha256,
            "layout": layout,
            "rows_read": batch.rows_read,
            "readings_added": summary.added,
            "readings_unchanged": summary.unchanged,
            "conflicts": summary.conflicts,
            "meters_added": len(summary.meters_added),
            "added_from_utc": _utc(summary.first_added_ts),
            "added_to_utc": _utc(summary.last_added_ts),
        },
    )


def read_definitions(path: str | Path) -> tuple[list[NodeDefinition], list[MeterDefinition]]:
    """Nodes and meters from a CSV file or the first sheet of a workbook.

    One row per node or meter, told apart by the ``record`` column (``node``/节点 or
    ``meter``/表计); columns ``code``, ``name``, ``parent`` (the parent node of a node, the
    node of a meter), ``level`` (nodes), ``energy_type``, ``unit``, ``kind``, ``multiplier``,
    ``rollover_at``, ``formula``, ``flow`` (meters: ``supply``, ``generation``, ``export``,
    ``output`` or ``use``, the default).

    Raises
    ------
    InputError
        Naming file, row, column, value and rule for every bad row.
    """
    path = Path(path)
    rows = iter_rows(path)
    header = next(rows, (1, []))[1]
    cols = header_columns(header, DEFINITIONS)
    problems: list[InputProblem] = []
    missing = [k for k in ("record", "code") if k not in cols]
    if missing:
        raise InputError(
            InputProblem(
                Message("%(file)s row %(row)d", file=path.name, row=1),
                "header",
                missing,
                Message("missing columns"),
            )
        )
    nodes, meters = [], []
    for number, row in rows:

        def cell(key: str, row: list[Any] = row) -> str:
            i = cols.get(key)
            return "" if i is None or i >= len(row) or row[i] is None else str(row[i]).strip()

        if not any(cell(k) for k in cols):
            continue
        where = Message("%(file)s row %(row)d", file=path.name, row=number)
        record, code = cell("record").casefold(), cell("code")
        if not code:
            problems.append(InputProblem(where, "code", None, Message("a code is required")))
            continue
        if record in _NODE:
            nodes.append(
                NodeDefinition(
                    code, cell("name") or code, cell("level") or "equipment", cell("parent") or None
                )
            )
        elif record in _METER:
            numbers = {}
            for key, default in (("multiplier", 1.0), ("rollover_at", None)):
                text = cell(key)
                try:
                    numbers[key] = float(text) if text else default
                except ValueError:
                    problems.append(InputProblem(where, key, text, Message("a number expected")))
            if len(numbers) < 2:
                continue
            meters.append(
                MeterDefinition(
                    code,
                    cell("energy_type"),
                    cell("unit"),
                    cell("kind"),
                    name=cell("name"),
                    node=cell("parent") or None,
                    multiplier=numbers["multiplier"],
                    rollover_at=numbers["rollover_at"],
                    virtual_formula=cell("formula") or None,
                    flow=cell("flow").casefold() or "use",
                )
            )
        else:
            problems.append(
                InputProblem(
                    where,
                    "record",
                    cell("record"),
                    Message("%(one)s or %(other)s", one="node", other="meter"),
                )
            )
    if problems:
        raise InputError(problems, origin=str(path))
    return nodes, meters


def define_meters_from_file(
    session: Session, facility_code: FacilityRef, path: str | Path, *, actor: str
) -> tuple[int, int]:
    """Read a definitions file (:func:`read_definitions`) and define its nodes and meters in
    ``actor``'s name."""
    nodes, meters = read_definitions(path)
    try:
        return define_meters(session, facility_code, nodes, meters, actor=actor)
    except InputError as error:
        raise InputError(error.problems, origin=str(path)) from None
