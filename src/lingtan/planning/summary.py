"""The series a plan's charts show, from its dispatch: a typical week, the months, and the
duration curves of the load and the grid import.

Pure functions on the arrays of a solved plan (:class:`lingtan.planning.sizing.SizingResult`'s
``dispatch``), so a stored plan keeps them beside its result (the dispatch itself, 8,760 or
35,040 steps of a dozen flows, is not stored).

Typical week
    Of the complete local weeks (Monday 00:00 to Monday 00:00), the one whose load energy is
    nearest the mean of all of them (the first of equals), hour by hour (a step of 15 minutes
    is averaged over its hour).
Months
    Per local calendar month: load, PV and wind generation, grid import and export [MWh].
Duration curves
    The load and the grid import sorted from the highest step down [kW], every ``stride``-th
    value (about 365 points) and the last: the share of the year each is exceeded.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["WEEK_FLOWS", "dispatch_series"]

#: The flows of the typical week [kW], as the dispatch names them.
WEEK_FLOWS = (
    "load_kw",
    "pv_used_kw",
    "wind_used_kw",
    "discharge_kw",
    "grid_import_kw",
    "charge_kw",
    "export_kw",
    "soc_kwh",
)
_MONTH_FLOWS = {
    "load_mwh": "load_kw",
    "pv_mwh": "pv_kw",
    "wind_mwh": "wind_kw",
    "grid_import_mwh": "grid_import_kw",
    "grid_export_mwh": "export_kw",
}


def dispatch_series(
    *, starts: np.ndarray, step_h: float, dispatch: dict[str, np.ndarray], time_zone: str
) -> dict[str, Any]:
    """The charts' series of a plan.

    Parameters
    ----------
    starts
        Step starts, datetime64 UTC.
    step_h
        The step [h].
    dispatch
        The flows per step [kW], :attr:`SizingResult.dispatch`.
    time_zone
        The load's time zone (weeks and months are local).

    Returns
    -------
    dict
        ``week`` (``start`` local ISO, ``hours`` local ISO, and the :data:`WEEK_FLOWS`),
        ``months`` (``month`` and the MWh of each flow), ``duration`` (``share`` of the year,
        ``load_kw``, ``grid_import_kw``).
    """
    local = pd.DatetimeIndex(starts, tz="UTC").tz_convert(time_zone).tz_localize(None)
    keys = [key for key in (*WEEK_FLOWS, *_MONTH_FLOWS.values()) if key in dispatch]
    frame = pd.DataFrame({key: np.asarray(dispatch[key], float) for key in keys}, index=local)
    hourly = frame.resample("h").mean()
    monday = hourly.index.normalize() - pd.to_timedelta(hourly.index.day_of_week, unit="D")
    weeks = hourly.groupby(monday)["load_kw"].agg(["sum", "size"])
    complete = weeks[weeks["size"] == 168]
    if complete.empty:  # less than a week of steps: the whole series
        week = hourly
    else:
        chosen = (complete["sum"] - complete["sum"].mean()).abs().idxmin()
        week = hourly[monday == chosen]
    months = frame.groupby(frame.index.to_period("M")).sum() * step_h / 1000.0
    ordered = {key: np.sort(frame[key].to_numpy())[::-1] for key in ("load_kw", "grid_import_kw")}
    n = len(frame)
    stride = max(1, n // 365)
    picks = np.unique(np.append(np.arange(0, n, stride), n - 1))
    return {
        "week": {
            "start": week.index[0].isoformat(),
            "hours": [t.isoformat() for t in week.index],
            **{key: week[key].round(3).tolist() for key in WEEK_FLOWS if key in week},
        },
        "months": {
            "month": [str(p) for p in months.index],
            **{
                name: months[key].round(6).tolist()
                for name, key in _MONTH_FLOWS.items()
                if key in months
            },
        },
        "duration": {
            "share": ((picks + 1) / n).round(6).tolist(),
            **{key: values[picks].round(3).tolist() for key, values in ordered.items()},
        },
    }
