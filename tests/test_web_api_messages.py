"""The web API's error messages in the request's language: the ``message`` of an error body is
a catalogue text (English source, Chinese in messages.po), chosen as the screens choose
(``lang`` cookie, then ``Accept-Language``, then Chinese); the status and the problems'
fields stay as they are. A walk of the source fails on an API error raised with a text the
catalogue has no Chinese for."""

import ast
import re
from pathlib import Path

import pytest

from lingtan.i18n.catalog import _zh_catalogue
from lingtan.web.app import HTTP_PHRASES
from web_support import assert_error, build_site

WEB = Path(__file__).resolve().parents[1] / "src" / "lingtan" / "web"
ZH = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}
EN = {"Accept-Language": "en-GB,en;q=0.9"}


@pytest.fixture
def site(database_url, tmp_path):
    built = build_site(database_url, tmp_path)
    yield built
    built.close()


def messages(answer_of, status: int) -> tuple[dict, dict, dict]:
    """The error bodies of one request asked in Chinese, in English and with no language."""
    return tuple(assert_error(answer_of(headers), status) for headers in (ZH, EN, {}))


def test_errors_answer_in_the_language_of_the_request(site):
    anonymous, _ = site.client()
    stale, _ = site.client()
    stale.cookies.set("lingtan_session", "stale")
    admin, _ = site.client("admin_a")
    read, ingest = site.bearer("alpha-read"), site.bearer("alpha-ingest")
    plant = "/api/v1/facilities/ALPHA-PLANT"
    cases = [
        (
            lambda h: anonymous.get("/api/v1/facilities", headers=h),
            401,
            "请先登录",
            "sign in first",
        ),
        (
            lambda h: stale.get("/api/v1/facilities", headers=h),
            401,
            "会话已过期：请重新登录",
            "the session has expired: sign in again",
        ),
        (
            lambda h: read.post(f"{plant}/inventories", json={}, headers=h),
            403,
            "只读令牌不能修改任何数据",
            "a read token may not change anything",
        ),
        (
            lambda h: ingest.get("/api/v1/facilities", headers=h),
            403,
            "采集令牌只能发送读数",
            "an ingest token may only send readings",
        ),
        (
            lambda h: admin.get("/api/v1/facilities/NO-SUCH-PLANT", headers=h),
            404,
            "没有该设施",
            "no such facility",
        ),
        (
            lambda h: admin.get(f"{plant}/meters/NO-SUCH/carbon?day=2025-01-01", headers=h),
            404,
            "没有该计量器具",
            "no such meter",
        ),
        (
            lambda h: admin.get("/api/v1/audit?limit=abc", headers=h),
            422,
            "请求格式有误",
            "the request is malformed",
        ),
        (
            lambda h: admin.get(f"{plant}/rollups?start=2025-02-01&end=2025-01-01", headers=h),
            422,
            "输入被拒绝，未做任何更改",
            "the input was refused; nothing was changed",
        ),
        (lambda h: admin.get("/api/v1/no-such-route", headers=h), 404, "没有该对象", "Not Found"),
        (
            lambda h: anonymous.post(
                "/api/v1/session", json={"username": "admin_a", "password": "wrong"}, headers=h
            ),
            401,
            "用户名或密码错误",
            "wrong user name or password",
        ),
    ]
    for answer_of, status, chinese, english in cases:
        zh, en, unasked = messages(answer_of, status)
        assert zh["message"] == chinese, (english, zh)
        assert en["message"] == english, (english, en)
        assert unasked["message"] == chinese  # no language asked: Chinese, as the screens
        # the machine-readable parts do not depend on the language
        assert zh["status"] == en["status"] == status
        assert [p["field"] for p in zh["problems"]] == [p["field"] for p in en["problems"]]
        assert [p["rule"] for p in zh["problems"]] == [p["rule"] for p in en["problems"]]
    # the language cookie (the screens' switch) wins over the browser's languages
    anonymous.cookies.set("lang", "en")
    assert assert_error(anonymous.get("/api/v1/facilities", headers=ZH), 401)["message"] == (
        "sign in first"
    )


