"""A product's foreground from the factory's own data: bills of materials, meters, inventory.

:func:`import_bom` stores a bill of materials workbook (:mod:`lingtan.imports.bom`), all or
nothing, as the other imports do. :func:`build_product_system` turns a study
(:mod:`lingtan.footprint.study`) and the store into a
:class:`~lingtan.footprint.model.ProductSystem`:

* the product's **production process** (foreground, stage ``production``) makes the period's
  output of the product (its production records) and takes, for that output:

  - **electricity** [kWh]: the metered electricity of each of the study's lines, times the
    product's share of the line by the allocation key (1 where the line makes only the
    product: subdivision), plus the facility's other energy (the nodes and meters the study
    names: utilities, buildings) times its share of all the facility's output. Each meter
    counted is a :class:`~lingtan.footprint.model.Source` (``kind="meter"``, its code, its
    energy over the period and the UTC span of the 15-minute intervals read, the share);
  - **direct emissions** [kg CO2e]: the inventory's sources of the period (fuel, process,
    fugitive emissions, purchased heat) at a line, by the line's share, and the rest by the
    facility's share; biogenic CO2 apart;
  - the **BOM items** of the stages in the boundary [their dataset's unit] and their inbound
    **freight** [t·km];

* **background processes**: the electricity (location-based: the grid factor of the facility's
  province and year from the factor library; market-based: the facility's market-based Scope 2
  factor of the period's inventory, instruments spread over every kWh), each dataset, supplier
  footprint and freight mode used.

Flows are characterised already (kg CO2e, the inventory's GWP set must be the study's):
``ghg-fossil``, ``ghg-biogenic``, ``ghg-dluc`` and ``ghg-aircraft`` (reported apart,
GB/T 24067-2024 §6.4.9.4).

References
----------
.. [1] GB/T 24067-2024 / ISO 14067:2018 §6.3.5 (site-specific data for processes under the
   organisation's control), §6.4.6 (allocation), §6.4.9.4 (electricity).
.. [2] ISO 14044:2006 §4.3.4.2 (allocation hierarchy).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from lingtan.errors import InputError, InputProblem, Problems
from lingtan.factors import FactorLibrary
from lingtan.footprint.allocation import allocation_shares
from lingtan.footprint.background import read_supplier_file, shipped_datasets, transport_modes
from lingtan.footprint.model import (
    FLOW_OF_KIND,
    GHG_FLOWS,
    Exchange,
    Process,
    ProductSystem,
    Source,
    SupplierFootprint,
)
from lingtan.footprint.pedigree import basic_uncertainties, exchange_type, pedigree_uncertainty
from lingtan.footprint.study import PEDIGREE_INDICATORS, Study
from lingtan.i18n import N_, Message
from lingtan.i18n.catalog import texts
from lingtan.imports.bom import BomRow, parse_bom
from lingtan.imports.load import facility_by_code, record_file_import
from lingtan.metering.energy_store import load_energy
from lingtan.metering.store import local_midnight
from lingtan.store import audit
from lingtan.store.evidence import EvidenceStore
from lingtan.store.models import (
    BomLine,
    Facility,
    Inventory,
    Product,
    ProductionRecord,
    utc_now,
)
from lingtan.store.models import Source as EmissionSource
from lingtan.units import UnitError, conversion_factor

__all__ = ["BomImport", "build_product_system", "import_bom", "product_code"]

#: Inventory source kinds a product takes a share of; electricity comes from the meters, and
#: the deductions (exported electricity or heat, recovered CO2) are not credited to products.
INVENTORY_KINDS = (
    "fuel_combustion",
    "mobile_combustion",
    "process_carbonate",
    "process_mass_balance",
    "fugitive",
    "purchased_heat",
    "biomass_combustion",
    "other",
)


def product_code(product: str, facility: str) -> str:
    """The code of a product's production process in the foreground."""
    return f"{product}@{facility}"


# --- Import ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class BomImport:
    """What :func:`import_bom` did."""

    facility: str
    read: int
    added: int
    changed: int
    removed: int
    unchanged: int
    batch_id: int | None


