"""The evaluation page (评价): a facility's year judged against a zero-carbon-factory scheme.

The scheme and the year are chosen on the page; it shows the live evaluation (the result,
then every criterion with its status badge, the figure used, the threshold, the gap in
numbers, the evidence, the scheme's document and clause, the reason), the inventory the facts
came from, a button that stores the evaluation as an immutable snapshot (managers and admins
of the facility, CSRF-checked form post; refused without a locked inventory of the whole
year) and the list of stored evaluations; a stored one is shown as it was stored
(``?stored=ID``). Every figure is the JSON API's own (:mod:`lingtan.web.api_evaluation`),
called with the page's session, so the page shows exactly what the API gives.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote

import sqlalchemy as sa
from fastapi import APIRouter, BackgroundTasks, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from lingtan.errors import InputError
from lingtan.evaluation.engine import number_text
from lingtan.evaluation.rules import shipped_rule_set, shipped_rule_sets
from lingtan.i18n import format_time
from lingtan.services.evaluations import (
    evaluate_facility,
    get_evaluation,
    list_evaluations,
    snapshot_document,
    snapshot_line,
    store_evaluation,
)
from lingtan.store.models import Facility, Inventory
from lingtan.web import i18n
from lingtan.web.accounts import Principal
from lingtan.web.api import MAX_ID
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


def _shown(value: Any) -> str:
    """A figure, a threshold or codes as people read them."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list | tuple):
        return ", ".join(value)
    if isinstance(value, int | float):
        return number_text(value)
    return str(value)


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
) -> Response:
    lang = i18n.language(request)
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
        return "evaluation.html", {
            "site": site,
            "year": snapshot["period"] if snapshot else shown_year,
            "scheme": snapshot["scheme"] if snapshot else chosen,
            "schemes": [(r.scheme, r.title_zh if lang == "zh-CN" else r.title_en) for r in schemes],
            "document": document,
            "snapshot": snapshot,
            "stored": listed,
            "badge": _BADGES,
            "shown": _shown,
            "when": lambda moment: format_time(moment, site.time_zone),
            "writable": site.id in principal.writable,
            "problems": problems,
            "zh": lang == "zh-CN",
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
