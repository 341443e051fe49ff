"""The zero-carbon-factory report (零碳工厂报告) in HTML, PDF and XLSX, zh-CN and English, and
the climate-disclosure data pack (气候信息披露数据包) as XLSX.

It reads a :class:`lingtan.services.zero_carbon.ZeroCarbonData` (never the store) and uses the
inventory report's machinery: the same Jinja2 environment, CSS, number formats and texts
(:mod:`lingtan.reports.html`, :mod:`lingtan.reports.i18n`), the PDF by WeasyPrint from the HTML
(:func:`lingtan.reports.pdf.html_to_pdf`) and the workbook's two-language sheets
(:mod:`lingtan.reports.xlsx`) with every figure at full precision.
"""

from __future__ import annotations

import io
import json
import re
from typing import Any

from openpyxl import Workbook

from lingtan.evaluation.engine import Status, number_text
from lingtan.i18n import N_, NP_
from lingtan.reports.charts import cjk_font
from lingtan.reports.html import _environment
from lingtan.reports.i18n import Labels, check_lang
from lingtan.reports.pdf import html_to_pdf
from lingtan.reports.xlsx import T3, _exact_floats, _table, col

__all__ = [
    "render_disclosure_xlsx",
    "render_zero_carbon_html",
    "render_zero_carbon_pdf",
    "render_zero_carbon_xlsx",
    "zero_carbon_filename",
]

#: The names of the evaluation's results (the catalogue's, as ``lingtan evaluate`` shows them).
STATUS_NAMES = {
    "pass": NP_("evaluation.status", "pass"),
    "fail": NP_("evaluation.status", "fail"),
    "unable_to_judge": NP_("evaluation.status", "unable to judge"),
}

#: The inventory's figures in section 2: key of ``totals``, label, unit, decimals shown.
INVENTORY_ROWS = (
    ("scope1_tco2e", N_("Scope 1 (gross)"), "tCO2e", 3),
    ("scope2_location_tco2e", N_("Scope 2 location-based"), "tCO2e", 3),
    ("scope2_market_tco2e", N_("Scope 2 market-based"), "tCO2e", 3),
    ("scope3_tco2e", N_("Scope 3"), "tCO2e", 3),
    ("total_tco2e", N_("GB/T 32150 total"), "tCO2e", 3),
    ("energy_tce", N_("Energy consumption"), "tce", 3),
    ("purchased_electricity_mwh", N_("Purchased electricity"), "MWh", 3),
    ("co2_per_energy_tco2_per_tce", N_("CO2 per unit energy"), "tCO2/tce", 4),
)


def zero_carbon_filename(data: Any, lang: str, fmt: str, kind: str = "zero-carbon") -> str:
    """``<kind>-<facility code>-<year>-<lang>.<ext>``, safe on any file system."""
    code = re.sub(r"[^\w.-]+", "-", str(data.facility_code)).strip("-.") or "facility"
    return f"{kind}-{code}-{data.year}-{lang}.{fmt}"


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _source(criterion: Any, zh: bool) -> str:
    """The document and clause of a criterion, in Chinese where the rule set gives them."""
    if zh:
        document = criterion.document_zh or criterion.document
        return f"{document} {criterion.clause_zh or criterion.clause}"
    return f"{criterion.document} {criterion.clause}"


def _context(data: Any, lang: str) -> dict[str, Any]:
    labels = Labels(check_lang(lang))
    ev = data.evaluation
    return {
        "L": labels,
        "lang": lang,
        "d": data,
        "font": cjk_font(),
        "Status": Status,
        "shown": lambda value: labels.fact_value(value, number_text),
        "source_of": lambda c: _source(c.criterion, labels.zh),
        "status_name": lambda code: labels.pgettext(*STATUS_NAMES[str(code)]),
        "scheme_title": (ev.rules.title_zh if labels.zh else ev.rules.title_en) if ev else "",
        "inventory_rows": [
            (key, labels.term(text), unit, places) for key, text, unit, places in INVENTORY_ROWS
        ],
    }


def render_zero_carbon_html(data: Any, lang: str) -> str:
    """The report as one self-contained HTML page in ``lang`` (``zh-CN`` or ``en``).

    Raises
    ------
    ValueError
        If ``lang`` is not a report language.
    lingtan.reports.charts.MissingFontError
        If no CJK font is installed.
    """
    return _environment().get_template("zero_carbon.html.j2").render(_context(data, lang))


def render_zero_carbon_pdf(data: Any, lang: str) -> bytes:
    """The report as A4 PDF bytes (WeasyPrint on :func:`render_zero_carbon_html`)."""
    return html_to_pdf(render_zero_carbon_html(data, lang))


