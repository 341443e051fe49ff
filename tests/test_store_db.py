"""Store infrastructure: URLs, engines, transactions, migrations, on SQLite and PostgreSQL."""

import threading
import time
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.orm import Session

from lingtan.store.db import (
    alembic_config,
    current_revision,
    database_url,
    make_engine,
    session_scope,
    upgrade,
)
from lingtan.store.models import (
    ActivityRecord,
    Base,
    Evidence,
    Facility,
    Instrument,
    Organization,
    Source,
)

HEAD = "0024_footprint_declarations"


# --- database_url ---------------------------------------------------------------------------


def test_database_url_prefers_the_option_then_the_environment_then_a_local_file(monkeypatch):
    monkeypatch.delenv("LINGTAN_DATABASE_URL", raising=False)
    assert database_url() == "sqlite:///lingtan.db"
    monkeypatch.setenv("LINGTAN_DATABASE_URL", "sqlite:////srv/plant.db")
    assert database_url() == "sqlite:////srv/plant.db"
    assert database_url("sqlite:///other.db") == "sqlite:///other.db"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u:p@db:5432/lt", "postgresql+psycopg://u:p@db:5432/lt"),
        ("postgres://u@db/lt", "postgresql+psycopg://u@db/lt"),
        ("postgresql+psycopg://u@db/lt", "postgresql+psycopg://u@db/lt"),
        ("plant.db", "sqlite:///plant.db"),
        ("/var/lib/lingtan/plant.db", "sqlite:////var/lib/lingtan/plant.db"),
        ("data/工厂.db", "sqlite:///data/工厂.db"),
    ],
)
def test_database_url_normalises_postgres_and_bare_paths(given, expected):
    assert database_url(given) == expected


def test_alembic_config_escapes_percent_in_passwords():
    config = alembic_config("postgresql://u:p%40ss@db/lt")
    assert config.get_main_option("sqlalchemy.url") == "postgresql+psycopg://u:p%40ss@db/lt"
    assert Path(config.get_main_option("script_location"), "env.py").is_file()
    assert Path(config.get_main_option("script_location"), "script.py.mako").is_file()


# --- SQLite engine settings -----------------------------------------------------------------


def test_sqlite_engine_uses_wal_foreign_keys_busy_timeout_and_begin_immediate(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    statements = []
    sa.event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000
    assert statements[0] == "BEGIN IMMEDIATE"
    engine.dispose()


def test_bare_path_is_a_sqlite_file(tmp_path):
    engine = make_engine(str(tmp_path / "plant.db"))
    upgrade(engine)
    assert (tmp_path / "plant.db").is_file()
    engine.dispose()


def test_a_second_sqlite_writer_queues_behind_the_first(tmp_path):
    # Read-then-write is the case that deadlocks with deferred transactions ("database is
    # locked" at once, no busy wait); with BEGIN IMMEDIATE the second writer just waits.
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    upgrade(engine)
    organizations = Organization.__table__
    holding = threading.Event()

    def first_writer():
        with engine.begin() as connection:
            connection.execute(organizations.insert().values(name="A", created_at=sa.func.now()))
            holding.set()
            time.sleep(0.5)

    thread = threading.Thread(target=first_writer)
    thread.start()
    holding.wait()
    started = time.monotonic()
    with engine.begin() as connection:
        seen = connection.execute(sa.select(sa.func.count()).select_from(organizations)).scalar()
        connection.execute(organizations.insert().values(name="B", created_at=sa.func.now()))
    waited = time.monotonic() - started
    thread.join()
    assert seen == 1  # the first writer's row: the second began after its commit
    assert waited > 0.3
    engine.dispose()


def test_a_sqlite_writer_gives_up_after_the_busy_timeout(tmp_path):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    first = make_engine(url)
    second = make_engine(url, connect_args={"timeout": 0.2})
    upgrade(first)
    with first.begin() as holder:
        holder.execute(sa.insert(Organization.__table__).values(name="A", created_at=sa.func.now()))
        with pytest.raises(sa.exc.OperationalError, match="locked"), second.begin() as waiter:
            waiter.execute(sa.select(1))
    first.dispose()
    second.dispose()


# --- migrations -----------------------------------------------------------------------------


def _differences(engine: sa.Engine) -> list:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)


