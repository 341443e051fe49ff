"""A measure's status along the workflow (issue 12): the allowed steps only, each with an audit
entry of the status before and after; a measure found by the rules keeps its basis; the
command and the API (managers and admins)."""

from datetime import date

import pytest
import sqlalchemy as sa

from lingtan.efficiency.measures import STATUSES, TRANSITIONS
from lingtan.errors import InputError
from lingtan.services.efficiency import import_equipment
from lingtan.services.efficiency_measures import change_status, find_measures, import_measures
from lingtan.store.db import session_scope
from lingtan.store.evidence import EvidenceStore
from lingtan.store.models import AuditEntry, EfficiencyMeasure, Facility
from test_efficiency_measures import GOOD
from test_efficiency_register import REGISTER
from web_support import build_site, meter_july


@pytest.fixture
def site(database_url, tmp_path):
    built = build_site(database_url, tmp_path)
    meter_july(built)
    path = tmp_path / "measures.csv"
    path.write_text(GOOD, encoding="utf-8")
    register = tmp_path / "register.csv"
    register.write_text(REGISTER, encoding="utf-8")
    with session_scope(built.engine) as session:
        alpha = _alpha(session)
        evidence = EvidenceStore(built.evidence_dir)
        import_measures(session, alpha, path, evidence=evidence, actor="t")
        import_equipment(session, alpha, register, evidence=evidence, actor="t")
        find_measures(session, alpha, 2025, actor="t")
    yield built
    built.close()


def _alpha(session):
    return session.scalars(sa.select(Facility).where(Facility.code == "ALPHA-PLANT")).one()


def _change(site, code, status, **options):
    with session_scope(site.engine) as session:
        return change_status(session, _alpha(session), code, status, actor="tester", **options)


def _measure(site, code):
    with session_scope(site.engine, read_only=True) as session:
        row = session.scalars(sa.select(EfficiencyMeasure).where(EfficiencyMeasure.code == code))
        return row.one()


def _status_entries(site):
    with site.engine.connect() as connection:
        query = (
            sa.select(AuditEntry.before, AuditEntry.after, AuditEntry.actor)
            .where(AuditEntry.entity == "efficiency_measure", AuditEntry.action == "status")
            .order_by(AuditEntry.id)
        )
        return connection.execute(query).all()


def test_the_workflow_is_data_over_the_stored_statuses():
    assert set(TRANSITIONS) == set(STATUSES)
    assert all(set(targets) <= set(STATUSES) for targets in TRANSITIONS.values())
    assert all(status not in targets for status, targets in TRANSITIONS.items())


def test_a_found_measure_goes_along_the_workflow_and_keeps_its_basis(site):
    found = _measure(site, "renewal:M-1")
    assert (found.origin, found.status) == ("found", "found")
    basis, saved, details = found.basis, found.saved_per_year, found.details
    done = _change(site, "renewal:M-1", "planned", reason="budget 2026")
    assert done == {
        "measure": "renewal:M-1",
        "before": {"status": "found", "done_on": None},
        "after": {"status": "planned", "done_on": None},
        "reason": "budget 2026",
    }
    _change(site, "renewal:M-1", "done", done_on=date(2026, 3, 1))
    row = _measure(site, "renewal:M-1")
    assert (row.status, row.done_on.isoformat()) == ("done", "2026-03-01")
    assert (row.basis, row.saved_per_year, row.details) == (basis, saved, details)
    # a re-run of the rules updates the figures and keeps the status
    with session_scope(site.engine) as session:
        find_measures(session, _alpha(session), 2025, actor="t")
    assert _measure(site, "renewal:M-1").status == "done"
    # a correction: back to planned clears the date
    _change(site, "renewal:M-1", "planned", reason="not commissioned")
    assert _measure(site, "renewal:M-1").done_on is None
    entries = _status_entries(site)
    assert [(e.before["status"], e.after["status"]) for e in entries] == [
        ("found", "planned"),
        ("planned", "done"),
        ("done", "planned"),
    ]
    assert entries[1].after["done_on"] == "2026-03-01" and entries[2].before["done_on"] == (
        "2026-03-01"
    )
    assert entries[0].after["reason"] == "budget 2026" and entries[0].actor == "tester"
    assert {e.after["measure"] for e in entries} == {"renewal:M-1"}


@pytest.mark.parametrize(
    ("code", "status", "options", "field", "rule"),
    [
        ("NOPE", "planned", {}, "measure", "no such measure in the facility"),
        ("renewal:M-1", "done", {}, "status", "cannot go from found to done"),
        ("renewal:M-1", "found", {}, "status", "cannot go from found to found"),
        ("renewal:M-1", "approved", {}, "status", "must be one of found, planned, done"),
        ("AIR-LEAK", "done", {}, "done_on", "a done measure needs the date it was done"),
    ],
)
def test_an_unknown_measure_or_a_step_outside_the_workflow_is_refused(
    site, code, status, options, field, rule
):
    before = _measure(site, "AIR-LEAK").status
    assert before == "planned"
    with pytest.raises(InputError) as refused:
        _change(site, code, status, **options)
    (problem,) = refused.value.problems
    assert problem.field == field and rule in str(problem.rule)
    assert _status_entries(site) == [] and _measure(site, "AIR-LEAK").status == before


def test_the_command_changes_and_refuses(site, lingtan_cli):
    done = lingtan_cli(
        "--lang",
        "en",
        "efficiency",
        "measure-status",
        "renewal:M-1",
        "planned",
        "--facility",
        "ALPHA-PLANT",
    )
    assert "measure renewal:M-1: found → planned" in done.output
    refused = lingtan_cli(
        "--lang", "en", "efficiency", "measure-status", "renewal:M-1", "found", "--facility", "ALPHA-PLANT",
        "--reason", "withdrawn", code=0,
    )  # fmt: skip
    assert "planned → found" in refused.output
    refused = lingtan_cli(
        "--lang", "en", "efficiency", "measure-status", "renewal:M-1", "done", "--facility", "ALPHA-PLANT",
        code=2,
    )  # fmt: skip
    assert "cannot go from found to done" in refused.stderr
    assert [e.after["reason"] for e in _status_entries(site)] == ["", "withdrawn"]


def test_the_api_changes_a_status_for_managers_only(site):
    url = "/api/v1/facilities/ALPHA-PLANT/measures/AIR-LEAK/status"
    viewer, csrf = site.client("viewer_a")
    assert viewer.post(
        url, json={"status": "done"}, headers={"X-CSRF-Token": csrf}
    ).status_code == (403)
    manager, csrf = site.client("manager_a")
    refused = manager.post(url, json={"status": "done"}, headers={"X-CSRF-Token": csrf})
    assert refused.status_code == 422
    assert refused.json()["error"]["problems"][0]["field"] == "done_on"
    answer = manager.post(
        url, json={"status": "done", "done_on": "2025-06-30", "reason": "commissioned"},
        headers={"X-CSRF-Token": csrf},
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    assert answer.json()["after"] == {"status": "done", "done_on": "2025-06-30"}
    unknown = manager.post(
        "/api/v1/facilities/ALPHA-PLANT/measures/NOPE/status", json={"status": "planned"},
        headers={"X-CSRF-Token": csrf},
    )  # fmt: skip
    assert unknown.status_code == 422
    assert unknown.json()["error"]["problems"][0]["value"] == "NOPE"
