"""Commands for meters: ``lingtan meters define|import|list|show|intervals``.

The click group :data:`meters` is added to the ``lingtan`` group by :mod:`lingtan.cli.main`. Like
the platform commands, they take the database from ``--db`` on the main group or
``LINGTAN_DATABASE_URL``; refused input exits with status 2, every problem on stderr and
nothing written.
"""

from __future__ import annotations

import csv
import re
from datetime import date, timedelta

import click
import numpy as np
import sqlalchemy as sa
from rich.markup import escape
from rich.table import Table

from lingtan.cli.common import actor, console, open_store, refusing_bad_input
from lingtan.errors import InputError, InputProblem
from lingtan.imports.load import facility_by_code
from lingtan.metering.files import (
    DEFAULT_UTC_OFFSET_MIN,
    define_meters_from_file,
    import_readings_file,
)
from lingtan.metering.intervals import Quality
from lingtan.metering.rollups import daily_totals, refresh
from lingtan.metering.store import (
    ROLLUP_UTC_OFFSET_MIN,
    facility_id,
    local_midnight,
    local_time,
    meters_of,
    stored_intervals,
    utc_offset_text,
)
from lingtan.store.models import Meter, MeterNode

__all__ = ["meters"]


def _offset_minutes(text: str) -> int:
    """``+08:00`` (or ``+0800``, ``+8``) → 480."""
    match = re.fullmatch(r"([+-])?(\d{1,2})(?::?(\d{2}))?", text.strip())
    if match is None:
        raise click.BadParameter(f"{text!r}: an offset like +08:00 expected")
    sign, hours, minutes = match.groups()
    total = int(hours) * 60 + int(minutes or 0)
    if total > 14 * 60 or int(minutes or 0) >= 60:
        raise click.BadParameter(f"{text!r}: UTC offsets run from -14:00 to +14:00")
    return -total if sign == "-" else total


@click.group("meters")
def meters() -> None:
    """Meters and their readings: define the metering tree, import readings, list meters."""


@meters.command("define")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--facility", help="Facility code (optional when there is only one).")
@click.pass_context
@refusing_bad_input
def meters_define(ctx: click.Context, file: str, facility: str | None) -> None:
    """Define nodes and meters from FILE (.csv or .xlsx), creating or updating them by code.

    One row per node or meter; columns record (node/meter, 节点/表计), code, name, parent,
    level, energy_type, unit, kind (cumulative/interval), multiplier, rollover_at, formula,
    flow (supply/generation/export/output/use, default use).
    """
    with open_store(ctx) as (session, _):
        code = facility_by_code(session, facility).code
        nodes, meters_defined = define_meters_from_file(session, code, file)
        # Daily totals of redefined meters (multiplier, node, ...), in the same transaction.
        days = refresh(session, facility_id(session, code))
    click.echo(f"{file}: facility {code}: {nodes} node(s), {meters_defined} meter(s) defined")
    if days:
        click.echo(f"facility {code}: {days} meter-day total(s) refreshed")


@meters.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--facility", help="Facility code (optional when there is only one).")
@click.option(
    "--utc-offset",
    default="+08:00",
    show_default=True,
    help="Offset of timestamps written without one (naive local time).",
)
@click.pass_context
@refusing_bad_input
def meters_import(
    ctx: click.Context, files: tuple[str, ...], facility: str | None, utc_offset: str
) -> None:
    """Import meter readings from FILES (.csv or .xlsx, long or wide layout), each all or
    nothing; re-importing is idempotent and differing values are recorded as conflicts."""
    offset = _offset_minutes(utc_offset) if utc_offset else DEFAULT_UTC_OFFSET_MIN
    refused = []
    for file in files:
        try:
            with open_store(ctx) as (session, _):
                code = facility_by_code(session, facility).code
                result = import_readings_file(
                    session, code, file, utc_offset_min=offset, actor=actor()
                )
        except InputError as error:  # refused whole: report it and go on with the next file
            click.echo(str(error), err=True)
            refused.append(file)
            continue
        r = result.readings
        click.echo(
            f"{file}: facility {code}, batch {result.import_id}, {result.layout} layout, "
            f"{result.rows_read} row(s): {r.added} reading(s) added, {r.unchanged} unchanged, "
            f"{r.conflicts} conflict(s) recorded"
        )
    # The daily totals, in a transaction of their own after the imports have committed.
    with open_store(ctx) as (session, _):
        code = facility_by_code(session, facility).code
        days = refresh(session, facility_id(session, code))
    click.echo(f"facility {code}: {days} meter-day total(s) refreshed")
    if refused:
        click.echo(f"refused, nothing written: {', '.join(refused)}", err=True)
        raise SystemExit(2)


