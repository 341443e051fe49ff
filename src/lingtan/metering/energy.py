"""Energy and carbon from meters: virtual meters, totals in tce, balance, budgets, energy flow,
carbon per interval and intensity. Pure functions on plain data: no database, no I/O.

The database layer (:mod:`lingtan.metering.energy_store`) reads the metering tree and the
daily totals and calls these functions.

Virtual meters
--------------
A formula is a linear combination of meter codes: ``E-MAIN - E-A - E-B``,
``0.5*E-X + E-Y``, ``(E-A + E-B) / 2``; ``+ - * /`` and parentheses. Tokenising rule: a
``-`` written between two characters of a word (no space on either side) belongs to the
code, so ``E-MAIN`` is one code; a minus meant as an operator has a space (or a parenthesis or
another operator) on at least one side: ``E-MAIN - E-A``. A word that is not a meter code and
reads as a number (``0.5``, ``1e-3``) is a number. Products and quotients need a number on one
side (``E-A * E-B`` is no energy), and a number may not stand alone as a term.

A virtual meter's estimated part is the estimated energy that entered it, ``sum |c_i| x
estimated_i``; an interval is missing where any of its inputs is missing.

References
----------
GB/T 2589-2020 综合能耗计算通则 (standard coal); GB 17167-2006 用能单位能源计量器具配备和管理通则
(metering tree); GB/T 32150-2015 (emission formulas, through :mod:`lingtan.accounting`).
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from lingtan.accounting.energy import StandardCoal
from lingtan.accounting.engine import compute_inventory
from lingtan.accounting.model import FactorUse, InventoryInput, Source
from lingtan.errors import InputError, InputProblem
from lingtan.factors import FactorLibrary, FactorNotFoundError
from lingtan.i18n import Message
from lingtan.units import UnitError, conversion_factor

__all__ = [
    "BALANCE_THRESHOLD_PCT",
    "INTERVALS_PER_DAY",
    "BalanceRow",
    "BudgetRow",
    "CarbonFactor",
    "Coefficient",
    "DailyTotals",
    "EnergyPart",
    "ForecastRow",
    "FormulaError",
    "MeterInfo",
    "NodeInfo",
    "NodeTotal",
    "balance",
    "budget_check",
    "budget_forecast",
    "carbon_factor",
    "combine_intervals",
    "energy_flow",
    "expand_virtual",
    "intensity",
    "node_energy",
    "node_energy_parts",
    "node_totals",
    "parse_formula",
    "period_totals",
    "straight_line_forecast",
    "tce_coefficient",
    "virtual_daily",
]

#: 15-minute intervals in a local day (China keeps no daylight-saving time).
INTERVALS_PER_DAY = 96
#: Default alert threshold of the energy balance [%].
BALANCE_THRESHOLD_PCT = 5.0
#: Flows whose energy the node consumes (counted in its totals).
CONSUMING_FLOWS = ("use", "supply")
_FUELS = {"natural_gas": "natural_gas", "diesel": "diesel"}
_ELECTRIC = ("electricity", "pv_generation", "exported_power")
_HEAT = ("steam", "hot_water")


# --- Virtual meters -------------------------------------------------------------------------


class FormulaError(ValueError):
    """A formula that cannot be read; ``value`` is the offending token or code."""

    def __init__(self, value: str, rule: Message):
        super().__init__(rule)
        self.value, self.rule = value, rule


_TOKEN = re.compile(r"\s*(?:([+\-*/()])|([^\s+\-*/()]+(?:-[^\s+\-*/()]+)*))")


def _tokens(text: str) -> list[str]:
    tokens, position = [], 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise FormulaError(text[position:], Message("cannot be read"))
        tokens.append(match.group(1) or match.group(2))
        position = match.end()
    return tokens


def parse_formula(text: str, codes: Iterable[str]) -> dict[str, float]:
    """Read a virtual-meter formula into the coefficient of each meter code.

    Parameters
    ----------
    text : str
        E.g. ``"E-MAIN - E-A - E-B"`` or ``"0.5*E-X + E-Y"`` (tokenising rule in the module
        notes).
    codes : iterable of str
        The meter codes that exist.

    Returns
    -------
    dict of str to float
        ``{code: coefficient}``; codes that cancel out keep a coefficient of 0.

    Raises
    ------
    FormulaError
        Naming the unknown code or the token that breaks the grammar.
    """
    known = set(codes)
    tokens = _tokens(text)
    if not tokens:
        raise FormulaError(text, Message("the formula is empty"))
    position = 0

    # A term is (coefficients, constant): exactly one of them is used.
    def peek() -> str | None:
        return tokens[position] if position < len(tokens) else None

    def take() -> str:
        nonlocal position
        position += 1
        return tokens[position - 1]

    def factor() -> tuple[dict[str, float], float | None]:
        token = peek()
        if token is None:
            raise FormulaError(text, Message("ends too early"))
        take()
        if token in "+-" and len(token) == 1:
            coefs, number = factor()
            sign = -1.0 if token == "-" else 1.0
            return _scale(coefs, sign), None if number is None else sign * number
        if token == "(":
            result = expression()
            if peek() != ")":
                raise FormulaError(text, Message("a '(' is not closed"))
            take()
            return result
        if token in ")*/":
            raise FormulaError(token, Message("an operand is expected here"))
        if token in known:
            return {token: 1.0}, None
        try:
            number = float(token)
        except ValueError:
            rule = (
                Message(
                    "no meter has this code (write a minus operator with spaces: 'E-MAIN - E-A')"
                )
                if "-" in token
                else Message("no meter has this code")
            )
            raise FormulaError(token, rule) from None
        if not math.isfinite(number):
            raise FormulaError(token, Message("a finite number is expected"))
        return {}, number

    def term() -> tuple[dict[str, float], float | None]:
        coefs, number = factor()
        while peek() in ("*", "/"):
            operator = take()
            right, right_number = factor()
            if operator == "/":
                if right_number is None:
                    raise FormulaError("/", Message("a meter can only be divided by a number"))
                if right_number == 0:
                    raise FormulaError("/", Message("division by zero"))
                right_number = 1.0 / right_number
            if number is not None and right_number is not None:
                number *= right_number
            elif number is not None:
                coefs, number = _scale(right, number), None
            elif right_number is not None:
                coefs = _scale(coefs, right_number)
            else:
                raise FormulaError("*", Message("a product of two meters is no energy"))
        return coefs, number

    def expression() -> tuple[dict[str, float], float | None]:
        coefs, number = term()
        while peek() in ("+", "-"):
            sign = -1.0 if take() == "-" else 1.0
            right, right_number = term()
            if number is not None or right_number is not None:
                raise FormulaError(text, Message("a number cannot stand alone as a term"))
            for code, value in right.items():
                coefs[code] = coefs.get(code, 0.0) + sign * value
        return coefs, number

    coefs, number = expression()
    if position != len(tokens):
        raise FormulaError(tokens[position], Message("unexpected here"))
    if number is not None:
        raise FormulaError(text, Message("the formula names no meter"))
    return coefs


def _scale(coefs: dict[str, float], by: float) -> dict[str, float]:
    return {code: value * by for code, value in coefs.items()}


@dataclass(frozen=True)
class NodeInfo:
    """A node of the metering tree: code, parent code, level (facility, building, workshop,
    line, equipment) and name."""

    code: str
    parent: str | None = None
    level: str = "equipment"
    name: str = ""


@dataclass(frozen=True)
class MeterInfo:
    """A meter as the calculations need it: code, node code, energy type, unit, flow role
    (``METER_FLOWS``) and the formula of a virtual meter.

    In totals, balance and energy flow a ``pv_generation`` meter is electricity generation and
    an ``exported_power`` meter electricity export, whatever its ``flow``.
    """

    code: str
    energy_type: str
    unit: str
    node: str | None = None
    flow: str = "use"
    formula: str | None = None

    @property
    def carrier(self) -> str:
        """The energy type as it flows: PV generation and exported power are electricity."""
        return "electricity" if self.energy_type in _ELECTRIC else self.energy_type

    @property
    def role(self) -> str:
        """The flow, where a PV meter is always ``generation`` and an export meter ``export``."""
        return {"pv_generation": "generation", "exported_power": "export"}.get(
            self.energy_type, self.flow
        )


def expand_virtual(meters: Mapping[str, MeterInfo]) -> dict[str, dict[str, float]]:
    """The physical meters behind every virtual meter, with their coefficients.

    References to other virtual meters are expanded; a referenced meter in another unit of
    the same quantity (MWh in a kWh formula) is converted.

    Returns
    -------
    dict
        ``{virtual code: {physical code: coefficient}}``.

    Raises
    ------
    InputError
        One problem per fault, naming the virtual meter and the code: unreadable formula,
        unknown code, self-reference, a cycle between virtual meters, a meter of another
        energy type or of a unit that does not convert.
    """
    problems: list[InputProblem] = []
    direct: dict[str, dict[str, float]] = {}
    for code, meter in meters.items():
        if not meter.formula:
            continue
        where = Message("meter %(code)s", code=code)
        try:
            coefs = parse_formula(meter.formula, meters)
        except FormulaError as error:
            problems.append(InputProblem(where, "formula", error.value, error.rule))
            continue
        if code in coefs:
            problems.append(
                InputProblem(where, "formula", code, Message("a meter cannot refer to itself"))
            )
            continue
        scaled: dict[str, float] = {}
        for ref, value in coefs.items():
            other = meters[ref]
            if other.energy_type != meter.energy_type:
                problems.append(
                    InputProblem(
                        where,
                        "formula",
                        ref,
                        Message(
                            "is %(energy_type)s, the virtual meter %(meter_type)s",
                            energy_type=other.energy_type,
                            meter_type=meter.energy_type,
                        ),
                    )
                )
                continue
            try:
                scaled[ref] = value * conversion_factor(other.unit, meter.unit)
            except UnitError:
                problems.append(
                    InputProblem(
                        where,
                        "formula",
                        ref,
                        Message(
                            "its unit %(unit)r does not convert to %(own)r",
                            unit=other.unit,
                            own=meter.unit,
                        ),
                    )
                )
        direct[code] = scaled
    expanded: dict[str, dict[str, float]] = {}

    def expand(code: str, path: tuple[str, ...]) -> dict[str, float]:
        if code in expanded:
            return expanded[code]
        result: dict[str, float] = defaultdict(float)
        for ref, value in direct[code].items():
            if ref in path:
                cycle = " -> ".join((*path[path.index(ref) :], ref))
                # named: the code in the outermost formula that leads into the cycle
                named = path[1] if len(path) > 1 else ref
                rule = Message(
                    "virtual meters refer to each other in a cycle: %(cycle)s", cycle=cycle
                )
                raise FormulaError(named, rule)
            if ref in direct:
                for leaf, inner in expand(ref, (*path, ref)).items():
                    result[leaf] += value * inner
            else:
                result[ref] += value
        expanded[code] = dict(result)
        return expanded[code]

    for code in direct:
        try:
            expand(code, (code,))
        except FormulaError as error:
            where = Message("meter %(code)s", code=code)
            problems.append(InputProblem(where, "formula", error.value, error.rule))
    if problems:
        raise InputError(problems)
    return expanded


@dataclass(frozen=True)
class DailyTotals:
    """Daily totals per meter over consecutive local days.

    Attributes
    ----------
    days : numpy.ndarray of datetime64[D]
        Local days.
    energy, estimated : dict of str to numpy.ndarray of float64
        Per meter code: energy per day [meter unit] (known intervals only) and its estimated
        part [meter unit]; 0 on a day with no data.
    missing : dict of str to numpy.ndarray of int64
        Per meter code: intervals of the day with no energy (96 on a day with no data).
    """

    days: np.ndarray
    energy: dict[str, np.ndarray]
    estimated: dict[str, np.ndarray]
    missing: dict[str, np.ndarray]


def virtual_daily(
    coefs: Mapping[str, float], daily: DailyTotals
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Daily totals of a virtual meter from its physical meters' (:func:`expand_virtual`).

    Returns
    -------
    energy, estimated : numpy.ndarray of float64
        ``sum c_i x E_i`` and ``sum |c_i| x estimated_i`` [virtual meter unit].
    missing : numpy.ndarray of int64
        ``min(96, sum missing_i)``: an upper bound, since a daily total does not say which
        intervals were missing; 0 only when every input is complete.
    """
    n = len(daily.days)
    energy, estimated = np.zeros(n), np.zeros(n)
    missing = np.zeros(n, np.int64)
    for code, c in coefs.items():
        energy += c * daily.energy[code]
        estimated += abs(c) * daily.estimated[code]
        missing += daily.missing[code]
    return energy, estimated, np.minimum(missing, INTERVALS_PER_DAY)


