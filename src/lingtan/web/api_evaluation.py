"""The zero-carbon-factory evaluation over the REST API (``/api/v1``): a facility's year
evaluated live against a shipped scheme (GET ``…/evaluation``), evaluated and stored as an
immutable snapshot (POST ``…/evaluations``, managers and admins of the facility), and the
stored snapshots (GET ``…/evaluations`` and ``…/evaluations/{id}``), and the declarations of a
year (GET ``…/declarations``; POST ``…/declarations`` keeps one, managers and admins), with the
API's authentication and organization isolation (:func:`lingtan.web.deps.facility`).

The figures are :mod:`lingtan.services.evaluations`' (behind ``lingtan evaluate``): the facts
lingtan computes from the ledger and the year's inventory, and the declarations a request
gives with their evidence. Nothing is computed here.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from lingtan.errors import InputError
from lingtan.evaluation.facts import read_facts
from lingtan.evaluation.rules import shipped_rule_set
from lingtan.i18n import Message
from lingtan.services.declarations import declaration_line, declarations, declare
from lingtan.services.evaluations import (
    evaluate_facility,
    get_evaluation,
    list_evaluations,
    snapshot_document,
    snapshot_line,
    store_evaluation,
)
from lingtan.store.models import Facility
from lingtan.web.api import Id
from lingtan.web.deps import Db, User, facility, not_found

__all__ = ["live_document", "router"]

router = APIRouter(prefix="/api/v1")

#: Where a request's declarations are said to come from (a problem's "where", the lineage).
REQUEST = "request"

Year = Annotated[int, Query(ge=2000, le=2100, description="The calendar year evaluated.")]
Scheme = Annotated[str, Query(max_length=100, description="A shipped scheme (its id).")]


class CriterionOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str
    status: str = Field(description="pass, fail or unable_to_judge.")
    value: Any = Field(description="The figure used, in unit (None where the fact is missing).")
    threshold: Any = Field(description="The threshold applied, resolved, in unit.")
    unit: str
    gap: float | None = Field(description="For a failed number: how much more or less [unit].")
    gap_text: str | None
    reason: str
    evidence: str | None
    source: dict[str, str] = Field(description="The scheme's document and clause.")


class EvaluationOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    scheme: str
    result: str = Field(description="pass, fail or unable_to_judge.")
    passed: int
    failed: int
    unable_to_judge: int
    criteria: list[CriterionOut]
    facility: str
    period: int
    inventory_id: int | None = Field(description="The inventory the computed facts came from.")
    lineage: dict[str, Any] = Field(description="Per fact, where it came from.")


class StoredOut(EvaluationOut):
    id: int
    rule_set_sha256: str
    result_sha256: str = Field(description="SHA-256 of the canonical JSON of the result.")
    created_by: str
    created_at: str
    facts: dict[str, Any]


class StoredSummary(BaseModel):
    id: int
    facility: str
    period: int
    scheme: str
    result: str
    passed: int
    failed: int
    unable_to_judge: int
    inventory_id: int
    created_by: str
    created_at: str
    result_sha256: str


class EvaluationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scheme: str = Field(max_length=100, description="A shipped scheme (its id).")
    year: int = Field(ge=2000, le=2100)
    facts: dict[str, Any] = Field(
        default_factory=dict,
        description="Declarations beside the facts lingtan computes: name -> value or "
        "{value, evidence} (a declaration is judged only with its evidence).",
    )


def live_document(
    session: Session, site: Facility, year: int, scheme: str, facts: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The year of ``site`` evaluated against ``scheme`` now (declarations ``facts``), as JSON."""
    given = read_facts({"facts": facts or {}}, origin=REQUEST)
    live = evaluate_facility(session, site, year, shipped_rule_set(scheme), given, origin=REQUEST)
    return {
        **live.evaluation.as_dict(),
        "facility": site.code,
        "period": year,
        "inventory_id": None if live.inventory is None else live.inventory.id,
        "inventory_status": None if live.inventory is None else live.inventory.status,
        "lineage": live.lineage,
    }


@router.get("/facilities/{code}/evaluation", response_model=EvaluationOut, tags=["evaluation"])
def evaluation_live(
    session: Db, who: User, code: str, year: Year, scheme: Scheme
) -> dict[str, Any]:
    """The facility's year evaluated now against a shipped scheme, from the facts lingtan
    computes (the carbon-asset ledger, the year's inventory): every criterion with its status,
    figure, threshold, gap, evidence and source clause. Nothing is stored."""
    return live_document(session, facility(session, who, code), year, scheme)


