"""Zero-carbon-factory schemes as data: rule sets of criteria with their sources.

A scheme is one YAML file under ``lingtan/data/evaluation`` (or a user's file, origin
``custom``, kept apart from the shipped ones): its id, titles, document and a list of
criteria. A criterion reads one fact of :data:`lingtan.evaluation.facts.FACTS` and compares it
with its threshold by an operator:

* ``>=`` / ``<=`` with ``threshold: {value, unit}`` for a number, the unit the fact's; or
  ``threshold: {value: 100, unit: "%", of: scope12_residual_tco2e}``: a share of another
  fact, in that fact's unit (100 % of the residual emissions);
* ``in`` with ``threshold: {values: [...]}`` for a code (for a list of codes: any of them);
* ``==`` with ``threshold: {value: true}`` for a flag;
* ``threshold: unknown`` where the scheme's text is known but its threshold is not (the
  criterion is then ``unverified`` and always unable to judge, with its text as the reason).

Every criterion names its source (``document``, ``clause``), its review status (``official``
where the threshold was seen attributed to the document, ``unverified`` otherwise, with the
reason in ``note``).

The texts for people are bilingual: ``title_zh`` beside ``title_en``, and optionally
``note_zh`` beside ``note``, ``document_zh`` and ``clause_zh`` beside the source's
``document`` and ``clause`` (and the scheme's ``document_zh`` and ``note_zh``). A Chinese text
left out is the English one (a user's rule set written in English only is shown in English on
the Chinese screens, never refused for it).

References
----------
.. [1] /work/shared/reference/accounting-standards.md §6.1 (ISO 14068-1), §7.3 (T/CECA-G
   0171-2022, T/CIECCPA 030-2023), §7.4 (Zhejiang 2023 guidance, Jiangsu / Suzhou Industrial
   Park 2026 conditions).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from lingtan.errors import InputError, InputProblem, Problems, one_of
from lingtan.evaluation.facts import FACTS
from lingtan.i18n import Message
from lingtan.yamlinput import read_yaml_file

__all__ = [
    "OPERATORS",
    "ORIGINS",
    "STATUSES",
    "Criterion",
    "RuleSet",
    "read_rule_file",
    "read_rules",
    "shipped_rule_set",
    "shipped_rule_sets",
]

#: The operators and the fact kinds each applies to.
OPERATORS: dict[str, tuple[str, ...]] = {
    ">=": ("number",),
    "<=": ("number",),
    "in": ("code",),
    "==": ("flag",),
}
STATUSES = ("official", "unverified")
ORIGINS = ("shipped", "custom")
_SCHEME_KEYS = (
    "scheme",
    "title_zh",
    "title_en",
    "document",
    "document_zh",
    "url",
    "note",
    "note_zh",
    "criteria",
)
_CRITERION_KEYS = (
    "id",
    "title_zh",
    "title_en",
    "fact",
    "operator",
    "threshold",
    "source",
    "status",
    "note",
    "note_zh",
)
_SOURCE_KEYS = ("document", "clause", "document_zh", "clause_zh")
_ID = re.compile(r"[a-z0-9][a-z0-9-]*")


@dataclass(frozen=True, slots=True)
class Criterion:
    """One criterion of a scheme.

    Attributes
    ----------
    id, title_zh, title_en : str
    fact : str
        The fact it reads (:data:`~lingtan.evaluation.facts.FACTS`).
    operator : {">=", "<=", "in", "=="}
    threshold : float, bool, tuple of str or None
        The number, flag or codes to meet; None for an unknown threshold.
    unit : str
        The threshold's unit (``%`` for a share of another fact).
    of : str or None
        The fact a share threshold is a percentage of.
    document, clause : str
        The source.
    status : {"official", "unverified"}
    note : str
    note_zh, document_zh, clause_zh : str
        The note and the source in Chinese (the English ones where the file gives none).
    """

    id: str
    title_zh: str
    title_en: str
    fact: str
    operator: str
    threshold: float | bool | tuple[str, ...] | None
    unit: str
    of: str | None
    document: str
    clause: str
    status: str
    note: str
    note_zh: str = ""
    document_zh: str = ""
    clause_zh: str = ""

    @property
    def known(self) -> bool:
        """False for a threshold the scheme's text is known for but not its value."""
        return self.threshold is not None

    def threshold_text(self) -> str:
        """``>= 100 % of scope12_residual_tco2e``, ``in advanced, benchmark``, ``unknown``."""
        if self.threshold is None:
            return "unknown"
        if isinstance(self.threshold, tuple):
            return f"in {', '.join(self.threshold)}"
        if isinstance(self.threshold, bool):
            return f"== {'true' if self.threshold else 'false'}"
        unit = f" {self.unit}" if self.unit else ""
        of = f" of {self.of}" if self.of else ""
        return f"{self.operator} {self.threshold:g}{unit}{of}"

    def threshold_message(self) -> Message:
        """:meth:`threshold_text` for people: the fact a share is of named by its name
        (``evaluation.fact``), the codes and flags by theirs."""
        if self.threshold is None:
            return Message("unknown")
        if isinstance(self.threshold, tuple):
            return Message("in %(allowed_codes)s", allowed_codes=", ".join(self.threshold))
        if isinstance(self.threshold, bool):
            return Message("== %(wanted_flag)s", wanted_flag=str(self.threshold).lower())
        shown = {"operator": self.operator, "value": f"{self.threshold:g}", "unit": self.unit}
        if self.of:
            return Message("%(operator)s %(value)s %% of %(fact)s", fact=self.of, **shown)
        if self.unit:
            return Message("%(operator)s %(value)s %(unit)s", **shown)
        return Message("%(operator)s %(value)s", **shown)

    def source(self) -> dict[str, str]:
        return {
            "document": self.document,
            "clause": self.clause,
            "document_zh": self.document_zh,
            "clause_zh": self.clause_zh,
        }


