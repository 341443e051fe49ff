"""A product's foreground from the store, on SQLite and PostgreSQL: the bill of materials
import, the hand-worked allocation of a line's meters and the inventory's emissions, the walk
from a product's electricity down to its meters and intervals, and bad input refused.

The plant (facility T1, 江苏), January 2025 in local time (+08:00):
[2024-12-31 16:00 UTC, 2025-01-31 16:00 UTC), 31 x 96 = 2976 intervals of 15 minutes.

    site ── line-a   E-A  +1.0 kWh per interval: 2976 kWh   makes cell-a and cell-b
         ├─ line-b   E-B  +2.0 kWh per interval: 5952 kWh   makes cell-b only (not in the study)
         └─ util     E-U  +0.5 kWh per interval: 1488 kWh   the facility's other energy

Output: cell-a 30 MWh, cell-b 10 MWh. Mass key: cell-a 5000 kg/MWh, cell-b 7000 kg/MWh:
cell-a's share 30 x 5000 / (30 x 5000 + 10 x 7000) = 150 000 / 220 000 = 15/22 of line-a
and (same products) of the facility. Its electricity: (2976 + 1488) x 15/22 = 3043.636… kWh.
"""

import math
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from lingtan.errors import InputError
from lingtan.footprint.allocation import allocation_shares
from lingtan.footprint.lineage import meter_lineage, primary_data_share
from lingtan.footprint.model import SupplierFootprint
from lingtan.footprint.study import read_study_text
from lingtan.imports.load import facility_by_code, import_file
from lingtan.metering.store import MeterDefinition, NodeDefinition, define_meters, ingest_readings
from lingtan.services import inventory as inventories
from lingtan.services.footprint import build_product_system, import_bom
from lingtan.store.db import session_scope
from lingtan.store.evidence import EvidenceStore
from lingtan.store.models import AuditEntry, BomLine, ProductionRecord
from test_platform import workbook

ROOT = Path(__file__).resolve().parents[1]
JAN_START = int(datetime(2024, 12, 31, 16, tzinfo=UTC).timestamp())
JAN_END = int(datetime(2025, 1, 31, 16, tzinfo=UTC).timestamp())
INTERVALS = 2976
STEPS = {"E-A": 1.0, "E-B": 2.0, "E-U": 0.5}
SHARE_A = 150_000 / 220_000

STUDY = """
name: cell-a January
product: cell-a
goal: {application: internal hotspot analysis, audience: plant management}
unit: {kind: declared, quantity: 1, unit: MWh}
boundary: cradle_to_gate
period: {start: 2025-01-01, end: 2025-01-31}
cut_off: {rule: items under 1 pct of mass left out, mass_pct: 1}
allocation: {key: mass, values: {cell-a: 5000, cell-b: 7000}, value_unit: kg}
electricity: {method: %(method)s}
gwp: AR5
data_quality:
  meter: {reliability: 1, completeness: 1, temporal: 1, geographical: 1, technological: 1}
lines:
  - {node: line-a, products: [cell-a, cell-b], sources: [gas]}
facility_energy: {nodes: [util], sources: rest}
"""

BOM = """product,period_start,period_end,kind,material,quantity,unit,link,supplier,distance_km,transport_mode
cell-a,2025-01-01,2025-12-31,material,cathode,2000,kg,dataset:lfp-cathode,,500,road_hgv
cell-a,2025-01-01,2025-12-31,material,anode,1.2,t,pact:sup-anode-1,Anode Co,,
cell-a,2025-01-01,2025-12-31,packaging,carton,40,kg,dataset:cardboard,,,
cell-b,2025-01-01,2025-12-31,material,cathode,2500,kg,dataset:lfp-cathode,,,
"""

ANODE = SupplierFootprint(
    id="sup-anode-1",
    supplier="Anode Co",
    product="graphite anode",
    declared_unit="kg",
    pcf_excluding_biogenic=5.0,
    dluc=0.5,
    primary_data_share=40.0,
)


