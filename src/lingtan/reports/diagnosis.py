"""The energy-saving diagnosis report (节能诊断报告) in HTML, PDF and XLSX, zh-CN and English.

It reads a :class:`lingtan.services.diagnosis.DiagnosisData` (never the store) and uses the
inventory report's machinery: the same Jinja2 environment, CSS, number formats and texts
(:mod:`lingtan.reports.html`, :mod:`lingtan.reports.i18n`), charts drawn by matplotlib to
inline SVG (:mod:`lingtan.reports.charts`), the PDF by WeasyPrint from the HTML
(:func:`lingtan.reports.pdf.html_to_pdf`), and the workbook's two-language sheets
(:mod:`lingtan.reports.xlsx`) with every figure at full precision.
"""

from __future__ import annotations

import io
import re
from datetime import date
from typing import Any

import matplotlib
import numpy as np
from markupsafe import Markup
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter
from openpyxl import Workbook

from lingtan.i18n import NP_
from lingtan.i18n.terms import TERMS
from lingtan.reports.charts import _style, _svg, _thousands, cjk_font
from lingtan.reports.html import _environment
from lingtan.reports.i18n import Labels, check_lang
from lingtan.reports.pdf import html_to_pdf
from lingtan.reports.xlsx import CNY, T3, _exact_floats, _table, col

__all__ = [
    "cusum_chart",
    "diagnosis_filename",
    "enpi_chart",
    "render_diagnosis_html",
    "render_diagnosis_pdf",
    "render_diagnosis_xlsx",
]

_ACTUAL, _EXPECTED, _BAND, _CUSUM = "#2a7ab0", "#c8553d", "#f3d3cb", "#1f6f5c"


def diagnosis_filename(data: Any, lang: str, fmt: str) -> str:
    """``diagnosis-<facility code>-<year>-<lang>.<ext>``, safe on any file system."""
    code = re.sub(r"[^\w.-]+", "-", str(data.facility_code)).strip("-.") or "facility"
    return f"diagnosis-{code}-{data.year}-{lang}.{fmt}"


def _days(entry: dict[str, Any]) -> np.ndarray:
    return np.array(entry["days"], dtype="datetime64[D]").astype("datetime64[ms]").astype(object)


def enpi_chart(entry: dict[str, Any], labels: Labels) -> str:
    """Daily actual energy against the baseline's expected energy and its band, as SVG."""
    days = _days(entry)
    expected = np.array(entry["expected_kwh"])
    band = entry["band_kwh"]
    with matplotlib.rc_context(_style()):
        figure = Figure(figsize=(6.6, 2.7))
        axes = figure.add_subplot()
        axes.fill_between(days, expected - band, expected + band, color=_BAND, linewidth=0,
                          label=labels.gettext("Baseline band (%(pct)s %%)",
                                               pct=f"{entry['confidence'] * 100:.0f}"))  # fmt: skip
        axes.plot(days, expected, color=_EXPECTED, linewidth=1.0,
                  label=labels.gettext("Expected by the baseline"))  # fmt: skip
        axes.plot(days, entry["actual_kwh"], color=_ACTUAL, linewidth=0.8,
                  label=labels.gettext("Actual energy"))  # fmt: skip
        axes.yaxis.set_major_formatter(FuncFormatter(_thousands))
        axes.set_ylabel("kWh/d")
        axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=3, frameon=False,
                    fontsize=7.5)  # fmt: skip
        return _svg(figure, f"lingtan-enpi-{_slug(entry['code'])}")


def cusum_chart(entry: dict[str, Any], labels: Labels) -> str:
    """The CUSUM of actual − expected over the reporting period, as SVG."""
    days = _days(entry)
    with matplotlib.rc_context(_style()):
        figure = Figure(figsize=(6.6, 2.4))
        axes = figure.add_subplot()
        axes.plot(days, entry["cusum_kwh"], color=_CUSUM, linewidth=1.2,
                  label=labels.gettext("CUSUM of actual − expected"))  # fmt: skip
        axes.axhline(0, color="#888888", linewidth=0.8)
        axes.yaxis.set_major_formatter(FuncFormatter(_thousands))
        axes.set_ylabel("kWh")
        axes.legend(loc="lower left", frameon=False, fontsize=7.5)
        return _svg(figure, f"lingtan-cusum-{_slug(entry['code'])}")


def _slug(text: str) -> str:
    return re.sub(r"[^\w-]+", "-", text).strip("-") or "m"


def _context(data: Any, lang: str) -> dict[str, Any]:
    labels = Labels(check_lang(lang))
    charts = {}
    for entry in data.enpi:
        if entry["valid"]:
            charts[entry["code"]] = (
                Markup(enpi_chart(entry, labels)),
                Markup(cusum_chart(entry, labels)),
            )
    return {
        "L": labels,
        "lang": lang,
        "d": data,
        "font": cjk_font(),
        "charts": charts,
        "level_name": lambda code: (
            labels.pgettext(*TERMS["efficiency.level"][code])
            if code in TERMS["efficiency.level"]
            else code
        ),
    }


def render_diagnosis_html(data: Any, lang: str) -> str:
    """The diagnosis as one self-contained HTML page in ``lang`` (``zh-CN`` or ``en``).

    Raises
    ------
    ValueError
        If ``lang`` is not a report language.
    lingtan.reports.charts.MissingFontError
        If no CJK font is installed (the charts need one).
    """
    return _environment().get_template("diagnosis.html.j2").render(_context(data, lang))


