"""Benchmark: the start-up of ``lingtan --help`` and ``lingtan calc`` against ``python -c pass``.

Run by hand: ``PYTHONPATH=src .venv/bin/python benchmarks/startup.py [--repeat 15]
[--compare OTHER/src]``.

Runs, alternated ``--repeat`` times in one run so that the machine's load falls on each alike:

* ``python -c pass`` -- the interpreter alone, the floor of every command;
* ``lingtan --help`` -- the command table;
* ``lingtan calc examples/demo-cell-plant.yaml`` -- an inventory from one file (docs/calc.md);
* the same with ``--lang zh-CN`` -- Chinese tables, so the .po catalogue is read at start
  (``lingtan.i18n.catalog``; no compiled .mo): the difference is the catalogue's cost;

each as a new process of the installed ``lingtan`` command (beside this Python), with this
``PYTHONPATH``, output discarded. It prints the median wall and CPU time (user + system, from
the children's resource usage) of each and the ratios to ``python -c pass``. ``--compare``
also runs the two commands with ``PYTHONPATH`` set to another source tree (an older checkout:
``git archive HEAD~3 src | tar -x -C /tmp/before``), in the same rounds.

Goals (issue 10, part 3): ``lingtan calc`` under 0.5 s, ``lingtan --help`` under 0.3 s of wall
time on a quiet machine. The first ``lingtan`` run writes pint's cache (``lingtan.units``); a
warm-up round runs before the measured ones.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "demo-cell-plant.yaml"
LINGTAN = Path(sys.executable).with_name("lingtan")


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU time of one run [s]; the command must succeed."""
    cpu, began = _children_cpu_s(), time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - began, _children_cpu_s() - cpu


def _cases(compare: str | None) -> dict[str, tuple[list[str], dict[str, str]]]:
    here = dict(os.environ)
    commands = {
        "--help": [str(LINGTAN), "--help"],
        "calc": [str(LINGTAN), "calc", str(EXAMPLE)],
        "calc --lang zh-CN": [str(LINGTAN), "--lang", "zh-CN", "calc", str(EXAMPLE)],
    }
    cases = {"python -c pass": ([sys.executable, "-c", "pass"], here)}
    cases |= {f"lingtan {name}": (command, here) for name, command in commands.items()}
    if compare:
        other = {**here, "PYTHONPATH": str(Path(compare).resolve())}
        cases |= {f"lingtan {name} ({compare})": (c, other) for name, c in commands.items()}
    return cases


def machine() -> str:
    return (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=15, help="Rounds (each runs every case).")
    parser.add_argument("--compare", metavar="SRC", help="Another source tree, run alongside.")
    args = parser.parse_args()
    cases = _cases(args.compare)
    for command, env in cases.values():  # warm-up: pint's cache, the page cache
        _run(command, env)
    print(machine())
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
    for _ in range(args.repeat):
        for name, (command, env) in cases.items():
            times[name].append(_run(command, env))
    floor = statistics.median(wall for wall, _ in times["python -c pass"])
    print(f"{'case':<40} {'wall':>8} {'best':>8} {'CPU':>8} {'ratio':>7}  ({args.repeat} runs)")
    for name, runs in times.items():
        wall = statistics.median(w for w, _ in runs)
        cpu = statistics.median(c for _, c in runs)
        best = min(w for w, _ in runs)
        print(f"{name:<40} {wall:>7.3f}s {best:>7.3f}s {cpu:>7.3f}s {wall / floor:>6.1f}x")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
