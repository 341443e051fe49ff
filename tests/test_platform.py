"""The factory data platform on SQLite and PostgreSQL: imports, inventories, restatements,
the walk from a total to its evidence, and the audit log."""

import hashlib
import math
from datetime import date

import pytest
import sqlalchemy as sa

from lingtan.errors import InputError
from lingtan.imports.load import import_file
from lingtan.imports.template import write_workbook
from lingtan.services import inventory as inventories
from lingtan.services import records
from lingtan.store import audit
from lingtan.store.db import session_scope
from lingtan.store.evidence import EvidenceStore
from lingtan.store.models import ActivityRecord, AuditEntry, ImportBatch, Inventory, Source

FACILITY = [["Test Co", "T1", "Test plant", "江苏", "C3841", "电池", "fence"]]
SOURCES = [
    ["gas", "fuel_combustion", "Boiler", "Utilities", "natural_gas"],
    ["grid", "purchased_electricity", "Grid"],
    ["steam", "purchased_heat", "Steam"],
]


def workbook(folder, name="data.xlsx", activity=None, **sheets):
    (folder / "bill-01.csv").write_text("gas bill January,120000 Nm3\n", encoding="utf-8")
    rows = {
        "报告主体 Facility": FACILITY,
        "排放源 Sources": SOURCES,
        "活动数据 Activity": activity
        if activity is not None
        else [
            ["gas", date(2025, 1, 1), date(2025, 1, 31), 120000, "Nm3", "invoice", "bill-01.csv"],
            ["grid", date(2025, 1, 1), date(2025, 1, 31), 1000, "MWh", "meter"],
            ["steam", date(2025, 1, 1), date(2025, 1, 31), 500, "GJ", "invoice"],
        ],
        **sheets,
    }
    return write_workbook(folder / name, rows)


@pytest.fixture
def store(store_engine, tmp_path):
    return store_engine, EvidenceStore(tmp_path / "evidence")


def load(store, path, **kw):
    engine, evidence = store
    with session_scope(engine) as session:
        return import_file(session, path, evidence=evidence, actor="test", **kw)


def count(engine, model):
    with engine.connect() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


def test_import_is_idempotent(store, tmp_path):
    engine, _ = store
    first = load(store, workbook(tmp_path))
    assert first.added == {"sources": 3, "activity": 3, "instruments": 0, "production": 0}
    again = load(store, workbook(tmp_path))
    assert sum(again.added.values()) == 0
    assert again.unchanged["activity"] == 3
    assert count(engine, ActivityRecord) == 3


def test_conflicting_value_refuses_the_whole_file(store, tmp_path):
    engine, _ = store
    load(store, workbook(tmp_path))
    changed = [
        ["gas", date(2025, 1, 1), date(2025, 1, 31), 130000, "Nm3", "invoice"],
        ["gas", date(2025, 2, 1), date(2025, 2, 28), 90000, "Nm3", "invoice"],
    ]
    with pytest.raises(InputError) as raised:
        load(store, workbook(tmp_path, "changed.xlsx", activity=changed))
    (problem,) = raised.value.problems
    assert "changed.xlsx sheet 活动数据 Activity row 2" in problem.where
    assert "conflicts with the stored record of gas for 2025-01-01..2025-01-31" in problem.rule
    assert "120000 Nm3" in problem.rule
    assert count(engine, ActivityRecord) == 3  # February was not written either
    assert count(engine, ImportBatch) == 1


def test_overlapping_periods_are_refused(store, tmp_path):
    load(store, workbook(tmp_path))
    overlapping = [["grid", date(2025, 1, 15), date(2025, 2, 14), 900, "MWh", "meter"]]
    with pytest.raises(InputError, match=r"overlaps 2025-01-01\.\.2025-01-31 of source grid"):
        load(store, workbook(tmp_path, "o.xlsx", activity=overlapping))


def test_bad_rows_write_nothing(store, tmp_path):
    engine, _ = store
    bad = [
        ["gas", date(2025, 1, 1), date(2025, 1, 31), 120000, "MWh", "invoice"],
        ["grid", date(2025, 1, 1), date(2025, 1, 31), -3, "MWh", "meter"],
    ]
    with pytest.raises(InputError) as raised:
        load(store, workbook(tmp_path, activity=bad))
    rules = [(p.field, p.rule) for p in raised.value.problems]
    assert (
        "column E (单位 unit)",
        "a fuel_combustion quantity must convert to one of: t, Nm3",
    ) in rules
    assert ("column D (数量 quantity)", "must not be negative") in rules
    for model in (ActivityRecord, Source, ImportBatch, AuditEntry):
        assert count(engine, model) == 0


