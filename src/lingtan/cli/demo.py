"""``lingtan demo``: build the demo factory, then serve its dashboard."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from lingtan.cli.common import (
    console,
    language,
    message,
    name_of,
    refusal_text,
    refusing_bad_input,
    say,
)
from lingtan.cli.web import serve as serve_command
from lingtan.errors import InputError
from lingtan.i18n import Message
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
        with console(stderr=True).status(
            message(Message("building the demo factory …"), language())
        ):
            result = build_demo(Path(output_dir), url)
    except InputError as error:
        click.echo(refusal_text(error, language()), err=True)
        say(Message("(the demo needs a database without its facility's 2025 inventory)"), err=True)
        sys.exit(2)
    totals = result.totals
    metering = result.metering
    say(Message("demo factory built in %(seconds).1f s", seconds=time.perf_counter() - started))
    say(Message("  database:  %(url)s", url=result.database_url))
    say(Message("  workbook:  %(path)s", path=result.workbook))
    say(
        Message(
            "  metering:  %(meters)s meters, %(readings)s readings of 2025 in %(folder)s; from "
            "meters %(tce)s tce, %(tco2)s tCO2; %(over)s of %(budgets)s monthly node budgets "
            "exceeded",
            meters=metering.meters,
            readings=f"{metering.readings:,}",
            folder=metering.files.definitions.parent,
            tce=f"{metering.energy_tce:,.1f}",
            tco2=f"{metering.carbon_tco2:,.1f}",
            over=metering.over_budget,
            budgets=metering.budgets,
        )
    )
    say(
        Message(
            "  cost:      %(cost)s CNY in 2025 from the meters under the SAMPLE tariff %(file)s "
            "(sample data, not an official tariff)",
            cost=f"{result.energy_cost_cny:,.0f}",
            file=metering.files.definitions.parent / "tariff-2025.csv",
        )
    )
    say(
        Message(
            "  inventory %(id)s (locked): GB/T 32150 total %(total)s tCO2e; Scope 1 %(scope1)s; "
            "Scope 2 location %(location)s / market %(market)s; energy %(tce)s tce",
            id=result.inventory_id,
            total=f"{totals['total_tco2e']:,.1f}",
            scope1=f"{totals['scope1_tco2e']:,.1f}",
            location=f"{totals['scope2_location_tco2e']:,.1f}",
            market=f"{totals['scope2_market_tco2e']:,.1f}",
            tce=f"{totals['energy_tce']:,.1f}",
        )
    )
    if result.cell_footprint_kgco2e is not None:
        say(
            Message(
                "  footprint: LFP cell %(kg)s kg CO2e per MWh, cradle to gate (illustrative "
                "materials data; lingtan footprint calc %(study)s)",
                kg=f"{result.cell_footprint_kgco2e:,.0f}",
                study=Path(result.workbook).parent / "footprint" / "demo-cell-study.yaml",
            )
        )
    if result.plan_id is not None:
        say(
            Message(
                "  plan: PV and storage from the 2025 meter data (illustrative costs); lingtan "
                "plan show %(id)s",
                id=result.plan_id,
            )
        )
    say(Message("  reports:"))
    for path in result.reports:
        click.echo(f"    {path}")
    if result.reports_skipped:
        say(
            Message("warning: HTML and PDF reports skipped: %(why)s", why=result.reports_skipped),
            err=True,
        )
    _demo_dashboard(ctx, result.database_url, serve, host, port)


def _demo_dashboard(ctx: click.Context, url: str, serve: bool, host: str, port: int) -> None:
    """Create the demo's sign-ins, print them, and serve the dashboard unless told not to."""
    from lingtan.demo.web import DEMO_PASSWORD, create_demo_users

    users = create_demo_users(url)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    say(
        Message(
            "  dashboard: %(address)s  (demo sign-ins, password %(password)s):",
            address=f"http://{shown}:{port}/",
            password=DEMO_PASSWORD,
        )
    )
    lang = language()
    for name, role in users:
        click.echo(f"    {name:<12} {name_of('role', role, lang)}")
    if not serve:
        say(
            Message(
                "  serve it later: %(command)s", command=f"lingtan --db {url} serve --port {port}"
            )
        )
        return
    if host not in ("127.0.0.1", "localhost", "::1"):
        say(
            Message(
                "warning: the demo password is public; %(host)s may be reachable by others",
                host=host,
            ),
            err=True,
        )
    say(Message("serving the dashboard; stop with Ctrl+C"), err=True)
    ctx.obj["db"] = url
    ctx.invoke(serve_command, host=host, port=port, secure_cookies=None, proxy_headers=False)
