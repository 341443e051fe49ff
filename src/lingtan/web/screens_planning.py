"""The planning page (规划): the stored plans of a facility, one plan's results with its
charts, and two plans side by side.

``POST /planning/plans?facility=CODE`` (managers and admins of the facility) takes a problem
file (the YAML of ``lingtan plan size``), solves it, stores it (as ``plan size --store``) and
shows it; a refused file shows its problems, as the command line names them, and stores
nothing. The solve runs within the request, as a heavy request of
:mod:`lingtan.web.admission` (a place of its own, the queue, its deadline checked before the
solve starts): on up to a year of hours it takes seconds to tens of seconds
(docs/benchmarks.md), and a background job would need a table of its own; a longer series
(quarter hours) is refused here, for ``lingtan plan size FILE --store``.

``/planning?facility=CODE`` lists the stored plans (scenarios); ``&plan=ID`` shows a plan's
sizes, annual balance, shares, emissions, cost breakdown and NPV / IRR / payback from its
stored result (the JSON of ``lingtan plan size``, unchanged: every figure on the page is a
value of it, its unrounded value in ``data-value``), and the charts of its stored series
(:mod:`lingtan.planning.summary`): a typical week's dispatch, the monthly balance and the
duration curves of the load and the grid import. ``&compare=ID`` puts a second plan beside
it with the differences.
"""

from __future__ import annotations

import tempfile
from pathlib import Path, PurePath
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, BackgroundTasks, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from lingtan.errors import InputError, InputProblem
from lingtan.i18n import N_, Message
from lingtan.services.planning import (
    list_plans,
    plan_document,
    read_plan,
    store_plan,
    stored_plan,
)
from lingtan.web import deps, i18n
from lingtan.web.accounts import Principal
from lingtan.web.admission import watch
from lingtan.web.api import MAX_ID
from lingtan.web.deps import ApiError, Db, User
from lingtan.web.screens import _current, chart, refused_page, render

__all__ = ["FIGURES", "router"]

router = APIRouter(include_in_schema=False)
#: A stored plan's id in the page's query.
PlanId = Annotated[int | None, Query(ge=1, le=MAX_ID)]

