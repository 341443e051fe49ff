"""What a facility gives its pathway (``lingtan plan pathway --facility``): the base year's
inventory and its stored energy-saving measures, as the plain figures
:func:`lingtan.planning.pathway_file.read_pathway_file` reads.

The base year's Scope 1 and 2 are the stored inventory that stands for the year
(:func:`lingtan.services.overview.inventory_for_year`), never recomputed: grid electricity is
the inventory's purchased electricity, its factor the inventory's own (location-based
emissions of purchased electricity ÷ MWh), the rest of Scope 2 (heat, steam) is held, and the
green power and GECs applied are the instruments the factory holds already.

A stored measure (:func:`lingtan.services.efficiency_measures.facility_measures`) saves
electricity (converted to MWh: its carbon is then computed each year at that year's grid
factor), a fuel (its tCO2 at the library's factor: Scope 1) or purchased steam or hot water
(its tCO2: Scope 2 of heat).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from lingtan.errors import InputError, InputProblem
from lingtan.factors import FactorLibrary
from lingtan.i18n import Message
from lingtan.planning.pathway_file import PathwayFile, read_pathway_file
from lingtan.services.efficiency_measures import facility_measures
from lingtan.services.overview import inventory_for_year
from lingtan.store.models import Facility
from lingtan.units import conversion_factor
from lingtan.yamlinput import read_yaml_file

__all__ = ["facility_base", "read_facility_pathway", "stored_measures"]

_HEAT = ("steam", "hot_water")


def facility_base(session: Session, facility: Facility, year: int) -> dict[str, Any]:
    """The base-year figures of *facility* from its inventory of *year* (see the module).

    Raises
    ------
    InputError
        The facility has no inventory of *year*.
    """
    inventory = inventory_for_year(session, facility, year)
    if inventory is None:
        rule = Message("the facility has no inventory of the base year %(year)d", year=year)
        raise InputError(InputProblem(facility.code, "--facility", facility.code, rule))
    totals = inventory.result["totals"]
    mwh = totals["purchased_electricity_mwh"]
    electricity = totals["by_category_tco2e"].get("purchased_electricity", 0.0)
    return {
        "scope1_tco2e": totals["scope1_tco2e"],
        "electricity_mwh": mwh,
        "other_scope2_tco2e": totals["scope2_location_tco2e"] - electricity,
        "green_mwh": totals["renewable_electricity_mwh"],
        "location_tco2_per_mwh": electricity / mwh if mwh > 0 else None,
        "source": {
            "facility": facility.code,
            "inventory_id": inventory.id,
            "status": inventory.status,
            "period_start": inventory.period_start.isoformat(),
            "period_end": inventory.period_end.isoformat(),
            "result_sha256": inventory.result_sha256,
        },
    }


def stored_measures(
    session: Session, facility: Facility, year: int, *, library: FactorLibrary | None = None
) -> dict[str, dict[str, Any]]:
    """The facility's stored measures by code, as a pathway reads them (see the module); a
    measure whose carbon the library cannot give (water, compressed air) is left out."""
    out = {}
    for m in facility_measures(session, facility, year=year, library=library):
        figures = {
            "title": m["title"],
            "capex_cny": m["investment_cny"] or 0.0,
            "om_cny_per_year": 0.0,
            "saving_cny_per_year": m["cost_saved_cny_per_year"] or 0.0,
            "electricity_mwh_per_year": 0.0,
            "scope1_tco2e_per_year": 0.0,
            "heat_tco2e_per_year": 0.0,
            "green_mwh_per_year": 0.0,
            "offset_tco2e_per_year": 0.0,
        }
        tco2 = m["emissions_saved_tco2_per_year"]
        if m["energy_type"] == "electricity":
            factor = conversion_factor(m["unit"], "MWh")
            figures["electricity_mwh_per_year"] = m["saved_per_year"] * factor
        elif tco2 is None:
            continue
        elif m["energy_type"] in _HEAT:
            figures["heat_tco2e_per_year"] = tco2
        else:
            figures["scope1_tco2e_per_year"] = tco2
        out[m["code"]] = figures
    return out


def read_facility_pathway(session: Session, facility: Facility, path: str | Path) -> PathwayFile:
    """The pathway file at *path* with *facility*'s base year and stored measures."""
    data = read_yaml_file(path, Path(path).name)
    year = data.get("base_year") if isinstance(data, dict) else None
    if isinstance(year, bool) or not isinstance(year, int):  # the reader names the problem
        return read_pathway_file(path, stored={}, base=None)
    return read_pathway_file(
        path,
        stored=stored_measures(session, facility, year),
        base=facility_base(session, facility, year),
    )