def test_csv_and_monthly_layouts(store, tmp_path):
    load(store, workbook(tmp_path, activity=[]))
    csv_file = tmp_path / "meter.csv"
    csv_file.write_text(
        "排放源编号 source_id,开始日期 period_start,结束日期 period_end,数量 quantity,单位 unit,"
        "数据来源 origin\ngrid,2025-02-01,2025-02-28,950.5,MWh,计量\n",
        encoding="gb18030",  # as a Chinese Excel saves it
    )
    assert load(store, csv_file, facility_code="T1").added["activity"] == 1
    monthly = tmp_path / "ledger.csv"
    monthly.write_text(
        "能源 source_id,单位 unit,年份 year,1月,2月,3月,合计 total\nsteam,GJ,2025,500,480,,980\n",
        encoding="utf-8",
    )
    assert load(store, monthly, facility_code="T1").added["activity"] == 2
    engine, _ = store
    with engine.connect() as connection:
        periods = connection.execute(
            sa.select(ActivityRecord.period_start, ActivityRecord.period_end)
            .join(Source)
            .where(Source.code == "steam")
            .order_by(ActivityRecord.period_start)
        ).all()
    assert periods == [(date(2025, 1, 1), date(2025, 1, 31)), (date(2025, 2, 1), date(2025, 2, 28))]


def test_compute_lock_restate_and_diff(store, tmp_path):
    engine, _ = store
    load(store, workbook(tmp_path))
    with session_scope(engine) as session:
        first = inventories.compute(
            session, "T1", date(2025, 1, 1), date(2025, 12, 31), actor="t", lock=True
        )
        # gas 12 x 10^4 Nm3 x 21.6218881 + grid 1000 x 0.5827 + steam 500 x 0.11
        expected = 12 * 389.31 * 0.0153 * 0.99 * 44 / 12 + 1000 * 0.5827 + 500 * 0.11
        assert first.total_tco2e == pytest.approx(expected, rel=1e-12)
        first_id = first.id
    with session_scope(engine) as session, pytest.raises(InputError, match="is locked"):
        inventories.compute(session, "T1", date(2025, 1, 1), date(2025, 12, 31), actor="t")
    # a forgotten February grid bill arrives, and the factor year is fixed to 2022
    load(store, workbook(tmp_path, "feb.xlsx", activity=[
        ["grid", date(2025, 2, 1), date(2025, 2, 28), 900, "MWh", "meter"],
    ]))  # fmt: skip
    with session_scope(engine) as session:
        second = inventories.restate(
            session, "T1", date(2025, 1, 1), date(2025, 12, 31), actor="t",
            reason="February grid bill received late",
            options=inventories.Options(electricity_factor_year=2022),
        )  # fmt: skip
        assert (second.supersedes_id, second.status) == (first_id, "locked")
        result = inventories.diff(session, first_id, second.id)
    lines = {entry["line"]: entry for entry in result["lines"]}
    assert lines["grid@2025-02-01"]["reason"] == "line added"
    assert lines["grid@2025-02-01"]["change_tco2e"] == pytest.approx(900 * 0.5978)
    january = lines["grid@2025-01-01"]
    assert january["activity_effect_tco2e"] == pytest.approx(0.0)
    assert january["factor_effect_tco2e"] == pytest.approx(1000 * (0.5978 - 0.5827))
    assert (
        "grid emission factor (location-based): 0.5827 -> 0.5978 tCO2/MWh"
        in (january["factors_changed"])
    )
    assert result["totals"]["total_tco2e"]["change"] == pytest.approx(
        900 * 0.5978 + 1000 * (0.5978 - 0.5827)
    )
    # the old snapshot is unchanged and readable
    with session_scope(engine) as session:
        old = session.get(Inventory, first_id)
        assert old.total_tco2e == pytest.approx(expected, rel=1e-12)
        assert old.status == "locked"


def test_walk_from_total_to_evidence(store, tmp_path):
    engine, evidence = store
    load(store, workbook(tmp_path))
    with session_scope(engine) as session:
        inventory = inventories.compute(
            session, "T1", date(2025, 1, 1), date(2025, 12, 31), actor="t"
        )
        result = inventory.result
        in_total = [ln for ln in result["lines"] if ln["gbt32150_category"]]
        assert math.fsum(ln["emissions_tco2e"] for ln in in_total) == pytest.approx(
            result["totals"]["total_tco2e"], rel=1e-12
        )
        biggest_fuel = next(ln for ln in in_total if ln["kind"] == "fuel_combustion")
        found = inventories.trace(session, inventory.id, biggest_fuel["source_id"])
    assert found["activity_record"]["quantity"] == 120000
    assert found["activity_record"]["origin"] == "invoice"
    (item,) = found["evidence"]
    assert item["filename"] == "bill-01.csv"
    content = evidence.read(item["sha256"], item["organization_id"])
    assert content == (tmp_path / "bill-01.csv").read_bytes()
    assert hashlib.sha256(content).hexdigest() == item["sha256"]
    ncv = found["factors"]["cn-fuel-defaults-2015@1:natural_gas.ncv"]
    assert (ncv["value"], ncv["unit"]) == (389.31, "GJ/(10^4 Nm3)")
    assert "changed_since" not in found["activity_record"]


