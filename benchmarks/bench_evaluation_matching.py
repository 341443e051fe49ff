"""Benchmark: hourly matching of a year of 15-minute data for many facilities (meters).

Run by hand: ``.venv/bin/python benchmarks/bench_evaluation_matching.py [--facilities N]
[--chunk C] [--repeat R] [--versus-pandas]``. Each facility has a year (365 days × 96 steps =
35,040 steps) of consumption (a day-and-night load with noise) and carbon-free supply (a PV
profile with clouds plus a flat contracted wind share), float64 kWh per step. Timed:
:func:`lingtan.evaluation.matching.match_many` on the arrays as given (the validation of every
value — NaN, infinite, negative — included), in chunks of ``--chunk`` facilities so that 1,000
meters do not need 0.5 GB at once; the best and the median of ``--repeat`` runs.
``--versus-pandas`` times the plain pandas way for one facility (``resample('1h').sum()``, then
the minimum per hour) times the facilities, as a peer. Record the figures, with machine and
date, in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from datetime import date

import numpy as np

from lingtan.evaluation.matching import match_many

STEPS = 365 * 96


def make_series(n: int, seed: int = 14) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    hour = (np.arange(STEPS) % 96) / 4
    load = np.where((hour >= 8) & (hour < 20), 250.0, 120.0)
    consumption = load * (0.8 + 0.4 * rng.random((n, STEPS)))
    sun = np.clip(np.sin(np.pi * (hour - 6) / 12), 0, None)
    supply = 300 * sun * rng.random((n, STEPS)) + 40.0
    return consumption, supply


def run(consumption: np.ndarray, supply: np.ndarray, chunk: int) -> np.ndarray:
    shares = []
    for start in range(0, consumption.shape[0], chunk):
        part = slice(start, start + chunk)
        shares.append(
            match_many(consumption[part], supply[part], steps_per_hour=4).hourly_share_pct
        )
    return np.concatenate(shares)


def pandas_one(consumption: np.ndarray, supply: np.ndarray) -> float:
    import pandas as pd

    index = pd.date_range("2025-01-01", periods=STEPS, freq="15min")
    hourly = pd.DataFrame({"c": consumption, "s": supply}, index=index).resample("1h").sum()
    return float(hourly.min(axis=1).sum() / hourly["c"].sum() * 100)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--facilities", type=int, default=100)
    parser.add_argument("--chunk", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--versus-pandas", action="store_true")
    args = parser.parse_args()
    consumption, supply = make_series(args.facilities)
    times = []
    for _ in range(args.repeat):
        began = time.perf_counter()
        shares = run(consumption, supply, args.chunk)
        times.append(time.perf_counter() - began)
    print(
        f"{date.today()} {platform.machine()} {os.cpu_count()} cores, "
        f"load {os.getloadavg()[0]:.1f}, Python {platform.python_version()}"
    )
    print(
        f"{args.facilities} facilities x {STEPS} steps (15 min, a year), chunk {args.chunk}: "
        f"best {min(times):.3f} s, median {statistics.median(times):.3f} s; "
        f"mean hourly share {shares.mean():.2f} %"
    )
    if args.versus_pandas:
        began = time.perf_counter()
        peer = [pandas_one(consumption[i], supply[i]) for i in range(min(args.facilities, 20))]
        per = (time.perf_counter() - began) / len(peer)
        assert np.allclose(peer, shares[: len(peer)], rtol=1e-12)
        print(
            f"pandas, one facility at a time: {per * 1000:.1f} ms each, "
            f"{per * args.facilities:.3f} s for {args.facilities}"
        )


if __name__ == "__main__":
    main()
