"""The plant of the metering tests: organization Acme, facility F1 in Jiangsu, its meters."""

from collections.abc import Sequence

from sqlalchemy.orm import Session

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
    define_meters(session, "F1", nodes, meters)
    return facility
