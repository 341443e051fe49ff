"""Checked 15-minute energy intervals from raw meter readings, and their rollups.

Pure functions on numpy arrays: no database, no I/O. One call handles one meter.

Time
    All timestamps are UTC instants as ``datetime64[s]``. Intervals start on a 15-minute
    grid aligned to :00/:15/:30/:45 UTC. China Standard Time is UTC+8 with no daylight saving
    time, so the same grid is aligned in local time; local days and months are only needed for
    rollups, which take the offset explicitly (:func:`rollup`, default +08:00). Working in UTC
    keeps a year free of ambiguous or missing local hours wherever the meter is.

From readings to intervals
    Consecutive readings make *segments*: the time between two readings of a cumulative
    register, with the register's advance as energy; for an interval meter, the time a value
    covers. A segment's energy is spread over the grid intervals it overlaps in proportion to
    the overlap (linear apportioning: constant power inside a segment). A grid interval is
    ``measured`` when it is fully covered by accepted segments of normal length.

Quality flags and their precedence
    Each interval carries one :class:`Quality`. When several segments touch an interval (e.g.
    readings every 10 minutes), the interval takes the highest flag; the enum's numeric order
    *is* the precedence (``negative`` > ``spike`` > ``missing`` > ``estimated`` >
    ``replacement`` > ``rollover`` > ``stuck`` > ``measured``). Energy is NaN for ``missing``,
    ``spike`` and ``negative``: rejected deltas are not filled in, because a register that
    jumped or fell is itself in doubt and a filled value would hide it. ``estimated`` energy is
    never counted as measured: rollups keep it apart.

References
----------
.. [1] 《重点用能单位能耗在线监测系统技术规范》: real-time indicators every 15 min; completeness
   of uploads (uploaded / expected) at least 90 %.
.. [2] GB 17167-2006 用能单位能源计量器具配备和管理通则.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import numpy as np

from lingtan.i18n import N_, Message

__all__ = [
    "INTERVAL_S",
    "METERED_NOTE",
    "MeterIntervals",
    "MeterKind",
    "MeterProblem",
    "Quality",
    "Rollup",
    "ValidationSettings",
    "daily_completeness",
    "meter_intervals",
    "metered_note",
    "problem_records",
    "rollover_rule",
    "rollup",
]

#: Length of a grid interval [s].
INTERVAL_S = 900

_EPS_S = 1e-6  # coverage tolerance [s]: float sums of seconds are exact to far better than this


class MeterKind(enum.StrEnum):
    """What a meter's values mean."""

    #: A register (e.g. a kWh counter) that only grows; energy is the difference of readings.
    CUMULATIVE = "cumulative"
    #: Each value is the consumption over an interval (stated, or since the previous reading).
    INTERVAL = "interval"


class Quality(enum.IntEnum):
    """Quality flag of a 15-minute interval; the numeric order is the precedence."""

    #: From readings of normal spacing.
    MEASURED = 0
    #: Measured, but the register did not move for longer than allowed (a hint, not an error).
    STUCK = 1
    #: Measured across a counter rollover.
    ROLLOVER = 2
    #: Measured across a meter replacement.
    REPLACEMENT = 3
    #: Estimated across a short gap.
    ESTIMATED = 4
    #: A gap too long to estimate: energy NaN.
    MISSING = 5
    #: Delta rejected as implausibly large: energy NaN.
    SPIKE = 6
    #: Negative delta that is neither rollover nor replacement: energy NaN.
    NEGATIVE = 7

    @property
    def label(self) -> str:
        return self.name.lower()


#: Flags whose energy comes from readings: what completeness counts.
MEASURED_FLAGS: tuple[Quality, ...] = (
    Quality.MEASURED,
    Quality.STUCK,
    Quality.ROLLOVER,
    Quality.REPLACEMENT,
)


