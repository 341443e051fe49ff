"""Judging a thing against a standard's table: its grade, the row used and the reason.

An item is a mapping of its type (``motor``, ``transformer``, ``air_compressor`` …), the
attributes that select a row of a table (:data:`~lingtan.efficiency.standards.ATTRIBUTES`:
``rated_power_kw``, ``poles``, ``rated_capacity_kva``, ``insulation``, ``core`` …) and the
measured metrics, named as the tables name them (``efficiency_pct``, ``no_load_loss_kw``,
``load_loss_kw``, ``specific_power_kw_per_m3_min``, ``pue``, ``energy_kgce_per_t`` …).

The rules (GB 18613-2020, GB 20052-2024, GB 19153-2019 and the other tables of the pack are
look-ups; the standards define grades at tabulated points):

* a row matches where every attribute it names equals the item's (a blank cell: any value);
  numeric attributes match at the tabulated points;
* **no extrapolation**: an attribute outside every row (a 1,200 kW low-voltage motor, 10
  poles) is :attr:`Level.OUT_OF_SCOPE`, not an error;
* **interpolation only where the standard allows it**: between two tabulated sizes the
  thresholds are interpolated linearly when both rows say ``interpolation = yes``; otherwise
  the item is :attr:`Level.UNABLE_TO_JUDGE` (no nearest-row guess);
* a ``—`` cell is no data: a grade without a value is skipped, a metric without any value is
  out of the table's scope;
* a value exactly on a threshold meets it;
* an attribute the rows need and the item lacks, or a missing measured metric, is
  :attr:`Level.UNABLE_TO_JUDGE` naming it;
* an item with several metrics (a transformer's no-load loss P0 and load loss Pk) takes the
  worse grade: every metric must pass for a grade.

:func:`grade` judges one item; :func:`grade_many` judges a register, resolving each distinct
combination of attributes once, so that 100,000 items take well under a second.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np

from lingtan.efficiency.standards import (
    AXES,
    CATEGORIES,
    NUMERIC_CATEGORIES,
    StandardTable,
    Threshold,
    shipped_standards,
)
from lingtan.i18n import N_, Message

__all__ = ["Grade", "Level", "MetricGrade", "grade", "grade_label", "grade_many"]


class Level(StrEnum):
    """The verdict of a grading."""

    LEVEL_1 = "LEVEL_1"
    LEVEL_2 = "LEVEL_2"
    LEVEL_3 = "LEVEL_3"
    NOT_COMPLIANT = "NOT_COMPLIANT"
    OUT_OF_SCOPE = "OUT_OF_SCOPE"
    UNABLE_TO_JUDGE = "UNABLE_TO_JUDGE"


_BY_NUMBER = {1: Level.LEVEL_1, 2: Level.LEVEL_2, 3: Level.LEVEL_3}
#: Order of the judged levels, best first: the worse of two metrics is the larger.
_RANK = {Level.LEVEL_1: 1, Level.LEVEL_2: 2, Level.LEVEL_3: 3, Level.NOT_COMPLIANT: 4}

_GRADE_LABELS = {
    "benchmark": N_("the benchmark level"),
    "baseline": N_("the baseline level"),
    "advanced": N_("the advanced value"),
    "access": N_("the access value"),
    "limit": N_("the limit value"),
}


def grade_label(grade: str) -> Message:
    """``grade 1`` or ``the benchmark level`` …, for a reason."""
    if grade in _GRADE_LABELS:
        return Message(_GRADE_LABELS[grade])
    return Message("grade %(grade)s", grade=grade)


@dataclass(frozen=True, slots=True)
class MetricGrade:
    """The grade of one metric of an item.

    ``threshold`` is the row that decided (the grade met, or the minimum missed), None when
    there is none; ``thresholds`` every grade row of the metric that applied (for an
    interpolated threshold: the two tabulated rows it was made from, in ``sources``).
    """

    metric: str
    level: Level
    threshold: Threshold | None
    thresholds: tuple[Threshold, ...]
    reason: Message
    sources: tuple[Threshold, ...] = ()


@dataclass(frozen=True, slots=True)
class Grade:
    """The verdict on one item: its level, the reason in words and the metrics' grades."""

    level: Level
    reason: Message
    metrics: tuple[MetricGrade, ...] = ()

    @property
    def thresholds(self) -> tuple[Threshold, ...]:
        """The deciding row of every metric (with its provenance)."""
        return tuple(m.threshold for m in self.metrics if m.threshold is not None)

    @property
    def standard(self) -> str | None:
        """The standard and table of the deciding rows (``GB 18613-2020 表1 Table 1``)."""
        documents = dict.fromkeys(t.document for t in self.thresholds)
        return "; ".join(documents) or None


