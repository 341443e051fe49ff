"""Following a product system's lineage: the meters behind a product, its primary data share.

Every exchange of a :class:`~lingtan.footprint.model.ProductSystem` keeps its sources
(:class:`~lingtan.footprint.model.Source`): these functions read them, so a verifier walks from
a product's footprint to the meters and intervals its energy came from.

References
----------
.. [1] WBCSD PACT Methodology v3, primary data share (share of the PCF calculated from primary
   data); GB/T 24067-2024 / ISO 14067:2018 §6.3.5 (site-specific data).
"""

from __future__ import annotations

import math
from typing import Any

from lingtan.footprint.model import ProductSystem, Source

__all__ = ["meter_lineage", "primary_data_share", "status_shares"]


def meter_lineage(system: ProductSystem, product: str) -> list[Source]:
    """The meters a product process's exchanges came from: one source per meter counted, with
    its energy [meter unit] over the UTC span ``[start, end)`` of the intervals read and the
    ``share`` of it the product took.

    Parameters
    ----------
    system
        A product system (:func:`lingtan.services.footprint.build_product_system`).
    product
        The code of the product's process.
    """
    process = next(p for p in system.processes if p.code == product)
    return [s for e in process.exchanges for s in e.sources if s.kind == "meter"]


def primary_data_share(system: ProductSystem, product: str) -> float | None:
    """The share of the product process's footprint from primary data [%], from the lineage.

    An exchange of the product process counts as primary where its amount was measured at the
    site (meters, the inventory); a supplier's footprint by the primary data share it declares;
    background datasets, freight and the grid's supply chain are secondary. Needs the
    background processes to emit directly (as :func:`build_product_system` makes them);
    None when the footprint is zero or a background process has inputs of its own.
    """
    processes = {p.code: p for p in system.processes}
    main = processes[product]
    total = primary = 0.0
    for exchange in main.exchanges:
        if exchange.biosphere:
            kg, origin = exchange.amount, exchange.sources
            share = 1.0 if any(s.kind in ("meter", "inventory") for s in origin) else 0.0
        else:
            supplier = processes[exchange.flow]
            if any(not e.biosphere for e in supplier.exchanges):
                return None
            per_unit = math.fsum(e.amount for e in supplier.exchanges) / supplier.production
            kg = exchange.amount * per_unit
            kinds = {s.kind for s in exchange.sources}
            if "meter" in kinds:
                share = 1.0
            else:
                declared = [
                    s.quantity
                    for e in supplier.exchanges
                    for s in e.sources
                    if s.kind == "supplier" and s.unit == "%" and s.quantity is not None
                ]
                share = declared[0] / 100 if declared else 0.0
        total += kg
        primary += share * kg
    return None if not total else 100 * primary / total


def status_shares(document: dict[str, Any]) -> dict[str, float]:
    """The share of the score [fraction] from background processes of each review status
    (``illustrative``, ``unverified``, ``official``, ``none`` where no status is stated),
    by the processes' own contributions; ``document`` is a study result's JSON
    (:meth:`lingtan.services.footprint_result.StudyFootprint.as_dict`)."""
    status = {row["process"]: row["status"] or "none" for row in document["background"]}
    score = document["kgco2e_per_declared_unit"]
    shares: dict[str, float] = {}
    for row in document["by_process"]:
        if row["process"] in status and score:
            key = status[row["process"]]
            shares[key] = shares.get(key, 0.0) + row["kgco2e"] / score
    return shares
