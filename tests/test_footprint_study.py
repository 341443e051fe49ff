"""The study file of a product footprint (GB/T 24067 / ISO 14067 goal and scope): a good file
read field by field, every bad field refused naming file, field, value and rule, the shipped
background data labelled, supplier files, and every field documented."""

import re
from datetime import date
from pathlib import Path

import pytest

from lingtan.errors import InputError
from lingtan.footprint.background import read_supplier_text, shipped_datasets, transport_modes
from lingtan.footprint.study import FIELDS, read_study_file, read_study_text

ROOT = Path(__file__).resolve().parents[1]

GOOD = """
name: LFP cell 2025
goal: {application: customer declaration, reasons: PACT request, audience: customers}
facility: JS-CELL
product: cells
unit: {kind: declared, quantity: 1, unit: kWh, description: one kWh of cell capacity}
boundary: cradle_to_gate
period: {start: 2025-01-01, end: 2025-12-31}
cut_off:
  rule: inputs under 1 % of the product's mass, together under 5 %
  mass_pct: 1
  excluded: [{process: office consumables, reason: under the cut-off}]
allocation: {key: economic, values: {cells: 420.0}, value_unit: CNY, reason: co-products differ only in price}
electricity: {method: market}
gwp: ar6
data_quality:
  meter: {reliability: 1, completeness: 2, temporal: 1, geographical: 1, technological: 1}
  dataset: {reliability: 4, completeness: 3, temporal: 4, geographical: 4, technological: 3}
lines:
  - {node: formation, products: [cells], sources: [boiler-1]}
  - {node: assembly, products: [cells]}
facility_energy: {nodes: [utilities, office], meters: [E-REST], sources: rest, rule: key}
"""


def problems_of(text: str) -> dict[str, tuple]:
    with pytest.raises(InputError) as caught:
        read_study_text(text, "s.yaml")
    return {p.field: (p.where, p.value, str(p.rule)) for p in caught.value.problems}


def test_a_good_study_is_read_field_by_field():
    study = read_study_text(GOOD, "s.yaml")
    assert (study.product, study.facility, study.unit, study.unit_quantity) == (
        "cells",
        "JS-CELL",
        "kWh",
        1.0,
    )
    assert study.partial and study.unit_kind == "declared"
    assert study.stages == ("raw_materials", "production")  # the boundary's stages
    assert (study.period_start, study.period_end) == (date(2025, 1, 1), date(2025, 12, 31))
    assert study.allocation.key == "economic" and study.allocation.procedure == "economic"
    assert study.allocation.values == {"cells": 420.0}
    assert study.electricity_method == "market" and study.gwp == "AR6"
    assert study.pedigree("meter")["completeness"] == 2 and study.pedigree("bom") is None
    assert [line.node for line in study.lines] == ["formation", "assembly"]
    assert study.lines[0].sources == ("boiler-1",)
    assert study.facility_energy.meters == ("E-REST",)
    assert study.excluded == ({"process": "office consumables", "reason": "under the cut-off"},)
    assert study.goal["audience"] == "customers"


@pytest.mark.parametrize(
    ("old", "new", "field", "value", "rule"),
    [
        ("product: cells", "product: ''", "product", "", "is required"),
        ("boundary: cradle_to_gate", "boundary: gate_to_grave", "boundary", "gate_to_grave",
         "must be one of"),
        ("kind: declared", "kind: functional", "unit.kind", "functional", "declared unit"),
        ("quantity: 1,", "quantity: 0,", "unit.quantity", 0, "above 0"),
        ("unit: kWh,", "unit: kWhx,", "unit.unit", "kWhx", "not a unit"),
        ("end: 2025-12-31", "end: 2024-12-31", "period.end", "2024-12-31", "before"),
        ("start: 2025-01-01", "start: 1 Jan", "period.start", "1 Jan", "YYYY-MM-DD"),
        ("key: economic", "key: volume", "allocation.key", "volume", "must be one of"),
        (", reason: co-products differ only in price", "", "allocation.reason", None,
         "physical relationship"),
        ("method: market", "method: residual", "electricity.method", "residual", "location"),
        ("gwp: ar6", "gwp: AR7", "gwp", "AR7", "must be one of"),
        ("completeness: 2", "completeness: 6", "data_quality.meter.completeness", 6, "1 to 5"),
        ("mass_pct: 1", "mass_pct: 150", "cut_off.mass_pct", 150.0, "at most 100"),
        ("products: [cells]}\n", "products: [cans]}\n", "lines[1].products", ["cans"],
         "study's product"),
        ("gwp: ar6", "gwp: ar6\nscope: everything", "scope", "everything", "unknown field"),
        ("sources: rest", "sources: some", "facility_energy.sources", "some", "must be one of"),
    ],
)  # fmt: skip
def test_a_bad_field_is_refused_naming_file_field_value_and_rule(old, new, field, value, rule):
    assert old in GOOD
    found = problems_of(GOOD.replace(old, new, 1))
    assert field in found, found
    where, got, text = found[field]
    assert where == "s.yaml" and got == value and rule in text


