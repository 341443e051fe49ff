"""The demo factory's carbon-asset ledger (碳资产台账) for 2025 — illustrative demo data, not real
certificates or credits.

:func:`write_ledger_file` writes ``ledger-2025.csv`` in the layout of ``lingtan ledger import``
with a registry statement per holding as evidence: a batch of 18,000 GECs, all retired for 2025; a
green power trading contract of 12,000 MWh for 2025 with its bundled GECs, 1,000 MWh contracted and
settled each month with the month's 1,000 GECs, 12,000 MWh retired; CCER credits of 5,000 tCO2e,
4,000 retired in February 2026 for 2025 (within the 12 months after the period). The GEC and
contract retirements are the market-based Scope 2 instruments of the demo's 2025 inventory (the
``gec-2025`` and ``gp-2025`` of ``examples/demo-cell-plant.yaml``), the credits its offsets.
Serials, projects, sellers and prices are invented. The demo factory makes battery cells, not a
sector of the national ETS (power, steel, cement, aluminium smelting:
/work/shared/reference/accounting-standards.md §6.4), so it holds no allowances.
"""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import Engine

from lingtan.imports.ledger import read_ledger_file
from lingtan.imports.load import facility_by_code
from lingtan.services.ledger import write_ledger
from lingtan.store.db import session_scope
from lingtan.store.evidence import EvidenceStore

__all__ = ["LEDGER", "build_ledger", "write_ledger_file"]

COLUMNS = (
    "record", "asset", "kind", "quantity", "serial", "certificates", "registry", "project",
    "technology", "methodology", "counterpart", "period_start", "period_end", "date",
    "claim", "reason", "evidence", "settled",
)  # fmt: skip
_CLAIM = "2025 零碳工厂评价 zero-carbon factory evaluation (demo)"
#: The demo ledger's rows (illustrative data).
LEDGER = [
    {"record": "acquire", "asset": "GEC-2025-JS-A", "kind": "gec", "quantity": 18000,
     "serial": "GEC-2025-JS-000001..018000", "registry": "国家绿证核发交易系统 (demo)",
     "project": "示例海上风电 Demo offshore wind", "technology": "wind",
     "counterpart": "中国绿色电力证书交易平台 GEC trading platform",
     "period_start": "2025-01-01", "period_end": "2025-12-31", "date": "2025-03-20",
     "evidence": "gec-2025-registry.csv"},
    {"record": "acquire", "asset": "GP-2025-JS", "kind": "green_power", "quantity": 12000,
     "certificates": "GEC-2025-JS-GP-000001..012000",
     "counterpart": "示例风电场 Demo wind farm (江苏电力交易中心 Jiangsu power exchange)",
     "period_start": "2025-01-01", "period_end": "2025-12-31", "date": "2025-01-01",
     "evidence": "green-power-contract-2025.csv"},
    {"record": "acquire", "asset": "CCER-2025-A", "kind": "ccer", "quantity": 5000,
     "serial": "CCER-DEMO-2024-00001..05000", "registry": "全国温室气体自愿减排注册登记系统 (demo)",
     "project": "示例造林碳汇 Demo afforestation", "methodology": "CCER-14-001-V01",
     "period_start": "2024-01-01", "period_end": "2024-12-31", "date": "2025-11-05",
     "evidence": "ccer-2025-registry.csv"},
    {"record": "retire", "asset": "GEC-2025-JS-A", "quantity": 18000,
     "serial": "GEC-2025-JS-000001..018000", "period_start": "2025-01-01",
     "period_end": "2025-12-31", "date": "2025-12-15", "claim": _CLAIM},
    {"record": "retire", "asset": "GP-2025-JS", "quantity": 12000, "period_start": "2025-01-01",
     "period_end": "2025-12-31", "date": "2025-12-31", "claim": _CLAIM},
    {"record": "retire", "asset": "CCER-2025-A", "quantity": 4000,
     "serial": "CCER-DEMO-2024-00001..04000", "period_start": "2025-01-01",
     "period_end": "2025-12-31", "date": "2026-02-10", "claim": _CLAIM},
    *(
        {"record": "month", "asset": "GP-2025-JS", "quantity": 1000, "settled": 1000,
         "date": f"2025-{month:02d}-01",
         "certificates": f"GEC-2025-JS-GP-{month * 1000 - 999:06d}..{month * 1000:06d}"}
        for month in range(1, 13)
    ),
]  # fmt: skip


def write_ledger_file(folder: Path) -> Path:
    """Write the ledger and its evidence files into ``folder``; return the ledger's path."""
    folder.mkdir(parents=True, exist_ok=True)
    for row in LEDGER:
        if row.get("evidence"):
            lines = [f"{key},{row.get(key, '')}" for key in ("asset", "quantity", "serial",
                     "certificates", "period_start", "period_end", "date")]  # fmt: skip
            text = "field,value\n" + "\n".join(lines) + "\nnote,illustrative demo data\n"
            (folder / row["evidence"]).write_text(text, encoding="utf-8")
    path = folder / "ledger-2025.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.DictWriter(handle, COLUMNS, lineterminator="\n")
        out.writeheader()
        out.writerows(LEDGER)
    return path


def build_ledger(folder: Path, engine: Engine, facility: str, evidence: EvidenceStore) -> Path:
    """Write the ledger file and import it into ``facility``."""
    path = write_ledger_file(folder)
    holdings, movements, months = read_ledger_file(path)
    with session_scope(engine) as session:
        site = facility_by_code(session, facility)
        write_ledger(
            session, site, holdings, movements, months=months, evidence=evidence, actor="demo",
            source_file=path, origin=path.name,
        )  # fmt: skip
    return path