def _described(difference) -> tuple[str, str, str]:
    """(what, table, column or constraint) of a difference found by Alembic."""
    if isinstance(difference, list):  # changes of one column
        return ("modify", difference[0][2], difference[0][3])
    what, thing = difference[0], difference[1]
    if what in ("add_column", "remove_column"):
        return (what, difference[2], difference[3].name)
    if what == "add_table":
        return (what, thing.name, "")
    if thing.name is None or what.endswith("_fk"):  # by its columns (names differ by database)
        return (what, thing.table.name, ",".join(c.name for c in thing.columns))
    return (what, thing.table.name, thing.name)


def test_a_postgresql_server_that_never_answers_fails_the_connection_in_time(monkeypatch):
    # a TCP listener that accepts and then says nothing, as a server behind a broken network
    # path that still completes the handshake would
    import socket

    from lingtan.store import db

    monkeypatch.setattr(db, "POSTGRESQL_CONNECT_TIMEOUT_S", 2)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        engine = make_engine(f"postgresql://nobody@127.0.0.1:{port}/none")
        started = time.monotonic()
        with pytest.raises(sa.exc.OperationalError, match="timeout"):
            engine.connect()
        took = time.monotonic() - started
        engine.dispose()
    assert 1.5 < took < 10, took


def test_upgrade_from_empty_creates_exactly_the_models_schema(database_url):
    engine = make_engine(database_url)
    assert current_revision(engine) is None
    upgrade(engine)
    assert current_revision(engine) == HEAD
    assert _differences(engine) == []
    upgrade(engine)  # already at head: nothing to do
    assert current_revision(engine) == HEAD
    engine.dispose()


