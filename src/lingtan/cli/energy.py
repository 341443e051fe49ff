"""Commands for energy and carbon from meters: ``lingtan energy totals|balance|flow|budget|
intensity|carbon``.

The click group :data:`energy` is added to the ``lingtan`` group by :mod:`lingtan.cli.main`. The
database comes from ``--db`` or ``LINGTAN_DATABASE_URL``; refused input exits with status 2,
every problem on stderr and nothing written. Commands that read daily totals first
recompute the stale ones (:func:`lingtan.metering.rollups.refresh`) in their transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import click
from sqlalchemy.orm import Session

from lingtan.cli.common import (
    Column,
    actor,
    emit,
    format_option,
    language,
    message,
    name_of,
    open_store,
    print_table,
    refusing_bad_input,
    say,
    table_of,
)
from lingtan.i18n import Message
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


def _options(command: Callable) -> Callable:
    for option in reversed(
        (
            click.option("--facility", help="Facility code (optional when there is only one)."),
            click.option("--year", type=int, required=True, help="Year (local days, UTC+08:00)."),
            click.option("--month", type=click.IntRange(1, 12), help="Only this month."),
            format_option,
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


def _notes(notes: list[str], output: str) -> None:
    """The notes under a table; with CSV on stdout they go to stderr, so stdout stays data."""
    for note in notes:
        click.echo(message(note, language()), err=output == "csv")


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
    rows = []
    for entry in result:  # each period's nodes, then the facility's total (node "facility")
        rows += [{"period": entry["period"], **row} for row in entry["nodes"]]
        rows.append({"period": entry["period"], "node": "facility", "energy_type": "all",
                     "energy_tce": entry["facility_energy_tce"],
                     "carbon_tco2": entry["facility_carbon_tco2"]})  # fmt: skip
    document = {"facility": code, "periods": result, "factors": data.factors()}
    emit(rows, _TOTALS, output, document=document)
    if output != "json":
        lang = language()
        _notes([f"{e['period']}: {message(n, lang)}" for e in result for n in e["notes"]], output)


_TOTALS = (
    Column("period"),
    Column("node"),
    Column("energy_type", "energy type", names="energy.type"),
    Column("energy", digits=3),
    Column("unit"),
    Column("energy_tce", "tce", 4),
    Column("carbon_tco2", "tCO2", 4),
    Column("estimated", digits=3),
    Column("missing_intervals", "missing", 0),
    Column("basis", names="energy.basis"),
)


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
    document = {"facility": code, "threshold_pct": threshold, "rows": [r.as_dict() for r in rows]}
    emit(document["rows"], _BALANCE, output, document=document)


_BALANCE = (
    Column("period"),
    Column("node"),
    Column("energy_type", "energy type", names="energy.type"),
    Column("parent", digits=3),
    Column("children", digits=3),
    Column("loss", digits=3),
    Column("loss_pct", "loss %", 2),
    Column("unit"),
    Column("status", names="energy.status"),
)


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
    labels = [n["label"] for n in flow["nodes"]]
    links = [
        {"from": labels[link["source"]], "to": labels[link["target"]],
         "energy_type": link["energy_type"], "value_tce": link["value_tce"]}
        for link in flow["links"]
    ]  # fmt: skip
    emit(links, _FLOW, output, document=flow)
    if output != "json":
        _notes(flow["notes"], output)


_FLOW = (
    Column("from"),
    Column("to"),
    Column("energy_type", "energy type", names="energy.type"),
    Column("value_tce", "tce", 4),
)


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
    say(Message("%(file)s: facility %(code)s: %(read)s row(s) read, %(changed)s budget(s) added or "
                "changed", file=str(file), code=code, read=read, changed=changed))  # fmt: skip


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
    document = {"facility": code, "rows": rows, "factors": data.factors()}
    lang = language()
    shown = [
        {**row, "alert": "，".join(name_of("budgets.over", o, lang) for o in row["over_budget"])}
        if lang != "en"
        else {**row, "alert": ", ".join(f"over {o} budget" for o in row["over_budget"])}
        for row in document["rows"]
    ]
    priced = any(r["cost_cny"] is not None for r in rows)  # the cost column with a tariff
    columns = (*_BUDGET[:-1], Column("cost_cny", "cost CNY", 2), _BUDGET[-1]) if priced else _BUDGET
    emit(shown, columns, output, document=document)


_BUDGET = (
    Column("node"),
    Column("month"),
    Column("energy_tce", "tce", 3),
    Column("budget_tce", "budget tce", 3),
    Column("energy_used_pct", "tce used %", 1),
    Column("carbon_tco2", "tCO2", 3),
    Column("budget_tco2", "budget tCO2", 3),
    Column("carbon_used_pct", "tCO2 used %", 1),
    Column("alert"),
)


@energy.command("cost")
@_options
@click.option("--node", help="Only this node of the metering tree (default: every node).")
@click.pass_context
@refusing_bad_input
def energy_cost(
    ctx: click.Context,
    facility: str | None,
    year: int,
    month: int | None,
    output: str,
    node: str | None,
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
    if output == "table" and not facts["has_tariff"]:
        say(Message("facility %(code)s has no tariff: import one with `lingtan tariff import "
                    "FILE` (see docs/cost.md)", code=result.facility))  # fmt: skip
    emit(rows, _COST, output, document=facts)
    if output != "table":
        return
    if facts["periods"]:
        print_table(table_of(facts["periods"], _COST_PERIODS))
    cost = f"{facts['cost_cny']:,.2f}"
    if node:
        say(Message("%(node)s: %(cost)s CNY", node=node, cost=cost))
    else:
        say(Message("facility %(code)s: %(cost)s CNY", code=result.facility, cost=cost))
    _notes([f"  {message(note, language())}" for note in facts["notes"]], output)


_COST = (
    Column("node"),
    Column("energy_type", "energy type", names="energy.type"),
    Column("month"),
    Column("energy", digits=3),
    Column("estimated", digits=3),
    Column("unit"),
    Column("energy_cost_cny", "energy CNY", 2),
    Column("basic_cost_cny", "basic CNY", 2),
    Column("cost_cny", "cost CNY", 2),
    Column("estimated_cost_cny", "of which estimated CNY", 2),
)
_COST_PERIODS = (
    Column("month"),
    Column("period", "TOU period", names="tou.period"),
    Column("energy", digits=3),
    Column("unit"),
    Column("price_cny_per_unit", "price CNY/unit", 4),
    Column("cost_cny", "cost CNY", 2),
)


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
    emit(rows, _INTENSITY, output, document={"facility": code, "rows": rows,
                                             "factors": data.factors()})  # fmt: skip


_INTENSITY = (
    Column("month"),
    Column("product"),
    Column("production", digits=3),
    Column("unit"),
    Column("energy_tce", "tce", 3),
    Column("carbon_tco2", "tCO2", 3),
    Column("tce_per_unit", "tce/unit", 6),
    Column("tco2_per_unit", "tCO2/unit", 6),
)


@energy.command("carbon")
@click.option("--facility", help="Facility code (optional when there is only one).")
@click.option("--meter", "meter", required=True, help="Meter code (physical or virtual).")
@click.option("--date", "day", type=click.DateTime(["%Y-%m-%d"]), required=True, help="Local day.")
@click.option("--days", type=click.IntRange(1, 31), default=1, show_default=True)
@format_option
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
    unit = data["unit"]
    rows = [
        {"start_utc": s, f"energy_{unit}": e, "quality": q, "carbon_tco2": c}
        for s, e, q, c in zip(
            data["start_utc"], data["energy"], data["quality"], data["carbon_tco2"], strict=True
        )
    ]
    columns = (
        Column("start_utc", "interval start (UTC)"),
        Column(f"energy_{unit}", f"energy ({unit})", 3),
        Column("quality", names="quality"),
        Column("carbon_tco2", "tCO2", 6),
    )
    emit(rows, columns, output, document=data)
    if output == "json":
        return
    factor = data["factor"]
    _notes(
        [f"factor: {factor['value']:,.7f} {factor['unit']} ({factor['note']})"]
        + [f"  {u['role']}: {u['value']:g} {u['unit']} [{u['ref']}] {u['rule']}"
           for u in factor["factors"]],
        output,
    )  # fmt: skip
