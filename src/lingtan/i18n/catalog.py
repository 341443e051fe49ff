"""The catalogue at run time: the zh-CN ``.po`` file read with Babel, gettext for Python and
for Jinja2 (its ``i18n`` extension), and the record of texts the catalogue lacks.

``locale/zh_CN/LC_MESSAGES/messages.po`` is read once per process with
:func:`babel.messages.pofile.read_po` (about 0.1 s; no compiled ``.mo`` to build or commit).
English is the message ids themselves. A fuzzy or empty translation counts as missing: the
English text is shown and the miss is recorded in :data:`MISSES`, which the tests read after
rendering every page and report in zh-CN.

In a template, ``_()``, ``gettext``, ``ngettext`` and ``pgettext`` (newstyle: values as
keywords, ``_("%(n)s meters", n=3)``, escaped) translate into the template's ``lang``;
``term(msgid)`` is an official term (Chinese, or "English (中文)" in English) and
``name_of(family, code)`` the name of a code (:mod:`lingtan.i18n.terms`), ``factor_role(use)``
the role of a factor on a line, ``message(m)`` a text of the models
(:class:`lingtan.i18n.Message`); the filter ``local_time`` shows a moment in the facility's
time zone as ``2025-03-01 14:05``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from babel.messages.extract import DEFAULT_KEYWORDS
from babel.messages.pofile import read_po

from lingtan.i18n import Message, format_time
from lingtan.i18n.terms import TERMS

__all__ = [
    "KEYWORDS",
    "LANGUAGES",
    "LOCALE_DIR",
    "MISSES",
    "PO_FILE",
    "Texts",
    "install",
    "texts",
]

LOCALE_DIR = Path(__file__).parent / "locale"
PO_FILE = LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / "messages.po"
#: Language code -> its own name, as shown on the switch; the first is the default.
LANGUAGES = {"zh-CN": "中文", "en": "English"}
#: Extraction keywords: Babel's and lingtan's markers
#: (``pybabel extract -k term -k NP_:1c,2 -k Message``).
KEYWORDS: dict[str, Any] = {**DEFAULT_KEYWORDS, "term": None, "NP_": ((1, "c"), 2), "Message": None}
#: ``(context, msgid)`` asked of the zh-CN catalogue and not found (or fuzzy) since start.
MISSES: set[tuple[str | None, str]] = set()
#: The context of a term's short Chinese name where the Chinese heading says more.
TERM_CONTEXT = "term"
#: Values of a Message shown by their name: parameter -> family of lingtan.i18n.terms.
PARAM_FAMILIES = {
    "energy_type": "energy.type",
    "carrier": "energy.type",
    "flow": "energy.flow",
    "family": "factor.family",
    "meter_type": "energy.type",
    "set_family": "factor.family",
    "tou_period": "tou.period",
    "day_type": "tou.day_type",
    "quality": "quality",
    "metric": "efficiency.metric",
    "fact": "evaluation.fact",
    "flag": "evaluation.flag",
    "wanted_flag": "evaluation.flag",
    "operator": "evaluation.operator",
    "unit": "evaluation.unit",
}
#: Values of a Message that are codes joined by ", " (``advanced, benchmark``), each shown by
#: its name: parameter -> family of lingtan.i18n.terms.
PARAM_CODE_LISTS = {
    "codes": "evaluation.code",
    "allowed_codes": "evaluation.code",
    "facts": "evaluation.fact",
}


@cache
def _zh_catalogue() -> dict[tuple[str | None, str], tuple[str, ...]]:
    with PO_FILE.open("rb") as handle:
        catalog = read_po(handle, locale="zh_CN")
    out = {}
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if all(strings):
            key = message.id[0] if isinstance(message.id, tuple) else message.id
            out[message.context, key] = strings
    return out


def _fill(text: str, values: dict[str, Any]) -> str:
    """``text % values`` always, as Jinja2's newstyle gettext does (``%%`` is a percent)."""
    return text % values


