"""``ingest``: run an MQTT, Modbus TCP or OPC UA ingestion adapter into the readings store.

Readings pass through a durable on-disk buffer and are written to the database of ``--db`` (or
``LINGTAN_DATABASE_URL``) for the facility's meters. When the database cannot be reached the
buffer keeps them and delivers them, in order, once it is back; storage is idempotent, so a
batch delivered twice after a crash is stored once.
"""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Any

import click

from lingtan.errors import InputError
from lingtan.metering.adapters.config import ConfigError
from lingtan.metering.adapters.ingest import Kind, run_ingest
from lingtan.metering.reading import Reading
from lingtan.metering.rollups import refresh
from lingtan.metering.store import facility_id, ingest_readings
from lingtan.store.db import database_url, make_engine, session_scope


class StoreSink:
    """Deliver readings to the readings store of one facility, one transaction per batch,
    which also refreshes the daily totals (:func:`lingtan.metering.rollups.refresh`).

    Parameters
    ----------
    url : str
        Database URL.
    facility_code : str
        The facility whose meters the readings belong to.
    """

    def __init__(self, url: str, facility_code: str) -> None:
        self.engine = make_engine(url)
        self.facility_code = facility_code

    def deliver(self, batch: list[Reading]) -> None:
        """Store *batch*; raises (and the buffer keeps it) if the database is unreachable."""
        by_source: dict[str, list[tuple[str, Any, float]]] = {}
        for reading in batch:
            by_source.setdefault(reading.source.split(":", 1)[0], []).append(
                (reading.meter, reading.ts, reading.value)
            )
        with session_scope(self.engine) as session:
            for origin, readings in by_source.items():
                summary = ingest_readings(session, self.facility_code, readings, origin=origin)
                if summary.unknown_meters or summary.virtual_meters:
                    # not stored: say so, so that a missing meter definition is noticed
                    click.echo(
                        f"not stored: readings of meters not defined for {self.facility_code} "
                        f"or virtual: {dict(summary.unknown_meters + summary.virtual_meters)}",
                        err=True,
                    )
            # The daily totals of the days these readings touched, in the same transaction.
            refresh(session, facility_id(session, self.facility_code))


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
