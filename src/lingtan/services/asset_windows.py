"""Holdings of the carbon-asset ledger whose retirement window for a claim year is closing.

:func:`retirement_windows` applies the ledger's own claim-period rules
(:func:`lingtan.assets.ledger.claim_rules`, ``claim-rules.yaml``) to every holding with a balance
and the claim period of one calendar year:

* a holding that a ``generation_within_period`` rule keeps out of that claim period (a 2024 GEC
  for a 2025 claim) cannot be retired for it and is not listed;
* a ``retired_within_months_after_period`` rule gives the last day of retirement
  (:meth:`~lingtan.assets.ledger.ClaimRule.latest_retirement`: the end of the year plus its
  months); the days left are counted from ``today``: ``expired`` below 0, ``expiring`` up to
  ``within_days``, else ``open``.

A holding whose rules set no last day (a GEC: the shipped rules tie it to its generation
period, not to a date of retirement) has no window to close and is not listed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from lingtan.assets.ledger import claim_rules, rule_problem

__all__ = ["retirement_windows"]

_EPS = 1e-9


def retirement_windows(
    holdings: Iterable[dict[str, Any]], year: int, today: date, within_days: int
) -> list[dict[str, Any]]:
    """The retirement windows of ``holdings`` (rows of
    :func:`lingtan.services.ledger.asset_balances`) for the claim period of ``year``, soonest
    last day first: the holding's row with ``rule``, ``document``, ``clause``, ``rule_status``,
    ``last_day`` (ISO date), ``days_left`` and ``window`` (``expired``, ``expiring``, ``open``)."""
    claim_start, claim_end = date(year, 1, 1), date(year, 12, 31)
    rows = []
    for holding in holdings:
        if holding["balance"] <= _EPS:
            continue
        rules = [r for r in claim_rules() if holding["kind"] in r.kinds]
        start = date.fromisoformat(holding["period_start"])
        end = date.fromisoformat(holding["period_end"])
        excluded = [
            r
            for r in rules
            if r.check == "generation_within_period"
            and rule_problem(
                r,
                held_start=start,
                held_end=end,
                claim_start=claim_start,
                claim_end=claim_end,
                retired_on=today,
            )
            is not None
        ]
        if excluded:
            continue
        for rule in rules:
            last = rule.latest_retirement(claim_end)
            if last is None:
                continue
            left = (last - today).days
            window = "expired" if left < 0 else "expiring" if left <= within_days else "open"
            rows.append(
                {
                    **holding,
                    "claim_year": year,
                    "rule": rule.id,
                    "document": rule.document,
                    "clause": rule.clause,
                    "rule_status": rule.status,
                    "last_day": last.isoformat(),
                    "days_left": left,
                    "window": window,
                }
            )
    rows.sort(key=lambda r: (r["last_day"], r["asset"]))
    return rows
