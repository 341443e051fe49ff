"""The equipment register (设备台账) in the store: import, grades on read, replacement estimates.

:func:`import_equipment` loads a register file (:func:`lingtan.efficiency.register.
read_register_text`, plus a ``node`` column: the code of the node of the metering tree the item
hangs on) into one facility, all or nothing. **The file is the facility's register**: its
items are upserted by ``id`` and stored items the file no longer lists are removed, so
importing the same file again changes nothing (no batch, no audit entry). A file that changes
anything is stored as evidence (SHA-256) with an import batch, and every item added, changed or
removed goes into one audit entry (``equipment``, keyed by the facility's id, before and after
per item).

:func:`equipment_register` grades the stored items on read against the shipped standards
(:func:`lingtan.efficiency.grading.grade_many`), so that a new version of the standards pack is
reflected at once, and estimates for every item below grade 1 the yearly saving of a grade-1
replacement (:func:`lingtan.efficiency.replacement.replacement_estimate`):

* **basis** ``measured``: the item is the only one of the register on a node that has its own
  electricity meter; the node's metered electricity of the year [kWh] is the item's input
  energy E and stands for ``rated_power_kw × load_factor × running_hours_per_year``
  (a motor's output energy is E × η). A transformer is never on this basis: its meter measures
  the energy through it, not its losses;
* **basis** ``nameplate``: otherwise, rated power × load factor × hours, as the register gives
  them; the reason the measured basis was not used is given.

tCO2 use the facility's location-based grid factor for the year, chosen from the factor
library by its region as the energy pages choose it (:func:`lingtan.metering.energy.
carbon_factor`); CNY the mean electricity price the facility paid in the year under its stored
tariff (the cost of the metered electricity's energy component over its kWh,
:func:`lingtan.services.cost.cost_by`), None without a tariff or metered electricity.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from lingtan.catalog import UnknownRegionError, resolve_region
from lingtan.efficiency.grading import Grade, Level, grade_many
from lingtan.efficiency.register import (
    RegisterRow,
    csv_register_rows,
    read_register_rows,
)
from lingtan.efficiency.replacement import Replacement, replacement_estimate
from lingtan.efficiency.standards import StandardTable, Threshold
from lingtan.errors import InputError, InputProblem, Problems, read_text_file
from lingtan.factors import FactorLibrary, shipped_library
from lingtan.i18n import N_, Message
from lingtan.imports.load import record_file_import
from lingtan.imports.tables import read_tables
from lingtan.metering.energy import MeterInfo, carbon_factor
from lingtan.metering.energy_store import last_metered_day, load_energy, month_span
from lingtan.store import audit
from lingtan.store.evidence import EvidenceStore
from lingtan.store.models import Equipment, Facility, MeterNode, utc_now

__all__ = [
    "BASES",
    "LEVELS",
    "REGISTER_FILES",
    "EquipmentImport",
    "EquipmentRegister",
    "equipment_register",
    "import_equipment",
]

#: The verdicts in the order a page lists them, best first.
LEVELS = tuple(Level)
#: What a replacement estimate is computed from.
BASES = ("measured", "nameplate")
#: Columns of an item kept as their own database columns (the rest go into ``attributes``).
_OWN = ("id", "type", "name", "row", "replacement_cost_cny")
_MEASURABLE = ("motor", "pm_motor", "hv_motor", "air_compressor")
_NO_TARIFF = N_("the facility has no tariff")


@dataclass(frozen=True, slots=True)
class EquipmentImport:
    """What an import did: items read, added, changed, removed, unchanged; the batch (None
    when nothing changed)."""

    facility: str
    read: int
    added: int
    changed: int
    removed: int
    unchanged: int
    batch_id: int | None


#: The register files lingtan reads: CSV (UTF-8) and Excel workbooks (the first sheet).
REGISTER_FILES = (".csv", ".xlsx", ".xlsm")


def _cell_text(value: Any) -> str | None:
    # Excel keeps a whole number typed in a cell (an id 1001, 4 poles) as the float 1001.0
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return None if value is None or value == "" else str(value)


def _register_rows(path: Path) -> tuple[list[str], list[RegisterRow], Message | None]:
    """The header, the rows and (for a workbook) the sheet of a register file."""
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        header, rows = csv_register_rows(read_text_file(path, path.name), path.name)
        return header, rows, None
    # the workbook readers of the other imports (size-bounded, calamine or openpyxl)
    tables = read_tables(path)
    if not tables:
        raise InputError(InputProblem(path.name, "file", path.name, Message("is empty")))
    table = tables[0]
    header = [h.strip() for h in table.header]
    rows: list[RegisterRow] = []
    for number, values in table.rows:
        at = Message("%(file)s row %(row)d", file=table.origin, row=number)
        cells = dict(zip(header, map(_cell_text, values), strict=False))
        rows.append((at, number, cells))
    return header, rows, table.origin


def _nodes_column(
    rows: list[RegisterRow], where: str, nodes: dict[str, int]
) -> dict[int, int | None]:
    """The ``node`` of every row (its node's id), by row number; unknown codes refused."""
    found: dict[int, int | None] = {}
    problems = Problems()
    for at, number, row in rows:
        code = (row.get("node") or "").strip()
        if not code:
            found[number] = None
        elif code in nodes:
            found[number] = nodes[code]
        else:
            rule = Message("no such node in the facility's metering tree")
            problems.append(InputProblem(at, "node", code, rule))
    if problems:
        raise InputError(problems, origin=where)
    return found


def _state(item: Equipment, node_codes: dict[int, str]) -> dict[str, Any]:
    """An item as the audit log keeps it."""
    return {
        "type": item.equipment_type,
        "name": item.name,
        "node": node_codes.get(item.node_id) if item.node_id else None,
        "attributes": dict(sorted(item.attributes.items())),
        "replacement_cost_cny": item.replacement_cost_cny,
    }


def import_equipment(
    session: Session,
    facility: Facility,
    path: str | Path,
    *,
    evidence: EvidenceStore,
    actor: str,
) -> EquipmentImport:
    """Import a register file (CSV, UTF-8, or an .xlsx workbook's first sheet, the same
    columns) as ``facility``'s equipment register, all or nothing.

    The file replaces the register: items are matched by ``id`` (added, changed or left
    alone), stored items missing from the file are removed. Nothing changed: nothing written.

    Raises
    ------
    InputError
        Every bad cell (file, row, column, value, rule), an unknown ``node`` included; nothing
        is written.
    """
    path = Path(path)
    where = path.name
    header, rows, table = _register_rows(path)
    items = read_register_rows(header, rows, where, table=table)
    node_rows = session.execute(
        sa.select(MeterNode.code, MeterNode.id).where(MeterNode.facility_id == facility.id)
    ).all()
    nodes = {code: node_id for code, node_id in node_rows}
    node_codes = {node_id: code for code, node_id in node_rows}
    node_of = _nodes_column(rows, where, nodes)

    stored = {
        e.code: e
        for e in session.scalars(sa.select(Equipment).where(Equipment.facility_id == facility.id))
    }
    wanted = {}
    for item in items:
        attributes = {k: v for k, v in item.items() if k not in _OWN}
        wanted[item["id"]] = {
            "type": item["type"],
            "name": item.get("name", ""),
            "node": node_of.get(item["row"]),
            "attributes": dict(sorted(attributes.items())),
            "replacement_cost_cny": item.get("replacement_cost_cny"),
            "row": item["row"],
        }
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    added = changed = unchanged = 0
    for code, want in wanted.items():
        row = stored.get(code)
        state = {
            "type": want["type"],
            "name": want["name"],
            "node": node_codes.get(want["node"]) if want["node"] else None,
            "attributes": want["attributes"],
            "replacement_cost_cny": want["replacement_cost_cny"],
        }
        if row is not None and _state(row, node_codes) == state:
            unchanged += 1
            continue
        if row is None:
            added += 1
        else:
            changed += 1
            before[code] = _state(row, node_codes)
        after[code] = state
    removed = [code for code in stored if code not in wanted]
    for code in removed:
        before[code] = _state(stored[code], node_codes)
    if not before and not after:
        return EquipmentImport(facility.code, len(items), 0, 0, 0, unchanged, None)

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
    for code in removed:
        session.delete(stored[code])
    for code in after:
        want = wanted[code]
        row = stored.get(code)
        if row is None:
            row = Equipment(facility_id=facility.id, code=code, created_at=now)
            session.add(row)
        row.equipment_type = want["type"]
        row.name = want["name"]
        row.node_id = want["node"]
        row.attributes = want["attributes"]
        row.replacement_cost_cny = want["replacement_cost_cny"]
        row.source_row = want["row"]
        row.import_id = batch.id
        row.evidence_id = kept.id
        row.updated_at = now
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="import",
        entity="equipment",
        entity_key=str(facility.id),
        before={"items": before} if before else None,
        after={
            "kind": "equipment_register",
            "file": where,
            "sha256": batch.sha256,
            "import_batch": batch.id,
            "items": after,
            "removed": removed,
        },
    )
    return EquipmentImport(
        facility.code, len(items), added, changed, len(removed), unchanged, batch.id
    )


