"""The standards pack: efficiency and energy-consumption thresholds as data with provenance.

Every shipped threshold lives in a CSV file under ``lingtan/data/standards``, one file per table
of a standard and one row per threshold: the standard (number, year, titles), the table, clause
and page, the date it came into force, the attributes that select the row (type, kind, rated
power, poles, capacity, voltage, insulation, core, connection group, cooling, drive, discharge
pressure), the metric, the grade and its value with the unit, whether a higher or a lower value
is better, whether the standard allows interpolation between this row and its neighbours, and a
review status (``official`` where the value was seen attributed to the standard's table,
``unverified`` where it still has to be checked against the printed text, with the reason in
``note``). A ``—`` value is a cell the standard leaves empty: no data, not zero.

A company's own targets are a table of the same columns read with :func:`read_standards_file`;
such a table has origin ``custom`` and is kept apart from the shipped ones (it is used when it is
asked for, never mixed into the shipped tables).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from lingtan.errors import InputError, InputProblem, Problems, one_of, read_text_file
from lingtan.i18n import Message

__all__ = [
    "ALTERNATIVES",
    "ATTRIBUTES",
    "AXES",
    "CATEGORIES",
    "DIRECTIONS",
    "GRADES",
    "NO_DATA",
    "STANDARD_COLUMNS",
    "STATUSES",
    "StandardTable",
    "Threshold",
    "read_standards_file",
    "read_standards_text",
    "shipped_standards",
]

#: The columns of every standards table, shipped or custom, in their order.
STANDARD_COLUMNS = (
    "table_id",
    "standard",
    "year",
    "title_zh",
    "title_en",
    "table",
    "clause",
    "page",
    "in_force",
    "type",
    "kind",
    "rated_power_kw",
    "rated_capacity_kva",
    "poles",
    "voltage_kv",
    "insulation",
    "insulation_class",
    "core",
    "connection",
    "cooling",
    "drive",
    "fuel",
    "combustion",
    "condensing",
    "cooling_code",
    "rating_system",
    "discharge_pressure_mpa",
    "cooling_capacity_kw",
    "pressure_coefficient",
    "specific_speed",
    "fan_number",
    "hub_ratio",
    "metric",
    "grade",
    "value",
    "unit",
    "direction",
    "interpolation",
    "status",
    "source",
    "note",
)
REQUIRED = ("table_id", "standard", "type", "metric", "grade", "value", "unit", "direction")

#: Attributes matched by name (a blank cell in a row: the row applies to every value).
CATEGORIES = (
    "kind",
    "poles",
    "voltage_kv",
    "insulation",
    "insulation_class",
    "core",
    "connection",
    "cooling",
    "drive",
    "fuel",
    "combustion",
    "condensing",
    "cooling_code",
    "rating_system",
)
#: Attributes matched by number at tabulated points (or within a row's range: ``LOW..HIGH``,
#: both ends included, ``400..1000`` kW; or an interval whose brackets say which ends are
#: included, ``[0.95..1.05)``, ``(2..2.5]``, ``(10..)`` with no upper end, as a standard writes
#: ``0.95≤ψ<1.05``, ``No2<机号≤No2.5``, ``机号>No10``); interpolation between two points only
#: where both rows allow it, never beyond the first or last point.
AXES = (
    "discharge_pressure_mpa",
    "rated_power_kw",
    "rated_capacity_kva",
    "cooling_capacity_kw",
    "pressure_coefficient",
    "specific_speed",
    "fan_number",
    "hub_ratio",
)
#: Every attribute that selects a row, in the order they are matched.
ATTRIBUTES = CATEGORIES + AXES
#: Categorical attributes whose values are numbers (``4`` and ``4.0`` poles are one value).
NUMERIC_CATEGORIES = ("poles", "voltage_kv")
#: In a row's categorical cell, ``|`` separates the values the row applies to (``3|3.3|6`` kV,
#: ``IC01|IC11|IC21|IC31|IC81W``): one row of the standard's table for several values.
ALTERNATIVES = "|"

#: The grades a row may carry and the level each reaches (1 is the best).
GRADES: dict[str, int] = {
    "1": 1,
    "2": 2,
    "3": 3,
    "advanced": 1,  # 先进值
    "access": 2,  # 准入值
    "limit": 3,  # 限定值
    "benchmark": 1,  # 能效标杆水平
    "baseline": 3,  # 能效基准水平
}
DIRECTIONS = ("higher_is_better", "lower_is_better")
STATUSES = ("official", "unverified")
#: A cell the standard leaves empty.
NO_DATA = "—"
_NO_DATA_SPELLINGS = ("—", "-", "–", "--")


@dataclass(frozen=True, slots=True)
class Threshold:
    """One threshold of a standard's table with its provenance.

    ``value`` is None for a ``—`` cell (no data). ``attributes`` holds the row's selecting
    attributes that are not blank: categorical ones as text, axes as numbers.
    """

    table_id: str
    standard: str
    year: str
    title_zh: str
    title_en: str
    table: str
    clause: str
    page: str
    in_force: str
    type: str
    attributes: tuple[tuple[str, Any], ...]
    metric: str
    grade: str
    value: float | None
    unit: str
    direction: str
    interpolation: bool
    status: str
    source: str
    note: str
    origin: str = "shipped"
    row: int = 0
    lookup: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    #: ``GB 18613-2020 表1 Table 1``: the standard and its table (made from the fields).
    document: str = field(default="", compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "lookup", dict(self.attributes))
        year = f"-{self.year}" if self.year and self.year not in self.standard else ""
        object.__setattr__(self, "document", f"{self.standard}{year} {self.table}".strip())

    @property
    def level(self) -> int:
        """The level this grade reaches: 1 (best), 2 or 3."""
        return GRADES[self.grade]

    @property
    def higher_is_better(self) -> bool:
        return self.direction == "higher_is_better"

    def attribute(self, name: str) -> Any:
        """The row's value of attribute ``name``; None where the row applies to any."""
        return self.lookup.get(name)

    def provenance(self) -> dict[str, Any]:
        """Everything a verifier needs to find the value in its source."""
        return {
            "table_id": self.table_id,
            "standard": self.standard,
            "year": self.year or None,
            "title_zh": self.title_zh or None,
            "title_en": self.title_en or None,
            "table": self.table or None,
            "clause": self.clause or None,
            "page": self.page or None,
            "in_force": self.in_force or None,
            "type": self.type,
            **{name: _cell(value) for name, value in self.attributes},
            "metric": self.metric,
            "grade": self.grade,
            "value": self.value,
            "unit": self.unit,
            "direction": self.direction,
            "interpolation": self.interpolation,
            "status": self.status,
            "source": self.source or None,
            "note": self.note or None,
            "origin": self.origin,
            "row": self.row,
        }


