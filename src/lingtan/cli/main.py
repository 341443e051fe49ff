"""The ``lingtan`` command line: the group and its table of commands.

A command's module is imported only when that command runs (:mod:`lingtan.cli.lazy`), so the
table holds the line of each in ``lingtan --help``. Exit status: 0 on success, 2 when the
input is refused (with every problem on stderr and nothing on stdout), 1 on an unexpected
failure.
"""

from __future__ import annotations

import click

from lingtan import __version__
from lingtan.cli import clicktext
from lingtan.cli.lazy import LazyCommand, LazyGroup, remember_language

clicktext.install()  # click's errors and prompts in the command line's language

_PLATFORM = "lingtan.cli.platform"

#: Every command: where it lives and its help in ``lingtan --help``.
COMMANDS = {
    "activity": LazyCommand(
        _PLATFORM,
        "activity_group",
        "Correct or remove stored activity records (with a reason, in the audit log), or "
        "produce them from meters.",
    ),
    "audit": LazyCommand(_PLATFORM, "audit_group", "The tamper-evident audit log."),
    "calc": LazyCommand(
        "lingtan.cli.calc",
        "calc",
        "Compute the GHG inventory described by INPUT (YAML or JSON) and print it: its tables, "
        "the JSON contract, or its lines as CSV.",
    ),
    "demo": LazyCommand(
        "lingtan.cli.demo",
        "demo",
        "Build the demo factory, compute and lock its 2025 inventory, write the reports, then "
        "serve its dashboard with the demo sign-ins printed.",
    ),
    "efficiency": LazyCommand(
        "lingtan.cli.efficiency",
        "efficiency",
        "Energy efficiency: grade an equipment register against the standards pack (GB 18613, "
        "GB 20052, GB 19153, GB 24500 …) and estimate what grade-1 replacements save; place "
        "unit-product energy against quotas and benchmark levels; fit energy baselines and "
        "measure savings.",
    ),
    "energy": LazyCommand(
        "lingtan.cli.energy",
        "energy",
        "Energy and carbon from meters: totals in tce, balance, energy flow, budgets, intensity "
        "and carbon per interval.",
    ),
    "evaluate": LazyCommand(
        "lingtan.cli.evaluate",
        "evaluate_group",
        "Zero-carbon-factory evaluation: judge a facts file against a scheme (pass, fail or "
        "unable to judge, with the gap in numbers), list the shipped schemes, match "
        "consumption with carbon-free supply hour by hour.",
    ),
    "export": LazyCommand(
        _PLATFORM,
        "export",
        "Export an inventory: xlsx (the report workbook), json (the snapshot) or csv (lines).",
    ),
    "factors": LazyCommand(
        "lingtan.cli.factors", "factors", "The factor library: what is shipped, with provenance."
    ),
    "footprint": LazyCommand(
        "lingtan.cli.footprint",
        "footprint",
        "Product carbon footprints (GB/T 24067 / ISO 14067) from the factory's meters, "
        "inventory and bills of materials, and the declarations they feed (EU Battery "
        "Regulation, CBAM).",
    ),
    "import": LazyCommand(_PLATFORM, "import_group", "Import data files."),
    "ingest": LazyCommand(
        "lingtan.cli.ingest",
        "ingest",
        "Collect meter readings from MQTT, Modbus TCP or OPC UA into the readings store.",
    ),
    "init": LazyCommand(
        _PLATFORM, "init", "Create the database (or bring it to the newest schema)."
    ),
    "inventory": LazyCommand(
        _PLATFORM, "inventory_group", "Compute, lock, restate, compare and trace inventories."
    ),
    "ledger": LazyCommand(
        "lingtan.cli.ledger",
        "ledger_group",
        "The carbon-asset ledger: green electricity certificates (GEC), green power contracts "
        "and carbon credits held, transferred, retired and cancelled, and national ETS "
        "allowances surrendered, with every double count refused.",
    ),
    "meters": LazyCommand(
        "lingtan.cli.metering",
        "meters",
        "Meters and their readings: define the metering tree, import readings, list meters.",
    ),
    "overview": LazyCommand(
        "lingtan.cli.overview",
        "overview",
        "The year of a facility at a glance, from the inventory that stands for it: emissions "
        "by scope (Scope 2 location- and market-based), energy, renewable share, intensity, "
        "monthly trend and progress to the target (CSV: the monthly trend).",
    ),
    "pact": LazyCommand(
        "lingtan.cli.pact",
        "pact",
        "PACT footprint exchange: publish product footprints to customers over lingtan's PACT "
        "host, issue their client credentials, and pull suppliers' footprints from their hosts.",
    ),
    "plan": LazyCommand(
        "lingtan.cli.plan",
        "plan",
        "Plan green energy at the source: size PV, wind, storage and heat pumps against the "
        "load, TOU prices and the demand charge (one LP, HiGHS), sweep the cost-emissions "
        "trade-off, recommend a day-ahead dispatch, chart the pathway to near-zero with its "
        "marginal abatement cost curve, store plans with their inputs.",
    ),
    "report": LazyCommand(
        "lingtan.cli.report",
        "report_group",
        "Write reports: the GB/T 32150 inventory report (lingtan report INVENTORY_ID), the "
        "zero-carbon-factory report and the climate-disclosure data pack.",
    ),
    "serve": LazyCommand(
        "lingtan.cli.web",
        "serve",
        "Run the web application (API under /api/v1, schema at /api/v1/openapi.json).",
    ),
    "target": LazyCommand(
        "lingtan.cli.overview",
        "target",
        "A facility's emission target, which the overview measures progress against.",
    ),
    "tariff": LazyCommand(
        "lingtan.cli.tariff",
        "tariff",
        "Tariffs: energy prices per energy type, month and TOU period, and the basic charge.",
    ),
    "template": LazyCommand(
        _PLATFORM,
        "template",
        "Write the empty activity-data workbook (bilingual headers) to OUTPUT.",
    ),
    "tou": LazyCommand(
        "lingtan.cli.tou",
        "tou",
        "Time-of-use (峰谷分时) periods: shipped calendars, their hours, meter energy per period.",
    ),
    "users": LazyCommand(
        "lingtan.cli.web",
        "users",
        "People who sign in to the web application, and API tokens for gateways and scripts.",
    ),
}


@click.group(cls=LazyGroup, lazy=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="lingtan")
@click.option(
    "--db",
    envvar="LINGTAN_DATABASE_URL",
    help="Database: a SQLite file or a PostgreSQL URL (default: lingtan.db here). "
    "Also LINGTAN_DATABASE_URL.",
)
@click.option(
    "--lang",
    type=click.Choice(["zh-CN", "en"]),
    is_eager=True,  # known before --help, which it translates
    callback=remember_language,
    help="Language of tables, refusals and this help (default: LINGTAN_LANG, else the "
    "locale: Chinese for zh_*).",
)
@click.pass_context
def main(ctx: click.Context, db: str | None, lang: str | None) -> None:
    """lingtan (零碳): carbon accounting and energy management for zero-carbon factories."""
    ctx.ensure_object(dict).update(db=db, lang=lang)
