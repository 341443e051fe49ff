"""The demo factory's metering: a tree of 38 meters and a year of 15-minute readings.

:func:`write_metering` writes what the plant's energy management system would export for 2025:
the metering tree and meters (``meters.csv``), the electricity meters' registers in the wide
layout (``readings-electricity-2025.csv``, one column per meter), the gas, steam,
compressed-air and water meters in the long layout (``readings-utilities-2025.csv``) and
monthly energy and carbon budgets of five nodes (``budgets-2025.csv``). :func:`build_metering`
takes the files through the normal imports, refreshes the daily totals and sums the year.

The readings are invented but behave like a real plant's: two shifts with shift-change dips,
quieter Sundays and holidays, the Spring Festival shutdown, a summer chiller load driven by a
Jiangsu temperature curve, dry rooms that work harder in the humid season, rooftop PV following
the sun with cloudy days (exporting only during the shutdown), and meters with CT/PT
multipliers whose registers are written as shown. Each month of the purchased electricity
(the two 10 kV incomers), the PV used on site (generation - export) and each boiler's gas is
scaled to the quantity on that month's bill in the activity workbook, so the meters and the
inventory agree; each meter then reads with its own accuracy offset, which drifts a little
from month to month (within ±0.8 %), so they differ by a realistic metering-versus-invoice
amount.

Meter events a checker has to find (all in 2025, local time +08:00):

==============  ============================================================================
E-IN-1          register rolls over from 999,999.99 to 0 (full scale) in February
E-DEH-2         meter replaced on 16 September at 09:45; the new one counts from 0
E-IN-2          no readings 12 March 10:15-10:30: a 45-minute gap, estimated
G-BOILER-1      no reading 8 November 03:30: a 30-minute gap, estimated
W-MAIN          no readings 5 July 14:15-14:45: a 60-minute gap, estimated
E-STACK         gateway outage 19 August 02:15-07:30: missing
S-PARK          steam flowmeter failed for June (register stood still, no readings): missing;
                the inventory's June steam is the estimate on the statement
A-AIR           a flow-computer glitch on 15 April 14:30 reports 40 times the usual flow: spike
E-PV-EXP        exports only during the Spring Festival shutdown; otherwise the register stands
                still for months and is flagged ``stuck`` (a hint, the zero stands)
E-ELEC          in July the electrode workshop's unmetered lighting and air conditioning
                (E-ELEC-REST) are 5.5 % of it: a balance ``loss`` alert above the 5 % limit
==============  ============================================================================

No other fault: the boiler house (a line of the utilities building) is fed through the
building in the energy flow, and the boilers' steam is metered as heat (GJ), so its
conversion loss is real (11.6 % of their gas and fan power); the park steam has no metered
consumer and is not balanced. The meters' total and the inventory's differ by what
:mod:`lingtan.metering.reconcile` names (PV self-consumption, diesel not metered, June's failed
steam meter, meter accuracy).
"""

from __future__ import annotations

import calendar
import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy import Engine

from lingtan.metering.energy_store import budget_rows, import_budgets, load_energy, month_span
from lingtan.metering.files import define_meters_from_file, import_readings_file
from lingtan.metering.rollups import refresh
from lingtan.metering.store import facility_id
from lingtan.store.db import session_scope

__all__ = ["BUDGETS", "METERS", "NODES", "STEAM_GJ_PER_T", "Metering", "MeteringFiles",
           "build_metering", "write_metering"]  # fmt: skip

YEAR = 2025
#: Seed of every random draw: the same files on every run.
SEED = 20250101
#: 15-minute intervals in 2025 [-].
INTERVALS = 365 * 96
_STEP_S = 900
_LOCAL_START = np.datetime64(f"{YEAR}-01-01T00:00", "s")  # +08:00 wall time
#: Latitude of the plant [deg N] (southern Jiangsu), for the sun's path.
_LATITUDE_DEG = 31.5
#: Steam made per normal cubic metre of gas burnt in the boiler house [t/Nm3]: the invented
#: plant's logbook figure, not a factor.
_STEAM_PER_GAS_T_NM3 = 0.0128
#: Heat delivered per tonne of steam [GJ/t], the boiler house's and the park utility's
#: statement figure (invented). With the gas's 38.931 MJ/Nm3 the boilers work at
#: 0.0128 x 2.72 / 0.038931 = 89.4 %: the flow shows the rest as conversion loss.
STEAM_GJ_PER_T = 2.72
#: Specific power of the compressed-air station [kWh/Nm3]: the invented plant's figure.
_AIR_KWH_PER_NM3 = 0.11


