"""``ingest``: run an MQTT, Modbus TCP or OPC UA ingestion adapter into the readings store.

Readings pass through a durable on-disk buffer and are written to the database of ``--db`` (or
``LINGTAN_DATABASE_URL``) for the facility's meters. When the database cannot be reached the
buffer keeps them and delivers them, in order, once it is back; storage is idempotent, so a
batch delivered twice after a crash is stored once.
"""

from __future__ import annotations

import math
import signal
import threading
import time
from pathlib import Path
from typing import Any

import click

from lingtan.cli.common import Column, actor, emit, format_option, open_store, refusing_bad_input
from lingtan.errors import InputError
from lingtan.i18n import Message
from lingtan.metering.adapters.config import ConfigError
from lingtan.metering.adapters.ingest import Kind, run_ingest
from lingtan.metering.dead_letters import dead_letters, reason_of, retry_dead_letter, set_aside
from lingtan.metering.reading import Reading
from lingtan.metering.rollups import refresh
from lingtan.metering.store import facility_id, ingest_readings
from lingtan.store.db import database_url, make_engine, session_scope


class StoreSink:
    """Deliver readings to the readings store of one facility, one transaction per batch.

    Readings the store can never take are set aside (:mod:`lingtan.metering.dead_letters`):
    the whole batch when the facility is gone (an :class:`InputError`), the readings of codes
    that are not meters of the facility, or virtual ones; the batch then counts as delivered,
    so the queue behind it moves on. Any other failure (the database down) raises, and the
    buffer keeps the batch and retries. The daily totals are refreshed at most every
    ``refresh_every_s`` seconds (:meth:`settle` does the rest), not after every batch.

    Parameters
    ----------
    url : str
        Database URL.
    facility_code : str
        The facility whose meters the readings belong to.
    refresh_every_s : float
        Least time between two refreshes of the daily totals [s].
    """

    def __init__(self, url: str, facility_code: str, *, refresh_every_s: float = 10.0) -> None:
        self.engine = make_engine(url)
        self.facility_code = facility_code
        self.refresh_every_s = refresh_every_s
        self.refreshes = 0
        self.set_aside = 0
        self._stale = False
        self._refreshed_at = -math.inf

    def deliver(self, batch: list[Reading]) -> None:
        """Store *batch*; raises (and the buffer keeps it) if the database is unreachable."""
        by_source: dict[str, list[tuple[str, Any, float]]] = {}
        for reading in batch:
            by_source.setdefault(reading.source.split(":", 1)[0], []).append(
                (reading.meter, reading.ts, reading.value)
            )
        try:
            with session_scope(self.engine) as session:
                for origin, readings in by_source.items():
                    summary = ingest_readings(session, self.facility_code, readings, origin=origin)
                    refused = summary.unknown_meters + summary.virtual_meters
                    if refused:
                        rule = Message("not meters of the facility: %(meters)s",
                                       meters=", ".join(sorted(refused)))  # fmt: skip
                        kept = [r for r in readings if r[0] in refused]
                        self._set_aside(session, kept, origin, rule)
                self._stale = True
                self._refresh_if_due(session)
        except InputError as error:  # the batch can never be stored as it is
            reason = reason_of(error)
            with session_scope(self.engine) as session:
                for origin, readings in by_source.items():
                    self._set_aside(session, readings, origin, reason)

    def _set_aside(self, session: Any, readings: list, origin: str, reason: str) -> None:
        set_aside(session, self.facility_code, readings, origin=origin, reason=reason)
        self.set_aside += len(readings)
        click.echo(
            f"set aside (lingtan ingest dead-letters): {len(readings)} reading(s) of "
            f"{self.facility_code} from {origin}: {reason}",
            err=True,
        )

    def _refresh_if_due(self, session: Any, *, force: bool = False) -> None:
        now = time.monotonic()
        if self._stale and (force or now - self._refreshed_at >= self.refresh_every_s):
            # the daily totals of the days the readings touched
            refresh(session, facility_id(session, self.facility_code))
            self._stale, self._refreshed_at = False, now
            self.refreshes += 1

    def settle(self, *, force: bool = False) -> None:
        """Refresh the daily totals of readings stored since the last refresh, when due (or
        now with ``force``, at a stop)."""
        if self._stale:
            with session_scope(self.engine) as session:
                self._refresh_if_due(session, force=force)


