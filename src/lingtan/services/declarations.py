"""Declarations for the zero-carbon-factory evaluation (声明), entered and kept in the store.

A *declaration* is a fact lingtan cannot compute from its own data — green-factory status, a
management organisation and plan, a compliance record … (the facts of
:data:`lingtan.evaluation.facts.FACTS` marked ``declaration``). Entered on the evaluation page,
over the API or with ``lingtan evaluate declare``, it is kept as a
:class:`~lingtan.store.models.Declaration` of a facility and calendar year: the value, the
statement, who declared it, the evidence file it rests on (stored by its SHA-256) and who
entered it, with an audit entry (``declare``, entity ``declaration``). It is never changed: a
newer declaration of the same facility, year and fact stands instead of it.

:func:`with_declarations` gives an evaluation (:func:`lingtan.services.evaluations.
evaluate_facility`, the zero-carbon report) the declarations that stand for the year, each
with its evidence reference (``declaration 3: plan.pdf, SHA-256 …``), beside the facts a file
or a request gives: those given explicitly for the same fact are used instead (the lineage
says which declaration they replaced).

A value is checked as a facts file's (:func:`lingtan.evaluation.facts.read_facts`): a flag is
true or false, a number is finite and not negative (a share at most 100 %), a code is one of
the fact's codes; a text (a form's, the command line's) is read first: ``true`` / ``false``
(也可 ``是`` / ``否``), a number, codes joined by commas.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from lingtan.errors import InputError, InputProblem, Problems
from lingtan.evaluation.facts import FACTS, FactValue, read_facts
from lingtan.i18n import Message
from lingtan.store import audit
from lingtan.store.models import Declaration, Evidence, Facility

__all__ = [
    "DECLARATION_FACTS",
    "MAX_STATEMENT_CHARS",
    "declaration_line",
    "declarations",
    "declare",
    "standing_declarations",
    "with_declarations",
]

#: The facts a declaration may give, in the vocabulary's order.
DECLARATION_FACTS = tuple(name for name, fact in FACTS.items() if fact.declaration)
#: The longest statement [characters].
MAX_STATEMENT_CHARS = 4000
_WHERE = Message("declaration")
_TRUE = {"true", "yes", "是", "1"}
_FALSE = {"false", "no", "否", "0"}


def _typed(fact: str, value: Any) -> Any:
    """The value of a text as the fact's kind reads it (other values as they are)."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    kind = FACTS[fact].kind
    if kind == "flag":
        lowered = text.lower()
        return True if lowered in _TRUE else False if lowered in _FALSE else text
    if kind == "number":
        try:
            return float(text)
        except ValueError:
            return text
    if FACTS[fact].many:
        return [part.strip() for part in text.replace("，", ",").split(",") if part.strip()]
    return text


def _checked(
    fact: str, value: Any, year: Any, statement: str, declared_by: str
) -> tuple[Any, str, str]:
    """The value, statement and declarant as kept; every problem at once."""
    problems = Problems()
    if fact not in DECLARATION_FACTS:
        rule = Message(
            "must be one of the facts that are declared: %(facts)s",
            facts=", ".join(DECLARATION_FACTS),
        )
        raise InputError(InputProblem(_WHERE, "fact", fact, rule))
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
        rule = Message("must be a calendar year from 2000 to 2100")
        problems.append(InputProblem(_WHERE, "year", year, rule))
    statement, declared_by = (statement or "").strip(), (declared_by or "").strip()
    if not statement:
        rule = Message("must say what is declared and on what it rests")
        problems.append(InputProblem(_WHERE, "statement", None, rule))
    elif len(statement) > MAX_STATEMENT_CHARS:
        rule = Message("must be at most %(n)s characters", n=MAX_STATEMENT_CHARS)
        problems.append(InputProblem(_WHERE, "statement", len(statement), rule))
    if not declared_by or len(declared_by) > 200:
        rule = Message("must name who declares it (at most 200 characters)")
        problems.append(InputProblem(_WHERE, "declared_by", declared_by or None, rule))
    checked, typed, kind = None, _typed(fact, value), FACTS[fact]
    codes = [typed] if not isinstance(typed, list) else typed
    if kind.kind == "flag" and not isinstance(typed, bool):
        rule = Message("must be yes or no (true or false)")
        problems.append(InputProblem(_WHERE, "value", value, rule))
    elif kind.kind == "code" and (not codes or any(c not in kind.codes for c in codes)):
        rule = Message("must be one of %(allowed_codes)s", allowed_codes=", ".join(kind.codes))
        problems.append(InputProblem(_WHERE, "value", value, rule))
    else:  # as a facts file's (a number finite, not negative, a share at most 100 %)
        try:
            checked = read_facts({"facts": {fact: typed}}, origin=_WHERE)[fact].value
        except InputError as error:
            problems.extend(error.problems)
    if problems:
        raise InputError(problems)
    return (list(checked) if isinstance(checked, tuple) else checked), statement, declared_by


