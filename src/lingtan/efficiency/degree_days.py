"""Degree days from an outdoor temperature series, and the dry-bulb temperature of an EPW file.

A heating degree day (HDD) is one kelvin below the base temperature for one day, a cooling
degree day (CDD) one kelvin above it: ``HDD = max(base - T, 0)`` and ``CDD = max(T - base, 0)``
for a day of mean temperature ``T``. From sub-daily readings there are two customary ways:
the degrees of the day's mean temperature (``method="daily_mean"``, the usual meteorological
practice and the one of CalTRACK's daily model), or the mean over the day's readings of the
degrees of each reading (``method="integrated"``, degree hours / 24, closer to the heat a
building loses when the day swings across the base).

The base temperature is a parameter without a default on purpose: it is a property of the
building or process (where heating or cooling begins), found by the change-point models of
:mod:`lingtan.efficiency.baseline` or given by a convention the user names (China's climate
zoning uses HDD18 and CDD26, GB 50176-2016 ch. 4; ASHRAE's climatic data uses 18.3 degC/65 degF).

References
----------
ISO 15927-6:2007, Hygrothermal performance of buildings — Calculation and presentation of
climatic data — Part 6: Accumulated temperature differences (degree-days).
GB 50176-2016 民用建筑热工设计规范 (Code for thermal design of civil building), ch. 4
(climate zones by HDD18 and CDD26).
EnergyPlus, Auxiliary Programs, "Weather Converter Program" (the EPW format: hourly
values, hour 1 is the hour ending at 01:00 local standard time).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lingtan.errors import Explained
from lingtan.i18n import Message

__all__ = [
    "DegreeDayError",
    "cooling_degree_days",
    "daily_mean_temperature",
    "degree_days_from_readings",
    "epw_dry_bulb",
    "heating_degree_days",
]

_METHODS = ("daily_mean", "integrated")


class DegreeDayError(Explained, ValueError):
    """A temperature series degree days cannot be computed from (:class:`Explained`)."""


def heating_degree_days(temperature_c: Any, *, base_c: float) -> np.ndarray:
    """Heating degree days of days of mean temperature ``temperature_c`` [K·d].

    Parameters
    ----------
    temperature_c : array_like
        Daily mean outdoor temperature [degC].
    base_c : float
        Base (balance-point) temperature [degC]: below it the building or process heats.

    Returns
    -------
    numpy.ndarray
        ``max(base_c - temperature_c, 0)`` for each day [K·d]; NaN where the temperature is NaN.

    References
    ----------
    ISO 15927-6:2007 §3 (accumulated temperature difference).
    """
    temperature = np.asarray(temperature_c, dtype=float)
    return np.where(np.isnan(temperature), np.nan, np.maximum(base_c - temperature, 0.0))


def cooling_degree_days(temperature_c: Any, *, base_c: float) -> np.ndarray:
    """Cooling degree days of days of mean temperature ``temperature_c`` [K·d].

    Parameters
    ----------
    temperature_c : array_like
        Daily mean outdoor temperature [degC].
    base_c : float
        Base temperature [degC]: above it the building or process cools.

    Returns
    -------
    numpy.ndarray
        ``max(temperature_c - base_c, 0)`` for each day [K·d]; NaN where the temperature is NaN.

    References
    ----------
    ISO 15927-6:2007 §3; GB 50176-2016 ch. 4 (CDD26).
    """
    temperature = np.asarray(temperature_c, dtype=float)
    return np.where(np.isnan(temperature), np.nan, np.maximum(temperature - base_c, 0.0))


def _days_and_inverse(times: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    stamps = np.asarray(times)
    if not np.issubdtype(stamps.dtype, np.datetime64):
        try:
            stamps = stamps.astype("datetime64[s]")
        except (TypeError, ValueError):
            raise DegreeDayError(
                Message("the times of the temperature readings are not dates and times")
            ) from None
    if np.isnat(stamps).any():
        raise DegreeDayError(
            Message(
                "%(count)d temperature readings have no time",
                count=int(np.isnat(stamps).sum()),
            )
        )
    days, inverse = np.unique(stamps.astype("datetime64[D]"), return_inverse=True)
    return stamps, days, inverse.ravel()


def daily_mean_temperature(
    times: Any, temperature_c: Any, *, min_readings: int = 1
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean temperature of each day from sub-daily readings.

    Parameters
    ----------
    times : array_like of numpy.datetime64
        Local (facility) time of each reading; a reading belongs to the calendar day of its
        time stamp. Label hour-ending data (EPW) by the hour's start, as :func:`epw_dry_bulb`
        does, so that a day's 24 values fall on that day.
    temperature_c : array_like
        The readings [degC]; NaN readings are left out.
    min_readings : int
        A day with fewer valid readings gets NaN (e.g. 20 of 24 for hourly data).

    Returns
    -------
    days : numpy.ndarray of datetime64[D]
        The days that have at least one reading, ascending.
    mean_c : numpy.ndarray
        Mean of the day's valid readings [degC], NaN below ``min_readings``.
    count : numpy.ndarray of int
        Valid readings of each day.
    """
    values = np.asarray(temperature_c, dtype=float)
    stamps, days, inverse = _days_and_inverse(times)
    if stamps.shape != values.shape:
        raise DegreeDayError(
            Message(
                "%(times)d times for %(values)d temperature readings",
                times=stamps.size,
                values=values.size,
            )
        )
    valid = ~np.isnan(values)
    count = np.bincount(inverse[valid], minlength=days.size)
    total = np.bincount(inverse[valid], weights=values[valid], minlength=days.size)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / count
    mean[count < max(min_readings, 1)] = np.nan
    return days, mean, count


