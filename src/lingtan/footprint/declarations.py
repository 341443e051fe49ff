"""The declarations a product footprint feeds: the EU Battery Regulation's carbon footprint
declaration and the CBAM communication of an installation to its EU importers.

Both are arithmetic on figures lingtan computes elsewhere (a study's footprint by life-cycle
stage; an installation's attributed emissions, electricity and production): this module puts
them in the unit and the structure each declaration asks for, and refuses figures that cannot
be declared (no production, an energy over the service life of zero, a negative emission).

Battery (Regulation (EU) 2023/1542, Article 7 and Annex II): the carbon footprint in kg CO2e
per kWh of the total energy the battery provides over its expected service life, in total and
per life-cycle stage. The draft delegated act for electric-vehicle batteries (April 2024) sets
that energy as the usable energy capacity times the full equivalent cycles a year of its
vehicle category times the service years::

    E_total = E_usable [kWh] x FEC [1/a] x L [a]
    CF_stage = GHG_stage [kg CO2e per battery] / E_total [kWh]

CBAM (Regulation (EU) 2023/956, Annex IV): the specific embedded emissions of a good, direct and
indirect, in t CO2e per tonne of good, with those of its relevant precursors added::

    SEE_g = (AttrEm_g + EE_InpMat) / AL_g,   EE_InpMat = sum_i M_i x SEE_i
    AttrEm_g,indirect = E_el [MWh] x EF_el [t CO2/MWh]

References
----------
.. [1] Regulation (EU) 2023/1542 (batteries), Article 7 and Annex II: the declaration's fields
   and its four life-cycle stages; the use stage is not declared.
.. [2] Draft Commission Delegated Regulation on the carbon footprint of electric-vehicle
   batteries (April 2024): functional unit and full equivalent cycles a year (M1/N1: 60; L: 20;
   M2/M3/N2/N3: 250). A draft: the figures are shipped with the status ``draft``.
.. [3] Regulation (EU) 2023/956 (CBAM), Annex IV §§2–3 (simple and complex goods) and the
   Commission's communication template for installations (sheet Summary_Communication).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from lingtan.errors import InputError, InputProblem, one_of
from lingtan.footprint.model import STAGES
from lingtan.i18n import Message

__all__ = [
    "BATTERY_STAGES",
    "FULL_EQUIVALENT_CYCLES",
    "BatteryDeclaration",
    "BatteryModel",
    "CarbonPrice",
    "CbamGood",
    "CbamLine",
    "PrecursorUse",
    "battery_declaration",
    "cbam_line",
]

#: The declaration's life-cycle stages (Annex II), from lingtan's stage codes; the use stage
#: is not one of them.
BATTERY_STAGES = {
    "raw_materials": "raw material acquisition and pre-processing",
    "production": "main product production",
    "distribution": "distribution",
    "end_of_life": "end of life and recycling",
}

#: Full equivalent cycles a year by vehicle category, from the draft delegated act [2]_.
FULL_EQUIVALENT_CYCLES = {
    "M1": 60,
    "N1": 60,
    "L": 20,
    "M2": 250,
    "M3": 250,
    "N2": 250,
    "N3": 250,
}
#: The status of :data:`FULL_EQUIVALENT_CYCLES`: a draft act, not yet adopted.
FULL_EQUIVALENT_CYCLES_STATUS = "draft"


@dataclass(frozen=True)
class BatteryModel:
    """A battery model made in one plant: what its declaration names and its service life.

    ``cycles_per_year`` is given for a battery outside the draft act's vehicle categories (an
    industrial battery); otherwise it is read from :data:`FULL_EQUIVALENT_CYCLES` by
    ``vehicle_category``.
    """

    manufacturer: str
    model: str
    plant: str
    usable_energy_kwh: float
    service_years: float
    vehicle_category: str | None = None
    cycles_per_year: float | None = None
    trade_name: str | None = None
    address: str | None = None
    conformity_id: str | None = None
    study_url: str | None = None


@dataclass(frozen=True)
class BatteryDeclaration:
    """A battery's carbon footprint declaration (Annex II).

    ``stages`` is kg CO2e per kWh of total energy by the declaration's stage code (those of
    :data:`BATTERY_STAGES`); ``total`` their sum. ``cycles_basis`` says where the cycles came
    from (``stated`` or ``draft`` — the draft act's category table); ``excluded`` is what the
    footprint had in stages the declaration does not take (the use stage), kg CO2e a battery.
    """

    battery: BatteryModel
    total_energy_kwh: float
    cycles_per_year: float
    cycles_basis: str
    stages_kg_per_battery: dict[str, float]
    stages: dict[str, float]
    total: float
    excluded: dict[str, float] = field(default_factory=dict)


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def battery_declaration(
    battery: BatteryModel, stages_kg: Mapping[str, float], *, where: str = "battery"
) -> BatteryDeclaration:
    """The declaration of ``battery`` from its footprint by stage (kg CO2e a battery).

    Parameters
    ----------
    battery : BatteryModel
    stages_kg : mapping of str to float
        The footprint of one battery by lingtan's stage code
        (:data:`~lingtan.footprint.model.STAGES`) [kg CO2e]. A stage missing counts as zero;
        the use stage is reported as excluded.
    where : str
        What the problems name (a file and section).

    Returns
    -------
    BatteryDeclaration

    Raises
    ------
    InputError
        An unknown stage, a footprint that is not finite, a negative footprint of a stage, an
        energy or service life that is not positive, no cycles (neither a known vehicle category
        nor stated cycles).
    """
    problems: list[InputProblem] = []
    for name in ("usable_energy_kwh", "service_years"):
        value = getattr(battery, name)
        if not _finite(value) or value <= 0:
            problems.append(InputProblem(where, name, value, Message("must be a positive number")))
    cycles, basis = battery.cycles_per_year, "stated"
    if cycles is None:
        category = battery.vehicle_category
        if category is None:
            rule = Message("is required without %(field)s", field="vehicle_category")
            problems.append(InputProblem(where, "cycles_per_year", None, rule))
        elif category not in FULL_EQUIVALENT_CYCLES:
            problems.append(
                InputProblem(where, "vehicle_category", category, one_of(FULL_EQUIVALENT_CYCLES))
            )
        else:
            cycles, basis = FULL_EQUIVALENT_CYCLES[category], FULL_EQUIVALENT_CYCLES_STATUS
    elif not _finite(cycles) or cycles <= 0:
        problems.append(
            InputProblem(where, "cycles_per_year", cycles, Message("must be a positive number"))
        )
    for stage, value in stages_kg.items():
        path = f"stages.{stage}"
        if stage not in STAGES:
            problems.append(InputProblem(where, path, stage, one_of(STAGES)))
        elif not _finite(value):
            problems.append(InputProblem(where, path, value, Message("must be a finite number")))
        elif value < 0 and stage in BATTERY_STAGES:
            rule = Message("must not be negative")
            problems.append(InputProblem(where, path, value, rule))
    if problems:
        raise InputError(problems, origin=where)
    assert cycles is not None
    energy = battery.usable_energy_kwh * cycles * battery.service_years
    per_battery = {stage: float(stages_kg.get(stage, 0.0)) for stage in BATTERY_STAGES}
    per_kwh = {stage: value / energy for stage, value in per_battery.items()}
    excluded = {
        stage: float(value) for stage, value in stages_kg.items() if stage not in BATTERY_STAGES
    }
    return BatteryDeclaration(
        battery=battery,
        total_energy_kwh=energy,
        cycles_per_year=float(cycles),
        cycles_basis=basis,
        stages_kg_per_battery=per_battery,
        stages=per_kwh,
        total=sum(per_battery.values()) / energy,
        excluded=excluded,
    )


@dataclass(frozen=True)
class PrecursorUse:
    """A relevant precursor consumed making a good: its mass over the period and its specific
    embedded emissions (direct and indirect, t CO2e/t), actual or default values."""

    name: str
    mass_t: float
    see_direct: float
    see_indirect: float
    cn_code: str | None = None
    origin: str = "actual"


@dataclass(frozen=True)
class CarbonPrice:
    """A carbon price due in the country of production (for a Chinese installation: the
    national ETS allowances surrendered for the good's emissions)."""

    instrument: str
    price_per_tco2e: float
    currency: str
    covered_tco2e: float
    rebate_per_tco2e: float = 0.0


@dataclass(frozen=True)
class CbamGood:
    """A CBAM good made in an installation over a reporting period (Annex IV symbols).

    ``production_t`` is AL_g; ``attributed_direct_tco2e`` AttrEm_g (direct);
    ``electricity_mwh`` the electricity consumed making it and ``electricity_factor`` its
    emission factor [t CO2/MWh] with ``factor_source`` (the actual factor or the default's
    name); ``default_share_pct`` the share of the embedded emissions from default values.
    """

    cn_code: str
    name: str
    route: str
    production_t: float
    attributed_direct_tco2e: float
    electricity_mwh: float
    electricity_factor: float
    factor_source: str
    precursors: tuple[PrecursorUse, ...] = ()
    default_share_pct: float = 0.0
    carbon_price: CarbonPrice | None = None


@dataclass(frozen=True)
class CbamLine:
    """One product line of the communication: the good's specific embedded emissions
    [t CO2e/t], embedded electricity [MWh/t] and the carbon price due."""

    good: CbamGood
    see_direct: float
    see_indirect: float
    see_total: float
    embedded_electricity_mwh_per_t: float
    carbon_price_due: float | None
    carbon_price_due_per_t: float | None


def cbam_line(good: CbamGood, *, where: str = "good") -> CbamLine:
    """The specific embedded emissions of ``good`` (Regulation (EU) 2023/956 Annex IV).

    Direct: ``(AttrEm_direct + sum M_i SEE_i,direct) / AL``; indirect:
    ``(E_el EF_el + sum M_i SEE_i,indirect) / AL``. The effective carbon price due is
    ``(price - rebate) x covered``, and per tonne of good ``/ AL``.

    Raises
    ------
    InputError
        A production that is not positive; a negative or non-finite emission, electricity,
        factor, mass or price; a share outside 0–100 %; a price covering more emissions than
        the good embeds.
    """
    problems: list[InputProblem] = []

    def check(place: str, name: str, value: object, *, positive: bool = False) -> None:
        if not _finite(value):
            problems.append(InputProblem(place, name, value, Message("must be a finite number")))
        elif positive and value <= 0:  # type: ignore[operator]
            problems.append(InputProblem(place, name, value, Message("must be a positive number")))
        elif value < 0:  # type: ignore[operator]
            problems.append(InputProblem(place, name, value, Message("must not be negative")))

    check(where, "production_t", good.production_t, positive=True)
    for name in ("attributed_direct_tco2e", "electricity_mwh", "electricity_factor"):
        check(where, name, getattr(good, name))
    check(where, "default_share_pct", good.default_share_pct)
    if _finite(good.default_share_pct) and good.default_share_pct > 100:
        rule = Message("must be at most %(limit)g", limit=100)
        problems.append(InputProblem(where, "default_share_pct", good.default_share_pct, rule))
    for number, use in enumerate(good.precursors, 1):
        place = f"{where} precursor {number} ({use.name})"
        for name in ("mass_t", "see_direct", "see_indirect"):
            check(place, name, getattr(use, name))
    price = good.carbon_price
    if price is not None:
        for name in ("price_per_tco2e", "covered_tco2e", "rebate_per_tco2e"):
            check(f"{where} carbon_price", name, getattr(price, name))
    if problems:
        raise InputError(problems, origin=where)
    embedded_direct = sum(use.mass_t * use.see_direct for use in good.precursors)
    embedded_indirect = sum(use.mass_t * use.see_indirect for use in good.precursors)
    direct = (good.attributed_direct_tco2e + embedded_direct) / good.production_t
    indirect = (
        good.electricity_mwh * good.electricity_factor + embedded_indirect
    ) / good.production_t
    due = due_per_t = None
    if price is not None:
        embedded = (direct + indirect) * good.production_t
        if price.covered_tco2e > embedded * (1 + 1e-12):
            rule = Message(
                "must not exceed the embedded emissions (%(limit)s t CO2e)",
                limit=f"{embedded:.6g}",
            )
            place = f"{where} carbon_price"
            raise InputError(InputProblem(place, "covered_tco2e", price.covered_tco2e, rule))
        due = max(price.price_per_tco2e - price.rebate_per_tco2e, 0.0) * price.covered_tco2e
        due_per_t = due / good.production_t
    return CbamLine(
        good=good,
        see_direct=direct,
        see_indirect=indirect,
        see_total=direct + indirect,
        embedded_electricity_mwh_per_t=good.electricity_mwh / good.production_t,
        carbon_price_due=due,
        carbon_price_due_per_t=due_per_t,
    )
