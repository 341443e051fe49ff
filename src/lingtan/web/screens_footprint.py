"""The product footprint screens (产品碳足迹): the facility's bills of materials and footprint
studies, a study's result, and the organization's PACT connections.

``/footprint`` lists the studies of the server's studies folder that are of the facility
(:mod:`lingtan.services.footprint_studies`; refused files with their problems), the bills of
materials imported, the suppliers' footprints received over PACT, the footprints published,
and, for an administrator, the clients of the PACT host (a new client's secret is shown on the
page that created it, once). ``/footprint/studies/{id}`` shows a study's footprint per declared
or functional unit: fossil, biogenic, dLUC and aircraft emissions apart (GB/T 24067-2024
§6.4.9.4), by stage and by process (bars), the supply chain (Sankey), the primary data share,
the meters behind the electricity and, with draws, the Monte Carlo distribution. Every figure
is the answer of the JSON API's own function (:mod:`lingtan.web.api_footprint`), so the page
shows exactly what the API and ``lingtan footprint calc --format json`` give.
"""

from __future__ import annotations

import itertools
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, BackgroundTasks, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from lingtan.errors import InputError
from lingtan.footprint.declaration_files import CBAM_COLUMNS
from lingtan.i18n import NP_, format_time
from lingtan.reports.i18n import PROCESS_STATUS, process_label
from lingtan.services.footprint_declarations import facility_declarations
from lingtan.services.footprint_studies import facility_boms
from lingtan.web import i18n
from lingtan.web.accounts import Principal
from lingtan.web.api_footprint import (
    DEFAULT_DRAWS,
    MAX_DRAWS,
    add_client,
    end_client,
    issue,
    pact_connections,
    study_list,
    study_result,
)
from lingtan.web.deps import Db, User
from lingtan.web.screens import COLOURS, _current, chart, refused_page, render

__all__ = ["NAMES", "histogram_figure", "process_label", "router"]

router = APIRouter(include_in_schema=False)

#: The study's terms by their official names (GB/T 24067-2024: 声明单位, 功能单位, 系统边界 …).
NAMES: dict[str, dict[str, tuple[str, str]]] = {
    "unit_kind": {
        "declared": NP_("footprint.unit_kind", "declared unit"),
        "functional": NP_("footprint.unit_kind", "functional unit"),
    },
    "boundary": {
        "cradle_to_gate": NP_("footprint.boundary", "cradle to gate (partial CFP)"),
        "cradle_to_grave": NP_("footprint.boundary", "cradle to grave"),
    },
    "kind": {
        "fossil": NP_("footprint.kind", "fossil GHG emissions"),
        "biogenic": NP_("footprint.kind", "biogenic GHG emissions and removals"),
        "dluc": NP_("footprint.kind", "direct land use change (dLUC)"),
        "aircraft": NP_("footprint.kind", "aircraft GHG emissions"),
    },
    "allocation": {
        "mass": NP_("footprint.allocation", "by mass"),
        "energy": NP_("footprint.allocation", "by energy"),
        "units": NP_("footprint.allocation", "by units produced"),
        "machine_hours": NP_("footprint.allocation", "by machine hours"),
        "economic": NP_("footprint.allocation", "by economic value"),
    },
    "status": PROCESS_STATUS,
    "electricity": {
        "location": NP_("footprint.electricity", "location-based"),
        "market": NP_("footprint.electricity", "market-based"),
    },
}
#: Processes shown in the bar chart of contributions (the rest are in the table).
TOP_PROCESSES = 15


def _namer(t: i18n.Texts):
    def name(family: str, code: str | None) -> str:
        entry = NAMES[family].get(code or "")
        return code or "—" if entry is None else t.pgettext(*entry)

    return name


