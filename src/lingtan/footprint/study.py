"""The goal and scope of a product carbon footprint study (GB/T 24067-2024 / ISO 14067:2018).

A *study file* (YAML) states what the footprint is of and how it is made: the product and its
declared or functional unit, the system boundary and life-cycle stages, the cut-off rule, the
allocation procedure and key, the electricity method, the GWP set, the period, the data
quality (pedigree scores) and which nodes of the metering tree are the product's lines.
:func:`read_study_file` checks every field and refuses the whole file with
:class:`lingtan.errors.InputError`, each problem naming the file, the field, the value and the
rule; docs/footprint-study.md documents every field (``FIELDS``, tested).

The study is plain data: the foreground is built from it and the store by
:func:`lingtan.services.footprint.build_product_system`.

References
----------
.. [1] GB/T 24067-2024 《温室气体 产品碳足迹 量化要求和指南》 / ISO 14067:2018 §6.3 (goal and
   scope: functional or declared unit, system boundary, cut-off criteria, data quality),
   §6.4.6 (allocation), §6.4.9.4 (electricity).
.. [2] ISO 14044:2006 §4.3.4.2: the allocation hierarchy — avoid it by subdivision or system
   expansion; else partition by a physical relationship; else by another relationship such
   as economic value.
.. [3] Weidema B. P., Wesnæs M. S., "Data quality management for life cycle inventories — an
   example of using data quality indicators", J. Cleaner Production 4 (1996) 167-174: the
   pedigree matrix (scores 1 best to 5 worst).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from lingtan.accounting.engine import GWP_SETS as ENGINE_GWP_SETS
from lingtan.errors import InputError, InputProblem, one_of, read_text_file
from lingtan.footprint.model import STAGES
from lingtan.i18n import Message
from lingtan.units import UnitError, conversion_factor, parse_unit
from lingtan.yamlinput import parse_yaml

__all__ = [
    "ALLOCATION_KEYS",
    "BOUNDARIES",
    "ELECTRICITY_METHODS",
    "FIELDS",
    "GWP_SETS",
    "PEDIGREE_INDICATORS",
    "Allocation",
    "FacilityEnergyRule",
    "Line",
    "PactFields",
    "Study",
    "read_study_file",
    "read_study_text",
]

#: System boundaries: a full CFP is cradle to grave; a partial CFP cradle to gate
#: (GB/T 24067-2024 §3, 产品部分碳足迹).
BOUNDARIES = {
    "cradle_to_gate": ("raw_materials", "production"),
    "cradle_to_grave": STAGES,
}
#: Allocation keys by rank of ISO 14044 §4.3.4.2: physical relationships, then economic.
ALLOCATION_KEYS = {
    "mass": "physical",
    "energy": "physical",
    "units": "physical",
    "machine_hours": "physical",
    "economic": "economic",
}
#: Keys whose value is per unit of product (times its output); ``machine_hours`` are given
#: per line and product for the period.
PER_UNIT_KEYS = ("mass", "energy", "economic")
#: A URN as PACT's ids are (RFC 8141; the v3 schema's pattern).
_URN = re.compile(r"^[uU][rR][nN]:\S+$")
ELECTRICITY_METHODS = ("location", "market")
#: The IPCC GWP-100 sets of the factor library.
GWP_SETS = tuple(ENGINE_GWP_SETS)
#: The pedigree matrix's indicators, each scored 1 (best) to 5 (worst).
PEDIGREE_INDICATORS = ("reliability", "completeness", "temporal", "geographical", "technological")
#: The kinds of data a study scores: the lineage kinds of :class:`lingtan.footprint.model.Source`.
DATA_KINDS = ("meter", "inventory", "bom", "dataset", "supplier", "transport")
#: Lineage kinds that are primary (site-specific) data (ISO 14067 §6.3.5).
PRIMARY_KINDS = ("meter", "inventory", "production", "bom")

#: The optional ``pact`` section: what a PACT v3 ProductFootprint of the study's result needs
#: beyond it (``lingtan pact publish-study``; docs/footprint-pact.md).
PACT_FIELDS = (
    "product_ids",
    "company_ids",
    "product_name",
    "product_description",
    "product_classifications",
    "declared_unit",
    "declared_unit_amount",
    "mass_per_declared_unit_kg",
    "carbon_content_kgc",
    "biogenic_carbon_content_kgc",
    "exempted_emissions_pct",
)
#: PACT's declared units and the unit of lingtan's each is, tried in this order when the
#: study's ``unit.unit`` converts to it (``pact.declared_unit`` names one otherwise).
PACT_UNITS = (
    ("kilowatt hour", "kWh"),
    ("kilogram", "kg"),
    ("cubic meter", "m**3"),
    ("square meter", "m**2"),
    ("ton kilometer", "t*km"),
    ("hour", "h"),
)

#: Every field of the study file, per section (``None``: top level); docs/footprint-study.md
#: lists them all (tests/test_footprint_study.py checks).
FIELDS: dict[str | None, tuple[str, ...]] = {
    None: (
        "name",
        "goal",
        "facility",
        "product",
        "unit",
        "boundary",
        "stages",
        "period",
        "cut_off",
        "allocation",
        "electricity",
        "gwp",
        "data_quality",
        "lines",
        "facility_energy",
        "suppliers",
        "pact",
        "battery",
        "cbam",
    ),
    "goal": ("application", "reasons", "audience"),
    "unit": ("kind", "quantity", "unit", "description"),
    "period": ("start", "end"),
    "cut_off": ("rule", "mass_pct", "excluded"),
    "allocation": ("key", "values", "value_unit", "reason"),
    "electricity": ("method",),
    "lines": ("node", "products", "sources", "machine_hours"),
    "facility_energy": ("nodes", "meters", "sources", "rule"),
    "pact": PACT_FIELDS,
}
#: Rules for the facility's other energy and emissions: ``key`` spreads them over every product
#: the facility made in the period by the study's allocation key.
FACILITY_RULES = ("key",)


@dataclass(frozen=True)
class Allocation:
    """The allocation key (ISO 14044 §4.3.4.2) applied where a line makes several products.

    ``values`` is the key per unit of each product (``mass`` [kg], ``energy`` [kWh or MJ],
    ``economic`` [CNY], all in ``value_unit``); ``units`` needs none (the output itself) and
    ``machine_hours`` are given per line. ``procedure`` is ``physical`` or ``economic``;
    an economic key needs the ``reason`` a physical relationship cannot be used.
    """

    key: str
    procedure: str
    values: dict[str, float] = field(default_factory=dict)
    value_unit: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Line:
    """A node of the metering tree whose energy is shared by the products made on it;
    ``sources`` are the inventory's emission sources at that line (allocated the same way)."""

    node: str
    products: tuple[str, ...]
    sources: tuple[str, ...] = ()
    machine_hours: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class FacilityEnergyRule:
    """The facility's other energy (utilities, buildings: the nodes and meters named) and the
    other sources of the inventory, spread over all its products by ``rule``."""

    nodes: tuple[str, ...] = ()
    meters: tuple[str, ...] = ()
    sources: str = "rest"  # "rest": every inventory source not at a line; "none"
    rule: str = "key"


