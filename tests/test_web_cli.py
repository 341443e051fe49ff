"""``lingtan users`` and ``lingtan serve`` on a real database."""

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import sqlalchemy as sa
import uvicorn
from click.testing import CliRunner

from conftest import free_port
from lingtan.cli.main import main
from lingtan.cli.web import HEALTHCHECK_MIN_S, worker_healthcheck_s
from lingtan.store.models import ApiToken, AppUser, AuditEntry
from web_support import ALPHA, PASSWORD, build_site


@pytest.fixture
def site(database_url, tmp_path):
    built = build_site(database_url, tmp_path)
    yield built
    built.close()


def run(site, *args, stdin=None):
    return CliRunner().invoke(main, ["--db", site.url, *args], input=stdin)


def test_users_create_asks_twice_and_stores_only_an_argon2_hash(site):
    typed = "another good secret"
    result = run(
        site,
        "users",
        "create",
        "carla",
        "--role",
        "manager",
        "--organization",
        ALPHA,
        "--facility",
        "ALPHA-PLANT",
        stdin=f"{typed}\n{typed}\n",
    )
    assert result.exit_code == 0, result.output
    assert "user carla created: manager of Alpha Secret Co (ALPHA-PLANT)" in result.output
    with site.engine.connect() as connection:
        stored = connection.execute(
            sa.select(AppUser.password_hash).where(AppUser.username == "carla")
        ).scalar_one()
    assert stored.startswith("$argon2id$") and typed not in stored
    client, _ = site.client()
    answer = client.post("/api/v1/session", json={"username": "carla", "password": typed})
    assert answer.status_code == 200 and answer.json()["role"] == "manager"


def test_users_create_refuses_bad_input_and_writes_nothing(site):
    before = site.count(AppUser), site.count(AuditEntry)
    cases = [
        (
            [
                "users",
                "create",
                "dora",
                "--role",
                "admin",
                "--organization",
                ALPHA,
                "--password-stdin",
            ],
            "short\n",
            "at least 10 characters",
        ),
        (
            [
                "users",
                "create",
                "admin_a",
                "--role",
                "viewer",
                "--organization",
                ALPHA,
                "--password-stdin",
            ],
            PASSWORD + "\n",
            "is taken",
        ),
        (
            [
                "users",
                "create",
                "dora",
                "--role",
                "viewer",
                "--organization",
                "Nope Ltd",
                "--password-stdin",
            ],
            PASSWORD + "\n",
            "no such organization",
        ),
        (
            [
                "users",
                "create",
                "dora",
                "--role",
                "viewer",
                "--organization",
                ALPHA,
                "--facility",
                "BETA-PLANT",
                "--password-stdin",
            ],
            PASSWORD + "\n",
            "no such facility in the organization",
        ),
        (
            [
                "users",
                "create",
                "dora",
                "--role",
                "admin",
                "--organization",
                ALPHA,
                "--facility",
                "ALPHA-PLANT",
                "--password-stdin",
            ],
            PASSWORD + "\n",
            "an admin sees every facility",
        ),
        (
            ["users", "create", "dora", "--role", "viewer", "--password-stdin"],
            PASSWORD + "\n",
            "name the organization",
        ),
    ]
    for args, stdin, rule in cases:
        result = run(site, *args, stdin=stdin)
        assert result.exit_code == 2, (args, result.output)
        assert rule in result.output, (args, result.output)
    assert (site.count(AppUser), site.count(AuditEntry)) == before


def test_users_list_shows_roles_and_facilities(site):
    result = run(site, "users", "list")
    assert result.exit_code == 0, result.output
    lines = {
        line.split("│")[1].strip(): line
        for line in result.output.splitlines()
        if line.count("│") > 3
    }
    assert "(all)" in lines["admin_a"] and "ALPHA-PLANT" in lines["viewer_a"]
    assert "Beta Co" in lines["manager_b"] and "BETA-PLANT" in lines["manager_b"]


