"""The equipment register from an Excel workbook (issue 12): the CSV's columns and rules on
the first sheet, through the other imports' workbook readers; all or nothing, every bad cell
named by file, sheet, row, column and value; evidence and audit as a CSV import; the API."""

import hashlib

import openpyxl
import pytest
import sqlalchemy as sa

from lingtan.errors import InputError
from lingtan.services.efficiency import import_equipment
from lingtan.store.db import session_scope
from lingtan.store.evidence import EvidenceStore
from lingtan.store.models import AuditEntry, Equipment, Evidence, Facility, ImportBatch
from web_support import build_site, meter_july

HEADER = [
    "id", "type", "name", "node", "rated_power_kw", "poles", "efficiency_pct",
    "running_hours_per_year", "load_factor", "replacement_cost_cny",
]  # fmt: skip
# The rows of tests/test_efficiency_register.py's REGISTER, numbers as numeric cells, one id
# typed as a number (Excel keeps it as the float 1001.0).
ROWS = [
    ["M-1", "motor", "Pump motor", "ws", 15, 4, 90.0, 6000, 0.8, 20000],
    ["M-2", "motor", "Fan motor", None, 15, 4, 93.9, 6000, 0.8, None],
    [1001, "motor", "Big motor", None, 1200, 4, 96, 6000, 0.8, None],
]


@pytest.fixture
def site(database_url, tmp_path):
    built = build_site(database_url, tmp_path, max_upload_bytes=64 * 1024)
    meter_july(built)  # nodes site and ws
    yield built
    built.close()


def workbook(tmp_path, rows=ROWS, header=HEADER, name="register.xlsx", sheet="台账"):
    book = openpyxl.Workbook()
    book.active.title = sheet
    book.active.append(header)
    for row in rows:
        book.active.append(row)
    book.create_sheet("说明").append(["notes are not read"])
    path = tmp_path / name
    book.save(path)
    return path


def _import(site, path):
    with session_scope(site.engine) as session:
        facility = session.scalars(sa.select(Facility).where(Facility.code == "ALPHA-PLANT")).one()
        return import_equipment(
            session, facility, path, evidence=EvidenceStore(site.evidence_dir), actor="tester"
        )


def _counts(site):
    return site.count(Equipment), site.count(ImportBatch), site.count(AuditEntry)


def test_a_workbook_stores_the_register_with_its_evidence_and_one_audit_entry(site, tmp_path):
    path = workbook(tmp_path)
    done = _import(site, path)
    assert (done.read, done.added, done.changed, done.removed) == (3, 3, 0, 0)
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    with session_scope(site.engine, read_only=True) as session:
        items = {e.code: e for e in session.scalars(sa.select(Equipment))}
        assert set(items) == {"M-1", "M-2", "1001"}
        m1 = items["M-1"]
        assert m1.attributes == {
            "rated_power_kw": 15.0, "poles": 4.0, "efficiency_pct": 90.0,
            "running_hours_per_year": 6000.0, "load_factor": 0.8,
        }  # fmt: skip
        assert m1.replacement_cost_cny == 20000 and items["M-2"].replacement_cost_cny is None
        assert m1.node_id is not None and items["M-2"].node_id is None
        assert m1.source_row == 2 and items["1001"].source_row == 4
        assert session.get(Evidence, m1.evidence_id).sha256 == sha
        assert session.get(ImportBatch, done.batch_id).sha256 == sha
    with site.engine.connect() as connection:
        query = sa.select(AuditEntry.after).where(AuditEntry.entity == "equipment")
        (entry,) = connection.execute(query).scalars().all()
    assert entry["file"] == "register.xlsx" and entry["sha256"] == sha
    assert entry["items"]["M-1"]["node"] == "ws"
    # The same register again: nothing changed, nothing written.
    again = _import(site, workbook(tmp_path, name="again.xlsx"))
    assert (again.unchanged, again.batch_id) == (3, None)


@pytest.mark.parametrize(
    ("cell", "value", "column", "shown"),
    [
        (6, 101, "efficiency_pct", "101"),
        (6, "ninety", "efficiency_pct", "ninety"),
        (8, 1.5, "load_factor", "1.5"),
        (3, "nowhere", "node", "nowhere"),
        (1, "blender", "type", "blender"),
    ],
)
def test_a_bad_cell_refuses_the_whole_workbook_naming_sheet_row_column_value(
    site, tmp_path, cell, value, column, shown
):
    _import(site, workbook(tmp_path))
    before = _counts(site)
    rows = [list(row) for row in ROWS]
    rows[1][cell] = value  # row 3 of the sheet
    with pytest.raises(InputError) as refused:
        _import(site, workbook(tmp_path, rows, name="bad.xlsx"))
    (problem,) = refused.value.problems
    where = str(problem.where)
    assert "bad.xlsx" in where and "sheet 台账" in where and "row 3" in where
    assert (problem.field, problem.value) == (column, shown) and problem.rule
    assert _counts(site) == before


