"""The demo factory's energy-saving diagnosis: weather, a baseline year and measures.

Illustrative data, invented for the demo like the rest of it:

* ``temperature-2024-2025.csv``: the daily mean outdoor temperature of 2024 and 2025, the same
  seasonal curve that drives the demo's chillers (:mod:`lingtan.demo.metering`: mean 16 °C,
  coldest around 20 January, warmest around 21 July);
* ``readings-chillers-2024.csv``: the chiller meter E-CHILL's 15-minute registers of 2024,
  the year before the chiller plant's control optimisation (冷冻站群控优化, done on 31
  December 2024): the 2025 intervals of the same day of the year drawn 1/0.88 times larger
  with their own noise, so that 2025 saves about 12 % against the weather-normalised baseline;
* ``measures-2025.csv``: three measures entered by the energy manager (the chiller plant
  optimisation, done, with its baseline period; a compressed-air leak repair and a compressor
  heat-recovery project, planned) in the layout of ``lingtan import measures``.

:func:`build_diagnosis` imports them, then finds the measures of the rules for 2025
(equipment renewal from the register, standby load of the office and canteen outside
``Mon-Sat 08:00-18:00``).
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import numpy as np
import sqlalchemy as sa
from sqlalchemy import Engine

from lingtan.demo.metering import _STEP_S, METERS, SEED, _true_energy
from lingtan.imports.load import facility_by_code
from lingtan.metering.files import import_readings_file
from lingtan.metering.rollups import refresh
from lingtan.metering.store import facility_id
from lingtan.services.efficiency_measures import (
    find_measures,
    import_measures,
    import_temperatures,
    node_daily_kwh,
)
from lingtan.store.db import session_scope
from lingtan.store.evidence import EvidenceStore
from lingtan.store.models import Meter, MeterNode, MeterReading

__all__ = ["SAVING", "WORKING_HOURS", "build_diagnosis", "write_temperatures"]

#: The share of the chiller plant's energy the optimisation saves in the demo [-].
SAVING = 0.12
#: Working hours of the nodes whose standby load the demo judges.
WORKING_HOURS = {"office": "Mon-Sat 08:00-18:00"}
_METER = "E-CHILL"


def _temperature(days: np.ndarray) -> np.ndarray:
    """The demo's daily mean outdoor temperature [°C] (the daily swing averages out)."""
    doy = (days - days.astype("datetime64[Y]")).astype(int)
    return 16 - 12 * np.cos(2 * np.pi * (doy - 20) / 365)


