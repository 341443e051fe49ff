"""The carbon-asset ledger (issue 14, part 1), on SQLite and PostgreSQL: hand-worked
balances, every double-count refusal with nothing written, the import all or nothing, the
audit entries, the command and the API."""

from datetime import date

import pytest
import sqlalchemy as sa

from lingtan.assets.ledger import HoldingIn, MovementIn, add_months, months_after
from lingtan.errors import InputError
from lingtan.services.ledger import asset_balances, write_ledger
from lingtan.store.db import session_scope
from lingtan.store.evidence import EvidenceStore
from lingtan.store.models import AuditEntry, CarbonAsset, Facility, LedgerEntry, LedgerSerial
from web_support import build_site

Y25 = (date(2025, 1, 1), date(2025, 12, 31))
GEC = HoldingIn(
    "GEC-A", "gec", 1000, date(2025, 3, 1), date(2025, 3, 31), date(2025, 4, 10),
    serial="GEC2025JS000001..GEC2025JS001000", issuing_registry="国家绿证核发交易系统",
    project="Yancheng offshore wind", technology="wind",
)  # fmt: skip
CONTRACT = HoldingIn(
    "GP-2025", "green_power", 5000, *Y25, date(2025, 1, 1),
    certificates="GEC2025JS500001..GEC2025JS503000", counterpart="Jiangsu wind seller",
)  # fmt: skip
CCER = HoldingIn(
    "CCER-1", "ccer", 300, *Y25, date(2025, 6, 1), serial="CCER-AF-0001..0300",
    methodology="CCER-14-001-V01 afforestation",
)  # fmt: skip


def retire(asset, quantity, serial="", *, on=date(2025, 12, 20), period=Y25, facility=None):
    return MovementIn(
        asset, "retire", quantity, on, serial=serial, facility=facility,
        period_start=period[0], period_end=period[1], claim="2025 zero-carbon factory",
    )  # fmt: skip


@pytest.fixture
def site(database_url, tmp_path):
    built = build_site(database_url, tmp_path)
    yield built
    built.close()


def write(site, holdings=(), movements=(), code="ALPHA-PLANT"):
    with session_scope(site.engine) as session:
        facility = session.scalars(sa.select(Facility).where(Facility.code == code)).one()
        return write_ledger(
            session, facility, holdings, movements, evidence=EvidenceStore(site.evidence_dir),
            actor="tester",
        )  # fmt: skip


def balances(site, code="ALPHA-PLANT"):
    with session_scope(site.engine, read_only=True) as session:
        facility = session.scalars(sa.select(Facility).where(Facility.code == code)).one()
        return {r["asset"]: r for r in asset_balances(session, facility.organization_id)}


def counts(site):
    return tuple(site.count(m) for m in (CarbonAsset, LedgerEntry, LedgerSerial, AuditEntry))


def refused(site, holdings=(), movements=(), code="ALPHA-PLANT"):
    before = counts(site)
    with pytest.raises(InputError) as caught:
        write(site, holdings, movements, code)
    assert counts(site) == before  # nothing written
    return caught.value


def test_months_after_the_end_of_a_period():
    assert add_months(date(2025, 12, 31), 12) == date(2026, 12, 31)
    assert add_months(date(2025, 2, 28), 1) == date(2025, 3, 31)
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert months_after(date(2025, 12, 31), date(2025, 12, 1)) == 0
    assert months_after(date(2025, 12, 31), date(2026, 3, 15)) == 3
    assert months_after(date(2025, 12, 31), date(2026, 3, 31)) == 3
    assert months_after(date(2025, 12, 31), date(2026, 4, 1)) == 4


