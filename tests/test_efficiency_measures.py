"""Energy-saving measures: their figures checked by hand, the standby-load rule, the working
hours, the measures file's refusals; measures and temperatures in the store (SQLite and
PostgreSQL), all or nothing; found measures; the listing ranked by payback."""

import math

import numpy as np
import pytest
import sqlalchemy as sa

from lingtan.efficiency.measures import (
    measure_figures,
    parse_working_hours,
    rank_measures,
    read_measures_text,
    standby_saving,
)
from lingtan.errors import InputError
from lingtan.services.efficiency_measures import (
    facility_measures,
    find_measures,
    import_measures,
    import_temperatures,
)
from lingtan.store.db import session_scope
from lingtan.store.evidence import EvidenceStore
from lingtan.store.models import AuditEntry, EfficiencyMeasure, Facility, OutdoorTemperature
from web_support import build_site, meter_july

# --- figures, by hand -------------------------------------------------------------------------


def test_a_measures_yearly_figures_are_the_hand_computed_ones():
    # 60,000 kWh a year; GB/T 2589 equivalent value 0.1229 kgce/kWh; grid 0.5703 tCO2/MWh;
    # 0.65 CNY/kWh; 45,000 CNY invested
    got = measure_figures(saved_per_year=60_000, unit="kWh", tce_per_unit=0.1229e-3,
                          tco2_per_unit=0.5703e-3, price_cny_per_unit=0.65,
                          investment_cny=45_000)  # fmt: skip
    assert got.energy_saved_tce_per_year == pytest.approx(7.374)  # 60,000 x 0.1229 / 1000
    assert got.emissions_saved_tco2_per_year == pytest.approx(34.218)  # 60 MWh x 0.5703
    assert got.cost_saved_cny_per_year == pytest.approx(39_000)  # 60,000 x 0.65
    assert got.payback_years == pytest.approx(45_000 / 39_000)  # 1.1538 years
    # the user's own CNY figure wins over the price; no investment, no payback
    own = measure_figures(saved_per_year=40_000, unit="Nm3", tce_per_unit=1.33e-3,
                          tco2_per_unit=2.16e-3, price_cny_per_unit=3.0,
                          cost_saved_cny_per_year=140_000)  # fmt: skip
    assert own.cost_saved_cny_per_year == 140_000 and own.payback_years is None
    assert own.energy_saved_tce_per_year == pytest.approx(53.2)
    # without a coefficient the figure is None, never 0
    none = measure_figures(saved_per_year=10, unit="m3", tce_per_unit=None, tco2_per_unit=None)
    assert none.energy_saved_tce_per_year is None and none.emissions_saved_tco2_per_year is None


def test_measures_rank_by_payback_then_by_tco2():
    ranked = rank_measures([
        {"code": "c", "payback_years": None, "emissions_saved_tco2_per_year": 5.0},
        {"code": "a", "payback_years": 3.0, "emissions_saved_tco2_per_year": 1.0},
        {"code": "d", "payback_years": None, "emissions_saved_tco2_per_year": 9.0},
        {"code": "b", "payback_years": 0.5, "emissions_saved_tco2_per_year": 0.1},
    ])  # fmt: skip
    assert [m["code"] for m in ranked] == ["b", "a", "d", "c"]


# --- the standby rule ---------------------------------------------------------------------------


def test_standby_saving_is_the_load_above_the_lowest_non_working_block():
    # 12 intervals of 15 minutes: working | night 1 (3 intervals at 8 kWh = 32 kW) | working |
    # night 2 (2 intervals at 4 kWh = 16 kW) | working | night 3 (2 at 6 kWh = 24 kW)
    energy = [20, 20, 8, 8, 8, 20, 4, 4, 20, 20, 6, 6]
    working = [1, 1, 0, 0, 0, 1, 0, 0, 1, 1, 0, 0]
    got = standby_saving(energy, np.array(working, bool))
    assert got.blocks == 3 and got.blocks_counted == 3 and got.coverage == 1.0
    assert got.lowest_kw == pytest.approx(16.0)
    # (32 - 16) kW x 0.75 h + (16 - 16) x 0.5 + (24 - 16) x 0.5 = 12 + 0 + 4 = 16 kWh
    assert got.saved_kwh_per_year == pytest.approx(16.0)
    assert got.mean_working_kw == pytest.approx(80.0)
    assert got.mean_standby_kw == pytest.approx(44 / 1.75)  # 24 + 8 + 12 kWh over 7 intervals
    assert got.standby_kwh == pytest.approx(44.0)


