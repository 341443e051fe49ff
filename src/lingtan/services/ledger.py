"""The carbon-asset ledger in the store: holdings, their movements, balances.

:func:`write_ledger` adds holdings (:class:`~lingtan.assets.ledger.HoldingIn`) and their
transfers, retirements and cancellations (:class:`~lingtan.assets.ledger.MovementIn`) to a
facility's organization, **all or nothing**: every item is checked against the database and
against the items before it, every problem is collected, and if there is one nothing is written
(the work runs in a savepoint that is rolled back). The double-count rules
(:mod:`lingtan.assets.ledger`) are checked across every facility and organization of the
database through the serial ranges of :class:`~lingtan.store.models.LedgerSerial`:

* a serial is held by one holding at a time: a holding whose serials overlap another's is
  refused, unless the other transferred them out; a certificate bundled with a green power
  contract is never also a holding of its own;
* a serial is retired or cancelled once: a movement whose serials overlap an earlier
  retirement or cancellation (of any holding) is refused, naming it;
* a movement takes no more than the balance, and only serials of its holding;
* a retirement meets the claim-period rules of its kind (``claim-rules.yaml``);
* a green power contract's months (:class:`~lingtan.assets.ledger.MonthIn`: contracted and
  settled MWh, bundled GECs) lie in its delivery period, contract and settle together no more
  than the contract's MWh and bundle only its certificates; once a contract has months, a
  retirement of it for a claim period takes no more than the MWh settled in the claim
  period's months less what earlier retirements for overlapping periods took — so the
  market-based Scope 2 of an inventory counts the volume settled in its months;
* national ETS allowances (``cea``) are surrendered (清缴) by a covered facility for a
  compliance year, never retired, and a surrender meets the surrender rules
  (``surrender-rules.yaml``); nothing else is surrendered. A surrender never enters an
  inventory (:func:`lingtan.services.allowances.compliance_status` shows it beside it);
* a retirement whose claim period lies in a period a locked inventory of its facility
  covers changes that inventory's figures (its market-based Scope 2, its offsets): it is
  refused, naming the inventory, unless it comes with a restatement's reason, and then the
  period is restated (:func:`lingtan.services.inventory.restate`) in the same transaction.

Writers are serialised (SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: a transaction-level advisory
lock), so two concurrent retirements of one serial cannot both pass the check. Re-writing an
item already stored (same holding, same movement) changes nothing. Every holding and every
movement written gets its audit entry (``carbon_asset`` / ``ledger_entry``).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from lingtan.accounting.serials import SerialRange, parse_serials
from lingtan.assets.ledger import (
    ACTIONS,
    ALLOWANCES,
    CHANNELS,
    COUNTED,
    KINDS,
    HoldingIn,
    MonthIn,
    MovementIn,
    claim_rules,
    rule_problem,
    surrender_problem,
    surrender_rules,
    uncovered,
)
from lingtan.errors import InputError, InputProblem, Problems, one_of
from lingtan.i18n import Message
from lingtan.store import audit
from lingtan.store.evidence import EvidenceStore
from lingtan.store.models import (
    CarbonAsset,
    ContractMonth,
    Facility,
    ImportBatch,
    Inventory,
    LedgerEntry,
    LedgerSerial,
)

__all__ = [
    "PG_LEDGER_LOCK_KEY",
    "LedgerWrite",
    "asset_balances",
    "contract_months",
    "ledger_entries",
    "retirements",
    "taken_by",
    "write_ledger",
]

#: Key of the PostgreSQL advisory lock that serialises ledger writers ("lingtanL").
PG_LEDGER_LOCK_KEY = int.from_bytes(b"lingtanL", "big")
#: Roles of a serial range: held by a holding, bundled with a contract, taken by a movement.
_OUT = ("retire", "surrender", "cancel")
_EPS = 1e-9


@dataclass
class LedgerWrite:
    """What :func:`write_ledger` did: holdings and movements added and already stored."""

    facility: str
    assets_added: list[str] = field(default_factory=list)
    assets_unchanged: int = 0
    entries_added: list[int] = field(default_factory=list)
    entries_unchanged: int = 0
    months_added: list[str] = field(default_factory=list)
    months_unchanged: int = 0
    batch_id: int | None = None
    #: The inventories that restated the locked periods the retirements changed.
    restated: list[int] = field(default_factory=list)


#: The longest text of each field the store keeps (its column's length).
_LENGTHS = {
    "code": 100, "asset": 100, "issuing_registry": 200, "project": 200, "technology": 40,
    "methodology": 200, "counterpart": 200, "claim": 200, "facility": 100, "channel": 20,
    "registry_account": 100,
}  # fmt: skip
_SERIAL_LENGTH = 200


def _too_long(item: HoldingIn | MovementIn, problems: Problems) -> bool:
    """Record every text of ``item`` longer than its column holds; True if there was one."""
    found = False
    for name, limit in _LENGTHS.items():
        value = getattr(item, name, None)
        if isinstance(value, str) and len(value) > limit:
            rule = Message("must be at most %(limit)s characters", limit=limit)
            problems.append(InputProblem(item.where, name, value, rule))
            found = True
    return found


def _ranges(text: str, where: Any, name: str, problems: Problems) -> list[SerialRange] | None:
    try:
        ranges = parse_serials(text)
    except ValueError as exc:
        problems.append(InputProblem(where, name, text, exc.args[0]))
        return None
    for serial in ranges:
        if len(serial.text) > _SERIAL_LENGTH:
            rule = Message("must be at most %(limit)s characters", limit=_SERIAL_LENGTH)
            problems.append(InputProblem(where, name, serial.text, rule))
            return None
    return ranges


def _overlapping(session: Session, serial: SerialRange, roles: tuple[str, ...]) -> list[Any]:
    """The stored ranges of ``roles`` that share a serial with ``serial``, with their holding."""
    query = (
        sa.select(LedgerSerial, CarbonAsset)
        .join(CarbonAsset, CarbonAsset.id == LedgerSerial.asset_id)
        .where(LedgerSerial.prefix == serial.prefix, LedgerSerial.role.in_(roles))
    )
    if serial.first is None:
        query = query.where(LedgerSerial.first.is_(None))
    else:
        query = query.where(LedgerSerial.first <= serial.last, LedgerSerial.last >= serial.first)
    return list(session.execute(query.order_by(LedgerSerial.id)).all())


def _as_range(row: LedgerSerial) -> SerialRange:
    return SerialRange(row.text, row.prefix, row.first, row.last)


def _shared(a: SerialRange, b: SerialRange) -> SerialRange:
    """The serials ``a`` and ``b`` share (they overlap)."""
    if a.first is None or b.first is None:
        return a
    assert a.last is not None and b.last is not None
    return SerialRange(a.text, a.prefix, max(a.first, b.first), min(a.last, b.last))


def _transferred(session: Session, asset_id: int) -> list[SerialRange]:
    rows = session.scalars(
        sa.select(LedgerSerial).where(
            LedgerSerial.asset_id == asset_id, LedgerSerial.role == "transfer"
        )
    )
    return [_as_range(r) for r in rows]


def _asset_state(asset: CarbonAsset) -> dict[str, Any]:
    return {
        "code": asset.code,
        "kind": asset.kind,
        "quantity": asset.quantity,
        "unit": asset.unit,
        "serial": asset.serial,
        "certificates": asset.certificates,
        "issuing_registry": asset.issuing_registry,
        "project": asset.project,
        "technology": asset.technology,
        "methodology": asset.methodology,
        "counterpart": asset.counterpart,
        "channel": asset.channel,
        "price_cny_per_unit": asset.price_cny_per_unit,
        "registry_account": asset.registry_account,
        "period_start": asset.period_start,
        "period_end": asset.period_end,
        "acquired_on": asset.acquired_on,
        "facility_id": asset.facility_id,
        "evidence_id": asset.evidence_id,
    }


def _same_holding(stored: CarbonAsset, item: HoldingIn) -> bool:
    return (
        stored.kind == item.kind
        and math.isclose(stored.quantity, item.quantity, rel_tol=1e-12)
        and (stored.serial or "") == item.serial
        and (stored.certificates or "") == item.certificates
        and stored.period_start == item.period_start
        and stored.period_end == item.period_end
    )


def _add_holding(
    session: Session, facility: Facility, item: HoldingIn, actor: str, problems: Problems
) -> CarbonAsset | bool | None:
    """The new holding (flushed), None after recording its problems, False when stored."""
    where = item.where
    if _too_long(item, problems):
        return None
    stored = session.scalars(
        sa.select(CarbonAsset).where(
            CarbonAsset.organization_id == facility.organization_id,
            CarbonAsset.code == item.code,
        )
    ).first()
    if stored is not None:
        if _same_holding(stored, item):
            return False
        rule = Message(
            "holding %(code)s is already in the ledger with other attributes (%(quantity)s "
            "%(unit)s, serials %(serial)s): a holding is never overwritten",
            code=item.code,
            quantity=f"{stored.quantity:g}",
            unit=stored.unit,
            serial=stored.serial or "-",
        )
        problems.append(InputProblem(where, "asset", item.code, rule))
        return None
    start = len(problems)
    if item.kind not in KINDS:
        problems.append(InputProblem(where, "kind", item.kind, one_of(KINDS)))
        return None
    if not (math.isfinite(item.quantity) and item.quantity > 0):
        rule = Message("must be a number above 0")
        problems.append(InputProblem(where, "quantity", item.quantity, rule))
    if item.period_end < item.period_start:
        rule = Message("the period ends before it starts (%(start)s)", start=item.period_start)
        problems.append(InputProblem(where, "period_end", item.period_end.isoformat(), rule))
    if item.kind in ALLOWANCES:
        if item.channel not in CHANNELS:
            problems.append(InputProblem(where, "channel", item.channel or None, one_of(CHANNELS)))
        if item.period_start.year != item.period_end.year:
            rule = Message("an allowance holding's period is its vintage year (one calendar year)")
            span = f"{item.period_start.isoformat()}..{item.period_end.isoformat()}"
            problems.append(InputProblem(where, "period", span, rule))
    price = item.price_cny_per_unit
    if price is not None and not (math.isfinite(price) and price >= 0):
        rule = Message("must be a number of 0 or more")
        problems.append(InputProblem(where, "price", price, rule))
    if item.kind in ("gec", "ccer") and not item.serial:
        rule = Message("a GEC or CCER holding names its serials (issued by its registry)")
        problems.append(InputProblem(where, "serial", None, rule))
    if item.certificates and item.kind != "green_power":
        rule = Message("only a green power contract has bundled certificates")
        problems.append(InputProblem(where, "certificates", item.certificates, rule))
    if item.serial and item.kind == "green_power":
        rule = Message("a green power contract names its GECs in certificates, not serial")
        problems.append(InputProblem(where, "serial", item.serial, rule))
    held = _ranges(item.serial, where, "serial", problems) or []
    bundled = _ranges(item.certificates, where, "certificates", problems) or []
    if item.kind in COUNTED and held:
        count = sum(r.count for r in held)
        if not math.isclose(count, item.quantity):
            rule = Message(
                "the serials name %(count)d unit(s) but the quantity is %(quantity)s %(unit)s: "
                "one serial is one MWh (GEC) or one tCO2e (credit)",
                count=count,
                quantity=f"{item.quantity:g}",
                unit=KINDS[item.kind],
            )
            problems.append(InputProblem(where, "quantity", item.quantity, rule))
    if bundled and sum(r.count for r in bundled) > item.quantity + _EPS:
        rule = Message(
            "the contract bundles %(count)d GEC(s), more than its %(quantity)s MWh",
            count=sum(r.count for r in bundled),
            quantity=f"{item.quantity:g}",
        )
        problems.append(InputProblem(where, "certificates", item.certificates, rule))
    mine = [("held", r) for r in held] + [("bundled", r) for r in bundled]
    for i, (_, a) in enumerate(mine):
        for _, b in mine[:i]:
            if a.overlaps(b):
                rule = Message(
                    "%(serial)s shares serials with %(other)s of the same holding",
                    serial=a.text,
                    other=b.text,
                )
                problems.append(InputProblem(where, "serial", a.text, rule))
    for role, serial in mine:
        for row, other in _overlapping(session, serial, ("held", "bundled")):
            mine_org = other.organization_id == facility.organization_id
            name = (
                Message("holding %(code)s", code=other.code)
                if mine_org
                else Message("a holding of another organization")
            )
            if role == "held" and row.role == "held":
                if not uncovered(_shared(serial, _as_range(row)), _transferred(session, other.id)):
                    continue  # the other holder transferred them out: acquired from it
                rule = Message(
                    "%(serial)s shares serials with %(other)s of %(name)s: a certificate or "
                    "credit is held once in the ledger (rule: one holder per serial)",
                    serial=serial.text,
                    other=row.text,
                    name=name,
                )
            elif "bundled" in (role, row.role):
                rule = Message(
                    "%(serial)s shares serials with %(other)s of %(name)s: a certificate bundled "
                    "with a green power contract is not counted separately (rule: bundled "
                    "certificates)",
                    serial=serial.text,
                    other=row.text,
                    name=name,
                )
            problems.append(InputProblem(where, _role_field(role), serial.text, rule))
    if len(problems) > start:
        return None
    asset = CarbonAsset(
        organization_id=facility.organization_id,
        facility_id=facility.id,
        code=item.code,
        kind=item.kind,
        quantity=item.quantity,
        unit=KINDS[item.kind],
        serial=item.serial or None,
        certificates=item.certificates or None,
        issuing_registry=item.issuing_registry,
        project=item.project,
        technology=item.technology,
        methodology=item.methodology,
        counterpart=item.counterpart,
        channel=item.channel,
        price_cny_per_unit=item.price_cny_per_unit,
        registry_account=item.registry_account,
        period_start=item.period_start,
        period_end=item.period_end,
        acquired_on=item.acquired_on,
        created_by=actor,
    )
    session.add(asset)
    session.flush()
    session.add_all(
        LedgerSerial(
            asset_id=asset.id,
            role=role,
            text=r.text,
            prefix=r.prefix,
            first=r.first,
            last=r.last,
        )
        for role, r in mine
    )
    session.flush()
    return asset


def _role_field(role: str) -> str:
    """The field of a holding that holds the serials of ``role``."""
    return "certificates" if role == "bundled" else "serial"


def _balance(session: Session, asset: CarbonAsset) -> float:
    out = session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(LedgerEntry.quantity), 0.0)).where(
            LedgerEntry.asset_id == asset.id
        )
    )
    return asset.quantity - float(out or 0.0)


def _entry_state(entry: LedgerEntry, asset: CarbonAsset, facility: str | None) -> dict[str, Any]:
    return {
        "asset": asset.code,
        "kind": asset.kind,
        "action": entry.action,
        "quantity": entry.quantity,
        "unit": asset.unit,
        "serial": entry.serial,
        "on_date": entry.on_date,
        "facility": facility,
        "period_start": entry.period_start,
        "period_end": entry.period_end,
        "claim": entry.claim,
        "compliance_year": entry.compliance_year,
        "counterpart": entry.counterpart,
        "reason": entry.reason,
        "evidence_id": entry.evidence_id,
    }


def _locked_over(session: Session, facility: Facility, start: date, end: date) -> list[Inventory]:
    """The locked inventories of ``facility`` whose period holds ``start`` to ``end``: those a
    retirement for that claim period counts in (one that straddles a period is left out of it,
    :mod:`lingtan.services.retirements`)."""
    return list(
        session.scalars(
            sa.select(Inventory)
            .where(
                Inventory.facility_id == facility.id,
                Inventory.status == "locked",
                Inventory.period_start <= start,
                Inventory.period_end >= end,
            )
            .order_by(Inventory.id)
        )
    )


def _add_movement(
    session: Session,
    facility: Facility,
    item: MovementIn,
    actor: str,
    problems: Problems,
    restate: str | None,
    periods: set[tuple[int, date, date]],
) -> LedgerEntry | bool | None:
    """The new entry (flushed), None after recording its problems, False when stored; the
    locked periods a retirement changes are added to ``periods`` when ``restate`` is given."""
    where = item.where
    if _too_long(item, problems):
        return None
    asset = _holding(session, facility, item.asset, where, problems)
    if asset is None:
        return None
    if item.action not in ACTIONS:
        problems.append(InputProblem(where, "record", item.action, one_of(ACTIONS)))
        return None
    target = facility
    if item.facility and item.facility != facility.code:
        target = session.scalars(
            sa.select(Facility).where(
                Facility.organization_id == facility.organization_id,
                Facility.code == item.facility,
            )
        ).first()
        if target is None:
            rule = Message("no such facility in the organization")
            problems.append(InputProblem(where, "facility", item.facility, rule))
            return None
    stored = session.scalars(
        sa.select(LedgerEntry).where(
            LedgerEntry.asset_id == asset.id,
            LedgerEntry.action == item.action,
            LedgerEntry.on_date == item.on_date,
            LedgerEntry.serial == (item.serial or None)
            if item.serial
            else LedgerEntry.serial.is_(None),
        )
    ).all()
    for entry in stored:
        if (
            math.isclose(entry.quantity, item.quantity, rel_tol=1e-12)
            and entry.period_start == item.period_start
            and entry.period_end == item.period_end
            and entry.claim == item.claim
            and entry.compliance_year == item.compliance_year
            and (item.action not in ("retire", "surrender") or entry.facility_id == target.id)
        ):
            return False  # the same movement again: already stored
    start = len(problems)
    label = Message(
        "holding %(code)s (%(kind)s, %(unit)s)", code=asset.code, kind=asset.kind, unit=asset.unit
    )
    if not (math.isfinite(item.quantity) and item.quantity > 0):
        rule = Message("must be a number above 0")
        problems.append(InputProblem(where, "quantity", item.quantity, rule))
        return None
    if item.on_date < asset.acquired_on:
        rule = Message(
            "is before %(code)s was acquired (%(day)s)", code=asset.code, day=asset.acquired_on
        )
        problems.append(InputProblem(where, "date", item.on_date.isoformat(), rule))
    balance = _balance(session, asset)
    if item.quantity > balance + _EPS:
        rule = Message(
            "%(quantity)s %(unit)s is more than the balance of %(label)s: "
            "%(balance)s %(unit)s (rule: never more than held)",
            quantity=f"{item.quantity:g}",
            unit=asset.unit,
            label=label,
            balance=f"{balance:g}",
        )
        problems.append(InputProblem(where, "quantity", item.quantity, rule))
    if item.action == "surrender":
        _surrender_problems(asset, item, label, problems)
    elif asset.kind in ALLOWANCES and item.action == "retire":
        rule = Message(
            "national ETS allowances are surrendered for a compliance year (record surrender), "
            "never retired into an inventory: they are compliance instruments, not offsets"
        )
        problems.append(InputProblem(where, "record", item.action, rule))
    elif item.action == "retire":
        if item.period_start is None or item.period_end is None:
            rule = Message("a retirement names its claim period (period_start, period_end)")
            problems.append(InputProblem(where, "period_start", None, rule))
        elif item.period_end < item.period_start:
            rule = Message("the period ends before it starts (%(start)s)", start=item.period_start)
            problems.append(InputProblem(where, "period_end", item.period_end.isoformat(), rule))
        else:
            for rule_row in claim_rules():
                if asset.kind not in rule_row.kinds:
                    continue
                broken = rule_problem(
                    rule_row,
                    held_start=asset.period_start,
                    held_end=asset.period_end,
                    claim_start=item.period_start,
                    claim_end=item.period_end,
                    retired_on=item.on_date,
                )
                if broken is not None:
                    problems.append(
                        InputProblem(
                            where,
                            "period",
                            f"{item.period_start.isoformat()}..{item.period_end.isoformat()}",
                            Message("%(label)s: %(rule)s", label=label, rule=broken),
                        )
                    )
            left = _settled_left(session, asset, item.period_start, item.period_end)
            if left is not None and item.quantity > left + _EPS:
                rule = Message(
                    "%(quantity)s MWh is more than the MWh of %(code)s settled in the claim "
                    "period's months and not yet retired: %(left)s MWh (rule: the settled "
                    "volume of the months)",
                    quantity=f"{item.quantity:g}",
                    code=asset.code,
                    left=f"{max(left, 0.0):g}",
                )
                problems.append(InputProblem(where, "quantity", item.quantity, rule))
            for locked in _locked_over(session, target, item.period_start, item.period_end):
                if restate:
                    periods.add((target.id, locked.period_start, locked.period_end))
                    continue
                rule = Message(
                    "the claim period lies in %(start)s to %(end)s, locked by inventory "
                    "%(id)s: a retirement to a locked period is written with its restatement "
                    "(give the restatement's reason)",
                    start=locked.period_start.isoformat(),
                    end=locked.period_end.isoformat(),
                    id=locked.id,
                )
                span = f"{item.period_start.isoformat()}..{item.period_end.isoformat()}"
                problems.append(InputProblem(where, "period", span, rule))
                break
        if not item.claim:
            rule = Message("a retirement names the claim it is made for")
            problems.append(InputProblem(where, "claim", None, rule))
    elif item.action == "transfer" and not item.counterpart:
        rule = Message("a transfer names its counterpart")
        problems.append(InputProblem(where, "counterpart", None, rule))
    elif item.action == "cancel" and not item.reason:
        rule = Message("a cancellation gives its reason")
        problems.append(InputProblem(where, "reason", None, rule))
    held = [
        _as_range(r)
        for r in session.scalars(
            sa.select(LedgerSerial).where(
                LedgerSerial.asset_id == asset.id, LedgerSerial.role == "held"
            )
        )
    ]
    taken: list[SerialRange] = []
    if held:
        if not item.serial:
            rule = Message("%(label)s has serials: name the ones this takes", label=label)
            problems.append(InputProblem(where, "serial", None, rule))
        else:
            taken = _ranges(item.serial, where, "serial", problems) or []
    elif item.serial:
        rule = Message("%(label)s has no serials", label=label)
        problems.append(InputProblem(where, "serial", item.serial, rule))
    if taken:
        count = sum(r.count for r in taken)
        if not math.isclose(count, item.quantity):
            rule = Message(
                "the serials name %(count)d unit(s) but the quantity is %(quantity)s %(unit)s",
                count=count,
                quantity=f"{item.quantity:g}",
                unit=asset.unit,
            )
            problems.append(InputProblem(where, "quantity", item.quantity, rule))
    for serial in taken:
        if uncovered(serial, held):
            rule = Message(
                "%(serial)s is not among the serials of %(label)s (%(held)s)",
                serial=serial.text,
                label=label,
                held=asset.serial,
            )
            problems.append(InputProblem(where, "serial", serial.text, rule))
            continue
        for row, other in _overlapping(session, serial, (*_OUT, "transfer")):
            if row.role == "transfer" and other.id != asset.id:
                continue  # transferred out by an earlier holder: this holder acquired them
            earlier = session.get(LedgerEntry, row.entry_id)
            assert earlier is not None
            if other.organization_id == facility.organization_id:
                then = Message(
                    "entry %(id)s (%(action)s) of holding %(code)s on %(day)s",
                    action=earlier.action,
                    id=earlier.id,
                    code=other.code,
                    day=earlier.on_date.isoformat(),
                )
            else:
                then = Message("a retirement or cancellation of another organization")
            rule = Message(
                "%(serial)s shares serials with %(other)s, already taken by %(then)s: a "
                "serial is retired, cancelled or transferred once (rule: no double counting)",
                serial=serial.text,
                other=row.text,
                then=then,
            )
            problems.append(InputProblem(where, "serial", serial.text, rule))
            break
    if len(problems) > start:
        return None
    entry = LedgerEntry(
        asset_id=asset.id,
        action=item.action,
        quantity=item.quantity,
        serial=item.serial or None,
        on_date=item.on_date,
        facility_id=target.id if item.action in ("retire", "surrender") else None,
        period_start=item.period_start if item.action == "retire" else None,
        period_end=item.period_end if item.action == "retire" else None,
        claim=item.claim,
        compliance_year=item.compliance_year if item.action == "surrender" else None,
        counterpart=item.counterpart,
        reason=item.reason,
        created_by=actor,
    )
    session.add(entry)
    session.flush()
    session.add_all(
        LedgerSerial(
            asset_id=asset.id,
            entry_id=entry.id,
            role=item.action,
            text=r.text,
            prefix=r.prefix,
            first=r.first,
            last=r.last,
        )
        for r in taken
    )
    session.flush()
    return entry


def _month_key(month: ContractMonth) -> str:
    return f"{month.asset.code}:{month.month.isoformat()[:7]}"


def _holding(
    session: Session, facility: Facility, code: str, where: Any, problems: Problems
) -> CarbonAsset | None:
    """The organization's holding ``code``, or None after recording that there is none."""
    asset = session.scalars(
        sa.select(CarbonAsset).where(
            CarbonAsset.organization_id == facility.organization_id, CarbonAsset.code == code
        )
    ).first()
    if asset is None:
        rule = Message("no such holding in the organization's ledger")
        problems.append(InputProblem(where, "asset", code, rule))
    return asset


