"""The equipment register in the store (issue 12, parts 3 and 7), on SQLite and PostgreSQL:
import all or nothing with an audit entry, idempotent re-import, grades computed on read,
replacement estimates on the measured or the nameplate basis, the command, the API and the
efficiency page."""

import hashlib
import math

import pytest
import sqlalchemy as sa

from lingtan.efficiency import grading
from lingtan.errors import InputError
from lingtan.services.efficiency import equipment_register, import_equipment
from lingtan.store.db import session_scope
from lingtan.store.evidence import EvidenceStore
from lingtan.store.models import AuditEntry, Equipment, Evidence, Facility, ImportBatch
from web_support import assert_error, build_site, meter_july

# A motor at 90 % (below grade 3 of GB 18613-2020 for 15 kW 4 poles: 92.1 %), one at
# 93.9 % (exactly grade 2), a transformer and an air compressor without a node.
REGISTER = """id,type,name,node,rated_power_kw,poles,efficiency_pct,running_hours_per_year,load_factor,replacement_cost_cny
M-1,motor,Pump motor,ws,15,4,90.0,6000,0.8,20000
M-2,motor,Fan motor,,15,4,93.9,6000,0.8,
M-3,motor,Big motor,,1200,4,96,6000,0.8,
"""
GRADE_1_15KW_4P = 95.1  # GB 18613-2020 Table 1, 15 kW 4 poles, grade 1 (IE5)


@pytest.fixture
def site(database_url, tmp_path):
    built = build_site(database_url, tmp_path, max_upload_bytes=64 * 1024)
    meter_july(built)  # nodes site (M-SUP) and ws (M-WS: 26,784 kWh in July 2025)
    yield built
    built.close()


def _facility(session, code="ALPHA-PLANT"):
    return session.scalars(sa.select(Facility).where(Facility.code == code)).one()


