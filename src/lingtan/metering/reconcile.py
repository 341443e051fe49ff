"""Energy and carbon from invoices (the inventory) against energy and carbon from meters, per
energy type and month, with every difference named. Pure functions on plain data.

The inventory counts what the bills, statements and ledgers say; the meters count what the
supply meters measured (:func:`lingtan.metering.energy.node_energy`). The two totals of the
same year differ, and each part of the difference has a cause:

``not_metered``
    An energy type with no meter in the meters' total (diesel from the fuel ledger), and the
    emissions with no energy carrier at all (refrigerant top-ups, process emissions).
``onsite_generation``
    On-site generation used on site (rooftop PV) that the inventory counts, from the owner's
    statement or the generation meter; the meters count it apart (generation − export), not in
    their total, which sums the supply meters.
``not_in_inventory``
    An energy type the meters count that no inventory line has.
``meter_missing``
    A month in which a meter of the type lacks intervals (a failed meter, a gateway outage):
    the month's whole difference; the inventory may hold an estimate for it.
``inventory_estimate``
    A month whose inventory record is an estimate while the meters are complete.
``coefficients``
    Different conversion coefficients on the two sides: the inventory's own figure less its
    quantity at the meters' coefficient (electricity at 当量值 against 等价值, a measured NCV
    against the GB/T 2589 reference, a supplier's heat factor). Zero when both use the same.
``metering``
    The rest: the meters against the invoices in complete months (meter accuracy, reading
    dates), converted at the meters' coefficient.

Per energy type the causes add up to the difference exactly::

    invoice - meters = coefficients + sum over months of c x (q_invoice,m - q_meters,m)

where ``c`` is the meters' coefficient [tce or tCO2 per unit] and each month's term goes to
``meter_missing``, ``inventory_estimate`` or ``metering``; a type that only one side has goes
whole to ``not_metered``, ``onsite_generation`` or ``not_in_inventory``.

References
----------
GB/T 2589-2020 综合能耗计算通则 (standard coal, 当量值 and 等价值); GB 17167-2006 (metering of
energy); GB/T 32150-2015 (the inventory's emission formulas).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from lingtan.units import UnitError, conversion_factor

__all__ = [
    "CAUSES",
    "Coefficients",
    "InvoiceMonth",
    "MeterMonth",
    "Reconciliation",
    "ReconciliationRow",
    "energy_group",
    "line_group",
    "reconcile",
]

#: The causes in the order they are shown.
CAUSES = (
    "not_metered",
    "onsite_generation",
    "not_in_inventory",
    "meter_missing",
    "inventory_estimate",
    "coefficients",
    "metering",
)
#: Energy types in the order they are shown (others follow by name).
_ORDER = ("electricity", "onsite_generation", "natural_gas", "diesel", "heat", "non_energy")
_FUEL_KINDS = ("fuel_combustion", "mobile_combustion", "biomass_combustion")
_SIGN = {
    "purchased_electricity": 1.0,
    "exported_electricity": -1.0,
    "purchased_heat": 1.0,
    "exported_heat": -1.0,
}


def energy_group(carrier: str) -> str:
    """The reconciliation's energy type of a meter's carrier: steam and hot water as ``heat``
    (the inventory counts purchased heat, whatever its medium)."""
    return "heat" if carrier in ("steam", "hot_water") else carrier


def line_group(
    line: Mapping[str, Any], onsite: Iterable[str] = ()
) -> tuple[str, float | None, str | None]:
    """The energy type of an inventory line and its quantity in that type's terms.

    Parameters
    ----------
    line
        An inventory result line (``kind``, ``quantity``, ``unit``, ``activity``,
        ``activity_unit``, ``source``).
    onsite
        Source ids (``line["source_id"]``) covered by an ``onsite_renewable`` instrument:
        on-site generation.

    Returns
    -------
    (str, float or None, str or None)
        Energy type (a fuel key, ``electricity``, ``onsite_generation``, ``heat`` or
        ``non_energy``), quantity and its unit: fuels as given, electricity in MWh and heat
        in GJ (the line's activity; negative for exports), None for ``non_energy``.
    """
    kind = line["kind"]
    if kind in _FUEL_KINDS and line["source"].get("fuel"):
        return line["source"]["fuel"], line["quantity"], line["unit"]
    if kind in _SIGN:
        sign = _SIGN[kind]
        if kind.endswith("electricity"):
            group = "onsite_generation" if line["source_id"] in set(onsite) else "electricity"
        else:
            group = "heat"
        return group, sign * line["activity"], line["activity_unit"]
    return "non_energy", None, None


@dataclass(frozen=True)
class InvoiceMonth:
    """One inventory line: energy type, month (``YYYY-MM``), quantity [unit] (None for no
    carrier), standard coal [tce], emissions [tCO2e, location-based], and whether its record
    is an estimate."""

    energy_type: str
    month: str
    quantity: float | None
    unit: str | None
    energy_tce: float
    carbon_tco2e: float
    estimate: bool = False


@dataclass(frozen=True)
class MeterMonth:
    """One energy type of the meters' total in one month: quantity [unit], standard coal
    [tce], CO2 [tCO2], missing intervals; ``counted`` False for what is metered apart and is
    not in the meters' total (on-site generation − export)."""

    energy_type: str
    month: str
    quantity: float
    unit: str
    energy_tce: float
    carbon_tco2: float
    missing: int = 0
    counted: bool = True


@dataclass(frozen=True)
class Coefficients:
    """The meters' coefficients of an energy type per ``unit``: [tce/unit] and [tCO2/unit]."""

    unit: str
    tce: float
    tco2: float


@dataclass
class _Side:
    quantity: float | None = 0.0
    tce: float = 0.0
    tco2: float = 0.0
    missing: int = 0
    estimate: bool = False


@dataclass
class ReconciliationRow:
    """One energy type: both sides, the difference and its causes.

    ``causes`` maps a cause (:data:`CAUSES`) to ``(energy [tce], carbon [tCO2e], months)``;
    ``months`` lists per month ``(month, invoice tce, meters tce, difference tce, cause,
    the invoice is an estimate, the meters' missing intervals)``.
    """

    energy_type: str
    unit: str | None
    invoice_quantity: float | None
    meter_quantity: float | None
    apart_quantity: float | None
    invoice_tce: float
    meter_tce: float
    invoice_tco2e: float
    meter_tco2: float
    causes: dict[str, tuple[float, float, list[str]]] = field(default_factory=dict)
    months: list[tuple[str, float, float, float, str, bool, int]] = field(default_factory=list)

    @property
    def difference_tce(self) -> float:
        return self.invoice_tce - self.meter_tce

    @property
    def difference_tco2e(self) -> float:
        return self.invoice_tco2e - self.meter_tco2

    def as_dict(self) -> dict[str, Any]:
        return {
            "energy_type": self.energy_type,
            "unit": self.unit,
            "invoice_quantity": self.invoice_quantity,
            "meter_quantity": self.meter_quantity,
            "metered_apart_quantity": self.apart_quantity,
            "invoice_tce": self.invoice_tce,
            "meter_tce": self.meter_tce,
            "difference_tce": self.difference_tce,
            "invoice_tco2e": self.invoice_tco2e,
            "meter_tco2": self.meter_tco2,
            "difference_tco2e": self.difference_tco2e,
            "causes": [
                {"cause": c, "energy_tce": e, "carbon_tco2e": k, "months": m}
                for c, (e, k, m) in self.causes.items()
            ],
            "months": [
                {
                    "month": m,
                    "invoice_tce": a,
                    "meter_tce": b,
                    "difference_tce": d,
                    "cause": cause,
                    "invoice_estimate": estimate,
                    "missing_intervals": missing,
                }
                for m, a, b, d, cause, estimate, missing in self.months
            ],
        }


@dataclass
class Reconciliation:
    """The rows and the totals of both sides (:func:`reconcile`)."""

    rows: list[ReconciliationRow]

    @property
    def invoice_tce(self) -> float:
        return sum(r.invoice_tce for r in self.rows)

    @property
    def meter_tce(self) -> float:
        return sum(r.meter_tce for r in self.rows)

    @property
    def invoice_tco2e(self) -> float:
        return sum(r.invoice_tco2e for r in self.rows)

    @property
    def meter_tco2(self) -> float:
        return sum(r.meter_tco2 for r in self.rows)

    def causes(self) -> dict[str, tuple[float, float]]:
        """Per cause over all energy types: (energy [tce], carbon [tCO2e])."""
        out: dict[str, list[float]] = {}
        for row in self.rows:
            for cause, (tce, tco2, _) in row.causes.items():
                total = out.setdefault(cause, [0.0, 0.0])
                total[0] += tce
                total[1] += tco2
        return {c: (out[c][0], out[c][1]) for c in CAUSES if c in out}

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": [r.as_dict() for r in self.rows],
            "invoice_tce": self.invoice_tce,
            "meter_tce": self.meter_tce,
            "difference_tce": self.invoice_tce - self.meter_tce,
            "invoice_tco2e": self.invoice_tco2e,
            "meter_tco2": self.meter_tco2,
            "difference_tco2e": self.invoice_tco2e - self.meter_tco2,
            "causes": [
                {"cause": c, "energy_tce": e, "carbon_tco2e": k}
                for c, (e, k) in self.causes().items()
            ],
        }


