"""The carbon-asset screens: the ledger's holdings, retirements and retirement windows with the
retirement form and the ledger import, the national ETS allowances with their compliance
(履约) and the surrender form, and the green power contracts' months (``/assets``), and the
hourly matching of a facility's year from its meters with the day × hour heat map
(``/assets/matching``).

Every figure is a service's: the holdings and entries are those of the API's
``GET /api/v1/facilities/{code}/ledger`` (:func:`lingtan.services.ledger.asset_balances`,
:func:`~lingtan.services.ledger.ledger_entries`), a retirement goes through
:func:`lingtan.services.ledger.write_ledger` (all its double-count and claim-period rules; a
refusal writes nothing and is shown with every problem), an import through the API's
``POST …/ledger``, the windows are :func:`lingtan.services.asset_windows.retirement_windows`
and the matching is :func:`lingtan.services.meter_matching.matching_from_meters`, the function
behind ``lingtan evaluate match --facility CODE --year Y``. Writing takes a manager or admin of
the facility, as every other write.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import replace
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, File, Form, Query, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from lingtan.assets.ledger import ALLOWANCES, CREDITS, ELECTRICITY, KINDS, MovementIn
from lingtan.errors import InputError, InputProblem
from lingtan.i18n import NP_, Message
from lingtan.services.allowances import compliance_status
from lingtan.services.asset_windows import retirement_windows
from lingtan.services.ledger import asset_balances, contract_months, ledger_entries, write_ledger
from lingtan.services.meter_matching import matching_from_meters
from lingtan.store.evidence import EvidenceStore
from lingtan.store.models import Evidence, Facility
from lingtan.web import api_ledger, i18n
from lingtan.web.accounts import Principal
from lingtan.web.api import EVIDENCE_KINDS
from lingtan.web.api_energy import Upload, _uploaded
from lingtan.web.deps import ApiError, Db, User
from lingtan.web.deps import facility as scoped_facility
from lingtan.web.screens import _current, chart, refused_page, render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

#: Days ahead in which a closing retirement window is "expiring soon", unless asked otherwise.
WITHIN_DAYS = 90
Year = Annotated[int | None, Query(ge=2000, le=2100)]
Days = Annotated[int | None, Query(ge=0, le=3660)]
_MATCHED = NP_("matching", "matched hour by hour")
#: The heat map's colours from 0 to 100 %: light at 0, steps close together below 40 % where
#: a factory's on-site share mostly lies, dark green at 100 %.
HEAT_COLOURS = [[0, "#f4f1e8"], [0.05, "#e3efc0"], [0.15, "#b5dc8f"], [0.3, "#6fbf73"],
                [0.5, "#2f9a5e"], [0.75, "#1f6f5c"], [1, "#0b3d30"]]  # fmt: skip


def _claim_year(year: int | None) -> int:
    """The claim year shown: the one asked for, else last year (the one being claimed)."""
    return year if year is not None else date.today().year - 1


def _evidence_links(session: Session, ids: set[int]) -> dict[int, tuple[str, str]]:
    """(sha256, file name) of each evidence id, for the download link of the API."""
    if not ids:
        return {}
    rows = session.execute(
        select(Evidence.id, Evidence.sha256, Evidence.filename).where(Evidence.id.in_(ids))
    )
    return {i: (sha, name) for i, sha, name in rows}


def _assets_page(
    request: Request,
    session: Session,
    background: BackgroundTasks,
    facility: str | None,
    year: int | None,
    days: int | None,
    who: Principal | None = None,
    outcome: dict[str, Any] | None = None,
) -> Response:
    def build(principal: Principal):
        site = _current(session, principal, facility)
        shown = _claim_year(year)
        within = WITHIN_DAYS if days is None else days
        holdings = asset_balances(session, site.organization_id, site.id)
        period = (date(shown, 1, 1), date(shown, 12, 31))
        entries = ledger_entries(session, site.organization_id, facility_id=site.id, period=period)
        retired = [e for e in entries if e["action"] == "retire"]
        links = _evidence_links(session, {e["evidence_id"] for e in retired if e["evidence_id"]})
        totals = {
            group: {
                "unit": KINDS[kinds[0]],
                **{
                    key: math.fsum(h[key] for h in holdings if h["kind"] in kinds)
                    for key in ("acquired", "retired", "balance")
                },
            }
            for group, kinds in (("electricity", ELECTRICITY), ("credits", CREDITS))
        }
        facilities = session.scalars(
            select(Facility)
            .where(Facility.organization_id == site.organization_id)
            .where(Facility.id.in_(principal.writable))
            .order_by(Facility.code)
        ).all()
        allowances = [h for h in holdings if h["kind"] in ALLOWANCES]
        surrendered = [e for e in entries if e["action"] == "surrender"]
        compliance = compliance_status(session, site, shown)
        return "assets.html", {
            "site": site,
            "year": shown,
            "days": within,
            "today": date.today().isoformat(),
            "holdings": holdings,
            "totals": totals,
            "retired": retired,
            "links": links,
            "windows": retirement_windows(holdings, shown, date.today(), within),
            "writable": site.id in principal.writable,
            "retire_facilities": [f.code for f in facilities],
            "open_holdings": [
                h for h in holdings if h["balance"] > 0 and h["kind"] not in ALLOWANCES
            ],
            "allowances": allowances,
            "surrendered": surrendered,
            "compliance": compliance,
            "months": contract_months(session, site.organization_id, site.id),
            "outcome": outcome,
        }

    return refused_page(
        render(request, session, background, "assets", build, who),
        outcome and outcome.get("problems"),
    )


@router.get("/assets")
def assets_page(
    request: Request,
    session: Db,
    background: BackgroundTasks,
    facility: str | None = None,
    year: Year = None,
    days: Days = None,
) -> Response:
    return _assets_page(request, session, background, facility, year, days)


def _refused(outcome: dict[str, Any], error: InputError | ApiError, name: str) -> None:
    if isinstance(error, InputError):
        outcome["problems"] = [p.as_dict() for p in error.problems]
        outcome["not_listed"] = error.not_listed()
        return
    if error.status not in (413, 422):
        raise error
    outcome["problems"] = [{"where": name, "field": "file", "value": None, "rule": error.message}]


_RETIREMENT_FORM = Message("retirement form")


def _day(text: str, name: str, where: Message = _RETIREMENT_FORM) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        rule = Message("must be a date (YYYY-MM-DD)")
        raise InputError(InputProblem(where, name, text, rule)) from None


def _number(text: str, where: Message = _RETIREMENT_FORM) -> float:
    try:
        return float(text)
    except ValueError:
        rule = Message("must be a number above 0")
        raise InputError(InputProblem(where, "quantity", text, rule)) from None


@router.post("/assets/retire")
def retire(
    request: Request,
    session: Db,
    who: User,
    background: BackgroundTasks,
    facility: Annotated[str, Query()],
    asset: Annotated[str, Form(max_length=100)],
    quantity: Annotated[str, Form(max_length=40)],
    on_date: Annotated[str, Form(max_length=20)],
    period_start: Annotated[str, Form(max_length=20)],
    period_end: Annotated[str, Form(max_length=20)],
    claim: Annotated[str, Form(max_length=200)],
    serial: Annotated[str, Form(max_length=1000)] = "",
    for_facility: Annotated[str, Form(max_length=100)] = "",
    restate: Annotated[str, Form(max_length=500)] = "",
    evidence: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Retire a quantity of a holding for a facility and a claim period from the assets page
    (managers and admins of the facility): the ledger's rules refuse a double count, more
    than the balance, a claim period its rules forbid or one a locked inventory covers without
    a restatement's reason, and then nothing is written."""
    outcome: dict[str, Any] = {"kind": "retire", "file": asset}
    try:
        with session.begin_nested():
            site = scoped_facility(session, who, facility, write=True)
            store = EvidenceStore(request.app.state.evidence_root)
            movement = MovementIn(
                asset=asset.strip(),
                action="retire",
                quantity=_number(quantity),
                on_date=_day(on_date, "date"),
                serial=serial.strip(),
                facility=for_facility.strip() or site.code,
                period_start=_day(period_start, "period_start"),
                period_end=_day(period_end, "period_end"),
                claim=claim.strip(),
                where=Message("retirement form"),
            )
            with contextlib.ExitStack() as stack:
                if evidence is not None and evidence.filename:
                    path = stack.enter_context(_uploaded(request, evidence, tuple(EVIDENCE_KINDS)))
                    movement = replace(movement, evidence=path)
                done = write_ledger(session, site, (), [movement], evidence=store,
                                    actor=who.name, origin="retirement",
                                    restate=restate.strip() or None)  # fmt: skip
            outcome["result"] = {"entries_added": done.entries_added,
                                 "unchanged": done.entries_unchanged,
                                 "restated": done.restated}  # fmt: skip
    except (InputError, ApiError) as error:
        _refused(outcome, error, asset)
    return _assets_page(request, session, background, facility, None, None, who, outcome)


