"""Commands for meters: ``lingtan meters define|import|list``.

The click group :data:`meters` is added to the ``lingtan`` group by :mod:`lingtan.cli`. Like
the platform commands, they take the database from ``--db`` on the main group or
``LINGTAN_DATABASE_URL``; refused input exits with status 2, every problem on stderr and
nothing written.
"""

from __future__ import annotations

import re

import click
import sqlalchemy as sa
from rich.table import Table
from sqlalchemy.orm import Session

from lingtan.cli_platform import _actor, _refusing_bad_input, _store, console
from lingtan.errors import InputError, InputProblem
from lingtan.metering.files import (
    DEFAULT_UTC_OFFSET_MIN,
    define_meters_from_file,
    import_readings_file,
)
from lingtan.metering.store import meters_of
from lingtan.store.models import Facility, MeterNode

__all__ = ["meters"]


def _facility_code(session: Session, given: str | None) -> str:
    """The facility named, or the only one in the store."""
    if given:
        return given
    codes = session.scalars(sa.select(Facility.code)).all()
    if len(codes) != 1:
        rule = "no facility in the store" if not codes else "several facilities: name one"
        raise InputError(InputProblem("--facility", "facility", None, rule))
    return codes[0]


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
@_refusing_bad_input
def meters_define(ctx: click.Context, file: str, facility: str | None) -> None:
    """Define nodes and meters from FILE (.csv or .xlsx), creating or updating them by code.

    One row per node or meter; columns record (node/meter, 节点/表计), code, name, parent,
    level, energy_type, unit, kind (cumulative/interval), multiplier, rollover_at, formula,
    flow (supply/generation/export/output/use, default use).
    """
    with _store(ctx) as (session, _):
        code = _facility_code(session, facility)
        nodes, meters_defined = define_meters_from_file(session, code, file)
    click.echo(f"{file}: facility {code}: {nodes} node(s), {meters_defined} meter(s) defined")


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
@_refusing_bad_input
def meters_import(
    ctx: click.Context, files: tuple[str, ...], facility: str | None, utc_offset: str
) -> None:
    """Import meter readings from FILES (.csv or .xlsx, long or wide layout), each all or
    nothing; re-importing is idempotent and differing values are recorded as conflicts."""
    offset = _offset_minutes(utc_offset) if utc_offset else DEFAULT_UTC_OFFSET_MIN
    refused = []
    for file in files:
        try:
            with _store(ctx) as (session, _):
                code = _facility_code(session, facility)
                result = import_readings_file(
                    session, code, file, utc_offset_min=offset, actor=_actor()
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
    if refused:
        click.echo(f"refused, nothing written: {', '.join(refused)}", err=True)
        raise SystemExit(2)


@meters.command("list")
@click.option("--facility", help="Facility code (optional when there is only one).")
@click.pass_context
@_refusing_bad_input
def meters_list(ctx: click.Context, facility: str | None) -> None:
    """List the meters of a facility with their node, energy type, unit, kind and flow."""
    with _store(ctx, read_only=True) as (session, _):
        code = _facility_code(session, facility)
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
