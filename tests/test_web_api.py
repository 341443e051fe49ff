"""The REST API: resources, paging and period filters, inventories through the services, and
the rule that no route ever shows one organization's data to another (every route of the
application is tried, including routes added later)."""

import re
from datetime import date
from typing import Annotated

import pytest
import sqlalchemy as sa
from pydantic import TypeAdapter

from lingtan.metering.dead_letters import set_aside
from lingtan.services import pact, records
from lingtan.store.db import session_scope
from lingtan.store.models import (
    ActivityRecord,
    Facility,
    Organization,
    Product,
    ProductionRecord,
    Source,
)
from web_support import ALPHA_MARKERS, app_routes, build_site, snapshot


@pytest.fixture
def site(database_url, tmp_path):
    built = build_site(database_url, tmp_path)
    with session_scope(built.engine) as session:  # a batch of A's readings set aside
        letter = set_aside(
            session, "ALPHA-PLANT", [("NO-SUCH", 1_736_870_400, 1.0)], origin="mqtt", reason="t"
        )
        built.ids["letter_id"] = letter.id
        alpha = session.get(Organization, built.ids["organization_id"])
        client_id, _, _ = pact.create_client(session, alpha, name="alpha-client", actor="setup")
        built.ids["pact_client_id"] = client_id  # a PACT client of organization A
    yield built
    built.close()


# --- every route, as organization B, with organization A's identifiers -------------------------


#: Path parameters filled with organization A's values. A route with a parameter not listed
#: here fails the test: add the parameter with a value of organization A.
def alpha_values(site) -> dict[str, str]:
    return {
        "code": "ALPHA-PLANT",
        "facility_code": "ALPHA-PLANT",
        "organization_id": str(site.ids["organization_id"]),
        "inventory_id": str(site.ids["inventory_id"]),
        "other_id": str(site.ids["inventory_id"]),
        "record_id": str(site.ids["record_id"]),
        "sha256": site.ids["evidence_sha256"],
        "set_id": "alpha-custom-set",
        "name": "alpha-secret.js",  # static files: public, and none is A's
        "meter": "E-MAIN",
        "node": "site",
        "line_id": "alpha-boiler@2025-01-01",
        "job_id": "1",
        "evaluation_id": "1",  # none is stored here: tests/test_evaluation_store.py probes one
        "letter_id": str(site.ids["letter_id"]),
        "token_id": str(site.ids["alpha-ingest_token_id"]),
        "username": "viewer_a",
        "pf_id": "00000000-0000-0000-0000-000000000000",  # PACT: no footprint is published
        "client_id": site.ids["pact_client_id"],
        "study_id": "demo-cell-study",  # no studies folder beside this database
        "measure": "AIR-LEAK",  # none is stored here: tests/test_efficiency_measure_status.py
    }


#: A body that passes most request models, so the route's own scope check is reached.
GENERIC_BODY = {
    "start": "2025-01-01",
    "end": "2025-01-31",
    "reason": "cross-organization probe",
    "readings": [{"meter": "E-MAIN", "ts": "2025-03-01T08:00:00+08:00", "value": 1.0}],
}


def probes(site):
    values = alpha_values(site)
    found = [(path, route.methods) for path, route in app_routes(site.app.routes)]
    # The walk must find the routes, or the test would prove nothing.
    paths = {path for path, _ in found}
    assert {"/login", "/api/v1/facilities/{code}", "/api/v1/audit"} <= paths and len(paths) > 20
    for route, methods in found:
        names = re.findall(r"{([^}:]+)(?::[^}]*)?}", route)
        missing = [name for name in names if name not in values]
        assert not missing, f"{route}: give organization A's value of {missing} in alpha_values"
        path = route
        for name in names:
            path = re.sub(r"{" + name + r"(?::[^}]*)?}", values[name], path)
        for method in sorted(methods):
            yield method, route, path


def test_no_route_shows_or_changes_data_of_another_organization(site):
    browser, csrf = site.client("admin_b")
    callers = {
        "admin of B": (browser, {"X-CSRF-Token": csrf}),
        "read token of B": (site.bearer("beta-read"), {}),
        "ingest token of B": (site.bearer("beta-ingest"), {}),
    }
    before = snapshot(site)
    tried = 0
    for method, route, path in probes(site):
        for who, (client, headers) in callers.items():
            if method in ("GET", "HEAD", "DELETE"):
                answer = client.request(method, path, headers=headers)
            else:
                answer = client.request(method, path, json=GENERIC_BODY, headers=headers)
            tried += 1
            assert answer.status_code != 500, f"{who} {method} {route}: {answer.text}"
            if answer.status_code < 400:
                leaked = [m for m in ALPHA_MARKERS if m in answer.text]
                assert not leaked, f"{who} {method} {route} showed {leaked}: {answer.text[:300]}"
            else:
                assert answer.status_code in (401, 403, 404, 405, 422), (who, method, route)
    assert tried >= 3 * 20
    assert snapshot(site) == before


