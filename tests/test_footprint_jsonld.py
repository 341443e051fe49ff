"""Background data from an openLCA JSON-LD zip and a study written as one (issue 15, part 4).

The zips are built here with olca-schema's own classes (a few invented processes with a loop,
g and kWh to convert, an input without a provider, each kind of uncertainty); no database is
copied. The expected figures are worked by hand below each test.
"""

from __future__ import annotations

import io
import json
import math
import zipfile

import olca_schema as olca
import pytest
from olca_schema import zipio

from lingtan.errors import InputError
from lingtan.footprint.jsonld import jsonld_bytes, read_jsonld, read_jsonld_bytes, write_jsonld
from lingtan.footprint.model import Exchange, Flow, Process, ProductSystem, Uncertainty

LOGNORMAL = olca.UncertaintyType.LOG_NORMAL_DISTRIBUTION
NORMAL = olca.UncertaintyType.NORMAL_DISTRIBUTION
UNIFORM = olca.UncertaintyType.UNIFORM_DISTRIBUTION
TRIANGLE = olca.UncertaintyType.TRIANGLE_DISTRIBUTION
AIR = "Elementary flows/Emission to air/unspecified"


class Sample:
    """The entities of a small background: steel from electricity and coal (which need each
    other: a loop), iron ore with no provider."""

    def __init__(self) -> None:
        kg = olca.Unit(id="u-kg", name="kg", conversion_factor=1.0, is_ref_unit=True)
        g = olca.Unit(id="u-g", name="g", conversion_factor=0.001, is_ref_unit=False)
        mj = olca.Unit(id="u-mj", name="MJ", conversion_factor=1.0, is_ref_unit=True)
        kwh = olca.Unit(id="u-kwh", name="kWh", conversion_factor=3.6, is_ref_unit=False)
        self.mass_units = olca.UnitGroup(id="ug-mass", name="Units of mass", units=[kg, g])
        self.energy_units = olca.UnitGroup(id="ug-energy", name="Units of energy", units=[mj, kwh])
        self.mass = olca.FlowProperty(
            id="fp-mass", name="Mass", unit_group=self.mass_units.to_ref()
        )
        self.energy = olca.FlowProperty(
            id="fp-energy", name="Energy", unit_group=self.energy_units.to_ref()
        )
        self.units = {"kg": kg, "g": g, "MJ": mj, "kWh": kwh}
        self.steel = self.product("f-steel", "steel", self.mass)
        self.power = self.product("f-power", "electricity", self.energy)
        self.coal = self.product("f-coal", "hard coal", self.mass)
        self.ore = self.product("f-ore", "iron ore", self.mass)
        self.co2 = self.elementary("e-co2", "Carbon dioxide, fossil", "124-38-9")
        self.ch4 = self.elementary("e-ch4", "Methane, biogenic", "74-82-8")
        self.dluc = self.elementary(
            "e-dluc", "Carbon dioxide, from soil or biomass stock", "124-38-9"
        )
        self.uptake = self.elementary(
            "e-air", "Carbon dioxide, in air", "124-38-9", "Elementary flows/Resource/in air"
        )
        self.so2 = self.elementary("e-so2", "Sulfur dioxide", "7446-09-5")
        self.processes = {
            "p-steel": self.process(
                "p-steel",
                "steel production",
                (self.steel, 1, "kg", False),
                [
                    (self.power, 2, "kWh", True, "p-power", None),
                    (self.coal, 500, "g", True, None, None),
                    (self.ore, 1.5, "kg", True, None, None),
                    (
                        self.co2,
                        1.8,
                        "kg",
                        False,
                        None,
                        olca.Uncertainty(distribution_type=LOGNORMAL, geom_mean=1.8, geom_sd=1.5),
                    ),
                    (self.so2, 0.01, "kg", False, None, None),
                ],
            ),
            "p-power": self.process(
                "p-power",
                "electricity production",
                (self.power, 1, "MJ", False),
                [
                    (self.coal, 0.1, "kg", True, "p-coal", None),
                    (self.power, 0.05, "MJ", True, "p-power", None),
                    (
                        self.ch4,
                        0.001,
                        "kg",
                        False,
                        None,
                        olca.Uncertainty(distribution_type=NORMAL, mean=0.001, sd=0.0002),
                    ),
                ],
            ),
            "p-coal": self.process(
                "p-coal",
                "coal mining",
                (self.coal, 1, "kg", False),
                [
                    (self.power, 0.2, "MJ", True, None, None),
                    (
                        self.dluc,
                        0.05,
                        "kg",
                        False,
                        None,
                        olca.Uncertainty(distribution_type=UNIFORM, minimum=0.04, maximum=0.06),
                    ),
                    (
                        self.uptake,
                        0.02,
                        "kg",
                        True,
                        None,
                        olca.Uncertainty(
                            distribution_type=TRIANGLE, minimum=0.01, mode=0.02, maximum=0.03
                        ),
                    ),
                ],
            ),
        }

    def product(self, flow_id, name, prop):
        factor = olca.FlowPropertyFactor(
            flow_property=prop.to_ref(), conversion_factor=1.0, is_ref_flow_property=True
        )
        return olca.Flow(
            id=flow_id, name=name, flow_type=olca.FlowType.PRODUCT_FLOW, flow_properties=[factor]
        )

    def elementary(self, flow_id, name, cas, category=AIR):
        flow = self.product(flow_id, name, self.mass)
        flow.flow_type, flow.cas, flow.category = olca.FlowType.ELEMENTARY_FLOW, cas, category
        return flow

    def process(self, process_id, name, reference, exchanges):
        process = olca.Process(id=process_id, name=name, process_type=olca.ProcessType.UNIT_PROCESS)
        flow, amount, unit, _ = reference
        ref = olca.new_output(process, flow, amount, self.units[unit])
        ref.is_quantitative_reference = True
        for flow, amount, unit, is_input, provider, uncertainty in exchanges:
            make = olca.new_input if is_input else olca.new_output
            exchange = make(process, flow, amount, self.units[unit])
            if provider is not None:
                exchange.default_provider = olca.Ref(id=provider, ref_type=olca.RefType.Process)
            exchange.uncertainty = uncertainty
        return process

    def entities(self):
        return [
            self.mass_units,
            self.energy_units,
            self.mass,
            self.energy,
            self.steel,
            self.power,
            self.coal,
            self.ore,
            self.co2,
            self.ch4,
            self.dluc,
            self.uptake,
            self.so2,
            *self.processes.values(),
        ]

    def zip(self, tmp_path, name="sample.zip"):
        path = tmp_path / name
        with zipio.ZipWriter(path) as writer:
            for entity in self.entities():
                writer.write(entity)
        return path


