"""Reading files read through calamine: positions, numeric meter codes, bad cells named."""

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from lingtan.errors import InputError
from lingtan.metering.files import import_readings_file
from lingtan.metering.store import MeterDefinition, define_meters
from lingtan.store.db import make_engine, session_scope, upgrade
from metering_support import add_plant

NOW = datetime(2026, 1, 1, tzinfo=UTC)
T0 = 1_735_660_800  # 2025-01-01 00:00 +08:00


@pytest.fixture
def engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'lingtan.db'}")
    upgrade(engine)
    with session_scope(engine) as session:
        add_plant(
            session,
            [],
            [
                MeterDefinition("1001", "electricity", "kWh", "cumulative"),
                MeterDefinition("gas", "natural_gas", "Nm3", "interval"),
            ],
        )
    yield engine
    engine.dispose()


def stored(engine):
    with engine.connect() as connection:
        return sorted(
            tuple(r)
            for r in connection.execute(
                sa.text(
                    "SELECT m.code, r.ts, r.value FROM meter_reading r JOIN meter m ON m.id = r.meter_id"
                )
            )
        )


def workbook(path, first_cell_row: int, rows):
    """A sheet whose table starts at column B of row *first_cell_row*."""
    book = Workbook()
    sheet = book.active
    for offset, row in enumerate(rows):
        for column, value in enumerate(row, start=2):
            sheet.cell(first_cell_row + offset, column, value)
    book.save(path)


def test_wide_sheet_away_from_a1_with_a_numeric_meter_code(engine, tmp_path):
    path = tmp_path / "wide.xlsx"
    workbook(
        path,
        3,
        [
            ["时间", 1001, "gas"],  # row 3; the meter code typed as a number
            [datetime(2025, 1, 1, 0, 0), 100, 3.25],
            [None, None, None],  # row 5: blank
            [datetime(2025, 1, 1, 0, 15), "x", 1],  # row 6
        ],
    )
    with pytest.raises(InputError) as caught, session_scope(engine) as session:
        import_readings_file(session, "F1", path, now=NOW)
    [problem] = caught.value.problems
    assert (problem.where, problem.field, problem.value) == ("wide.xlsx row 6", "1001", "x")
    assert stored(engine) == []

    workbook(path, 3, [["时间", 1001, "gas"], [datetime(2025, 1, 1, 0, 0), 100, 3.25]])
    with session_scope(engine) as session:
        result = import_readings_file(session, "F1", path, now=NOW)
    assert (result.layout, result.rows_read, result.readings.added) == ("wide", 1, 2)
    # 2025-01-01 00:00 local (+08:00) is T0
    assert stored(engine) == [("1001", T0, 100.0), ("gas", T0, 3.25)]


def test_long_sheet_with_numeric_meter_codes_and_text_values(engine, tmp_path):
    path = tmp_path / "long.xlsx"
    workbook(
        path,
        1,
        [
            ["meter", "timestamp", "value"],
            [1001, "2025-01-01T00:15:00+08:00", "104,522.6"],  # thousands separator
            ["gas", "2025-01-01 00:15", 0],  # a zero is a reading, not a blank row
        ],
    )
    with session_scope(engine) as session:
        result = import_readings_file(session, "F1", path, now=NOW)
    assert (result.layout, result.rows_read) == ("long", 2)
    assert stored(engine) == [("1001", T0 + 900, 104522.6), ("gas", T0 + 900, 0.0)]


def _batches_and_audit(engine):
    with engine.connect() as connection:
        return (
            connection.execute(sa.text("SELECT count(*) FROM import_batch")).scalar_one(),
            connection.execute(
                sa.text("SELECT count(*) FROM audit_entry WHERE entity = 'import_batch'")
            ).scalar_one(),
        )


@pytest.mark.parametrize("reader", ["arrow", "python"])
@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("header.csv", "meter,timestamp,value\n"),
        ("blank.csv", "meter,timestamp,value\n\n,,\n"),
        ("wide.csv", "时间,1001,gas\n2025-01-01 00:00,,\n"),
    ],
)
def test_a_file_without_readings_writes_nothing_and_says_so(engine, tmp_path, name, text, reader):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(InputError) as caught, session_scope(engine) as session:
        import_readings_file(session, "F1", path, now=NOW, csv_reader=reader)
    [problem] = caught.value.problems
    assert problem.where == f"{name} row 1"
    assert problem.rule == "no readings: the file has a header and nothing under it"
    assert _batches_and_audit(engine) == (0, 0)


@pytest.mark.parametrize("reader", ["arrow", "python"])
def test_two_values_for_one_meter_and_time_are_refused_naming_both_rows(engine, tmp_path, reader):
    path = tmp_path / "twice.csv"
    path.write_text(
        "meter,timestamp,value\n"
        "1001,2025-01-01 00:00,100\n"
        "1001,2025-01-01 00:15,101\n"
        "gas,2025-01-01 00:00,1\n"
        "1001,2025-01-01T00:00:00+08:00,100\n"  # row 5: the same reading again, accepted
        "1001,2025-01-01 00:00,100.5\n"  # row 6: another value, refused
    )
    for chunk_size in (2, 100):  # across chunks, and within one
        with pytest.raises(InputError) as caught, session_scope(engine) as session:
            import_readings_file(
                session, "F1", path, now=NOW, csv_reader=reader, chunk_size=chunk_size
            )
        [problem] = caught.value.problems
        assert (problem.where, problem.field, problem.value) == (
            "twice.csv row 6",
            "value",
            "100.5",
        )
        assert problem.rule == "row 2 gives this meter and time the value 100.0"
        assert stored(engine) == []
    path.write_text(path.read_text().rsplit("\n", 2)[0] + "\n")  # without row 6
    with session_scope(engine) as session:
        result = import_readings_file(session, "F1", path, now=NOW, csv_reader=reader)
    assert (result.readings.added, result.readings.unchanged) == (3, 1)
    assert stored(engine) == [("1001", T0, 100.0), ("1001", T0 + 900, 101.0), ("gas", T0, 1.0)]