@dataclass(frozen=True, slots=True)
class RuleSet:
    """A scheme: its criteria and where it comes from (``shipped`` or ``custom``); the
    document and note in Chinese too (the English ones where the file gives none)."""

    scheme: str
    title_zh: str
    title_en: str
    document: str
    url: str
    note: str
    criteria: tuple[Criterion, ...]
    origin: str
    file: str
    document_zh: str = ""
    note_zh: str = ""


def _text(
    raw: dict, key: str, where: str, problems: Problems, *, required: bool = True, prefix: str = ""
) -> str:
    value = raw.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip():
        rule = Message("must be a non-empty text")
        problems.append(InputProblem(where, f"{prefix}{key}", value, rule))
        return ""
    return value.strip()


def _threshold(
    raw: dict, fact: str, operator: str, where: str, problems: Problems
) -> tuple[Any, str, str | None]:
    """(threshold, unit, of) of a criterion, or a problem."""
    given = raw.get("threshold")
    if given == "unknown":
        return None, FACTS[fact].unit, None
    if not isinstance(given, dict):
        rule = Message("must be unknown or a mapping (value and unit, or values)")
        problems.append(InputProblem(where, "threshold", given, rule))
        return None, "", None
    kind = FACTS[fact].kind
    if kind == "code":
        values = given.get("values")
        codes = FACTS[fact].codes
        if set(given) != {"values"} or not isinstance(values, list) or not values:
            rule = Message("a code's threshold is {values: [codes]}")
            problems.append(InputProblem(where, "threshold", given, rule))
        elif wrong := [v for v in values if v not in codes]:
            problems.append(InputProblem(where, "threshold.values", wrong, one_of(codes)))
        else:
            return tuple(values), "", None
        return None, "", None
    value = given.get("value")
    if kind == "flag":
        if set(given) != {"value"} or not isinstance(value, bool):
            rule = Message("a flag's threshold is {value: true} or {value: false}")
            problems.append(InputProblem(where, "threshold", given, rule))
            return None, "", None
        return value, "", None
    extra = set(given) - {"value", "unit", "of"}
    if extra:
        rule = Message("a number's threshold is {value, unit} or {value, unit: %%, of}")
        problems.append(InputProblem(where, "threshold", sorted(extra), rule))
        return None, "", None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        rule = Message("must be a number, not negative")
        problems.append(InputProblem(where, "threshold.value", value, rule))
        return None, "", None
    unit, of = given.get("unit"), given.get("of")
    if of is not None:
        if of not in FACTS or FACTS[of].kind != "number":
            rule = one_of(sorted(n for n, f in FACTS.items() if f.kind == "number"))
            problems.append(InputProblem(where, "threshold.of", of, rule))
        elif FACTS[of].unit != FACTS[fact].unit:
            unit_of = FACTS[fact].unit
            rule = Message("must be a fact in %(unit)s, the unit of the fact", unit=unit_of)
            problems.append(InputProblem(where, "threshold.of", of, rule))
        elif unit != "%":
            rule = Message("a share of another fact is in %%")
            problems.append(InputProblem(where, "threshold.unit", unit, rule))
        else:
            return float(value), "%", of
        return None, "", None
    if unit != FACTS[fact].unit:
        rule = Message("must be %(unit)s, the unit of the fact", unit=FACTS[fact].unit)
        problems.append(InputProblem(where, "threshold.unit", unit, rule))
        return None, "", None
    return float(value), unit, None