def test_upgrade_accepts_a_url(database_url):
    upgrade(database_url, "0001_initial")
    engine = make_engine(database_url)
    assert current_revision(engine) == "0001_initial"
    # The differences to the models are what 0002 to 0024 add.
    described = sorted(_described(d) for d in _differences(engine))
    assert described == [
        ("add_column", "activity_evidence", "evidence_id"),
        ("add_column", "activity_record", "params"),
        ("add_column", "evidence", "id"),
        ("add_column", "evidence", "organization_id"),
        ("add_column", "facility", "time_zone"),
        ("add_column", "instrument", "evidence_id"),
        ("add_constraint", "audit_entry", "uq_audit_entry_prev_hash"),
        ("add_constraint", "evidence", "organization_id,sha256"),
        ("add_fk", "activity_evidence", "evidence_id"),
        ("add_fk", "evidence", "organization_id"),
        ("add_fk", "instrument", "evidence_id"),
        ("add_index", "api_token", "ix_api_token_facility_id"),
        ("add_index", "bom_line", "ix_bom_line_product_id"),
        ("add_index", "carbon_asset", "ix_carbon_asset_facility_id"),
        ("add_index", "contract_month", "ix_contract_month_asset_id"),
        ("add_index", "declaration", "ix_declaration_evidence_id"),
        ("add_index", "declaration", "ix_declaration_facility_period"),
        ("add_index", "efficiency_measure", "ix_efficiency_measure_node_id"),
        ("add_index", "equipment", "ix_equipment_node_id"),
        ("add_index", "evaluation_snapshot", "ix_evaluation_snapshot_facility_period"),
        ("add_index", "evaluation_snapshot", "ix_evaluation_snapshot_inventory_id"),
        ("add_index", "footprint_declaration", "ix_footprint_declaration_facility_id"),
        ("add_index", "ingest_dead_letter", "ix_ingest_dead_letter_facility_code"),
        ("add_index", "ingest_dead_letter", "ix_ingest_dead_letter_facility_id"),
        ("add_index", "ledger_entry", "ix_ledger_entry_asset_id"),
        ("add_index", "ledger_entry", "ix_ledger_entry_facility_id"),
        ("add_index", "ledger_serial", "ix_ledger_serial_asset_id"),
        ("add_index", "ledger_serial", "ix_ledger_serial_range"),
        ("add_index", "login_attempt", "ix_login_attempt_at"),
        ("add_index", "meter", "ix_meter_node_id"),
        ("add_index", "meter_reading_conflict", "ix_meter_reading_conflict_meter_ts"),
        ("add_index", "pact_access_token", "ix_pact_access_token_client_id"),
        ("add_index", "pact_client", "ix_pact_client_organization_id"),
        ("add_index", "pact_event", "ix_pact_event_organization_received"),
        ("add_index", "pact_footprint", "ix_pact_footprint_organization_id"),
        ("add_index", "pact_received_footprint", "ix_pact_received_footprint_organization_id"),
        ("add_index", "pact_received_footprint", "ix_pact_received_footprint_remote_id"),
        ("add_index", "pact_remote", "ix_pact_remote_organization_id"),
        ("add_index", "plan", "ix_plan_facility_id"),
        ("add_index", "user_session", "ix_user_session_user_id"),
        ("add_table", "activity_meter", ""),
        ("add_table", "api_token", ""),
        ("add_table", "app_user", ""),
        ("add_table", "bom_line", ""),
        ("add_table", "carbon_asset", ""),
        ("add_table", "contract_month", ""),
        ("add_table", "declaration", ""),
        ("add_table", "efficiency_measure", ""),
        ("add_table", "equipment", ""),
        ("add_table", "evaluation_snapshot", ""),
        ("add_table", "facility_data_version", ""),
        ("add_table", "facility_target", ""),
        ("add_table", "footprint_declaration", ""),
        ("add_table", "ingest_dead_letter", ""),
        ("add_table", "ledger_entry", ""),
        ("add_table", "ledger_serial", ""),
        ("add_table", "login_attempt", ""),
        ("add_table", "meter", ""),
        ("add_table", "meter_budget", ""),
        ("add_table", "meter_day", ""),
        ("add_table", "meter_day_stale", ""),
        ("add_table", "meter_node", ""),
        ("add_table", "meter_reading", ""),
        ("add_table", "meter_reading_conflict", ""),
        ("add_table", "node_day", ""),
        ("add_table", "outdoor_temperature", ""),
        ("add_table", "pact_access_token", ""),
        ("add_table", "pact_client", ""),
        ("add_table", "pact_event", ""),
        ("add_table", "pact_footprint", ""),
        ("add_table", "pact_received_footprint", ""),
        ("add_table", "pact_remote", ""),
        ("add_table", "plan", ""),
        ("add_table", "report_job", ""),
        ("add_table", "tariff_price", ""),
        ("add_table", "user_facility", ""),
        ("add_table", "user_session", ""),
        ("remove_column", "activity_evidence", "evidence_sha256"),
        ("remove_column", "instrument", "evidence_sha256"),
        ("remove_fk", "activity_evidence", "evidence_sha256"),
        ("remove_fk", "instrument", "evidence_sha256"),
    ]
    engine.dispose()


def test_migration_keeps_existing_data(database_url):
    engine = make_engine(database_url)
    upgrade(engine, "0001_initial")
    # Raw inserts: the models already describe the newer schema.
    tables = sa.MetaData()
    tables.reflect(engine)
    now = sa.func.now()
    with engine.begin() as connection:
        org = connection.execute(
            tables.tables["organization"].insert().values(name="宁德新能源", created_at=now)
        ).inserted_primary_key[0]
        facility = connection.execute(
            tables.tables["facility"]
            .insert()
            .values(
                organization_id=org, code="F1", name="Cell plant", region="CN-JS", created_at=now
            )
        ).inserted_primary_key[0]
        source = connection.execute(
            tables.tables["source"]
            .insert()
            .values(
                facility_id=facility,
                code="boiler-1",
                kind="fuel_combustion",
                name="",
                params={"fuel": "natural_gas"},
                created_at=now,
            )
        ).inserted_primary_key[0]
        connection.execute(
            tables.tables["activity_record"]
            .insert()
            .values(
                source_id=source,
                period_start=date(2025, 1, 1),
                period_end=date(2025, 1, 31),
                quantity=12_345.6,
                unit="m3",
                origin="invoice",
                created_at=now,
            )
        )

    upgrade(engine)
    assert current_revision(engine) == HEAD
    with session_scope(engine) as session:
        record = session.scalars(sa.select(ActivityRecord)).one()
        assert (record.quantity, record.unit, record.params) == (12_345.6, "m3", None)
        assert record.source.params == {"fuel": "natural_gas"}
        assert record.source.facility.organization.name == "宁德新能源"
        record.params = {"ncv_gj_per_10k_m3": 389.31}
    with Session(engine) as session:
        assert session.scalars(sa.select(ActivityRecord.params)).one() == {
            "ncv_gj_per_10k_m3": 389.31
        }
    engine.dispose()


