"""Texts and number formats of the reports, in zh-CN and English.

The texts are those of the one gettext catalogue (:mod:`lingtan.i18n.catalog`), shared with
the screens; the report templates use ``_()`` and ``term()`` of Jinja2's i18n extension.

An English report keeps the official Chinese term beside the English one ("Fuel combustion
emissions (燃料燃烧排放)"), so a reader can match it to the standard; a Chinese report shows
the Chinese term only.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from lingtan.accounting.model import GBT32150_CATEGORIES, KINDS
from lingtan.footprint.model import local_name
from lingtan.i18n import N_, NP_
from lingtan.i18n.catalog import Texts
from lingtan.i18n.terms import TERMS

__all__ = [
    "LANGS",
    "PROCESS_STATUS",
    "Labels",
    "check_lang",
    "fmt_fixed",
    "fmt_pct",
    "fmt_sig",
    "process_label",
]

LANGS = ("zh-CN", "en")


_SCOPES = {1: N_("Scope 1"), 2: N_("Scope 2"), 3: N_("Scope 3")}


#: The review statuses a footprint process's name ends with (``"Rail freight [unverified]"``).
PROCESS_STATUS = {
    "official": NP_("factor.status", "official"),
    "unverified": NP_("factor.status", "unverified"),
    "illustrative": NP_("footprint.status", "illustrative"),
}
#: A process name as the product system gives it: the dataset's name and its status.
_STATUS = re.compile(r"(.*) \[(\w+)\]")


def process_label(row: Mapping[str, Any], t: Texts) -> str:
    """A footprint process row's name in ``t``'s language with the status of its data
    (``"Rail freight [unverified]"`` → ``"铁路货运 [未核实]"``): its ``name_zh`` in Chinese
    where it has one (:func:`lingtan.footprint.model.local_name`), else its ``name``."""
    name = local_name(row, t.zh)
    found = _STATUS.fullmatch(name)
    if found is None or found.group(2) not in PROCESS_STATUS:
        return name
    return f"{found.group(1)} [{t.pgettext(*PROCESS_STATUS[found.group(2)])}]"


def check_lang(lang: str) -> str:
    """Return ``lang`` if it is a report language, else raise :class:`ValueError`."""
    if lang not in LANGS:
        raise ValueError(f"report language {lang!r} is not one of {', '.join(LANGS)}")
    return lang


class Labels(Texts):
    """The texts of a report in one language (:class:`lingtan.i18n.catalog.Texts`) and the
    names of its codes: kinds, categories, scopes, gases, statuses, origins."""

    def __init__(self, lang: str):
        super().__init__(check_lang(lang))

    def both(self, en: str, zh: str) -> str:
        return zh if self.zh else f"{en} ({zh})"

    def kind(self, kind: str) -> str:
        en, zh = KINDS.get(kind, (kind, kind))
        return self.both(en, zh)

    def category(self, category: str | None) -> str:
        if category is None:
            return "—"
        en, zh = GBT32150_CATEGORIES.get(category, (category, category))
        return self.both(en, zh)

    def scope(self, scope: int | None) -> str:
        return "—" if scope is None else self.gettext(_SCOPES[scope])

    def iso_category(self, key: str | int | None) -> str:
        return "—" if key is None else f"{key} {self.name_of('iso14064', str(key))}"

    def gas(self, gas: str) -> str:
        """A gas by its formula, with its Chinese name in zh-CN: ``CH4（甲烷）``."""
        return f"{gas}（{self.name_of('gas', gas)}）" if self.zh and gas in TERMS["gas"] else gas

    def status(self, status: str) -> str:
        return self.name_of("report.status", status)

    def origin(self, origin: str | None) -> str:
        return self.name_of("report.origin", origin or "none")


def fmt_fixed(value: float | None, places: int = 3) -> str:
    """``15,562.065``: thousands separators, fixed decimals; ``—`` for no value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    text = f"{value:,.{places}f}"
    if text.startswith("-") and not any(c in "123456789" for c in text):
        return text[1:]  # a tiny negative rounds to zero: no "-0.000"
    return text


def fmt_sig(value: float | None, digits: int = 6) -> str:
    """A factor or intensity: ``digits`` significant digits, no trailing zeros, separators."""
    if value is None:
        return "—"
    if value == 0:
        return "0"
    places = max(0, digits - 1 - math.floor(math.log10(abs(value))))
    text = f"{value:,.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def fmt_pct(value: float | None, places: int = 1) -> str:
    return "—" if value is None else f"{value:,.{places}f} %"


def fmt_date(value: date | str | None) -> str:
    """ISO date (a moment is ``local_time``: :func:`lingtan.i18n.format_time`)."""
    if value is None:
        return "—"
    return value if isinstance(value, str) else value.isoformat()
