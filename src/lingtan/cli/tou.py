"""Commands for time-of-use periods: ``lingtan tou list|show|split``.

The click group :data:`tou` is added to the ``lingtan`` group by :mod:`lingtan.cli.main`. ``split``
reads the database given by ``--db`` on the main group or ``LINGTAN_DATABASE_URL``; refused
input exits with status 2, every problem on stderr.
"""

from __future__ import annotations

import calendar as month_calendar
import json
from datetime import UTC, date, datetime, timedelta

import click
from rich.markup import escape
from rich.table import Table

from lingtan.catalog import UnknownRegionError, resolve_region
from lingtan.cli.common import console, open_store, refusing_bad_input
from lingtan.errors import InputError, InputProblem
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
        raise InputError(InputProblem(path, "calendar_id", ids, "exactly one calendar expected"))
    return calendars[0]


@click.group("tou")
def tou() -> None:
    """Time-of-use (峰谷分时) periods: shipped calendars, their hours, meter energy per period."""


@tou.command("list")
def tou_list() -> None:
    """The shipped calendars with their documents, dates and status."""
    table = Table()
    for name in ("calendar", "region", "applies to"):
        table.add_column(name, no_wrap=True)
    table.add_column("document", overflow="fold")
    table.add_column("in force", no_wrap=True)
    table.add_column("status")
    for c in shipped_calendars():
        until = c.effective_to.isoformat() if c.effective_to else "open"
        table.add_row(c.calendar_id, c.region, c.applies_to, c.document,
                      f"{c.effective_from} to {until}", c.status)  # fmt: skip
    console().print(table)


@tou.command("show")
@click.argument("province", required=False)
@click.option("--date", "on", help="Local date the calendar is in force, YYYY-MM-DD (default: "
              "today).")  # fmt: skip
@click.option("--applies-to", help="User class when several calendars apply (e.g. two_part).")
@click.option("--calendar", "calendar_file", type=click.Path(exists=True, dir_okay=False),
              help="Show a calendar file of your own instead.")  # fmt: skip
@refusing_bad_input
def tou_show(
    province: str | None, on: str | None, applies_to: str | None, calendar_file: str | None
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
    out = console()
    out.print(escape(f"{chosen.calendar_id}  {chosen.document}  [{chosen.status}]"))
    if chosen.url:
        out.print(chosen.url)
    table = Table("day type", "months", "from", "to", "period")
    for plane, day_type in enumerate(DAY_TYPES):
        if day_type == "holiday" and not chosen.has_holidays:
            continue
        groups: dict[tuple, list[int]] = {}
        for month in range(1, 13):
            groups.setdefault(tuple(chosen.table[plane, month - 1]), []).append(month)
        for months in groups.values():
            for i, (a, b, label) in enumerate(chosen.hours(months[0], day_type)):
                head = (day_type, ",".join(map(str, months))) if i == 0 else ("", "")
                table.add_row(*head, a, b, f"{LABELS[label]} {label}")
            table.add_section()
    out.print(table)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(InputProblem("--date", "date", text, "a date YYYY-MM-DD")) from None


def _month(text: str) -> tuple[date, date]:
    try:
        first = datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        raise InputError(InputProblem("--month", "month", text, "a month YYYY-MM")) from None
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
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
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
    if as_json:
        click.echo(json.dumps({"facility": code, "meter": meter, "month": month,
                               **split.as_dict()}, ensure_ascii=False, indent=2))  # fmt: skip
        return
    out = console()
    out.print(escape(f"{code} / {meter}, {month} (UTC+08:00), calendar {chosen.calendar_id} "
                     f"[{chosen.status}]"))  # fmt: skip
    unit = escape(f"[{split.unit}]")
    table = Table("period", f"energy {unit}", f"of which estimated {unit}", "intervals",
                  "missing")  # fmt: skip
    for i, label in enumerate(split.labels):
        table.add_row(f"{LABELS[label]} {label}", f"{split.energy[i]:,.3f}",
                      f"{split.energy_estimated[i]:,.3f}", str(split.intervals[i]),
                      str(split.missing[i]))  # fmt: skip
    table.add_row("total", f"{split.total:,.3f}", f"{split.energy_estimated.sum():,.3f}",
                  str(split.intervals.sum()), str(split.missing.sum()))  # fmt: skip
    out.print(table)