def exchanges_of(process):
    return {(e.flow, e.biosphere): e for e in process.exchanges}


def test_a_background_is_read_with_its_links_units_gases_and_uncertainty(tmp_path):
    imported = read_jsonld(Sample().zip(tmp_path))
    system, report = imported.system, imported.report
    processes = {p.code: p for p in system.processes}
    assert set(processes) == {"p-steel", "p-power", "p-coal"}
    steel = processes["p-steel"]
    assert (steel.unit, steel.production, steel.stage) == ("kg", 1.0, "raw_materials")
    found = exchanges_of(steel)
    # 2 kWh x 3.6 MJ/kWh = 7.2 MJ of the default provider; 500 g x 0.001 = 0.5 kg of coal,
    # linked to the one process making coal; the ore (no provider) is cut off
    assert found[("p-power", False)].amount == pytest.approx(7.2)
    assert found[("p-power", False)].unit == "MJ"
    assert found[("p-coal", False)].amount == pytest.approx(0.5)
    assert found[("p-coal", False)].unit == "kg"
    assert len(steel.exchanges) == 3  # power, coal, CO2 (SO2 has no GWP, ore is unlinked)
    co2 = found[("ghg-fossil", True)]
    assert (co2.amount, co2.unit) == (pytest.approx(1.8), "kg CO2e")
    assert co2.uncertainty == Uncertainty("lognormal", sigma=pytest.approx(math.log(1.5)))
    assert co2.sources[0].quantity == 1.8 and "124-38-9" not in co2.sources[0].note
    assert "GWP100 1" in co2.sources[0].note
    # biogenic methane: AR6 non-fossil CH4 GWP100 27.0; 0.001 kg -> 0.027 kg CO2e, sd x 27
    power = exchanges_of(processes["p-power"])
    ch4 = power[("ghg-biogenic", True)]
    assert ch4.amount == pytest.approx(0.027)
    assert ch4.uncertainty.distribution == "normal"
    assert ch4.uncertainty.sigma == pytest.approx(0.0054)
    assert power[("p-power", False)].amount == pytest.approx(0.05)  # its own product: a loop
    coal = exchanges_of(processes["p-coal"])
    dluc = coal[("ghg-dluc", True)]
    assert dluc.amount == pytest.approx(0.05)
    assert (dluc.uncertainty.minimum, dluc.uncertainty.maximum) == (
        pytest.approx(0.04),
        pytest.approx(0.06),
    )
    # CO2 taken from the air: an uptake, negative, its triangle's bounds swapped
    uptake = coal[("ghg-biogenic", True)]
    assert uptake.amount == pytest.approx(-0.02)
    assert uptake.uncertainty.distribution == "triangular"
    assert (uptake.uncertainty.minimum, uptake.uncertainty.maximum) == (
        pytest.approx(-0.03),
        pytest.approx(-0.01),
    )
    assert {f.code for f in system.flows} == {"ghg-fossil", "ghg-biogenic", "ghg-dluc"}
    # the report
    assert [(u.process, u.flow_name, u.amount, u.unit) for u in report.unlinked] == [
        ("p-steel", "iron ore", 1.5, "kg")
    ]
    assert "no process of the zip makes this product" in report.unlinked[0].reason
    assert {(c.unit, c.to_unit, c.factor) for c in report.conversions} == {
        ("kWh", "MJ", 3.6),
        ("g", "kg", 0.001),
    }
    assert [(u.name, u.exchanges) for u in report.uncharacterised] == [("Sulfur dioxide", 1)]
    assert report.gwp_set == "ipcc-ar6"
    assert report.entities["processes"] == 3


