"""The screens of the web application (HTML): overview, inventory, factors and audit log.

How a screen is built
    A route calls :func:`render` with a function ``build(who) -> (template, context)``.
    :func:`render` signs the user in (or redirects to ``/login``), picks the language
    (:mod:`lingtan.web.i18n`), and answers the scoped look-ups' 403 and 404 with an error page,
    so a screen never shows anything of a facility its user may not read. Templates extend
    ``base.html``, which draws the navigation (:data:`NAV`), the facility selector (only the
    user's facilities), the language switch and the sign-out form.

Figures and charts
    Numbers are shown with :func:`number` (thousands separators, fixed decimals) and carry
    their unrounded value in a ``data-value`` attribute, so a test or a script reads exactly
    what the API gives. A chart is a ``<div class="chart" data-chart="ID">`` next to a
    ``<script type="application/json" id="ID">`` holding a Plotly figure (``data`` and
    ``layout``); ``static/charts.js`` draws it with the Plotly bundled in the ``plotly``
    package, served from ``/static/plotly.min.js`` (no CDN: the Content-Security-Policy allows
    scripts from lingtan only, and none inline). :func:`chart` builds such a figure.

Nothing here computes: the overview is :func:`lingtan.services.overview.facility_overview`
(the same function as the API's), an inventory page reads the stored snapshot, and a line is
:func:`lingtan.services.inventory.trace`.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import plotly
from fastapi import APIRouter, BackgroundTasks, Query, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from lingtan.errors import InputError
from lingtan.i18n import N_, NP_, Message
from lingtan.services import inventory as inventories
from lingtan.services.overview import facility_overview
from lingtan.store.models import Facility, Inventory
from lingtan.web import api, api_cost, api_energy, deps, i18n
from lingtan.web.accounts import Principal
from lingtan.web.admission import watch
from lingtan.web.deps import ApiError, Db, User
from lingtan.web.i18n import named
from lingtan.web.kept import kept
from lingtan.web.pages import _local, templates
from lingtan.web.screens_reconciliation import reconciliation_block

__all__ = ["NAV", "chart", "number", "render", "router"]

router = APIRouter(include_in_schema=False)
STATIC = Path(__file__).parent / "static"
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"

#: The navigation: (key, (context, text), path or None while the screen is still to come,
#: shown to whom: None for everyone, else the name of a Principal property).
NAV: tuple[tuple[str, tuple[str, str], str | None, str | None], ...] = (
    ("overview", NP_("nav", "Overview"), "/overview", None),
    ("energy", NP_("nav", "Energy"), "/energy", None),
    ("budgets", NP_("nav", "Budgets"), "/budgets", None),
    ("intensity", NP_("nav", "Intensity"), "/intensity", None),
    ("efficiency", NP_("nav", "Efficiency"), "/efficiency", None),
    ("planning", NP_("nav", "Planning"), "/planning", None),
    ("footprint", NP_("nav", "Product footprints"), "/footprint", None),
    ("assets", NP_("nav", "Carbon assets"), "/assets", None),
    ("evaluation", NP_("nav", "Evaluation"), "/evaluation", None),
    ("alerts", NP_("nav", "Alerts"), "/alerts", None),
    ("inventory", NP_("nav", "Inventory"), "/inventories", None),
    ("data", NP_("nav", "Data"), "/data", None),
    ("factors", NP_("nav", "Factors"), "/factors", None),
    ("reports", NP_("nav", "Reports"), "/reports", None),
    ("audit", NP_("nav", "Audit log"), "/audit", "reads_audit_log"),
)

#: Trace colours of the charts: Scope 1, 2 and 3, then others.
COLOURS = ("#1f6f5c", "#4f9fd6", "#c9a227", "#8a6fb3", "#d16a4a")

Build = Callable[[Principal], tuple[str, dict[str, Any]]]
Locate = Callable[[Principal], tuple[Facility, Hashable]]


def number(value: float | None, decimals: int = 1) -> str:
    """A figure as shown on screens: thousands separators, ``decimals`` places; — for none."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:,.{decimals}f}"


def chart(
    traces: list[dict[str, Any]], *, y_title: str = "", barmode: str | None = None
) -> dict[str, Any]:
    """A Plotly figure for ``static/charts.js``: ``traces`` in Plotly's form, a plain layout
    in the house colours (system fonts, CJK included)."""
    layout: dict[str, Any] = {
        "margin": {"l": 60, "r": 20, "t": 20, "b": 40},
        "legend": {"orientation": "h", "y": -0.15, "traceorder": "normal"},
        "yaxis": {"title": {"text": y_title}, "rangemode": "tozero", "gridcolor": "#e3e8e6"},
        "xaxis": {"type": "category"},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "font": {"family": "system-ui, 'Noto Sans CJK SC', sans-serif", "size": 13},
        "colorway": list(COLOURS),
    }
    if barmode:
        layout["barmode"] = barmode
    return {"data": traces, "layout": layout}


