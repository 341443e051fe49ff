"""What replacing a below-grade-1 item by a grade-1 one would save a year.

The saving is estimated from the nameplate, the item's hours and its load, against the grade-1
threshold of the table row that graded it (a grade-1 replacement is taken to be exactly at the
threshold, the least a grade-1 product must reach):

* motor: output power P = rated_power_kw × load_factor; saved = P × hours × (1/η − 1/η₁)
  (efficiencies as fractions; the rated efficiency is taken for the part load too);
* transformer: saved = (P0 − P0₁) × hours + (Pk − Pk₁) × load_factor² × hours (load losses go
  with the square of the load; ``hours`` are the energised hours);
* air compressor: input energy E = rated_power_kw × load_factor × hours; for the same air,
  power goes with the packaged specific power: saved = E × (1 − SP₁/SP).

Energy saved in tce uses the equivalent value of electricity of GB/T 2589 (0.1229 kgce/kWh in
the factor library); tCO2 a grid emission factor and CNY a tariff the caller gives; simple payback
is the replacement cost over the yearly CNY saved.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lingtan.efficiency.grading import Grade, Level
from lingtan.efficiency.standards import Threshold

__all__ = ["Replacement", "replacement_estimate"]

_BELOW_GRADE_1 = (Level.LEVEL_2, Level.LEVEL_3, Level.NOT_COMPLIANT)


@dataclass(frozen=True, slots=True)
class Replacement:
    """The yearly saving of a grade-1 replacement (None where an input was not given)."""

    energy_saved_kwh_per_year: float
    energy_saved_tce_per_year: float
    emissions_saved_tco2_per_year: float | None
    cost_saved_cny_per_year: float | None
    investment_cny: float | None
    payback_years: float | None


def _grade_1(grade: Grade, metric: str) -> Threshold | None:
    for judged in grade.metrics:
        if judged.metric == metric:
            for row in judged.thresholds:
                if row.level == 1 and row.value is not None:
                    return row
    return None


def _number(item: Mapping[str, Any], name: str) -> float | None:
    value = item.get(name)
    return None if value is None else float(value)


def _energy_saved_kwh(item: Mapping[str, Any], grade: Grade) -> float | None:
    hours = _number(item, "running_hours_per_year")
    load = _number(item, "load_factor")
    if hours is None or load is None:
        return None
    kind = item.get("type")
    if kind in ("motor", "pm_motor", "hv_motor"):
        best = _grade_1(grade, "efficiency_pct")
        power, efficiency = _number(item, "rated_power_kw"), _number(item, "efficiency_pct")
        if best is None or power is None or efficiency is None:
            return None
        assert best.value is not None
        return power * load * hours * (100.0 / efficiency - 100.0 / best.value)
    if kind == "transformer":
        p0_best, pk_best = _grade_1(grade, "no_load_loss_kw"), _grade_1(grade, "load_loss_kw")
        p0, pk = _number(item, "no_load_loss_kw"), _number(item, "load_loss_kw")
        if p0_best is None or pk_best is None or p0 is None or pk is None:
            return None
        assert p0_best.value is not None and pk_best.value is not None
        return (p0 - p0_best.value) * hours + (pk - pk_best.value) * load**2 * hours
    if kind == "air_compressor":
        best = _grade_1(grade, "specific_power_kw_per_m3_min")
        power = _number(item, "rated_power_kw")
        specific = _number(item, "specific_power_kw_per_m3_min")
        if best is None or power is None or specific is None:
            return None
        assert best.value is not None
        return power * load * hours * (1.0 - best.value / specific)
    return None


def replacement_estimate(
    item: Mapping[str, Any],
    grade: Grade,
    *,
    kgce_per_kwh: float,
    grid_tco2_per_mwh: float | None = None,
    tariff_cny_per_kwh: float | None = None,
) -> Replacement | None:
    """The yearly saving of replacing ``item`` by a grade-1 one, or None when the item is at
    grade 1 already, is not graded, or lacks what the estimate needs.

    Parameters
    ----------
    item : mapping
        A register item (:mod:`lingtan.efficiency.register`): its type, nameplate
        (``rated_power_kw`` [kW], ``efficiency_pct`` [%], ``no_load_loss_kw`` and
        ``load_loss_kw`` [kW], ``specific_power_kw_per_m3_min`` [kW/(m³/min)]),
        ``running_hours_per_year`` [h], ``load_factor`` [1] and, for the payback,
        ``replacement_cost_cny`` [CNY].
    grade : Grade
        The item's grade (:func:`lingtan.efficiency.grading.grade`).
    kgce_per_kwh : float
        Standard coal per kWh of electricity [kgce/kWh] (GB/T 2589 equivalent value: 0.1229).
    grid_tco2_per_mwh : float, optional
        Grid emission factor [tCO2/MWh].
    tariff_cny_per_kwh : float, optional
        Electricity price [CNY/kWh].

    References
    ----------
    GB/T 2589 Appendix A (electricity, equivalent value 0.1229 kgce/kWh); GB 18613-2020,
    GB 20052-2024, GB 19153-2019 (the grade-1 thresholds).
    """
    if grade.level not in _BELOW_GRADE_1:
        return None
    saved = _energy_saved_kwh(item, grade)
    if saved is None:
        return None
    emissions = saved / 1000.0 * grid_tco2_per_mwh if grid_tco2_per_mwh is not None else None
    cost = saved * tariff_cny_per_kwh if tariff_cny_per_kwh is not None else None
    investment = _number(item, "replacement_cost_cny")
    payback = (
        investment / cost if investment is not None and cost is not None and cost > 0 else None
    )
    return Replacement(
        energy_saved_kwh_per_year=saved,
        energy_saved_tce_per_year=saved * kgce_per_kwh / 1000.0,
        emissions_saved_tco2_per_year=emissions,
        cost_saved_cny_per_year=cost,
        investment_cny=investment,
        payback_years=payback,
    )