@dataclass(frozen=True)
class DemoMeter:
    """A meter of the demo tree and how its register is written.

    ``decimals`` are the register's digits after the point (its step is ``10**-decimals``);
    ``start`` is the register at 2025-01-01 00:00 (None: a random one); ``error`` is the
    meter's accuracy offset [-] (+0.002 reads 0.2 % high).
    """

    code: str
    name: str
    node: str
    energy_type: str
    unit: str
    kind: str
    flow: str
    multiplier: float = 1.0
    rollover_at: float | None = 999_999.99
    formula: str = ""
    decimals: int = 2
    start: float | None = None
    error: float = 0.0


# code, name, level, parent
NODES = [
    ("site", "江苏电芯工厂 Jiangsu cell plant", "facility", ""),
    ("pv", "屋顶光伏 Rooftop PV (3.2 MWp, third-party owned)", "equipment", "site"),
    ("electrode", "极片车间 Electrode workshop", "workshop", "site"),
    ("mixing", "制浆 Slurry mixing", "line", "electrode"),
    ("coating", "涂布烘干 Coating and drying", "line", "electrode"),
    ("coater", "涂布机及烘箱 Coater and drying ovens", "equipment", "coating"),
    ("nmp", "NMP回收 NMP recovery", "equipment", "coating"),
    ("rolling", "辊压分切 Calendering and slitting", "line", "electrode"),
    ("assembly", "电芯装配车间 Cell assembly workshop", "workshop", "site"),
    ("stacking", "叠片装配线 Stacking and assembly line", "line", "assembly"),
    ("dryroom", "干燥房 Dry rooms", "line", "assembly"),
    ("dehum-1", "1#转轮除湿机 Desiccant dehumidifier 1", "equipment", "dryroom"),
    ("dehum-2", "2#转轮除湿机 Desiccant dehumidifier 2", "equipment", "dryroom"),
    ("dry-ahu", "干燥房空调箱 Dry-room air handlers", "equipment", "dryroom"),
    ("formation", "化成分容车间 Formation and grading workshop", "workshop", "site"),
    ("formation-line", "化成 Formation", "line", "formation"),
    ("grading", "分容 Grading", "line", "formation"),
    ("aging", "老化房 Aging rooms", "line", "formation"),
    ("pack", "模组PACK车间 Module and pack workshop", "workshop", "site"),
    ("utilities", "动力站 Utilities", "building", "site"),
    ("chillers", "冷冻站 Chiller plant", "line", "utilities"),
    ("air", "空压站 Compressed-air station", "line", "utilities"),
    ("boilers", "锅炉房 Boiler house", "line", "utilities"),
    ("water", "给水泵房 Water pumps", "line", "utilities"),
    ("office", "办公楼及食堂 Office and canteen", "building", "site"),
]

