"""Background data from a Brightway export (bw2data's nodes and edges as plain JSON).

The export below is written by hand in bw2data's shape: the same small background as the
JSON-LD tests (steel from electricity and coal, a loop, iron ore without a provider), so the
two importers must give the same product system; bw2calc, solving the file's own matrices,
must give the footprint lingtan's system gives.
"""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import numpy as np
import pytest

from lingtan.errors import InputError
from lingtan.footprint.brightway import read_brightway_json, read_brightway_text
from lingtan.footprint.model import Uncertainty

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "footprint"
CO2 = {
    "database": "biosphere3",
    "code": "co2",
    "name": "Carbon dioxide, fossil",
    "unit": "kilogram",
    "type": "emission",
    "categories": ["air"],
    "CAS number": "000124-38-9",
}
CH4 = {
    "database": "biosphere3",
    "code": "ch4",
    "name": "Methane, non-fossil",
    "unit": "kilogram",
    "type": "emission",
    "categories": ["air"],
    "CAS number": "000074-82-8",
}
AIR = {
    "database": "biosphere3",
    "code": "co2-air",
    "name": "Carbon dioxide, in air",
    "unit": "kilogram",
    "type": "natural resource",
    "categories": ["natural resource", "in air"],
    "CAS number": "000124-38-9",
}
SO2 = {
    "database": "biosphere3",
    "code": "so2",
    "name": "Sulfur dioxide",
    "unit": "kilogram",
    "type": "emission",
    "categories": ["air"],
    "CAS number": "007446-09-5",
}


def node(code, name, unit, exchanges, production=1.0):
    edges = [{"input": ["bg", code], "amount": production, "type": "production"}]
    return {
        "database": "bg",
        "code": code,
        "name": name,
        "unit": unit,
        "location": "GLO",
        "type": "process",
        "exchanges": edges + exchanges,
    }


def export():
    return [
        node(
            "steel",
            "steel production",
            "kilogram",
            [
                {
                    "input": ["bg", "power"],
                    "amount": 2,
                    "unit": "kilowatt_hour",
                    "type": "technosphere",
                },
                {"input": ["bg", "coal"], "amount": 0.5, "type": "technosphere"},
                {"input": ["bg", "ore"], "amount": 1.5, "type": "technosphere", "name": "iron ore"},
                {
                    "input": ["biosphere3", "co2"],
                    "amount": 1.8,
                    "type": "biosphere",
                    "uncertainty type": 2,
                    "loc": math.log(1.8),
                    "scale": math.log(1.5),
                },
                {"input": ["biosphere3", "so2"], "amount": 0.01, "type": "biosphere"},
            ],
        ),
        node(
            "power",
            "electricity production",
            "megajoule",
            [
                {"input": ["bg", "coal"], "amount": 0.1, "type": "technosphere"},
                {"input": ["bg", "power"], "amount": 0.05, "type": "technosphere"},
                {
                    "input": ["biosphere3", "ch4"],
                    "amount": 0.001,
                    "type": "biosphere",
                    "uncertainty type": 3,
                    "loc": 0.001,
                    "scale": 0.0002,
                },
            ],
        ),
        node(
            "coal",
            "coal mining",
            "kilogram",
            [
                {"input": ["bg", "power"], "amount": 0.2, "type": "technosphere"},
                {
                    "input": ["biosphere3", "co2-air"],
                    "amount": 0.02,
                    "type": "biosphere",
                    "uncertainty type": 5,
                    "loc": 0.02,
                    "minimum": 0.01,
                    "maximum": 0.03,
                },
            ],
        ),
        CO2,
        CH4,
        AIR,
        SO2,
    ]


def read(nodes, name="bg.json"):
    return read_brightway_text(json.dumps(nodes), origin=name)


