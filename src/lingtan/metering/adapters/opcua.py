"""OPC UA ingestion: subscribe to data changes of server variables and buffer them on disk.

The client creates one subscription with a monitored item per configured node; every data
change becomes a reading timestamped with the value's source timestamp (the server timestamp,
then the arrival time, when the server sends none). A node that does not exist or cannot be
monitored is reported with the meter and node id named, and the other nodes keep working.
When the connection is lost, the client reconnects and subscribes again.

Configuration schema
--------------------
.. code-block:: yaml

    url: opc.tcp://127.0.0.1:4840/lingtan/   # endpoint (required)
    publishing_interval_ms: 1000             # subscription publishing interval (default 1000)
    timeout_s: 4                             # request timeout (default 4)
    reconnect_s: 5                           # wait before reconnecting (default 5)
    nodes:                                   # required, at least one
      - meter: E-01                          # meter code (required)
        node_id: "ns=2;s=Meter.E01.Energy"   # node id in OPC UA text form (required)
        scale: 1.0                           # value = raw * scale (default 1)
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from asyncua import Client, Node, ua

from lingtan.metering.adapters.buffer import DiskBuffer
from lingtan.metering.adapters.config import ConfigError, IngestError, load_config, require
from lingtan.metering.reading import Reading

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NodeMap:
    """One OPC UA variable that carries a meter value."""

    meter: str
    node_id: str
    scale: float = 1.0

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any], index: int) -> NodeMap:
        where = f"opcua nodes[{index}]"
        unknown = sorted(set(raw) - set(cls.__dataclass_fields__))
        if unknown:
            raise ConfigError(f"{where}: unknown key(s) {unknown}")
        require(raw, "meter", where)
        require(raw, "node_id", where)
        node = cls(**raw)
        try:
            ua.NodeId.from_string(node.node_id)
        except Exception as exc:  # asyncua raises several types for malformed ids
            raise ConfigError(f"{where} (meter {node.meter}): bad node_id: {exc}") from exc
        return node


@dataclass(frozen=True)
class OpcUaConfig:
    """Validated OPC UA client configuration (see the module docstring for the schema)."""

    url: str
    nodes: tuple[NodeMap, ...]
    publishing_interval_ms: float = 1000.0
    timeout_s: float = 4.0
    reconnect_s: float = 5.0

    @classmethod
    def load(cls, config: str | Path | Mapping[str, Any]) -> OpcUaConfig:
        """Read and check a configuration file or mapping."""
        raw = load_config(config)
        unknown = sorted(set(raw) - set(cls.__dataclass_fields__))
        if unknown:
            raise ConfigError(f"opcua: unknown key(s) {unknown}")
        require(raw, "url", "opcua")
        nodes = require(raw, "nodes", "opcua")
        if not isinstance(nodes, list) or not nodes:
            raise ConfigError("opcua: 'nodes' must be a non-empty list")
        values = dict(raw)
        values["nodes"] = tuple(NodeMap.from_dict(n, i) for i, n in enumerate(nodes))
        return cls(**values)


def _utc(ts: datetime | None) -> datetime | None:
    if ts is None:
        return None
    # OPC UA DateTime is UTC by definition; asyncua may hand it over naive.
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def _status(code: ua.StatusCode) -> str:
    # The symbolic name (BadNodeIdUnknown) says more than the number.
    return ua.status_codes.get_name_and_doc(code.value)[0]


class OpcUaClient:
    """Subscribe to OPC UA variables and buffer their changes on disk.

    Parameters
    ----------
    config : OpcUaConfig, path or mapping
    buffer : DiskBuffer
    on_error : callable, optional
        Called with every :class:`IngestError`.
    """

    def __init__(
        self,
        config: OpcUaConfig | str | Path | Mapping[str, Any],
        buffer: DiskBuffer,
        *,
        on_error: Callable[[IngestError], None] | None = None,
    ) -> None:
        self.config = config if isinstance(config, OpcUaConfig) else OpcUaConfig.load(config)
        self.buffer = buffer
        self.on_error = on_error
        self.errors: deque[IngestError] = deque(maxlen=1000)
        self.source = f"opcua:{self.config.url}"
        #: Set while connected and subscribed.
        self.subscribed = threading.Event()
        self._meters: dict[str, NodeMap] = {}

    def _record(self, error: IngestError) -> None:
        log.warning("rejected: %s", error)
        self.errors.append(error)
        if self.on_error is not None:
            self.on_error(error)

    # asyncua calls this for every data change of a monitored item
    def datachange_notification(self, node: Node, val: Any, data: Any) -> None:
        """Turn one data change into a reading and buffer it."""
        node_id = node.nodeid.to_string()
        item = self._meters.get(node_id)
        if item is None:
            return
        value = data.monitored_item.Value
        ts = _utc(value.SourceTimestamp) or _utc(value.ServerTimestamp) or datetime.now(UTC)
        if value.StatusCode is not None and not value.StatusCode.is_good():
            self._record(
                IngestError(
                    self.source,
                    f"meter {item.meter}, node {node_id}",
                    f"bad status {_status(value.StatusCode)}",
                )
            )
            return
        if isinstance(val, bool) or not isinstance(val, int | float):
            self._record(
                IngestError(
                    self.source,
                    f"meter {item.meter}, node {node_id}",
                    "value is not a number",
                    repr(val)[:200],
                )
            )
            return
        self.buffer.put([Reading(item.meter, ts, float(val) * item.scale, self.source)])

    def status_change_notification(self, status: Any) -> None:
        """Called by asyncua when the subscription's status changes (e.g. timeout)."""
        log.warning("opcua: subscription status %s", status)

    async def _session(self, stop: threading.Event) -> None:
        cfg = self.config
        async with Client(url=cfg.url, timeout=cfg.timeout_s) as client:
            sub = await client.create_subscription(cfg.publishing_interval_ms, self)
            nodes = [client.get_node(n.node_id) for n in cfg.nodes]
            results = await sub.subscribe_data_change(nodes)
            self._meters = {}
            for item, result in zip(cfg.nodes, results, strict=True):
                if isinstance(result, ua.StatusCode):
                    where = f"meter {item.meter}, node {item.node_id}"
                    self._record(
                        IngestError(self.source, where, f"cannot monitor: {_status(result)}")
                    )
                else:
                    key = ua.NodeId.from_string(item.node_id).to_string()
                    self._meters[key] = item
            self.subscribed.set()
            log.info("opcua: subscribed to %d node(s) at %s", len(self._meters), cfg.url)
            while not stop.is_set():
                await asyncio.sleep(0.2)
                await client.check_connection()  # raises when the link or session is gone

    async def run_async(self, stop: threading.Event) -> None:
        """Connect, subscribe and reconnect after failures until *stop* is set."""
        while not stop.is_set():
            try:
                await self._session(stop)
            except Exception as exc:  # a gateway keeps going: any failure means reconnect
                log.debug("opcua: session ended", exc_info=True)
                self._record(IngestError(self.source, "", f"connection failed: {exc!r}"))
            finally:
                self.subscribed.clear()
            # Wait before reconnecting, but leave at once when asked to stop.
            await asyncio.get_running_loop().run_in_executor(
                None, stop.wait, self.config.reconnect_s
            )

    def run(self, stop: threading.Event) -> None:
        """Blocking form of :meth:`run_async`, for a thread or the CLI."""
        asyncio.run(self.run_async(stop))
