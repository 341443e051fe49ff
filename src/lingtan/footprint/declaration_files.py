"""Declaration files (YAML): a battery's declaration and an installation's CBAM communication.

A battery declaration file names the battery model and its footprint by stage::

    battery:
      manufacturer: Demo Cell Co., Ltd.
      model: LFP-280-PACK-60
      plant: Suzhou, Jiangsu, CN
      usable_energy_kwh: 60
      service_years: 8
      vehicle_category: M1        # or cycles_per_year: 300 for an industrial battery
      conformity_id: EU-DoC-2026-0042
      study_url: https://example.com/pcf-study
    footprint_kg_co2e:            # one battery, by lingtan's stage code
      raw_materials: 4200
      production: 1300
      distribution: 80
      end_of_life: 120

A CBAM file names the installation and its goods (Annex IV symbols, per reporting period)::

    installation:
      name: Demo Steel Works
      country: CN
      period_start: 2026-01-01
      period_end: 2026-12-31
    goods:
      - cn_code: "72083900"
        name: Hot-rolled flat products
        route: BF-BOF
        production_t: 1000
        attributed_direct_tco2e: 1800
        electricity_mwh: 400
        electricity_factor: 0.55
        factor_source: the installation's own supply contract
        precursors:
          - {name: pig iron, mass_t: 900, see_direct: 1.9, see_indirect: 0.05}
        carbon_price: {instrument: China ETS, price_per_tco2e: 90, currency: CNY,
                       covered_tco2e: 1800}
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, fields
from datetime import date
from pathlib import Path
from typing import Any

from lingtan.errors import InputError, InputProblem
from lingtan.footprint.declarations import (
    BATTERY_STAGES,
    BatteryDeclaration,
    BatteryModel,
    CarbonPrice,
    CbamGood,
    CbamLine,
    PrecursorUse,
    battery_declaration,
    cbam_line,
)
from lingtan.i18n import NP_, Message
from lingtan.yamlinput import read_yaml_file

__all__ = [
    "CBAM_COLUMNS",
    "CbamCommunication",
    "Installation",
    "battery_document",
    "battery_rows",
    "cbam_document",
    "cbam_rows",
    "read_battery_file",
    "read_cbam_file",
]


@dataclass(frozen=True)
class Installation:
    """The installation block of the communication template."""

    name: str
    country: str
    period_start: date
    period_end: date
    street: str | None = None
    economic_activity: str | None = None
    unlocode: str | None = None
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True)
class CbamCommunication:
    """An installation's communication: its goods' lines and the period's totals [t CO2e]."""

    installation: Installation
    lines: tuple[CbamLine, ...]

    @property
    def direct_tco2e(self) -> float:
        """The installation's direct emissions attributed to the goods."""
        return sum(line.good.attributed_direct_tco2e for line in self.lines)

    @property
    def indirect_tco2e(self) -> float:
        """The installation's indirect emissions: electricity times its factor."""
        return sum(line.good.electricity_mwh * line.good.electricity_factor for line in self.lines)


