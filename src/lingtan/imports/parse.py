"""Activity-data files in, checked rows out: nothing touches the database here.

A file is an Excel workbook (the template of :mod:`lingtan.imports.template`, one sheet per
kind of data) or a CSV file of one kind. Each table is recognised by its header:

=================  ==========================================================================
Facility 报告主体    organization, facility code and name, region, industry (one row)
Sources 排放源      source_id, kind, name and the kind's fields (fuel, gas, region ...)
Activity 活动数据    source_id, period start and end, quantity, unit, origin, evidence ...
Monthly 月度        source_id, unit, year and one column per month (1月 ... 12月 / Jan ... Dec):
                   the "monthly columns per energy type" ledger factories already keep
Instruments 绿证绿电 instrument id, kind, period, quantity, unit, serial, sources
Production 产量      product, name, period, quantity, unit
=================  ==========================================================================

Every problem is collected with its file, sheet, row, column, value and rule; a file with any
problem is refused whole (:class:`~lingtan.errors.InputError`), listing the first
:data:`~lingtan.errors.MAX_PROBLEMS` and counting the others. Rows are read one at a time and
a file of more than :func:`row_limit` data rows is refused when the row after the limit is
read, so that memory and time stay bounded whatever the file.
"""

from __future__ import annotations

import calendar
import functools
import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lingtan.accounting.engine import substance_names
from lingtan.accounting.model import KINDS
from lingtan.calcfile import _FIELDS as SOURCE_FIELDS
from lingtan.catalog import UnknownRegionError, fold_name, fuels, resolve_fuel, resolve_region
from lingtan.errors import InputError, InputProblem, InputTooLargeError, Problems
from lingtan.factors import FactorLibrary, shipped_library
from lingtan.i18n import Message
from lingtan.imports.tables import (
    Table,
    column_label,
    header_columns,
    match_columns,
    read_tables,
)
from lingtan.imports.text import file_sha256
from lingtan.units import MAX_QUANTITY, UnitError, conversion_factor

__all__ = [
    "ORIGINS",
    "ActivityRow",
    "FacilityRow",
    "InstrumentRow",
    "ParsedFile",
    "ProductionRow",
    "SourceRow",
    "parse_file",
    "row_limit",
]

#: The most data rows an activity file may hold (over all its sheets); a factory's ledger
#: of daily records for 30 sources over 20 years has some 220,000.
MAX_ROWS = 250_000
#: Environment variable that sets another limit (a whole number of rows).
ENV_MAX_ROWS = "LINGTAN_MAX_IMPORT_ROWS"


def row_limit() -> int:
    """The most data rows an activity file may hold: ``LINGTAN_MAX_IMPORT_ROWS`` or
    :data:`MAX_ROWS`."""
    text = os.environ.get(ENV_MAX_ROWS, "").strip()
    if not text:
        return MAX_ROWS
    if not text.isdigit() or int(text) < 1:
        raise InputError(
            InputProblem(
                Message("environment"), ENV_MAX_ROWS, text, Message("must be a whole number")
            )
        )
    return int(text)


class _TooManyRowsError(Exception):
    pass


def _counted(tables: list[Table], limit: int) -> None:
    """Make the rows of ``tables`` stop the parse (:class:`_TooManyRowsError`) when, together,
    they pass ``limit``."""
    read = 0

    def counting(rows):
        nonlocal read
        for row in rows:
            read += 1
            if read > limit:
                raise _TooManyRowsError
            yield row

    for table in tables:
        table.rows = counting(table.rows)


#: Origin of an activity record, with the Chinese words a ledger uses.
ORIGINS = {
    "meter": ("meter", "计量", "仪表", "电表"),
    "invoice": ("invoice", "发票", "账单", "结算单"),
    "manual": ("manual", "手工", "人工", "填报"),
    "estimate": ("estimate", "估算", "估计"),
}

