"""Commands for energy efficiency: ``lingtan efficiency
grade|standards|position|products|baseline``.

``grade`` judges an equipment register (a CSV file, no database) against the standards pack
(``lingtan/data/standards``) or a company's own tables (``--standards FILE``); refused input
exits with status 2, every problem on stderr and nothing on stdout.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from typing import Any

import click

from lingtan.cli.common import (
    Column,
    emit,
    format_option,
    language,
    refusing_bad_input,
    report_format_option,
)
from lingtan.efficiency.grading import Grade, grade_many
from lingtan.efficiency.measures import STATUSES
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
    Column("type", "equipment type", names="efficiency.type"),
    Column("level", names="efficiency.level"),
    Column("threshold"),
    Column("standard"),
    Column("status", names="factor.status"),
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
    Column("type", "equipment type", names="efficiency.type"),
    Column("in_force", "in force from"),
    Column("rows", digits=0),
    Column("official_rows", "official", 0),
    Column("unverified_rows", "unverified", 0),
    Column("title_en", "title"),
)


@click.group("efficiency")
def efficiency() -> None:
    """Energy efficiency: grade an equipment register against the standards pack (GB 18613,
    GB 20052, GB 19153, GB 24500 …) and estimate what grade-1 replacements save; place
    unit-product energy against quotas and benchmark levels; fit energy baselines and measure
    savings."""


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


# --- Unit-product energy: ``position`` and ``products`` -----------------------------------------

_POSITION_COLUMNS = (
    Column("product"),
    Column("scale", names="efficiency.scale"),
    Column("standard"),
    Column("metric"),
    Column("value", digits=3),
    Column("unit"),
    Column("level", names="efficiency.level"),
    Column("reached", "reached level"),
    Column("next", "next level"),
    Column("gap", digits=3),
    Column("gap_unit", "gap unit"),
    Column("gap_pct", "gap %", 2),
    Column("status", names="factor.status"),
    Column("reason"),
)

_PRODUCTS_COLUMNS = (
    Column("product"),
    Column("standards_product", "standards product"),
    Column("production", digits=3),
    Column("production_unit", "output unit"),
    Column("value", "unit-product energy", 3),
    Column("unit"),
    Column("scale", names="efficiency.scale"),
    Column("standard"),
    Column("level", names="efficiency.level"),
    Column("reached", "reached level"),
    Column("next", "next level"),
    Column("gap", digits=3),
    Column("gap_pct", "gap %", 2),
    Column("status", names="factor.status"),
    Column("reason"),
)


def _translator(lang: str) -> Any:
    """A text of the models in ``lang`` (:func:`lingtan.cli.common.message`)."""
    from lingtan.cli.common import message

    return lambda text: message(text, lang)


def _threshold_label(row: Threshold | None) -> str | None:
    if row is None or row.value is None:
        return None
    unit = "" if row.unit in ("", "1") else f" {row.unit}"
    op = "≥" if row.higher_is_better else "≤"
    return f"{row.grade} ({op} {row.value:g}{unit})"


def _position_rows(judged: Any, translate: Any) -> list[dict[str, Any]]:
    """One row per ladder of a Position (one row with its reason when it has none)."""
    if not judged.ladders:
        return [
            {
                "product": judged.product,
                "value": judged.value,
                "unit": judged.unit,
                "level": str(judged.level),
                "reason": translate(judged.reason),
            }
        ]
    return [
        {
            "product": judged.product,
            "scale": ladder.scale,
            "standard": ladder.standard,
            "metric": ladder.metric,
            "value": ladder.value,
            "unit": ladder.unit,
            "level": str(ladder.level),
            "reached": _threshold_label(ladder.reached),
            "next": _threshold_label(ladder.next_better),
            "gap": ladder.gap,
            "gap_unit": judged.unit,
            "gap_pct": ladder.gap_pct,
            "status": ladder.status,
            "reason": translate(ladder.reason),
        }
        for ladder in judged.ladders
    ]


@efficiency.command("position")
@click.option(
    "--product",
    required=True,
    help="The product of the standards pack (ferrosilicon, cement_clinker …; an unknown one "
    "is out of scope and the known ones are listed).",
)
@click.option("--value", required=True, type=float, help="The unit-product energy.")
@click.option("--unit", required=True, help="Its unit: kgce/t, tce/t, kWh/t, MWh/t …")
@click.option("--metric", help="The standards metric, where several take the unit.")
@click.option(
    "--standards",
    "custom",
    type=click.Path(dir_okay=False),
    help="Use the tables of this CSV file (a company's own quotas) instead of the shipped ones.",
)
@format_option
@refusing_bad_input
def efficiency_position(
    product: str, value: float, unit: str, metric: str | None, custom: str | None, output: str
) -> None:
    """Place a unit-product energy figure on the quota grades and the NDRC benchmark and
    baseline levels of its product: the level reached, the gap to the next better one, the
    rows used."""
    from lingtan.efficiency.products import position

    tables = read_standards_file(custom) if custom else None
    judged = position(product, value, unit, standards=tables, metric=metric, where="--value/--unit")
    rows = _position_rows(judged, _translator(language()))
    emit(rows, _POSITION_COLUMNS, output, document=judged.as_dict())


@efficiency.command("products")
@click.option("--facility", help="Facility code (optional when there is only one).")
@click.option("--year", type=int, required=True, help="Calendar year (local days).")
@click.option(
    "--map",
    "pairs",
    multiple=True,
    metavar="PRODUCT=STANDARDS_PRODUCT",
    help="Which standards product a facility product is, e.g. P1=ferrosilicon (repeatable).",
)
@click.option(
    "--standards",
    "custom",
    type=click.Path(dir_okay=False),
    help="Use the tables of this CSV file (a company's own quotas) instead of the shipped ones.",
)
@format_option
@click.pass_context
@refusing_bad_input
def efficiency_products(
    ctx: click.Context,
    facility: str | None,
    year: int,
    pairs: tuple[str, ...],
    custom: str | None,
    output: str,
) -> None:
    """Each product's unit-product energy of a year from the meters and production records,
    placed on the quota grades and the NDRC benchmark and baseline levels."""
    from lingtan.cli.common import open_store
    from lingtan.imports.load import facility_by_code
    from lingtan.services.efficiency_products import parse_mapping, product_positions

    mapping = parse_mapping(pairs)
    tables = read_standards_file(custom) if custom else None
    with open_store(ctx) as (session, _):
        code = facility_by_code(session, facility).code
        result = product_positions(session, code, year, mapping, standards=tables)
    translate = _translator(language())
    rows = []
    for figure in result.figures:
        for row in _position_rows(figure.position, translate):
            rows.append(
                {
                    **row,
                    "product": figure.product,
                    "standards_product": figure.standards_product,
                    "production": figure.production,
                    "production_unit": figure.production_unit,
                    "value": figure.value,
                    "unit": figure.unit,
                }
            )
    emit(rows, _PRODUCTS_COLUMNS, output, document=result.as_dict())
    if output != "json":
        for note in result.notes:
            click.echo(translate(note), err=output == "csv")


# --- Energy baselines: ``baseline`` -----------------------------------------------------------

#: The header of the date column of a baseline file (the first that is present).
_DATE_COLUMNS = ("date", "day", "period", "日期")
#: The header of the daily mean outdoor temperature [degC].
_TEMPERATURE_COLUMNS = ("temperature_c", "温度")

_BASELINE_COLUMNS = (
    Column("figure"),
    Column("value"),
    Column("unit"),
    Column("p_value", "p-value"),
    Column("limit"),
    Column("passed"),
    Column("reason"),
)

_PERIOD_COLUMNS = (
    Column("period_start", "period"),
    Column("actual", digits=3),
    Column("expected", digits=3),
    Column("difference", "actual - expected", 3),
    Column("cusum", "CUSUM", 3),
)


@dataclass(frozen=True)
class _Series:
    """A baseline file's columns: the days, the energy and the variables."""

    where: str
    days: Any
    energy_column: str
    energy: Any
    temperature: Any
    variables: dict[str, Any]