def test_another_gwp_set_counts_methane_by_its_values(tmp_path):
    system = read_jsonld(Sample().zip(tmp_path), gwp="ipcc-ar5").system
    power = next(p for p in system.processes if p.code == "p-power")
    # AR5 has one CH4 value, 28
    assert exchanges_of(power)[("ghg-biogenic", True)].amount == pytest.approx(0.028)


def test_an_avoided_product_is_a_negative_input_and_a_formula_keeps_its_stored_amount(tmp_path):
    sample = Sample()
    steel = sample.processes["p-steel"]
    avoided = olca.new_output(steel, sample.coal, 0.2, sample.units["kg"])
    avoided.is_avoided_product = True
    formula = next(e for e in steel.exchanges if e.flow.id == "f-ore")
    formula.amount_formula = "ore_per_kg * 1.5"
    imported = read_jsonld(sample.zip(tmp_path))
    made = next(p for p in imported.system.processes if p.code == "p-steel")
    found = [e for e in made.exchanges if e.flow == "p-coal"]
    assert sorted(e.amount for e in found) == [pytest.approx(-0.2), pytest.approx(0.5)]
    assert [(f.formula, f.amount) for f in imported.report.formulas] == [("ore_per_kg * 1.5", 1.5)]


def test_a_default_provider_outside_the_zip_is_reported_unlinked(tmp_path):
    sample = Sample()
    ore = next(e for e in sample.processes["p-steel"].exchanges if e.flow.id == "f-ore")
    ore.default_provider = olca.Ref(id="p-mine-elsewhere")
    report = read_jsonld(sample.zip(tmp_path)).report
    assert "p-mine-elsewhere is not in the zip" in report.unlinked[0].reason


