"""Unit-product energy against the quota grades and the NDRC benchmark and baseline levels.

A unit-product energy figure (单位产品能耗: kgce/t of ferrosilicon, kWh/t of aluminium liquid …) is
placed on each *ladder* of the standards pack that covers its product: the grades of a quota
standard (单位产品能源消耗限额: grades 1/2/3, or 先进值/准入值/限定值 — advanced/access/limit —
in older editions) and the NDRC levels (能效标杆水平 benchmark, 能效基准水平 baseline,
发改产业〔2023〕723号).
A ladder is the rows of one table, one metric and one of these two scales. For each ladder the
result says which level the figure reaches, the gap to the next better level (in the figure's
unit and in % of the figure), the rows used with their provenance and review status.

The rules are those of :mod:`lingtan.efficiency.grading`: a value exactly on a threshold meets
it; a ``—`` cell is no data; nothing is extrapolated. The figure is converted to the rows' unit
with pint (:func:`lingtan.units.conversion_factor`: ``tce/t`` to ``kgce/t``, ``MWh/t`` to
``kWh/t``); standard coal is its own dimension, so a figure in ``kWh/t`` is never compared with
rows in ``kgce/t`` (a conversion of electricity to standard coal needs a coefficient, and which
one — the equivalent or the equal value — is the standard's rule, not a unit's). A product no
table covers is :attr:`~lingtan.efficiency.grading.Level.OUT_OF_SCOPE`.

The figure's own boundary and conversion rules (what is counted, at which coefficients) are the
caller's: :mod:`lingtan.services.efficiency_products` makes the figure from the meters and says
which rules it applied.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from lingtan.efficiency.grading import Level, grade_label
from lingtan.efficiency.standards import StandardTable, Threshold, shipped_standards
from lingtan.errors import InputError, InputProblem, one_of
from lingtan.i18n import Message
from lingtan.units import UnitError, conversion_factor

__all__ = [
    "NDRC_GRADES",
    "PRODUCT_TYPE",
    "QUOTA_GRADES",
    "LadderPosition",
    "Position",
    "position",
    "products",
]

#: The ``type`` of the standards rows of unit-product energy; their ``kind`` is the product.
PRODUCT_TYPE = "product"
#: The grades of a quota standard: grades 1/2/3 (current editions) or advanced/access/limit.
QUOTA_GRADES = ("1", "2", "3", "advanced", "access", "limit")
#: The NDRC levels: benchmark (标杆水平) and baseline (基准水平).
NDRC_GRADES = ("benchmark", "baseline")

_BY_NUMBER = {1: Level.LEVEL_1, 2: Level.LEVEL_2, 3: Level.LEVEL_3}
_RANK = {Level.LEVEL_1: 1, Level.LEVEL_2: 2, Level.LEVEL_3: 3, Level.NOT_COMPLIANT: 4}


@dataclass(frozen=True, slots=True)
class LadderPosition:
    """Where a figure stands on one ladder (one table, metric and scale).

    Attributes
    ----------
    scale : {"quota", "ndrc"}
        The quota's grades or the NDRC benchmark and baseline levels.
    table_id, standard, metric, unit : str
        The table, its document (``发改产业〔2023〕723号-2023 附件 annex``), the metric and the
        rows' unit.
    value : float
        The figure in the rows' unit.
    level : Level
        ``LEVEL_1`` … ``LEVEL_3`` reached (benchmark → 1, baseline → 3; advanced / access /
        limit → 1 / 2 / 3) or ``NOT_COMPLIANT`` beyond the minimum; ``UNABLE_TO_JUDGE`` when
        every row of the ladder is ``—``.
    reached : Threshold or None
        The best row met.
    next_better : Threshold or None
        The row one level better than ``reached`` (the minimum when none is met); None at the
        top.
    gap : float or None
        How far the figure is from ``next_better`` [the figure's unit]: what must be saved
        per unit of product (lower is better) or gained (higher is better); never negative.
    gap_pct : float or None
        ``gap`` in % of the figure's absolute value; None for a figure of 0.
    thresholds : tuple of Threshold
        Every row of the ladder, best first.
    status : {"official", "unverified"}
        ``unverified`` when a row used (reached or next better) is.
    reason : Message
    """

    scale: str
    table_id: str
    standard: str
    metric: str
    unit: str
    value: float
    level: Level
    reached: Threshold | None
    next_better: Threshold | None
    gap: float | None
    gap_pct: float | None
    thresholds: tuple[Threshold, ...]
    status: str
    reason: Message

    @property
    def used(self) -> tuple[Threshold, ...]:
        """The rows that decided: the one reached and the next better one."""
        return tuple(r for r in (self.reached, self.next_better) if r is not None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "scale": self.scale,
            "table_id": self.table_id,
            "standard": self.standard,
            "metric": self.metric,
            "value": self.value,
            "unit": self.unit,
            "level": str(self.level),
            "reached_grade": None if self.reached is None else self.reached.grade,
            "reached_value": None if self.reached is None else self.reached.value,
            "next_grade": None if self.next_better is None else self.next_better.grade,
            "next_value": None if self.next_better is None else self.next_better.value,
            "gap": self.gap,
            "gap_pct": self.gap_pct,
            "status": self.status,
            "reason": str(self.reason),
            "thresholds": [t.provenance() for t in self.thresholds],
        }


@dataclass(frozen=True, slots=True)
class Position:
    """A unit-product energy figure against every ladder of its product.

    ``level`` is the worse of the ladders' levels (the zero-carbon factory guidance asks for
    the quota's grade 1 *and* the benchmark level), ``OUT_OF_SCOPE`` without a ladder.
    """

    product: str
    value: float | None
    unit: str
    metric: str | None
    level: Level
    ladders: tuple[LadderPosition, ...]
    reason: Message

    @property
    def status(self) -> str | None:
        statuses = {ladder.status for ladder in self.ladders}
        if not statuses:
            return None
        return "unverified" if "unverified" in statuses else "official"

    def as_dict(self) -> dict[str, Any]:
        return {
            "product": self.product,
            "value": self.value,
            "unit": self.unit,
            "metric": self.metric,
            "level": str(self.level),
            "status": self.status,
            "reason": str(self.reason),
            "ladders": [ladder.as_dict() for ladder in self.ladders],
        }


def _product_rows(tables: Iterable[StandardTable]) -> list[Threshold]:
    return [
        row
        for table in tables
        for row in table.thresholds
        if row.type == PRODUCT_TYPE and row.attribute("kind")
    ]


def products(standards: Sequence[StandardTable] | None = None) -> dict[str, tuple[str, ...]]:
    """The products of the pack (or of ``standards``) with their metrics, sorted."""
    found: dict[str, set[str]] = {}
    for row in _product_rows(shipped_standards() if standards is None else standards):
        found.setdefault(row.attribute("kind"), set()).add(row.metric)
    return {product: tuple(sorted(found[product])) for product in sorted(found)}


def _same_text(a: str, b: str) -> bool:
    return "".join(a.split()).casefold() == "".join(b.split()).casefold()


def _factor(unit: str, row_unit: str) -> float | None:
    """The multiplier from ``unit`` to ``row_unit``; None where they cannot be compared."""
    if _same_text(unit, row_unit):
        return 1.0
    try:
        return conversion_factor(unit, row_unit)
    except UnitError:
        return None


def _unit_rule(unit: str, row_units: Sequence[str]) -> Message:
    """Why ``unit`` cannot be compared with rows in ``row_units``: pint's dimension message
    where both are units pint reads."""
    try:
        conversion_factor(unit, row_units[0])
    except UnitError as error:
        return Message(
            "cannot be compared with the rows, which are in %(units)s: %(detail)s",
            units=", ".join(row_units),
            detail=error.message,
        )
    return Message(  # pragma: no cover - only reached where pint reads and agrees
        "cannot be compared with the rows, which are in %(units)s", units=", ".join(row_units)
    )


def _scale(grade: str) -> str:
    return "ndrc" if grade in NDRC_GRADES else "quota"


def _meets(value: float, row: Threshold) -> bool:
    assert row.value is not None
    return value >= row.value if row.higher_is_better else value <= row.value


def _op(row: Threshold) -> str:
    return "≥" if row.higher_is_better else "≤"


def _limit(row: Threshold) -> str:
    unit = "" if row.unit in ("", "1") else f" {row.unit}"
    return f"{row.value:g}{unit}"


def _ladder(rows: list[Threshold], value: float, factor: float, figure_unit: str) -> LadderPosition:
    first = rows[0]
    ordered = tuple(sorted(rows, key=lambda r: (r.level, r.row)))
    given = [r for r in ordered if r.value is not None]
    converted = value * factor
    common = {
        "scale": _scale(first.grade),
        "table_id": first.table_id,
        "standard": first.document,
        "metric": first.metric,
        "unit": first.unit,
        "value": converted,
        "thresholds": ordered,
    }
    if not given:
        return LadderPosition(
            **common,
            level=Level.UNABLE_TO_JUDGE,
            reached=None,
            next_better=None,
            gap=None,
            gap_pct=None,
            status="unverified" if any(r.status == "unverified" for r in ordered) else "official",
            reason=Message(
                "%(standard)s has no value (—) for %(metric)s here",
                standard=first.document,
                metric=first.metric,
            ),
        )
    reached_at = next((i for i, r in enumerate(given) if _meets(converted, r)), None)
    if reached_at is None:
        reached, better = None, given[-1]
    else:
        reached, better = given[reached_at], given[reached_at - 1] if reached_at else None
    gap = gap_pct = None
    if better is not None:
        assert better.value is not None
        distance = (
            converted - better.value if not better.higher_is_better else better.value - converted
        )
        gap = max(distance, 0.0) / factor
        gap_pct = None if value == 0 else 100.0 * gap / abs(value)
    used = [r for r in (reached, better) if r is not None]
    status = "unverified" if any(r.status == "unverified" for r in used) else "official"
    if reached is None:
        assert better is not None
        level = Level.NOT_COMPLIANT
        reason = Message(
            "misses %(grade)s, the minimum of %(standard)s: %(metric)s %(value)s must be "
            "%(op)s %(limit)s; %(gap)s %(unit)s (%(gap_pct)s) to go",
            grade=grade_label(better.grade),
            standard=better.document,
            metric=first.metric,
            value=f"{converted:.6g}",
            op=_op(better),
            limit=_limit(better),
            gap=f"{gap:.4g}",
            unit=figure_unit,
            gap_pct=_pct(gap_pct),
        )
    else:
        level = _BY_NUMBER[reached.level]
        if better is None:
            reason = Message(
                "reaches %(grade)s of %(standard)s, the best it gives: %(metric)s %(value)s "
                "%(op)s %(limit)s",
                grade=grade_label(reached.grade),
                standard=reached.document,
                metric=first.metric,
                value=f"{converted:.6g}",
                op=_op(reached),
                limit=_limit(reached),
            )
        else:
            reason = Message(
                "reaches %(grade)s of %(standard)s (%(metric)s %(value)s %(op)s %(limit)s); "
                "%(gap)s %(unit)s (%(gap_pct)s) from %(next)s, %(next_limit)s",
                grade=grade_label(reached.grade),
                standard=reached.document,
                metric=first.metric,
                value=f"{converted:.6g}",
                op=_op(reached),
                limit=_limit(reached),
                gap=f"{gap:.4g}",
                unit=figure_unit,
                gap_pct=_pct(gap_pct),
                next=grade_label(better.grade),
                next_limit=_limit(better),
            )
    if status == "unverified":
        reason = Message(
            "%(reason)s (a row used is unverified: check it against the printed standard)",
            reason=reason,
        )
    return LadderPosition(
        **common,
        level=level,
        reached=reached,
        next_better=better,
        gap=gap,
        gap_pct=gap_pct,
        status=status,
        reason=reason,
    )


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} %"


def position(
    product: str,
    value: float,
    unit: str,
    *,
    standards: Sequence[StandardTable] | None = None,
    metric: str | None = None,
    where: str | Message = "",
) -> Position:
    """Place a unit-product energy figure on the quota grades and NDRC levels of its product.

    Parameters
    ----------
    product : str
        The product key of the standards rows (their ``kind``: ``ferrosilicon``,
        ``cement_clinker``, ``electrolytic_aluminium`` …; :func:`products` lists them).
    value : float
        The unit-product energy [``unit``], with the boundary and conversion rules of the
        standard (the caller's responsibility; see the module's notes).
    unit : str
        Its unit, e.g. ``kgce/t``, ``tce/t``, ``kWh/t``; converted to the rows' unit by pint.
    standards : sequence of StandardTable, optional
        The tables to use (default the shipped pack; a company's own tables read with
        :func:`~lingtan.efficiency.standards.read_standards_file`).
    metric : str, optional
        The metric of the rows (``energy_kgce_per_t``); needed only where several metrics of
        the product take the figure's unit.
    where : str or Message
        Where the figure comes from, for a refusal (default ``the figure``).

    Returns
    -------
    Position
        One :class:`LadderPosition` per table and scale of the chosen metric, the quota's
        before the NDRC's; ``OUT_OF_SCOPE`` (no ladder) for a product no table covers.

    Raises
    ------
    InputError
        A value that is not a finite number; a unit of another dimension than the rows'
        (``kWh/t`` for rows in ``kgce/t``); an unknown metric of a covered product; a unit that
        several metrics take, without ``metric``.

    References
    ----------
    GB 16780-2021, GB 21256-2025, GB 21346-2022 … (单位产品能源消耗限额: grades 1/2/3; older
    editions 先进值/准入值/限定值); 发改产业〔2023〕723号, 工业重点领域能效标杆水平和基准水平
    （2023年版）;
    GB/T 2589-2020 (comprehensive energy consumption, standard coal).
    """
    where = where or Message("the figure")
    number = float(value) if isinstance(value, int | float) else float("nan")
    if not math.isfinite(number):
        raise InputError(InputProblem(where, "value", value, Message("must be a finite number")))
    tables = shipped_standards() if standards is None else standards
    rows = [r for r in _product_rows(tables) if r.attribute("kind") == product]
    if not rows:
        known = ", ".join(products(tables)) or "-"
        return Position(
            product,
            number,
            unit,
            metric,
            Level.OUT_OF_SCOPE,
            (),
            Message(
                "no table of the standards pack has the product %(product)s (products with "
                "tables: %(products)s)",
                product=product,
                products=known,
            ),
        )
    metrics = sorted({r.metric for r in rows})
    if metric is not None:
        if metric not in metrics:
            raise InputError(InputProblem(where, "metric", metric, one_of(metrics)))
        rows = [r for r in rows if r.metric == metric]
    row_units = sorted({r.unit for r in rows})
    factors = {u: _factor(unit, u) for u in row_units}
    fitting = sorted({r.metric for r in rows if factors[r.unit] is not None})
    if not fitting:
        raise InputError(InputProblem(where, "unit", unit, _unit_rule(unit, row_units)))
    if len(fitting) > 1:
        raise InputError(
            InputProblem(
                where,
                "metric",
                None,
                Message(
                    "is needed: %(unit)s fits several metrics of %(product)s (%(metrics)s)",
                    unit=unit,
                    product=product,
                    metrics=", ".join(fitting),
                ),
            )
        )
    (chosen,) = fitting
    ladders: dict[tuple[str, str], list[Threshold]] = {}
    for row in rows:
        if row.metric == chosen:
            ladders.setdefault((row.table_id, _scale(row.grade)), []).append(row)
    placed = sorted(
        (_ladder(group, number, factors[group[0].unit] or 1.0, unit) for group in ladders.values()),
        key=lambda p: (p.scale != "quota", p.table_id),
    )
    judged = [p for p in placed if p.level in _RANK]
    if judged:
        worst = max(judged, key=lambda p: _RANK[p.level])
        level = worst.level
    else:
        worst, level = placed[0], Level.UNABLE_TO_JUDGE
    reason = worst.reason if len(placed) == 1 else _joined([p.reason for p in placed])
    return Position(product, number, unit, chosen, level, tuple(placed), reason)


def _joined(reasons: list[Message]) -> Message:
    if len(reasons) == 1:
        return reasons[0]
    return Message("%(reason)s; %(other)s", reason=reasons[0], other=_joined(reasons[1:]))
