"""Benchmark: does ``lingtan serve --workers N`` lose a worker while it starts?

Run by hand: ``PYTHONPATH=src .venv/bin/python benchmarks/serve_start.py [--starts 3]
[--workers 2] [--compare OTHER/src]``.

Initialises a SQLite database in a temporary folder, then starts the installed ``lingtan``
(the console script: each worker imports it first) ``--starts`` times, alternated with the
same on another source tree when ``--compare`` is given. Each start is watched for
``--watch`` seconds (default 30): it prints when all workers had started serving (uvicorn's
"Application startup complete.", a replacement's included) and how many uvicorn took for hung
and replaced ("Child process … died"), with the load average.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from startup import machine
from web_overview_load import _free_port

LINGTAN = Path(sys.executable).with_name("lingtan")


def start(url: str, workers: int, env: dict[str, str], log: Path, watch_s: float) -> str:
    """One start, watched for ``watch_s``: a line of what happened."""
    load = os.getloadavg()[0]
    command = [str(LINGTAN), "--db", url, "serve", "--port", str(_free_port())]
    with log.open("wb") as out:
        server = subprocess.Popen(
            [*command, "--workers", str(workers)], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    began, ready_s = time.monotonic(), None
    try:
        while time.monotonic() - began < watch_s and server.poll() is None:
            if ready_s is None and log.read_text().count("startup complete") >= workers:
                ready_s = time.monotonic() - began
            time.sleep(0.2)
    finally:
        server.terminate()
        server.wait(timeout=60)
    text = log.read_text(errors="replace")
    ready = "never" if ready_s is None else f"after {ready_s:.1f} s"
    return f"all {workers} serving {ready}; lost {text.count('died')}; load {load:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--starts", type=int, default=3, help="Starts of each tree.")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes.")
    parser.add_argument("--watch", type=float, default=30.0, help="Seconds each start is watched.")
    parser.add_argument("--compare", metavar="SRC", help="Another source tree, alternated.")
    args = parser.parse_args()
    trees = {"this tree": dict(os.environ)}
    if args.compare:
        trees[args.compare] = {**os.environ, "PYTHONPATH": str(Path(args.compare).resolve())}
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'lingtan.db'}"
        subprocess.run([str(LINGTAN), "--db", url, "init"], check=True, capture_output=True)
        print(machine())
        for round_ in range(1, args.starts + 1):
            for name, env in trees.items():
                outcome = start(url, args.workers, env, Path(folder) / "serve.log", args.watch)
                print(f"start {round_}, {name}: {outcome}", flush=True)


if __name__ == "__main__":
    main()
