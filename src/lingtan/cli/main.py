"""The ``lingtan`` command line.

Exit status: 0 on success, 2 when the input is refused (with every problem on stderr and
nothing on stdout), 1 on an unexpected failure.
"""

from __future__ import annotations

import contextlib
import json
import sys
from typing import Any

import click
from rich.table import Table

from lingtan import __version__
from lingtan.accounting.engine import compute_inventory
from lingtan.accounting.model import GBT32150_CATEGORIES, KINDS, InventoryResult
from lingtan.accounting.serialize import result_to_dict
from lingtan.calcfile import load_calc_file
from lingtan.catalog import UnknownRegionError, resolve_fuel, resolve_region
from lingtan.cli.common import console
from lingtan.cli.demo import demo
from lingtan.cli.energy import energy
from lingtan.cli.ingest import ingest
from lingtan.cli.metering import meters
from lingtan.cli.overview import overview, target
from lingtan.cli.platform import COMMANDS, factors_add
from lingtan.cli.tariff import tariff
from lingtan.cli.tou import tou
from lingtan.cli.web import serve, users
from lingtan.errors import InputError
from lingtan.factors import FACTOR_COLUMNS, FactorLibrary, shipped_library

_TOTAL_LABELS = (
    ("total_tco2e", "GB/T 32150 total", "排放总量", "tCO2e"),
    ("total_co2_t", "GB/T 32150 total, CO2 only", "二氧化碳排放总量", "tCO2"),
    ("scope1_tco2e", "Scope 1 (gross)", "范围一", "tCO2e"),
    ("scope2_location_tco2e", "Scope 2 location-based", "范围二（基于位置）", "tCO2e"),
    ("scope2_market_tco2e", "Scope 2 market-based", "范围二（基于市场）", "tCO2e"),
    ("scope3_tco2e", "Scope 3", "范围三", "tCO2e"),
    ("deductions_tco2e", "Deductions (exports, recovered CO2)", "扣减量", "tCO2e"),
    ("biogenic_co2_t", "Biogenic CO2 (outside totals)", "生物质二氧化碳（不计入总量）", "tCO2"),
    ("energy_tce", "Energy consumption", "综合能源消费量", "tce"),
    ("renewable_electricity_mwh", "Renewable electricity (instruments)", "可再生电力", "MWh"),
    ("co2_per_energy_tco2_per_tce", "CO2 per unit energy", "单位能耗碳排放", "tCO2/tce"),
)


def _number(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _fail(error: InputError) -> None:
    click.echo(str(error), err=True)
    sys.exit(2)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="lingtan")
@click.option(
    "--db",
    envvar="LINGTAN_DATABASE_URL",
    help="Database: a SQLite file or a PostgreSQL URL (default: lingtan.db here). "
    "Also LINGTAN_DATABASE_URL.",
)
@click.pass_context
def main(ctx: click.Context, db: str | None) -> None:
    """lingtan (零碳): carbon accounting and energy management for zero-carbon factories."""
    ctx.ensure_object(dict)["db"] = db


@main.command()
@click.argument("input_file", metavar="INPUT", type=click.Path(dir_okay=False))
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="Human-readable tables, or the JSON contract (unrounded numbers).",
)
def calc(input_file: str, output_format: str) -> None:
    """Compute the GHG inventory described by INPUT (YAML or JSON) and print it.

    See docs/calc.md for the file format.
    """
    try:
        inventory, library = load_calc_file(input_file)
        result = compute_inventory(inventory, library)
    except InputError as error:
        _fail(InputError(error.problems, origin=input_file))
    if output_format == "json":
        click.echo(json.dumps(result_to_dict(result), ensure_ascii=False, indent=2))
    else:
        _print_result(result)