FACILITY = {
    "organization": ("organization", "企业名称", "企业", "organisation"),
    "code": ("facility_code", "工厂编号", "code"),
    "name": ("facility_name", "工厂名称", "name"),
    "region": ("region", "省份", "地区", "province"),
    "industry_code": ("industry_code", "行业代码", "GB/T 4754"),
    "industry_name": ("industry_name", "行业名称", "industry"),
    "boundary": ("boundary", "核算边界"),
    "time_zone": ("time_zone", "时区", "timezone"),
}
SOURCES = {
    "source_id": ("source_id", "排放源编号", "source"),
    "kind": ("kind", "类型", "排放源类型", "type"),
    "name": ("name", "名称", "排放源名称"),
    "production_unit": ("production_unit", "生产单元", "unit_name", "workshop"),
    "fuel": ("fuel", "燃料", "燃料品种"),
    "gas": ("gas", "气体", "制冷剂", "refrigerant"),
    "carbonate": ("carbonate", "碳酸盐"),
    "region": ("region", "地区", "电网区域"),
    "medium": ("medium", "介质", "热力介质"),
    "factor": ("factor", "排放因子", "emission_factor"),
    "factor_unit": ("factor_unit", "因子单位"),
    "factor_set": ("factor_set", "因子集"),
    "scope": ("scope", "范围"),
    "category": ("category", "范围三类别", "scope3_category"),
}
ACTIVITY = {
    "source_id": SOURCES["source_id"],
    "period_start": ("period_start", "开始日期", "起始日期", "start"),
    "period_end": ("period_end", "结束日期", "截止日期", "end"),
    "quantity": ("quantity", "数量", "消耗量", "用量"),
    "unit": ("unit", "单位", "计量单位"),
    "origin": ("origin", "数据来源", "来源"),
    "evidence": ("evidence", "凭证文件", "凭证", "证据文件"),
    "quality_note": ("quality_note", "数据质量说明", "备注", "note"),
    "ncv": ("ncv", "低位发热量", "实测低位发热量"),
    "ncv_unit": ("ncv_unit", "低位发热量单位"),
    "enthalpy": ("enthalpy", "焓值", "蒸汽焓值"),
    "temperature": ("temperature", "温度", "热水温度"),
}
_CHINESE_MONTHS = ("一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二")
MONTHS = {
    f"m{m:02d}": (
        f"{m}月",
        f"{m:02d}月",
        f"{_CHINESE_MONTHS[m - 1]}月",
        calendar.month_abbr[m],
        calendar.month_name[m],
    )
    for m in range(1, 13)
}
MONTHLY = {
    "source_id": SOURCES["source_id"],
    "unit": ACTIVITY["unit"],
    "year": ("year", "年份", "年度"),
    "origin": ACTIVITY["origin"],
    "total": ("total", "合计", "全年合计"),
    **MONTHS,
}
INSTRUMENTS = {
    "instrument_id": ("instrument_id", "编号", "证书批次", "instrument"),
    "kind": ("kind", "类型"),
    "period_start": ACTIVITY["period_start"],
    "period_end": ACTIVITY["period_end"],
    "quantity": ACTIVITY["quantity"],
    "unit": ACTIVITY["unit"],
    "serial": ("serial", "证书编号", "合同编号"),
    "sources": ("sources", "适用排放源"),
    "evidence": ACTIVITY["evidence"],
}
PRODUCTION = {
    "product": ("product", "产品编号", "product_code"),
    "product_name": ("product_name", "产品名称"),
    "period_start": ACTIVITY["period_start"],
    "period_end": ACTIVITY["period_end"],
    "quantity": ("quantity", "产量", "数量"),
    "unit": ACTIVITY["unit"],
}
_SKIPPED_SHEETS = re.compile(r"(说明|instructions|readme)", re.IGNORECASE)
_INSTRUMENT_KINDS = {
    "gec": ("gec", "绿证"),
    "green_power": ("green_power", "绿电", "绿电交易"),
    "onsite_renewable": ("onsite_renewable", "自发自用", "屋顶光伏"),
}


@dataclass(frozen=True, slots=True)
class FacilityRow:
    organization: str
    code: str
    name: str
    region: str
    industry_code: str | None
    industry_name: str | None
    boundary: str | None
    where: str
    time_zone: str | None = None  # IANA name; None keeps the facility's (Asia/Shanghai)


@dataclass(frozen=True, slots=True)
class SourceRow:
    code: str
    kind: str
    name: str
    production_unit: str | None
    params: dict[str, Any]
    where: str