@dataclass(frozen=True)
class StandardTable:
    """The thresholds of one table of one standard (one CSV file, or one ``table_id`` of a
    custom file)."""

    table_id: str
    thresholds: tuple[Threshold, ...]
    origin: str = "shipped"

    @property
    def first(self) -> Threshold:
        return self.thresholds[0]

    @property
    def standard(self) -> str:
        return self.first.standard

    @property
    def type(self) -> str:
        return self.first.type

    @property
    def statuses(self) -> dict[str, int]:
        counts = dict.fromkeys(STATUSES, 0)
        for threshold in self.thresholds:
            counts[threshold.status] += 1
        return counts


def _text(row: Mapping[str, str | None], column: str) -> str:
    return (row.get(column) or "").strip()


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _parse_rows(
    rows: Iterable[Mapping[str, str | None]], origin: str, where_file: str, first_row: int = 2
) -> list[Threshold]:
    thresholds: list[Threshold] = []
    problems = Problems()
    seen: dict[tuple, int] = {}
    for number, row in enumerate(rows, start=first_row):
        where = Message("%(file)s row %(row)d", file=where_file, row=number)
        bad = len(problems)
        for column in REQUIRED:
            if not _text(row, column):
                problems.append(InputProblem(where, column, None, Message("is required")))
        value_text = _text(row, "value")
        value: float | None = None
        if value_text and value_text not in _NO_DATA_SPELLINGS:
            value = _number(value_text)
            if value is None:
                problems.append(
                    InputProblem(
                        where,
                        "value",
                        value_text,
                        Message("must be a finite number, or — for a cell with no data"),
                    )
                )
        grade = _text(row, "grade")
        if grade and grade not in GRADES:
            problems.append(InputProblem(where, "grade", grade, one_of(GRADES)))
        direction = _text(row, "direction")
        if direction and direction not in DIRECTIONS:
            problems.append(InputProblem(where, "direction", direction, one_of(DIRECTIONS)))
        status = _text(row, "status") or "unverified"
        if status not in STATUSES:
            problems.append(InputProblem(where, "status", status, one_of(STATUSES)))
        interpolation = _text(row, "interpolation") or "no"
        if interpolation not in ("yes", "no"):
            problems.append(
                InputProblem(where, "interpolation", interpolation, one_of(("yes", "no")))
            )
        attributes: list[tuple[str, Any]] = []
        for column in ATTRIBUTES:
            text = _text(row, column)
            if not text:
                continue
            if column in AXES and ".." in text:
                bounds = _range(text)
                if bounds is None:
                    problems.append(
                        InputProblem(
                            where,
                            column,
                            text,
                            Message(
                                "must be a positive number, a range LOW..HIGH or an interval "
                                "such as [LOW..HIGH) or (LOW..)"
                            ),
                        )
                    )
                    continue
                attributes.append((column, bounds))
            elif column in CATEGORIES and ALTERNATIVES in text:
                choices = _alternatives(column, text)
                if choices is None:
                    problems.append(
                        InputProblem(
                            where,
                            column,
                            text,
                            Message("must list different values separated by |"),
                        )
                    )
                    continue
                attributes.append((column, choices))
            elif column in AXES or column in NUMERIC_CATEGORIES:
                parsed = _number(text)
                if parsed is None or parsed <= 0:
                    problems.append(
                        InputProblem(where, column, text, Message("must be a positive number"))
                    )
                    continue
                attributes.append((column, parsed if column in AXES else _canonical(parsed)))
            else:
                attributes.append((column, text))
        identity = (
            _text(row, "table_id"),
            _text(row, "type"),
            tuple(attributes),
            _text(row, "metric"),
            grade,
        )
        if len(problems) == bad and identity in seen:
            problems.append(
                InputProblem(
                    where,
                    "grade",
                    grade,
                    Message(
                        "duplicates row %(row)d (same table, attributes, metric and grade)",
                        row=seen[identity],
                    ),
                )
            )
        if len(problems) > bad:
            continue
        seen[identity] = number
        thresholds.append(
            Threshold(
                table_id=identity[0],
                standard=_text(row, "standard"),
                year=_text(row, "year"),
                title_zh=_text(row, "title_zh"),
                title_en=_text(row, "title_en"),
                table=_text(row, "table"),
                clause=_text(row, "clause"),
                page=_text(row, "page"),
                in_force=_text(row, "in_force"),
                type=identity[1],
                attributes=identity[2],
                metric=identity[3],
                grade=grade,
                value=value,
                unit=_text(row, "unit"),
                direction=direction,
                interpolation=interpolation == "yes",
                status=status,
                source=_text(row, "source"),
                note=_text(row, "note"),
                origin=origin,
                row=number,
            )
        )
    if problems:
        raise InputError(problems, origin=where_file)
    _check_directions(thresholds, where_file)
    return thresholds


