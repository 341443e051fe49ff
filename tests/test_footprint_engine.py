"""The footprint engine: a hand-worked system, bw2calc on the same matrices (scores to 1e-9,
contributions, Monte Carlo statistically), contributions, Sankey, allocation sensitivity and
the refusals of bad product systems."""

import math
import warnings

import numpy as np
import pytest

from lingtan.errors import InputError
from lingtan.footprint.datapackage import PROCESS_ID, datapackage, demand_ids
from lingtan.footprint.engine import Footprint, allocation_sensitivity, calculate
from lingtan.footprint.matrices import Method, build_matrices
from lingtan.footprint.model import Exchange, Flow, Process, ProductSystem, Uncertainty
from lingtan.footprint.synthetic import BACKGROUND_FLOWS, generated_background
from lingtan.footprint.uncertainty import monte_carlo, pedigree_sigma

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # bw2calc warns when no fast sparse solver is installed
    import bw2calc

FLOWS = (
    Flow("co2", "CO2", "kg"),
    Flow("ch4", "CH4", "kg"),
    Flow("co2-bio", "CO2", "kg", kind="biogenic"),
)


def bio(flow, amount, unit="kg", uncertainty=None):
    return Exchange(flow, amount, unit, biosphere=True, uncertainty=uncertainty)


def hand_system(loop=0.05, steel_unit="g", steel_amount=500.0):
    """Electricity (0.8 kg CO2/kWh, takes ``loop`` kg steel), steel (2 kWh and 1.5 kg CO2 per
    kg) and a part (0.5 kg steel, 1 kWh, 0.1 kg CH4 and 0.2 kg biogenic CO2 per piece)."""
    return ProductSystem(
        processes=(
            Process(
                "power", "electricity", "kWh",
                (Exchange("steel", loop, "kg"), bio("co2", 0.8)), stage="raw_materials",
            ),
            Process(
                "steel", "steel", "kg",
                (Exchange("power", 2.0, "kWh"), bio("co2", 1.5)), stage="raw_materials",
            ),
            Process(
                "part", "part", "piece",
                (Exchange("steel", steel_amount, steel_unit), Exchange("power", 1.0, "kWh"),
                 bio("ch4", 0.1), bio("co2-bio", 0.2)),
                foreground=True,
            ),
        ),
        flows=FLOWS,
        name="hand-worked",
    )  # fmt: skip


def test_hand_worked_three_processes_with_a_loop():
    """By hand: s_steel = 0.5 + 0.05 s_power and s_power = 1 + 2 s_steel, so s_power = 20/9
    kWh and s_steel = 11/18 kg; the score (AR5, CH4 28) is 11/18 × 1.5 + 20/9 × 0.8 + 0.1 × 28
    + 0.2 = 989/180 + 0.2 kg CO2e, of which 0.2 biogenic."""
    result = calculate(hand_system(), {"part": 1.0})
    supply = dict(zip(result.footprint.matrices.processes, result.supply, strict=True))
    assert supply["power"] == pytest.approx(20 / 9, rel=1e-12)
    assert supply["steel"] == pytest.approx(11 / 18, rel=1e-12)
    assert supply["part"] == pytest.approx(1.0, rel=1e-12)
    assert result.score_kgco2e == pytest.approx(989 / 180 + 0.2, rel=1e-12)
    kinds = result.by_kind_kgco2e
    assert kinds["biogenic"] == pytest.approx(0.2, rel=1e-12)
    assert kinds["fossil"] == pytest.approx(989 / 180, rel=1e-12)
    assert kinds["dluc"] == kinds["aircraft"] == 0
    assert result.by_stage() == pytest.approx(
        {"raw_materials": 11 / 18 * 1.5 + 20 / 9 * 0.8, "production": 3.0}
    )
    inventory = dict(zip(result.footprint.matrices.flows, result.inventory, strict=True))
    assert inventory["co2"] == pytest.approx(11 / 18 * 1.5 + 20 / 9 * 0.8)
    # AR6: fossil methane 29.8 (Table 7.15)
    ar6 = calculate(hand_system(), {"part": 1.0}, method="AR6")
    assert ar6.score_kgco2e == pytest.approx(989 / 180 - 2.8 + 2.98 + 0.2, rel=1e-12)


