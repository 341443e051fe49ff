"""Commands for meters: ``lingtan meters define|import|list|show|intervals``.

The click group :data:`meters` is added to the ``lingtan`` group by :mod:`lingtan.cli.main`. Like
the platform commands, they take the database from ``--db`` on the main group or
``LINGTAN_DATABASE_URL``; refused input exits with status 2, every problem on stderr and
nothing written.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import click
import numpy as np
import sqlalchemy as sa

from lingtan.cli.common import (
    FIELD_COLUMNS,
    Column,
    actor,
    console,
    csv_text,
    emit,
    format_option,
    language,
    name_of,
    open_store,
    print_table,
    refusal_text,
    refusing_bad_input,
    say,
    table_of,
)
from lingtan.errors import InputError, InputProblem
from lingtan.i18n import Message
from lingtan.i18n.terms import TERMS
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
        nodes, meters_defined = define_meters_from_file(session, code, file, actor=actor())
        # Daily totals of redefined meters (multiplier, node, ...), in the same transaction.
        days = refresh(session, facility_id(session, code))
    say(
        Message(
            "%(file)s: facility %(code)s: %(nodes)s node(s), %(meters)s meter(s) defined",
            file=str(file),
            code=code,
            nodes=nodes,
            meters=meters_defined,
        )
    )
    if days:
        say(Message("facility %(code)s: %(days)s meter-day total(s) refreshed", code=code,
                    days=days))  # fmt: skip


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
            click.echo(refusal_text(error, language()), err=True)
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
    say(Message("facility %(code)s: %(days)s meter-day total(s) refreshed", code=code, days=days))
    if refused:
        say(Message("refused, nothing written: %(files)s", files=", ".join(refused)), err=True)
        raise SystemExit(2)


_METER_COLUMNS = (
    Column("meter"),
    Column("name"),
    Column("node"),
    Column("energy_type", "energy type", names="energy.type"),
    Column("unit"),
    Column("kind", names="data.kind"),
    Column("flow", names="energy.flow"),
    Column("multiplier"),
    Column("formula"),
)


@meters.command("list")
@click.option("--facility", help="Facility code (optional when there is only one).")
@format_option
@click.pass_context
@refusing_bad_input
def meters_list(ctx: click.Context, facility: str | None, output: str) -> None:
    """List the meters of a facility with their node, energy type, unit, kind and flow."""
    with open_store(ctx, read_only=True) as (session, _):
        code = facility_by_code(session, facility).code
        nodes = {i: c for i, c in session.execute(sa.select(MeterNode.id, MeterNode.code))}
        rows = [
            {
                "meter": meter.code,
                "name": meter.name,
                "node": nodes.get(meter.node_id) if meter.node_id else None,
                "energy_type": meter.energy_type,
                "unit": meter.unit,
                "kind": meter.kind,
                "flow": meter.flow,
                "multiplier": meter.multiplier,
                "formula": meter.virtual_formula,
            }
            for meter in meters_of(session, code)
        ]
    emit(rows, _METER_COLUMNS, output)


def _local(ts: int) -> str:
    """Epoch seconds as local time of the rollups (+08:00)."""
    return f"{local_time(ts, seconds=True)} {utc_offset_text(ROLLUP_UTC_OFFSET_MIN)}"


@meters.command("show")
@click.argument("code")
@click.option("--facility", help="Facility code (optional when there is only one).")
@click.option(
    "--days", default=7, show_default=True, type=click.IntRange(1, 366), help="Recent days shown."
)
@format_option
@click.pass_context
@refusing_bad_input
def meters_show(
    ctx: click.Context, code: str, facility: str | None, days: int, output: str
) -> None:
    """Show meter CODE: its definition, its readings and its recent daily totals with
    completeness and quality (local days, +08:00); CSV has the daily totals."""
    with open_store(ctx, read_only=True) as (session, _):
        fcode = facility_by_code(session, facility).code
        fid = facility_id(session, fcode)
        meter = session.scalars(
            sa.select(Meter).where(Meter.facility_id == fid, Meter.code == code)
        ).one_or_none()
        if meter is None:
            raise InputError(
                InputProblem(
                    Message("facility %(code)s", code=fcode),
                    "meter",
                    code,
                    Message("unknown meter"),
                )
            )
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
    about = {
        "meter": meter.code,
        "name": meter.name,
        "facility": fcode,
        "node_path": " / ".join(reversed(path)) or None,
        "energy_type": meter.energy_type,
        "unit": meter.unit,
        "kind": meter.kind,
        "multiplier": meter.multiplier,
        "rollover_at": meter.rollover_at,
        "flow": meter.flow,
        "formula": meter.virtual_formula,
        "readings": count,
        "first_reading": None if first is None else _local(first),
        "last_reading": None if last is None else _local(last),
        "conflicts_recorded": conflicts,
        "days_awaiting_refresh": stale,
    }
    unit = meter.unit
    by_day = {str(d): i for i, d in enumerate(totals.day.astype(str))}
    days_shown = []
    for offset in range(days):
        day = end - timedelta(days=days - offset)
        i = by_day.get(str(day))
        if i is None:
            days_shown.append({"day": day, "missing_intervals": 96, "completeness_pct": 0.0,
                               "measured_intervals": 0, "estimated_intervals": 0,
                               "quality": "no data"})  # fmt: skip
            continue
        measured = int(totals.measured_intervals[i])
        missing = int(totals.missing_intervals[i])
        days_shown.append(
            {
                "day": day,
                f"energy_{unit}": float(totals.energy[i]),
                f"estimated_{unit}": float(totals.estimated[i]),
                "measured_intervals": measured,
                "estimated_intervals": int(totals.estimated_intervals[i]),
                "missing_intervals": missing,
                "completeness_pct": 100 * measured / 96,
                "quality": "complete" if measured == 96 else "estimated" if not missing else "gaps",
            }
        )
    columns = (
        Column("day", "day 日期"),
        Column(f"energy_{unit}", f"energy [{unit}]", 3),
        Column(f"estimated_{unit}", f"estimated [{unit}]", 3),
        Column("measured_intervals", "measured", 0),
        Column("estimated_intervals", "estimated", 0),
        Column("missing_intervals", "missing", 0),
        Column("completeness_pct", "completeness %", 1),
        Column("quality", names="quality"),
    )
    if output != "table":
        emit(days_shown, columns, output, document={"meter": about, "days": days_shown})
        return
    fields = [{"field": label, "value": about[key]} for key, label in _ABOUT]
    print_table(
        table_of(fields, FIELD_COLUMNS, title=f"Meter {meter.code} 表计", show_header=False)
    )
    if meter.virtual_formula:
        console().print("A virtual meter: its totals come from the meters of its formula.")
        return
    title = f"Daily totals 日用量, {end - timedelta(days=days)} to {end - timedelta(days=1)}"
    print_table(table_of(days_shown, columns, title=title))


_ABOUT = (
    ("name", "name 名称"),
    ("facility", "facility 工厂"),
    ("node_path", "node path 节点"),
    ("energy_type", "energy type 能源品种"),
    ("unit", "unit 单位"),
    ("kind", "kind 类型"),
    ("multiplier", "multiplier 倍率"),
    ("rollover_at", "rollover at 满量程"),
    ("flow", "flow 流向"),
    ("formula", "formula 公式"),
    ("readings", "readings 读数"),
    ("first_reading", "first reading 首次"),
    ("last_reading", "last reading 最近"),
    ("conflicts_recorded", "conflicts recorded 冲突"),
    ("days_awaiting_refresh", "days awaiting refresh 待刷新"),
)


def _interval_lines(code: str, found, intervals: int, lang: str) -> tuple[str, list[str]]:
    """The summary line of a meter's intervals and one line per problem, in *lang*."""
    if lang == "en":
        counts = ", ".join(f"{found.count(q)} {q.name.lower()}" for q in Quality if found.count(q))
        problems = [
            f"  {p.kind}"
            + (
                ""
                if p.timestamp is None
                else f", reading of {_local(int(p.timestamp.timestamp()))}"
            )
            + f": {p.rule}"
            for p in found.problems
        ]
        return f"{code}: {intervals} intervals: {counts}", problems
    from lingtan.i18n.catalog import texts  # Babel: only for Chinese

    t = texts(lang)
    counts = "，".join(
        f"{name_of('quality', q.label, lang)} {found.count(q)}" for q in Quality if found.count(q)
    )
    summary = t.gettext(
        "%(meter)s: %(n)s intervals: %(counts)s", meter=code, n=intervals, counts=counts
    )
    problems = []
    for p in found.problems:
        kind = name_of("quality" if p.kind in TERMS["quality"] else "meter.problem", p.kind, lang)
        if p.timestamp is not None:
            kind = t.gettext(
                "%(kind)s, reading of %(time)s",
                kind=kind,
                time=_local(int(p.timestamp.timestamp())),
            )
        problems.append(f"  {kind}：{t.message(p.rule)}")
    return summary, problems


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
    "--output",
    "-o",
    "path",
    type=click.Path(dir_okay=False),
    help="Write the intervals as CSV to this file instead.",
)
@format_option
@click.pass_context
@refusing_bad_input
def meters_intervals(ctx, code, facility, first, last, path, output) -> None:
    """The checked 15-minute intervals of meter CODE from local day --from to --to (+08:00):
    the energy and quality flag of each, and the problems found in its readings."""
    if last < first or (last - first).days > 366:
        raise InputError(
            InputProblem(
                "--to", "to", f"{last:%Y-%m-%d}", Message("from 0 to 366 days after --from")
            )
        )
    start, end = local_midnight(first), local_midnight(last + timedelta(days=1))
    with open_store(ctx, read_only=True) as (session, _):
        found = stored_intervals(
            session, facility_by_code(session, facility).code, code, start=start, end=end
        )
    energy = f"energy_{found.unit}"
    rows = [
        {
            "start_local_+08:00": local_time(t),
            energy: None if np.isnan(e) else e,
            "quality": Quality(q).name.lower(),
        }
        for t, e, q in zip(
            found.start.astype(np.int64).tolist(), found.energy.tolist(), found.quality, strict=True
        )
    ]
    columns = (
        Column("start_local_+08:00", "start (+08:00)"),
        Column(energy, f"energy [{found.unit}]", 3),
        Column("quality", names="quality"),
    )
    if path:
        Path(path).write_text(csv_text(rows, columns), encoding="utf-8")
    else:
        emit(rows, columns, output)
    summary, problems = _interval_lines(code, found, len(rows), language())
    # with JSON or CSV on stdout, the summary goes to stderr: stdout stays data
    for line in (summary, *problems):
        click.echo(line, err=output != "table" and not path)
