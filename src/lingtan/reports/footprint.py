"""The product carbon footprint (CFP) study report of GB/T 24067-2024 / ISO 14067:2018 in HTML,
PDF and XLSX, zh-CN and English.

It reads the document of a study's result — :meth:`StudyFootprint.as_dict
<lingtan.services.footprint_result.StudyFootprint.as_dict>`, the very JSON of ``lingtan
footprint calc --format json`` — and never the store, so every figure of the report is a figure
of that document: each number of the HTML carries the document's path and exact value
(``data-key``, ``data-value``) and the workbook's Summary sheet names each figure by its path.
It uses the inventory report's machinery: the Jinja2 environment, CSS, number formats and texts
(:mod:`lingtan.reports.html`, :mod:`lingtan.reports.i18n`), a chart drawn by matplotlib to inline
SVG (:mod:`lingtan.reports.charts`), the PDF by WeasyPrint from the HTML
(:func:`lingtan.reports.pdf.html_to_pdf`) and the workbook's two-language sheets
(:mod:`lingtan.reports.xlsx`) with every figure at full precision.

The sections follow the content a CFP study report gives (docs/footprint-study.md, "The
report"): goal and scope, the inventory, the result with fossil, biogenic, dLUC and aircraft
emissions apart, the contributions, data quality and the primary data share, the lineage to
the meters, uncertainty, limitations. No clause numbers of the standard are cited for them.

References
----------
.. [1] GB/T 24067-2024 《温室气体 产品碳足迹 量化要求和指南》 / ISO 14067:2018, the CFP study
   report; the content list lingtan follows is that of issue 15's reference notes
   (footprint-anchors.md §3, "CFP study report", marked there as unsure in its details).
"""

from __future__ import annotations

import io
import itertools
import math
import re
from dataclasses import dataclass
from typing import Any

import matplotlib
from markupsafe import Markup
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter
from openpyxl import Workbook

from lingtan.footprint.lineage import status_shares
from lingtan.i18n import N_, NP_
from lingtan.reports.charts import _style, _svg, _thousands, _wrap, cjk_font
from lingtan.reports.html import _environment
from lingtan.reports.i18n import Labels, check_lang, process_label
from lingtan.reports.pdf import html_to_pdf
from lingtan.reports.xlsx import PCT, T3, _exact_floats, _table, col

__all__ = [
    "FootprintReport",
    "contribution_chart",
    "footprint_filename",
    "histogram_chart",
    "render_footprint_html",
    "render_footprint_pdf",
    "render_footprint_xlsx",
    "summary_rows",
]

#: Bars of the contribution chart: the largest processes, the rest as one bar.
CHART_PROCESSES = 10
#: One colour per life-cycle stage, the same in every footprint chart.
_STAGE_COLOURS = {
    "raw_materials": "#2a7ab0",
    "production": "#c8553d",
    "distribution": "#e8a33d",
    "use": "#8a6fb0",
    "end_of_life": "#6aa84f",
}
_REST = "#8c8c8c"
#: Kinds of emissions the standard has reported apart, in the document's order.
KINDS = {
    "fossil": N_("Fossil GHG emissions and removals"),
    "biogenic": N_("Biogenic GHG emissions and removals"),
    "dluc": N_("Direct land-use change (dLUC)"),
    "aircraft": N_("Aircraft transport"),
}


@dataclass(frozen=True)
class FootprintReport:
    """What the report shows: ``document`` is the study result's JSON (``lingtan footprint
    calc --format json``); the facility and organization name the cover."""

    document: dict[str, Any]
    facility_code: str
    facility_name: str
    organization_name: str


def footprint_filename(report: FootprintReport, lang: str, fmt: str) -> str:
    """``footprint-<facility code>-<product>-<period start>-<lang>.<ext>``, safe anywhere."""
    document = report.document

    def safe(text: str) -> str:
        return re.sub(r"[^\w.-]+", "-", text).strip("-.") or "x"

    start = document["period"][0]
    return (
        f"footprint-{safe(report.facility_code)}-{safe(document['product'])}-{start}-{lang}.{fmt}"
    )


