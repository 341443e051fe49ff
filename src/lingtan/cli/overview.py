"""Commands for a facility's year at a glance and its target: ``lingtan overview``,
``lingtan target set|show``.

Registered on the ``lingtan`` group by :mod:`lingtan.cli.main`; the database comes from ``--db`` or
``LINGTAN_DATABASE_URL`` like the platform commands.
"""

from __future__ import annotations

import json

import click
from rich.table import Table

from lingtan.cli.common import actor, console, open_store, refusing_bad_input
from lingtan.imports.load import facility_by_code
from lingtan.services.overview import facility_overview, set_target, target_summary
from lingtan.store.models import TARGET_BASES, FacilityTarget

__all__ = ["overview", "target"]


def _t(value: float | None) -> str:
    return "" if value is None else f"{value:,.1f}"


@click.command("overview")
@click.option("--facility", help="Facility code (optional when there is only one).")
@click.option("--year", type=int, required=True, help="Calendar year.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.pass_context
@refusing_bad_input
def overview(ctx: click.Context, facility: str | None, year: int, fmt: str) -> None:
    """The year of a facility at a glance, from the inventory that stands for it: emissions by
    scope (Scope 2 location- and market-based), energy, renewable share, intensity, monthly
    trend and progress to the target."""
    with open_store(ctx, read_only=True) as (session, _):
        data = facility_overview(session, facility_by_code(session, facility), year)
    if fmt == "json":
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    out = console()
    name = f"{data['facility']['code']} {data['facility']['name']}"
    if data["inventory"] is None:
        out.print(f"{name}: no inventory computed for {year}")
        return
    inv = data["inventory"]
    out.print(
        f"{name}, {year}: inventory {inv['id']} ({inv['status']}, "
        f"{inv['period_start']} to {inv['period_end']})"
    )
    e = data["emissions"]
    table = Table("figure", "location-based", "market-based", "unit")
    table.add_row("Scope 1", _t(e["scope1_tco2e"]), _t(e["scope1_tco2e"]), "tCO2e")
    table.add_row("Scope 2", _t(e["scope2_location_tco2e"]), _t(e["scope2_market_tco2e"]), "tCO2e")
    table.add_row("Total", _t(e["total_location_tco2e"]), _t(e["total_market_tco2e"]), "tCO2e")
    table.add_row("Energy", _t(data["energy_tce"]), "", "tce")
    r = data["renewable"]
    table.add_row(
        "Renewable electricity",
        f"{r['renewable_electricity_mwh']:,.1f} MWh",
        "",
        f"{r['share_pct']:.1f} % of purchased" if r["share_pct"] is not None else "",
    )
    for i in data["intensities"]:
        table.add_row(
            f"Intensity per {i['unit']} {i['denominator']}",
            f"{i['scope1_2_location_tco2e_per_unit']:.4g}",
            f"{i['scope1_2_market_tco2e_per_unit']:.4g}",
            f"tCO2e/{i['unit']}",
        )
    out.print(table)
    trend = Table("month", "Scope 1", "Scope 2 (location)", "Scope 2 (market)", "energy tce")
    for m in data["trend"]:
        trend.add_row(
            m["month"],
            _t(m["scope1_tco2e"]),
            _t(m["scope2_location_tco2e"]),
            _t(m["scope2_market_tco2e"]),
            _t(m["energy_tce"]),
        )
    out.print(trend)
    if data["target"] is not None:
        _print_target(data["target"], year)


def _print_target(t: dict, year: int) -> None:
    progress = "" if t["progress_pct"] is None else f", progress {t['progress_pct']:.1f} %"
    console().print(
        f"target ({t['basis']}-based): {_t(t['base_tco2e'])} tCO2e in {t['base_year']} → "
        f"{_t(t['target_tco2e'])} in {t['target_year']}; {year}: actual "
        f"{_t(t['actual_tco2e'])}, trajectory {_t(t['trajectory_tco2e'])} "
        f"({'on track' if t['on_track'] else 'above the trajectory'}){progress}"
    )


@click.group("target")
def target() -> None:
    """A facility's emission target, which the overview measures progress against."""


@target.command("set")
@click.option("--facility", help="Facility code (optional when there is only one).")
@click.option("--basis", type=click.Choice(TARGET_BASES), default="market", show_default=True)
@click.option("--base-year", type=int, required=True)
@click.option(
    "--base-tco2e",
    type=float,
    help="Base-year total [tCO2e]; default: the base year's locked inventory on the basis.",
)
@click.option("--target-year", type=int, required=True)
@click.option("--target-tco2e", type=float, required=True, help="Target total [tCO2e].")
@click.option("--note", help="What the target is, e.g. the board decision it comes from.")
@click.pass_context
@refusing_bad_input
def target_set(ctx, facility, basis, base_year, base_tco2e, target_year, target_tco2e, note):
    """Set or replace the facility's target (recorded in the audit log)."""
    with open_store(ctx) as (session, _):
        found = facility_by_code(session, facility)
        t = set_target(
            session,
            found,
            basis=basis,
            base_year=base_year,
            base_tco2e=base_tco2e,
            target_year=target_year,
            target_tco2e=target_tco2e,
            note=note,
            actor=actor(),
        )
        click.echo(
            f"target of {found.code} ({t.basis}-based): {_t(t.base_tco2e)} tCO2e in "
            f"{t.base_year} → {_t(t.target_tco2e)} tCO2e in {t.target_year}"
        )


@target.command("show")
@click.option("--facility", help="Facility code (optional when there is only one).")
@click.pass_context
@refusing_bad_input
def target_show(ctx: click.Context, facility: str | None) -> None:
    """Show the facility's target and its yearly trajectory."""
    with open_store(ctx, read_only=True) as (session, _):
        found = facility_by_code(session, facility)
        t = session.get(FacilityTarget, found.id)
        if t is None:
            click.echo(f"{found.code}: no target set")
            return
        table = Table("year", "trajectory tCO2e")
        for year in range(t.base_year, t.target_year + 1):
            table.add_row(str(year), _t(target_summary(t, year, 0.0)["trajectory_tco2e"]))
        click.echo(
            f"{found.code}: {t.basis}-based, set by {t.set_by} on {t.set_at:%Y-%m-%d}"
            + (f"; {t.note}" if t.note else "")
        )
    console().print(table)