def readings():
    out = []
    for code, step in STEPS.items():
        value = 100.0
        for ts in range(JAN_START - 86_400, JAN_END + 86_400 + 1, 900):
            value += step
            out.append((code, ts, value))
    return out


@pytest.fixture
def plant(store_engine, tmp_path):
    evidence = EvidenceStore(tmp_path / "evidence")
    production = [
        ["cell-a", "Cell A", date(2025, 1, 1), date(2025, 1, 31), 30, "MWh"],
        ["cell-b", "Cell B", date(2025, 1, 1), date(2025, 1, 31), 10, "MWh"],
    ]
    book = workbook(tmp_path, **{"产量 Production": production})
    with session_scope(store_engine) as session:
        import_file(session, book, evidence=evidence, actor="test")
        nodes = [
            NodeDefinition("site", "Site", "facility"),
            NodeDefinition("line-a", "Line A", "line", "site"),
            NodeDefinition("line-b", "Line B", "line", "site"),
            NodeDefinition("util", "Utilities", "building", "site"),
        ]
        meters = [
            MeterDefinition(code, "electricity", "kWh", "cumulative", node=node)
            for code, node in (("E-A", "line-a"), ("E-B", "line-b"), ("E-U", "util"))
        ]
        define_meters(session, "T1", nodes, meters, actor="test")
        ingest_readings(session, "T1", readings(), origin="test")
        inventories.compute(session, "T1", date(2025, 1, 1), date(2025, 1, 31), actor="test")
    bom = tmp_path / "bom.csv"
    bom.write_text(BOM, encoding="utf-8")
    with session_scope(store_engine) as session:
        site = facility_by_code(session, "T1")
        import_bom(session, site, bom, evidence=evidence, actor="test")
    return store_engine, evidence, tmp_path


def study(method="location", **replace):
    text = STUDY % {"method": method}
    for old, new in replace.items():
        text = text.replace(old, new)
    return read_study_text(text, "study.yaml")


def build(plant, the_study=None, suppliers=None):
    engine = plant[0]
    with session_scope(engine) as session:
        return build_product_system(
            session, the_study or study(), suppliers={"sup-anode-1": ANODE} | (suppliers or {})
        )


def inventory_lines(engine):
    with session_scope(engine) as session:
        inventory = session.scalars(sa.select(inventories.Inventory)).one()
        return {line["source_id"].split("@")[0]: line for line in inventory.result["lines"]}


def test_allocation_by_hand():
    """Mass: 30 MWh x 5000 kg/MWh against 10 MWh x 7000 kg/MWh."""
    shares = allocation_shares(
        {"a": 30, "b": 10}, key="mass", where="line x", values={"a": 5000, "b": 7000}
    )
    assert shares["a"] == pytest.approx(15 / 22, rel=1e-15)
    assert shares["b"] == pytest.approx(7 / 22, rel=1e-15)
    units = allocation_shares(
        {"a": 30_000, "b": 10}, key="units", where="x", units={"a": "kWh", "b": "MWh"}
    )
    assert units["a"] == pytest.approx(0.75)  # 30 MWh against 10 MWh
    hours = allocation_shares(
        {"a": 1, "b": 1}, key="machine_hours", where="x", machine_hours={"a": 600, "b": 144}
    )
    assert hours["b"] == pytest.approx(144 / 744)
    assert allocation_shares({"a": 0.0}, key="mass", where="x") == {"a": 1.0}  # subdivision


def test_a_key_that_sums_to_zero_is_refused():
    with pytest.raises(InputError) as caught:
        allocation_shares({"a": 0, "b": 0}, key="units", where="line x", units={"a": "t", "b": "t"})
    (problem,) = caught.value.problems
    assert problem.where == "line x" and "sums to zero" in problem.rule
    with pytest.raises(InputError, match="sums to zero"):
        allocation_shares(
            {"a": 1, "b": 1}, key="machine_hours", where="x", machine_hours={"a": 0, "b": 0}
        )


