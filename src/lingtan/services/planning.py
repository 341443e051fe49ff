"""Plans in the store: a problem's load read from the metering tree, and plans stored with
their inputs (``lingtan plan size --store``, ``plan list``, ``plan show``, ``plan check``, the
planning page).

The load of a node (``load: {node: CODE, year: 2025}``) is its electricity total as the
metering tree sums it (:meth:`lingtan.metering.energy_store.FacilityEnergy.node_meters`: its own
meters, or its children's), each physical meter's checked 15-minute intervals
(:func:`lingtan.metering.store.stored_intervals`) combined by the coefficients of the virtual
meters (:func:`lingtan.metering.energy.combine_intervals`) and summed per local hour by
:func:`lingtan.metering.intervals.rollup` (or kept at 15 minutes). A node's PV output
(``pv.meter_node``) is the same of its own generation meters. An interval without energy
(missing, spike, negative) refuses the series, naming the first gap; estimated intervals are
used and reported.

A stored plan (``plan`` table) is immutable: the problem file's text, the SHA-256 of every
file it named and of the load series, the grid section (the tariff), the result (the JSON of
``plan size``), the charts' series, the solver's and lingtan's versions, who and when.
:func:`check_plan` solves the stored text again and compares the objective.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from lingtan.errors import InputError, InputProblem
from lingtan.i18n import Message
from lingtan.imports.load import facility_by_code
from lingtan.metering.energy import combine_intervals
from lingtan.metering.energy_store import load_energy
from lingtan.metering.intervals import MeterIntervals, Quality, rollup
from lingtan.metering.store import ROLLUP_UTC_OFFSET_MIN, local_midnight, stored_intervals
from lingtan.planning.problem import MeteredSeries, Plan, read_problem_file
from lingtan.planning.summary import dispatch_series
from lingtan.store import audit
from lingtan.store.models import Facility, StoredPlan
from lingtan.units import conversion_factor
from lingtan.yamlinput import parse_yaml

__all__ = [
    "PlanCheck",
    "check_plan",
    "list_plans",
    "metered_reader",
    "node_series",
    "plan_document",
    "read_plan",
    "store_plan",
    "stored_plan",
]

_NO_ENERGY = (Quality.MISSING, Quality.SPIKE, Quality.NEGATIVE)


def node_series(
    session: Session,
    *,
    field: str,
    node: str,
    facility: str | None,
    year: int,
    step_minutes: int,
    kind: str,
) -> MeteredSeries:
    """The electricity of *node* per step over the local year *year* [kWh per step]:
    ``kind`` ``load`` its total, ``generation`` its own generation meters.

    Raises
    ------
    InputError
        Naming *field*: an unknown node, a node without such meters, a year that is not of
        365 days, or intervals without energy (the first gap and their number).
    """
    site = facility_by_code(session, facility)
    start, end = date(year, 1, 1), date(year + 1, 1, 1)
    where = Message("facility %(code)s", code=site.code)
    if (end - start).days != 365:
        rule = Message("a year of 365 days expected (the weather year and the LP's)")
        raise InputError(InputProblem(where, "load.year", year, rule))
    energy = load_energy(session, site.code, start, end, refresh=False)
    if node not in energy.nodes:
        known = ", ".join(sorted(energy.nodes)) or "-"
        rule = Message("not a node of the metering tree (known: %(nodes)s)", nodes=known)
        raise InputError(InputProblem(where, field, node, rule))
    coefs = energy.node_meters(node, "electricity", kind)
    if not coefs:
        rule = (
            Message("the node has no electricity meters")
            if kind == "load"
            else Message("the node has no electricity generation meters")
        )
        raise InputError(InputProblem(where, field, node, rule))
    span = {"start": local_midnight(start), "end": local_midnight(end)}
    series = {code: stored_intervals(session, site.code, code, **span) for code in coefs}
    first = next(iter(series.values()))
    values, estimated_kwh, quality = combine_intervals(
        coefs,
        {c: s.energy * conversion_factor(s.unit, "kWh") for c, s in series.items()},
        {c: s.quality for c, s in series.items()},
        Quality.ESTIMATED,
    )
    combined = MeterIntervals(node, "kWh", first.start, values, quality)
    gaps = np.isin(quality, [int(q) for q in _NO_ENERGY])
    if gaps.all():
        rule = Message("no meter data in %(year)d", year=year)
        raise InputError(InputProblem(where, field, node, rule))
    if gaps.any():
        at = int(np.argmax(gaps))
        rule = Message(
            "the series is incomplete: %(missing)d of %(intervals)d intervals have no energy, "
            "the first at %(time)s UTC (%(quality)s); fill the gaps (lingtan meters) or choose "
            "another year",
            missing=int(gaps.sum()),
            intervals=gaps.size,
            time=str(first.start[at]),
            quality=Quality(int(quality[at])).label,
        )
        raise InputError(InputProblem(where, field, node, rule))
    if step_minutes == 60:
        hours = rollup(combined, "hour", utc_offset_min=ROLLUP_UTC_OFFSET_MIN)
        starts, kwh = hours.start_utc, hours.energy
    else:
        starts, kwh = combined.start, combined.energy
    report = {
        "source": f"{site.code} node {node} {year} ({kind}, {step_minutes} min)",
        "facility": site.code,
        "node": node,
        "year": year,
        "kind": kind,
        "step_minutes": step_minutes,
        "meters": dict(sorted(coefs.items())),
        "intervals": int(quality.size),
        "estimated_intervals": int(np.count_nonzero(quality == Quality.ESTIMATED)),
        "estimated_kwh": float(estimated_kwh.sum()),
        "energy_kwh": float(values.sum()),
    }
    return MeteredSeries(np.asarray(starts), step_minutes / 60, np.asarray(kwh, float), report)


def metered_reader(session: Session, facility: str | None = None, where: str = ""):
    """The reader of :func:`lingtan.planning.problem.read_problem_file` on *session*; with
    *facility*, a series of another facility is refused (naming *where*, the file) and one
    that names none is *facility*'s."""

    def read(**keywords: Any) -> MeteredSeries:
        if facility is not None:
            asked = keywords.get("facility")
            if asked not in (None, facility):
                rule = Message("is another facility than the page's (%(code)s)", code=facility)
                raise InputError(InputProblem(where, "load.facility", asked, rule))
            keywords["facility"] = facility
        return node_series(session, **keywords)

    return read


