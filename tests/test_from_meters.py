"""Activity records produced from meters, on SQLite and PostgreSQL: a hand-worked February,
conversion to the source's unit, completeness rules, idempotence, conflicts, and the lineage
from an inventory line down to the meters and the interval CSV."""

import csv
import io
import math
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from lingtan.errors import InputError
from lingtan.i18n import Message
from lingtan.i18n.catalog import texts
from lingtan.imports.load import import_file
from lingtan.metering.intervals import metered_note
from lingtan.metering.store import MeterDefinition, NodeDefinition, define_meters, ingest_readings
from lingtan.services import inventory as inventories
from lingtan.services import records
from lingtan.services.from_meters import activity_from_meters, months
from lingtan.store.db import make_engine, session_scope
from lingtan.store.evidence import EvidenceStore
from lingtan.store.models import ActivityMeter, ActivityRecord, AuditEntry
from test_platform import workbook

# February 2025 in local time (+08:00): [2025-01-31 16:00 UTC, 2025-02-28 16:00 UTC),
# 28 days x 96 = 2688 intervals of 15 minutes.
FEB_START = int(datetime(2025, 1, 31, 16, tzinfo=UTC).timestamp())
FEB_END = int(datetime(2025, 2, 28, 16, tzinfo=UTC).timestamp())
FEB = months(2025, 2)
BIG_STEP_END = int(datetime(2025, 2, 10, 2, tzinfo=UTC).timestamp())  # 10:00 local
LOST = int(datetime(2025, 2, 20, 4, tzinfo=UTC).timestamp())  # 12:00 local, never read
OUTAGE = range(  # 2025-02-15 00:00 .. 02:00 UTC: 9 readings lost, a gap of 2.5 h
    int(datetime(2025, 2, 15, 0, tzinfo=UTC).timestamp()),
    int(datetime(2025, 2, 15, 2, tzinfo=UTC).timestamp()) + 1,
    900,
)

# E-MAIN: a cumulative kWh register with multiplier 80, read every 15 minutes from one day
# before February to one day after. It advances 0.5 per interval (0.5 x 80 = 40 kWh), except
# the interval ending 2025-02-10 02:00 UTC, where it advances 2.0 (160 kWh). The reading at
# 2025-02-20 04:00 UTC is lost: the 30-minute segment 03:45..04:15 (1.0 x 80 = 80 kWh) is
# spread over its two intervals, 40 kWh each, flagged estimated.
#
#   February: 2688 intervals x 0.5 + (2.0 - 0.5) = 1345.5 register units
#             x 80 = 107 640 kWh = 107.64 MWh, of which 2 x 40 = 80 kWh estimated.
#
# E-EXPORT: a cumulative kWh register, multiplier 10, advancing 1.0 per interval (10 kWh):
#   February: 2688 x 10 = 26 880 kWh; E-MAIN - E-EXPORT = 80 760 kWh = 80.76 MWh.
MAIN_KWH, MAIN_ESTIMATED_KWH, EXPORT_KWH = 107_640.0, 80.0, 26_880.0


def main_readings(*, lost=(LOST,)):
    value, out = 1000.0, []
    for ts in range(FEB_START - 86_400, FEB_END + 86_400 + 1, 900):
        if ts > FEB_START - 86_400:
            value += 2.0 if ts == BIG_STEP_END else 0.5
        if ts not in lost:
            out.append(("E-MAIN", ts, value))
    return out


def export_readings():
    return [
        ("E-EXPORT", ts, 500.0 + (ts - FEB_START) / 900)
        for ts in range(FEB_START - 86_400, FEB_END + 86_400 + 1, 900)
    ]


