"""Energy baselines, their validity checks, EnPI, CUSUM and savings (lingtan.efficiency).

The figures are checked against hand computations from raw arrays in the test (ASHRAE 14
formulas written out with numpy) and against an independent fit: a brute-force loop over the
same change points with ``numpy.linalg.lstsq`` and statsmodels on a design built here.
OpenEEmeter's ``eemeter`` 4.1.1 installs from PyPI but does not run with pandas 3 (its daily
data class compares a pandas ``Day`` offset with a ``Timedelta``), so it is not the peer here.
"""

from __future__ import annotations

import io
import json
import math

import numpy as np
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st

from lingtan.efficiency import baseline as bl
from lingtan.efficiency import degree_days as dd
from lingtan.i18n.catalog import texts

DAYS = np.arange("2023-01-01", "2024-01-01", dtype="datetime64[D]")


def factory_year(seed: int = 7, noise_kwh: float = 15.0):
    """A year of a factory: steel output, a seasonal temperature, heating below 12 degC and
    cooling above 22 degC."""
    rng = np.random.default_rng(seed)
    doy = np.arange(DAYS.size)
    temperature = 16 - 12 * np.cos(2 * np.pi * (doy - 15) / 365) + rng.normal(0, 3, DAYS.size)
    steel_t = rng.uniform(50, 100, DAYS.size)
    energy = (
        200
        + 3 * steel_t
        + 8 * np.maximum(12 - temperature, 0)
        + 12 * np.maximum(temperature - 22, 0)
        + rng.normal(0, noise_kwh, DAYS.size)
    )
    return energy, steel_t, temperature


# -- ASHRAE 14 figures by hand -----------------------------------------------------------------


def test_cv_rmse_and_nmbe_equal_the_ashrae_14_formulas_by_hand():
    y = np.array([110.0, 95.0, 130.0, 120.0, 105.0, 140.0])
    y_hat = np.array([100.0, 100.0, 125.0, 125.0, 110.0, 130.0])
    p = 2
    # by hand: residuals 10, -5, 5, -5, -5, 10; SSE 300; sum 10; mean(y) = 700 / 6
    mean = 700 / 6
    assert bl.cv_rmse(y, y_hat, parameters=p) == pytest.approx(100 * math.sqrt(300 / 4) / mean)
    assert bl.nmbe(y, y_hat, parameters=p) == pytest.approx(100 * 10 / (4 * mean))
    assert bl.cv_rmse(y, y_hat, parameters=p) == pytest.approx(7.4231, abs=1e-4)


def test_fractional_savings_uncertainty_equals_the_formula_by_hand():
    # n = 12 months, p = 2, 90 % confidence: t(0.95, 10) = 1.812461 (t table)
    fsu = bl.fractional_savings_uncertainty(
        cv_rmse_pct=8.0, savings_fraction=0.15, n=12, m=12, parameters=2, confidence=0.90
    )
    assert fsu == pytest.approx(
        1.26 * 1.812461 * (0.08 / 0.15) * math.sqrt((1 + 2 / 12) / 12), rel=1e-6
    )
    # autocorrelated daily residuals, rho = 0.5: n' = 365 * 0.5 / 1.5
    n, rho = 365, 0.5
    n_eff = n * (1 - rho) / (1 + rho)
    fsu = bl.fractional_savings_uncertainty(
        cv_rmse_pct=20.0, savings_fraction=0.1, n=n, m=365, parameters=3, autocorrelation=rho
    )
    t_362 = 1.649074  # t(0.95, 362)
    by_hand = 1.26 * t_362 * (0.2 / 0.1) * math.sqrt(n / n_eff * (1 + 2 / n_eff) / 365)
    assert fsu == pytest.approx(by_hand, rel=1e-5)