def read_plan(
    session: Session | None,
    path: str | Path,
    text: str | None = None,
    *,
    facility: str | None = None,
) -> Plan:
    """Read a problem file, its nodes' series from *session* (None: no database); with
    *facility*, only that facility's (see :func:`metered_reader`)."""
    where = Path(path).name
    reader = None if session is None else metered_reader(session, facility, where)
    return read_problem_file(path, metered=reader, text=text)


def _versions() -> dict[str, str]:
    from importlib.metadata import version

    import lingtan

    return {
        "lingtan_version": lingtan.__version__,
        "solver": f"HiGHS {version('highspy')}, linopy {version('linopy')}",
    }


def store_plan(
    session: Session,
    *,
    plan: Plan,
    result: Any,
    text: str,
    actor: str,
    name: str | None = None,
    label: str = "",
    facility: Facility | None = None,
    problem_file: str | None = None,
) -> StoredPlan:
    """Store a solved plan with its inputs (one audit entry); returns the stored row.

    *text* is the problem file's text; *label* says what the figures are (e.g. the demo's
    ``illustrative`` costs). The facility is *facility* when given (the planning page's),
    else the one of a load from the metering tree, else the only facility of the store (None
    when there is none or several). *problem_file* names where the text came from (default:
    the file's absolute path; the page's ``upload:NAME``).
    """
    if facility is None and "load" in plan.metered:
        facility = facility_by_code(session, plan.metered["load"]["facility"])
    elif facility is None:
        sites = session.scalars(sa.select(Facility).limit(2)).all()
        facility = sites[0] if len(sites) == 1 else None
    data = parse_yaml(text, Path(plan.origin).name)
    result_json = {"name": plan.name, "file": plan.origin, "sources": plan.sources,
                   **result.as_dict()}  # fmt: skip
    row = StoredPlan(
        facility_id=facility.id if facility is not None else None,
        name=name or plan.name,
        label=label,
        problem_file=problem_file or str(Path(plan.origin).resolve()),
        problem_text=text,
        inputs=dict(plan.inputs),
        tariff=data.get("grid") or {},
        metered=dict(plan.metered),
        result=result_json,
        series=dispatch_series(
            starts=plan.starts,
            step_h=plan.problem.step_h,
            dispatch=result.dispatch,
            time_zone=plan.time_zone,
        ),
        **_versions(),
        created_by=actor,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="create",
        entity="plan",
        entity_key=str(row.id),
        after={
            "name": row.name,
            "problem_file": row.problem_file,
            "inputs": row.inputs,
            "objective_cny_per_year": result.objective_cny_per_year,
        },
    )
    return row


