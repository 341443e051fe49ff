"""Modbus TCP ingestion: poll register maps and put the readings into the on-disk buffer.

Each configured register is read with its own request, so a register map that does not match
the device fails for that register only, with an error naming the meter and the register; the
other meters of the same poll are kept. The reading's timestamp is the poll time (UTC).

Configuration schema
--------------------
.. code-block:: yaml

    host: 127.0.0.1      # device or gateway address (required)
    port: 502            # default 502
    device_id: 1         # Modbus unit id (default 1)
    timeout_s: 3         # per request (default 3)
    interval_s: 60       # seconds between polls (default 60)
    byte_order: big      # defaults for every register: byte order inside a 16-bit register
    word_order: big      # and order of the registers of a 32/64-bit value ("big" = high first)
    registers:           # required, at least one
      - meter: E-01           # meter code (required)
        address: 0            # 0-based protocol address, as on the wire (required)
        type: holding         # "holding" (function 3, default) or "input" (function 4)
        data_type: uint32     # uint16 | int16 | uint32 | int32 | float32 | float64 (default uint16)
        scale: 0.01           # value = raw * scale (default 1)
        word_order: little    # optional override of the device default
        byte_order: big       # optional override of the device default
        device_id: 2          # optional override (meters behind one gateway)

Data types take 1 (16-bit), 2 (32-bit) or 4 (64-bit) registers. ``byte_order: little`` swaps
the two bytes of every register; ``word_order: little`` puts the lowest register first (the
common "CDAB" layout of 32-bit values is ``word_order: little, byte_order: big``).
"""

from __future__ import annotations

import logging
import struct
import threading
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pymodbus.client import ModbusTcpClient
from pymodbus.exceptions import ModbusException

from lingtan.metering.adapters.buffer import DiskBuffer
from lingtan.metering.adapters.config import ConfigError, IngestError, load_config, require
from lingtan.metering.reading import Reading

log = logging.getLogger(__name__)

#: data type -> (registers, struct format of the big-endian bytes)
DATA_TYPES: dict[str, tuple[int, str]] = {
    "uint16": (1, ">H"),
    "int16": (1, ">h"),
    "uint32": (2, ">I"),
    "int32": (2, ">i"),
    "float32": (2, ">f"),
    "float64": (4, ">d"),
}

#: Modbus exception codes (Modbus Application Protocol V1.1b3 §7)
EXCEPTION_CODES = {
    1: "illegal function",
    2: "illegal data address",
    3: "illegal data value",
    4: "server device failure",
    6: "server device busy",
    10: "gateway path unavailable",
    11: "gateway target device failed to respond",
}

_ORDERS = ("big", "little")


@dataclass(frozen=True)
class Register:
    """One meter value in the device's register map (see the module docstring)."""

    meter: str
    address: int
    type: str = "holding"
    data_type: str = "uint16"
    scale: float = 1.0
    byte_order: str | None = None
    word_order: str | None = None
    device_id: int | None = None

    @property
    def count(self) -> int:
        """Number of 16-bit registers of the value."""
        return DATA_TYPES[self.data_type][0]

    def describe(self) -> str:
        """``holding register 40 (uint32, 2 registers)``, for error messages."""
        plural = "register" if self.count == 1 else "registers"
        return f"{self.type} register {self.address} ({self.data_type}, {self.count} {plural})"

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any], index: int) -> Register:
        where = f"modbus registers[{index}]"
        unknown = sorted(set(raw) - set(cls.__dataclass_fields__))
        if unknown:
            raise ConfigError(f"{where}: unknown key(s) {unknown}")
        require(raw, "meter", where)
        require(raw, "address", where)
        reg = cls(**raw)
        where = f"{where} (meter {reg.meter})"
        if not isinstance(reg.address, int) or not 0 <= reg.address <= 0xFFFF:
            raise ConfigError(f"{where}: address must be an integer 0..65535")
        if reg.type not in ("holding", "input"):
            raise ConfigError(f"{where}: type must be 'holding' or 'input', not {reg.type!r}")
        if reg.data_type not in DATA_TYPES:
            raise ConfigError(f"{where}: data_type must be one of {sorted(DATA_TYPES)}")
        for name in ("byte_order", "word_order"):
            if getattr(reg, name) not in (None, *_ORDERS):
                raise ConfigError(f"{where}: {name} must be 'big' or 'little'")
        return reg


def decode(
    registers: Sequence[int], data_type: str, *, byte_order: str = "big", word_order: str = "big"
) -> float:
    """Decode raw 16-bit registers into a number.

    Parameters
    ----------
    registers : sequence of int
        Register values as read, in address order.
    data_type : str
        One of :data:`DATA_TYPES`.
    byte_order, word_order : {"big", "little"}
        Byte order inside each register, and register order ("big": highest word first).

    Returns
    -------
    float
    """
    count, fmt = DATA_TYPES[data_type]
    if len(registers) != count:
        raise ValueError(f"{data_type} needs {count} registers, got {len(registers)}")
    words = list(registers)
    if word_order == "little":
        words.reverse()
    raw = b"".join(w.to_bytes(2, "big") for w in words)
    if byte_order == "little":
        raw = b"".join(raw[i : i + 2][::-1] for i in range(0, len(raw), 2))
    return float(struct.unpack(fmt, raw)[0])