@dataclass(frozen=True)
class PactFields:
    """The study's ``pact`` section: the product's and company's ids (URNs, RFC 8141), its
    name, the declared unit in PACT's terms where the study's unit does not give it, the
    product's mass and carbon content per declared unit [kg, kg C] and the share of the
    emissions the cut-off leaves out [%]. All optional here; a footprint published over PACT
    needs the ids, the name, the mass, the carbon content and the exempted share
    (:meth:`Study.pact_declared_unit`, ``lingtan pact publish-study``)."""

    product_ids: tuple[str, ...] = ()
    company_ids: tuple[str, ...] = ()
    product_name: str | None = None
    product_description: str | None = None
    product_classifications: tuple[str, ...] = ()
    declared_unit: str | None = None
    declared_unit_amount: float | None = None
    mass_per_declared_unit_kg: float | None = None
    carbon_content_kgc: float | None = None
    biogenic_carbon_content_kgc: float | None = None
    exempted_emissions_pct: float | None = None


@dataclass(frozen=True)
class Study:
    """A checked study file (see the module documentation and docs/footprint-study.md)."""

    name: str
    product: str
    unit_kind: str  # declared | functional
    unit_quantity: float
    unit: str
    boundary: str
    stages: tuple[str, ...]
    period_start: date
    period_end: date  # inclusive, as activity records
    cut_off_rule: str
    allocation: Allocation
    electricity_method: str
    gwp: str
    lines: tuple[Line, ...]
    facility_energy: FacilityEnergyRule
    facility: str | None = None
    unit_description: str = ""
    goal: dict[str, str] = field(default_factory=dict)
    cut_off_mass_pct: float | None = None
    excluded: tuple[dict[str, str], ...] = ()
    data_quality: dict[str, dict[str, int]] = field(default_factory=dict)
    suppliers: Path | None = None
    pact: PactFields = field(default_factory=PactFields)
    origin: str = ""
    #: A battery declaration file (``lingtan footprint battery``) whose footprint this study
    #: gives, and a CBAM communication file of the installation (added with issue 15's
    #: declarations on the screens, optional).
    battery: Path | None = None
    cbam: Path | None = None

    @property
    def partial(self) -> bool:
        """A partial CFP (产品部分碳足迹): the boundary stops at the gate."""
        return self.boundary != "cradle_to_grave"

    def reference_flow(self, product_unit: str) -> float:
        """The output of the product's process that the declared or functional unit is
        [``product_unit``]: ``unit_quantity`` converted from ``unit``; the demand the engine
        solves for. Raises :class:`lingtan.units.UnitError` when the units do not convert."""
        return self.unit_quantity * conversion_factor(self.unit, product_unit)

    def pedigree(self, kind: str) -> dict[str, int] | None:
        """The pedigree scores the study gives data of lineage ``kind``, or None."""
        return self.data_quality.get(kind)

    def pact_declared_unit(self) -> tuple[str, float] | None:
        """PACT's declared unit of measurement and amount for the study's unit: the
        ``pact`` section's when it names them, else the first of :data:`PACT_UNITS` the
        study's unit converts to (1 MWh is 1000 ``kilowatt hour``); None if neither."""
        if self.pact.declared_unit is not None and self.pact.declared_unit_amount is not None:
            return self.pact.declared_unit, self.pact.declared_unit_amount
        for name, unit in PACT_UNITS:
            try:
                return name, self.unit_quantity * conversion_factor(self.unit, unit)
            except UnitError:
                continue
        return None


