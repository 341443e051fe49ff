"""Explicit changes to stored data: corrections and removals of activity records, and custom
factor sets. Each change needs a reason and is written to the audit log with before and after;
an import never does these."""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from lingtan.errors import InputError, InputProblem
from lingtan.factors import FACTOR_COLUMNS, read_factor_file
from lingtan.i18n import Message
from lingtan.imports.load import facility_by_code
from lingtan.services.inventory import library_for
from lingtan.store import audit
from lingtan.store.models import ActivityMeter, ActivityRecord, CustomFactorSet, Source
from lingtan.units import UnitError, conversion_factor

__all__ = ["add_factor_sets", "correct_record", "delete_record"]


def _record(
    session: Session, facility_code: str | None, source_code: str, start: date, end: date
) -> tuple[Source, ActivityRecord]:
    facility = facility_by_code(session, facility_code)
    where = Message("facility %(code)s source %(source)s", code=facility.code, source=source_code)
    source = session.scalars(
        select(Source).where(Source.facility_id == facility.id, Source.code == source_code)
    ).first()
    if source is None:
        raise InputError(InputProblem(where, "source", source_code, Message("no such source")))
    record = session.scalars(
        select(ActivityRecord).where(
            ActivityRecord.source_id == source.id,
            ActivityRecord.period_start == start,
            ActivityRecord.period_end == end,
        )
    ).first()
    if record is None:
        raise InputError(
            InputProblem(where, "period", f"{start}..{end}", Message("no such record"))
        )
    return source, record


def _state(record: ActivityRecord) -> dict[str, Any]:
    return {
        "period": [record.period_start.isoformat(), record.period_end.isoformat()],
        "quantity": record.quantity,
        "unit": record.unit,
        "origin": record.origin,
        "quality_note": record.quality_note,
    }


#: Where a problem of a change to a record is.
_CHANGE = Message("change")


def _reason(reason: str) -> str:
    if not reason or not reason.strip():
        raise InputError(
            InputProblem(_CHANGE, "reason", reason, Message("a change needs a reason"))
        )
    return reason.strip()


def correct_record(
    session: Session,
    facility_code: str | None,
    source_code: str,
    start: date,
    end: date,
    *,
    quantity: float,
    unit: str | None,
    reason: str,
    actor: str,
    origin: str | None = None,
) -> ActivityRecord:
    """Correct the quantity (and unit, origin) of a stored activity record.

    Inventories already computed keep their snapshot; recompute or restate the period.
    """
    why = _reason(reason)
    source, record = _record(session, facility_code, source_code, start, end)
    if quantity < 0:
        raise InputError(
            InputProblem(_CHANGE, "quantity", quantity, Message("must not be negative"))
        )
    new_unit = unit or record.unit
    try:
        conversion_factor(new_unit, record.unit)
    except UnitError as exc:
        raise InputError(InputProblem(_CHANGE, "unit", new_unit, exc.message)) from None
    before = _state(record)
    record.quantity, record.unit = quantity, new_unit
    if origin is not None:
        if origin not in ("meter", "invoice", "manual", "estimate"):
            raise InputError(
                InputProblem(
                    _CHANGE,
                    "origin",
                    origin,
                    Message("must be meter, invoice, manual or estimate"),
                )
            )
        record.origin = origin
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="correct",
        entity="activity_record",
        entity_key=str(record.id),
        before=before,
        after={**_state(record), "source": source.code, "reason": why},
    )
    return record


def delete_record(
    session: Session,
    facility_code: str | None,
    source_code: str,
    start: date,
    end: date,
    *,
    reason: str,
    actor: str,
) -> None:
    """Remove a stored activity record (its evidence files stay in the store), with its meter
    lineage if it was produced from meters."""
    why = _reason(reason)
    source, record = _record(session, facility_code, source_code, start, end)
    before = {
        **_state(record),
        "source": source.code,
        "evidence": [e.sha256 for e in record.evidence],
    }
    record.evidence.clear()
    session.execute(delete(ActivityMeter).where(ActivityMeter.activity_id == record.id))
    session.flush()
    session.delete(record)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="delete",
        entity="activity_record",
        entity_key=str(record.id),
        before=before,
        after={"reason": why},
    )


def add_factor_sets(session: Session, path: str | Path, *, actor: str) -> dict[str, str]:
    """Store the custom factor sets of a CSV file; returns set id -> "added" | "unchanged".

    A stored set is never replaced: publish a new set id or version instead.
    """
    path = Path(path)
    sets = read_factor_file(path)  # checks every row, or refuses the file
    rows: dict[str, list[dict[str, str]]] = {}
    for row in csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")):
        rows.setdefault(row["set_id"].strip(), []).append(row)
    try:  # a set id that a shipped or another stored set uses is refused
        library_for(session).with_sets(
            [s for s in sets if session.get(CustomFactorSet, s.set_id) is None]
        )
    except ValueError as exc:
        raise InputError(InputProblem(str(path), "set_id", None, exc.args[0])) from None
    outcome = {}
    for factor_set in sets:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, FACTOR_COLUMNS, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows[factor_set.set_id])
        text = buffer.getvalue()
        digest = hashlib.sha256(text.encode()).hexdigest()
        stored = session.get(CustomFactorSet, factor_set.set_id)
        if stored is not None:
            if stored.sha256 != digest:
                raise InputError(
                    InputProblem(
                        str(path),
                        "set_id",
                        factor_set.set_id,
                        Message(
                            "is stored with other rows: a stored set is never replaced; "
                            "give the new rows a new set id or version"
                        ),
                    )
                )
            outcome[factor_set.set_id] = "unchanged"
            continue
        session.add(
            CustomFactorSet(
                set_id=factor_set.set_id,
                version=factor_set.version,
                family=factor_set.family,
                csv_text=text,
                sha256=digest,
            )
        )
        audit.record(
            session,
            actor=actor,
            action="add",
            entity="factor_set",
            entity_key=factor_set.set_id,
            after={
                "version": factor_set.version,
                "family": factor_set.family,
                "rows": len(factor_set.factors),
                "sha256": digest,
            },
        )
        outcome[factor_set.set_id] = "added"
    session.flush()
    return outcome
