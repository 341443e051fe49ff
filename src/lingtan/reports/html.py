"""The inventory report as one self-contained HTML page (CSS and SVG charts inline).

The page needs nothing from the network: factories run offline. The same HTML is the source
of the PDF (:mod:`lingtan.reports.pdf`); its print CSS sets A4 pages, the running header and
page numbers.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import jinja2
from markupsafe import Markup

from lingtan.accounting.notes import LOW_COVERAGE_PCT
from lingtan.accounting.serialize import warning_texts
from lingtan.i18n import N_
from lingtan.i18n.catalog import install
from lingtan.metering.intervals import metered_note
from lingtan.reports.charts import category_chart, cjk_font, monthly_chart
from lingtan.reports.data import ReportData
from lingtan.reports.i18n import Labels, fmt_date, fmt_fixed, fmt_pct, fmt_sig
from lingtan.reports.view import ReportView, build_view

__all__ = ["render_html"]

#: Totals of section 7.1, in the order of ``uncertainty_pct`` in the result.
UNCERTAINTY_TOTALS = (
    ("total_tco2e", N_("GB/T 32150 total")),
    ("scope1_tco2e", N_("Scope 1 (gross)")),
    ("scope2_location_tco2e", N_("Scope 2 location-based")),
    ("scope2_market_tco2e", N_("Scope 2 market-based")),
    ("scope3_tco2e", N_("Scope 3")),
)


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("lingtan.reports", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"], default_for_string=True),
        undefined=jinja2.StrictUndefined,  # a typo in a template fails loudly, not blank
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        fixed=fmt_fixed, sig=fmt_sig, pct=fmt_pct, day=fmt_date, quality_note=metered_note
    )
    return install(env)


def report_warnings(view: ReportView, labels: Labels) -> list[str]:
    """Warnings the report adds to the engine's: draft, unverified factors, data checks."""
    data, out = view.data, []
    if data.status != "locked":
        out.append(labels.gettext("The inventory is not locked; its figures may still change."))
    if view.unverified:
        out.append(
            labels.gettext(
                "%(n)s factor row(s) used are UNVERIFIED (section 4).", n=len(view.unverified)
            )
        )
    for line in view.lines:
        if line.check == "diff":
            out.append(
                labels.gettext(
                    "Activity records of %(source)s sum to %(records)s %(unit)s, but the inventory "
                    "uses %(used)s %(unit)s.",
                    source=line.line["source_id"],
                    records=fmt_sig(line.records_sum, 10),
                    used=fmt_sig(line.line["quantity"], 10),
                    unit=line.line["unit"],
                )
            )
    if data.activity and view.lines_without_records:
        ids = ", ".join(v.line["source_id"] for v in view.lines_without_records)
        out.append(
            labels.gettext(
                "%(n)s source(s) have no activity records: %(sources)s.",
                n=len(view.lines_without_records),
                sources=ids,
            )
        )
    if view.estimates:
        share = fmt_pct(view.estimate_share_pct)
        out.append(
            labels.gettext(
                "%(n)s activity record(s) are estimates (%(share)s of emissions).",
                n=view.estimates,
                share=share,
            )
        )
    return out


def context(data: ReportData, lang: str) -> dict[str, Any]:
    """Everything the template reads."""
    labels = Labels(lang)
    view = build_view(data)
    totals = data.totals
    categories = {k: v for k, v in totals["by_gbt32150_category_tco2e"].items()}
    # Sources grouped by GB/T 32150 category, in the order of the result's categories (those
    # outside the total last), keeping source order inside a category.
    order = [*categories, None]
    merged: dict[str | None, list[Any]] = {}
    for source in view.sources:
        merged.setdefault(source.gbt32150_category, []).append(source)
    source_groups = sorted(
        merged.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order)
    )
    return {
        "L": labels,
        "lang": lang,
        "d": data,
        "v": view,
        "r": data.result,
        "t": totals,
        "inv": data.result["inventory"],
        "font": cjk_font(),
        "time_zone": data.time_zone,
        "source_groups": source_groups,
        "uncertainty_totals": UNCERTAINTY_TOTALS,
        "low_coverage_pct": LOW_COVERAGE_PCT,
        "report_warnings": report_warnings(view, labels),
        "engine_warnings": [labels.message(w) for w in warning_texts(data.result)],
        "category_svg": Markup(category_chart(categories, labels)) if categories else None,
        "monthly_svg": Markup(monthly_chart(data.monthly, labels)) if data.monthly else None,
    }


def render_html(data: ReportData, lang: str) -> str:
    """The report as a self-contained HTML page in ``lang`` (``zh-CN`` or ``en``).

    Raises
    ------
    ValueError
        If ``lang`` is not a report language.
    lingtan.reports.charts.MissingFontError
        If no CJK font is installed (the charts need one).
    """
    return _environment().get_template("report.html.j2").render(context(data, lang))
