"""Reading a bill of materials workbook (物料清单): what one unit of each product takes.

One row per item of a product and period: ``product`` (产品), ``period_start`` and
``period_end`` (the period it holds for, inclusive), ``kind`` (``material``, ``packaging``,
``waste``, ``distribution``, ``use``, ``end_of_life``), ``material`` (物料), ``quantity`` per
one unit of the product and its ``unit``, ``link`` to where its footprint comes from
(``dataset:<code>``, a background dataset of :func:`lingtan.footprint.background.shipped_datasets`,
or ``pact:<id>``, a supplier's footprint), optionally ``supplier``, ``stage`` (default by kind)
and the inbound freight ``distance_km`` with its ``transport_mode``.

:func:`parse_bom` checks every cell and refuses the whole file naming the file, row, column,
value and rule: an unknown product or dataset, a unit that does not convert to the dataset's
reference unit, freight of an item not given by mass, the same item twice. A ``pact:`` link is
resolved when the foreground is built (:mod:`lingtan.services.footprint`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from lingtan.errors import InputError, InputProblem, Problems, one_of
from lingtan.footprint.background import shipped_datasets, transport_modes
from lingtan.footprint.model import STAGES
from lingtan.i18n import Message
from lingtan.imports.tables import column_label, match_columns, read_tables
from lingtan.units import UnitError, conversion_factor, dimension_name, parse_unit

__all__ = ["BOM_COLUMNS", "BOM_KINDS", "BomRow", "parse_bom"]

#: Kinds of BOM item and the life-cycle stage each belongs to unless the row says otherwise.
BOM_KINDS = {
    "material": "raw_materials",
    "packaging": "raw_materials",
    "waste": "production",
    "distribution": "distribution",
    "use": "use",
    "end_of_life": "end_of_life",
}
#: Columns and their header names (English and Chinese).
BOM_COLUMNS = {
    "product": ("product", "产品", "产品编号"),
    "period_start": ("period_start", "开始日期", "start"),
    "period_end": ("period_end", "结束日期", "end"),
    "kind": ("kind", "类别"),
    "material": ("material", "物料", "物料名称"),
    "quantity": ("quantity", "数量", "单位产品用量"),
    "unit": ("unit", "单位"),
    "link": ("link", "数据来源", "关联"),
    "supplier": ("supplier", "供应商"),
    "stage": ("stage", "生命周期阶段", "阶段"),
    "distance_km": ("distance_km", "运输距离"),
    "transport_mode": ("transport_mode", "运输方式"),
}
_REQUIRED = ("product", "period_start", "period_end", "kind", "material", "quantity", "unit")
_REQUIRED += ("link",)


@dataclass(frozen=True)
class BomRow:
    """A checked BOM row; ``quantity`` [``unit``] per one unit of ``product``."""

    row: int
    product: str
    period_start: date
    period_end: date
    kind: str
    stage: str
    material: str
    quantity: float
    unit: str
    link: str
    supplier: str | None
    distance_km: float | None
    transport_mode: str | None

    def key(self) -> tuple[str, date, date, str, str]:
        return (self.product, self.period_start, self.period_end, self.kind, self.material)

    def state(self) -> dict[str, Any]:
        """What is stored of the row, for comparing and the audit log."""
        return {
            "stage": self.stage,
            "quantity": self.quantity,
            "unit": self.unit,
            "link": self.link,
            "supplier": self.supplier,
            "distance_km": self.distance_km,
            "transport_mode": self.transport_mode,
        }


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _day(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(_text(value))
    except ValueError:
        return None


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value) if not isinstance(value, str) else float(value.strip())
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def parse_bom(path: str | Path, products: Mapping[str, str]) -> list[BomRow]:
    """Read and check a BOM workbook (.xlsx, the first sheet with the columns) or CSV file.

    Parameters
    ----------
    path
        The file.
    products
        The facility's products: code → unit (a row's product must be one of them).

    Returns
    -------
    list of BomRow

    Raises
    ------
    InputError
        Every bad cell (file, row, column, value, rule); nothing is returned partially.
    """
    path = Path(path)
    tables = read_tables(path)
    problems = Problems()
    table = None
    for candidate in tables:
        try:
            columns = match_columns(candidate, BOM_COLUMNS, _REQUIRED)
        except InputError as error:
            if candidate is tables[-1] and table is None:
                raise InputError(error.problems, origin=str(path)) from None
            continue
        table = candidate
        break
    assert table is not None
    datasets, modes = shipped_datasets(), transport_modes()
    rows: list[BomRow] = []
    seen: dict[tuple, int] = {}
    for number, values in table.rows:
        where = f"{table.origin} row {number}"

        def cell(name: str, values: list[Any] = values) -> Any:
            index = columns.get(name)
            return values[index] if index is not None and index < len(values) else None

        def bad(name: str, value: Any, rule: Message, where: str = where) -> None:
            index = columns.get(name)
            label = name if index is None else column_label(index, table.header[index])
            problems.append(InputProblem(where, label, value, rule))

        if all(_text(v) == "" for v in values):
            continue
        before = len(problems) + problems.omitted
        texts = {name: _text(cell(name)) for name in BOM_COLUMNS}
        for name in _REQUIRED:
            if not texts[name]:
                bad(name, None, Message("is required"))
        product = texts["product"]
        if product and product not in products:
            known = ", ".join(sorted(products)) or Message("none yet")
            rule = Message("no such product of the facility (products: %(known)s)", known=known)
            bad("product", product, rule)
        start, end = _day(cell("period_start")), _day(cell("period_end"))
        for name, day in (("period_start", start), ("period_end", end)):
            if texts[name] and day is None:
                bad(name, texts[name], Message("must be a date (YYYY-MM-DD)"))
        if start and end and end < start:
            bad("period_end", texts["period_end"], Message("must not be before period_start"))
        kind = texts["kind"]
        if kind and kind not in BOM_KINDS:
            bad("kind", kind, one_of(BOM_KINDS))
        stage = texts["stage"] or BOM_KINDS.get(kind, "")
        if texts["stage"] and stage not in STAGES:
            bad("stage", stage, one_of(STAGES))
        quantity = _number(cell("quantity"))
        if texts["quantity"] and (quantity is None or quantity <= 0):
            bad("quantity", texts["quantity"], Message("must be a number above 0"))
        unit = texts["unit"]
        if unit:
            try:
                parse_unit(unit)
            except UnitError as error:
                bad("unit", unit, error.message)
                unit = ""
        link = texts["link"]
        _check_link(link, unit, datasets, lambda v, r: bad("link", v, r))
        distance = _number(cell("distance_km")) if texts["distance_km"] else None
        mode = texts["transport_mode"] or None
        if texts["distance_km"] and (distance is None or distance < 0):
            bad("distance_km", texts["distance_km"], Message("must not be negative"))
        if bool(texts["distance_km"]) != (mode is not None):
            missing = "transport_mode" if mode is None else "distance_km"
            bad(missing, None, Message("distance_km and transport_mode go together"))
        if mode is not None and mode not in modes:
            bad("transport_mode", mode, one_of(modes))
        if mode is not None and unit and dimension_name(unit) != dimension_name("kg"):
            rule = Message("freight is counted by mass: give the item's quantity in kg or t")
            bad("unit", unit, rule)
        if len(problems) + problems.omitted > before:
            continue
        assert start and end and quantity is not None
        row = BomRow(
            number,
            product,
            start,
            end,
            kind,
            stage,
            texts["material"],
            quantity,
            unit,
            link,
            texts["supplier"] or None,
            distance,
            mode,
        )
        if row.key() in seen:
            rule = Message("the same item is in row %(row)s", row=seen[row.key()])
            bad("material", row.material, rule)
            continue
        seen[row.key()] = number
        rows.append(row)
    if problems:
        raise InputError(problems, origin=str(path))
    return rows


def _check_link(link: str, unit: str, datasets, bad) -> None:
    """A link must name a known dataset (in a unit that converts) or a PACT footprint."""
    if not link:
        return
    scheme, _, code = link.partition(":")
    if scheme == "pact" and code:
        return
    if scheme != "dataset" or not code:
        bad(link, Message("must be dataset:<code> or pact:<id>"))
        return
    dataset = datasets.get(code)
    if dataset is None:
        known = ", ".join(sorted(datasets))
        bad(link, Message("no such background dataset (datasets: %(known)s)", known=known))
        return
    if unit:
        try:
            conversion_factor(unit, dataset.unit)
        except UnitError:
            rule = Message(
                "the dataset's reference flow is in %(unit)s: %(given)s does not convert to it",
                unit=dataset.unit,
                given=unit,
            )
            bad(link, rule)