def test_materials_add_up_to_the_score_with_the_loop():
    """The part's steel brings 0.5 kg × m_steel and its electricity 1 kWh × m_power, with
    m_power = (0.8 + 0.05 × 1.5) / (1 − 0.05 × 2) = 0.875 / 0.9 and m_steel = 1.5 + 2 m_power."""
    result = calculate(hand_system(), {"part": 2.0})
    rows = {row["material"]: row for row in result.by_material()}
    m_power = 0.875 / 0.9
    m_steel = 1.5 + 2 * m_power
    assert rows["steel"]["amount"] == pytest.approx(1.0)
    assert rows["steel"]["kgco2e"] == pytest.approx(2 * 0.5 * m_steel)
    assert rows["power"]["kgco2e"] == pytest.approx(2 * 1.0 * m_power)
    assert rows[None]["kgco2e"] == pytest.approx(2 * 3.0)  # the part's own emissions
    assert sum(row["kgco2e"] for row in rows.values()) == pytest.approx(result.score_kgco2e)
    assert sum(row["share"] for row in rows.values()) == pytest.approx(1.0)


def test_hotspots_and_sankey():
    result = calculate(hand_system(), {"part": 1.0})
    hot = result.hotspots(top=2)
    assert [row["process"] for row in hot["hotspots"]] == ["part", "power"]
    assert hot["rest_kgco2e"] == pytest.approx(11 / 18 * 1.5)
    graph = result.sankey(cutoff=0.0, max_nodes=30)
    nodes, links = graph["nodes"], graph["links"]
    assert nodes[0]["process"] == "part" and nodes[0]["kgco2e"] == pytest.approx(
        result.score_kgco2e
    )
    assert len(nodes) == 30 and len(links) == 29  # the loop unrolls until max_nodes
    for link in links:  # a node's own emissions and its suppliers make its footprint
        assert nodes[link["source"]]["kgco2e"] == pytest.approx(link["kgco2e"])
    first = [link for link in links if link["target"] == 0]
    assert sum(link["kgco2e"] for link in first) + nodes[0]["direct_kgco2e"] == pytest.approx(
        result.score_kgco2e
    )
    cut = result.sankey(cutoff=0.2)
    assert all(abs(node["kgco2e"]) >= 0.2 * result.score_kgco2e for node in cut["nodes"])


def test_allocation_sensitivity_reports_the_spread():
    """Steel in the part by mass (500 g) or by an economic key (300 g): the score differs by
    0.2 kg × m_steel."""
    report = allocation_sensitivity(
        {"mass": hand_system(), "economic": hand_system(steel_amount=300.0)}, {"part": 1.0}
    )
    m_steel = 1.5 + 2 * 0.875 / 0.9
    assert report.spread_kgco2e == pytest.approx(0.2 * m_steel)
    assert report.reference == "mass"
    assert report.relative_spread == pytest.approx(0.2 * m_steel / (989 / 180 + 0.2))
    assert report.as_dict()["maximum_kgco2e"] == pytest.approx(989 / 180 + 0.2)


def foreground_and_background():
    """A cell factory (foreground: cell, electrode, formation, recycling loop of scrap back to
    the electrode, a site utility) on a generated background of 300 activities."""
    background = generated_background(300, seed=7)
    codes = [p.code for p in background.processes]
    lognormal = Uncertainty("lognormal", sigma=0.1)
    foreground = (
        Process("cell", "LFP cell", "piece", (
            Exchange("electrode", 0.4, "kg", uncertainty=lognormal),
            Exchange("formation", 1.0, "piece"),
            Exchange(codes[-1], 0.05, background.processes[-1].unit),
            bio("co2-fossil", 0.01)), foreground=True),
        Process("electrode", "electrode", "kg", (
            Exchange(codes[-2], 1.1, background.processes[-2].unit, uncertainty=lognormal),
            Exchange("utility", 3.0, "kWh", uncertainty=Uncertainty("normal", sigma=0.3)),
            Exchange("recycling", 0.1, "kg")), foreground=True),
        Process("recycling", "scrap recycling", "kg", (
            Exchange("electrode", 0.05, "kg"),
            Exchange("utility", 0.5, "kWh", uncertainty=Uncertainty("uniform", minimum=0.4, maximum=0.6))),
            foreground=True, stage="end_of_life"),
        Process("formation", "formation and ageing", "piece", (
            Exchange("utility", 0.02, "MWh", uncertainty=Uncertainty("triangular", minimum=0.015, maximum=0.03)),),
            foreground=True),
        Process("utility", "site electricity", "kWh", (
            Exchange(codes[5], 1.0, background.processes[5].unit),
            Exchange(codes[3], 0.02, background.processes[3].unit)), foreground=True),
    )  # fmt: skip
    return ProductSystem(
        foreground + background.processes, BACKGROUND_FLOWS, name="cell on generated background"
    )


