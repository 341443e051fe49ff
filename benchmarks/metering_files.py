"""Benchmark: ``lingtan meters import`` of a long CSV file and a wide XLSX workbook.

Run by hand: ``.venv/bin/python benchmarks/metering_files.py [--meters N] [--days D]
[--profile]``.

Writes ``--meters`` (default 100) cumulative meters x ``--days`` (default 30) of 15-minute
readings as a long CSV (one reading per row) and as a wide XLSX (one row per time, one column
per meter) and, for each file:

1. times reading and checking it alone (the rows turned into readings, no database);
2. into a fresh SQLite store with the meters defined, times
   :func:`~lingtan.metering.files.import_readings_file` in this process (reading, checking
   and storing the file in one transaction);
3. runs ``lingtan meters import`` as a separate process and reports its wall time (startup
   and the daily totals' refresh included, as a user sees it) and peak memory.

``--profile`` instead profiles step 2 with cProfile and prints the top functions.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import platform
import pstats
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from openpyxl import Workbook

from bench_plant import bench_store
from lingtan.metering.files import _Reader, import_readings_file, iter_rows
from lingtan.metering.store import MeterDefinition
from lingtan.store.db import make_engine, session_scope

T0 = 1_735_660_800  # 2025-01-01 00:00 +08:00


def _series(meters: int, days: int) -> tuple[list[str], np.ndarray]:
    rows = days * 96 + 1
    stamps = (np.datetime64(T0 + 8 * 3600, "s") + 900 * np.arange(rows)).astype(str).tolist()
    rng = np.random.default_rng(3)
    registers = np.cumsum(rng.gamma(4.0, 3.0, (rows, meters)), axis=0).round(2)
    return stamps, registers


def _write_files(folder: Path, meters: int, days: int) -> tuple[Path, Path, int]:
    stamps, registers = _series(meters, days)
    codes = [f"f{m:04d}" for m in range(meters)]
    long_csv = folder / "long.csv"
    with long_csv.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["meter", "timestamp", "value"])
        for stamp, row in zip(stamps, registers.tolist(), strict=True):
            writer.writerows((code, stamp, value) for code, value in zip(codes, row, strict=True))
    wide_xlsx = folder / "wide.xlsx"
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("readings")
    sheet.append(["timestamp", *codes])
    for stamp, row in zip(stamps, registers.tolist(), strict=True):
        sheet.append([stamp, *row])
    workbook.save(wide_xlsx)
    return long_csv, wide_xlsx, registers.size


def _store(path: Path, meters: int) -> str:
    meters_defined = [
        MeterDefinition(f"f{m:04d}", "electricity", "kWh", "cumulative") for m in range(meters)
    ]
    bench_store(path, [], meters_defined).dispose()
    return f"sqlite:///{path}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--meters", type=int, default=100)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="lingtan-bench-"))
    long_csv, wide_xlsx, n = _write_files(folder, args.meters, args.days)
    print(f"platform: {platform.platform()}, Python {platform.python_version()}")
    for path in (long_csv, wide_xlsx):
        url = _store(folder / f"{path.stem}.db", args.meters)
        size = path.stat().st_size / 2**20
        meters = {f"f{m:04d}": False for m in range(args.meters)}
        start = time.perf_counter()
        reader = _Reader(
            path.name, iter_rows(path), meters, utc_offset_min=480, now=datetime.now(UTC)
        )
        assert sum(1 for _ in reader.readings()) == n and not reader.problems
        seconds = time.perf_counter() - start
        print(f"{path.name} ({size:.1f} MiB): reading alone {seconds:.2f} s = {n / seconds:,.0f}/s")
        engine = make_engine(url)
        with session_scope(engine) as session:
            if args.profile:
                profile = cProfile.Profile()
                profile.runcall(import_readings_file, session, "F", path)
                print(f"--- {path.name} ({size:.1f} MiB, {n:,} readings)")
                pstats.Stats(profile).sort_stats("tottime").print_stats(12)
                session.rollback()
                continue
            start = time.perf_counter()
            result = import_readings_file(session, "F", path)
            seconds = time.perf_counter() - start
            session.rollback()  # the command below imports it again
        engine.dispose()
        assert result.readings.added == n, result
        print(
            f"  import_readings_file {n:,} readings in "
            f"{seconds:.2f} s = {n / seconds:,.0f} readings/s"
        )
        command = [sys.executable, "-m", "lingtan", "--db", url, "meters", "import", str(path)]
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, text=True, check=True)
        seconds = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(
            f"  lingtan meters import: {seconds:.2f} s wall; peak memory of the command "
            f"processes so far {peak:.0f} MiB"
        )


if __name__ == "__main__":
    main()
