"""Click's own errors and prompts in the command line's language (``lingtan.cli.clicktext``):
Chinese from the catalogue (context ``click``) for ``--lang zh-CN``, ``LINGTAN_LANG`` or a
Chinese locale; click's English otherwise, unchanged."""

import re
from pathlib import Path

import click
import pytest
from babel.messages.extract import extract_from_file
from click.testing import CliRunner

from lingtan.cli.clicktext import CONTEXT, MESSAGES, MODULES, PLURALS
from lingtan.cli.main import main
from lingtan.i18n.catalog import _zh_catalogue


@pytest.fixture(autouse=True)
def _no_language_from_the_environment(monkeypatch):
    for name in ("LINGTAN_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)


def run(*arguments: str, **environment: str):
    return CliRunner().invoke(main, list(arguments), env=environment or None)


def click_texts() -> tuple[set[str], dict[str, str]]:
    """The texts the installed click looks up: single ones, and plurals by their singular."""
    single, plural = set(), {}
    folder = Path(click.__file__).parent
    for name in MODULES:
        path = folder / f"{name.removeprefix('click.')}.py"
        keywords = {"_": None, "ngettext": (1, 2)}
        for _, message, _, _ in extract_from_file("python", str(path), keywords=keywords):
            if isinstance(message, tuple):
                plural[message[0]] = message[1]
            else:
                single.add(message)
    return single, plural


def test_every_translated_text_is_one_of_the_installed_clicks():
    single, plural = click_texts()
    assert not MESSAGES - single, "click no longer looks these up; reword them"
    assert not PLURALS - plural.keys()


def test_every_text_of_clicks_errors_has_chinese_with_the_same_fields():
    fields = re.compile(r"\{\w+(?:![rsa])?\}")
    catalogue = _zh_catalogue()
    plurals = click_texts()[1]
    for text in MESSAGES | PLURALS:
        assert (CONTEXT, text) in catalogue, text
        (chinese,) = catalogue[CONTEXT, text]
        assert re.search(r"[\u4e00-\u9fff]", chinese), text
        if text in PLURALS:  # Chinese has one form for any number: click fills either's fields
            english = set(fields.findall(text)) | set(fields.findall(plurals[text]))
            assert fields.findall(chinese) and set(fields.findall(chinese)) <= english, text
        elif text.startswith("{name} {filename!r}"):  # the path's kind is English: left out
            assert set(fields.findall(chinese)) == {"{filename!r}"}, text
        else:
            assert set(fields.findall(chinese)) == set(fields.findall(text)), text


def test_a_missing_option_in_chinese_and_in_english():
    position = ("efficiency", "position", "--value", "12")
    zh = run("--lang", "zh-CN", *position)
    assert zh.exit_code == 2
    assert "错误：缺少选项 '--product'" in zh.stderr  # click adds the full stop itself
    assert "运行 'main efficiency position --help' 查看帮助。" in zh.stderr
    assert "用法：" in zh.stderr and "Missing option" not in zh.stderr

    en = run(*position)
    assert en.exit_code == 2
    assert "Error: Missing option '--product'." in en.stderr
    assert "Try 'main efficiency position --help' for help." in en.stderr


def test_a_wrong_command_option_and_value_in_chinese():
    unknown = run("--lang", "zh-CN", "inventroy")
    assert "没有命令 'inventroy'。" in unknown.stderr
    option = run("meters", "list", "--nonsense", LINGTAN_LANG="zh-CN")
    assert "没有选项 '--nonsense'。" in option.stderr
    choice = run("--lang", "fr", LANG="zh_CN.UTF-8")  # the locale speaks when --lang cannot
    assert "'--lang' 的值无效：'fr' 不是 'zh-CN', 'en' 之一。" in choice.stderr
    assert "Invalid value for '--lang'" in run("--lang", "fr").stderr


def test_a_file_that_does_not_exist_is_named_in_chinese(tmp_path):
    missing = tmp_path / "nowhere.yaml"
    result = run("--lang", "zh-CN", "meters", "define", str(missing))
    assert result.exit_code == 2
    assert f"错误：'FILE' 的值无效：'{missing}' 不存在。" in result.stderr


def test_the_language_of_one_command_line_does_not_stay_for_the_next():
    assert "缺少选项" in run("--lang", "zh-CN", "efficiency", "position").stderr
    assert "Missing option" in run("efficiency", "position").stderr
