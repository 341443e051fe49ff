"""The footprint of a product system (A s = f, g = B s, h = C g) and where it comes from.

:class:`Footprint` builds the matrices of a product system once (:mod:`.matrices`), factorises
the technosphere once (:mod:`.solver`) and answers any number of demands with it: the score in
kg CO2e, the scores of fossil, biogenic, dLUC and aircraft emissions apart (GB/T 24067-2024
§6.4.9.4), the supply vector and the inventory. A result explains itself: the contribution of
each process (its own emissions for the supply the demand needs), of each life-cycle stage, of
each material (a direct input of the demanded product with all its upstream), a hotspot list
and the supply-chain graph for a Sankey diagram.

The numbers are Brightway's: on the same matrices bw2calc gives the same scores
(``tests/test_footprint_engine.py``).

Example: the hand-worked system of the tests. Electricity (1 kWh, 0.8 kg CO2), steel (1 kg,
takes 2 kWh, emits 1.5 kg CO2) and a part (1 piece, takes 0.5 kg steel and 1 kWh, emits
0.1 kg CH4 under AR5, 28 kg CO2e/kg):

>>> from lingtan.footprint.model import Exchange, Flow, Process, ProductSystem
>>> system = ProductSystem(
...     processes=(
...         Process("power", "electricity", "kWh", (Exchange("co2", 0.8, "kg", biosphere=True),)),
...         Process("steel", "steel", "kg", (
...             Exchange("power", 2, "kWh"), Exchange("co2", 1.5, "kg", biosphere=True))),
...         Process("part", "part", "piece", (
...             Exchange("steel", 500, "g"), Exchange("power", 1, "kWh"),
...             Exchange("ch4", 0.1, "kg", biosphere=True)), stage="production"),
...     ),
...     flows=(Flow("co2", "CO2", "kg"), Flow("ch4", "CH4", "kg")),
... )
>>> result = calculate(system, {"part": 1})
>>> round(result.score_kgco2e, 6)  # 0.5*(1.5 + 2*0.8) + 1*0.8 + 0.1*28
5.15

References
----------
.. [1] Heijungs R., Suh S., *The Computational Structure of Life Cycle Assessment*, Kluwer,
   2002, ch. 2 and 8 (contribution analysis).
.. [2] GB/T 24067-2024 / ISO 14067:2018 §6.4.9.4 (fossil, biogenic, dLUC and aircraft
   emissions documented separately) and §6.4.6 (allocation, sensitivity).
.. [3] Mutel C., "Brightway: An open source framework for Life Cycle Assessment", *JOSS* 2
   (2017) 236; bw2calc's ``LCA`` (``supply_array``, ``inventory``, ``score``).
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from lingtan.errors import InputError, InputProblem, Problems
from lingtan.factors import FactorLibrary
from lingtan.footprint.matrices import Matrices, Method, build_matrices, finite_amount, gwp_method
from lingtan.footprint.model import FLOW_KINDS, ProductSystem
from lingtan.footprint.solver import Factorisation
from lingtan.i18n import Message
from lingtan.units import MAX_QUANTITY

__all__ = [
    "AllocationSensitivity",
    "Footprint",
    "FootprintResult",
    "allocation_sensitivity",
    "calculate",
]


class Footprint:
    """A product system ready for footprints: matrices built, technosphere factorised.

    Parameters
    ----------
    system : ProductSystem
        The foreground and background processes and their elementary flows.
    method : str or Method
        A GWP set (``AR5`` default, ``AR6``, ``AR4``, ``SAR``; the shipped IPCC factor sets)
        or a :class:`~lingtan.footprint.matrices.Method` of its own.
    library : FactorLibrary, optional
        Where the GWP values are read (default: the shipped library).

    Raises
    ------
    InputError
        For a product system that cannot be computed: see
        :func:`~lingtan.footprint.matrices.build_matrices`, :func:`gwp_method` and
        :class:`~lingtan.footprint.solver.Factorisation` (a singular technosphere).
    """

    def __init__(
        self,
        system: ProductSystem,
        method: str | Method = "AR5",
        library: FactorLibrary | None = None,
    ) -> None:
        self.system = system
        self.matrices: Matrices = build_matrices(system)
        self.method = (
            method if isinstance(method, Method) else gwp_method(system.flows, method, library)
        )
        self.characterisation = self.matrices.characterisation(self.method)
        self.factorisation = Factorisation(self.matrices.technosphere, self.matrices.processes)
        biosphere_t = self.matrices.biosphere.T.tocsr()
        #: kg CO2e emitted directly per run of each process, in total and per flow kind.
        self.direct = biosphere_t @ self.characterisation
        self.direct_by_kind = np.stack(
            [
                biosphere_t @ (self.characterisation * (self.matrices.kinds == k))
                for k in range(len(FLOW_KINDS))
            ]
        )
        self._intensity: np.ndarray | None = None

    @property
    def intensity(self) -> np.ndarray:
        """The footprint of one unit of each product, kg CO2e per reference unit (one
        transposed solve, ``Aᵀ m = Bᵀ C``, computed at first use)."""
        if self._intensity is None:
            self._intensity = self.factorisation.solve_transposed(self.direct)
        return self._intensity

    def demand_vector(self, demand: Mapping[str, float]) -> np.ndarray:
        """``f``: the demand in each process's reference unit, as a vector.

        Raises
        ------
        InputError
            For an empty demand, a code naming no process, or an amount that is not finite.
        """
        problems = Problems()
        vector = np.zeros(len(self.matrices.processes))
        if not demand:
            problems.append(InputProblem("demand", "demand", None, Message("is empty")))
        for code, amount in demand.items():
            index = self.matrices.process_index.get(code)
            if index is None:
                problems.append(
                    InputProblem(
                        "demand", code, amount, Message("names no process of the product system")
                    )
                )
            elif not finite_amount(amount):
                problems.append(
                    InputProblem(
                        "demand",
                        code,
                        amount,
                        Message("must be a finite number not beyond %(max)s", max=MAX_QUANTITY),
                    )
                )
            else:
                vector[index] += amount
        if problems:
            raise InputError(problems, origin="demand")
        return vector

    def calculate(self, demand: Mapping[str, float]) -> FootprintResult:
        """The footprint of ``demand`` (process code → amount in its reference unit).

        Reuses the factorisation: a new demand is one forward and one backward substitution.
        """
        f = self.demand_vector(demand)
        supply = self.factorisation.solve(f)
        return FootprintResult(self, dict(demand), f, supply)


def calculate(
    system: ProductSystem,
    demand: Mapping[str, float],
    method: str | Method = "AR5",
    library: FactorLibrary | None = None,
) -> FootprintResult:
    """The footprint of ``demand`` in ``system`` (one :class:`Footprint`, one demand).

    Parameters
    ----------
    system : ProductSystem
        The processes and flows.
    demand : mapping of str to float
        Process code → amount of its reference product, in its reference unit.
    method : str or Method
        GWP set (``AR5`` default) or a characterisation of its own.
    library : FactorLibrary, optional
        Where the GWP values are read.

    Returns
    -------
    FootprintResult
    """
    return Footprint(system, method, library).calculate(demand)


@dataclass(frozen=True, eq=False)
class FootprintResult:
    """The footprint of one demand and what it is made of.

    ``supply`` is ``s`` (runs of each process, ``A s = f``); :attr:`inventory` is ``g = B s``
    (each flow, in its unit); :attr:`score_kgco2e` is ``C g``.
    """

    footprint: Footprint
    demand: dict[str, float]
    demand_vector: np.ndarray
    supply: np.ndarray

    @property
    def contributions(self) -> np.ndarray:
        """kg CO2e emitted by each process for this demand (``diag(Bᵀ C) s``)."""
        return self.footprint.direct * self.supply

    @property
    def score_kgco2e(self) -> float:
        """The footprint, kg CO2e."""
        return float(self.contributions.sum())

    @property
    def by_kind_kgco2e(self) -> dict[str, float]:
        """kg CO2e of fossil, biogenic, dLUC and aircraft emissions (GB/T 24067 §6.4.9.4)."""
        values = self.footprint.direct_by_kind @ self.supply
        return {kind: float(value) for kind, value in zip(FLOW_KINDS, values, strict=True)}

    @property
    def inventory(self) -> np.ndarray:
        """``g = B s``: the amount of each elementary flow, in the flow's unit."""
        return self.footprint.matrices.biosphere @ self.supply

    def by_process(self) -> list[dict[str, Any]]:
        """Each process that emits for this demand: its supply and its own kg CO2e, largest
        first, with its share of the score."""
        matrices = self.footprint.matrices
        contributions = self.contributions
        score = self.score_kgco2e
        rows = []
        for i in np.argsort(-np.abs(contributions), kind="stable"):
            if contributions[i] == 0 and self.supply[i] == 0:
                continue
            process = matrices.system.processes[i]
            rows.append(
                {
                    "process": process.code,
                    "name": process.name,
                    "name_zh": process.name_zh,
                    "stage": process.stage,
                    "foreground": process.foreground,
                    "supply": float(self.supply[i] * process.production),
                    "unit": process.unit,
                    "kgco2e": float(contributions[i]),
                    "share": _share(contributions[i], score),
                }
            )
        return rows

    def by_stage(self) -> dict[str, float]:
        """kg CO2e of each life-cycle stage (the sum of its processes' contributions)."""
        stages: dict[str, float] = {}
        for process, value in zip(
            self.footprint.matrices.system.processes, self.contributions, strict=True
        ):
            stages[process.stage] = stages.get(process.stage, 0.0) + float(value)
        return stages

    def by_material(self) -> list[dict[str, Any]]:
        """Each direct technosphere input of the demanded processes with its whole upstream,
        and their own emissions; the entries add up to the score, loops included.

        For a demanded process ``d`` with demand ``f_d`` and diagonal ``A_dd``, the runs
        ``t = f_d / A_dd`` take ``x_i = -A_id t`` of each input ``i``, whose footprint is
        ``x_i m_i`` (``m`` the footprint per unit of each product); ``m_d f_d`` equals the
        direct emissions ``(BᵀC)_d t`` plus the sum of the inputs' footprints, because
        ``m A = BᵀC``.
        """
        matrices = self.footprint.matrices
        technosphere = matrices.technosphere.tocsc()
        intensity = self.footprint.intensity
        score = self.score_kgco2e
        rows: dict[tuple[str, str], dict[str, Any]] = {}
        for d in np.flatnonzero(self.demand_vector):
            runs = self.demand_vector[d] / technosphere[d, d]
            consumer = matrices.system.processes[d]
            direct = self.footprint.direct[d] * runs
            key = (consumer.code, consumer.code)
            rows[key] = {
                "process": consumer.code,
                "material": None,
                "name": consumer.name,
                "name_zh": consumer.name_zh,
                "amount": None,
                "unit": None,
                "kgco2e": float(direct),
            }
            column = technosphere[:, d]
            for i, value in zip(column.indices, column.data, strict=True):
                if i == d:
                    continue
                provider = matrices.system.processes[i]
                amount = -value * runs
                entry = rows.setdefault(
                    (consumer.code, provider.code),
                    {
                        "process": consumer.code,
                        "material": provider.code,
                        "name": provider.name,
                        "name_zh": provider.name_zh,
                        "amount": 0.0,
                        "unit": provider.unit,
                        "kgco2e": 0.0,
                    },
                )
                entry["amount"] += float(amount)
                entry["kgco2e"] += float(amount * intensity[i])
        ordered = sorted(rows.values(), key=lambda row: -abs(row["kgco2e"]))
        for row in ordered:
            row["share"] = _share(row["kgco2e"], score)
        return ordered

    def hotspots(self, top: int = 10) -> dict[str, Any]:
        """The ``top`` processes that emit most for this demand, with their shares, and the
        rest together."""
        rows = self.by_process()
        listed = rows[:top]
        rest = sum(row["kgco2e"] for row in rows[top:])
        score = self.score_kgco2e
        return {
            "score_kgco2e": score,
            "hotspots": listed,
            "rest_kgco2e": rest,
            "rest_share": _share(rest, score),
        }

    def sankey(self, cutoff: float = 0.01, max_nodes: int = 100) -> dict[str, Any]:
        """The supply chain of the demand as a graph for a Sankey diagram.

        A priority-first walk upstream from the demanded processes: each node is one visit of
        a process (a process reached along two paths is two nodes, so the graph is a tree and
        loops end by themselves), with the amount of product it supplies along its path and
        the footprint of that amount (``amount × m``, everything upstream of it) and of its own
        emissions. An input whose footprint is below ``cutoff`` × |score| is not followed;
        the walk stops at ``max_nodes`` nodes, largest footprints first.

        Returns
        -------
        dict
            ``nodes`` (``id``, ``process``, ``name``, ``stage``, ``amount``, ``unit``,
            ``kgco2e`` cumulative, ``direct_kgco2e``), ``links`` (``source`` is the supplier
            node, ``target`` the consumer, with ``amount``, ``unit`` and ``kgco2e``),
            ``cutoff`` and ``score_kgco2e``.
        """
        matrices = self.footprint.matrices
        technosphere = matrices.technosphere.tocsc()
        intensity = self.footprint.intensity
        processes = matrices.system.processes
        score = self.score_kgco2e
        threshold = abs(score) * cutoff
        nodes: list[dict[str, Any]] = []
        links: list[dict[str, Any]] = []
        heap: list[tuple[float, int, int, float, int | None]] = []
        counter = 0
        for d in np.flatnonzero(self.demand_vector):
            amount = float(self.demand_vector[d])
            heap.append((-abs(amount * intensity[d]), counter, int(d), amount, None))
            counter += 1
        heapq.heapify(heap)
        while heap and len(nodes) < max_nodes:
            _, _, i, amount, parent = heapq.heappop(heap)
            process = processes[i]
            runs = amount / technosphere[i, i]
            node_id = len(nodes)
            cumulative = float(amount * intensity[i])
            nodes.append(
                {
                    "id": node_id,
                    "process": process.code,
                    "name": process.name,
                    "name_zh": process.name_zh,
                    "stage": process.stage,
                    "amount": amount,
                    "unit": process.unit,
                    "kgco2e": cumulative,
                    "direct_kgco2e": float(self.footprint.direct[i] * runs),
                }
            )
            if parent is not None:
                links.append(
                    {
                        "source": node_id,
                        "target": parent,
                        "amount": amount,
                        "unit": process.unit,
                        "kgco2e": cumulative,
                    }
                )
            column = technosphere[:, i]
            for k, value in zip(column.indices, column.data, strict=True):
                if k == i:
                    continue
                supplied = float(-value * runs)
                upstream = supplied * intensity[k]
                if abs(upstream) >= threshold and abs(upstream) > 0:
                    heapq.heappush(heap, (-abs(upstream), counter, int(k), supplied, node_id))
                    counter += 1
        return {"score_kgco2e": score, "cutoff": cutoff, "nodes": nodes, "links": links}

    def as_dict(self, top: int = 10) -> dict[str, Any]:
        """The result as JSON-ready data: score, kinds, stages, materials, hotspots,
        inventory (flows with an amount) and the supply of each process run."""
        matrices = self.footprint.matrices
        inventory = self.inventory
        flows = matrices.system.flows
        return {
            "demand": {code: float(amount) for code, amount in self.demand.items()},
            "method": self.footprint.method.name,
            "score_kgco2e": self.score_kgco2e,
            "by_kind_kgco2e": self.by_kind_kgco2e,
            "by_stage_kgco2e": self.by_stage(),
            "by_material": self.by_material(),
            "hotspots": self.hotspots(top),
            "inventory": [
                {
                    "flow": flow.code,
                    "name": flow.name,
                    "kind": flow.kind,
                    "amount": float(g),
                    "unit": flow.unit,
                }
                for flow, g in zip(flows, inventory, strict=True)
                if g != 0
            ],
            "supply": {
                code: float(s)
                for code, s in zip(matrices.processes, self.supply, strict=True)
                if s != 0
            },
        }


