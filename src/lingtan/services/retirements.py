"""What the carbon-asset ledger's retirements bring to an inventory of a facility and period.

:func:`ledger_claims` reads the retirements (注销) of the ledger
(:func:`lingtan.services.ledger.retirements`) made **to the facility with a claim period inside
the inventory's period**:

* GECs (``gec``) and green power contracts (``green_power``) become contractual instruments of
  the market-based Scope 2, one per holding, in the ``lingtan calc`` instrument format: id
  ``ledger:HOLDING``, the MWh retired (1 GEC = 1 MWh), no ``sources`` (they cover the
  purchased electricity pro rata), and as ``serial`` the serials retired (GECs) or the
  certificates bundled with the contract (green power) — so that the engine's one-claim-per-
  serial check (:func:`lingtan.accounting.serials.serial_problems`) refuses a certificate given
  both by the inventory's own instruments and by the ledger, naming both. The engine also
  refuses instruments claiming more MWh than the purchased electricity left uncovered (GHG
  Protocol Scope 2 Guidance: instruments cover consumption, never more). The quality criteria
  (vintage, market boundary) were checked by the ledger's claim rules when retiring
  (:func:`lingtan.assets.ledger.claim_rules`) and are not checked again.
* CCER and other credits (``ccer``, ``credit``) never reduce the inventory: they are the
  ``offsets`` block beside its totals (ISO 14068-1 clause 11; GHG Protocol Corporate Standard:
  offsets reported separately from the inventory).

An instrument of the inventory's own whose serials the ledger shows retired or cancelled for
anything else — another facility, another period, another organization, or cancelled — is
refused by :func:`taken_elsewhere`, naming the ledger entry.

Each instrument and each credit keeps its provenance (ledger entries, serials, the holding's
registry, project and evidence files) so a verifier can go from the figure to the retirement.
Retirements whose claim period only overlaps the inventory's period are left out, named.

References
----------
.. [1] /work/shared/reference/accounting-standards.md §5.1 (Scope 2 market-based hierarchy and
   quality criteria), §6.1 (ISO 14068-1: credits offset the residual), §6.3 (1 GEC = 1 MWh).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from lingtan.accounting.serials import parse_serials
from lingtan.assets.ledger import CREDITS, ELECTRICITY
from lingtan.errors import InputProblem
from lingtan.i18n import Message
from lingtan.services.ledger import retirements, taken_by
from lingtan.store.models import CarbonAsset, Evidence, Facility, LedgerEntry

__all__ = ["LEDGER_PREFIX", "LedgerClaims", "ledger_claims", "taken_elsewhere"]

#: The prefix of the id of an instrument taken from the ledger (``ledger:HOLDING``).
LEDGER_PREFIX = "ledger:"


@dataclass
class LedgerClaims:
    """The ledger's part of an inventory: ``instruments`` (``lingtan calc`` format),
    ``provenance`` (instrument id → holding and retirements), ``offsets`` (the block beside the
    totals) and ``outside`` (retirements straddling the period, left out)."""

    instruments: list[dict[str, Any]] = field(default_factory=list)
    provenance: dict[str, dict[str, Any]] = field(default_factory=dict)
    offsets: dict[str, Any] = field(default_factory=dict)
    outside: list[str] = field(default_factory=list)


def _evidence(session: Session, evidence_id: int | None) -> dict[str, Any] | None:
    row = session.get(Evidence, evidence_id) if evidence_id is not None else None
    return None if row is None else {"sha256": row.sha256, "filename": row.filename}


def _retirement(session: Session, entry: LedgerEntry) -> dict[str, Any]:
    assert entry.period_start is not None and entry.period_end is not None
    return {
        "entry": entry.id,
        "quantity": entry.quantity,
        "serial": entry.serial,
        "retired_on": entry.on_date.isoformat(),
        "claim_period": [entry.period_start.isoformat(), entry.period_end.isoformat()],
        "claim": entry.claim,
        "evidence": _evidence(session, entry.evidence_id),
    }


def _holding(session: Session, asset: CarbonAsset) -> dict[str, Any]:
    """The holding as a verifier reads it; a contract with its bundled ``certificates``."""
    held = {
        "holding": asset.code,
        "kind": asset.kind,
        "unit": asset.unit,
        "issuing_registry": asset.issuing_registry or None,
        "project": asset.project or None,
        "methodology": asset.methodology or None,
        "vintage": [asset.period_start.isoformat(), asset.period_end.isoformat()],
        "evidence": _evidence(session, asset.evidence_id),
    }
    return {**held, "certificates": asset.certificates} if asset.kind == "green_power" else held


def ledger_claims(session: Session, facility: Facility, start: date, end: date) -> LedgerClaims:
    """The ledger's instruments and offsets for ``facility`` and the period ``start`` to
    ``end`` (see the module documentation)."""
    claims = LedgerClaims()
    electricity: dict[int, list[LedgerEntry]] = defaultdict(list)
    assets: dict[int, CarbonAsset] = {}
    credits = []
    for entry, asset in retirements(session, facility, start, end):
        assert entry.period_start is not None and entry.period_end is not None
        if entry.period_start < start or entry.period_end > end:
            claims.outside.append(f"retirement {entry.id} of {asset.code}")
        elif asset.kind in ELECTRICITY:
            electricity[asset.id].append(entry)
            assets[asset.id] = asset
        elif asset.kind in CREDITS:
            credits.append({**_holding(session, asset), **_retirement(session, entry)})
    for asset_id, entries in electricity.items():
        asset = assets[asset_id]
        instrument_id = LEDGER_PREFIX + asset.code
        serials = asset.certificates if asset.kind == "green_power" else None
        serials = serials or "; ".join(e.serial for e in entries if e.serial)
        claims.instruments.append(
            {
                "id": instrument_id,
                "kind": asset.kind,
                "quantity": math.fsum(e.quantity for e in entries),
                "unit": asset.unit,
                "serial": serials,
            }
        )
        claims.provenance[instrument_id] = {
            **_holding(session, asset),
            "retirements": [_retirement(session, e) for e in entries],
        }
    claims.offsets = {
        "total_tco2e": math.fsum(c["quantity"] for c in credits),
        "reduces_totals": False,
        "credits": credits,
    }
    return claims


def taken_elsewhere(
    session: Session, facility: Facility, start: date, end: date, instruments: list[dict[str, Any]]
) -> list[InputProblem]:
    """A problem for every serial of the inventory's own ``instruments`` that the ledger shows
    retired or cancelled other than for ``facility`` within ``start`` to ``end`` (a retirement
    for them is one of :func:`ledger_claims`'s instruments, and the engine names both). An
    unreadable serial is left to the engine to report."""
    problems = []
    for instrument in instruments:
        try:
            ranges = parse_serials(instrument["serial"])
        except ValueError:
            continue
        for serial in ranges:
            for entry, asset in taken_by(session, serial):
                if (
                    entry.action == "retire"
                    and entry.facility_id == facility.id
                    and entry.period_start is not None
                    and entry.period_end is not None
                    and start <= entry.period_start
                    and entry.period_end <= end
                ):
                    continue
                if asset.organization_id != facility.organization_id:
                    then = Message("a retirement or cancellation of another organization")
                elif entry.action == "retire":
                    target = session.get(Facility, entry.facility_id)
                    then = Message(
                        "retirement %(entry)s of holding %(code)s to facility %(facility)s for "
                        "%(start)s to %(end)s",
                        entry=entry.id,
                        code=asset.code,
                        facility=target.code if target else "-",
                        start=str(entry.period_start),
                        end=str(entry.period_end),
                    )
                else:
                    then = Message(
                        "cancellation %(entry)s of holding %(code)s",
                        entry=entry.id,
                        code=asset.code,
                    )
                rule = Message(
                    "%(serial)s is already taken in the carbon-asset ledger by %(then)s: a "
                    "certificate is claimed once (rule: no double counting)",
                    serial=serial.text,
                    then=then,
                )
                problems.append(
                    InputProblem(
                        Message("instrument %(id)s", id=instrument["id"]),
                        "serial",
                        instrument["serial"],
                        rule,
                    )
                )
                break
    return problems