@dataclass(frozen=True, slots=True)
class ActivityRow:
    source_code: str
    period_start: date
    period_end: date
    quantity: float
    unit: str
    origin: str
    quality_note: str | None
    evidence: tuple[Path, ...]
    params: dict[str, Any] | None
    table: str  # the table's origin: "file.xlsx sheet X" or "file.csv"
    row: int
    column: str | None = None  # the month column of a monthly ledger

    @property
    def where(self) -> str:
        """Where the record was read, made when asked: a text of its own for every record
        would be some 40 % of what a large file takes in memory."""
        where = Message("%(file)s row %(row)d", file=self.table, row=self.row)
        return where if self.column is None else f"{where} column {self.column}"


@dataclass(frozen=True, slots=True)
class InstrumentRow:
    code: str
    kind: str
    period_start: date
    period_end: date
    quantity: float
    unit: str
    serial: str | None
    sources: tuple[str, ...]
    evidence: Path | None
    where: str


@dataclass(frozen=True, slots=True)
class ProductionRow:
    product: str
    product_name: str
    period_start: date
    period_end: date
    quantity: float
    unit: str
    where: str


@dataclass
class ParsedFile:
    path: Path
    sha256: str
    facility: FacilityRow | None = None
    sources: list[SourceRow] = field(default_factory=list)
    activity: list[ActivityRow] = field(default_factory=list)
    instruments: list[InstrumentRow] = field(default_factory=list)
    production: list[ProductionRow] = field(default_factory=list)
    rows_read: int = 0


class _Row:
    """Typed access to the cells of one row; problems are collected, never raised."""

    def __init__(
        self,
        table: Table,
        number: int,
        values: list[Any],
        columns: dict[str, int],
        problems: list[InputProblem],
    ) -> None:
        self.table, self.row_number, self.values = table, number, values
        self.columns, self.problems = columns, problems
        self.ok = True

    @property
    def where(self) -> Message:
        return Message("%(file)s row %(row)d", file=self.table.origin, row=self.row_number)

    def raw(self, name: str) -> Any:
        index = self.columns.get(name)
        if index is None or index >= len(self.values):
            return None
        value = self.values[index]
        return value.strip() if isinstance(value, str) else value

    def fail(self, name: str, value: Any, rule: str) -> None:
        index = self.columns.get(name)
        label = column_label(index, self.table.header[index]) if index is not None else name
        field = Message("column %(column)s", column=label)
        self.problems.append(InputProblem(self.where, field, value, rule))
        self.ok = False

    def text(self, name: str, *, required: bool = False) -> str | None:
        value = self.raw(name)
        if value in (None, ""):
            if required:
                self.fail(name, None, Message("is required"))
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return str(value)

    def number(
        self, name: str, *, required: bool = False, minimum: float | None = 0.0
    ) -> float | None:
        value = self.raw(name)
        if value in (None, ""):
            if required:
                self.fail(name, None, Message("is required"))
            return None
        if isinstance(value, bool):
            self.fail(name, value, Message("must be a number"))
            return None
        if isinstance(value, str):
            try:
                value = float(value.replace(",", ""))
            except ValueError:
                self.fail(name, value, Message("must be a number"))
                return None
        if not isinstance(value, int | float) or not math.isfinite(value):
            self.fail(name, value, Message("must be a finite number"))
            return None
        if abs(value) > MAX_QUANTITY:
            self.fail(name, value, Message("must be at most %(limit)g", limit=MAX_QUANTITY))
            return None
        if minimum is not None and value < minimum:
            self.fail(name, value, Message("must not be negative"))
            return None
        return float(value)

    def day(self, name: str) -> date | None:
        value = self.raw(name)
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            text = value.replace("/", "-").replace(".", "-")
            try:
                return date.fromisoformat(text)
            except ValueError:
                pass
        self.fail(
            name,
            value,
            Message("must be a date (YYYY-MM-DD)") if value is not None else Message("is required"),
        )
        return None

    def choice(
        self, name: str, options: dict[str, tuple[str, ...]], default: str | None
    ) -> str | None:
        value = self.text(name)
        if value is None:
            if default is None:
                self.fail(name, None, Message("is required"))
            return default
        folded = value.casefold()
        for key, aliases in options.items():
            if folded in (a.casefold() for a in aliases):
                return key
        self.fail(name, value, Message("must be one of %(options)s", options=", ".join(options)))
        return None