@dataclass(frozen=True)
class ValidationSettings:
    """Rules that check readings; the defaults suit 15-minute electricity meters.

    Parameters
    ----------
    spike_factor : float or None, default 10.0
        A delta is a spike when its rate exceeds ``spike_factor`` times the typical rate of
        the series. The typical rate is the ``spike_quantile`` quantile of the positive rates,
        not the median: equipment that idles most of the time and runs at 20-50 times its
        standby load (compressors, furnaces) would otherwise see every running interval
        flagged. ``None`` turns the relative test off.
    spike_quantile : float, default 0.9
        Quantile of positive rates taken as typical, in (0, 1]. Robust as long as fewer than
        ``1 - spike_quantile`` of the deltas are spikes.
    spike_min_deltas : int, default 24
        The relative test needs at least this many positive deltas (a few hours of data);
        with fewer, only ``max_rate_per_h`` applies.
    max_rate_per_h : float or None, default None
        Hard maximum rate [unit/h, after the multiplier], e.g. 1.2 x the rated power of the
        feeder in kW for a kWh meter. ``None``: no hard maximum.
    stuck_intervals : int or None, default 96
        A cumulative register that does not move for more than this many 15-minute intervals
        (96 = 24 h) is flagged ``stuck``. Equipment that stands idle over a weekend needs a
        larger value or ``None``; the flag does not change the (zero) energy.
    gap_factor : float, default 1.5
        Two readings further apart than ``gap_factor`` times the meter's usual reading period
        (the median spacing, or the stated interval) enclose a gap.
    max_gap_s : float, default 3600.0
        Longest gap that is estimated [s]. For a cumulative register the gap is the time
        between the readings around it and its energy is known: it is spread linearly and
        flagged ``estimated``. For an interval meter the gap is the time no value covers and
        the energy is interpolated linearly between the intervals on either side. Longer gaps
        are ``missing`` (NaN).
    replacement_fraction : float, default 0.01
        A cumulative register that falls to at most this fraction of its previous reading (and
        is not a rollover) is taken as a new meter that started from zero.
    """

    spike_factor: float | None = 10.0
    spike_quantile: float = 0.9
    spike_min_deltas: int = 24
    max_rate_per_h: float | None = None
    stuck_intervals: int | None = 96
    gap_factor: float = 1.5
    max_gap_s: float = 3600.0
    replacement_fraction: float = 0.01

    def __post_init__(self) -> None:
        problems = []
        if self.spike_factor is not None and not self.spike_factor > 1:
            problems.append(f"spike_factor must be > 1, got {self.spike_factor!r}")
        if not 0 < self.spike_quantile <= 1:
            problems.append(f"spike_quantile must be in (0, 1], got {self.spike_quantile!r}")
        if self.spike_min_deltas < 1:
            problems.append(f"spike_min_deltas must be >= 1, got {self.spike_min_deltas!r}")
        if self.max_rate_per_h is not None and not self.max_rate_per_h > 0:
            problems.append(f"max_rate_per_h must be > 0, got {self.max_rate_per_h!r}")
        if self.stuck_intervals is not None and self.stuck_intervals < 1:
            problems.append(f"stuck_intervals must be >= 1, got {self.stuck_intervals!r}")
        if not self.gap_factor >= 1:
            problems.append(f"gap_factor must be >= 1, got {self.gap_factor!r}")
        if not self.max_gap_s >= 0:
            problems.append(f"max_gap_s must be >= 0, got {self.max_gap_s!r}")
        if not 0 <= self.replacement_fraction < 1:
            problems.append(
                f"replacement_fraction must be in [0, 1), got {self.replacement_fraction!r}"
            )
        if problems:
            raise ValueError("invalid validation settings: " + "; ".join(problems))


@dataclass(frozen=True, slots=True)
class MeterProblem:
    """One finding about a meter's readings, for error reports and the UI.

    ``kind`` is a :class:`Quality` label (``negative``, ``spike``, ``rollover``,
    ``replacement``, ``stuck``, ``estimated``, ``missing``) or one of ``conflict`` (two values
    for one timestamp: none is used), ``invalid`` (NaN/infinite value or no timestamp),
    ``overlap`` (an interval value that overlaps the previous one: not used) and ``unused``
    (the first value of an interval meter without a stated interval). ``timestamp`` is the
    reading concerned (for gaps and stuck runs: where they start); ``value`` is the figure the
    rule is about, its unit named in ``rule``.
    """

    meter_id: str
    timestamp: datetime | None
    kind: str
    value: float | None
    rule: str  # a Message: English as it is, translated where it is shown

    def as_dict(self) -> dict[str, Any]:
        value = None if self.value is None or not math.isfinite(self.value) else self.value
        stamp = None if self.timestamp is None else self.timestamp.isoformat()
        return {
            "meter_id": self.meter_id,
            "timestamp": stamp,
            "kind": self.kind,
            "value": value,
            "rule": str(self.rule),
        }


@dataclass(frozen=True)
class MeterIntervals:
    """15-minute intervals of one meter over ``[start, end)``; the arrays are read-only.

    Attributes
    ----------
    start : numpy.ndarray of datetime64[s]
        Interval starts [UTC].
    energy : numpy.ndarray of float64
        Energy per interval [``unit``, after the multiplier]; NaN where not known.
    quality : numpy.ndarray of uint8
        :class:`Quality` per interval.
    problems : tuple of MeterProblem
        What was found in the readings that touch the span, in time order.
    """

    meter_id: str
    unit: str
    start: np.ndarray
    energy: np.ndarray
    quality: np.ndarray
    problems: tuple[MeterProblem, ...] = field(default=())

    def count(self, quality: Quality) -> int:
        """Number of intervals with the given flag."""
        return int(np.count_nonzero(self.quality == quality))


@dataclass(frozen=True)
class Rollup:
    """Totals of 15-minute intervals per local hour, day or month.

    Attributes
    ----------
    start_local : numpy.ndarray of datetime64[s]
        Period start in local wall time (naive).
    start_utc : numpy.ndarray of datetime64[s]
        The same instant in UTC.
    energy : numpy.ndarray of float64
        Sum of the known interval energies [unit]; ``missing``, ``spike`` and ``negative``
        intervals add nothing, their counts say what is absent.
    energy_estimated : numpy.ndarray of float64
        The part of ``energy`` from ``estimated`` intervals [unit].
    counts : numpy.ndarray of int64, shape (periods, len(Quality))
        Intervals per flag; column ``q`` counts ``Quality(q)``.
    """

    period: str
    utc_offset_min: int
    unit: str
    start_local: np.ndarray
    start_utc: np.ndarray
    energy: np.ndarray
    energy_estimated: np.ndarray
    counts: np.ndarray

    @property
    def intervals(self) -> np.ndarray:
        """Intervals of the requested span in each period."""
        return self.counts.sum(axis=1)

    @property
    def completeness(self) -> np.ndarray:
        """Share of each period's intervals whose energy comes from readings [-].

        Counts ``measured``, ``stuck``, ``rollover`` and ``replacement``; not ``estimated``.
        Only intervals of the requested span count, so a period cut by the span is judged on
        its part inside.
        """
        measured = self.counts[:, [int(q) for q in MEASURED_FLAGS]].sum(axis=1)
        return measured / np.maximum(self.intervals, 1)