def _stored_state(line: BomLine) -> dict[str, Any]:
    return {
        "stage": line.stage,
        "quantity": line.quantity,
        "unit": line.unit,
        "link": line.link,
        "supplier": line.supplier,
        "distance_km": line.distance_km,
        "transport_mode": line.transport_mode,
    }


def _audit_key(product: str, start: date, end: date, kind: str, material: str) -> str:
    return f"{product} {start.isoformat()}..{end.isoformat()} {kind} {material}"


def import_bom(
    session: Session,
    facility: Facility,
    path: str | Path,
    *,
    evidence: EvidenceStore,
    actor: str,
) -> BomImport:
    """Import a bill of materials file as the BOM of each product and period it holds.

    For every (product, period) in the file the file's rows replace the stored ones: items are
    matched by kind and material (added, changed or left alone), stored items of that product
    and period the file no longer lists are removed. Nothing changed: nothing written. The file
    is kept as evidence and one audit entry (``bom``) records before and after.

    Raises
    ------
    InputError
        Every bad cell (file, row, column, value, rule), an unknown product, dataset or unit
        included; nothing is written.
    """
    path = Path(path)
    products = {
        p.code: p
        for p in session.scalars(sa.select(Product).where(Product.facility_id == facility.id))
    }
    rows = parse_bom(path, {code: p.unit for code, p in products.items()})
    periods = {(r.product, r.period_start, r.period_end) for r in rows}
    stored: dict[tuple, BomLine] = {}
    for code, start, end in periods:
        for line in session.scalars(
            sa.select(BomLine).where(
                BomLine.product_id == products[code].id,
                BomLine.period_start == start,
                BomLine.period_end == end,
            )
        ):
            stored[code, start, end, line.kind, line.material] = line
    wanted = {r.key(): r for r in rows}
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    added = changed = unchanged = 0
    for key, row in wanted.items():
        line = stored.get(key)
        if line is not None and _stored_state(line) == row.state():
            unchanged += 1
            continue
        if line is None:
            added += 1
        else:
            changed += 1
            before[_audit_key(*key)] = _stored_state(line)
        after[_audit_key(*key)] = row.state()
    removed = [key for key in stored if key not in wanted]
    for key in removed:
        before[_audit_key(*key)] = _stored_state(stored[key])
    if not before and not after:
        return BomImport(facility.code, len(rows), 0, 0, 0, unchanged, None)
    batch, kept = record_file_import(
        session,
        facility,
        path,
        path.name,
        rows_read=len(rows),
        rows_added=added,
        actor=actor,
        evidence=evidence,
    )
    for key in removed:
        session.delete(stored[key])
    for key, row in wanted.items():
        if _audit_key(*key) not in after:
            continue
        line = stored.get(key)
        if line is None:
            line = BomLine(
                facility_id=facility.id,
                product_id=products[row.product].id,
                period_start=row.period_start,
                period_end=row.period_end,
                kind=row.kind,
                material=row.material,
                created_at=utc_now(),
            )
            session.add(line)
        _write(line, row, batch.id, kept.id)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="import",
        entity="bom",
        entity_key=str(facility.id),
        before={"items": before} if before else None,
        after={
            "kind": "bill_of_materials",
            "file": path.name,
            "sha256": batch.sha256,
            "import_batch": batch.id,
            "items": after,
            "removed": [_audit_key(*key) for key in removed],
        },
    )
    return BomImport(facility.code, len(rows), added, changed, len(removed), unchanged, batch.id)


def _write(line: BomLine, row: BomRow, batch_id: int, evidence_id: int) -> None:
    line.stage = row.stage
    line.quantity = row.quantity
    line.unit = row.unit
    line.link = row.link
    line.supplier = row.supplier
    line.distance_km = row.distance_km
    line.transport_mode = row.transport_mode
    line.source_row = row.row
    line.import_id = batch_id
    line.evidence_id = evidence_id


# --- The product system ---------------------------------------------------------------------


def _utc(day: date) -> datetime:
    """Local midnight (UTC+08:00, the rollups' day) at the start of ``day``, in UTC."""
    return datetime.fromtimestamp(local_midnight(day), UTC)


