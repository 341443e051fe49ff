"""lingtan's PACT host and client, on SQLite and PostgreSQL: OAuth2 client credentials, the
specification's error bodies, filters, Link pagination, organization isolation, events, and a
customer's lingtan pulling a supplier's footprints from the supplier's lingtan."""

import base64
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from conftest import from_template, migrated
from lingtan.errors import InputError
from lingtan.services import pact, pact_client
from lingtan.store.db import make_engine, session_scope, upgrade
from lingtan.store.models import (
    AuditEntry,
    Facility,
    Organization,
    PactEvent,
    PactFootprint,
    PactReceivedFootprint,
)
from lingtan.web import accounts
from lingtan.web.app import create_app

CREATED = "org.wbcsd.pact.ProductFootprint.RequestCreatedEvent.3"
PUBLISHED = "org.wbcsd.pact.ProductFootprint.PublishedEvent.3"
EVENT_HEADERS = {"Content-Type": "application/cloudevents+json; charset=UTF-8"}


def figures(number: int, **changes):
    return {
        "company_ids": ["urn:pact:cell.example.cn:supplier-id:91320000"],
        "product_ids": [f"urn:pact:cell.example.cn:product-id:LFP-{number}"],
        "product_name": f"LFP cell {number}",
        "product_description": "Prismatic LFP cell (illustrative)",
        "declared_unit": "piece",
        "declared_unit_amount": 1,
        "product_mass_kg": 5.4,
        "reference_period_start": datetime(2025, 1, 1, tzinfo=UTC),
        "reference_period_end": datetime(2026, 1, 1, tzinfo=UTC),
        "fossil_ghg_kgco2e": 10.0 + number,
        "fossil_carbon_kgc": 0.0,
        "cross_sectoral_standards": ["ISO14067"],
        "primary_data_share_pct": 50.0,
        "geography_country": "CN" if number % 2 else "DE",
    } | changes


def _fill_host(url: str, folder: Path) -> tuple[dict, dict]:
    """The host's organizations, clients and footprints in the empty database at ``url``:
    ``(credentials, ids)`` of :class:`Host`."""
    engine = make_engine(url)
    upgrade(engine)
    credentials, ids = {}, {}
    with session_scope(engine) as session:
        for name, count in (("Alpha Cell Co", 5), ("Beta Cell Co", 1)):
            organization = Organization(name=name)
            session.add(organization)
            session.flush()
            client_id, secret, _ = pact.create_client(
                session, organization, name="customer", actor="setup"
            )
            credentials[name] = (client_id, secret)
            ids[name] = [
                pact.publish(session, organization, actor="setup", **figures(n)).pf_id
                for n in range(count)
            ]
    engine.dispose()
    return credentials, ids


class Host:
    """A lingtan with organizations A (five footprints) and B (one), a client of each."""

    def __init__(self, url: str, folder: Path, *, own: bool = False):
        """``own``: built afresh (own client secrets and footprint ids), not copied from the
        template that the ``host`` fixture's databases share."""
        if own:
            self.credentials, self.ids = _fill_host(url, folder)
        else:
            self.credentials, self.ids = from_template("pact-host", url, folder, _fill_host)
        self.engine = make_engine(url)
        self.app = create_app(url)
        self.http = TestClient(self.app, base_url="https://testserver")

    def token(self, organization: str = "Alpha Cell Co") -> str:
        answer = self.http.post(
            "/auth/token",
            auth=self.credentials[organization],
            data={"grant_type": "client_credentials"},
        )
        assert answer.status_code == 200, answer.text
        return answer.json()["access_token"]

    def get(self, path: str, token: str, **params):
        return self.http.get(path, params=params, headers={"Authorization": f"Bearer {token}"})

    def count(self, model) -> int:
        with self.engine.connect() as connection:
            return connection.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()

    def close(self):
        self.app.state.engine.dispose()
        self.engine.dispose()


@pytest.fixture
def host(database_url, tmp_path):
    site = Host(database_url, tmp_path)
    yield site
    site.close()