# --- the graded register ----------------------------------------------------------------------


def _kgce_per_kwh(library: FactorLibrary) -> float:
    selection = library.select("standard_coal", "electricity", "equivalent")
    return selection.factor.value_in("kgce/kWh")


def _threshold_text(row: Threshold) -> str:
    op = "≥" if row.higher_is_better else "≤"
    unit = "" if row.unit in ("", "1") else f" {row.unit}"
    return f"{row.metric} {op} {row.value:g}{unit}"


def _status(judged: Grade) -> str | None:
    statuses = {row.status for row in judged.thresholds}
    if not statuses:
        return None
    return "unverified" if "unverified" in statuses else "official"


def _grade_1(judged: Grade) -> list[Threshold]:
    return [
        row
        for metric in judged.metrics
        for row in metric.thresholds
        if row.level == 1 and row.value is not None
    ]


@dataclass
class EquipmentRegister:
    """A facility's graded register for one year.

    Attributes
    ----------
    items : list of dict
        One per item (see :func:`equipment_register`).
    counts : dict
        Items per level (every level of :data:`LEVELS`, 0 included), before the filters.
    grid_factor : dict
        ``tco2_per_mwh`` [tCO2/MWh] (None without one), ``region``, ``year`` and the factor's
        provenance (``factors``) or the reason there is none (``note``).
    tariff : dict
        ``cny_per_kwh`` [CNY/kWh] (None without one) and how it was found (``note``).
    """

    facility: str
    year: int
    items: list[dict[str, Any]]
    counts: dict[str, int]
    grid_factor: dict[str, Any]
    tariff: dict[str, Any]
    kgce_per_kwh: float
    types: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "facility": self.facility,
            "year": self.year,
            "counts": self.counts,
            "grid_factor": self.grid_factor,
            "tariff": self.tariff,
            "kgce_per_kwh": self.kgce_per_kwh,
            "types": self.types,
            "items": self.items,
        }


