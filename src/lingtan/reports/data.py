"""What an inventory report shows, as plain data.

The service layer assembles a :class:`ReportData` from the store; the report code only reads
it, so rendering needs no database and a report can be rebuilt from a snapshot. ``result`` is
exactly the dict of :func:`lingtan.accounting.serialize.result_to_dict`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from lingtan.i18n import DEFAULT_TIME_ZONE

__all__ = ["ORIGINS", "STATUSES", "ReportData"]

#: Where an activity record comes from (same values as ``lingtan.store.models.ORIGINS``).
ORIGINS = ("meter", "invoice", "manual", "estimate")
#: Inventory status: ``computed`` can still be restated in place of review; ``locked`` is final.
STATUSES = ("computed", "locked")


@dataclass
class ReportData:
    """Everything a GB/T 32150 inventory report shows.

    ``activity`` items: ``{record_id, source_id, source_name, kind, period_start, period_end,
    quantity, unit, origin, quality_note, evidence: [{sha256, filename}]}``; ``source_id`` is
    the source id of a result line. ``monthly`` items: ``{month: "2025-01",
    by_category_tco2e: {kind: tCO2e}}``. ``restatements`` items: ``{inventory_id,
    supersedes_id, reason, created_at, total_tco2e, previous_total_tco2e}``. ``production``
    items: ``{product, quantity, unit}``. ``energy_cost`` is None without a tariff, else
    ``{start, end, cost_cny, by_energy_type: [{energy_type, energy, unit, basic_cost_cny,
    cost_cny, estimated_cost_cny}], periods: [{period, energy, unit, cost_cny,
    mean_price_cny_per_unit}], months: [{month, cost_cny, by_energy_type_cny}], sources:
    [{status, document, url, note}], notes: [...]}`` (from the meters, under the facility's
    tariff: :func:`lingtan.services.cost.cost_by`). Dates may be :class:`date` or ISO text.
    """

    organization_name: str
    facility_name: str
    facility_code: str
    region_code: str
    region_name: str
    period_start: date
    period_end: date
    inventory_id: int | str
    status: str
    engine_version: str
    created_at: datetime
    result: dict[str, Any]
    industry_code: str | None = None
    industry_name: str | None = None
    boundary: str | None = None
    production_units: list[str] = field(default_factory=list)
    locked_at: datetime | None = None
    time_zone: str = DEFAULT_TIME_ZONE  # of the facility: times are shown in it
    activity: list[dict[str, Any]] = field(default_factory=list)
    monthly: list[dict[str, Any]] = field(default_factory=list)
    restatements: list[dict[str, Any]] = field(default_factory=list)
    production: list[dict[str, Any]] = field(default_factory=list)
    energy_cost: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        # The service layer may hand over ISO text (from JSON); the report works with dates.
        for name, kind in (
            ("period_start", date),
            ("period_end", date),
            ("created_at", datetime),
            ("locked_at", datetime),
        ):
            value = getattr(self, name)
            if isinstance(value, str):
                setattr(self, name, kind.fromisoformat(value))
        # A report is evidence: refuse data that would print a misleading one.
        problems = []
        if self.status not in STATUSES:
            problems.append(f"status {self.status!r} is not one of {', '.join(STATUSES)}")
        if self.status == "locked" and self.locked_at is None:
            problems.append("a locked inventory needs locked_at")
        if self.period_end < self.period_start:
            problems.append("period_end is before period_start")
        for key in ("totals", "lines", "factors", "warnings"):
            if key not in self.result:
                problems.append(f"result has no {key!r}: give the dict of result_to_dict")
        line_ids = {line["source_id"] for line in self.result.get("lines", [])}
        for record in self.activity:
            if record.get("origin") not in ORIGINS:
                problems.append(
                    f"activity record {record.get('record_id')!r}: origin "
                    f"{record.get('origin')!r} is not one of {', '.join(ORIGINS)}"
                )
            if record.get("source_id") not in line_ids:
                problems.append(
                    f"activity record {record.get('record_id')!r}: source_id "
                    f"{record.get('source_id')!r} is not a line of the result"
                )
        if problems:
            raise ValueError("ReportData: " + "; ".join(problems))

    @property
    def lines(self) -> list[dict[str, Any]]:
        return self.result["lines"]

    @property
    def totals(self) -> dict[str, Any]:
        return self.result["totals"]

    @classmethod
    def example(cls, calc_file: str | Path) -> ReportData:
        """Report data of a calc file, with made-up records, months and one restatement.

        For tests and template previews only: the activity records, evidence hashes, monthly
        split and restatement are invented (deterministically) around the real result.
        """
        from lingtan.accounting.engine import compute_inventory
        from lingtan.accounting.serialize import result_to_dict
        from lingtan.calcfile import load_calc_file
        from lingtan.catalog import resolve_region

        inventory, library = load_calc_file(calc_file)
        result = result_to_dict(compute_inventory(inventory, library))
        region = resolve_region(inventory.region or "CN")
        year = inventory.period_end.year
        activity, monthly = _made_up_records(result, inventory.period_start, inventory.period_end)
        total = result["totals"]["total_tco2e"]
        created = datetime(year + 1, 2, 10, 9, 30, tzinfo=UTC)
        return cls(
            organization_name="示范新能源科技有限公司 Demo New Energy Co., Ltd.",
            facility_name=inventory.facility_name,
            facility_code="DCP-01",
            region_code=region.code,
            region_name=region.name_en,
            industry_code="C3841",
            industry_name="锂离子电池制造 Lithium-ion battery manufacturing",
            boundary=(
                "Main production (electrode, assembly and formation workshops), auxiliary "
                "production (boiler house, chillers, compressed air) and ancillary systems "
                "serving production (in-plant forklifts, warehouse) at the site. "
                "主要生产系统、辅助生产系统及直接为生产服务的附属生产系统。"
            ),
            production_units=[
                "极片车间 Electrode workshop",
                "装配车间 Assembly workshop",
                "化成车间 Formation workshop",
                "锅炉房 Boiler house",
            ],
            period_start=inventory.period_start,
            period_end=inventory.period_end,
            inventory_id=12,
            status="locked",
            locked_at=datetime(year + 1, 3, 2, 14, 0, tzinfo=UTC),
            engine_version=result["inventory"]["engine_version"],
            created_at=created,
            result=result,
            activity=activity,
            monthly=monthly,
            restatements=[
                {
                    "inventory_id": 12,
                    "supersedes_id": 7,
                    "reason": "Refrigerant top-up of chiller-r410a added after the maintenance "
                    "log was found; electricity factor year set to 2022 explicitly.",
                    "created_at": created,
                    "total_tco2e": total,
                    "previous_total_tco2e": total - 23.082 - 118.4,
                }
            ],
            production=[
                {"product": p["denominator"], "quantity": p["quantity"], "unit": p["unit"]}
                for p in result["totals"]["intensities"]
            ],
        )


# Seasonal shapes of the made-up example: heating peaks in winter, cooling in summer.
_SHAPES = {
    "fuel_combustion": [14, 13, 10, 7, 5, 4, 4, 4, 5, 8, 12, 14],
    "purchased_heat": [13, 12, 10, 8, 6, 5, 5, 5, 6, 8, 10, 12],
    "purchased_electricity": [8, 7, 8, 8, 8, 9, 10, 10, 8, 8, 8, 8],
}
_ORIGIN_OF_KIND = {
    "fuel_combustion": "invoice",
    "mobile_combustion": "invoice",
    "purchased_electricity": "meter",
    "purchased_heat": "meter",
    "fugitive": "manual",
}


def _months(start: date, end: date) -> list[tuple[date, date]]:
    """The calendar months from the month of ``start`` to that of ``end``, clipped to both."""
    months = []
    first = date(start.year, start.month, 1)
    while first <= end:
        following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        last = date.fromordinal(following.toordinal() - 1)
        months.append((max(first, start), min(last, end)))
        first = following
    return months


def _made_up_records(
    result: dict[str, Any], start: date, end: date
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Split each line into monthly (or one) records and the emissions into months."""
    months = _months(start, end)
    activity: list[dict[str, Any]] = []
    monthly = [{"month": f"{m:%Y-%m}", "by_category_tco2e": {}} for m, _ in months]
    record_id = 1000
    for line in result["lines"]:
        kind, quantity = line["kind"], line["quantity"]
        if quantity is None:  # a mass balance has flows, not one quantity: no records
            continue
        if kind in _SHAPES or kind == "mobile_combustion":
            shape = [_SHAPES.get(kind, [1] * 12)[m.month - 1] for m, _ in months]
            weights = [w / sum(shape) for w in shape]
            periods = list(zip(months, weights, strict=True))
        else:  # one record for the period, e.g. a refrigerant top-up in the middle month
            weights = [1.0 if i == len(months) // 2 else 0.0 for i in range(len(months))]
            periods = [((start, end), 1.0)]
        # Quantities as on invoices and meter exports: 3 decimals, the rest on the last one.
        parts = [round(quantity * weight, 3) for _, weight in periods]
        parts[-1] = quantity - sum(parts[:-1])
        for index, ((first, last), _weight) in enumerate(periods):
            record_id += 1
            origin = _ORIGIN_OF_KIND.get(kind, "estimate")
            note = None
            if origin == "manual":
                note = "Maintenance log: top-up mass read from the service report"
            elif origin == "estimate":
                note = "Estimated from the previous period"
            elif kind == "mobile_combustion" and index == len(periods) - 1:
                origin, note = "estimate", "Fuel-card statement of the month missing; estimated"
            filename = f"{line['source_id']}-{first:%Y%m}.pdf"
            activity.append(
                {
                    "record_id": record_id,
                    "source_id": line["source_id"],
                    "source_name": line["name"] or line["source_id"],
                    "kind": kind,
                    "period_start": first,
                    "period_end": last,
                    "quantity": parts[index],
                    "unit": line["unit"],
                    "origin": origin,
                    "quality_note": note,
                    "evidence": [
                        {
                            "sha256": hashlib.sha256(filename.encode()).hexdigest(),
                            "filename": filename,
                        }
                    ],
                }
            )
        for month, weight in zip(monthly, weights, strict=True):
            if weight:  # two lines of a kind (two boilers) add up
                totals = month["by_category_tco2e"]
                totals[kind] = totals.get(kind, 0.0) + line["emissions_tco2e"] * weight
    return activity, monthly
