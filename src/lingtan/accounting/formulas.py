"""The accounting formulas, as pure functions on plain numbers.

Each function is one formula of the standards, in canonical units (t, GJ, MWh, tCO2e), with
no look-ups: the inventory engine (:mod:`lingtan.accounting.engine`) chooses the factors and
calls these. Tests check them against hand-worked examples.

References
----------
.. [1] GB/T 32150-2015 工业企业温室气体排放核算和报告通则 (and its 2025 edition), formulas
   for fuel combustion, process emissions, purchased and exported electricity and heat.
.. [2] GB/T 32151 series, sector parts: carbonate decomposition, carbon mass balance,
   recovered CO2.
.. [3] GHG Protocol Corporate Standard ch. 6 and Scope 2 Guidance (2015) ch. 6-7.
.. [4] IPCC 2006 Guidelines Vol. 1 ch. 3, Approach 1 (propagation of error), eqs. 3.1, 3.2.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import numpy as np

__all__ = [
    "CO2_PER_C",
    "blend_gwp",
    "carbonate_co2",
    "combustion_co2",
    "combustion_co2_from_carbon_fraction",
    "energy_co2",
    "fugitive_mass_balance",
    "hot_water_heat",
    "mass_balance_co2",
    "recovered_co2_mass",
    "steam_heat",
    "uncertainty_of_product",
    "uncertainty_of_sum",
    "uncertainty_of_sum_columns",
]

#: Mass ratio of CO2 to carbon, written 44/12 in GB/T 32150 and the IPCC guidelines.
CO2_PER_C = 44.0 / 12.0


def combustion_co2(
    fuel_quantity: float, ncv: float, carbon_content: float, oxidation: float
) -> float:
    """CO2 from burning a fuel: E = FC x NCV x CC x OF x 44/12.

    Parameters
    ----------
    fuel_quantity : float
        Fuel consumed, FC [t, or 10^4 Nm3 for gases; the unit NCV is per].
    ncv : float
        Net calorific value [GJ per unit of fuel_quantity].
    carbon_content : float
        Carbon content per unit heat, CC [tC/GJ].
    oxidation : float
        Carbon oxidation rate, OF [fraction, 0-1].

    Returns
    -------
    float
        CO2 [t].

    References
    ----------
    GB/T 32150-2015 fuel-combustion formula (AD = FC x NCV; EF = CC x OF x 44/12).
    """
    return fuel_quantity * ncv * carbon_content * oxidation * CO2_PER_C


def combustion_co2_from_carbon_fraction(
    fuel_quantity: float, carbon_fraction: float, oxidation: float
) -> float:
    """CO2 from a fuel whose elemental carbon content was measured: E = FC x C_ar x OF x 44/12.

    Parameters
    ----------
    fuel_quantity : float
        Fuel consumed [t].
    carbon_fraction : float
        Measured carbon content of the fuel as received, C_ar [t C / t fuel].
    oxidation : float
        Carbon oxidation rate [fraction].

    Returns
    -------
    float
        CO2 [t].
    """
    return fuel_quantity * carbon_fraction * oxidation * CO2_PER_C


def carbonate_co2(
    mass: float, purity: float, stoichiometric_factor: float, calcination_fraction: float = 1.0
) -> float:
    """CO2 from carbonate decomposition: E = M x w x EF x F.

    Parameters
    ----------
    mass : float
        Raw material consumed, M [t].
    purity : float
        Carbonate mass fraction of the raw material, w [fraction].
    stoichiometric_factor : float
        CO2 released per tonne of carbonate, EF [t/t].
    calcination_fraction : float
        Fraction calcined, F [fraction]; 1 when unknown.

    Returns
    -------
    float
        CO2 [t].

    References
    ----------
    GB/T 32151 sector parts, carbonate formula; IPCC 2006 Vol. 3 eq. 2.7 and Table 2.1.
    """
    return mass * purity * stoichiometric_factor * calcination_fraction


def mass_balance_co2(carbon_in: float, carbon_out: float) -> float:
    """CO2 by carbon mass balance: E = (C_in - C_out) x 44/12.

    Parameters
    ----------
    carbon_in, carbon_out : float
        Carbon entering (raw materials) and leaving (products, wastes) the process [t C].

    Returns
    -------
    float
        CO2 [t].
    """
    return (carbon_in - carbon_out) * CO2_PER_C


def fugitive_mass_balance(
    stock_start: float, stock_end: float, purchased: float, recovered: float
) -> float:
    """Gas released by mass balance: start stock - end stock + purchases - recovered [t]."""
    return stock_start - stock_end + purchased - recovered


def blend_gwp(composition: Mapping[str, float], gwp: Mapping[str, float]) -> float:
    """GWP of a refrigerant blend as the mass-weighted sum of its components' GWPs.

    Parameters
    ----------
    composition : mapping of str to float
        Mass fraction of each component gas; fractions sum to 1.
    gwp : mapping of str to float
        GWP-100 of each component.

    Raises
    ------
    KeyError
        If a component has no GWP in ``gwp``.
    """
    return math.fsum(fraction * gwp[gas] for gas, fraction in composition.items())


def energy_co2(activity: float, factor: float) -> float:
    """CO2 of purchased or exported electricity or heat: E = AD x EF.

    Parameters
    ----------
    activity : float
        AD: electricity [MWh] or heat [GJ].
    factor : float
        EF: grid factor [tCO2/MWh] or heat factor [tCO2/GJ].

    Returns
    -------
    float
        CO2 [t].
    """
    return activity * factor


def steam_heat(mass: float, enthalpy: float, reference_enthalpy: float) -> float:
    """Heat in steam: AD = Ma x (En - 83.74) x 1e-3.

    Parameters
    ----------
    mass : float
        Steam mass, Ma [t].
    enthalpy : float
        Specific enthalpy of the steam, En [kJ/kg].
    reference_enthalpy : float
        Enthalpy of the reference condensate [kJ/kg] (83.74 in the NDRC guidelines).

    Returns
    -------
    float
        Heat [GJ]. (t x kJ/kg = MJ; x 1e-3 gives GJ.)
    """
    return mass * (enthalpy - reference_enthalpy) * 1e-3


def hot_water_heat(
    mass: float, temperature: float, reference_temperature: float, specific_heat: float
) -> float:
    """Heat in hot water: AD = Mw x (T - 20) x 4.1868 x 1e-3.

    Parameters
    ----------
    mass : float
        Water mass, Mw [t].
    temperature : float
        Supply temperature, T [degC].
    reference_temperature : float
        Reference temperature [degC] (20 in the NDRC guidelines).
    specific_heat : float
        Specific heat of water [kJ/(kg K)] (4.1868).

    Returns
    -------
    float
        Heat [GJ].
    """
    return mass * (temperature - reference_temperature) * specific_heat * 1e-3


def recovered_co2_mass(volume: float, purity: float, density: float) -> float:
    """Mass of recovered CO2 from a gas volume: R = Q x PUR x rho [t].

    Parameters
    ----------
    volume : float
        Recovered gas [10^4 Nm3].
    purity : float
        CO2 volume fraction of the gas [fraction].
    density : float
        CO2 density at normal conditions [t / 10^4 Nm3] (19.77).
    """
    return volume * purity * density


def uncertainty_of_product(*uncertainties_pct: float) -> float:
    """Relative 95 % uncertainty of a product of independent factors [%].

    U = sqrt(U1^2 + U2^2 + ...) (IPCC 2006 Vol. 1 eq. 3.1).
    """
    return math.sqrt(math.fsum(u * u for u in uncertainties_pct))


def uncertainty_of_sum(terms: Iterable[tuple[float, float]]) -> float | None:
    """Relative 95 % uncertainty of a sum of independent terms [%].

    U = sqrt(sum((U_i x x_i)^2)) / |sum(x_i)| (IPCC 2006 Vol. 1 eq. 3.2).

    Parameters
    ----------
    terms : iterable of (value, uncertainty_pct)
        Each term and its relative 95 % uncertainty.

    Returns
    -------
    float or None
        None when the sum is zero (a relative uncertainty is undefined).
    """
    pairs = list(terms)
    if not pairs:
        return None
    values, pcts = zip(*pairs, strict=True)
    return uncertainty_of_sum_columns(np.array(values, dtype=float), np.array(pcts, dtype=float))


def uncertainty_of_sum_columns(values: np.ndarray, uncertainties_pct: np.ndarray) -> float | None:
    """:func:`uncertainty_of_sum` of terms given as two arrays, added in their order.

    Parameters
    ----------
    values : numpy.ndarray
        The terms x_i.
    uncertainties_pct : numpy.ndarray
        Their relative 95 % uncertainties U_i [%].

    Returns
    -------
    float or None
        None when the sum is zero or there are no terms.
    """
    if not len(values):
        return None
    total = float(np.cumsum(values)[-1])  # added one after another, as written
    scaled = uncertainties_pct * values
    squares = float(np.cumsum(scaled * scaled)[-1])
    if total == 0:
        return None
    return math.sqrt(squares) / abs(total)
