"""Background data of a footprint: the shipped datasets, transport modes, supplier files.

``data/footprint/datasets-illustrative.csv`` holds a few material datasets whose values are
**illustrative** (invented for the demo and tests, status ``illustrative``): lingtan ships no
published LCI values for materials. ``data/footprint/transport-modes.csv`` holds freight
factors [kg CO2e per tonne-kilometre] from public Defra guidance, status ``unverified`` (read
from copies of the documents; UK fleets, not China's). A supplier footprint file (CSV) gives
:class:`~lingtan.footprint.model.SupplierFootprint` rows received outside PACT.

References
----------
.. [1] Defra / DECC, *2012 Guidelines to Defra / DECC's GHG Conversion Factors for Company
   Reporting*, Annex 7, Table 7e (road freight, tonne.km basis).
.. [2] Defra, *Guidelines for Company Reporting on Greenhouse Gas Emissions*, freight factors
   as quoted in Hansard, House of Commons, 4 June 2007 (Freight Transport).
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from lingtan.errors import InputError, InputProblem, read_text_file
from lingtan.footprint.model import FLOW_KINDS, STAGES, SupplierFootprint
from lingtan.i18n import Message
from lingtan.units import UnitError, parse_unit

__all__ = [
    "Dataset",
    "TransportMode",
    "read_supplier_file",
    "read_supplier_text",
    "shipped_datasets",
    "shipped_rows",
    "transport_modes",
]

#: Review statuses of background rows: ``illustrative`` rows are shown as such everywhere.
STATUSES = ("official", "unverified", "illustrative")


@dataclass(frozen=True)
class Dataset:
    """A background dataset: ``kgco2e_per_unit`` [kg CO2e per ``unit``] of one flow kind."""

    code: str
    name_en: str
    name_zh: str
    unit: str
    kgco2e_per_unit: float
    kind: str
    stage: str
    status: str
    source: str
    note: str


@dataclass(frozen=True)
class TransportMode:
    """A freight mode: ``kgco2e_per_unit`` [kg CO2e per tonne-kilometre] with provenance."""

    mode: str
    name_en: str
    name_zh: str
    unit: str
    kgco2e_per_unit: float
    region: str
    scope: str
    status: str
    issuer: str
    document: str
    clause: str
    source_url: str
    note: str


def shipped_rows(name: str) -> list[dict[str, str]]:
    """The rows of the shipped CSV ``lingtan/data/footprint/NAME``."""
    text = (resources.files("lingtan") / "data" / "footprint" / name).read_text("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@cache
def shipped_datasets() -> dict[str, Dataset]:
    """The shipped background datasets by code (all ``illustrative``)."""
    out = {}
    for row in shipped_rows("datasets-illustrative.csv"):
        value = float(row.pop("kgco2e_per_unit"))
        dataset = Dataset(kgco2e_per_unit=value, **row)
        assert dataset.status in STATUSES and dataset.kind in FLOW_KINDS
        assert dataset.stage in STAGES
        out[dataset.code] = dataset
    return out


@cache
def transport_modes() -> dict[str, TransportMode]:
    """The shipped freight modes by code (status ``unverified``)."""
    out = {}
    for row in shipped_rows("transport-modes.csv"):
        value = float(row.pop("kgco2e_per_unit"))
        mode = TransportMode(kgco2e_per_unit=value, **row)
        assert mode.status in STATUSES
        out[mode.mode] = mode
    return out


#: Columns of a supplier footprint file; the first four and the PCF are required.
SUPPLIER_COLUMNS = (
    "id",
    "supplier",
    "product",
    "declared_unit",
    "pcf_excluding_biogenic",
    "biogenic",
    "dluc",
    "aircraft",
    "primary_data_share",
)
_NUMBERS = SUPPLIER_COLUMNS[4:]


def read_supplier_file(path: str | Path) -> dict[str, SupplierFootprint]:
    """Supplier footprints from a CSV file (UTF-8), by id; see :func:`read_supplier_text`."""
    path = Path(path)
    return read_supplier_text(read_text_file(path, path.name), path.name)


def read_supplier_text(text: str, origin: str) -> dict[str, SupplierFootprint]:
    """Supplier footprints from CSV text with the columns :data:`SUPPLIER_COLUMNS`
    (``pcf_excluding_biogenic`` etc. in kg CO2e per ``declared_unit``; ``primary_data_share``
    in %), by id; ``origin`` names the file in problems.

    Raises
    ------
    InputError
        Every bad row (row, column, value, rule); nothing is returned partially.
    """
    reader = csv.DictReader(io.StringIO(text))
    problems: list[InputProblem] = []
    missing = [c for c in SUPPLIER_COLUMNS[:5] if c not in (reader.fieldnames or [])]
    if missing:
        rule = Message("required columns are missing: %(columns)s", columns=", ".join(missing))
        raise InputError(InputProblem(origin, "header", reader.fieldnames, rule), origin=origin)
    out: dict[str, SupplierFootprint] = {}
    for number, row in enumerate(reader, start=2):
        where = f"{origin} row {number}"
        texts = {c: (row.get(c) or "").strip() for c in SUPPLIER_COLUMNS}
        figures: dict[str, float | None] = {}
        for column in SUPPLIER_COLUMNS[:5]:
            if not texts[column]:
                problems.append(InputProblem(where, column, None, Message("is required")))
        for column in _NUMBERS:
            if not texts[column]:
                figures[column] = None
                continue
            try:
                figures[column] = float(texts[column])
                assert math.isfinite(figures[column])
            except (ValueError, AssertionError):
                rule = Message("must be a number")
                problems.append(InputProblem(where, column, texts[column], rule))
        share = figures.get("primary_data_share")
        if share is not None and not 0 <= share <= 100:
            rule = Message("must be a percentage from 0 to 100")
            problems.append(InputProblem(where, "primary_data_share", share, rule))
        if texts["declared_unit"]:
            try:
                parse_unit(texts["declared_unit"])
            except UnitError as error:
                problems.append(
                    InputProblem(where, "declared_unit", texts["declared_unit"], error.message)
                )
        if texts["id"] in out:
            problems.append(InputProblem(where, "id", texts["id"], Message("names a code twice")))
        if problems or figures.get("pcf_excluding_biogenic") is None:
            continue
        out[texts["id"]] = SupplierFootprint(
            id=texts["id"],
            supplier=texts["supplier"],
            product=texts["product"],
            declared_unit=texts["declared_unit"],
            pcf_excluding_biogenic=figures["pcf_excluding_biogenic"] or 0.0,
            biogenic=figures["biogenic"],
            dluc=figures["dluc"],
            aircraft=figures["aircraft"],
            primary_data_share=share,
            origin="file",
        )
    if problems:
        raise InputError(problems, origin=origin)
    return out
