"""Tariffs as data: energy prices per energy type, month and time-of-use period, and the basic
charge of electricity (by capacity or by maximum demand), each with its source.

A tariff file (CSV or an Excel sheet, English or Chinese headers) has one row per price over a
run of months; :func:`read_tariff_file` checks every row and returns one :class:`Price` per
month, or refuses the whole file naming file, row, column, value and rule.

Rules a tariff file obeys
    * ``energy_type`` is a metered energy type (electricity, natural_gas, steam, hot_water,
      water, compressed_air, diesel); ``component`` is ``energy`` (the price per unit of
      energy, 电度电费), ``demand`` (基本电费 by maximum demand, CNY/kW·month) or
      ``capacity`` (基本电费 by capacity, CNY/kVA·month, with ``capacity_kva``); only
      electricity has a basic charge.
    * ``period`` is a TOU label of the calendar in force for the month (尖峰, 高峰, 平段, 低谷,
      深谷) or ``all`` (one price for the whole day; the only choice for other energy types and
      for the basic charge, and for a month with no TOU calendar in force).
    * ``month_from`` and ``month_to`` (``YYYY-MM``, inclusive) give the validity; a row may
      cover one month (agency-purchase prices change monthly) or many.
    * Prices are finite numbers >= 0 in CNY per ``unit`` (``CNY/kWh``, ``元/m3``, ``CNY/t``,
      ``CNY/GJ``, ``CNY/kW·month``, ``CNY/kVA·month``).
    * No two rows give a price for the same energy type, component and period in the same month
      (``all`` overlaps every period); a month has a demand or a capacity charge, not both.
    * A priced month is priced whole: an electricity month with TOU prices has a price for every
      period of its calendar, and from the first to the last month of an energy type every
      month has its energy price (no month without prices between them).
    * Every row has a source: ``document`` (notice number), ``url`` or ``note``; ``status`` is
      ``user`` (the default), ``official``, ``unverified`` or ``sample``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

from lingtan.errors import InputError, InputProblem
from lingtan.i18n import Message
from lingtan.imports.tables import Table, column_label, match_columns, read_tables
from lingtan.metering.tou import LABELS, Calendar, calendar_for, shipped_calendars
from lingtan.units import UnitError, conversion_factor

__all__ = [
    "COMPONENTS",
    "ENERGY_TYPES",
    "PERIOD_ALL",
    "STATUSES",
    "TARIFF_COLUMNS",
    "Price",
    "Tariff",
    "month_range",
    "read_tariff_file",
]

#: Energy types that can be priced (PV generation and export are not bought).
ENERGY_TYPES: dict[str, str] = {
    "electricity": "电力",
    "natural_gas": "天然气",
    "steam": "蒸汽",
    "hot_water": "热水",
    "water": "水",
    "compressed_air": "压缩空气",
    "diesel": "柴油",
}
_TYPE_NAMES = {
    **{k: k for k in ENERGY_TYPES},
    **{v: k for k, v in ENERGY_TYPES.items()},
    "电": "electricity",
    "自来水": "water",
    "gas": "natural_gas",
}
#: Components of a price: energy, and the two forms of the basic charge (基本电费).
COMPONENTS: dict[str, str] = {"energy": "电度电费", "demand": "需量电费", "capacity": "容量电费"}
_COMPONENT_NAMES = {
    **{k: k for k in COMPONENTS},
    **{v: k for k, v in COMPONENTS.items()},
    "电量电费": "energy",
    "电度": "energy",
    "单价": "energy",
    "需量": "demand",
    "最大需量": "demand",
    "容量": "capacity",
}
#: The period of a price for the whole day.
PERIOD_ALL = "all"
_PERIOD_NAMES = {
    **{k: k for k in LABELS},
    **{v: k for k, v in LABELS.items()},
    "尖": "critical_peak",
    "峰": "peak",
    "平": "flat",
    "谷": "valley",
    PERIOD_ALL: PERIOD_ALL,
    "全天": PERIOD_ALL,
    "不分时": PERIOD_ALL,
}
STATUSES = ("user", "official", "unverified", "sample")
#: The unit of the basic charge per component.
_BASIC_UNITS = {"demand": "kW", "capacity": "kVA"}

TARIFF_COLUMNS: dict[str, tuple[str, ...]] = {
    "energy_type": ("energy_type", "能源类型", "能源品种"),
    "component": ("component", "计费项目", "费用类型"),
    "period": ("period", "时段", "分时时段"),
    "month_from": ("month_from", "起始月份", "开始月份"),
    "month_to": ("month_to", "截止月份", "结束月份"),
    "price": ("price", "单价", "价格"),
    "unit": ("unit", "计价单位", "单位"),
    "capacity_kva": ("capacity_kva", "容量", "申报容量", "变压器容量"),
    "calendar_id": ("calendar_id", "分时日历"),
    "status": ("status", "状态"),
    "document": ("document", "文件", "文号", "依据文件"),
    "url": ("url", "链接", "网址"),
    "note": ("note", "备注", "说明"),
}
_REQUIRED = ("energy_type", "month_from", "price", "unit")


@dataclass(frozen=True)
class Price:
    """One price of one month.

    Attributes
    ----------
    energy_type, component, period : str
        See the module's rules; ``period`` is a key of :data:`LABELS` or ``all``.
    month : str
        ``YYYY-MM``.
    price_cny_per_unit : float
        [CNY/``unit``]; for ``demand`` [CNY/(kW·month)], for ``capacity`` [CNY/(kVA·month)].
    unit : str
        The unit priced: ``kWh``, ``m3``, ``t``, ``GJ`` ...; ``kW`` or ``kVA`` for the basic
        charge.
    capacity_kva : float or None
        The capacity charged [kVA] (``capacity`` only).
    calendar_id : str
        The TOU calendar whose periods the price is for (electricity energy by period).
    status, document, url, note, where : str
        Provenance, and the file row the price came from.
    """

    energy_type: str
    component: str
    period: str
    month: str
    price_cny_per_unit: float
    unit: str
    capacity_kva: float | None = None
    calendar_id: str = ""
    status: str = "user"
    document: str = ""
    url: str = ""
    note: str = ""
    where: str = ""

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.energy_type, self.component, self.period, self.month)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class Tariff:
    """The prices of a facility, looked up by energy type, component, month and period."""

    def __init__(self, prices: Iterable[Price]):
        self.prices = {p.key: p for p in prices}

    def __bool__(self) -> bool:
        return bool(self.prices)

    def energy_price(self, energy_type: str, month: str, period: str) -> Price | None:
        """The energy price of ``period`` in ``month``, or the whole-day price."""
        found = self.prices.get((energy_type, "energy", period, month))
        return found or self.prices.get((energy_type, "energy", PERIOD_ALL, month))

    def basic(self, month: str) -> Price | None:
        """The basic charge of electricity in ``month`` (demand or capacity), if any."""
        for component in _BASIC_UNITS:
            found = self.prices.get(("electricity", component, PERIOD_ALL, month))
            if found is not None:
                return found
        return None

    def calendar_of(self, month: str) -> str:
        """The calendar the month's electricity prices are by ('' for whole-day prices)."""
        return next(
            (
                p.calendar_id
                for p in self.prices.values()
                if p.month == month and p.energy_type == "electricity" and p.calendar_id
            ),
            "",
        )


