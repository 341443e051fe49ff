"""Background datasets from a Brightway export: the nodes and edges of bw2data as plain JSON.

The file is a JSON list of nodes (or ``{"nodes": [...]}``), each as bw2data keeps an activity
(``Activity.as_dict()``) with its exchanges (``Exchange.as_dict()``), the biosphere flows it
emits among them::

    [
      {"database": "bg", "code": "steel", "name": "steel production", "unit": "kilogram",
       "location": "GLO", "type": "process",
       "exchanges": [
         {"input": ["bg", "steel"], "amount": 1, "type": "production"},
         {"input": ["bg", "power"], "amount": 7.2, "type": "technosphere",
          "uncertainty type": 2, "loc": 1.974, "scale": 0.1},
         {"input": ["biosphere3", "co2"], "amount": 1.8, "type": "biosphere"}]},
      {"database": "biosphere3", "code": "co2", "name": "Carbon dioxide, fossil",
       "unit": "kilogram", "type": "emission", "categories": ["air"],
       "CAS number": "000124-38-9"}
    ]

A user writes it from a Brightway project on any machine (``json.dump([{**a.as_dict(),
"exchanges": [e.as_dict() for e in a.exchanges()]} for a in db], f)``, the biosphere
flows used added the same way), or by hand: lingtan needs no Brightway project.

- A node of type ``emission`` or ``natural resource`` is an elementary flow; any other node
  (``process``, ``processwithreferenceproduct`` …) a process, named by its ``code``.
- ``production`` gives the process's production (Brightway's implicit 1 when there is none;
  a negative one, a waste treatment in ecoinvent's convention, is turned positive with its
  consumers' amounts, which leaves every scaling the same); ``technosphere`` is an input,
  ``substitution`` a negative input; ``biosphere`` an emission (a natural resource an
  uptake), counted in kg CO2e as in :mod:`lingtan.footprint.interchange`.
- An exchange's own ``unit``, where it differs from its provider's, is converted
  (:func:`lingtan.units.conversion_factor`) or refused.
- Uncertainty in stats_arrays' terms: type 2 lognormal (``scale`` is sigma), 3 normal
  (``scale``), 4 uniform, 5 triangular (``minimum``, ``maximum``); 0 and 1 none; others are
  refused.
- An input whose node is not in the file is cut off and listed in the report.

References
----------
.. [1] Mutel C., *Brightway: an open source framework for LCA*, JOSS 2(12), 236 (2017);
   bw2data ``backends/schema.py`` (nodes and edges, the edge types).
.. [2] stats_arrays, uncertainty distribution ids (0 undefined … 5 triangular).
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from dataclasses import replace
from pathlib import Path
from typing import Any

from lingtan.errors import InputError, InputProblem, Problems, read_text_file
from lingtan.footprint.interchange import (
    DEFAULT_GWP_SET,
    Conversion,
    Imported,
    ImportReport,
    Uncharacterised,
    Unlinked,
    gas_exchange,
    gwp_set,
    scaled,
)
from lingtan.footprint.model import (
    GHG_FLOWS,
    STAGES,
    Exchange,
    Process,
    ProductSystem,
    Source,
    Uncertainty,
)
from lingtan.i18n import Message
from lingtan.units import UnitError, conversion_factor

__all__ = ["read_brightway_json", "read_brightway_text"]

_ELEMENTARY = ("emission", "natural resource")
_EDGES = ("production", "technosphere", "substitution", "biosphere")


def read_brightway_json(
    path: str | Path, *, gwp: str = DEFAULT_GWP_SET, stage: str = "raw_materials"
) -> Imported:
    """Background processes from a Brightway JSON export (see the module's documentation).

    Parameters
    ----------
    path : str or Path
        The JSON file.
    gwp : str
        The GWP set the gases are counted with [kg CO2e per kg].
    stage : str
        The life-cycle stage of the processes.

    Raises
    ------
    InputError
        Naming the file, the node (database and code), the field and the value.
    """
    where = Path(path).name
    return read_brightway_text(read_text_file(path, where), origin=where, gwp=gwp, stage=stage)


def read_brightway_text(
    text: str, *, origin: str, gwp: str = DEFAULT_GWP_SET, stage: str = "raw_materials"
) -> Imported:
    """:func:`read_brightway_json` of the file's text; ``origin`` names it."""
    if stage not in STAGES:
        rule = Message("must be one of %(options)s", options=", ".join(STAGES))
        raise InputError(InputProblem(origin, "stage", stage, rule), origin=origin)
    factors = gwp_set(gwp)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        rule = Message(
            "is not valid JSON (%(reason)s, line %(line)s)", reason=exc.msg, line=exc.lineno
        )
        raise InputError(InputProblem(origin, "file", origin, rule), origin=origin) from None
    nodes = data.get("nodes") if isinstance(data, dict) else data
    if not isinstance(nodes, list) or not nodes:
        rule = Message('must be a non-empty list of nodes (or {"nodes": [...]})')
        raise InputError(InputProblem(origin, "nodes", type(nodes).__name__, rule), origin=origin)
    return _Reader(origin, factors, stage).run(nodes)


class _Reader:
    def __init__(self, origin: str, factors: Any, stage: str) -> None:
        self.origin, self.factors, self.stage = origin, factors, stage
        self.problems = Problems()

    def problem(self, where: str, field: str, value: Any, rule: Message) -> None:
        self.problems.append(InputProblem(where, field, value, rule))

    def run(self, nodes: list) -> Imported:
        keyed: dict[tuple[str, str], tuple[str, dict]] = {}
        codes: dict[str, tuple[str, str]] = {}
        for index, node in enumerate(nodes):
            where = f"{self.origin} node {index}"
            if not isinstance(node, dict):
                self.problem(where, "node", type(node).__name__, Message("must be a JSON object"))
                continue
            key = (node.get("database"), node.get("code"))
            missing = [f for f in ("database", "code", "name", "unit") if not _text(node.get(f))]
            if missing:
                for field in missing:
                    self.problem(where, field, node.get(field), Message("is required"))
                continue
            where = f"{self.origin} node {key[0]}/{key[1]}"
            if key in keyed:
                self.problem(where, "code", key[1], Message("is given twice"))
                continue
            keyed[key] = (where, node)
            if node.get("type") not in _ELEMENTARY:
                if key[1] in codes:
                    rule = Message(
                        "is the code of another process (%(other)s)", other="/".join(codes[key[1]])
                    )
                    self.problem(where, "code", key[1], rule)
                    continue
                codes[key[1]] = key
        processes = {k: v for k, v in keyed.items() if v[1].get("type") not in _ELEMENTARY}
        read = {key: self._process(where, node, keyed) for key, (where, node) in processes.items()}
        if self.problems:
            raise InputError(self.problems, origin=self.origin)
        flipped = {key for key, (process, _) in read.items() if process.production < 0}
        unlinked, conversions, uncharacterised = [], [], defaultdict(lambda: ["", "", 0])
        built = []
        for process, edges in read.values():
            exchanges = []
            for edge in edges:
                kind, target, amount, unit, uncertainty, field, source = edge
                if kind == "biosphere":
                    node = keyed.get(target, (None, {}))[1]
                    name = node.get("name") or source.note
                    compartment = "/".join(node.get("categories") or ())
                    exchange = gas_exchange(
                        self.factors,
                        name=name or "/".join(target),
                        cas=node.get("CAS number"),
                        compartment=compartment,
                        is_input=node.get("type") == "natural resource",
                        amount=amount,
                        unit=node.get("unit") or unit or "",
                        uncertainty=uncertainty,
                        source=source,
                    )
                    if exchange is None:
                        entry = uncharacterised["/".join(target)]
                        entry[0], entry[1] = name or "/".join(target), compartment
                        entry[2] += 1
                    else:
                        exchanges.append(exchange)
                    continue
                sign = -1.0 if kind == "substitution" else 1.0
                if target in flipped:
                    sign = -sign
                provider = read.get(target)
                if provider is None:
                    reason = Message("no node of the file is this input's activity")
                    unlinked.append(
                        Unlinked(
                            process.code,
                            "/".join(target),
                            source.note or "/".join(target),
                            sign * amount,
                            unit or "",
                            reason,
                        )
                    )
                    continue
                provider_unit = provider[0].unit
                factor = 1.0
                if unit and unit != provider_unit:
                    try:
                        factor = conversion_factor(unit, provider_unit)
                    except UnitError as exc:
                        self.problem(source.reference, f"{field}.unit", unit, exc.message)
                        continue
                    conversions.append(
                        Conversion(
                            process.code, provider[0].name, amount, unit, provider_unit, factor
                        )
                    )
                exchanges.append(
                    Exchange(
                        provider[0].code,
                        sign * amount * factor,
                        provider_unit,
                        uncertainty=scaled(uncertainty, sign * factor),
                        sources=(source,),
                    )
                )
            production = abs(process.production)
            built.append(replace(process, production=production, exchanges=tuple(exchanges)))
        if self.problems:
            raise InputError(self.problems, origin=self.origin)
        used = {e.flow for p in built for e in p.exchanges if e.biosphere}
        system = ProductSystem(
            processes=tuple(built),
            flows=tuple(flow for flow in GHG_FLOWS if flow.code in used),
            name=Path(self.origin).stem,
            notes=(
                f"background from the Brightway export {self.origin}; GHGs counted with "
                f"{self.factors.set_id} GWP100",
            ),
        )
        report = ImportReport(
            origin=self.origin,
            gwp_set=self.factors.set_id,
            unlinked=tuple(unlinked),
            conversions=tuple(conversions),
            uncharacterised=tuple(
                Uncharacterised(code, *entry) for code, entry in sorted(uncharacterised.items())
            ),
            entities={"processes": len(processes), "flows": len(keyed) - len(processes)},
        )
        return Imported(system, report)

    def _process(self, where: str, node: dict, keyed: dict):
        exchanges = node.get("exchanges", [])
        if not isinstance(exchanges, list):
            self.problem(where, "exchanges", type(exchanges).__name__, Message("must be a list"))
            return None
        productions, edges = [], []
        for index, edge in enumerate(exchanges):
            field = f"exchanges[{index}]"
            if not isinstance(edge, dict):
                self.problem(where, field, type(edge).__name__, Message("must be a JSON object"))
                continue
            kind = edge.get("type")
            if kind not in _EDGES:
                rule = Message("must be one of %(options)s", options=", ".join(_EDGES))
                self.problem(where, f"{field}.type", kind, rule)
                continue
            target = edge.get("input")
            if not (
                isinstance(target, list | tuple)
                and len(target) == 2
                and all(_text(part) for part in target)
            ):
                rule = Message("must be [database, code]")
                self.problem(where, f"{field}.input", target, rule)
                continue
            amount = edge.get("amount")
            if not _number(amount):
                self.problem(where, f"{field}.amount", amount, Message("must be a number"))
                continue
            uncertainty = self._uncertainty(where, field, edge, float(amount))
            if uncertainty is False:
                continue
            if kind == "production":
                productions.append((index, tuple(target), float(amount)))
                continue
            source = Source("dataset", where, note=edge.get("name"))
            edges.append(
                (kind, tuple(target), float(amount), edge.get("unit"), uncertainty, field, source)
            )
        key = (node["database"], node["code"])
        own = [p for p in productions if p[1] == key]
        if len(productions) > 1 or (productions and not own):
            rule = Message(
                "a process must have one production exchange of its own product "
                "(lingtan reads single-output processes)"
            )
            self.problem(where, "exchanges.production", len(productions), rule)
            return None
        production = own[0][2] if own else 1.0
        if production == 0:
            rule = Message("the quantitative reference's amount must not be zero")
            self.problem(where, f"exchanges[{own[0][0]}].amount", production, rule)
            return None
        process = Process(
            code=node["code"],
            name=node["name"],
            unit=node["unit"],
            production=production,
            stage=self.stage,
            location=node.get("location") if _text(node.get("location")) else None,
        )
        return process, edges

    def _uncertainty(self, where: str, field: str, edge: dict, amount: float):
        kind = edge.get("uncertainty type", 0)
        if kind in (0, 1, None):
            return None
        if kind == 2:
            sigma = edge.get("scale")
            if not _number(sigma) or sigma < 0:
                rule = Message("a lognormal's scale (sigma) must be a non-negative number")
                self.problem(where, f"{field}.scale", sigma, rule)
                return False
            return Uncertainty("lognormal", sigma=float(sigma))
        if kind == 3:
            sigma = edge.get("scale")
            if not _number(sigma) or sigma < 0:
                rule = Message("a normal's standard deviation must be a non-negative number")
                self.problem(where, f"{field}.scale", sigma, rule)
                return False
            return Uncertainty("normal", sigma=float(sigma))
        if kind in (4, 5):
            low, high = edge.get("minimum"), edge.get("maximum")
            if not (_number(low) and _number(high)) or low > high:
                rule = Message(
                    "minimum and maximum must be numbers, the minimum not above the maximum"
                )
                self.problem(where, f"{field}.minimum", low, rule)
                return False
            shape = "uniform" if kind == 4 else "triangular"
            return Uncertainty(shape, minimum=float(low), maximum=float(high))
        rule = Message("uncertainty type %(type)s is not one lingtan reads (0 to 5)", type=kind)
        self.problem(where, f"{field}.uncertainty type", kind, rule)
        return False


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