def write_temperatures(folder: Path) -> Path:
    """Write the 2024–2025 daily temperatures into ``folder``; returns the path."""
    days = np.arange("2024-01-01", "2026-01-01", dtype="datetime64[D]")
    path = folder / "temperature-2024-2025.csv"
    lines = ["date,temperature_c"]
    lines += [f"{d},{t:.1f}" for d, t in zip(days.astype(str), _temperature(days), strict=True)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _chiller_2024(engine: Engine, facility: str, folder: Path, invoices) -> Path:
    """The chiller meter's 2024 registers, ending at its first stored reading of 2025."""
    meter = next(m for m in METERS if m.code == _METER)
    with session_scope(engine) as session:
        fid = facility_id(session, facility)
        stored = session.scalar(
            sa.select(Meter).where(Meter.facility_id == fid, Meter.code == _METER)
        )
        first = session.execute(
            sa.select(MeterReading.ts, MeterReading.value)
            .where(MeterReading.meter_id == stored.id)
            .order_by(MeterReading.ts)
            .limit(1)
        ).one()
    energy_2025 = _true_energy(invoices)[_METER].reshape(365, 96)
    # 2024 is a leap year: 29 February repeats the 28th; the plant used 1/(1 - SAVING) as much
    per_day = np.insert(energy_2025, 59, energy_2025[58], axis=0) / (1 - SAVING)
    rng = np.random.default_rng(SEED + 24)
    per_day = per_day * (1 + 0.03 * rng.standard_normal((366, 1)))
    energy = per_day.ravel() * (1 + 0.02 * rng.standard_normal(366 * 96))
    step = 10.0**-meter.decimals
    modulus = round(meter.rollover_at / step) + 1
    end_count = round(first.value / step)
    behind = np.concatenate((np.cumsum(energy[::-1])[::-1], [0.0]))[:-1] / meter.multiplier
    counts = np.mod(end_count - np.ceil(behind / step - 1e-9).astype(np.int64), modulus)
    # local wall times (+08:00) of 2024-01-01 00:00 … 2024-12-31 23:45
    start = np.datetime64("2024-01-01T00:00", "s")
    stamps = np.datetime_as_string(start + np.arange(366 * 96) * np.timedelta64(_STEP_S, "s"),
                                   unit="m")  # fmt: skip
    path = folder / "readings-chillers-2024.csv"
    lines = ["meter,timestamp,value"]
    lines += [
        f"{_METER},{s},{c * step:.{meter.decimals}f}" for s, c in zip(stamps, counts, strict=True)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _measures(folder: Path, chiller_2024_kwh: float) -> Path:
    path = folder / "measures-2025.csv"
    rows = [
        {"id": "CH-OPT", "kind": "system_optimisation",
         "title": "冷冻站群控优化 Chiller plant control optimisation", "node": "chillers",
         "status": "done", "energy_type": "electricity",
         "saved_per_year": f"{round(chiller_2024_kwh * SAVING, -3):.0f}", "unit": "kWh",
         "investment_cny": "600000",
         "basis": "供应商方案：冷机台数与冷冻水温度联动控制，预计节电12% "
                  "Vendor proposal: staging and chilled-water reset, 12 % expected",
         "done_on": "2024-12-31", "baseline_start": "2024-01-01", "baseline_end": "2024-12-31"},
        {"id": "AIR-LEAK", "kind": "compressed_air_leaks",
         "title": "压缩空气管网泄漏治理 Compressed-air leak repair", "node": "air",
         "status": "planned", "energy_type": "electricity", "saved_per_year": "60000",
         "unit": "kWh", "investment_cny": "45000",
         "basis": "超声波泄漏检测：42处泄漏点 Ultrasonic leak survey: 42 leaks tagged"},
        {"id": "HEAT-REC", "kind": "waste_heat_recovery",
         "title": "空压机余热回收预热锅炉给水 Compressor heat recovery to boiler feed water",
         "node": "boilers", "status": "planned", "energy_type": "natural_gas",
         "saved_per_year": "40000", "unit": "Nm3", "investment_cny": "180000",
         "cost_saved_cny_per_year": "140000",
         "basis": "热平衡测算 Heat balance estimate"},
    ]  # fmt: skip
    columns = ["id", "kind", "title", "node", "status", "energy_type", "saved_per_year", "unit",
               "investment_cny", "cost_saved_cny_per_year", "basis", "done_on",
               "baseline_start", "baseline_end"]  # fmt: skip
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.DictWriter(handle, columns, lineterminator="\n")
        out.writeheader()
        out.writerows(rows)
    return path


def build_diagnosis(
    folder: Path, engine: Engine, facility: str, evidence: EvidenceStore, invoices
) -> list[str]:
    """Write and import the weather, the chillers' 2024 readings and the measures, refresh
    the daily totals, and find the rules' measures of 2025; returns every measure's code."""
    folder.mkdir(parents=True, exist_ok=True)
    temperatures = write_temperatures(folder)
    readings = _chiller_2024(engine, facility, folder, invoices)
    with session_scope(engine) as session:
        site = facility_by_code(session, facility)
        import_temperatures(session, site, temperatures, actor="demo")
    with session_scope(engine) as session:
        import_readings_file(session, facility, readings, actor="demo")
    with session_scope(engine) as session:
        refresh(session, facility_id(session, facility))
    with session_scope(engine) as session:
        site = facility_by_code(session, facility)
        node = session.scalar(
            sa.select(MeterNode.id).where(
                MeterNode.facility_id == site.id, MeterNode.code == "chillers"
            )
        )
        days = node_daily_kwh(session, site, node, date(2024, 1, 1), date(2024, 12, 31))
        kwh = sum(days.values())
    path = _measures(folder, kwh)
    with session_scope(engine) as session:
        site = facility_by_code(session, facility)
        import_measures(session, site, path, evidence=evidence, actor="demo")
        found = find_measures(session, site, 2025, working_hours=WORKING_HOURS, actor="demo")
    return ["AIR-LEAK", "CH-OPT", "HEAT-REC", *found]
