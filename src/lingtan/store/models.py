"""The factory's system of record: SQLAlchemy 2 models (SQLite by default, PostgreSQL by URL).

Names follow the glossary of the design notes. Every numeric column carries its unit in its
name or beside it (``quantity`` + ``unit``); times are stored in UTC. Schema changes go through
Alembic migrations (``lingtan/store/migrations``), never ``create_all``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from lingtan.errors import InputError, InputProblem
from lingtan.i18n import DEFAULT_TIME_ZONE, Message

__all__ = [
    "ActivityEvidence",
    "ActivityRecord",
    "ApiToken",
    "AppUser",
    "AuditEntry",
    "Base",
    "CarbonAsset",
    "ContractMonth",
    "CustomFactorSet",
    "Declaration",
    "Equipment",
    "EvaluationSnapshot",
    "Evidence",
    "Facility",
    "FacilityDataVersion",
    "ImportBatch",
    "Instrument",
    "Inventory",
    "LedgerEntry",
    "LedgerSerial",
    "LoginAttempt",
    "Meter",
    "MeterNode",
    "MeterReading",
    "MeterReadingConflict",
    "Organization",
    "PactAccessToken",
    "PactClient",
    "PactEvent",
    "PactFootprint",
    "PactReceivedFootprint",
    "PactRemote",
    "Product",
    "ProductionRecord",
    "ProductionUnit",
    "ReportJob",
    "Source",
    "StoredPlan",
    "UserFacility",
    "UserSession",
]

ORIGINS = ("meter", "invoice", "manual", "estimate")


def utc_now() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and read back time-zone aware on every database (SQLite
    keeps no zone and would return a naive time)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("store time-zone aware timestamps (UTC)")
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class Organization(Base):
    """An enterprise (企业)."""

    __tablename__ = "organization"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)

    facilities: Mapped[list[Facility]] = relationship(back_populates="organization")


class Facility(Base):
    """A factory site (工厂) with its reporting boundary."""

    __tablename__ = "facility"
    __table_args__ = (UniqueConstraint("organization_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"))
    code: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    region: Mapped[str] = mapped_column(String(40))  # province / grid code, e.g. CN-JS
    industry_code: Mapped[str | None] = mapped_column(String(20))  # GB/T 4754, e.g. C3841
    industry_name: Mapped[str | None] = mapped_column(String(200))
    boundary: Mapped[str | None] = mapped_column(Text)  # description of the boundary (核算边界)
    #: IANA time zone of the site: times on its screens and reports are shown in it.
    time_zone: Mapped[str] = mapped_column(
        String(64), default=DEFAULT_TIME_ZONE, server_default=DEFAULT_TIME_ZONE
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)

    organization: Mapped[Organization] = relationship(back_populates="facilities")
    units: Mapped[list[ProductionUnit]] = relationship(back_populates="facility")
    sources: Mapped[list[Source]] = relationship(back_populates="facility")


class ProductionUnit(Base):
    """A workshop, building or line inside a facility (生产单元)."""

    __tablename__ = "production_unit"
    __table_args__ = (UniqueConstraint("facility_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("production_unit.id"))
    code: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # workshop | building | line

    facility: Mapped[Facility] = relationship(back_populates="units")


class Source(Base):
    """An emission source (排放源) in the boundary; ``params`` holds its kind's fields
    (fuel, gas, region, medium ...) exactly as in a ``lingtan calc`` source."""

    __tablename__ = "source"
    __table_args__ = (UniqueConstraint("facility_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id"))
    production_unit_id: Mapped[int | None] = mapped_column(ForeignKey("production_unit.id"))
    code: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200), default="")
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)

    facility: Mapped[Facility] = relationship(back_populates="sources")
    records: Mapped[list[ActivityRecord]] = relationship(back_populates="source")


class ImportBatch(Base):
    """One imported file: what was read, when, by whom."""

    __tablename__ = "import_batch"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id"))
    filename: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    rows_read: Mapped[int] = mapped_column(Integer)
    rows_added: Mapped[int] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)


class ActivityRecord(Base):
    """A quantity of activity for a source over a period (活动数据), with origin and evidence.

    The key is (source, period): importing the same record again changes nothing; a
    different quantity for the same key is a conflict, never an overwrite.
    """

    __tablename__ = "activity_record"
    __table_args__ = (UniqueConstraint("source_id", "period_start", "period_end"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("source.id"), index=True)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    quantity: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(40))
    origin: Mapped[str] = mapped_column(String(20))  # meter | invoice | manual | estimate
    quality_note: Mapped[str | None] = mapped_column(Text)
    # measured parameters of this record (NCV, steam enthalpy ...), as in a calc source
    params: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)

    source: Mapped[Source] = relationship(back_populates="records")
    evidence: Mapped[list[Evidence]] = relationship(secondary="activity_evidence")


class Evidence(Base):
    """A file of one organization stored by content (SHA-256): an invoice, a meter export, a
    lab report. Content is addressed and deduplicated inside the organization only: another
    organization holding the same bytes has a row (and a file) of its own, with its own name."""

    __tablename__ = "evidence"
    __table_args__ = (UniqueConstraint("organization_id", "sha256"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"))
    sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(500))
    media_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)

    organization: Mapped[Organization] = relationship()


class ActivityEvidence(Base):
    __tablename__ = "activity_evidence"

    activity_id: Mapped[int] = mapped_column(ForeignKey("activity_record.id"), primary_key=True)
    evidence_id: Mapped[int] = mapped_column(ForeignKey("evidence.id"), primary_key=True)


class Instrument(Base):
    """A contractual instrument (GEC 绿证, green power contract 绿电交易, on-site renewable)."""

    __tablename__ = "instrument"
    __table_args__ = (UniqueConstraint("facility_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id"))
    code: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    quantity: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(40))
    serial: Mapped[str | None] = mapped_column(String(200))
    sources: Mapped[list[Any]] = mapped_column(default=list)
    evidence_id: Mapped[int | None] = mapped_column(ForeignKey("evidence.id"))
    import_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"))

    evidence: Mapped[Evidence | None] = relationship()


class Product(Base):
    __tablename__ = "product"
    __table_args__ = (UniqueConstraint("facility_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id"))
    code: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(40))


class ProductionRecord(Base):
    """Production output of a product over a period (产量)."""

    __tablename__ = "production_record"
    __table_args__ = (UniqueConstraint("product_id", "period_start", "period_end"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    quantity: Mapped[float] = mapped_column(Float)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"))


class CustomFactorSet(Base):
    """A user-defined factor set, kept as the CSV text it was loaded from."""

    __tablename__ = "custom_factor_set"

    set_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    version: Mapped[str] = mapped_column(String(40))
    family: Mapped[str] = mapped_column(String(40))
    csv_text: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)


class Inventory(Base):
    """A computed GHG inventory: an immutable snapshot of its input, factors and result.

    ``status`` is ``computed`` or ``locked``. A locked inventory is never changed; computing its
    period again is a restatement: a new row whose ``supersedes_id`` points to it, with a reason.
    """

    __tablename__ = "inventory"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id"), index=True)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))
    engine_version: Mapped[str] = mapped_column(String(100))
    factor_sets: Mapped[list[Any]] = mapped_column()
    input_document: Mapped[dict[str, Any]] = mapped_column()
    result: Mapped[dict[str, Any]] = mapped_column()
    lineage: Mapped[dict[str, Any]] = mapped_column()  # source code -> activity record ids
    result_sha256: Mapped[str] = mapped_column(String(64))
    total_tco2e: Mapped[float] = mapped_column(Float)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("inventory.id"))
    restatement_reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AuditEntry(Base):
    """One change (who, when, what, before, after), chained to the previous entry by hash."""

    __tablename__ = "audit_entry"
    # one successor per entry: the database itself refuses a forked chain (migration 0003)
    __table_args__ = (UniqueConstraint("prev_hash", name="uq_audit_entry_prev_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[str] = mapped_column(String(40))  # ISO 8601 UTC, exactly as hashed
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(60))
    entity: Mapped[str] = mapped_column(String(60))
    entity_key: Mapped[str] = mapped_column(String(200))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


# --- Metering (issue 4) ---------------------------------------------------------------------

ENERGY_TYPES = (
    "electricity",
    "natural_gas",
    "steam",
    "hot_water",
    "water",
    "compressed_air",
    "diesel",
    "pv_generation",
    "exported_power",
)
METER_KINDS = ("cumulative", "interval")
#: Where a meter sits in the energy flow: energy bought from outside (``supply``), made on
#: site from renewables (``generation``), sold back (``export``), produced by a conversion
#: such as a boiler or compressor station (``output``), or used at its node (``use``).
METER_FLOWS = ("supply", "generation", "export", "output", "use")


class MeterNode(Base):
    """A node of the metering tree (计量节点): facility → building/workshop → line → equipment."""

    __tablename__ = "meter_node"
    __table_args__ = (UniqueConstraint("facility_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("meter_node.id"))
    code: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200))
    # facility | building | workshop | line | equipment
    level: Mapped[str] = mapped_column(String(20))


class Meter(Base):
    """A physical or virtual meter (计量器具) attached to a node of the metering tree.

    ``multiplier`` is the CT/PT ratio (or pulse weight) applied to every delta; readings are
    stored as the register shows them. A virtual meter (``virtual_formula`` such as
    ``main - a - b``) has no readings of its own.
    """

    __tablename__ = "meter"
    __table_args__ = (UniqueConstraint("facility_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id"))
    node_id: Mapped[int | None] = mapped_column(ForeignKey("meter_node.id"), index=True)
    code: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(200), default="")
    energy_type: Mapped[str] = mapped_column(String(30))  # one of ENERGY_TYPES
    unit: Mapped[str] = mapped_column(String(20))  # kWh, Nm3, t, GJ, m3 ...
    kind: Mapped[str] = mapped_column(String(20))  # cumulative | interval
    multiplier: Mapped[float] = mapped_column(Float, default=1.0)
    rollover_at: Mapped[float | None] = mapped_column(Float)
    virtual_formula: Mapped[str | None] = mapped_column(Text)
    flow: Mapped[str] = mapped_column(String(20), default="use", server_default="use")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)


class MeterReading(Base):
    """A raw reading: one row per meter and second, value as read [meter unit, before multiplier].

    ``ts`` is epoch seconds UTC. The layout was chosen from measurements (issue 4): one row
    per reading in a clustered ``(meter_id, ts)`` key (``WITHOUT ROWID`` on SQLite) stores
    about 23 bytes per reading and imports about 0.9 M readings/s, where per meter-day blobs
    took about twice the space and would need a read-modify-write for late readings.
    """

    __tablename__ = "meter_reading"
    __table_args__: ClassVar[dict[str, Any]] = {"sqlite_with_rowid": False}

    meter_id: Mapped[int] = mapped_column(ForeignKey("meter.id"), primary_key=True)
    ts: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    value: Mapped[float] = mapped_column(Float)


class MeterReadingConflict(Base):
    """A reading that disagreed with the stored one for the same meter and time; the stored
    value is kept (never overwritten) and the disagreement recorded here for review."""

    __tablename__ = "meter_reading_conflict"
    __table_args__ = (Index("ix_meter_reading_conflict_meter_ts", "meter_id", "ts"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meter_id: Mapped[int] = mapped_column(ForeignKey("meter.id"))
    ts: Mapped[int] = mapped_column(BigInteger)
    stored_value: Mapped[float] = mapped_column(Float)
    new_value: Mapped[float] = mapped_column(Float)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"))
    origin: Mapped[str] = mapped_column(String(100))  # file name, "mqtt", "http" ...
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)


class MeterDay(Base):
    """Checked daily total of one meter (local day), derived from its readings.

    ``energy`` is measured plus estimated energy [meter unit, after the multiplier];
    ``estimated`` is the estimated part; the interval counts give the completeness of the
    day (96 intervals). Kept up to date through :class:`MeterDayStale`.
    """

    __tablename__ = "meter_day"
    __table_args__: ClassVar[dict[str, Any]] = {"sqlite_with_rowid": False}

    meter_id: Mapped[int] = mapped_column(ForeignKey("meter.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    energy: Mapped[float] = mapped_column(Float)
    estimated: Mapped[float] = mapped_column(Float)
    measured_intervals: Mapped[int] = mapped_column(Integer)
    estimated_intervals: Mapped[int] = mapped_column(Integer)
    missing_intervals: Mapped[int] = mapped_column(Integer)


class MeterDayStale(Base):
    """A meter and local day whose :class:`MeterDay` must be recomputed (new readings came)."""

    __tablename__ = "meter_day_stale"
    __table_args__: ClassVar[dict[str, Any]] = {"sqlite_with_rowid": False}

    meter_id: Mapped[int] = mapped_column(ForeignKey("meter.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)


class FacilityDataVersion(Base):
    """A counter per facility, raised in the same transaction as every change to its metered
    data (daily totals refreshed, meters defined): results computed from them are kept by
    this version (:mod:`lingtan.store.versions`). A facility without a row is at version 0."""

    __tablename__ = "facility_data_version"

    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id"), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)


class IngestDeadLetter(Base):
    """A batch of live readings the store refused for good (its facility gone, a meter code
    that is not one, …): set aside with the reason so that the queue behind it moves on, shown
    on screen and retried by hand (:mod:`lingtan.metering.dead_letters`). ``facility_id`` is
    the facility's when it was found (no foreign key: the letter outlives a deleted one)."""

    __tablename__ = "ingest_dead_letter"

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_code: Mapped[str] = mapped_column(String(64), index=True)
    facility_id: Mapped[int | None] = mapped_column(Integer, index=True)
    origin: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text)
    reason_message: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    attempts: Mapped[int] = mapped_column(Integer)
    readings_count: Mapped[int] = mapped_column(Integer)
    first_ts: Mapped[datetime] = mapped_column(UTCDateTime)
    last_ts: Mapped[datetime] = mapped_column(UTCDateTime)
    #: ``[[meter, epoch seconds, value], …]`` as received.
    readings: Mapped[list[Any]] = mapped_column(JSON)


