"""The product footprint API and screens on the demo factory: the studies of the studies folder
beside the database, a study's result equal to ``lingtan footprint calc --format json`` (the
API's document and the page's figures), a refused study file named with its problems, the
bound on Monte Carlo draws, the histogram by hand, the BOMs, and the PACT clients created (the
secret answered once) and revoked by an administrator only."""

import hashlib
import json
import math
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import select

from lingtan.cli.main import main
from lingtan.demo.build import FACILITY
from lingtan.demo.footprint import BATTERY, STUDY
from lingtan.demo.web import DEMO_PASSWORD
from lingtan.errors import InputError
from lingtan.footprint.uncertainty import MonteCarloResult
from lingtan.imports.load import facility_by_code
from lingtan.services.footprint_studies import studies_folder
from lingtan.store.db import make_engine, session_scope
from lingtan.store.models import AuditEntry, FootprintDeclaration, Organization, PactClient
from lingtan.web import accounts
from lingtan.web.admission import HEAVY_PATHS
from lingtan.web.api_footprint import MAX_DRAWS, histogram
from lingtan.web.app import create_app

STUDY_ID = Path(STUDY).stem
BASE = f"/api/v1/facilities/{FACILITY}/footprint"


@pytest.fixture(scope="module")
def site(demo_copy, tmp_path_factory):
    folder = tmp_path_factory.mktemp("footprint-web")
    url = demo_copy(folder)
    (folder / "footprint" / "broken.yaml").write_text("product: cells\nboundary: moon\n")
    engine = make_engine(url)
    with session_scope(engine) as session:
        organization = session.get(
            Organization, facility_by_code(session, FACILITY).organization_id
        ).name
        accounts.create_user(session, "fp_manager", DEMO_PASSWORD, role="manager",
                             organization=organization, facilities=(FACILITY,),
                             actor="setup")  # fmt: skip
    app = create_app(url, evidence_dir=folder / "lingtan-evidence")
    yield url, folder, app, engine
    app.state.engine.dispose()
    engine.dispose()


def signed_in(app, user: str = "demo") -> tuple[TestClient, str]:
    client = TestClient(app)
    answer = client.post("/api/v1/session", json={"username": user, "password": DEMO_PASSWORD})
    assert answer.status_code == 200, answer.text
    return client, answer.json()["csrf_token"]


