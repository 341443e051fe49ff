"""What a computed inventory must say about itself beside its numbers.

The engine appends these notes to a result's warnings: the biomass emissions kept out of the
GB/T 32150 total, the factors an uncertainty treats as exact, and the coverage of every total
whose uncertainty is quoted, loudly when it is low.

Uncertainty (IPCC 2006 Vol. 1 ch. 3, Approach 1) is combined from what is stated: on a line,
the activity's ``uncertainty_pct`` and the factors' (``factor_uncertainty_pct``, or each library
row's ``uncertainty_pct``); a factor with none stated counts as exact (0 %). A total combines
the lines that have an uncertainty and leaves out those that have none; its *coverage* is the
share of the total, by absolute emissions, of the lines it combines.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from lingtan.accounting.model import InventoryInput, LineGroup, Source, Totals
from lingtan.i18n import Message

__all__ = ["LOW_COVERAGE_PCT", "NAMED_LINES", "exact_factors", "result_notes"]

#: Below this coverage (% of the total) a quoted uncertainty says little about the total: most
#: of it has no stated uncertainty. Half is the point where the unknown part outweighs the known.
LOW_COVERAGE_PCT = 50.0


#: How many lines a note names before it says how many more there are.
NAMED_LINES = 10


def exact_factors(group: LineGroup, source: Source) -> list[str]:
    """The roles of the factors that the uncertainty of ``group``'s lines treats as exact
    (none stated); ``source`` is one of the group's sources (they agree on what is given)."""
    if group.uncertainty_pct is None or source.factor_uncertainty_pct is not None:
        return []
    return [
        use.role
        for use in group.factors
        if use.factor is None
        or (use.factor.family != "standard_coal" and use.factor.uncertainty_pct is None)
    ]


def result_notes(
    inventory: InventoryInput, groups: Sequence[LineGroup], totals: Totals
) -> list[Message]:
    """The notes of a result (see the module documentation), in English with their msgids;
    ``groups`` are the result's lines as columns."""
    sources = inventory.sources
    notes: list[Message] = []
    separate = math.fsum(
        float(group.emissions_tco2e.sum())
        for group in groups
        if sources[int(group.rows[0])].kind == "biomass_combustion"
        and group.gbt32150_category is None
    )
    if separate:
        notes.append(
            Message(
                "biomass CH4 and N2O, %(tco2e).3f tCO2e, are accounted separately and not "
                "counted in the GB/T 32150 total (GB/T 32150-2015: emissions of biomass "
                "combustion are not counted in the total); they are in Scope 1. Set "
                "biomass_non_co2_in_total to count them",
                tco2e=separate,
            )
        )
    assumed = [
        (int(row), roles)
        for group in groups
        if (roles := exact_factors(group, sources[int(group.rows[0])]))
        for row in group.rows
    ]
    if assumed:
        assumed.sort(key=lambda item: item[0])
        named = "; ".join(
            f"{sources[row].id} ({', '.join(roles)})" for row, roles in assumed[:NAMED_LINES]
        )
        if len(assumed) > NAMED_LINES:
            named += f"; … (+{len(assumed) - NAMED_LINES})"
        notes.append(
            Message(
                "%(n)d line(s) quote an uncertainty that treats the factors without a stated "
                "uncertainty as exact (0 %%), so it is understated: %(lines)s",
                n=len(assumed),
                lines=named,
            )
        )
    for figure, pct in totals.uncertainty_pct.items():
        coverage = totals.uncertainty_coverage_pct.get(figure)
        if pct is None or coverage is None or coverage >= 100.0 - 1e-9:
            continue
        if coverage < LOW_COVERAGE_PCT:
            notes.append(
                Message(
                    "LOW UNCERTAINTY COVERAGE: the ±%(pct).1f %% of %(figure)s covers only "
                    "%(coverage).0f %% of it (below %(threshold).0f %%); the rest has no stated "
                    "uncertainty, so the uncertainty of the whole is larger than quoted",
                    pct=pct,
                    figure=figure,
                    coverage=coverage,
                    threshold=LOW_COVERAGE_PCT,
                )
            )
        else:
            notes.append(
                Message(
                    "the ±%(pct).1f %% of %(figure)s covers %(coverage).0f %% of it; lines "
                    "without a stated uncertainty are left out of it",
                    pct=pct,
                    figure=figure,
                    coverage=coverage,
                )
            )
    return notes
