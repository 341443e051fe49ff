"""Commands for planning green energy at the source: ``lingtan plan size``, ``plan pareto``,
``plan dispatch``, ``plan pathway`` and the stored plans' ``plan list|show|check``.

``plan size FILE`` reads a problem file (YAML: the load CSV, the EPW weather file, the grid's
prices, PV and battery costs, yearly rules; docs/planning.md), sizes PV and battery and their
dispatch as one LP (HiGHS), and prints the sizes, the year's balance, emissions and costs. Exit
status: 0 with a plan that meets every rule, 3 when a rule cannot be met (the plan that comes
closest is printed, and on stderr which rule is missed and by how much), 2 for refused input.
``plan pareto FILE`` sweeps the emissions cap (the least cost at each cap); ``plan dispatch
FILE`` recommends a rolling day-ahead schedule for an existing battery (a CSV; lingtan never
actuates). ``plan pathway FILE`` gives Scope 1 + 2 year by year under a list of measures
against a target, and the measures' marginal abatement cost curve. A problem file whose load
is a node of the metering tree (``load: {node: CODE, year: 2025}``) reads it from the
database.

``plan size FILE --store`` stores the plan with its inputs (the problem text, the SHA-256 of
its files and of the load series, the tariff, the versions); ``plan list`` lists the stored
plans, ``plan show ID`` shows one, ``plan check ID`` solves its inputs again and compares the
objective (exit status 1 when it differs by more than 1e-6, relative).
"""

from __future__ import annotations

import sys
from contextlib import ExitStack

import click

from lingtan.cli.common import (
    FIELD_COLUMNS,
    Column,
    CommandError,
    actor,
    emit,
    format_option,
    language,
    open_store,
    print_table,
    refusing_bad_input,
    say,
    table_of,
    write_json,
)
from lingtan.i18n import N_, NP_, Message

__all__ = ["plan"]

#: The rows of the table of ``plan size``: key of the result, its digits, and the technology
#: it needs in the problem to be shown (None: always).
_ROWS = (
    ("objective_cny_per_year", 0, None),
    ("pv_kw", 1, "pv"),
    ("wind_kw", 1, "wind"),
    ("battery_kwh", 1, "battery"),
    ("battery_kw", 1, "battery"),
    ("heat_pump_kw", 1, "heat_pump"),
    ("electric_boiler_kw", 1, "electric_boiler"),
    ("thermal_storage_kwh", 1, "thermal_storage"),
    ("load_mwh", 1, None),
    ("electricity_use_mwh", 1, "heat"),
    ("pv_generation_mwh", 1, "pv"),
    ("pv_curtailed_mwh", 1, "pv"),
    ("wind_generation_mwh", 1, "wind"),
    ("grid_import_mwh", 1, None),
    ("grid_export_mwh", 1, None),
    ("peak_import_kw", 1, None),
    ("heat_load_mwh", 1, "heat"),
    ("heat_pump_heat_mwh", 1, "heat_pump"),
    ("electric_boiler_heat_mwh", 1, "electric_boiler"),
    ("boiler_heat_mwh", 1, "heat"),
    ("green_power_mwh", 1, "green_power"),
    ("gec_mwh", 1, "gec"),
    ("self_consumption", 3, None),
    ("self_sufficiency", 3, None),
    ("renewable_share", 3, None),
    ("emissions_tco2e", 1, None),
    ("emissions_market_tco2e", 1, None),
    ("capex_cny", 0, None),
    ("do_nothing_cost_cny_per_year", 0, None),
    ("savings_cny_per_year", 0, None),
    ("npv_cny", 0, None),
    ("irr", 3, None),
    ("simple_payback_years", 1, None),
    ("discounted_payback_years", 1, None),
)
#: The columns of ``plan size --format csv``: the dispatch of every step.
_DISPATCH = (
    Column("timestamp"),
    Column("load_kw"),
    Column("pv_kw"),
    Column("pv_used_kw"),
    Column("grid_import_kw"),
    Column("export_kw"),
    Column("charge_kw"),
    Column("discharge_kw"),
    Column("soc_kwh"),
    Column("wind_kw"),
    Column("heat_load_kw"),
    Column("heat_pump_electricity_kw"),
    Column("heat_pump_heat_kw"),
    Column("electric_boiler_electricity_kw"),
    Column("boiler_heat_kw"),
    Column("heat_charge_kw"),
    Column("heat_discharge_kw"),
    Column("heat_soc_kwh"),
    Column("price_cny_per_kwh"),
)
_MISSED = N_("No plan meets every rule; the plan shown comes closest:")
_TITLE = N_("Plan %(name)s")