class _Builder:
    """Collects the problems and the pieces of one foreground."""

    def __init__(self, session: Session, study: Study) -> None:
        self.session, self.study = session, study
        self.origin = study.origin or "study"
        self.problems = Problems()
        self.notes: list[str] = []

    def add(self, field: str, value: Any, rule: Message, where: str | None = None) -> None:
        self.problems.append(InputProblem(where or self.origin, field, value, rule))


def build_product_system(
    session: Session,
    study: Study,
    *,
    suppliers: Mapping[str, SupplierFootprint] | None = None,
    library: FactorLibrary | None = None,
) -> ProductSystem:
    """The product system of a study's product, built from the store.

    Parameters
    ----------
    session
        A write session (the meters' stale daily totals are refreshed first).
    study
        The checked study (:func:`lingtan.footprint.study.read_study_file`).
    suppliers
        Supplier footprints by id, for the BOM's ``pact:<id>`` links (e.g. pulled over PACT);
        the study's ``suppliers`` file adds to them.
    library
        The factor library (default: the shipped one plus the stored custom sets).

    Returns
    -------
    ProductSystem
        The product's production process (``product_code(product, facility)``, foreground,
        ``production`` = the period's output [product unit]) and the background processes it
        uses; every exchange with its sources. The engine solves it for the demand
        ``study.reference_flow(product unit)`` of the product's process.

    Raises
    ------
    InputError
        Every problem found (an unknown product, node, meter, source or dataset; a missing
        inventory or BOM; a unit mismatch; an allocation key that sums to zero), each naming
        where it is; nothing is returned partially.
    """
    from lingtan.services.inventory import library_for

    build = _Builder(session, study)
    facility = facility_by_code(session, study.facility)
    library = library or library_for(session)
    products = {
        p.code: p
        for p in session.scalars(sa.select(Product).where(Product.facility_id == facility.id))
    }
    if study.product not in products:
        known = ", ".join(sorted(products)) or Message("none yet")
        rule = Message("no such product of the facility (products: %(known)s)", known=known)
        raise InputError(InputProblem(build.origin, "product", study.product, rule))
    for line in study.lines:
        for code in line.products:
            if code not in products:
                known = ", ".join(sorted(products))
                rule = Message("no such product of the facility (products: %(known)s)", known=known)
                build.add(f"lines[{line.node}].products", code, rule)
    outputs, records = _outputs(build, facility, products)
    product = products[study.product]
    made = outputs.get(study.product, 0.0)
    if build.problems:
        raise InputError(build.problems, origin=build.origin)
    if not made > 0:
        rule = Message("no output of the product in the period: nothing to divide by")
        build.add("product", study.product, rule)
    try:
        study.reference_flow(product.unit)
    except UnitError as error:
        rule = Message(
            "the product's output is in %(unit)s: the study's unit does not convert to it "
            "(%(reason)s)",
            unit=product.unit,
            reason=error.message,
        )
        build.add("unit.unit", study.unit, rule)
    units = {code: p.unit for code, p in products.items()}
    shares = _shares(build, outputs, units)
    inventory = _inventory(build, facility)
    if build.problems:
        raise InputError(build.problems, origin=build.origin)

    exchanges: list[Exchange] = []
    background: dict[str, Process] = {}
    production_sources = tuple(records)
    electricity = _electricity(build, facility, shares, production_sources, library, inventory)
    if electricity is not None:
        exchange, process = electricity
        exchanges.append(exchange)
        background[process.code] = process
    exchanges += _direct(build, facility, shares, production_sources, inventory)
    all_suppliers = dict(suppliers or {})
    if study.suppliers is not None:
        try:
            all_suppliers.update(read_supplier_file(study.suppliers))
        except InputError as error:
            build.problems += error.problems
    for exchange, process in _bom(build, product, made, all_suppliers):
        exchanges.append(exchange)
        background.setdefault(process.code, process)
    if build.problems:
        raise InputError(build.problems, origin=build.origin)
    main = Process(
        code=product_code(product.code, facility.code),
        name=product.name,
        unit=product.unit,
        exchanges=tuple(exchanges),
        production=made,
        stage="production",
        location=facility.region,
        foreground=True,
    )
    return ProductSystem(
        processes=tuple(_with_pedigree(p, study) for p in (main, *background.values())),
        flows=GHG_FLOWS,
        name=study.name,
        notes=tuple(build.notes),  # Messages: a screen shows them in its language
    )