def combine_intervals(
    coefs: Mapping[str, float],
    energy: Mapping[str, np.ndarray],
    quality: Mapping[str, np.ndarray],
    estimated_flag: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """15-minute intervals of a virtual meter from its physical meters' intervals.

    Parameters
    ----------
    coefs
        From :func:`expand_virtual`.
    energy, quality
        Per physical meter: interval energy [unit], NaN where unknown, and the
        :class:`~lingtan.metering.intervals.Quality` flags, on the same grid.
    estimated_flag
        The value of ``Quality.ESTIMATED``.

    Returns
    -------
    energy : numpy.ndarray of float64
        ``sum c_i x E_i``; NaN where any input is NaN (missing input, missing output).
    estimated : numpy.ndarray of float64
        ``sum |c_i| x E_i`` over the inputs flagged estimated.
    quality : numpy.ndarray of uint8
        The worst (highest) flag of the inputs, interval by interval.
    """
    codes = list(coefs)
    out = np.zeros(len(energy[codes[0]]))
    estimated = np.zeros_like(out)
    worst = np.zeros(len(out), np.uint8)
    for code in codes:
        out = out + coefs[code] * energy[code]
        estimated += np.where(quality[code] == estimated_flag, abs(coefs[code]) * energy[code], 0)
        worst = np.maximum(worst, quality[code])
    return out, estimated, worst


# --- Standard coal and carbon per meter unit ------------------------------------------------


@dataclass(frozen=True)
class Coefficient:
    """A per-unit coefficient of a meter: tce or tCO2 per meter unit, or None with the reason.

    ``uses`` are the factor-library rows (and rules) that made it.
    """

    value: float | None
    unit: str
    uses: tuple[FactorUse, ...] = ()
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "unit": self.unit,
            "note": self.note,
            "factors": [use.as_dict() for use in self.uses],
        }


