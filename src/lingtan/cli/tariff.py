"""Commands for tariffs: ``lingtan tariff import|show``.

A tariff file (CSV or XLSX: energy type, component, TOU period, months, price, unit and source;
see docs/cost.md) is imported into one facility all or nothing; refused input exits with status
2, every problem on stderr and nothing written.
"""

from __future__ import annotations

import csv
import json
import sys

import click
from rich.table import Table

from lingtan.cli.common import actor, console, format_option, open_store, refusing_bad_input
from lingtan.imports.load import facility_by_code
from lingtan.services.cost import import_tariffs, tariff_runs

__all__ = ["tariff"]

_COLUMNS = ("energy_type", "component", "period", "month_from", "month_to",
            "price_cny_per_unit", "unit", "capacity_kva", "calendar_id", "status", "document",
            "url", "note", "source_file")  # fmt: skip


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
    click.echo(f"{file}: facility {code}: {read} price(s) read, {changed} added or changed")


@tariff.command("show")
@click.option("--facility", help="Facility code (optional when there is only one).")
@format_option("table", "json", "csv")
@click.pass_context
@refusing_bad_input
def tariff_show(ctx: click.Context, facility: str | None, output: str) -> None:
    """The stored prices, as runs of months with the same price and source."""
    with open_store(ctx, read_only=True) as (session, _):
        site = facility_by_code(session, facility)
        runs = tariff_runs(session, site)
        code = site.code
    if output == "json":
        click.echo(json.dumps({"facility": code, "prices": runs}, ensure_ascii=False, indent=2))
        return
    if output == "csv":
        writer = csv.DictWriter(sys.stdout, _COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(runs)
        return
    if not runs:
        click.echo(f"facility {code} has no tariff: import one with `lingtan tariff import FILE`")
        return
    table = Table("energy type", "component", "period", "months", "price [CNY/unit]", "unit",
                  "status", "source")  # fmt: skip
    for r in runs:
        months = (
            r["month_from"]
            if r["month_from"] == r["month_to"]
            else (f"{r['month_from']} to {r['month_to']}")
        )
        unit = r["unit"] + ("·month" if r["component"] != "energy" else "")
        if r["capacity_kva"] is not None:
            unit += f" ({r['capacity_kva']:g} kVA)"
        source = " ".join(x for x in (r["document"], r["url"], r["note"]) if x)
        table.add_row(r["energy_type"], r["component"], r["period"], months,
                      f"{r['price_cny_per_unit']:.4f}", unit, r["status"], source)  # fmt: skip
    console().print(table)
