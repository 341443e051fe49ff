"""Figures a report derives from :class:`ReportData`: links, shares and checks.

HTML, PDF and XLSX read the same view, so the numbering of factors (F1, F2 ...), the anchors
that tie a line to its records and factor rows, and the checks agree across formats.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from lingtan.reports.data import ORIGINS, ReportData
from lingtan.units import UnitError, conversion_factor

__all__ = ["FactorRow", "LineView", "OriginRow", "ReportView", "build_view", "slug"]

# Relative tolerance of the records-vs-inventory check: float sums of monthly splits.
_REL_TOL = 1e-9


def slug(text: object) -> str:
    """An HTML id fragment: letters, digits, ``-`` and ``_`` kept, anything else hex-escaped."""
    return re.sub(r"[^A-Za-z0-9_-]", lambda m: f".{ord(m.group()):x}", str(text))


@dataclass
class FactorRow:
    """A library factor row with its provenance, numbered F1 ... in the order of ``factors``."""

    number: int
    anchor: str
    ref: str
    provenance: dict[str, Any]
    used_by: list[int] = field(default_factory=list)  # line numbers

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
    """One result line with its links: records in section 3, factor rows in section 4."""

    number: int
    anchor: str
    activity_anchor: str
    line: dict[str, Any]
    share_pct: float | None
    records: list[dict[str, Any]]
    factor_numbers: list[int]
    records_sum: float | None
    check: str | None  # ok | diff | na | None (no records)
    attributed_tco2e: list[float | None]  # per record

    @property
    def label(self) -> str:
        return f"L{self.number}"

    @property
    def unverified(self) -> bool:
        return any(use["status"] == "unverified" for use in self.line["factors"])


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
    factors: list[FactorRow]
    origins: list[OriginRow]
    restatements: list[dict[str, Any]]
    unverified: list[FactorRow]
    lines_without_records: list[LineView]
    estimates: int
    estimate_share_pct: float | None

    def factor(self, ref: str | None) -> FactorRow | None:
        return self._by_ref.get(ref) if ref else None

    def __post_init__(self) -> None:
        self._by_ref = {row.ref: row for row in self.factors}


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


def build_view(data: ReportData) -> ReportView:
    """Derive links, shares and checks from ``data``."""
    factors = [
        FactorRow(n, f"fac-{n}", ref, provenance)
        for n, (ref, provenance) in enumerate(data.result["factors"].items(), start=1)
    ]
    by_ref = {row.ref: row for row in factors}
    by_source: dict[str, list[dict[str, Any]]] = {}
    for record in data.activity:
        by_source.setdefault(record["source_id"], []).append(record)
    gross = math.fsum(abs(line["emissions_tco2e"]) for line in data.lines)

    lines: list[LineView] = []
    for number, line in enumerate(data.lines, start=1):
        records = sorted(
            by_source.get(line["source_id"], []),
            key=lambda r: (str(r["period_start"]), str(r["record_id"])),
        )
        numbers: list[int] = []
        for use in line["factors"]:
            row = by_ref.get(use["ref"])
            if row is not None and row.number not in numbers:
                numbers.append(row.number)
                row.used_by.append(number)
        total = _sum_records(records, line["unit"]) if records else None
        check = None
        if records:
            if total is None or line["quantity"] is None:
                check = "na"
            elif math.isclose(total, line["quantity"], rel_tol=_REL_TOL, abs_tol=1e-12):
                check = "ok"
            else:
                check = "diff"
        attributed: list[float | None] = [None] * len(records)
        if total:  # shares of the line by quantity; needs convertible units
            attributed = [
                line["emissions_tco2e"]
                * r["quantity"]
                * conversion_factor(r["unit"], line["unit"])
                / total
                for r in records
            ]
        lines.append(
            LineView(
                number=number,
                anchor=f"line-{number}",
                activity_anchor=f"act-{number}",
                line=line,
                share_pct=_share(line["emissions_tco2e"], data.totals["total_tco2e"])
                if line["gbt32150_category"]
                else None,
                records=[{**r, "anchor": f"rec-{slug(r['record_id'])}"} for r in records],
                factor_numbers=sorted(numbers),
                records_sum=total,
                check=check,
                attributed_tco2e=attributed,
            )
        )

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
