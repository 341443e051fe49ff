"""Energy cost: tariff files (rules and refusals), the pure charges against a month worked by
hand, and the cost of a small plant through the store and the command line."""

import json
from pathlib import Path

import numpy as np
import pytest

from lingtan.cost.charges import (
    capacity_lines,
    demand_lines,
    energy_lines,
    interval_usage,
    max_demand_kw,
    period_labels,
    total_cny,
)
from lingtan.cost.tariffs import Tariff, read_tariff_file
from lingtan.errors import InputError
from lingtan.metering.tou import calendar_for, shipped_calendars

HEADER = "能源类型 energy_type,计费项目 component,时段 period,起始月份 month_from,截止月份 month_to,单价 price,计价单位 unit,容量 capacity_kva,状态 status,备注 note\n"
# June 2025 in Jiangsu (calendar CN-JS-2025-426): peak 14-22, valley 0-6 and 11-13, flat else
JUNE = (
    "electricity,energy,peak,2025-06,2025-06,1.0,CNY/kWh,,user,test prices\n"
    "electricity,energy,flat,2025-06,2025-06,0.6,元/kWh,,user,test prices\n"
    "electricity,energy,valley,2025-06,2025-06,0.3,CNY/kWh,,user,test prices\n"
    "electricity,demand,all,2025-06,2025-06,40,CNY/kW·month,,user,test prices\n"
    "natural_gas,energy,,2025-06,2025-06,3.5,CNY/m3,,user,test prices\n"
)


def _file(tmp_path, body, name="tariff.csv"):
    path = tmp_path / name
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def _june_intervals():
    """A month of 15-minute intervals at 100 kW (25 kWh each), starting 2025-06-01 00:00 local;
    one 200 kW quarter hour at 15:00 on 10 June (peak), one estimated interval at 07:00 on
    2 June (flat) and one lost at 03:00 on 3 June (valley)."""
    start = np.datetime64("2025-05-31T16:00", "s")  # 00:00 local, UTC+08:00
    starts = start + np.arange(30 * 96) * np.timedelta64(900, "s")
    energy = np.full(len(starts), 25.0)
    estimated = np.zeros(len(starts), bool)
    energy[9 * 96 + 15 * 4] = 50.0
    estimated[1 * 96 + 7 * 4] = True
    energy[2 * 96 + 3 * 4] = np.nan
    return starts, energy, estimated


def test_a_month_by_hand(tmp_path):
    prices = read_tariff_file(_file(tmp_path, JUNE), region="CN-JS")
    # the periods are those of the calendar in force for the province: it is kept with them
    assert {p.calendar_id for p in prices if p.period != "all"} == {"CN-JS-2025-426"}
    tariff = Tariff(prices)
    calendar = calendar_for(shipped_calendars(), "CN-JS", first=np.datetime64("2025-06-01").item())
    starts, energy, estimated = _june_intervals()
    labels = period_labels(starts, {"2025-06": calendar})
    usage = interval_usage(starts, energy, estimated, labels)
    # per day: peak 14-22 = 8 h, valley 0-6 and 11-13 = 8 h, flat the other 8 h; at 100 kW
    # each is 800 kWh a day, 24,000 kWh in 30 days
    assert usage["2025-06", "peak"].energy == 24_000 + 25  # the 200 kW quarter hour
    assert usage["2025-06", "flat"].energy == 24_000
    assert usage["2025-06", "flat"].estimated == 25
    assert usage["2025-06", "valley"].energy == 24_000 - 25  # the lost interval
    assert usage["2025-06", "valley"].missing == 1
    lines = energy_lines(usage, energy_type="electricity", unit="kWh", tariff=tariff)
    demand = max_demand_kw(starts, energy, "kWh")
    assert demand == {"2025-06": 200.0}  # 50 kWh in a quarter hour x 4
    lines += demand_lines(demand, tariff)
    # 24,025 x 1.0 + 24,000 x 0.6 + 23,975 x 0.3 + 200 kW x 40 CNY/kW
    # = 24,025 + 14,400 + 7,192.5 + 8,000 = 53,617.5 CNY
    assert total_cny(lines) == pytest.approx(53_617.5)
    by = {(x.component, x.period): x for x in lines}
    assert by["energy", "valley"].cost_cny == pytest.approx(7_192.5)
    assert by["energy", "flat"].estimated_cost_cny == pytest.approx(25 * 0.6)
    assert by["demand", "all"].quantity == 200.0 and by["demand", "all"].cost_cny == 8_000
    # gas from daily totals: 1,000 m3 at 3.5 CNY/m3; a month without a price has no cost
    gas = energy_lines({("2025-06", "all"): _usage(1000.0), ("2025-07", "all"): _usage(5.0)},
                       energy_type="natural_gas", unit="m3", tariff=tariff)  # fmt: skip
    assert gas[0].cost_cny == pytest.approx(3_500.0)
    assert gas[1].cost_cny is None and gas[1].note == "no natural_gas price for 2025-07"


