"""No reading is lost when the database goes away during MQTT ingestion.

``lingtan ingest mqtt`` runs as in production (a subprocess) against the project's Mosquitto on
127.0.0.1:1883, on a topic of its own. Mid-stream the database disappears: a private
PostgreSQL server (never the shared one on 5432) is stopped, fast or by a crash, and started
again; a SQLite file is held locked by another process. Every published reading must end up
stored exactly once, with no conflict recorded.

Needs PostgreSQL's server binaries (``initdb``, ``pg_ctl``) and Mosquitto on 1883: without them
the tests are skipped (a failure under ``make test``, which provides them).
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import pwd
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
import sqlalchemy as sa

from conftest import free_port
from lingtan.metering.store import MeterDefinition
from lingtan.store.db import make_engine, session_scope, upgrade
from lingtan.store.models import MeterReading, MeterReadingConflict
from metering_support import add_plant

T0 = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)
METERS = ("E-1", "E-2", "E-3")
PROBE_TS = T0 - timedelta(days=1)
PER_PHASE = 40
OUTAGE_S = 3.0  # the database stays away at least this long [s]  # readings published before, during and after the outage


def wait_until(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(0.05)


class PrivatePostgres:
    """A throwaway PostgreSQL cluster on a free loopback port, trust auth, run as ``postgres``
    when we are root (the server refuses to run as root)."""

    def __init__(self) -> None:
        # Debian keeps the server binaries out of PATH, one folder per major version.
        bins = sorted(
            glob.glob("/usr/lib/postgresql/*/bin/initdb"),
            key=lambda p: [int(x) for x in Path(p).parts[4].split(".") if x.isdigit()],
        )
        initdb = bins[-1] if bins else shutil.which("initdb")
        if initdb is None:
            pytest.skip("PostgreSQL server binaries (initdb) not found")
        self.bin = Path(initdb).parent
        self.prefix: list[str] = []
        user = None
        if os.geteuid() == 0:
            try:
                user = pwd.getpwnam("postgres")
            except KeyError:
                pytest.skip("no user 'postgres' to run a PostgreSQL server as (we are root)")
            self.prefix = ["runuser", "-u", "postgres", "--"]
        # Not under pytest's tmp_path: its folders are private to root.
        self.folder = Path(tempfile.mkdtemp(prefix="lingtan-pg-"))
        if user is not None:
            os.chown(self.folder, user.pw_uid, user.pw_gid)
        self.data = self.folder / "data"
        self.port = free_port()
        self._run("initdb", "-D", self.data, "-A", "trust", "-U", "postgres", "--no-sync")
        self.options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} "
            f"-c unix_socket_directories={self.folder}"
        )
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: object) -> None:
        command = [*self.prefix, str(self.bin / tool), *map(str, args)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            raise RuntimeError(f"{tool} failed: {done.stdout}{done.stderr}")

    def start(self) -> None:
        log = self.folder / "server.log"
        self._run("pg_ctl", "-D", self.data, "-o", self.options, "-l", log, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", self.data, "-m", mode, "-w", "stop")

    def remove(self) -> None:
        with contextlib.suppress(RuntimeError):  # already stopped
            self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture(scope="module")
def private_postgres() -> Iterator[PrivatePostgres]:
    server = PrivatePostgres()
    try:
        server.start()
        yield server
    finally:
        server.remove()


@pytest.fixture(scope="module")
def broker_up() -> None:
    try:
        socket.create_connection(("127.0.0.1", 1883), timeout=2).close()
    except OSError as exc:
        pytest.skip(f"Mosquitto on 127.0.0.1:1883 unreachable: {exc}")


def prepare_store(url: str) -> None:
    engine = make_engine(url)
    try:
        upgrade(engine)
        with session_scope(engine) as session:
            add_plant(
                session,
                [],
                [MeterDefinition(m, "electricity", "kWh", "cumulative") for m in METERS],
            )
    finally:
        engine.dispose()


def stored(url: str) -> tuple[list[tuple[str, int, float]], int]:
    """The stored readings (meter, epoch s, value) and the number of recorded conflicts."""
    engine = make_engine(url)
    try:
        with session_scope(engine, read_only=True) as session:
            rows = session.execute(
                sa.text(
                    "SELECT m.code, r.ts, r.value FROM meter_reading r "
                    "JOIN meter m ON m.id = r.meter_id ORDER BY r.ts, m.code"
                )
            ).all()
            conflicts = session.scalar(sa.select(sa.func.count()).select_from(MeterReadingConflict))
    finally:
        engine.dispose()
    return [tuple(r) for r in rows], conflicts


def count_stored(url: str) -> int:
    engine = make_engine(url, connect_args={"connect_timeout": 2} if "postgresql" in url else {})
    try:
        # read-only: on SQLite it neither waits for nor blocks the writer
        with session_scope(engine, read_only=True) as session:
            return session.scalar(sa.select(sa.func.count()).select_from(MeterReading))
    except sa.exc.OperationalError:
        return -1  # down or locked: not yet
    finally:
        engine.dispose()


class Stream:
    """Publishes reading *i* of meter ``E-{i % 3 + 1}`` at T0 + i minutes with value 1000 + i,
    QoS 1, and remembers what it sent."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.sent: list[tuple[str, int, float]] = []
        self.acked: set[int] = set()
        self.mids: list[int] = []
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"pub-{prefix}")
        self.client.on_publish = lambda c, u, mid, rc, p: self.acked.add(mid)
        self.client.connect("127.0.0.1", 1883)
        self.client.loop_start()

    def _send(self, meter: str, ts: datetime, value: float) -> None:
        payload = json.dumps({"ts": ts.isoformat(), "value": value})
        self.mids.append(self.client.publish(f"{self.prefix}/{meter}", payload, qos=1).mid)

    def probe(self) -> None:
        self._send("E-1", PROBE_TS, 0.0)

    def publish(self, i: int) -> None:
        meter, ts, value = METERS[i % 3], T0 + timedelta(minutes=i), 1000.0 + i
        self._send(meter, ts, value)
        self.sent.append((meter, int(ts.timestamp()), value))

    def phase(self, start: int, pause_s: float = 0.02) -> None:
        for i in range(start, start + PER_PHASE):
            self.publish(i)
            time.sleep(pause_s)

    def close(self) -> None:
        wait_until(lambda: self.acked >= set(self.mids), 20, "broker acknowledgements")
        self.client.disconnect()
        self.client.loop_stop()


