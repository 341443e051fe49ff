"""A battery's state of charge for a given dispatch, the rule the sizing LP obeys.

References
----------
.. [1] PyPSA documentation, "Storage Unit" (state of charge with efficiencies of storing and
   dispatch, cyclic state of charge).
"""

from __future__ import annotations

import numpy as np

__all__ = ["state_of_charge_kwh"]


def state_of_charge_kwh(
    *,
    charge_kw: np.ndarray,
    discharge_kw: np.ndarray,
    step_h: float,
    charge_efficiency: float,
    discharge_efficiency: float,
    initial_kwh: float,
) -> np.ndarray:
    """Energy stored at the end of each step.

    .. math:: E_t = E_{t-1} + \\Delta t \\, (\\eta_c P^{ch}_t - P^{dis}_t / \\eta_d)

    Parameters
    ----------
    charge_kw, discharge_kw : numpy.ndarray
        Mean power into the battery from the AC side and out of it to the AC side [kW].
    step_h : float
        [h].
    charge_efficiency, discharge_efficiency : float
        [1], in (0, 1].
    initial_kwh : float
        Energy stored before the first step [kWh]; a cyclic dispatch ends where it began.

    Returns
    -------
    numpy.ndarray of float64
        [kWh].
    """
    charge = np.asarray(charge_kw, float)
    discharge = np.asarray(discharge_kw, float)
    delta = step_h * (charge_efficiency * charge - discharge / discharge_efficiency)
    return initial_kwh + np.cumsum(delta)
