"""National ETS allowances and green power contracts' months in the carbon-asset ledger
(issue 14 §1), on SQLite and PostgreSQL: the surrender (清缴) of allowances for a compliance
year and its refusals with nothing written, the compliance position against the locked
inventory's Scope 1 worked by hand, two competing surrenders, the months of a contract capping
its retirements and the market-based Scope 2 as `lingtan calc` computes it."""

import json
import threading
from datetime import date

import pytest
import sqlalchemy as sa
import yaml
from click.testing import CliRunner

from lingtan.assets.ledger import HoldingIn, MonthIn, MovementIn, compliance_position
from lingtan.cli.main import main
from lingtan.errors import InputError
from lingtan.services import inventory as inventories
from lingtan.services.allowances import compliance_status, compliance_years
from lingtan.services.ledger import asset_balances, contract_months, write_ledger
from lingtan.services.retirements import ledger_claims
from lingtan.store.db import session_scope
from lingtan.store.evidence import EvidenceStore
from lingtan.store.models import (
    AuditEntry,
    CarbonAsset,
    ContractMonth,
    Facility,
    LedgerEntry,
    LedgerSerial,
)
from web_support import build_site

Y25 = (date(2025, 1, 1), date(2025, 12, 31))
Y24 = (date(2024, 1, 1), date(2024, 12, 31))
Y26 = (date(2026, 1, 1), date(2026, 12, 31))
#: ALPHA-PLANT's Scope 1 for 2025, by hand: 123,456.789 Nm3 of natural gas x 389.31 GJ/10^4 Nm3
#: x 15.3 tC/TJ x 0.99 oxidation x 44/12 (GB/T 32151 Table C.1 as the reference gives it).
SCOPE1_2025 = 123456.789 / 1e4 * 389.31 * 15.3e-3 * 0.99 * 44 / 12
#: The national average excluding market-traded non-fossil electricity (MEE 2023 factors).
RESIDUAL_2023 = 0.6096
CEA24 = HoldingIn(
    "CEA-2024", "cea", 200, *Y24, date(2025, 3, 1), channel="free_allocation",
    price_cny_per_unit=0.0, registry_account="ALPHA-REG-001",
    issuing_registry="全国碳排放权注册登记系统",
)  # fmt: skip
CEA25 = HoldingIn(
    "CEA-2025", "cea", 100, *Y25, date(2025, 6, 1), channel="purchase",
    price_cny_per_unit=80.0, registry_account="ALPHA-REG-001", counterpart="a seller",
)  # fmt: skip
CEA26 = HoldingIn("CEA-2026", "cea", 30, *Y26, date(2026, 2, 1), channel="auction")
GEC = HoldingIn(
    "GEC-A", "gec", 1000, date(2025, 3, 1), date(2025, 3, 31), date(2025, 4, 10),
    serial="GEC2025JS000001..GEC2025JS001000",
)  # fmt: skip
CONTRACT = HoldingIn(
    "GP-2025", "green_power", 5000, *Y25, date(2025, 1, 1),
    certificates="GEC2025JS500001..GEC2025JS503000", counterpart="Jiangsu wind seller",
)  # fmt: skip
JANUARY = MonthIn("GP-2025", date(2025, 1, 1), 500, 480, "GEC2025JS500001..500480")
FEBRUARY = MonthIn("GP-2025", date(2025, 2, 1), 500, 520, "GEC2025JS500481..501000")


def surrender(asset, quantity, year=2025, *, on=date(2026, 6, 30), facility=None):
    return MovementIn(asset, "surrender", quantity, on, facility=facility, compliance_year=year)


def retire(asset, quantity, *, on=date(2025, 12, 31), period=Y25):
    return MovementIn(
        asset, "retire", quantity, on, period_start=period[0], period_end=period[1],
        claim="2025 claim",
    )  # fmt: skip


@pytest.fixture
def site(database_url, tmp_path):
    built = build_site(database_url, tmp_path)
    yield built
    built.close()


def alpha(session, code="ALPHA-PLANT"):
    return session.scalars(sa.select(Facility).where(Facility.code == code)).one()


def write(site, holdings=(), movements=(), months=()):
    with session_scope(site.engine) as session:
        return write_ledger(
            session, alpha(session), holdings, movements, months=months,
            evidence=EvidenceStore(site.evidence_dir), actor="tester",
        )  # fmt: skip


def counts(site):
    models = (CarbonAsset, LedgerEntry, LedgerSerial, ContractMonth, AuditEntry)
    return tuple(site.count(m) for m in models)