def test_balances_by_hand(site):
    write(site, [GEC, CONTRACT, CCER])
    assert {r["status"] for r in balances(site).values()} == {"held"}
    moves = [
        retire("GEC-A", 600, "GEC2025JS000001..000600"),
        MovementIn("GEC-A", "transfer", 100, date(2025, 5, 1), serial="GEC2025JS000601..000700",
                   counterpart="Other buyer Ltd"),
        MovementIn("GEC-A", "cancel", 1, date(2025, 5, 2), serial="GEC2025JS000701",
                   reason="registry correction"),
        retire("GP-2025", 4200),
        retire("CCER-1", 250, "CCER-AF-0001..0250", on=date(2026, 3, 15)),
    ]  # fmt: skip
    done = write(site, movements=moves)
    assert len(done.entries_added) == 5
    found = balances(site)
    # GEC-A: 1000 acquired - 600 retired - 100 transferred - 1 cancelled = 299 MWh
    assert (found["GEC-A"]["retired"], found["GEC-A"]["transferred"]) == (600, 100)
    assert (found["GEC-A"]["cancelled"], found["GEC-A"]["balance"]) == (1, 299)
    assert found["GP-2025"]["balance"] == 800  # 5000 - 4200 MWh
    assert found["CCER-1"]["balance"] == 50 and found["CCER-1"]["unit"] == "tCO2e"
    assert (found["GEC-A"]["status"], found["CCER-1"]["status"]) == ("partial", "partial")
    # every holding and every movement audited, with the serials
    with site.engine.connect() as c:
        audited = c.execute(
            sa.select(AuditEntry.entity, AuditEntry.action, AuditEntry.after).where(
                AuditEntry.entity.in_(("carbon_asset", "ledger_entry"))
            )
        ).all()
    assert [(e, a) for e, a, _ in audited].count(("carbon_asset", "create")) == 3
    retired = [after for e, a, after in audited if a == "retire"]
    assert retired[0]["serial"] == "GEC2025JS000001..000600"
    assert retired[0]["facility"] == "ALPHA-PLANT"
    # the same movements again change nothing
    again = write(site, [GEC], moves)
    assert (again.assets_unchanged, again.entries_unchanged, again.entries_added) == (1, 5, [])


def test_a_serial_retired_twice_is_refused_naming_the_earlier_retirement(site):
    write(site, [GEC], [retire("GEC-A", 10, "GEC2025JS000001..000010")])
    error = refused(site, movements=[retire("GEC-A", 6, "GEC2025JS000005..000010")])
    text = str(error)
    assert "GEC2025JS000005..000010" in text and "entry 1 (retire) of holding GEC-A" in text
    assert "no double counting" in text


def test_a_retirement_larger_than_the_holding_is_refused(site):
    write(site, [CONTRACT])
    write(site, movements=[retire("GP-2025", 4000)])
    text = str(refused(site, movements=[retire("GP-2025", 1001)]))
    assert "1001 MWh is more than the balance of holding GP-2025" in text
    assert "1000 MWh" in text and "never more than held" in text


def test_a_certificate_bundled_with_a_contract_and_counted_separately_is_refused(site):
    write(site, [CONTRACT])
    separate = HoldingIn(
        "GEC-B", "gec", 10, date(2025, 5, 1), date(2025, 5, 31), date(2025, 6, 1),
        serial="GEC2025JS500991..501000",
    )  # fmt: skip
    text = str(refused(site, [separate]))
    assert "GEC2025JS500991..501000" in text and "holding GP-2025" in text
    assert "bundled certificates" in text


def test_a_holding_of_serials_held_by_another_organization_is_refused(site):
    write(site, [GEC])
    text = str(refused(site, [GEC], code="BETA-PLANT"))
    assert "a holding of another organization" in text and "one holder per serial" in text
    assert "GEC-A" not in text.replace("GEC-A'", "")  # the other's code is not shown


def test_transferred_serials_can_be_acquired_and_retired_by_the_buyer(site):
    write(site, [GEC], [MovementIn("GEC-A", "transfer", 100, date(2025, 5, 1),
                                   serial="GEC2025JS000001..000100", counterpart="Beta")])  # fmt: skip
    bought = HoldingIn(
        "FROM-ALPHA", "gec", 100, date(2025, 3, 1), date(2025, 3, 31), date(2025, 5, 2),
        serial="GEC2025JS000001..000100",
    )  # fmt: skip
    write(site, [bought], [retire("FROM-ALPHA", 100, "GEC2025JS000001..000100")], "BETA-PLANT")
    assert balances(site, "BETA-PLANT")["FROM-ALPHA"]["balance"] == 0
    assert balances(site, "BETA-PLANT")["FROM-ALPHA"]["status"] == "none_left"
    # alpha cannot retire what it transferred
    text = str(refused(site, movements=[retire("GEC-A", 1, "GEC2025JS000050")]))
    assert "transfer" in text


