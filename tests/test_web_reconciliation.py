"""The reconciliation of the inventory with the meters over the API and on the pages, on the
web tests' small site (SQLite and PostgreSQL): figures by hand, scoping, no inventory."""

import re

import pytest

from lingtan.metering.store import ingest_readings
from lingtan.store.db import session_scope
from web_support import assert_error, build_site, define_two_meters

F = "/api/v1/facilities/ALPHA-PLANT/energy/reconciliation"
JAN_15_UTC = 1_736_870_400  # 2025-01-15 00:00 +08:00
GAS_TCE_PER_NM3 = 38_931 / 29_307 / 1000  # GB/T 2589 reference NCV / 29.307 MJ/kgce


@pytest.fixture
def site(database_url, tmp_path):
    built = build_site(database_url, tmp_path)
    with session_scope(built.engine) as session:
        define_two_meters(session)
        # one day of January metered: the supply meter climbs 10 kWh a quarter hour
        readings = [
            (code, JAN_15_UTC + 900 * i, start + step * i)
            for i in range(97)
            for code, start, step in (("M-SUP", 1000.0, 10.0), ("M-WS", 500.0, 9.0))
        ]
        ingest_readings(session, "ALPHA-PLANT", readings, origin="test")
    yield built
    built.close()


def test_reconciliation_by_hand(site):
    client, _ = site.client("viewer_a")
    answer = client.get(F, params={"year": 2025})
    assert answer.status_code == 200, answer.text
    r = answer.json()
    # the January inventory: grid 1,000 MWh = 122.9 tce, gas 123,456.789 Nm3 (no gas meter)
    assert r["inventory"]["period_end"] == "2025-01-31"
    gas_tce = 123_456.789 * GAS_TCE_PER_NM3
    assert r["invoice_tce"] == pytest.approx(122.9 + gas_tce)
    # the meters: 96 x 10 kWh on 15 January = 960 kWh = 0.117984 tce; 30 days missing
    assert r["meter_tce"] == pytest.approx(0.96 * 0.1229)
    rows = {row["energy_type"]: row for row in r["rows"]}
    assert set(rows) == {"electricity", "natural_gas"}
    power = rows["electricity"]
    assert (power["invoice_quantity"], power["meter_quantity"]) == pytest.approx((1000, 0.96))
    causes = {c["cause"]: c for c in power["causes"]}
    assert set(causes) == {"meter_missing", "coefficients"}
    assert causes["coefficients"]["energy_tce"] == pytest.approx(0, abs=1e-12)
    missing = causes["meter_missing"]
    assert missing["months"] == ["2025-01"]
    assert missing["energy_tce"] == pytest.approx((1000 - 0.96) * 0.1229)
    assert missing["carbon_tco2e"] == pytest.approx((1000 - 0.96) * 0.5827)
    assert power["months"][0]["missing_intervals"] == 30 * 96
    (gas,) = rows["natural_gas"]["causes"]
    assert (gas["cause"], gas["energy_tce"]) == ("not_metered", pytest.approx(gas_tce))
    assert sum(c["energy_tce"] for c in r["causes"]) == pytest.approx(r["difference_tce"])
    # February is outside the inventory's period: no month of it on either side
    assert [m["month"] for m in power["months"]] == ["2025-01"]
    # the pages show the API's figures
    for path in ("/overview?year=2025", "/energy?year=2025"):
        page = client.get(path).text
        found = re.search(r'data-cause="meter_missing">.*?data-value="([^"]*)"', page, re.S)
        assert found and float(found.group(1)) == missing["energy_tce"], path


def test_reconciliation_scope_and_absence(site):
    client, _ = site.client("viewer_a")
    assert_error(client.get(F, params={"year": 2024}), 404)  # no inventory that year
    page = client.get("/energy?year=2024").text
    assert 'id="reconciliation"' not in page
    other, _ = site.client("manager_b")  # another organization's facility
    assert_error(other.get(F, params={"year": 2025}), 404)
    assert_error(client.get(F, params={"year": 2025, "month": 13}), 422)


def test_a_month_with_nothing_on_either_side_shows_no_block(site):
    """March is past the January inventory and has no readings: the API answers all zeros and
    the page shows no "why these differ" block with nothing in it; January keeps it."""
    client, _ = site.client("viewer_a")
    answer = client.get(F, params={"year": 2025, "month": 3})
    assert answer.status_code == 200, answer.text
    march = answer.json()
    assert (march["invoice_tce"], march["meter_tce"]) == (0, 0)
    assert 'id="reconciliation"' not in client.get("/energy?year=2025&month=3").text
    assert 'id="reconciliation"' in client.get("/energy?year=2025&month=1").text