@dataclass(frozen=True)
class ModbusConfig:
    """Validated Modbus TCP poller configuration (see the module docstring for the schema)."""

    host: str
    registers: tuple[Register, ...]
    port: int = 502
    device_id: int = 1
    timeout_s: float = 3.0
    interval_s: float = 60.0
    byte_order: str = "big"
    word_order: str = "big"

    @classmethod
    def load(cls, config: str | Path | Mapping[str, Any]) -> ModbusConfig:
        """Read and check a configuration file or mapping."""
        raw = load_config(config)
        unknown = sorted(set(raw) - set(cls.__dataclass_fields__))
        if unknown:
            raise ConfigError(f"modbus: unknown key(s) {unknown}")
        require(raw, "host", "modbus")
        regs = require(raw, "registers", "modbus")
        if not isinstance(regs, list) or not regs:
            raise ConfigError("modbus: 'registers' must be a non-empty list")
        values = dict(raw)
        values["registers"] = tuple(Register.from_dict(r, i) for i, r in enumerate(regs))
        cfg = cls(**values)
        for name in ("byte_order", "word_order"):
            if getattr(cfg, name) not in _ORDERS:
                raise ConfigError(f"modbus: {name} must be 'big' or 'little'")
        if cfg.interval_s <= 0:
            raise ConfigError("modbus: interval_s must be positive")
        return cfg


class ModbusPoller:
    """Poll a Modbus TCP device and buffer the readings on disk.

    Parameters
    ----------
    config : ModbusConfig, path or mapping
    buffer : DiskBuffer
    on_error : callable, optional
        Called with every :class:`IngestError`.
    """

    def __init__(
        self,
        config: ModbusConfig | str | Path | Mapping[str, Any],
        buffer: DiskBuffer,
        *,
        on_error: Callable[[IngestError], None] | None = None,
    ) -> None:
        self.config = config if isinstance(config, ModbusConfig) else ModbusConfig.load(config)
        self.buffer = buffer
        self.on_error = on_error
        self.errors: deque[IngestError] = deque(maxlen=1000)
        cfg = self.config
        self.source = f"modbus:{cfg.host}:{cfg.port}"
        # retries=0: the next poll is the retry; a hung device must not stall the other meters.
        self._client = ModbusTcpClient(cfg.host, port=cfg.port, timeout=cfg.timeout_s, retries=0)

    def _record(self, error: IngestError) -> None:
        log.warning("rejected: %s", error)
        self.errors.append(error)
        if self.on_error is not None:
            self.on_error(error)

    def _read(self, reg: Register) -> float:
        device = reg.device_id if reg.device_id is not None else self.config.device_id
        read = (
            self._client.read_holding_registers
            if reg.type == "holding"
            else self._client.read_input_registers
        )
        response = read(reg.address, count=reg.count, device_id=device)
        if response.isError():
            code = getattr(response, "exception_code", None)
            text = EXCEPTION_CODES.get(code, "error response") if code else "error response"
            raise ValueError(f"device {device} answered exception {code} ({text})")
        if len(response.registers) != reg.count:
            raise ValueError(f"device returned {len(response.registers)} registers")
        return decode(
            response.registers,
            reg.data_type,
            byte_order=reg.byte_order or self.config.byte_order,
            word_order=reg.word_order or self.config.word_order,
        )

    def poll_once(self) -> list[Reading]:
        """Read every register once, buffer the good readings and return them.

        A register that fails becomes an :class:`IngestError` naming the meter and the register;
        when the device cannot be reached at all, one error names the device.
        """
        if not self._client.connected and not self._client.connect():
            self._record(IngestError(self.source, "", "cannot connect to the device"))
            return []
        ts = datetime.now(UTC)
        readings: list[Reading] = []
        for reg in self.config.registers:
            try:
                value = self._read(reg) * reg.scale
            except (ValueError, ModbusException) as exc:
                where = f"meter {reg.meter}, {reg.describe()}"
                self._record(IngestError(self.source, where, str(exc)))
                continue
            readings.append(Reading(reg.meter, ts, value, self.source))
        self.buffer.put(readings)
        return readings

    def run(self, stop: threading.Event) -> None:
        """Poll every ``interval_s`` until *stop* is set."""
        while not stop.is_set():
            started = datetime.now(UTC)
            self.poll_once()
            elapsed = (datetime.now(UTC) - started).total_seconds()
            stop.wait(max(0.0, self.config.interval_s - elapsed))

    def close(self) -> None:
        """Close the TCP connection."""
        self._client.close()