_E = "electricity"
_WORKSHOPS = "E-ELEC - E-ASSY - E-FORM - E-PACK - E-UTIL - E-OFFICE"
METERS = [
    DemoMeter("E-IN-1", "10kV 1#进线 Incomer 1", "site", _E, "kWh", "cumulative", "supply",
              6000, start=999_300.00, error=0.0025),
    DemoMeter("E-IN-2", "10kV 2#进线 Incomer 2", "site", _E, "kWh", "cumulative", "supply",
              6000, start=412_876.53, error=-0.0015),
    DemoMeter("E-REST", "未计量及损耗 Unmetered and losses (virtual)", "site", _E, "kWh",
              "cumulative", "use", rollover_at=None,
              formula=f"E-IN-1 + E-IN-2 + E-PV-GEN - E-PV-EXP - {_WORKSHOPS}"),
    DemoMeter("E-PV-GEN", "光伏并网发电 PV generation", "pv", _E, "kWh",
              "cumulative", "generation", 3000, error=0.002),
    DemoMeter("E-PV-EXP", "光伏上网 PV export", "pv", _E, "kWh", "cumulative",
              "export", 6000, error=-0.001),
    DemoMeter("E-ELEC", "1#变压器 极片车间总 Electrode workshop main", "electrode", _E, "kWh",
              "cumulative", "use", 800),
    DemoMeter("E-ELEC-REST", "极片车间照明空调等 Electrode lighting, HVAC (virtual)", "electrode",
              _E, "kWh", "cumulative", "use", rollover_at=None,
              formula="E-ELEC - E-MIX - E-COAT - E-ROLL"),
    DemoMeter("E-MIX", "制浆线 Mixing line", "mixing", _E, "kWh", "cumulative", "use", 160),
    DemoMeter("E-COAT", "涂布烘干线 Coating and drying line", "coating", _E, "kWh", "cumulative",
              "use", 400),
    DemoMeter("E-COATER", "涂布机及烘箱 Coater and ovens", "coater", _E, "kWh", "cumulative",
              "use", 400),
    DemoMeter("E-NMP", "NMP回收装置 NMP recovery unit", "nmp", _E, "kWh", "cumulative", "use",
              160),
    DemoMeter("E-ROLL", "辊压分切线 Calendering and slitting line", "rolling", _E, "kWh",
              "cumulative", "use", 160),
    DemoMeter("E-ASSY", "2#变压器 装配车间总 Assembly workshop main", "assembly", _E, "kWh",
              "cumulative", "use", 800),
    DemoMeter("E-STACK", "叠片装配线 Stacking line", "stacking", _E, "kWh", "cumulative", "use",
              400),
    DemoMeter("E-DRY", "干燥房总 Dry rooms main", "dryroom", _E, "kWh", "cumulative", "use", 400),
    DemoMeter("E-DEH-1", "1#除湿机 Dehumidifier 1", "dehum-1", _E, "kWh", "cumulative", "use",
              80),
    DemoMeter("E-DEH-2", "2#除湿机 Dehumidifier 2", "dehum-2", _E, "kWh", "cumulative", "use",
              80),
    DemoMeter("E-DRY-AHU", "干燥房空调箱 Dry-room air handlers", "dry-ahu", _E, "kWh",
              "cumulative", "use", 160),
    DemoMeter("E-FORM", "3#变压器 化成分容车间总 Formation workshop main", "formation", _E,
              "kWh", "cumulative", "use", 800),
    DemoMeter("E-FORM-CH", "化成柜 Formation cabinets", "formation-line", _E, "kWh",
              "cumulative", "use", 400),
    DemoMeter("E-GRADE", "分容柜 Grading cabinets", "grading", _E, "kWh", "cumulative", "use",
              400),
    DemoMeter("E-AGING", "老化房 Aging rooms", "aging", _E, "kWh", "cumulative", "use", 80),
    DemoMeter("E-PACK", "模组PACK车间总 Pack workshop main", "pack", _E, "kWh", "cumulative",
              "use", 160),
    DemoMeter("E-UTIL", "4#变压器 动力站总 Utilities main", "utilities", _E, "kWh",
              "cumulative", "use", 600),
    DemoMeter("E-CHILL", "冷水机组 Chillers", "chillers", _E, "kWh", "cumulative", "use", 400),
    DemoMeter("E-AIR", "空压机 Air compressors", "air", _E, "kWh", "cumulative", "use", 400),
    DemoMeter("E-BOIL-AUX", "锅炉辅机 Boiler fans and pumps", "boilers", _E, "kWh",
              "cumulative", "use", 40),
    DemoMeter("E-PUMP", "给水循环泵 Water pumps", "water", _E, "kWh", "cumulative", "use", 40),
    DemoMeter("E-OFFICE", "办公楼及食堂 Office and canteen", "office", _E, "kWh", "cumulative",
              "use", 80),
    DemoMeter("G-BOILER-1", "1#锅炉燃气 Boiler 1 gas (utility meter)", "boilers", "natural_gas",
              "Nm3", "cumulative", "supply", rollover_at=99_999_999.9, decimals=1,
              start=3_452_118.4, error=0.003),
    DemoMeter("G-BOILER-2", "2#锅炉燃气 Boiler 2 gas (utility meter)", "boilers", "natural_gas",
              "Nm3", "cumulative", "supply", rollover_at=99_999_999.9, decimals=1,
              start=1_907_362.9, error=-0.002),
    DemoMeter("S-BOILER", "锅炉房蒸汽 Boiler house steam output", "boilers", "steam", "GJ",
              "interval", "output", rollover_at=None, decimals=3),
    DemoMeter("S-PARK", "园区蒸汽 Park steam (purchased)", "site", "steam", "GJ", "cumulative",
              "supply", rollover_at=9_999_999.9, decimals=1, start=215_604.3, error=0.004),
    DemoMeter("A-AIR", "空压站出口流量 Compressed air output", "air", "compressed_air", "Nm3",
              "interval", "output", rollover_at=None, decimals=1),
    DemoMeter("W-MAIN", "自来水总表 Water main", "site", "water", "m3", "cumulative", "supply",
              rollover_at=9_999_999.9, decimals=1, start=86_214.7),
    DemoMeter("W-PURE", "纯水站 Pure-water plant", "water", "water", "m3", "cumulative", "use",
              rollover_at=9_999_999.9, decimals=1),
    DemoMeter("W-OFFICE", "生活用水 Office and canteen water", "office", "water", "m3",
              "cumulative", "use", rollover_at=9_999_999.9, decimals=1),
    DemoMeter("W-CHILL", "冷却塔补水 Cooling-tower make-up water", "chillers", "water", "m3",
              "cumulative", "use", rollover_at=9_999_999.9, decimals=1, start=30_551.2),
]  # fmt: skip