def test_the_probe_reaches_the_data_when_the_caller_is_of_the_organization(site):
    # The same requests as organization A's admin do see A's data: the probe is not blind.
    client, _ = site.client("admin_a")
    seen = set()
    for method, route, path in probes(site):
        if method == "GET":
            answer = client.get(path)
            if answer.status_code == 200 and any(m in answer.text for m in ALPHA_MARKERS):
                seen.add(route)
    assert {
        "/api/v1/facilities",
        "/api/v1/facilities/{code}",
        "/api/v1/facilities/{code}/activity-records",
        "/api/v1/activity-records/{record_id}",
        "/api/v1/evidence/{sha256}",
        "/api/v1/organizations/{organization_id}",
        "/api/v1/audit",
        "/api/v1/tokens",
        "/api/v1/users",
    } <= seen


def test_same_facility_code_in_two_organizations_stays_apart(site):
    # Codes are unique only within an organization: B gets its own "ALPHA-SECOND".
    with session_scope(site.engine) as session:
        beta = session.scalars(sa.select(Facility).where(Facility.code == "BETA-PLANT")).one()
        twin = Facility(
            organization_id=beta.organization_id, code="ALPHA-SECOND", name="B twin", region="CN-JS"
        )
        session.add(twin)
        session.flush()
        source = Source(facility_id=twin.id, code="b-grid", kind="purchased_electricity", params={})
        session.add(source)
        session.flush()
        session.add(
            ActivityRecord(
                source_id=source.id,
                period_start=date(2025, 1, 1),
                period_end=date(2025, 1, 31),
                quantity=777.0,
                unit="MWh",
                origin="meter",
            )
        )
    beta_client, _ = site.client("admin_b")
    seen_by_b = beta_client.get("/api/v1/facilities/ALPHA-SECOND/activity-records").json()
    assert [(r["source"], r["quantity"]) for r in seen_by_b["items"]] == [("b-grid", 777.0)]
    alpha_client, _ = site.client("admin_a")
    seen_by_a = alpha_client.get("/api/v1/facilities/ALPHA-SECOND/activity-records").json()
    assert sorted(r["quantity"] for r in seen_by_a["items"]) == [900.0, 1000.0, 5000.0]


# --- resources --------------------------------------------------------------------------------


def test_facilities_sources_and_records_with_paging_and_period_filters(site):
    client, _ = site.client("viewer_a")
    assert client.get("/api/v1/organizations").json()["items"] == [
        {"id": site.ids["organization_id"], "name": "Alpha Secret Co"}
    ]
    assert [f["code"] for f in client.get("/api/v1/facilities").json()["items"]] == ["ALPHA-PLANT"]
    sources = client.get("/api/v1/facilities/ALPHA-PLANT/sources").json()
    assert [s["code"] for s in sources["items"]] == ["alpha-boiler", "grid"]
    base = "/api/v1/facilities/ALPHA-PLANT/activity-records"
    everything = client.get(base).json()
    assert everything["total"] == 3
    # Paging: 3 records, 2 per page -> pages of 2 and 1, same total on both.
    first = client.get(base, params={"limit": 2}).json()
    second = client.get(base, params={"limit": 2, "offset": 2}).json()
    assert (len(first["items"]), len(second["items"]), first["total"], second["total"]) == (
        2,
        1,
        3,
        3,
    )
    assert {r["id"] for r in first["items"] + second["items"]} == {
        r["id"] for r in everything["items"]
    }
    # February overlaps only the grid record of February.
    february = client.get(base, params={"start": "2025-02-01", "end": "2025-02-28"}).json()
    assert [(r["source"], r["quantity"], r["unit"]) for r in february["items"]] == [
        ("grid", 900.0, "MWh")
    ]
    gas = client.get(base, params={"source": "alpha-boiler"}).json()
    assert [(r["quantity"], r["unit"], r["origin"]) for r in gas["items"]] == [
        (123456.789, "Nm3", "invoice")
    ]
    assert gas["items"][0]["evidence"][0]["sha256"] == site.ids["evidence_sha256"]
    error = client.get(base, params={"start": "2025-03-01", "end": "2025-02-01"}).json()["error"]
    assert error["problems"][0]["rule"] == "is before start"


