"""Start-up: a command imports only what it uses (issue 10, part 3).

``lingtan calc`` and ``lingtan --help`` run in a fresh interpreter under ``-X importtime``,
which lists every module imported; the database, report, web and solver packages must not be
among them. ``benchmarks/startup.py`` measures the time this saves.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import click
import pytest

from conftest import subcommands
from lingtan.cli.lazy import LazyGroup
from lingtan.cli.main import main

EXAMPLE = Path(__file__).parents[1] / "examples" / "demo-cell-plant.yaml"

#: What neither command needs: the ORM and migrations, the charts and PDF of the reports, the
#: web framework and server, and the steam tables (with the solvers of scipy).
HEAVY = ("alembic", "fastapi", "iapws", "matplotlib", "sqlalchemy", "uvicorn", "weasyprint")


def imported(*arguments: str) -> set[str]:
    """The top-level packages ``python -m lingtan ARGUMENTS`` imports (it must succeed)."""
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "lingtan", *arguments],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    return {
        line.rsplit("|", 1)[1].strip().split(".")[0]
        for line in run.stderr.splitlines()
        if line.startswith("import time:") and line.count("|") == 2
    }


@pytest.mark.parametrize(
    "arguments",
    [("--help",), ("calc", str(EXAMPLE)), ("calc", str(EXAMPLE), "--format", "json")],
    ids=["help", "calc", "calc-json"],
)
def test_a_command_imports_no_package_it_does_not_use(arguments):
    modules = imported(*arguments)
    assert {"click", "lingtan"} <= modules  # the listing is read right
    assert sorted(modules.intersection(HEAVY)) == []


def lazy_groups(group: click.Group) -> list[LazyGroup]:
    found = [group] if isinstance(group, LazyGroup) else []
    for command in subcommands(group).values():
        if isinstance(command, click.Group):
            found += lazy_groups(command)
    return found


def test_the_table_gives_each_command_the_first_sentence_of_its_own_help():
    groups = lazy_groups(main)
    assert len(groups) >= 2  # lingtan and lingtan factors
    for group in groups:
        for name, entry in group.lazy.items():
            command = group.get_command(click.Context(group), name)
            assert command.name == name, entry
            assert entry.help == command.get_short_help_str(limit=10_000), entry


def test_help_lists_every_command_as_the_loaded_commands_would():
    help_text = main.get_help(click.Context(main, info_name="lingtan"))
    loaded = click.Group(commands=subcommands(main))  # the same commands, imported
    ctx = click.Context(loaded, info_name="lingtan")
    formatter = ctx.make_formatter()
    loaded.format_commands(ctx, formatter)
    assert formatter.getvalue().rstrip() in help_text
    assert re.search(
        r"\n  calc +Compute the GHG inventory", help_text
    )  # the widest name sets the gap