def study() -> ProductSystem:
    """A foreground cell on two background processes, in lingtan's own terms."""
    fossil = Flow("ghg-fossil", "GHG, fossil", "kg CO2e", "fossil")
    biogenic = Flow("ghg-biogenic", "GHG, biogenic", "kg CO2e", "biogenic", "air")
    return ProductSystem(
        processes=(
            Process(
                "cell",
                "LFP cell (illustrative)",
                "p",
                exchanges=(
                    Exchange("grid", 12.5, "kWh", uncertainty=Uncertainty("lognormal", sigma=0.1)),
                    Exchange(
                        "cathode",
                        0.42,
                        "kg",
                        uncertainty=Uncertainty("uniform", minimum=0.4, maximum=0.45),
                    ),
                    Exchange("cathode", -0.01, "kg"),
                    Exchange(
                        "ghg-fossil",
                        0.3,
                        "kg CO2e",
                        biosphere=True,
                        uncertainty=Uncertainty("normal", sigma=0.03),
                    ),
                ),
                stage="production",
                location="CN-JS",
                foreground=True,
            ),
            Process(
                "grid",
                "grid electricity (illustrative)",
                "kWh",
                exchanges=(
                    Exchange("grid", 0.06, "kWh"),
                    Exchange("ghg-fossil", 0.58, "kg CO2e", biosphere=True),
                ),
                location="CN",
            ),
            Process(
                "cathode",
                "cathode material (illustrative)",
                "kg",
                production=2.0,
                exchanges=(
                    Exchange("grid", 30, "kWh"),
                    Exchange(
                        "ghg-biogenic",
                        -0.4,
                        "kg CO2e",
                        biosphere=True,
                        uncertainty=Uncertainty("triangular", minimum=-0.5, maximum=-0.3),
                    ),
                ),
                stage="raw_materials",
            ),
        ),
        flows=(fossil, biogenic),
        name="cell study",
    )


def comparable(system: ProductSystem):
    def exchange(e):
        u = e.uncertainty
        spread = (
            None
            if u is None
            else (
                u.distribution,
                *(None if v is None else round(v, 12) for v in (u.sigma, u.minimum, u.maximum)),
            )
        )
        return (e.flow, round(e.amount, 12), e.unit, e.biosphere, spread)

    processes = sorted(
        (
            p.code,
            p.name,
            p.unit,
            p.production,
            p.stage,
            p.location,
            p.foreground,
            sorted(exchange(e) for e in p.exchanges),
        )
        for p in system.processes
    )
    return processes, sorted(system.flows, key=lambda f: f.code)


def test_a_study_written_as_jsonld_reads_back_the_same(tmp_path):
    path = tmp_path / "study.zip"
    write_jsonld(study(), path)
    # olca-schema reads it
    with zipio.ZipReader(path) as reader:
        processes = {p.id: p for p in reader.read_each(olca.Process)}
        assert set(processes) == {"cell", "grid", "cathode"}
        cell = processes["cell"]
        reference = next(e for e in cell.exchanges if e.is_quantitative_reference)
        assert (reference.amount, reference.unit.name) == (1.0, "p")
        avoided = next(e for e in cell.exchanges if e.is_avoided_product)
        assert (avoided.amount, avoided.is_input, avoided.default_provider.id) == (
            0.01,
            False,
            "cathode",
        )
        lognormal = next(
            e for e in cell.exchanges if e.default_provider and e.default_provider.id == "grid"
        )
        assert lognormal.uncertainty.geom_sd == pytest.approx(math.exp(0.1))
        assert {u.name for u in reader.read_each(olca.UnitGroup)} == {
            "Units of p",
            "Units of kWh",
            "Units of kg",
            "Units of kg CO2e",
        }
    again = read_jsonld(path)
    assert comparable(again.system) == comparable(study())
    assert not again.report.unlinked and not again.report.uncharacterised
    # written twice, the same bytes: the ids are derived from the codes
    assert jsonld_bytes(study()) == jsonld_bytes(study())


def test_an_exchange_in_another_unit_is_written_in_its_providers(tmp_path):
    system = study()
    cell = system.processes[0]
    cell = Process(
        cell.code, cell.name, cell.unit, foreground=True, exchanges=(Exchange("cathode", 420, "g"),)
    )
    system = ProductSystem((cell, *system.processes[1:]), system.flows)
    again = read_jsonld_bytes(jsonld_bytes(system), origin="x.zip").system
    written = next(p for p in again.processes if p.code == "cell").exchanges[0]
    assert (written.amount, written.unit) == (pytest.approx(0.42), "kg")


# -- bad input ----------------------------------------------------------------------------


def refused(data: bytes, name="bad.zip") -> InputError:
    with pytest.raises(InputError) as caught:
        read_jsonld_bytes(data, origin=name)
    return caught.value


