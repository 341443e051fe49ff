"""The languages of the screens: Simplified Chinese (the default) and English.

The language of a request is the ``lang`` cookie when set (the switch link in the page header
sets it), else the first of the browser's ``Accept-Language`` that lingtan speaks, else
Chinese. Messages are looked up by key in :data:`MESSAGES`; Chinese texts keep the official
terms of GB/T 32150 and GB/T 2589 (范围一, 排放因子, 综合能源消费量 …) so that a page reads
like the reports a verifier is used to. A screen added later adds its keys here.

In a template, ``t("key")`` gives the message in the page's language and ``lang`` is the
language code; :func:`category_name` names a GB/T 32150 category the same way.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request

from lingtan.accounting.model import GBT32150_CATEGORIES

__all__ = [
    "DEFAULT",
    "LANGUAGES",
    "LANG_COOKIE",
    "MESSAGES",
    "category_name",
    "language",
    "named",
    "translator",
]

LANG_COOKIE = "lang"
DEFAULT = "zh-CN"
#: Language code -> its own name, as shown on the switch.
LANGUAGES = {"zh-CN": "中文", "en": "English"}

#: key -> (Chinese, English)
MESSAGES: dict[str, tuple[str, str]] = {
    # navigation and frame
    "app.title": ("灵碳 零碳工厂平台", "lingtan zero-carbon factory platform"),
    "nav.overview": ("总览", "Overview"),
    "nav.energy": ("能源", "Energy"),
    "nav.budgets": ("能源预算", "Budgets"),
    "nav.intensity": ("单位产品能耗", "Intensity"),
    "nav.alerts": ("告警", "Alerts"),
    "nav.inventory": ("碳排放清单", "Inventory"),
    "nav.data": ("数据", "Data"),
    "nav.factors": ("排放因子", "Factors"),
    "nav.reports": ("报告", "Reports"),
    "nav.audit": ("审计日志", "Audit log"),
    "nav.soon": ("即将推出", "coming soon"),
    "frame.facility": ("设施", "Facility"),
    "frame.choose": ("切换", "Switch"),
    "frame.signed_in": ("已登录", "Signed in as"),
    "frame.sign_out": ("退出", "Sign out"),
    "frame.no_facility": ("您还没有可查看的设施。", "You have no facility to see yet."),
    "role.admin": ("管理员", "admin"),
    "role.manager": ("经理", "manager"),
    "role.viewer": ("查看者", "viewer"),
    "role.auditor": ("审核员", "auditor"),
    "role.token": ("令牌", "token"),
    # sign-in
    "login.title": ("登录", "Sign in"),
    "login.username": ("用户名", "User name"),
    "login.password": ("密码", "Password"),
    "login.submit": ("登录", "Sign in"),
    "login.tagline": (
        "碳排放核算与能源管理，依据 GB/T 32150",
        "Carbon accounting and energy management per GB/T 32150",
    ),
    # errors
    "error.403": ("您无权查看此页面。", "You may not see this page."),
    "error.404": ("没有找到该页面或对象。", "There is no such page or object."),
    "error.other": ("请求未能完成。", "The request could not be completed."),
    "error.back": ("返回总览", "Back to the overview"),
    # common terms
    "term.scope1": ("范围一", "Scope 1"),
    "term.scope2": ("范围二", "Scope 2"),
    "term.scope2_location": ("范围二（基于位置）", "Scope 2 (location-based)"),
    "term.scope2_market": ("范围二（基于市场）", "Scope 2 (market-based)"),
    "term.scope3": ("范围三", "Scope 3"),
    "term.total_location": ("排放总量（基于位置）", "Total (location-based)"),
    "term.total_market": ("排放总量（基于市场）", "Total (market-based)"),
    "term.energy": ("综合能源消费量", "Total energy consumption"),
    "term.tce": ("tce（折标准煤）", "tce (tonnes of coal equivalent)"),
    "term.renewable_share": ("可再生电力占比", "Renewable electricity share"),
    "term.renewable_of": ("占外购电力", "of purchased electricity"),
    "term.intensity": ("单位产品排放强度", "Emission intensity per unit of product"),
    "term.emission_factor": ("排放因子", "Emission factor"),
    "term.activity_data": ("活动数据", "Activity data"),
    "term.boundary": ("核算边界", "Accounting boundary"),
    "term.category": ("GB/T 32150 排放类别", "GB/T 32150 category"),
    "term.scope": ("范围", "Scope"),
    "term.emissions": ("排放量", "Emissions"),
    "term.period": ("核算期", "Period"),
    "term.status": ("状态", "Status"),
    "term.year": ("年度", "Year"),
    "term.none": ("无", "none"),
    "status.locked": ("已锁定", "locked"),
    "status.computed": ("已计算", "computed"),
    "status.superseded": ("已被重述", "superseded"),
    # overview
    "overview.title": ("总览", "Overview"),
    "overview.no_inventory": (
        "该年度还没有核算完成的碳排放清单。",
        "This year has no computed inventory yet.",
    ),
    "overview.from_inventory": ("数据来自清单", "Figures of inventory"),
    "overview.trend": ("逐月排放趋势", "Emissions by month"),
    "overview.trend_basis": (
        "范围二按基于位置方法；基于市场的数值见表格。",
        "Scope 2 location-based; the market-based figures are in the table.",
    ),
    "overview.month": ("月份", "Month"),
    "overview.target": ("减排目标进展", "Progress to the target"),
    "overview.no_target": ("尚未设定减排目标。", "No target is set."),
    "overview.base": ("基准年", "Base year"),
    "overview.target_year": ("目标年", "Target year"),
    "overview.trajectory": ("本年度目标路径", "This year's trajectory"),
    "overview.actual": ("实际排放", "Actual"),
    "overview.progress": ("已完成计划减排", "Of the planned reduction achieved"),
    "overview.partial": (
        "清单仅覆盖部分年度：与按天数折算的路径比较，不计算进展百分比。",
        "The inventory covers part of the year: compared with the trajectory scaled by days; "
        "no progress percentage.",
    ),
    "overview.on_track": ("符合路径", "on track"),
    "overview.off_track": ("高于路径", "above the trajectory"),
    "overview.basis": ("口径", "Basis"),
    "overview.basis.location": ("基于位置", "location-based"),
    "overview.basis.market": ("基于市场", "market-based"),
    "overview.loading_chart": ("正在加载图表…", "Loading the chart…"),
    # inventory
    "inventory.title": ("碳排放清单", "Inventories"),
    "inventory.none": ("该设施还没有清单。", "This facility has no inventory yet."),
    "inventory.number": ("清单", "Inventory"),
    "inventory.total": ("排放总量", "Total"),
    "inventory.created": ("创建", "Created"),
    "inventory.open": ("查看", "Open"),
    "inventory.by_category": ("按 GB/T 32150 排放类别", "By GB/T 32150 category"),
    "inventory.by_scope": ("按范围", "By scope"),
    "inventory.lines": ("计算明细", "Calculation lines"),
    "inventory.lines_of": ("类别明细", "Lines of the category"),
    "inventory.line": ("计算明细", "Calculation line"),
    "inventory.source": ("排放源", "Emission source"),
    "inventory.kind": ("类型", "Kind"),
    "inventory.quantity": ("数量", "Quantity"),
    "inventory.unit": ("单位", "Unit"),
    "inventory.origin": ("数据来源", "Origin"),
    "inventory.quality": ("质量说明", "Quality note"),
    "inventory.record": ("活动数据记录", "Activity record"),
    "inventory.meters": ("计量器具溯源", "Meter lineage"),
    "inventory.meter": ("计量器具", "Meter"),
    "inventory.sign": ("计入方向", "Sign"),
    "inventory.measured_share": ("实测占比", "Measured share"),
    "inventory.factors": ("排放因子来源", "Factor provenance"),
    "inventory.factor_set": ("因子集", "Factor set"),
    "inventory.parameter": ("参数", "Parameter"),
    "inventory.value": ("数值", "Value"),
    "inventory.document": ("来源文件", "Source document"),
    "inventory.issuer": ("发布机构", "Issuer"),
    "inventory.review": ("审核状态", "Review status"),
    "inventory.evidence": ("证据文件", "Evidence files"),
    "inventory.no_evidence": ("无证据文件。", "No evidence file."),
    "inventory.download": ("下载", "Download"),
    "inventory.evidence_restricted": (
        "您的角色不能下载证据文件。",
        "Your role may not download evidence files.",
    ),
    "inventory.lock": ("锁定为报告数据", "Lock as the reported figure"),
    "inventory.snapshot": ("快照摘要", "Snapshot digest"),
    "inventory.back": ("返回清单", "Back to the inventory"),
    # factors
    "factors.title": ("排放因子库", "Factor library"),
    "factors.family": ("类别", "Family"),
    "factors.region": ("地区", "Region"),
    "factors.all": ("全部", "all"),
    "factors.filter": ("筛选", "Filter"),
    "factors.set": ("因子集", "Set"),
    "factors.version": ("版本", "Version"),
    "factors.origin": ("来源", "Origin"),
    "factors.data_year": ("数据年份", "Data year"),
    "factors.rows": ("条数", "Rows"),
    "factors.statuses": ("审核状态", "Review status"),
    "factors.default": ("默认", "default"),
    "factors.rows_of": ("因子明细", "Factors of the set"),
    # audit
    "audit.title": ("审计日志", "Audit log"),
    "audit.at": ("时间", "Time"),
    "audit.actor": ("操作人", "Actor"),
    "audit.action": ("操作", "Action"),
    "audit.entity": ("对象", "Entity"),
    "audit.hash": ("哈希", "Hash"),
    "audit.newer": ("较新", "Newer"),
    "audit.older": ("较早", "Older"),
    "audit.page": (
        "第 {page} / {pages} 页，共 {total} 条",
        "Page {page} of {pages}, {total} entries",
    ),
    # energy
    "energy.title": ("能源管理", "Energy"),
    "energy.month": ("月份", "Month"),
    "energy.whole_year": ("全年", "whole year"),
    "energy.carbon": ("能源相关二氧化碳", "Energy-related CO2"),
    "energy.no_data": (
        "该期间没有计量数据。可在“数据”页面导入计量读数。",
        "There is no metered energy in this period. Import meter readings on the Data page.",
    ),
    "energy.by_node": ("分节点、分能源品种能耗", "Energy by node and energy type"),
    "energy.node": ("计量节点", "Node"),
    "energy.energy_type": ("能源品种", "Energy type"),
    "energy.physical": ("实物量", "Physical quantity"),
    "energy.estimated": ("其中估算", "of which estimated"),
    "energy.missing": ("缺失时段", "Missing intervals"),
    "energy.basis": ("口径", "Basis"),
    "energy.monthly": ("逐月综合能源消费量", "Energy consumption by month"),
    "energy.tou": (
        "分时电量（峰/平/谷/尖峰）",
        "Time-of-use split (peak / flat / valley / critical peak)",
    ),
    "energy.tou_none": (
        "没有外购电力计量表的15分钟数据。",
        "No 15-minute data of a purchased-electricity meter.",
    ),
    "energy.tou_calendar": ("分时电价时段依据", "Time-of-use calendar"),
    "energy.tou_uncovered": (
        "{n} 个月没有适用的分时电价时段",
        "{n} month(s) without a time-of-use calendar in force",
    ),
    "energy.meter": ("计量器具", "Meter"),
    "energy.period": ("时段", "Period"),
    "energy.intervals": ("15分钟时段数", "15-minute intervals"),
    "energy.flow_title": ("能流图", "Energy flow"),
    "energy.flow_none": ("该期间没有可绘制的能流。", "No energy flow to draw in this period."),
    "energy.balance": ("能量平衡与告警", "Energy balance and alerts"),
    "energy.balance_note": (
        "上级计量与下级计量之差超过 {threshold}% 时告警。",
        "An alert when the parent meters exceed the children by more than {threshold} %.",
    ),
    "energy.balance_none": (
        "没有同时计量上下级的节点。",
        "No node is metered together with its children.",
    ),
    "energy.parent": ("上级计量", "Parent"),
    "energy.children": ("下级计量合计", "Children"),
    "energy.loss": ("损耗", "Loss"),
    "energy.loss_pct": ("损耗率", "Loss"),
    "energy.status.ok": ("正常", "ok"),
    "energy.status.loss": ("损耗超限", "loss above the limit"),
    "energy.status.children exceed parent": ("下级大于上级", "children exceed parent"),
    "energy.status.incomplete": ("数据不完整", "incomplete"),
    "energy.quality": ("计量数据质量", "Meter data quality"),
    "energy.quality_note": (
        "每块表每天 96 个15分钟时段的实测完整率；下表列出有缺失或估算时段的日期。",
        "Measured share of each meter's 96 daily 15-minute intervals; the table lists the days "
        "with missing or estimated intervals.",
    ),
    "energy.quality_hover": (
        "完整率 %{z:.1f}%<br>估算 %{customdata[0]}，缺失 %{customdata[1]}",
        "complete %{z:.1f} %<br>estimated %{customdata[0]}, missing %{customdata[1]}",
    ),
    "energy.quality_all": ("所有计量日数据完整。", "Every meter-day is complete."),
    "energy.day": ("日期", "Day"),
    "energy.completeness": ("完整率", "Complete"),
    "energy.measured_n": ("实测时段", "Measured"),
    "energy.estimated_n": ("估算时段", "Estimated"),
    "energy.more": ("另有 {n} 条未列出。", "{n} more not listed."),
    "energy.incomplete": (
        "有缺失或估算时段的计量日（{n}）",
        "Meter-days with missing or estimated intervals ({n})",
    ),
    "energy.losses": ("未计量及损耗", "unmetered and losses"),
    "energy.source.supply": ("外购{type}", "purchased {type}"),
    "energy.source.generation": ("自发{type}", "generated {type}"),
    "energy.basis.own meters": ("本节点计量", "own meters"),
    "energy.basis.children": ("下级节点合计", "sum of the children"),
    "energy.basis.none": ("无计量", "not metered"),
    "energy.factors": ("折标准煤系数与碳排放因子", "Coal-equivalent and carbon coefficients"),
    "energy.type.electricity": ("电力", "electricity"),
    "energy.type.natural_gas": ("天然气", "natural gas"),
    "energy.type.steam": ("蒸汽", "steam"),
    "energy.type.hot_water": ("热水", "hot water"),
    "energy.type.water": ("水", "water"),
    "energy.type.compressed_air": ("压缩空气", "compressed air"),
    "energy.type.diesel": ("柴油", "diesel"),
    "energy.type.pv_generation": ("光伏发电", "PV generation"),
    "energy.type.exported_power": ("上网电量", "exported power"),
    "energy.flow.supply": ("外购", "supply"),
    "energy.flow.generation": ("自发", "generation"),
    "energy.flow.export": ("外送", "export"),
    "energy.flow.output": ("转换产出", "output"),
    "energy.flow.use": ("使用", "use"),
    "energy.type.heat": ("热力", "heat"),
    "energy.type.onsite_generation": ("厂内光伏等自发电", "on-site generation (PV)"),
    "energy.type.non_energy": (
        "非能源排放（制冷剂、工业过程）",
        "no energy carrier (refrigerants, process)",
    ),
    # why the inventory's and the meters' figures differ (screens_reconciliation)
    "recon.title": (
        "为何两数不同：碳排放清单与计量数据对账",
        "Why these differ: the inventory against the meters",
    ),
    "recon.intro": (
        "碳排放清单（发票、结算单、台账）的综合能源消费量为 {invoice} tce，"
        "计量数据为 {meters} tce，相差 {difference} tce。下表按原因分列差额，各项之和等于差额。",
        "The inventory (invoices, statements, ledgers) counts {invoice} tce of energy, the meters "
        "{meters} tce: {difference} tce apart. The causes below add up to the difference.",
    ),
    "recon.carbon": (
        "碳排放：清单范围一与范围二（基于位置）合计 {invoice} tCO2e，计量的能源相关二氧化碳 "
        "{meters} tCO2，相差 {difference}。",
        "Carbon: the inventory's Scope 1 and Scope 2 location-based {invoice} tCO2e, the meters' "
        "energy-related CO2 {meters} tCO2: {difference} apart.",
    ),
    "recon.carbon_short": ("碳排放", "Carbon"),
    "recon.basis": (
        "电力折标准煤：清单按{inventory}，计量按{meters}。",
        "Electricity in standard coal: inventory at the {inventory}, meters at the {meters}.",
    ),
    "recon.basis.equivalent": ("当量值", "equivalent value (当量值)"),
    "recon.basis.equal_value": ("等价值", "equal value (等价值)"),
    "recon.invoice": ("清单", "Inventory"),
    "recon.meters": ("计量", "Meters"),
    "recon.difference": ("差额", "Difference"),
    "recon.causes": ("差额原因", "Causes"),
    "recon.cause": ("原因", "Cause"),
    "recon.by_month": ("逐月对账", "Month by month"),
    "recon.estimate": ("估算", "estimate"),
    "recon.missing": ("缺失 {n} 个时段", "{n} intervals missing"),
    "recon.apart": (
        "另有计量：厂内自用 {quantity} {unit}（发电量 − 上网电量），未计入计量合计",
        "metered apart: {quantity} {unit} used on site (generation − export), not in the meters' "
        "total",
    ),
    "recon.cause.not_metered": (
        "未计量：清单有、无计量器具（柴油台账、制冷剂补充等）",
        "not metered: in the inventory, no meter (diesel ledger, refrigerant top-ups)",
    ),
    "recon.cause.onsite_generation": (
        "光伏自发自用：清单计入（向光伏业主购电），计量合计只含外购电表",
        "PV self-consumption: in the inventory (bought from the PV owner); the meters' total "
        "counts the supply meters only",
    ),
    "recon.cause.not_in_inventory": (
        "清单未计入：有计量、无清单数据",
        "not in the inventory: metered, no inventory line",
    ),
    "recon.cause.meter_missing": (
        "计量数据缺失的月份（清单为结算单或估算值）",
        "months with meter data missing (the inventory has the statement or an estimate)",
    ),
    "recon.cause.inventory_estimate": ("清单为估算值的月份", "months the inventory estimates"),
    "recon.cause.coefficients": (
        "折标系数或排放因子不同（当量值与等价值、实测低位发热量）",
        "different coefficients (当量值 against 等价值, a measured NCV)",
    ),
    "recon.cause.metering": (
        "计量与发票之差（计量精度、抄表日期）",
        "meters against invoices (meter accuracy, reading dates)",
    ),
    # data
    "data.title": ("数据管理", "Data"),
    "data.import": ("导入数据", "Import data"),
    "data.activity": ("活动数据文件", "Activity data file"),
    "data.activity_hint": (
        "灵碳模板（.xlsx）或 CSV；整个文件要么全部导入，要么全部拒绝。",
        "A lingtan workbook (.xlsx) or CSV; the whole file is imported, or nothing.",
    ),
    "data.readings": ("计量读数文件", "Meter readings file"),
    "data.readings_hint": (
        "长表（meter, timestamp, value）或宽表；无时区的时间按 UTC+08:00。",
        "Long (meter, timestamp, value) or wide layout; times without an offset are UTC+08:00.",
    ),
    "data.upload": ("上传并导入", "Upload and import"),
    "data.refused": (
        "文件 {file} 被拒绝，未写入任何数据。请修正以下问题后重新上传：",
        "The file {file} was refused and nothing was written. Correct these problems and "
        "upload it again:",
    ),
    "data.imported": ("文件 {file} 已导入。", "The file {file} was imported."),
    "data.where": ("位置（文件 / 工作表 / 行）", "Where (file / sheet / row)"),
    "data.field": ("列", "Column"),
    "data.value": ("值", "Value"),
    "data.rule": ("规则", "Rule"),
    "data.rows_read": ("读取行数", "Rows read"),
    "data.added": ("新增", "Added"),
    "data.unchanged": ("未变化", "Unchanged"),
    "data.conflicts": ("冲突", "Conflicts"),
    "data.batch": ("导入批次", "Import batch"),
    "data.table.sources": ("排放源", "sources"),
    "data.table.activity": ("活动数据", "activity records"),
    "data.table.instruments": ("计量器具", "instruments"),
    "data.table.production": ("产量", "production"),
    "data.read_only": (
        "您的角色只能查看数据；导入由经理或管理员完成。",
        "Your role reads the data; managers and admins import it.",
    ),
    "data.tree": ("计量网络", "Metering tree"),
    "data.tree_none": ("该设施还没有计量器具。", "This facility has no meter yet."),
    "data.no_node": ("未挂接节点", "No node"),
    "data.name": ("名称", "Name"),
    "data.unit": ("单位", "Unit"),
    "data.kind": ("类型", "Kind"),
    "data.kind.cumulative": ("累计表", "cumulative"),
    "data.kind.interval": ("区间量", "interval"),
    "data.multiplier": ("倍率", "Multiplier"),
    "data.flow": ("能流位置", "Flow"),
    "data.formula": ("虚拟表公式", "Virtual formula"),
    "data.meters_count": ("共 {n} 块计量器具", "{n} meters"),
    "meter.title": ("计量器具", "Meter"),
    "meter.series": ("15分钟用量", "15-minute energy"),
    "meter.span": ("{first} 至 {last}（当地时间）", "{first} to {last} (local time)"),
    "meter.no_data": ("没有读数。", "No readings."),
    "meter.virtual": (
        "虚拟表由公式计算，没有自己的读数。",
        "A virtual meter is computed by its formula and has no readings of its own.",
    ),
    "meter.quality": ("质量标记", "Quality flags"),
    "meter.back": ("返回计量网络", "Back to the metering tree"),
    "quality.measured": ("实测", "measured"),
    "quality.stuck": ("停走", "stuck"),
    "quality.rollover": ("翻转", "rollover"),
    "quality.replacement": ("换表", "replacement"),
    "quality.estimated": ("估算", "estimated"),
    "quality.missing": ("缺失", "missing"),
    "quality.spike": ("尖峰异常", "spike"),
    "quality.negative": ("负值", "negative"),
    "meter.from": ("开始日期", "From"),
    "meter.to": ("结束日期", "To"),
    "meter.total": ("区间用量", "Energy in the range"),
    "meter.days": ("共 {n} 天", "{n} days"),
    "meter.range_format": (
        "日期不正确，请按 年-月-日（如 2025-07-01）输入 2000 至 2100 年的日期。",
        "A date is not valid: enter a date of 2000 to 2100 as year-month-day (e.g. 2025-07-01).",
    ),
    "meter.range_reversed": (
        "结束日期早于开始日期，请重新选择日期范围。",
        "The end date is before the start date: choose the range again.",
    ),
    "meter.range_too_long": (
        "日期范围最长 {max} 天，请缩短范围。",
        "The range may span at most {max} days: shorten it.",
    ),
    "meter.show": ("显示", "Show"),
    # a node of the metering tree
    "node.title": ("计量节点", "Node"),
    "node.cost": ("能源成本", "Energy cost"),
    "node.cost_soon": ("待配置能源价格后显示（元）", "shown once tariffs are set (CNY)"),
    "node.by_type": ("分能源品种能耗", "Energy by energy type"),
    "node.no_energy": ("该期间没有计量数据。", "No metered energy in this period."),
    "node.energy_tce": ("能耗 (tce)", "Energy (tce)"),
    "node.carbon_tco2": ("二氧化碳 (tCO2)", "CO2 (tCO2)"),
    "node.trend_month": ("逐月能耗趋势", "Energy by month"),
    "node.trend_day": ("逐日能耗趋势", "Energy by day"),
    "node.trend_table": ("趋势数据表", "Trend table"),
    "node.period": ("期间", "Period"),
    "node.tou_none": (
        "该节点没有带15分钟数据的电力计量。",
        "The node has no electricity meter with 15-minute data.",
    ),
    "node.electricity_unit": ("电量 ({unit})", "Electricity ({unit})"),
    "node.estimated_unit": ("其中估算 ({unit})", "of which estimated ({unit})"),
    "node.children": ("下级计量节点", "Child nodes"),
    "node.no_children": ("没有下级节点。", "No child node."),
    "node.level": ("层级", "Level"),
    "node.meters": ("本节点计量器具", "Meters of the node"),
    "node.no_meters": ("本节点没有直接挂接的计量器具。", "No meter is attached to this node."),
    "node.quantity": ("用量", "Quantity"),
    "level.facility": ("工厂", "facility"),
    "level.building": ("建筑", "building"),
    "level.workshop": ("车间", "workshop"),
    "level.line": ("产线", "line"),
    "level.equipment": ("设备", "equipment"),
    # budgets
    "budgets.title": ("能源预算", "Energy budgets"),
    "budgets.none": (
        "该年度没有能源预算。可用 lingtan energy budget import 导入。",
        "This year has no energy budget. Import them with lingtan energy budget import.",
    ),
    "budgets.node_months": ("预算节点月数", "Budgeted node-months"),
    "budgets.node_months_unit": ("个节点月", "node-months"),
    "budgets.over_count": ("超预算", "Over budget"),
    "budgets.elapsed": ("已过天数", "Days elapsed"),
    "budgets.as_of": ("截至 {day}", "through {day}"),
    "budgets.forecast": ("年度预算与年末预测", "Year budget and year-end forecast"),
    "budgets.method": (
        "年末预测按直线外推：截至 {as_of} 的实际值 ÷ 已过天数 {elapsed} × 全年天数 {days}。"
        "12 个月均有预算时才计算预测占预算比例。",
        "Year-end forecast on a straight line: actual through {as_of} ÷ {elapsed} days elapsed "
        "× {days} days in the year. The forecast is set against the budget only when all 12 "
        "months have one.",
    ),
    "budgets.year_budget_tce": ("年度能耗预算 (tce)", "Year energy budget (tce)"),
    "budgets.actual_tce": ("累计能耗 (tce)", "Energy so far (tce)"),
    "budgets.forecast_tce": ("年末预测能耗 (tce)", "Year-end energy forecast (tce)"),
    "budgets.forecast_pct": ("预测/预算 (%)", "Forecast / budget (%)"),
    "budgets.year_budget_tco2": ("年度碳排放预算 (tCO2)", "Year carbon budget (tCO2)"),
    "budgets.actual_tco2": ("累计碳排放 (tCO2)", "Carbon so far (tCO2)"),
    "budgets.forecast_tco2": ("年末预测碳排放 (tCO2)", "Year-end carbon forecast (tCO2)"),
    "budgets.months": ("预算月数", "Budgeted months"),
    "budgets.used_chart": ("逐月能耗预算使用率", "Energy budget used by month"),
    "budgets.monthly": ("逐月预算执行", "Budget against actual by month"),
    "budgets.actual_month_tce": ("实际能耗 (tce)", "Actual energy (tce)"),
    "budgets.budget_tce": ("能耗预算 (tce)", "Energy budget (tce)"),
    "budgets.used_pct": ("使用率 (%)", "Used (%)"),
    "budgets.actual_month_tco2": ("实际碳排放 (tCO2)", "Actual carbon (tCO2)"),
    "budgets.budget_tco2": ("碳排放预算 (tCO2)", "Carbon budget (tCO2)"),
    "budgets.over.energy": ("能耗超预算", "over the energy budget"),
    "budgets.over.carbon": ("碳排放超预算", "over the carbon budget"),
    "budgets.within": ("预算内", "within budget"),
    "budgets.to_come": ("未到期", "to come"),
    # intensity
    "intensity.title": ("单位产品能耗", "Energy per unit of product"),
    "intensity.product": ("产品", "Product"),
    "intensity.none": (
        "该年度没有产量记录或计量数据。产量可在“数据”页面随活动数据导入。",
        "This year has no production record or metered energy. Production is imported with "
        "the activity data on the Data page.",
    ),
    "intensity.basis": (
        "单位产品能耗 = 工厂当月综合能源消费量（计量）÷ 当月产量；跨月的产量记录按天数分摊。"
        "有多种产品时，每种产品均按全厂能耗计算。",
        "Energy per unit = the plant's metered energy of the month ÷ the month's output; a "
        "production record spanning months is shared by days. With several products each "
        "carries the whole plant's energy.",
    ),
    "intensity.notes": ("计算说明（{n} 条）", "Notes on the figures ({n})"),
    "intensity.trend": ("逐月趋势", "Trend by month"),
    "intensity.monthly": ("{product} 逐月单位产品能耗", "{product} by month"),
    "intensity.production": ("产量 ({unit})", "Output ({unit})"),
    "intensity.energy_tce": ("综合能源消费量 (tce)", "Energy (tce)"),
    "intensity.carbon_tco2": ("二氧化碳 (tCO2)", "CO2 (tCO2)"),
    "intensity.energy_per": ("单位产品能耗 (tce/{unit})", "Energy per unit (tce/{unit})"),
    "intensity.carbon_per": (
        "单位产品碳排放 (tCO2/{unit})",
        "CO2 per unit (tCO2/{unit})",
    ),
    # alerts
    "alerts.title": ("告警", "Alerts"),
    "alerts.type": ("告警类型", "Type"),
    "alerts.all": ("全部", "all"),
    "alerts.severity": ("严重程度", "Severity"),
    "alerts.severity.high": ("严重", "high"),
    "alerts.severity.medium": ("一般", "medium"),
    "alerts.severity.low": ("提示", "low"),
    "alerts.type.balance": ("能量平衡", "Balance"),
    "alerts.type.budget": ("预算超支", "Budget overrun"),
    "alerts.type.data_gap": ("数据缺失", "Data gap"),
    "alerts.type.quality": ("数据质量", "Data quality"),
    "alerts.note": (
        "根据数据即时计算：上下级计量差超过 {threshold}% 的能量平衡、超出月度预算、计量数据缺失"
        "和15分钟数据质量标记；截至最后计量日 {as_of}。",
        "Computed from the data on request: balance losses above {threshold} %, monthly budget "
        "overruns, missing meter data and 15-minute quality flags; through the last metered "
        "day {as_of}.",
    ),
    "alerts.total": ("告警总数", "Alerts"),
    "alerts.count_unit": ("条", "alerts"),
    "alerts.none": ("所选条件下没有告警。", "No alert matches."),
    "alerts.first_day": ("起始日期", "From"),
    "alerts.last_day": ("结束日期", "To"),
    "alerts.what": ("说明", "What"),
    "alerts.share_pct": ("比例 (%)", "Share (%)"),
    "alerts.intervals": ("时段数", "Intervals"),
    "alerts.balance.loss": (
        "损耗 {loss} {unit}，上级计量 {parent} {unit}",
        "loss {loss} {unit} of the parent's {parent} {unit}",
    ),
    "alerts.balance.children exceed parent": (
        "下级计量合计超出上级 {loss} {unit}（上级 {parent} {unit}），疑似计量故障",
        "the children exceed the parent ({parent} {unit}) by {loss} {unit}: a metering fault?",
    ),
    "alerts.balance.incomplete": (
        "缺失 {n} 个15分钟时段，不判断损耗",
        "{n} 15-minute intervals missing: no loss is claimed",
    ),
    "alerts.budget.energy": (
        "能耗 {actual} tce，超出预算 {budget} tce",
        "energy {actual} tce over the budget of {budget} tce",
    ),
    "alerts.budget.carbon": (
        "碳排放 {actual} tCO2，超出预算 {budget} tCO2",
        "carbon {actual} tCO2 over the budget of {budget} tCO2",
    ),
    "alerts.data_gap": ("缺失 {n} 个15分钟时段", "{n} 15-minute intervals missing"),
    "alerts.quality": ("{n} 个15分钟时段标记为“{flag}”", "{n} 15-minute intervals flagged {flag}"),
    # reports
    "reports.title": ("报告", "Reports"),
    "reports.intro": (
        "按 GB/T 32150 生成温室气体排放报告（HTML、PDF、Excel；中文和英文）。报告在后台生成，"
        "每种语言的 PDF 约需数秒。",
        "GB/T 32150 greenhouse-gas reports (HTML, PDF, Excel; Chinese and English), written "
        "in the background; the PDF takes a few seconds per language.",
    ),
    "reports.none": (
        "该设施还没有已计算的清单。",
        "This facility has no computed inventory yet.",
    ),
    "reports.languages": ("语言", "Languages"),
    "reports.formats": ("格式", "Formats"),
    "reports.generate": ("生成报告", "Generate the report"),
    "reports.queued": ("排队中…", "Queued…"),
    "reports.running": ("正在生成…", "Writing…"),
    "reports.done": ("已完成", "Done"),
    "reports.failed": ("生成失败", "Failed"),
    "reports.progress": ("{done} / {total} 种语言", "{done} of {total} languages"),
    "reports.files": ("下载", "Downloads"),
    "reports.needs_script": (
        "生成报告需要启用 JavaScript。",
        "Generating a report needs JavaScript.",
    ),
    "reports.choose": ("请至少选择一种语言和一种格式。", "Choose a language and a format."),
    # Excel exports of the tables (lingtan.web.export)
    "export.link": ("导出 Excel", "Export Excel"),
    "export.page": ("页面", "Page"),
    "export.facility": ("设施", "Facility"),
    "export.filters": ("期间与筛选", "Period and filters"),
    "export.exported_at": ("导出时间", "Exported at"),
    "export.address": ("页面地址", "Page address"),
    "export.continued": ("续表 {n}", "continued, part {n}"),
    "export.bad_request": (
        "导出需要参数 export=xlsx 和 table=表格的 id 或序号。",
        "An export needs export=xlsx and table=the id or number of the table.",
    ),
    "export.no_table": ("该页面没有表格 {table}。", "The page has no table {table}."),
    "export.too_large": (
        "表格超过 {limit} 个单元格（行 × 列），无法导出；请缩短期间或增加筛选条件后再导出。",
        "The table has more than {limit} cells (rows × columns), more than an export writes: "
        "choose a shorter period or narrower filters.",
    ),
    "export.too_wide": (
        "表格超过 Excel 的 {limit} 列，无法导出。",
        "The table has more than Excel's {limit} columns and cannot be exported.",
    ),
    "export.page_too_large": (
        "页面超过 {limit} 字节，无法导出其表格。",
        "The page is larger than {limit} bytes; its tables cannot be exported.",
    ),
    # energy cost (tariffs from lingtan tariff import)
    "cost.title": ("能源成本", "Energy cost"),
    "cost.total": ("能源费用", "Energy cost"),
    "cost.yuan": ("元", "CNY"),
    "cost.of_year": ("{year}年，按计量数据与电价", "{year}, from the meters and the tariff"),
    "cost.none": (
        "该设施尚未导入电价（lingtan tariff import），无法计算能源费用。",
        "This facility has no tariff yet (lingtan tariff import): no energy cost.",
    ),
    "cost.by_node": ("分节点、分能源品种能源费用", "Energy cost by node and energy type"),
    "cost.energy_charge": ("电度（能量）费用", "Energy charge"),
    "cost.basic": ("基本电费", "Basic charge"),
    "cost.estimated": ("其中估算", "of which estimated"),
    "cost.tou": ("分时电费", "Cost by time-of-use period"),
    "cost.price": ("单价", "Price"),
    "cost.period.all": ("全天", "whole day"),
    "cost.sources": ("电价来源", "Sources of the prices"),
    "cost.status.sample": ("示例数据，非官方电价", "sample data, not an official tariff"),
    "cost.status.user": ("用户录入", "entered by the user"),
    "cost.status.official": ("官方", "official"),
    "cost.status.unverified": ("未核实", "unverified"),
    "cost.unpriced": ("部分能源无价格，未计入：", "Some energy has no price and is not costed: "),
    "cost.by_month": ("逐月能源费用", "Energy cost by month"),
    "cost.reason.no_price": ("电价表中无该月（时段）价格", "the tariff has no price for it"),
    "cost.reason.unit": (
        "表计单位无法换算为计价单位",
        "the meter's unit does not convert to the priced unit",
    ),
}


def language(request: Request) -> str:
    """The language of ``request``: cookie, then ``Accept-Language``, then Chinese."""
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    for part in request.headers.get("accept-language", "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh-CN"
        if tag.startswith("en"):
            return "en"
    return DEFAULT


def translator(lang: str) -> Callable[..., str]:
    """``t(key, **values)``: the message ``key`` in ``lang``, with ``{name}`` fields filled."""
    index = 0 if lang == "zh-CN" else 1

    def t(key: str, **values: object) -> str:
        text = MESSAGES[key][index]
        return text.format(**values) if values else text

    return t


def named(t: Callable[..., str], prefix: str) -> Callable[[str], str]:
    """``name(code)``: the message ``prefix.code`` where there is one, else the code."""

    def name(code: str) -> str:
        return t(f"{prefix}.{code}") if f"{prefix}.{code}" in MESSAGES else code

    return name


def category_name(category: str, lang: str) -> str:
    """The name of a GB/T 32150 category: the official Chinese term, or its English name."""
    english, chinese = GBT32150_CATEGORIES.get(category, (category, category))
    return chinese if lang == "zh-CN" else english
