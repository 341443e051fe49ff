"""Commands of the factory data platform: the store, imports, inventories, reports, audit.

They are added to the ``lingtan`` group by :mod:`lingtan.cli.main`. Every command takes the database
from ``--db`` (on the group) or ``LINGTAN_DATABASE_URL``; the default is ``lingtan.db`` in the
current directory. Refused input exits with status 2 and every problem on stderr.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from lingtan.accounting.serialize import warning_texts
from lingtan.cli.common import (
    LINE_COLUMNS,
    REPORT_FORMATS,
    Column,
    actor,
    console,
    csv_text,
    emit,
    format_option,
    language,
    message,
    name_of,
    open_store,
    print_table,
    refusal_text,
    refusing_bad_input,
    say,
    table_of,
    warning_line,
)
from lingtan.errors import InputError
from lingtan.i18n import Message
from lingtan.imports.load import import_file
from lingtan.imports.template import write_workbook
from lingtan.services import audit_check, records
from lingtan.services import inventory as inventories
from lingtan.services.from_meters import activity_from_meters as activity_from_meters_service
from lingtan.services.from_meters import months
from lingtan.services.report_data import report_data
from lingtan.store import audit
from lingtan.store.db import (
    current_revision,
    database_url,
    make_engine,
    upgrade,
)
from lingtan.store.evidence import evidence_root
from lingtan.store.models import Facility, Inventory

__all__ = [
    "activity_group",
    "audit_group",
    "export",
    "factors_add",
    "import_group",
    "init",
    "inventory_group",
    "report",
    "template",
]


def _period(year: int | None, start: str | None, end: str | None) -> tuple[date, date]:
    try:
        if year is not None:
            return date(year, 1, 1), date(year, 12, 31)
        if start and end:
            first, last = date.fromisoformat(start), date.fromisoformat(end)
            if last < first:
                raise click.BadParameter(f"--to {last} is before --from {first}")
            return first, last
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    raise click.UsageError("give the period: --year YYYY, or --from DATE and --to DATE")


def _period_options(command: Callable) -> Callable:
    for option in reversed(
        (
            click.option("--facility", help="Facility code (optional when there is only one)."),
            click.option("--year", type=int, help="Calendar year of the inventory."),
            click.option("--from", "start", help="Period start, YYYY-MM-DD."),
            click.option("--to", "end", help="Period end, YYYY-MM-DD."),
        )
    ):
        command = option(command)
    return command


def _calculation_options(command: Callable) -> Callable:
    for option in reversed(
        (
            click.option("--gwp", type=click.Choice(["SAR", "AR4", "AR5", "AR6"]),
                         help="GWP values (default AR5)."),
            click.option("--electricity-factor-year", type=int,
                         help="Fixed data year of the grid factors."),
            click.option("--factor-set", "factor_sets", multiple=True, metavar="FAMILY=SET",
                         help="An explicit factor set, e.g. fuel=gbt-32151.34-2024 (repeatable)."),
            click.option("--residual-factor", type=float,
                         help="Residual factor for market-based Scope 2 [tCO2/MWh]."),
        )
    ):  # fmt: skip
        command = option(command)
    return command


def _options(
    gwp: str | None, year: int | None, factor_sets: tuple[str, ...], residual: float | None
) -> inventories.Options | None:
    if gwp is None and year is None and not factor_sets and residual is None:
        return None
    chosen = {}
    for item in factor_sets:
        family, _, set_id = item.partition("=")
        if not family or not set_id:
            raise click.BadParameter(f"{item!r} is not FAMILY=SET", param_hint="--factor-set")
        chosen[family.strip()] = set_id.strip()
    return inventories.Options(
        gwp=gwp or "AR5",
        electricity_factor_year=year,
        factor_sets=chosen or None,
        residual_factor=residual,
    )


@click.command()
@click.pass_context
@refusing_bad_input
def init(ctx: click.Context) -> None:
    """Create the database (or bring it to the newest schema)."""
    url = database_url(ctx.obj.get("db"))
    engine = make_engine(url)
    try:
        upgrade(engine)
        shown = engine.url.render_as_string(hide_password=True)
        say(Message("lingtan database ready: %(url)s", url=shown))
        say(
            Message(
                "schema revision %(revision)s; evidence in %(folder)s",
                revision=current_revision(engine),
                folder=evidence_root(url),
            )
        )
    finally:
        engine.dispose()


@click.command()
@click.argument("output", type=click.Path(dir_okay=False))
def template(output: str) -> None:
    """Write the empty activity-data workbook (bilingual headers) to OUTPUT."""
    say(Message("template written: %(path)s", path=write_workbook(output)))


@click.group("import")
def import_group() -> None:
    """Import data files."""


@import_group.command("activity")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--facility", help="Facility code, for files without a Facility sheet.")
@click.pass_context
@refusing_bad_input
def import_activity(ctx: click.Context, files: tuple[str, ...], facility: str | None) -> None:
    """Import activity-data FILES (.xlsx or .csv), each all or nothing."""
    status = console(stderr=True)
    refused = []
    for file in files:
        try:
            summary = _import_one(ctx, status, file, facility)
        except InputError as error:  # refused whole: report it and go on with the next file
            click.echo(refusal_text(error, language()), err=True)
            refused.append(file)
            continue
        added = ", ".join(f"{k} {v}" for k, v in summary.added.items() if v)
        same = sum(summary.unchanged.values())
        batch = (
            Message("batch %(id)s", id=summary.batch_id)
            if summary.batch_id
            else Message("no batch")
        )
        say(
            Message(
                "%(file)s: facility %(facility)s, %(batch)s: added %(added)s; %(same)s row(s) "
                "already stored and unchanged",
                file=file,
                facility=summary.facility_code,
                batch=batch,
                added=added or Message("nothing"),
                same=same,
            )
        )
    if refused:
        say(Message("refused, nothing written: %(files)s", files=", ".join(refused)), err=True)
        sys.exit(2)


def _file_import_done(file: str, done: Any) -> Message:
    """What the import of a whole file did: a register or a BOM (items, some removed) or a
    list of measures (others stay)."""
    batch = (
        Message("batch %(id)s", id=done.batch_id)
        if done.batch_id
        else Message("no batch (nothing changed)")
    )
    counts = {"read": done.read, "added": done.added, "changed": done.changed}
    counts |= {"unchanged": done.unchanged, "file": file, "facility": done.facility}
    if getattr(done, "removed", None) is None:
        return Message(
            "%(file)s: facility %(facility)s, %(batch)s: %(read)s measure(s) read, %(added)s "
            "added, %(changed)s changed, %(unchanged)s unchanged",
            batch=batch,
            **counts,
        )
    return Message(
        "%(file)s: facility %(facility)s, %(batch)s: %(read)s item(s) read, %(added)s "
        "added, %(changed)s changed, %(removed)s removed, %(unchanged)s unchanged",
        batch=batch,
        removed=done.removed,
        **counts,
    )


@import_group.command("equipment")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--facility", help="Facility code (optional when there is only one).")
@click.pass_context
@refusing_bad_input
def import_equipment(ctx: click.Context, file: str, facility: str | None) -> None:
    """Import the equipment register FILE (.xlsx or .csv) as the facility's register, all or
    nothing: items are matched by id, stored items the file no longer lists are removed."""
    from lingtan.imports.load import facility_by_code
    from lingtan.services.efficiency import import_equipment as import_register

    with open_store(ctx) as (session, evidence):
        site = facility_by_code(session, facility)
        done = import_register(session, site, file, evidence=evidence, actor=actor())
    say(_file_import_done(file, done))


@import_group.command("bom")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--facility", help="Facility code (optional when there is only one).")
@click.pass_context
@refusing_bad_input
def import_bom(ctx: click.Context, file: str, facility: str | None) -> None:
    """Import the bill of materials FILE (.xlsx or .csv), all or nothing: for each product and
    period in it, its rows replace the stored ones."""
    from lingtan.imports.load import facility_by_code
    from lingtan.services.footprint import import_bom as import_materials

    with open_store(ctx) as (session, evidence):
        site = facility_by_code(session, facility)
        done = import_materials(session, site, file, evidence=evidence, actor=actor())
    say(_file_import_done(file, done))


@click.command("ledger")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--facility", help="Facility code (optional when there is only one).")
@click.option(
    "--restate",
    metavar="REASON",
    help="The reason of the restatement of a locked period a retirement changes (without it "
    "such a retirement is refused).",
)
@click.pass_context
@refusing_bad_input
def import_ledger(ctx: click.Context, file: str, facility: str | None, restate: str | None) -> None:
    """Import the carbon-asset ledger file FILE (.xlsx or .csv), all or nothing (the same as
    lingtan ledger import)."""
    from lingtan.cli.ledger import import_ledger_file

    import_ledger_file(ctx, file, facility, restate)


import_group.add_command(import_ledger)


@import_group.command("measures")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--facility", help="Facility code (optional when there is only one).")
@click.pass_context
@refusing_bad_input
def import_measures(ctx: click.Context, file: str, facility: str | None) -> None:
    """Import the energy-saving measures of FILE (.csv), all or nothing: measures are
    matched by id and added or changed; others stay."""
    from lingtan.imports.load import facility_by_code
    from lingtan.services.efficiency_measures import import_measures as store_measures

    with open_store(ctx) as (session, evidence):
        site = facility_by_code(session, facility)
        done = store_measures(session, site, file, evidence=evidence, actor=actor())
    say(_file_import_done(file, done))


@import_group.command("temperature")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--facility", help="Facility code (optional when there is only one).")
@click.pass_context
@refusing_bad_input
def import_temperature(ctx: click.Context, file: str, facility: str | None) -> None:
    """Import the daily mean outdoor temperature of FILE (.csv: date, temperature_c), all or
    nothing; a stored day takes the file's value."""
    from lingtan.imports.load import facility_by_code
    from lingtan.services.efficiency_measures import import_temperatures

    with open_store(ctx) as (session, _):
        site = facility_by_code(session, facility)
        days = import_temperatures(session, site, file, actor=actor())
    say(
        Message(
            "%(file)s: facility %(facility)s: %(days)s day(s) stored",
            file=file,
            facility=site.code,
            days=days,
        )
    )


