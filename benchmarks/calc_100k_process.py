"""Benchmark: ``lingtan calc`` on 100,000 sources as a whole process, beside pandas.

Run by hand: ``.venv/bin/python benchmarks/calc_100k_process.py [--lines N] [--repeat R]``
(needs pandas, in the ``test`` extra).

Writes the sources of ``inventory_100k.py`` (same mix and seed) as a calc file in JSON, then
runs, alternated ``--repeat`` times so that the machine's load falls on each alike:

* ``lingtan calc FILE --format json`` -- parse and check the file, compute the inventory,
  write the JSON contract (to a file in the temporary directory);
* the peer, a new Python process that reads the same JSON with ``json`` and totals the
  quantities by kind, unit and fuel or region in pandas -- the least a script would do.

It prints the median wall and CPU time (user + system, from the children's resource usage) of
each and their ratio, and the size of the JSON written. Goal (issue 10, done-when): the whole
process at most 3x the peer.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from inventory_100k import _fields, build

LINGTAN = Path(sys.executable).with_name("lingtan")
PEER = """
import json, sys
import pandas as pd
with open(sys.argv[1]) as f:
    document = json.load(f)
frame = pd.DataFrame.from_records(document["sources"])
path = frame["fuel"].fillna(frame["gas"]).fillna(frame["medium"]).fillna(frame["region"])
frame["path"] = path.fillna("")
totals = frame.groupby(["kind", "unit", "path"])["quantity"].sum()
print(len(frame), totals.sum())
"""


def write_input(lines: int, path: Path) -> None:
    inventory = build(lines)
    sources = [
        {k: v for k, v in _fields(s).items() if v not in (None, (), "")} for s in inventory.sources
    ]
    document = {
        "facility": {"name": inventory.facility_name, "region": inventory.region},
        "period": {"start": "2025-01-01", "end": "2025-12-31"},
        "sources": sources,
        "instruments": [
            {"id": "gec", "kind": "gec", "quantity": inventory.instruments[0].quantity,
             "unit": "MWh"}
        ],
    }  # fmt: skip
    path.write_text(json.dumps(document))


def timed(command: list[str], stdout) -> tuple[float, float]:
    """Wall and CPU seconds of one run of ``command``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, stdout=stdout, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        source, written = Path(tmp, "sources.json"), Path(tmp, "inventory.json")
        write_input(args.lines, source)
        calc = [str(LINGTAN), "calc", str(source), "--format", "json"]
        peer = [sys.executable, "-c", PEER, str(source)]
        runs: dict[str, list[tuple[float, float]]] = {"calc": [], "peer": []}
        for round_ in range(args.repeat + 1):  # the first round warms the caches
            with written.open("wb") as out:
                calc_time = timed(calc, out)
            peer_time = timed(peer, subprocess.DEVNULL)
            if round_:
                runs["calc"].append(calc_time)
                runs["peer"].append(peer_time)
        size_mb = written.stat().st_size / 1e6
        input_mb = source.stat().st_size / 1e6
    median = {
        name: {
            "wall_s": statistics.median(w for w, _ in times),
            "cpu_s": statistics.median(c for _, c in times),
        }
        for name, times in runs.items()
    }
    print(
        json.dumps(
            {
                "lines": args.lines,
                "input_mb": round(input_mb, 1),
                "json_mb": round(size_mb, 1),
                **median,
                "ratio_wall": median["calc"]["wall_s"] / median["peer"]["wall_s"],
                "ratio_cpu": median["calc"]["cpu_s"] / median["peer"]["cpu_s"],
                "machine": f"{platform.machine()} {os.cpu_count()} cores, "
                f"Python {platform.python_version()}, load {os.getloadavg()[0]:.1f}",
                "date": date.today().isoformat(),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
