"""The REST API, version 1 (``/api/v1``): the store's data, scoped to who is asking.

Lists are paged (``limit``, ``offset``; the answer carries ``total``) and filtered by period
(``start``, ``end``: records that overlap it). Every facility is addressed by its code within
the caller's organization; objects of other organizations answer 404, exactly as objects that
do not exist. The calculations are those of :mod:`lingtan.services`; nothing is computed here.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date, timedelta
from pathlib import PurePath
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, File, Path, Query, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ColumnElement, Select, String, and_, cast, func, or_, select
from sqlalchemy.orm import Session, contains_eager, selectinload

from lingtan.errors import InputError, InputProblem
from lingtan.factors import FactorNotFoundError
from lingtan.i18n import Message
from lingtan.metering.adapters.http import ingest_batch
from lingtan.services import inventory as inventories
from lingtan.store import audit
from lingtan.store.evidence import (
    EvidenceCorruptedError,
    EvidenceMissingError,
    EvidenceStore,
    safe_filename,
)
from lingtan.store.models import (
    ROLES,
    ActivityEvidence,
    ActivityRecord,
    ApiToken,
    AppUser,
    AuditEntry,
    CarbonAsset,
    Declaration,
    Evidence,
    Facility,
    ImportBatch,
    Instrument,
    Inventory,
    LedgerEntry,
    Meter,
    MeterNode,
    Organization,
    Product,
    ProductionRecord,
    Source,
    UserFacility,
    utc_now,
)
from lingtan.web import accounts
from lingtan.web.accounts import Principal
from lingtan.web.deps import (
    ApiError,
    Db,
    Ingester,
    User,
    attachment,
    facility,
    not_found,
    readable_facilities,
    scoped,
)

__all__ = ["router"]

router = APIRouter(prefix="/api/v1")

MAX_ID = 2**31 - 1
Limit = Annotated[int, Query(ge=1, le=1000, description="Items per page.")]
Offset = Annotated[int, Query(ge=0, le=MAX_ID, description="Items to skip.")]
#: A stored object's id in a path (the database's integers end at 2**31 - 1).
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
Start = Annotated[date | None, Query(description="Period start (items that overlap it).")]
End = Annotated[date | None, Query(description="Period end, inclusive.")]

#: Evidence files accepted: extension -> (media type, what the content must look like).
EVIDENCE_KINDS = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".csv": "text/csv",
    ".txt": "text/plain",
}


class Page(BaseModel):
    items: list[dict[str, Any]]
    total: int = Field(description="Items matching the filters, on all pages.")
    limit: int
    offset: int


def _page(
    session: Session, statement: Select, limit: int, offset: int, shape: Any
) -> dict[str, Any]:
    total = session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
    rows = session.scalars(statement.limit(limit).offset(offset)).all()
    return {"items": [shape(row) for row in rows], "total": total, "limit": limit, "offset": offset}


#: Where a problem of a request's query, its body or an uploaded file is.
_QUERY, _BODY, _UPLOAD = Message("query"), Message("body"), Message("upload")


def _period(statement: Select, start_column, end_column, start, end) -> Select:
    if start is not None and end is not None and end < start:
        raise InputError(InputProblem(_QUERY, "end", end.isoformat(), Message("is before start")))
    if start is not None:
        statement = statement.where(end_column >= start)
    if end is not None:
        statement = statement.where(start_column <= end)
    return statement


def _facility_records(
    site: Facility,
    record: type[ActivityRecord] | type[ProductionRecord],
    owner: type[Source] | type[Product],
    link: Any,
    owner_code: str | None,
    start: date | None,
    end: date | None,
) -> Select:
    """The *record* rows (activity or production) of *site* that overlap ``start``..``end``,
    joined to their *owner* (source or product) on the column *link*, only those of the owner
    *owner_code* if one is given."""
    statement = select(record).join(owner, owner.id == link).where(owner.facility_id == site.id)
    if owner_code is not None:
        statement = statement.where(owner.code == owner_code)
    return _period(statement, record.period_start, record.period_end, start, end)


# --- shapes ---------------------------------------------------------------------------------


def _facility(row: Facility) -> dict[str, Any]:
    return {
        "code": row.code,
        "name": row.name,
        "region": row.region,
        "industry_code": row.industry_code,
        "industry_name": row.industry_name,
        "boundary": row.boundary,
        "organization_id": row.organization_id,
    }


def _source(row: Source) -> dict[str, Any]:
    return {"code": row.code, "kind": row.kind, "name": row.name, "params": row.params}


def _record(row: ActivityRecord) -> dict[str, Any]:
    return {
        "id": row.id,
        "source": row.source.code,
        "period_start": row.period_start.isoformat(),
        "period_end": row.period_end.isoformat(),
        "quantity": row.quantity,
        "unit": row.unit,
        "origin": row.origin,
        "quality_note": row.quality_note,
        "params": row.params,
        "import_id": row.import_id,
        "evidence": [_evidence(e) for e in row.evidence],
    }


def _evidence(row: Evidence) -> dict[str, Any]:
    return {
        "sha256": row.sha256,
        "filename": row.filename,
        "media_type": row.media_type,
        "size_bytes": row.size_bytes,
    }


def _inventory(row: Inventory) -> dict[str, Any]:
    return {
        "id": row.id,
        "period_start": row.period_start.isoformat(),
        "period_end": row.period_end.isoformat(),
        "status": row.status,
        "total_tco2e": row.total_tco2e,
        "engine_version": row.engine_version,
        "factor_sets": row.factor_sets,
        "result_sha256": row.result_sha256,
        "supersedes_id": row.supersedes_id,
        "restatement_reason": row.restatement_reason,
        "created_by": row.created_by,
        "created_at": row.created_at.isoformat(),
        "locked_at": row.locked_at.isoformat() if row.locked_at else None,
    }


# --- organizations and facilities -----------------------------------------------------------


@router.get("/organizations", response_model=Page, tags=["organizations"])
def list_organizations(session: Db, who: User) -> dict[str, Any]:
    """The caller's own organization (the only one it may see)."""
    statement = select(Organization).where(Organization.id == who.organization_id)
    return _page(session, statement, 1, 0, lambda o: {"id": o.id, "name": o.name})