def refused(site, holdings=(), movements=(), months=()):
    before = counts(site)
    with pytest.raises(InputError) as caught:
        write(site, holdings, movements, months)
    assert counts(site) == before  # nothing written
    return str(caught.value)


def balances(site):
    with session_scope(site.engine, read_only=True) as session:
        return {r["asset"]: r for r in asset_balances(session, alpha(session).organization_id)}


def lock_2025(site):
    with session_scope(site.engine) as session:
        inventories.compute(session, alpha(session), *Y25, actor="tester", lock=True)


def status(site, year=2025):
    with session_scope(site.engine, read_only=True) as session:
        return compliance_status(session, alpha(session), year)


# --- the compliance position, by hand ---------------------------------------------------------


def test_compliance_position_by_hand():
    assert compliance_position(verified_tco2e=1000.0, surrendered_tco2e=950.0) == {
        "verified_tco2e": 1000.0, "surrendered_tco2e": 950.0, "shortfall_tco2e": 50.0,
        "surplus_tco2e": 0.0, "status": "shortfall",
    }  # fmt: skip
    over = compliance_position(verified_tco2e=1000.0, surrendered_tco2e=1020.5)
    assert (over["shortfall_tco2e"], over["surplus_tco2e"], over["status"]) == (
        0.0, 20.5, "complied",
    )  # fmt: skip
    none = compliance_position(verified_tco2e=None, surrendered_tco2e=10.0)
    assert none["status"] == "no_verified_emissions" and none["shortfall_tco2e"] is None


def test_surrenders_against_the_locked_scope_1_by_hand(site):
    write(site, [CEA24, CEA25, CEA26])
    found = balances(site)
    assert (found["CEA-2024"]["channel"], found["CEA-2024"]["price_cny_per_unit"]) == (
        "free_allocation", 0.0,
    )  # fmt: skip
    assert found["CEA-2025"]["registry_account"] == "ALPHA-REG-001"
    # no locked inventory of 2025 yet: no verified figure
    assert status(site)["status"] == "no_verified_emissions"
    lock_2025(site)
    write(site, (), [surrender("CEA-2024", 200), surrender("CEA-2025", 50)])
    found = balances(site)
    assert (found["CEA-2024"]["surrendered"], found["CEA-2024"]["balance"]) == (200, 0)
    assert (found["CEA-2025"]["surrendered"], found["CEA-2025"]["balance"]) == (50, 50)
    shown = status(site)
    # by hand: Scope 1 266.937 tCO2e; 200 + 50 = 250 surrendered; 16.937 short; usable for
    # 2025: the 50 left of vintage 2025 (the 30 of vintage 2026 are not)
    assert shown["verified_tco2e"] == pytest.approx(SCOPE1_2025, rel=1e-12)
    assert shown["verified_tco2e"] == pytest.approx(266.93688757, abs=1e-8)
    assert shown["surrendered_tco2e"] == 250
    assert shown["shortfall_tco2e"] == pytest.approx(SCOPE1_2025 - 250, rel=1e-12)
    assert shown["surplus_tco2e"] == 0 and shown["status"] == "shortfall"
    assert shown["usable_balance_tco2e"] == 50
    assert shown["verified_from"]["figure"] == "scope1_tco2e"
    assert [s["vintage"] for s in shown["surrenders"]] == [2024, 2025]
    write(site, (), [surrender("CEA-2025", 17)])
    after = status(site)
    assert after["status"] == "complied"
    assert after["surplus_tco2e"] == pytest.approx(267 - SCOPE1_2025, rel=1e-12)
    with session_scope(site.engine, read_only=True) as session:
        assert compliance_years(session, alpha(session)) == [2024, 2025, 2026]
        # allowances never enter the inventory: no instrument, no offset
        claims = ledger_claims(session, alpha(session), *Y25)
    assert claims.instruments == [] and claims.offsets["total_tco2e"] == 0
    # each surrender is in the audit log with its compliance year
    with session_scope(site.engine, read_only=True) as session:
        audited = session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "surrender")
        ).all()
    assert sorted(a.after["compliance_year"] for a in audited) == [2025, 2025, 2025]