def _read_series(path: str, *, columns: _Series | None = None) -> _Series:
    """Read a daily CSV: a date column, one energy column (``energy`` or ``energy_<unit>``), an
    optional ``temperature_c`` and the variables (every other column). With ``columns`` (the
    baseline file's), the same energy, temperature and variable columns are required."""
    import csv
    from datetime import date as date_type

    import numpy as np

    from lingtan.errors import InputError, InputProblem, Problems, read_text_file
    from lingtan.i18n import Message

    where = path
    text = read_text_file(path)
    reader = csv.reader(text.splitlines())
    header = [h.strip() for h in next(reader, [])]
    if not any(header):
        raise InputError(
            InputProblem(where, "header", None, Message("the file has no header row")),
            origin=where,
        )

    def pick(options: tuple[str, ...]) -> str | None:
        return next((h for h in header if h.lower() in options), None)

    date_column = pick(_DATE_COLUMNS)
    energy_columns = [h for h in header if h.lower() == "energy" or h.lower().startswith("energy_")]
    temperature_column = pick(_TEMPERATURE_COLUMNS)
    problems = Problems()
    if date_column is None:
        problems.append(
            InputProblem(where, "date", None, Message("a date column is required (date)"))
        )
    if len(energy_columns) != 1:
        problems.append(
            InputProblem(
                where,
                "energy",
                ", ".join(energy_columns) or None,
                Message("exactly one energy column is required (energy or energy_<unit>)"),
            )
        )
    duplicated = sorted({h for h in header if header.count(h) > 1})
    if duplicated:
        problems.append(
            InputProblem(where, duplicated[0], None, Message("is a column twice in the header"))
        )
    if problems:
        raise InputError(problems, origin=where)
    assert date_column is not None
    energy_column = energy_columns[0]
    variables = [
        h for h in header if h and h not in (date_column, energy_column, temperature_column)
    ]
    if columns is not None:
        wanted = [columns.energy_column, *columns.variables]
        if columns.temperature is not None:
            wanted.append(temperature_column or "temperature_c")
        missing = [c for c in wanted if c not in header]
        if missing:
            raise InputError(
                InputProblem(
                    where,
                    ", ".join(missing),
                    None,
                    Message("the baseline file has these columns: the reporting file needs them"),
                ),
                origin=where,
            )
        variables = list(columns.variables)
    index = {h: i for i, h in enumerate(header)}
    days: list[Any] = []
    numbers: dict[str, list[float]] = {c: [] for c in (energy_column, *variables)}
    if temperature_column is not None:
        numbers[temperature_column] = []
    previous: tuple[Any, int] | None = None
    for number, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        row_where = Message("%(file)s row %(row)d", file=where, row=number)
        if len(cells) != len(header):
            problems.append(
                InputProblem(
                    row_where,
                    "row",
                    len(cells),
                    Message(
                        "has %(count)d cells, the header %(columns)d",
                        count=len(cells),
                        columns=len(header),
                    ),
                )
            )
            continue

        def cell(column: str, cells: list[str] = cells) -> str:
            i = index[column]
            return cells[i].strip() if i < len(cells) else ""

        raw = cell(date_column)
        try:
            day = date_type.fromisoformat(raw)
        except ValueError:
            problems.append(
                InputProblem(
                    row_where, date_column, raw or None, Message("must be a date YYYY-MM-DD")
                )
            )
            day = None
        if day is not None:
            if previous is not None and day <= previous[0]:
                problems.append(
                    InputProblem(
                        row_where,
                        date_column,
                        raw,
                        Message(
                            "must come after %(day)s of row %(row)d (days ascending, no repeats)",
                            day=previous[0].isoformat(),
                            row=previous[1],
                        ),
                    )
                )
            previous = (day, number)
        days.append(day)
        for column, values in numbers.items():
            raw = cell(column)
            if not raw:
                values.append(float("nan"))  # a missing value: the day is left out
                continue
            try:
                value = float(raw)
            except ValueError:
                value = float("nan")
                problems.append(
                    InputProblem(row_where, column, raw, Message("must be a finite number"))
                )
            else:
                if not math.isfinite(value):
                    problems.append(
                        InputProblem(row_where, column, raw, Message("must be a finite number"))
                    )
            values.append(value)
    if not days and not problems:
        problems.append(InputProblem(where, "rows", None, Message("the file has no data rows")))
    if problems:
        raise InputError(problems, origin=where)
    return _Series(
        where,
        np.array(days, dtype="datetime64[D]"),
        energy_column,
        np.array(numbers[energy_column]),
        None if temperature_column is None else np.array(numbers[temperature_column]),
        {v: np.array(numbers[v]) for v in variables},
    )


