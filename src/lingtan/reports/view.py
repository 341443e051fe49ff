"""Figures a report derives from :class:`ReportData`: sources, links, shares and checks.

HTML, PDF and XLSX read the same view, so the numbering of sources (S1, S2 ...), lines (L1,
L2 ...) and factors (F1, F2 ...), the anchors that tie a source to its records and factor rows,
and the checks agree across formats.

A report presents results per emission source (排放源). An inventory computed from the store
has one calculation line per activity record, with the id ``<source code>@<period start>``
(``boiler-1@2025-01-01``): such lines are grouped into the source ``boiler-1``. A line whose id
has no ``@<date>`` (a ``lingtan calc`` file) is a source of its own. The per-record detail is
kept once, in the activity-data section and the XLSX sheets of lines and records.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from lingtan.accounting.formulas import uncertainty_of_sum
from lingtan.i18n import Message
from lingtan.reports.data import ORIGINS, ReportData
from lingtan.units import UnitError, conversion_factor

__all__ = [
    "FactorRow",
    "FactorUse",
    "LineView",
    "OriginRow",
    "ReportView",
    "SourceView",
    "build_view",
    "slug",
    "source_code",
]

# Relative tolerance of the records-vs-inventory check: float sums of monthly splits.
_REL_TOL = 1e-9
# A calculation line of one activity record of a stored source: ``<code>@<period start>``.
_RECORD_LINE = re.compile(r"(?P<code>.+)@(?P<start>\d{4}-\d{2}-\d{2})")
# What makes lines one source row: the same code, and nothing that would split a total.
_SAME_SOURCE = ("kind", "gbt32150_category", "ghg_scope", "scope3_category", "iso14064_category")


def slug(text: object) -> str:
    """An HTML id fragment: letters, digits, ``-`` and ``_`` kept, anything else hex-escaped."""
    return re.sub(r"[^A-Za-z0-9_-]", lambda m: f".{ord(m.group()):x}", str(text))


def source_code(line_id: str) -> tuple[str, str | None]:
    """``("boiler-1", "2025-01-01")`` for ``boiler-1@2025-01-01``; ``(line_id, None)`` else."""
    match = _RECORD_LINE.fullmatch(line_id)
    return (match["code"], match["start"]) if match else (line_id, None)


@dataclass
class FactorRow:
    """A library factor row with its provenance, numbered F1 ... in the order of ``factors``."""

    number: int
    anchor: str
    ref: str
    provenance: dict[str, Any]
    used_by: list[int] = field(default_factory=list)  # line numbers
    used_by_sources: list[int] = field(default_factory=list)  # source numbers

    @property
    def label(self) -> str:
        return f"F{self.number}"

    @property
    def unverified(self) -> bool:
        return self.provenance.get("status") == "unverified"

    def outside(self, start: str, end: str) -> bool:
        """True if the validity window misses the period ``start``-``end`` (ISO dates)."""
        valid_from, valid_to = self.provenance.get("valid_from"), self.provenance.get("valid_to")
        return bool((valid_from and valid_from > end) or (valid_to and valid_to < start))


@dataclass
class LineView:
    """One result line (one calculation) with its records; ``source`` is its source number."""

    number: int
    anchor: str
    line: dict[str, Any]
    share_pct: float | None
    records: list[dict[str, Any]]
    factor_numbers: list[int]
    records_sum: float | None
    check: str | None  # ok | diff | na | None (no records)
    attributed_tco2e: list[float | None]  # per record
    source: int = 0
    period: str | None = None  # the ``@<date>`` of a record line

    @property
    def label(self) -> str:
        return f"L{self.number}"

    @property
    def unverified(self) -> bool:
        return any(use["status"] == "unverified" for use in self.line["factors"])


@dataclass
class FactorUse:
    """A parameter as a source used it: one row per distinct value (and factor row, rule).

    ``varies`` is true when the source's lines used more than one value for the parameter
    (a measured NCV per month, say); ``lines`` then tells which lines used this one.
    """

    role: str
    value: Any
    unit: str | None
    ref: str | None
    status: str
    rule: str | None
    factor: FactorRow | None
    lines: list[LineView] = field(default_factory=list)
    varies: bool = False


@dataclass
class SourceView:
    """An emission source (排放源): its lines summed, factors deduplicated, links.

    A sum over lines is ``None`` where a line has no value; ``quantity`` is ``None`` (and
    ``units`` lists them) when the lines' input units differ, ``activity`` likewise with
    ``activity_units``: units are never added up across.
    """

    number: int
    code: str
    lines: list[LineView]
    share_pct: float | None
    quantity: float | None
    units: list[str]
    activity: float | None
    activity_units: list[str]
    emissions_tco2e: float
    market_emissions_tco2e: float | None
    co2_t: float
    biogenic_co2_t: float
    energy_tce: float
    covered_mwh: float
    gases_t: dict[str, float]
    uncertainty_pct: float | None
    uncertainty_coverage_pct: float | None
    factor_uses: list[FactorUse]
    factor_numbers: list[int]
    methods: list[str]
    records_sum: float | None
    check: str | None  # the worst check of its lines: diff, na, ok; None without records

    @property
    def label(self) -> str:
        return f"S{self.number}"

    @property
    def anchor(self) -> str:
        return f"src-{self.number}"

    @property
    def activity_anchor(self) -> str:
        return f"act-{self.number}"

    @property
    def first(self) -> dict[str, Any]:
        return self.lines[0].line

    @property
    def name(self) -> str | None:
        return next((v.line["name"] for v in self.lines if v.line["name"]), None)

    @property
    def kind(self) -> str:
        return self.first["kind"]

    @property
    def gbt32150_category(self) -> str | None:
        return self.first["gbt32150_category"]

    @property
    def ghg_scope(self) -> int | None:
        return self.first["ghg_scope"]

    @property
    def scope3_category(self) -> int | None:
        return self.first["scope3_category"]

    @property
    def iso14064_category(self) -> int | None:
        return self.first["iso14064_category"]

    @property
    def unit(self) -> str | None:
        return self.units[0] if len(self.units) == 1 else None

    @property
    def activity_unit(self) -> str | None:
        return self.activity_units[0] if len(self.activity_units) == 1 else None

    @property
    def grouped(self) -> bool:
        """True for a source made of record lines (``code@date``), false for a calc line."""
        return len(self.lines) > 1 or self.lines[0].period is not None

    @property
    def records(self) -> list[dict[str, Any]]:
        return [r for view in self.lines for r in view.records]

    @property
    def lines_without_records(self) -> list[LineView]:
        return [view for view in self.lines if not view.records]

    @property
    def varies(self) -> bool:
        return any(use.varies for use in self.factor_uses)

    @property
    def unverified(self) -> bool:
        return any(view.unverified for view in self.lines)


@dataclass
class OriginRow:
    origin: str | None  # None: lines without records, quantity as given in the input
    records: int
    share_records_pct: float | None
    attributed_tco2e: float
    share_emissions_pct: float | None


@dataclass
class ReportView:
    data: ReportData
    lines: list[LineView]
    sources: list[SourceView]
    factors: list[FactorRow]
    origins: list[OriginRow]
    restatements: list[dict[str, Any]]
    unverified: list[FactorRow]
    lines_without_records: list[LineView]
    estimates: int
    estimate_share_pct: float | None

    def factor(self, ref: str | None) -> FactorRow | None:
        return self._by_ref.get(ref) if ref else None

    def source_of(self, line_id: str) -> SourceView | None:
        return self._by_line.get(line_id)

    def allocation(self, instrument: dict[str, Any]) -> list[tuple[SourceView | None, str, float]]:
        """An instrument's MWh per source: ``(source, code, MWh)``, summed over its lines."""
        groups: dict[str, tuple[SourceView | None, list[float]]] = {}
        for line_id, mwh in instrument["allocation_mwh"].items():
            source = self.source_of(line_id)
            key = source.anchor if source else line_id
            groups.setdefault(key, (source, []))[1].append(mwh)
        return [
            (source, source.code if source else key, math.fsum(values))
            for key, (source, values) in groups.items()
        ]

    def sum_of(self, key: str, sources: list[SourceView] | None = None) -> float:
        """``math.fsum`` of a line figure over the lines of ``sources`` (all by default).

        Summed over lines, not over the rounded sums per source, so a section total over
        all sources equals the result's total exactly.
        """
        chosen = self.sources if sources is None else sources
        return math.fsum(view.line[key] or 0.0 for s in chosen for view in s.lines)

    def __post_init__(self) -> None:
        self._by_ref = {row.ref: row for row in self.factors}
        self._by_line = {view.line["source_id"]: s for s in self.sources for view in s.lines}


