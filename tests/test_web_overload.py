"""Overload safety, on SQLite and PostgreSQL, through the real application: a burst on a heavy
route is bounded (a fast 503 with Retry-After beyond the places and the queue) and cannot
starve a light route; kept figures and pages change exactly when the data change, whichever
process changed them; a client that leaves frees its place at once."""

import asyncio
import re
import threading
import time

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from lingtan.metering import rollups
from lingtan.metering.energy_store import load_energy
from lingtan.metering.store import ingest_readings
from lingtan.store.db import session_scope
from lingtan.store.models import Facility
from lingtan.store.versions import data_version
from lingtan.web import api_energy
from lingtan.web.admission import Admission, StoppedError, Watch
from lingtan.web.app import create_app
from web_support import JULY_INTERVALS, JULY_START_UTC, PASSWORD, build_site, meter_july

F = "/api/v1/facilities/ALPHA-PLANT"
HEAVY = 40  # heavy requests of the burst, each of its own figures (nothing kept to share)
LIGHT = 10
BUSY_ZH = "服务器繁忙：请过几秒再试。"


@pytest.fixture
def site(database_url, tmp_path):
    built = build_site(database_url, tmp_path, heavy_requests=1, heavy_queue=2, heavy_wait_s=0.5)
    meter_july(built)
    yield built
    built.close()


async def _timed(client: httpx.AsyncClient, path: str) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    answer = await client.get(path)
    return answer, time.monotonic() - started


