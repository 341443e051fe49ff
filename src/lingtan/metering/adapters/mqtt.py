"""MQTT ingestion: subscribe to a broker and put the readings into the on-disk buffer.

Each message is parsed by the first subscription whose topic filter matches it; the readings
are committed to the :class:`~lingtan.metering.adapters.buffer.DiskBuffer` before the message is
acknowledged (manual acks), so with QoS 1 the broker keeps a message until its readings are on
disk; a message that cannot be buffered (disk full) is not acknowledged and comes again after
the next reconnection. With a
fixed ``client_id`` and ``clean_session: false`` the broker keeps the session (subscriptions and
queued QoS 1 messages) while the gateway is away; paho reconnects by itself when the broker
restarts.

Configuration schema
--------------------
.. code-block:: yaml

    host: 127.0.0.1          # broker address (default 127.0.0.1)
    port: 1883               # default 1883
    client_id: lingtan-gw-1  # required: the broker keys the persistent session on it
    clean_session: false     # default false: keep subscriptions and queued messages
    qos: 1                   # default 1 (at least once)
    keepalive_s: 30          # default 30
    reconnect_min_s: 1       # reconnect backoff bounds (defaults 1 and 30)
    reconnect_max_s: 30
    username: null           # optional
    password: null           # optional
    subscriptions:           # required, at least one
      # one reading per message, meter code from a topic level (0-based index)
      - topic: factory/+/meter/+
        meter_level: 3
        value_field: value           # default "value"; dotted paths reach nested fields
        timestamp_field: ts          # default "ts"; ISO 8601 with offset, or epoch number
        timestamp_unit: s            # "s" (default) or "ms" for numeric timestamps
        timezone: Asia/Shanghai      # optional: zone of naive ISO timestamps (else refused)
      # one message carrying several meters: meter code -> payload field
      - topic: factory/a/panel/7
        values: {E-7-1: kwh_1, E-7-2: kwh_2}
        timestamp_field: time
      # the meter code can also be fixed (meter: E-01) or read from the payload (meter_field: id)

Payloads are JSON objects. A message without a timestamp field is refused (the arrival time is
not the metering time). Bad payloads become :class:`~lingtan.metering.adapters.config.IngestError`
records naming the topic and the field; the good values of the same message are kept.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from lingtan.metering.adapters.buffer import DiskBuffer
from lingtan.metering.adapters.config import (
    ConfigError,
    IngestError,
    load_config,
    parse_timestamp,
    require,
)
from lingtan.metering.reading import Reading

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Subscription:
    """How the messages of one topic filter become readings (see the module docstring)."""

    topic: str
    meter_level: int | None = None
    meter: str | None = None
    meter_field: str | None = None
    values: Mapping[str, str] | None = None
    value_field: str = "value"
    timestamp_field: str = "ts"
    timestamp_unit: str = "s"
    timezone: str | None = None

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any], index: int) -> Subscription:
        where = f"mqtt subscriptions[{index}]"
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(raw) - known)
        if unknown:
            raise ConfigError(f"{where}: unknown key(s) {unknown}")
        require(raw, "topic", where)
        sub = cls(**{k: raw[k] for k in raw})
        ways = [sub.meter_level is not None, sub.meter is not None, sub.meter_field is not None]
        if sub.values is not None:
            if any(ways) or not isinstance(sub.values, Mapping) or not sub.values:
                raise ConfigError(
                    f"{where}: 'values' (meter -> field) excludes meter_level/meter/meter_field"
                )
        elif sum(ways) != 1:
            raise ConfigError(
                f"{where}: give exactly one of meter_level, meter, meter_field or values"
            )
        if sub.timestamp_unit not in ("s", "ms"):
            raise ConfigError(f"{where}: timestamp_unit must be 's' or 'ms'")
        if sub.meter_level is not None:
            levels = sub.topic.split("/")
            if not 0 <= sub.meter_level < len(levels) or levels[sub.meter_level] != "+":
                raise ConfigError(
                    f"{where}: meter_level {sub.meter_level} must point at a '+' level of "
                    f"{sub.topic!r}"
                )
        return sub


@dataclass(frozen=True)
class MqttConfig:
    """Validated MQTT adapter configuration (see the module docstring for the schema)."""

    client_id: str
    subscriptions: tuple[Subscription, ...]
    host: str = "127.0.0.1"
    port: int = 1883
    clean_session: bool = False
    qos: int = 1
    keepalive_s: int = 30
    reconnect_min_s: int = 1
    reconnect_max_s: int = 30
    username: str | None = None
    password: str | None = None

    @classmethod
    def load(cls, config: str | Path | Mapping[str, Any]) -> MqttConfig:
        """Read and check a configuration file or mapping."""
        raw = load_config(config)
        unknown = sorted(set(raw) - set(cls.__dataclass_fields__))
        if unknown:
            raise ConfigError(f"mqtt: unknown key(s) {unknown}")
        require(raw, "client_id", "mqtt")
        subs = require(raw, "subscriptions", "mqtt")
        if not isinstance(subs, list) or not subs:
            raise ConfigError("mqtt: 'subscriptions' must be a non-empty list")
        values = dict(raw)
        values["subscriptions"] = tuple(Subscription.from_dict(s, i) for i, s in enumerate(subs))
        cfg = cls(**values)
        if cfg.qos not in (0, 1, 2):
            raise ConfigError("mqtt: qos must be 0, 1 or 2")
        return cfg


def _field(payload: Mapping[str, Any], path: str) -> Any:
    node: Any = payload
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            raise KeyError(path)
        node = node[part]
    return node


def _number(raw: Any) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise ValueError("not a number")
    value = float(raw)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError("not a finite number")
    return value


def parse_message(
    sub: Subscription, topic: str, payload: bytes
) -> tuple[list[Reading], list[IngestError]]:
    """Turn one message into readings and error records.

    Parameters
    ----------
    sub : Subscription
        The subscription whose filter matched *topic*.
    topic : str
    payload : bytes

    Returns
    -------
    readings, errors : list of Reading, list of IngestError
    """
    source = f"mqtt:{topic}"
    excerpt = payload[:200].decode("utf-8", "replace")
    try:
        data = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return [], [IngestError(source, "", f"payload is not JSON: {exc}", excerpt)]
    if not isinstance(data, dict):
        return [], [IngestError(source, "", "payload is not a JSON object", excerpt)]

    try:
        raw_ts = _field(data, sub.timestamp_field)
    except KeyError:
        return [], [IngestError(source, sub.timestamp_field, "missing timestamp field", excerpt)]
    try:
        ts = parse_timestamp(raw_ts, unit=sub.timestamp_unit, tz=sub.timezone)
    except (ValueError, OverflowError, OSError) as exc:
        return [], [IngestError(source, sub.timestamp_field, f"bad timestamp: {exc}", str(raw_ts))]

    if sub.values is not None:
        pairs = list(sub.values.items())
    else:
        if sub.meter_level is not None:
            meter = topic.split("/")[sub.meter_level]
        elif sub.meter_field is not None:
            try:
                meter = str(_field(data, sub.meter_field))
            except KeyError:
                return [], [IngestError(source, sub.meter_field, "missing meter field", excerpt)]
        else:
            meter = str(sub.meter)
        pairs = [(meter, sub.value_field)]

    readings: list[Reading] = []
    errors: list[IngestError] = []
    for meter, name in pairs:
        try:
            raw = _field(data, name)
        except KeyError:
            errors.append(IngestError(source, name, f"missing value of meter {meter}"))
            continue
        try:
            readings.append(Reading(meter, ts, _number(raw), source))
        except (ValueError, TypeError) as exc:
            errors.append(IngestError(source, name, f"meter {meter}: {exc}", str(raw)[:200]))
    return readings, errors


class MqttAdapter:
    """Subscribe to a broker and buffer the readings on disk.

    Parameters
    ----------
    config : MqttConfig, path or mapping
    buffer : DiskBuffer
    on_error : callable, optional
        Called with every :class:`IngestError` (after it is logged and kept in :attr:`errors`).
    """

    def __init__(
        self,
        config: MqttConfig | str | Path | Mapping[str, Any],
        buffer: DiskBuffer,
        *,
        on_error: Callable[[IngestError], None] | None = None,
    ) -> None:
        self.config = config if isinstance(config, MqttConfig) else MqttConfig.load(config)
        self.buffer = buffer
        self.on_error = on_error
        self.errors: deque[IngestError] = deque(maxlen=1000)
        self.received = 0
        #: Set while connected and subscribed; cleared on disconnect.
        self.connected = threading.Event()
        cfg = self.config
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=cfg.client_id,
            clean_session=cfg.clean_session,
            protocol=mqtt.MQTTv311,
            manual_ack=True,
        )
        if cfg.username is not None:
            self._client.username_pw_set(cfg.username, cfg.password)
        self._client.reconnect_delay_set(cfg.reconnect_min_s, cfg.reconnect_max_s)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        self._client.on_subscribe = self._on_subscribe

    def _record(self, error: IngestError) -> None:
        log.warning("rejected: %s", error)
        self.errors.append(error)
        if self.on_error is not None:
            self.on_error(error)

    def _on_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, rc: Any, props: Any
    ) -> None:
        if rc.is_failure:
            log.warning("mqtt: %s:%s refused: %s", self.config.host, self.config.port, rc)
            return
        # Subscribe on every connect: a broker that lost its state has no subscriptions for us.
        client.subscribe([(s.topic, self.config.qos) for s in self.config.subscriptions])
        log.info("mqtt: connected to %s:%s", self.config.host, self.config.port)

    def _on_subscribe(
        self, client: mqtt.Client, userdata: Any, mid: int, codes: list[Any], props: Any
    ) -> None:
        for sub, code in zip(self.config.subscriptions, codes, strict=False):
            if code.is_failure:
                self._record(IngestError(f"mqtt:{sub.topic}", "", f"subscription refused: {code}"))
        # Ready only once the broker confirmed the subscriptions (SUBACK), not at CONNACK.
        self.connected.set()

    def _on_disconnect(
        self, client: mqtt.Client, userdata: Any, flags: Any, rc: Any, props: Any
    ) -> None:
        self.connected.clear()
        log.warning("mqtt: disconnected (%s), reconnecting", rc)

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        self.received += 1
        for sub in self.config.subscriptions:
            if mqtt.topic_matches_sub(sub.topic, msg.topic):
                readings, errors = parse_message(sub, msg.topic, msg.payload)
                try:
                    self.buffer.put(readings)
                except Exception as exc:  # e.g. disk full: no ack, the broker keeps the message
                    self._record(IngestError(f"mqtt:{msg.topic}", "", f"cannot buffer: {exc!r}"))
                    return
                for error in errors:
                    self._record(error)
                break
        else:
            self._record(IngestError(f"mqtt:{msg.topic}", "", "no subscription maps this topic"))
        # Acknowledge only now that the readings are on disk (and refused input is recorded).
        client.ack(msg.mid, msg.qos)

    def start(self) -> None:
        """Connect in the background; paho's network thread reconnects after any outage."""
        self._client.connect_async(self.config.host, self.config.port, self.config.keepalive_s)
        self._client.loop_start()

    def stop(self) -> None:
        """Disconnect and stop the network thread."""
        self._client.disconnect()
        self._client.loop_stop()