@pytest.fixture
def plant(store_engine, tmp_path):
    """Facility T1 (江苏) with sources gas, grid, steam (January records of gas and steam),
    meters E-MAIN, E-EXPORT, a gas meter and a virtual meter, and February's readings."""
    evidence = EvidenceStore(tmp_path / "evidence")
    book = workbook(
        tmp_path,
        activity=[["steam", date(2025, 1, 1), date(2025, 1, 31), 500, "GJ", "invoice"]],
    )
    with session_scope(store_engine) as session:
        import_file(session, book, evidence=evidence, actor="test")
        define_meters(
            session,
            "T1",
            [NodeDefinition("site", "Site", "facility")],
            [
                MeterDefinition("E-MAIN", "electricity", "kWh", "cumulative", multiplier=80),
                MeterDefinition("E-EXPORT", "electricity", "kWh", "cumulative", multiplier=10),
                MeterDefinition("G-BOILER", "natural_gas", "Nm3", "interval"),
                MeterDefinition(
                    "E-REST",
                    "electricity",
                    "kWh",
                    "cumulative",
                    virtual_formula="E-MAIN - E-EXPORT",
                ),
            ],
            actor="test",
        )
        ingest_readings(session, "T1", main_readings() + export_readings(), origin="test")
    return store_engine, evidence


def run(plant, meters=(("E-MAIN", 1),), periods=FEB, **options):
    engine, evidence = plant
    options.setdefault("allow_estimated", True)
    with session_scope(engine) as session:
        return activity_from_meters(
            session, "T1", "grid", list(meters), periods, evidence=evidence, actor="t", **options
        )


def count(engine, model):
    with engine.connect() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


def refusal(plant, **kw) -> str:
    with pytest.raises(InputError) as caught:
        run(plant, **kw)
    return str(caught.value)


def test_hand_worked_february_in_mwh_with_lineage_and_evidence(plant):
    engine, evidence = plant
    (done,) = run(plant)
    # grid has no records yet: purchased electricity is recorded in MWh
    assert (done.unit, done.status) == ("MWh", "added")
    assert done.quantity == pytest.approx(MAIN_KWH / 1000, rel=1e-12)  # 107.64 MWh
    assert done.quality_note == (
        "from meters E-MAIN (+1): 2688 intervals of 15 min, 2686 measured, 2 estimated, "
        "0 missing; energy 99.93 % measured, 0.07432 % estimated"  # 80 / 107 640 = 0.0743 %
    )
    with session_scope(engine, read_only=True) as session:
        record = session.scalars(
            sa.select(ActivityRecord).where(ActivityRecord.origin == "meter")
        ).one()
        assert (record.origin, record.import_id, record.period_end) == (
            "meter",
            None,
            date(2025, 2, 28),
        )
        (link,) = session.scalars(sa.select(ActivityMeter)).all()
        assert (link.sign, link.start_ts, link.end_ts) == (1.0, FEB_START, FEB_END)
        assert (link.energy, link.estimated, link.missing_intervals) == (MAIN_KWH, 80.0, 0)
        (stored,) = record.evidence
        assert stored.sha256 == done.evidence_sha256
        assert stored.filename == "grid_2025-02-01_2025-02-28_meters.csv"
        rows = list(
            csv.DictReader(
                io.StringIO(evidence.read(stored.sha256, stored.organization_id).decode())
            )
        )
        audit = session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "from_meters")
        ).one()
        assert audit.after["added"][0]["quantity"] == done.quantity
    # the evidence CSV: every interval, and it adds up to the record
    assert len(rows) == 2688
    assert rows[0]["interval_start_utc"] == "2025-01-31T16:00:00Z"
    assert rows[0]["interval_start_local"] == "2025-02-01 00:00+08:00"
    assert rows[-1]["interval_start_local"] == "2025-02-28 23:45+08:00"
    estimated = [r for r in rows if r["quality"] == "estimated"]
    assert [r["interval_start_local"] for r in estimated] == [
        "2025-02-20 11:45+08:00",
        "2025-02-20 12:00+08:00",
    ]
    assert [float(r["energy"]) for r in estimated] == [40.0, 40.0]
    assert math.fsum(float(r["energy"]) for r in rows) == MAIN_KWH
    assert math.fsum(float(r["contribution"]) for r in rows) == pytest.approx(done.quantity)