@click.group("plan")
def plan() -> None:
    """Plan green energy at the source: size PV, wind, storage and heat pumps against the
    load, TOU prices and the demand charge (one LP, HiGHS), sweep the cost-emissions
    trade-off, recommend a day-ahead dispatch, chart the pathway to near-zero with its
    marginal abatement cost curve, store plans with their inputs."""


def _read(ctx: click.Context, file: str, text: str | None = None):
    """The problem FILE, a node's series read from the database when it names one."""
    from lingtan.planning.problem import read_problem_file
    from lingtan.services.planning import node_series

    with ExitStack() as stack:
        opened: dict[str, object] = {}

        def metered(**keywords):
            if "session" not in opened:
                opened["session"] = stack.enter_context(open_store(ctx, read_only=True))[0]
            return node_series(opened["session"], **keywords)

        return read_problem_file(file, metered=metered, text=text)


@plan.command("size")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--store", "keep", is_flag=True,
              help="Store the plan with its inputs in the database (lingtan plan "
              "list).")  # fmt: skip
@click.option("--name", default=None, help="The stored plan's name (default: the file's).")
@format_option
@refusing_bad_input
@click.pass_context
def plan_size(ctx: click.Context, file: str, keep: bool, name: str | None, output: str) -> None:
    """Size PV and a battery for the problem FILE (YAML) and print the plan."""
    from pathlib import Path

    from lingtan.planning.sizing import solve_sizing

    text = Path(file).read_text(encoding="utf-8") if keep else None
    read = _read(ctx, file, text)
    result = solve_sizing(read.problem)
    lang = language()
    if keep:
        from lingtan.services.planning import store_plan

        with open_store(ctx) as (session, _):
            row = store_plan(session, plan=read, result=result, text=text or "", actor=actor(),
                             name=name)  # fmt: skip
            stored = Message("plan %(id)s stored: %(name)s", id=row.id, name=row.name)
        say(stored, err=True)
    if output == "json":
        write_json({"name": read.name, "file": file, "sources": read.sources, **result.as_dict()})
    elif output == "csv":
        emit(_dispatch_rows(read, result), _DISPATCH, "csv")
    else:
        data = result.as_dict()
        problem = read.problem
        rows = [
            {"field": key, "value": _shown(data[key], digits)}
            for key, digits, needs in _ROWS
            if needs is None or _present(problem, needs)
        ] + [
            {"field": f"cost_cny_per_year.{part}", "value": f"{value:,.0f}"}
            for part, value in result.cost_cny_per_year.items()
        ]
        print_table(
            table_of(
                rows, FIELD_COLUMNS, title=_text(lang, _TITLE, name=read.name), show_header=False
            )
        )
    if result.violations:
        lines = [_text(lang, _MISSED)]
        lines += [f"  - {_text(lang, v.message)}" for v in result.violations]
        click.echo("\n".join(lines), err=True)
        sys.exit(3)


def _present(problem, needs: str) -> bool:
    if needs == "heat":
        return problem.heat is not None
    if needs in ("green_power", "gec"):
        return getattr(problem, needs) is not None
    return problem.has(needs)


#: The columns of ``plan pareto``.
_PARETO = (
    Column("cap_tco2e", digits=1),
    Column("emissions_market_tco2e", digits=1),
    Column("emissions_tco2e", digits=1),
    Column("objective_cny_per_year", digits=0),
    Column("renewable_share", digits=3),
    *(
        Column(size, digits=1)
        for size in ("pv_kw", "wind_kw", "battery_kwh", "battery_kw", "heat_pump_kw",
                     "electric_boiler_kw", "thermal_storage_kwh", "gec_mwh", "green_power_mwh")
    ),
    Column("feasible"),
)  # fmt: skip
_PARETO_TITLE = N_("Cost and emissions of %(name)s, by emissions cap")


@plan.command("pareto")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--points",
    type=click.IntRange(2, 50),
    default=5,
    show_default=True,
    help="How many caps, from the cap-free optimum's emissions to the least.",
)
@click.option("--days", type=click.IntRange(1, 365), default=None,
              help="Only the first DAYS days of the files, standing for the year (a quick "
              "sweep); default the whole year.")  # fmt: skip
@format_option
@refusing_bad_input
@click.pass_context
def plan_pareto(ctx: click.Context, file: str, points: int, days: int | None, output: str) -> None:
    """The least cost at each emissions cap: the cost–emissions trade-off of the problem FILE."""
    from lingtan.planning.dispatch import pareto_front, window

    read = _read(ctx, file)
    problem = read.problem
    if days is not None:
        problem = window(problem, 0, min(problem.steps, round(24 * days / problem.step_h)))
    rows = []
    for cap, result in pareto_front(problem, points=points):
        data = result.as_dict()
        rows.append({"cap_tco2e": cap, **{c.key: data[c.key] for c in _PARETO[1:]}})
    emit(rows, _PARETO, output, title=_text(language(), _PARETO_TITLE, name=read.name))


#: The columns of ``plan dispatch``.
_PLAN = (
    Column("timestamp"),
    *(
        Column(key, digits=1)
        for key in ("load_kw", "pv_kw", "grid_import_kw", "export_kw", "charge_kw",
                    "discharge_kw", "soc_kwh")
    ),
    Column("price_cny_per_kwh", digits=3),
)  # fmt: skip
_PLAN_TITLE = N_("Recommended dispatch of %(name)s (a recommendation: lingtan never actuates)")


@plan.command("dispatch")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--start", required=True,
              help="The first hour of the plan, ISO 8601 (e.g. 2025-07-01T00:00+08:00); a step "
              "of the load file.")  # fmt: skip
@click.option(
    "--days",
    type=click.IntRange(1, 31),
    default=1,
    show_default=True,
    help="Days to plan, one window a day.",
)
@click.option(
    "--window-h",
    type=click.FloatRange(24, 48),
    default=48,
    show_default=True,
    help="The horizon optimised each day [h].",
)
@click.option(
    "--battery-kwh",
    type=click.FloatRange(0, min_open=True),
    required=True,
    help="The battery installed [kWh].",
)
@click.option(
    "--battery-kw",
    type=click.FloatRange(0, min_open=True),
    required=True,
    help="Its charge and discharge power [kW].",
)
@click.option(
    "--pv-kw",
    type=click.FloatRange(0),
    default=0.0,
    show_default=True,
    help="The PV installed [kWp].",
)
@click.option(
    "--soc-kwh",
    type=click.FloatRange(0),
    default=None,
    help="The energy stored at the start [kWh]; default the lowest allowed.",
)
@format_option
@refusing_bad_input
@click.pass_context
def plan_dispatch(ctx: click.Context, file: str, start: str, days: int, window_h: float,
                  battery_kwh: float,
                  battery_kw: float, pv_kw: float, soc_kwh: float | None,
                  output: str) -> None:  # fmt: skip
    """A rolling day-ahead schedule for the existing battery of the problem FILE against its
    prices (CSV for a spreadsheet or an operator; a recommendation only)."""
    from lingtan.errors import InputError, InputProblem
    from lingtan.planning.dispatch import rolling_dispatch
    from lingtan.planning.problem import step_of

    read = _read(ctx, file)
    first = step_of(read, start)
    problems = []
    battery = read.problem.battery
    if battery is None:
        needs = Message("is required with %(field)s", field="plan dispatch")
        problems.append(InputProblem(file, "battery", None, needs))
    elif soc_kwh is not None:
        low, high = battery.soc_min * battery_kwh, battery.soc_max * battery_kwh
        if not low <= soc_kwh <= high:
            rule = Message("must be from %(low)g to %(high)g kWh (soc_min and soc_max of "
                           "--battery-kwh)", low=low, high=high)  # fmt: skip
            problems.append(InputProblem("--soc-kwh", "--soc-kwh", soc_kwh, rule))
    if first + round(24 * days / read.problem.step_h) > read.problem.steps:
        rule = Message("the plan runs past the end of the load file")
        problems.append(InputProblem("--days", "--days", days, rule))
    if problems:
        raise InputError(problems)
    plan_steps = rolling_dispatch(
        read.problem, battery_kwh=battery_kwh, battery_kw=battery_kw, pv_kw=pv_kw,
        start_step=first, days=days, window_h=window_h, initial_soc_kwh=soc_kwh,
    )  # fmt: skip
    stamps = read.starts[first : first + len(plan_steps["load_kw"])]
    rows = [
        {"timestamp": f"{stamp}Z", **{key: _clean(values[i]) for key, values in plan_steps.items()}}
        for i, stamp in enumerate(stamps.astype("datetime64[s]"))
    ]
    emit(rows, _PLAN, output, title=_text(language(), _PLAN_TITLE, name=read.name))


