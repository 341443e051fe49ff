"""Energy-saving measures in the store: found from the data, entered by users, listed ranked.

* :func:`find_measures` applies the rules of :mod:`lingtan.efficiency.measures` to a year of
  the facility's data and stores what they find (status ``found``; a re-run updates the
  figures and keeps the status):

  - **equipment renewal** (``renewal:<item>``): every register item below grade 1 with a
    replacement estimate (:func:`lingtan.services.efficiency.equipment_register`: the
    grade-1 threshold of its row, measured or nameplate basis, its replacement cost);
  - **standby load** (``standby:<node>``): every node the caller gives working hours for,
    from its own electricity meters' 15-minute intervals of the year
    (:func:`lingtan.efficiency.measures.standby_saving`);

* :func:`import_measures` stores the measures a user enters (a CSV file), all or nothing;
* :func:`change_status` moves a measure along the workflow (:data:`lingtan.efficiency.measures.
  TRANSITIONS`), with an audit entry;
* :func:`import_temperatures` stores a daily outdoor temperature series;
* :func:`facility_measures` lists a facility's measures with their yearly kWh, tce, tCO2,
  CNY and payback, ranked by payback — the function planning and the zero-carbon pathway read;
* :func:`measure_baseline` fits the baseline of a measure's node on its baseline period and
  gives the year's EnPI, CUSUM and avoided energy (ISO 50006, ISO 50015, IPMVP).
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import sqlalchemy as sa
from scipy import stats
from sqlalchemy.orm import Session

from lingtan.accounting.energy import StandardCoal
from lingtan.catalog import UnknownRegionError, resolve_region
from lingtan.efficiency import baseline as bl
from lingtan.efficiency.measures import (
    STATUSES,
    TRANSITIONS,
    measure_figures,
    parse_working_hours,
    rank_measures,
    read_measures_text,
    standby_saving,
)
from lingtan.errors import InputError, InputProblem, Problems, one_of, read_text_file
from lingtan.factors import FactorLibrary, shipped_library
from lingtan.i18n import N_, Message
from lingtan.imports.load import record_file_import
from lingtan.imports.text import file_sha256
from lingtan.metering.energy import MeterInfo, carbon_factor, tce_coefficient
from lingtan.metering.store import stored_intervals
from lingtan.services.efficiency import equipment_register
from lingtan.store import audit
from lingtan.store.evidence import EvidenceStore
from lingtan.store.models import (
    EfficiencyMeasure,
    Facility,
    Meter,
    MeterNode,
    NodeDay,
    OutdoorTemperature,
    utc_now,
)
from lingtan.units import UnitError, conversion_factor

__all__ = [
    "MeasureImport",
    "change_status",
    "facility_measures",
    "find_measures",
    "import_measures",
    "import_temperatures",
    "measure_baseline",
    "node_daily_kwh",
]

#: What a replacement estimate was computed from, in words.
_ESTIMATE_BASIS = {
    "measured": Message(N_("the energy of its own meter")),
    "nameplate": Message(N_("the nameplate × hours × load")),
}
_FIELDS = (
    "kind", "title", "status", "energy_type", "saved_per_year", "unit", "investment_cny",
    "cost_saved_cny_per_year", "basis", "done_on", "baseline_start", "baseline_end",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class MeasureImport:
    """What an import did: rows read, measures added, changed, unchanged; the batch."""

    facility: str
    read: int
    added: int
    changed: int
    unchanged: int
    batch_id: int | None


def _nodes(session: Session, facility: Facility) -> dict[str, int]:
    rows = session.execute(
        sa.select(MeterNode.code, MeterNode.id).where(MeterNode.facility_id == facility.id)
    ).all()
    return dict(rows)


def _state(m: EfficiencyMeasure, codes: dict[int, str]) -> dict[str, Any]:
    out = {f: getattr(m, f) for f in _FIELDS}
    for f in ("done_on", "baseline_start", "baseline_end"):
        out[f] = out[f].isoformat() if out[f] else None
    out["node"] = codes.get(m.node_id) if m.node_id else None
    out["equipment"] = m.equipment_code
    return out


def import_measures(
    session: Session,
    facility: Facility,
    path: str | Path,
    *,
    evidence: EvidenceStore,
    actor: str,
) -> MeasureImport:
    """Store the measures of a file (CSV, UTF-8) for ``facility``, all or nothing.

    Measures are matched by ``id``: added, changed or left alone; measures the file does not
    list stay (the rules' measures are never in a file). A file that changes anything is
    kept as evidence with an import batch and one audit entry (``efficiency_measure``).

    Raises
    ------
    InputError
        Every bad cell (file, row, column, value, rule), an unknown ``node`` included.
    """
    path = Path(path)
    where = path.name
    items = read_measures_text(read_text_file(path, where), where)
    nodes = _nodes(session, facility)
    codes = {v: k for k, v in nodes.items()}
    problems = Problems()
    for item in items:
        if item["node"] and item["node"] not in nodes:
            at = Message(N_("%(file)s row %(row)d"), file=where, row=item["row"])
            rule = Message(N_("no such node in the facility's metering tree"))
            problems.append(InputProblem(at, "node", item["node"], rule))
    if problems:
        raise InputError(problems, origin=where)
    stored = {
        m.code: m
        for m in session.scalars(
            sa.select(EfficiencyMeasure).where(EfficiencyMeasure.facility_id == facility.id)
        )
    }
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    added = changed = unchanged = 0
    for item in items:
        want = {f: item[f] for f in _FIELDS}
        for f in ("done_on", "baseline_start", "baseline_end"):
            want[f] = want[f].isoformat() if want[f] else None
        want["node"], want["equipment"] = item["node"], item["equipment"]
        row = stored.get(item["code"])
        if row is not None and _state(row, codes) == want:
            unchanged += 1
            continue
        if row is None:
            added += 1
        else:
            changed += 1
            before[item["code"]] = _state(row, codes)
        after[item["code"]] = want
    if not after:
        return MeasureImport(facility.code, len(items), 0, 0, unchanged, None)
    batch, kept = record_file_import(
        session,
        facility,
        path,
        where,
        rows_read=len(items),
        rows_added=added,
        actor=actor,
        evidence=evidence,
    )
    now = utc_now()
    for item in items:
        if item["code"] not in after:
            continue
        row = stored.get(item["code"])
        if row is None:
            row = EfficiencyMeasure(
                facility_id=facility.id, code=item["code"], origin="entered", created_at=now
            )
            session.add(row)
        for f in _FIELDS:
            setattr(row, f, item[f])
        row.node_id = nodes[item["node"]] if item["node"] else None
        row.equipment_code = item["equipment"]
        row.details = {"row": item["row"]}
        row.import_id, row.evidence_id, row.updated_at = batch.id, kept.id, now
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="import",
        entity="efficiency_measure",
        entity_key=str(facility.id),
        before={"measures": before} if before else None,
        after={"file": where, "sha256": batch.sha256, "import_batch": batch.id,
               "measures": after},
    )  # fmt: skip
    return MeasureImport(facility.code, len(items), added, changed, unchanged, batch.id)


def change_status(
    session: Session,
    facility: Facility,
    code: str,
    status: str,
    *,
    actor: str,
    done_on: date | None = None,
    reason: str = "",
) -> dict[str, Any]:
    """Change the status of ``facility``'s measure ``code`` to ``status``, one step of
    :data:`~lingtan.efficiency.measures.TRANSITIONS`; a found measure keeps its figures and
    basis (a re-run of the rules keeps the status). ``done`` needs ``done_on``; leaving
    ``done`` clears it. One audit entry (``efficiency_measure``, action ``status``) with the
    status and date before and after and the reason.

    Returns
    -------
    dict
        ``measure``, ``before`` and ``after`` (each ``status`` and ``done_on``), ``reason``.

    Raises
    ------
    InputError
        An unknown measure or status, a change the workflow does not allow, ``done`` without
        its date; nothing is written.
    """
    where = Message(N_("measure %(code)s of %(facility)s"), code=code, facility=facility.code)
    row = session.scalars(
        sa.select(EfficiencyMeasure).where(
            EfficiencyMeasure.facility_id == facility.id, EfficiencyMeasure.code == code
        )
    ).one_or_none()
    if row is None:
        rule = Message(N_("no such measure in the facility"))
        raise InputError(InputProblem(facility.code, "measure", code, rule))
    if status not in STATUSES:
        raise InputError(InputProblem(where, "status", status, one_of(STATUSES)))
    allowed = TRANSITIONS.get(row.status, ())
    if status not in allowed:
        rule = Message(
            N_("cannot go from %(before)s to %(after)s: from %(before)s only to %(allowed)s"),
            before=row.status,
            after=status,
            allowed=", ".join(allowed) or "—",
        )
        raise InputError(InputProblem(where, "status", status, rule))
    if status == "done" and done_on is None:
        rule = Message(N_("a done measure needs the date it was done"))
        raise InputError(InputProblem(where, "done_on", None, rule))
    before = {"status": row.status, "done_on": row.done_on.isoformat() if row.done_on else None}
    row.status = status
    row.done_on = done_on if status == "done" else None
    row.updated_at = utc_now()
    after = {"status": status, "done_on": row.done_on.isoformat() if row.done_on else None}
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="status",
        entity="efficiency_measure",
        entity_key=str(facility.id),
        before={"measure": code, **before},
        after={"measure": code, **after, "reason": reason},
    )
    return {"measure": code, "before": before, "after": after, "reason": reason}


def import_temperatures(
    session: Session, facility: Facility, path: str | Path, *, actor: str
) -> int:
    """Store a daily mean outdoor temperature file (``date,temperature_c``) for ``facility``,
    all or nothing; a day already stored takes the file's value. Returns the days written.

    Raises
    ------
    InputError
        A row without a date ``YYYY-MM-DD`` or a number in −90…60 °C, a day twice.
    """
    path = Path(path)
    where = path.name
    text = read_text_file(path, where)
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    header = [h.strip() for h in reader.fieldnames or []]
    reader.fieldnames = header
    problems = Problems()
    for column in ("date", "temperature_c"):
        if column not in header:
            problems.append(InputProblem(where, column, None, Message(N_("a required column"))))
    if problems:
        raise InputError(problems, origin=where)
    days: dict[date, float] = {}
    for number, row in enumerate(reader, start=2):
        at = Message(N_("%(file)s row %(row)d"), file=where, row=number)
        raw_day, raw_t = (row.get("date") or "").strip(), (row.get("temperature_c") or "").strip()
        try:
            day = date.fromisoformat(raw_day)
        except ValueError:
            problems.append(
                InputProblem(at, "date", raw_day, Message(N_("must be a date YYYY-MM-DD")))
            )
            continue
        try:
            value = float(raw_t)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or not -90.0 <= value <= 60.0:
            rule = Message(N_("must be a temperature in °C between -90 and 60"))
            problems.append(InputProblem(at, "temperature_c", raw_t, rule))
            continue
        if day in days:
            problems.append(InputProblem(at, "date", raw_day, Message(N_("a day twice"))))
            continue
        days[day] = value
    if problems:
        raise InputError(problems, origin=where)
    if days:
        session.execute(
            sa.delete(OutdoorTemperature).where(
                OutdoorTemperature.facility_id == facility.id,
                OutdoorTemperature.day.in_(list(days)),
            )
        )
        session.add_all(
            OutdoorTemperature(facility_id=facility.id, day=d, temperature_c=t, source=where)
            for d, t in sorted(days.items())
        )
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="import",
            entity="outdoor_temperature",
            entity_key=str(facility.id),
            after={"file": where, "sha256": file_sha256(path), "days": len(days),
                   "first": min(days).isoformat(), "last": max(days).isoformat()},
        )  # fmt: skip
    return len(days)


# --- coefficients ---------------------------------------------------------------------------


def _region(facility: Facility) -> str | None:
    try:
        return resolve_region(facility.region).code
    except UnknownRegionError:
        return None


def _coefficients(
    facility: Facility, year: int, energy_type: str, unit: str, library: FactorLibrary
) -> dict[str, Any]:
    """tce and tCO2 per unit of ``energy_type`` (the factor library's rows, as the meters)."""
    meter = MeterInfo("measure", energy_type, unit)
    coal = tce_coefficient(meter, StandardCoal.from_library(library))
    region = _region(facility)
    carbon = (
        carbon_factor(meter, region=region, year=year, library=library)
        if region is not None
        else None
    )
    return {
        "tce_per_unit": coal.value,
        "tco2_per_unit": carbon.value if carbon is not None else None,
        "tce": coal.as_dict(),
        "tco2": carbon.as_dict() if carbon is not None else None,
    }


# --- the rules ------------------------------------------------------------------------------


def _year_bounds(facility: Facility, year: int) -> tuple[datetime, datetime, ZoneInfo]:
    zone = ZoneInfo(facility.time_zone)
    start = datetime(year, 1, 1, tzinfo=zone).astimezone(UTC)
    end = datetime(year + 1, 1, 1, tzinfo=zone).astimezone(UTC)
    return start, end, zone


def _node_intervals(
    session: Session, facility: Facility, node_id: int, year: int
) -> tuple[np.ndarray, np.ndarray, list[str]] | None:
    """The summed electricity [kWh] of a node's own physical use meters per 15 minutes of
    ``year``, their local starts, and the meters; None without such a meter."""
    meters = session.scalars(
        sa.select(Meter).where(
            Meter.node_id == node_id,
            Meter.energy_type == "electricity",
            Meter.flow == "use",
            Meter.virtual_formula.is_(None),
        )
    ).all()
    if not meters:
        return None
    start, end, zone = _year_bounds(facility, year)
    total: np.ndarray | None = None
    starts = None
    for meter in meters:
        got = stored_intervals(session, facility.code, meter.code, start=start, end=end)
        energy = np.asarray(got.energy, float) * conversion_factor(meter.unit, "kWh")
        total = energy if total is None else total + energy
        starts = got.start
    assert starts is not None and total is not None
    offset = datetime(year, 7, 1, tzinfo=zone).utcoffset() or timedelta(0)
    local = starts + np.timedelta64(int(offset.total_seconds()), "s")
    return total, local, [m.code for m in meters]


def find_measures(
    session: Session,
    facility: Facility,
    year: int,
    *,
    working_hours: dict[str, str] | None = None,
    actor: str = "lingtan",
    library: FactorLibrary | None = None,
) -> list[str]:
    """Apply the rules to ``year`` and store what they find; returns the measures' codes.

    Parameters
    ----------
    working_hours : dict, optional
        Node code → working hours (``Mon-Fri 08:00-18:00; Sat 08:00-12:00``, local time) of
        the nodes whose standby load is to be judged. lingtan has no default: when the plant
        works is the user's knowledge.
    actor : str
        Who asked (the audit entry's actor).

    Raises
    ------
    InputError
        An unknown node or working hours that do not parse.
    """
    library = library or shipped_library()
    nodes = _nodes(session, facility)
    found: dict[str, dict[str, Any]] = {}
    register = equipment_register(session, facility, year=year, library=library, price=False)
    for item in register.items:
        estimate = item.get("estimate")
        if not estimate or not estimate.get("energy_saved_kwh_per_year"):
            continue
        if estimate["energy_saved_kwh_per_year"] <= 0:
            continue
        found[f"renewal:{item['id']}"] = {
            "kind": "equipment_renewal",
            "title": item["name"] or item["id"],
            "node_id": nodes.get(item["node"]) if item["node"] else None,
            "equipment_code": item["id"],
            "saved_per_year": estimate["energy_saved_kwh_per_year"],
            "investment_cny": estimate["investment_cny"],
            "basis": Message(
                N_(
                    "grade-1 replacement (%(standard)s: %(threshold)s → %(grade_1)s), "
                    "estimated from %(basis)s"
                ),
                standard=item["standard"],
                threshold=item["threshold"],
                grade_1=item["grade_1"],
                basis=_ESTIMATE_BASIS[estimate["basis"]],
            ),
            "details": {
                "level": item["level"],
                "estimate_basis": estimate["basis"],
                "measured_kwh_per_year": estimate["measured_kwh_per_year"],
            },
        }
    problems = Problems()
    for node, text in (working_hours or {}).items():
        if node not in nodes:
            rule = Message(N_("no such node in the facility's metering tree"))
            problems.append(InputProblem("working hours", "node", node, rule))
            continue
        hours = parse_working_hours(text, where=Message(N_("working hours of %(node)s"), node=node))
        got = _node_intervals(session, facility, nodes[node], year)
        if got is None:
            continue
        energy, local, meters = got
        standby = standby_saving(energy, hours.mask(local))
        if standby is None or standby.saved_kwh_per_year <= 0:
            continue
        found[f"standby:{node}"] = {
            "kind": "standby_load",
            "title": session.get(MeterNode, nodes[node]).name or node,
            "node_id": nodes[node],
            "equipment_code": None,
            "saved_per_year": standby.saved_kwh_per_year,
            "investment_cny": None,
            "basis": Message(
                N_(
                    "outside the working hours (%(hours)s) the node drew %(mean).1f kW on "
                    "average; the lowest it reached over a whole non-working block was "
                    "%(low).1f kW (meters %(meters)s, %(year)d)"
                ),
                hours=hours.text,
                mean=standby.mean_standby_kw,
                low=standby.lowest_kw,
                meters=", ".join(meters),
                year=year,
            ),
            "details": {"working_hours": hours.text, "meters": meters, **standby.as_dict()},
        }
    if problems:
        raise InputError(problems)
    stored = {
        m.code: m
        for m in session.scalars(
            sa.select(EfficiencyMeasure).where(EfficiencyMeasure.facility_id == facility.id)
        )
    }
    now = utc_now()
    if found:
        audit.record(
            session,
            actor=actor,
            action="find",
            entity="efficiency_measure",
            entity_key=str(facility.id),
            after={"year": year, "working_hours": dict(working_hours or {}),
                   "measures": {code: v["saved_per_year"] for code, v in sorted(found.items())}},
        )  # fmt: skip
    for code, values in found.items():
        row = stored.get(code)
        if row is None:
            row = EfficiencyMeasure(facility_id=facility.id, code=code, origin="found",
                                    status="found", created_at=now)  # fmt: skip
            session.add(row)
        row.kind, row.title = values["kind"], values["title"]
        row.node_id, row.equipment_code = values["node_id"], values["equipment_code"]
        row.energy_type, row.unit = "electricity", "kWh"
        row.saved_per_year = float(values["saved_per_year"])
        row.investment_cny = values["investment_cny"]
        row.cost_saved_cny_per_year = None
        row.basis = str(values["basis"])
        row.details = {**values["details"], "year": year,
                       "basis_message": values["basis"].as_dict()}  # fmt: skip
        row.updated_at = now
    session.flush()
    return sorted(found)


# --- the list -------------------------------------------------------------------------------


def _price(tariff: dict[str, Any], energy_type: str, unit: str) -> float | None:
    per_kwh = tariff.get("cny_per_kwh")
    if energy_type != "electricity" or per_kwh is None:
        return None
    try:
        return per_kwh * conversion_factor(unit, "kWh")
    except UnitError:
        return None


def facility_measures(
    session: Session,
    facility: Facility,
    *,
    year: int,
    tariff: dict[str, Any] | None = None,
    price: bool = True,
    library: FactorLibrary | None = None,
) -> list[dict[str, Any]]:
    """A facility's measures with their yearly figures, ranked by simple payback.

    Each: ``code``, ``kind``, ``title``, ``origin`` (``found`` | ``entered``), ``status``,
    ``node``, ``equipment``, ``energy_type``, ``saved_per_year`` in ``unit``, and
    ``energy_saved_tce_per_year`` [tce/a], ``emissions_saved_tco2_per_year`` [tCO2/a] (the
    factor library's coefficients of ``year``, location-based grid factor for electricity),
    ``cost_saved_cny_per_year`` [CNY/a] (the user's figure, else electricity at the mean price
    paid under the stored tariff), ``investment_cny``, ``payback_years``, ``basis``,
    ``done_on``, ``baseline_start``, ``baseline_end``, ``coefficients`` (the rows used).

    ``tariff`` is the register's (:attr:`EquipmentRegister.tariff`) when the caller has it;
    ``price=False`` leaves electricity unpriced (the tariff's cost calculation is skipped).

    References
    ----------
    GB/T 2589-2020 (standard coal); GB/T 32150-2015; the tariff of :mod:`lingtan.services.cost`.
    """
    library = library or shipped_library()
    rows = session.scalars(
        sa.select(EfficiencyMeasure).where(EfficiencyMeasure.facility_id == facility.id)
    ).all()
    if not rows:
        return []
    codes = {v: k for k, v in _nodes(session, facility).items()}
    if tariff is None:
        tariff = (
            equipment_register(session, facility, year=year, library=library).tariff
            if price
            else {"cny_per_kwh": None}
        )
    cache: dict[tuple[str, str], dict[str, Any]] = {}
    out = []
    for m in rows:
        key = (m.energy_type, m.unit)
        if key not in cache:
            cache[key] = _coefficients(facility, year, m.energy_type, m.unit, library)
        c = cache[key]
        figures = measure_figures(
            saved_per_year=m.saved_per_year,
            unit=m.unit,
            tce_per_unit=c["tce_per_unit"],
            tco2_per_unit=c["tco2_per_unit"],
            price_cny_per_unit=_price(tariff, m.energy_type, m.unit),
            cost_saved_cny_per_year=m.cost_saved_cny_per_year,
            investment_cny=m.investment_cny,
        )
        basis_message = (m.details or {}).get("basis_message")
        out.append(
            {
                "code": m.code,
                "kind": m.kind,
                "title": m.title,
                "origin": m.origin,
                "status": m.status,
                "node": codes.get(m.node_id) if m.node_id else None,
                "equipment": m.equipment_code,
                "energy_type": m.energy_type,
                **figures.as_dict(),
                "cost_basis": "entered" if m.cost_saved_cny_per_year is not None else "tariff",
                "basis": Message.stored(m.basis, basis_message),
                "done_on": m.done_on,
                "baseline_start": m.baseline_start,
                "baseline_end": m.baseline_end,
                "details": m.details,
                "coefficients": {"tce": c["tce"], "tco2": c["tco2"]},
            }
        )
    return list(rank_measures(out))


# --- the baseline of a measure --------------------------------------------------------------


def node_daily_kwh(
    session: Session, facility: Facility, node_id: int, start: date, end: date
) -> dict[date, float]:
    """A node's own electricity use per local day of ``[start, end]`` [kWh]."""
    rows = session.execute(
        sa.select(NodeDay.day, NodeDay.energy, NodeDay.unit, NodeDay.missing_intervals).where(
            NodeDay.facility_id == facility.id,
            NodeDay.node_id == node_id,
            NodeDay.energy_type == "electricity",
            NodeDay.flow == "use",
            NodeDay.day >= start,
            NodeDay.day <= end,
        )
    ).all()
    out: dict[date, float] = {}
    for day, energy, unit, missing in rows:
        if missing:
            continue  # a day with missing intervals is left out of the regression
        out[day] = out.get(day, 0.0) + energy * conversion_factor(unit, "kWh")
    return out


def _temperatures(
    session: Session, facility: Facility, start: date, end: date
) -> dict[date, float]:
    rows = session.execute(
        sa.select(OutdoorTemperature.day, OutdoorTemperature.temperature_c).where(
            OutdoorTemperature.facility_id == facility.id,
            OutdoorTemperature.day >= start,
            OutdoorTemperature.day <= end,
        )
    ).all()
    return dict(rows)


def _series(
    energy: dict[date, float], temperature: dict[date, float], start: date, end: date
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    days = np.arange(np.datetime64(start), np.datetime64(end) + 1, dtype="datetime64[D]")
    e = np.array([energy.get(d, np.nan) for d in days.astype(date)], float)
    t = np.array([temperature.get(d, np.nan) for d in days.astype(date)], float)
    return days, e, t


def measure_baseline(
    session: Session,
    facility: Facility,
    measure: dict[str, Any],
    *,
    year: int,
    confidence: float = 0.90,
) -> dict[str, Any]:
    """The baseline of a measure's node and the year's EnPI, CUSUM and avoided energy.

    The baseline is fitted (:func:`lingtan.efficiency.baseline.fit_baseline`, ``model="auto"``)
    on the node's own daily electricity of ``baseline_start … baseline_end`` and the stored
    outdoor temperature (without temperatures: refused, the node has no other relevant
    variable in the store); the reporting period is ``year`` from the day after ``done_on``.
    The band is the baseline's prediction ± ``t · RMSE`` (Student's t at ``confidence``,
    two-sided, ``n − p`` degrees of freedom; RMSE = CV(RMSE) × mean energy, ASHRAE
    Guideline 14): a day outside it is outside what the baseline explains.

    Returns
    -------
    dict
        ``valid`` (False with ``reason`` when no baseline could be made), ``baseline``
        (:meth:`Baseline.as_dict`), ``days``, ``actual_kwh``, ``expected_kwh``, ``band_kwh``,
        ``cusum_kwh``, ``savings_kwh``, ``savings_fraction``, ``enpi``,
        ``uncertainty_kwh``, ``confidence``.
    """
    start, end = measure["baseline_start"], measure["baseline_end"]
    node_id = _nodes(session, facility)[measure["node"]]
    first = date(year, 1, 1)
    if measure.get("done_on") and measure["done_on"] >= first:
        first = measure["done_on"] + timedelta(days=1)
    last = date(year, 12, 31)
    out: dict[str, Any] = {"code": measure["code"], "node": measure["node"], "year": year,
                           "baseline_start": start, "baseline_end": end,
                           "reporting_start": first, "reporting_end": last,
                           "confidence": confidence, "valid": False}  # fmt: skip
    try:
        b_days, b_e, b_t = _series(
            node_daily_kwh(session, facility, node_id, start, end),
            _temperatures(session, facility, start, end),
            start,
            end,
        )
        if np.isnan(b_t).all():
            raise bl.BaselineError(
                [Message(N_("no outdoor temperature is stored for the baseline period"))]
            )
        base = bl.fit_baseline(days=b_days, energy=b_e, temperature_c=b_t, model="auto")
        r_days, r_e, r_t = _series(
            node_daily_kwh(session, facility, node_id, first, last),
            _temperatures(session, facility, first, last),
            first,
            last,
        )
        keep = ~np.isnan(r_e) & ~np.isnan(r_t)
        if keep.sum() < 2:
            raise bl.BaselineError([Message(N_("the year has no metered days with temperatures"))])
        saved = bl.avoided_energy(
            base, days=r_days[keep], energy=r_e[keep], temperature_c=r_t[keep],
            confidence=confidence,
        )  # fmt: skip
    except bl.BaselineError as error:
        out["reason"] = error.message
        return out
    rmse = base.cv_rmse_pct / 100.0 * base.mean_energy
    t = float(stats.t.ppf(0.5 + confidence / 2.0, base.n - base.parameters))
    out.update(
        {
            "valid": True,
            "baseline": base.as_dict(),
            "days": [str(d) for d in saved.period_starts],
            "actual_kwh": saved.actual.tolist(),
            "expected_kwh": saved.expected.tolist(),
            "band_kwh": t * rmse,
            "cusum_kwh": saved.cusum.tolist(),
            "savings_kwh": saved.savings,
            "savings_fraction": saved.savings_fraction,
            "enpi": saved.enpi,
            "uncertainty_kwh": saved.uncertainty,
            "uncertainty_fraction": saved.uncertainty_fraction,
        }
    )
    return out