def month_range(first: str, last: str) -> list[str]:
    """The months ``first`` to ``last`` (``YYYY-MM``), inclusive."""
    y, m = int(first[:4]), int(first[5:7])
    out = []
    while f"{y:04d}-{m:02d}" <= last:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _month_text(cell: Any) -> str | None:
    if isinstance(cell, date):
        return f"{cell:%Y-%m}"
    match = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})月?", str(cell).strip())
    if match is None or not 1 <= int(match.group(2)) <= 12:
        return None
    return f"{int(match.group(1)):04d}-{int(match.group(2)):02d}"


_UNIT_WORDS = (
    (r"千瓦时|度", "kWh"),
    (r"千伏安", "kVA"),
    (r"千瓦", "kW"),
    (r"立方米|方|m³", "m3"),
    (r"吨", "t"),
)


def _price_unit(text: str) -> str | None:
    """The unit priced in ``CNY/kWh``, ``元/千瓦时``, ``CNY/kW·month``, ``元/(kVA·月)``..."""
    unit = re.sub(r"^\s*(CNY|RMB|元|¥)\s*/\s*", "", text.strip(), flags=re.IGNORECASE)
    if unit == text.strip():
        return None
    unit = re.sub(r"[()（）\s]", "", unit)
    unit = re.sub(r"([·*./]?(month|月))$", "", unit, flags=re.IGNORECASE)
    for pattern, replacement in _UNIT_WORDS:
        unit = re.sub(pattern, replacement, unit)
    return unit or None