def _import_one(ctx: click.Context, status: Console, file: str, facility: str | None):
    for attempt in range(3):
        try:
            with status.status(f"importing {file} …"), open_store(ctx) as (session, evidence):
                return import_file(
                    session, file, evidence=evidence, actor=actor(), facility_code=facility
                )
        except IntegrityError:
            # another import wrote the same keys between our check and our insert (possible
            # on PostgreSQL): the transaction was rolled back; compare again and retry
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


@click.group("inventory")
def inventory_group() -> None:
    """Compute, lock, restate, compare and trace inventories."""


@inventory_group.command("compute")
@_period_options
@_calculation_options
@click.option("--lock", is_flag=True, help="Lock the inventory as the reported figure.")
@click.pass_context
@refusing_bad_input
def inventory_compute(
    ctx, facility, year, start, end, gwp, electricity_factor_year, factor_sets,
    residual_factor, lock,
):  # fmt: skip
    """Compute a new inventory snapshot from the stored data."""
    first, last = _period(year, start, end)
    options = _options(gwp, electricity_factor_year, factor_sets, residual_factor)
    with open_store(ctx) as (session, _):
        inventory = inventories.compute(
            session, facility, first, last, actor=actor(), options=options, lock=lock
        )
        _print_inventory(inventory)


@inventory_group.command("lock")
@click.argument("inventory_id", type=int)
@click.pass_context
@refusing_bad_input
def inventory_lock(ctx: click.Context, inventory_id: int) -> None:
    """Lock inventory INVENTORY_ID."""
    with open_store(ctx) as (session, _):
        _print_inventory(inventories.lock(session, inventory_id, actor=actor()))


