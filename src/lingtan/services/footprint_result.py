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

import math
import re
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
                    # the note's msgid and values: a screen or report reading the document
                    # back from JSON shows it in its language (Message.stored)
                    "note_message": source.note.as_dict()
                    if isinstance(source.note, Message)
                    else None,
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
            "scope": self.scope(),
            "exchanges": self.exchanges(),
            "background": self.background(),
        }

    def scope(self) -> dict[str, Any]:
        """The goal and scope the study states, as a report gives it (GB/T 24067-2024 /
        ISO 14067:2018 §6.3): goal, unit, cut-off, allocation, data quality, lines."""
        study = self.study
        allocation = study.allocation
        return {
            "goal": dict(study.goal),
            "partial": study.partial,
            "cut_off": {
                "rule": study.cut_off_rule,
                "mass_pct": study.cut_off_mass_pct,
                "excluded": [dict(item) for item in study.excluded],
            },
            "allocation": {
                "key": allocation.key,
                "procedure": allocation.procedure,
                "values": dict(allocation.values),
                "value_unit": allocation.value_unit,
                "reason": allocation.reason,
            },
            "data_quality": {kind: dict(scores) for kind, scores in study.data_quality.items()},
            "lines": [
                {"node": line.node, "products": list(line.products), "sources": list(line.sources)}
                for line in study.lines
            ],
            "facility_energy": {
                "nodes": list(study.facility_energy.nodes),
                "meters": list(study.facility_energy.meters),
                "sources": study.facility_energy.sources,
            },
        }

    def exchanges(self) -> list[dict[str, Any]]:
        """The product process's inputs and emissions per declared or functional unit (the
        period's totals times :attr:`per_unit`), each with the kinds of data it came from,
        whether it was measured at the site (primary: meters, the inventory) and its sources."""
        processes = {p.code: p for p in self.system.processes}
        flows = {f.code: f for f in self.system.flows}
        rows = []
        for exchange in processes[self.product].exchanges:
            provider = None if exchange.biosphere else processes[exchange.flow]
            kinds = sorted({s.kind for s in exchange.sources})
            rows.append(
                {
                    "flow": exchange.flow,
                    "name": provider.name if provider else flows[exchange.flow].name,
                    "name_zh": provider.name_zh if provider else None,
                    "stage": provider.stage if provider else "production",
                    "biosphere": exchange.biosphere,
                    "amount": exchange.amount * self.per_unit,
                    "unit": exchange.unit,
                    "data": kinds,
                    "primary": bool({"meter", "inventory"} & set(kinds)),
                    "sources": list(dict.fromkeys(s.reference for s in exchange.sources)),
                }
            )
        return rows

    def background(self) -> list[dict[str, Any]]:
        """The processes beside the product's: each one's data kind (``dataset``,
        ``transport``, ``supplier``), its review status where its provenance states one
        (``illustrative``, ``unverified``, ``official``) and its provenance."""
        rows = []
        for process in self.system.processes:
            if process.code == self.product:
                continue
            sources = [s for e in process.exchanges for s in e.sources]
            notes = [s.note for s in sources if s.note]
            words = {w for note in notes for w in re.findall(r"[a-z]+", note)}
            status = next(
                (s for s in ("illustrative", "unverified", "official") if s in words), None
            )
            rows.append(
                {
                    "process": process.code,
                    "name": process.name,
                    "name_zh": process.name_zh,
                    "stage": process.stage,
                    "data": sources[0].kind if sources else None,
                    "status": status,
                    "provenance": "; ".join(dict.fromkeys(notes)),
                    "references": list(dict.fromkeys(s.reference for s in sources)),
                }
            )
        return rows

    def dqi(self) -> tuple[float, float, float] | None:
        """PACT's technological, geographical and temporal DQR (1–5): the pedigree scores
        the study gives each kind of data, averaged over the processes weighted by the
        absolute kg CO2e each contributes (the product process's own emissions are
        ``inventory`` data, the others of the kind of their source). None when the study
        scores not every kind that contributes."""
        kinds = {row["process"]: row["data"] for row in self.background()}
        kinds[self.product] = "inventory"
        weights: dict[str, float] = {}
        for row in self.result.by_process():
            if row["kgco2e"]:
                kind = kinds.get(row["process"])
                weights[kind] = weights.get(kind, 0.0) + abs(row["kgco2e"])
        total = math.fsum(weights.values())
        if not total or any(k is None or self.study.pedigree(k) is None for k in weights):
            return None
        indicators = ("technological", "geographical", "temporal")
        return tuple(
            math.fsum(w * self.study.data_quality[k][i] for k, w in weights.items()) / total
            for i in indicators
        )  # type: ignore[return-value]


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
