"""The ledger's retirements in the inventory (issue 14 §1), on SQLite and PostgreSQL: GEC and
green power retirements to the facility and period are the market-based Scope 2 instruments,
equal to `lingtan calc` stating the same instruments and hand-checked; credits are offsets
beside the totals; a certificate given twice, or more MWh than were consumed, is refused."""

import json
import re
from datetime import date

import pytest
import sqlalchemy as sa
import yaml
from click.testing import CliRunner

from lingtan.assets.ledger import HoldingIn, MovementIn
from lingtan.cli.main import main
from lingtan.errors import InputError
from lingtan.services import inventory as inventories
from lingtan.services.ledger import write_ledger
from lingtan.store.db import session_scope
from lingtan.store.evidence import EvidenceStore
from lingtan.store.models import Facility, Instrument, Inventory, LedgerEntry
from web_support import build_site

Y25 = (date(2025, 1, 1), date(2025, 12, 31))
#: MEE 2023 factors the engine picks for 2025 (mee-electricity-2023.csv): Jiangsu grid average
#: and the national average excluding market-traded non-fossil electricity (residual mix).
JIANGSU_2023, RESIDUAL_2023 = 0.5827, 0.6096
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


def retire(asset, quantity, serial="", *, facility=None, on=date(2025, 12, 20)):
    return MovementIn(
        asset, "retire", quantity, on, serial=serial, facility=facility,
        period_start=Y25[0], period_end=Y25[1], claim="2025 zero-carbon factory",
    )  # fmt: skip


@pytest.fixture
def site(database_url, tmp_path):
    built = build_site(database_url, tmp_path)
    yield built
    built.close()


def alpha(session):
    return session.scalars(sa.select(Facility).where(Facility.code == "ALPHA-PLANT")).one()


def write(site, holdings=(), movements=()):
    with session_scope(site.engine) as session:
        write_ledger(
            session, alpha(session), holdings, movements,
            evidence=EvidenceStore(site.evidence_dir), actor="tester",
        )  # fmt: skip


def compute(site, start=Y25[0], end=Y25[1]):
    with session_scope(site.engine) as session:
        inventory = inventories.compute(session, alpha(session), start, end, actor="tester")
        return inventory.id, inventory.input_document, inventory.result, inventory.lineage


def run_calc(tmp_path, document):
    path = tmp_path / "same-instruments.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return CliRunner().invoke(main, ["calc", str(path), "--format", "json"])


def refused(site, start=Y25[0], end=Y25[1]):
    before = site.count(Inventory)
    with pytest.raises(InputError) as caught:
        compute(site, start, end)
    assert site.count(Inventory) == before  # nothing written
    return str(caught.value)


