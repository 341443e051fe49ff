"""The pathway file of ``lingtan plan pathway``: YAML giving the base year and its inventory,
the target, the grid factor's expected decline with its source, and the measures.

A measure is written in the file, or refers to a measure stored for the facility
(``stored: <code>``, with ``--facility``) or to the JSON of ``lingtan plan size --format json``
(``plan: <file>``). Every problem found is collected and the whole file refused with
:class:`lingtan.errors.InputError`, each naming the file, the field, the value and the rule;
docs/planning.md documents every field.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lingtan.errors import InputError, InputProblem, one_of, read_text_file
from lingtan.i18n import Message
from lingtan.planning.pathway import (
    BASES,
    KINDS,
    STATUSES,
    Base,
    GridFactor,
    Measure,
    PathwayProblem,
    Production,
    Target,
)
from lingtan.planning.problem import _Checker
from lingtan.yamlinput import read_yaml_file

__all__ = ["FIELDS", "PathwayFile", "read_pathway_file"]

#: Every field of the pathway file, per section (``None``: top level); docs/planning.md lists
#: them all (tests/test_pathway.py checks).
FIELDS: dict[str | None, tuple[str, ...]] = {
    None: (
        "name",
        "note",
        "base_year",
        "target",
        "finance",
        "base",
        "production",
        "grid_factor",
        "measures",
    ),
    "target": (
        "year",
        "tco2e",
        "reduction_pct",
        "intensity_tco2e_per_unit",
        "intensity_reduction_pct",
        "basis",
    ),
    "production": ("unit", "base", "growth_pct_per_year", "by_year", "fixed_scope1_tco2e"),
    "finance": ("discount_rate",),
    "base": ("scope1_tco2e", "electricity_mwh", "other_scope2_tco2e", "green_mwh"),
    "grid_factor": (
        "location_tco2_per_mwh",
        "market_tco2_per_mwh",
        "decline_pct_per_year",
        "by_year",
        "source",
        "status",
    ),
    "grid_factor.by_year": ("location_tco2_per_mwh", "market_tco2_per_mwh", "source"),
    "measures": (
        "id",
        "title",
        "kind",
        "start_year",
        "lifetime_years",
        "capex_cny",
        "om_cny_per_year",
        "saving_cny_per_year",
        "electricity_mwh_per_year",
        "scope1_tco2e_per_year",
        "heat_tco2e_per_year",
        "green_mwh_per_year",
        "offset_tco2e_per_year",
        "reason",
        "stored",
        "plan",
    ),
}
#: The figures of a measure that a stored measure or a plan gives (not the file).
_FIGURES = (
    "capex_cny",
    "om_cny_per_year",
    "saving_cny_per_year",
    "electricity_mwh_per_year",
    "heat_tco2e_per_year",
    "green_mwh_per_year",
    "offset_tco2e_per_year",
)
#: The fields of the JSON of ``plan size`` a pathway reads.
_PLAN_KEYS = (
    "load_mwh",
    "grid_import_mwh",
    "capex_cny",
    "operating_saving_cny_per_year",
    "green_power_mwh",
    "gec_mwh",
    "heat_load_mwh",
    "horizon_years",
    "savings_cny_per_year",
)


@dataclass
class PathwayFile:
    """A pathway file read: the problem and what the report names."""

    problem: PathwayProblem
    name: str
    sources: dict[str, Any]


def _integer(check: _Checker, data: dict | None, path: str, key: str, *,
             required: bool = True, low: int | None = None) -> int | None:  # fmt: skip
    value = (data or {}).get(key)
    if value is None:
        if required:
            check.add(path, None, Message("is required"))
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        check.add(path, value, Message("must be a whole number"))
        return None
    if low is not None and value < low:
        check.add(path, value, Message("must be at least %(limit)g", limit=low))
        return None
    return value


def _text(check: _Checker, data: dict, path: str, key: str, *, required: bool = False):
    value = data.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            check.add(path, value, Message("is required"))
        return None
    if not isinstance(value, str):
        check.add(path, value, Message("must be text"))
        return None
    return value.strip()


def read_pathway_file(
    path: str | Path,
    *,
    stored: dict[str, dict[str, Any]] | None = None,
    base: dict[str, Any] | None = None,
) -> PathwayFile:
    """Read and check a pathway file and the plan files it names (relative to its folder).

    Parameters
    ----------
    stored : dict, optional
        The facility's stored measures by code (``--facility``), each with ``title``,
        ``capex_cny``, ``om_cny_per_year``, ``saving_cny_per_year``, and the
        ``electricity_mwh_per_year``, ``scope1_tco2e_per_year``, ``heat_tco2e_per_year``,
        ``green_mwh_per_year``, ``offset_tco2e_per_year`` it saves: what ``stored:`` refers to.
    base : dict, optional
        The base year's inventory of the facility: ``scope1_tco2e``, ``electricity_mwh``,
        ``other_scope2_tco2e``, ``green_mwh``, ``location_tco2_per_mwh`` (the inventory's own
        factor of grid electricity) and ``source``; the file then has no ``base``.

    Raises
    ------
    InputError
        Every problem of the file and of the plan files it names.
    """
    path = Path(path)
    check = _Checker(path.name, FIELDS)
    data = read_yaml_file(path, path.name)
    if not isinstance(data, dict):
        raise InputError(InputProblem(path.name, "file", None, Message("must be a mapping")))
    check.known(data, None)
    base_year = _integer(check, data, "base_year", "base_year", low=1900)
    target_section = check.section(data, "target", required=True)
    finance = check.section(data, "finance", required=True)
    rate = check.number(finance, "finance", "discount_rate", required=True, low=-0.5, high=1)
    grid_section = check.section(data, "grid_factor", required=True)
    sources: dict[str, Any] = {}
    base_section = check.section(data, "base", required=base is None)
    if base is not None:
        if base_section is not None:
            rule = Message("is given by the facility's inventory (--facility): leave it out")
            check.add("base", None, rule)
        sources["base"] = base["source"]
    read_base = _base(check, base_section, base)
    horizon = _horizon(base_year, target_section)
    made = _production(check, check.section(data, "production"), read_base, horizon)
    grid = _grid(check, grid_section, base, horizon)
    target = _target(check, target_section, base_year, read_base, grid, made)
    measures = _measures(check, data.get("measures"), path.parent, stored, base_year, target)
    if check.problems:
        raise InputError(check.problems, origin=str(path))
    assert base_year is not None and target is not None and grid is not None
    assert read_base is not None and rate is not None
    sources["grid_factor"] = {"source": grid.source, "status": grid.status}
    sources["measures"] = {m.id: m.origin for m in measures}
    problem = PathwayProblem(
        base_year=base_year,
        base=read_base,
        grid=grid,
        target=target,
        measures=tuple(measures),
        discount_rate=rate,
        origin=path.name,
        production=made,
    )
    return PathwayFile(problem, str(data.get("name") or path.stem), sources)


def _base(check: _Checker, section: dict | None, base: dict[str, Any] | None) -> Base | None:
    if base is not None:
        return Base(
            scope1_tco2e=base["scope1_tco2e"],
            electricity_mwh=base["electricity_mwh"],
            other_scope2_tco2e=base["other_scope2_tco2e"],
            green_mwh=base["green_mwh"],
        )
    if section is None:
        return None
    n = check.number
    scope1 = n(section, "base", "scope1_tco2e", required=True, low=0)
    mwh = n(section, "base", "electricity_mwh", required=True, low=0)
    other = n(section, "base", "other_scope2_tco2e", default=0.0)
    green = n(section, "base", "green_mwh", default=0.0, low=0)
    if scope1 is None or mwh is None or other is None or green is None:
        return None
    return Base(scope1, mwh, other, green)


def _horizon(base_year: Any, target: dict | None) -> tuple[int, int] | None:
    """The years a series gives (after the base year up to the target's), when both years
    are read (their own rules name them otherwise)."""
    year = (target or {}).get("year")
    if not all(isinstance(y, int) and not isinstance(y, bool) for y in (base_year, year)):
        return None
    return (base_year + 1, year) if year > base_year else None


def _series(check: _Checker, value: Any, field: str, horizon) -> dict[int, Any] | None:
    """A mapping of year to value: every year of *horizon*, none outside it; each value is
    returned as given (its own rules are checked by the caller)."""
    if not isinstance(value, dict) or not value:
        check.add(field, value, Message("must be a mapping of year to value"))
        return None
    out: dict[int, Any] = {}
    bad = False
    for key, item in value.items():
        year = key if isinstance(key, int) and not isinstance(key, bool) else None
        if year is None and isinstance(key, str) and key.strip().isdigit():
            year = int(key)
        if year is None:
            check.add(f"{field}.{key}", item, Message("is not a year"))
            bad = True
        elif horizon is not None and not horizon[0] <= year <= horizon[1]:
            rule = Message("the year %(year)d is outside the pathway (%(first)d to %(last)d)",
                           year=year, first=horizon[0], last=horizon[1])  # fmt: skip
            check.add(f"{field}.{year}", item, rule)
            bad = True
        else:
            out[year] = item
    if horizon is None or bad:  # the base or target year refused: their rules name it
        return None
    missing = [y for y in range(horizon[0], horizon[1] + 1) if y not in out]
    if missing:
        rule = Message("no value for %(years)s: give every year from %(first)d to %(last)d",
                       years=", ".join(str(y) for y in missing), first=horizon[0],
                       last=horizon[1])  # fmt: skip
        check.add(field, missing[0], rule)
        return None
    return dict(sorted(out.items()))


def _production(check: _Checker, section: dict | None, base: Base | None, horizon):
    if section is None:
        return None
    n = check.number
    unit = _text(check, section, "production.unit", "unit", required=True)
    output = n(section, "production", "base", required=True, low=0, above_low=True)
    fixed = n(section, "production", "fixed_scope1_tco2e", default=0.0, low=0)
    if fixed is not None and base is not None and fixed > base.scope1_tco2e:
        rule = Message("must be at most the base year's Scope 1 (%(t)g tCO2e)",
                       t=base.scope1_tco2e)  # fmt: skip
        check.add("production.fixed_scope1_tco2e", fixed, rule)
        fixed = None
    growth = by_year = None
    if (section.get("growth_pct_per_year") is None) == (section.get("by_year") is None):
        rule = Message("give exactly one of growth_pct_per_year and by_year")
        check.add("production.growth_pct_per_year", section.get("growth_pct_per_year"), rule)
        return None
    if section.get("by_year") is None:
        growth = n(section, "production", "growth_pct_per_year", low=-100, above_low=True)
        if growth is None:
            return None
    else:
        series = _series(check, section["by_year"], "production.by_year", horizon)
        if series is None:
            return None
        by_year = []
        for year, value in series.items():
            got = n({str(year): value}, "production.by_year", str(year), low=0, above_low=True)
            by_year.append((year, got))
        if any(v is None for _, v in by_year):
            return None
    if unit is None or output is None or fixed is None:
        return None
    return Production(unit, output, growth, tuple(by_year or ()), fixed)


def _grid(check: _Checker, section: dict | None, base: dict[str, Any] | None, horizon):
    if section is None:
        return None
    n = check.number
    implied = None if base is None else base.get("location_tco2_per_mwh")
    location = n(section, "grid_factor", "location_tco2_per_mwh", required=implied is None, low=0)
    location = implied if location is None else location
    market = n(section, "grid_factor", "market_tco2_per_mwh", default=location, low=0)
    series = section.get("by_year")
    if series is not None and section.get("decline_pct_per_year") is not None:
        rule = Message("give decline_pct_per_year or by_year, not both")
        check.add("grid_factor.by_year", None, rule)
        return None
    decline = None
    if series is None:
        decline = n(section, "grid_factor", "decline_pct_per_year", required=True, low=-100,
                    high=100)  # fmt: skip
    source = _text(check, section, "grid_factor.source", "source", required=True)
    status = _text(check, section, "grid_factor.status", "status", required=True)
    if status is not None and status not in STATUSES:
        check.add("grid_factor.status", status, one_of(STATUSES))
        status = None
    by_year = () if series is None else _grid_years(check, series, horizon)
    if None in (location, market, source, status, by_year) or (series is None and decline is None):
        return None
    return GridFactor(location, market, decline, source, status, by_year)  # type: ignore[arg-type]


def _grid_years(check: _Checker, value: Any, horizon):
    """The grid factor of each year: its location-based factor, its market-based one (default
    the location-based one of that year) and its source (a text, or ``illustrative``)."""
    series = _series(check, value, "grid_factor.by_year", horizon)
    if series is None:
        return None
    known = len(check.problems)
    out = []
    for year, item in series.items():
        where = f"grid_factor.by_year.{year}"
        if not isinstance(item, dict):
            check.add(where, item, Message("must be a mapping"))
            continue
        for key in item:
            if key not in FIELDS["grid_factor.by_year"]:
                fields = ", ".join(FIELDS["grid_factor.by_year"])
                check.add(f"{where}.{key}", item[key],
                          Message("unknown field (known: %(fields)s)", fields=fields))  # fmt: skip
        loc = check.number(item, where, "location_tco2_per_mwh", required=True, low=0)
        mkt = check.number(item, where, "market_tco2_per_mwh", default=loc, low=0)
        source = _text(check, item, f"{where}.source", "source", required=True)
        out.append((year, loc, mkt, source))
    return None if len(check.problems) > known else tuple(out)


def _target(check: _Checker, section: dict | None, base_year, base: Base | None, grid, made):
    if section is None:
        return None
    year = _integer(check, section, "target.year", "year")
    if year is not None and base_year is not None and year <= base_year:
        rule = Message("must be after base_year (%(year)d)", year=base_year)
        check.add("target.year", year, rule)
        year = None
    basis = section.get("basis", "location")
    if basis not in BASES:
        check.add("target.basis", basis, one_of(BASES))
        basis = None
    tco2e = check.number(section, "target", "tco2e", low=0)
    pct = check.number(section, "target", "reduction_pct", low=0, high=100)
    intensity = check.number(section, "target", "intensity_tco2e_per_unit", low=0)
    less = check.number(section, "target", "intensity_reduction_pct", low=0, high=100)
    kinds = ("tco2e", "reduction_pct", "intensity_tco2e_per_unit", "intensity_reduction_pct")
    given = [k for k in kinds if section.get(k) is not None]
    if len(given) != 1:
        rule = Message("give exactly one of %(fields)s", fields=", ".join(kinds))
        check.add(f"target.{given[1] if given else 'tco2e'}", section.get(given[1])
                  if len(given) > 1 else None, rule)  # fmt: skip
        return None
    if given[0].startswith("intensity") and made is None:
        rule = Message("an intensity target needs the production section")
        check.add(f"target.{given[0]}", section[given[0]], rule)
        return None
    if year is None or basis is None or (tco2e, pct, intensity, less) == (None,) * 4:
        return None
    if tco2e is not None:
        return Target(year, tco2e, basis)
    if base is None or grid is None or (made is None and pct is None):
        return None
    totals = base.totals_tco2e(grid.location_tco2_per_mwh, grid.market_tco2_per_mwh)
    total = totals[BASES.index(basis)]
    if pct is not None:
        return Target(year, total * (1.0 - pct / 100.0), basis)
    assert made is not None
    if intensity is None:
        intensity = total / made.base * (1.0 - less / 100.0)  # type: ignore[operator]
    if base_year is None:
        return None
    return Target(year, intensity * made.output(year, base_year), basis, intensity)


def _measures(check, value, folder: Path, stored, base_year, target) -> list[Measure]:
    if value is None:
        check.add("measures", None, Message("is required"))
        return []
    if not isinstance(value, list) or not value:
        check.add("measures", value, Message("must be a list of measures"))
        return []
    found: list[Measure] = []
    seen: set[str] = set()
    for index, item in enumerate(value):
        where = f"measures[{index}]"
        if not isinstance(item, dict):
            check.add(where, item, Message("must be a mapping"))
            continue
        for key in item:
            if key not in FIELDS["measures"]:
                known = ", ".join(FIELDS["measures"])
                check.add(f"{where}.{key}", item[key], Message("unknown field (known: %(fields)s)",
                                                               fields=known))  # fmt: skip
        measure = _measure(check, item, where, folder, stored, base_year, target)
        if measure is None:
            continue
        if measure.id in seen:
            check.add(f"{where}.id", measure.id, Message("is given twice"))
            continue
        seen.add(measure.id)
        found.append(measure)
    return found


def _measure(check, item: dict, where: str, folder: Path, stored, base_year, target):
    n = check.number
    known = len(check.problems)
    figures: dict[str, Any] = {}
    code = _text(check, item, f"{where}.stored", "stored")
    plan = _text(check, item, f"{where}.plan", "plan")
    if code is not None and plan is not None:
        check.add(f"{where}.plan", plan, Message("give stored or plan, not both"))
        return None
    if code is not None or plan is not None:
        for key in _FIGURES:
            if item.get(key) is not None:
                rule = Message("comes from the stored measure or the plan: leave it out")
                check.add(f"{where}.{key}", item[key], rule)
    origin = "file"
    default_kind = "efficiency"
    default_life = None
    if code is not None:
        origin = f"store:{code}"
        if stored is None:
            check.add(f"{where}.stored", code, Message("needs --facility (the stored measures)"))
            return None
        if code not in stored:
            rule = Message("no such stored measure of the facility (known: %(codes)s)",
                           codes=", ".join(sorted(stored)) or "-")  # fmt: skip
            check.add(f"{where}.stored", code, rule)
            return None
        figures = dict(stored[code])
    elif plan is not None:
        origin = f"plan:{plan}"
        default_kind = "asset"
        figures = _plan_figures(check, folder, plan, f"{where}.plan", item, where)
        if figures is None:
            return None
        default_life = figures.pop("lifetime_years")
    else:
        for key in _FIGURES:
            low = 0 if key in ("capex_cny", "om_cny_per_year", "green_mwh_per_year",
                               "offset_tco2e_per_year") else None  # fmt: skip
            figures[key] = n(item, where, key, default=0.0, low=low)
    if code is None:  # a plan's fuel side, or a measure of the file
        figures["scope1_tco2e_per_year"] = n(item, where, "scope1_tco2e_per_year", default=0.0)
    elif item.get("scope1_tco2e_per_year") is not None:
        rule = Message("comes from the stored measure or the plan: leave it out")
        check.add(f"{where}.scope1_tco2e_per_year", item["scope1_tco2e_per_year"], rule)
    if len(check.problems) > known:  # a figure refused: the rules below would repeat it
        return None
    ident = _text(check, item, f"{where}.id", "id", required=code is None) or code
    kind = item.get("kind", default_kind)
    if kind not in KINDS:
        check.add(f"{where}.kind", kind, one_of(KINDS))
        return None
    start = _integer(check, item, f"{where}.start_year", "start_year")
    life = _integer(check, item, f"{where}.lifetime_years", "lifetime_years",
                    required=default_life is None, low=1)  # fmt: skip
    life = default_life if life is None else life
    if start is not None and base_year is not None and start <= base_year:
        rule = Message("must be after base_year (%(year)d)", year=base_year)
        check.add(f"{where}.start_year", start, rule)
        return None
    if start is not None and target is not None and start > target.year:
        rule = Message("must be at most the target's year (%(year)d)", year=target.year)
        check.add(f"{where}.start_year", start, rule)
        return None
    reason = _text(check, item, f"{where}.reason", "reason")
    for key in ("electricity_mwh_per_year", "scope1_tco2e_per_year", "heat_tco2e_per_year"):
        if figures[key] < 0 and reason is None:
            rule = Message("is negative (the measure adds emissions): give its reason")
            check.add(f"{where}.{key}", figures[key], rule)
    if kind == "offset" and figures["offset_tco2e_per_year"] <= 0:
        check.add(f"{where}.offset_tco2e_per_year", figures["offset_tco2e_per_year"],
                  Message("must be above %(limit)g", limit=0))  # fmt: skip
    if kind != "offset" and figures["offset_tco2e_per_year"] > 0:
        rule = Message("only a measure of kind offset retires credits")
        check.add(f"{where}.offset_tco2e_per_year", figures["offset_tco2e_per_year"], rule)
    if ident is None or start is None or life is None:
        return None
    stated = figures.pop("title", None)
    title = _text(check, item, f"{where}.title", "title") or stated or ident
    return Measure(id=ident, kind=kind, start_year=start, lifetime_years=life, title=title,
                   reason=reason, origin=origin, **figures)  # fmt: skip


def _plan_figures(check, folder: Path, plan: str, field: str, item: dict, where: str):
    """The figures of a measure from the JSON of ``plan size``: its investment, its operating
    saving (the do-nothing cost less the plan's operating cost, O&M, green power and GECs
    included), its annualised net cost (the plan's objective less doing nothing), the grid
    electricity it saves (the load less the grid import: export is not counted) and its green
    power and GECs."""
    target = folder / plan
    try:
        data = json.loads(read_text_file(target, plan))
    except InputError as error:
        check.problems.extend(error.problems)
        return None
    except json.JSONDecodeError as exc:
        check.add(field, plan, Message("is not JSON (%(reason)s)", reason=exc.msg))
        return None
    if not isinstance(data, dict) or any(
        isinstance(data.get(k), bool) or not isinstance(data.get(k), int | float)
        for k in _PLAN_KEYS
    ):
        rule = Message("is not the JSON of plan size --format json (it needs %(keys)s)",
                       keys=", ".join(_PLAN_KEYS))  # fmt: skip
        check.add(field, plan, rule)
        return None
    if data["heat_load_mwh"] > 0 and item.get("scope1_tco2e_per_year") is None:
        rule = Message("the plan has a heat load: give scope1_tco2e_per_year (the boiler's "
                       "fuel emissions it avoids)")  # fmt: skip
        check.add(f"{where}.scope1_tco2e_per_year", None, rule)
        return None
    return {
        "title": data.get("name"),
        "capex_cny": float(data["capex_cny"]),
        "om_cny_per_year": 0.0,
        "saving_cny_per_year": float(data["operating_saving_cny_per_year"]),
        "electricity_mwh_per_year": float(data["load_mwh"] - data["grid_import_mwh"]),
        "heat_tco2e_per_year": 0.0,
        "green_mwh_per_year": float(data["green_power_mwh"] + data["gec_mwh"]),
        "offset_tco2e_per_year": 0.0,
        "annualised_cost_cny_per_year": -float(data["savings_cny_per_year"]),
        "lifetime_years": max(1, int(data["horizon_years"])),
    }
