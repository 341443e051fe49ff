"""The equipment register over the REST API (``/api/v1``): a facility's equipment with its
grade (computed on read against the shipped standards), the deciding threshold and its
provenance, and for items below grade 1 the replacement estimate with its basis; and the import
of a register file.

The figures are :func:`lingtan.services.efficiency.equipment_register`'s and the import
:func:`lingtan.services.efficiency.import_equipment` (behind ``lingtan import equipment``);
nothing is computed here.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from lingtan.efficiency.measures import STATUSES
from lingtan.efficiency.register import EQUIPMENT_TYPES
from lingtan.i18n import N_
from lingtan.services.efficiency import (
    LEVELS,
    REGISTER_FILES,
    equipment_register,
    import_equipment,
)
from lingtan.store.evidence import EvidenceStore
from lingtan.store.models import Facility
from lingtan.web import i18n
from lingtan.web.api_energy import Upload, _current, _uploaded, kept_read
from lingtan.web.deps import ApiError, Db, User, facility

__all__ = ["baseline_data", "equipment_list", "measures_data", "register_data", "router"]

router = APIRouter(prefix="/api/v1")

_MEASURE_FILES = (".csv",)
#: The error texts of these routes (English source, Chinese in the catalogue).
UNKNOWN_TYPE = N_("no such equipment type")
UNKNOWN_LEVEL = N_("no such level")


class Estimate(BaseModel):
    basis: str = Field(description="measured (the node's own meter) or nameplate.")
    basis_note: str | None = Field(description="Why the measured basis was not used.")
    measured_kwh_per_year: float | None = Field(description="The node's metered energy [kWh].")
    energy_saved_kwh_per_year: float | None = Field(description="[kWh/a]")
    energy_saved_tce_per_year: float | None = Field(description="[tce/a] (GB/T 2589).")
    emissions_saved_tco2_per_year: float | None = Field(description="[tCO2/a], grid factor.")
    cost_saved_cny_per_year: float | None = Field(description="[CNY/a], at the tariff.")
    investment_cny: float | None = Field(description="The register's replacement cost [CNY].")
    payback_years: float | None = Field(description="Investment / CNY saved a year [a].")


class EquipmentOut(BaseModel):
    id: str
    type: str
    name: str
    node: str | None = Field(description="Node of the metering tree (code).")
    attributes: dict[str, Any] = Field(description="Nameplate; units as name suffixes.")
    replacement_cost_cny: float | None
    level: str = Field(description="LEVEL_1 … NOT_COMPLIANT, OUT_OF_SCOPE, UNABLE_TO_JUDGE.")
    reason: str = Field(description="Why, in the request's language.")
    standard: str | None
    threshold: str | None = Field(description="The deciding threshold(s).")
    status: str | None = Field(description="official or unverified (the rows' review status).")
    thresholds: list[dict[str, Any]] = Field(description="The deciding rows, with provenance.")
    grade_1: str | None = Field(description="The grade-1 threshold(s).")
    import_batch: int | None
    estimate: Estimate | None = Field(description="Below grade 1: a grade-1 replacement.")


class GridFactorOut(BaseModel):
    tco2_per_mwh: float | None
    region: str
    year: int
    note: str | None
    factors: list[dict[str, Any]]


class TariffOut(BaseModel):
    cny_per_kwh: float | None = Field(description="Mean electricity price of the year.")
    note: str


class RegisterOut(BaseModel):
    facility: str
    year: int
    counts: dict[str, int] = Field(description="Items per level, of the whole register.")
    grid_factor: GridFactorOut
    tariff: TariffOut
    kgce_per_kwh: float = Field(description="Electricity, equivalent value (GB/T 2589).")
    types: list[str]
    items: list[EquipmentOut]


class RegisterImport(BaseModel):
    facility: str
    read: int
    added: int
    changed: int
    removed: int
    unchanged: int
    batch_id: int | None


Type = Annotated[str | None, Query(description="Only this equipment type (motor …).")]
LevelQuery = Annotated[str | None, Query(description="Only this level (LEVEL_1 …).")]
YearQuery = Annotated[
    int | None, Query(ge=2000, le=2100, description="Year of the metered energy and factors.")
]


def register_data(
    request: Request,
    session: Session,
    site: Facility,
    lang: str,
    *,
    year: int | None = None,
    equipment_type: str | None = None,
    level: str | None = None,
) -> dict[str, Any]:
    """The register as the API answers it, texts in ``lang``; kept per facility and data
    version (:func:`lingtan.web.api_energy.kept_read`: an import of a register writes an audit
    entry, which is part of the version), so the metered energy and the tariff's mean price
    are not computed again for every request. The answer is shared: callers never change it.
    """
    if equipment_type is not None and equipment_type not in EQUIPMENT_TYPES:
        raise ApiError(404, UNKNOWN_TYPE)
    if level is not None and level not in {str(lv) for lv in LEVELS}:
        raise ApiError(404, UNKNOWN_LEVEL)
    t = i18n.texts(lang)

    def text(message: Any) -> Any:
        if message is None:
            return None
        return t.message(message) if lang != "en" else str(message)

    def compute(current: Session) -> dict[str, Any]:
        found = equipment_register(
            current, site, year=year, equipment_type=equipment_type, level=level
        ).as_dict()
        for item in found["items"]:
            item["reason"] = text(item["reason"])
            if item["estimate"] is not None:
                item["estimate"]["basis_note"] = text(item["estimate"]["basis_note"])
        found["tariff"]["note"] = text(found["tariff"]["note"])
        found["grid_factor"]["note"] = text(found["grid_factor"]["note"])
        return found

    key = ("equipment", year, equipment_type, level, lang)
    return kept_read(request, session, site, key, compute)


@router.get("/facilities/{code}/equipment", response_model=RegisterOut, tags=["efficiency"])
def equipment_list(
    request: Request,
    session: Db,
    who: User,
    code: str,
    type: Type = None,
    level: LevelQuery = None,
    year: YearQuery = None,
) -> dict[str, Any]:
    """The facility's equipment register, each item graded now against the shipped standards
    (level, threshold, standard and its provenance) and, below grade 1, the saving of a
    grade-1 replacement with its basis (measured or nameplate) and payback."""
    site = facility(session, who, code)
    return register_data(
        request,
        session,
        site,
        i18n.language(request),
        year=year,
        equipment_type=type,
        level=level,
    )


@router.post(
    "/facilities/{code}/equipment",
    response_model=RegisterImport,
    status_code=201,
    tags=["efficiency"],
)
def import_register_file(
    request: Request, session: Db, who: User, code: str, file: Upload
) -> dict[str, Any]:
    """Import a register file (.xlsx or .csv) as the facility's register, all or nothing; items are
    matched by id, stored items the file no longer lists are removed
    (``lingtan import equipment``)."""
    site = facility(session, who, code, write=True)
    evidence = EvidenceStore(request.app.state.evidence_root)
    with _uploaded(request, file, REGISTER_FILES) as path:
        done = import_equipment(session, site, path, evidence=evidence, actor=who.name)
    return {
        "facility": done.facility,
        "read": done.read,
        "added": done.added,
        "changed": done.changed,
        "removed": done.removed,
        "unchanged": done.unchanged,
        "batch_id": done.batch_id,
    }


# --- energy-saving measures and the diagnosis report ------------------------------------------


class MeasureOut(BaseModel):
    code: str = Field(description="renewal:<item> and standby:<node> are found by the rules.")
    kind: str = Field(description="equipment_renewal, standby_load, compressed_air_leaks …")
    title: str
    origin: str = Field(description="found (by a rule, from the data) or entered.")
    status: str = Field(description="found, planned or done.")
    node: str | None
    equipment: str | None
    energy_type: str
    saved_per_year: float = Field(description="Energy saved a year, in unit.")
    unit: str
    energy_saved_tce_per_year: float | None = Field(description="[tce/a] (GB/T 2589).")
    emissions_saved_tco2_per_year: float | None = Field(description="[tCO2/a].")
    cost_saved_cny_per_year: float | None = Field(description="[CNY/a].")
    investment_cny: float | None
    payback_years: float | None = Field(description="Investment / CNY saved a year [a].")
    basis: str = Field(description="How the saving was estimated, in the request's language.")
    done_on: str | None
    baseline_start: str | None
    baseline_end: str | None


class MeasureImport(BaseModel):
    facility: str
    read: int
    added: int
    changed: int
    unchanged: int
    batch_id: int | None


def measures_data(
    request: Request, session: Session, site: Facility, lang: str, *, year: int
) -> list[dict[str, Any]]:
    """The facility's measures as the API answers them (ranked by payback, texts in
    ``lang``), kept per facility and data version like the register."""
    from lingtan.services.efficiency_measures import facility_measures

    t = i18n.texts(lang)

    def compute(current: Session) -> list[dict[str, Any]]:
        out = []
        for m in facility_measures(current, site, year=year):
            row = {k: v for k, v in m.items() if k not in ("details", "coefficients")}
            row["basis"] = t.message(m["basis"]) if lang != "en" else str(m["basis"])
            for k in ("done_on", "baseline_start", "baseline_end"):
                row[k] = m[k].isoformat() if m[k] else None
            out.append(row)
        return out

    return kept_read(request, session, site, ("measures", year, lang), compute)


def baseline_data(
    request: Request, session: Session, site: Facility, lang: str, *, year: int
) -> list[dict[str, Any]]:
    """For each measure with a baseline period: its EnPI, band and CUSUM of ``year``
    (:func:`lingtan.services.efficiency_measures.measure_baseline`)."""
    from lingtan.services.efficiency_measures import facility_measures, measure_baseline

    t = i18n.texts(lang)

    def compute(current: Session) -> list[dict[str, Any]]:
        out = []
        for m in facility_measures(current, site, year=year, price=False):
            if not (m["baseline_start"] and m["node"]):
                continue
            entry = measure_baseline(current, site, m, year=year)
            for k in ("baseline_start", "baseline_end", "reporting_start", "reporting_end"):
                entry[k] = entry[k].isoformat()
            if "reason" in entry:
                entry["reason"] = (
                    t.message(entry["reason"]) if lang != "en" else str(entry["reason"])
                )
            if entry.get("baseline"):
                entry["baseline"] = {k: v for k, v in entry["baseline"].items()
                                     if k in ("model", "n", "r2", "cv_rmse_pct", "nmbe_pct",
                                              "coefficients", "parameters")}  # fmt: skip
            out.append(entry)
        return out

    return kept_read(request, session, site, ("baselines", year, lang), compute)


Year = Annotated[int, Query(ge=2000, le=2100, description="Year of the figures.")]


@router.get("/facilities/{code}/measures", response_model=list[MeasureOut], tags=["efficiency"])
def measure_list(request: Request, session: Db, who: User, code: str, year: Year) -> Any:
    """The facility's energy-saving measures (found by the rules and entered), with their
    yearly kWh, tce, tCO2, CNY and payback, ranked by payback."""
    site = facility(session, who, code)
    return measures_data(request, session, site, i18n.language(request), year=year)


@router.get("/facilities/{code}/measures/baselines", tags=["efficiency"])
def measure_baselines(request: Request, session: Db, who: User, code: str, year: Year) -> Any:
    """Each measure's baseline and the year's daily actual, expected (with the band
    ``band_kwh``: ± t·RMSE) and CUSUM [kWh], with the avoided energy and its uncertainty."""
    site = facility(session, who, code)
    return baseline_data(request, session, site, i18n.language(request), year=year)


@router.post(
    "/facilities/{code}/measures", response_model=MeasureImport, status_code=201,
    tags=["efficiency"],
)  # fmt: skip
def import_measure_file(
    request: Request, session: Db, who: User, code: str, file: Upload
) -> dict[str, Any]:
    """Import a measures file (.csv), all or nothing (``lingtan import measures``)."""
    from lingtan.services.efficiency_measures import import_measures

    site = facility(session, who, code, write=True)
    evidence = EvidenceStore(request.app.state.evidence_root)
    with _uploaded(request, file, _MEASURE_FILES) as path:
        done = import_measures(session, site, path, evidence=evidence, actor=who.name)
    fields = ("facility", "read", "added", "changed", "unchanged", "batch_id")
    return {name: getattr(done, name) for name in fields}


class StatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal[STATUSES] = Field(description="The new status (one step of the workflow).")
    done_on: date | None = Field(None, description="The day it was done (required for done).")
    reason: str = Field("", max_length=500, description="Why (kept in the audit log).")


@router.post("/facilities/{code}/measures/{measure}/status", tags=["efficiency"])
def measure_status(
    session: Db, who: User, code: str, measure: str, body: StatusIn
) -> dict[str, Any]:
    """Change a measure's status, one step of the workflow (found to planned, planned to done
    or back to found, done back to planned; managers and admins), with an audit entry;
    ``before`` and ``after`` (``status``, ``done_on``) and the ``reason``
    (``lingtan efficiency measure-status``)."""
    from lingtan.services.efficiency_measures import change_status

    site = facility(session, who, code, write=True)
    return change_status(
        session, site, measure, body.status, actor=who.name, done_on=body.done_on,
        reason=body.reason,
    )  # fmt: skip


_MEDIA = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@router.get(
    "/facilities/{code}/diagnosis",
    tags=["efficiency"],
    response_class=Response,
    responses={200: {"content": {t.split(";")[0]: {} for t in _MEDIA.values()}}},
)
def diagnosis_report(
    request: Request,
    session: Db,
    who: User,
    code: str,
    year: Year,
    format: Annotated[str, Query(pattern="^(html|pdf|xlsx)$")] = "pdf",
) -> Response:
    """The energy-saving diagnosis report of the facility and year as a file (HTML, PDF or
    XLSX) in the request's language (``lingtan efficiency diagnosis``)."""
    from lingtan.reports.diagnosis import (
        diagnosis_filename,
        render_diagnosis_html,
        render_diagnosis_pdf,
        render_diagnosis_xlsx,
    )
    from lingtan.services.diagnosis import diagnosis_data

    site = facility(session, who, code)
    lang = i18n.language(request)
    with _current(request, session, site) as current:
        data = diagnosis_data(current, site, year)
    render = {"html": lambda: render_diagnosis_html(data, lang).encode("utf-8"),
              "pdf": lambda: render_diagnosis_pdf(data, lang),
              "xlsx": lambda: render_diagnosis_xlsx(data, lang)}[format]  # fmt: skip
    name = diagnosis_filename(data, lang, format)
    return Response(render(), media_type=_MEDIA[format],
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip
