"""Energy baselines of 1,000 meters x 3 years of daily data (issue 12; goal < 10 s on 2 cores).

    .venv/bin/python benchmarks/bench_efficiency_baseline.py [--meters 1000] [--repeat 3]
        [--peer-meters 10] [--eemeter-path DIR]

Compares, in one run:

* lingtan ``fit_baselines(model="auto")``: the change-point grid (production-only, 3P heating,
  3P cooling, 5P) is one least-squares solve per candidate for all meters at once, then one
  statsmodels OLS per meter for its p-values and F-test;
* the plain loop a user would write instead: statsmodels OLS at every candidate of every meter
  (on ``--peer-meters`` meters, scaled to all), checked to pick the same model and coefficients;
* OpenEEmeter's CalTRACK daily model (``eemeter`` 4.1.1, ``DailyModel(model="legacy")``) on the
  same subset, when it can be imported: it needs pandas < 3, so ``--eemeter-path`` may name a
  directory holding pandas 2 (``pip install --target DIR --no-deps "pandas<3"``); it runs in a
  subprocess. Its annual prediction is compared with lingtan's.

Synthetic data: one weather station (a seasonal daily mean temperature with noise), each meter
its own base load, heating and cooling slopes and balance points, and noise.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

from lingtan.efficiency import baseline as bl


def synthetic(meters: int, seed: int = 5):
    rng = np.random.default_rng(seed)
    days = np.arange("2022-01-01", "2025-01-01", dtype="datetime64[D]")
    doy = np.arange(days.size)
    temperature = 16 - 12 * np.cos(2 * np.pi * (doy - 15) / 365.25) + rng.normal(0, 3, days.size)
    base = rng.uniform(100, 1000, (meters, 1))
    heat = rng.uniform(0, 30, (meters, 1)) * (rng.random((meters, 1)) < 0.8)
    cool = rng.uniform(0, 40, (meters, 1)) * (rng.random((meters, 1)) < 0.8)
    tau_h = rng.uniform(10, 15, (meters, 1))
    tau_c = rng.uniform(20, 24, (meters, 1))
    energy = (
        base
        + heat * np.maximum(tau_h - temperature, 0)
        + cool * np.maximum(temperature - tau_c, 0)
        + rng.normal(0, 1, (meters, days.size)) * 0.05 * base
    )
    return days, temperature, energy


def statsmodels_loop(days, temperature, energy, grid):
    """The peer: statsmodels OLS at each candidate of each meter, best adjusted R² among the
    forms (least SSE within a form), positive weather slopes only."""
    import statsmodels.api as sm

    n = days.size
    hdd = {t: np.maximum(t - temperature, 0) for t in grid}
    cdd = {t: np.maximum(temperature - t, 0) for t in grid}
    forms = {
        "production": [((), 0)],
        "3p_heating": [((hdd[t],), 1) for t in grid],
        "3p_cooling": [((cdd[t],), 1) for t in grid],
        "5p": [((hdd[a], cdd[b]), 2) for i, a in enumerate(grid) for b in grid[i + 1 :]],
    }
    labels = {
        "3p_heating": [(t, None) for t in grid],
        "3p_cooling": [(None, t) for t in grid],
        "5p": [(a, b) for i, a in enumerate(grid) for b in grid[i + 1 :]],
        "production": [(None, None)],
    }
    out = []
    for y in energy:
        best = (-np.inf, None)
        for form, candidates in forms.items():
            form_best = None
            for index, (columns, cps) in enumerate(candidates):
                x = np.column_stack([np.ones(n), *columns])
                fit = sm.OLS(y, x).fit()
                if columns and (fit.params[1:] <= 0).any():
                    continue
                if form_best is None or fit.ssr < form_best[0]:
                    form_best = (fit.ssr, index, fit, x.shape[1] + cps)
            if form_best is None:
                continue
            ssr, index, fit, p = form_best
            adjusted = 1 - (ssr / (n - p)) / (((y - y.mean()) ** 2).sum() / (n - 1))
            if adjusted > best[0]:
                best = (adjusted, (form, labels[form][index], fit.params))
        out.append(best[1])
    return out


EEMETER_SCRIPT = r"""
import json, sys, time, warnings
import numpy as np, pandas as pd
warnings.filterwarnings("ignore")
from eemeter.eemeter.models import DailyModel, DailyBaselineData
data = json.load(open(sys.argv[1]))
index = pd.date_range(data["start"], periods=len(data["temperature_c"]), freq="D",
                      tz="Asia/Shanghai")