def _page(
    request: Request,
    session: Db,
    background: BackgroundTasks,
    facility: str | None,
    who: Principal | None = None,
    created: dict[str, Any] | None = None,
    problems: list[dict[str, Any]] | None = None,
) -> Response:
    lang = i18n.language(request)
    t = i18n.texts(lang)

    def build(principal: Principal):
        site = _current(session, principal, facility)
        return "footprint.html", {
            "site": site,
            "studies": study_list(request, session, site, principal),
            "boms": facility_boms(session, site),
            "pact": pact_connections(session, principal),
            "issued": facility_declarations(session, site),
            "when": lambda moment: format_time(moment, site.time_zone),
            "created": created,
            "problems": problems,
            "name": _namer(t),
            "stage_name": lambda code: t.name_of("footprint.stage", code),
        }

    return refused_page(render(request, session, background, "footprint", build, who), problems)


@router.get("/footprint")
def footprint_page(
    request: Request, session: Db, background: BackgroundTasks, facility: str | None = None
) -> Response:
    return _page(request, session, background, facility)


@router.post("/footprint/pact/clients")
def create_client(
    request: Request,
    session: Db,
    who: User,
    background: BackgroundTasks,
    name: Annotated[str, Form(max_length=200)],
    facility: Annotated[str | None, Query()] = None,
) -> Response:
    """A new PACT client (admins): the page shows its secret this once."""
    try:
        with session.begin_nested():
            created = add_client(session, who, name)
    except InputError as error:
        problems = [p.as_dict() for p in error.problems]
        return _page(request, session, background, facility, who, problems=problems)
    return _page(request, session, background, facility, who, created=created)


@router.post("/footprint/pact/clients/{client_id}/revoke")
def revoke_client(
    session: Db, who: User, client_id: str, facility: Annotated[str | None, Query()] = None
) -> Response:
    """Revoke a PACT client (admins), then back to the page."""
    end_client(session, who, client_id)
    target = "/footprint" + (f"?facility={facility}" if facility else "")
    return RedirectResponse(target + "#pact-clients", status_code=303)


def _figures(data: dict[str, Any], t: i18n.Texts, name) -> dict[str, Any]:
    """The charts of a study's result: by stage and by process (bars), the supply chain
    (Sankey) and the Monte Carlo histogram."""
    found = data["result"]["by_stage_kgco2e"]
    # in the study's order of the life cycle, then any other stage the result has
    study_order = data["stages"]
    order = [s for s in study_order if s in found] + [s for s in found if s not in study_order]
    stages = {s: found[s] for s in order}
    by_stage = chart(
        [{"type": "bar", "x": [t.name_of("footprint.stage", s) for s in stages],
          "y": list(stages.values()), "marker": {"color": COLOURS[0]},
          "name": t.gettext("kg CO2e per declared unit")}],
        y_title="kg CO2e",
    )  # fmt: skip
    emitting = [p for p in data["by_process"] if p["kgco2e"]][:TOP_PROCESSES]
    emitting.reverse()  # the largest at the top of a horizontal bar chart
    by_process = chart(
        [{"type": "bar", "orientation": "h", "y": [process_label(p, t) for p in emitting],
          "x": [p["kgco2e"] for p in emitting], "marker": {"color": COLOURS[1]},
          "customdata": [p["process"] for p in emitting],
          "hovertemplate": "%{customdata}<br>%{x:,.1f} kg CO2e<extra></extra>",
          "name": t.gettext("kg CO2e per declared unit")}],
    )  # fmt: skip
    by_process["layout"].update(
        xaxis={"title": {"text": "kg CO2e"}, "rangemode": "tozero", "gridcolor": "#e3e8e6"},
        yaxis={"type": "category", "automargin": True},
        height=max(320, 28 * len(emitting) + 80),
        showlegend=False,
    )
    graph = data["sankey"]
    nodes = graph["nodes"]
    sankey = chart(
        [{"type": "sankey", "orientation": "h", "valueformat": ",.1f", "valuesuffix": " kg CO2e",
          "node": {"label": [process_label(n, t) for n in nodes], "pad": 14,
                   "thickness": 16,
                   "color": [COLOURS[0] if i == 0 else COLOURS[1] for i in range(len(nodes))]},
          "link": {"source": [link["source"] for link in graph["links"]],
                   "target": [link["target"] for link in graph["links"]],
                   "value": [abs(link["kgco2e"]) for link in graph["links"]],
                   "color": "rgba(79,159,214,0.35)"}}],
    )  # fmt: skip
    sankey["layout"].pop("xaxis")
    sankey["layout"].pop("yaxis")
    sankey["layout"]["height"] = max(380, 26 * len(nodes))
    figures = {"stage": by_stage, "process": by_process, "sankey": sankey}
    if data["histogram"] is not None:
        figures["histogram"] = histogram_figure(data["histogram"], t)
    return figures