def degree_days_from_readings(
    times: Any,
    temperature_c: Any,
    *,
    base_c: float,
    kind: str,
    method: str = "daily_mean",
    min_readings: int = 1,
) -> tuple[np.ndarray, np.ndarray]:
    """Heating or cooling degree days of each day from sub-daily temperature readings.

    Parameters
    ----------
    times : array_like of numpy.datetime64
        Local time of each reading (see :func:`daily_mean_temperature`).
    temperature_c : array_like
        The readings [degC].
    base_c : float
        Base temperature [degC].
    kind : {"heating", "cooling"}
        HDD or CDD.
    method : {"daily_mean", "integrated"}
        ``daily_mean``: the degrees of the day's mean temperature; ``integrated``: the mean
        of the degrees of each reading (degree hours / 24 for hourly readings), which is
        never smaller.
    min_readings : int
        A day with fewer valid readings gets NaN.

    Returns
    -------
    days : numpy.ndarray of datetime64[D]
    degree_days : numpy.ndarray
        [K·d] for each day.

    References
    ----------
    ISO 15927-6:2007 (degree days from daily means and from hourly values).
    """
    if kind not in ("heating", "cooling"):
        raise DegreeDayError(
            Message("degree days are 'heating' or 'cooling', not %(kind)r", kind=kind)
        )
    if method not in _METHODS:
        raise DegreeDayError(
            Message(
                "the degree-day method is 'daily_mean' or 'integrated', not %(method)r",
                method=method,
            )
        )
    degrees = heating_degree_days if kind == "heating" else cooling_degree_days
    days, mean, count = daily_mean_temperature(times, temperature_c, min_readings=min_readings)
    if method == "daily_mean":
        return days, degrees(mean, base_c=base_c)
    values = np.asarray(temperature_c, dtype=float)
    _, _, inverse = _days_and_inverse(times)
    valid = ~np.isnan(values)
    each = degrees(values[valid], base_c=base_c)
    total = np.bincount(inverse[valid], weights=each, minlength=days.size)
    with np.errstate(invalid="ignore", divide="ignore"):
        result = total / count
    result[count < max(min_readings, 1)] = np.nan
    return days, result


def epw_dry_bulb(source: Any, *, coerce_year: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The hourly dry-bulb temperature of an EnergyPlus weather (EPW) file.

    Parameters
    ----------
    source : path or text buffer
        The EPW file (read with :func:`pvlib.iotools.read_epw`).
    coerce_year : int, optional
        Put every row in this year (a typical meteorological year mixes the years of its
        months; one year makes a continuous series).

    Returns
    -------
    times : numpy.ndarray of datetime64[s]
        Local standard time of the start of each hour (EPW hour 1, ending 01:00, is 00:00),
        so that :func:`daily_mean_temperature` puts hours 1-24 on their day.
    temperature_c : numpy.ndarray
        Dry-bulb temperature [degC]; EPW's missing value 99.9 becomes NaN.

    References
    ----------
    EnergyPlus Auxiliary Programs, Weather Converter, "EnergyPlus Weather File (EPW) Data
    Dictionary" (field N6, dry bulb temperature, missing value 99.9).
    """
    from pvlib.iotools import read_epw  # pandas and pvlib: only for a weather file

    try:
        data, _meta = read_epw(source, coerce_year=coerce_year)
    except (ValueError, KeyError, IndexError, OSError) as error:
        raise DegreeDayError(
            Message("not a readable EPW weather file: %(error)s", error=str(error))
        ) from None
    times = data.index.tz_localize(None).to_numpy().astype("datetime64[s]")
    temperature = data["temp_air"].to_numpy(dtype=float, copy=True)
    temperature[temperature >= 99.9] = np.nan
    return times, temperature
