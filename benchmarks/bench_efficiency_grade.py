"""Benchmark: grade an equipment register of 100,000 items against the shipped standards pack.

Run by hand: ``.venv/bin/python benchmarks/bench_efficiency_grade.py [--items N] [--repeat R]``.
The register is a plausible mix: 55 % low-voltage motors (every tabulated power of GB 18613
Table 1, 2–8 poles, 2 % with an untabulated power and 1 % with 10 poles), 20 % 10 kV
transformers (oil and dry, both cores, with connection group or insulation class), 15 % air
compressors (GB 19153 rows shipped), 5 % data centres, 5 % fans and pumps (no table: out of
scope); measured values spread around grade 3 to grade 1. Timed: ``grade_many`` on the items
as :func:`~lingtan.efficiency.register.read_register_text` returns them, the tables already
loaded (a cold run, which builds the index and resolves each distinct combination, and the best
and median of the warm runs). Record the figures, with machine and date, in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import time
from collections import Counter
from datetime import date

from lingtan.efficiency import grading
from lingtan.efficiency.grading import grade_many
from lingtan.efficiency.standards import shipped_standards

MOTOR_POWERS = sorted(
    {
        t.attribute("rated_power_kw")
        for t in shipped_standards()[0].thresholds
        if t.attribute("rated_power_kw") is not None
    }
)
CAPACITIES_OIL = (30, 50, 63, 80, 100, 125, 160, 200, 250, 315, 400, 500, 630, 800, 1000, 1600)
CAPACITIES_DRY = (30, 50, 80, 100, 125, 160, 200, 250, 315, 400, 500, 630, 800, 1000)


def make_items(n: int, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    items = []
    for i in range(n):
        u = rng.random()
        item: dict = {"id": f"E{i}", "row": i + 2}
        if u < 0.55:
            power = rng.choice(MOTOR_POWERS)
            if rng.random() < 0.02:
                power = power * 1.07  # not a tabulated power
            item |= {
                "type": "motor",
                "rated_power_kw": power,
                "poles": 10.0 if rng.random() < 0.01 else float(rng.choice((2, 4, 6, 8))),
                "efficiency_pct": round(rng.uniform(80.0, 97.5), 1),
            }
        elif u < 0.75:
            dry = rng.random() < 0.4
            item |= {
                "type": "transformer",
                "voltage_kv": 10.0,
                "insulation": "dry" if dry else "oil",
                "core": rng.choice(("electrical_steel", "amorphous")),
                "rated_capacity_kva": float(rng.choice(CAPACITIES_DRY if dry else CAPACITIES_OIL)),
                "no_load_loss_kw": round(rng.uniform(0.02, 1.2), 3),
                "load_loss_kw": round(rng.uniform(0.4, 12.0), 3),
            }
            if dry:
                item["insulation_class"] = rng.choice(("B", "F", "H"))
            else:
                item["connection"] = rng.choice(("Dyn11", "Yyn0"))
        elif u < 0.90:
            item |= {
                "type": "air_compressor",
                "rated_power_kw": rng.choice((1.5, 2.2, 3.0, 37.0)),
                "discharge_pressure_mpa": rng.choice((0.7, 0.8)),
                "cooling": "air",
                "drive": "fixed",
                "specific_power_kw_per_m3_min": round(rng.uniform(5.5, 13.0), 2),
            }
        elif u < 0.95:
            item |= {"type": "data_centre", "pue": round(rng.uniform(1.1, 1.7), 2)}
        else:
            item |= {"type": rng.choice(("fan", "pump"))}
        items.append(item)
    return items


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    items = make_items(args.items)
    shipped_standards()
    grading._SHIPPED.clear()  # a cold index: built and resolved inside the first timing
    start = time.perf_counter()
    grades = grade_many(items)
    cold = time.perf_counter() - start
    warm = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        grade_many(items)
        warm.append(time.perf_counter() - start)
    levels = Counter(str(g.level) for g in grades)
    print(
        f"{date.today()} {platform.machine()} {platform.processor() or platform.system()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"items: {args.items:,}; levels: {dict(sorted(levels.items()))}")
    print(
        f"cold {cold:.3f} s; warm best {min(warm):.3f} s, median {statistics.median(warm):.3f} s "
        f"({args.items / min(warm):,.0f} items/s)"
    )


if __name__ == "__main__":
    main()