@dataclass
class _Row:
    """A row read, with its months and the cells that made it (for the problems)."""

    number: int
    where: Message
    cells: dict[str, str]
    columns: dict[str, str]
    prices: list[Price]

    def problem(self, field: str, rule: Message, value: Any = ...) -> InputProblem:
        where = self.where
        if field in self.columns:
            where = Message("%(where)s column %(column)s", where=where, column=self.columns[field])
        if value is ...:
            value = self.cells.get(field) or None  # an empty cell is a missing value
        return InputProblem(where, field, value, rule)


def read_tariff_file(
    path: str | Path, *, region: str, calendars: Sequence[Calendar] | None = None
) -> list[Price]:
    """The prices of a tariff file, one per month, checked by the module's rules.

    Parameters
    ----------
    path
        A ``.csv`` or ``.xlsx`` file; in a workbook every sheet is read.
    region
        The facility's province (``CN-JS``): the TOU calendar in force for each month is
        :func:`lingtan.metering.tou.calendar_for` of it, unless a row names ``calendar_id``.
    calendars
        The calendars to choose from (default: the shipped ones).

    Raises
    ------
    InputError
        Every problem, naming file, row, column, value and rule; no price is returned.
    """
    calendars = shipped_calendars() if calendars is None else calendars
    problems: list[InputProblem] = []
    rows: list[_Row] = []
    for table in read_tables(path):
        rows += _rows(table, problems)
    if not rows and not problems:
        problems.append(
            InputProblem(Path(path).name, "rows", None, Message("the file has no prices"))
        )
    _check_overlaps(rows, problems)
    _check_periods(rows, region, calendars, problems)
    _check_gaps(rows, problems)
    if problems:
        raise InputError(problems, origin=str(path))
    return [price for row in rows for price in row.prices]


def _rows(table: Table, problems: list[InputProblem]) -> list[_Row]:
    columns = match_columns(table, TARIFF_COLUMNS, _REQUIRED)
    labels = {f: column_label(i, table.header[i]) for f, i in columns.items()}
    out = []
    for number, values in table.rows:
        cells = {
            f: "" if i >= len(values) or values[i] is None else str(values[i]).strip()
            for f, i in columns.items()
        }
        # months as read (an Excel date cell stays a date)
        months = {
            f: values[columns[f]]
            for f in ("month_from", "month_to")
            if columns.get(f, len(values)) < len(values) and str(values[columns[f]] or "").strip()
        }
        where = Message("%(file)s row %(row)d", file=table.origin, row=number)
        row = _Row(number, where, cells, labels, [])
        if _row_price(row, months, problems) is not None:
            out.append(row)
    return out


def _number(row: _Row, field: str, problems: list[InputProblem]) -> float | None:
    text = row.cells.get(field, "").replace(",", "")
    try:
        value = float(text)
    except ValueError:
        problems.append(row.problem(field, Message("a number expected")))
        return None
    if not math.isfinite(value):
        problems.append(row.problem(field, Message("a finite number expected")))
        return None
    if value < 0:
        problems.append(row.problem(field, Message("must not be negative")))
        return None
    return value