def test_migration_0013_gives_each_organization_its_own_evidence_rows(database_url, tmp_path):
    # Before 0013 one evidence row per SHA-256 served every organization: the content of a
    # bill used by A and by B (named by A), one used by A alone, and an unused row.
    engine = make_engine(database_url)
    upgrade(engine, "0012_ingest_dead_letter")
    tables = sa.MetaData()
    tables.reflect(engine)
    t = tables.tables
    now = sa.func.now()
    shared, own, unused = "a" * 64, "b" * 64, "c" * 64
    with engine.begin() as connection:

        def insert(table, **values):
            return connection.execute(t[table].insert().values(**values)).inserted_primary_key[0]

        for sha256, filename in [
            (shared, "alpha-secret-bill.pdf"),
            (own, "alpha-own.csv"),
            (unused, "nobody.txt"),
        ]:
            insert(
                "evidence", sha256=sha256, filename=filename, media_type="application/pdf",
                size_bytes=10, created_at=now,
            )  # fmt: skip
        records, instruments = {}, {}
        for name in ("Alpha", "Beta"):
            org = insert("organization", name=name, created_at=now)
            site = insert(
                "facility", organization_id=org, code=name, name=name, region="CN-JS",
                created_at=now,
            )  # fmt: skip
            source = insert(
                "source", facility_id=site, code="gas", kind="fuel_combustion", name="",
                params={}, created_at=now,
            )  # fmt: skip
            records[name] = insert(
                "activity_record", source_id=source, period_start=date(2025, 1, 1),
                period_end=date(2025, 1, 31), quantity=1.0, unit="m3", origin="invoice",
                created_at=now,
            )  # fmt: skip
            instruments[name] = insert(
                "instrument", facility_id=site, code="GEC-1", kind="gec",
                period_start=date(2025, 1, 1), period_end=date(2025, 12, 31), quantity=1.0,
                unit="MWh", sources=[], evidence_sha256=shared,
            ) if name == "Beta" else None  # fmt: skip
        connection.execute(
            t["activity_evidence"].insert(),
            [
                {"activity_id": records["Alpha"], "evidence_sha256": shared},
                {"activity_id": records["Alpha"], "evidence_sha256": own},
                {"activity_id": records["Beta"], "evidence_sha256": shared},
            ],
        )

    upgrade(engine)
    assert current_revision(engine) == HEAD
    assert _differences(engine) == []
    with session_scope(engine, read_only=True) as session:
        rows = session.scalars(sa.select(Evidence).order_by(Evidence.id)).all()
        named = {(r.organization.name, r.sha256): r.filename for r in rows}
        assert named == {
            ("Alpha", shared): "evidence-aaaaaaaaaaaa.pdf",  # A's name is no longer shown to B
            ("Alpha", own): "alpha-own.csv",
            ("Beta", shared): "evidence-aaaaaaaaaaaa.pdf",
        }
        alpha = session.get(ActivityRecord, records["Alpha"])
        beta = session.get(ActivityRecord, records["Beta"])
        assert sorted(e.sha256 for e in alpha.evidence) == [shared, own]
        assert [e.organization.name for e in alpha.evidence] == ["Alpha", "Alpha"]
        assert [(e.sha256, e.organization.name) for e in beta.evidence] == [(shared, "Beta")]
        gec = session.get(Instrument, instruments["Beta"])
        assert (gec.evidence.sha256, gec.evidence.organization.name) == (shared, "Beta")
    engine.dispose()