def _with_pedigree(process: Process, study: Study) -> Process:
    """The process with each exchange scored by the study's pedigree of the kind of data its
    amount comes from (its first source: meter, inventory, bom, dataset, supplier, transport);
    a scored exchange without a distribution of its own gets the lognormal of its scores and
    the basic uncertainty of its type (:mod:`lingtan.footprint.pedigree`)."""
    exchanges = []
    for exchange in process.exchanges:
        scores = study.pedigree(exchange.sources[0].kind) if exchange.sources else None
        if scores is not None:
            ordered = tuple(scores[name] for name in PEDIGREE_INDICATORS)
            spread = exchange.uncertainty
            if spread is None:
                basic = basic_uncertainties()[exchange_type(exchange)].factor
                spread = pedigree_uncertainty(ordered, basic)
            exchange = replace(exchange, pedigree=ordered, uncertainty=spread)  # type: ignore[arg-type]
        exchanges.append(exchange)
    return replace(process, exchanges=tuple(exchanges))


def _outputs(
    build: _Builder, facility: Facility, products: Mapping[str, Product]
) -> tuple[dict[str, float], list[Source]]:
    """Each product's output over the study's period [its unit] from the production records
    inside it, and the records as sources; a record across the period's edge is refused."""
    study = build.study
    by_id = {p.id: p for p in products.values()}
    rows = build.session.scalars(
        sa.select(ProductionRecord).where(
            ProductionRecord.product_id.in_(list(by_id)),
            ProductionRecord.period_end >= study.period_start,
            ProductionRecord.period_start <= study.period_end,
        )
    ).all()
    outputs: dict[str, float] = defaultdict(float)
    sources = []
    for record in sorted(rows, key=lambda r: (r.product_id, r.period_start)):
        code = by_id[record.product_id].code
        if record.period_start < study.period_start or record.period_end > study.period_end:
            rule = Message(
                "production record %(start)s..%(end)s of %(product)s crosses the study's "
                "period: give records inside it",
                start=record.period_start.isoformat(),
                end=record.period_end.isoformat(),
                product=code,
            )
            build.add("period", f"{study.period_start}..{study.period_end}", rule)
            continue
        outputs[code] += record.quantity
        if code == study.product:
            sources.append(
                Source(
                    kind="production",
                    reference=f"production_record {record.id}",
                    quantity=record.quantity,
                    unit=by_id[record.product_id].unit,
                    start=_utc(record.period_start),
                    end=_utc(record.period_end + timedelta(days=1)),
                )
            )
    return dict(outputs), sources


def _shares(
    build: _Builder, outputs: Mapping[str, float], units: Mapping[str, str]
) -> dict[str | None, float]:
    """The product's share of each line (by node) and of the facility (key None)."""
    study, allocation = build.study, build.study.allocation
    shares: dict[str | None, float] = {}

    def share(made: dict[str, float], where: str, hours: Mapping[str, float]) -> float | None:
        try:
            got = allocation_shares(
                made,
                key=allocation.key,
                where=where,
                units=units,
                values=allocation.values,
                machine_hours=hours,
            )
        except InputError as error:
            build.problems += error.problems
            return None
        return got.get(study.product, 0.0)

    for line in study.lines:
        made = {code: outputs.get(code, 0.0) for code in line.products}
        got = share(made, f"line {line.node}", line.machine_hours)
        if got is not None:
            shares[line.node] = got
            if len(line.products) == 1:
                build.notes.append(
                    Message("line %(node)s makes only the product: no allocation", node=line.node)
                )
    rest = study.facility_energy
    if rest.nodes or rest.meters or rest.sources == "rest":
        made = {code: q for code, q in outputs.items() if q > 0}
        key = allocation.key
        if key == "machine_hours":  # the facility has no machine-hours: its output by units
            key = "units"
            build.notes.append(Message("facility energy shared by output (units)"))
        try:
            got = allocation_shares(
                made or {study.product: 0.0},
                key=key,
                where="facility_energy",
                units=units,
                values=allocation.values,
            )
        except InputError as error:
            build.problems += error.problems
        else:
            shares[None] = got.get(study.product, 0.0)
    return shares