def test_the_stored_note_is_shown_in_the_readers_language(plant):
    (done,) = run(plant)
    with session_scope(plant[0], read_only=True) as session:
        stored = session.scalars(
            sa.select(ActivityRecord.quality_note).where(ActivityRecord.origin == "meter")
        ).one()
    shown = metered_note(stored)  # the English text as the database keeps it
    assert isinstance(shown, Message) and str(shown) == stored == done.quality_note
    assert texts("zh-CN").message(shown) == (
        "来自计量表 E-MAIN (+1)：15 分钟间隔 2688 个，其中实测 2686 个、估算 2 个、缺失 0 个；"
        "能量实测占 99.93 %，估算占 0.07432 %"
    )
    assert texts("en").message(shown) == stored
    # a note typed by a person (an imported record) is shown as it was entered
    assert metered_note("读数取自抄表记录") == "读数取自抄表记录"
    assert metered_note("from meters M1: later") == "from meters M1: later"
    assert metered_note(None) is None


def test_signed_sum_and_the_unit_of_existing_records(plant, tmp_path):
    engine, evidence = plant
    # January was imported in 万kWh: February from the meters follows it
    book = workbook(
        tmp_path,
        "jan.xlsx",
        activity=[["grid", date(2025, 1, 1), date(2025, 1, 31), 9.5, "万kWh", "invoice"]],
    )
    with session_scope(engine) as session:
        import_file(session, book, evidence=evidence, actor="test")
    (done,) = run(plant, meters=[("E-MAIN", 1), ("E-EXPORT", -1)])
    # (107 640 - 26 880) kWh = 80 760 kWh = 8.076 万kWh
    assert done.unit == "万kWh"
    assert done.quantity == pytest.approx((MAIN_KWH - EXPORT_KWH) / 10_000, rel=1e-12)
    assert "E-MAIN (+1), E-EXPORT (-1): 5376 intervals" in done.quality_note
    with session_scope(engine, read_only=True) as session:
        links = {
            code: (sign, energy)
            for code, sign, energy in session.execute(
                sa.text(
                    "SELECT m.code, a.sign, a.energy FROM activity_meter a "
                    "JOIN meter m ON m.id = a.meter_id"
                )
            )
        }
    assert links == {"E-MAIN": (1.0, MAIN_KWH), "E-EXPORT": (-1.0, EXPORT_KWH)}


def test_idempotent_and_all_or_nothing(plant):
    engine, _ = plant
    run(plant)
    before = [count(engine, m) for m in (ActivityRecord, ActivityMeter, AuditEntry)]
    (again,) = run(plant)
    assert again.status == "unchanged"
    assert [count(engine, m) for m in (ActivityRecord, ActivityMeter, AuditEntry)] == before
    # the whole year: every month but February lacks readings, so nothing is written
    text = refusal(plant, meters=[("E-EXPORT", 1)], periods=months(2025))
    assert "meter E-EXPORT 2025-01-01..2025-01-31" in text
    assert "2976 of 2976 intervals have no energy" in text  # 31 x 96
    assert [count(engine, m) for m in (ActivityRecord, ActivityMeter, AuditEntry)] == before


