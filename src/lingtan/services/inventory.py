"""Inventories of a stored facility: compute, lock, restate, compare, trace.

An inventory is computed from what the store holds for a facility and period: each activity
record becomes one line of the calculation (so every line points at exactly one record and its
evidence), the facility's instruments and production output in the period are added, the
carbon-asset ledger's GEC and green power retirements to the facility and period become
instruments too and its credit retirements the ``offsets`` beside the totals
(:mod:`lingtan.services.retirements`), and the engine of :mod:`lingtan.accounting` does the
rest. The snapshot keeps the calculation input, the result, the factor-set versions and the
engine version: new factors never change it.

A locked inventory is final. Computing its period again is a *restatement*: a new locked
inventory that supersedes the old one, with a reason; both stay readable and :func:`diff`
explains the difference line by line.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lingtan.accounting.engine import compute_inventory
from lingtan.accounting.serialize import add_warning, result_to_dict
from lingtan.calcfile import parse_calc_document
from lingtan.errors import InputError, InputProblem
from lingtan.i18n import Message
from lingtan.imports.load import facility_by_code
from lingtan.services.audit_check import result_digest, seal
from lingtan.services.from_meters import meter_lineage
from lingtan.services.retirements import ledger_claims, taken_elsewhere
from lingtan.store import audit
from lingtan.store.factor_sets import library_for
from lingtan.store.models import (
    ActivityRecord,
    AuditEntry,
    Evidence,
    Facility,
    Instrument,
    Inventory,
    Product,
    ProductionRecord,
    Source,
    utc_now,
)

__all__ = [
    "Options",
    "compute",
    "diff",
    "get_inventory",
    "library_for",
    "lock",
    "record_summary",
    "restate",
    "trace",
]


@dataclass(frozen=True)
class Options:
    """Calculation options, as in a ``lingtan calc`` file."""

    gwp: str = "AR5"
    electricity_factor_year: int | None = None
    factor_sets: dict[str, str] | None = None
    residual_factor: float | None = None

    def document(self) -> dict[str, Any]:
        out: dict[str, Any] = {"gwp": self.gwp}
        if self.electricity_factor_year is not None:
            out["electricity_factor_year"] = self.electricity_factor_year
        if self.factor_sets:
            out["factor_sets"] = dict(self.factor_sets)
        if self.residual_factor is not None:
            out["residual_factor"] = self.residual_factor
        return out


#: Where a problem of an inventory named by its id is.
_INVENTORY = Message("inventory")


def _line_id(source: Source, record: ActivityRecord) -> str:
    return f"{source.code}@{record.period_start.isoformat()}"


def build_document(
    session: Session, facility: Facility, start: date, end: date, options: Options
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The calculation input for a facility and period, and its lineage.

    Returns
    -------
    (document, lineage)
        ``document`` is a ``lingtan calc`` document; ``lineage`` maps each calculation line
        id to its source code, activity record id and evidence hashes, lists the records
        left out because they straddle the period, maps each instrument from the ledger to
        its holding and retirements (``ledger_instruments``) and holds the ``offsets`` (the
        caller moves them into the result).
    """
    rows = session.execute(
        select(Source, ActivityRecord)
        .join(ActivityRecord, ActivityRecord.source_id == Source.id)
        .where(Source.facility_id == facility.id)
        .where(ActivityRecord.period_start <= end, ActivityRecord.period_end >= start)
        .order_by(Source.code, ActivityRecord.period_start)
    ).all()
    sources, lines, straddling = [], {}, []
    by_source: dict[str, list[str]] = defaultdict(list)
    metered = meter_lineage(session, [record.id for _, record in rows])
    for source, record in rows:
        if record.period_start < start or record.period_end > end:
            straddling.append(record.id)
            continue
        line_id = _line_id(source, record)
        entry = {
            "id": line_id,
            "kind": source.kind,
            "name": source.name or source.code,
            "quantity": record.quantity,
            "unit": record.unit,
            **source.params,
            **(record.params or {}),
        }
        sources.append(entry)
        by_source[source.code].append(line_id)
        lines[line_id] = {
            "source": source.code,
            "activity_record_id": record.id,
            "evidence": sorted(e.sha256 for e in record.evidence),
        }
        if record.id in metered:
            lines[line_id]["meters"] = metered[record.id]
    if not sources:
        raise InputError(
            InputProblem(
                Message("facility %(code)s", code=facility.code),
                "period",
                f"{start}..{end}",
                Message("no activity records fall within the period"),
            )
        )
    instruments, outside = [], []
    for instrument in session.scalars(
        select(Instrument)
        .where(Instrument.facility_id == facility.id)
        .where(Instrument.period_start <= end, Instrument.period_end >= start)
        .order_by(Instrument.code)
    ):
        if instrument.period_start < start or instrument.period_end > end:
            outside.append(f"instrument {instrument.code}")
            continue
        targets = [line for code in instrument.sources for line in by_source.get(code, [])]
        instruments.append(
            {
                "id": instrument.code,
                "kind": instrument.kind,
                "quantity": instrument.quantity,
                "unit": instrument.unit,
                "serial": instrument.serial or "",
                "sources": targets,
            }
        )
    taken = taken_elsewhere(session, facility, start, end, instruments)
    if taken:
        raise InputError(taken)
    ledger = ledger_claims(session, facility, start, end)
    instruments += ledger.instruments  # after the own ones: a serial in both is named on these
    outside += ledger.outside
    production = []
    for product in session.scalars(select(Product).where(Product.facility_id == facility.id)):
        quantities = []
        for record in session.scalars(
            select(ProductionRecord)
            .where(ProductionRecord.product_id == product.id)
            .where(ProductionRecord.period_start <= end, ProductionRecord.period_end >= start)
        ):
            if record.period_start < start or record.period_end > end:
                outside.append(f"production of {product.code} {record.period_start}")
            else:
                quantities.append(record.quantity)
        if quantities:
            production.append(
                {"name": product.name, "quantity": math.fsum(quantities), "unit": product.unit}
            )
    document = {
        "facility": {"name": facility.name, "region": facility.region},
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        **options.document(),
        "sources": sources,
        "instruments": instruments,
        "production": production,
    }
    lineage = {
        "lines": lines,
        "straddling_records": straddling,
        "straddling_other": outside,
        "ledger_instruments": ledger.provenance,
        "offsets": ledger.offsets,
    }
    return document, lineage