# --- the frame ------------------------------------------------------------------------------


def _signed_in(request: Request, session: Session, background: BackgroundTasks) -> Principal:
    """The user of a page request; a browser without a session goes to the sign-in page."""
    try:
        return deps.principal(request, session, None, background)
    except ApiError as error:
        if error.status != 401:
            raise
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        location = "/login?next=" + quote(target, safe="/")
        raise ApiError(303, Message("sign in first"), {"Location": location}) from None


def _facilities(session: Session, who: Principal) -> list[Facility]:
    return list(session.scalars(deps.readable_facilities(who).order_by(Facility.code)))


def _page(request: Request, template: str, context: dict[str, Any], status: int = 200):
    return templates.TemplateResponse(request, template, context, status_code=status)


#: Pages that show the facility chosen in the selector (others go to the overview).
_SWITCHABLE = ("/overview", "/inventories", "/energy", "/budgets", "/intensity", "/alerts",
               "/efficiency", "/evaluation", "/footprint", "/planning", "/data", "/reports",
               "/assets", "/assets/matching")  # fmt: skip


def refused_page(response: Response, refused: Any) -> Response:
    """``response``, as 422 when the page it shows answers a refused input (a form's or an
    upload's problems), as the data page answers an import."""
    if refused and response.status_code == 200:
        response.status_code = 422
    return response


def render(
    request: Request,
    session: Session,
    background: BackgroundTasks,
    active: str,
    build: Build,
    who: Principal | None = None,
    *,
    locate: Locate | None = None,
) -> Response:
    """The page of ``build(who)`` in the frame, or the error page of its 403/404; ``who`` is
    given by a form post that answers with a page (its CSRF token already checked).

    A page that shows one facility's data over a period gives ``locate(who)``: the facility
    (a scoped look-up) and what else the page is of (its period and options). Its own blocks
    (title, head, main) are then kept per facility, language, data version and those
    (:mod:`lingtan.web.kept`): ``build`` runs once per version, the frame (which is the
    user's) for every request."""
    who = who or _signed_in(request, session, background)
    lang = i18n.language(request)
    t = i18n.texts(lang)
    facilities = _facilities(session, who)
    chosen = request.query_params.get("facility")
    current = next(
        (f for f in facilities if f.code == chosen), facilities[0] if facilities else None
    )
    frame = {
        "who": who,
        "lang": lang,
        "languages": i18n.LANGUAGES,
        "here": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        "nav": [
            (key, t.pgettext(*label), path)
            for key, label, path, rule in NAV
            if rule is None or getattr(who, rule)
        ],
        "active": active,
        "switch_to": request.url.path if request.url.path in _SWITCHABLE else "/overview",
        "facilities": facilities,
        "current": current,
        "number": number,
        "category_name": lambda code: i18n.category_name(code, lang),
    }
    try:
        if locate is None:
            template, context = build(who)
        else:
            template, context = _kept_page(request, session, who, active, frame, locate, build)
    except ApiError as error:
        if error.status not in (403, 404):
            raise
        message = (
            t.gettext("You may not see this page.")
            if error.status == 403
            else t.gettext("There is no such page or object.")
        )
        frame["here"] = "/overview"  # an error page repeats nothing of what was asked
        return _page(
            request,
            "error.html",
            {**frame, "status": error.status, "message": message},
            error.status,
        )
    except InputError:
        frame["here"] = "/overview"
        return _page(
            request,
            "error.html",
            {**frame, "status": 404, "message": t.gettext("There is no such page or object.")},
            404,
        )
    return _page(request, template, {**frame, **context})


#: What of the frame is the user's own, and so never part of a kept block.
_USERS_OWN = ("who", "facilities", "nav", "here")
#: The blocks of a page (those of ``base.html``), kept by :func:`_kept_page`.
_BLOCKS = ("title", "head", "main")