@pytest.fixture(scope="module")
def calc(site):
    url, folder, _, _ = site
    study = folder / "footprint" / STUDY
    result = CliRunner().invoke(
        main, ["--db", url, "footprint", "calc", str(study), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_the_studies_folder_is_beside_a_sqlite_database_unless_named(tmp_path, monkeypatch):
    monkeypatch.delenv("LINGTAN_STUDIES_DIR", raising=False)
    assert studies_folder(f"sqlite:///{tmp_path / 'x.db'}") == tmp_path / "footprint"
    assert studies_folder("postgresql://db.example/lingtan") is None
    assert studies_folder("postgresql://db.example/lingtan", tmp_path) == tmp_path
    monkeypatch.setenv("LINGTAN_STUDIES_DIR", str(tmp_path / "studies"))
    assert studies_folder(f"sqlite:///{tmp_path / 'x.db'}") == tmp_path / "studies"


def test_the_demo_study_is_listed_and_a_broken_file_named_with_its_problems(site):
    _, folder, app, _ = site
    client, _ = signed_in(app)
    answer = client.get(f"{BASE}/studies")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["folder"] == str(folder / "footprint")
    by_id = {s["id"]: s for s in body["studies"]}
    assert set(by_id) == {STUDY_ID, "broken"}
    demo = by_id[STUDY_ID]
    assert demo["product"] == "cells" and demo["facility"] == FACILITY
    assert demo["declared_unit"] == {"kind": "declared", "quantity": 1.0, "unit": "MWh",
                                     "description": "1 MWh of rated cell capacity"}  # fmt: skip
    assert demo["boundary"] == "cradle_to_gate" and demo["problems"] == []
    fields = {p["field"] for p in by_id["broken"]["problems"]}
    assert "boundary" in fields and all(
        p["where"] == "broken.yaml" for p in by_id["broken"]["problems"]
    )
    refused = client.get(f"{BASE}/studies/broken")
    assert refused.status_code == 422
    assert any(p["field"] == "boundary" and p["value"] == "moon"
               for p in refused.json()["error"]["problems"])  # fmt: skip
    assert client.get(f"{BASE}/studies/nothing-here").status_code == 404
    assert client.get(f"{BASE}/studies/..%2F..%2Fetc%2Fpasswd").status_code == 404


def test_the_api_answers_the_document_of_footprint_calc(site, calc):
    _, _, app, _ = site
    client, _ = signed_in(app, "fp_manager")
    assert client.get(f"{BASE}/studies").json()["folder"] is None  # a path of the server
    answer = client.get(f"{BASE}/studies/{STUDY_ID}")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    for key, value in calc.items():
        assert body[key] == value, key
    assert body["id"] == STUDY_ID and body["histogram"] is None
    # the demo scores its meters' data all 1: the electricity alone is spread, by the basic
    # uncertainty 1.05 (sigma = ln 1.05 / 2), so each draw is S0 + E (exp(sigma z) - 1)
    assert body["uncertain"] is True
    drawn = client.get(f"{BASE}/studies/{STUDY_ID}?draws=200&seed=3").json()
    assert drawn["monte_carlo"]["iterations"] == 200 and sum(drawn["histogram"]["counts"]) == 200
    grid = next(p for p in calc["by_process"] if p["process"].startswith("electricity:"))
    z = np.random.default_rng(3).standard_normal(200)
    sigma = math.log(1.05) / 2
    scores = calc["kgco2e_per_declared_unit"] + grid["kgco2e"] * (np.exp(sigma * z) - 1)
    got = drawn["monte_carlo"]["kgco2e"]
    low, median, high = np.percentile(scores, [2.5, 50, 97.5])
    expected = {"mean": scores.mean(), "median": median, "sd": scores.std(ddof=1),
                "p2_5": low, "p97_5": high}  # fmt: skip
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, rel=1e-9), key
    kinds = body["result"]["by_kind_kgco2e"]
    assert sum(kinds.values()) == pytest.approx(body["kgco2e_per_declared_unit"], rel=1e-12)


def test_the_page_shows_the_figures_of_footprint_calc(site, calc):
    _, _, app, _ = site
    client, _ = signed_in(app)
    client.cookies.set("lang", "zh-CN")
    page = client.get(f"/footprint/studies/{STUDY_ID}?facility={FACILITY}")
    assert page.status_code == 200, page.text
    html = page.text

    def value(selector: str) -> float:
        found = re.search(selector + r'[^>]*>\s*<div class="label">[^<]*</div>\s*'
                          r'<div class="value" data-value="([^"]+)"', html)  # fmt: skip
        assert found, selector
        return float(found.group(1))

    assert value('data-kpi="total"') == calc["kgco2e_per_declared_unit"]
    for kind, kg in calc["result"]["by_kind_kgco2e"].items():
        assert value(f'data-kpi="{kind}"') == kg
    assert value('data-kpi="primary"') == calc["primary_data_share_pct"]
    for stage, kg in calc["result"]["by_stage_kgco2e"].items():
        cell = re.search(rf'data-stage="{stage}">.*?data-value="([^"]+)"', html, re.S)
        assert float(cell.group(1)) == kg
    for meter in calc["meters"]:
        row = re.search(rf'data-meter="{meter["meter"]}">.*?class="num per-unit" '
                        r'data-value="([^"]+)"', html, re.S)  # fmt: skip
        assert float(row.group(1)) == meter["per_declared_unit"]
    for process in calc["by_process"]:
        if process["kgco2e"]:
            row = re.search(rf'data-process="{re.escape(process["process"])}">.*?'
                            r'class="num kg" data-value="([^"]+)"', html, re.S)  # fmt: skip
            assert float(row.group(1)) == process["kgco2e"]
    for term in ("产品碳足迹", "声明单位", "系统边界", "初级数据占比", "从摇篮到大门", "基准流"):
        assert term in html, term
    # the charts' figures: the stages in order, the Sankey of the result's graph
    figures = dict(re.findall(r'<script type="application/json" id="([^"]+)">(.*?)</script>',
                              html, re.S))  # fmt: skip
    stage = json.loads(figures["stage-figure"])["data"][0]
    by_stage = calc["result"]["by_stage_kgco2e"]
    assert calc["stages"] == ["raw_materials", "production"]  # the life cycle's order
    assert stage["y"] == [by_stage["raw_materials"], by_stage["production"]]
    assert stage["x"] == ["原材料获取", "生产"]
    sankey = json.loads(figures["sankey-figure"])["data"][0]
    assert sankey["type"] == "sankey"
    assert len(sankey["node"]["label"]) == len(calc["sankey"]["nodes"])
    assert sankey["link"]["value"] == [abs(link["kgco2e"]) for link in calc["sankey"]["links"]]


def test_draws_are_bounded_and_the_result_is_a_heavy_request(site):
    _, _, app, _ = site
    client, _ = signed_in(app)
    too_many = client.get(f"{BASE}/studies/{STUDY_ID}?draws={MAX_DRAWS + 1}")
    assert too_many.status_code == 422
    assert too_many.json()["error"]["problems"][0]["field"] == "draws"
    page = client.get(f"/footprint/studies/{STUDY_ID}?facility={FACILITY}&draws={MAX_DRAWS + 1}")
    assert page.status_code == 422
    assert HEAVY_PATHS.fullmatch(f"{BASE}/studies/{STUDY_ID}")
    assert HEAVY_PATHS.fullmatch(f"/footprint/studies/{STUDY_ID}")
    assert not HEAVY_PATHS.fullmatch("/footprint")


def test_the_histogram_bins_the_draws_by_hand():
    """Scores 1, 2, 2, 3, 4 in three bins of width 1 from 1 to 4: [1, 2) holds one, [2, 3)
    two, and the last bin [3, 4] (closed) two."""
    drawn = MonteCarloResult(np.array([1.0, 2.0, 2.0, 3.0, 4.0]), np.zeros((4, 5)), seed=0)
    assert histogram(drawn, bins=3) == {"edges_kgco2e": [1.0, 2.0, 3.0, 4.0], "counts": [1, 2, 2]}


def test_the_boms_are_listed_per_product_and_period(site):
    _, _, app, _ = site
    client, _ = signed_in(app)
    boms = client.get(f"{BASE}/boms").json()
    assert [(b["product"], b["period"]) for b in boms] == [("cells", ["2025-01-01", "2025-12-31"])]
    items = boms[0]["items"]
    cathode = next(i for i in items if i["link"] == "dataset:lfp-cathode")
    assert cathode["quantity"] == 2100.0 and cathode["unit"] == "kg"
    assert [i["row"] for i in items] == sorted(i["row"] for i in items)


def test_an_admin_creates_a_pact_client_whose_secret_is_shown_once(site):
    _, _, app, engine = site
    admin, csrf = signed_in(app)
    created = admin.post("/api/v1/pact/clients", json={"name": "Customer A"},
                         headers={"X-CSRF-Token": csrf})  # fmt: skip
    assert created.status_code == 201, created.text
    client_id, secret = created.json()["client_id"], created.json()["client_secret"]
    listed = admin.get("/api/v1/pact").json()
    assert secret not in json.dumps(listed)
    assert [c["client_id"] for c in listed["clients"]] == [client_id]
    token = TestClient(app).post("/auth/token", data={"grant_type": "client_credentials"},
                                 auth=(client_id, secret))  # fmt: skip
    assert token.status_code == 200, token.text
    # a manager sees no clients and may not create one
    manager, manager_csrf = signed_in(app, "fp_manager")
    assert manager.get("/api/v1/pact").json()["clients"] is None
    refused = manager.post("/api/v1/pact/clients", json={"name": "x"},
                           headers={"X-CSRF-Token": manager_csrf})  # fmt: skip
    assert refused.status_code == 403
    # on the page: the new client's secret on the answer to the form, never on the page after
    page = admin.post(f"/footprint/pact/clients?facility={FACILITY}",
                      data={"name": "Customer B", "csrf_token": csrf})  # fmt: skip
    assert page.status_code == 200
    shown = re.search(r'id="new-client-secret">([^<]+)<', page.text).group(1)
    again = admin.get(f"/footprint?facility={FACILITY}").text
    assert shown not in again and "new-client-secret" not in again
    revoked = admin.delete(f"/api/v1/pact/clients/{client_id}", headers={"X-CSRF-Token": csrf})
    assert revoked.status_code == 204
    with session_scope(engine) as session:
        row = session.query(PactClient).filter_by(client_id=client_id).one()
        assert row.revoked_at is not None
    again = TestClient(app).post("/auth/token", data={"grant_type": "client_credentials"},
                                 auth=(client_id, secret))  # fmt: skip
    assert again.status_code == 401


def test_a_process_name_shows_the_status_of_its_data_in_the_pages_language():
    from lingtan.i18n.catalog import texts
    from lingtan.web.screens_footprint import process_label

    zh, en = texts("zh-CN"), texts("en")
    rail = {"name": "Rail freight [unverified]", "name_zh": "铁路货运 [unverified]"}
    assert process_label(rail, zh) == "铁路货运 [未核实]"
    assert process_label(rail, en) == "Rail freight [unverified]"
    foil = {"name": "Copper foil (illustrative) [illustrative]", "name_zh": None}
    assert process_label(foil, zh) == "Copper foil (illustrative) [示例]"
    grid = {"name": "Electricity, grid average, CN-JS, 2025"}  # no Chinese name (imported)
    assert process_label(grid, zh) == "Electricity, grid average, CN-JS, 2025"
    odd = {"name": "something [not-a-status]", "name_zh": None}
    assert process_label(odd, zh) == "something [not-a-status]"


def test_the_histogram_is_drawn_as_bars_filling_their_bins():
    from lingtan.i18n.catalog import texts
    from lingtan.web.screens_footprint import histogram_figure

    bars = {"edges_kgco2e": [1.0, 2.0, 3.0, 4.0], "counts": [1, 2, 2]}
    figure = histogram_figure(bars, texts("zh-CN"))
    trace = figure["data"][0]
    assert trace["x"] == [1.5, 2.5, 3.5] and trace["width"] == [1.0, 1.0, 1.0]
    assert trace["y"] == [1, 2, 2] and trace["name"] == "抽样次数"
    assert figure["layout"]["bargap"] == 0


def test_a_study_is_kept_until_its_file_or_a_file_it_names_changes(tmp_path):
    from lingtan.services.footprint_studies import find_studies

    shipped = Path(__file__).resolve().parents[1] / "src" / "lingtan" / "data" / "footprint"
    (tmp_path / "cell.yaml").write_text((shipped / STUDY).read_text() + "suppliers: s.csv\n")
    (tmp_path / "s.csv").write_text("id\n")
    shutil.copytree(shipped / "declarations", tmp_path / "declarations")  # the battery it names
    (tmp_path / "not an id.yaml").write_text("product: x\n")  # a name no URL can carry
    (tmp_path / "notes.txt").write_text("not a study")
    [entry] = find_studies(tmp_path)
    assert entry.id == "cell" and entry.error is None
    before = entry.version()
    (tmp_path / "s.csv").write_text("id,supplier\n")
    assert entry.version() != before
    before = entry.version()
    with (tmp_path / "declarations" / "demo-battery.yaml").open("a") as battery:
        battery.write("# changed\n")
    assert entry.version() != before  # the battery declaration file it names, too
    assert find_studies(tmp_path / "missing") == [] and find_studies(None) == []


def test_the_notes_of_the_product_system_are_in_the_pages_language(site):
    _, _, app, _ = site
    client, _ = signed_in(app)
    client.cookies.set("lang", "zh-CN")
    notes = client.get(f"/footprint/studies/{STUDY_ID}?facility={FACILITY}").text
    notes = notes[notes.index('id="notes"') :]
    assert "生产线 electrode 只生产该产品：无需分配" in notes
    assert "makes only the product" not in notes


def test_the_processes_meters_and_transport_are_named_in_the_pages_language(site):
    """The shipped datasets and freight modes by their Chinese names in zh-CN (the table, the
    bar chart, the Sankey), the meters' lineage and the BOM's transport modes by the
    catalogue; English as the product system names them."""
    _, _, app, _ = site
    client, _ = signed_in(app)
    client.cookies.set("lang", "zh-CN")
    page = client.get(f"/footprint/studies/{STUDY_ID}?facility={FACILITY}").text
    table = page[page.index('id="process-table"') : page.index('id="meters"')]
    assert "磷酸铁锂正极材料（示例） [示例]" in table
    assert "LFP cathode active material" not in table
    figures = dict(re.findall(r'<script type="application/json" id="([^"]+)">(.*?)</script>',
                              page, re.S))  # fmt: skip
    bars = json.loads(figures["process-figure"])["data"][0]["y"]
    assert "磷酸铁锂正极材料（示例） [示例]" in bars
    labels = json.loads(figures["sankey-figure"])["data"][0]["node"]["label"]
    assert "磷酸铁锂正极材料（示例） [示例]" in labels
    meters = page[page.index('id="meter-table"') :]
    assert "生产线 electrode，计量节点 electrode" in meters
    assert "line electrode, node electrode" not in meters
    boms = client.get(f"/footprint?facility={FACILITY}").text
    assert "公路货运（重型货车）" in boms and "road_hgv" not in boms

    client.cookies.set("lang", "en")
    page = client.get(f"/footprint/studies/{STUDY_ID}?facility={FACILITY}").text
    table = page[page.index('id="process-table"') : page.index('id="meters"')]
    assert "LFP cathode active material (illustrative) [illustrative]" in table
    assert "磷酸铁锂正极材料" not in table
    assert "line electrode, node electrode" in page[page.index('id="meter-table"') :]
    boms = client.get(f"/footprint?facility={FACILITY}").text
    assert "road freight (heavy goods vehicles)" in boms


def test_the_battery_declaration_is_that_of_footprint_battery_and_is_issued_immutable(site):
    """The demo's study names its battery (60 kWh usable, 8 years, category M1: 60 cycles a
    year in the draft act): E_total = 60 × 60 × 8 = 28,800 kWh and a battery takes 0.06 MWh of
    cells, so each stage is the study's kg CO2e per MWh × 0.06 / 28,800. The API and the page
    give exactly ``lingtan footprint battery FILE --study STUDY --format json``; issuing
    stores it with the study file's SHA-256, in the audit log, and it is never changed."""
    url, folder, app, engine = site
    study, battery = folder / "footprint" / STUDY, folder / "footprint" / BATTERY
    result = CliRunner().invoke(main, ["--db", url, "footprint", "battery", str(battery),
                                       "--study", str(study), "--format", "json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    cli = json.loads(result.stdout)
    manager, csrf = signed_in(app, "fp_manager")
    body = manager.get(f"{BASE}/studies/{STUDY_ID}").json()
    found = body["declarations"]["battery"]
    assert found["document"] == cli and found["problems"] == []
    assert body["declarations"]["cbam"] is None  # a cell plant: no CBAM good
    assert cli["total_energy_kwh"] == 28_800 and cli["cycles_basis"] == "draft"
    by_stage = body["result"]["by_stage_kgco2e"]
    for stage in ("raw_materials", "production"):
        expected = by_stage[stage] * 0.06 / 28_800
        assert cli["stages_kg_co2e_per_kwh"][stage] == pytest.approx(expected, rel=1e-12)
    manager.cookies.set("lang", "zh-CN")
    html = manager.get(f"/footprint/studies/{STUDY_ID}?facility={FACILITY}&draws=0").text
    for row in found["rows"]:
        cells = re.search(rf'data-battery-stage="{row["stage"]}">.*?data-value="([^"]*)".*?'
                          r'data-value="([^"]*)"', html, re.S)  # fmt: skip
        assert float(cells.group(1)) == row["kg_co2e_per_battery"]
        assert float(cells.group(2)) == row["kg_co2e_per_kwh"]
    assert "欧盟电池法规碳足迹声明" in html and "原材料获取与预处理" in html
    assert 'id="issue-battery"' in html and 'id="no-issued"' in html
    # a viewer may read but not issue; a kind the study names no file of is refused
    viewer, viewer_csrf = signed_in(app, "demo-viewer")
    path = f"{BASE}/studies/{STUDY_ID}/declarations"
    refused = viewer.post(path, json={"kind": "battery"}, headers={"X-CSRF-Token": viewer_csrf})
    assert refused.status_code == 403
    refused = manager.post(path, json={"kind": "cbam"}, headers={"X-CSRF-Token": csrf})
    assert refused.status_code == 422
    assert refused.json()["error"]["problems"][0]["field"] == "kind"
    issued = manager.post(path, json={"kind": "battery"}, headers={"X-CSRF-Token": csrf})
    assert issued.status_code == 201, issued.text
    row = issued.json()
    assert (
        row["figures"] == cli and row["kg_co2e_per_kwh"] == cli["carbon_footprint_kg_co2e_per_kwh"]
    )
    assert row["study_sha256"] == hashlib.sha256(study.read_bytes()).hexdigest()
    assert row["source_sha256"] == hashlib.sha256(battery.read_bytes()).hexdigest()
    assert (
        row["issued_by"] == "fp_manager"
        and row["subject"] == "LFP-DEMO-PACK-60 (Suzhou, Jiangsu, CN)"
    )
    listed = viewer.get(f"{BASE}/declarations").json()["declarations"]
    assert [d["id"] for d in listed] == [row["id"]] and listed[0]["figures"] == cli
    # the page issues too (a second, newer one), and both are listed on the 产品碳足迹 page
    answer = manager.post(f"/footprint/studies/{STUDY_ID}/declarations?facility={FACILITY}",
                          data={"kind": "battery", "csrf_token": csrf},
                          follow_redirects=False)  # fmt: skip
    assert answer.status_code == 303
    page = manager.get(f"/footprint?facility={FACILITY}").text
    assert re.findall(r'data-declaration="(\d+)"', page) == [str(row["id"] + 1), str(row["id"])]
    with session_scope(engine) as session:
        stored = session.get(FootprintDeclaration, row["id"])
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.entity == "footprint_declaration",
                                     AuditEntry.entity_key == str(row["id"]))
        ).one()  # fmt: skip
        assert entry.action == "issue" and entry.after["study_sha256"] == row["study_sha256"]
        assert entry.after["figures_sha256"] == stored.figures_sha256
        stored.issued_by = "someone else"
        with pytest.raises(InputError, match="immutable"):
            session.flush()
        session.rollback()
