"""The problems found in a meter's readings are catalogue texts: English as they always read
(the values formatted as before), Chinese with the same figures where they are shown."""

import re

import numpy as np

from lingtan.i18n import Message
from lingtan.i18n.catalog import MISSES, texts
from lingtan.metering.intervals import ValidationSettings, meter_intervals, problem_records

DAY0 = np.datetime64("2025-03-01T00:00:00", "s")
ZH = texts("zh-CN")


def at(*hhmm: str) -> np.ndarray:
    return np.array(
        [DAY0 + np.timedelta64(int(h) * 3600 + int(m) * 60, "s") for h, m in
         (s.split(":") for s in hhmm)],
        dtype="datetime64[s]",
    )  # fmt: skip


def every(minutes: int, count: int, start=DAY0) -> np.ndarray:
    return start + np.arange(count) * np.timedelta64(minutes * 60, "s")


def run(t, v, end="2025-03-01T01:00", kind="cumulative", **kw):
    return meter_intervals(
        np.asarray(t), np.asarray(v, dtype=float), start="2025-03-01T00:00", end=end,
        kind=kind, unit="kWh", **kw,
    )  # fmt: skip


def english_words(text: str) -> list[str]:
    """Words of three letters or more that are not a unit, a setting or a code."""
    allowed = {"kWh", "interval_s", "max_rate_per_h"}
    return [w for w in re.findall(r"[A-Za-z_]{3,}", text) if w not in allowed]


def problems_of_every_kind():
    """One meter's problems of each rule: (kind, problem)."""
    found = []
    found += run(
        at("00:00", "00:15", "00:30", "00:45", "01:00"), [58231.0, 58243.5, 3.1, 15.6, 27.9]
    ).problems  # replacement
    found += run(
        at("00:00", "00:15", "00:30", "00:45", "01:00"),
        [58231.0, 58243.5, 58212.0, 58268.4, 58280.9],
    ).problems  # negative
    found += run(
        at("00:00", "00:15", "00:30", "00:45", "01:00"),
        [999980.0, 999992.5, 4.9, 17.3, 29.6],
        rollover_at=999999.9,
    ).problems
    deltas = np.full(96, 10.0)
    deltas[40] = 5000.0
    found += run(
        every(15, 97), np.concatenate(([2e4], 2e4 + np.cumsum(deltas))), end="2025-03-02T00:00"
    ).problems  # spike against the quantile
    found += run(
        at("00:00", "00:15", "00:30"),
        [0.0, 20.0, 50.0],
        end="2025-03-01T00:30",
        settings=ValidationSettings(max_rate_per_h=100.0),
    ).problems  # hard maximum
    t = np.concatenate(
        (
            at("00:00", "00:30"),
            every(15, 22, DAY0 + np.timedelta64(45, "m")),
            every(15, 49, DAY0 + np.timedelta64(12, "h")),
        )
    )
    found += run(
        t, 100.0 + (t - DAY0).astype(int) / 900 * 10.0, end="2025-03-02T00:00"
    ).problems  # estimated and missing gaps
    found += run(
        every(15, 13),
        np.full(13, 5.0),
        end="2025-03-01T03:00",
        settings=ValidationSettings(stuck_intervals=4),
    ).problems  # stuck
    found += run(at("00:00", "00:15", "00:15", "00:30"), [0.0, 1.0, 2.0, 3.0]).problems
    found += run(at("00:15", "00:30"), [np.nan, 3.0]).problems  # invalid
    found += run(
        at("00:15", "00:30", "00:45"), [1.0, -2.0, 1.0], kind="interval", end="2025-03-01T00:45"
    ).problems  # unused first value, negative interval
    found += run(
        at("00:15", "00:20", "00:30"),
        [1.0, 1.0, 1.0],
        kind="interval",
        interval_s=900,
        end="2025-03-01T00:30",
    ).problems  # overlap
    return found  # fmt: skip


