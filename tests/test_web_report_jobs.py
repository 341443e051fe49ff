"""Report jobs kept in the database, SQLite and PostgreSQL: two applications on one database
stand for two server processes (``lingtan serve --workers 2``), so a job started in one is
polled and downloaded from the other; jobs of a stopped server fail with a clear message;
the limit of waiting jobs counts every process's jobs of one organization, never another's;
viewers may not start jobs; old jobs are removed with their files."""

import secrets
import subprocess
import sys
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from lingtan.store.db import session_scope
from lingtan.store.models import Inventory, ReportJob, utc_now
from lingtan.web import api_reports
from lingtan.web.api_reports import STOPPED, reports_root, shutdown
from lingtan.web.app import create_app
from web_support import PASSWORD, assert_error, build_site


@pytest.fixture
def two(database_url, tmp_path):
    """The site (its application is process A) and a second application B on the same
    database and evidence folder."""
    site = build_site(database_url, tmp_path)
    second = create_app(database_url, evidence_dir=site.evidence_dir)
    yield site, second
    for app in (site.app, second):
        shutdown(app)
        app.state.engine.dispose()
    site.engine.dispose()


def signed_in(app, user):
    client = TestClient(app)
    answer = client.post("/api/v1/session", json={"username": user, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return client, answer.json()["csrf_token"]


def start(client, csrf, inventory, langs=("en",), formats=("html",)):
    return client.post(
        f"/api/v1/inventories/{inventory}/reports",
        json={"langs": list(langs), "formats": list(formats)},
        headers={"X-CSRF-Token": csrf},
    )


def wait(client, job_id, seconds=120):
    deadline = time.monotonic() + seconds
    job = client.get(f"/api/v1/report-jobs/{job_id}").json()
    while job["status"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.3)
        job = client.get(f"/api/v1/report-jobs/{job_id}").json()
    return job


def row(site, job_id) -> ReportJob:
    with session_scope(site.engine, read_only=True) as session:
        found = session.get(ReportJob, job_id)
        assert found is not None
        return found


def test_reports_folder_is_beside_the_evidence_folder(tmp_path):
    assert reports_root(tmp_path / "plant-evidence") == tmp_path / "plant-reports"
    assert reports_root(tmp_path / "data" / "evidence") == tmp_path / "data" / "reports"
    assert reports_root(tmp_path / "files") == tmp_path / "files-reports"


def test_a_job_started_in_one_process_is_polled_and_downloaded_from_another(two):
    site, other = two
    client_a, csrf_a = signed_in(site.app, "manager_a")
    client_b, _ = signed_in(other, "manager_a")
    started = start(client_a, csrf_a, site.ids["inventory_id"], formats=("pdf", "html"))
    assert started.status_code == 202, started.text
    job = started.json()
    assert (job["status"], job["tasks"], job["tasks_done"], job["files"]) == ("queued", 1, 0, [])
    job = wait(client_b, job["id"])
    assert job["status"] == "done" and job["tasks_done"] == 1 and job["error"] is None, job
    names = sorted(job["files"])
    assert [n.rsplit(".", 1)[1] for n in names] == ["html", "pdf"]
    assert all(n.endswith(f"-en.{n.rsplit('.', 1)[1]}") for n in names)
    pdf = client_b.get(f"/api/v1/report-jobs/{job['id']}/files/{names[1]}")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    assert pdf.headers["content-type"] == "application/pdf"
    html = client_b.get(f"/api/v1/report-jobs/{job['id']}/files/{names[0]}")
    assert html.status_code == 200 and "ALPHA-PLANT" in html.text
    # the file is kept in the reports folder beside the evidence folder, one folder per job
    folder = site.evidence_dir.parent / "reports" / job["id"]
    assert sorted(p.name for p in folder.iterdir()) == names
    recorded = row(site, job["id"])
    assert recorded.created_by == "manager_a" and recorded.langs == ["en"]
    assert recorded.formats == ["pdf", "html"] and recorded.finished_at is not None
    # scoped in every process: a user of another organization learns nothing
    beta, _ = signed_in(other, "manager_b")
    assert_error(beta.get(f"/api/v1/report-jobs/{job['id']}"), 404)
    assert_error(beta.get(f"/api/v1/report-jobs/{job['id']}/files/{names[0]}"), 404)
    assert_error(client_b.get(f"/api/v1/report-jobs/{job['id']}/files/other.pdf"), 404)


def test_jobs_of_a_stopped_server_fail_with_a_clear_message(two, monkeypatch):
    site, other = two
    monkeypatch.setattr(api_reports, "HEARTBEAT_S", 0.1)
    client_a, csrf_a = signed_in(site.app, "manager_a")
    client_b, _ = signed_in(other, "manager_a")
    inventory = site.ids["inventory_id"]
    first = start(client_a, csrf_a, inventory, formats=("xlsx",)).json()
    # keep A's rendering process busy, so that the next jobs wait behind it
    site.app.state.report_jobs.pool.submit(time.sleep, 3)
    waiting = [start(client_a, csrf_a, inventory).json()["id"] for _ in range(3)]
    last = waiting[-1]
    assert client_b.get(f"/api/v1/report-jobs/{last}").json()["status"] == "queued"
    # A keeps its waiting jobs alive: an old mark is renewed within a few heartbeats
    old = utc_now() - timedelta(minutes=5)
    with session_scope(site.engine) as session:
        session.execute(sa.update(ReportJob).where(ReportJob.id == last).values(alive_at=old))
    deadline = time.monotonic() + 3
    while row(site, last).alive_at <= old and time.monotonic() < deadline:
        time.sleep(0.05)
    assert row(site, last).alive_at > old
    assert client_b.get(f"/api/v1/report-jobs/{last}").json()["status"] == "queued"
    # A stops in order: what has begun is finished, what waits fails at once
    shutdown(site.app)
    jobs = [client_b.get(f"/api/v1/report-jobs/{j}").json() for j in [first["id"], *waiting]]
    assert [j["status"] in ("done", "failed") for j in jobs] == [True] * 4
    assert jobs[0]["status"] == "done"
    assert (jobs[-1]["status"], jobs[-1]["error"]) == ("failed", STOPPED)
    assert row(site, last).finished_at is not None


def dead_job(site, status, alive_minutes_ago, created_days_ago=0.0) -> str:
    """A job row as a server process that died (no shutdown) leaves it."""
    with session_scope(site.engine) as session:
        inventory = session.get(Inventory, site.ids["inventory_id"])
        job = ReportJob(
            id=secrets.token_hex(16),
            facility_id=inventory.facility_id,
            inventory_id=inventory.id,
            langs=["en"],
            formats=["html"],
            status=status,
            tasks=1,
            tasks_done=0,
            files=[],
            created_by="viewer_a",
            created_at=utc_now() - timedelta(days=created_days_ago),
            alive_at=utc_now() - timedelta(minutes=alive_minutes_ago),
        )
        session.add(job)
    return job.id


def test_a_job_whose_server_died_fails_when_polled(two):
    site, other = two
    client_b, _ = signed_in(other, "manager_a")
    # renewed 30 s ago (< 60 s): its server may still be running it
    alive = dead_job(site, "running", alive_minutes_ago=0.5)
    assert client_b.get(f"/api/v1/report-jobs/{alive}").json()["status"] == "running"
    # 2 min without renewal (> 60 s): no process runs it any more
    dead = dead_job(site, "running", alive_minutes_ago=2)
    job = client_b.get(f"/api/v1/report-jobs/{dead}").json()
    assert (job["status"], job["error"], job["files"]) == ("failed", STOPPED, [])
    assert row(site, dead).finished_at is not None
    assert row(site, alive).status == "running"
    beta, _ = signed_in(other, "manager_b")
    assert_error(beta.get(f"/api/v1/report-jobs/{alive}"), 404)


def test_the_limit_counts_every_process_and_old_jobs_are_removed(two):
    site, other = two
    client_b, csrf_b = signed_in(other, "manager_a")
    inventory = site.ids["inventory_id"]
    # 8 jobs waiting, as other server processes would have them: the limit is reached
    live = [dead_job(site, "queued", alive_minutes_ago=0) for _ in range(8)]
    assert api_reports.MAX_WAITING_JOBS == 8
    refused = start(client_b, csrf_b, inventory)
    assert_error(refused, 429)
    assert refused.headers["Retry-After"] == "60"
    assert site.count(ReportJob) == 8
    # their server dies: 2 min later they no longer count, and fail at the next start
    with session_scope(site.engine) as session:
        session.execute(sa.update(ReportJob).values(alive_at=utc_now() - timedelta(minutes=2)))
    # a job started 8 days ago (> 7) goes with its files; one of 6 days stays
    old = dead_job(site, "done", alive_minutes_ago=0, created_days_ago=8)
    kept = dead_job(site, "done", alive_minutes_ago=0, created_days_ago=6)
    reports = site.evidence_dir.parent / "reports"
    for job_id in (old, kept):
        (reports / job_id).mkdir(parents=True)
        (reports / job_id / "report-en.html").write_text("<html></html>")
    started = start(client_b, csrf_b, inventory)
    assert started.status_code == 202, started.text
    assert {row(site, j).status for j in live} == {"failed"}
    assert {row(site, j).error for j in live} == {STOPPED}
    with session_scope(site.engine, read_only=True) as session:
        assert session.get(ReportJob, old) is None
        assert session.get(ReportJob, kept) is not None
    assert not (reports / old).exists() and (reports / kept / "report-en.html").is_file()
    assert site.count(ReportJob) == 8 + 1 + 1  # the failed ones, the kept one, the new one
    assert wait(client_b, started.json()["id"])["status"] == "done"


def test_without_a_cjk_font_html_and_pdf_are_refused_with_what_to_install(two, no_cjk_font):
    site, _ = two
    client, csrf = signed_in(site.app, "manager_a")
    inventory = site.ids["inventory_id"]
    for formats in (("html",), ("pdf", "xlsx")):
        error = assert_error(start(client, csrf, inventory, formats=formats), 503)
        assert "中日韩（CJK）字体" in error["message"] and "fonts-noto-cjk" in error["message"]
    assert site.count(ReportJob) == 0
    started = start(client, csrf, inventory, formats=("xlsx",))  # needs no font
    assert started.status_code == 202, started.text
    assert wait(client, started.json()["id"])["status"] == "done"


def test_viewers_may_not_start_a_report_and_are_told_so_in_chinese(two):
    site, _ = two
    viewer, csrf = signed_in(site.app, "viewer_a")
    inventory = site.ids["inventory_id"]
    error = assert_error(start(viewer, csrf, inventory), 403)
    assert error["message"] == "您的角色不能生成报告（查看者只能阅读）。"
    viewer.cookies.set("lang", "en")
    assert assert_error(start(viewer, csrf, inventory), 403)["message"] == (
        "Your role may not start report jobs."
    )
    assert site.count(ReportJob) == 0
    page = viewer.get("/reports?facility=ALPHA-PLANT")
    assert page.status_code == 200 and "report-form" not in page.text
    assert "Your role may not start report jobs." in page.text
    auditor, auditor_csrf = signed_in(site.app, "auditor_a")
    assert start(auditor, auditor_csrf, inventory).status_code == 202
    assert "report-form" in auditor.get("/reports?facility=ALPHA-PLANT").text


def test_one_organizations_waiting_jobs_never_refuse_another(two):
    site, other = two
    alpha, csrf_a = signed_in(other, "manager_a")
    beta, csrf_b = signed_in(other, "manager_b")
    computed = beta.post(
        "/api/v1/facilities/BETA-PLANT/inventories",
        json={"start": "2025-01-01", "end": "2025-01-31"},
        headers={"X-CSRF-Token": csrf_b},
    )
    assert computed.status_code == 201, computed.text
    # organization A has as many jobs waiting as it may
    for _ in range(api_reports.MAX_WAITING_JOBS):
        dead_job(site, "queued", alive_minutes_ago=0)
    assert_error(start(alpha, csrf_a, site.ids["inventory_id"]), 429)
    started = start(beta, csrf_b, computed.json()["id"])
    assert started.status_code == 202, started.text
    assert wait(beta, started.json()["id"])["status"] == "done"
    assert_error(start(alpha, csrf_a, site.ids["inventory_id"]), 429)  # A still waits


def _gone(pid: int) -> bool:
    """Whether a process has ended (a zombie nobody reaps has ended too)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_the_rendering_process_ends_when_its_server_process_is_killed():
    server = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import os, time\n"
            "from lingtan.web.api_reports import _Jobs\n"
            "pool = _Jobs._new_pool()\n"
            "print(pool.submit(os.getpid).result(), flush=True)\n"
            "time.sleep(120)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        renderer = int(server.stdout.readline())
        assert not _gone(renderer)
    finally:
        server.kill()  # as uvicorn kills a worker that grew too large: no clean-up runs
        server.wait()
    deadline = time.monotonic() + 10
    while not _gone(renderer) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _gone(renderer), f"the rendering process {renderer} outlived its server"