def test_products_and_production_by_product_and_period(site):
    with session_scope(site.engine) as session:
        alpha = session.scalars(sa.select(Facility).where(Facility.code == "ALPHA-PLANT")).one()
        cells = Product(facility_id=alpha.id, code="cell-280", name="LFP cell 280 Ah", unit="pcs")
        packs = Product(facility_id=alpha.id, code="pack-48", name="48 V pack", unit="pcs")
        session.add_all([cells, packs])
        session.flush()
        session.add_all(
            [
                ProductionRecord(
                    product_id=cells.id,
                    period_start=date(2025, 1, 1),
                    period_end=date(2025, 1, 31),
                    quantity=410_000,
                ),
                ProductionRecord(
                    product_id=cells.id,
                    period_start=date(2025, 2, 1),
                    period_end=date(2025, 2, 28),
                    quantity=380_000,
                ),
                ProductionRecord(
                    product_id=packs.id,
                    period_start=date(2025, 2, 1),
                    period_end=date(2025, 2, 28),
                    quantity=1_200,
                ),
            ]
        )
    client, _ = site.client("viewer_a")
    products = client.get("/api/v1/facilities/ALPHA-PLANT/products").json()
    assert [(p["code"], p["unit"]) for p in products["items"]] == [
        ("cell-280", "pcs"),
        ("pack-48", "pcs"),
    ]
    base = "/api/v1/facilities/ALPHA-PLANT/production"
    february = client.get(base, params={"start": "2025-02-01", "end": "2025-02-28"}).json()
    assert [(r["product"], r["quantity"]) for r in february["items"]] == [
        ("cell-280", 380_000),
        ("pack-48", 1_200),
    ]
    cells_only = client.get(base, params={"product": "cell-280"}).json()
    assert [r["period_start"] for r in cells_only["items"]] == ["2025-01-01", "2025-02-01"]
    assert cells_only["total"] == 2


def test_factor_sets_carry_provenance(site):
    client, _ = site.client("viewer_a")
    sets = client.get("/api/v1/factor-sets").json()["items"]
    shipped = next(s for s in sets if s["set_id"] == "cn-fuel-defaults-2015")
    assert shipped["origin"] == "shipped" and shipped["rows"] > 0
    rows = client.get("/api/v1/factor-sets/cn-fuel-defaults-2015").json()["factors"]
    ncv = next(r for r in rows if r["key"] == "natural_gas" and r["parameter"] == "ncv")
    assert ncv["issuer"] and ncv["status"] in ("official", "unverified") and ncv["unit"]


def test_inventories_compute_lock_restate_and_diff_through_the_services(site):
    client, csrf = site.client("manager_a")
    headers = {"X-CSRF-Token": csrf}
    listed = client.get("/api/v1/facilities/ALPHA-PLANT/inventories").json()
    assert [i["id"] for i in listed["items"]] == [site.ids["inventory_id"]]
    old = client.get(f"/api/v1/inventories/{site.ids['inventory_id']}").json()
    assert old["status"] == "locked"
    gas_line = next(
        ln for ln in old["result"]["lines"] if ln["source_id"].startswith("alpha-boiler")
    )

    # Computing a locked period again is refused; February is computed and then locked.
    refused = client.post(
        "/api/v1/facilities/ALPHA-PLANT/inventories",
        json={"start": "2025-01-01", "end": "2025-01-31"},
        headers=headers,
    )
    assert (
        refused.status_code == 422 and "restate" in refused.json()["error"]["problems"][0]["rule"]
    )
    february = client.post(
        "/api/v1/facilities/ALPHA-PLANT/inventories",
        json={"start": "2025-02-01", "end": "2025-02-28"},
        headers=headers,
    ).json()
    assert february["status"] == "computed"
    locked = client.post(f"/api/v1/inventories/{february['id']}/lock", headers=headers).json()
    assert locked["status"] == "locked" and locked["locked_at"]

    # Double the gas of January (a corrected invoice) and restate: the gas line's emissions
    # are proportional to the quantity, so they double: new = 2 x old; the grid line stays.
    with session_scope(site.engine) as session:
        records.correct_record(
            session,
            "ALPHA-PLANT",
            "alpha-boiler",
            date(2025, 1, 1),
            date(2025, 1, 31),
            quantity=2 * 123456.789,
            unit="Nm3",
            reason="corrected invoice",
            actor="test",
        )
    restated = client.post(
        "/api/v1/facilities/ALPHA-PLANT/inventories/restate",
        json={"start": "2025-01-01", "end": "2025-01-31", "reason": "corrected gas invoice"},
        headers=headers,
    )
    assert restated.status_code == 201, restated.text
    new = restated.json()
    assert (
        new["supersedes_id"] == site.ids["inventory_id"]
        and new["restatement_reason"] == "corrected gas invoice"
    )
    diff = client.get(f"/api/v1/inventories/{site.ids['inventory_id']}/diff/{new['id']}").json()
    (line,) = diff["lines"]
    assert line["line"] == gas_line["source_id"]
    assert line["new_tco2e"] == pytest.approx(2 * gas_line["emissions_tco2e"], rel=1e-12)
    assert line["change_tco2e"] == pytest.approx(gas_line["emissions_tco2e"], rel=1e-12)
    # All of the change is due to activity data, none to factors: (2A - A) x EF = E.
    assert line["activity_effect_tco2e"] == pytest.approx(gas_line["emissions_tco2e"], rel=1e-12)
    assert line["factor_effect_tco2e"] == pytest.approx(0.0, abs=1e-9)
    total = diff["totals"]["total_tco2e"]
    assert total["change"] == pytest.approx(total["new"] - total["old"], rel=1e-12)
    assert total["new"] == pytest.approx(new["total_tco2e"], rel=1e-12)


