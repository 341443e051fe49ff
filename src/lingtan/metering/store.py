"""Meters and raw readings in the store: idempotent bulk ingestion and queries.

Readings are stored as read (before the multiplier), one row per meter and second in
``meter_reading`` keyed by ``(meter_id, ts)`` with ``ts`` in epoch seconds UTC. The same
reading twice is stored once; a different value for a stored meter and time is recorded in
``meter_reading_conflict`` and never overwrites the stored value (design principle 8). Late
and out-of-order readings are simply inserted.

Daily rollups (:mod:`lingtan.metering.rollups`) are derived from the readings. Every chunk
marks, in ``meter_day_stale``, the ``(meter, local day)`` pairs its *newly stored* readings can
change; readings already stored (unchanged or conflicting) change nothing and mark nothing.
A new reading at ``t`` changes the segments to its neighbouring readings, but intervals more
than the long-gap limit (:attr:`ValidationSettings.max_gap_s`) from ``t`` are ``missing``
before and after it; so the days of ``[t - reach, t + reach]`` are marked, with ``reach`` the
long-gap limit plus one interval (a segment's end inside a grid interval) for cumulative
meters, and twice that for interval meters (a short gap of an interval meter is interpolated
from the intervals on either side). The local day is UTC+08:00
(:data:`ROLLUP_UTC_OFFSET_MIN`).

A chunk is sorted by key (numpy) and, on SQLite, inserted straight by multi-row ``INSERT ...
ON CONFLICT DO NOTHING`` (500 rows a statement); on PostgreSQL it is copied (binary ``COPY``,
built by numpy) into a temporary staging table and inserted from there.
Only a chunk where some readings were already stored is compared with the stored values
(through the staging table) to count unchanged readings and record conflicts.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from itertools import islice
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from lingtan.errors import InputError, InputProblem
from lingtan.i18n import Message
from lingtan.metering.energy import MeterInfo, expand_virtual
from lingtan.metering.intervals import (
    INTERVAL_S,
    MeterIntervals,
    MeterKind,
    ValidationSettings,
    meter_intervals,
    rollover_rule,
)
from lingtan.store import audit, versions
from lingtan.store.models import (
    ENERGY_TYPES,
    METER_FLOWS,
    METER_KINDS,
    Facility,
    Meter,
    MeterNode,
    UTCDateTime,
)

__all__ = [
    "CHUNK_READINGS",
    "ROLLUP_UTC_OFFSET_MIN",
    "FacilityRef",
    "IngestSummary",
    "MeterDefinition",
    "NodeDefinition",
    "define_meters",
    "facility_id",
    "facility_label",
    "ingest_columns",
    "ingest_readings",
    "local_midnight",
    "local_time",
    "meter_readings",
    "meters_of",
    "stale_reach_s",
    "stored_intervals",
    "to_epoch",
    "utc_offset_text",
]

CHUNK_READINGS = 50_000
_STAGE = "meter_reading_stage"
# Readings this far around a span are read for intervals: a cumulative meter's first
# interval needs the reading before the span starts.
_MARGIN_S = 86_400
#: Offset of the local day of the daily rollups from UTC [min]: China Standard Time, +08:00
#: (no daylight saving time), the same as files' default for naive timestamps. A local day
#: runs from 16:00 UTC of the day before; it is always 96 grid intervals.
ROLLUP_UTC_OFFSET_MIN = 480
_SAVEPOINT = "lingtan_chunk"
#: A meter code: letters (any script, so 电表-1 too), digits, '-', '_', '.'; no '/', space or
#: other mark that would break the meter's page address.
_METER_CODE = re.compile(r"[^\W_][\w.-]*")


@dataclass
class IngestSummary:
    """What one ingestion did.

    Attributes
    ----------
    added : int
        New readings stored.
    unchanged : int
        Readings already stored with the same value (idempotent re-ingest).
    conflicts : int
        Readings that disagree with the stored value; recorded in ``meter_reading_conflict``
        (once per meter, time and new value), the stored value kept.
    unknown_meters : collections.Counter
        Meter codes not defined for the facility, with the number of readings refused.
    virtual_meters : collections.Counter
        Codes of virtual meters (no readings of their own), with the readings refused.
    meters_added : set of int
        Ids of the meters that got new readings.
    first_added_ts, last_added_ts : int or None
        Times of the first and last new reading [epoch s UTC]; None if none was added.
    """

    added: int = 0
    unchanged: int = 0
    conflicts: int = 0
    unknown_meters: Counter[str] = field(default_factory=Counter)
    virtual_meters: Counter[str] = field(default_factory=Counter)
    meters_added: set[int] = field(default_factory=set)
    first_added_ts: int | None = None
    last_added_ts: int | None = None

    def note_added(self, meter_ids: np.ndarray, ts: np.ndarray) -> None:
        """Count new readings (meter ids and times of a chunk) in the meters and span added."""
        if ts.size == 0:
            return
        self.meters_added.update(np.unique(meter_ids).tolist())
        first, last = int(ts.min()), int(ts.max())
        if self.first_added_ts is None or first < self.first_added_ts:
            self.first_added_ts = first
        if self.last_added_ts is None or last > self.last_added_ts:
            self.last_added_ts = last

    @property
    def refused(self) -> int:
        """Readings not stored because their meter is unknown or virtual."""
        return sum(self.unknown_meters.values()) + sum(self.virtual_meters.values())


def to_epoch(value: Any) -> int:
    """Epoch seconds UTC of an ``int``, a time-zone aware ``datetime``, a ``numpy.datetime64``
    or an ISO 8601 string without offset (read as UTC).

    Raises
    ------
    ValueError
        For a naive ``datetime`` (its zone would be a guess).
    """
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("a naive datetime has no zone: give UTC or an offset")
        return math.floor(value.timestamp())
    return int(np.datetime64(value, "s").astype(np.int64))


def local_midnight(day: date | np.datetime64, utc_offset_min: int = ROLLUP_UTC_OFFSET_MIN) -> int:
    """Epoch seconds UTC of local midnight at the start of ``day``.

    2025-01-01 at +08:00: 20,089 days x 86,400 s - 480 x 60 s = 1,735,660,800.
    """
    return int(np.datetime64(day, "D").astype(np.int64)) * 86_400 - 60 * utc_offset_min


def local_time(
    ts: int, utc_offset_min: int = ROLLUP_UTC_OFFSET_MIN, *, seconds: bool = False
) -> str:
    """Epoch second ``ts`` as local wall time: ``2025-01-01 08:00`` (``seconds``: ``08:00:00``)."""
    local = np.datetime64(ts + 60 * utc_offset_min, "s")
    return str(local if seconds else local.astype("datetime64[m]")).replace("T", " ")


def utc_offset_text(utc_offset_min: int) -> str:
    """A UTC offset in minutes as text: 480 → ``+08:00``, -210 → ``-03:30``."""
    sign = "+" if utc_offset_min >= 0 else "-"
    hours, minutes = divmod(abs(utc_offset_min), 60)
    return f"{sign}{hours:02d}:{minutes:02d}"


#: A facility given by its code, or the facility itself. A caller that has already resolved it
#: within an organization (the web application) passes the facility, so that a code held by
#: facilities of two organizations is never ambiguous.
FacilityRef = str | Facility


def facility_label(facility: FacilityRef) -> str:
    """The code of a :data:`FacilityRef`, for messages."""
    return facility.code if isinstance(facility, Facility) else facility


def facility_id(session: Session, facility_code: FacilityRef) -> int:
    """The id of the facility (given itself, or by a code that exactly one facility has);
    an :class:`InputError` otherwise."""
    if isinstance(facility_code, Facility):
        return facility_code.id
    ids = session.scalars(sa.select(Facility.id).where(Facility.code == facility_code)).all()
    if len(ids) != 1:
        rule = (
            Message("no such facility") if not ids else Message("several facilities have this code")
        )
        raise InputError(InputProblem(Message("facility"), "code", facility_code, rule))
    return ids[0]


def meters_of(session: Session, facility_code: FacilityRef) -> list[Meter]:
    """The facility's meters, ordered by code."""
    fid = facility_id(session, facility_code)
    return list(
        session.scalars(sa.select(Meter).where(Meter.facility_id == fid).order_by(Meter.code))
    )


