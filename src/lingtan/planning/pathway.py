"""The pathway to near-zero (路线图): Scope 1 + 2 year by year from a base year to a target
year under a list of measures, and the marginal abatement cost curve of those measures.

Pure functions on plain data (no I/O); :mod:`lingtan.planning.pathway_file` reads the pathway
file and docs/planning.md documents both.

The year's emissions
    Without a production figure, activity is held at the base year's. With one, the output
    P(y) (the base year's and a growth rate, or a series) scales what the factory would emit
    before any measure, at the base year's intensity: g(y) = P(y) / P(base). In year *y*,
    with the measures active that year (``start_year <= y < start_year + lifetime_years``)::

        EF_loc(y) = EF_loc(base) · (1 − d)^(y − base)     the grid factor's decline d, given
        EF_mkt(y) = EF_mkt(base) · (1 − d)^(y − base)     by the user with its source, or
                                                          the factor of each year given
        G(y)      = G_base · g(y) − Σ electricity saved    grid electricity [MWh]
        S1(y)     = F + (S1_base − F) · g(y) − Σ Scope 1 abated
        H(y)      = H_base · g(y) − Σ heat abated          Scope 2 of purchased heat, steam
        I(y)      = min(I_base + Σ green MWh, G(y))        instruments used (绿电, 绿证)
        S2_loc(y) = G(y) · EF_loc(y) + H(y)
        S2_mkt(y) = (G(y) − I(y)) · EF_mkt(y) + H(y)

    F is the part of Scope 1 that does not follow the output (``fixed_scope1_tco2e``, e.g.
    refrigerant leaks; 0 unless given). The instruments the factory holds already (I_base)
    and the measures' figures are amounts a year: they do not scale. With production, each
    year also has its intensity, total ÷ P(y) [tCO2e per unit of product].

    Instruments cover at most the grid electricity left: those the factory holds already
    first, the new ones share the rest in proportion to their MWh (the rest is reported as
    unused). A measure's abatement is computed every year from its energy and *that* year's
    factor, so a kWh saved abates less as the grid gets cleaner. Offsets come last: they
    do not change the inventory's Scope 1 + 2; they are subtracted only in the net figure.

The target's path
    A straight line from the base year's total on the target's basis (Scope 2 location- or
    market-based) to the target, as a facility's target in :mod:`lingtan.services.overview`.
    An intensity target draws the line in intensity, from the base year's to the target's,
    and each year's allowed total is that intensity times the year's output.

The marginal abatement cost (MAC)
    For each measure, at the discount rate *r* over its lifetime *n*::

        annualised cost  C = capex · CRF(r, n) + O&M − saving            [CNY/year]
                           (a plan's: its objective less doing nothing)
        abatement        A = CRF(r, n) · Σ_{t=1..n} A_t / (1 + r)^t      [tCO2e/year]
        MAC              = C / A                                          [CNY/tCO2e]

    where A_t is the measure's abatement on the target's basis in its t-th year (with the
    interactions above); A is its levelised (discounted average) abatement, equal to A_t when
    that is the same every year. The curve orders the reductions by MAC (negative cost
    first), then the offsets: reduce first, offset what is left.

References
----------
.. [1] 工信部联节〔2026〕13号 《关于开展零碳工厂建设工作的指导意见》: reduce at the source
   and by efficiency first, offset last.
.. [2] GHG Protocol Scope 2 Guidance (2015), ch. 4 and 6: location- and market-based methods.
.. [3] NREL/TP-462-5173 (1995), §4.4 (capital recovery factor) and §4.3 (levelised values).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from lingtan.errors import InputError, InputProblem
from lingtan.i18n import N_, Message
from lingtan.planning.finance import capital_recovery_factor

__all__ = [
    "BASES",
    "KINDS",
    "KIND_NAMES",
    "STATUSES",
    "Base",
    "GridFactor",
    "MacPoint",
    "Measure",
    "PathwayProblem",
    "PathwayResult",
    "Production",
    "Target",
    "solve_pathway",
]

#: What a measure is, in the order the guidance asks for them (offsets last).
KINDS = ("efficiency", "asset", "electrification", "green_power", "offset")
#: Their names, for people.
KIND_NAMES = {
    "efficiency": N_("Energy efficiency"),
    "asset": N_("On-site assets"),
    "electrification": N_("Electrification"),
    "green_power": N_("Green power and GECs"),
    "offset": N_("Offsets"),
}
#: The basis of a target: Scope 1 + Scope 2 location- or market-based.
BASES = ("location", "market")
#: The review status of the grid factor's decline.
STATUSES = ("official", "unverified", "illustrative")


@dataclass(frozen=True)
class Base:
    """The base year's inventory, Scope 1 + 2.

    Attributes
    ----------
    scope1_tco2e : float
        Scope 1 [tCO2e/year].
    electricity_mwh : float
        Grid electricity purchased [MWh/year].
    other_scope2_tco2e : float
        Scope 2 other than grid electricity (purchased heat, steam) [tCO2e/year]: held.
    green_mwh : float
        Green power and GECs the factory holds already [MWh/year]: market-based only.
    """

    scope1_tco2e: float
    electricity_mwh: float
    other_scope2_tco2e: float = 0.0
    green_mwh: float = 0.0

    def grown(self, scale: float, fixed_scope1_tco2e: float = 0.0) -> Base:
        """The base year's inventory at *scale* times its output: Scope 1 but its fixed part,
        grid electricity and the rest of Scope 2 scale; the instruments held do not."""
        fixed = fixed_scope1_tco2e
        return Base(
            scope1_tco2e=fixed + (self.scope1_tco2e - fixed) * scale,
            electricity_mwh=self.electricity_mwh * scale,
            other_scope2_tco2e=self.other_scope2_tco2e * scale,
            green_mwh=self.green_mwh,
        )

    def totals_tco2e(self, location: float, market: float) -> tuple[float, float]:
        """Scope 1 + 2 (location-, market-based) [tCO2e] with no measure, at the grid
        factors *location* and *market* [tCO2/MWh]: the instruments held cover at most the
        grid electricity."""
        covered = min(self.green_mwh, self.electricity_mwh)
        fixed = self.scope1_tco2e + self.other_scope2_tco2e
        return (
            fixed + self.electricity_mwh * location,
            fixed + (self.electricity_mwh - covered) * market,
        )


@dataclass(frozen=True)
class GridFactor:
    """The grid's emission factor in the base year and its expected decline, as a rate or as
    the factor of each year: an assumption the user gives with its source (lingtan ships no
    projection).

    Attributes
    ----------
    decline_pct_per_year : float or None
        The decline a year [%]; None when ``by_year`` is given.
    by_year : tuple, optional
        ``(year, location, market, source)`` for every year after the base year up to the
        target's; a year after the last (a measure's life beyond the target) keeps the last.
    """

    location_tco2_per_mwh: float
    market_tco2_per_mwh: float
    decline_pct_per_year: float | None
    source: str
    status: str
    by_year: tuple[tuple[int, float, float, str], ...] = ()

    def factors(self, year: int, base_year: int) -> tuple[float, float]:
        """(location, market) [tCO2/MWh] in *year*."""
        if self.by_year and year > base_year:
            given = {y: (loc, mkt) for y, loc, mkt, _ in self.by_year}
            return given[min(year, max(given))]
        kept = (1.0 - (self.decline_pct_per_year or 0.0) / 100.0) ** (year - base_year)
        return self.location_tco2_per_mwh * kept, self.market_tco2_per_mwh * kept

    def as_dict(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["by_year"] = [
            {"year": y, "location_tco2_per_mwh": loc, "market_tco2_per_mwh": mkt, "source": src}
            for y, loc, mkt, src in self.by_year
        ]
        return data


@dataclass(frozen=True)
class Production:
    """The factory's output: the base year's, and a growth rate or the output of each year.

    Attributes
    ----------
    unit : str
        The unit of product (``t``, ``pieces``, ``kWh of cells``): intensities are per unit.
    base : float
        The base year's output [unit/year], above 0.
    growth_pct_per_year : float or None
        The growth a year [%]; None when ``by_year`` is given.
    by_year : tuple, optional
        ``(year, output)`` for every year after the base year up to the target's; a year
        after the last keeps the last.
    fixed_scope1_tco2e : float
        The part of the base year's Scope 1 that does not follow the output [tCO2e/year].
    """

    unit: str
    base: float
    growth_pct_per_year: float | None = None
    by_year: tuple[tuple[int, float], ...] = ()
    fixed_scope1_tco2e: float = 0.0

    def output(self, year: int, base_year: int) -> float:
        """The output of *year* [unit/year]."""
        if self.by_year and year > base_year:
            given = dict(self.by_year)
            return given[min(year, max(given))]
        return self.base * (1.0 + (self.growth_pct_per_year or 0.0) / 100.0) ** (year - base_year)

    def as_dict(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["by_year"] = [{"year": y, "output": p} for y, p in self.by_year]
        return data


@dataclass(frozen=True)
class Target:
    """Scope 1 + 2 on ``basis`` at most ``tco2e`` in ``year``; an intensity target also has
    ``intensity_tco2e_per_unit`` (``tco2e`` is then that intensity times the year's output)."""

    year: int
    tco2e: float
    basis: str = "location"
    intensity_tco2e_per_unit: float | None = None


@dataclass(frozen=True)
class Measure:
    """One measure of the pathway: what it costs and what it changes, per year.

    Attributes
    ----------
    electricity_mwh_per_year : float
        Grid electricity saved [MWh/year]; negative: more (electrification).
    scope1_tco2e_per_year : float
        Scope 1 abated [tCO2e/year] (fuel no longer burnt); negative: more.
    heat_tco2e_per_year : float
        Scope 2 of purchased heat or steam abated [tCO2e/year] (its factor held).
    green_mwh_per_year : float
        Green power or GECs bought [MWh/year]: market-based Scope 2 only.
    offset_tco2e_per_year : float
        Carbon credits retired [tCO2e/year]: the net figure only.
    capex_cny, om_cny_per_year, saving_cny_per_year : float
        Investment in ``start_year`` [CNY]; fixed cost and energy-cost saving per year active
        [CNY/year].
    annualised_cost_cny_per_year : float, optional
        The measure's annualised net cost when it is known better than from its capex and one
        lifetime [CNY/year]: a plan's (its objective less doing nothing, each asset
        annualised over its own life and bought again as often as it wears out).
    origin : str
        Where it comes from: ``file``, ``store:<code>``, ``plan:<file>``.
    """

    id: str
    kind: str
    start_year: int
    lifetime_years: int
    title: str = ""
    capex_cny: float = 0.0
    om_cny_per_year: float = 0.0
    saving_cny_per_year: float = 0.0
    electricity_mwh_per_year: float = 0.0
    scope1_tco2e_per_year: float = 0.0
    heat_tco2e_per_year: float = 0.0
    green_mwh_per_year: float = 0.0
    offset_tco2e_per_year: float = 0.0
    reason: str | None = None
    annualised_cost_cny_per_year: float | None = None
    origin: str = "file"

    def active(self, year: int) -> bool:
        return self.start_year <= year < self.start_year + self.lifetime_years


@dataclass(frozen=True)
class PathwayProblem:
    base_year: int
    base: Base
    grid: GridFactor
    target: Target
    measures: tuple[Measure, ...]
    discount_rate: float
    origin: str = "pathway"
    production: Production | None = None


@dataclass(frozen=True)
class MacPoint:
    """One measure on the MAC curve (or off it: ``mac_cny_per_tco2e`` None)."""

    id: str
    title: str
    kind: str
    annualised_cost_cny_per_year: float
    abatement_tco2e_per_year: float
    mac_cny_per_tco2e: float | None
    cumulative_start_tco2e: float | None = None
    cumulative_end_tco2e: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class PathwayResult:
    """The pathway: one row per year from the base year to the target year, the abatement of
    each measure per year, and the MAC curve."""

    base_year: int
    target: Target
    grid: GridFactor
    discount_rate: float
    years: list[dict[str, Any]]
    abatement: dict[str, dict[str, list[float]]]
    mac: list[MacPoint]
    off_curve: list[MacPoint]
    measures: tuple[Measure, ...] = field(repr=False, default=())
    production: Production | None = None

    @property
    def target_year_row(self) -> dict[str, Any]:
        return self.years[-1]

    def as_dict(self) -> dict[str, Any]:
        """The JSON of ``lingtan plan pathway``."""
        last = self.target_year_row
        return {
            "base_year": self.base_year,
            "target": dict(self.target.__dict__),
            "grid_factor": self.grid.as_dict(),
            "discount_rate": self.discount_rate,
            "production": None if self.production is None else self.production.as_dict(),
            "target_met": last["gap_tco2e"] <= 1e-9,
            "target_met_with_offsets": last["gap_after_offsets_tco2e"] <= 1e-9,
            "years": self.years,
            "measures": [
                {**m.__dict__, "abatement_tco2e": self.abatement[m.id]} for m in self.measures
            ],
            "mac_curve": [p.as_dict() for p in self.mac],
            "off_curve": [p.as_dict() for p in self.off_curve],
        }


def _refuse(problem: PathwayProblem, field_: str, value: Any, rule: Message) -> None:
    raise InputError(InputProblem(problem.origin, field_, value, rule), origin=problem.origin)


def _year(problem: PathwayProblem, year: int, active: list[Measure]) -> dict[str, Any]:
    """The emissions of *year* with the *active* measures, and each one's abatement."""
    base, made = problem.base, problem.production
    output = None
    if made is not None:
        output = made.output(year, problem.base_year)
        base = base.grown(output / made.base, made.fixed_scope1_tco2e)
    loc, mkt = problem.grid.factors(year, problem.base_year)
    grid = base.electricity_mwh - sum(m.electricity_mwh_per_year for m in active)
    if grid < -1e-9:
        rule = (
            Message("the measures of %(year)d save more grid electricity than the base year's "
                    "%(mwh)g MWh", year=year, mwh=base.electricity_mwh)
            if made is None
            else Message("the measures of %(year)d save more grid electricity than the %(mwh)g "
                         "MWh of that year's output", year=year, mwh=base.electricity_mwh)
        )  # fmt: skip
        _refuse(problem, "measures", [m.id for m in active], rule)
    grid = max(grid, 0.0)
    scope1 = base.scope1_tco2e - sum(m.scope1_tco2e_per_year for m in active)
    if scope1 < -1e-9:
        rule = (
            Message("the measures of %(year)d abate more Scope 1 than the base year's %(t)g "
                    "tCO2e", year=year, t=base.scope1_tco2e)
            if made is None
            else Message("the measures of %(year)d abate more Scope 1 than the %(t)g tCO2e of "
                         "that year's output", year=year, t=base.scope1_tco2e)
        )  # fmt: skip
        _refuse(problem, "measures", [m.id for m in active], rule)
    scope1 = max(scope1, 0.0)
    other = base.other_scope2_tco2e - sum(m.heat_tco2e_per_year for m in active)
    if other < -1e-9:
        rule = (
            Message("the measures of %(year)d abate more Scope 2 of heat than the base year's "
                    "%(t)g tCO2e", year=year, t=base.other_scope2_tco2e)
            if made is None
            else Message("the measures of %(year)d abate more Scope 2 of heat than the %(t)g "
                         "tCO2e of that year's output", year=year, t=base.other_scope2_tco2e)
        )  # fmt: skip
        _refuse(problem, "measures", [m.id for m in active], rule)
    held = min(base.green_mwh, grid)
    wanted = sum(m.green_mwh_per_year for m in active)
    room = grid - held
    share = min(1.0, room / wanted) if wanted > 0 else 0.0
    used = held + share * wanted
    location = {}
    market = {}
    for m in active:
        fixed = m.scope1_tco2e_per_year + m.heat_tco2e_per_year + m.offset_tco2e_per_year
        location[m.id] = fixed + m.electricity_mwh_per_year * loc
        market[m.id] = fixed + (m.electricity_mwh_per_year + share * m.green_mwh_per_year) * mkt
    s2_loc = grid * loc + other
    s2_mkt = (grid - used) * mkt + other
    bau_loc, bau_mkt = base.totals_tco2e(loc, mkt)
    grown = {} if output is None else {"production": output}
    return {
        "year": year,
        **grown,
        "grid_factor_location_tco2_per_mwh": loc,
        "grid_factor_market_tco2_per_mwh": mkt,
        "grid_electricity_mwh": grid,
        "instruments_used_mwh": used,
        "instruments_unused_mwh": base.green_mwh + wanted - used,
        "bau_location_tco2e": bau_loc,
        "bau_market_tco2e": bau_mkt,
        "scope1_tco2e": scope1,
        "scope2_location_tco2e": s2_loc,
        "scope2_market_tco2e": s2_mkt,
        "total_location_tco2e": scope1 + s2_loc,
        "total_market_tco2e": scope1 + s2_mkt,
        "offsets_tco2e": sum(m.offset_tco2e_per_year for m in active),
        "capex_cny": 0.0,
        "om_cny": sum(m.om_cny_per_year for m in active),
        "saving_cny": sum(m.saving_cny_per_year for m in active),
        "_location": location,
        "_market": market,
    }


def solve_pathway(problem: PathwayProblem) -> PathwayResult:
    """The pathway of *problem*: see the module's formulas.

    Returns
    -------
    PathwayResult
        ``years``: per year from ``base_year`` to the target's year, the grid factors, grid
        electricity and instruments [MWh], the business-as-usual totals (no measure, the
        grid's decline only), Scope 1, Scope 2 both ways and their totals, offsets, the net on
        the target's basis, the target's path and the gap [tCO2e], and the cost [CNY]:
        ``capex_cny`` (the year's investments), ``om_cny``, ``saving_cny``, ``net_cost_cny``
        (capex + O&M − saving). ``abatement``: per measure, ``location`` and ``market``
        [tCO2e] per year of ``years``. ``mac``: the curve; ``off_curve``: measures without a
        positive levelised abatement (no MAC).

    Raises
    ------
    InputError
        The measures save more grid electricity or Scope 1 than the base year has.
    """
    base_year, target = problem.base_year, problem.target
    last = max(
        [target.year, *(m.start_year + m.lifetime_years - 1 for m in problem.measures)],
    )
    rows = [
        _year(problem, y, [m for m in problem.measures if m.active(y)])
        for y in range(base_year, last + 1)
    ]
    for m in problem.measures:
        rows[m.start_year - base_year]["capex_cny"] += m.capex_cny
    basis = target.basis
    start_total = rows[0][f"total_{basis}_tco2e"]
    span = target.year - base_year
    shown = rows[: span + 1]
    for row in shown:
        share = (row["year"] - base_year) / span
        if target.intensity_tco2e_per_unit is None:
            path = start_total + (target.tco2e - start_total) * share
        else:  # the line in intensity, times the year's output
            start = start_total / rows[0]["production"]
            path = (start + (target.intensity_tco2e_per_unit - start) * share) * row["production"]
        total = row[f"total_{basis}_tco2e"]
        row["net_tco2e"] = total - row["offsets_tco2e"]
        row["target_tco2e"] = path
        row["gap_tco2e"] = total - path
        row["gap_after_offsets_tco2e"] = row["net_tco2e"] - path
        row["net_cost_cny"] = row["capex_cny"] + row["om_cny"] - row["saving_cny"]
        if "production" in row:
            made = row["production"]
            for key in ("total_location", "total_market", "net", "target", "bau_location",
                        "bau_market"):  # fmt: skip
                row[f"{key.replace('total_', '')}_intensity_tco2e_per_unit"] = (
                    row[f"{key}_tco2e"] / made
                )
        reductions = [m.id for m in problem.measures if m.kind != "offset"]
        for b in BASES:  # what the measures' own abatements do not explain (instruments
            # held already beyond the grid electricity left); 0 in a usual pathway
            explained = math.fsum(row[f"_{b}"].get(i, 0.0) for i in reductions)
            row[f"interaction_{b}_tco2e"] = (
                row[f"bau_{b}_tco2e"] - row[f"total_{b}_tco2e"] - explained
            )
    abatement = {
        m.id: {b: [row[f"_{b}"].get(m.id, 0.0) for row in shown] for b in BASES}
        for m in problem.measures
    }
    points = [_mac_point(problem, m, rows) for m in problem.measures]
    for row in rows:
        del row["_location"], row["_market"]
    on = [p for p in points if p.mac_cny_per_tco2e is not None]
    on.sort(key=lambda p: (p.kind == "offset", p.mac_cny_per_tco2e, p.id))
    curve, cumulative = [], 0.0
    for p in on:
        end = cumulative + p.abatement_tco2e_per_year
        curve.append(
            MacPoint(**{**p.__dict__, "cumulative_start_tco2e": cumulative,
                        "cumulative_end_tco2e": end})
        )  # fmt: skip
        cumulative = end
    return PathwayResult(
        base_year=base_year,
        target=target,
        grid=problem.grid,
        discount_rate=problem.discount_rate,
        years=shown,
        abatement=abatement,
        mac=curve,
        off_curve=[p for p in points if p.mac_cny_per_tco2e is None],
        measures=problem.measures,
        production=problem.production,
    )


def _mac_point(problem: PathwayProblem, m: Measure, rows: list[dict[str, Any]]) -> MacPoint:
    """The measure's annualised cost, levelised abatement on the target's basis and MAC."""
    r, n = problem.discount_rate, m.lifetime_years
    crf = capital_recovery_factor(discount_rate=r, lifetime_years=n)
    cost = m.annualised_cost_cny_per_year
    if cost is None:
        cost = m.capex_cny * crf + m.om_cny_per_year - m.saving_cny_per_year
    key = f"_{problem.target.basis}"
    first = m.start_year - problem.base_year
    yearly = [rows[first + t][key][m.id] for t in range(n)]
    abated = crf * math.fsum(a / (1.0 + r) ** (t + 1) for t, a in enumerate(yearly))
    mac = cost / abated if abated > 1e-12 else None
    return MacPoint(m.id, m.title, m.kind, cost, abated, mac)
