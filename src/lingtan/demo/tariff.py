"""The demo factory's tariff for 2025: SAMPLE prices, not official ones.

:func:`write_tariff` writes ``tariff-2025.csv`` in the layout of ``lingtan tariff import``;
every row has status ``sample`` and the note "示例数据，非官方电价" (sample data, not an official
tariff). What the rows rest on:

* the TOU periods are those of the shipped Jiangsu calendar ``CN-JS-2025-426``
  (苏发改价格发〔2025〕426号, in force from 2025-06-01: peak, flat and valley); lingtan ships
  no Jiangsu calendar before June 2025, so January to May are priced for the whole day;
* the peak and valley prices are the flat price raised by 80 % and lowered by 65 %, the ratios
  the notes of that calendar give (``lingtan/data/tou/calendars.csv``); the flat prices, the
  demand charge and the gas, steam and water prices are invented for the demo.
"""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import Engine

from lingtan.services.cost import import_tariffs
from lingtan.store.db import session_scope
from lingtan.store.models import Facility

__all__ = ["NOTE", "build_tariff", "write_tariff"]

YEAR = 2025
NOTE = "示例数据，非官方电价"
#: Invented flat electricity prices per month [CNY/kWh], January first (they change monthly,
#: as the grid company's agency-purchase prices do).
FLAT_CNY_PER_KWH = (0.66, 0.65, 0.64, 0.63, 0.62, 0.62, 0.64, 0.65, 0.63, 0.61, 0.62, 0.64)
#: From the notes of calendar CN-JS-2025-426: peak +80 % (two-part users), valley −65 %.
PEAK_UPLIFT, VALLEY_CUT = 0.80, 0.65
#: The first month the shipped Jiangsu calendar is in force.
FIRST_TOU_MONTH = 6
#: Invented: demand charge [CNY/(kW·month)], gas [CNY/Nm3], park steam [CNY/GJ], water
#: [CNY/m3].
DEMAND_CNY_PER_KW, GAS_CNY_PER_NM3, STEAM_CNY_PER_GJ, WATER_CNY_PER_M3 = 38.0, 3.65, 95.0, 4.2


def write_tariff(folder: Path) -> Path:
    """Write the SAMPLE tariff of 2025 into ``folder`` and return its path."""
    path = folder / f"tariff-{YEAR}.csv"
    tou_note = f"{NOTE}；时段按 CN-JS-2025-426（苏发改价格发〔2025〕426号），峰+80%、谷-65%"
    whole_note = f"{NOTE}；lingtan 未随附 2025-06 前的江苏分时时段，按全天单一价格示例"
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(["能源类型 energy_type", "计费项目 component", "时段 period",
                      "起始月份 month_from", "截止月份 month_to", "单价 price",
                      "计价单位 unit", "分时日历 calendar_id", "状态 status",
                      "备注 note"])  # fmt: skip
        for month, flat in enumerate(FLAT_CNY_PER_KWH, start=1):
            m = f"{YEAR}-{month:02d}"
            if month < FIRST_TOU_MONTH:
                out.writerow(["electricity", "energy", "all", m, m, f"{flat:.4f}", "CNY/kWh",
                              "", "sample", whole_note])  # fmt: skip
                continue
            for period, price in (
                ("peak", flat * (1 + PEAK_UPLIFT)),
                ("flat", flat),
                ("valley", flat * (1 - VALLEY_CUT)),
            ):
                out.writerow(["electricity", "energy", period, m, m, f"{price:.4f}", "CNY/kWh",
                              "CN-JS-2025-426", "sample", tou_note])  # fmt: skip
        whole_year = (f"{YEAR}-01", f"{YEAR}-12")
        for energy_type, component, price, unit in (
            ("electricity", "demand", DEMAND_CNY_PER_KW, "CNY/kW·month"),
            ("natural_gas", "energy", GAS_CNY_PER_NM3, "CNY/Nm3"),
            ("steam", "energy", STEAM_CNY_PER_GJ, "CNY/GJ"),
            ("water", "energy", WATER_CNY_PER_M3, "CNY/m3"),
        ):
            out.writerow([energy_type, component, "all", *whole_year, f"{price:g}", unit, "",
                          "sample", NOTE])  # fmt: skip
    return path


def build_tariff(folder: Path, engine: Engine, facility: str) -> Path:
    """Write the SAMPLE tariff and import it as ``lingtan tariff import`` does."""
    path = write_tariff(folder)
    with session_scope(engine) as session:
        site = session.query(Facility).filter_by(code=facility).one()
        import_tariffs(session, site, path, actor="demo")
    return path
