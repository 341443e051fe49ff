"""Commands for energy and carbon from meters: ``lingtan energy totals|balance|flow|budget|
intensity|carbon``.

The click group :data:`energy` is added to the ``lingtan`` group by :mod:`lingtan.cli.main`. The
database comes from ``--db`` or ``LINGTAN_DATABASE_URL``; refused input exits with status 2,
every problem on stderr and nothing written. Commands that read daily totals first
recompute the stale ones (:func:`lingtan.metering.rollups.refresh`) in their transaction.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import click
from rich.table import Table
from sqlalchemy.orm import Session

from lingtan.cli.common import actor, console, format_option, open_store, refusing_bad_input
from lingtan.imports.load import facility_by_code
from lingtan.metering.energy import BALANCE_THRESHOLD_PCT
from lingtan.metering.energy_store import (
    FacilityEnergy,
    import_budgets,
    intensity_rows,
    interval_carbon,
    load_energy,
    month_span,
)
from lingtan.services.cost import budget_rows_with_cost, cost_by

__all__ = ["energy"]


def _number(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _options(command: Callable) -> Callable:
    for option in reversed(
        (
            click.option("--facility", help="Facility code (optional when there is only one)."),
            click.option("--year", type=int, required=True, help="Year (local days, UTC+08:00)."),
            click.option("--month", type=click.IntRange(1, 12), help="Only this month."),
            click.option(
                "--format",
                "output",
                type=click.Choice(["table", "json"]),
                default="table",
                show_default=True,
            ),
        )
    ):
        command = option(command)
    return command


def _period_option(command: Callable) -> Callable:
    return click.option(
        "--period",
        type=click.Choice(["day", "month", "year"]),
        default="month",
        show_default=True,
        help="Totals per day, month or year.",
    )(command)


def _load(session: Session, facility: str | None, year: int, month: int | None) -> FacilityEnergy:
    """The energy of the facility named (or the only one) over the year, or one of its months."""
    return load_energy(session, facility_by_code(session, facility).code, *month_span(year, month))


def _json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@click.group("energy")
def energy() -> None:
    """Energy and carbon from meters: totals in tce, balance, energy flow, budgets, intensity
    and carbon per interval."""


@energy.command("totals")
@_options
@_period_option
@click.pass_context
@refusing_bad_input
def energy_totals(
    ctx: click.Context,
    facility: str | None,
    year: int,
    month: int | None,
    output: str,
    period: str,
) -> None:
    """Energy of every node per energy type, in its unit, in tce and in tCO2."""
    with open_store(ctx) as (session, _):
        data = _load(session, facility, year, month)
        code = data.facility.code
        result = data.period_summaries(period)
    if output == "json":
        _json({"facility": code, "periods": result, "factors": data.factors()})
        return
    table = Table(
        "period", "node", "energy type", "energy", "unit", "tce", "tCO2", "estimated",
        "missing", "basis",
    )  # fmt: skip
    for entry in result:
        for row in entry["nodes"]:
            table.add_row(
                entry["period"],
                row["node"],
                row["energy_type"],
                _number(row["energy"]),
                row["unit"],
                _number(row["energy_tce"], 4),
                _number(row["carbon_tco2"], 4),
                _number(row["estimated"]),
                str(row["missing_intervals"]),
                row["basis"],
            )
        table.add_row(
            entry["period"], "facility", "all", "", "",
            _number(entry["facility_energy_tce"], 4), _number(entry["facility_carbon_tco2"], 4),
            "", "", "",
        )  # fmt: skip
    console().print(table)
    for entry in result:
        for note in entry["notes"]:
            click.echo(f"{entry['period']}: {note}")


@energy.command("balance")
@_options
@_period_option
@click.option(
    "--threshold",
    type=click.FloatRange(min=0),
    default=BALANCE_THRESHOLD_PCT,
    show_default=True,
    help="Alert when the loss (or the children's excess) exceeds this share of the parent [%].",
)
@click.pass_context
@refusing_bad_input
def energy_balance(
    ctx: click.Context,
    facility: str | None,
    year: int,
    month: int | None,
    output: str,
    period: str,
    threshold: float,
) -> None:
    """Balance of each node's own meter against its metered children: loss and loss %."""
    with open_store(ctx) as (session, _):
        data = _load(session, facility, year, month)
        code = data.facility.code
        rows = data.balance_rows(period, threshold)
    if output == "json":
        _json({"facility": code, "threshold_pct": threshold, "rows": [r.as_dict() for r in rows]})
        return
    table = Table("period", "node", "energy type", "parent", "children", "loss", "loss %",
                  "unit", "status")  # fmt: skip
    for r in rows:
        table.add_row(
            r.period, r.node, r.energy_type, _number(r.parent), _number(r.children),
            _number(r.loss), _number(r.loss_pct, 2), r.unit, r.status,
        )  # fmt: skip
    console().print(table)


