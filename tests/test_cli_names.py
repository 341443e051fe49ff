"""Codes in the command line's tables (statuses, families, energy types, quality flags, roles
…) are shown by their Chinese names under ``--lang zh-CN``; JSON and CSV keep the codes, and
English tables show the codes as before."""

import csv
import importlib
import io
import json
import pkgutil

import numpy as np
import pytest
from click.testing import CliRunner

import lingtan.cli
from lingtan.cli.common import CLI_TERMS, Column, name_of
from lingtan.cli.main import main
from lingtan.cli.metering import _interval_lines
from lingtan.i18n.catalog import MISSES
from lingtan.i18n.terms import TERMS
from lingtan.metering.intervals import meter_intervals


@pytest.fixture(autouse=True)
def _no_language_from_the_environment(monkeypatch):
    for name in ("LINGTAN_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)


def invoke(*args: str):
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def every_table() -> dict[str, tuple[Column, ...]]:
    tables = {}
    for module in pkgutil.iter_modules(lingtan.cli.__path__):
        found = importlib.import_module(f"lingtan.cli.{module.name}")
        for name, value in vars(found).items():
            if isinstance(value, tuple) and value and all(isinstance(c, Column) for c in value):
                tables[f"{module.name}.{name}"] = value
    return tables


def test_factor_sets_show_their_family_in_chinese_and_keep_the_code_in_json_and_csv():
    chinese = invoke("--lang", "zh-CN", "factors", "list")
    english = invoke("--lang", "en", "factors", "list")
    assert "燃料" in chinese and "电力" in chinese and "全球变暖潜势" in chinese
    assert "│ fuel " not in chinese and "│ electricity " not in chinese  # the family column
    assert "│ fuel " in english and "│ 燃料" not in english
    assert "是" in chinese and "否" in chinese  # the default column, a boolean
    document = json.loads(invoke("--lang", "zh-CN", "factors", "list", "--format", "json"))
    assert {row["family"] for row in document} >= {"fuel", "electricity", "gwp"}
    rows = list(csv.DictReader(io.StringIO(invoke("--lang", "zh-CN", "factors", "list",
                                                  "--format", "csv"))))  # fmt: skip
    assert {row["family"] for row in rows} >= {"fuel", "electricity", "gwp"}
    assert {row["default"] for row in rows} <= {"True", "False"}


def test_a_factor_shows_its_status_by_name_in_chinese():
    chinese = invoke("--lang", "zh-CN", "factors", "show", "natural_gas")
    english = invoke("--lang", "en", "factors", "show", "natural_gas")
    assert "未核实" in chinese and "unverified" not in chinese  # the fuel defaults' status
    assert "官方" in chinese and "official" not in chinese  # GB/T 2589's NCV
    assert "燃料" in chinese
    assert "unverified" in english and "未核实" not in english
    rows = json.loads(invoke("--lang", "zh-CN", "factors", "show", "natural_gas", "--format",
                             "json"))  # fmt: skip
    assert "unverified" in {row["status"] for row in rows} <= {"official", "unverified"}


def test_the_shipped_calendars_show_their_status_in_chinese():
    chinese = invoke("--lang", "zh-CN", "tou", "list")
    assert "未核实" in chinese and "unverified" not in chinese
    assert "unverified" in invoke("--lang", "en", "tou", "list")


def test_cells_by_name_and_their_fallbacks():
    status = Column("status", names="factor.status")
    assert status.cell("official", "zh-CN") == "官方"
    assert status.cell("official", "en") == "official"
    assert status.cell("no-such-status", "zh-CN") == "no-such-status"  # unknown: as it is
    assert status.cell(None, "zh-CN") == "-"
    assert Column("default").cell(True, "zh-CN") == "是"
    assert Column("default").cell(False, "en") == "no"
    assert Column("energy_type", names="energy.type").cell("natural_gas", "zh-CN") == "天然气"
    assert name_of("token.scope", "ingest", "zh-CN") == "采集"
    assert name_of("meter.problem", "conflict", "en") == "conflict"


def test_every_named_column_names_a_known_family_whose_codes_have_chinese():
    MISSES.clear()
    named = {
        f"{where}.{column.key}": column.names
        for where, columns in every_table().items()
        for column in columns
        if column.names
    }
    assert len(named) >= 10, named  # the walk finds the named columns
    unknown = {where: family for where, family in named.items()
               if family not in TERMS and family not in CLI_TERMS}  # fmt: skip
    assert not unknown
    for family in set(named.values()) | set(CLI_TERMS):
        for code in {**TERMS.get(family, {}), **CLI_TERMS.get(family, {})}:
            assert name_of(family, code, "zh-CN") != code or family == "energy.type", code
    assert not MISSES, MISSES


def test_a_meters_intervals_and_problems_in_chinese():
    day = np.datetime64("2025-03-01T00:00:00", "s")
    stamps = day + np.array([0, 15, 15, 30, 45, 60]) * np.timedelta64(60, "s")
    found = meter_intervals(stamps, np.array([58231.0, 58240.0, 58241.0, 58243.5, 3.1, 15.6]),
                            start="2025-03-01T00:00", end="2025-03-01T01:00",
                            kind="cumulative", unit="kWh")  # fmt: skip
    # 00:15 has two values: neither is used, so 00:00-00:30 is estimated from 58231 and
    # 58243.5 (12.5 kWh spread: 6.25 each); the new meter reads 3.1 at 00:45, 15.6 at 01:00
    np.testing.assert_allclose(found.energy, [6.25, 6.25, 3.1, 12.5])
    assert [p.kind for p in found.problems] == ["estimated", "conflict", "conflict", "replacement"]
    summary, problems = _interval_lines("EL-W1", found, 4, "zh-CN")
    english_summary, english = _interval_lines("EL-W1", found, 4, "en")
    assert english_summary == "EL-W1: 4 intervals: 1 measured, 1 replacement, 2 estimated"
    assert summary == "EL-W1：4 个15分钟时段：实测 1，换表 1，估算 2"
    assert problems == [
        "  估算，读数时间 2025-03-01 08:00:00 +08:00：间隔 0.5 小时（不超过 1 小时）：能量按线性分摊 [kWh]",
        "  读数冲突，读数时间 2025-03-01 08:15:00 +08:00：同一时间戳有 2 个不同的值；均不采用",
        "  读数冲突，读数时间 2025-03-01 08:15:00 +08:00：同一时间戳有 2 个不同的值；均不采用",
        "  换表，读数时间 2025-03-01 08:45:00 +08:00：表码 58243.5 -> 3.1：换表；旧表最后读数作为终值，"
        "新表从 0 起计 [kWh]",
    ]
    assert english[-1] == (
        "  replacement, reading of 2025-03-01 08:45:00 +08:00: register 58243.5 -> 3.1: meter "
        "replaced; old meter's last reading taken as final, new meter counted from 0 [kWh]"
    )


def test_a_missing_database_is_told_in_the_language_of_the_command_line(tmp_path):
    url = f"sqlite:///{tmp_path / 'none.db'}"
    runner = CliRunner()
    for lang, expected in (
        ("zh-CN", f"错误：{url} 处没有 lingtan 数据库：请先运行 `lingtan init`"),
        ("en", f"Error: no lingtan database at {url}: run `lingtan init` first"),
    ):
        result = runner.invoke(main, ["--db", url, "--lang", lang, "meters", "list",
                                      "--facility", "F1"])  # fmt: skip
        assert result.exit_code == 1 and result.stderr.strip() == expected, result.output
        assert not (tmp_path / "none.db").exists()


def test_what_a_command_says_follows_the_language():
    from lingtan.cli.common import warning_line
    from lingtan.i18n import Message

    result = CliRunner().invoke(main, ["--lang", "zh-CN", "factors", "show", "nope"])
    assert result.exit_code == 2
    assert result.stderr.strip() == "没有键或地区为 'nope' 的因子；请查看 `lingtan factors list`"
    result = CliRunner().invoke(main, ["--lang", "en", "factors", "show", "nope"])
    assert result.stderr.strip() == "no factor has key or region 'nope'; see `lingtan factors list`"
    warning = Message("straddling the period and left out: %(items)s", items="A, B")
    stored = warning.as_dict()  # as an inventory keeps it
    assert warning_line(stored, "en") == "warning: straddling the period and left out: A, B"
    assert warning_line(stored, "zh-CN") == "警告：跨越核算期边界、未计入：A, B"
    assert warning_line("an older, plain text", "zh-CN") == "警告：an older, plain text"