@pytest.fixture(scope="module")
def cell():
    footprint = Footprint(foreground_and_background())
    return footprint, datapackage(footprint)


def bw_lca(footprint, package, demand, **options):
    lca = bw2calc.LCA(demand_ids(footprint, demand), data_objs=[package], **options)
    lca.lci()
    lca.lcia()
    return lca


@pytest.mark.parametrize(
    "demand", [{"cell": 1.0}, {"electrode": 2.5, "formation": 3.0}, {"bg-00150": 1.0}]
)
def test_bw2calc_gives_the_same_scores_and_contributions(cell, demand):
    footprint, package = cell
    ours = footprint.calculate(demand)
    lca = bw_lca(footprint, package, demand)
    assert ours.score_kgco2e == pytest.approx(lca.score, rel=1e-9)
    columns = [lca.dicts.activity[PROCESS_ID + i] for i in range(len(footprint.matrices.processes))]
    assert np.allclose(
        ours.supply, lca.supply_array[columns], rtol=1e-9, atol=1e-12 * ours.supply.max()
    )
    by_process = np.asarray(lca.characterized_inventory.sum(axis=0)).ravel()[columns]
    assert np.allclose(ours.contributions, by_process, rtol=1e-9, atol=1e-12 * abs(lca.score))
    kinds = ours.by_kind_kgco2e
    assert sum(kinds.values()) == pytest.approx(lca.score, rel=1e-9)
    assert all(kinds[k] > 0 for k in ("fossil", "biogenic", "dluc", "aircraft"))


def test_monte_carlo_agrees_with_bw2calc_statistically(cell):
    """2,000 draws each (different generators): the means within 4 standard errors of their
    difference, the standard deviations within 10 %, the 2.5 and 97.5 percentiles within 6 %
    (a tail percentile of 2,000 draws is itself uncertain by a few per cent)."""
    footprint, package = cell
    demand = {"cell": 1.0}
    draws = 2000
    ours = monte_carlo(footprint, demand, iterations=draws, seed=11)
    lca = bw_lca(footprint, package, demand, use_distributions=True, seed_override=12)
    theirs = np.empty(draws)
    for i in range(draws):
        next(lca)
        theirs[i] = lca.score
    stats = ours.statistics()
    error = math.hypot(stats["sd"], theirs.std(ddof=1)) / math.sqrt(draws)
    assert abs(stats["mean"] - theirs.mean()) < 4 * error
    assert stats["sd"] == pytest.approx(theirs.std(ddof=1), rel=0.10)
    low, high = np.percentile(theirs, [2.5, 97.5])
    assert stats["p2_5"] == pytest.approx(low, rel=0.06)
    assert stats["p97_5"] == pytest.approx(high, rel=0.06)
    assert stats["sd"] > 0.01 * stats["mean"]  # the draws do vary
    static = footprint.calculate(demand).score_kgco2e
    assert stats["p2_5"] < static < stats["p97_5"]


