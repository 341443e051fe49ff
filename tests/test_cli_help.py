"""``lingtan --help`` in Chinese when the command line's language is Chinese (``--lang zh-CN``,
``LINGTAN_LANG`` or a Chinese locale), from the catalogue (context ``cli.help``); in English as
before otherwise, without loading the catalogue."""

import re
import subprocess
import sys
import unicodedata

import click
import pytest
from click.testing import CliRunner

from lingtan.cli.lazy import HELP, _wrap
from lingtan.cli.main import COMMANDS, main
from lingtan.i18n.catalog import _zh_catalogue


@pytest.fixture(autouse=True)
def _no_language_from_the_environment(monkeypatch):
    for name in ("LINGTAN_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)


def cells(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def help_of(*arguments: str, **environment: str) -> str:
    result = CliRunner().invoke(main, [*arguments, "--help"], env=environment or None)
    assert result.exit_code == 0, result.output
    return result.stdout


def chinese(text: str) -> str:
    return _zh_catalogue()[HELP, text][0]


def test_every_command_and_option_of_lingtan_has_a_chinese_help():
    """A command added to the table without its Chinese line fails here."""
    ctx = click.Context(main, info_name="lingtan")
    texts = [entry.help for entry in COMMANDS.values()]
    texts += [record[1] for p in main.get_params(ctx) if (record := p.get_help_record(ctx))]
    texts += [main.help, "Usage: ", "[OPTIONS] COMMAND [ARGS]...", "Options", "Commands"]
    missing = [text for text in texts if (HELP, text) not in _zh_catalogue()]
    assert not missing, missing


def test_the_help_is_chinese_with_lang_or_the_environment():
    for shown in (
        help_of("--lang", "zh-CN"),
        help_of(LINGTAN_LANG="zh-CN"),
        help_of(LANG="zh_CN.UTF-8"),
    ):
        assert shown.startswith("用法：main [选项] 命令 [参数]...")
        assert "命令：" in shown and "选项：" in shown
        assert "面向零碳工厂的碳排放核算与能源管理" in shown
        flat = "".join(line.strip() for line in shown.splitlines())
        for name, entry in COMMANDS.items():
            assert chinese(entry.help) in flat, name  # whole, however it is wrapped
        assert "Show this message and exit." not in shown and "显示本帮助并退出。" in shown
        # lines fit 80 terminal columns, a Chinese character taking two
        assert all(cells(line) <= 80 for line in shown.splitlines() if "openapi" not in line)


def test_the_help_is_english_otherwise_and_the_language_given_later_wins_nothing():
    english = help_of()
    assert english.startswith("Usage: main [OPTIONS] COMMAND [ARGS]...")
    assert re.search(r"\n  calc +Compute the GHG inventory", english) and "命令" not in english
    assert help_of("--lang", "en", LINGTAN_LANG="zh-CN").startswith("Usage: ")
    # a sub-command keeps its English help
    assert "Usage: main factors" in help_of("--lang", "zh-CN", "factors")


def test_chinese_lines_break_between_characters_and_never_before_a_closing_mark():
    lines = _wrap("表格、拒绝信息和本帮助的语言（默认：LINGTAN_LANG，否则按系统区域设置）。", 20)
    assert all(cells(line) <= 20 for line in lines)
    assert (
        "".join(lines) == "表格、拒绝信息和本帮助的语言（默认：LINGTAN_LANG，否则按系统区域设置）。"
    )
    assert not any(line.startswith(("，", "。", "）", "：", "、")) for line in lines)
    assert _wrap("Show the version and exit.", 10) == ["Show the", "version", "and exit."]


def modules_of(*arguments: str, **environment: str) -> set[str]:
    """The top-level packages ``python -m lingtan ARGUMENTS`` imports."""
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "lingtan", *arguments],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin", **environment},
    )
    assert run.returncode == 0, run.stderr[-2000:]
    return {
        line.rsplit("|", 1)[1].strip().split(".")[0]
        for line in run.stderr.splitlines()
        if line.startswith("import time:") and line.count("|") == 2
    }


def test_the_english_help_does_not_load_the_catalogue():
    import os

    path = {"PYTHONPATH": os.environ.get("PYTHONPATH", "")}
    assert "babel" not in modules_of("--help", **path)
    assert "babel" in modules_of("--lang", "zh-CN", "--help", **path)  # the check can fail