class NodeDay(Base):
    """Daily totals of a node's own meters (local day), per energy type, flow and unit: the
    sums of their :class:`MeterDay` rows, kept by the same refresh.

    ``meters`` counts the meters with a :class:`MeterDay` row that day; the interval counts
    are the sums of theirs (a meter without a row that day adds nothing).
    """

    __tablename__ = "node_day"
    __table_args__: ClassVar[dict[str, Any]] = {"sqlite_with_rowid": False}

    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("meter_node.id"), primary_key=True)
    energy_type: Mapped[str] = mapped_column(String(30), primary_key=True)
    flow: Mapped[str] = mapped_column(String(20), primary_key=True)
    unit: Mapped[str] = mapped_column(String(20), primary_key=True)
    energy: Mapped[float] = mapped_column(Float)
    estimated: Mapped[float] = mapped_column(Float)
    measured_intervals: Mapped[int] = mapped_column(Integer)
    estimated_intervals: Mapped[int] = mapped_column(Integer)
    missing_intervals: Mapped[int] = mapped_column(Integer)
    meters: Mapped[int] = mapped_column(Integer)


class MeterBudget(Base):
    """Energy [tce] and carbon [tCO2] budget of a node of the metering tree for one month
    (``month`` is the first day of the month)."""

    __tablename__ = "meter_budget"
    __table_args__ = (UniqueConstraint("node_id", "month"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("meter_node.id"))
    month: Mapped[date] = mapped_column(Date)
    energy_tce: Mapped[float | None] = mapped_column(Float)
    carbon_tco2: Mapped[float | None] = mapped_column(Float)


class ActivityMeter(Base):
    """Lineage of an activity record produced from meters: each meter (with its sign in the
    sum), the UTC span ``[start_ts, end_ts)`` of 15-minute intervals, the energy it gave
    [meter unit, after the multiplier], of which estimated, and the intervals missing."""

    __tablename__ = "activity_meter"

    activity_id: Mapped[int] = mapped_column(ForeignKey("activity_record.id"), primary_key=True)
    meter_id: Mapped[int] = mapped_column(ForeignKey("meter.id"), primary_key=True)
    sign: Mapped[float] = mapped_column(Float)
    start_ts: Mapped[int] = mapped_column(BigInteger)
    end_ts: Mapped[int] = mapped_column(BigInteger)
    energy: Mapped[float] = mapped_column(Float)
    estimated: Mapped[float] = mapped_column(Float)
    missing_intervals: Mapped[int] = mapped_column(Integer)


# --- Users, sessions and API tokens of the web application (issue 5) -----------------------

ROLES = ("admin", "manager", "viewer", "auditor")
TOKEN_SCOPES = ("read", "ingest")


class AppUser(Base):
    """A person who signs in to the web application, in one organization.

    ``role`` is ``admin`` (everything of its organization, manages users), ``manager`` (reads
    and edits the data of its facilities), ``viewer`` (reads them) or ``auditor`` (reads them,
    the audit log and the evidence). Only the argon2 hash of the password is stored.
    """

    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))  # one of ROLES
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    last_login: Mapped[datetime | None] = mapped_column(UTCDateTime())


