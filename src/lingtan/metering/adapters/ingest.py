"""Run one collection adapter: :func:`run_ingest` starts the MQTT, Modbus TCP or OPC UA adapter
and drains its disk buffer into a sink.

The adapters' configuration files and error records are in :mod:`lingtan.metering.adapters.config`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from lingtan.metering.adapters.buffer import DiskBuffer
from lingtan.metering.adapters.config import ConfigError, IngestError
from lingtan.metering.reading import Sink

log = logging.getLogger(__name__)

Kind = Literal["mqtt", "modbus", "opcua"]
KINDS: tuple[Kind, ...] = ("mqtt", "modbus", "opcua")


@dataclass
class IngestStats:
    """What a :func:`run_ingest` run did.

    Attributes
    ----------
    delivered : int
        Readings the sink accepted.
    pending : int
        Readings left in the buffer at the end (the sink was down); delivered on the next run.
    errors : list of IngestError
        Rejected inputs (at most the last 1,000).
    """

    delivered: int = 0
    pending: int = 0
    errors: list[IngestError] = field(default_factory=list)


def _settle(sink: Sink, *, force: bool = False) -> None:
    """Let a sink that defers work (the store's refresh of daily totals) do it when due; a
    failure is the sink's to retry at the next tick."""
    settle = getattr(sink, "settle", None)
    if settle is not None:
        try:
            settle(force=force)
        except Exception as exc:  # the database down: the marks stay, the next tick retries
            log.warning("sink could not settle: %s", exc)


def run_ingest(
    kind: Kind,
    config: str | Path | Mapping[str, Any],
    sink: Sink,
    buffer_path: str | Path,
    stop_event: threading.Event,
    *,
    flush_interval_s: float = 1.0,
    batch_size: int = 1000,
) -> IngestStats:
    """Run one ingestion adapter until *stop_event* is set, delivering through a disk buffer.

    The adapter puts readings into the :class:`~lingtan.metering.adapters.buffer.DiskBuffer` at
    *buffer_path*; this loop flushes the buffer to *sink* every *flush_interval_s*, backing off
    while the sink fails. Readings still buffered at a stop stay on disk for the next run.

    Parameters
    ----------
    kind : {"mqtt", "modbus", "opcua"}
    config : path or mapping
        The adapter's configuration (schemas in :mod:`lingtan.metering.adapters.mqtt`,
        :mod:`lingtan.metering.adapters.modbus`, :mod:`lingtan.metering.adapters.opcua`).
    sink : Sink
    buffer_path : str or Path
        SQLite file of the buffer; reuse it across runs so nothing is lost.
    stop_event : threading.Event
    flush_interval_s : float
        Seconds between flushes [s].
    batch_size : int
        Readings per ``sink.deliver`` call.

    Returns
    -------
    IngestStats
    """
    if kind not in KINDS:
        raise ConfigError(f"unknown ingestion kind {kind!r} (use one of {', '.join(KINDS)})")
    stats = IngestStats()
    buffer = DiskBuffer(buffer_path)
    worker: threading.Thread | None = None
    try:
        adapter: Any
        # Each adapter pulls in its protocol stack; import only the one needed.
        if kind == "mqtt":
            from lingtan.metering.adapters.mqtt import MqttAdapter

            adapter = MqttAdapter(config, buffer)
            adapter.start()  # paho runs its own network thread
        elif kind == "modbus":
            from lingtan.metering.adapters.modbus import ModbusPoller

            adapter = ModbusPoller(config, buffer)
            worker = threading.Thread(target=adapter.run, args=(stop_event,), daemon=True)
        else:
            from lingtan.metering.adapters.opcua import OpcUaClient

            adapter = OpcUaClient(config, buffer)
            worker = threading.Thread(target=adapter.run, args=(stop_event,), daemon=True)
        if worker is not None:
            worker.start()
        try:
            while not stop_event.is_set():
                if buffer.retry_in_s == 0:
                    stats.delivered += buffer.flush(sink, batch_size)
                    _settle(sink)
                stop_event.wait(max(flush_interval_s, buffer.retry_in_s))
        finally:
            if kind == "mqtt":
                adapter.stop()
            if worker is not None:
                worker.join(timeout=30)
            if kind == "modbus":
                adapter.close()
        # A last attempt so that a clean stop leaves nothing behind when the sink is up.
        stats.delivered += buffer.flush(sink, batch_size)
        _settle(sink, force=True)
        stats.pending = len(buffer)
        stats.errors = list(adapter.errors)
    finally:
        buffer.close()
    return stats