def tce_coefficient(meter: MeterInfo, coal: StandardCoal) -> Coefficient:
    """Standard coal per meter unit [tce/unit] of a meter, via
    :meth:`~lingtan.accounting.energy.StandardCoal.carrier_tce` on one unit.

    Electricity (also PV generation and export) converts at the chosen electricity
    coefficient, natural gas and diesel by their reference NCV, steam and hot water as heat
    when the meter counts heat (GJ, MJ, kWh...). Steam or hot water by mass, water and
    compressed air get None with the reason: the library holds no coefficient for them.
    """
    unit = f"tce/{meter.unit}"
    if meter.energy_type in _ELECTRIC:
        carrier = "electricity"
    elif meter.energy_type in _FUELS:
        carrier = _FUELS[meter.energy_type]
    elif meter.energy_type in _HEAT:
        carrier = "heat"
        try:
            conversion_factor(meter.unit, "GJ")
        except UnitError:
            note = Message(
                "%(energy_type)s metered in %(unit)s, not as heat: its heat content needs the "
                "enthalpy or temperature, so it is not converted",
                energy_type=meter.energy_type,
                unit=meter.unit,
            )
            return Coefficient(None, unit, (), note)
    else:
        note = Message(
            "the factor library has no standard-coal coefficient for %(energy_type)s",
            energy_type=meter.energy_type,
        )
        return Coefficient(None, unit, (), note)
    try:
        value, uses = coal.carrier_tce(carrier, 1.0, meter.unit)
    except UnitError as error:
        note = Message("unit %(unit)s: %(reason)s", unit=meter.unit, reason=error.message)
        return Coefficient(None, unit, (), note)
    return Coefficient(value, unit, uses, Message("as %(carrier)s", carrier=carrier))


@dataclass(frozen=True)
class CarbonFactor(Coefficient):
    """tCO2 per meter unit of a meter, found by running the inventory engine on one unit."""


def carbon_factor(
    meter: MeterInfo, *, region: str, year: int, library: FactorLibrary, made_on_site: bool = False
) -> CarbonFactor:
    """CO2 per meter unit [tCO2/unit] of a meter.

    The inventory engine (:func:`lingtan.accounting.engine.compute_inventory`) computes one
    meter unit of the matching source for ``year`` in ``region``, so the factor is chosen by
    its selection rule: electricity by the location-based grid factor, natural gas and diesel
    as ``FC x NCV x CC x OF x 44/12``, steam and hot water metered as heat by the heat factor.
    PV generation and export carry 0 (no emission at the meter; exports are deducted in the
    inventory); water and compressed air none (their carbon is in the pumps' and compressors'
    electricity); a meter with flow ``generation``, ``export`` or ``output``, or of an energy
    type ``made_on_site`` by a conversion (steam from the own boiler), 0: its carbon is in
    the conversion's fuel or electricity.
    """
    unit = f"tCO2/{meter.unit}"
    if meter.energy_type in ("pv_generation", "exported_power") or (
        meter.flow in ("generation", "export")
    ):
        note = Message(
            "%(energy_type)s (%(flow)s): no emission",
            energy_type=meter.energy_type,
            flow=meter.flow,
        )
        return CarbonFactor(0.0, unit, (), note)
    if meter.flow == "output" or made_on_site:
        note = Message(
            "%(energy_type)s made on site: its carbon is in the conversion's inputs",
            energy_type=meter.energy_type,
        )
        return CarbonFactor(0.0, unit, (), note)
    if meter.energy_type in ("water", "compressed_air"):
        note = Message(
            "%(energy_type)s: its carbon is in the electricity of pumps or compressors",
            energy_type=meter.energy_type,
        )
        return CarbonFactor(None, unit, (), note)
    if meter.energy_type == "electricity":
        source = Source("unit", "purchased_electricity", 1.0, meter.unit, region=region)
    elif meter.energy_type in _FUELS:
        source = Source("unit", "fuel_combustion", 1.0, meter.unit, fuel=_FUELS[meter.energy_type])
    elif meter.energy_type in _HEAT:
        source = Source("unit", "purchased_heat", 1.0, meter.unit, medium="heat")
    else:
        note = Message("no carbon factor for %(energy_type)s", energy_type=meter.energy_type)
        return CarbonFactor(None, unit, (), note)
    inventory = InventoryInput(
        facility_name="unit",
        period_start=date(year, 1, 1),
        period_end=date(year, 12, 31),
        sources=(source,),
        region=region,
    )
    try:
        line = compute_inventory(inventory, library).lines[0]
    except FactorNotFoundError as error:
        return CarbonFactor(None, unit, (), Message("no factor: %(reason)s", reason=error.message))
    except InputError as error:  # one source of one unit: its first problem says why
        first = error.problems[0]
        reason = Message(
            "%(field)s %(value)r: %(rule)s",
            field=first.field,
            value=first.as_dict()["value"],
            rule=first.rule,
        )
        return CarbonFactor(None, unit, (), Message("no factor: %(reason)s", reason=reason))
    # the line also carries its standard-coal coefficients and the market-based residual
    uses = tuple(
        use
        for use in line.factors
        if not (use.factor and use.factor.family == "standard_coal") and "market" not in use.role
    )
    return CarbonFactor(line.co2_t, unit, uses, line.method)