def test_retirements_are_the_market_based_instruments_as_lingtan_calc_computes_them(site, tmp_path):
    write(
        site,
        [GEC, CONTRACT, CCER],
        [
            retire("GEC-A", 200, "GEC2025JS000001..000200"),
            retire("GEC-A", 100, "GEC2025JS000201..000300"),
            retire("GP-2025", 200),
            retire("CCER-1", 50, "CCER-AF-0001..0050", on=date(2026, 3, 15)),
            # to another facility: not this inventory's
            retire("GEC-A", 100, "GEC2025JS000301..000400", facility="ALPHA-SECOND"),
        ],
    )
    inventory_id, document, result, lineage = compute(site)
    totals = result["totals"]
    # by hand: 1,000 + 900 MWh bought in January and February; 300 MWh of GECs and 200 MWh of
    # green power retired for 2025 cover 500 MWh, the other 1,400 MWh take the residual mix
    assert totals["purchased_electricity_mwh"] == 1900
    assert totals["renewable_electricity_mwh"] == 500
    assert totals["scope2_location_tco2e"] == pytest.approx(1900 * JIANGSU_2023, rel=1e-12)
    assert totals["scope2_market_tco2e"] == pytest.approx((1900 - 500) * RESIDUAL_2023, rel=1e-12)
    january = next(ln for ln in result["lines"] if ln["source_id"] == "grid@2025-01-01")
    assert january["covered_mwh"] == pytest.approx(500 * 1000 / 1900, rel=1e-12)  # pro rata
    assert [(i["id"], i["kind"], i["covered_mwh"], i["serial"]) for i in result["instruments"]] == [
        ("ledger:GEC-A", "gec", 300, "GEC2025JS000001..000200; GEC2025JS000201..000300"),
        ("ledger:GP-2025", "green_power", 200, "GEC2025JS500001..GEC2025JS503000"),
    ]
    # provenance: from the instrument to the holding, its retirements and evidence
    gec = lineage["ledger_instruments"]["ledger:GEC-A"]
    assert gec["holding"] == "GEC-A" and gec["issuing_registry"] == "国家绿证核发交易系统"
    assert [(r["quantity"], r["retired_on"]) for r in gec["retirements"]] == [
        (200, "2025-12-20"),
        (100, "2025-12-20"),
    ]
    # credits: an offsets block beside the totals, never deducted from them
    offsets = result["offsets"]
    assert offsets["total_tco2e"] == 50 and offsets["reduces_totals"] is False
    (credit,) = offsets["credits"]
    assert (credit["holding"], credit["serial"], credit["retired_on"]) == (
        "CCER-1", "CCER-AF-0001..0050", "2026-03-15",
    )  # fmt: skip
    # `lingtan calc` on a file with the same electricity and factors, stating the same
    # instruments by hand (the GECs in certificates, 1 GEC = 1 MWh), gives the same figures
    by_hand = {key: value for key, value in document.items() if key != "instruments"}
    by_hand["instruments"] = [
        {"id": "gec", "kind": "gec", "quantity": 300, "unit": "certificates",
         "serial": "GEC2025JS000001..GEC2025JS000300"},
        {"id": "contract", "kind": "green_power", "quantity": 200, "unit": "MWh"},
    ]  # fmt: skip
    calc = run_calc(tmp_path, by_hand)
    assert calc.exit_code == 0, calc.output
    calculated = json.loads(calc.output)
    numbers = {k: v for k, v in totals.items() if isinstance(v, float | int)}
    assert {k: calculated["totals"][k] for k in numbers} == numbers
    for mine, theirs in zip(result["lines"], calculated["lines"], strict=True):
        for key in ("source_id", "emissions_tco2e", "market_emissions_tco2e", "covered_mwh"):
            assert mine.get(key) == theirs.get(key), (mine["source_id"], key)
    assert [i["covered_mwh"] for i in calculated["instruments"]] == [300, 200]
    assert [i["allocation_mwh"] for i in calculated["instruments"]] == [
        i["allocation_mwh"] for i in result["instruments"]
    ]
    assert "offsets" not in calculated  # the calc format is unchanged
    with session_scope(site.engine, read_only=True) as session:
        assert session.get(Inventory, inventory_id).total_tco2e == totals["total_tco2e"]


def test_a_certificate_in_the_inventory_and_in_the_ledger_is_refused_naming_both(site):
    write(site, [GEC], [retire("GEC-A", 300, "GEC2025JS000001..000300")])
    with session_scope(site.engine) as session:
        session.add(
            Instrument(
                facility_id=alpha(session).id, code="own-gec", kind="gec",
                period_start=Y25[0], period_end=Y25[1], quantity=100, unit="certificates",
                serial="GEC2025JS000251..GEC2025JS000350", sources=[],
            )
        )  # fmt: skip
    message = refused(site)
    assert "instrument ledger:GEC-A" in message
    assert "shares serials with GEC2025JS000251..GEC2025JS000350 of instrument own-gec" in message


