"""Gateway side of ingestion against real servers: the durable buffer, MQTT (Mosquitto),
Modbus TCP (pymodbus) and OPC UA (asyncua). Only loopback addresses; every wait is bounded."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

from lingtan.metering.buffer import DiskBuffer
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
        from lingtan.metering.buffer import DiskBuffer
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
