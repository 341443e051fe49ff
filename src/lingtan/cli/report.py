"""The reports of the command line: ``lingtan report INVENTORY_ID`` (the GB/T 32150 inventory
report, the same as ``lingtan report inventory``), ``lingtan report zero-carbon`` (the
zero-carbon-factory report) and ``lingtan report disclosure`` (the climate-disclosure data
pack).

The zero-carbon report and the data pack read the locked inventory of the year, the ledger,
the stored measures and target (:func:`lingtan.services.zero_carbon.zero_carbon_data`); refused
input (an unknown facility or scheme, no locked inventory, a bad facts or series file) exits
with status 2, every problem on stderr and nothing written.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from lingtan.cli.common import language, open_store, refusing_bad_input, report_format_option
from lingtan.cli.platform import report as inventory_report

__all__ = ["report_group"]


class _DefaultCommand(click.Group):
    """A group whose first argument, when it names none of its commands, is the argument of
    its default command: ``lingtan report 12`` is ``lingtan report inventory 12``."""

    default = "inventory"

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = [self.default, *args]
        return super().parse_args(ctx, args)


@click.group("report", cls=_DefaultCommand)
def report_group() -> None:
    """Write reports: the GB/T 32150 inventory report (lingtan report INVENTORY_ID), the
    zero-carbon-factory report and the climate-disclosure data pack.

    lingtan report INVENTORY_ID is short for lingtan report inventory INVENTORY_ID.
    """


report_group.add_command(inventory_report, "inventory")


def _data(ctx: click.Context, facility: str, period: int, scheme: str | None, **given: Any):
    from lingtan.evaluation.rules import shipped_rule_set
    from lingtan.imports.load import facility_by_code
    from lingtan.services.zero_carbon import zero_carbon_data

    rules = shipped_rule_set(scheme) if scheme is not None else None
    with open_store(ctx, read_only=True) as (session, _):
        return zero_carbon_data(session, facility_by_code(session, facility), period, rules,
                                **given)  # fmt: skip


def _write(content: bytes, out: str | None, default: str) -> None:
    path = Path(out or default)
    path.write_bytes(content)
    click.echo(f"{path}: {len(content):,} bytes")


@report_group.command("zero-carbon")
@click.option("--facility", help="Facility code (optional when there is only one).")
@click.option("--period", type=int, required=True, help="The calendar year of the report.")
@click.option("--scheme", help="The scheme to evaluate against (lingtan evaluate schemes).")
@click.option(
    "--facts",
    "facts_file",
    type=click.Path(dir_okay=False),
    help="A facts file (YAML) with the declarations and their evidence, as lingtan evaluate FACTS.",
)
@click.option(
    "--consumption",
    "consumption_file",
    type=click.Path(dir_okay=False),
    help="With --supply: the hourly-matched share from these series files, as lingtan "
    "evaluate match computes it.",
)
@click.option(
    "--supply",
    "supply_file",
    type=click.Path(dir_okay=False),
    help="The carbon-free supplies per step (CSV), with --consumption.",
)
@report_format_option
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    help="The file to write (default: zero-carbon-CODE-YEAR-LANG.FORMAT here).",
)
@click.pass_context
@refusing_bad_input
def report_zero_carbon(
    ctx: click.Context, facility: str | None, period: int, scheme: str | None,
    facts_file: str | None, consumption_file: str | None, supply_file: str | None, fmt: str,
    out: str | None,
) -> None:  # fmt: skip
    """Write the zero-carbon-factory report (零碳工厂报告) of a facility and year: basic
    information and boundary, the locked inventory, the reductions taken, renewable energy,
    the certificates and credits with their serials, the evaluation under --scheme with its
    gap, and the plan; in the command line's language."""
    from lingtan.cli.evaluate import _match
    from lingtan.errors import InputError, InputProblem
    from lingtan.evaluation.facts import read_facts_file
    from lingtan.i18n import Message
    from lingtan.reports import check_font
    from lingtan.reports.zero_carbon import (
        render_zero_carbon_html,
        render_zero_carbon_pdf,
        render_zero_carbon_xlsx,
        zero_carbon_filename,
    )

    if (consumption_file is None) != (supply_file is None):
        option = "--supply" if supply_file is None else "--consumption"
        rule = Message("--consumption and --supply go together")
        raise InputError(InputProblem(option, "file", None, rule))
    check_font([fmt])
    declared = read_facts_file(facts_file) if facts_file is not None else {}
    hourly, source = None, ""
    if consumption_file is not None and supply_file is not None:
        hourly = _match(consumption_file, supply_file)
        source = f"{Path(consumption_file).name}, {Path(supply_file).name}"
    data = _data(ctx, facility, period, scheme, declared=declared, hourly=hourly,
                 hourly_source=source)  # fmt: skip
    lang = language()
    if fmt == "html":
        content = render_zero_carbon_html(data, lang).encode("utf-8")
    elif fmt == "pdf":
        content = render_zero_carbon_pdf(data, lang)
    else:
        content = render_zero_carbon_xlsx(data, lang)
    _write(content, out, zero_carbon_filename(data, lang, fmt))


@report_group.command("disclosure")
@click.option("--facility", help="Facility code (optional when there is only one).")
@click.option("--period", type=int, required=True, help="The calendar year of the figures.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "xlsx"]),
    default="json",
    show_default=True,
    help="json (printed, or written to --out) or xlsx.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    help="The file to write (default for xlsx: disclosure-CODE-YEAR-LANG.xlsx here).",
)
@click.pass_context
@refusing_bad_input
def report_disclosure(
    ctx: click.Context, facility: str | None, period: int, fmt: str, out: str | None
) -> None:
    """The climate-disclosure data pack (气候信息披露数据包) of a facility and year: Scope 1,
    Scope 2 location- and market-based, Scope 3, intensities, energy, renewable share,
    reductions, offsets, target and progress, each mapped to China's climate disclosure
    standard, IFRS S2 and GRI 305 / 302 and traced to its source in lingtan."""
    from lingtan.reports.zero_carbon import render_disclosure_xlsx, zero_carbon_filename
    from lingtan.services.disclosure import disclosure_document

    data = _data(ctx, facility, period, None)
    document = disclosure_document(data)
    if fmt == "json":
        text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
        if out is None:
            click.echo(text, nl=False)
            return
        _write(text.encode("utf-8"), out, "")
        return
    lang = language()
    content = render_disclosure_xlsx(document, lang)
    _write(content, out, zero_carbon_filename(data, lang, "xlsx", kind="disclosure"))