def test_a_cradle_to_grave_study_takes_all_stages_and_a_functional_unit():
    text = GOOD.replace("cradle_to_gate", "cradle_to_grave").replace("declared", "functional")
    study = read_study_text(text, "s.yaml")
    assert not study.partial and study.stages[-1] == "end_of_life"
    found = problems_of(GOOD.replace("period:", "stages: [production, use]\nperiod:"))
    assert "outside the cradle_to_gate boundary" in found["stages"][2]


def test_a_key_without_its_values_is_refused():
    found = problems_of(GOOD.replace("key: economic, values: {cells: 420.0},", "key: mass,"))
    assert "is required with the mass key" in found["allocation.values"][2]
    found = problems_of(GOOD.replace("key: economic", "key: machine_hours"))
    assert "takes no values" in found["allocation.values"][2]


def test_malformed_files_are_refused(tmp_path):
    with pytest.raises(InputError) as caught:
        read_study_text("product: [unclosed", "s.yaml")
    (problem,) = caught.value.problems
    assert problem.where.startswith("s.yaml") and "is not YAML" in str(problem.rule)
    with pytest.raises(InputError, match="must be a mapping"):
        read_study_text("- a list", "s.yaml")
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("product: caf\xe9".encode("latin-1"))
    with pytest.raises(InputError, match="not UTF-8"):
        read_study_file(latin)
    (tmp_path / "s.yaml").write_text(GOOD + "suppliers: nowhere.csv\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_study_file(tmp_path / "s.yaml")
    assert caught.value.problems[0].field == "suppliers"


def test_every_problem_of_a_file_is_listed_at_once():
    bad = GOOD.replace("gwp: ar6", "gwp: AR7").replace("method: market", "method: x")
    assert {"gwp", "electricity.method"} <= set(problems_of(bad))


def test_the_shipped_background_is_labelled():
    datasets = shipped_datasets()
    assert datasets and all(d.status == "illustrative" for d in datasets.values())
    assert all("illustrative" in d.name_en and "示例" in d.name_zh for d in datasets.values())
    modes = transport_modes()
    assert modes["road_hgv"].kgco2e_per_unit == 0.12366  # Defra/DECC 2012 Table 7e, all HGVs
    assert all(
        m.status == "unverified" and m.source_url.startswith("https://") for m in modes.values()
    )


def test_a_supplier_footprint_file():
    text = (
        "id,supplier,product,declared_unit,pcf_excluding_biogenic,dluc,primary_data_share\n"
        "s-1,Anode Co,graphite,kg,5.0,0.5,40\n"
    )
    (got,) = read_supplier_text(text, "f.csv").values()
    assert (got.id, got.pcf_excluding_biogenic, got.dluc, got.primary_data_share) == (
        "s-1",
        5.0,
        0.5,
        40.0,
    )
    assert got.origin == "file"
    bad = text.replace("5.0,0.5,40", "five,0.5,140").replace(",kg,", ",kgx,")
    with pytest.raises(InputError) as caught:
        read_supplier_text(bad, "f.csv")
    fields = {(p.where, p.field) for p in caught.value.problems}
    assert fields == {
        ("f.csv row 2", "pcf_excluding_biogenic"),
        ("f.csv row 2", "primary_data_share"),
        ("f.csv row 2", "declared_unit"),
    }


def test_every_field_is_documented():
    doc = (ROOT / "docs" / "footprint-study.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"`([a-z_]+(?:\.[a-z_]+)?)`", doc))
    for section, fields in FIELDS.items():
        for name in fields:
            path = name if section is None else f"{section}.{name}"
            assert path in documented, f"{path} is not in docs/footprint-study.md"
