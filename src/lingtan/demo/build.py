"""The demo factory: a lithium-battery cell plant in Jiangsu with a year of data.

:func:`build_demo` writes what a plant's energy and carbon manager would collect for 2025 --
utility statements as evidence files and the activity workbook (gas and electricity from bills,
diesel from the monthly fuel ledger, refrigerant top-ups from maintenance records, steam with
one estimated month, rooftop PV bought from its third-party owner, monthly cell output) --
then imports it, adds the plant's metering tree with a
year of 15-minute readings that agree with the bills (:mod:`lingtan.demo.metering`) and its
equipment register on that tree (:mod:`lingtan.demo.equipment`) and its carbon-asset ledger
(:mod:`lingtan.demo.ledger`: GECs, a green power contract, CCER credits, whose retirements
for 2025 are the market-based instruments and the offsets of the inventory), a plan of PV and
storage sized from its own meter data (:mod:`lingtan.demo.plan`, illustrative costs), computes
and locks the inventory and writes the reports (the XLSX only where no CJK font is installed
for the HTML and PDF). The quantities are invented but of a realistic
size and seasonality.
"""

from __future__ import annotations

import calendar
import math
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from lingtan.demo.diagnosis import build_diagnosis
from lingtan.demo.equipment import build_equipment
from lingtan.demo.footprint import build_footprint
from lingtan.demo.ledger import build_ledger
from lingtan.demo.metering import STEAM_GJ_PER_T, Metering, build_metering
from lingtan.demo.plan import build_plan
from lingtan.demo.tariff import build_tariff
from lingtan.imports.load import facility_by_code, import_file
from lingtan.imports.template import write_workbook
from lingtan.services import inventory as inventories
from lingtan.services.overview import set_target
from lingtan.services.report_data import report_data
from lingtan.store.db import make_engine, session_scope, upgrade
from lingtan.store.evidence import EvidenceStore, evidence_root

__all__ = ["DemoResult", "build_demo"]

YEAR = 2025
FACILITY = "JS-CELL-01"
_MARKER = ".lingtan-demo"


@dataclass
class DemoResult:
    database_url: str
    workbook: Path
    inventory_id: int
    totals: dict
    reports: list[Path]
    metering: Metering
    #: Why the HTML and PDF reports were not written (no CJK font), or None.
    reports_skipped: str | None = None
    #: The 2025 energy cost from the meters under the SAMPLE tariff [CNY] (the report's).
    energy_cost_cny: float | None = None
    #: The cell's footprint, kg CO2e per MWh of rated capacity (footprint/demo-cell-study.yaml).
    cell_footprint_kgco2e: float | None = None
    #: The stored plan of PV and storage from the meter data (lingtan plan show ID).
    plan_id: int | None = None


def _months() -> list[tuple[int, date, date]]:
    return [
        (m, date(YEAR, m, 1), date(YEAR, m, calendar.monthrange(YEAR, m)[1])) for m in range(1, 13)
    ]


def _seasonal(month: int, base: float, winter: float = 0.0, summer: float = 0.0) -> float:
    """A base load with a winter (Jan) and a summer (Jul) swing, rounded like a bill."""
    cold = math.cos((month - 1) / 12 * 2 * math.pi)  # 1 in January, -1 in July
    value = base * (1 + winter * max(cold, 0) + summer * max(-cold, 0))
    return round(value, 1)


def _statement(folder: Path, name: str, issuer: str, lines: list[tuple[str, str]]) -> str:
    """A utility statement as the CSV export a supplier portal gives; returns its file name."""
    folder.mkdir(parents=True, exist_ok=True)
    text = "\n".join([f"issuer,{issuer}", *(f"{k},{v}" for k, v in lines)]) + "\n"
    (folder / name).write_text(text, encoding="utf-8")
    return f"evidence/{name}"


def monthly_bills() -> dict[str, list[float]]:
    """The monthly quantities on the demo's bills and meter statements, January first.

    ``grid`` [kWh], ``rooftop-pv`` [MWh], ``boiler-1`` and ``boiler-2`` [Nm3], ``steam`` [GJ]
    (June's is the estimate); the metering data (:mod:`lingtan.demo.metering`) is scaled to them.
    """
    months = range(1, 13)
    bills = {
        boiler: [_seasonal(m, base, winter=0.45, summer=-0.2) for m in months]
        for boiler, base in (("boiler-1", 145_000), ("boiler-2", 92_000))
    }
    bills["grid"] = [_seasonal(m, 4_850, winter=0.06, summer=0.18) * 1000 for m in months]
    bills["rooftop-pv"] = [
        round(310 * (1 + 0.35 * math.sin((m - 4) / 12 * 2 * math.pi)), 1) for m in months
    ]
    bills["steam"] = [_seasonal(m, 2_150, winter=0.3, summer=-0.1) for m in months]
    return bills


