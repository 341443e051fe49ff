"""Background datasets from an openLCA JSON-LD zip (olca-schema 2), and a study written as one.

:func:`read_jsonld` reads the zip an openLCA export writes (``processes/``, ``flows/``,
``flow_properties/``, ``unit_groups/`` …, one JSON file per entity, read with the
``olca-schema`` package's classes) into a :class:`~lingtan.footprint.model.ProductSystem`:

- a process's quantitative reference (a product output, or the waste input of a treatment)
  is its reference product: ``production`` in the flow's reference unit;
- every amount is converted to its flow's reference unit: ``amount × unit factor / flow
  property factor`` (the unit's factor to its unit group's reference unit; the flow's factor
  of the exchange's flow property to its reference flow property) — openLCA's own rule;
- a product input (and a waste output) is linked to its default provider, else to the single
  process of the zip whose reference is that flow; an avoided product (or avoided waste) is a
  negative input of its provider. An input with no provider in the zip (none makes it, the
  default provider is not in the zip, or several make it and none is named) is cut off and
  listed in the report: the product system stays closed;
- an amount is the number the export stores; where the exchange has a formula beside it, the
  stored amount (openLCA's value at the parameters' defaults) is taken and the formula listed
  in the report, never evaluated; a formula without a stored amount is refused unless it is a
  plain number;
- greenhouse-gas elementary flows become kg CO2e on lingtan's GHG flows by kind
  (:mod:`lingtan.footprint.interchange`); other elementary flows are left out and reported;
- uncertainty: lognormal (``sigma = ln(geomSd)``), normal (``sd``), uniform, triangle
  (minimum, maximum; the mode is the amount), in the converted unit.

A circular reference that cannot be resolved — a process taking as much of its own product
as it makes, or a loop of providers that together take at least what they make (the loop's
Perron root ≥ 1, so A s = f has no non-negative solution) — is refused. So is anything
malformed, naming the file in the zip, the entity, the field and the value; nothing is
returned in part.

:func:`write_jsonld` writes a product system (a study: foreground and background) as such a
zip: one product flow per process (its reference), one unit group and flow property per unit,
lingtan's GHG flows as elementary flows in kg CO2e, the stage, the foreground mark and the
flows' kinds as tags, so that :func:`read_jsonld` gives the same processes, exchanges,
amounts and units back.

References
----------
.. [1] GreenDelta, *olca-schema* (openLCA data exchange format 2), https://greendelta.github.io/olca-schema/
   (CC0): Process, Exchange, Flow, FlowPropertyFactor, UnitGroup, Unit, Uncertainty.
.. [2] Heijungs R., Suh S., *The Computational Structure of Life Cycle Assessment*, 2002,
   ch. 2 (A s = f).
"""

from __future__ import annotations

import io
import json
import math
import re
import uuid
import zipfile
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import olca_schema as olca

from lingtan.errors import InputError, InputProblem, Problems, unreadable
from lingtan.factors import FactorSet
from lingtan.footprint.interchange import (
    DEFAULT_GWP_SET,
    Conversion,
    Formula,
    Imported,
    ImportReport,
    Uncharacterised,
    Unlinked,
    gas_exchange,
    gwp_set,
    scaled,
)
from lingtan.footprint.model import (
    FLOW_KINDS,
    GHG_FLOWS,
    STAGES,
    Exchange,
    Flow,
    Process,
    ProductSystem,
    Source,
    Uncertainty,
)
from lingtan.i18n import Message

__all__ = ["jsonld_bytes", "read_jsonld", "read_jsonld_bytes", "write_jsonld"]

#: The folders (entity types) the importer reads, with the olca-schema class of each.
_FOLDERS: dict[str, type] = {
    "unit_groups": olca.UnitGroup,
    "flow_properties": olca.FlowProperty,
    "flows": olca.Flow,
    "processes": olca.Process,
    "locations": olca.Location,
}
_REQUIRED = ("unit_groups", "flow_properties", "flows", "processes")
_TYPES = {
    "unit_groups": "UnitGroup",
    "flow_properties": "FlowProperty",
    "flows": "Flow",
    "processes": "Process",
    "locations": "Location",
}
#: A file in the zip larger than this (uncompressed) is refused before it is read [bytes].
MAX_ENTRY_BYTES = 64 * 2**20
_NUMBER = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$")
_TAG = "lingtan:"
_NAMESPACE = uuid.UUID("6f1d2a8e-3c1b-5b7e-9a55-1e0c5e7a9d10")


@dataclass(frozen=True)
class _Unit:
    name: str
    factor: float
    group: str


@dataclass(frozen=True)
class _FlowInfo:
    entity: Any
    path: str
    unit: str
    reference: str  # the reference flow property's id
    factors: dict[str, float]  # flow property id -> factor to the reference property
    groups: dict[str, str]  # flow property id -> unit group id


