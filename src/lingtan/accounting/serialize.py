"""An inventory result as plain JSON-ready data: the contract of ``lingtan calc --format json``.

Numbers are not rounded. Every key holding a number carries its unit as a suffix. Lines point
to factors by reference; ``factors`` holds each referenced factor's full provenance once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from operator import attrgetter
from typing import IO, Any

import numpy as np

from lingtan.accounting.model import (
    GBT32150_CATEGORIES,
    KINDS,
    FactorUse,
    InventoryResult,
    Line,
    LineGroup,
    Source,
    Totals,
)
from lingtan.i18n import Message

__all__ = [
    "add_warning",
    "line_to_dict",
    "result_to_dict",
    "totals_to_dict",
    "warning_texts",
    "write_result_json",
]

_SOURCE_FIELDS: tuple[str, ...] = Source.__slots__
_EMPTY = (None, "", ())
_FLOWS = ("inputs", "outputs")
#: Lines per piece of the streamed JSON: bounds the memory of the text being written.
_CHUNK = 10_000


def totals_to_dict(totals: Totals) -> dict[str, Any]:
    data = asdict(totals)
    data["intensities"] = list(totals.intensities)
    return data


def _given(source: Source, fields: tuple[str, ...] = _SOURCE_FIELDS) -> dict[str, Any]:
    """The fields the source gives (of ``fields``), as plain data (flows as mappings)."""
    given = {}
    for name in fields:
        value = getattr(source, name)
        if value not in _EMPTY:
            given[name] = tuple(map(asdict, value)) if name in _FLOWS else value
    return given


def _fields_given(members: list[Source]) -> tuple[str, ...]:
    """The fields that some of ``members`` give: most fields are left out by every source."""
    n = len(members)
    return tuple(
        name for name in _SOURCE_FIELDS if list(map(attrgetter(name), members)).count(None) < n
    )


def _line_dict(
    source: Source,
    numbers: tuple[float, float, float | None, float, float, float, float, float | None],
    gases: dict[str, float],
    group: Line | LineGroup,
    factors: Any,
    fields: tuple[str, ...] = _SOURCE_FIELDS,
) -> dict[str, Any]:
    """One line's mapping: the texts of its line or group, its numbers (activity, emissions,
    market emissions, covered MWh, CO2, biogenic CO2, tce, uncertainty) and its factors."""
    activity, emissions, market, covered, co2, biogenic, tce, uncertainty = numbers
    kind = KINDS[source.kind]
    category = group.gbt32150_category
    return {
        "source_id": source.id,
        "name": source.name or None,
        "kind": source.kind,
        "kind_en": kind[0],
        "kind_zh": kind[1],
        "quantity": source.quantity,
        "unit": source.unit,
        "activity": activity,
        "activity_unit": group.activity_unit,
        "gases_t": gases,
        "emissions_tco2e": emissions,
        "market_emissions_tco2e": market,
        "covered_mwh": covered,
        "co2_t": co2,
        "biogenic_co2_t": biogenic,
        "energy_tce": tce,
        "gbt32150_category": category,
        "gbt32150_category_zh": GBT32150_CATEGORIES[category][1] if category else None,
        "ghg_scope": group.scope,
        "scope3_category": group.scope3_category,
        "iso14064_category": group.iso14064_category,
        "uncertainty_pct": uncertainty,
        "method": group.method,
        "factors": factors,
        "source": _given(source, fields),
    }


def line_to_dict(line: Line) -> dict[str, Any]:
    numbers = (
        line.activity, line.emissions_tco2e, line.market_emissions_tco2e, line.covered_mwh,
        line.co2_t, line.biogenic_co2_t, line.energy_tce, line.uncertainty_pct,
    )  # fmt: skip
    factors = [use.as_dict() for use in line.factors]
    return _line_dict(line.source, numbers, dict(line.gases_t), line, factors)


def _column(values: np.ndarray | None, n: int) -> list[Any]:
    return [None] * n if values is None else values.tolist()


def _line_dicts(
    result: InventoryResult, shared_factors: Callable[[list[dict[str, Any]]], Any]
) -> list[dict[str, Any]]:
    """Every line's mapping in input order, made group by group from the columns.

    ``shared_factors`` turns the factor mappings of a line into what the line holds; a use
    given with each source (its value per row) is filled in per line.
    """
    sources = result.input.sources
    out: list[Any] = [None] * len(sources)
    for group in result.lines.groups:
        rows = group.rows.tolist()
        n = len(rows)
        covered = [0.0] * n if group.covered_mwh is None else group.covered_mwh.tolist()
        numbers = zip(
            group.activity.tolist(), group.emissions_tco2e.tolist(),
            _column(group.market_emissions_tco2e, n), covered, group.co2_t.tolist(),
            group.biogenic_co2_t.tolist(), group.energy_tce.tolist(),
            _column(group.uncertainty_pct, n), strict=True,
        )  # fmt: skip
        gas_names = list(group.gases_t)
        gases = zip(*(mass.tolist() for mass in group.gases_t.values()), strict=True)
        if not gas_names:
            gases = iter(() for _ in range(n))
        # the factors' mappings, with the values of those given per source as columns
        uses: list[Any] = [
            use.value.tolist() if isinstance(use.value, np.ndarray) else use.as_dict()
            for use in group.factors
        ]
        per_row = [j for j, use in enumerate(group.factors) if isinstance(use.value, np.ndarray)]
        shared = None if per_row else shared_factors(uses)
        fields = _fields_given([sources[row] for row in rows])
        for k, (row, line_numbers, line_gases) in enumerate(zip(rows, numbers, gases, strict=True)):
            line_factors = shared
            if per_row:
                line_factors = list(uses)
                for j in per_row:
                    line_factors[j] = _use_dict(group.factors[j], uses[j][k])
            out[row] = _line_dict(
                sources[row],
                line_numbers,
                dict(zip(gas_names, line_gases, strict=True)),
                group,
                line_factors,
                fields,
            )
    return out


def _use_dict(use: FactorUse, value: float) -> dict[str, Any]:
    return FactorUse(use.role, value, use.unit, use.factor, use.rule).as_dict()


def result_to_dict(result: InventoryResult) -> dict[str, Any]:
    data = _head(result)
    data["lines"] = [
        {**line, "factors": [dict(use) for use in line["factors"]]}
        for line in _line_dicts(result, list)
    ]
    data.update(_tail(result))
    return data


def _head(result: InventoryResult) -> dict[str, Any]:
    inventory = result.input
    sets = sorted({(f.set_id, f.version) for f in result.factors_used().values()})
    return {
        "inventory": {
            "facility": inventory.facility_name,
            "region": inventory.region,
            "period": {
                "start": inventory.period_start.isoformat(),
                "end": inventory.period_end.isoformat(),
            },
            "year": inventory.year,
            "gwp": inventory.gwp,
            "electricity_factor_year": inventory.electricity_factor_year,
            "electricity_tce_basis": inventory.electricity_tce_basis,
            "biomass_non_co2_in_total": inventory.biomass_non_co2_in_total,
            "engine_version": result.engine_version,
            "factor_sets": [{"set_id": s, "version": v} for s, v in sets],
        },
        "totals": totals_to_dict(result.totals),
    }


def _tail(result: InventoryResult) -> dict[str, Any]:
    factors = result.factors_used()
    return {
        "instruments": [
            {
                "id": use.instrument.id,
                "kind": use.instrument.kind,
                "quantity": use.instrument.quantity,
                "unit": use.instrument.unit,
                "serial": use.instrument.serial or None,
                "vintage": use.instrument.vintage or None,
                "covered_mwh": use.mwh,
                "allocation_mwh": use.allocation_mwh,
                "factors": [u.as_dict() for u in use.factors],
            }
            for use in result.instruments
        ],
        "residual_factor": result.residual_factor.as_dict() if result.residual_factor else None,
        "factors": {ref: factor.provenance() for ref, factor in sorted(factors.items())},
        "warnings": list(result.warnings),
        "warning_messages": [_message(w) for w in result.warnings],
    }


def write_result_json(result: InventoryResult, out: IO[bytes]) -> None:
    """Write :func:`result_to_dict`'s document as JSON to ``out``, streamed.

    The same document, written piece by piece with orjson: lines in pieces of
    ``_CHUNK``, the factor list of lines that share their factors encoded once.
    """
    import orjson

    def encode(data: Any) -> bytes:
        return orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS)

    head, tail = encode(_head(result)), encode(_tail(result))
    out.write(head[:-1] + b',"lines":[')
    lines = _line_dicts(result, lambda uses: orjson.Fragment(encode(uses)))
    for start in range(0, len(lines), _CHUNK):
        if start:
            out.write(b",")
        out.write(encode(lines[start : start + _CHUNK])[1:-1])
    out.write(b"]," + tail[1:] + b"\n")


def _message(text: str) -> dict[str, Any]:
    """A warning as stored beside its English text: its msgid and values."""
    return (
        text.as_dict()
        if isinstance(text, Message)
        else {"msgid": "%(text)s", "params": {"text": text}}
    )


def add_warning(result: dict[str, Any], warning: Message) -> None:
    """Add ``warning`` to a stored result: its English text and its msgid with values."""
    result["warnings"].append(str(warning))
    result.setdefault("warning_messages", []).append(_message(warning))


def warning_texts(result: dict[str, Any]) -> list[str | dict[str, Any]]:
    """The warnings of a stored result to show: msgid and values where the result has them
    (``Texts.message`` translates them), else the English text of an older result."""
    messages = result.get("warning_messages")
    if messages is None or len(messages) != len(result["warnings"]):
        return list(result["warnings"])
    return messages
