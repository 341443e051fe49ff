"""The energy-saving diagnosis (节能诊断) of a facility and year, assembled from the store.

:func:`diagnosis_data` gathers what the report (:mod:`lingtan.reports.diagnosis`) shows, in
the order of an industrial energy-saving diagnosis: the energy used and its structure (by
energy type and by the first level of the metering tree), the unit-product energy against
quotas and benchmark levels, the equipment grades, the EnPI trend against each measure's
baseline with its CUSUM, and the measures ranked by payback with their tCO2. Every figure is
the answer of the service the screens and the API use, so the report and the screens agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from lingtan.factors import FactorLibrary, shipped_library
from lingtan.metering.energy_store import load_energy, month_span
from lingtan.services.efficiency import equipment_register
from lingtan.services.efficiency_measures import facility_measures, measure_baseline
from lingtan.services.efficiency_products import product_positions
from lingtan.store.models import Facility, Organization

__all__ = ["DiagnosisData", "diagnosis_data"]


@dataclass
class DiagnosisData:
    """What the diagnosis report shows (plain data: the report code never reads the store).

    Attributes
    ----------
    energy : dict
        ``energy_tce``, ``carbon_tco2`` of the facility (the sum over the root nodes of the
        metering tree), ``by_type`` (energy type, energy, unit, tce, tCO2, share of tce [%])
        and ``by_node`` (the first level below the roots: node, name, tce, tCO2, share [%]).
    products : list of dict
        One per product and year (:func:`lingtan.services.efficiency_products.product_positions`).
    equipment : dict
        ``counts`` per level and ``items`` (id, name, type, level, standard, threshold).
    enpi : list of dict
        One per measure with a baseline period (:func:`measure_baseline`).
    measures : list of dict
        :func:`facility_measures`, ranked by payback.
    totals : dict
        Of the measures not yet done: ``energy_saved_tce_per_year``,
        ``emissions_saved_tco2_per_year``, ``investment_cny``; and ``measures``, ``done``.
    """

    facility_code: str
    facility_name: str
    organization_name: str
    year: int
    generated_at: datetime
    time_zone: str
    energy: dict[str, Any]
    products: list[dict[str, Any]]
    product_notes: list[Any]
    equipment: dict[str, Any]
    enpi: list[dict[str, Any]]
    measures: list[dict[str, Any]]
    totals: dict[str, Any]
    factors: dict[str, Any] = field(default_factory=dict)


def _energy(session: Session, facility: Facility, year: int) -> dict[str, Any]:
    start, end = month_span(year)
    energy = load_energy(session, facility, start, end, refresh=False)
    periods = energy.periods("year")
    if not periods:
        return {"energy_tce": None, "carbon_tco2": None, "by_type": [], "by_node": []}
    (values,) = periods.values()
    totals = energy.totals(values)
    tce, tco2, notes = energy.facility_total(totals)
    roots = energy.roots()
    by_type = []
    for (node, energy_type), total in sorted(totals.items()):
        if node in roots and (total.tce or total.energy):
            by_type.append(
                {
                    "energy_type": energy_type,
                    "energy": total.energy,
                    "unit": total.unit,
                    "energy_tce": total.tce,
                    "carbon_tco2": total.tco2,
                }
            )
    children = sorted(code for code, n in energy.nodes.items() if n.parent in roots)
    by_node = []
    for code in children:
        parts = [t for (n, _), t in totals.items() if n == code]
        node_tce = sum(t.tce or 0.0 for t in parts)
        node_tco2 = sum(t.tco2 or 0.0 for t in parts)
        if node_tce:
            by_node.append({"node": code, "name": energy.nodes[code].name,
                            "energy_tce": node_tce, "carbon_tco2": node_tco2})  # fmt: skip
    whole = sum(r["energy_tce"] or 0.0 for r in by_type)
    for row in by_type:
        row["share_pct"] = (
            100.0 * row["energy_tce"] / whole if whole and row["energy_tce"] else None
        )
    by_node.sort(key=lambda r: -r["energy_tce"])
    nodes_total = sum(r["energy_tce"] for r in by_node)
    for row in by_node:
        row["share_pct"] = 100.0 * row["energy_tce"] / nodes_total if nodes_total else None
    return {"energy_tce": tce, "carbon_tco2": tco2, "notes": notes,
            "by_type": by_type, "by_node": by_node}  # fmt: skip


def diagnosis_data(
    session: Session,
    facility: Facility,
    year: int,
    *,
    mapping: dict[str, str] | None = None,
    library: FactorLibrary | None = None,
) -> DiagnosisData:
    """The diagnosis of ``facility`` for ``year``.

    Parameters
    ----------
    mapping : dict, optional
        Facility product → standards product (as ``lingtan efficiency products --map``).

    References
    ----------
    MIIT, 工业节能诊断服务 (industrial energy-saving diagnosis): the report's sections follow
    its usual contents (energy use, efficiency indicators, key equipment, measures); the
    mapping onto the MIIT guidance's own headings is unverified. ISO 50006:2023 (EnPI,
    baseline, CUSUM); IPMVP (avoided energy).
    """
    library = library or shipped_library()
    organization = session.get(Organization, facility.organization_id)
    register = equipment_register(session, facility, year=year, library=library)
    positions = product_positions(session, facility.code, year, mapping or {})
    products = []
    for figure in positions.figures:
        products.append(
            {
                "product": figure.product,
                "name": figure.name,
                "standards_product": figure.standards_product,
                "production": figure.production,
                "production_unit": figure.production_unit,
                "value": figure.value,
                "unit": figure.unit,
                "level": str(figure.position.level),
                "status": figure.position.status,
                "reason": figure.position.reason,
            }
        )
    measures = facility_measures(
        session, facility, year=year, tariff=register.tariff, library=library
    )
    enpi = [
        measure_baseline(session, facility, m, year=year)
        for m in measures
        if m["baseline_start"] and m["node"]
    ]
    open_measures = [m for m in measures if m["status"] != "done"]
    totals = {
        "measures": len(measures),
        "done": len(measures) - len(open_measures),
        "energy_saved_tce_per_year": sum(m["energy_saved_tce_per_year"] or 0.0
                                         for m in open_measures),
        "emissions_saved_tco2_per_year": sum(m["emissions_saved_tco2_per_year"] or 0.0
                                             for m in open_measures),
        "investment_cny": sum(m["investment_cny"] or 0.0 for m in open_measures),
    }  # fmt: skip
    equipment = {
        "counts": register.counts,
        "items": [
            {k: item[k] for k in ("id", "name", "type", "level", "standard", "threshold",
                                  "grade_1", "reason", "status")}
            for item in register.items
        ],
    }  # fmt: skip
    return DiagnosisData(
        facility_code=facility.code,
        facility_name=facility.name,
        organization_name=organization.name if organization else "",
        year=year,
        generated_at=datetime.now(UTC),
        time_zone=facility.time_zone,
        energy=_energy(session, facility, year),
        products=products,
        product_notes=list(positions.notes),
        equipment=equipment,
        enpi=enpi,
        measures=measures,
        totals=totals,
        factors={
            "grid": register.grid_factor,
            "tariff": register.tariff,
            "kgce_per_kwh": register.kgce_per_kwh,
        },
    )