def test_monte_carlo_is_seeded_and_keeps_the_static_result(cell):
    footprint, _ = cell
    before = footprint.calculate({"cell": 1.0}).score_kgco2e
    first = monte_carlo(footprint, {"cell": 1.0}, iterations=20, seed=3)
    again = monte_carlo(footprint, {"cell": 1.0}, iterations=20, seed=3)
    assert np.array_equal(first.scores_kgco2e, again.scores_kgco2e)
    assert footprint.calculate({"cell": 1.0}).score_kgco2e == before
    assert first.as_dict()["kgco2e"]["mean"] == pytest.approx(first.scores_kgco2e.mean())
    certain = monte_carlo(Footprint(hand_system()), {"part": 1.0}, iterations=5)
    assert np.allclose(certain.scores_kgco2e, 989 / 180 + 0.2, rtol=1e-12)


def test_pedigree_sigma():
    """ecoinvent v2 convention: GSD² = exp(√Σ ln²U); basic 1.05 with factors 1.1 and 1.2:
    √(0.048790² + 0.095310² + 0.182322²) / 2 = 0.105719. ecoinvent v3: √(0.0006 + 0.002)."""
    assert pedigree_sigma(1.05, [1.0, 1.0, 1.1, 1.0, 1.2]) == pytest.approx(0.105719, abs=1e-6)
    assert pedigree_sigma(0.0006, [0.002], convention="variance") == pytest.approx(
        math.sqrt(0.0026)
    )
    with pytest.raises(InputError, match="1 or more"):
        pedigree_sigma(1.05, [0.9])
    with pytest.raises(InputError, match="gsd2 or variance"):
        pedigree_sigma(1.05, [1.1], convention="other")


def test_a_unit_is_converted_or_refused():
    grams = calculate(hand_system(steel_unit="g", steel_amount=500), {"part": 1}).score_kgco2e
    kilograms = calculate(hand_system(steel_unit="kg", steel_amount=0.5), {"part": 1}).score_kgco2e
    assert grams == pytest.approx(kilograms, rel=1e-12)
    with pytest.raises(InputError) as error:
        build_matrices(hand_system(steel_unit="kWh", steel_amount=0.5))
    problem = error.value.problems[0]
    assert (problem.where, problem.field, problem.value) == (
        "process part",
        "exchanges[0].unit",
        "kWh",
    )
    assert "'kg', the unit of steel" in problem.rule


def test_bad_product_systems_are_refused_with_every_problem():
    system = ProductSystem(
        processes=(
            Process("a", "a", "kg", (Exchange("nowhere", 1.0, "kg"), bio("n2o", 1.0))),
            Process("b", "b", "kg", (Exchange("a", math.inf, "kg"),), production=0.0),
            Process("c", "c", "kg", (Exchange("a", 1.0, "kg", uncertainty=Uncertainty("lognormal")),)),
            Process("d", "d", "kg", (Exchange("a", 1.0, "kg", uncertainty=Uncertainty("weibull", sigma=1)),)),
        ),
        flows=FLOWS,
        name="bad",
    )  # fmt: skip
    with pytest.raises(InputError) as error:
        build_matrices(system)
    found = {(p.where, p.field) for p in error.value.problems}
    assert found == {
        ("process a", "exchanges[0].flow"),
        ("process a", "exchanges[1].flow"),
        ("process b", "production"),
        ("process b", "exchanges[0].amount"),
        ("process c", "exchanges[0].uncertainty"),
        ("process d", "exchanges[0].uncertainty"),
    }
    assert str(error.value).startswith("bad: 6 problems in the input")


def test_a_loop_without_a_solution_is_named():
    """Power takes 0.5 kg steel per kWh and steel 2 kWh per kg: between them they take all
    they make (det [[1, -2], [-0.5, 1]] = 0)."""
    with pytest.raises(InputError) as error:
        Footprint(hand_system(loop=0.5))
    problem = error.value.problems[0]
    assert problem.value == "power, steel" or problem.value == "steel, power"
    assert "loop with no solution" in problem.rule
    lost = ProductSystem(
        (Process("grid", "grid", "kWh", (Exchange("grid", 1.0, "kWh"), bio("co2", 1.0))),), FLOWS
    )
    with pytest.raises(InputError, match="makes nothing net") as error:
        Footprint(lost)
    assert error.value.problems[0].value == "grid"


