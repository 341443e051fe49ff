"""A click group whose commands are imported when they run.

Each command module imports what the command needs (the ORM, the reports, the web
application), which costs seconds; a group lists its commands from a table of names, modules
and one-line helps instead, so that ``lingtan --help`` imports none of them and ``lingtan calc``
only the calculation.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any, NamedTuple

import click

__all__ = ["LazyCommand", "LazyGroup"]


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