def test_surrender_refusals_write_nothing(site):
    write(site, [CEA24, CEA25, CEA26, GEC])
    text = refused(site, movements=[surrender("CEA-2025", 100.5)])
    assert "never more than held" in text and "100.5" in text
    text = refused(site, movements=[surrender("CEA-2026", 10, 2025)])
    assert "vintage 2026" in text and "vintage-not-after-compliance-year" in text
    assert "unverified" in text and "compliance_year" in text
    text = refused(site, movements=[surrender("GEC-A", 10)])
    assert "only national ETS allowances (cea) are surrendered" in text
    text = refused(site, movements=[retire("CEA-2025", 10)])
    assert "never retired into an inventory" in text
    text = refused(site, movements=[surrender("CEA-2025", 10, None)])
    assert "names its compliance year" in text
    text = refused(site, movements=[surrender("CEA-2025", 10, facility="NOWHERE")])
    assert "no such facility" in text
    # surrendered once: the rest cannot be surrendered again beyond the balance
    write(site, (), [surrender("CEA-2025", 60)])
    text = refused(site, movements=[surrender("CEA-2025", 60, on=date(2026, 7, 1))])
    assert "balance" in text and "40" in text
    # the same surrender again is the one stored: nothing changes
    before = counts(site)
    done = write(site, (), [surrender("CEA-2025", 60)])
    assert done.entries_unchanged == 1 and counts(site) == before


def test_allowance_holdings_are_checked(site):
    bad_channel = HoldingIn("CEA-X", "cea", 10, *Y25, date(2025, 1, 1), channel="gift")
    text = refused(site, [bad_channel])
    assert "channel" in text and "gift" in text and "free_allocation" in text
    two_years = HoldingIn(
        "CEA-Y", "cea", 10, date(2024, 1, 1), Y25[1], date(2025, 1, 1), channel="auction"
    )
    assert "vintage year" in refused(site, [two_years])
    negative = HoldingIn(
        "CEA-Z", "cea", 10, *Y25, date(2025, 1, 1), channel="auction", price_cny_per_unit=-1.0
    )
    assert "price" in refused(site, [negative])


