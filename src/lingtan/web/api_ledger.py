"""The carbon-asset ledger over the REST API (``/api/v1``): a facility's holdings with their
balances and the ledger's entries (GET), and the import of a ledger file (POST), with the API's
authentication and organization isolation (:func:`lingtan.web.deps.facility`), and the hourly
matching of a facility's year from its meters (GET ``/facilities/{code}/matching``); the
surrender (清缴) of national ETS allowances (POST ``/facilities/{code}/ledger/surrenders``), the
facility's compliance for a year (GET ``…/ledger/compliance``) and its green power contracts'
months (GET ``…/ledger/months``).

The figures are :mod:`lingtan.services.ledger`'s (behind ``lingtan ledger``); nothing is
computed here. An uploaded file travels alone, so its rows name no evidence files.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from lingtan.assets.ledger import MovementIn
from lingtan.imports.ledger import read_ledger_file
from lingtan.services.allowances import compliance_status
from lingtan.services.ledger import asset_balances, contract_months, ledger_entries, write_ledger
from lingtan.services.meter_matching import matching_from_meters
from lingtan.store.evidence import EvidenceStore
from lingtan.web.api_energy import Upload, _uploaded
from lingtan.web.deps import Db, User, facility

__all__ = ["router"]

router = APIRouter(prefix="/api/v1")

_LEDGER_FILES = (".csv", ".xlsx")


class HoldingOut(BaseModel):
    asset: str = Field(description="The holding's code in the organization's ledger.")
    kind: str = Field(description="gec, green_power, ccer, credit or cea (ETS allowances).")
    unit: str = Field(description="MWh (certificates, contracts) or tCO2e (credits, allowances).")
    serial: str | None
    certificates: str | None = Field(description="GECs bundled with a contract.")
    period_start: str = Field(description="Generation, delivery or vintage period.")
    period_end: str
    issuing_registry: str
    project: str
    technology: str = Field(description="Of the generation (wind, solar …); may be empty.")
    methodology: str = Field(description="Of a credit (CCER-14-001-V01 …); may be empty.")
    channel: str = Field(description="free_allocation, auction or purchase (allowances).")
    price_cny_per_unit: float | None
    registry_account: str
    acquired: float = Field(description="In unit.")
    transferred: float
    retired: float
    surrendered: float = Field(description="Allowances surrendered (清缴).")
    cancelled: float
    balance: float
    status: str = Field(description="held, partial (some has left it) or none_left.")


class EntryOut(BaseModel):
    entry: int | None = Field(description="The entry's id (None: the acquisition).")
    action: str = Field(description="acquire, transfer, retire, surrender or cancel.")
    asset: str
    kind: str
    quantity: float = Field(description="In unit.")
    unit: str
    serial: str | None
    on_date: str
    facility: str | None = Field(description="The facility a retirement is for.")
    period_start: str | None = Field(description="A retirement's claim period.")
    period_end: str | None
    claim: str | None
    compliance_year: int | None = Field(description="The year a surrender is for.")
    counterpart: str | None
    evidence_id: int | None


class LedgerOut(BaseModel):
    facility: str
    holdings: list[HoldingOut]
    entries: list[EntryOut]


class LedgerImport(BaseModel):
    facility: str
    assets_added: list[str]
    entries_added: list[int]
    months_added: list[str] = Field(description="Contract months added (CODE:YYYY-MM).")
    unchanged: int
    batch_id: int | None
    restated: list[int]


YearQuery = Annotated[
    int | None,
    Query(ge=2000, le=2100, description="Only retirements for claim periods in this year."),
]


@router.get("/facilities/{code}/ledger", response_model=LedgerOut, tags=["ledger"])
def ledger_list(session: Db, who: User, code: str, year: YearQuery = None) -> dict[str, Any]:
    """The facility's holdings (GECs, green power contracts, credits) with what was acquired,
    transferred, retired and cancelled and the balance, and the ledger's entries by date."""
    site = facility(session, who, code)
    period = None if year is None else (date(year, 1, 1), date(year, 12, 31))
    return {
        "facility": site.code,
        "holdings": asset_balances(session, site.organization_id, site.id),
        "entries": ledger_entries(session, site.organization_id, facility_id=site.id,
                                  period=period),
    }  # fmt: skip