@router.get("/organizations/{organization_id}", tags=["organizations"])
def get_organization(session: Db, who: User, organization_id: Id) -> dict[str, Any]:
    if organization_id != who.organization_id:
        raise not_found(Message("no such organization"))
    organization = session.get(Organization, organization_id)
    assert organization is not None
    return {"id": organization.id, "name": organization.name}


@router.get("/facilities", response_model=Page, tags=["facilities"])
def list_facilities(session: Db, who: User, limit: Limit = 100, offset: Offset = 0):
    """The facilities the caller may read."""
    statement = readable_facilities(who).where(Facility.id.in_(who.readable))
    return _page(session, statement.order_by(Facility.code), limit, offset, _facility)


@router.get("/facilities/{code}", tags=["facilities"])
def get_facility(session: Db, who: User, code: str) -> dict[str, Any]:
    return _facility(facility(session, who, code))


@router.get("/facilities/{code}/sources", response_model=Page, tags=["facilities"])
def list_sources(session: Db, who: User, code: str, limit: Limit = 100, offset: Offset = 0):
    """The emission sources of a facility."""
    site = facility(session, who, code)
    statement = select(Source).where(Source.facility_id == site.id).order_by(Source.code)
    return _page(session, statement, limit, offset, _source)


# --- activity records and evidence ----------------------------------------------------------


@router.get("/facilities/{code}/activity-records", response_model=Page, tags=["activity"])
def list_activity_records(
    session: Db,
    who: User,
    code: str,
    source: Annotated[str | None, Query(description="Only this source (code).")] = None,
    start: Start = None,
    end: End = None,
    limit: Limit = 100,
    offset: Offset = 0,
):
    """Activity records of a facility, by source and period."""
    site = facility(session, who, code)
    statement = _facility_records(
        site, ActivityRecord, Source, ActivityRecord.source_id, source, start, end
    )
    statement = statement.order_by(Source.code, ActivityRecord.period_start).options(
        contains_eager(ActivityRecord.source), selectinload(ActivityRecord.evidence)
    )
    return _page(session, statement, limit, offset, _record)


