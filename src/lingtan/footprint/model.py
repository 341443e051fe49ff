"""The product system a footprint is computed from: processes, their exchanges, elementary flows.

A *process* makes ``production`` units of its reference product (``unit``) and takes, for that
amount, the *exchanges* it lists: technosphere inputs (the reference product of another process,
named by that process's code) and biosphere exchanges (an elementary flow, named by the flow's
code; positive is an emission, negative an uptake). This is the shape of Brightway's and
openLCA's inventories, so that the matrices built from it are theirs: technosphere A with the
production amounts on the diagonal and inputs negative, biosphere B, characterisation C.

Every exchange keeps its *sources*: where its amount came from (a meter and the intervals read,
a production record, a bill of materials row, a supplier's footprint, a background dataset), so
that a footprint can be followed down to its evidence.

References
----------
.. [1] Heijungs R., Suh S., *The Computational Structure of Life Cycle Assessment*, Kluwer, 2002,
   ch. 2 (A s = f, g = B s, h = C g).
.. [2] GB/T 24067-2024 / ISO 14067:2018 §6.4.9.4: fossil, biogenic, dLUC and aircraft GHG
   emissions and removals are documented separately.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = [
    "FLOW_KINDS",
    "FLOW_OF_KIND",
    "GHG_FLOWS",
    "STAGES",
    "Exchange",
    "Flow",
    "Process",
    "ProductSystem",
    "Source",
    "SupplierFootprint",
    "Uncertainty",
    "local_name",
]

#: Life-cycle stages of GB/T 24067 / ISO 14067 and of the EU Battery Regulation's Annex II.
STAGES = ("raw_materials", "production", "distribution", "use", "end_of_life")

#: The kinds of GHG flow reported apart (GB/T 24067-2024 §6.4.9.4).
FLOW_KINDS = ("fossil", "biogenic", "dluc", "aircraft")


@dataclass(frozen=True)
class Uncertainty:
    """The spread of an exchange's amount, in stats_arrays' conventions.

    ``distribution`` is ``lognormal`` (``sigma`` is the standard deviation of the amount's
    natural logarithm; the median is the amount), ``normal`` (``sigma`` in the amount's unit),
    ``uniform`` or ``triangular`` (``minimum`` and ``maximum``; the mode is the amount).
    """

    distribution: str
    sigma: float | None = None
    minimum: float | None = None
    maximum: float | None = None


@dataclass(frozen=True)
class Source:
    """Where an exchange's amount came from.

    ``kind`` is one of ``meter``, ``production``, ``bom``, ``inventory``, ``supplier``,
    ``dataset``, ``transport``, ``stated``; ``reference`` names the thing (a meter code, a
    production record, a BOM row, a PACT footprint id, a dataset id); the period and the
    quantity with its unit say what was read from it. ``share`` (added with issue 15's
    foreground, optional) is the fraction of ``quantity`` counted in the exchange: a meter's
    energy shared among the products of its line by the allocation key.
    """

    kind: str
    reference: str
    quantity: float | None = None
    unit: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    note: str | None = None
    share: float | None = None


@dataclass(frozen=True)
class Exchange:
    """One input or emission of a process, per ``Process.production`` units of its product."""

    flow: str
    amount: float
    unit: str
    biosphere: bool = False
    uncertainty: Uncertainty | None = None
    sources: tuple[Source, ...] = ()
    #: The pedigree scores (1 best … 5 worst) of its data: reliability, completeness,
    #: temporal, geographical and technological correlation, in that order; None when the
    #: study gives none (added with issue 15's foreground, optional).
    pedigree: tuple[int, int, int, int, int] | None = None


@dataclass(frozen=True)
class Flow:
    """An elementary flow: a greenhouse gas to or from a compartment, of one kind."""

    code: str
    name: str
    unit: str
    kind: str = "fossil"
    compartment: str = "air"


#: The flows greenhouse gases are carried on once characterised, one per kind reported apart
#: (:data:`FLOW_KINDS`), in kg CO2e: the foreground from the store, the imported backgrounds and
#: the engine meet on them.
GHG_FLOWS = (
    Flow("ghg-fossil", "GHG, fossil", "kg CO2e", "fossil"),
    Flow("ghg-biogenic", "GHG, biogenic", "kg CO2e", "biogenic"),
    Flow("ghg-dluc", "GHG, direct land-use change", "kg CO2e", "dluc"),
    Flow("ghg-aircraft", "GHG, aircraft transport", "kg CO2e", "aircraft"),
)
#: The flow of each kind.
FLOW_OF_KIND = {flow.kind: flow for flow in GHG_FLOWS}


@dataclass(frozen=True)
class Process:
    """An activity making ``production`` units of its reference product."""

    code: str
    name: str
    unit: str
    exchanges: tuple[Exchange, ...] = ()
    production: float = 1.0
    stage: str = "production"
    location: str | None = None
    foreground: bool = False
    #: Its name in Chinese where its data give one (the shipped datasets and freight modes);
    #: None keeps ``name`` in every language (an imported background).
    name_zh: str | None = None


@dataclass(frozen=True)
class ProductSystem:
    """Processes and elementary flows, closed: every technosphere input names a process here."""

    processes: tuple[Process, ...]
    flows: tuple[Flow, ...]
    name: str = ""
    notes: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class SupplierFootprint:
    """A supplier's footprint of a material, as received (PACT ProductFootprint or a file).

    The figures are per ``declared_unit`` of the product, in kg CO2e: ``pcf_excluding_biogenic``
    is PACT's pCfExcludingBiogenic (fossil + dLUC + aircraft), ``biogenic`` the biogenic
    emissions less removals where given. ``primary_data_share`` is a percentage.
    """

    id: str
    supplier: str
    product: str
    declared_unit: str
    pcf_excluding_biogenic: float
    biogenic: float | None = None
    dluc: float | None = None
    aircraft: float | None = None
    primary_data_share: float | None = None
    period_start: datetime | None = None
    period_end: datetime | None = None
    origin: str = "pact"


def local_name(row: Mapping[str, Any], zh: bool) -> str:
    """The name of a process row (``by_process``, ``sankey``, ``background`` …) to show: its
    ``name_zh`` in Chinese where it has one, else its ``name``."""
    return (row.get("name_zh") if zh else None) or row["name"]
