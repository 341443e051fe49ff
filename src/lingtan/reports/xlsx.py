"""The inventory report as an XLSX workbook: the figures at full precision, for re-use.

Every number is a number cell holding the value of the result exactly (the display format
rounds, the cell does not); a sum per source is the ``math.fsum`` of its lines. The Sources
sheet has one row per emission source, the Lines sheet one per calculation line (one per
activity record for an inventory from the store), the Activity sheet one per record. Each
sheet has two header rows, the report language first and the other language second, frozen
above the data. The Summary sheet names each figure by its path in the result JSON
(``totals.total_tco2e``), so a program can find it.
"""

from __future__ import annotations

import contextlib
import io
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl.cell._writer
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from lingtan.accounting.serialize import warning_texts
from lingtan.cells import xlsx_text
from lingtan.i18n import N_, NP_
from lingtan.metering.intervals import metered_note
from lingtan.reports.data import ReportData
from lingtan.reports.i18n import Labels
from lingtan.reports.view import LineView, ReportView, SourceView, build_view

__all__ = ["SHEETS", "render_xlsx"]

#: Sheet names: key → the name (context ``report.sheet`` of the catalogue).
SHEETS: dict[str, tuple[str, str]] = {
    "summary": NP_("report.sheet", "Summary"),
    "sources": NP_("report.sheet", "Sources"),
    "lines": NP_("report.sheet", "Lines"),
    "activity": NP_("report.sheet", "Activity"),
    "factors": NP_("report.sheet", "Factors"),
    "parameters": NP_("report.sheet", "Parameters"),
    "monthly": NP_("report.sheet", "Monthly"),
    "restatements": NP_("report.sheet", "Restatements"),
    "cost": NP_("report.sheet", "Energy cost"),
}

T3 = "#,##0.000"  # emissions, energy: three decimals shown, full value kept
QTY = "#,##0.######"
CNY = "#,##0.00"  # money: two decimals shown, full value kept
PCT = "0.00"
DAY = "yyyy-mm-dd"
TIME = "yyyy-mm-dd hh:mm"

_HEAD_FILL = PatternFill("solid", fgColor="DCE8EE")
_HEAD2_FILL = PatternFill("solid", fgColor="EEF3F6")
_WARN_FILL = PatternFill("solid", fgColor="F8D7D4")
_BOLD = Font(bold=True)
_MUTED = Font(italic=True, color="5B6570")
_RULE = Border(bottom=Side(style="thin", color="8899A6"))


@dataclass(frozen=True)
class Col:
    """A column: header in English and Chinese, width in characters, number format, value."""

    en: str
    zh: str
    width: float
    get: Callable[[Any], Any]
    fmt: str | None = None


def col(
    text: str | tuple[str, str],
    width: float,
    get: Callable[[Any], Any],
    fmt: str | None = None,
    *,
    name: Callable[[Labels], str] | None = None,
) -> Col:
    """A column headed by ``text`` of the catalogue (``N_`` or ``NP_``) in both languages;
    ``name(labels)`` fills the header's ``%(name)s`` in each language."""
    return Col(*_label(text, name), width, get, fmt)


