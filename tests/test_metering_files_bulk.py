"""The columnar reader of readings files (pyarrow's CSV reader) against the row-by-row reader
(the csv module) on the same files: the same readings stored, the same quality flags, the
same problems; and a bad row in the middle of a big file leaves nothing written. On SQLite
and PostgreSQL."""

import gc
import os
import threading
from datetime import UTC, datetime

import numpy as np
import pytest
import sqlalchemy as sa

from lingtan.errors import InputError
from lingtan.metering.files import MAX_PROBLEMS, _read_ahead, import_readings_file
from lingtan.metering.store import MeterDefinition, stored_intervals
from lingtan.store.db import session_scope
from lingtan.store.models import (
    AuditEntry,
    ImportBatch,
    MeterDayStale,
    MeterReading,
    MeterReadingConflict,
)
from metering_support import add_plant

NOW = datetime(2026, 1, 1, tzinfo=UTC)
T0 = 1_735_660_800  # 2025-01-01 00:00 +08:00
METERS = ["main", "a", "gas"]


@pytest.fixture
def plant(store_engine):
    with session_scope(store_engine) as session:
        add_plant(
            session,
            [],
            [
                MeterDefinition("main", "electricity", "kWh", "cumulative"),
                MeterDefinition("a", "electricity", "kWh", "cumulative"),
                MeterDefinition("gas", "natural_gas", "Nm3", "interval"),
                MeterDefinition(
                    "rest", "electricity", "kWh", "cumulative", virtual_formula="main - a"
                ),
            ],
        )
    return store_engine


def _count(session, model):
    return session.scalar(sa.select(sa.func.count()).select_from(model))


def _outcome(engine, path, reader, **options):
    """What importing ``path`` with ``reader`` gives, rolled back afterwards: the stored
    readings and conflicts, the quality flags of each meter's day, the summary, or the
    problems."""
    with engine.connect() as connection:
        transaction = connection.begin()
        from sqlalchemy.orm import Session

        session = Session(bind=connection)
        try:
            result = import_readings_file(
                session, "F1", path, now=NOW, csv_reader=reader, **options
            )
        except InputError as error:
            problems = [(p.where, p.field, p.value, str(p.rule)) for p in error.problems]
            session.close()
            transaction.rollback()
            return {"problems": problems}
        session.flush()
        readings = session.execute(
            sa.select(MeterReading.meter_id, MeterReading.ts, MeterReading.value).order_by(
                MeterReading.meter_id, MeterReading.ts
            )
        ).all()
        conflicts = session.execute(
            sa.select(
                MeterReadingConflict.meter_id,
                MeterReadingConflict.ts,
                MeterReadingConflict.stored_value,
                MeterReadingConflict.new_value,
            ).order_by(MeterReadingConflict.meter_id, MeterReadingConflict.ts)
        ).all()
        flags = {
            code: stored_intervals(session, "F1", code, start=T0, end=T0 + 86_400).quality.tolist()
            for code in METERS
        }
        r = result.readings
        summary = (result.layout, result.rows_read, r.added, r.unchanged, r.conflicts)
        session.close()
        transaction.rollback()
    return {
        "readings": [tuple(row) for row in readings],
        "conflicts": [tuple(row) for row in conflicts],
        "flags": flags,
        "summary": summary,
    }


def _same(engine, path, **options):
    arrow = _outcome(engine, path, "arrow", **options)
    python = _outcome(engine, path, "python", **options)
    assert arrow == python
    return arrow


def _long(rows):
    return "meter,timestamp,value\n" + "".join(f"{r}\n" for r in rows)


def test_long_files_in_every_form_store_the_same(plant, tmp_path):
    path = tmp_path / "long.csv"
    rows = []
    for k in range(96):
        stamp = f"2025-01-01 {k // 4:02d}:{15 * (k % 4):02d}"
        rows.append(f"main,{stamp},{1000 + 2.5 * k}")
        rows.append(f"a,{stamp}:00+08:00,{7 + k}")  # with an offset
        rows.append(f'gas,{stamp},"{1000 + k:,}.5"')  # thousands separators, quoted
    rows[10] = " main , 2025-01-01 00:45 , 1007.5 "[1:]  # spaces around cells
    rows.insert(20, "")  # a blank line
    rows.insert(40, ",,")  # a row of empty cells
    rows.insert(60, "main,2025-01-01 06:40,1060,extra")  # a cell beyond the header
    rows.append("a,2025-01-01 00:00:00+08:00,7")  # the same reading twice: stored once
    path.write_text(_long(rows))
    outcome = _same(plant, path, chunk_size=50)
    # the spaced row repeats main's reading of 00:45 (a's is left out), the last a's of 00:00
    assert outcome["summary"][:4] == ("long", 290, 288, 2)
    assert len(outcome["readings"]) == 288


