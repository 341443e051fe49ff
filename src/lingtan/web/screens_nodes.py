"""Drill-down screens: a page per node of the metering tree (site → workshop → line →
equipment) and the meter page with its range of days.

Every figure is the answer of the JSON API's own function (:mod:`lingtan.web.api_nodes`,
:mod:`lingtan.web.api_energy`) called with the page's session, so a page shows exactly what
the API gives; the frame and charts are those of :mod:`lingtan.web.screens`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import Response
from sqlalchemy import func, select

from lingtan.i18n import N_, Message
from lingtan.metering.store import ROLLUP_UTC_OFFSET_MIN
from lingtan.store.models import Meter, MeterDay
from lingtan.web import api_cost, api_energy, api_nodes, i18n
from lingtan.web.accounts import Principal
from lingtan.web.api_energy import MAX_READING_SPAN
from lingtan.web.deps import ApiError, Db
from lingtan.web.screens import COLOURS, _current, chart, refused_page, render
from lingtan.web.screens_energy import Month, Year, _named, _period, _tou_chart

__all__ = ["METER_DAYS", "energy_and_carbon_chart", "meter_range", "router"]

router = APIRouter(include_in_schema=False)

_LOCAL = timedelta(minutes=ROLLUP_UTC_OFFSET_MIN)
#: Days of a meter's 15-minute chart when no range is asked for.
METER_DAYS = 7
#: The longest range of the meter page [days]: that of the API's intervals.
METER_MAX_DAYS = MAX_READING_SPAN.days
#: Colours of the 15-minute bars per quality flag (others take the last).
QUALITY_COLOURS = {"measured": COLOURS[0], "estimated": COLOURS[2], "other": COLOURS[4]}


# --- a node of the metering tree ------------------------------------------------------------


def energy_and_carbon_chart(
    x: list[str], energy: tuple[str, str, list[Any]], carbon: tuple[str, str, list[Any]]
) -> dict[str, Any]:
    """Bars of an energy figure and a line of a carbon figure on a right-hand axis; each of
    ``energy`` and ``carbon`` is ``(trace name, axis title with the unit, values)``."""
    figure = chart(
        [
            {"type": "bar", "name": energy[0], "x": x, "y": energy[2]},
            {
                "type": "scatter",
                "mode": "lines+markers",
                "yaxis": "y2",
                "name": carbon[0],
                "x": x,
                "y": carbon[2],
                "line": {"color": COLOURS[2]},
            },
        ],
        y_title=energy[1],
    )
    figure["layout"]["margin"]["r"] = 70
    figure["layout"]["yaxis2"] = {"title": {"text": carbon[1]}, "overlaying": "y",
                                  "side": "right", "rangemode": "tozero",
                                  "showgrid": False}  # fmt: skip
    return figure


def _trend_chart(detail: dict[str, Any], t: Callable[..., str]) -> dict[str, Any] | None:
    points = [p for p in detail["trend"] if p["energy_tce"] is not None]
    if not points:
        return None
    figure = energy_and_carbon_chart(
        [p["period"] for p in points],
        (t.pgettext("node.energy_tce", "Energy (tce)"), "tce", [p["energy_tce"] for p in points]),
        (t.gettext("CO2 (tCO2)"), "tCO2", [p["carbon_tco2"] for p in points]),
    )
    if detail["trend_period"] == "day":
        figure["layout"]["xaxis"] = {"type": "date", "tickformat": "%m-%d"}
    return figure


@router.get("/energy/nodes/{node}")
def node_page(
    request: Request,
    session: Db,
    background: BackgroundTasks,
    node: str,
    facility: str | None = None,
    year: Year = None,
    month: Month = None,
) -> Response:
    def build(who: Principal):
        site = _current(session, who, facility)
        shown, chosen = _period(session, site, year, month)
        lang = i18n.language(request)
        t = i18n.texts(lang)
        detail = api_nodes.energy_node(request, session, who, site.code, node, shown, chosen)
        cost = api_cost.energy_cost(request, session, who, site.code, shown, chosen, node)
        return "node.html", {
            "site": site,
            "year": shown,
            "month": chosen,
            "detail": detail,
            "cost": cost,
            "trend_figure": _trend_chart(detail, t),
            "tou_figure": _tou_chart([{**r, "meter": node} for r in detail["tou"]], lang),
            "type_name": _named(t, "energy.type"),
            "flow_name": _named(t, "energy.flow"),
            "basis_name": _named(t, "energy.basis"),
            "level_name": _named(t, "level"),
        }

    return render(request, session, background, "energy", build)


# --- the meter page -------------------------------------------------------------------------


#: Years the meter page accepts (those of the year selectors).
METER_YEARS = range(2000, 2101)


def _day(text: str | None) -> date | None:
    """A date of :data:`METER_YEARS` in ISO form; ValueError for anything else."""
    if not text:
        return None
    day = date.fromisoformat(text)
    if day.year not in METER_YEARS:
        raise ValueError(text)
    return day


#: What is wrong with a meter page's date range (English msgids, shown translated).
_BAD_DATE = N_(
    "A date is not valid: enter a date of 2000 to 2100 as year-month-day (e.g. 2025-07-01)."
)
_REVERSED = N_("The end date is before the start date: choose the range again.")
_TOO_LONG = N_("The range may span at most %(max)s days: shorten it.")


def meter_range(
    start: str | None, end: str | None, latest: date | None
) -> tuple[date | None, date | None, str | None]:
    """The local days ``(first, last)`` asked for, and the message (an English msgid) of what
    is wrong with them (None when they are right). Without a range: the last
    :data:`METER_DAYS` days up to the meter's latest daily total; with one end only, a range of
    that length from it."""
    try:
        first, last = _day(start), _day(end)
    except ValueError:
        return None, None, _BAD_DATE
    if last is None:
        last = first + timedelta(days=METER_DAYS - 1) if first else latest
    if last is None:
        return None, None, None
    first = first or last - timedelta(days=METER_DAYS - 1)
    if last < first:
        return first, last, _REVERSED
    if (last - first).days + 1 > METER_MAX_DAYS:
        return first, last, _TOO_LONG
    return first, last, None


@router.get("/data/meters/{code}")
def meter_page(
    request: Request,
    session: Db,
    background: BackgroundTasks,
    code: str,
    facility: str | None = None,
    start: str | None = None,
    end: str | None = None,
) -> Response:
    refused: list[str] = []

    def build(who: Principal):
        site = _current(session, who, facility)
        t = i18n.texts(i18n.language(request))
        quality_name = _named(t, "quality")
        tree = api_energy.metering_tree(session, who, site.code)
        meter = next((m for m in tree["meters"] if m["code"] == code), None)
        if meter is None:
            raise ApiError(404, Message("no such meter"))
        latest = session.scalar(
            select(func.max(MeterDay.day))
            .join(Meter)
            .where(Meter.facility_id == site.id, Meter.code == code)
        )
        first, last, problem = meter_range(start, end, latest)
        series = figure = totals = None
        if problem:
            refused.append(problem)
        elif first is not None and last is not None:
            totals = api_nodes.meter_totals(request, session, who, site.code, code, first, last)
            if not meter["virtual_formula"]:
                begin = datetime.combine(first, datetime.min.time(), UTC) - _LOCAL
                after = datetime.combine(last + timedelta(days=1), datetime.min.time(), UTC)
                series = api_energy.list_intervals(
                    session, who, site.code, code, begin, after - _LOCAL,
                    limit=METER_MAX_DAYS * 96, offset=0,
                )  # fmt: skip
                figure = _interval_chart(series, quality_name)
        return "meter.html", {
            "site": site,
            "meter": meter,
            "first": first,
            "last": last,
            "asked": {"start": start or (first or ""), "end": end or (last or "")},
            "problem": problem,
            "max_days": METER_MAX_DAYS,
            "totals": totals,
            "series": series,
            "figure": figure,
            "type_name": _named(t, "energy.type"),
            "flow_name": _named(t, "energy.flow"),
            "quality_name": quality_name,
        }

    return refused_page(render(request, session, background, "data", build), refused)


def _interval_chart(series: dict[str, Any], name: Callable[[str], str]) -> dict[str, Any]:
    local = [(i["start"] + _LOCAL).strftime("%Y-%m-%d %H:%M") for i in series["items"]]
    traces = []
    for label in dict.fromkeys(i["quality"] for i in series["items"]):
        picked = [n for n, i in enumerate(series["items"]) if i["quality"] == label]
        traces.append(
            {
                "type": "bar",
                "name": name(label),
                "x": [local[n] for n in picked],
                "y": [series["items"][n]["energy"] for n in picked],
                "marker": {"color": QUALITY_COLOURS.get(label, QUALITY_COLOURS["other"])},
            }
        )
    figure = chart(traces, y_title=series["unit"], barmode="overlay")
    figure["layout"]["xaxis"] = {"type": "date"}
    figure["layout"]["bargap"] = 0
    return figure
