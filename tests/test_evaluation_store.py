"""Stored zero-carbon-factory evaluations (issue 14, part 3), on SQLite and PostgreSQL: the
snapshot round trip with hand-worked figures, immutability, tampering found by ``lingtan audit
verify``, the refusals without a locked inventory (nothing written), the commands and the API.

The facility is the web tests' ALPHA-PLANT: grid 1,000 MWh (January) + 900 MWh (February) =
1,900 MWh purchased; the ledger of :data:`test_ledger.LEDGER_CSV` retires 300 MWh of GECs and
200 MWh of green power and 50 tCO2e of CCER for 2025."""

import hashlib
import json

import pytest
import sqlalchemy as sa

from lingtan.errors import InputError
from lingtan.evaluation.facts import FactValue
from lingtan.evaluation.rules import shipped_rule_set
from lingtan.services import audit_check
from lingtan.services import inventory as inventories
from lingtan.services.evaluations import (
    evaluate_facility,
    get_evaluation,
    list_evaluations,
    rule_set_digest,
    store_evaluation,
)
from lingtan.store.db import session_scope
from lingtan.store.evidence import EvidenceStore
from lingtan.store.models import AuditEntry, EvaluationSnapshot, Facility
from test_ledger import LEDGER_CSV, Y25, import_file
from web_support import build_site

DECLARED = {"management_plan": FactValue(True, "plan 2025 rev. 2")}


@pytest.fixture
def site(database_url, tmp_path):
    built = build_site(database_url, tmp_path)
    yield built
    built.close()


@pytest.fixture
def year_locked(site, tmp_path):
    """The ledger imported and ALPHA-PLANT's 2025 inventory computed and locked: its totals."""
    import_file(site, tmp_path, LEDGER_CSV)
    with session_scope(site.engine) as session:
        alpha = plant(session)
        return inventories.compute(session, alpha, *Y25, actor="t", lock=True).result["totals"]


def plant(session, code="ALPHA-PLANT"):
    return session.scalars(sa.select(Facility).where(Facility.code == code)).one()


def store(site, scheme="tceca-g-0171-2022", year=2025, given=None, code="ALPHA-PLANT"):
    rules = shipped_rule_set(scheme)
    with session_scope(site.engine) as session:
        alpha = plant(session, code)
        live = evaluate_facility(session, alpha, year, rules, given or DECLARED, origin="f.yaml")
        return store_evaluation(session, alpha, year, rules, live, actor="auditor").id


def criterion(document, ident):
    return next(c for c in document["criteria"] if c["id"] == ident)


def verify(site):
    with session_scope(site.engine, read_only=True) as session:
        return audit_check.verify_store(session, EvidenceStore(site.evidence_dir))


