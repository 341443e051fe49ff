"""The evaluation page (评价): a facility's year judged against a zero-carbon-factory scheme.

The scheme and the year are chosen on the page; it shows the live evaluation (the result,
then every criterion with its status badge, the figure used, the threshold, the gap in
numbers, the evidence, the scheme's document and clause, the reason), the inventory the facts
came from, a button that stores the evaluation as an immutable snapshot (managers and admins
of the facility, CSRF-checked form post; refused without a locked inventory of the whole
year) and the list of stored evaluations; a stored one is shown as it was stored
(``?stored=ID``). Every figure is the JSON API's own (:mod:`lingtan.web.api_evaluation`),
called with the page's session, so the page shows exactly what the API gives.

The declarations of the year (green-factory status, organisation and plan, compliance …) are
listed on the page, and managers and admins enter one there (fact, value, statement, who
declared it, an evidence file uploaded or one of the organization's evidence files): kept by
:func:`lingtan.services.declarations.declare` with its audit entry, used by the next
evaluation, live and stored; a value the fact does not take is refused with the reason.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote

import sqlalchemy as sa
from fastapi import APIRouter, BackgroundTasks, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from lingtan.errors import InputError, InputProblem
from lingtan.evaluation.engine import number_text
from lingtan.evaluation.facts import FACTS
from lingtan.evaluation.rules import shipped_rule_set, shipped_rule_sets
from lingtan.i18n import Message, format_time
from lingtan.services.declarations import (
    DECLARATION_FACTS,
    declaration_line,
    declarations,
    declare,
    standing_declarations,
)
from lingtan.services.evaluations import (
    evaluate_facility,
    get_evaluation,
    list_evaluations,
    snapshot_document,
    snapshot_line,
    store_evaluation,
)
from lingtan.store.evidence import EvidenceStore
from lingtan.store.models import Evidence, Facility, Inventory
from lingtan.web import i18n
from lingtan.web.accounts import Principal
from lingtan.web.api import EVIDENCE_KINDS, MAX_ID
from lingtan.web.api_energy import _uploaded
from lingtan.web.api_evaluation import REQUEST, live_document
from lingtan.web.deps import Db, User
from lingtan.web.screens import _current, refused_page, render
from lingtan.web.screens_energy import Year

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

#: The badge of each status (style.css).
_BADGES = {"pass": "ok", "fail": "high", "unable_to_judge": "warn"}


def _year(session: Db, site: Facility, year: int | None) -> int:
    """The year shown: asked, else that of the facility's latest inventory, else last year."""
    if year is not None:
        return year
    latest = session.scalar(
        sa.select(sa.func.max(Inventory.period_end)).where(Inventory.facility_id == site.id)
    )
    return latest.year if latest else datetime.now(UTC).year - 1


#: The organization's evidence files offered for a declaration (the newest).
EVIDENCE_CHOICES = 200


def _declaration_facts(t: Any) -> list[dict[str, Any]]:
    """The facts a declaration may give, with their kind, unit and codes by name."""
    return [
        {
            "name": name,
            "label": t.name_of("evaluation.fact", name),
            "kind": FACTS[name].kind,
            "unit": FACTS[name].unit,
            "codes": [(code, t.name_of("evaluation.code", code)) for code in FACTS[name].codes],
        }
        for name in DECLARATION_FACTS
    ]


def _evidence_choices(session: Db, site: Facility) -> list[Evidence]:
    return list(
        session.scalars(
            sa.select(Evidence)
            .where(Evidence.organization_id == site.organization_id)
            .order_by(Evidence.id.desc())
            .limit(EVIDENCE_CHOICES)
        )
    )


def _page(
    request: Request,
    session: Db,
    background: BackgroundTasks,
    facility: str | None,
    year: int | None,
    scheme: str | None,
    stored: int | None,
    who: Principal | None = None,
    problems: list[dict[str, Any]] | None = None,
    refused: str = "evaluation",
    entered: dict[str, str] | None = None,
) -> Response:
    lang = i18n.language(request)
    t = i18n.texts(lang)
    schemes = list(shipped_rule_sets())
    chosen = scheme if scheme in {r.scheme for r in schemes} else schemes[0].scheme

    def build(principal: Principal):
        site = _current(session, principal, facility)
        shown_year = _year(session, site, year)
        snapshot = None
        if stored is not None:
            found = get_evaluation(session, stored, [site.id])
            snapshot = snapshot_document(found, site)
            document = snapshot
        else:
            document = live_document(session, site, shown_year, chosen)
        listed = [snapshot_line(s, site) for s, _ in list_evaluations(session, [site.id])]
        year_shown = snapshot["period"] if snapshot else shown_year
        standing = {row.id for row in standing_declarations(session, site, year_shown).values()}
        declared = [
            declaration_line(row, row.id in standing)
            for row in declarations(session, site, year_shown)
        ]
        writable = site.id in principal.writable
        return "evaluation.html", {
            "site": site,
            "year": snapshot["period"] if snapshot else shown_year,
            "scheme": snapshot["scheme"] if snapshot else chosen,
            "schemes": [(r.scheme, r.title_zh if lang == "zh-CN" else r.title_en) for r in schemes],
            "document": document,
            "snapshot": snapshot,
            "stored": listed,
            "badge": _BADGES,
            "shown": lambda value: t.fact_value(value, number_text),
            "fact_name": lambda name: t.name_of("evaluation.fact", name),
            "unit_name": lambda unit: t.name_of("evaluation.unit", unit) if unit else "",
            "when": lambda moment: format_time(moment, site.time_zone),
            "writable": writable,
            "problems": problems,
            "refused": refused,
            "zh": lang == "zh-CN",
            "declared": declared,
            "declaration_facts": _declaration_facts(t),
            "evidence_choices": _evidence_choices(session, site) if writable else [],
            "entered": entered or {},
        }

    return refused_page(render(request, session, background, "evaluation", build, who), problems)