def _kind_of(table: Table) -> str | None:
    """Which kind of table this is, from the columns its header has."""

    def has(aliases: tuple[str, ...]) -> bool:
        return bool(header_columns(table.header, {"column": aliases}))

    if has(MONTHLY["year"]) and any(has(aliases) for aliases in MONTHS.values()):
        return "monthly"
    if has(("instrument_id", "证书批次")):
        return "instruments"
    if has(PRODUCTION["product"]):
        return "production"
    if has(FACILITY["organization"]):
        return "facility"
    if has(SOURCES["source_id"]) and has(ACTIVITY["period_start"]):
        return "activity"
    if has(SOURCES["source_id"]) and has(SOURCES["kind"]):
        return "sources"
    return None


# The dimension an activity quantity must have, per source kind (a unit that converts to one).
_UNITS_BY_KIND = {
    "purchased_electricity": ("MWh",),
    "exported_electricity": ("MWh",),
    "fuel_combustion": ("t", "Nm3"),
    "mobile_combustion": ("t", "Nm3"),
    "biomass_combustion": ("t", "Nm3", "GJ"),
    "process_carbonate": ("t",),
    "fugitive": ("t",),
    "recovered_co2": ("t", "Nm3"),
}


def _unit_rule(kind: str, params: dict[str, Any], unit: str) -> Message | None:
    """Why ``unit`` cannot measure the activity of a source of ``kind``, or None."""
    if kind in ("purchased_heat", "exported_heat"):
        expected: tuple[str, ...] = ("GJ",) if params.get("medium", "heat") == "heat" else ("t",)
    else:
        expected = _UNITS_BY_KIND.get(kind, ())
    try:
        if not expected:
            conversion_factor(unit, unit)
            return None
        for target in expected:
            try:
                conversion_factor(unit, target)
                return None
            except UnitError:
                continue
    except UnitError as exc:
        return exc.message
    return Message(
        "a %(kind)s quantity must convert to one of: %(units)s",
        kind=kind,
        units=", ".join(expected),
    )


def _check_source(
    row: _Row, code: str | None, unit: str | None, kinds: dict[str, tuple[str, dict]]
) -> None:
    """The record's source must be defined, and its unit must fit the source's kind."""
    source = kinds.get(code or "")
    if code and source is None:
        row.fail(
            "source_id",
            code,
            Message("is not a source of the facility (define it in the Sources sheet)"),
        )
    elif source and unit and (rule := _unit_rule(source[0], source[1], unit)):
        row.fail("unit", unit, rule)


def _facility(table: Table, problems: list[InputProblem]) -> FacilityRow | None:
    columns = match_columns(table, FACILITY, ("organization", "code", "name", "region"))
    facility = None
    for number, values in table.rows:
        row = _Row(table, number, values, columns, problems)
        if facility is not None:
            row.fail(
                "code", row.raw("code"), Message("a file describes one facility: one row only")
            )
            continue
        region = row.text("region", required=True)
        if region:
            try:
                region = resolve_region(region).code
            except UnknownRegionError as exc:
                row.fail("region", region, exc.message)
        values_ = {
            k: row.text(k, required=k in ("organization", "code", "name"))
            for k in ("organization", "code", "name", "industry_code", "industry_name", "boundary")
        }
        zone = row.text("time_zone")
        if zone:
            try:
                ZoneInfo(zone)
            except (ValueError, ZoneInfoNotFoundError):
                row.fail("time_zone", zone, Message("is not a time zone (e.g. Asia/Shanghai)"))
        if row.ok and region:
            facility = FacilityRow(region=region, where=row.where, time_zone=zone, **values_)  # type: ignore[arg-type]
    return facility


def _check_fuel(row: _Row, kind: str | None, params: dict[str, Any]) -> None:
    """A fossil-fuel source names a fuel of the catalogue (biomass names are free text): an
    unknown one would be stored and then refused by every inventory of the facility."""
    if kind not in ("fuel_combustion", "mobile_combustion"):
        return
    fuel = params.get("fuel")
    if fuel is None:
        row.fail("fuel", None, Message("is required for a %(kind)s source", kind=kind))
    elif resolve_fuel(fuel) is None:
        known = ", ".join(f.key for f in fuels())
        row.fail(
            "fuel", fuel, Message("is not a fuel lingtan knows; known: %(known)s", known=known)
        )


