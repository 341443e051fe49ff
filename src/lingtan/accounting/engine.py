"""The inventory engine: sources in, a traceable inventory out. No database, no I/O.

:func:`compute_inventory` takes an :class:`~lingtan.accounting.model.InventoryInput` and a
:class:`~lingtan.factors.FactorLibrary`, chooses every factor by the library's selection rule
(recording the rule), applies the formulas of :mod:`lingtan.accounting.formulas`, and returns
lines and totals under GB/T 32150, the GHG Protocol (Scope 1, Scope 2 location- and
market-based, Scope 3) and ISO 14064-1 categories.

The engine works on columns: sources of one kind that share every field except their numbers
(same units, fuel, region, options, the same measured parameters given) take the same path,
so each such group is computed once with numpy arrays of its numbers
(:class:`~lingtan.accounting.model.LineGroup`). Factor choices, methods and lineage are made
once per group; a line is made from the columns only when it is asked for. The arithmetic is
the same, operation for operation, as for one source at a time, so the results are the same
to the last bit.

Every problem with the input is collected and raised together as one
:class:`~lingtan.errors.InputError`; nothing partial is returned.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from operator import attrgetter
from typing import Any

import numpy as np

from lingtan import __version__
from lingtan.accounting import formulas
from lingtan.accounting.energy import CoalBasisError, StandardCoal
from lingtan.accounting.model import (
    KINDS,
    FactorUse,
    InstrumentUse,
    InventoryInput,
    InventoryResult,
    LineGroup,
    Lines,
    Source,
    Totals,
)
from lingtan.accounting.notes import result_notes
from lingtan.accounting.serials import CERTIFICATE_UNITS, serial_problems
from lingtan.accounting.steam import SteamStateError, steam_enthalpy
from lingtan.catalog import UnknownRegionError, fold_name, fuels, resolve_fuel, resolve_region
from lingtan.errors import InputError, InputProblem
from lingtan.factors import Factor, FactorLibrary, FactorNotFoundError, data_year_warning
from lingtan.i18n import N_, Message
from lingtan.units import UnitError, conversion_factor, dimension_name

__all__ = ["ENGINE_VERSION", "GWP_SETS", "compute_inventory", "substance_names"]

ENGINE_VERSION = f"lingtan-accounting {__version__}"

#: The ``gwp`` option and the factor set it names.
GWP_SETS = {"SAR": "ipcc-sar", "AR4": "ipcc-ar4", "AR5": "ipcc-ar5", "AR6": "ipcc-ar6"}

#: Scope 3 category -> ISO 14064-1:2018 category (3 transport, 4 products used by the
#: organization, 5 use of the organization's products, 6 other). A source may override it.
SCOPE3_TO_ISO = {
    1: 4, 2: 4, 3: 4, 4: 3, 5: 4, 6: 3, 7: 3, 8: 4,
    9: 3, 10: 5, 11: 5, 12: 5, 13: 5, 14: 6, 15: 6,
}  # fmt: skip

_CARBONATE_NAMES = {
    "limestone": "CaCO3",
    "calcite": "CaCO3",
    "magnesite": "MgCO3",
    "dolomite": "CaMg(CO3)2",
    "soda_ash": "Na2CO3",
    "siderite": "FeCO3",
}


_GAS_ALIASES = {"R-14": "CF4", "PFC-14": "CF4", "R-116": "C2F6", "PFC-116": "C2F6"}


class _SourceError(Exception):
    """A problem with one field of the sources being computed.

    ``where`` (a boolean array over the group's rows) names the rows that have it, when it
    depends on their numbers; then ``value`` and ``rule`` may hold one entry per row.
    """

    def __init__(self, field: str, value: Any, rule: Any, where: np.ndarray | None = None) -> None:
        super().__init__(rule)
        self.field, self.value, self.rule, self.where = field, value, rule, where


#: Source fields that hold the numbers of a source: columns within a group.
_NUMBERS = (
    "quantity", "ncv", "carbon_content", "oxidation", "carbon_fraction", "purity",
    "calcination_fraction", "stock_start", "stock_end", "purchased", "recovered", "enthalpy",
    "temperature", "pressure", "factor", "ch4_factor", "n2o_factor", "uncertainty_pct",
    "factor_uncertainty_pct",
)  # fmt: skip
_COMMON = ("quantity", "unit", "uncertainty_pct", "factor_uncertainty_pct")
_FUEL = (
    "fuel", "factor_set", "ncv", "ncv_unit", "carbon_content", "carbon_content_unit",
    "oxidation", "carbon_fraction", "factor", "factor_unit", "ch4_factor", "ch4_factor_unit",
    "n2o_factor", "n2o_factor_unit",
)  # fmt: skip
_HEAT = (
    "medium", "enthalpy", "temperature", "pressure", "pressure_unit", "factor", "factor_unit",
    "factor_set",
)  # fmt: skip
#: The fields each kind's method reads: sources of a kind that agree on all of them except
#: the numbers take the same path through it.
_READS: dict[str, tuple[str, ...]] = {
    "fuel_combustion": _FUEL,
    "mobile_combustion": _FUEL,
    "biomass_combustion": _FUEL,
    "process_carbonate": (
        "carbonate",
        "purity",
        "calcination_fraction",
        "factor",
        "factor_unit",
        "factor_set",
    ),
    "process_mass_balance": ("inputs", "outputs"),
    "fugitive": ("gas", "method", "stock_start", "stock_end", "purchased", "recovered"),
    "purchased_electricity": ("region",),
    "exported_electricity": ("region",),
    "purchased_heat": _HEAT,
    "exported_heat": _HEAT,
    "recovered_co2": ("purity",),
    "other": ("factor", "factor_unit", "gas", "scope", "category", "iso_category"),
}


class _Rows:
    """Sources of one kind that share every field their method reads except the numbers.

    Text fields hold the group's value; number fields hold an array of one value per row,
    or None when no row gives the field. Fields the kind does not read are absent.
    """

    def __init__(self, kind: str, rows: np.ndarray, shared: dict[str, Any]):
        self.kind = kind
        self.rows = rows
        self.__dict__.update(shared)

    def __len__(self) -> int:
        return len(self.rows)

    def take(self, where: np.ndarray) -> _Rows:
        """The rows where ``where`` is true, as a group of their own."""
        shared = {
            name: value[where] if isinstance(value, np.ndarray) else value
            for name, value in vars(self).items()
            if name not in ("kind", "rows")
        }
        return _Rows(self.kind, self.rows[where], shared)


def _groups(sources: Sequence[Source]) -> list[tuple[str, list[int]]]:
    """The sources' indices by kind and by the texts their kind's method reads."""
    by_kind: dict[str, list[int]] = {}
    for index, kind in enumerate(map(attrgetter("kind"), sources)):
        found = by_kind.get(kind)
        if found is None:
            by_kind[kind] = [index]
        else:
            found.append(index)
    groups = []
    for kind, indices in by_kind.items():
        texts = [f for f in ("unit", *_READS.get(kind, ())) if f not in _NUMBERS]
        if not texts or len(indices) == 1:
            groups.append((kind, indices))
            continue
        key = attrgetter(*texts)
        by_key: dict[Any, list[int]] = {}
        for index, value in zip(indices, map(key, map(sources.__getitem__, indices)), strict=True):
            found = by_key.get(value)
            if found is None:
                by_key[value] = [index]
            else:
                found.append(index)
        groups += [(kind, rows) for rows in by_key.values()]
    return groups


def _rows_of(kind: str, indices: list[int], sources: Sequence[Source]) -> list[_Rows]:
    """The group of ``indices`` as :class:`_Rows`, split where rows give different numbers."""
    members = [sources[i] for i in indices]
    first = members[0]
    fields = ("unit", *_READS[kind], "quantity", "uncertainty_pct", "factor_uncertainty_pct")
    shared: dict[str, Any] = {}
    mixed: dict[str, list[Any]] = {}
    for name in dict.fromkeys(fields):
        if name not in _NUMBERS:
            shared[name] = getattr(first, name)
            continue
        column = list(map(attrgetter(name), members))
        missing = column.count(None)
        if missing == len(column):
            shared[name] = None
        elif missing:
            mixed[name] = column
        else:
            shared[name] = np.array(column, dtype=float)
    rows = np.array(indices, dtype=np.intp)
    if not mixed:
        return [_Rows(kind, rows, shared)]
    # some rows give a number that others leave out: each pattern is a group of its own
    patterns: dict[tuple[bool, ...], list[int]] = {}
    presence = ([v is not None for v in column] for column in mixed.values())
    for k, given in enumerate(zip(*presence, strict=True)):
        patterns.setdefault(given, []).append(k)
    split = []
    for given, ks in patterns.items():
        part = dict(shared)
        for (name, column), present in zip(mixed.items(), given, strict=True):
            part[name] = np.array([column[k] for k in ks], dtype=float) if present else None
        for name, value in shared.items():
            if isinstance(value, np.ndarray):
                part[name] = value[ks]
        split.append(_Rows(kind, rows[ks], part))
    return split


def _convert(source: Any, value: Any, unit: str | None, to_unit: str, field: str) -> Any:
    try:
        return value * conversion_factor(unit or "", to_unit)
    except UnitError:
        if not unit:
            raise _SourceError(
                field, unit, Message("a unit is required (e.g. %(unit)r)", unit=to_unit)
            ) from None
        raise _SourceError(
            field,
            unit,
            Message(
                "is %(dimension)s, but a %(kind)s quantity must convert to %(unit)r (%(required)s)",
                dimension=dimension_name(unit),
                kind=source.kind,
                unit=to_unit,
                required=dimension_name(to_unit),
            ),
        ) from None


class _Context:
    """Factor choices for one calculation, cached so that many lines cost one look-up each."""

    def __init__(self, inventory: InventoryInput, library: FactorLibrary):
        self.inventory = inventory
        self.library = library
        self.year = inventory.year
        chosen = inventory.factor_sets
        self.gwp_set = chosen.get("gwp") or GWP_SETS[inventory.gwp.upper()]
        self.gwp_rule = (
            Message("explicit choice of set %(set)s", set=chosen["gwp"])
            if chosen.get("gwp")
            else Message("gwp option %(gwp)s", gwp=inventory.gwp.upper())
        )
        self.coal = StandardCoal.from_library(
            library,
            electricity_basis=inventory.electricity_tce_basis,
            supply_coal_gce_per_kwh=inventory.supply_coal_gce_per_kwh,
            set_id=chosen.get("standard_coal"),
        )
        self._uses: dict[tuple, FactorUse] = {}
        self._blends: dict[tuple, list[FactorUse]] = {}
        self.gas_names, self.blends, self.carbonates = substance_names(library, self.gwp_set)

    def blend(self, blend: str) -> list[FactorUse]:
        """The component mass fractions of a refrigerant blend, from one chosen set."""
        cache_key = ("blend", blend)
        if cache_key not in self._blends:
            factor_set, rule = self.library.select_set(
                "refrigerant_blend",
                blend,
                set_id=self.inventory.factor_sets.get("refrigerant_blend"),
            )
            self._blends[cache_key] = [
                FactorUse(
                    Message(
                        "%(blend)s mass fraction %(component)s",
                        blend=blend,
                        component=row.parameter,
                    ),
                    row.value,
                    "1",
                    row,
                    rule,
                )
                for row in factor_set.rows(blend)
            ]
        return self._blends[cache_key]

    def use(
        self,
        role: str,
        family: str,
        key: str,
        parameter: str,
        unit: str | None,
        *,
        region: str = "",
        set_id: str | None = None,
        rule: str | None = None,
    ) -> FactorUse:
        """A library factor as a :class:`FactorUse`, in ``unit`` (or its own unit if None).

        ``rule`` replaces the selection rule's wording where the choice was an option.
        """
        chosen_set = set_id or self.inventory.factor_sets.get(family)
        cache_key = (role, family, key, parameter, unit, region, chosen_set)
        found = self._uses.get(cache_key)
        if found is None:
            selection = self.library.select(
                family, key, parameter, region=region, year=self.year, set_id=chosen_set
            )
            if rule is not None:
                selection = replace(selection, rule=rule)
            found = FactorUse.chosen(role, selection, unit)
            self._uses[cache_key] = found
        return found

    def used_factors(self) -> list[FactorUse]:
        """Every library factor this calculation has looked up."""
        blends = [use for uses in self._blends.values() for use in uses]
        return [*self._uses.values(), *blends, *self.coal.uses()]

    def gwp(self, gas: str) -> FactorUse:
        role = Message("GWP %(gas)s", gas=gas)
        return self.use(role, "gwp", gas, "gwp100", "1", set_id=self.gwp_set, rule=self.gwp_rule)

    def methane_gwp(self, *, fossil: bool) -> FactorUse:
        """AR6 distinguishes fossil and non-fossil CH4; other reports have one value."""
        variant = "CH4-fossil" if fossil else "CH4-non-fossil"
        if self.library.get_set(self.gwp_set).get(variant, "gwp100") is not None:
            return self.gwp(variant)
        return self.gwp("CH4")

    def grid(self, key: str, region: str, role: str) -> FactorUse:
        """An electricity factor: from the set named in ``factor_sets``, else of the explicit
        ``electricity_factor_year``, else by the newest-data-year rule."""
        cache_key = ("grid", key, region)
        found = self._uses.get(cache_key)
        if found is None:
            set_id = self.inventory.factor_sets.get("electricity")
            year = self.inventory.electricity_factor_year
            if year is not None and set_id is None:
                selection = self.library.select_for_year(
                    "electricity", key, "co2", region=region, year=year
                )
            else:
                selection = self.library.select(
                    "electricity", key, "co2", region=region, year=self.year, set_id=set_id
                )
            factor = selection.factor
            found = FactorUse(role, factor.value_in("tCO2/MWh"), "tCO2/MWh", factor, selection.rule)
            self._uses[cache_key] = found
        return found

    def electricity(self, region_code: str) -> FactorUse:
        return self.grid("grid_average", region_code, "grid emission factor (location-based)")

    def residual(self) -> FactorUse:
        inventory = self.inventory
        if inventory.residual_factor is not None:
            value = inventory.residual_factor * conversion_factor(
                inventory.residual_factor_unit, "tCO2/MWh"
            )
            return FactorUse(
                "residual factor (market-based)",
                value,
                "tCO2/MWh",
                None,
                Message("user-supplied (input)"),
            )
        return self.grid(
            "grid_average_excl_market_nonfossil", "CN", "residual factor (market-based)"
        )


def _fits(quantity_unit: str | None, rate_unit: str, target: str) -> bool:
    """Whether a quantity in ``quantity_unit`` times ``rate_unit`` gives ``target``."""
    try:
        conversion_factor(f"({quantity_unit})*({rate_unit})", target)
    except UnitError:
        return False
    return True


def _supplied(
    role: str, value: float, units: tuple[str, str], field: str = "factor_unit"
) -> FactorUse:
    """A parameter given with the activity, converted from its unit to the canonical one."""
    given, canonical = units
    try:
        converted = value * conversion_factor(given, canonical)
    except UnitError as exc:
        raise _SourceError(field, given, exc.message) from None
    return _measured(role, converted, canonical)


def _measured(role: str, value: float, unit: str) -> FactorUse:
    rule = Message("measured or supplied with the activity (input)")
    return FactorUse(role, value, unit, None, rule)


def substance_names(
    library: FactorLibrary, gwp_set: str | None = None
) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """Folded name -> key of the gases (of ``gwp_set``, else of every GWP set, with their
    ``R-`` and other aliases), of the refrigerant blends and of the carbonates the library
    knows: what a fugitive or carbonate source may name."""
    sets = [library.get_set(gwp_set)] if gwp_set else library.sets("gwp")
    gwp_keys = [key for s in sets for key in s.key_names()]
    gases = {fold_name(key): key for key in gwp_keys}
    for key in gwp_keys:
        if key.startswith("HFC-"):
            gases.setdefault(fold_name("R-" + key[4:]), key)
    for alias, key in _GAS_ALIASES.items():
        gases.setdefault(fold_name(alias), key)
    blends = {fold_name(k): k for s in library.sets("refrigerant_blend") for k in s.key_names()}
    carbonates = {fold_name(k): k for s in library.sets("carbonate") for k in s.key_names()}
    carbonates.update({fold_name(a): k for a, k in _CARBONATE_NAMES.items()})
    return gases, blends, carbonates


def _gas_key(ctx: _Context, text: str | None) -> tuple[str, bool]:
    """(canonical key, is_blend) of a gas or refrigerant name."""
    if not text:
        raise _SourceError("gas", text, Message("is required"))
    folded = fold_name(text)
    if folded in ctx.blends:
        return ctx.blends[folded], True
    if folded in ctx.gas_names:
        return ctx.gas_names[folded], False
    known = sorted({*ctx.gas_names.values(), *ctx.blends.values()})
    raise _SourceError(
        "gas", text, Message("is not a gas lingtan knows; known: %(known)s", known=", ".join(known))
    )


def _co2e(ctx: _Context, gases: dict[str, float], uses: list[FactorUse], fossil: bool) -> float:
    total = 0.0
    for gas, mass in gases.items():
        if gas == "CO2":
            total += mass
            continue
        use = ctx.methane_gwp(fossil=fossil) if gas == "CH4" else ctx.gwp(gas)
        uses.append(use)
        total += mass * use.value
    return total


def _user_factor_mass(
    source: _Rows,
    field: str,
    factor: float,
    factor_unit: str | None,
    target: str,
    energy_gj: float | None,
) -> float:
    """Apply a user factor per unit of activity, or per unit of heat content if it is per GJ."""
    assert source.quantity is not None
    if not factor_unit:
        raise _SourceError(
            f"{field}_unit", factor_unit, Message("is required with %(field)s", field=field)
        )
    try:
        return (
            source.quantity * factor * conversion_factor(f"({source.unit})*({factor_unit})", target)
        )
    except UnitError:
        pass
    if energy_gj is not None:
        try:
            return energy_gj * factor * conversion_factor(f"GJ*({factor_unit})", target)
        except UnitError:
            pass
    raise _SourceError(
        f"{field}_unit",
        factor_unit,
        Message(
            N_(
                "times the activity unit %(unit)r must give %(dimension)s (e.g. %(example)s, "
                "or per GJ of heat content)"
            )
            if energy_gj
            else N_("times the activity unit %(unit)r must give %(dimension)s (e.g. %(example)s)"),
            unit=source.unit,
            dimension=dimension_name(target),
            example=f"{target}/{source.unit}",
        ),
    )


def _fuel_line(ctx: _Context, source: _Rows, *, biomass: bool) -> LineGroup:
    assert source.quantity is not None
    uses: list[FactorUse] = []
    key: str | None = None
    if not biomass:
        fuel = resolve_fuel(source.fuel or "")
        if fuel is None:
            known = ", ".join(f.key for f in fuels())
            raise _SourceError(
                "fuel",
                source.fuel,
                Message("is not a fuel lingtan knows; known: %(known)s", known=known),
            )
        key = fuel.key

    def library(role: str, parameter: str, unit: str | None) -> FactorUse:
        assert key is not None
        try:
            return ctx.use(role, "fuel", key, parameter, unit, set_id=source.factor_set)
        except FactorNotFoundError as exc:
            raise _SourceError("fuel", source.fuel, exc.message) from None

    # Heat content AD = FC x NCV, in GJ.
    ncv: FactorUse | None = None
    if source.ncv is not None:
        ncv = _measured("NCV", source.ncv, source.ncv_unit or "")
    elif key is not None:
        ncv = library("NCV", "ncv", None)
    energy_gj: float | None = None
    if ncv is not None:
        uses.append(ncv)
        try:
            per_unit = conversion_factor(f"({source.unit})*({ncv.unit})", "GJ")
        except UnitError:
            field = "ncv_unit" if ncv.factor is None else "unit"
            raise _SourceError(
                field,
                ncv.unit if ncv.factor is None else source.unit,
                Message(
                    "the quantity unit %(unit)r does not match the NCV unit %(ncv_unit)r "
                    "(the NCV is per %(per)s; e.g. give the fuel in that unit)",
                    unit=source.unit,
                    ncv_unit=ncv.unit,
                    per=ncv.unit.split("/", 1)[-1],
                ),
            ) from None
        energy_gj = source.quantity * ncv.value * per_unit

    oxidation = (
        _measured("oxidation rate", source.oxidation, "1")
        if source.oxidation is not None
        else (library("oxidation rate", "oxidation", "1") if key else None)
    )
    co2 = 0.0
    method = ""
    if biomass and source.factor is not None:
        target = "tCO2" if "co2" in (source.factor_unit or "").casefold() else "t"
        co2 = _user_factor_mass(
            source, "factor", source.factor, source.factor_unit, target, energy_gj
        )
        uses.append(_measured("biogenic CO2 factor", source.factor, source.factor_unit or ""))
        method = "CO2 = activity x factor"
    elif source.carbon_fraction is not None:
        if oxidation is None:
            raise _SourceError(
                "oxidation", None, Message("is required with carbon_fraction for biomass")
            )
        mass_t = _convert(source, source.quantity, source.unit, "t", "unit")
        uses += [_measured("carbon fraction C_ar", source.carbon_fraction, "1"), oxidation]
        co2 = formulas.combustion_co2_from_carbon_fraction(
            mass_t, source.carbon_fraction, oxidation.value
        )
        method = "E = FC x C_ar x OF x 44/12"
    else:
        if source.carbon_content is not None:
            carbon = _supplied(
                "carbon content per heat",
                source.carbon_content,
                (source.carbon_content_unit or "t/TJ", "t/GJ"),
                "carbon_content_unit",
            )
        elif key is not None:
            carbon = library("carbon content per heat", "carbon_content", "t/GJ")
        else:
            raise _SourceError(
                "factor",
                None,
                Message(
                    "biomass needs a CO2 factor (factor, factor_unit), or ncv with carbon_content "
                    "and oxidation, or carbon_fraction with oxidation"
                ),
            )
        if energy_gj is None or oxidation is None:
            raise _SourceError(
                "ncv", None, Message("ncv and oxidation are required with carbon_content")
            )
        uses += [carbon, oxidation]
        co2 = formulas.combustion_co2(energy_gj, 1.0, carbon.value, oxidation.value)
        method = "E = FC x NCV x CC x OF x 44/12"

    gases: dict[str, float] = {} if biomass else {"CO2": co2}
    for gas, factor, unit in (
        ("CH4", source.ch4_factor, source.ch4_factor_unit),
        ("N2O", source.n2o_factor, source.n2o_factor_unit),
    ):
        if factor is not None:
            field = gas.lower() + "_factor"
            gases[gas] = _user_factor_mass(source, field, factor, unit, "t", energy_gj)
            uses.append(_measured(f"{gas} factor", factor, unit or ""))
    emissions = _co2e(ctx, gases, uses, fossil=not biomass)

    # Standard coal: the GB/T 2589 reference NCV unless the NCV was measured.
    energy_tce = 0.0
    reference = ctx.coal.reference_ncv(key) if key is not None and source.ncv is None else None
    if reference is not None and _fits(source.unit, reference.unit, "GJ"):
        energy_tce, coal_uses = ctx.coal.carrier_tce(key or "", source.quantity, source.unit or "")
        uses += coal_uses
    elif energy_gj is not None:
        energy_tce = ctx.coal.heat_tce(energy_gj)
        uses.append(ctx.coal.energy_per_kgce)
    activity = (energy_gj, "GJ") if energy_gj is not None else (source.quantity, source.unit or "")
    return _direct_line(
        source,
        activity,
        gases,
        method,
        uses,
        emissions,
        category=ctx.inventory.biomass_category if biomass else "fuel_combustion",
        biogenic_co2=co2 if biomass else 0.0,
        energy_tce=energy_tce,
    )


def _combustion(ctx: _Context, source: _Rows) -> LineGroup:
    return _fuel_line(ctx, source, biomass=False)


def _biomass(ctx: _Context, source: _Rows) -> LineGroup:
    return _fuel_line(ctx, source, biomass=True)


def _line_group(source: _Rows, **fields: Any) -> LineGroup:
    """The group's lines; numbers given once stand for every row."""
    n = len(source)

    def column(value: Any) -> np.ndarray:
        return np.broadcast_to(np.asarray(value, dtype=float), (n,))

    numbers = ("activity", "emissions_tco2e", "co2_t", "biogenic_co2_t", "energy_tce")
    for name in numbers:
        fields[name] = column(fields[name])
    fields["gases_t"] = {gas: column(mass) for gas, mass in fields["gases_t"].items()}
    return LineGroup(rows=source.rows, **fields)


def _direct_line(
    source: _Rows,
    activity: tuple[Any, str],
    gases: dict[str, Any],
    method: str,
    uses: list[FactorUse],
    emissions: Any = None,
    *,
    category: str = "process",
    biogenic_co2: Any = 0.0,
    energy_tce: Any = 0.0,
) -> LineGroup:
    """A Scope 1 line (ISO 14064-1 category 1); ``emissions`` defaults to the CO2 mass."""
    return _line_group(
        source,
        activity=activity[0],
        activity_unit=activity[1],
        gases_t=gases,
        emissions_tco2e=gases["CO2"] if emissions is None else emissions,
        co2_t=gases.get("CO2", 0.0),
        biogenic_co2_t=biogenic_co2,
        energy_tce=energy_tce,
        gbt32150_category=category,
        scope=1,
        scope3_category=None,
        iso14064_category=1,
        method=method,
        factors=tuple(uses),
    )


def _process_carbonate(ctx: _Context, source: _Rows) -> LineGroup:
    assert source.quantity is not None
    mass = _convert(source, source.quantity, source.unit, "t", "unit")
    purity = 1.0 if source.purity is None else source.purity
    fraction = 1.0 if source.calcination_fraction is None else source.calcination_fraction
    uses = [_measured("purity", purity, "1"), _measured("calcination fraction", fraction, "1")]
    if source.factor is not None:
        stoichiometric = _supplied(
            "stoichiometric factor", source.factor, (source.factor_unit or "t/t", "t/t")
        )
    else:
        carbonate = ctx.carbonates.get(fold_name(source.carbonate or ""))
        if carbonate is None:
            known = ", ".join(sorted({*ctx.carbonates.values()}))
            raise _SourceError(
                "carbonate",
                source.carbonate,
                Message("is not a carbonate lingtan knows; known: %(known)s", known=known),
            )
        try:
            stoichiometric = ctx.use(
                "stoichiometric factor", "carbonate", carbonate, "co2", "t/t",
                set_id=source.factor_set,
            )  # fmt: skip
        except FactorNotFoundError as exc:
            raise _SourceError("carbonate", source.carbonate, exc.message) from None
    uses.append(stoichiometric)
    co2 = formulas.carbonate_co2(mass, purity, stoichiometric.value, fraction)
    return _direct_line(source, (mass, "t"), {"CO2": co2}, "E = M x w x EF x F", uses)


def _process_mass_balance(ctx: _Context, source: _Rows) -> LineGroup:
    def carbon(flows: tuple, field: str) -> float:
        total = 0.0
        for index, flow in enumerate(flows):
            try:
                mass = flow.quantity * conversion_factor(flow.unit, "t")
            except UnitError as exc:
                raise _SourceError(f"{field}[{index}].unit", flow.unit, exc.message) from None
            total += mass * flow.carbon_fraction
        return total

    carbon_in = carbon(source.inputs, "inputs")
    carbon_out = carbon(source.outputs, "outputs")
    co2 = formulas.mass_balance_co2(carbon_in, carbon_out)
    if co2 < 0:
        raise _SourceError(
            "outputs",
            round(carbon_out, 6),
            Message(
                "carbon leaving (%(leaving)s t C) exceeds carbon entering (%(entering)s t C); "
                "check the flows and carbon fractions",
                leaving=f"{carbon_out:g}",
                entering=f"{carbon_in:g}",
            ),
        )
    uses = [
        _measured("carbon in", carbon_in, "t"),
        _measured("carbon out", carbon_out, "t"),
    ]
    return _direct_line(
        source, (carbon_in, "t C"), {"CO2": co2}, "E = (C_in - C_out) x 44/12", uses
    )


def _fugitive(ctx: _Context, source: _Rows) -> LineGroup:
    gas, is_blend = _gas_key(ctx, source.gas)
    if (source.method or "top_up") == "mass_balance":
        parts = {
            "stock_start": source.stock_start,
            "stock_end": source.stock_end,
            "purchased": source.purchased,
            "recovered": source.recovered,
        }
        for field, value in parts.items():
            if value is None:
                raise _SourceError(field, value, Message("is required for the mass-balance method"))
        released = formulas.fugitive_mass_balance(**parts)  # type: ignore[arg-type]
        negative = released < 0
        if negative.any():
            raise _SourceError(
                "stock_end",
                source.stock_end,
                [Message("the mass balance gives a negative release (%(mass)s %(unit)s)",
                         mass=f"{r:g}", unit=source.unit)
                 for r in released.tolist()],
                where=negative,
            )  # fmt: skip
        method = "released = stock start - stock end + purchased - recovered; E = m x GWP"
    else:
        assert source.quantity is not None
        released = source.quantity
        method = "released = top-up mass; E = m x GWP"
    mass = _convert(source, released, source.unit, "t", "unit")
    uses: list[FactorUse] = []
    if is_blend:
        try:
            composition = ctx.blend(gas)
        except FactorNotFoundError as exc:
            raise _SourceError("gas", source.gas, exc.message) from None
        gases = {}
        for use in composition:
            assert use.factor is not None
            component = ctx.gas_names.get(fold_name(use.factor.parameter))
            if component is None:
                raise _SourceError(
                    "gas",
                    source.gas,
                    Message("blend component %(gas)s has no GWP", gas=use.factor.parameter),
                )
            gases[component] = mass * use.value
            uses.append(use)
        method += " (blend: sum of component masses x their GWPs)"
    else:
        gases = {gas: mass}
    emissions = _co2e(ctx, gases, uses, fossil=True)
    return _direct_line(source, (mass, "t"), gases, method, uses, emissions)


def _electricity(ctx: _Context, source: _Rows, *, exported: bool) -> LineGroup:
    assert source.quantity is not None
    region_text = source.region or ctx.inventory.region
    if not region_text:
        raise _SourceError(
            "region",
            None,
            Message("electricity needs a region: set facility.region or the source's region"),
        )
    try:
        region = resolve_region(region_text)
    except UnknownRegionError as exc:
        raise _SourceError("region", region_text, exc.message) from None
    try:
        factor = ctx.electricity(region.code)
    except FactorNotFoundError as exc:
        raise _SourceError("region", region_text, exc.message) from None
    mwh = _convert(source, source.quantity, source.unit, "MWh", "unit")
    co2 = formulas.energy_co2(mwh, factor.value)
    return _energy_line(
        source,
        (mwh, "MWh"),
        co2,
        ctx.coal.electricity_tce(mwh),
        exported=exported,
        method="E = AD x EF_grid",
        factors=(factor, ctx.coal.electricity),
    )


def _energy_line(
    source: _Rows,
    activity: tuple[float, str],
    co2: float,
    energy_tce: float,
    *,
    exported: bool,
    method: str,
    factors: tuple[FactorUse, ...],
) -> LineGroup:
    """A line of purchased (Scope 2) or exported (deducted, negative) electricity or heat."""
    sign = -1.0 if exported else 1.0
    return _line_group(
        source,
        activity=activity[0],
        activity_unit=activity[1],
        gases_t={"CO2": sign * co2},
        emissions_tco2e=sign * co2,
        co2_t=sign * co2,
        biogenic_co2_t=0.0,
        energy_tce=sign * energy_tce,
        gbt32150_category="exported_energy" if exported else "purchased_energy",
        scope=None if exported else 2,
        scope3_category=None,
        iso14064_category=None if exported else 2,
        method=method,
        factors=factors,
    )


def _heat(ctx: _Context, source: _Rows, *, exported: bool) -> LineGroup:
    assert source.quantity is not None
    medium = source.medium or "heat"
    uses: list[FactorUse] = []

    def conversion(parameter: str, unit: str) -> FactorUse:
        return ctx.use(parameter.replace("_", " "), "heat_conversion", "heat", parameter, unit)

    if medium == "heat":
        heat = _convert(source, source.quantity, source.unit, "GJ", "unit")
        method = "E = AD x EF_heat"
    elif medium == "steam":
        enthalpy = _steam_enthalpy(source)
        mass = _convert(source, source.quantity, source.unit, "t", "unit")
        reference = conversion("steam_reference_enthalpy", "kJ/kg")
        uses += [enthalpy, reference]
        heat = formulas.steam_heat(mass, enthalpy.value, reference.value)
        method = "AD = Ma x (En - 83.74) x 1e-3; E = AD x EF_heat"
    elif medium == "hot_water":
        if source.temperature is None:
            raise _SourceError(
                "temperature", None, Message("hot water needs its temperature in degC")
            )
        mass = _convert(source, source.quantity, source.unit, "t", "unit")
        reference = conversion("water_reference_temperature", "degC")
        specific = conversion("water_specific_heat", "kJ/kg/K")
        uses += [_measured("water temperature", source.temperature, "degC"), reference, specific]
        heat = formulas.hot_water_heat(mass, source.temperature, reference.value, specific.value)
        method = "AD = Mw x (T - 20) x 4.1868 x 1e-3; E = AD x EF_heat"
    else:
        raise _SourceError("medium", medium, Message("must be heat, steam or hot_water"))
    negative = heat < 0
    if negative.any():
        raise _SourceError(
            "enthalpy" if medium == "steam" else "temperature",
            source.enthalpy if medium == "steam" else source.temperature,
            Message("is below the reference condition, giving negative heat"),
            where=negative,
        )
    if source.factor is not None:
        factor = _supplied(
            "heat emission factor (supplier)",
            source.factor,
            (source.factor_unit or "tCO2/GJ", "tCO2/GJ"),
        )
    else:
        try:
            factor = ctx.use(
                "heat emission factor", "heat", "purchased_heat", "co2", "tCO2/GJ",
                set_id=source.factor_set,
            )  # fmt: skip
        except FactorNotFoundError as exc:
            raise _SourceError("factor_set", source.factor_set, exc.message) from None
    uses += [factor, ctx.coal.energy_per_kgce]
    return _energy_line(
        source,
        (heat, "GJ"),
        formulas.energy_co2(heat, factor.value),
        ctx.coal.heat_tce(heat),
        exported=exported,
        method=method,
        factors=tuple(uses),
    )


def _steam_enthalpy(source: _Rows) -> FactorUse:
    """The steam's specific enthalpy per row: as given, or by IAPWS-IF97 from pressure and
    temperature."""
    if source.enthalpy is not None:
        return _measured("steam enthalpy", source.enthalpy, "kJ/kg")
    if source.pressure is None or source.temperature is None:
        raise _SourceError(
            "enthalpy",
            None,
            Message(
                "steam needs its specific enthalpy in kJ/kg, or its absolute pressure and "
                "temperature"
            ),
        )
    pressure = _convert(
        source, source.pressure, source.pressure_unit or "MPa", "MPa", "pressure_unit"
    )
    values, rules = [], []
    for p, t in zip(pressure.tolist(), source.temperature.tolist(), strict=True):
        try:
            values.append(steam_enthalpy(p, t))
            rules.append("")
        except SteamStateError as exc:
            values.append(math.nan)
            rules.append(exc.message)
    failed = np.array([bool(rule) for rule in rules])
    if failed.any():
        raise _SourceError("temperature", source.temperature, rules, where=failed)
    rule = Message("IAPWS-IF97 from the measured pressure and temperature (input)")
    return FactorUse("steam enthalpy", np.array(values), "kJ/kg", None, rule)


def _recovered_co2(ctx: _Context, source: _Rows) -> LineGroup:
    assert source.quantity is not None
    purity = 1.0 if source.purity is None else source.purity
    uses = [_measured("CO2 purity", purity, "1")]
    try:
        mass = source.quantity * conversion_factor(source.unit or "", "t") * purity
        method = "R = mass x purity"
    except UnitError:
        volume = _convert(source, source.quantity, source.unit, "10^4 Nm3", "unit")
        density = ctx.use("CO2 density", "co2_density", "co2", "density", "t/(10^4 Nm3)")
        uses.append(density)
        mass = formulas.recovered_co2_mass(volume, purity, density.value)
        method = "R = Q x PUR x 19.77"
    return _line_group(
        source,
        activity=mass,
        activity_unit="t",
        gases_t={"CO2": -mass},
        emissions_tco2e=-mass,
        co2_t=-mass,
        biogenic_co2_t=0.0,
        energy_tce=0.0,
        gbt32150_category="recovered_co2",
        scope=None,
        scope3_category=None,
        iso14064_category=None,
        method=method,
        factors=tuple(uses),
    )


def _other(ctx: _Context, source: _Rows) -> LineGroup:
    if source.factor is None:
        raise _SourceError("factor", None, Message("is required for kind other"))
    if source.scope not in (1, 2, 3):
        raise _SourceError("scope", source.scope, Message("must be 1, 2 or 3"))
    if source.scope == 3 and source.category not in SCOPE3_TO_ISO:
        raise _SourceError(
            "category", source.category, Message("a Scope 3 line needs its category, 1-15")
        )
    uses = [_measured("emission factor", source.factor, source.factor_unit or "")]
    if source.gas:
        gas, is_blend = _gas_key(ctx, source.gas)
        if is_blend:
            raise _SourceError(
                "gas", source.gas, Message("use kind fugitive for refrigerant blends")
            )
        mass = _user_factor_mass(source, "factor", source.factor, source.factor_unit, "t", None)
        gases = {gas: mass}
        emissions = _co2e(ctx, gases, uses, fossil=True)
    else:
        emissions = _user_factor_mass(
            source, "factor", source.factor, source.factor_unit, "tCO2e", None
        )
        gases = {}
    category = {1: "process", 2: "purchased_energy", 3: None}[source.scope]
    iso = source.iso_category or (
        SCOPE3_TO_ISO[source.category] if source.scope == 3 and source.category else source.scope
    )
    return _line_group(
        source,
        activity=0.0 if source.quantity is None else source.quantity,
        activity_unit=source.unit or "",
        gases_t=gases,
        emissions_tco2e=emissions,
        co2_t=gases.get("CO2", 0.0),
        biogenic_co2_t=0.0,
        energy_tce=0.0,
        gbt32150_category=category,
        scope=source.scope,
        scope3_category=source.category if source.scope == 3 else None,
        iso14064_category=iso,
        method="E = activity x factor" + (" x GWP" if source.gas else ""),
        factors=tuple(uses),
    )


_METHODS: dict[str, Callable[[_Context, _Rows], LineGroup]] = {
    "fuel_combustion": _combustion,
    "mobile_combustion": _combustion,
    "biomass_combustion": _biomass,
    "process_carbonate": _process_carbonate,
    "process_mass_balance": _process_mass_balance,
    "fugitive": _fugitive,
    "purchased_electricity": lambda c, s: _electricity(c, s, exported=False),
    "exported_electricity": lambda c, s: _electricity(c, s, exported=True),
    "purchased_heat": lambda c, s: _heat(c, s, exported=False),
    "exported_heat": lambda c, s: _heat(c, s, exported=True),
    "recovered_co2": _recovered_co2,
    "other": _other,
}
assert set(_METHODS) == set(KINDS)


def _set_uncertainty(group: LineGroup, source: _Rows) -> None:
    """Combine the activity's and the factors' 95 % uncertainties (IPCC eq. 3.1)."""
    factor_pct = source.factor_uncertainty_pct
    if factor_pct is None:
        # the library factors that make the emissions (not the tce coefficients), as far as
        # their rows carry a 95 % uncertainty
        library_pcts = [
            use.factor.uncertainty_pct
            for use in group.factors
            if use.factor is not None
            and use.factor.uncertainty_pct is not None
            and use.factor.family != "standard_coal"
        ]
        if library_pcts:
            factor_pct = formulas.uncertainty_of_product(*library_pcts)
    parts = [p for p in (source.uncertainty_pct, factor_pct) if p is not None]
    if parts:
        # uncertainty_of_product per row: with one or two parts, the float sum of the squares
        # is the exactly rounded sum that the formula takes
        squares = sum(np.multiply(p, p) for p in parts)
        group.uncertainty_pct = np.broadcast_to(np.sqrt(squares), (len(source),))


def _kind(sources: Sequence[Source], group: LineGroup) -> str:
    return sources[int(group.rows[0])].kind


def _allocate_instruments(
    ctx: _Context,
    groups: list[LineGroup],
    problems: list[InputProblem],
    warnings: list[Message],
) -> tuple[tuple[InstrumentUse, ...], FactorUse | None]:
    """Cover purchased electricity with instruments; the rest takes the residual factor.

    Without a residual factor for the year, uncovered MWh take the location-based grid
    average: the last tier of the GHG Protocol Scope 2 Guidance hierarchy (Table 6.3).
    """
    inventory = ctx.inventory
    sources = inventory.sources
    electric = [g for g in groups if _kind(sources, g) == "purchased_electricity"]
    if not electric:
        for instrument in inventory.instruments:
            problems.append(
                InputProblem(
                    Message("instrument %(id)s", id=instrument.id),
                    "quantity",
                    instrument.quantity,
                    Message("there is no purchased electricity for it to cover"),
                )
            )
        return (), None
    # the electricity lines in input order
    rows = np.concatenate([g.rows for g in electric])
    order = np.argsort(rows, kind="stable")
    rows = rows[order]
    remaining = np.concatenate([g.activity for g in electric])[order]
    covered = np.zeros(len(rows))
    by_id: dict[str, int] = {}
    uses: list[InstrumentUse] = []
    ordered = sorted(inventory.instruments, key=lambda inst: not inst.sources)  # targeted first
    for instrument in ordered:
        where = Message("instrument %(id)s", id=instrument.id)
        factors: list[FactorUse] = []
        try:
            if fold_name(instrument.unit) in CERTIFICATE_UNITS:
                per = ctx.use(
                    "energy per certificate", "instrument", "gec", "energy_per_certificate", "MWh"
                )
                factors.append(per)
                mwh = instrument.quantity * per.value
            else:
                mwh = instrument.quantity * conversion_factor(instrument.unit, "MWh")
        except UnitError:
            problems.append(
                InputProblem(
                    where,
                    "unit",
                    instrument.unit,
                    Message("must be an energy (MWh, kWh) or certificates (1 GEC = 1 MWh)"),
                )
            )
            continue
        if instrument.sources:
            if not by_id:
                by_id = {sources[r].id: k for k, r in enumerate(rows.tolist())}
            targets = []
            for source_id in instrument.sources:
                if source_id not in by_id:
                    problems.append(
                        InputProblem(
                            where,
                            "sources",
                            source_id,
                            Message("is not a purchased_electricity source id"),
                        )
                    )
                else:
                    targets.append(by_id[source_id])
            if not targets:
                continue
            chosen = np.array(list(dict.fromkeys(targets)), dtype=np.intp)  # each source once
        else:
            chosen = np.arange(len(rows))
        left = remaining[chosen]
        available = math.fsum(left.tolist())
        if mwh > available * (1 + 1e-12):
            rule = (
                N_(
                    "claims %(claimed)s MWh but only %(available)s MWh of the named sources "
                    "remain uncovered: instruments cannot cover more than was consumed"
                )
                if instrument.sources
                else N_(
                    "claims %(claimed)s MWh but only %(available)s MWh of purchased electricity "
                    "remain uncovered: instruments cannot cover more than was consumed"
                )
            )
            problems.append(
                InputProblem(
                    where,
                    "quantity",
                    instrument.quantity,
                    Message(rule, claimed=f"{mwh:g}", available=f"{available:g}"),
                )
            )
            continue
        share = mwh * left / available if available else np.zeros(len(chosen))
        share = np.minimum(share, left)
        remaining[chosen] = left - share
        covered[chosen] += share
        ids = [sources[r].id for r in rows[chosen].tolist()]
        allocation = dict(zip(ids, share.tolist(), strict=True))
        uses.append(InstrumentUse(instrument, mwh, allocation, tuple(factors)))
    residual: FactorUse | None
    try:
        residual = ctx.residual()
    except FactorNotFoundError as exc:
        residual = None
        warnings.append(
            Message(
                "market-based Scope 2: %(reason)s; uncovered electricity uses the location-based "
                "grid average (GHG Protocol Scope 2 Guidance, Table 6.3, last tier). Give "
                "residual_factor to use a residual mix.",
                reason=exc.message,
            )
        )
    for group in electric:
        group.covered_mwh = covered[np.searchsorted(rows, group.rows)]
        uncovered = np.maximum(group.activity - group.covered_mwh, 0.0)
        market_factor = residual or group.factors[0]
        group.market_emissions_tco2e = formulas.energy_co2(uncovered, market_factor.value)
        if residual is not None:
            group.factors = (*group.factors, residual)
    return tuple(uses), residual


def _values(groups: list[LineGroup], column: Callable[[LineGroup], np.ndarray]) -> list[float]:
    if not groups:
        return []
    return np.concatenate([column(g) for g in groups]).tolist()


def _uncertainty(
    groups: list[LineGroup], column: Callable[[LineGroup], np.ndarray]
) -> tuple[float | None, float | None]:
    """(relative 95 % uncertainty, % of the absolute total that has an estimate) of a sum."""
    known = [g for g in groups if g.uncertainty_pct is not None]
    if not known:
        return None, None
    weight = math.fsum(map(abs, _values(groups, column)))
    order = np.argsort(np.concatenate([g.rows for g in known]), kind="stable")  # input order
    values = np.concatenate([column(g) for g in known])[order]
    pcts = np.concatenate([g.uncertainty_pct for g in known])[order]  # type: ignore[misc]
    covered = math.fsum(np.abs(values).tolist())
    coverage = 100.0 * covered / weight if weight else None
    return formulas.uncertainty_of_sum_columns(values, pcts), coverage


def _grouped(pairs: list[tuple[object, np.ndarray]]) -> dict[str, float]:
    """Sums by key, in the order in which the keys first appear among the lines.

    ``pairs`` come group by group in the order of the groups' first lines, so a key's first
    pair is from its first line.
    """
    sums: dict[object, list[np.ndarray]] = {}
    for key, values in pairs:
        if key is not None:
            sums.setdefault(key, []).append(values)
    return {str(key): math.fsum(np.concatenate(parts).tolist()) for key, parts in sums.items()}


def _totals(
    inventory: InventoryInput, groups: list[LineGroup], instruments: tuple[InstrumentUse, ...]
) -> Totals:
    sources = inventory.sources
    in_total = [g for g in groups if g.gbt32150_category is not None]
    scope1 = [g for g in groups if g.scope == 1]
    scope2 = [g for g in groups if g.scope == 2]
    scope3 = [g for g in groups if g.scope == 3]

    def emissions(group: LineGroup) -> np.ndarray:
        return group.emissions_tco2e

    def market(group: LineGroup) -> np.ndarray:
        if group.market_emissions_tco2e is None:
            return group.emissions_tco2e
        return group.market_emissions_tco2e

    values = {
        "total_tco2e": (in_total, emissions),
        "scope1_tco2e": (scope1, emissions),
        "scope2_location_tco2e": (scope2, emissions),
        "scope2_market_tco2e": (scope2, market),
        "scope3_tco2e": (scope3, emissions),
    }
    sums = {name: math.fsum(_values(chosen, column)) for name, (chosen, column) in values.items()}
    uncertainty_pct: dict[str, float | None] = {}
    coverage_pct: dict[str, float | None] = {}
    for name, (chosen, column) in values.items():
        uncertainty_pct[name], coverage_pct[name] = _uncertainty(chosen, column)

    total_co2 = math.fsum(_values(in_total, lambda g: g.co2_t))
    energy = math.fsum(_values(groups, lambda g: g.energy_tce))
    electricity = [g for g in scope2 if _kind(sources, g) == "purchased_electricity"]
    purchased_mwh = math.fsum(_values(electricity, lambda g: g.activity))
    renewable = math.fsum(use.mwh for use in instruments)
    scope12_location = sums["scope1_tco2e"] + sums["scope2_location_tco2e"]
    scope12_market = sums["scope1_tco2e"] + sums["scope2_market_tco2e"]
    intensities = tuple(
        {
            "denominator": item.name,
            "quantity": item.quantity,
            "unit": item.unit,
            "tco2e_per_unit": sums["total_tco2e"] / item.quantity,
            "scope1_2_location_tco2e_per_unit": scope12_location / item.quantity,
            "scope1_2_market_tco2e_per_unit": scope12_market / item.quantity,
            "tce_per_unit": energy / item.quantity,
        }
        for item in inventory.production
        if item.quantity > 0
    )
    all_emissions = np.concatenate([g.emissions_tco2e for g in groups])
    return Totals(
        total_tco2e=sums["total_tco2e"],
        total_co2_t=total_co2,
        scope1_tco2e=sums["scope1_tco2e"],
        scope2_location_tco2e=sums["scope2_location_tco2e"],
        scope2_market_tco2e=sums["scope2_market_tco2e"],
        scope3_tco2e=sums["scope3_tco2e"],
        biogenic_co2_t=math.fsum(_values(groups, lambda g: g.biogenic_co2_t)),
        energy_tce=energy,
        deductions_tco2e=math.fsum(all_emissions[all_emissions < 0].tolist()),
        by_category_tco2e=_grouped([(_kind(sources, g), g.emissions_tco2e) for g in groups]),
        by_gbt32150_category_tco2e=_grouped(
            [(g.gbt32150_category, g.emissions_tco2e) for g in in_total]
        ),
        by_iso14064_category_tco2e=_grouped(
            [(g.iso14064_category, g.emissions_tco2e) for g in groups]
        ),
        by_scope3_category_tco2e=_grouped([(g.scope3_category, g.emissions_tco2e) for g in scope3]),
        by_gas_t=_grouped([(gas, mass) for g in in_total for gas, mass in g.gases_t.items()]),
        purchased_electricity_mwh=purchased_mwh,
        renewable_electricity_mwh=renewable,
        renewable_electricity_share_pct=(
            100.0 * renewable / purchased_mwh if purchased_mwh else None
        ),
        co2_per_energy_tco2_per_tce=total_co2 / energy if energy > 0 else None,
        uncertainty_pct=uncertainty_pct,
        uncertainty_coverage_pct=coverage_pct,
        intensities=intensities,
    )


def _factor_warnings(inventory: InventoryInput, factors: list[Factor]) -> list[Message]:
    """What a verifier should know about the factors used: review status, validity windows
    that do not cover the period, and electricity factors of mixed data years."""
    warnings = []
    unverified = sorted({f.ref for f in factors if f.status != "official"})
    if unverified:
        warnings.append(
            Message(
                "%(n)d factor(s) used have review status 'unverified' (not yet checked against "
                "the official text): %(refs)s",
                n=len(unverified),
                refs=", ".join(unverified),
            )
        )
    start, end = inventory.period_start.isoformat(), inventory.period_end.isoformat()
    outside = sorted(
        {
            f"{f.ref} ({f.valid_from or '…'} – {f.valid_to or '…'})"
            for f in factors
            if (f.valid_from and f.valid_from > end) or (f.valid_to and f.valid_to < start)
        }
    )
    if outside:
        warnings.append(
            Message(
                "%(n)d factor(s) have a validity window outside the period %(start)s to "
                "%(end)s: %(refs)s",
                n=len(outside),
                start=start,
                end=end,
                refs=", ".join(outside),
            )
        )
    explicit = {
        *inventory.factor_sets,
        *(["electricity"] if inventory.electricity_factor_year else []),
    }
    if (behind := data_year_warning(inventory.year, factors, explicit=explicit)) is not None:
        warnings.append(behind)
    years = sorted({f.data_year for f in factors if f.family == "electricity" and f.data_year})
    if len(years) > 1:
        warnings.append(
            Message(
                "electricity factors of different data years are combined (%(years)s): each "
                "value is the newest available for its region; set electricity_factor_year to "
                "use one year throughout",
                years=", ".join(map(str, years)),
            )
        )
    return warnings


def _numbers(value: Any, name: str) -> Iterator[tuple[str, float]]:
    if isinstance(value, float):
        yield name, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _numbers(item, f"{name}.{key}")
    elif isinstance(value, tuple | list):
        for index, item in enumerate(value):
            yield from _numbers(item, f"{name}[{index}]")


def _check_finite(totals: Totals) -> None:
    """Refuse a result that is not a number (JSON has no form for it): finite inputs whose
    product or quotient overflows, such as an output of almost nothing."""
    for name, value in _numbers(vars(totals), "totals"):
        if not math.isfinite(value):
            rule = Message(
                "is not a finite number: the quantities of the input are too large, "
                "or an output too small"
            )
            raise InputError(InputProblem("inventory", name, repr(value), rule))


def compute_inventory(inventory: InventoryInput, library: FactorLibrary) -> InventoryResult:
    """Compute a GHG inventory.

    Parameters
    ----------
    inventory : InventoryInput
        Facility, period, options, sources and instruments.
    library : FactorLibrary
        Where factors come from (``lingtan.factors.shipped_library()`` plus custom sets).

    Returns
    -------
    InventoryResult
        One line per source, in input order; totals; instruments applied; warnings.

    Raises
    ------
    InputError
        Listing every source, field, value and rule that failed; nothing is computed then.

    References
    ----------
    GB/T 32150-2015 / -2025 (total with deductions, biomass CO2 outside the total);
    GHG Protocol Corporate Standard and Scope 2 Guidance (gross scopes, dual reporting);
    ISO 14064-1:2018 categories 1-6; IPCC 2006 Vol. 1 ch. 3 Approach 1 (uncertainty).
    """
    problems: list[InputProblem] = []

    if inventory.gwp.upper() not in GWP_SETS:
        raise InputError(
            InputProblem(
                Message("inventory"),
                "gwp",
                inventory.gwp,
                Message("must be one of %(options)s", options=", ".join(GWP_SETS)),
            )
        )
    try:
        ctx = _Context(inventory, library)
    except CoalBasisError as exc:  # the standard-coal basis
        raise InputError(
            InputProblem(
                Message("inventory"),
                "electricity_tce_basis",
                inventory.electricity_tce_basis,
                exc.message,
            )
        ) from None
    except FactorNotFoundError as exc:  # a set named in factor_sets, or the gwp set
        raise InputError(
            InputProblem(Message("inventory"), "factor_sets", None, exc.message)
        ) from None

    sources = inventory.sources
    failed: list[tuple[int, InputProblem]] = []
    groups: list[LineGroup] = []
    for kind, indices in _groups(sources):
        method = _METHODS.get(kind)
        if method is None:
            rule = Message("must be one of %(options)s", options=", ".join(KINDS))
            failed += [
                (i, InputProblem(Message("source %(id)s", id=sources[i].id), "kind", kind, rule))
                for i in indices
            ]
            continue
        pending = _rows_of(kind, indices, sources)
        while pending:
            rows = pending.pop()
            try:
                group = method(ctx, rows)
            except _SourceError as problem:
                everywhere = np.ones(len(rows), dtype=bool)
                where = everywhere if problem.where is None else problem.where
                for k in np.flatnonzero(where).tolist():
                    i = int(rows.rows[k])
                    where_text = Message("source %(id)s", id=sources[i].id)
                    value = (  # a number of the row: as the source gives it
                        getattr(sources[i], problem.field)
                        if isinstance(problem.value, np.ndarray)
                        else problem.value
                    )
                    rule = problem.rule[k] if isinstance(problem.rule, list) else problem.rule
                    failed.append((i, InputProblem(where_text, problem.field, value, rule)))
                if not where.all():  # the other rows go on without those that failed
                    pending.append(rows.take(~where))
                continue
            _set_uncertainty(group, rows)
            groups.append(group)
    if failed:
        raise InputError([problem for _, problem in sorted(failed, key=lambda item: item[0])])
    groups.sort(key=lambda g: int(g.rows[0]))

    warnings: list[Message] = []
    problems += serial_problems(inventory.instruments)
    instruments, residual = _allocate_instruments(ctx, groups, problems, warnings)
    if problems:
        raise InputError(problems)

    warnings += _factor_warnings(inventory, [u.factor for u in ctx.used_factors() if u.factor])
    totals = _totals(inventory, groups, instruments)
    _check_finite(totals)
    warnings += result_notes(inventory, groups, totals)
    return InventoryResult(
        input=inventory,
        lines=Lines(sources, groups),
        totals=totals,
        instruments=instruments,
        residual_factor=residual,
        engine_version=ENGINE_VERSION,
        warnings=tuple(warnings),
    )
