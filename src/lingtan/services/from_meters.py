"""Activity records produced from meters, with their lineage to the meters and intervals.

:func:`activity_from_meters` sums the checked 15-minute intervals of one or more stored meters
(each with a sign, e.g. ``E-MAIN`` minus ``E-EXPORT``; a virtual meter counts as the physical
meters of its formula) over local calendar periods and writes
one :class:`~lingtan.store.models.ActivityRecord` per period with ``origin="meter"``. Each
record keeps

* one :class:`~lingtan.store.models.ActivityMeter` row per physical meter: sign (the weight
  in the sum: a formula's coefficient for the meters of a virtual meter), UTC span, energy,
  estimated energy and missing intervals;
* an evidence file: a CSV of every 15-minute interval used (meter, start in UTC and local
  time, energy, quality flag, contribution to the record), stored by content like the files of
  an import, so a verifier can add the intervals up to the record. Its figures have 9
  significant digits: a register difference such as 104523.0 - 104522.6 = 0.39999999999417923
  carries noise of binary floating point far below a meter's resolution (1 Wh in 100 MWh);
  the quantity is the sum of the unrounded figures to 12 significant digits;
* a quality note stating the measured and estimated shares and the missing intervals.

The rules are those of an import (:mod:`lingtan.imports.load`): all or nothing in the caller's
transaction, idempotent (the same result again writes nothing), a different result for a stored
(source, period) refused as a conflict naming both (correct it with ``lingtan activity
correct``), one audit entry per run.

Completeness
    A period is refused when a meter has ``missing`` (or rejected ``spike``/``negative``)
    intervals beyond ``max_missing_share`` (default 0: every interval must be known). Missing
    intervals that are allowed add nothing to the quantity; the quality note says how many.
    ``estimated`` intervals (short gaps, see :mod:`lingtan.metering.intervals`) are refused
    unless ``allow_estimated``; when allowed their energy counts and its share is stated.

Time
    Periods are local calendar days ``[first, last]`` (inclusive, as activity records are);
    local time is UTC+08:00 by default (``utc_offset_min``), so a month runs from 16:00 UTC of
    the day before its first day.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from lingtan.errors import InputError, InputProblem
from lingtan.i18n import Message
from lingtan.imports.load import _overlaps, facility_by_code
from lingtan.metering.energy import MeterInfo, expand_virtual
from lingtan.metering.intervals import METERED_NOTE, Quality
from lingtan.metering.store import local_midnight, local_time, stored_intervals, utc_offset_text
from lingtan.store import audit
from lingtan.store.evidence import EvidenceStore
from lingtan.store.models import ActivityMeter, ActivityRecord, Facility, Meter, Source
from lingtan.units import UnitError, conversion_factor

__all__ = ["MeteredRecord", "activity_from_meters", "meter_lineage", "months"]

#: The unit the engine converts each kind's quantity to: the default unit of a source of this
#: kind that has no records yet, and the dimension a meter must have for it.
KIND_UNITS = {
    "purchased_electricity": "MWh",
    "exported_electricity": "MWh",
    "purchased_heat": "GJ",
    "exported_heat": "GJ",
}

_CSV_COLUMNS = (
    "meter",
    "sign",
    "interval_start_utc",
    "interval_start_local",
    "energy",
    "meter_unit",
    "quality",
    "contribution",
    "record_unit",
)


@dataclass(frozen=True)
class MeteredRecord:
    """What :func:`activity_from_meters` did for one period.

    ``status`` is ``added`` or ``unchanged``; ``quantity`` is in ``unit``.
    """

    source: str
    period_start: date
    period_end: date
    quantity: float
    unit: str
    quality_note: str
    evidence_sha256: str
    status: str


@dataclass(frozen=True)
class _MeterPart:
    """One meter's intervals over one period."""

    meter: Meter
    sign: float
    start_ts: int
    end_ts: int
    energy: float  # known energy [meter unit]
    estimated: float  # its estimated part [meter unit]
    intervals: int
    estimated_intervals: int
    missing_intervals: int


@dataclass(frozen=True)
class _Result:
    start: date
    end: date
    quantity: float
    note: str
    csv: bytes
    sha256: str
    parts: list[_MeterPart]


#: Where a problem of the options of a run from the meters is.
_FROM_METERS = Message("from meters")


def months(year: int, month: int | None = None) -> list[tuple[date, date]]:
    """The calendar months of ``year`` (or only ``month``) as ``(first day, last day)``."""
    chosen = range(1, 13) if month is None else [month]
    out = []
    for m in chosen:
        first = date(year, m, 1)
        following = date(year + 1, 1, 1) if m == 12 else date(year, m + 1, 1)
        out.append((first, following - timedelta(days=1)))
    return out