#: The figures of a plan's result on the page, by group: (key, label, unit, decimals, scale
#: from the result's unit to the one shown).
FIGURES: dict[str, tuple[tuple[str, str, str, int, float], ...]] = {
    "sizes": (
        ("pv_kw", N_("PV capacity"), "kW", 1, 1.0),
        ("battery_kwh", N_("Storage energy capacity"), "kWh", 1, 1.0),
        ("battery_kw", N_("Storage power"), "kW", 1, 1.0),
        ("wind_kw", N_("Wind capacity"), "kW", 1, 1.0),
        ("heat_pump_kw", N_("Heat pump capacity"), "kW", 1, 1.0),
        ("electric_boiler_kw", N_("Electric boiler capacity"), "kW", 1, 1.0),
        ("thermal_storage_kwh", N_("Thermal storage capacity"), "kWh", 1, 1.0),
    ),
    "balance": (
        ("load_mwh", N_("Electricity load"), "MWh", 1, 1.0),
        ("pv_generation_mwh", N_("PV generation"), "MWh", 1, 1.0),
        ("pv_curtailed_mwh", N_("PV curtailed"), "MWh", 1, 1.0),
        ("wind_generation_mwh", N_("Wind generation"), "MWh", 1, 1.0),
        ("grid_import_mwh", N_("Electricity bought from the grid"), "MWh", 1, 1.0),
        ("grid_export_mwh", N_("Electricity fed into the grid"), "MWh", 1, 1.0),
        ("peak_import_kw", N_("Peak grid import"), "kW", 1, 1.0),
        ("green_power_mwh", N_("Green power bought"), "MWh", 1, 1.0),
        ("gec_mwh", N_("GECs bought"), "MWh", 1, 1.0),
    ),
    "shares": (
        ("self_consumption", N_("Self-consumption rate"), "%", 1, 100.0),
        ("self_sufficiency", N_("Self-sufficiency rate"), "%", 1, 100.0),
        ("renewable_share", N_("Renewable energy share"), "%", 1, 100.0),
    ),
    "emissions": (
        ("emissions_tco2e", N_("Emissions (location-based)"), "tCO2e", 1, 1.0),
        ("emissions_market_tco2e", N_("Emissions (market-based)"), "tCO2e", 1, 1.0),
    ),
    "finance": (
        ("objective_cny_per_year", N_("Annualised cost"), "CNY/a", 0, 1.0),
        ("do_nothing_cost_cny_per_year", N_("Annualised cost without the plan"), "CNY/a", 0,
         1.0),
        ("savings_cny_per_year", N_("Savings per year"), "CNY/a", 0, 1.0),
        ("capex_cny", N_("Investment"), "CNY", 0, 1.0),
        ("npv_cny", N_("Net present value (NPV)"), "CNY", 0, 1.0),
        ("irr", N_("Internal rate of return (IRR)"), "%", 1, 100.0),
        ("simple_payback_years", N_("Payback period (static)"), N_("years"), 1, 1.0),
        ("discounted_payback_years", N_("Payback period (discounted)"), N_("years"), 1, 1.0),
    ),
}  # fmt: skip
#: The units that are words (translated); the others are symbols.
_UNIT_WORDS = (N_("years"),)
_GROUPS = {
    "sizes": N_("Sizes"),
    "balance": N_("Annual electricity balance"),
    "shares": N_("Self-consumption, self-sufficiency and renewable share"),
    "emissions": N_("Emissions"),
    "finance": N_("Costs, NPV, IRR and payback"),
}
#: The parts of the annualised cost, as ``cost_cny_per_year`` names them.
COST_PARTS = {
    "grid_energy": N_("Grid energy"),
    "demand_charge": N_("Demand charge"),
    "capacity_charge": N_("Capacity charge"),
    "pv": N_("PV"),
    "wind": N_("Wind"),
    "battery_energy": N_("Storage (energy)"),
    "battery_power": N_("Storage (power)"),
    "battery_throughput": N_("Storage throughput"),
    "export_revenue": N_("Export revenue"),
    "heat_pump": N_("Heat pump"),
    "electric_boiler": N_("Electric boiler"),
    "thermal_storage": N_("Thermal storage"),
    "fuel": N_("Boiler fuel"),
    "green_power": N_("Green power"),
    "gec": N_("GECs"),
    "penalties": N_("Rules missed (penalty)"),
}
#: The flows of the week chart: key, label, colour, sign (supply above zero, use below).
_WEEK = (
    ("pv_used_kw", N_("PV used on site"), "#c9a227", 1),
    ("wind_used_kw", N_("Wind used on site"), "#8a6fb3", 1),
    ("discharge_kw", N_("Storage discharge"), "#1f6f5c", 1),
    ("grid_import_kw", N_("Grid import"), "#4f9fd6", 1),
    ("charge_kw", N_("Storage charge"), "#7fb8a4", -1),
    ("export_kw", N_("Export to the grid"), "#d16a4a", -1),
)


def _shown(key: str, result: dict[str, Any]) -> bool:
    """A figure of a technology the plan has (sizes and flows that are all zero are left
    out, the always-present figures kept)."""
    value = result.get(key)
    if value is None:
        return key in ("irr", "simple_payback_years", "discounted_payback_years", "npv_cny")
    optional = ("wind_", "heat_pump", "electric_boiler", "thermal_storage", "green_power",
                "gec_", "pv_curtailed")  # fmt: skip
    return not (key.startswith(optional) and not value)


def _unit(unit: str, t: Any) -> str:
    return t.gettext(unit) if unit in _UNIT_WORDS else unit


def _figures(result: dict[str, Any], t: Any) -> list[dict[str, Any]]:
    groups = []
    for group, rows in FIGURES.items():
        shown = [
            {"key": key, "label": t.gettext(label), "unit": _unit(unit, t), "decimals": digits,
             "value": result.get(key), "shown": None if result.get(key) is None
             else result[key] * scale}
            for key, label, unit, digits, scale in rows if _shown(key, result)
        ]  # fmt: skip
        groups.append({"key": group, "title": t.gettext(_GROUPS[group]), "rows": shown})
    return groups


