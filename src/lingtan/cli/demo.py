"""``lingtan demo``: build the demo factory, then serve its dashboard."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from lingtan.cli.common import console, refusing_bad_input
from lingtan.cli.web import serve as serve_command
from lingtan.errors import InputError
from lingtan.store.db import database_url

__all__ = ["demo"]


@click.command()
@click.option(
    "--output-dir",
    "-o",
    type=click.Path(file_okay=False),
    default="out/demo",
    show_default=True,
    help="Where the demo writes its files and SQLite database.",
)
@click.option(
    "--serve/--no-serve",
    default=True,
    show_default=True,
    help="End by serving the dashboard of the demo factory (stop it with Ctrl+C).",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to serve on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.pass_context
@refusing_bad_input
def demo(ctx: click.Context, output_dir: str, serve: bool, host: str, port: int) -> None:
    """Build the demo factory, compute and lock its 2025 inventory, write the reports, then
    serve its dashboard with the demo sign-ins printed."""
    from lingtan.demo.build import build_demo

    started = time.perf_counter()
    url = database_url(ctx.obj["db"]) if ctx.obj.get("db") else None
    try:
        with console(stderr=True).status("building the demo factory …"):
            result = build_demo(Path(output_dir), url)
    except InputError as error:
        click.echo(
            f"{error}\n(the demo needs a database without its facility's 2025 inventory)", err=True
        )
        sys.exit(2)
    totals = result.totals
    click.echo(f"demo factory built in {time.perf_counter() - started:.1f} s")
    click.echo(f"  database:  {result.database_url}")
    click.echo(f"  workbook:  {result.workbook}")
    metering = result.metering
    click.echo(
        f"  metering:  {metering.meters} meters, {metering.readings:,} readings of 2025 in "
        f"{metering.files.definitions.parent}; from meters {metering.energy_tce:,.1f} tce, "
        f"{metering.carbon_tco2:,.1f} tCO2; {metering.over_budget} of {metering.budgets} "
        "monthly node budgets exceeded"
    )
    click.echo(
        f"  cost:      {result.energy_cost_cny:,.0f} CNY in 2025 from the meters under the "
        f"SAMPLE tariff {metering.files.definitions.parent / 'tariff-2025.csv'} "
        "(示例数据，非官方电价)"
    )
    click.echo(
        f"  inventory {result.inventory_id} (locked): GB/T 32150 total "
        f"{totals['total_tco2e']:,.1f} tCO2e; Scope 1 {totals['scope1_tco2e']:,.1f}; Scope 2 "
        f"location {totals['scope2_location_tco2e']:,.1f} / market "
        f"{totals['scope2_market_tco2e']:,.1f}; energy {totals['energy_tce']:,.1f} tce"
    )
    click.echo("  reports:")
    for path in result.reports:
        click.echo(f"    {path}")
    if result.reports_skipped:
        click.echo(f"warning: HTML and PDF reports skipped: {result.reports_skipped}", err=True)
    _demo_dashboard(ctx, result.database_url, serve, host, port)


def _demo_dashboard(ctx: click.Context, url: str, serve: bool, host: str, port: int) -> None:
    """Create the demo's sign-ins, print them, and serve the dashboard unless told not to."""
    from lingtan.demo.web import DEMO_PASSWORD, create_demo_users

    users = create_demo_users(url)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    click.echo(f"  dashboard: http://{shown}:{port}/  (demo sign-ins, password {DEMO_PASSWORD}):")
    for name, role in users:
        click.echo(f"    {name:<12} {role}")
    if not serve:
        click.echo(f"  serve it later: lingtan --db {url} serve --port {port}")
        return
    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(
            f"warning: the demo password is public; {host} may be reachable by others", err=True
        )
    click.echo("serving the dashboard; stop with Ctrl+C", err=True)
    ctx.obj["db"] = url
    ctx.invoke(serve_command, host=host, port=port, secure_cookies=None, proxy_headers=False)
