"""The demo factory's equipment register (设备台账): transformers, motors and air compressors
of the cell plant, some below grade 1, those with a meter of their own attached to its node.

:func:`write_register` writes ``equipment-register-2025.csv`` in the layout of ``lingtan
import equipment``; :func:`build_equipment` imports it. The nameplates, hours, loads and
replacement costs are invented for the demo, of a realistic size; the grades are whatever the
shipped standards say of them. The pump motor ``P-1`` (node ``water``, meter E-PUMP) and the
boiler fan motor ``F-1`` (node ``boilers``, meter E-BOIL-AUX) are the only items on their
nodes, so their estimates use the metered energy; the two air compressors share the station's
meter and the transformers' meters measure what passes through them, so those are estimated
from the nameplate.
"""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import Engine

from lingtan.imports.load import facility_by_code
from lingtan.services.efficiency import import_equipment
from lingtan.store.db import session_scope
from lingtan.store.evidence import EvidenceStore

__all__ = ["REGISTER", "build_equipment", "write_register"]

COLUMNS = (
    "id", "type", "name", "node", "rated_power_kw", "poles", "efficiency_pct",
    "rated_capacity_kva", "voltage_kv", "insulation", "insulation_class", "core", "connection",
    "no_load_loss_kw", "load_loss_kw", "discharge_pressure_mpa", "cooling", "drive",
    "specific_power_kw_per_m3_min", "running_hours_per_year", "load_factor",
    "replacement_cost_cny",
)  # fmt: skip


def _transformer(code, name, node, kva, insulation, p0, pk, load, cost, klass=""):
    return {"id": code, "type": "transformer", "name": name, "node": node,
            "rated_capacity_kva": kva, "voltage_kv": 10, "insulation": insulation,
            "insulation_class": klass, "core": "electrical_steel", "connection": "Dyn11",
            "no_load_loss_kw": p0, "load_loss_kw": pk, "running_hours_per_year": 8760,
            "load_factor": load, "replacement_cost_cny": cost}  # fmt: skip


def _motor(code, name, node, kw, poles, efficiency, hours, load, cost=""):
    return {"id": code, "type": "motor", "name": name, "node": node, "rated_power_kw": kw,
            "poles": poles, "efficiency_pct": efficiency, "running_hours_per_year": hours,
            "load_factor": load, "replacement_cost_cny": cost}  # fmt: skip


def _compressor(code, name, kw, cooling, drive, specific, cost=""):
    return {"id": code, "type": "air_compressor", "name": name, "node": "air",
            "rated_power_kw": kw, "discharge_pressure_mpa": 0.8, "cooling": cooling,
            "drive": drive, "specific_power_kw_per_m3_min": specific,
            "running_hours_per_year": 8000, "load_factor": 0.85,
            "replacement_cost_cny": cost}  # fmt: skip


#: The register, one dict per item (blank cells left out).
REGISTER = [
    _transformer("T-1", "1#变压器 极片车间 Transformer 1", "electrode", 2000, "oil", 1.30, 17.5,
                 0.55, 420000),
    _transformer("T-2", "2#变压器 装配车间 Transformer 2", "assembly", 2000, "oil", 1.05, 13.0,
                 0.50, 450000),
    _transformer("T-3", "3#变压器 化成车间 Transformer 3", "formation", 2000, "oil", 1.20, 14.0,
                 0.60, 430000),
    _transformer("T-4", "4#变压器 动力站 Transformer 4", "utilities", 1250, "dry", 1.90, 10.0,
                 0.65, 260000, klass="F"),
    _motor("P-1", "给水循环泵电机 Water pump motor", "water", 55, 4, 94.0, 8760, 0.7, 38000),
    _motor("F-1", "锅炉鼓风机电机 Boiler fan motor", "boilers", 45, 2, 93.0, 6500, 0.75, 30000),
    _motor("F-2", "排风机电机 Exhaust fan motor", "", 45, 2, 95.0, 6000, 0.7),
    _motor("M-1", "涂布机主驱电机 Coater main drive", "", 22, 4, 93.0, 7000, 0.6),
    _motor("M-2", "老旧搅拌电机（铭牌缺效率）Old mixer motor (no efficiency)", "", 18.5, 4, "",
           5000, 0.6),
    _compressor("AC-1", "1#螺杆空压机 Screw compressor 1", 37, "air", "fixed", 7.2, 95000),
    _compressor("AC-2", "2#螺杆空压机 Screw compressor 2", 37, "air", "fixed", 7.2, 95000),
    _compressor("AC-3", "3#变频空压机 Variable-speed compressor 3", 37, "water", "variable", 6.5),
    _compressor("AC-4", "离心空压机 Centrifugal compressor", 250, "water", "fixed", 6.1),
    {"id": "CH-1", "type": "chiller", "name": "1#冷水机组 Chiller 1", "node": "chillers"},
]  # fmt: skip


def write_register(folder: Path) -> Path:
    """Write the register into ``folder`` and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "equipment-register-2025.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.DictWriter(handle, COLUMNS, lineterminator="\n")
        out.writeheader()
        out.writerows(REGISTER)
    return path


def build_equipment(folder: Path, engine: Engine, facility: str, evidence: EvidenceStore) -> Path:
    """Write the register and import it into ``facility`` (its metering tree must exist)."""
    path = write_register(folder)
    with session_scope(engine) as session:
        site = facility_by_code(session, facility)
        import_equipment(session, site, path, evidence=evidence, actor="demo")
    return path