#: A range of an axis cell: (low, high, low end included, high end included); ``high`` is
#: infinite for an interval open above (``(10..)``).
Bounds = tuple[float, float, bool, bool]


def _range(text: str) -> Bounds | None:
    """``400..1000`` (both ends included), ``[0.95..1.05)``, ``(2..2.5]``, ``(10..)`` (no upper
    end); None when it is none of these (or not 0 <= low < high)."""
    text = text.strip()
    low_closed = high_closed = True
    if text[:1] in "[(" and text[-1:] in "])":
        low_closed, high_closed = text[0] == "[", text[-1] == "]"
        text = text[1:-1]
    low_text, _, high_text = text.partition("..")
    low = _number(low_text.strip())
    high = math.inf if not high_text.strip() else _number(high_text.strip())
    if low is None or high is None or not 0 <= low < high:
        return None
    if math.isinf(high):
        high_closed = False
    return (low, high, low_closed, high_closed)


def _alternatives(column: str, text: str) -> tuple[str, ...] | None:
    """The values of a categorical cell ``a|b|c`` (numbers canonical), None when one is blank,
    not a positive number where a number belongs, or repeated."""
    values = []
    for part in text.split(ALTERNATIVES):
        part = part.strip()
        if column in NUMERIC_CATEGORIES:
            number = _number(part)
            if number is None or number <= 0:
                return None
            part = _canonical(number)
        if not part or part in values:
            return None
        values.append(part)
    return tuple(values)


