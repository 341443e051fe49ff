"""15-minute intervals from meter readings: hand-worked examples and properties."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lingtan.metering.intervals import (
    MeterIntervals,
    Quality,
    ValidationSettings,
    daily_completeness,
    meter_intervals,
    problem_records,
    rollup,
)

M, R, P, EST, MISS, S, N = (
    Quality.MEASURED,
    Quality.ROLLOVER,
    Quality.REPLACEMENT,
    Quality.ESTIMATED,
    Quality.MISSING,
    Quality.SPIKE,
    Quality.NEGATIVE,
)
DAY0 = np.datetime64("2025-03-01T00:00:00", "s")


def at(*hhmm: str, day: np.datetime64 = DAY0) -> np.ndarray:
    """UTC timestamps on 2025-03-01 from 'HH:MM' strings."""
    out = []
    for s in hhmm:
        h, m = s.split(":")
        out.append(day + np.timedelta64(int(h) * 3600 + int(m) * 60, "s"))
    return np.array(out, dtype="datetime64[s]")


def every(minutes: int, count: int, start: np.datetime64 = DAY0) -> np.ndarray:
    return start + np.arange(count) * np.timedelta64(minutes * 60, "s")


def run(t, v, start="2025-03-01T00:00", end="2025-03-01T01:00", kind="cumulative", **kw):
    return meter_intervals(
        np.asarray(t), np.asarray(v, dtype=float), start=start, end=end, kind=kind, **kw
    )


def kinds(result: MeterIntervals) -> list[str]:
    return [p.kind for p in result.problems]


# --- cumulative registers -------------------------------------------------------------------


def test_register_read_every_15_min_on_the_grid():
    # A kWh register of a workshop feeder, read at :00/:15/:30/:45.
    res = run(at("00:00", "00:15", "00:30", "00:45", "01:00"),
              [12345.6, 12358.1, 12371.1, 12382.9, 12395.1], meter_id="EL-W1")  # fmt: skip
    assert res.start.tolist() == at("00:00", "00:15", "00:30", "00:45").tolist()
    np.testing.assert_allclose(res.energy, [12.5, 13.0, 11.8, 12.2], atol=1e-9)
    assert res.quality.tolist() == [M] * 4
    assert res.problems == ()
    assert res.unit == "kWh"


def test_readings_every_20_min_are_apportioned_linearly():
    # 20, 40, 60 kWh over three 20-minute spans: constant power inside each span.
    # 00:00-00:15: 15/20 x 20 = 15; 00:15-00:30: 5/20 x 20 + 10/20 x 40 = 25;
    # 00:30-00:45: 10/20 x 40 + 5/20 x 60 = 35; 00:45-01:00: 15/20 x 60 = 45.
    res = run(at("00:00", "00:20", "00:40", "01:00"), [500.0, 520.0, 560.0, 620.0])
    np.testing.assert_allclose(res.energy, [15.0, 25.0, 35.0, 45.0])
    assert res.quality.tolist() == [M] * 4


def test_readings_every_10_min_are_apportioned_linearly():
    # 10, 20, 30 kWh over 00:00-00:10-00:20-00:30: 10 + 5/10 x 20 = 20, then 10 + 30 = 40.
    res = run(at("00:00", "00:10", "00:20", "00:30"), [0.0, 10.0, 30.0, 60.0],
              end="2025-03-01T00:30")  # fmt: skip
    np.testing.assert_allclose(res.energy, [20.0, 40.0])


def test_rollover_at_999999_9():
    # The register shows 000000.0-999999.9; 999992.5 -> 4.9 is 0.1 + 999999.9 - 999992.5 + 4.9.
    res = run(at("00:00", "00:15", "00:30", "00:45", "01:00"),
              [999980.0, 999992.5, 4.9, 17.3, 29.6], rollover_at=999999.9)  # fmt: skip
    np.testing.assert_allclose(res.energy, [12.5, 12.4, 12.4, 12.3], atol=1e-6)
    assert res.quality.tolist() == [M, R, M, M]
    (problem,) = res.problems
    assert problem.kind == "rollover"
    assert problem.value == pytest.approx(12.4)
    assert problem.timestamp.isoformat() == "2025-03-01T00:30:00+00:00"


def test_rollover_needs_a_step_it_can_infer():
    with pytest.raises(ValueError, match="register_step"):
        run(at("00:00"), [1.0], rollover_at=65535)
    res = run(at("00:00", "00:15"), [65530.0, 4.0], rollover_at=65535, register_step=1,
              end="2025-03-01T00:15")  # fmt: skip
    assert res.energy.tolist() == [10.0]


def test_fall_without_rollover_setting_is_negative():
    res = run(at("00:00", "00:15", "00:30"), [999992.5, 4.9, 17.3], end="2025-03-01T00:30")
    # 4.9 is under 1 % of 999992.5: read as a meter replacement, not a rollover.
    assert res.quality.tolist() == [P, M]


def test_meter_replacement():
    # The old meter's last reading 58243.5 is its final register; the new meter starts at 0
    # and reads 3.1 at 00:30: the interval gets 3.1 kWh.
    res = run(at("00:00", "00:15", "00:30", "00:45", "01:00"),
              [58231.0, 58243.5, 3.1, 15.6, 27.9], meter_id="EL-W1")  # fmt: skip
    np.testing.assert_allclose(res.energy, [12.5, 3.1, 12.5, 12.3], atol=1e-9)
    assert res.quality.tolist() == [M, P, M, M]
    (problem,) = res.problems
    assert (problem.meter_id, problem.kind, problem.value) == ("EL-W1", "replacement", 3.1)
    assert "58243.5 -> 3.1" in problem.rule


def test_negative_delta_is_rejected():
    # 58243.5 -> 58212.0 is a fall of 31.5 kWh, far above 1 % of the register.
    res = run(at("00:00", "00:15", "00:30", "00:45", "01:00"),
              [58231.0, 58243.5, 58212.0, 58268.4, 58280.9])  # fmt: skip
    assert res.quality.tolist() == [M, N, M, M]
    assert math.isnan(res.energy[1])
    np.testing.assert_allclose(res.energy[[0, 2, 3]], [12.5, 56.4, 12.5], atol=1e-9)
    (problem,) = res.problems
    assert problem.kind == "negative"
    assert problem.value == pytest.approx(-31.5)


def test_spike_is_rejected_and_named():
    # A day of 10 kWh per 15 min; the register jumps by 5000 kWh between 10:00 and 10:15.
    deltas = np.full(96, 10.0)
    deltas[40] = 5000.0
    readings = np.concatenate(([20000.0], 20000.0 + np.cumsum(deltas)))
    res = run(every(15, 97), readings, end="2025-03-02T00:00", meter_id="EL-W1")
    assert res.quality[40] == S
    assert math.isnan(res.energy[40])
    assert np.nansum(res.energy) == pytest.approx(950.0)
    assert res.count(Quality.MEASURED) == 95
    (problem,) = res.problems
    assert problem.kind == "spike"
    assert problem.timestamp.isoformat() == "2025-03-01T10:15:00+00:00"
    assert problem.value == 5000.0
    assert "0.9 quantile" in problem.rule


def test_hard_maximum_rate():
    # 30 kWh in 15 min is 120 kW, above a 100 kW feeder.
    res = run(at("00:00", "00:15", "00:30"), [0.0, 20.0, 50.0], end="2025-03-01T00:30",
              settings=ValidationSettings(max_rate_per_h=100.0))  # fmt: skip
    assert res.quality.tolist() == [M, S]
    assert "max_rate_per_h" in res.problems[0].rule


def test_idle_and_running_equipment_is_not_a_spike():
    # A compressor: 0.5 kWh per 15 min idle for 18 h, 25 kWh loaded for 6 h (50 x idle).
    deltas = np.concatenate((np.full(72, 0.5), np.full(24, 25.0)))
    readings = np.concatenate(([0.0], np.cumsum(deltas)))
    res = run(every(15, 97), readings, end="2025-03-02T00:00")
    assert res.count(Quality.SPIKE) == 0


def test_30_minute_gap_is_estimated_6_hour_gap_is_missing():
    # 10 kWh per 15 min. Reading 00:15 is missing: 00:00 -> 00:30 (30 min) spread linearly.
    # Readings 06:00 .. 12:00 are missing: a 6-hour gap, longer than max_gap_s = 1 h.
    t = np.concatenate((at("00:00", "00:30"), every(15, 22, DAY0 + np.timedelta64(45, "m")),
                        every(15, 49, DAY0 + np.timedelta64(12, "h"))))  # fmt: skip
    readings = 100.0 + (t - DAY0).astype(int) / 900 * 10.0
    res = run(t, readings, end="2025-03-02T00:00")
    assert res.quality[:3].tolist() == [EST, EST, M]
    np.testing.assert_allclose(res.energy[:2], [10.0, 10.0])
    assert res.quality[23] == M  # 05:45-06:00
    assert res.quality[24:48].tolist() == [MISS] * 24  # 06:00-12:00
    assert np.isnan(res.energy[24:48]).all()
    assert res.quality[48:].tolist() == [M] * 48
    est, miss = res.problems
    assert (est.kind, est.value, est.timestamp.hour) == ("estimated", 20.0, 0)
    assert (miss.kind, miss.value, miss.timestamp.hour) == ("missing", 240.0, 6)
    assert "not apportioned" in miss.rule
    assert res.count(Quality.ESTIMATED) == 2


def test_before_the_first_and_after_the_last_reading_is_missing():
    res = run(at("00:20", "00:40"), [0.0, 20.0])
    assert res.quality.tolist() == [MISS, MISS, MISS, MISS]
    assert np.isnan(res.energy).all()
    (problem,) = res.problems
    assert problem.kind == "missing"
    assert problem.value == pytest.approx(40 / 60)  # 15 + 5 + 5 + 15 min not covered [h]


def test_stuck_register_is_flagged_not_rejected():
    readings = [100.0, 110.0, 110.0, 110.0, 110.0, 110.0, 110.0, 120.0, 130.0]
    res = run(every(15, 9), readings, end="2025-03-01T02:00",
              settings=ValidationSettings(stuck_intervals=4))  # fmt: skip
    assert res.quality.tolist() == [M, 1, 1, 1, 1, 1, M, M]
    assert res.energy.tolist() == [10.0, 0, 0, 0, 0, 0, 10.0, 10.0]
    (problem,) = res.problems
    assert (problem.kind, problem.value) == ("stuck", 1.25)
    # Four intervals are not more than four.
    res = run(every(15, 6), [*readings[:5], 120.0], end="2025-03-01T01:15",
              settings=ValidationSettings(stuck_intervals=4))  # fmt: skip
    assert res.count(Quality.STUCK) == 0


def test_duplicates_and_out_of_order_readings():
    t = at("00:00", "00:15", "00:30", "00:45", "01:00")
    v = np.array([1000.0, 1010.0, 1025.0, 1035.0, 1050.0])
    clean = run(t, v)
    order = [3, 0, 4, 1, 2, 3, 0]  # shuffled, 00:45 and 00:00 twice with the same value
    shuffled = run(t[order], v[order])
    np.testing.assert_array_equal(shuffled.energy, clean.energy)
    assert shuffled.problems == ()


def test_conflicting_values_for_one_timestamp_are_reported_and_not_used():
    t = at("00:00", "00:15", "00:30", "00:30", "00:45", "01:00")
    v = [1000.0, 1010.0, 1026.0, 1025.0, 1035.0, 1050.0]
    res = run(t, v, meter_id="EL-W1")
    conflicts = [p for p in res.problems if p.kind == "conflict"]
    assert sorted(p.value for p in conflicts) == [1025.0, 1026.0]
    assert all(p.timestamp.isoformat() == "2025-03-01T00:30:00+00:00" for p in conflicts)
    # Neither value is used: 1010 at 00:15 -> 1035 at 00:45 is spread over two intervals.
    assert res.quality.tolist() == [M, EST, EST, M]
    np.testing.assert_allclose(res.energy, [10.0, 12.5, 12.5, 15.0])


def test_invalid_readings_are_dropped_and_reported():
    t = np.array(["2025-03-01T00:00", "NaT", "2025-03-01T00:15"], dtype="datetime64[s]")
    res = run(t, [0.0, 5.0, float("nan")], end="2025-03-01T00:30")
    assert kinds(res).count("invalid") == 2


def test_multiplier_ct_ratio():
    # A meter behind 200/5 A current transformers: register steps x 40.
    res = run(at("00:00", "00:15", "00:30"), [812.30, 812.61, 812.92],
              end="2025-03-01T00:30", multiplier=40.0)  # fmt: skip
    np.testing.assert_allclose(res.energy, [12.4, 12.4], atol=1e-6)


# --- interval meters ------------------------------------------------------------------------


def test_interval_meter_with_stated_interval():
    # A load profile: each value is the energy of the 15 minutes ending at its timestamp.
    res = run(at("00:15", "00:30", "00:45", "01:00"), [10.0, 12.0, 11.0, 9.5],
              kind="interval", interval_s=900)  # fmt: skip
    assert res.energy.tolist() == [10.0, 12.0, 11.0, 9.5]
    assert res.quality.tolist() == [M] * 4


def test_interval_meter_short_hole_is_interpolated():
    # Values for 00:30-00:45 and 00:45-01:00 are missing: interpolated between 12 and 18.
    res = run(at("00:15", "00:30", "01:15"), [10.0, 12.0, 18.0], end="2025-03-01T01:15",
              kind="interval", interval_s=900)  # fmt: skip
    np.testing.assert_allclose(res.energy, [10.0, 12.0, 14.0, 16.0, 18.0])
    assert res.quality.tolist() == [M, M, EST, EST, M]
    assert kinds(res) == ["estimated"]


def test_interval_meter_long_hole_is_missing():
    t = np.concatenate((at("00:15"), at("03:15")))
    res = run(t, [10.0, 18.0], end="2025-03-01T03:15", kind="interval", interval_s=900)
    assert res.quality.tolist() == [M] + [MISS] * 11 + [M]
    assert kinds(res) == ["missing"]


def test_interval_meter_hourly_values_spread_over_quarters():
    res = run(at("01:00", "02:00"), [40.0, 60.0], end="2025-03-01T02:00",
              kind="interval", interval_s=3600)  # fmt: skip
    np.testing.assert_allclose(res.energy, [10.0] * 4 + [15.0] * 4)


def test_interval_meter_since_previous_reading():
    res = run(at("00:00", "00:15", "00:30"), [99.0, 10.0, 12.0], end="2025-03-01T00:30",
              kind="interval")  # fmt: skip
    assert res.energy.tolist() == [10.0, 12.0]
    assert kinds(res) == ["unused"]


def test_interval_meter_negative_value():
    res = run(at("00:15", "00:30"), [10.0, -3.0], end="2025-03-01T00:30", kind="interval",
              interval_s=900)  # fmt: skip
    assert res.quality.tolist() == [M, N]


def test_interval_meter_overlap():
    res = run(at("00:15", "00:20", "00:30"), [10.0, 4.0, 12.0], end="2025-03-01T00:30",
              kind="interval", interval_s=900)  # fmt: skip
    assert res.energy.tolist() == [10.0, 12.0]
    assert kinds(res) == ["overlap"]


# --- rollups --------------------------------------------------------------------------------


def flat(start: str, end: str, kwh_per_interval: float = 10.0) -> MeterIntervals:
    s, e = np.datetime64(start, "s"), np.datetime64(end, "s")
    t = np.arange(s, e + np.timedelta64(1, "s"), np.timedelta64(900, "s"))
    readings = np.arange(t.size) * kwh_per_interval
    return meter_intervals(t, readings, start=s, end=e, kind="cumulative")


def test_daily_rollup_in_china_time_crosses_utc_midnight():
    # 12:00Z on 1 March to 12:00Z on 2 March is 20:00 on 1 March to 20:00 on 2 March in
    # China: 4 h (16 intervals) of local 1 March, 20 h (80 intervals) of local 2 March.
    res = flat("2025-03-01T12:00", "2025-03-02T12:00")
    daily = rollup(res, "day")
    assert daily.start_local.astype("datetime64[D]").tolist() == np.array(
        ["2025-03-01", "2025-03-02"], dtype="datetime64[D]").tolist()  # fmt: skip
    assert daily.start_utc[1] == np.datetime64("2025-03-01T16:00")
    assert daily.energy.tolist() == [160.0, 800.0]
    assert daily.intervals.tolist() == [16, 80]
    utc = rollup(res, "day", utc_offset_min=0)
    assert utc.energy.tolist() == [480.0, 480.0]


def test_monthly_and_hourly_rollups():
    res = flat("2025-01-31T12:00", "2025-02-01T00:00")  # local 20:00 on 31 Jan to 08:00
    monthly = rollup(res, "month")
    assert monthly.start_local.astype("datetime64[M]").tolist() == np.array(
        ["2025-01", "2025-02"], dtype="datetime64[M]").tolist()  # fmt: skip
    assert monthly.energy.tolist() == [160.0, 320.0]
    hourly = rollup(res, "hour")
    assert hourly.energy.tolist() == [40.0] * 12
    assert hourly.start_local[0] == np.datetime64("2025-01-31T20:00")


def test_rollup_totals_equal_the_interval_sums_and_count_flags():
    t = np.concatenate((at("00:00", "00:30"), every(15, 22, DAY0 + np.timedelta64(45, "m")),
                        every(15, 49, DAY0 + np.timedelta64(12, "h"))))  # fmt: skip
    readings = 100.0 + (t - DAY0).astype(int) / 900 * 10.0
    res = run(t, readings, end="2025-03-02T00:00")
    for period in ("hour", "day", "month"):
        for offset in (480, 0, 330):
            r = rollup(res, period, utc_offset_min=offset)
            assert r.energy.sum() == pytest.approx(np.nansum(res.energy))
            assert r.energy_estimated.sum() == pytest.approx(20.0)
            assert r.intervals.sum() == 96
            assert r.counts.sum(axis=0).tolist() == [res.count(q) for q in Quality]
    day = rollup(res, "day", utc_offset_min=0)
    assert day.counts[0, Quality.ESTIMATED] == 2
    assert day.counts[0, Quality.MISSING] == 24
    days, share = daily_completeness(res, utc_offset_min=0)
    assert days.tolist() == [np.datetime64("2025-03-01", "D").item()]
    assert share.tolist() == [70 / 96]


def test_problem_records_are_plain():
    res = run(at("00:00", "00:15", "00:30", "00:45", "01:00"),
              [58231.0, 58243.5, 3.1, 15.6, 27.9], meter_id="EL-W1")  # fmt: skip
    (record,) = problem_records(res)
    assert record == {
        "meter_id": "EL-W1",
        "timestamp": "2025-03-01T00:30:00+00:00",
        "kind": "replacement",
        "value": 3.1,
        "rule": record["rule"],
    }
    assert isinstance(record["rule"], str)


# --- bad arguments --------------------------------------------------------------------------


def test_span_must_be_on_the_grid():
    with pytest.raises(ValueError, match="15-minute grid"):
        run(at("00:00"), [0.0], start="2025-03-01T00:05")
    with pytest.raises(ValueError, match="after start"):
        run(at("00:00"), [0.0], end="2025-03-01T00:00")


def test_bad_settings_and_arguments():
    with pytest.raises(ValueError, match="spike_quantile"):
        ValidationSettings(spike_quantile=1.5)
    with pytest.raises(ValueError, match="multiplier"):
        run(at("00:00"), [0.0], multiplier=0.0)
    with pytest.raises(ValueError, match="kind"):
        run(at("00:00"), [0.0], kind="register")
    with pytest.raises(TypeError, match="datetime64"):
        run(np.array([1.0]), [0.0])


def test_inputs_are_not_changed_and_outputs_are_read_only():
    t = at("00:30", "00:00", "00:15")
    v = np.array([20.0, 0.0, 10.0])
    res = run(t, v, end="2025-03-01T00:30")
    assert v.tolist() == [20.0, 0.0, 10.0]
    assert t[0] == np.datetime64("2025-03-01T00:30")
    with pytest.raises(ValueError):
        res.energy[0] = 1.0


def test_no_readings_at_all():
    empty = np.array([], dtype="datetime64[s]")
    res = run(empty, [])
    assert res.quality.tolist() == [MISS] * 4
    assert kinds(res) == ["missing"]


# --- properties -----------------------------------------------------------------------------


@st.composite
def clean_series(draw):
    spacings = draw(st.lists(st.integers(1, 1800), min_size=1, max_size=200))
    times = np.concatenate(([0], np.cumsum(spacings)))
    end = -(-int(times[-1]) // 900) * 900
    if end == 0:
        end = 900
    if end > times[-1]:
        times = np.append(times, end)
    steps = draw(st.lists(st.floats(0, 100, allow_nan=False), min_size=times.size - 1,
                          max_size=times.size - 1))  # fmt: skip
    first = draw(st.floats(0, 1e6, allow_nan=False))
    readings = first + np.concatenate(([0.0], np.cumsum(steps)))
    return DAY0 + times.astype("timedelta64[s]"), readings, end


@settings(max_examples=150, deadline=None)
@given(clean_series(), st.floats(0.5, 200))
def test_energy_is_conserved_for_a_clean_register(series, multiplier):
    t, readings, end_s = series
    res = meter_intervals(
        t, readings, start=DAY0, end=DAY0 + np.timedelta64(end_s, "s"), kind="cumulative",
        multiplier=multiplier,
        settings=ValidationSettings(spike_factor=None, stuck_intervals=None),
    )  # fmt: skip
    assert not np.isnan(res.energy).any()
    expected = (readings[-1] - readings[0]) * multiplier
    assert res.energy.sum() == pytest.approx(expected, rel=1e-9, abs=1e-6)
    assert rollup(res, "day").energy.sum() == pytest.approx(res.energy.sum())
