"""Commands of the carbon-asset ledger: ``lingtan ledger
import|list|balance|retire|surrender|compliance|months``.

They work on the database (``--db``). A refused write exits with status 2, every problem on
stderr (naming the holding, the serials and the rule) and nothing written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path

import click

from lingtan.assets.ledger import MovementIn
from lingtan.cli.common import (
    Column,
    actor,
    emit,
    format_option,
    open_store,
    refusing_bad_input,
    say,
)
from lingtan.errors import InputError, InputProblem
from lingtan.i18n import Message
from lingtan.imports.ledger import read_ledger_file
from lingtan.imports.load import facility_by_code
from lingtan.services.allowances import compliance_status
from lingtan.services.ledger import (
    LedgerWrite,
    asset_balances,
    contract_months,
    ledger_entries,
    write_ledger,
)

__all__ = ["import_ledger_file", "ledger_group"]

_BALANCE_COLUMNS = (
    Column("asset"),
    Column("kind", names="ledger.kind"),
    Column("serial"),
    Column("period_start", "period start"),
    Column("period_end", "period end"),
    Column("acquired", digits=3),
    Column("transferred", digits=3),
    Column("retired", digits=3),
    Column("surrendered", digits=3),
    Column("cancelled", digits=3),
    Column("balance", digits=3),
    Column("unit"),
    Column("status", names="ledger.status"),
)
_ENTRY_COLUMNS = (
    Column("on_date", "date"),
    Column("action", names="ledger.action"),
    Column("entry", digits=0),
    Column("asset"),
    Column("kind", names="ledger.kind"),
    Column("quantity", digits=3),
    Column("unit"),
    Column("serial"),
    Column("facility"),
    Column("period_start", "period start"),
    Column("period_end", "period end"),
    Column("claim"),
    Column("compliance_year", "compliance year"),
    Column("counterpart"),
)
_COMPLIANCE_COLUMNS = (
    Column("facility"),
    Column("compliance_year", "compliance year"),
    Column("verified_tco2e", "verified emissions tCO2e", digits=3),
    Column("surrendered_tco2e", "surrendered tCO2e", digits=3),
    Column("shortfall_tco2e", "shortfall tCO2e", digits=3),
    Column("surplus_tco2e", "surplus tCO2e", digits=3),
    Column("usable_balance_tco2e", "usable balance tCO2e", digits=3),
    Column("status", names="ledger.compliance"),
    Column("inventory", digits=0),
)
_MONTH_COLUMNS = (
    Column("asset"),
    Column("month"),
    Column("contracted_mwh", "contracted MWh", digits=3),
    Column("settled_mwh", "settled MWh", digits=3),
    Column("certificates"),
    Column("counterpart"),
)


@click.group("ledger")
def ledger_group() -> None:
    """The carbon-asset ledger: green electricity certificates (GEC), green power contracts
    and carbon credits held, transferred, retired and cancelled, and national ETS allowances
    surrendered, with every double count refused."""


#: ``--restate REASON`` of the commands that write retirements.
restate_option = click.option(
    "--restate",
    metavar="REASON",
    help="The reason of the restatement of a locked period a retirement changes (without it "
    "such a retirement is refused).",
)


def _restated(done: LedgerWrite) -> None:
    """Say which inventories restated the locked periods the retirements changed."""
    if done.restated:
        ids = ", ".join(map(str, done.restated))
        say(Message("locked periods restated by inventory %(ids)s", ids=ids))


def import_ledger_file(
    ctx: click.Context, file: str, facility: str | None, restate: str | None = None
) -> None:
    """Import a ledger file and say what was added (``lingtan ledger import``, ``lingtan
    import ledger``)."""
    holdings, movements, months = read_ledger_file(file)
    with open_store(ctx) as (session, evidence):
        site = facility_by_code(session, facility)
        done = write_ledger(
            session, site, holdings, movements, months=months, evidence=evidence, actor=actor(),
            source_file=Path(file), origin=Path(file).name, restate=restate,
        )  # fmt: skip
    batch = (
        Message("batch %(id)s", id=done.batch_id)
        if done.batch_id
        else Message("no batch (nothing changed)")
    )
    say(
        Message(
            "%(file)s: facility %(facility)s, %(batch)s: %(holdings)s holding(s) and "
            "%(movements)s movement(s) added, %(stored)s already stored",
            file=file,
            facility=done.facility,
            batch=batch,
            holdings=len(done.assets_added),
            movements=len(done.entries_added),
            stored=done.assets_unchanged + done.entries_unchanged + done.months_unchanged,
        )
    )
    if done.months_added:
        say(Message("contract months added: %(n)s", n=len(done.months_added)))
    _restated(done)


@ledger_group.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--facility", help="Facility code (optional when there is only one).")
@restate_option
@click.pass_context
@refusing_bad_input
def ledger_import(ctx: click.Context, file: str, facility: str | None, restate: str | None) -> None:
    """Import the ledger file FILE (.xlsx or .csv: holdings and their transfers, retirements
    and cancellations), all or nothing."""
    import_ledger_file(ctx, file, facility, restate)


@ledger_group.command("balance")
@click.option("--facility", help="Facility code (optional when there is only one).")
@format_option
@click.pass_context
@refusing_bad_input
def ledger_balance(ctx: click.Context, facility: str | None, output: str) -> None:
    """The holdings of the facility: acquired, transferred, retired, cancelled and the balance,
    in MWh (certificates, contracts) or tCO2e (credits)."""
    with open_store(ctx, read_only=True) as (session, _):
        site = facility_by_code(session, facility)
        rows = asset_balances(session, site.organization_id, site.id)
    emit(rows, _BALANCE_COLUMNS, output)


@ledger_group.command("list")
@click.option("--facility", help="Facility code (optional when there is only one).")
@click.option("--year", type=int, help="Only retirements for claim periods in this year.")
@format_option
@click.pass_context
@refusing_bad_input
def ledger_list(ctx: click.Context, facility: str | None, year: int | None, output: str) -> None:
    """The acquisitions, transfers, retirements and cancellations of the facility's holdings
    and the retirements made for it, by date."""
    period = (date(year, 1, 1), date(year, 12, 31)) if year else None
    with open_store(ctx, read_only=True) as (session, _):
        site = facility_by_code(session, facility)
        rows = ledger_entries(session, site.organization_id, facility_id=site.id, period=period)
    emit(rows, _ENTRY_COLUMNS, output)


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        rule = Message("must be a date (YYYY-MM-DD)")
        raise InputError(InputProblem(option, "date", text, rule)) from None


def _write_one(
    ctx: click.Context,
    facility: str | None,
    movement: MovementIn,
    restate: str | None,
    written: Callable[[int], Message],
) -> LedgerWrite:
    """Write one movement of the command ``movement.where`` for the facility (its own: the
    retirement or surrender is for it), all or nothing, and say ``written(entry)`` or that it
    was already stored."""
    with open_store(ctx) as (session, store):
        site = facility_by_code(session, facility)
        done = write_ledger(
            session, site, (), [replace(movement, facility=site.code)], evidence=store,
            actor=actor(), origin=str(movement.where), restate=restate,
        )  # fmt: skip
    if done.entries_added:
        say(written(done.entries_added[0]))
    else:
        say(Message("already stored: nothing changed (%(asset)s)", asset=movement.asset))
    return done


@ledger_group.command("retire")
@click.argument("asset")
@click.argument("quantity", type=float)
@click.option(
    "--serial", default="", help="The serials retired (required for a holding with serials)."
)
@click.option("--facility", help="The facility it is retired for (optional when only one).")
@click.option("--year", type=int, help="The claim period: this calendar year.")
@click.option("--from", "start", help="The claim period's first day, YYYY-MM-DD.")
@click.option("--to", "end", help="The claim period's last day, YYYY-MM-DD.")
@click.option("--claim", required=True, help="The claim it is retired for.")
@click.option("--date", "on", help="The day of the retirement (default: today).")
@click.option("--reason", default="", help="A note.")
@click.option("--evidence", type=click.Path(dir_okay=False, exists=True),
              help="The registry's retirement record (kept by SHA-256).")  # fmt: skip
@restate_option
@click.pass_context
@refusing_bad_input
def ledger_retire(
    ctx: click.Context,
    asset: str,
    quantity: float,
    serial: str,
    facility: str | None,
    year: int | None,
    start: str | None,
    end: str | None,
    claim: str,
    on: str | None,
    reason: str,
    evidence: str | None,
    restate: str | None,
) -> None:
    """Retire (注销) QUANTITY of the holding ASSET for a facility, a claim period and a claim;
    refused, with nothing written, if it counts a serial twice, takes more than the balance,
    breaks a claim-period rule, or changes a locked period without --restate."""
    if year is not None:
        first, last = date(year, 1, 1), date(year, 12, 31)
    elif start and end:
        first, last = _day(start, "--from"), _day(end, "--to")
    else:
        rule = Message("give the claim period: --year YYYY, or --from DATE and --to DATE")
        raise InputError(InputProblem("--year", "period", None, rule))
    day = _day(on, "--date") if on else date.today()
    movement = MovementIn(
        asset, "retire", quantity, day, serial=serial, period_start=first, period_end=last,
        claim=claim, reason=reason, evidence=Path(evidence) if evidence else None,
        where="lingtan ledger retire",
    )  # fmt: skip
    done = _write_one(
        ctx, facility, movement, restate,
        lambda entry: Message("retired: entry %(id)s, %(quantity)s of %(asset)s", id=entry,
                              quantity=f"{quantity:g}", asset=asset),
    )  # fmt: skip
    _restated(done)


@ledger_group.command("surrender")
@click.argument("asset")
@click.argument("quantity", type=float)
@click.option("--year", type=int, required=True, help="The compliance year it is surrendered for.")
@click.option("--facility", help="The covered facility (optional when there is only one).")
@click.option("--serial", default="", help="The serials surrendered (for allowances with serials).")
@click.option("--date", "on", help="The day of the surrender (default: today).")
@click.option("--reason", default="", help="A note.")
@click.option("--evidence", type=click.Path(dir_okay=False, exists=True),
              help="The registry's surrender record (kept by SHA-256).")  # fmt: skip
@click.pass_context
@refusing_bad_input
def ledger_surrender(
    ctx: click.Context,
    asset: str,
    quantity: float,
    year: int,
    facility: str | None,
    serial: str,
    on: str | None,
    reason: str,
    evidence: str | None,
) -> None:
    """Surrender (清缴) QUANTITY tCO2e of the national ETS allowances ASSET for the covered
    facility and the compliance year; refused, with nothing written, if it takes more than the
    balance, an allowance of a vintage the surrender rules refuse for that year, or anything
    but allowances."""
    day = _day(on, "--date") if on else date.today()
    movement = MovementIn(
        asset, "surrender", quantity, day, serial=serial, compliance_year=year, reason=reason,
        evidence=Path(evidence) if evidence else None, where="lingtan ledger surrender",
    )  # fmt: skip
    _write_one(
        ctx, facility, movement, None,
        lambda entry: Message(
            "surrendered: entry %(id)s, %(quantity)s tCO2e of %(asset)s for %(year)s",
            id=entry, quantity=f"{quantity:g}", asset=asset, year=year,
        ),
    )  # fmt: skip


@ledger_group.command("compliance")
@click.option("--year", type=int, required=True, help="The compliance year.")
@click.option("--facility", help="Facility code (optional when there is only one).")
@format_option
@click.pass_context
@refusing_bad_input
def ledger_compliance(ctx: click.Context, year: int, facility: str | None, output: str) -> None:
    """The compliance (履约) of the covered facility for the year: the verified emissions (the
    Scope 1 of the year's locked inventory), the allowances surrendered, the shortfall or
    surplus, in tCO2e; never part of the inventory's totals."""
    with open_store(ctx, read_only=True) as (session, _):
        site = facility_by_code(session, facility)
        found = compliance_status(session, site, year)
    row = {**found, "inventory": (found["verified_from"] or {}).get("inventory")}
    emit([row], _COMPLIANCE_COLUMNS, output, document=found)


@ledger_group.command("months")
@click.option("--facility", help="Facility code (optional when there is only one).")
@format_option
@click.pass_context
@refusing_bad_input
def ledger_months(ctx: click.Context, facility: str | None, output: str) -> None:
    """The monthly volumes of the facility's green power trading contracts: contracted and
    settled MWh per month, with the GECs bundled with each month."""
    with open_store(ctx, read_only=True) as (session, _):
        site = facility_by_code(session, facility)
        rows = contract_months(session, site.organization_id, site.id)
    emit(rows, _MONTH_COLUMNS, output)
