"""Assembling the data of an inventory report from the store (the report code never reads it)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lingtan.catalog import resolve_region
from lingtan.reports.data import ReportData
from lingtan.services.cost import report_cost
from lingtan.services.inventory import record_summary
from lingtan.store.models import ActivityRecord, Facility, Inventory, Organization

__all__ = ["report_data"]


def report_data(session: Session, inventory: Inventory) -> ReportData:
    """Everything the GB/T 32150 report of ``inventory`` shows."""
    facility = session.get(Facility, inventory.facility_id)
    assert facility is not None
    organization = session.get(Organization, facility.organization_id)
    assert organization is not None
    links = inventory.lineage["lines"]
    records = {
        r.id: r
        for r in session.scalars(
            select(ActivityRecord).where(
                ActivityRecord.id.in_([link["activity_record_id"] for link in links.values()])
            )
        )
    }
    lines = {line["source_id"]: line for line in inventory.result["lines"]}
    activity: list[dict[str, Any]] = []
    monthly: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for line_id, link in links.items():
        record = records[link["activity_record_id"]]
        line = lines[line_id]
        activity.append(
            {
                **record_summary(record),
                "source_id": line_id,
                "source_name": line["name"] or link["source"],
                "kind": line["kind"],
            }
        )
        month = record.period_start.strftime("%Y-%m")
        monthly[month][line["kind"]] += line["emissions_tco2e"]
    restatements = []
    current: Inventory | None = inventory
    while current is not None and current.supersedes_id is not None:
        previous = session.get(Inventory, current.supersedes_id)
        assert previous is not None
        restatements.append(
            {
                "inventory_id": current.id,
                "supersedes_id": previous.id,
                "reason": current.restatement_reason,
                "created_at": current.created_at,
                "total_tco2e": current.total_tco2e,
                "previous_total_tco2e": previous.total_tco2e,
            }
        )
        current = previous
    return ReportData(
        organization_name=organization.name,
        facility_name=facility.name,
        facility_code=facility.code,
        region_code=facility.region,
        region_name=resolve_region(facility.region).name_zh,
        period_start=inventory.period_start,
        period_end=inventory.period_end,
        inventory_id=inventory.id,
        status=inventory.status,
        engine_version=inventory.engine_version,
        created_at=inventory.created_at,
        result=inventory.result,
        industry_code=facility.industry_code,
        industry_name=facility.industry_name,
        boundary=facility.boundary,
        production_units=[unit.name for unit in facility.units],
        locked_at=inventory.locked_at,
        time_zone=facility.time_zone,
        activity=activity,
        monthly=[
            {"month": month, "by_category_tco2e": dict(values)}
            for month, values in sorted(monthly.items())
        ],
        restatements=restatements,
        production=[
            {"product": p["name"], "quantity": p["quantity"], "unit": p["unit"]}
            for p in inventory.input_document.get("production", [])
        ],
        energy_cost=report_cost(session, facility, inventory.period_start, inventory.period_end),
    )