@energy.command("flow")
@_options
@click.pass_context
@refusing_bad_input
def energy_flow_command(
    ctx: click.Context, facility: str | None, year: int, month: int | None, output: str
) -> None:
    """Energy-flow (Sankey) data in tce: purchase → conversion → distribution → end use."""
    with open_store(ctx) as (session, _):
        flow = _load(session, facility, year, month).flow()
    if output == "json":
        _json(flow)
        return
    table = Table("from", "to", "energy type", "tce")
    labels = [n["label"] for n in flow["nodes"]]
    for link in flow["links"]:
        table.add_row(
            labels[link["source"]],
            labels[link["target"]],
            link["energy_type"],
            _number(link["value_tce"], 4),
        )
    console().print(table)
    for note in flow["notes"]:
        click.echo(note)


@energy.group("budget")
def budget() -> None:
    """Energy [tce] and carbon [tCO2] budgets per node and month."""


@budget.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--facility", help="Facility code (optional when there is only one).")
@click.pass_context
@refusing_bad_input
def budget_import(ctx: click.Context, file: str, facility: str | None) -> None:
    """Import budgets from FILE (.csv or .xlsx: node, month YYYY-MM, energy_tce, carbon_tco2),
    all or nothing; importing again replaces the same node and month."""
    with open_store(ctx) as (session, _):
        code = facility_by_code(session, facility).code
        read, changed = import_budgets(session, code, file, actor=actor())
    click.echo(f"{file}: facility {code}: {read} row(s) read, {changed} budget(s) added or changed")


@budget.command("check")
@_options
@click.pass_context
@refusing_bad_input
def budget_check_command(
    ctx: click.Context, facility: str | None, year: int, month: int | None, output: str
) -> None:
    """Actual against budget per node and month: used % and over-budget alerts."""
    with open_store(ctx) as (session, _):
        data = _load(session, facility, year, month)
        code = data.facility.code
        rows = budget_rows_with_cost(session, data)
    if output == "json":
        _json({"facility": code, "rows": rows, "factors": data.factors()})
        return
    priced = any(r["cost_cny"] is not None for r in rows)  # the cost column with a tariff
    table = Table("node", "month", "tce", "budget tce", "used %", "tCO2", "budget tCO2",
                  "used %", *(["cost CNY"] if priced else []), "alert")  # fmt: skip
    for r in rows:
        cost = [_number(r["cost_cny"], 2)] if priced else []
        table.add_row(
            r["node"], r["month"], _number(r["energy_tce"]), _number(r["budget_tce"]),
            _number(r["energy_used_pct"], 1), _number(r["carbon_tco2"]),
            _number(r["budget_tco2"]), _number(r["carbon_used_pct"], 1), *cost,
            ", ".join(f"over {o} budget" for o in r["over_budget"]),
        )  # fmt: skip
    console().print(table)


_COST_COLUMNS = ("node", "energy_type", "month", "energy", "estimated", "unit",
                 "energy_cost_cny", "basic_cost_cny", "cost_cny", "estimated_cost_cny")  # fmt: skip


