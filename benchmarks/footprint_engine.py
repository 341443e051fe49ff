"""Benchmark: the footprint engine against bw2calc on an ecoinvent-sized generated background.

Run by hand: ``.venv/bin/python benchmarks/footprint_engine.py [--activities N] [--inputs K]
[--repeat R] [--draws D] [--bw-draws B]``. The background is
:func:`lingtan.footprint.synthetic.generated_background` (illustrative numbers with an LCA
database's structure: mostly upstream, hubs, sectors, feedback loops in small strongly
connected blocks; footprint anchors §7 row 23 on why not a uniformly random matrix), by
default 20,000 activities and about 300,000 technosphere exchanges, with distributions on 95 %
of them. Both engines get the same matrices: bw2calc reads the datapackage of
:mod:`lingtan.footprint.datapackage`.

Timed, alternating lingtan and bw2calc ``--repeat`` times (the machine is shared):

* matrices: lingtan's A, B from the product system; bw2calc's ``load_lci_data`` from the
  datapackage;
* factorise + solve of one demand: a new :class:`~lingtan.footprint.solver.Factorisation` and
  its solve; a new ``bw2calc.LCA``'s ``lci()`` on loaded matrices (PARDISO when pypardiso is
  installed: analysis, factorisation and solve);
* warm footprint: a new demand on the kept factorisation (lingtan ``Footprint.calculate``,
  score and kinds; bw2calc ``lci(demand)`` + ``lcia()`` on the same object);
* Monte Carlo: ``--draws`` draws of lingtan, ``--bw-draws`` draws of bw2calc
  (``use_distributions=True`` and ``next()``), compared per draw.

Every score is checked against bw2calc's (relative difference printed). Record the figures,
with machine, load and date, in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
import warnings
from datetime import date

import numpy as np

from lingtan.footprint.datapackage import datapackage, demand_ids
from lingtan.footprint.engine import Footprint
from lingtan.footprint.matrices import build_matrices
from lingtan.footprint.solver import Factorisation
from lingtan.footprint.synthetic import generated_background
from lingtan.footprint.uncertainty import monte_carlo

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import bw2calc


def clock(function):
    start = time.perf_counter()
    value = function()
    return time.perf_counter() - start, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--activities", type=int, default=20_000)
    parser.add_argument("--inputs", type=float, default=15.5)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--bw-draws", type=int, default=20)
    args = parser.parse_args()

    started = time.perf_counter()
    system = generated_background(args.activities, inputs_per_activity=args.inputs, seed=2026)
    generated = time.perf_counter() - started
    seconds, footprint = clock(lambda: Footprint(system))
    matrices = footprint.matrices
    technosphere = matrices.technosphere
    exchanges = technosphere.nnz - technosphere.shape[0]
    print(
        f"{args.activities} activities, {exchanges} technosphere exchanges off the diagonal, "
        f"{matrices.biosphere.nnz} biosphere; largest loop block "
        f"{footprint.factorisation.largest_block}; generated in {generated:.1f} s; "
        f"Footprint() {seconds:.2f} s"
    )
    package = datapackage(footprint)
    codes = matrices.processes
    rng = np.random.default_rng(5)
    demands = [{codes[i]: 1.0} for i in rng.choice(len(codes), 12, replace=False)]
    solver = "PARDISO" if bw2calc.PYPARDISO else ("UMFPACK" if bw2calc.UMFPACK else "SuperLU")
    print(f"bw2calc {bw2calc.__version__} with {solver}")

    times: dict[str, list[float]] = {
        key: [] for key in ("matrices", "bw_matrices", "factorise", "bw_factorise")
    }
    differences = []
    for _ in range(args.repeat):
        seconds, _ = clock(lambda: build_matrices(system))
        times["matrices"].append(seconds)
        seconds, factors = clock(lambda: Factorisation(technosphere, codes))
        f = footprint.demand_vector(demands[0])
        solve, supply = clock(lambda: factors.solve(f))  # noqa: B023
        times["factorise"].append(seconds + solve)
        lca = bw2calc.LCA(demand_ids(footprint, demands[0]), data_objs=[package])
        seconds, _ = clock(lca.load_lci_data)
        times["bw_matrices"].append(seconds)
        seconds, _ = clock(lca.lci)
        times["bw_factorise"].append(seconds)
        lca.lcia()
        ours = float(footprint.direct @ supply)
        differences.append(abs(ours / lca.score - 1))

    def warm_footprint(demand: dict[str, float]) -> float:
        result = footprint.calculate(demand)
        result.by_kind_kgco2e  # noqa: B018 (the kinds are part of a footprint)
        return result.score_kgco2e

    warm, bw_warm = [], []
    for demand in demands[1:]:
        seconds, score = clock(lambda: warm_footprint(demand))  # noqa: B023
        warm.append(seconds)
        seconds, _ = clock(lambda: (lca.lci(demand_ids(footprint, demand)), lca.lcia()))  # noqa: B023
        bw_warm.append(seconds)
        differences.append(abs(score / lca.score - 1))

    demand = demands[0]
    mc_seconds, draws = clock(lambda: monte_carlo(footprint, demand, args.draws, seed=1))
    lca = bw2calc.LCA(
        demand_ids(footprint, demand), data_objs=[package], use_distributions=True, seed_override=2
    )
    lca.lci()
    lca.lcia()
    bw_scores = []
    bw_start = time.perf_counter()
    for _ in range(args.bw_draws):
        next(lca)
        bw_scores.append(lca.score)
    bw_mc = time.perf_counter() - bw_start

    def best(key: str) -> float:
        return min(times[key])

    def median(key: str) -> float:
        return statistics.median(times[key])

    stats = draws.statistics()
    print(f"date {date.today()}  machine {platform.machine()} {os.cpu_count()} cores  "
          f"load {os.getloadavg()}  python {platform.python_version()}")  # fmt: skip
    print(f"max relative difference of the scores to bw2calc: {max(differences):.1e}")
    print(f"matrices: lingtan {best('matrices'):.2f} s (median {median('matrices'):.2f}), "
          f"bw2calc load_lci_data {best('bw_matrices'):.2f} s")  # fmt: skip
    ratio = best("factorise") / best("bw_factorise")
    print(f"factorise + solve: lingtan {best('factorise') * 1e3:.0f} ms (median "
          f"{median('factorise') * 1e3:.0f}), bw2calc {best('bw_factorise') * 1e3:.0f} ms "
          f"(median {median('bw_factorise') * 1e3:.0f}); ratio {ratio:.3f}")  # fmt: skip
    warm_ms, bw_warm_ms = statistics.median(warm) * 1e3, statistics.median(bw_warm) * 1e3
    print(f"warm footprint: lingtan median {warm_ms:.2f} ms (max {max(warm) * 1e3:.2f}), "
          f"bw2calc median {bw_warm_ms:.2f} ms")  # fmt: skip
    print(f"Monte Carlo: lingtan {args.draws} draws {mc_seconds:.1f} s "
          f"({mc_seconds / args.draws * 1e3:.0f} ms/draw); bw2calc {args.bw_draws} draws "
          f"{bw_mc:.1f} s ({bw_mc / args.bw_draws * 1e3:.0f} ms/draw, "
          f"{bw_mc / args.bw_draws * args.draws:.0f} s for {args.draws})")  # fmt: skip
    print(f"  lingtan mean {stats['mean']:.4g} sd {stats['sd']:.3g} "
          f"p2.5 {stats['p2_5']:.4g} p97.5 {stats['p97_5']:.4g}; bw2calc mean "
          f"{np.mean(bw_scores):.4g} sd {np.std(bw_scores, ddof=1):.3g}")  # fmt: skip


if __name__ == "__main__":
    main()