def _check_substances(
    row: _Row, kind: str | None, params: dict[str, Any], substances: _Substances
) -> None:
    """A fugitive source names a gas or refrigerant blend, a carbonate source a carbonate,
    that the factor library knows (any GWP set): an unknown one would break every inventory."""
    gases, blends, carbonates = substances
    gas, carbonate = params.get("gas"), params.get("carbonate")
    if kind == "fugitive" and gas is None:
        row.fail("gas", None, Message("is required for a %(kind)s source", kind=kind))
    if gas is not None and fold_name(gas) not in gases and fold_name(gas) not in blends:
        known = ", ".join(sorted({*gases.values(), *blends.values()}))
        rule = Message("is not a gas lingtan knows; known: %(known)s", known=known)
        row.fail("gas", gas, rule)
    if carbonate is not None and fold_name(carbonate) not in carbonates:
        known = ", ".join(sorted(set(carbonates.values())))
        rule = Message("is not a carbonate lingtan knows; known: %(known)s", known=known)
        row.fail("carbonate", carbonate, rule)


#: Folded name -> key of the gases, blends and carbonates a library knows (substance_names).
_Substances = tuple[dict[str, str], dict[str, str], dict[str, str]]


@functools.cache
def _shipped_substances() -> _Substances:
    return substance_names(shipped_library())


def _sources(
    table: Table, problems: list[InputProblem], substances: _Substances
) -> list[SourceRow]:
    columns = match_columns(table, SOURCES, ("source_id", "kind"))
    out = []
    for number, values in table.rows:
        row = _Row(table, number, values, columns, problems)
        code = row.text("source_id", required=True)
        kind = row.text("kind", required=True)
        if kind and kind not in KINDS:
            row.fail("kind", kind, Message("must be one of %(options)s", options=", ".join(KINDS)))
            continue
        params: dict[str, Any] = {}
        for name in ("fuel", "gas", "carbonate", "region", "medium", "factor_unit", "factor_set"):
            value = row.text(name)
            if value is not None:
                params[name] = value
        for name in ("factor",):
            value = row.number(name)
            if value is not None:
                params[name] = value
        for name in ("scope", "category"):
            value = row.number(name)
            if value is not None:
                params[name] = int(value)
        allowed = SOURCE_FIELDS.get(kind or "", set())
        for name in params:
            if name not in allowed:
                rule = Message("is not a field of a %(kind)s source", kind=kind)
                row.fail(name, params[name], rule)
        if "region" in params:
            try:
                params["region"] = resolve_region(params["region"]).code
            except UnknownRegionError as exc:
                row.fail("region", params["region"], exc.message)
        _check_fuel(row, kind, params)
        _check_substances(row, kind, params, substances)
        if row.ok and code and kind:
            out.append(
                SourceRow(
                    code,
                    kind,
                    row.text("name") or "",
                    row.text("production_unit"),
                    params,
                    row.where,
                )
            )
    return out


def _evidence(row: _Row, base: Path, name: str = "evidence") -> tuple[Path, ...]:
    text = row.text(name)
    if not text:
        return ()
    paths = []
    for part in re.split(r"[;；,，\n]+", text):
        part = part.strip()
        if not part:
            continue
        path = Path(part) if Path(part).is_absolute() else base / part
        if not path.is_file():
            row.fail(name, part, Message("no such file (looked in %(folder)s)", folder=str(base)))
        else:
            paths.append(path)
    return tuple(paths)


def _period(row: _Row) -> tuple[date, date] | None:
    start, end = row.day("period_start"), row.day("period_end")
    if start and end and end < start:
        rule = Message("is before the start %(start)s", start=start.isoformat())
        row.fail("period_end", end.isoformat(), rule)
        return None
    return (start, end) if start and end else None


def _activity(
    table: Table, base: Path, kinds: dict[str, tuple[str, dict]], problems: list[InputProblem]
) -> list[ActivityRow]:
    columns = match_columns(
        table, ACTIVITY, ("source_id", "period_start", "period_end", "quantity", "unit")
    )
    out = []
    for number, values in table.rows:
        row = _Row(table, number, values, columns, problems)
        code = row.text("source_id", required=True)
        period = _period(row)
        quantity = row.number("quantity", required=True)
        unit = row.text("unit", required=True)
        origin = row.choice("origin", ORIGINS, "manual")
        _check_source(row, code, unit, kinds)
        source = kinds.get(code or "")
        params: dict[str, Any] = {}
        for name in ("ncv", "enthalpy", "temperature"):
            value = row.number(name, minimum=None if name == "temperature" else 0.0)
            if value is not None:
                params[name] = value
        if "ncv" in params:
            params["ncv_unit"] = row.text("ncv_unit", required=True)
        if source is not None:
            for name in params:
                if name not in SOURCE_FIELDS.get(source[0], ()):
                    row.fail(name, params[name], f"does not apply to a {source[0]} source")
        evidence = _evidence(row, base)
        if row.ok and code and period and quantity is not None and unit and origin:
            out.append(
                ActivityRow(
                    code,
                    period[0],
                    period[1],
                    quantity,
                    unit,
                    origin,
                    row.text("quality_note"),
                    evidence,
                    params or None,
                    table.origin,
                    number,
                )
            )
    return out


