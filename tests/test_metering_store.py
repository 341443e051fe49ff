"""Metering store: meters, idempotent readings, conflicts, file imports; SQLite and PostgreSQL."""

from datetime import UTC, date, datetime

import numpy as np
import pytest
import sqlalchemy as sa

from lingtan.errors import InputError
from lingtan.metering.files import define_meters_from_file, import_readings_file
from lingtan.metering.intervals import meter_intervals
from lingtan.metering.store import (
    MeterDefinition,
    NodeDefinition,
    define_meters,
    ingest_readings,
    local_midnight,
    local_time,
    meter_readings,
    meters_of,
    stored_intervals,
    utc_offset_text,
)
from lingtan.store.db import session_scope
from lingtan.store.models import (
    ImportBatch,
    MeterReading,
    MeterReadingConflict,
)
from metering_support import add_plant

T0 = 1_735_660_800  # 2025-01-01 00:00 +08:00 = 2024-12-31 16:00 UTC


@pytest.fixture
def plant(store_engine):
    """A facility ``F1`` with a small tree: main meter, two line meters and a virtual rest."""
    with session_scope(store_engine) as session:
        add_plant(
            session,
            [
                NodeDefinition("line-a", "Line A", "line", parent="site"),
                NodeDefinition("site", "Site", "facility"),
            ],
            [
                MeterDefinition(
                    "main", "electricity", "kWh", "cumulative", node="site", multiplier=40
                ),
                MeterDefinition("a", "electricity", "kWh", "cumulative", node="line-a"),
                MeterDefinition("gas", "natural_gas", "Nm3", "interval", node="site"),
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


def _stored(engine):
    with session_scope(engine, read_only=True) as session:
        readings = session.execute(
            sa.select(MeterReading.ts, MeterReading.value).order_by(MeterReading.ts)
        ).all()
        conflicts = session.execute(
            sa.select(
                MeterReadingConflict.ts,
                MeterReadingConflict.stored_value,
                MeterReadingConflict.new_value,
                MeterReadingConflict.origin,
            )
        ).all()
    return [tuple(r) for r in readings], [tuple(c) for c in conflicts]


def test_define_is_idempotent_and_lists_meters(plant):
    with session_scope(plant) as session:
        define_meters(session, "F1", [NodeDefinition("site", "Site", "facility")], [], actor="test")
        meters = meters_of(session, "F1")
    assert [m.code for m in meters] == ["a", "gas", "main", "rest"]
    assert [m.multiplier for m in meters] == [1.0, 1.0, 40.0, 1.0]


def test_define_names_unknown_parent_energy_type_and_kind(plant):
    with pytest.raises(InputError) as caught, session_scope(plant) as session:
        define_meters(
            session,
            "F1",
            [NodeDefinition("x", "X", "line", parent="nowhere")],
            [MeterDefinition("m", "coal", "t", "register")],
            actor="test",
        )
    fields = sorted((p.where, p.field, p.value) for p in caught.value.problems)
    assert fields == [
        ("meter m", "energy_type", "coal"),
        ("meter m", "kind", "register"),
        ("node x", "parent", "nowhere"),
    ]


def test_reingest_is_idempotent(plant):
    readings = [("main", T0 + 900 * i, 100.0 + i) for i in range(10)]
    with session_scope(plant) as session:
        first = ingest_readings(session, "F1", readings, origin="test")
    with session_scope(plant) as session:
        second = ingest_readings(session, "F1", readings, origin="test", chunk_size=3)
    assert (first.added, first.unchanged, first.conflicts) == (10, 0, 0)
    assert (second.added, second.unchanged, second.conflicts) == (0, 10, 0)
    stored, conflicts = _stored(plant)
    assert len(stored) == 10 and conflicts == []


def test_a_different_value_is_a_conflict_and_never_overwrites(plant):
    with session_scope(plant) as session:
        ingest_readings(session, "F1", [("main", T0, 100.0), ("main", T0 + 900, 101.0)], origin="a")
    for _ in range(2):  # the same conflicting reading twice is recorded once
        with session_scope(plant) as session:
            summary = ingest_readings(
                session, "F1", [("main", T0, 100.0), ("main", T0 + 900, 105.5)], origin="b.csv"
            )
        assert (summary.added, summary.unchanged, summary.conflicts) == (0, 1, 1)
    stored, conflicts = _stored(plant)
    assert stored == [(T0, 100.0), (T0 + 900, 101.0)]
    assert conflicts == [(T0 + 900, 101.0, 105.5, "b.csv")]
    with session_scope(plant, read_only=True) as session:
        [conflict] = session.scalars(sa.select(MeterReadingConflict)).all()
    assert conflict.created_at.tzinfo is not None


def test_late_and_out_of_order_readings_are_accepted(plant):
    with session_scope(plant) as session:
        ingest_readings(session, "F1", [("a", T0 + 1800, 3.0), ("a", T0, 1.0)], origin="x")
    with session_scope(plant) as session:  # a late reading filling the gap
        summary = ingest_readings(session, "F1", [("a", T0 + 900, 2.0)], origin="late")
        ts, values = meter_readings(session, "F1", "a", start=T0, end=T0 + 2700)
    assert summary.added == 1
    assert ts.tolist() == list(np.array([T0, T0 + 900, T0 + 1800]).astype("datetime64[s]"))
    assert values.tolist() == [1.0, 2.0, 3.0]


def test_unknown_and_virtual_meters_are_counted_not_stored(plant):
    with session_scope(plant) as session:
        summary = ingest_readings(
            session, "F1", [("nope", T0, 1.0), ("rest", T0, 2.0), ("a", T0, 3.0)], origin="x"
        )
    assert summary.added == 1
    assert dict(summary.unknown_meters) == {"nope": 1}
    assert dict(summary.virtual_meters) == {"rest": 1}


def test_readings_accept_aware_datetimes(plant):
    when = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
    with session_scope(plant) as session:
        ingest_readings(session, "F1", [("a", when, 1.0)], origin="x")
    assert _stored(plant)[0] == [(int(when.timestamp()), 1.0)]


def test_intervals_from_stored_readings_equal_the_pure_function(plant):
    rng = np.random.default_rng(4)
    ts = T0 - 900 + 900 * np.arange(200, dtype=np.int64) + rng.integers(-30, 30, 200)
    values = 5000 + np.cumsum(rng.uniform(0, 3, 200))
    order = rng.permutation(200)  # stored out of order
    with session_scope(plant) as session:
        ingest_readings(
            session, "F1", [("main", int(ts[i]), float(values[i])) for i in order], origin="x"
        )
    start, end = np.datetime64(T0, "s"), np.datetime64(T0 + 96 * 900, "s")
    with session_scope(plant, read_only=True) as session:
        got = stored_intervals(session, "F1", "main", start=start, end=end)
    expected = meter_intervals(
        ts.astype("datetime64[s]"),
        values,
        start=start,
        end=end,
        kind="cumulative",
        meter_id="main",
        unit="kWh",
        multiplier=40.0,
    )
    np.testing.assert_array_equal(got.start, expected.start)
    np.testing.assert_array_equal(got.energy, expected.energy)
    np.testing.assert_array_equal(got.quality, expected.quality)
    assert got.problems == expected.problems
    assert np.nansum(got.energy) > 0


# --- Files ----------------------------------------------------------------------------------

NOW = datetime(2025, 6, 1, tzinfo=UTC)


def _import(engine, path, **options):
    with session_scope(engine) as session:
        return import_readings_file(session, "F1", path, now=NOW, **options)


def test_long_csv_with_chinese_header_and_local_time(plant, tmp_path):
    path = tmp_path / "long.csv"
    path.write_text(
        "表计,时间,读数\n"
        "main,2025-01-01 00:00,100\n"
        "a,2025-01-01T00:15:00+08:00,7.5\n"
        "main,2025-01-01T00:15:00Z,101\n",
        encoding="utf-8-sig",
    )
    result = _import(plant, path)
    assert (result.layout, result.rows_read, result.readings.added) == ("long", 3, 3)
    stored, _ = _stored(plant)
    assert stored == [(T0, 100.0), (T0 + 900, 7.5), (T0 + 900 + 8 * 3600, 101.0)]


def test_wide_csv_and_a_configurable_offset(plant, tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text("timestamp,main,a\n2025-01-01 00:00,100,1\n2025-01-01 00:15,,2\n")
    result = _import(plant, path, utc_offset_min=0)
    assert (result.layout, result.rows_read, result.readings.added) == ("wide", 2, 3)
    stored, _ = _stored(plant)
    base = T0 + 8 * 3600
    assert sorted(stored) == [(base, 1.0), (base, 100.0), (base + 900, 2.0)]


def test_wide_xlsx_with_excel_dates(plant, tmp_path):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["时间", "main", "gas"])
    sheet.append([datetime(2025, 1, 1, 0, 0), 100, 3.25])
    sheet.append([datetime(2025, 1, 1, 0, 15), 101, None])
    workbook.save(tmp_path / "wide.xlsx")
    result = _import(plant, tmp_path / "wide.xlsx")
    assert (result.layout, result.readings.added) == ("wide", 3)
    assert sorted(_stored(plant)[0]) == [(T0, 3.25), (T0, 100.0), (T0 + 900, 101.0)]


def test_reimporting_a_file_changes_nothing(plant, tmp_path):
    path = tmp_path / "long.csv"
    path.write_text("meter,timestamp,value\nmain,2025-01-01 00:00,100\n")
    _import(plant, path)
    again = _import(plant, path)
    assert (again.readings.added, again.readings.unchanged) == (0, 1)


def test_one_bad_row_writes_nothing_and_every_problem_is_named(plant, tmp_path):
    path = tmp_path / "bad.csv"
    rows = [f"main,2025-01-01T{h:02d}:00:00+08:00,{h}" for h in range(24)]
    rows[5] = "boiler-9,2025-01-01 05:00,5"  # row 7 in the file (header is row 1)
    rows[9] = "a,yesterday,1"
    rows[10] = "a,2025-01-01 10:00,ten"
    rows[11] = "a,2030-01-01 10:00,1"
    rows[12] = "rest,2025-01-01 12:00,1"
    path.write_text("meter,timestamp,value\n" + "\n".join(rows) + "\n")
    with pytest.raises(InputError) as caught:
        _import(plant, path, chunk_size=4)  # chunks before the first problem are rolled back
    found = [(p.where, p.field, p.value, p.rule.split(":")[0]) for p in caught.value.problems]
    assert found == [
        ("bad.csv row 7", "meter", "boiler-9", "unknown meter"),
        ("bad.csv row 11", "timestamp", "yesterday", "unparsable timestamp"),
        ("bad.csv row 12", "value", "ten", "unparsable value"),
        ("bad.csv row 13", "timestamp", "2030-01-01 10:00", "timestamp in the future"),
        ("bad.csv row 14", "meter", "rest", "a virtual meter has no readings of its own"),
    ]
    assert _stored(plant) == ([], [])
    with session_scope(plant, read_only=True) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(ImportBatch)) == 0


def test_wide_unknown_meter_column_is_named(plant, tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text("时间,main,ghost\n2025-01-01 00:00,1,2\n")
    with pytest.raises(InputError) as caught:
        _import(plant, path)
    [problem] = caught.value.problems
    assert (problem.where, problem.field, problem.rule) == (
        "wide.csv row 1",
        "ghost",
        "unknown meter",
    )
    assert _stored(plant) == ([], [])


def test_define_meters_from_a_csv(plant, tmp_path):
    path = tmp_path / "meters.csv"
    path.write_text(
        "类别,编号,名称,上级,层级,能源类型,单位,计量方式,倍率,公式\n"
        "meter,steam-1,Steam header,ws-2,,steam,t,cumulative,1,\n"
        "节点,ws-2,Workshop 2,site,workshop,,,,,\n"
        "表计,ct-9,Compressor,ws-2,,electricity,kWh,cumulative,80,\n"
        "meter,ws2-rest,Rest,ws-2,,electricity,kWh,interval,,0.5 * ct-9\n",
        encoding="utf-8",
    )
    with session_scope(plant) as session:
        assert define_meters_from_file(session, "F1", path, actor="test") == (1, 3)
        meters = {m.code: m for m in meters_of(session, "F1")}
    assert meters["ct-9"].multiplier == 80.0
    assert meters["ws2-rest"].virtual_formula == "0.5 * ct-9"
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "record,code,energy_type,unit,kind,multiplier\nmeter,x,steam,t,cumulative,lots\n"
    )
    with pytest.raises(InputError) as caught, session_scope(plant) as session:
        define_meters_from_file(session, "F1", bad, actor="test")
    assert [(p.where, p.field) for p in caught.value.problems] == [("bad.csv row 2", "multiplier")]


# --- CLI (the group is wired into ``lingtan`` by the maintainer; invoked directly here) -----


def test_cli_define_import_and_list(plant, tmp_path, database_url):
    from click.testing import CliRunner

    from lingtan.cli.metering import meters

    definitions = tmp_path / "meters.csv"
    definitions.write_text(
        "record,code,name,parent,level,energy_type,unit,kind,multiplier\n"
        "node,ws-1,Workshop 1,site,workshop,,,,\n"
        "meter,ws1-main,Workshop 1 main,ws-1,,electricity,kWh,cumulative,200\n"
    )
    readings = tmp_path / "readings.csv"
    readings.write_text("timestamp,ws1-main\n2025-01-01 00:00,1\n2025-01-01 00:15,2\n")
    bad = tmp_path / "bad.csv"
    bad.write_text("timestamp,ws1-main\n2025-01-01 00:30,x\n")
    runner = CliRunner()
    obj = {"db": database_url}

    result = runner.invoke(meters, ["define", str(definitions)], obj=obj)
    assert result.exit_code == 0, result.output
    assert "1 node(s), 1 meter(s) defined" in result.output
    result = runner.invoke(meters, ["import", str(readings), "--utc-offset", "+00:00"], obj=obj)
    assert result.exit_code == 0, result.output
    assert "2 reading(s) added" in result.output
    result = runner.invoke(meters, ["import", str(bad)], obj=obj)
    assert result.exit_code == 2
    assert "bad.csv row 2: field 'ws1-main' = 'x': unparsable value" in result.output
    result = runner.invoke(meters, ["list"], obj=obj)
    assert result.exit_code == 0, result.output
    assert "ws1-main" in result.output and "ws-1" in result.output
    stored, _ = _stored(plant)
    assert sorted(stored) == [(T0 + 8 * 3600, 1.0), (T0 + 8 * 3600 + 900, 2.0)]


def test_local_day_start_and_wall_time_by_hand():
    # 2025-01-01 is day 20,089 since 1970-01-01 (55 years, 14 of them leap: 55 x 365 + 14);
    # its local midnight at +08:00 is 20,089 x 86,400 s - 8 x 3,600 s = 1,735,660,800 s = T0
    assert local_midnight(date(2025, 1, 1)) == T0
    assert local_midnight(np.datetime64("2025-01-02")) == T0 + 86_400
    # at -03:30 the same day starts 11.5 h later: T0 + 11.5 x 3,600 s
    assert local_midnight(date(2025, 1, 1), -210) == T0 + 41_400
    # T0 + 15 min + 59 s is 00:15:59 local at +08:00; minutes drop the seconds, never round
    assert local_time(T0 + 959) == "2025-01-01 00:15"
    assert local_time(T0 + 959, seconds=True) == "2025-01-01 00:15:59"
    assert local_time(T0, 0) == "2024-12-31 16:00"
    assert (utc_offset_text(480), utc_offset_text(-210), utc_offset_text(0)) == (
        "+08:00",
        "-03:30",
        "+00:00",
    )