def test_a_block_with_an_unknown_interval_is_not_counted_and_the_year_is_scaled():
    energy = [20, 8, 8, 20, 4, math.nan, 20, 6, 6]
    working = np.array([1, 0, 0, 1, 0, 0, 1, 0, 0], bool)
    got = standby_saving(energy, working)
    assert got.blocks == 3 and got.blocks_counted == 2
    # counted: 32 kW and 24 kW over 0.5 h each; P_low = 24; above = 8 x 0.5 = 4 kWh;
    # they cover 4 of the 6 non-working intervals: 4 / (4/6) = 6 kWh
    assert got.lowest_kw == pytest.approx(24.0)
    assert got.coverage == pytest.approx(4 / 6)
    assert got.saved_kwh_per_year == pytest.approx(6.0)


def test_no_standby_without_a_complete_block_or_a_working_interval():
    assert standby_saving([1.0, 2.0], np.array([1, 1], bool)) is None
    assert standby_saving([math.nan, 2.0], np.array([0, 1], bool)) is None
    assert standby_saving([1.0, 2.0], np.array([0, 0], bool)) is None
    with pytest.raises(ValueError):
        standby_saving([1.0, 2.0, 3.0], np.array([0, 1], bool))


def test_working_hours_mark_the_intervals_inside_them():
    hours = parse_working_hours("Mon-Fri 08:00-18:00; Sat 08:00-12:00")
    # 2025-01-06 is a Monday; 2025-01-11 a Saturday; 2025-01-12 a Sunday
    starts = np.array(["2025-01-06T07:45", "2025-01-06T08:00", "2025-01-06T17:45",
                       "2025-01-06T18:00", "2025-01-11T11:45", "2025-01-11T12:00",
                       "2025-01-12T10:00"], dtype="datetime64[s]")  # fmt: skip
    assert hours.mask(starts).tolist() == [False, True, True, False, True, False, False]
    # a span over the week's end: Sat-Mon
    assert parse_working_hours("Sat-Mon 00:00-24:00").mask(starts).tolist() == [True] * 4 + [
        True, True, True,
    ]  # fmt: skip


@pytest.mark.parametrize(
    "text",
    [
        "Mon-Fri 8-18",
        "Xyz 08:00-18:00",
        "Mon 18:00-08:00",
        "Mon 08:00-25:00",
        "",
        "Mon 08:61-09:00",
    ],
)
def test_working_hours_that_do_not_parse_are_refused(text):
    with pytest.raises(InputError) as refused:
        parse_working_hours(text, where="working hours of office")
    problem = refused.value.problems[0]
    assert problem.field == "working_hours" and "Day[-Day] HH:MM-HH:MM" in problem.rule


# --- the measures file --------------------------------------------------------------------------

GOOD = """id,kind,title,node,status,energy_type,saved_per_year,unit,investment_cny,done_on,baseline_start,baseline_end
AIR-LEAK,compressed_air_leaks,Leak repair,ws,planned,electricity,60000,kWh,45000,,,
CH-OPT,system_optimisation,Chillers,ws,done,electricity,1000,kWh,,2025-06-30,2025-01-01,2025-06-30
"""


def test_a_measures_file_is_read():
    rows = read_measures_text(GOOD, "measures.csv")
    assert [r["code"] for r in rows] == ["AIR-LEAK", "CH-OPT"]
    assert rows[0]["saved_per_year"] == 60000.0 and rows[0]["investment_cny"] == 45000.0
    assert rows[1]["done_on"].isoformat() == "2025-06-30"


