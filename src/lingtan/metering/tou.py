"""Time-of-use (峰谷分时) periods: provincial calendars and the energy of meter intervals per
period.

A *calendar* says, for every month and day type, which label (尖峰, 高峰, 平段, 低谷, 深谷)
each time of day carries in local time. lingtan ships the calendars of a few provinces as data
(``lingtan/data/tou``: ``calendars.csv`` with the policy document, dates, status and source of
each calendar, ``periods.csv`` with its hours); a user may supply their own in the same layout.

Rules a calendar obeys (checked when it is read)
    * Periods start and end on the 15-minute grid (``HH:MM``, ``24:00`` for the end of the
      day), so every 15-minute interval lies wholly inside one period.
    * For each day type the month groups partition the year: every month in exactly one group.
    * Within a group, the periods cover 00:00-24:00 exactly once.
    * Labels are those of :data:`LABELS` (English or Chinese names).

Day types
    ``normal`` for every day; ``holiday`` (optional) for the days a calendar treats apart,
    e.g. Zhejiang's deep valley on 春节, 劳动节 and 国庆节. The calendar names those holidays
    (its ``holidays`` column); their dates are the State Council's, shipped year by year
    (:mod:`lingtan.metering.holidays`). A caller may add dates of its own (``holidays=``).

The functions below are pure: no database, no I/O except the readers of calendar files.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from importlib import resources
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

from lingtan.errors import InputError, InputProblem
from lingtan.i18n import Message
from lingtan.imports.tables import Table, column_label, match_columns, read_tables
from lingtan.metering.holidays import holiday_dates, parse_holiday_spec
from lingtan.metering.intervals import INTERVAL_S, MeterIntervals, Quality

__all__ = [
    "DAY_TYPES",
    "LABELS",
    "Calendar",
    "TouSplit",
    "calendar_for",
    "read_calendar_file",
    "shipped_calendars",
    "tou_labels",
    "tou_split",
]

#: Period labels, highest price first, with their Chinese names.
LABELS: dict[str, str] = {
    "critical_peak": "尖峰",
    "peak": "高峰",
    "flat": "平段",
    "valley": "低谷",
    "deep_valley": "深谷",
}
_LABEL_NAMES = {
    **{key: key for key in LABELS},
    **{zh: key for key, zh in LABELS.items()},
    "尖": "critical_peak",
    "峰": "peak",
    "平": "flat",
    "谷": "valley",
    "super_peak": "critical_peak",
    "off_peak": "valley",
}
_LABEL_KEYS = tuple(LABELS)

#: Day types: every day, and the holidays the caller names.
DAY_TYPES: tuple[str, ...] = ("normal", "holiday")
_DAY_TYPE_NAMES = {"normal": "normal", "holiday": "holiday", "平日": "normal", "节假日": "holiday"}

_SLOTS = 86400 // INTERVAL_S  # 15-minute slots in a day
_SLOT_MIN = INTERVAL_S // 60

_PERIOD_FIELDS: dict[str, tuple[str, ...]] = {
    "calendar_id": ("calendar_id", "calendar", "日历"),
    "months": ("months", "月份"),
    "day_type": ("day_type", "日类型"),
    "start": ("start", "开始"),
    "end": ("end", "结束"),
    "label": ("label", "时段"),
}
_CALENDAR_FIELDS: dict[str, tuple[str, ...]] = {
    "calendar_id": ("calendar_id",),
    "region": ("region",),
    "applies_to": ("applies_to",),
    "document": ("document",),
    "title": ("title",),
    "issuer": ("issuer",),
    "published": ("published",),
    "effective_from": ("effective_from",),
    "effective_to": ("effective_to",),
    "status": ("status",),
    "source": ("source",),
    "url": ("url",),
    "holidays": ("holidays",),
    "notes": ("notes",),
}


@dataclass(frozen=True, eq=False)
class Calendar:
    """A TOU calendar: labels per day type, month and 15-minute slot of the local day.

    Attributes
    ----------
    calendar_id : str
    table : numpy.ndarray of uint8, shape (2, 12, 96)
        Index into :data:`LABELS` per day type (``normal``, ``holiday``), month (January
        first) and 15-minute slot from 00:00 local time. Without holiday rows the holiday
        plane repeats the normal one.
    has_holidays : bool
        Whether the calendar defines a ``holiday`` day type.
    holidays : tuple of (str, int or None)
        The public holidays that take the ``holiday`` day type, with the number of their
        first days when not all (:func:`lingtan.metering.holidays.parse_holiday_spec`).
    region, applies_to, document, title, issuer, status, source, url, notes : str
        Provenance; empty for a user's calendar that does not give them.
    published, effective_from, effective_to : datetime.date or None
        ``effective_to`` is the last day in force; None: open.
    """

    calendar_id: str
    table: np.ndarray
    has_holidays: bool = False
    region: str = ""
    applies_to: str = ""
    document: str = ""
    title: str = ""
    issuer: str = ""
    published: date | None = None
    effective_from: date | None = None
    effective_to: date | None = None
    status: str = ""
    source: str = ""
    url: str = ""
    notes: str = ""
    labels_used: tuple[str, ...] = field(default=())
    holidays: tuple[tuple[str, int | None], ...] = ()

    def holiday_days(self, years: Iterable[int]) -> tuple[list[date], list[int]]:
        """The dates of ``years`` that take the holiday hours, and the years whose holiday
        dates lingtan does not ship (empty when the calendar has no holiday hours)."""
        if not self.has_holidays:
            return [], []
        return holiday_dates(self.holidays, years)

    def in_force(self, day: date) -> bool:
        """Whether the calendar applies on ``day``."""
        if self.effective_from is not None and day < self.effective_from:
            return False
        return self.effective_to is None or day <= self.effective_to

    def hours(self, month: int, day_type: str = "normal") -> list[tuple[str, str, str]]:
        """The periods of one month and day type as ``(start, end, label)``, e.g.
        ``("14:00", "22:00", "peak")``, in time order."""
        row = self.table[DAY_TYPES.index(day_type), month - 1]
        cuts = np.flatnonzero(np.diff(row)) + 1
        bounds = np.concatenate(([0], cuts, [_SLOTS]))
        return [
            (_hhmm(int(a) * _SLOT_MIN), _hhmm(int(b) * _SLOT_MIN), _LABEL_KEYS[row[a]])
            for a, b in pairwise(bounds)
        ]


@dataclass(frozen=True)
class TouSplit:
    """Energy of 15-minute intervals per TOU label.

    Attributes
    ----------
    labels : tuple of str
        The calendar's labels, highest price first.
    energy : numpy.ndarray of float64
        Known energy per label [``unit``], estimated intervals included.
    energy_estimated : numpy.ndarray of float64
        The part of ``energy`` from ``estimated`` intervals [``unit``].
    intervals : numpy.ndarray of int64
        Intervals per label.
    missing : numpy.ndarray of int64
        Intervals per label without energy (``missing``, ``spike``, ``negative``): they add
        nothing to ``energy``.
    """

    calendar_id: str
    unit: str
    labels: tuple[str, ...]
    energy: np.ndarray
    energy_estimated: np.ndarray
    intervals: np.ndarray
    missing: np.ndarray

    @property
    def total(self) -> float:
        """Known energy over all labels [``unit``]."""
        return float(self.energy.sum())

    def as_dict(self) -> dict[str, Any]:
        rows = [
            {
                "label": label,
                "label_zh": LABELS[label],
                "energy": float(self.energy[i]),
                "energy_estimated": float(self.energy_estimated[i]),
                "intervals": int(self.intervals[i]),
                "missing_intervals": int(self.missing[i]),
            }
            for i, label in enumerate(self.labels)
        ]
        return {"calendar_id": self.calendar_id, "unit": self.unit, "periods": rows}


# ---------------------------------------------------------------------------------------------
# Labelling


def _label_codes(
    starts_utc: np.ndarray,
    calendar: Calendar,
    utc_offset_min: int,
    holidays: Iterable[date | str | np.datetime64],
) -> np.ndarray:
    local = np.asarray(starts_utc, "datetime64[s]") + np.timedelta64(utc_offset_min * 60, "s")
    days = local.astype("datetime64[D]")
    slot = ((local - days).astype(np.int64) // INTERVAL_S).astype(np.intp)
    month = (days.astype("datetime64[M]").astype(np.int64) % 12).astype(np.intp)
    years = range(int(str(days.min())[:4]), int(str(days.max())[:4]) + 1) if days.size else ()
    shipped, _ = calendar.holiday_days(years)
    given = [np.datetime64(d, "D") for d in (*holidays, *shipped)]
    holiday_days = np.array(given, "datetime64[D]")
    if calendar.has_holidays and holiday_days.size:
        day_type = np.isin(days, holiday_days).astype(np.intp)
    else:
        day_type = np.zeros(days.shape, np.intp)
    return calendar.table[day_type, month, slot]


def tou_labels(
    starts_utc: np.ndarray,
    calendar: Calendar,
    utc_offset_min: int = 480,
    *,
    holidays: Iterable[date | str | np.datetime64] = (),
) -> np.ndarray:
    """TOU label of each interval, by the local time of its start.

    Parameters
    ----------
    starts_utc : numpy.ndarray of datetime64[s]
        Interval starts [UTC].
    calendar : Calendar
    utc_offset_min : int, default 480
        Offset of the calendar's local time from UTC [min]; China Standard Time is +480.
    holidays : iterable of dates, optional
        Local dates that take the calendar's ``holiday`` day type besides the shipped dates
        of the holidays it names (ignored when it has none).

    Returns
    -------
    numpy.ndarray of str
        Keys of :data:`LABELS`, e.g. ``"peak"``.

    Notes
    -----
    A 15-minute interval starting on the 15-minute grid lies wholly inside one period, as
    period bounds are on that grid; its label is that of its start.
    """
    codes = _label_codes(starts_utc, calendar, utc_offset_min, holidays)
    return np.asarray(_LABEL_KEYS)[codes]


def tou_split(
    intervals: MeterIntervals,
    calendar: Calendar,
    utc_offset_min: int = 480,
    *,
    holidays: Iterable[date | str | np.datetime64] = (),
) -> TouSplit:
    """Energy of a meter's 15-minute intervals per TOU label.

    Parameters
    ----------
    intervals : MeterIntervals
        From :func:`lingtan.metering.intervals.meter_intervals`.
    calendar : Calendar
    utc_offset_min : int, default 480
        See :func:`tou_labels`.
    holidays : iterable of dates, optional
        See :func:`tou_labels`.

    Returns
    -------
    TouSplit
        Known energy per label with the estimated part kept apart; intervals without energy
        (``missing``, ``spike``, ``negative``) are counted per label and add nothing.
    """
    codes = _label_codes(intervals.start, calendar, utc_offset_min, holidays)
    n = len(LABELS)
    known = np.isfinite(intervals.energy)
    estimated = intervals.quality == Quality.ESTIMATED
    energy = np.bincount(codes[known], intervals.energy[known], minlength=n)
    part = known & estimated
    energy_estimated = np.bincount(codes[part], intervals.energy[part], minlength=n)
    counts = np.bincount(codes, minlength=n)
    missing = np.bincount(codes[~known], minlength=n)
    keep = [i for i, key in enumerate(_LABEL_KEYS) if key in calendar.labels_used]
    return TouSplit(
        calendar.calendar_id,
        intervals.unit,
        tuple(_LABEL_KEYS[i] for i in keep),
        energy[keep],
        energy_estimated[keep],
        counts[keep].astype(np.int64),
        missing[keep].astype(np.int64),
    )


# ---------------------------------------------------------------------------------------------
# Choosing a calendar


def calendar_for(
    calendars: Sequence[Calendar],
    region: str,
    *,
    first: date,
    last: date | None = None,
    applies_to: str | None = None,
) -> Calendar:
    """The one calendar of ``region`` in force from ``first`` through ``last``.

    Parameters
    ----------
    calendars : sequence of Calendar
    region : str
        Province code as in ``lingtan/data/catalog/regions.csv``, e.g. ``CN-JS``.
    first, last : datetime.date
        The span (local dates); ``last`` defaults to ``first``.
    applies_to : str, optional
        Needed when several calendars of the region are in force (e.g. ``two_part`` and
        ``single_part`` in Shanghai).

    Raises
    ------
    InputError
        No calendar, several, or a span that crosses a change of calendar.
    """
    last = first if last is None else last
    where = Message("TOU calendars of %(region)s", region=region)
    mine = [c for c in calendars if c.region == region]
    if applies_to is not None:
        mine = [c for c in mine if c.applies_to == applies_to]
    at_first = [c for c in mine if c.in_force(first)]
    if not at_first:
        known = ", ".join(sorted({c.calendar_id for c in mine})) or Message("none")
        rule = Message(
            "no calendar in force on %(date)s (calendars of the region: %(known)s)",
            date=first.isoformat(),
            known=known,
        )
        raise InputError(InputProblem(where, "date", first.isoformat(), rule))
    if len(at_first) > 1:
        kinds = ", ".join(f"{c.calendar_id} ({c.applies_to})" for c in at_first)
        raise InputError(
            InputProblem(
                where,
                "applies_to",
                applies_to,
                Message("several calendars apply: %(calendars)s", calendars=kinds),
            )
        )
    chosen = at_first[0]
    if not chosen.in_force(last):
        rule = Message(
            "%(calendar)s ends on %(end)s: split the span where the calendar changes",
            calendar=chosen.calendar_id,
            end=str(chosen.effective_to),
        )
        raise InputError(InputProblem(where, "date", last.isoformat(), rule))
    return chosen


# ---------------------------------------------------------------------------------------------
# Reading calendars


def shipped_calendars() -> list[Calendar]:
    """The calendars shipped with lingtan, with their provenance (read once per process:
    their tables are read-only)."""
    return list(_shipped_calendars())


@functools.cache
def _shipped_calendars() -> tuple[Calendar, ...]:
    folder = resources.files("lingtan") / "data" / "tou"
    with resources.as_file(folder) as path:
        calendars = _read(Path(path) / "periods.csv", Path(path) / "calendars.csv")
    for calendar in calendars:
        calendar.table.setflags(write=False)
    return tuple(calendars)


def read_calendar_file(path: str | Path) -> list[Calendar]:
    """A user's calendars from a CSV file or an Excel workbook in the layout of the shipped
    ``periods.csv``: columns ``calendar_id, months, day_type, start, end, label``.

    A workbook may add a sheet in the layout of ``calendars.csv`` (recognised by its
    ``region`` column) to give provenance and dates; a calendar without a status is marked
    ``user``, with the file as its source. All-or-nothing: every problem is
    reported, and nothing is returned, when any row is wrong.
    """
    tables = read_tables(path)
    meta = [t for t in tables if "region" in _folded_header(t)]
    periods = [t for t in tables if t not in meta]
    if len(periods) != 1:
        raise InputError(
            InputProblem(
                str(path),
                "sheets",
                ", ".join(t.name for t in periods),
                Message("exactly one sheet (or CSV file) of periods expected"),
            )
        )
    calendars = _from_tables(periods[0], meta[0] if meta else None)
    name = Path(path).name
    return [
        c if c.status else replace(c, status="user", source=c.source or name) for c in calendars
    ]


def _folded_header(table: Table) -> set[str]:
    return {str(h).strip().casefold() for h in table.header}


def _read(periods: Path, calendars: Path) -> list[Calendar]:
    return _from_tables(read_tables(periods)[0], read_tables(calendars)[0])


def _from_tables(periods: Table, meta: Table | None) -> list[Calendar]:
    problems: list[InputProblem] = []
    rows = _period_rows(periods, problems)
    info = _calendar_rows(meta, problems) if meta is not None else {}
    by_id: dict[str, list[_Row]] = {}
    for row in rows:
        by_id.setdefault(row.calendar_id, []).append(row)
    for cid in info:
        if cid not in by_id:
            problems.append(
                InputProblem(info[cid]["where"], "calendar_id", cid, Message("has no periods"))
            )
    calendars = []
    for cid, mine in by_id.items():
        built = _build(cid, mine, periods.origin, problems)
        if built is not None:
            calendars.append(_with_info(cid, built, info.get(cid, {}), problems))
    if problems:
        raise InputError(problems, origin=periods.origin)
    return calendars


@dataclass(frozen=True)
class _Row:
    where: Message
    calendar_id: str
    months: tuple[int, ...]
    months_text: str
    day_type: str
    start: int  # slot
    end: int  # slot, exclusive
    label: int


def _period_rows(table: Table, problems: list[InputProblem]) -> list[_Row]:
    required = tuple(f for f in _PERIOD_FIELDS if f != "day_type")
    columns = match_columns(table, _PERIOD_FIELDS, required)
    out = []
    for number, values in table.rows:
        where = Message("%(file)s row %(row)d", file=table.origin, row=number)

        def cell(name: str, values: list[Any] = values) -> str:
            index = columns.get(name, len(values))
            value = values[index] if index < len(values) else None
            return "" if value is None else str(value).strip()

        def bad(name: str, value: Any, rule: Message, where: Message = where) -> None:
            label = column_label(columns[name], table.header[columns[name]])
            at = Message("%(where)s column %(column)s", where=where, column=label)
            problems.append(InputProblem(at, name, value, rule))

        before = len(problems)
        cid = cell("calendar_id")
        if not cid:
            bad("calendar_id", None, Message("a calendar id is required"))
        months = _months(cell("months"))
        if months is None:
            bad("months", cell("months"), Message("months like 6-8;12;1-2 (1 to 12, each once)"))
        day_type = _DAY_TYPE_NAMES.get(cell("day_type").casefold() or "normal")
        if day_type is None:
            bad(
                "day_type",
                cell("day_type"),
                Message("one of %(options)s", options=", ".join(DAY_TYPES)),
            )
        start, end = _slot(cell("start"), end=False), _slot(cell("end"), end=True)
        if start is None:
            bad("start", cell("start"), Message("a time HH:MM on the 15-minute grid, 00:00-23:45"))
        if end is None:
            bad("end", cell("end"), Message("a time HH:MM on the 15-minute grid, 00:15-24:00"))
        if start is not None and end is not None and end <= start:
            rule = Message(
                "must be after start %(start)s (split a period that runs past midnight into "
                "two rows)",
                start=cell("start"),
            )
            bad("end", cell("end"), rule)
        label = _LABEL_NAMES.get(cell("label").casefold())
        if label is None:
            rule = Message(
                "one of %(options)s (or 尖峰/高峰/平段/低谷/深谷)", options=", ".join(LABELS)
            )
            bad("label", cell("label"), rule)
        if len(problems) == before:
            out.append(
                _Row(
                    where,
                    cid,
                    months,
                    cell("months"),
                    day_type,
                    start,
                    end,
                    _LABEL_KEYS.index(label),
                )
            )
    return out


def _months(text: str) -> tuple[int, ...] | None:
    found: list[int] = []
    for part in re.split(r"[;,，；、\s]+", text.strip()):
        if not part:
            continue
        match = re.fullmatch(r"(\d{1,2})(?:\s*[-–~]\s*(\d{1,2}))?", part)
        if match is None:
            return None
        a = int(match.group(1))
        b = int(match.group(2) or a)
        if not (1 <= a <= b <= 12):
            return None
        found.extend(range(a, b + 1))
    if not found or len(set(found)) != len(found):
        return None
    return tuple(sorted(found))


def _slot(text: str, *, end: bool) -> int | None:
    match = re.fullmatch(r"(\d{1,2})[:：](\d{2})(?::00)?", text)
    if match is None:
        return None
    minutes = int(match.group(1)) * 60 + int(match.group(2))
    if int(match.group(2)) >= 60 or minutes % _SLOT_MIN:
        return None
    slot = minutes // _SLOT_MIN
    return slot if (0 < slot <= _SLOTS if end else 0 <= slot < _SLOTS) else None


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _build(
    cid: str, rows: list[_Row], origin: str, problems: list[InputProblem]
) -> np.ndarray | None:
    """The (2, 12, 96) label table, or None (with problems added)."""
    where = Message("%(file)s calendar %(calendar)s", file=origin, calendar=cid)
    table = np.zeros((len(DAY_TYPES), 12, _SLOTS), np.uint8)
    found_types = sorted({r.day_type for r in rows}, key=DAY_TYPES.index)
    if "normal" not in found_types:
        problems.append(
            InputProblem(where, "day_type", "holiday", Message("normal days are required"))
        )
        return None
    ok = True
    for day_type in found_types:
        mine = [r for r in rows if r.day_type == day_type]
        groups: dict[tuple[int, ...], list[_Row]] = {}
        for row in mine:
            groups.setdefault(row.months, []).append(row)
        owner: dict[int, str] = {}
        for months, members in groups.items():
            for m in months:
                if m in owner:
                    problems.append(
                        InputProblem(members[0].where, "months", members[0].months_text,
                                     Message("month %(month)d of day type %(day_type)s is also "
                                             "in the group %(group)s: the month groups must "
                                             "partition the year",
                                             month=m, day_type=day_type, group=owner[m]))
                    )  # fmt: skip
                    ok = False
                owner[m] = members[0].months_text
            ok = _cover(members, day_type, table, problems) and ok
        absent = [m for m in range(1, 13) if m not in owner]
        if absent:
            problems.append(
                InputProblem(where, "months", ", ".join(map(str, absent)),
                             Message("months without periods for day type %(day_type)s: the "
                                     "month groups must partition the year",
                                     day_type=day_type))
            )  # fmt: skip
            ok = False
    if "holiday" not in found_types:
        table[1] = table[0]
    return table if ok else None


def _cover(
    members: list[_Row], day_type: str, table: np.ndarray, problems: list[InputProblem]
) -> bool:
    """Fill one month group's day; True when the periods cover 24 h exactly once."""
    day = np.full(_SLOTS, -1, np.int16)
    ok = True
    for row in sorted(members, key=lambda r: r.start):
        taken = day[row.start : row.end] >= 0
        if taken.any():
            first = row.start + int(np.argmax(taken))
            problems.append(
                InputProblem(row.where, "start", _hhmm(row.start * _SLOT_MIN),
                             Message("overlaps another period of months %(months)s "
                                     "(%(day_type)s) at %(time)s", months=row.months_text,
                                     day_type=day_type, time=_hhmm(first * _SLOT_MIN)))
            )  # fmt: skip
            ok = False
        day[row.start : row.end] = row.label
    gaps = np.flatnonzero(day < 0)
    if gaps.size:
        first, hours = members[0], f"{gaps.size * _SLOT_MIN / 60:g}"
        problems.append(
            InputProblem(first.where, "months", first.months_text,
                         Message("the periods of day type %(day_type)s leave %(hours)s h "
                                 "uncovered, from %(time)s: they must cover 00:00-24:00 "
                                 "exactly once", day_type=day_type, hours=hours,
                                 time=_hhmm(int(gaps[0]) * _SLOT_MIN)))
        )  # fmt: skip
        ok = False
    if ok:
        plane = DAY_TYPES.index(day_type)
        for m in members[0].months:
            table[plane, m - 1] = day
    return ok