def test_a_generation_period_outside_the_claim_period_is_refused(site):
    write(site, [GEC])
    text = str(refused(site, movements=[retire("GEC-A", 1, "GEC2025JS000001",
                                               period=(date(2026, 1, 1), date(2026, 12, 31)))]))  # fmt: skip
    assert "generation-within-claim-period" in text and "2025-03-01 to 2025-03-31" in text


def test_a_credit_retired_more_than_12_months_after_the_period_is_refused(site):
    write(site, [CCER])
    late = retire("CCER-1", 1, "CCER-AF-0001", on=date(2027, 1, 1))
    text = str(refused(site, movements=[late]))
    assert "credit-retired-within-12-months" in text and "2026-12-31" in text


def test_a_file_of_good_and_bad_rows_writes_nothing(site):
    bad = [retire("GEC-A", 5, "GEC2025JS000001..000005"), retire("GEC-A", 1, "GEC2025JS000003")]
    error = refused(site, [GEC, CCER], bad)
    assert len(error.problems) == 1  # the second retirement takes a serial of the first


def test_serials_not_of_the_holding_and_a_wrong_count_are_refused(site):
    write(site, [GEC])
    text = str(refused(site, movements=[retire("GEC-A", 2, "GEC2025JS000999..001000"),
                                        retire("GEC-A", 1, "GEC2025JS001001")]))  # fmt: skip
    assert "GEC2025JS001001 is not among the serials of holding GEC-A" in text
    wrong = HoldingIn("GEC-C", "gec", 5, *Y25, date(2025, 1, 1), serial="X-1..4")
    assert "name 4 unit(s) but the quantity is 5 MWh" in str(refused(site, [wrong]))


# --- the ledger file --------------------------------------------------------------------------

LEDGER_CSV = """record,asset,kind,quantity,serial,certificates,period_start,period_end,date,claim,counterpart,reason,evidence
acquire,GEC-A,gec,1000,GEC2025JS000001..GEC2025JS001000,,2025-03-01,2025-03-31,2025-04-10,,,,gec.csv
acquire,GP-2025,green_power,5000,,GEC2025JS500001..GEC2025JS503000,2025-01-01,2025-12-31,2025-01-01,,Seller,,
acquire,CCER-1,ccer,300,CCER-AF-0001..0300,,2025-01-01,2025-12-31,2025-06-01,,,,
retire,GEC-A,,300,GEC2025JS000001..000300,,2025-01-01,2025-12-31,2025-12-20,2025 claim,,,
retire,GP-2025,,200,,,2025-01-01,2025-12-31,2025-12-31,2025 claim,,,
retire,CCER-1,,50,CCER-AF-0001..0050,,2025-01-01,2025-12-31,2026-03-15,2025 claim,,,
transfer,CCER-1,,10,CCER-AF-0291..0300,,,,2025-07-01,,Buyer Ltd,,
"""


def import_file(site, tmp_path, text, name="ledger.csv", code="ALPHA-PLANT"):
    from lingtan.imports.ledger import read_ledger_file

    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    (tmp_path / "gec.csv").write_text("registry statement\n", encoding="utf-8")
    holdings, movements, months = read_ledger_file(path)
    with session_scope(site.engine) as session:
        facility = session.scalars(sa.select(Facility).where(Facility.code == code)).one()
        return write_ledger(
            session, facility, holdings, movements, months=months,
            evidence=EvidenceStore(site.evidence_dir),
            actor="tester", source_file=path, origin=path.name,
        )  # fmt: skip