@inventory_group.command("restate")
@_period_options
@_calculation_options
@click.option("--reason", required=True, help="Why the locked figure is restated.")
@click.pass_context
@refusing_bad_input
def inventory_restate(
    ctx, facility, year, start, end, gwp, electricity_factor_year, factor_sets,
    residual_factor, reason,
):  # fmt: skip
    """Restate a locked period: a new locked inventory supersedes the old one.

    Without calculation options, those of the restated inventory are kept."""
    first, last = _period(year, start, end)
    options = _options(gwp, electricity_factor_year, factor_sets, residual_factor)
    with open_store(ctx) as (session, _):
        inventory = inventories.restate(
            session, facility, first, last, reason=reason, actor=actor(), options=options
        )
        _print_inventory(inventory)


_INVENTORY_COLUMNS = (
    Column("id"),
    Column("facility"),
    Column("period_start", "from"),
    Column("period_end", "to"),
    Column("status", names="status"),
    Column("total_tco2e", "total tCO2e", 3),
    Column("supersedes_id", "supersedes"),
    Column("created_by", "by"),
)


@inventory_group.command("list")
@click.option("--facility", help="Only this facility.")
@format_option
@click.pass_context
@refusing_bad_input
def inventory_list(ctx: click.Context, facility: str | None, output: str) -> None:
    """List the inventories."""
    with open_store(ctx, read_only=True) as (session, _):
        query = select(Inventory, Facility).join(Facility).order_by(Inventory.id)
        if facility:
            query = query.where(Facility.code == facility)
        rows = [
            {
                "id": inventory.id,
                "facility": site.code,
                "period_start": inventory.period_start,
                "period_end": inventory.period_end,
                "status": inventory.status,
                "total_tco2e": inventory.total_tco2e,
                "supersedes_id": inventory.supersedes_id,
                "created_by": inventory.created_by,
            }
            for inventory, site in session.execute(query)
        ]
    emit(rows, _INVENTORY_COLUMNS, output, title="Inventories 温室气体排放清单")