def _inventory(build: _Builder, facility: Facility) -> Inventory | None:
    """The inventory of the study's period (locked first, else the newest), when needed."""
    study = build.study
    needed = (
        study.electricity_method == "market"
        or study.facility_energy.sources == "rest"
        or any(line.sources for line in study.lines)
    )
    if not needed:
        return None
    found = build.session.scalars(
        sa.select(Inventory)
        .where(
            Inventory.facility_id == facility.id,
            Inventory.period_start == study.period_start,
            Inventory.period_end == study.period_end,
        )
        .order_by((Inventory.status == "locked").desc(), Inventory.id.desc())
    ).first()
    if found is None:
        rule = Message(
            "no inventory of facility %(facility)s for the period: compute it first "
            "(lingtan inventory compute)",
            facility=facility.code,
        )
        build.add("period", f"{study.period_start}..{study.period_end}", rule)
        return None
    gwp = str(found.result.get("inventory", {}).get("gwp", "")).upper()
    if gwp != study.gwp:
        rule = Message(
            "the inventory %(id)s uses GWP %(gwp)s: the study's GWP set must be the same",
            id=found.id,
            gwp=gwp,
        )
        build.add("gwp", study.gwp, rule)
    return found


def _node_problem(build: _Builder, field: str, node: str, facility: Facility) -> None:
    rule = Message("no such node in facility %(code)s", code=facility.code)
    build.add(field, node, rule)


def _electricity(
    build: _Builder,
    facility: Facility,
    shares: Mapping[str | None, float],
    production: tuple[Source, ...],
    library: FactorLibrary,
    inventory: Inventory | None,
) -> tuple[Exchange, Process] | None:
    """The product's metered electricity [kWh] with a source per meter, and its supply."""
    study = build.study
    end = study.period_end + timedelta(days=1)
    energy = load_energy(build.session, facility, study.period_start, end, library=library)
    values = {code: energy.meter_total(code) for code in energy.meters}
    totals = energy.totals(values)
    start_utc, end_utc = _utc(study.period_start), _utc(end)
    counted: dict[str, str] = {}  # node -> what it is counted for (no node twice)
    sources: list[Source] = []
    amount = 0.0

    def meter_source(code: str, share: float, note: Message) -> None:
        nonlocal amount
        meter, figures = energy.meters[code], values[code]
        kwh = figures.energy * conversion_factor(meter.unit, "kWh")
        amount += share * kwh
        if figures.missing:
            note = Message("%(note)s; %(n)s interval(s) missing", note=note, n=figures.missing)
        sources.append(
            Source("meter", code, figures.energy, meter.unit, start_utc, end_utc, note, share)
        )

    def claim(node: str, what: str, field: str) -> bool:
        for inside in energy.subtree(node):
            if inside in counted:
                rule = Message(
                    "is counted twice: %(node)s is already counted for %(what)s",
                    node=inside,
                    what=counted[inside],
                )
                build.add(field, node, rule)
                return False
        for above in energy.ancestors(node):
            if above in counted:
                rule = Message(
                    "is counted twice: %(node)s is already counted for %(what)s",
                    node=above,
                    what=counted[above],
                )
                build.add(field, node, rule)
                return False
        counted[node] = what
        return True

    plan = [(line.node, f"line {line.node}", f"lines[{line.node}].node") for line in study.lines]
    plan += [(n, "facility_energy", "facility_energy.nodes") for n in study.facility_energy.nodes]
    for node, what, field in plan:
        if node not in energy.nodes:
            _node_problem(build, field, node, facility)
            continue
        if not claim(node, what, field):
            continue
        total = totals.get((node, "electricity"))
        if total is None or not total.meters:
            rule = Message("no electricity meter at or below this node")
            build.add(field, node, rule)
            continue
        share = shares.get(None if what == "facility_energy" else node)
        if share is None:
            continue
        for code in total.meters:
            if what == "facility_energy":
                meter_source(code, share, Message("facility_energy, node %(node)s", node=node))
            else:
                meter_source(
                    code, share, Message("line %(line)s, node %(node)s", line=node, node=node)
                )
    for code in study.facility_energy.meters:
        meter = energy.meters.get(code)
        if meter is None or meter.carrier != "electricity":
            rule = Message(
                "no electricity meter with this code in facility %(code)s", code=facility.code
            )
            build.add("facility_energy.meters", code, rule)
            continue
        above = [meter.node, *energy.ancestors(meter.node)] if meter.node else []
        inside = next((node for node in above if node in counted), None)
        if inside is not None or any(s.reference == code for s in sources):
            rule = Message(
                "is counted twice: %(node)s is already counted for %(what)s",
                node=inside or code,
                what=counted.get(inside or "", "facility_energy"),
            )
            build.add("facility_energy.meters", code, rule)
            continue
        if (share := shares.get(None)) is not None:
            meter_source(code, share, Message("facility_energy, meter %(meter)s", meter=code))
    if build.problems or not sources:
        return None
    supply = _supply(build, facility, energy, sources, inventory)
    if supply is None:
        return None
    exchange = Exchange(supply.code, amount, "kWh", sources=(*sources, *production))
    return exchange, supply