# ---------------------------------------------------------------------------------------------
# Main path


def meter_intervals(
    timestamps: np.ndarray,
    values: np.ndarray,
    *,
    start: np.datetime64 | str,
    end: np.datetime64 | str,
    kind: MeterKind | str,
    meter_id: str = "",
    unit: str = "kWh",
    multiplier: float = 1.0,
    rollover_at: float | None = None,
    register_step: float | None = None,
    interval_s: float | None = None,
    settings: ValidationSettings | None = None,
) -> MeterIntervals:
    """Checked 15-minute intervals of one meter over ``[start, end)``.

    Parameters
    ----------
    timestamps : numpy.ndarray of datetime64
        Reading times [UTC], any order, duplicates allowed; cut to whole seconds.
    values : numpy.ndarray of float
        Register readings (``cumulative``) or consumptions (``interval``) [unit, before the
        multiplier].
    start, end : numpy.datetime64 or str
        The span [UTC]; both on the 15-minute grid.
    kind : {"cumulative", "interval"}
        See :class:`MeterKind`.
    meter_id : str
        Named in the problems.
    unit : str
        Unit of the energy after the multiplier, e.g. ``kWh`` or ``m3``; named in rules only.
    multiplier : float
        CT/PT ratio (or pulse weight) applied to every delta [-]; > 0.
    rollover_at : float, optional
        Full-scale reading of a cumulative register, e.g. 999999.9 for a register showing
        000000.0-999999.9; the register shows 0 one ``register_step`` after it. A reading
        below its predecessor is a rollover when ``reading + rollover_at + register_step -
        previous`` is at most half the register's range and not a spike.
    register_step : float, optional
        Resolution of the register [unit, before multiplier]. Default: inferred when
        ``rollover_at + step`` is a power of ten (999999.9 -> 0.1, 99999999 -> 1); otherwise
        it must be given (e.g. 1 for a 16-bit counter with ``rollover_at=65535``).
    interval_s : float, optional
        For ``interval`` meters: the length each value covers [s], ending at its timestamp
        (the usual labelling of load profiles). Without it a value covers the time since the
        previous reading, and the first value is not used.
    settings : ValidationSettings, optional
        Validation rules; defaults as documented there.

    Returns
    -------
    MeterIntervals

    Notes
    -----
    Cumulative registers, in order of precedence for a falling reading: a *rollover* (see
    ``rollover_at``); a *replacement* when the reading falls to at most
    ``settings.replacement_fraction`` of the previous one: the old meter's last reading is
    taken as its final register, the new meter as starting from 0, so the delta is the new
    meter's first reading (consumption between the last reading of the old meter and its
    removal is not known to lingtan and counts as zero); otherwise *negative*. Deltas are
    multiplied by ``multiplier`` before the spike test. The rate of a delta is taken over at
    least the usual reading period, so a quick re-read does not look like a spike.

    A long gap of a cumulative register (``missing``) leaves its intervals NaN, but the
    register's advance across it is reported in the problems, so it is not lost from sight.
    Readings with the same timestamp and value count once; the same timestamp with different
    values is a ``conflict``: none of them is used and each is reported.
    """
    settings = settings or ValidationSettings()
    if kind not in set(MeterKind):
        raise ValueError(f"kind must be 'cumulative' or 'interval', got {kind!r}")
    kind = MeterKind(kind)
    t0 = _grid_instant(start, "start")
    t1 = _grid_instant(end, "end")
    if t1 <= t0:
        raise ValueError(f"end {end} must be after start {start}")
    if not (math.isfinite(multiplier) and multiplier > 0):
        raise ValueError(f"multiplier must be a finite number > 0, got {multiplier!r}")
    modulus = _modulus(rollover_at, register_step) if kind is MeterKind.CUMULATIVE else None
    if interval_s is not None and not (math.isfinite(interval_s) and interval_s > 0):
        raise ValueError(f"interval_s must be > 0, got {interval_s!r}")
    if kind is MeterKind.CUMULATIVE and interval_s is not None:
        raise ValueError("interval_s applies to interval meters only")

    ts = np.asarray(timestamps)
    vs = np.asarray(values, dtype=np.float64)
    if ts.ndim != 1 or ts.shape != vs.shape:
        raise ValueError(
            f"timestamps and values must be 1-d arrays of one length, got {ts.shape} {vs.shape}"
        )
    if ts.size and not np.issubdtype(ts.dtype, np.datetime64):
        raise TypeError(f"timestamps must be numpy datetime64, got {ts.dtype}")
    ts = ts.astype("datetime64[s]")

    events = _Events(meter_id, unit, t0, t1)

    # Unusable readings leave, loudly.
    bad = np.isnat(ts) | ~np.isfinite(vs)
    if bad.any():
        for i in np.flatnonzero(bad):
            stamp = None if np.isnat(ts[i]) else int(ts[i].astype(np.int64))
            rule = Message("no timestamp or a value that is not a number")
            events.add(stamp, "invalid", float(vs[i]), rule)
        ts, vs = ts[~bad], vs[~bad]
    t = ts.astype(np.int64)

    # Sort by time, then value: exact duplicates are neighbours.
    order = np.lexsort((vs, t))
    t, v = t[order], vs[order]
    if t.size > 1:
        keep = np.ones(t.size, dtype=bool)
        keep[1:] = (t[1:] != t[:-1]) | (v[1:] != v[:-1])
        t, v = t[keep], v[keep]
    if t.size > 1:
        clash = t[1:] == t[:-1]
        if clash.any():
            clashing = np.zeros(t.size, dtype=bool)
            clashing[1:] |= clash
            clashing[:-1] |= clash
            for i in np.flatnonzero(clashing):
                n = int(np.count_nonzero(t == t[i]))
                events.add(
                    int(t[i]), "conflict", float(v[i]),
                    Message("%(n)s different values for one timestamp; none of them is used",
                            n=n),
                )  # fmt: skip
            t, v = t[~clashing], v[~clashing]

    # Only readings that can reach the span (plus room to estimate across its edges).
    pad_n = math.ceil(settings.max_gap_s / INTERVAL_S) + 1
    g0 = t0 - pad_n * INTERVAL_S
    g1 = t1 + pad_n * INTERVAL_S
    reach = math.ceil(interval_s) if interval_s else 0
    lo = max(int(np.searchsorted(t, g0, side="right")) - 1, 0)
    hi = int(np.searchsorted(t, g1 + reach, side="left")) + 1
    t, v = t[lo:hi], v[lo:hi]

    if kind is MeterKind.CUMULATIVE:
        seg = _cumulative_segments(t, v, multiplier, modulus, settings, events)
    elif interval_s is None:
        seg = _interval_segments_since_previous(t, v, multiplier, settings, events)
    else:
        seg = _interval_segments_stated(t, v, multiplier, float(interval_s), settings, events)

    n_ext = (g1 - g0) // INTERVAL_S
    energy, quality = _to_grid(seg, g0, n_ext, settings, events)
    cut = slice(pad_n, n_ext - pad_n)
    energy, quality = energy[cut].copy(), quality[cut].copy()
    grid = (t0 + INTERVAL_S * np.arange(energy.size, dtype=np.int64)).astype("datetime64[s]")
    for array in (grid, energy, quality):
        array.flags.writeable = False
    return MeterIntervals(
        meter_id=meter_id,
        unit=unit,
        start=grid,
        energy=energy,
        quality=quality,
        problems=events.sorted(),
    )