class _Checker:
    """Collects the problems of one study file."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.problems: list[InputProblem] = []

    def add(self, path: str, value: Any, rule: Message) -> None:
        self.problems.append(InputProblem(self.origin, path, value, rule))

    def known(self, data: dict, section: str | None, prefix: str | None = None) -> None:
        fields = FIELDS[section]
        for key in data:
            if key not in fields:
                path = f"{prefix or section}.{key}" if (prefix or section) else str(key)
                rule = Message("unknown field (known: %(fields)s)", fields=", ".join(fields))
                self.add(path, data[key], rule)

    def mapping(self, data: dict, name: str, *, required: bool = False) -> dict | None:
        value = data.get(name)
        if value is None:
            if required:
                self.add(name, None, Message("is required"))
            return None
        if not isinstance(value, dict):
            self.add(name, value, Message("must be a mapping"))
            return None
        self.known(value, name)
        return value

    def text(self, data: dict | None, path: str, key: str, *, required: bool = False):
        value = (data or {}).get(key)
        if value is None or value == "":
            if required:
                self.add(path, value, Message("is required"))
            return None
        if not isinstance(value, str | int) or isinstance(value, bool):
            self.add(path, value, Message("must be text"))
            return None
        return str(value)

    def choice(self, data: dict | None, path: str, key: str, options, *, required: bool = True):
        value = self.text(data, path, key, required=required)
        if value is not None and value not in options:
            self.add(path, value, one_of(options))
            return None
        return value

    def number(self, value: Any, path: str, *, positive: bool = False) -> float | None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.add(path, value, Message("must be a number"))
            return None
        number = float(value)
        if not math.isfinite(number):
            self.add(path, value, Message("must be a finite number"))
        elif positive and number <= 0:
            self.add(path, value, Message("must be above %(limit)g", limit=0))
        elif number < 0:
            self.add(path, value, Message("must not be negative"))
        else:
            return number
        return None

    def day(self, data: dict | None, path: str, key: str) -> date | None:
        value = (data or {}).get(key)
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self.add(path, value, Message("must be a date (YYYY-MM-DD)"))
        return None

    def codes(self, value: Any, path: str, *, required: bool = False) -> tuple[str, ...]:
        if value is None:
            if required:
                self.add(path, None, Message("is required"))
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            self.add(path, value, Message("must be a list of codes"))
            return ()
        if len(set(value)) != len(value):
            self.add(path, value, Message("names a code twice"))
        return tuple(value)


def read_study_file(path: str | Path) -> Study:
    """Read and check a study file.

    Parameters
    ----------
    path
        The YAML file; the ``suppliers``, ``battery`` and ``cbam`` files it names are relative
        to its folder.

    Returns
    -------
    Study

    Raises
    ------
    InputError
        Every problem of the file (file, field, value, rule); nothing is returned partially.
    """
    path = Path(path)
    text = read_text_file(path, path.name)
    return read_study_text(text, path.name, folder=path.parent)


def read_study_text(text: str, origin: str, *, folder: Path | None = None) -> Study:
    """Check a study given as YAML text (``origin`` names it in problems); see
    :func:`read_study_file`."""
    check = _Checker(origin)
    data = parse_yaml(text, origin)
    if not isinstance(data, dict):
        problem = InputProblem(origin, "file", None, Message("must be a mapping"))
        raise InputError(problem, origin=origin)
    check.known(data, None)
    product = check.text(data, "product", "product", required=True)
    goal = check.mapping(data, "goal") or {}
    goal_texts = {k: t for k in FIELDS["goal"] if (t := check.text(goal, f"goal.{k}", k))}
    boundary = check.choice(data, "boundary", "boundary", tuple(BOUNDARIES))
    unit_kind, quantity, unit, description = _unit(check, data, boundary)
    stages = _stages(check, data, boundary)
    start, end = _period(check, data)
    cut_off = check.mapping(data, "cut_off", required=True) or {}
    rule = check.text(cut_off, "cut_off.rule", "rule", required=True)
    mass_pct = None
    if cut_off.get("mass_pct") is not None:
        mass_pct = check.number(cut_off["mass_pct"], "cut_off.mass_pct")
        if mass_pct is not None and mass_pct > 100:
            check.add("cut_off.mass_pct", mass_pct, Message("must be at most %(limit)g", limit=100))
    excluded = _excluded(check, cut_off.get("excluded"))
    allocation = _allocation(check, data)
    electricity = check.mapping(data, "electricity", required=True)
    method = check.choice(electricity, "electricity.method", "method", ELECTRICITY_METHODS)
    gwp = check.text(data, "gwp", "gwp", required=True)
    if gwp is not None and gwp.upper() not in GWP_SETS:
        check.add("gwp", gwp, one_of(GWP_SETS))
    quality = _data_quality(check, data.get("data_quality"))
    lines = _lines(check, data.get("lines"), product, allocation)
    facility_energy = _facility_energy(check, data)
    suppliers, battery, cbam = (
        _beside(check, data, key, folder) for key in ("suppliers", "battery", "cbam")
    )
    pact_fields = _pact(check, data)
    if check.problems:
        raise InputError(check.problems, origin=origin)
    assert product and boundary and unit_kind and unit and start and end and rule
    assert allocation is not None and method and gwp and quantity is not None
    return Study(
        name=str(data.get("name") or product),
        product=product,
        unit_kind=unit_kind,
        unit_quantity=quantity,
        unit=unit,
        boundary=boundary,
        stages=stages,
        period_start=start,
        period_end=end,
        cut_off_rule=rule,
        allocation=allocation,
        electricity_method=method,
        gwp=gwp.upper(),
        lines=lines,
        facility_energy=facility_energy,
        facility=check.text(data, "facility", "facility"),
        unit_description=description or "",
        goal=goal_texts,
        cut_off_mass_pct=mass_pct,
        excluded=excluded,
        data_quality=quality,
        suppliers=suppliers,
        pact=pact_fields,
        origin=origin,
        battery=battery,
        cbam=cbam,
    )


def _beside(check: _Checker, data: dict, key: str, folder: Path | None) -> Path | None:
    """The file the study names at ``key``, relative to the study's folder; None if none."""
    if (name := check.text(data, key, key)) is None:
        return None
    path = (folder or Path(".")) / name
    if not path.is_file():
        check.add(key, name, Message("no such file"))
    return path