class Ingest:
    """``lingtan ingest mqtt`` in a subprocess, as it runs on a plant server."""

    def __init__(self, url: str, folder: Path, prefix: str) -> None:
        self.buffer = folder / "buffer.sqlite"
        config = folder / "mqtt.json"
        config.write_text(
            json.dumps(
                {
                    "client_id": f"lingtan-{prefix}",
                    "reconnect_min_s": 1,
                    "reconnect_max_s": 2,
                    "subscriptions": [{"topic": f"{prefix}/+", "meter_level": 1}],
                }
            )
        )
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "lingtan", "--db", url, "ingest", "mqtt", "--config",
             str(config), "--buffer", str(self.buffer), "--facility", "F1"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip

    def buffered(self) -> int:
        with sqlite3.connect(self.buffer) as db:
            return db.execute("SELECT count(*) FROM buffered_reading").fetchone()[0]

    def stop(self) -> str:
        self.proc.send_signal(signal.SIGTERM)
        try:
            _, err = self.proc.communicate(timeout=30)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
        assert self.proc.returncode == 0, err
        return err


def run_outage(url: str, tmp_path: Path, outage: Callable[[], None], resume: Callable[[], None]):
    """Publish PER_PHASE readings, take the database away (*outage*), publish PER_PHASE more,
    bring it back (*resume*), publish PER_PHASE more; return what was sent and what is stored."""
    prefix = f"lt{uuid.uuid4().hex[:10]}"
    ingest = Ingest(url, tmp_path, prefix)
    stream = Stream(prefix)
    try:
        # Subscribed once a probe (E-1 a day before the stream, 0.0; repeats are unchanged
        # duplicates) is stored.
        def probe_stored() -> bool:
            stream.probe()
            time.sleep(0.5)
            return count_stored(url) == 1

        wait_until(probe_stored, 30, "the subscription")
        stream.phase(0)
        wait_until(lambda: count_stored(url) == 1 + PER_PHASE, 15, "the first readings stored")
        outage()
        stream.phase(PER_PHASE)
        # The adapter kept buffering while the database was away.
        wait_until(lambda: ingest.buffered() >= PER_PHASE, 15, "readings kept in the buffer")
        time.sleep(OUTAGE_S)  # long enough for several delivery attempts
        # Nothing stored meanwhile (-1: the database does not answer at all).
        assert count_stored(url) in (-1, 1 + PER_PHASE)
        resume()
        back = time.monotonic()
        stream.phase(2 * PER_PHASE)
        wait_until(lambda: count_stored(url) == 1 + 3 * PER_PHASE, 20, "catch-up after the outage")
        print(f"all stored {time.monotonic() - back:.1f} s after the database came back")
    finally:
        stream.close()
        err = ingest.stop()
    assert "0 left in" in err, err
    return stream.sent, stored(url), err


