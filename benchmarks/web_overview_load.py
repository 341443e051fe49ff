"""Load test: 50 concurrent clients on ``GET /api/v1/facilities/{code}/overview``.

Run by hand: ``.venv/bin/python benchmarks/web_overview_load.py [--db URL] [--clients 50]
[--seconds 20] [--workers 1]``.

1. Uses the demo database given with ``--db`` (a copy is fine), or builds one with
   ``lingtan demo`` in a temporary folder (about a minute).
2. Creates the user ``load-manager`` (manager of the demo facility) if it is missing.
3. Starts ``lingtan serve`` (uvicorn) on a free loopback port with ``--workers``.
4. Signs in once and runs ``--clients`` clients (httpx, asyncio; one connection each, kept
   alive), each asking for the overview of 2025 as fast as answers come, for ``--seconds``
   after a warm-up of 3 s.
5. Prints the latencies (p50, p95, p99, max) [ms], the throughput [requests/s], the server's
   CPU time per request [ms] (Linux, from /proc) and any answer other than 200, with the
   machine and the date.

The clients run in this process on the same machine as the server, so they take CPU from it:
the figures are a lower bound of what the server does on its own. ``--client wrk`` uses the C
load generator ``wrk`` instead (Debian package ``wrk``), which takes much less CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import numpy as np
import sqlalchemy as sa

from lingtan.store.db import database_url, make_engine, session_scope
from lingtan.store.models import AppUser, Facility, Organization
from lingtan.web import accounts

USER = "load-manager"
PASSWORD = "load test password 2025"
WARM_UP_S = 3.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _demo_database(folder: Path) -> str:
    lingtan = Path(sys.executable).with_name("lingtan")
    subprocess.run([str(lingtan), "demo", "-o", str(folder)], check=True)
    return f"sqlite:///{folder / 'lingtan.db'}"


def _manager(url: str) -> str:
    """The demo facility's code; creates the load-test manager if missing."""
    engine = make_engine(url)
    try:
        with session_scope(engine) as session:
            site = session.scalars(sa.select(Facility).order_by(Facility.id)).first()
            if site is None:
                raise SystemExit(f"{url} has no facility: give the demo database")
            exists = session.scalar(sa.select(AppUser.id).where(AppUser.username == USER))
            if exists is None:
                organization = session.get(Organization, site.organization_id)
                accounts.create_user(
                    session,
                    USER,
                    PASSWORD,
                    role="manager",
                    organization=organization.name,
                    facilities=(site.code,),
                    actor="benchmark",
                )
            return site.code
    finally:
        engine.dispose()


def _cpu_seconds(pid: int) -> float:
    """CPU time [s] of a process and its children (uvicorn workers) so far, from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(stat.parent.name) == pid or int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _serve(url: str, port: int, workers: int) -> subprocess.Popen:
    lingtan = Path(sys.executable).with_name("lingtan")
    command = [str(lingtan), "--db", url, "serve", "--port", str(port)]
    if workers > 1:
        command += ["--workers", str(workers)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return server
        except OSError:
            if server.poll() is not None:
                raise SystemExit(server.stderr.read().decode()) from None
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("the server did not start within 60 s")


async def _hammer(
    base: str, path: str, clients: int, seconds: float, server: int
) -> dict[str, object]:
    async with httpx.AsyncClient(base_url=base) as login:
        answer = await login.post("/api/v1/session", json={"username": USER, "password": PASSWORD})
        answer.raise_for_status()
        cookies = dict(login.cookies)
    latencies: list[float] = []
    failures: dict[int, int] = {}
    measuring = False
    stop = False

    async def client() -> None:
        limits = httpx.Limits(max_connections=1)
        async with httpx.AsyncClient(base_url=base, cookies=cookies, limits=limits) as http:
            while not stop:
                started = time.perf_counter()
                answer = await http.get(path)
                elapsed = time.perf_counter() - started
                if not measuring:
                    continue
                if answer.status_code == 200:
                    latencies.append(elapsed)
                else:
                    failures[answer.status_code] = failures.get(answer.status_code, 0) + 1

    tasks = [asyncio.create_task(client()) for _ in range(clients)]
    await asyncio.sleep(WARM_UP_S)
    measuring = True
    began, cpu = time.perf_counter(), _cpu_seconds(server)
    await asyncio.sleep(seconds)
    measuring = False
    took, cpu = time.perf_counter() - began, _cpu_seconds(server) - cpu
    stop = True
    await asyncio.gather(*tasks)
    ms = np.array(latencies) * 1000
    return {
        "requests": len(latencies),
        "throughput": len(latencies) / took,
        "server_cpu_ms": cpu * 1000 / max(len(latencies), 1),
        "p50": float(np.percentile(ms, 50)),
        "p95": float(np.percentile(ms, 95)),
        "p99": float(np.percentile(ms, 99)),
        "max": float(ms.max()),
        "failures": failures,
    }


_WRK_REPORT = """
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %f %f %f %f %f %d\\n", summary.requests,
    summary.duration / 1e6, latency:percentile(50) / 1e3, latency:percentile(95) / 1e3,
    latency:percentile(99) / 1e3, latency.max / 1e3,
    summary.errors.status + summary.errors.connect + summary.errors.read
      + summary.errors.write + summary.errors.timeout))