def _charts(series: dict[str, Any], t: Any) -> dict[str, dict[str, Any]]:
    """The Plotly figures of a plan's stored series."""
    week = series["week"]
    traces = [
        {"type": "scatter", "mode": "lines", "x": week["hours"],
         "y": [sign * v for v in week[key]], "name": t.gettext(label), "stackgroup":
         "supply" if sign > 0 else "use", "line": {"width": 0.5, "color": colour}}
        for key, label, colour, sign in _WEEK if key in week and any(week[key])
    ] + [
        {"type": "scatter", "mode": "lines", "x": week["hours"], "y": week["load_kw"],
         "name": t.gettext("Load"), "line": {"color": "#222", "width": 1.5}}
    ]  # fmt: skip
    dispatch = chart(traces, y_title="kW")
    dispatch["layout"]["xaxis"] = {"type": "date"}
    dispatch["layout"]["yaxis"]["rangemode"] = "normal"
    months = series["months"]
    monthly = chart(
        [{"type": "bar", "x": months["month"], "y": months[key], "name": t.gettext(label)}
         for key, label in (("load_mwh", N_("Load")), ("pv_mwh", N_("PV generation")),
                            ("wind_mwh", N_("Wind generation")),
                            ("grid_import_mwh", N_("Grid import")),
                            ("grid_export_mwh", N_("Export to the grid")))
         if key in months and any(months[key])],
        y_title="MWh",
    )  # fmt: skip
    duration = series["duration"]
    curves = chart(
        [{"type": "scatter", "mode": "lines", "x": [100 * s for s in duration["share"]],
          "y": duration[key], "name": t.gettext(label)}
         for key, label in (("load_kw", N_("Load")), ("grid_import_kw", N_("Grid import")))],
        y_title="kW",
    )  # fmt: skip
    curves["layout"]["xaxis"] = {"type": "linear", "title": {"text": t.gettext(
        "Share of the year the value is exceeded (%%)")}}  # fmt: skip
    return {"dispatch": dispatch, "monthly": monthly, "duration": curves}


def _comparison(a: dict[str, Any], b: dict[str, Any], t: Any) -> list[dict[str, Any]]:
    rows = []
    for group, figures in FIGURES.items():
        for key, label, unit, digits, scale in figures:
            if not (_shown(key, a) or _shown(key, b)):
                continue
            va, vb = a.get(key), b.get(key)
            rows.append({
                "group": group, "key": key, "label": t.gettext(label), "unit": _unit(unit, t),
                "decimals": digits, "a": va, "b": vb,
                "shown_a": None if va is None else va * scale,
                "shown_b": None if vb is None else vb * scale,
                "difference": None if va is None or vb is None else (vb - va) * scale,
            })  # fmt: skip
    return rows


def _of_site(session: Db, site: Any, plan_id: int | None):
    if plan_id is None:
        return None
    try:
        row = stored_plan(session, plan_id)
    except InputError:
        raise ApiError(404, Message("no such plan")) from None
    if row.facility_id not in (None, site.id):
        raise ApiError(404, Message("no such plan"))
    return row


@router.get("/planning")
def planning_page(
    request: Request,
    session: Db,
    background: BackgroundTasks,
    facility: str | None = None,
    plan: PlanId = None,
    compare: PlanId = None,
) -> Response:
    return _page(request, session, background, facility, plan, compare)


#: The most steps a plan solved on the page has: a year of hours.
MAX_PAGE_STEPS = 8760
_KINDS = (".yaml", ".yml")