def test_a_bad_measures_file_names_every_problem():
    bad = """id,kind,energy_type,saved_per_year,unit,status,done_on,baseline_start,baseline_end,node,investment_cny
M1,magic,electricity,-5,kWh,done,,2025-02-01,2025-01-01,,12
M1,other,coal,abc,kWh,maybe,,2025-01-01,,ws,-3
renewal:T-1,other,electricity,5,kWh,,,,,,
"""
    with pytest.raises(InputError) as refused:
        read_measures_text(bad, "measures.csv")
    found = {(str(p.where), p.field, p.value) for p in refused.value.problems}
    assert ("measures.csv row 2", "kind", "magic") in found
    assert ("measures.csv row 2", "saved_per_year", "-5") in found
    assert ("measures.csv row 2", "done_on", None) in found  # a done measure needs its date
    assert ("measures.csv row 2", "baseline_end", "2025-01-01") in found  # not after start
    assert ("measures.csv row 2", "node", None) in found  # a baseline needs a node
    assert ("measures.csv row 3", "id", "M1") in found  # twice
    assert ("measures.csv row 3", "energy_type", "coal") in found
    assert ("measures.csv row 3", "saved_per_year", "abc") in found
    assert ("measures.csv row 3", "status", "maybe") in found
    assert ("measures.csv row 3", "baseline_end", None) in found  # the dates go together
    assert ("measures.csv row 3", "investment_cny", "-3") in found
    assert ("measures.csv row 4", "id", "renewal:T-1") in found  # the rules' own codes
    rules = {p.field: p.rule for p in refused.value.problems if str(p.where).endswith("row 2")}
    assert "equipment_renewal" in rules["kind"]  # the rule lists the kinds


def test_a_measures_file_with_an_unknown_or_missing_column_is_refused():
    with pytest.raises(InputError) as refused:
        read_measures_text("id,kind,saved_kwh,unit\nA,other,5,kWh\n", "m.csv")
    fields = {p.field for p in refused.value.problems}
    assert {"saved_kwh", "energy_type", "saved_per_year"} <= fields


# --- in the store -------------------------------------------------------------------------------


@pytest.fixture
def site(database_url, tmp_path):
    built = build_site(database_url, tmp_path)
    meter_july(built)  # nodes site (M-SUP: 10 kWh every 15 minutes) and ws (M-WS: 9 kWh)
    yield built
    built.close()


def _alpha(session):
    return session.scalars(sa.select(Facility).where(Facility.code == "ALPHA-PLANT")).one()


