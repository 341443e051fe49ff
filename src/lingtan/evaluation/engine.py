"""The evaluation of a scheme's criteria on facts: pass, fail or unable to judge, and the gap.

:func:`evaluate` is pure: a rule set (:mod:`lingtan.evaluation.rules`) and the facts
(:mod:`lingtan.evaluation.facts`) in, an :class:`Evaluation` out. Each criterion is

* ``pass`` when its fact meets the threshold (a value exactly on a threshold meets it);
* ``fail`` when it does not, with the gap in numbers: what would make it pass, in the fact's
  unit (``offset 856 tCO2e more``; ``renewable electricity 62 % of 100 %: 38 points more``);
* ``unable_to_judge`` when the threshold is not known (its text is the reason), the fact (or
  the fact a share threshold is based on) is not given, or a declaration comes without its
  evidence.

The overall result is ``fail`` when any criterion fails, else ``unable_to_judge`` when any
cannot be judged, else ``pass``.

References
----------
.. [1] /work/shared/reference/accounting-standards.md §7.4: "offset percentage = offsets ÷
   residual Cat 1 + 2"; the Jiangsu / Suzhou Industrial Park 2026 conditions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from lingtan.evaluation.facts import FACTS, FactValue
from lingtan.evaluation.rules import Criterion, RuleSet
from lingtan.i18n import Message

__all__ = ["CriterionResult", "Evaluation", "Status", "evaluate", "number_text"]


class Status(StrEnum):
    """The result of a criterion, or of a whole evaluation."""

    PASS = "pass"
    FAIL = "fail"
    UNABLE_TO_JUDGE = "unable_to_judge"


@dataclass(frozen=True, slots=True)
class CriterionResult:
    """One criterion judged.

    Attributes
    ----------
    criterion : Criterion
    status : Status
    value : float, bool, tuple of str or None
        The figure used (None where the fact is not given).
    threshold : float, bool, tuple of str or None
        The threshold applied, resolved: 100 % of a residual of 12,000 tCO2e is 12,000
        [the fact's unit].
    unit : str
        The unit of ``value``, ``threshold`` and ``gap``.
    gap : float or None
        For a failed number: how much more (``>=``) or less (``<=``) is needed [unit].
    gap_text : Message or None
        The gap in words, for a failed criterion.
    gap_gecs : int or None
        For a failed renewable-electricity share with ``electricity_consumed_mwh`` given: the
        green electricity certificates (GEC, 1 GEC = 1 MWh) still to retire, rounded up.
    reason : Message
    evidence : str or None
        The evidence reference of a declared fact.
    """

    criterion: Criterion
    status: Status
    value: Any
    threshold: Any
    unit: str
    gap: float | None
    gap_text: Message | None
    reason: Message
    evidence: str | None
    gap_gecs: int | None = None

    def as_dict(self) -> dict[str, Any]:
        """The JSON of the criterion (texts in English; ``reason_message`` and ``gap_message``
        to translate them)."""
        c = self.criterion
        plain = list(self.value) if isinstance(self.value, tuple) else self.value
        limit = list(self.threshold) if isinstance(self.threshold, tuple) else self.threshold
        return {
            "id": c.id,
            "title_en": c.title_en,
            "title_zh": c.title_zh,
            "fact": c.fact,
            "status": str(self.status),
            "value": plain,
            "operator": c.operator,
            "threshold": limit,
            "unit": self.unit,
            "rule": c.threshold_text(),
            "gap": self.gap,
            "gap_text": None if self.gap_text is None else str(self.gap_text),
            "gap_message": None if self.gap_text is None else self.gap_text.as_dict(),
            "gap_gecs": self.gap_gecs,
            "reason": str(self.reason),
            "reason_message": self.reason.as_dict(),
            "evidence": self.evidence,
            "evidence_message": (
                self.evidence.as_dict() if isinstance(self.evidence, Message) else None
            ),
            "source": c.source(),
            "rule_status": c.status,
            "note": c.note,
            "note_zh": c.note_zh,
            "rule_message": c.threshold_message().as_dict(),
        }


@dataclass(frozen=True, slots=True)
class Evaluation:
    """A scheme evaluated: the result and every criterion."""

    rules: RuleSet
    result: Status
    criteria: tuple[CriterionResult, ...]

    def count(self, status: Status) -> int:
        return sum(1 for c in self.criteria if c.status is status)

    def as_dict(self) -> dict[str, Any]:
        return {
            "scheme": self.rules.scheme,
            "title_en": self.rules.title_en,
            "title_zh": self.rules.title_zh,
            "document": self.rules.document,
            "document_zh": self.rules.document_zh,
            "origin": self.rules.origin,
            "result": str(self.result),
            "passed": self.count(Status.PASS),
            "failed": self.count(Status.FAIL),
            "unable_to_judge": self.count(Status.UNABLE_TO_JUDGE),
            "criteria": [c.as_dict() for c in self.criteria],
        }


def number_text(value: float) -> str:
    """A figure for people: thousands separated, at most three decimals, no trailing zeros
    (``856``, ``1,234.5``)."""
    if abs(value - round(value)) < 5e-4:
        return f"{round(value):,}"
    return f"{value:,.3f}".rstrip("0").rstrip(".")


def _gap_text(fact: str, operator: str, value: float, threshold: float, gap: float) -> Message:
    """The gap of a failed number criterion in words."""
    v, t, g = number_text(value), number_text(threshold), number_text(gap)
    if fact == "offset_retired_tco2e":
        return Message("offset %(gap)s tCO2e more", gap=g)
    if fact == "removals_tco2e":
        return Message("remove %(gap)s tCO2e more", gap=g)
    if fact == "reductions_tco2e":
        return Message("reduce %(gap)s tCO2e more", gap=g)
    if fact == "renewable_electricity_share_pct":
        return Message(
            "renewable electricity %(value)s %% of %(threshold)s %%: %(gap)s points more",
            value=v,
            threshold=t,
            gap=g,
        )
    if fact == "hourly_matched_cfe_share_pct":
        return Message(
            "hourly-matched carbon-free electricity %(value)s %% of %(threshold)s %%: "
            "%(gap)s points more",
            value=v,
            threshold=t,
            gap=g,
        )
    if fact == "compliance_record_years":
        return Message(
            "compliance record %(value)s of %(threshold)s years: %(gap)s more",
            value=v,
            threshold=t,
            gap=g,
        )
    unit = FACTS[fact].unit
    if operator == "<=":
        return Message("%(gap)s %(unit)s less", gap=g, unit=unit)
    return Message("%(gap)s %(unit)s more", gap=g, unit=unit)


def _judge(criterion: Criterion, facts: Mapping[str, FactValue]) -> CriterionResult:
    fact = FACTS[criterion.fact]
    given = facts.get(criterion.fact)
    value = given.value if given is not None else None
    evidence = given.evidence if given is not None else None

    def unable(reason: Message, threshold: Any = None) -> CriterionResult:
        return CriterionResult(
            criterion,
            Status.UNABLE_TO_JUDGE,
            value,
            threshold,
            criterion.unit,
            None,
            None,
            reason,
            evidence,
        )

    if not criterion.known:
        return unable(
            Message(
                "the scheme's threshold is not known (unverified): %(note)s",
                note=criterion.note,
                note_zh=criterion.note_zh,
            )
        )
    if given is None:
        return unable(Message("the fact %(fact)s is not given", fact=criterion.fact))
    if fact.declaration and evidence is None:
        return unable(
            Message(
                "%(fact)s is a declaration and is judged only with its evidence",
                fact=criterion.fact,
            )
        )
    if fact.kind == "code":
        allowed = criterion.threshold
        values = value if isinstance(value, tuple) else (value,)
        names = ", ".join(allowed)
        reached = [v for v in values if v in allowed]
        if reached:
            reason = Message(
                "%(codes)s is one of %(allowed_codes)s",
                codes=", ".join(reached),
                allowed_codes=names,
            )
            return CriterionResult(
                criterion, Status.PASS, value, allowed, "", None, None, reason, evidence
            )
        reason = Message(
            "%(codes)s is none of %(allowed_codes)s", codes=", ".join(values), allowed_codes=names
        )
        gap = Message("needs %(allowed_codes)s", allowed_codes=names)
        return CriterionResult(
            criterion, Status.FAIL, value, allowed, "", None, gap, reason, evidence
        )
    if fact.kind == "flag":
        wanted = criterion.threshold
        if value is wanted:
            reason = Message("declared %(flag)s, as required", flag=str(value).lower())
            return CriterionResult(
                criterion, Status.PASS, value, wanted, "", None, None, reason, evidence
            )
        reason = Message(
            "declared %(flag)s; required %(wanted_flag)s",
            flag=str(value).lower(),
            wanted_flag=str(wanted).lower(),
        )
        gap = Message(
            "%(fact)s must be %(wanted_flag)s, with its evidence",
            fact=criterion.fact,
            wanted_flag=str(wanted).lower(),
        )
        return CriterionResult(
            criterion, Status.FAIL, value, wanted, "", None, gap, reason, evidence
        )
    unit = fact.unit
    threshold = criterion.threshold
    if criterion.of is not None:
        base = facts.get(criterion.of)
        if base is None:
            return unable(
                Message(
                    "the fact %(fact)s the threshold is a share of is not given", fact=criterion.of
                )
            )
        threshold = threshold / 100 * base.value
    # a share of a residual is a product of floats: 80 % of 1,234.5 is met by 987.6 exactly
    slack = 1e-9 * max(1.0, abs(threshold))
    met = value >= threshold - slack if criterion.operator == ">=" else value <= threshold + slack
    shown = {
        "value": number_text(value),
        "unit": unit,
        "operator": criterion.operator,
        "threshold": number_text(threshold),
    }
    if met:
        reason = Message("%(value)s %(unit)s meets %(operator)s %(threshold)s %(unit)s", **shown)
        return CriterionResult(
            criterion, Status.PASS, value, threshold, unit, None, None, reason, evidence
        )
    gap = abs(threshold - value)
    reason = Message(
        "%(value)s %(unit)s does not meet %(operator)s %(threshold)s %(unit)s", **shown
    )
    text = _gap_text(criterion.fact, criterion.operator, value, threshold, gap)
    gecs = None
    consumed = facts.get("electricity_consumed_mwh")
    if criterion.fact == "renewable_electricity_share_pct" and consumed is not None:
        # 1 GEC = 1 MWh (发改能源〔2023〕1044号); whole certificates, so rounded up
        gecs = math.ceil(round(gap / 100 * consumed.value, 6))
        text = Message("%(gap)s; retire %(gecs)s GECs more", gap=text, gecs=f"{gecs:,}")
    return CriterionResult(
        criterion, Status.FAIL, value, threshold, unit, gap, text, reason, evidence, gecs
    )


def evaluate(rule_set: RuleSet, facts: Mapping[str, FactValue]) -> Evaluation:
    """Judge every criterion of *rule_set* on *facts*.

    Parameters
    ----------
    rule_set : RuleSet
        A shipped scheme (:func:`~lingtan.evaluation.rules.shipped_rule_set`) or a user's.
    facts : mapping of str to FactValue
        The facts by name (:func:`~lingtan.evaluation.facts.read_facts`).

    Returns
    -------
    Evaluation
        ``fail`` if any criterion fails, else ``unable_to_judge`` if any cannot be judged,
        else ``pass``; the criteria in the scheme's order.
    """
    results = tuple(_judge(criterion, facts) for criterion in rule_set.criteria)
    statuses = {r.status for r in results}
    if Status.FAIL in statuses:
        result = Status.FAIL
    elif Status.UNABLE_TO_JUDGE in statuses:
        result = Status.UNABLE_TO_JUDGE
    else:
        result = Status.PASS
    return Evaluation(rule_set, result, results)
