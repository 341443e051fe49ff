"""Gateway side of ingestion against real servers: the durable buffer, MQTT (Mosquitto),
Modbus TCP (pymodbus) and OPC UA (asyncua). Only loopback addresses; every wait is bounded."""

from __future__ import annotations

import getpass
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from conftest import free_port
from lingtan.cli.ingest import ingest
from lingtan.metering.adapters.buffer import DiskBuffer
from lingtan.metering.adapters.config import ConfigError, load_config
from lingtan.metering.adapters.ingest import run_ingest
from lingtan.metering.adapters.modbus import ModbusConfig, ModbusPoller, decode
from lingtan.metering.adapters.mqtt import MqttAdapter, MqttConfig
from lingtan.metering.adapters.opcua import OpcUaClient
from lingtan.metering.reading import Reading

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def readings(n: int, meter: str = "E-01", start: int = 0) -> list[Reading]:
    return [
        Reading(meter, T0 + timedelta(minutes=15 * i), 1000.0 + i, "test")
        for i in range(start, start + n)
    ]


class ListSink:
    """Collects delivered batches; fails the first *failures* calls."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.calls = 0
        self.got: list[Reading] = []

    def deliver(self, batch: list[Reading]) -> None:
        self.calls += 1
        if self.calls <= self.failures:
            raise ConnectionError("database down")
        self.got.extend(batch)


# --- durable buffer ---------------------------------------------------------------------------


def test_buffer_delivers_in_order_and_empties(tmp_path: Path) -> None:
    with DiskBuffer(tmp_path / "buf.sqlite") as buf:
        assert buf.put(readings(25)) == 25
        sink = ListSink()
        assert buf.flush(sink, batch_size=10) == 25
        assert sink.got == readings(25)
        assert sink.calls == 3
        assert len(buf) == 0


def test_failing_sink_keeps_everything_until_it_recovers(tmp_path: Path) -> None:
    with DiskBuffer(tmp_path / "buf.sqlite") as buf:
        buf.put(readings(10))
        sink = ListSink(failures=3)
        for expected_backoff in (0.5, 1.0, 2.0):
            assert buf.flush(sink, batch_size=4) == 0
            assert len(buf) == 10
            assert 0 < buf.retry_in_s <= expected_backoff
        # More readings arrive while the sink is down.
        buf.put(readings(5, start=10))
        assert buf.flush(sink, batch_size=4) == 15
        assert buf.retry_in_s == 0
        assert sink.got == readings(15)
        assert len(buf) == 0


def test_failure_mid_stream_resends_only_undelivered(tmp_path: Path) -> None:
    class FailSecond(ListSink):
        def deliver(self, batch: list[Reading]) -> None:
            self.calls += 1
            if self.calls == 2:
                raise TimeoutError("no acknowledgement")
            self.got.extend(batch)

    with DiskBuffer(tmp_path / "buf.sqlite") as buf:
        buf.put(readings(9))
        sink = FailSecond()
        assert buf.flush(sink, batch_size=3) == 3
        assert len(buf) == 6
        assert buf.flush(sink, batch_size=3) == 6
        assert sink.got == readings(9)


def test_buffer_survives_sigkill(tmp_path: Path) -> None:
    path = tmp_path / "buf.sqlite"
    script = textwrap.dedent(
        f"""
        import os, sys, time
        from datetime import UTC, datetime, timedelta
        from lingtan.metering.adapters.buffer import DiskBuffer
        from lingtan.metering.reading import Reading
        t0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
        buf = DiskBuffer({str(path)!r})
        for i in range(50):
            buf.put([Reading("E-01", t0 + timedelta(minutes=15 * i), 1000.0 + i, "test")])
        print("put", flush=True)
        time.sleep(60)
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, env=os.environ.copy()
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "put"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    with DiskBuffer(path) as buf:
        sink = ListSink()
        assert buf.flush(sink) == 50
        assert sink.got == readings(50)


# --- MQTT -------------------------------------------------------------------------------------


