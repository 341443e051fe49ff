"""Connecting to the store: database URLs, engines, transactions and migrations.

One code path serves both databases (design principle 6): a SQLite file by default, PostgreSQL
when a URL says so. SQLite runs with a single writer: every transaction starts with
``BEGIN IMMEDIATE``, so two writers queue on the file lock instead of deadlocking when a reader
tries to become a writer. The schema is created and changed only by the Alembic migrations
shipped in ``lingtan/store/migrations``; :func:`upgrade` runs them without an ``alembic.ini``.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import files
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import URL, Engine, create_engine, event, make_url
from sqlalchemy.orm import Session

__all__ = [
    "DEFAULT_DATABASE_URL",
    "ENV_DATABASE_URL",
    "POSTGRESQL_CONNECT_TIMEOUT_S",
    "SQLITE_BUSY_TIMEOUT_MS",
    "alembic_config",
    "current_revision",
    "database_url",
    "head_revision",
    "make_engine",
    "session_scope",
    "upgrade",
]

ENV_DATABASE_URL = "LINGTAN_DATABASE_URL"
DEFAULT_DATABASE_URL = "sqlite:///lingtan.db"
SQLITE_BUSY_TIMEOUT_MS = 30_000
#: How long a PostgreSQL connection may take to open [s]: a server behind a network that drops
#: packets then fails the attempt (a gateway's buffer keeps its readings and retries) instead
#: of hanging until the operating system gives up.
POSTGRESQL_CONNECT_TIMEOUT_S = 10
_READ_ONLY = "lingtan_read_only"  # execution option: see session_scope(read_only=True)


def database_url(value: str | os.PathLike[str] | None = None) -> str:
    """The database URL to use, normalised for SQLAlchemy.

    Parameters
    ----------
    value
        The ``--db`` option as given: a SQLAlchemy URL, a ``postgres://`` or ``postgresql://``
        URL, or a bare file path (a SQLite file). ``None`` falls back to the environment
        variable ``LINGTAN_DATABASE_URL``, then to ``sqlite:///lingtan.db`` (a file in the
        current directory).

    Returns
    -------
    str
        A URL with an explicit driver for PostgreSQL (``postgresql+psycopg://``, psycopg 3).
    """
    if value is None or value == "":
        value = os.environ.get(ENV_DATABASE_URL) or DEFAULT_DATABASE_URL
    return _normalise(os.fspath(value))


def _normalise(url: str) -> str:
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser()}"
    scheme, rest = url.split("://", 1)
    # Heroku-style "postgres://" and driverless "postgresql://" would make SQLAlchemy look for
    # psycopg2, which lingtan does not install.
    if scheme in ("postgres", "postgresql"):
        return f"postgresql+psycopg://{rest}"
    return url


def _is_sqlite(url: str | URL) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(url: str | URL, **kwargs: Any) -> Engine:
    """An engine set up for lingtan's use of the database.

    SQLite gets WAL journal mode (readers never block the writer), enforced foreign keys, a
    busy timeout of 30 s and ``BEGIN IMMEDIATE`` at the start of every transaction (the
    pysqlite recipe: the driver's own transaction handling is switched off and SQLAlchemy
    emits the BEGIN). PostgreSQL gets ``pool_pre_ping`` so a restarted server costs no error,
    and a connect timeout of :data:`POSTGRESQL_CONNECT_TIMEOUT_S`.

    Parameters
    ----------
    url
        A database URL; ``postgres://`` and ``postgresql://`` select psycopg 3, a bare path
        is a SQLite file.
    **kwargs
        Passed on to :func:`sqlalchemy.create_engine`.
    """
    url = _normalise(url) if isinstance(url, str) else url
    if not _is_sqlite(url):
        kwargs.setdefault("pool_pre_ping", True)
        connect_args = {"connect_timeout": POSTGRESQL_CONNECT_TIMEOUT_S}
        return create_engine(
            url, connect_args={**connect_args, **kwargs.pop("connect_args", {})}, **kwargs
        )

    connect_args = dict(kwargs.pop("connect_args", {}))
    # isolation_level=None: sqlite3 must not emit its own (deferred) BEGIN; see "begin" below.
    connect_args.setdefault("isolation_level", None)
    # sqlite3's timeout is SQLite's busy timeout (PRAGMA busy_timeout); a caller may lower it.
    connect_args.setdefault("timeout", SQLITE_BUSY_TIMEOUT_MS / 1000)
    engine = create_engine(url, connect_args=connect_args, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Take the write lock up front: a deferred transaction that reads and then writes
        # fails with "database is locked" at once (no busy wait) when another writer got in
        # between; IMMEDIATE makes writers queue for up to the busy timeout instead.
        # Read-only work keeps a deferred BEGIN, so in WAL mode it runs beside the writer.
        if connection.get_execution_options().get(_READ_ONLY):
            connection.exec_driver_sql("BEGIN DEFERRED")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


@contextmanager
def session_scope(engine: Engine, *, read_only: bool = False) -> Iterator[Session]:
    """A session in one transaction: committed when the block ends, rolled back on any exception.

    Nothing partial is ever written (design principle 8). Objects stay readable after the
    block (``expire_on_commit=False``); the session is closed.

    Parameters
    ----------
    engine
        From :func:`make_engine`.
    read_only
        For work that only reads (pages, reports, checks). On SQLite the transaction then
        begins DEFERRED instead of IMMEDIATE and so does not queue behind writers or block
        them (it must not write: that could fail with "database is locked"); on PostgreSQL
        it is a READ ONLY transaction, where any write fails.

    Examples
    --------
    >>> with session_scope(engine) as session:  # doctest: +SKIP
    ...     session.add(Organization(name="Acme"))
    """
    bind = engine
    if read_only:
        bind = engine.execution_options(**{_READ_ONLY: True, "postgresql_readonly": True})
    with Session(bind, expire_on_commit=False) as session, session.begin():
        yield session


def alembic_config(url: str | URL) -> Config:
    """An Alembic configuration for lingtan's migrations, built in code (no ``alembic.ini``).

    Useful to developers for ``alembic.command.revision(alembic_config(url),
    autogenerate=True, message=...)``.
    """
    if isinstance(url, URL):
        url = url.render_as_string(hide_password=False)
    config = Config()
    config.set_main_option("script_location", str(files("lingtan.store") / "migrations"))
    # ConfigParser interpolates "%": URL-encoded passwords must be escaped.
    config.set_main_option("sqlalchemy.url", _normalise(url).replace("%", "%%"))
    return config


def upgrade(engine_or_url: Engine | str, revision: str = "head") -> None:
    """Migrate the database to ``revision`` in one transaction.

    On SQLite, foreign-key enforcement is switched off for the duration (batch migrations
    copy and drop tables, which enforcement would refuse) and ``PRAGMA foreign_key_check``
    must come back empty before the commit, as the SQLite manual prescribes for schema
    changes. On both databases a failing migration leaves the schema as it was.
    """
    if isinstance(engine_or_url, str):
        engine = make_engine(engine_or_url)
        try:
            upgrade(engine, revision)
        finally:
            engine.dispose()
        return

    engine = engine_or_url
    config = alembic_config(engine.url)
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        if sqlite:
            # Must happen outside a transaction, where the pragma is a silent no-op.
            connection.connection.driver_connection.execute("PRAGMA foreign_keys = OFF")
        try:
            with connection.begin():
                config.attributes["connection"] = connection
                command.upgrade(config, revision)
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        raise RuntimeError(f"migration left broken foreign keys: {broken}")
        finally:
            if sqlite:
                connection.connection.driver_connection.execute("PRAGMA foreign_keys = ON")


@functools.cache
def head_revision() -> str:
    """The newest revision among the shipped migrations (read once per process: the
    application and every command ask, and reading them loads every migration script)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The Alembic revision the database is at; ``None`` for a database never migrated."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