def _unit(check: _Checker, data: dict, boundary: str | None):
    section = check.mapping(data, "unit", required=True)
    if section is None:
        return None, None, None, None
    kind = check.choice(section, "unit.kind", "kind", ("declared", "functional"))
    # a full CFP has a functional unit, a partial CFP a declared unit (GB/T 24067 §6.3.3)
    wanted = {"cradle_to_grave": "functional", "cradle_to_gate": "declared"}.get(boundary or "")
    if kind is not None and wanted is not None and kind != wanted:
        rule = Message("a %(boundary)s study has a %(kind)s unit", boundary=boundary, kind=wanted)
        check.add("unit.kind", kind, rule)
    quantity = None
    if "quantity" not in section:
        check.add("unit.quantity", None, Message("is required"))
    else:
        quantity = check.number(section["quantity"], "unit.quantity", positive=True)
    unit = check.text(section, "unit.unit", "unit", required=True)
    if unit is not None:
        try:
            parse_unit(unit)
        except UnitError as error:
            check.add("unit.unit", unit, error.message)
            unit = None
    return kind, quantity, unit, check.text(section, "unit.description", "description")


def _stages(check: _Checker, data: dict, boundary: str | None) -> tuple[str, ...]:
    value = data.get("stages")
    allowed = BOUNDARIES.get(boundary or "", STAGES)
    if value is None:
        return tuple(allowed)
    stages = check.codes(value, "stages")
    for stage in stages:
        if stage not in STAGES:
            check.add("stages", stage, one_of(STAGES))
        elif stage not in allowed:
            rule = Message(
                "is outside the %(boundary)s boundary (stages: %(stages)s)",
                boundary=boundary,
                stages=", ".join(allowed),
            )
            check.add("stages", stage, rule)
    if "production" not in stages and stages:
        check.add("stages", value, Message("must include %(stage)s", stage="production"))
    return tuple(s for s in STAGES if s in stages)