#: The plant's 2025 budgets of some nodes: node -> (energy [tce], carbon [tCO2]) a year.
BUDGETS = {
    "site": (12_100, 44_400),
    "electrode": (2_350, 11_100),
    "assembly": (2_100, 9_950),
    "formation": (1_850, 8_750),
    "utilities": (5_650, 13_650),
}

#: Meters in the wide electricity file (the rest go to the long utilities file).
_WIDE = [m.code for m in METERS if m.energy_type != "natural_gas" and m.unit == "kWh"]


@dataclass
class MeteringFiles:
    """The files :func:`write_metering` wrote."""

    definitions: Path
    readings: list[Path]
    budgets: Path


# --- Calendar and weather ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Calendar:
    day: np.ndarray  # day of the year, 0-based, per interval
    hour: np.ndarray  # local clock hour at the interval's middle [h]
    month: np.ndarray  # 0-based month per interval
    sunday: np.ndarray  # Sundays and public holidays (bool)
    shutdown: np.ndarray  # Spring Festival shutdown (bool)
    temperature: np.ndarray  # outdoor air [°C]


def _calendar() -> _Calendar:
    k = np.arange(INTERVALS)
    day = k // 96
    hour = (k % 96 + 0.5) / 4
    local = _LOCAL_START + k * np.timedelta64(_STEP_S, "s")
    month = local.astype("datetime64[M]").astype(int) % 12
    weekday = (day + 2) % 7  # 2025-01-01 was a Wednesday (Monday = 0)
    holidays = [
        (1, 1, 1), (4, 4, 6), (5, 1, 5), (5, 31, 31), (6, 1, 2), (10, 1, 8),
    ]  # fmt: skip
    holiday = np.zeros(INTERVALS, bool)
    for m, first, last in holidays:
        a = (np.datetime64(f"{YEAR}-{m:02d}-{first:02d}") - np.datetime64(f"{YEAR}-01-01")).astype(
            int
        )
        holiday |= (day >= a) & (day <= a + last - first)
    # the plant stops production from 26 January to 5 February (Spring Festival 29 January)
    shutdown = (day >= 25) & (day <= 35)
    # mean 16 °C, coldest around 20 January, warmest around 21 July; ±4 °C over the day
    temperature = (
        16 - 12 * np.cos(2 * np.pi * (day - 20) / 365) + 4 * np.cos(2 * np.pi * (hour - 14) / 24)
    )
    return _Calendar(day, hour, month, (weekday == 6) | holiday, shutdown, temperature)


def _daily(rng: np.random.Generator, spread: float) -> np.ndarray:
    """A random factor per day, repeated over its 96 intervals."""
    return np.repeat(1 + spread * rng.standard_normal(365), 96)


# --- Load shapes ------------------------------------------------------------------------------