class UserFacility(Base):
    """A facility a manager, viewer or auditor may see (an admin sees its whole organization)."""

    __tablename__ = "user_facility"

    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id"), primary_key=True)


class UserSession(Base):
    """A signed-in browser: only the SHA-256 of the session id is stored, never the id."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_secret: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ApiToken(Base):
    """A bearer token for a gateway or a script: one facility, ``read`` or ``ingest``.

    Only its SHA-256 is stored; ``prefix`` (the first characters) lets people tell tokens
    apart. A revoked or expired token is refused.
    """

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(20))
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id"), index=True)
    scope: Mapped[str] = mapped_column(String(20))  # one of TOKEN_SCOPES
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class LoginAttempt(Base):
    """A failed sign-in, kept for throttling (in the database, so it holds across processes)."""

    __tablename__ = "login_attempt"
    __table_args__ = (Index("ix_login_attempt_at", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(100))
    client: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)


#: What a facility target counts: total emissions with Scope 2 location- or market-based.
TARGET_BASES = ("location", "market")


class FacilityTarget(Base):
    """A facility's emission target (减排目标): from ``base_tco2e`` in ``base_year`` to
    ``target_tco2e`` in ``target_year`` [tCO2e], total emissions with Scope 2 on ``basis``
    (``location`` or ``market``). Progress is measured against the straight line between them.
    """

    __tablename__ = "facility_target"

    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id"), primary_key=True)
    basis: Mapped[str] = mapped_column(String(20))
    base_year: Mapped[int] = mapped_column(Integer)
    base_tco2e: Mapped[float] = mapped_column(Float)
    target_year: Mapped[int] = mapped_column(Integer)
    target_tco2e: Mapped[float] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text)
    set_by: Mapped[str] = mapped_column(String(100))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)


class ReportJob(Base):
    """An inventory report written in the background (:mod:`lingtan.web.api_reports`): one
    task per language in ``langs``, each writing every format in ``formats``. ``files`` are
    the names written so far, in the job's folder of the reports folder. ``alive_at`` is
    renewed by the server process that runs the job while it is ``queued`` or ``running``; a
    job it has stopped renewing can no longer finish."""

    __tablename__ = "report_job"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id"))
    inventory_id: Mapped[int] = mapped_column(ForeignKey("inventory.id"))
    langs: Mapped[list[Any]] = mapped_column(JSON)
    formats: Mapped[list[Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10))
    tasks: Mapped[int] = mapped_column(Integer)
    tasks_done: Mapped[int] = mapped_column(Integer, default=0)
    files: Mapped[list[Any]] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    alive_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class TariffPrice(Base):
    """One price of a facility's tariff for one month (:mod:`lingtan.cost.tariffs`): energy
    type, component (``energy``, ``demand``, ``capacity``), TOU period (or ``all``), month
    (its first day), price [CNY per ``unit``], the capacity charged [kVA] and its source."""

    __tablename__ = "tariff_price"
    __table_args__ = (UniqueConstraint("facility_id", "energy_type", "component", "period",
                                       "month"),)  # fmt: skip

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id"))
    energy_type: Mapped[str] = mapped_column(String(30))
    component: Mapped[str] = mapped_column(String(20))
    period: Mapped[str] = mapped_column(String(20))
    month: Mapped[date] = mapped_column(Date)
    price_cny_per_unit: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(20))
    capacity_kva: Mapped[float | None] = mapped_column(Float)
    calendar_id: Mapped[str] = mapped_column(String(100), default="")
    status: Mapped[str] = mapped_column(String(20))
    document: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")
    source_file: Mapped[str] = mapped_column(String(200))


# --- The equipment register (issue 12) ------------------------------------------------------


class Equipment(Base):
    """An item of a facility's equipment register (设备台账): a motor, transformer, air
    compressor … with its nameplate, as the register file gives it
    (:mod:`lingtan.efficiency.register`).

    ``code`` is the register's ``id``; ``attributes`` the item's other non-blank columns under
    the file's names, which carry their unit as a suffix (``rated_power_kw``,
    ``efficiency_pct``, ``running_hours_per_year``, ``insulation`` …; numbers as JSON numbers).
    ``node_id`` links the item to the node of the metering tree it hangs on (its own meter, if
    that node has one). ``import_id`` and ``evidence_id`` are the import batch and the stored
    file (SHA-256) the item was last written from. The grade is not stored: it is computed on
    read against the standards shipped then.
    """

    __tablename__ = "equipment"
    __table_args__ = (UniqueConstraint("facility_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id"))
    code: Mapped[str] = mapped_column(String(100))
    equipment_type: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(200), default="")
    node_id: Mapped[int | None] = mapped_column(ForeignKey("meter_node.id"), index=True)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON)
    replacement_cost_cny: Mapped[float | None] = mapped_column(Float)
    source_row: Mapped[int] = mapped_column(Integer)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"))
    evidence_id: Mapped[int | None] = mapped_column(ForeignKey("evidence.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)


# --- PACT exchange (issue 15) ---------------------------------------------------------------


class PactFootprint(Base):
    """A ProductFootprint an organization publishes to its customers over its PACT host.

    ``document`` is the v3 JSON as served (immutable: a change is a new footprint with a new
    ``pf_id``, the old one then ``Deprecated``). The validity period is kept in columns for
    the host's ``validOn``/``validAfter``/``validBefore`` filters.
    """

    __tablename__ = "pact_footprint"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    pf_id: Mapped[str] = mapped_column(String(36), unique=True)
    status: Mapped[str] = mapped_column(String(20))
    validity_start: Mapped[datetime] = mapped_column(UTCDateTime())
    validity_end: Mapped[datetime] = mapped_column(UTCDateTime())
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)


class PactClient(Base):
    """A customer's system allowed to read an organization's published footprints: OAuth2
    client credentials of the organization's PACT host. Only the secret's SHA-256 is kept."""

    __tablename__ = "pact_client"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    secret_sha256: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class PactAccessToken(Base):
    """A bearer token issued at ``/auth/token`` to a :class:`PactClient` (SHA-256 only)."""

    __tablename__ = "pact_access_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("pact_client.id"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PactRemote(Base):
    """Another company's PACT host: a supplier's, to pull footprints from, or a customer's,
    to answer its footprint requests. Its base URL, the URL authentication is under (often
    the same) and the client credentials that company gave; the secret is kept as given,
    since lingtan must present it."""

    __tablename__ = "pact_remote"
    __table_args__ = (UniqueConstraint("organization_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    base_url: Mapped[str] = mapped_column(Text)
    auth_base_url: Mapped[str] = mapped_column(Text)
    client_id: Mapped[str] = mapped_column(String(200))
    client_secret: Mapped[str] = mapped_column(Text)
    api_version: Mapped[str] = mapped_column(String(10))  # "3" or "2"
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    pulled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class PactReceivedFootprint(Base):
    """A supplier's footprint pulled from its host (``remote_id``) or read from a file: the
    document as received and the figures :class:`lingtan.footprint.model.SupplierFootprint`
    keeps of it."""

    __tablename__ = "pact_received_footprint"
    __table_args__ = (UniqueConstraint("organization_id", "pf_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    remote_id: Mapped[int | None] = mapped_column(ForeignKey("pact_remote.id"), index=True)
    pf_id: Mapped[str] = mapped_column(String(36))
    spec_version: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(20))
    company_name: Mapped[str] = mapped_column(String(200))
    product_name: Mapped[str] = mapped_column(String(200))
    declared_unit: Mapped[str] = mapped_column(String(30))
    pcf_excluding_biogenic_kgco2e: Mapped[float] = mapped_column(Float)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_from: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)


class PactEvent(Base):
    """A CloudEvent received at ``/3/events`` or sent to another host, kept as it was."""

    __tablename__ = "pact_event"
    __table_args__ = (Index("ix_pact_event_organization_received", "organization_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"))
    direction: Mapped[str] = mapped_column(String(10))  # "received" or "sent"
    event_id: Mapped[str] = mapped_column(String(200))
    event_type: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(Text)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("pact_client.id"))
    state: Mapped[str] = mapped_column(String(20))  # "open", "fulfilled", "rejected", "noted"
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)


# --- Bills of materials of product footprints (issue 15) -----------------------------------


class BomLine(Base):
    """One row of a product's bill of materials for a period (物料清单): a material, packaging,
    waste, distribution, use or end-of-life item per unit of the product
    (:mod:`lingtan.imports.bom`).

    ``quantity`` is per one ``Product.unit`` of the product [``unit``]; ``link`` names where its
    footprint comes from: ``dataset:<code>`` (a background dataset) or ``pact:<id>`` (a
    supplier's footprint). ``distance_km`` and ``transport_mode`` give its inbound freight.
    ``source_row``, ``import_id`` and ``evidence_id`` are the file row, import batch and stored
    file it was written from.
    """

    __tablename__ = "bom_line"
    __table_args__ = (
        UniqueConstraint("product_id", "period_start", "period_end", "kind", "material"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id"))
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(20))
    stage: Mapped[str] = mapped_column(String(20))
    material: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(40))
    link: Mapped[str] = mapped_column(String(200))
    supplier: Mapped[str | None] = mapped_column(String(200))
    distance_km: Mapped[float | None] = mapped_column(Float)
    transport_mode: Mapped[str | None] = mapped_column(String(40))
    source_row: Mapped[int] = mapped_column(Integer)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"))
    evidence_id: Mapped[int | None] = mapped_column(ForeignKey("evidence.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)


# --- The carbon-asset ledger (issue 14) -----------------------------------------------------


class CarbonAsset(Base):
    """A holding of the carbon-asset ledger (碳资产台账): a batch of green electricity
    certificates (``gec``, 绿证), a green power trading contract (``green_power``, 绿电交易),
    CCER credits (``ccer``) or credits of another standard (``credit``), held by a facility of
    an organization (:mod:`lingtan.services.ledger`).

    ``quantity`` is what was acquired, in ``unit`` (MWh for certificates and contracts, tCO2e
    for credits); ``serial`` the serials as written (:func:`lingtan.accounting.serials.
    parse_serials`); ``certificates`` the serials of the GECs bundled with a contract.
    ``period_start`` / ``period_end`` are the generation period of a certificate, the delivery
    period of a contract or the vintage (reduction period) of a credit. Its serial ranges are
    rows of :class:`LedgerSerial`; what happened to it, rows of :class:`LedgerEntry`.
    """

    __tablename__ = "carbon_asset"
    __table_args__ = (UniqueConstraint("organization_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id"))
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id"), index=True)
    code: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    quantity: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(10))
    serial: Mapped[str | None] = mapped_column(Text)
    certificates: Mapped[str | None] = mapped_column(Text)
    issuing_registry: Mapped[str] = mapped_column(String(200), default="")
    project: Mapped[str] = mapped_column(String(200), default="")
    technology: Mapped[str] = mapped_column(String(40), default="")
    methodology: Mapped[str] = mapped_column(String(200), default="")
    counterpart: Mapped[str] = mapped_column(String(200), default="")
    #: How it was obtained: free_allocation, auction or purchase (allowances); may be empty.
    channel: Mapped[str] = mapped_column(String(20), default="")
    #: The price paid per unit [CNY/unit]; None when not given (a free allocation is 0).
    price_cny_per_unit: Mapped[float | None] = mapped_column(Float)
    #: The holder's account in the registry (全国碳排放权注册登记系统 for allowances).
    registry_account: Mapped[str] = mapped_column(String(100), default="")
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    acquired_on: Mapped[date] = mapped_column(Date)
    evidence_id: Mapped[int | None] = mapped_column(ForeignKey("evidence.id"))
    import_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)

    evidence: Mapped[Evidence | None] = relationship()


class LedgerEntry(Base):
    """A movement of a holding: ``transfer`` (sold or given away, to ``counterpart``),
    ``retire`` (注销/核销, for ``facility_id``, the claim period ``period_start`` to
    ``period_end`` and ``claim``), ``surrender`` (清缴, allowances surrendered by the covered
    facility ``facility_id`` for ``compliance_year``) or ``cancel`` (annulled by the registry,
    with ``reason``);
    ``quantity`` in the asset's unit, ``serial`` the serials it takes (for an asset with
    serials), ``on_date`` the day it happened. The acquisition is the asset itself."""

    __tablename__ = "ledger_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("carbon_asset.id"), index=True)
    action: Mapped[str] = mapped_column(String(20))
    quantity: Mapped[float] = mapped_column(Float)
    serial: Mapped[str | None] = mapped_column(Text)
    on_date: Mapped[date] = mapped_column(Date)
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facility.id"), index=True)
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)
    claim: Mapped[str] = mapped_column(String(200), default="")
    #: The compliance year a ``surrender`` (清缴) of allowances is for.
    compliance_year: Mapped[int | None] = mapped_column(Integer)
    counterpart: Mapped[str] = mapped_column(String(200), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    evidence_id: Mapped[int | None] = mapped_column(ForeignKey("evidence.id"))
    import_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)

    asset: Mapped[CarbonAsset] = relationship()


class LedgerSerial(Base):
    """One serial range of the ledger: ``prefix`` + n for ``first`` <= n <= ``last`` (both
    None for a serial without a trailing number), held by an asset (``role`` ``held``),
    bundled with a contract (``bundled``) or taken by an entry (``transfer``, ``retire``,
    ``cancel``). Kept for the whole database, so that the double-count checks are one indexed
    query across facilities and organizations."""

    __tablename__ = "ledger_serial"
    __table_args__ = (Index("ix_ledger_serial_range", "prefix", "first", "last"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("carbon_asset.id"), index=True)
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entry.id"))
    role: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(200))
    first: Mapped[int | None] = mapped_column(BigInteger)
    last: Mapped[int | None] = mapped_column(BigInteger)


class ContractMonth(Base):
    """One month of a green power trading contract (``CarbonAsset`` of kind ``green_power``):
    the contracted and the settled volume [MWh] of ``month`` (its first day) and the GECs
    bundled with that month's settlement (serials as written)."""

    __tablename__ = "contract_month"
    __table_args__ = (UniqueConstraint("asset_id", "month"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("carbon_asset.id"), index=True)
    month: Mapped[date] = mapped_column(Date)
    contracted_mwh: Mapped[float] = mapped_column(Float)
    settled_mwh: Mapped[float | None] = mapped_column(Float)
    certificates: Mapped[str] = mapped_column(Text, default="")
    import_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)

    asset: Mapped[CarbonAsset] = relationship()


