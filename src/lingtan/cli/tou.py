"""Commands for time-of-use periods: ``lingtan tou list|show|split``.

The click group :data:`tou` is added to the ``lingtan`` group by :mod:`lingtan.cli.main`. ``split``
reads the database given by ``--db`` on the main group or ``LINGTAN_DATABASE_URL``; refused
input exits with status 2, every problem on stderr.
"""

from __future__ import annotations

import calendar as month_calendar
from datetime import UTC, date, datetime, timedelta

import click
from rich.markup import escape

from lingtan.catalog import UnknownRegionError, resolve_region
from lingtan.cli.common import (
    Column,
    console,
    emit,
    format_option,
    open_store,
    print_table,
    refusing_bad_input,
    table_of,
)
from lingtan.errors import InputError, InputProblem
from lingtan.i18n import Message
from lingtan.imports.load import facility_by_code
from lingtan.metering.store import local_midnight, stored_intervals
from lingtan.metering.tou import (
    DAY_TYPES,
    LABELS,
    Calendar,
    calendar_for,
    read_calendar_file,
    shipped_calendars,
    tou_split,
)

__all__ = ["tou"]

#: China Standard Time, the local time of every shipped calendar [min].
_CST_MIN = 480


def _region_code(text: str) -> str:
    try:
        return resolve_region(text).code
    except UnknownRegionError as error:
        raise InputError(InputProblem("PROVINCE", "region", text, str(error))) from None


def _user_calendar(path: str) -> Calendar:
    calendars = read_calendar_file(path)
    if len(calendars) != 1:
        ids = ", ".join(c.calendar_id for c in calendars)
        raise InputError(
            InputProblem(path, "calendar_id", ids, Message("exactly one calendar expected"))
        )
    return calendars[0]


@click.group("tou")
def tou() -> None:
    """Time-of-use (峰谷分时) periods: shipped calendars, their hours, meter energy per period."""


_CALENDAR_COLUMNS = (
    Column("calendar_id", "calendar"),
    Column("region"),
    Column("applies_to", "applies to"),
    Column("document"),
    Column("effective_from", "in force from"),
    Column("effective_to", "to"),
    Column("status", names="factor.status"),
)


@tou.command("list")
@format_option
def tou_list(output: str) -> None:
    """The shipped calendars with their documents, dates and status."""
    rows = [
        {
            "calendar_id": c.calendar_id,
            "region": c.region,
            "applies_to": c.applies_to,
            "document": c.document,
            "effective_from": c.effective_from,
            "effective_to": c.effective_to,
            "status": c.status,
        }
        for c in shipped_calendars()
    ]
    emit(rows, _CALENDAR_COLUMNS, output)


_HOUR_COLUMNS = (
    Column("day_type", "day type", names="tou.day_type"),
    Column("months"),
    Column("from"),
    Column("to"),
    Column("period"),
    Column("period_zh", "period name"),
)


@tou.command("show")
@click.argument("province", required=False)
@click.option("--date", "on", help="Local date the calendar is in force, YYYY-MM-DD (default: "
              "today).")  # fmt: skip
@click.option("--applies-to", help="User class when several calendars apply (e.g. two_part).")
@click.option("--calendar", "calendar_file", type=click.Path(exists=True, dir_okay=False),
              help="Show a calendar file of your own instead.")  # fmt: skip
@format_option
@refusing_bad_input
def tou_show(
    province: str | None,
    on: str | None,
    applies_to: str | None,
    calendar_file: str | None,
    output: str,
) -> None:
    """The hour table of PROVINCE's calendar (a code like CN-JS or a name like 江苏), or of
    a calendar file of your own."""
    if calendar_file:
        chosen = _user_calendar(calendar_file)
    elif province is None:
        raise click.UsageError("give PROVINCE, or --calendar FILE")
    else:
        day = _date(on) if on else datetime.now(UTC).date()
        chosen = calendar_for(shipped_calendars(), _region_code(province), first=day,
                              applies_to=applies_to)  # fmt: skip
    rows = []
    for plane, day_type in enumerate(DAY_TYPES):
        if day_type == "holiday" and not chosen.has_holidays:
            continue
        groups: dict[tuple, list[int]] = {}
        for month in range(1, 13):
            groups.setdefault(tuple(chosen.table[plane, month - 1]), []).append(month)
        rows += [
            {"day_type": day_type, "months": ",".join(map(str, months)), "from": a, "to": b,
             "period": label, "period_zh": LABELS[label]}
            for months in groups.values()
            for a, b, label in chosen.hours(months[0], day_type)
        ]  # fmt: skip
    if output != "table":
        about = {"calendar_id": chosen.calendar_id, "document": chosen.document,
                 "status": chosen.status, "url": chosen.url or None}  # fmt: skip
        emit(rows, _HOUR_COLUMNS, output, document={**about, "hours": rows})
        return
    out = console()
    out.print(escape(f"{chosen.calendar_id}  {chosen.document}  [{chosen.status}]"))
    if chosen.url:
        out.print(chosen.url)
    print_table(table_of(_named(rows), _HOUR_COLUMNS[:-1]))