def test_the_savings_uncertainty_of_a_reporting_year_matches_the_hand_formula():
    energy, steel, temperature = factory_year()
    base = bl.fit_baseline(
        days=DAYS, energy=energy, production={"steel": steel}, temperature_c=temperature, model="5p"
    )
    saved = bl.avoided_energy(
        base,
        days=DAYS,
        energy=energy - 50,
        production={"steel": steel},
        temperature_c=temperature,
    )
    residual = base.actual - base.fitted
    rho = np.corrcoef(residual[1:], residual[:-1])[0, 1]
    n, m, p = 365, 365, base.parameters
    cv = math.sqrt((residual**2).sum() / (n - p)) / energy.mean()
    fraction = 50 * 365 / saved.expected.sum()
    from scipy import stats

    t = stats.t.ppf(0.95, n - p)
    n_eff = n * (1 - max(rho, 0)) / (1 + max(rho, 0))
    by_hand = 1.26 * t * cv / fraction * math.sqrt(n / n_eff * (1 + 2 / n_eff) / m)
    assert saved.savings == pytest.approx(50 * 365, rel=1e-9)
    assert saved.uncertainty_fraction == pytest.approx(by_hand, rel=1e-9)
    assert saved.autocorrelation_applied


# -- the fit against an independent implementation -------------------------------------------


def brute_force_5p(energy, steel, temperature, grid):
    """Every (tau_h < tau_c) pair of ``grid`` fitted with numpy's lstsq; the least SSE among
    positive slopes."""
    best = None
    for i, tau_h in enumerate(grid):
        for tau_c in grid[i + 1 :]:
            x = np.column_stack(
                [
                    np.ones_like(energy),
                    steel,
                    np.maximum(tau_h - temperature, 0),
                    np.maximum(temperature - tau_c, 0),
                ]
            )
            beta, *_ = np.linalg.lstsq(x, energy, rcond=None)
            if beta[2] <= 0 or beta[3] <= 0:
                continue
            sse = ((energy - x @ beta) ** 2).sum()
            if best is None or sse < best[0]:
                best = (sse, tau_h, tau_c, x, beta)
    return best


def test_the_5p_baseline_agrees_with_a_brute_force_numpy_and_statsmodels_fit():
    """Tolerance 1e-8 relative on coefficients, p-values and R²: both sides solve the same
    least-squares problem exactly (this design's condition number is ~1e3, so float64
    round-off is below 1e-12); a looser tolerance would hide a wrong change point, which
    moves the coefficients by percents."""
    energy, steel, temperature = factory_year()
    grid = np.arange(5.0, 28.0, 1.0)
    base = bl.fit_baseline(
        days=DAYS,
        energy=energy,
        production={"steel": steel},
        temperature_c=temperature,
        model="5p",
        balance_points_c=grid,
    )
    sse, tau_h, tau_c, x, beta = brute_force_5p(energy, steel, temperature, grid)
    assert (base.heating_change_point_c, base.cooling_change_point_c) == (tau_h, tau_c)
    assert (tau_h, tau_c) == (12.0, 22.0)  # the truth of the synthetic factory
    ours = [base.coefficients[k] for k in ("intercept", "steel", "hdd", "cdd")]
    np.testing.assert_allclose(ours, beta, rtol=1e-8)
    reference = sm.OLS(energy, x).fit()
    np.testing.assert_allclose(
        [base.p_values[k] for k in ("intercept", "steel", "hdd", "cdd")],
        reference.pvalues,
        rtol=1e-8,
    )
    assert base.r2 == pytest.approx(1 - sse / ((energy - energy.mean()) ** 2).sum(), rel=1e-10)
    assert base.f_test_p == pytest.approx(reference.f_pvalue, rel=1e-6, abs=1e-300)
    assert base.parameters == 6 and base.valid
    assert base.cv_rmse_pct == pytest.approx(100 * math.sqrt(sse / (365 - 6)) / energy.mean())


def test_a_noise_free_factory_gives_back_its_coefficients():
    energy, steel, temperature = factory_year(noise_kwh=0.0)
    base = bl.fit_baseline(
        days=DAYS,
        energy=energy,
        production={"steel": steel},
        temperature_c=temperature,
        model="auto",
        balance_points_c=np.arange(5.0, 28.0, 1.0),
    )
    assert base.model == "5p"
    assert (base.heating_change_point_c, base.cooling_change_point_c) == (12.0, 22.0)
    np.testing.assert_allclose(
        [base.coefficients[k] for k in ("intercept", "steel", "hdd", "cdd")],
        [200, 3, 8, 12],
        rtol=1e-9,
    )


