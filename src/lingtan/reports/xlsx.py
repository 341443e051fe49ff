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
from lingtan.i18n import N_, NP_
from lingtan.i18n.catalog import texts
from lingtan.reports.cells import xlsx_text
from lingtan.reports.data import ReportData
from lingtan.reports.i18n import Labels
from lingtan.reports.view import LineView, ReportView, SourceView, build_view

__all__ = ["SHEETS", "render_xlsx"]

#: Sheet names: key → (English, Chinese).
SHEETS: dict[str, tuple[str, str]] = {
    "summary": ("Summary", "汇总"),
    "sources": ("Sources", "排放源"),
    "lines": ("Lines", "核算明细"),
    "activity": ("Activity", "活动数据"),
    "factors": ("Factors", "排放因子"),
    "parameters": ("Parameters", "排放源参数"),
    "monthly": ("Monthly", "逐月排放"),
    "restatements": ("Restatements", "重新计算"),
    "cost": ("Energy cost", "能源成本"),
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
    en, zh = SHEETS[key]
    title = zh if labels.zh else en
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


def _label(text: str | tuple[str, str]) -> tuple[str, str]:
    """(English, Chinese) of a text marked with ``N_`` or ``NP_``."""
    context, msgid = text if isinstance(text, tuple) else (None, text)
    chinese = Labels("zh-CN")
    return msgid, chinese.pgettext(context, msgid) if context else chinese.gettext(msgid)


def _summary_rows(data: ReportData, labels: Labels) -> list[tuple[str, str, str, Any, str | None]]:
    """(English, Chinese, result path, value, unit) for every figure of the summary."""
    r, t, inv = data.result, data.totals, data.result["inventory"]
    rows: list[tuple[str, str, str, Any, str | None]] = []

    def add(text: str | tuple[str, str], path: str, value: Any, unit: str | None = None) -> None:
        rows.append((*_label(text), path, value, unit))

    add(N_("Organization"), "organization_name", data.organization_name)
    add(NP_("report.facility", "Facility"), "facility_name", data.facility_name)
    add(N_("Facility code"), "facility_code", data.facility_code)
    add(NP_("report.region", "Region"), "region_code", data.region_code)
    add(NP_("report.region", "Region"), "region_name", data.region_name)
    add(N_("Industry (GB/T 4754)"), "industry_code", data.industry_code)
    add(N_("Industry (GB/T 4754)"), "industry_name", data.industry_name)
    rows.append(("Period start", "核算期起", "period_start", _when(data.period_start), None))
    rows.append(("Period end", "核算期止", "period_end", _when(data.period_end), None))
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
    for key, value in t["by_iso14064_category_tco2e"].items():
        rows.append(
            (
                f"ISO 14064-1 category {key}",
                f"ISO 14064-1 类别{key}",
                f"totals.by_iso14064_category_tco2e.{key}",
                value,
                "tCO2e",
            )
        )
    for key, value in t["by_scope3_category_tco2e"].items():
        rows.append(
            (
                f"Scope 3 category {key}",
                f"范围三类别{key}",
                f"totals.by_scope3_category_tco2e.{key}",
                value,
                "tCO2e",
            )
        )
    for gas, value in t["by_gas_t"].items():
        rows.append((gas, labels_gas_zh(gas), f"totals.by_gas_t.{gas}", value, "t"))
    for key, value in t["uncertainty_pct"].items():
        rows.append(
            (
                f"Uncertainty of {key}",
                f"{key} 不确定性",
                f"totals.uncertainty_pct.{key}",
                value,
                "%",
            )
        )
    for key, value in t["uncertainty_coverage_pct"].items():
        rows.append(
            (
                f"Uncertainty coverage of {key}",
                f"{key} 不确定性覆盖率",
                f"totals.uncertainty_coverage_pct.{key}",
                value,
                "%",
            )
        )
    for index, item in enumerate(t["intensities"]):
        for key, en, zh in (
            ("quantity", "Production", "产量"),
            ("tco2e_per_unit", "GB/T 32150 total per unit", "单位产品排放量"),
            (
                "scope1_2_location_tco2e_per_unit",
                "Scope 1+2 location-based per unit",
                "单位产品范围一和二（基于位置）",
            ),
            (
                "scope1_2_market_tco2e_per_unit",
                "Scope 1+2 market-based per unit",
                "单位产品范围一和二（基于市场）",
            ),
            ("tce_per_unit", "Energy per unit", "单位产品综合能耗"),
        ):
            rows.append(
                (
                    f"{en}: {item['denominator']}",
                    f"{zh}：{item['denominator']}",
                    f"totals.intensities[{index}].{key}",
                    item[key],
                    _intensity_unit(key, item["unit"]),
                )
            )
    if r.get("residual_factor"):
        rf = r["residual_factor"]
        add(N_("Residual factor (market-based)"), "residual_factor.value", rf["value"], rf["unit"])
    for index, warning in enumerate(warning_texts(r)):
        rows.append(("Warning", "警示", f"warnings[{index}]", labels.message(warning), None))
    return rows


def _intensity_unit(key: str, unit: str) -> str:
    if key == "quantity":
        return unit
    return f"tce/{unit}" if key == "tce_per_unit" else f"tCO2e/{unit}"


def labels_gas_zh(gas: str) -> str:
    return Labels("zh-CN").gas(gas)


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
        Col("Item", "项目", 38, lambda r: r[0] if not labels.zh else r[1]),
        Col("Item (other language)", "项目（英文）", 38, lambda r: r[1] if not labels.zh else r[0]),
        Col("Key in the result", "结果字段", 44, lambda r: r[2]),
        Col("Value", "数值", 22, lambda r: r[3]),
        Col("Unit", "单位", 12, lambda r: r[4]),
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
        Col("No.", "编号", 6, lambda s: s.label),
        Col("Source", "排放源", 16, lambda s: s.code),
        Col("Name", "名称", 22, lambda s: s.name),
        Col("Kind", "排放源类型", 22, lambda s: s.kind),
        Col("Kind (name)", "排放源类型名称", 30, lambda s: L.kind(s.kind)),
        Col("GB/T 32150 category", "排放类别", 18, lambda s: s.gbt32150_category),
        Col("Category (name)", "排放类别名称", 30, lambda s: L.category(s.gbt32150_category)),
        Col("Scope", "范围", 7, lambda s: s.ghg_scope),
        Col("Scope 3 category", "范围三类别", 9, lambda s: s.scope3_category),
        Col("ISO 14064-1 category", "ISO 14064-1 类别", 9, lambda s: s.iso14064_category),
        Col("Calculation lines", "核算行数", 10, lambda s: len(s.lines)),
        Col("Activity records", "活动数据记录数", 10, lambda s: len(s.records)),
        Col("Quantity", "数量", 16, lambda s: s.quantity, QTY),
        Col("Unit", "单位", 10, lambda s: _units(L, s.units)),
        Col("Activity data", "活动数据", 16, lambda s: s.activity, QTY),
        Col("Activity unit", "活动数据单位", 10, lambda s: _units(L, s.activity_units)),
        Col("Emissions tCO2e", "排放量 tCO2e", 16, lambda s: s.emissions_tco2e, T3),
        Col("Market-based tCO2e", "基于市场 tCO2e", 16, lambda s: s.market_emissions_tco2e, T3),
        Col("Covered MWh", "覆盖电量 MWh", 12, lambda s: s.covered_mwh, T3),
        Col("CO2 t", "二氧化碳 t", 14, lambda s: s.co2_t, T3),
        Col("Biogenic CO2 t", "生物质二氧化碳 t", 12, lambda s: s.biogenic_co2_t, T3),
        Col("Energy tce", "能源消费量 tce", 14, lambda s: s.energy_tce, T3),
        Col("Uncertainty %", "不确定性 %", 11, lambda s: s.uncertainty_pct, PCT),
        Col(
            "Uncertainty coverage %",
            "不确定性覆盖率 %",
            11,
            lambda s: s.uncertainty_coverage_pct,
            PCT,
        ),
        *(
            Col(
                f"Gas {gas} t",
                f"{labels_gas_zh(gas)} t",
                12,
                lambda s, g=gas: s.gases_t.get(g),
                QTY,
            )
            for gas in gases
        ),
        Col("Method", "计算方法", 36, lambda s: s.methods),
        Col("Factor rows", "排放因子", 52, _source_refs),
        Col("Lines", "核算行", 14, lambda s: [view.label for view in s.lines]),
        Col("Activity records", "活动数据记录", 18, lambda s: [r["record_id"] for r in s.records]),
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
        Col("Line", "编号", 6, lambda v: v.label),
        Col("Line id", "核算行标识", 22, lambda v: v.line["source_id"]),
        Col("Source No.", "排放源编号", 8, lambda v: f"S{v.source}"),
        Col("Source", "排放源", 16, lambda v: view.sources[v.source - 1].code),
        Col("Name", "名称", 16, lambda v: v.line["name"]),
        Col("Kind", "排放源类型", 22, lambda v: v.line["kind"]),
        Col("Kind (name)", "排放源类型名称", 30, lambda v: L.kind(v.line["kind"])),
        Col("GB/T 32150 category", "排放类别", 18, lambda v: v.line["gbt32150_category"]),
        Col(
            "Category (name)", "排放类别名称", 30, lambda v: L.category(v.line["gbt32150_category"])
        ),
        Col("Scope", "范围", 7, lambda v: v.line["ghg_scope"]),
        Col("Scope 3 category", "范围三类别", 9, lambda v: v.line["scope3_category"]),
        Col("ISO 14064-1 category", "ISO 14064-1 类别", 9, lambda v: v.line["iso14064_category"]),
        Col("Quantity", "数量", 16, lambda v: v.line["quantity"], QTY),
        Col("Unit", "单位", 10, lambda v: v.line["unit"]),
        Col("Activity data", "活动数据", 16, lambda v: v.line["activity"], QTY),
        Col("Activity unit", "活动数据单位", 10, lambda v: v.line["activity_unit"]),
        Col("Emissions tCO2e", "排放量 tCO2e", 16, lambda v: v.line["emissions_tco2e"], T3),
        Col(
            "Market-based tCO2e",
            "基于市场 tCO2e",
            16,
            lambda v: v.line["market_emissions_tco2e"],
            T3,
        ),
        Col("Covered MWh", "覆盖电量 MWh", 12, lambda v: v.line["covered_mwh"], T3),
        Col("CO2 t", "二氧化碳 t", 14, lambda v: v.line["co2_t"], T3),
        Col("Biogenic CO2 t", "生物质二氧化碳 t", 12, lambda v: v.line["biogenic_co2_t"], T3),
        Col("Energy tce", "能源消费量 tce", 14, lambda v: v.line["energy_tce"], T3),
        Col("Uncertainty %", "不确定性 %", 11, lambda v: v.line["uncertainty_pct"], PCT),
        Col("Method", "计算方法", 36, lambda v: v.line["method"]),
        Col("Factor rows", "排放因子", 52, lambda v: _refs(view, v)),
        Col("Activity records", "活动数据记录", 18, lambda v: [r["record_id"] for r in v.records]),
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
        Col("Record", "记录", 10, lambda x: x[1]["record_id"]),
        Col("Line", "编号", 6, lambda x: x[0].label),
        Col("Source No.", "排放源编号", 8, lambda x: f"S{x[0].source}"),
        Col("Source", "排放源", 16, lambda x: view.sources[x[0].source - 1].code),
        Col("Line id", "核算行标识", 22, lambda x: x[1]["source_id"]),
        Col("Source name", "排放源名称", 18, lambda x: x[1].get("source_name")),
        Col("Kind", "排放源类型", 22, lambda x: x[1].get("kind") or x[0].line["kind"]),
        Col("Period start", "期间起", 12, lambda x: _when(x[1]["period_start"])),
        Col("Period end", "期间止", 12, lambda x: _when(x[1]["period_end"])),
        Col("Quantity", "数量", 16, lambda x: x[1]["quantity"], QTY),
        Col("Unit", "单位", 9, lambda x: x[1]["unit"]),
        Col("Emissions tCO2e", "排放量 tCO2e", 16, lambda x: x[2], T3),
        Col("Origin", "数据来源", 10, lambda x: x[1]["origin"]),
        Col("Origin (name)", "数据来源名称", 16, lambda x: labels.origin(x[1]["origin"])),
        Col("Quality note", "质量说明", 36, lambda x: x[1].get("quality_note")),
        Col("Evidence files", "证据文件", 28, lambda x: [e["filename"] for e in x[1]["evidence"]]),
        Col(
            "Evidence SHA-256",
            "证据 SHA-256",
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
        Col("No.", "编号", 6, lambda f: f.label),
        Col("Factor row", "因子行", 52, lambda f: f.ref),
        Col("Set", "因子集", 22, p("set_id")),
        Col("Version", "版本", 8, p("version")),
        Col("Family", "类别", 14, p("family")),
        Col("Key", "键", 18, p("key")),
        Col("Region", "地区", 8, p("region")),
        Col("Parameter", "参数", 16, p("parameter")),
        Col("Value", "数值", 14, p("value"), "General"),
        Col("Unit", "单位", 14, p("unit")),
        Col("Uncertainty %", "不确定性 %", 11, p("uncertainty_pct"), PCT),
        Col("Data year", "数据年份", 9, p("data_year"), "0"),
        Col("Issuer", "发布机构", 28, p("issuer")),
        Col("Document number", "文件编号", 22, p("document_number")),
        Col("Document title", "文件名称", 44, p("document_title")),
        Col("Clause / table", "条款或表", 28, p("clause")),
        Col("Published", "发布日期", 12, lambda f: _when(f.provenance.get("published"))),
        Col("Valid from", "生效日期", 12, lambda f: _when(f.provenance.get("valid_from"))),
        Col("Valid to", "失效日期", 12, lambda f: _when(f.provenance.get("valid_to"))),
        Col("Source URL", "来源网址", 40, p("source_url")),
        Col("Review status", "核查状态", 12, p("status")),
        Col("Note", "说明", 44, p("note")),
        Col("Used by sources", "使用于排放源", 16, lambda f: [f"S{n}" for n in f.used_by_sources]),
        Col("Used by lines", "使用于核算行", 16, lambda f: [f"L{n}" for n in f.used_by]),
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

    columns = [
        Col("Line", "编号", 6, lambda x: x[0].label),
        Col("Line id", "核算行标识", 22, lambda x: x[0].line["source_id"]),
        Col("Source No.", "排放源编号", 8, lambda x: f"S{x[0].source}"),
        Col("Parameter", "参数", 36, lambda x: x[1]["role"]),
        Col("Value as used", "所用数值", 16, lambda x: x[1]["value"], "General"),
        Col("Unit as used", "所用单位", 14, lambda x: x[1]["unit"]),
        Col("Factor", "因子编号", 8, lambda x: number(x[1])),
        Col("Factor row", "因子行", 52, lambda x: x[1]["ref"]),
        Col("Review status", "核查状态", 12, lambda x: x[1]["status"]),
        Col("Why this value", "选取依据", 44, lambda x: x[1]["rule"]),
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
    columns = [Col("Month", "月份", 10, lambda m: m["month"])]
    for kind in kinds:
        en, zh = _kind(kind)
        columns.append(
            Col(
                f"{en} tCO2e",
                f"{zh} tCO2e",
                18,
                lambda m, k=kind: m["by_category_tco2e"].get(k),
                T3,
            )
        )
    columns.append(
        Col("Total tCO2e", "合计 tCO2e", 16, lambda m: sum(m["by_category_tco2e"].values()), T3)
    )
    _table(ws, labels, columns, data.monthly, freeze="B3")
    ws.row_dimensions[1].height = 30


def _restatements(ws: Worksheet, view: ReportView, labels: Labels) -> None:
    columns = [
        Col("Inventory", "清单编号", 10, lambda x: x["inventory_id"]),
        Col("Supersedes", "替代清单", 10, lambda x: x.get("supersedes_id")),
        Col("Computed at (UTC)", "计算时间（UTC）", 18, lambda x: _when(x.get("created_at"))),
        Col("Reason", "原因", 60, lambda x: x.get("reason")),
        Col(
            "Previous total tCO2e",
            "原排放总量 tCO2e",
            18,
            lambda x: x.get("previous_total_tco2e"),
            T3,
        ),
        Col("New total tCO2e", "新排放总量 tCO2e", 18, lambda x: x.get("total_tco2e"), T3),
        Col("Change tCO2e", "变化 tCO2e", 16, lambda x: x.get("change_tco2e"), T3),
        Col("Change %", "变化 %", 10, lambda x: x.get("change_pct"), PCT),
    ]
    last = _table(ws, labels, columns, view.restatements)
    _wrap_column(ws, 4, last)


def _cost(ws: Worksheet, cost: dict[str, Any], labels: Labels) -> None:
    """The energy cost per month and energy type [CNY] (section 6.3 of the report)."""
    types = [r["energy_type"] for r in cost["by_energy_type"]]
    columns = [Col("Month", "月份", 10, lambda m: m["month"])]
    for energy_type in types:
        en, zh = (texts(lang).name_of("energy.type", energy_type) for lang in ("en", "zh-CN"))
        columns.append(
            Col(f"{en} CNY", f"{zh}（元）", 16,
                lambda m, k=energy_type: m["by_energy_type_cny"].get(k), CNY)
        )  # fmt: skip
    columns.append(Col("Total CNY", "合计（元）", 16, lambda m: m["cost_cny"], CNY))
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