def _criterion(raw: Any, scheme: str, index: int, problems: Problems) -> Criterion | None:
    label = raw.get("id") if isinstance(raw, dict) else None
    where = Message(
        "%(file)s criterion %(criterion)s", file=scheme, criterion=str(label or f"#{index}")
    )
    if not isinstance(raw, dict):
        problems.append(InputProblem(where, "criterion", raw, Message("must be a mapping")))
        return None
    before = len(problems) + problems.omitted
    for key in sorted(set(raw) - set(_CRITERION_KEYS)):
        problems.append(InputProblem(where, str(key), raw[key], one_of(_CRITERION_KEYS)))
    ident = _text(raw, "id", where, problems)
    if ident and not _ID.fullmatch(ident):
        rule = Message("must be lower-case letters, digits and hyphens")
        problems.append(InputProblem(where, "id", ident, rule))
    title_en = _text(raw, "title_en", where, problems)
    title_zh = _text(raw, "title_zh", where, problems, required=False) or title_en
    fact = raw.get("fact")
    operator = raw.get("operator")
    threshold, unit, of = None, "", None
    if fact not in FACTS:
        problems.append(InputProblem(where, "fact", fact, one_of(sorted(FACTS))))
    elif operator not in OPERATORS:
        problems.append(InputProblem(where, "operator", operator, one_of(OPERATORS)))
    elif FACTS[fact].kind not in OPERATORS[operator]:
        allowed = [op for op, kinds in OPERATORS.items() if FACTS[fact].kind in kinds]
        problems.append(InputProblem(where, "operator", operator, one_of(allowed)))
    else:
        threshold, unit, of = _threshold(raw, fact, operator, where, problems)
    source = raw.get("source")
    document = clause = document_zh = clause_zh = ""
    if not isinstance(source, dict):
        rule = Message("must be a mapping of document and clause")
        problems.append(InputProblem(where, "source", source, rule))
    else:
        for key in sorted(set(source) - set(_SOURCE_KEYS)):
            problems.append(InputProblem(where, f"source.{key}", source[key], one_of(_SOURCE_KEYS)))
        document = _text(source, "document", where, problems, prefix="source.")
        clause = _text(source, "clause", where, problems, prefix="source.")
        document_zh = _text(
            source, "document_zh", where, problems, required=False, prefix="source."
        )
        clause_zh = _text(source, "clause_zh", where, problems, required=False, prefix="source.")
    status = raw.get("status")
    if status not in STATUSES:
        problems.append(InputProblem(where, "status", status, one_of(STATUSES)))
    elif raw.get("threshold") == "unknown" and status != "unverified":
        rule = Message("an unknown threshold is unverified")
        problems.append(InputProblem(where, "status", status, rule))
    note = _text(raw, "note", where, problems, required=status == "unverified")
    note_zh = _text(raw, "note_zh", where, problems, required=False)
    if len(problems) + problems.omitted > before:
        return None
    return Criterion(
        ident,
        title_zh,
        title_en,
        fact,
        operator,
        threshold,
        unit,
        of,
        document,
        clause,
        status,
        note,
        note_zh or note,
        document_zh or document,
        clause_zh or clause,
    )