def test_a_monthly_baseline_is_ols_on_the_month_totals_computed_here():
    energy, steel, temperature = factory_year()
    base = bl.fit_baseline(
        days=DAYS,
        energy=energy,
        production={"steel": steel},
        temperature_c=temperature,
        model="hdd_cdd",
        hdd_base_c=12.0,
        cdd_base_c=22.0,
        period="monthly",
    )
    months = DAYS.astype("datetime64[M]")
    rows = []
    for month in np.unique(months):
        day = months == month
        rows.append(
            [
                energy[day].sum(),
                steel[day].sum(),
                np.maximum(12 - temperature[day], 0).sum(),
                np.maximum(temperature[day] - 22, 0).sum(),
            ]
        )
    table = np.array(rows)
    x = np.column_stack([np.ones(12), table[:, 1:]])
    beta, *_ = np.linalg.lstsq(x, table[:, 0], rcond=None)
    np.testing.assert_allclose(
        [base.coefficients[k] for k in ("intercept", "steel", "hdd", "cdd")], beta, rtol=1e-8
    )
    assert base.n == 12 and base.parameters == 4 and base.days_left_out == 0


def test_weekly_periods_keep_complete_iso_weeks_only():
    energy, steel, temperature = factory_year()
    base = bl.fit_baseline(
        days=DAYS,
        energy=energy,
        production={"steel": steel},
        temperature_c=temperature,
        model="5p",
        period="weekly",
    )
    # 2023-01-01 is a Sunday (its week began in 2022); 2023-12-25..31 is complete
    assert base.n == 52 and base.days_left_out == 1
    assert str(base.period_starts[0]) == "2023-01-02"
    assert base.actual[0] == pytest.approx(energy[1:8].sum())


def test_many_meters_at_once_equal_one_at_a_time():
    rng = np.random.default_rng(3)
    _, steel, temperature = factory_year()
    meters = np.stack(
        [
            150 + 2 * steel + a * np.maximum(14 - temperature, 0) + rng.normal(0, 8, DAYS.size)
            for a in (4.0, 9.0, 15.0)
        ]
    )
    together = bl.fit_baselines(
        days=DAYS, energy=meters, production={"steel": steel}, temperature_c=temperature
    )
    for meter, result in zip(meters, together, strict=True):
        alone = bl.fit_baseline(
            days=DAYS, energy=meter, production={"steel": steel}, temperature_c=temperature
        )
        assert result.model == alone.model
        assert result.coefficients == pytest.approx(alone.coefficients, rel=1e-12)


# -- refusals ------------------------------------------------------------------------------------


def test_too_few_points_are_refused_with_the_counts():
    energy, steel, temperature = factory_year()
    with pytest.raises(bl.BaselineError) as refused:
        bl.fit_baseline(
            days=DAYS[:60],
            energy=energy[:60],
            production={"steel": steel[:60]},
            temperature_c=temperature[:60],
        )
    assert "too few points for the baseline: 60, at least 328 needed" in str(refused.value)
    zh = texts("zh-CN").message(refused.value.message)
    assert "基准数据点过少：60 个，至少需要 328 个" in zh


def test_a_variable_with_no_variance_is_refused():
    energy, _, temperature = factory_year()
    with pytest.raises(bl.BaselineError) as refused:
        bl.fit_baseline(
            days=DAYS,
            energy=energy,
            production={"steel": np.full(DAYS.size, 80.0)},
            temperature_c=temperature,
        )
    assert "steel has no variance in the baseline (every value is 80)" in str(refused.value)
    assert "steel 在基准期内没有变化" in texts("zh-CN").message(refused.value.message)