def _meter(session: Session, facility_code: FacilityRef, meter_code: str) -> Meter:
    fid = facility_id(session, facility_code)
    meter = session.scalars(
        sa.select(Meter).where(Meter.facility_id == fid, Meter.code == meter_code)
    ).one_or_none()
    if meter is None:
        raise InputError(
            InputProblem(
                Message("facility %(code)s", code=facility_label(facility_code)),
                "meter",
                meter_code,
                Message("unknown meter"),
            )
        )
    return meter


def _chunks(iterable: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(iterable)
    while chunk := list(islice(iterator, size)):
        yield chunk


def ingest_readings(
    session: Session,
    facility_code: FacilityRef,
    readings: Iterable[tuple[str, Any, float]],
    *,
    origin: str,
    import_id: int | None = None,
    chunk_size: int = CHUNK_READINGS,
) -> IngestSummary:
    """Store raw readings, idempotently, in the session's transaction.

    Parameters
    ----------
    session
        An open session (e.g. from :func:`lingtan.store.db.session_scope`); nothing is
        committed here, so a caller can make a whole file one transaction.
    facility_code
        The facility whose meters the codes name.
    readings
        ``(meter_code, ts, value)``: ``ts`` in epoch seconds UTC (or see :func:`to_epoch`),
        ``value`` as read [meter unit, before the multiplier]; any order, consumed lazily in
        chunks of ``chunk_size``.
    origin
        Where the readings come from (file name, ``mqtt``, ``http``), kept with conflicts.
    import_id
        The ``import_batch`` of a file import, kept with conflicts.
    chunk_size
        Readings per round trip; bounds memory.

    Returns
    -------
    IngestSummary
        Readings of unknown or virtual meters are counted there and not stored.

    Raises
    ------
    ValueError
        For a value that is not a finite number.
    """
    fid = facility_id(session, facility_code)
    ids: dict[str, int] = {}
    virtual: set[str] = set()
    for mid, code, formula in session.execute(
        sa.select(Meter.id, Meter.code, Meter.virtual_formula).where(Meter.facility_id == fid)
    ):
        if formula:
            virtual.add(code)
        else:
            ids[code] = mid
    summary = IngestSummary()

    def columns() -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        for chunk in _chunks(readings, chunk_size):
            rows = []
            for code, ts, value in chunk:
                mid = ids.get(code)
                if mid is None:
                    counter = summary.virtual_meters if code in virtual else summary.unknown_meters
                    counter[code] += 1
                    continue
                value = float(value)
                if not math.isfinite(value):
                    raise ValueError(f"meter {code} at {ts}: value {value} is not a finite number")
                rows.append((mid, ts if type(ts) is int else to_epoch(ts), value))
            if rows:
                meter_ids, ts, values = zip(*rows, strict=True)
                yield np.array(meter_ids), np.array(ts, np.int64), np.array(values)

    return ingest_columns(
        session, fid, columns(), origin=origin, import_id=import_id, summary=summary
    )


def ingest_columns(
    session: Session,
    facility: int,
    chunks: Iterable[tuple[np.ndarray, np.ndarray, np.ndarray]],
    *,
    origin: str,
    import_id: int | None = None,
    summary: IngestSummary | None = None,
) -> IngestSummary:
    """Store checked readings given as columns, chunk by chunk, in the session's transaction:
    the bulk path of files, and the store of :func:`ingest_readings`.

    Parameters
    ----------
    facility
        The id of the facility.
    chunks
        ``(meter_ids, ts, values)`` arrays (int64 ids of the facility's stored, not virtual,
        meters; int64 epoch seconds UTC; finite float64 values as read), any order; each chunk
        is one round trip. On SQLite rows go in by multi-row ``INSERT``; on PostgreSQL by
        binary ``COPY`` into the staging table.
    origin, import_id
        As for :func:`ingest_readings`.
    summary
        Added to (and returned); a new one if omitted.
    """
    reach = {
        mid: stale_reach_s(kind)
        for mid, kind in session.execute(
            sa.select(Meter.id, Meter.kind).where(
                Meter.facility_id == facility, Meter.virtual_formula.is_(None)
            )
        )
    }
    connection = session.connection()
    postgresql = connection.dialect.name == "postgresql"
    _create_stage(connection, postgresql)
    summary = summary if summary is not None else IngestSummary()
    now = datetime.now(UTC)
    for meter_ids, ts, values in chunks:
        if meter_ids.size:
            order = np.lexsort((ts, meter_ids))
            chunk = (meter_ids[order], ts[order], values[order])
            _store_chunk(connection, postgresql, chunk, summary, origin, import_id, now, reach)
    return summary


def stale_reach_s(kind: str, settings: ValidationSettings | None = None) -> int:
    """How far from a new reading intervals can change [s] (see the module notes)."""
    settings = settings or ValidationSettings()
    reach = math.ceil(settings.max_gap_s) + INTERVAL_S
    return reach if kind == MeterKind.CUMULATIVE else 2 * reach


def _mark_stale(
    connection: sa.Connection, meter_ids: np.ndarray, ts: np.ndarray, reach: dict[int, int]
) -> None:
    """Mark the local days within each new reading's reach as stale (vectorised)."""
    if meter_ids.size == 0:
        return
    meters, inverse = np.unique(meter_ids, return_inverse=True)
    r = np.array([reach[int(m)] for m in meters], dtype=np.int64)[inverse]
    local = ts.astype(np.int64) + 60 * ROLLUP_UTC_OFFSET_MIN
    # reach < 1 day: a reading touches its own day and at most one neighbour.
    # One int64 key per (meter, day): 1-D unique is far faster than unique rows.
    ids = meter_ids.astype(np.int64) << 32
    keys = np.unique(np.concatenate((ids + (local - r) // 86_400, ids + (local + r) // 86_400)))
    dates = (np.datetime64("1970-01-01", "D") + (keys & 0xFFFFFFFF)).astype(object)
    connection.execute(
        sa.text(
            "INSERT INTO meter_day_stale (meter_id, day) VALUES (:m, :d) ON CONFLICT DO NOTHING"
        ).bindparams(sa.bindparam("d", type_=sa.Date())),
        [{"m": m, "d": d} for m, d in zip((keys >> 32).tolist(), dates.tolist(), strict=True)],
    )


def _create_stage(connection: sa.Connection, postgresql: bool) -> None:
    if postgresql:
        # Dropped at the end of the transaction: one staging table per ingestion.
        connection.exec_driver_sql(
            f"CREATE TEMP TABLE IF NOT EXISTS {_STAGE} "
            "(meter_id integer, ts bigint, value double precision) ON COMMIT DROP"
        )
    else:
        connection.exec_driver_sql(
            f"CREATE TEMP TABLE IF NOT EXISTS {_STAGE} (meter_id INTEGER, ts INTEGER, value REAL)"
        )


_ROWS_PER_INSERT = 500  # SQLite: rows per multi-row INSERT (3 parameters each)
# PostgreSQL binary COPY: header (signature, flags, extension length) and one tuple per row.
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
_COPY_ROW = np.dtype(
    [
        ("n", ">i2"),  # fields: 3
        ("lm", ">i4"),
        ("m", ">i4"),
        ("lt", ">i4"),
        ("t", ">i8"),
        ("lv", ">i4"),
        ("v", ">f8"),
    ]
)


def _insert_values(cursor: Any, sql: str, columns: tuple[np.ndarray, ...]) -> int:
    """Rows inserted by ``sql`` (``INSERT ... VALUES`` and a ``%s`` for the value lists) with
    the rows of ``columns``, several hundred rows per statement: half the time of a
    row-per-statement ``executemany``."""
    n, width = columns[0].size, len(columns)
    flat = np.empty(n * width, dtype=object)
    for i, column in enumerate(columns):
        flat[i::width] = column.tolist()
    rows = "(" + ", ".join("?" * width) + ")"
    full = n - n % _ROWS_PER_INSERT
    added = 0
    if full:
        statement = sql % ", ".join([rows] * _ROWS_PER_INSERT)
        cursor.executemany(statement, flat[: full * width].reshape(-1, _ROWS_PER_INSERT * width))
        added += cursor.rowcount
    if full < n:
        cursor.execute(sql % ", ".join([rows] * (n - full)), flat[full * width :].tolist())
        added += cursor.rowcount
    return added


def _copy_stage(cursor: Any, meter_ids: np.ndarray, ts: np.ndarray, values: np.ndarray) -> None:
    """The chunk into the (empty) PostgreSQL staging table by binary ``COPY``, built by numpy."""
    rows = np.empty(meter_ids.size, _COPY_ROW)
    rows["n"], rows["lm"], rows["lt"], rows["lv"] = 3, 4, 8, 8
    rows["m"], rows["t"], rows["v"] = meter_ids, ts, values
    with cursor.copy(f"COPY {_STAGE} (meter_id, ts, value) FROM STDIN (FORMAT BINARY)") as copy:
        copy.write(_COPY_HEADER + rows.tobytes() + b"\xff\xff")


def _insert_plain(connection: sa.Connection, insert: Any) -> int:
    """PostgreSQL: the staging table's rows inserted without ``ON CONFLICT`` (whose speculative
    insertion of every row costs much of the time); if some were stored already, by ``insert``
    from the savepoint."""
    try:
        return connection.exec_driver_sql(
            "INSERT INTO meter_reading (meter_id, ts, value) "
            f"SELECT meter_id, ts, value FROM {_STAGE} ORDER BY meter_id, ts"
        ).rowcount
    except sa.exc.IntegrityError:
        connection.exec_driver_sql(f"ROLLBACK TO {_SAVEPOINT}")
        return insert()


def _store_chunk(
    connection: sa.Connection,
    postgresql: bool,
    chunk: tuple[np.ndarray, np.ndarray, np.ndarray],
    summary: IngestSummary,
    origin: str,
    import_id: int | None,
    now: datetime,
    reach: dict[int, int],
) -> None:
    # The chunk is in key order: the inserts append to the clustered key instead of scattering
    # (a wide file gives one reading per meter per row).
    meter_ids, ts, values = chunk
    n = meter_ids.size
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    if postgresql:
        connection.exec_driver_sql(f"DELETE FROM {_STAGE}")
        _copy_stage(cursor, meter_ids, ts, values)
        connection.exec_driver_sql(f"SAVEPOINT {_SAVEPOINT}")

        def insert() -> int:
            return connection.exec_driver_sql(
                "INSERT INTO meter_reading (meter_id, ts, value) "
                f"SELECT meter_id, ts, value FROM {_STAGE} ORDER BY meter_id, ts "
                "ON CONFLICT DO NOTHING"
            ).rowcount
    else:
        connection.exec_driver_sql(f"SAVEPOINT {_SAVEPOINT}")

        def insert() -> int:
            return _insert_values(
                cursor,
                "INSERT INTO meter_reading (meter_id, ts, value) VALUES %s ON CONFLICT DO NOTHING",
                chunk,
            )

    # Straight in: new readings (the common case) are written once. When some readings were
    # already stored, the insert is undone, the new readings are found through the staging
    # table (they alone mark days stale) and the insert is repeated.
    added = insert() if not postgresql else _insert_plain(connection, insert)
    new_ids, new_ts = meter_ids, ts
    if added < n:
        if added:
            connection.exec_driver_sql(f"ROLLBACK TO {_SAVEPOINT}")
        if not postgresql:
            connection.exec_driver_sql(f"DELETE FROM {_STAGE}")
            _insert_values(cursor, f"INSERT INTO {_STAGE} VALUES %s", chunk)
        if added:
            new = connection.exec_driver_sql(
                f"SELECT DISTINCT s.meter_id, s.ts FROM {_STAGE} s WHERE NOT EXISTS (SELECT 1"
                " FROM meter_reading r WHERE r.meter_id = s.meter_id AND r.ts = s.ts)"
            ).all()
            new_ids = np.fromiter((row[0] for row in new), np.int64, len(new))
            new_ts = np.fromiter((row[1] for row in new), np.int64, len(new))
            insert()
        else:
            new_ids = new_ts = np.empty(0, np.int64)
    connection.exec_driver_sql(f"RELEASE {_SAVEPOINT}")
    cursor.close()
    _mark_stale(connection, new_ids, new_ts, reach)
    summary.note_added(new_ids, new_ts)
    summary.added += added
    if added == n:
        return
    differ = (
        f"FROM {_STAGE} s JOIN meter_reading r ON r.meter_id = s.meter_id AND r.ts = s.ts "
        "WHERE r.value <> s.value"
    )
    conflicts = connection.execute(sa.text(f"SELECT count(*) {differ}")).scalar_one()
    connection.execute(
        sa.text(
            "INSERT INTO meter_reading_conflict "
            "(meter_id, ts, stored_value, new_value, import_id, origin, created_at) "
            f"SELECT s.meter_id, s.ts, r.value, s.value, :import_id, :origin, :now {differ} "
            "AND NOT EXISTS (SELECT 1 FROM meter_reading_conflict c WHERE c.meter_id = s.meter_id"
            " AND c.ts = s.ts AND c.new_value = s.value)"
        ).bindparams(sa.bindparam("now", type_=UTCDateTime())),
        {"import_id": import_id, "origin": origin, "now": now},
    )
    summary.conflicts += conflicts
    summary.unchanged += n - added - conflicts


def meter_readings(
    session: Session, facility_code: FacilityRef, meter_code: str, *, start: Any, end: Any
) -> tuple[np.ndarray, np.ndarray]:
    """One meter's stored readings in ``[start, end)``, in time order.

    Parameters
    ----------
    start, end
        UTC bounds; see :func:`to_epoch`.

    Returns
    -------
    timestamps : numpy.ndarray of datetime64[s]
        Reading times [UTC].
    values : numpy.ndarray of float64
        Values as read [meter unit, before the multiplier].
    """
    meter = _meter(session, facility_code, meter_code)
    return _readings(session, meter.id, to_epoch(start), to_epoch(end))


def _readings(
    session: Session, meter_id: int, start: int, end: int
) -> tuple[np.ndarray, np.ndarray]:
    rows = _driver_rows(
        session,
        "SELECT ts, value FROM meter_reading WHERE meter_id = ? AND ts >= ? AND ts < ? ORDER BY ts",
        (meter_id, start, end),
    )
    ts = np.fromiter((row[0] for row in rows), np.int64, len(rows))
    return ts.astype("datetime64[s]"), np.fromiter((row[1] for row in rows), np.float64, len(rows))


def _driver_rows(session: Session, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    """Rows of a query with ``?`` placeholders as the driver's plain tuples, in the session's
    transaction: about twice as fast as result rows (and ten times in ``zip(*rows)``), which
    matters for every reading of a refresh and for the rollup queries. Dates are given as
    :class:`datetime.date` and come back as ISO text on SQLite."""
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        params = tuple(p.isoformat() if isinstance(p, date) else p for p in params)
    else:
        sql = sql.replace("?", "%s")
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql, params)
        return cursor.fetchall()
    finally:
        cursor.close()


def stored_intervals(
    session: Session,
    facility_code: FacilityRef,
    meter_code: str,
    *,
    start: Any,
    end: Any,
    settings: ValidationSettings | None = None,
) -> MeterIntervals:
    """Checked 15-minute intervals of a stored meter over ``[start, end)``.

    Calls :func:`lingtan.metering.intervals.meter_intervals` on the readings stored from one
    day before ``start`` to one day after ``end`` (a cumulative meter's first interval needs
    the reading before the span), with the meter's kind, unit, multiplier and rollover.

    Parameters
    ----------
    start, end
        UTC bounds on the 15-minute grid; see :func:`to_epoch`.
    settings
        Validation settings; the defaults of :class:`ValidationSettings` if omitted.
    """
    meter = _meter(session, facility_code, meter_code)
    if meter.virtual_formula:
        raise InputError(
            InputProblem(
                Message("meter %(code)s", code=meter_code),
                "virtual_formula",
                meter.virtual_formula,
                Message("a virtual meter has no readings of its own"),
            )
        )
    return _meter_intervals(session, meter, to_epoch(start), to_epoch(end), settings)


def _meter_intervals(
    session: Session, meter: Meter, a: int, b: int, settings: ValidationSettings | None
) -> MeterIntervals:
    """Intervals of a stored (not virtual) meter over ``[a, b)`` [epoch s], from the readings
    of ``[a - 1 day, b + 1 day)``."""
    ts, values = _readings(session, meter.id, a - _MARGIN_S, b + _MARGIN_S)
    return meter_intervals(
        ts,
        values,
        start=np.datetime64(a, "s"),
        end=np.datetime64(b, "s"),
        kind=meter.kind,
        meter_id=meter.code,
        unit=meter.unit,
        multiplier=meter.multiplier,
        rollover_at=meter.rollover_at,
        settings=settings,
    )


# --- Defining the tree and the meters -------------------------------------------------------


@dataclass(frozen=True)
class NodeDefinition:
    """A node of the metering tree as defined in a sheet; ``parent`` is a node code."""

    code: str
    name: str
    level: str
    parent: str | None = None


@dataclass(frozen=True)
class MeterDefinition:
    """A meter as defined in a sheet; ``node`` is a node code."""

    code: str
    energy_type: str
    unit: str
    kind: str
    name: str = ""
    node: str | None = None
    multiplier: float = 1.0
    rollover_at: float | None = None
    virtual_formula: str | None = None
    flow: str = "use"


def define_meters(
    session: Session,
    facility_code: FacilityRef,
    nodes: Iterable[NodeDefinition],
    meters: Iterable[MeterDefinition],
    *,
    actor: str,
) -> tuple[int, int]:
    """Create or update nodes and meters of a facility by code (idempotent), in ``actor``'s
    name: each node and meter created or changed gets an audit entry with its definition
    before and after (a definition given again unchanged writes none).

    Nodes may be given in any order: parents are resolved after all nodes exist. Problems
    (unknown parent or node, energy type, kind or flow outside the lists, a virtual formula
    that names an unknown meter, itself, a cycle of virtual meters or a meter of another
    energy type or unit, see :func:`lingtan.metering.energy.expand_virtual`) raise an
    :class:`InputError` naming every one; the caller's transaction then writes nothing.
    A meter whose kind, multiplier, rollover, formula, node, energy type, unit or flow changes
    has its stored days marked stale for :func:`lingtan.metering.rollups.refresh`.

    Returns
    -------
    (int, int)
        Numbers of nodes and meters defined.
    """
    fid = facility_id(session, facility_code)
    nodes, meters = list(nodes), list(meters)
    problems: list[InputProblem] = []
    existing = {
        n.code: n for n in session.scalars(sa.select(MeterNode).where(MeterNode.facility_id == fid))
    }
    code_of = {n.id: code for code, n in existing.items()}
    nodes_before = {code: _node_state(n, code_of) for code, n in existing.items()}
    for d in nodes:
        node = existing.get(d.code)
        if node is None:
            node = existing[d.code] = MeterNode(
                facility_id=fid, code=d.code, name=d.name, level=d.level
            )
            session.add(node)
        node.name, node.level = d.name, d.level
    session.flush()
    for d in nodes:
        if d.parent and d.parent not in existing:
            where = Message("node %(code)s", code=d.code)
            problems.append(InputProblem(where, "parent", d.parent, Message("unknown node")))
        existing[d.code].parent_id = existing[d.parent].id if d.parent in existing else None
    known = {m.code: m for m in session.scalars(sa.select(Meter).where(Meter.facility_id == fid))}
    meters_before: dict[str, dict[str, Any]] = {}
    redefined: list[int] = []  # stored meters whose daily totals change
    for d in meters:
        where = Message("meter %(code)s", code=d.code)
        if not _METER_CODE.fullmatch(d.code):
            problems.append(
                InputProblem(
                    where,
                    "code",
                    d.code,
                    Message(
                        "letters, digits, '-', '_' and '.' only, starting with a letter or "
                        "digit: the code is part of the meter's web address"
                    ),
                )
            )
        if d.energy_type not in ENERGY_TYPES:
            problems.append(
                InputProblem(
                    where,
                    "energy_type",
                    d.energy_type,
                    Message("one of %(options)s", options=", ".join(ENERGY_TYPES)),
                )
            )
        if d.kind not in METER_KINDS:
            problems.append(
                InputProblem(
                    where,
                    "kind",
                    d.kind,
                    Message("%(one)s or %(other)s", one="cumulative", other="interval"),
                )
            )
        if d.flow not in METER_FLOWS:
            rule = Message("one of %(options)s", options=", ".join(METER_FLOWS))
            problems.append(InputProblem(where, "flow", d.flow, rule))
        if not d.multiplier > 0:
            problems.append(InputProblem(where, "multiplier", d.multiplier, Message("must be > 0")))
        if (rule := rollover_rule(d.rollover_at)) is not None:  # else every read would fail
            problems.append(InputProblem(where, "rollover_at", d.rollover_at, rule))
        if d.node and d.node not in existing:
            problems.append(InputProblem(where, "node", d.node, Message("unknown node")))
        meter = known.get(d.code)
        if meter is None:
            meter = known[d.code] = Meter(facility_id=fid, code=d.code)
            session.add(meter)
        else:
            meters_before[d.code] = _meter_state(meter, code_of)
        before = _rollup_inputs(meter)
        meter.name, meter.energy_type, meter.unit, meter.kind = (
            d.name,
            d.energy_type,
            d.unit,
            d.kind,
        )
        meter.multiplier, meter.rollover_at = d.multiplier, d.rollover_at
        meter.virtual_formula = d.virtual_formula or None
        meter.flow = d.flow
        meter.node_id = existing[d.node].id if d.node in existing else None
        if meter.id is not None and _rollup_inputs(meter) != before:
            redefined.append(meter.id)
    try:
        expand_virtual(
            {
                m.code: MeterInfo(m.code, m.energy_type, m.unit, formula=m.virtual_formula)
                for m in known.values()
            }
        )
    except InputError as error:
        problems += error.problems
    if problems:
        raise InputError(problems)
    session.flush()
    code_of = {n.id: code for code, n in existing.items()}
    changes = [
        (
            "meter_node",
            existing[d.code],
            nodes_before.get(d.code),
            _node_state(existing[d.code], code_of),
        )
        for d in nodes
    ] + [
        ("meter", known[d.code], meters_before.get(d.code), _meter_state(known[d.code], code_of))
        for d in meters
    ]
    site = session.scalar(sa.select(Facility.code).where(Facility.id == fid))
    for entity, row, was, now in changes:
        if was != now:
            audit.record(
                session,
                actor=actor,
                action="create" if was is None else "update",
                entity=entity,
                entity_key=str(row.id),
                before=None if was is None else {"facility_id": fid, **was},
                after={"facility_id": fid, "facility": site, "code": row.code, **now},
            )
    if redefined:
        # Their daily totals (and their nodes') are recomputed by the next refresh.
        session.execute(
            sa.text(
                "INSERT INTO meter_day_stale (meter_id, day) SELECT meter_id, day FROM meter_day "
                "WHERE meter_id IN :ids ON CONFLICT DO NOTHING"
            ).bindparams(sa.bindparam("ids", expanding=True)),
            {"ids": redefined},
        )
    versions.bump(session, [fid])  # names, nodes and flows show on the energy screens
    return len(nodes), len(meters)


def _node_state(node: MeterNode, code_of: dict[int, str]) -> dict[str, Any]:
    """A node's definition as the audit log keeps it (its parent by code)."""
    return {"name": node.name, "level": node.level, "parent": code_of.get(node.parent_id)}


def _meter_state(meter: Meter, code_of: dict[int, str]) -> dict[str, Any]:
    """A meter's definition as the audit log keeps it (its node by code)."""
    return {
        "name": meter.name,
        "node": code_of.get(meter.node_id),
        "energy_type": meter.energy_type,
        "unit": meter.unit,
        "kind": meter.kind,
        "multiplier": meter.multiplier,
        "rollover_at": meter.rollover_at,
        "virtual_formula": meter.virtual_formula,
        "flow": meter.flow,
    }


def _rollup_inputs(meter: Meter) -> tuple[Any, ...]:
    """What a meter's daily totals, or its node's, depend on."""
    return (
        meter.kind,
        meter.multiplier,
        meter.rollover_at,
        meter.virtual_formula,
        meter.node_id,
        meter.energy_type,
        meter.unit,
        meter.flow,
    )