def _print_inventory(inventory: Inventory) -> None:
    totals = inventory.result["totals"]
    lang = language()
    say(
        Message(
            "inventory %(id)s (%(status)s) %(start)s – %(end)s: total %(total)s tCO2e; Scope 1 "
            "%(scope1)s; Scope 2 location %(location)s / market %(market)s; energy %(tce)s tce",
            id=inventory.id,
            status=name_of("status", inventory.status, lang),
            start=inventory.period_start,
            end=inventory.period_end,
            total=f"{totals['total_tco2e']:,.3f}",
            scope1=f"{totals['scope1_tco2e']:,.3f}",
            location=f"{totals['scope2_location_tco2e']:,.3f}",
            market=f"{totals['scope2_market_tco2e']:,.3f}",
            tce=f"{totals['energy_tce']:,.3f}",
        )
    )
    ledger = inventory.lineage.get("ledger_instruments") or {}
    applied = [i for i in inventory.result.get("instruments", []) if i["id"] in ledger]
    if applied:
        say(
            Message(
                "  market-based Scope 2 instruments from the ledger's retirements: %(mwh)s MWh "
                "(%(items)s)",
                mwh=f"{math.fsum(i['covered_mwh'] for i in applied):,.3f}",
                items="; ".join(f"{i['id']} {i['covered_mwh']:,.3f} MWh" for i in applied),
            )
        )
    offsets = inventory.result.get("offsets") or {}
    if offsets.get("credits"):
        say(
            Message(
                "  offsets beside the totals, not deducted from them (ISO 14068-1): %(total)s "
                "tCO2e of carbon credits retired (%(items)s)",
                total=f"{offsets['total_tco2e']:,.3f}",
                items="; ".join(
                    f"{c['holding']} {c['quantity']:,.3f} tCO2e {c['serial'] or ''}".rstrip()
                    for c in offsets["credits"]
                ),
            )
        )
    if inventory.supersedes_id:
        say(
            Message(
                "  supersedes %(id)s: %(reason)s",
                id=inventory.supersedes_id,
                reason=inventory.restatement_reason,
            )
        )


def _json(data: Any) -> str:
    return json.dumps(audit.to_jsonable(data), ensure_ascii=False, indent=2)


@inventory_group.command("show")
@click.argument("inventory_id", type=int)
@format_option
@click.pass_context
@refusing_bad_input
def inventory_show(ctx: click.Context, inventory_id: int, output: str) -> None:
    """Show an inventory: its totals and lines, the whole snapshot as JSON, or its lines as
    CSV."""
    with open_store(ctx, read_only=True) as (session, _):
        inventory = inventories.get_inventory(session, inventory_id)
        lines = inventory.result["lines"]
        if output != "table":
            snapshot = audit.to_jsonable(_snapshot(inventory)) if output == "json" else None
            emit(lines, LINE_COLUMNS, output, document=snapshot)
            return
        _print_inventory(inventory)
        print_table(table_of(lines, _SHOWN_LINES, title="Lines 排放源明细"))
        lang = language()
        for warning in warning_texts(inventory.result):
            click.echo(warning_line(warning, lang))


_SHOWN_LINES = tuple(
    c for c in LINE_COLUMNS if c.key in ("source_id", "kind", "activity", "activity_unit",
                                         "emissions_tco2e")
)  # fmt: skip