def _kept_page(
    request: Request,
    session: Session,
    who: Principal,
    active: str,
    frame: dict[str, Any],
    locate: Locate,
    build: Build,
) -> tuple[str, dict[str, Any]]:
    """``kept.html`` with the blocks of ``build(who)``'s page, built once per version."""
    site, what = locate(who)
    version = api_energy.fresh_version(request, session, site)
    key = (active, what, frame["lang"], site.id, version)
    pages = kept(request.app, "pages")
    blocks = pages.get(key)
    if blocks is None:
        watch(request).check()
        name, context = build(who)
        shared = {k: v for k, v in frame.items() if k not in _USERS_OWN}
        page = templates.get_template(name)
        rendering = page.new_context({"request": request, **shared, **context})
        blocks = {
            block: Markup("".join(page.blocks[block](rendering)) if block in page.blocks else "")
            for block in _BLOCKS
        }
        blocks["template"] = name  # the page's own, for whoever inspects the answer
        pages.put(key, blocks)
    return "kept.html", {"kept": blocks, "site": site}


def _current(session: Session, who: Principal, code: str | None) -> Facility:
    """The facility a page is about: the one asked for (scoped), else the user's first."""
    if code:
        return deps.facility(session, who, code)
    first = session.scalars(deps.readable_facilities(who).order_by(Facility.code)).first()
    if first is None:
        raise ApiError(404, Message("no facility"))
    return first


# --- static files and the language switch ---------------------------------------------------


@router.get("/static/plotly.min.js")
def plotly_js() -> Response:
    return FileResponse(PLOTLY_JS, media_type="text/javascript", headers=_CACHE)


_CACHE = {"Cache-Control": "public, max-age=3600"}


@router.get("/static/{name}")
def static_file(name: str) -> Response:
    """The stylesheet and scripts of the screens (one folder, no sub-paths)."""
    path = STATIC / name
    if "/" in name or "\\" in name or name.startswith(".") or not path.is_file():
        raise ApiError(404, Message("no such file"))
    return FileResponse(path, headers=_CACHE)


@router.get("/lang/{code}")
def switch_language(code: str, next: str = "/") -> Response:
    """Set the language cookie and go back to the page."""
    if code not in i18n.LANGUAGES:
        raise ApiError(404, Message("no such language"))
    response = RedirectResponse(_local(next), status_code=303)
    response.set_cookie(i18n.LANG_COOKIE, code, max_age=365 * 86400, samesite="lax", path="/")
    return response


# --- overview -------------------------------------------------------------------------------


def _latest_year(session: Session, site: Facility) -> int | None:
    latest = session.scalars(
        select(Inventory.period_end)
        .where(Inventory.facility_id == site.id, Inventory.status.in_(("locked", "computed")))
        .order_by(Inventory.period_end.desc())
    ).first()
    return latest.year if latest else None


def _trend_chart(trend: list[dict[str, Any]], t: i18n.Texts) -> dict[str, Any]:
    months = [row["month"] for row in trend]
    series = (
        ("scope1_tco2e", N_("Scope 1")),
        ("scope2_location_tco2e", N_("Scope 2 (location-based)")),
        ("scope3_tco2e", N_("Scope 3")),
    )
    traces = [
        {"type": "bar", "name": t.gettext(label), "x": months, "y": [row[key] for row in trend]}
        for key, label in series
        if any(row[key] for row in trend)
    ]
    return chart(traces, y_title="tCO2e", barmode="stack")


@router.get("/")
def home(request: Request, session: Db, background: BackgroundTasks) -> Response:
    _signed_in(request, session, background)
    return RedirectResponse("/overview", status_code=303)


@router.get("/overview")
def overview(
    request: Request,
    session: Db,
    background: BackgroundTasks,
    facility: str | None = None,
    year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
) -> Response:
    def locate(who: Principal):
        site = _current(session, who, facility)
        return site, year or _latest_year(session, site)

    def build(who: Principal):
        site, shown = locate(who)
        t = i18n.texts(i18n.language(request))
        data = facility_overview(session, site, shown) if shown else None
        figure = _trend_chart(data["trend"], t) if data and data["inventory"] else None
        reconciliation = reconciliation_block(request, session, who, site, shown)
        cost = None
        # a metering tree that cannot be read leaves the cost out: the energy page says why
        with contextlib.suppress(InputError):
            cost = api_cost.energy_cost(request, session, who, site.code, shown) if shown else None
        return "overview.html", {"site": site, "year": shown, "data": data, "figure": figure,
                                 "reconciliation": reconciliation, "cost": cost,
                                 "type_name": named(t, "energy.type")}  # fmt: skip

    return render(request, session, background, "overview", build, locate=locate)


# --- inventories ----------------------------------------------------------------------------


