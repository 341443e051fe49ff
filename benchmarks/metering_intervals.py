"""Benchmark: 15-minute intervals from raw readings (lingtan.metering.intervals).

Run by hand: ``.venv/bin/python benchmarks/metering_intervals.py [--meters N] [--days D]``.
Generates cumulative kWh registers read every 15 minutes for a year (with a little timing
jitter, a few missing readings and one duplicate per meter), then times
:func:`~lingtan.metering.intervals.meter_intervals` plus a daily rollup for 1 meter and for
``--meters`` meters (default 1,000: 35 million readings). Reports readings per second and peak
memory (tracemalloc: numpy allocations of the calculation; ru_maxrss: the whole process).
Generation is not timed; each meter's readings are generated just before its call, as a
streaming import would hand them over.
"""

from __future__ import annotations

import argparse
import platform
import resource
import time
import tracemalloc

import numpy as np

from lingtan.metering.intervals import meter_intervals, rollup

START = np.datetime64("2025-01-01T00:00:00", "s")


def readings(seed: int, days: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = days * 96 + 1
    seconds = np.arange(n, dtype=np.int64) * 900
    seconds[1:-1] += rng.integers(-20, 21, n - 2)  # meters' clocks drift a little
    kwh = rng.gamma(4.0, 3.0, n - 1)
    register = 10_000.0 * seed + np.concatenate(([0.0], np.cumsum(kwh)))
    keep = rng.random(n) > 0.002  # a few lost readings
    keep[[0, -1]] = True
    t = (START + seconds.astype("timedelta64[s]"))[keep]
    v = register[keep]
    return np.append(t, t[5]), np.append(v, v[5])  # and a duplicate


def run(meters: int, days: int) -> dict[str, float]:
    end = START + np.timedelta64(days, "D")
    total = 0
    elapsed = 0.0
    problems = 0
    tracemalloc.start()
    for m in range(meters):
        t, v = readings(m + 1, days)
        began = time.perf_counter()
        res = meter_intervals(t, v, start=START, end=end, kind="cumulative", meter_id=f"m{m}")
        rollup(res, "day")
        elapsed += time.perf_counter() - began
        total += t.size
        problems += len(res.problems)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "meters": meters,
        "readings": total,
        "seconds": elapsed,
        "readings_per_s": total / elapsed,
        "tracemalloc_peak_mb": peak / 2**20,
        "problems": problems,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meters", type=int, default=1000)
    parser.add_argument("--days", type=int, default=365)
    args = parser.parse_args()
    print(f"python {platform.python_version()}, numpy {np.__version__}, {platform.machine()}")
    for meters in (1, args.meters):
        figures = run(meters, args.days)
        print(
            f"{figures['meters']:>5} meters x {args.days} d: {figures['readings']:>11,} readings "
            f"in {figures['seconds']:7.2f} s = {figures['readings_per_s']:>12,.0f} readings/s, "
            f"tracemalloc peak {figures['tracemalloc_peak_mb']:.1f} MB, "
            f"{figures['problems']} problems"
        )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"process peak RSS {rss:.0f} MB")


if __name__ == "__main__":
    main()
