"""Daily rollups of meters and nodes kept up to date on ingestion; SQLite and PostgreSQL."""

from datetime import date

import numpy as np
import pytest
import sqlalchemy as sa

from lingtan.metering.files import import_readings_file
from lingtan.metering.intervals import meter_intervals, rollup
from lingtan.metering.rollups import daily_totals, node_monthly_totals, refresh, tree_daily_totals
from lingtan.metering.store import MeterDefinition, NodeDefinition, define_meters, ingest_readings
from lingtan.store.db import session_scope
from metering_support import add_plant

T0 = 1_735_660_800  # 2025-01-01 00:00 +08:00 = 2024-12-31 16:00 UTC
JAN1, JAN2, JAN3, JAN4 = (date(2025, 1, d) for d in (1, 2, 3, 4))


@pytest.fixture
def plant(store_engine):
    """Facility F1: ``main`` (x2) and ``b`` on node site, ``a`` on line-a, a virtual meter."""
    with session_scope(store_engine) as session:
        add_plant(
            session,
            [
                NodeDefinition("site", "Site", "facility"),
                NodeDefinition("line-a", "Line A", "line", parent="site"),
            ],
            [
                MeterDefinition(
                    "main", "electricity", "kWh", "cumulative", node="site", multiplier=2
                ),
                MeterDefinition("b", "electricity", "kWh", "cumulative", node="site"),
                MeterDefinition("a", "electricity", "kWh", "cumulative", node="line-a"),
                MeterDefinition("g", "natural_gas", "m3", "interval", node="line-a"),
                MeterDefinition(
                    "rest",
                    "electricity",
                    "kWh",
                    "cumulative",
                    node="site",
                    virtual_formula="main - a",
                ),
            ],
        )
    return store_engine


def _ingest(engine, readings, origin="test"):
    with session_scope(engine) as session:
        return ingest_readings(session, "F1", readings, origin=origin)


def _refresh(engine) -> int:
    with session_scope(engine) as session:
        return refresh(session)


def _rows(engine, code=None):
    """meter_day rows: {(meter code, day): (energy, estimated, measured, estimated, missing)}."""
    with session_scope(engine, read_only=True) as session:
        rows = session.execute(
            sa.text(
                "SELECT m.code, d.day, d.energy, d.estimated, d.measured_intervals, "
                "d.estimated_intervals, d.missing_intervals FROM meter_day d "
                "JOIN meter m ON m.id = d.meter_id"
            )
        ).all()
    out = {
        (c, date.fromisoformat(str(d))): (round(e, 9), round(x, 9), n1, n2, n3)
        for c, d, e, x, n1, n2, n3 in rows
    }
    return {k: v for k, v in out.items() if code is None or k[0] == code}


def _stale(engine):
    with session_scope(engine, read_only=True) as session:
        rows = session.execute(
            sa.text("SELECT m.code, s.day FROM meter_day_stale s JOIN meter m ON m.id = s.meter_id")
        ).all()
    return sorted((c, date.fromisoformat(str(d))) for c, d in rows)


def _rebuild(engine):
    """Mark every day of every stored meter stale and refresh: a full recomputation."""
    with session_scope(engine) as session:
        session.execute(
            sa.text(
                "INSERT INTO meter_day_stale (meter_id, day) SELECT meter_id, day FROM meter_day"
            )
        )
        refresh(session)
    return _rows(engine)


def _main_readings():
    """``main``: register +1.0 every 15 min (x2 = 2 kWh per interval), Jan 1 00:00 to Jan 4
    00:00 local, with a 30-minute gap on Jan 2, a jump of +1000 and a 2-hour gap on Jan 3."""
    out = []
    register = 0.0
    for k in range(3 * 96 + 1):
        register += 1.0 if k else 0.0
        if k == 96 + 40:  # Jan 2 10:00: not read -> 09:45..10:15 is a 30-min gap (estimated)
            continue
        if k == 192 + 20:  # Jan 3 05:00: the register jumps by 1000 (a spike)
            register += 1000.0
        if 192 + 60 < k < 192 + 68:  # Jan 3 15:00..17:00: 7 readings lost -> 2 h missing
            continue
        out.append(("main", T0 + 900 * k, register))
    return out