@router.post(
    "/facilities/{code}/ledger", response_model=LedgerImport, status_code=201, tags=["ledger"]
)
def ledger_import(
    request: Request,
    session: Db,
    who: User,
    code: str,
    file: Upload,
    restate: Annotated[str | None, Query(max_length=500)] = None,
) -> dict[str, Any]:
    """Import a ledger file (.csv or .xlsx: holdings and their transfers, retirements and
    cancellations) into the facility's organization, all or nothing; a double count, a
    retirement above the balance or against a claim-period rule refuses the whole file (422),
    and so does a retirement to a period a locked inventory covers, unless ``restate`` gives
    the reason of that period's restatement (``lingtan ledger import --restate``)."""
    site = facility(session, who, code, write=True)
    evidence = EvidenceStore(request.app.state.evidence_root)
    with _uploaded(request, file, _LEDGER_FILES) as path:
        holdings, movements, months = read_ledger_file(path)
        done = write_ledger(
            session, site, holdings, movements, months=months, evidence=evidence,
            actor=who.name, source_file=path, origin=path.name, restate=restate,
        )  # fmt: skip
    return {
        "facility": done.facility,
        "assets_added": done.assets_added,
        "entries_added": done.entries_added,
        "months_added": done.months_added,
        "unchanged": done.assets_unchanged + done.entries_unchanged + done.months_unchanged,
        "batch_id": done.batch_id,
        "restated": done.restated,
    }


MatchYear = Annotated[int, Query(ge=2000, le=2100, description="The local calendar year.")]


@router.get("/facilities/{code}/matching", tags=["ledger"])
def meter_matching(session: Db, who: User, code: str, year: MatchYear) -> dict[str, Any]:
    """Hourly matching (24/7 carbon-free electricity) of the facility's year from its meters:
    consumption (bought + generated - exported) against the on-site generation used on site;
    the hourly-matched and annual volumetric shares [%], the unmatched hours and the day × hour
    heat map (``lingtan evaluate match --facility CODE --year Y``); 422 when a meter lacks
    intervals of the year."""
    site = facility(session, who, code)
    return matching_from_meters(session, site, year).as_dict()


class SurrenderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    asset: str = Field(max_length=100, description="The allowance holding's code.")
    quantity_tco2e: float = Field(description="Allowances surrendered [tCO2e].")
    compliance_year: int = Field(ge=2000, le=2100)
    on_date: date
    serial: str = Field("", max_length=1000)
    reason: str = Field("", max_length=500)


@router.post("/facilities/{code}/ledger/surrenders", status_code=201, tags=["ledger"])
def surrender(
    request: Request, session: Db, who: User, code: str, body: SurrenderIn
) -> dict[str, Any]:
    """Surrender (清缴) national ETS allowances for the facility (the covered one) and a
    compliance year, all or nothing: more than the balance, a vintage the surrender rules
    refuse for the year or a holding that is not allowances is refused (422)."""
    site = facility(session, who, code, write=True)
    movement = MovementIn(
        body.asset, "surrender", body.quantity_tco2e, body.on_date, serial=body.serial,
        facility=site.code, compliance_year=body.compliance_year, reason=body.reason,
        where="surrender",
    )  # fmt: skip
    evidence = EvidenceStore(request.app.state.evidence_root)
    done = write_ledger(session, site, (), [movement], evidence=evidence, actor=who.name,
                        origin="surrender")  # fmt: skip
    return {"entries_added": done.entries_added, "unchanged": done.entries_unchanged}


ComplianceYear = Annotated[int, Query(ge=2000, le=2100, description="The compliance year.")]


@router.get("/facilities/{code}/ledger/compliance", tags=["ledger"])
def compliance(session: Db, who: User, code: str, year: ComplianceYear) -> dict[str, Any]:
    """The facility's compliance (履约) for the year [tCO2e]: the verified emissions (the
    Scope 1 of the year's locked inventory), the allowances surrendered, shortfall, surplus,
    the balance usable for the year and the surrender rules (``lingtan ledger compliance``)."""
    site = facility(session, who, code)
    return compliance_status(session, site, year)


@router.get("/facilities/{code}/ledger/months", tags=["ledger"])
def months(session: Db, who: User, code: str) -> list[dict[str, Any]]:
    """The monthly contracted and settled MWh of the facility's green power contracts, with
    the GECs bundled with each month (``lingtan ledger months``)."""
    site = facility(session, who, code)
    return contract_months(session, site.organization_id, site.id)
