"""Wind output from a turbine's power curve and a wind-speed series: a capacity-factor series
per kW of rated power.

The wind speed measured at one height is carried to the hub height by the logarithmic wind
profile (with the site's roughness length) or by the Hellman power law (with its exponent)
[1]_; the power curve, the user's own (the manufacturer's table), is interpolated linearly
between its points and is zero below its first and above its last wind speed (cut-in and
cut-out), as in windpowerlib's ``power_curve`` [2]_. No air-density correction is applied: the
curve is taken at the density it was measured at.

References
----------
.. [1] J. F. Manwell, J. G. McGowan, A. L. Rogers, "Wind Energy Explained", 2nd ed., Wiley,
   2009, §2.3.3 (logarithmic profile, eq. 2.35; power law, eq. 2.36).
.. [2] S. Haas, U. Krien, B. Schachler et al., "wind-python/windpowerlib: a library to model
   wind power plants", Zenodo, 2021 (``windpowerlib.power_output.power_curve``,
   ``windpowerlib.wind_speed.logarithmic_profile`` and ``hellman``).
"""

from __future__ import annotations

import numpy as np

__all__ = ["hub_height_wind_speed", "wind_capacity_factor"]


def hub_height_wind_speed(
    *,
    wind_speed_m_per_s: np.ndarray,
    measurement_height_m: float,
    hub_height_m: float,
    roughness_length_m: float | None = None,
    hellman_exponent: float | None = None,
) -> np.ndarray:
    """The wind speed at the hub height from the one measured at another height.

    .. math:: v_{hub} = v \\, \\frac{\\ln(h_{hub}/z_0)}{\\ln(h/z_0)} \\quad\\text{or}\\quad
              v_{hub} = v \\, (h_{hub}/h)^{\\alpha}

    Parameters
    ----------
    wind_speed_m_per_s : numpy.ndarray
        Measured wind speed [m/s], ≥ 0.
    measurement_height_m, hub_height_m : float
        [m], > 0 (and above the roughness length).
    roughness_length_m : float, optional
        z0 of the logarithmic profile [m], > 0.
    hellman_exponent : float, optional
        α of the power law [1]; give exactly one of the two.

    Returns
    -------
    numpy.ndarray of float64
        [m/s].

    References
    ----------
    .. [1] Manwell et al. (2009), eqs. 2.35 and 2.36.
    """
    if (roughness_length_m is None) == (hellman_exponent is None):
        raise ValueError("give exactly one of roughness_length_m and hellman_exponent")
    if measurement_height_m <= 0 or hub_height_m <= 0:
        raise ValueError("heights must be > 0")
    v = np.asarray(wind_speed_m_per_s, float)
    if roughness_length_m is not None:
        if roughness_length_m <= 0 or min(measurement_height_m, hub_height_m) <= roughness_length_m:
            raise ValueError("the roughness length must be > 0 and below both heights")
        ratio = np.log(hub_height_m / roughness_length_m) / np.log(
            measurement_height_m / roughness_length_m
        )
    else:
        ratio = (hub_height_m / measurement_height_m) ** hellman_exponent
    return v * ratio


def wind_capacity_factor(
    *,
    wind_speed_m_per_s: np.ndarray,
    curve_wind_speed_m_per_s: np.ndarray,
    curve_power_kw: np.ndarray,
    rated_kw: float | None = None,
) -> np.ndarray:
    """Output per kW of rated power at each hub-height wind speed, from the power curve.

    Parameters
    ----------
    wind_speed_m_per_s : numpy.ndarray
        Wind speed at the hub height [m/s].
    curve_wind_speed_m_per_s : numpy.ndarray
        The curve's wind speeds [m/s], strictly increasing.
    curve_power_kw : numpy.ndarray
        The turbine's output at each [kW], ≥ 0.
    rated_kw : float, optional
        Rated power [kW]; default: the curve's maximum.

    Returns
    -------
    numpy.ndarray of float64
        [kW/kW], in [0, max(curve) / rated]: linear between the curve's points, zero outside
        them.

    References
    ----------
    .. [1] windpowerlib, ``power_output.power_curve`` (the same interpolation).
    """
    speeds = np.asarray(curve_wind_speed_m_per_s, float)
    power = np.asarray(curve_power_kw, float)
    if speeds.ndim != 1 or speeds.shape != power.shape or speeds.size < 2:
        raise ValueError("a power curve of at least two points of speed and power")
    if np.any(np.diff(speeds) <= 0):
        raise ValueError("the curve's wind speeds must be strictly increasing")
    if np.any(power < 0):
        raise ValueError("the curve's power must not be negative")
    rated = float(power.max()) if rated_kw is None else float(rated_kw)
    if rated <= 0:
        raise ValueError("the rated power must be > 0")
    v = np.asarray(wind_speed_m_per_s, float)
    return np.interp(v, speeds, power, left=0.0, right=0.0) / rated
