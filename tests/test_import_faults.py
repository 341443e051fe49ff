"""Faults around imports, with real processes: a killed import, concurrent imports."""

import os
import signal
import subprocess
import sys
import time
from datetime import date, timedelta

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