def _snapshot(inventory: Inventory) -> dict[str, Any]:
    return {
        "id": inventory.id,
        "facility_id": inventory.facility_id,
        "period": {"start": inventory.period_start, "end": inventory.period_end},
        "status": inventory.status,
        "locked_at": inventory.locked_at,
        "supersedes_id": inventory.supersedes_id,
        "restatement_reason": inventory.restatement_reason,
        "engine_version": inventory.engine_version,
        "factor_sets": inventory.factor_sets,
        "result_sha256": inventory.result_sha256,
        "created_by": inventory.created_by,
        "created_at": inventory.created_at,
        "input": inventory.input_document,
        "lineage": inventory.lineage,
        "result": inventory.result,
    }


_TOTAL_CHANGES = (
    Column("total"),
    Column("old", digits=3),
    Column("new", digits=3),
    Column("change", digits=3),
)
_LINE_CHANGES = (
    Column("line"),
    Column("old_tco2e", "old tCO2e", 3),
    Column("new_tco2e", "new tCO2e", 3),
    Column("change_tco2e", "change", 3),
    Column("activity_effect_tco2e", "activity effect", 3),
    Column("factor_effect_tco2e", "factor effect", 3),
    Column("why"),
)


@inventory_group.command("diff")
@click.argument("old_id", type=int)
@click.argument("new_id", type=int)
@format_option
@click.pass_context
@refusing_bad_input
def inventory_diff(ctx: click.Context, old_id: int, new_id: int, output: str) -> None:
    """Explain the difference between inventories OLD_ID and NEW_ID, line by line (CSV: the
    lines that changed)."""
    with open_store(ctx, read_only=True) as (session, _):
        result = inventories.diff(session, old_id, new_id)
    lines = [
        {**entry, "why": entry.get("reason") or "; ".join(entry.get("factors_changed", []))}
        for entry in result["lines"]
    ]
    if output != "table":
        emit(lines, _LINE_CHANGES, output, document=audit.to_jsonable(result))
        return
    if result["new"].get("reason"):
        console().print(f"restatement reason: {result['new']['reason']}")
    totals = [{"total": key, **value} for key, value in result["totals"].items() if value["change"]]
    print_table(table_of(totals, _TOTAL_CHANGES, title=f"Totals: inventory {old_id} → {new_id}"))
    print_table(table_of(lines, _LINE_CHANGES, title="Lines that changed"))


@inventory_group.command("trace")
@click.argument("inventory_id", type=int)
@click.argument("line")
@click.pass_context
@refusing_bad_input
def inventory_trace(ctx: click.Context, inventory_id: int, line: str) -> None:
    """Walk from LINE of an inventory to its factors, activity record and evidence files."""
    with open_store(ctx, read_only=True) as (session, store):
        found = inventories.trace(session, inventory_id, line)
        for item in found["evidence"]:
            item["path"] = str(store.locate(item["sha256"], item["organization_id"]))
    click.echo(_json(found))


@click.command()
@click.argument("inventory_id", type=int)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["xlsx", "json", "csv"]),
    required=True,
    help="What is exported: the report workbook, the snapshot or the lines.",
)
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False), required=True, help="File written."
)
@click.option(
    "--lang",
    type=click.Choice(["zh-CN", "en"]),
    default="zh-CN",
    show_default=True,
    help="Language of the workbook.",
)
@click.pass_context
@refusing_bad_input
def export(ctx, inventory_id: int, output_format: str, output: str, lang: str) -> None:
    """Export an inventory: xlsx (the report workbook), json (the snapshot) or csv (lines)."""
    with open_store(ctx, read_only=True) as (session, _):
        inventory = inventories.get_inventory(session, inventory_id)
        if output_format == "json":
            Path(output).write_text(_json(_snapshot(inventory)), encoding="utf-8")
        elif output_format == "csv":
            Path(output).write_text(
                csv_text(inventory.result["lines"], LINE_COLUMNS), encoding="utf-8-sig"
            )
        else:
            from lingtan.reports.xlsx import render_xlsx

            Path(output).write_bytes(render_xlsx(report_data(session, inventory), lang))
    say(Message("exported inventory %(id)s to %(path)s", id=inventory_id, path=output))


