import fcntl
import functools
import json
import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import click
import pytest
import sqlalchemy as sa

from demo_support import demo_command
from lingtan.accounting.engine import compute_inventory
from lingtan.accounting.model import InventoryInput, Source
from lingtan.factors import FactorLibrary, shipped_library


@pytest.fixture(scope="session")
def library() -> FactorLibrary:
    return shipped_library()


def free_port() -> int:
    """A loopback TCP port nobody listens on (now)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def subcommands(group: click.Group) -> dict[str, click.Command]:
    """The commands of ``group`` by name, sorted, each imported (:mod:`lingtan.cli.lazy`)."""
    ctx = click.Context(group)
    return {name: group.get_command(ctx, name) for name in group.list_commands(ctx)}


def run(*sources: Source, library: FactorLibrary | None = None, **options):
    """Compute an inventory of 2025 for a facility in Jiangsu from the given sources."""
    inventory = InventoryInput(
        facility_name="Test plant",
        region=options.pop("region", "Jiangsu"),
        period_start=date(2025, 1, 1),
        period_end=date(2025, 12, 31),
        sources=sources,
        **options,
    )
    return compute_inventory(inventory, library or shipped_library())


@pytest.fixture(scope="session")
def demo(tmp_path_factory, worker_id):
    """The demo built once per test run (about 30 s): under pytest-xdist the first worker that
    needs it builds it while the others wait on a file lock, then all read the same folder.
    ``(folder, stdout, seconds)``; tests that change the database work on :func:`demo_copy`."""
    shared = tmp_path_factory.getbasetemp()
    if worker_id != "master":
        shared = shared.parent  # the run's folder, above each worker's own
    folder, record = shared / "demo" / "out", shared / "demo.json"
    with (shared / "demo.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not record.exists():
            started = time.perf_counter()
            run = subprocess.run(
                demo_command(folder, "--no-serve"), capture_output=True, text=True, timeout=300
            )
            built = {"code": run.returncode, "stdout": run.stdout, "stderr": run.stderr}
            record.write_text(json.dumps({**built, "seconds": time.perf_counter() - started}))
    built = json.loads(record.read_text())
    assert built["code"] == 0, built["stderr"]
    return folder, built["stdout"], built["seconds"]


@pytest.fixture(scope="session")
def demo_copy(demo):
    """``copy(folder) -> database URL``: the built demo's database, evidence and footprint
    study (``footprint/``, the web application's studies folder beside it) copied into
    ``folder``, for tests that change them (the shared demo stays as built)."""

    def copy(folder: Path) -> str:
        built = demo[0]
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy2(built / "lingtan.db", folder / "lingtan.db")
        shutil.copytree(built / "lingtan-evidence", folder / "lingtan-evidence")
        shutil.copytree(built / "footprint", folder / "footprint")  # its study, as served
        return f"sqlite:///{folder / 'lingtan.db'}"

    return copy


# --- Services the tests need: a skip is a failure under ``make test`` ---------------------
#
# Tests that need a service or program of the machine (PostgreSQL, Mosquitto, Chromium, the
# PostgreSQL server binaries) skip without it, so that a bare checkout can run what it can.
# ``make test`` (and so CI) first provides all of them (scripts/setup-machine) and sets
# LINGTAN_REQUIRE_SERVICES=1: there every skip is turned into a failure.

REQUIRE_SERVICES = os.environ.get("LINGTAN_REQUIRE_SERVICES") == "1"
_NO_SKIPS = "LINGTAN_REQUIRE_SERVICES=1 (make test) allows no skip"


def _fail_skip(report: pytest.TestReport | pytest.CollectReport) -> None:
    if REQUIRE_SERVICES and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"{reason} ({_NO_SKIPS})"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    _fail_skip(report)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector):
    report = yield
    _fail_skip(report)
    return report


# --- Store: one test, both databases -----------------------------------------------------
#
# ``database_url`` runs a test on a SQLite file and on a fresh PostgreSQL database. The server
# is LINGTAN_TEST_POSTGRESQL_URL, by default postgres@127.0.0.1:5432 with the password that
# scripts/setup-machine gives a fresh Debian cluster (ignored where loopback is trusted); if it
# cannot be reached the postgresql cases are skipped.

POSTGRESQL_ADMIN_URL = os.environ.get(
    "LINGTAN_TEST_POSTGRESQL_URL",
    "postgresql+psycopg://postgres:lingtan-test@127.0.0.1:5432/postgres",
)


@functools.cache
def _postgresql_unreachable() -> str | None:
    """Why PostgreSQL cannot be used for tests, or None if it can."""
    engine = sa.create_engine(POSTGRESQL_ADMIN_URL, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except Exception as error:
        return f"PostgreSQL at {engine.url.render_as_string()} unreachable: {error}"
    finally:
        engine.dispose()
    return None


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database, on each backend; dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'lingtan.db'}"
        return
    reason = _postgresql_unreachable()
    if reason is not None:
        pytest.skip(reason)
    name = f"lingtan_test_{uuid.uuid4().hex[:16]}"
    admin = sa.create_engine(POSTGRESQL_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            # FORCE: a test that failed may have left connections open.
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def store_engine(database_url: str) -> Iterator[sa.Engine]:
    """An engine on an empty database of each backend, migrated to the newest revision."""
    from lingtan.store.db import make_engine, upgrade

    engine = make_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def lingtan_cli(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """``lingtan --db <database_url> ARGS`` in this process, as user ``tester`` with its data
    folder in ``tmp_path``; asserts the exit code (0 unless ``code=``) and returns the result."""
    from click.testing import CliRunner

    from lingtan.cli.main import main

    monkeypatch.setenv("LINGTAN_USER", "tester")
    monkeypatch.setenv("LINGTAN_DATA_DIR", str(tmp_path / "data"))
    runner = CliRunner()

    def run(*args, code=0):
        result = runner.invoke(main, ["--db", database_url, *map(str, args)])
        assert result.exit_code == code, (result.output, result.stderr)
        return result

    return run


# --- A machine without a CJK font ----------------------------------------------------------


@pytest.fixture
def no_cjk_font(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """fontconfig with an empty configuration, as on a machine without fonts-noto-cjk: set
    here (in-process report code looks afresh) and returned as the environment of a
    subprocess."""
    from lingtan.reports import charts

    config = tmp_path / "no-fonts.conf"
    config.write_text("<?xml version='1.0'?>\n<fontconfig></fontconfig>\n", encoding="utf-8")
    monkeypatch.setenv("FONTCONFIG_FILE", str(config))
    charts.cjk_font.cache_clear()
    yield {**os.environ, "FONTCONFIG_FILE": str(config)}
    charts.cjk_font.cache_clear()