def test_a_brightway_export_is_read_with_its_links_units_and_gases(tmp_path):
    path = tmp_path / "bg.json"
    path.write_text(json.dumps({"nodes": export()}), encoding="utf-8")
    imported = read_brightway_json(path)
    processes = {p.code: p for p in imported.system.processes}
    steel = {(e.flow, e.biosphere): e for e in processes["steel"].exchanges}
    # 2 kWh of the MJ-provider: 7.2 MJ; the ore has no node: cut off; SO2 has no GWP
    assert steel[("power", False)].amount == pytest.approx(7.2)
    assert steel[("power", False)].unit == "megajoule"
    assert steel[("coal", False)].amount == 0.5
    assert steel[("ghg-fossil", True)].amount == pytest.approx(1.8)
    assert steel[("ghg-fossil", True)].uncertainty == Uncertainty(
        "lognormal", sigma=pytest.approx(math.log(1.5))
    )
    assert len(steel) == 3
    power = {(e.flow, e.biosphere): e for e in processes["power"].exchanges}
    assert power[("ghg-biogenic", True)].amount == pytest.approx(0.027)  # AR6 non-fossil 27.0
    assert power[("ghg-biogenic", True)].uncertainty.sigma == pytest.approx(0.0054)
    coal = {(e.flow, e.biosphere): e for e in processes["coal"].exchanges}
    uptake = coal[("ghg-biogenic", True)]
    assert uptake.amount == pytest.approx(-0.02)
    assert (uptake.uncertainty.minimum, uptake.uncertainty.maximum) == (
        pytest.approx(-0.03),
        pytest.approx(-0.01),
    )
    report = imported.report
    assert [(u.process, u.flow_name, u.amount) for u in report.unlinked] == [
        ("steel", "iron ore", 1.5)
    ]
    assert [(c.unit, c.to_unit, c.factor) for c in report.conversions] == [
        ("kilowatt_hour", "megajoule", pytest.approx(3.6))
    ]
    assert [(u.name, u.exchanges) for u in report.uncharacterised] == [("Sulfur dioxide", 1)]


def test_a_waste_treatment_with_negative_production_keeps_its_scaling():
    nodes = export()
    # ecoinvent's convention: the treatment makes -1 kg, the producer's waste is -0.3 kg
    nodes.insert(
        0,
        node(
            "landfill",
            "landfill of slag",
            "kilogram",
            [{"input": ["biosphere3", "co2"], "amount": 0.01, "type": "biosphere"}],
            production=-1,
        ),
    )
    nodes[1]["exchanges"].append(
        {"input": ["bg", "landfill"], "amount": -0.3, "type": "technosphere"}
    )
    processes = {p.code: p for p in read(nodes).system.processes}
    assert processes["landfill"].production == 1.0
    waste = next(e for e in processes["steel"].exchanges if e.flow == "landfill")
    assert waste.amount == pytest.approx(0.3)  # 0.3 kg treated: A s = f gives s = 0.3


def footprint(system):
    """kg CO2e per unit of each process, solving A s = e_j (dense: the test's own solve)."""
    codes = [p.code for p in system.processes]
    index = {code: i for i, code in enumerate(codes)}
    a = np.zeros((len(codes), len(codes)))
    b = np.zeros(len(codes))
    for j, process in enumerate(system.processes):
        a[j, j] += process.production
        for e in process.exchanges:
            if e.biosphere:
                b[j] += e.amount
            else:
                a[index[e.flow], j] -= e.amount
    return dict(zip(codes, b @ np.linalg.inv(a), strict=True))


def test_bw2calc_on_the_files_matrices_gives_the_same_footprint():
    bw2calc = pytest.importorskip("bw2calc")
    bwp = pytest.importorskip("bw_processing")
    nodes = [n for n in export() if n.get("type") == "process"]
    mine = footprint(read(export()).system)
    # the file's own matrices, Brightway's way: production on the diagonal, inputs flipped,
    # the ore (no node) left out as lingtan cuts it off; CFs of AR6 by the flows' gases
    ids = {n["code"]: i for i, n in enumerate(nodes, start=1)}
    flows = {"co2": (100, 1.0), "ch4": (101, 27.0), "co2-air": (102, -1.0)}
    tech, bio = [], []
    for n in nodes:
        for e in n["exchanges"]:
            code = e["input"][1]
            if e["type"] == "production":
                tech.append((ids[code], ids[n["code"]], e["amount"], False))
            elif e["type"] == "technosphere" and code in ids:
                amount = e["amount"] * (3.6 if e.get("unit") == "kilowatt_hour" else 1)
                tech.append((ids[code], ids[n["code"]], amount, True))
            elif e["type"] == "biosphere" and code in flows:
                bio.append((flows[code][0], ids[n["code"]], e["amount"]))
    dp = bwp.create_datapackage()
    dp.add_persistent_vector(
        matrix="technosphere_matrix",
        indices_array=np.array([(r, c) for r, c, _, _ in tech], dtype=bwp.INDICES_DTYPE),
        data_array=np.array([v for _, _, v, _ in tech]),
        flip_array=np.array([f for _, _, _, f in tech]),
    )
    dp.add_persistent_vector(
        matrix="biosphere_matrix",
        indices_array=np.array([(r, c) for r, c, _ in bio], dtype=bwp.INDICES_DTYPE),
        data_array=np.array([v for _, _, v in bio]),
    )
    dp.add_persistent_vector(
        matrix="characterization_matrix",
        indices_array=np.array([(i, i) for i, _ in flows.values()], dtype=bwp.INDICES_DTYPE),
        data_array=np.array([cf for _, cf in flows.values()]),
    )
    for code, number in ids.items():
        lca = bw2calc.LCA({number: 1}, data_objs=[dp])
        lca.lci()
        lca.lcia()
        assert mine[code] == pytest.approx(lca.score, rel=1e-9), code


