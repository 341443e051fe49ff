"""The help of every command in Chinese when the command line's language is Chinese
(``--lang zh-CN``, ``LINGTAN_LANG`` or a Chinese locale), from the catalogue (context
``cli.help``); in English as before otherwise, without loading the catalogue."""

import inspect
import re
import subprocess
import sys
import unicodedata

import click
import pytest
from click.testing import CliRunner

from lingtan.cli.helptext import _METAVAR, CLICK_TEXTS
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


def tree(command=main, path=("lingtan",), parent=None):
    """``(path, command, context)`` of ``command`` and of every command below it, the lazy
    ones imported."""
    ctx = click.Context(command, info_name=path[-1], parent=parent)
    yield path, command, ctx
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            yield from tree(command.get_command(ctx, name), (*path, name), ctx)


def help_texts(command, ctx):
    """``(where, msgid)`` of every text the help of ``command`` shows, as the Chinese
    formatter looks them up."""
    if command.help:
        yield "", inspect.cleandoc(command.help).partition("\f")[0]
    if command.short_help:
        yield " (short help)", inspect.cleandoc(command.short_help)
    for name, entry in getattr(command, "lazy", {}).items():
        yield f" {name} (line in the table)", entry.help
    for param in command.get_params(ctx):
        record = param.get_help_record(ctx)
        if record is not None:
            where = f" {'/'.join(param.opts)}"
            if param.help:
                yield where, param.help
            for metavar in _METAVAR.findall(record[0]):
                yield f"{where} (metavar)", metavar


def test_every_help_text_of_every_command_has_a_chinese_entry():
    """A command, option or argument without its Chinese help fails here, with each missing
    text (context cli.help, msgid the text as repr shows it) on a line of its own."""
    missing = {
        f"{' '.join(path)}{where}: {text!r}"
        for path, command, ctx in tree()
        for where, text in help_texts(command, ctx)
        if (HELP, text) not in _zh_catalogue()
    }
    missing |= {f"click: {text!r}" for text in CLICK_TEXTS if (HELP, text) not in _zh_catalogue()}
    assert not missing, "help texts without a Chinese entry (msgctxt cli.help):\n" + "\n".join(
        sorted(missing)
    )
    assert len(list(tree())) > 80  # the walk reaches the commands of the groups


def flat(text: str) -> str:
    return "".join(text.split())


def test_the_help_of_every_command_is_chinese_and_english_stays_english():
    """In one process: English, then Chinese, then English again, for every command."""
    paths = [(path[1:], command, ctx) for path, command, ctx in tree() if len(path) > 1]
    english = {path: help_of(*path) for path, _, _ in paths}
    for path, command, ctx in paths:
        shown = help_of("--lang", "zh-CN", *path)
        where = " ".join(path)
        assert shown.startswith(f"用法：main {where} [选项]"), where
        assert "\n选项：\n" in shown and "显示本帮助并退出。" in shown, where
        assert not re.search(r"Usage:|Options:|Commands:|Show this message", shown), where
        if isinstance(command, click.Group):
            assert "\n命令：\n" in shown, where
        for _, text in help_texts(command, ctx):
            if not text.isupper():  # a metavar's Chinese is checked below
                assert flat(chinese(text).partition("\n\n")[0]) in flat(shown), (where, text)
        # lines fit 80 terminal columns, a Chinese character taking two
        assert all(cells(line) <= 80 for line in shown.splitlines()), where
    assert {path: help_of(*path) for path, _, _ in paths} == english
    assert all(e.startswith("Usage: ") and "\nOptions:\n" in e for e in english.values())


def test_a_group_and_its_commands_in_chinese():
    energy = help_of("--lang", "zh-CN", "energy")
    assert energy.startswith("用法：main energy [选项] 命令 [参数]...\n")
    assert "基于计量数据的能源与碳排放" in energy
    # a command's line is the first sentence of its Chinese help, whole however wrapped
    assert re.search(r"\n  totals +各计量节点按能源品种的能耗", energy)
    totals = help_of("--lang", "zh-CN", "energy", "totals")
    assert "--year 整数" in totals and "[必填]" in totals and "[默认：month]" in totals
    assert re.search(r"--month 整数范围 +只统计该月。  \[1<=x<=12\]", totals)
    # click's bracket after the help is never broken
    assert all(line.count("[") == line.count("]") for line in totals.splitlines())
    activity = help_of("--lang", "zh-CN", "import", "activity")
    assert "导入活动数据文件 FILES" in activity and "FILES..." in activity