# --- Totals per period and node -------------------------------------------------------------


def _period_key(day: np.datetime64, period: str) -> str:
    text = str(day)
    return {"day": text, "month": text[:7], "year": text[:4]}[period]


@dataclass
class MeterPeriod:
    """One meter over one period: energy [meter unit], estimated part [meter unit], missing
    intervals and days."""

    energy: float = 0.0
    estimated: float = 0.0
    missing: int = 0
    days: int = 0


def period_totals(
    daily: DailyTotals, codes: Iterable[str], period: str
) -> dict[str, dict[str, MeterPeriod]]:
    """Sum daily totals per ``day``, ``month`` (``YYYY-MM``) or ``year``.

    Returns
    -------
    dict
        ``{period key: {meter code: MeterPeriod}}`` in time order.
    """
    if period not in ("day", "month", "year"):
        raise ValueError(f"period {period!r} must be day, month or year")
    keys = [_period_key(day, period) for day in daily.days]
    out: dict[str, dict[str, MeterPeriod]] = {}
    for code in codes:
        energy, estimated, missing = daily.energy[code], daily.estimated[code], daily.missing[code]
        for i, key in enumerate(keys):
            total = out.setdefault(key, {}).setdefault(code, MeterPeriod())
            total.energy += float(energy[i])
            total.estimated += float(estimated[i])
            total.missing += int(missing[i])
            total.days += 1
    return out


@dataclass
class NodeTotal:
    """A node's energy of one type over one period.

    Attributes
    ----------
    energy : float or None
        In ``unit``; None when meters in different quantities (t and GJ of steam) meet.
    tce, tco2 : float or None
        Standard coal [tce] and CO2 [tCO2]; None when a meter in it has no coefficient.
    estimated : float
        The estimated part of ``energy`` [unit].
    missing : int
        Missing 15-minute intervals of the meters in it.
    basis : str
        ``own meters`` or ``children``.
    meters : list of str
        The meters summed (the children's, for a ``children`` total).
    generation, export, output : float
        Energy of the node's own generation, export and conversion-output meters [unit],
        reported apart from its consumption.
    supply_tce, supply_tco2 : float or None
        Standard coal and CO2 of the node's own ``supply`` meters (bought from outside).
    supply, supply_missing : float, int
        Energy [unit] and missing intervals of the node's own ``supply`` meters.
    """

    node: str
    energy_type: str
    unit: str
    energy: float | None = 0.0
    tce: float | None = 0.0
    tco2: float | None = 0.0
    estimated: float = 0.0
    missing: int = 0
    basis: str = "own meters"
    meters: list[str] = field(default_factory=list)
    generation: float = 0.0
    export: float = 0.0
    output: float = 0.0
    output_tce: float | None = 0.0
    supply_tce: float | None = 0.0
    supply_tco2: float | None = 0.0
    supply: float = 0.0
    supply_missing: int = 0
    notes: list[str] = field(default_factory=list)

    def add(
        self,
        other: NodeTotal | None,
        *,
        energy: float,
        tce: float | None,
        tco2: float | None,
        estimated: float,
        missing: int,
        unit: str,
        meter: str | None = None,
    ) -> None:
        try:
            factor = conversion_factor(unit, self.unit)
        except UnitError:
            factor = None
        if self.energy is not None:
            self.energy = None if factor is None else self.energy + energy * factor
        self.estimated += estimated * (factor or 0.0)
        self.tce = None if self.tce is None or tce is None else self.tce + tce
        self.tco2 = None if self.tco2 is None or tco2 is None else self.tco2 + tco2
        self.missing += missing
        if other is not None:
            self.meters += other.meters
            self.notes += [n for n in other.notes if n not in self.notes]
        elif meter is not None:
            self.meters.append(meter)

    def as_dict(self) -> dict[str, Any]:
        return {
            "node": self.node,
            "energy_type": self.energy_type,
            "energy": self.energy,
            "unit": self.unit,
            "energy_tce": self.tce,
            "carbon_tco2": self.tco2,
            "estimated": self.estimated,
            "missing_intervals": self.missing,
            "basis": self.basis,
            "meters": self.meters,
            "generation": self.generation,
            "export": self.export,
            "output": self.output,
            "output_tce": self.output_tce,
            "notes": self.notes,
        }


def _children(nodes: Mapping[str, NodeInfo]) -> dict[str | None, list[str]]:
    children: dict[str | None, list[str]] = defaultdict(list)
    for code in sorted(nodes):
        children[nodes[code].parent].append(code)
    return children


def _own_breakdown(meters: Mapping[str, MeterInfo], expanded: Mapping[str, Mapping[str, float]]):
    """Virtual meters that draw on a meter of their own node: a breakdown of that node (e.g.
    ``rest = MAIN - A``), not added to its total."""
    return {
        code
        for code, coefs in expanded.items()
        if any(meters[ref].node == meters[code].node for ref in coefs)
    }


