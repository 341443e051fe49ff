"""Chinese throughout: every page and report of the demo rendered in zh-CN asks the catalogue
only for texts it has, the catalogue has a Chinese text for every text of the code, and the
words the Chinese screens used to show in English are gone."""

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient

from lingtan.demo.build import FACILITY
from lingtan.demo.web import DEMO_PASSWORD
from lingtan.errors import InputError
from lingtan.i18n import Message, format_time
from lingtan.i18n.catalog import KEYWORDS, MISSES, PO_FILE, texts
from lingtan.reports import render_html, render_xlsx
from lingtan.services.report_data import report_data
from lingtan.store.db import make_engine, session_scope
from lingtan.store.models import Inventory, Meter
from lingtan.web.app import create_app
from lingtan.web.pages import LOGIN_CSRF_COOKIE as LOGIN_CSRF
from web_support import app_routes

ROOT = Path(__file__).resolve().parents[1]
#: English words that the zh-CN screens showed before the catalogue (issue 9), as words of the
#: visible text (codes, numbers, units and the factory's own names are not checked).
ONCE_ENGLISH = (
    "shipped", "official", "unverified", "invoice", "NCV", "must not be negative", "row",
    "metering fault", "compute", "import", "create", "not in tce", "made inside",
    "no standard-coal coefficient", "consumers metered", "oxidation rate",
)  # fmt: skip


#: What the Chinese evaluation page showed from its data (issue 14): the evidence of the
#: computed facts, the rule sets' clauses and notes, the codes of facts and their values.
DATA_ENGLISH = (
    "ledger entries", "ledger: no retirements", "inventory", "condition", "basic requirements",
    "evaluation indicator system", "prerequisites", "secondary sources", "not seen",
    "declared", "provincial", "national", "benchmark", "advanced", "true", "false", "years",
)  # fmt: skip


def data_english(text: str) -> list[str]:
    """The English of :data:`DATA_ENGLISH` and the codes (``management_plan``) in a Chinese
    page's text, file names and user names aside."""
    text = re.sub(r"\S+\.(?:csv|pdf|xlsx|png|jpe?g|txt)\b", " ", text)
    text = re.sub(r"\b(?:manager|viewer|admin|auditor)_[a-z]\b", " ", text)
    found = [w for w in DATA_ENGLISH if re.search(rf"\b{re.escape(w)}\b", text)]
    return found + re.findall(r"\b[a-z]+(?:_[a-z0-9]+)+\b", text)


