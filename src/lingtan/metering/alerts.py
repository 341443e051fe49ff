"""Alerts of the energy manager's day, from figures already computed: balance losses (a
parent's meters against its children's), budget overruns, data gaps (daily completeness) and
quality flags (checked 15-minute intervals).

Pure functions on plain data (:class:`lingtan.metering.energy.BalanceRow`,
:class:`lingtan.metering.energy.BudgetRow`, daily missing counts, interval flags); nothing is
stored: the list is computed on request. Each alert names its rule through ``type``,
``detail`` and ``severity``:

============  =====================================  ==========================================
type          detail                                 severity
============  =====================================  ==========================================
balance       ``loss``                               medium
balance       ``children exceed parent``             high (a metering fault)
balance       ``incomplete``                         low (no loss claimed)
budget        ``energy`` or ``carbon``               high above :data:`BUDGET_HIGH_PCT`, else medium
data_gap      ``missing``: consecutive days with     high when a whole day (96 intervals) is
              missing intervals of one meter         missing, else medium
quality       the flag (:data:`QUALITY_SEVERITY`)    as in :data:`QUALITY_SEVERITY`
============  =====================================  ==========================================
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from lingtan.metering.energy import INTERVALS_PER_DAY, BalanceRow, BudgetRow
from lingtan.metering.intervals import Quality

__all__ = [
    "ALERT_TYPES",
    "BUDGET_HIGH_PCT",
    "QUALITY_SEVERITY",
    "SEVERITIES",
    "Alert",
    "balance_alerts",
    "budget_alerts",
    "gap_alerts",
    "quality_alerts",
    "select_alerts",
]

#: Severities, the most urgent first.
SEVERITIES = ("high", "medium", "low")
ALERT_TYPES = ("balance", "budget", "data_gap", "quality")
#: A month's actual above this share of its budget is a high-severity overrun [%].
BUDGET_HIGH_PCT = 110.0
_BALANCE_SEVERITY = {"loss": "medium", "children exceed parent": "high", "incomplete": "low"}
#: Flags of checked intervals that raise an alert, and their severity. Missing intervals are
#: data gaps (from the daily completeness), not repeated here.
QUALITY_SEVERITY = {
    Quality.SPIKE: "medium",
    Quality.NEGATIVE: "medium",
    Quality.REPLACEMENT: "low",
    Quality.ROLLOVER: "low",
    Quality.ESTIMATED: "low",
    Quality.STUCK: "low",
}


@dataclass(frozen=True)
class Alert:
    """One alert over local days ``first_day`` to ``last_day`` (inclusive).

    Attributes
    ----------
    share_pct : float or None
        Balance: the loss [% of the parent]; budget: the actual [% of the budget].
    actual, limit : float or None
        Balance: the loss and the parent; budget: the actual and the budget [``unit``].
    intervals : int or None
        Data gap: missing 15-minute intervals; quality: intervals with the flag.
    """

    type: str
    severity: str
    node: str | None
    meter: str | None
    first_day: date
    last_day: date
    detail: str
    share_pct: float | None = None
    actual: float | None = None
    limit: float | None = None
    unit: str | None = None
    intervals: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "severity": self.severity,
            "node": self.node,
            "meter": self.meter,
            "first_day": self.first_day,
            "last_day": self.last_day,
            "detail": self.detail,
            "share_pct": self.share_pct,
            "actual": self.actual,
            "limit": self.limit,
            "unit": self.unit,
            "intervals": self.intervals,
        }


def _span(key: str) -> tuple[date, date]:
    """First and last day of a period key: ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``."""
    parts = [int(p) for p in key.split("-")]
    if len(parts) == 1:
        return date(parts[0], 1, 1), date(parts[0], 12, 31)
    if len(parts) == 2:
        last = calendar.monthrange(parts[0], parts[1])[1]
        return date(parts[0], parts[1], 1), date(parts[0], parts[1], last)
    day = date(*parts)
    return day, day


def balance_alerts(rows: Iterable[BalanceRow]) -> list[Alert]:
    """An alert for every balance row whose status is not ``ok``."""
    alerts = []
    for row in rows:
        if row.status == "ok":
            continue
        first, last = _span(row.period)
        alerts.append(
            Alert(
                "balance",
                _BALANCE_SEVERITY[row.status],
                row.node,
                None,
                first,
                last,
                row.status,
                row.loss_pct,
                row.loss,
                row.parent,
                row.unit,
                row.missing or None,
            )
        )
    return alerts


def budget_alerts(rows: Iterable[BudgetRow]) -> list[Alert]:
    """An alert for every month a node's energy [tce] or carbon [tCO2] exceeds its budget."""
    alerts = []
    for row in rows:
        first, last = _span(row.month)
        for measure in row.over:
            actual, budget, used, unit = (
                (row.energy_tce, row.budget_tce, row.energy_used_pct, "tce")
                if measure == "energy"
                else (row.carbon_tco2, row.budget_tco2, row.carbon_used_pct, "tCO2")
            )
            severity = "high" if used is not None and used > BUDGET_HIGH_PCT else "medium"
            alerts.append(
                Alert(
                    "budget",
                    severity,
                    row.node,
                    None,
                    first,
                    last,
                    measure,
                    used,
                    actual,
                    budget,
                    unit,
                )
            )
    return alerts