def _cell(value: Any) -> Any:
    """An attribute of a row for its provenance: a number, a text, a range ``(low, high)`` with
    both ends included, an interval as written (``[0.95..1.05)``), values as ``3|3.3|6``."""
    if not isinstance(value, tuple):
        return value
    if len(value) == 4 and isinstance(value[2], bool):
        low, high, low_closed, high_closed = value
        if low_closed and high_closed:
            return (low, high)
        top = "" if math.isinf(high) else f"{high:g}"
        return f"{'[' if low_closed else '('}{low:g}..{top}{']' if high_closed else ')'}"
    return ALTERNATIVES.join(value)


def _canonical(value: float) -> str:
    """A numeric category as text: ``4`` for 4 and 4.0, ``0.4`` for 0.4."""
    return str(int(value)) if value.is_integer() else repr(value)


def _check_directions(thresholds: list[Threshold], where_file: str) -> None:
    """One metric of one table has one direction and one unit."""
    first: dict[tuple[str, str], Threshold] = {}
    problems = Problems()
    for threshold in thresholds:
        key = (threshold.table_id, threshold.metric)
        seen = first.setdefault(key, threshold)
        for column in ("direction", "unit"):
            if getattr(seen, column) != getattr(threshold, column):
                problems.append(
                    InputProblem(
                        Message("%(file)s row %(row)d", file=where_file, row=threshold.row),
                        column,
                        getattr(threshold, column),
                        Message(
                            "differs from row %(row)d of the same table and metric (%(value)s)",
                            row=seen.row,
                            value=getattr(seen, column),
                        ),
                    )
                )
    if problems:
        raise InputError(problems, origin=where_file)


def _tables(thresholds: list[Threshold], origin: str) -> list[StandardTable]:
    grouped: dict[str, list[Threshold]] = {}
    for threshold in thresholds:
        grouped.setdefault(threshold.table_id, []).append(threshold)
    return [StandardTable(table_id, tuple(rows), origin) for table_id, rows in grouped.items()]


def read_standards_text(text: str, where: str) -> list[StandardTable]:
    """Read custom standards tables from CSV text (the shipped columns); see
    :func:`read_standards_file`."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise InputError(
            InputProblem(where, ", ".join(missing), None, Message("required columns are missing")),
            origin=where,
        )
    unknown = [c for c in header if c not in STANDARD_COLUMNS]
    if unknown:
        raise InputError(
            InputProblem(
                where,
                ", ".join(unknown),
                None,
                Message(
                    "are not columns of a standards table (%(columns)s)",
                    columns=", ".join(STANDARD_COLUMNS),
                ),
            ),
            origin=where,
        )
    tables = _tables(_parse_rows(reader, "custom", where), "custom")
    clash = sorted({t.table_id for t in tables} & {t.table_id for t in shipped_standards()})
    if clash:
        raise InputError(
            InputProblem(
                where,
                "table_id",
                clash[0],
                Message("is the id of a shipped table: give a company table its own id"),
            ),
            origin=where,
        )
    return tables


def read_standards_file(path: str | Path) -> list[StandardTable]:
    """Read a custom standards CSV file (a company's own targets, the shipped columns).

    Parameters
    ----------
    path : str or Path
        A UTF-8 CSV file with a header row of :data:`STANDARD_COLUMNS` (``table_id``,
        ``standard``, ``type``, ``metric``, ``grade``, ``value``, ``unit`` and ``direction``
        are required; a blank ``status`` is ``unverified``).

    Returns
    -------
    list of StandardTable
        One per ``table_id``, with origin ``custom``.

    Raises
    ------
    InputError
        Naming the file, row, column, value and rule of every bad row; nothing is read then.
    """
    return read_standards_text(read_text_file(path), str(path))


@cache
def shipped_standards() -> tuple[StandardTable, ...]:
    """The standards tables shipped with lingtan (read once per process), one per CSV file of
    ``lingtan/data/standards``, sorted by file name."""
    data = resources.files("lingtan") / "data" / "standards"
    tables: list[StandardTable] = []
    for entry in sorted(data.iterdir(), key=lambda item: item.name):
        if not entry.name.endswith(".csv"):
            continue
        where = f"lingtan/data/standards/{entry.name}"
        with entry.open(encoding="utf-8", newline="") as handle:
            found = _tables(_parse_rows(csv.DictReader(handle), "shipped", where), "shipped")
        if len(found) != 1 or found[0].table_id != entry.name.removesuffix(".csv"):
            raise RuntimeError(f"{where} must hold exactly the table named by its file")
        tables += found
    return tuple(tables)
