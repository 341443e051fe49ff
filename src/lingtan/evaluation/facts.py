"""The vocabulary of facts a zero-carbon-factory criterion reads, and the facts file.

A criterion reads one fact by its name (``offset_retired_tco2e``); the name carries the
fact's unit as its suffix. A fact is a number (with a unit), a code (one of a fixed list, or a
list of them: ``unit_product_level``) or a flag (true or false). A *declaration* is a fact
lingtan cannot compute from its own data (green-factory status, a management plan, a
compliance record): it is judged only with its evidence reference (a document, a file's
SHA-256, a list and row of an official publication).

A facts file (YAML) holds ``facts``: name -> value, or name -> ``{value, evidence}``::

    facility: Demo cell plant
    period: "2025"
    facts:
      scope12_residual_tco2e: 12000
      offset_retired_tco2e: 11144
      green_factory_status: {value: provincial, evidence: "苏工信 2024 list, row 12"}

References
----------
.. [1] /work/shared/reference/accounting-standards.md §6 (ISO 14068-1, GEC, CCER) and §7.4
   ("Implication for the platform": Cat 1 + 2 boundary, offset percentage, renewable share,
   efficiency versus limit-standard grades, green-factory prerequisite, evidence trail).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lingtan.errors import InputError, InputProblem, Problems, one_of
from lingtan.i18n import Message
from lingtan.yamlinput import read_yaml_file

__all__ = ["FACTS", "KINDS", "Fact", "FactValue", "read_facts", "read_facts_file"]

#: The kinds of fact.
KINDS = ("number", "code", "flag")


@dataclass(frozen=True, slots=True)
class Fact:
    """One fact of the vocabulary.

    Attributes
    ----------
    name : str
        The name a criterion and a facts file use; a number's unit is its suffix.
    kind : {"number", "code", "flag"}
    unit : str
        The unit of a number (``tCO2e``, ``%``, ``years``, ``months``); ``""`` otherwise.
    declaration : bool
        True for a fact that needs its evidence reference to be judged.
    codes : tuple of str
        The codes a ``code`` fact may take.
    many : bool
        A code fact that holds a list of codes (every level a figure reaches).
    meaning : str
        What the fact is, in English (docs/evaluation.md has it in Chinese too).
    """

    name: str
    kind: str
    unit: str = ""
    declaration: bool = False
    codes: tuple[str, ...] = ()
    many: bool = False
    meaning: str = ""


_FACTS = (
    Fact(
        "scope12_residual_tco2e",
        "number",
        "tCO2e",
        meaning="ISO 14064-1 category 1 + 2 (about Scope 1 + 2) emissions of the period that "
        "remain after self-reduction: what must be offset",
    ),
    Fact(
        "cat1to4_residual_tco2e",
        "number",
        "tCO2e",
        meaning="ISO 14064-1 categories 1 to 4 emissions of the period that remain after "
        "self-reduction (the boundary of T/CECA-G 0171-2022 Type II)",
    ),
    Fact(
        "footprint_residual_tco2e",
        "number",
        "tCO2e",
        meaning="the residual of the footprint of the subject of an ISO 14068-1 claim after "
        "reductions and removals in the value chain",
    ),
    Fact(
        "reductions_tco2e",
        "number",
        "tCO2e",
        meaning="emissions reduced against the base period by the factory's own measures",
    ),
    Fact(
        "offset_retired_tco2e",
        "number",
        "tCO2e",
        meaning="carbon credits (CCER and others) retired (注销) for the period",
    ),
    Fact(
        "removals_tco2e",
        "number",
        "tCO2e",
        meaning="removals by projects outside the boundary claimed for the period",
    ),
    Fact(
        "renewable_electricity_share_pct",
        "number",
        "%",
        meaning="renewable electricity (on-site, direct supply, green-power trading, retired "
        "GECs) over the electricity consumed in the period, annual volumetric",
    ),
    Fact(
        "electricity_consumed_mwh",
        "number",
        "MWh",
        meaning="electricity consumed in the period; with it, a renewable-share gap is also "
        "told in GECs to retire (1 GEC = 1 MWh)",
    ),
    Fact(
        "hourly_matched_cfe_share_pct",
        "number",
        "%",
        meaning="carbon-free electricity matched hour by hour over the electricity consumed "
        "(lingtan evaluate match)",
    ),
    Fact(
        "unit_product_level",
        "code",
        codes=(
            "advanced",
            "access",
            "limit",
            "not_compliant",
            "benchmark",
            "baseline",
            "below_baseline",
            "not_listed",
        ),
        many=True,
        meaning="every level the unit-product energy reaches: on the quota standard "
        "(advanced 先进值 / access 准入值 / limit 限定值 / not_compliant) and on the NDRC "
        "levels (benchmark 标杆水平 / baseline 基准水平 / below_baseline, or not_listed for a "
        "product the NDRC list has no level for)",
    ),
    Fact(
        "green_factory_status",
        "code",
        declaration=True,
        codes=("national", "provincial", "municipal", "none"),
        meaning="the highest green-factory (绿色工厂) recognition the factory holds",
    ),
    Fact(
        "management_plan",
        "flag",
        declaration=True,
        meaning="a management organisation and a (carbon-neutrality / zero-carbon) management "
        "plan are in place",
    ),
    Fact(
        "energy_carbon_management_system",
        "flag",
        declaration=True,
        meaning="an energy and carbon information management system is in place",
    ),
    Fact(
        "compliance_record_years",
        "number",
        "years",
        declaration=True,
        meaning="consecutive years up to the period without a major safety, environmental or "
        "quality accident and without a penalty",
    ),
    Fact(
        "footprint_quantified",
        "flag",
        declaration=True,
        meaning="the footprint is quantified under ISO 14064-1 (organisation) or ISO 14067 "
        "(product) and verified",
    ),
    Fact(
        "credit_retirement_lag_months",
        "number",
        "months",
        meaning="months from the end of the period to the last retirement of a credit claimed "
        "for it",
    ),
    Fact(
        "credits_meet_criteria",
        "flag",
        declaration=True,
        meaning="every credit claimed meets the claim standard's criteria (additional, "
        "permanent, verified, no double counting or leakage)",
    ),
    Fact(
        "claim_evidence",
        "flag",
        declaration=True,
        meaning="the claim is documented with its evidence (a qualifying statement)",
    ),
)
#: The facts by name.
FACTS: dict[str, Fact] = {fact.name: fact for fact in _FACTS}


@dataclass(frozen=True, slots=True)
class FactValue:
    """A fact's value as given, and its evidence reference (for a declaration)."""

    value: Any
    evidence: str | None = None


