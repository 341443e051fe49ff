"""PV output from weather: a capacity-factor series per kWp with pvlib's PVWatts chain.

The chain (pvlib [1]_): solar position at the middle of each step, Hay–Davies transposition of
GHI/DNI/DHI to the plane of array, SAPM cell temperature, PVWatts DC with its temperature
coefficient, PVWatts system losses [2]_, lifetime-mean degradation, and the PVWatts inverter
with its AC limit (DC/AC ratio). The result, AC output per kWp of DC nameplate, is what the
sizing LP multiplies by the PV size.

References
----------
.. [1] W. F. Holmgren, C. W. Hansen, M. A. Mikofski, "pvlib python: a python package for
   modeling solar energy systems", Journal of Open Source Software 3(29), 884, 2018.
.. [2] A. P. Dobos, "PVWatts Version 5 Manual", NREL/TP-6A20-62641, 2014, §3 (system losses,
   Table 3, 14.08 % by default), §4 (DC model), §5 (inverter model).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["degradation_factor", "pv_capacity_factor", "pv_losses_pct"]


def pv_losses_pct(
    *,
    soiling_pct: float = 2.0,
    shading_pct: float = 3.0,
    snow_pct: float = 0.0,
    mismatch_pct: float = 2.0,
    wiring_pct: float = 2.0,
    connections_pct: float = 0.5,
    lid_pct: float = 1.5,
    nameplate_rating_pct: float = 1.0,
    age_pct: float = 0.0,
    availability_pct: float = 3.0,
) -> float:
    """PVWatts system losses, combined multiplicatively (``pvlib.pvsystem.pvwatts_losses``).

    .. math:: L = 100 \\, [1 - \\prod_i (1 - L_i/100)]

    Parameters
    ----------
    soiling_pct, shading_pct, snow_pct, mismatch_pct, wiring_pct, connections_pct, lid_pct,
    nameplate_rating_pct, age_pct, availability_pct : float
        Each loss [%]; the defaults are PVWatts' own.

    Returns
    -------
    float
        Total loss [%]; 14.08 % with the defaults.

    References
    ----------
    .. [1] NREL/TP-6A20-62641 (2014), §3, Table 3.
    """
    from pvlib.pvsystem import pvwatts_losses

    return float(
        pvwatts_losses(
            soiling=soiling_pct,
            shading=shading_pct,
            snow=snow_pct,
            mismatch=mismatch_pct,
            wiring=wiring_pct,
            connections=connections_pct,
            lid=lid_pct,
            nameplate_rating=nameplate_rating_pct,
            age=age_pct,
            availability=availability_pct,
        )
    )


def degradation_factor(*, degradation_pct_per_year: float, lifetime_years: int) -> float:
    """Mean output over the lifetime relative to the first year, for a constant yearly
    degradation: :math:`\\frac{1}{n} \\sum_{k=0}^{n-1} (1 - d/100)^k`.

    Parameters
    ----------
    degradation_pct_per_year : float
        [%/year], in [0, 100).
    lifetime_years : int
        [year], ≥ 1.

    Returns
    -------
    float
        [1]; 1 without degradation.

    References
    ----------
    .. [1] D. C. Jordan, S. R. Kurtz, "Photovoltaic Degradation Rates — an Analytical Review",
       Progress in Photovoltaics 21(1), 12–29, 2013 (a median of 0.5 %/year).
    """
    if not 0 <= degradation_pct_per_year < 100 or lifetime_years < 1:
        raise ValueError("degradation_pct_per_year in [0, 100) and lifetime_years >= 1")
    years = np.arange(int(lifetime_years))
    return float(np.mean((1.0 - degradation_pct_per_year / 100.0) ** years))


def pv_capacity_factor(
    *,
    starts: pd.DatetimeIndex,
    step_h: float,
    ghi_w_per_m2: np.ndarray,
    dni_w_per_m2: np.ndarray,
    dhi_w_per_m2: np.ndarray,
    temp_air_c: np.ndarray,
    wind_speed_m_per_s: np.ndarray,
    latitude_deg: float,
    longitude_deg: float,
    altitude_m: float = 0.0,
    surface_tilt_deg: float,
    surface_azimuth_deg: float = 180.0,
    albedo: float = 0.2,
    gamma_pdc_per_c: float = -0.0037,
    dc_ac_ratio: float = 1.1,
    inverter_efficiency: float = 0.96,
    losses_pct: float = 14.08,
    degradation: float = 1.0,
    mount: str = "open_rack_glass_polymer",
) -> np.ndarray:
    """AC output per kWp of DC nameplate for each step, from weather.

    Parameters
    ----------
    starts : pandas.DatetimeIndex
        Start of each step, time-zone aware.
    step_h : float
        Length of a step [h]; the sun is placed at the middle of the step.
    ghi_w_per_m2, dni_w_per_m2, dhi_w_per_m2 : numpy.ndarray
        Global horizontal, direct normal and diffuse horizontal irradiance [W/m²], the mean
        over each step.
    temp_air_c : numpy.ndarray
        Air temperature [°C].
    wind_speed_m_per_s : numpy.ndarray
        Wind speed at 10 m [m/s].
    latitude_deg, longitude_deg : float
        [°], north and east positive.
    altitude_m : float, default 0
        [m].
    surface_tilt_deg : float
        Tilt from horizontal [°].
    surface_azimuth_deg : float, default 180
        Azimuth, clockwise from north [°]; 180 faces south.
    albedo : float, default 0.2
        Ground reflectance [1].
    gamma_pdc_per_c : float, default -0.0037
        Temperature coefficient of DC power [1/°C].
    dc_ac_ratio : float, default 1.1
        DC nameplate over inverter AC rating [1].
    inverter_efficiency : float, default 0.96
        Nominal inverter efficiency [1] (PVWatts ``eta_inv_nom``).
    losses_pct : float, default 14.08
        DC system losses [%] (:func:`pv_losses_pct`).
    degradation : float, default 1
        Output relative to the first year [1] (:func:`degradation_factor`).
    mount : str, default "open_rack_glass_polymer"
        SAPM temperature-model parameters (``pvlib.temperature.TEMPERATURE_MODEL_PARAMETERS``).

    Returns
    -------
    numpy.ndarray of float64
        Capacity factor [kW AC per kWp DC] per step, ≥ 0 and ≤ 1/``dc_ac_ratio``.

    References
    ----------
    .. [1] pvlib python: ``solarposition.get_solarposition``,
       ``irradiance.get_total_irradiance`` (``model="haydavies"``), ``temperature.sapm_cell``,
       ``pvsystem.pvwatts_dc``, ``inverter.pvwatts``.
    .. [2] NREL/TP-6A20-62641 (2014), §4–§5.
    """
    from pvlib import inverter, irradiance, pvsystem, solarposition, temperature

    middle = starts + pd.Timedelta(hours=step_h / 2)
    sun = solarposition.get_solarposition(middle, latitude_deg, longitude_deg, altitude_m)
    poa = irradiance.get_total_irradiance(
        surface_tilt_deg,
        surface_azimuth_deg,
        sun["apparent_zenith"].to_numpy(),
        sun["azimuth"].to_numpy(),
        np.asarray(dni_w_per_m2, float),
        np.asarray(ghi_w_per_m2, float),
        np.asarray(dhi_w_per_m2, float),
        dni_extra=irradiance.get_extra_radiation(middle).to_numpy(),
        albedo=albedo,
        model="haydavies",
    )
    poa_w_per_m2 = np.nan_to_num(np.clip(np.asarray(poa["poa_global"], float), 0.0, None))
    params = temperature.TEMPERATURE_MODEL_PARAMETERS["sapm"][mount]
    temp_cell_c = temperature.sapm_cell(
        poa_w_per_m2, np.asarray(temp_air_c, float), np.asarray(wind_speed_m_per_s, float), **params
    )
    dc_kw = pvsystem.pvwatts_dc(poa_w_per_m2, temp_cell_c, 1.0, gamma_pdc_per_c)
    dc_kw = np.asarray(dc_kw, float) * (1.0 - losses_pct / 100.0) * degradation
    ac_limit_kw = 1.0 / dc_ac_ratio
    ac_kw = inverter.pvwatts(dc_kw, ac_limit_kw / inverter_efficiency, inverter_efficiency)
    return np.clip(np.nan_to_num(np.asarray(ac_kw, float)), 0.0, ac_limit_kw)