def rezip(path, change=None, drop=()) -> bytes:
    """The zip at ``path`` with entries dropped or replaced (``change``: name -> bytes)."""
    change = change or {}
    buffer = io.BytesIO()
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(buffer, "w") as target:
        for name in source.namelist():
            if any(name.startswith(prefix) for prefix in drop):
                continue
            target.writestr(name, change.get(name, source.read(name)))
        for name, data in change.items():
            if name not in source.namelist():
                target.writestr(name, data)
    return buffer.getvalue()


def test_a_file_that_is_not_a_zip_is_refused(tmp_path):
    error = refused(b"process,amount\nsteel,1\n", "steel.csv")
    problem = error.problems[0]
    assert (problem.where, problem.field) == ("steel.csv", "file")
    assert "is not a zip archive" in problem.rule
    with pytest.raises(InputError, match="cannot be read"):
        read_jsonld(tmp_path / "missing.zip")


def test_a_zip_without_the_folders_is_refused(tmp_path):
    error = refused(rezip(Sample().zip(tmp_path), drop=("processes/", "unit_groups/")))
    assert len(error.problems) == 1
    assert "has no unit_groups/, processes/ folder" in error.problems[0].rule


def test_a_file_that_is_not_json_or_not_an_entity_is_named(tmp_path):
    path = Sample().zip(tmp_path)
    error = refused(
        rezip(
            path,
            {
                "processes/p-coal.json": b'{"@type": "Process", "@id": "p-coal", ',
                "flows/f-ore.json": b"[1, 2]",
                "flows/f-coal.json": json.dumps({"@type": "Process", "@id": "f-coal"}).encode(),
                "processes/p-power.json": json.dumps(
                    {"@type": "Process", "@id": "p-power", "exchanges": 7}
                ).encode(),
            },
        )
    )
    by_where = {p.where: p for p in error.problems}
    assert "is not valid JSON" in by_where["bad.zip:processes/p-coal.json"].rule
    assert by_where["bad.zip:flows/f-ore.json"].value == "list"
    coal = by_where["bad.zip:flows/f-coal.json"]
    assert (coal.field, coal.value) == ("@type", "Process")
    power = by_where["bad.zip:processes/p-power.json"]
    assert (power.field, power.value) == ("@id", "p-power")
    assert "is not a valid olca-schema Process" in power.rule
    assert len(error.problems) == 4


def test_a_process_without_a_quantitative_reference_is_refused(tmp_path):
    sample = Sample()
    for exchange in sample.processes["p-coal"].exchanges:
        exchange.is_quantitative_reference = None
    error = refused(sample.zip(tmp_path).read_bytes())
    problem = error.problems[0]
    assert problem.where == "bad.zip:processes/p-coal.json"
    assert problem.field == "exchanges.isQuantitativeReference"
    assert "must have a quantitative reference" in problem.rule


def test_an_exchange_with_an_unknown_unit_is_refused(tmp_path):
    sample = Sample()
    power = next(e for e in sample.processes["p-steel"].exchanges if e.flow.id == "f-power")
    power.unit = olca.Ref(id="u-gallon", name="gallon")
    error = refused(sample.zip(tmp_path).read_bytes())
    problem = error.problems[0]
    assert (problem.where, problem.field, problem.value) == (
        "bad.zip:processes/p-steel.json",
        "exchanges[1].unit",
        "gallon",
    )
    assert "not a unit of the flow's unit group (MJ, kWh)" in problem.rule


@pytest.mark.parametrize(
    ("own", "other", "back"),
    [
        (1.2, None, None),  # electricity taking 1.2 MJ of itself per MJ
        (0.05, 5.0, 0.3),  # power <-> coal: root of x^2 - 0.05 x - 1.5, 1.2502
    ],
)
def test_a_loop_of_providers_without_a_solution_is_refused(tmp_path, own, other, back):
    sample = Sample()
    power = sample.processes["p-power"]
    next(e for e in power.exchanges if e.flow.id == "f-power" and e.is_input).amount = own
    if other is not None:
        next(e for e in power.exchanges if e.flow.id == "f-coal").amount = other
        coal = sample.processes["p-coal"]
        next(e for e in coal.exchanges if e.flow.id == "f-power").amount = back
    error = refused(sample.zip(tmp_path).read_bytes())
    assert "loop of providers" in error.problems[0].rule
    assert "no non-negative solution" in error.problems[0].rule