def _check(name: str, raw: Any, where: str, problems: Problems) -> Any:
    """The value of fact *name* or None after recording a problem."""
    fact = FACTS[name]
    if fact.kind == "number":
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            problems.append(InputProblem(where, name, raw, Message("must be a number")))
            return None
        if not math.isfinite(raw) or raw < 0:
            rule = Message("must be a finite number, not negative")
            problems.append(InputProblem(where, name, raw, rule))
            return None
        if fact.unit == "%" and raw > 100:
            problems.append(InputProblem(where, name, raw, Message("a share is at most 100 %%")))
            return None
        return float(raw)
    if fact.kind == "flag":
        if not isinstance(raw, bool):
            problems.append(InputProblem(where, name, raw, Message("must be true or false")))
            return None
        return raw
    values = raw if fact.many and isinstance(raw, list) else [raw]
    wrong = [v for v in values if not isinstance(v, str) or v not in fact.codes]
    if wrong or not values:
        problems.append(InputProblem(where, name, raw, one_of(fact.codes)))
        return None
    return tuple(values) if fact.many else values[0]


def read_facts(data: Any, *, origin: str = "facts") -> dict[str, FactValue]:
    """The facts of a parsed facts document (its ``facts`` mapping), every problem at once.

    Parameters
    ----------
    data : mapping
        The document: ``facts`` maps a fact's name (:data:`FACTS`) to its value or to
        ``{value, evidence}``.
    origin : str
        The file's name, for the problems.

    Returns
    -------
    dict of str to FactValue

    Raises
    ------
    InputError
        A key other than ``facility``, ``period`` and ``facts``; an unknown fact, a value of
        the wrong kind, a negative number, a share above 100 %,
        an unknown code, an evidence that is not text.
    """
    problems = Problems()
    facts = data.get("facts") if isinstance(data, dict) else None
    if not isinstance(facts, dict):
        rule = Message("must be a mapping of fact names to values")
        raise InputError(InputProblem(origin, "facts", None, rule), origin=origin)
    for key in sorted(set(map(str, data)) - {"facility", "period", "facts"}):
        problems.append(InputProblem(origin, key, None, one_of(("facility", "period", "facts"))))
    found: dict[str, FactValue] = {}
    for name, given in facts.items():
        where = Message("%(file)s fact %(fact)s", file=origin, fact=str(name))
        if name not in FACTS:
            problems.append(InputProblem(where, "name", name, one_of(sorted(FACTS))))
            continue
        evidence = None
        if isinstance(given, dict):
            extra = set(given) - {"value", "evidence"}
            if extra or "value" not in given:
                rule = Message("a declaration is {value, evidence}")
                problems.append(InputProblem(where, "value", sorted(map(str, given)), rule))
                continue
            evidence = given.get("evidence")
            if evidence is not None and (not isinstance(evidence, str) or not evidence.strip()):
                rule = Message("must be a text naming the evidence")
                problems.append(InputProblem(where, "evidence", evidence, rule))
                continue
            given = given["value"]
        value = _check(name, given, where, problems)
        if value is not None:
            found[name] = FactValue(value, evidence.strip() if evidence else None)
    if problems:
        raise InputError(problems, origin=origin)
    return found


def read_facts_file(path: str | Path) -> dict[str, FactValue]:
    """The facts of the YAML file at *path* (:func:`read_facts`)."""
    path = Path(path)
    data = read_yaml_file(path, path.name)
    return read_facts(data, origin=path.name)