@meters.command("list")
@click.option("--facility", help="Facility code (optional when there is only one).")
@click.pass_context
@refusing_bad_input
def meters_list(ctx: click.Context, facility: str | None) -> None:
    """List the meters of a facility with their node, energy type, unit, kind and flow."""
    with open_store(ctx, read_only=True) as (session, _):
        code = facility_by_code(session, facility).code
        nodes = {i: c for i, c in session.execute(sa.select(MeterNode.id, MeterNode.code))}
        table = Table(
            "meter", "name", "node", "energy type", "unit", "kind", "flow", "multiplier", "formula"
        )
        for meter in meters_of(session, code):
            table.add_row(
                meter.code,
                meter.name,
                nodes.get(meter.node_id, "") if meter.node_id else "",
                meter.energy_type,
                meter.unit,
                meter.kind,
                meter.flow,
                f"{meter.multiplier:g}",
                meter.virtual_formula or "",
            )
    console().print(table)


def _local(ts: int | None) -> str:
    """Epoch seconds as local time of the rollups (+08:00)."""
    if ts is None:
        return "—"
    return f"{local_time(ts, seconds=True)} {utc_offset_text(ROLLUP_UTC_OFFSET_MIN)}"


@meters.command("show")
@click.argument("code")
@click.option("--facility", help="Facility code (optional when there is only one).")
@click.option(
    "--days", default=7, show_default=True, type=click.IntRange(1, 366), help="Recent days shown."
)
@click.pass_context
@refusing_bad_input
def meters_show(ctx: click.Context, code: str, facility: str | None, days: int) -> None:
    """Show meter CODE: its definition, its readings and its recent daily totals with
    completeness and quality (local days, +08:00)."""
    with open_store(ctx, read_only=True) as (session, _):
        fcode = facility_by_code(session, facility).code
        fid = facility_id(session, fcode)
        meter = session.scalars(
            sa.select(Meter).where(Meter.facility_id == fid, Meter.code == code)
        ).one_or_none()
        if meter is None:
            raise InputError(InputProblem(f"facility {fcode}", "meter", code, "unknown meter"))
        nodes = {
            n.id: n
            for n in session.scalars(sa.select(MeterNode).where(MeterNode.facility_id == fid))
        }
        path, node_id = [], meter.node_id
        while node_id is not None:
            path.append(nodes[node_id].code)
            node_id = nodes[node_id].parent_id
        count, first, last = session.execute(
            sa.text("SELECT count(*), min(ts), max(ts) FROM meter_reading WHERE meter_id = :m"),
            {"m": meter.id},
        ).one()
        conflicts, stale = session.execute(
            sa.text(
                "SELECT (SELECT count(*) FROM meter_reading_conflict WHERE meter_id = :m), "
                "(SELECT count(*) FROM meter_day_stale WHERE meter_id = :m)"
            ),
            {"m": meter.id},
        ).one()
        end = date.today() + timedelta(days=1)
        if last is not None:
            end = np.datetime64(last + 60 * ROLLUP_UTC_OFFSET_MIN, "s").astype(
                "datetime64[D]"
            ).astype(object) + timedelta(days=1)
        totals = daily_totals(session, fid, end - timedelta(days=days), end, [meter.id])
    about = Table(title=f"Meter {meter.code} 表计", show_header=False)
    about.add_column(style="bold")
    about.add_column()
    for label, value in (
        ("name 名称", meter.name),
        ("facility 工厂", fcode),
        ("node path 节点", " / ".join(reversed(path)) or "—"),
        ("energy type 能源品种", meter.energy_type),
        ("unit 单位", meter.unit),
        ("kind 类型", meter.kind),
        ("multiplier 倍率", f"{meter.multiplier:g}"),
        ("rollover at 满量程", "—" if meter.rollover_at is None else str(meter.rollover_at)),
        ("flow 流向", meter.flow),
        ("formula 公式", meter.virtual_formula or "—"),
        ("readings 读数", f"{count:,}"),
        ("first reading 首次", _local(first)),
        ("last reading 最近", _local(last)),
        ("conflicts recorded 冲突", f"{conflicts:,}"),
        ("days awaiting refresh 待刷新", f"{stale:,}"),
    ):
        about.add_row(label, value)
    console().print(about)
    if meter.virtual_formula:
        console().print("A virtual meter: its totals come from the meters of its formula.")
        return
    recent = Table(
        title=f"Daily totals 日用量, {end - timedelta(days=days)} to {end - timedelta(days=1)}"
    )
    for header in (
        "day 日期",
        f"energy [{meter.unit}]",
        f"estimated [{meter.unit}]",
        "measured",
        "estimated",
        "missing",
        "completeness",
        "quality",
    ):
        justify = "left" if header in ("day 日期", "quality") else "right"
        recent.add_column(escape(header), justify=justify)
    by_day = {str(d): i for i, d in enumerate(totals.day.astype(str))}
    for offset in range(days):
        day = end - timedelta(days=days - offset)
        i = by_day.get(str(day))
        if i is None:
            recent.add_row(str(day), "—", "—", "0", "0", "96", "0.0 %", "no data")
            continue
        measured = int(totals.measured_intervals[i])
        estimated = int(totals.estimated_intervals[i])
        missing = int(totals.missing_intervals[i])
        quality = "complete" if measured == 96 else "estimated" if not missing else "gaps"
        recent.add_row(
            str(day),
            f"{totals.energy[i]:,.3f}",
            f"{totals.estimated[i]:,.3f}",
            str(measured),
            str(estimated),
            str(missing),
            f"{100 * measured / 96:.1f} %",
            quality,
        )
    console().print(recent)


