"""Texts for people: one gettext catalogue (Babel) for the screens and the reports.

The message ids are the English texts (the usual gettext practice: the English screens and
reports need no catalogue, a translator reads the source text beside the field to fill).
Placeholders are Python's ``%(name)s``, a literal percent sign is ``%%``. Where one English
text needs two Chinese ones (``Loss`` 损耗 and 损耗率), a message context tells them apart.

This module is pure (no Babel, no catalogue, no state), so the models may use it: ``N_`` and
``NP_`` mark texts for extraction where they are defined, and :class:`Message` carries a text
with its values from the models to the screens, which translate it when they show it
(:mod:`lingtan.i18n.catalog`): an engine warning, an import rule, a note of the energy model.
Codes shown by name (energy types, statuses, roles …) are in :mod:`lingtan.i18n.terms`.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

__all__ = ["DEFAULT_TIME_ZONE", "NP_", "N_", "Message", "format_time"]

#: The time zone of a facility unless it says otherwise (``facility.time_zone``).
DEFAULT_TIME_ZONE = "Asia/Shanghai"


def N_(msgid: str) -> str:  # noqa: N802 (the gettext convention)
    """Mark ``msgid`` for extraction; it is translated where it is shown."""
    return msgid


def NP_(context: str, msgid: str) -> tuple[str, str]:  # noqa: N802
    """Mark ``msgid`` in ``context`` for extraction: ``(context, msgid)``."""
    return context, msgid


class Message(str):
    """A text of the models with its values: ``Message("%(n)s meters", n=3)``.

    It *is* the English text (``str``), so a stored result, a log or an error message stays
    readable without the catalogue, and code that joins or searches texts keeps working;
    ``msgid`` and ``params`` let a screen or report show it in its language
    (``Texts.message``). ``as_dict`` is what a stored result keeps beside the text.
    """

    msgid: str
    params: dict[str, Any]

    def __new__(cls, msgid: str, /, **params: Any) -> Message:
        self = super().__new__(cls, msgid % params)
        self.msgid, self.params = msgid, params
        return self

    def __reduce__(self):  # pickles (and copies) with its msgid and values
        return _message, (self.msgid, self.params)

    def as_dict(self) -> dict[str, Any]:
        """``{"msgid": …, "params": …}`` for JSON; a value that is itself a Message (the
        reason of a warning, the row of a problem) is kept as its own ``as_dict``."""
        params = {
            key: value.as_dict() if isinstance(value, Message) else value
            for key, value in self.params.items()
        }
        return {"msgid": self.msgid, "params": params}

    @classmethod
    def stored(cls, text: str | None, stored: dict[str, Any] | None) -> str | None:
        """A text read back from a stored result: the Message of ``stored`` (its
        ``as_dict``, nested Messages too) where there is one, else ``text`` as it is."""
        return _message(stored["msgid"], stored["params"]) if stored else text

    @classmethod
    def parse(cls, msgid: str, text: str) -> Message | None:
        """The Message of ``msgid`` whose English text is ``text`` (a text stored as it was
        written, such as a note kept in a database column), its values the texts they were;
        ``None`` when ``text`` is not of that form. ``msgid`` may only use ``%(name)s``."""
        match = _pattern(msgid).fullmatch(text)
        return None if match is None else cls(msgid, **match.groupdict())


@cache
def _pattern(msgid: str) -> re.Pattern[str]:
    """The regular expression of ``msgid``'s English texts, a named group per value."""

    def piece(part: str) -> str:
        if part == "%%":
            return "%"
        return f"(?P<{part[2:-2]}>.+?)" if part.startswith("%(") else re.escape(part)

    return re.compile("".join(map(piece, re.split(r"(%\(\w+\)s|%%)", msgid))), re.DOTALL)


def _is_stored(value: Any) -> bool:
    return isinstance(value, dict) and value.keys() == {"msgid", "params"}


def _message(msgid: str, params: dict[str, Any]) -> Message:
    """The Message of a msgid and its values, rebuilding values stored as ``as_dict``."""
    return Message(
        msgid,
        **{
            key: _message(value["msgid"], value["params"]) if _is_stored(value) else value
            for key, value in params.items()
        },
    )


def format_time(value: datetime | date | str | None, zone: str | None = DEFAULT_TIME_ZONE) -> str:
    """A moment for people: ``2025-03-01 14:05`` in ``zone`` (an IANA name), no seconds.

    A naive datetime is taken as UTC (as the store keeps them); ISO text is parsed first; a
    date is shown as a date; ``None`` is ``—``.
    """
    if value is None:
        return "—"
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if not isinstance(value, datetime):
        return value.isoformat()
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return f"{value.astimezone(ZoneInfo(zone or DEFAULT_TIME_ZONE)):%Y-%m-%d %H:%M}"
