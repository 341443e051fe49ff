"""The energy, data and report screens: energy by node and type, time-of-use split, energy
flow, balance alerts and meter data quality; file imports and the meter tree; report jobs.

Every figure is the answer of the JSON API's own function (:mod:`lingtan.web.api_energy`,
:mod:`lingtan.web.api_reports`) called with the page's session, so a page shows exactly what
the API gives. The frame, charts and numbers are those of :mod:`lingtan.web.screens`.

Imports from the data page are plain multipart form posts carrying the session's CSRF token
(no script needed); the file is imported inside a savepoint, so a refused file leaves nothing
behind and its problems (where, field, value, rule) are shown in the page. Reports are written
in the background: ``static/reports.js`` starts the job through the API and polls it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Path, Query, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from lingtan.errors import InputError
from lingtan.i18n import Message
from lingtan.metering.dead_letters import dead_letters, retry_dead_letter
from lingtan.metering.energy import LOSSES
from lingtan.metering.energy_store import last_metered_day, month_span
from lingtan.store.models import Facility, IngestDeadLetter, Inventory, Meter
from lingtan.web import api_cost, api_energy, i18n
from lingtan.web.accounts import Principal
from lingtan.web.api_energy import Upload
from lingtan.web.deps import ApiError, Db, User
from lingtan.web.i18n import named as _named
from lingtan.web.screens import COLOURS, _current, chart, refused_page, render
from lingtan.web.screens_reconciliation import reconciliation_block

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

Year = Annotated[int | None, Query(ge=2000, le=2100)]
Month = Annotated[int | None, Query(ge=1, le=12)]
#: Incomplete meter-days listed under the heat map (the heat map shows them all).
QUALITY_ROWS = 60
#: Colours of the time-of-use periods (others take the house colours).
TOU_COLOURS = {"critical_peak": "#8a2b1e", "peak": "#d16a4a", "flat": "#4f9fd6",
               "valley": COLOURS[0], "deep_valley": "#154d40"}  # fmt: skip


def _period(session: Session, site: Facility, year: int | None, month: int | None):
    """The year shown (asked, else that of the latest daily total, else this year)."""
    if year is None:
        latest = last_metered_day(session, site)
        year = latest.year if latest else datetime.now(UTC).year
    return year, month


def _node_names(session: Session, who: Principal, site: Facility) -> Callable[[str], str]:
    """``name(code)``: a node of the metering tree as "name (code)"."""
    names = {
        n["code"]: n["name"] for n in api_energy.metering_tree(session, who, site.code)["nodes"]
    }

    def name(code: str) -> str:
        return f"{names[code]} ({code})" if names.get(code) else code

    return name


# --- energy ---------------------------------------------------------------------------------


def _flow_label(node: dict[str, Any], t: i18n.Texts) -> str:
    """A Sankey node's label in the page's language: sources, export and losses by their
    official terms (外购电力, 自发光伏发电 …); nodes of the tree by their names."""
    flow, _, energy_type = node["id"].partition(":")
    if energy_type and flow in ("supply", "generation"):
        return t.name_of("energy.source", flow, type=_named(t, "energy.type")(energy_type))
    if node["id"] in ("export", LOSSES):
        return (
            t.pgettext("energy.flow", "export")
            if node["id"] == "export"
            else t.gettext("unmetered and losses")
        )
    return node["label"]


def _sankey(flow: dict[str, Any], t: i18n.Texts) -> dict[str, Any] | None:
    if not flow["links"]:
        return None
    figure = chart(
        [
            {
                "type": "sankey",
                "valueformat": ",.2f",
                "valuesuffix": " tce",
                "node": {
                    "label": [_flow_label(n, t) for n in flow["nodes"]],
                    "pad": 18,
                    "thickness": 16,
                    "color": COLOURS[0],
                },
                "link": {
                    "source": [link["source"] for link in flow["links"]],
                    "target": [link["target"] for link in flow["links"]],
                    "value": [link["value_tce"] for link in flow["links"]],
                    "color": "rgba(79, 159, 214, 0.35)",
                },
            }
        ]
    )
    del figure["layout"]["xaxis"], figure["layout"]["yaxis"]
    figure["layout"]["margin"] = {"l": 10, "r": 10, "t": 10, "b": 10}
    return figure


def _monthly_chart(periods: list[dict[str, Any]]) -> dict[str, Any] | None:
    months = [p["period"] for p in periods if p["facility_energy_tce"] is not None]
    if not months:
        return None
    values = [p["facility_energy_tce"] for p in periods if p["facility_energy_tce"] is not None]
    return chart([{"type": "bar", "x": months, "y": values, "name": "tce"}], y_title="tce")


def _tou(request: Request, session: Session, who: Principal, site: Facility, year, month):
    """The time-of-use split of each physical electricity supply meter, per month shown:
    ``(rows, problems)``; ``problems`` say why a month has none (no calendar in force)."""
    meters = session.scalars(
        select(Meter.code)
        .where(Meter.facility_id == site.id, Meter.energy_type == "electricity")
        .where(Meter.flow == "supply", Meter.virtual_formula.is_(None))
        .order_by(Meter.code)
    ).all()
    rows, problems = [], []
    for m in [month] if month else range(1, 13):
        for code in meters:
            try:
                rows.append(api_energy.meter_tou(session, who, site.code, code, year, m))
            except InputError as error:
                problems += [
                    Message("%(month)s: %(reason)s", month=f"{year}-{m:02d}", reason=p.rule)
                    for p in error.problems
                ]
                break  # the same calendar is missing for every meter of the month
    measured = [
        r for r in rows if any(p["intervals"] > p["missing_intervals"] for p in r["periods"])
    ]
    return measured, problems


def _tou_chart(rows: list[dict[str, Any]], lang: str) -> dict[str, Any] | None:
    if not rows:
        return None
    several = len({r["meter"] for r in rows}) > 1
    x = [f"{r['meter']} {r['month']}" if several else r["month"] for r in rows]
    labels = list(dict.fromkeys(p["label"] for r in rows for p in r["periods"]))
    name = _named(i18n.texts(lang), "tou.period")
    names = {p["label"]: name(p["label"]) for r in rows for p in r["periods"]}
    traces = [
        {
            "type": "bar",
            "name": names[label],
            "x": x,
            "marker": {"color": TOU_COLOURS.get(label, COLOURS[3])},
            "y": [sum(p["energy"] for p in r["periods"] if p["label"] == label) for r in rows],
        }
        for label in labels
    ]
    return chart(traces, y_title=rows[0]["unit"], barmode="stack")


def _tou_name(lang: str) -> Callable[[str], str]:
    """A TOU label as the page shows it: 高峰 in Chinese, peak in English."""
    return i18n.named(i18n.texts(lang), "tou.period")


def _heatmap(items: list[dict[str, Any]], t: i18n.Texts) -> dict[str, Any] | None:
    if not items:
        return None
    meters = list(dict.fromkeys(i["meter"] for i in items))
    days = list(dict.fromkeys(i["day"].isoformat() for i in items))
    cells = {(i["meter"], i["day"].isoformat()): i for i in items}
    text = t.gettext(
        "complete %%{z:.1f} %%<br>estimated %%{customdata[0]}, missing %%{customdata[1]}"
    )
    figure = chart(
        [
            {
                "type": "heatmap",
                "x": days,
                "y": meters,
                "z": [[cells[m, d]["completeness_pct"] for d in days] for m in meters],
                "customdata": [
                    [
                        [cells[m, d]["estimated_intervals"], cells[m, d]["missing_intervals"]]
                        for d in days
                    ]
                    for m in meters
                ],
                "hovertemplate": "%{y} %{x}<br>" + text + "<extra></extra>",
                "zmin": 0,
                "zmax": 100,
                "colorscale": [[0, "#d16a4a"], [0.5, "#f1d27a"], [1, COLOURS[0]]],
                "colorbar": {"title": {"text": "%"}, "thickness": 12},
                "xgap": 1,
                "ygap": 1,
            }
        ]
    )
    figure["layout"]["xaxis"] = {"type": "date", "tickformat": "%m-%d"}
    figure["layout"]["yaxis"] = {"type": "category", "automargin": True}
    figure["layout"]["height"] = 120 + 28 * len(meters)
    return figure


@router.get("/energy")
def energy_page(
    request: Request,
    session: Db,
    background: BackgroundTasks,
    facility: str | None = None,
    year: Year = None,
    month: Month = None,
) -> Response:
    def locate(who: Principal):
        site = _current(session, who, facility)
        return site, _period(session, site, year, month)

    def build(who: Principal):
        site, (shown, chosen) = locate(who)
        lang = i18n.language(request)
        t = i18n.texts(lang)
        code = site.code
        kind = "month" if chosen else "year"
        totals = api_energy.energy_totals(request, session, who, code, shown, chosen, kind)
        monthly = (
            None
            if chosen
            else api_energy.energy_totals(request, session, who, code, shown, None, "month")
        )
        flow = api_energy.energy_flow(request, session, who, code, shown, chosen)
        alerts = api_energy.energy_balance(request, session, who, code, shown, chosen, kind)
        first, after = month_span(shown, chosen)
        last = after - timedelta(days=1)
        quality = api_energy.data_quality(
            request, session, who, code, first, last, limit=api_energy.MAX_DAYS * 1000
        )["items"]
        tou, tou_problems = _tou(request, session, who, site, shown, chosen)
        period = totals["periods"][0] if totals["periods"] else None
        tree = _tree(api_energy.metering_tree(session, who, code))
        return "energy.html", {
            "site": site,
            "year": shown,
            "month": chosen,
            "period": period,
            "tree_rows": _tree_rows(period["nodes"] if period else [], tree),
            "factors": totals["factors"],
            "monthly_figure": _monthly_chart(monthly["periods"]) if monthly else None,
            "flow": flow,
            "sankey": _sankey(flow, t),
            "balance": alerts,
            "alerts": [r for r in alerts["rows"] if r["status"] != "ok"],
            "tou": tou,
            "tou_problems": tou_problems,
            "cost": api_cost.energy_cost(request, session, who, code, shown, chosen),
            "tou_name": _tou_name(lang),
            "tou_figure": _tou_chart(tou, lang),
            "quality_figure": _heatmap(quality, t),
            "incomplete": [
                i for i in quality if i["missing_intervals"] or i["estimated_intervals"]
            ],
            "quality_rows": QUALITY_ROWS,
            "type_name": _named(t, "energy.type"),
            "flow_name": _named(t, "energy.flow"),
            "status_name": _named(t, "energy.status"),
            "basis_name": _named(t, "energy.basis"),
            "node_name": _node_names(session, who, site),
            "reconciliation": reconciliation_block(request, session, who, site, shown, chosen),
        }

    return render(request, session, background, "energy", build, locate=locate)


def _tree_rows(
    rows: list[dict[str, Any]], tree: list[tuple[int, dict[str, Any] | None, list[Any]]]
) -> list[tuple[int, dict[str, Any]]]:
    """The energy table's rows in the order of the metering tree (the site at the top, each
    node's children below it), each with the depth of its node."""
    place = {node["code"]: (i, depth) for i, (depth, node, _) in enumerate(tree) if node}
    ordered = sorted(rows, key=lambda r: (place[r["node"]][0], r["energy_type"]))
    return [(place[r["node"]][1], r) for r in ordered]