def test_a_token_for_valid_client_credentials(host):
    client_id, secret = host.credentials["Alpha Cell Co"]
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    answer = host.http.post(
        "/auth/token",
        content="grant_type=client_credentials",
        headers={
            "Authorization": f"Basic {basic}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert len(body["access_token"]) >= 40
    assert answer.headers["cache-control"] == "no-store"
    discovery = host.http.get("/.well-known/openid-configuration").json()
    assert discovery["token_endpoint"] == "https://testserver/auth/token"


@pytest.mark.parametrize(
    ("auth", "form", "status", "error"),
    [
        ("wrong-secret", "grant_type=client_credentials", 401, "invalid_client"),
        ("unknown-client", "grant_type=client_credentials", 401, "invalid_client"),
        ("none", "grant_type=client_credentials", 401, "invalid_client"),
        ("garbled", "grant_type=client_credentials", 401, "invalid_client"),
        ("valid", "grant_type=password", 400, "unsupported_grant_type"),
        ("valid", "", 400, "unsupported_grant_type"),
    ],
)
def test_refused_credentials_answer_as_rfc_6749_says(host, auth, form, status, error):
    client_id, secret = host.credentials["Alpha Cell Co"]
    pairs = {
        "valid": f"{client_id}:{secret}",
        "wrong-secret": f"{client_id}:{secret}x",
        "unknown-client": f"lt-nobody:{secret}",
    }
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if auth in pairs:
        headers["Authorization"] = "Basic " + base64.b64encode(pairs[auth].encode()).decode()
    elif auth == "garbled":
        headers["Authorization"] = "Basic %%%not-base64"
    answer = host.http.post("/auth/token", content=form, headers=headers)
    assert answer.status_code == status
    assert answer.json()["error"] == error
    assert "access_token" not in answer.json()
    assert host.count(AuditEntry) == 2 + 6  # setup only: two clients and six footprints


def test_requests_without_a_valid_token_get_the_specification_error_bodies(host):
    for path in ("/3/footprints", f"/3/footprints/{host.ids['Alpha Cell Co'][0]}"):
        nothing = host.http.get(path)
        assert nothing.status_code == 401
        assert nothing.json() == {
            "code": "BadRequest",
            "message": "a bearer token from /auth/token is required",
        }
        assert nothing.headers["www-authenticate"].startswith("Bearer")
        bad = host.get(path, "invalid-access-token")
        assert bad.status_code == 401
        assert bad.json() == {"code": "BadRequest", "message": "invalid access token"}
    events = host.http.post(
        "/3/events",
        content=b"{}",
        headers=EVENT_HEADERS | {"Authorization": "Bearer invalid-access-token"},
    )
    assert events.status_code == 401 and events.json()["code"] == "BadRequest"
    # In Chinese when asked.
    chinese = host.http.get("/3/footprints", headers={"Accept-Language": "zh-CN"})
    assert chinese.json()["code"] == "BadRequest"
    assert re.search(r"[\u4e00-\u9fff]", chinese.json()["message"])


def test_an_expired_token_is_told_apart(host):
    client_id, secret = host.credentials["Alpha Cell Co"]
    with session_scope(host.engine) as session:
        token, _ = pact.issue_token(
            session, client_id, secret, now=datetime.now(UTC) - timedelta(hours=2)
        )
    answer = host.get("/3/footprints", token)
    assert answer.status_code == 401
    assert answer.json() == {"code": "TokenExpired", "message": "the access token has expired"}


def test_a_revoked_client_gets_no_token_and_its_tokens_end(host):
    token = host.token()
    client_id, secret = host.credentials["Alpha Cell Co"]
    with session_scope(host.engine) as session:
        owner = pact.organization_named(session, "Alpha Cell Co")
        pact.revoke_client(session, owner, client_id, actor="admin")
    assert host.get("/3/footprints", token).status_code == 401
    answer = host.http.post(
        "/auth/token", auth=(client_id, secret), data={"grant_type": "client_credentials"}
    )
    assert answer.status_code == 401


def test_pagination_links_walk_every_footprint_once(host):
    token = host.token()
    seen, url, pages = [], "https://testserver/3/footprints?limit=2&geography=CN&geography=DE", 0
    while url:
        answer = host.http.get(url, headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200
        seen += [footprint["id"] for footprint in answer.json()["data"]]
        link = answer.headers.get("link")
        pages += 1
        if link is None:
            break
        match = re.fullmatch(r'<(https://testserver/3/footprints\?[^>]+)>; rel="next"', link)
        assert match, link  # absolute, on the same host
        url = match.group(1)
        assert "geography=CN&geography=DE" in url  # the filters go along
    assert pages == 3
    assert seen == host.ids["Alpha Cell Co"]
    everything = host.get("/3/footprints", token).json()["data"]
    assert [footprint["id"] for footprint in everything] == host.ids["Alpha Cell Co"]


@pytest.mark.parametrize(
    ("params", "numbers"),
    [
        ({"productId": "URN:PACT:CELL.EXAMPLE.CN:PRODUCT-ID:LFP-3"}, [3]),
        ({"productId": ["urn:pact:cell.example.cn:product-id:LFP-1", "urn:gtin:1"]}, [1]),
        ({"geography": "CN"}, [1, 3]),
        ({"geography": "DE", "productId": "urn:pact:cell.example.cn:product-id:LFP-1"}, []),
        ({"companyId": "urn:pact:cell.example.cn:supplier-id:91320000"}, [0, 1, 2, 3, 4]),
        ({"status": "Active"}, [0, 1, 2, 3, 4]),
        ({"status": "Deprecated"}, []),
        ({"status": "BogusStatus"}, []),
        ({"validOn": "2027-06-01T00:00:00Z"}, [0, 1, 2, 3, 4]),
        ({"validOn": "2025-06-01T00:00:00Z"}, []),
        ({"validAfter": "2025-12-31T00:00:00Z"}, [0, 1, 2, 3, 4]),
        ({"validBefore": "2029-01-01T00:00:00Z"}, []),
        ({"classification": "urn:eclass:none"}, []),
    ],
)
def test_list_filters(host, params, numbers):
    answer = host.get("/3/footprints", host.token(), **params)
    assert answer.status_code == 200
    assert answer.json() == {"data": answer.json()["data"]}
    assert [footprint["id"] for footprint in answer.json()["data"]] == [
        host.ids["Alpha Cell Co"][n] for n in numbers
    ]


@pytest.mark.parametrize(
    "params", [{"validOn": "yesterday"}, {"validAfter": "2025-01-01T00:00:00"}, {"limit": "-1"}]
)
def test_malformed_list_parameters_are_a_bad_request(host, params):
    answer = host.get("/3/footprints", host.token(), **params)
    assert answer.status_code == 400
    assert answer.json()["code"] == "BadRequest"


def test_a_new_version_deprecates_the_one_it_follows(host):
    first = host.ids["Alpha Cell Co"][0]
    with session_scope(host.engine) as session:
        owner = pact.organization_named(session, "Alpha Cell Co")
        newer = pact.publish(
            session, owner, actor="manager", preceding_pf_ids=[first], **figures(0)
        ).pf_id
    token = host.token()
    old = host.get(f"/3/footprints/{first}", token).json()["data"]
    assert old["status"] == "Deprecated"
    assert host.get(f"/3/footprints/{newer}", token).json()["data"]["precedingPfIds"] == [first]
    deprecated = host.get("/3/footprints", token, status="deprecated").json()["data"]
    assert [footprint["id"] for footprint in deprecated] == [first]


def test_a_token_reads_only_its_own_organization(host):
    alpha_id = host.ids["Alpha Cell Co"][0]
    beta = host.token("Beta Cell Co")
    listed = host.get("/3/footprints", beta).json()["data"]
    assert [footprint["id"] for footprint in listed] == host.ids["Beta Cell Co"]
    assert "Alpha" not in json.dumps(listed)
    foreign = host.get(f"/3/footprints/{alpha_id}", beta)
    missing = host.get("/3/footprints/00000000-0000-0000-0000-000000000000", beta)
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json() == {"code": "NotFound", "message": "no such footprint"}
    assert host.get(f"/3/footprints/{alpha_id}", host.token()).json()["data"]["id"] == alpha_id


def test_pact_tokens_and_lingtan_api_tokens_do_not_open_each_other(host):
    with session_scope(host.engine) as session:
        owner = pact.organization_named(session, "Alpha Cell Co")
        plant = Facility(organization_id=owner.id, code="ALPHA-PLANT", name="Plant", region="CN-JS")
        session.add(plant)
        session.flush()
        api_token, _ = accounts.create_token(
            session,
            name="gateway",
            organization="Alpha Cell Co",
            facility="ALPHA-PLANT",
            scope="read",
            actor="setup",
        )
    assert host.get("/3/footprints", api_token).status_code == 401
    assert host.get("/api/v1/facilities", host.token()).status_code == 401


def test_events_are_kept_and_malformed_ones_refused(host):
    token = host.token()
    headers = EVENT_HEADERS | {"Authorization": f"Bearer {token}"}
    created = {
        "specversion": "1.0",
        "id": "request-1",
        "source": "https://customer.example.com",
        "time": "2026-03-01T00:00:00Z",
        "type": CREATED,
        "data": {"productId": ["urn:pact:cell.example.cn:product-id:LFP-2"], "comment": "2025"},
    }
    answer = host.http.post("/3/events", content=json.dumps(created), headers=headers)
    assert answer.status_code == 200 and answer.content == b""
    published = created | {"id": "p1", "type": PUBLISHED, "data": {"pfIds": ["urn:gtin:1"]}}
    for body, field in (
        (published, "pfIds"),
        (created | {"specversion": "0.3"}, "specversion"),
        (created | {"type": "com.example.Other"}, "type"),
        ({"id": "x"}, "source"),
    ):
        refused = host.http.post("/3/events", content=json.dumps(body), headers=headers)
        assert refused.status_code == 400, body
        assert refused.json()["code"] == "BadRequest"
        assert field in refused.json()["message"]
    not_json = host.http.post("/3/events", content=b"{", headers=headers)
    assert not_json.status_code == 400 and not_json.json()["code"] == "BadRequest"
    wrong_type = host.http.post(
        "/3/events", content=json.dumps(created), headers=headers | {"Content-Type": "text/plain"}
    )
    assert wrong_type.status_code == 400
    with session_scope(host.engine, read_only=True) as session:
        kept = session.scalars(sa.select(PactEvent)).all()
        assert [(event.event_id, event.state) for event in kept] == [("request-1", "open")]
        assert kept[0].organization_id == pact.organization_named(session, "Alpha Cell Co").id


def test_open_requests_are_answered_to_the_registered_host_only(host, tmp_path):
    """Alpha's customer (another lingtan, Gamma) asks Alpha for LFP-2 and for a product Alpha
    does not make; Alpha answers each at Gamma's /3/events; a request whose source is not a
    registered host stays open."""
    customer = Host(f"sqlite:///{tmp_path / 'customer.db'}", tmp_path, own=True)
    try:
        token = host.token()
        headers = EVENT_HEADERS | {"Authorization": f"Bearer {token}"}
        for event_id, product, source in (
            ("r-found", "LFP-2", "https://customer.test"),
            ("r-none", "LFP-99", "https://customer.test"),
            ("r-stranger", "LFP-2", "https://attacker.test"),
        ):
            body = {
                "specversion": "1.0",
                "id": event_id,
                "source": source,
                "time": "2026-03-01T00:00:00Z",
                "type": CREATED,
                "data": {"productId": [f"urn:pact:cell.example.cn:product-id:{product}"]},
            }
            answer = host.http.post("/3/events", content=json.dumps(body), headers=headers)
            assert answer.status_code == 200
        # Gamma's host is the customer's lingtan; Alpha holds client credentials Gamma issued.
        gamma_id, gamma_secret = customer.credentials["Beta Cell Co"]
        with session_scope(host.engine) as session:
            alpha = pact.organization_named(session, "Alpha Cell Co")
            pact.add_remote(
                session,
                alpha,
                name="gamma",
                base_url="https://customer.test",
                client_id=gamma_id,
                client_secret=gamma_secret,
                actor="manager",
            )
        to_customer = TestClient(customer.app, base_url="https://customer.test")
        with session_scope(host.engine) as session:
            alpha = pact.organization_named(session, "Alpha Cell Co")
            outcomes = pact_client.answer_requests(
                session, alpha, actor="manager", http=to_customer
            )
            assert [(r.event_id, outcome) for r, outcome in outcomes] == [
                ("r-found", "fulfilled"),
                ("r-none", "rejected"),
                ("r-stranger", "no host"),
            ]
        with session_scope(customer.engine, read_only=True) as session:
            received = session.scalars(sa.select(PactEvent).order_by(PactEvent.id)).all()
            kinds = [event.event_type.split(".")[-2] for event in received]
            assert kinds == ["RequestFulfilledEvent", "RequestRejectedEvent"]
            fulfilled = received[0].body["data"]
            assert fulfilled["requestEventId"] == "r-found"
            assert [pf["id"] for pf in fulfilled["pfs"]] == [host.ids["Alpha Cell Co"][2]]
            assert received[1].body["data"]["error"]["code"] == "NotFound"
    finally:
        customer.close()


def test_a_customer_pulls_a_suppliers_footprints(host, tmp_path):
    """The customer's lingtan (its own database) pulls Alpha's five footprints over Alpha's
    host: token, pages of at most 100, figures kept; a second pull updates, not duplicates."""
    customer = make_engine(f"sqlite:///{tmp_path / 'customer.db'}")
    upgrade(customer)
    client_id, secret = host.credentials["Alpha Cell Co"]
    with session_scope(customer) as session:
        buyer = Organization(name="Pack Assembly Co")
        session.add(buyer)
        session.flush()
        pact.add_remote(
            session,
            buyer,
            name="alpha",
            base_url="https://testserver",
            client_id=client_id,
            client_secret=secret,
            actor="buyer",
        )
    for _ in range(2):
        with session_scope(customer) as session:
            buyer = pact.organization_named(session, "Pack Assembly Co")
            kept = pact_client.pull(session, buyer, "alpha", actor="buyer", http=host.http)
            assert len(kept) == 5
    with session_scope(customer, read_only=True) as session:
        rows = session.scalars(
            sa.select(PactReceivedFootprint).order_by(PactReceivedFootprint.id)
        ).all()
        assert [row.pf_id for row in rows] == host.ids["Alpha Cell Co"]
        assert [row.pcf_excluding_biogenic_kgco2e for row in rows] == [10, 11, 12, 13, 14]
        assert {row.company_name for row in rows} == {"Alpha Cell Co"}
        assert rows[0].document["pcf"]["primaryDataShare"] == "50"
    customer.dispose()


def _mock(routes):
    def handle(request: httpx.Request) -> httpx.Response:
        for pattern, response in routes.items():
            if re.fullmatch(pattern, str(request.url)):
                return response(request) if callable(response) else response
        return httpx.Response(404)

    return httpx.Client(transport=httpx.MockTransport(handle))


TOKEN = httpx.Response(200, json={"access_token": "t", "token_type": "Bearer", "expires_in": 60})


@pytest.fixture
def buyer_store(database_url, tmp_path):
    from_template("migrated", database_url, tmp_path, migrated)
    engine = make_engine(database_url)
    with session_scope(engine) as session:
        buyer = Organization(name="Pack Assembly Co")
        session.add(buyer)
        session.flush()
        for name, version in (("v3", "3"), ("v2", "2")):
            pact.add_remote(
                session,
                buyer,
                name=name,
                base_url=f"https://{name}.supplier.test",
                client_id="c",
                client_secret="s",
                api_version=version,
                actor="buyer",
            )
    yield engine
    engine.dispose()


def _pull(engine, name, http):
    with session_scope(engine) as session:
        buyer = pact.organization_named(session, "Pack Assembly Co")
        return len(pact_client.pull(session, buyer, name, actor="buyer", http=http))


def test_a_v23_host_is_pulled_from_its_v2_endpoint(buyer_store):
    from test_pact_model import V23

    http = _mock(
        {
            # No token_type (RFC 6749 requires it; some hosts leave it out): taken as Bearer.
            r"https://v2\.supplier\.test/auth/token": httpx.Response(
                200, json={"access_token": "t"}
            ),
            r"https://v2\.supplier\.test/2/footprints\?limit=100": httpx.Response(
                200, json={"data": [V23]}
            ),
        }
    )
    assert _pull(buyer_store, "v2", http) == 1
    with session_scope(buyer_store, read_only=True) as session:
        row = session.scalars(sa.select(PactReceivedFootprint)).one()
        assert (row.spec_version, row.pcf_excluding_biogenic_kgco2e) == ("2.3.0", 8.5)


@pytest.mark.parametrize(
    ("routes", "field"),
    [
        ({r".*/auth/token": httpx.Response(401, json={"error": "invalid_client"})}, "status"),
        ({r".*/auth/token": httpx.Response(200, json={"token_type": "Bearer"})}, "access_token"),
        (
            {
                r".*/auth/token": httpx.Response(
                    200, json={"access_token": "t", "token_type": "MAC"}
                )
            },
            "token_type",
        ),
        (
            {
                r".*/auth/token": TOKEN,
                r".*/3/footprints.*": httpx.Response(200, json={"footprints": []}),
            },
            "data",
        ),
        (
            {r".*/auth/token": TOKEN, r".*/3/footprints.*": httpx.Response(200, text="<html>")},
            "(body)",
        ),
        (
            {
                r".*/auth/token": TOKEN,
                r".*/3/footprints.*": httpx.Response(
                    200, json={"data": [{"id": "x", "specVersion": "3.0.0"}]}
                ),
            },
            "pcf",
        ),
        (
            {
                r".*/auth/token": TOKEN,
                r".*/3/footprints.*": httpx.Response(
                    200,
                    json={"data": []},
                    headers={"Link": '<https://elsewhere.test/3/footprints?o=1>; rel="next"'},
                ),
            },
            "Link",
        ),
    ],
)
def test_a_malformed_answer_is_refused_and_nothing_kept(buyer_store, routes, field):
    with pytest.raises(InputError) as caught:
        _pull(buyer_store, "v3", _mock(routes))
    problem = caught.value.problems[0]
    assert problem.where.startswith("https://v3.supplier.test/")
    assert problem.field == field or field in [p.field for p in caught.value.problems]
    with buyer_store.connect() as connection:
        count = sa.select(sa.func.count()).select_from(PactReceivedFootprint)
        assert connection.execute(count).scalar_one() == 0


def test_publishing_refuses_v2_a_reused_id_and_writes_nothing(host):
    from test_pact_model import V23

    before = host.count(PactFootprint), host.count(AuditEntry)
    existing = host.get(f"/3/footprints/{host.ids['Alpha Cell Co'][1]}", host.token()).json()
    for document, field in ((V23, "specVersion"), (existing["data"], "id")):
        with pytest.raises(InputError) as caught, session_scope(host.engine) as session:
            owner = pact.organization_named(session, "Alpha Cell Co")
            pact.publish_document(session, owner, document, actor="m", where="file.json")
        assert [p.field for p in caught.value.problems] == [field]
    assert (host.count(PactFootprint), host.count(AuditEntry)) == before


def test_a_remote_host_must_be_https(buyer_store):
    with pytest.raises(InputError) as caught, session_scope(buyer_store) as session:
        buyer = pact.organization_named(session, "Pack Assembly Co")
        pact.add_remote(
            session,
            buyer,
            name="plain",
            base_url="http://supplier.test",
            client_id="c",
            client_secret="s",
            api_version="4",
            actor="buyer",
        )
    assert {p.field for p in caught.value.problems} == {"base_url", "auth_base_url", "api_version"}


def test_the_pact_commands(lingtan_cli, database_url, tmp_path):
    engine = make_engine(database_url)
    upgrade(engine)
    with session_scope(engine) as session:
        session.add(Organization(name="Demo Cell Plant"))
    engine.dispose()
    added = lingtan_cli("--lang", "en", "pact", "clients", "add", "Pack Assembly Co").output
    client_id = re.search(r"client id: (lt-[0-9a-f]{24})", added).group(1)
    assert re.search(r"client secret \(shown once\): \S{40,}", added)
    listed = json.loads(lingtan_cli("pact", "clients", "list", "--format", "json").output)
    assert [(c["client_id"], c["name"], c["revoked_at"]) for c in listed] == [
        (client_id, "Pack Assembly Co", None)
    ]
    lingtan_cli("pact", "publish", "examples/pact-footprint.json")
    served = json.loads(lingtan_cli("pact", "footprints", "--format", "json").output)
    assert [d["id"] for d in served] == ["6a9d7e0c-3b1f-4c55-9a0e-2f3c1d7b8e41"]
    assert served[0]["pcf"]["pcfExcludingBiogenicUptake"] == "58.75"  # 58.5 + 0.25
    # A file with one bad footprint of two: refused whole, the bad one named, nothing written.
    good = copy_of("examples/pact-footprint.json", id="0f8fad5b-d9cb-469f-a165-70867728950e")
    bad = copy_of("examples/pact-footprint.json", id="7c9e6679-7425-40de-944b-e07fc1f90ae7")
    bad["pcf"]["primaryDataShare"] = 62.5  # a number, not a decimal string
    two = tmp_path / "two.json"
    two.write_text(json.dumps([good, bad]), encoding="utf-8")
    refused = lingtan_cli("--lang", "en", "pact", "publish", str(two), code=2)
    assert "two.json [1]" in refused.stderr and "pcf.primaryDataShare" in refused.stderr
    assert len(json.loads(lingtan_cli("pact", "footprints", "--format", "json").output)) == 1
    lingtan_cli("pact", "receive", "examples/pact-supplier-v23.json")
    received = json.loads(lingtan_cli("pact", "received", "--format", "json").output)
    assert [(r["spec_version"], r["pcf_excluding_biogenic_kgco2e"]) for r in received] == [
        ("2.3.0", 8.5)
    ]
    chinese = lingtan_cli("--lang", "zh-CN", "pact", "clients", "revoke", client_id).output
    assert client_id in chinese and "已吊销" in chinese
    listed = json.loads(lingtan_cli("pact", "clients", "list", "--format", "json").output)
    assert listed[0]["revoked_at"] is not None


def copy_of(path, **changes):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle) | changes
