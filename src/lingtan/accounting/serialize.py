"""An inventory result as plain JSON-ready data: the contract of ``lingtan calc --format json``.

Numbers are not rounded. Every key holding a number carries its unit as a suffix. Lines point
to factors by reference; ``factors`` holds each referenced factor's full provenance once.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from lingtan.accounting.model import GBT32150_CATEGORIES, KINDS, InventoryResult, Line, Totals
from lingtan.i18n import Message

__all__ = ["add_warning", "line_to_dict", "result_to_dict", "totals_to_dict", "warning_texts"]


def totals_to_dict(totals: Totals) -> dict[str, Any]:
    data = asdict(totals)
    data["intensities"] = list(totals.intensities)
    return data


def line_to_dict(line: Line) -> dict[str, Any]:
    source = line.source
    given = {k: v for k, v in asdict(source).items() if v not in (None, "", ())}
    return {
        "source_id": source.id,
        "name": source.name or None,
        "kind": source.kind,
        "kind_en": KINDS[source.kind][0],
        "kind_zh": KINDS[source.kind][1],
        "quantity": source.quantity,
        "unit": source.unit,
        "activity": line.activity,
        "activity_unit": line.activity_unit,
        "gases_t": dict(line.gases_t),
        "emissions_tco2e": line.emissions_tco2e,
        "market_emissions_tco2e": line.market_emissions_tco2e,
        "covered_mwh": line.covered_mwh,
        "co2_t": line.co2_t,
        "biogenic_co2_t": line.biogenic_co2_t,
        "energy_tce": line.energy_tce,
        "gbt32150_category": line.gbt32150_category,
        "gbt32150_category_zh": (
            GBT32150_CATEGORIES[line.gbt32150_category][1] if line.gbt32150_category else None
        ),
        "ghg_scope": line.scope,
        "scope3_category": line.scope3_category,
        "iso14064_category": line.iso14064_category,
        "uncertainty_pct": line.uncertainty_pct,
        "method": line.method,
        "factors": [use.as_dict() for use in line.factors],
        "source": given,
    }


def result_to_dict(result: InventoryResult) -> dict[str, Any]:
    inventory = result.input
    factors = result.factors_used()
    sets = sorted({(f.set_id, f.version) for f in factors.values()})
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
        "lines": [line_to_dict(line) for line in result.lines],
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