def _share(part: float, whole: float) -> float | None:
    return part / whole * 100 if whole else None


def _sum_records(records: list[dict[str, Any]], unit: str | None) -> float | None:
    """Sum of record quantities in ``unit``, or None if a unit does not convert."""
    if not unit:
        return None
    try:
        return math.fsum(r["quantity"] * conversion_factor(r["unit"], unit) for r in records)
    except UnitError:
        return None


def _distinct(values: list[Any]) -> list[Any]:
    return list(dict.fromkeys(v for v in values if v is not None))


def _sum(values: list[float | None]) -> float | None:
    """``math.fsum`` of the values, ``None`` if any is ``None``; one value is kept as it is."""
    if any(v is None for v in values):
        return None
    return values[0] if len(values) == 1 else math.fsum(values)  # type: ignore[arg-type]


def _line_view(
    number: int, line: dict[str, Any], records: list[dict[str, Any]], total: float
) -> LineView:
    records = sorted(records, key=lambda r: (str(r["period_start"]), str(r["record_id"])))
    records_sum = _sum_records(records, line["unit"]) if records else None
    check = None
    if records:
        if records_sum is None or line["quantity"] is None:
            check = "na"
        elif math.isclose(records_sum, line["quantity"], rel_tol=_REL_TOL, abs_tol=1e-12):
            check = "ok"
        else:
            check = "diff"
    attributed: list[float | None] = [None] * len(records)
    if records_sum and len(records) == 1:  # a record line: the record is the whole line
        attributed = [line["emissions_tco2e"]]
    elif records_sum:  # shares of the line by quantity; needs convertible units
        attributed = [
            line["emissions_tco2e"]
            * r["quantity"]
            * conversion_factor(r["unit"], line["unit"])
            / records_sum
            for r in records
        ]
    return LineView(
        number=number,
        anchor=f"line-{number}",
        line=line,
        share_pct=_share(line["emissions_tco2e"], total) if line["gbt32150_category"] else None,
        records=[{**r, "anchor": f"rec-{slug(r['record_id'])}"} for r in records],
        factor_numbers=[],
        records_sum=records_sum,
        check=check,
        attributed_tco2e=attributed,
        period=source_code(line["source_id"])[1],
    )