def test_an_invalid_model_is_refused_with_its_figures_and_reasons():
    rng = np.random.default_rng(11)
    steel = rng.uniform(50, 100, DAYS.size)
    energy = 500 + rng.normal(0, 200, DAYS.size)  # unrelated to production
    with pytest.raises(bl.BaselineError) as refused:
        bl.fit_baseline(days=DAYS, energy=energy, production={"steel": steel}, model="production")
    baseline = refused.value.baseline
    assert baseline is not None and not baseline.valid
    failed = {c.name for c in baseline.checks if not c.passed}
    assert {"cv_rmse_pct", "r2", "p_value:steel"} <= failed
    assert baseline.r2 < 0.5 and baseline.cv_rmse_pct > 30
    text = str(refused.value)
    assert f"R² {baseline.r2:.3f} is below 0.5 (EnPI Lite)" in text
    assert f"CV(RMSE) {baseline.cv_rmse_pct:.1f}% is above 30%" in text
    zh = texts("zh-CN").message(refused.value.message)
    assert zh.startswith("能源基准被拒绝：") and "低于 0.5（EnPI Lite）" in zh and "；" in zh
    # asked for figures without the refusal, the same model comes back, marked invalid
    kept = bl.fit_baseline(
        days=DAYS,
        energy=energy,
        production={"steel": steel},
        model="production",
        require_valid=False,
    )
    assert kept.reasons == baseline.reasons
    stored = json.loads(json.dumps(kept.as_dict()))
    assert stored["valid"] is False and stored["r2"] == pytest.approx(baseline.r2)
    (r2,) = [c for c in stored["checks"] if c["name"] == "r2"]
    assert r2["reason"]["msgid"] == "R² %(value)s is below %(limit)s (EnPI Lite)"
    assert texts("zh-CN").message(r2["reason"]) == f"R² {baseline.r2:.3f} 低于 0.5（EnPI Lite）"


def test_reporting_conditions_outside_the_baseline_are_refused():
    energy, steel, temperature = factory_year()
    base = bl.fit_baseline(
        days=DAYS, energy=energy, production={"steel": steel}, temperature_c=temperature, model="5p"
    )
    with pytest.raises(bl.BaselineError, match="reporting mean of steel"):
        bl.expected_energy(
            base, days=DAYS, production={"steel": steel * 10}, temperature_c=temperature
        )


def test_bad_series_are_refused():
    energy, steel, temperature = factory_year()
    with pytest.raises(bl.BaselineError, match="steel has 10 values for 365 days"):
        bl.fit_baseline(
            days=DAYS, energy=energy, production={"steel": steel[:10]}, model="production"
        )
    with pytest.raises(bl.BaselineError, match="not in ascending order"):
        bl.fit_baseline(days=DAYS[::-1], energy=energy, temperature_c=temperature)
    with pytest.raises(bl.BaselineError, match="needs the daily mean temperature"):
        bl.fit_baseline(days=DAYS, energy=energy, model="4p")


# -- EnPI, CUSUM, savings ------------------------------------------------------------------------


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_savings_are_zero_when_the_reporting_period_is_the_baseline(seed):
    energy, steel, temperature = factory_year(seed=seed)
    base = bl.fit_baseline(
        days=DAYS,
        energy=energy,
        production={"steel": steel},
        temperature_c=temperature,
        model="hdd_cdd",
        hdd_base_c=12.0,
        cdd_base_c=22.0,
    )
    saved = bl.avoided_energy(
        base, days=DAYS, energy=energy, production={"steel": steel}, temperature_c=temperature
    )
    assert abs(saved.savings) < 1e-6 * energy.sum()  # OLS residuals sum to zero
    assert saved.enpi == pytest.approx(1.0, abs=1e-9)
    assert abs(saved.cusum[-1]) < 1e-6 * energy.sum()
    np.testing.assert_allclose(saved.cusum, np.cumsum(energy - base.fitted), atol=1e-6)


def test_avoided_energy_enpi_and_cusum_of_a_measure_that_saves_ten_percent():
    energy, steel, temperature = factory_year()
    base = bl.fit_baseline(
        days=DAYS, energy=energy, production={"steel": steel}, temperature_c=temperature, model="5p"
    )
    _, expected = bl.expected_energy(
        base, days=DAYS, production={"steel": steel}, temperature_c=temperature
    )
    saved = bl.avoided_energy(
        base,
        days=DAYS,
        energy=0.9 * expected,
        production={"steel": steel},
        temperature_c=temperature,
    )
    assert saved.savings == pytest.approx(0.1 * expected.sum())
    assert saved.savings_fraction == pytest.approx(0.1)
    assert saved.enpi == pytest.approx(0.9)
    np.testing.assert_allclose(saved.cusum, np.cumsum(-0.1 * expected))
    assert 0 < saved.uncertainty_fraction < 0.5


