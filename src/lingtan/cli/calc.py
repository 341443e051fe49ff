"""``lingtan calc``: the inventory of one file, with no database.

Exit status: 0 on success, 2 when the input is refused (with every problem on stderr and
nothing on stdout), 1 on an unexpected failure.
"""

from __future__ import annotations

import sys
from typing import Any

import click
from rich.markup import escape

from lingtan.accounting.engine import compute_inventory
from lingtan.accounting.model import GBT32150_CATEGORIES, KINDS, InventoryResult
from lingtan.accounting.serialize import line_to_dict, result_to_dict, write_result_json
from lingtan.calcfile import load_calc_file
from lingtan.cli.common import (
    LINE_COLUMNS,
    Column,
    console,
    emit,
    format_option,
    heading,
    language,
    message,
    print_table,
    refusal_text,
    table_of,
)
from lingtan.errors import InputError

__all__ = ["calc"]

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


def _fail(error: InputError) -> None:
    click.echo(refusal_text(error, language()), err=True)
    sys.exit(2)


@click.command()
@click.argument("input_file", metavar="INPUT", type=click.Path(dir_okay=False))
@format_option
def calc(input_file: str, output: str) -> None:
    """Compute the GHG inventory described by INPUT (YAML or JSON) and print it: its tables,
    the JSON contract, or its lines as CSV.

    See docs/calc.md for the file format.
    """
    try:
        inventory, library = load_calc_file(input_file)
        result = compute_inventory(inventory, library)
    except InputError as error:
        _fail(InputError(error.problems, origin=input_file))
    if output == "table":
        _print_result(result)
    elif output == "json":
        write_result_json(result, _stdout_bytes())
    else:
        document = result_to_dict(result)
        emit(document["lines"], LINE_COLUMNS, output, document=document)


def _stdout_bytes() -> Any:
    """stdout for bytes: its buffer, or (for a text-only stream) a writer that decodes."""
    binary = getattr(sys.stdout, "buffer", None)
    if binary is not None:
        sys.stdout.flush()
        return binary
    return _TextWriter(sys.stdout)


class _TextWriter:
    def __init__(self, stream: Any):
        self.stream = stream

    def write(self, data: bytes) -> None:
        self.stream.write(data.decode("utf-8"))


_SUMMARY = (
    Column("figure"),
    Column("figure_zh", "指标"),
    Column("value", digits=3),
    Column("uncertainty_pct", "± %", 1),
    Column("uncertainty_coverage_pct", "coverage %", 0),
    Column("unit"),
)


def _print_result(result: InventoryResult) -> None:
    inventory = result.input
    totals = result.totals
    console().print(
        f"[bold]{inventory.facility_name}[/bold]  {inventory.period_start} – {inventory.period_end}"
        f"  {heading('region', language())} {inventory.region or '-'}  GWP {inventory.gwp}"
        f"  {result.engine_version}"
    )
    values = vars(totals)
    summary = [
        {
            "figure": english,
            "figure_zh": chinese,
            "value": values[key],
            "uncertainty_pct": totals.uncertainty_pct.get(key),
            "uncertainty_coverage_pct": totals.uncertainty_coverage_pct.get(key),
            "unit": unit,
        }
        for key, english, chinese, unit in _TOTAL_LABELS
    ]
    uncertain = any(row["uncertainty_pct"] is not None for row in summary)
    shown = [c for c in _SUMMARY if not c.key.startswith("uncertainty") or uncertain]
    print_table(table_of(summary, shown, title="Totals 汇总"))
    if totals.intensities:
        intensities = [
            {"denominator": item["denominator"], "value": item["tco2e_per_unit"],
             "unit": f"tCO2e/{item['unit']}"}
            for item in totals.intensities
        ]  # fmt: skip
        per_unit = (Column("denominator", "per"), Column("value", digits=6), Column("unit"))
        print_table(table_of(intensities, per_unit, title="Intensities 排放强度"))
    categories = [
        {"category": GBT32150_CATEGORIES[key][0], "category_zh": GBT32150_CATEGORIES[key][1],
         "emissions_tco2e": value}
        for key, value in totals.by_gbt32150_category_tco2e.items()
    ]  # fmt: skip
    category_columns = (
        Column("category"), Column("category_zh", "类别"), Column("emissions_tco2e", "tCO2e", 3)
    )  # fmt: skip
    print_table(table_of(categories, category_columns, title="By GB/T 32150 category 按排放类别"))
    lines = [
        {**line_to_dict(line), "kind": f"{line.source.kind} {KINDS[line.source.kind][1]}"}
        for line in result.lines
    ]
    print_table(table_of(lines, _CALC_LINES, title="Lines 排放源明细"))
    if result.instruments:
        uses = [
            {
                "id": use.instrument.id,
                "kind": use.instrument.kind,
                "covered_mwh": use.mwh,
                "applied_to": ", ".join(f"{k} {v:,.3f}" for k, v in use.allocation_mwh.items()),
            }
            for use in result.instruments
        ]
        instrument_columns = (
            Column("id"), Column("kind", names="report.kind"),
            Column("covered_mwh", "covered MWh", 3),
            Column("applied_to", "applied to"),
        )  # fmt: skip
        print_table(table_of(uses, instrument_columns, title="Contractual instruments 绿证与绿电"))
    out = console()
    lang = language()
    if result.residual_factor is not None:
        residual = result.residual_factor
        out.print(
            escape(
                f"{heading('Residual factor (market-based)', lang)}: {residual.value} "
                f"{residual.unit} — {message(residual.rule, lang)}"
            )
        )
    for warning in result.warnings:
        shown = escape(message(warning, lang))
        out.print(f"[yellow]{heading('warning', lang)}:[/yellow] {shown}")


_CALC_LINES = (
    Column("source_id", "source"),
    Column("kind", "kind 类型"),
    Column("activity", digits=3),
    Column("activity_unit", "unit"),
    Column("emissions_tco2e", "tCO2e", 3),
    Column("market_emissions_tco2e", "market tCO2e", 3),
    Column("ghg_scope", "scope"),
    Column("energy_tce", "tce", 3),
)