def test_rollup_equals_intervals_and_rollup_computed_directly(plant):
    readings = _main_readings()
    summary = _ingest(plant, readings)
    assert summary.added == len(readings)
    # Marked: Dec 31 and Jan 4 too (within 1 h + 15 min of the first and last readings).
    assert _stale(plant) == [("main", date(2024, 12, 31 + d)) for d in range(1)] + [
        ("main", d) for d in (JAN1, JAN2, JAN3, JAN4)
    ]
    assert _refresh(plant) == 5
    assert _stale(plant) == []
    rows = _rows(plant)
    # Hand-worked, 2 kWh per interval:
    #   Jan 1: 96 measured = 192 kWh.
    #   Jan 2: 94 measured + 2 estimated across the 30-min gap (2 x 2 kWh) = 192, of which 4.
    #   Jan 3: 1 spike (2002 kWh rejected) + 8 missing (2 h gap): 87 measured x 2 = 174 kWh.
    # Dec 31 and Jan 4 have no readings inside: nothing known, no row.
    assert rows == {
        ("main", JAN1): (192.0, 0.0, 96, 0, 0),
        ("main", JAN2): (192.0, 4.0, 94, 2, 0),
        ("main", JAN3): (174.0, 0.0, 87, 0, 9),
    }
    # Independent check: the pure functions on the same readings and the refreshed run.
    ts = np.array([t for _, t, _ in readings]).astype("datetime64[s]")
    values = np.array([v for _, _, v in readings])
    intervals = meter_intervals(
        ts,
        values,
        start=np.datetime64(T0, "s"),
        end=np.datetime64(T0 + 4 * 86_400, "s"),
        kind="cumulative",
        multiplier=2,
    )
    daily = rollup(intervals, "day", utc_offset_min=480)
    for i, day in enumerate(daily.start_local.astype("datetime64[D]").astype(object)):
        c = daily.counts[i]
        measured, estimated, missing = c[0] + c[1] + c[2] + c[3], c[4], c[5] + c[6] + c[7]
        if measured + estimated == 0:
            assert ("main", day) not in rows
            continue
        energy, est, n1, n2, n3 = rows["main", day]
        assert energy == pytest.approx(daily.energy[i], abs=1e-9)
        assert est == pytest.approx(daily.energy_estimated[i], abs=1e-9)
        assert (n1, n2, n3) == (measured, estimated, missing)


def _a_readings(skip=(95, 96), days=2):
    """``a``: register +1.0 every 15 min from Jan 1 00:00 local; Jan 1 23:45 and Jan 2 00:00
    not read (a 45-minute gap around midnight)."""
    return [("a", T0 + 900 * k, float(k)) for k in range(days * 96 + 1) if k not in skip]


def test_a_late_reading_in_a_gap_before_midnight_corrects_both_days(plant):
    _ingest(plant, _a_readings(days=3) + [("b", T0 + 900 * k, float(k)) for k in range(97)])
    _refresh(plant)
    before = _rows(plant)
    # The 45-min gap 23:30 -> 00:15 (register 94 -> 97) is spread evenly: 1 per interval,
    # two intervals on Jan 1, one on Jan 2, all estimated.
    assert before["a", JAN1] == (96.0, 2.0, 94, 2, 0)
    assert before["a", JAN2] == (96.0, 1.0, 95, 1, 0)
    # Late reading at 23:50 of Jan 1: the register read 96.5.
    summary = _ingest(plant, [("a", T0 + 95 * 900 + 300, 96.5)], origin="late")
    assert summary.added == 1
    # 23:50 +- (1 h + 15 min) lies in Jan 1 and Jan 2: those two days, nothing else.
    assert _stale(plant) == [("a", JAN1), ("a", JAN2)]
    assert _refresh(plant) == 2
    after = _rows(plant)
    # 23:30 -> 23:50: 20 min (normal), 2.5 spread 15/20 = 1.875 to 23:30-23:45 (measured) and
    #   5/20 = 0.625 to 23:45-24:00.
    # 23:50 -> 00:15: 25 min (> 1.5 x 15 min: estimated), 0.5 spread 10/25 = 0.2 to 23:45-24:00
    #   (now estimated: 0.625 + 0.2 = 0.825) and 15/25 = 0.3 to 00:00-00:15 (estimated).
    # Jan 1: 94 + 1.875 + 0.825 = 96.7, estimated 0.825; Jan 2: 0.3 + 95 = 95.3, estimated 0.3.
    assert after["a", JAN1] == (96.7, 0.825, 95, 1, 0)
    assert after["a", JAN2] == (95.3, 0.3, 95, 1, 0)
    unaffected = {k: v for k, v in before.items() if k not in {("a", JAN1), ("a", JAN2)}}
    assert {k: after[k] for k in unaffected} == unaffected
    assert _rebuild(plant) == after


