"""The demo factory's LFP cell: a bill of materials for 2025 and the footprint study of the cell
from the plant's own meters — illustrative demo data, not a measured bill of materials.

:func:`build_footprint` writes ``bom-2025.csv`` in the layout of ``lingtan import bom`` (per
1 MWh of rated cell capacity, the unit of the demo's production records), imports it, and
computes the footprint of the shipped study ``lingtan/data/footprint/demo-cell-study.yaml``
written beside it. The
quantities are round figures of the order a prismatic LFP cell has; the materials' footprints
are the shipped illustrative datasets (``lingtan/data/footprint/datasets-illustrative.csv``).
"""

from __future__ import annotations

import csv
from importlib import resources
from pathlib import Path

from sqlalchemy import Engine

from lingtan.footprint.study import read_study_file
from lingtan.imports.load import facility_by_code
from lingtan.services.footprint import import_bom
from lingtan.services.footprint_result import study_footprint
from lingtan.store.db import session_scope
from lingtan.store.evidence import EvidenceStore

__all__ = ["BATTERY", "BOM", "STUDY", "build_footprint"]

#: The study of the demo cell (the example the docs walk through).
STUDY = "demo-cell-study.yaml"
#: The battery declaration file the study names (relative to the studies folder).
BATTERY = "declarations/demo-battery.yaml"
_PERIOD = ("2025-01-01", "2025-12-31")
#: (kind, material, quantity per MWh, unit, link, distance km, mode) — illustrative.
BOM = [
    ("material", "正极材料 LFP cathode", 2100, "kg", "dataset:lfp-cathode", 800, "road_hgv"),
    ("material", "负极材料 graphite anode", 1000, "kg", "dataset:graphite-anode", 1200, "rail"),
    ("material", "电解液 electrolyte", 900, "kg", "dataset:electrolyte", 300, "road_hgv"),
    ("material", "铜箔 copper foil", 550, "kg", "dataset:copper-foil", 300, "road_hgv"),
    ("material", "铝箔 aluminium foil", 280, "kg", "dataset:aluminium-foil", 300, "road_hgv"),
    ("material", "隔膜 separator", 15000, "m**2", "dataset:separator", None, None),
    ("material", "壳体 cell case", 700, "kg", "dataset:cell-case", 200, "road_hgv"),
    ("packaging", "纸箱 carton", 60, "kg", "dataset:cardboard", 50, "road_hgv"),
    (
        "waste",
        "废料焚烧 waste to incineration",
        150,
        "kg",
        "dataset:waste-incineration",
        None,
        None,
    ),
]
_COLUMNS = ("product", "period_start", "period_end", "kind", "material", "quantity", "unit",
            "link", "distance_km", "transport_mode")  # fmt: skip


def write_bom_file(folder: Path) -> Path:
    """Write the demo cell's BOM (``bom-2025.csv``) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "bom-2025.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(_COLUMNS)
        for kind, material, quantity, unit, link, distance, mode in BOM:
            writer.writerow(["cells", *_PERIOD, kind, material, quantity, unit, link,
                             distance or "", mode or ""])  # fmt: skip
    return path


def build_footprint(folder: Path, engine: Engine, facility: str, store: EvidenceStore) -> float:
    """Import the demo BOM and compute the cell's footprint; kg CO2e per declared unit."""
    bom = write_bom_file(folder)
    study = folder / STUDY
    shipped = resources.files("lingtan") / "data" / "footprint"
    study.write_bytes((shipped / STUDY).read_bytes())
    (folder / "declarations").mkdir(exist_ok=True)  # the battery the study names
    (folder / BATTERY).write_bytes((shipped / BATTERY).read_bytes())
    with session_scope(engine) as session:
        import_bom(session, facility_by_code(session, facility), bom, evidence=store, actor="demo")
    with session_scope(engine) as session:
        return study_footprint(session, read_study_file(study)).result.score_kgco2e