def _add_month(
    session: Session, facility: Facility, item: MonthIn, actor: str, problems: Problems
) -> ContractMonth | bool | None:
    """The new month of a contract (flushed), None after recording its problems, False when
    the same month is stored."""
    where = item.where
    asset = _holding(session, facility, item.asset, where, problems)
    if asset is None:
        return None
    if asset.kind != "green_power":
        rule = Message("only a green power contract has monthly volumes")
        problems.append(InputProblem(where, "asset", item.asset, rule))
        return None
    month = item.month.replace(day=1)
    stored = session.scalars(
        sa.select(ContractMonth).where(
            ContractMonth.asset_id == asset.id, ContractMonth.month == month
        )
    ).first()
    if stored is not None:
        same = (
            math.isclose(stored.contracted_mwh, item.contracted_mwh, rel_tol=1e-12)
            and (stored.settled_mwh is None) == (item.settled_mwh is None)
            and (
                item.settled_mwh is None
                or math.isclose(stored.settled_mwh or 0.0, item.settled_mwh, rel_tol=1e-12)
            )
            and stored.certificates == item.certificates
        )
        if same:
            return False
        rule = Message(
            "the month %(month)s of %(code)s is already in the ledger with other volumes "
            "(%(contracted)s MWh contracted): a month is never overwritten",
            month=month.isoformat()[:7],
            code=asset.code,
            contracted=f"{stored.contracted_mwh:g}",
        )
        problems.append(InputProblem(where, "date", item.month.isoformat(), rule))
        return None
    start = len(problems)
    first = asset.period_start.replace(day=1)
    if not first <= month <= asset.period_end:
        rule = Message(
            "the month is outside the contract's delivery period %(start)s to %(end)s",
            start=asset.period_start.isoformat(),
            end=asset.period_end.isoformat(),
        )
        problems.append(InputProblem(where, "date", item.month.isoformat(), rule))
    for name, value in (("quantity", item.contracted_mwh), ("settled", item.settled_mwh)):
        if value is not None and not (math.isfinite(value) and value >= 0):
            rule = Message("must be a number of 0 or more")
            problems.append(InputProblem(where, name, value, rule))
    if len(problems) > start:
        return None
    others = list(
        session.scalars(sa.select(ContractMonth).where(ContractMonth.asset_id == asset.id))
    )
    for name, value, total in (
        ("quantity", item.contracted_mwh,
         math.fsum(m.contracted_mwh for m in others) + item.contracted_mwh),
        ("settled", item.settled_mwh,
         math.fsum(m.settled_mwh or 0.0 for m in others) + (item.settled_mwh or 0.0)),
    ):  # fmt: skip
        if total > asset.quantity + _EPS:
            rule = Message(
                "the months of %(code)s come to %(total)s MWh, more than the contract's "
                "%(quantity)s MWh",
                code=asset.code,
                total=f"{total:g}",
                quantity=f"{asset.quantity:g}",
            )
            problems.append(InputProblem(where, name, value, rule))
    bundled = [
        _as_range(r)
        for r in session.scalars(
            sa.select(LedgerSerial).where(
                LedgerSerial.asset_id == asset.id, LedgerSerial.role == "bundled"
            )
        )
    ]
    ranges = _ranges(item.certificates, where, "certificates", problems) or []
    for serial in ranges:
        if uncovered(serial, bundled):
            rule = Message(
                "%(serial)s is not among the certificates bundled with %(code)s (%(held)s)",
                serial=serial.text,
                code=asset.code,
                held=asset.certificates or "-",
            )
            problems.append(InputProblem(where, "certificates", serial.text, rule))
    count = sum(r.count for r in ranges)
    if ranges and count > (item.settled_mwh or 0.0) + _EPS:
        rule = Message(
            "the month bundles %(count)d GEC(s), more than its %(settled)s MWh settled",
            count=count,
            settled=f"{item.settled_mwh or 0.0:g}",
        )
        problems.append(InputProblem(where, "certificates", item.certificates, rule))
    if len(problems) > start:
        return None
    row = ContractMonth(
        asset_id=asset.id,
        month=month,
        contracted_mwh=item.contracted_mwh,
        settled_mwh=item.settled_mwh,
        certificates=item.certificates,
        created_by=actor,
    )
    session.add(row)
    session.flush()
    return row