def _import(site, tmp_path, text, name="register.csv", code="ALPHA-PLANT"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with session_scope(site.engine) as session:
        return import_equipment(
            session, _facility(session, code), path, evidence=EvidenceStore(site.evidence_dir),
            actor="tester",
        )  # fmt: skip


def _entries(site):
    with site.engine.connect() as connection:
        return (
            connection.execute(
                sa.select(AuditEntry)
                .where(AuditEntry.entity == "equipment")
                .order_by(AuditEntry.id)
            )
            .mappings()
            .all()
        )


def _register(site, **options):
    with session_scope(site.engine, read_only=True) as session:
        return equipment_register(session, _facility(session), year=2025, **options)


# --- import ---------------------------------------------------------------------------------


def test_an_import_stores_the_register_with_its_evidence_and_one_audit_entry(site, tmp_path):
    done = _import(site, tmp_path, REGISTER)
    assert (done.read, done.added, done.changed, done.removed) == (3, 3, 0, 0)
    with session_scope(site.engine, read_only=True) as session:
        items = {e.code: e for e in session.scalars(sa.select(Equipment))}
        batch = session.get(ImportBatch, done.batch_id)
        evidence = session.get(Evidence, items["M-1"].evidence_id)
        sha = hashlib.sha256((tmp_path / "register.csv").read_bytes()).hexdigest()
        assert batch.sha256 == sha == evidence.sha256 and batch.rows_read == 3
        m1 = items["M-1"]
        assert m1.equipment_type == "motor" and m1.replacement_cost_cny == 20000
        assert m1.attributes == {
            "rated_power_kw": 15.0, "poles": 4.0, "efficiency_pct": 90.0,
            "running_hours_per_year": 6000.0, "load_factor": 0.8,
        }  # fmt: skip
        assert m1.node_id is not None and items["M-2"].node_id is None
        assert m1.import_id == done.batch_id
    (entry,) = _entries(site)
    assert entry["action"] == "import" and entry["actor"] == "tester"
    assert entry["after"]["sha256"] == sha and set(entry["after"]["items"]) == {"M-1", "M-2", "M-3"}
    assert entry["after"]["items"]["M-1"]["node"] == "ws" and entry["before"] is None


def test_the_same_file_again_changes_nothing_and_a_new_one_replaces_the_register(site, tmp_path):
    first = _import(site, tmp_path, REGISTER)
    again = _import(site, tmp_path, REGISTER)
    assert (again.added, again.changed, again.removed, again.unchanged) == (0, 0, 0, 3)
    assert again.batch_id is None and len(_entries(site)) == 1
    # M-2 gets a better efficiency, M-3 leaves the register.
    changed = REGISTER.replace("93.9,6000", "95.5,6000").replace(
        "M-3,motor,Big motor,,1200,4,96,6000,0.8,\n", ""
    )
    done = _import(site, tmp_path, changed, name="register-2.csv")
    assert (done.added, done.changed, done.removed, done.unchanged) == (0, 1, 1, 1)
    assert site.count(Equipment) == 2
    entry = _entries(site)[-1]
    assert entry["before"]["items"]["M-2"]["attributes"]["efficiency_pct"] == 93.9
    assert entry["after"]["items"]["M-2"]["attributes"]["efficiency_pct"] == 95.5
    assert entry["after"]["removed"] == ["M-3"] and "M-3" in entry["before"]["items"]
    with session_scope(site.engine, read_only=True) as session:
        m1 = session.scalars(sa.select(Equipment).where(Equipment.code == "M-1")).one()
        assert m1.import_id == first.batch_id  # unchanged items keep their batch


@pytest.mark.parametrize(
    ("bad", "column", "value"),
    [
        ("M-2,motor,Fan motor,,15,4,101,6000,0.8,", "efficiency_pct", "101"),
        ("M-2,motor,Fan motor,nowhere,15,4,93.9,6000,0.8,", "node", "nowhere"),
        ("M-2,blender,Fan motor,,15,4,93.9,6000,0.8,", "type", "blender"),
    ],
)
def test_a_bad_row_refuses_the_whole_file(site, tmp_path, bad, column, value):
    _import(site, tmp_path, REGISTER)
    before = (site.count(Equipment), site.count(ImportBatch), site.count(AuditEntry))
    lines = REGISTER.splitlines()
    lines[2] = bad
    with pytest.raises(InputError) as refused:
        _import(site, tmp_path, "\n".join(lines) + "\n", name="bad.csv")
    (problem,) = refused.value.problems
    assert "bad.csv" in problem.where and "row 3" in problem.where
    assert (problem.field, problem.value) == (column, value) and problem.rule
    assert (site.count(Equipment), site.count(ImportBatch), site.count(AuditEntry)) == before


# --- grades and estimates -------------------------------------------------------------------


def test_grades_are_computed_on_read_with_the_shipped_standards(site, tmp_path, monkeypatch):
    _import(site, tmp_path, REGISTER)
    found = _register(site)
    levels = {i["id"]: i["level"] for i in found.items}
    assert levels == {"M-1": "NOT_COMPLIANT", "M-2": "LEVEL_2", "M-3": "OUT_OF_SCOPE"}
    assert found.counts["NOT_COMPLIANT"] == 1 and sum(found.counts.values()) == 3
    m2 = next(i for i in found.items if i["id"] == "M-2")
    assert m2["threshold"] == "efficiency_pct ≥ 93.9 %"  # exactly on the threshold meets it
    assert m2["standard"].startswith("GB 18613-2020") and m2["thresholds"][0]["page"]
    # A new version of the standards is reflected at once: nothing of the grade is stored.
    original = grading.grade_many

    def stricter(items, tables=None):
        return [grading.Grade(grading.Level.UNABLE_TO_JUDGE, "x") for _ in items]

    monkeypatch.setattr("lingtan.services.efficiency.grade_many", stricter)
    assert {i["level"] for i in _register(site).items} == {"UNABLE_TO_JUDGE"}
    monkeypatch.setattr("lingtan.services.efficiency.grade_many", original)
    assert {i["id"]: i["level"] for i in _register(site).items} == levels
    # Filters by type and level; the counts stay those of the whole register.
    only = _register(site, level="LEVEL_2")
    assert [i["id"] for i in only.items] == ["M-2"] and only.counts == found.counts
    assert _register(site, equipment_type="transformer").items == []


def test_a_motor_on_its_own_meter_is_estimated_from_the_measured_energy(site, tmp_path):
    _import(site, tmp_path, REGISTER)
    found = _register(site)
    grid = found.grid_factor["tco2_per_mwh"]
    assert grid is not None and found.grid_factor["region"] == "CN-JS"
    m1 = next(i for i in found.items if i["id"] == "M-1")["estimate"]
    assert m1["basis"] == "measured" and m1["measured_kwh_per_year"] == pytest.approx(26_784)
    # input E = 26,784 kWh, output E x 0.90; saved = E x (1 - 0.90 / 0.951)
    saved = 26_784 * (1 - 90.0 / GRADE_1_15KW_4P)
    assert m1["energy_saved_kwh_per_year"] == pytest.approx(saved, rel=1e-9)
    assert m1["energy_saved_tce_per_year"] == pytest.approx(saved * 0.1229 / 1000, rel=1e-6)
    assert m1["emissions_saved_tco2_per_year"] == pytest.approx(saved / 1000 * grid, rel=1e-9)
    assert m1["investment_cny"] == 20000 and m1["cost_saved_cny_per_year"] is None  # no tariff
    # M-2 has no node: nameplate x hours x load, and the reason.
    m2 = next(i for i in found.items if i["id"] == "M-2")["estimate"]
    assert m2["basis"] == "nameplate" and m2["measured_kwh_per_year"] is None
    by_hand = 15 * 0.8 * 6000 * (100 / 93.9 - 100 / GRADE_1_15KW_4P)
    assert m2["energy_saved_kwh_per_year"] == pytest.approx(by_hand, rel=1e-9)
    assert "not linked" in m2["basis_note"]
    # Two items on the same node: its meter measures both, so neither uses it.
    shared = REGISTER.replace("M-2,motor,Fan motor,,", "M-2,motor,Fan motor,ws,")
    _import(site, tmp_path, shared, name="shared.csv")
    estimates = {i["id"]: i["estimate"] for i in _register(site).items if i["estimate"]}
    assert {e["basis"] for e in estimates.values()} == {"nameplate"}
    assert "other items" in estimates["M-1"]["basis_note"]
    assert estimates["M-1"]["energy_saved_kwh_per_year"] == pytest.approx(
        15 * 0.8 * 6000 * (100 / 90 - 100 / GRADE_1_15KW_4P), rel=1e-9
    )


def test_a_tariff_prices_the_saving_at_the_mean_price_paid(site, tmp_path):
    from lingtan.services.cost import import_tariffs

    _import(site, tmp_path, REGISTER)
    tariff = tmp_path / "tariff.csv"
    tariff.write_text(
        "energy_type,component,period,month_from,month_to,price,unit,note\n"
        "electricity,energy,all,2025-01,2025-12,0.75,CNY/kWh,test price\n",
        encoding="utf-8",
    )
    with session_scope(site.engine) as session:
        import_tariffs(session, _facility(session), tariff, actor="tester")
    found = _register(site)
    assert found.tariff["cny_per_kwh"] == pytest.approx(0.75)
    m1 = next(i for i in found.items if i["id"] == "M-1")["estimate"]
    cny = m1["energy_saved_kwh_per_year"] * 0.75
    assert m1["cost_saved_cny_per_year"] == pytest.approx(cny)
    assert m1["payback_years"] == pytest.approx(20000 / cny)


# --- command line, API and page ----------------------------------------------------------


def test_the_command_imports_and_refuses_with_exit_2(lingtan_cli, tmp_path, database_url):
    from test_platform import workbook

    lingtan_cli("init")
    lingtan_cli("import", "activity", workbook(tmp_path))
    path = tmp_path / "register.csv"
    path.write_text(REGISTER.replace(",ws,", ",,"), encoding="utf-8")
    done = lingtan_cli("import", "equipment", path)
    assert "3 item(s) read, 3 added" in done.output
    again = lingtan_cli("import", "equipment", path)
    assert "no batch (nothing changed)" in again.output and "3 unchanged" in again.output
    path.write_text(REGISTER.replace("90.0", "-1"), encoding="utf-8")
    refused = lingtan_cli("import", "equipment", path, code=2)
    assert "efficiency_pct" in refused.stderr and "row 2" in refused.stderr
    assert "audit log intact" in lingtan_cli("audit", "verify").output


def test_the_api_lists_the_graded_register_with_filters(site, tmp_path):
    _import(site, tmp_path, REGISTER)
    client, _ = site.client("viewer_a")
    answer = client.get(
        "/api/v1/facilities/ALPHA-PLANT/equipment?year=2025", headers={"Accept-Language": "en"}
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["counts"]["NOT_COMPLIANT"] == 1 and len(body["items"]) == 3
    m1 = next(i for i in body["items"] if i["id"] == "M-1")
    assert m1["estimate"]["basis"] == "measured" and m1["thresholds"][0]["standard"] == "GB 18613"
    assert math.isclose(
        m1["estimate"]["energy_saved_kwh_per_year"], 26_784 * (1 - 90 / GRADE_1_15KW_4P)
    )
    assert m1["reason"].startswith("misses grade 3")
    only = client.get("/api/v1/facilities/ALPHA-PLANT/equipment?type=motor&level=LEVEL_2")
    assert [i["id"] for i in only.json()["items"]] == ["M-2"]
    assert_error(client.get("/api/v1/facilities/ALPHA-PLANT/equipment?level=LEVEL_9"), 404)
    assert_error(client.get("/api/v1/facilities/ALPHA-PLANT/equipment?type=blender"), 404)
    # Another organization's facility does not exist for this user, nor this one for B.
    assert_error(client.get("/api/v1/facilities/BETA-PLANT/equipment"), 404)
    other, _ = site.client("manager_b")
    assert_error(other.get("/api/v1/facilities/ALPHA-PLANT/equipment"), 404)
    # Chinese reasons under the Chinese language.
    chinese = client.get("/api/v1/facilities/ALPHA-PLANT/equipment?year=2025").json()
    reason = next(i for i in chinese["items"] if i["id"] == "M-1")["reason"]
    assert reason != m1["reason"]


def test_the_api_imports_for_managers_only(site, tmp_path):
    manager, csrf = site.client("manager_a")
    files = {"file": ("register.csv", REGISTER.encode())}
    answer = manager.post(
        "/api/v1/facilities/ALPHA-PLANT/equipment", files=files, headers={"X-CSRF-Token": csrf}
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["added"] == 3
    viewer, csrf = site.client("viewer_a")
    refused = viewer.post(
        "/api/v1/facilities/ALPHA-PLANT/equipment", files=files, headers={"X-CSRF-Token": csrf}
    )
    assert_error(refused, 403)


def test_the_page_in_chinese_and_english(site, tmp_path):
    _import(site, tmp_path, REGISTER)
    client, csrf = site.client("manager_a")
    page = client.get("/efficiency?facility=ALPHA-PLANT&year=2025")
    assert page.status_code == 200, page.text
    text = page.text
    for term in ("能效", "二级能效", "不合格", "超出范围", "GB 18613-2020", "实测"):
        assert term in text, term
    assert 'id="equipment-table"' in text and 'data-basis="measured"' in text
    assert 'href="/efficiency' in text  # in the navigation
    filtered = client.get("/efficiency?facility=ALPHA-PLANT&year=2025&level=LEVEL_2")
    assert 'data-id="M-2"' in filtered.text and 'data-id="M-1" data-level' not in filtered.text
    client.get("/lang/en")
    english = client.get("/efficiency?facility=ALPHA-PLANT&year=2025").text
    for term in ("Energy efficiency", "Grade 2", "Not compliant", "Out of scope", "measured"):
        assert term in english, term
    export = client.get(
        "/efficiency?facility=ALPHA-PLANT&year=2025&export=xlsx&table=equipment-table"
    )
    assert export.status_code == 200, export.text[:300]
    assert export.content[:2] == b"PK"  # an XLSX workbook
    # An upload from the page: a bad file is refused whole, in the page.
    refused = client.post(
        "/efficiency/equipment?facility=ALPHA-PLANT",
        files={"file": ("bad.csv", REGISTER.replace("90.0", "101").encode())},
        data={"csrf_token": csrf},
    )
    assert refused.status_code == 422 and 'id="problems"' in refused.text
    assert site.count(Equipment) == 3
    viewer, _ = site.client("viewer_a")
    assert 'id="register-upload"' not in viewer.get("/efficiency?facility=ALPHA-PLANT").text
    other, _ = site.client("manager_b")
    assert other.get("/efficiency?facility=ALPHA-PLANT").status_code == 404
