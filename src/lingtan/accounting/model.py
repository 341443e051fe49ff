"""Plain data of an inventory calculation: what goes in and what comes out.

The input classes mirror the ``lingtan calc`` file format field for field (see
``docs/calc.md``); the result classes are what the engine returns. All are frozen
dataclasses: a computed inventory is a snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Any

from lingtan.factors import Factor, Selection
from lingtan.i18n import Message

__all__ = [
    "GBT32150_CATEGORIES",
    "KINDS",
    "FactorUse",
    "Flow",
    "Instrument",
    "InstrumentUse",
    "InventoryInput",
    "InventoryResult",
    "Line",
    "Production",
    "Source",
    "Totals",
]

#: Source kinds: (English name, official Chinese term).
KINDS: dict[str, tuple[str, str]] = {
    "fuel_combustion": ("Stationary fuel combustion", "化石燃料燃烧排放"),
    "mobile_combustion": ("Mobile combustion (in-plant vehicles)", "移动源燃料燃烧排放"),
    "process_carbonate": ("Process: carbonate decomposition", "过程排放（碳酸盐分解）"),
    "process_mass_balance": ("Process: carbon mass balance", "过程排放（碳质量平衡）"),
    "fugitive": ("Fugitive: refrigerant and SF6 leakage", "逸散排放（制冷剂、SF6泄漏）"),
    "purchased_electricity": ("Purchased electricity", "购入电力产生的排放"),
    "purchased_heat": ("Purchased heat", "购入热力产生的排放"),
    "exported_electricity": ("Exported electricity (deduction)", "输出电力产生的排放（扣减）"),
    "exported_heat": ("Exported heat (deduction)", "输出热力产生的排放（扣减）"),
    "recovered_co2": ("Recovered CO2 (deduction)", "二氧化碳回收利用量（扣减）"),
    "biomass_combustion": ("Biomass combustion", "生物质燃料燃烧排放"),
    "other": ("Other (user factor)", "其他排放（用户因子）"),
}

#: GB/T 32150 emission categories: (English name, official Chinese term).
GBT32150_CATEGORIES: dict[str, tuple[str, str]] = {
    "fuel_combustion": ("Fuel combustion emissions", "燃料燃烧排放"),
    "process": ("Process emissions", "过程排放"),
    "purchased_energy": (
        "Emissions of purchased electricity and heat",
        "购入的电力、热力产生的排放",
    ),
    "exported_energy": ("Emissions of exported electricity and heat", "输出的电力、热力产生的排放"),
    "recovered_co2": ("CO2 recovered and utilised", "二氧化碳回收利用量"),
}


@dataclass(frozen=True, slots=True)
class Flow:
    """A material flow of a carbon mass balance, with its carbon mass fraction."""

    name: str
    quantity: float
    unit: str
    carbon_fraction: float


@dataclass(frozen=True, slots=True)
class Source:
    """One emission source with its activity over the inventory period.

    Only the fields of the source's ``kind`` apply (``docs/calc.md`` lists them per kind).
    Measured parameters (``ncv``, ``carbon_content``, ``oxidation``, ``carbon_fraction``)
    take the place of the factor library's defaults.
    """

    id: str
    kind: str
    quantity: float | None = None
    unit: str | None = None
    name: str = ""
    fuel: str | None = None
    gas: str | None = None
    carbonate: str | None = None
    region: str | None = None
    factor_set: str | None = None
    ncv: float | None = None
    ncv_unit: str | None = None
    carbon_content: float | None = None
    carbon_content_unit: str | None = None
    oxidation: float | None = None
    carbon_fraction: float | None = None
    purity: float | None = None
    calcination_fraction: float | None = None
    inputs: tuple[Flow, ...] = ()
    outputs: tuple[Flow, ...] = ()
    method: str | None = None
    stock_start: float | None = None
    stock_end: float | None = None
    purchased: float | None = None
    recovered: float | None = None
    medium: str | None = None
    enthalpy: float | None = None
    temperature: float | None = None
    pressure: float | None = None
    pressure_unit: str | None = None
    factor: float | None = None
    factor_unit: str | None = None
    ch4_factor: float | None = None
    ch4_factor_unit: str | None = None
    n2o_factor: float | None = None
    n2o_factor_unit: str | None = None
    scope: int | None = None
    category: int | None = None
    iso_category: int | None = None
    uncertainty_pct: float | None = None
    factor_uncertainty_pct: float | None = None


@dataclass(frozen=True, slots=True)
class Instrument:
    """A contractual instrument for Scope 2 market-based accounting.

    ``kind`` is ``gec`` (green electricity certificate, 绿证), ``green_power`` (green power
    trading contract, 绿电交易) or ``onsite_renewable`` (on-site renewable self-consumption
    metered within purchased electricity). ``sources`` optionally restricts it to some
    purchased-electricity sources; otherwise it covers all of them pro rata.
    """

    id: str
    kind: str
    quantity: float
    unit: str
    sources: tuple[str, ...] = ()
    serial: str = ""
    vintage: str = ""


@dataclass(frozen=True, slots=True)
class Production:
    """Output over the period: a product quantity, or output value (``10^4 CNY``)."""

    name: str
    quantity: float
    unit: str


@dataclass(frozen=True)
class InventoryInput:
    """Everything a stateless inventory calculation needs."""

    facility_name: str
    period_start: date
    period_end: date
    sources: tuple[Source, ...]
    region: str | None = None
    gwp: str = "AR5"
    electricity_factor_year: int | None = None
    instruments: tuple[Instrument, ...] = ()
    production: tuple[Production, ...] = ()
    factor_sets: MappingProxyType[str, str] = field(default_factory=lambda: MappingProxyType({}))
    residual_factor: float | None = None
    residual_factor_unit: str = "tCO2/MWh"
    electricity_tce_basis: str = "equivalent"
    supply_coal_gce_per_kwh: float | None = None
    #: GB/T 32150-2015 §4: emissions of biomass-fuel combustion are accounted separately and
    #: "不计入温室气体排放总量" (not counted in the total), CH4 and N2O as well as CO2. False,
    #: the standard's reading, keeps biomass CH4/N2O out of the GB/T 32150 total (they stay in
    #: Scope 1, as the GHG Protocol counts them); True counts them in the total too.
    biomass_non_co2_in_total: bool = False

    @property
    def biomass_category(self) -> str | None:
        """The GB/T 32150 category of a biomass line (its CH4 and N2O): None keeps it out of
        the total, as the standard reads (see ``biomass_non_co2_in_total``)."""
        return "fuel_combustion" if self.biomass_non_co2_in_total else None

    @property
    def year(self) -> int:
        """The inventory year Y of the factor selection rule: the year the period ends."""
        return self.period_end.year


@dataclass(frozen=True, slots=True)
class FactorUse:
    """A parameter used on a line: a library factor (with its selection rule) or an input."""

    role: str
    value: float
    unit: str
    factor: Factor | None
    rule: str

    @classmethod
    def chosen(cls, role: str, selection: Selection, unit: str | None = None) -> FactorUse:
        """The library factor of ``selection``, converted to ``unit`` (its own if None)."""
        factor = selection.factor
        value = factor.value if unit is None else factor.value_in(unit)
        return cls(role, value, unit or factor.unit, factor, selection.rule)

    def as_dict(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "value": self.value,
            "unit": self.unit,
            "ref": self.factor.ref if self.factor else None,
            "status": self.factor.status if self.factor else "input",
            "rule": self.rule,
            # the rule's msgid and values, so a screen or report can show it translated
            "rule_message": self.rule.as_dict() if isinstance(self.rule, Message) else None,
        }


@dataclass(slots=True)
class Line:
    """The result for one source. Deductions carry negative emissions and energy.

    The engine fills in the market-based figures and the uncertainty while it computes;
    a line in a returned :class:`InventoryResult` is not changed again.
    """

    source: Source
    activity: float
    activity_unit: str
    gases_t: dict[str, float]
    emissions_tco2e: float
    co2_t: float
    biogenic_co2_t: float
    energy_tce: float
    gbt32150_category: str | None
    scope: int | None
    scope3_category: int | None
    iso14064_category: int | None
    method: str
    factors: tuple[FactorUse, ...]
    uncertainty_pct: float | None = None
    market_emissions_tco2e: float | None = None
    covered_mwh: float = 0.0


@dataclass(frozen=True, slots=True)
class InstrumentUse:
    """How much of an instrument was applied, and to which sources."""

    instrument: Instrument
    mwh: float
    allocation_mwh: dict[str, float]
    factors: tuple[FactorUse, ...]


@dataclass(frozen=True)
class Totals:
    total_tco2e: float
    total_co2_t: float
    scope1_tco2e: float
    scope2_location_tco2e: float
    scope2_market_tco2e: float
    scope3_tco2e: float
    biogenic_co2_t: float
    energy_tce: float
    deductions_tco2e: float
    by_category_tco2e: dict[str, float]
    by_gbt32150_category_tco2e: dict[str, float]
    by_iso14064_category_tco2e: dict[str, float]
    by_scope3_category_tco2e: dict[str, float]
    by_gas_t: dict[str, float]
    purchased_electricity_mwh: float
    renewable_electricity_mwh: float
    renewable_electricity_share_pct: float | None
    co2_per_energy_tco2_per_tce: float | None
    uncertainty_pct: dict[str, float | None]
    uncertainty_coverage_pct: dict[str, float | None]
    intensities: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class InventoryResult:
    """A computed inventory: lines, totals and how every value was chosen."""

    input: InventoryInput
    lines: tuple[Line, ...]
    totals: Totals
    instruments: tuple[InstrumentUse, ...]
    residual_factor: FactorUse | None
    engine_version: str
    warnings: tuple[str, ...]  # Message where the engine wrote them (English as a str)

    def factors_used(self) -> dict[str, Factor]:
        """Every library factor the result depends on, by reference."""
        used: dict[str, Factor] = {}
        uses = [u for line in self.lines for u in line.factors]
        uses += [u for inst in self.instruments for u in inst.factors]
        if self.residual_factor is not None:
            uses.append(self.residual_factor)
        for use in uses:
            if use.factor is not None:
                used.setdefault(use.factor.ref, use.factor)
        return used