def test_each_refused_value_is_told_in_the_language_of_the_request(site):
    admin, _ = site.client("admin_a")
    url = "/api/v1/facilities/ALPHA-PLANT/rollups?start=2025-02-01&end=2025-01-01"
    zh, en = (assert_error(admin.get(url, headers=h), 422)["problems"] for h in (ZH, EN))
    machine = {"where": "query", "field": "end", "value": "2025-01-01", "rule": "is before start"}
    assert zh == [{**machine, "message": "查询参数：字段 end = '2025-01-01'：早于开始日期"}]
    assert en == [{**machine, "message": "query: field 'end' = '2025-01-01': is before start"}]


def test_a_malformed_request_names_each_broken_rule_in_the_language_of_the_request(site):
    admin, _ = site.client("admin_a")
    zh, en = (assert_error(admin.get("/api/v1/audit?limit=abc", headers=h), 422) for h in (ZH, EN))
    machine = {"where": "query", "field": "limit", "value": "abc"}
    (zh_problem,), (en_problem,) = zh["problems"], en["problems"]
    assert zh_problem == {**machine, "rule": en_problem["rule"], "message": zh_problem["message"]}
    assert en_problem["rule"].startswith("Input should be a valid integer")  # pydantic's own
    assert zh_problem["message"] == "查询参数：字段 limit = 'abc'：应为有效的整数"
    assert en_problem["message"] == f"query: field 'limit' = 'abc': {en_problem['rule']}"


def test_each_pydantic_rule_has_chinese_with_the_fields_of_its_error():
    from lingtan.i18n.catalog import texts
    from lingtan.web.app import REQUEST_RULES, _rule

    zh = texts("zh-CN")
    for kind, msgid in REQUEST_RULES.items():
        assert (None, msgid) in _zh_catalogue(), msgid
        fields = dict.fromkeys(re.findall(r"%\((\w+)\)", msgid), 7)
        shown = zh.message(_rule({"type": kind, "msg": "english", "ctx": fields}, "zh-CN"))
        assert re.search(r"[\u4e00-\u9fff]", shown) and ("7" in shown or not fields), kind
    # an error lacking a field of the text keeps pydantic's text
    assert _rule({"type": "greater_than", "msg": "Input should be greater than 0"}, "zh-CN") == (
        "Input should be greater than 0"
    )
    assert _rule({"type": "missing", "msg": "Field required"}, "en") == "Field required"


def test_a_problem_s_text_cuts_a_long_value_as_the_value_is_cut():
    from lingtan.errors import InputProblem
    from lingtan.i18n import Message
    from lingtan.web.deps import problem_text

    long = InputProblem("a.csv row 2", "unit", "x" * 5000, Message("is not a unit"))
    for lang in ("en", "zh-CN"):
        text = problem_text(long, lang)
        assert len(text) < 300 and "x" * 199 + "…" in text, text
    assert problem_text(long, "en").startswith("a.csv row 2: field 'unit' = 'xxx")


def test_a_filled_message_keeps_its_values_in_chinese(site):
    admin, csrf = site.client("admin_a")
    too_big = b"x" * 5000  # the site's upload limit is 4,096 bytes
    answer = admin.post(
        f"/api/v1/activity-records/{site.ids['record_id']}/evidence",
        files={"file": ("bill.pdf", too_big, "application/pdf")},
        headers={"X-CSRF-Token": csrf, **ZH},
    )
    assert assert_error(answer, 413)["message"] == "文件超过 4096 字节"
    whole = admin.post(  # refused by the limit of a request's body, before the route
        "/api/v1/facilities/ALPHA-PLANT/inventories",
        content=b"x" * 200_000,
        headers={"X-CSRF-Token": csrf, "Content-Type": "application/json", **ZH},
    )
    assert assert_error(whole, 413)["message"] == f"请求超过 {4096 + 64 * 1024} 字节"


# --- every API error's text has Chinese ------------------------------------------------------

#: Calls whose argument is the message of an API error: name -> position of the message.
MESSAGE_ARGUMENT = {"ApiError": 1, "not_found": 0, "StoppedError": None}