_SHEETS = {
    "summary": NP_("report.sheet", "Summary"),
    "measures": NP_("report.sheet", "Measures"),
    "holdings": NP_("report.sheet", "Holdings"),
    "retirements": NP_("report.sheet", "Retirements"),
    "criteria": NP_("report.sheet", "Evaluation"),
    "metrics": NP_("report.sheet", "Climate metrics"),
    "frameworks": NP_("report.sheet", "Frameworks"),
}


def _summary_rows(data: Any) -> list[tuple[str, Any, str]]:
    """(path in the report's data, value, unit) of the summary sheet."""
    inv, r = data.inventory, data.renewable
    rows: list[tuple[str, Any, str]] = [
        ("facility_code", data.facility_code, ""),
        ("year", data.year, ""),
        ("inventory.id", inv["id"], ""),
        ("inventory.result_sha256", inv["result_sha256"], ""),
        *((f"totals.{key}", data.totals[key], unit) for key, _, unit, _ in INVENTORY_ROWS),
        *((f"scope3.{k}", v, "tCO2e") for k, v in data.scope3.items()),
        ("reductions.done_tco2_per_year", data.reductions["done_tco2_per_year"], "tCO2/a"),
        ("renewable.onsite_renewable_mwh", r.get("onsite_renewable_mwh"), "MWh"),
        ("renewable.gec_retired_mwh", r.get("gec_retired_mwh"), "MWh"),
        ("renewable.green_power_retired_mwh", r.get("green_power_retired_mwh"), "MWh"),
        ("renewable.consumed_mwh", r.get("consumed_mwh"), "MWh"),
        ("renewable.share_pct", r.get("share_pct"), "%"),
        ("offset_retired_tco2e", data.offset_retired_tco2e, "tCO2e"),
    ]
    if data.hourly:
        rows.append(("hourly.hourly_matched_cfe_share_pct",
                     data.hourly["hourly_matched_cfe_share_pct"], "%"))  # fmt: skip
    if data.evaluation:
        rows.append(("evaluation.scheme", data.evaluation.rules.scheme, ""))
        rows.append(("evaluation.result", str(data.evaluation.result), ""))
    return rows


def _workbook(labels: Labels, key: str) -> tuple[Workbook, Any]:
    wb = Workbook()
    ws = wb.active
    ws.title = labels.pgettext(*_SHEETS[key])
    return wb, ws


def _save(wb: Workbook, title: str) -> bytes:
    wb.properties.title = title
    wb.properties.creator = "lingtan"
    buffer = io.BytesIO()
    with _exact_floats():
        wb.save(buffer)
    return buffer.getvalue()