def render_diagnosis_pdf(data: Any, lang: str) -> bytes:
    """The diagnosis as A4 PDF bytes (WeasyPrint on :func:`render_diagnosis_html`)."""
    return html_to_pdf(render_diagnosis_html(data, lang))


_SHEETS = {
    "measures": NP_("report.sheet", "Measures"),
    "energy": NP_("report.sheet", "Energy structure"),
    "equipment": NP_("report.sheet", "Equipment grades"),
    "enpi": NP_("report.sheet", "EnPI and CUSUM"),
}


def render_diagnosis_xlsx(data: Any, lang: str) -> bytes:
    """The diagnosis as an XLSX workbook: the measures ranked by payback, the energy
    structure, the equipment grades and each baseline's daily EnPI and CUSUM, at full
    precision (two header rows: the report language first)."""
    labels = Labels(check_lang(lang))
    wb = Workbook()
    ws = wb.active
    ws.title = labels.pgettext(*_SHEETS["measures"])
    name = labels.name_of
    _table(ws, labels, [
        col(NP_("report.column", "Rank"), 6, lambda r: r[0]),
        col(NP_("report.column", "Measure"), 14, lambda r: r[1]["code"]),
        col(NP_("report.column", "Kind"), 18,
            lambda r: name("efficiency.measure_kind", r[1]["kind"])),
        col(NP_("report.column", "Title"), 36, lambda r: r[1]["title"]),
        col(NP_("report.column", "Status"), 10,
            lambda r: name("efficiency.measure_status", r[1]["status"])),
        col(NP_("report.column", "Node"), 12, lambda r: r[1]["node"]),
        col(NP_("report.column", "Energy type"), 12,
            lambda r: name("energy.type", r[1]["energy_type"])),
        col(NP_("report.column", "Saved per year"), 14, lambda r: r[1]["saved_per_year"], T3),
        col(NP_("report.column", "Unit"), 8, lambda r: r[1]["unit"]),
        col(NP_("report.column", "Saved tce/a"), 12,
            lambda r: r[1]["energy_saved_tce_per_year"], T3),
        col(NP_("report.column", "Saved tCO2/a"), 12,
            lambda r: r[1]["emissions_saved_tco2_per_year"], T3),
        col(NP_("report.column", "Saved CNY/a"), 14, lambda r: r[1]["cost_saved_cny_per_year"],
            CNY),
        col(NP_("report.column", "Investment CNY"), 14, lambda r: r[1]["investment_cny"], CNY),
        col(NP_("report.column", "Payback years"), 10, lambda r: r[1]["payback_years"], "0.00"),
        col(NP_("report.column", "Basis"), 60, lambda r: labels.message(r[1]["basis"])),
    ], list(enumerate(data.measures, start=1)))  # fmt: skip
    ws = wb.create_sheet(labels.pgettext(*_SHEETS["energy"]))
    _table(ws, labels, [
        col(NP_("report.column", "Energy type"), 16,
            lambda r: name("energy.type", r["energy_type"])),
        col(NP_("report.column", "Energy"), 16, lambda r: r["energy"], T3),
        col(NP_("report.column", "Unit"), 8, lambda r: r["unit"]),
        col(NP_("report.column", "tce"), 14, lambda r: r["energy_tce"], T3),
        col(NP_("report.column", "tCO2"), 14, lambda r: r["carbon_tco2"], T3),
        col(NP_("report.column", "Share %%"), 10, lambda r: r["share_pct"], "0.00"),
    ], data.energy["by_type"])  # fmt: skip
    ws = wb.create_sheet(labels.pgettext(*_SHEETS["equipment"]))
    _table(ws, labels, [
        col(NP_("report.column", "ID"), 10, lambda r: r["id"]),
        col(NP_("report.column", "Name"), 30, lambda r: r["name"]),
        col(NP_("report.column", "Type"), 16, lambda r: name("efficiency.type", r["type"])),
        col(NP_("report.column", "Grade"), 14, lambda r: name("efficiency.level", r["level"])),
        col(NP_("report.column", "Standard"), 22, lambda r: r["standard"]),
        col(NP_("report.column", "Threshold"), 36, lambda r: r["threshold"]),
    ], data.equipment["items"])  # fmt: skip
    ws = wb.create_sheet(labels.pgettext(*_SHEETS["enpi"]))
    rows = [
        (entry["code"], day, actual, expected, cusum)
        for entry in data.enpi
        if entry["valid"]
        for day, actual, expected, cusum in zip(
            entry["days"],
            entry["actual_kwh"],
            entry["expected_kwh"],
            entry["cusum_kwh"],
            strict=True,
        )
    ]
    _table(ws, labels, [
        col(NP_("report.column", "Measure"), 12, lambda r: r[0]),
        col(NP_("report.column", "Day"), 12, lambda r: date.fromisoformat(r[1])),
        col(NP_("report.column", "Actual kWh"), 14, lambda r: r[2], T3),
        col(NP_("report.column", "Expected kWh"), 14, lambda r: r[3], T3),
        col(NP_("report.column", "CUSUM kWh"), 14, lambda r: r[4], T3),
    ], rows)  # fmt: skip
    wb.properties.title = f"{labels.gettext('Energy-saving diagnosis report')} · " \
                          f"{data.facility_name} · {data.year}"  # fmt: skip
    wb.properties.creator = "lingtan"
    buffer = io.BytesIO()
    with _exact_floats():
        wb.save(buffer)
    return buffer.getvalue()
