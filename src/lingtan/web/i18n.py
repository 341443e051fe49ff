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
    "meter.day": ("截止日期", "Last day"),
    "meter.show": ("显示", "Show"),
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


def category_name(category: str, lang: str) -> str:
    """The name of a GB/T 32150 category: the official Chinese term, or its English name."""
    english, chinese = GBT32150_CATEGORIES.get(category, (category, category))
    return chinese if lang == "zh-CN" else english