def test_bad_demands_and_methods_are_refused():
    footprint = Footprint(hand_system())
    with pytest.raises(InputError) as error:
        footprint.calculate({"wheel": 1.0, "part": math.nan})
    assert [(p.field, p.rule) for p in error.value.problems] == [
        ("wheel", "names no process of the product system"),
        ("part", "must be a finite number not beyond 1000000000000000.0"),
    ]
    with pytest.raises(InputError, match="is empty"):
        footprint.calculate({})
    with pytest.raises(InputError, match="must be one of SAR, AR4, AR5, AR6"):
        Footprint(hand_system(), method="AR7")
    odd = ProductSystem(hand_system().processes, (*FLOWS[:2], Flow("co2-bio", "steam", "kg")))
    with pytest.raises(InputError, match="names no gas of the GWP set ipcc-ar5"):
        Footprint(odd)
    with pytest.raises(InputError, match="has no factor in method own"):
        Footprint(hand_system(), method=Method("own", {"co2": 1.0}, {}))


def test_a_supplier_footprint_in_kgco2e_needs_no_gwp():
    system = ProductSystem(
        (Process("cell", "cell", "piece", (bio("pact", 2.0, unit="tCO2e"),)),),
        (Flow("pact", "supplier footprint", "kgCO2e"),),
    )
    assert calculate(system, {"cell": 1.0}).score_kgco2e == pytest.approx(2000.0)


def test_a_large_loop_block_is_factorised_as_bw2calc_does(monkeypatch, cell):
    """Above LARGE_BLOCK processes in one loop the solver takes SuperLU's COLAMD order of Aᵀ
    instead of the block-triangular one: the same numbers, the same refusals."""
    footprint, _ = cell
    expected = footprint.calculate({"cell": 1.0})
    monkeypatch.setattr("lingtan.footprint.solver.LARGE_BLOCK", 1)
    other = Footprint(foreground_and_background())
    assert not other.factorisation.triangular and footprint.factorisation.triangular
    result = other.calculate({"cell": 1.0})
    assert result.score_kgco2e == pytest.approx(expected.score_kgco2e, rel=1e-12)
    assert np.allclose(other.intensity, footprint.intensity, rtol=1e-10)
    with pytest.raises(InputError, match="loop with no solution"):
        Footprint(hand_system(loop=0.5))


def test_the_worked_example_of_the_module_docstring_runs():
    import doctest

    import lingtan.footprint.engine

    outcome = doctest.testmod(lingtan.footprint.engine)
    assert outcome.attempted >= 3 and outcome.failed == 0


def test_gwp_of_other_gases_and_methane_by_kind():
    """AR6 Table 7.SM.7 / 7.15: HFC-134a 1530 (named R-134a), biogenic methane 27.0, fossil
    29.8; 2 g SF6 under AR5 (23,500) is 47 kg CO2e."""
    flows = (
        Flow("r134a", "R-134a", "kg"),
        Flow("ch4-bio", "CH4", "kg", kind="biogenic"),
        Flow("ch4-fossil", "CH4", "kg"),
        Flow("sf6", "SF6", "g"),
    )
    process = Process("p", "p", "kg", tuple(bio(f.code, 1.0, f.unit) for f in flows))
    system = ProductSystem((process,), flows)
    assert Footprint(system, method="AR6").method.factors == pytest.approx(
        {"r134a": 1530.0, "ch4-bio": 27.0, "ch4-fossil": 29.8, "sf6": 25.2}
    )
    ar5 = Footprint(system, method="AR5").method
    assert ar5.factors["sf6"] == pytest.approx(23.5)
    assert ar5.provenance["sf6"] == "ipcc-ar5@1:SF6.gwp100"


def test_results_are_json_ready_and_accept_numpy_amounts():
    import json

    result = calculate(hand_system(), {"part": np.int64(2)})
    assert result.score_kgco2e == pytest.approx(2 * (989 / 180 + 0.2))
    data = json.loads(json.dumps(result.as_dict()))
    assert data["score_kgco2e"] == pytest.approx(result.score_kgco2e)
    assert {row["flow"] for row in data["inventory"]} == {"co2", "ch4", "co2-bio"}
    assert data["by_kind_kgco2e"]["biogenic"] == pytest.approx(0.4)
    with pytest.raises(InputError, match="must be a finite number"):
        calculate(hand_system(), {"part": True})
