"""Seals of the inventory snapshots and stored evaluations, and the check behind
``lingtan audit verify``.

The audit chain (:mod:`lingtan.store.audit`) proves that no entry was edited, inserted or
removed; what the screens and reports present as fact lives in other tables. A snapshot is
therefore *sealed*: each entry that computes, locks, restates or seals an inventory keeps in
its ``after`` the snapshot's seal (:func:`seal`): its columns (the scalar ones as they are, the
large ones as SHA-256), the SHA-256 of each line of the result and every total as it is. The
chain protects the seal; :func:`verify_store` compares every snapshot with its newest seal and
names what differs (a column, a line, a total), every sealed snapshot that is gone, every
snapshot the log never saw, and every evidence file whose content no longer has the SHA-256
it is stored under. A stored evaluation (:class:`~lingtan.store.models.EvaluationSnapshot`)
is sealed the same way when it is stored (:func:`evaluation_seal`: its columns, each criterion
judged, the other parts of its result) and checked the same way.

Snapshots made before seals existed have audit entries without one: they are reported as
*not sealed* (their result is still checked against the SHA-256 their entry recorded), and
``lingtan audit seal`` (:func:`seal_unsealed`) seals them as they stand, in the name of whoever
runs it.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lingtan.i18n import Message
from lingtan.store import audit
from lingtan.store.evidence import EvidenceStore
from lingtan.store.models import (
    ActivityEvidence,
    ActivityRecord,
    AuditEntry,
    EvaluationSnapshot,
    Evidence,
    Facility,
    Instrument,
    Inventory,
    Source,
)

__all__ = [
    "INVENTORY_ACTIONS",
    "AuditCheck",
    "Finding",
    "evaluation_seal",
    "result_digest",
    "seal",
    "seal_unsealed",
    "verify_store",
]

#: Audit actions on an inventory whose ``after`` holds its state (and, since seals, its seal).
INVENTORY_ACTIONS = ("compute", "lock", "restate", "seal")
#: Columns of a snapshot sealed as they are: what a person reads (and compares) directly.
_SCALARS = (
    "facility_id",
    "period_start",
    "period_end",
    "status",
    "total_tco2e",
    "result_sha256",
    "engine_version",
    "supersedes_id",
    "restatement_reason",
    "created_by",
    "created_at",
    "locked_at",
)
#: Columns sealed by their SHA-256 (the result is sealed part by part, see :func:`seal`).
_DOCUMENTS = ("factor_sets", "input_document", "lineage")
#: The same for a stored evaluation (:class:`~lingtan.store.models.EvaluationSnapshot`).
_EVALUATION_SCALARS = (
    "facility_id",
    "period",
    "scheme",
    "rule_set_origin",
    "rule_set_sha256",
    "inventory_id",
    "status",
    "result_sha256",
    "engine_version",
    "created_by",
    "created_at",
)
_EVALUATION_DOCUMENTS = ("rule_set", "facts", "lineage")
_CHUNK = 1 << 20


def _sha256(value: Any) -> str:
    text = json.dumps(
        audit.to_jsonable(value),
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        allow_nan=False,
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _scalar(value: Any) -> Any:
    # PostgreSQL returns times in the session's zone: the seal keeps them in UTC.
    return value.astimezone(UTC) if isinstance(value, datetime) else value


def seal(inventory: Inventory) -> dict[str, Any]:
    """The seal of a snapshot: what :func:`verify_store` compares it with later.

    Returns
    -------
    dict
        ``columns`` (the scalar columns, total included, as they are; ``factor_sets``,
        ``input_document`` and ``lineage`` as SHA-256), ``lines`` (line id → SHA-256 of the
        line), ``totals`` (the result's totals as they are), ``parts`` (SHA-256 of the other
        parts of the result: factors, instruments, warnings ...) and ``sha256``, the SHA-256
        of all of these. JSON data, as the audit log keeps it.
    """
    result = inventory.result
    sealed: dict[str, Any] = {
        "columns": _columns(inventory, _SCALARS, _DOCUMENTS),
        "lines": {line["source_id"]: _sha256(line) for line in result.get("lines", [])},
        "totals": audit.to_jsonable(result.get("totals", {})),
        "parts": {k: _sha256(v) for k, v in result.items() if k not in ("lines", "totals")},
    }
    sealed["sha256"] = _sha256(sealed)
    return sealed


def _columns(row: Any, scalars: tuple[str, ...], documents: tuple[str, ...]) -> dict[str, Any]:
    return {
        **{name: audit.to_jsonable(_scalar(getattr(row, name))) for name in scalars},
        **{name: _sha256(getattr(row, name)) for name in documents},
    }


def evaluation_seal(snapshot: EvaluationSnapshot) -> dict[str, Any]:
    """The seal of a stored evaluation, as :func:`seal` is an inventory's: ``columns`` (the
    scalar ones as they are; ``rule_set``, ``facts`` and ``lineage`` as SHA-256),
    ``criteria`` (criterion id → SHA-256 of the criterion judged), ``parts`` (SHA-256 of the
    result's other parts) and ``sha256`` of all of these."""
    result = snapshot.result
    sealed: dict[str, Any] = {
        "columns": _columns(snapshot, _EVALUATION_SCALARS, _EVALUATION_DOCUMENTS),
        "criteria": {c["id"]: _sha256(c) for c in result.get("criteria", [])},
        "parts": {k: _sha256(v) for k, v in result.items() if k != "criteria"},
    }
    sealed["sha256"] = _sha256(sealed)
    return sealed


@dataclass(frozen=True)
class Finding:
    """Something altered outside lingtan: what (``subject``) and how (``problem``)."""

    subject: Message
    problem: Message

    def __str__(self) -> str:
        return f"{self.subject}: {self.problem}"


@dataclass
class AuditCheck:
    """The result of :func:`verify_store`.

    ``chain`` is the check of the audit chain itself; ``findings`` everything altered that the
    chain's entries or the evidence files' names reveal; ``unsealed`` the ids of snapshots
    made before seals (not a finding: ``lingtan audit seal`` seals them).
    """

    chain: audit.AuditReport
    findings: list[Finding] = field(default_factory=list)
    unsealed: list[int] = field(default_factory=list)
    evidence_files: int = 0
    evaluations: int = 0

    @property
    def ok(self) -> bool:
        return self.chain.ok and not self.findings

    def problems(self) -> list[Finding]:
        """Every problem, the chain's first."""
        chain = [
            Finding(
                Message("audit log")
                if entry_id is None
                else Message("audit entry %(id)d", id=entry_id),
                problem,
            )
            for entry_id, problem in self.chain.problems
        ]
        return chain + self.findings


def _subject(inventory_id: int, state: dict[str, Any], facilities: dict[int, str]) -> Message:
    period = state.get("period") or [None, None]
    return Message(
        "inventory %(id)d (facility %(facility)s, %(start)s to %(end)s)",
        id=inventory_id,
        facility=facilities.get(state.get("facility_id"), state.get("facility_id")),
        start=period[0],
        end=period[1],
    )


def _shown(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _column_differences(
    now: dict[str, Any], sealed: dict[str, Any], documents: tuple[str, ...]
) -> list[Message]:
    """The columns that differ between a seal now and the one recorded."""
    found: list[Message] = []
    for name, value in sealed["columns"].items():
        if now["columns"].get(name) != value:
            if name in documents:
                found.append(Message("column %(column)s was altered", column=name))
            else:
                found.append(
                    Message(
                        "column %(column)s is %(now)s, sealed as %(sealed)s",
                        column=name,
                        now=_shown(now["columns"].get(name)),
                        sealed=_shown(value),
                    )
                )
    return found


def _part_differences(now: dict[str, Any], sealed: dict[str, Any]) -> list[Message]:
    return [
        Message("part %(part)s of the result was altered", part=part)
        for part in sorted(sealed["parts"].keys() | now["parts"].keys())
        if now["parts"].get(part) != sealed["parts"].get(part)
    ]


def _differences(now: dict[str, Any], sealed: dict[str, Any]) -> list[Message]:
    """What differs between a snapshot's seal now and the one recorded, part by part."""
    found = _column_differences(now, sealed, _DOCUMENTS)
    for key in sorted(sealed["totals"].keys() | now["totals"].keys()):
        if now["totals"].get(key) != sealed["totals"].get(key):
            found.append(
                Message(
                    "total %(total)s is %(now)s, sealed as %(sealed)s",
                    total=key,
                    now=_shown(now["totals"].get(key)),
                    sealed=_shown(sealed["totals"].get(key)),
                )
            )
    for line in sorted(sealed["lines"].keys() | now["lines"].keys()):
        if line not in now["lines"]:
            found.append(Message("line %(line)s was deleted", line=line))
        elif line not in sealed["lines"]:
            found.append(Message("line %(line)s was added", line=line))
        elif now["lines"][line] != sealed["lines"][line]:
            found.append(Message("line %(line)s was altered", line=line))
    return found + _part_differences(now, sealed)


def _evaluation_differences(now: dict[str, Any], sealed: dict[str, Any]) -> list[Message]:
    """What differs between a stored evaluation's seal now and the one recorded."""
    found = _column_differences(now, sealed, _EVALUATION_DOCUMENTS)
    for key in sorted(sealed["criteria"].keys() | now["criteria"].keys()):
        if key not in now["criteria"]:
            found.append(Message("criterion %(id)s was deleted", id=key))
        elif key not in sealed["criteria"]:
            found.append(Message("criterion %(id)s was added", id=key))
        elif now["criteria"][key] != sealed["criteria"][key]:
            found.append(Message("criterion %(id)s was altered", id=key))
    return found + _part_differences(now, sealed)


def _states(
    session: Session, entity: str = "inventory", actions: tuple[str, ...] = INVENTORY_ACTIONS
) -> dict[int, tuple[int, dict[str, Any]]]:
    """Snapshot id → (audit entry id, ``after``) of its newest audit entry that holds its
    state, in chain order (inventories by default; ``evaluation`` and ``store`` for stored
    evaluations)."""
    states: dict[int, tuple[int, dict[str, Any]]] = {}
    for entry_id, key, after in session.execute(
        select(AuditEntry.id, AuditEntry.entity_key, AuditEntry.after)
        .where(AuditEntry.entity == entity, AuditEntry.action.in_(actions))
        .order_by(AuditEntry.id)
    ):
        if after and key.isdigit():
            states[int(key)] = (entry_id, after)
    return states


def result_digest(result: dict[str, Any]) -> str:
    """SHA-256 of a result's canonical JSON, as ``inventory.result_sha256`` holds it."""
    text = json.dumps(result, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _check_inventories(session: Session, check: AuditCheck) -> None:
    states = _states(session)
    facilities = {i: code for i, code in session.execute(select(Facility.id, Facility.code))}
    present = set()
    for inventory in session.scalars(
        select(Inventory).order_by(Inventory.id).execution_options(yield_per=100)
    ):
        present.add(inventory.id)
        entry = states.get(inventory.id)
        if entry is None:
            check.findings.append(
                Finding(
                    Message("inventory %(id)d", id=inventory.id),
                    Message("is not in the audit log: it was written outside lingtan"),
                )
            )
            continue
        entry_id, state = entry
        subject = _subject(inventory.id, state, facilities)
        sealed = state.get("seal")
        if sealed is not None:
            check.findings += [
                Finding(subject, problem) for problem in _differences(seal(inventory), sealed)
            ]
            continue
        check.unsealed.append(inventory.id)
        if result_digest(inventory.result) != inventory.result_sha256:
            problem = Message("its result does not match its stored SHA-256")
            check.findings.append(Finding(subject, problem))
        elif state.get("result_sha256") != inventory.result_sha256:
            problem = Message(
                "its SHA-256 is not the one audit entry %(entry)d recorded", entry=entry_id
            )
            check.findings.append(Finding(subject, problem))
    for inventory_id in sorted(states.keys() - present):
        entry_id, state = states[inventory_id]
        check.findings.append(
            Finding(
                _subject(inventory_id, state, facilities),
                Message(
                    "was deleted (audit entry %(entry)d recorded it with a total of "
                    "%(total)s tCO2e)",
                    entry=entry_id,
                    total=state.get("total_tco2e"),
                ),
            )
        )


def _evaluation_subject(snapshot_id: int, state: dict[str, Any]) -> Message:
    return Message(
        "stored evaluation %(id)d (facility %(facility)s, %(period)s, scheme %(scheme)s)",
        id=snapshot_id,
        facility=state.get("facility"),
        period=state.get("period"),
        scheme=state.get("scheme"),
    )


def _check_evaluations(session: Session, check: AuditCheck) -> None:
    """Every stored evaluation against the seal its ``store`` entry recorded and its result
    against its SHA-256; every sealed one that is gone; every one the log never saw."""
    states = _states(session, "evaluation", ("store",))
    present = set()
    for snapshot in session.scalars(
        select(EvaluationSnapshot).order_by(EvaluationSnapshot.id).execution_options(yield_per=100)
    ):
        present.add(snapshot.id)
        check.evaluations += 1
        entry = states.get(snapshot.id)
        if entry is None:
            check.findings.append(
                Finding(
                    Message("stored evaluation %(id)d", id=snapshot.id),
                    Message("is not in the audit log: it was written outside lingtan"),
                )
            )
            continue
        subject = _evaluation_subject(snapshot.id, entry[1])
        if result_digest(snapshot.result) != snapshot.result_sha256:
            problem = Message("its result does not match its stored SHA-256")
            check.findings.append(Finding(subject, problem))
        now = evaluation_seal(snapshot)
        check.findings += [
            Finding(subject, problem) for problem in _evaluation_differences(now, entry[1]["seal"])
        ]
    for snapshot_id in sorted(states.keys() - present):
        entry_id, state = states[snapshot_id]
        check.findings.append(
            Finding(
                _evaluation_subject(snapshot_id, state),
                Message(
                    "was deleted (audit entry %(entry)d recorded it with the result %(result)s)",
                    entry=entry_id,
                    result=state.get("status"),
                ),
            )
        )


def _file_sha256(path: Path) -> str | None:
    """SHA-256 of a stored evidence file as it is on disk; None if there is none."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as stream:
            while chunk := stream.read(_CHUNK):
                digest.update(chunk)
    except FileNotFoundError:
        return None
    return digest.hexdigest()


def _evidence_users(session: Session, ids: list[int]) -> dict[int, list[str]]:
    """Evidence row id → what it is evidence of (activity records and instruments), for
    people."""
    users: dict[int, list[str]] = defaultdict(list)
    for evidence_id, record_id, source, start, end in session.execute(
        select(
            ActivityEvidence.evidence_id,
            ActivityRecord.id,
            Source.code,
            ActivityRecord.period_start,
            ActivityRecord.period_end,
        )
        .join(ActivityRecord, ActivityRecord.id == ActivityEvidence.activity_id)
        .join(Source, Source.id == ActivityRecord.source_id)
        .where(ActivityEvidence.evidence_id.in_(ids))
        .order_by(ActivityRecord.id)
    ):
        users[evidence_id].append(
            Message(
                "activity record %(id)d (%(source)s, %(start)s to %(end)s)",
                id=record_id,
                source=source,
                start=start.isoformat(),
                end=end.isoformat(),
            )
        )
    for evidence_id, code in session.execute(
        select(Instrument.evidence_id, Instrument.code)
        .where(Instrument.evidence_id.in_(ids))
        .order_by(Instrument.id)
    ):
        users[evidence_id].append(Message("instrument %(code)s", code=code))
    return users


def _check_evidence(session: Session, store: EvidenceStore, check: AuditCheck) -> None:
    """Every organization's evidence file against its row's SHA-256, in the organization's
    folder (or where it lay before evidence was kept per organization)."""
    damaged: list[tuple[Evidence, Path, str | None]] = []
    rows = select(Evidence).order_by(Evidence.organization_id, Evidence.sha256)
    for evidence in session.scalars(rows):
        check.evidence_files += 1
        path = store.locate(evidence.sha256, evidence.organization_id)
        actual = _file_sha256(path)
        if actual != evidence.sha256:
            damaged.append((evidence, path, actual))
    users = _evidence_users(session, [evidence.id for evidence, _, _ in damaged])
    for evidence, path, actual in damaged:
        of = "; ".join(users.get(evidence.id, [])) or Message("no record")
        subject = Message(
            "evidence file %(filename)s (SHA-256 %(sha256)s, evidence of %(of)s)",
            filename=evidence.filename,
            sha256=evidence.sha256,
            of=of,
        )
        if actual is None:
            problem = Message("is missing: no file %(path)s", path=str(path))
        else:
            problem = Message(
                "was altered on disk: %(path)s now has SHA-256 %(actual)s",
                path=str(path),
                actual=actual,
            )
        check.findings.append(Finding(subject, problem))


def verify_store(
    session: Session, evidence: EvidenceStore, *, expected_head: str | None = None
) -> AuditCheck:
    """Check the audit chain, every inventory snapshot and every stored evaluation against its
    seal and every evidence file against its SHA-256.

    Parameters
    ----------
    session
        Any session on the store (nothing is written).
    evidence
        The store's evidence files (:func:`lingtan.store.evidence.evidence_root`).
    expected_head
        A head hash exported earlier, as for :func:`lingtan.store.audit.verify`.
    """
    check = AuditCheck(chain=audit.verify(session, expected_head=expected_head))
    _check_inventories(session, check)
    _check_evaluations(session, check)
    _check_evidence(session, evidence, check)
    return check


def seal_unsealed(session: Session, *, actor: str) -> list[int]:
    """Seal the snapshots made before seals, as they stand now, in ``actor``'s name.

    Only snapshots whose result still matches the SHA-256 their audit entry recorded are
    sealed: an altered one stays unsealed (and reported by :func:`verify_store`).

    Returns
    -------
    list of int
        The ids of the snapshots sealed.
    """
    states = _states(session)
    sealed = []
    for inventory in session.scalars(select(Inventory).order_by(Inventory.id)).all():
        entry = states.get(inventory.id)
        if entry is None or "seal" in entry[1]:
            continue
        recorded = entry[1].get("result_sha256")
        if recorded != inventory.result_sha256 or result_digest(inventory.result) != recorded:
            continue
        audit.record(
            session,
            actor=actor,
            action="seal",
            entity="inventory",
            entity_key=str(inventory.id),
            after={**entry[1], "seal": seal(inventory)},
        )
        sealed.append(inventory.id)
    return sealed
