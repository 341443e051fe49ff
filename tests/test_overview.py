"""The year overview of a facility and its target, on both databases: figures read from the
inventory snapshot, the monthly trend, and progress against a straight-line trajectory."""

import json
from datetime import date

import pytest
import sqlalchemy as sa

from lingtan.errors import InputError
from lingtan.services import inventory as inventories
from lingtan.services.overview import facility_overview, set_target, target_summary
from lingtan.store.db import session_scope
from lingtan.store.evidence import EvidenceStore
from lingtan.store.models import AuditEntry, Facility, FacilityTarget
from test_platform import load, workbook

JANUARY_GAS = 12 * 389.31 * 0.0153 * 0.99 * 44 / 12  # 12 x 10^4 Nm3 natural gas [tCO2]
GRID = 0.5827  # Jiangsu location-based grid factor the rule picks for 2025 [tCO2/MWh]


@pytest.fixture
def store(store_engine, tmp_path):
    return store_engine, EvidenceStore(tmp_path / "evidence")


def two_months(tmp_path):
    return workbook(tmp_path, activity=[
        ["gas", date(2025, 1, 1), date(2025, 1, 31), 120000, "Nm3", "invoice", "bill-01.csv"],
        ["grid", date(2025, 1, 1), date(2025, 1, 31), 1000, "MWh", "meter"],
        ["grid", date(2025, 2, 1), date(2025, 2, 28), 900, "MWh", "meter"],
        ["steam", date(2025, 2, 1), date(2025, 2, 28), 500, "GJ", "invoice"],
    ])  # fmt: skip


def facility(session):
    return session.scalars(sa.select(Facility).where(Facility.code == "T1")).one()


def test_overview_reads_the_inventory_and_splits_it_by_month(store, tmp_path):
    engine, _ = store
    load(store, two_months(tmp_path))
    with session_scope(engine) as session:
        assert facility_overview(session, facility(session), 2025)["inventory"] is None
        computed = inventories.compute(
            session, "T1", date(2025, 1, 1), date(2025, 12, 31), actor="t"
        )
        data = facility_overview(session, facility(session), 2025)
        totals = computed.result["totals"]
    e = data["emissions"]
    assert data["inventory"]["id"] == computed.id
    assert data["inventory"]["status"] == "computed"
    assert e["scope1_tco2e"] == pytest.approx(JANUARY_GAS, rel=1e-12)
    # grid 1,900 MWh x 0.5827 + steam 500 GJ x 0.11 tCO2/GJ
    assert e["scope2_location_tco2e"] == pytest.approx(1900 * GRID + 500 * 0.11, rel=1e-12)
    assert e["total_location_tco2e"] == pytest.approx(totals["total_tco2e"], rel=1e-12)
    assert e["total_market_tco2e"] == pytest.approx(
        totals["scope1_tco2e"] + totals["scope2_market_tco2e"], rel=1e-12
    )
    assert data["energy_tce"] == totals["energy_tce"]
    months = {m["month"]: m for m in data["trend"]}
    assert sorted(months) == ["2025-01", "2025-02"]
    assert months["2025-01"]["scope1_tco2e"] == pytest.approx(JANUARY_GAS, rel=1e-12)
    assert months["2025-01"]["scope2_location_tco2e"] == pytest.approx(1000 * GRID, rel=1e-12)
    assert months["2025-02"]["scope1_tco2e"] == 0
    assert months["2025-02"]["scope2_location_tco2e"] == pytest.approx(
        900 * GRID + 500 * 0.11, rel=1e-12
    )
    # the months add up to the year, for both Scope 2 methods and for energy
    for key, total in (
        ("scope2_market_tco2e", totals["scope2_market_tco2e"]),
        ("energy_tce", totals["energy_tce"]),
    ):
        assert sum(m[key] for m in data["trend"]) == pytest.approx(total, rel=1e-12)
    assert data["target"] is None


def test_locked_inventory_stands_for_the_year(store, tmp_path):
    engine, _ = store
    load(store, two_months(tmp_path))
    with session_scope(engine) as session:
        locked = inventories.compute(
            session, "T1", date(2025, 1, 1), date(2025, 12, 31), actor="t", lock=True
        )
        # a newer draft of January alone does not replace the reported figure
        inventories.compute(session, "T1", date(2025, 1, 1), date(2025, 1, 31), actor="t")
        assert facility_overview(session, facility(session), 2025)["inventory"]["id"] == locked.id
        assert facility_overview(session, facility(session), 2024)["inventory"] is None


