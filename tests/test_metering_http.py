"""HTTP batch ingestion (lingtan.metering.adapters.http.ingest_batch) on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from lingtan.errors import InputError
from lingtan.metering.adapters.http import MAX_BATCH_READINGS, BatchResult, ingest_batch
from lingtan.metering.store import MeterDefinition
from lingtan.store.db import session_scope
from metering_support import add_plant

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
# 2025-03-01T08:00:00+08:00 is 00:00 UTC; 2025-01-01 is day 20,089 since 1970 and March 1st
# 31 + 28 = 59 days later: (20,089 + 59) x 86,400 s = 1,740,787,200 s.
T8 = 1_740_787_200


@pytest.fixture
def engine(store_engine: sa.Engine) -> sa.Engine:
    with session_scope(store_engine) as session:
        add_plant(
            session,
            [],
            [
                MeterDefinition("E-MAIN", "electricity", "kWh", "cumulative", multiplier=80),
                MeterDefinition("G-BOILER", "natural_gas", "Nm3", "interval"),
                MeterDefinition(
                    "E-OFFICE", "electricity", "kWh", "cumulative", virtual_formula="E-MAIN"
                ),
            ],
        )
    return store_engine


def send(engine: sa.Engine, payload) -> BatchResult:
    with session_scope(engine) as session:
        return ingest_batch(session, "F1", payload, now=NOW)


def stored(engine: sa.Engine) -> list[tuple[str, int, float]]:
    with engine.connect() as connection:
        return [
            tuple(row)
            for row in connection.execute(
                sa.text(
                    "SELECT m.code, r.ts, r.value FROM meter_reading r "
                    "JOIN meter m ON m.id = r.meter_id ORDER BY m.code, r.ts"
                )
            )
        ]


BATCH = {
    "readings": [
        {"meter": "E-MAIN", "ts": "2025-03-01T08:00:00+08:00", "value": 104522.6},
        {"meter": "G-BOILER", "ts": "2025-03-01T00:15:00Z", "value": 12},
    ],
    "series": [
        {
            "meter": "E-MAIN",
            "values": [["2025-03-01T08:15:00+08:00", 104523.1], ["2025-03-01T00:30:00Z", 104524]],
        }
    ],
}


def test_both_forms_are_stored_at_their_utc_second(engine: sa.Engine) -> None:
    result = send(engine, BATCH)
    assert result.as_dict() == {
        "readings": 4,
        "added": 4,
        "unchanged": 0,
        "conflicts": 0,
        "days_refreshed": result.days_refreshed,
    }
    # 08:15+08:00 = 00:15Z = T8 + 900 s; 00:30Z = T8 + 1,800 s. Values as read (the
    # multiplier 80 applies later, to deltas).
    assert stored(engine) == [
        ("E-MAIN", T8, 104522.6),
        ("E-MAIN", T8 + 900, 104523.1),
        ("E-MAIN", T8 + 1800, 104524.0),
        ("G-BOILER", T8 + 900, 12.0),
    ]


def test_the_same_batch_twice_is_stored_once(engine: sa.Engine) -> None:
    send(engine, BATCH)
    again = send(engine, BATCH)
    assert (again.added, again.unchanged, again.conflicts) == (0, 4, 0)
    assert len(stored(engine)) == 4


def test_a_differing_value_is_a_conflict_and_the_stored_value_stays(engine: sa.Engine) -> None:
    send(engine, BATCH)
    result = send(
        engine,
        {
            "readings": [
                {"meter": "E-MAIN", "ts": "2025-03-01T08:00:00+08:00", "value": 999.0},
                {"meter": "E-MAIN", "ts": "2025-03-01T01:00:00Z", "value": 104525.0},
            ]
        },
    )
    assert (result.added, result.unchanged, result.conflicts) == (1, 0, 1)
    assert ("E-MAIN", T8, 104522.6) in stored(engine)
    with engine.connect() as connection:
        conflicts = connection.execute(
            sa.text("SELECT ts, stored_value, new_value, origin FROM meter_reading_conflict")
        ).all()
    assert [tuple(c) for c in conflicts] == [(T8, 104522.6, 999.0, "http")]
    # The same conflicting batch again records the conflict once.
    send(engine, {"readings": [{"meter": "E-MAIN", "ts": "2025-03-01T00:00:00Z", "value": 999}]})
    with engine.connect() as connection:
        count = connection.execute(sa.text("SELECT count(*) FROM meter_reading_conflict"))
        assert count.scalar_one() == 1


def problems_of(engine: sa.Engine, payload) -> list[tuple[str, str, object, str]]:
    with pytest.raises(InputError) as caught:
        send(engine, payload)
    return [(p.where, p.field, p.value, p.rule) for p in caught.value.problems]


def test_every_problem_is_named_and_nothing_is_written(engine: sa.Engine) -> None:
    payload = {
        "readings": [
            {"meter": "E-MAIN", "ts": "2025-03-01T08:00:00+08:00", "value": 1.0},  # good
            {"meter": "E-MAIN", "ts": "2025-03-01T08:15:00", "value": 2.0},  # naive
            {"meter": "E-MAIN", "ts": 1740787200, "value": 2.0},  # a number
            {"meter": "E-NONE", "ts": "2025-03-01T00:00:00Z", "value": 3.0},
            {"meter": "E-OFFICE", "ts": "2025-03-01T00:00:00Z", "value": 3.0},
            {"meter": "G-BOILER", "ts": "2025-03-01T00:00:00Z", "value": "12.5"},
            {"meter": "G-BOILER", "ts": "2025-03-01T00:15:00Z", "value": True},
            {"meter": "G-BOILER", "ts": "2025-03-01T00:30:00Z", "value": float("inf")},
            {"meter": "G-BOILER", "ts": "2025-03-01T00:45:00Z"},
            {"meter": "G-BOILER", "ts": "2025/03/01 01:00", "value": 1},
        ],
        "series": [
            {"meter": "G-BOILER", "values": [["2025-03-01T01:00:00Z", 1.0], ["x"]]},
            {"meter": "E-MAIN", "values": [["2025-03-01T00:00:00Z", 1.5]]},  # differs from [0]
        ],
    }
    assert problems_of(engine, payload) == [
        (
            "readings[1] meter E-MAIN",
            "ts",
            "2025-03-01T08:15:00",
            "no UTC offset: add one, e.g. +08:00 or Z",
        ),
        (
            "readings[2] meter E-MAIN",
            "ts",
            1740787200,
            "ISO 8601 text expected, e.g. 2025-03-01T08:00:00+08:00",
        ),
        ("readings[3]", "meter", "E-NONE", "unknown meter"),
        ("readings[4]", "meter", "E-OFFICE", "a virtual meter has no readings of its own"),
        ("readings[5] meter G-BOILER", "value", "12.5", "a JSON number expected"),
        ("readings[6] meter G-BOILER", "value", True, "a JSON number expected"),
        ("readings[7] meter G-BOILER", "value", float("inf"), "a finite number expected"),
        (
            "readings[8]",
            "",
            {"meter": "G-BOILER", "ts": "2025-03-01T00:45:00Z"},
            'an object {"meter", "ts", "value"} expected',
        ),
        (
            "readings[9] meter G-BOILER",
            "ts",
            "2025/03/01 01:00",
            "ISO 8601 text expected, e.g. 2025-03-01T08:00:00+08:00",
        ),
        ("series[0].values[1] meter G-BOILER", "", ["x"], "[ts, value] expected"),
        (
            "series[1].values[0] meter E-MAIN",
            "value",
            1.5,
            "readings[0] meter E-MAIN gives this meter and time the value 1.0",
        ),
    ]
    assert stored(engine) == []  # not even the good readings


def test_future_timestamps_beyond_five_minutes_are_refused(engine: sa.Engine) -> None:
    # NOW is 12:00Z; the tolerance is 300 s: 12:05:00Z is accepted, 12:05:01Z is not.
    late = {"meter": "G-BOILER", "ts": "2025-03-01T12:05:01Z", "value": 1}
    assert problems_of(engine, {"readings": [late]}) == [
        (
            "readings[0] meter G-BOILER",
            "ts",
            "2025-03-01T12:05:01Z",
            "more than 300 s in the future",
        )
    ]
    ok = send(
        engine, {"readings": [{"meter": "G-BOILER", "ts": "2025-03-01T20:05:00+08:00", "value": 1}]}
    )
    assert ok.added == 1
    assert stored(engine) == [("G-BOILER", T8 + 12 * 3600 + 300, 1.0)]


def test_batch_shape_and_size(engine: sa.Engine) -> None:
    assert problems_of(engine, [1, 2]) == [("batch", "", "list", "a JSON object expected")]
    assert problems_of(engine, {}) == [
        ("batch", "readings", 0, "a batch holds at least one reading")
    ]
    assert problems_of(engine, {"readings": [], "data": 1}) == [
        ("batch", "keys", ["data"], "only 'readings' and 'series' are known"),
        ("batch", "readings", 0, "a batch holds at least one reading"),
    ]
    assert problems_of(engine, {"series": {"meter": "E-MAIN"}}) == [
        ("batch", "series", "dict", "a JSON array expected")
    ]
    assert problems_of(engine, {"series": [{"meter": "E-MAIN"}]}) == [
        ("series[0]", "", {"meter": "E-MAIN"}, 'an object {"meter", "values": [[ts, value], ...]}')
    ]
    values = [[f"2025-03-01T00:00:{s % 60:02d}Z", s] for s in range(MAX_BATCH_READINGS + 1)]
    assert problems_of(engine, {"series": [{"meter": "E-MAIN", "values": values}]}) == [
        ("batch", "readings", 10_001, "at most 10000 readings per batch")
    ]
    assert stored(engine) == []


def test_a_repeated_reading_in_one_batch_is_stored_once(engine: sa.Engine) -> None:
    one = {"meter": "E-MAIN", "ts": "2025-03-01T00:00:00Z", "value": 5.0}
    result = send(engine, {"readings": [one, one]})
    assert (result.readings, result.added, result.unchanged) == (2, 1, 1)
    assert stored(engine) == [("E-MAIN", T8, 5.0)]


def test_unknown_facility_is_refused(engine: sa.Engine) -> None:
    with pytest.raises(InputError, match="no such facility"), session_scope(engine) as session:
        ingest_batch(session, "F9", BATCH, now=NOW)


def test_the_daily_totals_are_kept_current(engine: sa.Engine) -> None:
    # Three values of the interval meter G-BOILER (multiplier 1) at 08:15, 08:30 and 08:45
    # local time on 2025-03-01. A value covers the time since the previous reading, so the
    # first one only opens the series: 13 + 14 = 27 Nm3 that local day, 2 measured intervals.
    values = [[f"2025-03-01T08:{m}:00+08:00", v] for m, v in (("15", 12), ("30", 13), ("45", 14))]
    result = send(engine, {"series": [{"meter": "G-BOILER", "values": values}]})
    assert result.days_refreshed > 0
    with engine.connect() as connection:
        days = connection.execute(
            sa.text(
                "SELECT d.day, d.energy, d.measured_intervals FROM meter_day d "
                "JOIN meter m ON m.id = d.meter_id WHERE m.code = 'G-BOILER'"
            )
        ).all()
        stale = connection.execute(sa.text("SELECT count(*) FROM meter_day_stale")).scalar_one()
    assert [(str(d), e, n) for d, e, n in days] == [("2025-03-01", 27.0, 2)]
    assert stale == 0


def test_timestamps_before_2000_or_beyond_the_calendar_are_refused(engine: sa.Engine) -> None:
    early = ("1999-12-31T23:59:59Z", "1969-12-31T23:59:59Z", "0001-01-01T00:00:00+08:00")
    late = ("9999-12-31T23:59:59-12:00",)
    batch = {"readings": [{"meter": "G-BOILER", "ts": ts, "value": 1} for ts in (*early, *late)]}
    assert [(field, value, rule) for _, field, value, rule in problems_of(engine, batch)] == [
        *(("ts", ts, "before 2000-01-01T00:00:00Z") for ts in early),
        ("ts", late[0], "more than 300 s in the future"),
    ]
    assert stored(engine) == []
    ok = send(
        engine, {"readings": [{"meter": "G-BOILER", "ts": "2000-01-01T00:00:00Z", "value": 1}]}
    )
    assert ok.added == 1
    assert stored(engine) == [("G-BOILER", 946_684_800, 1.0)]