def test_the_file_imports_with_its_evidence_and_again_changes_nothing(site, tmp_path):
    done = import_file(site, tmp_path, LEDGER_CSV)
    assert done.assets_added == ["GEC-A", "GP-2025", "CCER-1"] and len(done.entries_added) == 4
    found = balances(site)
    assert found["GEC-A"]["balance"] == 700 and found["GP-2025"]["balance"] == 4800
    assert found["CCER-1"]["balance"] == 240  # 300 - 50 retired - 10 transferred
    with session_scope(site.engine, read_only=True) as session:
        gec = session.scalars(sa.select(CarbonAsset).where(CarbonAsset.code == "GEC-A")).one()
        assert gec.evidence is not None and gec.evidence.filename == "gec.csv"
        assert gec.import_id == done.batch_id
    before = counts(site)
    again = import_file(site, tmp_path, LEDGER_CSV)
    assert again.batch_id is None and (again.assets_unchanged, again.entries_unchanged) == (3, 4)
    assert counts(site) == before


def test_a_file_with_a_bad_cell_or_a_double_count_is_refused_whole(site, tmp_path):
    bad = LEDGER_CSV.replace("2025-06-01", "2025-13-01") + (
        "retire,GEC-A,,1,GEC2025JS000300,,2025-01-01,2025-12-31,2025-12-21,again,,,\n"
    )
    before = counts(site)
    with pytest.raises(InputError) as caught:
        import_file(site, tmp_path, bad)
    text = str(caught.value)
    assert "ledger.csv row 4" in text and "date" in text and "2025-13-01" in text
    assert counts(site) == before
    # the date mended: the double count of GEC2025JS000300 is still refused, row named
    with pytest.raises(InputError) as caught:
        import_file(site, tmp_path, bad.replace("2025-13-01", "2025-06-01"))
    text = str(caught.value)
    assert "ledger.csv row 9" in text and "GEC2025JS000300" in text and "entry" in text
    assert counts(site) == before


def test_a_file_without_a_required_column_is_refused(site, tmp_path):
    with pytest.raises(InputError) as caught:
        import_file(site, tmp_path, "record,asset,quantity\nacquire,X,1\n")
    assert "date" in str(caught.value)


# --- two retirements of one serial at once ------------------------------------------------------


