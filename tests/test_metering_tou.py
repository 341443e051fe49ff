"""Time-of-use periods: the shipped calendars, labels of intervals, splits worked by hand,
calendar files of one's own and their refusals, and ``lingtan tou`` on both databases."""

import json
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from openpyxl import Workbook

from lingtan.errors import InputError
from lingtan.metering.intervals import MeterIntervals, Quality, meter_intervals
from lingtan.metering.tou import (
    LABELS,
    calendar_for,
    read_calendar_file,
    shipped_calendars,
    tou_labels,
    tou_split,
)
from metering_support import cli_plant

CALENDARS = {c.calendar_id: c for c in shipped_calendars()}
JIANGSU = CALENDARS["CN-JS-2025-426"]
ZHEJIANG_2026 = CALENDARS["CN-ZJ-2026-112"]


def utc(text: str) -> np.datetime64:
    return np.datetime64(text, "s")


def local_day(day: str) -> np.ndarray:
    """The 96 interval starts [UTC] of a local (UTC+8) day."""
    first = utc(f"{day}T00:00") - np.timedelta64(8, "h")
    return first + np.arange(96) * np.timedelta64(900, "s")


def constant(starts: np.ndarray, kwh: float = 25.0) -> MeterIntervals:
    n = starts.size
    return MeterIntervals("M", "kWh", starts, np.full(n, kwh), np.zeros(n, np.uint8))


def split_dict(split) -> dict[str, float]:
    return {label: float(split.energy[i]) for i, label in enumerate(split.labels)}


# --- Shipped data ------------------------------------------------------------------------------


def test_the_shipped_calendars_validate_and_carry_their_provenance():
    assert set(CALENDARS) == {
        "CN-JS-2025-426", "CN-ZJ-2024-21", "CN-ZJ-2026-112", "CN-GD-2021-331",
        "CN-SD-2025-914", "CN-SH-2022-50-two-part", "CN-SH-2022-50-single-part",
        "CN-AH-2025-302",
    }  # fmt: skip
    for c in CALENDARS.values():
        assert c.status in ("official", "unverified"), c.calendar_id
        assert c.document and c.source and c.effective_from and c.region.startswith("CN-")
        assert c.table.shape == (2, 12, 96) and c.table.max() < len(LABELS)
    # two calendars for the same region and users never overlap in time
    zj_old, zj_new = CALENDARS["CN-ZJ-2024-21"], ZHEJIANG_2026
    assert zj_old.effective_to + timedelta(days=1) == zj_new.effective_from


def test_shipped_hours_match_the_notices():
    # 苏发改价格发〔2025〕426号: summer and winter peak 14:00-22:00, spring/autumn 15:00-22:00
    assert ("14:00", "22:00", "peak") in JIANGSU.hours(7)
    assert ("15:00", "22:00", "peak") in JIANGSU.hours(10)
    assert ("10:00", "14:00", "valley") in JIANGSU.hours(4)
    # 粤发改价格〔2021〕331号: critical peak 11-12 and 15-17 in July-September only
    guangdong = CALENDARS["CN-GD-2021-331"]
    assert ("15:00", "17:00", "critical_peak") in guangdong.hours(8)
    assert ("14:00", "19:00", "peak") in guangdong.hours(11)
    # 皖发改价格〔2025〕302号: July-September peak 16:00-24:00, valley 2:00-9:00 and 11:00-13:00
    assert CALENDARS["CN-AH-2025-302"].hours(8)[-1] == ("16:00", "24:00", "peak")
    assert ("02:00", "09:00", "valley") in CALENDARS["CN-AH-2025-302"].hours(9)
    # Shandong 2025: deep valley 11:00-14:00 inside the valley 10:00-15:00 in spring
    assert CALENDARS["CN-SD-2025-914"].hours(4)[1:4] == [
        ("10:00", "11:00", "valley"), ("11:00", "14:00", "deep_valley"),
        ("14:00", "15:00", "valley"),
    ]  # fmt: skip