class _Zip:
    """The entities of a JSON-LD zip, parsed, with every problem found."""

    def __init__(self, data: bytes, origin: str) -> None:
        self.origin = origin
        self.problems = Problems()
        try:
            self.archive = zipfile.ZipFile(io.BytesIO(data))
        except zipfile.BadZipFile:
            rule = Message("is not a zip archive (an openLCA JSON-LD export is a zip)")
            raise InputError(InputProblem(origin, "file", origin, rule), origin=origin) from None
        self.entities: dict[str, dict[str, tuple[str, Any]]] = {f: {} for f in _FOLDERS}
        self._read()

    def problem(self, where: str, field: str, value: Any, rule: Message) -> None:
        self.problems.append(InputProblem(where, field, value, rule))

    def _read(self) -> None:
        by_folder: dict[str, list[zipfile.ZipInfo]] = defaultdict(list)
        for info in self.archive.infolist():
            parts = info.filename.split("/")
            if info.is_dir() or len(parts) < 2 or not parts[-1].endswith(".json"):
                continue
            by_folder[parts[-2]].append(info)
        missing = [folder for folder in _REQUIRED if folder not in by_folder]
        if missing:
            rule = Message(
                "has no %(folders)s folder: an openLCA JSON-LD zip has processes/, flows/, "
                "flow_properties/ and unit_groups/",
                folders=", ".join(f"{folder}/" for folder in missing),
            )
            self.problem(self.origin, "folders", sorted(by_folder), rule)
            return
        for folder, kind in _FOLDERS.items():
            for info in sorted(by_folder.get(folder, ()), key=lambda i: i.filename):
                self._entity(folder, kind, info)

    def _entity(self, folder: str, kind: type, info: zipfile.ZipInfo) -> None:
        where = f"{self.origin}:{info.filename}"
        if info.file_size > MAX_ENTRY_BYTES:
            rule = Message("is larger than %(limit)s bytes", limit=MAX_ENTRY_BYTES)
            self.problem(where, "file", info.file_size, rule)
            return
        try:
            text = self.archive.read(info).decode("utf-8-sig")
            data = json.loads(text)
        except UnicodeDecodeError:
            self.problem(where, "file", info.filename, Message("is not UTF-8 text"))
            return
        except json.JSONDecodeError as exc:
            rule = Message(
                "is not valid JSON (%(reason)s, line %(line)s)", reason=exc.msg, line=exc.lineno
            )
            self.problem(where, "file", info.filename, rule)
            return
        except (OSError, zipfile.BadZipFile, RuntimeError) as exc:
            self.problem(
                where,
                "file",
                info.filename,
                Message("cannot be read (%(reason)s)", reason=str(exc)),
            )
            return
        if not isinstance(data, dict):
            rule = Message("must be a JSON object (an olca-schema %(type)s)", type=_TYPES[folder])
            self.problem(where, "file", type(data).__name__, rule)
            return
        if data.get("@type") != _TYPES[folder]:
            rule = Message(
                "must be %(type)s in the folder %(folder)s/", type=_TYPES[folder], folder=folder
            )
            self.problem(where, "@type", data.get("@type"), rule)
            return
        if not isinstance(data.get("@id"), str) or not data["@id"]:
            self.problem(where, "@id", data.get("@id"), Message("is required"))
            return
        try:
            entity = kind.from_dict(data)
        except (AttributeError, TypeError, ValueError, KeyError) as exc:
            reason = type(exc).__name__ + ": " + str(exc)
            rule = Message(
                "is not a valid olca-schema %(type)s (%(reason)s)",
                type=_TYPES[folder],
                reason=reason,
            )
            self.problem(where, "@id", data["@id"], rule)
            return
        if entity.id in self.entities[folder]:
            rule = Message(
                "is given twice (also in %(other)s)", other=self.entities[folder][entity.id][0]
            )
            self.problem(where, "@id", entity.id, rule)
            return
        self.entities[folder][entity.id] = (info.filename, entity)


def read_jsonld(
    path: str | Path, *, gwp: str = DEFAULT_GWP_SET, stage: str = "raw_materials"
) -> Imported:
    """Background processes from an openLCA JSON-LD zip file.

    Parameters
    ----------
    path : str or Path
        The zip (an openLCA 2 export, olca-schema format 2).
    gwp : str
        The GWP set of :mod:`lingtan.factors` the gases are counted with (``ipcc-ar6``,
        ``ipcc-ar5`` …) [kg CO2e per kg].
    stage : str
        The life-cycle stage of the processes read (:data:`~lingtan.footprint.model.STAGES`);
        a process exported by lingtan keeps its own.

    Returns
    -------
    Imported
        The product system (processes, GHG flows) and the report: unlinked inputs cut off,
        unit conversions, formulas not evaluated, elementary flows without a GWP.

    Raises
    ------
    InputError
        Naming the file in the zip, the entity, the field and the value of every problem.
    """
    where = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(
            InputProblem(where, "file", where, unreadable(exc)), origin=where
        ) from None
    return read_jsonld_bytes(data, origin=Path(path).name, gwp=gwp, stage=stage)


