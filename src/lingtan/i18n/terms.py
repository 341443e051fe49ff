"""Codes shown by name: family -> code -> (context, English msgid).

Written by the catalogue conversion; add a code here and its Chinese to the
catalogue (``messages.po``). ``Texts.name_of(family, code)`` and ``name_of`` in
templates show a code by its name, an unknown code as it is.
"""

from lingtan.i18n import NP_

__all__ = ["TERMS"]

TERMS: dict[str, dict[str, tuple[str, str]]] = {
    "alerts.balance": {
        "children exceed parent": NP_(
            "alerts.balance",
            "the children exceed the parent (%(parent)s %(unit)s) by %(loss)s %(unit)s: "
            "a metering fault?",
        ),
        "incomplete": NP_(
            "alerts.balance", "%(n)s 15-minute intervals missing: no loss is claimed"
        ),
        "loss": NP_("alerts.balance", "loss %(loss)s %(unit)s of the parent's %(parent)s %(unit)s"),
    },
    "alerts.budget": {
        "carbon": NP_("alerts.budget", "carbon %(actual)s tCO2 over the budget of %(budget)s tCO2"),
        "energy": NP_("alerts.budget", "energy %(actual)s tce over the budget of %(budget)s tce"),
    },
    "alerts.severity": {
        "high": NP_("alerts.severity", "high"),
        "low": NP_("alerts.severity", "low"),
        "medium": NP_("alerts.severity", "medium"),
    },
    "alerts.type": {
        "balance": NP_("alerts.type", "Balance"),
        "budget": NP_("alerts.type", "Budget overrun"),
        "data_gap": NP_("alerts.type", "Data gap"),
        "quality": NP_("alerts.type", "Data quality"),
    },
    "audit.action": {
        "activate": NP_("audit.action", "activate"),
        "add": NP_("audit.action", "add"),
        "attach": NP_("audit.action", "attach evidence"),
        "compute": NP_("audit.action", "compute"),
        "correct": NP_("audit.action", "correct"),
        "create": NP_("audit.action", "create"),
        "deactivate": NP_("audit.action", "deactivate"),
        "declare": NP_("audit.action", "declare"),
        "delete": NP_("audit.action", "delete"),
        "from_meters": NP_("audit.action", "from meters"),
        "grant": NP_("audit.action", "grant"),
        "ignore": NP_("audit.action", "ignore"),
        "import": NP_("audit.action", "import"),
        "lock": NP_("audit.action", "lock"),
        "passwd": NP_("audit.action", "change password"),
        "restate": NP_("audit.action", "restate"),
        "revoke": NP_("audit.action", "revoke"),
        "role": NP_("audit.action", "change role"),
        "seal": NP_("audit.action", "seal"),
        "store": NP_("audit.action", "store"),
        "update": NP_("audit.action", "update"),
    },
    "audit.entity": {
        "activity_record": NP_("audit.entity", "activity record"),
        "api_token": NP_("audit.entity", "API token"),
        "app_user": NP_("audit.entity", "user"),
        "carbon_asset": NP_("audit.entity", "carbon asset"),
        "declaration": NP_("audit.entity", "declaration for the evaluation"),
        "equipment": NP_("audit.entity", "equipment register"),
        "evaluation": NP_("audit.entity", "zero-carbon-factory evaluation"),
        "evidence": NP_("audit.entity", "evidence file"),
        "facility": NP_("audit.entity", "facility"),
        "facility_target": NP_("audit.entity", "target"),
        "factor_set": NP_("audit.entity", "factor set"),
        "import_batch": NP_("audit.entity", "import batch"),
        "inventory": NP_("audit.entity", "inventory"),
        "ledger_entry": NP_("audit.entity", "ledger entry"),
        "meter": NP_("audit.entity", "meter"),
        "meter_budget": NP_("audit.entity", "meter budget"),
        "meter_node": NP_("audit.entity", "metering node"),
        "tariff": NP_("audit.entity", "tariff"),
    },
    "budgets.over": {
        "carbon": NP_("budgets.over", "over the carbon budget"),
        "energy": NP_("budgets.over", "over the energy budget"),
    },
    "cost.reason": {
        "no_price": NP_("cost.reason", "the tariff has no price for it"),
        "unit": NP_("cost.reason", "the meter's unit does not convert to the priced unit"),
    },
    "cost.status": {
        "official": NP_("cost.status", "official"),
        "sample": NP_("cost.status", "sample data, not an official tariff"),
        "unverified": NP_("cost.status", "unverified"),
        "user": NP_("cost.status", "entered by the user"),
    },
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
    "efficiency.metric": {
        "ac_power_kwh_per_t": NP_("efficiency.metric", "ac_power_kwh_per_t"),
        "accop": NP_("efficiency.metric", "accop"),
        "copc": NP_("efficiency.metric", "copc"),
        "cspf": NP_("efficiency.metric", "cspf"),
        "efficiency_pct": NP_("efficiency.metric", "efficiency_pct"),
        "energy_kgce_per_t": NP_("efficiency.metric", "energy_kgce_per_t"),
        "energy_kgce_per_weight_box": NP_("efficiency.metric", "energy_kgce_per_weight_box"),
        "iplv": NP_("efficiency.metric", "iplv"),
        "load_loss_kw": NP_("efficiency.metric", "load_loss_kw"),
        "no_load_loss_kw": NP_("efficiency.metric", "no_load_loss_kw"),
        "pue": NP_("efficiency.metric", "pue"),
        "specific_power_kw_per_m3_min": NP_("efficiency.metric", "specific_power_kw_per_m3_min"),
        "thermal_efficiency_pct": NP_("efficiency.metric", "thermal_efficiency_pct"),
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
        "heat": NP_("energy.type", "heat"),
        "hot_water": NP_("energy.type", "hot water"),
        "natural_gas": NP_("energy.type", "natural gas"),
        "non_energy": NP_("energy.type", "no energy carrier (refrigerants, process)"),
        "onsite_generation": NP_("energy.type", "on-site generation (PV)"),
        "pv_generation": NP_("energy.type", "PV generation"),
        "steam": NP_("energy.type", "steam"),
        "water": NP_("energy.type", "water"),
    },
    "factor.family": {
        "carbonate": NP_("factor.family", "carbonate"),
        "co2_density": NP_("factor.family", "CO2 density"),
        "electricity": NP_("factor.family", "electricity"),
        "fuel": NP_("factor.family", "fuel"),
        "gwp": NP_("factor.family", "GWP"),
        "heat": NP_("factor.family", "heat"),
        "heat_conversion": NP_("factor.family", "heat conversion"),
        "instrument": NP_("factor.family", "green certificate"),
        "refrigerant_blend": NP_("factor.family", "refrigerant blend"),
        "standard_coal": NP_("factor.family", "standard coal"),
    },
    "factor.origin": {
        "shipped": NP_("factor.origin", "shipped with lingtan"),
    },
    "factor.role": {
        "CH4 factor": NP_("factor.role", "CH4 factor"),
        "CO2 density": NP_("factor.role", "CO2 density"),
        "N2O factor": NP_("factor.role", "N2O factor"),
        "NCV (no GB/T 2589 reference value)": NP_(
            "factor.role", "NCV (no GB/T 2589 reference value)"
        ),
        "energy per certificate": NP_("factor.role", "energy per certificate"),
        "steam reference enthalpy": NP_("factor.role", "steam reference enthalpy"),
        "stoichiometric factor": NP_("factor.role", "stoichiometric factor"),
        "water reference temperature": NP_("factor.role", "water reference temperature"),
        "water specific heat": NP_("factor.role", "water specific heat"),
        "CO2 purity": NP_("factor.role", "CO2 purity"),
        "NCV": NP_("factor.role", "NCV"),
        "biogenic CO2 factor": NP_("factor.role", "biogenic CO2 factor"),
        "calcination fraction": NP_("factor.role", "calcination fraction"),
        "carbon content per heat": NP_("factor.role", "carbon content per heat"),
        "carbon fraction C_ar": NP_("factor.role", "carbon fraction C_ar"),
        "carbon in": NP_("factor.role", "carbon in"),
        "carbon out": NP_("factor.role", "carbon out"),
        "electricity equal value (等价值)": NP_("factor.role", "electricity equal value"),
        "electricity equivalent value (当量值)": NP_("factor.role", "electricity equivalent value"),
        "emission factor": NP_("factor.role", "emission factor"),
        "grid emission factor (location-based)": NP_(
            "factor.role", "grid emission factor (location-based)"
        ),
        "heat emission factor": NP_("factor.role", "heat emission factor"),
        "oxidation rate": NP_("factor.role", "oxidation rate"),
        "purity": NP_("factor.role", "purity"),
        "reference NCV for standard coal": NP_("factor.role", "reference NCV for standard coal"),
        "residual factor (market-based)": NP_("factor.role", "residual factor (market-based)"),
        "standard coal heat content": NP_("factor.role", "standard coal heat content"),
        "steam enthalpy": NP_("factor.role", "steam enthalpy"),
        "water temperature": NP_("factor.role", "water temperature"),
    },
    "factor.status": {
        "input": NP_("factor.status", "input"),
        "official": NP_("factor.status", "official"),
        "unverified": NP_("factor.status", "unverified"),
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
    "level": {
        "building": NP_("level", "building"),
        "equipment": NP_("level", "equipment"),
        "facility": NP_("level", "facility"),
        "line": NP_("level", "line"),
        "workshop": NP_("level", "workshop"),
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
    "recon.basis": {
        "equal_value": NP_("recon.basis", "equal value (等价值)"),
        "equivalent": NP_("recon.basis", "equivalent value (当量值)"),
    },
    "recon.cause": {
        "coefficients": NP_(
            "recon.cause", "different coefficients (当量值 against 等价值, a measured NCV)"
        ),
        "inventory_estimate": NP_("recon.cause", "months the inventory estimates"),
        "meter_missing": NP_(
            "recon.cause",
            "months with meter data missing (the inventory has the statement or an estimate)",
        ),
        "metering": NP_("recon.cause", "meters against invoices (meter accuracy, reading dates)"),
        "not_in_inventory": NP_("recon.cause", "not in the inventory: metered, no inventory line"),
        "not_metered": NP_(
            "recon.cause",
            "not metered: in the inventory, no meter (diesel ledger, refrigerant top-ups)",
        ),
        "onsite_generation": NP_(
            "recon.cause",
            "PV self-consumption: in the inventory (bought from the PV owner); "
            "the meters' total counts the supply meters only",
        ),
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
    "efficiency.basis": {
        "measured": NP_("efficiency.basis", "measured (own meter)"),
        "nameplate": NP_("efficiency.basis", "nameplate × hours"),
    },
    "efficiency.level": {
        "LEVEL_1": NP_("efficiency.level", "Grade 1"),
        "LEVEL_2": NP_("efficiency.level", "Grade 2"),
        "LEVEL_3": NP_("efficiency.level", "Grade 3"),
        "NOT_COMPLIANT": NP_("efficiency.level", "Not compliant"),
        "OUT_OF_SCOPE": NP_("efficiency.level", "Out of scope"),
        "UNABLE_TO_JUDGE": NP_("efficiency.level", "Unable to judge"),
    },
    "efficiency.measure_kind": {
        "equipment_renewal": NP_("efficiency.measure_kind", "Equipment renewal"),
        "standby_load": NP_("efficiency.measure_kind", "Standby and base load"),
        "compressed_air_leaks": NP_("efficiency.measure_kind", "Compressed-air leaks"),
        "system_optimisation": NP_("efficiency.measure_kind", "System optimisation"),
        "waste_heat_recovery": NP_("efficiency.measure_kind", "Waste heat recovery"),
        "process_improvement": NP_("efficiency.measure_kind", "Process improvement"),
        "energy_management": NP_("efficiency.measure_kind", "Energy management"),
        "other": NP_("efficiency.measure_kind", "Other"),
    },
    "efficiency.measure_status": {
        "found": NP_("efficiency.measure_status", "found"),
        "planned": NP_("efficiency.measure_status", "planned"),
        "done": NP_("efficiency.measure_status", "done"),
    },
    "efficiency.measure_origin": {
        "found": NP_("efficiency.measure_origin", "found from the data"),
        "entered": NP_("efficiency.measure_origin", "entered"),
    },
    "efficiency.scale": {
        "ndrc": NP_("efficiency.scale", "NDRC benchmark and baseline levels"),
        "quota": NP_("efficiency.scale", "energy consumption quota"),
    },
    "efficiency.type": {
        "motor": NP_("efficiency.type", "Motor"),
        "pm_motor": NP_("efficiency.type", "Permanent-magnet synchronous motor"),
        "hv_motor": NP_("efficiency.type", "High-voltage motor"),
        "transformer": NP_("efficiency.type", "Power transformer"),
        "air_compressor": NP_("efficiency.type", "Air compressor"),
        "fan": NP_("efficiency.type", "Fan"),
        "pump": NP_("efficiency.type", "Pump"),
        "chiller": NP_("efficiency.type", "Chiller"),
        "boiler": NP_("efficiency.type", "Industrial boiler"),
        "data_centre": NP_("efficiency.type", "Data centre"),
        "product": NP_("efficiency.type", "Product"),
    },
    "tou.day_type": {
        "holiday": NP_("tou.day_type", "holiday"),
        "normal": NP_("tou.day_type", "normal day"),
    },
    "tou.period": {
        "critical_peak": NP_("tou.period", "critical peak"),
        "deep_valley": NP_("tou.period", "deep valley"),
        "flat": NP_("tou.period", "flat"),
        "peak": NP_("tou.period", "peak"),
        "valley": NP_("tou.period", "valley"),
    },
    # the battery declaration's stages (Regulation (EU) 2023/1542 Annex II)
    "footprint.battery_stage": {
        "raw_materials": NP_(
            "footprint.battery_stage", "raw material acquisition and pre-processing"
        ),
        "production": NP_("footprint.battery_stage", "main product production"),
        "distribution": NP_("footprint.battery_stage", "distribution"),
        "end_of_life": NP_("footprint.battery_stage", "end of life and recycling"),
        "total": NP_("footprint.battery_stage", "total"),
        "use": NP_("footprint.battery_stage", "use (not declared)"),
    },
    "footprint.stage": {
        "raw_materials": NP_("footprint.stage", "raw material acquisition"),
        "production": NP_("footprint.stage", "production"),
        "distribution": NP_("footprint.stage", "distribution"),
        "use": NP_("footprint.stage", "use"),
        "end_of_life": NP_("footprint.stage", "end of life"),
    },
    "footprint.boundary": {
        "cradle_to_gate": NP_("footprint.boundary", "cradle to gate (partial CFP)"),
        "cradle_to_grave": NP_("footprint.boundary", "cradle to grave (CFP)"),
    },
    "footprint.unit_kind": {
        "declared": NP_("footprint.unit_kind", "declared unit"),
        "functional": NP_("footprint.unit_kind", "functional unit"),
    },
    "footprint.electricity": {
        "location": NP_("footprint.electricity", "location-based (grid average)"),
        "market": NP_("footprint.electricity", "market-based (contractual instruments)"),
    },
    "footprint.allocation": {
        "economic": NP_("footprint.allocation", "economic value"),
        "energy": NP_("footprint.allocation", "energy"),
        "machine_hours": NP_("footprint.allocation", "machine-hours"),
        "mass": NP_("footprint.allocation", "mass"),
        "units": NP_("footprint.allocation", "units of output"),
    },
    "footprint.procedure": {
        "economic": NP_("footprint.procedure", "economic relationship"),
        "physical": NP_("footprint.procedure", "physical relationship"),
    },
    "footprint.data_kind": {
        "bom": NP_("footprint.data_kind", "bill of materials"),
        "dataset": NP_("footprint.data_kind", "background dataset"),
        "inventory": NP_("footprint.data_kind", "GHG inventory"),
        "meter": NP_("footprint.data_kind", "meter"),
        "production": NP_("footprint.data_kind", "production record"),
        "supplier": NP_("footprint.data_kind", "supplier footprint"),
        "transport": NP_("footprint.data_kind", "freight factor"),
    },
    "footprint.data_status": {
        "illustrative": NP_("footprint.data_status", "ILLUSTRATIVE"),
        "none": NP_("footprint.data_status", "not stated"),
        "official": NP_("footprint.data_status", "official"),
        "unverified": NP_("footprint.data_status", "UNVERIFIED"),
    },
    "footprint.transport_mode": {
        "rail": NP_("footprint.transport_mode", "rail freight"),
        "road_hgv": NP_("footprint.transport_mode", "road freight (heavy goods vehicles)"),
        "sea_bulk": NP_("footprint.transport_mode", "sea freight (bulk carrier)"),
    },
    "footprint.pedigree": {
        "completeness": NP_("footprint.pedigree", "completeness"),
        "geographical": NP_("footprint.pedigree", "geographical correlation"),
        "reliability": NP_("footprint.pedigree", "reliability"),
        "technological": NP_("footprint.pedigree", "technological correlation"),
        "temporal": NP_("footprint.pedigree", "temporal correlation"),
    },
    "footprint.statistic": {
        "mean": NP_("footprint.statistic", "mean"),
        "median": NP_("footprint.statistic", "median"),
        "p2_5": NP_("footprint.statistic", "2.5th percentile"),
        "p97_5": NP_("footprint.statistic", "97.5th percentile"),
        "sd": NP_("footprint.statistic", "standard deviation"),
    },
    "ledger.kind": {
        "ccer": NP_("ledger.kind", "CCER"),
        "credit": NP_("ledger.kind", "other carbon credit"),
        "gec": NP_("ledger.kind", "green electricity certificate (GEC)"),
        "green_power": NP_("ledger.kind", "green power trading contract"),
        "cea": NP_("ledger.kind", "national ETS allowance (CEA)"),
    },
    "ledger.status": {
        "held": NP_("ledger.status", "held"),
        "none_left": NP_("ledger.status", "none left"),
        "partial": NP_("ledger.status", "partly used"),
    },
    "ledger.window": {
        "expired": NP_("ledger.window", "closed"),
        "expiring": NP_("ledger.window", "expiring soon"),
        "open": NP_("ledger.window", "open"),
    },
    "ledger.action": {
        "acquire": NP_("ledger.action", "acquisition"),
        "cancel": NP_("ledger.action", "cancellation"),
        "retire": NP_("ledger.action", "retirement"),
        "transfer": NP_("ledger.action", "transfer"),
        "surrender": NP_("ledger.action", "surrender"),
    },
    "ledger.channel": {
        "free_allocation": NP_("ledger.channel", "free allocation"),
        "auction": NP_("ledger.channel", "auction"),
        "purchase": NP_("ledger.channel", "purchase"),
    },
    "ledger.compliance": {
        "complied": NP_("ledger.compliance", "complied"),
        "shortfall": NP_("ledger.compliance", "shortfall"),
        "no_verified_emissions": NP_("ledger.compliance", "no verified emissions"),
        "not_covered": NP_("ledger.compliance", "not covered (no allowances)"),
    },
    "evaluation.status": {
        "pass": NP_("evaluation.status", "pass"),
        "fail": NP_("evaluation.status", "fail"),
        "unable_to_judge": NP_("evaluation.status", "unable to judge"),
    },
    "evaluation.fact": {
        "scope12_residual_tco2e": NP_(
            "evaluation.fact", "residual category 1 and 2 emissions (about Scope 1 + 2)"
        ),
        "cat1to4_residual_tco2e": NP_("evaluation.fact", "residual category 1 to 4 emissions"),
        "footprint_residual_tco2e": NP_(
            "evaluation.fact", "residual footprint of the claim's subject"
        ),
        "reductions_tco2e": NP_(
            "evaluation.fact", "emissions reduced by the factory's own measures"
        ),
        "offset_retired_tco2e": NP_("evaluation.fact", "carbon credits retired (offset)"),
        "removals_tco2e": NP_("evaluation.fact", "removals claimed"),
        "renewable_electricity_share_pct": NP_(
            "evaluation.fact", "renewable electricity share (annual)"
        ),
        "electricity_consumed_mwh": NP_("evaluation.fact", "electricity consumed"),
        "hourly_matched_cfe_share_pct": NP_(
            "evaluation.fact", "hourly-matched carbon-free electricity share"
        ),
        "unit_product_level": NP_("evaluation.fact", "level of the unit-product energy"),
        "green_factory_status": NP_("evaluation.fact", "green-factory status"),
        "management_plan": NP_("evaluation.fact", "management organisation and plan"),
        "energy_carbon_management_system": NP_(
            "evaluation.fact", "energy and carbon information management system"
        ),
        "compliance_record_years": NP_("evaluation.fact", "years of compliance record"),
        "footprint_quantified": NP_("evaluation.fact", "footprint quantified and verified"),
        "credit_retirement_lag_months": NP_(
            "evaluation.fact", "months from the period's end to the last credit retirement"
        ),
        "credits_meet_criteria": NP_(
            "evaluation.fact", "credits meet the claim standard's criteria"
        ),
        "claim_evidence": NP_("evaluation.fact", "claim documented with its evidence"),
    },
    "evaluation.code": {
        "advanced": NP_("evaluation.code", "advanced value of the limit standard"),
        "access": NP_("evaluation.code", "access value of the limit standard"),
        "limit": NP_("evaluation.code", "limit value of the limit standard"),
        "not_compliant": NP_("evaluation.code", "below the limit value"),
        "benchmark": NP_("evaluation.code", "benchmark level"),
        "baseline": NP_("evaluation.code", "baseline level"),
        "below_baseline": NP_("evaluation.code", "below the baseline level"),
        "not_listed": NP_("evaluation.code", "no NDRC level for the product"),
        "national": NP_("evaluation.code", "national green factory"),
        "provincial": NP_("evaluation.code", "provincial green factory"),
        "municipal": NP_("evaluation.code", "municipal green factory"),
        "none": NP_("evaluation.code", "no green-factory recognition"),
    },
    "evaluation.flag": {
        "true": NP_("evaluation.flag", "true"),
        "false": NP_("evaluation.flag", "false"),
    },
    "evaluation.operator": {
        ">=": NP_("evaluation.operator", "≥"),
        "<=": NP_("evaluation.operator", "≤"),
        "==": NP_("evaluation.operator", "="),
    },
    "evaluation.unit": {
        "years": NP_("evaluation.unit", "years"),
        "months": NP_("evaluation.unit", "months"),
    },
}