@click.command()
@click.argument("inventory_id", type=int)
@click.option(
    "--output-dir",
    "-o",
    type=click.Path(file_okay=False),
    default="reports",
    show_default=True,
    help="Directory the reports are written to.",
)
@click.option(
    "--lang",
    "langs",
    multiple=True,
    type=click.Choice(["zh-CN", "en"]),
    help="Language of the reports; repeatable (default: both).",
)
@click.option(
    "--format",
    "formats",
    multiple=True,
    type=click.Choice(REPORT_FORMATS),
    help="Format of the reports; repeatable (default: all three).",
)
@click.pass_context
@refusing_bad_input
def report(ctx, inventory_id: int, output_dir: str, langs, formats) -> None:
    """Write the GB/T 32150 inventory report (HTML, PDF, XLSX; zh-CN and English)."""
    from lingtan.reports import MissingFontError, write_reports

    with open_store(ctx, read_only=True) as (session, _):
        data = report_data(session, inventories.get_inventory(session, inventory_id))
    try:
        paths = write_reports(
            data,
            Path(output_dir),
            langs=langs or ("zh-CN", "en"),
            formats=formats or REPORT_FORMATS,
        )
    except MissingFontError as error:  # nothing written
        raise click.ClickException(f"no report written: {error}") from error
    for path in paths:
        click.echo(str(path))


@click.group("activity")
def activity_group() -> None:
    """Correct or remove stored activity records (with a reason, in the audit log), or
    produce them from meters."""


def _record_options(command: Callable) -> Callable:
    for option in reversed(
        (
            click.argument("source"),
            click.option("--facility", help="Facility code (optional when there is only one)."),
            click.option("--from", "start", required=True, help="Record period start."),
            click.option("--to", "end", required=True, help="Record period end."),
            click.option("--reason", required=True, help="Why the record changes."),
        )
    ):
        command = option(command)
    return command


@activity_group.command("correct")
@_record_options
@click.option("--quantity", type=float, required=True, help="The correct quantity.")
@click.option("--unit", help="Its unit (default: the stored one).")
@click.option("--origin", type=click.Choice(["meter", "invoice", "manual", "estimate"]))
@click.pass_context
@refusing_bad_input
def activity_correct(ctx, source, facility, start, end, reason, quantity, unit, origin):
    """Correct the stored record of SOURCE for a period."""
    first, last = _period(None, start, end)
    with open_store(ctx) as (session, _):
        record = records.correct_record(
            session, facility, source, first, last, quantity=quantity, unit=unit,
            origin=origin, reason=reason, actor=actor(),
        )  # fmt: skip
        say(
            Message(
                "record %(id)s of %(source)s %(first)s..%(last)s: now %(quantity)s %(unit)s "
                "(%(origin)s); recompute or restate inventories of the period",
                id=record.id,
                source=source,
                first=first,
                last=last,
                quantity=f"{record.quantity:g}",
                unit=record.unit,
                origin=record.origin,
            )
        )


@activity_group.command("delete")
@_record_options
@click.pass_context
@refusing_bad_input
def activity_delete(ctx, source, facility, start, end, reason):
    """Remove the stored record of SOURCE for a period."""
    first, last = _period(None, start, end)
    with open_store(ctx) as (session, _):
        records.delete_record(session, facility, source, first, last, reason=reason, actor=actor())
    say(
        Message(
            "record of %(source)s %(first)s..%(last)s removed",
            source=source,
            first=first,
            last=last,
        )
    )


