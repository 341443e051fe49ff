"""A facility's year at a glance, and its emission target.

The overview is read from a stored inventory snapshot, never recomputed: its figures are the
inventory's own, so the dashboard, the report and the export always agree and a verifier can
trace every one of them. The inventory chosen for a year is a locked one whose period lies in
that year (the reported figure), else a computed one; among several, the one covering most of
the year, then the newest.

Progress to target
    A target runs from ``base_tco2e`` in ``base_year`` to ``target_tco2e`` in
    ``target_year`` on one basis (total emissions with Scope 2 location- or market-based).
    The *trajectory* for a year is the straight line between them::

        trajectory(Y) = base + (target - base) * (Y - base_year) / (target_year - base_year)

    and progress is the share of the planned reduction achieved::

        progress_pct = (base - actual) / (base - target) * 100

    where ``actual`` is the inventory's total on the target's basis. For an inventory that
    covers only part of the year, ``actual`` is the period's total and the trajectory is
    scaled by the share of the year's days the period covers, so the comparison is like for
    like; progress is then not computed (a partial year is not a year's reduction).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from lingtan.errors import InputError, InputProblem
from lingtan.i18n import Message
from lingtan.store import audit
from lingtan.store.models import (
    TARGET_BASES,
    ActivityRecord,
    Facility,
    FacilityTarget,
    Inventory,
    utc_now,
)

__all__ = [
    "facility_overview",
    "inventory_for_year",
    "line_records",
    "monthly_lines",
    "set_target",
    "target_summary",
]


def inventory_for_year(session: Session, facility: Facility, year: int) -> Inventory | None:
    """The inventory that stands for ``year``, among those whose period lies within the
    calendar year: locked before computed, then the one covering most of the year (earliest
    start, latest end), then the newest."""
    return session.scalars(
        sa.select(Inventory)
        .where(
            Inventory.facility_id == facility.id,
            Inventory.period_start >= date(year, 1, 1),
            Inventory.period_end <= date(year, 12, 31),
            Inventory.status.in_(("locked", "computed")),
        )
        .order_by(
            (Inventory.status == "locked").desc(),
            Inventory.period_start,
            Inventory.period_end.desc(),
            Inventory.id.desc(),
        )
        .limit(1)
    ).first()


def line_records(session: Session, inventory: Inventory) -> dict[str, tuple[date, str]]:
    """Per calculation line of ``inventory`` (by source id): the first day and the origin
    (``invoice``, ``meter``, ``manual``, ``estimate``) of the activity record behind it (one
    line per record: see services.inventory)."""
    links = inventory.lineage["lines"]
    records = {
        record_id: (start, origin)
        for record_id, start, origin in session.execute(
            sa.select(ActivityRecord.id, ActivityRecord.period_start, ActivityRecord.origin).where(
                ActivityRecord.id.in_([link["activity_record_id"] for link in links.values()])
            )
        ).all()
    }
    return {
        line["source_id"]: records[links[line["source_id"]]["activity_record_id"]]
        for line in inventory.result["lines"]
    }


def monthly_lines(session: Session, inventory: Inventory) -> list[tuple[str, dict[str, Any]]]:
    """``(YYYY-MM, line)`` for every calculation line of ``inventory``, the month being that
    of the activity record behind the line (:func:`line_records`)."""
    records = line_records(session, inventory)
    return [
        (records[line["source_id"]][0].strftime("%Y-%m"), line)
        for line in inventory.result["lines"]
    ]


def _totals(totals: dict[str, Any]) -> dict[str, float]:
    scope1, scope3 = totals["scope1_tco2e"], totals["scope3_tco2e"]
    return {
        "scope1_tco2e": scope1,
        "scope2_location_tco2e": totals["scope2_location_tco2e"],
        "scope2_market_tco2e": totals["scope2_market_tco2e"],
        "scope3_tco2e": scope3,
        "total_location_tco2e": scope1 + totals["scope2_location_tco2e"] + scope3,
        "total_market_tco2e": scope1 + totals["scope2_market_tco2e"] + scope3,
    }


def _trend(session: Session, inventory: Inventory) -> list[dict[str, Any]]:
    months: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for month, line in monthly_lines(session, inventory):
        row = months[month]
        scope = line["ghg_scope"]
        row[f"scope{scope}_tco2e" if scope != 2 else "scope2_location_tco2e"] += line[
            "emissions_tco2e"
        ]
        if scope == 2:  # lines without a market-based figure count as location-based
            market = line["market_emissions_tco2e"]
            row["scope2_market_tco2e"] += line["emissions_tco2e"] if market is None else market
        row["energy_tce"] += line["energy_tce"] or 0.0
    keys = ("scope1_tco2e", "scope2_location_tco2e", "scope2_market_tco2e", "scope3_tco2e")
    return [
        {"month": month, **{k: months[month][k] for k in (*keys, "energy_tce")}}
        for month in sorted(months)
    ]


def target_summary(
    target: FacilityTarget, year: int, actual_tco2e: float, year_share: float = 1.0
) -> dict[str, Any]:
    """Where ``actual_tco2e`` (the basis total of a period covering ``year_share`` of
    ``year``) stands against ``target``; see the module's formulas."""
    span = target.target_year - target.base_year
    trajectory = target.base_tco2e + (target.target_tco2e - target.base_tco2e) * (
        (year - target.base_year) / span
    )
    planned = target.base_tco2e - target.target_tco2e
    full_year = year_share >= 1.0
    return {
        **_target_record(target),
        "actual_tco2e": actual_tco2e,
        "trajectory_tco2e": trajectory * year_share,
        "on_track": actual_tco2e <= trajectory * year_share,
        "progress_pct": (
            (target.base_tco2e - actual_tco2e) / planned * 100 if full_year and planned else None
        ),
    }