def read_jsonld_bytes(
    data: bytes, *, origin: str, gwp: str = DEFAULT_GWP_SET, stage: str = "raw_materials"
) -> Imported:
    """:func:`read_jsonld` of the zip's bytes; ``origin`` names it in problems and sources."""
    if stage not in STAGES:
        rule = Message("must be one of %(options)s", options=", ".join(STAGES))
        raise InputError(InputProblem(origin, "stage", stage, rule), origin=origin)
    factors = gwp_set(gwp)
    archive = _Zip(data, origin)
    if archive.problems:
        raise InputError(archive.problems, origin=origin)
    return _Reader(archive, factors, stage).run()


class _Reader:
    def __init__(self, archive: _Zip, factors: FactorSet, stage: str) -> None:
        self.zip = archive
        self.origin = archive.origin
        self.factors = factors
        self.stage = stage
        self.units: dict[str, _Unit] = {}
        self.group_ref: dict[str, _Unit] = {}
        self.property_group: dict[str, str] = {}
        self.flows: dict[str, _FlowInfo] = {}
        self.conversions: list[Conversion] = []
        self.formulas: list[Formula] = []
        self.unlinked: list[Unlinked] = []
        self.uncharacterised: dict[str, list] = {}
        self.tagged: dict[str, Flow] = {}

    def where(self, folder: str, entity_id: str) -> str:
        return f"{self.origin}:{self.zip.entities[folder][entity_id][0]}"

    def problem(self, where: str, field: str, value: Any, rule: Message) -> None:
        self.zip.problem(where, field, value, rule)

    def run(self) -> Imported:
        self._unit_groups()
        self._flow_properties()
        self._flows()
        raw = self._processes()
        processes = self._link(raw) if not self.zip.problems else []
        if not self.zip.problems:
            self._loops(processes)
        if self.zip.problems:
            raise InputError(self.zip.problems, origin=self.origin)
        used = {e.flow for p in processes for e in p.exchanges if e.biosphere}
        flows = [flow for flow in GHG_FLOWS if flow.code in used]
        flows += [flow for code, flow in sorted(self.tagged.items()) if flow not in flows]
        system = ProductSystem(
            processes=tuple(processes),
            flows=tuple(flows),
            name=Path(self.origin).stem,
            notes=(
                f"background from the openLCA JSON-LD zip {self.origin}; GHGs counted with "
                f"{self.factors.set_id} GWP100",
            ),
        )
        report = ImportReport(
            origin=self.origin,
            gwp_set=self.factors.set_id,
            unlinked=tuple(self.unlinked),
            conversions=tuple(self.conversions),
            formulas=tuple(self.formulas),
            uncharacterised=tuple(
                Uncharacterised(code, name, compartment, count)
                for code, (name, compartment, count) in sorted(self.uncharacterised.items())
            ),
            entities={folder: len(found) for folder, found in self.zip.entities.items()},
        )
        return Imported(system, report)

    # -- reference data -------------------------------------------------------------------

    def _unit_groups(self) -> None:
        for group_id, (_, group) in self.zip.entities["unit_groups"].items():
            where = self.where("unit_groups", group_id)
            references = []
            for index, unit in enumerate(group.units or ()):
                factor = unit.conversion_factor if unit.conversion_factor is not None else 1.0
                if not _finite(factor) or factor <= 0:
                    self.problem(
                        where,
                        f"units[{index}].conversionFactor",
                        factor,
                        Message("must be a positive number"),
                    )
                    continue
                if not unit.name:
                    self.problem(where, f"units[{index}].name", unit.name, Message("is required"))
                    continue
                entry = _Unit(unit.name, float(factor), group_id)
                self.units[unit.id or f"{group_id}/{unit.name}"] = entry
                if unit.is_ref_unit:
                    references.append(entry)
            if len(references) != 1:
                rule = Message("a unit group must have exactly one reference unit (isRefUnit)")
                self.problem(where, "units", len(references), rule)
            else:
                self.group_ref[group_id] = references[0]

    def _flow_properties(self) -> None:
        for prop_id, (_, prop) in self.zip.entities["flow_properties"].items():
            group = prop.unit_group.id if prop.unit_group is not None else None
            if group not in self.group_ref:
                rule = Message("names no unit group of the zip")
                self.problem(self.where("flow_properties", prop_id), "unitGroup.@id", group, rule)
                continue
            self.property_group[prop_id] = group

    def _flows(self) -> None:
        for flow_id, (path, flow) in self.zip.entities["flows"].items():
            where = self.where("flows", flow_id)
            factors: dict[str, float] = {}
            groups: dict[str, str] = {}
            reference = None
            for index, factor in enumerate(flow.flow_properties or ()):
                prop = factor.flow_property.id if factor.flow_property is not None else None
                if prop not in self.property_group:
                    rule = Message("names no flow property of the zip")
                    self.problem(where, f"flowProperties[{index}].flowProperty.@id", prop, rule)
                    continue
                value = factor.conversion_factor if factor.conversion_factor is not None else 1.0
                if not _finite(value) or value <= 0:
                    self.problem(
                        where,
                        f"flowProperties[{index}].conversionFactor",
                        value,
                        Message("must be a positive number"),
                    )
                    continue
                factors[prop], groups[prop] = float(value), self.property_group[prop]
                if factor.is_ref_flow_property:
                    reference = prop
            if reference is None:
                rule = Message("a flow must have a reference flow property (isRefFlowProperty)")
                self.problem(where, "flowProperties", None, rule)
                continue
            if flow.flow_type is None:
                self.problem(where, "flowType", None, Message("is required"))
                continue
            unit = self.group_ref[groups[reference]].name
            self.flows[flow_id] = _FlowInfo(flow, path, unit, reference, factors, groups)
            tags = _tags(flow)
            if "flow" in tags:
                kind = tags.get("kind", "fossil")
                if kind not in FLOW_KINDS:
                    rule = Message("must be one of %(options)s", options=", ".join(FLOW_KINDS))
                    self.problem(where, "tags", kind, rule)
                    continue
                self.tagged[flow_id] = Flow(
                    flow_id, flow.name or flow_id, unit, kind, tags.get("compartment", "air")
                )

    # -- processes ------------------------------------------------------------------------

    def _processes(self) -> list[tuple[Any, str, Process, list]]:
        """(entity, path, process without its technosphere inputs, the inputs to link)."""
        out = []
        for process_id, (path, entity) in self.zip.entities["processes"].items():
            where = f"{self.origin}:{path}"
            exchanges = entity.exchanges or []
            references = [e for e in exchanges if e.is_quantitative_reference]
            if len(references) != 1:
                rule = (
                    Message(
                        "a process must have a quantitative reference (an exchange with "
                        "isQuantitativeReference)"
                    )
                    if not references
                    else Message("a process must have one quantitative reference, not several")
                )
                self.problem(where, "exchanges.isQuantitativeReference", len(references), rule)
                continue
            read = [self._exchange(where, entity, index, e) for index, e in enumerate(exchanges)]
            if any(r is None for r in read):
                continue
            ref_index = next(i for i, e in enumerate(exchanges) if e is references[0])
            ref_flow, production, unit, _ = read[ref_index]
            info = self.flows[ref_flow]
            direction = references[0].is_input
            expected = info.entity.flow_type == olca.FlowType.WASTE_FLOW
            if (
                info.entity.flow_type == olca.FlowType.ELEMENTARY_FLOW
                or bool(direction) != expected
            ):
                rule = Message("must be a product output or the waste input of a treatment")
                self.problem(where, f"exchanges[{ref_index}].isInput", direction, rule)
                continue
            if production <= 0:
                rule = Message("the quantitative reference's amount must be positive")
                self.problem(where, f"exchanges[{ref_index}].amount", production, rule)
                continue
            tags = _tags(entity)
            stage = tags.get("stage", self.stage)
            if stage not in STAGES:
                stage = self.stage
            process = Process(
                code=process_id,
                name=entity.name or process_id,
                unit=unit,
                production=production,
                stage=stage,
                location=self._location(entity),
                foreground="foreground" in tags,
            )
            inputs = []
            for index, (exchange, item) in enumerate(zip(exchanges, read, strict=True)):
                if index == ref_index:
                    continue
                inputs.append((index, exchange, item))
            out.append((entity, where, process, inputs))
        return out

    def _location(self, entity: Any) -> str | None:
        if entity.location is None:
            return None
        found = self.zip.entities["locations"].get(entity.location.id or "")
        if found is not None and found[1].code:
            return found[1].code
        return entity.location.name or entity.location.id

    def _exchange(self, where: str, process: Any, index: int, exchange: Any):
        """(flow id, amount in the flow's reference unit, that unit, uncertainty) or None."""
        field = f"exchanges[{index}]"
        flow_id = exchange.flow.id if exchange.flow is not None else None
        info = self.flows.get(flow_id or "")
        if info is None:
            self.problem(where, f"{field}.flow.@id", flow_id, Message("names no flow of the zip"))
            return None
        name = info.entity.name or flow_id
        amount = exchange.amount
        if exchange.amount_formula is not None and str(exchange.amount_formula).strip():
            formula = str(exchange.amount_formula)
            if _NUMBER.match(formula):
                amount = float(formula) if amount is None else amount
            elif amount is None:
                rule = Message(
                    "is a formula without a stored amount: lingtan does not evaluate "
                    "formulas (export the process with its amounts)"
                )
                self.problem(where, f"{field}.amountFormula", formula, rule)
                return None
            else:
                self.formulas.append(Formula(process.id, name, formula, float(amount)))
        if isinstance(amount, bool) or not isinstance(amount, int | float) or not _finite(amount):
            self.problem(where, f"{field}.amount", amount, Message("must be a number"))
            return None
        prop = exchange.flow_property.id if exchange.flow_property is not None else None
        if prop is None:
            prop = info.reference
        if prop not in info.factors:
            rule = Message("is not a flow property of the flow %(flow)s", flow=name)
            self.problem(where, f"{field}.flowProperty.@id", prop, rule)
            return None
        unit_ref = exchange.unit
        unit = self.units.get(unit_ref.id or "") if unit_ref is not None else None
        group = info.groups[prop]
        if unit_ref is None:
            unit = self.group_ref[group]
        elif unit is None or unit.group != group:
            by_name = [
                u
                for u in self.units.values()
                if u.group == group and u.name == (unit_ref.name or "")
            ]
            if not by_name:
                rule = Message(
                    "is not a unit of the flow's unit group (%(units)s)",
                    units=", ".join(
                        sorted(u.name for u in self.units.values() if u.group == group)
                    ),
                )
                self.problem(where, f"{field}.unit", unit_ref.name or unit_ref.id, rule)
                return None
            unit = by_name[0]
        factor = unit.factor / info.factors[prop]
        if factor != 1.0:
            self.conversions.append(
                Conversion(process.id, name, float(amount), unit.name, info.unit, factor)
            )
        uncertainty = self._uncertainty(where, f"{field}.uncertainty", exchange.uncertainty)
        if uncertainty is False:
            return None
        return flow_id, float(amount) * factor, info.unit, scaled(uncertainty, factor)

    def _uncertainty(self, where: str, field: str, given: Any) -> Uncertainty | bool | None:
        if given is None or given.distribution_type is None:
            return None
        kind = given.distribution_type
        if kind == olca.UncertaintyType.LOG_NORMAL_DISTRIBUTION:
            if not _finite(given.geom_sd) or given.geom_sd < 1:
                rule = Message("a lognormal's geometric standard deviation must be at least 1")
                self.problem(where, f"{field}.geomSd", given.geom_sd, rule)
                return False
            return Uncertainty("lognormal", sigma=math.log(given.geom_sd))
        if kind == olca.UncertaintyType.NORMAL_DISTRIBUTION:
            if not _finite(given.sd) or given.sd < 0:
                rule = Message("a normal's standard deviation must be a non-negative number")
                self.problem(where, f"{field}.sd", given.sd, rule)
                return False
            return Uncertainty("normal", sigma=float(given.sd))
        low, high = given.minimum, given.maximum
        if not (_finite(low) and _finite(high)) or low > high:
            rule = Message("minimum and maximum must be numbers, the minimum not above the maximum")
            self.problem(where, f"{field}.minimum", low, rule)
            return False
        shape = "uniform" if kind == olca.UncertaintyType.UNIFORM_DISTRIBUTION else "triangular"
        return Uncertainty(shape, minimum=float(low), maximum=float(high))

    # -- linking --------------------------------------------------------------------------

    def _link(self, raw: list) -> list[Process]:
        makers: dict[str, list[str]] = defaultdict(list)
        made: dict[str, str] = {}
        for entity, _, process, _ in raw:
            ref = next(e for e in entity.exchanges if e.is_quantitative_reference)
            makers[ref.flow.id].append(process.code)
            made[process.code] = ref.flow.id
        processes = []
        for entity, where, process, inputs in raw:
            exchanges = []
            source = Source(
                "dataset", f"{self.origin}:{self.zip.entities['processes'][entity.id][0]}"
            )
            for index, exchange, (flow_id, amount, unit, uncertainty) in inputs:
                info = self.flows[flow_id]
                kind = info.entity.flow_type
                field = f"exchanges[{index}]"
                if kind == olca.FlowType.ELEMENTARY_FLOW:
                    exchanges += self._emission(
                        process, flow_id, amount, bool(exchange.is_input), uncertainty, source
                    )
                    continue
                consumed = (kind == olca.FlowType.PRODUCT_FLOW) == bool(exchange.is_input)
                avoided = bool(exchange.is_avoided_product)
                if consumed == avoided:
                    rule = (
                        Message(
                            "a second product output (a co-product): allocate the process "
                            "in openLCA before the export (lingtan reads single-output "
                            "processes)"
                        )
                        if not avoided
                        else Message(
                            "an avoided product must be an output (an avoided waste an input)"
                        )
                    )
                    self.problem(where, f"{field}.isInput", exchange.is_input, rule)
                    continue
                sign = -1.0 if avoided else 1.0
                provider, reason = self._provider(where, field, exchange, flow_id, makers, made)
                if provider is None:
                    if reason is not None:
                        self.unlinked.append(
                            Unlinked(
                                process.code,
                                flow_id,
                                info.entity.name or flow_id,
                                sign * amount,
                                unit,
                                reason,
                            )
                        )
                    continue
                exchanges.append(
                    Exchange(
                        provider,
                        sign * amount,
                        unit,
                        uncertainty=scaled(uncertainty, sign),
                        sources=(source,),
                    )
                )
            processes.append(replace(process, exchanges=tuple(exchanges)))
        return processes

    def _provider(self, where, field, exchange, flow_id, makers, made):
        """(provider code, None) or (None, the reason it is unlinked) or (None, None) when a
        problem was recorded."""
        default = exchange.default_provider.id if exchange.default_provider is not None else None
        if default:
            if default in made:
                if made[default] != flow_id:
                    rule = Message("the default provider's quantitative reference is another flow")
                    self.problem(where, f"{field}.defaultProvider.@id", default, rule)
                    return None, None
                return default, None
            return None, Message(
                "its default provider %(provider)s is not in the zip", provider=default
            )
        found = makers.get(flow_id, [])
        if len(found) == 1:
            return found[0], None
        if not found:
            return None, Message("no process of the zip makes this product")
        return None, Message(
            "%(n)s processes of the zip make this product and the exchange "
            "names no default provider",
            n=len(found),
        )

    def _emission(self, process, flow_id, amount, is_input, uncertainty, source) -> list[Exchange]:
        info = self.flows[flow_id]
        if flow_id in self.tagged:
            sign = -1.0 if is_input else 1.0
            return [
                Exchange(
                    flow_id,
                    sign * amount,
                    info.unit,
                    biosphere=True,
                    uncertainty=scaled(uncertainty, sign),
                    sources=(source,),
                )
            ]
        name = info.entity.name or flow_id
        compartment = info.entity.category or ""
        exchange = gas_exchange(
            self.factors,
            name=name,
            cas=info.entity.cas,
            compartment=compartment,
            is_input=is_input,
            amount=amount,
            unit=info.unit,
            uncertainty=uncertainty,
            source=source,
        )
        if exchange is None:
            entry = self.uncharacterised.setdefault(flow_id, [name, compartment, 0])
            entry[2] += 1
            return []
        return [exchange]

    def _loops(self, processes: list[Process]) -> None:
        """Refuse provider loops with no non-negative solution (see the module docs)."""
        index = {p.code: i for i, p in enumerate(processes)}
        rows, cols, values = [], [], []
        for j, process in enumerate(processes):
            for exchange in process.exchanges:
                if not exchange.biosphere and exchange.amount > 0:
                    i = index[exchange.flow]
                    rows.append(i)
                    cols.append(j)
                    values.append(exchange.amount / processes[i].production)
        if not rows:
            return
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import connected_components

        # M[i, j] = a_ij / p_i: the input of i's product per unit of j's scaling, over what
        # one unit of i's scaling makes; A = diag(p) (I - M), so A s = f has a non-negative
        # solution for every demand exactly when the spectral radius of M is below 1
        n = len(processes)
        coefficients = coo_matrix((values, (rows, cols)), shape=(n, n)).tocsr()
        count, labels = connected_components(coefficients, directed=True, connection="strong")
        # only a component of several processes, or one taking its own product, is a loop
        sizes = np.bincount(labels, minlength=count)
        order = np.argsort(labels, kind="stable")
        starts = np.concatenate(([0], np.cumsum(sizes)))
        diagonal = coefficients.diagonal()
        for label in np.flatnonzero((sizes > 1) | (np.bincount(labels, diagonal > 0) > 0)):
            members = order[starts[label] : starts[label + 1]]
            block = coefficients[members][:, members]
            if _perron_at_least_one(block):
                names = ", ".join(processes[m].code for m in members[:5])
                rule = Message(
                    "a loop of providers (%(processes)s) takes at least as much of its products "
                    "as it makes: the system has no non-negative solution",
                    processes=names,
                )
                first = processes[members[0]].code
                self.problem(
                    self.where("processes", first), "exchanges.defaultProvider", first, rule
                )