def test_two_concurrent_retirements_of_one_serial_exactly_one_succeeds(site):
    import threading

    write(site, [GEC])
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def one(claim: str) -> None:
        barrier.wait()
        try:
            with session_scope(site.engine) as session:
                facility = session.scalars(
                    sa.select(Facility).where(Facility.code == "ALPHA-PLANT")
                ).one()
                movement = MovementIn(
                    "GEC-A", "retire", 5, date(2025, 12, 1), serial="GEC2025JS000001..000005",
                    period_start=Y25[0], period_end=Y25[1], claim=claim,
                )  # fmt: skip
                write_ledger(session, facility, (), [movement], evidence=EvidenceStore(
                    site.evidence_dir), actor=claim)  # fmt: skip
            outcomes.append("ok")
        except InputError as error:
            assert "no double counting" in str(error)
            outcomes.append("refused")

    threads = [threading.Thread(target=one, args=(f"claim {i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok", "refused"]
    assert balances(site)["GEC-A"]["retired"] == 5


# --- the facts of a year from the store ------------------------------------------------------


def test_facts_from_the_store_by_hand(site, tmp_path):
    from lingtan.services import inventory as inventories
    from lingtan.services.ledger_facts import facts_from_store

    import_file(site, tmp_path, LEDGER_CSV)
    with session_scope(site.engine) as session:
        alpha = session.scalars(sa.select(Facility).where(Facility.code == "ALPHA-PLANT")).one()
        year = inventories.compute(session, alpha, *Y25, actor="test", lock=True)
        totals = year.result["totals"]
        found = facts_from_store(session, alpha, 2025)
    facts = found.facts
    # grid 1000 MWh (January) + 900 MWh (February): 1900 MWh purchased
    assert facts["electricity_consumed_mwh"].value == 1900
    # (300 MWh of GECs + 200 MWh of green power) / 1900 MWh = 26.315789… %
    assert facts["renewable_electricity_share_pct"].value == pytest.approx(500 / 1900 * 100)
    assert facts["offset_retired_tco2e"].value == 50
    assert facts["credit_retirement_lag_months"].value == 3  # 2025-12-31 → 2026-03-15
    residual = totals["scope1_tco2e"] + totals["scope2_market_tco2e"]
    assert facts["scope12_residual_tco2e"].value == pytest.approx(residual)
    assert found.inventory_id == year.id
    share = found.lineage["renewable_electricity_share_pct"]
    assert (share["gec_retired_mwh"], share["green_power_retired_mwh"]) == (300, 200)
    assert [e["asset"] for e in share["ledger_entries"]] == ["GEC-A", "GP-2025"]
    assert [e["asset"] for e in found.lineage["offset_retired_tco2e"]["ledger_entries"]] == [
        "CCER-1"
    ]
    # another year: nothing retired, no inventory
    with session_scope(site.engine, read_only=True) as session:
        alpha = session.scalars(sa.select(Facility).where(Facility.code == "ALPHA-PLANT")).one()
        empty = facts_from_store(session, alpha, 2024)
    assert (
        set(empty.facts) == {"offset_retired_tco2e"}
        and empty.facts["offset_retired_tco2e"].value == 0
    )
    assert "no inventory" in empty.lineage["scope12_residual_tco2e"]["missing"]


# --- the command and the API ---------------------------------------------------------------------


def test_the_commands(site, lingtan_cli, tmp_path):
    import json

    path = tmp_path / "ledger.csv"
    path.write_text(LEDGER_CSV, encoding="utf-8")
    (tmp_path / "gec.csv").write_text("registry statement\n", encoding="utf-8")
    done = lingtan_cli("import", "ledger", path, "--facility", "ALPHA-PLANT")
    assert "3 holding(s) and 4 movement(s) added" in done.output
    shown = json.loads(
        lingtan_cli("ledger", "balance", "--facility", "ALPHA-PLANT", "--format", "json").stdout
    )
    assert {r["asset"]: r["balance"] for r in shown} == {
        "CCER-1": 240, "GEC-A": 700, "GP-2025": 4800,
    }  # fmt: skip
    retired = lingtan_cli(
        "ledger", "retire", "GEC-A", "100", "--serial", "GEC2025JS000301..000400",
        "--facility", "ALPHA-PLANT", "--year", "2025", "--claim", "2025 claim",
        "--date", "2025-12-30",
    )  # fmt: skip
    assert "retired: entry" in retired.output
    again = lingtan_cli(
        "--lang", "zh-CN", "ledger", "retire", "GEC-A", "1", "--serial", "GEC2025JS000400",
        "--facility", "ALPHA-PLANT", "--year", "2025", "--claim", "twice", "--date",
        "2025-12-31", code=2,
    )  # fmt: skip
    assert "不得重复计算" in again.stderr and "GEC2025JS000400" in again.stderr
    listed = lingtan_cli("ledger", "list", "--facility", "ALPHA-PLANT", "--format", "csv")
    assert listed.stdout.count(",retire,") == 4
    chinese = lingtan_cli("--lang", "zh-CN", "ledger", "balance", "--facility", "ALPHA-PLANT")
    assert "绿色电力证书（绿证）" in chinese.stdout and "余额" in chinese.stdout


def test_the_api_lists_and_imports_within_the_organization(site, tmp_path):
    from web_support import assert_error

    manager, csrf = site.client("manager_a")
    files = {"file": ("ledger.csv", LEDGER_CSV.replace("gec.csv", "").encode())}
    answer = manager.post(
        "/api/v1/facilities/ALPHA-PLANT/ledger", files=files, headers={"X-CSRF-Token": csrf}
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["assets_added"] == ["GEC-A", "GP-2025", "CCER-1"]
    body = manager.get("/api/v1/facilities/ALPHA-PLANT/ledger?year=2025").json()
    assert {h["asset"]: h["balance"] for h in body["holdings"]}["GEC-A"] == 700
    assert [e["action"] for e in body["entries"]].count("retire") == 3
    viewer, csrf_v = site.client("viewer_a")
    assert viewer.get("/api/v1/facilities/ALPHA-PLANT/ledger").status_code == 200
    refused = viewer.post(
        "/api/v1/facilities/ALPHA-PLANT/ledger", files=files, headers={"X-CSRF-Token": csrf_v}
    )
    assert_error(refused, 403)
    other, csrf_b = site.client("manager_b")
    assert_error(other.get("/api/v1/facilities/ALPHA-PLANT/ledger"), 404)
    # B's upload of A's serials: refused whole, nothing of A's named
    before = counts(site)
    clash = other.post(
        "/api/v1/facilities/BETA-PLANT/ledger", files=files, headers={"X-CSRF-Token": csrf_b}
    )
    error = assert_error(clash, 422)
    assert "another organization" in clash.text and error["problems"]
    assert counts(site) == before


def test_the_example_ledger_file_imports(site):
    from pathlib import Path

    from lingtan.imports.ledger import read_ledger_file

    path = Path(__file__).resolve().parents[1] / "examples" / "ledger.csv"
    holdings, movements, _ = read_ledger_file(path)
    with session_scope(site.engine) as session:
        facility = session.scalars(sa.select(Facility).where(Facility.code == "ALPHA-PLANT")).one()
        done = write_ledger(
            session, facility, holdings, movements, evidence=EvidenceStore(site.evidence_dir),
            actor="tester", source_file=path,
        )  # fmt: skip
    assert (len(done.assets_added), len(done.entries_added)) == (3, 4)
    assert balances(site)["GEC-A"]["balance"] == 700


def test_a_text_longer_than_its_column_is_refused(site):
    long = HoldingIn("X" * 101, "credit", 1, *Y25, date(2025, 1, 1))
    assert "must be at most 100 characters" in str(refused(site, [long]))
    serial = HoldingIn("LONG", "credit", 1, *Y25, date(2025, 1, 1), serial="S" * 201)
    assert "must be at most 200 characters" in str(refused(site, [serial]))


def test_evaluate_reads_the_facts_from_the_store_and_a_file_adds_declarations(
    site, lingtan_cli, tmp_path
):
    import json

    from lingtan.services import inventory as inventories

    import_file(site, tmp_path, LEDGER_CSV)
    with session_scope(site.engine) as session:
        alpha = session.scalars(sa.select(Facility).where(Facility.code == "ALPHA-PLANT")).one()
        totals = inventories.compute(session, alpha, *Y25, actor="t", lock=True).result["totals"]
    residual = totals["scope1_tco2e"] + totals["scope2_market_tco2e"]
    args = ("evaluate", "--facility", "ALPHA-PLANT", "--period", "2025", "--scheme",
            "suzhou-2026", "--format", "json")  # fmt: skip
    document = json.loads(lingtan_cli(*args).stdout)
    offset = next(c for c in document["criteria"] if c["id"] == "offset-100")
    assert offset["status"] == "fail" and offset["value"] == 50
    assert offset["threshold"] == pytest.approx(residual)
    assert offset["gap"] == pytest.approx(residual - 50)
    assert offset["evidence"] == "ledger entries " + ", ".join(
        str(e["entry"])
        for e in document["facts_from_store"]["lineage"]["offset_retired_tco2e"]["ledger_entries"]
    )
    green = next(c for c in document["criteria"] if c["id"] == "green-factory")
    assert green["status"] == "unable_to_judge"
    declared = tmp_path / "declared.yaml"
    declared.write_text(
        "facts:\n  green_factory_status: {value: provincial, evidence: list 2024 row 3}\n",
        encoding="utf-8",
    )
    document = json.loads(lingtan_cli(*args, declared).stdout)
    green = next(c for c in document["criteria"] if c["id"] == "green-factory")
    assert green["status"] == "pass" and document["facts_file"] == "declared.yaml"
    both = tmp_path / "both.yaml"
    both.write_text("facts:\n  offset_retired_tco2e: 99999\n", encoding="utf-8")
    refused_run = lingtan_cli(*args, both, code=2)
    assert "computed from the database" in refused_run.stderr and refused_run.stdout == ""
    alone = lingtan_cli("evaluate", "--facility", "ALPHA-PLANT", "--scheme", "suzhou-2026",
                        code=2)  # fmt: skip
    assert "--facility and --period go together" in alone.stderr