def facility_overview(session: Session, facility: Facility, year: int) -> dict[str, Any]:
    """Year figures of ``facility`` from the inventory that stands for ``year``.

    Returns
    -------
    dict
        ``inventory`` (id, status, period) or None when the year has none; ``emissions``
        by scope with both Scope 2 methods [tCO2e]; ``energy_tce``; ``renewable`` (MWh and
        share of purchased electricity [%]); ``intensities`` as the inventory states them;
        ``trend`` by month; ``target`` progress or None.
    """
    inventory = inventory_for_year(session, facility, year)
    result: dict[str, Any] = {
        "facility": {"code": facility.code, "name": facility.name, "region": facility.region},
        "year": year,
        "inventory": None,
    }
    if inventory is None:
        return result
    totals = inventory.result["totals"]
    emissions = _totals(totals)
    days = (inventory.period_end - inventory.period_start).days + 1
    year_days = (date(year, 12, 31) - date(year, 1, 1)).days + 1
    target = session.get(FacilityTarget, facility.id)
    result.update(
        inventory={
            "id": inventory.id,
            "status": inventory.status,
            "period_start": inventory.period_start.isoformat(),
            "period_end": inventory.period_end.isoformat(),
            "result_sha256": inventory.result_sha256,
        },
        emissions=emissions,
        energy_tce=totals["energy_tce"],
        renewable={
            "purchased_electricity_mwh": totals["purchased_electricity_mwh"],
            "renewable_electricity_mwh": totals["renewable_electricity_mwh"],
            "share_pct": totals["renewable_electricity_share_pct"],
        },
        intensities=totals["intensities"],
        trend=_trend(session, inventory),
        target=(
            None
            if target is None
            else target_summary(
                target, year, emissions[f"total_{target.basis}_tco2e"], days / year_days
            )
        ),
    )
    return result


def set_target(
    session: Session,
    facility: Facility,
    *,
    basis: str,
    base_year: int,
    target_year: int,
    target_tco2e: float,
    base_tco2e: float | None = None,
    note: str | None = None,
    actor: str,
) -> FacilityTarget:
    """Set (or replace) the facility's target; the change goes to the audit log.

    ``base_tco2e`` defaults to the base year's locked inventory total on ``basis``.

    Raises
    ------
    InputError
        For a basis other than location/market, a target year not after the base year, a
        negative value, or no base figure (no locked inventory for the base year).
    """
    problems = []
    where = Message("target of facility %(code)s", code=facility.code)
    if basis not in TARGET_BASES:
        problems.append(InputProblem(where, "basis", basis, Message("location or market")))
    if target_year <= base_year:
        problems.append(
            InputProblem(
                where,
                "target_year",
                target_year,
                Message("must be after %(year)s", year=base_year),
            )
        )
    if target_tco2e < 0:
        problems.append(InputProblem(where, "target_tco2e", target_tco2e, Message("must be >= 0")))
    if base_tco2e is None and not problems:
        base = inventory_for_year(session, facility, base_year)
        if base is None or base.status != "locked":
            problems.append(
                InputProblem(
                    where,
                    "base_tco2e",
                    None,
                    Message(
                        "no locked inventory for %(year)s: lock one or give the base figure",
                        year=base_year,
                    ),
                )
            )
        else:
            base_tco2e = _totals(base.result["totals"])[f"total_{basis}_tco2e"]
    if base_tco2e is not None and base_tco2e < 0:
        problems.append(InputProblem(where, "base_tco2e", base_tco2e, Message("must be >= 0")))
    if problems:
        raise InputError(problems)
    assert base_tco2e is not None
    target = session.get(FacilityTarget, facility.id)
    before = None if target is None else _target_record(target)
    if target is None:
        target = FacilityTarget(facility_id=facility.id)
        session.add(target)
    target.basis, target.base_year, target.base_tco2e = basis, base_year, base_tco2e
    target.target_year, target.target_tco2e, target.note = target_year, target_tco2e, note
    target.set_by, target.set_at = actor, utc_now()
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="update" if before else "create",
        entity="facility_target",
        entity_key=str(facility.id),
        before=before,
        after=_target_record(target),
    )
    return target


def _target_record(target: FacilityTarget) -> dict[str, Any]:
    return {
        "basis": target.basis,
        "base_year": target.base_year,
        "base_tco2e": target.base_tco2e,
        "target_year": target.target_year,
        "target_tco2e": target.target_tco2e,
        "note": target.note,
    }