def rollup(
    intervals: MeterIntervals,
    period: Literal["hour", "day", "month"],
    *,
    utc_offset_min: int = 480,
) -> Rollup:
    """Totals per local hour, day or month, with interval counts per quality flag.

    Parameters
    ----------
    intervals : MeterIntervals
    period : {"hour", "day", "month"}
    utc_offset_min : int, default 480
        Offset of local time from UTC [min]; 480 = +08:00, China Standard Time (no DST). A
        local day then runs from 16:00 UTC of the day before.

    Returns
    -------
    Rollup
        One row per period that has intervals in the span, in time order. ``energy`` equals
        the sum of the finite interval energies of the period.
    """
    unit = {"hour": "h", "day": "D", "month": "M"}.get(period)
    if unit is None:
        raise ValueError(f"period must be 'hour', 'day' or 'month', got {period!r}")
    if not -1440 < utc_offset_min < 1440:
        raise ValueError(f"utc_offset_min must be within a day, got {utc_offset_min!r}")
    offset = np.timedelta64(int(utc_offset_min) * 60, "s")
    local = intervals.start + offset
    key = local.astype(f"datetime64[{unit}]").astype("datetime64[s]")
    n_q = len(Quality)
    if key.size == 0:
        empty = np.array([], dtype="datetime64[s]")
        zeros = np.zeros(0)
        return Rollup(period, utc_offset_min, intervals.unit, empty, empty, zeros, zeros,
                      np.zeros((0, n_q), dtype=np.int64))  # fmt: skip
    first = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1])))
    known = np.isfinite(intervals.energy)
    energy = np.add.reduceat(np.where(known, intervals.energy, 0.0), first)
    estimated = intervals.quality == Quality.ESTIMATED
    energy_est = np.add.reduceat(np.where(estimated & known, intervals.energy, 0.0), first)
    onehot = intervals.quality[:, None] == np.arange(n_q, dtype=np.uint8)[None, :]
    counts = np.add.reduceat(onehot.astype(np.int64), first, axis=0)
    start_local = key[first]
    return Rollup(
        period=period,
        utc_offset_min=int(utc_offset_min),
        unit=intervals.unit,
        start_local=start_local,
        start_utc=start_local - offset,
        energy=energy,
        energy_estimated=energy_est,
        counts=counts,
    )


def daily_completeness(
    intervals: MeterIntervals, *, utc_offset_min: int = 480
) -> tuple[np.ndarray, np.ndarray]:
    """Share of each local day's intervals whose energy comes from readings.

    Returns
    -------
    days : numpy.ndarray of datetime64[D]
        Local days.
    share : numpy.ndarray of float64
        Completeness [-], as :attr:`Rollup.completeness`.
    """
    daily = rollup(intervals, "day", utc_offset_min=utc_offset_min)
    return daily.start_local.astype("datetime64[D]"), daily.completeness