def _supply(build, facility, energy, sources, inventory) -> Process | None:
    """The electricity's background process: 1 kWh and its kg CO2e by the study's method."""
    study = build.study
    year = study.period_end.year
    if study.electricity_method == "location":
        factor = energy.carbon[sources[0].reference]
        if factor.value is None:
            rule = Message("no grid factor: %(reason)s", reason=factor.note)
            build.add("electricity.method", "location", rule)
            return None
        unit = energy.meters[sources[0].reference].unit
        kg_per_kwh = factor.value * 1000 * conversion_factor("kWh", unit)
        refs = [use.factor.ref for use in factor.uses if use.factor is not None]
        statuses = sorted({use.factor.status for use in factor.uses if use.factor is not None})
        origin = Source(
            "dataset",
            ", ".join(refs) or "grid",
            kg_per_kwh,
            "kg CO2e/kWh",
            note=f"location-based grid factor, {facility.region} {year}; {', '.join(statuses)}",
        )
        code = f"electricity:location:{facility.region}:{year}"
        name = N_("Electricity, grid average, %(place)s, %(year)s")
        place = facility.region
    else:
        assert inventory is not None
        kwh = tco2e = 0.0
        for line in inventory.result.get("lines", []):
            if line.get("kind") != "purchased_electricity":
                continue
            kwh += line["activity"] * conversion_factor(line["activity_unit"], "kWh")
            market = line.get("market_emissions_tco2e")
            tco2e += line["emissions_tco2e"] if market is None else market
        if not kwh > 0:
            rule = Message("the inventory %(id)s has no purchased electricity", id=inventory.id)
            build.add("electricity.method", "market", rule)
            return None
        kg_per_kwh = tco2e * 1000 / kwh
        origin = Source(
            "inventory",
            f"inventory {inventory.id}",
            kg_per_kwh,
            "kg CO2e/kWh",
            note=f"market-based Scope 2: {tco2e:.6g} tCO2e over {kwh:.6g} kWh purchased",
        )
        code = f"electricity:market:{facility.code}:{year}"
        name = N_("Electricity, market-based, %(place)s, %(year)s")
        place = facility.code
    emission = Exchange("ghg-fossil", kg_per_kwh, "kg CO2e", biosphere=True, sources=(origin,))
    return Process(
        code,
        name % {"place": place, "year": year},
        "kWh",
        (emission,),
        1.0,
        "production",
        facility.region,
        name_zh=texts("zh-CN").gettext(name, place=place, year=year),
    )