def declare(
    session: Session,
    facility: Facility,
    year: int,
    fact: str,
    value: Any,
    *,
    statement: str,
    declared_by: str,
    evidence: Evidence | str,
    actor: str,
) -> Declaration:
    """Keep a declaration of ``facility``'s calendar ``year`` with its audit entry.

    Parameters
    ----------
    fact : str
        One of :data:`DECLARATION_FACTS`.
    value
        The fact's value, or a text of it (see the module's text).
    statement : str
        What is declared and on what it rests (at most :data:`MAX_STATEMENT_CHARS`).
    declared_by : str
        Who declares it (a person and role, for the record).
    evidence : Evidence or str
        The evidence row (of the facility's organization), or the SHA-256 of one.
    actor : str
        Who enters it.

    Raises
    ------
    InputError
        A fact that is not a declaration, a value the fact does not take, a year outside
        2000–2100, an empty statement or declarant, evidence that is not the
        organization's: nothing is written.
    """
    checked, statement, declared_by = _checked(fact, value, year, statement, declared_by)
    if isinstance(evidence, str):
        sha256 = evidence.strip().lower()
        row = session.scalars(
            sa.select(Evidence).where(
                Evidence.sha256 == sha256, Evidence.organization_id == facility.organization_id
            )
        ).first()
        if row is None:
            rule = Message("is no evidence file of the organization")
            raise InputError(InputProblem(_WHERE, "evidence", evidence or None, rule))
        evidence = row
    elif evidence.organization_id != facility.organization_id:
        rule = Message("is no evidence file of the organization")
        raise InputError(InputProblem(_WHERE, "evidence", evidence.sha256, rule))
    row = Declaration(
        facility_id=facility.id,
        period=year,
        fact=fact,
        value=checked,
        statement=statement,
        declared_by=declared_by,
        evidence_id=evidence.id,
        created_by=actor,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="declare",
        entity="declaration",
        entity_key=str(row.id),
        after={
            "facility": facility.code,
            "period": year,
            "fact": fact,
            "value": checked,
            "statement": statement,
            "declared_by": declared_by,
            "evidence": evidence.sha256,
            "filename": evidence.filename,
        },
    )
    return row


def declarations(
    session: Session, facility: Facility, year: int | None = None
) -> list[Declaration]:
    """The declarations of ``facility`` (of ``year``), newest first."""
    query = sa.select(Declaration).where(Declaration.facility_id == facility.id)
    if year is not None:
        query = query.where(Declaration.period == year)
    return list(session.scalars(query.order_by(Declaration.id.desc())))


def standing_declarations(
    session: Session, facility: Facility, year: int
) -> dict[str, Declaration]:
    """The declaration that stands for each fact of ``facility``'s ``year``: the newest."""
    standing: dict[str, Declaration] = {}
    for row in declarations(session, facility, year):
        standing.setdefault(row.fact, row)
    return standing


def _evidence(row: Declaration) -> Message:
    return Message(
        "declaration %(id)s: %(file)s, SHA-256 %(sha256)s",
        id=row.id,
        file=row.evidence.filename,
        sha256=row.evidence.sha256,
    )


def _value(row: Declaration) -> Any:
    return tuple(row.value) if isinstance(row.value, list) else row.value


def with_declarations(
    session: Session,
    facility: Facility,
    year: int,
    given: Mapping[str, FactValue] | None,
    origins: Mapping[str, str] | None = None,
) -> tuple[dict[str, FactValue], dict[str, str], dict[str, int]]:
    """The facts ``given`` (with their ``origins``) and, for every other declaration fact, the
    declaration that stands for the year: (facts, origins, the declarations replaced by a fact
    given, by fact)."""
    facts, where = dict(given or {}), dict(origins or {})
    replaced: dict[str, int] = {}
    for name, row in standing_declarations(session, facility, year).items():
        if name in facts:
            replaced[name] = row.id
            continue
        facts[name] = FactValue(_value(row), _evidence(row))
        where[name] = f"declaration {row.id}"
    return facts, where, replaced


def declaration_line(row: Declaration, standing: bool | None = None) -> dict[str, Any]:
    """A declaration as JSON (the page, the API, ``lingtan evaluate declarations``)."""
    return {
        "id": row.id,
        "period": row.period,
        "fact": row.fact,
        "value": row.value,
        "unit": FACTS[row.fact].unit,
        "statement": row.statement,
        "declared_by": row.declared_by,
        "evidence_sha256": row.evidence.sha256,
        "evidence_filename": row.evidence.filename,
        "created_by": row.created_by,
        "created_at": row.created_at.isoformat(timespec="seconds"),
        "standing": standing,
    }
