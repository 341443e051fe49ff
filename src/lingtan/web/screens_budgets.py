"""The energy manager's daily screens: budgets against actual with the year-end forecast,
energy and carbon per unit of product, and the alert list with its filters.

Every figure is the answer of the JSON API's own function (:mod:`lingtan.web.api_energy`,
:mod:`lingtan.web.api_nodes`) called with the page's session, so a page shows exactly what
the API gives; the frame and charts are those of :mod:`lingtan.web.screens`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import Response

from lingtan.metering.alerts import ALERT_TYPES, SEVERITIES
from lingtan.metering.energy_store import last_metered_day
from lingtan.web import api_energy, api_nodes, i18n
from lingtan.web.accounts import Principal
from lingtan.web.deps import Db
from lingtan.web.screens import COLOURS, _current, chart, render
from lingtan.web.screens_energy import Month, Year, _named, _node_names, _period, _tree
from lingtan.web.screens_nodes import energy_and_carbon_chart

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


def _node_choices(session, who: Principal, site) -> list[tuple[int, dict[str, Any]]]:
    """The nodes of the metering tree in tree order, with their depth (for a selector)."""
    tree = _tree(api_energy.metering_tree(session, who, site.code))
    return [(depth, node) for depth, node, _ in tree if node]


# --- budgets --------------------------------------------------------------------------------


def _used_chart(rows: list[dict[str, Any]], name: Callable[[str], str]) -> dict[str, Any] | None:
    """Energy budget used [%] per node and month, with the 100 % line."""
    nodes = list(dict.fromkeys(r["node"] for r in rows if r["energy_used_pct"] is not None))
    if not nodes:
        return None
    traces = [
        {"type": "scatter", "mode": "lines+markers", "name": name(node),
         "x": [r["month"] for r in rows if r["node"] == node],
         "y": [r["energy_used_pct"] for r in rows if r["node"] == node]}
        for node in nodes
    ]  # fmt: skip
    figure = chart(traces, y_title="%")
    months = sorted({r["month"] for r in rows})
    figure["layout"]["xaxis"] = {"type": "category", "categoryorder": "array",
                                 "categoryarray": months}  # fmt: skip
    figure["layout"]["shapes"] = [
        {"type": "line", "xref": "paper", "x0": 0, "x1": 1, "yref": "y", "y0": 100, "y1": 100,
         "line": {"color": COLOURS[4], "dash": "dash", "width": 1}}
    ]  # fmt: skip
    return figure


@router.get("/budgets")
def budgets_page(
    request: Request,
    session: Db,
    background: BackgroundTasks,
    facility: str | None = None,
    year: Year = None,
    month: Month = None,
    node: str | None = None,
) -> Response:
    def build(who: Principal):
        site = _current(session, who, facility)
        shown, chosen = _period(session, site, year, month)
        code = site.code
        budgets = api_energy.energy_budgets(request, session, who, code, shown, chosen)
        forecast = api_nodes.budget_forecast(request, session, who, code, shown)
        order = {n["code"]: i for i, (_, n) in enumerate(_node_choices(session, who, site))}
        rows = sorted(
            (r for r in budgets["rows"] if node is None or r["node"] == node),
            key=lambda r: (order[r["node"]], r["month"]),
        )
        name = _node_names(session, who, site)
        return "budgets.html", {
            "site": site,
            "year": shown,
            "month": chosen,
            "node": node,
            "nodes": sorted({r["node"] for r in budgets["rows"]}, key=order.__getitem__),
            "rows": rows,
            "over": [r for r in rows if r["over_budget"]],
            "forecast": forecast,
            "forecast_rows": sorted(
                (r for r in forecast["rows"] if node is None or r["node"] == node),
                key=lambda r: order[r["node"]],
            ),
            "figure": _used_chart(rows, name),
            "node_name": name,
        }

    return render(request, session, background, "budgets", build)


# --- intensity ------------------------------------------------------------------------------


def _intensity_chart(rows: list[dict[str, Any]], t: Callable[..., str]) -> dict[str, Any] | None:
    shown = [r for r in rows if r["tce_per_unit"] is not None]
    if not shown:
        return None
    unit = shown[0]["unit"]
    return energy_and_carbon_chart(
        [r["month"] for r in shown],
        (t.gettext("Energy per unit (tce/%(unit)s)", unit=unit), f"tce/{unit}",
         [r["tce_per_unit"] for r in shown]),
        (t.gettext("CO2 per unit (tCO2/%(unit)s)", unit=unit), f"tCO2/{unit}",
         [r["tco2_per_unit"] for r in shown]),
    )  # fmt: skip


@router.get("/intensity")
def intensity_page(
    request: Request,
    session: Db,
    background: BackgroundTasks,
    facility: str | None = None,
    year: Year = None,
    product: str | None = None,
) -> Response:
    def build(who: Principal):
        site = _current(session, who, facility)
        shown, _ = _period(session, site, year, None)
        t = i18n.texts(i18n.language(request))
        data = api_energy.energy_intensity(request, session, who, site.code, shown, None)
        products = list(dict.fromkeys(r["product"] for r in data["rows"]))
        chosen = product if product in products else (products[0] if products else None)
        rows = [r for r in data["rows"] if r["product"] == chosen]
        return "intensity.html", {
            "site": site,
            "year": shown,
            "month": None,
            "products": products,
            "product": chosen,
            "unit": rows[0]["unit"] if rows else "",
            "rows": rows,
            "notes": list(dict.fromkeys(n for r in rows for n in r["notes"])),
            "figure": _intensity_chart(rows, t),
        }

    return render(request, session, background, "intensity", build)


# --- alerts ---------------------------------------------------------------------------------


@router.get("/alerts")
def alerts_page(
    request: Request,
    session: Db,
    background: BackgroundTasks,
    facility: str | None = None,
    year: Year = None,
    month: Month = None,
    type: str | None = None,
    severity: str | None = None,
    node: str | None = None,
) -> Response:
    def build(who: Principal):
        site = _current(session, who, facility)
        if year is None and month is None:
            latest = last_metered_day(session, site)
            shown, chosen = (
                (latest.year, latest.month) if latest else _period(session, site, None, None)
            )
        else:
            shown, chosen = _period(session, site, year, month)
        t = i18n.texts(i18n.language(request))
        kind = type if type in ALERT_TYPES else None
        level = severity if severity in SEVERITIES else None
        data = api_nodes.alerts(
            request, session, who, site.code, shown, chosen,
            type=[kind] if kind else None, severity=[level] if level else None,
            node=node or None,
        )  # fmt: skip
        return "alerts.html", {
            "site": site,
            "year": shown,
            "month": chosen,
            "data": data,
            "type": kind,
            "severity": level,
            "node": node or None,
            "types": ALERT_TYPES,
            "severities": SEVERITIES,
            "node_choices": _node_choices(session, who, site),
            "node_name": _node_names(session, who, site),
            "quality_name": _named(t, "quality"),
        }

    return render(request, session, background, "alerts", build)