def problem_records(*results: MeterIntervals) -> list[dict[str, Any]]:
    """The problems of one or more meters as plain records.

    Returns
    -------
    list of dict
        Keys ``meter_id``, ``timestamp`` (ISO 8601 UTC or None), ``kind``, ``value`` (float or
        None), ``rule``.
    """
    return [problem.as_dict() for result in results for problem in result.problems]


# ---------------------------------------------------------------------------------------------
# Segments


@dataclass
class _Segments:
    """Time spans with energy [unit after multiplier; NaN = rejected] and a Quality code."""

    s0: np.ndarray  # int64 [s]
    s1: np.ndarray  # int64 [s]
    energy: np.ndarray
    code: np.ndarray  # uint8
    contiguous: bool  # s1[i] == s0[i + 1]


def _empty_segments() -> _Segments:
    z = np.zeros(0, dtype=np.int64)
    return _Segments(z, z, np.zeros(0), np.zeros(0, dtype=np.uint8), True)


def _rate_limit(rates: np.ndarray, settings: ValidationSettings) -> tuple[float, str]:
    """Largest plausible rate [unit/h] and how it was set (a Message); inf when no rule
    applies."""
    limit, how = math.inf, ""
    positive = rates[rates > 0]
    if settings.spike_factor is not None and positive.size >= settings.spike_min_deltas:
        typical = float(np.quantile(positive, settings.spike_quantile))
        limit = settings.spike_factor * typical
        how = Message(
            "%(factor)s x the %(quantile)s quantile of the positive rates (%(typical)s/h)",
            factor=f"{settings.spike_factor:g}",
            quantile=f"{settings.spike_quantile:g}",
            typical=f"{typical:.6g}",
        )
    if settings.max_rate_per_h is not None and settings.max_rate_per_h < limit:
        limit, how = settings.max_rate_per_h, Message("max_rate_per_h")
    return limit, how


def _usual_period(t: np.ndarray) -> float:
    """Median spacing of readings [s]."""
    return float(np.median(np.diff(t))) if t.size > 1 else float(INTERVAL_S)


def _gap_codes(span: np.ndarray, period: float, settings: ValidationSettings) -> np.ndarray:
    """ESTIMATED / MISSING for segments that enclose a gap, else MEASURED."""
    code = np.zeros(span.size, dtype=np.uint8)
    gap = span > settings.gap_factor * period
    code[gap & (span <= settings.max_gap_s)] = Quality.ESTIMATED
    code[gap & (span > settings.max_gap_s)] = Quality.MISSING
    return code


def _cumulative_segments(
    t: np.ndarray,
    r: np.ndarray,
    multiplier: float,
    modulus: float | None,
    settings: ValidationSettings,
    events: _Events,
) -> _Segments:
    if t.size < 2:
        return _empty_segments()
    period = _usual_period(t)
    span = np.diff(t).astype(np.float64)
    hours = np.maximum(span, period) / 3600.0  # a quick re-read is not a spike
    d = np.diff(r)
    energy = d * multiplier
    limit, how = _rate_limit(np.where(d > 0, energy / hours, 0.0), settings)

    falls = d < 0
    rollover = np.zeros(d.size, dtype=bool)
    if modulus is not None and falls.any():
        wrapped = (d + modulus) * multiplier
        rollover = falls & (d + modulus <= modulus / 2) & (wrapped / hours <= limit)
        energy = np.where(rollover, wrapped, energy)
    replaced = (
        falls
        & ~rollover
        & (r[1:] <= settings.replacement_fraction * r[:-1])
        & (r[1:] * multiplier / hours <= limit)
    )
    energy = np.where(replaced, r[1:] * multiplier, energy)
    negative = falls & ~rollover & ~replaced
    spike = ~falls & (energy / hours > limit)

    code = _gap_codes(span, period, settings)
    stuck = _stuck_runs(d, span, settings)
    code = np.maximum(code, np.where(stuck, Quality.STUCK, 0).astype(np.uint8))
    code = np.maximum(code, np.where(rollover, Quality.ROLLOVER, 0).astype(np.uint8))
    code = np.maximum(code, np.where(replaced, Quality.REPLACEMENT, 0).astype(np.uint8))
    code = np.where(spike, np.uint8(Quality.SPIKE), code)
    code = np.where(negative, np.uint8(Quality.NEGATIVE), code).astype(np.uint8)
    energy = np.where(code >= Quality.MISSING, np.nan, energy)

    s0, s1 = t[:-1], t[1:]
    for i in np.flatnonzero(code >= Quality.ROLLOVER):
        if not events.touches(s0[i], s1[i]):
            continue
        c = Quality(int(code[i]))
        register = {"before": f"{r[i]:.10g}", "after": f"{r[i + 1]:.10g}", "unit": events.unit}
        value = float(d[i] * multiplier)
        if c is Quality.NEGATIVE:
            rule = Message(
                "register %(before)s -> %(after)s: a fall that is neither a rollover nor a "
                "replacement [%(unit)s]",
                **register,
            )
        elif c is Quality.SPIKE:
            rule = Message(
                "register %(before)s -> %(after)s: rate %(rate)s %(unit)s/h above %(limit)s/h "
                "(%(how)s)",
                rate=f"{value / hours[i]:.6g}",
                limit=f"{limit:.6g}",
                how=how,
                **register,
            )
        elif c is Quality.ROLLOVER:
            value = float((d[i] + modulus) * multiplier)  # type: ignore[operator]
            rule = Message(
                "register %(before)s -> %(after)s: rolled over at %(modulus)s [%(unit)s]",
                modulus=f"{modulus:.10g}",
                **register,
            )
        elif c is Quality.REPLACEMENT:
            value = float(r[i + 1] * multiplier)
            rule = Message(
                "register %(before)s -> %(after)s: meter replaced; old meter's last reading "
                "taken as final, new meter counted from 0 [%(unit)s]",
                **register,
            )
        else:
            rule = _gap_rule(c, span[i], settings, events.unit, known_energy=True)
        stamp = int(s0[i]) if c in (Quality.ESTIMATED, Quality.MISSING) else int(s1[i])
        events.add(stamp, c.label, value, rule)
    _report_stuck(stuck, s0, s1, r, settings, events)
    return _Segments(s0, s1, energy, code, True)


