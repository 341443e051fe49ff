"""A study's product carbon footprint from the store: the product system of the study
(:func:`lingtan.services.footprint.build_product_system`) solved by the matrix engine
(:class:`lingtan.footprint.engine.Footprint`) for the declared or functional unit, with the
lineage of its energy down to the meters and the intervals read, and a Monte Carlo run.

Suppliers' footprints received over PACT (``lingtan pact pull``, ``lingtan pact receive``) are
the supplier footprints of the BOM's ``pact:<id>`` links, beside a supplier file.

References
----------
.. [1] GB/T 24067-2024 / ISO 14067:2018 §6.3 (the declared or functional unit and the reference
   flow) and §6.4.9.4 (fossil, biogenic, dLUC and aircraft emissions reported apart).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lingtan.errors import InputError, InputProblem
from lingtan.footprint import pact
from lingtan.footprint.engine import Footprint, FootprintResult
from lingtan.footprint.lineage import meter_lineage, primary_data_share
from lingtan.footprint.model import ProductSystem, SupplierFootprint
from lingtan.footprint.study import Study
from lingtan.footprint.uncertainty import MonteCarloResult, monte_carlo
from lingtan.i18n import Message
from lingtan.imports.load import facility_by_code
from lingtan.store.models import PactReceivedFootprint
from lingtan.units import UnitError, conversion_factor

__all__ = ["StudyFootprint", "received_footprints", "study_footprint"]


@dataclass(frozen=True, eq=False)
class StudyFootprint:
    """The footprint of a study's declared or functional unit.

    ``product`` is the code of the product's process, ``demand`` the reference flow it is
    solved for [``unit``, the product's unit] and ``production`` the period's output.
    """

    study: Study
    system: ProductSystem
    product: str
    demand: float
    unit: str
    production: float
    result: FootprintResult
    primary_data_share_pct: float | None
    monte_carlo: MonteCarloResult | None = None

    @property
    def per_unit(self) -> float:
        """The share of the period's totals one declared or functional unit takes."""
        return self.demand / self.production

    def stages_for_energy(self, energy_kwh: float) -> dict[str, float]:
        """The footprint by stage of a product of ``energy_kwh`` (a battery of that usable
        energy), from a study whose declared unit is an energy: kg CO2e by stage.

        Raises
        ------
        InputError
            If the study's unit is not an energy.
        """
        study = self.study
        try:
            scale = conversion_factor("kWh", study.unit) * energy_kwh / study.unit_quantity
        except UnitError:
            rule = Message(
                "must be an energy (kWh, MWh) to declare a battery per kWh from it, not %(unit)s",
                unit=study.unit,
            )
            where = study.origin or study.name
            raise InputError(InputProblem(where, "unit.unit", study.unit, rule)) from None
        return {stage: value * scale for stage, value in self.result.by_stage().items()}

    def meters(self) -> list[dict[str, Any]]:
        """The meters behind the unit's energy: each meter's energy over the UTC span of its
        intervals, the share the product took and what one declared or functional unit takes
        of it [meter unit]."""
        rows = []
        for source in meter_lineage(self.system, self.product):
            share = 1.0 if source.share is None else source.share
            quantity = source.quantity or 0.0
            rows.append(
                {
                    "meter": source.reference,
                    "period_quantity": quantity,
                    "unit": source.unit,
                    "share": share,
                    "per_declared_unit": quantity * share * self.per_unit,
                    "start": _iso(source.start),
                    "end": _iso(source.end),
                    "note": source.note,
                }
            )
        return rows

    def as_dict(self, top: int = 10) -> dict[str, Any]:
        """JSON-ready: the study, the engine's result, every process's contribution, the
        Sankey graph, the meters, the primary data share and the Monte Carlo statistics."""
        study = self.study
        return {
            "study": study.name,
            "product": study.product,
            "facility": study.facility,
            "declared_unit": {
                "kind": study.unit_kind,
                "quantity": study.unit_quantity,
                "unit": study.unit,
                "description": study.unit_description,
            },
            "boundary": study.boundary,
            "stages": list(study.stages),
            "period": [study.period_start.isoformat(), study.period_end.isoformat()],
            "allocation": study.allocation.key,
            "electricity_method": study.electricity_method,
            "gwp": study.gwp,
            "product_process": self.product,
            "reference_flow": self.demand,
            "reference_flow_unit": self.unit,
            "production": self.production,
            "kgco2e_per_declared_unit": self.result.score_kgco2e,
            "primary_data_share_pct": self.primary_data_share_pct,
            "result": self.result.as_dict(top),
            "by_process": self.result.by_process(),
            "sankey": self.result.sankey(),
            "meters": self.meters(),
            "monte_carlo": None if self.monte_carlo is None else self.monte_carlo.as_dict(),
            "notes": list(self.system.notes),
        }


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def received_footprints(session: Session, organization_id: int) -> dict[str, SupplierFootprint]:
    """The suppliers' footprints an organization received over PACT, by footprint id."""
    rows = session.scalars(
        select(PactReceivedFootprint).where(
            PactReceivedFootprint.organization_id == organization_id
        )
    )
    found = {}
    for row in rows:
        figures = pact.to_supplier_footprint(pact.parse_footprint(row.document, row.received_from))
        found[figures.id] = figures
    return found


def study_footprint(
    session: Session,
    study: Study,
    *,
    suppliers: Mapping[str, SupplierFootprint] | None = None,
    iterations: int = 0,
    seed: int = 0,
) -> StudyFootprint:
    """The footprint of ``study``'s declared or functional unit from the store.

    Parameters
    ----------
    session
        A write session (the product system's builder refreshes stale daily totals).
    study
        The checked study.
    suppliers
        Supplier footprints from a file; those received over PACT are added (the file's win
        for the same id).
    iterations, seed
        Monte Carlo draws from the exchanges' uncertainty (none when 0, or when no exchange
        states an uncertainty).

    Raises
    ------
    InputError
        Everything the builder refuses (a declared unit that does not convert to the
        product's among it) and everything the engine refuses.
    """
    from lingtan.services.footprint import build_product_system, product_code

    facility = facility_by_code(session, study.facility)
    known = {**received_footprints(session, facility.organization_id), **(suppliers or {})}
    system = build_product_system(session, study, suppliers=known)
    code = product_code(study.product, facility.code)
    process = next(p for p in system.processes if p.code == code)
    demand = study.reference_flow(process.unit)
    footprint = Footprint(system, study.gwp)
    result = footprint.calculate({code: demand})
    matrices = footprint.matrices
    uncertain = matrices.tech_entries.uncertain or matrices.bio_entries.uncertain
    # draws of a system without any stated spread would all be the score: none are made
    drawn = (
        monte_carlo(footprint, {code: demand}, iterations, seed)
        if iterations and uncertain
        else None
    )
    return StudyFootprint(
        study=study,
        system=system,
        product=code,
        demand=demand,
        unit=process.unit,
        production=process.production,
        result=result,
        primary_data_share_pct=primary_data_share(system, code),
        monte_carlo=drawn,
    )