@router.post("/assets/surrender")
def surrender(
    request: Request,
    session: Db,
    who: User,
    background: BackgroundTasks,
    facility: Annotated[str, Query()],
    asset: Annotated[str, Form(max_length=100)],
    quantity: Annotated[str, Form(max_length=40)],
    on_date: Annotated[str, Form(max_length=20)],
    compliance_year: Annotated[int, Form(ge=2000, le=2100)],
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Surrender (清缴) allowances for the facility and a compliance year from the assets page
    (managers and admins of the facility): more than the balance, a vintage the surrender
    rules refuse or a holding that is not allowances is refused, and nothing is written."""
    outcome: dict[str, Any] = {"kind": "surrender", "file": asset}
    where = Message("surrender form")
    try:
        with session.begin_nested():
            site = scoped_facility(session, who, facility, write=True)
            movement = MovementIn(
                asset=asset.strip(),
                action="surrender",
                quantity=_number(quantity, where),
                on_date=_day(on_date, "date", where),
                facility=site.code,
                compliance_year=compliance_year,
                reason=reason.strip(),
                where=where,
            )
            store = EvidenceStore(request.app.state.evidence_root)
            done = write_ledger(session, site, (), [movement], evidence=store,
                                actor=who.name, origin="surrender")  # fmt: skip
            outcome["result"] = {"entries_added": done.entries_added,
                                 "unchanged": done.entries_unchanged}  # fmt: skip
    except (InputError, ApiError) as error:
        _refused(outcome, error, asset)
    return _assets_page(request, session, background, facility, compliance_year, None, who,
                        outcome)  # fmt: skip


@router.post("/assets/import")
def import_ledger(
    request: Request,
    session: Db,
    who: User,
    background: BackgroundTasks,
    file: Upload,
    facility: Annotated[str, Query()],
) -> Response:
    """Import a ledger file from the assets page (managers and admins of the facility), all or
    nothing, as ``POST /api/v1/facilities/{code}/ledger``."""
    outcome: dict[str, Any] = {"kind": "import", "file": file.filename or ""}
    try:
        with session.begin_nested():
            outcome["result"] = api_ledger.ledger_import(request, session, who, facility, file)
    except (InputError, ApiError) as error:
        _refused(outcome, error, outcome["file"])
    return _assets_page(request, session, background, facility, None, None, who, outcome)


# --- hourly matching ------------------------------------------------------------------------


def heat_map(match: dict[str, Any], t: Any) -> dict[str, Any]:
    """The Plotly heat map of :meth:`HourlyMatch.as_dict`'s ``heat_map``: one column per day,
    one row per hour of the day (0 at the top), the hourly-matched share 0–100 % in colour;
    an hour without consumption is left blank."""
    grid = match["heat_map"]
    days, hours = grid["days"], grid["hours"]
    share = grid["share_pct"]
    z = [[share[d][h] for d in range(len(days))] for h in hours]
    figure = chart(
        [
            {
                "type": "heatmap",
                "x": days,
                "y": hours,
                "z": z,
                "zmin": 0,
                "zmax": 100,
                "colorscale": HEAT_COLOURS,
                "colorbar": {"title": {"text": "%"}, "thickness": 14},
                "hovertemplate": "%{x} %{y}:00 — %{z:.1f} % "
                + t.label(*_MATCHED)
                + "<extra></extra>",
                "xgap": 0,
                "ygap": 0,
            }
        ]
    )
    layout = figure["layout"]
    layout["xaxis"] = {"type": "date", "title": {"text": t.gettext("Day")}}
    layout["yaxis"] = {"title": {"text": t.gettext("Hour of day")}, "autorange": "reversed",
                       "dtick": 3, "range": [23.5, -0.5]}  # fmt: skip
    layout["height"] = 420
    layout["margin"] = {"l": 60, "r": 20, "t": 10, "b": 50}
    return figure


@router.get("/assets/matching")
def matching_page(
    request: Request,
    session: Db,
    background: BackgroundTasks,
    facility: str | None = None,
    year: Year = None,
) -> Response:
    def build(who: Principal):
        site = _current(session, who, facility)
        shown = _claim_year(year)
        t = i18n.texts(i18n.language(request))
        context: dict[str, Any] = {"site": site, "year": shown, "match": None, "problems": None}
        try:
            result = matching_from_meters(session, site, shown).as_dict()
        except InputError as error:
            context["problems"] = [p.as_dict() for p in error.problems]
            return "matching.html", context
        context["match"] = result
        context["figure"] = heat_map(result, t)
        return "matching.html", context

    return render(request, session, background, "assets", build)