def _stuck_runs(d: np.ndarray, span: np.ndarray, settings: ValidationSettings) -> np.ndarray:
    """Segments in runs of zero deltas longer than ``stuck_intervals``."""
    if settings.stuck_intervals is None or d.size == 0:
        return np.zeros(d.size, dtype=bool)
    zero = d == 0
    edges = np.diff(np.concatenate(([0], zero.astype(np.int8), [0])))
    first, stop = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    covered = np.concatenate(([0.0], np.cumsum(np.where(zero, span, 0.0))))
    long = covered[stop] - covered[first] > settings.stuck_intervals * INTERVAL_S
    mark = np.zeros(d.size + 1, dtype=np.int64)
    np.add.at(mark, first[long], 1)
    np.add.at(mark, stop[long], -1)
    return np.cumsum(mark[:-1]) > 0


def _report_stuck(stuck, s0, s1, r, settings, events) -> None:
    if not stuck.any():
        return
    edges = np.diff(np.concatenate(([0], stuck.astype(np.int8), [0])))
    for a, b in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True):
        if events.touches(s0[a], s1[b - 1]):
            hours = (s1[b - 1] - s0[a]) / 3600.0
            events.add(
                int(s0[a]), "stuck", float(hours),
                Message("register stayed at %(register)s for %(hours)s h, more than "
                        "%(n)s intervals [h]", register=f"{r[a]:.10g}", hours=f"{hours:g}",
                        n=settings.stuck_intervals),
            )  # fmt: skip


def _interval_checks(
    s0, s1, vals, multiplier, settings, events, *, gaps: np.ndarray | None
) -> _Segments:
    span = (s1 - s0).astype(np.float64)
    energy = vals * multiplier
    hours = span / 3600.0
    limit, how = _rate_limit(np.where(energy > 0, energy / hours, 0.0), settings)
    code = np.zeros(span.size, dtype=np.uint8) if gaps is None else gaps
    code = np.where(energy / hours > limit, np.uint8(Quality.SPIKE), code)
    code = np.where(energy < 0, np.uint8(Quality.NEGATIVE), code).astype(np.uint8)
    for i in np.flatnonzero(code >= Quality.ESTIMATED):
        if not events.touches(s0[i], s1[i]):
            continue
        c = Quality(int(code[i]))
        if c is Quality.NEGATIVE:
            rule = Message("negative consumption [%(unit)s]", unit=events.unit)
        elif c is Quality.SPIKE:
            rule = Message(
                "rate %(rate)s %(unit)s/h above %(limit)s/h (%(how)s)",
                rate=f"{energy[i] / hours[i]:.6g}",
                unit=events.unit,
                limit=f"{limit:.6g}",
                how=how,
            )
        else:
            rule = _gap_rule(c, span[i], settings, events.unit, known_energy=True)
        stamp = int(s0[i]) if c in (Quality.ESTIMATED, Quality.MISSING) else int(s1[i])
        events.add(stamp, c.label, float(energy[i]), rule)
    energy = np.where(code >= Quality.MISSING, np.nan, energy)
    return _Segments(s0, s1, energy, code, gaps is not None)


def _interval_segments_since_previous(t, v, multiplier, settings, events) -> _Segments:
    if t.size:
        events.add(int(t[0]), "unused", float(v[0] * multiplier),
                   Message("first value of an interval meter without interval_s has no start "
                           "[%(unit)s]", unit=events.unit))  # fmt: skip
    if t.size < 2:
        return _empty_segments()
    span = np.diff(t).astype(np.float64)
    gaps = _gap_codes(span, _usual_period(t), settings)
    return _interval_checks(t[:-1], t[1:], v[1:], multiplier, settings, events, gaps=gaps)


def _interval_segments_stated(t, v, multiplier, interval_s, settings, events) -> _Segments:
    length = round(interval_s)
    kept = np.arange(t.size)
    while True:  # greedy: a value overlapping the last kept one goes; rounds only on overlaps
        later = np.flatnonzero(np.diff(t[kept]) < length) + 1
        if later.size == 0:
            break
        kept = np.delete(kept, later[np.concatenate(([True], np.diff(later) > 1))])
    keep = np.zeros(t.size, dtype=bool)
    keep[kept] = True
    for i in np.flatnonzero(~keep):
        if events.touches(int(t[i]) - length, int(t[i])):
            events.add(int(t[i]), "overlap", float(v[i] * multiplier),
                       Message("covers time already covered by the value at the previous "
                               "reading (interval_s = %(interval)s); not used [%(unit)s]",
                               interval=f"{interval_s:g}", unit=events.unit))  # fmt: skip
    t, v = t[keep], v[keep]
    return _interval_checks(t - length, t, v, multiplier, settings, events, gaps=None)


