"""The demo's inventory report as PDF, per language: this tree against an earlier commit.

Run by hand (not a test)::

    PYTHONPATH=src python benchmarks/report_pdf.py [--before 4b1849c] [--rounds 2] [--runs 3]

The earlier commit's ``src`` is unpacked into a temporary folder (``git archive``) and each
side runs in its own Python process, the two alternated ``--rounds`` times. A process times
``render_pdf(ReportData.example(demo), lang)`` ``--runs`` times for zh-CN, then for en: the
first call of a process includes importing WeasyPrint and loading the fonts, the median of
the others is the steady cost. Figures are wall seconds; ``uptime`` is printed with them.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "examples" / "demo-cell-plant.yaml"

#: What each side's process runs: JSON ``{lang: [seconds per run]}`` on stdout.
CHILD = """
import json, sys, time
from pathlib import Path
from lingtan.reports.data import ReportData
from lingtan.reports.pdf import render_pdf
data = ReportData.example(Path(sys.argv[1]))
times = {}
for lang in ("zh-CN", "en"):
    times[lang] = []
    for _ in range(int(sys.argv[2])):
        start = time.perf_counter()
        render_pdf(data, lang)
        times[lang].append(time.perf_counter() - start)
print(json.dumps(times))
"""


def unpack(commit: str, into: Path) -> Path:
    """``src`` of ``commit`` unpacked under ``into``; returns that ``src``."""
    archive = subprocess.run(
        ["git", "archive", commit, "src"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into / "src"


def run(src: Path, runs: int) -> dict[str, list[float]]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(DEMO), str(runs)],
        env={**os.environ, "PYTHONPATH": str(src)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out.splitlines()[-1])


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="4b1849c", help="the commit to compare with")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    sides: dict[str, list[dict[str, list[float]]]] = {"before": [], "after": []}
    with tempfile.TemporaryDirectory() as tmp:
        srcs = {"before": unpack(args.before, Path(tmp)), "after": ROOT / "src"}
        print(uptime())
        for _ in range(args.rounds):
            for side in ("before", "after"):
                sides[side].append(run(srcs[side], args.runs))
                print(side, json.dumps(sides[side][-1]), "|", uptime(), flush=True)
    # The first zh-CN call of a process pays the imports and font loading; en comes after it.
    report("first call of a process (zh-CN)", sides, lambda r: r["zh-CN"][:1])
    report("zh-CN, later calls", sides, lambda r: r["zh-CN"][1:])
    report("en", sides, lambda r: r["en"])


def report(label: str, sides: dict[str, list[dict[str, list[float]]]], pick: Any) -> None:
    before, after = (statistics.median(t for r in sides[s] for t in pick(r)) for s in sides)
    print(
        f"{label}: median before {before:.2f} s, after {after:.2f} s, ratio {before / after:.2f}x"
    )


if __name__ == "__main__":
    main()