def gap_alerts(meter: str, node: str | None, days: np.ndarray, missing: np.ndarray) -> list[Alert]:
    """One alert per run of consecutive days on which ``meter`` misses intervals.

    Parameters
    ----------
    days : numpy.ndarray of datetime64[D]
        Consecutive local days.
    missing : numpy.ndarray of int
        Missing 15-minute intervals of each day (96: no data that day).
    """
    alerts = []
    run: list[int] = []
    for i in [*range(len(days)), len(days)]:
        if i < len(days) and missing[i] > 0:
            run.append(i)
            continue
        if run:
            count = int(missing[run].sum())
            whole = bool((missing[run] >= INTERVALS_PER_DAY).any())
            first, last = (days[run[0]].astype(date), days[run[-1]].astype(date))
            alerts.append(
                Alert(
                    "data_gap",
                    "high" if whole else "medium",
                    node,
                    meter,
                    first,
                    last,
                    "missing",
                    intervals=count,
                )
            )
            run = []
    return alerts


def quality_alerts(
    meter: str, node: str | None, days: np.ndarray, quality: np.ndarray
) -> list[Alert]:
    """One alert per flag of :data:`QUALITY_SEVERITY` found among a meter's intervals.

    Parameters
    ----------
    days : numpy.ndarray of datetime64[D]
        The local day of each interval.
    quality : numpy.ndarray of int
        The :class:`lingtan.metering.intervals.Quality` of each interval.
    """
    alerts = []
    for flag, severity in QUALITY_SEVERITY.items():
        hit = quality == flag
        if not hit.any():
            continue
        flagged = days[hit]
        alerts.append(
            Alert(
                "quality",
                severity,
                node,
                meter,
                flagged.min().astype(date),
                flagged.max().astype(date),
                flag.label,
                intervals=int(hit.sum()),
            )
        )
    return alerts


def select_alerts(
    alerts: Iterable[Alert],
    *,
    types: Sequence[str] = (),
    nodes: Sequence[str] | None = None,
    severities: Sequence[str] = (),
) -> list[Alert]:
    """The alerts of the given types, nodes and severities (each filter optional), the most
    severe first, then by day, type, node and meter."""
    chosen = [
        a
        for a in alerts
        if (not types or a.type in types)
        and (nodes is None or a.node in nodes)
        and (not severities or a.severity in severities)
    ]
    return sorted(
        chosen,
        key=lambda a: (
            SEVERITIES.index(a.severity),
            a.first_day,
            ALERT_TYPES.index(a.type),
            a.node or "",
            a.meter or "",
            a.detail,
        ),
    )
