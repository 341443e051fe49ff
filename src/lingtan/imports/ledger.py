"""The ledger file: holdings and their movements, one row each (.xlsx or .csv, bilingual
headers), read into :class:`~lingtan.assets.ledger.HoldingIn` and
:class:`~lingtan.assets.ledger.MovementIn` for :func:`lingtan.services.ledger.write_ledger`.

Columns (``record`` chooses what a row is; a header may be the English name, the Chinese one
or both)::

    record 记录         acquire | transfer | retire | surrender | cancel | month
                        (取得 / 转让 / 注销 / 清缴 / 作废 / 月度电量)
    asset 资产编号       the holding's code in the organization's ledger
    kind 类型           acquire: gec | green_power | ccer | credit | cea (配额: national ETS
                        allowances)
    quantity 数量       MWh (GEC, contract) or tCO2e (credits, allowances); month: the MWh
                        contracted for the month
    serial 序列号        serials or ranges (GEC2025JS000001..000600; several with ; or ,)
    certificates 捆绑绿证  acquire, green_power: the GECs bundled with the contract
    registry 核发机构     acquire: the issuing registry
    project 项目 / technology 技术类型 / methodology 方法学
    counterpart 交易对方   acquire: seller; transfer: buyer
    channel 取得方式      acquire: for allowances free_allocation | auction | purchase
                        (免费分配 / 有偿拍卖 / 购买); for others the trading channel
    price 单价           acquire: CNY per unit (MWh or tCO2e)
    registry_account 登记账户  acquire: the holder's registry account
    period_start 起始日期 / period_end 结束日期
                        acquire: generation, delivery or vintage period (an allowance's
                        vintage year); retire: claim period
    date 日期           acquire: acquired on; month: a day of the month; otherwise the day
                        of the movement
    facility 工厂       retire, surrender: the facility it is for (default: the import's)
    compliance_year 履约年度  surrender: the compliance year
    settled 结算电量     month: the MWh settled for the month (empty: not yet settled)
    claim 声明          retire: the claim it is made for
    reason 原因         cancel: why; otherwise a note
    evidence 证据       a file beside the ledger file (certificate, contract, registry record)

A ``month`` row gives the month of a green power contract: ``quantity`` contracted, ``settled``
settled and ``certificates`` the GECs bundled with the month's settlement.

Every bad cell is reported with its file, row, column, value and rule; a file with one is
refused whole.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from lingtan.assets.ledger import HoldingIn, MonthIn, MovementIn
from lingtan.errors import InputError, InputProblem, Problems
from lingtan.i18n import Message
from lingtan.imports.parse import _evidence, _Row
from lingtan.imports.tables import match_columns, read_tables

__all__ = ["FIELDS", "RECORDS", "LedgerFile", "read_ledger_file"]

FIELDS: dict[str, tuple[str, ...]] = {
    "record": ("record", "记录", "记录类型"),
    "asset": ("asset", "资产编号", "asset_id"),
    "kind": ("kind", "类型", "资产类型"),
    "quantity": ("quantity", "数量"),
    "serial": ("serial", "序列号", "serials", "证书编号"),
    "certificates": ("certificates", "捆绑绿证"),
    "registry": ("registry", "核发机构", "issuing_registry", "登记机构"),
    "project": ("project", "项目"),
    "technology": ("technology", "技术类型"),
    "methodology": ("methodology", "方法学"),
    "counterpart": ("counterpart", "交易对方"),
    "channel": ("channel", "取得方式", "交易渠道"),
    "price": ("price", "单价", "价格", "price_cny_per_unit"),
    "registry_account": ("registry_account", "登记账户", "账户"),
    "compliance_year": ("compliance_year", "履约年度", "清缴年度"),
    "settled": ("settled", "结算电量", "settled_mwh"),
    "period_start": ("period_start", "起始日期", "开始日期"),
    "period_end": ("period_end", "结束日期"),
    "date": ("date", "日期"),
    "facility": ("facility", "工厂", "facility_code"),
    "claim": ("claim", "声明"),
    "reason": ("reason", "原因", "说明"),
    "evidence": ("evidence", "证据"),
}
#: What a row is, with its accepted names.
RECORDS: dict[str, tuple[str, ...]] = {
    "acquire": ("acquire", "取得", "购入"),
    "transfer": ("transfer", "转让"),
    "retire": ("retire", "注销", "核销"),
    "surrender": ("surrender", "清缴", "履约"),
    "cancel": ("cancel", "作废"),
    "month": ("month", "月度电量", "月度"),
}
_KINDS = {
    "gec": ("gec", "绿证"),
    "green_power": ("green_power", "绿电", "绿电交易"),
    "ccer": ("ccer",),
    "credit": ("credit", "碳信用"),
    "cea": ("cea", "配额", "碳排放配额", "全国碳市场配额"),
}
#: How an allowance was obtained, with its accepted names (other texts are kept as written).
_CHANNELS = {
    "free_allocation": ("free_allocation", "免费分配"),
    "auction": ("auction", "有偿拍卖", "拍卖"),
    "purchase": ("purchase", "购买", "购入"),
}


class LedgerFile(NamedTuple):
    """What a ledger file holds: holdings, movements and contracts' months."""

    holdings: list[HoldingIn]
    movements: list[MovementIn]
    months: list[MonthIn]


