"""A durable on-disk queue of readings between the ingestion adapters and the sink.

A gateway outage, a database restart or a crash of the ingesting process must lose nothing, so
every reading is first committed to a SQLite file (WAL journal, ``synchronous=FULL``) and only
deleted after the sink accepted it. Memory use is bounded by the batch size, not by the backlog.
Delivery is at least once: a batch the sink stored but could not acknowledge is sent again, and
the storage is idempotent on (meter, timestamp, value).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from lingtan.metering.reading import Reading, Sink

log = logging.getLogger(__name__)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS buffered_reading (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    meter TEXT NOT NULL,
    ts_us INTEGER NOT NULL,
    value REAL NOT NULL,
    source TEXT NOT NULL
)
"""


def _to_us(ts: datetime) -> int:
    # Integer microseconds since the epoch: exact, sortable and compact.
    delta = ts.astimezone(UTC) - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _from_us(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


class DiskBuffer:
    """Append-only durable queue of readings in a SQLite file.

    Parameters
    ----------
    path : str or Path
        The SQLite file; created with its folder when missing. One file per ingesting process.

    Notes
    -----
    Thread safe: adapters put from their network threads while a runner flushes from another.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        # FULL: a put() that returned survives a power cut, not only a process crash.
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(_SCHEMA)
        self._failures = 0
        self._retry_at = 0.0

    def put(self, readings: Iterable[Reading]) -> int:
        """Append readings durably; return how many were written.

        Parameters
        ----------
        readings : iterable of Reading

        Returns
        -------
        int
            Number of readings committed.
        """
        rows = [(r.meter, _to_us(r.ts), float(r.value), r.source) for r in readings]
        if not rows:
            return 0
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.executemany(
                    "INSERT INTO buffered_reading (meter, ts_us, value, source) "
                    "VALUES (?, ?, ?, ?)",
                    rows,
                )
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        return len(rows)

    def __len__(self) -> int:
        with self._lock:
            return self._db.execute("SELECT count(*) FROM buffered_reading").fetchone()[0]

    def flush(
        self,
        sink: Sink,
        batch_size: int = 1000,
        *,
        max_batches: int | None = None,
    ) -> int:
        """Deliver buffered readings to *sink* in the order they were put.

        Each batch is deleted only after ``sink.deliver`` returned. When the sink raises, the
        batch and everything after it stay in the buffer and the exception is logged, not raised;
        the next attempt is due after an exponential backoff (see :attr:`retry_in_s`).

        Parameters
        ----------
        sink : Sink
        batch_size : int
            Readings per ``deliver`` call; bounds memory.
        max_batches : int, optional
            Stop after this many batches (default: until the buffer is empty).

        Returns
        -------
        int
            Number of readings delivered and deleted.
        """
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        delivered = 0
        batches = 0
        while max_batches is None or batches < max_batches:
            with self._lock:
                rows = self._db.execute(
                    "SELECT seq, meter, ts_us, value, source FROM buffered_reading "
                    "ORDER BY seq LIMIT ?",
                    (batch_size,),
                ).fetchall()
            if not rows:
                break
            batch = [Reading(m, _from_us(t), v, s) for _, m, t, v, s in rows]
            try:
                sink.deliver(batch)
            except Exception as exc:  # any sink failure: keep the data, back off, retry later
                self._failures += 1
                self._retry_at = time.monotonic() + self.backoff_s(self._failures)
                log.warning(
                    "sink failed (%s attempt(s)), %d reading(s) kept in %s: %s",
                    self._failures,
                    len(self),
                    self.path,
                    exc,
                )
                break
            self._failures = 0
            self._retry_at = 0.0
            with self._lock:
                # Delete by sequence range: only what was delivered, even if new readings arrived.
                self._db.execute("DELETE FROM buffered_reading WHERE seq <= ?", (rows[-1][0],))
            delivered += len(batch)
            batches += 1
        return delivered

    @staticmethod
    def backoff_s(failures: int, *, base_s: float = 0.5, cap_s: float = 60.0) -> float:
        """Delay before the next attempt after *failures* consecutive sink failures [s]."""
        if failures <= 0:
            return 0.0
        return min(cap_s, base_s * 2 ** (failures - 1))

    @property
    def retry_in_s(self) -> float:
        """Seconds until the next flush attempt is due after a sink failure (0 when due)."""
        return max(0.0, self._retry_at - time.monotonic())

    def close(self) -> None:
        """Close the SQLite connection."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> DiskBuffer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