def test_two_concurrent_surrenders_exactly_one_succeeds(site):
    write(site, [CEA25])
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def one(actor: str, day: int) -> None:
        barrier.wait()
        try:
            with session_scope(site.engine) as session:
                # two different surrenders (days differ) of 60 from a balance of 100
                movement = surrender("CEA-2025", 60, on=date(2026, 6, day))
                write_ledger(
                    session, alpha(session), (), [movement],
                    evidence=EvidenceStore(site.evidence_dir), actor=actor,
                )  # fmt: skip
            outcomes.append("ok")
        except InputError as error:
            assert "never more than held" in str(error)
            outcomes.append("refused")

    threads = [threading.Thread(target=one, args=(f"clerk {i}", 20 + i)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok", "refused"]
    assert balances(site)["CEA-2025"]["surrendered"] == 60


# --- green power contracts' months ------------------------------------------------------------


def test_the_months_cap_retirements_and_flow_into_market_based_scope_2(site, tmp_path):
    done = write(site, [CONTRACT], months=[JANUARY, FEBRUARY])
    assert done.months_added == ["GP-2025:2025-01", "GP-2025:2025-02"]
    with session_scope(site.engine, read_only=True) as session:
        rows = contract_months(session, alpha(session).organization_id)
    assert [(r["month"], r["contracted_mwh"], r["settled_mwh"]) for r in rows] == [
        ("2025-01", 500, 480), ("2025-02", 500, 520),
    ]  # fmt: skip
    # settled in 2025: 480 + 520 = 1,000 MWh
    assert "1001 MWh is more than" in refused(site, movements=[retire("GP-2025", 1001)])
    write(site, (), [retire("GP-2025", 600)])
    text = refused(site, movements=[retire("GP-2025", 401, on=date(2026, 1, 5))])
    assert "400 MWh" in text and "settled volume of the months" in text
    write(site, (), [retire("GP-2025", 400, on=date(2026, 1, 5))])
    # a claim period of March only: nothing settled in it
    march = (date(2025, 3, 1), date(2025, 3, 31))
    assert "0 MWh" in refused(site, movements=[retire("GP-2025", 1, period=march)])
    with session_scope(site.engine) as session:
        inventory = inventories.compute(session, alpha(session), *Y25, actor="tester")
        document, totals = inventory.input_document, inventory.result["totals"]
    # by hand: 1,900 MWh bought, the 1,000 MWh settled and retired cover 1,000 of them
    assert totals["renewable_electricity_mwh"] == 1000
    assert totals["scope2_market_tco2e"] == pytest.approx(900 * RESIDUAL_2023, rel=1e-12)
    by_hand = {key: value for key, value in document.items() if key != "instruments"}
    by_hand["instruments"] = [
        {"id": "contract", "kind": "green_power", "quantity": 1000, "unit": "MWh"}
    ]
    path = tmp_path / "same.yaml"
    path.write_text(yaml.safe_dump(by_hand, allow_unicode=True), encoding="utf-8")
    calc = CliRunner().invoke(main, ["calc", str(path), "--format", "json"])
    assert calc.exit_code == 0, calc.output
    assert json.loads(calc.stdout)["totals"]["scope2_market_tco2e"] == pytest.approx(
        totals["scope2_market_tco2e"], rel=1e-12
    )


def test_bad_months_are_refused_whole(site):
    write(site, [CONTRACT, GEC])
    text = refused(site, months=[JANUARY, MonthIn("GP-2025", date(2026, 1, 1), 10)])
    assert "outside the contract's delivery period" in text and "2026-01-01" in text
    text = refused(site, months=[MonthIn("GP-2025", date(2025, 3, 1), 5001)])
    assert "more than the contract's 5000 MWh" in text
    text = refused(site, months=[MonthIn("GP-2025", date(2025, 3, 1), 10, 10, "GEC2025JS000001")])
    assert "not among the certificates bundled" in text
    text = refused(
        site, months=[MonthIn("GP-2025", date(2025, 3, 1), 10, 5, "GEC2025JS500001..500010")]
    )
    assert "more than its 5 MWh settled" in text
    assert "only a green power contract" in refused(site, months=[MonthIn("GEC-A", Y25[0], 1)])
    write(site, months=[JANUARY])
    changed = MonthIn("GP-2025", date(2025, 1, 15), 500, 490, JANUARY.certificates)
    assert "never overwritten" in refused(site, months=[changed])
    assert write(site, months=[JANUARY]).months_unchanged == 1


# --- the file, the commands, the API and the page ---------------------------------------------

LEDGER_CSV = """record,asset,kind,quantity,channel,price,registry_account,period_start,period_end,date,compliance_year,settled,certificates
取得,CEA-2024,配额,200,免费分配,0,ALPHA-REG-001,2024-01-01,2024-12-31,2025-03-01,,,
acquire,CEA-2025,cea,100,purchase,80,ALPHA-REG-001,2025-01-01,2025-12-31,2025-06-01,,,
acquire,GP-2025,green_power,5000,,,,2025-01-01,2025-12-31,2025-01-01,,,GEC2025JS500001..GEC2025JS503000
月度电量,GP-2025,,500,,,,,,2025-01-01,,480,GEC2025JS500001..500480
month,GP-2025,,500,,,,,,2025-02-01,,520,
清缴,CEA-2024,,200,,,,,,2026-06-30,2025,,
"""


def import_text(site, tmp_path, text):
    from lingtan.imports.ledger import read_ledger_file

    path = tmp_path / "allowances.csv"
    path.write_text(text, encoding="utf-8")
    holdings, movements, months = read_ledger_file(path)
    with session_scope(site.engine) as session:
        return write_ledger(
            session, alpha(session), holdings, movements, months=months,
            evidence=EvidenceStore(site.evidence_dir), actor="tester", source_file=path,
        )  # fmt: skip


def test_the_file_imports_allowances_surrenders_and_months_all_or_nothing(site, tmp_path):
    # a bad cell (vintage 2026 for 2025) and a bad month: refused whole, rows named
    bad = LEDGER_CSV.replace("清缴,CEA-2024", "清缴,CEA-2025").replace(
        ",2026-06-30,2025,", ",2026-06-30,2024,"
    )
    bad += "month,GP-2025,,-5,,,,,,2025-03-01,,,\n"
    before = counts(site)
    with pytest.raises(InputError) as caught:
        import_text(site, tmp_path, bad)
    text = str(caught.value)
    assert "allowances.csv row 8" in text and "quantity" in text and "-5" in text
    assert counts(site) == before
    with pytest.raises(InputError) as caught:
        import_text(site, tmp_path, bad.replace("month,GP-2025,,-5", "month,GP-2025,,5"))
    text = str(caught.value)
    assert "allowances.csv row 7" in text and "vintage 2025" in text and "2024" in text
    assert counts(site) == before
    done = import_text(site, tmp_path, LEDGER_CSV)
    assert done.assets_added == ["CEA-2024", "CEA-2025", "GP-2025"]
    assert done.months_added == ["GP-2025:2025-01", "GP-2025:2025-02"]
    assert len(done.entries_added) == 1
    found = balances(site)
    assert (found["CEA-2024"]["channel"], found["CEA-2024"]["surrendered"]) == (
        "free_allocation",
        200,
    )
    assert found["CEA-2025"]["price_cny_per_unit"] == 80
    again = import_text(site, tmp_path, LEDGER_CSV)
    assert again.batch_id is None and again.months_unchanged == 2


def test_the_commands(site, lingtan_cli, tmp_path):
    write(site, [CEA24, CEA25, CONTRACT], months=[JANUARY, FEBRUARY])
    lock_2025(site)
    done = lingtan_cli(
        "ledger", "surrender", "CEA-2024", "200", "--year", "2025", "--facility", "ALPHA-PLANT",
        "--date", "2026-06-30",
    )  # fmt: skip
    assert "surrendered: entry" in done.output and "for 2025" in done.output
    refused_zh = lingtan_cli(
        "--lang", "zh-CN", "ledger", "surrender", "CEA-2025", "101", "--year", "2025",
        "--facility", "ALPHA-PLANT", code=2,
    )  # fmt: skip
    assert "超过" in refused_zh.stderr and "CEA-2025" in refused_zh.stderr
    shown = json.loads(
        lingtan_cli(
            "ledger", "compliance", "--year", "2025", "--facility", "ALPHA-PLANT",
            "--format", "json",
        ).stdout
    )  # fmt: skip
    assert shown["surrendered_tco2e"] == 200
    assert shown["shortfall_tco2e"] == pytest.approx(SCOPE1_2025 - 200, rel=1e-12)
    table = lingtan_cli(
        "--lang", "zh-CN", "ledger", "compliance", "--year", "2025", "--facility", "ALPHA-PLANT"
    ).stdout
    assert "配额缺口" in table and "核查排放量" in table
    months = lingtan_cli("ledger", "months", "--facility", "ALPHA-PLANT", "--format", "csv")
    assert months.stdout.splitlines()[1].startswith("GP-2025,2025-01,500")
    balance = lingtan_cli("ledger", "balance", "--facility", "ALPHA-PLANT", "--format", "json")
    assert {r["asset"]: r["surrendered"] for r in json.loads(balance.stdout)}["CEA-2024"] == 200


def test_the_api_surrenders_and_shows_compliance_and_months(site):
    from web_support import assert_error

    write(site, [CEA24, CEA25, CONTRACT], months=[JANUARY])
    lock_2025(site)
    manager, csrf = site.client("manager_a")
    url = "/api/v1/facilities/ALPHA-PLANT/ledger"
    body = {"asset": "CEA-2024", "quantity_tco2e": 150, "compliance_year": 2025,
            "on_date": "2026-06-30"}  # fmt: skip
    answer = manager.post(f"{url}/surrenders", json=body, headers={"X-CSRF-Token": csrf})
    assert answer.status_code == 201, answer.text
    before = counts(site)
    too_much = manager.post(
        f"{url}/surrenders", json={**body, "quantity_tco2e": 51, "on_date": "2026-07-01"},
        headers={"X-CSRF-Token": csrf},
    )  # fmt: skip
    error = assert_error(too_much, 422)
    assert error["problems"] and "never more than held" in too_much.text
    assert counts(site) == before
    shown = manager.get(f"{url}/compliance?year=2025").json()
    assert shown["surrendered_tco2e"] == 150 and shown["status"] == "shortfall"
    assert shown["verified_tco2e"] == pytest.approx(SCOPE1_2025, rel=1e-12)
    assert manager.get(f"{url}/months").json()[0]["settled_mwh"] == 480
    viewer, csrf_v = site.client("viewer_a")
    assert_error(viewer.post(f"{url}/surrenders", json=body, headers={"X-CSRF-Token": csrf_v}), 403)
    other, _ = site.client("manager_b")
    assert_error(other.get(f"{url}/compliance?year=2025"), 404)


def test_the_assets_page_shows_allowances_compliance_and_months(site):
    write(site, [CEA24, CEA25, CONTRACT], months=[JANUARY, FEBRUARY])
    lock_2025(site)
    manager, csrf = site.client("manager_a")
    manager.cookies.set("lang", "zh-CN")
    form = {"csrf_token": csrf, "asset": "CEA-2024", "quantity": "200", "on_date": "2026-06-30",
            "compliance_year": "2025"}  # fmt: skip
    done = manager.post("/assets/surrender?facility=ALPHA-PLANT", data=form)
    assert done.status_code == 200 and "CEA-2024 的清缴已记录" in done.text
    before = counts(site)
    refused_page = manager.post(
        "/assets/surrender?facility=ALPHA-PLANT",
        data={**form, "asset": "CEA-2025", "quantity": "500"},
    )
    assert (
        refused_page.status_code == 422
        and "CEA-2025 的清缴被拒绝，未写入任何内容" in refused_page.text
    )
    assert counts(site) == before
    page = manager.get("/assets?facility=ALPHA-PLANT&year=2025").text
    assert "全国碳市场配额与履约" in page and 'data-status="shortfall"' in page
    assert 'id="allowances-table"' in page and "免费分配" in page
    assert 'id="months-table"' in page and 'data-month="2025-02"' in page
    assert 'id="surrenders-table"' in page