def test_a_chinese_header_in_gb18030_and_a_wide_file_store_the_same(plant, tmp_path):
    long_csv = tmp_path / "gb.csv"
    long_csv.write_bytes(
        (
            "表计,时间,读数\n" + "".join(f"main,2025-01-01 00:{m:02d},{m}\n" for m in (0, 15, 30))
        ).encode("gb18030")
    )
    assert _same(plant, long_csv)["summary"][:3] == ("long", 3, 3)
    wide = tmp_path / "wide.csv"
    lines = ["时间,main,a,gas"]
    for k in range(96):
        stamp = f"2025-01-01T{k // 4:02d}:{15 * (k % 4):02d}:00+08:00"
        gas = "" if k % 7 == 0 else f"{k * 0.5}"  # an empty cell is no reading
        lines.append(f"{stamp},{100 + k},{50 + 2 * k},{gas}")
    lines.insert(30, "2025-01-01 07:20,200")  # a short row: no readings of a and gas
    wide.write_text("\n".join(lines) + "\n")
    outcome = _same(plant, wide, chunk_size=60)
    assert outcome["summary"][:3] == ("wide", 97, 96 * 3 - 14 + 1)


def test_against_stored_readings_unchanged_and_conflicts_are_the_same(plant, tmp_path):
    first = tmp_path / "first.csv"
    first.write_text(_long(f"main,2025-01-01 00:{m:02d},{m}" for m in (0, 15, 30, 45)))
    with session_scope(plant) as session:
        import_readings_file(session, "F1", first, now=NOW)
    second = tmp_path / "second.csv"
    second.write_text(
        _long(["main,2025-01-01 00:15,15", "main,2025-01-01 00:30,31", "a,2025-01-01 00:30,1"])
    )
    outcome = _same(plant, second)
    assert outcome["summary"][2:] == (1, 1, 1)  # added, unchanged, conflicts
    assert len(outcome["conflicts"]) == 1


BAD_ROWS = {
    5: "boiler-9,2025-01-01 05:00,5",  # unknown meter
    9: "a,yesterday,1",
    10: "a,2025-01-01 10:00,ten",
    11: "a,2030-01-01 10:00,1",  # in the future
    12: "rest,2025-01-01 12:00,1",  # virtual
    13: "a,2025-01-01 13:00",  # a short row: no value
    14: "a,2025-01-01 14:00,inf",
    15: "main,2025-01-01 00:00,999",  # a second value for row 2's meter and time
}


def test_problems_are_the_same_and_in_row_order(plant, tmp_path):
    path = tmp_path / "bad.csv"
    rows = [f"main,2025-01-01T{h:02d}:00:00+08:00,{h}" for h in range(24)]
    for i, row in BAD_ROWS.items():
        rows[i] = row
    path.write_text(_long(rows))
    for chunk_size in (4, 1000):
        problems = _same(plant, path, chunk_size=chunk_size)["problems"]
        assert [(where, field) for where, field, *_ in problems] == [
            ("bad.csv row 7", "meter"),
            ("bad.csv row 11", "timestamp"),
            ("bad.csv row 12", "value"),
            ("bad.csv row 13", "timestamp"),
            ("bad.csv row 14", "meter"),
            ("bad.csv row 15", "value"),
            ("bad.csv row 16", "value"),
            ("bad.csv row 17", "value"),
        ]
        assert problems[-1][2:] == ("999", "row 2 gives this meter and time the value 0.0")