def contribution_chart(document: dict[str, Any], labels: Labels) -> str:
    """Horizontal bars of the largest contributions by process, coloured by stage, the
    rest in one bar, as SVG."""
    rows = [r for r in document["by_process"] if r["kgco2e"]]
    top, rest = rows[:CHART_PROCESSES], rows[CHART_PROCESSES:]
    names = [_wrap(process_label(r, labels), 38) for r in top]
    values = [r["kgco2e"] for r in top]
    colours = [_STAGE_COLOURS.get(r["stage"], _REST) for r in top]
    if rest:
        names.append(labels.gettext("other processes (%(n)s)", n=len(rest)))
        values.append(math.fsum(r["kgco2e"] for r in rest))
        colours.append(_REST)
    score = document["kgco2e_per_declared_unit"]
    with matplotlib.rc_context(_style()):
        figure = Figure(figsize=(6.6, 0.36 * max(len(values), 1) + 1.0))
        axes = figure.add_subplot()
        bars = axes.barh(names, values, color=colours, height=0.62)
        axes.invert_yaxis()
        axes.grid(axis="y", visible=False)
        axes.xaxis.set_major_formatter(FuncFormatter(_thousands))
        axes.set_xlabel(labels.gettext("kg CO2e per %(unit)s", unit=_unit_text(document)))
        shares = [f"{v:,.0f} ({100 * v / score:.1f} %)" if score else f"{v:,.0f}" for v in values]
        axes.bar_label(bars, labels=shares, padding=3, fontsize=7)
        low, high = min(0.0, *values), max(0.0, *values)
        axes.set_xlim(low * 1.3 if low < 0 else 0, high * 1.32 if high > 0 else 0)
        stages = list(dict.fromkeys(r["stage"] for r in top))
        handles = [
            Patch(color=_STAGE_COLOURS.get(s, _REST), label=labels.name_of("footprint.stage", s))
            for s in stages
        ]
        axes.legend(handles=handles, loc="lower right", frameon=False, fontsize=7.5)
        return _svg(figure, "lingtan-footprint-contributions")


def histogram_chart(document: dict[str, Any], labels: Labels) -> str:
    """The Monte Carlo draws' histogram (``monte_carlo.histogram``) as SVG; empty without
    one (no draws, or a document of an older result)."""
    drawn = document.get("monte_carlo") or {}
    bins = drawn.get("histogram")
    if not bins:
        return ""
    edges, counts = bins["edges_kgco2e"], bins["counts"]
    with matplotlib.rc_context(_style()):
        figure = Figure(figsize=(6.6, 2.6))
        axes = figure.add_subplot()
        widths = [b - a for a, b in itertools.pairwise(edges)]
        axes.bar(edges[:-1], counts, width=widths, align="edge", color=_STAGE_COLOURS["production"])
        axes.xaxis.set_major_formatter(FuncFormatter(_thousands))
        axes.set_xlabel(labels.gettext("kg CO2e per %(unit)s", unit=_unit_text(document)))
        axes.set_ylabel(labels.gettext("draws"))
        return _svg(figure, "lingtan-footprint-monte-carlo")


def _unit_text(document: dict[str, Any]) -> str:
    unit = document["declared_unit"]
    return f"{unit['quantity']:g} {unit['unit']}"


def _context(report: FootprintReport, lang: str) -> dict[str, Any]:
    labels = Labels(check_lang(lang))
    document = report.document
    return {
        "L": labels,
        "lang": lang,
        "r": report,
        "d": document,
        "font": cjk_font(),
        "kinds": KINDS,
        "unit_text": _unit_text(document),
        "status_shares": status_shares(document),
        "chart": Markup(contribution_chart(document, labels)),
        "histogram": Markup(histogram_chart(document, labels)),
        "pname": lambda row: process_label(row, labels),
    }


def render_footprint_html(report: FootprintReport, lang: str) -> str:
    """The CFP study report as one self-contained HTML page in ``lang`` (``zh-CN``, ``en``).

    Raises
    ------
    ValueError
        If ``lang`` is not a report language.
    lingtan.reports.charts.MissingFontError
        If no CJK font is installed (the chart needs one).
    """
    return _environment().get_template("footprint.html.j2").render(_context(report, lang))