def _grid(facility: Facility, year: int, library: FactorLibrary) -> dict[str, Any]:
    try:
        region = resolve_region(facility.region).code
    except UnknownRegionError as error:
        return {"tco2_per_mwh": None, "region": facility.region, "year": year,
                "note": error.message, "factors": []}  # fmt: skip
    meter = MeterInfo("grid", "electricity", "MWh", None, "supply", None)
    found = carbon_factor(meter, region=region, year=year, library=library)
    return {
        "tco2_per_mwh": found.value,
        "region": region,
        "year": year,
        "note": found.note or None,
        "factors": [use.as_dict() for use in found.uses],
    }


def _metered(
    session: Session, facility: Facility, year: int, nodes: set[str], with_tariff: bool
) -> tuple[dict[str, float], dict[str, Any]]:
    """The metered electricity of ``nodes`` with own meters in ``year`` [kWh], and the mean
    price of the facility's electricity under its tariff."""
    start, end = month_span(year)
    energy = load_energy(session, facility, start, end, refresh=False)
    whole = {code: v for period in energy.periods("year").values() for code, v in period.items()}
    totals = energy.totals(whole)
    measured = {}
    for node in nodes:
        total = totals.get((node, "electricity"))
        if total is None or total.basis != "own meters" or total.energy is None:
            continue
        if total.unit == "kWh":
            measured[node] = total.energy
        elif total.unit == "MWh":
            measured[node] = total.energy * 1000.0
    tariff: dict[str, Any] = {"cny_per_kwh": None, "note": Message(_NO_TARIFF)}
    if with_tariff:
        from lingtan.services.cost import cost_by

        cost = cost_by(session, facility, start, end, energy=energy)
        lines = [
            line
            for line in cost.select(energy_type="electricity", component="energy")
            if line.cost_cny is not None
        ]
        kwh = sum(line.quantity for line in lines if line.quantity_unit == "kWh")
        cny = sum(line.cost_cny or 0.0 for line in lines if line.quantity_unit == "kWh")
        if kwh > 0:
            tariff = {
                "cny_per_kwh": cny / kwh,
                "note": Message(
                    "mean electricity price of %(year)d under the stored tariff "
                    "(%(cny).0f CNY / %(kwh).0f kWh metered)",
                    year=year,
                    cny=cny,
                    kwh=kwh,
                ),
            }
        else:
            tariff = {
                "cny_per_kwh": None,
                "note": Message("no priced metered electricity in %(year)d", year=year),
            }
    return measured, tariff