@router.get(
    "/facilities/{code}/evaluations", response_model=list[StoredSummary], tags=["evaluation"]
)
def evaluations_list(
    session: Db, who: User, code: str, year: Annotated[int | None, Query(ge=2000, le=2100)] = None
) -> list[dict[str, Any]]:
    """The facility's stored evaluations, newest first."""
    site = facility(session, who, code)
    return [snapshot_line(s, site) for s, _ in list_evaluations(session, [site.id], year=year)]


@router.get(
    "/facilities/{code}/evaluations/{evaluation_id}",
    response_model=StoredOut,
    tags=["evaluation"],
)
def evaluation_show(session: Db, who: User, code: str, evaluation_id: Id) -> dict[str, Any]:
    """A stored evaluation as it was stored: the criteria, the facts used with their lineage,
    the rule set's and the result's SHA-256, the inventory, who and when."""
    site = facility(session, who, code)
    try:
        snapshot = get_evaluation(session, evaluation_id, [site.id])
    except InputError:
        raise not_found(Message("no such stored evaluation")) from None
    return snapshot_document(snapshot, site)


@router.post(
    "/facilities/{code}/evaluations",
    response_model=StoredOut,
    status_code=201,
    tags=["evaluation"],
)
def evaluation_store(session: Db, who: User, code: str, body: EvaluationIn) -> dict[str, Any]:
    """Evaluate the facility's year against a shipped scheme and store it as an immutable
    snapshot tied to the year's locked inventory (``lingtan evaluate --store``); refused (422)
    without a locked inventory of the whole year."""
    site = facility(session, who, code, write=True)
    rules = shipped_rule_set(body.scheme)
    given = read_facts({"facts": body.facts}, origin=REQUEST)
    live = evaluate_facility(session, site, body.year, rules, given, origin=REQUEST)
    snapshot = store_evaluation(session, site, body.year, rules, live, actor=who.name)
    return snapshot_document(snapshot, site)


class DeclarationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    year: int = Field(ge=2000, le=2100, description="The calendar year declared for.")
    fact: str = Field(max_length=100, description="A declaration fact (green_factory_status …).")
    value: Any = Field(description="true / false, a number in the fact's unit, or code(s).")
    statement: str = Field(max_length=4000, description="What is declared, on what it rests.")
    declared_by: str = Field(max_length=200, description="Who declares it.")
    evidence_sha256: str = Field(
        max_length=64, description="An evidence file of the organization, by its SHA-256."
    )


class DeclarationOut(BaseModel):
    id: int
    period: int
    fact: str
    value: Any
    unit: str
    statement: str
    declared_by: str
    evidence_sha256: str
    evidence_filename: str
    created_by: str
    created_at: str
    standing: bool | None = Field(description="The newest declaration of its fact and year.")


@router.get(
    "/facilities/{code}/declarations", response_model=list[DeclarationOut], tags=["evaluation"]
)
def declarations_list(
    session: Db, who: User, code: str, year: Annotated[int | None, Query(ge=2000, le=2100)] = None
) -> list[dict[str, Any]]:
    """The facility's declarations (of a year), newest first; ``standing`` marks the one of
    each fact and year the evaluations use."""
    site = facility(session, who, code)
    rows = declarations(session, site, year)
    standing = {(r.period, r.fact) for r in rows}
    out = []
    for row in rows:
        out.append(declaration_line(row, (row.period, row.fact) in standing))
        standing.discard((row.period, row.fact))
    return out


@router.post(
    "/facilities/{code}/declarations",
    response_model=DeclarationOut,
    status_code=201,
    tags=["evaluation"],
)
def declaration_add(session: Db, who: User, code: str, body: DeclarationIn) -> dict[str, Any]:
    """Keep a declaration of the facility's year with an evidence file of the organization (as
    ``lingtan evaluate declare``), with its audit entry; the next evaluation uses it. A value the
    fact does not take, an empty statement or an unknown evidence file is refused (422)."""
    site = facility(session, who, code, write=True)
    row = declare(
        session, site, body.year, body.fact, body.value, statement=body.statement,
        declared_by=body.declared_by, evidence=body.evidence_sha256, actor=who.name,
    )  # fmt: skip
    return declaration_line(row, True)