def _monthly(
    table: Table, base: Path, kinds: dict[str, tuple[str, dict]], problems: list[InputProblem]
) -> list[ActivityRow]:
    columns = match_columns(table, MONTHLY, ("source_id", "unit", "year"))
    months = [key for key in MONTHS if key in columns]
    out = []
    for number, values in table.rows:
        row = _Row(table, number, values, columns, problems)
        code = row.text("source_id", required=True)
        unit = row.text("unit", required=True)
        year = row.number("year", required=True)
        origin = row.choice("origin", ORIGINS, "manual")
        _check_source(row, code, unit, kinds)
        if year is not None and not (year.is_integer() and 1900 <= year <= 2200):
            row.fail("year", year, "must be a four-digit year")
            year = None
        entries = [(key, row.number(key)) for key in months]
        total = row.number("total")
        given = [v for _, v in entries if v is not None]
        if (
            total is not None
            and given
            and not math.isclose(sum(given), total, rel_tol=1e-9, abs_tol=1e-6)
        ):
            row.fail("total", total, f"does not equal the sum of the months ({sum(given):g})")
        if not row.ok or not code or not unit or year is None or not origin:
            continue
        for key, value in entries:
            if value is None:
                continue
            month = int(key[1:])
            start = date(int(year), month, 1)
            end = date(int(year), month, calendar.monthrange(int(year), month)[1])
            out.append(
                ActivityRow(
                    code,
                    start,
                    end,
                    value,
                    unit,
                    origin,
                    None,
                    (),
                    None,
                    table.origin,
                    number,
                    key,
                )
            )
    return out


def _instruments(
    table: Table, base: Path, kinds: dict[str, tuple[str, dict]], problems: list[InputProblem]
) -> list[InstrumentRow]:
    columns = match_columns(
        table,
        INSTRUMENTS,
        ("instrument_id", "kind", "period_start", "period_end", "quantity", "unit"),
    )
    out = []
    for number, values in table.rows:
        row = _Row(table, number, values, columns, problems)
        code = row.text("instrument_id", required=True)
        kind = row.choice("kind", _INSTRUMENT_KINDS, None)
        period = _period(row)
        quantity = row.number("quantity", required=True)
        unit = row.text("unit", required=True)
        sources = tuple(
            s.strip() for s in re.split(r"[;；,，]+", row.text("sources") or "") if s.strip()
        )
        evidence = _evidence(row, base)
        if len(evidence) > 1:
            row.fail("evidence", row.text("evidence"), "an instrument takes one evidence file")
        for code_ in sources:
            if kinds.get(code_, ("",))[0] != "purchased_electricity":
                row.fail("sources", code_, "is not a purchased_electricity source of the facility")
        if row.ok and code and kind and period and quantity is not None and unit:
            out.append(
                InstrumentRow(
                    code,
                    kind,
                    period[0],
                    period[1],
                    quantity,
                    unit,
                    row.text("serial"),
                    sources,
                    evidence[0] if evidence else None,
                    row.where,
                )
            )
    return out


def _production(table: Table, problems: list[InputProblem]) -> list[ProductionRow]:
    columns = match_columns(
        table, PRODUCTION, ("product", "period_start", "period_end", "quantity", "unit")
    )
    out = []
    for number, values in table.rows:
        row = _Row(table, number, values, columns, problems)
        product = row.text("product", required=True)
        period = _period(row)
        quantity = row.number("quantity", required=True)
        unit = row.text("unit", required=True)
        if row.ok and product and period and quantity is not None and unit:
            out.append(
                ProductionRow(
                    product,
                    row.text("product_name") or product,
                    period[0],
                    period[1],
                    quantity,
                    unit,
                    row.where,
                )
            )
    return out