def render_footprint_pdf(report: FootprintReport, lang: str) -> bytes:
    """The CFP study report as A4 PDF bytes (WeasyPrint on :func:`render_footprint_html`)."""
    return html_to_pdf(render_footprint_html(report, lang))


_SHEETS = {
    "summary": NP_("report.sheet", "Summary"),
    "processes": NP_("report.sheet", "Processes"),
    "exchanges": NP_("report.sheet", "Inventory"),
    "meters": NP_("report.sheet", "Meters"),
    "background": NP_("report.sheet", "Background data"),
}


def summary_rows(document: dict[str, Any]) -> list[tuple[str, str, Any, str | None]]:
    """The Summary sheet's rows: (English, Chinese) name, the figure's path in the document,
    its value, its unit."""
    per = f"kg CO2e/{_unit_text(document)}"
    rows: list[tuple[str, str, Any, str | None]] = []

    def add(text: str, key: str, value: Any, unit: str | None = None, **names: str) -> None:
        en, zh = (
            labels.gettext(text, **{k: labels.name_of(f, c) for k, (f, c) in names.items()})
            for labels in (Labels("en"), Labels("zh-CN"))
        )
        rows.append((f"{en}|{zh}", key, value, unit))

    add(N_("Study"), "study", document["study"])
    add(N_("Product"), "product", document["product"])
    unit = document["declared_unit"]
    add(N_("Declared or functional unit"), "declared_unit.quantity", unit["quantity"],
        unit["unit"])  # fmt: skip
    add(N_("Reference flow"), "reference_flow", document["reference_flow"],
        document["reference_flow_unit"])  # fmt: skip
    add(N_("Output in the period"), "production", document["production"],
        document["reference_flow_unit"])  # fmt: skip
    add(N_("Period start"), "period[0]", document["period"][0])
    add(N_("Period end"), "period[1]", document["period"][1])
    add(N_("System boundary"), "boundary", document["boundary"])
    add(N_("GWP set"), "gwp", document["gwp"])
    add(N_("Electricity method"), "electricity_method", document["electricity_method"])
    add(N_("Allocation key"), "allocation", document["allocation"])
    add(N_("Carbon footprint"), "kgco2e_per_declared_unit",
        document["kgco2e_per_declared_unit"], per)  # fmt: skip
    for kind, text in KINDS.items():
        add(text, f"result.by_kind_kgco2e.{kind}", document["result"]["by_kind_kgco2e"][kind], per)
    for stage, value in document["result"]["by_stage_kgco2e"].items():
        add(N_("Stage: %(stage)s"), f"result.by_stage_kgco2e.{stage}", value, per,
            stage=("footprint.stage", stage))  # fmt: skip
    add(N_("Primary data share"), "primary_data_share_pct", document["primary_data_share_pct"], "%")
    drawn = document["monte_carlo"]
    if drawn is not None:
        add(N_("Monte Carlo draws"), "monte_carlo.iterations", drawn["iterations"])
        for stat, value in drawn["kgco2e"].items():
            add(N_("Monte Carlo: %(statistic)s"), f"monte_carlo.kgco2e.{stat}", value, per,
                statistic=("footprint.statistic", stat))  # fmt: skip
    return rows