def test_outputs_in_units_that_do_not_add_are_refused():
    with pytest.raises(InputError) as caught:
        allocation_shares(
            {"a": 5, "b": 10}, key="units", where="line x", units={"a": "MWh", "b": "t"}
        )
    assert "cannot be added" in caught.value.problems[0].rule


def test_the_product_process_by_hand(plant):
    system = build(plant)
    main = system.processes[0]
    assert main.code == "cell-a@T1" and main.foreground and main.stage == "production"
    assert main.production == 30.0 and main.unit == "MWh"
    electricity = next(e for e in main.exchanges if e.flow.startswith("electricity:"))
    assert electricity.unit == "kWh"
    assert electricity.amount == pytest.approx((2976 + 1488) * SHARE_A, rel=1e-12)
    # direct emissions: the gas at line-a and the steam of the facility, each 15/22
    lines = inventory_lines(plant[0])
    fossil = next(e for e in main.exchanges if e.flow == "ghg-fossil")
    expected = (lines["gas"]["emissions_tco2e"] + lines["steam"]["emissions_tco2e"]) * SHARE_A
    assert fossil.biosphere and fossil.amount == pytest.approx(expected * 1000, rel=1e-12)
    assert {s.reference for s in fossil.sources if s.kind == "inventory"} == {
        "inventory 1 line gas@2025-01-01",
        "inventory 1 line steam@2025-01-01",
    }
    # the grid's factor: the inventory's location-based figure of the grid line [kg/kWh]
    supply = next(p for p in system.processes if p.code == electricity.flow)
    assert not supply.foreground and supply.code == "electricity:location:CN-JS:2025"
    grid = lines["grid"]
    (co2,) = supply.exchanges
    assert co2.amount == pytest.approx(grid["emissions_tco2e"] / grid["activity"], rel=1e-9)
    assert "mee-electricity" in co2.sources[0].reference
    # the study scores metered data 1 throughout and gives no score for datasets
    assert electricity.pedigree == (1, 1, 1, 1, 1) and co2.pedigree is None


def test_bom_items_and_freight_by_hand(plant):
    system = build(plant)
    main = system.processes[0]
    by_flow = {e.flow: e for e in main.exchanges}
    assert by_flow["dataset:lfp-cathode"].amount == pytest.approx(2000 * 30)  # kg
    assert by_flow["pact:sup-anode-1"].amount == pytest.approx(1200 * 30)  # 1.2 t -> kg
    assert by_flow["dataset:cardboard"].amount == pytest.approx(40 * 30)
    # 2 t of cathode per MWh over 500 km: 1000 t*km per MWh, 30 000 t*km
    assert by_flow["transport:road_hgv"].amount == pytest.approx(2 * 500 * 30)
    processes = {p.code: p for p in system.processes}
    anode = processes["pact:sup-anode-1"]
    parts = {e.flow: e.amount for e in anode.exchanges}
    assert parts == {"ghg-fossil": pytest.approx(4.5), "ghg-dluc": pytest.approx(0.5)}
    cathode = processes["dataset:lfp-cathode"]
    assert "illustrative" in cathode.name and cathode.stage == "raw_materials"
    assert "unverified" in processes["transport:road_hgv"].name
    # every technosphere input is a process of the system
    assert all(
        e.flow in processes for p in system.processes for e in p.exchanges if not e.biosphere
    )