def _usage(energy):
    from lingtan.cost.charges import Usage

    return Usage(energy)


def test_capacity_charge_and_unit_conversion(tmp_path):
    body = (
        "electricity,energy,all,2025-01,2025-03,0.65,元/千瓦时,,sample,示例数据，非官方电价\n"
        "electricity,容量电费,全天,2025-01,2025-03,25,元/(kVA·月),2500,sample,示例\n"
        "steam,energy,,2025-01,2025-03,80,CNY/GJ,,user,contract 2025\n"
    )
    prices = read_tariff_file(_file(tmp_path, body), region="CN-JS")
    assert len(prices) == 9  # three rows of three months
    tariff = Tariff(prices)
    # a whole-day price: 2 MWh metered in MWh at 0.65 CNY/kWh = 1,300 CNY
    lines = energy_lines({("2025-02", "all"): _usage(2.0)}, energy_type="electricity",
                         unit="MWh", tariff=tariff)  # fmt: skip
    assert lines[0].cost_cny == pytest.approx(1_300.0)
    # capacity: 2,500 kVA x 25 CNY/(kVA·month) = 62,500 CNY a month
    capacity = capacity_lines(["2025-01", "2025-02", "2025-03", "2025-04"], tariff)
    assert [x.cost_cny for x in capacity] == [62_500.0] * 3
    # steam metered in t does not convert to GJ: no cost, and the note says why
    steam = energy_lines({("2025-01", "all"): _usage(10.0)}, energy_type="steam", unit="t",
                         tariff=tariff)  # fmt: skip
    assert steam[0].cost_cny is None and "does not convert" in steam[0].note


BAD = [
    # (body, row, column, value, rule)
    (
        JUNE.replace(
            "electricity,energy,valley,2025-06,2025-06,0.3,CNY/kWh,,user,test prices\n", ""
        ),
        "row 2",
        "C (时段 period)",
        "valley",
        "has no price for valley",
    ),
    (
        JUNE.replace("1.0,CNY/kWh", "-1.0,CNY/kWh"),
        "row 2",
        "F (单价 price)",
        "-1.0",
        "must not be negative",
    ),
    (
        JUNE.replace("natural_gas", "plasma"),
        "row 6",
        "A (能源类型 energy_type)",
        "plasma",
        "one of electricity",
    ),
    (
        JUNE.replace(",peak,", ",super,"),
        "row 2",
        "C (时段 period)",
        "super",
        "one of critical_peak",
    ),
    (
        JUNE.replace(",peak,", ",deep_valley,"),
        "row 2",
        "C (时段 period)",
        "deep_valley",
        "not a period of calendar CN-JS-2025-426",
    ),
    (
        JUNE.replace("0.6,元/kWh", "nan,元/kWh"),
        "row 3",
        "F (单价 price)",
        "nan",
        "a finite number expected",
    ),
    (
        JUNE.replace("40,CNY", "inf,CNY"),
        "row 5",
        "F (单价 price)",
        "inf",
        "a finite number expected",
    ),
    (
        JUNE.replace("3.5,CNY/m3", "1e999,CNY/m3"),
        "row 6",
        "F (单价 price)",
        "1e999",
        "a finite number expected",
    ),
]


