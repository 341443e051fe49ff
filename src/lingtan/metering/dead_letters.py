"""Live readings the store refused for good, set aside so that the queue behind them moves on.

A batch from a gateway (MQTT, Modbus TCP, OPC UA through the disk buffer) that the store can
never take — its facility is gone, its meter codes are not meters of the facility, or are
virtual — would otherwise be retried forever and hold back every batch after it. The sink sets
such readings aside here, with the reason, in a transaction of their own; the buffer then
deletes them and goes on. A person sees them (``lingtan ingest dead-letters``, the data page)
and retries one by hand once the cause is mended (the meter defined, the facility named):
all or nothing, audited, the daily totals refreshed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from lingtan.errors import InputError, InputProblem
from lingtan.i18n import Message
from lingtan.metering.rollups import refresh
from lingtan.metering.store import IngestSummary, facility_id, ingest_readings, to_epoch
from lingtan.store import audit
from lingtan.store.models import Facility, IngestDeadLetter

__all__ = ["dead_letters", "reason_of", "retry_dead_letter", "set_aside"]


def reason_of(error: InputError) -> str:
    """Why the store refused a batch: the rule of its one problem (a Message, translated where
    shown), or the rules of several joined as they are."""
    if len(error.problems) == 1:
        return error.problems[0].rule
    return "; ".join(str(problem.rule) for problem in error.problems)


def set_aside(
    session: Session,
    facility_code: str,
    readings: Sequence[tuple[str, Any, float]],
    *,
    origin: str,
    reason: str,
) -> IngestDeadLetter:
    """Keep ``readings`` (``(meter, ts, value)``) that the store refused, with ``reason`` (a
    :class:`~lingtan.i18n.Message` is kept translatable), in the session's transaction."""
    rows = [[str(meter), to_epoch(ts), float(value)] for meter, ts, value in readings]
    if not rows:
        raise ValueError("no readings to set aside")
    found = session.scalars(sa.select(Facility.id).where(Facility.code == facility_code)).all()
    times = [ts for _, ts, _ in rows]
    letter = IngestDeadLetter(
        facility_code=facility_code,
        facility_id=found[0] if len(found) == 1 else None,
        origin=origin[:64],
        received_at=datetime.now(UTC),
        reason=str(reason),
        reason_message=reason.as_dict() if isinstance(reason, Message) else None,
        attempts=1,
        readings_count=len(rows),
        first_ts=datetime.fromtimestamp(min(times), UTC),
        last_ts=datetime.fromtimestamp(max(times), UTC),
        readings=rows,
    )
    session.add(letter)
    session.flush()
    return letter


def dead_letters(session: Session, *, facility: int | None = None) -> list[IngestDeadLetter]:
    """The letters set aside, newest first; those of one facility (by id) when given."""
    query = sa.select(IngestDeadLetter).order_by(IngestDeadLetter.id.desc())
    if facility is not None:
        query = query.where(IngestDeadLetter.facility_id == facility)
    return list(session.scalars(query))


def retry_dead_letter(
    session: Session, letter_id: int, *, actor: str, facility_code: str | None = None
) -> IngestSummary:
    """Store the readings of letter ``letter_id`` (into ``facility_code``, default its own),
    refresh the daily totals they touch, audit it and delete the letter — or store nothing,
    count the attempt, keep the new reason, and raise :class:`InputError`.
    """
    letter = session.get(IngestDeadLetter, letter_id)
    if letter is None:
        where = Message("batch set aside")
        raise InputError(InputProblem(where, "id", letter_id, Message("no such batch")))
    code = facility_code or letter.facility_code
    readings = [(meter, int(ts), float(value)) for meter, ts, value in letter.readings]
    try:
        with session.begin_nested():
            summary = ingest_readings(session, code, readings, origin=letter.origin)
            refused = summary.unknown_meters + summary.virtual_meters
            if refused:
                meters = ", ".join(sorted(refused))
                rule = Message("not meters of the facility: %(meters)s", meters=meters)
                where = Message("facility %(code)s", code=code)
                raise InputError(InputProblem(where, "meter", meters, rule))
            fid = facility_id(session, code)
            refresh(session, fid)
    except InputError as error:
        reason = reason_of(error)
        letter.attempts += 1
        letter.reason = str(reason)
        letter.reason_message = reason.as_dict() if isinstance(reason, Message) else None
        session.flush()
        raise
    audit.record(
        session,
        actor=actor,
        action="retry",
        entity="ingest_dead_letter",
        entity_key=str(letter.id),
        before={"facility_code": letter.facility_code, "reason": letter.reason,
                "attempts": letter.attempts, "readings": letter.readings_count},
        after={"facility_code": code, "added": summary.added, "unchanged": summary.unchanged,
               "conflicts": summary.conflicts},
    )  # fmt: skip
    session.delete(letter)
    session.flush()
    return summary
