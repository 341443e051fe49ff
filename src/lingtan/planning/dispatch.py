"""A day-ahead dispatch plan for existing storage against time-of-use prices, and the
cost–emissions trade-off of a sizing problem: both built on :func:`solve_sizing`.

The dispatch is rolling: each day a window of 24–48 h from that day's start is optimised with
the battery's and the PV's sizes fixed, starting from the state of charge the day before
ended with and ending no lower (so that a day does not spend the next one's energy); the
first 24 h are kept and the next day starts from where they end. The load and PV of the
problem's files stand for the forecast. It is a schedule to recommend: lingtan never
actuates (design principle 9).

References
----------
.. [1] EMHASS documentation, "day-ahead optimisation and model predictive control" (a
   day-ahead plan re-run on a rolling horizon).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from lingtan.planning.finance import Asset
from lingtan.planning.sizing import SizingProblem, SizingResult, solve_sizing

__all__ = ["DISPATCH_KEYS", "pareto_front", "rolling_dispatch", "window"]

#: The per-step values of a dispatch plan (the keys of :attr:`SizingResult.dispatch`).
DISPATCH_KEYS = (
    "load_kw",
    "pv_kw",
    "grid_import_kw",
    "export_kw",
    "charge_kw",
    "discharge_kw",
    "soc_kwh",
)


def window(problem: SizingProblem, start: int, stop: int) -> SizingProblem:
    """The problem on steps ``start`` to ``stop`` (exclusive): every per-step array sliced."""
    cut = slice(start, stop)

    def part(values):
        return None if values is None else np.asarray(values)[cut]

    heat = problem.heat
    if heat is not None:
        heat = replace(heat, load_kw=heat.load_kw[cut], cop=part(heat.cop))
    return replace(
        problem,
        load_kw=problem.load_kw[cut],
        import_price_cny_per_kwh=problem.import_price_cny_per_kwh[cut],
        pv_cf=part(problem.pv_cf),
        wind_cf=part(problem.wind_cf),
        export_price_cny_per_kwh=part(problem.export_price_cny_per_kwh),
        month_of_step=part(problem.month_of_step),
        heat=heat,
    )


def _fixed(units: float) -> Asset:
    """An existing asset: its size fixed, nothing to invest."""
    return Asset(0.0, 1.0, 0.0, max_units=units, min_units=units)


def rolling_dispatch(
    problem: SizingProblem,
    *,
    battery_kwh: float,
    battery_kw: float,
    pv_kw: float = 0.0,
    start_step: int = 0,
    days: int = 1,
    window_h: float = 48.0,
    initial_soc_kwh: float | None = None,
) -> dict[str, np.ndarray]:
    """The recommended dispatch of an existing battery (and PV) for ``days`` days.

    Parameters
    ----------
    problem : SizingProblem
        Its load, prices, PV capacity factor, battery efficiencies and SOC limits, grid rules;
        heat, wind, instruments, the demand charge and yearly rules are left out (a day's plan
        does not know the month's peak or the year's totals).
    battery_kwh, battery_kw : float
        The battery installed [kWh], [kW], > 0.
    pv_kw : float, default 0
        The PV installed [kWp].
    start_step : int
        The first step of the plan.
    days : int
        How many days to plan, ≥ 1.
    window_h : float
        The horizon optimised each day [h], 24–48.
    initial_soc_kwh : float, optional
        The energy stored at the start [kWh]; default: the lowest allowed.

    Returns
    -------
    dict of numpy.ndarray
        Per step of the days planned: :data:`DISPATCH_KEYS` and ``price_cny_per_kwh``.
    """
    if problem.battery is None:
        raise ValueError("a battery is needed for a dispatch plan")
    if not 24 <= window_h <= 48:
        raise ValueError("window_h must be from 24 to 48 h")
    if days < 1 or battery_kwh <= 0 or battery_kw <= 0 or pv_kw < 0:
        raise ValueError("days >= 1, battery_kwh > 0, battery_kw > 0, pv_kw >= 0")
    day = round(24 / problem.step_h)
    span = round(window_h / problem.step_h)
    b = problem.battery
    low, high = b.soc_min * battery_kwh, b.soc_max * battery_kwh
    soc = low if initial_soc_kwh is None else float(initial_soc_kwh)
    if not low - 1e-9 <= soc <= high + 1e-9:
        raise ValueError(f"initial_soc_kwh must be from {low:g} to {high:g} kWh")
    base = replace(
        problem,
        pv=_fixed(pv_kw) if pv_kw > 0 and problem.pv_cf is not None else None,
        wind=None,
        wind_cf=None,
        heat=None,
        green_power=None,
        gec=None,
        demand_charge_cny_per_kw_month=None,
        month_of_step=None,
        capacity_charge_cny_per_year=0.0,
        min_renewable_share=None,
        max_emissions_tco2e=None,
        min_self_consumption_share=None,
        max_export_share=None,
    )
    kept: dict[str, list[np.ndarray]] = {key: [] for key in (*DISPATCH_KEYS, "price_cny_per_kwh")}
    for k in range(days):
        first = start_step + k * day
        last = min(first + span, problem.steps)
        if last - first < day:
            raise ValueError("the plan runs past the end of the load file")
        part = window(base, first, last)
        part = replace(
            part,
            battery=replace(
                b, energy=_fixed(battery_kwh), power=_fixed(battery_kw), hours=None,
                initial_soc_kwh=soc,
            ),
        )  # fmt: skip
        result = solve_sizing(part)
        for key in DISPATCH_KEYS:
            kept[key].append(result.dispatch[key][:day])
        kept["price_cny_per_kwh"].append(part.import_price_cny_per_kwh[:day])
        soc = float(result.dispatch["soc_kwh"][day - 1])
    return {key: np.concatenate(values) for key, values in kept.items()}


def pareto_front(problem: SizingProblem, *, points: int = 5) -> list[tuple[float, SizingResult]]:
    """The least cost at each of ``points`` emissions caps, from the cap-free optimum's
    emissions down to the least the problem can emit.

    The least is found by a solve with a cap of 0, whose emissions slack (priced far above any
    cost) makes the optimum emit as little as the problem allows; the caps are spaced evenly
    between it and the cap-free optimum's market-based emissions.

    Parameters
    ----------
    problem : SizingProblem
        Its own ``max_emissions_tco2e`` is replaced by each cap.
    points : int
        ≥ 2.

    Returns
    -------
    list of (cap [tCO2e/year], SizingResult)
        From the highest cap to the lowest.
    """
    if points < 2:
        raise ValueError("points must be >= 2")
    free = solve_sizing(replace(problem, max_emissions_tco2e=None))
    least = solve_sizing(replace(problem, max_emissions_tco2e=0.0))
    high, low = free.emissions_market_tco2e, least.emissions_market_tco2e
    low = low + 1e-6 * max(1.0, abs(low))  # what HiGHS reached, with room for its tolerance
    front = [(high, free)]
    for cap in np.linspace(high, low, points)[1:]:
        front.append((float(cap), solve_sizing(replace(problem, max_emissions_tco2e=float(cap)))))
    return front
