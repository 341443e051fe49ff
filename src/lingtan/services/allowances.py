"""The compliance (履约) of a facility covered by the national ETS: the allowances it
surrendered (清缴) for a compliance year against its verified emissions.

:func:`compliance_status` compares, for one facility and one calendar year:

* the **verified emissions**: the **Scope 1** total (``scope1_tco2e``) of the locked inventory
  in force for that calendar year (the newest locked snapshot of exactly 1 January to
  31 December, the one that supersedes the rest). Scope 1 because the national ETS covers a
  covered enterprise's direct emissions of the gases it names (CO₂; CF₄ and C₂F₆ for aluminium:
  /work/shared/reference/accounting-standards.md §6.4); purchased electricity (Scope 2) is not
  in it for the sectors named there. The figure a verifier checks under the MEE's sector
  accounting guidelines may differ from an inventory under GB/T 32150 (other boundary, other
  default factors, only CO₂): lingtan shows which inventory and which figure it used, and a
  facility whose verified report differs locks an inventory that matches it. Without a locked
  inventory of the year there is no figure (status ``no_verified_emissions``);
* the allowances **surrendered** by the facility for the year (entries ``surrender``,
  :mod:`lingtan.services.ledger`);
* the shortfall or surplus (:func:`lingtan.assets.ledger.compliance_position`), and the
  balance of the organization's allowances the surrender rules let it surrender for the year.

A facility without any allowance in its organization's ledger and without a surrender is
``not_covered`` (the ledger knows of no ETS obligation; no shortfall is shown).

Allowances never reduce an inventory's totals: this is a position beside them.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from lingtan.assets.ledger import (
    ALLOWANCES,
    compliance_position,
    surrender_problem,
    surrender_rules,
)
from lingtan.services.ledger import asset_balances
from lingtan.store.models import CarbonAsset, Facility, Inventory, LedgerEntry

__all__ = ["compliance_status", "compliance_years"]

#: The inventory figure taken as the verified emissions.
VERIFIED_FIGURE = "scope1_tco2e"


def _verified(session: Session, facility: Facility, year: int) -> Inventory | None:
    """The locked inventory in force for the calendar ``year`` (the newest locked one)."""
    return session.scalars(
        sa.select(Inventory)
        .where(
            Inventory.facility_id == facility.id,
            Inventory.status == "locked",
            Inventory.period_start == date(year, 1, 1),
            Inventory.period_end == date(year, 12, 31),
        )
        .order_by(Inventory.id.desc())
    ).first()


def compliance_status(session: Session, facility: Facility, year: int) -> dict[str, Any]:
    """The compliance position of ``facility`` for the compliance ``year`` [tCO2e] (see the
    module documentation), with the inventory used and the surrenders counted."""
    inventory = _verified(session, facility, year)
    verified = None
    if inventory is not None:
        verified = float(inventory.result["totals"][VERIFIED_FIGURE])
    surrenders = [
        {
            "entry": entry.id,
            "asset": asset.code,
            "vintage": asset.period_start.year,
            "quantity_tco2e": entry.quantity,
            "on_date": entry.on_date.isoformat(),
        }
        for entry, asset in session.execute(
            sa.select(LedgerEntry, CarbonAsset)
            .join(CarbonAsset, CarbonAsset.id == LedgerEntry.asset_id)
            .where(
                LedgerEntry.action == "surrender",
                LedgerEntry.facility_id == facility.id,
                LedgerEntry.compliance_year == year,
            )
            .order_by(LedgerEntry.id)
        )
    ]
    surrendered = math.fsum(s["quantity_tco2e"] for s in surrenders)
    usable = [
        row
        for row in asset_balances(session, facility.organization_id)
        if row["kind"] in ALLOWANCES
        and not any(
            surrender_problem(rule, vintage=int(row["period_start"][:4]), compliance_year=year)
            for rule in surrender_rules()
            if row["kind"] in rule.kinds
        )
    ]
    position = compliance_position(verified_tco2e=verified, surrendered_tco2e=surrendered)
    if not surrenders and not compliance_years(session, facility):
        # no allowance in the ledger: not a covered enterprise as far as lingtan knows
        position |= {"shortfall_tco2e": None, "surplus_tco2e": None, "status": "not_covered"}
    return {
        "facility": facility.code,
        "compliance_year": year,
        **position,
        "verified_from": None
        if inventory is None
        else {
            "inventory": inventory.id,
            "figure": VERIFIED_FIGURE,
            "sha256": inventory.result_sha256,
        },
        "usable_balance_tco2e": math.fsum(r["balance"] for r in usable),
        "surrenders": surrenders,
        "rules": [
            {"id": r.id, "document": r.document, "clause": r.clause, "status": r.status}
            for r in surrender_rules()
        ],
    }


def compliance_years(session: Session, facility: Facility) -> list[int]:
    """The years with a surrender by ``facility`` or a vintage of an allowance of its
    organization, in order (the years its compliance is shown for)."""
    surrendered = session.scalars(
        sa.select(LedgerEntry.compliance_year).where(
            LedgerEntry.action == "surrender",
            LedgerEntry.facility_id == facility.id,
            LedgerEntry.compliance_year.is_not(None),
        )
    )
    vintages = session.scalars(
        sa.select(CarbonAsset.period_start).where(
            CarbonAsset.organization_id == facility.organization_id,
            CarbonAsset.kind.in_(ALLOWANCES),
        )
    )
    return sorted({int(y) for y in surrendered} | {d.year for d in vintages})
