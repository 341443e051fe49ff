"""Hourly matching (24/7 carbon-free electricity) of a facility's year from its meters.

:func:`matching_from_meters` takes the facility's physical electricity meters by their flow role
(:attr:`lingtan.metering.energy.MeterInfo.role`) and their checked 15-minute intervals
(:func:`lingtan.metering.store.stored_intervals`) over the local calendar year, and gives them
to :func:`lingtan.evaluation.matching.hourly_match`:

* consumption Cₜ = Σ ``supply`` (electricity bought, the incomers) + Σ ``generation`` −
  Σ ``export`` [kWh per 15 minutes]: what the site used;
* carbon-free supply Sₜ = Σ ``generation`` − Σ ``export`` [kWh]: the on-site generation used
  on site (exported electricity leaves with its attributes).

Green power contracts and GECs have no hourly profile in the ledger: they count in the annual
renewable share of the evaluation (:mod:`lingtan.services.ledger_facts`), not here; a
contract's hourly profile is matched with ``lingtan evaluate match CONSUMPTION SUPPLY``.

The same function is behind ``lingtan evaluate match --facility CODE --year Y``, the API's
``GET /api/v1/facilities/{code}/matching`` and the page ``/assets/matching``.

Refused, naming the meter and the rule: a facility without a supply or without a generation
meter of electricity, and a meter with intervals whose energy is not known (missing, spike,
negative) in the year: hourly matching needs every hour.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from lingtan.errors import InputError, InputProblem, Problems
from lingtan.evaluation.matching import HourlyMatch, hourly_match
from lingtan.i18n import Message
from lingtan.metering.energy import MeterInfo
from lingtan.metering.intervals import Quality
from lingtan.metering.store import (
    ROLLUP_UTC_OFFSET_MIN,
    local_midnight,
    local_time,
    meters_of,
    stored_intervals,
)
from lingtan.store.models import Facility
from lingtan.units import conversion_factor

__all__ = ["ROLES", "MeterMatching", "matching_from_meters"]

#: The flow roles of the meters taken, and their sign in consumption and in supply.
ROLES = {"supply": (1, 0), "generation": (1, 1), "export": (-1, -1)}
_ELECTRIC = ("electricity", "pv_generation", "exported_power")


@dataclass(frozen=True)
class MeterMatching:
    """The matching of a facility's year and the meters it came from (code per role)."""

    facility: str
    year: int
    meters: dict[str, list[str]]
    match: HourlyMatch

    def as_dict(self) -> dict[str, Any]:
        """The JSON: the facility, year, meters and :meth:`HourlyMatch.as_dict`."""
        return {
            "facility": self.facility,
            "year": self.year,
            "meters": self.meters,
            "utc_offset_min": ROLLUP_UTC_OFFSET_MIN,
            **self.match.as_dict(),
        }


def matching_from_meters(session: Session, facility: Facility, year: int) -> MeterMatching:
    """Match ``facility``'s electricity consumption with its on-site generation used on site,
    hour by hour, over the local calendar ``year`` (see the module documentation).

    Raises
    ------
    InputError
        No supply or no generation meter; a meter with intervals of unknown energy.
    """
    start, end = local_midnight(date(year, 1, 1)), local_midnight(date(year + 1, 1, 1))
    steps = (end - start) // 900
    chosen: dict[str, list[str]] = {role: [] for role in ROLES}
    consumption = np.zeros(steps)
    supply = np.zeros(steps)
    problems = Problems()
    for meter in sorted(meters_of(session, facility), key=lambda m: m.code):
        info = MeterInfo(meter.code, meter.energy_type, meter.unit, flow=meter.flow)
        if meter.virtual_formula or info.energy_type not in _ELECTRIC or info.role not in ROLES:
            continue
        intervals = stored_intervals(session, facility, meter.code, start=start, end=end)
        unknown = np.flatnonzero(intervals.quality >= Quality.MISSING)
        if unknown.size:
            first = int(intervals.start[unknown[0]].astype(np.int64))
            rule = Message(
                "%(count)s 15-minute intervals of %(year)s have no known energy, the first at "
                "%(first)s (%(quality)s): hourly matching needs every hour",
                count=int(unknown.size),
                year=year,
                first=local_time(first),
                quality=Quality(int(intervals.quality[unknown[0]])).label,
            )
            where = Message("meter %(code)s", code=meter.code)
            problems.append(InputProblem(where, "energy", None, rule))
            continue
        kwh = intervals.energy * conversion_factor(intervals.unit, "kWh")
        in_consumption, in_supply = ROLES[info.role]
        consumption += in_consumption * kwh
        supply += in_supply * kwh
        chosen[info.role].append(meter.code)
    for role in ("supply", "generation"):
        if not chosen[role] and not problems:
            rule = Message(
                "the facility has no physical electricity meter with flow %(flow)s: hourly "
                "matching needs the electricity bought and the on-site generation",
                flow=role,
            )
            problems.append(InputProblem(Message("facility %(code)s", code=facility.code),
                                         "meters", None, rule))  # fmt: skip
    if problems:
        raise InputError(problems)
    first = datetime(year, 1, 1)
    stamps = [first + timedelta(minutes=15 * i) for i in range(steps)]
    match = hourly_match(stamps, consumption, {"onsite_generation_used": supply})
    return MeterMatching(facility.code, year, chosen, match)