def _target_unit(
    session: Session, source: Source, unit: str | None, problems: list[InputProblem]
) -> str | None:
    """The unit of the records: given, else the latest stored record's, else the kind's."""
    if unit is None:
        unit = session.scalar(
            select(ActivityRecord.unit)
            .where(ActivityRecord.source_id == source.id)
            .order_by(ActivityRecord.period_start.desc())
            .limit(1)
        ) or KIND_UNITS.get(source.kind)
    if unit is None:
        problems.append(
            InputProblem(
                Message("source %(id)s", id=source.code),
                "unit",
                None,
                Message(
                    "a %(kind)s source without records has no unit to take: give the unit",
                    kind=source.kind,
                ),
            )
        )
        return None
    try:
        if source.kind in KIND_UNITS:
            conversion_factor(unit, KIND_UNITS[source.kind])
        else:
            conversion_factor(unit, unit)  # checks that it is a unit at all
    except UnitError as exc:
        problems.append(
            InputProblem(Message("source %(id)s", id=source.code), "unit", unit, exc.message)
        )
        return None
    return unit


def _meters(
    session: Session,
    facility: Facility,
    source: Source,
    meters: Sequence[tuple[str, float]],
    unit: str | None,
    problems: list[InputProblem],
) -> tuple[list[tuple[Meter, float, float]], list[str]]:
    """The physical meters of the sum as ``(meter, weight, factor to the record unit)``, and
    the virtual meters named, as ``code = formula``.

    A virtual meter stands for the physical meters of its formula
    (:func:`lingtan.metering.energy.expand_virtual`); its coefficients times the named sign
    are the weights. A physical meter that enters more than once has its weights added.
    """
    if not meters:
        problems.append(
            InputProblem(
                Message("source %(id)s", id=source.code), "meter", None, Message("name a meter")
            )
        )
    known = {
        m.code: m for m in session.scalars(select(Meter).where(Meter.facility_id == facility.id))
    }
    expanded: dict[str, dict[str, float]] = {}
    if any(known[code].virtual_formula for code, _ in meters if code in known):
        try:
            expanded = expand_virtual(
                {
                    m.code: MeterInfo(m.code, m.energy_type, m.unit, formula=m.virtual_formula)
                    for m in known.values()
                }
            )
        except InputError as error:
            problems += error.problems
            return [], []
    weights: dict[str, float] = {}
    via, seen = [], set()
    for code, sign in meters:
        where = Message("meter %(code)s", code=code)
        meter = known.get(code)
        if code in seen:
            problems.append(InputProblem(where, "meter", code, Message("is named twice")))
            continue
        seen.add(code)
        if sign not in (1, -1):
            problems.append(InputProblem(where, "sign", sign, Message("must be +1 or -1")))
            continue
        if meter is None:
            problems.append(
                InputProblem(
                    where,
                    "meter",
                    code,
                    Message("no such meter in facility %(code)s", code=facility.code),
                )
            )
            continue
        if unit is None:
            continue
        try:
            factor = conversion_factor(meter.unit, unit)
        except UnitError as exc:
            problems.append(
                InputProblem(
                    where,
                    "unit",
                    meter.unit,
                    Message(
                        "cannot give the quantity of %(kind)s source %(id)s in %(unit)s: "
                        "%(reason)s",
                        kind=source.kind,
                        id=source.code,
                        unit=unit,
                        reason=exc.message,
                    ),
                )
            )
            continue
        if meter.virtual_formula:
            via.append(f"{code} = {meter.virtual_formula}")
            terms = expanded[code].items()
        else:
            terms = [(code, 1.0)]
        for physical, coefficient in terms:
            # coefficient: [virtual meter unit / physical meter unit]; weight: [-]
            weight = sign * coefficient * factor / conversion_factor(known[physical].unit, unit)
            weights[physical] = weights.get(physical, 0.0) + weight
    chosen = [
        (known[code], _significant(weight), conversion_factor(known[code].unit, unit))
        for code, weight in weights.items()
        if unit is not None and weight != 0
    ]
    return chosen, via


def _first_gap(quality: np.ndarray, starts: np.ndarray, utc_offset_min: int) -> Message:
    """The first run of intervals without energy: where it starts, how long, which flag."""
    bad = quality >= Quality.MISSING
    first = int(np.argmax(bad))
    stop = first + 1
    while stop < bad.size and bad[stop]:
        stop += 1
    flags = sorted({Quality(int(q)).label for q in quality[first:stop]})
    start_ts = int(starts[first].astype(np.int64))
    return Message(
        "%(at)s %(offset)s, %(n)d interval(s) %(quality)s",
        at=local_time(start_ts, utc_offset_min),
        offset=utc_offset_text(utc_offset_min),
        n=stop - first,
        quality="/".join(flags),
    )


