"""The audit log: a hash chain that shows edits and deletions, and never forks under
concurrent writers, on SQLite and PostgreSQL."""

import subprocess
import sys
import textwrap
import time
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from lingtan.store import audit
from lingtan.store.db import session_scope
from lingtan.store.models import AuditEntry

ENTRIES = AuditEntry.__table__


def _record_several(engine, count=5):
    for number in range(1, count + 1):
        with session_scope(engine) as session:
            audit.record(
                session,
                actor="张工",
                action="update",
                entity="activity_record",
                entity_key=str(number),
                before={"quantity": number * 100.0, "unit": "kWh"},
                after={"quantity": number * 100.0 + 1.5, "unit": "kWh"},
            )


def _hashes(engine):
    with engine.connect() as connection:
        return connection.execute(sa.select(ENTRIES.c.hash).order_by(ENTRIES.c.id)).scalars().all()


# --- to_jsonable and the hash ---------------------------------------------------------------


def test_to_jsonable_turns_dates_decimals_and_tuples_into_json_data():
    value = {
        "period_start": date(2025, 1, 1),
        "at": datetime(2025, 1, 1, 8, 30, tzinfo=UTC),
        "quantity": Decimal("12345.600"),
        "range": (1, 2),
        7: None,
    }
    assert audit.to_jsonable(value) == {
        "period_start": "2025-01-01",
        "at": "2025-01-01T08:30:00+00:00",
        "quantity": "12345.600",
        "range": [1, 2],
        "7": None,
    }


@pytest.mark.parametrize("value", [float("nan"), float("inf"), Decimal("NaN")])
def test_to_jsonable_refuses_what_json_cannot_hold(value):
    with pytest.raises(ValueError, match="no JSON form"):
        audit.to_jsonable({"x": value})


def test_to_jsonable_refuses_unknown_types():
    with pytest.raises(TypeError, match="object"):
        audit.to_jsonable({"x": object()})


def test_entry_hash_is_sha256_of_canonical_json():
    # Hand-checked: sha256 of the canonical JSON text below.
    import hashlib

    canonical = (
        '{"action":"create","actor":"李","after":{"name":"宁德"},"at":"2025-01-01T00:00:00+00:00",'
        '"before":null,"entity":"organization","entity_key":"1","prev_hash":"' + "0" * 64 + '"}'
    )
    assert (
        audit.entry_hash(
            at="2025-01-01T00:00:00+00:00",
            actor="李",
            action="create",
            entity="organization",
            entity_key="1",
            before=None,
            after={"name": "宁德"},
            prev_hash=audit.GENESIS_HASH,
        )
        == hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    )


# --- the chain ------------------------------------------------------------------------------


def test_empty_log_verifies(store_engine):
    with session_scope(store_engine) as session:
        report = audit.verify(session)
    assert (report.ok, report.entries, report.head_hash, report.problems) == (
        True,
        0,
        audit.GENESIS_HASH,
        [],
    )


def test_entries_form_a_chain_that_verifies(store_engine):
    _record_several(store_engine, 5)
    with session_scope(store_engine) as session:
        entries = session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).all()
        report = audit.verify(session)
    assert report.ok, report.problems
    assert report.entries == 5
    assert report.head_hash == entries[-1].hash
    assert entries[0].prev_hash == audit.GENESIS_HASH
    assert [e.prev_hash for e in entries[1:]] == [e.hash for e in entries[:-1]]
    assert datetime.fromisoformat(entries[0].at).tzinfo is not None  # UTC, as hashed


def test_values_survive_the_round_trip_through_the_database(store_engine):
    # What is hashed must be exactly what comes back, or verify would cry wolf.
    with session_scope(store_engine) as session:
        entry = audit.record(
            session,
            actor="import",
            action="import",
            entity="activity_record",
            entity_key="boiler-1/2025-01",
            after={
                "period_start": date(2025, 1, 1),
                "quantity": Decimal("0.1"),
                "ratio": 0.1 + 0.2,
                "big": 2**53 + 1,
                "note": '天然气 \u00b3 "quoted" \\ \n',
                "nested": {"b": [1, 2.5, None, True], "a": {}},
            },
        )
        assert entry.id is not None  # flushed
    with session_scope(store_engine) as session:
        assert audit.verify(session).ok


def test_an_entry_is_written_with_the_change_or_not_at_all(store_engine):
    with pytest.raises(RuntimeError), session_scope(store_engine) as session:
        audit.record(session, actor="a", action="create", entity="x", entity_key="1")
        raise RuntimeError("the change failed")
    assert _hashes(store_engine) == []


