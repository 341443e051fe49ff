"""GB/T 32150 inventory reports in HTML, PDF and XLSX, in zh-CN and English.

The report code reads a :class:`ReportData` (assembled by the service layer from the store)
and never the database. HTML and PDF come from the same template; the XLSX keeps every figure
at full precision.

>>> paths = write_reports(data, "out/")                    # doctest: +SKIP
>>> [p.name for p in paths][:2]                            # doctest: +SKIP
['inventory-12-DCP-01-2025-zh-CN.html', 'inventory-12-DCP-01-2025-zh-CN.pdf']
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from lingtan.reports.charts import MissingFontError, cjk_font
from lingtan.reports.data import ReportData
from lingtan.reports.html import render_html
from lingtan.reports.i18n import LANGS, check_lang
from lingtan.reports.pdf import html_to_pdf, render_pdf
from lingtan.reports.xlsx import render_xlsx

__all__ = [
    "FORMATS",
    "LANGS",
    "MissingFontError",
    "ReportData",
    "check_font",
    "render_html",
    "render_pdf",
    "render_xlsx",
    "report_filename",
    "write_reports",
]

FORMATS = ("html", "pdf", "xlsx")


def check_font(formats: Sequence[str]) -> None:
    """Raise :class:`MissingFontError` (what to install) if ``formats`` hold one that draws
    Chinese text (HTML, PDF) and no CJK font is installed; the XLSX needs none."""
    if {"html", "pdf"} & set(formats):
        cjk_font()


def _period(start: date, end: date) -> str:
    """``2025`` for a calendar year, ``2025-03`` for a month, else ``20250101-20250630``."""
    if (start.month, start.day, end.month, end.day) == (1, 1, 12, 31) and start.year == end.year:
        return f"{start.year}"
    next_day = date.fromordinal(end.toordinal() + 1)
    if start.day == 1 and next_day.day == 1 and (start.year, start.month) == (end.year, end.month):
        return f"{start:%Y-%m}"
    return f"{start:%Y%m%d}-{end:%Y%m%d}"


def report_filename(data: ReportData, lang: str, fmt: str) -> str:
    """``inventory-<id>-<facility code>-<period>-<lang>.<ext>``, safe on any file system."""
    code = re.sub(r"[^\w.-]+", "-", str(data.facility_code)).strip("-.") or "facility"
    ident = re.sub(r"[^\w.-]+", "-", str(data.inventory_id)).strip("-.")
    return f"inventory-{ident}-{code}-{_period(data.period_start, data.period_end)}-{lang}.{fmt}"


def write_reports(
    data: ReportData,
    out_dir: str | Path,
    langs: Sequence[str] = ("zh-CN", "en"),
    formats: Sequence[str] = FORMATS,
) -> list[Path]:
    """Write the report in each language and format to ``out_dir``; returns the paths.

    Everything is rendered before anything is written, so a failure (an unknown language or
    format, no CJK font) leaves no partial set of files behind.
    """
    for lang in langs:
        check_lang(lang)
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ValueError(f"report formats {unknown} are not among {', '.join(FORMATS)}")
    check_font(formats)
    files: list[tuple[str, bytes]] = []
    for lang in langs:
        html = render_html(data, lang) if {"html", "pdf"} & set(formats) else ""
        for fmt in formats:
            if fmt == "html":
                content = html.encode("utf-8")
            elif fmt == "pdf":
                content = html_to_pdf(html)  # the same page as the HTML file, not a re-render
            else:
                content = render_xlsx(data, lang)
            files.append((report_filename(data, lang, fmt), content))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, content in files:
        path = out / name
        path.write_bytes(content)
        paths.append(path)
    return paths