def test_a_failing_migration_leaves_the_database_as_it_was(database_url, monkeypatch):
    # 0002 fails after 0001 has created every table: the whole upgrade is one transaction.
    from alembic.operations import Operations

    def fail(*args, **kwargs):
        raise RuntimeError("migration 0002 failed")

    monkeypatch.setattr(Operations, "batch_alter_table", fail)
    engine = make_engine(database_url)
    with pytest.raises(RuntimeError, match="0002 failed"):
        upgrade(engine)
    assert current_revision(engine) is None
    assert sa.inspect(engine).get_table_names() == []
    monkeypatch.undo()
    upgrade(engine)
    assert current_revision(engine) == HEAD
    engine.dispose()


def test_foreign_keys_are_enforced(store_engine):
    with pytest.raises(sa.exc.IntegrityError), session_scope(store_engine) as session:
        session.add(Facility(organization_id=999, code="F1", name="x", region="CN-JS"))


# --- session_scope --------------------------------------------------------------------------


def test_session_scope_commits_on_success(store_engine):
    with session_scope(store_engine) as session:
        session.add(Organization(name="Acme"))
    with session_scope(store_engine) as session:
        assert session.scalars(sa.select(Organization.name)).all() == ["Acme"]


def test_session_scope_rolls_back_everything_on_an_exception(store_engine):
    with pytest.raises(RuntimeError, match="bad row 3"), session_scope(store_engine) as session:
        organization = Organization(name="Acme")
        facility = Facility(organization=organization, code="F1", name="Plant", region="CN-JS")
        session.add(Source(facility=facility, code="boiler-1", kind="fuel_combustion"))
        session.flush()  # the rows reached the database ...
        raise RuntimeError("bad row 3")
    with session_scope(store_engine) as session:  # ... and are gone
        for table in (Organization, Facility, Source):
            assert session.scalar(sa.select(sa.func.count()).select_from(table)) == 0


def test_session_scope_rolls_back_on_a_database_error(store_engine):
    with session_scope(store_engine) as session:
        session.add(Organization(name="Acme"))
    with pytest.raises(sa.exc.IntegrityError), session_scope(store_engine) as session:
        session.add(Organization(name="Beta"))
        session.flush()
        session.add(Organization(name="Acme"))  # unique name: refused
    with session_scope(store_engine) as session:
        assert session.scalars(sa.select(Organization.name)).all() == ["Acme"]


def test_read_only_scope_refuses_writes_on_postgresql_and_leaves_the_pool_writable(store_engine):
    with session_scope(store_engine) as session:
        session.add(Organization(name="Acme"))
    with session_scope(store_engine, read_only=True) as session:
        assert session.scalars(sa.select(Organization.name)).all() == ["Acme"]
    if store_engine.dialect.name == "postgresql":
        with (
            pytest.raises(sa.exc.InternalError, match="read-only transaction"),
            session_scope(store_engine, read_only=True) as session,
        ):
            session.add(Organization(name="Beta"))
    with session_scope(store_engine) as session:  # the same pooled connection writes again
        session.add(Organization(name="Gamma"))
    with session_scope(store_engine) as session:
        assert session.scalars(sa.select(Organization.name)).all() == ["Acme", "Gamma"]


def test_sqlite_readers_do_not_wait_for_a_writer(tmp_path):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with session_scope(engine) as session:
        session.add(Organization(name="Acme"))
    impatient = make_engine(url, connect_args={"timeout": 0.1})
    with session_scope(engine) as writer:
        writer.add(Organization(name="Beta"))
        writer.flush()  # holds the write lock
        with session_scope(impatient, read_only=True) as reader:  # no wait, no error
            assert reader.scalars(sa.select(Organization.name)).all() == ["Acme"]
        with (
            pytest.raises(sa.exc.OperationalError, match="locked"),
            session_scope(impatient) as other_writer,
        ):
            other_writer.scalars(sa.select(Organization.name)).all()
    impatient.dispose()
    engine.dispose()