# ---------------------------------------------------------------------------------------------
# Grid


def _to_grid(
    seg: _Segments, g0: int, n: int, settings: ValidationSettings, events: _Events
) -> tuple[np.ndarray, np.ndarray]:
    """Energy [unit] and Quality per grid interval of ``[g0, g0 + n x 15 min)``."""
    edges = g0 + INTERVAL_S * np.arange(n + 1, dtype=np.int64)
    quality = np.zeros(n, dtype=np.uint8)
    if seg.s0.size == 0:
        energy = np.full(n, np.nan)
        quality[:] = Quality.MISSING
        events.add_holes(np.ones(n, dtype=bool), np.zeros(n), edges, settings, estimated=None)
        return energy, quality

    accepted = np.where(np.isfinite(seg.energy), seg.energy, 0.0)
    span = (seg.s1 - seg.s0).astype(np.float64)
    if seg.contiguous:
        x = np.concatenate((seg.s0[:1], seg.s1)).astype(np.float64)
        e_curve = np.concatenate(([0.0], np.cumsum(accepted)))
        c_curve = np.concatenate(([0.0], np.cumsum(span)))
    else:
        x = np.column_stack((seg.s0, seg.s1)).ravel().astype(np.float64)
        e_after = np.cumsum(accepted)
        c_after = np.cumsum(span)
        e_curve = np.column_stack((e_after - accepted, e_after)).ravel()
        c_curve = np.column_stack((c_after - span, c_after)).ravel()
        # Touching segments repeat a point with equal values; np.interp wants it once.
        once = np.concatenate(([True], x[1:] != x[:-1]))
        x, e_curve, c_curve = x[once], e_curve[once], c_curve[once]
    xe = edges.astype(np.float64)
    energy = np.diff(np.interp(xe, x, e_curve))
    cover = np.diff(np.interp(xe, x, c_curve))

    # Each segment's flag on every interval it overlaps; the highest flag wins.
    i0 = np.clip((seg.s0 - g0) // INTERVAL_S, 0, n)
    i1 = np.clip(-((g0 - seg.s1) // INTERVAL_S), 0, n)
    for q in np.unique(seg.code):
        if q == Quality.MEASURED:
            continue
        m = seg.code == q
        diff = np.bincount(i0[m], minlength=n + 1) - np.bincount(i1[m], minlength=n + 1)
        quality = np.maximum(quality, np.where(np.cumsum(diff[:n]) > 0, q, 0).astype(np.uint8))

    # Intervals not fully covered by any segment: short holes between good intervals are
    # estimated, everything else is missing.
    hole = cover < INTERVAL_S - _EPS_S
    estimated = np.zeros(n, dtype=bool)
    if hole.any():
        first, stop = _runs(hole)
        uncovered = np.concatenate(([0.0], np.cumsum(np.where(hole, INTERVAL_S - cover, 0.0))))
        good = ~hole & (quality < Quality.ESTIMATED)
        short = uncovered[stop] - uncovered[first] <= settings.max_gap_s
        inside = (first > 0) & (stop < n)
        bounded = inside.copy()
        bounded[inside] = good[first[inside] - 1] & good[stop[inside]]
        fill = short & bounded & (settings.max_gap_s > 0)
        if fill.any():
            mark = np.zeros(n + 1, dtype=np.int64)
            np.add.at(mark, first[fill], 1)
            np.add.at(mark, stop[fill], -1)
            estimated = (np.cumsum(mark[:-1]) > 0) & (quality < Quality.MISSING)
            idx = np.flatnonzero(good)
            line = np.interp(np.flatnonzero(estimated), idx, energy[good])
            share = (INTERVAL_S - cover[estimated]) / INTERVAL_S
            energy[estimated] += share * line
            quality[estimated] = np.maximum(quality[estimated], Quality.ESTIMATED)
        lost = hole & ~estimated
        quality[lost] = np.maximum(quality[lost], Quality.MISSING)
        events.add_holes(hole, cover, edges, settings, estimated=estimated)
    energy[quality >= Quality.MISSING] = np.nan
    return energy, quality


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Starts and (exclusive) ends of the runs of True."""
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


def _gap_rule(c: Quality, span_s: float, settings, unit: str, *, known_energy: bool) -> Message:
    values = {"hours": f"{span_s / 3600.0:g}", "limit": f"{settings.max_gap_s / 3600.0:g}"}
    if c is Quality.ESTIMATED:
        return Message(
            "gap of %(hours)s h (at most %(limit)s h): energy spread linearly [%(unit)s]",
            unit=unit,
            **values,
        )
    if known_energy:
        return Message(
            "gap of %(hours)s h, longer than %(limit)s h: intervals missing; the energy across "
            "it is not apportioned [%(unit)s]",
            unit=unit,
            **values,
        )
    return Message(
        "gap of %(hours)s h, longer than %(limit)s h: intervals missing [%(unit)s]",
        unit=unit,
        **values,
    )


# ---------------------------------------------------------------------------------------------
# Problems


class _Events:
    """Collects problems that touch the span ``[t0, t1)``."""

    def __init__(self, meter_id: str, unit: str, t0: int, t1: int):
        self.meter_id, self.unit, self.t0, self.t1 = meter_id, unit, t0, t1
        self.items: list[tuple[int, int, MeterProblem]] = []

    def touches(self, a: int, b: int) -> bool:
        return bool(b > self.t0 and a < self.t1)

    def add(self, stamp: int | None, kind: str, value: float | None, rule: Message) -> None:
        if stamp is not None and not self.t0 <= stamp < self.t1 and kind in _POINT_KINDS:
            return
        when = None if stamp is None else datetime.fromtimestamp(stamp, tz=UTC)
        key = -(2**62) if stamp is None else stamp
        self.items.append(
            (key, len(self.items), MeterProblem(self.meter_id, when, kind, value, rule))
        )

    def add_holes(self, hole, cover, edges, settings, *, estimated) -> None:
        """One problem per run of not-fully-covered intervals inside the span."""
        first, stop = _runs(hole)
        # Only the part inside the span counts; the grid has room on either side.
        lo = (self.t0 - int(edges[0])) // INTERVAL_S
        hi = (self.t1 - int(edges[0])) // INTERVAL_S
        for a_ext, b_ext in zip(first, stop, strict=True):
            a, b = max(int(a_ext), lo), min(int(b_ext), hi)
            if a >= b:
                continue
            uncovered_s = float(np.sum(INTERVAL_S - cover[a:b]))
            was_estimated = estimated is not None and bool(estimated[a])
            c = Quality.ESTIMATED if was_estimated else Quality.MISSING
            values = {"hours": f"{uncovered_s / 3600.0:g}",
                      "limit": f"{settings.max_gap_s / 3600.0:g}"}  # fmt: skip
            rule = (
                Message("no reading covers %(hours)s h (estimate at most %(limit)s h between "
                        "good intervals): interpolated linearly [h]", **values)
                if was_estimated
                else Message("no reading covers %(hours)s h (estimate at most %(limit)s h "
                             "between good intervals): intervals missing [h]", **values)
            )  # fmt: skip
            self.add(int(edges[a]), c.label, uncovered_s / 3600.0, rule)

    def sorted(self) -> tuple[MeterProblem, ...]:
        return tuple(item[2] for item in sorted(self.items, key=lambda i: (i[0], i[1])))


# Problems about a single reading: reported only when the reading lies in the span.
_POINT_KINDS = frozenset({"conflict", "invalid", "overlap", "unused"})


# ---------------------------------------------------------------------------------------------
# Arguments


def _grid_instant(value: np.datetime64 | str, name: str) -> int:
    """A span bound as UTC seconds, checked to be on the 15-minute grid."""
    try:
        instant = np.datetime64(value, "s")
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} {value!r} is not a timestamp") from error
    if np.isnat(instant):
        raise ValueError(f"{name} is not a timestamp")
    seconds = int(instant.astype(np.int64))
    if seconds % INTERVAL_S:
        raise ValueError(f"{name} {instant} is not on the 15-minute grid (:00/:15/:30/:45 UTC)")
    return seconds


def rollover_rule(rollover_at: float | None) -> Message | None:
    """Why a meter's ``rollover_at`` cannot be used without a ``register_step`` (None when it
    can): it must be a decimal register's full scale, 9…9 with its decimals, so that the range
    is the next power of ten (999999.9 rolls over to 0 after 999999.9 + 0.1 = 10^6)."""
    try:
        _modulus(rollover_at, None)
    except ValueError:
        return Message(
            "must be a register's full scale of nines (999999 or 99999.99): the step of "
            "another register cannot be told from it"
        )
    return None


def _modulus(rollover_at: float | None, register_step: float | None) -> float | None:
    """The register's range: full scale plus one step."""
    if rollover_at is None:
        if register_step is not None:
            raise ValueError("register_step needs rollover_at")
        return None
    if not (math.isfinite(rollover_at) and rollover_at > 0):
        raise ValueError(f"rollover_at must be > 0, got {rollover_at!r}")
    if register_step is None:
        power = 10.0 ** math.ceil(math.log10(rollover_at))
        step = power - rollover_at
        decimals = -round(math.log10(step)) if step > 0 else 0
        if not (0 < step <= 1 and math.isclose(step, 10.0**-decimals, rel_tol=1e-6)):
            raise ValueError(
                f"cannot infer register_step from rollover_at={rollover_at!r}; give it"
            )
        return power
    if not (math.isfinite(register_step) and register_step > 0):
        raise ValueError(f"register_step must be > 0, got {register_step!r}")
    return rollover_at + register_step


#: The quality note of an activity record produced from meters: stored as its English text
#: (``activity_record.quality_note``, the snapshots), shown in the reader's language.
METERED_NOTE = N_(
    "from meters %(meters)s: %(intervals)s intervals of 15 min, %(measured)s measured, "
    "%(estimated)s estimated, %(missing)s missing; energy %(measured_pct)s %% measured, "
    "%(estimated_pct)s %% estimated"
)


def metered_note(text: str | None) -> Message | str | None:
    """A stored quality note to show: the :data:`METERED_NOTE` it is, or the note as it was
    entered (an imported record's own words)."""
    if not text:
        return text
    return Message.parse(METERED_NOTE, text) or text