def test_the_calendar_in_force_is_chosen_by_region_date_and_users():
    calendars = list(CALENDARS.values())
    assert calendar_for(calendars, "CN-ZJ", first=date(2026, 6, 30)).calendar_id == "CN-ZJ-2024-21"
    assert calendar_for(calendars, "CN-ZJ", first=date(2026, 7, 1)) is ZHEJIANG_2026
    with pytest.raises(InputError, match="ends on 2026-06-30"):
        calendar_for(calendars, "CN-ZJ", first=date(2026, 6, 1), last=date(2026, 7, 31))
    with pytest.raises(InputError, match="several calendars apply"):
        calendar_for(calendars, "CN-SH", first=date(2025, 1, 1))
    two_part = calendar_for(calendars, "CN-SH", first=date(2025, 1, 1), applies_to="two_part")
    assert two_part.calendar_id == "CN-SH-2022-50-two-part"
    with pytest.raises(InputError, match="no calendar in force on 2025-05-31"):
        calendar_for(calendars, "CN-JS", first=date(2025, 5, 31))
    with pytest.raises(InputError, match="calendars of the region: none"):
        calendar_for(calendars, "CN-XJ", first=date(2025, 5, 31))


# --- Labels and splits worked by hand ----------------------------------------------------------


def test_constant_100_kw_over_an_april_day_in_jiangsu():
    # 100 kW for 15 min = 25 kWh per interval. Spring/autumn hours of 426号:
    #   flat   00-02, 06-10, 14-15, 22-24 = 9 h = 36 intervals x 25 kWh = 900 kWh
    #   valley 02-06, 10-14               = 8 h = 32 intervals x 25 kWh = 800 kWh
    #   peak   15-22                      = 7 h = 28 intervals x 25 kWh = 700 kWh
    split = tou_split(constant(local_day("2025-10-15")), JIANGSU)
    assert split.labels == ("peak", "flat", "valley")
    assert split_dict(split) == {"peak": 700.0, "flat": 900.0, "valley": 800.0}
    assert split.intervals.tolist() == [28, 36, 32]
    assert split.total == 2400.0  # 100 kW x 24 h
    assert split.missing.tolist() == [0, 0, 0] and split.energy_estimated.sum() == 0


def test_constant_100_kw_over_a_july_day_in_jiangsu():
    # summer hours: valley 00-06, 11-13 (8 h); flat 06-11, 13-14, 22-24 (8 h); peak 14-22 (8 h)
    split = tou_split(constant(local_day("2025-07-15")), JIANGSU)
    assert split_dict(split) == {"peak": 800.0, "flat": 800.0, "valley": 800.0}


def test_boundaries_fall_in_local_time():
    labels = tou_labels(
        np.array([
            utc("2025-10-15T06:45"),  # 14:45 CST: flat (14-15)
            utc("2025-10-15T07:00"),  # 15:00 CST: peak starts
            utc("2025-10-15T13:45"),  # 21:45 CST: last peak interval
            utc("2025-10-15T14:00"),  # 22:00 CST: flat
            utc("2025-05-31T15:45"),  # 23:45 CST 31 May: spring hours, flat
            utc("2025-05-31T16:00"),  # 00:00 CST 1 June (UTC still 31 May): summer, valley
        ]),
        JIANGSU,
    )  # fmt: skip
    assert labels.tolist() == ["flat", "peak", "peak", "flat", "flat", "valley"]
    # the same instants read as UTC wall time (offset 0) give other labels
    assert tou_labels(np.array([utc("2025-10-15T06:45")]), JIANGSU, 0).tolist() == ["flat"]
    assert tou_labels(np.array([utc("2025-10-15T15:00")]), JIANGSU, 0).tolist() == ["peak"]


def test_estimated_energy_is_kept_apart_and_missing_intervals_counted():
    # four intervals from 15:00 CST on 15 October 2025, all peak:
    #   measured 25, estimated 30, missing (NaN), measured 25 -> 80 kWh, of which 30 estimated
    starts = utc("2025-10-15T07:00") + np.arange(4) * np.timedelta64(900, "s")
    quality = np.array([Quality.MEASURED, Quality.ESTIMATED, Quality.MISSING, Quality.MEASURED])
    intervals = MeterIntervals(
        "M", "kWh", starts, np.array([25.0, 30.0, np.nan, 25.0]), quality.astype(np.uint8)
    )
    split = tou_split(intervals, JIANGSU)
    peak = split.labels.index("peak")
    assert split.energy[peak] == 80.0 and split.energy_estimated[peak] == 30.0
    assert split.intervals[peak] == 4 and split.missing[peak] == 1
    assert split.as_dict()["periods"][peak] == {
        "label": "peak", "label_zh": "高峰", "energy": 80.0, "energy_estimated": 30.0,
        "intervals": 4, "missing_intervals": 1,
    }  # fmt: skip