@energy.command("cost")
@click.option("--facility", help="Facility code (optional when there is only one).")
@click.option("--year", type=int, required=True, help="Year (local days, UTC+08:00).")
@click.option("--month", type=click.IntRange(1, 12), help="Only this month.")
@click.option("--node", help="Only this node of the metering tree (default: every node).")
@format_option("table", "json", "csv")
@click.pass_context
@refusing_bad_input
def energy_cost(
    ctx: click.Context,
    facility: str | None,
    year: int,
    month: int | None,
    node: str | None,
    output: str,
) -> None:
    """Energy cost [CNY] per node, energy type and month under the stored tariff: energy
    charges per TOU period, demand or capacity charge, and the estimated part."""
    with open_store(ctx) as (session, _):
        data = _load(session, facility, year, month)
        if node is not None and node not in data.nodes:
            raise click.BadParameter(f"no node {node!r}", param_hint="--node")
        result = cost_by(session, data.facility, data.start, data.end, energy=data)
        facts = result.as_dict(node)
        rows = result.rows(node)
    if output == "json":
        _json(facts)
        return
    if output == "csv":
        writer = csv.DictWriter(sys.stdout, _COST_COLUMNS, extrasaction="ignore",
                                lineterminator="\n")  # fmt: skip
        writer.writeheader()
        writer.writerows(rows)
        return
    if not facts["has_tariff"]:
        click.echo(f"facility {result.facility} has no tariff: import one with "
                   "`lingtan tariff import FILE` (see docs/cost.md)")  # fmt: skip
    table = Table("node", "energy type", "month", "energy", "unit", "energy CNY", "basic CNY",
                  "cost CNY", "of which estimated CNY")  # fmt: skip
    for r in rows:
        table.add_row(
            r["node"], r["energy_type"], r["month"], _number(r["energy"]), r["unit"],
            _number(r["energy_cost_cny"], 2), _number(r["basic_cost_cny"], 2),
            _number(r["cost_cny"], 2), _number(r["estimated_cost_cny"], 2),
        )  # fmt: skip
    console().print(table)
    periods = Table("month", "TOU period", "energy", "unit", "price CNY/unit", "cost CNY")
    for p in facts["periods"]:
        periods.add_row(p["month"], p["period"], _number(p["energy"]), p["unit"],
                        _number(p["price_cny_per_unit"], 4), _number(p["cost_cny"], 2))  # fmt: skip
    if facts["periods"]:
        console().print(periods)
    click.echo(f"{node or 'facility ' + result.facility}: {_number(facts['cost_cny'], 2)} CNY")
    for note in facts["notes"]:
        click.echo(f"  {note}")


@energy.command("intensity")
@_options
@click.pass_context
@refusing_bad_input
def energy_intensity(
    ctx: click.Context, facility: str | None, year: int, month: int | None, output: str
) -> None:
    """Energy [tce] and carbon [tCO2] per unit of product, per month."""
    with open_store(ctx) as (session, _):
        data = _load(session, facility, year, month)
        code = data.facility.code
        rows = intensity_rows(session, data)
    if output == "json":
        _json({"facility": code, "rows": rows, "factors": data.factors()})
        return
    table = Table("month", "product", "production", "unit", "tce", "tCO2", "tce/unit",
                  "tCO2/unit")  # fmt: skip
    for r in rows:
        table.add_row(
            r["month"], r["product"], _number(r["production"]), r["unit"],
            _number(r["energy_tce"]), _number(r["carbon_tco2"]),
            _number(r["tce_per_unit"], 6), _number(r["tco2_per_unit"], 6),
        )  # fmt: skip
    console().print(table)


@energy.command("carbon")
@click.option("--facility", help="Facility code (optional when there is only one).")
@click.option("--meter", "meter", required=True, help="Meter code (physical or virtual).")
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), required=True, help="Local day.")
@click.option("--days", type=click.IntRange(1, 31), default=1, show_default=True)
@click.option(
    "--format", "output", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.pass_context
@refusing_bad_input
def energy_carbon(
    ctx: click.Context, facility: str | None, meter: str, day: Any, days: int, output: str
) -> None:
    """CO2 of every 15-minute interval of a meter: energy x factor, with the factor's source."""
    start: date = day.date()
    with open_store(ctx, read_only=True) as (session, _):
        code = facility_by_code(session, facility).code
        data = interval_carbon(session, code, meter, start, start + timedelta(days=days))
    if output == "json":
        _json(data)
        return
    table = Table("interval start (UTC)", f"energy ({data['unit']})", "quality", "tCO2")
    for t, e, q, c in zip(
        data["start_utc"], data["energy"], data["quality"], data["carbon_tco2"], strict=True
    ):
        table.add_row(t, _number(e), q, _number(c, 6))
    console().print(table)
    factor = data["factor"]
    click.echo(f"factor: {_number(factor['value'], 7)} {factor['unit']} ({factor['note']})")
    for use in factor["factors"]:
        click.echo(f"  {use['role']}: {use['value']:g} {use['unit']} [{use['ref']}] {use['rule']}")
