"""A facility's unit-product energy of a year from its meters, against the quotas and the NDRC
benchmark and baseline levels (:func:`lingtan.efficiency.products.position`).

The figure is the metering pipeline's intensity (``lingtan energy intensity``,
:func:`lingtan.metering.energy_store.intensity_rows`), summed over the year: the facility's
energy of the months with meter data [tce, electricity at its equivalent value of GB/T 2589]
divided by each product's output of the same months. For rows in kWh per unit (the AC power of
aluminium liquid) it is the facility's metered electricity [kWh] per unit instead.

Which standards product a facility product is (``P1`` → ``ferrosilicon``) is a mapping the
user gives; a facility product whose code is a product of the pack needs none.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from lingtan.efficiency.grading import Level
from lingtan.efficiency.products import (
    PRODUCT_TYPE,
    Position,
    position,
    products,
)
from lingtan.efficiency.standards import StandardTable, shipped_standards
from lingtan.errors import InputError, InputProblem
from lingtan.factors import FactorLibrary
from lingtan.i18n import Message
from lingtan.metering.energy import INTERVALS_PER_DAY
from lingtan.metering.energy_store import FacilityEnergy, intensity_rows, load_energy, month_span
from lingtan.metering.store import FacilityRef
from lingtan.units import UnitError, conversion_factor

__all__ = ["ProductFigure", "ProductPositions", "parse_mapping", "product_positions"]


@dataclass(frozen=True)
class ProductFigure:
    """One facility product's unit-product energy of the year and its position.

    Attributes
    ----------
    product : str
        The facility's product code.
    standards_product : str or None
        The product of the standards pack it is judged as (None: none named).
    production : float
        Output of the months with meter data [``production_unit``].
    energy_tce : float or None
        The facility's energy of those months [tce].
    electricity_kwh : float or None
        The facility's metered electricity of those months [kWh].
    value : float or None
        The unit-product energy [``unit``]; None without output or energy.
    unit : str
        ``kgce/<production unit>`` or ``kWh/<production unit>``.
    position : Position
    """

    product: str
    name: str
    standards_product: str | None
    production: float
    production_unit: str
    energy_tce: float | None
    electricity_kwh: float | None
    value: float | None
    unit: str
    position: Position

    def as_dict(self) -> dict[str, Any]:
        return {
            "product": self.product,
            "name": self.name,
            "standards_product": self.standards_product,
            "production": self.production,
            "production_unit": self.production_unit,
            "energy_tce": self.energy_tce,
            "electricity_kwh": self.electricity_kwh,
            "value": self.value,
            "unit": self.unit,
            "position": self.position.as_dict(),
        }


@dataclass(frozen=True)
class ProductPositions:
    """A facility's products of one year.

    ``months`` are the months with meter data that the figures cover; ``electricity`` the
    conversion of electricity to standard coal applied (its coefficient and factor rows);
    ``notes`` the boundary and conversion rules applied, in words.
    """

    facility: str
    year: int
    months: tuple[str, ...]
    figures: tuple[ProductFigure, ...]
    electricity: dict[str, Any] | None
    notes: tuple[Message, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        return {
            "facility": self.facility,
            "year": self.year,
            "months": list(self.months),
            "electricity_to_standard_coal": self.electricity,
            "notes": [str(n) for n in self.notes],
            "products": [f.as_dict() for f in self.figures],
        }


def parse_mapping(pairs: Sequence[str], *, where: str | Message = "--map") -> dict[str, str]:
    """``["P1=ferrosilicon", …]`` as ``{"P1": "ferrosilicon"}``; a pair without ``=``, an
    empty side or a product named twice is refused."""
    mapping: dict[str, str] = {}
    problems = []
    for pair in pairs:
        product, sep, standard = (part.strip() for part in pair.partition("="))
        if not sep or not product or not standard:
            problems.append(
                InputProblem(
                    where,
                    "map",
                    pair,
                    Message("must be PRODUCT=STANDARDS_PRODUCT, e.g. P1=ferrosilicon"),
                )
            )
        elif product in mapping and mapping[product] != standard:
            problems.append(
                InputProblem(
                    where, "map", pair, Message("names product %(product)s twice", product=product)
                )
            )
        else:
            mapping[product] = standard
    if problems:
        raise InputError(problems)
    return mapping


def _units(product: str, tables: Sequence[StandardTable]) -> dict[str, str]:
    """``{metric: unit}`` of a standards product's rows."""
    return {
        row.metric: row.unit
        for table in tables
        for row in table.thresholds
        if row.type == PRODUCT_TYPE and row.attribute("kind") == product
    }


