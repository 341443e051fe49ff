"""The inventory's energy and carbon against the meters' for a facility's year (or a month of
it), with every difference named (:mod:`lingtan.metering.reconcile`).

The invoice side is the inventory that stands for the year (:func:`inventory_for_year`): its
lines by the month of their activity record, an ``estimate`` record flagged, lines covered by
an ``onsite_renewable`` instrument as on-site generation. The meter side is what the energy
page shows: the facility's energy from the meters (:func:`node_energy_parts` of each root node
per month, the same sum as :meth:`FacilityEnergy.facility_total`), with the on-site generation
less export metered apart. Both sides cover the months of the inventory's period.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from lingtan.metering.energy import node_energy_parts
from lingtan.metering.energy_store import FacilityEnergy, load_energy, month_span
from lingtan.metering.reconcile import (
    Coefficients,
    InvoiceMonth,
    MeterMonth,
    energy_group,
    line_group,
    reconcile,
)
from lingtan.services.overview import inventory_for_year, line_records
from lingtan.store.models import Facility, Inventory
from lingtan.units import conversion_factor

__all__ = ["energy_reconciliation", "reconcile_inventory"]


def _invoices(session: Session, inventory: Inventory) -> list[InvoiceMonth]:
    onsite = {
        source_id
        for instrument in inventory.result["instruments"]
        if instrument["kind"] == "onsite_renewable"
        for source_id in instrument["allocation_mwh"]
    }
    records = line_records(session, inventory)
    entries = []
    for line in inventory.result["lines"]:
        start, origin = records[line["source_id"]]
        group, quantity, unit = line_group(line, onsite)
        entries.append(
            InvoiceMonth(
                group,
                start.strftime("%Y-%m"),
                quantity,
                unit,
                line["energy_tce"] or 0.0,
                line["emissions_tco2e"],
                origin == "estimate",
            )
        )
    return entries


def _meters(energy: FacilityEnergy) -> tuple[list[MeterMonth], dict[str, Coefficients]]:
    """The meters' figures per energy type and month, and their coefficients; types without
    a standard-coal coefficient (water, compressed air) are left out."""
    with_tce = {
        m.carrier for code, m in energy.meters.items() if energy.tce[code].value is not None
    }
    entries = []
    for month, values in energy.periods("month").items():
        totals = energy.totals(values)
        for root in energy.roots():
            for part in node_energy_parts(root, energy.nodes, energy.meters, totals):
                if part.energy_type not in with_tce or part.energy is None:
                    continue
                entries.append(
                    MeterMonth(
                        energy_group(part.energy_type),
                        month,
                        part.energy,
                        part.unit,
                        part.tce or 0.0,
                        part.tco2 or 0.0,
                        part.missing,
                    )
                )
        generated = sum(
            (t.generation - t.export) * conversion_factor(t.unit, "kWh")
            for (_, carrier), t in totals.items()
            if carrier == "electricity"
        )
        if generated:
            entries.append(
                MeterMonth("onsite_generation", month, generated, "kWh", 0.0, 0.0, counted=False)
            )
    coefficients: dict[str, Coefficients] = {}
    for code in sorted(energy.meters):
        meter, tce = energy.meters[code], energy.tce[code].value
        if meter.role in ("supply", "use") and tce is not None and not meter.formula:
            coefficients.setdefault(
                energy_group(meter.carrier),
                Coefficients(meter.unit, tce, energy.carbon[code].value or 0.0),
            )
    return entries, coefficients


def reconcile_inventory(
    session: Session, inventory: Inventory, energy: FacilityEnergy, month: str | None = None
) -> dict[str, Any]:
    """The reconciliation of ``inventory`` with the meters' ``energy`` (loaded over the
    inventory's year), over the months both cover, or only ``month`` (``YYYY-MM``)."""
    first, last = f"{inventory.period_start:%Y-%m}", f"{inventory.period_end:%Y-%m}"

    def wanted(key: str) -> bool:
        return first <= key <= last and (month is None or key == month)

    meters, coefficients = _meters(energy)
    result = reconcile(
        [e for e in _invoices(session, inventory) if wanted(e.month)],
        [e for e in meters if wanted(e.month)],
        coefficients,
    )
    totals = inventory.result["totals"]
    return {
        "inventory": {
            "id": inventory.id,
            "status": inventory.status,
            "period_start": inventory.period_start.isoformat(),
            "period_end": inventory.period_end.isoformat(),
            "energy_tce": totals["energy_tce"],
            "total_location_tco2e": totals["scope1_tco2e"] + totals["scope2_location_tco2e"],
            "electricity_tce_basis": inventory.result["inventory"].get(
                "electricity_tce_basis", "equivalent"
            ),
        },
        "meters_electricity_tce_basis": "equivalent",
        "month": month,
        "coefficients": {
            group: {"unit": c.unit, "tce_per_unit": c.tce, "tco2_per_unit": c.tco2}
            for group, c in coefficients.items()
        },
        **result.as_dict(),
    }


def energy_reconciliation(
    session: Session, facility: Facility, year: int, month: int | None = None
) -> dict[str, Any] | None:
    """The reconciliation of the inventory that stands for ``year`` with the meters (daily
    totals as stored: refresh them first where they may be stale); None without an
    inventory or without meters."""
    inventory = inventory_for_year(session, facility, year)
    if inventory is None:
        return None
    energy = load_energy(session, facility, *month_span(year), refresh=False)
    if not energy.meters:
        return None
    key = None if month is None else f"{year}-{month:02d}"
    return reconcile_inventory(session, inventory, energy, key)
