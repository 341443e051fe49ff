"""How long ``lingtan demo --no-serve`` takes to build the demo factory, from an empty folder.

The demo is the README's first command: the factory, its meters and their year of readings,
the inventory locked, the reports in both languages, the efficiency register and diagnosis,
the ledger and the footprint study. Run by hand (not a test)::

    .venv/bin/python benchmarks/demo_build.py [--runs 3]

It prints each run's wall time and CPU time and the median; record them with the machine and
its load in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def build_once() -> tuple[float, float]:
    """Wall and CPU seconds of one demo build into a new temporary folder."""
    with tempfile.TemporaryDirectory() as folder:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "lingtan", "demo", "--output-dir", str(Path(folder) / "out"),
             "--no-serve"],
            check=True,
            capture_output=True,
        )  # fmt: skip
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    walls, cpus = [], []
    for number in range(1, runs + 1):
        wall, cpu = build_once()
        walls.append(wall)
        cpus.append(cpu)
        load = os.getloadavg()[0]
        print(f"run {number}: {wall:.1f} s wall, {cpu:.1f} s CPU (load {load:.1f})")
    print(f"median: {statistics.median(walls):.1f} s wall, {statistics.median(cpus):.1f} s CPU")


if __name__ == "__main__":
    main()
