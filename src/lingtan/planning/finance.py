"""Annualised cost of an asset (the capital recovery factor, capex and fixed O&M), and a
plan's cash flows against doing nothing: NPV, IRR, simple and discounted payback.

References
----------
.. [1] W. Short, D. J. Packey, T. Holt, "A Manual for the Economic Evaluation of Energy
   Efficiency and Renewable Energy Technologies", NREL/TP-462-5173, 1995, §4.4 (capital
   recovery factor, eq. 4-7).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = [
    "Asset",
    "annualised_cost_cny_per_year",
    "capital_recovery_factor",
    "internal_rate_of_return",
    "net_present_value",
    "payback_years",
    "project_cash_flows_cny",
]


def capital_recovery_factor(*, discount_rate: float, lifetime_years: float) -> float:
    """The capital recovery factor: the share of a present sum repaid each year.

    .. math:: CRF = \\frac{i (1+i)^n}{(1+i)^n - 1}, \\qquad CRF = 1/n \\text{ for } i = 0

    Parameters
    ----------
    discount_rate : float
        Real discount rate per year [1], e.g. 0.06; > -1.
    lifetime_years : float
        Economic lifetime [year]; > 0.

    Returns
    -------
    float
        [1/year].

    References
    ----------
    .. [1] NREL/TP-462-5173 (1995), §4.4, eq. 4-7.
    """
    if lifetime_years <= 0:
        raise ValueError("lifetime_years must be > 0")
    if discount_rate <= -1:
        raise ValueError("discount_rate must be > -1")
    if discount_rate == 0:
        return 1.0 / lifetime_years
    growth = (1.0 + discount_rate) ** lifetime_years
    return discount_rate * growth / (growth - 1.0)


def annualised_cost_cny_per_year(
    *,
    capex_cny: float,
    om_cny_per_year: float = 0.0,
    discount_rate: float,
    lifetime_years: float,
) -> float:
    """Capex spread over the lifetime at the discount rate, plus fixed O&M.

    Parameters
    ----------
    capex_cny : float
        Investment [CNY].
    om_cny_per_year : float, default 0
        Fixed operation and maintenance [CNY/year].
    discount_rate : float
        [1/year].
    lifetime_years : float
        [year].

    Returns
    -------
    float
        [CNY/year]: ``capex_cny * CRF + om_cny_per_year``.

    References
    ----------
    .. [1] NREL/TP-462-5173 (1995), §4.4.
    """
    crf = capital_recovery_factor(discount_rate=discount_rate, lifetime_years=lifetime_years)
    return capex_cny * crf + om_cny_per_year


@dataclass(frozen=True)
class Asset:
    """The cost of one unit of a size decision (a kW of PV, a kWh of battery energy …).

    Attributes
    ----------
    capex_cny_per_unit : float
        Investment per unit [CNY/unit].
    lifetime_years : float
        [year].
    om_cny_per_unit_per_year : float
        Fixed O&M per unit [CNY/(unit·year)].
    max_units : float or None
        Upper bound of the size (a roof's PV kW); None: unbounded.
    min_units : float
        Lower bound of the size: equal to ``max_units`` for an existing asset of a dispatch.
    """

    capex_cny_per_unit: float
    lifetime_years: float
    om_cny_per_unit_per_year: float = 0.0
    max_units: float | None = None
    min_units: float = 0.0

    def annualised_cny_per_unit_per_year(self, discount_rate: float) -> float:
        """[CNY/(unit·year)]: :func:`annualised_cost_cny_per_year` of one unit."""
        return annualised_cost_cny_per_year(
            capex_cny=self.capex_cny_per_unit,
            om_cny_per_year=self.om_cny_per_unit_per_year,
            discount_rate=discount_rate,
            lifetime_years=self.lifetime_years,
        )


def net_present_value(*, rate: float, cash_flows_cny: np.ndarray) -> float:
    """NPV of yearly cash flows, the first at year 0 (not discounted).

    .. math:: NPV = \\sum_{y=0}^{N} \\frac{C_y}{(1+i)^y}

    Parameters
    ----------
    rate : float
        Discount rate per year [1], > -1.
    cash_flows_cny : numpy.ndarray
        [CNY] per year, year 0 first.

    Returns
    -------
    float
        [CNY].

    References
    ----------
    .. [1] NREL/TP-462-5173 (1995), §4.2 (net present value).
    """
    flows = np.asarray(cash_flows_cny, float)
    return float(np.sum(flows / (1.0 + rate) ** np.arange(flows.size)))


def internal_rate_of_return(cash_flows_cny: np.ndarray) -> float | None:
    """The rate at which the NPV of the cash flows is zero.

    Found by bisection on a rate in (−0.99, 10) where the NPV changes sign, for the usual
    flows of an investment (outflows first, then inflows: one sign change, one root).

    Parameters
    ----------
    cash_flows_cny : numpy.ndarray
        [CNY] per year, year 0 first.

    Returns
    -------
    float or None
        [1/year]; None where the NPV does not change sign in that range (e.g. the savings
        never repay the investment, or there is no investment).

    References
    ----------
    .. [1] NREL/TP-462-5173 (1995), §4.5 (internal rate of return).
    """
    flows = np.asarray(cash_flows_cny, float)

    def npv(rate: float) -> float:
        return net_present_value(rate=rate, cash_flows_cny=flows)

    low, high = -0.99, 10.0
    f_low, f_high = npv(low), npv(high)
    if f_low == 0:
        return low
    if not np.isfinite(f_low) or f_low * f_high > 0:
        return None
    for _ in range(200):  # 2^-200 of the bracket: far below any float's precision
        middle = 0.5 * (low + high)
        f_middle = npv(middle)
        if f_middle == 0 or high - low < 1e-14:
            return middle
        if (f_middle > 0) == (f_low > 0):
            low, f_low = middle, f_middle
        else:
            high = middle
    return 0.5 * (low + high)


def payback_years(*, cash_flows_cny: np.ndarray, rate: float = 0.0) -> float | None:
    """The time until the cumulative (discounted) cash flow turns non-negative for good.

    Within the year it turns, the year's flow is taken as spread evenly (linear interpolation).
    With ``rate = 0`` this is the simple payback, otherwise the discounted payback.

    Parameters
    ----------
    cash_flows_cny : numpy.ndarray
        [CNY] per year, year 0 first (the investment).
    rate : float, default 0
        Discount rate per year [1].

    Returns
    -------
    float or None
        [year]; None where the cumulative flow is still negative at the end, or where there is
        nothing to pay back (no negative flow).

    References
    ----------
    .. [1] NREL/TP-462-5173 (1995), §4.6 (simple and discounted payback).
    """
    flows = np.asarray(cash_flows_cny, float)
    discounted = flows / (1.0 + rate) ** np.arange(flows.size)
    cumulative = np.cumsum(discounted)
    if not np.any(cumulative < 0) or cumulative[-1] < 0:
        return None
    last_negative = int(np.flatnonzero(cumulative < 0)[-1])
    year = last_negative + 1  # the flow of this year brings the sum to >= 0
    return last_negative + float(-cumulative[last_negative] / discounted[year])


def project_cash_flows_cny(
    *,
    capex_cny: dict[str, float],
    lifetime_years: dict[str, float],
    yearly_saving_cny: float,
    horizon_years: int,
) -> np.ndarray:
    """Yearly cash flows of a plan against doing nothing, year 0 first.

    Year 0: minus the investment. Years 1..N: the yearly saving of operating cost. An asset
    whose lifetime ends before the horizon is bought again at the same capex at each whole
    multiple of its lifetime (a lifetime of 12.5 years: at years 13, 26 …, rounded up);
    at the horizon the life left of each asset is credited at its straight-line share of its
    capex (the salvage value).

    Parameters
    ----------
    capex_cny : dict
        Investment per asset [CNY].
    lifetime_years : dict
        The same assets' lifetimes [year], > 0.
    yearly_saving_cny : float
        Operating cost of doing nothing less that of the plan [CNY/year].
    horizon_years : int
        N [year], ≥ 1.

    Returns
    -------
    numpy.ndarray of float64
        N + 1 values [CNY].

    References
    ----------
    .. [1] NREL/TP-462-5173 (1995), §3.3 (replacement costs and salvage value in a life-cycle
       cost).
    """
    if horizon_years < 1:
        raise ValueError("horizon_years must be >= 1")
    flows = np.zeros(horizon_years + 1)
    flows[1:] = yearly_saving_cny
    for name, capex in capex_cny.items():
        life = float(lifetime_years[name])
        if life <= 0:
            raise ValueError("lifetimes must be > 0")
        bought = 0.0
        while bought < horizon_years:
            flows[math.ceil(bought)] -= capex
            bought = math.ceil(bought) + life
        left = bought - horizon_years  # life left at the horizon of the last purchase
        flows[-1] += capex * left / life
    return flows
