"""Write ``background-illustrative.zip``: a small openLCA JSON-LD background, ILLUSTRATIVE.

The values are invented for the demo and the tests of ``lingtan footprint import-jsonld``;
they are not measured or published data. The zip has what a real export has: a unit group
with g beside kg and one with kWh beside MJ, a loop (electricity needs coal, coal needs
electricity), an input without a provider (iron ore), fossil CO2 with a lognormal spread,
biogenic methane, and sulphur dioxide (no GWP).

Run it from the repository's root: ``python examples/footprint/background-illustrative.py``.
"""

from pathlib import Path

import olca_schema as olca
from olca_schema import zipio

TARGET = Path(__file__).with_suffix(".zip")


def unit(uid: str, name: str, factor: float) -> olca.Unit:
    return olca.Unit(id=uid, name=name, conversion_factor=factor, is_ref_unit=factor == 1.0)


def flow(fid: str, name: str, kind: olca.FlowType, prop: olca.FlowProperty, **more) -> olca.Flow:
    factor = olca.FlowPropertyFactor(
        flow_property=prop.to_ref(), conversion_factor=1.0, is_ref_flow_property=True
    )
    return olca.Flow(id=fid, name=name, flow_type=kind, flow_properties=[factor], **more)


def main() -> None:
    kg, g = unit("u-kg", "kg", 1.0), unit("u-g", "g", 0.001)
    mj, kwh = unit("u-mj", "MJ", 1.0), unit("u-kwh", "kWh", 3.6)
    mass_units = olca.UnitGroup(id="ug-mass", name="Units of mass", units=[kg, g])
    energy_units = olca.UnitGroup(id="ug-energy", name="Units of energy", units=[mj, kwh])
    mass = olca.FlowProperty(id="fp-mass", name="Mass", unit_group=mass_units.to_ref())
    energy = olca.FlowProperty(id="fp-energy", name="Energy", unit_group=energy_units.to_ref())
    product, elementary = olca.FlowType.PRODUCT_FLOW, olca.FlowType.ELEMENTARY_FLOW
    air = "Elementary flows/Emission to air/unspecified"
    steel = flow("f-steel", "steel, illustrative", product, mass)
    power = flow("f-power", "electricity, illustrative", product, energy)
    coal = flow("f-coal", "hard coal, illustrative", product, mass)
    ore = flow("f-ore", "iron ore, illustrative", product, mass)
    co2 = flow("e-co2", "Carbon dioxide, fossil", elementary, mass, cas="124-38-9", category=air)
    ch4 = flow("e-ch4", "Methane, biogenic", elementary, mass, cas="74-82-8", category=air)
    so2 = flow("e-so2", "Sulfur dioxide", elementary, mass, cas="7446-09-5", category=air)

    def process(pid, name, reference, amount, ref_unit, inputs, outputs):
        made = olca.Process(id=pid, name=name, process_type=olca.ProcessType.UNIT_PROCESS)
        olca.new_output(made, reference, amount, ref_unit).is_quantitative_reference = True
        for item, value, item_unit, provider in inputs:
            exchange = olca.new_input(made, item, value, item_unit)
            if provider:
                exchange.default_provider = olca.Ref(id=provider, ref_type=olca.RefType.Process)
        for item, value, spread in outputs:
            olca.new_output(made, item, value, kg).uncertainty = spread
        return made

    lognormal = olca.Uncertainty(
        distribution_type=olca.UncertaintyType.LOG_NORMAL_DISTRIBUTION, geom_mean=1.8, geom_sd=1.5
    )
    processes = [
        process(
            "p-steel", "steel production, illustrative", steel, 1, kg,
            [(power, 2, kwh, "p-power"), (coal, 500, g, None), (ore, 1.5, kg, None)],
            [(co2, 1.8, lognormal), (so2, 0.01, None)],
        ),
        process(
            "p-power", "electricity production, illustrative", power, 1, mj,
            [(coal, 0.1, kg, "p-coal"), (power, 0.05, mj, "p-power")],
            [(co2, 0.25, None), (ch4, 0.001, None)],
        ),
        process(
            "p-coal", "coal mining, illustrative", coal, 1, kg,
            [(power, 0.2, mj, None)],
            [(co2, 0.02, None), (ch4, 0.004, None)],
        ),
    ]  # fmt: skip
    TARGET.unlink(missing_ok=True)
    with zipio.ZipWriter(TARGET) as writer:
        for entity in [mass_units, energy_units, mass, energy, steel, power, coal, ore, co2, ch4,
                       so2, *processes]:  # fmt: skip
            entity.last_change = None
            writer.write(entity)


if __name__ == "__main__":
    main()
