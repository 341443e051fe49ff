"""Commands for energy efficiency: ``lingtan efficiency grade|standards``.

``grade`` judges an equipment register (a CSV file, no database) against the standards pack
(``lingtan/data/standards``) or a company's own tables (``--standards FILE``); refused input
exits with status 2, every problem on stderr and nothing on stdout.
"""

from __future__ import annotations

from typing import Any

import click

from lingtan.cli.common import Column, emit, format_option, language, refusing_bad_input
from lingtan.efficiency.grading import Grade, grade_many
from lingtan.efficiency.register import read_register_file
from lingtan.efficiency.replacement import replacement_estimate
from lingtan.efficiency.standards import (
    StandardTable,
    Threshold,
    read_standards_file,
    shipped_standards,
)

__all__ = ["efficiency"]

_GRADE_COLUMNS = (
    Column("id"),
    Column("type", "equipment type"),
    Column("level"),
    Column("threshold"),
    Column("standard"),
    Column("status"),
    Column("reason"),
    Column("saved_kwh_per_year", "saved kWh/yr", 0),
    Column("saved_tce_per_year", "saved tce/yr", 3),
    Column("saved_tco2_per_year", "saved tCO2/yr", 3),
    Column("saved_cny_per_year", "saved CNY/yr", 0),
    Column("payback_years", "payback years", 1),
)

_STANDARD_COLUMNS = (
    Column("table_id", "table"),
    Column("standard"),
    Column("type", "equipment type"),
    Column("in_force", "in force from"),
    Column("rows", digits=0),
    Column("official_rows", "official", 0),
    Column("unverified_rows", "unverified", 0),
    Column("title_en", "title"),
)


@click.group("efficiency")
def efficiency() -> None:
    """Energy efficiency: grade an equipment register against the standards pack (GB 18613,
    GB 20052, GB 19153, GB 24500 …) and estimate what grade-1 replacements save."""


def _threshold_text(row: Threshold) -> str:
    op = "≥" if row.higher_is_better else "≤"
    unit = "" if row.unit in ("", "1") else f" {row.unit}"
    return f"{row.metric} {op} {row.value:g}{unit} (grade {row.grade})"


def _status(grade: Grade) -> str | None:
    statuses = {row.status for row in grade.thresholds}
    if not statuses:
        return None
    return "unverified" if "unverified" in statuses else "official"


def _kgce_per_kwh() -> float:
    from lingtan.factors import shipped_library

    selection = shipped_library().select("standard_coal", "electricity", "equivalent")
    return selection.factor.value_in("kgce/kWh")


def _rows(
    items: list[dict[str, Any]],
    grades: list[Grade],
    *,
    grid_tco2_per_mwh: float | None,
    tariff_cny_per_kwh: float | None,
    lang: str,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The table's rows (reason in ``lang``) and the JSON document (reason in English, the
    deciding rows with their provenance)."""
    translate = None
    if lang != "en":
        from lingtan.i18n.catalog import texts

        translate = texts(lang).message
    kgce = _kgce_per_kwh()
    rows, document = [], []
    for item, judged in zip(items, grades, strict=True):
        saving = replacement_estimate(
            item,
            judged,
            kgce_per_kwh=kgce,
            grid_tco2_per_mwh=grid_tco2_per_mwh,
            tariff_cny_per_kwh=tariff_cny_per_kwh,
        )
        row = {
            "id": item["id"],
            "type": item["type"],
            "level": str(judged.level),
            "threshold": "; ".join(_threshold_text(t) for t in judged.thresholds) or None,
            "standard": judged.standard,
            "status": _status(judged),
            "reason": str(judged.reason),
            "saved_kwh_per_year": saving.energy_saved_kwh_per_year if saving else None,
            "saved_tce_per_year": saving.energy_saved_tce_per_year if saving else None,
            "saved_tco2_per_year": saving.emissions_saved_tco2_per_year if saving else None,
            "saved_cny_per_year": saving.cost_saved_cny_per_year if saving else None,
            "payback_years": saving.payback_years if saving else None,
        }
        document.append(
            {
                **row,
                "row": item["row"],
                "thresholds": [t.provenance() for t in judged.thresholds],
                "metrics": [
                    {
                        "metric": m.metric,
                        "level": str(m.level),
                        "measured": item.get(m.metric),
                        "threshold": m.threshold.value if m.threshold is not None else None,
                        "unit": m.threshold.unit if m.threshold is not None else None,
                        "reason": str(m.reason),
                    }
                    for m in judged.metrics
                ],
            }
        )
        if translate is not None:
            row = {**row, "reason": translate(judged.reason)}
        rows.append(row)
    return rows, document


@efficiency.command("grade")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "--standards",
    "custom",
    type=click.Path(dir_okay=False),
    help="Grade against the tables of this CSV file (a company's own targets, the columns of "
    "the shipped pack) instead of the shipped ones.",
)
@click.option(
    "--grid-factor",
    "grid_tco2_per_mwh",
    type=float,
    help="Grid emission factor [tCO2/MWh] for the tCO2 a grade-1 replacement saves.",
)
@click.option(
    "--tariff",
    "tariff_cny_per_kwh",
    type=float,
    help="Electricity price [CNY/kWh] for the CNY a grade-1 replacement saves (and payback).",
)
@format_option
@refusing_bad_input
def efficiency_grade(
    file: str,
    custom: str | None,
    grid_tco2_per_mwh: float | None,
    tariff_cny_per_kwh: float | None,
    output: str,
) -> None:
    """Grade every item of the equipment register FILE (CSV) against the standards pack:
    level, threshold row, standard and reason; below grade 1, the yearly saving of a grade-1
    replacement."""
    items = read_register_file(file)
    tables: list[StandardTable] | None = read_standards_file(custom) if custom else None
    grades = grade_many(items, tables=tables)
    rows, document = _rows(
        items,
        grades,
        grid_tco2_per_mwh=grid_tco2_per_mwh,
        tariff_cny_per_kwh=tariff_cny_per_kwh,
        lang=language(),
    )
    emit(rows, _GRADE_COLUMNS, output, document=document)


@efficiency.command("standards")
@format_option
def efficiency_standards(output: str) -> None:
    """The shipped standards tables, with their rows' review status."""
    rows = []
    for table in shipped_standards():
        first = table.first
        rows.append(
            {
                "table_id": table.table_id,
                "standard": first.document,
                "type": table.type,
                "in_force": first.in_force or None,
                "rows": len(table.thresholds),
                "official_rows": table.statuses["official"],
                "unverified_rows": table.statuses["unverified"],
                "title_en": first.title_en,
                "title_zh": first.title_zh,
            }
        )
    emit(rows, _STANDARD_COLUMNS, output)
