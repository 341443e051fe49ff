"""Annualised cost of an asset: the capital recovery factor, capex and fixed O&M.

References
----------
.. [1] W. Short, D. J. Packey, T. Holt, "A Manual for the Economic Evaluation of Energy
   Efficiency and Renewable Energy Technologies", NREL/TP-462-5173, 1995, §4.4 (capital
   recovery factor, eq. 4-7).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Asset", "annualised_cost_cny_per_year", "capital_recovery_factor"]


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
    """

    capex_cny_per_unit: float
    lifetime_years: float
    om_cny_per_unit_per_year: float = 0.0
    max_units: float | None = None

    def annualised_cny_per_unit_per_year(self, discount_rate: float) -> float:
        """[CNY/(unit·year)]: :func:`annualised_cost_cny_per_year` of one unit."""
        return annualised_cost_cny_per_year(
            capex_cny=self.capex_cny_per_unit,
            om_cny_per_year=self.om_cny_per_unit_per_year,
            discount_rate=discount_rate,
            lifetime_years=self.lifetime_years,
        )
