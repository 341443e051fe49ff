"""Product carbon footprints over the REST API (``/api/v1``): a facility's bills of materials
and footprint studies, a study's result, and the organization's PACT connections.

- ``GET /facilities/{code}/footprint/boms``: the bills of materials imported
  (``lingtan import bom``), per product and period.
- ``GET /facilities/{code}/footprint/studies``: the studies of the server's studies folder
  (:mod:`lingtan.services.footprint_studies`) that are of the facility, and the files refused
  with their problems.
- ``GET /facilities/{code}/footprint/studies/{id}``: the study's footprint per declared or
  functional unit — exactly the document of ``lingtan footprint calc STUDY --format json``
  (:meth:`lingtan.services.footprint_result.StudyFootprint.as_dict`) — with, when Monte Carlo
  draws are asked for (``draws``, at most :data:`MAX_DRAWS`), the draws' histogram.
- ``GET /facilities/{code}/footprint/declarations``: the declarations issued (battery, CBAM),
  newest first; ``POST /facilities/{code}/footprint/studies/{id}/declarations`` (managers and
  admins of the facility) issues the study's declaration of a kind as its figures are now
  (:mod:`lingtan.services.footprint_declarations`): stored, immutable, audited.
- ``GET /pact``: the suppliers' footprints received, the footprints published and the
  clients (customers' systems) allowed to read them.
- ``POST /pact/clients`` and ``DELETE /pact/clients/{client_id}`` (admins): a new client, whose
  secret is answered this once and never again, and its revocation
  (:func:`lingtan.services.pact.create_client`, :func:`~lingtan.services.pact.revoke_client`,
  as ``lingtan pact client add`` and ``revoke``).

A study's result is computed from the store at the facility's data version and the file's
version and kept (:func:`lingtan.web.api_energy.kept_read`): a heavy request
(:mod:`lingtan.web.admission`). Nothing is computed here.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from lingtan.footprint import pact as model
from lingtan.footprint.uncertainty import HISTOGRAM_BINS, MonteCarloResult
from lingtan.i18n import Message
from lingtan.services import pact
from lingtan.services.footprint_declarations import (
    KINDS,
    facility_declarations,
    issue_declaration,
    study_declarations,
)
from lingtan.services.footprint_result import study_footprint
from lingtan.services.footprint_studies import StudyFile, facility_boms, find_studies
from lingtan.store.models import (
    Facility,
    Organization,
    PactClient,
    PactFootprint,
    PactReceivedFootprint,
)
from lingtan.web.accounts import Principal
from lingtan.web.api_energy import kept_read
from lingtan.web.deps import ApiError, Db, User, facility, not_found

__all__ = [
    "DEFAULT_DRAWS",
    "HISTOGRAM_BINS",
    "MAX_DRAWS",
    "histogram",
    "issue",
    "pact_connections",
    "router",
    "study_list",
    "study_result",
]

router = APIRouter(prefix="/api/v1", tags=["footprint"])

#: The most Monte Carlo draws one request may ask for (``lingtan footprint calc
#: --monte-carlo`` allows more, on the user's own machine), and the screen's default.
MAX_DRAWS = 5000
DEFAULT_DRAWS = 1000

Draws = Annotated[
    int, Query(ge=0, le=MAX_DRAWS, description=f"Monte Carlo draws (0 to {MAX_DRAWS}).")
]
Seed = Annotated[int, Query(ge=0, le=2**32 - 1, description="The draws' seed.")]
NO_STUDY = Message("no such study")


class StudyEntry(BaseModel):
    id: str = Field(description="The study file's name without its suffix.")
    file: str
    name: str | None = Field(description="The study's name; None for a refused file.")
    product: str | None
    facility: str | None = Field(description="The facility it is of (code).")
    declared_unit: dict[str, Any] | None
    boundary: str | None
    stages: list[str]
    period: list[str] | None
    problems: list[dict[str, Any]] = Field(description="Why the file was refused; [] if not.")


class StudiesOut(BaseModel):
    folder: str | None = Field(
        description="The studies folder of the server (for administrators; else None)."
    )
    studies: list[StudyEntry]


class Histogram(BaseModel):
    edges_kgco2e: list[float] = Field(description="The bins' edges, one more than counts.")
    counts: list[int]


class StudyResultOut(BaseModel):
    """The document of ``lingtan footprint calc STUDY --format json``, its id and, with
    draws, the histogram of the Monte Carlo scores."""

    model_config = ConfigDict(extra="allow")

    id: str
    study: str
    kgco2e_per_declared_unit: float
    primary_data_share_pct: float | None
    monte_carlo: dict[str, Any] | None
    histogram: Histogram | None
    uncertain: bool = Field(description="Whether any exchange states an uncertainty.")
    declarations: dict[str, Any] = Field(
        description="The figures of the battery and CBAM declarations the study names files "
        "of (``battery``, ``cbam``: None when it names none; ``problems`` of a refused file)."
    )


class DeclarationIn(BaseModel):
    kind: str = Field(description=f"The declaration to issue: one of {', '.join(KINDS)}.")


class DeclarationOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: int
    kind: str
    study_id: str
    study_sha256: str = Field(description="SHA-256 of the study file's bytes when issued.")
    source_file: str
    source_sha256: str = Field(description="SHA-256 of the declaration file's bytes.")
    figures_sha256: str = Field(description="SHA-256 of the figures' canonical JSON.")
    issued_by: str
    issued_at: str
    figures: dict[str, Any]


class DeclarationsOut(BaseModel):
    declarations: list[DeclarationOut]


class BomOut(BaseModel):
    product: str
    product_name: str
    product_unit: str
    period: list[str]
    items: list[dict[str, Any]]


class ClientOut(BaseModel):
    client_id: str
    name: str
    created_by: str
    created_at: str
    revoked_at: str | None


class PactOut(BaseModel):
    received: list[dict[str, Any]] = Field(description="Suppliers' footprints received.")
    published: list[dict[str, Any]] = Field(description="Footprints published to customers.")
    clients: list[ClientOut] | None = Field(description="The host's clients (admins only).")


class NewClient(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100, description="Whose system it is.")


class NewClientOut(BaseModel):
    client_id: str
    client_secret: str = Field(description="Shown this once: only its SHA-256 is kept.")
    name: str


# --- studies ---------------------------------------------------------------------------------


def _studies_of(request: Request, session: Session, site: Facility) -> list[StudyFile]:
    """The study files of the folder that are of ``site`` (refused files too: they may be)."""
    files = find_studies(request.app.state.studies_dir)
    shown = []
    for entry in files:
        of = entry.facility(session)
        if entry.study is None or (of is not None and of.id == site.id):
            shown.append(entry)
    return shown


def study_list(
    request: Request, session: Session, site: Facility, who: Principal
) -> dict[str, Any]:
    """The answer of ``GET /facilities/{code}/footprint/studies``: the folder (a path of the
    server) only for an administrator."""
    folder = request.app.state.studies_dir if who.role == "admin" else None
    studies = []
    for entry in _studies_of(request, session, site):
        study = entry.study
        problems = [p.as_dict() for p in entry.error.problems] if entry.error else []
        studies.append(
            {
                "id": entry.id,
                "file": entry.path.name,
                "name": study.name if study else None,
                "product": study.product if study else None,
                "facility": site.code if study else None,
                "declared_unit": None
                if study is None
                else {
                    "kind": study.unit_kind,
                    "quantity": study.unit_quantity,
                    "unit": study.unit,
                    "description": study.unit_description,
                },
                "boundary": study.boundary if study else None,
                "stages": list(study.stages) if study else [],
                "period": None
                if study is None
                else [study.period_start.isoformat(), study.period_end.isoformat()],
                "problems": problems,
            }
        )
    return {"folder": str(folder) if folder else None, "studies": studies}


def histogram(drawn: MonteCarloResult, bins: int = HISTOGRAM_BINS) -> dict[str, Any]:
    """The Monte Carlo scores in ``bins`` equal bins (:meth:`MonteCarloResult.histogram`)."""
    return drawn.histogram(bins)


def study_result(
    request: Request, session: Session, site: Facility, study_id: str, draws: int, seed: int
) -> dict[str, Any]:
    """The answer of ``GET /facilities/{code}/footprint/studies/{id}``: 404 for a study that
    is not of ``site``; the problems (422) of a refused file or of what the store lacks."""
    entry = next((s for s in _studies_of(request, session, site) if s.id == study_id), None)
    if entry is None:
        raise not_found(NO_STUDY)
    if entry.error is not None:
        raise entry.error
    study = entry.study
    assert study is not None

    def compute(current: Session) -> dict[str, Any]:
        found = study_footprint(current, study, iterations=draws, seed=seed)
        drawn = found.monte_carlo
        return {
            "id": entry.id,
            **found.as_dict(),
            "histogram": None if drawn is None else histogram(drawn),
            "uncertain": any(
                e.uncertainty is not None for p in found.system.processes for e in p.exchanges
            ),
            "declarations": study_declarations(found),
        }

    key = ("footprint", str(entry.path), entry.version(), draws, seed)
    return kept_read(request, session, site, key, compute)


def issue(
    request: Request, session: Session, who: Principal, code: str, study_id: str, kind: str
) -> dict[str, Any]:
    """Issue the study's ``kind`` declaration as its figures are now (the facility's managers
    and admins): 404 for a study not of the facility, 422 for a kind it names no valid file of.
    """
    site = facility(session, who, code, write=True)
    data = study_result(request, session, site, study_id, 0, 0)
    entry = next(s for s in _studies_of(request, session, site) if s.id == study_id)
    row = issue_declaration(session, site, entry, data["declarations"], kind, actor=who.name)
    return next(d for d in facility_declarations(session, site) if d["id"] == row.id)


@router.get("/facilities/{code}/footprint/declarations", response_model=DeclarationsOut)
def declarations(session: Db, who: User, code: str) -> dict[str, Any]:
    """The declarations issued for the facility's studies, newest first: each with the
    SHA-256 of its study file, its declaration file and its figures, who issued it and when."""
    return {"declarations": facility_declarations(session, facility(session, who, code))}


@router.post(
    "/facilities/{code}/footprint/studies/{study_id}/declarations",
    response_model=DeclarationOut,
    status_code=201,
)
def declaration_issue(
    request: Request, session: Db, who: User, code: str, study_id: str, body: DeclarationIn
) -> dict[str, Any]:
    """Issue the study's battery or CBAM declaration (managers and admins of the facility):
    stored as its figures are now, never changed, in the audit log."""
    return issue(request, session, who, code, study_id, body.kind)


@router.get("/facilities/{code}/footprint/studies", response_model=StudiesOut)
def studies(request: Request, session: Db, who: User, code: str) -> dict[str, Any]:
    """The footprint studies of the facility in the server's studies folder (``*.yaml``), and
    the files refused with their problems."""
    return study_list(request, session, facility(session, who, code), who)


@router.get("/facilities/{code}/footprint/studies/{study_id}", response_model=StudyResultOut)
def study(
    request: Request,
    session: Db,
    who: User,
    code: str,
    study_id: str,
    draws: Draws = 0,
    seed: Seed = 0,
) -> dict[str, Any]:
    """The study's footprint per declared or functional unit, as ``lingtan footprint calc
    STUDY --format json`` gives it: fossil, biogenic, dLUC and aircraft apart, by stage, by
    process and material, the Sankey graph, the meters behind the electricity, the primary
    data share; with ``draws``, the Monte Carlo statistics and histogram."""
    return study_result(request, session, facility(session, who, code), study_id, draws, seed)


@router.get("/facilities/{code}/footprint/boms", response_model=list[BomOut])
def boms(session: Db, who: User, code: str) -> list[dict[str, Any]]:
    """The bills of materials the facility imported, per product and period."""
    return facility_boms(session, facility(session, who, code))


# --- PACT ------------------------------------------------------------------------------------


def _moment(value: Any) -> str | None:
    return None if value is None else value.isoformat()


def pact_connections(session: Session, who: Principal) -> dict[str, Any]:
    """The answer of ``GET /pact``: clients only for an admin of the organization."""
    org = who.organization_id
    received = session.scalars(
        select(PactReceivedFootprint)
        .where(PactReceivedFootprint.organization_id == org)
        .order_by(PactReceivedFootprint.company_name, PactReceivedFootprint.product_name)
    )
    published = session.scalars(
        select(PactFootprint).where(PactFootprint.organization_id == org).order_by(PactFootprint.id)
    )
    clients = None
    if who.role == "admin":
        clients = [
            {
                "client_id": c.client_id,
                "name": c.name,
                "created_by": c.created_by,
                "created_at": c.created_at.isoformat(),
                "revoked_at": _moment(c.revoked_at),
            }
            for c in session.scalars(
                select(PactClient)
                .where(PactClient.organization_id == org)
                .order_by(PactClient.created_at, PactClient.id)
            )
        ]
    return {
        "received": [
            {
                **_figures(r.document, r.received_from),
                "status": r.status,
                "spec_version": r.spec_version,
                "received_from": r.received_from,
                "received_at": _moment(r.received_at),
            }
            for r in received
        ],
        "published": [
            {
                **_figures(p.document, "ProductFootprint"),
                "status": p.status,
                "validity": [_moment(p.validity_start), _moment(p.validity_end)],
            }
            for p in published
        ],
        "clients": clients,
    }


def _figures(document: dict[str, Any], where: str) -> dict[str, Any]:
    """What a table shows of a PACT footprint, as :mod:`lingtan.footprint.pact` reads it."""
    figures = model.to_supplier_footprint(model.parse_footprint(document, where))
    return {
        "id": figures.id,
        "company": figures.supplier,
        "product": figures.product,
        "declared_unit": figures.declared_unit,
        "pcf_excluding_biogenic_kgco2e": figures.pcf_excluding_biogenic,
        "biogenic_kgco2e": figures.biogenic,
        "primary_data_share_pct": figures.primary_data_share,
    }


def _admin_organization(session: Session, who: Principal) -> Organization:
    if who.role != "admin":
        raise ApiError(403, Message("only an administrator manages the PACT clients"))
    found = session.get(Organization, who.organization_id)
    assert found is not None
    return found


@router.get("/pact", response_model=PactOut)
def connections(session: Db, who: User) -> dict[str, Any]:
    """The organization's PACT connections: suppliers' footprints received, footprints
    published to customers and (for admins) the clients allowed to read them."""
    return pact_connections(session, who)


def add_client(session: Session, who: Principal, name: str) -> dict[str, Any]:
    """A new PACT client of the organization: its id and secret (shown this once)."""
    organization = _admin_organization(session, who)
    client_id, secret, row = pact.create_client(session, organization, name=name, actor=who.name)
    return {"client_id": client_id, "client_secret": secret, "name": row.name}


def end_client(session: Session, who: Principal, client_id: str) -> None:
    """Revoke a PACT client of the organization and end its tokens."""
    pact.revoke_client(session, _admin_organization(session, who), client_id, actor=who.name)


@router.post("/pact/clients", response_model=NewClientOut, status_code=201)
def create_pact_client(session: Db, who: User, body: NewClient) -> dict[str, Any]:
    """A new client of the PACT host for a customer's system (admins): the secret is in this
    answer only, never again (only its SHA-256 is kept)."""
    return add_client(session, who, body.name)


@router.delete("/pact/clients/{client_id}", status_code=204)
def revoke_pact_client(session: Db, who: User, client_id: str) -> None:
    """Revoke a PACT client (admins): its tokens end at once."""
    end_client(session, who, client_id)
