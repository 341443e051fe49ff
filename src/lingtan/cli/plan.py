"""Commands for planning green energy at the source: ``lingtan plan size``.

``plan size FILE`` reads a problem file (YAML: the load CSV, the EPW weather file, the grid's
prices, PV and battery costs, yearly rules; docs/planning.md), sizes PV and battery and their
dispatch as one LP (HiGHS), and prints the sizes, the year's balance, emissions and costs. Exit
status: 0 with a plan that meets every rule, 3 when a rule cannot be met (the plan that comes
closest is printed, and on stderr which rule is missed and by how much), 2 for refused input.
"""

from __future__ import annotations

import sys

import click

from lingtan.cli.common import (
    FIELD_COLUMNS,
    Column,
    emit,
    format_option,
    language,
    print_table,
    refusing_bad_input,
    table_of,
    write_json,
)
from lingtan.i18n import N_, Message

__all__ = ["plan"]

#: The rows of the table of ``plan size``: key of the result and its digits.
_ROWS = (
    ("objective_cny_per_year", 0),
    ("pv_kw", 1),
    ("battery_kwh", 1),
    ("battery_kw", 1),
    ("load_mwh", 1),
    ("pv_generation_mwh", 1),
    ("pv_curtailed_mwh", 1),
    ("grid_import_mwh", 1),
    ("grid_export_mwh", 1),
    ("self_consumption", 3),
    ("self_sufficiency", 3),
    ("renewable_share", 3),
    ("emissions_tco2e", 1),
    ("capex_cny", 0),
    ("grid_only_cost_cny_per_year", 0),
    ("savings_cny_per_year", 0),
    ("simple_payback_years", 1),
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
    Column("price_cny_per_kwh"),
)
_MISSED = N_("No plan meets every rule; the plan shown comes closest:")
_TITLE = N_("Plan %(name)s")


@click.group("plan")
def plan() -> None:
    """Plan green energy at the source: size PV and battery storage against the load and TOU
    prices (one LP, HiGHS)."""


@plan.command("size")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@format_option
@refusing_bad_input
def plan_size(file: str, output: str) -> None:
    """Size PV and a battery for the problem FILE (YAML) and print the plan."""
    from lingtan.planning.problem import read_problem_file
    from lingtan.planning.sizing import solve_sizing

    read = read_problem_file(file)
    result = solve_sizing(read.problem)
    lang = language()
    if output == "json":
        write_json({"name": read.name, "file": file, **result.as_dict()})
    elif output == "csv":
        emit(_dispatch_rows(read, result), _DISPATCH, "csv")
    else:
        data = result.as_dict()
        rows = [{"field": key, "value": _shown(data[key], digits)} for key, digits in _ROWS] + [
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