def render_footprint_xlsx(report: FootprintReport, lang: str) -> bytes:
    """The CFP study report as an XLSX workbook: the summary with each figure's path in the
    result's JSON, every process's contribution, the product's inventory per declared unit,
    the meters behind it and the background data with their status, at full precision (two
    header rows: the report language first)."""
    labels = Labels(check_lang(lang))
    document = report.document
    name = labels.name_of
    wb = Workbook()
    ws = wb.active
    ws.title = labels.pgettext(*_SHEETS["summary"])
    pick = 1 if labels.zh else 0
    last = _table(ws, labels, [
        col(NP_("report.column", "Item"), 40, lambda r: r[0].split("|")[pick]),
        col(NP_("report.column", "Item (other language)"), 40,
            lambda r: r[0].split("|")[1 - pick]),
        col(NP_("report.column", "Key in the result"), 36, lambda r: r[1]),
        col(NP_("report.column", "Value"), 22, lambda r: r[2]),
        col(NP_("report.column", "Unit"), 18, lambda r: r[3]),
    ], summary_rows(document))  # fmt: skip
    for row in range(3, last + 1):
        cell = ws.cell(row=row, column=4)
        if isinstance(cell.value, float):
            cell.number_format = "#,##0.0##############"
    ws = wb.create_sheet(labels.pgettext(*_SHEETS["processes"]))
    _table(ws, labels, [
        col(NP_("report.column", "Process"), 30, lambda r: r["process"]),
        col(NP_("report.column", "Name"), 40, lambda r: process_label(r, labels)),
        col(NP_("report.column", "Stage"), 18, lambda r: name("footprint.stage", r["stage"])),
        col(NP_("report.column", "Supply"), 16, lambda r: r["supply"], T3),
        col(NP_("report.column", "Unit"), 10, lambda r: r["unit"]),
        col(NP_("report.column", "kg CO2e"), 16, lambda r: r["kgco2e"], T3),
        col(NP_("report.column", "Share %%"), 10,
            lambda r: None if r["share"] is None else 100 * r["share"], PCT),
    ], document["by_process"])  # fmt: skip
    ws = wb.create_sheet(labels.pgettext(*_SHEETS["exchanges"]))
    _table(ws, labels, [
        col(NP_("report.column", "Flow"), 30, lambda r: r["flow"]),
        col(NP_("report.column", "Name"), 40, lambda r: process_label(r, labels)),
        col(NP_("report.column", "Stage"), 18, lambda r: name("footprint.stage", r["stage"])),
        col(NP_("report.column", "Amount per declared unit"), 18, lambda r: r["amount"], T3),
        col(NP_("report.column", "Unit"), 10, lambda r: r["unit"]),
        col(NP_("report.column", "Data"), 18, lambda r: ", ".join(r["data"])),
        col(NP_("report.column", "Primary"), 8,
            lambda r: labels.gettext(N_("yes") if r["primary"] else N_("no"))),
        col(NP_("report.column", "Sources"), 50, lambda r: ", ".join(r["sources"])),
    ], document["exchanges"])  # fmt: skip
    ws = wb.create_sheet(labels.pgettext(*_SHEETS["meters"]))
    _table(ws, labels, [
        col(NP_("report.column", "Meter"), 12, lambda r: r["meter"]),
        col(NP_("report.column", "Energy in the period"), 18, lambda r: r["period_quantity"], T3),
        col(NP_("report.column", "Unit"), 8, lambda r: r["unit"]),
        col(NP_("report.column", "Product's share"), 12, lambda r: r["share"], "0.000000"),
        col(NP_("report.column", "Per declared unit"), 16, lambda r: r["per_declared_unit"], T3),
        col(NP_("report.column", "From (UTC)"), 26, lambda r: r["start"]),
        col(NP_("report.column", "To (UTC)"), 26, lambda r: r["end"]),
        col(NP_("report.column", "Note"), 36,
            lambda r: labels.message(r.get("note_message") or r["note"])),
    ], document["meters"])  # fmt: skip
    ws = wb.create_sheet(labels.pgettext(*_SHEETS["background"]))
    _table(ws, labels, [
        col(NP_("report.column", "Process"), 30, lambda r: r["process"]),
        col(NP_("report.column", "Name"), 40, lambda r: process_label(r, labels)),
        col(NP_("report.column", "Data"), 12, lambda r: r["data"]),
        col(NP_("report.column", "Status"), 14,
            lambda r: name("footprint.data_status", r["status"] or "none")),
        col(NP_("report.column", "Provenance"), 80, lambda r: r["provenance"]),
    ], document["background"])  # fmt: skip
    title = labels.gettext("Product carbon footprint study report")
    wb.properties.title = f"{title} · {document['study']}"
    wb.properties.creator = "lingtan"
    buffer = io.BytesIO()
    with _exact_floats():
        wb.save(buffer)
    return buffer.getvalue()
