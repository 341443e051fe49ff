"""Zero-carbon-factory evaluations of a stored facility: evaluated live, stored as snapshots.

:func:`evaluate_facility` judges a scheme (:mod:`lingtan.evaluation.rules`) on the facts of a
facility's calendar year that lingtan computes from the store
(:func:`lingtan.services.ledger_facts.facts_from_store`: the carbon-asset ledger and the
year's inventory), together with the facts given beside them (the declarations of a facts
file or of a request, with their evidence; the hourly-matched share of two series files).

:func:`store_evaluation` keeps such an evaluation as an immutable
:class:`~lingtan.store.models.EvaluationSnapshot`, as an inventory is kept: the scheme's rule
set and its SHA-256, every fact used with its lineage, every criterion judged (status, value,
threshold, gap, evidence, reason, source clause), the overall result, the SHA-256 of the
canonical result, the locked inventory the facts came from, who and when. It refuses a year
without a locked inventory covering the whole year: a stored evaluation stands on the reported
figures only. The audit log keeps the snapshot's seal
(:func:`lingtan.services.audit_check.evaluation_seal`), which ``lingtan audit verify`` checks.
There is no update: evaluating again stores a new snapshot, and the session refuses to change
or delete one (:func:`lingtan.store.models.refuse_change`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from lingtan import __version__
from lingtan.errors import InputError, InputProblem
from lingtan.evaluation.engine import Evaluation, evaluate
from lingtan.evaluation.facts import FACTS, FactValue
from lingtan.evaluation.rules import RuleSet
from lingtan.i18n import Message
from lingtan.services.audit_check import evaluation_seal, result_digest
from lingtan.services.declarations import with_declarations
from lingtan.services.ledger_facts import HOURLY, facts_from_store
from lingtan.store import audit
from lingtan.store.models import EvaluationSnapshot, Facility, Inventory

__all__ = [
    "ENGINE_VERSION",
    "LiveEvaluation",
    "combine_facts",
    "evaluate_facility",
    "get_evaluation",
    "list_evaluations",
    "rule_set_digest",
    "rule_set_document",
    "snapshot_document",
    "snapshot_line",
    "store_evaluation",
]

#: The version of the evaluation engine a snapshot records.
ENGINE_VERSION = f"lingtan-evaluation {__version__}"
_EVALUATION = Message("evaluation")


@dataclass(frozen=True)
class LiveEvaluation:
    """An evaluation of a facility's year and what it used.

    ``facts`` are every fact judged; ``lineage`` says per fact where it came from (the ledger
    entries and inventory for a computed one, the origin for a given one); ``inventory`` is the
    inventory the computed facts came from (None without an inventory for the whole year).
    """

    evaluation: Evaluation
    facts: dict[str, FactValue]
    lineage: dict[str, dict[str, Any]]
    inventory: Inventory | None


def rule_set_document(rules: RuleSet) -> dict[str, Any]:
    """The rule set as JSON data: the scheme, its titles, document and every criterion with its
    threshold and source (the file it was read from left out: it differs by installation)."""
    document = audit.to_jsonable(dataclasses.asdict(rules))
    document.pop("file", None)
    return document


def rule_set_digest(rules: RuleSet) -> str:
    """SHA-256 of the canonical JSON of :func:`rule_set_document`: the same scheme text, the
    same digest, whichever file it was read from."""
    return result_digest(rule_set_document(rules))


def combine_facts(
    computed: Mapping[str, FactValue],
    computed_lineage: Mapping[str, dict[str, Any]],
    given: Mapping[str, FactValue],
    origin: str,
    origins: Mapping[str, str] | None = None,
) -> tuple[dict[str, FactValue], dict[str, dict[str, Any]]]:
    """The facts computed from the store and those given (from ``origin``: a file's name, a
    request; a fact of ``origins`` from the origin it names there), with the lineage of
    each.

    Raises
    ------
    InputError
        A fact given that the store computes (it would be counted from two sources).
    """
    both = sorted(set(given) & set(computed))
    if both:
        rule = Message("is given by the facts file and computed from the database")
        raise InputError(InputProblem(origin, both[0], given[both[0]].value, rule))
    lineage = dict(computed_lineage)
    for name, fact in given.items():
        lineage[name] = {"given": (origins or {}).get(name, origin), "evidence": fact.evidence}
    return {**computed, **given}, lineage


def evaluate_facility(
    session: Session,
    facility: Facility,
    year: int,
    rules: RuleSet,
    given: Mapping[str, FactValue] | None = None,
    *,
    origin: str = "declarations",
    origins: Mapping[str, str] | None = None,
) -> LiveEvaluation:
    """Judge ``rules`` on the facts of ``facility``'s calendar ``year`` computed from the store,
    the declarations kept for the year (:func:`lingtan.services.declarations.
    with_declarations`) and the facts ``given`` (from ``origin``, or ``origins``; a fact
    given replaces the declaration of that fact), as :func:`combine_facts` combines them; an
    hourly-matched share of ``origins`` (series files) replaces the one of the meters."""
    stored = facts_from_store(session, facility, year)
    computed = dict(stored.facts)
    if HOURLY in (origins or {}):  # series files given: they replace the meters' share
        computed.pop(HOURLY, None)
    explicit = {name: origins[name] for name in origins or {}}
    explicit.update({name: origin for name in given or {} if name not in explicit})
    given, origins, replaced = with_declarations(session, facility, year, given, explicit)
    facts, lineage = combine_facts(computed, stored.lineage, given, origin, origins)
    for name, declaration in replaced.items():
        lineage[name]["replaces_declaration"] = declaration
    inventory = None if stored.inventory_id is None else session.get(Inventory, stored.inventory_id)
    return LiveEvaluation(evaluate(rules, facts), facts, lineage, inventory)


def _fact_document(name: str, fact: FactValue) -> dict[str, Any]:
    value = list(fact.value) if isinstance(fact.value, tuple) else fact.value
    evidence = fact.evidence
    shown = evidence.as_dict() if isinstance(evidence, Message) else None
    return {"value": value, "unit": FACTS[name].unit, "evidence": evidence,
            "evidence_message": shown}  # fmt: skip


def _refuse_without_locked(facility: Facility, year: int, live: LiveEvaluation) -> Inventory:
    inventory = live.inventory
    where = Message("facility %(code)s", code=facility.code)
    if inventory is None:
        missing = live.lineage.get("scope12_residual_tco2e", {}).get("missing", "")
        rule = Message(
            "has no locked inventory of the whole year (%(why)s): an evaluation is stored only "
            "on a locked inventory; compute and lock the year's inventory first "
            "(lingtan inventory compute --lock)",
            why=missing,
        )
        raise InputError(InputProblem(where, "period", year, rule))
    if inventory.status != "locked":
        rule = Message(
            "its inventory %(id)s of the year is %(status)s, not locked: an evaluation is "
            "stored only on a locked inventory; lock it first (lingtan inventory lock %(id)s)",
            id=inventory.id,
            status=inventory.status,
        )
        raise InputError(InputProblem(where, "period", year, rule))
    return inventory


def store_evaluation(
    session: Session, facility: Facility, year: int, rules: RuleSet, live: LiveEvaluation, *,
    actor: str,
) -> EvaluationSnapshot:  # fmt: skip
    """Store ``live`` (from :func:`evaluate_facility` on ``session``) as a new immutable
    snapshot, with its audit entry (``store``, entity ``evaluation``, the snapshot's seal).

    Raises
    ------
    InputError
        The year has no inventory covering the whole year, or it is not locked (nothing is
        written).
    """
    inventory = _refuse_without_locked(facility, year, live)
    result = audit.to_jsonable(live.evaluation.as_dict())
    snapshot = EvaluationSnapshot(
        facility_id=facility.id,
        period=year,
        scheme=rules.scheme,
        rule_set_origin=rules.origin,
        rule_set_sha256=rule_set_digest(rules),
        rule_set=rule_set_document(rules),
        inventory_id=inventory.id,
        facts={name: _fact_document(name, fact) for name, fact in sorted(live.facts.items())},
        lineage=audit.to_jsonable(live.lineage),
        status=str(live.evaluation.result),
        result=result,
        result_sha256=result_digest(result),
        engine_version=ENGINE_VERSION,
        created_by=actor,
    )
    session.add(snapshot)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="store",
        entity="evaluation",
        entity_key=str(snapshot.id),
        after={**_summary(snapshot, facility), "seal": evaluation_seal(snapshot)},
    )
    return snapshot


def _summary(snapshot: EvaluationSnapshot, facility: Facility) -> dict[str, Any]:
    return {
        "facility_id": snapshot.facility_id,
        "facility": facility.code,
        "period": snapshot.period,
        "scheme": snapshot.scheme,
        "status": snapshot.status,
        "inventory_id": snapshot.inventory_id,
        "rule_set_sha256": snapshot.rule_set_sha256,
        "result_sha256": snapshot.result_sha256,
    }


def list_evaluations(
    session: Session, facility_ids: list[int] | None = None, *, year: int | None = None
) -> list[tuple[EvaluationSnapshot, Facility]]:
    """The stored evaluations (of the facilities ``facility_ids``, of ``year``), newest first."""
    query = sa.select(EvaluationSnapshot, Facility).join(
        Facility, Facility.id == EvaluationSnapshot.facility_id
    )
    if facility_ids is not None:
        query = query.where(EvaluationSnapshot.facility_id.in_(facility_ids))
    if year is not None:
        query = query.where(EvaluationSnapshot.period == year)
    rows = session.execute(query.order_by(EvaluationSnapshot.id.desc())).all()
    return [(snapshot, site) for snapshot, site in rows]


def get_evaluation(
    session: Session, snapshot_id: int, facility_ids: list[int] | None = None
) -> EvaluationSnapshot:
    """The stored evaluation ``snapshot_id`` (one of ``facility_ids``' when given).

    Raises
    ------
    InputError
        No such evaluation (or not of those facilities).
    """
    snapshot = session.get(EvaluationSnapshot, snapshot_id)
    if snapshot is None or (facility_ids is not None and snapshot.facility_id not in facility_ids):
        rule = Message("no such stored evaluation")
        raise InputError(InputProblem(_EVALUATION, "id", snapshot_id, rule))
    return snapshot


def snapshot_line(snapshot: EvaluationSnapshot, facility: Facility) -> dict[str, Any]:
    """A stored evaluation's line in a list (``lingtan evaluate list``, the API, the page)."""
    return {
        "id": snapshot.id,
        "facility": facility.code,
        "period": snapshot.period,
        "scheme": snapshot.scheme,
        "result": snapshot.status,
        "passed": snapshot.result["passed"],
        "failed": snapshot.result["failed"],
        "unable_to_judge": snapshot.result["unable_to_judge"],
        "inventory_id": snapshot.inventory_id,
        "created_by": snapshot.created_by,
        "created_at": snapshot.created_at.isoformat(timespec="seconds"),
        "result_sha256": snapshot.result_sha256,
    }


def snapshot_document(snapshot: EvaluationSnapshot, facility: Facility) -> dict[str, Any]:
    """A stored evaluation as JSON: the evaluation as it was (``scheme``, ``result``,
    ``criteria`` …) and what it was made of and by."""
    return {
        **snapshot.result,
        "id": snapshot.id,
        "facility": facility.code,
        "period": snapshot.period,
        "inventory_id": snapshot.inventory_id,
        "rule_set_origin": snapshot.rule_set_origin,
        "rule_set_sha256": snapshot.rule_set_sha256,
        "result_sha256": snapshot.result_sha256,
        "engine_version": snapshot.engine_version,
        "created_by": snapshot.created_by,
        "created_at": snapshot.created_at.isoformat(),
        "facts": snapshot.facts,
        "lineage": snapshot.lineage,
    }