def test_a_missing_column_or_a_quantity_in_another_unit_names_the_sheet(site, tmp_path):
    header = ["id", "rated_power_w", *HEADER[2:]]
    before = _counts(site)
    with pytest.raises(InputError) as refused:
        _import(site, workbook(tmp_path, header=header))
    fields = {(p.field, str(p.where)) for p in refused.value.problems}
    assert fields == {
        ("type", "register.xlsx sheet 台账"),
        ("rated_power_w", "register.xlsx sheet 台账"),
    }
    assert _counts(site) == before


def test_a_file_that_is_not_a_workbook_is_refused(site, tmp_path):
    path = tmp_path / "register.xlsx"
    path.write_bytes(b"id,type\nM-1,motor\n")
    with pytest.raises(InputError) as refused:
        _import(site, path)
    assert "not a readable .xlsx workbook" in str(refused.value.problems[0].rule)


def test_the_api_and_the_page_import_a_workbook_for_managers(site, tmp_path):
    manager, csrf = site.client("manager_a")
    content = workbook(tmp_path).read_bytes()
    files = {"file": ("register.xlsx", content)}
    answer = manager.post(
        "/api/v1/facilities/ALPHA-PLANT/equipment", files=files, headers={"X-CSRF-Token": csrf}
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["added"] == 3
    rows = [list(row) for row in ROWS]
    rows[0][6] = 101
    bad = {"file": ("bad.xlsx", workbook(tmp_path, rows, name="bad.xlsx").read_bytes())}
    page = manager.post(
        "/efficiency/equipment?facility=ALPHA-PLANT", files=bad, data={"csrf_token": csrf}
    )
    assert page.status_code == 422 and 'id="problems"' in page.text
    assert "efficiency_pct" in page.text and "bad.xlsx 工作表 台账 第 2 行" in page.text
    assert site.count(Equipment) == 3


NEW_KINDS_HEADER = [
    "id", "type", "kind", "rated_power_kw", "poles", "voltage_kv", "cooling_code",
    "efficiency_pct", "pressure_coefficient", "specific_speed", "fan_number", "cooling",
    "rating_system", "cooling_capacity_kw", "iplv", "copc",
]  # fmt: skip
NEW_KINDS = [
    # GB 30254-2024 Table 1, 560 kW 4 poles: 95.4 / 94.8 / 94.1 %; 94.5: grade 3
    ["H-1", "hv_motor", None, 560, 4, 6, "IC01", 94.5] + [None] * 8,
    # GB 19761-2020 Table 1, 1.05 ≤ ψ < 1.35, 35 < ns ≤ 55, No4.5 < No ≤ No7: 54 / 65 / 68 %;
    # 65: grade 2
    ["F-1", "fan", "centrifugal", None, None, None, None, 65, 1.2, 40, 5] + [None] * 5,
    # GB 19577-2024 Table 1, comfort water-cooled ≤ 300 kW: IPLV 6.0 / 5.6 / 5.2, COPc ≥ 4.2;
    # IPLV 6.1 and COPc 4.3: grade 1
    ["CH-1", "chiller", "comfort", *[None] * 8, "water", "part_load", 250, 6.1, 4.3],
]


def test_a_workbook_with_high_voltage_motors_fans_and_chillers_is_stored_and_graded(site, tmp_path):
    from lingtan.services.efficiency import equipment_register

    done = _import(site, workbook(tmp_path, NEW_KINDS, NEW_KINDS_HEADER, name="new.xlsx"))
    assert (done.read, done.added) == (3, 3)
    with session_scope(site.engine, read_only=True) as session:
        facility = session.scalars(sa.select(Facility).where(Facility.code == "ALPHA-PLANT")).one()
        graded = equipment_register(session, facility, year=2025, price=False)
    levels = {item["id"]: item["level"] for item in graded.items}
    assert levels == {"H-1": "LEVEL_3", "F-1": "LEVEL_2", "CH-1": "LEVEL_1"}


def test_a_bad_cooling_code_refuses_the_workbook_naming_sheet_row_column_value(site, tmp_path):
    rows = [list(row) for row in NEW_KINDS]
    rows[0][6] = "IC-01"  # row 2 of the sheet
    before = _counts(site)
    with pytest.raises(InputError) as refused:
        _import(site, workbook(tmp_path, rows, NEW_KINDS_HEADER, name="bad.xlsx"))
    (problem,) = refused.value.problems
    assert "bad.xlsx" in str(problem.where) and "sheet 台账" in str(problem.where)
    assert "row 2" in str(problem.where)
    assert (problem.field, problem.value) == ("cooling_code", "IC-01")
    assert _counts(site) == before
