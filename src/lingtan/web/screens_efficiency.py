"""The efficiency page (能效): a facility's equipment register by grade.

Counts per level, the table of items with filters by type and level (each row's standard,
deciding threshold, grade-1 threshold and reason), and for items below grade 1 the saving of a
grade-1 replacement with its basis (measured or nameplate) and payback. Every figure is the
answer of the JSON API's own function (:func:`lingtan.web.api_efficiency.register_data`)
called with the page's session, so the page shows exactly what the API gives. Managers import
a register file on the page (CSRF-checked form post, as the data page's uploads).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Query, Request
from fastapi.responses import Response

from lingtan.efficiency.register import EQUIPMENT_TYPES
from lingtan.errors import InputError
from lingtan.i18n.terms import TERMS
from lingtan.services.efficiency import LEVELS, REGISTER_FILES, import_equipment
from lingtan.store.evidence import EvidenceStore
from lingtan.web import i18n
from lingtan.web.accounts import Principal
from lingtan.web.api_efficiency import baseline_data, measures_data, register_data
from lingtan.web.api_energy import Upload, _uploaded
from lingtan.web.deps import ApiError, Db, User
from lingtan.web.screens import _current, chart, refused_page, render
from lingtan.web.screens_energy import Year, _period

__all__ = ["BASIS_NAMES", "LEVEL_NAMES", "TYPE_NAMES", "router"]

router = APIRouter(include_in_schema=False)

#: The verdicts by their official names (GB 18613 …: 能效等级, 能效限定值), the equipment types and
#: the bases of a replacement estimate: shared with the command line (:data:`TERMS`).
LEVEL_NAMES = TERMS["efficiency.level"]
TYPE_NAMES = TERMS["efficiency.type"]
BASIS_NAMES = TERMS["efficiency.basis"]
_BADGES = {"LEVEL_1": "ok", "LEVEL_2": "", "LEVEL_3": "warn", "NOT_COMPLIANT": "bad"}


def _baseline_figures(entry: dict[str, Any], t: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The EnPI chart (actual against the baseline's expected energy and its band) and the
    CUSUM chart of a measure's baseline, as Plotly figures."""
    days, expected, band = entry["days"], entry["expected_kwh"], entry["band_kwh"]
    pct = f"{entry['confidence'] * 100:.0f}"
    enpi = chart(
        [
            {"type": "scatter", "mode": "lines", "x": days, "y": [e + band for e in expected],
             "line": {"width": 0}, "hoverinfo": "skip", "showlegend": False},
            {"type": "scatter", "mode": "lines", "x": days, "y": [e - band for e in expected],
             "fill": "tonexty", "fillcolor": "rgba(200,85,61,0.18)", "line": {"width": 0},
             "name": t.gettext("Baseline band (%(pct)s %%)", pct=pct)},
            {"type": "scatter", "mode": "lines", "x": days, "y": expected,
             "line": {"color": "#c8553d", "width": 1.5},
             "name": t.gettext("Expected by the baseline")},
            {"type": "scatter", "mode": "lines", "x": days, "y": entry["actual_kwh"],
             "line": {"color": "#2a7ab0", "width": 1}, "name": t.gettext("Actual energy")},
        ],
        y_title="kWh/d",
    )  # fmt: skip
    cusum = chart(
        [{"type": "scatter", "mode": "lines", "x": days, "y": entry["cusum_kwh"],
          "line": {"color": "#1f6f5c", "width": 2},
          "name": t.gettext("CUSUM of actual − expected")}],
        y_title="kWh",
    )  # fmt: skip
    for figure in (enpi, cusum):
        figure["layout"]["xaxis"] = {"type": "date"}
        figure["layout"]["yaxis"]["rangemode"] = "normal"
    return enpi, cusum


def _page(
    request: Request,
    session: Db,
    background: BackgroundTasks,
    facility: str | None,
    year: int | None,
    type: str | None,
    level: str | None,
    who: Principal | None = None,
    outcome: dict[str, Any] | None = None,
) -> Response:
    lang = i18n.language(request)
    t = i18n.texts(lang)

    def build(principal: Principal):
        site = _current(session, principal, facility)
        shown, _ = _period(session, site, year, None)
        kind = type if type in EQUIPMENT_TYPES else None
        chosen = level if level in LEVEL_NAMES else None
        data = register_data(
            request, session, site, lang, year=shown, equipment_type=kind, level=chosen
        )
        below = [i for i in data["items"] if i["estimate"] is not None]
        saved = [i["estimate"] for i in below if i["estimate"]["energy_saved_kwh_per_year"]]
        return "efficiency.html", {
            "site": site,
            "year": shown,
            "data": data,
            "type": kind,
            "level": chosen,
            "levels": [str(lv) for lv in LEVELS],
            "level_name": lambda code: t.pgettext(*LEVEL_NAMES[code]),
            "type_name": lambda code: t.pgettext(*TYPE_NAMES[code]) if code in TYPE_NAMES else code,
            "basis_name": lambda code: t.pgettext(*BASIS_NAMES[code]),
            "badge": _BADGES,
            "below": below,
            "saved_kwh": sum(e["energy_saved_kwh_per_year"] for e in saved),
            "saved_tco2": sum(e["emissions_saved_tco2_per_year"] or 0.0 for e in saved),
            "writable": site.id in principal.writable,
            "outcome": outcome,
            "measures": measures_data(request, session, site, lang, year=shown),
            "baselines": [
                {**entry, "figures": _baseline_figures(entry, t) if entry["valid"] else None}
                for entry in baseline_data(request, session, site, lang, year=shown)
            ],
            "kind_name": lambda code: t.name_of("efficiency.measure_kind", code),
            "status_name": lambda code: t.name_of("efficiency.measure_status", code),
        }

    return refused_page(
        render(request, session, background, "efficiency", build, who),
        outcome and outcome.get("problems"),
    )


@router.get("/efficiency")
def efficiency_page(
    request: Request,
    session: Db,
    background: BackgroundTasks,
    facility: str | None = None,
    year: Year = None,
    type: str | None = None,
    level: str | None = None,
) -> Response:
    return _page(request, session, background, facility, year, type or None, level or None)


@router.post("/efficiency/equipment")
def upload_register(
    request: Request,
    session: Db,
    who: User,
    background: BackgroundTasks,
    file: Upload,
    facility: Annotated[str, Query()],
) -> Response:
    """Import a register file from the efficiency page (managers and admins of the facility)."""
    from lingtan.web.deps import facility as scoped_facility

    file_name = file.filename or ""
    outcome: dict[str, Any] = {"file": file_name}
    try:
        with session.begin_nested():
            site = scoped_facility(session, who, facility, write=True)
            evidence = EvidenceStore(request.app.state.evidence_root)
            with _uploaded(request, file, REGISTER_FILES) as path:
                done = import_equipment(session, site, path, evidence=evidence, actor=who.name)
            outcome["result"] = done
    except InputError as error:
        outcome["problems"] = [p.as_dict() for p in error.problems]
        outcome["not_listed"] = error.not_listed()
    except ApiError as error:
        if error.status not in (413, 422):
            raise
        outcome["problems"] = [{"where": file_name, "field": "file", "value": None,
                                "rule": error.message}]  # fmt: skip
    return _page(request, session, background, facility, None, None, None, who, outcome)