def test_a_footprint_follows_down_to_meters_and_intervals(plant):
    """The done-when: a product's electricity down to the meters and the interval range."""
    system = build(plant)
    lineage = meter_lineage(system, "cell-a@T1")
    assert {row.reference for row in lineage} == {"E-A", "E-U"}
    start = datetime(2024, 12, 31, 16, tzinfo=UTC)
    for row in lineage:
        assert row.kind == "meter" and row.unit == "kWh"
        assert (row.start, row.end) == (start, start + timedelta(days=31))
        assert row.quantity == pytest.approx(INTERVALS * STEPS[row.reference], rel=1e-12)
        assert row.share == pytest.approx(SHARE_A, rel=1e-15)
    main = system.processes[0]
    electricity = next(e for e in main.exchanges if e.flow.startswith("electricity:"))
    assert math.fsum(r.quantity * r.share for r in lineage) == pytest.approx(electricity.amount)
    # the output it is divided by: January's production record of the product
    (record,) = [s for s in electricity.sources if s.kind == "production"]
    assert record.quantity == 30 and record.unit == "MWh"


def test_the_footprint_by_a_dense_solve(plant):
    """A tiny dense solve of A s = f, g = B s (test only) against the sum by hand."""
    np = pytest.importorskip("numpy")
    system = build(plant)
    codes = [p.code for p in system.processes]
    flows = [f.code for f in system.flows]
    a = np.zeros((len(codes), len(codes)))
    b = np.zeros((len(flows), len(codes)))
    for j, process in enumerate(system.processes):
        a[j, j] = process.production
        for e in process.exchanges:
            if e.biosphere:
                b[flows.index(e.flow), j] += e.amount
            else:
                a[codes.index(e.flow), j] -= e.amount
    demand = np.zeros(len(codes))
    demand[0] = 1.0  # 1 MWh of cell-a
    g = b @ np.linalg.solve(a, demand)
    main = system.processes[0]
    processes = {p.code: p for p in system.processes}
    by_hand = (
        sum(
            e.amount
            if e.biosphere
            else e.amount * sum(x.amount for x in processes[e.flow].exchanges)
            for e in main.exchanges
        )
        / main.production
    )
    assert g.sum() == pytest.approx(by_hand, rel=1e-12)
    assert g[flows.index("ghg-dluc")] == pytest.approx(0.5 * 1200, rel=1e-12)
    # primary: the metered electricity, the inventory's emissions, 40 % of the anode supplier's
    by_flow = {e.flow: e for e in main.exchanges}
    electricity = next(e for e in main.exchanges if e.flow.startswith("electricity:"))
    grid = processes[electricity.flow].exchanges[0].amount
    primary = electricity.amount * grid + by_flow["ghg-fossil"].amount
    primary += by_flow["pact:sup-anode-1"].amount * 5.0 * 0.40
    expected = 100 * primary / (g.sum() * main.production)
    assert primary_data_share(system, "cell-a@T1") == pytest.approx(expected, rel=1e-12)


def test_market_based_electricity_is_the_inventorys_scope_2_factor(plant):
    system = build(plant, study("market"))
    supply = next(p for p in system.processes if p.code.startswith("electricity:market"))
    grid = inventory_lines(plant[0])["grid"]
    market = grid["market_emissions_tco2e"]
    market = grid["emissions_tco2e"] if market is None else market
    assert supply.exchanges[0].amount == pytest.approx(market * 1000 / 1_000_000, rel=1e-12)


def test_bom_import_is_all_or_nothing_idempotent_and_audited(plant):
    engine, evidence, folder = plant
    with session_scope(engine) as session:
        site = facility_by_code(session, "T1")
        again = import_bom(session, site, folder / "bom.csv", evidence=evidence, actor="test")
        assert (again.added, again.unchanged, again.batch_id) == (0, 4, None)
        assert session.scalar(sa.select(sa.func.count()).select_from(BomLine)) == 4
        entries = session.scalars(sa.select(AuditEntry).where(AuditEntry.entity == "bom")).all()
        assert len(entries) == 1 and entries[0].after["file"] == "bom.csv"
    changed = folder / "changed.csv"
    changed.write_text(BOM.splitlines()[0] + "\n" + BOM.splitlines()[1] + "\n", encoding="utf-8")
    with session_scope(engine) as session:
        site = facility_by_code(session, "T1")
        done = import_bom(session, site, changed, evidence=evidence, actor="test")
    # cell-a's BOM of the period is now only its cathode; cell-b's is not in the file: kept
    assert (done.unchanged, done.removed) == (1, 2)


