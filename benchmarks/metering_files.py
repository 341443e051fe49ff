"""Benchmark: ``lingtan meters import`` of a long CSV file and a wide XLSX workbook.

Run by hand: ``.venv/bin/python benchmarks/metering_files.py [--meters N] [--days D]
[--profile] [--versus-duckdb [--repeat R]]``.

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

``--versus-duckdb`` instead writes only the long CSV (default 100 meters x 365 days, 3.5
million readings) and, ``--repeat`` times interleaved in this one process, imports it into a
fresh SQLite store as ``lingtan meters import`` does (the file in one transaction, then the
daily totals' refresh in a second) and loads it with DuckDB into a table keyed by meter and
time (``INSERT INTO ... SELECT * FROM read_csv(...)``, committed); it prints best and median
of each, readings/s, their ratio and the load average.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import os
import platform
import pstats
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from openpyxl import Workbook

from bench_plant import bench_store
from lingtan.metering.files import _read, import_readings_file
from lingtan.metering.rollups import refresh
from lingtan.metering.store import MeterDefinition
from lingtan.store.db import make_engine, session_scope

T0 = 1_735_660_800  # 2025-01-01 00:00 +08:00


def _series(meters: int, days: int) -> tuple[list[str], np.ndarray]:
    rows = days * 96 + 1
    stamps = (np.datetime64(T0 + 8 * 3600, "s") + 900 * np.arange(rows)).astype(str).tolist()
    rng = np.random.default_rng(3)
    registers = np.cumsum(rng.gamma(4.0, 3.0, (rows, meters)), axis=0).round(2)
    return stamps, registers


def _write_long(folder: Path, meters: int, days: int) -> tuple[Path, int]:
    stamps, registers = _series(meters, days)
    codes = [f"f{m:04d}" for m in range(meters)]
    long_csv = folder / "long.csv"
    with long_csv.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["meter", "timestamp", "value"])
        for stamp, row in zip(stamps, registers.tolist(), strict=True):
            writer.writerows((code, stamp, value) for code, value in zip(codes, row, strict=True))
    return long_csv, registers.size


def _write_files(folder: Path, meters: int, days: int) -> tuple[Path, Path, int]:
    long_csv, _ = _write_long(folder, meters, days)
    stamps, registers = _series(meters, days)
    codes = [f"f{m:04d}" for m in range(meters)]
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


def _lingtan(folder: Path, path: Path, meters: int, n: int) -> tuple[float, float]:
    """Seconds to import ``path`` into a fresh store and to refresh the daily totals after."""
    url = _store(folder / "lingtan.db", meters)
    engine = make_engine(url)
    start = time.perf_counter()
    with session_scope(engine) as session:
        result = import_readings_file(session, "F", path)
    imported = time.perf_counter()
    with session_scope(engine) as session:
        refresh(session)
    done = time.perf_counter()
    engine.dispose()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{folder / 'lingtan.db'}{suffix}").unlink(missing_ok=True)
    assert result.readings.added == n, result
    return imported - start, done - imported


def _duckdb(folder: Path, path: Path, n: int) -> float:
    """Seconds for DuckDB to load ``path`` into a table keyed by meter and time."""
    import duckdb

    database = folder / "bench.duckdb"
    database.unlink(missing_ok=True)
    connection = duckdb.connect(str(database))
    connection.execute(
        "CREATE TABLE reading (meter VARCHAR, ts TIMESTAMP, value DOUBLE, PRIMARY KEY (meter, ts))"
    )
    start = time.perf_counter()
    connection.execute("BEGIN")
    connection.execute(
        "INSERT INTO reading SELECT * FROM read_csv(?, header = true, columns = "
        "{'meter': 'VARCHAR', 'timestamp': 'TIMESTAMP', 'value': 'DOUBLE'})",
        [str(path)],
    )
    connection.execute("COMMIT")
    seconds = time.perf_counter() - start
    assert connection.execute("SELECT count(*) FROM reading").fetchone() == (n,)
    connection.close()
    database.unlink()
    return seconds


def _versus_duckdb(folder: Path, meters: int, days: int, repeat: int) -> None:
    path, n = _write_long(folder, meters, days)
    size = path.stat().st_size / 2**20
    print(f"{path.name}: {n:,} readings, {size:.0f} MiB; load average before {os.getloadavg()}")
    ours, theirs, refreshes = [], [], []
    for _ in range(repeat):
        imported, refreshed = _lingtan(folder, path, meters, n)
        ours.append(imported + refreshed)
        refreshes.append(refreshed)
        theirs.append(_duckdb(folder, path, n))
        print(
            f"  lingtan {imported:.2f} s + refresh {refreshed:.2f} s = {ours[-1]:.2f} s; "
            f"DuckDB {theirs[-1]:.2f} s; load average {os.getloadavg()[0]:.1f}"
        )
    for name, times in (("lingtan, refresh included", ours), ("DuckDB", theirs)):
        best, median = min(times), statistics.median(times)
        print(
            f"{name}: best {best:.2f} s = {n / best:,.0f} readings/s, "
            f"median {median:.2f} s = {n / median:,.0f} readings/s"
        )
    print(f"  of which refresh: best {min(refreshes):.2f} s")
    ratio = min(theirs) / min(ours)
    print(f"lingtan's rate / DuckDB's (best of each): {ratio:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--meters", type=int, default=100)
    parser.add_argument("--days", type=int, help="default 30; 365 with --versus-duckdb")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--versus-duckdb", action="store_true")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="lingtan-bench-"))
    print(f"platform: {platform.platform()}, Python {platform.python_version()}")
    if args.versus_duckdb:
        _versus_duckdb(folder, args.meters, args.days or 365, args.repeat)
        return
    args.days = args.days or 30
    long_csv, wide_xlsx, n = _write_files(folder, args.meters, args.days)
    for path in (long_csv, wide_xlsx):
        url = _store(folder / f"{path.stem}.db", args.meters)
        size = path.stat().st_size / 2**20
        meters = {f"f{m:04d}": (m + 1, False) for m in range(args.meters)}
        start = time.perf_counter()
        checker, readings = _read(
            path,
            meters,
            utc_offset_min=480,
            now=datetime.now(UTC),
            chunk_size=50_000,
            csv_reader="arrow",
        )
        assert sum(chunk[0].size for chunk in readings) == n and not checker.problems
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
