"""``ingest``: run an MQTT, Modbus TCP or OPC UA ingestion adapter from the command line.

For now the readings go to a CSV file (``--to``); the storage of readings is being built
separately and will replace this sink. The click group is not yet registered in
:mod:`lingtan.cli`; run it with ``python -m lingtan.cli_ingest``.
"""

from __future__ import annotations

import csv
import os
import signal
import threading
from pathlib import Path
from typing import Any

import click

from lingtan.metering.ingest import ConfigError, Kind, run_ingest
from lingtan.metering.reading import Reading

CSV_COLUMNS = ("meter", "ts", "value", "source")


class CsvSink:
    """Append readings to a CSV file (columns ``meter,ts,value,source``; ts in ISO 8601 UTC).

    A stand-in for the readings store: ``deliver`` returns only after the rows are on disk
    (fsync), so the buffer may delete them. It is not idempotent: a batch resent after a crash
    between the write and the buffer's delete appears twice.

    Parameters
    ----------
    path : str or Path
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def deliver(self, batch: list[Reading]) -> None:
        """Append *batch* and fsync the file."""
        new = not self.path.exists() or self.path.stat().st_size == 0
        with self.path.open("a", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            if new:
                writer.writerow(CSV_COLUMNS)
            writer.writerows((r.meter, r.ts.isoformat(), repr(r.value), r.source) for r in batch)
            fh.flush()
            os.fsync(fh.fileno())


@click.group("ingest")
def ingest() -> None:
    """Collect meter readings from MQTT, Modbus TCP or OPC UA.

    Readings pass through a durable on-disk buffer (--buffer) and, for now, are appended to a
    CSV file (--to); they are NOT yet written to the lingtan database. Stop with Ctrl-C or
    SIGTERM; readings not yet written stay in the buffer for the next run.
    """


def _options(fn: Any) -> Any:
    fn = click.option(
        "--to",
        "to",
        required=True,
        type=click.Path(dir_okay=False, path_type=Path),
        help="CSV file the readings are appended to (stand-in until the readings store).",
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


def _run(kind: Kind, config: Path, buffer: Path, to: Path) -> None:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        stats = run_ingest(kind, config, CsvSink(to), buffer, stop)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"{stats.delivered} reading(s) written to {to}; {stats.pending} left in {buffer}; "
        f"{len(stats.errors)} rejected input(s)",
        err=True,
    )


def _command(kind: Kind, help_text: str) -> None:
    @ingest.command(kind, help=help_text)
    @_options
    def command(config: Path, buffer: Path, to: Path) -> None:
        _run(kind, config, buffer, to)


_command("mqtt", "Subscribe to an MQTT broker (schema: lingtan.metering.mqtt).")
_command("modbus", "Poll a Modbus TCP device (schema: lingtan.metering.modbus).")
_command("opcua", "Subscribe to OPC UA variables (schema: lingtan.metering.opcua).")

if __name__ == "__main__":
    ingest()
