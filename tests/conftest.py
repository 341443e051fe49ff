import copy
import fcntl
import functools
import json
import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import TypeVar

import click
import pytest
import sqlalchemy as sa

from demo_support import demo_command
from lingtan.accounting.engine import compute_inventory
from lingtan.accounting.model import InventoryInput, Source
from lingtan.factors import FactorLibrary, shipped_library

T = TypeVar("T")


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


# --- Databases built once per process, copied for each test ------------------------------
#
# Many tests begin from the same database: migrated to the newest revision (about 1 s of
# Alembic on each backend), or the two-organization site of ``web_support`` (imports, users
# with argon2 password hashes, tokens: several seconds). ``from_template`` builds each such
# database once per pytest process (each xdist worker) and backend, and then copies it into
# every test's own empty database: a SQLite file copy, or PostgreSQL's
# ``CREATE DATABASE ... TEMPLATE``. Each test still gets a database of its own to change.


class _Templates:
    def __init__(self) -> None:
        self.folder: Path | None = None  # set for the session by the fixture below
        self.built: dict[tuple[str, str], tuple[str, Path, object]] = {}
        self._admin: sa.Engine | None = None

    def admin(self) -> sa.Engine:
        if self._admin is None:
            self._admin = sa.create_engine(POSTGRESQL_ADMIN_URL, isolation_level="AUTOCOMMIT")
        return self._admin

    def close(self) -> None:
        """Drop the PostgreSQL templates of this process."""
        names = [where for (backend, _), (where, _, _) in self.built.items() if backend != "sqlite"]
        if names:
            with self.admin().connect() as connection:
                for name in names:
                    connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.built.clear()
        if self._admin is not None:
            self._admin.dispose()
            self._admin = None


_TEMPLATES = _Templates()


@pytest.fixture(scope="session", autouse=True)
def _database_templates(tmp_path_factory) -> Iterator[None]:
    _TEMPLATES.folder = tmp_path_factory.mktemp("database-templates")
    yield
    _TEMPLATES.close()
    _TEMPLATES.folder = None


def from_template(key: str, url: str, folder: Path, build: Callable[[str, Path], T]) -> T:
    """Make the empty database at ``url`` (SQLite or PostgreSQL) and the files under
    ``folder`` what ``build(url, folder)`` makes of them, and return a copy of what it
    returned. ``build`` runs once per process, backend and ``key`` (on a template database
    and folder of its own); each later call copies that template. ``build`` must dispose of
    the engines it makes. Outside a pytest session it simply runs ``build``."""
    if _TEMPLATES.folder is None:
        return build(url, folder)
    target = sa.make_url(url)
    sqlite = target.get_backend_name() == "sqlite"
    backend = "sqlite" if sqlite else "postgresql"
    if (backend, key) not in _TEMPLATES.built:
        files = _TEMPLATES.folder / f"{backend}-{key}"
        files.mkdir()
        if sqlite:
            where = str(files / "template.db")
            made = build(f"sqlite:///{where}", files)
        else:
            where = f"lingtan_template_{uuid.uuid4().hex[:16]}"
            with _TEMPLATES.admin().connect() as connection:
                connection.exec_driver_sql(f'CREATE DATABASE "{where}"')
            made = build(target.set(database=where).render_as_string(hide_password=False), files)
        _TEMPLATES.built[backend, key] = (where, files, made)
    where, files, made = _TEMPLATES.built[backend, key]
    if sqlite:
        database = Path(target.database)
        for suffix in ("", "-wal"):  # the write-ahead log if the builder left one
            if Path(where + suffix).exists():
                shutil.copyfile(where + suffix, str(database) + suffix)
    else:
        # The test's database was created empty (database_url): made again from the template.
        with _TEMPLATES.admin().connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE "{target.database}"')
            connection.exec_driver_sql(f'CREATE DATABASE "{target.database}" TEMPLATE "{where}"')
    for item in files.iterdir():
        if item.name.startswith("template.db"):
            continue
        if item.is_dir():
            shutil.copytree(item, folder / item.name, dirs_exist_ok=True)
        else:
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copy2(item, folder / item.name)
    return copy.deepcopy(made)


def migrated(url: str, folder: Path) -> None:
    """The database at ``url`` migrated to the newest revision (a ``from_template`` builder)."""
    from lingtan.store.db import upgrade

    upgrade(url)


@pytest.fixture
def store_engine(database_url: str, tmp_path: Path) -> Iterator[sa.Engine]:
    """An engine on an empty database of each backend, migrated to the newest revision."""
    from lingtan.store.db import make_engine

    from_template("migrated", database_url, tmp_path, migrated)
    engine = make_engine(database_url)
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
