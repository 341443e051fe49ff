"""An audit that covers every fact (issue 11, part 3), on both databases: meter definitions
and reading imports write audit entries; a snapshot edited, deleted or forged in the database,
and an evidence file edited on disk, fail ``lingtan audit verify``, which names what is wrong."""

import hashlib
import json
import os

import pytest
import sqlalchemy as sa

from lingtan.i18n import Message
from lingtan.services import audit_check
from lingtan.store import audit
from lingtan.store.db import make_engine, session_scope
from lingtan.store.evidence import EvidenceStore
from lingtan.store.models import AuditEntry, Evidence, Facility, Inventory, Organization
from lingtan.web import accounts
from metering_support import cli_plant
from test_platform import workbook

DEFINITIONS = """record,code,name,parent,level,energy_type,unit,kind,multiplier
node,site,Site,,facility,,,,
node,ws,Workshop,site,workshop,,,,
meter,E-MAIN,Main,site,,electricity,kWh,cumulative,6000
meter,E-WS,Workshop,ws,,electricity,kWh,cumulative,1
"""
READINGS = """meter,timestamp,value
E-MAIN,2025-03-01T00:00:00+08:00,100.0
E-MAIN,2025-03-01T00:15:00+08:00,100.5
E-WS,2025-03-01T00:00:00+08:00,7.0
E-WS,2025-03-01T00:15:00+08:00,7.25
E-WS,2025-03-01T00:30:00+08:00,7.5
"""


def entries(database_url, entity, *, action=None):
    engine = sa.create_engine(database_url)
    query = sa.select(AuditEntry).where(AuditEntry.entity == entity).order_by(AuditEntry.id)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    with engine.connect() as connection:
        found = connection.execute(query).mappings().all()
    engine.dispose()
    return found


def execute(database_url, *statements):
    """Tamper with the database directly, as someone with its password would."""
    engine = sa.create_engine(database_url)
    with engine.begin() as connection:
        for statement, params in statements:
            connection.execute(sa.text(statement), params)
    engine.dispose()


def verify_fails(cli, *expected):
    altered = cli("audit", "verify", code=1)
    for text in expected:
        assert text in altered.stderr, altered.stderr
    return altered.stderr


# --- meter definitions and reading imports ------------------------------------------------


def test_a_meter_redefined_through_the_cli_is_audited(lingtan_cli, tmp_path, database_url):
    cli_plant(lingtan_cli, tmp_path, DEFINITIONS)
    created = entries(database_url, "meter", action="create")
    assert {e["after"]["code"]: e["after"]["multiplier"] for e in created} == {
        "E-MAIN": 6000,
        "E-WS": 1,
    }
    assert all(e["actor"] == "tester" and e["before"] is None for e in created)
    nodes = entries(database_url, "meter_node", action="create")
    assert {e["after"]["code"]: e["after"]["parent"] for e in nodes} == {"site": None, "ws": "site"}
    # The same definitions again change nothing and write nothing.
    lingtan_cli("meters", "define", tmp_path / "defs.csv")
    assert len(entries(database_url, "meter")) == 2
    # Multiplier 6000 -> 1, and the workshop meter moved to the site node.
    (tmp_path / "defs.csv").write_text(
        DEFINITIONS.replace("6000", "1").replace("E-WS,Workshop,ws", "E-WS,Workshop,site"),
        encoding="utf-8",
    )
    lingtan_cli("meters", "define", tmp_path / "defs.csv")
    updated = {e["after"]["code"]: e for e in entries(database_url, "meter", action="update")}
    assert set(updated) == {"E-MAIN", "E-WS"}
    main = updated["E-MAIN"]
    assert (main["before"]["multiplier"], main["after"]["multiplier"]) == (6000, 1)
    assert (updated["E-WS"]["before"]["node"], updated["E-WS"]["after"]["node"]) == ("ws", "site")
    assert main["entity_key"] == str(created[0]["entity_key"]) and main["actor"] == "tester"
    assert "audit log intact" in lingtan_cli("audit", "verify").output