def _measured_item(item: dict[str, Any], energy_kwh: float) -> dict[str, Any]:
    """The item with the measured input energy standing for rated power × load × hours."""
    output = energy_kwh
    if item["type"] in ("motor", "pm_motor", "hv_motor"):
        output = energy_kwh * float(item["efficiency_pct"]) / 100.0
    return {**item, "rated_power_kw": output, "load_factor": 1.0, "running_hours_per_year": 1.0}


def _saving(replacement: Replacement | None) -> dict[str, Any] | None:
    if replacement is None:
        return None
    return {
        "energy_saved_kwh_per_year": replacement.energy_saved_kwh_per_year,
        "energy_saved_tce_per_year": replacement.energy_saved_tce_per_year,
        "emissions_saved_tco2_per_year": replacement.emissions_saved_tco2_per_year,
        "cost_saved_cny_per_year": replacement.cost_saved_cny_per_year,
        "investment_cny": replacement.investment_cny,
        "payback_years": replacement.payback_years,
    }


_BELOW = (Level.LEVEL_2, Level.LEVEL_3, Level.NOT_COMPLIANT)


def equipment_register(
    session: Session,
    facility: Facility,
    *,
    year: int | None = None,
    equipment_type: str | None = None,
    level: str | None = None,
    tables: list[StandardTable] | None = None,
    library: FactorLibrary | None = None,
    price: bool = True,
) -> EquipmentRegister:
    """``facility``'s register graded now, with replacement estimates for ``year``.

    Parameters
    ----------
    year : int, optional
        The year of the metered energy, grid factor and tariff (default: the year of the last
        metered day, else the current year).
    equipment_type, level : str, optional
        Only the items of this type / level (the counts are of the whole register).
    tables : list of StandardTable, optional
        Grade against these instead of the shipped standards.
    price : bool
        Price the savings at the tariff's mean price of the year (default); False skips the
        tariff (its cost calculation is the slowest part), leaving CNY and payback None.

    Returns
    -------
    EquipmentRegister
        Each item: ``id``, ``type``, ``name``, ``node``, ``attributes``, ``level``,
        ``reason`` (a :class:`~lingtan.i18n.Message`), ``standard``, ``threshold`` (the
        deciding rows as text), ``status`` (``official`` | ``unverified``), ``thresholds`` (the
        deciding rows with their provenance), ``grade_1`` (the grade-1 rows as text), and,
        below grade 1, ``estimate``: ``basis`` (``measured`` | ``nameplate``),
        ``basis_note``, ``measured_kwh_per_year`` and the savings of
        :func:`~lingtan.efficiency.replacement.replacement_estimate` (None when it lacks
        what it needs).

    References
    ----------
    GB/T 2589-2020 Appendix A (electricity 0.1229 kgce/kWh, equivalent value); GB 18613-2020,
    GB 20052-2024, GB 19153-2019 (the grade-1 thresholds).
    """
    library = library or shipped_library()
    if year is None:
        last = last_metered_day(session, facility)
        year = last.year if last is not None else date.today().year
    rows = session.scalars(
        sa.select(Equipment).where(Equipment.facility_id == facility.id).order_by(Equipment.code)
    ).all()
    node_codes = dict(
        session.execute(
            sa.select(MeterNode.id, MeterNode.code).where(MeterNode.facility_id == facility.id)
        ).all()
    )
    items = [
        {
            "id": r.code,
            "type": r.equipment_type,
            "row": r.source_row,
            **r.attributes,
            **({"replacement_cost_cny": r.replacement_cost_cny}
               if r.replacement_cost_cny is not None else {}),
        }
        for r in rows
    ]  # fmt: skip
    grades = grade_many(items, tables=tables)
    per_node = Counter(r.node_id for r in rows if r.node_id is not None)
    below = [(r, g) for r, g in zip(rows, grades, strict=True) if g.level in _BELOW and r.node_id]
    wanted_nodes = {node_codes[r.node_id] for r, _ in below if r.node_id in node_codes}
    from lingtan.services.cost import stored_tariff

    with_tariff = price and bool(stored_tariff(session, facility))
    has_below = any(g.level in _BELOW for g in grades)
    measured: dict[str, float] = {}
    tariff: dict[str, Any] = {"cny_per_kwh": None, "note": Message(_NO_TARIFF)}
    if has_below and (wanted_nodes or with_tariff):
        measured, tariff = _metered(session, facility, year, wanted_nodes, with_tariff)
    grid = _grid(facility, year, library)
    kgce = _kgce_per_kwh(library)

    counts = {str(lv): 0 for lv in LEVELS}
    out = []
    for row, item, judged in zip(rows, items, grades, strict=True):
        counts[str(judged.level)] += 1
        if equipment_type not in (None, row.equipment_type) or level not in (None, judged.level):
            continue
        node = node_codes.get(row.node_id) if row.node_id else None
        entry: dict[str, Any] = {
            "id": row.code,
            "type": row.equipment_type,
            "name": row.name,
            "node": node,
            "attributes": dict(row.attributes),
            "replacement_cost_cny": row.replacement_cost_cny,
            "level": str(judged.level),
            "reason": judged.reason,
            "standard": judged.standard,
            "threshold": "; ".join(_threshold_text(t) for t in judged.thresholds) or None,
            "status": _status(judged),
            "thresholds": [t.provenance() for t in judged.thresholds],
            "grade_1": "; ".join(_threshold_text(t) for t in _grade_1(judged)) or None,
            "import_batch": row.import_id,
            "estimate": None,
        }
        if judged.level in _BELOW:
            entry["estimate"] = _estimate(
                item, judged, node, per_node.get(row.node_id, 0), measured, grid, tariff, kgce
            )
        out.append(entry)
    types = sorted({r.equipment_type for r in rows})
    return EquipmentRegister(facility.code, year, out, counts, grid, tariff, kgce, types)