#: The columns of ``plan pathway``: one row per year (the table shows the first ten).
_YEARS = (
    Column("year", NP_("cli.column", "year")[1]),
    Column("grid_factor_location_tco2_per_mwh", NP_("cli.column", "grid tCO2/MWh")[1], 4),
    Column("total_location_tco2e", NP_("cli.column", "Scope 1+2 location tCO2e")[1], 1),
    Column("total_market_tco2e", NP_("cli.column", "Scope 1+2 market tCO2e")[1], 1),
    Column("offsets_tco2e", NP_("cli.column", "offsets tCO2e")[1], 1),
    Column("net_tco2e", NP_("cli.column", "net tCO2e")[1], 1),
    Column("target_tco2e", NP_("cli.column", "target tCO2e")[1], 1),
    Column("gap_tco2e", NP_("cli.column", "gap tCO2e")[1], 1),
    Column("net_cost_cny", NP_("cli.column", "net cost CNY")[1], 0),
    Column("bau_location_tco2e"),
    Column("bau_market_tco2e"),
    Column("scope1_tco2e"),
    Column("scope2_location_tco2e"),
    Column("scope2_market_tco2e"),
    Column("grid_factor_market_tco2_per_mwh"),
    Column("grid_electricity_mwh"),
    Column("instruments_used_mwh"),
    Column("instruments_unused_mwh"),
    Column("gap_after_offsets_tco2e"),
    Column("capex_cny"),
    Column("om_cny"),
    Column("saving_cny"),
    Column("interaction_location_tco2e"),
    Column("interaction_market_tco2e"),
)
_SHOWN = 9  # the columns of the table; CSV has all
#: The columns of a pathway with production: the table shows the first two after its nine.
_GROWN = (
    Column("production", NP_("cli.column", "output")[1], 0),
    Column("net_intensity_tco2e_per_unit", NP_("cli.column", "net tCO2e/unit")[1], 4),
    Column("target_intensity_tco2e_per_unit", NP_("cli.column", "target tCO2e/unit")[1], 4),
    Column("location_intensity_tco2e_per_unit"),
    Column("market_intensity_tco2e_per_unit"),
    Column("bau_location_intensity_tco2e_per_unit"),
    Column("bau_market_intensity_tco2e_per_unit"),
)
#: The columns of the MAC curve's table.
_MAC = (
    Column("id", NP_("cli.column", "measure")[1]),
    Column("title", NP_("cli.column", "measure title")[1]),
    Column("kind", NP_("cli.column", "kind")[1]),
    Column("mac_cny_per_tco2e", NP_("cli.column", "CNY/tCO2e")[1], 0),
    Column("abatement_tco2e_per_year", NP_("cli.column", "tCO2e/year")[1], 1),
    Column("cumulative_end_tco2e", NP_("cli.column", "cumulative tCO2e/year")[1], 1),
    Column("annualised_cost_cny_per_year", NP_("cli.column", "annualised cost CNY/year")[1], 0),
)
_PATHWAY_TITLE = N_("Pathway %(name)s: Scope 1 + 2 against the target (%(basis)s)")
_MAC_TITLE = N_("Marginal abatement cost curve (levelised over each measure's life)")
_BASIS = {"location": N_("location-based"), "market": N_("market-based")}
_STATUS = {"official": N_("official"), "unverified": N_("unverified"),
           "illustrative": N_("illustrative")}  # fmt: skip