def test_at_most_max_problems_are_kept_by_both(plant, tmp_path):
    path = tmp_path / "many.csv"
    path.write_text(_long(f"ghost,2025-01-01 00:{m % 60:02d},x" for m in range(300)))
    problems = _same(plant, path, chunk_size=64)["problems"]
    # two per row (meter and value): the row that reaches the limit is reported whole
    assert len(problems) == MAX_PROBLEMS
    assert problems[-1][0] == f"many.csv row {MAX_PROBLEMS // 2 + 1}"


def test_a_bad_row_in_the_middle_of_a_big_file_writes_nothing(plant, tmp_path):
    path = tmp_path / "big.csv"
    n = 120_000  # 40,000 times x 3 meters: several chunks stored before the bad row
    stamps = (np.datetime64("2024-06-01T00:00") + 15 * np.arange(n // 3)).astype(str)
    with path.open("w") as handle:
        handle.write("meter,timestamp,value\n")
        for i, stamp in enumerate(stamps.tolist()):
            value = "oops" if i == n // 6 else str(i)
            handle.write(f"main,{stamp},{i}\na,{stamp},{value}\ngas,{stamp},1\n")
    for reader in ("arrow", "python"):
        with pytest.raises(InputError) as caught, session_scope(plant) as session:
            import_readings_file(session, "F1", path, now=NOW, csv_reader=reader, chunk_size=10_000)
        [problem] = caught.value.problems
        assert (problem.where, problem.field, problem.value) == (
            f"big.csv row {n // 2 + 3}",
            "value",
            "oops",
        )
        with session_scope(plant, read_only=True) as session:
            for model in (MeterReading, MeterDayStale, ImportBatch):
                assert _count(session, model) == 0, model
            assert (
                session.scalar(
                    sa.select(sa.func.count())
                    .select_from(AuditEntry)
                    .where(AuditEntry.entity == "import_batch")
                )
                == 0
            )


def test_reading_ahead_hands_over_errors_and_ends_with_its_consumer():
    def failing():
        yield 1
        yield 2
        raise ValueError("broken file")

    got = []
    with pytest.raises(ValueError, match="broken file"):
        for item in _read_ahead(failing()):
            got.append(item)
    assert got == [1, 2]

    produced = []

    def endless():
        while True:
            produced.append(len(produced))
            yield produced[-1]

    items = _read_ahead(endless())
    assert next(items) == 0
    items.close()  # the consumer stops (an error while storing): the thread ends with it
    assert len(produced) <= 3
    assert not [t for t in threading.enumerate() if t.name == "lingtan-read-ahead"]


def test_first_values_beyond_memory_go_to_a_temporary_file_and_check_the_same(
    plant, tmp_path, monkeypatch
):
    """The duplicate check gives the same outcome when every run of first values is spilled
    to a temporary file: repeats stored once, a second value refused naming the first row."""
    from lingtan.metering import files

    path = tmp_path / "spill.csv"
    rows = [f"main,2025-01-01T{h:02d}:00:00+08:00,{h}" for h in range(24)]
    rows += [f"a,2025-01-01T{h:02d}:00:00+08:00,{h}" for h in range(24)]
    rows += ["main,2025-01-01T03:00:00+08:00,3", "a,2025-01-01T20:00:00+08:00,20"]  # repeats
    path.write_text(_long(rows))
    bad = tmp_path / "spill-bad.csv"
    bad.write_text(_long([*rows, "main,2025-01-01T05:00:00+08:00,55"]))
    in_memory = [_same(plant, p, chunk_size=8) for p in (path, bad)]
    spilled_to: list[str] = []
    real = files.tempfile.TemporaryDirectory

    def spy(*args, **kwargs):
        directory = real(*args, **kwargs)
        spilled_to.append(directory.name)
        return directory

    monkeypatch.setattr(files, "FIRST_VALUES_IN_MEMORY_BYTES", 0)
    monkeypatch.setattr(files.tempfile, "TemporaryDirectory", spy)
    spilled = [_same(plant, p, chunk_size=8) for p in (path, bad)]
    assert spilled == in_memory
    assert spilled[0]["summary"][:4] == ("long", 50, 48, 2)
    assert spilled[1]["problems"][-1][2:] == ("55", "row 7 gives this meter and time the value 5.0")
    assert len(spilled_to) == 4  # both files, both readers
    gc.collect()
    assert not any(os.path.exists(name) for name in spilled_to)  # removed after the import