def test_normalised_savings_put_both_periods_at_standard_conditions():
    energy, steel, temperature = factory_year()
    options = {"model": "hdd_cdd", "hdd_base_c": 12.0, "cdd_base_c": 22.0}
    before = bl.fit_baseline(
        days=DAYS, energy=energy, production={"steel": steel}, temperature_c=temperature, **options
    )
    after = bl.fit_baseline(
        days=DAYS,
        energy=energy - 20,
        production={"steel": steel},
        temperature_c=temperature,
        **options,
    )
    standard = np.arange("2030-01-01", "2030-01-31", dtype="datetime64[D]")
    savings, base_kwh, report_kwh = bl.normalised_savings(
        before,
        after,
        days=standard,
        production={"steel": np.full(30, 75.0)},
        temperature_c=np.linspace(0, 30, 30),
    )
    assert savings == pytest.approx(20 * 30)
    np.testing.assert_allclose(base_kwh - report_kwh, 20.0)


def test_ratio_enpi_is_energy_per_unit_of_product():
    assert bl.enpi_ratio([100.0, 300.0], [2.0, 6.0]) == pytest.approx(50.0)
    with pytest.raises(bl.BaselineError, match="production is zero"):
        bl.enpi_ratio([1.0], [0.0])
    assert list(bl.cusum([10, 12, 9], [11, 11, 11])) == [-1, 0, -2]


# -- degree days ---------------------------------------------------------------------------------


def test_degree_days_by_hand():
    t = np.array([-5.0, 10.0, 18.0, 25.0, np.nan])
    np.testing.assert_array_equal(dd.heating_degree_days(t, base_c=18.0), [23, 8, 0, 0, np.nan])
    np.testing.assert_array_equal(dd.cooling_degree_days(t, base_c=26.0), [0, 0, 0, 0, np.nan])
    np.testing.assert_array_equal(dd.cooling_degree_days(t, base_c=20.0), [0, 0, 0, 5, np.nan])


def test_degree_days_from_hourly_readings():
    times = np.arange("2024-01-01T00", "2024-01-03T00", dtype="datetime64[h]")
    # day 1: 12 hours at 10 degC, 12 at 20 degC (mean 15); day 2: all 16 degC
    temperature = np.r_[np.full(12, 10.0), np.full(12, 20.0), np.full(24, 16.0)]
    days, mean, count = dd.daily_mean_temperature(times, temperature)
    assert [str(d) for d in days] == ["2024-01-01", "2024-01-02"]
    np.testing.assert_array_equal(mean, [15.0, 16.0])
    np.testing.assert_array_equal(count, [24, 24])
    _, hdd = dd.degree_days_from_readings(times, temperature, base_c=18.0, kind="heating")
    np.testing.assert_array_equal(hdd, [3.0, 2.0])
    _, integrated = dd.degree_days_from_readings(
        times, temperature, base_c=18.0, kind="heating", method="integrated"
    )
    np.testing.assert_array_equal(integrated, [4.0, 2.0])  # (12 * 8 + 12 * 0) / 24
    _, sparse = dd.degree_days_from_readings(
        times[:30], temperature[:30], base_c=18.0, kind="heating", min_readings=20
    )
    assert sparse[0] == 3.0 and np.isnan(sparse[1])  # day 2 has 6 readings


def epw_text(temperatures):
    header = [
        "LOCATION,Shanghai,SH,CHN,Test,583620,31.40,121.45,8.0,4.0",
        "DESIGN CONDITIONS,0",
        "TYPICAL/EXTREME PERIODS,0",
        "GROUND TEMPERATURES,0",
        "HOLIDAYS/DAYLIGHT SAVINGS,No,0,0,0",
        "COMMENTS 1,test",
        "COMMENTS 2,test",
        "DATA PERIODS,1,1,Data,Sunday, 1/ 1,12/31",
    ]
    rows = []
    for i, t in enumerate(temperatures):
        day, hour = divmod(i, 24)
        source_flags = "?9?9?9?9E0?9?9?9?9?9?9?9?9?9?9?9?9?9?9?9*9*9?9?9?9"
        # fields 6-35: flags, dry bulb, dew point, humidity, pressure, 16 radiation,
        # illuminance, wind and sky fields, present weather (0, 999999999), 7 others
        rest = [source_flags, f"{t}", "0.0", "80", "101325", *["0"] * 16, "0", "999999999"]
        rest += ["0"] * 7
        rows.append(",".join(["2021", "1", str(day + 1), str(hour + 1), "60", *rest]))
    return "\n".join(header + rows) + "\n"


