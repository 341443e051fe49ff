"""Declarations entered on the evaluation page (评价), over the API and on the command line, and
the page in Chinese without English or codes from the data (issues 14 and 9).

The facility is the web tests' ALPHA-PLANT with the ledger of :data:`test_ledger.LEDGER_CSV`
(300 MWh of GECs, 200 MWh of green power and 50 tCO2e of CCER retired for 2025) and its 2025
inventory locked. A declaration is kept with its evidence and audit entry, listed on the page,
and the next evaluation — live and stored — judges it: Suzhou's condition 4 (a management
organisation and plan) passes on a declared ``true`` with its evidence file, and is unable to
judge before. A value the fact does not take is refused in Chinese and nothing is written.
"""

import json
import re

import pytest
import sqlalchemy as sa

from lingtan.errors import InputError
from lingtan.evaluation.facts import FACTS
from lingtan.evaluation.rules import read_rules, shipped_rule_sets
from lingtan.i18n.catalog import MISSES, texts
from lingtan.i18n.terms import TERMS
from lingtan.services import inventory as inventories
from lingtan.store.db import session_scope
from lingtan.store.models import AuditEntry, Declaration, EvaluationSnapshot, Evidence, Facility
from lingtan.web import i18n
from test_i18n import visible_text
from test_ledger import LEDGER_CSV, Y25, import_file
from web_support import build_site

SCHEME = "suzhou-2026"
PLAN = b"%PDF-1.4\n% management organisation appointed 2025-01-06; zero-carbon plan 2025\n"
#: What the Chinese page showed in English before (issue 14's screenshot), as the page's text.
ONCE_ENGLISH = (
    "ledger entries", "inventory 1", "ledger: no retirements", "condition 1", "condition 4",
    "basic requirements", "evaluation indicator system", "prerequisites", "a declaration",
    "not given", "of scope12", "declared true", "provincial", "benchmark", "advanced",
    "Suzhou Industrial Park zero-carbon factory programme", "seen in secondary sources",
    "its threshold was not seen", "true", "false",
)  # fmt: skip
#: ASCII words allowed in the Chinese page's text: names of standards and documents, units,
#: the product's name, the demo's users and files.
ALLOWED = {
    "ISO", "GB", "T", "CECA", "G", "SHA", "tCO2e", "MWh", "lingtan", "ALPHA", "PLANT", "Alpha",
    "Plant", "plant", "English", "I", "II", "CCER", "GEC", "GECs",
    "Suzhou", "html", "com", "www", "mobile", "siyu", "langguan", "vision", "news",
    "greencalculus", "impactportfolio", "Excel", "ID",
}  # fmt: skip


def locked_site(url, tmp_path):
    """The test site with the ledger imported and ALPHA-PLANT's 2025 inventory locked."""
    built = build_site(url, tmp_path)
    import_file(built, tmp_path, LEDGER_CSV)
    with session_scope(built.engine) as session:
        inventories.compute(session, plant(session), *Y25, actor="t", lock=True)
    return built


@pytest.fixture
def site(database_url, tmp_path):
    built = locked_site(database_url, tmp_path)
    yield built
    built.close()


def plant(session, code="ALPHA-PLANT"):
    return session.scalars(sa.select(Facility).where(Facility.code == code)).one()


def counts(site) -> tuple[int, int, int]:
    with session_scope(site.engine, read_only=True) as session:
        return tuple(
            session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (Declaration, AuditEntry, Evidence)
        )


def page_url(year=2025, scheme=SCHEME):
    return f"/evaluation?facility=ALPHA-PLANT&year={year}&scheme={scheme}"


def declare_on_page(client, csrf, **fields):
    form = {"csrf_token": csrf, "facility": "ALPHA-PLANT", "year": "2025", "scheme": SCHEME,
            "fact": "management_plan", "value": "true", "statement": "管理机构已设立，零碳工作方案已印发",
            "declared_by": "王工（能源管理负责人）", **fields}  # fmt: skip
    files = {"evidence": ("plan.pdf", PLAN, "application/pdf")}
    if "evidence_sha256" in fields:
        files = None
    return client.post("/evaluation/declare", data=form, files=files, follow_redirects=False)


def criterion(document, ident):
    return next(c for c in document["criteria"] if c["id"] == ident)