def _op(threshold: Threshold) -> str:
    return "≥" if threshold.higher_is_better else "≤"


def _limit(threshold: Threshold) -> str:
    """``94.6 %``, ``0.23 kW``, ``1.3`` (a ratio has no unit to show)."""
    unit = "" if threshold.unit in ("", "1") else f" {threshold.unit}"
    return f"{threshold.value:g}{unit}"


def _verdict(level: Level, reason: Message) -> Grade:
    return Grade(level, reason)


# --- matching -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Scale:
    """The grade rows of one metric that apply to an item's attributes."""

    metric: str
    rows: tuple[Threshold, ...]  # one per grade, best level first
    sources: tuple[Threshold, ...] = ()  # the tabulated rows of an interpolation


def _normalise(name: str, value: Any) -> Any:
    """An item's attribute as the tables hold it; None when missing."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if name in AXES:
        try:
            number = float(value)
        except (TypeError, ValueError):
            return None
        return number if math.isfinite(number) else None
    if name in NUMERIC_CATEGORIES:
        try:
            number = float(value)
        except (TypeError, ValueError):
            return str(value).strip() or None
        return str(int(number)) if number.is_integer() else repr(number)
    text = str(value).strip()
    return text or None


def _shown(value: Any) -> str:
    if isinstance(value, float):
        return "∞" if math.isinf(value) else f"{value:g}"
    return str(value)


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def _standards(rows: Sequence[Threshold] | Sequence[_Entry]) -> str:
    return ", ".join(dict.fromkeys(r.document for r in rows))


class _Entry:
    """The rows of one table with the same attributes (the grades of its metrics): what the
    matching narrows, a few times fewer than the rows."""

    __slots__ = ("document", "interpolation", "lookup", "rows")

    def __init__(self, rows: list[Threshold]):
        self.rows = rows
        self.lookup = rows[0].lookup
        self.document = rows[0].document
        self.interpolation = all(r.interpolation for r in rows)


def _entries(rows: Sequence[Threshold]) -> list[_Entry]:
    grouped: dict[tuple, list[Threshold]] = {}
    for row in rows:
        grouped.setdefault((row.table_id, row.attributes), []).append(row)
    return [_Entry(group) for group in grouped.values()]


def _resolve(
    kind_rows: Sequence[_Entry], scope: Mapping[str, Any], item_type: str
) -> Grade | list[_Scale]:
    """The grade rows of every metric for an item's attributes, or the verdict that there
    are none (out of scope, or unable to judge)."""
    if not kind_rows:
        return _verdict(
            Level.OUT_OF_SCOPE,
            Message("no table of the pack covers equipment of type %(type)s", type=item_type),
        )
    candidates = list(kind_rows)
    interpolation: tuple[str, float, float, float] | None = None
    for name in (*CATEGORIES, *AXES):
        value = scope.get(name)
        if value is None:
            continue
        using = [r for r in candidates if r.lookup.get(name) is not None]
        if not using:
            continue
        if name in CATEGORIES:
            kept = [r for r in candidates if _matches(r.lookup.get(name), value)]
            if not kept:
                values = sorted(
                    {v for r in using for v in _values(r.lookup.get(name))}, key=_sort_key
                )
                return _verdict(
                    Level.OUT_OF_SCOPE,
                    Message(
                        "no row of %(standard)s has %(attribute)s = %(value)s "
                        "(the table has %(values)s)",
                        standard=_standards(using),
                        attribute=name,
                        value=_shown(value),
                        values=", ".join(values),
                    ),
                )
            candidates = kept
            continue
        values = {r.lookup.get(name) for r in using}
        points = sorted(v for v in values if not isinstance(v, tuple))
        ranges = sorted(v for v in values if isinstance(v, tuple))
        if any(_close(p, value) for p in points) or any(_within(r, value) for r in ranges):
            candidates = [r for r in candidates if _covers(r.lookup.get(name), value)]
            continue
        ends = [*points, *(end for bounds in ranges for end in bounds[:2])]
        if value <= min(ends) or value >= max(ends):
            return _verdict(
                Level.OUT_OF_SCOPE,
                Message(
                    "%(attribute)s = %(value)s is outside the rows of %(standard)s in the pack "
                    "(%(low)s to %(high)s); no extrapolation",
                    attribute=name,
                    value=_shown(value),
                    standard=_standards(using),
                    low=_shown(min(ends)),
                    high=_shown(max(ends)),
                ),
            )
        if any(_close(end, value) for end in ends):
            return _verdict(
                Level.UNABLE_TO_JUDGE,
                Message(
                    "%(attribute)s = %(value)s is an open end of the rows of %(standard)s "
                    "that meet there: no row includes it",
                    attribute=name,
                    value=_shown(value),
                    standard=_standards(using),
                ),
            )
        low = max(p for p in ends if p < value)
        high = min(p for p in ends if p > value)
        pair = [e for e in using if e.lookup.get(name) in (low, high)]  # points only
        if (
            interpolation is not None
            or low not in points
            or high not in points
            or not all(e.interpolation for e in pair)
        ):
            return _verdict(
                Level.UNABLE_TO_JUDGE,
                Message(
                    "%(attribute)s = %(value)s lies between the rows %(low)s and %(high)s of "
                    "%(standard)s, which does not allow interpolation",
                    attribute=name,
                    value=_shown(value),
                    low=_shown(low),
                    high=_shown(high),
                    standard=_standards(using),
                ),
            )
        candidates = [r for r in candidates if r.lookup.get(name) is None or r in pair]
        interpolation = (name, value, low, high)
    for name in (*CATEGORIES, *AXES):
        if scope.get(name) is not None:
            continue
        needing = {r.lookup.get(name) for r in candidates} - {None}
        if not needing:
            continue
        if name == "kind" and len(needing) == 1 and all(r.lookup.get(name) for r in candidates):
            continue  # the one kind of the type: a table, not a nameplate attribute
        return _verdict(
            Level.UNABLE_TO_JUDGE,
            Message(
                "%(attribute)s is needed to choose the row of %(standard)s",
                attribute=name,
                standard=_standards(candidates),
            ),
        )
    return _scales([r for entry in candidates for r in entry.rows], interpolation)


def _within(bounds: tuple[float, float, bool, bool], value: float) -> bool:
    """Whether ``value`` lies in a row's range; an end included by the row meets it exactly."""
    low, high, low_closed, high_closed = bounds
    if _close(low, value):
        return low_closed
    if _close(high, value):
        return high_closed
    return low < value < high