def test_incomplete_periods_are_refused_unless_allowed(plant):
    engine, _ = plant
    text = refusal(plant, allow_estimated=False)
    assert "meter E-MAIN 2025-02-01..2025-02-28: field 'estimated_intervals' = 2" in text
    assert "the first at 2025-02-20 11:45 +08:00" in text
    with session_scope(engine) as session:  # readings lost in an outage on 15 February
        lost = int(datetime(2025, 2, 15, 0, tzinfo=UTC).timestamp())
        session.execute(
            sa.text("DELETE FROM meter_reading WHERE ts >= :a AND ts <= :b"),
            {"a": lost, "b": lost + 2 * 3600},
        )
    # readings 23:45 and 02:15 UTC enclose 2.5 h: the 10 intervals between are missing
    text = refusal(plant)
    assert "field 'missing_intervals' = 10: 10 of 2688 intervals have no energy" in text
    assert "first gap 2025-02-15 07:45 +08:00, 10 interval(s) missing" in text
    assert count(engine, ActivityRecord) == 1  # steam only
    # allowed up to 1 % (26.88 intervals): the missing 10 x 40 kWh are not counted
    (done,) = run(plant, max_missing_share=0.01)
    assert done.quantity == pytest.approx((MAIN_KWH - 400) / 1000, rel=1e-12)  # 107.24 MWh
    assert "2676 measured, 2 estimated, 10 missing" in done.quality_note
    # the outage readings arrive late: the quantity changes, which is a conflict
    ingest_late(engine, [r for r in main_readings() if r[1] in OUTAGE])
    text = refusal(plant, max_missing_share=0.01)
    assert "field 'quantity' = '107.64 MWh': conflicts with the stored record (107.24 MWh" in text
    assert "lingtan activity correct" in text


def ingest_late(engine, readings):
    with session_scope(engine) as session:
        ingest_readings(session, "T1", readings, origin="late")


def test_changed_intervals_with_the_same_total_are_a_conflict(plant):
    engine, _ = plant
    (first,) = run(plant)
    # the lost reading arrives: 0.75 then 0.25 of the register advance of 1.0 -> 60 + 20 kWh
    # instead of 40 + 40 estimated; February's total stays 107.64 MWh
    value = next(v for _, ts, v in main_readings(lost=()) if ts == LOST) + 0.25
    ingest_late(engine, [("E-MAIN", LOST, value)])
    text = refusal(plant)
    assert f"conflicts with the stored record ({first.quantity:.10g} MWh" in text
    assert "the intervals differ" in text
    # removed explicitly (lineage with it), the record can be produced again
    with session_scope(engine) as session:
        records.delete_record(
            session, "T1", "grid", *FEB[0], reason="late reading arrived", actor="t"
        )
    (second,) = run(plant, allow_estimated=False)
    assert second.quantity == pytest.approx(first.quantity, rel=1e-12)
    assert "2688 measured, 0 estimated, 0 missing" in second.quality_note
    assert count(engine, ActivityMeter) == 1


def test_a_virtual_meter_counts_as_the_meters_of_its_formula(plant):
    engine, _ = plant
    # E-REST = E-MAIN - E-EXPORT: (107 640 - 26 880) kWh = 80.76 MWh
    (done,) = run(plant, meters=[("E-REST", 1)])
    assert done.quantity == pytest.approx((MAIN_KWH - EXPORT_KWH) / 1000, rel=1e-12)
    assert done.quality_note.startswith(
        "from meters E-MAIN (+1), E-EXPORT (-1) [E-REST = E-MAIN - E-EXPORT]: 5376 intervals"
    )
    with session_scope(engine) as session:
        records.delete_record(session, "T1", "grid", *FEB[0], reason="test", actor="t")
    # E-REST + E-EXPORT = E-MAIN: the export meter cancels out and is not read
    (main_only,) = run(plant, meters=[("E-REST", 1), ("E-EXPORT", 1)])
    assert main_only.quantity == pytest.approx(MAIN_KWH / 1000, rel=1e-12)
    assert main_only.quality_note.startswith("from meters E-MAIN (+1) [E-REST = ")
    assert count(engine, ActivityMeter) == 1


def test_meters_that_cannot_give_the_quantity_are_refused(plant):
    engine, _ = plant
    text = refusal(plant, meters=[("G-BOILER", 1), ("E-NONE", -1), ("E-MAIN", 2)])
    assert "meter G-BOILER: field 'unit' = 'Nm3': cannot give the quantity of " in text
    assert "purchased_electricity source grid in MWh" in text
    assert "meter E-NONE: field 'meter' = 'E-NONE': no such meter in facility T1" in text
    assert "meter E-MAIN: field 'sign' = 2: must be +1 or -1" in text
    negative = refusal(plant, meters=[("E-EXPORT", 1), ("E-MAIN", -1)])
    assert "the signed sum of the meters is negative [MWh]" in negative
    with engine.begin() as connection:  # a formula stored before formulas were checked
        connection.execute(
            sa.text("UPDATE meter SET virtual_formula = 'E-MAIN - G-BOILER' WHERE code = 'E-REST'")
        )
    text = refusal(plant, meters=[("E-REST", 1)])
    assert "meter E-REST: field 'formula' = 'G-BOILER': is natural_gas" in text
    assert count(engine, ActivityMeter) == 0