def test_a_refused_definitions_file_writes_no_entry(lingtan_cli, tmp_path, database_url):
    cli_plant(lingtan_cli, tmp_path, DEFINITIONS)
    before = len(entries(database_url, "meter"))
    (tmp_path / "bad.csv").write_text(
        DEFINITIONS.replace("6000", "1") + "meter,E-X,X,nowhere,,electricity,kWh,cumulative,1\n",
        encoding="utf-8",
    )
    lingtan_cli("meters", "define", tmp_path / "bad.csv", code=2)
    assert len(entries(database_url, "meter")) == before


def test_a_readings_file_writes_one_entry_for_its_batch(lingtan_cli, tmp_path, database_url):
    cli_plant(lingtan_cli, tmp_path, DEFINITIONS)
    path = tmp_path / "march.csv"
    path.write_text(READINGS, encoding="utf-8")
    lingtan_cli("meters", "import", path)
    (entry,) = [e for e in entries(database_url, "import_batch") if e["after"]["file"] == path.name]
    after = entry["after"]
    assert entry["action"] == "import" and entry["actor"] == "tester"
    assert after["kind"] == "meter_readings"
    assert after["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert (after["rows_read"], after["readings_added"], after["meters_added"]) == (5, 5, 2)
    assert (after["added_from_utc"], after["added_to_utc"]) == (
        "2025-02-28T16:00:00+00:00",
        "2025-02-28T16:30:00+00:00",
    )
    # Again: a batch of its own, nothing added, no span.
    lingtan_cli("meters", "import", path)
    again = [
        e["after"] for e in entries(database_url, "import_batch") if e["after"]["file"] == path.name
    ]
    assert len(again) == 2
    assert (again[1]["readings_added"], again[1]["readings_unchanged"]) == (0, 5)
    assert again[1]["meters_added"] == 0 and again[1]["added_from_utc"] is None
    # A refused file writes no batch and no entry.
    (tmp_path / "bad.csv").write_text(READINGS + "E-NONE,2025-03-01T00:00:00,1\n", "utf-8")
    lingtan_cli("meters", "import", tmp_path / "bad.csv", code=2)
    assert not [e for e in entries(database_url, "import_batch") if e["after"]["file"] == "bad.csv"]


# --- users, tokens, budgets, targets -----------------------------------------------------


def test_users_and_tokens_are_audited(store_engine):
    with session_scope(store_engine) as session:
        org = Organization(name="Acme")
        session.add(org)
        session.flush()
        session.add(Facility(organization_id=org.id, code="F1", name="Plant", region="CN-JS"))
        session.flush()
        user = accounts.create_user(
            session, "li.na", "correct horse battery staple", role="viewer", organization="Acme",
            facilities=("F1",), actor="admin",
        )  # fmt: skip
        accounts.set_role(session, user, "manager", actor="admin")
        _, token = accounts.create_token(
            session, name="gateway", organization="Acme", facility="F1", scope="ingest",
            actor="admin",
        )  # fmt: skip
        accounts.revoke_token(session, token.id, actor="admin")
    with session_scope(store_engine, read_only=True) as session:
        log = session.execute(
            sa.select(AuditEntry.action, AuditEntry.entity).order_by(AuditEntry.id)
        ).all()
        assert audit.verify(session).ok
    assert [tuple(row) for row in log] == [
        ("create", "app_user"),
        ("role", "app_user"),
        ("create", "api_token"),
        ("revoke", "api_token"),
    ]


# --- sealed snapshots and evidence files -------------------------------------------------


@pytest.fixture
def locked(lingtan_cli, tmp_path, database_url, monkeypatch):
    """Activity imported (with an evidence file), inventory 1 computed and locked. PostgreSQL
    sessions in +08:00 (the server's zone is UTC): seals must not depend on the zone times are
    read back in."""
    monkeypatch.setenv("PGTZ", "Asia/Shanghai")
    lingtan_cli("init")
    lingtan_cli("import", "activity", workbook(tmp_path))
    lingtan_cli("inventory", "compute", "--year", 2025, "--lock")
    out = lingtan_cli("audit", "verify").output
    assert "inventory snapshots match their seals; 1 evidence file(s) match" in out
    return lingtan_cli


SUBJECT = "inventory 1 (facility T1, 2025-01-01 to 2025-12-31)"


def test_an_edited_total_column_fails_verify(locked, database_url):
    execute(database_url, ("UPDATE inventory SET total_tco2e = 1.0", {}))
    stderr = verify_fails(locked, f"{SUBJECT}: column total_tco2e is 1.0, sealed as 897.16")
    assert stderr.count(SUBJECT) == 1  # the total column alone was touched


def test_edited_rows_and_totals_of_the_result_fail_verify(locked, database_url):
    engine = sa.create_engine(database_url)
    with engine.begin() as connection:
        result = connection.execute(sa.select(Inventory.result)).scalar_one()
        result["totals"]["by_category_tco2e"]["purchased_heat"] = 0.0
        grid = next(line for line in result["lines"] if line["source_id"] == "grid@2025-01-01")
        grid["emissions_tco2e"] = 1.0
        result["lines"] = [
            line for line in result["lines"] if line["source_id"] != "steam@2025-01-01"
        ]
        connection.execute(sa.update(Inventory).values(result=result))
    engine.dispose()
    verify_fails(
        locked,
        f"{SUBJECT}: total by_category_tco2e is ",
        f"{SUBJECT}: line grid@2025-01-01 was altered",
        f"{SUBJECT}: line steam@2025-01-01 was deleted",
    )


def test_other_columns_of_a_locked_snapshot_are_sealed(locked, database_url):
    execute(
        database_url,
        ("UPDATE inventory SET status = 'computed', period_end = :end", {"end": "2025-06-30"}),
        ("UPDATE inventory SET lineage = :lineage", {"lineage": json.dumps({"lines": {}})}),
    )
    verify_fails(
        locked,
        f'{SUBJECT}: column status is "computed", sealed as "locked"',
        f'{SUBJECT}: column period_end is "2025-06-30", sealed as "2025-12-31"',
        f"{SUBJECT}: column lineage was altered",
    )


def test_a_deleted_or_renumbered_snapshot_fails_verify(locked, database_url):
    execute(database_url, ("UPDATE inventory SET id = 7", {}))
    verify_fails(
        locked,
        f"{SUBJECT}: was deleted (audit entry 3 recorded it with a total of 897.16",
        "inventory 7: is not in the audit log: it was written outside lingtan",
    )
    execute(database_url, ("DELETE FROM inventory", {}))
    stderr = verify_fails(locked, f"{SUBJECT}: was deleted")
    assert "inventory 7" not in stderr


def test_an_evidence_file_edited_or_removed_on_disk_fails_verify(locked, tmp_path, database_url):
    engine = make_engine(database_url)
    with session_scope(engine, read_only=True) as session:
        sha256, organization_id = session.execute(
            sa.select(Evidence.sha256, Evidence.organization_id)
        ).one()
    engine.dispose()
    store = EvidenceStore(tmp_path / "data" / "evidence")
    path = store.path(sha256, organization_id)  # in the organization's own folder
    os.chmod(path, 0o644)
    path.write_bytes(b"gas bill January,1200 Nm3\n")  # one zero fewer
    actual = hashlib.sha256(path.read_bytes()).hexdigest()
    named = f"evidence file bill-01.csv (SHA-256 {sha256}, evidence of activity record 1 (gas, "
    verify_fails(locked, named, f"was altered on disk: {path} now has SHA-256 {actual}")
    path.unlink()
    verify_fails(locked, named, f"is missing: no file {path}")
    # a file of the shared layout from before migration 0012 is verified where it lies
    legacy = tmp_path / "data" / "evidence" / sha256[:2] / sha256[2:]
    legacy.parent.mkdir(parents=True, exist_ok=True)
    legacy.write_bytes(b"gas bill January,1200 Nm3\n")
    verify_fails(locked, named, f"was altered on disk: {legacy} now has SHA-256 {actual}")


def test_a_restated_snapshot_and_its_predecessor_stay_sealed(locked, database_url):
    locked("inventory", "restate", "--year", 2025, "--gwp", "AR6", "--reason", "AR6")
    assert "match their seals" in locked("audit", "verify").output
    execute(database_url, ("UPDATE inventory SET restatement_reason = 'typo' WHERE id = 2", {}))
    verify_fails(locked, 'inventory 2 (facility T1, 2025-01-01 to 2025-12-31): column '
                 'restatement_reason is "typo", sealed as "AR6"')  # fmt: skip


def test_snapshots_made_before_seals_are_reported_and_sealed_by_hand(locked, database_url):
    # An old database: the audit entries of inventory 1 hold no seal (the chain rewritten
    # here with fresh hashes, as it was written then).
    engine = make_engine(database_url)
    with session_scope(engine) as session:
        rows = session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).all()
        contents = [
            {k: getattr(r, k) for k in ("actor", "action", "entity", "entity_key", "before")}
            | {"after": {k: v for k, v in (r.after or {}).items() if k != "seal"} or None}
            for r in rows
        ]
        session.execute(sa.delete(AuditEntry))
        for content in contents:
            audit.record(session, **content)
    unsealed = locked("audit", "verify")
    assert "not sealed: 1 inventory snapshot(s) made before seals (1)" in unsealed.stderr
    assert "audit log intact" in unsealed.output
    assert "1 inventory snapshot(s) sealed: 1" in locked("audit", "seal").output
    assert "not sealed" not in locked("audit", "verify").stderr
    execute(database_url, ("UPDATE inventory SET total_tco2e = 2.0", {}))
    verify_fails(locked, f"{SUBJECT}: column total_tco2e is 2.0, sealed as 897.16")
    with session_scope(engine, read_only=True) as session:
        (seal,) = session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "seal"))
        assert seal.actor == "tester" and seal.after["seal"]["columns"]["status"] == "locked"
    engine.dispose()