def _workbook(root: Path) -> Path:
    evidence = root / "evidence"
    bills = monthly_bills()
    # source_id, kind, name, production unit, fuel, gas, carbonate, region, medium
    source_rows = [
        ["boiler-1", "fuel_combustion", "1# 燃气锅炉 Gas boiler 1", "动力车间 Utilities",
         "natural_gas", None, None, None, None],
        ["boiler-2", "fuel_combustion", "2# 燃气锅炉 Gas boiler 2", "动力车间 Utilities",
         "natural_gas", None, None, None, None],
        ["forklifts", "mobile_combustion", "柴油叉车 Diesel forklifts", "仓储物流 Logistics",
         "diesel", None, None, None, None],
        ["chiller-r410a", "fugitive", "冷水机组 Chillers (R-410A)", "动力车间 Utilities",
         None, "R-410A", None, None, None],
        ["dryer-r134a", "fugitive", "除湿机 Dry-room units (R-134a)", "电芯车间 Cell workshop",
         None, "R-134a", None, None, None],
        ["grid", "purchased_electricity", "外购电力 Grid electricity (State Grid Jiangsu)",
         None, None, None, None, None, None],
        ["rooftop-pv", "purchased_electricity", "屋顶光伏购电 Rooftop PV (third-party owned)",
         None, None, None, None, None, None],
        ["steam", "purchased_heat", "外购蒸汽 Purchased steam (park utility)",
         None, None, None, None, None, None],
    ]  # fmt: skip
    activity = []
    diesel = []
    for month, start, end in _months():
        for boiler in ("boiler-1", "boiler-2"):
            volume = bills[boiler][month - 1]
            bill = _statement(
                evidence, f"gas-{boiler}-{YEAR}-{month:02d}.csv", "江苏某燃气有限公司 city gas",
                [("account", boiler), ("period", f"{start}..{end}"), ("volume_Nm3", str(volume))],
            )  # fmt: skip
            activity.append([boiler, start, end, volume, "Nm3", "invoice", bill, None])
        grid = bills["grid"][month - 1]
        bill = _statement(
            evidence, f"electricity-{YEAR}-{month:02d}.csv", "国网江苏省电力 State Grid Jiangsu",
            [("account", "3200-CELL-01"), ("period", f"{start}..{end}"), ("energy_kWh",
             str(round(grid)))],
        )  # fmt: skip
        activity.append(["grid", start, end, grid, "kWh", "meter", bill, None])
        pv = bills["rooftop-pv"][month - 1]
        reading = _statement(
            evidence, f"pv-{YEAR}-{month:02d}.csv", "屋顶光伏运营商 PV owner (EMC contract)",
            [("meter", "PV-EXPORT-01"), ("period", f"{start}..{end}"), ("energy_MWh", str(pv))],
        )  # fmt: skip
        activity.append(["rooftop-pv", start, end, pv, "MWh", "meter", reading, None])
        steam = bills["steam"][month - 1]
        note = None
        origin = "invoice"
        if month == 6:  # the steam meter failed in June: an estimate, flagged
            origin, note = (
                "estimate",
                "蒸汽流量计故障，按5月与7月均值估算 meter failure, mean of May and July",
            )
        statement = _statement(
            evidence, f"steam-{YEAR}-{month:02d}.csv", "园区热力公司 park steam utility",
            [("period", f"{start}..{end}"), ("steam_t", str(round(steam / STEAM_GJ_PER_T, 1))),
             ("heat_GJ", str(steam))],
        )  # fmt: skip
        activity.append(["steam", start, end, steam, "GJ", origin, statement, note])
        diesel.append(round(_seasonal(month, 3.1, winter=0.1), 2))
    for code, month, kg in (("chiller-r410a", 7, 8.0), ("chiller-r410a", 11, 5.5),
                            ("dryer-r134a", 8, 14.0)):  # fmt: skip
        start = date(YEAR, month, 1)
        end = date(YEAR, month, calendar.monthrange(YEAR, month)[1])
        record = _statement(
            evidence, f"refrigerant-{code}-{YEAR}-{month:02d}.csv", "制冷维保公司 HVAC contractor",
            [("equipment", code), ("date", str(end)), ("top_up_kg", str(kg))],
        )  # fmt: skip
        activity.append([code, start, end, kg, "kg", "invoice", record, "维保补充量 top-up"])
    # green certificates and the green power contract are in the ledger (lingtan.demo.ledger):
    # its retirements for 2025 are the inventory's instruments beside the on-site PV
    instruments = [
        ["pv-2025", "onsite_renewable", date(YEAR, 1, 1), date(YEAR, 12, 31),
         sum(r[3] for r in activity if r[0] == "rooftop-pv"), "MWh", "EMC-PV-2023-07",
         "rooftop-pv", None],
    ]  # fmt: skip
    production = [
        ["cells", "方形磷酸铁锂电芯 LFP prismatic cells", start, end,
         round(_seasonal(month, 380, summer=0.05), 1), "MWh"]
        for month, start, end in _months()
    ]  # fmt: skip
    monthly = [["forklifts", "t", YEAR, *diesel, round(sum(diesel), 2), "manual"]]
    facility = [[
        "零碳示范电池有限公司 Demo Battery Co., Ltd.", FACILITY,
        "江苏电芯工厂 Jiangsu Cell Plant", "江苏", "C3841",
        "锂离子电池制造 Li-ion battery manufacturing",
        "厂区围墙内全部生产、辅助和附属生产系统 All main, auxiliary and ancillary production "
        "systems inside the plant fence",
    ]]  # fmt: skip
    return write_workbook(
        root / f"activity-{YEAR}.xlsx",
        {
            "报告主体 Facility": facility,
            "排放源 Sources": source_rows,
            "活动数据 Activity": activity,
            "月度 Monthly": monthly,
            "绿证绿电 Instruments": instruments,
            "产量 Production": production,
        },
    )


