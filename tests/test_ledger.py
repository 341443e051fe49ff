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