# -- bad input ----------------------------------------------------------------------------


def problems(nodes, name="bg.json"):
    with pytest.raises(InputError) as caught:
        read(nodes, name)
    return caught.value.problems


def test_malformed_exports_are_refused_naming_node_field_and_value(tmp_path):
    with pytest.raises(InputError, match="is not valid JSON"):
        read_brightway_text("[{", origin="bg.json")
    with pytest.raises(InputError, match="non-empty list of nodes"):
        read_brightway_text("{}", origin="bg.json")
    nodes = copy.deepcopy(export())
    nodes[0]["exchanges"][1]["amount"] = "two"
    nodes[1]["exchanges"][1]["input"] = "coal"
    nodes[2]["exchanges"][1]["uncertainty type"] = 9
    nodes[2]["exchanges"].append({"input": ["bg", "x"], "amount": 1, "type": "generic"})
    del nodes[3]["unit"]
    found = {(p.where, p.field, repr(p.value)) for p in problems(nodes)}
    assert found == {
        ("bg.json node bg/steel", "exchanges[1].amount", "'two'"),
        ("bg.json node bg/power", "exchanges[1].input", "'coal'"),
        ("bg.json node bg/coal", "exchanges[1].uncertainty type", "9"),
        ("bg.json node bg/coal", "exchanges[3].type", "'generic'"),
        ("bg.json node 3", "unit", "None"),
    }


def test_an_input_in_a_unit_of_another_kind_is_refused():
    nodes = export()
    nodes[0]["exchanges"][1]["unit"] = "kilogram"  # electricity given in kg
    (problem,) = problems(nodes)
    assert (problem.where, problem.field, problem.value) == (
        "bg.json node bg/steel",
        "exchanges[1].unit",
        "kilogram",
    )


def test_two_production_exchanges_are_refused():
    nodes = export()
    nodes[0]["exchanges"].append({"input": ["bg", "coal"], "amount": 1, "type": "production"})
    (problem,) = problems(nodes)
    assert problem.field == "exchanges.production"


def test_the_command_reads_the_illustrative_export_as_the_zip_gives_it():
    from click.testing import CliRunner

    from lingtan.cli.main import main

    runner = CliRunner()
    rows = {}
    for command, path in (
        ("import-brightway", "background-illustrative-brightway.json"),
        ("import-jsonld", "background-illustrative.zip"),
    ):
        done = runner.invoke(main, ["footprint", command, str(EXAMPLES / path), "--format", "json"])
        assert done.exit_code == 0, done.output
        rows[command] = sorted(
            (row["name"], round(row["direct_kg_co2e"], 12), row["inputs"], row["unlinked"])
            for row in json.loads(done.stdout)["processes"]
        )
    assert rows["import-brightway"] == rows["import-jsonld"]
    assert ("coal mining, illustrative", 0.128, 1, 0) in rows["import-jsonld"]
    bad = runner.invoke(
        main, ["footprint", "import-brightway", str(EXAMPLES / "background-illustrative.py")]
    )
    assert bad.exit_code == 2 and "is not valid JSON" in bad.stderr