def _factor_uses(lines: list[LineView], by_ref: dict[str, FactorRow]) -> list[FactorUse]:
    """The parameters of the lines, one per distinct (role, value, unit, ref, status, rule)."""
    uses: dict[tuple[Any, ...], FactorUse] = {}
    for view in lines:
        for use in view.line["factors"]:
            key = tuple(
                repr(use.get(k)) for k in ("role", "value", "unit", "ref", "status", "rule")
            )
            if key not in uses:
                uses[key] = FactorUse(
                    role=Message.stored(use["role"], use.get("role_message")),
                    value=use["value"],
                    unit=use.get("unit"),
                    ref=use.get("ref"),
                    status=use["status"],
                    rule=Message.stored(use.get("rule"), use.get("rule_message")),
                    factor=by_ref.get(use["ref"]) if use.get("ref") else None,
                )
            if view not in uses[key].lines:
                uses[key].lines.append(view)
    roles: dict[str, list[FactorUse]] = {}
    for use in uses.values():  # the values of one parameter together, in order of first use
        roles.setdefault(use.role, []).append(use)
    for same in roles.values():
        for use in same:
            use.varies = len(same) > 1
    return [use for same in roles.values() for use in same]


def _source_view(
    number: int, code: str, lines: list[LineView], total: float, by_ref: dict[str, FactorRow]
) -> SourceView:
    def values(key: str) -> list[Any]:
        return [view.line[key] for view in lines]

    for view in lines:
        view.source = number
    first = lines[0].line
    units, activity_units = _distinct(values("unit")), _distinct(values("activity_unit"))
    emissions = _sum(values("emissions_tco2e"))
    assert emissions is not None
    market = None
    if any(m is not None for m in values("market_emissions_tco2e")):
        market = _sum(
            [
                view.line["emissions_tco2e"]
                if view.line["market_emissions_tco2e"] is None
                else view.line["market_emissions_tco2e"]
                for view in lines
            ]
        )
    gases: dict[str, list[float]] = {}
    for view in lines:
        for gas, mass in view.line["gases_t"].items():
            gases.setdefault(gas, []).append(mass)
    known = [(v.line["emissions_tco2e"], v.line["uncertainty_pct"]) for v in lines]
    known = [(x, u) for x, u in known if u is not None]
    uncertainty, coverage = None, None
    if len(lines) == 1:
        uncertainty = first["uncertainty_pct"]
        coverage = 100.0 if uncertainty is not None else None
    elif known:
        uncertainty = uncertainty_of_sum(known)
        weight = math.fsum(abs(x) for x in values("emissions_tco2e"))
        coverage = 100.0 * math.fsum(abs(x) for x, _ in known) / weight if weight else None
    uses = _factor_uses(lines, by_ref)
    numbers = sorted({use.factor.number for use in uses if use.factor is not None})
    for use in uses:
        if use.factor is not None and number not in use.factor.used_by_sources:
            use.factor.used_by_sources.append(number)
    records = [r for view in lines for r in view.records]
    unit = units[0] if len(units) == 1 else None
    checks = {view.check for view in lines} - {None}
    check = next((c for c in ("diff", "na", "ok") if c in checks), None)
    return SourceView(
        number=number,
        code=code,
        lines=lines,
        share_pct=_share(emissions, total) if first["gbt32150_category"] else None,
        quantity=_sum(values("quantity")) if len(units) <= 1 else None,
        units=units,
        activity=_sum(values("activity")) if len(activity_units) <= 1 else None,
        activity_units=activity_units,
        emissions_tco2e=emissions,
        market_emissions_tco2e=market,
        co2_t=_sum(values("co2_t")) or 0.0,
        biogenic_co2_t=_sum(values("biogenic_co2_t")) or 0.0,
        energy_tce=_sum(values("energy_tce")) or 0.0,
        covered_mwh=_sum(values("covered_mwh")) or 0.0,
        gases_t={gas: _sum(masses) or 0.0 for gas, masses in gases.items()},  # type: ignore[arg-type]
        uncertainty_pct=uncertainty,
        uncertainty_coverage_pct=coverage,
        factor_uses=uses,
        factor_numbers=numbers,
        methods=_distinct(values("method")),
        records_sum=_sum_records(records, unit) if records else None,
        check=check,
    )