def test_a_declaration_entered_on_the_page_is_kept_audited_listed_and_used(site):
    manager, csrf = site.client("manager_a")
    api = f"/api/v1/facilities/ALPHA-PLANT/evaluation?year=2025&scheme={SCHEME}"
    before = manager.get(api).json()
    assert criterion(before, "management")["status"] == "unable_to_judge"
    done = declare_on_page(manager, csrf)
    assert done.status_code == 303, done.text
    assert done.headers["location"].endswith("#declarations")
    with session_scope(site.engine, read_only=True) as session:
        row = session.scalars(sa.select(Declaration)).one()
        assert (row.fact, row.value, row.period, row.created_by) == (
            "management_plan",
            True,
            2025,
            "manager_a",
        )
        assert row.evidence.filename == "plan.pdf" and row.declared_by == "王工（能源管理负责人）"
        sha256 = row.evidence.sha256
        audited = session.scalars(
            sa.select(AuditEntry).where(AuditEntry.entity == "declaration")
        ).one()
        assert (audited.action, audited.entity_key, audited.actor) == ("declare", str(row.id),
                                                                        "manager_a")  # fmt: skip
        assert audited.after["value"] is True and audited.after["evidence"] == sha256
    # the live evaluation judges it with its evidence
    after = manager.get(api).json()
    management = criterion(after, "management")
    assert management["status"] == "pass"
    assert management["evidence"] == f"declaration {row.id}: plan.pdf, SHA-256 {sha256}"
    assert after["lineage"]["management_plan"]["given"] == f"declaration {row.id}"
    # listed on the page, in Chinese, with its evidence file
    page = manager.get(page_url())
    assert page.status_code == 200
    listed = re.search(r'<table id="declarations-table">.*?</table>', page.text, re.S).group(0)
    assert f'data-id="{row.id}"' in listed and 'data-standing="yes"' in listed
    assert "管理机构和工作方案" in listed and "王工（能源管理负责人）" in listed
    assert f"/api/v1/evidence/{sha256}" in listed
    assert manager.get(f"/api/v1/evidence/{sha256}").content == PLAN
    shown = visible_text(page.text)
    assert f"声明 {row.id}：plan.pdf" in shown and "声明为“是”，符合要求" in shown
    # stored: the snapshot keeps the declared fact and where it came from
    stored = manager.post("/evaluation/store", data={"csrf_token": csrf, "facility": "ALPHA-PLANT",
                                                     "year": 2025, "scheme": SCHEME})  # fmt: skip
    assert stored.status_code == 200  # the redirect followed
    with session_scope(site.engine, read_only=True) as session:
        snapshot = session.scalars(sa.select(EvaluationSnapshot)).one()
        assert snapshot.facts["management_plan"]["value"] is True
        assert snapshot.lineage["management_plan"]["given"] == f"declaration {row.id}"
        assert criterion(snapshot.result, "management")["status"] == "pass"
    # a newer declaration stands instead; the older stays, listed as replaced
    again = declare_on_page(manager, csrf, value="false", evidence_sha256=sha256)
    assert again.status_code == 303, again.text
    assert criterion(manager.get(api).json(), "management")["status"] == "fail"
    listed = manager.get("/api/v1/facilities/ALPHA-PLANT/declarations?year=2025").json()
    assert [(d["value"], d["standing"]) for d in listed] == [(False, True), (True, False)]


@pytest.mark.parametrize(
    ("fields", "shown"),
    [
        ({"value": "national"}, "须为“是”或“否”"),
        (
            {"fact": "green_factory_status", "value": "true"},
            "须为以下之一：国家级绿色工厂、省级绿色工厂",
        ),
        ({"fact": "compliance_record_years", "value": "", "number": "-3"}, "不能为负"),
        ({"fact": "compliance_record_years", "value": "", "number": "三年"}, "必须是数字"),
        (
            {"fact": "offset_retired_tco2e", "value": "", "number": "5"},
            "须为以下可声明的事实之一：绿色工厂等级、管理机构和工作方案",
        ),
        ({"statement": " "}, "须写明声明的内容及其依据"),
        ({"evidence_sha256": "0" * 64}, "不是本企业已存储的证据文件"),
    ],
)
def test_a_declaration_the_fact_does_not_take_is_refused_in_chinese(site, fields, shown):
    manager, csrf = site.client("manager_a")
    before = counts(site)
    refused = declare_on_page(manager, csrf, **fields)
    assert refused.status_code == 422
    problems = visible_text(re.search(r'<ul id="problems">.*?</ul>', refused.text, re.S).group(0))
    assert "声明未保存" in refused.text and shown in problems, problems
    assert counts(site)[:2] == before[:2]  # no declaration, no audit entry