def _shapes(cal: _Calendar, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Dimensionless load shapes, each with mean 1 over the year."""
    h = cal.hour
    shift_change = ((h > 7.75) & (h < 8.5)) | ((h > 19.75) & (h < 20.5))
    meals = ((h > 11.5) & (h < 12.5)) | ((h > 23.5) | (h < 0.5))
    production = np.where(shift_change, 0.78, np.where(meals, 0.93, 1.0))
    production = production * np.where(cal.sunday, 0.85, 1.0)
    production = np.where(cal.shutdown, 0.12, production)
    production = production * _daily(rng, 0.04)
    # formation cabinets run batches around the clock: the shifts matter less
    formation = np.where(cal.shutdown, 0.15, 0.65 + 0.35 * production)
    humid = np.exp(-(((cal.day - 190) / 45) ** 2))  # plum rains and summer, June to September
    dry = (0.9 + 0.35 * humid) * np.where(cal.shutdown, 0.7, 1.0)
    cooling = 0.35 + 0.09 * np.maximum(cal.temperature - 18, 0)
    chiller = cooling * np.where(cal.shutdown, 0.4, 1.0)
    air = 0.3 + 0.7 * production
    daytime = (h > 8) & (h < 18) & ~cal.sunday & ~cal.shutdown
    canteen = ((h > 11) & (h < 12.5)) | ((h > 17) & (h < 18.5))
    office = (0.3 + 0.7 * daytime + 0.5 * canteen) * (1 + 0.02 * np.abs(cal.temperature - 20))
    office = np.where(cal.shutdown, 0.2, office)
    heating = np.maximum(17 - cal.temperature, 0) / 10
    gas = 0.6 * np.where(cal.shutdown, 0.25, production) + heating
    flat = np.ones(INTERVALS)
    shapes = {
        "production": production,
        "formation": formation,
        "dry": dry,
        "chiller": chiller,
        "air": air,
        "office": office,
        "gas": gas,
        "flat": flat,
    }
    out = {}
    for name, shape in shapes.items():
        noisy = shape * (1 + 0.03 * rng.standard_normal(INTERVALS))
        out[name] = np.maximum(noisy, 0.01) / np.maximum(noisy, 0.01).mean()
    return out


def _solar(cal: _Calendar, rng: np.random.Generator) -> np.ndarray:
    """PV output shape: the sun's elevation (zero at night) times a cloudiness per day."""
    declination = np.radians(23.44) * np.sin(2 * np.pi * (284 + cal.day + 1) / 365)
    latitude = np.radians(_LATITUDE_DEG)
    hour_angle = np.radians(15 * (cal.hour - 12))
    elevation = np.sin(latitude) * np.sin(declination) + np.cos(latitude) * np.cos(
        declination
    ) * np.cos(hour_angle)
    clearness = rng.beta(4.0, 1.8, 365)
    clearness[160:195] *= 0.6  # plum rain season, mid-June to mid-July
    shape = np.maximum(elevation, 0) ** 1.2 * np.repeat(clearness, 96)
    return shape * (1 + 0.05 * rng.standard_normal(INTERVALS)).clip(0.5)


def _per_month(values: np.ndarray, month: np.ndarray) -> np.ndarray:
    return np.bincount(month, weights=values, minlength=12)


def _true_energy(invoices: dict[str, list[float]]) -> dict[str, np.ndarray]:
    """True energy per 15-minute interval of every physical meter [meter unit].

    Each month of the site's electricity use (grid + PV used on site), of the PV and of each
    boiler's gas equals that month's bill in ``invoices``.
    """
    rng = np.random.default_rng(SEED)
    cal = _calendar()
    s = _shapes(cal, rng)
    # average shares of the site's electricity use [-]
    parts = {
        "mix": 0.04 * s["production"],
        "coat": 0.13 * s["production"],
        "nmp": 0.05 * (0.4 + 0.6 * s["production"]),
        "roll": 0.05 * s["production"],
        "elec_rest": 0.01 * (0.5 * s["flat"] + 0.5 * s["chiller"]),
        "stack": 0.12 * s["production"],
        "deh1": 0.05 * s["dry"],
        "deh2": 0.04 * s["dry"],
        "dry_ahu": 0.03 * s["dry"],
        "assy_rest": 0.01 * s["flat"],
        "form_ch": 0.125 * s["formation"],
        "grade": 0.07 * s["formation"],
        "aging": 0.02 * s["flat"],
        "form_rest": 0.005 * s["flat"],
        "pack": 0.04 * s["production"],
        "chill": 0.10 * s["chiller"],
        "air": 0.06 * s["air"],
        "boil_aux": 0.005 * s["gas"],
        "pump": 0.005 * s["flat"],
        "util_rest": 0.003 * s["flat"],
        "office": 0.02 * s["office"],
        "losses": 0.012 * s["flat"] + 0.008 * s["production"],
    }
    site = sum(parts.values())
    grid = np.array(invoices["grid"])  # [kWh]
    pv = np.array(invoices["rooftop-pv"]) * 1000  # [MWh] -> [kWh]
    scale = ((grid + pv) / _per_month(site, cal.month))[cal.month]
    e = {name: part * scale for name, part in parts.items()}
    # PV is connected on incomer 2's side; it exports only what that side cannot use
    side2 = sum(e[n] for n in ("form_ch", "grade", "aging", "form_rest", "pack", "chill", "air",
                               "boil_aux", "pump", "util_rest")) + e["losses"] / 2  # fmt: skip
    sun = _solar(cal, rng)
    sun_month = _per_month(sun, cal.month)
    export = np.zeros(INTERVALS)
    for _ in range(20):  # generation - export = the PV bill; export grows with generation
        generation = sun * ((pv + _per_month(export, cal.month)) / sun_month)[cal.month]
        export = np.maximum(generation - side2, 0)
    meters = {
        "E-PV-GEN": generation,
        "E-PV-EXP": export,
        "E-IN-2": np.maximum(side2 - generation, 0),
        "E-MIX": e["mix"],
        "E-COAT": e["coat"] + e["nmp"],
        "E-COATER": e["coat"],
        "E-NMP": e["nmp"],
        "E-ROLL": e["roll"],
        "E-STACK": e["stack"],
        "E-DRY": e["deh1"] + e["deh2"] + e["dry_ahu"],
        "E-DEH-1": e["deh1"],
        "E-DEH-2": e["deh2"],
        "E-DRY-AHU": e["dry_ahu"],
        "E-FORM-CH": e["form_ch"],
        "E-GRADE": e["grade"],
        "E-AGING": e["aging"],
        "E-PACK": e["pack"],
        "E-CHILL": e["chill"],
        "E-AIR": e["air"],
        "E-BOIL-AUX": e["boil_aux"],
        "E-PUMP": e["pump"],
        "E-OFFICE": e["office"],
    }
    meters["E-ELEC"] = meters["E-MIX"] + meters["E-COAT"] + meters["E-ROLL"] + e["elec_rest"]
    meters["E-ASSY"] = meters["E-STACK"] + meters["E-DRY"] + e["assy_rest"]
    meters["E-FORM"] = meters["E-FORM-CH"] + meters["E-GRADE"] + meters["E-AGING"] + e["form_rest"]
    meters["E-UTIL"] = (
        meters["E-CHILL"] + meters["E-AIR"] + meters["E-BOIL-AUX"] + meters["E-PUMP"]
    ) + e["util_rest"]
    meters["E-IN-1"] = meters["E-ELEC"] + meters["E-ASSY"] + meters["E-OFFICE"] + e["losses"] / 2
    gas = {}
    for code, boiler, wobble in (
        ("G-BOILER-1", "boiler-1", 0.02),
        ("G-BOILER-2", "boiler-2", 0.05),
    ):
        shape = s["gas"] * (1 + wobble * rng.standard_normal(INTERVALS)).clip(0.5)
        bill = np.array(invoices[boiler])  # [Nm3]
        gas[code] = meters[code] = shape * (bill / _per_month(shape, cal.month))[cal.month]
    steam = (gas["G-BOILER-1"] + gas["G-BOILER-2"]) * _STEAM_PER_GAS_T_NM3 * STEAM_GJ_PER_T
    meters["S-BOILER"] = steam * (1 + 0.01 * rng.standard_normal(INTERVALS))
    park = s["production"] * 0.7 + 0.3
    park_bill = np.array(invoices["steam"])  # [GJ]
    meters["S-PARK"] = park * (park_bill / _per_month(park, cal.month))[cal.month]
    meters["A-AIR"] = (
        meters["E-AIR"] / _AIR_KWH_PER_NM3 * (1 + 0.02 * rng.standard_normal(INTERVALS))
    )
    # cooling-tower make-up follows the chillers; the rest is process, canteen and sanitary
    meters["W-CHILL"] = 0.004 * meters["E-CHILL"]  # [m3]
    meters["W-PURE"] = 4.0 * s["production"]  # electrode slurry, cleaning, formation
    meters["W-OFFICE"] = 1.5 * s["office"]
    leaks = 0.15 * s["flat"]
    meters["W-MAIN"] = meters["W-CHILL"] + meters["W-PURE"] + meters["W-OFFICE"] + leaks
    return meters


# --- Meter behaviour --------------------------------------------------------------------------


def _local_index(month: int, day: int, hour: int, minute: int) -> int:
    """Reading index of a local wall time in 2025 (0 = 2025-01-01 00:00)."""
    moment = np.datetime64(f"{YEAR}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}", "s")
    return int((moment - _LOCAL_START).astype(int)) // _STEP_S


#: Readings left out: meter -> (first reading index, number of readings).
_GAPS = {
    "E-IN-2": [(_local_index(3, 12, 10, 15), 2)],
    "G-BOILER-1": [(_local_index(11, 8, 3, 30), 1)],
    "W-MAIN": [(_local_index(7, 5, 14, 15), 3)],
    "E-STACK": [(_local_index(8, 19, 2, 15), 22)],
    "S-PARK": [(_local_index(6, 1, 0, 15), _local_index(7, 1, 0, 0) - _local_index(6, 1, 0, 15))],
}
_ROLLOVER_METER = "E-IN-1"
_REPLACED = ("E-DEH-2", _local_index(9, 16, 10, 0))  # first reading of the new meter
_SPIKE = ("A-AIR", _local_index(4, 15, 14, 30), 40.0)


def _readings(meter: DemoMeter, energy: np.ndarray, start: float, error: np.ndarray) -> np.ndarray:
    """The values a meter shows at the 35,041 quarter hours of 2025 (NaN: no reading).

    Cumulative: the register (``start`` + advance / multiplier), cut to its step and wrapped at
    full scale. Interval: the amount of the 15 minutes ending at the reading, rounded; the
    first value (the last quarter of 2024) repeats the first quarter of 2025. ``error`` is
    the meter's relative error per interval [-].
    """
    measured = energy * (1 + error)
    step = 10.0**-meter.decimals
    if meter.kind == "interval":
        values = np.round(np.concatenate(([measured[0]], measured)), meter.decimals)
        if meter.code == _SPIKE[0]:
            values[_SPIKE[1]] *= _SPIKE[2]
    else:
        if meter.code == "S-PARK":  # the flowmeter stood still in June
            june = slice(_local_index(6, 1, 0, 0), _local_index(7, 1, 0, 0))
            measured = measured.copy()
            measured[june] = 0.0
        advance = np.concatenate(([0.0], np.cumsum(measured))) / meter.multiplier
        counts = np.floor(advance / step + 1e-9) + round(start / step)
        if meter.code == _REPLACED[0]:
            first = _REPLACED[1]
            counts[first:] = np.floor((advance[first:] - advance[first - 1]) / step + 1e-9)
        if meter.rollover_at is not None:
            counts = np.mod(counts, round(meter.rollover_at / step) + 1)
        values = counts * step
    for first, count in _GAPS.get(meter.code, ()):
        values[first : first + count] = np.nan
    return values


def _column(values: np.ndarray, decimals: int) -> list[str]:
    return ["" if v != v else f"{v:.{decimals}f}" for v in values.tolist()]


# --- Files ------------------------------------------------------------------------------------


def _definitions(path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(["record", "code", "name", "parent", "level", "energy_type", "unit", "kind",
                      "flow", "multiplier", "rollover_at", "formula"])  # fmt: skip
        for code, name, level, parent in NODES:
            out.writerow(["node", code, name, parent, level] + [""] * 7)
        for m in METERS:
            rollover = "" if m.rollover_at is None else f"{m.rollover_at:.{m.decimals}f}"
            out.writerow(["meter", m.code, m.name, m.node, "", m.energy_type, m.unit, m.kind,
                          m.flow, f"{m.multiplier:g}", rollover, m.formula])  # fmt: skip
    return path


def write_metering(folder: Path, invoices: dict[str, list[float]]) -> MeteringFiles:
    """Write the metering tree and a year of readings into ``folder``.

    Parameters
    ----------
    folder : Path
        Created if needed; gets ``meters.csv`` and two readings files.
    invoices : dict of str to list of float
        Monthly bills, January first: ``grid`` [kWh], ``rooftop-pv`` [MWh], ``boiler-1``
        and ``boiler-2`` [Nm3], ``steam`` [GJ].

    Returns
    -------
    MeteringFiles
    """
    folder.mkdir(parents=True, exist_ok=True)
    energy = _true_energy(invoices)
    stamps = np.datetime_as_string(
        _LOCAL_START + np.arange(INTERVALS + 1) * np.timedelta64(_STEP_S, "s"), unit="m"
    ).tolist()
    physical = [m for m in METERS if not m.formula]
    rng = np.random.default_rng(SEED + 1)
    starts = rng.uniform(1_000, 80_000, len(physical)).round(1).tolist()
    # a meter's error moves a little from month to month (load, temperature): ±0.15 % (1 sigma)
    drift = rng.normal(0.0, 0.0015, (len(physical), 12))
    month = _calendar().month
    columns = {}
    for i, m in enumerate(physical):
        error = np.clip(m.error + drift[i], -0.008, 0.008)[month]
        start = starts[i] if m.start is None else m.start
        columns[m.code] = _column(_readings(m, energy[m.code], start, error), m.decimals)
    wide = folder / f"readings-electricity-{YEAR}.csv"
    rows = zip(stamps, *(columns[c] for c in _WIDE if c in columns), strict=True)
    header = ",".join(["时间", *(c for c in _WIDE if c in columns)])
    wide.write_text("\n".join([header, *map(",".join, rows)]) + "\n", encoding="utf-8")
    long = folder / f"readings-utilities-{YEAR}.csv"
    others = [m.code for m in physical if m.code not in _WIDE]
    lines = ["meter,timestamp,value"]
    for i, stamp in enumerate(stamps):  # time order, as a gateway exports them
        lines.extend(f"{c},{stamp},{columns[c][i]}" for c in others if columns[c][i])
    long.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return MeteringFiles(
        _definitions(folder / "meters.csv"), [wide, long], _budgets(folder / f"budgets-{YEAR}.csv")
    )


def _budgets(path: Path) -> Path:
    """Monthly budgets of a few nodes: each annual budget spread over the months by days."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(["节点 node", "月份 month", "能耗预算 energy_tce", "碳预算 carbon_tco2"])
        for node, (energy_tce, carbon_tco2) in BUDGETS.items():
            for month in range(1, 13):
                share = calendar.monthrange(YEAR, month)[1] / 365
                out.writerow([node, f"{YEAR}-{month:02d}", f"{energy_tce * share:.1f}",
                              f"{carbon_tco2 * share:.1f}"])  # fmt: skip
    return path


@dataclass
class Metering:
    """What :func:`build_metering` wrote and stored, and the year's figures from the meters.

    Attributes
    ----------
    files : MeteringFiles
    meters : int
        Meters defined (virtual ones included).
    readings : int
        Readings stored.
    meter_days : int
        Daily totals computed.
    energy_tce, carbon_tco2 : float or None
        The facility's 2025 energy [tce] and carbon [tCO2] from the meters
        (:mod:`lingtan.metering.energy_store`).
    budgets, over_budget : int
        Node-months with a budget, and those over it.
    """

    files: MeteringFiles
    meters: int
    readings: int
    meter_days: int
    energy_tce: float | None
    carbon_tco2: float | None
    budgets: int
    over_budget: int


def build_metering(
    folder: Path, engine: Engine, facility: str, invoices: dict[str, list[float]]
) -> Metering:
    """Write the metering files (:func:`write_metering`) and take them through the store as
    ``lingtan meters define``, ``lingtan meters import`` and ``lingtan energy budget import``
    do, each file in its own transaction; then refresh the daily totals and sum the year."""
    files = write_metering(folder, invoices)
    with session_scope(engine) as session:
        _, meters = define_meters_from_file(session, facility, files.definitions, actor="demo")
    added = 0
    for path in files.readings:
        with session_scope(engine) as session:
            added += import_readings_file(session, facility, path, actor="demo").readings.added
    with session_scope(engine) as session:
        import_budgets(session, facility, files.budgets, actor="demo")
    with session_scope(engine) as session:
        days = refresh(session, facility_id(session, facility))
    start, end = month_span(YEAR)
    with session_scope(engine) as session:
        energy = load_energy(session, facility, start, end, refresh=False)
        (year,) = energy.periods("year").values()
        tce, tco2, _ = energy.facility_total(energy.totals(year))
        budgets = budget_rows(session, energy)
    over = sum(1 for row in budgets if row.over)
    return Metering(files, meters, added, days, tce, tco2, len(budgets), over)
