"""China's public holidays as the State Council announces them each year, and the dates on
which a TOU calendar's holiday hours apply.

The General Office of the State Council publishes the holidays of a year in the autumn before
(国务院办公厅关于 YYYY 年部分节假日安排的通知). lingtan ships them as data
(``lingtan/data/tou/holidays.csv``: one row per holiday and year, first and last day off,
with the notice and where its text was read). A TOU calendar names the holidays its
``holiday`` day type applies to in its ``holidays`` column: ``spring_festival;labour_day``,
or ``labour_day:3`` for the first three days only (Zhejiang's 2026 deep valley). Make-up
working days (调休上班) are ordinary days and take the normal hours.

Pure functions over the shipped table; the table is read once per process.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from importlib import resources
from pathlib import Path

from lingtan.errors import InputError, InputProblem
from lingtan.i18n import Message
from lingtan.imports.tables import read_tables

__all__ = ["HOLIDAYS", "Holiday", "holiday_dates", "parse_holiday_spec", "shipped_holidays"]

#: Holidays of the State Council's notices, by key, with their Chinese names.
HOLIDAYS: dict[str, str] = {
    "new_year": "元旦",
    "spring_festival": "春节",
    "qingming": "清明节",
    "labour_day": "劳动节",
    "dragon_boat": "端午节",
    "mid_autumn": "中秋节",
    "national_day": "国庆节",
}


@dataclass(frozen=True)
class Holiday:
    """The days off of one holiday in one year, first to last inclusive, with provenance."""

    year: int
    key: str
    first: date
    last: date
    document: str
    title: str
    status: str
    source: str
    url: str

    def days(self, limit: int | None = None) -> list[date]:
        """The days off, or the first ``limit`` of them."""
        count = (self.last - self.first).days + 1
        return [self.first + timedelta(days=i) for i in range(min(count, limit or count))]


def parse_holiday_spec(text: str, where: str = "calendar") -> tuple[tuple[str, int | None], ...]:
    """``spring_festival;labour_day:3`` as ``(("spring_festival", None), ("labour_day", 3))``.

    Raises :class:`InputError` naming the unknown holiday or the bad day count.
    """
    out: list[tuple[str, int | None]] = []
    problems: list[InputProblem] = []
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        key, _, count = part.partition(":")
        key = key.strip()
        if key not in HOLIDAYS:
            rule = Message("must be one of %(options)s", options=", ".join(HOLIDAYS))
            problems.append(InputProblem(where, "holidays", key, rule))
            continue
        limit = None
        if count:
            try:
                limit = int(count)
            except ValueError:
                limit = 0
            if limit < 1:
                rule = Message("the number of days after the colon is a whole number of 1 or more")
                problems.append(InputProblem(where, "holidays", part, rule))
                continue
        out.append((key, limit))
    if problems:
        raise InputError(problems)
    return tuple(out)


def holiday_dates(
    spec: Iterable[tuple[str, int | None]], years: Iterable[int]
) -> tuple[list[date], list[int]]:
    """The days of the holidays ``spec`` names in ``years``, and the years the shipped table
    does not cover (their holiday hours cannot be applied: the caller says so)."""
    spec = tuple(spec)
    if not spec:
        return [], []
    table = _by_year()
    days: list[date] = []
    missing: list[int] = []
    for year in sorted(set(years)):
        holidays = table.get(year)
        if holidays is None:
            missing.append(year)
            continue
        for key, limit in spec:
            if key in holidays:
                days += holidays[key].days(limit)
    return days, missing


def shipped_holidays() -> list[Holiday]:
    """Every holiday of the shipped table, by year."""
    return [h for year in sorted(_by_year()) for h in _by_year()[year].values()]


@functools.cache
def _by_year() -> dict[int, dict[str, Holiday]]:
    folder = resources.files("lingtan") / "data" / "tou"
    with resources.as_file(folder) as path:
        (table,) = read_tables(Path(path) / "holidays.csv")
    index = {str(name): i for i, name in enumerate(table.header)}
    out: dict[int, dict[str, Holiday]] = {}
    for _, values in table.rows:

        def cell(name: str, values: list = values) -> str:
            value = values[index[name]] if index[name] < len(values) else None
            return "" if value is None else str(value).strip()

        holiday = Holiday(
            year=int(cell("year")),
            key=cell("holiday"),
            first=date.fromisoformat(cell("first_day")),
            last=date.fromisoformat(cell("last_day")),
            document=cell("document"),
            title=cell("title"),
            status=cell("status"),
            source=cell("source"),
            url=cell("url"),
        )
        out.setdefault(holiday.year, {})[holiday.key] = holiday
    return out