def list_plans(session: Session, facility: Facility | None = None) -> list[StoredPlan]:
    """The stored plans, newest first (of *facility* when given)."""
    query = sa.select(StoredPlan).order_by(StoredPlan.id.desc())
    if facility is not None:
        query = query.where(StoredPlan.facility_id == facility.id)
    return list(session.scalars(query))


def stored_plan(session: Session, plan_id: int) -> StoredPlan:
    """The stored plan *plan_id*, or an :class:`InputError`."""
    row = session.get(StoredPlan, plan_id)
    if row is None:
        raise InputError(InputProblem("plan", "id", plan_id, Message("no such plan")))
    return row


def plan_document(row: StoredPlan) -> dict[str, Any]:
    """A stored plan as ``lingtan plan show --format json`` prints it (and the page shows)."""
    return {
        "id": row.id,
        "name": row.name,
        "label": row.label,
        "facility": row.facility.code if row.facility is not None else None,
        "created_at": row.created_at.isoformat(timespec="seconds"),
        "created_by": row.created_by,
        "lingtan_version": row.lingtan_version,
        "solver": row.solver,
        "problem_file": row.problem_file,
        "inputs": row.inputs,
        "tariff": row.tariff,
        "metered": row.metered,
        "result": row.result,
        "problem_text": row.problem_text,
    }


@dataclass(frozen=True)
class PlanCheck:
    """Solving a stored plan's inputs again: the objectives and which inputs changed."""

    plan_id: int
    stored_cny_per_year: float
    solved_cny_per_year: float
    changed_inputs: list[str]

    @property
    def relative_difference(self) -> float:
        scale = max(abs(self.stored_cny_per_year), 1.0)
        return abs(self.solved_cny_per_year - self.stored_cny_per_year) / scale

    def as_dict(self) -> dict[str, Any]:
        return {
            "plan": self.plan_id,
            "stored_objective_cny_per_year": self.stored_cny_per_year,
            "solved_objective_cny_per_year": self.solved_cny_per_year,
            "relative_difference": self.relative_difference,
            "changed_inputs": self.changed_inputs,
        }


def check_plan(session: Session, plan_id: int) -> PlanCheck:
    """Read the stored problem text again (its files from the folder it was stored from, its
    nodes' series from the store), compare the inputs' SHA-256 and solve it again."""
    from lingtan.planning.sizing import solve_sizing

    row = stored_plan(session, plan_id)
    plan = read_plan(session, row.problem_file, text=row.problem_text)
    changed = sorted(
        key
        for key in set(row.inputs) | set(plan.inputs)
        if row.inputs.get(key) != plan.inputs.get(key)
    )
    result = solve_sizing(plan.problem)
    return PlanCheck(
        row.id, float(row.result["objective_cny_per_year"]), result.objective_cny_per_year, changed
    )