def _locked(session: Session, facility: Facility, start: date, end: date) -> Inventory | None:
    """The locked inventory in force for the period (the newest, which supersedes the rest)."""
    return session.scalars(
        select(Inventory)
        .where(Inventory.facility_id == facility.id, Inventory.period_start == start)
        .where(Inventory.period_end == end, Inventory.status == "locked")
        .order_by(Inventory.id.desc())
    ).first()


def _snapshot(
    session: Session,
    facility: Facility,
    start: date,
    end: date,
    options: Options,
    actor: str,
) -> Inventory:
    document, lineage = build_document(session, facility, start, end, options)
    library = library_for(session)
    inventory_input, library = parse_calc_document(document, library=library)
    result = result_to_dict(compute_inventory(inventory_input, library))
    result["offsets"] = lineage.pop("offsets")
    if lineage["straddling_records"]:
        add_warning(
            result,
            Message(
                "%(n)d activity record(s) straddle the period and were left out: ids %(ids)s",
                n=len(lineage["straddling_records"]),
                ids=str(lineage["straddling_records"]),
            ),
        )
    if lineage["straddling_other"]:
        add_warning(
            result,
            Message(
                "straddling the period and left out: %(items)s",
                items=", ".join(lineage["straddling_other"]),
            ),
        )
    return Inventory(
        facility_id=facility.id,
        period_start=start,
        period_end=end,
        status="computed",
        engine_version=result["inventory"]["engine_version"],
        factor_sets=result["inventory"]["factor_sets"],
        input_document=document,
        result=result,
        lineage=lineage,
        result_sha256=result_digest(result),
        total_tco2e=result["totals"]["total_tco2e"],
        created_by=actor,
    )