def test_the_inventory_covering_most_of_the_year_stands_for_it(store, tmp_path):
    engine, _ = store
    load(store, two_months(tmp_path))
    with session_scope(engine) as session:
        whole = inventories.compute(
            session, "T1", date(2025, 1, 1), date(2025, 12, 31), actor="t", lock=True
        )
        # February locked later on its own: the year is still the whole year's inventory
        inventories.compute(
            session, "T1", date(2025, 2, 1), date(2025, 2, 28), actor="t", lock=True
        )
        assert facility_overview(session, facility(session), 2025)["inventory"]["id"] == whole.id


def test_target_trajectory_and_progress_by_hand():
    target = FacilityTarget(
        basis="market", base_year=2020, base_tco2e=1000.0, target_year=2030, target_tco2e=0.0
    )
    # 2025 is half way: trajectory 1000 + (0 - 1000) x 5/10 = 500; actual 400 achieved
    # (1000 - 400) / (1000 - 0) = 60 % of the planned reduction
    s = target_summary(target, 2025, 400.0)
    assert s["trajectory_tco2e"] == pytest.approx(500.0)
    assert s["progress_pct"] == pytest.approx(60.0)
    assert s["on_track"]
    # a quarter of the year: the trajectory is scaled, progress is not claimed
    q = target_summary(target, 2025, 130.0, year_share=0.25)
    assert q["trajectory_tco2e"] == pytest.approx(125.0)
    assert not q["on_track"]
    assert q["progress_pct"] is None


def test_set_target_needs_a_base_and_is_audited(store, tmp_path):
    engine, _ = store
    load(store, two_months(tmp_path))
    with session_scope(engine) as session, pytest.raises(InputError) as refused:
        set_target(
            session, facility(session), basis="market", base_year=2025, target_year=2030,
            target_tco2e=0, actor="t",
        )  # fmt: skip
    assert "no locked inventory for 2025" in str(refused.value)
    with session_scope(engine) as session, pytest.raises(InputError) as refused:
        set_target(
            session, facility(session), basis="scope9", base_year=2025, target_year=2020,
            target_tco2e=-1, base_tco2e=10, actor="t",
        )  # fmt: skip
    message = str(refused.value)
    assert "'scope9'" in message and "must be after 2025" in message and "must be >= 0" in message
    with session_scope(engine) as session:
        locked = inventories.compute(
            session, "T1", date(2025, 1, 1), date(2025, 12, 31), actor="t", lock=True
        )
        market_total = (
            locked.result["totals"]["scope1_tco2e"] + locked.result["totals"]["scope2_market_tco2e"]
        )
        set_target(
            session, facility(session), basis="market", base_year=2025, target_year=2030,
            target_tco2e=0, actor="t",
        )  # fmt: skip
        data = facility_overview(session, facility(session), 2025)
    assert data["target"]["base_tco2e"] == pytest.approx(market_total, rel=1e-12)
    assert data["target"]["progress_pct"] == pytest.approx(0.0, abs=1e-9)
    with session_scope(engine) as session:
        set_target(
            session, facility(session), basis="location", base_year=2025, base_tco2e=2000,
            target_year=2035, target_tco2e=100, actor="t",
        )  # fmt: skip
        entries = session.scalars(
            sa.select(AuditEntry).where(AuditEntry.entity == "facility_target")
        ).all()
    assert [e.action for e in entries] == ["create", "update"]
    assert entries[1].before["target_year"] == 2030 and entries[1].after["target_year"] == 2035


def test_overview_and_target_commands(lingtan_cli, tmp_path):
    run = lingtan_cli

    run("init")
    run("import", "activity", two_months(tmp_path))
    assert "no inventory computed for 2025" in run("overview", "--year", 2025).output
    assert (
        "no locked inventory"
        in run(
            "target", "set", "--base-year", 2025, "--target-year", 2030, "--target-tco2e", 0, code=2
        ).stderr
    )
    run("inventory", "compute", "--year", 2025, "--lock")
    run("target", "set", "--basis", "location", "--base-year", 2025, "--target-year", 2030,
        "--target-tco2e", 0, "--note", "board decision")  # fmt: skip
    shown = run("target", "show").output
    assert "location-based" in shown and "board decision" in shown and "2030" in shown
    data = json.loads(run("overview", "--year", 2025, "--format", "json").output)
    total = JANUARY_GAS + 1900 * GRID + 500 * 0.11
    assert data["emissions"]["total_location_tco2e"] == pytest.approx(total, rel=1e-12)
    # 2027 on the straight line from the 2025 total to zero in 2030: 3/5 of it
    assert f"{total * 3 / 5:,.1f}" in shown
    assert "on track" in run("overview", "--year", 2025).output