def test_split_of_intervals_checked_from_cumulative_readings():
    # register read every 15 min over 15 October 2025 (CST), +25 kWh each, but the readings of
    # 15:15 and 15:30 CST are lost: the 45 min gap is estimated (at most 1 h), 3 x 25 kWh
    starts = local_day("2025-10-15")
    stamps = np.concatenate((starts, [starts[-1] + np.timedelta64(900, "s")]))
    values = 1000.0 + 25.0 * np.arange(stamps.size)
    lost = [61, 62]  # 07:15Z and 07:30Z
    keep = np.setdiff1d(np.arange(stamps.size), lost)
    intervals = meter_intervals(
        stamps[keep], values[keep], start=starts[0], end=stamps[-1], kind="cumulative"
    )
    split = tou_split(intervals, JIANGSU)
    assert split_dict(split) == {"peak": 700.0, "flat": 900.0, "valley": 800.0}
    assert split.energy_estimated.tolist() == [75.0, 0.0, 0.0]  # 15:00-15:45 CST is peak


def test_holidays_take_the_holiday_hours():
    # Zhejiang 2026 on 9 October (a working day; the caller names it a holiday) and on
    # 1 October (国庆节, a shipped holiday) with 100 kW (25 kWh per interval):
    #   normal day (spring/autumn): valley 00-07, 11-14 = 10 h -> 1000 kWh;
    #     flat 07-11, 14-16, 23-24 = 7 h -> 700; peak 16-23 = 7 h -> 700
    #   holiday: valley 00-07 = 7 h -> 700; flat 07-09, 15-16, 23-24 = 4 h -> 400;
    #     deep valley 09-15 = 6 h -> 600; peak 700
    day = constant(local_day("2026-10-09"))
    normal = split_dict(tou_split(day, ZHEJIANG_2026))
    assert normal == {"critical_peak": 0.0, "peak": 700.0, "flat": 700.0, "valley": 1000.0,
                      "deep_valley": 0.0}  # fmt: skip
    holiday = split_dict(tou_split(day, ZHEJIANG_2026, holidays=[date(2026, 10, 9)]))
    assert holiday == {"critical_peak": 0.0, "peak": 700.0, "flat": 400.0, "valley": 700.0,
                       "deep_valley": 600.0}  # fmt: skip
    assert split_dict(tou_split(constant(local_day("2026-10-01")), ZHEJIANG_2026)) == holiday
    # a calendar without holiday hours ignores holidays
    assert split_dict(tou_split(day, JIANGSU, holidays=["2026-10-01"])) == split_dict(
        tou_split(day, JIANGSU)
    )


def test_a_year_of_intervals_in_one_vectorised_pass():
    # 2026 in Jiangsu: peak 8 h/day in Jan, Feb, Jun, Jul, Aug, Dec (31+28+30+31+31+31 = 182
    # days) and 7 h/day in the other 183 days: 182 x 8 + 183 x 7 = 2737 h = 10 948 intervals
    first = utc("2026-01-01T00:00") - np.timedelta64(8, "h")
    starts = first + np.arange(365 * 96) * np.timedelta64(900, "s")
    split = tou_split(constant(starts, 1.0), JIANGSU)
    assert split.intervals[split.labels.index("peak")] == 10_948
    assert split.intervals.sum() == 35_040


# --- Calendars of one's own and their refusals -------------------------------------------------

GOOD = """calendar_id,months,day_type,start,end,label
mine,1-12,normal,00:00,08:00,谷
mine,1-12,normal,08:00,20:00,峰
mine,1-12,normal,20:00,24:00,平
"""


def test_a_calendar_file_of_ones_own(tmp_path):
    path = tmp_path / "mine.csv"
    path.write_text(GOOD, encoding="gb18030")
    (mine,) = read_calendar_file(path)
    assert (mine.status, mine.source) == ("user", "mine.csv")
    assert mine.hours(3) == [("00:00", "08:00", "valley"), ("08:00", "20:00", "peak"),
                             ("20:00", "24:00", "flat")]  # fmt: skip
    # 25 kWh per interval: valley 8 h -> 800, peak 12 h -> 1200, flat 4 h -> 400
    split = tou_split(constant(local_day("2025-03-03")), mine)
    assert split_dict(split) == {"peak": 1200.0, "flat": 400.0, "valley": 800.0}


