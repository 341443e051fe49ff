"""The self-contained inventory file read by ``lingtan calc`` (YAML or JSON).

:func:`load_calc_file` reads and checks the whole file before anything is computed: every
problem is reported at once, naming the source (or instrument) id, the field, the value and
the rule it broke. The format is documented in ``docs/calc.md``.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Any

from lingtan.accounting.engine import GWP_SETS, compute_inventory
from lingtan.accounting.model import KINDS, Flow, Instrument, InventoryInput, Production, Source
from lingtan.catalog import UnknownRegionError, resolve_region
from lingtan.errors import InputError, InputProblem, one_of, read_text_file
from lingtan.factors import FAMILIES, FactorLibrary, read_factor_file, shipped_library
from lingtan.i18n import N_, Message
from lingtan.units import MAX_QUANTITY, UnitError, conversion_factor
from lingtan.yamlinput import parse_yaml

__all__ = ["load_calc_file", "parse_calc_document"]

_COMMON = {"id", "kind", "name", "quantity", "unit", "uncertainty_pct", "factor_uncertainty_pct"}
_FUEL = {"fuel", "ncv", "ncv_unit", "carbon_content", "carbon_content_unit", "oxidation"}
_FUEL |= {"carbon_fraction", "ch4_factor", "ch4_factor_unit", "n2o_factor", "n2o_factor_unit"}
_HEAT = {"medium", "enthalpy", "temperature", "pressure", "pressure_unit", "factor"}
_HEAT |= {"factor_unit", "factor_set"}
_FIELDS: dict[str, set[str]] = {
    "fuel_combustion": _FUEL | {"factor_set"},
    "mobile_combustion": _FUEL | {"factor_set"},
    "biomass_combustion": _FUEL | {"factor", "factor_unit"},
    "process_carbonate": {"carbonate", "purity", "calcination_fraction", "factor", "factor_unit"}
    | {"factor_set"},
    "process_mass_balance": {"inputs", "outputs"},
    "fugitive": {"gas", "method", "stock_start", "stock_end", "purchased", "recovered"},
    "purchased_electricity": {"region"},
    "exported_electricity": {"region"},
    "purchased_heat": _HEAT,
    "exported_heat": _HEAT,
    "recovered_co2": {"purity"},
    "other": {"factor", "factor_unit", "gas", "scope", "category", "iso_category"},
}
_NON_NEGATIVE = (
    "quantity",
    "ncv",
    "carbon_content",
    "stock_start",
    "stock_end",
    "purchased",
    "recovered",
    "factor",
    "ch4_factor",
    "n2o_factor",
    "enthalpy",
    "pressure",
    "uncertainty_pct",
    "factor_uncertainty_pct",
)
_FRACTIONS = ("oxidation", "carbon_fraction", "purity", "calcination_fraction")
_NUMBERS = (*_NON_NEGATIVE, *_FRACTIONS, "temperature")
_INTEGERS = ("scope", "category", "iso_category")
_TEXTS = (
    "name",
    "unit",
    "fuel",
    "gas",
    "carbonate",
    "region",
    "factor_set",
    "ncv_unit",
    "carbon_content_unit",
    "factor_unit",
    "ch4_factor_unit",
    "n2o_factor_unit",
    "method",
    "medium",
    "pressure_unit",
)
_TOP = {
    "facility",
    "period",
    "gwp",
    "electricity_factor_year",
    "sources",
    "instruments",
    "production",
    "factor_sets",
    "factor_files",
    "residual_factor",
    "electricity_tce_basis",
    "supply_coal_gce_per_kwh",
    "biomass_non_co2_in_total",
}
_INSTRUMENT_KINDS = ("gec", "green_power", "onsite_renewable")


def _read_json(text: str, origin: str) -> Any:
    """Parse JSON text, refusing an object that repeats a key (JSON keeps the last one)."""
    repeated: list[str] = []

    def unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        mapping = dict(pairs)
        if len(mapping) < len(pairs):  # rare: find the repeats only then
            seen: set[str] = set()
            for key, _ in pairs:
                if key in seen:
                    repeated.append(key)
                seen.add(key)
        return mapping

    document = json.loads(text, object_pairs_hook=unique)
    if repeated:
        raise InputError(
            [InputProblem(origin, key, key, _TWICE_JSON) for key in repeated],
            origin=origin,
        )
    return document


#: Where a problem of the document's top level is.
_TOP_LEVEL = Message("inventory")
_FACILITY = Message("facility")  # the sections of the file, by their keys
_PERIOD = Message("period")
_TWICE_JSON = Message(
    "is given twice in one mapping; only the last value would be kept, so the file is refused"
)


class _Checker:
    """Collects problems while converting fields."""

    def __init__(self) -> None:
        self.problems: list[InputProblem] = []

    def add(self, where: str, field: str, value: Any, rule: Message) -> None:
        self.problems.append(InputProblem(where, field, value, rule))

    def number(self, where: str, field: str, value: Any) -> float | None:
        if type(value) is float and math.isfinite(value) and abs(value) <= MAX_QUANTITY:
            return value
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            if isinstance(value, str):
                try:
                    value = float(value)
                except ValueError:
                    self.add(where, field, value, Message("must be a number"))
                    return None
            else:
                self.add(where, field, value, Message("must be a number"))
                return None
        if not math.isfinite(value):
            self.add(where, field, value, Message("must be a finite number"))
            return None
        if abs(value) > MAX_QUANTITY:
            self.add(where, field, value, Message("must be at most %(limit)g", limit=MAX_QUANTITY))
            return None
        return float(value)

    def integer(self, where: str, field: str, value: Any) -> int | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(where, field, value, Message("must be a whole number"))
            return None
        return value

    def text(self, where: str, field: str, value: Any) -> str | None:
        if type(value) is str:
            return value
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            self.add(where, field, value, Message("must be text"))
            return None
        return str(value)

    def mapping(self, where: str, field: str, value: Any) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.add(where, field, value, Message("must be a mapping of fields"))
            return {}
        return value

    def items(self, where: str, field: str, value: Any) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.add(where, field, value, Message("must be a list"))
            return []
        return value

    def day(self, where: str, field: str, value: Any) -> date | None:
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self.add(where, field, value, Message("must be a date, YYYY-MM-DD"))
        return None


#: A source's fields by kind; how each field given is converted, and in which order.
_ALLOWED = {kind: frozenset(_COMMON | fields) for kind, fields in _FIELDS.items()}
_CONVERT: dict[str, Callable[[_Checker, Any, str, Any], Any]] = {
    **dict.fromkeys(_NUMBERS, _Checker.number),
    **dict.fromkeys(_INTEGERS, _Checker.integer),
    **dict.fromkeys(_TEXTS, _Checker.text),
}
_ORDER = {key: position for position, key in enumerate(_CONVERT)}


@functools.lru_cache(maxsize=512)  # bounded: the keys come from the file
def _shape(
    kind: str, keys: frozenset[str]
) -> tuple[list[str], list[tuple[str, Callable[..., Any]]], list[str], list[str]]:
    """What the keys of a source of ``kind`` ask for, worked out once per set of keys: the
    keys that are not its fields, and the fields to convert (numbers, whole numbers, texts)
    and then to check as non-negative and as fractions, each in the order of the checks."""
    given = sorted(_CONVERT.keys() & keys, key=_ORDER.__getitem__)
    return (
        sorted(keys - _ALLOWED[kind]),
        [(key, _CONVERT[key]) for key in given],
        [key for key in given if key in _NON_NEGATIVE],
        [key for key in given if key in _FRACTIONS],
    )


def _flows(check: _Checker, where: str, field: str, value: Any) -> tuple[Flow, ...]:
    flows = []
    for index, item in enumerate(check.items(where, field, value)):
        name = f"{field}[{index}]"
        data = check.mapping(where, name, item)
        unknown = set(data) - {"name", "material", "quantity", "unit", "carbon_fraction"}
        for key in sorted(unknown):
            check.add(where, f"{name}.{key}", data[key], Message("is not a field of a flow"))
        quantity = check.number(where, f"{name}.quantity", data.get("quantity"))
        fraction = check.number(where, f"{name}.carbon_fraction", data.get("carbon_fraction"))
        unit = check.text(where, f"{name}.unit", data.get("unit"))
        ok = True
        for key, val in (("quantity", quantity), ("carbon_fraction", fraction), ("unit", unit)):
            if val is None and key in data:
                ok = False
            elif val is None:
                check.add(where, f"{name}.{key}", None, Message("is required"))
                ok = False
        if quantity is not None and quantity < 0:
            check.add(where, f"{name}.quantity", quantity, Message("must not be negative"))
            ok = False
        if fraction is not None and not 0 <= fraction <= 1:
            check.add(
                where, f"{name}.carbon_fraction", fraction, Message("must be between 0 and 1")
            )
            ok = False
        if ok and quantity is not None and fraction is not None and unit is not None:
            label = str(data.get("name") or data.get("material") or name)
            flows.append(Flow(label, quantity, unit, fraction))
    return tuple(flows)


_WHERE = {"source": N_("source %(id)s"), "instrument": N_("instrument %(id)s")}
_NEEDS_ID = {
    "source": N_("every source needs an id"),
    "instrument": N_("every instrument needs an id"),
}


def _entry(
    check: _Checker, label: str, index: int, raw: Any
) -> tuple[dict[str, Any], str | None, str]:
    """An entry of a list of sources or instruments: its fields, its id, and where it is."""
    data = check.mapping(f"{label}s[{index}]", label, raw)
    entry_id = check.text(f"{label}s[{index}]", "id", data.get("id")) if data else None
    where = Message(_WHERE[label], id=entry_id) if entry_id else f"{label}s[{index}]"
    if data and not entry_id:
        check.add(where, "id", data.get("id"), Message(_NEEDS_ID[label]))
    return data, entry_id, where


def _source(check: _Checker, index: int, raw: Any) -> Source | None:
    data, source_id, where = _entry(check, "source", index, raw)
    if not data:
        return None
    kind = data.get("kind")
    if kind not in _FIELDS:
        check.add(where, "kind", kind, one_of(KINDS))
        return None
    unknown, given, non_negative, fractions = _shape(kind, frozenset(data))
    for key in unknown:
        check.add(where, key, data[key], Message("is not a field of a %(kind)s source", kind=kind))
    before = len(check.problems)
    fields: dict[str, Any] = {key: convert(check, where, key, data[key]) for key, convert in given}
    for key in non_negative:
        if fields[key] is not None and fields[key] < 0:
            check.add(where, key, data[key], Message("must not be negative"))
    for key in fractions:
        if fields[key] is not None and not 0 <= fields[key] <= 1:
            check.add(where, key, data[key], Message("must be a fraction between 0 and 1"))
    if fields.get("iso_category") is not None and not 1 <= fields["iso_category"] <= 6:
        check.add(
            where,
            "iso_category",
            data["iso_category"],
            Message("must be an ISO 14064-1 category, 1-6"),
        )
    if kind == "other" and data.get("scope") in (1, 2) and "category" in data:
        check.add(
            where,
            "category",
            data["category"],
            Message("a Scope 3 category applies to scope 3 only"),
        )
    mass_balance = kind == "process_mass_balance"
    fugitive_balance = kind == "fugitive" and data.get("method") == "mass_balance"
    if not mass_balance:
        if "unit" not in data:
            check.add(where, "unit", None, Message("is required"))
        if "quantity" not in data and not fugitive_balance:
            check.add(where, "quantity", None, Message("is required"))
    if kind == "fugitive" and data.get("method") not in (None, "top_up", "mass_balance"):
        check.add(where, "method", data.get("method"), Message("must be top_up or mass_balance"))
    required = {
        "fuel_combustion": "fuel",
        "mobile_combustion": "fuel",
        "fugitive": "gas",
    }.get(kind)
    if required and not data.get(required):
        check.add(where, required, None, Message("is required for a %(kind)s source", kind=kind))
    if kind == "process_carbonate" and not data.get("carbonate") and "factor" not in data:
        check.add(
            where, "carbonate", None, Message("a carbonate (e.g. CaCO3) or a factor is required")
        )
    if mass_balance:
        fields["inputs"] = _flows(check, where, "inputs", data.get("inputs"))
        fields["outputs"] = _flows(check, where, "outputs", data.get("outputs"))
        if not fields["inputs"] and "inputs" not in data:
            check.add(
                where, "inputs", None, Message("a mass balance needs at least one input flow")
            )
    if len(check.problems) > before or not source_id:
        return None
    return Source(id=source_id, kind=kind, **fields)


def _instrument(check: _Checker, index: int, raw: Any) -> Instrument | None:
    before = len(check.problems)
    data, instrument_id, where = _entry(check, "instrument", index, raw)
    if not data:
        return None
    allowed = {"id", "kind", "quantity", "unit", "sources", "serial", "vintage"}
    for key in sorted(set(data) - allowed):
        check.add(where, key, data[key], Message("is not a field of an instrument"))
    kind = data.get("kind")
    if kind not in _INSTRUMENT_KINDS:
        check.add(where, "kind", kind, one_of(_INSTRUMENT_KINDS))
    quantity = check.number(where, "quantity", data.get("quantity"))
    if quantity is None and "quantity" not in data:
        check.add(where, "quantity", None, Message("is required"))
    elif quantity is not None and quantity < 0:
        check.add(where, "quantity", quantity, Message("must not be negative"))
    unit = check.text(where, "unit", data.get("unit"))
    if unit is None:
        check.add(where, "unit", None, Message("is required (MWh, kWh or certificates)"))
    sources = [
        check.text(where, "sources", s) for s in check.items(where, "sources", data.get("sources"))
    ]
    if len(check.problems) > before:
        return None
    assert instrument_id and quantity is not None and unit is not None
    return Instrument(
        id=instrument_id,
        kind=kind,
        quantity=quantity,
        unit=unit,
        sources=tuple(s for s in sources if s),
        serial=str(data.get("serial") or ""),
        vintage=str(data.get("vintage") or ""),
    )


def _production(check: _Checker, index: int, raw: Any) -> Production | None:
    where = f"production[{index}]"
    data = check.mapping(where, "production", raw)
    for key in sorted(set(data) - {"name", "product", "quantity", "unit"}):
        check.add(where, key, data[key], Message("is not a field of a production entry"))
    quantity = check.number(where, "quantity", data.get("quantity"))
    unit = check.text(where, "unit", data.get("unit"))
    name = check.text(where, "name", data.get("name") or data.get("product"))
    if quantity is None or unit is None or not name:
        if not name:
            check.add(where, "name", None, Message("is required (the product or 'output value')"))
        if quantity is None and "quantity" not in data:
            check.add(where, "quantity", None, Message("is required"))
        if unit is None:
            check.add(where, "unit", None, Message("is required"))
        return None
    if quantity <= 0:
        check.add(where, "quantity", quantity, Message("must be positive"))
        return None
    return Production(name, quantity, unit)


def parse_calc_document(
    document: Any, *, base_dir: Path | None = None, library: FactorLibrary | None = None
) -> tuple[InventoryInput, FactorLibrary]:
    """Check a parsed calc document and build the engine's input and factor library.

    Parameters
    ----------
    document : mapping
        The YAML/JSON document.
    base_dir : Path, optional
        Directory that relative ``factor_files`` paths are read from.
    library : FactorLibrary, optional
        The library to extend with custom sets (default: the shipped one).

    Raises
    ------
    InputError
        With every problem found.
    """
    check = _Checker()
    if not isinstance(document, dict):
        raise InputError(
            InputProblem(
                Message("document"), Message("(top level)"), None, Message("must be a mapping")
            )
        )
    for key in sorted(set(document) - _TOP):
        check.add(
            _TOP_LEVEL,
            key,
            document[key],
            Message("is not a field; known: %(known)s", known=", ".join(sorted(_TOP))),
        )

    facility = check.mapping(_TOP_LEVEL, "facility", document.get("facility"))
    name = check.text(_FACILITY, "name", facility.get("name")) or ""
    if not name:
        check.add(_FACILITY, "name", None, Message("is required"))
    region = check.text(_FACILITY, "region", facility.get("region"))
    for key in sorted(set(facility) - {"name", "region"}):
        check.add(
            _FACILITY, key, facility[key], Message("is not a field of facility (name, region)")
        )
    if region:
        try:
            resolve_region(region)
        except UnknownRegionError as exc:
            check.add(_FACILITY, "region", region, exc.message)

    period = check.mapping(_TOP_LEVEL, "period", document.get("period"))
    start = check.day(_PERIOD, "start", period.get("start"))
    end = check.day(_PERIOD, "end", period.get("end"))
    if start and end and end < start:
        check.add(
            _PERIOD,
            "end",
            end.isoformat(),
            Message("is before the start %(start)s", start=start.isoformat()),
        )

    gwp = str(document.get("gwp", "AR5"))
    if gwp.upper() not in GWP_SETS:
        check.add(_TOP_LEVEL, "gwp", gwp, one_of(GWP_SETS))
    year = check.integer(
        _TOP_LEVEL, "electricity_factor_year", document.get("electricity_factor_year")
    )

    sources: list[Source] = []
    seen: dict[str, int] = {}
    raw_sources = check.items(_TOP_LEVEL, "sources", document.get("sources"))
    if not raw_sources and isinstance(document.get("sources"), list | None):
        check.add(
            _TOP_LEVEL,
            "sources",
            document.get("sources"),
            Message("at least one source is required"),
        )
    for index, raw in enumerate(raw_sources):
        source = _source(check, index, raw)
        if source is None:
            continue
        if source.id in seen:
            check.add(
                Message("source %(id)s", id=source.id),
                "id",
                source.id,
                Message(
                    "duplicates the id of sources[%(index)d]; ids must be unique",
                    index=seen[source.id],
                ),
            )
            continue
        seen[source.id] = index
        sources.append(source)

    instruments: list[Instrument] = []
    instrument_ids: set[str] = set()
    for index, raw in enumerate(
        check.items(_TOP_LEVEL, "instruments", document.get("instruments"))
    ):
        instrument = _instrument(check, index, raw)
        if instrument is None:
            continue
        if instrument.id in instrument_ids:
            check.add(
                Message("instrument %(id)s", id=instrument.id),
                "id",
                instrument.id,
                Message("duplicates another id"),
            )
            continue
        instrument_ids.add(instrument.id)
        instruments.append(instrument)

    production = [
        item
        for index, raw in enumerate(
            check.items(_TOP_LEVEL, "production", document.get("production"))
        )
        if (item := _production(check, index, raw)) is not None
    ]

    factor_sets = {
        str(k): str(v)
        for k, v in check.mapping(_TOP_LEVEL, "factor_sets", document.get("factor_sets")).items()
    }
    library = library or shipped_library()
    extra = []
    for raw in check.items(_TOP_LEVEL, "factor_files", document.get("factor_files")):
        path = Path(str(raw))
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        try:
            extra += read_factor_file(path)
        except InputError as exc:
            check.problems += exc.problems
    if extra:
        try:
            library = library.with_sets(extra)
        except ValueError as exc:
            check.add(_TOP_LEVEL, "factor_files", None, exc.args[0])
    known_sets = {s.set_id: s.family for s in library}
    for family, set_id in factor_sets.items():
        if family not in FAMILIES:
            check.add(
                "factor_sets",
                family,
                set_id,
                Message("is not a family; known: %(known)s", known=", ".join(FAMILIES)),
            )
        elif set_id not in known_sets:
            check.add(
                "factor_sets",
                family,
                set_id,
                Message("is not a known factor set (lingtan factors list)"),
            )
        elif known_sets[set_id] != family:
            check.add(
                "factor_sets",
                family,
                set_id,
                Message(
                    "holds %(set_family)s factors, not %(family)s",
                    set_family=known_sets[set_id],
                    family=family,
                ),
            )
    if year is not None and "electricity" in factor_sets:
        check.add(
            _TOP_LEVEL,
            "electricity_factor_year",
            year,
            Message(
                "factor_sets.electricity already chooses the electricity set: give one of the two"
            ),
        )
    for source in sources:
        if source.factor_set and source.factor_set not in known_sets:
            check.add(
                Message("source %(id)s", id=source.id),
                "factor_set",
                source.factor_set,
                Message("is not a known factor set"),
            )

    residual = document.get("residual_factor")
    residual_value, residual_unit = None, "tCO2/MWh"
    if isinstance(residual, dict):
        residual_value = check.number(_TOP_LEVEL, "residual_factor.value", residual.get("value"))
        residual_unit = str(residual.get("unit") or residual_unit)
    elif residual is not None:
        residual_value = check.number(_TOP_LEVEL, "residual_factor", residual)
    if residual_value is not None and residual_value < 0:
        check.add(_TOP_LEVEL, "residual_factor", residual_value, Message("must not be negative"))
    try:
        conversion_factor(residual_unit, "tCO2/MWh")
    except UnitError as exc:
        check.add(_TOP_LEVEL, "residual_factor.unit", residual_unit, exc.message)
        residual_value = None

    basis = str(document.get("electricity_tce_basis", "equivalent"))
    if basis not in ("equivalent", "equal_value"):
        check.add(
            _TOP_LEVEL, "electricity_tce_basis", basis, Message("must be equivalent or equal_value")
        )
    supply = check.number(
        _TOP_LEVEL, "supply_coal_gce_per_kwh", document.get("supply_coal_gce_per_kwh")
    )
    if basis == "equal_value" and (supply is None or supply <= 0):
        check.add(
            _TOP_LEVEL,
            "supply_coal_gce_per_kwh",
            supply,
            Message("the equal_value basis needs the supply coal consumption in gce/kWh"),
        )

    biomass_in_total = document.get("biomass_non_co2_in_total", False)
    if not isinstance(biomass_in_total, bool):
        check.add(
            _TOP_LEVEL,
            "biomass_non_co2_in_total",
            biomass_in_total,
            Message("must be true or false"),
        )
        biomass_in_total = False

    options: dict[str, Any] = {
        "facility_name": name,
        "region": region,
        "gwp": gwp.upper(),
        "electricity_factor_year": year,
        "production": tuple(production),
        "factor_sets": MappingProxyType(factor_sets),
        "residual_factor": residual_value,
        "residual_factor_unit": residual_unit,
        "electricity_tce_basis": basis,
        "supply_coal_gce_per_kwh": supply,
        "biomass_non_co2_in_total": biomass_in_total,
    }
    if check.problems:
        _precheck_sources(check, options, sources, start, end, library)
        raise InputError(check.problems)
    assert start is not None and end is not None
    inventory = InventoryInput(
        period_start=start,
        period_end=end,
        sources=tuple(sources),
        instruments=tuple(instruments),
        **options,
    )
    return inventory, library


def _precheck_sources(
    check: _Checker,
    options: dict[str, Any],
    sources: list[Source],
    start: date | None,
    end: date | None,
    library: FactorLibrary,
) -> None:
    """Add what the engine would refuse in the sources that did parse, so that one run lists
    every problem. Options already reported as wrong are replaced by neutral values so that
    their problems are not reported again through every source; instruments wait, as they
    depend on sources that may have been dropped."""
    if not sources or start is None or end is None:
        return
    reported = {problem.field.split(".")[0] for problem in check.problems}
    draft = dict(options)
    if "region" in reported:
        draft["region"] = "CN"
    if "gwp" in reported:
        draft["gwp"] = "AR5"
    if reported & {"factor_sets", "factor_files"}:
        draft["factor_sets"] = MappingProxyType({})
    if "electricity_factor_year" in reported:
        draft["electricity_factor_year"] = None
    if reported & {"electricity_tce_basis", "supply_coal_gce_per_kwh"}:
        draft["electricity_tce_basis"], draft["supply_coal_gce_per_kwh"] = "equivalent", None
    inventory = InventoryInput(
        period_start=min(start, end), period_end=end, sources=tuple(sources), **draft
    )
    try:
        compute_inventory(inventory, library)
    except InputError as exc:
        check.problems += exc.problems


def load_calc_file(path: str | Path) -> tuple[InventoryInput, FactorLibrary]:
    """Read a calc file (``.yaml``, ``.yml`` or ``.json``) and check it.

    Raises
    ------
    InputError
        If the file cannot be read or parsed, or any field is wrong; the error names the file.
    """
    path = Path(path)
    origin = str(path)
    text = read_text_file(path, encoding="utf-8")
    try:
        document = (
            _read_json(text, origin) if path.suffix.lower() == ".json" else parse_yaml(text, origin)
        )
    except json.JSONDecodeError as exc:
        raise InputError(
            InputProblem(
                origin,
                "file",
                None,
                Message(
                    "is not valid %(format)s: %(detail)s",
                    format=path.suffix[1:].upper() or "YAML",
                    detail=str(exc),
                ),
            ),
            origin=origin,
        ) from None
    try:
        return parse_calc_document(document, base_dir=path.parent)
    except InputError as exc:
        raise InputError(exc.problems, origin=origin) from None
