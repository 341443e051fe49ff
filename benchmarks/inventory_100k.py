"""Benchmark: compute an inventory of 100,000 activity lines (goal: under 1 s on 2 cores).

Run by hand: ``.venv/bin/python benchmarks/inventory_100k.py [--lines N] [--repeat R]``.
Record the figures, with the machine and date, in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import time
from datetime import date

from lingtan.accounting import engine
from lingtan.accounting.engine import compute_inventory
from lingtan.accounting.model import Instrument, InventoryInput, Source
from lingtan.accounting.serialize import result_to_dict
from lingtan.factors import shipped_library

# A plausible mix of a large group's monthly lines: mostly electricity and gas meters.
TEMPLATES = (
    (30, lambda q: Source("", "purchased_electricity", q, "MWh")),
    (5, lambda q: Source("", "purchased_electricity", q, "MWh", region="Zhejiang")),
    (20, lambda q: Source("", "fuel_combustion", q * 100, "Nm3", fuel="natural_gas")),
    (10, lambda q: Source("", "mobile_combustion", q / 100, "t", fuel="diesel")),
    (5, lambda q: Source("", "fuel_combustion", q, "t", fuel="bituminous_coal")),
    (10, lambda q: Source("", "purchased_heat", q, "GJ", uncertainty_pct=5)),
    (5, lambda q: Source("", "purchased_heat", q, "t", medium="steam", enthalpy=2800)),
    (5, lambda q: Source("", "fugitive", q / 1000, "kg", gas="R-410A")),
    (3, lambda q: Source("", "process_carbonate", q, "t", carbonate="CaCO3", purity=0.95)),
    (7, lambda q: Source("", "other", q, "t", factor=2.5, factor_unit="kgCO2e/t", scope=3,
                         category=1)),
)  # fmt: skip


def build(lines: int, seed: int = 7) -> InventoryInput:
    rng = random.Random(seed)
    weights = [w for w, _ in TEMPLATES]
    makers = [m for _, m in TEMPLATES]
    sources = []
    for i in range(lines):
        maker = rng.choices(makers, weights)[0]
        source = maker(rng.uniform(1, 1000))
        sources.append(Source(**{**_fields(source), "id": f"line-{i}"}))
    electricity = sum(s.quantity for s in sources if s.kind == "purchased_electricity")
    return InventoryInput(
        facility_name="Benchmark group",
        region="Jiangsu",
        period_start=date(2025, 1, 1),
        period_end=date(2025, 12, 31),
        sources=tuple(sources),
        instruments=(Instrument("gec", "gec", electricity * 0.3, "MWh"),),
    )


def _fields(source: Source) -> dict:
    return {name: getattr(source, name) for name in source.__slots__}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    library = shipped_library()
    inventory = build(args.lines)
    compute_inventory(inventory, library)  # warm the unit and factor caches once
    timings, with_gc = [], []
    for _ in range(args.repeat):  # interleaved, so that both see the same machine noise
        start = time.perf_counter()
        result = compute_inventory(inventory, library)
        timings.append(time.perf_counter() - start)
        start = time.perf_counter()
        engine._compute(inventory, library)  # the same work with the cyclic GC running
        with_gc.append(time.perf_counter() - start)
    start = time.perf_counter()
    text = json.dumps(result_to_dict(result))
    serialise = time.perf_counter() - start
    print(
        json.dumps(
            {
                "lines": args.lines,
                "compute_s": {"best": min(timings), "median": sorted(timings)[len(timings) // 2]},
                "lines_per_s": args.lines / min(timings),
                "compute_with_cyclic_gc_s": min(with_gc),
                "gc_pause_speedup": min(with_gc) / min(timings),
                "json_s": serialise,
                "json_mb": len(text) / 1e6,
                "total_tco2e": result.totals.total_tco2e,
                "machine": f"{platform.machine()} {os.cpu_count()} cores, "
                f"Python {platform.python_version()}",
                "date": date.today().isoformat(),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
