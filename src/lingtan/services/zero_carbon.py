"""The zero-carbon-factory report (零碳工厂报告) of a facility and year, assembled from the store.

:func:`zero_carbon_data` gathers what the report (:mod:`lingtan.reports.zero_carbon`) shows, in
the order of issue 14 §4: basic information and boundary, the locked inventory of the year
(Scope 1, Scope 2 location- and market-based, Scope 3), the reductions taken (the stored
energy-saving measures), the renewable electricity (on-site, GECs and green power retired; the
annual share and the hourly-matched share: of the hourly series given, else of the facility's
meters), the ledger's holdings and retirements with their serials, the evaluation under a
scheme with its gap (beside the newest stored snapshot of it, if any), and the plan (the stored
target and the measures not yet done).

Every figure is the answer of the service the other commands use — the inventory snapshot
(``lingtan inventory show``), :func:`lingtan.services.ledger_facts.facts_from_store` and
:func:`lingtan.evaluation.engine.evaluate` (``lingtan evaluate --facility --period``),
:func:`lingtan.services.ledger.asset_balances` (``lingtan ledger balance``) and
:func:`lingtan.services.efficiency_measures.facility_measures` — so the report and the rest of
lingtan agree. Only a **locked** inventory covering the whole calendar year is reported.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.orm import Session

from lingtan.errors import InputError, InputProblem
from lingtan.evaluation.engine import Evaluation, evaluate
from lingtan.evaluation.facts import FactValue
from lingtan.evaluation.matching import HourlyMatch
from lingtan.evaluation.rules import RuleSet
from lingtan.i18n import Message
from lingtan.services.audit_check import result_digest
from lingtan.services.declarations import with_declarations
from lingtan.services.efficiency_measures import facility_measures
from lingtan.services.evaluations import list_evaluations
from lingtan.services.ledger import asset_balances, ledger_entries
from lingtan.services.ledger_facts import facts_from_store
from lingtan.services.overview import facility_overview, inventory_for_year
from lingtan.store import audit
from lingtan.store.models import Facility, Inventory, Organization

__all__ = ["MATCHED", "ZeroCarbonData", "locked_inventory", "zero_carbon_data"]

#: The evaluation fact the hourly series give (as ``lingtan evaluate --consumption --supply``).
MATCHED = "hourly_matched_cfe_share_pct"

#: The inventory totals the report shows, by their key in the snapshot's ``totals``.
TOTALS = (
    "scope1_tco2e",
    "scope2_location_tco2e",
    "scope2_market_tco2e",
    "scope3_tco2e",
    "total_tco2e",
    "energy_tce",
    "purchased_electricity_mwh",
    "renewable_electricity_mwh",
    "renewable_electricity_share_pct",
    "co2_per_energy_tco2_per_tce",
)


@dataclass
class ZeroCarbonData:
    """What the zero-carbon-factory report shows (plain data: the report never reads the store).

    Attributes
    ----------
    inventory : dict
        ``id``, ``status``, ``result_sha256``, ``period_start``, ``period_end``, ``locked_at``,
        ``engine_version``, ``factor_sets`` of the locked inventory snapshot.
    totals : dict
        The snapshot's :data:`TOTALS` [tCO2e, tce, MWh, %], exactly as stored.
    scope3 : dict
        The snapshot's Scope 3 by category [tCO2e] (empty when the inventory has none).
    scope_records : dict
        Per scope (``1``, ``2``, ``3``): the activity record ids of its lines.
    measures : list of dict
        :func:`facility_measures` of the year, ranked by payback.
    reductions : dict
        Of those measures: ``measures``, ``done``, ``done_tco2_per_year`` and
        ``open_tco2_per_year`` [tCO2/a] (done / not yet done), ``open_investment_cny``.
    renewable : dict
        The lineage of ``renewable_electricity_share_pct`` of :func:`facts_from_store` (GECs,
        green power and on-site MWh, consumed MWh, ledger entries) and its ``share_pct``.
    hourly : dict or None
        :meth:`HourlyMatch.as_dict` (without the heat map) of the series given, else of the
        facility's meters (:func:`lingtan.services.meter_matching.matching_from_meters`) when
        they cover the year, else None.
    hourly_source : str or None
        ``series`` (the files given), ``meters`` or None (not computed).
    hourly_meters : dict or None
        The meters matched, per role (with ``hourly_source`` ``meters``).
    hourly_missing : list of Message
        Why the meters gave no hourly matching (the problems of the lineage's ``missing``;
        empty when the share is computed).
    stored_evaluation : dict or None
        The newest stored evaluation snapshot of the facility, year and scheme: ``id``,
        ``result_sha256``, ``created_at``, ``live_sha256`` (of the live evaluation's result,
        as a snapshot's) and ``same`` (the two equal).
    holdings : list of dict
        :func:`asset_balances` of the facility.
    retirements : list of dict
        The ledger's retirements for the facility with a claim period in the year.
    evaluation : Evaluation or None
        Under the scheme given (None without one: the disclosure pack needs none).
    facts : dict
        ``{name: {"value", "evidence"}}`` of every fact the evaluation used.
    lineage : dict
        The lineage of the facts computed from the store.
    overview : dict
        :func:`facility_overview` of the year (intensities, target progress).
    """

    facility_code: str
    facility_name: str
    organization_name: str
    region: str
    industry_code: str | None
    industry_name: str | None
    boundary: str | None
    time_zone: str
    year: int
    generated_at: datetime
    inventory: dict[str, Any]
    totals: dict[str, Any]
    scope3: dict[str, float]
    scope_records: dict[str, list[int]]
    measures: list[dict[str, Any]]
    reductions: dict[str, Any]
    renewable: dict[str, Any]
    hourly: dict[str, Any] | None
    hourly_source: str | None
    hourly_meters: dict[str, list[str]] | None
    hourly_missing: list[Message]
    stored_evaluation: dict[str, Any] | None
    holdings: list[dict[str, Any]]
    retirements: list[dict[str, Any]]
    evaluation: Evaluation | None
    facts: dict[str, dict[str, Any]]
    lineage: dict[str, Any]
    overview: dict[str, Any]

    @property
    def offset_retired_tco2e(self) -> float:
        """Credits retired for the year [tCO2e]: beside the totals, never deducted from them."""
        return math.fsum(r["quantity"] for r in self.retirements if r["unit"] == "tCO2e")


def locked_inventory(session: Session, facility: Facility, year: int) -> Inventory:
    """The locked inventory of ``facility`` covering the whole calendar ``year``; refused
    (naming the facility, the year and what to do) when there is none."""
    inventory = inventory_for_year(session, facility, year)
    whole = (date(year, 1, 1), date(year, 12, 31))
    if (
        inventory is None
        or inventory.status != "locked"
        or (inventory.period_start, inventory.period_end) != whole
    ):
        rule = Message(
            "facility %(facility)s has no locked inventory of the whole year: compute and "
            "lock one first (lingtan inventory lock)",
            facility=facility.code,
        )
        raise InputError(InputProblem("--period", "period", year, rule))
    return inventory


def _stored_snapshot(
    session: Session, facility: Facility, year: int, evaluation: Evaluation | None
) -> dict[str, Any] | None:
    """The newest stored snapshot of ``facility``, ``year`` and the evaluation's scheme beside
    the live ``evaluation`` (see :class:`ZeroCarbonData`), None when there is none."""
    if evaluation is None:
        return None
    snapshot = next(
        (
            s
            for s, _ in list_evaluations(session, [facility.id], year=year)
            if s.scheme == evaluation.rules.scheme
        ),
        None,
    )
    if snapshot is None:
        return None
    live = result_digest(audit.to_jsonable(evaluation.as_dict()))
    return {
        "id": snapshot.id,
        "result_sha256": snapshot.result_sha256,
        "created_at": snapshot.created_at,
        "live_sha256": live,
        "same": live == snapshot.result_sha256,
    }


def _scope_records(inventory: Inventory) -> dict[str, list[int]]:
    links = inventory.lineage["lines"]
    out: dict[str, list[int]] = {"1": [], "2": [], "3": []}
    for line in inventory.result["lines"]:
        link = links.get(line["source_id"])
        if link is not None and line["ghg_scope"] in (1, 2, 3):
            out[str(line["ghg_scope"])].append(link["activity_record_id"])
    return {scope: sorted(set(ids)) for scope, ids in out.items()}


def zero_carbon_data(
    session: Session,
    facility: Facility,
    year: int,
    rules: RuleSet | None,
    *,
    declared: Mapping[str, FactValue] | None = None,
    hourly: HourlyMatch | None = None,
    hourly_source: str = "",
) -> ZeroCarbonData:
    """The zero-carbon-factory report of ``facility`` for ``year`` under ``rules`` (a scheme;
    None for no evaluation).

    Parameters
    ----------
    declared : mapping, optional
        Facts from a facts file (declarations with evidence), as ``lingtan evaluate FACTS``;
        beside them the declarations kept for the year
        (:func:`lingtan.services.declarations.with_declarations`).
    hourly : HourlyMatch, optional
        Consumption matched with carbon-free supply hour by hour
        (:func:`lingtan.evaluation.matching.hourly_match`); gives the fact
        ``hourly_matched_cfe_share_pct`` (from ``hourly_source``).

    Raises
    ------
    InputError
        No locked inventory of the whole year; a fact both declared and computed.

    References
    ----------
    Issue 14 §4; /work/shared/reference/accounting-standards.md §5.1 (dual Scope 2 reporting),
    §6.1 (ISO 14068-1: credits offset the residual, beside the inventory, never inside it).
    """
    inventory = locked_inventory(session, facility, year)
    stored = facts_from_store(session, facility, year)
    computed = dict(stored.facts)
    given, _, _ = with_declarations(session, facility, year, declared)
    hourly_from = "series" if hourly is not None else None
    if hourly is not None:
        if MATCHED in given:
            rule = Message("is given by the facts file and by --consumption and --supply")
            raise InputError(InputProblem("FACTS", MATCHED, given[MATCHED].value, rule))
        given[MATCHED] = FactValue(hourly.hourly_share_pct, hourly_source)
        computed.pop(MATCHED, None)  # the series given replace the meters' matching
    elif stored.matching is not None and MATCHED not in given:
        hourly, hourly_from = stored.matching.match, "meters"
    both = sorted(set(given) & set(computed))
    if both:
        rule = Message("is given by the facts file and computed from the database")
        raise InputError(InputProblem("FACTS", both[0], given[both[0]].value, rule))
    facts = {**computed, **given}
    evaluation = evaluate(rules, facts) if rules is not None else None
    snapshot = _stored_snapshot(session, facility, year, evaluation)
    refused = () if hourly else stored.hourly_refused
    missing = [Message("%(where)s: %(rule)s", where=p.where, rule=p.rule) for p in refused]
    organization = session.get(Organization, facility.organization_id)
    totals = inventory.result["totals"]
    measures = facility_measures(session, facility, year=year)
    done = [m for m in measures if m["status"] == "done"]
    open_ = [m for m in measures if m["status"] != "done"]

    def tco2(rows: list[dict[str, Any]]) -> float:
        return math.fsum(m["emissions_saved_tco2_per_year"] or 0.0 for m in rows)

    renewable = dict(stored.lineage.get("renewable_electricity_share_pct", {}))
    share = stored.facts.get("renewable_electricity_share_pct")
    renewable["share_pct"] = share.value if share else None
    retirements = [
        r
        for r in ledger_entries(
            session,
            facility.organization_id,
            facility_id=facility.id,
            period=(date(year, 1, 1), date(year, 12, 31)),
        )
        if r["action"] == "retire" and r["facility"] == facility.code
    ]
    return ZeroCarbonData(
        facility_code=facility.code,
        facility_name=facility.name,
        organization_name=organization.name if organization else "",
        region=facility.region,
        industry_code=facility.industry_code,
        industry_name=facility.industry_name,
        boundary=facility.boundary,
        time_zone=facility.time_zone,
        year=year,
        generated_at=datetime.now(UTC),
        inventory={
            "id": inventory.id,
            "status": inventory.status,
            "result_sha256": inventory.result_sha256,
            "period_start": inventory.period_start.isoformat(),
            "period_end": inventory.period_end.isoformat(),
            "locked_at": inventory.locked_at,
            "engine_version": inventory.engine_version,
            "factor_sets": inventory.factor_sets,
        },
        totals={key: totals[key] for key in TOTALS},
        scope3=dict(totals["by_scope3_category_tco2e"]),
        scope_records=_scope_records(inventory),
        measures=measures,
        reductions={
            "measures": len(measures),
            "done": len(done),
            "done_tco2_per_year": tco2(done),
            "open_tco2_per_year": tco2(open_),
            "open_investment_cny": math.fsum(m["investment_cny"] or 0.0 for m in open_),
        },
        renewable=renewable,
        hourly=({k: v for k, v in hourly.as_dict().items() if k != "heat_map"} if hourly else None),
        hourly_source=hourly_from,
        hourly_meters=stored.matching.meters if hourly_from == "meters" else None,
        hourly_missing=missing,
        stored_evaluation=snapshot,
        holdings=asset_balances(session, facility.organization_id, facility.id),
        retirements=retirements,
        evaluation=evaluation,
        facts={name: {"value": f.value, "evidence": f.evidence} for name, f in facts.items()},
        lineage=stored.lineage,
        overview=facility_overview(session, facility, year),
    )
