"""The help of every command in Chinese: click's formatter, translating what it writes.

:class:`lingtan.cli.lazy.HelpContext` makes a :class:`ChineseHelpFormatter` when the command
line's language is Chinese. Click's own methods (``Command.format_help`` and what it calls)
compose the help as for English; the formatter replaces each English text it is given with
the catalogue's (context ``cli.help``, msgid the English text as click hands it over: a
command's help after :func:`inspect.cleandoc`, an option's help, a heading) and wraps the
Chinese by terminal columns (:func:`lingtan.cli.lazy._wrap`). A text the catalogue lacks is
shown in English (and recorded in :data:`lingtan.i18n.catalog.MISSES`); ``--help`` never
fails for it. The commands themselves are never changed.

In a group's table of commands a command's line is its ``short_help``, else the first
sentence of its help; in Chinese that is the translated ``short_help``, else the first
sentence (up to 。) of the translated help, so a command needs no second text for its line.
The line of a command of a :class:`~lingtan.cli.lazy.LazyGroup`'s table is that table's
help, whole (as in ``lingtan --help``).
"""

from __future__ import annotations

import inspect
import re

import click

from lingtan.cli.lazy import HELP, LazyGroup, _cells, _wrap, _write_rows
from lingtan.i18n.catalog import texts

__all__ = ["CLICK_TEXTS", "METAVARS", "ChineseHelpFormatter"]

#: Click's own texts in a help (the usage's prefix and pieces, headings, an option's extras).
CLICK_TEXTS = (
    "Usage: ",
    "[OPTIONS]",
    "COMMAND [ARGS]...",
    "Options",
    "Commands",
    "Positional arguments",
    "default: ",
    "env var: ",
    "required",
)
#: The metavars of click's own types, named in Chinese in the options' column; a command's
#: own metavars (``INPUT``, ``FILE``) stay, as its help refers to them.
METAVARS = (
    "TEXT",
    "INTEGER",
    "FLOAT",
    "PATH",
    "DIRECTORY",
    "FILENAME",
    "BOOLEAN",
    "DATETIME",
    "INTEGER RANGE",
    "FLOAT RANGE",
)
_METAVAR = re.compile(r"(?<![\w-])(" + "|".join(sorted(METAVARS, key=len, reverse=True)) + r")\b")
_EXTRAS = re.compile(r"^(?P<help>.*?)(?:  )?\[(?P<extras>[^\[\]]*)\]$", re.DOTALL)


class ChineseHelpFormatter(click.HelpFormatter):
    """Click's help formatter for the help of ``ctx``'s command, in Chinese."""

    def __init__(self, ctx: click.Context, **kwargs):
        super().__init__(**kwargs)
        self.ctx = ctx
        self._texts = texts("zh-CN")
        self._section = ""

    def zh(self, text: str) -> str:
        """The Chinese of ``text`` (context ``cli.help``), else ``text`` itself."""
        return self._texts.label(HELP, text) if text else text

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        for piece in ("[OPTIONS]", "COMMAND [ARGS]..."):
            args = args.replace(piece, self.zh(piece))
        prefix = self.zh("Usage: ") if prefix is None else self.zh(prefix)
        indent = " " * (self.current_indent + _cells(prefix))
        lines = _wrap(f"{prog} {args}".rstrip(), self.width - self.current_indent - _cells(prefix))
        self.write(f"{'':{self.current_indent}}{prefix}{lines[0]}\n")
        self.write("".join(f"{indent}{line}\n" for line in lines[1:]))

    def write_heading(self, heading: str) -> None:
        self._section = heading
        self.write(f"{'':{self.current_indent}}{self.zh(heading)}：\n")

    def write_text(self, text: str) -> None:
        chinese = self.zh(text)
        if chinese == text:
            super().write_text(text)
            return
        width = max(self.width - self.current_indent, 20)
        for number, paragraph in enumerate(re.split(r"\n\s*\n", chinese.strip())):
            if number:
                self.write("\n")
            if paragraph.startswith("\b"):  # click's "do not rewrap" block
                lines = paragraph.splitlines()[1:]
            else:
                lines = _wrap(_joined(paragraph.splitlines()), width)
            self.write("".join(f"{'':{self.current_indent}}{line}\n" for line in lines))

    def write_dl(self, rows, col_max: int = 30, col_spacing: int = 2) -> None:
        if self._section == "Commands":
            shown = [(name, self._command_line(name, text)) for name, text in rows]
        else:
            shown = [
                (_METAVAR.sub(lambda m: self.zh(m[1]), name), self._help(text))
                for name, text in rows
            ]
        _write_rows(self, shown)

    def _help(self, text: str) -> str:
        """An option's or argument's help, with click's ``[default: …; required]`` after it."""
        found = _EXTRAS.match(text) if text.endswith("]") else None
        if found is None:
            return self.zh(text)
        extras = []
        for extra in found["extras"].split("; "):
            for name in ("default: ", "env var: "):
                if extra.startswith(name):
                    extra = self.zh(name) + extra[len(name) :]
            extras.append(self.zh(extra) if extra == "required" else extra)
        chinese = self.zh(found["help"])
        return f"{chinese}  [{'; '.join(extras)}]" if chinese else f"[{'; '.join(extras)}]"

    def _command_line(self, name: str, english: str) -> str:
        """The line of command ``name`` in the table of the group being helped."""
        group = self.ctx.command
        if isinstance(group, LazyGroup) and name in group.lazy:
            return self.zh(group.lazy[name].help)
        command = group.get_command(self.ctx, name) if isinstance(group, click.Group) else None
        if command is None:
            return english
        if command.short_help:
            return self.zh(inspect.cleandoc(command.short_help))
        if not command.help:
            return english
        full = inspect.cleandoc(command.help).partition("\f")[0]
        chinese = self.zh(full)
        if chinese == full:
            return english
        first = _joined(re.split(r"\n\s*\n", chinese.strip())[0].splitlines())
        return first.partition("。")[0] + "。" if "。" in first else first


def _joined(lines: list[str]) -> str:
    """The lines of a paragraph as one: a space between two words, none beside a Chinese
    character."""
    out = ""
    for line in (line.strip() for line in lines):
        wide = out and (_cells(out[-1]) == 2 or _cells(line[:1]) == 2)
        out += line if not out or wide else f" {line}"
    return out
