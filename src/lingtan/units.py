"""Units of the energy and carbon field, on a shared pint registry.

The registry adds to pint's defaults:

* ``kgce`` / ``tce`` / ``gce`` -- standard coal equivalent (标准煤, GB/T 2589). Standard coal is
  its own dimension: turning energy into coal equivalent needs a coefficient, and coefficients
  are factor data with provenance (:mod:`lingtan.energy`), never a unit definition.
* ``Nm3`` -- a normal cubic metre of gas (标准立方米). Also its own dimension, so that a plain
  ``m3`` of gas (whose conditions are unknown) is never taken for a normal cubic metre.
* ``kgCO2e`` / ``tCO2e`` (and ``kgCO2`` / ``tCO2`` for CO2-only factors) -- emissions.

Unit text accepts the spellings a factory uses: ``10^4 Nm3`` or ``万Nm3`` (ten thousand normal
cubic metres), ``万kWh``, ``吨``, ``千克``, ``千瓦时``. :func:`parse_unit` turns text into a pint
quantity of one unit; :func:`conversion_factor` gives the multiplier between two units and is
cached, so calculations on many lines pay for pint once per distinct unit.

Reading pint's definitions takes a tenth of a second or more, at every start of every command;
:func:`build_registry` keeps them, parsed, in the user's cache directory (pint's own disk
cache), and reads them afresh where that cache cannot be read or written.
"""

from __future__ import annotations

import os
import re
import shutil
from functools import lru_cache
from pathlib import Path

import pint

from lingtan.errors import Explained
from lingtan.i18n import N_, Message

__all__ = [
    "DEFINITIONS",
    "MAX_QUANTITY",
    "UnitError",
    "build_registry",
    "cache_folder",
    "conversion_factor",
    "dimension_name",
    "parse_unit",
    "ureg",
]

#: The largest number an input may give (a quantity, a factor, a heating value): far above any
#: factory's (10^15 t is a thousand times the world's yearly coal), and far enough below the
#: float range (10^308) that conversions, factors and sums of it stay finite.
MAX_QUANTITY = 1e15


def cache_folder() -> Path | None:
    """Where pint's parsed definitions are kept: ``$XDG_CACHE_HOME`` (default ``~/.cache``)
    ``/lingtan/pint-<version>``, one folder per pint version (a pickle of one version may not
    load in another); ``None`` for a user without a home directory."""
    try:
        cache_home = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    except RuntimeError:  # no $HOME and no entry in the password database
        return None
    return Path(cache_home) / "lingtan" / f"pint-{pint.__version__}"


#: The units lingtan adds to pint's (see above).
DEFINITIONS = (
    "kgce = [standard_coal] = kg_ce",
    "tce = 1000 * kgce = t_ce",
    "gce = 0.001 * kgce = g_ce",
    "Nm3 = [normal_gas_volume] = Nm³ = normal_cubic_meter",
    "kgCO2e = [co2_equivalent] = kg_CO2e",
    "tCO2e = 1000 * kgCO2e = t_CO2e",
    "gCO2e = 0.001 * kgCO2e",
    "MtCO2e = 1e9 * kgCO2e",
    "kgCO2 = kgCO2e",
    "tCO2 = tCO2e",
    "gCO2 = gCO2e",
)


def build_registry(folder: Path | None) -> pint.UnitRegistry:
    """pint's registry with lingtan's :data:`DEFINITIONS`, pint's own definitions cached in
    ``folder`` (``None``: no cache).

    Where the cache cannot be read (cut short, written by another version, being written by
    a second process) or written (a read-only home), pint reads its files afresh; a cache that
    failed is removed, so that the next start writes it anew.
    """
    options = {"autoconvert_offset_to_baseunit": True}
    registry = None
    if folder is not None:
        try:
            registry = pint.UnitRegistry(cache_folder=folder, **options)
        except Exception:  # whatever the cache raised: the registry below needs none of it
            shutil.rmtree(folder, ignore_errors=True)
    if registry is None:
        registry = pint.UnitRegistry(**options)
    for definition in DEFINITIONS:
        registry.define(definition)
    return registry


ureg = build_registry(cache_folder())


class UnitError(Explained, ValueError):
    """A unit text that cannot be read, or a unit of the wrong dimension (an
    :class:`~lingtan.errors.Explained` error)."""