def _named(rows: list[dict]) -> list[dict]:
    """The rows for a table: each period named in Chinese and English in one cell."""
    return [{**row, "period": f"{row['period_zh']} {row['period']}"} for row in rows]


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(
            InputProblem("--date", "date", text, Message("a date YYYY-MM-DD"))
        ) from None


def _month(text: str) -> tuple[date, date]:
    try:
        first = datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        raise InputError(
            InputProblem("--month", "month", text, Message("a month YYYY-MM"))
        ) from None
    days = month_calendar.monthrange(first.year, first.month)[1]
    return first, first.replace(day=days)


@tou.command("split")
@click.option("--meter", required=True, help="Meter code.")
@click.option("--month", required=True, help="Local calendar month, YYYY-MM.")
@click.option("--facility", help="Facility code (optional when there is only one).")
@click.option("--calendar", "calendar_file", type=click.Path(exists=True, dir_okay=False),
              help="A calendar file of your own instead of the facility's province.")  # fmt: skip
@click.option("--applies-to", help="User class when several calendars apply (e.g. two_part).")
@click.option("--holiday", "holidays", multiple=True,
              help="A local date that takes the calendar's holiday hours; repeatable.")  # fmt: skip
@format_option
@click.option("--json", "as_json", is_flag=True, help="The same as --format json.")
@click.pass_context
@refusing_bad_input
def tou_split_command(
    ctx: click.Context,
    meter: str,
    month: str,
    facility: str | None,
    calendar_file: str | None,
    applies_to: str | None,
    holidays: tuple[str, ...],
    output: str,
    as_json: bool,
) -> None:
    """Energy of a meter's checked 15-minute intervals per TOU period over one month."""
    first, last = _month(month)
    days = [_date(h) for h in holidays]
    # the local month [first 00:00, last + 1 day 00:00) in China Standard Time, as UTC
    start = local_midnight(first, _CST_MIN)
    end = local_midnight(last + timedelta(days=1), _CST_MIN)
    with open_store(ctx, read_only=True) as (session, _evidence):
        found = facility_by_code(session, facility)
        code, region = found.code, found.region
        if calendar_file:
            chosen = _user_calendar(calendar_file)
        else:
            chosen = calendar_for(shipped_calendars(), region, first=first, last=last,
                                  applies_to=applies_to)  # fmt: skip
        intervals = stored_intervals(session, code, meter, start=start, end=end)
    split = tou_split(intervals, chosen, _CST_MIN, holidays=days)
    unit = split.unit
    rows = [
        {"period": label, "period_zh": LABELS[label], f"energy_{unit}": float(split.energy[i]),
         f"estimated_{unit}": float(split.energy_estimated[i]),
         "intervals": int(split.intervals[i]), "missing_intervals": int(split.missing[i])}
        for i, label in enumerate(split.labels)
    ]  # fmt: skip
    columns = (
        Column("period"),
        Column(f"energy_{unit}", f"energy [{unit}]", 3),
        Column(f"estimated_{unit}", f"of which estimated [{unit}]", 3),
        Column("intervals", digits=0), Column("missing_intervals", "missing", 0),
        Column("period_zh", "period name"),
    )  # fmt: skip
    if as_json or output != "table":
        document = {"facility": code, "meter": meter, "month": month, **split.as_dict()}
        emit(rows, columns, "json" if as_json else output, document=document)
        return
    console().print(escape(f"{code} / {meter}, {month} (UTC+08:00), calendar "
                           f"{chosen.calendar_id} [{chosen.status}]"))  # fmt: skip
    total = {"period": "total", f"energy_{unit}": split.total,
             f"estimated_{unit}": float(split.energy_estimated.sum()),
             "intervals": int(split.intervals.sum()),
             "missing_intervals": int(split.missing.sum())}  # fmt: skip
    print_table(table_of([*_named(rows), total], columns[:-1]))