def _activity_record(session: Session, who: Principal, record_id: int, *, write=False):
    statement = (
        select(ActivityRecord)
        .join(Source, Source.id == ActivityRecord.source_id)
        .where(ActivityRecord.id == record_id)
    )
    return scoped(
        session,
        who,
        statement,
        Source.facility_id,
        write=write,
        what=Message("no such activity record"),
    )


@router.get("/activity-records/{record_id}", tags=["activity"])
def get_activity_record(session: Db, who: User, record_id: Id) -> dict[str, Any]:
    return _record(_activity_record(session, who, record_id))


def _sniff(filename: str, content: bytes) -> str:
    """The media type of an evidence file whose extension and content agree; else refused."""
    extension = PurePath(filename).suffix.lower()
    media_type = EVIDENCE_KINDS.get(extension)
    if media_type is None:
        allowed = ", ".join(sorted(EVIDENCE_KINDS))
        raise InputError(
            InputProblem(
                _UPLOAD,
                "file",
                filename,
                Message("not an accepted kind of file (%(allowed)s)", allowed=allowed),
            )
        )
    if media_type == "application/pdf":
        ok = content.startswith(b"%PDF-")
    elif media_type == "image/png":
        ok = content.startswith(b"\x89PNG\r\n\x1a\n")
    elif media_type == "image/jpeg":
        ok = content.startswith(b"\xff\xd8\xff")
    elif extension == ".xlsx":
        ok = _is_workbook(content)
    else:
        ok = _is_text(content)
    if not ok:
        raise InputError(
            InputProblem(
                _UPLOAD,
                "file",
                filename,
                Message("its content is not %(media_type)s", media_type=media_type),
            )
        )
    return media_type