@router.get("/evaluation")
def evaluation_page(
    request: Request,
    session: Db,
    background: BackgroundTasks,
    facility: str | None = None,
    year: Year = None,
    scheme: str | None = None,
    stored: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> Response:
    return _page(request, session, background, facility, year, scheme, stored)


@router.post("/evaluation/store")
def store_from_page(
    request: Request,
    session: Db,
    who: User,
    background: BackgroundTasks,
    facility: Annotated[str, Form(max_length=100)],
    year: Annotated[int, Form(ge=2000, le=2100)],
    scheme: Annotated[str, Form(max_length=100)],
) -> Response:
    """Store the evaluation shown (managers and admins of the facility), then show it."""
    from lingtan.web.deps import facility as scoped_facility

    try:
        with session.begin_nested():
            site = scoped_facility(session, who, facility, write=True)
            rules = shipped_rule_set(scheme)
            live = evaluate_facility(session, site, year, rules, origin=REQUEST)
            snapshot = store_evaluation(session, site, year, rules, live, actor=who.name)
    except InputError as error:
        problems = [p.as_dict() for p in error.problems]
        return _page(request, session, background, facility, year, scheme, None, who, problems)
    target = f"/evaluation?facility={quote(site.code)}&stored={snapshot.id}"
    return RedirectResponse(target, status_code=303)


@router.post("/evaluation/declare")
def declare_from_page(
    request: Request,
    session: Db,
    who: User,
    background: BackgroundTasks,
    facility: Annotated[str, Form(max_length=100)],
    year: Annotated[int, Form(ge=2000, le=2100)],
    scheme: Annotated[str, Form(max_length=100)],
    fact: Annotated[str, Form(max_length=100)],
    value: Annotated[str, Form(max_length=200)] = "",
    number: Annotated[str, Form(max_length=40)] = "",
    statement: Annotated[str, Form(max_length=4000)] = "",
    declared_by: Annotated[str, Form(max_length=200)] = "",
    evidence_sha256: Annotated[str, Form(max_length=64)] = "",
    evidence: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Keep a declaration of the facility's year (managers and admins of the facility), then
    show the page with it; a value the fact does not take, an empty statement or no evidence
    is refused (422) and nothing is written."""
    from lingtan.web.deps import facility as scoped_facility

    try:
        with session.begin_nested():
            site = scoped_facility(session, who, facility, write=True)
            with contextlib.ExitStack() as stack:
                chosen: Evidence | str = evidence_sha256
                if evidence is not None and evidence.filename:
                    path = stack.enter_context(_uploaded(request, evidence, tuple(EVIDENCE_KINDS)))
                    chosen = EvidenceStore(request.app.state.evidence_root).put(
                        session, path, path.name, EVIDENCE_KINDS[path.suffix.lower()],
                        organization_id=site.organization_id,
                    )  # fmt: skip
                elif not evidence_sha256:
                    rule = Message("upload the evidence file or choose one already stored")
                    raise InputError(InputProblem(Message("declaration"), "evidence", None, rule))
                row = declare(
                    session, site, year, fact, number.strip() or value, statement=statement,
                    declared_by=declared_by, evidence=chosen, actor=who.name,
                )  # fmt: skip
    except InputError as error:
        problems = [p.as_dict() for p in error.problems]
        entered = {"fact": fact, "value": value, "number": number, "statement": statement,
                   "declared_by": declared_by}  # fmt: skip
        return _page(request, session, background, facility, year, scheme, None, who, problems,
                     "declaration", entered)  # fmt: skip
    target = (
        f"/evaluation?facility={quote(site.code)}&year={year}&scheme={quote(scheme)}"
        f"&declared={row.id}#declarations"
    )
    return RedirectResponse(target, status_code=303)
