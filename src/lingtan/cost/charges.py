"""The cost of metered energy under a tariff: energy charges per month and TOU period, the
basic charge by maximum demand or by capacity, and the cost of each node of the metering tree.
Pure functions on plain data (numpy arrays, :class:`~lingtan.cost.tariffs.Tariff`).

Formulas (per local month ``m``, China Standard Time, UTC+08:00)
    energy charge        ``C_e(m, p) = E(m, p) x k x P_e(m, p)`` for each TOU period ``p``
                         (``p = all`` for a whole-day price), where ``E`` is the known energy of
                         the meter's 15-minute intervals in the period [meter unit], ``k`` the
                         conversion of the meter unit to the priced unit and ``P_e`` the price
                         [CNY/unit];
    maximum demand       ``D(m) = 4 x max_i E_i`` [kW] over the month's 15-minute intervals
                         ``E_i`` [kWh] of a supply meter (the mean power of the busiest quarter
                         hour, as a demand meter integrates it);
    demand charge        ``C_d(m) = D(m) x P_d(m)`` [CNY], ``P_d`` in CNY/(kW·month);
    capacity charge      ``C_c(m) = S x P_c(m)`` [CNY], ``S`` the capacity charged [kVA] and
                         ``P_c`` in CNY/(kVA·month);
    cost                 ``C(m) = sum_p C_e(m, p) + C_d(m) + C_c(m)``.

The part of the energy from estimated intervals is priced apart (``estimated_cost_cny``), so an
estimated cost stays visible; intervals without energy add nothing and are counted.

References
----------
发改价格〔2021〕1093号 (TOU pricing: periods and price ratios). The basic charge by capacity or
by maximum demand and the monthly agency-purchase prices are the provincial grid company's
published terms: the user enters them, with their source, in the tariff file.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lingtan.cost.tariffs import PERIOD_ALL, Price, Tariff
from lingtan.metering.energy import NodeTotal
from lingtan.metering.tou import Calendar, tou_labels
from lingtan.units import UnitError, conversion_factor

__all__ = [
    "CostLine",
    "Usage",
    "capacity_lines",
    "combine_usage",
    "demand_lines",
    "energy_lines",
    "interval_usage",
    "local_months",
    "max_demand_kw",
    "node_lines",
    "period_labels",
    "total_cny",
]

#: 15-minute intervals in an hour: kW = kWh per interval x 4.
INTERVALS_PER_HOUR = 4


@dataclass(frozen=True)
class Usage:
    """Energy of one meter in one month and period: known energy [unit], of which from
    estimated intervals [unit], and intervals without energy."""

    energy: float
    estimated: float = 0.0
    missing: int = 0


def local_months(starts_utc: np.ndarray, utc_offset_min: int = 480) -> np.ndarray:
    """The local month of each interval start [UTC], as months since 1970-01 (int64)."""
    local = np.asarray(starts_utc, "datetime64[s]") + np.timedelta64(utc_offset_min * 60, "s")
    return local.astype("datetime64[M]").astype(np.int64)


def _month_text(number: int) -> str:
    return str(np.datetime64(int(number), "M"))


def period_labels(
    starts_utc: np.ndarray,
    calendars: Mapping[str, Calendar | None],
    utc_offset_min: int = 480,
    *,
    holidays: Iterable[Any] = (),
) -> np.ndarray:
    """The TOU label of each interval by the calendar of its local month (``YYYY-MM`` keys of
    ``calendars``); ``all`` in a month whose calendar is None (priced for the whole day)."""
    months = local_months(starts_utc, utc_offset_min)
    labels = np.full(len(months), PERIOD_ALL, dtype="<U16")
    for number in np.unique(months):
        calendar = calendars.get(_month_text(number))
        if calendar is not None:
            picked = months == number
            labels[picked] = tou_labels(
                starts_utc[picked], calendar, utc_offset_min, holidays=holidays
            )
    return labels


def interval_usage(
    starts_utc: np.ndarray,
    energy: np.ndarray,
    estimated: np.ndarray,
    labels: np.ndarray,
    utc_offset_min: int = 480,
) -> dict[tuple[str, str], Usage]:
    """Energy of 15-minute intervals per local month and period.

    Parameters
    ----------
    starts_utc : numpy.ndarray of datetime64[s]
        Interval starts [UTC].
    energy : numpy.ndarray of float64
        Energy per interval [unit]; NaN where not known (counted as missing).
    estimated : numpy.ndarray of bool
        Intervals flagged estimated.
    labels : numpy.ndarray of str
        :func:`period_labels`.

    Returns
    -------
    dict
        ``{(YYYY-MM, period): Usage}``.
    """
    months = local_months(starts_utc, utc_offset_min)
    names, label_index = np.unique(labels, return_inverse=True)
    first = int(months.min()) if months.size else 0
    index = (months - first) * len(names) + label_index
    known = np.isfinite(energy)
    values = np.where(known, energy, 0.0)
    n = int(index.max()) + 1 if index.size else 0
    total = np.bincount(index, values, minlength=n)
    part = np.bincount(index, np.where(estimated & known, values, 0.0), minlength=n)
    missing = np.bincount(index, ~known, minlength=n)
    seen = np.bincount(index, minlength=n)
    out = {}
    for i in np.flatnonzero(seen):
        month, label = divmod(int(i), len(names))
        key = (_month_text(first + month), str(names[label]))
        out[key] = Usage(float(total[i]), float(part[i]), int(missing[i]))
    return out


def max_demand_kw(
    starts_utc: np.ndarray, energy: np.ndarray, unit: str, utc_offset_min: int = 480
) -> dict[str, float | None]:
    """Maximum demand per local month [kW]: ``4 x`` the largest known 15-minute energy
    (converted from ``unit`` to kWh); None for a month without known intervals."""
    factor = conversion_factor(unit, "kWh")
    months = local_months(starts_utc, utc_offset_min)
    out: dict[str, float | None] = {}
    for number in np.unique(months):
        values = energy[months == number]
        values = values[np.isfinite(values)]
        out[_month_text(number)] = (
            float(values.max()) * factor * INTERVALS_PER_HOUR if values.size else None
        )
    return out


def combine_usage(
    coefs: Mapping[str, float], usage: Mapping[str, Mapping[tuple[str, str], Usage]]
) -> dict[tuple[str, str], Usage]:
    """A virtual meter's usage from its physical meters' (coefficients from
    :func:`lingtan.metering.energy.expand_virtual`): ``sum c_i x E_i``, estimated
    ``sum |c_i| x estimated_i``, missing ``sum missing_i`` (an upper bound)."""
    out: dict[tuple[str, str], Usage] = {}
    for code, c in coefs.items():
        for key, u in usage[code].items():
            was = out.get(key, Usage(0.0))
            out[key] = Usage(
                was.energy + c * u.energy,
                was.estimated + abs(c) * u.estimated,
                was.missing + u.missing,
            )
    return out


@dataclass(frozen=True)
class CostLine:
    """One charge of one month.

    ``quantity`` is in ``quantity_unit`` (the meter's unit; kW for demand, kVA for capacity),
    ``estimated`` its estimated part; ``cost_cny`` is None where no price applies (``note``
    says why) and ``estimated_cost_cny`` the part of the cost from estimated energy.
    """

    month: str
    energy_type: str
    component: str
    period: str
    quantity: float
    quantity_unit: str
    price_cny_per_unit: float | None
    price_unit: str
    cost_cny: float | None
    estimated: float = 0.0
    estimated_cost_cny: float | None = 0.0
    missing_intervals: int = 0
    note: str = ""
    price: Price | None = field(default=None, compare=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "month": self.month,
            "energy_type": self.energy_type,
            "component": self.component,
            "period": self.period,
            "quantity": self.quantity,
            "quantity_unit": self.quantity_unit,
            "estimated": self.estimated,
            "missing_intervals": self.missing_intervals,
            "price_cny_per_unit": self.price_cny_per_unit,
            "price_unit": self.price_unit,
            "cost_cny": self.cost_cny,
            "estimated_cost_cny": self.estimated_cost_cny,
            "note": self.note,
            "source": None if self.price is None else _source(self.price),
        }


def _source(price: Price) -> dict[str, Any]:
    return {k: getattr(price, k) for k in ("status", "document", "url", "note", "calendar_id")}


def energy_lines(
    usage: Mapping[tuple[str, str], Usage], *, energy_type: str, unit: str, tariff: Tariff
) -> list[CostLine]:
    """Energy charges of a meter's usage (:func:`interval_usage`, or ``(month, "all")`` from
    daily totals), one line per month and period; a period with no energy and no price has
    none."""
    lines = []
    for (month, period), u in sorted(usage.items()):
        price = tariff.energy_price(energy_type, month, period)
        if price is None and u.energy == 0 and u.estimated == 0:
            continue  # nothing metered and nothing to price (a month outside the tariff)
        if price is None:
            note = f"no {energy_type} price for {month}" + (
                f" ({period})" if period != PERIOD_ALL else ""
            )
            lines.append(
                CostLine(month, energy_type, "energy", period, u.energy, unit, None, "", None,
                         u.estimated, None, u.missing, note)
            )  # fmt: skip
            continue
        try:
            k = conversion_factor(unit, price.unit)
        except UnitError:
            note = f"the meter's unit {unit} does not convert to the priced unit {price.unit}"
            lines.append(
                CostLine(month, energy_type, "energy", period, u.energy, unit,
                         price.price_cny_per_unit, price.unit, None, u.estimated, None,
                         u.missing, note, price)
            )  # fmt: skip
            continue
        rate = k * price.price_cny_per_unit
        lines.append(
            CostLine(month, energy_type, "energy", period, u.energy, unit,
                     price.price_cny_per_unit, price.unit, u.energy * rate, u.estimated,
                     u.estimated * rate, u.missing, "", price)
        )  # fmt: skip
    return lines


def demand_lines(max_kw: Mapping[str, float | None], tariff: Tariff) -> list[CostLine]:
    """Demand charges of a supply meter: ``D(m) x P_d(m)`` for the months with a demand price."""
    lines = []
    for month, demand in sorted(max_kw.items()):
        price = tariff.basic(month)
        if price is None or price.component != "demand":
            continue
        cost = None if demand is None else demand * price.price_cny_per_unit
        note = "" if demand is not None else f"no known 15-minute interval in {month}"
        lines.append(
            CostLine(month, "electricity", "demand", PERIOD_ALL, demand or 0.0, "kW",
                     price.price_cny_per_unit, "kW", cost, note=note, price=price)
        )  # fmt: skip
    return lines


def capacity_lines(months: Sequence[str], tariff: Tariff) -> list[CostLine]:
    """Capacity charges ``S x P_c(m)`` for the months with a capacity price."""
    lines = []
    for month in months:
        price = tariff.basic(month)
        if price is None or price.component != "capacity" or price.capacity_kva is None:
            continue
        lines.append(
            CostLine(month, "electricity", "capacity", PERIOD_ALL, price.capacity_kva, "kVA",
                     price.price_cny_per_unit, "kVA",
                     price.capacity_kva * price.price_cny_per_unit, price=price)
        )  # fmt: skip
    return lines


def node_lines(
    totals: Mapping[tuple[str, str], NodeTotal],
    meter_lines: Mapping[str, Sequence[CostLine]],
    extra: Mapping[tuple[str, str], Sequence[CostLine]] | None = None,
) -> dict[tuple[str, str], list[CostLine]]:
    """The cost lines of every node and energy type: those of the meters its energy is the sum
    of (``NodeTotal.meters``: its own consuming meters, or its children's), so a node's cost is
    the cost of exactly the energy it shows, plus ``extra`` lines (the capacity charge on the
    node that buys the electricity)."""
    out = {}
    for key, total in totals.items():
        lines = [line for code in total.meters for line in meter_lines.get(code, ())]
        out[key] = lines + list((extra or {}).get(key, ()))
    return out


def total_cny(lines: Iterable[CostLine]) -> float:
    """The sum of the priced lines [CNY] (lines without a price add nothing; their notes say
    so)."""
    return sum((line.cost_cny for line in lines if line.cost_cny is not None), 0.0)