@pytest.mark.parametrize(
    ("row", "column", "value", "rule"),
    [
        ("cell-z,2025-01-01,2025-12-31,material,x,1,kg,dataset:cardboard,,,", "product",
         "cell-z", "no such product"),
        ("cell-a,2025-01-01,2025-12-31,material,x,1,kg,dataset:unobtainium,,,", "link",
         "dataset:unobtainium", "no such background dataset"),
        ("cell-a,2025-01-01,2025-12-31,material,x,1,kWh,dataset:cardboard,,,", "link",
         "dataset:cardboard", "reference flow is in kg"),
        ("cell-a,2025-01-01,2025-12-31,material,x,1,kg,cardboard,,,", "link",
         "cardboard", "dataset:<code> or pact:<id>"),
        ("cell-a,2025-01-01,2025-12-31,material,x,-1,kg,dataset:cardboard,,,", "quantity",
         "-1", "above 0"),
        ("cell-a,2025-01-01,2025-12-31,material,x,1,m**2,dataset:separator,,10,road_hgv",
         "unit", "m**2", "by mass"),
        ("cell-a,2025-01-01,2025-12-31,material,x,1,kg,dataset:cardboard,,10,", "transport_mode",
         None, "go together"),
        ("cell-a,2025-12-31,2025-01-01,material,x,1,kg,dataset:cardboard,,,", "period_end",
         "2025-01-01", "before period_start"),
    ],
)  # fmt: skip
def test_bad_bom_rows_are_refused_and_nothing_is_written(plant, row, column, value, rule):
    engine, evidence, folder = plant
    bad = folder / "bad.csv"
    bad.write_text(BOM + row + "\n", encoding="utf-8")
    with session_scope(engine) as session, pytest.raises(InputError) as caught:
        import_bom(session, facility_by_code(session, "T1"), bad, evidence=evidence, actor="t")
    (problem,) = caught.value.problems
    assert problem.where == "bad.csv row 6"
    assert column in problem.field and problem.value == value and rule in problem.rule
    with session_scope(engine) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(BomLine)) == 4


def test_an_unknown_supplier_footprint_is_refused(plant):
    engine = plant[0]
    with session_scope(engine) as session, pytest.raises(InputError) as caught:
        build_product_system(session, study(), suppliers={})
    (problem,) = caught.value.problems
    assert problem.field == "link" and problem.value == "pact:sup-anode-1"
    assert "no such supplier footprint" in problem.rule and "bom_line" in problem.where


def test_a_supplier_unit_that_does_not_match_is_refused(plant):
    per_piece = SupplierFootprint("sup-anode-1", "Anode Co", "anode", "m", 5.0)
    with pytest.raises(InputError) as caught:
        build(plant, suppliers={"sup-anode-1": per_piece})
    (problem,) = caught.value.problems
    assert problem.field == "unit" and problem.value == "t" and "in m" in problem.rule


def test_a_zero_key_in_the_store_is_refused(plant):
    zero = study(**{"cell-b: 7000": "cell-b: 0", "cell-a: 5000": "cell-a: 0"})
    with pytest.raises(InputError) as caught:
        build(plant, zero)
    wheres = {p.where for p in caught.value.problems}
    assert wheres == {"line line-a", "facility_energy"}
    assert all("sums to zero" in p.rule for p in caught.value.problems)


