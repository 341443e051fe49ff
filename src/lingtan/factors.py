"""The factor library: published parameters as data with their provenance.

Every shipped value lives in a CSV file under ``lingtan/data/factors``, one row per parameter
value, and every row carries where it comes from (issuer, document, clause, data year, dates,
source URL) and a review status: ``official`` where the value was seen attributed to the
official document, ``unverified`` where it still has to be checked against the official text.

Sets that disagree (for example two tables of fuel defaults) stay separate sets. A calculation
takes a value from one set, chosen by :meth:`FactorLibrary.select`:

1. an explicit set named by the user wins;
2. otherwise, in a family whose sets have data years (the electricity factors), the set with the
   newest data year not after the inventory year;
3. otherwise the family's default set (``default = yes`` in ``sets.csv``), or the only set that
   has the value. Two candidate sets and no default is an error: values are never merged.

Rules 2 and 3 look at the shipped sets first; a custom set answers by rule only for a value no
shipped set has.

The choice and the rule that made it are returned with the value, so results can record them.
A user adds a custom set from a CSV file with the same columns (:func:`read_factor_file`).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from lingtan.errors import Explained, InputError, InputProblem, one_of, read_text_file
from lingtan.i18n import Message
from lingtan.units import UnitError, conversion_factor, parse_unit

__all__ = [
    "FACTOR_COLUMNS",
    "FAMILIES",
    "STATUSES",
    "Factor",
    "FactorLibrary",
    "FactorNotFoundError",
    "FactorSet",
    "Selection",
    "data_year_warning",
    "read_factor_file",
    "read_factor_text",
    "shipped_library",
]

FACTOR_COLUMNS = (
    "set_id",
    "version",
    "family",
    "key",
    "region",
    "parameter",
    "value",
    "unit",
    "uncertainty_pct",
    "data_year",
    "issuer",
    "document_number",
    "document_title",
    "clause",
    "published",
    "valid_from",
    "valid_to",
    "source_url",
    "status",
    "note",
)
REQUIRED = ("set_id", "version", "family", "key", "parameter", "value", "unit", "issuer", "status")
STATUSES = ("official", "unverified")

#: Families the engine reads, with the unit each parameter must be convertible to.
#: ``None`` means any unit: the value is combined with a quantity whose unit it must match.
FAMILIES: dict[str, dict[str, str | None]] = {
    "fuel": {"ncv": None, "carbon_content": "t/GJ", "oxidation": "1"},
    "electricity": {"co2": "tCO2/MWh"},
    "heat": {"co2": "tCO2/GJ"},
    "heat_conversion": {
        "steam_reference_enthalpy": "kJ/kg",
        "water_reference_temperature": "degC",
        "water_specific_heat": "kJ/kg/K",
    },
    "standard_coal": {"energy_per_unit": "MJ/kgce", "equivalent": "kgce/kWh", "ncv": None},
    "gwp": {"gwp100": "1"},
    "refrigerant_blend": {"*": "1"},
    "carbonate": {"co2": "t/t"},
    "co2_density": {"density": None},
    "instrument": {"energy_per_certificate": "MWh"},
}


@dataclass(frozen=True, slots=True)
class Factor:
    """One published parameter value with its provenance."""

    set_id: str
    version: str
    family: str
    key: str
    region: str
    parameter: str
    value: float
    unit: str
    uncertainty_pct: float | None
    data_year: int | None
    issuer: str
    document_number: str
    document_title: str
    clause: str
    published: str
    valid_from: str
    valid_to: str
    source_url: str
    status: str
    note: str

    @property
    def ref(self) -> str:
        """A stable identifier: ``set@version:key[region].parameter``."""
        region = f"[{self.region}]" if self.region else ""
        return f"{self.set_id}@{self.version}:{self.key}{region}.{self.parameter}"

    def value_in(self, unit: str) -> float:
        """The value converted to ``unit`` (e.g. carbon content from tC/TJ to t/GJ)."""
        return self.value * conversion_factor(self.unit, unit)

    def provenance(self) -> dict[str, Any]:
        """Everything a verifier needs to find the value in its source."""
        return {
            "ref": self.ref,
            "set_id": self.set_id,
            "version": self.version,
            "family": self.family,
            "key": self.key,
            "region": self.region or None,
            "parameter": self.parameter,
            "value": self.value,
            "unit": self.unit,
            "uncertainty_pct": self.uncertainty_pct,
            "data_year": self.data_year,
            "issuer": self.issuer,
            "document_number": self.document_number or None,
            "document_title": self.document_title or None,
            "clause": self.clause or None,
            "published": self.published or None,
            "valid_from": self.valid_from or None,
            "valid_to": self.valid_to or None,
            "source_url": self.source_url or None,
            "status": self.status,
            "note": self.note or None,
        }


@dataclass(frozen=True)
class FactorSet:
    """A versioned published set of parameters of one family."""

    set_id: str
    version: str
    family: str
    factors: tuple[Factor, ...]
    title_en: str = ""
    title_zh: str = ""
    default: bool = False
    origin: str = "shipped"
    _index: dict[tuple[str, str, str | None], Factor] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for factor in self.factors:
            self._index[(factor.key, factor.region, factor.parameter)] = factor
            self._index.setdefault((factor.key, factor.region, None), factor)

    def has(self, key: str, region: str = "", parameter: str | None = None) -> bool:
        """Whether the set has ``parameter`` of ``key`` (any parameter when None)."""
        return (key, region, parameter) in self._index

    @property
    def data_year(self) -> int | None:
        years = {f.data_year for f in self.factors if f.data_year is not None}
        return max(years) if years else None

    @property
    def statuses(self) -> dict[str, int]:
        counts = dict.fromkeys(STATUSES, 0)
        for factor in self.factors:
            counts[factor.status] += 1
        return counts

    def get(self, key: str, parameter: str, region: str = "") -> Factor | None:
        return self._index.get((key, region, parameter))

    def rows(self, key: str, region: str = "") -> list[Factor]:
        """Every parameter row of ``key`` (e.g. the components of a refrigerant blend)."""
        return [f for f in self.factors if f.key == key and f.region == region]

    def key_names(self) -> list[str]:
        return sorted({f.key for f in self.factors})


@dataclass(frozen=True, slots=True)
class Selection:
    """A factor chosen for a calculation and the rule that chose it."""

    factor: Factor
    rule: str


class FactorNotFoundError(Explained, LookupError):
    """No set holds the requested value, or the explicit set does not (an
    :class:`~lingtan.errors.Explained` error)."""


class FactorLibrary:
    """A queryable collection of factor sets.

    Build one with :func:`shipped_library` (the data shipped with lingtan), then add custom
    sets with :meth:`with_sets`. The library is immutable; queries are dictionary look-ups.
    """

    def __init__(self, sets: Iterable[FactorSet]):
        self._sets: dict[str, FactorSet] = {}
        for factor_set in sets:
            if factor_set.set_id in self._sets:
                raise ValueError(
                    Message("factor set %(set)r is defined twice", set=factor_set.set_id)
                )
            self._sets[factor_set.set_id] = factor_set
        self._by_family: dict[str, list[FactorSet]] = {}
        for factor_set in self._sets.values():
            self._by_family.setdefault(factor_set.family, []).append(factor_set)

    def __iter__(self) -> Iterator[FactorSet]:
        return iter(self._sets.values())

    def with_sets(self, sets: Iterable[FactorSet]) -> FactorLibrary:
        """A new library with ``sets`` added; a set id already present is an error."""
        return FactorLibrary([*self._sets.values(), *sets])

    def sets(self, family: str | None = None) -> list[FactorSet]:
        if family is None:
            return list(self._sets.values())
        return list(self._by_family.get(family, []))

    def get_set(self, set_id: str) -> FactorSet:
        try:
            return self._sets[set_id]
        except KeyError:
            known = ", ".join(sorted(self._sets))
            raise FactorNotFoundError(
                Message("no factor set %(set)r; known sets: %(known)s", set=set_id, known=known)
            ) from None

    def find(self, key: str) -> list[Factor]:
        """Every row with ``key`` (or, for electricity, ``region``), across all sets."""
        return [f for s in self._sets.values() for f in s.factors if key in (f.key, f.region)]

    def select(
        self,
        family: str,
        key: str,
        parameter: str,
        *,
        region: str = "",
        year: int | None = None,
        set_id: str | None = None,
    ) -> Selection:
        """Choose one value by the selection rule (see the module documentation).

        Parameters
        ----------
        family, key, parameter, region : str
            What is wanted, e.g. ``("electricity", "grid_average", "co2", region="CN-JS")``.
        year : int, optional
            Inventory year Y, for families with data years: the newest data year <= Y wins.
        set_id : str, optional
            An explicit choice; it wins.

        Raises
        ------
        FactorNotFoundError
            With a message that lists what is available instead.
        """
        factor_set, rule = self.select_set(
            family, key, parameter=parameter, region=region, year=year, set_id=set_id
        )
        factor = factor_set.get(key, parameter, region)
        assert factor is not None
        return Selection(factor, rule)

    def select_set(
        self,
        family: str,
        key: str,
        *,
        parameter: str | None = None,
        region: str = "",
        year: int | None = None,
        set_id: str | None = None,
    ) -> tuple[FactorSet, str]:
        """Choose the set that answers for ``key`` (and ``parameter``, if given), and the rule.

        Custom sets answer only when named, or when no shipped set has the value.
        """
        where = f"{key}[{region}]" if region else key
        if parameter is not None:
            where += f".{parameter}"
        if set_id is not None:
            factor_set = self.get_set(set_id)
            if factor_set.family != family:
                raise FactorNotFoundError(
                    Message(
                        "factor set %(set)r holds %(set_family)s factors, not %(family)s",
                        set=set_id,
                        set_family=factor_set.family,
                        family=family,
                    )
                )
            if not factor_set.has(key, region, parameter):
                raise FactorNotFoundError(
                    Message("factor set %(set)r has no value for %(key)s", set=set_id, key=where)
                )
            return factor_set, Message("explicit choice of set %(set)s", set=set_id)

        candidates = [s for s in self._by_family.get(family, []) if s.has(key, region, parameter)]
        if not candidates:
            raise FactorNotFoundError(
                Message(
                    "no %(family)s factor set has a value for %(key)s", family=family, key=where
                )
            )
        shipped = [s for s in candidates if s.origin == "shipped"]
        candidates = shipped or candidates
        dated = [s for s in candidates if s.data_year is not None]
        if dated:
            years = sorted({s.data_year for s in dated if s.data_year is not None})
            if year is None:
                chosen = max(dated, key=lambda s: s.data_year or 0)
                return chosen, Message("newest data year (%(year)s)", year=chosen.data_year)
            eligible = [s for s in dated if (s.data_year or 0) <= year]
            if not eligible:
                raise FactorNotFoundError(
                    Message(
                        "no %(family)s factor for %(key)s with data year <= %(year)s; "
                        "data years available: %(years)s",
                        family=family,
                        key=where,
                        year=year,
                        years=", ".join(map(str, years)),
                    )
                )
            chosen = max(eligible, key=lambda s: s.data_year or 0)
            return chosen, Message(
                "newest data year <= %(year)s (%(chosen)s)", year=year, chosen=chosen.data_year
            )
        defaults = [s for s in candidates if s.default]
        if len(defaults) == 1:
            return defaults[0], Message("default set of family %(family)s", family=family)
        if len(candidates) == 1:
            return candidates[0], Message("only set with %(key)s", key=where)
        names = ", ".join(s.set_id for s in candidates)
        raise FactorNotFoundError(
            Message(
                "%(key)s is in several %(family)s sets (%(sets)s) and none is the default: "
                "choose one explicitly",
                key=where,
                family=family,
                sets=names,
            )
        )

    def select_for_year(
        self, family: str, key: str, parameter: str, *, region: str, year: int
    ) -> Selection:
        """Like :meth:`select` with an exact data year (an explicit year choice)."""
        for factor_set in self._by_family.get(family, []):
            factor = factor_set.get(key, parameter, region)
            if factor is not None and factor.data_year == year:
                return Selection(factor, Message("explicit data year %(year)s", year=year))
        years = sorted(
            {
                f.data_year
                for s in self._by_family.get(family, [])
                if (f := s.get(key, parameter, region)) and f.data_year is not None
            }
        )
        available = ", ".join(map(str, years)) or Message("none")
        raise FactorNotFoundError(
            Message(
                "no %(family)s factor for %(key)s with data year %(year)s; "
                "data years available: %(years)s",
                family=family,
                key=f"{key}[{region}].{parameter}",
                year=year,
                years=available,
            )
        )


def data_year_warning(
    year: int, factors: Iterable[Factor], *, explicit: Collection[str] = ()
) -> Message | None:
    """A warning when the inventory year is past the data year of factors chosen by rule 2.

    Rule 2 takes the newest data year not after the inventory year, so an inventory of a year
    whose factors are not yet published is computed with older ones; that is the right
    choice, but the result must say so (and be restated when the year's factors appear).
    Families in ``explicit`` were chosen by the user (a named set or data year): no warning.
    """
    behind = sorted(
        {
            f"{f.ref} ({f.data_year})"
            for f in factors
            if f.data_year is not None and f.data_year < year and f.family not in explicit
        }
    )
    if not behind:
        return None
    return Message(
        "the period ends in %(year)s, after the data year of %(n)d factor(s) used: %(refs)s. "
        "No factors of %(year)s are available, so the newest published were used; restate "
        "the inventory when they are published",
        year=year,
        n=len(behind),
        refs=", ".join(behind),
    )


def _text(row: dict[str, str | None], column: str) -> str:
    return (row.get(column) or "").strip()


def _parse_rows(
    rows: Iterable[dict[str, str | None]], origin: str, first_row: int = 2
) -> list[Factor]:
    factors: list[Factor] = []
    problems: list[InputProblem] = []
    seen: set[tuple[str, str, str, str]] = set()
    for number, row in enumerate(rows, start=first_row):
        where = Message("%(file)s row %(row)d", file=origin, row=number)
        row_problems: list[InputProblem] = []
        for column in REQUIRED:
            if not _text(row, column):
                row_problems.append(InputProblem(where, column, None, Message("is required")))
        family, parameter = _text(row, "family"), _text(row, "parameter")
        value: float = math.nan
        if _text(row, "value"):
            try:
                value = float(_text(row, "value"))
                if not math.isfinite(value):
                    raise ValueError
            except ValueError:
                row_problems.append(
                    InputProblem(
                        where, "value", row.get("value"), Message("must be a finite number")
                    )
                )
        status = _text(row, "status")
        if status and status not in STATUSES:
            row_problems.append(InputProblem(where, "status", status, one_of(STATUSES)))
        if family and family not in FAMILIES:
            row_problems.append(InputProblem(where, "family", family, one_of(FAMILIES)))
        unit = _text(row, "unit")
        if unit and family in FAMILIES:
            expected = FAMILIES[family].get(parameter, FAMILIES[family].get("*", ""))
            if expected == "":
                row_problems.append(
                    InputProblem(
                        where,
                        "parameter",
                        parameter,
                        Message(
                            "is not a %(family)s parameter (%(parameters)s)",
                            family=family,
                            parameters=", ".join(FAMILIES[family]),
                        ),
                    )
                )
            else:
                try:
                    if expected is None:
                        parse_unit(unit)
                    else:
                        conversion_factor(unit, expected)
                except UnitError as exc:
                    row_problems.append(InputProblem(where, "unit", unit, exc.message))
        optional_numbers: dict[str, float | None] = {}
        for column in ("uncertainty_pct", "data_year"):
            text = _text(row, column)
            optional_numbers[column] = None
            if text:
                try:
                    optional_numbers[column] = float(text)
                except ValueError:
                    row_problems.append(
                        InputProblem(where, column, text, Message("must be a number"))
                    )
        identity = (_text(row, "set_id"), _text(row, "key"), _text(row, "region"), parameter)
        if identity in seen:
            row_problems.append(
                InputProblem(
                    where, "key", identity[1], Message("duplicates an earlier row of the set")
                )
            )
        seen.add(identity)
        if row_problems:
            problems += row_problems
            continue
        year = optional_numbers["data_year"]
        factors.append(
            Factor(
                set_id=identity[0],
                version=_text(row, "version"),
                family=family,
                key=identity[1],
                region=identity[2],
                parameter=parameter,
                value=value,
                unit=unit,
                uncertainty_pct=optional_numbers["uncertainty_pct"],
                data_year=int(year) if year is not None else None,
                issuer=_text(row, "issuer"),
                document_number=_text(row, "document_number"),
                document_title=_text(row, "document_title"),
                clause=_text(row, "clause"),
                published=_text(row, "published"),
                valid_from=_text(row, "valid_from"),
                valid_to=_text(row, "valid_to"),
                source_url=_text(row, "source_url"),
                status=status,
                note=_text(row, "note"),
            )
        )
    if problems:
        raise InputError(problems, origin=origin)
    return factors


def _group(factors: list[Factor], origin: str, meta: dict[str, dict[str, str]]) -> list[FactorSet]:
    grouped: dict[str, list[Factor]] = {}
    for factor in factors:
        grouped.setdefault(factor.set_id, []).append(factor)
    sets = []
    for set_id, rows in grouped.items():
        families = {f.family for f in rows}
        versions = {f.version for f in rows}
        if len(families) > 1 or len(versions) > 1:
            raise InputError(
                InputProblem(
                    origin,
                    "set_id",
                    set_id,
                    Message(
                        "a set holds one family and one version "
                        "(found families %(families)s, versions %(versions)s)",
                        families=str(sorted(families)),
                        versions=str(sorted(versions)),
                    ),
                ),
                origin=origin,
            )
        info = meta.get(set_id, {})
        sets.append(
            FactorSet(
                set_id=set_id,
                version=rows[0].version,
                family=rows[0].family,
                factors=tuple(rows),
                title_en=info.get("title_en", ""),
                title_zh=info.get("title_zh", ""),
                default=info.get("default", "no") == "yes",
                origin=origin,
            )
        )
    return sets


def read_factor_text(text: str, origin: str) -> list[FactorSet]:
    """Read custom factor sets from CSV text (the shipped columns); see :func:`read_factor_file`."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        raise InputError(
            InputProblem(origin, ", ".join(missing), None, Message("required columns are missing")),
            origin=origin,
        )
    return _group(_parse_rows(reader, origin), origin, {})