def test_an_edited_entry_is_found(store_engine):
    _record_several(store_engine, 5)
    with store_engine.begin() as connection:
        connection.execute(
            ENTRIES.update().where(ENTRIES.c.entity_key == "3").values(after={"quantity": 1.0})
        )
        edited = connection.execute(
            sa.select(ENTRIES.c.id).where(ENTRIES.c.entity_key == "3")
        ).scalar()
    with session_scope(store_engine) as session:
        report = audit.verify(session)
    assert not report.ok
    assert report.entries == 5
    assert [entry_id for entry_id, _ in report.problems] == [edited]
    assert "edited" in report.problems[0][1]


def test_an_entry_rewritten_with_a_fresh_hash_breaks_the_link_to_the_next(store_engine):
    _record_several(store_engine, 5)
    with store_engine.begin() as connection:
        row = connection.execute(ENTRIES.select().where(ENTRIES.c.entity_key == "3")).one()
        forged = dict(row._mapping, actor="someone else")
        fresh = audit.entry_hash(**{k: forged[k] for k in audit._HASHED})
        connection.execute(
            ENTRIES.update().where(ENTRIES.c.id == row.id).values(actor="someone else", hash=fresh)
        )
        following = connection.execute(
            sa.select(ENTRIES.c.id).where(ENTRIES.c.entity_key == "4")
        ).scalar()
    with session_scope(store_engine) as session:
        report = audit.verify(session)
    assert [entry_id for entry_id, _ in report.problems] == [following]


def test_a_deleted_entry_is_found(store_engine):
    _record_several(store_engine, 5)
    with store_engine.begin() as connection:
        connection.execute(ENTRIES.delete().where(ENTRIES.c.entity_key == "2"))
        following = connection.execute(
            sa.select(ENTRIES.c.id).where(ENTRIES.c.entity_key == "3")
        ).scalar()
    with session_scope(store_engine) as session:
        report = audit.verify(session)
    assert not report.ok
    assert report.entries == 4
    assert [entry_id for entry_id, _ in report.problems] == [following]
    assert "deleted" in report.problems[0][1]


def test_a_deleted_first_entry_is_found(store_engine):
    _record_several(store_engine, 3)
    with store_engine.begin() as connection:
        connection.execute(ENTRIES.delete().where(ENTRIES.c.entity_key == "1"))
    with session_scope(store_engine) as session:
        report = audit.verify(session)
    assert not report.ok
    assert "the start" in report.problems[0][1]


def test_a_truncated_tail_is_found_only_against_an_exported_head(store_engine):
    _record_several(store_engine, 5)
    with session_scope(store_engine) as session:
        exported = audit.verify(session).head_hash
    _record_several(store_engine, 2)  # the log grows after the export: still fine
    with session_scope(store_engine) as session:
        assert audit.verify(session, expected_head=exported).ok
    with store_engine.begin() as connection:
        last_three = sa.select(ENTRIES.c.id).order_by(ENTRIES.c.id.desc()).limit(3)
        connection.execute(ENTRIES.delete().where(ENTRIES.c.id.in_(last_three.scalar_subquery())))
    with session_scope(store_engine) as session:
        assert audit.verify(session).ok  # the chain alone cannot tell
        report = audit.verify(session, expected_head=exported)
    assert not report.ok
    assert report.problems == [
        (
            None,
            f"the exported head {exported} is not in the chain: entries were removed from its end",
        )
    ]


# --- concurrent writers ---------------------------------------------------------------------

WRITER = textwrap.dedent(
    """
    import pathlib, sys, time
    from lingtan.store import audit
    from lingtan.store.db import make_engine, session_scope

    url, actor, go = sys.argv[1], sys.argv[2], pathlib.Path(sys.argv[3])
    engine = make_engine(url)
    print("ready", flush=True)
    while not go.exists():
        time.sleep(0.005)
    for number in range(50):
        with session_scope(engine) as session:
            audit.record(session, actor=actor, action="append", entity="test",
                         entity_key=str(number), after={"n": number})
    engine.dispose()
    """
)


def test_two_processes_appending_at_once_never_fork_the_chain(store_engine, database_url, tmp_path):
    go = tmp_path / "go"
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, database_url, actor, str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for actor in ("writer-a", "writer-b")
    ]
    for writer in writers:  # both connected, then both start together
        assert writer.stdout.readline().strip() == "ready", writer.stderr.read()
    go.touch()
    deadline = time.monotonic() + 120
    for writer in writers:
        _, errors = writer.communicate(timeout=max(1.0, deadline - time.monotonic()))
        assert writer.returncode == 0, errors

    with session_scope(store_engine) as session:
        report = audit.verify(session)
        actors = session.scalars(sa.select(AuditEntry.actor).order_by(AuditEntry.id)).all()
    assert report.ok, report.problems
    assert report.entries == 100
    assert actors.count("writer-a") == actors.count("writer-b") == 50
    prev_hashes = _prev_hashes(store_engine)
    assert len(set(prev_hashes)) == 100  # no two entries claim the same predecessor


def _prev_hashes(engine):
    with engine.connect() as connection:
        return connection.execute(sa.select(ENTRIES.c.prev_hash)).scalars().all()