# --- data -----------------------------------------------------------------------------------


def _tree(tree: dict[str, Any]) -> list[tuple[int, dict[str, Any], list[dict[str, Any]]]]:
    """The nodes in tree order with their depth and meters; meters of no node come last."""
    children: dict[str | None, list[dict[str, Any]]] = {}
    for node in tree["nodes"]:
        children.setdefault(node["parent"], []).append(node)
    meters: dict[str | None, list[dict[str, Any]]] = {}
    for meter in tree["meters"]:
        meters.setdefault(meter["node"], []).append(meter)
    ordered = []

    def walk(parent: str | None, depth: int) -> None:
        for node in children.get(parent, []):
            ordered.append((depth, node, meters.get(node["code"], [])))
            walk(node["code"], depth + 1)

    walk(None, 0)
    if meters.get(None):
        ordered.append((0, None, meters[None]))
    return ordered


def _data_page(
    request: Request,
    session: Session,
    background: BackgroundTasks,
    facility: str | None,
    outcome: dict[str, Any] | None = None,
    who: Principal | None = None,
) -> Response:
    def build(who: Principal):
        site = _current(session, who, facility)
        tree = api_energy.metering_tree(session, who, site.code)
        t = i18n.texts(i18n.language(request))
        return "data.html", {
            "site": site,
            "tree": _tree(tree),
            "meter_count": len(tree["meters"]),
            "writable": site.id in who.writable,
            "letters": dead_letters(session, facility=site.id),
            "outcome": outcome,
            "type_name": _named(t, "energy.type"),
            "flow_name": _named(t, "energy.flow"),
            "table_name": _named(t, "data.table"),
        }

    return refused_page(
        render(request, session, background, "data", build, who),
        outcome and outcome.get("problems"),
    )