def test_a_loop_that_takes_less_than_it_makes_is_read(tmp_path):
    # 5 kg of coal per MJ, 0.18 MJ per kg of coal and 0.05 MJ of its own per MJ: the Perron
    # root of [[0.05, 0.18], [5, 0]] is 0.025 + sqrt(0.025^2 + 0.9) = 0.9740 < 1
    sample = Sample()
    power = sample.processes["p-power"]
    next(e for e in power.exchanges if e.flow.id == "f-coal").amount = 5.0
    coal = sample.processes["p-coal"]
    next(e for e in coal.exchanges if e.flow.id == "f-power").amount = 0.18
    assert len(read_jsonld(sample.zip(tmp_path)).system.processes) == 3


def test_a_default_provider_making_another_flow_is_refused(tmp_path):
    sample = Sample()
    coal = next(e for e in sample.processes["p-power"].exchanges if e.flow.id == "f-coal")
    coal.default_provider = olca.Ref(id="p-steel")
    problem = refused(sample.zip(tmp_path).read_bytes()).problems[0]
    assert (problem.field, problem.value) == ("exchanges[1].defaultProvider.@id", "p-steel")


def test_a_formula_without_an_amount_and_an_unknown_gwp_set_are_refused(tmp_path):
    sample = Sample()
    ore = next(e for e in sample.processes["p-steel"].exchanges if e.flow.id == "f-ore")
    ore.amount, ore.amount_formula = None, "ore_per_kg * 1.5"
    problem = refused(sample.zip(tmp_path).read_bytes()).problems[0]
    assert (problem.field, problem.value) == ("exchanges[3].amountFormula", "ore_per_kg * 1.5")
    ore.amount_formula = "1.5"  # a plain number is read
    assert read_jsonld(sample.zip(tmp_path, "again.zip")).report.unlinked[0].amount == 1.5
    with pytest.raises(InputError, match="no factor set 'ipcc-ar9'"):
        read_jsonld(sample.zip(tmp_path, "third.zip"), gwp="ipcc-ar9")


def test_a_study_with_an_input_of_no_process_is_not_written():
    system = study()
    broken = ProductSystem(system.processes[:1], system.flows)
    with pytest.raises(InputError) as caught:
        jsonld_bytes(broken)
    fields = {(p.where, p.field, p.value) for p in caught.value.problems}
    assert ("process cell", "exchanges[0].flow", "grid") in fields


# -- the command line -----------------------------------------------------------------------


def test_the_command_summarises_a_zip_and_refuses_a_bad_one(tmp_path):
    from click.testing import CliRunner

    from lingtan.cli.main import main

    runner = CliRunner()
    done = runner.invoke(
        main, ["footprint", "import-jsonld", str(Sample().zip(tmp_path)), "--format", "json"]
    )
    assert done.exit_code == 0, done.output
    document = json.loads(done.stdout)
    assert [row["process"] for row in document["processes"]] == ["p-coal", "p-power", "p-steel"]
    steel = document["processes"][2]
    # 1.8 kg fossil CO2; SO2 left out; ore cut off
    assert (steel["direct_kg_co2e"], steel["inputs"], steel["unlinked"]) == (1.8, 2, 1)
    assert document["unlinked"][0]["name"] == "iron ore"
    assert document["uncharacterised"][0]["name"] == "Sulfur dioxide"
    chinese = runner.invoke(
        main,
        ["--lang", "zh-CN", "footprint", "import-jsonld", str(Sample().zip(tmp_path, "b.zip"))],
    )
    assert "个无提供者的输入已截断" in chinese.stdout
    bad = tmp_path / "not.zip"
    bad.write_text("steel,1\n", encoding="utf-8")
    refused_run = runner.invoke(main, ["--lang", "zh-CN", "footprint", "import-jsonld", str(bad)])
    assert refused_run.exit_code == 2 and refused_run.stdout == ""
    assert "不是 zip 压缩包" in refused_run.stderr


