"""Labels and number formats of the reports, in zh-CN and English.

An English report keeps the official Chinese term beside the English one ("Fuel combustion
emissions (燃料燃烧排放)"), so a reader can match it to the standard; a Chinese report shows
the Chinese term only.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from typing import Any

from lingtan.accounting.model import GBT32150_CATEGORIES, KINDS

__all__ = ["LANGS", "Labels", "check_lang", "fmt_fixed", "fmt_pct", "fmt_sig"]

LANGS = ("zh-CN", "en")

#: key: (English, Chinese), or (English, Chinese term, Chinese text of the zh-CN report) where
#: the Chinese heading says more than the term beside the English one. The Chinese terms of
#: GB/T 32150, GB/T 2589 and the GHG Protocol follow ``lingtan calc`` and ``docs/calc.md``.
LABELS: dict[str, tuple[str, ...]] = {
    "title": ("Greenhouse gas emission report", "温室气体排放报告"),
    "subtitle": (
        "Accounted under GB/T 32150 (General rules for GHG accounting and reporting of "
        "industrial enterprises), with GHG Protocol scopes and ISO 14064-1 categories",
        "依据 GB/T 32150《工业企业温室气体排放核算和报告通则》核算，并给出 GHG Protocol 范围及 "
        "ISO 14064-1 类别",
    ),
    "draft": (
        "DRAFT: this inventory is not locked and may still be recalculated",
        "草稿：本清单尚未锁定，仍可能重新计算",
    ),
    "contents": ("Contents", "目录"),
    "key_figures": ("Key figures", "主要指标"),
    # sections
    "s1": ("Reporting entity", "报告主体"),
    "s2": ("Boundary and emission sources", "核算边界与排放源"),
    "s3": ("Activity data", "活动数据"),
    "s4": ("Emission factors and their sources", "排放因子及来源"),
    "s5": ("Emissions", "排放量"),
    "s6": ("Energy consumption and intensity", "综合能源消费量与排放强度"),
    "s7": ("Uncertainty and data quality", "不确定性与数据质量"),
    "s8": ("Restatements", "重新计算记录"),
    "s9": ("Warnings", "警示信息"),
    "s4_1": ("Factor rows used", "所用排放因子"),
    "s4_2": ("Parameters applied per source", "各排放源所用参数"),
    "s5_1": ("By GB/T 32150 emission category", "按排放类别", "按排放类别（GB/T 32150）"),
    "s5_2": ("By emission source", "按排放源"),
    "s5_3": ("By GHG Protocol scope", "按范围", "按范围（GHG Protocol）"),
    "s5_4": ("Contractual instruments and residual factor", "绿证与绿电及剩余因子"),
    "s5_5": ("Biogenic CO2 and deductions", "生物质二氧化碳与扣减量"),
    "s5_6": ("By gas", "按温室气体种类"),
    "s5_7": ("By ISO 14064-1 category", "按类别", "按 ISO 14064-1 类别"),
    "s5_8": ("By month", "按月"),
    "s6_1": ("Energy by source", "各排放源能源消费量"),
    "s6_2": ("Production and intensities", "产量与排放强度"),
    "s7_1": ("Uncertainty of the totals", "总量的不确定性"),
    "s7_2": ("Activity data by origin", "活动数据来源"),
    "s7_3": ("Activity records against the inventory", "活动数据记录与清单核对"),
    # section 1
    "organization": ("Organization", "企业名称"),
    "facility": ("Facility", "工厂名称"),
    "facility_code": ("Facility code", "工厂代码"),
    "region": ("Region", "所在地区"),
    "industry": ("Industry (GB/T 4754)", "所属行业（GB/T 4754）"),
    "period": ("Reporting period", "核算期"),
    "inventory_id": ("Inventory", "清单编号"),
    "status": ("Status", "状态"),
    "status_computed": ("computed (not locked)", "已计算（未锁定）"),
    "status_locked": ("locked", "已锁定"),
    "locked_at": ("Locked at", "锁定时间"),
    "created_at": ("Computed at", "计算时间"),
    "engine_version": ("Engine version", "核算引擎版本"),
    "gwp": ("GWP values", "全球变暖潜势（GWP）"),
    "electricity_factor_year": ("Electricity factor data year", "电力排放因子数据年份"),
    "electricity_tce_basis": ("Electricity to standard coal", "电力折标准煤"),
    "basis_equivalent": ("equivalent value (当量值)", "当量值"),
    "basis_equal_value": ("equal value (等价值)", "等价值"),
    "factor_sets": ("Factor sets", "因子集"),
    "standards": ("Standards applied", "适用标准"),
    "standards_text": (
        "GB/T 32150; GB/T 2589 (standard coal); GHG Protocol Corporate Standard and Scope 2 "
        "Guidance; ISO 14064-1:2018; IPCC 2006 Guidelines Vol. 1 ch. 3 (uncertainty)",
        "GB/T 32150；GB/T 2589（综合能耗）；GHG Protocol 企业核算与报告标准及范围二指南；"
        "ISO 14064-1:2018；IPCC 2006 指南第1卷第3章（不确定性）",
    ),
    # section 2
    "boundary": ("Boundary", "核算边界"),
    "production_units": ("Production units", "生产单元"),
    "none_given": ("not given", "未提供"),
    "sources": ("Emission sources", "排放源"),
    "source": ("Source", "排放源"),
    "kind": ("Kind", "排放源类型"),
    "category": ("GB/T 32150 category", "排放类别"),
    "scope": ("Scope", "范围"),
    "iso_category": ("ISO 14064-1", "ISO 14064-1 类别"),
    "method": ("Method", "计算方法"),
    "sources_note": (
        "One row per emission source. A source's figures are the sums over its activity "
        "records (one calculation each); the records are listed in section 3.",
        "每个排放源一行，其数值为该排放源各条活动数据记录（各自单独核算）之和，记录明细见第3节。",
    ),
    "units_differ": ("units differ ({units}): not added up", "单位不同（{units}），未合计"),
    # section 3
    "record": ("Record", "记录"),
    "record_period": ("Period", "期间"),
    "quantity": ("Quantity", "数量"),
    "unit": ("Unit", "单位"),
    "origin": ("Origin", "数据来源"),
    "quality_note": ("Quality note", "质量说明"),
    "evidence": ("Evidence", "证据"),
    "to_line": ("line", "排放源"),
    "record_emissions": ("Emissions", "排放量"),
    "no_records": (
        "No activity records: the quantity is the one given in the inventory input.",
        "无活动数据记录：数量为核算输入中给出的数值。",
    ),
    "activity_used": ("Activity in the inventory", "清单所用活动数据"),
    "activity_canonical": ("Activity data (AD)", "活动数据（AD）"),
    "records_sum": ("Sum of records", "记录合计"),
    "check": ("Check", "核对"),
    "check_ok": ("agrees", "一致"),
    "check_diff": ("DIFFERS", "不一致"),
    "check_na": ("units differ, not compared", "单位不可比"),
    "evidence_note": (
        "Evidence files are stored by SHA-256; the first 12 hex digits are shown.",
        "证据文件按 SHA-256 存储，此处显示前 12 位。",
    ),
    # section 4
    "factor_no": ("No.", "编号"),
    "ref": ("Factor row", "因子行"),
    "value": ("Value", "数值"),
    "document": ("Document", "文件"),
    "clause": ("Clause / table", "条款或表"),
    "data_year": ("Data year", "数据年份"),
    "valid": ("Validity", "有效期"),
    "outside_period": ("does not cover the reporting period", "未覆盖核算期"),
    "issuer": ("Issuer", "发布机构"),
    "review_status": ("Review status", "核查状态"),
    "used_by": ("Used by", "使用于"),
    "role": ("Parameter", "参数"),
    "rule": ("Why this value", "选取依据"),
    "status_official": ("official", "官方"),
    "status_unverified": ("UNVERIFIED", "未核实"),
    "status_input": ("input", "实测/输入"),
    "unverified_note": (
        "Factors marked UNVERIFIED have not been checked against the official text. A result "
        "that uses them is not fit for a verified report until they are confirmed or replaced.",
        "标记为“未核实”的因子尚未与官方原文核对。使用这些因子的结果在因子确认或替换之前，"
        "不宜用于经核查的报告。",
    ),
    "set": ("Set", "因子集"),
    "used_in": ("used for", "用于"),
    "varies_note": (
        "A parameter whose value differs between the records of a source is listed once per "
        "value, with the records it was used for.",
        "同一排放源各记录所用参数值不同时，逐一列出各数值及其所用记录。",
    ),
    # section 5
    "emissions": ("Emissions", "排放量"),
    "share": ("Share", "占比"),
    "market_based": ("Market-based", "基于市场"),
    "location_based": ("Location-based", "基于位置"),
    "activity": ("Activity", "活动数据"),
    "factors": ("Factors", "因子"),
    "records": ("Records", "记录"),
    "total": ("GB/T 32150 total", "排放总量"),
    "total_co2": ("GB/T 32150 total, CO2 only", "二氧化碳排放总量"),
    "scope1": ("Scope 1 (gross)", "范围一"),
    "scope2_location": ("Scope 2 location-based", "范围二（基于位置）"),
    "scope2_market": ("Scope 2 market-based", "范围二（基于市场）"),
    "scope3": ("Scope 3", "范围三"),
    "deductions": ("Deductions (exports, recovered CO2)", "扣减量"),
    "biogenic": ("Biogenic CO2 (outside totals)", "生物质二氧化碳（不计入总量）"),
    "energy": ("Energy consumption", "综合能源消费量"),
    "renewable": ("Renewable electricity (instruments)", "可再生电力"),
    "renewable_share": ("Renewable share of purchased electricity", "可再生电力占外购电力比例"),
    "purchased_electricity": ("Purchased electricity", "外购电力"),
    "co2_per_energy": ("CO2 per unit energy", "单位能耗碳排放"),
    "scope_note": (
        "GHG Protocol scopes are gross: deductions (exports, recovered CO2) are not subtracted "
        "from any scope. Scope 3 and biogenic CO2 are outside the GB/T 32150 total.",
        "GHG Protocol 各范围为总排放量，不扣减输出电力、热力及回收利用的二氧化碳；"
        "范围三与生物质二氧化碳不计入 GB/T 32150 排放总量。",
    ),
    "instrument": ("Instrument", "凭证"),
    "instrument_kind": ("Type", "类型"),
    "serial": ("Serial", "编号"),
    "vintage": ("Vintage", "生产期"),
    "covered_mwh": ("Covered", "覆盖电量"),
    "allocation": ("Allocation", "分配"),
    "residual_factor": ("Residual factor (market-based)", "剩余排放因子（基于市场）"),
    "residual_none": (
        "No residual factor: uncovered electricity uses the location-based grid average.",
        "无剩余排放因子：未覆盖电量采用基于位置的电网平均排放因子。",
    ),
    "no_instruments": ("No contractual instruments.", "无绿证或绿电交易凭证。"),
    "kind_gec": ("Green electricity certificate (绿证)", "绿证"),
    "kind_green_power": ("Green-power trading contract (绿电交易)", "绿电交易"),
    "kind_onsite_renewable": ("On-site renewable (自发自用可再生电力)", "自发自用可再生电力"),
    "gas": ("Gas", "温室气体"),
    "scope3_category": ("Scope 3 category {n}", "范围三类别 {n}"),
    "mass_t": ("Mass", "质量"),
    "no_monthly": ("No monthly split available.", "无逐月数据。"),
    "chart_category": ("Emissions by GB/T 32150 category", "按排放类别的排放量"),
    "chart_month": ("Emissions by month and source kind", "逐月排放量（按排放源类型）"),
    "month": ("Month", "月份"),
    "total_row": ("Total", "合计"),
    # section 6
    "product": ("Product", "产品"),
    "intensity_total": ("GB/T 32150 total per unit", "单位产品排放量"),
    "intensity_s12_location": (
        "Scope 1+2 location-based per unit",
        "单位产品范围一和二（基于位置）",
    ),
    "intensity_s12_market": ("Scope 1+2 market-based per unit", "单位产品范围一和二（基于市场）"),
    "intensity_tce": ("Energy per unit", "单位产品综合能耗"),
    "no_production": ("No production data: no intensities.", "无产量数据，不计算排放强度。"),
    # energy cost (shown when the facility has a tariff)
    "s6_3": ("Energy cost", "能源成本"),
    "cost_basis": (
        "From the meters' checked 15-minute intervals (electricity, per time-of-use period) and "
        "daily totals (other energy types) under the facility's tariff; not part of the GB/T "
        "32150 inventory. Estimated energy is priced and shown apart.",
        "按计量器具经校验的15分钟数据（电力分时段计价）和日汇总数据（其他能源），依企业录入的电价计算；"
        "不属于 GB/T 32150 排放核算内容。估算电量单独列示。",
    ),
    "cost_energy_type": ("Energy type", "能源品种"),
    "cost_energy": ("Energy", "实物量"),
    "cost_basic": ("Basic charge", "基本电费"),
    "cost_cny": ("Cost [CNY]", "费用（元）"),
    "cost_estimated": ("of which estimated [CNY]", "其中估算（元）"),
    "cost_period": ("Time-of-use period", "时段"),
    "cost_mean_price": ("Mean price [CNY/unit]", "平均单价（元/单位）"),
    "cost_month": ("Month", "月份"),
    "cost_total": ("Total", "合计"),
    "cost_sources": ("Sources of the prices", "电价来源"),
    "cost_sample": ("SAMPLE data, not an official tariff", "示例数据，非官方电价"),
    "cost_unpriced": ("Not costed (no price)", "未计价（无价格）"),
    "et_electricity": ("Electricity", "电力"),
    "et_natural_gas": ("Natural gas", "天然气"),
    "et_steam": ("Steam", "蒸汽"),
    "et_hot_water": ("Hot water", "热水"),
    "et_water": ("Water", "水"),
    "et_compressed_air": ("Compressed air", "压缩空气"),
    "et_diesel": ("Diesel", "柴油"),
    "tou_critical_peak": ("Critical peak", "尖峰"),
    "tou_peak": ("Peak", "高峰"),
    "tou_flat": ("Flat", "平段"),
    "tou_valley": ("Valley", "低谷"),
    "tou_deep_valley": ("Deep valley", "深谷"),
    "tou_all": ("Whole day", "全天"),
    "tce_note": (
        "Standard coal per GB/T 2589: 1 kgce = 29.307 MJ; exports are subtracted.",
        "按 GB/T 2589 折标准煤：1 kgce = 29.307 MJ；输出能源予以扣减。",
    ),
    # section 7
    "uncertainty": ("Uncertainty (95 %)", "不确定性（95%）"),
    "coverage": ("Coverage", "覆盖率"),
    "uncertainty_note": (
        "IPCC 2006 Approach 1 (error propagation). Coverage is the share of the total, by "
        "absolute emissions, from lines with a known uncertainty; lines without one are left "
        "out, not assumed exact.",
        "采用 IPCC 2006 方法1（误差传递）。覆盖率指具有不确定性数据的排放源在总量中所占比例"
        "（按排放量绝对值）；无不确定性数据的排放源不计入，并非视为精确。",
    ),
    "not_known": ("not known", "未知"),
    "n_records": ("Records", "记录数"),
    "share_records": ("Share of records", "记录占比"),
    "attributed": ("Emissions attributed", "对应排放量"),
    "share_emissions": ("Share of emissions", "排放量占比"),
    "origin_meter": ("meter reading", "计量器具读数"),
    "origin_invoice": ("invoice", "发票"),
    "origin_manual": ("manual entry", "人工录入"),
    "origin_estimate": ("estimate", "估算"),
    "origin_none": ("no record (input as given)", "无记录（核算输入）"),
    "origin_note": (
        "Emissions are attributed to records in proportion to their quantity within each source.",
        "排放量按各排放源内记录数量的比例分摊至各记录。",
    ),
    "line_uncertainty": ("Uncertainty per source", "各排放源不确定性"),
    # section 8
    "supersedes": ("Supersedes", "替代"),
    "reason": ("Reason", "原因"),
    "previous_total": ("Previous total", "原排放总量"),
    "new_total": ("New total", "新排放总量"),
    "change": ("Change", "变化"),
    "no_restatements": ("No restatements.", "无重新计算记录。"),
    # section 9
    "no_warnings": ("No warnings.", "无警示信息。"),
    "engine_warnings": ("From the accounting engine", "核算引擎给出的警示"),
    "engine_warnings_zh": ("", "以下警示由核算引擎生成，保留英文原文。"),
    "report_warnings": ("From the report checks", "报告核对给出的警示"),
    "warn_draft": (
        "The inventory is not locked; its figures may still change.",
        "清单尚未锁定，数据仍可能变化。",
    ),
    "warn_unverified": (
        "{n} factor row(s) used are UNVERIFIED (section 4).",
        "所用排放因子中有 {n} 项未核实（见第4节）。",
    ),
    "warn_sum": (
        "Activity records of {source} sum to {records} {unit}, but the inventory uses "
        "{used} {unit}.",
        "排放源 {source} 的活动数据记录合计 {records} {unit}，与清单所用 {used} {unit} 不一致。",
    ),
    "warn_estimate": (
        "{n} activity record(s) are estimates ({share} of emissions).",
        "有 {n} 条活动数据为估算值（占排放量 {share}）。",
    ),
    "warn_no_records": (
        "{n} source(s) have no activity records: {sources}.",
        "有 {n} 个排放源无活动数据记录：{sources}。",
    ),
    "page": ("Page", "第"),
    "generated_by": ("Generated by lingtan", "由 lingtan 生成"),
}

_SCOPE_NAMES = {1: ("Scope 1", "范围一"), 2: ("Scope 2", "范围二"), 3: ("Scope 3", "范围三")}
_GASES_ZH = {
    "CO2": "二氧化碳",
    "CH4": "甲烷",
    "N2O": "氧化亚氮",
    "SF6": "六氟化硫",
    "NF3": "三氟化氮",
}
_ISO_CATEGORIES = {
    "1": ("Direct GHG emissions and removals", "直接温室气体排放和清除"),
    "2": ("Indirect emissions from imported energy", "输入能源的间接温室气体排放"),
    "3": ("Indirect emissions from transportation", "运输产生的间接温室气体排放"),
    "4": ("Indirect emissions from products used", "组织使用的产品产生的间接温室气体排放"),
    "5": (
        "Indirect emissions from the use of the organization's products",
        "与使用组织产品相关的间接温室气体排放",
    ),
    "6": ("Indirect emissions from other sources", "其他来源的间接温室气体排放"),
}


def check_lang(lang: str) -> str:
    """Return ``lang`` if it is a report language, else raise :class:`ValueError`."""
    if lang not in LANGS:
        raise ValueError(f"report language {lang!r} is not one of {', '.join(LANGS)}")
    return lang


class Labels:
    """Labels of one language: ``t(key)`` the text, ``term(key)`` English with the Chinese term."""

    def __init__(self, lang: str):
        self.lang = check_lang(lang)
        self.zh = lang == "zh-CN"

    def _pair(self, en: str, zh: str) -> str:
        return zh if self.zh else en

    def t(self, key: str, **values: Any) -> str:
        en, *zh = LABELS[key]
        text = self._pair(en, zh[-1])
        return text.format(**values) if values else text

    def term(self, key: str) -> str:
        """An official term: Chinese in zh-CN, "English (中文)" in English."""
        en, *zh = LABELS[key]
        return zh[-1] if self.zh else f"{en} ({zh[0]})"

    def both(self, en: str, zh: str) -> str:
        return zh if self.zh else f"{en} ({zh})"

    def other(self, key: str) -> str:
        """The label in the other language (second header row of the spreadsheets)."""
        en, *zh = LABELS[key]
        return en if self.zh else zh[-1]

    def kind(self, kind: str) -> str:
        en, zh = KINDS.get(kind, (kind, kind))
        return self.both(en, zh)

    def category(self, category: str | None) -> str:
        if category is None:
            return "—"
        en, zh = GBT32150_CATEGORIES.get(category, (category, category))
        return self.both(en, zh)

    def scope(self, scope: int | None) -> str:
        if scope is None:
            return "—"
        en, zh = _SCOPE_NAMES[scope]
        return zh if self.zh else en

    def iso_category(self, key: str | int | None) -> str:
        if key is None:
            return "—"
        en, zh = _ISO_CATEGORIES.get(str(key), (str(key), str(key)))
        return f"{key} {zh if self.zh else en}"

    def gas(self, gas: str) -> str:
        return f"{gas}（{_GASES_ZH[gas]}）" if self.zh and gas in _GASES_ZH else gas

    def status(self, status: str) -> str:
        return self.t(f"status_{status}") if f"status_{status}" in LABELS else status

    def origin(self, origin: str | None) -> str:
        return self.t(f"origin_{origin}" if origin else "origin_none")


def fmt_fixed(value: float | None, places: int = 3) -> str:
    """``15,562.065``: thousands separators, fixed decimals; ``—`` for no value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    text = f"{value:,.{places}f}"
    if text.startswith("-") and not any(c in "123456789" for c in text):
        return text[1:]  # a tiny negative rounds to zero: no "-0.000"
    return text


def fmt_sig(value: float | None, digits: int = 6) -> str:
    """A factor or intensity: ``digits`` significant digits, no trailing zeros, separators."""
    if value is None:
        return "—"
    if value == 0:
        return "0"
    places = max(0, digits - 1 - math.floor(math.log10(abs(value))))
    text = f"{value:,.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def fmt_pct(value: float | None, places: int = 1) -> str:
    return "—" if value is None else f"{value:,.{places}f} %"


def fmt_date(value: date | datetime | str | None) -> str:
    """ISO date, or date and time in UTC for a datetime."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return f"{value:%Y-%m-%d %H:%M} UTC"
    return value.isoformat()