@router.get("/data")
def data_page(
    request: Request, session: Db, background: BackgroundTasks, facility: str | None = None
) -> Response:
    return _data_page(request, session, background, facility)


def _import(
    request: Request,
    session: Session,
    who: Principal,
    background: BackgroundTasks,
    facility: str,
    kind: str,
    file: UploadFile,
    importer: Callable[[Request, Session, Principal, str, UploadFile], dict[str, Any]],
) -> Response:
    """Run *importer* on *file* in a savepoint and show the data page with its result or
    problems."""
    file_name = file.filename or ""
    outcome: dict[str, Any] = {"kind": kind, "file": file_name}
    try:
        with session.begin_nested():
            outcome["result"] = importer(request, session, who, facility, file)
    except InputError as error:
        outcome["problems"] = [p.as_dict() for p in error.problems]
        outcome["not_listed"] = error.not_listed()
    except ApiError as error:
        if error.status != 413:
            raise
        outcome["problems"] = [{"where": file_name, "field": "file", "value": None,
                                "rule": error.message}]  # fmt: skip
    return _data_page(request, session, background, facility, outcome, who)


@router.post("/data/activity")
def upload_activity(
    request: Request,
    session: Db,
    who: User,
    background: BackgroundTasks,
    file: Upload,
    facility: Annotated[str, Query()],
) -> Response:
    """Import an activity file from the data page (managers and admins of the facility)."""
    return _import(
        request,
        session,
        who,
        background,
        facility,
        "activity",
        file,
        api_energy.import_activity_file,
    )


