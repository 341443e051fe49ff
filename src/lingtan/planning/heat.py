"""Heat: the coefficient of performance of a heat pump from its source and sink temperatures,
and the fuel an existing boiler burns for a heat output.

The COP is the Carnot form: the ideal (Carnot) COP of heating between the two temperatures
times an efficiency the user states (the "Carnot efficiency" or exergetic efficiency of the
machine, from its data sheet at one rating point: η = COP_rated / COP_Carnot,rated) [1]_, [2]_.
EMHASS models heat-pump COP the same way [3]_.

References
----------
.. [1] Y. A. Çengel, M. A. Boles, "Thermodynamics: An Engineering Approach", 8th ed., 2015,
   §6-7 (COP of a reversible heat pump, eq. 6-18: COP = T_H / (T_H − T_L)).
.. [2] EN 14511-2 rates heat pumps at stated source and sink temperatures (e.g. A7/W35): a
   data sheet's COP there over the Carnot COP there gives η.
.. [3] EMHASS documentation, "thermal model" (heat-pump COP by the Carnot formula).
"""

from __future__ import annotations

import numpy as np

__all__ = ["KELVIN", "carnot_cop"]

#: 0 °C in kelvin.
KELVIN = 273.15


def carnot_cop(
    *,
    source_temp_c: np.ndarray | float,
    sink_temp_c: np.ndarray | float,
    carnot_efficiency: float,
    max_cop: float | None = None,
) -> np.ndarray:
    """COP of heating at each step.

    .. math:: COP_t = \\eta \\, \\frac{T_{sink}}{T_{sink} - T_{source,t}} \\quad [T \\text{ in K}]

    Parameters
    ----------
    source_temp_c : numpy.ndarray or float
        Temperature the heat is taken from (outdoor air, waste heat, ground water) [°C].
    sink_temp_c : numpy.ndarray or float
        Temperature the heat is delivered at (the supply temperature of hot water) [°C].
    carnot_efficiency : float
        η [1], in (0, 1].
    max_cop : float, optional
        An upper limit (the machine's own, from its data sheet) [1]; required where the sink is
        not above the source by more than a few kelvin, where the formula diverges.

    Returns
    -------
    numpy.ndarray of float64
        [1], ≥ 1 where the sink is above the source.

    Raises
    ------
    ValueError
        An efficiency outside (0, 1], or a step whose sink is not above its source and no
        ``max_cop``.

    References
    ----------
    .. [1] Çengel & Boles (2015), eq. 6-18.
    """
    if not 0 < carnot_efficiency <= 1:
        raise ValueError("carnot_efficiency must be in (0, 1]")
    source = np.asarray(source_temp_c, float) + KELVIN
    sink = np.asarray(sink_temp_c, float) + KELVIN
    lift = np.broadcast_to(sink - source, np.broadcast(source, sink).shape)
    if max_cop is None and np.any(lift <= 0):
        raise ValueError("the sink must be above the source at every step (or give max_cop)")
    with np.errstate(divide="ignore", invalid="ignore"):
        cop = np.where(lift > 0, carnot_efficiency * sink / np.where(lift > 0, lift, 1.0), np.inf)
    if max_cop is not None:
        cop = np.minimum(cop, max_cop)
    return np.asarray(cop, float)