end
"""


def _wrk(base: str, path: str, clients: int, seconds: float, server: int) -> dict[str, object]:
    """The same load from ``wrk`` (a C load generator, Debian package ``wrk``), which takes far
    less CPU than the Python clients; its first ``WARM_UP_S`` seconds are a separate run."""
    answer = httpx.post(f"{base}/api/v1/session", json={"username": USER, "password": PASSWORD})
    answer.raise_for_status()
    cookie = f"Cookie: lingtan_session={answer.cookies['lingtan_session']}"
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
        script.write(_WRK_REPORT)
        script.flush()
        common = ["wrk", "-t2", f"-c{clients}", "-H", cookie, "-s", script.name, base + path]
        subprocess.run([*common[:2], f"-d{WARM_UP_S:.0f}s", *common[2:]], capture_output=True)
        cpu = _cpu_seconds(server)
        out = subprocess.run(
            [*common[:2], f"-d{seconds:.0f}s", *common[2:]], capture_output=True, text=True
        ).stdout
        cpu = _cpu_seconds(server) - cpu
    line = next(x for x in out.splitlines() if x.startswith("RESULT"))
    n, took, p50, p95, p99, top, errors = line.split()[1:]
    return {
        "requests": int(n),
        "throughput": int(n) / float(took),
        "server_cpu_ms": cpu * 1000 / max(int(n), 1),
        "p50": float(p50),
        "p95": float(p95),
        "p99": float(p99),
        "max": float(top),
        "failures": {"non-2xx or socket errors": int(errors)} if int(errors) else {},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="Demo database URL or SQLite path (default: build one).")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes.")
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument(
        "--client",
        choices=["python", "wrk"],
        default="python",
        help="Load generator: httpx in this process, or wrk (if installed).",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lingtan-load-") as folder:
        url = database_url(args.db) if args.db else _demo_database(Path(folder))
        code = _manager(url)
        port = _free_port()
        server = _serve(url, port, args.workers)
        try:
            base = f"http://127.0.0.1:{port}"
            path = f"/api/v1/facilities/{code}/overview?year={args.year}"
            load = (args.clients, args.seconds, server.pid)
            if args.client == "wrk":
                result = _wrk(base, path, *load)
            else:
                result = asyncio.run(_hammer(base, path, *load))
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, {url.split(':')[0]}"
    )
    print(
        f"{args.clients} clients ({args.client}), {args.seconds:.0f} s, {args.workers} worker(s): "
        f"{result['requests']} requests, {result['throughput']:.0f} requests/s; latency "
        f"p50 {result['p50']:.1f} ms, p95 {result['p95']:.1f} ms, p99 {result['p99']:.1f} ms, "
        f"max {result['max']:.1f} ms; server CPU {result['server_cpu_ms']:.2f} ms per request; "
        f"other answers: {result['failures'] or 'none'}"
    )


if __name__ == "__main__":
    main()