def _facility(session: Session, facility: Facility | str | None) -> Facility:
    return facility if isinstance(facility, Facility) else facility_by_code(session, facility)


def compute(
    session: Session,
    facility_code: Facility | str | None,
    start: date,
    end: date,
    *,
    actor: str,
    options: Options | None = None,
    lock: bool = False,
) -> Inventory:
    """Compute and store a new inventory snapshot (and lock it if asked).

    ``facility_code`` may also be the :class:`Facility` itself (codes are unique only within
    an organization).

    Raises
    ------
    InputError
        If the period is locked (restate it instead), has no data, or the data are refused by
        the engine.
    """
    facility = _facility(session, facility_code)
    locked = _locked(session, facility, start, end)
    if locked is not None:
        raise InputError(
            InputProblem(
                Message("facility %(code)s", code=facility.code),
                "period",
                f"{start}..{end}",
                Message(
                    "is locked by inventory %(id)s: restate it with a reason "
                    "(lingtan inventory restate) instead of computing it again",
                    id=locked.id,
                ),
            )
        )
    inventory = _snapshot(session, facility, start, end, options or Options(), actor)
    if lock:
        inventory.status, inventory.locked_at = "locked", utc_now()
    session.add(inventory)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="compute",
        entity="inventory",
        entity_key=str(inventory.id),
        after=_sealed(inventory),
    )
    return inventory


def _summary(inventory: Inventory) -> dict[str, Any]:
    return {
        "facility_id": inventory.facility_id,
        "period": [inventory.period_start.isoformat(), inventory.period_end.isoformat()],
        "status": inventory.status,
        "total_tco2e": inventory.total_tco2e,
        "result_sha256": inventory.result_sha256,
        "supersedes_id": inventory.supersedes_id,
        "restatement_reason": inventory.restatement_reason,
    }


def _sealed(inventory: Inventory) -> dict[str, Any]:
    """What the audit log keeps of a snapshot it computed, locked or restated: its summary and
    its seal (:func:`lingtan.services.audit_check.seal`)."""
    return {**_summary(inventory), "seal": seal(inventory)}


def get_inventory(session: Session, inventory_id: int) -> Inventory:
    inventory = session.get(Inventory, inventory_id)
    if inventory is None:
        raise InputError(InputProblem(_INVENTORY, "id", inventory_id, Message("no such inventory")))
    return inventory


def lock(session: Session, inventory_id: int, *, actor: str) -> Inventory:
    """Lock a computed inventory: it becomes the reported figure for its period."""
    inventory = get_inventory(session, inventory_id)
    if inventory.status == "locked":
        raise InputError(InputProblem(_INVENTORY, "id", inventory_id, Message("is already locked")))
    facility = session.get(Facility, inventory.facility_id)
    assert facility is not None
    other = _locked(session, facility, inventory.period_start, inventory.period_end)
    if other is not None:
        raise InputError(
            InputProblem(
                _INVENTORY,
                "id",
                inventory_id,
                Message(
                    "the period is already locked by inventory %(id)s; restate it", id=other.id
                ),
            )
        )
    overlapping = session.scalars(
        select(Inventory)
        .where(Inventory.facility_id == facility.id, Inventory.status == "locked")
        .where(Inventory.period_start <= inventory.period_end)
        .where(Inventory.period_end >= inventory.period_start)
        .order_by(Inventory.id)
    ).first()
    if overlapping is not None:  # the same bounds were refused above: these differ
        rule = Message(
            "the period overlaps the locked period %(start)s to %(end)s of inventory %(id)s: "
            "one figure per day; restate that inventory or lock a period beside it",
            start=overlapping.period_start.isoformat(),
            end=overlapping.period_end.isoformat(),
            id=overlapping.id,
        )
        raise InputError(InputProblem(_INVENTORY, "id", inventory_id, rule))
    before = _summary(inventory)
    inventory.status, inventory.locked_at = "locked", utc_now()
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="lock",
        entity="inventory",
        entity_key=str(inventory.id),
        before=before,
        after=_sealed(inventory),
    )
    return inventory


