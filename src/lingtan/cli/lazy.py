"""A click group whose commands are imported when they run.

Each command module imports what the command needs (the ORM, the reports, the web
application), which costs seconds; a group lists its commands from a table of names, modules
and one-line helps instead, so that ``lingtan --help`` imports none of them and ``lingtan calc``
only the calculation.

The language of the command line (:func:`language`) is chosen here too, so that
``lingtan --help`` is in Chinese for a Chinese user: the help of the ``lingtan`` group, its
options and its table of commands are then read from the catalogue (context ``cli.help``,
msgid the English text), which is loaded only for Chinese.
"""

from __future__ import annotations

import importlib
import os
import re
import unicodedata
from collections.abc import Mapping
from typing import Any, NamedTuple

import click

__all__ = ["HELP", "LANG_ENV", "LazyCommand", "LazyGroup", "language", "remember_language"]

#: ``LINGTAN_LANG`` (or ``--lang``) chooses the language of the tables' headings and of
#: refusals; else a Chinese locale (``LANG=zh_CN.UTF-8``) gives Chinese, any other English.
LANG_ENV = "LINGTAN_LANG"
#: The catalogue's context of the command line's help texts.
HELP = "cli.help"


def language() -> str:
    """The language of the command line: ``--lang``, ``LINGTAN_LANG``, then the locale."""
    context = click.get_current_context(silent=True)
    chosen = (context.find_root().obj or {}).get("lang") if context is not None else None
    chosen = chosen or os.environ.get(LANG_ENV)
    if chosen in ("zh-CN", "en"):
        return chosen
    locale = os.environ.get("LC_ALL") or os.environ.get("LC_MESSAGES") or os.environ.get("LANG")
    return "zh-CN" if (locale or "").lower().startswith("zh") else "en"


def remember_language(ctx: click.Context, _param: click.Parameter, value: str | None):
    """The callback of an eager ``--lang``: the language is known before ``--help`` runs."""
    if value is not None:
        ctx.ensure_object(dict)["lang"] = value
    return value


class LazyCommand(NamedTuple):
    """Where a command lives (``module``, ``attribute``) and its line in the group's help."""

    module: str
    attribute: str
    help: str


class LazyGroup(click.Group):
    """A group with the commands of ``lazy`` (a name for each :class:`LazyCommand`) besides
    those added to it the usual way."""

    def __init__(self, *args: Any, lazy: Mapping[str, LazyCommand], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = self.lazy.get(cmd_name)
        if entry is None:
            return super().get_command(ctx, cmd_name)
        command = getattr(importlib.import_module(entry.module), entry.attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{entry.module}.{entry.attribute} is not a click command")
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The commands and their helps, from the table: no command module is imported."""
        listed = {name: click.Command(name, help=e.help) for name, e in self.lazy.items()}
        click.Group(commands={**listed, **self.commands}).format_commands(ctx, formatter)

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The help of the group; that of ``lingtan`` itself in Chinese for a Chinese user."""
        if ctx.parent is not None or language() != "zh-CN":
            super().format_help(ctx, formatter)
            return
        import inspect

        from lingtan.i18n.catalog import texts  # Babel: only for Chinese

        t = texts("zh-CN")

        def zh(text: str) -> str:
            return t.label(HELP, text)

        formatter.write_usage(
            ctx.command_path, zh("[OPTIONS] COMMAND [ARGS]..."), prefix=zh("Usage: ")
        )
        if self.help:
            formatter.write_paragraph()
            with formatter.indentation():
                formatter.write_text(zh(inspect.cleandoc(self.help)))
        options = [
            (names, zh(help_text) if help_text else "")
            for names, help_text in filter(
                None, (p.get_help_record(ctx) for p in self.get_params(ctx))
            )
        ]
        commands = {name: entry.help for name, entry in self.lazy.items()}
        commands |= {name: c.get_short_help_str(10_000) for name, c in self.commands.items()}
        for heading, rows in (
            (zh("Options"), options),
            (zh("Commands"), [(name, zh(commands[name])) for name in sorted(commands)]),
        ):
            formatter.write_paragraph()
            formatter.write(f"{heading}：\n")
            _write_rows(formatter, rows)


def _cells(text: str) -> int:
    """The columns *text* takes in a terminal: two for a wide (CJK) character."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _wrap(text: str, width: int) -> list[str]:
    """*text* in lines of at most *width* terminal columns, broken between words or between
    two wide characters (Chinese has no spaces); never before a closing mark."""
    lines, line = [], ""
    for token in re.findall(r"[^\s\u2e80-\uffef]+\s*|[\u2e80-\uffef]\s*|\s+", text):
        if line and _cells(line + token.rstrip()) > width and token[0] not in "，。；：、）》”":
            lines.append(line.rstrip())
            line = token.lstrip()
        else:
            line += token
    return [*lines, line.rstrip()] if line.strip() else lines


def _write_rows(formatter: click.HelpFormatter, rows: list[tuple[str, str]]) -> None:
    """Two columns, as click's ``write_dl``, measured in terminal columns."""
    first = min(max((len(name) for name, _ in rows), default=0), 30)
    indent = formatter.current_indent + 2
    width = max((formatter.width or 80) - indent - first - 2, 20)
    for name, text in rows:
        lines = _wrap(text, width) or [""]
        if len(name) > first:
            formatter.write(f"{'':{indent}}{name}\n")
            lines_at = lines
        else:
            formatter.write(f"{'':{indent}}{name:{first}}  {lines[0]}\n")
            lines_at = lines[1:]
        for line in lines_at:
            formatter.write(f"{'':{indent + first + 2}}{line}\n")