def test_a_wide_file_with_a_time_twice_names_both_rows(engine, tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text("时间,1001,gas\n2025-01-01 00:00,100,1\n2025-01-01 00:00,100,2\n")
    with pytest.raises(InputError) as caught, session_scope(engine) as session:
        import_readings_file(session, "F1", path, now=NOW)
    [problem] = caught.value.problems
    assert (problem.where, problem.field, problem.value) == ("wide.csv row 3", "gas", "2")
    assert problem.rule == "row 2 gives this meter and time the value 1.0"


@pytest.mark.parametrize("code", ["E/1", "E 1", "_x", ".."])
def test_a_meter_code_outside_the_safe_alphabet_is_refused(engine, code):
    with pytest.raises(InputError) as caught, session_scope(engine) as session:
        define_meters(
            session,
            "F1",
            [],
            [MeterDefinition(code, "electricity", "kWh", "cumulative")],
            actor="t",
        )
    [problem] = caught.value.problems
    assert (problem.field, problem.value) == ("code", code)
    assert problem.rule.startswith("letters, digits, '-', '_' and '.' only")


def test_meter_codes_in_other_scripts_and_with_dots_are_accepted(engine):
    with session_scope(engine) as session:
        define_meters(
            session,
            "F1",
            [],
            [MeterDefinition(c, "electricity", "kWh", "cumulative") for c in ("电表-1", "E.2_b")],
            actor="t",
        )


def test_a_meter_column_given_twice_with_two_values_is_refused(engine, tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text("时间,1001,gas,1001\n2025-01-01 00:00,100,1,100\n2025-01-01 00:15,101,1,102\n")
    with pytest.raises(InputError) as caught, session_scope(engine) as session:
        import_readings_file(session, "F1", path, now=NOW)
    [problem] = caught.value.problems
    assert (problem.where, problem.field, problem.value) == ("wide.csv row 3", "1001", "102")
    assert problem.rule == "row 3 gives this meter and time the value 101.0"


def refused(engine, path) -> list[tuple[str, str, object, str]]:
    with pytest.raises(InputError) as caught, session_scope(engine) as session:
        import_readings_file(session, "F1", path, now=NOW)
    return [(p.where, p.field, p.value, p.rule) for p in caught.value.problems]


def test_readings_before_2000_and_of_year_1_are_refused(engine, tmp_path):
    path = tmp_path / "old.csv"
    path.write_text(
        "meter,timestamp,value\n"
        "gas,1969-12-31T23:59:59Z,1\n"
        "gas,0001-01-01T00:00:00+08:00,1\n"
        "gas,1999-12-31 23:59,1\n",
        encoding="utf-8",
    )
    assert [(w, v, r) for w, _, v, r in refused(engine, path)] == [
        (f"old.csv row {row}", value, "before 2000-01-01T00:00:00Z")
        for row, value in (
            (2, "1969-12-31T23:59:59Z"),
            (3, "0001-01-01T00:00:00+08:00"),
            (4, "1999-12-31 23:59"),
        )
    ]
    assert stored(engine) == []


@pytest.mark.parametrize("encoding", ["utf-16", "gb18030", "utf-8-sig"])
def test_a_readings_csv_in_utf16_or_gbk_is_read(engine, tmp_path, encoding):
    path = tmp_path / "readings.csv"
    path.write_text("表计,时间,读数\ngas,2025-01-01T00:15:00+08:00,3.5\n", encoding=encoding)
    with session_scope(engine) as session:
        import_readings_file(session, "F1", path, now=NOW)
    assert stored(engine) == [("gas", T0 + 900, 3.5)]


def test_a_csv_of_no_known_encoding_or_with_a_huge_field_is_refused(engine, tmp_path):
    path = tmp_path / "nul.csv"
    path.write_bytes("meter,timestamp,value\n".encode("utf-16-le"))  # no byte-order mark
    [(_where, field, value, rule)] = refused(engine, path)
    assert (field, value) == ("file", "nul.csv") and "UTF-16" in rule
    path = tmp_path / "latin.csv"
    path.write_bytes(b"meter,timestamp,value\n\x80\xff,2025-01-01T00:15:00+08:00,1\n")
    assert refused(engine, path)[0][2:] == (
        "latin.csv",
        "is neither UTF-8, GB18030 (GBK) nor UTF-16 text",
    )
    path = tmp_path / "huge.csv"
    path.write_text(
        'meter,timestamp,value\ngas,2025-01-01T00:15:00+08:00,"' + "1" * 200_000 + '"\n'
    )
    assert refused(engine, path) == [
        ("huge.csv row 2", "row", None, "a field is longer than 131072 characters")
    ]
