"""Benchmark: compute an inventory of 100,000 activity lines, beside pandas.

Run by hand: ``.venv/bin/python benchmarks/inventory_100k.py [--lines N] [--repeat R]``
(needs pandas, which lingtan itself does not). Interleaved in one run: ``compute_inventory``;
the peer, pandas computing the same lines and totals from the same sources as records with
the engine's chosen factors (merge on the source's path, multiply, group sums); and the
streamed JSON export. The totals of both are checked equal. Record the figures, with the
machine and date, in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import platform
import random
import time
from datetime import date

from lingtan.accounting.engine import compute_inventory
from lingtan.accounting.model import Instrument, InventoryInput, Source
from lingtan.accounting.serialize import write_result_json
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


def pandas_totals(records: list[dict], factors: dict[tuple, float]) -> dict[str, float]:
    """The peer: each line's tCO2e as quantity x its factor per unit, then the totals."""
    import pandas as pd

    frame = pd.DataFrame.from_records(records)
    table = pd.DataFrame(
        [(*key, value) for key, value in factors.items()],
        columns=["kind", "unit", "path", "tco2e_per_unit"],
    )
    frame = frame.merge(table, on=["kind", "unit", "path"], how="left")
    frame["tco2e"] = frame["quantity"] * frame["tco2e_per_unit"]
    by_kind = frame.groupby("kind", sort=False)["tco2e"].sum()
    return {"total_tco2e": float(frame["tco2e"].sum()), **by_kind.to_dict()}


def _peer_inputs(inventory: InventoryInput, result) -> tuple[list[dict], dict[tuple, float]]:
    """The sources as records, and the engine's tCO2e per unit of quantity for each path."""
    records, factors = [], {}
    for source, line in zip(inventory.sources, result.lines, strict=True):
        path = f"{source.fuel or source.gas or source.medium or source.region or ''}"
        records.append({"kind": source.kind, "unit": source.unit, "path": path,
                        "quantity": source.quantity})  # fmt: skip
        factors.setdefault((source.kind, source.unit, path), line.emissions_tco2e / source.quantity)
    return records, factors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    library = shipped_library()
    inventory = build(args.lines)
    result = compute_inventory(inventory, library)  # warm the unit and factor caches once
    records, factors = _peer_inputs(inventory, result)
    peer = pandas_totals(records, factors)  # and pandas' imports
    timings, peer_timings = [], []
    for _ in range(args.repeat):  # interleaved, so that both see the same machine noise
        start = time.perf_counter()
        result = compute_inventory(inventory, library)
        timings.append(time.perf_counter() - start)
        start = time.perf_counter()
        peer = pandas_totals(records, factors)
        peer_timings.append(time.perf_counter() - start)
    by_kind = result.totals.by_category_tco2e
    agree = all(  # by kind: the GB/T 32150 total leaves Scope 3 lines out, pandas' sum does not
        math.isclose(peer[kind], value, rel_tol=1e-9, abs_tol=1e-9)
        for kind, value in by_kind.items()
    )
    json_timings = []
    for _ in range(args.repeat):
        buffer = io.BytesIO()
        start = time.perf_counter()
        write_result_json(result, buffer)
        json_timings.append(time.perf_counter() - start)
    best, peer_best = min(timings), min(peer_timings)
    print(
        json.dumps(
            {
                "lines": args.lines,
                "compute_s": {"best": best, "median": sorted(timings)[len(timings) // 2]},
                "pandas_s": {"best": peer_best, "median": sorted(peer_timings)[len(timings) // 2]},
                "ratio_best": best / peer_best,
                "totals_agree": agree,
                "lines_per_s": args.lines / best,
                "json_s": {
                    "best": min(json_timings),
                    "median": sorted(json_timings)[len(json_timings) // 2],
                },
                "json_mb": len(buffer.getvalue()) / 1e6,
                "total_tco2e": result.totals.total_tco2e,
                "machine": f"{platform.machine()} {os.cpu_count()} cores, "
                f"Python {platform.python_version()}, load {os.getloadavg()[0]:.1f}",
                "date": date.today().isoformat(),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