def read_rules(data: Any, *, file: str, origin: str = "custom") -> RuleSet:
    """The rule set of a parsed rule file, every problem at once.

    Parameters
    ----------
    data : mapping
        ``scheme``, ``title_zh``, ``title_en``, ``document``, optional ``url`` and ``note``,
        and ``criteria``: a list of criteria (see the module's text).
    file : str
        The file's name, for the problems and the result.
    origin : {"shipped", "custom"}

    Raises
    ------
    InputError
        Each problem names the file, the criterion, the field, the value and the rule.
    """
    problems = Problems()
    if not isinstance(data, dict):
        raise InputError(InputProblem(file, "file", None, Message("must be a mapping")))
    for key in sorted(set(data) - set(_SCHEME_KEYS)):
        problems.append(InputProblem(file, str(key), data[key], one_of(_SCHEME_KEYS)))
    scheme = _text(data, "scheme", file, problems)
    if scheme and not _ID.fullmatch(scheme):
        rule = Message("must be lower-case letters, digits and hyphens")
        problems.append(InputProblem(file, "scheme", scheme, rule))
    title_en = _text(data, "title_en", file, problems)
    title_zh = _text(data, "title_zh", file, problems, required=False) or title_en
    document = _text(data, "document", file, problems)
    raw = data.get("criteria")
    criteria: list[Criterion] = []
    if not isinstance(raw, list) or not raw:
        rule = Message("must be a list of criteria")
        problems.append(InputProblem(file, "criteria", raw, rule))
        raw = []
    seen: set[str] = set()
    for index, item in enumerate(raw, start=1):
        criterion = _criterion(item, file, index, problems)
        if criterion is None:
            continue
        if criterion.id in seen:
            where = Message("%(file)s criterion %(criterion)s", file=file, criterion=criterion.id)
            problems.append(InputProblem(where, "id", criterion.id, Message("is given twice")))
        seen.add(criterion.id)
        criteria.append(criterion)
    url = _text(data, "url", file, problems, required=False)
    note = _text(data, "note", file, problems, required=False)
    document_zh = _text(data, "document_zh", file, problems, required=False) or document
    note_zh = _text(data, "note_zh", file, problems, required=False) or note
    if problems:
        raise InputError(problems, origin=file)
    return RuleSet(
        scheme,
        title_zh,
        title_en,
        document,
        url=url,
        note=note,
        criteria=tuple(criteria),
        origin=origin,
        file=file,
        document_zh=document_zh,
        note_zh=note_zh,
    )


def read_rule_file(path: str | Path) -> RuleSet:
    """A user's rule set (origin ``custom``) from the YAML file at *path*."""
    path = Path(path)
    return read_rules(read_yaml_file(path, path.name), file=path.name, origin="custom")


@cache
def shipped_rule_sets() -> tuple[RuleSet, ...]:
    """Every shipped scheme (``lingtan/data/evaluation/*.yaml``), by id."""
    folder = resources.files("lingtan") / "data" / "evaluation"
    found = [
        read_rules(
            yaml.safe_load(item.read_text(encoding="utf-8")), file=item.name, origin="shipped"
        )
        for item in folder.iterdir()
        if item.name.endswith(".yaml")
    ]
    return tuple(sorted(found, key=lambda rules: rules.scheme))


def shipped_rule_set(scheme: str) -> RuleSet:
    """The shipped scheme *scheme*; an unknown id is refused with the known ones."""
    for rules in shipped_rule_sets():
        if rules.scheme == scheme:
            return rules
    known = [rules.scheme for rules in shipped_rule_sets()]
    raise InputError(InputProblem("--scheme", "scheme", scheme, one_of(known)))
