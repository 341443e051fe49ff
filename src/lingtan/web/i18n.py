"""The languages of the screens: Simplified Chinese (the default) and English.

The language of a request is the ``lang`` cookie when set (the switch link in the page header
sets it), else the first of the browser's ``Accept-Language`` that lingtan speaks, else
Chinese. The texts are in the one gettext catalogue of :mod:`lingtan.i18n.catalog` (shared
with the reports); Chinese texts keep the official terms of GB/T 32150 and GB/T 2589 (范围一,
排放因子, 综合能源消费量 …) so that a page reads like the reports a verifier is used to.

Templates translate with Jinja2's i18n extension (``_("English")``, ``pgettext``,
``ngettext``) into the page's ``lang``; ``name_of(family, code)`` names a code (roles,
statuses, energy types …) and ``category_name(code)`` a GB/T 32150 category. Python code takes
``texts(lang)`` (:class:`lingtan.i18n.catalog.Texts`). docs/web.md says how to add a text.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request

from lingtan.accounting.model import GBT32150_CATEGORIES
from lingtan.i18n.catalog import LANGUAGES, Texts, texts

__all__ = [
    "DEFAULT",
    "LANGUAGES",
    "LANG_COOKIE",
    "Texts",
    "category_name",
    "language",
    "named",
    "texts",
]

LANG_COOKIE = "lang"
DEFAULT = "zh-CN"


def language(request: Request) -> str:
    """The language of ``request``: cookie, then ``Accept-Language``, then Chinese."""
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    for part in request.headers.get("accept-language", "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh-CN"
        if tag.startswith("en"):
            return "en"
    return DEFAULT


def category_name(category: str, lang: str) -> str:
    """The name of a GB/T 32150 category: the official Chinese term, or its English name."""
    english, chinese = GBT32150_CATEGORIES.get(category, (category, category))
    return chinese if lang == "zh-CN" else english


def named(t: Texts, family: str) -> Callable[[str], str]:
    """``name(code)``: the name of ``code`` in ``family`` (lingtan.i18n.terms), else the code."""

    def name(code: str) -> str:
        return t.name_of(family, code)

    return name