def restate(
    session: Session,
    facility_code: Facility | str | None,
    start: date,
    end: date,
    *,
    reason: str,
    actor: str,
    options: Options | None = None,
) -> Inventory:
    """Recompute a locked period as a new locked inventory that supersedes the old one."""
    if not reason or not reason.strip():
        raise InputError(
            InputProblem(
                Message("restate"), "reason", reason, Message("a restatement needs a reason")
            )
        )
    facility = _facility(session, facility_code)
    locked = _locked(session, facility, start, end)
    if locked is None:
        raise InputError(
            InputProblem(
                Message("facility %(code)s", code=facility.code),
                "period",
                f"{start}..{end}",
                Message("has no locked inventory to restate: compute and lock one"),
            )
        )
    if options is None:  # keep the options of the restated inventory
        kept = {
            k: locked.input_document.get(k)
            for k in ("gwp", "electricity_factor_year", "factor_sets", "residual_factor")
        }
        options = Options(**{k: v for k, v in kept.items() if v is not None})
    inventory = _snapshot(session, facility, start, end, options, actor)
    inventory.status, inventory.locked_at = "locked", utc_now()
    inventory.supersedes_id, inventory.restatement_reason = locked.id, reason.strip()
    session.add(inventory)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="restate",
        entity="inventory",
        entity_key=str(inventory.id),
        before=_summary(locked),
        after=_sealed(inventory),
    )
    return inventory


def diff(session: Session, old_id: int, new_id: int) -> dict[str, Any]:
    """Explain the difference between two inventories, total by total and line by line.

    Each line's change in emissions is split into the part due to activity data and the part
    due to factors: ΔE = (A₂ − A₁) × EF₁ + A₂ × (EF₂ − EF₁), with EF = E / A for the line.
    """
    old, new = get_inventory(session, old_id), get_inventory(session, new_id)
    totals = {
        key: {
            "old": old.result["totals"][key],
            "new": value,
            "change": value - old.result["totals"][key],
        }
        for key, value in new.result["totals"].items()
        if isinstance(value, int | float) and isinstance(old.result["totals"].get(key), int | float)
    }
    old_lines = {ln["source_id"]: ln for ln in old.result["lines"]}
    new_lines = {ln["source_id"]: ln for ln in new.result["lines"]}
    lines = []
    for line_id in sorted(set(old_lines) | set(new_lines)):
        a, b = old_lines.get(line_id), new_lines.get(line_id)
        e1 = a["emissions_tco2e"] if a else 0.0
        e2 = b["emissions_tco2e"] if b else 0.0
        if a and b and e1 == e2 and a["activity"] == b["activity"]:
            continue
        entry: dict[str, Any] = {
            "line": line_id,
            "old_tco2e": e1,
            "new_tco2e": e2,
            "change_tco2e": e2 - e1,
        }
        if a and b:
            a1, a2 = a["activity"], b["activity"]
            ef1 = e1 / a1 if a1 else 0.0
            ef2 = e2 / a2 if a2 else 0.0
            entry["activity_effect_tco2e"] = (a2 - a1) * ef1
            entry["factor_effect_tco2e"] = a2 * (ef2 - ef1)
            entry["old_activity"], entry["new_activity"] = a1, a2
            entry["activity_unit"] = b["activity_unit"]
            changed = [
                f"{u1['role']}: {u1['value']:g} -> {u2['value']:g} {u2['unit']}"
                for u1, u2 in zip(a["factors"], b["factors"], strict=False)
                if u1["role"] == u2["role"] and u1["value"] != u2["value"]
            ]
            entry["factors_changed"] = changed
        else:
            entry["reason"] = "line added" if b else "line removed"
        lines.append(entry)
    return {
        "old": {"id": old.id, "status": old.status, "created_at": old.created_at.isoformat()},
        "new": {
            "id": new.id,
            "status": new.status,
            "created_at": new.created_at.isoformat(),
            "supersedes_id": new.supersedes_id,
            "reason": new.restatement_reason,
        },
        "totals": totals,
        "lines": lines,
    }