def _channel(text: str) -> str:
    folded = text.casefold()
    for key, aliases in _CHANNELS.items():
        if folded in (a.casefold() for a in aliases):
            return key
    return text


def read_ledger_file(path: str | Path) -> LedgerFile:
    """The holdings, movements and contract months of a ledger file, every problem at once.

    Raises
    ------
    InputError
        A missing column, a bad cell (naming file, row, column, value and rule), an evidence
        file that is not there, a file without rows.
    """
    path = Path(path)
    problems = Problems()
    holdings: list[HoldingIn] = []
    movements: list[MovementIn] = []
    months: list[MonthIn] = []
    for table in read_tables(path):
        columns = match_columns(table, FIELDS, ("record", "asset", "quantity", "date"))
        for number, values in table.rows:
            row = _Row(table, number, values, columns, problems)
            record = row.choice("record", RECORDS, None)
            asset = row.text("asset", required=True)
            quantity = row.number("quantity", required=True)
            day = row.day("date")
            evidence = _evidence(row, path.parent)
            if len(evidence) > 1:
                row.fail("evidence", row.text("evidence"), Message("a row takes one evidence file"))
            text = {name: row.text(name) or "" for name in FIELDS if name not in ("date",)}
            if record == "month":
                settled = row.number("settled")
                if not row.ok:
                    continue
                assert asset is not None and quantity is not None and day is not None
                months.append(
                    MonthIn(asset, day, quantity, settled, text["certificates"], where=row.where)
                )
                continue
            if record == "acquire":
                kind = row.choice("kind", _KINDS, None)
                price = row.number("price")
                start, end = row.day("period_start"), row.day("period_end")
                if not row.ok or kind is None or start is None or end is None:
                    continue
                assert asset is not None and quantity is not None and day is not None
                holdings.append(
                    HoldingIn(
                        asset, kind, quantity, start, end, day,
                        serial=text["serial"], certificates=text["certificates"],
                        issuing_registry=text["registry"], project=text["project"],
                        technology=text["technology"], methodology=text["methodology"],
                        counterpart=text["counterpart"], channel=_channel(text["channel"]),
                        price_cny_per_unit=price, registry_account=text["registry_account"],
                        evidence=evidence[0] if evidence else None, where=row.where,
                    )
                )  # fmt: skip
                continue
            start = end = None
            year = None
            if record == "retire":
                start, end = row.day("period_start"), row.day("period_end")
            if record == "surrender":
                number = row.number("compliance_year")
                if number is not None and not number.is_integer():
                    row.fail("compliance_year", number, Message("must be a year (YYYY)"))
                year = int(number) if number is not None and number.is_integer() else None
            if not row.ok or record is None:
                continue
            assert asset is not None and quantity is not None and day is not None
            movements.append(
                MovementIn(
                    asset, record, quantity, day, serial=text["serial"],
                    facility=text["facility"] or None, period_start=start, period_end=end,
                    claim=text["claim"], counterpart=text["counterpart"],
                    reason=text["reason"], compliance_year=year,
                    evidence=evidence[0] if evidence else None, where=row.where,
                )
            )  # fmt: skip
    if not problems and not holdings and not movements and not months:
        problems.append(InputProblem(path.name, "rows", 0, Message("has no ledger rows")))
    if problems:
        raise InputError(problems, origin=path.name)
    return LedgerFile(holdings, movements, months)
