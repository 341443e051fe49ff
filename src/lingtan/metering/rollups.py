"""Daily totals of meters and of the nodes of the metering tree, kept up to date.

What is stored
    ``meter_day`` holds, per stored (not virtual) meter and local day, the checked energy of
    the day's 96 intervals from :func:`lingtan.metering.intervals.meter_intervals` and
    :func:`~lingtan.metering.intervals.rollup`: ``energy`` = measured + estimated energy
    [meter unit, after the multiplier], ``estimated`` its estimated part, and the number of
    intervals measured (``measured``, ``stuck``, ``rollover``, ``replacement``), estimated and
    missing (``missing``, ``spike``, ``negative``: no energy). A day of which nothing is known
    (all 96 intervals missing) has **no row**: an absent day means 96 missing intervals.
    ``node_day`` holds the sums of ``meter_day`` per node, energy type, flow, unit and day over
    the node's own meters (not its children's); meters without a node are in no node.

Local day
    UTC+08:00 (:data:`lingtan.metering.store.ROLLUP_UTC_OFFSET_MIN`), China Standard Time
    without daylight saving time: a local day runs from 16:00 UTC of the day before and always
    has 96 intervals.

When it is refreshed
    Storing readings marks the (meter, day)s they can change in ``meter_day_stale`` (see
    :mod:`lingtan.metering.store`); :func:`refresh` recomputes exactly those and deletes the
    marks. ``lingtan meters import`` refreshes after each file's import has committed, in a
    second transaction; ``lingtan ingest`` refreshes in each batch's transaction. A program
    storing readings with :func:`~lingtan.metering.store.ingest_readings` calls
    :func:`refresh` itself.

How a day is computed
    The stale days of a meter are taken in contiguous runs, cut at local month boundaries
    (bounded memory: a month of one meter's readings at a time). Each run's intervals come
    from the readings of the run plus one day either side, as
    :func:`lingtan.metering.store.stored_intervals` reads them, with the default
    :class:`~lingtan.metering.intervals.ValidationSettings`. Rules that look at the whole
    series passed in (the usual reading period, the typical rate of the spike test) therefore
    see the run and its margin: a day's row equals ``stored_intervals`` over the run it was
    refreshed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from lingtan.metering.intervals import MEASURED_FLAGS, Quality, ValidationSettings, rollup
from lingtan.metering.store import (
    ROLLUP_UTC_OFFSET_MIN,
    _driver_rows,
    _meter_intervals,
    local_midnight,
)
from lingtan.store import versions
from lingtan.store.models import Meter, MeterDay, MeterDayStale

__all__ = [
    "DailyTotals",
    "NodeTotals",
    "daily_totals",
    "node_monthly_totals",
    "refresh",
    "tree_daily_totals",
]

_EPOCH = np.datetime64("1970-01-01", "D")
_FLUSH_ROWS = 20_000  # meter_day rows written per round trip
_MEASURED = [int(q) for q in MEASURED_FLAGS]
_MISSING = [int(Quality.MISSING), int(Quality.SPIKE), int(Quality.NEGATIVE)]
_DAY = sa.bindparam("d", type_=sa.Date())
_SPAN = (sa.bindparam("a", type_=sa.Date()), sa.bindparam("b", type_=sa.Date()))


def refresh(
    session: Session, facility_id: int | None = None, *, settings: ValidationSettings | None = None
) -> int:
    """Recompute the stale daily totals, in the session's transaction.

    Parameters
    ----------
    session
        An open session; nothing is committed here.
    facility_id
        Only this facility's meters; all facilities if omitted.
    settings
        Validation settings; the defaults of :class:`ValidationSettings` if omitted.

    Returns
    -------
    int
        Number of (meter, day)s recomputed (the marks removed); 0 when nothing was stale.

    Notes
    -----
    Each meter's marks are deleted (``DELETE ... RETURNING``) before its days are computed:
    readings stored meanwhile by another transaction mark their days again and are refreshed
    next time, never lost. Memory is bounded by one meter's readings over one local month.
    """
    connection = session.connection()
    query = sa.select(Meter).where(Meter.id.in_(sa.select(MeterDayStale.meter_id).distinct()))
    if facility_id is not None:
        query = query.where(Meter.facility_id == facility_id)
    touched: dict[int, set[int]] = {}
    done = 0
    rows: list[dict[str, Any]] = []
    for meter in session.scalars(query.order_by(Meter.id)).all():
        days = np.sort(
            np.array(
                connection.execute(
                    sa.text("DELETE FROM meter_day_stale WHERE meter_id = :m RETURNING day"),
                    {"m": meter.id},
                )
                .scalars()
                .all(),
                dtype="datetime64[D]",
            )
        )
        if not days.size:
            continue  # refreshed meanwhile by another transaction
        done += days.size
        touched.setdefault(meter.facility_id, set()).update(
            (days - _EPOCH).astype(np.int64).tolist()
        )
        if meter.virtual_formula:  # its totals come from its inputs' rows (redefined as virtual)
            connection.execute(
                sa.text("DELETE FROM meter_day WHERE meter_id = :m"), {"m": meter.id}
            )
            continue
        for d0, d1 in _runs(days):
            connection.execute(
                sa.text(
                    "DELETE FROM meter_day WHERE meter_id = :m AND day >= :a AND day <= :b"
                ).bindparams(*_SPAN),
                {"m": meter.id, "a": _date(d0), "b": _date(d1)},
            )
            rows += _meter_days(session, meter, d0, d1, settings)
            if len(rows) >= _FLUSH_ROWS:
                connection.execute(sa.insert(MeterDay), rows)
                rows = []
    if rows:
        connection.execute(sa.insert(MeterDay), rows)
    for fid, day_numbers in touched.items():
        _refresh_nodes(connection, fid, sorted(day_numbers))
    versions.bump(connection, touched)  # what was computed from the old readings is stale
    return done


def _date(day: np.datetime64) -> date:
    return day.astype(object)


def _runs(days: np.ndarray) -> list[tuple[np.datetime64, np.datetime64]]:
    """Contiguous runs of sorted days, cut at month boundaries: ``[(first, last), ...]``."""
    months = days.astype("datetime64[M]")
    cut = np.flatnonzero((np.diff(days).astype(np.int64) != 1) | (months[1:] != months[:-1]))
    starts = np.concatenate(([0], cut + 1))
    ends = np.concatenate((cut, [days.size - 1]))
    return [(days[a], days[b]) for a, b in zip(starts.tolist(), ends.tolist(), strict=True)]


def _meter_days(
    session: Session,
    meter: Meter,
    first: np.datetime64,
    last: np.datetime64,
    settings: ValidationSettings | None,
) -> list[dict[str, Any]]:
    """``meter_day`` rows of local days ``first`` to ``last``; days with nothing known left out."""
    a, b = local_midnight(first), local_midnight(last + 1)
    daily = rollup(
        _meter_intervals(session, meter, a, b, settings),
        "day",
        utc_offset_min=ROLLUP_UTC_OFFSET_MIN,
    )
    measured = daily.counts[:, _MEASURED].sum(axis=1)
    estimated = daily.counts[:, int(Quality.ESTIMATED)]
    missing = daily.counts[:, _MISSING].sum(axis=1)
    days = daily.start_local.astype("datetime64[D]").astype(object)
    return [
        {
            "meter_id": meter.id,
            "day": days[i],
            "energy": float(daily.energy[i]),
            "estimated": float(daily.energy_estimated[i]),
            "measured_intervals": int(measured[i]),
            "estimated_intervals": int(estimated[i]),
            "missing_intervals": int(missing[i]),
        }
        for i in np.flatnonzero(measured + estimated).tolist()
    ]


def _refresh_nodes(connection: sa.Connection, facility_id: int, day_numbers: list[int]) -> None:
    """Rebuild the facility's ``node_day`` rows of these days from ``meter_day``."""
    params = [{"f": facility_id, "d": date(1970, 1, 1) + timedelta(days=n)} for n in day_numbers]
    connection.execute(
        sa.text("DELETE FROM node_day WHERE facility_id = :f AND day = :d").bindparams(_DAY),
        params,
    )
    # CROSS JOIN: meters first, then one seek per meter in meter_day's (meter_id, day) key.
    connection.execute(
        sa.text(
            "INSERT INTO node_day (facility_id, day, node_id, energy_type, flow, unit, energy, "
            "estimated, measured_intervals, estimated_intervals, missing_intervals, meters) "
            "SELECT :f, d.day, m.node_id, m.energy_type, m.flow, m.unit, sum(d.energy), "
            "sum(d.estimated), sum(d.measured_intervals), sum(d.estimated_intervals), "
            "sum(d.missing_intervals), count(*) "
            "FROM meter m CROSS JOIN meter_day d "
            "WHERE d.meter_id = m.id AND m.facility_id = :f AND m.node_id IS NOT NULL "
            "AND d.day = :d "
            "GROUP BY d.day, m.node_id, m.energy_type, m.flow, m.unit"
        ).bindparams(_DAY),
        params,
    )