def _uploaded_text(request: Request, upload: UploadFile) -> tuple[str, str]:
    """The name and the UTF-8 text of an uploaded problem file; refused when too large,
    empty, not YAML or not UTF-8 text."""
    limit = request.app.state.max_upload_bytes
    content = upload.file.read(limit + 1)
    name = PurePath(upload.filename or "upload.yaml").name[:200] or "upload.yaml"
    if len(content) > limit:
        rule = Message("the file is larger than %(limit)s bytes", limit=limit)
        raise InputError(InputProblem(name, "file", name, rule))
    if PurePath(name).suffix.lower() not in _KINDS:
        rule = Message("not an accepted kind of file (%(kinds)s)", kinds=", ".join(_KINDS))
        raise InputError(InputProblem(name, "file", name, rule))
    if not content:
        raise InputError(InputProblem(name, "file", name, Message("is empty")))
    try:
        return name, content.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(InputProblem(name, "file", name, Message("is not UTF-8 text"))) from None


def _solve_and_store(request: Request, session: Db, who: Principal, site, upload, name: str):
    """Read, solve and store the uploaded problem as ``plan size --store`` (see the module);
    returns the stored row. A load or PV output from the metering tree is the page's
    facility's (another one is refused)."""
    from lingtan.planning.sizing import solve_sizing

    file_name, text = _uploaded_text(request, upload)
    with tempfile.TemporaryDirectory(prefix="lingtan-plan-") as folder:  # no file beside it
        read = read_plan(session, Path(folder) / file_name, text=text, facility=site.code)
    if read.problem.steps > MAX_PAGE_STEPS:
        rule = Message("%(steps)d steps are more than the page solves (%(limit)d, a year of "
                       "hours): store it with lingtan plan size FILE --store",
                       steps=read.problem.steps, limit=MAX_PAGE_STEPS)  # fmt: skip
        raise InputError(InputProblem(file_name, "load", read.problem.steps, rule))
    watch(request).check()  # the client still waits and the deadline has not passed
    result = solve_sizing(read.problem)
    return store_plan(session, plan=read, result=result, text=text, actor=who.name,
                      name=name.strip() or None, facility=site,
                      problem_file=f"upload:{file_name}")  # fmt: skip


@router.post("/planning/plans")
def store_plan_page(
    request: Request,
    session: Db,
    who: User,
    background: BackgroundTasks,
    file: Annotated[UploadFile, File(description="The problem file (YAML) of plan size.")],
    facility: Annotated[str, Query()],
    name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Solve and store a plan from an uploaded problem file (managers and admins)."""
    site = deps.facility(session, who, facility, write=True)
    file_name = PurePath(file.filename or "").name
    try:
        with session.begin_nested():
            row = _solve_and_store(request, session, who, site, file, name)
    except InputError as error:
        outcome = {"file": file_name, "problems": [p.as_dict() for p in error.problems],
                   "not_listed": error.not_listed()}  # fmt: skip
        return refused_page(
            _page(request, session, background, site.code, None, None, outcome, who),
            outcome["problems"],
        )
    target = f"/planning?facility={quote(site.code)}&plan={row.id}"
    return RedirectResponse(target, status_code=303)


def _page(request, session, background, facility, plan, compare, outcome=None, who=None):
    lang = i18n.language(request)
    t = i18n.texts(lang)

    def build(principal: Principal):
        site = _current(session, principal, facility)
        plans = [plan_document(row) for row in list_plans(session, site)]
        chosen = _of_site(session, site, plan if plan is not None else
                          (plans[0]["id"] if plans else None))  # fmt: skip
        other = _of_site(session, site, compare)
        shown = plan_document(chosen) if chosen is not None else None
        context: dict[str, Any] = {
            "site": site,
            "writable": site.id in principal.writable,
            "outcome": outcome,
            "max_steps": MAX_PAGE_STEPS,
            "plans": plans,
            "plan": shown,
            "other": plan_document(other) if other is not None else None,
            "figures": _figures(shown["result"], t) if shown else [],
            "cost_parts": [
                {"key": key, "label": t.gettext(COST_PARTS.get(key, key)), "value": value}
                for key, value in shown["result"].get("cost_cny_per_year", {}).items()
            ] if shown else [],
            "charts": _charts(chosen.series, t) if chosen is not None else {},
        }  # fmt: skip
        if other is not None and shown is not None:
            context["comparison"] = _comparison(shown["result"], other.result, t)
        return "planning.html", context

    return render(request, session, background, "planning", build, who)