def test_only_managers_declare_and_without_evidence_nothing_is_kept(site):
    viewer, viewer_csrf = site.client("viewer_a")
    before = counts(site)
    assert declare_on_page(viewer, viewer_csrf).status_code == 403
    manager, csrf = site.client("manager_a")
    form = {"csrf_token": csrf, "facility": "ALPHA-PLANT", "year": "2025", "scheme": SCHEME,
            "fact": "management_plan", "value": "true", "statement": "s", "declared_by": "w"}  # fmt: skip
    missing = manager.post("/evaluation/declare", data=form)
    assert missing.status_code == 422 and "请上传证据文件，或选择已存储的证据文件" in missing.text
    assert counts(site) == before


def test_the_api_and_the_command_line_declare(site, lingtan_cli, tmp_path):
    manager, csrf = site.client("manager_a")
    evidence = tmp_path / "绿色工厂名单.pdf"
    evidence.write_bytes(PLAN)
    out = lingtan_cli(
        "evaluate", "declare", "--facility", "ALPHA-PLANT", "--year", "2025",
        "--fact", "green_factory_status", "--value", "provincial", "--statement",
        "列入江苏省 2024 年绿色工厂名单", "--declared-by", "李工", "--evidence", str(evidence),
        "--format", "json",
    ).stdout  # fmt: skip
    line = json.loads(out)
    assert line["value"] == "provincial" and line["evidence_filename"] == "绿色工厂名单.pdf"
    headers = {"X-CSRF-Token": csrf}
    body = {"year": 2025, "fact": "compliance_record_years", "value": 3, "statement": "近三年无事故",
            "declared_by": "李工", "evidence_sha256": line["evidence_sha256"]}  # fmt: skip
    added = manager.post("/api/v1/facilities/ALPHA-PLANT/declarations", json=body,
                         headers=headers)  # fmt: skip
    assert added.status_code == 201, added.text
    wrong = manager.post("/api/v1/facilities/ALPHA-PLANT/declarations",
                         json={**body, "value": -1}, headers=headers)  # fmt: skip
    assert wrong.status_code == 422 and "must be a finite number, not negative" in wrong.text
    # the command line's evaluation of the facility uses both declarations
    out = lingtan_cli("evaluate", "--facility", "ALPHA-PLANT", "--period", "2025", "--scheme",
                      SCHEME, "--format", "json").stdout  # fmt: skip
    document = json.loads(out)
    assert criterion(document, "green-factory")["status"] == "pass"
    assert criterion(document, "compliance-3-years")["status"] == "pass"
    # and lists them; in Chinese the fact and its code by their names
    out = lingtan_cli("--lang", "zh-CN", "evaluate", "declarations", "--facility",
                      "ALPHA-PLANT").stdout  # fmt: skip
    assert "省级绿色工厂" in out and "绿色工厂等级" in out and "连续守法合规年数" in out
    out = lingtan_cli("--lang", "zh-CN", "evaluate", "--facility", "ALPHA-PLANT", "--period",
                      "2025", "--scheme", SCHEME).stdout  # fmt: skip
    assert "申报条件第 1 条" in out and "省级绿色工厂" in out and "provincial" not in out


def english_left(text: str) -> list[str]:
    """The English of a Chinese page's text: the phrases once shown, codes (``a_b``) and ASCII
    words outside :data:`ALLOWED` (numbers, hashes and file names aside)."""
    text = re.sub(r"\S+\.(?:csv|pdf|xlsx|png|jpe?g|txt)\b", " ", text)  # file names
    text = re.sub(r"\b(?:manager|viewer|admin)_[a-z]\b", " ", text)  # the site's users
    found = [phrase for phrase in ONCE_ENGLISH if re.search(rf"\b{re.escape(phrase)}\b", text)]
    found += re.findall(r"\b[a-z]+(?:_[a-z0-9]+)+\b", text)
    words = re.findall(r"(?<![\w./-])[A-Za-z][A-Za-z0-9]*(?![\w])", text)
    return found + sorted(
        {w for w in words if w not in ALLOWED and not re.fullmatch(r"[0-9a-f]+", w)}
    )