@activity_group.command("from-meters")
@click.option("--source", required=True, help="The source whose records are produced.")
@click.option(
    "--meter",
    "meter_codes",
    multiple=True,
    required=True,
    help="A meter to add; a leading - subtracts it (--meter E-MAIN --meter -E-EXPORT).",
)
@click.option("--year", type=int, help="Every month of this year.")
@click.option("--month", help="Only this month (YYYY-MM).")
@click.option("--allow-estimated", is_flag=True, help="Count intervals estimated across gaps.")
@click.option(
    "--max-missing-share",
    type=float,
    default=0.0,
    show_default=True,
    help="Share of a meter's intervals in a month that may have no energy (0-1).",
)
@click.option("--unit", help="Unit of the records (default: the source's records' unit).")
@click.option("--facility", help="Facility code (optional when there is only one).")
@click.pass_context
@refusing_bad_input
def activity_from_meters(
    ctx, source, meter_codes, year, month, allow_estimated, max_missing_share, unit, facility
):
    """Produce the monthly activity records of a source from its meters' 15-minute intervals."""
    try:
        chosen = date.fromisoformat(f"{month}-01") if month else None
    except ValueError:
        raise click.BadParameter(
            message(Message("%(month)r is not a month YYYY-MM", month=month), language()),
            param_hint="--month",
        ) from None
    if chosen is None and year is None:
        raise click.UsageError(
            message(Message("give the period: --year YYYY or --month YYYY-MM"), language())
        )
    if chosen is not None and year is not None and chosen.year != year:
        raise click.BadParameter(
            message(Message("%(month)s is not in %(year)s", month=month, year=year), language()),
            param_hint="--month",
        )
    periods = months(chosen.year, chosen.month) if chosen else months(year)
    meters = [(code[1:], -1) if code.startswith("-") else (code, 1) for code in meter_codes]
    with open_store(ctx) as (session, store):
        done = activity_from_meters_service(
            session, facility, source, meters, periods, evidence=store, actor=actor(),
            allow_estimated=allow_estimated, max_missing_share=max_missing_share, unit=unit,
        )  # fmt: skip
    for record in done:
        say(
            Message(
                "%(source)s %(first)s..%(last)s: %(quantity)s %(unit)s %(status)s (%(note)s; "
                "evidence %(sha)s)",
                source=record.source,
                first=record.period_start,
                last=record.period_end,
                quantity=f"{record.quantity:,.6g}",
                unit=record.unit,
                status=Message("added") if record.status == "added" else Message("unchanged"),
                note=record.quality_note,  # a Message (lingtan.metering.intervals.METERED_NOTE)
                sha=record.evidence_sha256[:12],
            )
        )


@click.command("add")
@click.argument("file", type=click.Path(dir_okay=False))
@click.pass_context
@refusing_bad_input
def factors_add(ctx: click.Context, file: str) -> None:
    """Store the custom factor sets of a CSV FILE in the database."""
    with open_store(ctx) as (session, _):
        outcome = records.add_factor_sets(session, file, actor=actor())
    for set_id, what in outcome.items():
        done = Message("added") if what == "added" else Message("unchanged")
        say(Message("factor set %(set)s: %(what)s", set=set_id, what=done))


@click.group("audit")
def audit_group() -> None:
    """The tamper-evident audit log."""


@audit_group.command("verify")
@click.option("--head", help="A head hash recorded earlier: also detects a truncated log.")
@click.pass_context
@refusing_bad_input
def audit_verify(ctx: click.Context, head: str | None) -> None:
    """Check the hash chain of the audit log, every inventory snapshot and stored evaluation
    against its seal in the log and every evidence file against its SHA-256; exit status 1 if
    anything was altered."""
    with open_store(ctx, read_only=True) as (session, evidence):
        check = audit_check.verify_store(session, evidence, expected_head=head)
    if check.unsealed:
        ids = ", ".join(map(str, check.unsealed))
        say(
            Message(
                "not sealed: %(n)s inventory snapshot(s) made before seals (%(ids)s), checked by "
                "their result's SHA-256 only: `lingtan audit seal` seals them",
                n=len(check.unsealed),
                ids=ids,
            ),
            err=True,
        )
    if check.ok:
        say(
            Message(
                "audit log intact: %(entries)s entries, head %(head)s; inventory snapshots match "
                "their seals; %(files)s evidence file(s) match their SHA-256",
                entries=check.chain.entries,
                head=check.chain.head_hash,
                files=check.evidence_files,
            )
        )
        if check.evaluations:
            say(
                Message(
                    "%(n)s stored evaluation(s) match their seals and their SHA-256",
                    n=check.evaluations,
                )
            )
        return
    problems = check.problems()
    say(Message("ALTERED: %(n)s problem(s)", n=len(problems)), err=True)
    for problem in problems:
        click.echo(f"  {problem}", err=True)
    sys.exit(1)


@audit_group.command("seal")
@click.pass_context
@refusing_bad_input
def audit_seal(ctx: click.Context) -> None:
    """Seal the inventory snapshots made before seals, as they stand, in your name (those
    whose result no longer matches its recorded SHA-256 stay unsealed)."""
    with open_store(ctx) as (session, _):
        sealed = audit_check.seal_unsealed(session, actor=actor())
    if sealed:
        say(
            Message(
                "%(n)s inventory snapshot(s) sealed: %(ids)s",
                n=len(sealed),
                ids=", ".join(map(str, sealed)),
            )
        )
    else:
        say(Message("%(n)s inventory snapshot(s) sealed", n=0))
