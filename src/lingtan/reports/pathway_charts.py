"""The charts of a pathway (路线图) as Plotly figures (``data`` and ``layout``, plain JSON):
the marginal abatement cost curve and the Scope 1 + 2 trajectory against the target.

The web layer draws them as any screen chart (``static/charts.js``, see
:mod:`lingtan.web.screens`); ``plotly.io.to_image`` renders one to PNG where Kaleido is
installed. Texts are those of the one catalogue, in the
language of the :class:`~lingtan.i18n.catalog.Texts` given.
"""

from __future__ import annotations

from typing import Any

from lingtan.i18n import N_
from lingtan.i18n.catalog import Texts
from lingtan.planning.pathway import KIND_NAMES, PathwayResult

__all__ = ["KIND_COLOURS", "mac_curve_figure", "trajectory_figure"]

#: One colour per kind of measure, the same on every chart.
KIND_COLOURS = {
    "efficiency": "#1f6f5c",
    "asset": "#c9a227",
    "electrification": "#4f9fd6",
    "green_power": "#6aa84f",
    "offset": "#8c8c8c",
}
_BASES = {"location": N_("location-based"), "market": N_("market-based")}


def _layout(x_title: str, y_title: str) -> dict[str, Any]:
    """The house layout of the screens' charts (:func:`lingtan.web.screens.chart`)."""
    return {
        "margin": {"l": 70, "r": 20, "t": 20, "b": 50},
        "legend": {"orientation": "h", "y": -0.2, "traceorder": "normal"},
        "xaxis": {"title": {"text": x_title}, "gridcolor": "#e3e8e6"},
        "yaxis": {"title": {"text": y_title}, "gridcolor": "#e3e8e6", "zeroline": True},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "font": {"family": "system-ui, 'Noto Sans CJK SC', sans-serif", "size": 13},
    }


def mac_curve_figure(result: PathwayResult, t: Texts) -> dict[str, Any]:
    """The MAC curve: one bar per measure, as wide as its levelised abatement [tCO2e/year]
    and as high as its cost [CNY/tCO2e], placed at its cumulative abatement; one trace per
    kind of measure (the legend)."""
    data = []
    for kind in KIND_COLOURS:
        points = [p for p in result.mac if p.kind == kind]
        if not points:
            continue
        data.append(
            {
                "type": "bar",
                "name": t.gettext(KIND_NAMES[kind]),
                "x": [(p.cumulative_start_tco2e + p.cumulative_end_tco2e) / 2 for p in points],
                "width": [p.abatement_tco2e_per_year for p in points],
                "y": [p.mac_cny_per_tco2e for p in points],
                "text": [p.id for p in points],  # short: a narrow bar has little room
                "textposition": "outside",
                "constraintext": "none",
                "cliponaxis": False,
                "customdata": [
                    [p.title, p.abatement_tco2e_per_year, p.annualised_cost_cny_per_year]
                    for p in points
                ],
                "hovertemplate": "%{customdata[0]} (%{text})<br>%{y:,.0f} CNY/tCO2e<br>"
                "%{customdata[1]:,.1f} tCO2e/a<br>%{customdata[2]:,.0f} CNY/a<extra></extra>",
                "marker": {"color": KIND_COLOURS[kind], "line": {"color": "#ffffff", "width": 1}},
            }
        )
    layout = _layout(
        t.gettext(N_("Abatement, cumulative [tCO2e/year]")),
        t.gettext(N_("Marginal abatement cost [CNY/tCO2e]")),
    )
    layout["bargap"] = 0
    layout["xaxis"]["rangemode"] = "tozero"
    return {"data": data, "layout": layout}


def trajectory_figure(result: PathwayResult, t: Texts) -> dict[str, Any]:
    """Scope 1 + 2 per year, location- and market-based, with doing nothing (the grid's
    decline only), the net after offsets on the target's basis, and the target's path."""
    years = [row["year"] for row in result.years]
    basis = result.target.basis
    name = t.gettext(_BASES[basis])

    def line(key: str, label: str, colour: str, dash: str = "solid") -> dict[str, Any]:
        return {
            "type": "scatter",
            "mode": "lines+markers",
            "name": label,
            "x": years,
            "y": [row[key] for row in result.years],
            "line": {"color": colour, "dash": dash, "width": 2},
            "hovertemplate": "%{x}: %{y:,.1f} tCO2e<extra>" + label + "</extra>",
        }

    data = [
        line(f"bau_{basis}_tco2e",
             t.gettext(N_("Without measures (%(basis)s)"), basis=name), "#8c8c8c", "dot"),
        line("total_location_tco2e", t.gettext(N_("Scope 1 + 2, location-based")), "#1f6f5c"),
        line("total_market_tco2e", t.gettext(N_("Scope 1 + 2, market-based")), "#4f9fd6"),
        line("net_tco2e",
             t.gettext(N_("Net of offsets (%(basis)s)"), basis=name), "#8a6fb3", "dashdot"),
        line("target_tco2e", t.gettext(N_("Target path")), "#d16a4a", "dash"),
    ]  # fmt: skip
    layout = _layout(t.gettext(N_("Year")), "tCO2e")
    layout["xaxis"]["dtick"] = 1
    layout["yaxis"]["rangemode"] = "tozero"
    return {"data": data, "layout": layout}