def _cell_value(value: Any) -> Any:
    """A value openpyxl can store: naive UTC datetimes, ISO dates as dates, clean text."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    if isinstance(value, list | tuple):
        return "\n".join(str(v) for v in value) if value else None
    return value


def _local(value: datetime | None, zone: str) -> datetime | None:
    """A moment as the wall-clock time of ``zone`` (a cell has no time zone; the unit column
    names it)."""
    if value is None:
        return None
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(ZoneInfo(zone)).replace(tzinfo=None, microsecond=0)


def _when(value: Any) -> Any:
    """A date or datetime given as ISO text becomes a date cell; anything else is kept."""
    if isinstance(value, str):
        try:
            return (datetime if "T" in value or " " in value else date).fromisoformat(value)
        except ValueError:
            return value
    return value


def _put(ws: Worksheet, row: int, column: int, value: Any, fmt: str | None = None) -> Any:
    cell = xlsx_text(ws.cell(row=row, column=column, value=_cell_value(value)))  # no formula
    if fmt and not isinstance(cell.value, str):
        cell.number_format = fmt
    elif isinstance(cell.value, datetime):
        cell.number_format = TIME
    elif isinstance(cell.value, date):
        cell.number_format = DAY
    return cell


def _sheet(wb: Workbook, key: str, labels: Labels, first: bool = False) -> Worksheet:
    title = labels.pgettext(*SHEETS[key])
    if first:
        ws = wb.active
        ws.title = title
        return ws
    return wb.create_sheet(title)


def _table(
    ws: Worksheet, labels: Labels, columns: Sequence[Col], rows: Iterable[Any], freeze: str = "A3"
) -> int:
    """Write two header rows and one row per item; returns the last row written."""
    for c, col in enumerate(columns, start=1):
        first, second = (col.zh, col.en) if labels.zh else (col.en, col.zh)
        head = ws.cell(row=1, column=c, value=first)
        head.font, head.fill = _BOLD, _HEAD_FILL
        head.alignment = Alignment(wrap_text=True, vertical="top")
        sub = ws.cell(row=2, column=c, value=second)
        sub.font, sub.fill, sub.border = _MUTED, _HEAD2_FILL, _RULE
        sub.alignment = Alignment(wrap_text=True, vertical="top")
        ws.column_dimensions[get_column_letter(c)].width = col.width
    row = 2
    for item in rows:
        row += 1
        for c, col in enumerate(columns, start=1):
            _put(ws, row, c, col.get(item), col.fmt)
    ws.freeze_panes = freeze
    if row > 2:
        ws.auto_filter.ref = f"A2:{get_column_letter(len(columns))}{row}"
    return row


def _label(
    text: str | tuple[str, str], name: Callable[[Labels], str] | None = None
) -> tuple[str, str]:
    """(English, Chinese) of a text marked with ``N_`` or ``NP_``; ``name(labels)`` fills its
    ``%(name)s`` in each language."""
    context, msgid = text if isinstance(text, tuple) else (None, text)

    def one(labels: Labels) -> str:
        values = {"name": name(labels)} if name else {}
        if context:
            return labels.pgettext(context, msgid, **values)
        return labels.gettext(msgid, **values)

    return one(Labels("en")), one(Labels("zh-CN"))


def _summary_rows(data: ReportData, labels: Labels) -> list[tuple[str, str, str, Any, str | None]]:
    """(English, Chinese, result path, value, unit) for every figure of the summary."""
    r, t, inv = data.result, data.totals, data.result["inventory"]
    rows: list[tuple[str, str, str, Any, str | None]] = []

    def add(
        text: str | tuple[str, str],
        path: str,
        value: Any,
        unit: str | None = None,
        name: Callable[[Labels], str] | None = None,
    ) -> None:
        rows.append((*_label(text, name), path, value, unit))

    add(N_("Organization"), "organization_name", data.organization_name)
    add(NP_("report.facility", "Facility"), "facility_name", data.facility_name)
    add(N_("Facility code"), "facility_code", data.facility_code)
    add(NP_("report.region", "Region"), "region_code", data.region_code)
    add(NP_("report.region", "Region"), "region_name", data.region_name)
    add(N_("Industry (GB/T 4754)"), "industry_code", data.industry_code)
    add(N_("Industry (GB/T 4754)"), "industry_name", data.industry_name)
    add(NP_("report.column", "Period start"), "period_start", _when(data.period_start))
    add(NP_("report.column", "Period end"), "period_end", _when(data.period_end))
    add(NP_("report.inventory_id", "Inventory"), "inventory_id", data.inventory_id)
    add(N_("Status"), "status", data.status)
    zone = data.time_zone
    add(N_("Locked at"), "locked_at", _local(data.locked_at, zone), zone)
    add(N_("Computed at"), "created_at", _local(data.created_at, zone), zone)
    add(N_("Engine version"), "engine_version", data.engine_version)
    add(N_("GWP values"), "inventory.gwp", inv["gwp"])
    add(
        N_("Electricity factor data year"),
        "inventory.electricity_factor_year",
        inv["electricity_factor_year"],
    )
    add(
        N_("Electricity to standard coal"),
        "inventory.electricity_tce_basis",
        inv["electricity_tce_basis"],
    )
    for key, label, unit in (
        ("total_tco2e", N_("GB/T 32150 total"), "tCO2e"),
        ("total_co2_t", N_("GB/T 32150 total, CO2 only"), "tCO2"),
        ("scope1_tco2e", N_("Scope 1 (gross)"), "tCO2e"),
        ("scope2_location_tco2e", N_("Scope 2 location-based"), "tCO2e"),
        ("scope2_market_tco2e", N_("Scope 2 market-based"), "tCO2e"),
        ("scope3_tco2e", N_("Scope 3"), "tCO2e"),
        ("deductions_tco2e", N_("Deductions (exports, recovered CO2)"), "tCO2e"),
        ("biogenic_co2_t", N_("Biogenic CO2 (outside totals)"), "tCO2"),
        ("energy_tce", N_("Energy consumption"), "tce"),
        ("purchased_electricity_mwh", N_("Purchased electricity"), "MWh"),
        ("renewable_electricity_mwh", N_("Renewable electricity (instruments)"), "MWh"),
        ("renewable_electricity_share_pct", N_("Renewable share of purchased electricity"), "%"),
        ("co2_per_energy_tco2_per_tce", N_("CO2 per unit energy"), "tCO2/tce"),
    ):
        add(label, f"totals.{key}", t[key], unit)
    for key, value in t["by_gbt32150_category_tco2e"].items():
        en, zh = _category(key)
        rows.append((en, zh, f"totals.by_gbt32150_category_tco2e.{key}", value, "tCO2e"))
    for key, value in t["by_category_tco2e"].items():
        en, zh = _kind(key)
        rows.append((en, zh, f"totals.by_category_tco2e.{key}", value, "tCO2e"))
    for family, text, unit in (
        (
            "by_iso14064_category_tco2e",
            NP_("report.column", "ISO 14064-1 category %(name)s"),
            "tCO2e",
        ),
        ("by_scope3_category_tco2e", NP_("report.column", "Scope 3 category %(name)s"), "tCO2e"),
        ("uncertainty_pct", NP_("report.column", "Uncertainty of %(name)s"), "%"),
        ("uncertainty_coverage_pct", NP_("report.column", "Uncertainty coverage of %(name)s"), "%"),
    ):
        for key, value in t[family].items():
            add(text, f"totals.{family}.{key}", value, unit, name=lambda _, k=key: str(k))
    for gas, value in t["by_gas_t"].items():
        add(
            NP_("report.column", "%(name)s"),
            f"totals.by_gas_t.{gas}",
            value,
            "t",
            name=lambda labels, g=gas: labels.gas(g),
        )
    for index, item in enumerate(t["intensities"]):
        for key, text in (
            ("quantity", NP_("report.column", "Production: %(name)s")),
            ("tco2e_per_unit", NP_("report.column", "GB/T 32150 total per unit: %(name)s")),
            (
                "scope1_2_location_tco2e_per_unit",
                NP_("report.column", "Scope 1+2 location-based per unit: %(name)s"),
            ),
            (
                "scope1_2_market_tco2e_per_unit",
                NP_("report.column", "Scope 1+2 market-based per unit: %(name)s"),
            ),
            ("tce_per_unit", NP_("report.column", "Energy per unit: %(name)s")),
        ):
            unit = _intensity_unit(key, item["unit"])
            add(text, f"totals.intensities[{index}].{key}", item[key], unit,
                name=lambda _, d=item["denominator"]: d)  # fmt: skip
    if r.get("residual_factor"):
        rf = r["residual_factor"]
        add(N_("Residual factor (market-based)"), "residual_factor.value", rf["value"], rf["unit"])
    for index, warning in enumerate(warning_texts(r)):
        add(NP_("report.column", "Warning"), f"warnings[{index}]", labels.message(warning))
    return rows


def _intensity_unit(key: str, unit: str) -> str:
    if key == "quantity":
        return unit
    return f"tce/{unit}" if key == "tce_per_unit" else f"tCO2e/{unit}"


def _kind(kind: str) -> tuple[str, str]:
    from lingtan.accounting.model import KINDS

    return KINDS.get(kind, (kind, kind))


def _category(category: str | None) -> tuple[str | None, str | None]:
    from lingtan.accounting.model import GBT32150_CATEGORIES

    if category is None:
        return None, None
    return GBT32150_CATEGORIES.get(category, (category, category))


def _summary(ws: Worksheet, data: ReportData, labels: Labels) -> None:
    columns = [
        col(NP_("report.column", "Item"), 38, lambda r: r[0] if not labels.zh else r[1]),
        col(
            NP_("report.column", "Item (other language)"),
            38,
            lambda r: r[1] if not labels.zh else r[0],
        ),
        col(NP_("report.column", "Key in the result"), 44, lambda r: r[2]),
        col(NP_("report.column", "Value"), 22, lambda r: r[3]),
        col(NP_("report.column", "Unit"), 12, lambda r: r[4]),
    ]
    last = _table(ws, labels, columns, _summary_rows(data, labels))
    for row in range(3, last + 1):
        value = ws.cell(row=row, column=4)
        if isinstance(value.value, float):  # all digits shown, separators for reading
            value.number_format = "#,##0.0##############"
        key = ws.cell(row=row, column=3).value
        if key == "totals.total_tco2e":
            for c in range(1, 6):
                ws.cell(row=row, column=c).font = _BOLD
        if isinstance(key, str) and key.startswith("warnings["):
            value.alignment = Alignment(wrap_text=True, vertical="top")


def _refs(view: ReportView, line: LineView) -> str:
    return "\n".join(
        f"F{row.number} {row.ref}"
        for row in (view.factor(use["ref"]) for use in line.line["factors"])
        if row is not None
    )


def _source_refs(source: SourceView) -> str:
    """Factor rows of a source, once each; a parameter whose value varies: each value, lines."""
    out: list[str] = []
    for use in source.factor_uses:
        if use.varies:
            lines = ", ".join(view.label for view in use.lines)
            label = use.factor.label if use.factor else "—"
            out.append(f"{label} {use.ref or use.role} = {use.value!r} {use.unit or ''} ({lines})")
        elif use.factor is not None:
            text = f"{use.factor.label} {use.factor.ref}"
            if text not in out:
                out.append(text)
    return "\n".join(out)


def _column(columns: Sequence[Col], en: str) -> int:
    return next(c for c, col in enumerate(columns, start=1) if col.en == en)


def _units(labels: Labels, units: list[str]) -> str | None:
    """The unit of a sum, or a note that the units differ (and nothing was added up)."""
    if len(units) > 1:
        return labels.gettext("units differ (%(units)s): not added up", units=", ".join(units))
    return units[0] if units else None


def _sources(ws: Worksheet, view: ReportView, labels: Labels) -> None:
    L = labels  # noqa: N806 - the template's name for the labels
    gases: list[str] = []
    for source in view.sources:
        gases += [gas for gas in source.gases_t if gas not in gases]
    columns = [
        col(NP_("report.column", "No."), 6, lambda s: s.label),
        col(NP_("report.column", "Source"), 16, lambda s: s.code),
        col(NP_("report.column", "Name"), 22, lambda s: s.name),
        col(NP_("report.column", "Kind"), 22, lambda s: s.kind),
        col(NP_("report.column", "Kind (name)"), 30, lambda s: L.kind(s.kind)),
        col(NP_("report.column", "GB/T 32150 category"), 18, lambda s: s.gbt32150_category),
        col(NP_("report.column", "Category (name)"), 30, lambda s: L.category(s.gbt32150_category)),
        col(NP_("report.column", "Scope"), 7, lambda s: s.ghg_scope),
        col(NP_("report.column", "Scope 3 category"), 9, lambda s: s.scope3_category),
        col(NP_("report.column", "ISO 14064-1 category"), 9, lambda s: s.iso14064_category),
        col(NP_("report.column", "Number of lines"), 10, lambda s: len(s.lines)),
        col(NP_("report.column", "Number of activity records"), 10, lambda s: len(s.records)),
        col(NP_("report.column", "Quantity"), 16, lambda s: s.quantity, QTY),
        col(NP_("report.column", "Unit"), 10, lambda s: _units(L, s.units)),
        col(NP_("report.column", "Activity data"), 16, lambda s: s.activity, QTY),
        col(NP_("report.column", "Activity unit"), 10, lambda s: _units(L, s.activity_units)),
        col(NP_("report.column", "Emissions tCO2e"), 16, lambda s: s.emissions_tco2e, T3),
        col(NP_("report.column", "Market-based tCO2e"), 16, lambda s: s.market_emissions_tco2e, T3),
        col(NP_("report.column", "Covered MWh"), 12, lambda s: s.covered_mwh, T3),
        col(NP_("report.column", "CO2 t"), 14, lambda s: s.co2_t, T3),
        col(NP_("report.column", "Biogenic CO2 t"), 12, lambda s: s.biogenic_co2_t, T3),
        col(NP_("report.column", "Energy tce"), 14, lambda s: s.energy_tce, T3),
        col(NP_("report.column", "Uncertainty %%"), 11, lambda s: s.uncertainty_pct, PCT),
        col(
            NP_("report.column", "Uncertainty coverage %%"),
            11,
            lambda s: s.uncertainty_coverage_pct,
            PCT,
        ),
        *(
            col(
                NP_("report.column", "Gas %(name)s t"),
                12,
                lambda s, g=gas: s.gases_t.get(g),
                QTY,
                name=lambda labels, g=gas: labels.gas(g),
            )
            for gas in gases
        ),
        col(NP_("report.column", "Method"), 36, lambda s: s.methods),
        col(NP_("report.column", "Factor rows"), 52, _source_refs),
        col(NP_("report.column", "Lines"), 14, lambda s: [view.label for view in s.lines]),
        col(
            NP_("report.column", "Activity records"),
            18,
            lambda s: [r["record_id"] for r in s.records],
        ),
    ]
    last = _table(ws, labels, columns, view.sources, freeze="C3")
    refs = _column(columns, "Factor rows")
    for row, source in enumerate(view.sources, start=3):
        if source.unverified:
            ws.cell(row=row, column=refs).fill = _WARN_FILL
    for column in ("Method", "Factor rows", "Lines", "Activity records"):
        _wrap_column(ws, _column(columns, column), last)


def _lines(ws: Worksheet, view: ReportView, labels: Labels) -> None:
    L = labels  # noqa: N806 - the template's name for the labels
    columns = [
        col(NP_("report.column", "Line"), 6, lambda v: v.label),
        col(NP_("report.column", "Line id"), 22, lambda v: v.line["source_id"]),
        col(NP_("report.column", "Source No."), 8, lambda v: f"S{v.source}"),
        col(NP_("report.column", "Source"), 16, lambda v: view.sources[v.source - 1].code),
        col(NP_("report.column", "Name"), 16, lambda v: v.line["name"]),
        col(NP_("report.column", "Kind"), 22, lambda v: v.line["kind"]),
        col(NP_("report.column", "Kind (name)"), 30, lambda v: L.kind(v.line["kind"])),
        col(NP_("report.column", "GB/T 32150 category"), 18, lambda v: v.line["gbt32150_category"]),
        col(
            NP_("report.column", "Category (name)"),
            30,
            lambda v: L.category(v.line["gbt32150_category"]),
        ),
        col(NP_("report.column", "Scope"), 7, lambda v: v.line["ghg_scope"]),
        col(NP_("report.column", "Scope 3 category"), 9, lambda v: v.line["scope3_category"]),
        col(NP_("report.column", "ISO 14064-1 category"), 9, lambda v: v.line["iso14064_category"]),
        col(NP_("report.column", "Quantity"), 16, lambda v: v.line["quantity"], QTY),
        col(NP_("report.column", "Unit"), 10, lambda v: v.line["unit"]),
        col(NP_("report.column", "Activity data"), 16, lambda v: v.line["activity"], QTY),
        col(NP_("report.column", "Activity unit"), 10, lambda v: v.line["activity_unit"]),
        col(NP_("report.column", "Emissions tCO2e"), 16, lambda v: v.line["emissions_tco2e"], T3),
        col(
            NP_("report.column", "Market-based tCO2e"),
            16,
            lambda v: v.line["market_emissions_tco2e"],
            T3,
        ),
        col(NP_("report.column", "Covered MWh"), 12, lambda v: v.line["covered_mwh"], T3),
        col(NP_("report.column", "CO2 t"), 14, lambda v: v.line["co2_t"], T3),
        col(NP_("report.column", "Biogenic CO2 t"), 12, lambda v: v.line["biogenic_co2_t"], T3),
        col(NP_("report.column", "Energy tce"), 14, lambda v: v.line["energy_tce"], T3),
        col(NP_("report.column", "Uncertainty %%"), 11, lambda v: v.line["uncertainty_pct"], PCT),
        col(NP_("report.column", "Method"), 36, lambda v: v.line["method"]),
        col(NP_("report.column", "Factor rows"), 52, lambda v: _refs(view, v)),
        col(
            NP_("report.column", "Activity records"),
            18,
            lambda v: [r["record_id"] for r in v.records],
        ),
    ]
    last = _table(ws, labels, columns, view.lines, freeze="C3")
    refs = _column(columns, "Factor rows")
    for row, line in enumerate(view.lines, start=3):
        if line.unverified:
            ws.cell(row=row, column=refs).fill = _WARN_FILL
    _wrap_column(ws, refs, last)
    _wrap_column(ws, _column(columns, "Activity records"), last)


def _wrap_column(ws: Worksheet, column: int, last: int) -> None:
    for row in range(3, last + 1):
        ws.cell(row=row, column=column).alignment = Alignment(wrap_text=True, vertical="top")


def _activity(ws: Worksheet, view: ReportView, labels: Labels) -> None:
    records = [
        (line, r, tco2e)
        for line in view.lines
        for r, tco2e in zip(line.records, line.attributed_tco2e, strict=True)
    ]
    columns = [
        col(NP_("report.column", "Record"), 10, lambda x: x[1]["record_id"]),
        col(NP_("report.column", "Line"), 6, lambda x: x[0].label),
        col(NP_("report.column", "Source No."), 8, lambda x: f"S{x[0].source}"),
        col(NP_("report.column", "Source"), 16, lambda x: view.sources[x[0].source - 1].code),
        col(NP_("report.column", "Line id"), 22, lambda x: x[1]["source_id"]),
        col(NP_("report.column", "Source name"), 18, lambda x: x[1].get("source_name")),
        col(NP_("report.column", "Kind"), 22, lambda x: x[1].get("kind") or x[0].line["kind"]),
        col(NP_("report.column", "Period start"), 12, lambda x: _when(x[1]["period_start"])),
        col(NP_("report.column", "Period end"), 12, lambda x: _when(x[1]["period_end"])),
        col(NP_("report.column", "Quantity"), 16, lambda x: x[1]["quantity"], QTY),
        col(NP_("report.column", "Unit"), 9, lambda x: x[1]["unit"]),
        col(NP_("report.column", "Emissions tCO2e"), 16, lambda x: x[2], T3),
        col(NP_("report.column", "Origin"), 10, lambda x: x[1]["origin"]),
        col(NP_("report.column", "Origin (name)"), 16, lambda x: labels.origin(x[1]["origin"])),
        col(
            NP_("report.column", "Quality note"),
            36,
            lambda x: (note := x[1].get("quality_note")) and labels.message(metered_note(note)),
        ),
        col(
            NP_("report.column", "Evidence files"),
            28,
            lambda x: [e["filename"] for e in x[1]["evidence"]],
        ),
        col(
            NP_("report.column", "Evidence SHA-256"),
            68,
            lambda x: [e["sha256"] for e in x[1]["evidence"]],
        ),
    ]
    last = _table(ws, labels, columns, records, freeze="C3")
    origin = _column(columns, "Origin")
    for row, (_, record, _) in enumerate(records, start=3):
        if record["origin"] == "estimate":
            ws.cell(row=row, column=origin).fill = _WARN_FILL
    _wrap_column(ws, _column(columns, "Evidence files"), last)
    _wrap_column(ws, _column(columns, "Evidence SHA-256"), last)


def _factors(ws: Worksheet, view: ReportView, labels: Labels) -> None:
    def p(key: str) -> Callable[[Any], Any]:
        return lambda f: f.provenance.get(key)

    columns = [
        col(NP_("report.column", "No."), 6, lambda f: f.label),
        col(NP_("report.column", "Factor row"), 52, lambda f: f.ref),
        col(NP_("report.column", "Set"), 22, p("set_id")),
        col(NP_("report.column", "Version"), 8, p("version")),
        col(NP_("report.column", "Family"), 14, p("family")),
        col(NP_("report.column", "Key"), 18, p("key")),
        col(NP_("report.column", "Region"), 8, p("region")),
        col(NP_("report.column", "Parameter"), 16, p("parameter")),
        col(NP_("report.column", "Value"), 14, p("value"), "General"),
        col(NP_("report.column", "Unit"), 14, p("unit")),
        col(NP_("report.column", "Uncertainty %%"), 11, p("uncertainty_pct"), PCT),
        col(NP_("report.column", "Data year"), 9, p("data_year"), "0"),
        col(NP_("report.column", "Issuer"), 28, p("issuer")),
        col(NP_("report.column", "Document number"), 22, p("document_number")),
        col(NP_("report.column", "Document title"), 44, p("document_title")),
        col(NP_("report.column", "Clause / table"), 28, p("clause")),
        col(NP_("report.column", "Published"), 12, lambda f: _when(f.provenance.get("published"))),
        col(
            NP_("report.column", "Valid from"), 12, lambda f: _when(f.provenance.get("valid_from"))
        ),
        col(NP_("report.column", "Valid to"), 12, lambda f: _when(f.provenance.get("valid_to"))),
        col(NP_("report.column", "Source URL"), 40, p("source_url")),
        col(NP_("report.column", "Review status"), 12, p("status")),
        col(NP_("report.column", "Note"), 44, p("note")),
        col(
            NP_("report.column", "Used by sources"),
            16,
            lambda f: [f"S{n}" for n in f.used_by_sources],
        ),
        col(NP_("report.column", "Used by lines"), 16, lambda f: [f"L{n}" for n in f.used_by]),
    ]
    last = _table(ws, labels, columns, view.factors, freeze="C3")
    status = _column(columns, "Review status")
    for row, factor in enumerate(view.factors, start=3):
        if factor.unverified:
            ws.cell(row=row, column=status).fill = _WARN_FILL
            ws.cell(row=row, column=status).font = _BOLD
    _wrap_column(ws, _column(columns, "Used by lines"), last)


def _parameters(ws: Worksheet, view: ReportView, labels: Labels) -> None:
    uses = [(line, use) for line in view.lines for use in line.line["factors"]]

    def number(use: dict[str, Any]) -> str | None:
        row = view.factor(use["ref"])
        return row.label if row else None

    def role(use: dict[str, Any]) -> str:
        return labels.factor_role(use["role"], use.get("role_message"))

    def status_of(use: dict[str, Any]) -> str:
        return labels.name_of("factor.status", use["status"])

    def rule(use: dict[str, Any]) -> str:
        return labels.message(use.get("rule_message") or use["rule"])

    columns = [
        col(NP_("report.column", "Line"), 6, lambda x: x[0].label),
        col(NP_("report.column", "Line id"), 22, lambda x: x[0].line["source_id"]),
        col(NP_("report.column", "Source No."), 8, lambda x: f"S{x[0].source}"),
        col(NP_("report.column", "Parameter"), 36, lambda x: role(x[1])),
        col(NP_("report.column", "Value as used"), 16, lambda x: x[1]["value"], "General"),
        col(NP_("report.column", "Unit as used"), 14, lambda x: x[1]["unit"]),
        col(NP_("report.column", "Factor"), 8, lambda x: number(x[1])),
        col(NP_("report.column", "Factor row"), 52, lambda x: x[1]["ref"]),
        col(NP_("report.column", "Review status"), 12, lambda x: status_of(x[1])),
        col(NP_("report.column", "Why this value"), 44, lambda x: rule(x[1])),
    ]
    _table(ws, labels, columns, uses, freeze="C3")
    status = _column(columns, "Review status")
    for row, (_, use) in enumerate(uses, start=3):
        if use["status"] == "unverified":
            ws.cell(row=row, column=status).fill = _WARN_FILL


def _monthly(ws: Worksheet, data: ReportData, labels: Labels) -> None:
    kinds: list[str] = []
    for month in data.monthly:
        kinds += [k for k in month["by_category_tco2e"] if k not in kinds]
    columns = [col(NP_("report.column", "Month"), 10, lambda m: m["month"])]
    for kind in kinds:
        columns.append(
            col(NP_("report.column", "%(name)s tCO2e"), 18,
                lambda m, k=kind: m["by_category_tco2e"].get(k), T3,
                name=lambda labels, k=kind: _kind(k)[labels.zh])
        )  # fmt: skip
    columns.append(
        col(
            NP_("report.column", "Total tCO2e"),
            16,
            lambda m: sum(m["by_category_tco2e"].values()),
            T3,
        )
    )
    _table(ws, labels, columns, data.monthly, freeze="B3")
    ws.row_dimensions[1].height = 30


def _restatements(ws: Worksheet, view: ReportView, labels: Labels) -> None:
    columns = [
        col(NP_("report.column", "Inventory"), 10, lambda x: x["inventory_id"]),
        col(NP_("report.column", "Supersedes"), 10, lambda x: x.get("supersedes_id")),
        col(NP_("report.column", "Computed at (UTC)"), 18, lambda x: _when(x.get("created_at"))),
        col(NP_("report.column", "Reason"), 60, lambda x: x.get("reason")),
        col(
            NP_("report.column", "Previous total tCO2e"),
            18,
            lambda x: x.get("previous_total_tco2e"),
            T3,
        ),
        col(NP_("report.column", "New total tCO2e"), 18, lambda x: x.get("total_tco2e"), T3),
        col(NP_("report.column", "Change tCO2e"), 16, lambda x: x.get("change_tco2e"), T3),
        col(NP_("report.column", "Change %%"), 10, lambda x: x.get("change_pct"), PCT),
    ]
    last = _table(ws, labels, columns, view.restatements)
    _wrap_column(ws, 4, last)


def _cost(ws: Worksheet, cost: dict[str, Any], labels: Labels) -> None:
    """The energy cost per month and energy type [CNY] (section 6.3 of the report)."""
    types = [r["energy_type"] for r in cost["by_energy_type"]]
    columns = [col(NP_("report.column", "Month"), 10, lambda m: m["month"])]
    for energy_type in types:
        columns.append(
            col(NP_("report.column", "%(name)s CNY"), 16,
                lambda m, k=energy_type: m["by_energy_type_cny"].get(k), CNY,
                name=lambda labels, k=energy_type: labels.name_of("energy.type", k))
        )  # fmt: skip
    columns.append(col(NP_("report.column", "Total CNY"), 16, lambda m: m["cost_cny"], CNY))
    _table(ws, labels, columns, cost["months"], freeze="B3")
    ws.row_dimensions[1].height = 30


_SAVE_LOCK = threading.Lock()


@contextlib.contextmanager
def _exact_floats() -> Iterator[None]:
    """Write floats with ``repr`` (shortest exact round trip) instead of openpyxl's ``%.16g``.

    ``%.16g`` drops the 17th significant digit (15562.065408106666 is written 15562.06540810667,
    another double), and the workbook must hold the result's values exactly. openpyxl has no
    option for this, so its cell writer's formatter is swapped while our workbook is saved.
    """
    original = openpyxl.cell._writer.safe_string

    def exact(value: Any) -> str:
        if isinstance(value, float) and value == value and value not in (_INF, -_INF):
            return repr(value)
        return original(value)

    with _SAVE_LOCK:
        openpyxl.cell._writer.safe_string = exact
        try:
            yield
        finally:
            openpyxl.cell._writer.safe_string = original


_INF = float("inf")


def render_xlsx(data: ReportData, lang: str) -> bytes:
    """The report as an XLSX workbook in ``lang`` (sheet names and first header row)."""
    labels = Labels(lang)
    view = build_view(data)
    wb = Workbook()
    _summary(_sheet(wb, "summary", labels, first=True), data, labels)
    _sources(_sheet(wb, "sources", labels), view, labels)
    _lines(_sheet(wb, "lines", labels), view, labels)
    _activity(_sheet(wb, "activity", labels), view, labels)
    _factors(_sheet(wb, "factors", labels), view, labels)
    _parameters(_sheet(wb, "parameters", labels), view, labels)
    _monthly(_sheet(wb, "monthly", labels), data, labels)
    _restatements(_sheet(wb, "restatements", labels), view, labels)
    if data.energy_cost:
        _cost(_sheet(wb, "cost", labels), data.energy_cost, labels)
    title = labels.gettext("Greenhouse gas emission report")
    wb.properties.title = f"{title} · {data.facility_name} · {data.period_start}"
    wb.properties.creator = "lingtan"
    buffer = io.BytesIO()
    with _exact_floats():
        wb.save(buffer)
    return buffer.getvalue()
