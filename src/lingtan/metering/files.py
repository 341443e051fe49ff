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

A file is read row by row and stored in chunks of :data:`lingtan.metering.store.CHUNK_READINGS`
readings, all inside the caller's single transaction; a file with any bad row writes nothing
(design principle 8). A CSV file is read line by line, in memory bounded whatever its size. An
XLSX workbook is read with calamine through :func:`lingtan.imports.tables.read_tables`, which
holds the sheet's cells in native form (about 70 bytes per cell) and hands over Python rows one
at a time: some 250 MiB for a year of 100 meters (3.5 million cells), 7 to 9 times faster than
openpyxl's streaming reader. Every problem names the file, row, column, value
and rule: unknown or virtual meter, unparsable timestamp or value, a timestamp in the future.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from lingtan.errors import InputError, InputProblem
from lingtan.i18n import Message
from lingtan.imports.tables import header_columns, read_tables
from lingtan.imports.text import csv_rows, file_sha256
from lingtan.metering.reading import EARLIEST, EARLIEST_TS
from lingtan.metering.store import (
    CHUNK_READINGS,
    FacilityRef,
    IngestSummary,
    MeterDefinition,
    NodeDefinition,
    define_meters,
    facility_id,
    ingest_readings,
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
#: Problems collected before reading stops; a file with more is refused all the same.
MAX_PROBLEMS = 100

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


class _Reader:
    """Turns rows into readings, collecting problems; stops yielding at the first problem so
    that nothing more is written, but keeps checking to report every problem."""

    def __init__(
        self,
        name: str,
        rows: Iterator[tuple[int, list[Any]]],
        meters: dict[str, bool],
        *,
        utc_offset_min: int,
        now: datetime,
    ) -> None:
        self.name, self.rows, self.meters = name, rows, meters
        self.offset = timezone(timedelta(minutes=utc_offset_min))
        self.latest = math.floor(now.timestamp()) + FUTURE_TOLERANCE_S
        self.problems: list[InputProblem] = []
        self.rows_read = 0
        self.layout = ""

    def fail(self, row: int, column: str, value: Any, rule: str) -> None:
        where = Message("%(file)s row %(row)d", file=self.name, row=row)
        self.problems.append(InputProblem(where, column, value, rule))

    def _meter_rule(self, code: str) -> str | None:
        virtual = self.meters.get(code)
        if virtual is None:
            return Message("unknown meter")
        return Message("a virtual meter has no readings of its own") if virtual else None

    def _time(self, row: int, column: str, cell: Any) -> int | None:
        try:
            ts = _parse_time(cell, self.offset)
        except (ValueError, TypeError, OverflowError):
            self.fail(
                row,
                column,
                cell,
                Message("unparsable timestamp: ISO 8601 expected, e.g. 2025-03-01T08:15:00+08:00"),
            )
            return None
        if ts > self.latest:
            self.fail(row, column, cell, Message("timestamp in the future"))
            return None
        if ts < EARLIEST_TS:
            self.fail(row, column, cell, Message("before %(earliest)s", earliest=EARLIEST))
            return None
        return ts

    def readings(self) -> Iterator[tuple[str, int, float]]:
        first = next(self.rows, None)
        if first is None:
            self.fail(1, "header", None, Message("empty file"))
            return
        header = first[1]
        cols = header_columns(header, READINGS)
        if "timestamp" not in cols:
            self.fail(
                1,
                "header",
                [str(h) for h in header],
                Message("no timestamp column (timestamp / 时间)"),
            )
            return
        if {"meter", "value"} <= cols.keys():
            self.layout = "long"
            yield from self._long(cols)
        else:
            self.layout = "wide"
            yield from self._wide(header, cols["timestamp"])

    def _long(self, cols: dict[str, int]) -> Iterator[tuple[str, int, float]]:
        im, it, iv = cols["meter"], cols["timestamp"], cols["value"]
        width = max(cols.values()) + 1
        last_cell, last_ts = None, None
        for number, row in self.rows:
            if _blank(row):
                continue  # a blank line is no reading
            self.rows_read += 1
            if len(row) < width:
                row = list(row) + [None] * (width - len(row))
            code = _code(row[im])
            ok = True
            if self.meters.get(code) is not False:  # unknown or virtual
                self.fail(number, "meter", code, self._meter_rule(code))
                ok = False
            cell = row[it]
            if cell == last_cell and last_ts is not None:
                ts = last_ts  # long files repeat one timestamp for every meter
            else:
                ts = self._time(number, "timestamp", cell)
                last_cell, last_ts = cell, ts
            try:
                value = _parse_value(row[iv])
            except (ValueError, TypeError):
                self.fail(number, "value", row[iv], Message("unparsable value: a number expected"))
                ok = False
            if ts is None:
                ok = False
            if len(self.problems) >= MAX_PROBLEMS:
                return
            if ok and not self.problems:
                yield code, ts, value

    def _wide(self, header: list[Any], it: int) -> Iterator[tuple[str, int, float]]:
        columns = [
            (i, str(h).strip())
            for i, h in enumerate(header)
            if i != it and h is not None and str(h).strip()
        ]
        for _, code in columns:
            if (rule := self._meter_rule(code)) is not None:
                self.fail(1, code, code, rule)
        for number, row in self.rows:
            if _blank(row):
                continue
            self.rows_read += 1
            ts = self._time(number, "timestamp", row[it] if it < len(row) else None)
            for i, code in columns:
                cell = row[i] if i < len(row) else None
                if cell is None or cell == "":
                    continue
                try:
                    value = _parse_value(cell)
                except (ValueError, TypeError):
                    self.fail(number, code, cell, Message("unparsable value: a number expected"))
                    continue
                if ts is not None and not self.problems:
                    yield code, ts, value
            if len(self.problems) >= MAX_PROBLEMS:
                return


def import_readings_file(
    session: Session,
    facility_code: FacilityRef,
    path: str | Path,
    *,
    utc_offset_min: int = DEFAULT_UTC_OFFSET_MIN,
    actor: str = "cli",
    now: datetime | None = None,
    chunk_size: int = CHUNK_READINGS,
) -> FileImport:
    """Import a file of readings (long or wide layout) in the caller's transaction.

    Parameters
    ----------
    session
        An open session; the whole file is one transaction (commit or roll back outside).
    facility_code
        The facility whose meters the file names.
    path
        A ``.csv`` (UTF-8) or ``.xlsx`` file; see the module notes for the layouts.
    utc_offset_min
        Offset of naive timestamps [min east of UTC]; 480 is +08:00.
    actor
        Who imports, kept in ``import_batch``.
    now
        The clock for the future-timestamp rule; the current time if omitted.
    chunk_size
        Readings stored per round trip.

    Returns
    -------
    FileImport

    Raises
    ------
    InputError
        If any row is bad; every problem names file, row, column, value and rule. The caller
        must roll back (``session_scope`` does): chunks already sent are then undone.
    """
    path = Path(path)
    fid = facility_id(session, facility_code)
    meters = {
        code: bool(formula)
        for code, formula in session.execute(
            sa.select(Meter.code, Meter.virtual_formula).where(Meter.facility_id == fid)
        )
    }
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
    reader = _Reader(
        path.name,
        iter_rows(path),
        meters,
        utc_offset_min=utc_offset_min,
        now=now or datetime.now(UTC),
    )
    summary = ingest_readings(
        session,
        facility_code,
        reader.readings(),
        origin=path.name,
        import_id=batch.id,
        chunk_size=chunk_size,
    )
    if reader.problems:
        raise InputError(reader.problems, origin=str(path))
    batch.rows_read, batch.rows_added = reader.rows_read, summary.added
    session.flush()
    audit_readings_import(session, batch, reader.layout, summary)
    return FileImport(batch.id, reader.layout, reader.rows_read, summary)


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
            problems.append(InputProblem(where, "code", None, "a code is required"))
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
                    problems.append(InputProblem(where, key, text, "a number expected"))
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
            problems.append(InputProblem(where, "record", cell("record"), "node or meter"))
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