def test_audit_log_for_admin_shows_its_organization_only(site):
    client, _ = site.client("admin_a")
    entries = client.get("/api/v1/audit", params={"limit": 1000}).json()["items"]
    shown = " ".join(str(e) for e in entries)
    assert "BETA-PLANT" not in shown and "admin_b" not in shown and "beta-read" not in shown
    assert any(e["entity"] == "app_user" and e["entity_key"] == "auditor_a" for e in entries)
    ids = [e["id"] for e in entries]
    assert ids == sorted(ids, reverse=True)


def test_openapi_schema_lists_the_versioned_routes(site):
    client, _ = site.client()
    answer = client.get("/api/v1/openapi.json")
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]
    schema = answer.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/facilities/{code}/inventories" in schema["paths"]
    assert all(path.startswith("/api/v1/") for path in schema["paths"])


INT64 = 2**63 - 1


def _unbounded_integers(schema, defs, where=""):
    """Where a JSON schema lets an integer be any size (a missing or too wide bound)."""
    if isinstance(schema, list):
        for item in schema:
            yield from _unbounded_integers(item, defs, where)
        return
    if not isinstance(schema, dict):
        return
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        yield from _unbounded_integers(defs[name], defs, f"{where}/{name}")
    if schema.get("type") == "integer":
        low = schema.get("minimum", schema.get("exclusiveMinimum"))
        high = schema.get("maximum", schema.get("exclusiveMaximum"))
        if low is None or high is None or low < -INT64 - 1 or high > INT64:
            yield where or "/"
    for key, value in schema.items():
        if key != "$defs":
            yield from _unbounded_integers(value, defs, f"{where}/{key}")


def _request_fields(dependant):
    for kind in ("path_params", "query_params", "header_params", "cookie_params", "body_params"):
        for field in getattr(dependant, kind):
            yield kind, field
    for sub in dependant.dependencies:
        yield from _request_fields(sub)


def test_every_integer_a_route_reads_is_bounded_within_64_bits(site):
    unbounded = []
    for path, route in app_routes(site.app.routes):
        for kind, field in _request_fields(route.dependant):
            info = field.field_info
            schema = TypeAdapter(Annotated[info.annotation, info]).json_schema()
            for where in _unbounded_integers(schema, schema.get("$defs", {})):
                unbounded.append(f"{sorted(route.methods)} {path} {kind} {field.name}{where}")
    assert not unbounded, "\n".join(unbounded)
    client, csrf = site.client("admin_a")
    for method, path in (
        ("get", f"/api/v1/inventories/{2**64}"),
        ("get", f"/inventories/{2**64}"),
        ("get", f"/audit?page={2**64}"),
        ("post", f"/api/v1/tokens/{2**64}/revoke"),
    ):
        answer = client.request(method, path, headers={"X-CSRF-Token": csrf})
        assert answer.status_code == 422, (path, answer.text)
