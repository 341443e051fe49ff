"""The equipment register (设备台账) as a table: one item per row, units in the headers.

A CSV file is read here (:func:`read_register_text`); a workbook's first sheet is read into the
same rows by the service (:func:`read_register_rows`), with the same columns and rules.

Columns (a header may be in any order; unknown columns are kept but not read, except a column
that names a known quantity in another unit, e.g. ``rated_power_w``, which is refused):

* ``id`` (required, unique), ``type`` (required: :data:`EQUIPMENT_TYPES`), ``name``, ``kind``;
* motor (low-voltage induction) and pm_motor (permanent-magnet synchronous, with ``drive``):
  ``rated_power_kw``, ``poles``, ``efficiency_pct``;
* transformer: ``rated_capacity_kva``, ``voltage_kv``, ``insulation`` (``oil`` | ``dry``),
  ``insulation_class`` (``B`` | ``F`` | ``H``, dry types), ``core`` (``electrical_steel`` |
  ``amorphous``), ``connection`` (``Dyn11`` | ``Yzn11`` | ``Yyn0``), ``no_load_loss_kw``,
  ``load_loss_kw``;
* air compressor: ``rated_power_kw``, ``discharge_pressure_mpa``, ``cooling`` (``air`` |
  ``water``), ``drive`` (``fixed`` | ``variable``), ``specific_power_kw_per_m3_min``;
* high-voltage motor (GB 30254): ``rated_power_kw``, ``poles``, ``voltage_kv``,
  ``cooling_code`` (IEC 60034-6: ``IC01``, ``IC411``, ``IC81W`` …), ``efficiency_pct``;
* fan (GB 19761): ``kind`` (``centrifugal`` | ``axial`` | ``external_rotor``),
  ``pressure_coefficient`` (ψ), ``specific_speed`` (ns; not for axial fans), ``hub_ratio`` (γ,
  axial fans), ``fan_number`` (the machine number, No.), ``efficiency_pct``;
* chiller (GB 19577): ``kind`` (``comfort`` | ``data_centre``), ``cooling`` (``water`` |
  ``air`` | ``evaporative``), ``rating_system`` (``part_load``: IPLV, CSPF or ACCOP with a
  COPc floor, Table 1; ``full_load``: COPc with a part-load floor, Table 2),
  ``cooling_capacity_kw``, and its figures ``iplv``, ``cspf``, ``accop``, ``copc`` [W/W];
* boiler: ``fuel`` (``natural_gas`` | ``oil`` | ``coal`` | ``biomass`` | ``electricity``),
  ``combustion`` (``chamber`` | ``grate`` | ``fluidised_bed``), ``condensing`` (``yes`` |
  ``no``), ``thermal_efficiency_pct`` (on the net calorific value: a condensing boiler may
  exceed 100 %);
* data centre: ``pue``; a product of the NDRC levels: ``kind`` and ``energy_kgce_per_t`` (or
  ``ac_power_kwh_per_t``, ``energy_kgce_per_weight_box``);
* every item: ``running_hours_per_year`` [h], ``load_factor`` [0–1], ``replacement_cost_cny``.

A blank cell is a missing value (the grade says which one it needed). A file is read all or
nothing: every bad cell is named (file, row, column, value, rule).
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from lingtan.errors import InputError, InputProblem, Problems, one_of, read_text_file
from lingtan.i18n import N_, Message

__all__ = [
    "CHOICES",
    "EQUIPMENT_TYPES",
    "NUMBERS",
    "REGISTER_COLUMNS",
    "TEXTS",
    "RegisterRow",
    "csv_register_rows",
    "read_register_file",
    "read_register_rows",
    "read_register_text",
]

#: The types of equipment a register may hold (the shipped pack grades some of them; the
#: others are out of its scope until their tables are sourced).
EQUIPMENT_TYPES = (
    "motor",
    "pm_motor",
    "hv_motor",
    "transformer",
    "air_compressor",
    "fan",
    "pump",
    "chiller",
    "boiler",
    "data_centre",
    "product",
)

#: Choices of the categorical columns.
CHOICES: dict[str, tuple[str, ...]] = {
    "insulation": ("oil", "dry"),
    "insulation_class": ("B", "F", "H"),
    "core": ("electrical_steel", "amorphous"),
    "connection": ("Dyn11", "Yzn11", "Yyn0"),
    "cooling": ("air", "water", "evaporative"),
    "drive": ("fixed", "variable"),
    "fuel": ("natural_gas", "oil", "coal", "biomass", "electricity"),
    "combustion": ("chamber", "grate", "fluidised_bed"),
    "condensing": ("yes", "no"),
    "rating_system": ("part_load", "full_load"),
}


def _positive(value: float) -> Message | None:
    return None if value > 0 else Message("must be positive")


def _not_negative(value: float) -> Message | None:
    return None if value >= 0 else Message("must not be negative")


def _percentage(value: float) -> Message | None:
    if 0 < value <= 100:
        return None
    return Message("must be above 0 and at most 100 %%")


def _thermal_percentage(value: float) -> Message | None:
    if 0 < value <= 110:
        return None
    return Message("must be above 0 and at most 110 %% (on the net calorific value)")


def _fraction(value: float) -> Message | None:
    if 0 <= value <= 1:
        return None
    return Message("must be between 0 and 1 (a fraction, not a percentage)")


def _hours(value: float) -> Message | None:
    if 0 <= value <= 8784:
        return None
    return Message("must be between 0 and 8784 hours (a leap year)")


def _pue(value: float) -> Message | None:
    return None if value >= 1 else Message("must be at least 1")


def _ratio(value: float) -> Message | None:
    if 0 < value < 1:
        return None
    return Message("must be above 0 and below 1")


def _whole(value: float) -> Message | None:
    if value > 0 and value.is_integer():
        return None
    return Message("must be a positive whole number")


#: The numeric columns and the rule each value must meet.
NUMBERS: dict[str, Callable[[float], Message | None]] = {
    "rated_power_kw": _positive,
    "poles": _whole,
    "efficiency_pct": _percentage,
    "rated_capacity_kva": _positive,
    "voltage_kv": _positive,
    "no_load_loss_kw": _not_negative,
    "load_loss_kw": _not_negative,
    "discharge_pressure_mpa": _positive,
    "specific_power_kw_per_m3_min": _positive,
    "pressure_coefficient": _positive,
    "specific_speed": _positive,
    "fan_number": _positive,
    "hub_ratio": _ratio,
    "cooling_capacity_kw": _positive,
    "iplv": _positive,
    "cspf": _positive,
    "accop": _positive,
    "copc": _positive,
    "thermal_efficiency_pct": _thermal_percentage,
    "pue": _pue,
    "energy_kgce_per_t": lambda value: None,  # may be negative (converter steelmaking)
    "ac_power_kwh_per_t": _positive,
    "energy_kgce_per_weight_box": _positive,
    "running_hours_per_year": _hours,
    "load_factor": _fraction,
    "replacement_cost_cny": _not_negative,
}
#: Text columns with a form: the column, the pattern a value must match (whole) and the rule
#: told when it does not.
TEXTS: dict[str, tuple[re.Pattern[str], str]] = {
    # IEC 60034-6 cooling method, simplified designation (IC01, IC411, IC81W …)
    "cooling_code": (
        re.compile(r"IC[0-9]{1,4}[A-Z]?"),
        N_("must be a cooling method code of IEC 60034-6 such as IC01, IC411 or IC81W"),
    ),
}
REGISTER_COLUMNS = ("id", "type", "name", "kind", *NUMBERS, *CHOICES, *TEXTS)

#: The stem of each quantity and the one column (unit) lingtan reads it from.
_STEMS = {
    "rated_power": "rated_power_kw",
    "rated_capacity": "rated_capacity_kva",
    "efficiency": "efficiency_pct",
    "voltage": "voltage_kv",
    "no_load_loss": "no_load_loss_kw",
    "load_loss": "load_loss_kw",
    "discharge_pressure": "discharge_pressure_mpa",
    "specific_power": "specific_power_kw_per_m3_min",
    "thermal_efficiency": "thermal_efficiency_pct",
    "cooling_capacity": "cooling_capacity_kw",
    "running_hours": "running_hours_per_year",
    "replacement_cost": "replacement_cost_cny",
}


def _header_problems(header: list[str], where: str | Message) -> list[InputProblem]:
    problems = []
    for column in ("id", "type"):
        if column not in header:
            problems.append(
                InputProblem(where, column, None, Message("required column is missing"))
            )
    for column in header:
        if column in REGISTER_COLUMNS:
            continue
        for stem, known in _STEMS.items():
            if column == stem or column.startswith(stem + "_"):
                problems.append(
                    InputProblem(
                        where,
                        column,
                        None,
                        Message(
                            "is a quantity in a unit lingtan does not read: give it as %(column)s",
                            column=known,
                        ),
                    )
                )
                break
    duplicates = sorted({c for c in header if c and header.count(c) > 1})
    for column in duplicates:
        problems.append(InputProblem(where, column, None, Message("appears twice in the header")))
    return problems


#: A row of a register table: where it is (file and row, or file, sheet and row), its row
#: number and its cells by column (text; blank or None: missing).
RegisterRow = tuple[Message, int, dict[str, str | None]]


def csv_register_rows(text: str, where: str) -> tuple[list[str], list[RegisterRow]]:
    """The header and the rows of register CSV text (the header is row 1)."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in reader.fieldnames or []]
    reader.fieldnames = header
    rows = [
        (Message("%(file)s row %(row)d", file=where, row=number), number, row)
        for number, row in enumerate(reader, start=2)
    ]
    return header, rows