def test_a_workbook_with_periods_and_provenance(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.title = "periods"
    for line in GOOD.splitlines():
        sheet.append(line.split(","))
    meta = book.create_sheet("calendars")
    meta.append(["calendar_id", "region", "applies_to", "effective_from", "status", "source"])
    meta.append(["mine", "CN-JS", "two_part", "2025-01-01", "user", "our supply contract"])
    book.save(tmp_path / "mine.xlsx")
    (mine,) = read_calendar_file(tmp_path / "mine.xlsx")
    assert (mine.region, mine.effective_from, mine.source) == (
        "CN-JS", date(2025, 1, 1), "our supply contract"
    )  # fmt: skip


def test_a_bad_calendar_file_is_refused_with_every_problem(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "calendar_id,months,day_type,start,end,label\n"
        "bad,1-6,normal,00:00,08:00,valley\n"
        "bad,1-6,normal,07:00,24:00,peak\n"  # overlaps 07:00-08:00
        "bad,7-12,normal,00:00,07:40,valley\n"  # not on the 15-minute grid
        "bad,7-12,normal,08:00,24:00,cheap\n"  # unknown label
        "bad,6-13,normal,00:00,24:00,flat\n"  # month 13
        "bad,7-12,weekend,00:00,24:00,flat\n"  # unknown day type
        "bad,7-12,normal,22:00,02:00,flat\n",  # past midnight in one row
        encoding="utf-8",
    )
    with pytest.raises(InputError) as caught:
        read_calendar_file(path)
    text = str(caught.value)
    assert "bad.csv row 3: field 'start' = '07:00': overlaps another period of months 1-6" in text
    assert "bad.csv row 4 column E (end): field 'end' = '07:40': a time HH:MM on the 15-minute" in (
        text
    )
    assert "row 5 column F (label): field 'label' = 'cheap': one of critical_peak" in text
    assert "row 6 column B (months): field 'months' = '6-13'" in text
    assert "row 7 column C (day_type): field 'day_type' = 'weekend': one of normal, holiday" in text
    assert "row 8 column E (end): field 'end' = '02:00': must be after start 22:00" in text
    assert len(caught.value.problems) == 7  # and months 7-12 left uncovered


def test_gaps_and_months_outside_any_group_are_refused(tmp_path):
    path = tmp_path / "gaps.csv"
    path.write_text(
        "calendar_id,months,day_type,start,end,label\n"
        "g,1-11,normal,00:00,08:00,valley\n"
        "g,1-11,normal,09:00,24:00,peak\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as caught:
        read_calendar_file(path)
    rules = [p.rule for p in caught.value.problems]
    assert any("leave 1 h uncovered, from 08:00" in r for r in rules)
    assert any("months without periods for day type normal" in r for r in rules)
    assert [p.value for p in caught.value.problems if p.field == "months"][-1] == "12"


# --- The command line on both databases --------------------------------------------------------


def test_tou_commands(lingtan_cli, tmp_path):
    cli = lingtan_cli

    assert "CN-JS-2025-426" in cli("tou", "list").output
    shown = cli("tou", "show", "江苏", "--date", "2025-07-01").output
    assert "14:00 │ 22:00 │ 高峰 peak" in shown and "[unverified]" in shown

    cli_plant(
        cli,
        tmp_path,
        "record,code,name,parent,level,energy_type,unit,kind,multiplier\n"
        "node,site,Site,,facility,,,,\n"
        "meter,E-MAIN,Main,site,,electricity,kWh,cumulative,1\n",
    )
    # readings every 15 min over 15 October 2025 (CST), +25 kWh each (100 kW)
    first = datetime(2025, 10, 14, 16, tzinfo=UTC)
    lines = ["meter,timestamp,value"] + [
        f"E-MAIN,{first + timedelta(minutes=15 * i):%Y-%m-%dT%H:%M:%SZ},{1000 + 25 * i}"
        for i in range(97)
    ]
    (tmp_path / "readings.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    cli("meters", "import", tmp_path / "readings.csv")

    out = json.loads(cli("tou", "split", "--meter", "E-MAIN", "--month", "2025-10",
                         "--json").output)  # fmt: skip
    assert out["calendar_id"] == "CN-JS-2025-426"
    got = {p["label"]: (p["energy"], p["intervals"], p["missing_intervals"])
           for p in out["periods"]}  # fmt: skip
    # 15 October as by hand (700 / 900 / 800 kWh); the other 30 days of October have no readings:
    # 30 x 28 peak, 30 x 36 flat, 30 x 32 valley intervals missing (2 880 = 2 976 - 96)
    assert got == {
        "peak": (700.0, 31 * 28, 30 * 28),
        "flat": (900.0, 31 * 36, 30 * 36),
        "valley": (800.0, 31 * 32, 30 * 32),
    }
    table = cli("tou", "split", "--meter", "E-MAIN", "--month", "2025-10").output
    assert "energy [kWh]" in table and "高峰 peak" in table and "2,400.000" in table

    # one's own calendar instead of the province's
    (tmp_path / "mine.csv").write_text(GOOD, encoding="utf-8")
    mine = json.loads(cli("tou", "split", "--meter", "E-MAIN", "--month", "2025-10",
                          "--calendar", tmp_path / "mine.csv", "--json").output)  # fmt: skip
    assert {p["label"]: p["energy"] for p in mine["periods"]} == {
        "peak": 1200.0, "flat": 400.0, "valley": 800.0
    }  # fmt: skip

    # refusals: before 426号 came into force, a bad month, an unknown meter
    refused = cli("tou", "split", "--meter", "E-MAIN", "--month", "2025-05", code=2)
    assert "no calendar in force on 2025-05-01" in refused.stderr
    assert "a month YYYY-MM" in cli("tou", "split", "--meter", "E-MAIN", "--month", "2025-13",
                                    code=2).stderr  # fmt: skip


def test_the_period_names_of_the_files_are_those_the_screens_show():
    """One set of Chinese period names: the file vocabulary of the calendars (LABELS, read
    from 尖峰/高峰/… in files) and the catalogue the screens and reports name periods by."""
    from lingtan.i18n.catalog import texts
    from lingtan.metering.tou import LABELS

    zh, en = texts("zh-CN"), texts("en")
    assert {key: zh.name_of("tou.period", key) for key in LABELS} == LABELS
    assert en.name_of("tou.period", "critical_peak") == "critical peak"


def _at(*local: str) -> np.ndarray:
    """Interval starts [UTC] of local (+08:00) times."""
    return np.array([np.datetime64(t) - np.timedelta64(8, "h") for t in local], "datetime64[s]")


def test_the_shipped_holidays_take_the_holiday_hours_in_splits_and_cost():
    """Zhejiang's deep valley falls on the State Council's holiday dates without the caller
    naming them: 2025-05-01 (劳动节) 11:00 is 深谷, 2025-05-06 is a normal day; the 2026
    calendar takes only the first three days of 劳动节 (5-03 yes, 5-04 no); Jiangsu has no
    holiday hours. The cost labels intervals the same way."""
    from lingtan.cost.charges import period_labels
    from lingtan.metering.tou import shipped_calendars, tou_labels

    by_id = {c.calendar_id: c for c in shipped_calendars()}
    zj24, zj26, js = by_id["CN-ZJ-2024-21"], by_id["CN-ZJ-2026-112"], by_id["CN-JS-2025-426"]
    starts = _at("2025-05-01T11:00", "2025-05-06T11:00", "2025-10-08T11:00", "2025-02-05T11:00")
    assert list(tou_labels(starts, zj24)) == ["deep_valley", "valley", "deep_valley", "valley"]
    assert list(tou_labels(_at("2026-05-03T10:00", "2026-05-04T10:00"), zj26)) == [
        "deep_valley",
        "flat",
    ]
    assert list(tou_labels(_at("2025-05-01T11:00"), js)) == list(
        tou_labels(_at("2025-05-06T11:00"), js)
    )
    months = {"2025-05": zj24}
    assert list(period_labels(_at("2025-05-01T11:00", "2025-05-06T11:00"), months)) == [
        "deep_valley",
        "valley",
    ]


def test_holiday_dates_come_with_their_notice_and_a_year_not_shipped_is_named():
    from lingtan.metering.holidays import holiday_dates, parse_holiday_spec, shipped_holidays

    spring = {h.year: h for h in shipped_holidays() if h.key == "spring_festival"}
    assert (spring[2025].first, spring[2025].last) == (date(2025, 1, 28), date(2025, 2, 4))
    assert spring[2024].document == "国办发明电〔2023〕7号" and spring[2024].url
    days, missing = holiday_dates(parse_holiday_spec("national_day:3"), [2026, 2031])
    assert days == [date(2026, 10, 1), date(2026, 10, 2), date(2026, 10, 3)]
    assert missing == [2031]
    with pytest.raises(InputError) as refused:
        parse_holiday_spec("golden_week;labour_day:0", "calendars.csv row 3")
    assert [p.value for p in refused.value.problems] == ["golden_week", "labour_day:0"]