def _perron_at_least_one(block, iterations: int = 200) -> bool:
    """Whether the spectral radius of a non-negative irreducible matrix is at least 1, by
    power iteration on ``block + I`` with Collatz–Wielandt bounds (``min (Mx)/x <= rho <=
    max (Mx)/x`` for any positive x): decided as soon as a bound settles it."""
    n = block.shape[0]
    x = np.ones(n)
    for _ in range(iterations):
        y = block @ x
        ratios = y / x
        low, high = ratios.min(), ratios.max()
        if low >= 1.0 - 1e-12:
            return True
        if high < 1.0 - 1e-12:
            return False
        x = y + x
        x /= x.max()
    return low >= 1.0 - 1e-9


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _tags(entity: Any) -> dict[str, str]:
    """lingtan's tags of an entity (``lingtan:stage=production``, ``lingtan:foreground``)."""
    found = {}
    for tag in entity.tags or ():
        if isinstance(tag, str) and tag.startswith(_TAG):
            key, _, value = tag[len(_TAG) :].partition("=")
            found[key] = value
    return found


# -- export -------------------------------------------------------------------------------


def write_jsonld(system: ProductSystem, path: str | Path) -> None:
    """Write ``system`` as an openLCA JSON-LD zip at ``path`` (whole or not at all: the zip is
    written beside it and renamed); see :func:`jsonld_bytes`."""
    data = jsonld_bytes(system)
    target = Path(path)
    partial = target.with_name(target.name + ".part")
    partial.write_bytes(data)
    partial.replace(target)