def read_register_text(text: str, where: str) -> list[dict[str, Any]]:
    """The items of a register from CSV text (see the module documentation); see
    :func:`read_register_rows`."""
    header, rows = csv_register_rows(text, where)
    return read_register_rows(header, rows, where)


def read_register_rows(
    header: list[str],
    rows: Iterable[RegisterRow],
    where: str,
    *,
    table: str | Message | None = None,
) -> list[dict[str, Any]]:
    """The items of a register table (see the module documentation): ``where`` the file,
    ``table`` its sheet (``file sheet X``) for a workbook.

    Returns
    -------
    list of dict
        One per row: ``id``, ``type`` and every non-blank known column, numbers as float,
        ``row`` the row number in the file.

    Raises
    ------
    InputError
        Naming the file (and sheet), row, column, value and rule of every bad cell; nothing is
        read then.
    """
    problems = Problems(_header_problems(header, table or where))
    if problems:
        raise InputError(problems, origin=where)
    items: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for at, number, row in rows:
        item: dict[str, Any] = {"row": number}
        for column in REGISTER_COLUMNS:
            text_value = (row.get(column) or "").strip()
            if not text_value:
                continue
            if column in NUMBERS:
                try:
                    value = float(text_value)
                except ValueError:
                    value = math.nan
                if not math.isfinite(value):
                    problems.append(
                        InputProblem(at, column, text_value, Message("must be a number"))
                    )
                    continue
                rule = NUMBERS[column](value)
                if rule is not None:
                    problems.append(InputProblem(at, column, text_value, rule))
                    continue
                item[column] = value
            elif column in TEXTS:
                pattern, rule_text = TEXTS[column]
                if not pattern.fullmatch(text_value):
                    problems.append(InputProblem(at, column, text_value, Message(rule_text)))
                    continue
                item[column] = text_value
            elif column in CHOICES:
                if text_value not in CHOICES[column]:
                    problems.append(InputProblem(at, column, text_value, one_of(CHOICES[column])))
                    continue
                item[column] = text_value
            else:
                item[column] = text_value
        if "id" not in item:
            problems.append(InputProblem(at, "id", None, Message("is required")))
        elif item["id"] in seen:
            problems.append(
                InputProblem(
                    at, "id", item["id"], Message("repeats row %(row)d", row=seen[item["id"]])
                )
            )
        else:
            seen[item["id"]] = number
        kind = item.get("type")
        if kind is None:
            problems.append(InputProblem(at, "type", None, Message("is required")))
        elif kind not in EQUIPMENT_TYPES:
            problems.append(InputProblem(at, "type", kind, one_of(EQUIPMENT_TYPES)))
        items.append(item)
    if problems:
        raise InputError(problems, origin=where)
    return items


def read_register_file(path: str | Path) -> list[dict[str, Any]]:
    """The items of a register CSV file (UTF-8); see :func:`read_register_text`."""
    return read_register_text(read_text_file(path), str(path))
