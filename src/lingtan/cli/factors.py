"""``lingtan factors``: the factor library, shipped and custom."""

from __future__ import annotations

import contextlib
import sys
from typing import Any

import click

from lingtan.catalog import UnknownRegionError, resolve_fuel, resolve_region
from lingtan.cli.common import (
    FIELD_COLUMNS,
    Column,
    emit,
    format_option,
    language,
    name_of,
    print_table,
    say,
    table_of,
)
from lingtan.cli.lazy import LazyCommand, LazyGroup
from lingtan.factors import FACTOR_COLUMNS, FactorLibrary, shipped_library
from lingtan.i18n import Message

__all__ = ["factors"]


@click.group(
    cls=LazyGroup,
    lazy={
        "add": LazyCommand(
            "lingtan.cli.platform",
            "factors_add",
            "Store the custom factor sets of a CSV FILE in the database.",
        ),
    },
)
def factors() -> None:
    """The factor library: what is shipped, with provenance."""


def _library() -> FactorLibrary:
    return shipped_library()


_SET_COLUMNS = (
    Column("set_id", "set"),
    Column("version"),
    Column("family", names="factor.family"),
    Column("data_year", "year"),
    Column("default"),
    Column("rows", digits=0),
    Column("official_rows", "official", 0),
    Column("unverified_rows", "unverified", 0),
    Column("title_en", "title"),
    Column("title_zh", "标题"),
)


@factors.command("list")
@click.option("--family", help="Only sets of this family (fuel, electricity, gwp, ...).")
@format_option
def factors_list(family: str | None, output: str) -> None:
    """List the factor sets."""
    sets = sorted(_library().sets(family), key=lambda item: (item.family, item.set_id))
    rows = [
        {
            "set_id": s.set_id,
            "version": s.version,
            "family": s.family,
            "default": s.default,
            "data_year": s.data_year,
            "title_en": s.title_en,
            "title_zh": s.title_zh,
            "rows": len(s.factors),
            "official_rows": s.statuses["official"],
            "unverified_rows": s.statuses["unverified"],
            "status_counts": s.statuses,
            "keys": s.key_names(),
        }
        for s in sets
    ]
    document = [
        {k: v for k, v in row.items() if k not in ("official_rows", "unverified_rows")}
        for row in rows
    ]
    emit(rows, _SET_COLUMNS, output, title="Factor sets 因子集", document=document)


#: Fields of a factor shown by their names in a Chinese table (the family of the names).
_NAMED = {"family": "factor.family", "status": "factor.status"}


@factors.command("show")
@click.argument("key")
@click.option("--set", "set_id", help="Only rows of this set.")
@format_option
def factors_show(key: str, set_id: str | None, output: str) -> None:
    """Show every row for KEY (a fuel, gas, carbonate, region code ...) with its provenance:
    one table per row, or JSON, or CSV with one line per row."""
    fuel = resolve_fuel(key)
    with contextlib.suppress(UnknownRegionError):  # else look the text up as a key
        key = fuel.key if fuel else resolve_region(key).code
    found = [f for f in _library().find(key) if set_id is None or f.set_id == set_id]
    if not found:
        say(Message("no factor has key or region %(key)s; see `lingtan factors list`",
                    key=repr(key)), err=True)  # fmt: skip
        sys.exit(2)
    rows: list[dict[str, Any]] = [f.provenance() for f in found]
    if output != "table":
        emit(rows, [Column(c) for c in FACTOR_COLUMNS], output, document=rows)
        return
    lang = language()
    for factor, data in zip(found, rows, strict=True):
        fields = [
            {"field": c, "value": name_of(_NAMED[c], data[c], lang) if c in _NAMED else data[c]}
            for c in FACTOR_COLUMNS
            if data.get(c) not in (None, "")
        ]
        print_table(table_of(fields, FIELD_COLUMNS, title=factor.ref, show_header=False))