def node_totals(
    nodes: Mapping[str, NodeInfo],
    meters: Mapping[str, MeterInfo],
    values: Mapping[str, MeterPeriod],
    tce: Mapping[str, Coefficient],
    carbon: Mapping[str, Coefficient],
    expanded: Mapping[str, Mapping[str, float]] | None = None,
) -> dict[tuple[str, str], NodeTotal]:
    """Every node's energy per type over one period.

    A meter measures its node's energy of its type. A node's total of a type is the sum of its
    own ``use`` and ``supply`` meters if it has any, else the sum of its children's totals
    (recursively). ``generation``, ``export`` and ``output`` meters are reported apart.

    Parameters
    ----------
    values
        Per meter code (virtual ones included), the period's figures.
    tce, carbon
        Per meter code, :func:`tce_coefficient` and :func:`carbon_factor`.
    expanded
        :func:`expand_virtual`, to leave breakdown meters out of their node's sum.

    Returns
    -------
    dict
        ``{(node code, energy type): NodeTotal}``.
    """
    skip = _own_breakdown(meters, expanded or {})
    own: dict[tuple[str, str], list[str]] = defaultdict(list)
    for code in sorted(meters):
        meter = meters[code]
        if meter.node is not None and code in values:
            own[meter.node, meter.carrier].append(code)
    children = _children(nodes)
    types = sorted({m.carrier for m in meters.values()})
    out: dict[tuple[str, str], NodeTotal] = {}

    def value(code: str, v: float) -> float | None:
        c = tce[code].value
        return None if c is None else v * c

    def carbon_of(code: str, v: float) -> float | None:
        c = carbon[code].value
        return None if c is None else v * c

    def visit(node: str, energy_type: str) -> NodeTotal | None:
        child_totals = [t for c in children[node] if (t := visit(c, energy_type)) is not None]
        codes = own.get((node, energy_type), [])
        consuming = [c for c in codes if meters[c].role in CONSUMING_FLOWS and c not in skip]
        if not codes and not child_totals:
            return None
        unit = meters[(consuming or codes)[0]].unit if codes else child_totals[0].unit
        total = NodeTotal(node, energy_type, unit)
        if consuming:
            for code in consuming:
                p = values[code]
                total.add(
                    None,
                    energy=p.energy,
                    tce=value(code, p.energy),
                    tco2=carbon_of(code, p.energy),
                    estimated=p.estimated,
                    missing=p.missing,
                    unit=meters[code].unit,
                    meter=code,
                )
                for coefficient in (tce[code], carbon[code]):
                    note = coefficient.note
                    if coefficient.value is None and note and note not in total.notes:
                        total.notes.append(note)
        elif child_totals:
            total.basis = "children"
            for child in child_totals:
                if child.energy is None:
                    total.energy = None
                total.add(
                    child,
                    energy=child.energy or 0.0,
                    tce=child.tce,
                    tco2=child.tco2,
                    estimated=child.estimated,
                    missing=child.missing,
                    unit=child.unit,
                )
        else:
            total.basis = "none"
            total.energy, total.tce, total.tco2 = 0.0, 0.0, 0.0
        for code in codes:
            flow = meters[code].role
            if flow == "supply":
                t, c = value(code, values[code].energy), carbon_of(code, values[code].energy)
                s_tce, s_co2 = total.supply_tce, total.supply_tco2
                total.supply_tce = None if t is None or s_tce is None else s_tce + t
                total.supply_tco2 = None if c is None or s_co2 is None else s_co2 + c
                total.supply += values[code].energy * conversion_factor(meters[code].unit, unit)
                total.supply_missing += values[code].missing
            if flow in ("generation", "export", "output"):
                amount = values[code].energy * conversion_factor(meters[code].unit, unit)
                setattr(total, flow, getattr(total, flow) + amount)
                if flow == "output":
                    t = value(code, values[code].energy)
                    total.output_tce = (
                        None if t is None or total.output_tce is None else total.output_tce + t
                    )
        out[node, energy_type] = total
        return total

    for root in children[None]:
        for energy_type in types:
            visit(root, energy_type)
    return out


def _no_tce(energy_type: str) -> Message:
    return Message(
        "%(energy_type)s: no standard-coal coefficient, not in tce", energy_type=energy_type
    )


@dataclass(frozen=True)
class EnergyPart:
    """One energy type's share of a node's energy (:func:`node_energy_parts`).

    ``counted`` is ``consumption`` (the node's total of the type) or ``bought`` (a type made
    inside the node: only what its supply meters buy); ``energy`` [unit] is None when meters
    in different quantities meet; ``tce`` and ``tco2`` None without a coefficient;
    ``missing`` the missing intervals of the meters counted.
    """

    energy_type: str
    counted: str
    energy: float | None
    unit: str
    tce: float | None
    tco2: float | None
    missing: int
    estimated: float


def _sum_known(values: list[float | None]) -> float | None:
    """The sum, or None when any value is unknown."""
    return None if any(v is None for v in values) else sum(v or 0.0 for v in values)


def node_energy_parts(
    node: str,
    nodes: Mapping[str, NodeInfo],
    meters: Mapping[str, MeterInfo],
    totals: Mapping[tuple[str, str], NodeTotal],
) -> list[EnergyPart]:
    """What each energy type adds to a node's energy over one period (see :func:`node_energy`).

    Of an energy type made by a conversion inside the node (steam from its own boiler house)
    only what the node's subtree buys through ``supply`` meters counts (park steam): the part
    made inside is already counted as the conversion's fuel or electricity (GB/T 2589:
    secondary energy made and used inside the unit is not counted again).
    """
    inside = {node}
    frontier = [node]
    while frontier:
        parent = frontier.pop()
        for code, info in nodes.items():
            if info.parent == parent and code not in inside:
                inside.add(code)
                frontier.append(code)
    made = {m.carrier for m in meters.values() if m.role == "output" and m.node in inside}
    parts = []
    for (code, energy_type), total in sorted(totals.items()):
        if code != node:
            continue
        if energy_type not in made:
            parts.append(
                EnergyPart(
                    energy_type,
                    "consumption",
                    total.energy,
                    total.unit,
                    total.tce,
                    total.tco2,
                    total.missing,
                    total.estimated,
                )
            )
            continue
        bought = [totals[n, energy_type] for n in sorted(inside) if (n, energy_type) in totals]
        energy: float | None = 0.0
        for b in (b for b in bought if b.supply):
            try:
                energy = (
                    None
                    if energy is None
                    else energy + b.supply * conversion_factor(b.unit, total.unit)
                )
            except UnitError:
                energy = None
        tce = _sum_known([b.supply_tce for b in bought])
        tco2 = _sum_known([b.supply_tco2 for b in bought])
        missing = sum(b.supply_missing for b in bought)
        parts.append(EnergyPart(energy_type, "bought", energy, total.unit, tce, tco2, missing, 0.0))
    return parts


