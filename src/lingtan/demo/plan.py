"""The demo factory's plan: PV and a battery sized from its own 2025 meter data, stored.

:func:`build_plan` writes ``demo-plan.yaml`` and stores the plan as ``lingtan plan size FILE
--store`` does. The load is what the plant draws from the grid (node ``site``: the two 10 kV
incomers), hour by hour from their 15-minute intervals; the PV output per kWp is the plant's
own rooftop PV meter (node ``pv``, 3.2 MWp) -- no weather file. Only PV and a battery, hourly
(8,760 steps) and without the demand charge (its monthly peaks make the LP about twice as
slow), so the demo stays quick; an illustrative grid-connection limit stands in for it.

Every cost is ILLUSTRATIVE (the round figures of ``examples/planning-size.yaml``, not quotes),
and so are the prices: the demo's SAMPLE tariff (:mod:`lingtan.demo.tariff`: its mean flat price
with the peak and valley ratios of calendar CN-JS-2025-426) over the whole year. The grid
factor is the one the demo's 2025 inventory takes for its location-based Scope 2: Jiangsu's
average of 2023 (factor set ``mee-electricity-2023``, CN-JS, 0.5827 tCO2/MWh), so the plan's
emissions and the inventory's compare.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from lingtan.demo.tariff import FLAT_CNY_PER_KWH, PEAK_UPLIFT, VALLEY_CUT
from lingtan.planning.sizing import solve_sizing
from lingtan.services.planning import read_plan, store_plan
from lingtan.store.db import session_scope

__all__ = ["LABEL", "build_plan"]

YEAR = 2025
#: What the demo plan's figures are.
LABEL = "示例：成本为示意值 illustrative costs and sample prices"
#: The rooftop PV of the demo plant [kWp] (node ``pv``).
PV_KWP = 3200
#: ILLUSTRATIVE: what the two 10 kV incomers may draw together [kW] (the plant's peak is
#: about 9.5 MW); without a demand charge in the plan, it keeps the battery from charging at
#: several times the plant's peak.
IMPORT_CAP_KW = 12_000


def _problem(facility: str) -> str:
    flat = sum(FLAT_CNY_PER_KWH) / len(FLAT_CNY_PER_KWH)
    prices = {
        "peak": round(flat * (1 + PEAK_UPLIFT), 4),
        "flat": round(flat, 4),
        "valley": round(flat * (1 - VALLEY_CUT), 4),
    }
    return f"""\
name: 江苏电芯工厂 光伏+储能 Jiangsu cell plant, PV + battery (illustrative)
note: >-
  示例 illustrative: the load and the PV output per kWp are the plant's 2025 meter data; the
  costs are round illustrative figures and the prices the demo's SAMPLE tariff, not quotes.
load:
  node: site
  facility: {facility}
  year: {YEAR}
  step_minutes: 60
finance:
  discount_rate: 0.06
grid:
  calendar: CN-JS-2025-426
  prices_cny_per_kwh: {{peak: {prices["peak"]}, flat: {prices["flat"]}, valley: {prices["valley"]}}}
  emission_factor_tco2_per_mwh: 0.5827
  import_cap_kw: {IMPORT_CAP_KW}
pv:
  meter_node: pv
  meter_kwp: {PV_KWP}
  capex_cny_per_kw: 3000
  om_cny_per_kw_per_year: 40
  lifetime_years: 25
  max_kw: 6000
battery:
  energy_capex_cny_per_kwh: 900
  power_capex_cny_per_kw: 300
  energy_om_cny_per_kwh_per_year: 10
  lifetime_years: 12
  soc_min: 0.05
  soc_max: 0.95
"""


def build_plan(folder: Path, engine: Engine, facility: str) -> int:
    """Write the demo's problem file into *folder*, solve it on the plant's meter data and
    store it; returns the stored plan's id."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "demo-plan.yaml"
    text = _problem(facility)
    path.write_text(text, encoding="utf-8")
    with session_scope(engine, read_only=True) as session:
        plan = read_plan(session, path)
    result = solve_sizing(plan.problem)
    with session_scope(engine) as session:
        row = store_plan(session, plan=plan, result=result, text=text, actor="demo", label=LABEL)
        return row.id
