"""Codes shown by name: family -> code -> (context, English msgid).

Written by the catalogue conversion; add a code here and its Chinese to the
catalogue (``messages.po``). ``Texts.name_of(family, code)`` and ``name_of`` in
templates show a code by its name, an unknown code as it is.
"""

from lingtan.i18n import NP_

__all__ = ["TERMS"]

TERMS: dict[str, dict[str, tuple[str, str]]] = {
    "data.kind": {
        "cumulative": NP_("data.kind", "cumulative"),
        "interval": NP_("data.kind", "interval"),
    },
    "data.table": {
        "activity": NP_("data.table", "activity records"),
        "instruments": NP_("data.table", "instruments"),
        "production": NP_("data.table", "production"),
        "sources": NP_("data.table", "sources"),
    },
    "energy.basis": {
        "children": NP_("energy.basis", "sum of the children"),
        "none": NP_("energy.basis", "not metered"),
        "own meters": NP_("energy.basis", "own meters"),
    },
    "energy.flow": {
        "export": NP_("energy.flow", "export"),
        "generation": NP_("energy.flow", "generation"),
        "output": NP_("energy.flow", "output"),
        "supply": NP_("energy.flow", "supply"),
        "use": NP_("energy.flow", "use"),
    },
    "energy.source": {
        "generation": NP_("energy.source", "generated %(type)s"),
        "supply": NP_("energy.source", "purchased %(type)s"),
    },
    "energy.status": {
        "children exceed parent": NP_("energy.status", "children exceed parent"),
        "incomplete": NP_("energy.status", "incomplete"),
        "loss": NP_("energy.status", "loss above the limit"),
        "ok": NP_("energy.status", "ok"),
    },
    "energy.type": {
        "compressed_air": NP_("energy.type", "compressed air"),
        "diesel": NP_("energy.type", "diesel"),
        "electricity": NP_("energy.type", "electricity"),
        "exported_power": NP_("energy.type", "exported power"),
        "hot_water": NP_("energy.type", "hot water"),
        "natural_gas": NP_("energy.type", "natural gas"),
        "pv_generation": NP_("energy.type", "PV generation"),
        "steam": NP_("energy.type", "steam"),
        "water": NP_("energy.type", "water"),
    },
    "gas": {
        "CH4": NP_("gas", "methane"),
        "CO2": NP_("gas", "carbon dioxide"),
        "N2O": NP_("gas", "nitrous oxide"),
        "NF3": NP_("gas", "nitrogen trifluoride"),
        "SF6": NP_("gas", "sulphur hexafluoride"),
    },
    "iso14064": {
        "1": NP_("iso14064", "Direct GHG emissions and removals"),
        "2": NP_("iso14064", "Indirect emissions from imported energy"),
        "3": NP_("iso14064", "Indirect emissions from transportation"),
        "4": NP_("iso14064", "Indirect emissions from products used"),
        "5": NP_("iso14064", "Indirect emissions from the use of the organization's products"),
        "6": NP_("iso14064", "Indirect emissions from other sources"),
    },
    "overview.basis": {
        "location": NP_("overview.basis", "location-based"),
        "market": NP_("overview.basis", "market-based"),
    },
    "quality": {
        "estimated": NP_("quality", "estimated"),
        "measured": NP_("quality", "measured"),
        "missing": NP_("quality", "missing"),
        "negative": NP_("quality", "negative"),
        "replacement": NP_("quality", "replacement"),
        "rollover": NP_("quality", "rollover"),
        "spike": NP_("quality", "spike"),
        "stuck": NP_("quality", "stuck"),
    },
    "report.basis": {
        "equal_value": NP_("report.basis", "equal value (等价值)"),
        "equivalent": NP_("report.basis", "equivalent value (当量值)"),
    },
    "report.check": {
        "diff": NP_("report.check", "DIFFERS"),
        "na": NP_("report.check", "units differ, not compared"),
        "ok": NP_("report.check", "agrees"),
    },
    "report.kind": {
        "gec": NP_("report.kind", "Green electricity certificate (绿证)"),
        "green_power": NP_("report.kind", "Green-power trading contract (绿电交易)"),
        "onsite_renewable": NP_("report.kind", "On-site renewable (自发自用可再生电力)"),
    },
    "report.origin": {
        "estimate": NP_("report.origin", "estimate"),
        "invoice": NP_("report.origin", "invoice"),
        "manual": NP_("report.origin", "manual entry"),
        "meter": NP_("report.origin", "meter reading"),
        "none": NP_("report.origin", "no record (input as given)"),
    },
    "report.status": {
        "computed": NP_("report.status", "computed (not locked)"),
        "input": NP_("report.status", "input"),
        "locked": NP_("report.status", "locked"),
        "official": NP_("report.status", "official"),
        "unverified": NP_("report.status", "UNVERIFIED"),
    },
    "role": {
        "admin": NP_("role", "admin"),
        "auditor": NP_("role", "auditor"),
        "manager": NP_("role", "manager"),
        "token": NP_("role", "token"),
        "viewer": NP_("role", "viewer"),
    },
    "status": {
        "computed": NP_("status", "computed"),
        "locked": NP_("status", "locked"),
        "superseded": NP_("status", "superseded"),
    },
}