@pytest.mark.parametrize(("body", "row", "column", "value", "rule"), BAD)
def test_bad_tariff_files_are_refused(tmp_path, body, row, column, value, rule):
    with pytest.raises(InputError) as caught:
        read_tariff_file(_file(tmp_path, body), region="CN-JS")
    found = [p for p in caught.value.problems if f"tariff.csv {row} column" in p.where]
    assert found, caught.value.problems  # the first problem of the row is the one broken
    assert found[0].where == f"tariff.csv {row} column {column}"
    assert found[0].value == value and rule in found[0].rule


def test_overlapping_months_are_refused(tmp_path):
    body = JUNE + "electricity,energy,peak,2025-05,2025-07,1.1,CNY/kWh,,user,again\n"
    with pytest.raises(InputError) as caught:
        read_tariff_file(_file(tmp_path, body), region="CN-JS")
    (problem,) = [p for p in caught.value.problems if "overlaps" in p.rule]
    assert problem.where == "tariff.csv row 7 column D (起始月份 month_from)"
    assert problem.value == "2025-05"
    assert problem.rule.startswith("overlaps tariff.csv row 2 in 2025-06 (energy, peak)")
    # a whole-day price overlaps every period; a demand and a capacity charge overlap too
    whole = JUNE + "electricity,energy,all,2025-06,,0.5,CNY/kWh,,user,again\n"
    basic = JUNE + "electricity,capacity,,2025-06,,20,CNY/kVA·month,1000,user,again\n"
    for body in (whole, basic):
        with pytest.raises(InputError, match=r"row 7 column D.*overlaps tariff\.csv row"):
            read_tariff_file(_file(tmp_path, body), region="CN-JS")


def test_a_month_without_prices_is_refused(tmp_path):
    body = (
        "natural_gas,energy,,2025-01,2025-02,3.5,CNY/m3,,user,contract\n"
        "natural_gas,energy,,2025-04,2025-12,3.6,CNY/m3,,user,contract\n"
    )
    with pytest.raises(InputError) as caught:
        read_tariff_file(_file(tmp_path, body), region="CN-JS")
    (problem,) = caught.value.problems
    assert problem.where == "tariff.csv row 3 column D (起始月份 month_from)"
    assert problem.value == "2025-03"
    assert "no natural_gas energy price for 2025-03" in problem.rule
    # TOU prices for a month with no calendar in force (Jiangsu's starts in June 2025)
    early = JUNE.replace("2025-06,2025-06", "2025-05,2025-05")
    with pytest.raises(InputError, match="no TOU calendar for CN-JS in 2025-05"):
        read_tariff_file(_file(tmp_path, early), region="CN-JS")


def test_other_rules(tmp_path):
    body = (
        "natural_gas,demand,,2025-06,,3.5,CNY/kW·month,,user,x\n"
        "water,energy,peak,2025-06,,3.5,CNY/t,,user,x\n"
        "electricity,capacity,,2025-06,,20,CNY/kVA·month,,user,x\n"
        "electricity,energy,all,2025-13,,0.5,CNY/kWh,,user,x\n"
        "electricity,energy,all,2025-07,2025-06,0.5,CNY/kWh,,user,x\n"
        "electricity,energy,all,2025-08,,0.5,CNY/m3,,user,x\n"
        "steam,energy,all,2025-08,,80,GJ,,official,x\n"
        "steam,energy,all,2025-09,,80,CNY/GJ,,made-up,x\n"
        "water,energy,all,2025-09,,4,CNY/t,,user,\n"
    )
    with pytest.raises(InputError) as caught:
        read_tariff_file(_file(tmp_path, body), region="CN-JS")
    rules = [(p.where.split(" column ")[0].split()[-1], p.rule) for p in caught.value.problems]
    assert rules == [
        ("2", "only electricity has a basic charge"),
        ("3", "TOU periods price electricity energy only: all"),
        ("4", "the capacity charged [kVA] is required"),
        ("5", "a month YYYY-MM expected"),
        ("5", "a month YYYY-MM expected"),
        ("6", "must not be before month_from 2025-07"),
        ("7", "the unit priced is not a unit of energy or amount"),
        ("8", "CNY per unit expected, e.g. CNY/kWh or 元/m3"),
        ("9", "one of user, official, unverified, sample"),
        ("10", "a source is required: document, url or note"),
    ]