def test_unknown_nodes_sources_and_double_counting_are_refused(plant):
    bad = study(
        **{
            "facility_energy:": "  - {node: line-z, products: [cell-a]}\nfacility_energy:",
            "sources: [gas]": "sources: [boiler-9]",
            "nodes: [util]": "nodes: [site], meters: [E-A]",
        }
    )
    with pytest.raises(InputError) as caught:
        build(plant, bad)
    found = {(p.field, p.value) for p in caught.value.problems}
    assert ("lines[line-z].node", "line-z") in found
    assert ("lines[line-a].sources", "boiler-9") in found
    assert ("facility_energy.nodes", "site") in found  # the site holds line-a: counted twice
    assert ("facility_energy.meters", "E-A") in found  # E-A is line-a's


def test_the_facility_sources_are_shared_without_facility_nodes(plant):
    system = build(plant, study(**{"nodes: [util], ": ""}))
    main = system.processes[0]
    electricity = next(e for e in main.exchanges if e.flow.startswith("electricity:"))
    assert electricity.amount == pytest.approx(2976 * SHARE_A, rel=1e-12)  # line-a only
    fossil = next(e for e in main.exchanges if e.flow == "ghg-fossil")
    lines = inventory_lines(plant[0])
    expected = (lines["gas"]["emissions_tco2e"] + lines["steam"]["emissions_tco2e"]) * SHARE_A
    assert fossil.amount == pytest.approx(expected * 1000, rel=1e-12)


def test_a_study_of_another_gwp_set_than_the_inventory_is_refused(plant):
    with pytest.raises(InputError) as caught:
        build(plant, study(**{"gwp: AR5": "gwp: AR6"}))
    (problem,) = caught.value.problems
    assert problem.field == "gwp" and "AR5" in problem.rule


def test_the_demo_cell_follows_down_to_its_meters(demo_copy, tmp_path):
    """The demo's cell: its lines, utilities, office and the unmetered remainder E-REST add up
    to what the site takes in (E-REST = E-IN-1 + E-IN-2 + E-PV-GEN - E-PV-EXP - workshops)."""
    from lingtan.footprint.study import read_study_file
    from lingtan.metering.energy_store import load_energy
    from lingtan.store.db import make_engine

    engine = make_engine(demo_copy(tmp_path))
    try:
        the_study = read_study_file(
            ROOT / "src" / "lingtan" / "data" / "footprint" / "demo-cell-study.yaml"
        )
        with session_scope(engine) as session:
            system = build_product_system(session, the_study)
            energy = load_energy(session, "JS-CELL-01", date(2025, 1, 1), date(2026, 1, 1))
            intake = sum(
                sign * energy.meter_total(code).energy
                for code, sign in (("E-IN-1", 1), ("E-IN-2", 1), ("E-PV-GEN", 1), ("E-PV-EXP", -1))
            )
            made = session.scalar(sa.select(sa.func.sum(ProductionRecord.quantity)))
    finally:
        engine.dispose()
    main = system.processes[0]
    assert main.code == "cells@JS-CELL-01" and main.production == made
    lineage = meter_lineage(system, main.code)
    assert [s.reference for s in lineage] == [
        "E-ELEC", "E-ASSY", "E-FORM", "E-PACK", "E-UTIL", "E-OFFICE", "E-REST",
    ]  # fmt: skip
    start = datetime(2024, 12, 31, 16, tzinfo=UTC)
    assert all((s.start, s.end, s.share) == (start, start.replace(year=2025), 1.0) for s in lineage)
    (electricity,) = [e for e in main.exchanges if e.flow.startswith("electricity:")]
    assert electricity.amount == pytest.approx(intake, rel=1e-9)
    stack = next(s for s in lineage if s.reference == "E-ASSY")
    assert stack.note.startswith("line assembly")