def visible_text(html: str) -> str:
    """The text a reader sees: no scripts, styles, code, tags or attributes; nor what is
    marked ``lang="en"`` (the research notes of the shipped factor data, in English) or a
    formula (``E = FC x NCV x CC x OF x 44/12``: the symbols of GB/T 32150)."""
    html = re.sub(r"<(script|style|code)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r"<(\w+)[^>]*\blang=\"en\"[^>]*>.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r"<span class=\"formula\">.*?</span>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture(scope="module")
def site(demo_copy, tmp_path_factory):
    url = demo_copy(tmp_path_factory.mktemp("i18n-demo"))
    MISSES.clear()
    client = TestClient(create_app(url))
    answer = client.post("/api/v1/session", json={"username": "demo", "password": DEMO_PASSWORD})
    assert answer.status_code == 200, answer.text
    engine = make_engine(url)
    yield client, answer.json()["csrf_token"], engine
    engine.dispose()


def pages(engine) -> list[tuple[str, str]]:
    """(route, URL) of every screen, with the demo's own objects in the URLs."""
    with session_scope(engine) as session:
        inventory = session.query(Inventory).order_by(Inventory.id).first()
        line = inventory.result["lines"][0]["source_id"]
        category = next(iter(inventory.result["totals"]["by_gbt32150_category_tco2e"]))
        meters = {m.virtual_formula is None: m.code for m in session.query(Meter)}
        iid = inventory.id
    return [
        ("/overview", "/overview"),
        ("/energy", "/energy"),
        ("/energy", "/energy?month=3"),
        ("/energy/nodes/{node}", "/energy/nodes/site"),
        ("/energy/nodes/{node}", "/energy/nodes/electrode?month=7"),
        ("/budgets", "/budgets"),
        ("/intensity", "/intensity"),
        ("/alerts", "/alerts"),
        ("/alerts", "/alerts?year=2025"),
        ("/efficiency", "/efficiency"),
        ("/efficiency", "/efficiency?level=NOT_COMPLIANT&type=motor"),
        ("/evaluation", "/evaluation"),
        ("/evaluation", "/evaluation?scheme=suzhou-2026&year=2025"),
        ("/inventories", "/inventories"),
        ("/inventories/{inventory_id}", f"/inventories/{iid}"),
        ("/inventories/{inventory_id}", f"/inventories/{iid}?category={category}"),
        ("/inventories/{inventory_id}/lines/{line_id}", f"/inventories/{iid}/lines/{line}"),
        ("/data", "/data"),
        ("/data/meters/{code}", f"/data/meters/{meters[True]}"),
        ("/data/meters/{code}", f"/data/meters/{meters[False]}"),
        ("/data/meters/{code}", f"/data/meters/{meters[True]}?start=2025-07-11&end=2025-07-01"),
        ("/factors", "/factors"),
        ("/factors", "/factors?set=cn-fuel-defaults-2015"),
        ("/factors", "/factors?set=mee-electricity-2023&region=CN-JS"),
        ("/audit", "/audit"),
        ("/reports", "/reports"),
        ("/assets", "/assets?year=2025"),
        ("/assets/matching", "/assets/matching?year=2025"),
        ("/assets/matching", "/assets/matching?year=2024"),  # refused: no readings of 2024
        ("/footprint", "/footprint"),
        ("/footprint/studies/{study_id}", "/footprint/studies/demo-cell-study"),
        ("/footprint/studies/{study_id}", "/footprint/studies/no-such-study"),
        ("/planning", "/planning"),
        ("/planning", "/planning?plan=1&compare=1"),
        ("/overview", "/inventories/999999"),  # the error page
    ]


def screen_routes(client) -> set[str]:
    """The paths of the HTML screens (not the API, static files, sign-in or switches)."""
    found = {
        path
        for path, route in app_routes(client.app.routes)
        if "GET" in route.methods
        and not route.include_in_schema
        and not path.startswith(("/static", "/lang", "/login", "/api", "/3/", "/.well-known"))
        and path not in ("/", "/docs", "/redoc", "/openapi.json")
    }
    assert {"/overview", "/energy", "/audit"} <= found, found  # the walk finds the screens
    return found


def test_every_page_and_report_in_chinese_uses_only_translated_texts(site):
    client, csrf, engine = site
    client.cookies.set("lang", "zh-CN")
    visited = pages(engine)
    assert screen_routes(client) <= {route for route, _ in visited}, (
        "a new screen: add its URL to pages()"
    )
    shown = {}
    for _, url in visited:
        answer = client.get(url)
        assert answer.status_code in (200, 404, 422), (url, answer.status_code)
        shown[url] = visible_text(answer.text)
    refused = client.post(
        f"/data/activity?facility={FACILITY}",
        data={"csrf_token": csrf},
        files={"file": ("bad.csv", b"source,period_start,period_end,quantity,unit\n"
                        b"natural_gas,2025-01-01,2025-01-31,-5,m3\n", "text/csv")},
    )  # fmt: skip
    assert refused.status_code == 422
    shown["refused import"] = visible_text(refused.text)
    with session_scope(engine) as session:
        data = report_data(session, session.query(Inventory).order_by(Inventory.id).first())
    shown["report"] = visible_text(render_html(data, "zh-CN"))
    render_xlsx(data, "zh-CN")
    assert not MISSES, "texts without Chinese (context, msgid):\n" + "\n".join(
        f"  {context!r} {msgid!r}" for context, msgid in sorted(MISSES, key=str)
    )
    left = {
        where: sorted(w for w in ONCE_ENGLISH if re.search(rf"\b{re.escape(w)}\b", text))
        for where, text in shown.items()
    }
    assert not {where: words for where, words in left.items() if words}
    evaluation = {url: data_english(text) for url, text in shown.items()
                  if url.startswith("/evaluation")}  # fmt: skip
    assert len(evaluation) >= 2 and not {url: w for url, w in evaluation.items() if w}


def test_the_catalogue_has_chinese_for_every_text_of_the_code():
    """What ``pybabel extract -F babel.cfg`` finds (docs/web.md) is translated, not fuzzy."""
    with PO_FILE.open("rb") as handle:
        catalog = read_po(handle, locale="zh_CN")
    method_map = [
        ("**.py", "python"),
        ("web/templates/**.html", "jinja2"),
        ("reports/templates/**.j2", "jinja2"),
    ]
    options = {pattern: {"extensions": "jinja2.ext.i18n"} for pattern, _ in method_map[1:]}
    found = {
        (context, msgid if isinstance(msgid, str) else msgid[0])
        for _, _, msgid, _, context in extract_from_dir(
            ROOT / "src" / "lingtan", method_map, options, keywords=KEYWORDS
        )
    }
    assert len(found) > 400
    missing = sorted(
        (context, msgid)
        for context, msgid in found
        if (m := catalog.get(msgid, context=context)) is None or not m.string or m.fuzzy
    )
    assert not missing, f"{len(missing)} texts without Chinese: {missing}"
    babel_cfg = (ROOT / "babel.cfg").read_text()
    assert all(pattern in babel_cfg for pattern, _ in method_map)


def test_placeholders_of_the_translations_match():
    """A Chinese text has the same %(name)s fields as its English msgid (each plural form as
    the English plural: Chinese has one form)."""
    with PO_FILE.open("rb") as handle:
        catalog = read_po(handle, locale="zh_CN")
    fields = re.compile(r"%\(\w+\)[-+ #0]*\d*(?:\.\d+)?[sdfgr]|%%")

    def last(text: str | tuple[str, ...]) -> str:
        return text[-1] if isinstance(text, tuple) else text

    def every(text: str | tuple[str, ...]) -> tuple[str, ...]:
        return text if isinstance(text, tuple) else (text,)

    wrong = [
        (m.context, m.id)
        for m in catalog
        if m.id
        and any(
            sorted(fields.findall(last(m.id))) != sorted(fields.findall(string))
            for string in every(m.string)
        )
    ]
    assert not wrong


def test_a_message_is_english_text_and_chinese_on_screen():
    warning = Message("straddling the period and left out: %(items)s", items="A, B")
    assert warning == "straddling the period and left out: A, B"  # readable as it is stored
    assert texts("zh-CN").message(warning) == "跨越核算期边界、未计入：A, B"
    assert texts("zh-CN").message(warning.as_dict()) == "跨越核算期边界、未计入：A, B"
    assert texts("en").message(warning) == warning
    assert texts("zh-CN").message("an older result's text") == "an older result's text"


def test_times_for_people_in_the_facility_time_zone():
    moment = datetime(2025, 3, 1, 6, 5, 42, 123456, tzinfo=UTC)
    assert format_time(moment) == "2025-03-01 14:05"  # Asia/Shanghai, UTC+8
    assert format_time(moment.replace(tzinfo=None)) == "2025-03-01 14:05"  # naive is UTC
    assert format_time("2025-03-01T06:05:42.123456+00:00") == "2025-03-01 14:05"
    assert format_time(moment, "Europe/London") == "2025-03-01 06:05"
    assert format_time(None) == "—"


def test_the_audit_page_shows_local_minutes(site):
    client, _, _ = site
    page = client.get("/audit").text
    times = re.findall(r"<td>(\d{4}-\d\d-\d\d[ T][\d:.+]+)</td>", page)
    assert times and all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", t) for t in times)
    assert "+00:00" not in page and not re.search(r"\d\d:\d\d:\d\d\.\d", page)


def test_the_catalogue_is_read_from_the_po_without_a_compiled_mo():
    """The .po is read at start (no compiled .mo): plural entries keep their one Chinese form.

    How long that takes is measured by ``benchmarks/startup.py``, not asserted here: a timed
    assertion fails on a loaded machine.
    """
    from lingtan.i18n import catalog

    catalog._zh_catalogue.cache_clear()
    texts = catalog._zh_catalogue()
    assert texts[None, "Sign in"] and all(len(forms) == 1 for forms in texts.values())


ROLES_INPUT = """facility: {name: T, region: Jiangsu}
period: {start: 2025-01-01, end: 2025-12-31}
sources:
  - {id: gas, kind: fuel_combustion, fuel: natural_gas, quantity: 1000, unit: 10^4 Nm3,
     ch4_factor: 1, ch4_factor_unit: kg/TJ, n2o_factor: 0.1, n2o_factor_unit: kg/TJ}
  - {id: coal, kind: fuel_combustion, fuel: lignite, quantity: 10, unit: t}
  - {id: wood, kind: biomass_combustion, quantity: 5, unit: t, factor: 1.5, factor_unit: t/t}
  - {id: lime, kind: process_carbonate, carbonate: CaCO3, quantity: 100, unit: t, purity: 0.9}
  - {id: r410a, kind: fugitive, gas: R-410A, quantity: 5, unit: kg}
  - {id: sf6, kind: fugitive, gas: SF6, quantity: 1, unit: kg}
  - {id: grid, kind: purchased_electricity, quantity: 1000, unit: MWh}
  - {id: steam, kind: purchased_heat, medium: steam, quantity: 100, unit: t, enthalpy: 2800}
  - {id: water, kind: purchased_heat, medium: hot_water, quantity: 100, unit: t,
     temperature: 80}
  - {id: co2, kind: recovered_co2, quantity: 1, unit: 10^4 Nm3, purity: 0.99}
instruments:
  - {id: gec, kind: gec, quantity: 100, unit: certificates, sources: [grid], serial: G-1..100}
"""


def test_every_factor_role_has_a_chinese_name(tmp_path):
    """The role of every parameter on a line — composed ones too ("GWP HFC-125", "R-410A mass
    fraction HFC-32") — is named in Chinese on zh-CN screens and reports, as computed and as
    read back from a stored result."""
    from lingtan.accounting.engine import compute_inventory
    from lingtan.accounting.serialize import result_to_dict
    from lingtan.calcfile import load_calc_file

    path = tmp_path / "roles.yaml"
    path.write_text(ROLES_INPUT, encoding="utf-8")
    inventory, library = load_calc_file(path)
    result = compute_inventory(inventory, library)
    zh, stored = texts("zh-CN"), result_to_dict(result)
    uses = [use for line in result.lines for use in line.factors]
    assert {"GWP HFC-125", "R-410A mass fraction HFC-32", "CO2 density"} <= {u.role for u in uses}
    for use in uses:
        name = zh.factor_role(use.role)
        assert re.search(r"[\u4e00-\u9fff]", name), (use.role, name)
    for line in stored["lines"]:
        for use in line["factors"]:
            name = zh.factor_role(use["role"], use.get("role_message"))
            assert re.search(r"[\u4e00-\u9fff]", name), (use["role"], name)
    assert zh.factor_role("GWP HFC-125") == "GWP HFC-125"  # a plain string is not parsed


def test_the_sign_in_page_speaks_the_visitors_language(demo_copy, tmp_path):
    """Before sign-in the language is the cookie's or the browser's: the page is Chinese by
    default (no English line beside it), English with the switch, and so are its refusals."""
    client = TestClient(create_app(demo_copy(tmp_path)))
    chinese = visible_text(client.get("/login").text)
    assert "登录" in chinese and "零碳" in chinese
    assert not re.search(r"\b(Sign in|User name|Password|Carbon accounting)\b", chinese)
    wrong = client.post(
        "/login",
        data={"username": "demo", "password": "not it", "csrf_token": client.cookies[LOGIN_CSRF]},
    )
    assert wrong.status_code == 401 and "用户名或密码错误" in wrong.text
    switched = client.get("/lang/en?next=/login")
    assert switched.status_code == 200 and switched.url.path == "/login"
    english = re.sub(r"<[^>]+>", " ", switched.text)  # the whole page is lang="en"
    rest = english.replace("零碳", "").replace("中文", "")  # the brand and the switch
    assert "Sign in" in english and not re.search(r"[\u4e00-\u9fff]", rest)
    client.cookies.delete("lang")
    assert "User name" in client.get("/login", headers={"Accept-Language": "en-GB"}).text


def english_words(shown: str, allowed: str) -> list[str]:
    """The words of four letters or more of ``shown`` in Latin letters that are not in
    ``allowed``: the input (its codes, units and values) and the values of the message.
    A name with an underscore or a digit (``calendar_id``, ``CO2``) is a code."""
    known = {word.casefold() for word in re.findall(r"[A-Za-z]+", allowed)}
    return [
        word
        for word in re.findall(r"[A-Za-z][A-Za-z0-9_]*", shown)
        if re.fullmatch(r"[A-Za-z]{4,}", word) and word.casefold() not in known
    ]


def values_of(text: object) -> str:
    """The plain values of a Message, and of the Messages among them: codes, numbers, units,
    lists of known codes — what the text names, not its words."""
    if not isinstance(text, Message):
        return ""
    return " ".join(
        values_of(value) if isinstance(value, Message) else str(value)
        for value in text.params.values()
    )


#: Names that stay as they are in Chinese: the program, and a unit spelled as in the input.
CODES = "lingtan certificates"


def refusals(run, given: str) -> list[tuple[str, str, str]]:
    """The problems of an input refused by ``run``, as a zh-CN screen shows them, each
    checked: Chinese in the rule and no English word but those of the input or its values."""
    zh = texts("zh-CN")
    with pytest.raises(InputError) as caught:
        run()
    shown = []
    for problem in caught.value.problems:
        row = (zh.message(problem.where), zh.message(problem.field), zh.message(problem.rule))
        allowed = " ".join([given, CODES, *map(values_of, vars_of(problem))])
        assert re.search(r"[\u4e00-\u9fff]", row[2]), (problem, row)
        assert re.search(r"[\u4e00-\u9fff]", row[0] + row[1]), (problem, row)
        assert not english_words(" ".join(row), allowed), (problem, row)
        shown.append(row)
    return shown


def vars_of(problem) -> tuple[object, object, object]:
    return problem.where, problem.field, problem.rule


REFUSED_CALC = """facility: {name: T, region: Jiangsu}
period: {start: 2025-01-01, end: 2025-12-31}
sources:
  - {id: boiler, kind: fuel_combustion, fuel: whale_oil, quantity: 10, unit: t}
  - {id: grid, kind: purchased_electricity, quantity: 100, unit: t}
  - {id: r410a, kind: fugitive, gas: R-410A, quantity: 5, unit: kWh}
"""
REFUSED_INSTRUMENTS = """facility: {name: T, region: Jiangsu}
period: {start: 2025-01-01, end: 2025-12-31}
sources:
  - {id: grid, kind: purchased_electricity, quantity: 100, unit: MWh}
instruments:
  - {id: gec, kind: gec, quantity: 100, unit: litres, sources: [grid, boiler]}
  - {id: ppa, kind: green_power, quantity: 500, unit: MWh, serial: P-1..3;P-2}
"""
REFUSED_TARIFF = (
    "energy_type,component,period,month_from,month_to,price,unit,status,note\n"
    "electricity,energy,peak,2025-06,2025-06,1.0,CNY/kWh,user,test prices\n"
    "electricity,energy,flat,2025-06,2025-06,0.6,CNY/kWh,user,test prices\n"
    "electricity,energy,valley,2025-06,2025-06,0.3,CNY/kWh,user,test prices\n"
    "electricity,energy,peak,2025-05,2025-07,1.1,CNY/kWh,user,again\n"
)
REFUSED_FACTORS = (
    "set_id,version,family,key,region,parameter,value,unit,data_year,issuer,status\n"
    "mine,1,fuel,whale_oil,,ncv,abc,GJ/t,2025,me,official\n"
    "mine,1,fuel,whale_oil,,carbon_content,0.02,kWh,2025,me,approved\n"
    "mine,1,fuel,whale_oil,,colour,1,t,2025,me,official\n"
)
REFUSED_CALENDAR = (
    "calendar_id,months,day_type,start,end,label\n"
    "gaps,1-12,normal,00:00,08:00,valley\n"
    "gaps,1-12,normal,09:00,24:00,peak\n"
    "gaps,1-12,normal,07:00,08:00,flat\n"
)


def test_refusals_of_inputs_are_chinese_on_zh_screens(tmp_path):
    """The where, field and rule of a refused calc file, tariff, factor CSV and TOU calendar
    are shown in Chinese (issue 9): no English words but the input's own codes and values."""
    from lingtan.accounting.engine import compute_inventory
    from lingtan.calcfile import load_calc_file
    from lingtan.cost.tariffs import read_tariff_file
    from lingtan.factors import read_factor_file
    from lingtan.metering.tou import read_calendar_file

    files = {
        "calc.yaml": REFUSED_CALC,
        "instruments.yaml": REFUSED_INSTRUMENTS,
        "tariff.csv": REFUSED_TARIFF,
        "factors.csv": REFUSED_FACTORS,
        "calendar.csv": REFUSED_CALENDAR,
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    given = lambda name: f"{tmp_path / name} {files[name]}"  # noqa: E731
    calc = refusals(
        lambda: compute_inventory(*load_calc_file(tmp_path / "calc.yaml")), given("calc.yaml")
    )
    assert [where for where, _, _ in calc] == ["排放源 boiler", "排放源 grid", "排放源 r410a"]
    assert calc[0][2].startswith("不是 lingtan 已知的燃料")
    assert (
        "是质量单位，但 purchased_electricity 排放源的数量必须能换算为 'MWh'（能量单位）"
        in calc[1][2]
    )
    instruments = refusals(
        lambda: compute_inventory(*load_calc_file(tmp_path / "instruments.yaml")),
        given("instruments.yaml"),
    )
    assert {where for where, _, _ in instruments} == {"凭证 gec", "凭证 ppa"}
    tariff = refusals(
        lambda: read_tariff_file(tmp_path / "tariff.csv", region="CN-JS"), given("tariff.csv")
    )
    assert tariff[0][0] == "tariff.csv 第 5 行 列 D (month_from)"
    assert "与 tariff.csv 第 2 行 在 2025-06 重叠（energy，高峰）" in tariff[0][2]
    factors = refusals(lambda: read_factor_file(tmp_path / "factors.csv"), given("factors.csv"))
    assert len(factors) == 4 and factors[0][0].endswith("factors.csv 第 2 行")
    calendar = refusals(
        lambda: read_calendar_file(tmp_path / "calendar.csv"), given("calendar.csv")
    )
    assert any("普通日的时段有 1 h 未覆盖（自 08:00 起）" in rule for _, _, rule in calendar), (
        calendar
    )


def test_a_stored_warning_translates_its_reason(tmp_path):
    """A warning with a Message inside (the reason of the market-based fallback) keeps it
    through JSON, as a stored result does, and is shown in Chinese when read back."""
    from lingtan.accounting.engine import compute_inventory
    from lingtan.accounting.serialize import result_to_dict, warning_texts
    from lingtan.calcfile import parse_calc_document
    from lingtan.factors import read_factor_text, shipped_library

    text = "set_id,version,family,key,region,parameter,value,unit,data_year,issuer,status\n"
    text += "utility-2025,1,electricity,grid_average,CN-BJ,co2,0.5688,tCO2/MWh,2025,U,official\n"
    library = shipped_library().with_sets(read_factor_text(text, "utility.csv"))
    document = {
        "facility": {"name": "T", "region": "Beijing"},
        "period": {"start": "2025-01-01", "end": "2025-12-31"},
        "factor_sets": {"electricity": "utility-2025"},
        "sources": [
            {"id": "grid", "kind": "purchased_electricity", "quantity": 100, "unit": "MWh"}
        ],
    }
    result = compute_inventory(*parse_calc_document(document, library=library))
    (warning,) = [w for w in result.warnings if "Table 6.3" in w]
    assert isinstance(warning.params["reason"], Message)
    stored = json.loads(json.dumps(result_to_dict(result)))
    (kept,) = [w for w in warning_texts(stored) if "Table 6.3" in w["msgid"]]
    again = Message.stored(None, kept)
    assert again == warning and isinstance(again.params["reason"], Message)
    for shown in (texts("zh-CN").message(kept), texts("zh-CN").message(again)):
        assert (
            "因子集 'utility-2025' 中没有 grid_average_excl_market_nonfossil[CN].co2 的数值"
            in shown
        )
        assert "has no value" not in shown
    assert texts("en").message(kept) == warning


def test_region_steam_and_coal_basis_refusals_are_chinese(tmp_path):
    """The reasons that came from exceptions as English text — an unknown region, steam
    given in a liquid state, an equal-value basis without its coal consumption — are
    Messages, Chinese on a zh-CN screen."""
    from lingtan.calcfile import load_calc_file

    text = """facility: {name: T, region: Atlantis}
period: {start: 2025-01-01, end: 2025-12-31}
sources:
  - {id: steam, kind: purchased_heat, medium: steam, quantity: 10, unit: t, pressure: 1.0,
     temperature: 150}
"""
    (tmp_path / "a.yaml").write_text(text, encoding="utf-8")
    region, steam = refusals(lambda: load_calc_file(tmp_path / "a.yaml"), text)
    assert region[:2] == ("报告主体", "region")
    assert region[2].startswith("地区 'Atlantis' 无法识别")
    assert steam[2].startswith("在 1 MPa、150 ℃ 下水为液态（饱和温度 179.89 ℃）")
    basis = text.replace("Atlantis", "Jiangsu").replace("150", "250")
    basis += "electricity_tce_basis: equal_value\n"
    (tmp_path / "b.yaml").write_text(basis, encoding="utf-8")
    (refused,) = refusals(lambda: load_calc_file(tmp_path / "b.yaml"), basis)
    assert "供电煤耗" in refused[2]


REFUSED_DEFINITIONS = (
    "record,code,name,parent,energy_type,unit,kind,multiplier,flow\n"
    "meter,M1,Main,,electricity,kWh,interval,abc,use\n"
    "switch,M2,Other,,electricity,kWh,interval,1,use\n"
    "meter,,Nameless,,electricity,kWh,interval,1,use\n"
)


def test_refusals_of_imports_users_and_meters_are_chinese_on_zh_screens(tmp_path):
    """An activity workbook with bad rows, then one that contradicts the stored data, a user
    created with a name that is taken and a role that is not one, meters defined badly (in a
    file and in the store): where, field and rule in Chinese (issue 9)."""
    from lingtan.imports.load import import_file
    from lingtan.imports.parse import parse_file
    from lingtan.imports.template import write_workbook
    from lingtan.metering.files import read_definitions
    from lingtan.metering.store import MeterDefinition, define_meters
    from lingtan.store.db import upgrade
    from lingtan.store.evidence import EvidenceStore
    from lingtan.web.accounts import create_user

    facility = [["Refusal Co", "RF-1", "Refusal plant", "CN-ZJ"]]
    sources = [["grid", "purchased_electricity", "Grid"], ["grid", "purchased_electricity", "G"]]
    month = ["grid", "2025-01-01", "2025-01-31"]
    activity = [[*month, 10, "t", "invoice"], [*month, 10, "MWh", "invoice"]]
    activity += activity[1:]
    rows = {"报告主体 Facility": facility, "排放源 Sources": sources, "活动数据 Activity": activity}
    bad = write_workbook(tmp_path / "bad.xlsx", rows)
    given = f"{tmp_path} {rows} period quantity"  # and the fields, codes of lingtan
    shown = refusals(lambda: parse_file(bad), given)
    assert any("定义了两次" in rule for _, _, rule in shown), shown
    assert any("重复" in rule for _, _, rule in shown), shown
    assert any("必须能换算为以下单位之一：MWh" in rule for _, _, rule in shown), shown

    engine = make_engine(f"sqlite:///{tmp_path / 'lingtan.db'}")
    upgrade(engine)
    evidence = EvidenceStore(tmp_path / "evidence")
    good = {
        **rows,
        "排放源 Sources": sources[:1],
        "活动数据 Activity": [activity[1]],
    }
    with session_scope(engine) as session:
        import_file(
            session, write_workbook(tmp_path / "good.xlsx", good), evidence=evidence, actor="t"
        )
        create_user(session, "ann", "Tq8!vLp3#zR9wK", role="viewer", organization=None, actor="t")
    changed = {**good, "活动数据 Activity": [[*month, 12, "MWh", "meter"]]}
    again = write_workbook(tmp_path / "changed.xlsx", changed)
    with session_scope(engine) as session:
        (stored,) = refusals(
            lambda: import_file(session, again, evidence=evidence, actor="t"), f"{given} {changed}"
        )
    assert "的已存储活动数据记录冲突" in stored[2] and "数量 10 MWh；来源 invoice" in stored[2]
    with session_scope(engine) as session:
        users = refusals(
            lambda: create_user(
                session, "ann", "Tq8!vLp3#zR9wK", role="boss", organization=None, actor="t"
            ),
            "ann boss username role",
        )
        assert [(where, field) for where, field, _ in users] == [
            ("用户", "username"),
            ("用户", "role"),
        ]
        meter = MeterDefinition("M1", "electricity", "kWh", "sum", node="nowhere", multiplier=0)
        meters = refusals(
            lambda: define_meters(session, "RF-1", [], [meter], actor="t"),
            "M1 sum nowhere kind node multiplier",
        )
        assert {where for where, _, _ in meters} == {"计量器具 M1"}
    (tmp_path / "meters.csv").write_text(REFUSED_DEFINITIONS, encoding="utf-8")
    definitions = refusals(
        lambda: read_definitions(tmp_path / "meters.csv"), f"{REFUSED_DEFINITIONS} code record"
    )
    assert [rule for _, _, rule in definitions] == [
        "应为数字",
        "应为 node 或 meter",
        "编码为必填项",
    ]
    engine.dispose()


def test_no_text_is_in_the_catalogue_twice():
    """Two entries of one (context, text) would leave one of their translations unused, and
    which one wins is up to the reader: merges that append to the catalogue must not add one."""
    text = PO_FILE.read_text(encoding="utf-8")
    keys = []
    for block in text.split("\n\n"):
        context = re.search(r'^msgctxt "(.*)"$', block, re.M)
        msgid = re.search(r'^msgid ((?:".*"\n?)+)', block, re.M)
        if msgid:
            joined = "".join(re.findall(r'"(.*)"', msgid.group(1)))
            keys.append((context.group(1) if context else None, joined))
    seen: set = set()
    twice = [key for key in keys if key in seen or seen.add(key)]
    assert len(keys) > 1000 and twice == []


def test_texts_babel_cannot_extract_have_chinese_too():
    """Babel's extractor skips a ``Message`` written inside the arguments of another call
    (``message(Message(a) if x else Message(b), lang)``), so the test above cannot see it: every
    literal ``Message``, ``N_`` and ``NP_`` of the code, wherever written, has its Chinese."""
    import ast

    with PO_FILE.open("rb") as handle:
        catalog = read_po(handle, locale="zh_CN")
    found, missing = 0, []
    for path in sorted((ROOT / "src" / "lingtan").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            literals = [a.value for a in node.args[:2] if isinstance(a, ast.Constant)]
            if name in ("Message", "N_") and literals and isinstance(literals[0], str):
                context, msgid = None, literals[0]
            elif name == "NP_" and len(literals) == 2:
                context, msgid = literals
            else:
                continue
            found += 1
            entry = catalog.get(msgid, context=context)
            if entry is None or not entry.string or entry.fuzzy:
                missing.append(f"{path.relative_to(ROOT)}:{node.lineno}: {context} {msgid!r}")
    assert found > 1000
    assert not missing, "texts without Chinese:\n" + "\n".join(missing)