@click.group("ingest")
def ingest() -> None:
    """Collect meter readings from MQTT, Modbus TCP or OPC UA into the readings store.

    Readings pass through a durable on-disk buffer (--buffer) into the database (--db on the
    main command). Stop with Ctrl-C or SIGTERM; readings not yet stored stay in the buffer for
    the next run.
    """


def _options(fn: Any) -> Any:
    fn = click.option(
        "--facility", required=True, help="Facility code whose meters the readings belong to."
    )(fn)
    fn = click.option(
        "--buffer",
        "buffer",
        required=True,
        type=click.Path(dir_okay=False, path_type=Path),
        help="SQLite file of the on-disk buffer; keep it across runs so nothing is lost.",
    )(fn)
    fn = click.option(
        "--config",
        "config",
        required=True,
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="Adapter configuration (YAML, TOML or JSON).",
    )(fn)
    return fn


def _run(kind: Kind, config: Path, buffer: Path, url: str, facility: str) -> None:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    sink = StoreSink(url, facility)
    try:
        with session_scope(sink.engine, read_only=True) as session:
            facility_id(session, facility)  # a wrong --facility stops here, not in retries
    except InputError as exc:
        sink.engine.dispose()
        raise click.ClickException(str(exc)) from None
    try:
        stats = run_ingest(kind, config, sink, buffer, stop)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        sink.engine.dispose()
    click.echo(
        f"{stats.delivered} reading(s) delivered to the store; {stats.pending} left in "
        f"{buffer}; {len(stats.errors)} rejected input(s)",
        err=True,
    )


def _command(kind: Kind, help_text: str) -> None:
    @ingest.command(kind, help=help_text)
    @_options
    @click.pass_context
    def command(ctx: click.Context, config: Path, buffer: Path, facility: str) -> None:
        _run(kind, config, buffer, database_url((ctx.obj or {}).get("db")), facility)


_command("mqtt", "Subscribe to an MQTT broker (schema: lingtan.metering.adapters.mqtt).")
_command("modbus", "Poll a Modbus TCP device (schema: lingtan.metering.adapters.modbus).")
_command("opcua", "Subscribe to OPC UA variables (schema: lingtan.metering.adapters.opcua).")


_LETTER_COLUMNS = (
    Column("id"),
    Column("facility_code", "facility"),
    Column("origin"),
    Column("received_at", "received (UTC)"),
    Column("readings_count", "readings", 0),
    Column("first_ts", "first reading (UTC)"),
    Column("last_ts", "last reading (UTC)"),
    Column("attempts", digits=0),
    Column("reason"),
)


@ingest.command("dead-letters")
@click.option("--facility", help="Only the batches of this facility code.")
@format_option
@click.pass_context
@refusing_bad_input
def dead_letters_list(ctx: click.Context, facility: str | None, output: str) -> None:
    """List the batches of live readings the store refused for good and set aside (their
    facility gone, codes that are not meters of it), newest first."""
    with open_store(ctx, read_only=True) as (session, _):
        letters = dead_letters(session)
        rows = [
            {
                "id": letter.id,
                "facility_code": letter.facility_code,
                "origin": letter.origin,
                "received_at": letter.received_at.isoformat(timespec="seconds"),
                "readings_count": letter.readings_count,
                "first_ts": letter.first_ts.isoformat(),
                "last_ts": letter.last_ts.isoformat(),
                "attempts": letter.attempts,
                "reason": letter.reason,
            }
            for letter in letters
            if facility is None or letter.facility_code == facility
        ]
    emit(rows, _LETTER_COLUMNS, output)


@ingest.command("retry")
@click.argument("letter_id", type=click.IntRange(1, 2**63 - 1))
@click.option("--facility", help="Store into this facility code instead of the batch's own.")
@click.pass_context
@refusing_bad_input
def dead_letter_retry(ctx: click.Context, letter_id: int, facility: str | None) -> None:
    """Store the readings of set-aside batch LETTER_ID once its cause is mended: all or
    nothing; the attempt is counted and the new reason kept when it fails again."""
    refused: InputError | None = None
    with open_store(ctx) as (session, _):
        try:
            summary = retry_dead_letter(session, letter_id, actor=actor(), facility_code=facility)
        except InputError as error:
            refused = error  # the attempt and its reason are kept: the transaction commits
    if refused is not None:
        raise refused
    click.echo(
        f"batch {letter_id} stored: {summary.added} reading(s) added, {summary.unchanged} "
        f"unchanged, {summary.conflicts} in conflict"
    )