def test_trace_of_a_snapshot_whose_records_changed_since(store, tmp_path):
    engine, _ = store
    load(store, workbook(tmp_path))
    january = (date(2025, 1, 1), date(2025, 1, 31))
    with session_scope(engine) as session:
        inventory_id = inventories.compute(session, "T1", date(2025, 1, 1), date(2025, 12, 31),
                                           actor="t", lock=True).id  # fmt: skip
        records.correct_record(session, "T1", "gas", *january, quantity=121000, unit=None,
                               reason="meter re-read", actor="t")  # fmt: skip
        records.delete_record(session, "T1", "gas", *january, reason="duplicate bill", actor="u")
    with session_scope(engine, read_only=True) as session:
        gone = inventories.trace(session, inventory_id, "gas@2025-01-01")
    # the snapshot still walks to what it used: the audit log's copy of the deleted record
    # and its evidence file, which stays in the store
    record = gone["activity_record"]
    assert (record["quantity"], record["unit"], record["origin"]) == (121000, "Nm3", "invoice")
    assert (record["deleted"]["by"], record["deleted"]["reason"]) == ("u", "duplicate bill")
    assert record["changed_since"] == (
        "the snapshot used 120000 Nm3; the record held when it was deleted 121000 Nm3 "
        "(see the audit log)"
    )
    assert [e["filename"] for e in gone["evidence"]] == ["bill-01.csv"]
    with session_scope(engine) as session:
        records.correct_record(session, "T1", "grid", *january, quantity=1010, unit=None,
                               reason="utility corrected", actor="t")  # fmt: skip
        changed = inventories.trace(session, inventory_id, "grid@2025-01-01")
    assert changed["activity_record"]["changed_since"] == (
        "the snapshot used 1000 MWh; the record now holds 1010 MWh (see the audit log)"
    )


def test_audit_log_records_every_change(store, tmp_path):
    engine, _ = store
    load(store, workbook(tmp_path))
    with session_scope(engine) as session:
        inventory = inventories.compute(
            session, "T1", date(2025, 1, 1), date(2025, 12, 31), actor="alice"
        )
        inventories.lock(session, inventory.id, actor="bob")
    with session_scope(engine) as session:
        report = audit.verify(session)
        actions = session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert report.ok and report.entries == len(actions)
    assert actions == ["create", "import", "compute", "lock"]
    with engine.begin() as connection:
        connection.execute(
            sa.update(AuditEntry).where(AuditEntry.action == "lock").values(actor="mallory")
        )
    with session_scope(engine) as session:
        assert not audit.verify(session).ok


def test_the_database_refuses_a_forked_audit_chain(store):
    engine, _ = store
    with session_scope(engine) as session:
        first = audit.record(session, actor="a", action="x", entity="e", entity_key="1")
        fork = {c.name: getattr(first, c.name) for c in AuditEntry.__table__.columns}
    fork.update(id=None, hash="f" * 64)  # a second successor of the same entry
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as connection:
        connection.execute(sa.insert(AuditEntry).values(fork))


def test_a_lock_refuses_a_period_that_overlaps_another_locked_one(store, tmp_path):
    """One reported figure per day: January cannot be locked inside the locked year, and
    the refusal names the inventory and its period (in Chinese on a zh-CN screen); a period
    beside it can."""
    from lingtan.i18n.catalog import texts

    engine, _ = store
    load(store, workbook(tmp_path))
    load(store, workbook(tmp_path, "2026.xlsx", activity=[
        ["grid", date(2026, 1, 1), date(2026, 1, 31), 800, "MWh", "meter"],
    ]))  # fmt: skip
    with session_scope(engine) as session:
        year = inventories.compute(
            session, "T1", date(2025, 1, 1), date(2025, 12, 31), actor="t", lock=True
        )
        year_id = year.id
        january = inventories.compute(
            session, "T1", date(2025, 1, 1), date(2025, 1, 31), actor="t"
        ).id
    with session_scope(engine) as session, pytest.raises(InputError) as refused:
        inventories.lock(session, january, actor="t")
    (problem,) = refused.value.problems
    assert f"locked period 2025-01-01 to 2025-12-31 of inventory {year_id}" in problem.rule
    assert "已锁定的核算期 2025-01-01 至 2025-12-31" in texts("zh-CN").message(problem.rule)
    with session_scope(engine) as session:
        assert session.get(Inventory, january).status == "computed"
        beside = inventories.compute(session, "T1", date(2026, 1, 1), date(2026, 1, 31), actor="t")
        assert inventories.lock(session, beside.id, actor="t").status == "locked"