def _print_result(result: InventoryResult) -> None:
    out = console()
    inventory = result.input
    totals = result.totals
    out.print(
        f"[bold]{inventory.facility_name}[/bold]  {inventory.period_start} – {inventory.period_end}"
        f"  region {inventory.region or '-'}  GWP {inventory.gwp}  {result.engine_version}"
    )
    summary = Table(title="Totals 汇总", show_lines=False)
    for column, justify in (("", "left"), ("", "left"), ("value", "right"), ("unit", "left")):
        summary.add_column(column, justify=justify)  # type: ignore[arg-type]
    values = vars(totals)
    for key, english, chinese, unit in _TOTAL_LABELS:
        uncertainty = totals.uncertainty_pct.get(key)
        text = _number(values[key])
        if uncertainty is not None:
            text += f" ± {uncertainty:.1f}%"
        summary.add_row(english, chinese, text, unit)
    for item in totals.intensities:
        summary.add_row(
            f"Intensity per {item['unit']} of {item['denominator']}",
            "排放强度",
            _number(item["tco2e_per_unit"], 6),
            f"tCO2e/{item['unit']}",
        )
    out.print(summary)

    categories = Table(title="By GB/T 32150 category 按排放类别")
    categories.add_column("category")
    categories.add_column("类别")
    categories.add_column("tCO2e", justify="right")
    for key, value in totals.by_gbt32150_category_tco2e.items():
        english, chinese = GBT32150_CATEGORIES[key]
        categories.add_row(english, chinese, _number(value))
    out.print(categories)

    lines = Table(title="Lines 排放源明细")
    for column in ("source", "kind 类型", "activity", "tCO2e", "market tCO2e", "scope", "tce"):
        lines.add_column(column, justify="left" if column in ("source", "kind 类型") else "right")
    for line in result.lines:
        lines.add_row(
            line.source.id,
            f"{line.source.kind}\n{KINDS[line.source.kind][1]}",
            f"{_number(line.activity)} {line.activity_unit}",
            _number(line.emissions_tco2e),
            _number(line.market_emissions_tco2e),
            str(line.scope or "-"),
            _number(line.energy_tce),
        )
    out.print(lines)

    if result.instruments:
        table = Table(title="Contractual instruments 绿证与绿电")
        for column in ("id", "kind", "covered MWh", "applied to"):
            table.add_column(column)
        for use in result.instruments:
            applied = ", ".join(f"{k} {_number(v)}" for k, v in use.allocation_mwh.items())
            table.add_row(use.instrument.id, use.instrument.kind, _number(use.mwh), applied)
        out.print(table)
    if result.residual_factor is not None:
        residual = result.residual_factor
        out.print(
            f"Residual factor (market-based): {residual.value} {residual.unit} — {residual.rule}"
        )
    for warning in result.warnings:
        out.print(f"[yellow]warning:[/yellow] {warning}")


@main.group()
def factors() -> None:
    """The factor library: what is shipped, with provenance."""


def _library() -> FactorLibrary:
    return shipped_library()


@factors.command("list")
@click.option("--family", help="Only sets of this family (fuel, electricity, gwp, ...).")
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table")
def factors_list(family: str | None, output_format: str) -> None:
    """List the factor sets."""
    sets = _library().sets(family)
    if output_format == "json":
        rows = [
            {
                "set_id": s.set_id,
                "version": s.version,
                "family": s.family,
                "default": s.default,
                "data_year": s.data_year,
                "title_en": s.title_en,
                "title_zh": s.title_zh,
                "rows": len(s.factors),
                "status_counts": s.statuses,
                "keys": s.key_names(),
            }
            for s in sets
        ]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table(title="Factor sets 因子集")
    for column in ("set", "family", "year", "default", "rows", "official/unverified", "title"):
        table.add_column(column)
    for s in sorted(sets, key=lambda item: (item.family, item.set_id)):
        counts = s.statuses
        table.add_row(
            f"{s.set_id}@{s.version}",
            s.family,
            str(s.data_year or "-"),
            "yes" if s.default else "",
            str(len(s.factors)),
            f"{counts['official']}/{counts['unverified']}",
            f"{s.title_en}\n{s.title_zh}",
        )
    console().print(table)


@factors.command("show")
@click.argument("key")
@click.option("--set", "set_id", help="Only rows of this set.")
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table")
def factors_show(key: str, set_id: str | None, output_format: str) -> None:
    """Show every row for KEY (a fuel, gas, carbonate, region code ...) with its provenance."""
    fuel = resolve_fuel(key)
    with contextlib.suppress(UnknownRegionError):  # else look the text up as a key
        key = fuel.key if fuel else resolve_region(key).code
    rows = [f for f in _library().find(key) if set_id is None or f.set_id == set_id]
    if not rows:
        click.echo(f"no factor has key or region {key!r}; see `lingtan factors list`", err=True)
        sys.exit(2)
    if output_format == "json":
        click.echo(json.dumps([f.provenance() for f in rows], ensure_ascii=False, indent=2))
        return
    out = console()
    for factor in rows:
        table = Table(title=factor.ref, show_header=False)
        table.add_column("field")
        table.add_column("value")
        data: dict[str, Any] = factor.provenance()
        for column in FACTOR_COLUMNS:
            value = data.get(column)
            if value not in (None, ""):
                table.add_row(column, str(value))
        out.print(table)


for _command in COMMANDS:
    main.add_command(_command)
factors.add_command(factors_add)
main.add_command(meters)
main.add_command(ingest)
main.add_command(energy)
main.add_command(tou)
main.add_command(tariff)
main.add_command(overview)
main.add_command(target)
main.add_command(serve)
main.add_command(users)
main.add_command(demo)
