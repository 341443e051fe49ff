"""The climate-disclosure data pack (气候信息披露数据包) of a facility and year.

:func:`climate_metrics` lists the metrics of ``lingtan/data/disclosure/climate-metrics.yaml``
— Scope 1, Scope 2 location- and market-based, Scope 3, intensities, energy, renewable share,
reductions, offsets, the target and its progress — each with its value from a
:class:`lingtan.services.zero_carbon.ZeroCarbonData` (so the pack and the zero-carbon-factory
report agree), the clauses of the frameworks that ask for it (China's climate disclosure
standard, IFRS S2, GRI 305 / 302; ``null`` where the clause is not known, every mapping with its
review status) and its source in lingtan: the inventory snapshot (id, SHA-256 of the result,
the path of the figure in it), the activity records, the ledger entries or the measures behind
it, so that every figure can be traced.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml

from lingtan.services.zero_carbon import ZeroCarbonData

__all__ = ["climate_metrics", "disclosure_document", "frameworks"]

_FILE = "climate-metrics.yaml"


@cache
def _mapping() -> dict[str, Any]:
    text = (resources.files("lingtan") / "data" / "disclosure" / _FILE).read_text("utf-8")
    return yaml.safe_load(text)


def frameworks() -> list[dict[str, Any]]:
    """The frameworks of the mapping: id, titles, issuer, publication date, status, note."""
    return list(_mapping()["frameworks"])


def _inventory_source(data: ZeroCarbonData, path: str, records: list[int]) -> dict[str, Any]:
    return {
        "inventory_id": data.inventory["id"],
        "result_sha256": data.inventory["result_sha256"],
        "path": path,
        "activity_record_ids": records,
    }


def _values(data: ZeroCarbonData) -> list[tuple[str, Any, dict[str, Any], dict[str, Any]]]:
    """(metric id, value, source, extra fields) of every figure, in the mapping's terms."""
    t, records = data.totals, data.scope_records
    every = sorted({i for ids in records.values() for i in ids})
    out: list[tuple[str, Any, dict[str, Any], dict[str, Any]]] = []
    for key, scope in (("scope1_tco2e", "1"), ("scope2_location_tco2e", "2"),
                       ("scope2_market_tco2e", "2"), ("scope3_tco2e", "3")):  # fmt: skip
        out.append((key, t[key], _inventory_source(data, f"totals.{key}", records[scope]), {}))
    for i, row in enumerate(data.overview.get("intensities") or []):
        extra = {"denominator": row["denominator"], "denominator_unit": row["unit"],
                 "denominator_quantity": row["quantity"]}  # fmt: skip
        for metric, field, unit in (
            ("intensity_tco2e_per_unit", "tco2e_per_unit", "tCO2e"),
            ("energy_intensity_tce_per_unit", "tce_per_unit", "tce"),
        ):
            path = f"totals.intensities[{i}].{field}"
            source = _inventory_source(data, path, every)
            out.append((metric, row[field], source, {**extra, "unit": f"{unit}/{row['unit']}"}))
    out.append(("energy_tce", t["energy_tce"], _inventory_source(data, "totals.energy_tce", every),
                {}))  # fmt: skip
    renewable = data.renewable
    out.append(
        (
            "renewable_electricity_share_pct",
            renewable.get("share_pct"),
            {
                "inventory_id": data.inventory["id"],
                "result_sha256": data.inventory["result_sha256"],
                "fact": "renewable_electricity_share_pct",
                "ledger_entry_ids": [e["entry"] for e in renewable.get("ledger_entries", [])],
                "onsite_instruments": renewable.get("onsite_instruments", []),
            },
            {},
        )
    )
    done = [m for m in data.measures if m["status"] == "done"]
    out.append(("reductions_done_tco2_per_year", data.reductions["done_tco2_per_year"],
                {"measures": [m["code"] for m in done]}, {}))  # fmt: skip
    credits = [r for r in data.retirements if r["unit"] == "tCO2e"]
    out.append(("offset_retired_tco2e", data.offset_retired_tco2e,
                {"ledger_entry_ids": [r["entry"] for r in credits],
                 "serials": [r["serial"] for r in credits]}, {}))  # fmt: skip
    target = data.overview.get("target")
    if target is not None:
        where = {"facility_target": data.facility_code, "basis": target["basis"],
                 "inventory_id": data.inventory["id"],
                 "result_sha256": data.inventory["result_sha256"]}  # fmt: skip
        extra = {"base_year": target["base_year"], "base_tco2e": target["base_tco2e"],
                 "target_year": target["target_year"], "basis": target["basis"]}  # fmt: skip
        out.append(("target_tco2e", target["target_tco2e"], where, extra))
        out.append(("target_progress_pct", target["progress_pct"], where,
                    {**extra, "actual_tco2e": target["actual_tco2e"]}))  # fmt: skip
    return out


def climate_metrics(data: ZeroCarbonData) -> list[dict[str, Any]]:
    """Every metric of the pack with its value, unit, framework clauses and source.

    Each: ``metric``, ``title_en``, ``title_zh``, ``value``, ``unit``, ``frameworks``
    (``{framework id: {"clause": str or None, "status"}}``) and ``source``; an intensity also
    its ``denominator``; the target its base and target years. A metric lingtan has no figure
    for (no target stored) is left out.
    """
    mapping = _mapping()
    status = {f["id"]: f["status"] for f in mapping["frameworks"]}
    metrics = {m["id"]: m for m in mapping["metrics"]}
    rows = []
    for metric, value, source, extra in _values(data):
        m = metrics[metric]
        extra = {"unit": m["unit"], **extra}
        rows.append(
            {
                "metric": metric,
                "title_en": m["title_en"],
                "title_zh": m["title_zh"],
                "value": value,
                **extra,
                "frameworks": {
                    fid: {"clause": clause, "status": status[fid]}
                    for fid, clause in m["map"].items()
                },
                "source": source,
            }
        )
    return rows


def disclosure_document(data: ZeroCarbonData) -> dict[str, Any]:
    """The pack as JSON: facility, year, the inventory snapshot, the frameworks, the metrics."""
    return {
        "facility": data.facility_code,
        "facility_name": data.facility_name,
        "organization": data.organization_name,
        "year": data.year,
        "inventory": {
            "id": data.inventory["id"],
            "status": data.inventory["status"],
            "result_sha256": data.inventory["result_sha256"],
            "period_start": data.inventory["period_start"],
            "period_end": data.inventory["period_end"],
        },
        "frameworks": frameworks(),
        "metrics": climate_metrics(data),
    }
