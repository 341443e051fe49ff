"""Rules of the carbon-asset ledger (碳资产台账) on plain data.

A holding is a batch of green electricity certificates (``gec``, 绿证: 1 GEC = 1 MWh,
发改能源〔2023〕1044号), a green power trading contract (``green_power``, 绿电交易: MWh, with
the GECs bundled with it), CCER credits (``ccer``) or credits of another standard
(``credit``): 1 credit = 1 tCO2e. It leaves the holding by transfer, retirement (注销) for a
facility, a claim period and a claim, or cancellation. The double-count rules:

* a serial is held by one holding and leaves it once (:func:`uncovered`, the store's
  overlap queries);
* a certificate bundled with a contract is never counted as a holding of its own;
* a retirement takes no more than the balance;
* a retirement meets the claim-period rules of its kind (:func:`claim_rules`,
  ``lingtan/data/ledger/claim-rules.yaml``, each with its source and review status).

References
----------
.. [1] 发改能源〔2023〕1044号: the GEC is the sole proof of the attribute; 1 GEC = 1 MWh; a
   tradable GEC is sold only once (/work/shared/reference/accounting-standards.md §6.3).
.. [2] GHG Protocol Scope 2 Guidance (2015), Scope 2 Quality Criteria (reference §5.1).
.. [3] ISO 14068-1:2023 clause 11 (reference §6.1).
"""

from __future__ import annotations

import calendar
import functools
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from lingtan.accounting.serials import SerialRange
from lingtan.i18n import Message

__all__ = [
    "ACTIONS",
    "CREDITS",
    "ELECTRICITY",
    "KINDS",
    "ClaimRule",
    "HoldingIn",
    "MovementIn",
    "add_months",
    "claim_rules",
    "months_after",
    "rule_problem",
    "uncovered",
]

#: Kinds of holding and the unit of their quantity.
KINDS: dict[str, str] = {"gec": "MWh", "green_power": "MWh", "ccer": "tCO2e", "credit": "tCO2e"}
#: Kinds counted one serial per unit (1 GEC = 1 MWh; 1 credit = 1 tCO2e).
COUNTED = frozenset({"gec", "ccer", "credit"})
#: Kinds that are renewable electricity (MWh) and kinds that are carbon credits (tCO2e).
ELECTRICITY = ("gec", "green_power")
CREDITS = ("ccer", "credit")
#: What leaves a holding.
ACTIONS = ("transfer", "retire", "cancel")


@dataclass(frozen=True, slots=True)
class HoldingIn:
    """A holding to add to the ledger (an acquisition), as a file row or a request gives it.

    ``quantity`` in the kind's unit (:data:`KINDS`); ``serial`` its serials (required for GECs
    and CCER), ``certificates`` the GECs bundled with a contract; ``period_start`` /
    ``period_end`` the generation, delivery or vintage period; ``where`` names the row for
    the problems.
    """

    code: str
    kind: str
    quantity: float
    period_start: date
    period_end: date
    acquired_on: date
    serial: str = ""
    certificates: str = ""
    issuing_registry: str = ""
    project: str = ""
    technology: str = ""
    methodology: str = ""
    counterpart: str = ""
    evidence: Path | None = None
    where: Any = "ledger"


@dataclass(frozen=True, slots=True)
class MovementIn:
    """A transfer, retirement or cancellation of ``quantity`` of the holding ``asset``:
    a retirement names the ``facility`` (code), the claim period and the ``claim``; a transfer
    its ``counterpart``; a cancellation its ``reason``."""

    asset: str
    action: str
    quantity: float
    on_date: date
    serial: str = ""
    facility: str | None = None
    period_start: date | None = None
    period_end: date | None = None
    claim: str = ""
    counterpart: str = ""
    reason: str = ""
    evidence: Path | None = None
    where: Any = "ledger"


_CHECKS = ("generation_within_period", "retired_within_months_after_period")