class _Reader:
    """Reads a dataclass's fields from a mapping, collecting every problem."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.problems: list[InputProblem] = []

    def add(self, where: str, field: str, value: Any, rule: Message) -> None:
        self.problems.append(InputProblem(where, field, value, rule))

    def mapping(self, data: Any, where: str, field: str) -> dict | None:
        if not isinstance(data, dict):
            rule = Message("is required") if data is None else Message("must be a mapping")
            self.add(where, field, data, rule)
            return None
        return data

    def record(self, cls: type, data: dict, where: str, *, nested: dict | None = None) -> Any:
        """An instance of ``cls`` from ``data``: text, number and date fields by their
        annotation; ``nested`` reads the others (``name -> function(value, where)``)."""
        nested, before = nested or {}, len(self.problems)
        known = {f.name: f for f in fields(cls)}
        values: dict[str, Any] = {}
        for key in data:
            if key not in known:
                rule = Message("unknown field (known: %(fields)s)", fields=", ".join(known))
                self.add(where, str(key), data[key], rule)
        for name, spec in known.items():
            required = spec.default is MISSING and spec.default_factory is MISSING
            value = data.get(name)
            if value is None:
                if required:
                    self.add(where, name, None, Message("is required"))
                continue
            kind = str(spec.type)
            if name in nested:
                values[name] = nested[name](value, f"{where}.{name}")
            elif kind.startswith("float"):
                if isinstance(value, bool) or not isinstance(value, int | float):
                    self.add(where, name, value, Message("must be a number"))
                elif not math.isfinite(value):
                    self.add(where, name, value, Message("must be a finite number"))
                else:
                    values[name] = float(value)
            elif kind.startswith("date"):
                if isinstance(value, date):
                    values[name] = value
                else:
                    try:
                        values[name] = date.fromisoformat(str(value))
                    except ValueError:
                        rule = Message("must be a date (YYYY-MM-DD)")
                        self.add(where, name, value, rule)
            elif isinstance(value, str | int) and not isinstance(value, bool):
                values[name] = str(value)
            else:
                self.add(where, name, value, Message("must be text"))
        if len(self.problems) > before:
            return None
        return cls(**values)

    def done(self) -> None:
        if self.problems:
            raise InputError(self.problems, origin=self.origin)


def _load(path: str | Path) -> tuple[dict, _Reader, str]:
    path = Path(path)
    data = read_yaml_file(path, path.name)
    reader = _Reader(str(path))
    if not isinstance(data, dict):
        raise InputError(InputProblem(path.name, "file", None, Message("must be a mapping")))
    return data, reader, path.name


def read_battery_file(
    path: str | Path, stages_for: Callable[[BatteryModel], Mapping[str, float]] | None = None
) -> BatteryDeclaration:
    """The declaration of the battery declaration file at ``path``.

    ``stages_for`` gives the footprint of one battery by stage instead of the file's
    ``footprint_kg_co2e`` (a study's result scaled to the battery's energy); the file must then
    not hold one.

    Raises
    ------
    InputError
        Every problem of the file (:func:`~lingtan.footprint.declarations.battery_declaration`).
    """
    data, reader, name = _load(path)
    for key in data:
        if key not in ("battery", "footprint_kg_co2e"):
            rule = Message("unknown field (known: %(fields)s)", fields="battery, footprint_kg_co2e")
            reader.add(name, str(key), data[key], rule)
    section = reader.mapping(data.get("battery"), name, "battery")
    battery = None if section is None else reader.record(BatteryModel, section, f"{name} battery")
    stages = None
    if stages_for is None:
        stages = reader.mapping(data.get("footprint_kg_co2e"), name, "footprint_kg_co2e")
    elif data.get("footprint_kg_co2e") is not None:
        rule = Message("is given by the file and by the study: keep one")
        reader.add(name, "footprint_kg_co2e", "…", rule)
    reader.done()
    assert battery is not None
    if stages is None:
        assert stages_for is not None
        stages = stages_for(battery)
    return battery_declaration(battery, stages, where=f"{name} footprint_kg_co2e")


def read_cbam_file(path: str | Path) -> CbamCommunication:
    """The communication of the CBAM file at ``path``.

    Raises
    ------
    InputError
        Every problem of the file (:func:`~lingtan.footprint.declarations.cbam_line`).
    """
    data, reader, name = _load(path)
    for key in data:
        if key not in ("installation", "goods"):
            rule = Message("unknown field (known: %(fields)s)", fields="installation, goods")
            reader.add(name, str(key), data[key], rule)
    section = reader.mapping(data.get("installation"), name, "installation")
    installation = (
        None if section is None else reader.record(Installation, section, f"{name} installation")
    )

    def precursors(value: Any, where: str) -> tuple[PrecursorUse, ...]:
        if not isinstance(value, list):
            reader.add(where, "precursors", value, Message("must be a list"))
            return ()
        found = []
        for number, item in enumerate(value, 1):
            place = f"{where} {number}"
            if reader.mapping(item, place, "precursor") is not None:
                found.append(reader.record(PrecursorUse, item, place))
        return tuple(found)

    def carbon_price(value: Any, where: str) -> CarbonPrice | None:
        if reader.mapping(value, where, "carbon_price") is None:
            return None
        return reader.record(CarbonPrice, value, where)

    goods = data.get("goods")
    records: list[CbamGood] = []
    if not isinstance(goods, list) or not goods:
        reader.add(name, "goods", goods, Message("must be a list of one or more goods"))
    else:
        for number, item in enumerate(goods, 1):
            where = f"{name} goods {number}"
            if reader.mapping(item, where, "good") is not None:
                nested = {"precursors": precursors, "carbon_price": carbon_price}
                records.append(reader.record(CbamGood, item, where, nested=nested))
    reader.done()
    assert installation is not None
    lines = [cbam_line(good, where=f"{name} goods {n}") for n, good in enumerate(records, 1)]
    return CbamCommunication(installation, tuple(lines))


#: The product-line columns of the template's Summary_Communication sheet, in its order:
#: (key, English heading of the template).
CBAM_COLUMNS = (
    ("route", NP_("cbam", "Production process / route")),
    ("cn_code", NP_("cbam", "CN code")),
    ("name", NP_("cbam", "Product name")),
    ("production_t", NP_("cbam", "Activity level (t)")),
    ("see_direct", NP_("cbam", "SEE direct (tCO2e/t)")),
    ("see_indirect", NP_("cbam", "SEE indirect (tCO2e/t)")),
    ("see_total", NP_("cbam", "SEE total (tCO2e/t)")),
    ("default_share_pct", NP_("cbam", "Share of emissions from default values (%)")),
    ("factor_source", NP_("cbam", "Source of electricity emission factor")),
    ("embedded_electricity_mwh_per_t", NP_("cbam", "Embedded electricity (MWh/t)")),
    ("electricity_factor", NP_("cbam", "Electricity emission factor (tCO2/MWh)")),
    ("instrument", NP_("cbam", "Carbon price: instrument")),
    ("currency", NP_("cbam", "Carbon price: currency")),
    ("carbon_price_due", NP_("cbam", "Effective carbon price due")),
    ("carbon_price_due_per_t", NP_("cbam", "Effective carbon price due per t of good")),
)


def cbam_rows(communication: CbamCommunication) -> list[dict[str, Any]]:
    """The product lines of ``communication`` keyed as :data:`CBAM_COLUMNS`."""
    rows = []
    for line in communication.lines:
        good, price = line.good, line.good.carbon_price
        rows.append(
            {
                "route": good.route,
                "cn_code": good.cn_code,
                "name": good.name,
                "production_t": good.production_t,
                "see_direct": line.see_direct,
                "see_indirect": line.see_indirect,
                "see_total": line.see_total,
                "default_share_pct": good.default_share_pct,
                "factor_source": good.factor_source,
                "embedded_electricity_mwh_per_t": line.embedded_electricity_mwh_per_t,
                "electricity_factor": good.electricity_factor,
                "instrument": None if price is None else price.instrument,
                "currency": None if price is None else price.currency,
                "carbon_price_due": line.carbon_price_due,
                "carbon_price_due_per_t": line.carbon_price_due_per_t,
            }
        )
    return rows


def battery_rows(declared: BatteryDeclaration) -> list[dict[str, Any]]:
    """The declaration by stage (kg CO2e a battery and per kWh of total energy), its total,
    then the stages it leaves out (the use stage: per battery only)."""
    rows: list[dict[str, Any]] = [
        {
            "stage": stage,
            "kg_co2e_per_battery": declared.stages_kg_per_battery[stage],
            "kg_co2e_per_kwh": declared.stages[stage],
        }
        for stage in BATTERY_STAGES
    ]
    rows.append(
        {
            "stage": "total",
            "kg_co2e_per_battery": sum(declared.stages_kg_per_battery.values()),
            "kg_co2e_per_kwh": declared.total,
        }
    )
    rows += [
        {"stage": stage, "kg_co2e_per_battery": value, "kg_co2e_per_kwh": None}
        for stage, value in declared.excluded.items()
    ]
    return rows


def battery_document(declared: BatteryDeclaration, file: str) -> dict[str, Any]:
    """The declaration's figures as JSON (``lingtan footprint battery --format json``)."""
    battery = declared.battery
    return {
        "manufacturer": battery.manufacturer,
        "trade_name": battery.trade_name,
        "address": battery.address,
        "model": battery.model,
        "plant": battery.plant,
        "conformity_id": battery.conformity_id,
        "study_url": battery.study_url,
        "vehicle_category": battery.vehicle_category,
        "usable_energy_kwh": battery.usable_energy_kwh,
        "cycles_per_year": declared.cycles_per_year,
        "cycles_basis": declared.cycles_basis,
        "service_years": battery.service_years,
        "total_energy_kwh": declared.total_energy_kwh,
        "carbon_footprint_kg_co2e_per_kwh": declared.total,
        "stages_kg_co2e_per_kwh": declared.stages,
        "stages_kg_co2e_per_battery": declared.stages_kg_per_battery,
        "excluded_kg_co2e_per_battery": declared.excluded,
        "file": file,
    }


def cbam_document(communication: CbamCommunication, file: str) -> dict[str, Any]:
    """The communication's figures as JSON (``lingtan footprint cbam --format json``)."""
    site = communication.installation
    return {
        "installation": {
            "name": site.name,
            "country": site.country,
            "period_start": site.period_start.isoformat(),
            "period_end": site.period_end.isoformat(),
        },
        "direct_tco2e": communication.direct_tco2e,
        "indirect_tco2e": communication.indirect_tco2e,
        "goods": cbam_rows(communication),
        "file": file,
    }