_UNIT_SUFFIXES = {"kwh": "kWh", "mwh": "MWh", "gj": "GJ", "mj": "MJ", "nm3": "Nm3"}


def _energy_unit(column: str) -> str:
    """``energy_kwh`` → ``kWh`` (the suffix names the unit, as everywhere in lingtan)."""
    suffix = column.partition("_")[2]
    return _UNIT_SUFFIXES.get(suffix.lower(), suffix)


def _num(value: Any) -> Any:
    """A figure for JSON/CSV: a plain float, None for NaN."""
    if value is None or isinstance(value, bool | str):
        return value
    number = float(value)
    return None if not math.isfinite(number) else number


def _figure_rows(base: Any, unit: str, translate: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = [
        {"figure": "model", "value": base.model},
        {"figure": "period", "value": base.period},
        {"figure": "n", "value": base.n},
        {"figure": "parameters", "value": base.parameters},
        {"figure": "days_left_out", "value": base.days_left_out},
    ]
    for name, value in (
        ("heating_change_point_c", base.heating_change_point_c),
        ("cooling_change_point_c", base.cooling_change_point_c),
    ):
        if value is not None:
            rows.append({"figure": name, "value": _num(value), "unit": "degC"})
    for name, value in base.coefficients.items():
        rows.append(
            {
                "figure": f"coefficient:{name}",
                "value": _num(value),
                "p_value": _num(base.p_values.get(name)),
            }
        )
    rows += [
        {"figure": "r2", "value": _num(base.r2)},
        {"figure": "adjusted_r2", "value": _num(base.adjusted_r2)},
        {"figure": "f_test_p", "value": _num(base.f_test_p)},
        {"figure": "cv_rmse_pct", "value": _num(base.cv_rmse_pct), "unit": "%"},
        {"figure": "nmbe_pct", "value": _num(base.nmbe_pct), "unit": "%"},
        {"figure": "residual_autocorrelation", "value": _num(base.residual_autocorrelation)},
        {"figure": "mean_energy", "value": _num(base.mean_energy), "unit": unit},
    ]
    for check in base.checks:
        rows.append(
            {
                "figure": f"check:{check.name}",
                "value": _num(check.value),
                "limit": _num(check.limit),
                "passed": check.passed,
                "reason": None if check.passed or check.reason is None else translate(check.reason),
            }
        )
    rows.append({"figure": "valid", "value": base.valid})
    return rows


def _savings_rows(saved: Any, normalised: Any, unit: str, translate: Any) -> list[dict[str, Any]]:
    actual, expected = float(saved.actual.sum()), float(saved.expected.sum())
    rows = [
        {"figure": "reporting_periods", "value": int(saved.actual.size)},
        {"figure": "actual_energy", "value": actual, "unit": unit},
        {"figure": "expected_energy", "value": expected, "unit": unit},
        {"figure": "avoided_energy", "value": _num(saved.savings), "unit": unit},
        {"figure": "savings_fraction_pct", "value": _num(100 * saved.savings_fraction),
         "unit": "%"},
        {"figure": "enpi_regression", "value": _num(saved.enpi)},
        {"figure": "cusum_end", "value": _num(saved.cusum[-1]) if saved.cusum.size else None,
         "unit": unit},
        {"figure": "savings_uncertainty_pct", "value": _num(100 * saved.uncertainty_fraction),
         "unit": "%"},
        {"figure": "savings_uncertainty", "value": _num(saved.uncertainty), "unit": unit},
        {"figure": "confidence_pct", "value": _num(100 * saved.confidence), "unit": "%"},
        {"figure": "autocorrelation_applied", "value": saved.autocorrelation_applied},
    ]  # fmt: skip
    value, reason = normalised
    rows.append(
        {
            "figure": "normalised_savings",
            "value": _num(value),
            "unit": unit,
            "reason": None if reason is None else translate(reason),
        }
    )
    return rows


def _shown(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The table's text of each figure: 6 significant digits (JSON and CSV keep them all)."""

    def text(value: Any) -> Any:
        if isinstance(value, float):
            return f"{value:.6g}"
        return value

    return [{k: text(v) for k, v in row.items()} for row in rows]


def _refuse_baseline(error: Any, unit: str, lang: str) -> None:
    """An invalid model or data that make none: the reasons and, where there is a model, its
    figures on stderr; exit status 2."""
    from lingtan.cli.common import console, table_of

    translate = _translator(lang)
    click.echo(translate(error.message), err=True)
    if error.baseline is not None:
        rows = _figure_rows(error.baseline, unit, translate)
        console(stderr=True).print(table_of(_shown(rows), _BASELINE_COLUMNS))
    sys.exit(2)


def _normalised(base: Any, series: _Series, reporting: _Series, options: dict[str, Any]) -> tuple:
    """Normalised savings at the baseline period's conditions, with the reporting period's
    model of the same form (None with the reason where there is no such model)."""
    from lingtan.efficiency.baseline import BaselineError, fit_baseline, normalised_savings

    weather = base.model != "production"
    try:
        model = fit_baseline(
            days=reporting.days,
            energy=reporting.energy,
            production=reporting.variables,
            temperature_c=reporting.temperature if weather else None,
            model=base.model,
            require_valid=True,
            **options,
        )
        saved, _, _ = normalised_savings(
            base,
            model,
            days=series.days,
            production=series.variables,
            temperature_c=series.temperature if weather else None,
        )
    except BaselineError as error:
        return None, error.message
    return saved, None


@efficiency.command("baseline")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "--reporting",
    type=click.Path(dir_okay=False),
    help="A reporting period's file (the same columns): expected energy, CUSUM, avoided "
    "energy, normalised savings and the savings uncertainty.",
)
@click.option(
    "--model",
    type=click.Choice(("auto", "production", "hdd_cdd", "3p_heating", "3p_cooling", "4p", "5p")),
    default="auto",
    show_default=True,
    help="The model; auto without a temperature column is production.",
)
@click.option(
    "--period",
    type=click.Choice(("daily", "weekly", "monthly")),
    default="daily",
    show_default=True,
    help="The model's points: the days summed over ISO weeks or calendar months.",
)
@click.option(
    "--hdd-base", "hdd_base_c", type=float, help="Heating degree-day base [degC] (hdd_cdd)."
)
@click.option(
    "--cdd-base", "cdd_base_c", type=float, help="Cooling degree-day base [degC] (hdd_cdd)."
)
@click.option(
    "--confidence",
    type=click.FloatRange(0.5, 0.999),
    default=0.90,
    show_default=True,
    help="Confidence level of the fractional savings uncertainty.",
)
@click.option(
    "--periods", is_flag=True, help="List the reporting periods (actual, expected, CUSUM)."
)
@format_option
@refusing_bad_input
def efficiency_baseline(
    file: str,
    reporting: str | None,
    model: str,
    period: str,
    hdd_base_c: float | None,
    cdd_base_c: float | None,
    confidence: float,
    periods: bool,
    output: str,
) -> None:
    """Fit an energy baseline to a daily CSV (date, energy, production, temperature) and check
    it (CV(RMSE), NMBE, R², p-values); with a reporting file, the savings and their
    uncertainty."""
    from lingtan.efficiency.baseline import BaselineError, avoided_energy, fit_baseline

    lang = language()
    translate = _translator(lang)
    series = _read_series(file)
    later = _read_series(reporting, columns=series) if reporting else None
    if periods and later is None:
        raise click.UsageError("--periods lists the periods of --reporting FILE")
    unit = _energy_unit(series.energy_column)
    if model == "auto" and series.temperature is None:
        model = "production"
    weather = model != "production"
    options = {"period": period, "hdd_base_c": hdd_base_c, "cdd_base_c": cdd_base_c}
    try:
        base = fit_baseline(
            days=series.days,
            energy=series.energy,
            production=series.variables,
            temperature_c=series.temperature if weather else None,
            model=model,
            **options,
        )
        saved = None
        if later is not None:
            saved = avoided_energy(
                base,
                days=later.days,
                energy=later.energy,
                production=later.variables,
                temperature_c=later.temperature if weather else None,
                confidence=confidence,
            )
    except BaselineError as error:
        _refuse_baseline(error, unit, lang)
        return
    rows = _figure_rows(base, unit, translate)
    document: dict[str, Any] = {
        "file": file,
        "energy_unit": unit or None,
        "baseline": base.as_dict(),
    }
    if saved is not None and later is not None:
        normalised = _normalised(base, series, later, options)
        rows += _savings_rows(saved, normalised, unit, translate)
        document["reporting"] = {
            "file": reporting,
            **{r["figure"]: r["value"] for r in _savings_rows(saved, normalised, unit, str)},
            "normalised_savings_reason": None if normalised[1] is None else str(normalised[1]),
            "periods": _period_rows(saved),
        }
    if periods and saved is not None:
        emit(_period_rows(saved), _PERIOD_COLUMNS, output, document=document)
        return
    emit(_shown(rows) if output == "table" else rows, _BASELINE_COLUMNS, output, document=document)


def _period_rows(saved: Any) -> list[dict[str, Any]]:
    return [
        {
            "period_start": str(start),
            "actual": float(a),
            "expected": float(e),
            "difference": float(a - e),
            "cusum": float(c),
        }
        for start, a, e, c in zip(
            saved.period_starts, saved.actual, saved.expected, saved.cusum, strict=True
        )
    ]


# --- Energy-saving measures and the diagnosis report ------------------------------------------

_MEASURE_COLUMNS = (
    Column("rank", digits=0),
    Column("code", "measure"),
    Column("kind", names="efficiency.measure_kind"),
    Column("status", names="efficiency.measure_status"),
    Column("node"),
    Column("energy_type", "energy type", names="energy.type"),
    Column("saved_per_year", "saved /yr", 0),
    Column("unit"),
    Column("energy_saved_tce_per_year", "saved tce/yr", 2),
    Column("emissions_saved_tco2_per_year", "saved tCO2/yr", 2),
    Column("cost_saved_cny_per_year", "saved CNY/yr", 0),
    Column("investment_cny", "investment CNY", 0),
    Column("payback_years", "payback years", 1),
    Column("title"),
)


@efficiency.command("measures")
@click.option("--facility", help="Facility code (optional when there is only one).")
@click.option("--year", type=int, required=True, help="The year of the figures.")
@click.option(
    "--find",
    is_flag=True,
    help="First apply the rules to the year and store what they find (equipment renewal; "
    "standby load of the nodes given --working-hours).",
)
@click.option(
    "--working-hours",
    "hours",
    multiple=True,
    metavar="NODE=SPEC",
    help="With --find: a node's working hours, e.g. office='Mon-Sat 08:00-18:00' (repeatable).",
)
@format_option
@click.pass_context
@refusing_bad_input
def efficiency_measures(
    ctx: click.Context, facility: str | None, year: int, find: bool, hours: tuple[str, ...],
    output: str,
) -> None:  # fmt: skip
    """The facility's energy-saving measures with their yearly kWh, tce, tCO2, CNY and
    payback, ranked by payback."""
    from lingtan.cli.common import actor, open_store
    from lingtan.errors import InputError, InputProblem
    from lingtan.i18n import Message
    from lingtan.imports.load import facility_by_code
    from lingtan.services.efficiency_measures import facility_measures, find_measures

    working = {}
    for pair in hours:
        node, sep, spec = pair.partition("=")
        if not sep or not node.strip():
            rule = Message("must be NODE=SPEC, e.g. office='Mon-Sat 08:00-18:00'")
            raise InputError(InputProblem("--working-hours", "working_hours", pair, rule))
        working[node.strip()] = spec
    with open_store(ctx) as (session, _):
        site = facility_by_code(session, facility)
        if find:
            find_measures(session, site, year, working_hours=working, actor=actor())
        measures = facility_measures(session, site, year=year)
    translate = _translator(language())
    rows = [{**m, "rank": i, "basis": translate(m["basis"])} for i, m in enumerate(measures, 1)]
    document = [
        {**{k: v for k, v in m.items() if k != "details"}, "rank": i, "basis": str(m["basis"]),
         **{k: m[k].isoformat() if m[k] else None
            for k in ("done_on", "baseline_start", "baseline_end")}}
        for i, m in enumerate(measures, 1)
    ]  # fmt: skip
    emit(rows, _MEASURE_COLUMNS, output, document=document)


@efficiency.command("measure-status")
@click.argument("code")
@click.argument("status", type=click.Choice(STATUSES))
@click.option("--facility", help="Facility code (optional when there is only one).")
@click.option(
    "--done-on",
    type=click.DateTime(["%Y-%m-%d"]),
    help="The day the measure was done (required for done).",
)
@click.option("--reason", default="", help="Why the status changes (kept in the audit log).")
@click.pass_context
@refusing_bad_input
def efficiency_measure_status(
    ctx: click.Context, code: str, status: str, facility: str | None, done_on: Any, reason: str
) -> None:
    """Change the status of the stored measure CODE to STATUS, one step of the workflow:
    found to planned, planned to done or back to found, done back to planned."""
    from lingtan.cli.common import actor, name_of, open_store, say
    from lingtan.i18n import Message
    from lingtan.imports.load import facility_by_code
    from lingtan.services.efficiency_measures import change_status

    with open_store(ctx) as (session, _):
        site = facility_by_code(session, facility)
        day = done_on.date() if done_on else None
        done = change_status(session, site, code, status, actor=actor(), done_on=day, reason=reason)
    lang = language()
    say(
        Message(
            "measure %(code)s: %(before)s → %(after)s (audit log)",
            code=code,
            before=name_of("efficiency.measure_status", done["before"]["status"], lang),
            after=name_of("efficiency.measure_status", done["after"]["status"], lang),
        )
    )


@efficiency.command("diagnosis")
@click.option("--facility", help="Facility code (optional when there is only one).")
@click.option("--year", type=int, required=True, help="The year of the diagnosis.")
@report_format_option
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    help="The file to write (default: diagnosis-CODE-YEAR-LANG.FORMAT here).",
)
@click.option(
    "--map",
    "pairs",
    multiple=True,
    metavar="PRODUCT=STANDARDS_PRODUCT",
    help="Which standards product a facility product is, e.g. P1=ferrosilicon (repeatable).",
)
@click.pass_context
@refusing_bad_input
def efficiency_diagnosis(
    ctx: click.Context, facility: str | None, year: int, fmt: str, out: str | None,
    pairs: tuple[str, ...],
) -> None:  # fmt: skip
    """Write the energy-saving diagnosis report (节能诊断) of a facility and year: energy use
    and structure, unit-product positions, equipment grades, EnPI and CUSUM against the
    baselines, the measures ranked by payback; in the command line's language."""
    from pathlib import Path

    from lingtan.cli.common import open_store
    from lingtan.imports.load import facility_by_code
    from lingtan.reports import check_font
    from lingtan.reports.diagnosis import (
        diagnosis_filename,
        render_diagnosis_html,
        render_diagnosis_pdf,
        render_diagnosis_xlsx,
    )
    from lingtan.services.diagnosis import diagnosis_data
    from lingtan.services.efficiency_products import parse_mapping

    mapping = parse_mapping(pairs)
    check_font([fmt])
    with open_store(ctx) as (session, _):
        data = diagnosis_data(session, facility_by_code(session, facility), year, mapping=mapping)
    lang = language()
    if fmt == "html":
        content = render_diagnosis_html(data, lang).encode("utf-8")
    elif fmt == "pdf":
        content = render_diagnosis_pdf(data, lang)
    else:
        content = render_diagnosis_xlsx(data, lang)
    path = Path(out or diagnosis_filename(data, lang, fmt))
    path.write_bytes(content)
    click.echo(f"{path}: {len(content):,} bytes")
