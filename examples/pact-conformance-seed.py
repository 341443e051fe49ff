"""Seed a lingtan database for a PACT conformance run: one organization, one client, three
illustrative footprints (not real products' figures). Prints the client's credentials as JSON.

Usage: ``python examples/pact-conformance-seed.py sqlite:///pact-conformance.db``
(see docs/footprint-pact.md, "Conformance").
"""

import json
import sys
from datetime import UTC, datetime

from lingtan.services import pact
from lingtan.store.db import make_engine, session_scope, upgrade
from lingtan.store.models import Organization

PRODUCTS = [
    ("CN", "urn:eclass:0173-1:27-06-03-01"),
    ("DE", "urn:eclass:0173-1:27-06-03-02"),
    ("CN", "urn:eclass:0173-1:27-06-03-01"),
]


def main(url: str) -> None:
    engine = make_engine(url)
    upgrade(engine)
    with session_scope(engine) as session:
        organization = Organization(name="Conformance Demo Co (illustrative)")
        session.add(organization)
        session.flush()
        client_id, secret, _ = pact.create_client(
            session, organization, name="pact-conformance", actor="conformance"
        )
        for number, (country, classification) in enumerate(PRODUCTS):
            pact.publish(
                session,
                organization,
                actor="conformance",
                company_ids=["urn:pact:lingtan.example:supplier-id:demo"],
                product_ids=[f"urn:pact:lingtan.example:product-id:LFP-{number}"],
                product_name=f"LFP cell {number} (illustrative)",
                product_description="Illustrative LFP cell footprint for the conformance run",
                product_classifications=[classification],
                declared_unit="piece",
                declared_unit_amount=1,
                product_mass_kg=0.9,
                reference_period_start=datetime(2025, 1, 1, tzinfo=UTC),
                reference_period_end=datetime(2026, 1, 1, tzinfo=UTC),
                fossil_ghg_kgco2e=10.0 + number,
                fossil_carbon_kgc=0.0,
                cross_sectoral_standards=["ISO14067"],
                primary_data_share_pct=60.0,
                dqi=(2, 1, 2),
                geography_country=country,
                boundary="Cradle-to-gate",
            )
    engine.dispose()
    print(json.dumps({"client_id": client_id, "client_secret": secret}))


if __name__ == "__main__":
    main(sys.argv[1])
