"""Rules of the carbon-asset ledger (碳资产台账) on plain data.

A holding is a batch of green electricity certificates (``gec``, 绿证: 1 GEC = 1 MWh,
发改能源〔2023〕1044号), a green power trading contract (``green_power``, 绿电交易: MWh, with
the GECs bundled with it), CCER credits (``ccer``) or credits of another standard
(``credit``): 1 credit = 1 tCO2e, or national ETS allowances (``cea``, 全国碳排放权交易市场
碳排放配额, of a covered enterprise: 1 allowance = 1 tCO2e, with its vintage year, how it was
obtained — free allocation, auction or purchase — its price and the registry account). It
leaves the holding by transfer, retirement (注销) for a facility, a claim period and a claim,
surrender (清缴, allowances only) by the covered facility for a compliance year, or
cancellation. Allowances are compliance instruments, never offsets: they are never retired
into an inventory and never reduce its totals (:func:`compliance_position`). The double-count
rules:

* a serial is held by one holding and leaves it once (:func:`uncovered`, the store's
  overlap queries);
* a certificate bundled with a contract is never counted as a holding of its own;
* a retirement takes no more than the balance;
* a retirement meets the claim-period rules of its kind (:func:`claim_rules`,
  ``lingtan/data/ledger/claim-rules.yaml``, each with its source and review status);
* a surrender meets the surrender rules (:func:`surrender_rules`,
  ``lingtan/data/ledger/surrender-rules.yaml``, same shape).

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
    "ALLOWANCES",
    "CHANNELS",
    "CREDITS",
    "ELECTRICITY",
    "KINDS",
    "ClaimRule",
    "HoldingIn",
    "MonthIn",
    "MovementIn",
    "SurrenderRule",
    "add_months",
    "claim_rules",
    "compliance_position",
    "months_after",
    "rule_problem",
    "surrender_problem",
    "surrender_rules",
    "uncovered",
]

#: Kinds of holding and the unit of their quantity.
KINDS: dict[str, str] = {
    "gec": "MWh", "green_power": "MWh", "ccer": "tCO2e", "credit": "tCO2e", "cea": "tCO2e",
}  # fmt: skip
#: Kinds counted one serial per unit (1 GEC = 1 MWh; 1 credit or allowance = 1 tCO2e).
COUNTED = frozenset({"gec", "ccer", "credit", "cea"})
#: Kinds that are renewable electricity (MWh) and kinds that are carbon credits (tCO2e).
ELECTRICITY = ("gec", "green_power")
CREDITS = ("ccer", "credit")
#: Kinds that are compliance instruments of the national ETS (surrendered, never retired).
ALLOWANCES = ("cea",)
#: How an allowance was obtained: free allocation (免费分配), auction (有偿拍卖), purchase (购买).
CHANNELS = ("free_allocation", "auction", "purchase")
#: What leaves a holding.
ACTIONS = ("transfer", "retire", "surrender", "cancel")


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
    channel: str = ""
    price_cny_per_unit: float | None = None
    registry_account: str = ""
    evidence: Path | None = None
    where: Any = "ledger"


@dataclass(frozen=True, slots=True)
class MovementIn:
    """A transfer, retirement or cancellation of ``quantity`` of the holding ``asset``:
    a retirement names the ``facility`` (code), the claim period and the ``claim``; a transfer
    its ``counterpart``; a cancellation its ``reason``; a surrender of allowances the covered
    ``facility`` and the ``compliance_year``."""

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
    compliance_year: int | None = None
    evidence: Path | None = None
    where: Any = "ledger"


@dataclass(frozen=True, slots=True)
class MonthIn:
    """One month of the green power contract ``asset``: ``month`` (its first day), the
    ``contracted_mwh`` and the ``settled_mwh`` (None until settled) and the GECs bundled with
    the month's settlement (``certificates``, among the contract's)."""

    asset: str
    month: date
    contracted_mwh: float
    settled_mwh: float | None = None
    certificates: str = ""
    where: Any = "ledger"


_CHECKS = ("generation_within_period", "retired_within_months_after_period")


@dataclass(frozen=True, slots=True)
class _Rule:
    """A rule of the ledger kept as data: for holdings of ``kinds``, ``check``, with its title
    and its source (``document``, ``clause``) and review ``status``."""

    id: str
    kinds: tuple[str, ...]
    check: str
    title_en: str
    title_zh: str
    document: str
    clause: str
    status: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class ClaimRule(_Rule):
    """A claim-period rule: for holdings of ``kinds``, ``check`` with its window in months.

    ``generation_within_period``: the holding's period (generation, delivery) lies within the
    claim period widened by ``months_before`` and ``months_after``.
    ``retired_within_months_after_period``: the retirement is dated no later than
    ``months_after`` months after the end of the claim period.
    """

    months_before: int = 0
    months_after: int = 0

    def latest_retirement(self, claim_end: date) -> date | None:
        """The last day a retirement for a claim period ending ``claim_end`` meets this rule
        (``retired_within_months_after_period``); None for a rule that sets no such day."""
        if self.check != "retired_within_months_after_period":
            return None
        return add_months(claim_end, self.months_after)


def _rules(name: str, make: Any, checks: tuple[str, ...], kinds: Any) -> tuple[Any, ...]:
    """The rules of the shipped file ``lingtan/data/ledger/NAME``, each made by ``make``; a
    check not in ``checks`` or a kind not in ``kinds`` is an error of the file."""
    text = (resources.files("lingtan") / "data" / "ledger" / name).read_text("utf-8")
    rules = []
    for item in yaml.safe_load(text)["rules"]:
        rule = make(**{**item, "kinds": tuple(item["kinds"])})
        if rule.check not in checks or not set(rule.kinds) <= set(kinds):
            raise ValueError(f"{name} rule {rule.id}: unknown check or kind")
        rules.append(rule)
    return tuple(rules)


@functools.cache
def claim_rules() -> tuple[ClaimRule, ...]:
    """The shipped claim-period rules (``lingtan/data/ledger/claim-rules.yaml``)."""
    return _rules("claim-rules.yaml", ClaimRule, _CHECKS, KINDS)


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


_SURRENDER_CHECKS = ("vintage_not_after_compliance_year",)


@dataclass(frozen=True, slots=True)
class SurrenderRule(_Rule):
    """A rule of the surrender (清缴) of allowances for a compliance year.

    ``vintage_not_after_compliance_year``: an allowance of vintage year V is surrendered for a
    compliance year C only when V <= C.
    """


@functools.cache
def surrender_rules() -> tuple[SurrenderRule, ...]:
    """The shipped surrender rules (``lingtan/data/ledger/surrender-rules.yaml``)."""
    return _rules("surrender-rules.yaml", SurrenderRule, _SURRENDER_CHECKS, ALLOWANCES)


def surrender_problem(rule: SurrenderRule, *, vintage: int, compliance_year: int) -> Message | None:
    """Why surrendering allowances of ``vintage`` for ``compliance_year`` breaks ``rule``, or
    None when it meets it."""
    if vintage > compliance_year:
        return Message(
            "allowances of vintage %(vintage)s are not surrendered for the compliance year "
            "%(year)s: rule %(rule)s (%(document)s, %(clause)s; %(status)s)",
            vintage=vintage,
            year=compliance_year,
            rule=rule.id,
            document=rule.document,
            clause=rule.clause,
            status=rule.status,
        )
    return None


def compliance_position(
    *, verified_tco2e: float | None, surrendered_tco2e: float
) -> dict[str, Any]:
    """The compliance position of a covered facility for a year: the verified emissions
    [tCO2e] against the allowances surrendered [tCO2e].

    Returns ``shortfall_tco2e`` (verified - surrendered when positive, else 0),
    ``surplus_tco2e`` (surrendered - verified when positive, else 0) and ``status``:
    ``complied`` (no shortfall), ``shortfall`` or ``no_verified_emissions`` (no figure to
    compare with: shortfall and surplus are None). Allowances never enter the inventory's
    totals: this is a position beside them.
    """
    if verified_tco2e is None:
        return {
            "verified_tco2e": None,
            "surrendered_tco2e": surrendered_tco2e,
            "shortfall_tco2e": None,
            "surplus_tco2e": None,
            "status": "no_verified_emissions",
        }
    gap = verified_tco2e - surrendered_tco2e
    return {
        "verified_tco2e": verified_tco2e,
        "surrendered_tco2e": surrendered_tco2e,
        "shortfall_tco2e": max(gap, 0.0),
        "surplus_tco2e": max(-gap, 0.0),
        "status": "shortfall" if gap > 1e-9 else "complied",
    }
