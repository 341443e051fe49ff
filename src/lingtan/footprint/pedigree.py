"""Pedigree scores to a lognormal spread: the shipped factor tables and the rule per exchange.

An exchange whose data the study scores (1 best … 5 worst on reliability, completeness,
temporal, geographical and further technological correlation) and which states no
distribution of its own gets a lognormal one: its amount is the median and the square of the
geometric standard deviation combines the basic uncertainty ``U_b`` of its type of exchange and
one uncertainty factor ``U_i`` per indicator and score [1]_ [2]_::

    ln(GSD²) = √( ln(U_b)² + Σ ln(U_i)² ),   sigma = ln(GSD) = ln(GSD²) / 2

(the factors are contributions to GSD², the 95 % range of the lognormal; ``sigma`` is
stats_arrays' ``scale``, the standard deviation of the natural log of the amount).

``data/footprint/pedigree-factors.csv`` holds the factors per indicator and score and
``data/footprint/basic-uncertainty.csv`` the basic uncertainties per type of exchange, each row
with its publication, table, the public source it was read from and status ``unverified``
(read from openLCA's and Brightway's sources, not checked against the reports' text).

The type of an exchange (:func:`exchange_type`): a GHG emission of the foreground (in CO2e)
takes the basic uncertainty of CO2 to air; an input whose amount comes from freight
(``transport`` source) that of transport services; every other input (electricity from the
meters, materials of the bill, supplier footprints, datasets) that of energy, semi-finished
products and working materials.

References
----------
.. [1] Weidema B.P. et al., *Overview and methodology. Data quality guideline for the ecoinvent
   database version 3*, Ecoinvent Report 1 (v3), St. Gallen, 2013, ch. 10 (Tables 10.4, 10.5).
.. [2] Frischknecht R. et al., *Overview and Methodology*, ecoinvent report No. 1 (v2.0),
   Dübendorf, 2007 (the square of the geometric standard deviation from uncertainty factors).
.. [3] openLCA: GreenDelta/olca-modules, ``olca-core/.../util/DQSystems.java`` (the ecoinvent
   data quality system's factors); brightway-lca/pedigree_matrix ``data.py`` (basic
   uncertainties).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from lingtan.errors import InputError, InputProblem, one_of
from lingtan.footprint.background import shipped_rows
from lingtan.footprint.model import Exchange, Uncertainty
from lingtan.footprint.study import PEDIGREE_INDICATORS
from lingtan.footprint.uncertainty import pedigree_sigma
from lingtan.i18n import Message

__all__ = [
    "BasicUncertainty",
    "PedigreeTable",
    "basic_uncertainties",
    "exchange_type",
    "pedigree_table",
    "pedigree_uncertainty",
]

#: The indicators in the order of :attr:`lingtan.footprint.model.Exchange.pedigree`.
INDICATORS = PEDIGREE_INDICATORS
#: The table a study's scores are read with.
DEFAULT_TABLE = "ecoinvent-v3"


@dataclass(frozen=True)
class PedigreeTable:
    """Uncertainty factors per indicator (in :data:`INDICATORS` order) and score 1…5."""

    code: str
    factors: tuple[tuple[float, float, float, float, float], ...]
    status: str
    publication: str
    publication_table: str
    source: str
    source_url: str
    notes: tuple[str, ...]

    def factors_of(self, scores: Sequence[int]) -> tuple[float, ...]:
        """The factor of each indicator's score."""
        return tuple(self.factors[i][score - 1] for i, score in enumerate(scores))


@dataclass(frozen=True)
class BasicUncertainty:
    """The basic uncertainty of a type of exchange, a factor on GSD²."""

    exchange_type: str
    name_en: str
    name_zh: str
    factor: float
    status: str
    publication: str
    publication_table: str
    source: str
    source_url: str
    note: str


@cache
def pedigree_table(code: str = DEFAULT_TABLE) -> PedigreeTable:
    """The shipped table ``code`` (``ecoinvent-v3``).

    Raises
    ------
    InputError
        For a table lingtan does not ship.
    """
    rows = [r for r in shipped_rows("pedigree-factors.csv") if r["table"] == code]
    if not rows:
        known = sorted({r["table"] for r in shipped_rows("pedigree-factors.csv")})
        raise InputError(InputProblem("pedigree", "table", code, one_of(known)))
    by_indicator = {r["indicator"]: r for r in rows}
    assert set(by_indicator) == set(INDICATORS), by_indicator
    factors = tuple(
        tuple(float(by_indicator[name][f"score_{s}"]) for s in range(1, 6)) for name in INDICATORS
    )
    first = rows[0]
    assert all(r["status"] == first["status"] for r in rows)
    return PedigreeTable(
        code=code,
        factors=factors,  # type: ignore[arg-type]
        status=first["status"],
        publication=first["publication"],
        publication_table=first["publication_table"],
        source=first["source"],
        source_url=first["source_url"],
        notes=tuple(dict.fromkeys(r["note"] for r in rows)),
    )


@cache
def basic_uncertainties() -> dict[str, BasicUncertainty]:
    """The shipped basic uncertainties by type of exchange."""
    out = {}
    for row in shipped_rows("basic-uncertainty.csv"):
        factor = float(row.pop("factor"))
        out[row["exchange_type"]] = BasicUncertainty(factor=factor, **row)
    return out


def exchange_type(exchange: Exchange) -> str:
    """The type of exchange whose basic uncertainty ``exchange`` takes (see the module)."""
    if exchange.biosphere:
        return "co2_emission"
    if any(source.kind == "transport" for source in exchange.sources):
        return "transport"
    return "energy_and_materials"


def pedigree_uncertainty(
    scores: Sequence[int], basic: float, table: PedigreeTable | None = None
) -> Uncertainty:
    """The lognormal spread of an amount from its pedigree ``scores`` and ``basic`` uncertainty.

    Parameters
    ----------
    scores : sequence of int
        One score 1…5 per indicator, in :data:`INDICATORS` order.
    basic : float
        The basic uncertainty of its type of exchange (a factor on GSD², 1 or more).
    table : PedigreeTable, optional
        The factors (the shipped ``ecoinvent-v3`` by default).

    Returns
    -------
    Uncertainty
        ``lognormal`` with ``sigma`` = ½ √(ln² U_b + Σ ln² U_i).

    Raises
    ------
    InputError
        For scores that are not five whole numbers from 1 to 5.
    """
    scores = tuple(scores)
    if len(scores) != len(INDICATORS) or not all(
        isinstance(s, int) and not isinstance(s, bool) and 1 <= s <= 5 for s in scores
    ):
        rule = Message("must be five pedigree scores, whole numbers from 1 to 5")
        raise InputError(InputProblem("pedigree", "scores", list(scores), rule))
    table = table or pedigree_table()
    return Uncertainty("lognormal", sigma=pedigree_sigma(basic, table.factors_of(scores)))
