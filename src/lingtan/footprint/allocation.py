"""Sharing a line's energy and emissions among the products made on it (ISO 14044 §4.3.4.2).

A line that makes one product needs no allocation: its meters give that product's energy
(subdivision, the first step of the hierarchy). Where a line makes several, each product
``p`` takes the share

    w_p = k_p / sum_j k_j,

of the key ``k``: its output ``q_p`` (``units``), its output times a value per unit ``v_p``
(``mass``, ``energy``, ``economic``: ``k_p = q_p v_p``), or the machine-hours the line ran for
it (``machine_hours``). A key that sums to zero shares nothing and is refused.

References
----------
.. [1] ISO 14044:2006 §4.3.4.2 (allocation procedure); GB/T 24067-2024 / ISO 14067:2018
   §6.4.6 (allocation in a CFP study).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from lingtan.errors import InputError, InputProblem
from lingtan.i18n import Message
from lingtan.units import UnitError, conversion_factor

__all__ = ["allocation_shares"]


def allocation_shares(
    outputs: Mapping[str, float],
    *,
    key: str,
    where: str,
    units: Mapping[str, str] | None = None,
    values: Mapping[str, float] | None = None,
    machine_hours: Mapping[str, float] | None = None,
) -> dict[str, float]:
    """Each product's share of a line [-], summing to 1.

    Parameters
    ----------
    outputs
        Output of each product made on the line over the period [its unit].
    key
        ``units``, ``mass``, ``energy``, ``economic`` or ``machine_hours``.
    where
        What the shares are of (``line coating``), named in problems.
    units
        Each product's unit: with the ``units`` key the outputs must be in one quantity
        (pieces and MWh cannot be added); they are converted to the first product's unit.
    values
        The key per unit of each product [value unit per product unit] (``mass``, ``energy``,
        ``economic``).
    machine_hours
        Hours the line ran for each product [h] (``machine_hours``).

    Returns
    -------
    dict
        ``{product: share}``; a single product takes 1 (subdivision, no key needed).

    Raises
    ------
    InputError
        A product without a key value, outputs in units that cannot be added, or a key that
        sums to zero.
    """
    products = sorted(outputs)
    if len(products) == 1:
        return {products[0]: 1.0}
    problems: list[InputProblem] = []
    weights: dict[str, float] = {}
    for product in products:
        if key == "units":
            unit = (units or {}).get(product, "")
            first = (units or {}).get(products[0], "")
            try:
                weights[product] = outputs[product] * conversion_factor(unit, first)
            except UnitError as error:
                rule = Message(
                    "outputs in %(unit)s and %(first)s cannot be added for the units key: "
                    "%(reason)s",
                    unit=unit,
                    first=first,
                    reason=error.message,
                )
                problems.append(InputProblem(where, "unit", unit, rule))
        elif key == "machine_hours":
            hours = (machine_hours or {}).get(product)
            if hours is None:
                rule = Message("no %(key)s value for product %(product)s", key=key, product=product)
                problems.append(InputProblem(where, "machine_hours", None, rule))
            else:
                weights[product] = hours
        else:
            value = (values or {}).get(product)
            if value is None:
                rule = Message("no %(key)s value for product %(product)s", key=key, product=product)
                problems.append(InputProblem(where, f"allocation.values.{product}", None, rule))
            else:
                weights[product] = outputs[product] * value
    if problems:
        raise InputError(problems)
    total = math.fsum(weights.values())
    if not total > 0:
        rule = Message("the allocation key sums to zero: nothing to share by")
        detail = ", ".join(f"{p}={w:g}" for p, w in weights.items())
        raise InputError(InputProblem(where, key, detail, rule))
    return {product: weight / total for product, weight in weights.items()}