def read_factor_file(path: str | Path) -> list[FactorSet]:
    """Read a custom factor CSV file (the shipped columns) into factor sets.

    Custom sets are never chosen by a rule over a shipped set: a calculation uses them when it
    names them (``factor_sets`` or a source's ``factor_set``), or when no shipped set has the
    value asked for.

    Raises
    ------
    InputError
        Naming the file, row, column, value and rule of every bad row; nothing is loaded then.
    """
    return read_factor_text(read_text_file(path), str(path))


@cache
def shipped_library() -> FactorLibrary:
    """The factor sets shipped with lingtan (read once per process)."""
    data = resources.files("lingtan") / "data" / "factors"
    with (data / "sets.csv").open(encoding="utf-8", newline="") as handle:
        meta = {row["set_id"]: row for row in csv.DictReader(handle)}
    sets: list[FactorSet] = []
    for entry in sorted(data.iterdir(), key=lambda item: item.name):
        if not entry.name.endswith(".csv") or entry.name == "sets.csv":
            continue
        with entry.open(encoding="utf-8", newline="") as handle:
            factors = _parse_rows(csv.DictReader(handle), f"lingtan/data/factors/{entry.name}")
        sets += _group(factors, "shipped", meta)
    unknown = sorted(set(meta) - {s.set_id for s in sets})
    if unknown:
        raise RuntimeError(f"sets.csv names sets with no data file: {unknown}")
    return FactorLibrary(sets)