def test_inventory_line_traces_to_the_meters(plant):
    engine, _ = plant
    (done,) = run(plant)
    with session_scope(engine) as session:
        inventory = inventories.compute(session, "T1", *FEB[0], actor="t")
        line = next(ln for ln in inventory.result["lines"] if ln["source_id"] == "grid@2025-02-01")
        found = inventories.trace(session, inventory.id, "grid@2025-02-01")
        lineage = inventory.lineage["lines"]["grid@2025-02-01"]
    # 107.64 MWh x 0.5827 tCO2/MWh (the default grid factor, as in test_platform_cli)
    assert line["activity"] == pytest.approx(107.64, rel=1e-12)
    assert line["emissions_tco2e"] == pytest.approx(107.64 * 0.5827, rel=1e-9)
    (meter,) = found["meters"]
    assert meter == {
        "meter": "E-MAIN",
        "sign": 1.0,
        "start_utc": "2025-01-31T16:00:00+00:00",
        "end_utc": "2025-02-28T16:00:00+00:00",
        "energy": MAIN_KWH,
        "estimated": MAIN_ESTIMATED_KWH,
        "unit": "kWh",
        "measured_share": pytest.approx((MAIN_KWH - 80) / MAIN_KWH),
        "missing_intervals": 0,
    }
    assert found["activity_record"]["origin"] == "meter"
    assert found["activity_record"]["quality_note"] == done.quality_note
    assert [e["sha256"] for e in found["evidence"]] == [done.evidence_sha256]
    assert lineage["meters"] == found["meters"]  # also in the snapshot (JSON export)


def test_command_line(lingtan_cli, database_url, tmp_path):
    cli = lingtan_cli

    cli("init")
    cli("import", "activity", workbook(tmp_path))  # grid January 1000 MWh
    engine = make_engine(database_url)
    with session_scope(engine) as session:
        define_meters(
            session,
            "T1",
            [],
            [
                MeterDefinition("E-MAIN", "electricity", "kWh", "cumulative", multiplier=80),
                MeterDefinition("E-EXPORT", "electricity", "kWh", "cumulative", multiplier=10),
            ],
            actor="test",
        )
        ingest_readings(session, "T1", main_readings() + export_readings(), origin="test")
    engine.dispose()
    args = ("activity", "from-meters", "--source", "grid", "--meter", "E-MAIN")
    args += ("--meter", "-E-EXPORT", "--year", 2025, "--month", "2025-02")
    refused = cli(*args, code=2)
    assert "estimated_intervals" in refused.stderr
    out = cli(*args, "--allow-estimated").output
    # (107 640 - 26 880) kWh = 80.76 MWh, in the unit of January's record
    assert "grid 2025-02-01..2025-02-28: 80.76 MWh added (from meters E-MAIN (+1)" in out
    assert "80.76 MWh unchanged" in cli(*args, "--allow-estimated").output
    assert "is not in 2024" in cli(*args[:-4], "--year", 2024, "--month", "2025-02", code=2).stderr
    zh = cli("--lang", "zh-CN", *args, "--allow-estimated").output
    assert (
        "grid 2025-02-01..2025-02-28：80.76 MWh，未变（来自计量表 E-MAIN (+1), E-EXPORT (-1)："
        in zh
    )
    wrong = cli("--lang", "zh-CN", *args[:-4], "--year", 2024, "--month", "2025-02", code=2)
    assert "2025-02 不在 2024 年内" in wrong.stderr
