"""The alert rules and the straight-line budget forecast, on hand-worked plain data."""

from datetime import date

import numpy as np
import pytest

from lingtan.metering.alerts import (
    balance_alerts,
    budget_alerts,
    gap_alerts,
    quality_alerts,
    select_alerts,
)
from lingtan.metering.energy import (
    BalanceRow,
    BudgetRow,
    budget_forecast,
    straight_line_forecast,
)
from lingtan.metering.intervals import Quality


def test_straight_line_forecast_is_actual_over_elapsed_days_times_days_in_the_year():
    # 1,000 tce through 31 July (31+28+31+30+31+30+31 = 212 days): 1,000 / 212 x 365
    assert straight_line_forecast(1000.0, 212, 365) == pytest.approx(1721.698113)
    assert straight_line_forecast(1000.0, 365, 365) == 1000.0  # a finished year: the actual
    assert straight_line_forecast(1000.0, 0, 365) is None
    assert straight_line_forecast(None, 212, 365) is None


def test_budget_forecast_sets_the_forecast_against_a_full_year_of_budgets_only():
    budgets = {("ws", f"2025-{m:02d}"): (4.0, None) for m in range(1, 13)}
    budgets[("site", "2025-07")] = (3.0, 10.0)
    actual = {"ws": (3.2917536, 1.5), "site": (3.657504, 2.0)}
    site, ws = budget_forecast(actual, budgets, elapsed_days=212, days=365)
    # ws: 12 x 4.0 = 48 tce; 3.2917536 / 212 x 365 = 5.667405962 tce = 11.807 % of it
    assert (ws.node, ws.budget_months, ws.budget_tce) == ("ws", 12, 48.0)
    assert ws.forecast_tce == pytest.approx(5.667405962)
    assert ws.forecast_tce_pct == pytest.approx(11.80709575)
    assert ws.budget_tco2 is None and ws.forecast_tco2_pct is None
    assert ws.forecast_tco2 == pytest.approx(1.5 / 212 * 365)
    # site: one budgeted month: a forecast, but no share of a part-year budget
    assert (site.budget_months, site.budget_tce, site.budget_tco2) == (1, 3.0, 10.0)
    assert site.forecast_tce == pytest.approx(6.297117736)
    assert site.forecast_tce_pct is None and site.forecast_tco2_pct is None


def _balance(status: str, pct: float | None = 10.0, missing: int = 0) -> BalanceRow:
    return BalanceRow("2025-02", "site", "electricity", "kWh", 100.0, 90.0, 10.0, pct, status,
                      missing, ("ws",))  # fmt: skip


def test_balance_alerts_name_their_status_and_month():
    rows = [_balance("ok", 1.0), _balance("loss"), _balance("children exceed parent", -8.0),
            _balance("incomplete", missing=4)]  # fmt: skip
    alerts = balance_alerts(rows)
    assert [(a.detail, a.severity) for a in alerts] == [
        ("loss", "medium"), ("children exceed parent", "high"), ("incomplete", "low"),
    ]  # fmt: skip
    loss = alerts[0]
    assert (loss.first_day, loss.last_day) == (date(2025, 2, 1), date(2025, 2, 28))
    assert (loss.share_pct, loss.actual, loss.limit, loss.unit) == (10.0, 10.0, 100.0, "kWh")
    assert alerts[2].intervals == 4


def test_budget_alerts_one_per_measure_over_and_high_above_110_percent():
    rows = [
        BudgetRow("ws", "2025-07", 3.3, 4.0, 82.5, None, None, None, ()),
        BudgetRow("site", "2025-07", 3.657504, 3.0, 121.9168, 10.5, 10.0, 105.0,
                  ("energy", "carbon")),
    ]  # fmt: skip
    energy, carbon = budget_alerts(rows)
    assert (energy.node, energy.detail, energy.severity, energy.unit) == (
        "site", "energy", "high", "tce")  # fmt: skip
    assert (energy.actual, energy.limit, energy.share_pct) == (3.657504, 3.0, 121.9168)
    assert (carbon.detail, carbon.severity, carbon.unit) == ("carbon", "medium", "tCO2")
    assert energy.first_day == date(2025, 7, 1) and energy.last_day == date(2025, 7, 31)


def test_gap_alerts_join_consecutive_days_and_whole_days_are_high():
    days = np.arange(np.datetime64("2025-07-01"), np.datetime64("2025-07-08"))
    missing = np.array([0, 3, 5, 0, 96, 96, 0])
    partial, whole = gap_alerts("M-1", "ws", days, missing)
    assert (partial.first_day, partial.last_day, partial.intervals) == (
        date(2025, 7, 2), date(2025, 7, 3), 8)  # fmt: skip
    assert partial.severity == "medium" and partial.detail == "missing"
    assert (whole.first_day, whole.last_day, whole.intervals, whole.severity) == (
        date(2025, 7, 5), date(2025, 7, 6), 192, "high")  # fmt: skip
    assert gap_alerts("M-1", "ws", days[-1:], missing[-1:]) == []
    # a gap running to the last day is closed too
    (tail,) = gap_alerts("M-1", None, days[3:6], missing[3:6])
    assert (tail.first_day, tail.last_day) == (date(2025, 7, 5), date(2025, 7, 6))


def test_quality_alerts_count_each_flag_but_not_missing_intervals():
    days = np.array(["2025-07-01"] * 3 + ["2025-07-02"] * 3, dtype="datetime64[D]")
    flags = np.array([Quality.MEASURED, Quality.SPIKE, Quality.ESTIMATED, Quality.ESTIMATED,
                      Quality.MISSING, Quality.MEASURED])  # fmt: skip
    alerts = quality_alerts("M-1", "ws", days, flags)
    assert [(a.detail, a.severity, a.intervals, a.first_day, a.last_day) for a in alerts] == [
        ("spike", "medium", 1, date(2025, 7, 1), date(2025, 7, 1)),
        ("estimated", "low", 2, date(2025, 7, 1), date(2025, 7, 2)),
    ]


def test_select_alerts_filters_and_puts_the_most_severe_first():
    days = np.arange(np.datetime64("2025-07-01"), np.datetime64("2025-07-03"))
    alerts = (
        gap_alerts("M-1", "ws", days, np.array([2, 0]))  # medium, ws
        + balance_alerts([_balance("children exceed parent", -8.0)])  # high, site
        + quality_alerts("M-2", "site", days, np.array([Quality.STUCK, 0]))  # low, site
    )
    assert [a.severity for a in select_alerts(alerts)] == ["high", "medium", "low"]
    assert [a.type for a in select_alerts(alerts, nodes=["site"])] == ["balance", "quality"]
    assert [a.meter for a in select_alerts(alerts, types=["data_gap", "quality"])] == [
        "M-1", "M-2"]  # fmt: skip
    assert select_alerts(alerts, severities=["low"], types=["balance"]) == []
