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