# Spellings seen in factory ledgers and Chinese documents, rewritten to pint expressions.
# Order matters: longer spellings first.
_ALIASES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"10\s*\^\s*4\s*(Nm3|Nm³)", "(10000*Nm3)"),
        (r"10\s*\*\*\s*4\s*(Nm3|Nm³)", "(10000*Nm3)"),
        (r"万\s*(Nm3|Nm³|标准立方米|标立方米|标方)", "(10000*Nm3)"),
        (r"(标准立方米|标立方米|标方)", "Nm3"),
        (r"万\s*(kWh|千瓦时|度)", "(10000*kWh)"),
        (r"万\s*吨", "(10000*t)"),
        (r"千瓦时|度", "kWh"),
        (r"兆瓦时", "MWh"),
        (r"吉焦", "GJ"),
        (r"千克", "kg"),
        (r"吨", "t"),
        (r"(?<![A-Za-z])m(3|³)", "m**3"),
        # "kg CO2e", "t CO2e", "g CO2": the emission units as often written, with a space
        (r"(?<![A-Za-z])(k?g|M?t)\s+(CO2e?)(?![A-Za-z0-9])", r"\1\2"),
    )
)


def _normalise(text: str) -> str:
    expression = text.strip()
    for pattern, replacement in _ALIASES:
        expression = pattern.sub(replacement, expression)
    return expression


@lru_cache(maxsize=4096)
def parse_unit(text: str) -> pint.Quantity:
    """Read a unit text as a pint quantity of one unit.

    Parameters
    ----------
    text : str
        Unit text, e.g. ``"MWh"``, ``"10^4 Nm3"``, ``"万千瓦时"``, ``"GJ/t"``, ``"kgCO2e/km"``.

    Returns
    -------
    pint.Quantity
        One of the unit; a scaled unit such as ``10^4 Nm3`` gives magnitude 10000 in Nm3.

    Raises
    ------
    UnitError
        If the text is empty or pint cannot read it.
    """
    if not isinstance(text, str) or not text.strip():
        raise UnitError(Message("unit %(unit)r is empty", unit=text))
    try:
        quantity = ureg.parse_expression(_normalise(text))
    except (pint.errors.PintError, SyntaxError, TypeError, ValueError, AttributeError) as exc:
        raise UnitError(
            Message(
                "unit %(unit)r is not a unit lingtan knows (%(detail)s)", unit=text, detail=str(exc)
            )
        ) from None
    if not isinstance(quantity, ureg.Quantity):
        raise UnitError(Message("unit %(unit)r is a plain number, not a unit", unit=text))
    return quantity


@lru_cache(maxsize=4096)
def conversion_factor(from_unit: str, to_unit: str) -> float:
    """Multiplier that turns a magnitude in ``from_unit`` into one in ``to_unit``.

    Raises
    ------
    UnitError
        If either text is not a unit or the two have different dimensions
        (e.g. ``MWh`` of diesel where ``t`` is expected).
    """
    source = parse_unit(from_unit)
    target = parse_unit(to_unit)
    if source.dimensionality != target.dimensionality:
        raise UnitError(
            Message(
                "unit %(unit)r is %(dimension)s, but %(required)s is required (e.g. %(example)r)",
                unit=from_unit,
                dimension=dimension_name(from_unit),
                required=dimension_name(to_unit),
                example=to_unit,
            )
        )
    # 15 significant digits: pint's float arithmetic leaves noise such as 1000.0000000000001
    return float(f"{(source / target).to('dimensionless').magnitude:.15g}")


_DIMENSION_NAMES = {
    "[mass]": N_("a mass"),
    "[mass] * [length] ** 2 / [time] ** 2": N_("an energy"),
    "[length] ** 3": N_("a volume (use Nm3 for gas at normal conditions)"),
    "[normal_gas_volume]": N_("a normal gas volume"),
    "[standard_coal]": N_("a standard-coal quantity"),
    "[co2_equivalent]": N_("an emission mass (CO2e)"),
    "[time] ** 2 / [length] ** 2": N_("a mass per energy"),
    "[length] ** 2 / [time] ** 2": N_("an energy per mass"),
    "[mass] * [length] ** 2 / [time] ** 2 / [normal_gas_volume]": N_("an energy per gas volume"),
    "[co2_equivalent] * [time] ** 2 / [mass] / [length] ** 2": N_("an emission per energy"),
    "[co2_equivalent] / [mass]": N_("an emission per mass"),
    "[co2_equivalent] / [normal_gas_volume]": N_("an emission per gas volume"),
    "[standard_coal] * [time] ** 2 / [mass] / [length] ** 2": N_("a standard coal per energy"),
    "[standard_coal] / [mass]": N_("a standard coal per mass"),
    "[mass] * [length] ** 2 / [time] ** 3": N_("a power"),
    "[mass] / [length] / [time] ** 2": N_("a pressure"),
    "[temperature]": N_("a temperature"),
    "[length]": N_("a length"),
    "[time]": N_("a time"),
    "dimensionless": N_("a plain number"),
}


def dimension_name(unit: str) -> str:
    """A readable name of the dimension of ``unit`` for error messages: a Message where the
    dimension has a name, else pint's dimensionality (``[length] / [time]``)."""
    dimensionality = str(parse_unit(unit).dimensionality)
    name = _DIMENSION_NAMES.get(dimensionality)
    return dimensionality if name is None else Message(name)
