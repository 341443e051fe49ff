"""Commands for a facility's year at a glance and its target: ``lingtan overview``,
``lingtan target set|show``.

Registered on the ``lingtan`` group by :mod:`lingtan.cli.main`; the database comes from ``--db`` or
``LINGTAN_DATABASE_URL`` like the platform commands.
"""

from __future__ import annotations

import click

from lingtan.cli.common import (
    Column,
    actor,
    console,
    emit,
    format_option,
    open_store,
    print_table,
    refusing_bad_input,
    table_of,
)
from lingtan.imports.load import facility_by_code
from lingtan.services.overview import facility_overview, set_target, target_summary
from lingtan.store.models import TARGET_BASES, FacilityTarget

__all__ = ["overview", "target"]


def _t(value: float | None) -> str:
    return "" if value is None else f"{value:,.1f}"


@click.command("overview")
@click.option("--facility", help="Facility code (optional when there is only one).")
@click.option("--year", type=int, required=True, help="Calendar year.")
@format_option
@click.pass_context
@refusing_bad_input
def overview(ctx: click.Context, facility: str | None, year: int, output: str) -> None:
    """The year of a facility at a glance, from the inventory that stands for it: emissions by
    scope (Scope 2 location- and market-based), energy, renewable share, intensity, monthly
    trend and progress to the target (CSV: the monthly trend)."""
    with open_store(ctx, read_only=True) as (session, _):
        data = facility_overview(session, facility_by_code(session, facility), year)
    if output != "table":
        emit(data["trend"], _TREND, output, document=data)
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
    r = data["renewable"]
    figures = [
        {"figure": "Scope 1", "location": e["scope1_tco2e"], "market": e["scope1_tco2e"],
         "unit": "tCO2e"},
        {"figure": "Scope 2", "location": e["scope2_location_tco2e"],
         "market": e["scope2_market_tco2e"], "unit": "tCO2e"},
        {"figure": "Total", "location": e["total_location_tco2e"],
         "market": e["total_market_tco2e"], "unit": "tCO2e"},
        {"figure": "Energy", "location": data["energy_tce"], "unit": "tce"},
        {"figure": "Renewable electricity", "location": r["renewable_electricity_mwh"],
         "unit": "MWh"},
        {"figure": "Renewable share of purchased electricity", "location": r["share_pct"],
         "unit": "%"},
    ]  # fmt: skip
    print_table(table_of(figures, _FIGURES))
    intensities = [
        {"figure": f"Intensity per {i['unit']} {i['denominator']}",
         "location": i["scope1_2_location_tco2e_per_unit"],
         "market": i["scope1_2_market_tco2e_per_unit"], "unit": f"tCO2e/{i['unit']}"}
        for i in data["intensities"]
    ]  # fmt: skip
    if intensities:
        print_table(table_of(intensities, _INTENSITIES))
    print_table(table_of(data["trend"], _TREND))
    if data["target"] is not None:
        _print_target(data["target"], year)


_FIGURES = (
    Column("figure"),
    Column("location", "location-based", 1),
    Column("market", "market-based", 1),
    Column("unit"),
)
_INTENSITIES = (
    Column("figure"),
    Column("location", "location-based", 6),
    Column("market", "market-based", 6),
    Column("unit"),
)
_TREND = (
    Column("month"),
    Column("scope1_tco2e", "Scope 1 tCO2e", 1),
    Column("scope2_location_tco2e", "Scope 2 (location) tCO2e", 1),
    Column("scope2_market_tco2e", "Scope 2 (market) tCO2e", 1),
    Column("energy_tce", "energy tce", 1),
)


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
@format_option
@click.pass_context
@refusing_bad_input
def target_show(ctx: click.Context, facility: str | None, output: str) -> None:
    """Show the facility's target and its yearly trajectory."""
    with open_store(ctx, read_only=True) as (session, _):
        found = facility_by_code(session, facility)
        t = session.get(FacilityTarget, found.id)
        if t is None:
            click.echo(f"{found.code}: no target set")
            return
        rows = [
            {"year": year, "trajectory_tco2e": target_summary(t, year, 0.0)["trajectory_tco2e"]}
            for year in range(t.base_year, t.target_year + 1)
        ]
        click.echo(
            f"{found.code}: {t.basis}-based, set by {t.set_by} on {t.set_at:%Y-%m-%d}"
            + (f"; {t.note}" if t.note else ""),
            err=output != "table",
        )
    emit(rows, (Column("year"), Column("trajectory_tco2e", "trajectory tCO2e", 1)), output)