def _function_parameters(tree: ast.AST) -> dict[ast.AST, set[str]]:
    """Each node of ``tree`` -> the parameters of the functions around it."""
    around: dict[ast.AST, set[str]] = {}

    def visit(node: ast.AST, names: set[str]) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            arguments = node.args
            every = arguments.posonlyargs + arguments.args + arguments.kwonlyargs
            names = names | {a.arg for a in every}
        around[node] = names
        for child in ast.iter_child_nodes(node):
            visit(child, names)

    visit(tree, set())
    return around


def _constants(tree: ast.Module) -> dict[str, ast.expr]:
    """Module-level ``NAME = expression``."""
    return {
        target.id: statement.value
        for statement in tree.body
        if isinstance(statement, ast.Assign)
        for target in statement.targets
        if isinstance(target, ast.Name)
    }


def untranslated(source: str, where: str) -> tuple[int, list[str]]:
    """(API error texts found, what is wrong with them) in a module's ``source``: every message
    of an ``ApiError``, ``not_found`` or ``what=`` must be a ``Message``/``N_`` of a literal
    the catalogue has Chinese for (or a parameter passed on, or a module constant of one);
    an ``error_body`` never gets a literal (it is sent as it is)."""
    tree = ast.parse(source)
    parameters, constants = _function_parameters(tree), _constants(tree)
    catalogue = _zh_catalogue()
    wrong: list[str] = []
    found = 0

    def check(node: ast.expr, line: int) -> None:
        nonlocal found
        if isinstance(node, ast.IfExp):
            check(node.body, line)
            check(node.orelse, line)
            return
        if isinstance(node, ast.Name):
            if node.id in parameters.get(node, set()):
                return  # passed on: checked where it is given
            if node.id in constants:
                check(constants[node.id], line)
                return
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("Message", "N_")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found += 1
            if (None, node.args[0].value) not in catalogue:
                wrong.append(f"{where}:{line}: no Chinese for {node.args[0].value!r}")
            return
        wrong.append(f"{where}:{line}: not a catalogue text: {ast.unparse(node)}")

    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", getattr(node.func, "attr", None))
            position = MESSAGE_ARGUMENT.get(name)
            if position is not None and len(node.args) > position:
                check(node.args[position], node.lineno)
            literal = len(node.args) > 1 and isinstance(node.args[1], ast.Constant | ast.JoinedStr)
            if name in ("error_body", "_error") and literal:
                wrong.append(f"{where}:{node.lineno}: error_body of a literal text")
            for keyword in node.keywords:
                if keyword.arg == "what":
                    check(keyword.value, node.lineno)
        elif isinstance(node, ast.FunctionDef):  # defaults: not_found(what=Message(...))
            positional = node.args.posonlyargs + node.args.args
            defaults = zip(
                positional[len(positional) - len(node.args.defaults) :],
                node.args.defaults,
                strict=True,
            )
            for argument, default in [
                *defaults,
                *zip(node.args.kwonlyargs, node.args.kw_defaults, strict=True),
            ]:
                if argument.arg == "what" and default is not None:
                    check(default, node.lineno)
    return found, wrong


def test_every_api_error_text_has_chinese():
    found, wrong = 0, []
    for path in sorted(WEB.glob("*.py")):
        count, problems = untranslated(path.read_text(encoding="utf-8"), path.name)
        found += count
        wrong += problems
    assert found >= 40, found  # the walk finds the errors (about 50 today)
    assert not wrong, "\n".join(wrong)


def test_the_walk_fails_on_an_english_only_error():
    source = (
        "def route(code):\n"
        "    raise ApiError(404, 'no such widget')\n"
        "def other(t):\n"
        "    raise ApiError(403, t.gettext('Your role may not start report jobs.'))\n"
        "def third():\n"
        "    raise not_found(Message('no such widget either'))\n"
        "def fourth():\n"
        "    return error_body(401, f'wrong {1}')\n"
        "def fifth():\n"
        "    raise ApiError(404, Message('no such node'))\n"
    )
    found, wrong = untranslated(source, "probe.py")
    assert found == 2  # the two Message texts; the last has Chinese
    assert len(wrong) == 4, wrong
    assert any("no Chinese for 'no such widget either'" in w for w in wrong)


def test_the_http_reason_phrases_have_chinese():
    assert {"Not Found", "Method Not Allowed"} <= HTTP_PHRASES
    assert all(("http.status", phrase) in _zh_catalogue() for phrase in HTTP_PHRASES)