@meters.command("intervals")
@click.argument("code")
@click.option("--facility", help="Facility code (optional when there is only one).")
@click.option(
    "--from", "first", required=True, type=click.DateTime(["%Y-%m-%d"]), help="First local day."
)
@click.option(
    "--to", "last", required=True, type=click.DateTime(["%Y-%m-%d"]), help="Last local day."
)
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False), help="Write the intervals as CSV here."
)
@click.pass_context
@refusing_bad_input
def meters_intervals(ctx, code, facility, first, last, output) -> None:
    """The checked 15-minute intervals of meter CODE from local day --from to --to (+08:00):
    the energy and quality flag of each, and the problems found in its readings."""
    if last < first or (last - first).days > 366:
        raise InputError(
            InputProblem("--to", "to", f"{last:%Y-%m-%d}", "from 0 to 366 days after --from")
        )
    start, end = local_midnight(first), local_midnight(last + timedelta(days=1))
    with open_store(ctx, read_only=True) as (session, _):
        found = stored_intervals(
            session, facility_by_code(session, facility).code, code, start=start, end=end
        )
    rows = [
        (local_time(t), "" if np.isnan(e) else f"{e:.6g}", Quality(q).name.lower())
        for t, e, q in zip(
            found.start.astype(np.int64).tolist(), found.energy, found.quality, strict=True
        )
    ]
    if output:
        with open(output, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(["start_local_+08:00", f"energy_{found.unit}", "quality"])
            writer.writerows(rows)
    else:
        table = Table("start (+08:00)", escape(f"energy [{found.unit}]"), "quality")
        for row in rows:
            table.add_row(*row)
        console().print(table)
    counts = ", ".join(f"{found.count(q)} {q.name.lower()}" for q in Quality if found.count(q))
    click.echo(f"{code}: {len(rows)} intervals: {counts}")
    for p in found.problems:
        at = "" if p.timestamp is None else f", reading of {_local(int(p.timestamp.timestamp()))}"
        click.echo(f"  {p.kind}{at}: {p.rule}")