@dataclass(frozen=True, slots=True)
class ClaimRule:
    """A claim-period rule: for holdings of ``kinds``, ``check`` with its window in months.

    ``generation_within_period``: the holding's period (generation, delivery) lies within the
    claim period widened by ``months_before`` and ``months_after``.
    ``retired_within_months_after_period``: the retirement is dated no later than
    ``months_after`` months after the end of the claim period.
    """

    id: str
    kinds: tuple[str, ...]
    check: str
    months_before: int
    months_after: int
    title_en: str
    title_zh: str
    document: str
    clause: str
    status: str
    note: str = ""

    def latest_retirement(self, claim_end: date) -> date | None:
        """The last day a retirement for a claim period ending ``claim_end`` meets this rule
        (``retired_within_months_after_period``); None for a rule that sets no such day."""
        if self.check != "retired_within_months_after_period":
            return None
        return add_months(claim_end, self.months_after)


@functools.cache
def claim_rules() -> tuple[ClaimRule, ...]:
    """The shipped claim-period rules (``lingtan/data/ledger/claim-rules.yaml``)."""
    text = (resources.files("lingtan") / "data" / "ledger" / "claim-rules.yaml").read_text("utf-8")
    rules = []
    for item in yaml.safe_load(text)["rules"]:
        rule = ClaimRule(**{**item, "kinds": tuple(item["kinds"])})
        if rule.check not in _CHECKS or not set(rule.kinds) <= set(KINDS):
            raise ValueError(f"claim rule {rule.id}: unknown check or kind")
        rules.append(rule)
    return tuple(rules)


def add_months(day: date, months: int) -> date:
    """``day`` moved by ``months`` calendar months; a month-end stays a month-end
    (2025-02-28 + 1 = 2025-03-31) and a day the month lacks becomes its last."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    at_end = day.day == calendar.monthrange(day.year, day.month)[1]
    return date(year, month + 1, last if at_end else min(day.day, last))


def months_after(end: date, day: date) -> int:
    """The smallest whole number of months ``m`` >= 0 with ``day <= add_months(end, m)``:
    0 for a day on or before ``end``; 2025-12-31 → 2026-03-15 is 3."""
    if day <= end:
        return 0
    months = (day.year - end.year) * 12 + day.month - end.month - 1
    while add_months(end, months) < day:
        months += 1
    return months


def rule_problem(
    rule: ClaimRule,
    *,
    held_start: date,
    held_end: date,
    claim_start: date,
    claim_end: date,
    retired_on: date,
) -> Message | None:
    """Why a retirement breaks ``rule``, or None when it meets it (or the rule is for other
    kinds: the caller passes the rules of the holding's kind)."""
    if rule.check == "generation_within_period":
        earliest = add_months(claim_start, -rule.months_before)
        latest = add_months(claim_end, rule.months_after)
        if held_start < earliest or held_end > latest:
            return Message(
                "the generation period %(start)s to %(end)s is not within %(earliest)s to "
                "%(latest)s: rule %(rule)s (%(document)s, %(clause)s)",
                start=held_start.isoformat(),
                end=held_end.isoformat(),
                earliest=earliest.isoformat(),
                latest=latest.isoformat(),
                rule=rule.id,
                document=rule.document,
                clause=rule.clause,
            )
        return None
    latest = rule.latest_retirement(claim_end)
    assert latest is not None
    if retired_on > latest:
        return Message(
            "retired on %(day)s, after %(latest)s (%(months)s months after the claim period): "
            "rule %(rule)s (%(document)s, %(clause)s)",
            day=retired_on.isoformat(),
            latest=latest.isoformat(),
            months=rule.months_after,
            rule=rule.id,
            document=rule.document,
            clause=rule.clause,
        )
    return None


def uncovered(inner: SerialRange, ranges: list[SerialRange]) -> bool:
    """True when some serial of ``inner`` is in none of ``ranges``."""
    numbered = inner.first is not None
    same = sorted(
        (r for r in ranges if r.prefix == inner.prefix and (r.first is not None) == numbered),
        key=lambda r: r.first or 0,
    )
    if inner.first is None or inner.last is None:
        return not same
    need = inner.first
    for r in same:
        assert r.first is not None and r.last is not None
        if r.first > need:
            break
        need = max(need, r.last + 1)
        if need > inner.last:
            return False
    return need <= inner.last