# --- Energy-saving measures and outdoor temperature (issue 12, part 6) ---------------------


class EfficiencyMeasure(Base):
    """An energy-saving measure of a facility (节能措施): found from the data, or entered.

    ``code`` identifies it in the facility (``renewal:<equipment>`` and ``standby:<node>``
    for measures found by :mod:`lingtan.services.efficiency_measures`, the file's ``id`` for
    entered ones); ``origin`` says which (``found`` or ``entered``). ``saved_per_year`` is the
    estimated yearly saving in ``unit`` of ``energy_type``; tce and tCO2 are computed on read
    through the factor library. ``baseline_start`` / ``baseline_end`` name the baseline period
    of the measure's node for measurement and verification (ISO 50015, IPMVP); ``details``
    keeps what a found measure's rule computed.
    """

    __tablename__ = "efficiency_measure"
    __table_args__ = (UniqueConstraint("facility_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id"))
    code: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(300), default="")
    origin: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    node_id: Mapped[int | None] = mapped_column(ForeignKey("meter_node.id"), index=True)
    equipment_code: Mapped[str | None] = mapped_column(String(100))
    energy_type: Mapped[str] = mapped_column(String(30))
    saved_per_year: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(20))
    investment_cny: Mapped[float | None] = mapped_column(Float)
    cost_saved_cny_per_year: Mapped[float | None] = mapped_column(Float)
    basis: Mapped[str] = mapped_column(Text, default="")
    done_on: Mapped[date | None] = mapped_column(Date)
    baseline_start: Mapped[date | None] = mapped_column(Date)
    baseline_end: Mapped[date | None] = mapped_column(Date)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("import_batch.id"))
    evidence_id: Mapped[int | None] = mapped_column(ForeignKey("evidence.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)


class OutdoorTemperature(Base):
    """The daily mean outdoor temperature at a facility [°C] (local day), for weather-normalised
    baselines (heating and cooling degree days); ``source`` names the file it came from."""

    __tablename__ = "outdoor_temperature"
    __table_args__: ClassVar[dict[str, Any]] = {"sqlite_with_rowid": False}

    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    temperature_c: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(200))


# --- Stored zero-carbon-factory evaluations (issue 14, part 3) -----------------------------


class EvaluationSnapshot(Base):
    """A zero-carbon-factory evaluation as it was made: an immutable snapshot of the scheme
    (its rule set and the rule set's SHA-256), the facts used with their lineage, every
    criterion judged and the overall result, tied to the locked inventory the facts came from
    (:mod:`lingtan.services.evaluations`).

    ``period`` is the calendar year; ``result`` is the whole evaluation
    (:meth:`lingtan.evaluation.engine.Evaluation.as_dict`) and ``result_sha256`` the SHA-256 of
    its canonical JSON; ``status`` the overall result (``pass``, ``fail`` or
    ``unable_to_judge``). A snapshot is never changed: evaluating again stores a new one.
    """

    __tablename__ = "evaluation_snapshot"
    __table_args__ = (Index("ix_evaluation_snapshot_facility_period", "facility_id", "period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id"))
    period: Mapped[int] = mapped_column(Integer)
    scheme: Mapped[str] = mapped_column(String(100))
    rule_set_origin: Mapped[str] = mapped_column(String(20))
    rule_set_sha256: Mapped[str] = mapped_column(String(64))
    rule_set: Mapped[dict[str, Any]] = mapped_column(JSON)
    inventory_id: Mapped[int] = mapped_column(ForeignKey("inventory.id"), index=True)
    facts: Mapped[dict[str, Any]] = mapped_column(JSON)
    lineage: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20))
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    result_sha256: Mapped[str] = mapped_column(String(64))
    engine_version: Mapped[str] = mapped_column(String(100))
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)


