"""A footprint's matrices as a Brightway datapackage, for bw2calc.

The same entries lingtan's matrices are built from (:class:`~lingtan.footprint.matrices.Entries`)
written in bw_processing's terms: technosphere amounts as positive numbers with a ``flip``
flag for inputs, uncertainty in stats_arrays' fields, the characterisation as a diagonal
matrix. bw2calc's ``LCA`` builds its own matrices from it and solves them with its own solver:
this is how the tests and ``benchmarks/footprint_engine.py`` check lingtan against Brightway.
``bw_processing`` is needed only here (the ``test`` extra).

References
----------
.. [1] bw_processing (Brightway): datapackages of ``indices``, ``data``, ``flip`` and
   ``distributions`` arrays, https://github.com/brightway-lca/bw_processing.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lingtan.footprint.engine import Footprint
from lingtan.footprint.matrices import Entries

__all__ = ["FLOW_ID", "PROCESS_ID", "datapackage", "demand_ids"]

#: Brightway ids: process ``i`` (in matrix order) is ``PROCESS_ID + i``, flow ``k`` is
#: ``FLOW_ID + k``.
PROCESS_ID = 1
FLOW_ID = 10_000_000


def datapackage(footprint: Footprint) -> Any:
    """A bw_processing in-memory datapackage of the technosphere, biosphere and
    characterisation of ``footprint``, with the exchanges' distributions."""
    import bw_processing as bwp

    package = bwp.create_datapackage(name="lingtan footprint", sequential=True)
    matrices = footprint.matrices
    for label, entries, row_offset in (
        ("technosphere_matrix", matrices.tech_entries, PROCESS_ID),
        ("biosphere_matrix", matrices.bio_entries, FLOW_ID),
    ):
        indices = np.empty(entries.value.size, dtype=bwp.INDICES_DTYPE)
        indices["row"] = entries.rows + row_offset
        indices["col"] = entries.cols + PROCESS_ID
        flip = entries.value < 0
        package.add_persistent_vector(
            matrix=label,
            indices_array=indices,
            data_array=np.abs(entries.value),
            flip_array=flip,
            distributions_array=_distributions(entries, flip, bwp.UNCERTAINTY_DTYPE),
        )
    flows = len(matrices.flows)
    indices = np.empty(flows, dtype=bwp.INDICES_DTYPE)
    indices["row"] = indices["col"] = np.arange(flows) + FLOW_ID
    package.add_persistent_vector(
        matrix="characterization_matrix",
        indices_array=indices,
        data_array=footprint.characterisation,
    )
    return package


def demand_ids(footprint: Footprint, demand: dict[str, float]) -> dict[int, float]:
    """The demand with Brightway ids in place of process codes."""
    index = footprint.matrices.process_index
    return {PROCESS_ID + index[code]: amount for code, amount in demand.items()}


def _distributions(entries: Entries, flip: np.ndarray, dtype: Any) -> np.ndarray:
    """stats_arrays rows of the amounts as Brightway stores them (positive, flipped)."""
    out = np.zeros(entries.value.size, dtype=dtype)
    magnitude = np.abs(entries.value)
    out["uncertainty_type"] = entries.kind
    out["loc"] = np.where(
        entries.kind == 2, np.log(np.where(magnitude > 0, magnitude, 1)), magnitude
    )
    out["scale"] = np.where(np.isin(entries.kind, (2, 3)), entries.scale, np.nan)
    out["shape"] = np.nan
    low = np.where(flip, -entries.high, entries.low)
    high = np.where(flip, -entries.low, entries.high)
    ranged = np.isin(entries.kind, (4, 5))
    out["minimum"] = np.where(ranged, low, np.nan)
    out["maximum"] = np.where(ranged, high, np.nan)
    out["negative"] = False
    return out