def test_an_excel_tariff_with_chinese_headers_and_names(tmp_path):
    import openpyxl

    header = ["能源类型", "计费项目", "时段", "起始月份", "截止月份", "单价", "计价单位", "文号"]
    rows = [
        ["电力", "电度电费", "高峰", "2025-06", "2025-08", 1.0, "元/千瓦时", "代理购电公告"],
        ["电力", "电度电费", "平段", "2025-06", "2025-08", 0.6, "元/千瓦时", "代理购电公告"],
        ["电力", "电度电费", "低谷", "2025-06", "2025-08", 0.3, "元/千瓦时", "代理购电公告"],
        ["电力", "需量电费", "全天", "2025-06", "2025-08", 40, "元/(kW·月)", "代理购电公告"],
        ["天然气", "", "", "2025-06", "", 3.5, "元/立方米", "燃气合同"],
    ]
    workbook = openpyxl.Workbook()
    workbook.active.title = "电价 Tariff"
    for row in (header, *rows):
        workbook.active.append(row)
    book = tmp_path / "tariff.xlsx"
    workbook.save(book)
    prices = read_tariff_file(book, region="CN-JS")
    assert len(prices) == 3 * 4 + 1
    gas = [p for p in prices if p.energy_type == "natural_gas"]
    assert [(g.unit, g.price_cny_per_unit, g.month, g.document) for g in gas] == [
        ("m3", 3.5, "2025-06", "燃气合同")
    ]
    demand = Tariff(prices).basic("2025-07")
    assert (demand.component, demand.unit, demand.price_cny_per_unit) == ("demand", "kW", 40)


def test_an_empty_value_and_all_problems_at_once(tmp_path):
    body = JUNE.replace("1.0,CNY/kWh", "abc,CNY/kWh").replace("natural_gas", "plasma")
    with pytest.raises(InputError) as caught:
        read_tariff_file(_file(tmp_path, body), region="CN-JS")
    assert [p.rule for p in caught.value.problems][:2] == [
        "a number expected",
        "one of electricity, natural_gas, steam, hot_water, water, compressed_air, diesel",
    ]


# --- through the store and the command line -------------------------------------------------

DEFINITIONS = """record,code,name,parent,level,energy_type,unit,kind,flow,formula
node,site,Site,,facility,,,,,
node,line,Line,site,line,,,,,
meter,main,Main,site,,electricity,kWh,interval,supply,
meter,sub,Line meter,line,,electricity,kWh,interval,use,
meter,gas,Gas,site,,natural_gas,m3,interval,supply,
"""


def _readings(folder):
    """June 2025: ``main`` as in :func:`_june_intervals` (without the lost and estimated
    intervals), ``sub`` 10 kWh per quarter hour, ``gas`` 1 m3 per quarter hour; each value at
    the end of its quarter hour, after a first reading at 00:00 on 1 June."""
    starts, energy, _ = _june_intervals()
    rows = ["meter,timestamp,value"] + [f"{m},2025-06-01 00:00,0" for m in ("main", "sub", "gas")]
    for i, t in enumerate(starts):
        end = (t + np.timedelta64(8 * 60 + 15, "m")).astype("datetime64[m]").item()
        stamp = end.strftime("%Y-%m-%d %H:%M")
        main = 25.0 if np.isnan(energy[i]) else energy[i]
        rows += [f"main,{stamp},{main}", f"sub,{stamp},10", f"gas,{stamp},1"]
    path = folder / "june.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def plant(lingtan_cli, tmp_path):
    from metering_support import cli_plant

    cli_plant(lingtan_cli, tmp_path, DEFINITIONS)
    lingtan_cli("meters", "import", _readings(tmp_path))
    return lingtan_cli