def expected(sent):
    """The rows that must be stored: the probe and every reading sent, each once."""
    # Reading i: meter E-(i % 3 + 1), T0 + i min, 1000 + i; e.g. i = 41 -> ("E-3", T0 + 41 min,
    # 1041.0); 3 phases x 40 readings = 120 rows, each once.
    assert len(sent) == 3 * PER_PHASE
    assert sent[41] == ("E-3", int(T0.timestamp()) + 41 * 60, 1041.0)
    return [("E-1", int(PROBE_TS.timestamp()), 0.0), *sorted(sent, key=lambda r: (r[1], r[0]))]


@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_postgresql_restart_during_mqtt_ingestion_loses_nothing(
    private_postgres: PrivatePostgres, broker_up: None, tmp_path: Path, mode: str
) -> None:
    name = f"lingtan_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(private_postgres.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    url = sa.make_url(private_postgres.url).set(database=name).render_as_string()
    prepare_store(url)
    sent, (rows, conflicts), err = run_outage(
        url, tmp_path, lambda: private_postgres.stop(mode), private_postgres.start
    )
    assert rows == expected(sent)
    assert conflicts == 0
    assert "sink failed" in err  # the outage was seen, and retried


def test_sqlite_locked_by_another_process_during_mqtt_ingestion_loses_nothing(
    broker_up: None, tmp_path: Path
) -> None:
    db = tmp_path / "lingtan.db"
    url = f"sqlite:///{db}"
    prepare_store(url)
    holder: list[subprocess.Popen] = []

    def lock() -> None:
        # Another process opens an exclusive write transaction and holds it until told.
        holder.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    "import sqlite3, sys\n"
                    f"db = sqlite3.connect({str(db)!r}, isolation_level=None)\n"
                    "db.execute('BEGIN EXCLUSIVE')\n"
                    "print('locked', flush=True)\n"
                    "sys.stdin.readline()\n"
                    "db.execute('ROLLBACK')\n",
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
        )
        assert holder[0].stdout.readline().strip() == "locked"

    def unlock() -> None:
        holder[0].stdin.write("\n")
        holder[0].stdin.flush()
        assert holder[0].wait(timeout=10) == 0

    try:
        sent, (rows, conflicts), _ = run_outage(url, tmp_path, lock, unlock)
    finally:
        for process in holder:
            if process.poll() is None:
                process.kill()
    assert rows == expected(sent)
    assert conflicts == 0