def _share(value: float, total: float) -> float | None:
    return float(value / total) if total != 0 else None


@dataclass(frozen=True)
class AllocationSensitivity:
    """The scores of one demand under alternative product systems (one per allocation key)."""

    scores_kgco2e: dict[str, float]
    reference: str

    @property
    def minimum_kgco2e(self) -> float:
        return min(self.scores_kgco2e.values())

    @property
    def maximum_kgco2e(self) -> float:
        return max(self.scores_kgco2e.values())

    @property
    def spread_kgco2e(self) -> float:
        """Largest less smallest score."""
        return self.maximum_kgco2e - self.minimum_kgco2e

    @property
    def relative_spread(self) -> float | None:
        """The spread as a share of the reference option's score (None if it is zero)."""
        return _share(self.spread_kgco2e, abs(self.scores_kgco2e[self.reference]))

    def as_dict(self) -> dict[str, Any]:
        return {
            "reference": self.reference,
            "scores_kgco2e": self.scores_kgco2e,
            "minimum_kgco2e": self.minimum_kgco2e,
            "maximum_kgco2e": self.maximum_kgco2e,
            "spread_kgco2e": self.spread_kgco2e,
            "relative_spread": self.relative_spread,
        }


def allocation_sensitivity(
    systems: Mapping[str, ProductSystem],
    demand: Mapping[str, float],
    method: str | Method = "AR5",
    library: FactorLibrary | None = None,
) -> AllocationSensitivity:
    """The footprint of ``demand`` in each alternative product system, and their spread.

    GB/T 24067 / ISO 14067 ask for a sensitivity check where more than one allocation
    procedure is plausible: build one product system per allocation key (mass, energy,
    economic …) and pass them here.

    Parameters
    ----------
    systems : mapping of str to ProductSystem
        Allocation option → product system; the first is the reference (the study's choice).
    demand : mapping of str to float
        Process code → amount, the same in every system.
    method : str or Method
        GWP set or characterisation.
    library : FactorLibrary, optional
        Where the GWP values are read.

    Returns
    -------
    AllocationSensitivity
        Each option's score, the minimum, maximum and spread, absolute and relative to the
        reference.

    Raises
    ------
    InputError
        If no system is given, or one cannot be computed.

    References
    ----------
    .. [1] ISO 14044:2006 §4.3.4.1 and ISO 14067:2018 §6.4.6: sensitivity analysis where
       several allocation procedures seem applicable.
    """
    if not systems:
        raise InputError(InputProblem("allocation", "systems", None, Message("is empty")))
    scores = {
        label: calculate(system, demand, method, library).score_kgco2e
        for label, system in systems.items()
    }
    return AllocationSensitivity(scores, next(iter(systems)))