def _is_workbook(content: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return "[Content_Types].xml" in archive.namelist()
    except zipfile.BadZipFile:
        return False


def _is_text(content: bytes) -> bool:
    if b"\x00" in content:
        return False
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            content.decode(encoding)
            return True
        except UnicodeDecodeError:
            continue
    return False


@router.post("/activity-records/{record_id}/evidence", status_code=201, tags=["activity"])
def upload_evidence(
    request: Request,
    session: Db,
    who: User,
    record_id: Id,
    file: Annotated[UploadFile, File(description="PDF, PNG, JPEG, XLSX, CSV or TXT.")],
) -> dict[str, Any]:
    """Attach an evidence file to an activity record (stored once per organization by its
    SHA-256; the answer is the same whether or not another organization holds that content)."""
    record = _activity_record(session, who, record_id, write=True)
    limit = request.app.state.max_upload_bytes
    content = file.file.read(limit + 1)
    if len(content) > limit:
        raise ApiError(413, Message("the file is larger than %(limit)s bytes", limit=limit))
    if not content:
        raise InputError(InputProblem(_UPLOAD, "file", file.filename, Message("is empty")))
    filename = safe_filename(file.filename or "upload")
    media_type = _sniff(filename, content)
    store = EvidenceStore(request.app.state.evidence_root)
    organization_id = record.source.facility.organization_id
    evidence = store.put(session, content, filename, media_type, organization_id=organization_id)
    if evidence not in record.evidence:
        record.evidence.append(evidence)
        session.flush()
        audit.record(
            session,
            actor=who.name,
            action="attach",
            entity="activity_record",
            entity_key=str(record.id),
            after={"evidence": evidence.sha256, "filename": evidence.filename},
        )
    return _evidence(evidence)


@router.get("/evidence/{sha256}", tags=["activity"], response_class=Response)
def download_evidence(request: Request, session: Db, who: User, sha256: str) -> Response:
    """An evidence file of a record, instrument, ledger entry (a retirement …) or declaration
    of the caller's facilities (admins, managers and auditors)."""
    if not who.reads_evidence:
        raise ApiError(403, Message("your role may not download evidence"))
    # the caller's organization's row of this content, if a record or instrument of one of
    # its readable facilities holds it: another organization's row is never found
    of_record = (
        select(Evidence)
        .join(ActivityEvidence, ActivityEvidence.evidence_id == Evidence.id)
        .join(ActivityRecord, ActivityRecord.id == ActivityEvidence.activity_id)
        .join(Source, Source.id == ActivityRecord.source_id)
        .where(Evidence.sha256 == sha256, Source.facility_id.in_(who.readable))
    )
    of_instrument = (
        select(Evidence)
        .join(Instrument, Instrument.evidence_id == Evidence.id)
        .where(Evidence.sha256 == sha256, Instrument.facility_id.in_(who.readable))
    )
    of_ledger_entry = (
        select(Evidence)
        .join(LedgerEntry, LedgerEntry.evidence_id == Evidence.id)
        .join(CarbonAsset, CarbonAsset.id == LedgerEntry.asset_id)
        .where(
            Evidence.sha256 == sha256,
            or_(
                CarbonAsset.facility_id.in_(who.readable),
                LedgerEntry.facility_id.in_(who.readable),
            ),
        )
    )
    of_declaration = (
        select(Evidence)
        .join(Declaration, Declaration.evidence_id == Evidence.id)
        .where(Evidence.sha256 == sha256, Declaration.facility_id.in_(who.readable))
    )
    mine = Evidence.organization_id == who.organization_id
    evidence = (
        session.scalars(of_record.where(mine)).first()
        or session.scalars(of_instrument.where(mine)).first()
        or session.scalars(of_ledger_entry.where(mine)).first()
        or session.scalars(of_declaration.where(mine)).first()
    )
    if evidence is None:
        raise not_found(Message("no such evidence"))
    try:
        content = EvidenceStore(request.app.state.evidence_root).read(
            sha256, evidence.organization_id
        )
    except EvidenceMissingError:
        raise ApiError(410, Message("the evidence file is missing from the store")) from None
    except EvidenceCorruptedError:
        raise ApiError(
            500, Message("the stored evidence file was altered; see lingtan audit")
        ) from None
    return Response(
        content,
        media_type=evidence.media_type,
        headers={"Content-Disposition": attachment(evidence.filename)},
    )


# --- products and production ----------------------------------------------------------------


@router.get("/facilities/{code}/products", response_model=Page, tags=["production"])
def list_products(session: Db, who: User, code: str, limit: Limit = 100, offset: Offset = 0):
    site = facility(session, who, code)
    statement = select(Product).where(Product.facility_id == site.id).order_by(Product.code)
    return _page(
        session,
        statement,
        limit,
        offset,
        lambda p: {"code": p.code, "name": p.name, "unit": p.unit},
    )


@router.get("/facilities/{code}/production", response_model=Page, tags=["production"])
def list_production(
    session: Db,
    who: User,
    code: str,
    product: Annotated[str | None, Query(description="Only this product (code).")] = None,
    start: Start = None,
    end: End = None,
    limit: Limit = 100,
    offset: Offset = 0,
):
    """Production output by product and period (quantity in the product's unit)."""
    site = facility(session, who, code)
    statement = _facility_records(
        site, ProductionRecord, Product, ProductionRecord.product_id, product, start, end
    )
    products = {
        p.id: p for p in session.scalars(select(Product).where(Product.facility_id == site.id))
    }

    def shape(row: ProductionRecord) -> dict[str, Any]:
        return {
            "product": products[row.product_id].code,
            "period_start": row.period_start.isoformat(),
            "period_end": row.period_end.isoformat(),
            "quantity": row.quantity,
            "unit": products[row.product_id].unit,
        }

    statement = statement.order_by(Product.code, ProductionRecord.period_start)
    return _page(session, statement, limit, offset, shape)


# --- factor sets ----------------------------------------------------------------------------


@router.get("/factor-sets", tags=["factors"])
def list_factor_sets(session: Db, who: User) -> dict[str, Any]:
    """The shipped factor sets and the installation's custom sets, with their review status."""
    library = inventories.library_for(session)
    items = [
        {
            "set_id": s.set_id,
            "version": s.version,
            "family": s.family,
            "title_en": s.title_en,
            "title_zh": s.title_zh,
            "default": s.default,
            "origin": s.origin,
            "data_year": s.data_year,
            "rows": len(s.factors),
            "statuses": s.statuses,
        }
        for s in sorted(library.sets(), key=lambda s: (s.family, s.set_id))
    ]
    return {"items": items, "total": len(items), "limit": len(items), "offset": 0}


@router.get("/factor-sets/{set_id}", tags=["factors"])
def get_factor_set(session: Db, who: User, set_id: str) -> dict[str, Any]:
    """Every row of a factor set with its provenance (issuer, document, clause, year)."""
    try:
        factor_set = inventories.library_for(session).get_set(set_id)
    except FactorNotFoundError:
        raise not_found(Message("no such factor set")) from None
    return {
        "set_id": factor_set.set_id,
        "version": factor_set.version,
        "family": factor_set.family,
        "origin": factor_set.origin,
        "factors": [f.provenance() for f in factor_set.factors],
    }


# --- inventories ----------------------------------------------------------------------------


class Period(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start: date = Field(description="First day of the period.")
    end: date = Field(description="Last day of the period, inclusive.")


class CalculationOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    gwp: str | None = Field(None, description="GWP set: AR4, AR5 (default) or AR6.")
    electricity_factor_year: int | None = Field(None, ge=1990, le=2100)
    factor_sets: dict[str, str] | None = None
    residual_factor: float | None = Field(None, description="[tCO2/MWh]")

    def options(self) -> inventories.Options | None:
        given = self.model_dump(include=set(CalculationOptions.model_fields), exclude_none=True)
        return inventories.Options(**given) if given else None


class ComputeRequest(Period, CalculationOptions):
    lock: bool = Field(False, description="Lock the inventory as the reported figure.")


class RestateRequest(Period, CalculationOptions):
    reason: str = Field(min_length=1, max_length=2000, description="Why it is restated.")


def _checked(period: Period) -> None:
    if period.end < period.start:
        raise InputError(
            InputProblem(_BODY, "end", period.end.isoformat(), Message("is before start"))
        )


def _scoped_inventory(session: Session, who: Principal, inventory_id: int, *, write=False):
    statement = select(Inventory).where(Inventory.id == inventory_id)
    return scoped(
        session,
        who,
        statement,
        Inventory.facility_id,
        write=write,
        what=Message("no such inventory"),
    )


@router.get("/facilities/{code}/inventories", response_model=Page, tags=["inventories"])
def list_inventories(
    session: Db,
    who: User,
    code: str,
    start: Start = None,
    end: End = None,
    limit: Limit = 100,
    offset: Offset = 0,
):
    site = facility(session, who, code)
    statement = select(Inventory).where(Inventory.facility_id == site.id)
    statement = _period(statement, Inventory.period_start, Inventory.period_end, start, end)
    return _page(session, statement.order_by(Inventory.id), limit, offset, _inventory)


@router.post("/facilities/{code}/inventories", status_code=201, tags=["inventories"])
def compute_inventory(session: Db, who: User, code: str, body: ComputeRequest) -> dict[str, Any]:
    """Compute (and optionally lock) the inventory of a period from the stored data."""
    _checked(body)
    site = facility(session, who, code, write=True)
    computed = inventories.compute(
        session,
        site,
        body.start,
        body.end,
        actor=who.name,
        options=body.options(),
        lock=body.lock,
    )
    return _inventory(computed)


@router.post("/facilities/{code}/inventories/restate", status_code=201, tags=["inventories"])
def restate_inventory(session: Db, who: User, code: str, body: RestateRequest) -> dict[str, Any]:
    """Recompute a locked period as a new locked inventory that supersedes it."""
    _checked(body)
    site = facility(session, who, code, write=True)
    restated = inventories.restate(
        session,
        site,
        body.start,
        body.end,
        reason=body.reason,
        actor=who.name,
        options=body.options(),
    )
    return _inventory(restated)


@router.get("/inventories/{inventory_id}", tags=["inventories"])
def get_inventory(session: Db, who: User, inventory_id: Id) -> dict[str, Any]:
    """An inventory with its full result and lineage."""
    found = _scoped_inventory(session, who, inventory_id)
    return {**_inventory(found), "result": found.result, "lineage": found.lineage}


@router.post("/inventories/{inventory_id}/lock", tags=["inventories"])
def lock_inventory(session: Db, who: User, inventory_id: Id) -> dict[str, Any]:
    _scoped_inventory(session, who, inventory_id, write=True)
    return _inventory(inventories.lock(session, inventory_id, actor=who.name))


@router.get("/inventories/{inventory_id}/diff/{other_id}", tags=["inventories"])
def diff_inventories(session: Db, who: User, inventory_id: Id, other_id: Id) -> dict[str, Any]:
    """What changed from one inventory to another, total by total and line by line."""
    _scoped_inventory(session, who, inventory_id)
    _scoped_inventory(session, who, other_id)
    return inventories.diff(session, inventory_id, other_id)


# --- audit log ------------------------------------------------------------------------------


def _visible(who: Principal, organization: str) -> ColumnElement[bool]:
    """Which audit entries ``who`` may read, as a condition on ``audit_entry``: those about its
    facilities (by the key of the inventory, import, record, token, meter, node, target, budget
    or tariff), about its organization's users, about its organization's facilities (admins
    only), and about the factor sets (the library is shared by the installation); no other
    entity."""
    allowed = who.readable

    def about(entity: str, ids: Select) -> ColumnElement[bool]:
        # Keys are the ids as text; the ids are turned to text in SQL, not read into Python.
        return and_(AuditEntry.entity == entity, AuditEntry.entity_key.in_(ids))

    def text(column: Any) -> Any:
        return cast(column, String)

    shown = [
        about("inventory", select(text(Inventory.id)).where(Inventory.facility_id.in_(allowed))),
        about(
            "import_batch",
            select(text(ImportBatch.id)).where(ImportBatch.facility_id.in_(allowed)),
        ),
        about(
            "activity_record",
            select(text(ActivityRecord.id))
            .join(Source, Source.id == ActivityRecord.source_id)
            .where(Source.facility_id.in_(allowed)),
        ),
        about("api_token", select(text(ApiToken.id)).where(ApiToken.facility_id.in_(allowed))),
        about("meter", select(text(Meter.id)).where(Meter.facility_id.in_(allowed))),
        about("meter_node", select(text(MeterNode.id)).where(MeterNode.facility_id.in_(allowed))),
        # keyed by the facility's id
        *(
            about(entity, select(text(Facility.id)).where(Facility.id.in_(allowed)))
            for entity in ("facility_target", "meter_budget", "tariff")
        ),
        and_(
            AuditEntry.entity == "app_user",
            # as text on both databases (SQLite's json_extract answers a number)
            text(AuditEntry.after["organization_id"].as_string()) == str(who.organization_id),
        ),
        AuditEntry.entity == "factor_set",
    ]
    if who.role == "admin":
        shown.append(
            and_(
                AuditEntry.entity == "facility",
                AuditEntry.after["organization"].as_string() == organization,
            )
        )
    return or_(*shown)


def _audit_entry(row: AuditEntry) -> dict[str, Any]:
    return {
        "id": row.id,
        "at": row.at,
        "actor": row.actor,
        "action": row.action,
        "entity": row.entity,
        "entity_key": row.entity_key,
        "before": row.before,
        "after": row.after,
        "prev_hash": row.prev_hash,
        "hash": row.hash,
    }


@router.get("/audit", response_model=Page, tags=["audit"])
def audit_log(
    session: Db,
    who: User,
    entity: Annotated[str | None, Query(description="Only this kind of entity.")] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    """The audit log entries about the caller's facilities and organization (admins and
    auditors), newest first, with their hashes. Filtered and paged in the database."""
    if not who.reads_audit_log:
        raise ApiError(403, Message("only admins and auditors read the audit log"))
    org = session.get(Organization, who.organization_id)
    assert org is not None
    statement = select(AuditEntry).where(_visible(who, org.name)).order_by(AuditEntry.id.desc())
    if entity is not None:
        statement = statement.where(AuditEntry.entity == entity)
    return _page(session, statement, limit, offset, _audit_entry)


# --- users and API tokens (admins) ---------------------------------------------------------


def _admin(who: Principal) -> None:
    if who.role != "admin":
        raise ApiError(403, Message("only admins manage users and tokens"))


def _token(row: ApiToken, code: str) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "prefix": row.prefix,
        "facility": code,
        "scope": row.scope,
        "created_by": row.created_by,
        "created_at": row.created_at.isoformat(),
        "expires_at": row.expires_at.isoformat() if row.expires_at else None,
        "revoked_at": row.revoked_at.isoformat() if row.revoked_at else None,
        "last_used_at": row.last_used_at.isoformat() if row.last_used_at else None,
    }


@router.get("/users", tags=["users"])
def list_users(session: Db, who: User) -> dict[str, Any]:
    """The users of the caller's organization, with their facilities (admins)."""
    _admin(who)
    users = session.scalars(
        select(AppUser)
        .where(AppUser.organization_id == who.organization_id)
        .order_by(AppUser.username)
    ).all()
    granted: dict[int, list[str]] = {}
    for user_id, code in session.execute(
        select(UserFacility.user_id, Facility.code)
        .join(Facility, Facility.id == UserFacility.facility_id)
        .where(Facility.organization_id == who.organization_id)
        .order_by(Facility.code)
    ):
        granted.setdefault(user_id, []).append(code)
    items = [_user(u, granted.get(u.id, [])) for u in users]
    return {"items": items, "total": len(items), "limit": len(items), "offset": 0}


def _user(row: AppUser, codes: list[str]) -> dict[str, Any]:
    return {
        "username": row.username,
        "display_name": row.display_name,
        "role": row.role,
        "active": row.active,
        "facilities": None if row.role == "admin" else codes,
        "last_login": row.last_login.isoformat() if row.last_login else None,
    }


def _member(session: Db, who: User, username: Annotated[str, Path(max_length=100)]) -> AppUser:
    """A user of the caller's organization (admins); 404 for anyone else's. A dependency, so
    that the look-up is answered before the request body is even read."""
    _admin(who)
    try:
        return accounts.user_named(session, username, who.organization_id)
    except InputError:
        raise not_found(Message("no such user")) from None


Member = Annotated[AppUser, Depends(_member)]


def _changed(session: Session, row: AppUser) -> dict[str, Any]:
    return _user(row, accounts.granted_codes(session, row))


class NewPassword(BaseModel):
    model_config = ConfigDict(extra="forbid")
    password: str = Field(min_length=1, max_length=1000)


class NewRole(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Literal[ROLES]  # type: ignore[valid-type]


class Grant(BaseModel):
    model_config = ConfigDict(extra="forbid")
    facility: str = Field(min_length=1, max_length=100, description="Facility code.")


@router.put("/users/{username}/password", tags=["users"])
def set_password(session: Db, who: User, user: Member, body: NewPassword) -> dict[str, Any]:
    """Set a user's password and end its sessions (admins); the log never holds the password."""
    accounts.set_password(session, user, body.password, actor=who.name)
    return _changed(session, user)


@router.post("/users/{username}/deactivate", tags=["users"])
def deactivate_user(session: Db, who: User, user: Member) -> dict[str, Any]:
    """Deactivate a user and end its sessions (admins; never the last active admin)."""
    accounts.set_active(session, user, False, actor=who.name)
    return _changed(session, user)


@router.post("/users/{username}/activate", tags=["users"])
def activate_user(session: Db, who: User, user: Member) -> dict[str, Any]:
    """Let a deactivated user sign in again (admins)."""
    accounts.set_active(session, user, True, actor=who.name)
    return _changed(session, user)


@router.put("/users/{username}/role", tags=["users"])
def set_role(session: Db, who: User, user: Member, body: NewRole) -> dict[str, Any]:
    """Change a user's role (admins; never demoting the last active admin)."""
    accounts.set_role(session, user, body.role, actor=who.name)
    return _changed(session, user)


@router.post("/users/{username}/facilities", tags=["users"])
def grant_facility(session: Db, who: User, user: Member, body: Grant) -> dict[str, Any]:
    """Let a manager, viewer or auditor see one more facility of the organization (admins)."""
    accounts.grant_facility(session, user, body.facility, actor=who.name)
    return _changed(session, user)


@router.delete("/users/{username}/facilities/{facility_code}", tags=["users"])
def revoke_facility(session: Db, who: User, user: Member, facility_code: str) -> dict[str, Any]:
    """Stop a user seeing one facility, from its next request on (admins)."""
    accounts.revoke_facility(session, user, facility_code, actor=who.name)
    return _changed(session, user)


@router.get("/tokens", tags=["users"])
def list_tokens(session: Db, who: User) -> dict[str, Any]:
    """The API tokens of the organization's facilities (admins); never the tokens themselves."""
    _admin(who)
    rows = session.execute(
        select(ApiToken, Facility.code)
        .join(Facility, Facility.id == ApiToken.facility_id)
        .where(Facility.id.in_(who.writable))
        .order_by(ApiToken.id)
    ).all()
    items = [_token(row, code) for row, code in rows]
    return {"items": items, "total": len(items), "limit": len(items), "offset": 0}


class NewToken(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    facility: str = Field(description="Facility code.")
    scope: Literal["read", "ingest"]
    expires_days: int | None = Field(None, ge=1, le=3650)


@router.post("/tokens", status_code=201, tags=["users"])
def create_token(session: Db, who: User, body: NewToken) -> dict[str, Any]:
    """Create an API token; the answer's ``token`` is shown this once only (admins)."""
    _admin(who)
    site = facility(session, who, body.facility, write=True)
    organization = session.get(Organization, who.organization_id)
    assert organization is not None
    expires = utc_now() + timedelta(days=body.expires_days) if body.expires_days else None
    secret, token = accounts.create_token(
        session,
        name=body.name,
        organization=organization.name,
        facility=site.code,
        scope=body.scope,
        actor=who.name,
        expires_at=expires,
    )
    return {**_token(token, site.code), "token": secret}


@router.post("/tokens/{token_id}/revoke", tags=["users"])
def revoke_token(session: Db, who: User, token_id: Id) -> dict[str, Any]:
    """Revoke an API token of the organization's facilities (admins)."""
    _admin(who)
    token = scoped(
        session,
        who,
        select(ApiToken).where(ApiToken.id == token_id),
        ApiToken.facility_id,
        write=True,
        what=Message("no such token"),
    )
    code = session.get(Facility, token.facility_id).code
    return _token(accounts.revoke_token(session, token.id, actor=who.name), code)


# --- readings from gateways -----------------------------------------------------------------


@router.post("/facilities/{code}/readings", tags=["metering"])
def post_readings(
    session: Db,
    who: Ingester,
    code: str,
    batch: Annotated[
        dict[str, Any],
        Body(description="`readings` and/or `series`: see lingtan.metering.adapters.http."),
    ],
) -> dict[str, int]:
    """A batch of meter readings, stored all or nothing; sending the same batch again
    changes nothing. For ``ingest`` tokens (and users who edit the facility)."""
    site = facility(session, who, code, write=True)
    return ingest_batch(session, site, batch).as_dict()