def _matches(cell: Any, value: Any) -> bool:
    """Whether a row's categorical cell (None: any; a value; several values) holds ``value``."""
    return cell is None or cell == value or (isinstance(cell, tuple) and value in cell)


def _values(cell: Any) -> tuple[Any, ...]:
    return cell if isinstance(cell, tuple) else (cell,)


def _covers(cell: Any, value: float) -> bool:
    """Whether a row's axis cell (None: any; a point; a range) holds ``value``."""
    if cell is None:
        return True
    if isinstance(cell, tuple):
        return _within(cell, value)
    return _close(cell, value)


def _sort_key(value: str) -> tuple[int, float, str]:
    try:
        return (0, float(value), value)
    except ValueError:
        return (1, 0.0, value)


def _scales(
    candidates: list[Threshold], interpolation: tuple[str, float, float, float] | None
) -> Grade | list[_Scale]:
    by_metric: dict[str, dict[str, list[Threshold]]] = {}
    for row in candidates:
        by_metric.setdefault(row.metric, {}).setdefault(row.grade, []).append(row)
    scales = []
    for metric, grades in by_metric.items():
        rows: list[Threshold] = []
        sources: list[Threshold] = []
        for grade_rows in grades.values():
            if interpolation is None:
                if len(grade_rows) > 1:
                    return _ambiguous(grade_rows)
                rows.append(grade_rows[0])
                continue
            made = _interpolate(grade_rows, interpolation)
            if made is None:
                return _ambiguous(grade_rows)
            rows.append(made[0])
            sources += made[1]
        rows.sort(key=lambda r: r.level)
        scales.append(_Scale(metric, tuple(rows), tuple(sources)))
    return scales


