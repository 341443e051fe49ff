"""What the background importers share: the GHG flows a dataset's emissions become, the gases
they are recognised by, and the report of what was read.

A background dataset (openLCA JSON-LD, a Brightway export) lists elementary flows by gas
(``Methane, fossil`` in kg). lingtan's product system carries greenhouse gases as kg CO2e on
one flow per kind (:data:`GHG_FLOWS`, the kinds GB/T 24067-2024 §6.4.9.4 reports apart), the
shape of the foreground's emissions, so that a footprint needs no second characterisation:
each gas exchange is multiplied by its GWP100 from one of lingtan's IPCC sets
(:mod:`lingtan.factors`, family ``gwp``, chosen by the caller and named in the system's notes),
and keeps the gas, its amount and the factor in its :class:`~lingtan.footprint.model.Source`.
An elementary flow that is not a gas of the set (sulphur dioxide, water, land) has no GWP:
it is left out and listed in :attr:`ImportReport.uncharacterised`.

The kind of a gas flow is read from its name and compartment, in ecoinvent's and openLCA's
naming: ``Carbon dioxide, fossil`` fossil; ``…, biogenic``, ``…, non-fossil``, ``…, in air``
biogenic; ``…, from soil or biomass stock``, ``…, to soil or biomass stock``, ``…, land
transformation`` direct land-use change; any fossil emission to the compartment ``lower
stratosphere + upper troposphere`` aircraft; a gas without a qualifier fossil. A flow taken
from the environment (an input, or ``… to soil or biomass stock``) is an uptake: negative.

References
----------
.. [1] GB/T 24067-2024 / ISO 14067:2018 §6.4.9.4 (fossil, biogenic, dLUC, aircraft apart).
.. [2] IPCC AR6 WG1 (2021), ch. 7, Table 7.15 and 7.SM.7 (GWP100; fossil and non-fossil CH4).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache

from lingtan.errors import InputError, InputProblem
from lingtan.factors import FactorNotFoundError, FactorSet, shipped_library
from lingtan.footprint.model import (
    FLOW_OF_KIND,
    Exchange,
    ProductSystem,
    Source,
    Uncertainty,
)
from lingtan.i18n import Message
from lingtan.units import UnitError, conversion_factor

__all__ = [
    "DEFAULT_GWP_SET",
    "Characterisation",
    "Conversion",
    "Formula",
    "ImportReport",
    "Imported",
    "Uncharacterised",
    "Unlinked",
    "classify_gas",
    "gas_exchange",
    "gwp_set",
    "scaled",
]

#: The GWP set a dataset's gases are characterised with unless the caller chooses another.
DEFAULT_GWP_SET = "ipcc-ar6"


# The gases of lingtan's GWP sets by CAS registry number (as openLCA and ecoinvent give it).
_GAS_BY_CAS = {
    "124-38-9": "CO2",
    "74-82-8": "CH4",
    "10024-97-2": "N2O",
    "2551-62-4": "SF6",
    "7783-54-2": "NF3",
    "75-46-7": "HFC-23",
    "75-10-5": "HFC-32",
    "354-33-6": "HFC-125",
    "811-97-2": "HFC-134a",
    "420-46-2": "HFC-143a",
    "75-37-6": "HFC-152a",
    "431-89-0": "HFC-227ea",
    "460-73-1": "HFC-245fa",
    "75-73-0": "CF4",
    "76-16-4": "C2F6",
}
# ... and by the first part of the flow's name, where the flow gives no CAS number.
_GAS_BY_NAME = {
    "carbon dioxide": "CO2",
    "methane": "CH4",
    "dinitrogen monoxide": "N2O",
    "nitrous oxide": "N2O",
    "sulfur hexafluoride": "SF6",
    "sulphur hexafluoride": "SF6",
    "nitrogen fluoride": "NF3",
    "nitrogen trifluoride": "NF3",
}
_QUALIFIERS = {
    "fossil": "fossil",
    "biogenic": "biogenic",
    "non-fossil": "biogenic",
    "in air": "biogenic",
    "from soil or biomass stock": "dluc",
    "to soil or biomass stock": "dluc",
    "land transformation": "dluc",
}
_AIRCRAFT = "lower stratosphere + upper troposphere"
_HFC = re.compile(r"\b(HFC-\d+[a-z]*|R-14|R-116)\b", re.I)
_ALIAS = {"R-14": "CF4", "R-116": "C2F6"}


@dataclass(frozen=True)
class GasFlow:
    """An elementary flow recognised as a greenhouse gas: its key in the GWP sets, its kind,
    and whether an amount of it is an uptake (taken from the air)."""

    gas: str
    kind: str
    uptake: bool


@lru_cache(maxsize=65536)  # a background names each flow in many exchanges
def classify_gas(
    name: str, *, cas: str | None = None, compartment: str = "", is_input: bool = False
) -> GasFlow | None:
    """The gas an elementary flow is, with its kind, or None when it is not a gas of lingtan's
    GWP sets (see the module's documentation for the rules)."""
    text = (name or "").strip()
    lowered = text.lower()
    head, _, rest = lowered.partition(",")
    gas = _GAS_BY_CAS.get((cas or "").strip().lstrip("0") or "")
    if gas is None:
        gas = _GAS_BY_NAME.get(head.strip())
        # "Methane, tetrafluoro-, R-14" is CF4, not methane: a name match needs a known
        # qualifier (or none) after the gas
        if gas is not None and rest.strip() and rest.strip() not in _QUALIFIERS:
            gas = None
    if gas is None and (match := _HFC.search(text)):
        token = match.group(1).upper()
        gas = _ALIAS.get(token) or next(
            (key for key in _GAS_BY_CAS.values() if key.upper() == token), None
        )
    if gas is None:
        return None
    kind = _QUALIFIERS.get(rest.strip(), "fossil")
    if kind == "fossil" and _AIRCRAFT in (compartment or "").lower():
        kind = "aircraft"
    uptake = is_input or "to soil or biomass stock" in rest
    return GasFlow(gas, kind, uptake)


def gwp_set(set_id: str) -> FactorSet:
    """A GWP set of lingtan's factor library, or an :class:`InputError` naming the known ones."""
    library = shipped_library()
    try:
        chosen = library.get_set(set_id)
    except FactorNotFoundError as exc:
        raise InputError(InputProblem("gwp", "set", set_id, exc.message)) from None
    if chosen.family != "gwp":
        known = ", ".join(s.set_id for s in library.sets("gwp"))
        rule = Message("is not a GWP set; GWP sets: %(known)s", known=known)
        raise InputError(InputProblem("gwp", "set", set_id, rule))
    return chosen


@dataclass(frozen=True)
class Characterisation:
    """The GWP100 a gas of a kind is counted with [kg CO2e per kg] and the factor's ref."""

    gas: str
    value: float
    ref: str


def characterise(factors: FactorSet, gas: GasFlow) -> Characterisation | None:
    """The GWP100 of ``gas`` in ``factors``: methane by origin where the set has both (AR6:
    fossil 29.8, non-fossil 27.0), else the set's one value; None when the set lacks it."""
    keys = [gas.gas]
    if gas.gas == "CH4":
        origin = "CH4-fossil" if gas.kind in ("fossil", "aircraft") else "CH4-non-fossil"
        keys.insert(0, origin)
    for key in keys:
        if (factor := factors.get(key, "gwp100")) is not None:
            return Characterisation(key, factor.value, factor.ref)
    return None


def gas_exchange(
    factors: FactorSet,
    *,
    name: str,
    cas: str | None,
    compartment: str,
    is_input: bool,
    amount: float,
    unit: str,
    uncertainty: Uncertainty | None,
    source: Source,
) -> Exchange | None:
    """The exchange of an elementary flow on lingtan's GHG flow of its kind [kg CO2e]:
    ``amount`` [``unit``, a mass] times the gas's GWP100, negative for an uptake, with the
    gas, its amount and the factor in its source; None when the flow is not a gas of
    ``factors`` or its unit is not a mass."""
    gas = classify_gas(name, cas=cas, compartment=compartment, is_input=is_input)
    gwp = characterise(factors, gas) if gas is not None else None
    if gas is None or gwp is None:
        return None
    try:
        kilograms = conversion_factor(unit, "kg")
    except UnitError:
        return None
    factor = (-1.0 if gas.uptake else 1.0) * kilograms * gwp.value
    flow = FLOW_OF_KIND[gas.kind]
    note = f"{name} {amount:g} {unit} x GWP100 {gwp.value:g} ({gwp.ref})"
    origin = replace(source, quantity=amount, unit=unit, note=note)
    return Exchange(
        flow.code,
        amount * factor,
        flow.unit,
        biosphere=True,
        uncertainty=scaled(uncertainty, factor),
        sources=(origin,),
    )


def scaled(uncertainty: Uncertainty | None, factor: float) -> Uncertainty | None:
    """The spread of an amount multiplied by ``factor`` (a unit conversion, a GWP, a sign):
    a lognormal's sigma is unchanged, a normal's scales by ``|factor|``, the bounds of a
    uniform or triangular scale and swap when ``factor`` is negative."""
    if uncertainty is None or factor == 1:
        return uncertainty
    if uncertainty.distribution == "lognormal":
        return uncertainty
    if uncertainty.distribution == "normal":
        sigma = None if uncertainty.sigma is None else uncertainty.sigma * abs(factor)
        return Uncertainty("normal", sigma=sigma)
    low = None if uncertainty.minimum is None else uncertainty.minimum * factor
    high = None if uncertainty.maximum is None else uncertainty.maximum * factor
    if factor < 0:
        low, high = high, low
    return Uncertainty(uncertainty.distribution, minimum=low, maximum=high)


@dataclass(frozen=True)
class Unlinked:
    """An input whose product has no provider in the dataset: cut off, with the reason."""

    process: str
    flow: str
    flow_name: str
    amount: float
    unit: str
    reason: Message


@dataclass(frozen=True)
class Conversion:
    """An exchange converted to its flow's reference unit (``amount`` in ``unit`` times
    ``factor`` gives the amount in ``to_unit``)."""

    process: str
    flow_name: str
    amount: float
    unit: str
    to_unit: str
    factor: float


@dataclass(frozen=True)
class Formula:
    """An exchange given by a formula: the amount the dataset stores beside it was taken."""

    process: str
    flow_name: str
    formula: str
    amount: float


@dataclass(frozen=True)
class Uncharacterised:
    """An elementary flow with no GWP in the chosen set: left out of the product system."""

    flow: str
    name: str
    compartment: str
    exchanges: int


@dataclass(frozen=True)
class ImportReport:
    """What an import read, converted, cut off and left out."""

    origin: str
    gwp_set: str
    unlinked: tuple[Unlinked, ...] = ()
    conversions: tuple[Conversion, ...] = ()
    formulas: tuple[Formula, ...] = ()
    uncharacterised: tuple[Uncharacterised, ...] = ()
    entities: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Imported:
    """A background product system and the report of its import."""

    system: ProductSystem
    report: ImportReport