# --- Queries -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DailyTotals:
    """Daily totals of meters, one entry per meter and day that has a ``meter_day`` row,
    ordered by meter and day.

    Attributes
    ----------
    meter_id : numpy.ndarray of int64
    day : numpy.ndarray of datetime64[D]
        Local day (UTC+08:00).
    energy : numpy.ndarray of float64
        Measured + estimated energy [meter unit, after the multiplier].
    estimated : numpy.ndarray of float64
        The estimated part of ``energy`` [meter unit].
    measured_intervals, estimated_intervals, missing_intervals : numpy.ndarray of int64
        Interval counts; they add up to 96. A day without an entry has 96 missing intervals.
    """

    meter_id: np.ndarray
    day: np.ndarray
    energy: np.ndarray
    estimated: np.ndarray
    measured_intervals: np.ndarray
    estimated_intervals: np.ndarray
    missing_intervals: np.ndarray


@dataclass(frozen=True)
class NodeTotals:
    """Totals of the nodes of the metering tree per energy type, flow, unit and period.

    Each node counts its own meters only (children are separate nodes). Daily totals are
    ordered by day, node, energy type, flow and unit (the stored order); monthly totals by node,
    energy type, flow, unit and month.

    Attributes
    ----------
    node_id : numpy.ndarray of int64
    energy_type, flow, unit : numpy.ndarray of object (str)
        As on the meters; meters of different units are never added together.
    period : numpy.ndarray of datetime64[D]
        Local day, or the first day of the local month.
    energy, estimated : numpy.ndarray of float64
        Measured + estimated energy, and its estimated part [``unit``].
    measured_intervals, estimated_intervals, missing_intervals : numpy.ndarray of int64
        Sums over the meter-days with a row.
    meter_days : numpy.ndarray of int64
        Meter-days with a row. Completeness of a period is ``measured_intervals / (96 x days x
        meters of the node)``: meter-days without a row are 96 missing intervals each.
    """

    node_id: np.ndarray
    energy_type: np.ndarray
    flow: np.ndarray
    unit: np.ndarray
    period: np.ndarray
    energy: np.ndarray
    estimated: np.ndarray
    measured_intervals: np.ndarray
    estimated_intervals: np.ndarray
    missing_intervals: np.ndarray
    meter_days: np.ndarray