def node_energy(
    node: str,
    nodes: Mapping[str, NodeInfo],
    meters: Mapping[str, MeterInfo],
    totals: Mapping[tuple[str, str], NodeTotal],
) -> tuple[float | None, float | None, list[str]]:
    """A node's energy [tce] and carbon [tCO2] over all energy types of one period: the sum of
    :func:`node_energy_parts`. Types without a coefficient (water) add nothing and are named
    in the notes.

    Returns
    -------
    (float or None, float or None, list of str)
        tce, tCO2 and notes.
    """
    tce, tco2, notes = 0.0, 0.0, []
    for part in node_energy_parts(node, nodes, meters, totals):
        if part.counted == "bought":
            notes.append(
                Message(
                    "%(energy_type)s made inside %(node)s: counted as its conversion's inputs; "
                    "only what is bought through supply meters is added",
                    energy_type=part.energy_type,
                    node=node,
                )
            )
        if part.tce is None:
            notes.append(_no_tce(part.energy_type))
        else:
            tce += part.tce
        if part.tco2 is not None:
            tco2 += part.tco2
    return tce, tco2, notes


# --- Balance --------------------------------------------------------------------------------


@dataclass(frozen=True)
class BalanceRow:
    """Energy balance of a node's own meter against its metered children over a period.

    ``parent`` is what enters the node: its own supply and use meters plus the net generation
    (generation − export) metered on the node or on its children, e.g. rooftop PV used on
    site. ``loss = parent - children`` [unit], ``loss_pct = loss / parent x 100``. ``status`` is
    ``ok``, ``loss`` (loss above the threshold), ``children exceed parent`` (a metering fault),
    or ``incomplete`` (intervals missing: no loss is claimed).
    """

    period: str
    node: str
    energy_type: str
    unit: str
    parent: float
    children: float
    loss: float
    loss_pct: float | None
    status: str
    missing: int
    child_nodes: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "node": self.node,
            "energy_type": self.energy_type,
            "unit": self.unit,
            "parent": self.parent,
            "children": self.children,
            "loss": self.loss,
            "loss_pct": self.loss_pct,
            "status": self.status,
            "missing_intervals": self.missing,
            "child_nodes": list(self.child_nodes),
        }


def balance(
    period: str,
    nodes: Mapping[str, NodeInfo],
    totals: Mapping[tuple[str, str], NodeTotal],
    *,
    threshold_pct: float = BALANCE_THRESHOLD_PCT,
) -> list[BalanceRow]:
    """Balance every node that has its own meters and metered children, per energy type.

    Parameters
    ----------
    period
        The period's key, carried into the rows.
    totals
        :func:`node_totals` of the period.
    threshold_pct
        Alert when ``loss_pct > threshold_pct`` (loss) or ``loss_pct < -threshold_pct``
        (children exceed the parent) [%].
    """
    children = _children(nodes)
    rows = []
    for (node, energy_type), total in sorted(totals.items()):
        if total.basis != "own meters" or total.energy is None:
            continue
        kids = [totals[c, energy_type] for c in children[node] if (c, energy_type) in totals]
        # a child counts when something below it is metered: a workshop whose only steam
        # meter is its boiler's output has no steam use to balance against
        kids = [k for k in kids if k.meters]
        if not kids:
            continue
        # Into the node's own bus: its supply, plus what is generated on it or on a child
        # (rooftop PV on its own node), less what is exported from there.
        sides = [
            total,
            *(totals[c, energy_type] for c in children[node] if (c, energy_type) in totals),
        ]
        try:
            kid_sum = sum((k.energy or 0.0) * conversion_factor(k.unit, total.unit) for k in kids)
            net_generation = sum(
                (t.generation - t.export) * conversion_factor(t.unit, total.unit) for t in sides
            )
        except UnitError:
            continue
        parent = total.energy + net_generation
        loss = parent - kid_sum
        pct = loss / parent * 100 if parent else None
        missing = total.missing + sum(k.missing for k in kids)
        if missing:
            status = "incomplete"
        elif pct is None:
            status = "children exceed parent" if kid_sum > 0 else "ok"
        elif pct > threshold_pct:
            status = "loss"
        elif pct < -threshold_pct:
            status = "children exceed parent"
        else:
            status = "ok"
        rows.append(
            BalanceRow(
                period,
                node,
                energy_type,
                total.unit,
                parent,
                kid_sum,
                loss,
                pct,
                status,
                missing,
                tuple(k.node for k in kids),
            )
        )
    return rows


# --- Budgets --------------------------------------------------------------------------------


@dataclass(frozen=True)
class BudgetRow:
    """Actual against budget of a node for a month; ``*_used_pct = actual / budget x 100``."""

    node: str
    month: str
    energy_tce: float | None
    budget_tce: float | None
    energy_used_pct: float | None
    carbon_tco2: float | None
    budget_tco2: float | None
    carbon_used_pct: float | None
    over: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "node": self.node,
            "month": self.month,
            "energy_tce": self.energy_tce,
            "budget_tce": self.budget_tce,
            "energy_used_pct": self.energy_used_pct,
            "carbon_tco2": self.carbon_tco2,
            "budget_tco2": self.budget_tco2,
            "carbon_used_pct": self.carbon_used_pct,
            "over_budget": list(self.over),
        }


def _used(actual: float | None, budget: float | None) -> float | None:
    if actual is None or budget is None or budget == 0:
        return None
    return actual / budget * 100