def _direct(
    build: _Builder,
    facility: Facility,
    shares: Mapping[str | None, float],
    production: tuple[Source, ...],
    inventory: Inventory | None,
) -> list[Exchange]:
    """The product's share of the inventory's direct emissions [kg CO2e], fossil and biogenic."""
    study = build.study
    if inventory is None:
        return []
    codes = {
        s.code
        for s in build.session.scalars(
            sa.select(EmissionSource).where(EmissionSource.facility_id == facility.id)
        )
    }
    at_line: dict[str, str] = {}
    for line in study.lines:
        for code in line.sources:
            if code not in codes:
                rule = Message("no such emission source in facility %(code)s", code=facility.code)
                build.add(f"lines[{line.node}].sources", code, rule)
            elif code in at_line:
                rule = Message(
                    "is counted twice: %(node)s is already counted for %(what)s",
                    node=code,
                    what=f"line {at_line[code]}",
                )
                build.add(f"lines[{line.node}].sources", code, rule)
            at_line[code] = line.node
    fossil: list[Source] = []
    biogenic: list[Source] = []
    totals = {"fossil": 0.0, "biogenic": 0.0}
    start, end = _utc(study.period_start), _utc(study.period_end + timedelta(days=1))
    for line in inventory.result.get("lines", []):
        if line.get("kind") not in INVENTORY_KINDS:
            continue
        line_id = line["source_id"]  # a line per activity record: ``source@start``
        code = inventory.lineage.get("lines", {}).get(line_id, {}).get("source", line_id)
        node = at_line.get(code)
        if node is None and study.facility_energy.sources != "rest":
            continue
        share = shares.get(node)
        if share is None:
            continue
        what = f"line {node}" if node else "facility"
        reference = f"inventory {inventory.id} line {line_id}"
        for kind, value, target in (
            ("fossil", line["emissions_tco2e"], fossil),
            ("biogenic", line.get("biogenic_co2_t") or 0.0, biogenic),
        ):
            if value:
                totals[kind] += share * value * 1000
                source = Source("inventory", reference, value, "tCO2e", start, end, what, share)
                target.append(source)
    out = []
    for kind, sources in (("fossil", fossil), ("biogenic", biogenic)):
        if sources:
            out.append(
                Exchange(
                    FLOW_OF_KIND[kind].code,
                    totals[kind],
                    "kg CO2e",
                    biosphere=True,
                    sources=(*sources, *production),
                )
            )
    return out


def _bom(
    build: _Builder,
    product: Product,
    made: float,
    suppliers: Mapping[str, SupplierFootprint],
) -> list[tuple[Exchange, Process]]:
    """The BOM items of the boundary's stages and their freight, for the period's output."""
    study = build.study
    lines = build.session.scalars(
        sa.select(BomLine)
        .where(
            BomLine.product_id == product.id,
            BomLine.period_start <= study.period_start,
            BomLine.period_end >= study.period_end,
        )
        .order_by(BomLine.period_start, BomLine.source_row)
    ).all()
    periods = sorted({(line.period_start, line.period_end) for line in lines})
    if len(periods) > 1:
        rule = Message(
            "several bills of materials of %(product)s cover the period: %(periods)s",
            product=product.code,
            periods=", ".join(f"{a}..{b}" for a, b in periods),
        )
        build.add("period", f"{study.period_start}..{study.period_end}", rule)
        return []
    if not lines and "raw_materials" in study.stages:
        rule = Message(
            "no bill of materials of %(product)s covers the period (lingtan import bom)",
            product=product.code,
        )
        build.add("product", product.code, rule)
        return []
    datasets, modes = shipped_datasets(), transport_modes()
    out = []
    for line in lines:
        where = f"bom_line {line.id} (row {line.source_row})"
        if line.stage not in study.stages:
            build.notes.append(
                Message(
                    "%(item)s left out: stage %(stage)s is outside the boundary",
                    item=line.material,
                    stage=line.stage,
                )
            )
            continue
        bom_source = Source(
            "bom", where, line.quantity, f"{line.unit}/{product.unit}", note=line.material
        )
        scheme, _, code = line.link.partition(":")
        process = _linked(build, where, line, scheme, code, datasets, suppliers)
        if process is None:
            continue
        try:
            per_unit = line.quantity * conversion_factor(line.unit, process.unit)
        except UnitError:
            rule = Message(
                "the dataset's reference flow is in %(unit)s: %(given)s does not convert to it",
                unit=process.unit,
                given=line.unit,
            )
            build.add("unit", line.unit, rule, where)
            continue
        out.append(
            (Exchange(process.code, per_unit * made, process.unit, sources=(bom_source,)), process)
        )
        if line.transport_mode is not None and line.distance_km is not None:
            mode = modes[line.transport_mode]
            tonnes = line.quantity * conversion_factor(line.unit, "t")
            tkm = tonnes * line.distance_km * made
            freight = Source(
                "transport",
                where,
                line.distance_km,
                "km",
                note=f"{line.material}: {tonnes:.6g} t/{product.unit} x {line.distance_km:g} km",
            )
            carrier = _freight(mode, line.stage)
            out.append(
                (Exchange(carrier.code, tkm, "t*km", sources=(bom_source, freight)), carrier)
            )
    return out


