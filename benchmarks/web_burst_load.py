"""Load test: a burst of 50 clients on ``/energy`` for a whole year, with the overview API asked
beside it: the heavy screen stays fast and the light API keeps answering.

Run by hand: ``.venv/bin/python benchmarks/web_burst_load.py [--db URL] [--clients 50]
[--seconds 20] [--light-clients 5] [--workers 1] [--timeout 10]``.

1. Uses the demo database given with ``--db`` (a copy is fine), or builds one with
   ``lingtan demo`` (about a minute); creates the user ``load-manager`` if missing.
2. Starts ``lingtan serve`` on a free loopback port (nothing kept yet) and times
   ``/energy?year=Y`` once (cold, computed) and 10 times more one after the other (warm).
3. Quiet: ``--light-clients`` clients ask for the overview API as fast as answers come, for
   ``--seconds``: its p95 alone.
4. Burst: ``--clients`` clients on ``/energy`` for the year, and the same light clients on the
   overview API, for ``--seconds``: every answer's status, the timeouts (``--timeout`` per
   request), latencies of both, and the overview's p95 against its quiet p95.

The clients run in this process on the same machine as the server, so they take CPU from it.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np

from lingtan.store.db import database_url

sys.path.insert(0, str(Path(__file__).parent))  # the script beside this one
from web_overview_load import _demo_database, _free_port, _manager, _serve, machine, signed_in


async def _clients(
    base: str,
    paths: dict[str, tuple[str, int]],
    cookies: dict[str, str],
    seconds: float,
    timeout: float,
) -> dict[str, dict[str, object]]:
    """Clients asking for each ``paths[name] = (path, clients)`` until ``seconds`` pass."""
    stop = time.monotonic() + seconds
    results = {name: {"ms": [], "status": {}, "timeouts": 0} for name in paths}

    async def client(name: str, path: str) -> None:
        found = results[name]
        limits = httpx.Limits(max_connections=1)
        async with httpx.AsyncClient(
            base_url=base, cookies=cookies, limits=limits, timeout=timeout
        ) as http:
            while time.monotonic() < stop:
                started = time.perf_counter()
                try:
                    answer = await http.get(path)
                except httpx.TimeoutException:
                    found["timeouts"] += 1
                    continue
                found["ms"].append((time.perf_counter() - started) * 1000)
                found["status"][answer.status_code] = found["status"].get(answer.status_code, 0) + 1

    await asyncio.gather(
        *(client(name, path) for name, (path, n) in paths.items() for _ in range(n))
    )
    return results


def _summary(found: dict[str, object], seconds: float) -> str:
    ms = np.array(found["ms"]) if found["ms"] else np.array([float("nan")])
    return (
        f"{len(found['ms'])} answers ({len(found['ms']) / seconds:.0f}/s), status "
        f"{dict(sorted(found['status'].items()))}, timeouts {found['timeouts']}; latency p50 "
        f"{np.percentile(ms, 50):.0f} ms, p95 {np.percentile(ms, 95):.0f} ms, "
        f"max {ms.max():.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="Demo database URL or SQLite path (default: build one).")
    parser.add_argument("--clients", type=int, default=50, help="Clients on /energy.")
    parser.add_argument("--light-clients", type=int, default=5, help="On the overview API.")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--timeout", type=float, default=10.0, help="Per request [s].")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes.")
    parser.add_argument("--year", type=int, default=2025)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lingtan-burst-") as folder:
        url = database_url(args.db) if args.db else _demo_database(Path(folder))
        code = _manager(url)
        port = _free_port()
        server = _serve(url, port, args.workers)
        try:
            base = f"http://127.0.0.1:{port}"
            cookies = signed_in(base)
            heavy = f"/energy?facility={code}&year={args.year}"
            light = f"/api/v1/facilities/{code}/overview?year={args.year}"
            times = []
            with httpx.Client(base_url=base, cookies=cookies, timeout=120) as http:
                for _ in range(11):
                    started = time.perf_counter()
                    assert http.get(heavy).status_code == 200
                    times.append((time.perf_counter() - started) * 1000)
                http.get(light).raise_for_status()
            quiet = asyncio.run(
                _clients(base, {"overview": (light, args.light_clients)}, cookies,
                         args.seconds, args.timeout)
            )  # fmt: skip
            burst = asyncio.run(
                _clients(
                    base,
                    {"energy": (heavy, args.clients), "overview": (light, args.light_clients)},
                    cookies,
                    args.seconds,
                    args.timeout,
                )
            )
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(machine(url))
    print(f"{heavy}, {args.workers} worker(s):")
    print(
        f"  one client: cold {times[0]:.0f} ms; warm best {min(times[1:]):.0f} ms, "
        f"median {statistics.median(times[1:]):.0f} ms"
    )
    quietly = _summary(quiet["overview"], args.seconds)
    print(f"  quiet, {args.light_clients} clients on {light}: {quietly}")
    print(f"  burst, {args.clients} clients on /energy: {_summary(burst['energy'], args.seconds)}")
    print(f"  burst, {args.light_clients} clients on the overview API: "
          f"{_summary(burst['overview'], args.seconds)}")  # fmt: skip
    p95 = [np.percentile(found["overview"]["ms"], 95) for found in (quiet, burst)]
    print(f"  overview API p95 in the burst / quiet: {p95[1]:.0f} / {p95[0]:.0f} ms = "
          f"{p95[1] / p95[0]:.2f}x")  # fmt: skip


if __name__ == "__main__":
    main()