def test_cost_through_the_command_line(plant, tmp_path, database_url):
    tariff = _file(tmp_path, JUNE)
    assert "5 price(s) read, 5 added or changed" in plant("tariff", "import", tariff).output
    assert "5 price(s) read, 0 added or changed" in plant("tariff", "import", tariff).output
    facts = json.loads(plant("energy", "cost", "--year", "2025", "--month", "6",
                             "--format", "json").output)  # fmt: skip
    # main: 100 kW all month but 200 kW at 15:00 on 10 June: peak 24,025, flat and valley
    # 24,000 kWh; 24,025 + 14,400 + 7,200 + 200 kW x 40 = 53,625 CNY; gas 2,880 m3 x 3.5 =
    # 10,080 CNY
    assert facts["cost_cny"] == pytest.approx(53_625 + 10_080)
    rows = {(r["node"], r["energy_type"]): r for r in facts["rows"]}
    assert rows["site", "electricity"]["energy"] == pytest.approx(72_025)
    assert rows["site", "electricity"]["basic_cost_cny"] == pytest.approx(8_000)
    # the line: 10 kWh a quarter hour = 40 kW; 9,600 kWh per period x (1.0 + 0.6 + 0.3)
    assert rows["line", "electricity"]["cost_cny"] == pytest.approx(9_600 * 1.9)
    periods = {p["period"]: p for p in facts["periods"]}
    assert periods["peak"]["cost_cny"] == pytest.approx(24_025)
    assert facts["sources"] == [{"status": "user", "document": "", "url": "",
                                 "note": "test prices"}]  # fmt: skip
    line = json.loads(plant("energy", "cost", "--year", "2025", "--month", "6", "--node",
                            "line", "--format", "json").output)  # fmt: skip
    assert line["cost_cny"] == pytest.approx(9_600 * 1.9)
    table = plant("energy", "cost", "--year", "2025", "--month", "6").output
    assert "facility F1: 63,705.00 CNY" in table
    csv_out = plant("energy", "cost", "--year", "2025", "--format", "csv").output.splitlines()
    assert csv_out[0].startswith("node,energy_type,month,energy,estimated,unit,energy_cost_cny")
    shown = json.loads(plant("tariff", "show", "--format", "json").output)["prices"]
    assert [(p["energy_type"], p["component"], p["period"]) for p in shown][:2] == [
        ("electricity", "demand", "all"),
        ("electricity", "energy", "flat"),
    ]


def test_a_refused_tariff_writes_nothing_and_imports_are_audited(plant, tmp_path, database_url):
    import sqlalchemy as sa

    from lingtan.store.models import AuditEntry, TariffPrice

    bad = _file(tmp_path, JUNE.replace("1.0,CNY/kWh", "-1,CNY/kWh"), "bad.csv")
    refused = plant("tariff", "import", bad, code=2)
    assert "bad.csv row 2 column F (单价 price): field 'price' = '-1'" in refused.stderr
    plant("tariff", "import", _file(tmp_path, JUNE))
    revised = _file(tmp_path, JUNE.replace("1.0,CNY/kWh", "1.2,CNY/kWh"), "revised.csv")
    assert "1 added or changed" in plant("tariff", "import", revised).output
    engine = sa.create_engine(database_url)
    with engine.connect() as connection:
        assert connection.scalar(sa.select(sa.func.count()).select_from(TariffPrice)) == 5
        entries = connection.execute(
            sa.select(AuditEntry.before, AuditEntry.after)
            .where(AuditEntry.entity == "tariff")
            .order_by(AuditEntry.id)
        ).all()
    engine.dispose()
    assert [after["file"] for _, after in entries] == ["tariff.csv", "revised.csv"]
    key = "electricity energy peak 2025-06"
    assert entries[1].before["prices"][key]["price_cny_per_unit"] == 1.0
    assert entries[1].after["prices"][key]["price_cny_per_unit"] == 1.2
    # a whole-day price for June replaces the three TOU prices of June
    whole = _file(tmp_path, "electricity,energy,all,2025-06,,0.7,CNY/kWh,,user,flat\n", "w.csv")
    assert "4 added or changed" in plant("tariff", "import", whole).output