def test_the_chinese_evaluation_page_shows_no_english_from_the_data(tmp_path):
    """Every shipped scheme on the 评价 page in zh-CN, with declarations and a stored
    evaluation: the criteria's clauses and notes, the evidence, the facts, codes and flags are
    Chinese; and every text asked of the catalogue is in it. (SQLite only: the page is the
    same on PostgreSQL.)"""
    site = locked_site(f"sqlite:///{tmp_path / 'zh.db'}", tmp_path)
    manager, csrf = site.client("manager_a")
    assert declare_on_page(manager, csrf).status_code == 303
    assert declare_on_page(manager, csrf, fact="green_factory_status", value="provincial",
                           evidence_sha256=_sha(site)).status_code == 303  # fmt: skip
    MISSES.clear()
    for rules in shipped_rule_sets():
        manager.post("/evaluation/store", data={"csrf_token": csrf, "facility": "ALPHA-PLANT",
                                                "year": 2025, "scheme": rules.scheme})  # fmt: skip
        with session_scope(site.engine, read_only=True) as session:
            stored_id = session.scalar(sa.select(sa.func.max(EvaluationSnapshot.id)))
        live = manager.get(page_url(scheme=rules.scheme))
        stored = manager.get(f"/evaluation?facility=ALPHA-PLANT&stored={stored_id}")
        for answer in (live, stored):
            assert answer.status_code == 200
            text = visible_text(answer.text)
            assert not english_left(text), (rules.scheme, english_left(text))
        manager.cookies.set(i18n.LANG_COOKIE, "en")
        english = manager.get(page_url(scheme=rules.scheme)).text  # (all of it lang="en")
        manager.cookies.set(i18n.LANG_COOKIE, "zh-CN")
        assert "management organisation and plan" in english
    assert not MISSES, sorted(MISSES, key=str)
    site.close()


def _sha(site) -> str:
    with session_scope(site.engine, read_only=True) as session:
        return session.scalars(sa.select(Evidence.sha256).order_by(Evidence.id.desc())).first()


def test_every_fact_and_code_has_a_chinese_and_english_label():
    """One table of fact labels (``evaluation.fact``) and of their codes (``evaluation.code``,
    ``evaluation.flag``), each with its Chinese in the catalogue."""
    zh = texts("zh-CN")
    assert set(TERMS["evaluation.fact"]) == set(FACTS)
    codes = {code for fact in FACTS.values() for code in fact.codes}
    assert set(TERMS["evaluation.code"]) == codes
    MISSES.clear()
    for family in ("evaluation.fact", "evaluation.code", "evaluation.flag"):
        for code, (_, english) in TERMS[family].items():
            chinese = zh.name_of(family, code)
            assert chinese != english and re.search(r"[\u4e00-\u9fff]", chinese), (code, chinese)
            assert texts("en").name_of(family, code) == english
    assert not MISSES
    assert (
        zh.message(read_rules(_minimal(), file="x.yaml").criteria[0].threshold_message())
        == "≥ 自主减排后剩余的第一类和第二类排放（约为范围一 + 范围二） 的 100 %"
    )


def _minimal(**criterion) -> dict:
    return {
        "scheme": "my-customer", "title_en": "A customer's requirement", "document": "Letter",
        "criteria": [{"id": "offset", "title_en": "Offset everything", "fact":
                      "offset_retired_tco2e", "operator": ">=", "threshold": {"value": 100,
                      "unit": "%", "of": "scope12_residual_tco2e"}, "source": {"document":
                      "Letter of 2025-03-01", "clause": "point 2"}, "status": "official",
                      **criterion}],
    }  # fmt: skip


def test_a_rule_set_without_chinese_falls_back_to_its_english():
    rules = read_rules(_minimal(), file="mine.yaml")
    (c,) = rules.criteria
    assert (rules.title_zh, c.title_zh, c.clause_zh, c.document_zh) == (
        "A customer's requirement",
        "Offset everything",
        "point 2",
        "Letter of 2025-03-01",
    )
    given = read_rules(_minimal(title_zh="全部抵消", note="n", note_zh="注"), file="mine.yaml")
    assert (given.criteria[0].title_zh, given.criteria[0].note_zh) == ("全部抵消", "注")
    with pytest.raises(InputError, match=r"source\.clause_en"):
        bad = _minimal()
        bad["criteria"][0]["source"]["clause_en"] = "x"
        read_rules(bad, file="mine.yaml")


def test_every_shipped_criterion_has_its_chinese_clause_and_note():
    for rules in shipped_rule_sets():
        assert re.search(r"[\u4e00-\u9fff]", rules.title_zh + rules.document_zh), rules.scheme
        for c in rules.criteria:
            where = (rules.scheme, c.id)
            assert re.search(r"[\u4e00-\u9fff]", c.title_zh), where
            assert re.search(r"[\u4e00-\u9fff]", c.clause_zh + c.document_zh), where
            assert not c.note or re.search(r"[\u4e00-\u9fff]", c.note_zh), where
