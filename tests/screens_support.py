"""The site of the drill-down, budget and alert tests: ``web_support``'s two organizations,
with ALPHA-PLANT's metering tree of ``define_two_meters`` (node ``site`` with M-SUP, its
child ``ws`` with M-WS) and July 2025 of readings (local days): M-SUP climbs 10 kWh and
M-WS 9 kWh every 15 minutes, except that M-WS's reading at 2025-07-10 12:00 (local) is
missing, so the two intervals around it are estimated (9 kWh each on the straight line).
E-MAIN has no reading at all.

Budgets: ``site`` 3.0 tce in 2025-07 only; ``ws`` 4.0 tce in every month of 2025. The product
``cells`` made 1,000 pcs over July.
"""

from datetime import date
from pathlib import Path

import sqlalchemy as sa

from lingtan.metering import rollups
from lingtan.metering.energy_store import import_budgets
from lingtan.metering.store import ingest_readings
from lingtan.store.db import session_scope
from lingtan.store.models import Facility, Product, ProductionRecord
from web_support import define_two_meters

F = "/api/v1/facilities/ALPHA-PLANT"
# The local day 2025-07-01 (UTC+08:00) begins at 2025-06-30T16:00:00Z.
DAY_START_UTC = 1_751_299_200
JULY_INTERVALS = 31 * 96  # 2,976
#: The reading of M-WS left out: 2025-07-10 12:00 local = 9 days and 48 intervals in.
MISSING_WS = DAY_START_UTC + 900 * (9 * 96 + 48)


def build_screens_site(engine: sa.Engine, folder: Path) -> None:
    with session_scope(engine) as session:
        define_two_meters(session, names=("全厂 Site", "电芯车间 Workshop"))
        readings = [
            (code, DAY_START_UTC + 900 * i, start + step * i)
            for i in range(JULY_INTERVALS + 1)
            for code, start, step in (("M-SUP", 1000.0, 10.0), ("M-WS", 500.0, 9.0))
            if not (code == "M-WS" and DAY_START_UTC + 900 * i == MISSING_WS)
        ]
        ingest_readings(session, "ALPHA-PLANT", readings, origin="setup")
        alpha = session.scalars(sa.select(Facility).where(Facility.code == "ALPHA-PLANT")).one()
        rollups.refresh(session, alpha.id)
        budgets = folder / "budgets.csv"
        lines = ["node,month,energy_tce,carbon_tco2", "site,2025-07,3.0,"]
        lines += [f"ws,2025-{m:02d},4.0," for m in range(1, 13)]
        budgets.write_text("\n".join(lines) + "\n", encoding="utf-8")
        import_budgets(session, alpha, budgets, actor="setup")
        product = Product(facility_id=alpha.id, code="cells", name="电芯 Cells", unit="pcs")
        session.add(product)
        session.flush()
        session.add(
            ProductionRecord(
                product_id=product.id,
                period_start=date(2025, 7, 1),
                period_end=date(2025, 7, 31),
                quantity=1000.0,
            )
        )
