"""Named things lingtan knows, in English and Chinese: fuels and electricity regions.

Both tables are data in ``lingtan/data/catalog``. A name resolves from its key or code, its
English or Chinese name or an alias; case, spaces and ``-``/``_`` do not matter. Regions are
the nation (``CN``), the seven regional grids (``grid-east`` ...) and the 30 provinces with
MEE factors, coded by ISO 3166-2:CN (``CN-JS`` = Jiangsu = 江苏).
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TypeVar

from lingtan.errors import Explained
from lingtan.i18n import Message

__all__ = [
    "Fuel",
    "Region",
    "UnknownRegionError",
    "fold_name",
    "fuels",
    "regions",
    "resolve_fuel",
    "resolve_region",
]


@dataclass(frozen=True, slots=True)
class Fuel:
    key: str
    name_en: str
    name_zh: str
    state: str  # solid | liquid | gas


@dataclass(frozen=True, slots=True)
class Region:
    code: str
    level: str  # national | grid | province
    name_en: str
    name_zh: str


class UnknownRegionError(Explained, LookupError):
    """A region text lingtan does not know (:class:`~lingtan.errors.Explained`)."""


T = TypeVar("T")


def fold_name(text: str) -> str:
    """A name as lingtan compares names: case, spaces and ``-`` vs ``_`` do not matter."""
    return "".join(str(text).replace("-", "_").split()).casefold()


def _load(
    filename: str, make: Callable[[dict[str, str]], T], name_columns: tuple[str, ...]
) -> tuple[list[T], dict[str, T]]:
    path = resources.files("lingtan") / "data" / "catalog" / filename
    items: list[T] = []
    by_name: dict[str, T] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            item = make(row)
            items.append(item)
            names = [*(row[column] for column in name_columns), *row["aliases"].split(";")]
            for name in filter(None, names):
                by_name.setdefault(fold_name(name), item)
    return items, by_name


@cache
def _fuels() -> tuple[list[Fuel], dict[str, Fuel]]:
    return _load(
        "fuels.csv",
        lambda r: Fuel(r["key"], r["name_en"], r["name_zh"], r["state"]),
        ("key", "name_en", "name_zh"),
    )


@cache
def _regions() -> tuple[list[Region], dict[str, Region]]:
    return _load(
        "regions.csv",
        lambda r: Region(r["code"], r["level"], r["name_en"], r["name_zh"]),
        ("code", "name_en", "name_zh"),
    )


def fuels() -> list[Fuel]:
    return list(_fuels()[0])


def regions() -> list[Region]:
    return list(_regions()[0])


@cache
def resolve_fuel(text: str) -> Fuel | None:
    """The fuel named by ``text``, or None when lingtan has no such fuel."""
    return _fuels()[1].get(fold_name(str(text)))


@cache
def resolve_region(text: str) -> Region:
    """The region named by ``text``.

    Raises
    ------
    UnknownRegionError
        If no code, name or alias matches.
    """
    region = _regions()[1].get(fold_name(str(text)))
    if region is None:
        raise UnknownRegionError(
            Message(
                "region %(region)r is not known: give a province (%(province)s), a grid region "
                "(%(grid)s) or CN for the national average",
                region=str(text),
                province="江苏, Jiangsu, CN-JS",
                grid="华东, East China, grid-east",
            )
        )
    return region
