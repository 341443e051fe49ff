"""Benchmark: storing raw meter readings (lingtan.metering.store) on SQLite, the embedded default.

Run by hand: ``.venv/bin/python benchmarks/metering_storage.py [--meters N] [--days D]
[--file-meters N] [--file-days D] [--db PATH]``.

Defines ``--meters`` meters (default 1,000) on 50 nodes and stores ``--days`` (default 365)
of 15-minute cumulative readings each (35,040,000 at the defaults) through
:func:`~lingtan.metering.store.ingest_readings` in one transaction, generated meter by meter
(generation is included in the time: it is what a streaming source hands over; storing marks
the days it touched stale for the rollups). Then recomputes every stale daily total
(:func:`~lingtan.metering.rollups.refresh`: time, peak memory). Then imports a
wide-layout CSV file of ``--file-meters`` x ``--file-days`` through
:func:`~lingtan.metering.files.import_readings_file` (the file path: parsing included),
re-imports it (all unchanged) and reports, for both, readings per second and the refresh that
follows each import (a second transaction, as ``lingtan meters import`` does); then the
database size per reading, peak memory (ru_maxrss) and the median latency of

a. monthly totals by node for a year (:func:`~lingtan.metering.rollups.node_monthly_totals`),
b. one meter's 15-minute series for a month: raw readings
   (:func:`~lingtan.metering.store.meter_readings`) and checked intervals
   (:func:`~lingtan.metering.store.stored_intervals`),
c. daily totals of the whole tree for a year (:func:`~lingtan.metering.rollups.tree_daily_totals`),

and, for comparison, (c) computed from the raw registers at each day boundary (the earlier
method: 366 point reads per meter) and every meter's daily totals for a year
(:func:`~lingtan.metering.rollups.daily_totals`, 365,000 rows).
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import resource
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import numpy as np
import sqlalchemy as sa

from bench_plant import bench_store
from lingtan.metering import store
from lingtan.metering.files import import_readings_file
from lingtan.metering.rollups import daily_totals, node_monthly_totals, refresh, tree_daily_totals
from lingtan.metering.store import (
    MeterDefinition,
    NodeDefinition,
    ingest_readings,
    meter_readings,
    stored_intervals,
)
from lingtan.store.db import session_scope

T0 = 1_735_660_800  # 2025-01-01 00:00 +08:00


def _readings(meters: int, days: int, prefix: str = "m") -> Iterator[tuple[str, int, float]]:
    n = days * 96 + 1
    ts = (T0 + 900 * np.arange(n, dtype=np.int64)).tolist()
    rng = np.random.default_rng(1)
    for m in range(meters):
        values = (10_000.0 * m + np.cumsum(rng.gamma(4.0, 3.0, n))).round(2).tolist()
        code = f"{prefix}{m:04d}"
        yield from zip([code] * n, ts, values, strict=True)


def _median_ms(call: Callable[[], object], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def _boundaries(days: int, month: bool) -> list[int]:
    if not month:
        return [T0 + 86_400 * d for d in range(days + 1)]
    out, day = [T0], np.datetime64("2025-01-01")
    while True:
        day = (day.astype("datetime64[M]") + 1).astype("datetime64[D]")
        offset = int((day - np.datetime64("2025-01-01")).astype(int))
        if offset > days:
            return out
        out.append(T0 + 86_400 * offset)


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _bench_db(folder: Path, name: str, meters: int, file_meters: int = 0):
    nodes = [NodeDefinition("site", "Site", "facility")]
    nodes += [NodeDefinition(f"n{i:02d}", f"Line {i}", "line", "site") for i in range(50)]
    defined = [
        MeterDefinition(f"m{m:04d}", "electricity", "kWh", "cumulative", node=f"n{m % 50:02d}")
        for m in range(meters)
    ]
    defined += [
        MeterDefinition(f"f{m:04d}", "electricity", "kWh", "cumulative", node=f"n{m % 50:02d}")
        for m in range(file_meters)
    ]
    return bench_store(folder / name, nodes, defined)


def _marks_cost(folder: Path, meters: int, days: int, repeat: int = 2) -> None:
    """Ingestion with and without the stale marks, interleaved, into fresh databases."""
    mark = store._mark_stale
    rates: dict[bool, list[float]] = {True: [], False: []}
    for i in range(repeat):
        for marks in (True, False):
            engine = _bench_db(folder, f"marks-{i}-{marks}.db", meters)
            store._mark_stale = mark if marks else lambda *_: None
            start = time.perf_counter()
            with session_scope(engine) as session:
                added = ingest_readings(session, "F", _readings(meters, days), origin="b").added
            rates[marks].append(added / (time.perf_counter() - start))
            store._mark_stale = mark
            engine.dispose()
    best = {k: max(v) for k, v in rates.items()}
    print(
        f"stale marks, {meters} meters x {days} days interleaved x{repeat}: "
        f"{best[True]:,.0f} readings/s with, {best[False]:,.0f} without "
        f"(x{best[True] / best[False]:.2f})"
    )


def _totals_by_node(session, boundaries: list[int]) -> dict[tuple[int, int], float]:
    """Energy per node and period from the register at each boundary: one seek per meter and
    boundary in the clustered (meter_id, ts) key (CROSS JOIN fixes SQLite's join order)."""
    session.execute(
        sa.text("CREATE TEMP TABLE IF NOT EXISTS bench_bounds (ts INTEGER PRIMARY KEY)")
    )
    session.execute(sa.text("DELETE FROM bench_bounds"))
    session.execute(
        sa.text("INSERT INTO bench_bounds VALUES (:ts)"), [{"ts": b} for b in boundaries]
    )
    rows = session.execute(
        sa.text(
            "SELECT m.node_id, r.meter_id, r.ts, r.value * m.multiplier FROM meter m "
            "CROSS JOIN bench_bounds b CROSS JOIN meter_reading r "
            "WHERE r.meter_id = m.id AND r.ts = b.ts "
            "ORDER BY r.meter_id, r.ts"
        )
    ).all()
    node, meter, ts, value = (np.array(c) for c in zip(*rows, strict=True))
    same = meter[1:] == meter[:-1]
    delta = np.diff(value)[same]
    period = np.searchsorted(np.array(boundaries), ts[:-1][same])
    totals: dict[tuple[int, int], float] = {}
    for n, p, d in zip(node[:-1][same].tolist(), period.tolist(), delta.tolist(), strict=True):
        totals[n, p] = totals.get((n, p), 0.0) + d
    return totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--meters", type=int, default=1000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--file-meters", type=int, default=100)
    parser.add_argument("--file-days", type=int, default=30)
    parser.add_argument("--db", help="SQLite file (default: a temporary one)")
    parser.add_argument(
        "--marks-meters",
        type=int,
        default=50,
        help="meters of the stale-marks comparison (0: skip)",
    )
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="lingtan-bench-"))
    path = Path(args.db).resolve() if args.db else folder / "bench.db"
    if args.marks_meters:
        _marks_cost(folder, args.marks_meters, args.days)
    engine = _bench_db(path.parent, path.name, args.meters, args.file_meters)

    n = args.meters * (args.days * 96 + 1)
    start = time.perf_counter()
    with session_scope(engine) as session:
        summary = ingest_readings(session, "F", _readings(args.meters, args.days), origin="bench")
        stale = session.execute(sa.text("SELECT count(*) FROM meter_day_stale")).scalar_one()
    seconds = time.perf_counter() - start
    assert summary.added == n, summary
    ingest_peak = _peak_mib()
    with sqlite3.connect(path) as connection:  # outside any transaction
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    size = path.stat().st_size
    print(f"platform: {platform.platform()}, Python {platform.python_version()}")
    print(f"ingest_readings: {n:,} readings in {seconds:.1f} s = {n / seconds:,.0f} readings/s")
    print(f"  {stale:,} (meter, day)s marked stale; peak memory so far {ingest_peak:,.0f} MiB")
    start = time.perf_counter()
    with session_scope(engine) as session:
        done = refresh(session)
    seconds = time.perf_counter() - start
    print(
        f"refresh (all rollups): {done:,} meter-days from {n:,} readings in {seconds:.1f} s "
        f"= {n / seconds:,.0f} readings/s; peak memory {_peak_mib():,.0f} MiB"
    )
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    size = path.stat().st_size
    print(
        f"database: {size / 2**20:,.0f} MiB = {size / n:.1f} bytes/reading "
        "(incl. meters and rollups, WAL checkpointed)"
    )

    csv_path = folder / "wide.csv"
    rows = args.file_days * 96 + 1
    with csv_path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["timestamp", *(f"f{m:04d}" for m in range(args.file_meters))])
        register = np.zeros(args.file_meters)
        rng = np.random.default_rng(2)
        for i in range(rows):
            register += rng.gamma(4.0, 3.0, args.file_meters)
            stamp = np.datetime64(T0 + 900 * i + 8 * 3600, "s").astype(str)  # local +08:00
            writer.writerow([stamp, *register.round(2).tolist()])
    file_n = rows * args.file_meters
    for label in ("import file", "re-import file (all unchanged)"):
        start = time.perf_counter()
        with session_scope(engine) as session:
            result = import_readings_file(session, "F", csv_path)
        seconds = time.perf_counter() - start
        start = time.perf_counter()
        with session_scope(engine) as session:
            done = refresh(session)
        refresh_s = time.perf_counter() - start
        print(
            f"{label}: {file_n:,} readings ({csv_path.stat().st_size / 2**20:.0f} MiB wide CSV) "
            f"in {seconds:.1f} s = {file_n / seconds:,.0f} readings/s; "
            f"added {result.readings.added:,}; then refresh of {done:,} meter-days "
            f"in {refresh_s:.2f} s"
        )

    with session_scope(engine, read_only=True) as session:
        fid = session.execute(sa.text("SELECT id FROM facility WHERE code = 'F'")).scalar_one()
        first = date(2025, 1, 1)
        year = (first, date.fromordinal(first.toordinal() + args.days))
        code = "m0500" if args.meters > 500 else "m0000"
        month = {"start": T0, "end": T0 + 31 * 86_400}
        a = _median_ms(lambda: node_monthly_totals(session, fid, *year))
        b = _median_ms(lambda: meter_readings(session, "F", code, **month))
        b2 = _median_ms(lambda: stored_intervals(session, "F", code, **month))
        c = _median_ms(lambda: tree_daily_totals(session, fid, *year))
        c_raw = _median_ms(lambda: _totals_by_node(session, _boundaries(args.days, False)), 3)
        every = _median_ms(lambda: daily_totals(session, fid, *year), repeat=3)
        rows = tree_daily_totals(session, fid, *year).energy.size
    print(f"(a) monthly totals by node for a year (rollups): {a:.1f} ms")
    print(f"(b) one meter's 15-minute series for a month: raw {b:.1f} ms, checked {b2:.1f} ms")
    print(f"(c) daily totals of the whole tree for a year (rollups, {rows:,} rows): {c:.1f} ms")
    print(f"    (c) from raw registers at day boundaries, for comparison: {c_raw:.1f} ms")
    print(f"    daily_totals of every meter for a year: {every:.1f} ms")
    print(f"peak memory (ru_maxrss): {_peak_mib():,.0f} MiB")
    engine.dispose()
    for file in folder.iterdir():  # the temporary folder (a --db file lies elsewhere)
        os.remove(file)
    folder.rmdir()


if __name__ == "__main__":
    main()