def _linked(build, where, line, scheme, code, datasets, suppliers) -> Process | None:
    """The background process of a BOM link: a shipped dataset or a supplier footprint."""
    suffix = "" if line.stage == "raw_materials" else f"#{line.stage}"
    if scheme == "dataset":
        dataset = datasets.get(code)
        if dataset is None:
            known = ", ".join(sorted(datasets))
            rule = Message("no such background dataset (datasets: %(known)s)", known=known)
            build.add("link", line.link, rule, where)
            return None
        origin = Source(
            "dataset",
            code,
            dataset.kgco2e_per_unit,
            f"kg CO2e/{dataset.unit}",
            note=f"{dataset.status}: {dataset.source}; {dataset.note}",
        )
        emission = Exchange(
            FLOW_OF_KIND[dataset.kind].code,
            dataset.kgco2e_per_unit,
            "kg CO2e",
            biosphere=True,
            sources=(origin,),
        )
        return Process(
            line.link + suffix,
            f"{dataset.name_en} [{dataset.status}]",
            dataset.unit,
            (emission,),
            1.0,
            line.stage,
            name_zh=f"{dataset.name_zh} [{dataset.status}]",
        )
    footprint = suppliers.get(code)
    if footprint is None:
        known = ", ".join(sorted(suppliers)) or Message("none yet")
        rule = Message("no such supplier footprint (footprints: %(known)s)", known=known)
        build.add("link", line.link, rule, where)
        return None
    received = Source(
        "supplier",
        footprint.id,
        footprint.pcf_excluding_biogenic,
        f"kg CO2e/{footprint.declared_unit}",
        footprint.period_start,
        footprint.period_end,
        note=f"{footprint.supplier}: {footprint.product} ({footprint.origin})",
    )
    shares = ()
    if footprint.primary_data_share is not None:
        shares = (
            Source(
                "supplier",
                footprint.id,
                footprint.primary_data_share,
                "%",
                note="primary data share",
            ),
        )
    # pCfExcludingBiogenic holds fossil, dLUC and aircraft emissions: each is reported apart
    dluc, aircraft = footprint.dluc or 0.0, footprint.aircraft or 0.0
    parts = {
        "fossil": footprint.pcf_excluding_biogenic - dluc - aircraft,
        "dluc": dluc,
        "aircraft": aircraft,
        "biogenic": footprint.biogenic or 0.0,
    }
    emissions = tuple(
        Exchange(
            FLOW_OF_KIND[kind].code, value, "kg CO2e", biosphere=True, sources=(received, *shares)
        )
        for kind, value in parts.items()
        if value or kind == "fossil"
    )
    name = f"{footprint.product} ({footprint.supplier})"
    return Process(line.link + suffix, name, footprint.declared_unit, emissions, 1.0, line.stage)


def _freight(mode, stage: str) -> Process:
    suffix = "" if stage == "raw_materials" else f"#{stage}"
    origin = Source(
        "transport",
        mode.mode,
        mode.kgco2e_per_unit,
        "kg CO2e/(t*km)",
        note=f"{mode.status}: {mode.issuer}, {mode.document}, {mode.clause}; {mode.note}",
    )
    emission = Exchange(
        "ghg-fossil", mode.kgco2e_per_unit, "kg CO2e", biosphere=True, sources=(origin,)
    )
    return Process(
        f"transport:{mode.mode}{suffix}",
        f"{mode.name_en} [{mode.status}]",
        "t*km",
        (emission,),
        1.0,
        stage,
        mode.region,
        name_zh=f"{mode.name_zh} [{mode.status}]",
    )
