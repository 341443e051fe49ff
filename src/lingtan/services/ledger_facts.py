"""Evaluation facts of a facility's year from the store: the carbon-asset ledger and the
inventory that stands for the year (:func:`lingtan.services.overview.inventory_for_year`).

:func:`facts_from_store` computes the facts of :mod:`lingtan.evaluation.facts` lingtan can
compute from its own data, each with its lineage (the ledger entries and the inventory it came
from):

* ``offset_retired_tco2e`` — the CCER and other credits retired for the facility with a claim
  period inside the year [tCO2e];
* ``credit_retirement_lag_months`` — months from the end of the year to the last of those
  retirements (:func:`lingtan.assets.ledger.months_after`);
* ``electricity_consumed_mwh`` — the inventory's purchased electricity [MWh];
* ``renewable_electricity_share_pct`` — (GECs retired + green power contracts retired for
  the facility and a claim period inside the year + the inventory's on-site renewable
  electricity) / the electricity consumed × 100, at most 100 [%]. GECs and contracts are
  taken from the ledger only: the inventory's instruments from the ledger (``ledger:…``,
  :mod:`lingtan.services.retirements`) are these retirements, and its own ``gec`` and
  ``green_power`` instruments are not counted (their ids are in the lineage);
* ``scope12_residual_tco2e`` — the inventory's Scope 1 + Scope 2 market-based [tCO2e];
* ``hourly_matched_cfe_share_pct`` — the hourly-matched carbon-free share of the facility's
  electricity meters over the local year (:func:`lingtan.services.meter_matching.
  matching_from_meters`, as ``lingtan evaluate match --facility --year``) [%]; its lineage
  holds the meters per role, the year, the hours, the energies and the annual volumetric
  share it is compared with (``volumetric_share_pct``). Left out, the lineage saying why,
  when the meters do not cover the year (no supply or generation meter, an interval of unknown
  energy).

The inventory's facts need an inventory whose period is the whole year (locked before
computed); without one they are left out (a criterion that reads them is unable to judge) and
the lineage says why. Declarations (green-factory status, plan, compliance …) are never
computed: they come from a facts file with their evidence.

References
----------
.. [1] /work/shared/reference/accounting-standards.md §5.1 (market-based Scope 2 and its
   instruments), §6.1 (ISO 14068-1: credits offset the residual), §6.3 (1 GEC = 1 MWh).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from lingtan.assets.ledger import CREDITS, ELECTRICITY, months_after
from lingtan.errors import InputError, InputProblem
from lingtan.evaluation.facts import FactValue
from lingtan.i18n import Message
from lingtan.services.ledger import retirements
from lingtan.services.meter_matching import MeterMatching, matching_from_meters
from lingtan.services.overview import inventory_for_year
from lingtan.services.retirements import LEDGER_PREFIX
from lingtan.store.models import CarbonAsset, Facility, LedgerEntry

__all__ = ["HOURLY", "StoreFacts", "facts_from_store"]


@dataclass(frozen=True)
class StoreFacts:
    """The facts computed and, per fact, its lineage (JSON-ready); ``matching`` is the hourly
    matching from the meters (None when they do not cover the year: ``hourly_refused`` says
    why)."""

    facts: dict[str, FactValue]
    lineage: dict[str, dict[str, Any]]
    inventory_id: int | None
    matching: MeterMatching | None = None
    hourly_refused: tuple[InputProblem, ...] = ()


def _retirements(session: Session, facility: Facility, start: date, end: date) -> list[Any]:
    """The retirements to ``facility`` with a claim period inside ``start`` to ``end``."""
    return [
        (e, a)
        for e, a in retirements(session, facility, start, end)
        if start <= e.period_start and e.period_end <= end
    ]


def _entry(entry: LedgerEntry, asset: CarbonAsset) -> dict[str, Any]:
    return {
        "entry": entry.id,
        "asset": asset.code,
        "kind": asset.kind,
        "quantity": entry.quantity,
        "unit": asset.unit,
        "serial": entry.serial,
        "on_date": entry.on_date.isoformat(),
    }


def _evidence(entries: list[dict[str, Any]], inventory: int | None = None) -> Message:
    """Where a computed fact comes from, for people: ``ledger entries 1, 2; inventory 2``."""
    ids = ", ".join(str(e["entry"]) for e in entries)
    if entries and inventory is not None:
        return Message("ledger entries %(entries)s; inventory %(inventory)s", entries=ids,
                       inventory=inventory)  # fmt: skip
    if entries:
        return Message("ledger entries %(entries)s", entries=ids)
    if inventory is not None:
        return Message("inventory %(inventory)s", inventory=inventory)
    return Message("ledger: no retirements")


#: The fact of the hourly matching from the meters.
HOURLY = "hourly_matched_cfe_share_pct"


def _hourly(
    session: Session, facility: Facility, year: int, facts: dict[str, FactValue],
    lineage: dict[str, dict[str, Any]],
) -> MeterMatching | InputError:  # fmt: skip
    """Add :data:`HOURLY` from the meters, or its lineage's ``missing`` when they cannot (the
    refusal returned)."""
    try:
        matching = matching_from_meters(session, facility, year)
    except InputError as error:
        lineage[HOURLY] = {"missing": "; ".join(str(p) for p in error.problems), "year": year}
        return error
    match = matching.match
    codes = [code for role in matching.meters.values() for code in role]
    evidence = Message("meters %(meters)s", meters=", ".join(codes))
    facts[HOURLY] = FactValue(match.hourly_share_pct, evidence)
    lineage[HOURLY] = {
        "meters": matching.meters,
        "year": year,
        "hours": match.hours,
        "consumption_kwh": match.consumption_kwh,
        "matched_kwh": match.matched_kwh,
        "unmatched_hours": match.unmatched_hours,
        "volumetric_share_pct": match.volumetric_share_pct,
    }
    return matching


def facts_from_store(session: Session, facility: Facility, year: int) -> StoreFacts:
    """The facts of ``facility``'s calendar ``year`` from the ledger and the inventory (see the
    module documentation for each fact and its formula)."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    retired = _retirements(session, facility, start, end)
    credits = [_entry(e, a) for e, a in retired if a.kind in CREDITS]
    electricity = [_entry(e, a) for e, a in retired if a.kind in ELECTRICITY]
    facts: dict[str, FactValue] = {}
    lineage: dict[str, dict[str, Any]] = {}
    hourly = _hourly(session, facility, year, facts, lineage)
    matching = hourly if isinstance(hourly, MeterMatching) else None
    refused = () if matching else tuple(hourly.problems)
    offset = math.fsum(e["quantity"] for e in credits)
    facts["offset_retired_tco2e"] = FactValue(offset, _evidence(credits))
    lineage["offset_retired_tco2e"] = {"ledger_entries": credits}
    if credits:
        lag = max(months_after(end, date.fromisoformat(e["on_date"])) for e in credits)
        facts["credit_retirement_lag_months"] = FactValue(float(lag), _evidence(credits))
        lineage["credit_retirement_lag_months"] = {
            "ledger_entries": credits,
            "period_end": end.isoformat(),
        }
    inventory = inventory_for_year(session, facility, year)
    if inventory is None or (inventory.period_start, inventory.period_end) != (start, end):
        why = (
            Message("no inventory for the year")
            if inventory is None
            else Message(
                "inventory %(id)s covers %(start)s to %(end)s, not the whole year",
                id=inventory.id,
                start=inventory.period_start.isoformat(),
                end=inventory.period_end.isoformat(),
            )
        )
        for name in ("electricity_consumed_mwh", "renewable_electricity_share_pct",
                     "scope12_residual_tco2e"):  # fmt: skip
            lineage[name] = {"missing": why}
        return StoreFacts(facts, lineage, None, matching, refused)
    totals = inventory.result["totals"]
    instruments = inventory.result.get("instruments", [])
    onsite = [i for i in instruments if i["kind"] == "onsite_renewable"]
    not_counted = [
        i["id"]
        for i in instruments
        if i["kind"] in ELECTRICITY and not i["id"].startswith(LEDGER_PREFIX)
    ]
    consumed = float(totals["purchased_electricity_mwh"])
    where = {"inventory": inventory.id, "status": inventory.status}
    facts["electricity_consumed_mwh"] = FactValue(consumed, _evidence([], inventory.id))
    lineage["electricity_consumed_mwh"] = {**where, "total": "purchased_electricity_mwh"}
    gec = math.fsum(e["quantity"] for e in electricity if e["kind"] == "gec")
    contracts = math.fsum(e["quantity"] for e in electricity if e["kind"] == "green_power")
    own = math.fsum(float(i["covered_mwh"]) for i in onsite)
    renewable = gec + contracts + own
    if consumed > 0:
        share = min(100.0, 100.0 * renewable / consumed)
        facts["renewable_electricity_share_pct"] = FactValue(
            share, _evidence(electricity, inventory.id)
        )
    lineage["renewable_electricity_share_pct"] = {
        **where,
        "ledger_entries": electricity,
        "gec_retired_mwh": gec,
        "green_power_retired_mwh": contracts,
        "onsite_renewable_mwh": own,
        "onsite_instruments": [i["id"] for i in onsite],
        "inventory_instruments_not_counted": not_counted,
        "renewable_mwh": renewable,
        "consumed_mwh": consumed,
        "capped_at_100": consumed > 0 and renewable > consumed,
    }
    residual = float(totals["scope1_tco2e"]) + float(totals["scope2_market_tco2e"])
    facts["scope12_residual_tco2e"] = FactValue(residual, _evidence([], inventory.id))
    lineage["scope12_residual_tco2e"] = {
        **where,
        "scope1_tco2e": totals["scope1_tco2e"],
        "scope2_market_tco2e": totals["scope2_market_tco2e"],
    }
    return StoreFacts(facts, lineage, inventory.id, matching, refused)