def _period_result(
    session: Session,
    facility: Facility,
    source: Source,
    chosen: list[tuple[Meter, float, float]],
    first: date,
    last: date,
    unit: str,
    *,
    via: list[str],
    allow_estimated: bool,
    max_missing_share: float,
    utc_offset_min: int,
    problems: list[InputProblem],
) -> _Result | None:
    start_ts, end_ts = (
        local_midnight(first, utc_offset_min),
        local_midnight(last + timedelta(days=1), utc_offset_min),
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(_CSV_COLUMNS)
    parts, contributions, refused = [], [], False
    for meter, sign, factor in chosen:
        where = Message(
            "meter %(code)s %(first)s..%(last)s", code=meter.code, first=str(first), last=str(last)
        )
        found = stored_intervals(session, facility.code, meter.code, start=start_ts, end=end_ts)
        quality = found.quality
        known = np.isfinite(found.energy)
        missing = int(np.count_nonzero(~known))
        estimated_n = int(np.count_nonzero(quality == Quality.ESTIMATED))
        if missing > max_missing_share * quality.size:
            refused = True
            problems.append(
                InputProblem(
                    where,
                    "missing_intervals",
                    missing,
                    Message(
                        "%(missing)d of %(size)d intervals have no energy (%(share)s %%, at most "
                        "%(allowed)s %% allowed, --max-missing-share); first gap %(gap)s",
                        missing=missing,
                        size=quality.size,
                        share=f"{100 * missing / quality.size:.3g}",
                        allowed=f"{100 * max_missing_share:.3g}",
                        gap=_first_gap(quality, found.start, utc_offset_min),
                    ),
                )
            )
        if estimated_n and not allow_estimated:
            refused = True
            at = int(found.start[int(np.argmax(quality == Quality.ESTIMATED))].astype(np.int64))
            problems.append(
                InputProblem(
                    where,
                    "estimated_intervals",
                    estimated_n,
                    Message(
                        "%(n)d interval(s) estimated across short gaps, the first at %(at)s "
                        "%(offset)s: count them with --allow-estimated (stated in the quality "
                        "note)",
                        n=estimated_n,
                        at=local_time(at, utc_offset_min),
                        offset=utc_offset_text(utc_offset_min),
                    ),
                )
            )
        energy = found.energy
        estimated = math.fsum(energy[quality == Quality.ESTIMATED])
        parts.append(
            _MeterPart(
                meter, sign, start_ts, end_ts, _significant(math.fsum(energy[known])),
                _significant(estimated),
                int(quality.size), estimated_n, missing,
            )
        )  # fmt: skip
        for ts, value, flag in zip(
            found.start.astype(np.int64).tolist(), energy.tolist(), quality.tolist(), strict=True
        ):
            contribution = sign * value * factor if math.isfinite(value) else None
            if contribution is not None:
                contributions.append(contribution)
            writer.writerow(
                [
                    meter.code,
                    f"{sign:+g}",
                    datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    f"{local_time(ts, utc_offset_min)}{utc_offset_text(utc_offset_min)}",
                    "" if contribution is None else f"{value:.9g}",
                    meter.unit,
                    Quality(flag).label,
                    "" if contribution is None else f"{contribution:.9g}",
                    unit,
                ]
            )
    if refused:
        return None
    quantity = _significant(math.fsum(contributions))
    if quantity < 0:
        problems.append(
            InputProblem(
                Message(
                    "source %(id)s %(first)s..%(last)s",
                    id=source.code,
                    first=str(first),
                    last=str(last),
                ),
                "quantity",
                quantity,
                Message(
                    "the signed sum of the meters is negative [%(unit)s]: check the signs",
                    unit=unit,
                ),
            )
        )
        return None
    content = buffer.getvalue().encode("utf-8")
    return _Result(
        first,
        last,
        quantity,
        _note(parts, via),
        content,
        hashlib.sha256(content).hexdigest(),
        parts,
    )


def _significant(value: float) -> float:
    """``value`` to 12 significant digits: sums of register differences carry binary
    floating-point noise far below any meter's resolution."""
    return float(f"{value:.12g}")


def _note(parts: list[_MeterPart], via: list[str]) -> Message:
    """The quality note of a metered record: meters (and the virtual meters they stand for),
    measured and estimated shares, gaps."""
    total = math.fsum(abs(p.energy) for p in parts)
    estimated = math.fsum(abs(p.estimated) for p in parts)
    share = 100 * estimated / total if total else 0.0
    meters = ", ".join(f"{p.meter.code} ({p.sign:+g})" for p in parts)
    if via:
        meters += f" [{'; '.join(via)}]"
    intervals = sum(p.intervals for p in parts)
    missing = sum(p.missing_intervals for p in parts)
    estimated_n = sum(p.estimated_intervals for p in parts)
    return Message(
        METERED_NOTE,
        meters=meters,
        intervals=str(intervals),
        measured=str(intervals - estimated_n - missing),
        estimated=str(estimated_n),
        missing=str(missing),
        measured_pct=f"{100 - share:.4g}",
        estimated_pct=f"{share:.4g}",
    )


def activity_from_meters(
    session: Session,
    facility_code: str | None,
    source_code: str,
    meters: Sequence[tuple[str, float]],
    periods: Sequence[tuple[date, date]],
    *,
    evidence: EvidenceStore,
    actor: str,
    allow_estimated: bool = False,
    max_missing_share: float = 0.0,
    unit: str | None = None,
    utc_offset_min: int = 480,
) -> list[MeteredRecord]:
    """Write the activity records of a source from its meters (see the module documentation).

    Parameters
    ----------
    session
        An open session; nothing is committed here.
    facility_code
        The facility (None: the only one).
    source_code
        The emission source whose records are produced.
    meters
        ``(meter code, sign)`` with sign +1 or -1: quantity = Σ sign × meter energy. A virtual
        meter stands for the physical meters of its formula.
    periods
        ``(first day, last day)`` in local time, inclusive; e.g. :func:`months`.
    evidence
        Where the interval CSV files are stored.
    actor
        Who runs it, for the audit log.
    allow_estimated
        Count ``estimated`` intervals (otherwise a period with one is refused).
    max_missing_share
        Largest share of a meter's intervals in a period that may lack energy [-], in [0, 1).
    unit
        Unit of the records; default the unit of the source's latest record, else the unit the
        engine uses for the kind (MWh for electricity, GJ for heat).
    utc_offset_min
        Local time minus UTC [min]; 480 = +08:00.

    Returns
    -------
    list of MeteredRecord
        One per period, in the order given.

    Raises
    ------
    InputError
        Naming every problem: unknown source or meter, virtual meter, wrong unit, incomplete
        periods, conflicts and overlaps with stored records. Nothing is written then.
    """
    if not 0 <= max_missing_share < 1:
        raise InputError(
            InputProblem(_FROM_METERS, "max_missing_share", max_missing_share, Message("in [0, 1)"))
        )
    facility = facility_by_code(session, facility_code)
    source = session.scalars(
        select(Source).where(Source.facility_id == facility.id, Source.code == source_code)
    ).first()
    if source is None:
        raise InputError(
            InputProblem(
                Message("facility %(code)s", code=facility.code),
                "source",
                source_code,
                Message("no such source"),
            )
        )
    problems: list[InputProblem] = []
    for first, last in periods:
        if last < first:
            problems.append(
                InputProblem(_FROM_METERS, "period", f"{first}..{last}", Message("ends first"))
            )
    target = _target_unit(session, source, unit, problems)
    chosen, via = _meters(session, facility, source, meters, target, problems)
    if problems:
        raise InputError(problems)
    assert target is not None
    results = [
        _period_result(
            session, facility, source, chosen, first, last, target,
            via=via, allow_estimated=allow_estimated, max_missing_share=max_missing_share,
            utc_offset_min=utc_offset_min, problems=problems,
        )
        for first, last in periods
    ]  # fmt: skip
    if problems:
        raise InputError(problems)
    done = [r for r in results if r is not None]
    stored = {
        (r.period_start, r.period_end): r
        for r in session.scalars(
            select(ActivityRecord).where(ActivityRecord.source_id == source.id)
        )
    }
    new = _compare(source, stored, done, target, problems)
    if problems:
        raise InputError(problems)
    added_starts = {r.start for r in new}
    outcome = [
        MeteredRecord(
            source.code, r.start, r.end, r.quantity, target, r.note, r.sha256,
            "added" if r.start in added_starts else "unchanged",
        )
        for r in done
    ]  # fmt: skip
    if not new:
        return outcome
    added = []
    for result in new:
        record = ActivityRecord(
            source_id=source.id,
            period_start=result.start,
            period_end=result.end,
            quantity=result.quantity,
            unit=target,
            origin="meter",
            quality_note=result.note,
        )
        filename = f"{source.code}_{result.start}_{result.end}_meters.csv"
        record.evidence.append(
            evidence.put(
                session, result.csv, filename, "text/csv", organization_id=facility.organization_id
            )
        )
        session.add(record)
        session.flush()
        session.add_all(
            ActivityMeter(
                activity_id=record.id,
                meter_id=p.meter.id,
                sign=p.sign,
                start_ts=p.start_ts,
                end_ts=p.end_ts,
                energy=p.energy,
                estimated=p.estimated,
                missing_intervals=p.missing_intervals,
            )
            for p in result.parts
        )
        added.append(
            {
                "record_id": record.id,
                "period": [result.start.isoformat(), result.end.isoformat()],
                "quantity": result.quantity,
                "evidence": result.sha256,
            }
        )
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="from_meters",
        entity="activity_record",
        entity_key=f"{facility.code}/{source.code}",
        after={
            "facility": facility.code,
            "source": source.code,
            "meters": [list(named) for named in meters],
            "physical_meters": [[m.code, weight] for m, weight, _ in chosen],
            "unit": target,
            "allow_estimated": allow_estimated,
            "max_missing_share": max_missing_share,
            "added": added,
            "unchanged": [
                [r.start.isoformat(), r.end.isoformat()]
                for r in done
                if r.start not in added_starts
            ],
        },
    )
    return outcome


