"""Benchmark: import an activity file of 100,000 rows (goal: under 10 s).

Run by hand: ``.venv/bin/python benchmarks/import_100k.py [--rows N] [--db URL] [--xlsx]``.
Without ``--db`` it uses a fresh SQLite file (the embedded default). The file has daily records
of 100 electricity meters; the facility and its sources are imported first, then the file is
timed: parsing and checking alone, then the whole import (parse, compare with stored data,
insert, audit) in one transaction. Record the figures in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from openpyxl import Workbook

from lingtan.imports.load import import_file
from lingtan.imports.parse import parse_file
from lingtan.imports.template import write_workbook
from lingtan.store.db import make_engine, session_scope, upgrade
from lingtan.store.evidence import EvidenceStore

METERS = 100


def write_rows(path: Path, rows: int, xlsx: bool) -> Path:
    header = ["source_id", "period_start", "period_end", "quantity", "unit", "origin"]
    days = -(-rows // METERS)
    start = date(2000, 1, 1)

    def data():
        for meter in range(METERS):
            for offset in range(days):
                if meter * days + offset >= rows:
                    return
                day = start + timedelta(days=offset)
                yield [f"m{meter:03d}", day, day, 100.0 + (offset * 7 + meter) % 50, "kWh", "meter"]

    if xlsx:
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("活动数据 Activity")
        sheet.append(header)
        for row in data():
            sheet.append(row)
        workbook.save(path)
    else:
        with path.open("w", encoding="utf-8") as handle:
            handle.write(",".join(header) + "\n")
            for row in data():
                handle.write(",".join(map(str, row)) + "\n")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--db", help="Database URL (default: a fresh SQLite file).")
    parser.add_argument("--xlsx", action="store_true", help="Time an .xlsx file, not CSV.")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="lingtan-bench-"))
    url = args.db or f"sqlite:///{folder / 'bench.db'}"
    engine = make_engine(url)
    upgrade(engine)
    evidence = EvidenceStore(folder / "evidence")
    facility = write_workbook(
        folder / "facility.xlsx",
        {
            "报告主体 Facility": [["Bench Co", "B1", "Bench plant", "CN-JS"]],
            "排放源 Sources": [[f"m{i:03d}", "purchased_electricity", f"Meter {i}"]
                              for i in range(METERS)],
        },
    )  # fmt: skip
    with session_scope(engine) as session:
        import_file(session, facility, evidence=evidence, actor="bench")
    data = write_rows(folder / ("rows.xlsx" if args.xlsx else "rows.csv"), args.rows, args.xlsx)

    known = {f"m{i:03d}": ("purchased_electricity", {}) for i in range(METERS)}
    started = time.perf_counter()
    parse_file(data, facility_code="B1", sources_of=lambda _code: known)
    parse_s = time.perf_counter() - started

    started = time.perf_counter()
    with session_scope(engine) as session:
        summary = import_file(session, data, evidence=evidence, actor="bench", facility_code="B1")
    import_s = time.perf_counter() - started

    started = time.perf_counter()
    with session_scope(engine) as session:
        again = import_file(session, data, evidence=evidence, actor="bench", facility_code="B1")
    reimport_s = time.perf_counter() - started
    engine.dispose()
    print(
        json.dumps(
            {
                "rows": args.rows,
                "format": "xlsx" if args.xlsx else "csv",
                "database": url.split(":", 1)[0],
                "file_mb": round(data.stat().st_size / 1e6, 2),
                "parse_and_check_s": round(parse_s, 3),
                "import_s": round(import_s, 3),
                "rows_per_s": round(args.rows / import_s),
                "reimport_unchanged_s": round(reimport_s, 3),
                "added": summary.added["activity"],
                "unchanged_on_reimport": again.unchanged["activity"],
                "machine": f"{platform.machine()} {os.cpu_count()} cores, "
                f"Python {platform.python_version()}",
                "date": date.today().isoformat(),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