def test_a_stored_evaluation_keeps_what_it_used_with_hand_worked_figures(site, year_locked):
    snapshot_id = store(site)
    with session_scope(site.engine, read_only=True) as session:
        snapshot = get_evaluation(session, snapshot_id)
        inventory_id = snapshot.inventory_id
        locked = session.get(inventories.Inventory, inventory_id)
        assert (locked.status, locked.period_start, locked.period_end) == ("locked", *Y25)
        assert (snapshot.scheme, snapshot.period, snapshot.created_by) == (
            "tceca-g-0171-2022",
            2025,
            "auditor",
        )
        assert snapshot.rule_set_sha256 == rule_set_digest(shipped_rule_set("tceca-g-0171-2022"))
        assert len(snapshot.rule_set["criteria"]) == len(snapshot.result["criteria"])
        result, facts, lineage = snapshot.result, snapshot.facts, snapshot.lineage
        # the SHA-256 of the canonical JSON of the result, computed here independently
        canonical = json.dumps(result, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        assert snapshot.result_sha256 == hashlib.sha256(canonical.encode()).hexdigest()
        audited = session.scalars(
            sa.select(AuditEntry).where(AuditEntry.entity == "evaluation")
        ).all()
    # the facts used: 500 MWh renewable / 1,900 MWh = 26.315789… %, 50 tCO2e retired
    assert facts["electricity_consumed_mwh"] == {
        "value": 1900.0, "unit": "MWh", "evidence": f"inventory {inventory_id}",
        "evidence_message": {"msgid": "inventory %(inventory)s",
                             "params": {"inventory": inventory_id}},
    }  # fmt: skip
    assert facts["renewable_electricity_share_pct"]["value"] == pytest.approx(500 / 1900 * 100)
    assert facts["offset_retired_tco2e"]["value"] == 50
    assert facts["management_plan"] == {"value": True, "unit": "", "evidence": "plan 2025 rev. 2",
                                        "evidence_message": None}  # fmt: skip
    assert lineage["management_plan"] == {"given": "f.yaml", "evidence": "plan 2025 rev. 2"}
    assert lineage["renewable_electricity_share_pct"]["gec_retired_mwh"] == 300
    assert lineage["scope12_residual_tco2e"]["inventory"] == inventory_id
    # the criteria: renewable 26.3158 % of 100 %: 73.6842 points, 1,400 GECs (0.736842 × 1,900)
    renewable = criterion(result, "renewable-electricity-100")
    assert renewable["status"] == "fail" and renewable["threshold"] == 100
    assert renewable["gap"] == pytest.approx(100 - 500 / 1900 * 100)
    assert renewable["gap_gecs"] == 1400  # 73.684211 % × 1,900 MWh = 1,900 − 500 MWh
    assert renewable["source"]["clause"] and renewable["evidence"].startswith("ledger entries")
    residual = year_locked["scope1_tco2e"] + year_locked["scope2_market_tco2e"]
    offset = criterion(result, "offset-100")
    assert offset["threshold"] == pytest.approx(residual)
    assert offset["gap"] == pytest.approx(residual - 50)
    assert criterion(result, "basic-management")["status"] == "pass"
    assert result["result"] == snapshot.status == "fail"
    # one audit entry, holding the seal
    assert [(e.action, e.entity_key) for e in audited] == [("store", str(snapshot_id))]
    assert audited[0].after["inventory_id"] == inventory_id
    assert audited[0].after["seal"]["columns"]["result_sha256"] == snapshot.result_sha256
    check = verify(site)
    assert check.ok and check.evaluations == 1, check.problems()


def test_a_stored_evaluation_is_immutable_and_a_re_evaluation_is_a_new_one(site, year_locked):
    first = store(site)
    with session_scope(site.engine) as session, pytest.raises(InputError, match="immutable"):
        session.get(EvaluationSnapshot, first).status = "pass"
        session.flush()
    with session_scope(site.engine) as session, pytest.raises(InputError, match="immutable"):
        session.delete(session.get(EvaluationSnapshot, first))
        session.flush()
    # a declaration added: evaluated again, a second snapshot; the first stays as it was
    more = {**DECLARED, "energy_carbon_management_system": FactValue(True, "EMS acceptance")}
    second = store(site, given=more)
    with session_scope(site.engine, read_only=True) as session:
        stored = list_evaluations(session, [plant(session).id])
        assert [s.id for s, _ in stored] == [second, first]
        old, new = (get_evaluation(session, i) for i in (first, second))
        assert criterion(old.result, "energy-carbon-system")["status"] == "unable_to_judge"
        assert criterion(new.result, "energy-carbon-system")["status"] == "pass"
        assert old.status == "fail" and old.inventory_id == new.inventory_id
    assert verify(site).ok


def tamper(site, *statements):
    with site.engine.begin() as connection:
        for statement in statements:
            connection.execute(statement)


def test_verify_catches_an_edited_deleted_or_forged_evaluation(site, year_locked):
    snapshot_id = store(site)
    subject = (
        f"stored evaluation {snapshot_id} (facility ALPHA-PLANT, 2025, scheme tceca-g-0171-2022)"
    )
    table = EvaluationSnapshot.__table__
    with site.engine.connect() as connection:
        result = connection.execute(sa.select(table.c.result)).scalar_one()
    criterion(result, "offset-100")["status"] = "pass"
    tamper(site, sa.update(table).values(status="pass", result=result))
    found = [str(f) for f in verify(site).findings]
    assert f'{subject}: column status is "pass", sealed as "fail"' in found
    assert f"{subject}: criterion offset-100 was altered" in found
    assert f"{subject}: its result does not match its stored SHA-256" in found
    # the facts edited alone
    tamper(site, sa.update(table).values(status="fail", facts={}))
    assert f"{subject}: column facts was altered" in [str(f) for f in verify(site).findings]
    # deleted, and one written outside lingtan
    with site.engine.connect() as connection:
        row = dict(connection.execute(sa.select(table)).mappings().one())
    tamper(site, sa.delete(table))
    check = verify(site)
    assert not check.ok
    assert any(str(f).startswith(f"{subject}: was deleted (audit entry ") for f in check.findings)
    tamper(site, sa.insert(table).values({**row, "id": snapshot_id + 10}))
    forged = f"stored evaluation {snapshot_id + 10}: is not in the audit log"
    assert any(str(f).startswith(forged) for f in verify(site).findings)


def counts(site):
    return site.count(EvaluationSnapshot), site.count(AuditEntry)


def test_storing_is_refused_without_a_locked_inventory_of_the_whole_year(site, tmp_path):
    import_file(site, tmp_path, LEDGER_CSV)
    before = counts(site)
    # ALPHA-PLANT: only January 2025 is locked
    with pytest.raises(InputError) as caught:
        store(site)
    text = str(caught.value)
    assert "facility ALPHA-PLANT" in text and "has no locked inventory of the whole year" in text
    assert "covers 2025-01-01 to 2025-01-31, not the whole year" in text
    # 2024: no inventory at all
    with pytest.raises(InputError, match="no inventory for the year"):
        store(site, year=2024)
    # ALPHA-SECOND: the year computed but not locked
    with session_scope(site.engine) as session:
        computed = inventories.compute(session, plant(session, "ALPHA-SECOND"), *Y25, actor="t")
        computed_id = computed.id
    before = counts(site)
    with pytest.raises(InputError) as caught:
        store(site, code="ALPHA-SECOND")
    assert f"its inventory {computed_id} of the year is computed, not locked" in str(caught.value)
    assert f"lingtan inventory lock {computed_id}" in str(caught.value)
    assert counts(site) == before  # nothing written


# --- the commands ------------------------------------------------------------------------


def test_the_commands_store_list_show_and_verify(
    site, year_locked, lingtan_cli, tmp_path, monkeypatch
):
    args = ("evaluate", "--facility", "ALPHA-PLANT", "--period", 2025, "--scheme", "suzhou-2026")
    document = json.loads(lingtan_cli(*args, "--store", "--format", "json").stdout)
    stored = document["stored"]
    assert document["result"] == "fail" and stored["id"] == 1
    table = lingtan_cli(*args, "--store").output
    assert "stored as evaluation 2 (SHA-256 " in table
    listed = json.loads(lingtan_cli("evaluate", "list", "--format", "json").stdout)
    assert [(r["id"], r["scheme"], r["result"]) for r in listed] == [
        (2, "suzhou-2026", "fail"),
        (1, "suzhou-2026", "fail"),
    ]
    assert listed[1]["result_sha256"] == stored["result_sha256"]
    assert lingtan_cli("evaluate", "list", "--facility", "ALPHA-SECOND", "--format", "csv").stdout \
        .strip().count("\n") == 0  # fmt: skip
    shown = json.loads(lingtan_cli("evaluate", "show", 1, "--format", "json").stdout)
    assert (shown["scheme"], shown["result"], shown["id"]) == ("suzhou-2026", "fail", 1)
    offset = criterion(shown, "offset-100")
    assert {"id", "status", "value", "threshold", "gap"} <= offset.keys()
    assert offset == criterion(document, "offset-100")  # the live evaluation, as stored
    assert shown["inventory_id"] == document["facts_from_store"]["inventory_id"]
    chinese = lingtan_cli("--lang", "zh-CN", "evaluate", "show", 1).output
    assert "已存储的评价 1" in chinese and "未通过" in chinese
    custom = ("evaluate", "--facility", "ALPHA-PLANT", "--period", 2025, "--rules",
              "examples/evaluation-rules.yaml", "--store", "--format", "json")  # fmt: skip
    third = json.loads(lingtan_cli(*custom).stdout)["stored"]["id"]
    own = json.loads(lingtan_cli("evaluate", "show", third, "--format", "json").stdout)
    assert own["rule_set_origin"] == own["origin"] == "custom"
    assert own["rule_set_sha256"] != shown["rule_set_sha256"]
    missing = lingtan_cli("evaluate", "show", 99, code=2)
    assert "no such stored evaluation" in missing.stderr and missing.stdout == ""
    alone = lingtan_cli("evaluate", "--scheme", "suzhou-2026", "--store", "f.yaml", code=2)
    assert "--store needs --facility and --period" in alone.stderr
    monkeypatch.setenv("LINGTAN_DATA_DIR", str(tmp_path))  # the site's evidence folder
    verified = lingtan_cli("audit", "verify").output
    assert "3 stored evaluation(s) match their seals and their SHA-256" in verified


def test_the_command_refuses_to_store_without_a_locked_year(site, lingtan_cli):
    args = ("evaluate", "--facility", "ALPHA-PLANT", "--period", 2025, "--scheme", "suzhou-2026")
    refused = lingtan_cli(*args, "--store", code=2)
    assert "has no locked inventory of the whole year" in refused.stderr
    assert refused.stdout == "" and site.count(EvaluationSnapshot) == 0
    lingtan_cli(*args)  # evaluating without storing still works


# --- the API -----------------------------------------------------------------------------


def test_the_api_evaluates_stores_lists_and_shows(site, year_locked):
    url = "/api/v1/facilities/ALPHA-PLANT/evaluations"
    manager, csrf = site.client("manager_a")
    headers = {"X-CSRF-Token": csrf}
    live = manager.get(
        "/api/v1/facilities/ALPHA-PLANT/evaluation",
        params={"year": 2025, "scheme": "tceca-g-0171-2022"},
    )
    assert live.status_code == 200, live.text
    assert live.json()["inventory_status"] == "locked"
    assert criterion(live.json(), "renewable-electricity-100")["gap_gecs"] == 1400
    body = {
        "scheme": "tceca-g-0171-2022",
        "year": 2025,
        "facts": {"management_plan": {"value": True, "evidence": "plan 2025 rev. 2"}},
    }
    made = manager.post(url, json=body, headers=headers)
    assert made.status_code == 201, made.text
    stored = made.json()
    assert stored["created_by"] == "manager_a" and stored["lineage"]["management_plan"] == {
        "given": "request",
        "evidence": "plan 2025 rev. 2",
    }
    assert criterion(stored, "basic-management")["status"] == "pass"
    listed = manager.get(url).json()
    assert [(r["id"], r["result"]) for r in listed] == [(stored["id"], "fail")]
    shown = manager.get(f"{url}/{stored['id']}")
    assert shown.status_code == 200 and shown.json()["result_sha256"] == stored["result_sha256"]
    # a viewer reads but does not store; another organization sees nothing
    viewer, viewer_csrf = site.client("viewer_a")
    assert viewer.get(url).status_code == 200
    assert viewer.post(url, json=body, headers={"X-CSRF-Token": viewer_csrf}).status_code == 403
    other, _ = site.client("manager_b")
    assert other.get(f"{url}/{stored['id']}").status_code == 404
    beta = "/api/v1/facilities/BETA-PLANT/evaluations"
    assert other.get(f"{beta}/{stored['id']}").status_code == 404  # not BETA-PLANT's
    # refused: no locked 2024, an unknown scheme, a bad declaration; nothing written
    before = counts(site)
    for wrong, text in [
        ({**body, "year": 2024}, "has no locked inventory of the whole year"),
        ({**body, "scheme": "nope"}, "suzhou-2026"),
        ({**body, "facts": {"management_plan": "yes"}}, "must be true or false"),
    ]:
        answer = manager.post(url, json=wrong, headers=headers)
        assert answer.status_code == 422 and text in answer.text, answer.text
    assert counts(site) == before


def test_the_page_stores_and_refuses_without_a_locked_year(site, year_locked):
    manager, csrf = site.client("manager_a")
    form = {"csrf_token": csrf, "facility": "ALPHA-PLANT", "year": 2025,
            "scheme": "suzhou-2026"}  # fmt: skip
    done = manager.post("/evaluation/store", data=form, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].endswith("stored=1")
    page = manager.get(done.headers["location"])
    assert page.status_code == 200 and 'data-result="fail"' in page.text
    before = counts(site)
    refused = manager.post("/evaluation/store", data={**form, "year": 2024})
    assert refused.status_code == 422 and "没有覆盖全年的已锁定清单" in refused.text
    viewer, viewer_csrf = site.client("viewer_a")
    forbidden = viewer.post("/evaluation/store", data={**form, "csrf_token": viewer_csrf})
    assert forbidden.status_code == 403
    assert counts(site) == before
