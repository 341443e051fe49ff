"""Hourly matching (24/7 carbon-free electricity): consumption against carbon-free supply.

From a consumption series and carbon-free supply series (on-site generation, contracted
renewable profiles) on the same timestamps — hourly or 15-minute, energy per step [kWh] — the
steps are summed into clock hours and matched hour by hour:

* hourly-matched carbon-free share = Σₕ min(Cₕ, Sₕ) / Σₕ Cₕ × 100 [%], where Cₕ is the
  consumption and Sₕ the sum of the supplies in hour h;
* annual (volumetric) share = min(Σ S, Σ C) / Σ C × 100 [%];
* unmatched hours: the hours with Cₕ > Sₕ; unmatched energy Σₕ (Cₕ − min(Cₕ, Sₕ)) [kWh];
* a day × hour matrix of the hourly share min(Cₕ, Sₕ) / Cₕ × 100 [%] (NaN for an hour without
  consumption or outside the series) for a heat map.

Supply beyond consumption in one hour never covers another hour: that is the difference
between the two shares. Series of different lengths, negative values and NaN or infinite values
are refused, as are timestamps that are not evenly spaced, a step that does not divide an hour,
and a series that does not begin and end on whole hours.

:func:`match_many` does the arithmetic for many facilities at once (arrays facilities ×
steps), vectorised with numpy; :func:`hourly_match` adds the timestamps and the heat map for
one facility.

References
----------
.. [1] Issue 14 part 2 (hourly matching of consumption against on-site generation and
   contracted renewable profiles, beside the annual volumetric share).
.. [2] /work/shared/reference/accounting-standards.md §5.1: the GHG Protocol's 2025 Scope 2
   consultation discussed hourly matching [unsure]; lingtan reports both shares.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from lingtan.errors import InputError, InputProblem, Problems, read_text_file
from lingtan.i18n import Message

__all__ = [
    "HourlyMatch",
    "MatchedShares",
    "Series",
    "hourly_match",
    "match_many",
    "read_series_file",
]


@dataclass(frozen=True, slots=True)
class MatchedShares:
    """The matching of many facilities (one value per facility, arrays of shape (n,)).

    Attributes
    ----------
    consumption_kwh, supply_kwh, matched_kwh, unmatched_kwh : ndarray
        Totals over the series [kWh]; matched is Σₕ min(Cₕ, Sₕ).
    hourly_share_pct, volumetric_share_pct : ndarray
        The hourly-matched and the annual volumetric carbon-free shares [%].
    unmatched_hours : ndarray of int
        Hours with consumption above supply.
    """

    consumption_kwh: np.ndarray
    supply_kwh: np.ndarray
    matched_kwh: np.ndarray
    unmatched_kwh: np.ndarray
    hourly_share_pct: np.ndarray
    volumetric_share_pct: np.ndarray
    unmatched_hours: np.ndarray


def _refuse_bad_values(name: str, values: np.ndarray, problems: Problems) -> None:
    """A problem for each NaN, infinite or negative value (the first ones listed)."""
    bad = ~np.isfinite(values) | (values < 0)
    if not bad.any():
        return
    for index in np.argwhere(bad)[: problems.limit]:
        where = Message("%(series)s step %(step)s", series=name, step=int(index[-1]) + 1)
        value = float(values[tuple(index)])
        rule = (
            Message("must be a number, not NaN or infinite")
            if not math.isfinite(value)
            else Message("must not be negative")
        )
        problems.append(InputProblem(where, "energy_kwh", value, rule))
    problems.omitted += max(int(bad.sum()) - problems.limit, 0)


def match_many(consumption_kwh: Any, supply_kwh: Any, *, steps_per_hour: int = 1) -> MatchedShares:
    """Match consumption with carbon-free supply hour by hour, for many facilities at once.

    Parameters
    ----------
    consumption_kwh : array_like, shape (n, steps) or (steps,)
        Energy consumed per step [kWh], one row per facility.
    supply_kwh : array_like, same shape
        Carbon-free energy supplied per step [kWh] (the sum of the facility's supplies).
    steps_per_hour : int
        1 for hourly series, 4 for 15-minute ones; the steps of an hour are summed first.

    Returns
    -------
    MatchedShares

    Raises
    ------
    InputError
        Shapes that differ, a length that is not whole hours, a negative, NaN or infinite
        value, or a facility whose consumption sums to zero (no share).
    """
    consumption = np.atleast_2d(np.asarray(consumption_kwh, dtype=float))
    supply = np.atleast_2d(np.asarray(supply_kwh, dtype=float))
    if consumption.shape != supply.shape:
        rule = Message(
            "must have the shape of the consumption %(shape)s", shape=str(consumption.shape)
        )
        raise InputError(InputProblem("supply", "steps", str(supply.shape), rule))
    steps = consumption.shape[-1]
    if steps == 0 or steps % steps_per_hour:
        rule = Message("must be whole hours of %(n)s steps", n=steps_per_hour)
        raise InputError(InputProblem("consumption", "steps", steps, rule))
    problems = Problems()
    _refuse_bad_values("consumption", consumption, problems)
    _refuse_bad_values("supply", supply, problems)
    if problems:
        raise InputError(problems)
    shape = (consumption.shape[0], steps // steps_per_hour, steps_per_hour)
    hourly_c = consumption.reshape(shape).sum(axis=2)
    hourly_s = supply.reshape(shape).sum(axis=2)
    matched_h = np.minimum(hourly_c, hourly_s)
    total_c = hourly_c.sum(axis=1)
    total_s = hourly_s.sum(axis=1)
    matched = matched_h.sum(axis=1)
    if (total_c <= 0).any():
        first = int(np.argmax(total_c <= 0))
        rule = Message("sums to zero: a share of nothing consumed is not defined")
        raise InputError(InputProblem(f"facility {first + 1}", "consumption_kwh", 0.0, rule))
    return MatchedShares(
        consumption_kwh=total_c,
        supply_kwh=total_s,
        matched_kwh=matched,
        unmatched_kwh=total_c - matched,
        hourly_share_pct=matched / total_c * 100,
        volumetric_share_pct=np.minimum(total_s, total_c) / total_c * 100,
        unmatched_hours=(hourly_c > hourly_s).sum(axis=1),
    )


@dataclass(frozen=True, slots=True)
class HourlyMatch:
    """The hourly matching of one facility, with its heat map.

    Attributes
    ----------
    start : datetime
        The first step's start (wall-clock time of the facility).
    step_minutes : int
    hours : int
        The hours the series covers.
    consumption_kwh, supply_kwh, matched_kwh, unmatched_kwh : float
        Totals [kWh].
    supply_by_source_kwh : dict of str to float
        Each supply's total [kWh].
    hourly_share_pct, volumetric_share_pct : float
        The hourly-matched and the annual volumetric carbon-free shares [%].
    unmatched_hours : int
    days : tuple of date
        The rows of the heat map.
    heat_map_share_pct : ndarray, shape (days, 24)
        min(Cₕ, Sₕ) / Cₕ × 100 [%] per day and hour of day; NaN where nothing was consumed or
        the hour is outside the series.
    heat_map_consumption_kwh, heat_map_matched_kwh : ndarray, shape (days, 24)
        Cₕ and min(Cₕ, Sₕ) [kWh]; NaN outside the series.
    """

    start: datetime
    step_minutes: int
    hours: int
    consumption_kwh: float
    supply_kwh: float
    matched_kwh: float
    unmatched_kwh: float
    supply_by_source_kwh: dict[str, float]
    hourly_share_pct: float
    volumetric_share_pct: float
    unmatched_hours: int
    days: tuple[date, ...]
    heat_map_share_pct: np.ndarray
    heat_map_consumption_kwh: np.ndarray
    heat_map_matched_kwh: np.ndarray

    def as_dict(self) -> dict[str, Any]:
        """The JSON: totals, shares and the heat map (``null`` for NaN)."""

        def grid(matrix: np.ndarray) -> list[list[float | None]]:
            return [[None if math.isnan(v) else float(v) for v in row] for row in matrix]

        return {
            "start": self.start.isoformat(),
            "step_minutes": self.step_minutes,
            "hours": self.hours,
            "consumption_kwh": self.consumption_kwh,
            "supply_kwh": self.supply_kwh,
            "supply_by_source_kwh": self.supply_by_source_kwh,
            "matched_kwh": self.matched_kwh,
            "unmatched_kwh": self.unmatched_kwh,
            "hourly_matched_cfe_share_pct": self.hourly_share_pct,
            "volumetric_share_pct": self.volumetric_share_pct,
            "unmatched_hours": self.unmatched_hours,
            "heat_map": {
                "days": [d.isoformat() for d in self.days],
                "hours": list(range(24)),
                "share_pct": grid(self.heat_map_share_pct),
                "consumption_kwh": grid(self.heat_map_consumption_kwh),
                "matched_kwh": grid(self.heat_map_matched_kwh),
            },
        }


def _step_of(timestamps: Sequence[datetime]) -> timedelta:
    """The even step of *timestamps*, which divides an hour and starts and ends whole hours."""
    if len(timestamps) < 2:
        rule = Message("needs at least two steps")
        raise InputError(InputProblem("timestamps", "steps", len(timestamps), rule))
    step = timestamps[1] - timestamps[0]
    hour = timedelta(hours=1)
    if step <= timedelta(0) or hour % step:
        rule = Message("the step must divide an hour (60, 30, 15 … minutes)")
        raise InputError(InputProblem("timestamps row 2", "timestamp", str(timestamps[1]), rule))
    problems = Problems()
    for index in range(1, len(timestamps)):
        if timestamps[index] - timestamps[index - 1] != step:
            rule = Message(
                "must follow the step before by %(minutes)s minutes",
                minutes=int(step / timedelta(minutes=1)),
            )
            where = Message("timestamps row %(row)s", row=index + 1)
            problems.append(InputProblem(where, "timestamp", str(timestamps[index]), rule))
    first = timestamps[0]
    if first.minute or first.second or first.microsecond:
        rule = Message("the series must begin at a whole hour")
        problems.append(InputProblem("timestamps row 1", "timestamp", str(first), rule))
    if len(timestamps) % (hour // step):
        rule = Message("the series must end at the end of an hour")
        problems.append(InputProblem("timestamps", "steps", len(timestamps), rule))
    if problems:
        raise InputError(problems)
    return step


def hourly_match(
    timestamps: Sequence[datetime],
    consumption_kwh: Any,
    supply_kwh: Mapping[str, Any],
) -> HourlyMatch:
    """Match a facility's consumption with its carbon-free supplies hour by hour.

    Parameters
    ----------
    timestamps : sequence of datetime
        The start of each step, evenly spaced (hourly or 15-minute), wall-clock time of the
        facility, beginning at a whole hour.
    consumption_kwh : array_like, shape (steps,)
        Energy consumed per step [kWh].
    supply_kwh : mapping of str to array_like
        Each carbon-free supply (``pv_onsite``, ``ppa_wind`` …) per step [kWh], summed.

    Returns
    -------
    HourlyMatch

    Raises
    ------
    InputError
        A series of another length than the timestamps, a negative, NaN or infinite value,
        uneven timestamps, no supply.
    """
    consumption = np.asarray(consumption_kwh, dtype=float)
    if not supply_kwh:
        raise InputError(InputProblem("supply", "series", None, Message("needs a supply")))
    problems = Problems()
    sources = {}
    for name, series in {"consumption": consumption, **supply_kwh}.items():
        values = np.asarray(series, dtype=float)
        if values.shape != (len(timestamps),):
            rule = Message("must have one value per timestamp (%(n)s)", n=len(timestamps))
            problems.append(InputProblem(name, "steps", values.size, rule))
        else:
            _refuse_bad_values(name, values, problems)
        sources[name] = values
    if problems:
        raise InputError(problems)
    step = _step_of(timestamps)
    per_hour = timedelta(hours=1) // step
    del sources["consumption"]
    supply = np.sum(list(sources.values()), axis=0)
    shares = match_many(consumption, supply, steps_per_hour=per_hour)
    hours = len(timestamps) // per_hour
    hourly_c = consumption.reshape(hours, per_hour).sum(axis=1)
    hourly_s = supply.reshape(hours, per_hour).sum(axis=1)
    matched_h = np.minimum(hourly_c, hourly_s)
    start = timestamps[0]
    first_day = start.date()
    offset = start.hour
    days = (offset + hours + 23) // 24
    grid_c = np.full(days * 24, np.nan)
    grid_m = np.full(days * 24, np.nan)
    grid_c[offset : offset + hours] = hourly_c
    grid_m[offset : offset + hours] = matched_h
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(grid_c > 0, grid_m / grid_c * 100, np.nan)
    return HourlyMatch(
        start=start,
        step_minutes=int(step / timedelta(minutes=1)),
        hours=hours,
        consumption_kwh=float(shares.consumption_kwh[0]),
        supply_kwh=float(shares.supply_kwh[0]),
        matched_kwh=float(shares.matched_kwh[0]),
        unmatched_kwh=float(shares.unmatched_kwh[0]),
        supply_by_source_kwh={name: float(v.sum()) for name, v in sources.items()},
        hourly_share_pct=float(shares.hourly_share_pct[0]),
        volumetric_share_pct=float(shares.volumetric_share_pct[0]),
        unmatched_hours=int(shares.unmatched_hours[0]),
        days=tuple(first_day + timedelta(days=d) for d in range(days)),
        heat_map_share_pct=share.reshape(days, 24),
        heat_map_consumption_kwh=grid_c.reshape(days, 24),
        heat_map_matched_kwh=grid_m.reshape(days, 24),
    )


@dataclass(frozen=True, slots=True)
class Series:
    """The series of a CSV file: its timestamps and each column's values [kWh per step]."""

    file: str
    timestamps: tuple[datetime, ...]
    columns: dict[str, np.ndarray]


def read_series_file(path: str | Path) -> Series:
    """A series file: a header ``timestamp,NAME[,NAME…]``, then one row per step, the
    timestamp ISO 8601 and each value the energy of the step [kWh].

    A timestamp with a UTC offset keeps its wall-clock time; every row must have the same
    offset. Every problem is named by file, row, column, value and rule; the file is read
    whole or refused.
    """
    path = Path(path)
    text = read_text_file(path, path.name)
    rows = list(csv.reader(io.StringIO(text)))
    problems = Problems()
    if not rows or len(rows[0]) < 2 or rows[0][0].strip() != "timestamp":
        rule = Message("the header is timestamp and at least one column of kWh per step")
        header = ",".join(rows[0]) if rows else None
        raise InputError(InputProblem(f"{path.name} row 1", "header", header, rule))
    names = [name.strip() for name in rows[0][1:]]
    if len(set(names)) != len(names) or not all(names):
        rule = Message("the column names must be unique and not empty")
        raise InputError(InputProblem(f"{path.name} row 1", "header", ",".join(rows[0]), rule))
    stamps: list[datetime] = []
    values = np.zeros((len(names), len(rows) - 1))
    offsets = set()
    for number, row in enumerate(rows[1:], start=2):
        where = Message("%(file)s row %(row)s", file=path.name, row=number)
        if len(row) != len(rows[0]):
            rule = Message(
                "has %(count)d cells, the header %(columns)d", count=len(row), columns=len(rows[0])
            )
            problems.append(InputProblem(where, "row", ",".join(row), rule))
            continue
        try:
            stamp = datetime.fromisoformat(row[0].strip())
        except ValueError:
            rule = Message("must be an ISO 8601 date and time (2025-01-01T00:00)")
            problems.append(InputProblem(where, "timestamp", row[0], rule))
            continue
        offsets.add(stamp.utcoffset())
        stamps.append(stamp.replace(tzinfo=None))
        for column, cell in enumerate(row[1:]):
            try:
                value = float(cell)
            except ValueError:
                rule = Message("must be a number")
                problems.append(InputProblem(where, names[column], cell, rule))
                continue
            if not math.isfinite(value) or value < 0:
                rule = Message("must be a finite number, not negative")
                problems.append(InputProblem(where, names[column], cell, rule))
            values[column, number - 2] = value
    if len(offsets) > 1:
        rule = Message("every timestamp must have the same UTC offset")
        problems.append(InputProblem(path.name, "timestamp", None, rule))
    if len(rows) < 2:
        problems.append(InputProblem(path.name, "rows", 0, Message("needs at least two steps")))
    if problems:
        raise InputError(problems, origin=path.name)
    return Series(path.name, tuple(stamps), dict(zip(names, values, strict=True)))