def test_the_commands(plant, lingtan_cli):
    import json

    folder = plant[2]
    (folder / "study.yaml").write_text(STUDY % {"method": "location"}, encoding="utf-8")
    (folder / "suppliers.csv").write_text(
        "id,supplier,product,declared_unit,pcf_excluding_biogenic,dluc,primary_data_share\n"
        "sup-anode-1,Anode Co,graphite anode,kg,5.0,0.5,40\n",
        encoding="utf-8",
    )
    shown = lingtan_cli(
        "footprint", "foreground", folder / "study.yaml", "--suppliers", folder / "suppliers.csv",
        "--format", "json",
    )  # fmt: skip
    document = json.loads(shown.stdout)
    assert document["product_process"] == "cell-a@T1"
    assert 0 < document["primary_data_share_pct"] < 100
    main = document["processes"][0]
    (electricity,) = [e for e in main["exchanges"] if e["flow"].startswith("electricity:")]
    meters = {s["reference"]: s for s in electricity["sources"] if s["kind"] == "meter"}
    assert set(meters) == {"E-A", "E-U"}
    assert meters["E-A"]["start"] == "2024-12-31T16:00:00+00:00"
    # without the supplier file the pact: link is refused, in Chinese with --lang zh-CN
    refused = lingtan_cli("--lang", "zh-CN", "footprint", "foreground", folder / "study.yaml",
                          code=2)  # fmt: skip
    assert "无此供应商碳足迹" in refused.stderr and not refused.stdout
    again = lingtan_cli("import", "bom", folder / "bom.csv")
    assert "4 item(s) read, 0 added" in again.stdout and "no batch" in again.stdout
    (folder / "bad.csv").write_text(BOM.replace("dataset:cardboard", "dataset:x"), "utf-8")
    bad = lingtan_cli("import", "bom", folder / "bad.csv", code=2)
    assert "bad.csv row 4" in bad.stderr and "no such background dataset" in bad.stderr


def test_chinese_headers_a_stage_outside_the_boundary_and_two_boms(plant):
    engine, evidence, folder = plant
    chinese = folder / "物料清单.csv"
    chinese.write_text(
        "产品,开始日期,结束日期,类别,物料,数量,单位,数据来源\n"
        "cell-a,2025-01-01,2025-12-31,material,cathode,2000,kg,dataset:lfp-cathode\n"
        "cell-a,2025-01-01,2025-12-31,material,anode,1.2,t,pact:sup-anode-1\n"
        "cell-a,2025-01-01,2025-12-31,packaging,carton,40,kg,dataset:cardboard\n"
        "cell-a,2025-01-01,2025-12-31,end_of_life,cell,25,kg,dataset:waste-incineration\n",
        encoding="utf-8",
    )
    with session_scope(engine) as session:
        done = import_bom(session, facility_by_code(session, "T1"), chinese, evidence=evidence,
                          actor="t")  # fmt: skip
    # cathode loses its freight, anode its supplier: changed; carton unchanged; cell added
    assert (done.added, done.changed, done.removed, done.unchanged) == (1, 2, 0, 1)
    system = build(plant)
    assert not any("waste-incineration" in e.flow for e in system.processes[0].exchanges)
    assert any("stage end_of_life is outside the boundary" in n for n in system.notes)
    january = folder / "january.csv"
    january.write_text(BOM.splitlines()[0] + "\n" + BOM.splitlines()[1].replace(
        "2025-12-31", "2025-01-31") + "\n", encoding="utf-8")  # fmt: skip
    with session_scope(engine) as session:
        import_bom(session, facility_by_code(session, "T1"), january, evidence=evidence, actor="t")
    with pytest.raises(InputError) as caught:
        build(plant)
    (problem,) = caught.value.problems
    assert "several bills of materials of cell-a cover the period" in problem.rule


def test_a_study_unit_that_is_not_the_products_is_refused(plant):
    assert study().reference_flow("kWh") == 1000.0  # 1 MWh declared, the output in kWh
    with pytest.raises(InputError) as caught:
        build(plant, study(**{"unit: MWh}": "unit: kg}"}))
    (problem,) = caught.value.problems
    assert problem.field == "unit.unit" and problem.value == "kg" and "in MWh" in problem.rule