def test_budget_check_shows_the_cost(plant, tmp_path):
    no_gas = JUNE.replace("natural_gas,energy,,2025-06,2025-06,3.5,CNY/m3,,user,test prices\n", "")
    plant("tariff", "import", _file(tmp_path, no_gas))
    facts = json.loads(plant("energy", "cost", "--year", "2025", "--format", "json").output)
    # the gas has no price: its energy is shown, its cost left out and named
    assert facts["cost_cny"] == pytest.approx(53_625)
    assert facts["unpriced"] == [
        {"energy_type": "natural_gas", "month": "2025-06", "period": "all", "reason": "no price"}
    ]
    assert facts["notes"] == ["no natural_gas price for 2025-06"]
    (gas,) = [r for r in facts["rows"] if r["energy_type"] == "natural_gas"]
    assert gas["energy"] == 2_880 and gas["cost_cny"] is None and gas["unpriced"]
    (tmp_path / "b.csv").write_text("node,month,energy_tce\nline,2025-06,1\n", encoding="utf-8")
    plant("energy", "budget", "import", tmp_path / "b.csv")
    rows = json.loads(plant("energy", "budget", "check", "--year", "2025", "--format",
                            "json").output)["rows"]  # fmt: skip
    assert rows[0]["cost_cny"] == pytest.approx(9_600 * 1.9)
    assert "18,240.00" in plant("energy", "budget", "check", "--year", "2025").output


def test_the_report_shows_the_cost_and_marks_sample_prices(plant, tmp_path, database_url):
    from dataclasses import replace
    from datetime import date

    from lingtan.reports.data import ReportData
    from lingtan.reports.html import render_html
    from lingtan.services.cost import report_cost
    from lingtan.store.db import make_engine, session_scope
    from lingtan.store.models import Facility

    engine = make_engine(database_url)
    with session_scope(engine, read_only=True) as session:
        site = session.query(Facility).one()
        assert report_cost(session, site, date(2025, 6, 1), date(2025, 6, 30)) is None
    engine.dispose()
    plant("tariff", "import", _file(tmp_path, JUNE.replace(",user,", ",sample,")))
    engine = make_engine(database_url)
    with session_scope(engine, read_only=True) as session:
        site = session.query(Facility).one()
        cost = report_cost(session, site, date(2025, 6, 1), date(2025, 6, 30))
    engine.dispose()
    # as by hand in test_cost_through_the_command_line
    assert cost["cost_cny"] == pytest.approx(63_705)
    assert [r["energy_type"] for r in cost["by_energy_type"]] == ["electricity", "natural_gas"]
    assert [p["period"] for p in cost["periods"]] == ["peak", "flat", "valley"]
    demo = Path(__file__).resolve().parents[1] / "examples" / "demo-cell-plant.yaml"
    data = replace(ReportData.example(demo), energy_cost=cost)
    zh = render_html(data, "zh-CN")
    assert "6.3 能源成本" in zh and "63,705.00" in zh and "示例数据，非官方电价" in zh
    en = render_html(data, "en")
    assert "6.3 Energy cost (能源成本)" in en and "SAMPLE data, not an official tariff" in en
    assert 'id="s6-3"' not in render_html(ReportData.example(demo), "en")
    import io

    import openpyxl

    from lingtan.reports.xlsx import render_xlsx

    book = openpyxl.load_workbook(io.BytesIO(render_xlsx(data, "zh-CN")))
    sheet = book["能源成本"]
    assert [c.value for c in sheet[1]] == ["月份", "电力（元）", "天然气（元）", "合计（元）"]
    assert [c.value for c in sheet[3]] == ["2025-06", pytest.approx(53_625), 10_080.0,
                                           pytest.approx(63_705)]  # fmt: skip
    english = openpyxl.load_workbook(io.BytesIO(render_xlsx(ReportData.example(demo), "en")))
    assert "Energy cost" not in english.sheetnames