def test_tokens_create_prints_once_list_and_revoke(site):
    result = run(
        site,
        "users",
        "tokens",
        "create",
        "meter-gw",
        "--facility",
        "ALPHA-PLANT",
        "--organization",
        ALPHA,
        "--scope",
        "ingest",
        "--expires-days",
        "30",
    )
    assert result.exit_code == 0, result.output
    secret = re.search(r"^(lt_\S+)$", result.output, re.M).group(1)
    token_id = int(re.search(r"token (\d+) \(ingest", result.output).group(1))
    with site.engine.connect() as connection:
        row = connection.execute(sa.select(ApiToken).where(ApiToken.id == token_id)).one()
    assert row.token_sha256 != secret and row.prefix == secret[:10]
    listed = run(site, "users", "tokens", "list")
    assert (
        "meter-gw" in listed.output and secret[:10] in listed.output and secret not in listed.output
    )
    site.tokens["new"] = secret
    batch = {"readings": [{"meter": "E-MAIN", "ts": "2025-03-01T08:00:00+08:00", "value": 5.0}]}
    assert (
        site.bearer("new").post("/api/v1/facilities/ALPHA-PLANT/readings", json=batch).status_code
        == 200
    )
    assert run(site, "users", "tokens", "revoke", str(token_id)).exit_code == 0
    assert (
        site.bearer("new").post("/api/v1/facilities/ALPHA-PLANT/readings", json=batch).status_code
        == 401
    )
    again = run(site, "users", "tokens", "revoke", str(token_id))
    assert again.exit_code == 2 and "is already revoked" in again.output
    assert "revoked" in run(site, "users", "tokens", "list").output


def test_serve_refuses_a_database_that_was_never_initialised(tmp_path):
    result = CliRunner().invoke(main, ["--db", f"sqlite:///{tmp_path / 'empty.db'}", "serve"])
    assert result.exit_code == 1
    assert "run `lingtan init` first" in result.output
    assert not (tmp_path / "empty.db").exists()  # not created as a side effect


def test_the_worker_health_check_waits_for_a_start_as_slow_as_the_parents_four_times_over():
    assert worker_healthcheck_s(0.3, 2, 2) == HEALTHCHECK_MIN_S == 5  # uvicorn's default
    assert worker_healthcheck_s(3.2, 2, 2) == 13
    assert worker_healthcheck_s(3.2, 4, 2) == 26  # two workers per core start one after the other
    assert worker_healthcheck_s(3.2, 1, 8) == 13
    assert worker_healthcheck_s(3.2, 2, None) == 26  # cores unknown: one


def test_serve_gives_uvicorn_the_health_check_timeout(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'lingtan.db'}"
    assert CliRunner().invoke(main, ["--db", url, "init"]).exit_code == 0
    for name in ("LINGTAN_DATABASE_URL", "LINGTAN_SECURE_COOKIES"):  # serve sets them
        monkeypatch.delenv(name, raising=False)
    given = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: given.update(options))
    result = CliRunner().invoke(main, ["--db", url, "serve", "--workers", "2"])
    assert result.exit_code == 0, result.output
    assert given["workers"] == 2 and given["timeout_worker_healthcheck"] >= HEALTHCHECK_MIN_S


#: How long ``lingtan serve --workers 2`` may take to start both workers on a loaded machine [s].
START_S = 90


def started_workers(log: Path) -> list[int]:
    """The process ids of the workers that have started serving, from uvicorn's log."""
    text = log.read_text(errors="replace")
    pids = [int(pid) for pid in re.findall(r"Started server process \[(\d+)\]", text)]
    return pids[: text.count("Application startup complete.")]


def test_serve_with_two_workers_starts_both_and_each_answers(tmp_path):
    url = f"sqlite:///{tmp_path / 'lingtan.db'}"
    assert CliRunner().invoke(main, ["--db", url, "init"]).exit_code == 0
    port, log = free_port(), tmp_path / "serve.log"
    # The installed command, as people run it: each worker process imports it first.
    lingtan = Path(sys.executable).with_name("lingtan")
    command = [lingtan, "--db", url, "serve", "--port", str(port), "--workers", "2"]
    with log.open("wb") as out:
        server = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + START_S
        while len(started_workers(log)) < 2 and server.poll() is None:
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        workers = started_workers(log)
        assert len(set(workers)) == 2, log.read_text()
        for worker in workers:  # the other one stopped, this one alone can accept
            others = [pid for pid in workers if pid != worker]
            try:
                for pid in others:
                    os.kill(pid, signal.SIGSTOP)
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=10) as page:
                    assert page.status == 200
            finally:
                for pid in others:
                    os.kill(pid, signal.SIGCONT)
        text = log.read_text()
        assert "died" not in text and "failed to start" not in text, text
    finally:
        server.terminate()
        server.wait(timeout=30)
