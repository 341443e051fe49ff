"""Load test: 50 concurrent clients on ``GET /api/v1/facilities/{code}/overview``, against a
bare FastAPI app serving the same JSON behind a cookie check under the same uvicorn.

Run by hand: ``.venv/bin/python benchmarks/web_overview_load.py [--db URL] [--clients 50]
[--seconds 20] [--workers 1] [--repeat 3] [--before SRC]``.

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
6. The peer: the same JSON (as lingtan answered it) from a bare FastAPI app (one ``async``
   route that compares the session cookie with the signed-in one) under the same uvicorn,
   in a process of its own; lingtan and the bare app take turns ``--repeat`` times and the
   best and median of each are printed with their ratio.

``--before SRC`` adds a third server in the turns: ``lingtan serve`` of another source tree
(its ``src`` folder, e.g. a worktree of the main branch, put first on ``PYTHONPATH``), on the
same database, so that a change is measured against what it changes in the same run.

The clients run in this process on the same machine as the server, so they take CPU from it:
the figures are a lower bound of what the server does on its own. ``--client wrk`` uses the C
load generator ``wrk`` instead (Debian package ``wrk``), which takes much less CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import hmac
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
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from lingtan.store.db import database_url, make_engine, session_scope
from lingtan.store.models import AppUser, Facility, Organization
from lingtan.web import accounts

USER = "load-manager"
PASSWORD = "load test password 2025"
WARM_UP_S = 3.0
#: How long a server may take to start [s] (much longer than on a quiet machine).
START_S = 300
#: How long a request before the load may take [s] (the first overview is computed).
SETUP_S = 120


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


def _serve(url: str, port: int, workers: int, src: str | None = None) -> subprocess.Popen:
    """``lingtan serve``; of the source tree ``src`` when given."""
    lingtan = Path(sys.executable).with_name("lingtan")
    command = [str(lingtan), "--db", url, "serve", "--port", str(port), "--workers", str(workers)]
    env = None
    if src is not None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(src).resolve())])}
    return _start(command, port, env)


async def _hammer(
    base: str, path: str, clients: int, seconds: float, server: int, cookies: dict[str, str]
) -> dict[str, object]:
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


def _wrk(
    base: str, path: str, clients: int, seconds: float, server: int, cookies: dict[str, str]
) -> dict[str, object]:
    """The same load from ``wrk`` (a C load generator, Debian package ``wrk``), which takes far
    less CPU than the Python clients; its first ``WARM_UP_S`` seconds are a separate run."""
    cookie = f"Cookie: lingtan_session={cookies['lingtan_session']}"
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


def bare_app(body: bytes, cookie: str):
    """The peer: a bare FastAPI app answering ``body`` behind a check of the session cookie."""
    app = FastAPI()
    expected = cookie.encode()

    @app.get("/api/v1/facilities/{code}/overview")
    async def overview(request: Request, code: str, year: int) -> Response:
        given = request.cookies.get("lingtan_session", "").encode()
        if not hmac.compare_digest(given, expected):
            return JSONResponse({"error": "sign in first"}, status_code=401)
        return Response(body, media_type="application/json")

    return app


def _serve_bare(port: int, body_file: str, cookie: str) -> None:
    import uvicorn

    app = bare_app(Path(body_file).read_bytes(), cookie)
    uvicorn.run(app, host="127.0.0.1", port=port, server_header=False)


def _start(command: list[str], port: int, env: dict[str, str] | None = None) -> subprocess.Popen:
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    deadline = time.monotonic() + START_S
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return server
        except OSError:
            if server.poll() is not None:
                raise SystemExit(server.stderr.read().decode()) from None
            time.sleep(0.2)
    server.terminate()
    raise SystemExit(f"the server did not start within {START_S} s")


def signed_in(base: str) -> dict[str, str]:
    """The cookies of a fresh sign-in of the load-test manager."""
    answer = httpx.post(
        f"{base}/api/v1/session", json={"username": USER, "password": PASSWORD}, timeout=SETUP_S
    )
    answer.raise_for_status()
    return dict(answer.cookies)


def machine(url: str) -> str:
    return (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, {url.split(':')[0]}, "
        f"load average {os.getloadavg()[0]:.1f}"
    )


def line(name: str, result: dict[str, object]) -> str:
    return (
        f"{name}: {result['requests']} requests, {result['throughput']:.0f} requests/s; latency "
        f"p50 {result['p50']:.1f} ms, p95 {result['p95']:.1f} ms, p99 {result['p99']:.1f} ms, "
        f"max {result['max']:.1f} ms; server CPU {result['server_cpu_ms']:.2f} ms per request; "
        f"other answers: {result['failures'] or 'none'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="Demo database URL or SQLite path (default: build one).")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes.")
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--repeat", type=int, default=3, help="Turns of lingtan and the peer.")
    parser.add_argument(
        "--client",
        choices=["python", "wrk"],
        default="python",
        help="Load generator: httpx in this process, or wrk (if installed).",
    )
    parser.add_argument(
        "--before", metavar="SRC", help="Also serve the lingtan of this src folder, in turns."
    )
    parser.add_argument("--serve-bare", nargs=3, metavar=("PORT", "BODY", "COOKIE"),
                        help=argparse.SUPPRESS)  # fmt: skip
    args = parser.parse_args()
    if args.serve_bare:
        port, body, cookie = args.serve_bare
        _serve_bare(int(port), body, cookie)
        return
    names = (
        ["lingtan before", "lingtan", "bare FastAPI"]
        if args.before
        else ["lingtan", "bare FastAPI"]
    )
    runs: dict[str, list[dict[str, object]]] = {name: [] for name in names}
    with tempfile.TemporaryDirectory(prefix="lingtan-load-") as folder:
        url = database_url(args.db) if args.db else _demo_database(Path(folder))
        code = _manager(url)
        path = f"/api/v1/facilities/{code}/overview?year={args.year}"
        port, bare_port, before_port = _free_port(), _free_port(), _free_port()
        server = _serve(url, port, args.workers)
        before = _serve(url, before_port, args.workers, args.before) if args.before else None
        try:
            base = f"http://127.0.0.1:{port}"
            cookies = signed_in(base)
            body = httpx.get(base + path, cookies=cookies, timeout=SETUP_S).content
            body_file = Path(folder) / "overview.json"
            body_file.write_bytes(body)
            bare = _start(
                [sys.executable, __file__, "--serve-bare", str(bare_port), str(body_file),
                 cookies["lingtan_session"]],
                bare_port,
            )  # fmt: skip
            try:
                assert (
                    httpx.get(
                        f"http://127.0.0.1:{bare_port}{path}", cookies=cookies, timeout=SETUP_S
                    ).content
                    == body
                )
                if before is not None:
                    got = httpx.get(
                        f"http://127.0.0.1:{before_port}{path}", cookies=cookies, timeout=SETUP_S
                    )
                    assert got.content == body, "the two lingtan servers answer differently"
                turns = [("lingtan", port, server.pid), ("bare FastAPI", bare_port, bare.pid)]
                if before is not None:
                    turns.insert(0, ("lingtan before", before_port, before.pid))
                for _ in range(args.repeat):
                    for name, at, pid in turns:
                        load = (args.clients, args.seconds, pid, cookies)
                        target = f"http://127.0.0.1:{at}"
                        if args.client == "wrk":
                            result = _wrk(target, path, *load)
                        else:
                            result = asyncio.run(_hammer(target, path, *load))
                        runs[name].append(result)
                        print(line(name, result), flush=True)
            finally:
                bare.terminate()
                bare.wait(timeout=30)
        finally:
            for process in (server, before):
                if process is not None:
                    process.terminate()
                    process.wait(timeout=30)
    print(machine(url))
    print(
        f"{args.clients} clients ({args.client}), {args.seconds:.0f} s, "
        f"{args.workers} worker(s), {args.repeat} turns each, {len(body)} bytes:"
    )
    summary = {}
    for name, results in runs.items():
        p95 = sorted(r["p95"] for r in results)
        rate = sorted(r["throughput"] for r in results)
        cpu = sorted(r["server_cpu_ms"] for r in results)
        summary[name] = (float(np.median(p95)), float(np.median(rate)), float(np.median(cpu)))
        print(
            f"  {name}: p95 best {p95[0]:.1f} ms, median {np.median(p95):.1f} ms; "
            f"requests/s best {rate[-1]:.0f}, median {np.median(rate):.0f}; "
            f"CPU per request best {cpu[0]:.2f} ms, median {np.median(cpu):.2f} ms"
        )
    peer = summary["bare FastAPI"]
    for name in names[:-1]:
        ours = summary[name]
        print(
            f"  ratio {name} / bare (medians): p95 {ours[0] / peer[0]:.2f}x, "
            f"throughput {peer[1] / ours[1]:.2f}x lower, CPU per request {ours[2] / peer[2]:.2f}x"
        )


if __name__ == "__main__":
    main()