def _import(site, tmp_path, text, name="measures.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with session_scope(site.engine) as session:
        evidence = EvidenceStore(site.evidence_dir)
        return import_measures(session, _alpha(session), path, evidence=evidence, actor="t")


def _count(site, model):
    with site.engine.connect() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


def test_measures_import_all_or_nothing_and_idempotent(site, tmp_path):
    done = _import(site, tmp_path, GOOD)
    assert (done.read, done.added, done.changed, done.unchanged) == (2, 2, 0, 0)
    assert done.batch_id is not None
    again = _import(site, tmp_path, GOOD)
    assert (again.added, again.changed, again.unchanged, again.batch_id) == (0, 0, 2, None)
    audits = _count(site, AuditEntry)
    # one bad row (an unknown node) refuses the file: nothing is written
    bad = GOOD.replace(
        "CH-OPT,system_optimisation,Chillers,ws", "CH-OPT,system_optimisation,X,nowhere"
    )
    bad = bad.replace(
        "AIR-LEAK,compressed_air_leaks,Leak repair", "AIR-LEAK,compressed_air_leaks,Changed"
    )
    with pytest.raises(InputError) as refused:
        _import(site, tmp_path, bad, "bad.csv")
    (problem,) = refused.value.problems
    assert (str(problem.where), problem.field, problem.value) == (
        "bad.csv row 3",
        "node",
        "nowhere",
    )
    assert _count(site, AuditEntry) == audits
    with session_scope(site.engine) as session:
        titles = set(session.scalars(sa.select(EfficiencyMeasure.title)))
    assert titles == {"Leak repair", "Chillers"}


def test_the_listing_computes_tce_and_tco2_from_the_factor_library(site, tmp_path):
    _import(site, tmp_path, GOOD)
    with session_scope(site.engine) as session:
        measures = facility_measures(session, _alpha(session), year=2025)
    leak = next(m for m in measures if m["code"] == "AIR-LEAK")
    # GB/T 2589 equivalent value of electricity in the library: 0.1229 kgce/kWh
    assert leak["energy_saved_tce_per_year"] == pytest.approx(60_000 * 0.1229 / 1000)
    grid = leak["coefficients"]["tco2"]["value"]  # tCO2/kWh, the location-based factor
    assert grid is not None and 0.0003 < grid < 0.001
    assert leak["emissions_saved_tco2_per_year"] == pytest.approx(60_000 * grid)
    assert leak["coefficients"]["tco2"]["factors"]  # the factor rows used are named


def test_temperatures_are_stored_all_or_nothing(site, tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("date,temperature_c\n2025-07-01,28.5\n2025-07-02,29.0\n", encoding="utf-8")
    with session_scope(site.engine) as session:
        assert import_temperatures(session, _alpha(session), path, actor="t") == 2
    path.write_text("date,temperature_c\n2025-07-01,30\n2025-07-03,hot\n2025-07-03,99\n"
                    "2025-13-01,20\n", encoding="utf-8")  # fmt: skip
    with pytest.raises(InputError) as refused, session_scope(site.engine) as session:
        import_temperatures(session, _alpha(session), path, actor="t")
    found = {(str(p.where), p.field, p.value) for p in refused.value.problems}
    assert found == {("t.csv row 3", "temperature_c", "hot"), ("t.csv row 4", "temperature_c", "99"),
                     ("t.csv row 5", "date", "2025-13-01")}  # fmt: skip
    with session_scope(site.engine) as session:
        stored = dict(
            session.execute(
                sa.select(OutdoorTemperature.day, OutdoorTemperature.temperature_c)
            ).all()
        )
    assert sorted(stored.values()) == [28.5, 29.0]  # the refused file changed nothing


def test_a_flat_load_has_no_standby_measure_and_bad_working_hours_are_refused(site):
    with session_scope(site.engine) as session:
        alpha = _alpha(session)
        # the site meter draws 40 kW at every hour: nothing above its own lowest standby
        found = find_measures(session, alpha, 2025, working_hours={"site": "Mon-Fri 08:00-18:00"})
        assert found == []
        with pytest.raises(InputError) as refused:
            find_measures(session, alpha, 2025, working_hours={"nowhere": "Mon 08:00-09:00"})
        assert refused.value.problems[0].value == "nowhere"


def test_the_api_imports_measures_all_or_nothing_and_lists_them(site):
    client, csrf = site.client("manager_a")
    url = "/api/v1/facilities/ALPHA-PLANT/measures"
    bad = GOOD.replace("60000", "-1")
    answer = client.post(url, headers={"X-CSRF-Token": csrf},
                         files={"file": ("m.csv", bad.encode(), "text/csv")})  # fmt: skip
    assert answer.status_code == 422
    (problem,) = answer.json()["error"]["problems"]
    assert (problem["where"], problem["field"], problem["value"]) == (
        "m.csv row 2", "saved_per_year", "-1",
    )  # fmt: skip
    assert _count(site, EfficiencyMeasure) == 0
    answer = client.post(url, headers={"X-CSRF-Token": csrf},
                         files={"file": ("m.csv", GOOD.encode(), "text/csv")})  # fmt: skip
    assert answer.status_code == 201 and answer.json()["added"] == 2
    listed = client.get(url, params={"year": 2025}).json()
    # no tariff at ALPHA-PLANT: no payback, so ranked by tCO2 (60,000 kWh before 1,000 kWh)
    assert [m["code"] for m in listed] == ["AIR-LEAK", "CH-OPT"]
    leak = next(m for m in listed if m["code"] == "AIR-LEAK")
    assert leak["energy_saved_tce_per_year"] == pytest.approx(7.374)
    # a viewer may read but not import
    viewer, viewer_csrf = site.client("viewer_a")
    refused = viewer.post(url, headers={"X-CSRF-Token": viewer_csrf},
                          files={"file": ("m.csv", GOOD.encode(), "text/csv")})  # fmt: skip
    assert refused.status_code == 403