_GRID_NOTE = N_("Grid factor: %(decline)s %% a year less from %(factor)s tCO2/MWh (%(status)s: "
                "%(source)s)")  # fmt: skip
_OFF_CURVE = N_("Not on the curve (no abatement over its life): %(ids)s")
_GRID_YEARS_NOTE = N_("Grid factor: given year by year, from %(factor)s tCO2/MWh in the base "
                      "year to %(last)s in %(year)d (%(status)s: %(source)s; each year's source "
                      "in the JSON)")  # fmt: skip
_PRODUCTION_NOTE = N_("Output: %(base)s %(unit)s in the base year, %(last)s in %(year)d; "
                      "Scope 1 (except a fixed %(fixed)s tCO2e) and Scope 2 before the measures "
                      "follow it; intensity in tCO2e per %(unit)s")  # fmt: skip


@plan.command("pathway")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--facility", help="A facility's code: its base-year inventory and its stored "
              "measures (stored: CODE in the file).")  # fmt: skip
@format_option
@click.pass_context
@refusing_bad_input
def plan_pathway(ctx: click.Context, file: str, facility: str | None, output: str) -> None:
    """Scope 1 + 2 year by year from the base year to the target under the measures of the
    pathway FILE (YAML), and their marginal abatement cost curve."""
    from lingtan.planning.pathway import KIND_NAMES, solve_pathway
    from lingtan.planning.pathway_file import read_pathway_file

    if facility is None:
        read = read_pathway_file(file)
    else:
        from lingtan.imports.load import facility_by_code
        from lingtan.services.pathway import read_facility_pathway

        with open_store(ctx, read_only=True) as (session, _):
            read = read_facility_pathway(session, facility_by_code(session, facility), file)
    result = solve_pathway(read.problem)
    if output == "json":
        write_json({"name": read.name, "file": file, "sources": read.sources, **result.as_dict()})
        return
    made = result.production
    columns = _YEARS if made is None else (*_YEARS, *_GROWN)
    if output == "csv":
        emit(result.years, columns, "csv")
        return
    lang = language()
    grid = result.grid
    basis = _text(lang, _BASIS[result.target.basis])
    title = _text(lang, _PATHWAY_TITLE, name=read.name, basis=basis)
    shown = _YEARS[:_SHOWN] if made is None else (*_YEARS[:_SHOWN], *_GROWN[:3])
    print_table(table_of(result.years, shown, title=title))
    mac = [{**p.as_dict(), "kind": _text(lang, KIND_NAMES[p.kind])} for p in result.mac]
    print_table(table_of(mac, _MAC, title=_text(lang, _MAC_TITLE)))
    status = _text(lang, _STATUS[grid.status])
    last = result.target_year_row
    if grid.by_year:
        note = _text(lang, _GRID_YEARS_NOTE, factor=f"{grid.location_tco2_per_mwh:.4f}",
                     last=f"{last['grid_factor_location_tco2_per_mwh']:.4f}", year=last["year"],
                     status=status, source=grid.source)  # fmt: skip
    else:
        note = _text(lang, _GRID_NOTE, decline=f"{grid.decline_pct_per_year:g}",
                     factor=f"{grid.location_tco2_per_mwh:.4f}", status=status,
                     source=grid.source)  # fmt: skip
    click.echo(note)
    if made is not None:
        click.echo(_text(lang, _PRODUCTION_NOTE, base=f"{made.base:,.0f}", unit=made.unit,
                         last=f"{last['production']:,.0f}", year=last["year"],
                         fixed=f"{made.fixed_scope1_tco2e:g}"))  # fmt: skip
    if result.off_curve:
        click.echo(_text(lang, _OFF_CURVE, ids=", ".join(p.id for p in result.off_curve)))


def _clean(value: float) -> float:
    """A solver's value without its noise: -0.0 and |x| < 1e-9 as 0."""
    return 0.0 if abs(value) < 1e-9 else float(value)


def _dispatch_rows(read, result) -> list[dict[str, object]]:
    """One row per step: its start (UTC) and the plan's power flows."""
    stamps = [f"{start}Z" for start in read.starts.astype("datetime64[s]")]
    columns = {key: result.dispatch[key].tolist() for key in (c.key for c in _DISPATCH[1:-1])}
    columns["price_cny_per_kwh"] = read.problem.import_price_cny_per_kwh.tolist()
    return [
        {"timestamp": stamp, **{key: values[i] for key, values in columns.items()}}
        for i, stamp in enumerate(stamps)
    ]