def wait_until(condition, timeout_s: float = 15.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(0.05)


class PrivateBroker:
    """A Mosquitto on a free loopback port, with persistence so sessions survive a restart."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.conf = folder / "mosquitto.conf"
        (folder / "data").mkdir()
        self.conf.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\n"
            f"persistence true\npersistence_location {folder / 'data'}/\n"
            # Run as ourselves: as root, mosquitto would switch to a user that cannot write here.
            f"user {getpass.getuser()}\n"
        )
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["mosquitto", "-c", str(self.conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

        def listening() -> bool:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
            except OSError:
                return False
            return True

        wait_until(listening, 10, "mosquitto to listen")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM: mosquitto saves its persistence file on the way out
            self.proc.wait(timeout=10)


@pytest.fixture
def broker(tmp_path: Path):
    b = PrivateBroker(tmp_path)
    b.start()
    yield b
    b.stop()


class Publisher:
    """A paho client with a persistent session; QoS 1 messages published while the broker is
    away are queued by paho and sent after it reconnects."""

    def __init__(self, port: int) -> None:
        self.acked: set[int] = set()
        self.mids: list[int] = []
        self.client = mqtt.Client(
            mqtt.CallbackAPIVersion.VERSION2,
            client_id=f"pub-{uuid.uuid4().hex[:8]}",
            clean_session=False,
        )
        self.client.reconnect_delay_set(0.1, 0.5)
        self.client.on_publish = lambda c, u, mid, rc, p: self.acked.add(mid)
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def send(self, topic: str, payload: dict | str) -> None:
        body = payload if isinstance(payload, str) else json.dumps(payload)
        self.mids.append(self.client.publish(topic, body, qos=1).mid)

    def wait_all_acked(self, timeout_s: float = 20) -> None:
        wait_until(lambda: self.acked >= set(self.mids), timeout_s, "broker acknowledgements")

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def mqtt_config(port: int, **extra) -> dict:
    return {
        "host": "127.0.0.1",
        "port": port,
        "client_id": f"lingtan-test-{uuid.uuid4().hex[:8]}",
        "reconnect_min_s": 0.1,
        "reconnect_max_s": 0.5,
        "subscriptions": [
            {"topic": "factory/+/meter/+", "meter_level": 3, "timestamp_field": "ts"},
            {
                "topic": "factory/+/panel/+",
                "values": {"P-1": "kwh.l1", "P-2": "kwh.l2"},
                "timestamp_field": "time",
                "timestamp_unit": "ms",
            },
        ],
        **extra,
    }


def drain(buf: DiskBuffer) -> list[Reading]:
    sink = ListSink()
    buf.flush(sink)
    return sink.got


def test_mqtt_broker_restart_mid_stream_loses_nothing(
    broker: PrivateBroker, tmp_path: Path
) -> None:
    buf = DiskBuffer(tmp_path / "mqtt-buf.sqlite")
    adapter = MqttAdapter(mqtt_config(broker.port), buf)
    adapter.start()
    pub = Publisher(broker.port)
    try:
        assert adapter.connected.wait(10)

        def send(i: int) -> None:
            ts = (T0 + timedelta(minutes=15 * i)).isoformat()
            pub.send(f"factory/a/meter/E-{i % 3}", {"ts": ts, "value": i})

        for i in range(20):
            send(i)
        pub.wait_all_acked()
        broker.stop()
        wait_until(lambda: not adapter.connected.is_set(), 10, "the adapter to notice")
        for i in range(20, 40):  # queued by the publisher while the broker is down
            send(i)
        broker.start()
        assert adapter.connected.wait(15)
        for i in range(40, 60):
            send(i)
        pub.wait_all_acked()
        wait_until(lambda: len({r.value for r in drain_peek(buf)}) == 60, 20, "60 readings")
    finally:
        pub.close()
        adapter.stop()
    got = drain(buf)
    assert {r.value for r in got} == set(map(float, range(60)))
    for r in got:
        i = int(r.value)
        assert r.meter == f"E-{i % 3}"
        assert r.ts == T0 + timedelta(minutes=15 * i)
        assert r.source == f"mqtt:factory/a/meter/E-{i % 3}"
    assert not adapter.errors
    buf.close()


def drain_peek(buf: DiskBuffer) -> list[Reading]:
    """Read the buffer without removing anything (a sink that refuses after looking)."""
    seen: list[Reading] = []

    class Peek:
        def deliver(self, batch: list[Reading]) -> None:
            seen.extend(batch)
            raise RuntimeError("peek only")

    buf.flush(Peek(), batch_size=1_000_000)
    return seen


def test_mqtt_bad_payloads_are_named_and_good_readings_kept(tmp_path: Path) -> None:
    # Against the project's broker on 127.0.0.1:1883, on a topic prefix of our own.
    prefix = f"t{uuid.uuid4().hex[:8]}"
    cfg = mqtt_config(1883)
    for sub in cfg["subscriptions"]:
        sub["topic"] = f"{prefix}/{sub['topic']}"
    cfg["subscriptions"][0]["meter_level"] = 4
    buf = DiskBuffer(tmp_path / "buf.sqlite")
    adapter = MqttAdapter(cfg, buf)
    adapter.start()
    pub = Publisher(1883)
    try:
        assert adapter.connected.wait(10)
        ms = int(T0.timestamp() * 1000)
        pub.send(f"{prefix}/factory/a/meter/E-1", {"ts": "2026-03-01T08:00:00Z", "value": 1.5})
        pub.send(f"{prefix}/factory/a/meter/E-1", "not json {")
        pub.send(f"{prefix}/factory/a/meter/E-1", {"ts": "2026-03-01 08:15", "value": 2})
        pub.send(f"{prefix}/factory/a/meter/E-1", {"ts": "2026-03-01T08:30:00+08:00", "value": "x"})
        pub.send(f"{prefix}/factory/a/meter/E-1", {"value": 3})
        pub.send(f"{prefix}/factory/a/panel/7", {"time": ms, "kwh": {"l1": 10, "l2": None}})
        pub.send(f"{prefix}/factory/a/meter/E-2", {"ts": "2026-03-01T08:00:00+08:00", "value": "4"})
        pub.wait_all_acked()
        wait_until(lambda: adapter.received == 7, 10, "7 messages")
    finally:
        pub.close()
        adapter.stop()
    got = drain(buf)
    assert [(r.meter, r.ts, r.value) for r in got] == [
        ("E-1", T0, 1.5),
        ("P-1", T0, 10.0),
        ("E-2", T0 - timedelta(hours=8), 4.0),
    ]
    errors = [str(e) for e in adapter.errors]
    topic = f"mqtt:{prefix}/factory/a"
    assert len(errors) == 5, errors
    assert errors[0].startswith(f"{topic}/meter/E-1: payload is not JSON")
    assert errors[1].startswith(f"{topic}/meter/E-1 field 'ts': bad timestamp: timestamp has no")
    assert errors[2].startswith(f"{topic}/meter/E-1 field 'value': meter E-1: could not convert")
    assert errors[3].startswith(f"{topic}/meter/E-1 field 'ts': missing timestamp field")
    assert errors[4].startswith(f"{topic}/panel/7 field 'kwh.l2': meter P-2: not a number")
    buf.close()


def test_mqtt_message_not_buffered_is_not_acknowledged(
    broker: PrivateBroker, tmp_path: Path
) -> None:
    class DiskFullOnce(DiskBuffer):
        failed = False

        def put(self, readings):
            if not self.failed:
                self.failed = True
                raise OSError(28, "No space left on device")
            return super().put(readings)

    buf = DiskFullOnce(tmp_path / "buf.sqlite")
    adapter = MqttAdapter(mqtt_config(broker.port), buf)
    adapter.start()
    pub = Publisher(broker.port)
    try:
        assert adapter.connected.wait(10)
        pub.send("factory/a/meter/E-1", {"ts": T0.isoformat(), "value": 7})
        pub.wait_all_acked()
        wait_until(lambda: adapter.errors, 10, "the buffering error")
        assert "cannot buffer: OSError(28, 'No space left on device')" in str(adapter.errors[0])
        assert len(buf) == 0
        # Unacknowledged, the message stays with the broker and comes again after a reconnect.
        broker.stop()
        broker.start()
        wait_until(lambda: len(buf) == 1, 20, "the redelivered message")
    finally:
        pub.close()
        adapter.stop()
    assert [(r.meter, r.value) for r in drain(buf)] == [("E-1", 7.0)]
    buf.close()


def test_run_ingest_mqtt_end_to_end(tmp_path: Path) -> None:
    # The project's broker on 127.0.0.1:1883, on a topic prefix of our own.
    prefix = f"t{uuid.uuid4().hex[:8]}"
    cfg = mqtt_config(1883)
    cfg["subscriptions"] = [{"topic": f"{prefix}/+/meter/+", "meter_level": 3}]
    sink = ListSink()
    stop = threading.Event()
    result: list = []
    runner = threading.Thread(
        target=lambda: result.append(
            run_ingest("mqtt", cfg, sink, tmp_path / "buf.sqlite", stop, flush_interval_s=0.05)
        )
    )
    runner.start()
    pub = Publisher(1883)
    try:
        # Subscribed once a probe message comes through.
        def probe_seen() -> bool:
            pub.send(f"{prefix}/a/meter/PROBE", {"ts": T0.isoformat(), "value": 0})
            time.sleep(0.1)
            return any(r.meter == "PROBE" for r in sink.got)

        wait_until(probe_seen, 15, "the subscription")
        for i in range(30):
            pub.send(
                f"{prefix}/a/meter/E-1", {"ts": (T0 + timedelta(minutes=i)).isoformat(), "value": i}
            )
        pub.wait_all_acked()
        wait_until(lambda: sum(r.meter == "E-1" for r in sink.got) == 30, 15, "30 readings")
    finally:
        pub.close()
        stop.set()
        runner.join(timeout=20)
    assert not runner.is_alive()
    assert [r.value for r in sink.got if r.meter == "E-1"] == [float(i) for i in range(30)]
    assert result[0].pending == 0


def test_mqtt_config_errors_name_the_key() -> None:
    with pytest.raises(ConfigError, match="missing required key 'client_id'"):
        MqttConfig.load({"subscriptions": [{"topic": "a/+", "meter_level": 1}]})
    with pytest.raises(ConfigError, match=r"subscriptions\[0\]: meter_level 0 must point"):
        MqttConfig.load({"client_id": "x", "subscriptions": [{"topic": "a/+", "meter_level": 0}]})
    with pytest.raises(ConfigError, match=r"subscriptions\[0\]: give exactly one"):
        MqttConfig.load({"client_id": "x", "subscriptions": [{"topic": "a/b"}]})


# --- Modbus TCP -------------------------------------------------------------------------------

# Holding registers from protocol address 0, with hand-computed meaning:
HOLDING = [
    12345,  # 0: uint16 12345 x 0.1 = 1234.5
    0xFFFE,  # 1: int16 -2
    0x075B, 0xCD15,  # 2-3: uint32 123456789 (0x075BCD15), high word first, x 0.01 = 1234567.89
    0xCD15, 0x075B,  # 4-5: the same, low word first ("CDAB")
    0xFFFE, 0x7960,  # 6-7: int32 -100000 (0xFFFE7960)
    0x4366, 0x8000,  # 8-9: float32 230.5 (0x43668000)
    0x0080, 0x6643,  # 10-11: the same, all four bytes reversed ("DCBA")
    0x6643, 0x0080,  # 12-13: the same, bytes swapped inside each register ("BADC")
    0x3FF8, 0, 0, 0,  # 14-17: float64 1.5 (0x3FF8000000000000)
    0, 0, 0, 0x3FF8,  # 18-21: the same, low word first
]  # fmt: skip
INPUT = [500, 0xC2F6, 0xE979]  # 0: uint16 500 x 0.5 = 250; 1-2: float32 -123.456 (0xC2F6E979)

MODBUS_SERVER = """
import sys
from pymodbus.datastore import ModbusDeviceContext, ModbusSequentialDataBlock, ModbusServerContext
from pymodbus.server import StartTcpServer
# The data block of pymodbus is one-based: block address 1 is protocol address 0.
device = ModbusDeviceContext(
    hr=ModbusSequentialDataBlock(1, {holding}), ir=ModbusSequentialDataBlock(1, {input})
)
StartTcpServer(ModbusServerContext(devices=device, single=True), address=("127.0.0.1", {port}))
"""


@pytest.fixture
def modbus_port(tmp_path: Path):
    port = free_port()
    script = tmp_path / "modbus_server.py"
    script.write_text(MODBUS_SERVER.format(holding=HOLDING, input=INPUT, port=port))
    proc = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )

    def listening() -> bool:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        except OSError:
            return False
        return True

    try:
        wait_until(listening, 15, "the Modbus server to listen")
        yield port
    finally:
        proc.kill()
        proc.wait(timeout=10)


def test_modbus_scaled_values_and_byte_word_orders(modbus_port: int, tmp_path: Path) -> None:
    regs = [
        {"meter": "U16", "address": 0, "data_type": "uint16", "scale": 0.1},
        {"meter": "I16", "address": 1, "data_type": "int16"},
        {"meter": "U32-ABCD", "address": 2, "data_type": "uint32", "scale": 0.01},
        {"meter": "U32-CDAB", "address": 4, "data_type": "uint32", "word_order": "little"},
        {"meter": "I32", "address": 6, "data_type": "int32"},
        {"meter": "F32-ABCD", "address": 8, "data_type": "float32"},
        {
            "meter": "F32-DCBA",
            "address": 10,
            "data_type": "float32",
            "byte_order": "little",
            "word_order": "little",
        },
        {"meter": "F32-BADC", "address": 12, "data_type": "float32", "byte_order": "little"},
        {"meter": "F64", "address": 14, "data_type": "float64"},
        {"meter": "F64-LW", "address": 18, "data_type": "float64", "word_order": "little"},
        {"meter": "IN-U16", "address": 0, "type": "input", "scale": 0.5},
        {"meter": "IN-F32", "address": 1, "type": "input", "data_type": "float32"},
    ]
    config = {"host": "127.0.0.1", "port": modbus_port, "timeout_s": 2, "registers": regs}
    with DiskBuffer(tmp_path / "buf.sqlite") as buf:
        poller = ModbusPoller(config, buf)
        try:
            got = poller.poll_once()
        finally:
            poller.close()
        assert not poller.errors, [str(e) for e in poller.errors]
        values = {r.meter: r.value for r in got}
        assert values == {
            "U16": pytest.approx(1234.5),
            "I16": -2.0,
            "U32-ABCD": pytest.approx(1234567.89),
            "U32-CDAB": 123456789.0,
            "I32": -100000.0,
            "F32-ABCD": 230.5,
            "F32-DCBA": 230.5,
            "F32-BADC": 230.5,
            "F64": 1.5,
            "F64-LW": 1.5,
            "IN-U16": 250.0,
            "IN-F32": pytest.approx(-123.456, abs=1e-5),
        }
        assert {r.source for r in got} == {f"modbus:127.0.0.1:{modbus_port}"}
        assert [r.meter for r in drain(buf)] == [r["meter"] for r in regs]


def test_modbus_register_map_mismatch_names_meter_and_register(
    modbus_port: int, tmp_path: Path
) -> None:
    regs = [
        {"meter": "GOOD", "address": 0, "scale": 0.1},
        {"meter": "NOWHERE", "address": 500},
        {"meter": "TOO-LONG", "address": 20, "data_type": "float64"},  # 20-23, device ends at 21
        {"meter": "NO-INPUT", "address": 7, "type": "input"},
        {"meter": "ALSO-GOOD", "address": 1, "data_type": "int16"},
    ]
    config = {"host": "127.0.0.1", "port": modbus_port, "timeout_s": 2, "registers": regs}
    with DiskBuffer(tmp_path / "buf.sqlite") as buf:
        poller = ModbusPoller(config, buf)
        try:
            got = poller.poll_once()
        finally:
            poller.close()
        assert [(r.meter, r.value) for r in got] == [("GOOD", 1234.5), ("ALSO-GOOD", -2.0)]
        assert [str(e) for e in poller.errors] == [
            f"modbus:127.0.0.1:{modbus_port} field 'meter NOWHERE, holding register 500 "
            "(uint16, 1 register)': device 1 answered exception 2 (illegal data address)",
            f"modbus:127.0.0.1:{modbus_port} field 'meter TOO-LONG, holding register 20 "
            "(float64, 4 registers)': device 1 answered exception 2 (illegal data address)",
            f"modbus:127.0.0.1:{modbus_port} field 'meter NO-INPUT, input register 7 "
            "(uint16, 1 register)': device 1 answered exception 2 (illegal data address)",
        ]
        assert len(buf) == 2


def test_modbus_unreachable_device_and_bad_config(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"registers\[0\] \(meter M\): data_type must be"):
        ModbusConfig.load(
            {"host": "h", "registers": [{"meter": "M", "address": 0, "data_type": "u8"}]}
        )
    config = {
        "host": "127.0.0.1",
        "port": free_port(),
        "timeout_s": 1,
        "registers": [{"meter": "M", "address": 0}],
    }
    with DiskBuffer(tmp_path / "buf.sqlite") as buf:
        poller = ModbusPoller(config, buf)
        assert poller.poll_once() == []
        poller.close()
        assert "cannot connect to the device" in str(poller.errors[0])


def test_decode_by_hand() -> None:
    assert decode([0x4366, 0x8000], "float32") == 230.5
    assert decode([0x8000, 0x4366], "float32", word_order="little") == 230.5
    assert decode([0x0080, 0x6643], "float32", byte_order="little", word_order="little") == 230.5
    assert decode([0xFFFF], "uint16") == 65535
    assert decode([0xFFFF], "int16") == -1
    with pytest.raises(ValueError, match="float64 needs 4 registers, got 2"):
        decode([1, 2], "float64")


# --- OPC UA -----------------------------------------------------------------------------------

OPCUA_SERVER = """
import asyncio
from asyncua import Server, ua

async def main():
    server = Server()
    await server.init()
    server.set_endpoint("opc.tcp://127.0.0.1:{port}/lingtan/")
    server.set_security_policy([ua.SecurityPolicyType.NoSecurity])
    idx = await server.register_namespace("urn:lingtan:test")
    meters = await server.nodes.objects.add_object(idx, "Meters")
    energy = await meters.add_variable(ua.NodeId("E01.Energy", idx), "E01.Energy", 1000.0)
    flow = await meters.add_variable(
        ua.NodeId("G01.Flow", idx), "G01.Flow", ua.Variant(0, ua.VariantType.Int32)
    )
    state = await meters.add_variable(ua.NodeId("G01.State", idx), "G01.State", "ok")
    async with server:
        print("ready", idx, flush=True)
        step = 0
        while True:
            step += 1
            await energy.write_value(1000.0 + step)  # a register that counts up by 1 kWh
            await flow.write_value(ua.Variant(step * 10, ua.VariantType.Int32))
            await state.write_value("step %d" % step)
            await asyncio.sleep(0.05)

asyncio.run(main())
"""


def start_opcua_server(script: Path) -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()  # blocks until the server is up (or exits)
    if not line.startswith("ready"):
        proc.kill()
        raise AssertionError("the OPC UA server did not start")
    return proc, int(line.split()[1])


@pytest.fixture
def opcua_url(tmp_path: Path):
    port = free_port()
    script = tmp_path / "opcua_server.py"
    script.write_text(OPCUA_SERVER.format(port=port))
    proc, ns = start_opcua_server(script)
    try:
        yield f"opc.tcp://127.0.0.1:{port}/lingtan/", ns
    finally:
        proc.kill()
        proc.wait(timeout=10)


def test_opcua_subscription_turns_data_changes_into_readings(opcua_url, tmp_path: Path) -> None:
    url, ns = opcua_url
    config = {
        "url": url,
        "publishing_interval_ms": 50,
        "reconnect_s": 0.5,
        "nodes": [
            {"meter": "E-01", "node_id": f"ns={ns};s=E01.Energy"},
            {"meter": "G-01", "node_id": f"ns={ns};s=G01.Flow", "scale": 0.1},
            {"meter": "G-02", "node_id": f"ns={ns};s=G01.State"},
            {"meter": "MISSING", "node_id": f"ns={ns};s=No.Such.Node"},
        ],
    }
    buf = DiskBuffer(tmp_path / "buf.sqlite")
    client = OpcUaClient(config, buf)
    stop = threading.Event()
    thread = threading.Thread(target=client.run, args=(stop,), daemon=True)
    thread.start()
    try:
        assert client.subscribed.wait(20)

        def enough() -> bool:
            meters = [r.meter for r in drain_peek(buf)]
            return meters.count("E-01") >= 5 and meters.count("G-01") >= 5

        wait_until(enough, 20, "5 changes of each variable")
    finally:
        stop.set()
        thread.join(timeout=15)
    assert not thread.is_alive()
    got = drain(buf)
    energy = [r for r in got if r.meter == "E-01"]
    flow = [r for r in got if r.meter == "G-01"]
    assert {r.meter for r in got} == {"E-01", "G-01"}
    # The counter's changes, in order (the server may coalesce changes within an interval).
    steps = [r.value - 1000.0 for r in energy]
    assert steps == sorted(steps) and all(s == int(s) for s in steps)
    assert all(round(r.value, 6) == round(r.value, 0) for r in flow)
    assert all(r.ts.tzinfo is not None for r in got)
    assert all(abs((datetime.now(UTC) - r.ts).total_seconds()) < 60 for r in got)
    assert {r.source for r in got} == {f"opcua:{url}"}
    errors = [str(e) for e in client.errors]
    assert any(
        f"meter MISSING, node ns={ns};s=No.Such.Node" in e and "BadNodeIdUnknown" in e
        for e in errors
    ), errors
    assert any("meter G-02" in e and "value is not a number" in e for e in errors), errors
    buf.close()


# --- runner and CLI ---------------------------------------------------------------------------


def test_run_ingest_catches_up_after_the_sink_recovers(modbus_port: int, tmp_path: Path) -> None:
    config = {
        "host": "127.0.0.1",
        "port": modbus_port,
        "interval_s": 0.05,
        "registers": [
            {"meter": "U16", "address": 0, "scale": 0.1},
            {"meter": "I16", "address": 1, "data_type": "int16"},
        ],
    }
    sink = ListSink(failures=2)  # down for the first two attempts (backoff 0.5 s, then 1 s)
    stop = threading.Event()
    result: list = []
    runner = threading.Thread(
        target=lambda: result.append(
            run_ingest("modbus", config, sink, tmp_path / "buf.sqlite", stop, flush_interval_s=0.05)
        )
    )
    runner.start()
    try:
        wait_until(lambda: sink.calls >= 3 and len(sink.got) >= 40, 20, "the sink to catch up")
    finally:
        stop.set()
        runner.join(timeout=20)
    assert not runner.is_alive()
    stats = result[0]
    assert stats.pending == 0
    assert stats.delivered == len(sink.got)
    assert not stats.errors
    # Readings made while the sink was down came first, and in order.
    assert [r.ts for r in sink.got] == sorted(r.ts for r in sink.got)
    assert [r.meter for r in sink.got[:4]] == ["U16", "I16", "U16", "I16"]
    assert {r.value for r in sink.got} == {1234.5, -2.0}
    with DiskBuffer(tmp_path / "buf.sqlite") as buf:
        assert len(buf) == 0


def test_run_ingest_refuses_unknown_kind(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown ingestion kind 'bacnet'"):
        run_ingest("bacnet", {}, ListSink(), tmp_path / "b.sqlite", threading.Event())  # type: ignore[arg-type]


def test_config_files_yaml_toml_json_agree(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(
        "host: 10.0.0.5\nregisters:\n  - {meter: E-01, address: 40, data_type: float32}\n"
    )
    (tmp_path / "c.toml").write_text(
        'host = "10.0.0.5"\n[[registers]]\nmeter = "E-01"\naddress = 40\ndata_type = "float32"\n'
    )
    (tmp_path / "c.json").write_text(
        '{"host": "10.0.0.5", "registers": [{"meter": "E-01", "address": 40, "data_type": "float32"}]}'
    )
    loaded = {ModbusConfig.load(tmp_path / f"c.{ext}") for ext in ("yaml", "toml", "json")}
    assert len(loaded) == 1
    (tmp_path / "c.ini").write_text("")
    with pytest.raises(ConfigError, match="unknown configuration format"):
        load_config(tmp_path / "c.ini")


def test_cli_ingest_modbus_into_the_store_and_stops_on_sigterm(
    modbus_port: int, tmp_path: Path, store_engine, database_url
) -> None:
    import sqlalchemy as sa

    from lingtan.metering.store import MeterDefinition
    from lingtan.store.db import session_scope
    from lingtan.store.models import MeterReading
    from metering_support import add_plant

    with session_scope(store_engine) as session:
        add_plant(session, [], [MeterDefinition("U16", "electricity", "kWh", "interval")])
    config = tmp_path / "modbus.toml"
    config.write_text(
        f'host = "127.0.0.1"\nport = {modbus_port}\ninterval_s = 0.1\n'
        '[[registers]]\nmeter = "U16"\naddress = 0\nscale = 0.1\n'
    )

    def stored() -> list[float]:
        with store_engine.connect() as connection:
            return connection.execute(sa.select(MeterReading.value)).scalars().all()

    proc = subprocess.Popen(
        [sys.executable, "-m", "lingtan", "--db", database_url, "ingest", "modbus",
         "--config", str(config), "--buffer", str(tmp_path / "buf.sqlite"), "--facility", "F1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        wait_until(lambda: len(stored()) >= 3, 30, "readings in the store")
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert set(stored()) == {1234.5}
    assert "delivered to the store" in err and "0 rejected input(s)" in err


def test_cli_ingest_commands() -> None:
    from click.testing import CliRunner

    result = CliRunner().invoke(ingest, ["--help"])
    assert result.exit_code == 0
    assert "into the readings store" in " ".join(result.output.split())
    assert set(ingest.commands) == {"mqtt", "modbus", "opcua", "dead-letters", "retry"}


def test_opcua_client_resubscribes_after_a_server_restart(tmp_path: Path) -> None:
    port = free_port()
    script = tmp_path / "opcua_server.py"
    script.write_text(OPCUA_SERVER.format(port=port))
    proc, ns = start_opcua_server(script)
    config = {
        "url": f"opc.tcp://127.0.0.1:{port}/lingtan/",
        "publishing_interval_ms": 50,
        "timeout_s": 2,
        "reconnect_s": 0.2,
        "nodes": [{"meter": "E-01", "node_id": f"ns={ns};s=E01.Energy"}],
    }
    buf = DiskBuffer(tmp_path / "buf.sqlite")
    client = OpcUaClient(config, buf)
    stop = threading.Event()
    thread = threading.Thread(target=client.run, args=(stop,), daemon=True)
    thread.start()
    try:
        assert client.subscribed.wait(20)
        wait_until(lambda: len(buf) >= 3, 10, "readings before the restart")
        proc.kill()
        proc.wait(timeout=10)
        wait_until(lambda: not client.subscribed.is_set(), 15, "the client to notice")
        before = drain(buf)
        restarted = datetime.now(UTC)
        proc, _ = start_opcua_server(script)
        assert client.subscribed.wait(20)
        wait_until(lambda: len(buf) >= 3, 10, "readings after the restart")
    finally:
        stop.set()
        thread.join(timeout=15)
        proc.kill()
        proc.wait(timeout=10)
    after = drain(buf)
    assert before and all(r.ts >= restarted - timedelta(seconds=1) for r in after)
    assert any("connection failed" in str(e) for e in client.errors)
    buf.close()