def _columns(rows: list[tuple[Any, ...]], width: int) -> list[tuple[Any, ...]]:
    return list(zip(*rows, strict=True)) if rows else [()] * width


def daily_totals(
    session: Session,
    facility_id: int,
    start: date,
    end: date,
    meter_ids: list[int] | None = None,
) -> DailyTotals:
    """Daily totals of the facility's meters over local days ``[start, end)``.

    Parameters
    ----------
    meter_ids
        Only these meters; all of the facility's if omitted.
    """
    sql = (
        "SELECT d.meter_id, d.day, d.energy, d.estimated, d.measured_intervals, "
        "d.estimated_intervals, d.missing_intervals FROM meter m CROSS JOIN meter_day d "
        "WHERE d.meter_id = m.id AND m.facility_id = ? AND d.day >= ? AND d.day < ?"
    )
    params: tuple[Any, ...] = (facility_id, start, end)
    if meter_ids is not None:
        ids = [int(i) for i in meter_ids]
        sql += f" AND m.id IN ({', '.join('?' * len(ids))})" if ids else " AND 0 = 1"
        params += tuple(ids)
    c = _columns(_driver_rows(session, sql + " ORDER BY d.meter_id, d.day", params), 7)
    return DailyTotals(
        meter_id=np.array(c[0], dtype=np.int64),
        day=np.array(c[1], dtype="datetime64[D]"),
        energy=np.array(c[2], dtype=np.float64),
        estimated=np.array(c[3], dtype=np.float64),
        measured_intervals=np.array(c[4], dtype=np.int64),
        estimated_intervals=np.array(c[5], dtype=np.int64),
        missing_intervals=np.array(c[6], dtype=np.int64),
    )


