"""The matrices of a product system: technosphere A, biosphere B, characterisation C.

Brightway's conventions (footprint anchors §1.1): A is square, one row per product and one
column per process, in the same order; the production amount of a process is on the diagonal
(positive), its technosphere inputs are negative; ``A s = f`` gives the supply (scaling) vector
``s`` for a demand ``f``; ``g = B s`` is the inventory and ``h = C g`` the score. Inputs a process
takes of its own product (losses of an electricity market) are subtracted from its diagonal.

Amounts are converted to the provider's reference unit (technosphere) or the flow's unit
(biosphere) with pint (a unit spelt as the provider spells it, such as ``piece``, is taken as
it is); a unit that cannot be converted is refused, and so is an input naming
no process, a flow naming no elementary flow, an amount that is not finite, or a zero
production. Every problem is named with the process, the exchange and the rule it broke.

The exchanges are kept as arrays in matrix order (:class:`Entries`), with their uncertainty in
stats_arrays' terms, so that a Monte Carlo draw refills the values of a fixed sparsity pattern
without building the matrix anew.

References
----------
.. [1] Heijungs R., Suh S., *The Computational Structure of Life Cycle Assessment*, Kluwer,
   2002, ch. 2 (A s = f, g = B s, h = C g).
.. [2] Brightway: ``bw2calc`` (LCA, technosphere sign convention) and ``stats_arrays``
   (uncertainty type ids 0-5), https://github.com/brightway-lca.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from numbers import Real

import numpy as np
from scipy import sparse

from lingtan.accounting.engine import GWP_SETS, substance_names
from lingtan.catalog import fold_name
from lingtan.errors import InputError, InputProblem, Problems, one_of
from lingtan.factors import FactorLibrary, shipped_library
from lingtan.footprint.model import FLOW_KINDS, Flow, ProductSystem, Uncertainty
from lingtan.i18n import Message
from lingtan.units import MAX_QUANTITY, UnitError, conversion_factor, parse_unit

__all__ = [
    "DISTRIBUTIONS",
    "Entries",
    "Matrices",
    "Method",
    "build_matrices",
    "finite_amount",
    "gwp_method",
]

#: stats_arrays' uncertainty type ids of the distributions lingtan samples.
DISTRIBUTIONS = {"lognormal": 2, "normal": 3, "uniform": 4, "triangular": 5}
_CO2E = parse_unit("kgCO2e").dimensionality


@dataclass(frozen=True)
class Method:
    """A characterisation: kg CO2e per unit of each elementary flow.

    ``factors`` maps a flow code to kg CO2e per one of the flow's unit; ``provenance`` maps
    it to where the value came from (a factor's ``ref`` in the factor library, or the unit).
    """

    name: str
    factors: Mapping[str, float]
    provenance: Mapping[str, str]


def gwp_method(
    flows: tuple[Flow, ...], gwp: str = "AR5", library: FactorLibrary | None = None
) -> Method:
    """The GWP100 characterisation of ``flows`` from one of the shipped IPCC sets.

    A flow whose unit is an emission mass (``kgCO2e``, ``tCO2e``: a figure already
    characterised, such as a supplier's footprint) has the factor of its unit. Otherwise its
    name or code must name a gas of the set (``CO2``, ``CH4``, ``N2O``, ``SF6``, ``HFC-134a``
    …) and its unit must be a mass. Methane takes the fossil value of AR6 when the flow's kind
    is fossil or aircraft and the non-fossil value when biogenic or dLUC (AR6 Table 7.15).

    Parameters
    ----------
    flows : tuple of Flow
        The elementary flows of a product system.
    gwp : str
        ``SAR``, ``AR4``, ``AR5`` or ``AR6``: the set of :data:`lingtan.accounting.engine.GWP_SETS`.
    library : FactorLibrary, optional
        Where the GWP values are read (default: the shipped library).

    Returns
    -------
    Method
        kg CO2e per unit of each flow, with the factor reference of each.

    Raises
    ------
    InputError
        For an unknown GWP set, a flow naming no gas of the set, or a flow unit that is not a
        mass.

    References
    ----------
    .. [1] IPCC AR5 WG1 (2013) ch. 8 Table 8.A.1; IPCC AR6 WG1 (2021) ch. 7 Table 7.SM.7 and
       Table 7.15 (the shipped ``ipcc-ar5`` / ``ipcc-ar6`` factor sets).
    """
    if gwp.upper() not in GWP_SETS:
        raise InputError(InputProblem("method", "gwp", gwp, one_of(GWP_SETS)))
    set_id = GWP_SETS[gwp.upper()]
    library = library or shipped_library()
    factor_set = library.get_set(set_id)
    gases, _, _ = substance_names(library, set_id)
    problems = Problems()
    factors: dict[str, float] = {}
    provenance: dict[str, str] = {}
    for flow in flows:
        where = f"flow {flow.code}"
        try:
            dimensionality = parse_unit(flow.unit).dimensionality
            if dimensionality == _CO2E:
                factors[flow.code] = conversion_factor(flow.unit, "kgCO2e")
                provenance[flow.code] = f"unit {flow.unit}"
                continue
            per_kg = conversion_factor(flow.unit, "kg")
        except UnitError as exc:
            problems.append(InputProblem(where, "unit", flow.unit, exc.message))
            continue
        gas = gases.get(fold_name(flow.name)) or gases.get(fold_name(flow.code))
        if gas is None:
            problems.append(
                InputProblem(
                    where,
                    "name",
                    flow.name,
                    Message("names no gas of the GWP set %(set)s", set=set_id),
                )
            )
            continue
        if gas == "CH4":
            variant = "CH4-fossil" if flow.kind in ("fossil", "aircraft") else "CH4-non-fossil"
            gas = variant if factor_set.get(variant, "gwp100") is not None else gas
        factor = factor_set.get(gas, "gwp100")
        if factor is None:
            problems.append(
                InputProblem(
                    where, "name", flow.name, Message("has no GWP in set %(set)s", set=set_id)
                )
            )
            continue
        factors[flow.code] = factor.value * per_kg
        provenance[flow.code] = factor.ref
    if problems:
        raise InputError(problems, origin="GWP characterisation")
    return Method(gwp.upper(), factors, provenance)


@dataclass(eq=False)
class Entries:
    """The entries of a sparse matrix in input order, with their uncertainty.

    ``value`` is the entry in matrix terms (sign and unit of the matrix). The
    uncertainty follows stats_arrays: ``kind`` 0 (none), 2 lognormal (``scale`` is sigma of the
    log), 3 normal (``scale`` is the standard deviation), 4 uniform, 5 triangular (``low`` and
    ``high``, the mode being ``value``), all in matrix terms.
    """

    shape: tuple[int, int]
    rows: np.ndarray
    cols: np.ndarray
    value: np.ndarray
    kind: np.ndarray
    scale: np.ndarray
    low: np.ndarray
    high: np.ndarray

    def __post_init__(self) -> None:
        width = max(self.shape[1], 1)
        unique, slot = np.unique(self.rows * width + self.cols, return_inverse=True)
        self._pattern = (
            slot,
            unique.size,
            (unique % width).astype(np.int32),
            np.searchsorted(unique // width, np.arange(self.shape[0] + 1)).astype(np.int32),
        )

    @property
    def slot(self) -> np.ndarray:
        """Each entry's position in the CSR data array (duplicates share one and are summed)."""
        return self._pattern[0]

    def matrix(self, values: np.ndarray | None = None) -> sparse.csr_matrix:
        """The CSR matrix of ``values`` (default :attr:`value`) on the fixed pattern."""
        slot, nnz, indices, indptr = self._pattern
        values = self.value if values is None else values
        data = np.bincount(slot, weights=values, minlength=nnz)
        return sparse.csr_matrix((data, indices, indptr), shape=self.shape)

    @property
    def uncertain(self) -> bool:
        """Whether any entry has a distribution."""
        return bool(np.any(self.kind))


@dataclass(frozen=True, eq=False)
class Matrices:
    """A product system as matrices, in the order of its processes and flows.

    ``technosphere`` (A, products × processes) and ``biosphere`` (B, flows × processes) are
    CSR; ``kinds`` gives each flow's index in :data:`~lingtan.footprint.model.FLOW_KINDS`.
    """

    system: ProductSystem
    processes: tuple[str, ...]
    flows: tuple[str, ...]
    process_index: Mapping[str, int]
    flow_index: Mapping[str, int]
    technosphere: sparse.csr_matrix
    biosphere: sparse.csr_matrix
    kinds: np.ndarray
    tech_entries: Entries
    bio_entries: Entries

    def characterisation(self, method: Method) -> np.ndarray:
        """C as a vector: kg CO2e per unit of each flow (in :attr:`flows` order).

        Raises
        ------
        InputError
            If the method has no factor for a flow of the system.
        """
        missing = [code for code in self.flows if code not in method.factors]
        if missing:
            raise InputError(
                [
                    InputProblem(
                        f"flow {code}",
                        "code",
                        code,
                        Message("has no factor in method %(method)s", method=method.name),
                    )
                    for code in missing
                ],
                origin="characterisation",
            )
        return np.array([method.factors[code] for code in self.flows], dtype=float)


def build_matrices(system: ProductSystem) -> Matrices:
    """A, B and the exchange entries of ``system``.

    Parameters
    ----------
    system : ProductSystem
        Processes whose technosphere inputs name processes of the system and whose biosphere
        exchanges name its flows.

    Returns
    -------
    Matrices
        A with the production amounts on the diagonal and the inputs negative, in the
        provider's reference unit; B in each flow's unit.

    Raises
    ------
    InputError
        Every problem at once: a process or flow defined twice, an unknown flow kind, a
        production that is zero or not finite, an input naming no process, a biosphere
        exchange naming no flow, a unit that cannot be converted to the provider's reference
        unit (or the flow's unit), an amount that is not finite or beyond
        :data:`lingtan.units.MAX_QUANTITY`, an uncertainty that does not fit its amount.
    """
    problems = Problems()
    process_index: dict[str, int] = {}
    for process in system.processes:
        if process.code in process_index:
            problems.append(
                InputProblem(
                    f"process {process.code}", "code", process.code, Message("is defined twice")
                )
            )
        process_index.setdefault(process.code, len(process_index))
    flow_index: dict[str, int] = {}
    for flow in system.flows:
        where = f"flow {flow.code}"
        if flow.code in flow_index:
            problems.append(InputProblem(where, "code", flow.code, Message("is defined twice")))
        if flow.kind not in FLOW_KINDS:
            problems.append(InputProblem(where, "kind", flow.kind, one_of(FLOW_KINDS)))
        flow_index.setdefault(flow.code, len(flow_index))
    units = [process.unit for process in system.processes]
    flow_units = [flow.unit for flow in system.flows]
    tech: list[tuple[int, int, float, Uncertainty | None, float]] = []
    bio: list[tuple[int, int, float, Uncertainty | None, float]] = []
    for column, process in enumerate(system.processes):
        where = f"process {process.code}"
        if not finite_amount(process.production) or process.production == 0:
            problems.append(
                InputProblem(
                    where,
                    "production",
                    process.production,
                    Message("must be a finite number other than zero"),
                )
            )
        else:
            tech.append((column, column, float(process.production), None, 1.0))
        for number, exchange in enumerate(process.exchanges):
            field = f"exchanges[{number}]"
            if not finite_amount(exchange.amount):
                problems.append(
                    InputProblem(
                        where,
                        f"{field}.amount",
                        exchange.amount,
                        Message("must be a finite number not beyond %(max)s", max=MAX_QUANTITY),
                    )
                )
                continue
            index, target_units, sign, bucket = (
                (flow_index, flow_units, 1.0, bio)
                if exchange.biosphere
                else (process_index, units, -1.0, tech)
            )
            row = index.get(exchange.flow)
            if row is None:
                rule = (
                    Message("names no elementary flow of the product system")
                    if exchange.biosphere
                    else Message("names no process of the product system")
                )
                problems.append(InputProblem(where, f"{field}.flow", exchange.flow, rule))
                continue
            try:
                # a unit named as the provider names it needs no pint (``piece``, ``cell``)
                same = exchange.unit.strip() == target_units[row].strip()
                factor = 1.0 if same else conversion_factor(exchange.unit, target_units[row])
            except UnitError as exc:
                rule = Message(
                    "does not convert to %(unit)r, the unit of %(flow)s (%(reason)s)",
                    unit=target_units[row],
                    flow=exchange.flow,
                    reason=exc.message,
                )
                problems.append(InputProblem(where, f"{field}.unit", exchange.unit, rule))
                continue
            rule = _uncertainty_problem(exchange.uncertainty, exchange.amount)
            if rule is not None:
                problems.append(
                    InputProblem(where, f"{field}.uncertainty", exchange.uncertainty, rule)
                )
                continue
            bucket.append(
                (row, column, float(exchange.amount), exchange.uncertainty, sign * factor)
            )
    if problems:
        raise InputError(problems, origin=system.name or "product system")
    n, m = len(system.processes), len(system.flows)
    tech_entries = _entries(tech, (n, n))
    bio_entries = _entries(bio, (m, n))
    kinds = np.array([FLOW_KINDS.index(flow.kind) for flow in system.flows], dtype=np.int64)
    return Matrices(
        system=system,
        processes=tuple(process_index),
        flows=tuple(flow_index),
        process_index=process_index,
        flow_index=flow_index,
        technosphere=tech_entries.matrix(),
        biosphere=bio_entries.matrix(),
        kinds=kinds,
        tech_entries=tech_entries,
        bio_entries=bio_entries,
    )


def finite_amount(value: float) -> bool:
    """A real number (not a bool), finite and not beyond :data:`~lingtan.units.MAX_QUANTITY`."""
    if type(value) is not float and (not isinstance(value, Real) or isinstance(value, bool)):
        return False  # (float first: the ABC check of Real is slow on 300,000 exchanges)
    return math.isfinite(value) and abs(value) <= MAX_QUANTITY


def _uncertainty_problem(uncertainty: Uncertainty | None, amount: float) -> Message | None:
    """The rule an exchange's uncertainty breaks, or None."""
    if uncertainty is None:
        return None
    kind = uncertainty.distribution
    if kind not in DISTRIBUTIONS:
        return one_of(DISTRIBUTIONS)
    if kind in ("lognormal", "normal"):
        sigma = uncertainty.sigma
        if sigma is None or not finite_amount(sigma) or sigma < 0:
            return Message("%(kind)s needs a finite sigma of zero or more", kind=kind)
        if kind == "lognormal" and amount == 0:
            return Message("lognormal needs an amount other than zero")
        return None
    low, high = uncertainty.minimum, uncertainty.maximum
    if (
        low is None
        or high is None
        or not finite_amount(low)
        or not finite_amount(high)
        or low >= high
    ):
        return Message("%(kind)s needs a finite minimum below its maximum", kind=kind)
    if kind == "triangular" and not low <= amount <= high:
        return Message("triangular needs the amount (its mode) between minimum and maximum")
    return None


def _entries(
    items: list[tuple[int, int, float, Uncertainty | None, float]], shape: tuple[int, int]
) -> Entries:
    size = len(items)
    rows = np.fromiter((item[0] for item in items), np.int64, size)
    cols = np.fromiter((item[1] for item in items), np.int64, size)
    factor = np.fromiter((item[4] for item in items), float, size)
    value = np.fromiter((item[2] for item in items), float, size) * factor
    kind = np.zeros(size, dtype=np.int8)
    scale = np.zeros(size)
    low = np.zeros(size)
    high = np.zeros(size)
    for i, (_, _, _, uncertainty, f) in enumerate(items):
        if uncertainty is None:
            continue
        distribution = uncertainty.distribution
        kind[i] = DISTRIBUTIONS[distribution]
        if distribution == "lognormal":
            scale[i] = uncertainty.sigma
            if scale[i] == 0:
                kind[i] = 0
        elif distribution == "normal":
            scale[i] = abs(f) * uncertainty.sigma
            if scale[i] == 0:
                kind[i] = 0
        else:
            a, b = uncertainty.minimum * f, uncertainty.maximum * f
            low[i], high[i] = min(a, b), max(a, b)
    return Entries(shape, rows, cols, value, kind, scale, low, high)
