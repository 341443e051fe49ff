"""Texts for people: one gettext catalogue (Babel) for the screens and the reports.

The message ids are the English texts (the usual gettext practice: the English screens and
reports need no catalogue, a translator reads the source text beside the field to fill).
Placeholders are Python's ``%(name)s``, a literal percent sign is ``%%``. Where one English
text needs two Chinese ones (``Loss`` 损耗 and 损耗率), a message context tells them apart.

This module is pure (no Babel, no catalogue, no state), so the models may use it: ``N_`` and
``NP_`` mark texts for extraction where they are defined, and :class:`Message` carries a text
with its values from the models to the screens, which translate it when they show it
(:mod:`lingtan.i18n.catalog`). Codes shown by name (energy types, statuses, roles …) are in
:mod:`lingtan.i18n.terms`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["NP_", "N_", "Message"]


def N_(msgid: str) -> str:  # noqa: N802 (the gettext convention)
    """Mark ``msgid`` for extraction; it is translated where it is shown."""
    return msgid


def NP_(context: str, msgid: str) -> tuple[str, str]:  # noqa: N802
    """Mark ``msgid`` in ``context`` for extraction: ``(context, msgid)``."""
    return context, msgid


@dataclass(frozen=True)
class Message:
    """A text and its values: ``msgid`` is English with ``%(name)s`` fields.

    ``str(message)`` is the English text, so a stored result or a log stays readable without
    the catalogue; a screen or report shows it in its language (``Texts.message``).
    """

    msgid: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.msgid % dict(self.params)

    def as_dict(self) -> dict[str, Any]:
        """``{"text", "msgid", "params"}``: readable as it is, translatable by its msgid."""
        return {"text": str(self), "msgid": self.msgid, "params": dict(self.params)}