def test_every_rule_is_a_message_with_chinese_holding_the_same_figures():
    found = problems_of_every_kind()
    kinds = {p.kind for p in found}
    assert kinds >= {"replacement", "negative", "rollover", "spike", "estimated", "missing",
                     "stuck", "conflict", "invalid", "unused", "overlap"}, kinds  # fmt: skip
    MISSES.clear()
    for problem in found:
        assert isinstance(problem.rule, Message), problem
        chinese = ZH.message(problem.rule)
        assert chinese != str(problem.rule)
        assert not english_words(chinese), (problem.rule, chinese)
        figures = re.findall(r"\d+(?:\.\d+)?", str(problem.rule))
        assert sorted(re.findall(r"\d+(?:\.\d+)?", chinese)) == sorted(figures), chinese
    assert not MISSES, MISSES


def test_the_english_rules_read_as_before():
    (replaced,) = run(at("00:00", "00:15", "00:30", "00:45", "01:00"),
                      [58231.0, 58243.5, 3.1, 15.6, 27.9]).problems  # fmt: skip
    assert replaced.rule == (
        "register 58243.5 -> 3.1: meter replaced; old meter's last reading taken as final, "
        "new meter counted from 0 [kWh]"
    )
    assert ZH.message(replaced.rule) == (
        "表码 58243.5 -> 3.1：换表；旧表最后读数作为终值，新表从 0 起计 [kWh]"
    )
    (spike,) = run(at("00:00", "00:15", "00:30"), [0.0, 20.0, 50.0], end="2025-03-01T00:30",
                   settings=ValidationSettings(max_rate_per_h=100.0)).problems  # fmt: skip
    # 30 kWh in 15 min = 120 kWh/h, above the hard 100 kWh/h
    assert spike.rule == "register 20 -> 50: rate 120 kWh/h above 100/h (max_rate_per_h)"
    assert ZH.message(spike.rule) == (
        "表码 20 -> 50：速率 120 kWh/h，超过上限 100/h（设定的上限 max_rate_per_h）"
    )
    record = problem_records(
        run(
            at("00:00", "00:15", "00:30"),
            [0.0, 20.0, 50.0],
            end="2025-03-01T00:30",
            settings=ValidationSettings(max_rate_per_h=100.0),
        )
    )[0]
    assert type(record["rule"]) is str and record["rule"] == spike.rule  # fmt: skip


# --- a rollover that no read could use is refused where the meter is defined ----------------


def test_a_rollover_no_read_could_use_is_refused_when_the_meter_is_defined(store_engine):
    """65535 (a 16-bit counter) gives no register step: every read of the meter failed with a
    ValueError before; now its definition is refused, naming the value, and nothing is
    written. 999999.9 and 999999 are full scales of nines and are kept."""
    import pytest

    from lingtan.errors import InputError
    from lingtan.metering.intervals import rollover_rule
    from lingtan.metering.store import MeterDefinition, NodeDefinition, meters_of
    from lingtan.store.db import session_scope
    from metering_support import add_plant

    assert rollover_rule(None) is None and rollover_rule(999999.9) is None
    assert rollover_rule(999999.0) is None and rollover_rule(99999.99) is None
    for bad in (65535.0, 1e6, 0.0, -9.0, float("nan")):
        assert rollover_rule(bad) is not None, bad
    site = [NodeDefinition("site", "Site", "facility")]
    meter = MeterDefinition("m16", "electricity", "kWh", "cumulative", node="site")
    with pytest.raises(InputError) as caught, session_scope(store_engine) as session:
        add_plant(session, site, [meter.__class__(**{**vars(meter), "rollover_at": 65535.0})])
    (problem,) = caught.value.problems
    assert (problem.where, problem.field, problem.value) == ("meter m16", "rollover_at", 65535.0)
    assert ZH.message(problem.rule).startswith("必须是表码的满量程")
    with session_scope(store_engine) as session:
        add_plant(session, site, [meter.__class__(**{**vars(meter), "rollover_at": 999999.9})])
        assert [m.rollover_at for m in meters_of(session, "F1")] == [999999.9]