def _fits(unit: str, row_unit: str) -> bool:
    if "".join(unit.split()) == "".join(row_unit.split()):
        return True
    try:
        conversion_factor(unit, row_unit)
    except UnitError:
        return False
    return True


def _electricity_kwh(energy: FacilityEnergy, months: set[str]) -> float | None:
    """The facility's electricity [kWh] of ``months``: its root nodes' consumption."""
    total = 0.0
    found = False
    for month, values in energy.periods("month").items():
        if month not in months:
            continue
        totals = energy.totals(values)
        for root in energy.roots():
            node = totals.get((root, "electricity"))
            if node is None:
                continue
            if node.energy is None:
                return None
            total += node.energy * conversion_factor(node.unit, "kWh")
            found = True
    return total if found else None


def _metered_months(energy: FacilityEnergy) -> set[str]:
    """The months ``YYYY-MM`` in which some meter has a measured or estimated interval."""
    months: set[str] = set()
    for code, missing in energy.daily.missing.items():
        if energy.meters[code].formula:
            continue
        for day in energy.daily.days[missing < INTERVALS_PER_DAY]:
            months.add(str(day)[:7])
    return months


def _electricity_basis(energy: FacilityEnergy) -> dict[str, Any] | None:
    """The standard-coal coefficient of the facility's electricity meters [kgce/kWh]."""
    for code in sorted(energy.meters):
        meter = energy.meters[code]
        coefficient = energy.tce[code]
        if meter.energy_type != "electricity" or coefficient.value is None:
            continue
        try:
            per_kwh = coefficient.value / conversion_factor(meter.unit, "kWh") * 1000.0
        except UnitError:
            continue
        return {
            "kgce_per_kwh": per_kwh,
            "basis": "equivalent",
            "factors": [use.as_dict() for use in coefficient.uses],
        }
    return None


def product_positions(
    session: Session,
    facility: FacilityRef,
    year: int,
    mapping: Mapping[str, str] | None = None,
    *,
    standards: Sequence[StandardTable] | None = None,
    library: FactorLibrary | None = None,
) -> ProductPositions:
    """Every product of a facility in ``year``: its unit-product energy and its position.

    Parameters
    ----------
    session : Session
        A write session (stale daily totals are recomputed first, as ``lingtan energy``
        does).
    facility : str or int
        The facility's code (or id).
    year : int
    mapping : mapping of str to str, optional
        Facility product code → product of the standards pack (``{"P1": "ferrosilicon"}``);
        a product whose code is a product of the pack needs none.
    standards : sequence of StandardTable, optional
        Default the shipped pack.
    library : FactorLibrary, optional
        Default the shipped one (standard coal by GB/T 2589, electricity at its equivalent
        value).

    Returns
    -------
    ProductPositions
        One :class:`ProductFigure` per facility product with output in the year (sorted by
        code), and one per mapped code the facility lacks (out of scope, said so).

    Raises
    ------
    InputError
        A mapping to a product the standards do not have (naming the products they have).
    """
    tables = shipped_standards() if standards is None else standards
    known = products(tables)
    mapping = dict(mapping or {})
    unknown = sorted(p for p in set(mapping.values()) if p not in known)
    if unknown:
        raise InputError(
            [
                InputProblem(
                    Message("--map"),
                    "standards_product",
                    name,
                    Message(
                        "is not a product of the standards (products: %(products)s)",
                        products=", ".join(known),
                    ),
                )
                for name in unknown
            ]
        )
    energy = load_energy(session, facility, *month_span(year), library=library)
    metered = _metered_months(energy)
    rows = [r for r in intensity_rows(session, energy) if r["month"] in metered]
    months = sorted(metered)
    by_product: dict[str, dict[str, Any]] = {}
    month_tce: dict[str, float | None] = {}
    for row in rows:
        month_tce[row["month"]] = row["energy_tce"]
        entry = by_product.setdefault(row["product"], {"production": 0.0, "unit": row["unit"]})
        entry["production"] += row["production"]
    tce: float | None = None
    if month_tce:
        tce = None if any(v is None for v in month_tce.values()) else sum(month_tce.values())
    kwh = _electricity_kwh(energy, set(months))
    names = _names(session, energy.facility.id)
    figures = []
    for code in sorted(set(by_product) | set(mapping)):
        entry = by_product.get(code)
        figures += _figures(
            code, names.get(code, ""), entry, mapping.get(code), known, tables, tce, kwh
        )
    notes = [
        Message(
            "the figures cover the facility's whole metered energy of %(count)d month(s) of "
            "%(year)d, divided by each product's output of the same months (with several "
            "products each carries the whole facility; a quota's boundary is the product's "
            "process: meter it apart where others share the site)",
            count=len(months),
            year=year,
        ),
        Message(
            "electricity is converted to standard coal at its equivalent value (GB/T 2589); "
            "the standards rows do not record which basis their standard prescribes: check "
            "its conversion clause before relying on a position"
        ),
    ]
    return ProductPositions(
        energy.facility.code,
        year,
        tuple(months),
        tuple(figures),
        _electricity_basis(energy),
        tuple(notes),
    )


