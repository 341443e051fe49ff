"""The plant of the metering tests: organization Acme, facility F1 in Jiangsu, its meters;
in the store directly or through the command line."""

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from lingtan.imports.template import write_workbook
from lingtan.metering.store import MeterDefinition, NodeDefinition, define_meters
from lingtan.store.models import Facility, Organization


def add_plant(
    session: Session, nodes: Sequence[NodeDefinition], meters: Sequence[MeterDefinition]
) -> Facility:
    """Organization ``Acme``, its facility ``F1`` ("Plant", CN-JS), these nodes and meters."""
    org = Organization(name="Acme")
    session.add(org)
    session.flush()
    facility = Facility(organization_id=org.id, code="F1", name="Plant", region="CN-JS")
    session.add(facility)
    session.flush()
    define_meters(session, "F1", nodes, meters, actor="test")
    return facility


def cli_plant(cli: Callable[..., Any], folder: Path, definitions: str) -> None:
    """Through the command line ``cli``: ``init``, facility F1 of Acme in Jiangsu with a grid
    source (an activity workbook written in ``folder``), and the nodes and meters of
    ``definitions`` (the text of a definitions CSV)."""
    cli("init")
    book = write_workbook(
        folder / "f.xlsx",
        {
            "报告主体 Facility": [["Acme", "F1", "Plant", "江苏"]],
            "排放源 Sources": [["grid", "purchased_electricity", "Grid"]],
        },
    )
    cli("import", "activity", book)
    (folder / "defs.csv").write_text(definitions, encoding="utf-8")
    cli("meters", "define", folder / "defs.csv")