def render_zero_carbon_xlsx(data: Any, lang: str) -> bytes:
    """The report as an XLSX workbook at full precision: the summary (each figure by its path
    in the report's data), the measures, the holdings, the retirements with their serials and
    the evaluation's criteria (two header rows: the report language first)."""
    labels = Labels(check_lang(lang))
    name = labels.name_of
    wb, ws = _workbook(labels, "summary")
    _table(ws, labels, [
        col(NP_("report.column", "Figure"), 40, lambda r: r[0]),
        col(NP_("report.column", "Value"), 20, lambda r: r[1], T3),
        col(NP_("report.column", "Unit"), 10, lambda r: r[2] or None),
    ], _summary_rows(data))  # fmt: skip
    ws = wb.create_sheet(labels.pgettext(*_SHEETS["measures"]))
    _table(ws, labels, [
        col(NP_("report.column", "Measure"), 16, lambda m: m["code"]),
        col(NP_("report.column", "Title"), 36, lambda m: m["title"]),
        col(NP_("report.column", "Status"), 10,
            lambda m: name("efficiency.measure_status", m["status"])),
        col(NP_("report.column", "Saved tce/a"), 12, lambda m: m["energy_saved_tce_per_year"], T3),
        col(NP_("report.column", "Saved tCO2/a"), 12,
            lambda m: m["emissions_saved_tco2_per_year"], T3),
        col(NP_("report.column", "Done on"), 12, lambda m: m["done_on"]),
    ], data.measures)  # fmt: skip
    ws = wb.create_sheet(labels.pgettext(*_SHEETS["holdings"]))
    _table(ws, labels, [
        col(NP_("report.column", "Holding"), 16, lambda h: h["asset"]),
        col(NP_("report.column", "Kind"), 12, lambda h: name("ledger.kind", h["kind"])),
        col(NP_("report.column", "Serials"), 34, lambda h: h["serial"] or h["certificates"]),
        col(NP_("report.column", "Acquired"), 14, lambda h: h["acquired"], T3),
        col(NP_("report.column", "Retired"), 14, lambda h: h["retired"], T3),
        col(NP_("report.column", "Balance"), 14, lambda h: h["balance"], T3),
        col(NP_("report.column", "Unit"), 8, lambda h: h["unit"]),
    ], data.holdings)  # fmt: skip
    ws = wb.create_sheet(labels.pgettext(*_SHEETS["retirements"]))
    _table(ws, labels, [
        col(NP_("report.column", "Entry"), 8, lambda e: e["entry"]),
        col(NP_("report.column", "Holding"), 16, lambda e: e["asset"]),
        col(NP_("report.column", "Kind"), 12, lambda e: name("ledger.kind", e["kind"])),
        col(NP_("report.column", "Serials"), 34, lambda e: e["serial"]),
        col(NP_("report.column", "Quantity"), 14, lambda e: e["quantity"], T3),
        col(NP_("report.column", "Unit"), 8, lambda e: e["unit"]),
        col(NP_("report.column", "Retired on"), 12, lambda e: e["on_date"]),
        col(NP_("report.column", "Claim"), 36, lambda e: e["claim"]),
    ], data.retirements)  # fmt: skip
    if data.evaluation:
        ws = wb.create_sheet(labels.pgettext(*_SHEETS["criteria"]))
        _table(ws, labels, [
            col(NP_("report.column", "ID"), 18, lambda c: c.criterion.id),
            col(NP_("report.column", "Status"), 12,
                lambda c: labels.pgettext(*STATUS_NAMES[str(c.status)])),
            col(NP_("report.column", "Value"), 16,
                lambda c: c.value if _number(c.value) else labels.fact_value(c.value), T3),
            col(NP_("report.column", "Threshold"), 16,
                lambda c: c.threshold if _number(c.threshold)
                else labels.fact_value(c.threshold), T3),
            col(NP_("report.column", "Unit"), 8,
                lambda c: name("evaluation.unit", c.unit) if c.unit else None),
            col(NP_("report.column", "Gap"), 16, lambda c: c.gap, T3),
            col(NP_("report.column", "Gap in words"), 40,
                lambda c: labels.message(c.gap_text) if c.gap_text else None),
            col(NP_("report.column", "Reason"), 40, lambda c: labels.message(c.reason)),
            col(NP_("report.column", "Source document"), 40,
                lambda c: _source(c.criterion, labels.zh)),
            col(NP_("report.column", "Review status"), 12,
                lambda c: name("factor.status", c.criterion.status)),
        ], data.evaluation.criteria)  # fmt: skip
    title = f"{labels.gettext('Zero-carbon factory report')} · {data.facility_name} · {data.year}"
    return _save(wb, title)


def render_disclosure_xlsx(document: dict[str, Any], lang: str) -> bytes:
    """The climate-disclosure data pack (:func:`lingtan.services.disclosure.
    disclosure_document`) as an XLSX workbook: one row per metric with its value at full
    precision, unit, the clause of each framework (empty where not known) and its source as
    JSON; a sheet of the frameworks with their review status."""
    labels = Labels(check_lang(lang))
    name = labels.name_of
    wb, ws = _workbook(labels, "metrics")

    def clause(framework: str):
        return lambda m: m["frameworks"][framework]["clause"]

    _table(ws, labels, [
        col(NP_("report.column", "Metric"), 30, lambda m: m["metric"]),
        col(NP_("report.column", "Title"), 36,
            lambda m: m["title_zh"] if labels.zh else m["title_en"]),
        col(NP_("report.column", "Value"), 18, lambda m: m["value"], T3),
        col(NP_("report.column", "Unit"), 12, lambda m: m["unit"]),
        col(NP_("report.column", "Denominator"), 24, lambda m: m.get("denominator")),
        col(NP_("report.column", "China climate standard clause"), 18, clause("csds-climate")),
        col(NP_("report.column", "IFRS S2 paragraph"), 18, clause("ifrs-s2")),
        col(NP_("report.column", "GRI disclosure"), 14, clause("gri-305")),
        col(NP_("report.column", "Source in lingtan"), 60,
            lambda m: json.dumps(m["source"], ensure_ascii=False)),
    ], document["metrics"])  # fmt: skip
    ws = wb.create_sheet(labels.pgettext(*_SHEETS["frameworks"]))
    _table(ws, labels, [
        col(NP_("report.column", "ID"), 14, lambda f: f["id"]),
        col(NP_("report.column", "Title"), 50,
            lambda f: f["title_zh"] if labels.zh else f["title_en"]),
        col(NP_("report.column", "Issuer"), 30, lambda f: f["issuer"]),
        col(NP_("report.column", "Published"), 12, lambda f: f["published"]),
        col(NP_("report.column", "Review status"), 12,
            lambda f: name("factor.status", f["status"])),
        col(NP_("report.column", "Note"), 60, lambda f: f["note"]),
    ], document["frameworks"])  # fmt: skip
    title = labels.gettext("Climate-disclosure data pack")
    return _save(wb, f"{title} · {document['facility_name']} · {document['year']}")
