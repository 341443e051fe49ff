"""Ingestion that never stalls (issue 11 part 7), on SQLite and PostgreSQL: readings the store
can never take are set aside with their reason and the queue behind them moves on; they are
shown and stored again by hand once the cause is mended; the daily totals are refreshed at most
every so often, not after every live batch."""

import json
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from lingtan.cli.ingest import StoreSink
from lingtan.cli.main import main
from lingtan.errors import InputError
from lingtan.i18n.catalog import texts
from lingtan.metering.adapters.buffer import DiskBuffer
from lingtan.metering.dead_letters import dead_letters, retry_dead_letter
from lingtan.metering.reading import Reading
from lingtan.metering.store import MeterDefinition, define_meters
from lingtan.store.db import session_scope
from lingtan.store.models import AuditEntry, IngestDeadLetter, MeterDay, MeterDayStale, MeterReading
from web_support import build_site, define_two_meters

JAN_15 = 1_736_870_400  # 2025-01-15 00:00 +08:00


def readings(meter: str, n: int, start: int = JAN_15, value: float = 100.0) -> list[Reading]:
    return [
        Reading(meter, datetime.fromtimestamp(start + 900 * i, UTC), value + i, "mqtt:gw-1")
        for i in range(n)
    ]


@pytest.fixture
def site(database_url, tmp_path):
    built = build_site(database_url, tmp_path)
    with session_scope(built.engine) as session:
        define_two_meters(session)
    yield built
    built.close()


def count(site, model) -> int:
    return site.count(model)


def test_a_batch_for_a_facility_that_is_gone_is_set_aside_and_the_queue_moves_on(site, tmp_path):
    sink = StoreSink(site.url, "GONE-PLANT")
    buffer = DiskBuffer(tmp_path / "buffer.sqlite")
    buffer.put(readings("M-SUP", 3))
    buffer.put(readings("M-WS", 2))
    try:
        assert buffer.flush(sink, batch_size=3) == 5
        assert len(buffer) == 0 and buffer.retry_in_s == 0  # nothing held back, no backoff
    finally:
        buffer.close()
        sink.engine.dispose()
    with session_scope(site.engine) as session:
        letters = dead_letters(session)
        assert [(x.facility_code, x.readings_count, x.facility_id) for x in letters] == [
            ("GONE-PLANT", 2, None),
            ("GONE-PLANT", 3, None),
        ]
        assert letters[0].origin == "mqtt" and letters[0].attempts == 1
        assert "no such facility" in letters[0].reason
    assert count(site, MeterReading) == 0


def test_unknown_meters_are_set_aside_stored_again_by_hand_and_audited(site):
    sink = StoreSink(site.url, "ALPHA-PLANT")
    try:
        sink.deliver(readings("M-SUP", 4) + readings("M-NEW", 3))
    finally:
        sink.engine.dispose()
    assert count(site, MeterReading) == 4  # the known meter's readings are stored
    with session_scope(site.engine) as session:
        (letter,) = dead_letters(session)
        assert letter.readings_count == 3 and letter.facility_id is not None
        zh = texts("zh-CN").message(letter.reason_message)
        assert zh == "不是本设施的实体表计：M-NEW"
        letter_id = letter.id
    # tried before the meter exists: refused, nothing stored, the attempt counted
    with session_scope(site.engine) as session, pytest.raises(InputError, match="M-NEW"):
        retry_dead_letter(session, letter_id, actor="manager_a")
    with session_scope(site.engine) as session:
        assert session.get(IngestDeadLetter, letter_id).attempts == 2
    assert count(site, MeterReading) == 4
    with session_scope(site.engine) as session:
        define_meters(
            session,
            "ALPHA-PLANT",
            [],
            [MeterDefinition("M-NEW", "electricity", "kWh", "cumulative", node="ws")],
            actor="test",
        )
    with session_scope(site.engine) as session:
        summary = retry_dead_letter(session, letter_id, actor="manager_a")
        assert summary.added == 3
    assert count(site, MeterReading) == 7 and count(site, IngestDeadLetter) == 0
    with session_scope(site.engine) as session:
        entry = session.scalars(
            sa.select(AuditEntry).where(AuditEntry.entity == "ingest_dead_letter")
        ).one()
        assert (entry.actor, entry.action, entry.entity_key) == (
            "manager_a",
            "retry",
            str(letter_id),
        )
        assert session.scalar(sa.select(sa.func.count()).select_from(MeterDayStale)) == 0
        assert session.scalar(sa.select(sa.func.count()).select_from(MeterDay)) > 0


def test_the_refresh_after_live_batches_is_rate_limited(site):
    sink = StoreSink(site.url, "ALPHA-PLANT", refresh_every_s=3600)
    try:
        for day in range(3):
            sink.deliver(readings("M-SUP", 4, start=JAN_15 + 86_400 * day))
        assert sink.refreshes == 1  # the first batch only; the others wait
        assert count(site, MeterDayStale) > 0
        sink.settle()  # not due yet
        assert sink.refreshes == 1
        sink.settle(force=True)  # at a stop
        assert sink.refreshes == 2
    finally:
        sink.engine.dispose()
    assert count(site, MeterDayStale) == 0 and count(site, MeterReading) == 12


def test_set_aside_batches_on_the_data_page_and_from_the_command_line(site, monkeypatch):
    sink = StoreSink(site.url, "ALPHA-PLANT")
    try:
        sink.deliver(readings("M-NEW", 2))
    finally:
        sink.engine.dispose()
    with session_scope(site.engine) as session:
        (letter,) = dead_letters(session)
        letter_id = letter.id
    viewer, _ = site.client("viewer_a")
    viewer.cookies.set("lang", "zh-CN")
    page = viewer.get("/data?facility=ALPHA-PLANT")
    assert 'id="dead-letters"' in page.text and "不是本设施的实体表计：M-NEW" in page.text
    assert "重新入库</button>" not in page.text  # viewers do not store
    refused = viewer.post(f"/data/dead-letters/{letter_id}/retry?facility=ALPHA-PLANT")
    assert refused.status_code == 403
    other, _ = site.client("manager_b")  # another organization sees nothing of it
    assert 'id="dead-letters"' not in other.get("/data").text
    manager, csrf = site.client("manager_a")
    manager.cookies.set("lang", "zh-CN")
    again = manager.post(
        f"/data/dead-letters/{letter_id}/retry?facility=ALPHA-PLANT", data={"csrf_token": csrf}
    )
    assert again.status_code == 422 and f"批次 #{letter_id} 仍无法入库" in again.text
    monkeypatch.setenv("LINGTAN_DATABASE_URL", site.url)
    runner = CliRunner()
    listed = runner.invoke(main, ["ingest", "dead-letters", "--format", "json"])
    assert listed.exit_code == 0, listed.output
    (row,) = json.loads(listed.output)
    assert (row["id"], row["readings_count"], row["attempts"]) == (letter_id, 2, 2)
    with session_scope(site.engine) as session:
        define_meters(
            session,
            "ALPHA-PLANT",
            [],
            [MeterDefinition("M-NEW", "electricity", "kWh", "cumulative", node="ws")],
            actor="test",
        )
    stored = runner.invoke(main, ["ingest", "retry", str(letter_id)])
    assert stored.exit_code == 0, stored.output
    assert "2 reading(s) added" in stored.output
    assert count(site, IngestDeadLetter) == 0
