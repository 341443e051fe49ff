"""Plain data of an inventory calculation: what goes in and what comes out.

The input classes mirror the ``lingtan calc`` file format field for field (see
``docs/calc.md``); the result classes are what the engine returns. All are frozen
dataclasses: a computed inventory is a snapshot.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Any, overload

import numpy as np

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
    "LineGroup",
    "Lines",
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
            # likewise a role composed of names ("GWP HFC-125")
            "role_message": self.role.as_dict() if isinstance(self.role, Message) else None,
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


@dataclass(slots=True)
class LineGroup:
    """The lines of sources that take the same path through the engine, as columns.

    Sources of one kind with the same units, fuel, region, options and given fields share
    their factor choices, method and lineage; only the numbers differ. ``rows`` are the
    sources' indices in the input (ascending); every array has one value per row. In
    ``factors``, a use whose ``value`` is an array is a parameter given with each source
    (its value per row); the others are shared by every row.
    """

    rows: np.ndarray
    activity: np.ndarray
    activity_unit: str
    gases_t: dict[str, np.ndarray]
    emissions_tco2e: np.ndarray
    co2_t: np.ndarray
    biogenic_co2_t: np.ndarray
    energy_tce: np.ndarray
    gbt32150_category: str | None
    scope: int | None
    scope3_category: int | None
    iso14064_category: int | None
    method: str
    factors: tuple[FactorUse, ...]
    uncertainty_pct: np.ndarray | None = None
    market_emissions_tco2e: np.ndarray | None = None
    covered_mwh: np.ndarray | None = None

    def line(self, source: Source, k: int) -> Line:
        """Row ``k`` as a :class:`Line` of ``source``."""
        return Line(
            source=source,
            activity=float(self.activity[k]),
            activity_unit=self.activity_unit,
            gases_t={gas: float(mass[k]) for gas, mass in self.gases_t.items()},
            emissions_tco2e=float(self.emissions_tco2e[k]),
            co2_t=float(self.co2_t[k]),
            biogenic_co2_t=float(self.biogenic_co2_t[k]),
            energy_tce=float(self.energy_tce[k]),
            gbt32150_category=self.gbt32150_category,
            scope=self.scope,
            scope3_category=self.scope3_category,
            iso14064_category=self.iso14064_category,
            method=self.method,
            factors=tuple(
                FactorUse(use.role, float(use.value[k]), use.unit, use.factor, use.rule)
                if isinstance(use.value, np.ndarray)
                else use
                for use in self.factors
            ),
            uncertainty_pct=(
                None if self.uncertainty_pct is None else float(self.uncertainty_pct[k])
            ),
            market_emissions_tco2e=(
                None
                if self.market_emissions_tco2e is None
                else float(self.market_emissions_tco2e[k])
            ),
            covered_mwh=0.0 if self.covered_mwh is None else float(self.covered_mwh[k]),
        )


class Lines(Sequence[Line]):
    """The lines of an inventory in input order, kept as :class:`LineGroup` columns.

    A :class:`Line` is made when it is asked for (by index or by iterating); the groups
    hold the lineage once per group, and ``group_of`` / ``position`` say where each line is.
    """

    __slots__ = ("_sources", "group_of", "groups", "position")

    def __init__(self, sources: Sequence[Source], groups: Sequence[LineGroup]):
        self._sources = sources
        self.groups = tuple(groups)
        self.group_of = np.empty(len(sources), dtype=np.intp)
        self.position = np.empty(len(sources), dtype=np.intp)
        for number, group in enumerate(self.groups):
            self.group_of[group.rows] = number
            self.position[group.rows] = np.arange(len(group.rows))
        if sum(len(g.rows) for g in self.groups) != len(sources):
            raise ValueError("the groups must cover every source exactly once")

    def __len__(self) -> int:
        return len(self._sources)

    @overload
    def __getitem__(self, index: int) -> Line: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[Line, ...]: ...
    def __getitem__(self, index: int | slice) -> Line | tuple[Line, ...]:
        if isinstance(index, slice):
            return tuple(self[i] for i in range(*index.indices(len(self))))
        row = range(len(self))[index]  # negative indices and IndexError as for a tuple
        group = self.groups[self.group_of[row]]
        return group.line(self._sources[row], int(self.position[row]))

    def __iter__(self) -> Iterator[Line]:
        for row in range(len(self)):
            yield self[row]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Lines({len(self)} lines in {len(self.groups)} groups)"


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
    lines: Lines
    totals: Totals
    instruments: tuple[InstrumentUse, ...]
    residual_factor: FactorUse | None
    engine_version: str
    warnings: tuple[str, ...]  # Message where the engine wrote them (English as a str)

    def factors_used(self) -> dict[str, Factor]:
        """Every library factor the result depends on, by reference."""
        used: dict[str, Factor] = {}
        uses = [u for group in self.lines.groups for u in group.factors]
        uses += [u for inst in self.instruments for u in inst.factors]
        if self.residual_factor is not None:
            uses.append(self.residual_factor)
        for use in uses:
            if use.factor is not None:
                used.setdefault(use.factor.ref, use.factor)
        return used