def _shown(value: object, digits: int) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


def _text(lang: str, text: str, **params: object) -> str:
    """*text* (a Message of the models, or a msgid with *params*) in *lang*."""
    if isinstance(text, Message):
        if lang == "en":
            return str(text)
        from lingtan.i18n.catalog import texts

        return texts(lang).message(text)
    if lang == "en":
        return text % params if params else text
    from lingtan.i18n.catalog import texts

    return texts(lang).gettext(text, **params)


#: The columns of ``plan list``.
_LIST = (
    Column("id"),
    Column("name"),
    Column("facility"),
    Column("created_at"),
    Column("created_by"),
    Column("objective_cny_per_year", digits=0),
    Column("pv_kw", digits=1),
    Column("battery_kwh", digits=1),
    Column("battery_kw", digits=1),
    Column("renewable_share", digits=3),
    Column("label"),
)
_LIST_TITLE = N_("Stored plans")


@plan.command("list")
@format_option
@click.pass_context
def plan_list(ctx: click.Context, output: str) -> None:
    """The stored plans, newest first."""
    from lingtan.services.planning import list_plans, plan_document

    with open_store(ctx, read_only=True) as (session, _):
        documents = [plan_document(row) for row in list_plans(session)]
    rows = [
        {**{key: d[key] for key in ("id", "name", "facility", "created_at", "created_by",
                                    "label")},
         **{key: d["result"].get(key) for key in ("objective_cny_per_year", "pv_kw",
                                                   "battery_kwh", "battery_kw",
                                                   "renewable_share")}}
        for d in documents
    ]  # fmt: skip
    emit(rows, _LIST, output, title=_text(language(), _LIST_TITLE))


@plan.command("show")
@click.argument("plan_id", metavar="ID", type=int)
@format_option
@refusing_bad_input
@click.pass_context
def plan_show(ctx: click.Context, plan_id: int, output: str) -> None:
    """A stored plan: its result, inputs, versions, who stored it and when."""
    from lingtan.services.planning import plan_document, stored_plan

    with open_store(ctx, read_only=True) as (session, _):
        document = plan_document(stored_plan(session, plan_id))
    if output == "json":
        write_json(document)
        return
    result = document["result"]
    rows = [
        {"field": key, "value": str(document[key])}
        for key in ("id", "name", "label", "facility", "created_at", "created_by",
                    "lingtan_version", "solver", "problem_file")
    ] + [
        {"field": f"inputs.{key}", "value": value} for key, value in document["inputs"].items()
    ] + [
        {"field": key, "value": _shown(result.get(key), digits)}
        for key, digits, _ in _ROWS if key in result
    ]  # fmt: skip
    title = _text(language(), _TITLE, name=document["name"])
    if output == "csv":
        emit(rows, FIELD_COLUMNS, "csv")
    else:
        print_table(table_of(rows, FIELD_COLUMNS, title=title, show_header=False))


@plan.command("check")
@click.argument("plan_id", metavar="ID", type=int)
@format_option
@refusing_bad_input
@click.pass_context
def plan_check(ctx: click.Context, plan_id: int, output: str) -> None:
    """Solve a stored plan's inputs again and compare the objective (exit status 1 when it
    differs by more than 1e-6, relative, or an input has changed)."""
    from lingtan.services.planning import check_plan

    with open_store(ctx, read_only=True) as (session, _):
        check = check_plan(session, plan_id)
    data = check.as_dict()
    if output == "json":
        write_json(data)
    else:
        rows = [{"field": key, "value": str(value)} for key, value in data.items()]
        emit(rows, FIELD_COLUMNS, output)
    if check.changed_inputs:
        raise CommandError(Message("the inputs have changed since the plan was stored: "
                                   "%(inputs)s",
                                   inputs=", ".join(check.changed_inputs)))  # fmt: skip
    if check.relative_difference > 1e-6:
        raise CommandError(Message("the objective differs from the stored plan's by %(diff)g "
                                   "(relative)", diff=check.relative_difference))  # fmt: skip
