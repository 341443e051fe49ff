"""The inventory report as PDF: WeasyPrint on the report's own HTML and print CSS.

Chinese text is set in Noto Sans CJK SC / Noto Serif CJK SC through fontconfig; WeasyPrint
embeds the subset of the glyphs used. Nothing is fetched: the HTML is self-contained, and any
other URL is refused so a report can never depend on the network.

The font configuration (pango's font map, with the shaped fonts it caches) and the parsed
style sheet of each language are kept for the life of the process: the report's workers
render report after report, and neither depends on the data.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from lingtan.reports.charts import cjk_font
from lingtan.reports.data import ReportData
from lingtan.reports.html import render_html

__all__ = ["html_to_pdf", "render_pdf"]


def _offline_fetcher() -> Any:
    """A WeasyPrint URL fetcher that allows ``data:`` URLs only, failing on anything else."""
    try:
        from weasyprint.urls import URLFetcher

        return URLFetcher(allowed_protocols={"data"}, fail_on_errors=True)
    except (ImportError, TypeError):  # WeasyPrint before the URLFetcher class
        from weasyprint import default_url_fetcher

        def fetch(url: str, *args: Any, **kwargs: Any) -> Any:
            if not url.startswith("data:"):
                raise ValueError(f"{url!r}: a report must be self-contained")
            return default_url_fetcher(url, *args, **kwargs)

        return fetch


#: The page's one ``<style>`` element (the report's CSS, inline so the HTML is self-contained).
_STYLE = re.compile(r"<style>(.*?)</style>", re.S)


@cache
def _font_config() -> Any:
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


@cache
def _stylesheet(css: str) -> Any:
    """The report's CSS parsed once per text (the print CSS differs between languages)."""
    import weasyprint

    return weasyprint.CSS(string=css, font_config=_font_config(), url_fetcher=_offline_fetcher())


def html_to_pdf(html: str) -> bytes:
    """A PDF of an HTML page made by :func:`lingtan.reports.render_html`."""
    cjk_font()  # fail with a clear message rather than print boxes for Chinese text
    # Imported here: WeasyPrint loads pango at import, which HTML and XLSX do not need.
    import weasyprint

    style = _STYLE.search(html)
    sheets = [_stylesheet(style.group(1))] if style else []
    if style:  # the same rules, parsed once rather than per document
        html = html[: style.start()] + html[style.end() :]
    document = weasyprint.HTML(string=html, url_fetcher=_offline_fetcher(), media_type="print")
    return document.write_pdf(stylesheets=sheets, font_config=_font_config())


def render_pdf(data: ReportData, lang: str) -> bytes:
    """The report as A4 PDF bytes in ``lang`` (``zh-CN`` or ``en``)."""
    return html_to_pdf(render_html(data, lang))