def _row_price(
    row: _Row, raw_months: dict[str, Any], problems: list[InputProblem]
) -> list[Price] | None:
    before = len(problems)
    cells = row.cells
    energy_type = _TYPE_NAMES.get(cells["energy_type"].casefold())
    if energy_type is None:
        problems.append(row.problem("energy_type", _one_of(ENERGY_TYPES)))
    component = _COMPONENT_NAMES.get((cells.get("component") or "energy").casefold())
    if component is None:
        problems.append(row.problem("component", _one_of(COMPONENTS)))
    elif component != "energy" and energy_type not in (None, "electricity"):
        problems.append(row.problem("component", Message("only electricity has a basic charge")))
    period = _PERIOD_NAMES.get((cells.get("period") or PERIOD_ALL).casefold())
    if period is None:
        rule = Message(
            "one of %(options)s (or 尖峰/高峰/平段/低谷/深谷), or all (全天)",
            options=", ".join(LABELS),
        )
        problems.append(row.problem("period", rule))
    elif period != PERIOD_ALL and (energy_type != "electricity" or component != "energy"):
        problems.append(
            row.problem("period", Message("TOU periods price electricity energy only: all"))
        )
    first = _month_text(raw_months.get("month_from", ""))
    last = _month_text(raw_months["month_to"]) if raw_months.get("month_to") else first
    if first is None:
        problems.append(row.problem("month_from", Message("a month YYYY-MM expected")))
    if last is None:
        problems.append(row.problem("month_to", Message("a month YYYY-MM expected")))
    elif first is not None and last < first:
        problems.append(
            row.problem("month_to", Message("must not be before month_from %(first)s", first=first))
        )
    price = _number(row, "price", problems)
    unit = _price_unit(cells["unit"])
    if unit is None:
        problems.append(
            row.problem("unit", Message("CNY per unit expected, e.g. CNY/kWh or 元/m3"))
        )
    elif component in _BASIC_UNITS and unit != _BASIC_UNITS[component]:
        problems.append(
            row.problem(
                "unit", Message("CNY/%(unit)s·month expected", unit=_BASIC_UNITS[component])
            )
        )
    elif component == "energy":
        try:
            if energy_type == "electricity":
                conversion_factor(unit, "kWh")
            else:
                conversion_factor(unit, unit)
        except UnitError:
            rule = Message("the unit priced is not a unit of energy or amount")
            problems.append(row.problem("unit", rule))
    capacity = None
    if component == "capacity":
        if not cells.get("capacity_kva"):
            problems.append(
                row.problem("capacity_kva", Message("the capacity charged [kVA] is required"))
            )
        else:
            capacity = _number(row, "capacity_kva", problems)
    status = (cells.get("status") or "user").casefold()
    if status not in STATUSES:
        problems.append(row.problem("status", _one_of(STATUSES)))
    source = {f: cells.get(f, "") for f in ("document", "url", "note")}
    if not any(source.values()):
        problems.append(
            row.problem("document", Message("a source is required: document, url or note"), None)
        )
    if len(problems) > before:
        return None
    assert energy_type and component and period and first and last and unit
    assert price is not None
    row.prices = [
        Price(energy_type, component, period, month, price, unit, capacity,
              cells.get("calendar_id", ""), status, where=str(row.where), **source)
        for month in month_range(first, last)
    ]  # fmt: skip
    return row.prices


def _one_of(options: Iterable[str]) -> Message:
    return Message("one of %(options)s", options=", ".join(options))


def _check_overlaps(rows: list[_Row], problems: list[InputProblem]) -> None:
    """One price per energy type, component, period and month; ``all`` overlaps every period,
    and a month has one basic charge, by demand or by capacity."""
    seen: dict[tuple[str, str, str], list[tuple[_Row, Price]]] = {}
    for row in rows:
        for p in row.prices:
            group = "basic" if p.component in _BASIC_UNITS else p.component
            earlier = seen.setdefault((p.energy_type, group, p.month), [])
            clash = next(
                (
                    (r, q)
                    for r, q in earlier
                    if group == "basic"
                    or q.period == p.period
                    or PERIOD_ALL in (p.period, q.period)
                ),
                None,
            )
            earlier.append((row, p))
            if clash is not None:
                rule = Message(
                    "overlaps %(other)s in %(month)s (%(component)s, %(tou_period)s): one price "
                    "per energy type, component, period and month",
                    other=clash[0].where,
                    month=p.month,
                    component=clash[1].component,
                    tou_period=clash[1].period,
                )
                problems.append(row.problem("month_from", rule))
                break