def _ambiguous(rows: Sequence[Threshold]) -> Grade:
    differing = [
        name for name in (*CATEGORIES, *AXES) if len({r.lookup.get(name) for r in rows}) > 1
    ]
    return _verdict(
        Level.UNABLE_TO_JUDGE,
        Message(
            "several rows of %(standard)s match; give %(attributes)s to choose one",
            standard=_standards(rows),
            attributes=", ".join(differing) or "kind",
        ),
    )


def _interpolate(
    rows: list[Threshold], interpolation: tuple[str, float, float, float]
) -> tuple[Threshold, tuple[Threshold, ...]] | None:
    """The threshold at the item's size, linear between the two tabulated rows."""
    name, value, low, high = interpolation
    at_low = [r for r in rows if r.lookup.get(name) == low]
    at_high = [r for r in rows if r.lookup.get(name) == high]
    if len(at_low) != 1 or len(at_high) != 1:
        return None
    a, b = at_low[0], at_high[0]
    if a.value is None or b.value is None:
        made_value = None
    else:
        made_value = a.value + (b.value - a.value) * (value - low) / (high - low)
    attributes = tuple((k, value if k == name else v) for k, v in a.attributes)
    made = Threshold(
        **{
            **{field: getattr(a, field) for field in Threshold.__slots__},
            "attributes": attributes,
            "value": made_value,
            "note": f"interpolated between rows {a.row} and {b.row} ({name} {low:g} and {high:g})",
        }
    )
    return made, (a, b)


# --- judging --------------------------------------------------------------------------------


def _meets(measured: float, threshold: Threshold) -> bool:
    limit = threshold.value
    assert limit is not None
    slack = 1e-9 * max(1.0, abs(limit))  # a value exactly on the threshold meets it
    if threshold.higher_is_better:
        return measured >= limit - slack
    return measured <= limit + slack