def _compare(
    source: Source,
    stored: dict[tuple[date, date], ActivityRecord],
    done: list[_Result],
    unit: str,
    problems: list[InputProblem],
) -> list[_Result]:
    """The results not stored yet; conflicts and overlaps with stored records as problems."""
    new = []
    for result in done:
        record = stored.get((result.start, result.end))
        if record is None:
            new.append(result)
            continue
        hashes = sorted(e.sha256 for e in record.evidence)
        same = (
            record.origin == "meter"
            and record.unit == unit
            and math.isclose(record.quantity, result.quantity, rel_tol=1e-12, abs_tol=1e-12)
            and hashes == [result.sha256]
        )
        if not same:
            intervals = "" if hashes == [result.sha256] else Message("; the intervals differ")
            problems.append(
                InputProblem(
                    Message(
                        "source %(id)s %(first)s..%(last)s",
                        id=source.code,
                        first=str(result.start),
                        last=str(result.end),
                    ),
                    "quantity",
                    f"{result.quantity:.10g} {unit}",
                    Message(
                        "conflicts with the stored record (%(quantity)s %(unit)s, origin "
                        "%(origin)s, evidence %(evidence)s%(intervals)s): correct it explicitly "
                        "(lingtan activity correct) or delete it first; records are never "
                        "overwritten",
                        quantity=f"{record.quantity:.10g}",
                        unit=record.unit,
                        origin=record.origin,
                        evidence=str([h[:12] for h in hashes]) if hashes else Message("none"),
                        intervals=intervals,
                    ),
                )
            )
    spans: dict[str, list[tuple[date, date, str | None]]] = defaultdict(list)
    spans[source.code] = [(start, end, None) for start, end in stored]
    spans[source.code] += [(r.start, r.end, f"from meters {r.start}..{r.end}") for r in new]
    _overlaps(spans, "source", problems)
    return new


def meter_lineage(session: Session, record_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """The meters each of the given activity records was produced from, by record id.

    Each entry: meter code and unit, sign, span ``[start_utc, end_utc)`` (ISO 8601), energy and
    its estimated part [meter unit], missing intervals and the measured share of the energy.
    Records not produced from meters are absent.
    """
    out: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if not record_ids:
        return out
    rows = session.execute(
        select(ActivityMeter, Meter.code, Meter.unit)
        .join(Meter, Meter.id == ActivityMeter.meter_id)
        .where(ActivityMeter.activity_id.in_(list(record_ids)))
        .order_by(ActivityMeter.activity_id, Meter.code)
    ).all()
    for link, code, meter_unit in rows:
        measured = link.energy - link.estimated
        out[link.activity_id].append(
            {
                "meter": code,
                "sign": link.sign,
                "start_utc": datetime.fromtimestamp(link.start_ts, tz=UTC).isoformat(),
                "end_utc": datetime.fromtimestamp(link.end_ts, tz=UTC).isoformat(),
                "energy": link.energy,
                "estimated": link.estimated,
                "unit": meter_unit,
                "measured_share": measured / link.energy if link.energy else None,
                "missing_intervals": link.missing_intervals,
            }
        )
    return out