def _check_periods(
    rows: list[_Row], region: str, calendars: Sequence[Calendar], problems: list[InputProblem]
) -> None:
    """Electricity energy by TOU period: periods of the calendar in force, all of them."""
    months: dict[str, list[tuple[_Row, Price]]] = {}
    for row in rows:
        for p in row.prices:
            if p.energy_type == "electricity" and p.component == "energy":
                months.setdefault(p.month, []).append((row, p))
    by_id = {c.calendar_id: c for c in calendars}
    for month, priced in sorted(months.items()):
        tou = [(row, p) for row, p in priced if p.period != PERIOD_ALL]
        if not tou:
            continue
        row = tou[0][0]
        named = {p.calendar_id for _, p in tou if p.calendar_id}
        first = date(int(month[:4]), int(month[5:]), 1)
        if len(named) > 1:
            problems.append(
                row.problem(
                    "calendar_id", Message("one calendar per month (%(month)s)", month=month)
                )
            )
            continue
        try:
            if named:
                cid = named.pop()
                if cid not in by_id:
                    known = ", ".join(sorted(by_id))
                    problems.append(
                        row.problem(
                            "calendar_id", Message("no such calendar (%(known)s)", known=known)
                        )
                    )
                    continue
                calendar = by_id[cid]
            else:
                calendar = calendar_for(calendars, region, first=first)
        except InputError as error:
            rule = Message(
                "no TOU calendar for %(region)s in %(month)s (%(reason)s): give one price for "
                "the whole day (period all), or name a calendar_id",
                region=region,
                month=month,
                reason=error.problems[0].rule,
            )
            problems.append(row.problem("period", rule))
            continue
        used = calendar.labels_used
        for r, p in tou:
            if p.period not in used:
                rule = Message(
                    "not a period of calendar %(calendar)s (%(periods)s)",
                    calendar=calendar.calendar_id,
                    periods=", ".join(used),
                )
                problems.append(r.problem("period", rule))
        given = {p.period for _, p in tou}
        for label in used:
            if label not in given:
                rule = Message(
                    "%(month)s has no price for %(label)s (%(zh)s), a period of calendar "
                    "%(calendar)s (%(periods)s): a priced month needs a price for every period",
                    month=month,
                    label=label,
                    zh=LABELS[label],
                    calendar=calendar.calendar_id,
                    periods=", ".join(used),
                )
                problems.append(row.problem("period", rule, label))
        for r, p in tou:
            if not p.calendar_id:
                r.prices[r.prices.index(p)] = _with_calendar(p, calendar.calendar_id)


def _with_calendar(price: Price, calendar_id: str) -> Price:
    return Price(**{**price.as_dict(), "calendar_id": calendar_id})


def _check_gaps(rows: list[_Row], problems: list[InputProblem]) -> None:
    """From the first to the last month of an energy type, every month has an energy price."""
    months: dict[str, dict[str, _Row]] = {}
    for row in rows:
        for p in row.prices:
            if p.component == "energy":
                months.setdefault(p.energy_type, {}).setdefault(p.month, row)
    for energy_type, found in sorted(months.items()):
        span = month_range(min(found), max(found))
        for i, month in enumerate(span):
            if month not in found:
                after = next(found[m] for m in span[i:] if m in found)
                rule = Message(
                    "no %(energy_type)s energy price for %(month)s, a month between %(first)s "
                    "and %(last)s: a costed month needs prices",
                    energy_type=energy_type,
                    month=month,
                    first=span[0],
                    last=span[-1],
                )
                problems.append(after.problem("month_from", rule, month))