def test_the_english_help_of_a_command_is_clicks_own():
    english = help_of("energy", "totals")
    assert english.startswith("Usage: main energy totals [OPTIONS]\n")
    assert "--year INTEGER" in english and "[required]" in english
    assert "Show this message and exit." in english


def test_the_help_is_chinese_with_lang_or_the_environment():
    for shown in (
        help_of("--lang", "zh-CN"),
        help_of(LINGTAN_LANG="zh-CN"),
        help_of(LANG="zh_CN.UTF-8"),
    ):
        assert shown.startswith("用法：main [选项] 命令 [参数]...")
        assert "命令：" in shown and "选项：" in shown
        assert "面向零碳工厂的碳排放核算与能源管理" in shown
        for name, entry in COMMANDS.items():
            assert flat(chinese(entry.help)) in flat(shown), name  # whole, however wrapped
        assert "Show this message and exit." not in shown and "显示本帮助并退出。" in shown
        # lines fit 80 terminal columns, a Chinese character taking two
        assert all(cells(line) <= 80 for line in shown.splitlines())


def test_the_help_is_english_otherwise_and_the_language_given_later_wins_nothing():
    english = help_of()
    assert english.startswith("Usage: main [OPTIONS] COMMAND [ARGS]...")
    assert re.search(r"\n  calc +Compute the GHG inventory", english) and "命令" not in english
    assert help_of("--lang", "en", LINGTAN_LANG="zh-CN").startswith("Usage: ")
    assert "Usage: main factors" in help_of("factors")
    assert help_of("--lang", "zh-CN", "factors").startswith("用法：main factors")


def test_chinese_lines_break_between_characters_and_never_before_a_closing_mark():
    lines = _wrap("表格、拒绝信息和本帮助的语言（默认：LINGTAN_LANG，否则按系统区域设置）。", 20)
    assert all(cells(line) <= 20 for line in lines)
    assert (
        "".join(lines) == "表格、拒绝信息和本帮助的语言（默认：LINGTAN_LANG，否则按系统区域设置）。"
    )
    assert not any(line.startswith(("，", "。", "）", "：", "、")) for line in lines)
    assert _wrap("Show the version and exit.", 10) == ["Show the", "version", "and exit."]
    # never after an opening mark; a closing mark takes the character before it along
    assert _wrap("所占比例（0-1）。", 13) == ["所占比例", "（0-1）。"]
    assert _wrap("所用限值行。", 10) == ["所用限", "值行。"]
    # a last line of a lone character takes one more; a short bracket stays whole
    assert _wrap("输送分配终端使用。", 14) == ["输送分配终端", "使用。"]
    assert _wrap("偏移。  [默认：+08:00]", 16) == ["偏移。", "[默认：+08:00]"]


def modules_of(*arguments: str, full: bool = False, **environment: str) -> set[str]:
    """The top-level packages (or with ``full`` the modules) ``python -m lingtan ARGUMENTS``
    imports."""
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "lingtan", *arguments],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin", **environment},
    )
    assert run.returncode == 0, run.stderr[-2000:]
    return {
        (name if full else name.split(".")[0])
        for line in run.stderr.splitlines()
        if line.startswith("import time:") and line.count("|") == 2
        for name in [line.rsplit("|", 1)[1].strip()]
    }


def test_the_english_help_does_not_load_the_catalogue():
    import os

    path = {"PYTHONPATH": os.environ.get("PYTHONPATH", "")}
    assert "babel" not in modules_of("--help", **path)
    # nor that of a command (whose module may format numbers with Babel)
    assert "lingtan.i18n.catalog" not in modules_of("calc", "--help", full=True, **path)
    assert "lingtan.i18n.catalog" in modules_of("--lang", "zh-CN", "calc", "-h", full=True, **path)
    assert "babel" in modules_of("--lang", "zh-CN", "--help", **path)  # the check can fail