def budget_check(
    actual: Mapping[tuple[str, str], tuple[float | None, float | None]],
    budgets: Mapping[tuple[str, str], tuple[float | None, float | None]],
) -> list[BudgetRow]:
    """Actual against budget per node and month.

    Parameters
    ----------
    actual, budgets
        ``{(node, "YYYY-MM"): (energy [tce], carbon [tCO2])}``; only budgeted keys are
        checked.

    Returns
    -------
    list of BudgetRow
        ``over`` names ``energy`` and/or ``carbon`` where the actual exceeds the budget.
    """
    rows = []
    for key in sorted(budgets):
        tce, tco2 = actual.get(key, (0.0, 0.0))
        budget_tce, budget_tco2 = budgets[key]
        over = tuple(
            name
            for name, a, b in (("energy", tce, budget_tce), ("carbon", tco2, budget_tco2))
            if a is not None and b is not None and a > b
        )
        rows.append(
            BudgetRow(
                key[0],
                key[1],
                tce,
                budget_tce,
                _used(tce, budget_tce),
                tco2,
                budget_tco2,
                _used(tco2, budget_tco2),
                over,
            )
        )
    return rows


# --- Energy flow (Sankey) -------------------------------------------------------------------

LOSSES = "unmetered / losses"


def energy_flow(
    nodes: Mapping[str, NodeInfo],
    meters: Mapping[str, MeterInfo],
    values: Mapping[str, MeterPeriod],
    tce: Mapping[str, Coefficient],
    totals: Mapping[tuple[str, str], NodeTotal],
) -> dict[str, Any]:
    """Energy-flow (Sankey) data of one period, in tce.

    Stages: ``purchase`` (supply meters per energy type, ``generation`` on-site) →
    ``conversion`` (nodes with ``output`` meters: their consumption comes in, their output
    goes on; one inside a distribution node or an end use is fed through it, since its
    consumption is already in that node's total) → ``distribution`` (building and workshop
    nodes with no building or workshop above them) → ``end use`` (the children of a
    distribution node, and a root's children outside any building or workshop, fed from the
    sources directly). A consumer of an energy
    type with several sources (purchase, generation, conversion outputs) draws on them in
    proportion to their size. Every node balances: what comes in and is not passed on goes
    to ``unmetered / losses``; export leaves the purchase node to ``export``. A distribution
    node without metered children of a type is where that energy ends. Types without a
    tce coefficient (water, compressed air) are left out.

    Returns
    -------
    dict
        ``{"nodes": [{"id", "label", "stage"}], "links": [{"source", "target", "value_tce",
        "energy_type"}], "notes": [...]}``; ``source`` and ``target`` are indexes into
        ``nodes``, as a Plotly sankey takes them.
    """
    index: dict[str, int] = {}
    node_list: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    notes: list[str] = []

    def point(node_id: str, label: str, stage: str) -> int:
        if node_id not in index:
            index[node_id] = len(node_list)
            node_list.append({"id": node_id, "label": label, "stage": stage})
        return index[node_id]

    def link(source: int, target: int, value: float, energy_type: str) -> None:
        if value > 1e-12:
            links.append(
                {"source": source, "target": target, "value_tce": value, "energy_type": energy_type}
            )

    def tce_of(code: str) -> float:
        c = tce[code].value
        return 0.0 if c is None or code not in values else values[code].energy * c

    conversion = sorted({m.node for m in meters.values() if m.role == "output" and m.node})
    ancestors: dict[str, list[str]] = {}
    for code in nodes:
        chain, parent = [], nodes[code].parent
        while parent is not None:
            chain.append(parent)
            parent = nodes[parent].parent
        ancestors[code] = chain
    distribution = [
        code
        for code in sorted(nodes)
        if nodes[code].level in ("building", "workshop")
        and code not in conversion
        and not any(nodes[a].level in ("building", "workshop") for a in ancestors[code])
    ]
    # a root's child outside any building or workshop (equipment straight under the site) is
    # fed from the sources directly
    direct = [
        code
        for code in sorted(nodes)
        if ancestors[code]
        and nodes[ancestors[code][0]].parent is None
        and code not in conversion
        and code not in distribution
        and not any(code in ancestors[d] for d in distribution)
    ]
    # A conversion node inside a distribution node or an end use (the boiler house in the
    # utilities building) is fed through it, not from the sources a second time: its input
    # is already in that node's total. ``fed[node]`` is the point that passes its input on.
    fed: dict[str, str] = {}
    for code in conversion:
        chain = ancestors[code]
        outer = next((a for a in chain if a in distribution or a in direct), None)
        if outer is not None:
            depth = chain.index(outer)
            fed[code] = chain[depth - 1] if depth and outer in distribution else outer
    children = _children(nodes)
    types = sorted({m.carrier for m in meters.values() if tce[m.code].value is not None})
    for energy_type in types:
        # sources of this type: purchase, generation, conversion outputs (tce, node index)
        sources: list[tuple[int, float]] = []
        for flow, stage, label in (
            ("supply", "purchase", f"purchased {energy_type}"),
            ("generation", "purchase", f"generated {energy_type}"),
        ):
            codes = [c for c, m in meters.items() if m.carrier == energy_type and m.role == flow]
            amount = sum(tce_of(c) for c in codes)
            if amount > 0:
                sources.append((point(f"{flow}:{energy_type}", label, stage), amount))
        for node in conversion:
            amount = sum(
                tce_of(c)
                for c, m in meters.items()
                if m.node == node and m.role == "output" and m.carrier == energy_type
            )
            if amount > 0:
                sources.append((point(node, nodes[node].name or node, "conversion"), amount))
        if not sources:
            continue
        exported = sum(
            tce_of(c) for c, m in meters.items() if m.carrier == energy_type and m.role == "export"
        )
        available = sum(a for _, a in sources)
        passed = dict.fromkeys((i for i, _ in sources), 0.0)

        def draw(
            target: int,
            amount: float,
            sources: list[tuple[int, float]] = sources,
            passed: dict[int, float] = passed,
            available: float = available,
            energy_type: str = energy_type,
        ) -> None:
            for i, a in sources:
                share = amount * a / available
                link(i, target, share, energy_type)
                passed[i] += share

        if exported > 0:
            draw(point("export", "export", "end use"), exported)
        consumers = [n for n in conversion if (n, energy_type) in totals and n not in fed]
        consumers += [n for n in distribution + direct if (n, energy_type) in totals]
        for node in consumers:
            total = totals[node, energy_type]
            stage = (
                "conversion"
                if node in conversion
                else ("distribution" if node in distribution else "end use")
            )
            target = point(node, nodes[node].name or node, stage)
            if total.tce:
                draw(target, total.tce)
            if node in distribution and total.tce:
                sent = 0.0
                for child in children[node]:
                    sub = totals.get((child, energy_type))
                    if sub is not None and sub.tce:
                        stage = "conversion" if child in conversion else "end use"
                        link(target, point(child, nodes[child].name or child, stage), sub.tce,
                             energy_type)  # fmt: skip
                        sent += sub.tce
                if sent and total.tce - sent > 1e-12:
                    link(target, point(LOSSES, LOSSES, "end use"), total.tce - sent, energy_type)
                elif sent - total.tce > 1e-9:
                    notes.append(
                        Message(
                            "%(node)s %(energy_type)s: children exceed the node by %(excess).6g "
                            "tce (metering fault)",
                            node=node,
                            energy_type=energy_type,
                            excess=sent - total.tce,
                        )
                    )
        for node, via in fed.items():
            sub = totals.get((node, energy_type))
            if sub is not None and sub.tce and via != nodes[node].parent:
                link(point(via, nodes[via].name or via, "end use"),
                     point(node, nodes[node].name or node, "conversion"), sub.tce,
                     energy_type)  # fmt: skip
        for i, a in sources:
            if a - passed[i] > 1e-12:
                link(i, point(LOSSES, LOSSES, "end use"), a - passed[i], energy_type)
            elif passed[i] - a > 1e-9:
                notes.append(
                    Message(
                        "%(node)s %(energy_type)s: consumers metered %(excess).6g tce more than "
                        "supplied (metering fault)",
                        node=node_list[i]["id"],
                        energy_type=energy_type,
                        excess=passed[i] - a,
                    )
                )
    # conversion nodes: what comes in and is not put out is a conversion loss
    for node in conversion:
        if node not in index:
            continue
        i = index[node]
        inflow = sum(x["value_tce"] for x in links if x["target"] == i)
        outflow = sum(x["value_tce"] for x in links if x["source"] == i)
        if inflow - outflow > 1e-12:
            link(i, point(LOSSES, LOSSES, "end use"), inflow - outflow, "conversion loss")
    return {"nodes": node_list, "links": links, "notes": notes}