def build_demo(root: Path, database_url: str | None = None) -> DemoResult:
    """Build the demo factory in ``root`` (emptied first if it holds an earlier demo).

    Parameters
    ----------
    root : Path
        Folder for the workbook, evidence, the SQLite database (unless ``database_url``) and
        the reports.
    database_url : str, optional
        Another database; it must not yet hold the demo facility's 2025 inventory.
    """
    if (root / _MARKER).exists():
        shutil.rmtree(root)
    root.mkdir(parents=True, exist_ok=True)
    (root / _MARKER).write_text("lingtan demo\n", encoding="utf-8")
    url = database_url or f"sqlite:///{root / 'lingtan.db'}"
    workbook = _workbook(root)
    engine = make_engine(url)
    try:
        upgrade(engine)
        store = EvidenceStore(evidence_root(url))
        with session_scope(engine) as session:
            import_file(session, workbook, evidence=store, actor="demo")
        metering = build_metering(root / "meters", engine, FACILITY, monthly_bills())
        build_tariff(root / "meters", engine, FACILITY)
        build_equipment(root / "equipment", engine, FACILITY, store)
        build_ledger(root / "ledger", engine, FACILITY, store)
        build_diagnosis(root / "diagnosis", engine, FACILITY, store, monthly_bills())
        plan_id = build_plan(root / "plan", engine, FACILITY)
        with session_scope(engine) as session:
            inventory = inventories.compute(
                session, FACILITY, date(YEAR, 1, 1), date(YEAR, 12, 31), actor="demo", lock=True
            )
            # The board's target: market-based emissions down to a fifth of 2025 by 2030
            # (green power, on-site PV and storage, heat pumps replacing the gas boilers).
            base = inventory.result["totals"]
            set_target(
                session,
                facility_by_code(session, FACILITY),
                basis="market",
                base_year=YEAR,
                target_year=2030,
                target_tco2e=round((base["scope1_tco2e"] + base["scope2_market_tco2e"]) / 5, -2),
                note="董事会决议 Board decision: market-based emissions to one fifth by 2030",
                actor="demo",
            )
            data = report_data(session, inventory)
            cost_cny = data.energy_cost["cost_cny"] if data.energy_cost else None
            inventory_id, totals = inventory.id, dict(inventory.result["totals"])
        cell = build_footprint(root / "footprint", engine, FACILITY, store)
    finally:
        engine.dispose()
    from lingtan.reports import MissingFontError, write_reports

    try:
        reports, skipped = write_reports(data, root / "reports"), None
    except MissingFontError as error:  # the demo is still worth serving: the XLSX needs no font
        reports, skipped = write_reports(data, root / "reports", formats=("xlsx",)), str(error)
    return DemoResult(
        url, workbook, inventory_id, totals, reports, metering, skipped, cost_cny, cell, plan_id
    )