def _period(check: _Checker, data: dict) -> tuple[date | None, date | None]:
    section = check.mapping(data, "period", required=True)
    if section is None:
        return None, None
    start = check.day(section, "period.start", "start")
    end = check.day(section, "period.end", "end")
    if start and end and end < start:
        check.add("period.end", end.isoformat(), Message("must not be before period.start"))
        return None, None
    return start, end


def _excluded(check: _Checker, value: Any) -> tuple[dict[str, str], ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        check.add("cut_off.excluded", value, Message("must be a list"))
        return ()
    out = []
    for i, item in enumerate(value):
        path = f"cut_off.excluded[{i}]"
        if not isinstance(item, dict) or set(item) - {"process", "reason"}:
            check.add(path, item, Message("must be a mapping of process and reason"))
            continue
        process = check.text(item, f"{path}.process", "process", required=True)
        reason = check.text(item, f"{path}.reason", "reason", required=True)
        if process and reason:
            out.append({"process": process, "reason": reason})
    return tuple(out)


def _allocation(check: _Checker, data: dict) -> Allocation | None:
    section = check.mapping(data, "allocation", required=True)
    if section is None:
        return None
    key = check.choice(section, "allocation.key", "key", tuple(ALLOCATION_KEYS))
    values: dict[str, float] = {}
    raw = section.get("values")
    if raw is not None and not isinstance(raw, dict):
        check.add("allocation.values", raw, Message("must be a mapping"))
        raw = None
    for product, value in (raw or {}).items():
        number = check.number(value, f"allocation.values.{product}")
        if number is not None:
            values[str(product)] = number
    value_unit = check.text(section, "allocation.value_unit", "value_unit")
    reason = check.text(section, "allocation.reason", "reason")
    if key in PER_UNIT_KEYS:
        if raw is None:
            rule = Message("is required with the %(key)s key", key=key)
            check.add("allocation.values", None, rule)
        if value_unit is None:
            rule = Message("is required with the %(key)s key", key=key)
            check.add("allocation.value_unit", None, rule)
    elif raw is not None:
        rule = Message("the %(key)s key takes no values per unit", key=key)
        check.add("allocation.values", raw, rule)
    if key == "economic" and reason is None:
        # ISO 14044 §4.3.4.2: economic allocation only where a physical one cannot be used
        rule = Message("an economic key needs the reason a physical relationship cannot be used")
        check.add("allocation.reason", None, rule)
    if key is None:
        return None
    return Allocation(key, ALLOCATION_KEYS[key], values, value_unit, reason)


def _data_quality(check: _Checker, value: Any) -> dict[str, dict[str, int]]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        check.add("data_quality", value, Message("must be a mapping"))
        return {}
    out = {}
    for kind, scores in value.items():
        path = f"data_quality.{kind}"
        if kind not in DATA_KINDS:
            check.add(path, kind, one_of(DATA_KINDS))
            continue
        if not isinstance(scores, dict):
            check.add(path, scores, Message("must be a mapping"))
            continue
        got = {}
        for indicator in PEDIGREE_INDICATORS:
            score = scores.get(indicator)
            if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
                rule = Message("must be a pedigree score, a whole number from 1 to 5")
                check.add(f"{path}.{indicator}", score, rule)
            else:
                got[indicator] = score
        for extra in set(scores) - set(PEDIGREE_INDICATORS):
            check.add(f"{path}.{extra}", scores[extra], one_of(PEDIGREE_INDICATORS))
        out[str(kind)] = got
    return out


def _lines(
    check: _Checker, value: Any, product: str | None, allocation: Allocation | None
) -> tuple[Line, ...]:
    if not isinstance(value, list) or not value:
        check.add("lines", value, Message("must be a list of the product's lines"))
        return ()
    out, nodes = [], set()
    for i, item in enumerate(value):
        path = f"lines[{i}]"
        if not isinstance(item, dict):
            check.add(path, item, Message("must be a mapping"))
            continue
        check.known(item, "lines", path)
        node = check.text(item, f"{path}.node", "node", required=True)
        if node in nodes:
            check.add(f"{path}.node", node, Message("names a code twice"))
        nodes.add(node)
        products = check.codes(item.get("products"), f"{path}.products", required=True)
        if product and products and product not in products:
            rule = Message("must include the study's product %(product)s", product=product)
            check.add(f"{path}.products", list(products), rule)
        sources = check.codes(item.get("sources"), f"{path}.sources")
        hours: dict[str, float] = {}
        raw = item.get("machine_hours")
        key = allocation.key if allocation else None
        if key == "machine_hours" and len(products) > 1:
            if not isinstance(raw, dict):
                rule = Message("is required with the %(key)s key", key=key)
                check.add(f"{path}.machine_hours", raw, rule)
            else:
                for name, hours_value in raw.items():
                    got = check.number(hours_value, f"{path}.machine_hours.{name}")
                    if got is not None:
                        hours[str(name)] = got
        elif raw is not None and key != "machine_hours":
            rule = Message("the %(key)s key takes no values per unit", key=key)
            check.add(f"{path}.machine_hours", raw, rule)
        if node and products:
            out.append(Line(node, products, sources, hours))
    return tuple(out)


def _facility_energy(check: _Checker, data: dict) -> FacilityEnergyRule:
    section = check.mapping(data, "facility_energy")
    if section is None:
        return FacilityEnergyRule()
    nodes = check.codes(section.get("nodes"), "facility_energy.nodes")
    meters = check.codes(section.get("meters"), "facility_energy.meters")
    sources = check.choice(
        section, "facility_energy.sources", "sources", ("rest", "none"), required=False
    )
    rule = check.choice(section, "facility_energy.rule", "rule", FACILITY_RULES, required=False)
    return FacilityEnergyRule(nodes, meters, sources or "rest", rule or "key")


def _pact(check: _Checker, data: dict) -> PactFields:
    from lingtan.footprint.pact import DECLARED_UNITS_V3

    section = check.mapping(data, "pact")
    if section is None:
        return PactFields()
    ids = {}
    for key in ("product_ids", "company_ids", "product_classifications"):
        path = f"pact.{key}"
        ids[key] = check.codes(section.get(key), path)
        for value in ids[key]:
            if not _URN.match(value):
                check.add(path, value, Message("must be a URN (urn:…, RFC 8141)"))
    unit = check.choice(
        section, "pact.declared_unit", "declared_unit", DECLARED_UNITS_V3, required=False
    )
    numbers: dict[str, float | None] = {}
    for key in (
        "declared_unit_amount",
        "mass_per_declared_unit_kg",
        "carbon_content_kgc",
        "biogenic_carbon_content_kgc",
        "exempted_emissions_pct",
    ):
        value = section.get(key)
        positive = key == "declared_unit_amount"
        numbers[key] = (
            None if value is None else check.number(value, f"pact.{key}", positive=positive)
        )
    if ("declared_unit" in section) != ("declared_unit_amount" in section):
        missing = "declared_unit_amount" if "declared_unit" in section else "declared_unit"
        check.add(
            f"pact.{missing}",
            None,
            Message("pact.declared_unit and pact.declared_unit_amount go together"),
        )
    exempted = numbers["exempted_emissions_pct"]
    if exempted is not None and exempted > 100:
        rule = Message("must be at most %(limit)g", limit=100)
        check.add("pact.exempted_emissions_pct", exempted, rule)
    total, biogenic = numbers["carbon_content_kgc"], numbers["biogenic_carbon_content_kgc"]
    if total is not None and biogenic is not None and biogenic > total:
        rule = Message("must not exceed pact.carbon_content_kgc (%(total)g)", total=total)
        check.add("pact.biogenic_carbon_content_kgc", biogenic, rule)
    return PactFields(
        product_ids=ids["product_ids"],
        company_ids=ids["company_ids"],
        product_name=check.text(section, "pact.product_name", "product_name"),
        product_description=check.text(section, "pact.product_description", "product_description"),
        product_classifications=ids["product_classifications"],
        declared_unit=unit,
        declared_unit_amount=numbers["declared_unit_amount"],
        mass_per_declared_unit_kg=numbers["mass_per_declared_unit_kg"],
        carbon_content_kgc=total,
        biogenic_carbon_content_kgc=biogenic,
        exempted_emissions_pct=exempted,
    )