@event.listens_for(EvaluationSnapshot, "before_update")
@event.listens_for(EvaluationSnapshot, "before_delete")
def refuse_change(_mapper: Any, _connection: Any, target: EvaluationSnapshot) -> None:
    """A stored evaluation is never changed nor deleted through lingtan: evaluate again."""
    rule = Message("a stored evaluation is immutable: evaluate again to store a new one")
    raise InputError(InputProblem(Message("evaluation"), "id", target.id, rule))


class Declaration(Base):
    """A declaration for the zero-carbon-factory evaluation (声明): a fact lingtan cannot compute
    (green-factory status, a management organisation and plan, a compliance record …) of a
    facility's calendar year, with its statement, the evidence file it rests on, who declared
    it and who entered it (:mod:`lingtan.services.declarations`).

    ``fact`` is a declaration of :data:`lingtan.evaluation.facts.FACTS`, ``value`` its value
    as JSON (a flag, a number in the fact's unit, a code or a list of codes). A declaration is
    never changed: a newer one of the same facility, year and fact stands instead of it.
    """

    __tablename__ = "declaration"
    __table_args__ = (Index("ix_declaration_facility_period", "facility_id", "period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id"))
    period: Mapped[int] = mapped_column(Integer)
    fact: Mapped[str] = mapped_column(String(100))
    value: Mapped[Any] = mapped_column(JSON)
    statement: Mapped[str] = mapped_column(Text)
    declared_by: Mapped[str] = mapped_column(String(200))
    evidence_id: Mapped[int] = mapped_column(ForeignKey("evidence.id"), index=True)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)

    evidence: Mapped[Evidence] = relationship()