def _calendar_rows(table: Table, problems: list[InputProblem]) -> dict[str, dict[str, Any]]:
    columns = match_columns(table, _CALENDAR_FIELDS, ("calendar_id", "region"))
    out: dict[str, dict[str, Any]] = {}
    for number, values in table.rows:
        where = Message("%(file)s row %(row)d", file=table.origin, row=number)
        record: dict[str, Any] = {"where": where}
        for name, index in columns.items():
            value = values[index] if index < len(values) else None
            record[name] = "" if value is None else str(value).strip()
        for name in ("published", "effective_from", "effective_to"):
            text = record.get(name, "")
            try:
                record[name] = date.fromisoformat(text[:10]) if text else None
            except ValueError:
                problems.append(
                    InputProblem(where, name, text, Message("a date YYYY-MM-DD or empty"))
                )
                record[name] = None
        cid = record["calendar_id"]
        if cid in out:
            problems.append(InputProblem(where, "calendar_id", cid, Message("appears twice")))
        out[cid] = record
    return out


def _with_info(
    cid: str, table: np.ndarray, info: dict[str, Any], problems: list[InputProblem]
) -> Calendar:
    start, stop = info.get("effective_from"), info.get("effective_to")
    if start is not None and stop is not None and stop < start:
        problems.append(
            InputProblem(info["where"], "effective_to", stop.isoformat(),
                         Message("is before effective_from %(start)s", start=str(start)))
        )  # fmt: skip
    text = {k: info.get(k, "") for k in ("region", "applies_to", "document", "title", "issuer",
                                        "status", "source", "url", "notes")}  # fmt: skip
    try:
        holidays = parse_holiday_spec(info.get("holidays", ""), info.get("where", cid))
    except InputError as error:
        problems += error.problems
        holidays = ()
    used = tuple(k for i, k in enumerate(_LABEL_KEYS) if (table == i).any())
    return Calendar(
        cid,
        table,
        has_holidays=bool((table[1] != table[0]).any()),
        published=info.get("published"),
        effective_from=start,
        effective_to=stop,
        labels_used=used,
        holidays=holidays,
        **text,
    )