async def _burst(app, gate: threading.Event) -> tuple[list, list, list]:
    """``HEAVY`` heavy requests at once, held in their computation until ``gate`` opens, and
    ``LIGHT`` light ones while they are held; then the gate opens."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://lingtan") as client:
        answer = await client.post(
            "/api/v1/session", json={"username": "manager_a", "password": PASSWORD}
        )
        assert answer.status_code == 200, answer.text
        heavy = [
            asyncio.ensure_future(_timed(client, f"{F}/energy/balance?year=2025&threshold={t}"))
            for t in range(1, HEAVY + 1)
        ]
        await asyncio.sleep(0.1)  # all have come: one computes (held), two wait
        light = [_timed(client, "/api/v1/facilities") for _ in range(LIGHT)]
        light = await asyncio.wait_for(asyncio.gather(*light), timeout=30)
        held = [task for task in heavy if not task.done()]
        gate.set()
        heavy = await asyncio.wait_for(asyncio.gather(*heavy), timeout=30)
    return heavy, light, held


def test_a_burst_on_a_heavy_route_cannot_starve_a_light_one(site, monkeypatch):
    gate = threading.Event()

    def held_load_energy(*args, **kwargs):
        gate.wait(timeout=30)  # the computation of the one heavy place takes its time
        return load_energy(*args, **kwargs)

    monkeypatch.setattr(api_energy, "load_energy", held_load_energy)
    heavy, light, held = asyncio.run(_burst(site.app, gate))
    # Every light request answered while the heavy place was held
    assert [answer.status_code for answer, _ in light] == [200] * LIGHT
    assert max(took for _, took in light) < 10
    assert len(held) >= 1
    # One place and two waiting (at most 0.5 s): one to three answers with figures (those
    # that waited get them if the gate opened within their wait), all others refused at once
    statuses = [answer.status_code for answer, _ in heavy]
    assert set(statuses) <= {200, 503} and 1 <= statuses.count(200) <= 3
    for answer, took in heavy:
        if answer.status_code == 503:
            assert answer.headers["Retry-After"] == "2"
            assert answer.json()["error"]["message"] == BUSY_ZH  # no language asked: Chinese
            assert took < 5  # refused at once, or after the 0.5 s wait
    # and the server answers as before once the burst is over
    client, _ = site.client("manager_a")
    assert client.get(f"{F}/energy/balance?year=2025&threshold=5").status_code == 200


def _more_ramps(session, after: int, intervals: int, origin: str) -> None:
    """The ramps of ``meter_july`` carried on from interval ``after`` for ``intervals`` more
    (M-SUP +10 kWh, M-WS +9 kWh each)."""
    readings = [
        (code, JULY_START_UTC + 900 * i, start + step * i)
        for i in range(after + 1, after + intervals + 1)
        for code, start, step in (("M-SUP", 1000.0, 10.0), ("M-WS", 500.0, 9.0))
    ]
    ingest_readings(session, "ALPHA-PLANT", readings, origin=origin)


def _site_kwh(client) -> float:
    totals = client.get(f"{F}/energy/totals?year=2025&period=year").json()
    (row,) = [n for n in totals["periods"][0]["nodes"] if n["node"] == "site"]
    return row["energy"]


def _page_kwh(client) -> float:
    page = client.get("/energy?facility=ALPHA-PLANT&year=2025")
    assert page.status_code == 200
    # the site's row of the energy table carries the unrounded figure
    found = re.search(r'data-node="site"[^>]*>.*?data-value="([0-9.]+)"', page.text, re.S)
    assert found, page.text[:2000]
    return float(found.group(1))


def test_kept_figures_and_pages_change_exactly_when_the_data_change(site):
    client, _ = site.client("manager_a")
    assert _site_kwh(client) == pytest.approx(29_760)
    assert _page_kwh(client) == pytest.approx(29_760)
    with site.engine.connect() as connection:
        alpha = connection.scalar(sa.select(Facility.id).where(Facility.code == "ALPHA-PLANT"))
    with session_scope(site.engine, read_only=True) as session:
        before = data_version(session, alpha)
    kept = {name: dict(store.entries) for name, store in site.app.state.kept.items()}
    # Asked again with nothing changed: the same kept results, nothing computed anew
    assert _site_kwh(client) == pytest.approx(29_760)
    assert _page_kwh(client) == pytest.approx(29_760)
    assert {name: dict(store.entries) for name, store in site.app.state.kept.items()} == kept

    # Readings of August stored by another process (as ``lingtan ingest`` does), their daily
    # totals not yet refreshed: the next request refreshes them and shows the new figure
    with session_scope(site.engine) as session:
        _more_ramps(session, JULY_INTERVALS, 31 * 96, origin="another process")  # August
    assert _page_kwh(client) == pytest.approx(2 * 29_760)
    assert _site_kwh(client) == pytest.approx(2 * 29_760)
    with session_scope(site.engine, read_only=True) as session:
        after = data_version(session, alpha)
    assert after[0] > before[0]

    # A second worker of the same database (its own kept results) sees the same figures
    other = create_app(site.url, evidence_dir=site.evidence_dir)
    try:
        second = TestClient(other)
        second.post("/api/v1/session", json={"username": "manager_a", "password": PASSWORD})
        assert _site_kwh(second) == pytest.approx(2 * 29_760)
        # and a refresh done there (September's readings) shows in the first worker too
        with session_scope(site.engine) as session:
            _more_ramps(session, 2 * JULY_INTERVALS, 30 * 96, origin="gateway")  # September
            rollups.refresh(session, alpha)
        assert _site_kwh(second) == pytest.approx(2 * 29_760 + 30 * 960)
        assert _site_kwh(client) == pytest.approx(2 * 29_760 + 30 * 960)
        assert _page_kwh(client) == pytest.approx(2 * 29_760 + 30 * 960)
    finally:
        other.state.engine.dispose()


def test_a_client_that_leaves_while_waiting_frees_its_place():
    """Driven by ASGI messages: the one place is taken; a second request waits, its client
    goes; the middleware forgets it at once without running it."""
    release, calls = asyncio.Event(), []

    async def slow_app(scope, receive, send):
        calls.append(scope["path"])
        await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    admission = Admission(slow_app, light=4, heavy=1, queue=4, wait_s=30, deadline_s=60)

    def scope(path):
        return {"type": "http", "method": "GET", "path": path, "headers": [], "query_string": b""}

    async def scenario():
        sent: list[dict] = []

        async def send(message):
            sent.append(message)

        async def stays():
            await asyncio.Event().wait()
            return {"type": "http.disconnect"}

        messages = [{"type": "http.request", "body": b""}, {"type": "http.disconnect"}]

        async def leaves():
            await asyncio.sleep(0.05)
            return messages.pop(0)

        first = asyncio.ensure_future(admission(scope("/energy"), stays, send))
        await asyncio.sleep(0.01)
        second = asyncio.ensure_future(admission(scope("/alerts"), leaves, send))
        await asyncio.sleep(0.01)
        assert admission.waiting == 1
        await asyncio.wait_for(second, timeout=5)  # returns as soon as its client has gone
        assert admission.waiting == 0 and calls == ["/energy"] and sent == []
        release.set()
        await asyncio.wait_for(first, timeout=5)
        assert [m.get("status") for m in sent if m["type"] == "http.response.start"] == [200]

    asyncio.run(scenario())


def test_work_for_a_request_stops_at_its_deadline_or_when_its_client_goes():
    watch = Watch(deadline_s=60)
    watch.check()  # nothing yet
    watch.gone.set()
    with pytest.raises(StoppedError):
        watch.check()
    late = Watch(deadline_s=0)
    time.sleep(0.01)
    with pytest.raises(StoppedError) as stopped:
        late.check()
    assert stopped.value.status == 503 and stopped.value.headers["Retry-After"] == "2"
