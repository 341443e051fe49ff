"""``lingtan pact publish-study``: the demo cell's study result published as a PACT v3
ProductFootprint — valid against the v3 data model, its PCF the study's result, served by the
host at ``/3/footprints`` — a second publication deprecating the first; the study's ``pact``
section checked by the strict reader; a study lacking what PACT needs refused naming each field,
nothing stored. Figures checked by hand from the result and the demo's BOM."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from fastapi.testclient import TestClient

from lingtan.cli.main import main
from lingtan.demo.footprint import BOM, STUDY
from lingtan.errors import InputError
from lingtan.footprint import pact
from lingtan.footprint.background import shipped_datasets
from lingtan.footprint.study import read_study_file, read_study_text
from lingtan.imports.load import facility_by_code
from lingtan.services import pact as service
from lingtan.services.footprint_pact import study_figures
from lingtan.services.footprint_result import study_footprint
from lingtan.store.db import make_engine, session_scope
from lingtan.store.models import PactFootprint
from lingtan.web.app import create_app


def run(url: str, *args: str, code: int = 0):
    result = CliRunner().invoke(main, ["--db", url, "--lang", "en", *args])
    assert result.exit_code == code, result.output
    return result


def calc(url: str, study: Path) -> dict:
    return json.loads(run(url, "footprint", "calc", str(study), "--format", "json").stdout)


@pytest.fixture
def store(demo, demo_copy, tmp_path):
    url = demo_copy(tmp_path / "store")
    # the battery declaration file the study names, for the study's variants written here
    shutil.copytree(demo[0] / "footprint" / "declarations", tmp_path / "declarations")
    return url, demo[0] / "footprint" / STUDY


def published(url: str) -> list[dict]:
    engine = make_engine(url)
    with session_scope(engine) as session:
        rows = session.scalars(sa.select(PactFootprint).order_by(PactFootprint.id)).all()
        documents = [row.document for row in rows]
    engine.dispose()
    return documents


def test_the_published_footprint_is_the_studys_result_and_valid_v3(store):
    url, study = store
    result = calc(url, study)
    said = run(url, "pact", "publish-study", str(study)).stdout
    [document] = published(url)
    assert document["id"] in said
    footprint = pact.parse_footprint(document, "published")  # the v3 data model, all fields
    assert isinstance(footprint, pact.ProductFootprint)
    pcf = document["pcf"]
    score = result["kgco2e_per_declared_unit"]
    kinds = result["result"]["by_kind_kgco2e"]
    # no biogenic, dLUC or aircraft emissions in the demo: both PCFs are the score
    assert float(pcf["pcfExcludingBiogenicUptake"]) == score
    assert float(pcf["pcfIncludingBiogenicUptake"]) == score
    assert float(pcf["fossilGhgEmissions"]) == kinds["fossil"] + kinds["aircraft"]
    assert pcf["landUseChangeGhgEmissions"] == "0" and pcf["biogenicCO2Uptake"] == "0"
    assert float(pcf["primaryDataShare"]) == result["primary_data_share_pct"]
    # 1 MWh declared is 1000 kilowatt hour in PACT's units
    assert (pcf["declaredUnitOfMeasurement"], pcf["declaredUnitAmount"]) == (
        "kilowatt hour",
        "1000",
    )
    # the study's period 2025 in the facility's time zone (UTC+8), end exclusive
    assert pcf["referencePeriodStart"] == "2024-12-31T16:00:00Z"
    assert pcf["referencePeriodEnd"] == "2025-12-31T16:00:00Z"
    assert pcf["geographyCountry"] == "CN"
    assert pcf["ipccCharacterizationFactors"] == ["AR5"]
    assert pcf["crossSectoralStandards"] == ["ISO14067"]
    # the study's pact section: mass, carbon content, exempted share
    assert pcf["productMassPerDeclaredUnit"] == "5530"
    assert pcf["fossilCarbonContent"] == "1000" and pcf["biogenicCarbonContent"] == "0"
    assert pcf["exemptedEmissionsPercent"] == "2.79"
    # packaging: the BOM's 60 kg carton per MWh times the shipped cardboard dataset
    carton = next(row for row in BOM if row[0] == "packaging")
    expected = carton[2] * shipped_datasets()["cardboard"].kgco2e_per_unit
    assert pcf["packagingEmissionsIncluded"] is True
    assert float(pcf["packagingGhgEmissions"]) == pytest.approx(expected, rel=1e-12)
    assert "dqi" not in pcf  # the demo scores its meters only
    assert "88.2 % of the footprint illustrative" in document["comment"]
    assert document["productIds"] == [
        "urn:pact:lingtan-demo.example:product-id:LFP-PRISMATIC-280AH"
    ]


def test_the_host_serves_it_and_a_new_publication_deprecates_the_old(store):
    url, study = store
    run(url, "pact", "publish-study", str(study))
    second = run(url, "pact", "publish-study", str(study)).stdout
    first, latest = published(url)
    assert first["status"] == "Deprecated" and latest["status"] == "Active"
    assert latest["precedingPfIds"] == [first["id"]]
    assert f"{first['id']} deprecated" in second
    engine = make_engine(url)
    with session_scope(engine) as session:
        owner = service.organization_named(session, None)
        client_id, secret, _ = service.create_client(session, owner, name="buyer", actor="t")
    engine.dispose()
    app = create_app(url)
    http = TestClient(app, base_url="https://testserver")
    token = http.post(
        "/auth/token", auth=(client_id, secret), data={"grant_type": "client_credentials"}
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    served = http.get("/3/footprints", headers=headers, params={"status": "Active"}).json()
    assert [d["id"] for d in served["data"]] == [latest["id"]]
    one = http.get(f"/3/footprints/{latest['id']}", headers=headers).json()["data"]
    assert one["pcf"]["pcfExcludingBiogenicUptake"] == latest["pcf"]["pcfExcludingBiogenicUptake"]
    app.state.engine.dispose()


def test_the_demo_exempted_share_is_the_direct_emissions_the_study_leaves_out(store, tmp_path):
    """exempted_emissions_pct 2.79 of the demo study: its result with the plant's other
    inventory sources in (``facility_energy.sources: rest``) against without."""
    url, study = store
    text = study.read_text(encoding="utf-8")
    assert "  sources: none\n" in text
    rest = tmp_path / "rest.yaml"
    rest.write_text(text.replace("  sources: none\n", "  sources: rest\n"), encoding="utf-8")
    without, with_them = calc(url, study), calc(url, rest)
    a, b = without["kgco2e_per_declared_unit"], with_them["kgco2e_per_declared_unit"]
    assert round(100 * (b - a) / b, 2) == read_study_file(study).pact.exempted_emissions_pct


def test_dqi_is_the_emission_weighted_pedigree_where_every_kind_is_scored(store, tmp_path):
    url, study = store
    text = study.read_text(encoding="utf-8")
    scores = (
        "data_quality:\n"
        "  dataset: {reliability: 4, completeness: 3, temporal: 2, geographical: 3, technological: 4}\n"
        "  transport: {reliability: 4, completeness: 4, temporal: 5, geographical: 5, technological: 3}\n"
    )
    scored = tmp_path / "scored.yaml"
    scored.write_text(re.sub(r"data_quality:\n  meter: .*\n", scores, text), encoding="utf-8")
    engine = make_engine(url)
    with session_scope(engine) as session:
        found = study_footprint(session, read_study_file(scored))
    engine.dispose()
    rows = found.result.by_process()
    # by hand: freight processes score (tech 3, geo 5, temporal 5), all others are datasets
    # (4, 3, 2); the product process emits nothing itself
    freight = sum(abs(r["kgco2e"]) for r in rows if r["process"].startswith("transport:"))
    others = sum(abs(r["kgco2e"]) for r in rows if not r["process"].startswith("transport:"))
    expected = tuple(
        (freight * f + others * o) / (freight + others) for f, o in ((3, 4), (5, 3), (5, 2))
    )
    assert found.dqi() == pytest.approx(expected, rel=1e-12)
    run(url, "pact", "publish-study", str(scored))
    [document] = published(url)
    dqi = document["pcf"]["dqi"]
    got = tuple(float(dqi[k]) for k in ("technologicalDQR", "geographicalDQR", "temporalDQR"))
    assert got == pytest.approx(expected, rel=1e-12)


def test_a_study_without_what_pact_needs_is_refused_naming_each_field(store, tmp_path):
    url, study = store
    text = study.read_text(encoding="utf-8")
    bare = tmp_path / "bare.yaml"
    bare.write_text(text[: text.index("pact:")], encoding="utf-8")
    result = run(url, "pact", "publish-study", str(bare), code=2)
    for field in ("product_ids", "company_ids", "product_name", "mass_per_declared_unit_kg",
                  "carbon_content_kgc", "exempted_emissions_pct"):  # fmt: skip
        assert f"pact.{field}" in result.stderr, field
    assert "bare.yaml" in result.stderr and "is required to publish over PACT" in result.stderr
    assert published(url) == []
    # a unit PACT has none for (a length) and no pact.declared_unit: unit.unit is named
    engine = make_engine(url)
    with session_scope(engine) as session:
        found = study_footprint(session, read_study_file(study))
        metres = replace(found, study=replace(found.study, unit="m"))
        with pytest.raises(InputError) as refused:
            study_figures(metres, facility_by_code(session, None))
    engine.dispose()
    assert [(p.field, p.value) for p in refused.value.problems] == [("unit.unit", "m")]


BASE = """
product: cells
unit: {kind: declared, quantity: 1, unit: MWh}
boundary: cradle_to_gate
period: {start: 2025-01-01, end: 2025-12-31}
cut_off: {rule: none}
allocation: {key: units}
electricity: {method: location}
gwp: AR5
lines: [{node: electrode, products: [cells]}]
"""


@pytest.mark.parametrize(
    ("pact_section", "field", "value"),
    [
        ("product_ids: [LFP-280]", "pact.product_ids", "LFP-280"),
        ("company_ids: urn:x:y", "pact.company_ids", "urn:x:y"),
        ("declared_unit: piece", "pact.declared_unit_amount", None),
        ("declared_unit: pieces\n  declared_unit_amount: 1", "pact.declared_unit", "pieces"),
        ("declared_unit_amount: 0\n  declared_unit: piece", "pact.declared_unit_amount", 0),
        ("mass_per_declared_unit_kg: -5", "pact.mass_per_declared_unit_kg", -5),
        (
            "carbon_content_kgc: 10\n  biogenic_carbon_content_kgc: 12",
            "pact.biogenic_carbon_content_kgc",
            12.0,
        ),
        ("exempted_emissions_pct: 120", "pact.exempted_emissions_pct", 120.0),
        ("product_name: x\n  colour: red", "pact.colour", "red"),
    ],
)
def test_the_pact_section_is_checked_field_by_field(pact_section, field, value):
    with pytest.raises(InputError) as refused:
        read_study_text(f"{BASE}pact:\n  {pact_section}\n", "s.yaml")
    [problem] = refused.value.problems
    assert (problem.field, problem.value) == (field, value)


def test_the_pact_section_is_read():
    study = read_study_text(
        BASE + "pact:\n  product_ids: ['urn:gtin:4006381333931']\n  declared_unit: piece\n"
        "  declared_unit_amount: 350\n  mass_per_declared_unit_kg: 5.4\n",
        "s.yaml",
    )
    assert study.pact.product_ids == ("urn:gtin:4006381333931",)
    assert study.pact_declared_unit() == ("piece", 350.0)
    assert read_study_text(BASE, "s.yaml").pact_declared_unit() == ("kilowatt hour", 1000.0)
