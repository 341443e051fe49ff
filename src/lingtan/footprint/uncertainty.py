"""Monte Carlo footprints from the exchanges' uncertainty, and pedigree scores to a sigma.

Each draw samples every uncertain exchange (stats_arrays' distributions, as
:class:`~lingtan.footprint.model.Uncertainty` describes them), refills the values of the
matrices on their fixed sparsity pattern, refactorises the technosphere in the order found
once (:class:`~lingtan.footprint.solver.Factorisation`), and solves. Draws are seeded: the same
seed gives the same draws.

References
----------
.. [1] Heijungs R., Lenzen M., "Error propagation methods for LCA — a comparison",
   *Int J Life Cycle Assess* 19 (2014) 1445-1461 (Monte Carlo on the matrix model).
.. [2] stats_arrays (Brightway): uncertainty type ids and parameters
   (lognormal: ``loc`` = ln of the median, ``scale`` = sigma of the log).
.. [3] Weidema B.P. et al., *Overview and methodology. Data quality guideline for the
   ecoinvent database version 3*, Ecoinvent Report 1 (v3), St. Gallen, 2013, ch. 10.
.. [4] Frischknecht R. et al., *Overview and Methodology*, ecoinvent report No. 1 (v2.0),
   Dübendorf, 2007, §7.3 (the square of the geometric standard deviation from uncertainty
   factors).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from lingtan.errors import InputError, InputProblem
from lingtan.footprint.engine import Footprint
from lingtan.footprint.matrices import Entries
from lingtan.footprint.model import FLOW_KINDS
from lingtan.i18n import Message

__all__ = ["HISTOGRAM_BINS", "MonteCarloResult", "monte_carlo", "pedigree_sigma", "sample"]

#: Bars of a Monte Carlo histogram (the study's page, the PCF report).
HISTOGRAM_BINS = 40


def sample(entries: Entries, rng: np.random.Generator) -> np.ndarray:
    """One draw of the values of ``entries`` (certain entries keep their value).

    Lognormal: ``value · exp(sigma · z)`` (the amount is the median, the sign is kept);
    normal: ``value + sd · z``; uniform on ``[low, high]``; triangular on ``[low, high]`` with
    the mode at ``value``.
    """
    values = entries.value.copy()
    kind = entries.kind
    for code, draw in (
        (2, lambda v, e, n: v * np.exp(e.scale[n] * rng.standard_normal(v.size))),
        (3, lambda v, e, n: v + e.scale[n] * rng.standard_normal(v.size)),
        (4, lambda v, e, n: rng.uniform(e.low[n], e.high[n])),
        (5, lambda v, e, n: rng.triangular(e.low[n], v, e.high[n])),
    ):
        chosen = np.flatnonzero(kind == code)
        if chosen.size:
            values[chosen] = draw(values[chosen], entries, chosen)
    return values


@dataclass(frozen=True, eq=False)
class MonteCarloResult:
    """The scores of the draws, kg CO2e, in total and per flow kind."""

    scores_kgco2e: np.ndarray
    by_kind_kgco2e: np.ndarray
    seed: int

    @property
    def iterations(self) -> int:
        return int(self.scores_kgco2e.size)

    def statistics(self, values: np.ndarray | None = None) -> dict[str, float]:
        """Mean, median, standard deviation and the 2.5 and 97.5 percentiles."""
        values = self.scores_kgco2e if values is None else values
        low, median, high = np.percentile(values, [2.5, 50, 97.5])
        return {
            "mean": float(values.mean()),
            "median": float(median),
            "sd": float(values.std(ddof=1)) if values.size > 1 else 0.0,
            "p2_5": float(low),
            "p97_5": float(high),
        }

    def histogram(self, bins: int = HISTOGRAM_BINS) -> dict[str, Any]:
        """The scores in ``bins`` equal bins (``numpy.histogram``: the last bin closed)."""
        counts, edges = np.histogram(self.scores_kgco2e, bins=bins)
        return {"edges_kgco2e": [float(e) for e in edges], "counts": [int(c) for c in counts]}

    def as_dict(self) -> dict[str, Any]:
        return {
            "iterations": self.iterations,
            "seed": self.seed,
            "kgco2e": self.statistics(),
            "histogram": self.histogram(),
            "by_kind_kgco2e": {
                kind: self.statistics(self.by_kind_kgco2e[k]) for k, kind in enumerate(FLOW_KINDS)
            },
        }


def monte_carlo(
    footprint: Footprint,
    demand: Mapping[str, float],
    iterations: int = 1000,
    seed: int = 0,
) -> MonteCarloResult:
    """Draws of the footprint of ``demand`` from the exchanges' uncertainty.

    Parameters
    ----------
    footprint : Footprint
        The product system, its matrices and the order of its factorisation.
    demand : mapping of str to float
        Process code → amount in its reference unit.
    iterations : int
        Number of draws (at least 2).
    seed : int
        Seed of numpy's default generator (PCG64).

    Returns
    -------
    MonteCarloResult
        The score of each draw, total and per flow kind, and their statistics.

    Raises
    ------
    InputError
        For fewer than 2 iterations, a bad demand, or a draw whose technosphere is singular
        (a distribution that lets a loop take all it makes).
    """
    if not isinstance(iterations, int) or iterations < 2:
        raise InputError(
            InputProblem(
                "monte carlo",
                "iterations",
                iterations,
                Message("must be a whole number of 2 or more"),
            )
        )
    f = footprint.demand_vector(demand)
    rng = np.random.default_rng(seed)
    matrices = footprint.matrices
    cf = footprint.characterisation
    by_kind_cf = np.stack([cf * (matrices.kinds == k) for k in range(len(FLOW_KINDS))])
    tech, bio = matrices.tech_entries, matrices.bio_entries
    scores = np.empty(iterations)
    by_kind = np.empty((len(FLOW_KINDS), iterations))
    # A copy keeps the Footprint's own factors for its static results.
    solver = copy.copy(footprint.factorisation)
    for draw in range(iterations):
        solver.refactor(tech.matrix(sample(tech, rng)) if tech.uncertain else matrices.technosphere)
        supply = solver.solve(f)
        inventory = (bio.matrix(sample(bio, rng)) if bio.uncertain else matrices.biosphere) @ supply
        scores[draw] = cf @ inventory
        by_kind[:, draw] = by_kind_cf @ inventory
    return MonteCarloResult(scores, by_kind, seed)


def pedigree_sigma(basic: float, factors: Sequence[float], convention: str = "gsd2") -> float:
    """The lognormal sigma of an exchange from its basic uncertainty and pedigree factors.

    The shipped table of factors and the basic uncertainties per type of exchange are in
    :mod:`lingtan.footprint.pedigree`, which calls this with them.

    Parameters
    ----------
    basic : float
        The basic uncertainty, in the ``convention`` of the factors.
    factors : sequence of float
        One factor per pedigree indicator (reliability, completeness, temporal,
        geographical, further technological correlation; sample size in ecoinvent v2).
    convention : str
        ``gsd2``: the factors are uncertainty factors ``U`` (contributions to the square of
        the geometric standard deviation, ecoinvent v2 and openLCA's ecoinvent data quality
        system; 1.00 means no added uncertainty): ``GSD² = exp(√Σ (ln U)²)`` and
        ``sigma = ln(GSD²) / 2``. ``variance``: the factors are variances of the log
        (ecoinvent v3, Weidema et al. 2013): ``sigma = √(basic + Σ factors)``.

    Returns
    -------
    float
        sigma of the natural logarithm of the amount (stats_arrays' ``scale``).

    Raises
    ------
    InputError
        For an unknown convention or a factor out of range (below 1 for ``gsd2``, negative
        for ``variance``, or not finite).
    """
    values = [basic, *factors]
    if convention == "gsd2":
        if not all(isinstance(v, int | float) and math.isfinite(v) and v >= 1 for v in values):
            raise InputError(
                InputProblem("pedigree", "factors", values, Message("must be finite and 1 or more"))
            )
        return math.sqrt(sum(math.log(v) ** 2 for v in values)) / 2
    if convention == "variance":
        if not all(isinstance(v, int | float) and math.isfinite(v) and v >= 0 for v in values):
            raise InputError(
                InputProblem("pedigree", "factors", values, Message("must be finite and 0 or more"))
            )
        return math.sqrt(sum(values))
    raise InputError(
        InputProblem("pedigree", "convention", convention, Message("must be gsd2 or variance"))
    )