def jsonld_bytes(system: ProductSystem) -> bytes:
    """A product system as the bytes of an openLCA JSON-LD zip (olca-schema format 2).

    Each process is a unit process whose quantitative reference is a product flow of its
    name; a technosphere input names its provider as the default provider (a negative input
    is an avoided product); an exchange in another unit than its provider's (or its flow's)
    is converted to that unit (:func:`lingtan.units.conversion_factor`). Each unit is the
    reference unit of a unit group of its own. The product system's elementary flows are
    written with their kind and compartment as tags.

    Raises
    ------
    InputError
        A code that cannot name a file in the zip, an input naming no process of the system,
        an emission naming no flow of it, a unit that cannot be converted.
    """
    return _Writer(system).run()


def _id(kind: str, name: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{kind}:{name}"))


class _Writer:
    def __init__(self, system: ProductSystem) -> None:
        self.system = system
        self.problems = Problems()
        self.units: dict[str, tuple[olca.UnitGroup, olca.FlowProperty]] = {}
        self.processes = {p.code: p for p in system.processes}
        self.flows = {f.code: f for f in system.flows}

    def problem(self, where: str, field: str, value: Any, rule: Message) -> None:
        self.problems.append(InputProblem(where, field, value, rule))

    def unit(self, name: str) -> tuple[olca.UnitGroup, olca.FlowProperty]:
        if name not in self.units:
            unit = olca.Unit(
                id=_id("unit", name), name=name, conversion_factor=1.0, is_ref_unit=True
            )
            group = olca.UnitGroup(
                id=_id("unit-group", name), name=f"Units of {name}", units=[unit]
            )
            prop = olca.FlowProperty(
                id=_id("flow-property", name),
                name=f"Quantity in {name}",
                unit_group=group.to_ref(),
                flow_property_type=olca.FlowPropertyType.PHYSICAL_QUANTITY,
            )
            group.default_flow_property = prop.to_ref()
            self.units[name] = (group, prop)
        return self.units[name]

    def flow(self, flow_id: str, name: str, kind: olca.FlowType, unit: str, **more: Any):
        prop = self.unit(unit)[1]
        factor = olca.FlowPropertyFactor(
            flow_property=prop.to_ref(), conversion_factor=1.0, is_ref_flow_property=True
        )
        return olca.Flow(id=flow_id, name=name, flow_type=kind, flow_properties=[factor], **more)

    def run(self) -> bytes:
        seen: set[str] = set()
        for kind, codes in (
            ("process", [p.code for p in self.system.processes]),
            ("flow", [f.code for f in self.system.flows]),
        ):
            for code in codes:
                where = f"{kind} {code}"
                if not isinstance(code, str) or not code or re.search(r"[/\\]", code):
                    rule = Message(
                        "must be a non-empty code without / or \\ (it names a file in the zip)"
                    )
                    self.problem(where, "code", code, rule)
                elif (kind, code) in seen:
                    self.problem(where, "code", code, Message("is given twice"))
                seen.add((kind, code))
        entities: list[Any] = []
        products = {
            p.code: self.flow(_id("product", p.code), p.name, olca.FlowType.PRODUCT_FLOW, p.unit)
            for p in self.system.processes
        }
        for flow in self.system.flows:
            tags = [
                f"{_TAG}flow",
                f"{_TAG}kind={flow.kind}",
                f"{_TAG}compartment={flow.compartment}",
            ]
            entities.append(
                self.flow(
                    flow.code,
                    flow.name,
                    olca.FlowType.ELEMENTARY_FLOW,
                    flow.unit,
                    category=f"Elementary flows/{flow.compartment}",
                    tags=tags,
                )
            )
        locations: dict[str, olca.Location] = {}
        for process in self.system.processes:
            if process.location and process.location not in locations:
                locations[process.location] = olca.Location(
                    id=_id("location", process.location),
                    name=process.location,
                    code=process.location,
                )
            entities.append(self.process(process, products, locations))
        if self.problems:
            raise InputError(self.problems, origin=self.system.name or "product system")
        entities += list(products.values()) + list(locations.values())
        for group, prop in self.units.values():
            entities += [group, prop]
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(zipfile.ZipInfo("olca-schema.json"), '{"version": 2}')
            for entity in sorted(entities, key=lambda e: (_folder(e), e.id)):
                # no time of writing in the zip: the same system gives the same bytes
                entity.last_change = None
                entry = zipfile.ZipInfo(f"{_folder(entity)}/{entity.id}.json")
                entry.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(entry, entity.to_json())
        return buffer.getvalue()

    def process(self, process: Process, products: dict, locations: dict) -> olca.Process:
        where = f"process {process.code}"
        tags = [f"{_TAG}stage={process.stage}"] + (
            [f"{_TAG}foreground"] if process.foreground else []
        )
        entity = olca.Process(
            id=process.code,
            name=process.name,
            process_type=olca.ProcessType.UNIT_PROCESS,
            tags=tags,
            location=locations[process.location].to_ref() if process.location else None,
            exchanges=[],
        )
        group, prop = self.unit(process.unit)
        entity.exchanges.append(
            olca.Exchange(
                internal_id=1,
                flow=products[process.code].to_ref(),
                amount=process.production,
                unit=group.units[0].to_ref(),
                flow_property=prop.to_ref(),
                is_input=False,
                is_quantitative_reference=True,
            )
        )
        for index, exchange in enumerate(process.exchanges):
            field = f"exchanges[{index}]"
            if exchange.biosphere:
                target = self.flows.get(exchange.flow)
                flow_ref = (
                    None
                    if target is None
                    else olca.Ref(id=target.code, name=target.name, ref_type=olca.RefType.Flow)
                )
            else:
                target = self.processes.get(exchange.flow)
                flow_ref = None if target is None else products[target.code].to_ref()
            if target is None:
                rule = (
                    Message("names no flow of the product system")
                    if exchange.biosphere
                    else Message("names no process of the product system")
                )
                self.problem(where, f"{field}.flow", exchange.flow, rule)
                continue
            factor = 1.0
            if exchange.unit != target.unit:
                from lingtan.units import UnitError, conversion_factor

                try:
                    factor = conversion_factor(exchange.unit, target.unit)
                except UnitError as exc:
                    self.problem(where, f"{field}.unit", exchange.unit, exc.message)
                    continue
            amount = exchange.amount * factor
            # an input is consumed, a negative one avoided; an emission goes out, an uptake in
            negative = amount < 0
            olca_exchange = olca.Exchange(
                internal_id=index + 2,
                flow=flow_ref,
                amount=abs(amount),
                unit=self.unit(target.unit)[0].units[0].to_ref(),
                flow_property=self.unit(target.unit)[1].to_ref(),
                is_input=negative if exchange.biosphere else not negative,
                is_avoided_product=None if exchange.biosphere or not negative else True,
                uncertainty=_olca_uncertainty(
                    scaled(exchange.uncertainty, -factor if negative else factor), abs(amount)
                ),
                description="; ".join(_source_text(s) for s in exchange.sources) or None,
            )
            if not exchange.biosphere:
                olca_exchange.default_provider = olca.Ref(
                    id=target.code, name=target.name, ref_type=olca.RefType.Process
                )
            entity.exchanges.append(olca_exchange)
        entity.last_internal_id = len(entity.exchanges)
        return entity


def _olca_uncertainty(uncertainty: Uncertainty | None, amount: float) -> olca.Uncertainty | None:
    if uncertainty is None:
        return None
    kinds = olca.UncertaintyType
    if uncertainty.distribution == "lognormal":
        return olca.Uncertainty(
            distribution_type=kinds.LOG_NORMAL_DISTRIBUTION,
            geom_mean=amount,
            geom_sd=math.exp(uncertainty.sigma or 0.0),
        )
    if uncertainty.distribution == "normal":
        return olca.Uncertainty(
            distribution_type=kinds.NORMAL_DISTRIBUTION, mean=amount, sd=uncertainty.sigma
        )
    if uncertainty.distribution == "uniform":
        return olca.Uncertainty(
            distribution_type=kinds.UNIFORM_DISTRIBUTION,
            minimum=uncertainty.minimum,
            maximum=uncertainty.maximum,
        )
    return olca.Uncertainty(
        distribution_type=kinds.TRIANGLE_DISTRIBUTION,
        minimum=uncertainty.minimum,
        mode=amount,
        maximum=uncertainty.maximum,
    )


def _source_text(source: Source) -> str:
    parts = [f"{source.kind} {source.reference}"]
    if source.quantity is not None:
        parts.append(f"{source.quantity:g} {source.unit or ''}".strip())
    if source.start is not None or source.end is not None:
        parts.append(f"{source.start or ''}..{source.end or ''}")
    if source.note:
        parts.append(source.note)
    return ", ".join(parts)


def _folder(entity: Any) -> str:
    return next(folder for folder, kind in _FOLDERS.items() if isinstance(entity, kind))
