"""Benchmark: size PV + battery + heat pump against a year of TOU prices, lingtan beside PyPSA.

Run by hand: ``.venv/bin/python benchmarks/bench_planning.py [--repeat R] [--quarter-hour]
[--pypsa-quarter-hour] [--problem heat|pv-battery]`` (needs pypsa, a test dependency). The
``pv-battery`` problem is the shipped example (examples/planning-size.yaml: 8,760 hours of a
synthetic Suzhou load and weather, Jiangsu's TOU calendar, PV on a roof of 5 MWp, a battery
sized in energy and power, export at a price and only from PV) without its yearly 650号/77号
rules, which PyPSA has no built-in for. The ``heat`` problem (the default) adds the factory's
synthetic hot-water load of examples/planning-heat.yaml served by a heat pump on outdoor air
(Carnot COP per hour) or the existing gas boiler: PV + battery + heat pump + TOU.
``--quarter-hour`` adds the same year at 35,040 quarter-hour steps (load, PV, COP and prices
repeated per hour).

Each measurement runs in a fresh interpreter (so the peak resident memory is that of one
solve): the wall time of build + solve after the inputs are in memory, and the peak RSS of the
process. lingtan: :func:`lingtan.planning.sizing.solve_sizing` (linopy straight into HiGHS);
PyPSA: the same LP as a network (PV Generator with ``p_max_pu``, grid Generator with a
marginal cost per step, export as a negative Generator, battery as a Store with a charger and a
discharger Link of one power rating) solved by ``Network.optimize`` with HiGHS. The objectives
are checked equal to 1e-6. Record the figures, with the machine and date, in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "planning-size.yaml"
HEAT_EXAMPLE = ROOT / "examples" / "planning-heat.yaml"


def problem(steps_per_hour: int, kind: str = "heat"):
    from lingtan.planning.problem import read_problem_file

    p = read_problem_file(EXAMPLE).problem
    p = replace(p, min_self_consumption_share=None, max_export_share=None)
    if kind == "heat":  # the heat load, heat pump and gas boiler of the heat example
        h = read_problem_file(HEAT_EXAMPLE).problem.heat
        p = replace(p, heat=replace(h, electric_boiler=None, storage=None))
    if steps_per_hour == 1:
        return p
    k = steps_per_hour
    heat = p.heat
    if heat is not None:
        heat = replace(heat, load_kw=np.repeat(heat.load_kw, k), cop=np.repeat(heat.cop, k))
    return replace(
        p,
        load_kw=np.repeat(p.load_kw, k),
        step_h=p.step_h / k,
        pv_cf=np.repeat(p.pv_cf, k),
        import_price_cny_per_kwh=np.repeat(p.import_price_cny_per_kwh, k),
        export_price_cny_per_kwh=np.repeat(p.export_price_cny_per_kwh, k),
        heat=heat,
    )


def run_lingtan(p) -> dict:
    import linopy  # noqa: F401  (imported before the clock starts, as PyPSA is)

    from lingtan.planning.sizing import solve_sizing

    started = time.perf_counter()
    result = solve_sizing(p)
    return {
        "wall_s": time.perf_counter() - started,
        "build_s": result.build_s,
        "solve_s": result.solve_s,
        "objective": result.objective_cny_per_year,
        "pv_kw": result.pv_kw,
        "battery_kwh": result.battery_kwh,
        "battery_kw": result.battery_kw,
        "heat_pump_kw": result.heat_pump_kw,
        "variables": result.variables,
        "constraints": result.constraints,
    }


def run_pypsa(p) -> dict:
    import logging

    import pandas as pd
    import pypsa

    logging.disable(logging.INFO)
    started = time.perf_counter()
    r, b = p.discount_rate, p.battery
    n = pypsa.Network()
    n.set_snapshots(pd.RangeIndex(p.steps))
    n.snapshot_weightings["objective"] = 1.0 * p.year_weight * p.step_h
    n.snapshot_weightings["stores"] = 1.0 * p.step_h
    n.snapshot_weightings["generators"] = 1.0 * p.step_h
    series = lambda values: pd.Series(values, n.snapshots)  # noqa: E731
    n.add("Bus", "ac")
    n.add("Bus", "battery")
    n.add("Load", "load", bus="ac", p_set=series(p.load_kw))
    n.add("Generator", "grid", bus="ac", p_nom=1e5,
          marginal_cost=series(p.import_price_cny_per_kwh))  # fmt: skip
    pv_cost, power_cost = (a.annualised_cny_per_unit_per_year(r) for a in (p.pv, b.power))
    n.add("Generator", "pv", bus="ac", p_nom_extendable=True, p_nom_max=p.pv.max_units,
          p_max_pu=series(p.pv_cf), capital_cost=pv_cost)  # fmt: skip
    n.add("Generator", "export", bus="ac", p_nom=1e5, p_max_pu=0.0, p_min_pu=-1.0,
          marginal_cost=series(p.export_price_cny_per_kwh))  # fmt: skip
    n.add("Store", "battery", bus="battery", e_nom_extendable=True, e_cyclic=True,
          capital_cost=b.energy.annualised_cny_per_unit_per_year(r),
          e_min_pu=b.soc_min, e_max_pu=b.soc_max)  # fmt: skip
    n.add("Link", "charger", bus0="ac", bus1="battery", p_nom_extendable=True,
          efficiency=b.charge_efficiency, capital_cost=power_cost)  # fmt: skip
    n.add("Link", "discharger", bus0="battery", bus1="ac", p_nom_extendable=True,
          efficiency=b.discharge_efficiency)  # fmt: skip
    if (h := p.heat) is not None:
        n.add("Bus", "heat")
        n.add("Load", "heat", bus="heat", p_set=series(h.load_kw))
        n.add("Link", "heat_pump", bus0="ac", bus1="heat", p_nom_extendable=True,
              efficiency=series(h.cop),
              capital_cost=h.heat_pump.annualised_cny_per_unit_per_year(r))  # fmt: skip
        n.add("Generator", "gas_boiler", bus="heat", p_nom=1e5,
              marginal_cost=h.boiler.fuel_price_cny_per_kwh / h.boiler.efficiency)  # fmt: skip

    def extra(n, snapshots):
        m = n.model
        gen, nom = m.variables["Generator-p"], m.variables["Link-p_nom"]
        m.add_constraints(-gen.sel(name="export", drop=True) <= gen.sel(name="pv", drop=True),
                          name="export_pv")  # fmt: skip
        m.add_constraints(nom.sel(name="charger", drop=True)
                          - b.discharge_efficiency * nom.sel(name="discharger", drop=True) == 0,
                          name="one_power_rating")  # fmt: skip

    status, _ = n.optimize(solver_name="highs", extra_functionality=extra)
    assert status == "ok", status
    return {
        "wall_s": time.perf_counter() - started,
        "objective": float(n.objective + n.objective_constant),
        "pv_kw": float(n.generators.p_nom_opt["pv"]),
        "battery_kwh": float(n.stores.e_nom_opt["battery"]),
        "battery_kw": float(n.links.p_nom_opt["charger"]),
        "heat_pump_kw": float(n.links.p_nom_opt.get("heat_pump", 0.0)),
    }


def child(tool: str, steps_per_hour: int, kind: str) -> None:
    p = problem(steps_per_hour, kind)
    before_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out = run_lingtan(p) if tool == "lingtan" else run_pypsa(p)
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out["rss_before_mb"] = before_mb
    out["steps"] = p.steps
    print("RESULT " + json.dumps(out), flush=True)


def measure(tool: str, steps_per_hour: int, kind: str) -> dict:
    args = ["--child", tool, "--steps-per-hour", str(steps_per_hour), "--problem", kind]
    run = subprocess.run(
        [sys.executable, __file__, *args],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    line = next(x for x in run.stdout.splitlines() if x.startswith("RESULT "))
    return json.loads(line[len("RESULT ") :])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--quarter-hour", action="store_true")
    parser.add_argument("--pypsa-quarter-hour", action="store_true")
    parser.add_argument("--child", choices=("lingtan", "pypsa"))
    parser.add_argument("--steps-per-hour", type=int, default=1)
    parser.add_argument("--problem", choices=("heat", "pv-battery"), default="heat")
    args = parser.parse_args()
    if args.child:
        child(args.child, args.steps_per_hour, args.problem)
        return
    print(f"{date.today()} {args.problem} {platform.machine()} {platform.processor() or ''} "
          f"cpus={os.cpu_count()} load={os.getloadavg()[0]:.1f} "
          f"python={platform.python_version()}")  # fmt: skip
    cases = [("lingtan", 1), ("pypsa", 1)]
    if args.quarter_hour:
        cases.append(("lingtan", 4))
    if args.pypsa_quarter_hour:
        cases.append(("pypsa", 4))
    results: dict[tuple[str, int], list[dict]] = {case: [] for case in cases}
    for _ in range(args.repeat):
        for case in cases:  # interleaved, so that a change of load hits both alike
            results[case].append(measure(*case, args.problem))
            r = results[case][-1]
            print(f"  {case[0]:8} {r['steps']:6} steps  wall {r['wall_s']:7.2f} s  "
                  f"peak RSS {r['peak_rss_mb']:7.0f} MB  objective {r['objective']:,.2f}  "
                  f"load {os.getloadavg()[0]:.1f}", flush=True)  # fmt: skip
    for spk in sorted({k for _, k in cases}):
        ours, theirs = results.get(("lingtan", spk)), results.get(("pypsa", spk))
        if ours and theirs:
            a, b = ours[0]["objective"], theirs[0]["objective"]
            assert abs(a - b) <= 1e-6 * abs(b), (a, b)
            best_ours = min(r["wall_s"] for r in ours)
            best_theirs = min(r["wall_s"] for r in theirs)
            print(f"{spk * 8760} steps: lingtan {best_ours:.2f} s, PyPSA {best_theirs:.2f} s, "
                  f"ratio {best_ours / best_theirs:.2f}; objectives equal to "
                  f"{abs(a - b) / abs(b):.1e}")  # fmt: skip
    print(json.dumps({f"{t}-{k}": v for (t, k), v in results.items()}, indent=1))


if __name__ == "__main__":
    main()