temperature_f = np.array(data["temperature_c"]) * 9 / 5 + 32
t0 = time.perf_counter()
annual = []
for y in data["energy"]:
    frame = pd.DataFrame({"observed": y, "temperature": temperature_f}, index=index)
    baseline = DailyBaselineData(frame, is_electricity_data=True)
    model = DailyModel(model="legacy").fit(baseline, ignore_disqualification=True)
    annual.append(float(model.predict(baseline, ignore_disqualification=True)["predicted"].sum()))
print(json.dumps({"seconds": time.perf_counter() - t0, "total": annual,
                  "pandas": pd.__version__}))
"""


def eemeter_peer(days, temperature, energy, path: str | None):
    env = dict(os.environ)
    if path:
        env["PYTHONPATH"] = path + os.pathsep + env.get("PYTHONPATH", "")
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "data.json")
        script = os.path.join(tmp, "peer.py")
        with open(data, "w") as handle:
            json.dump(
                {
                    "start": str(days[0]),
                    "temperature_c": temperature.tolist(),
                    "energy": energy.tolist(),
                },
                handle,
            )
        with open(script, "w") as handle:
            handle.write(EEMETER_SCRIPT)
        run = subprocess.run(
            [sys.executable, script, data], capture_output=True, text=True, env=env, timeout=1800
        )
    if run.returncode:
        return {"error": run.stderr.strip().splitlines()[-1] if run.stderr else "failed"}
    return json.loads(run.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--meters", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--peer-meters", type=int, default=10)
    parser.add_argument("--eemeter-path", default=None)
    args = parser.parse_args()

    days, temperature, energy = synthetic(args.meters)
    print(
        f"{platform.machine()} {platform.processor() or ''} {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, numpy {np.__version__}"
    )
    print(f"{args.meters} meters x {days.size} days")
    options = {"min_points": 328}
    start = time.perf_counter()  # the first call imports statsmodels and scipy.stats
    bl.fit_baselines(days=days, energy=energy[:1], temperature_c=temperature, **options)
    print(f"first call, 1 meter (imports statsmodels): {time.perf_counter() - start:.2f} s")
    timings = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        results = bl.fit_baselines(days=days, energy=energy, temperature_c=temperature, **options)
        timings.append(time.perf_counter() - start)
    fitted = [r for r in results if isinstance(r, bl.Baseline)]
    forms = {}
    for r in fitted:
        forms[r.model] = forms.get(r.model, 0) + 1
    print(
        f"lingtan fit_baselines(auto): best {min(timings):.2f} s, median "
        f"{statistics.median(timings):.2f} s; {len(fitted)} fitted, "
        f"{sum(r.valid for r in fitted)} valid; forms {forms}"
    )

    subset = slice(0, args.peer_meters)
    grid = np.arange(
        np.floor(np.percentile(temperature, 10)), np.ceil(np.percentile(temperature, 90)) + 0.5, 1.0
    )
    start = time.perf_counter()
    peer = statsmodels_loop(days, temperature, energy[subset], grid)
    loop_s = time.perf_counter() - start
    per_meter = loop_s / args.peer_meters
    same = 0
    for ours, theirs in zip(results[subset], peer, strict=True):
        form, (tau_h, tau_c), params = theirs
        mine = [ours.coefficients[k] for k in ("intercept", *ours.variables)]
        if (
            ours.model == form
            and (ours.heating_change_point_c, ours.cooling_change_point_c) == (tau_h, tau_c)
            and np.allclose(mine, params, rtol=1e-8)
        ):
            same += 1
    print(
        f"statsmodels loop ({len(grid)} change points, all forms): {loop_s:.2f} s for "
        f"{args.peer_meters} meters = {per_meter:.2f} s/meter, x{args.meters} = "
        f"{per_meter * args.meters:.0f} s; same model and coefficients: "
        f"{same}/{args.peer_meters}"
    )

    peer = eemeter_peer(days, temperature, energy[subset], args.eemeter_path)
    if "error" in peer:
        print(f"eemeter legacy daily model: not run ({peer['error']})")
    else:
        ours_total = []
        for r in results[subset]:
            _, expected = bl.expected_energy(
                r, days=days, temperature_c=temperature, check_range=False
            )
            ours_total.append(expected.sum())
        gap = np.abs(np.array(peer["total"]) / np.array(ours_total) - 1)
        per = peer["seconds"] / args.peer_meters
        print(
            f"eemeter 4.1.1 legacy daily model (pandas {peer['pandas']}): {peer['seconds']:.2f} s"
            f" for {args.peer_meters} meters = {per:.2f} s/meter, x{args.meters} = "
            f"{per * args.meters:.0f} s; baseline-period prediction vs lingtan: max "
            f"{100 * gap.max():.3f} %, median {100 * np.median(gap):.3f} %"
        )


if __name__ == "__main__":
    main()
