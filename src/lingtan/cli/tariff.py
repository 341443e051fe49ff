"""Commands for tariffs: ``lingtan tariff import|show``.

A tariff file (CSV or XLSX: energy type, component, TOU period, months, price, unit and source;
see docs/cost.md) is imported into one facility all or nothing; refused input exits with status
2, every problem on stderr and nothing written.
"""

from __future__ import annotations

import click

from lingtan.cli.common import (
    Column,
    actor,
    emit,
    format_option,
    open_store,
    refusing_bad_input,
    say,
)
from lingtan.i18n import Message
from lingtan.imports.load import facility_by_code
from lingtan.services.cost import import_tariffs, tariff_runs

__all__ = ["tariff"]

_COLUMNS = (
    Column("energy_type", "energy type", names="energy.type"),
    Column("component"),
    Column("period", names="tou.period"),
    Column("month_from", "from"),
    Column("month_to", "to"),
    Column("price_cny_per_unit", "price [CNY/unit]", 4),
    Column("unit"),
    Column("capacity_kva", "capacity kVA", 0),
    Column("calendar_id", "TOU calendar"),
    Column("status", names="cost.status"),
    Column("document"),
    Column("url"),
    Column("note"),
    Column("source_file", "file"),
)


@click.group("tariff")
def tariff() -> None:
    """Tariffs: energy prices per energy type, month and TOU period, and the basic charge."""


@tariff.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--facility", help="Facility code (optional when there is only one).")
@click.pass_context
@refusing_bad_input
def tariff_import(ctx: click.Context, file: str, facility: str | None) -> None:
    """Import the prices of FILE (.csv or .xlsx), all or nothing; its months replace the stored
    prices of the same energy type and component."""
    with open_store(ctx) as (session, _):
        site = facility_by_code(session, facility)
        read, changed = import_tariffs(session, site, file, actor=actor())
        code = site.code
    say(Message("%(file)s: facility %(code)s: %(read)s price(s) read, %(changed)s added or changed",
                file=str(file), code=code, read=read, changed=changed))  # fmt: skip


@tariff.command("show")
@click.option("--facility", help="Facility code (optional when there is only one).")
@format_option
@click.pass_context
@refusing_bad_input
def tariff_show(ctx: click.Context, facility: str | None, output: str) -> None:
    """The stored prices, as runs of months with the same price and source."""
    with open_store(ctx, read_only=True) as (session, _):
        site = facility_by_code(session, facility)
        runs = tariff_runs(session, site)
        code = site.code
    if output == "table" and not runs:
        say(Message("facility %(code)s has no tariff: import one with `lingtan tariff import FILE`",
                    code=code))  # fmt: skip
        return
    emit(runs, _COLUMNS, output, document={"facility": code, "prices": runs})
