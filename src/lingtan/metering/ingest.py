"""Shared pieces of the ingestion adapters: configuration files, error records, timestamps,
and :func:`run_ingest`, which runs one adapter and drains its disk buffer into a sink.

Configuration files are YAML (``.yaml``/``.yml``), TOML (``.toml``) or JSON (``.json``); each
adapter module documents its own schema. A plain dict is accepted wherever a file is.
"""

from __future__ import annotations

import json
import logging
import threading
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import yaml

from lingtan.metering.buffer import DiskBuffer
from lingtan.metering.reading import Sink

log = logging.getLogger(__name__)


class ConfigError(ValueError):
    """An adapter configuration that cannot work; the message names the key."""


@dataclass(frozen=True)
class IngestError:
    """A rejected input: what came in, where, which field, and why.

    Parameters
    ----------
    source : str
        Topic, device and register, or node id, e.g. ``mqtt:factory/a/meter/m1``.
    field : str
        The payload field, register or node that was wrong (``""`` for the whole message).
    message : str
        What was wrong, for a person.
    value : str
        An excerpt of the offending value (at most 200 characters).
    at : datetime
        When the error was recorded (UTC).
    """

    source: str
    field: str
    message: str
    value: str = ""
    at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __str__(self) -> str:
        where = f"{self.source} field {self.field!r}" if self.field else self.source
        excerpt = f" (value {self.value!r})" if self.value else ""
        return f"{where}: {self.message}{excerpt}"


def load_config(config: str | Path | Mapping[str, Any]) -> dict[str, Any]:
    """Read an adapter configuration from a YAML, TOML or JSON file, or copy a mapping.

    Parameters
    ----------
    config : str, Path or mapping

    Returns
    -------
    dict
    """
    if isinstance(config, Mapping):
        return dict(config)
    path = Path(config)
    text = path.read_text(encoding="utf-8")
    suffix = path.suffix.lower()
    if suffix == ".toml":
        data: Any = tomllib.loads(text)
    elif suffix == ".json":
        data = json.loads(text)
    elif suffix in (".yaml", ".yml"):
        data = yaml.safe_load(text)
    else:
        raise ConfigError(f"{path}: unknown configuration format (use .yaml, .toml or .json)")
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the configuration must be a mapping at the top level")
    return data


def parse_timestamp(raw: Any, *, unit: str = "s", tz: str | None = None) -> datetime:
    """Turn a payload timestamp into an aware UTC datetime.

    Parameters
    ----------
    raw : str, int or float
        ISO 8601 text (with offset, or naive when *tz* is given) or a number since the epoch.
    unit : {"s", "ms"}
        Unit of numeric timestamps.
    tz : str, optional
        IANA zone for naive ISO timestamps (e.g. ``Asia/Shanghai``); without it they are refused.

    Returns
    -------
    datetime
    """
    if isinstance(raw, bool):
        raise ValueError("a boolean is not a timestamp")
    if isinstance(raw, int | float):
        seconds = raw / 1000.0 if unit == "ms" else float(raw)
        return datetime.fromtimestamp(seconds, UTC)
    if isinstance(raw, str):
        ts = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
        if ts.tzinfo is None:
            if tz is None:
                raise ValueError("timestamp has no UTC offset and no timezone is configured")
            ts = ts.replace(tzinfo=ZoneInfo(tz))
        return ts.astimezone(UTC)
    raise ValueError(f"expected ISO 8601 text or a number, got {type(raw).__name__}")


def require(mapping: Mapping[str, Any], key: str, where: str) -> Any:
    """Return ``mapping[key]`` or raise :class:`ConfigError` naming *where* and *key*."""
    if key not in mapping:
        raise ConfigError(f"{where}: missing required key {key!r}")
    return mapping[key]


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

    The adapter puts readings into the :class:`~lingtan.metering.buffer.DiskBuffer` at
    *buffer_path*; this loop flushes the buffer to *sink* every *flush_interval_s*, backing off
    while the sink fails. Readings still buffered at a stop stay on disk for the next run.

    Parameters
    ----------
    kind : {"mqtt", "modbus", "opcua"}
    config : path or mapping
        The adapter's configuration (schemas in :mod:`lingtan.metering.mqtt`,
        :mod:`lingtan.metering.modbus`, :mod:`lingtan.metering.opcua`).
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
            from lingtan.metering.mqtt import MqttAdapter

            adapter = MqttAdapter(config, buffer)
            adapter.start()  # paho runs its own network thread
        elif kind == "modbus":
            from lingtan.metering.modbus import ModbusPoller

            adapter = ModbusPoller(config, buffer)
            worker = threading.Thread(target=adapter.run, args=(stop_event,), daemon=True)
        else:
            from lingtan.metering.opcua import OpcUaClient

            adapter = OpcUaClient(config, buffer)
            worker = threading.Thread(target=adapter.run, args=(stop_event,), daemon=True)
        if worker is not None:
            worker.start()
        try:
            while not stop_event.is_set():
                if buffer.retry_in_s == 0:
                    stats.delivered += buffer.flush(sink, batch_size)
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
        stats.pending = len(buffer)
        stats.errors = list(adapter.errors)
    finally:
        buffer.close()
    return stats