def _measured(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _judge_metric(scale: _Scale, measured: float | None) -> MetricGrade:
    rows = scale.rows
    given = [r for r in rows if r.value is not None]
    if not given:
        return MetricGrade(
            scale.metric,
            Level.OUT_OF_SCOPE,
            None,
            rows,
            Message(
                "%(standard)s has no value (—) for %(metric)s here",
                standard=_standards(rows),
                metric=scale.metric,
            ),
            scale.sources,
        )
    if measured is None:
        return MetricGrade(
            scale.metric,
            Level.UNABLE_TO_JUDGE,
            None,
            rows,
            Message(
                "%(metric)s is needed to grade against %(standard)s",
                metric=scale.metric,
                standard=_standards(rows),
            ),
            scale.sources,
        )
    for row in given:
        if _meets(measured, row):
            reason = Message(
                "meets %(grade)s of %(standard)s: %(metric)s %(op)s %(limit)s",
                grade=grade_label(row.grade),
                standard=row.document,
                metric=scale.metric,
                op=_op(row),
                limit=_limit(row),
            )
            return MetricGrade(
                scale.metric, _BY_NUMBER[row.level], row, rows, reason, scale.sources
            )
    minimum = rows[-1]
    if minimum.value is None:
        return MetricGrade(
            scale.metric,
            Level.UNABLE_TO_JUDGE,
            None,
            rows,
            Message(
                "%(metric)s misses every grade %(standard)s gives, and its minimum is — (no data)",
                metric=scale.metric,
                standard=_standards(rows),
            ),
            scale.sources,
        )
    reason = Message(
        "misses %(grade)s, the minimum of %(standard)s: %(metric)s must be %(op)s %(limit)s",
        grade=grade_label(minimum.grade),
        standard=minimum.document,
        metric=scale.metric,
        op=_op(minimum),
        limit=_limit(minimum),
    )
    return MetricGrade(scale.metric, Level.NOT_COMPLIANT, minimum, rows, reason, scale.sources)


def _combine(metrics: tuple[MetricGrade, ...]) -> Grade:
    for level in (Level.UNABLE_TO_JUDGE, Level.OUT_OF_SCOPE):
        found = [m for m in metrics if m.level == level]
        if found:
            return Grade(level, found[0].reason, metrics)
    worst = max(metrics, key=lambda m: _RANK[m.level])
    reason = worst.reason
    if len(metrics) > 1:
        others = [m for m in metrics if m is not worst]
        for other in others:
            reason = Message("%(reason)s; %(other)s", reason=reason, other=other.reason)
        reason = Message("the worse metric decides: %(reasons)s", reasons=reason)
    if worst.sources:
        reason = Message("%(reason)s (interpolated between tabulated rows)", reason=reason)
    return Grade(worst.level, reason, metrics)


# --- the entry points ------------------------------------------------------------------------


class _Index:
    """The rows of a set of tables by type, and the resolutions already made."""

    def __init__(self, tables: Sequence[StandardTable]):
        rows: dict[str, list[Threshold]] = {}
        for table in tables:
            for threshold in table.thresholds:
                rows.setdefault(threshold.type, []).append(threshold)
        self.by_type: dict[str, list[_Entry]] = {k: _entries(v) for k, v in rows.items()}
        self.resolved: dict[tuple, Grade | list[_Scale]] = {}
        #: The attributes the rows of each type use (the others cannot change its verdict).
        self.names: dict[Any, tuple[str, ...]] = {
            kind: tuple(n for n in _NAMES if any(r.lookup.get(n) is not None for r in rows))
            for kind, rows in self.by_type.items()
        }
        self.verdicts: dict[tuple, Grade] = {}

    def resolve(self, item_type: str, scope: tuple[Any, ...]) -> Grade | list[_Scale]:
        key = (item_type, scope)
        found = self.resolved.get(key)
        if found is None:
            found = _resolve(
                self.by_type.get(item_type, ()), dict(zip(_NAMES, scope, strict=True)), item_type
            )
            self.resolved[key] = found
        return found

    def verdict(self, scales: list[_Scale], codes: tuple[int, ...], measured: list[float]) -> Grade:
        """The grade of an item whose metrics have ``codes`` (see :func:`_codes`); one of the
        items' ``measured`` values stands for all."""
        key = (id(scales), codes)
        found = self.verdicts.get(key)
        if found is None:
            found = _combine(
                tuple(
                    _judge_metric(scale, _finite(value))
                    for scale, value in zip(scales, measured, strict=True)
                )
            )
            self.verdicts[key] = found
        return found


_NAMES = (*CATEGORIES, *AXES)
_SHIPPED: list[_Index] = []


def _index(tables: Sequence[StandardTable] | None) -> _Index:
    if tables is None:
        if not _SHIPPED:
            _SHIPPED.append(_Index(shipped_standards()))
        return _SHIPPED[0]
    return _Index(tables)


def _scope(item: Mapping[str, Any]) -> tuple[Any, ...]:
    return tuple(_normalise(name, item.get(name)) for name in _NAMES)


def grade(item: Mapping[str, Any], *, tables: Sequence[StandardTable] | None = None) -> Grade:
    """The grade of one item against the standards pack.

    Parameters
    ----------
    item : mapping
        ``type`` (``motor``, ``pm_motor``, ``transformer``, ``air_compressor``, ``boiler``,
        ``data_centre``, ``product`` …); the attributes that choose a row:
        ``rated_power_kw`` [kW], ``poles``, ``rated_capacity_kva`` [kVA], ``voltage_kv`` [kV],
        ``insulation`` (``oil`` | ``dry``), ``insulation_class`` (``B`` | ``F`` | ``H``),
        ``core`` (``electrical_steel`` | ``amorphous``), ``connection`` (``Dyn11`` |
        ``Yzn11`` | ``Yyn0``), ``cooling`` (``air`` | ``water``), ``drive`` (``fixed`` |
        ``variable``), ``discharge_pressure_mpa`` [MPa], ``fuel``, ``combustion``,
        ``condensing``, ``kind``; and the measured metrics: ``efficiency_pct`` [%],
        ``no_load_loss_kw`` [kW], ``load_loss_kw`` [kW], ``specific_power_kw_per_m3_min``
        [kW/(m³/min)], ``thermal_efficiency_pct`` [%], ``pue`` [1], ``energy_kgce_per_t``
        [kgce/t] …
    tables : sequence of StandardTable, optional
        The tables to judge against (a company's custom tables); default: the shipped pack.

    Returns
    -------
    Grade
        Its level, the reason (a :class:`~lingtan.i18n.Message`) and every metric's grade
        with the threshold row used and its provenance.

    References
    ----------
    GB 18613-2020 Table 1 (motors; grade 1 = IE5, 2 = IE4, 3 = IE3); GB 30253-2024 Table 1
    (line-start permanent-magnet motors); GB 30254-2024 Table 1 (high-voltage motors, 3–6 kV,
    IC01 … IC81W); GB 19761-2020 Tables 1–4 (fans, by ψ or γ, ns and machine-number band);
    GB 19577-2024 Tables 1–2 (water chillers: the rating's metric and the other metric's
    floor must both pass); GB 20052-2024 Tables 1–2 (transformers: P0 and Pk
    must both pass); GB 19153-2019 Table 1 (air compressors, packaged specific power);
    GB 24500-2020 Table 4 and 5.2 (industrial boilers); GB 40879-2021 (data-centre PUE); NDRC
    发改产业〔2023〕723号 (benchmark and baseline levels).
    """
    return grade_many([item], tables=tables)[0]


def grade_many(
    items: Sequence[Mapping[str, Any]], *, tables: Sequence[StandardTable] | None = None
) -> list[Grade]:
    """The grade of every item of a register (see :func:`grade`), in order.

    Columnar: the items are grouped by their type and attributes as given, each group is matched
    against the tables once, and its measured values are compared with the thresholds as numpy
    arrays; items with the same verdict share one :class:`Grade` object (it holds no item data).
    """
    index = _index(tables)
    names_of = index.names
    groups: dict[tuple, list[int]] = {}
    for i, item in enumerate(items):
        item_type = item.get("type")
        names = names_of.get(item_type)
        if names is None:  # a type no table has, or one written with spaces
            item_type = str(item_type or "").strip()
            names = names_of.get(item_type, ())
        key = (item_type, *map(item.get, names)) if names else (item_type,)
        found = groups.get(key)
        if found is None:
            groups[key] = [i]
        else:
            found.append(i)
    out: list[Grade | None] = [None] * len(items)
    for key, members in groups.items():
        item_type = str(key[0] or "").strip()
        given = dict(zip(names_of.get(key[0], ()), key[1:], strict=True))
        resolved = index.resolve(
            item_type, tuple(_normalise(name, given.get(name)) for name in _NAMES)
        )
        if isinstance(resolved, Grade):
            for i in members:
                out[i] = resolved
            continue
        chosen = [items[i] for i in members]
        codes = np.empty((len(resolved), len(members)), dtype=np.int8)
        values = []
        for m, scale in enumerate(resolved):
            measured = _measured_array([item.get(scale.metric) for item in chosen])
            codes[m] = _codes(scale, measured)
            values.append(measured)
        if len(resolved) == 1:
            unique_codes, first, inverse = np.unique(
                codes[0], return_index=True, return_inverse=True
            )
            combos = [(int(c),) for c in unique_codes]
        else:
            unique, first, inverse = np.unique(
                codes, axis=1, return_index=True, return_inverse=True
            )
            combos = [tuple(int(c) for c in unique[:, u]) for u in range(unique.shape[1])]
        verdicts = [
            index.verdict(resolved, combo, [values[m][first[u]] for m in range(len(resolved))])
            for u, combo in enumerate(combos)
        ]
        for i, u in zip(members, inverse.reshape(-1).tolist(), strict=True):
            out[i] = verdicts[u]
    return out  # type: ignore[return-value]  # every index was filled


def _finite(value: float) -> float | None:
    return None if math.isnan(value) else float(value)


def _measured_array(values: list[Any]) -> np.ndarray:
    """Measured values as floats, NaN where missing or not a finite number."""
    try:
        array = np.array([math.nan if v is None else v for v in values], dtype=float)
    except (TypeError, ValueError):
        array = np.array([math.nan if (m := _measured(v)) is None else m for v in values])
    array[~np.isfinite(array)] = math.nan
    return array


def _codes(scale: _Scale, measured: np.ndarray) -> np.ndarray:
    """For each measured value, the index of the best grade row it meets (-1: none, -2: no
    measurement) — equal codes give equal :class:`MetricGrade` objects."""
    codes = np.full(measured.shape, -1, dtype=np.int8)
    for i in range(len(scale.rows) - 1, -1, -1):  # worst first: a better grade overwrites
        row = scale.rows[i]
        if row.value is None:
            continue
        slack = 1e-9 * max(1.0, abs(row.value))
        if row.higher_is_better:
            met = measured >= row.value - slack
        else:
            met = measured <= row.value + slack
        codes[met] = i
    codes[np.isnan(measured)] = -2
    return codes
