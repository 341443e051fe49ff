"""``lingtan efficiency baseline`` on small generated CSV files: the figures it prints are the
library's (lingtan.efficiency.baseline) on the same numbers, the savings add up by hand, and
bad files and invalid models are refused with exit status 2."""

import csv
import io
import json

import numpy as np
import pytest
from click.testing import CliRunner

from lingtan.cli.main import main
from lingtan.efficiency import baseline as bl


def _year(start, end, seed, saving=0.0, *, noise=15.0, related=True):
    """Days, a steel plant's energy [kWh], output [t] and temperature [degC]: heating below
    12 degC, cooling above 22 degC (as in docs/efficiency.md)."""
    rng = np.random.default_rng(seed)
    days = np.arange(start, end, dtype="datetime64[D]")
    doy = np.arange(days.size)
    t = 16 - 12 * np.cos(2 * np.pi * (doy - 15) / 365) + rng.normal(0, 3, days.size)
    steel = rng.uniform(50, 100, days.size)
    energy = 200 + 8 * np.maximum(12 - t, 0) + 12 * np.maximum(t - 22, 0)
    energy = energy + (3 * steel if related else 0) + rng.normal(0, noise, days.size) - saving
    return days, energy, steel, t


def _write(path, days, energy, steel, t=None, *, energy_column="energy_kwh"):
    header = ["date", energy_column, "steel_t"] + (["temperature_c"] if t is not None else [])
    lines = [",".join(header)]
    for i, day in enumerate(days):
        cells = [str(day), repr(float(energy[i])), repr(float(steel[i]))]
        if t is not None:
            cells.append(repr(float(t[i])))
        lines.append(",".join(cells))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _run(*args, env=None):
    return CliRunner().invoke(main, ["efficiency", "baseline", *map(str, args)], env=env)


@pytest.fixture
def files(tmp_path):
    base = _year("2023-01-01", "2024-01-01", 7)
    report = _year("2024-01-01", "2025-01-01", 8, saving=40.0)
    return (
        base,
        report,
        _write(tmp_path / "base.csv", *base),
        _write(tmp_path / "report.csv", *report),
    )


def test_the_baseline_figures_are_the_librarys(files):
    (days, energy, steel, t), _, base_csv, _ = files
    result = _run(base_csv, "--format", "json")
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed["energy_unit"] == "kWh"
    expected = bl.fit_baseline(
        days=days, energy=energy, production={"steel_t": steel}, temperature_c=t, model="auto"
    )
    figures = printed["baseline"]
    assert figures["model"] == expected.model == "5p"
    assert figures["coefficients"] == pytest.approx(expected.coefficients, rel=1e-12)
    assert figures["p_values"] == pytest.approx(expected.p_values, rel=1e-9)
    for key in ("cv_rmse_pct", "r2", "adjusted_r2", "f_test_p", "n", "parameters"):
        assert figures[key] == pytest.approx(getattr(expected, key), rel=1e-9), key
    assert abs(figures["nmbe_pct"]) < 1e-9 and figures["valid"] is True
    # CV(RMSE) by hand from the library's fitted values: 100 sqrt(SSE / (n - p)) / mean
    residual = expected.actual - expected.fitted
    by_hand = 100 * np.sqrt((residual**2).sum() / (expected.n - expected.parameters))
    assert figures["cv_rmse_pct"] == pytest.approx(by_hand / energy.mean(), rel=1e-9)
    names = [c["name"] for c in figures["checks"]]
    assert {"points", "cv_rmse_pct", "nmbe_pct", "r2", "f_test_p", "best_p_value"} <= set(names)


def test_reporting_savings_cusum_and_uncertainty_are_the_librarys(files):
    (days, energy, steel, t), (rdays, renergy, rsteel, rt), base_csv, report_csv = files
    result = _run(base_csv, "--reporting", report_csv, "--format", "json")
    assert result.exit_code == 0, result.output
    reporting = json.loads(result.stdout)["reporting"]
    base = bl.fit_baseline(days=days, energy=energy, production={"steel_t": steel}, temperature_c=t)
    saved = bl.avoided_energy(
        base, days=rdays, energy=renergy, production={"steel_t": rsteel}, temperature_c=rt
    )
    assert reporting["avoided_energy"] == pytest.approx(saved.savings, rel=1e-12)
    assert reporting["savings_uncertainty_pct"] == pytest.approx(
        100 * saved.uncertainty_fraction, rel=1e-12
    )
    assert reporting["enpi_regression"] == pytest.approx(saved.enpi, rel=1e-12)
    periods = reporting["periods"]
    assert len(periods) == 366 == reporting["reporting_periods"]
    # by hand: the avoided energy is Σ(expected − actual), the CUSUM's last value its negative
    assert sum(p["expected"] - p["actual"] for p in periods) == pytest.approx(saved.savings)
    assert periods[-1]["cusum"] == pytest.approx(-saved.savings)
    assert reporting["cusum_end"] == pytest.approx(-saved.savings)
    # about 40 kWh/day were saved (366 days): within the uncertainty band plus noise
    assert saved.savings == pytest.approx(40 * 366, rel=0.1)
    # normalised savings: the reporting year's model of the same form, at the baseline's days
    model = bl.fit_baseline(
        days=rdays, energy=renergy, production={"steel_t": rsteel}, temperature_c=rt,
        model=base.model,
    )  # fmt: skip
    normalised, _, _ = bl.normalised_savings(
        base, model, days=days, production={"steel_t": steel}, temperature_c=t
    )
    assert reporting["normalised_savings"] == pytest.approx(normalised, rel=1e-9)
    assert reporting["normalised_savings_reason"] is None

    listed = _run(base_csv, "--reporting", report_csv, "--periods", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(listed.stdout)))
    assert len(rows) == 366 and float(rows[-1]["cusum"]) == pytest.approx(-saved.savings)
    table = _run(base_csv, "--reporting", report_csv, env={"LINGTAN_LANG": "zh-CN"})
    assert table.exit_code == 0 and "avoided_energy" in table.stdout and "限值" in table.stdout


