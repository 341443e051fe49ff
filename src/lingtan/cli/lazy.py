"""A click group whose commands are imported when they run.

Each command module imports what the command needs (the ORM, the reports, the web
application), which costs seconds; a group lists its commands from a table of names, modules
and one-line helps instead, so that ``lingtan --help`` imports none of them and ``lingtan calc``
only the calculation.

The language of the command line (:func:`language`) is chosen here too, so that the help of
every command is in Chinese for a Chinese user: each command of the tree gets the context
class :class:`HelpContext` when its group loads it, whose formatter, for Chinese only, reads
the help texts, option helps and click's own headings from the catalogue (context
``cli.help``, msgid the English text) as it writes them (:mod:`lingtan.cli.helptext`). The
command objects keep their English texts, so one process can show both languages; English
loads no catalogue.
"""

from __future__ import annotations

import importlib
import os
import re
import unicodedata
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any, NamedTuple

import click

__all__ = [
    "HELP",
    "LANG_ENV",
    "HelpContext",
    "LazyCommand",
    "LazyGroup",
    "language",
    "remember_language",
]

#: ``LINGTAN_LANG`` (or ``--lang``) chooses the language of the tables' headings and of
#: refusals; else a Chinese locale (``LANG=zh_CN.UTF-8``) gives Chinese, any other English.
LANG_ENV = "LINGTAN_LANG"
#: The catalogue's context of the command line's help texts.
HELP = "cli.help"


def language(context: click.Context | None = None) -> str:
    """The language of the command line: ``--lang``, ``LINGTAN_LANG``, then the locale.

    ``--lang`` is read from the root of ``context``, by default the current one.
    """
    context = context or click.get_current_context(silent=True)
    chosen = (context.find_root().obj or {}).get("lang") if context is not None else None
    chosen = chosen or _CHOSEN.get() or os.environ.get(LANG_ENV)
    if chosen in ("zh-CN", "en"):
        return chosen
    locale = os.environ.get("LC_ALL") or os.environ.get("LC_MESSAGES") or os.environ.get("LANG")
    return "zh-CN" if (locale or "").lower().startswith("zh") else "en"


#: ``--lang`` of the command line being run, for what click writes once its contexts have
#: closed (an error's message); set by :func:`remember_language`, reset by :meth:`LazyGroup.main`.
_CHOSEN: ContextVar[str | None] = ContextVar("lingtan_cli_lang", default=None)


def remember_language(ctx: click.Context, _param: click.Parameter, value: str | None):
    """The callback of an eager ``--lang``: the language is known before ``--help`` runs."""
    if value is not None:
        ctx.ensure_object(dict)["lang"] = value
        _CHOSEN.set(value)
    return value


class HelpContext(click.Context):
    """A context whose help is written in the command line's language: click's formatter
    for English, :class:`lingtan.cli.helptext.ChineseHelpFormatter` for Chinese."""

    def make_formatter(self) -> click.HelpFormatter:
        if language(self) != "zh-CN":
            return super().make_formatter()
        from lingtan.cli.helptext import ChineseHelpFormatter  # Babel: only for Chinese

        return ChineseHelpFormatter(
            self, width=self.terminal_width, max_width=self.max_content_width
        )


def _adopt(command: click.Command) -> click.Command:
    """``command`` and the commands of its groups, all the way down, with
    :class:`HelpContext` (their own context class where they have one)."""
    if command.context_class is click.Context:
        command.context_class = HelpContext
    for sub in getattr(command, "commands", {}).values():
        _adopt(sub)
    return command


class LazyCommand(NamedTuple):
    """Where a command lives (``module``, ``attribute``) and its line in the group's help."""

    module: str
    attribute: str
    help: str


class LazyGroup(click.Group):
    """A group with the commands of ``lazy`` (a name for each :class:`LazyCommand`) besides
    those added to it the usual way."""

    context_class = HelpContext

    def __init__(self, *args: Any, lazy: Mapping[str, LazyCommand], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy)

    def main(self, *args: Any, **kwargs: Any) -> Any:
        """Run the command line; its ``--lang`` holds until click has written its error."""
        token = _CHOSEN.set(None)
        try:
            return super().main(*args, **kwargs)
        finally:
            _CHOSEN.reset(token)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = self.lazy.get(cmd_name)
        if entry is None:
            command = super().get_command(ctx, cmd_name)
            return None if command is None else _adopt(command)
        command = getattr(importlib.import_module(entry.module), entry.attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{entry.module}.{entry.attribute} is not a click command")
        return _adopt(command)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The commands and their helps, from the table: no command module is imported."""
        listed = {name: click.Command(name, help=e.help) for name, e in self.lazy.items()}
        click.Group(commands={**listed, **self.commands}).format_commands(ctx, formatter)


def _cells(text: str) -> int:
    """The columns *text* takes in a terminal: two for a wide (CJK) character."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _wrap(text: str, width: int) -> list[str]:
    """*text* in lines of at most *width* terminal columns, broken between words or between
    two wide characters (Chinese has no spaces); never inside a short bracket
    (``[tCO2/MWh]``, click's ``[默认：table]``), nor after an opening mark, nor before a
    closing mark, which takes the character before it to the next line; a last line of one
    character and its closing marks takes the character before it along."""
    lines: list[str] = []
    line: list[str] = []
    for token in re.findall(_TOKEN, text):
        if not line or _cells("".join(line) + token.rstrip()) <= width:
            line.append(token)
            continue
        split = len(line)
        if token[0] in _CLOSING:  # carry the last word or character along
            split -= 1
            while split > 0 and line[split][0] in _CLOSING:
                split -= 1
        while split > 0 and line[split - 1].rstrip()[-1:] in _OPENING:  # nor after one
            split -= 1
        if split == 0:  # nothing to carry: the line runs over
            line.append(token)
            continue
        lines.append("".join(line[:split]).rstrip())
        line = [*line[split:], token]
        line[0] = line[0].lstrip()
    if "".join(line).strip():
        lines.append("".join(line).rstrip())
    if (
        len(lines) > 1
        and len(lines[-1].rstrip(_CLOSING)) == 1
        and _cells(lines[-1][0]) == _cells(lines[-2][-1]) == 2
        and _cells(lines[-2][-1] + lines[-1]) <= width
    ):
        lines[-2:] = [lines[-2][:-1], lines[-2][-1] + lines[-1]]
    return lines


#: A word (with its spaces), a short bracket, a wide character, spaces.
_TOKEN = re.compile(r"\[[^\[\]\n]{1,30}\]\s*|[^\s\u2e80-\uffef]+\s*|[\u2e80-\uffef]\s*|\s+")
_CLOSING = "，。；：、）》”"
_OPENING = "（《“"


def _write_rows(formatter: click.HelpFormatter, rows: list[tuple[str, str]]) -> None:
    """Two columns, as click's ``write_dl``, measured in terminal columns."""
    first = min(max((_cells(name) for name, _ in rows), default=0), 30)
    indent = formatter.current_indent
    width = max((formatter.width or 80) - indent - first - 2, 20)
    for name, text in rows:
        lines = _wrap(text, width) or [""]
        if _cells(name) > first:
            formatter.write(f"{'':{indent}}{name}\n")
            lines_at = lines
        else:
            formatter.write(f"{'':{indent}}{name}{'':{first - _cells(name)}}  {lines[0]}".rstrip())
            formatter.write("\n")
            lines_at = lines[1:]
        for line in lines_at:
            formatter.write(f"{'':{indent + first + 2}}{line}\n")
