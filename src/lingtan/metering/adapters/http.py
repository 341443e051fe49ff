"""Batches of readings pushed by gateways over HTTP: checking and storing one JSON document.

:func:`ingest_batch` is the whole of the endpoint but the transport: the web application
decodes the request body, authenticates the gateway and passes the document here inside one
transaction. A batch is stored entirely or not at all; the same batch sent twice (a gateway
that did not see the answer retries) is stored once. The daily totals of the days a batch
touches are refreshed in the same transaction (:func:`lingtan.metering.rollups.refresh`).

Batch schema
------------
A JSON object with one or both of these keys, at least one reading in all and at most
:data:`MAX_BATCH_READINGS`:

.. code-block:: json

    {
      "readings": [
        {"meter": "E-MAIN", "ts": "2025-03-01T08:00:00+08:00", "value": 104522.6},
        {"meter": "G-BOILER", "ts": "2025-03-01T00:00:00Z", "value": 12.5}
      ],
      "series": [
        {"meter": "E-PRESS", "values": [["2025-03-01T08:00:00+08:00", 5120.25],
                                        ["2025-03-01T08:15:00+08:00", 5131.5]]}
      ]
    }

``readings`` lists single readings; ``series`` is the compact form for many readings of one
meter, ``[timestamp, value]`` pairs. Timestamps are ISO 8601 text with a UTC offset (or ``Z``);
a naive timestamp is refused (its zone would be a guess), and so is one more than
:data:`~lingtan.metering.files.FUTURE_TOLERANCE_S` ahead of the server's clock or before
:data:`~lingtan.metering.reading.EARLIEST` (2000-01-01). Sub-second
parts are dropped (readings are stored per second). Values are JSON numbers, finite, as read
from the register (before the meter's multiplier). The meter must be defined for the facility
and not virtual. The same meter and time twice in one batch with different values is refused.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from lingtan.errors import InputError, InputProblem
from lingtan.i18n import Message
from lingtan.metering.files import FUTURE_TOLERANCE_S, MAX_PROBLEMS
from lingtan.metering.reading import EARLIEST, EARLIEST_TS
from lingtan.metering.rollups import refresh
from lingtan.metering.store import FacilityRef, facility_id, facility_label, ingest_readings
from lingtan.store.models import Meter

__all__ = ["MAX_BATCH_READINGS", "BatchResult", "ingest_batch"]

#: Readings accepted in one batch; a gateway with more sends several batches.
MAX_BATCH_READINGS = 10_000
ORIGIN = "http"
_EXAMPLE_TS = "2025-03-01T08:00:00+08:00"


@dataclass(frozen=True)
class BatchResult:
    """What a stored batch did.

    Attributes
    ----------
    readings : int
        Readings in the batch.
    added : int
        New readings stored.
    unchanged : int
        Readings already stored with the same value (a batch sent again).
    conflicts : int
        Readings that disagree with the stored value: recorded in ``meter_reading_conflict``,
        the stored value kept.
    days_refreshed : int
        Daily totals (meter and local day) recomputed after storing.
    """

    readings: int
    added: int
    unchanged: int
    conflicts: int
    days_refreshed: int

    def as_dict(self) -> dict[str, int]:
        """The result as a JSON-ready mapping, e.g. for the HTTP response."""
        return {
            "readings": self.readings,
            "added": self.added,
            "unchanged": self.unchanged,
            "conflicts": self.conflicts,
            "days_refreshed": self.days_refreshed,
        }


class _Checker:
    """Turns the document's entries into ``(meter, epoch s, value)``, collecting problems."""

    def __init__(self, meters: dict[str, bool], now: datetime) -> None:
        self.meters = meters
        self.latest = math.floor(now.timestamp()) + FUTURE_TOLERANCE_S
        self.problems: list[InputProblem] = []
        self.rows: list[tuple[str, int, float]] = []
        self.seen: dict[tuple[str, int], tuple[str, float]] = {}  # first entry per meter, time

    def fail(self, where: str, field: str, value: Any, rule: str) -> None:
        self.problems.append(InputProblem(where, field, value, rule))

    def meter(self, where: str, code: Any) -> bool:
        if not isinstance(code, str) or not code.strip():
            self.fail(where, "meter", code, "a meter code (text) is required")
            return False
        virtual = self.meters.get(code.strip())
        if virtual is None:
            self.fail(where, "meter", code, "unknown meter")
        elif virtual:
            self.fail(where, "meter", code, "a virtual meter has no readings of its own")
        return virtual is False

    def reading(self, where: str, code: str, raw_ts: Any, raw_value: Any) -> None:
        where = f"{where} meter {code}"
        ts = None
        try:
            moment = datetime.fromisoformat(raw_ts.strip())
        except (AttributeError, ValueError):  # not text, or not ISO 8601
            self.fail(where, "ts", raw_ts, f"ISO 8601 text expected, e.g. {_EXAMPLE_TS}")
        else:
            if moment.tzinfo is None or moment.utcoffset() is None:
                self.fail(where, "ts", raw_ts, "no UTC offset: add one, e.g. +08:00 or Z")
            elif (ts := math.floor(moment.timestamp())) > self.latest:
                self.fail(where, "ts", raw_ts, f"more than {FUTURE_TOLERANCE_S} s in the future")
                ts = None
            elif ts < EARLIEST_TS:
                self.fail(where, "ts", raw_ts, Message("before %(earliest)s", earliest=EARLIEST))
                ts = None
        value = None
        if isinstance(raw_value, bool) or not isinstance(raw_value, int | float):
            self.fail(where, "value", raw_value, "a JSON number expected")
        else:
            try:
                value = float(raw_value)  # an integer beyond the float range overflows
            except OverflowError:
                value = math.inf
            if not math.isfinite(value):
                self.fail(where, "value", raw_value, "a finite number expected")
                value = None
        if ts is None or value is None:
            return
        first = self.seen.setdefault((code, ts), (where, value))
        if first[1] != value:
            self.fail(
                where,
                "value",
                raw_value,
                f"{first[0]} gives this meter and time the value {first[1]}",
            )
        self.rows.append((code, ts, value))