def histogram_figure(bars: dict[str, Any], t: i18n.Texts) -> dict[str, Any]:
    """The Monte Carlo histogram (:func:`lingtan.web.api_footprint.histogram`) as bars that
    fill their bins: centred in each, as wide as it."""
    pairs = list(itertools.pairwise(bars["edges_kgco2e"]))
    figure = chart(
        [{"type": "bar", "x": [(a + b) / 2 for a, b in pairs], "y": bars["counts"],
          "width": [b - a for a, b in pairs], "marker": {"color": COLOURS[2]},
          "name": t.gettext("draws")}],
        y_title=t.gettext("draws"),
    )  # fmt: skip
    figure["layout"]["xaxis"] = {"title": {"text": "kg CO2e"}, "type": "linear"}
    figure["layout"]["bargap"] = 0
    return figure


@router.get("/footprint/studies/{study_id}")
def study_page(
    request: Request,
    session: Db,
    background: BackgroundTasks,
    study_id: str,
    facility: str | None = None,
    draws: Annotated[int, Query(ge=0, le=MAX_DRAWS)] = DEFAULT_DRAWS,
    seed: Annotated[int, Query(ge=0, le=2**32 - 1)] = 0,
) -> Response:
    return _study_page(request, session, background, study_id, facility, draws, seed)


@router.post("/footprint/studies/{study_id}/declarations")
def issue_from_page(
    request: Request,
    session: Db,
    who: User,
    background: BackgroundTasks,
    study_id: str,
    kind: Annotated[str, Form(max_length=20)],
    facility: Annotated[str, Query(max_length=100)],
) -> Response:
    """Issue the study's declaration of ``kind`` (managers and admins), then back to the
    study's declarations; a refusal is shown on the study's page with its problems."""
    try:
        with session.begin_nested():
            issue(request, session, who, facility, study_id, kind)
    except InputError as error:
        problems = [p.as_dict() for p in error.problems]
        return _study_page(request, session, background, study_id, facility, 0, 0, who, problems)
    target = f"/footprint/studies/{quote(study_id)}?facility={quote(facility)}#declarations"
    return RedirectResponse(target, status_code=303)


def _study_page(
    request: Request,
    session: Db,
    background: BackgroundTasks,
    study_id: str,
    facility: str | None,
    draws: int,
    seed: int,
    who: Principal | None = None,
    issue_problems: list[dict[str, Any]] | None = None,
) -> Response:
    lang = i18n.language(request)
    t = i18n.texts(lang)
    name = _namer(t)
    refused = False

    def build(principal: Principal):
        nonlocal refused
        site = _current(session, principal, facility)
        try:
            data = study_result(request, session, site, study_id, draws, seed)
        except InputError as error:
            refused = True
            return "footprint_study.html", {
                "site": site, "study_id": study_id, "data": None,
                "problems": [p.as_dict() for p in error.problems],
            }  # fmt: skip
        return "footprint_study.html", {
            "site": site,
            "study_id": study_id,
            "data": data,
            "figures": _figures(data, t, name),
            "draws": draws,
            "seed": seed,
            "max_draws": MAX_DRAWS,
            "name": name,
            "stage_name": lambda code: t.name_of("footprint.stage", code),
            "label": lambda row: process_label(row, t),
            # headings with no fields (one holds "%"): looked up, not %-filled
            "cbam_columns": [(key, t.label(*heading)) for key, heading in CBAM_COLUMNS],
            "writable": site.id in principal.writable,
            "issued": facility_declarations(session, site, study_id),
            "issue_problems": issue_problems,
            "when": lambda moment: format_time(moment, site.time_zone),
        }

    page = render(request, session, background, "footprint", build, who)
    return refused_page(page, refused or bool(issue_problems))
