"""The activity-data workbook: the downloadable template, and the writer the demo uses.

One sheet per kind of data, bilingual headers (official Chinese term, then the field name that
:mod:`lingtan.imports.parse` reads). Rows passed in are written below the headers; with no
rows, the file is the empty template.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

__all__ = ["SHEETS", "write_workbook"]

#: Sheet name -> [(field, header)], in column order.
SHEETS: dict[str, list[tuple[str, str]]] = {
    "报告主体 Facility": [
        ("organization", "企业名称 organization"),
        ("code", "工厂编号 facility_code"),
        ("name", "工厂名称 facility_name"),
        ("region", "省份 region"),
        ("industry_code", "行业代码 industry_code"),
        ("industry_name", "行业名称 industry_name"),
        ("boundary", "核算边界 boundary"),
    ],
    "排放源 Sources": [
        ("source_id", "排放源编号 source_id"),
        ("kind", "类型 kind"),
        ("name", "名称 name"),
        ("production_unit", "生产单元 production_unit"),
        ("fuel", "燃料 fuel"),
        ("gas", "制冷剂/气体 gas"),
        ("carbonate", "碳酸盐 carbonate"),
        ("region", "地区 region"),
        ("medium", "介质 medium"),
        ("factor", "排放因子 factor"),
        ("factor_unit", "因子单位 factor_unit"),
        ("factor_set", "因子集 factor_set"),
        ("scope", "范围 scope"),
        ("category", "范围三类别 category"),
    ],
    "活动数据 Activity": [
        ("source_id", "排放源编号 source_id"),
        ("period_start", "开始日期 period_start"),
        ("period_end", "结束日期 period_end"),
        ("quantity", "数量 quantity"),
        ("unit", "单位 unit"),
        ("origin", "数据来源 origin"),
        ("evidence", "凭证文件 evidence"),
        ("quality_note", "数据质量说明 quality_note"),
        ("ncv", "低位发热量 ncv"),
        ("ncv_unit", "低位发热量单位 ncv_unit"),
        ("enthalpy", "焓值 enthalpy"),
        ("temperature", "温度 temperature"),
    ],
    "月度 Monthly": [
        ("source_id", "排放源编号 source_id"),
        ("unit", "单位 unit"),
        ("year", "年份 year"),
        *[(f"m{m:02d}", f"{m}月") for m in range(1, 13)],
        ("total", "合计 total"),
        ("origin", "数据来源 origin"),
    ],
    "绿证绿电 Instruments": [
        ("instrument_id", "编号 instrument_id"),
        ("kind", "类型 kind"),
        ("period_start", "开始日期 period_start"),
        ("period_end", "结束日期 period_end"),
        ("quantity", "数量 quantity"),
        ("unit", "单位 unit"),
        ("serial", "证书编号 serial"),
        ("sources", "适用排放源 sources"),
        ("evidence", "凭证文件 evidence"),
    ],
    "产量 Production": [
        ("product", "产品编号 product"),
        ("product_name", "产品名称 product_name"),
        ("period_start", "开始日期 period_start"),
        ("period_end", "结束日期 period_end"),
        ("quantity", "产量 quantity"),
        ("unit", "单位 unit"),
    ],
}

_INSTRUCTIONS = (
    ("填写说明 Instructions", ""),
    ("每个工作表一类数据；表头中文在前、字段名在后，请勿修改表头。",
     "One sheet per kind of data; keep the headers (Chinese term, then field name)."),
    ("数据来源 origin：meter 计量 / invoice 发票 / manual 手工 / estimate 估算。",
     "origin: meter / invoice / manual / estimate."),
    ("凭证文件 evidence：相对本文件所在目录的文件名，多个用分号分隔。",
     "evidence: file names relative to this workbook's folder, separated by semicolons."),
    ("月度表：每行一个排放源一年，1月至12月各一列；合计列若填写须等于各月之和。",
     "Monthly: one row per source and year, one column per month; a total must equal the sum."),
    ("同一排放源同一期间重复导入时数值相同则忽略，数值不同则报冲突，不会覆盖。",
     "Re-importing the same record changes nothing; a different value is a conflict."),
    ("整份文件校验通过才会写入；任何一行有错，整份文件不写入。",
     "A file is written only when every row passes; any error leaves the database unchanged."),
)  # fmt: skip


def write_workbook(
    path: str | Path, rows: dict[str, Iterable[Sequence[Any]]] | None = None
) -> Path:
    """Write the workbook; ``rows`` maps a sheet name of :data:`SHEETS` to its data rows
    (values in the sheet's column order). Sheets without rows are written empty."""
    rows = rows or {}
    unknown = set(rows) - set(SHEETS)
    if unknown:
        raise ValueError(f"unknown sheets: {sorted(unknown)}")
    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    notes = workbook.create_sheet("说明 Instructions")
    for chinese, english in _INSTRUCTIONS:
        notes.append([chinese, english])
    for name, columns in SHEETS.items():
        sheet = workbook.create_sheet(name)
        sheet.freeze_panes = "A2"
        for index in range(len(columns)):
            sheet.column_dimensions[get_column_letter(index + 1)].width = 18
        header = []
        for _, text in columns:
            cell = WriteOnlyCell(sheet, value=text)
            cell.font, cell.fill = bold, fill
            cell.alignment = Alignment(wrap_text=True)
            header.append(cell)
        sheet.append(header)
        for values in rows.get(name, ()):
            sheet.append(list(values))
    path = Path(path)
    workbook.save(path)
    return path