def test_the_dry_bulb_temperature_of_an_epw_file():
    temperatures = [float(h) for h in range(24)] + [99.9] + [5.0] * 23
    times, dry_bulb = dd.epw_dry_bulb(io.StringIO(epw_text(temperatures)))
    assert str(times[0]) == "2021-01-01T00:00:00" and str(times[24]) == "2021-01-02T00:00:00"
    assert np.isnan(dry_bulb[24]) and dry_bulb[23] == 23.0
    _days, mean, count = dd.daily_mean_temperature(times, dry_bulb)
    np.testing.assert_allclose(mean, [11.5, 5.0])
    np.testing.assert_array_equal(count, [24, 23])


def test_bad_temperature_series_are_refused():
    with pytest.raises(dd.DegreeDayError, match="3 times for 2 temperature readings"):
        dd.daily_mean_temperature(
            np.arange("2024-01-01", "2024-01-04", dtype="datetime64[D]"), [1.0, 2.0]
        )
    with pytest.raises(dd.DegreeDayError, match="'heating' or 'cooling'"):
        dd.degree_days_from_readings([], [], base_c=18, kind="warm")
    with pytest.raises(dd.DegreeDayError, match="not a readable EPW"):
        dd.epw_dry_bulb(io.StringIO("not,an,epw\n"))


def test_3p_cooling_and_4p_recover_their_change_points():
    rng = np.random.default_rng(2)
    temperature = rng.uniform(0, 35, DAYS.size)
    cooling = 300 + 20 * np.maximum(temperature - 24, 0)
    base = bl.fit_baseline(
        days=DAYS,
        energy=cooling,
        temperature_c=temperature,
        model="3p_cooling",
        balance_points_c=np.arange(10.0, 31.0),
        thresholds=bl.Thresholds(cv_rmse_pct=30, nmbe_pct=10),
    )
    assert base.cooling_change_point_c == 24.0 and base.heating_change_point_c is None
    assert base.coefficients == pytest.approx({"intercept": 300, "cdd": 20}, rel=1e-9)
    v_shape = 300 + 10 * np.maximum(17 - temperature, 0) + 20 * np.maximum(temperature - 17, 0)
    base = bl.fit_baseline(
        days=DAYS,
        energy=v_shape,
        temperature_c=temperature,
        model="4p",
        balance_points_c=np.arange(10.0, 31.0),
    )
    assert base.heating_change_point_c == base.cooling_change_point_c == 17.0
    assert base.coefficients == pytest.approx({"intercept": 300, "hdd": 10, "cdd": 20}, rel=1e-9)
    assert base.parameters == 4


def test_among_many_meters_a_flat_one_is_refused_and_the_others_fitted():
    energy, steel, temperature = factory_year()
    meters = np.stack([energy, np.full(DAYS.size, 250.0), energy * 2])
    results = bl.fit_baselines(
        days=DAYS, energy=meters, production={"steel": steel}, temperature_c=temperature
    )
    assert isinstance(results[0], bl.Baseline) and isinstance(results[2], bl.Baseline)
    assert isinstance(results[1], bl.BaselineError)
    assert "energy has no variance in the baseline (every value is 250)" in str(results[1])
    assert results[2].coefficients["steel"] == pytest.approx(2 * results[0].coefficients["steel"])


def test_a_constant_temperature_is_refused_for_a_weather_model():
    energy, _steel, _ = factory_year()
    with pytest.raises(bl.BaselineError, match="temperature has no variance"):
        bl.fit_baseline(
            days=DAYS, energy=energy, temperature_c=np.full(DAYS.size, 20.0), model="3p_heating"
        )