# --- Intensity ------------------------------------------------------------------------------


def intensity(
    energy_tce: float | None, carbon_tco2: float | None, production: float
) -> tuple[float | None, float | None]:
    """Energy [tce/unit] and carbon [tCO2/unit] per unit of product; None without output."""
    if not production:
        return None, None
    return (
        None if energy_tce is None else energy_tce / production,
        None if carbon_tco2 is None else carbon_tco2 / production,
    )


# --- Budget forecast ------------------------------------------------------------------------


def straight_line_forecast(actual: float | None, elapsed_days: int, days: int) -> float | None:
    """The year-end figure on a straight line: ``actual / elapsed_days x days``.

    Parameters
    ----------
    actual
        The figure so far (tce or tCO2), over the first ``elapsed_days`` days of the year.
    elapsed_days, days
        Days of the year elapsed (the last counted included) and days in the year.

    Returns
    -------
    float or None
        The same unit as ``actual``; None without an actual or before the first day.
    """
    if actual is None or elapsed_days <= 0:
        return None
    return actual / elapsed_days * days


@dataclass(frozen=True)
class ForecastRow:
    """A node's year: the budget summed over its budgeted months, the actual through the
    last elapsed day and the straight-line forecast (:func:`straight_line_forecast`);
    ``*_forecast_pct = forecast / budget x 100``, given only when all 12 months have a budget."""

    node: str
    budget_months: int
    budget_tce: float | None
    energy_tce: float | None
    forecast_tce: float | None
    forecast_tce_pct: float | None
    budget_tco2: float | None
    carbon_tco2: float | None
    forecast_tco2: float | None
    forecast_tco2_pct: float | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "node": self.node,
            "budget_months": self.budget_months,
            "budget_tce": self.budget_tce,
            "energy_tce": self.energy_tce,
            "forecast_tce": self.forecast_tce,
            "forecast_tce_pct": self.forecast_tce_pct,
            "budget_tco2": self.budget_tco2,
            "carbon_tco2": self.carbon_tco2,
            "forecast_tco2": self.forecast_tco2,
            "forecast_tco2_pct": self.forecast_tco2_pct,
        }


def budget_forecast(
    actual: Mapping[str, tuple[float | None, float | None]],
    budgets: Mapping[tuple[str, str], tuple[float | None, float | None]],
    *,
    elapsed_days: int,
    days: int,
) -> list[ForecastRow]:
    """Year-end forecast against the year's budget of every budgeted node.

    Parameters
    ----------
    actual
        ``{node: (energy [tce], carbon [tCO2])}`` of the year so far.
    budgets
        ``{(node, "YYYY-MM"): (energy [tce], carbon [tCO2])}`` of the year's months.
    elapsed_days, days
        See :func:`straight_line_forecast`.
    """
    rows = []
    for node in sorted({key[0] for key in budgets}):
        months = [value for (n, _), value in budgets.items() if n == node]
        tce, tco2 = actual.get(node, (0.0, 0.0))
        sums = []
        for i in (0, 1):
            parts = [m[i] for m in months if m[i] is not None]
            sums.append(sum(parts) if parts else None)
        forecasts = [straight_line_forecast(a, elapsed_days, days) for a in (tce, tco2)]
        full = len(months) == 12
        pcts = [_used(f, b) if full else None for f, b in zip(forecasts, sums, strict=True)]
        rows.append(
            ForecastRow(
                node,
                len(months),
                sums[0],
                tce,
                forecasts[0],
                pcts[0],
                sums[1],
                tco2,
                forecasts[1],
                pcts[1],
            )
        )
    return rows