def test_an_out_of_order_file_corrects_the_days_it_touches(plant, tmp_path):
    _ingest(plant, [r for r in _a_readings(skip=(), days=4) if r[1] < T0 + 2 * 86_400])
    _ingest(plant, [("b", T0 + 900 * k, float(k)) for k in range(97)])
    _refresh(plant)
    before = _rows(plant)
    assert ("a", JAN3) not in before
    # Jan 3 and 4 arrive in a file, newest first.
    later = [r for r in _a_readings(skip=(), days=4) if r[1] >= T0 + 2 * 86_400]
    path = tmp_path / "late.csv"
    lines = ["meter,timestamp,value"]
    for code, ts, value in reversed(later):
        stamp = np.datetime64(ts + 8 * 3600, "s").astype(str).replace("T", " ")
        lines.append(f"{code},{stamp},{value}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with session_scope(plant) as session:
        result = import_readings_file(session, "F1", path)
    assert result.readings.added == len(later) == 2 * 96 + 1
    # Jan 2 (its last interval was missing: no reading after 24:00), Jan 3, Jan 4, Jan 5.
    assert _stale(plant) == [("a", d) for d in (JAN2, JAN3, JAN4, date(2025, 1, 5))]
    assert _refresh(plant) == 4
    after = _rows(plant)
    # Jan 2's last interval (23:45 -> 24:00) is now measured: 96 x 1.
    assert before["a", JAN2] == (95.0, 0.0, 95, 0, 1)
    assert after["a", JAN2] == after["a", JAN3] == after["a", JAN4] == (96.0, 0.0, 96, 0, 0)
    assert {k: v for k, v in after.items() if k[1] not in (JAN2, JAN3, JAN4)} == {
        k: v for k, v in before.items() if k[1] != JAN2
    }
    assert _rebuild(plant) == after


def test_reingest_and_conflicts_mark_nothing_and_refresh_of_nothing_is_a_no_op(plant):
    readings = _a_readings()
    _ingest(plant, readings)
    assert _refresh(plant) == 4  # Dec 31, Jan 1, Jan 2, Jan 3 (the reading at Jan 3 00:00)
    rows = _rows(plant)
    assert _refresh(plant) == 0
    summary = _ingest(plant, readings)
    assert (summary.added, summary.unchanged) == (0, len(readings))
    summary = _ingest(plant, [("a", T0 + 900, 55.0)], origin="other")
    assert summary.conflicts == 1
    assert _stale(plant) == []
    assert _refresh(plant) == 0
    assert _rows(plant) == rows
    # A chunk of stored readings with one new one among them marks only the new one's days.
    summary = _ingest(plant, [*readings, ("a", T0 + 95 * 900 + 300, 96.5)])
    assert (summary.added, summary.unchanged) == (1, len(readings))
    assert _stale(plant) == [("a", JAN1), ("a", JAN2)]


def test_node_totals_sum_their_own_meters_per_day_and_month(plant):
    _ingest(plant, _main_readings())
    # b: +0.5 every 15 min over Jan 1 and 2 = 48 kWh a day; a: +1 over Jan 1 = 96 kWh.
    _ingest(plant, [("b", T0 + 900 * k, 0.5 * k) for k in range(2 * 96 + 1)])
    _ingest(plant, [("a", T0 + 900 * k, float(k)) for k in range(97)])
    _refresh(plant)
    with session_scope(plant, read_only=True) as session:
        fid = session.execute(sa.text("SELECT id FROM facility")).scalar_one()
        nodes = dict(session.execute(sa.text("SELECT code, id FROM meter_node")).all())
        meters = dict(session.execute(sa.text("SELECT code, id FROM meter")).all())
        tree = tree_daily_totals(session, fid, JAN1, date(2025, 2, 1))
        monthly = node_monthly_totals(session, fid, date(2024, 12, 1), date(2025, 2, 1))
        daily = daily_totals(session, fid, JAN2, JAN4, meter_ids=[meters["main"], meters["b"]])
        empty = tree_daily_totals(session, fid, date(2026, 1, 1), date(2026, 2, 1))
    site, line = nodes["site"], nodes["line-a"]
    got = {
        (int(n), str(p)): (e, x, m1, m2, m3, k)
        for n, p, e, x, m1, m2, m3, k in zip(
            tree.node_id,
            tree.period,
            tree.energy,
            tree.estimated,
            tree.measured_intervals,
            tree.estimated_intervals,
            tree.missing_intervals,
            tree.meter_days,
            strict=True,
        )
    }
    # site = main + b (the virtual meter has no rows); line-a = a.
    #   Jan 1: 192 + 48 = 240;  Jan 2: 192 + 48 = 240, 4 estimated;  Jan 3: main only, 174.
    assert got == {
        (site, "2025-01-01"): (240.0, 0.0, 192, 0, 0, 2),
        (site, "2025-01-02"): (240.0, 4.0, 190, 2, 0, 2),
        (site, "2025-01-03"): (174.0, 0.0, 87, 0, 9, 1),
        (line, "2025-01-01"): (96.0, 0.0, 96, 0, 0, 1),
    }
    assert set(tree.energy_type) == {"electricity"} and set(tree.unit) == {"kWh"}
    assert set(tree.flow) == {"use"}
    # January: site 240 + 240 + 174 = 654 over 5 meter-days; line-a 96.
    assert monthly.node_id.tolist() == [site, line]
    assert monthly.period.astype(str).tolist() == ["2025-01-01", "2025-01-01"]
    assert monthly.energy.tolist() == [654.0, 96.0]
    assert monthly.meter_days.tolist() == [5, 1]
    assert monthly.missing_intervals.tolist() == [9, 0]
    # [Jan 2, Jan 4) of main and b, ordered by meter and day.
    assert daily.meter_id.tolist() == [meters["main"]] * 2 + [meters["b"]]
    assert daily.day.astype(str).tolist() == ["2025-01-02", "2025-01-03", "2025-01-02"]
    assert daily.energy.tolist() == [192.0, 174.0, 48.0]
    assert daily.estimated_intervals.tolist() == [2, 0, 0]
    assert empty.node_id.size == 0 and empty.period.dtype == np.dtype("datetime64[D]")


def test_cli_import_refreshes_and_show_reports_the_meter(plant, tmp_path, database_url):
    from click.testing import CliRunner

    from lingtan.cli.metering import meters

    # a: +0.25 every 15 min from Jan 1 00:00 to Jan 2 00:00 local (97 readings) = 24 kWh on Jan 1.
    file = tmp_path / "a.csv"
    rows = [f"2025-01-01 {k // 4:02d}:{15 * (k % 4):02d},{0.25 * k}" for k in range(96)]
    file.write_text("timestamp,a\n" + "\n".join([*rows, "2025-01-02 00:00,24"]) + "\n")
    conflict = tmp_path / "conflict.csv"
    conflict.write_text("timestamp,a\n2025-01-01 00:15,9\n")
    runner = CliRunner()
    obj = {"db": database_url}
    result = runner.invoke(meters, ["import", str(file)], obj=obj)
    assert result.exit_code == 0, result.output
    # Dec 31 (within reach of the first reading), Jan 1, Jan 2 (the last reading).
    assert "facility F1: 3 meter-day total(s) refreshed" in result.output
    result = runner.invoke(meters, ["import", str(conflict)], obj=obj)
    assert result.exit_code == 0, result.output
    assert "1 conflict(s) recorded" in result.output
    assert "facility F1: 0 meter-day total(s) refreshed" in result.output
    result = runner.invoke(meters, ["show", "a", "--days", "3"], obj=obj, terminal_width=200)
    assert result.exit_code == 0, result.output
    out = result.output
    for text in (
        "site / line-a",
        "electricity",
        "cumulative",
        "readings 读数",
        "97",
        "2025-01-01 00:00:00 +08:00",
        "2025-01-02 00:00:00 +08:00",
    ):
        assert text in out, text
    assert [line.split("│")[2].strip() for line in out.splitlines() if "conflicts" in line] == ["1"]
    lines = {line.split("│")[1].strip(): line for line in out.splitlines() if "│ 202" in line[:6]}
    assert set(lines) == {"2024-12-31", "2025-01-01", "2025-01-02"}
    cells = [c.strip() for c in lines["2025-01-01"].split("│")[2:-1]]
    assert cells == ["24.000", "0.000", "96", "0", "0", "100.0", "complete"]  # completeness %
    assert "no data" in lines["2025-01-02"]
    result = runner.invoke(meters, ["show", "rest"], obj=obj)
    assert result.exit_code == 0 and "main - a" in result.output and "virtual" in result.output
    result = runner.invoke(meters, ["show", "nope"], obj=obj)
    assert result.exit_code == 2 and "'nope': unknown meter" in result.output


def test_ingest_sink_refreshes_in_the_batch_transaction(plant, database_url):
    from datetime import UTC, datetime

    from lingtan.cli.ingest import StoreSink
    from lingtan.metering.reading import Reading

    sink = StoreSink(database_url, "F1")
    try:
        # b: +1 every 15 min over Jan 1 local (97 readings) = 96 kWh.
        sink.deliver(
            [
                Reading("b", datetime.fromtimestamp(T0 + 900 * k, UTC), float(k), "mqtt:plant/b")
                for k in range(97)
            ]
        )
    finally:
        sink.engine.dispose()
    assert _stale(plant) == []
    assert _rows(plant) == {("b", JAN1): (96.0, 0.0, 96, 0, 0)}


def test_redefining_a_meter_recomputes_its_days_and_nodes(plant):
    _ingest(plant, [("a", T0 + 900 * k, float(k)) for k in range(97)])
    _ingest(plant, [("b", T0 + 900 * k, float(k)) for k in range(97)])
    _refresh(plant)
    assert _rows(plant)["a", JAN1] == (96.0, 0.0, 96, 0, 0)
    with session_scope(plant) as session:
        # a: multiplier 1 -> 3 and moved from line-a to site; b unchanged.
        define_meters(
            session,
            "F1",
            [],
            [
                MeterDefinition("a", "electricity", "kWh", "cumulative", node="site", multiplier=3),
                MeterDefinition("b", "electricity", "kWh", "cumulative", node="site"),
            ],
            actor="test",
        )
    assert _stale(plant) == [("a", JAN1)]  # the days a has rows for
    assert _refresh(plant) == 1
    assert _rows(plant) == {("a", JAN1): (288.0, 0.0, 96, 0, 0), ("b", JAN1): (96.0, 0.0, 96, 0, 0)}
    with session_scope(plant, read_only=True) as session:
        fid = session.execute(sa.text("SELECT id FROM facility")).scalar_one()
        site = session.execute(sa.text("SELECT id FROM meter_node WHERE code = 'site'")).scalar()
        tree = tree_daily_totals(session, fid, JAN1, JAN2)
    # line-a has no meter left; site = a 96 x 3 + b 96 = 384 kWh from 2 meters.
    assert tree.node_id.tolist() == [site]
    assert (tree.energy.tolist(), tree.meter_days.tolist()) == ([384.0], [2])


def test_an_interval_meter_marks_twice_the_reach(plant):
    # g: 1 m3 per 15 min, each value for the time since the previous reading, Jan 1 00:00 to
    # Jan 3 00:00 local; Jan 2 00:15 and Jan 2 12:00 not read.
    _ingest(plant, [("g", T0 + 900 * k, 1.0) for k in range(193) if k not in (97, 144)])
    _refresh(plant)
    before = _rows(plant)
    # Jan 1: the first value only starts the series; 96 values of 1 m3 cover 00:00-24:00.
    assert before["g", JAN1] == (96.0, 0.0, 96, 0, 0)
    # Jan 2: 94 values of 1 m3 (k = 98..192 without 144); the values at 00:30 and 12:15 each
    # cover 30 min (1 m3 over 2 intervals): 94 m3.
    assert before["g", JAN2][0] == 94.0
    _ingest(plant, [("g", T0 + 900 * 97, 1.0)], origin="late")
    # Interval meters: 2 x (1 h + 15 min) = 2.5 h around Jan 2 00:15 reaches back into Jan 1.
    assert _stale(plant) == [("g", JAN1), ("g", JAN2)]
    _refresh(plant)
    _ingest(plant, [("g", T0 + 900 * 144, 1.0)], origin="late")
    # Noon: more than 2.5 h from either midnight, one day.
    assert _stale(plant) == [("g", JAN2)]
    _refresh(plant)
    after = _rows(plant)
    assert after["g", JAN1] == before["g", JAN1]
    # With both late values: 96 values of 1 m3, each over its own 15 minutes.
    assert after["g", JAN2] == (96.0, 0.0, 96, 0, 0)
    assert _rebuild(plant) == after
