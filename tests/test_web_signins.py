"""Kept sign-ins (:func:`lingtan.web.deps.authenticate`): a session or token resolved once and
kept in the process stops working, or shows its new rights, on the very next request after a
sign-out, an expiry, a revocation, a deactivation, a change of role, of facility access or of
password, in the application that kept it and in a second one on the same database (as another
``lingtan serve`` worker is), on SQLite and PostgreSQL."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from lingtan.store.db import session_scope
from lingtan.store.models import ApiToken, AppUser, UserSession, utc_now
from lingtan.web import accounts
from lingtan.web.api_reports import shutdown
from lingtan.web.app import create_app
from lingtan.web.deps import SESSION_COOKIE, known_principals
from web_support import PASSWORD, assert_error, build_site

OVERVIEW = "/api/v1/facilities/ALPHA-PLANT/overview?year=2025"
FACILITIES = "/api/v1/facilities"


@pytest.fixture
def site(database_url, tmp_path):
    built = build_site(database_url, tmp_path)
    yield built
    built.close()


@pytest.fixture
def other(site):
    """A second application on the same database (another worker process's memory)."""
    app = create_app(site.url, evidence_dir=site.evidence_dir)
    yield app
    shutdown(app)
    app.state.engine.dispose()


def _pair(site, other, user: str) -> tuple[TestClient, TestClient, str]:
    """Clients of both applications with one session of ``user``, each of whose principal is
    kept (both have answered once), and the CSRF token."""
    first, csrf = site.client(user)
    second = TestClient(other)
    second.cookies.set(SESSION_COOKIE, first.cookies[SESSION_COOKIE])
    for client in (first, second):
        assert client.get(OVERVIEW).status_code == 200
        assert client.get(FACILITIES).status_code == 200
    key = ("session", accounts.sha256_hex(first.cookies[SESSION_COOKIE]))
    for app in (site.app, other):
        assert known_principals(app).get(key)[0].name == user
    return first, second, csrf


def _change(site, change) -> None:
    """``change(session, user)`` as the command line makes it, in a transaction of its own."""
    with session_scope(site.engine) as session:
        change(session)


def _codes(client: TestClient) -> list[str]:
    answer = client.get(FACILITIES)
    assert answer.status_code == 200, answer.text
    return sorted(f["code"] for f in answer.json()["items"])


def test_a_kept_session_answers_from_memory_and_is_the_same_principal(site, other):
    first, second, _ = _pair(site, other, "viewer_a")
    key = ("session", accounts.sha256_hex(first.cookies[SESSION_COOKIE]))
    kept = known_principals(site.app).get(key)[0]
    assert (kept.name, kept.role, len(kept.readable), kept.writable) == (
        "viewer_a",
        "viewer",
        1,
        frozenset(),
    )
    for client in (first, second):
        assert _codes(client) == ["ALPHA-PLANT"]
        assert_error(client.get("/api/v1/facilities/ALPHA-SECOND/overview?year=2025"), 404)
        assert_error(client.get("/api/v1/facilities/BETA-PLANT/overview?year=2025"), 404)


def test_sign_out_ends_the_kept_session_in_both_applications(site, other):
    first, second, csrf = _pair(site, other, "viewer_a")
    cookie = first.cookies[SESSION_COOKIE]
    assert first.delete("/api/v1/session", headers={"X-CSRF-Token": csrf}).status_code == 204
    first.cookies.set(SESSION_COOKIE, cookie)  # a copy of the cookie is worthless now
    for client in (first, second):
        assert_error(client.get(OVERVIEW), 401)
        assert_error(client.get(FACILITIES), 401)


def test_expiry_is_checked_on_every_request(site, other):
    first, second, _ = _pair(site, other, "viewer_a")
    with session_scope(site.engine) as session:
        session.execute(sa.update(UserSession).values(expires_at=utc_now() - timedelta(seconds=1)))
    for client in (first, second):
        assert_error(client.get(OVERVIEW), 401)
        assert_error(client.get(FACILITIES), 401)


def test_deactivation_and_password_change_end_the_kept_sessions(site, other):
    first, second, _ = _pair(site, other, "viewer_a")
    _change(
        site,
        lambda s: accounts.set_active(
            s, accounts.user_named(s, "viewer_a"), False, actor="admin_a"
        ),
    )
    for client in (first, second):
        assert_error(client.get(OVERVIEW), 401)

    _change(
        site,
        lambda s: accounts.set_active(s, accounts.user_named(s, "viewer_a"), True, actor="admin_a"),
    )
    first, second, _ = _pair(site, other, "viewer_a")
    _change(
        site,
        lambda s: accounts.set_password(
            s, accounts.user_named(s, "viewer_a"), PASSWORD + " new", actor="admin_a"
        ),
    )
    for client in (first, second):
        assert_error(client.get(FACILITIES), 401)


def test_role_and_facility_changes_show_on_the_next_request(site, other):
    first, second, _ = _pair(site, other, "manager_a")
    grant = "/api/v1/facilities/ALPHA-PLANT"
    _change(
        site,
        lambda s: accounts.grant_facility(
            s, accounts.user_named(s, "manager_a"), "ALPHA-SECOND", actor="admin_a"
        ),
    )
    for client in (first, second):
        assert _codes(client) == ["ALPHA-PLANT", "ALPHA-SECOND"]
    _change(
        site,
        lambda s: accounts.revoke_facility(
            s, accounts.user_named(s, "manager_a"), "ALPHA-PLANT", actor="admin_a"
        ),
    )
    for client in (first, second):
        assert _codes(client) == ["ALPHA-SECOND"]
        assert_error(client.get(OVERVIEW), 404)
        assert_error(client.get(grant), 404)
    _change(
        site,
        lambda s: accounts.set_role(s, accounts.user_named(s, "manager_a"), "admin", actor="x"),
    )
    for client in (first, second):
        assert _codes(client) == ["ALPHA-PLANT", "ALPHA-SECOND"]  # an admin sees them all
        assert client.get(OVERVIEW).status_code == 200
    _change(
        site,
        lambda s: accounts.set_role(s, accounts.user_named(s, "manager_a"), "viewer", actor="x"),
    )
    for client in (first, second):
        assert _codes(client) == []  # a former admin sees nothing until granted
        assert_error(client.get(OVERVIEW), 404)


def test_a_role_changed_by_hand_in_the_database_is_seen_too(site, other):
    """No audit entry: the role read with the session's row tells the kept principal is old."""
    first, second, csrf = _pair(site, other, "manager_a")
    with session_scope(site.engine) as session:
        session.execute(
            sa.update(AppUser).where(AppUser.username == "manager_a").values(role="viewer")
        )
    compute = "/api/v1/facilities/ALPHA-PLANT/inventories"
    february = {"start": "2025-02-01", "end": "2025-02-28"}
    for client in (first, second):
        assert_error(client.post(compute, json=february, headers={"X-CSRF-Token": csrf}), 403)


def test_kept_tokens_end_on_revocation_and_expiry_in_both_applications(site, other):
    headers = {"Authorization": f"Bearer {site.tokens['alpha-read']}"}
    clients = (TestClient(site.app, headers=headers), TestClient(other, headers=headers))
    for client in clients:
        assert _codes(client) == ["ALPHA-PLANT"]
        assert client.get(OVERVIEW).status_code == 200
    token_id = site.ids["alpha-read_token_id"]
    _change(site, lambda s: accounts.revoke_token(s, token_id, actor="admin_a"))
    for client in clients:
        answer = client.get(OVERVIEW)
        assert_error(answer, 401)
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")

    headers = {"Authorization": f"Bearer {site.tokens['beta-read']}"}
    clients = (TestClient(site.app, headers=headers), TestClient(other, headers=headers))
    for client in clients:
        assert client.get(FACILITIES).status_code == 200
    with session_scope(site.engine) as session:
        session.execute(
            sa.update(ApiToken)
            .where(ApiToken.name == "beta-read")
            .values(expires_at=utc_now() - timedelta(seconds=1))
        )
    for client in clients:
        assert_error(client.get(FACILITIES), 401)


def test_sessions_removed_by_hand_end_at_once(site, other):
    """Sessions removed in the database (as an operator might) end at once as well."""
    first, second, _ = _pair(site, other, "viewer_a")
    with session_scope(site.engine) as session:
        session.execute(sa.delete(UserSession))
    for client in (first, second):
        assert_error(client.get(OVERVIEW), 401)