def _inventory(session: Session, who: Principal, inventory_id: int, *, write: bool = False):
    statement = select(Inventory).where(Inventory.id == inventory_id)
    return deps.scoped(
        session,
        who,
        statement,
        Inventory.facility_id,
        write=write,
        what=Message("no such inventory"),
    )


@router.get("/inventories")
def inventory_list(
    request: Request, session: Db, background: BackgroundTasks, facility: str | None = None
) -> Response:
    def build(who: Principal):
        site = _current(session, who, facility)
        rows = session.scalars(
            select(Inventory).where(Inventory.facility_id == site.id).order_by(Inventory.id.desc())
        ).all()
        return "inventories.html", {"site": site, "inventories": rows}

    return render(request, session, background, "inventory", build)


def _scope_totals(totals: dict[str, Any]) -> list[tuple[str, float]]:
    return [
        (N_("Scope 1"), totals["scope1_tco2e"]),
        (N_("Scope 2 (location-based)"), totals["scope2_location_tco2e"]),
        (N_("Scope 2 (market-based)"), totals["scope2_market_tco2e"]),
        (N_("Scope 3"), totals["scope3_tco2e"]),
    ]


@router.get("/inventories/{inventory_id}")
def inventory_page(
    request: Request,
    session: Db,
    background: BackgroundTasks,
    inventory_id: api.Id,
    category: str | None = None,
) -> Response:
    def build(who: Principal):
        found = _inventory(session, who, inventory_id)
        site = session.get(Facility, found.facility_id)
        totals = found.result["totals"]
        lines = [
            line
            for line in found.result["lines"]
            if category is None or line["gbt32150_category"] == category
        ]
        return "inventory.html", {
            "site": site,
            "inventory": found,
            "totals": totals,
            "scopes": _scope_totals(totals),
            "categories": totals["by_gbt32150_category_tco2e"],
            "category": category,
            "lines": lines,
            "writable": found.facility_id in who.writable and found.status == "computed",
        }

    return render(request, session, background, "inventory", build)


@router.get("/inventories/{inventory_id}/lines/{line_id}")
def line_page(
    request: Request,
    session: Db,
    background: BackgroundTasks,
    inventory_id: api.Id,
    line_id: str,
) -> Response:
    def build(who: Principal):
        found = _inventory(session, who, inventory_id)
        site = session.get(Facility, found.facility_id)
        return "line.html", {
            "site": site,
            "inventory": found,
            "trace": inventories.trace(session, found.id, line_id),
        }

    return render(request, session, background, "inventory", build)


@router.post("/inventories/{inventory_id}/lock")
def lock_inventory(session: Db, who: User, inventory_id: api.Id) -> Response:
    """Lock a computed inventory from its page (managers and admins of its facility)."""
    _inventory(session, who, inventory_id, write=True)
    inventories.lock(session, inventory_id, actor=who.name)
    return RedirectResponse(f"/inventories/{inventory_id}", status_code=303)


# --- factors and audit log ------------------------------------------------------------------


@router.get("/factors")
def factors_page(
    request: Request,
    session: Db,
    background: BackgroundTasks,
    family: str | None = None,
    region: str | None = None,
    set: str | None = None,
) -> Response:
    def build(who: Principal):
        library = inventories.library_for(session)
        every = sorted(library.sets(), key=lambda s: (s.family, s.set_id))
        sets = [s for s in every if not family or s.family == family]
        if region:
            sets = [s for s in sets if any(f.region == region for f in s.factors)]
        chosen = next((s for s in every if s.set_id == set), None)
        rows = [
            f.provenance()
            for f in (chosen.factors if chosen else ())
            if not region or f.region == region
        ]
        return "factors.html", {
            "sets": sets,
            "families": sorted({s.family for s in every}),
            "regions": sorted({f.region for s in every for f in s.factors if f.region}),
            "family": family or "",
            "region": region or "",
            "chosen": chosen,
            "rows": rows,
        }

    return render(request, session, background, "factors", build)


AUDIT_PAGE = 50


@router.get("/audit")
def audit_page(
    request: Request,
    session: Db,
    background: BackgroundTasks,
    page: Annotated[int, Query(ge=1, le=api.MAX_ID // AUDIT_PAGE)] = 1,
) -> Response:
    def build(who: Principal):
        if not who.reads_audit_log:
            raise ApiError(403, Message("only admins and auditors read the audit log"))
        entries = api.audit_log(session, who, None, AUDIT_PAGE, (page - 1) * AUDIT_PAGE)
        pages = max(1, -(-entries["total"] // AUDIT_PAGE))
        return "audit.html", {"entries": entries, "page": page, "pages": pages}

    return render(request, session, background, "audit", build)
