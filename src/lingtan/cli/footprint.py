"""Commands for product carbon footprints: ``lingtan footprint foreground``.

The click group :data:`footprint` is added to the ``lingtan`` group by :mod:`lingtan.cli.main`.
It reads the database given by ``--db`` on the main group or ``LINGTAN_DATABASE_URL``; refused
input exits with status 2, every problem on stderr.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

import click

from lingtan.cli.common import Column, emit, format_option, open_store, refusing_bad_input, say
from lingtan.footprint.background import read_supplier_file
from lingtan.footprint.lineage import primary_data_share
from lingtan.footprint.model import ProductSystem
from lingtan.footprint.study import read_study_file
from lingtan.i18n import Message
from lingtan.imports.load import facility_by_code
from lingtan.services.footprint import build_product_system, product_code

__all__ = ["footprint"]


@click.group("footprint")
def footprint() -> None:
    """Product carbon footprints (GB/T 24067 / ISO 14067): a study's foreground from the
    factory's meters, inventory and bills of materials."""


_COLUMNS = (
    Column("process"),
    Column("stage", names="footprint.stage"),
    Column("flow", "input or emission"),
    Column("amount", digits=3),
    Column("unit"),
    Column("meters"),
    Column("sources", "sources read"),
)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def system_document(system: ProductSystem, product: str) -> dict[str, Any]:
    """The product system as JSON: every process, exchange and source, and the primary data
    share [%] computed from the lineage."""
    return {
        "name": system.name,
        "product_process": product,
        "primary_data_share_pct": primary_data_share(system, product),
        "processes": [_plain(asdict(p)) for p in system.processes],
        "flows": [asdict(f) for f in system.flows],
        "notes": list(system.notes),
    }


@footprint.command("foreground")
@click.argument("study_file", metavar="STUDY", type=click.Path(dir_okay=False))
@click.option(
    "--suppliers",
    type=click.Path(dir_okay=False),
    help="A supplier footprint file (CSV) for the BOM's pact:<id> links.",
)
@format_option
@click.pass_context
@refusing_bad_input
def foreground(ctx: click.Context, study_file: str, suppliers: str | None, output: str) -> None:
    """Build the foreground of the study in STUDY (YAML) from the store and list the product's
    exchanges with where they came from (JSON: the whole product system with its lineage)."""
    study = read_study_file(study_file)
    received = read_supplier_file(suppliers) if suppliers else None
    with open_store(ctx) as (session, _):
        facility = facility_by_code(session, study.facility)
        system = build_product_system(session, study, suppliers=received)
        product = product_code(study.product, facility.code)
    rows = [
        {
            "process": process.code,
            "stage": process.stage,
            "flow": exchange.flow,
            "amount": exchange.amount,
            "unit": exchange.unit,
            "meters": " ".join(s.reference for s in exchange.sources if s.kind == "meter"),
            "sources": len(exchange.sources),
        }
        for process in system.processes
        for exchange in process.exchanges
    ]
    document = system_document(system, product)
    emit(rows, _COLUMNS, output, title=system.name, document=document)
    share = document["primary_data_share_pct"]
    if output == "table" and share is not None:
        say(Message("primary data share: %(share)s %%", share=f"{share:.1f}"))