def test_gases_are_recognised_by_cas_or_name_with_their_kind():
    from lingtan.footprint.interchange import classify_gas

    def seen(name, cas=None, compartment="air", is_input=False):
        gas = classify_gas(name, cas=cas, compartment=compartment, is_input=is_input)
        return None if gas is None else (gas.gas, gas.kind, gas.uptake)

    assert seen("Carbon dioxide, fossil") == ("CO2", "fossil", False)
    assert seen("Carbon dioxide, non-fossil") == ("CO2", "biogenic", False)
    assert seen("Carbon dioxide, in air", is_input=True) == ("CO2", "biogenic", True)
    assert seen("Carbon dioxide, to soil or biomass stock") == ("CO2", "dluc", True)
    assert seen("Methane, from soil or biomass stock", "000074-82-8") == ("CH4", "dluc", False)
    upper = "air/lower stratosphere + upper troposphere"
    assert seen("Carbon dioxide, fossil", compartment=upper) == ("CO2", "aircraft", False)
    assert seen("Dinitrogen monoxide") == ("N2O", "fossil", False)
    assert seen("Ethane, 1,1,1,2-tetrafluoro-, HFC-134a") == ("HFC-134a", "fossil", False)
    # CF4 is named after methane: the name does not make it methane
    assert seen("Methane, tetrafluoro-, R-14") == ("CF4", "fossil", False)
    assert seen("Methane, tetrafluoro-, R-14", "75-73-0") == ("CF4", "fossil", False)
    assert seen("Methane, dichlorodifluoro-, CFC-12") is None
    assert seen("Sulfur dioxide", "7446-09-5") is None


def test_a_waste_output_is_an_input_of_its_treatment_and_a_volume_is_converted(tmp_path):
    sample = Sample()
    volume_units = olca.UnitGroup(
        id="ug-volume",
        name="Units of volume",
        units=[olca.Unit(id="u-m3", name="m3", conversion_factor=1.0, is_ref_unit=True)],
    )
    volume = olca.FlowProperty(id="fp-volume", name="Volume", unit_group=volume_units.to_ref())
    slag = olca.Flow(
        id="f-slag",
        name="slag",
        flow_type=olca.FlowType.WASTE_FLOW,
        flow_properties=[
            olca.FlowPropertyFactor(
                flow_property=sample.mass.to_ref(), conversion_factor=1.0, is_ref_flow_property=True
            ),
            # 1 kg of slag is 0.0004 m3 (2,500 kg/m3)
            olca.FlowPropertyFactor(flow_property=volume.to_ref(), conversion_factor=0.0004),
        ],
    )
    landfill = olca.Process(id="p-landfill", name="slag landfill")
    treated = olca.new_input(landfill, slag, 1, sample.units["kg"])
    treated.is_quantitative_reference = True
    olca.new_output(landfill, sample.co2, 0.01, sample.units["kg"])
    waste = olca.new_output(sample.processes["p-steel"], slag, 0.0001, volume_units.units[0])
    waste.flow_property = volume.to_ref()
    sample.processes["p-landfill"] = landfill
    path = tmp_path / "waste.zip"
    with zipio.ZipWriter(path) as writer:
        for entity in [*sample.entities(), volume_units, volume, slag]:
            writer.write(entity)
    processes = {p.code: p for p in read_jsonld(path).system.processes}
    assert (processes["p-landfill"].unit, processes["p-landfill"].production) == ("kg", 1.0)
    # 0.0001 m3 / 0.0004 m3 per kg = 0.25 kg of slag to the landfill
    found = next(e for e in processes["p-steel"].exchanges if e.flow == "p-landfill")
    assert (found.amount, found.unit) == (pytest.approx(0.25), "kg")


def test_a_co_product_is_refused(tmp_path):
    sample = Sample()
    olca.new_output(sample.processes["p-coal"], sample.steel, 0.1, sample.units["kg"])
    problem = refused(sample.zip(tmp_path).read_bytes()).problems[0]
    assert problem.where == "bad.zip:processes/p-coal.json"
    assert "co-product" in problem.rule


def test_an_imported_background_written_again_reads_back_the_same(tmp_path):
    first = read_jsonld(Sample().zip(tmp_path)).system
    again = read_jsonld_bytes(jsonld_bytes(first), origin="again.zip")
    assert comparable(again.system) == comparable(first)
    assert not again.report.unlinked and not again.report.conversions