def parse_file(
    path: str | Path,
    *,
    facility_code: str | None = None,
    sources_of: Callable[[str | None], dict[str, tuple[str, dict[str, Any]]]] | None = None,
    max_rows: int | None = None,
    library: FactorLibrary | None = None,
) -> ParsedFile:
    """Read and check an activity-data file.

    Parameters
    ----------
    path : str or Path
        An .xlsx workbook or a .csv file.
    facility_code : str, optional
        The facility the data belong to, when the file has no Facility sheet.
    sources_of : callable, optional
        Given the facility code (from the file, else ``facility_code``), the sources already
        defined for it: code -> (kind, params). Sources defined in the file are added to them.
    max_rows : int, optional
        The most data rows the file may hold; by default :func:`row_limit`.
    library : FactorLibrary, optional
        The factors whose gases and carbonates a source may name: the database's
        (:func:`lingtan.store.factor_sets.library_for`, custom sets included); by default the
        shipped sets.

    Raises
    ------
    InputError
        Every problem, each naming file, sheet, row, column, value and rule.
    """
    path = Path(path)
    problems = Problems()
    parsed = ParsedFile(path=path, sha256=file_sha256(path) if path.is_file() else "")
    tables = read_tables(path)
    limit = row_limit() if max_rows is None else max_rows
    _counted(tables, limit)
    kinds: dict[str, tuple[str, dict[str, Any]]] = {}
    by_kind: dict[str, list[Table]] = {}
    for table in tables:
        if _SKIPPED_SHEETS.search(table.name):
            continue
        kind = _kind_of(table)
        if kind is None:
            problems.append(
                InputProblem(
                    table.origin,
                    "header",
                    ", ".join(table.header),
                    Message(
                        "is not the header of a known table (facility, sources, activity, "
                        "monthly, instruments, production)"
                    ),
                )
            )
            continue
        by_kind.setdefault(kind, []).append(table)
    base = path.resolve().parent
    substances = _shipped_substances() if library is None else substance_names(library)
    try:
        for table in by_kind.get("facility", []):
            parsed.facility = _facility(table, problems)
        if sources_of is not None:
            kinds.update(sources_of(parsed.facility.code if parsed.facility else facility_code))
        for table in by_kind.get("sources", []):
            rows = _sources(table, problems, substances)
            seen: dict[str, str] = {}
            for source in rows:
                if source.code in seen:
                    problems.append(
                        InputProblem(
                            source.where,
                            "source_id",
                            source.code,
                            Message(
                                "is defined twice (first at %(first)s)", first=seen[source.code]
                            ),
                        )
                    )
                seen[source.code] = source.where
                kinds[source.code] = (source.kind, source.params)
            parsed.sources += rows
        for table in by_kind.get("activity", []):
            parsed.activity += _activity(table, base, kinds, problems)
        for table in by_kind.get("monthly", []):
            parsed.activity += _monthly(table, base, kinds, problems)
        for table in by_kind.get("instruments", []):
            parsed.instruments += _instruments(table, base, kinds, problems)
        for table in by_kind.get("production", []):
            parsed.production += _production(table, problems)
    except InputError as exc:  # a table without its required columns
        problems += exc.problems
    except _TooManyRowsError:
        rule = Message(
            "holds more than %(limit)d data rows, the limit of an import (%(variable)s)",
            limit=limit,
            variable=ENV_MAX_ROWS,
        )
        problems.insert(0, InputProblem(str(path), "file", path.name, rule))
        raise InputTooLargeError(problems, origin=str(path)) from None
    keys: dict[tuple[str, date, date], ActivityRow] = {}
    for record in parsed.activity:
        key = (record.source_code, record.period_start, record.period_end)
        if key in keys:
            problems.append(
                InputProblem(
                    record.where,
                    "period",
                    f"{key[1]}..{key[2]}",
                    Message(
                        "repeats the record of %(source)s at %(first)s",
                        source=key[0],
                        first=keys[key].where,
                    ),
                )
            )
        keys[key] = record
    parsed.rows_read = (
        len(parsed.activity)
        + len(parsed.sources)
        + len(parsed.instruments)
        + len(parsed.production)
    )
    if not problems and not (
        parsed.activity or parsed.sources or parsed.instruments or parsed.production
    ):
        problems.append(InputProblem(str(path), "file", path.name, Message("holds no data rows")))
    if problems:
        raise InputError(problems, origin=str(path))
    return parsed
