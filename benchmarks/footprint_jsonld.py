"""Reading an ecoinvent-sized openLCA JSON-LD zip: lingtan's import against olca-schema's own
parse of the same entities (the floor: parsing alone), interleaved in one run.

The zip is generated (no database is copied) with an LCA's structure: each process takes its
inputs mostly from processes upstream of it (a lower index) and rarely from downstream (sparse
feedback loops), every input's coefficient small enough that the loops resolve; each process
emits fossil CO2, biogenic methane and sulphur dioxide; a tenth of the inputs are in g (a unit
conversion) and a tenth have a lognormal spread.

Run by hand: ``python benchmarks/footprint_jsonld.py --processes 20000 --inputs 15``.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import olca_schema as olca
from olca_schema import zipio

from lingtan.footprint.jsonld import read_jsonld


def build(path: Path, processes: int, inputs: int, seed: int = 7) -> int:
    """Write the zip; return the number of technosphere exchanges."""
    rng = random.Random(seed)
    kg = olca.Unit(id="u-kg", name="kg", conversion_factor=1.0, is_ref_unit=True)
    g = olca.Unit(id="u-g", name="g", conversion_factor=0.001, is_ref_unit=False)
    units = olca.UnitGroup(id="ug-mass", name="Units of mass", units=[kg, g])
    mass = olca.FlowProperty(id="fp-mass", name="Mass", unit_group=units.to_ref())

    def flow(fid, name, kind, cas=None):
        factor = olca.FlowPropertyFactor(
            flow_property=mass.to_ref(), conversion_factor=1.0, is_ref_flow_property=True
        )
        return olca.Flow(id=fid, name=name, flow_type=kind, flow_properties=[factor], cas=cas)

    elementary = olca.FlowType.ELEMENTARY_FLOW
    gases = [
        flow("e-co2", "Carbon dioxide, fossil", elementary, "124-38-9"),
        flow("e-ch4", "Methane, biogenic", elementary, "74-82-8"),
        flow("e-so2", "Sulfur dioxide", elementary, "7446-09-5"),
    ]
    exchanges = 0
    with zipio.ZipWriter(path) as writer:
        for entity in [units, mass, *gases]:
            writer.write(entity)
        for i in range(processes):
            writer.write(flow(f"f-{i}", f"product {i}", olca.FlowType.PRODUCT_FLOW))
        for i in range(processes):
            process = olca.Process(id=f"p-{i}", name=f"process {i}")
            olca.new_output(
                process, olca.Ref(id=f"f-{i}"), 1.0, kg
            ).is_quantitative_reference = True
            chosen = set()
            for _ in range(inputs if i > 0 else 0):
                upstream = rng.random() > 0.01 or i == processes - 1
                j = rng.randrange(0, i) if upstream else rng.randrange(i + 1, processes)
                if j in chosen:
                    continue
                chosen.add(j)
                in_grams = rng.random() < 0.1
                amount = rng.uniform(0.001, 0.05) * (1000 if in_grams else 1)
                exchange = olca.new_input(
                    process, olca.Ref(id=f"f-{j}"), amount, g if in_grams else kg
                )
                exchange.default_provider = olca.Ref(id=f"p-{j}")
                if rng.random() < 0.1:
                    exchange.uncertainty = olca.Uncertainty(
                        distribution_type=olca.UncertaintyType.LOG_NORMAL_DISTRIBUTION,
                        geom_mean=amount,
                        geom_sd=1.2,
                    )
                exchanges += 1
            for gas, amount in zip(gases, (rng.uniform(0.1, 2), 0.001, 0.002), strict=True):
                olca.new_output(process, gas, amount, kg)
            writer.write(process)
    return exchanges


def floor(path: Path) -> int:
    """Every entity of the zip parsed by olca-schema's classes (``from_dict`` of each JSON
    file): what any importer on olca-schema must do. olca-schema's ``ZipReader`` is not used:
    it lists the archive's names again for every entity it reads (quadratic in the zip)."""
    kinds = {
        "unit_groups": olca.UnitGroup,
        "flow_properties": olca.FlowProperty,
        "flows": olca.Flow,
        "processes": olca.Process,
    }
    count = 0
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            folder = info.filename.split("/")[0]
            if folder in kinds:
                kinds[folder].from_dict(json.loads(archive.read(info)))
                count += 1
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--processes", type=int, default=20_000)
    parser.add_argument("--inputs", type=int, default=15)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "background.zip"
        started = time.perf_counter()
        exchanges = build(path, args.processes, args.inputs)
        print(
            f"built {args.processes:,} processes, {exchanges:,} technosphere exchanges, "
            f"{path.stat().st_size / 2**20:.1f} MiB in {time.perf_counter() - started:.1f} s",
            file=sys.stderr,
        )
        times: dict[str, list[float]] = {"olca-schema parse": [], "lingtan read_jsonld": []}
        for _ in range(args.repeat):
            started = time.perf_counter()
            floor(path)
            times["olca-schema parse"].append(time.perf_counter() - started)
            started = time.perf_counter()
            imported = read_jsonld(path)
            times["lingtan read_jsonld"].append(time.perf_counter() - started)
        assert len(imported.system.processes) == args.processes
        for name, values in times.items():
            print(f"{name:22} best {min(values):7.2f} s  median {statistics.median(values):7.2f} s")
        ratio = min(times["lingtan read_jsonld"]) / min(times["olca-schema parse"])
        print(f"ratio (best) lingtan / olca-schema parse: {ratio:.2f}")


if __name__ == "__main__":
    main()
