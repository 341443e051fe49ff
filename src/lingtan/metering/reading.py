"""A raw meter reading as collected by an ingestion adapter, and the sink that receives them.

The gateway side of ingestion (MQTT, Modbus TCP, OPC UA adapters and the on-disk buffer) only
knows these two names, so it stays independent of how and where the readings are stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

#: The earliest moment a reading may have: 2000-01-01T00:00:00Z [s since 1970, UTC]. Earlier
#: ones are a gateway's unset clock (1970) or a typing slip, and years before 1970 or near
#: 9999 break the arithmetic of days downstream.
EARLIEST_TS = 946_684_800
EARLIEST = "2000-01-01T00:00:00Z"


@dataclass(frozen=True, slots=True)
class Reading:
    """One raw value of one meter at one instant.

    Parameters
    ----------
    meter : str
        Meter code, as configured in the metering tree.
    ts : datetime
        Instant of the value, timezone aware, in UTC.
    value : float
        The value in the meter's unit (after the adapter's scale).
    source : str
        Where the value came from, e.g. ``mqtt:factory/a/meter/m1`` or ``modbus:10.0.0.5:502``.
    """

    meter: str
    ts: datetime
    value: float
    source: str

    def __post_init__(self) -> None:
        # A naive timestamp is ambiguous across the gateway and the store: refuse it here.
        if self.ts.tzinfo is None or self.ts.utcoffset() is None:
            raise ValueError(f"reading of meter {self.meter!r}: timestamp {self.ts} is naive")


@runtime_checkable
class Sink(Protocol):
    """Receives batches of readings; the storage implements it later.

    ``deliver`` must either accept the whole batch or raise: the buffer deletes a batch only
    when ``deliver`` returns.
    """

    def deliver(self, batch: list[Reading]) -> None:
        """Store or forward *batch*; raise on any failure."""
        ...