def _node_totals(rows: list[tuple[Any, ...]]) -> NodeTotals:
    c = _columns(rows, 11)
    return NodeTotals(
        node_id=np.array(c[0], dtype=np.int64),
        energy_type=np.array(c[1], dtype=object),
        flow=np.array(c[2], dtype=object),
        unit=np.array(c[3], dtype=object),
        period=np.array(c[4], dtype="datetime64[D]"),
        energy=np.array(c[5], dtype=np.float64),
        estimated=np.array(c[6], dtype=np.float64),
        measured_intervals=np.array(c[7], dtype=np.int64),
        estimated_intervals=np.array(c[8], dtype=np.int64),
        missing_intervals=np.array(c[9], dtype=np.int64),
        meter_days=np.array(c[10], dtype=np.int64),
    )


def tree_daily_totals(session: Session, facility_id: int, start: date, end: date) -> NodeTotals:
    """Daily totals of every node of the facility's tree over local days ``[start, end)``."""
    rows = _driver_rows(
        session,
        "SELECT node_id, energy_type, flow, unit, day, energy, estimated, measured_intervals, "
        "estimated_intervals, missing_intervals, meters FROM node_day "
        "WHERE facility_id = ? AND day >= ? AND day < ? "
        "ORDER BY day, node_id, energy_type, flow, unit",  # the key's order: no sort
        (facility_id, start, end),
    )
    return _node_totals(rows)


def node_monthly_totals(session: Session, facility_id: int, start: date, end: date) -> NodeTotals:
    """Monthly totals of every node over local days ``[start, end)``; ``period`` is the first
    day of the month (of the days in the span: a month cut by the span counts its part).

    Grouped in the database: a year of a 50-node tree is 18,250 daily rows but 600 monthly ones.
    """
    sqlite = session.connection().dialect.name == "sqlite"
    month = "substr(day, 1, 7) || '-01'" if sqlite else "date_trunc('month', day)::date"
    rows = _driver_rows(
        session,
        f"SELECT node_id, energy_type, flow, unit, {month} AS month, sum(energy), "
        "sum(estimated), sum(measured_intervals), sum(estimated_intervals), "
        "sum(missing_intervals), sum(meters) FROM node_day "
        "WHERE facility_id = ? AND day >= ? AND day < ? "
        "GROUP BY node_id, energy_type, flow, unit, month "
        "ORDER BY node_id, energy_type, flow, unit, month",
        (facility_id, start, end),
    )
    return _node_totals(rows)