def record_summary(record: ActivityRecord) -> dict[str, Any]:
    """An activity record as a verifier reads it, with its evidence files."""
    return {
        "record_id": record.id,
        "period_start": record.period_start,
        "period_end": record.period_end,
        "quantity": record.quantity,
        "unit": record.unit,
        "origin": record.origin,
        "quality_note": record.quality_note,
        "evidence": [{"sha256": e.sha256, "filename": e.filename} for e in record.evidence],
    }


def trace(session: Session, inventory_id: int, line_id: str) -> dict[str, Any]:
    """From a line of an inventory down to its activity record and evidence files, and for a
    record produced from meters, the meters (sign, interval span, energy, measured share)."""
    inventory = get_inventory(session, inventory_id)
    link = inventory.lineage["lines"].get(line_id)
    if link is None:
        raise InputError(
            InputProblem(
                Message("inventory %(id)s", id=inventory_id),
                "line",
                line_id,
                Message("no such line"),
            )
        )
    record_id = link["activity_record_id"]
    record = session.get(ActivityRecord, record_id)
    line = next(ln for ln in inventory.result["lines"] if ln["source_id"] == line_id)
    if record is None:  # deleted since the snapshot: what the audit log kept of it
        activity, hashes = _deleted_record(session, record_id), link.get("evidence", [])
        now = "held when it was deleted"
    else:
        activity = {**record_summary(record), "import_id": record.import_id}
        hashes, now = [e.sha256 for e in record.evidence], "now holds"
    if (activity["quantity"], activity["unit"]) != (line["quantity"], line["unit"]):
        activity["changed_since"] = (
            f"the snapshot used {line['quantity']:g} {line['unit']}; the record {now} "
            f"{activity['quantity']:g} {activity['unit']} (see the audit log)"
        )
    organization_id = select(Facility.organization_id).where(Facility.id == inventory.facility_id)
    files = {
        e.sha256: e
        for e in session.scalars(
            select(Evidence).where(
                Evidence.sha256.in_(hashes),
                Evidence.organization_id == organization_id.scalar_subquery(),
            )
        )
    }
    return {
        "line": line,
        "factors": {
            u["ref"]: inventory.result["factors"][u["ref"]] for u in line["factors"] if u["ref"]
        },
        "activity_record": {**activity, "source": link["source"]},
        "meters": meter_lineage(session, [record_id]).get(record_id, []),
        "evidence": [
            {
                "sha256": h,
                "filename": files[h].filename,
                "media_type": files[h].media_type,
                "organization_id": files[h].organization_id,
            }
            for h in hashes
            if h in files
        ],
    }


def _deleted_record(session: Session, record_id: int) -> dict[str, Any]:
    entry = session.scalars(
        select(AuditEntry).where(
            AuditEntry.entity == "activity_record",
            AuditEntry.entity_key == str(record_id),
            AuditEntry.action == "delete",
        )
    ).first()
    before, after = (entry.before or {}, entry.after or {}) if entry else ({}, {})
    period = before.get("period") or [None, None]
    return {
        "record_id": record_id,
        "period_start": period[0],
        "period_end": period[1],
        "quantity": before.get("quantity"),
        "unit": before.get("unit"),
        "origin": before.get("origin"),
        "quality_note": before.get("quality_note"),
        "deleted": {
            "at": entry.at if entry else None,
            "by": entry.actor if entry else None,
            "reason": after.get("reason"),
            "audit_entry": entry.id if entry else None,
        },
    }
