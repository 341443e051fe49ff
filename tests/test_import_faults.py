"""Faults around imports, with real processes: a killed import, concurrent imports."""

import os
import signal
import subprocess
import sys
import time
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from lingtan.imports.template import write_workbook
from lingtan.store import audit
from lingtan.store.db import session_scope
from lingtan.store.models import ActivityRecord, ImportBatch

SOURCES = [[f"meter-{i}", "purchased_electricity", f"Meter {i}"] for i in range(20)]


def lingtan(url, *args):
    env = {**os.environ, "LINGTAN_USER": "test"}
    return subprocess.Popen(
        [sys.executable, "-m", "lingtan", "--db", url, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def setup_facility(url, folder):
    book = write_workbook(
        folder / "facility.xlsx",
        {
            "报告主体 Facility": [["Fault Co", "F1", "Fault plant", "CN-ZJ"]],
            "排放源 Sources": SOURCES,
        },
    )
    for args in (["init"], ["import", "activity", str(book)]):
        process = lingtan(url, *args)
        _out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err


def daily_csv(path, meters, days, start=date(2020, 1, 1)):
    with path.open("w", encoding="utf-8") as handle:
        handle.write("source_id,period_start,period_end,quantity,unit,origin\n")
        for meter in meters:
            for offset in range(days):
                day = start + timedelta(days=offset)
                handle.write(f"meter-{meter},{day},{day},{10 + offset % 7},MWh,meter\n")
    return path


def records(engine):
    with engine.connect() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(ActivityRecord)).scalar()


def writing(engine, url) -> bool:
    """Whether an import is inside its write transaction right now."""
    if url.startswith("sqlite"):
        wal = url.removeprefix("sqlite:///") + "-wal"
        return os.path.exists(wal) and os.path.getsize(wal) > 100_000
    with engine.connect() as connection:
        return bool(
            connection.exec_driver_sql(
                "SELECT count(*) FROM pg_locks l JOIN pg_class c ON l.relation = c.oid "
                "WHERE c.relname = 'activity_record' AND l.mode = 'RowExclusiveLock'"
            ).scalar()
        )


def test_killed_import_leaves_no_partial_data(store_engine, database_url, tmp_path):
    setup_facility(database_url, tmp_path)
    big = daily_csv(tmp_path / "big.csv", range(20), 3000)  # 60,000 rows
    process = lingtan(database_url, "import", "activity", "--facility", "F1", str(big))
    deadline = time.monotonic() + 60
    while not writing(store_engine, database_url):
        assert process.poll() is None, "the import ended before it could be killed"
        assert time.monotonic() < deadline, "the import never started writing"
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    store_engine.dispose()
    assert records(store_engine) == 0
    with store_engine.connect() as connection:
        batches = connection.execute(sa.select(sa.func.count()).select_from(ImportBatch)).scalar()
    assert batches == 1  # the facility workbook only
    # the same file imports cleanly afterwards
    again = lingtan(database_url, "import", "activity", "--facility", "F1", str(big))
    _out, err = again.communicate(timeout=300)
    assert again.returncode == 0, err
    assert records(store_engine) == 60_000


def test_concurrent_imports_do_not_corrupt_each_other(store_engine, database_url, tmp_path):
    setup_facility(database_url, tmp_path)
    first = daily_csv(tmp_path / "a.csv", range(0, 10), 400)
    second = daily_csv(tmp_path / "b.csv", range(10, 20), 400)
    processes = [
        lingtan(database_url, "import", "activity", "--facility", "F1", str(path))
        for path in (first, second, first)  # the same file twice, at the same time
    ]
    for process in processes:
        _out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
    assert records(store_engine) == 8000
    with session_scope(store_engine) as session:
        report = audit.verify(session)
    assert report.ok, report.problems


def limited(url, *args, memory_mib=1024, env=None, timeout=300):
    """lingtan in a process whose address space is limited to ``memory_mib``."""
    code = (
        "import resource, runpy, sys\n"
        f"limit = {memory_mib} << 20\n"
        "resource.setrlimit(resource.RLIMIT_AS, (limit, limit))\n"
        "sys.argv = ['lingtan', *sys.argv[1:]]\n"
        "runpy.run_module('lingtan', run_name='__main__')\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code, "--db", url, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "LINGTAN_USER": "test", **(env or {})},
    )


def bad_csv(path, rows):
    """Every row wrong thrice: an unknown source, a month 13 and a negative quantity."""
    with path.open("w", encoding="utf-8") as handle:
        handle.write("source_id,period_start,period_end,quantity,unit\n")
        for row in range(rows):
            handle.write(f"nope-{row},2020-13-01,2020-01-01,-1,MWh\n")
    return path


def test_a_file_of_half_a_million_bad_rows_is_refused_in_bounded_memory(tmp_path):
    url = f"sqlite:///{tmp_path / 'lingtan.db'}"
    setup_facility(url, tmp_path)
    bad = bad_csv(tmp_path / "bad.csv", 500_000)
    started = time.monotonic()
    done = limited(url, "import", "activity", str(bad), env={"LINGTAN_MAX_IMPORT_ROWS": "1000000"})
    assert done.returncode == 2, done.stderr[-2000:]
    assert time.monotonic() - started < 120
    listed = [line for line in done.stderr.splitlines() if line.startswith("  - ")]
    assert len(listed) == 100
    assert f"  {3 * 500_000 - 100} more problems not listed" in done.stderr.splitlines()
    assert "refused, nothing written" in done.stderr
    assert records(sa.create_engine(url)) == 0


def test_a_file_of_three_million_rows_stops_at_the_row_limit(tmp_path):
    url = f"sqlite:///{tmp_path / 'lingtan.db'}"
    setup_facility(url, tmp_path)
    big = daily_csv(tmp_path / "big.csv", range(20), 150_000, start=date(2000, 1, 1))
    started = time.monotonic()
    done = limited(url, "import", "activity", str(big))
    assert done.returncode == 2, done.stderr[-2000:]
    assert time.monotonic() - started < 120
    first = done.stderr.splitlines()[1]
    assert "holds more than 250000 data rows" in first and "LINGTAN_MAX_IMPORT_ROWS" in first
    assert records(sa.create_engine(url)) == 0


def test_a_quantity_whose_results_would_overflow_is_refused_at_import(tmp_path):
    url = f"sqlite:///{tmp_path / 'lingtan.db'}"
    setup_facility(url, tmp_path)
    path = tmp_path / "huge.csv"
    path.write_text(
        "source_id,period_start,period_end,quantity,unit\nmeter-1,2025-01-01,2025-01-31,1e308,MWh\n",
        encoding="utf-8",
    )
    done = limited(url, "import", "activity", str(path))
    assert done.returncode == 2
    assert "'column D (quantity)' = 1e+308: must be at most 1e+15" in done.stderr
    assert records(sa.create_engine(url)) == 0


def test_a_big_workbook_is_read_a_row_at_a_time_alike_and_a_huge_one_refused(tmp_path, monkeypatch):
    from lingtan.errors import InputTooLargeError
    from lingtan.imports import tables

    book = write_workbook(
        tmp_path / "facility.xlsx",
        {
            "报告主体 Facility": [["Fault Co", "F1", "Fault plant", "CN-ZJ"]],
            "排放源 Sources": SOURCES,
        },
    )

    def read():  # calamine pads a row to the sheet's width, openpyxl to the row's
        return [
            (t.name, t.header, [(n, " ".join(map(str, v)).rstrip()) for n, v in t.rows])
            for t in tables.read_tables(book)
        ]

    by_calamine = read()
    monkeypatch.setattr(tables, "CALAMINE_XLSX_BYTES", 0)  # every workbook is "big"
    assert read() == by_calamine
    assert [len(rows) for name, _, rows in by_calamine if "Sources" in name] == [len(SOURCES)]
    monkeypatch.setattr(tables, "MAX_XLSX_BYTES", 1000)
    with pytest.raises(InputTooLargeError, match="more than the limit of 1000"):
        read()


def test_repeated_and_overlapping_periods_are_refused_naming_both_rows(tmp_path):
    url = f"sqlite:///{tmp_path / 'lingtan.db'}"
    setup_facility(url, tmp_path)
    head = "source_id,period_start,period_end,quantity,unit\n"
    first = tmp_path / "first.csv"
    first.write_text(head + "meter-1,2025-01-01,2025-01-31,5,MWh\n", encoding="utf-8")
    done = limited(url, "import", "activity", str(first))
    assert done.returncode == 0, done.stderr
    repeated = tmp_path / "repeated.csv"
    repeated.write_text(
        head + "meter-2,2025-01-01,2025-01-31,5,MWh\nmeter-2,2025-01-01,2025-01-31,6,MWh\n",
        encoding="utf-8",
    )
    done = limited(url, "import", "activity", str(repeated))
    assert done.returncode == 2
    assert (
        "repeated.csv row 3: field 'period' = '2025-01-01..2025-01-31': repeats the record of "
        "meter-2 at repeated.csv row 2"
    ) in done.stderr
    overlapping = tmp_path / "overlapping.csv"
    overlapping.write_text(
        head + "meter-3,2025-02-01,2025-02-28,1,MWh\n"
        "meter-3,2025-02-15,2025-03-15,1,MWh\n"
        "meter-1,2025-01-15,2025-02-15,1,MWh\n",
        encoding="utf-8",
    )
    done = limited(url, "import", "activity", str(overlapping))
    assert done.returncode == 2
    assert (
        "overlapping.csv row 3: field 'period' = '2025-02-15..2025-03-15': overlaps "
        "2025-02-01..2025-02-28 of source meter-3 (overlapping.csv row 2)"
    ) in done.stderr
    assert (
        "overlapping.csv row 4: field 'period' = '2025-01-15..2025-02-15': overlaps "
        "2025-01-01..2025-01-31 of source meter-1 (a stored record)"
    ) in done.stderr
    assert records(sa.create_engine(url)) == 1
