"""A tamper-evident audit log: every change, who made it, and a hash chain over all of them.

Each :class:`~lingtan.store.models.AuditEntry` stores the SHA-256 of its own content and the
hash of the entry before it (``prev_hash``; 64 zeros for the first). :func:`verify` walks the
chain and finds an entry whose content was edited (its hash no longer matches) and an entry that
was deleted or rewritten together with its hash (the next entry's ``prev_hash`` no longer
matches).

What the chain alone cannot show: entries removed from the *end*. The shortened chain is still
consistent. :func:`verify` therefore returns the head hash; record it outside the database (in
a signed report, a verifier's working papers, a printed page) and pass it back as
``expected_head`` to prove that nothing after it was removed.

Writers are serialised so the chain never forks: on SQLite every transaction of
:func:`lingtan.store.db.make_engine` begins with ``BEGIN IMMEDIATE`` (one writer at a time);
on PostgreSQL :func:`record` takes a transaction-level advisory lock before reading the head,
which needs the default READ COMMITTED isolation (a REPEATABLE READ snapshot taken before the
lock would not see the entry committed by the previous lock holder).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from enum import Enum
from pathlib import PurePath
from typing import Any
from uuid import UUID

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from lingtan.i18n import Message
from lingtan.store.models import AuditEntry

__all__ = [
    "GENESIS_HASH",
    "PG_AUDIT_LOCK_KEY",
    "AuditReport",
    "entry_hash",
    "record",
    "to_jsonable",
    "verify",
]

GENESIS_HASH = "0" * 64
# Fixed key of the PostgreSQL advisory lock that serialises audit writers: the ASCII of
# "lingtanA" as a (positive, signed) bigint. Other lingtan locks must use other keys.
PG_AUDIT_LOCK_KEY = int.from_bytes(b"lingtanA", "big")
_HASHED = ("at", "actor", "action", "entity", "entity_key", "before", "after", "prev_hash")


def to_jsonable(value: Any) -> Any:
    """``value`` as plain JSON data, so that what is hashed is exactly what is stored.

    Dates, times and datetimes become ISO 8601 strings, ``Decimal`` a string (exact; a float
    would round), enums their value, UUIDs and paths strings, tuples and sets lists (sets
    sorted), mapping keys strings. Floats must be finite.

    Raises
    ------
    TypeError
        For a value with no JSON form.
    ValueError
        For NaN or infinity, which JSON cannot hold.
    """
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value!r} has no JSON form")
        return value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value!r} has no JSON form")
        return str(value)
    if isinstance(value, Enum):
        return to_jsonable(value.value)
    if isinstance(value, UUID | PurePath):
        return str(value)
    if isinstance(value, Mapping):
        return {str(key): to_jsonable(item) for key, item in value.items()}
    if isinstance(value, set | frozenset):
        return sorted((to_jsonable(item) for item in value), key=_canonical)
    if isinstance(value, list | tuple):
        return [to_jsonable(item) for item in value]
    raise TypeError(f"{type(value).__name__} value {value!r} has no JSON form")


def _canonical(value: Any) -> str:
    return json.dumps(
        value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    )


def entry_hash(
    *,
    at: str,
    actor: str,
    action: str,
    entity: str,
    entity_key: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    prev_hash: str,
) -> str:
    """SHA-256 (hex) of the canonical JSON of an entry's content and its predecessor's hash.

    Canonical JSON: keys sorted, UTF-8 without ``\\u`` escapes, no whitespace. The entry id is
    not hashed: it is assigned by the database and the chain order is carried by ``prev_hash``.
    """
    content = {
        "at": at,
        "actor": actor,
        "action": action,
        "entity": entity,
        "entity_key": entity_key,
        "before": before,
        "after": after,
        "prev_hash": prev_hash,
    }
    return hashlib.sha256(_canonical(content).encode("utf-8")).hexdigest()


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_key: str,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry to the audit log, in the session's transaction.

    The entry is flushed (it has its id) but committed only with the caller's transaction, so
    a change and its audit entry are written together or not at all.

    Parameters
    ----------
    session
        A session on an engine from :func:`lingtan.store.db.make_engine`.
    actor
        Who made the change (user name, ``import``, ``system``).
    action
        What was done (``create``, ``update``, ``delete``, ``import``, ``lock`` ...).
    entity, entity_key
        What it was done to: table or kind (``activity_record``) and its key.
    before, after
        The state before and after; values are passed through :func:`to_jsonable`.
    """
    before_json = None if before is None else to_jsonable(before)
    after_json = None if after is None else to_jsonable(after)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_AUDIT_LOCK_KEY})
    head = session.scalar(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1))
    prev_hash = head or GENESIS_HASH
    at = datetime.now(UTC).isoformat(timespec="microseconds")
    fields = {
        "at": at,
        "actor": actor,
        "action": action,
        "entity": entity,
        "entity_key": entity_key,
        "before": before_json,
        "after": after_json,
        "prev_hash": prev_hash,
    }
    entry = AuditEntry(**fields, hash=entry_hash(**fields))
    session.add(entry)
    session.flush()
    return entry


@dataclass
class AuditReport:
    """The result of :func:`verify`.

    ``head_hash`` is the hash of the last entry (``GENESIS_HASH`` for an empty log): keep it
    outside the database to detect later removal of entries from the end.
    """

    ok: bool
    entries: int
    head_hash: str
    problems: list[tuple[int | None, Message]] = field(default_factory=list)


def verify(session: Session, *, expected_head: str | None = None) -> AuditReport:
    """Check the whole audit chain, in id order.

    Parameters
    ----------
    session
        Any session on the store.
    expected_head
        A head hash exported earlier (from :attr:`AuditReport.head_hash`). If given, an entry
        with that hash must still be in the chain; otherwise entries were removed from its end
        (or the hash belongs to another database).

    Returns
    -------
    AuditReport
        ``problems`` lists ``(entry id, text)``: an edited entry (content no longer matches its
        hash) and a break in the chain (``prev_hash`` does not match the entry before: an entry
        was deleted, inserted or rewritten there).
    """
    problems: list[tuple[int | None, Message]] = []
    expected_prev = GENESIS_HASH
    previous_id: int | None = None
    count = 0
    seen_expected = expected_head is None or expected_head == GENESIS_HASH
    # Columns, not ORM objects: check what is in the database, not what the session caches.
    columns = [AuditEntry.id, AuditEntry.hash, *(getattr(AuditEntry, name) for name in _HASHED)]
    rows = session.execute(
        select(*columns).order_by(AuditEntry.id).execution_options(yield_per=1000)
    )
    for entry in rows:
        count += 1
        if entry_hash(**{name: getattr(entry, name) for name in _HASHED}) != entry.hash:
            problems.append(
                (entry.id, Message("content does not match its hash: the entry was edited"))
            )
        if entry.prev_hash != expected_prev:
            problems.append(
                (
                    entry.id,
                    Message(
                        "prev_hash does not match the hash of the start: "
                        "an entry before it was deleted, inserted or rewritten"
                    )
                    if previous_id is None
                    else Message(
                        "prev_hash does not match the hash of entry %(previous)d: "
                        "an entry before it was deleted, inserted or rewritten",
                        previous=previous_id,
                    ),
                )
            )
        if entry.hash == expected_head:
            seen_expected = True
        expected_prev = entry.hash
        previous_id = entry.id
    if not seen_expected:
        problems.append(
            (
                None,
                Message(
                    "the exported head %(head)s is not in the chain: "
                    "entries were removed from its end",
                    head=expected_head,
                ),
            )
        )
    return AuditReport(ok=not problems, entries=count, head_hash=expected_prev, problems=problems)