def _names(session: Session, facility_id: int) -> dict[str, str]:
    import sqlalchemy as sa

    from lingtan.store.models import Product

    return dict(
        session.execute(
            sa.select(Product.code, Product.name).where(Product.facility_id == facility_id)
        ).all()
    )


def _figures(
    code: str,
    name: str,
    entry: dict[str, Any] | None,
    mapped: str | None,
    known: Mapping[str, tuple[str, ...]],
    tables: Sequence[StandardTable],
    tce: float | None,
    kwh: float | None,
) -> list[ProductFigure]:
    standards_product = mapped or (code if code in known else None)
    production = entry["production"] if entry else 0.0
    unit = entry["unit"] if entry else "t"
    kgce_unit, kwh_unit = f"kgce/{unit}", f"kWh/{unit}"
    kgce_value = None if tce is None or not production else tce * 1000.0 / production
    kwh_value = None if kwh is None or not production else kwh / production

    def figure(value: float | None, figure_unit: str, judged: Position) -> ProductFigure:
        return ProductFigure(
            code, name, standards_product, production, unit, tce, kwh, value, figure_unit, judged
        )

    if standards_product is None:
        return [
            figure(
                kgce_value,
                kgce_unit,
                Position(
                    code,
                    kgce_value,
                    kgce_unit,
                    None,
                    Level.OUT_OF_SCOPE,
                    (),
                    Message(
                        "no standards product is named for %(product)s (map it, e.g. "
                        "%(product)s=ferrosilicon; products with tables: %(products)s)",
                        product=code,
                        products=", ".join(known),
                    ),
                ),
            )
        ]
    if entry is None:
        reason = Message(
            "the facility has no product %(product)s with output in the year", product=code
        )
        return [figure(None, kgce_unit, _unable(standards_product, kgce_unit, reason))]
    where = Message("product %(product)s", product=code)
    out = []
    for metric, row_unit in sorted(_units(standards_product, tables).items()):
        if _fits(kgce_unit, row_unit):
            value, figure_unit = kgce_value, kgce_unit
        elif _fits(kwh_unit, row_unit):
            value, figure_unit = kwh_value, kwh_unit
        else:
            raise InputError(
                InputProblem(
                    where,
                    "unit",
                    unit,
                    Message(
                        "makes figures in %(kgce)s or %(kwh)s, which cannot be compared with "
                        "%(metric)s of %(standards_product)s in %(row_unit)s",
                        kgce=kgce_unit,
                        kwh=kwh_unit,
                        metric=metric,
                        standards_product=standards_product,
                        row_unit=row_unit,
                    ),
                )
            )
        if value is None:
            reason = (
                Message("no output of %(product)s in the months with meter data", product=code)
                if not production
                else Message(
                    "the facility's energy has no figure in %(unit)s for the year (a meter "
                    "without a coefficient, or no such meter)",
                    unit=figure_unit.split("/")[0],
                )
            )
            out.append(figure(None, figure_unit, _unable(standards_product, figure_unit, reason)))
            continue
        judged = position(
            standards_product, value, figure_unit, standards=tables, metric=metric, where=where
        )
        out.append(figure(value, figure_unit, judged))
    return out


def _unable(product: str, unit: str, reason: Message) -> Position:
    return Position(product, None, unit, None, Level.UNABLE_TO_JUDGE, (), reason)