def test_the_seal_covers_every_column_of_a_snapshot():
    sealed = set(audit_check._SCALARS) | set(audit_check._DOCUMENTS) | {"id", "result"}
    assert sealed == {column.name for column in Inventory.__table__.columns}


def test_findings_are_in_chinese_on_screen():
    from lingtan.i18n.catalog import texts

    finding = audit_check.Finding(
        Message("inventory %(id)d", id=1),
        Message("is not in the audit log: it was written outside lingtan"),
    )
    zh = texts("zh-CN")
    assert zh.message(finding.subject) == "清单 1"
    assert "审计日志" in zh.message(finding.problem)


def test_meter_and_reading_entries_through_the_api_stay_in_their_organization(
    database_url, tmp_path
):
    from lingtan.metering.store import MeterDefinition, NodeDefinition, define_meters
    from web_support import build_site, define_two_meters

    site = build_site(database_url, tmp_path)
    try:
        with session_scope(site.engine) as session:
            define_two_meters(session)
            beta = session.scalars(sa.select(Facility).where(Facility.code == "BETA-PLANT")).one()
            define_meters(session, beta, [NodeDefinition("b-site", "B site", "facility")],
                          [MeterDefinition("B-M", "electricity", "kWh", "cumulative",
                                           node="b-site")], actor="test")  # fmt: skip
        client, csrf = site.client("manager_a")
        content = b"meter,timestamp,value\nM-SUP,2025-03-01 00:00,5\nM-SUP,2025-03-01 00:15,7\n"
        answer = client.post(
            "/api/v1/facilities/ALPHA-PLANT/meter-files",
            files={"file": ("day.csv", content)},
            headers={"X-CSRF-Token": csrf},
        )
        assert answer.status_code == 201, answer.text

        def log(user, entity):
            client, _ = site.client(user)
            found = client.get("/api/v1/audit", params={"entity": entity, "limit": 1000})
            assert found.status_code == 200, found.text
            return [e["after"] for e in found.json()["items"]]

        assert sorted(e["code"] for e in log("admin_a", "meter")) == ["M-SUP", "M-WS"]
        assert sorted(e["code"] for e in log("admin_a", "meter_node")) == ["site", "ws"]
        assert [e["code"] for e in log("admin_b", "meter")] == ["B-M"]
        (batch,) = [e for e in log("admin_a", "import_batch") if e.get("kind") == "meter_readings"]
        assert batch["sha256"] == hashlib.sha256(content).hexdigest()
        assert (batch["file"], batch["readings_added"], batch["meters_added"]) == ("day.csv", 2, 1)
        assert not [e for e in log("admin_b", "import_batch") if e.get("file") == "day.csv"]
    finally:
        site.close()
