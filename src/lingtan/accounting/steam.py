"""Specific enthalpy of steam from its pressure and temperature (IAPWS-IF97).

The heat of purchased or exported steam is AD = Ma x (En - 83.74) x 1e-3 GJ (NDRC 2013-2015
enterprise guidelines and the GB/T 32151 sector parts): En is the specific enthalpy of the
steam and 83.74 kJ/kg that of the returned condensate taken as water at 20 degC (4.1868 x 20).
A steam meter records pressure and temperature rather than enthalpy; this module gives En
from them with the industrial formulation IAPWS-IF97 (the ``iapws`` package).

References
----------
IAPWS R7-97(2012), Revised Release on the IAPWS Industrial Formulation 1997 for the
Thermodynamic Properties of Water and Steam.
"""

from __future__ import annotations

from lingtan.errors import Explained
from lingtan.i18n import N_, Message

__all__ = ["SteamStateError", "steam_enthalpy"]

_KELVIN = 273.15


class SteamStateError(Explained, ValueError):
    """A pressure and temperature that give no steam enthalpy (:class:`Explained`)."""


def steam_enthalpy(pressure_mpa: float, temperature_c: float) -> float:
    """Specific enthalpy of dry or superheated steam [kJ/kg].

    Parameters
    ----------
    pressure_mpa : float
        Absolute pressure [MPa] (a gauge reading plus the ambient 0.101325 MPa).
    temperature_c : float
        Temperature [degC].

    Raises
    ------
    SteamStateError
        If the state is outside IAPWS-IF97, or is liquid water (at or below the saturation
        temperature the enthalpy depends on the steam's dryness, which P and T do not give).
    """
    from iapws import IAPWS97  # with scipy, a third of a second: only for steam given by P and T

    try:
        state = IAPWS97(P=pressure_mpa, T=temperature_c + _KELVIN)
    except NotImplementedError:
        raise SteamStateError(
            Message(
                "%(p)s MPa and %(t)s degC are outside IAPWS-IF97 (0-100 MPa up to 800 degC, "
                "0-50 MPa up to 2000 degC)",
                p=f"{pressure_mpa:g}",
                t=f"{temperature_c:g}",
            )
        ) from None
    if state.status != 1:
        raise SteamStateError(
            Message(
                "%(p)s MPa and %(t)s degC are outside IAPWS-IF97 (%(detail)s)",
                p=f"{pressure_mpa:g}",
                t=f"{temperature_c:g}",
                detail=state.msg,
            )
        )
    if state.x < 1:
        values = {"p": f"{pressure_mpa:g}", "t": f"{temperature_c:g}"}
        if pressure_mpa < 22.064:
            saturation = IAPWS97(P=pressure_mpa, x=1).T - _KELVIN
            text = N_(
                "at %(p)s MPa and %(t)s degC water is liquid (saturation at %(saturation)s "
                "degC): steam given by pressure and temperature must be superheated; for wet "
                "steam give its enthalpy, for hot water medium hot_water"
            )
            values["saturation"] = f"{saturation:.2f}"
        else:
            text = N_(
                "at %(p)s MPa and %(t)s degC water is liquid: steam given by pressure and "
                "temperature must be superheated; for wet steam give its enthalpy, for hot "
                "water medium hot_water"
            )
        raise SteamStateError(Message(text, **values))
    return float(state.h)