def test_a_short_reporting_period_gives_savings_but_no_normalised_savings(files, tmp_path):
    _, (rdays, renergy, rsteel, rt), base_csv, _ = files
    half = _write(tmp_path / "half.csv", rdays[:182], renergy[:182], rsteel[:182], rt[:182])
    result = _run(base_csv, "--reporting", half, "--format", "json")
    assert result.exit_code == 0, result.output
    reporting = json.loads(result.stdout)["reporting"]
    assert reporting["reporting_periods"] == 182 and reporting["avoided_energy"] > 0
    assert reporting["normalised_savings"] is None
    assert "too few points" in reporting["normalised_savings_reason"]


def test_a_production_model_without_temperature(tmp_path):
    days, energy, steel, _ = _year("2023-01-01", "2024-01-01", 3)
    path = _write(tmp_path / "plain.csv", days, energy, steel)
    result = _run(path, "--format", "json")
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)["baseline"]
    expected = bl.fit_baseline(
        days=days, energy=energy, production={"steel_t": steel}, model="production",
        require_valid=False,
    )  # fmt: skip
    assert figures["model"] == "production"
    assert figures["coefficients"] == pytest.approx(expected.coefficients, rel=1e-12)


def test_an_invalid_model_is_refused_with_its_figures(tmp_path):
    # energy unrelated to the output and no weather: R² ≈ 0
    days, energy, steel, _ = _year("2023-01-01", "2024-01-01", 5, related=False, noise=150)
    path = _write(tmp_path / "bad.csv", days, energy, steel)
    result = _run(path, "--model", "production")
    assert result.exit_code == 2 and not result.stdout
    assert "the baseline is refused" in result.stderr and "R²" in result.stderr
    assert "check:r2" in result.stderr and "cv_rmse_pct" in result.stderr
    chinese = _run(path, "--model", "production", env={"LINGTAN_LANG": "zh-CN"})
    assert chinese.exit_code == 2 and "基准" in chinese.stderr


def test_too_few_points_is_refused_with_the_counts(tmp_path):
    days, energy, steel, t = _year("2023-01-01", "2023-03-02", 1)  # 60 days
    path = _write(tmp_path / "short.csv", days, energy, steel, t)
    result = _run(path)
    assert result.exit_code == 2 and not result.stdout
    assert "too few points for the baseline: 60, at least 328 needed" in result.stderr


@pytest.mark.parametrize(
    ("text", "row", "column", "value", "rule"),
    [
        ("date,energy_kwh,steel_t\n2023-01-01,1,2\n2023-13-01,1,2\n", 3, "date",
         "2023-13-01", "must be a date YYYY-MM-DD"),
        ("date,energy_kwh,steel_t\n2023-01-01,1,2\n2023-01-02,lots,2\n", 3, "energy_kwh",
         "lots", "must be a finite number"),
        ("date,energy_kwh,steel_t\n2023-01-02,1,2\n2023-01-01,1,2\n", 3, "date",
         "2023-01-01", "must come after 2023-01-02 of row 2"),
        ("date,energy_kwh,steel_t\n2023-01-01,1,inf\n", 2, "steel_t", "inf",
         "must be a finite number"),
        ("date,energy_kwh,steel_t\n2023-01-01,1\n", 2, "row", 2,
         "has 2 cells, the header 3"),
    ],
)  # fmt: skip
def test_a_bad_cell_is_refused_naming_file_row_column_value_and_rule(
    tmp_path, text, row, column, value, rule
):
    path = tmp_path / "cells.csv"
    path.write_text(text, encoding="utf-8")
    result = _run(path)
    assert result.exit_code == 2 and not result.stdout
    assert f"{path} row {row}" in result.stderr
    assert f"field {column!r} = {value!r}" in result.stderr and rule in result.stderr


def test_bad_files_are_refused(tmp_path, files):
    missing = _run(tmp_path / "nope.csv")
    assert missing.exit_code == 2 and "cannot be read" in missing.stderr
    two = tmp_path / "two.csv"
    two.write_text("date,energy_kwh,energy_gj\n2023-01-01,1,2\n", encoding="utf-8")
    refused = _run(two)
    assert refused.exit_code == 2 and "exactly one energy column" in refused.stderr
    no_date = tmp_path / "no-date.csv"
    no_date.write_text("energy\n1\n", encoding="utf-8")
    assert "a date column is required" in _run(no_date).stderr
    # the reporting file lacks the baseline's variable
    _, _, base_csv, _ = files
    lacking = tmp_path / "lacking.csv"
    lacking.write_text("date,energy_kwh,temperature_c\n2024-01-01,1,2\n", encoding="utf-8")
    result = _run(base_csv, "--reporting", lacking)
    assert result.exit_code == 2 and "steel_t" in result.stderr and not result.stdout
    chinese = _run(two, env={"LINGTAN_LANG": "zh-CN"})
    assert "必须有且仅有一个能耗列" in chinese.stderr