class Texts:
    """The texts of one language: ``gettext``, ``pgettext``, ``ngettext``, ``term``, ``name_of``."""

    def __init__(self, lang: str):
        if lang not in LANGUAGES:
            raise ValueError(f"language {lang!r} is not one of {', '.join(LANGUAGES)}")
        self.lang = lang
        self.zh = lang == "zh-CN"

    def _lookup(self, context: str | None, msgid: str, n: int | None = None, plural: str = ""):
        if not self.zh:
            return msgid if n is None or n == 1 else plural
        found = _zh_catalogue().get((context, msgid))
        if found is None:
            MISSES.add((context, msgid))
            return msgid if n is None or n == 1 else plural
        return found[0]  # Chinese has one plural form

    def gettext(self, msgid: str, **values: Any) -> str:
        return _fill(self._lookup(None, msgid), values)

    def pgettext(self, context: str, msgid: str, **values: Any) -> str:
        return _fill(self._lookup(context, msgid), values)

    def label(self, context: str, msgid: str) -> str:
        """A text that holds no fields (a table's heading, "coverage %"): not %-filled."""
        return self._lookup(context, msgid)

    def plural_label(self, context: str, singular: str, plural: str, n: int) -> str:
        """The form for ``n`` of a text that holds no %-fields (click's ``{name}`` texts)."""
        return self._lookup(context, singular, n, plural)

    def ngettext(self, singular: str, plural: str, n: int, **values: Any) -> str:
        return _fill(self._lookup(None, singular, n, plural), {"num": n, **values})

    def term(self, msgid: str) -> str:
        """An official term: Chinese in zh-CN, "English (中文)" in English."""
        if self.zh:
            return self.gettext(msgid)
        chinese = _zh_catalogue().get((TERM_CONTEXT, msgid)) or _zh_catalogue().get((None, msgid))
        return f"{msgid} ({chinese[0]})" if chinese else msgid

    def other(self, msgid: str) -> str:
        """The text in the other language (the second header row of the spreadsheets)."""
        return Texts("en" if self.zh else "zh-CN").gettext(msgid)

    def name_of(self, family: str, code: str | None, **values: Any) -> str:
        """The name of ``code`` in ``family`` (:data:`~lingtan.i18n.terms.TERMS`), or the
        code itself where the family has no name for it."""
        if code is None:
            return "—"
        entry = TERMS.get(family, {}).get(code)
        return code if entry is None else self.pgettext(*entry, **values)

    def code_list(self, family: str, codes: str | list[str] | tuple[str, ...] | None) -> str:
        """Codes of ``family`` (a list, or a text of codes joined by ", ") by their names,
        joined by "、" in Chinese and ", " in English."""
        if codes is None:
            return "—"
        items = codes.split(", ") if isinstance(codes, str) else list(codes)
        return ("、" if self.zh else ", ").join(self.name_of(family, code) for code in items)

    def fact_value(self, value: Any, number: Any = str) -> str:
        """A value of an evaluation fact or threshold for people: codes and flags by their
        names (``evaluation.code``, ``evaluation.flag``), a number by ``number``, None as —."""
        if value is None:
            return "—"
        if isinstance(value, bool):
            return self.name_of("evaluation.flag", str(value).lower())
        if isinstance(value, list | tuple):
            return self.code_list("evaluation.code", value)
        if isinstance(value, str):
            return self.name_of("evaluation.code", value)
        return number(value)

    def factor_role(self, role: str, stored: dict[str, Any] | None = None) -> str:
        """The name of a factor's role on a line: ``stored`` is its ``role_message`` where the
        role is composed of names ("GWP HFC-125"), else the role is named in ``factor.role``."""
        if isinstance(role, Message) or stored:
            return self.message(role if isinstance(role, Message) else stored)
        return self.name_of("factor.role", role)

    def message(self, message: Message | dict[str, Any] | str | None) -> str:
        """A text of the models: a :class:`~lingtan.i18n.Message`, its ``as_dict`` as stored,
        or a plain string (of an older result, or data), shown as it is."""
        if isinstance(message, Message):
            msgid, params = message.msgid, message.params
        elif isinstance(message, dict):
            msgid, params = message["msgid"], message["params"]
        else:
            return "—" if message is None else message
        if self.zh:  # a value with a Chinese text beside it (note, note_zh): the Chinese
            params = {
                key: params.get(f"{key}_zh") or value
                for key, value in params.items()
                if not key.endswith("_zh")
            }
        named = {
            key: self.message(value)
            if isinstance(value, Message | dict)  # "%(file)s row %(row)d", a stored reason
            else self.name_of(PARAM_FAMILIES[key], value)
            if key in PARAM_FAMILIES
            else self.code_list(PARAM_CODE_LISTS[key], value)
            if key in PARAM_CODE_LISTS
            else value
            for key, value in params.items()
        }
        return self.gettext(msgid, **named)


@cache
def texts(lang: str) -> Texts:
    return Texts(lang)


def _of(context: Any) -> Texts:
    return texts(context.get("lang", "zh-CN"))


@jinja2.pass_context
def _gettext(context: Any, msgid: str) -> str:
    return _of(context)._lookup(None, msgid)


@jinja2.pass_context
def _pgettext(context: Any, msgctxt: str, msgid: str) -> str:
    return _of(context)._lookup(msgctxt, msgid)


@jinja2.pass_context
def _ngettext(context: Any, singular: str, plural: str, n: int) -> str:
    return _of(context)._lookup(None, singular, n, plural)


@jinja2.pass_context
def _npgettext(context: Any, msgctxt: str, singular: str, plural: str, n: int) -> str:
    return _of(context)._lookup(msgctxt, singular, n, plural)


@jinja2.pass_context
def _term(context: Any, msgid: str) -> str:
    return _of(context).term(msgid)


@jinja2.pass_context
def _name_of(context: Any, family: str, code: str | None, **values: Any) -> str:
    return _of(context).name_of(family, code, **values)


@jinja2.pass_context
def _factor_role(context: Any, use: Any) -> str:
    """The role of a factor use: a stored line's mapping, or an object with ``role``."""
    if isinstance(use, dict):
        return _of(context).factor_role(use["role"], use.get("role_message"))
    return _of(context).factor_role(use.role)


@jinja2.pass_context
def _message(context: Any, message: Any) -> str:
    return _of(context).message(message)


@jinja2.pass_context
def _local_time(context: Any, value: Any) -> str:
    """A moment in the facility's time zone: the context's ``time_zone``, else that of its
    ``site`` or ``current`` facility, else Asia/Shanghai."""
    zone = context.get("time_zone")
    if zone is None:
        facility = context.get("site") or context.get("current")
        zone = getattr(facility, "time_zone", None)
    return format_time(value, zone)


def install(env: jinja2.Environment) -> jinja2.Environment:
    """Add Jinja2's i18n extension to ``env``, translating into each template's ``lang``."""
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(  # type: ignore[attr-defined]
        _gettext, _ngettext, newstyle=True, pgettext=_pgettext, npgettext=_npgettext
    )
    env.globals.update(term=_term, name_of=_name_of, message=_message, factor_role=_factor_role)
    env.filters["local_time"] = _local_time
    return env