def _estimate(
    item: dict[str, Any],
    judged: Grade,
    node: str | None,
    on_node: int,
    measured: dict[str, float],
    grid: dict[str, Any],
    tariff: dict[str, Any],
    kgce: float,
) -> dict[str, Any]:
    basis, note, energy = "nameplate", None, None
    if node is None:
        note = Message("not linked to a node of the metering tree")
    elif node not in measured:
        note = Message("its node has no electricity meter of its own with data in the year")
    elif on_node > 1:
        note = Message("its node's meter measures other items of the register too")
    elif item["type"] not in _MEASURABLE or (
        item["type"] != "air_compressor" and item.get("efficiency_pct") is None
    ):
        note = Message("a meter measures the energy through a transformer, not its losses")
    else:
        basis, energy = "measured", measured[node]
    used = _measured_item(item, energy) if energy is not None else item
    replacement = replacement_estimate(
        used,
        judged,
        kgce_per_kwh=kgce,
        grid_tco2_per_mwh=grid["tco2_per_mwh"],
        tariff_cny_per_kwh=tariff["cny_per_kwh"],
    )
    return {
        "basis": basis,
        "basis_note": note,
        "measured_kwh_per_year": energy,
        **(_saving(replacement) or dict.fromkeys(_SAVING_KEYS)),
    }


_SAVING_KEYS = (
    "energy_saved_kwh_per_year",
    "energy_saved_tce_per_year",
    "emissions_saved_tco2_per_year",
    "cost_saved_cny_per_year",
    "investment_cny",
    "payback_years",
)