@router.post("/data/meter-readings")
def upload_readings(
    request: Request,
    session: Db,
    who: User,
    background: BackgroundTasks,
    file: Upload,
    facility: Annotated[str, Query()],
) -> Response:
    """Import a meter readings file from the data page (managers and admins)."""
    return _import(
        request, session, who, background, facility, "readings", file, api_energy.import_meter_file
    )


@router.post("/data/dead-letters/{letter_id}/retry")
def retry_set_aside(
    request: Request,
    session: Db,
    who: User,
    background: BackgroundTasks,
    letter_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
    facility: Annotated[str, Query()],
) -> Response:
    """Store a batch of live readings that was set aside, once its cause is mended (managers
    and admins of the facility); a failed attempt is counted and its reason kept."""
    site = _current(session, who, facility)
    if site.id not in who.writable:
        raise ApiError(403, Message("Your role reads the data; managers and admins import it."))
    letter = session.get(IngestDeadLetter, letter_id)
    if letter is None or letter.facility_id != site.id:
        raise ApiError(404, Message("no such batch"))
    outcome: dict[str, Any] = {"kind": "retry", "file": f"#{letter_id}"}
    count = letter.readings_count
    try:
        summary = retry_dead_letter(session, letter_id, actor=who.name, facility_code=site.code)
        outcome["result"] = {
            "rows_read": count,
            "added": summary.added,
            "unchanged": summary.unchanged,
            "conflicts": summary.conflicts,
        }
    except InputError as error:  # the attempt and its reason are kept
        outcome["problems"] = [p.as_dict() for p in error.problems]
    return _data_page(request, session, background, facility, outcome, who)


# --- reports --------------------------------------------------------------------------------


@router.get("/reports")
def reports_page(
    request: Request, session: Db, background: BackgroundTasks, facility: str | None = None
) -> Response:
    def build(who: Principal):
        site = _current(session, who, facility)
        rows = session.scalars(
            select(Inventory)
            .where(Inventory.facility_id == site.id, Inventory.status.in_(("locked", "computed")))
            .order_by(Inventory.id.desc())
        ).all()
        return "reports.html", {"site": site, "inventories": rows}

    return render(request, session, background, "reports", build)