def _settled_left(session: Session, asset: CarbonAsset, start: date, end: date) -> float | None:
    """The MWh of the contract ``asset`` settled in the months of ``start`` to ``end`` less
    what its earlier retirements for periods overlapping them took; None for a contract
    without months (its retirements are limited by its balance only)."""
    months = list(
        session.scalars(sa.select(ContractMonth).where(ContractMonth.asset_id == asset.id))
    )
    if not months:
        return None
    settled = math.fsum(
        m.settled_mwh or 0.0 for m in months if start.replace(day=1) <= m.month <= end
    )
    taken = session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(LedgerEntry.quantity), 0.0)).where(
            LedgerEntry.asset_id == asset.id,
            LedgerEntry.action == "retire",
            LedgerEntry.period_start <= end,
            LedgerEntry.period_end >= start,
        )
    )
    return settled - float(taken or 0.0)


def _surrender_problems(
    asset: CarbonAsset, item: MovementIn, label: Message, problems: Problems
) -> None:
    """Record why the surrender ``item`` of ``asset`` is refused: not allowances, no
    compliance year, or a surrender rule broken (the balance is checked by the caller)."""
    where = item.where
    if asset.kind not in ALLOWANCES:
        rule = Message(
            "only national ETS allowances (cea) are surrendered; %(label)s is retired or cancelled",
            label=label,
        )
        problems.append(InputProblem(where, "record", item.action, rule))
        return
    year = item.compliance_year
    if year is None:
        rule = Message("a surrender names its compliance year")
        problems.append(InputProblem(where, "compliance_year", None, rule))
        return
    if not 2000 <= year <= 2100:
        rule = Message("must be a year from 2000 to 2100")
        problems.append(InputProblem(where, "compliance_year", year, rule))
        return
    for rule_row in surrender_rules():
        if asset.kind not in rule_row.kinds:
            continue
        broken = surrender_problem(rule_row, vintage=asset.period_start.year, compliance_year=year)
        if broken is not None:
            problems.append(
                InputProblem(
                    where,
                    "compliance_year",
                    year,
                    Message("%(label)s: %(rule)s", label=label, rule=broken),
                )
            )