def build_view(data: ReportData) -> ReportView:
    """Derive sources, links, shares and checks from ``data``."""
    factors = [
        FactorRow(n, f"fac-{n}", ref, provenance)
        for n, (ref, provenance) in enumerate(data.result["factors"].items(), start=1)
    ]
    by_ref = {row.ref: row for row in factors}
    by_line: dict[str, list[dict[str, Any]]] = {}
    for record in data.activity:
        by_line.setdefault(record["source_id"], []).append(record)
    total = data.totals["total_tco2e"]
    gross = math.fsum(abs(line["emissions_tco2e"]) for line in data.lines)

    lines: list[LineView] = []
    groups: dict[tuple[Any, ...], list[LineView]] = {}
    for number, line in enumerate(data.lines, start=1):
        view = _line_view(number, line, by_line.get(line["source_id"], []), total)
        for use in line["factors"]:
            row = by_ref.get(use["ref"])
            if row is not None and row.number not in view.factor_numbers:
                view.factor_numbers.append(row.number)
                row.used_by.append(number)
        view.factor_numbers.sort()
        lines.append(view)
        code = source_code(line["source_id"])[0]
        groups.setdefault((code, *(line[k] for k in _SAME_SOURCE)), []).append(view)
    sources = [
        _source_view(number, key[0], members, total, by_ref)
        for number, (key, members) in enumerate(groups.items(), start=1)
    ]

    origins = _origins(data, lines, gross)
    estimates = [
        (view, i) for view in lines for i, r in enumerate(view.records) if r["origin"] == "estimate"
    ]
    estimate_tco2e = math.fsum(abs(v.attributed_tco2e[i] or 0.0) for v, i in estimates)
    restatements = []
    for item in data.restatements:
        new, old = item.get("total_tco2e"), item.get("previous_total_tco2e")
        change = new - old if new is not None and old is not None else None
        restatements.append(
            {**item, "change_tco2e": change, "change_pct": _share(change, old) if change else None}
        )
    return ReportView(
        data=data,
        lines=lines,
        sources=sources,
        factors=factors,
        origins=origins,
        restatements=restatements,
        unverified=[row for row in factors if row.unverified],
        lines_without_records=[view for view in lines if not view.records],
        estimates=len(estimates),
        estimate_share_pct=_share(estimate_tco2e, gross) if estimates else None,
    )


def _origins(data: ReportData, lines: list[LineView], gross: float) -> list[OriginRow]:
    """Records and emissions by origin; lines without records count as their own row."""
    n_records = len(data.activity)
    rows = []
    for origin in ORIGINS:
        count, tco2e = 0, 0.0
        for view in lines:
            for record, attributed in zip(view.records, view.attributed_tco2e, strict=True):
                if record["origin"] == origin:
                    count += 1
                    tco2e += abs(attributed or 0.0)
        if count:
            rows.append(
                OriginRow(origin, count, _share(count, n_records), tco2e, _share(tco2e, gross))
            )
    bare = math.fsum(abs(v.line["emissions_tco2e"]) for v in lines if not v.records)
    if any(not v.records for v in lines):
        rows.append(OriginRow(None, 0, None, bare, _share(bare, gross)))
    return rows