def _converted(quantity: float | None, unit: str | None, to: str | None) -> float | None:
    if quantity is None or unit is None or to is None:
        return None
    try:
        return quantity * conversion_factor(unit, to)
    except UnitError:
        return None


def _add(cause: dict, key: str, tce: float, tco2: float, month: str | None = None) -> None:
    e, c, months = cause.get(key, (0.0, 0.0, []))
    cause[key] = (e + tce, c + tco2, months + ([month] if month else []))


def reconcile(
    invoices: Iterable[InvoiceMonth],
    meters: Iterable[MeterMonth],
    coefficients: Mapping[str, Coefficients],
) -> Reconciliation:
    """Reconcile the inventory's energy and carbon with the meters', per energy type.

    Parameters
    ----------
    invoices
        The inventory's lines, one per record (:class:`InvoiceMonth`).
    meters
        The meters' figures per energy type and month (:class:`MeterMonth`).
    coefficients
        Per energy type, the meters' coefficients (:class:`Coefficients`); a type without one
        is compared in tce and tCO2 directly (no ``coefficients`` cause).

    Returns
    -------
    Reconciliation
        One row per energy type either side has, with the causes of its difference (module
        notes); the causes of a row add up to its difference.
    """
    bills: dict[str, dict[str, _Side]] = defaultdict(lambda: defaultdict(_Side))
    units: dict[str, str | None] = {}
    for entry in invoices:
        units.setdefault(entry.energy_type, entry.unit)
        side = bills[entry.energy_type][entry.month]
        quantity = _converted(entry.quantity, entry.unit, units[entry.energy_type])
        side.quantity = (
            None if side.quantity is None or quantity is None else side.quantity + quantity
        )
        side.tce += entry.energy_tce
        side.tco2 += entry.carbon_tco2e
        side.estimate |= entry.estimate
    metered: dict[str, dict[str, _Side]] = defaultdict(lambda: defaultdict(_Side))
    apart: dict[str, float | None] = {}
    for entry in meters:
        unit = units.setdefault(entry.energy_type, entry.unit)
        quantity = _converted(entry.quantity, entry.unit, unit)
        if not entry.counted:
            known = apart.get(entry.energy_type, 0.0)
            apart[entry.energy_type] = (
                None if known is None or quantity is None else known + quantity
            )
            continue
        side = metered[entry.energy_type][entry.month]
        side.quantity = (
            None if side.quantity is None or quantity is None else side.quantity + quantity
        )
        side.tce += entry.energy_tce
        side.tco2 += entry.carbon_tco2
        side.missing += entry.missing
    types = set(bills) | set(metered) | set(apart)
    ordered = [t for t in _ORDER if t in types] + sorted(types - set(_ORDER))
    rows = []
    for energy_type in ordered:
        billed, measured = bills.get(energy_type, {}), metered.get(energy_type, {})
        unit = units.get(energy_type)
        row = ReconciliationRow(
            energy_type,
            unit,
            _total(billed, "quantity") if billed else None,
            _total(measured, "quantity") if measured else None,
            apart.get(energy_type),
            sum(s.tce for s in billed.values()),
            sum(s.tce for s in measured.values()),
            sum(s.tco2 for s in billed.values()),
            sum(s.tco2 for s in measured.values()),
        )
        months = sorted(set(billed) | set(measured))
        whole = (
            "not_in_inventory"
            if not billed
            else ("onsite_generation" if energy_type in apart else "not_metered")
            if not measured
            else None
        )
        known = None not in (row.invoice_quantity, row.meter_quantity)
        c = _coefficients(coefficients.get(energy_type), unit)
        by_quantity = c if whole is None and known else None
        if by_quantity is not None and row.invoice_quantity is not None:
            _add(
                row.causes,
                "coefficients",
                row.invoice_tce - row.invoice_quantity * by_quantity.tce,
                row.invoice_tco2e - row.invoice_quantity * by_quantity.tco2,
            )
        for month in months:
            bill, meter = billed.get(month, _Side()), measured.get(month, _Side())
            if whole is not None:
                cause = whole
            elif meter.missing:
                cause = "meter_missing"
            elif bill.estimate:
                cause = "inventory_estimate"
            else:
                cause = "metering"
            if by_quantity is not None:
                q = (bill.quantity or 0.0) - (meter.quantity or 0.0)
                tce, tco2 = by_quantity.tce * q, by_quantity.tco2 * q
            else:
                tce, tco2 = bill.tce - meter.tce, bill.tco2 - meter.tco2
            _add(row.causes, cause, tce, tco2, month)
            row.months.append(
                (month, bill.tce, meter.tce, bill.tce - meter.tce, cause, bill.estimate,
                 meter.missing)
            )  # fmt: skip
        row.causes = {k: row.causes[k] for k in CAUSES if k in row.causes}
        rows.append(row)
    return Reconciliation(rows)


def _total(sides: Mapping[str, _Side], key: str) -> float | None:
    values = [getattr(s, key) for s in sides.values()]
    return None if any(v is None for v in values) else sum(values)


def _coefficients(c: Coefficients | None, unit: str | None) -> Coefficients | None:
    """The coefficients per ``unit`` (None where they do not convert)."""
    if c is None or unit is None:
        return None
    try:
        factor = conversion_factor(unit, c.unit)
    except UnitError:
        return None
    return Coefficients(unit, c.tce * factor, c.tco2 * factor)