def test_retirements_beyond_the_electricity_consumed_are_refused(site, tmp_path):
    big = HoldingIn(
        "GEC-BIG", "gec", 2000, *Y25, date(2025, 6, 1), serial="GECBIG0001..2000"
    )  # fmt: skip
    write(site, [big], [retire("GEC-BIG", 2000, "GECBIG0001..2000")])
    message = refused(site)
    assert "instrument ledger:GEC-BIG" in message
    assert "claims 2000 MWh but only 1900 MWh of purchased electricity remain uncovered" in message
    # as `lingtan calc` refuses the same instrument in a file
    with session_scope(site.engine, read_only=True) as session:
        document, _ = inventories.build_document(
            session, alpha(session), *Y25, inventories.Options()
        )
    calc = run_calc(tmp_path, document)
    assert calc.exit_code != 0 and "claims 2000 MWh but only 1900 MWh" in calc.output


def test_a_retirement_for_a_longer_period_is_left_out_and_named(site):
    write(site, [GEC, CCER], [retire("GEC-A", 300, "GEC2025JS000001..000300"),
                              retire("CCER-1", 10, "CCER-AF-0001..0010")])  # fmt: skip
    _, _, result, lineage = compute(site, date(2025, 1, 1), date(2025, 2, 28))
    assert result["instruments"] == [] and lineage["ledger_instruments"] == {}
    assert result["offsets"] == {"total_tco2e": 0, "reduces_totals": False, "credits": []}
    assert result["totals"]["scope2_market_tco2e"] == pytest.approx(1900 * RESIDUAL_2023)
    (warning,) = [w for w in result["warnings"] if "straddling" in w]
    assert re.search(r"retirement \d+ of GEC-A, retirement \d+ of CCER-1", warning), warning


def test_inventory_show_prints_the_ledger_instruments_and_the_offsets(site, lingtan_cli):
    write(site, [GEC, CCER], [retire("GEC-A", 300, "GEC2025JS000001..000300"),
                              retire("CCER-1", 50, "CCER-AF-0001..0050")])  # fmt: skip
    inventory_id, *_ = compute(site)
    english = lingtan_cli("inventory", "show", inventory_id).stdout
    assert (
        "market-based Scope 2 instruments from the ledger's retirements: 300.000 MWh "
        "(ledger:GEC-A 300.000 MWh)"
    ) in english
    assert (
        "offsets beside the totals, not deducted from them (ISO 14068-1): 50.000 tCO2e" in english
    )
    assert "CCER-1 50.000 tCO2e CCER-AF-0001..0050" in english
    chinese = lingtan_cli("--lang", "zh-CN", "inventory", "show", inventory_id).stdout
    assert "来自台账注销记录的范围二（基于市场）合同工具：300.000 MWh" in chinese
    assert (
        "抵销量（与排放总量并列列示，不从中扣除，ISO 14068-1）：已注销碳信用 50.000 tCO2e"
        in chinese
    )
    shown = json.loads(lingtan_cli("inventory", "show", inventory_id, "--format", "json").stdout)
    assert shown["result"]["offsets"]["total_tco2e"] == 50
    assert shown["lineage"]["ledger_instruments"]["ledger:GEC-A"]["holding"] == "GEC-A"


def test_a_retirement_to_a_locked_period_comes_with_its_restatement(site):
    with session_scope(site.engine) as session:
        locked = inventories.compute(session, alpha(session), *Y25, actor="tester", lock=True)
        locked_id, before = locked.id, locked.result["totals"]["scope2_market_tco2e"]
    write(site, [GEC])
    entries, kept = site.count(LedgerEntry), site.count(Inventory)
    # without a restatement's reason: refused, naming the locked inventory; nothing written
    with pytest.raises(InputError) as caught:
        write(site, (), [retire("GEC-A", 300, "GEC2025JS000001..000300")])
    assert (
        f"the claim period lies in 2025-01-01 to 2025-12-31, locked by inventory {locked_id}: "
        "a retirement to a locked period is written with its restatement"
    ) in str(caught.value)
    assert site.count(LedgerEntry) == entries and site.count(Inventory) == kept
    # with it: the retirement and the restatement, in one transaction
    with session_scope(site.engine) as session:
        done = write_ledger(
            session, alpha(session), (), [retire("GEC-A", 300, "GEC2025JS000001..000300")],
            evidence=EvidenceStore(site.evidence_dir), actor="tester",
            restate="GECs retired for 2025",
        )  # fmt: skip
        (restated_id,) = done.restated
        restated = session.get(Inventory, restated_id)
        after = restated.result["totals"]["scope2_market_tco2e"]
        changes = inventories.diff(session, locked_id, restated_id)["totals"]
        assert restated.status == "locked" and restated.supersedes_id == locked_id
    assert before == pytest.approx(1900 * RESIDUAL_2023)
    assert after == pytest.approx((1900 - 300) * RESIDUAL_2023)
    assert changes["scope2_market_tco2e"]["change"] == pytest.approx(-300 * RESIDUAL_2023)