@event.listens_for(Declaration, "before_update")
@event.listens_for(Declaration, "before_delete")
def _declarations_are_kept(_mapper: Any, _connection: Any, target: Declaration) -> None:
    """A declaration is never changed nor deleted through lingtan: declare again."""
    rule = Message("a declaration is kept as entered: declare again to replace it")
    raise InputError(InputProblem(Message("declaration"), "id", target.id, rule))


class StoredPlan(Base):
    """A plan of green energy at the source (规划方案), stored with its inputs: immutable.

    ``problem_text`` is the problem file as read and ``problem_file`` where it was (the files
    it names are relative to it); ``inputs`` the SHA-256 of each file read, by field, and of
    the load series (``load_series``); ``tariff`` the file's grid section; ``metered`` the
    reports of the series read from the metering tree; ``result`` the JSON of ``lingtan plan
    size``; ``series`` the charts' data (a typical week, the months, the duration curve);
    ``label`` what the figures are (the demo's: illustrative costs). A new plan is a new row.
    """

    __tablename__ = "plan"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facility.id"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    label: Mapped[str] = mapped_column(String(300), default="")
    problem_file: Mapped[str] = mapped_column(Text)
    problem_text: Mapped[str] = mapped_column(Text)
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON)
    tariff: Mapped[dict[str, Any]] = mapped_column(JSON)
    metered: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    series: Mapped[dict[str, Any]] = mapped_column(JSON)
    solver: Mapped[str] = mapped_column(String(100))
    lingtan_version: Mapped[str] = mapped_column(String(40))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)

    facility: Mapped[Facility | None] = relationship()


