import functools
import os
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from lingtan.accounting.engine import compute_inventory
from lingtan.accounting.model import InventoryInput, Source
from lingtan.factors import FactorLibrary, shipped_library


@pytest.fixture(scope="session")
def library() -> FactorLibrary:
    return shipped_library()


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


# --- Store: one test, both databases -----------------------------------------------------
#
# ``database_url`` runs a test on a SQLite file and on a fresh PostgreSQL database. The server
# is LINGTAN_TEST_POSTGRESQL_URL (default: postgres@127.0.0.1:5432, trust auth); if it cannot
# be reached the postgresql cases are skipped, unless LINGTAN_REQUIRE_SERVICES=1 (CI), where
# they fail instead.

POSTGRESQL_ADMIN_URL = os.environ.get(
    "LINGTAN_TEST_POSTGRESQL_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
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
        if os.environ.get("LINGTAN_REQUIRE_SERVICES") == "1":
            pytest.fail(f"{reason} (LINGTAN_REQUIRE_SERVICES=1 requires it)")
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