def test_a_retirement_that_would_break_the_restated_inventory_writes_nothing(site):
    with session_scope(site.engine) as session:
        inventories.compute(session, alpha(session), *Y25, actor="tester", lock=True)
    write(site, [CONTRACT])
    entries, kept = site.count(LedgerEntry), site.count(Inventory)
    # 5,000 MWh against the 1,900 MWh bought
    with pytest.raises(InputError) as caught, session_scope(site.engine) as session:
        write_ledger(
            session, alpha(session), (), [retire("GP-2025", 5000)],
            evidence=EvidenceStore(site.evidence_dir), actor="tester", restate="contract",
        )  # fmt: skip
    assert "instrument ledger:GP-2025" in str(caught.value)
    assert "remain uncovered" in str(caught.value)
    assert site.count(LedgerEntry) == entries and site.count(Inventory) == kept


def test_an_own_instrument_with_serials_retired_elsewhere_in_the_ledger_is_refused(site):
    # the ledger retired these GECs to another facility of the organization
    write(site, [GEC], [retire("GEC-A", 300, "GEC2025JS000001..000300", facility="ALPHA-SECOND")])
    with session_scope(site.engine) as session:
        session.add(
            Instrument(
                facility_id=alpha(session).id, code="own-gec", kind="gec",
                period_start=Y25[0], period_end=Y25[1], quantity=10, unit="certificates",
                serial="GEC2025JS000291..GEC2025JS000300", sources=[],
            )
        )  # fmt: skip
    message = refused(site)
    assert "instrument own-gec: field 'serial'" in message
    assert re.search(
        r"GEC2025JS000291\.\.GEC2025JS000300 is already taken in the carbon-asset ledger by "
        r"retirement \d+ of holding GEC-A to facility ALPHA-SECOND for 2025-01-01 to 2025-12-31",
        message,
    ), message


def test_ledger_retire_restates_a_locked_period_only_with_restate(site, lingtan_cli):
    with session_scope(site.engine) as session:
        locked = inventories.compute(session, alpha(session), *Y25, actor="tester", lock=True)
        locked_id = locked.id
    write(site, [CCER])
    credit = ("ledger", "retire", "CCER-1", 50, "--serial", "CCER-AF-0001..0050",
              "--facility", "ALPHA-PLANT", "--year", 2025, "--claim", "2025 offsets",
              "--date", "2025-12-20")  # fmt: skip
    refused = lingtan_cli("--lang", "zh-CN", *credit, code=2)
    assert f"声明期位于清单 {locked_id} 已锁定的 2025-01-01 至 2025-12-31 内" in refused.stderr
    assert site.count(LedgerEntry) == 0
    done = lingtan_cli(*credit, "--restate", "CCER retired after the lock").stdout
    assert "retired: entry" in done and "50 of CCER-1" in done
    (restated_id,) = map(int, re.findall(r"restated by inventory (\d+)", done))
    with session_scope(site.engine) as session:
        restated = session.get(Inventory, restated_id)
        assert restated.supersedes_id == locked_id
        assert restated.result["offsets"]["total_tco2e"] == 50
        assert restated.result["totals"] == session.get(Inventory, locked_id).result["totals"]