def write_ledger(
    session: Session,
    facility: Facility,
    holdings: Sequence[HoldingIn] = (),
    movements: Sequence[MovementIn] = (),
    *,
    months: Sequence[MonthIn] = (),
    evidence: EvidenceStore,
    actor: str,
    source_file: Path | None = None,
    origin: str = "ledger",
    restate: str | None = None,
) -> LedgerWrite:
    """Add ``holdings`` (held by ``facility``), then the contracts' ``months``, then
    ``movements`` to the ledger of the facility's organization, all or nothing (see the module
    documentation).

    Parameters
    ----------
    source_file
        The file they were read from: kept as evidence with an import batch (and an audit
        entry of the import) when anything is written.
    origin
        The name given to a refusal.
    restate
        The reason of the restatement of each locked period a retirement changes; without
        it such a retirement is refused.

    Raises
    ------
    InputError
        Every problem of every item; nothing is written.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_LEDGER_LOCK_KEY})
    problems = Problems()
    done = LedgerWrite(facility.code)
    savepoint = session.begin_nested()
    assets: list[tuple[CarbonAsset, HoldingIn]] = []
    entries: list[tuple[LedgerEntry, MovementIn]] = []
    for holding in holdings:
        added = _add_holding(session, facility, holding, actor, problems)
        if added is False:
            done.assets_unchanged += 1
        elif isinstance(added, CarbonAsset):
            assets.append((added, holding))
    added_months: list[ContractMonth] = []
    for month in months:
        added_month = _add_month(session, facility, month, actor, problems)
        if added_month is False:
            done.months_unchanged += 1
        elif isinstance(added_month, ContractMonth):
            added_months.append(added_month)
    periods: set[tuple[int, date, date]] = set()
    for movement in movements:
        added = _add_movement(session, facility, movement, actor, problems, restate, periods)
        if added is False:
            done.entries_unchanged += 1
        elif isinstance(added, LedgerEntry):
            entries.append((added, movement))
    if problems:
        savepoint.rollback()
        raise InputError(problems, origin=origin)
    savepoint.commit()
    if not assets and not entries and not added_months:
        return done
    if source_file is not None:
        kept = evidence.put(
            session, source_file, source_file.name, organization_id=facility.organization_id
        )
        batch = ImportBatch(
            facility_id=facility.id,
            filename=source_file.name,
            sha256=kept.sha256,
            rows_read=len(holdings) + len(months) + len(movements),
            rows_added=len(assets) + len(added_months) + len(entries),
            actor=actor,
        )
        session.add(batch)
        session.flush()
        done.batch_id = batch.id
    stored: dict[Path, int] = {}

    def evidence_id(path: Path | None) -> int | None:
        if path is None:
            return None
        if path not in stored:
            row = evidence.put(session, path, path.name, organization_id=facility.organization_id)
            stored[path] = row.id
        return stored[path]

    codes = {facility.id: facility.code}
    for asset, holding in assets:
        asset.evidence_id = evidence_id(holding.evidence)
        asset.import_id = done.batch_id
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="create",
            entity="carbon_asset",
            entity_key=str(asset.id),
            after={**_asset_state(asset), "import_batch": done.batch_id},
        )
        done.assets_added.append(asset.code)
    for row in added_months:
        row.import_id = done.batch_id
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="create",
            entity="contract_month",
            entity_key=str(row.id),
            after={
                "asset": row.asset.code,
                "month": row.month,
                "contracted_mwh": row.contracted_mwh,
                "settled_mwh": row.settled_mwh,
                "certificates": row.certificates,
                "import_batch": done.batch_id,
            },
        )
        done.months_added.append(_month_key(row))
    for entry, movement in entries:
        entry.evidence_id = evidence_id(movement.evidence)
        entry.import_id = done.batch_id
        session.flush()
        if entry.facility_id is not None and entry.facility_id not in codes:
            target = session.get(Facility, entry.facility_id)
            assert target is not None
            codes[entry.facility_id] = target.code
        audit.record(
            session,
            actor=actor,
            action=entry.action,
            entity="ledger_entry",
            entity_key=str(entry.id),
            after={
                **_entry_state(entry, entry.asset, codes.get(entry.facility_id or -1)),
                "import_batch": done.batch_id,
            },
        )
        done.entries_added.append(entry.id)
    if done.batch_id is not None and source_file is not None:
        audit.record(
            session,
            actor=actor,
            action="import",
            entity="import_batch",
            entity_key=str(done.batch_id),
            after={
                "kind": "ledger",
                "facility": facility.code,
                "file": source_file.name,
                "assets_added": done.assets_added,
                "entries_added": done.entries_added,
                "assets_unchanged": done.assets_unchanged,
                "entries_unchanged": done.entries_unchanged,
                "months_added": done.months_added,
                "months_unchanged": done.months_unchanged,
            },
        )
    if periods and restate:
        from lingtan.services.inventory import restate as restate_period  # it reads the ledger

        for facility_id, start, end in sorted(periods):
            site = session.get(Facility, facility_id)
            assert site is not None
            restated = restate_period(session, site, start, end, reason=restate, actor=actor)
            done.restated.append(restated.id)
    return done


def asset_balances(
    session: Session, organization_id: int, facility_id: int | None = None
) -> list[dict[str, Any]]:
    """Every holding of the organization (held by ``facility_id`` when given) with what it
    acquired, transferred, retired and cancelled, its balance, in its unit, and its status:
    ``held`` (nothing has left it), ``partial`` (some has) or ``none_left`` (balance 0)."""
    query = sa.select(CarbonAsset).where(CarbonAsset.organization_id == organization_id)
    if facility_id is not None:
        query = query.where(CarbonAsset.facility_id == facility_id)
    assets = list(session.scalars(query.order_by(CarbonAsset.code)))
    moved: dict[int, dict[str, float]] = defaultdict(lambda: dict.fromkeys(ACTIONS, 0.0))
    for asset_id, action, quantity in session.execute(
        sa.select(LedgerEntry.asset_id, LedgerEntry.action, sa.func.sum(LedgerEntry.quantity))
        .where(LedgerEntry.asset_id.in_([a.id for a in assets]))
        .group_by(LedgerEntry.asset_id, LedgerEntry.action)
    ):
        moved[asset_id][action] = float(quantity)
    rows = []
    for asset in assets:
        out = moved[asset.id]
        balance = asset.quantity - math.fsum(out.values())
        status = "held" if balance >= asset.quantity - _EPS else "partial"
        rows.append(
            {
                "asset": asset.code,
                "kind": asset.kind,
                "unit": asset.unit,
                "serial": asset.serial,
                "certificates": asset.certificates,
                "period_start": asset.period_start.isoformat(),
                "period_end": asset.period_end.isoformat(),
                "issuing_registry": asset.issuing_registry,
                "project": asset.project,
                "technology": asset.technology,
                "methodology": asset.methodology,
                "channel": asset.channel,
                "price_cny_per_unit": asset.price_cny_per_unit,
                "registry_account": asset.registry_account,
                "acquired": asset.quantity,
                "transferred": out["transfer"],
                "retired": out["retire"],
                "surrendered": out["surrender"],
                "cancelled": out["cancel"],
                "balance": balance,
                "status": "none_left" if balance <= _EPS else status,
            }
        )
    return rows


def ledger_entries(
    session: Session,
    organization_id: int,
    *,
    facility_id: int | None = None,
    period: tuple[date, date] | None = None,
) -> list[dict[str, Any]]:
    """The acquisitions and movements of the organization's ledger, in order: those of
    ``facility_id`` (its holdings' and its retirements) when given, and of retirements only
    those whose claim period lies in ``period`` (of surrenders, those for its years)."""
    query = (
        sa.select(LedgerEntry, CarbonAsset)
        .join(CarbonAsset, CarbonAsset.id == LedgerEntry.asset_id)
        .where(CarbonAsset.organization_id == organization_id)
    )
    if facility_id is not None:
        query = query.where(
            sa.or_(LedgerEntry.facility_id == facility_id, CarbonAsset.facility_id == facility_id)
        )
    codes = dict(session.execute(sa.select(Facility.id, Facility.code)).all())
    rows: list[dict[str, Any]] = []
    assets = sa.select(CarbonAsset).where(CarbonAsset.organization_id == organization_id)
    if facility_id is not None:
        assets = assets.where(CarbonAsset.facility_id == facility_id)
    for asset in session.scalars(assets):
        rows.append(
            {
                "entry": None,
                "action": "acquire",
                "asset": asset.code,
                "kind": asset.kind,
                "quantity": asset.quantity,
                "unit": asset.unit,
                "serial": asset.serial or asset.certificates,
                "on_date": asset.acquired_on.isoformat(),
                "facility": codes.get(asset.facility_id),
                "period_start": asset.period_start.isoformat(),
                "period_end": asset.period_end.isoformat(),
                "claim": None,
                "compliance_year": None,
                "counterpart": asset.counterpart or None,
                "evidence_id": asset.evidence_id,
            }
        )
    for entry, asset in session.execute(query):
        if period is not None and entry.action == "retire":
            assert entry.period_start is not None and entry.period_end is not None
            if entry.period_start < period[0] or entry.period_end > period[1]:
                continue
        if period is not None and entry.action == "surrender":
            assert entry.compliance_year is not None
            if not period[0].year <= entry.compliance_year <= period[1].year:
                continue
        rows.append(
            {
                "entry": entry.id,
                "action": entry.action,
                "asset": asset.code,
                "kind": asset.kind,
                "quantity": entry.quantity,
                "unit": asset.unit,
                "serial": entry.serial,
                "on_date": entry.on_date.isoformat(),
                "facility": codes.get(entry.facility_id) if entry.facility_id else None,
                "period_start": entry.period_start.isoformat() if entry.period_start else None,
                "period_end": entry.period_end.isoformat() if entry.period_end else None,
                "claim": entry.claim or None,
                "compliance_year": entry.compliance_year,
                "counterpart": entry.counterpart or None,
                "evidence_id": entry.evidence_id,
            }
        )
    rows.sort(key=lambda r: (r["on_date"], r["entry"] or 0, r["asset"]))
    return rows


def contract_months(
    session: Session, organization_id: int, facility_id: int | None = None
) -> list[dict[str, Any]]:
    """The months of the organization's green power contracts (held by ``facility_id`` when
    given), by contract and month: contracted and settled MWh and the bundled GECs."""
    query = (
        sa.select(ContractMonth, CarbonAsset)
        .join(CarbonAsset, CarbonAsset.id == ContractMonth.asset_id)
        .where(CarbonAsset.organization_id == organization_id)
    )
    if facility_id is not None:
        query = query.where(CarbonAsset.facility_id == facility_id)
    return [
        {
            "asset": asset.code,
            "month": month.month.isoformat()[:7],
            "contracted_mwh": month.contracted_mwh,
            "settled_mwh": month.settled_mwh,
            "certificates": month.certificates or None,
            "counterpart": asset.counterpart or None,
        }
        for month, asset in session.execute(query.order_by(CarbonAsset.code, ContractMonth.month))
    ]


def retirements(
    session: Session, facility: Facility, start: date, end: date
) -> list[tuple[LedgerEntry, CarbonAsset]]:
    """The retirements to ``facility`` whose claim period overlaps ``start`` to ``end``, with
    their holding, in the order they were written (the caller keeps those inside the period)."""
    return [
        (entry, asset)
        for entry, asset in session.execute(
            sa.select(LedgerEntry, CarbonAsset)
            .join(CarbonAsset, CarbonAsset.id == LedgerEntry.asset_id)
            .where(
                LedgerEntry.action == "retire",
                LedgerEntry.facility_id == facility.id,
                LedgerEntry.period_start <= end,
                LedgerEntry.period_end >= start,
            )
            .order_by(LedgerEntry.id)
        )
    ]


def taken_by(session: Session, serial: SerialRange) -> list[tuple[LedgerEntry, CarbonAsset]]:
    """The retirements and cancellations, of any organization, that took a serial of
    ``serial``, with their holding."""
    found = []
    for row, asset in _overlapping(session, serial, _OUT):
        entry = session.get(LedgerEntry, row.entry_id)
        assert entry is not None
        found.append((entry, asset))
    return found