def _entries(payload: Any, checker: _Checker) -> None:
    if not isinstance(payload, dict):
        checker.fail("batch", "", type(payload).__name__, "a JSON object expected")
        return
    unknown = sorted(set(payload) - {"readings", "series"})
    if unknown:
        checker.fail("batch", "keys", unknown, "only 'readings' and 'series' are known")
    readings, series = payload.get("readings", []), payload.get("series", [])
    for key, entries in (("readings", readings), ("series", series)):
        if not isinstance(entries, list):
            checker.fail("batch", key, type(entries).__name__, "a JSON array expected")
            return
    if not readings and not series:
        checker.fail("batch", "readings", 0, "a batch holds at least one reading")
    count = len(readings) + sum(
        len(s["values"])
        for s in series
        if isinstance(s, dict) and isinstance(s.get("values"), list)
    )
    if count > MAX_BATCH_READINGS:
        checker.fail("batch", "readings", count, f"at most {MAX_BATCH_READINGS} readings per batch")
    if checker.problems:
        return
    for i, entry in enumerate(readings):
        where = f"readings[{i}]"
        if not isinstance(entry, dict) or set(entry) != {"meter", "ts", "value"}:
            checker.fail(where, "", entry, 'an object {"meter", "ts", "value"} expected')
        elif checker.meter(where, entry["meter"]):
            checker.reading(where, entry["meter"].strip(), entry["ts"], entry["value"])
        if len(checker.problems) >= MAX_PROBLEMS:
            return
    for i, entry in enumerate(series):
        where = f"series[{i}]"
        if (
            not isinstance(entry, dict)
            or set(entry) != {"meter", "values"}
            or not isinstance(entry["values"], list)
        ):
            checker.fail(where, "", entry, 'an object {"meter", "values": [[ts, value], ...]}')
            continue
        if not checker.meter(where, entry["meter"]):
            continue
        code = entry["meter"].strip()
        for j, pair in enumerate(entry["values"]):
            if not isinstance(pair, list) or len(pair) != 2:
                checker.fail(f"{where}.values[{j}] meter {code}", "", pair, "[ts, value] expected")
            else:
                checker.reading(f"{where}.values[{j}]", code, pair[0], pair[1])
            if len(checker.problems) >= MAX_PROBLEMS:
                return


def ingest_batch(
    session: Session, facility_code: FacilityRef, payload: Any, *, now: datetime | None = None
) -> BatchResult:
    """Check a batch of readings and store it, in the session's transaction.

    Parameters
    ----------
    session
        An open session (:func:`lingtan.store.db.session_scope`); nothing is committed here.
    facility_code
        The facility the gateway sends for; the batch's meter codes are this facility's.
    payload
        The decoded JSON document (see the module notes for the schema).
    now
        The clock for the future-timestamp rule; the current time if omitted.

    Returns
    -------
    BatchResult

    Raises
    ------
    InputError
        Naming every problem (up to 100): entry index and meter, field, value and rule.
        Nothing of the batch is written.
    """
    fid = facility_id(session, facility_code)
    meters = {
        code: bool(formula)
        for code, formula in session.execute(
            sa.select(Meter.code, Meter.virtual_formula).where(Meter.facility_id == fid)
        )
    }
    checker = _Checker(meters, now or datetime.now(UTC))
    _entries(payload, checker)
    if checker.problems:
        raise InputError(
            checker.problems, origin=f"{ORIGIN} batch for {facility_label(facility_code)}"
        )
    summary = ingest_readings(session, facility_code, checker.rows, origin=ORIGIN)
    # The daily totals of the days these readings touched, in the same transaction.
    days = refresh(session, fid)
    return BatchResult(len(checker.rows), summary.added, summary.unchanged, summary.conflicts, days)