@event.listens_for(StoredPlan, "before_update")
def _plans_are_immutable(mapper: Any, connection: Any, target: StoredPlan) -> None:
    raise ValueError(f"plan {target.id} is stored and cannot be changed: store a new plan")


# --- Issued footprint declarations (issue 15, part 7) ---------------------------------------


class FootprintDeclaration(Base):
    """A declaration issued from a footprint study: the EU Battery Regulation's carbon
    footprint declaration (``kind`` ``battery``) or an installation's CBAM communication
    (``cbam``), as its figures were when issued (:mod:`lingtan.services.footprint_declarations`).

    ``figures`` is the document of ``lingtan footprint battery|cbam --format json`` and
    ``figures_sha256`` the SHA-256 of its canonical JSON; ``study_sha256`` the SHA-256 of the
    study file's bytes and ``source_sha256`` of the declaration file's. Never changed: issuing
    again stores a new one.
    """

    __tablename__ = "footprint_declaration"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    study_id: Mapped[str] = mapped_column(String(100))
    study_name: Mapped[str] = mapped_column(String(300))
    study_sha256: Mapped[str] = mapped_column(String(64))
    source_file: Mapped[str] = mapped_column(String(300))
    source_sha256: Mapped[str] = mapped_column(String(64))
    figures: Mapped[dict[str, Any]] = mapped_column(JSON)
    figures_sha256: Mapped[str] = mapped_column(String(64))
    issued_by: Mapped[str] = mapped_column(String(100))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utc_now)


@event.listens_for(FootprintDeclaration, "before_update")
@event.listens_for(FootprintDeclaration, "before_delete")
def _declarations_are_immutable(_mapper: Any, _connection: Any, target: Any) -> None:
    """An issued declaration is never changed nor deleted through lingtan: issue again."""
    rule = Message("an issued declaration is immutable: issue a new one")
    raise InputError(InputProblem(Message("declaration"), "id", target.id, rule))
