"""Managing users: passwords, deactivation, roles and facility grants, on the API and on the
command line; sessions ended, every change audited without password material, the last
admin of an organization kept, other organizations' admins answered 404."""

import re

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from lingtan.cli.main import main
from lingtan.store import audit
from lingtan.store.db import session_scope
from lingtan.store.models import AppUser, AuditEntry, LoginAttempt, UserSession
from lingtan.web.accounts import MAX_FAILURES_PER_USER, password_problem
from web_support import ALPHA, BETA, PASSWORD, assert_error, build_site, snapshot

NEW_PASSWORD = "a brand new secret 2026"
USERS = "/api/v1/users"


@pytest.fixture
def site(database_url, tmp_path):
    built = build_site(database_url, tmp_path)
    yield built
    built.close()


def sessions_of(site, username: str) -> int:
    with site.engine.connect() as connection:
        return connection.execute(
            sa.select(sa.func.count())
            .select_from(UserSession)
            .join(AppUser, AppUser.id == UserSession.user_id)
            .where(AppUser.username == username)
        ).scalar_one()


def entries_about(site, username: str) -> list[AuditEntry]:
    with site.engine.connect() as connection:
        rows = connection.execute(
            sa.select(AuditEntry)
            .where(AuditEntry.entity == "app_user", AuditEntry.entity_key == username)
            .order_by(AuditEntry.id)
        ).all()
    return rows


def signs_in(site, username: str, password: str) -> bool:
    client, _ = site.client()
    answer = client.post("/api/v1/session", json={"username": username, "password": password})
    return answer.status_code == 200


def user_of(answer) -> dict:
    assert answer.status_code == 200, answer.text
    return answer.json()


# --- deactivation and passwords --------------------------------------------------------------


def test_deactivating_ends_the_sessions_refuses_sign_in_and_is_audited(site):
    viewer, _ = site.client("viewer_a")
    assert viewer.get("/api/v1/facilities/ALPHA-PLANT").status_code == 200
    admin, csrf = site.client("admin_a")
    headers = {"X-CSRF-Token": csrf}

    done = user_of(admin.post(f"{USERS}/viewer_a/deactivate", headers=headers))
    assert done["active"] is False and done["username"] == "viewer_a"
    assert sessions_of(site, "viewer_a") == 0
    assert_error(viewer.get("/api/v1/facilities/ALPHA-PLANT"), 401)
    assert not signs_in(site, "viewer_a", PASSWORD)
    again = assert_error(admin.post(f"{USERS}/viewer_a/deactivate", headers=headers), 422)
    assert again["problems"][0]["rule"] == "is already deactivated"

    entry = entries_about(site, "viewer_a")[-1]
    assert (entry.action, entry.actor) == ("deactivate", "admin_a")
    assert entry.before == {"organization_id": site.ids["organization_id"], "active": True}
    assert entry.after == {
        "organization_id": site.ids["organization_id"],
        "active": False,
        "sessions_ended": 1,
    }
    # The admin of the organization reads the entry in the audit log; another one does not.
    log = admin.get("/api/v1/audit", params={"entity": "app_user"}).json()["items"]
    assert log[0]["entity_key"] == "viewer_a" and log[0]["action"] == "deactivate"
    admin_b, _ = site.client("admin_b")
    other = admin_b.get("/api/v1/audit", params={"entity": "app_user"}).json()["items"]
    assert "viewer_a" not in {e["entity_key"] for e in other}

    assert user_of(admin.post(f"{USERS}/viewer_a/activate", headers=headers))["active"] is True
    assert signs_in(site, "viewer_a", PASSWORD)
    assert entries_about(site, "viewer_a")[-1].action == "activate"


def test_an_admin_sets_a_password_ends_the_sessions_and_no_password_is_logged(site):
    viewer, _ = site.client("viewer_a")
    other_viewer, _ = site.client("viewer_a")
    assert sessions_of(site, "viewer_a") == 2
    admin, csrf = site.client("admin_a")
    headers = {"X-CSRF-Token": csrf}
    before = snapshot(site)
    short = admin.put(f"{USERS}/viewer_a/password", json={"password": "short"}, headers=headers)
    assert assert_error(short, 422)["problems"][0]["field"] == "password"
    assert snapshot(site) == before and sessions_of(site, "viewer_a") == 2

    answer = admin.put(
        f"{USERS}/viewer_a/password", json={"password": NEW_PASSWORD}, headers=headers
    )
    user_of(answer)
    assert sessions_of(site, "viewer_a") == 0
    assert_error(viewer.get("/api/v1/session"), 401)
    assert_error(other_viewer.get("/api/v1/session"), 401)
    assert not signs_in(site, "viewer_a", PASSWORD)
    assert signs_in(site, "viewer_a", NEW_PASSWORD)

    entry = entries_about(site, "viewer_a")[-1]
    assert entry.action == "passwd" and entry.after["sessions_ended"] == 2
    with site.engine.connect() as connection:
        stored = connection.execute(
            sa.select(AppUser.password_hash).where(AppUser.username == "viewer_a")
        ).scalar_one()
    logged = str(entry.before) + str(entry.after)
    assert NEW_PASSWORD not in logged and stored not in logged and "argon2" not in logged


def test_a_user_changes_its_own_password_with_the_current_one(site):
    manager, csrf = site.client("manager_a")
    elsewhere, _ = site.client("manager_a")
    headers = {"X-CSRF-Token": csrf}
    url = "/api/v1/session/password"
    wrong = {"current_password": "not the password", "new_password": NEW_PASSWORD}
    refused = assert_error(manager.put(url, json=wrong, headers=headers), 403)
    assert refused["message"] == "当前密码不正确"  # no language asked: Chinese
    assert site.count(LoginAttempt) == 1  # counted like a failed sign-in, and kept
    too_short = {"current_password": PASSWORD, "new_password": "short"}
    assert_error(manager.put(url, json=too_short, headers=headers), 422)
    assert signs_in(site, "manager_a", PASSWORD)
    assert_error(manager.put(url, json={"current_password": PASSWORD}, headers=headers), 422)

    right = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    assert_error(manager.put(url, json=right), 403)  # no CSRF token
    answer = manager.put(url, json=right, headers=headers)
    assert answer.status_code == 204, answer.text
    assert manager.get("/api/v1/session").json()["username"] == "manager_a"  # stays signed in
    assert_error(elsewhere.get("/api/v1/session"), 401)  # the other session ended
    assert sessions_of(site, "manager_a") == 1
    assert signs_in(site, "manager_a", NEW_PASSWORD) and not signs_in(site, "manager_a", PASSWORD)
    entry = entries_about(site, "manager_a")[-1]
    # ended: ``elsewhere`` and the session of the sign-in check after the refused short password
    assert (entry.action, entry.actor, entry.after["sessions_ended"]) == ("passwd", "manager_a", 2)
    assert_error(site.bearer("alpha-read").put(url, json=right), 403)


def test_guessing_the_current_password_is_throttled(site):
    viewer, csrf = site.client("viewer_a")
    url = "/api/v1/session/password"
    headers = {"X-CSRF-Token": csrf}
    wrong = {"current_password": "guess", "new_password": NEW_PASSWORD}
    for _ in range(MAX_FAILURES_PER_USER):
        assert_error(viewer.put(url, json=wrong, headers=headers), 403)
    right = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    answer = viewer.put(url, json=right, headers=headers)
    assert_error(answer, 429)
    assert int(answer.headers["Retry-After"]) > 0
    assert signs_in(site, "viewer_a", PASSWORD) is False  # sign-in is throttled as well


# --- roles and grants --------------------------------------------------------------------------


def test_the_last_active_admin_is_neither_deactivated_nor_demoted(site):
    admin, csrf = site.client("admin_a")
    headers = {"X-CSRF-Token": csrf}
    before = snapshot(site)
    for answer in (
        admin.post(f"{USERS}/admin_a/deactivate", headers=headers),
        admin.put(f"{USERS}/admin_a/role", json={"role": "viewer"}, headers=headers),
    ):
        rule = assert_error(answer, 422)["problems"][0]["rule"]
        assert "last active admin" in rule
    assert snapshot(site) == before

    # With a second admin, the first may step down; the new admin's grants are dropped.
    promoted = user_of(
        admin.put(f"{USERS}/manager_a/role", json={"role": "admin"}, headers=headers)
    )
    assert promoted["role"] == "admin" and promoted["facilities"] is None
    entry = entries_about(site, "manager_a")[-1]
    assert entry.before["role"] == "manager" and entry.before["facilities"] == ["ALPHA-PLANT"]
    assert entry.after["role"] == "admin" and entry.after["facilities"] == []
    demoted = admin.put(f"{USERS}/admin_a/role", json={"role": "viewer"}, headers=headers)
    assert user_of(demoted)["facilities"] == []  # a former admin sees nothing until granted
    assert_error(admin.get(USERS), 403)  # no longer an admin, from the next request on
    new_admin, new_csrf = site.client("manager_a")
    last = new_admin.post(f"{USERS}/manager_a/deactivate", headers={"X-CSRF-Token": new_csrf})
    assert "last active admin" in assert_error(last, 422)["problems"][0]["rule"]
    same = new_admin.put(
        f"{USERS}/admin_a/role", json={"role": "viewer"}, headers={"X-CSRF-Token": new_csrf}
    )
    assert assert_error(same, 422)["problems"][0]["rule"] == "admin_a has it already"
    unknown = new_admin.put(
        f"{USERS}/admin_a/role", json={"role": "owner"}, headers={"X-CSRF-Token": new_csrf}
    )
    assert_error(unknown, 422)


def test_grants_change_what_the_user_sees_from_its_next_request(site):
    viewer, _ = site.client("viewer_a")
    second = "/api/v1/facilities/ALPHA-SECOND"
    assert_error(viewer.get(second), 404)
    admin, csrf = site.client("admin_a")
    headers = {"X-CSRF-Token": csrf}
    grants = f"{USERS}/viewer_a/facilities"

    granted = user_of(admin.post(grants, json={"facility": "ALPHA-SECOND"}, headers=headers))
    assert granted["facilities"] == ["ALPHA-PLANT", "ALPHA-SECOND"]
    assert viewer.get(second).status_code == 200  # the same session, no new sign-in
    entry = entries_about(site, "viewer_a")[-1]
    assert entry.action == "grant" and entry.before["facilities"] == ["ALPHA-PLANT"]
    assert entry.after["facilities"] == ["ALPHA-PLANT", "ALPHA-SECOND"]

    before = snapshot(site)
    for body, rule in (
        ({"facility": "ALPHA-SECOND"}, "is granted already"),
        ({"facility": "BETA-PLANT"}, "no such facility in the organization"),
    ):
        problem = assert_error(admin.post(grants, json=body, headers=headers), 422)["problems"][0]
        assert problem["rule"] == rule
    to_admin = admin.post(
        f"{USERS}/admin_a/facilities", json={"facility": "ALPHA-PLANT"}, headers=headers
    )
    assert (
        assert_error(to_admin, 422)["problems"][0]["rule"] == "an admin sees every facility already"
    )
    assert snapshot(site) == before

    revoked = user_of(admin.delete(f"{grants}/ALPHA-SECOND", headers=headers))
    assert revoked["facilities"] == ["ALPHA-PLANT"]
    assert_error(viewer.get(second), 404)
    assert entries_about(site, "viewer_a")[-1].action == "revoke"
    not_granted = admin.delete(f"{grants}/ALPHA-SECOND", headers=headers)
    assert assert_error(not_granted, 422)["problems"][0]["rule"] == "is not granted to the user"


# --- who may manage whom -----------------------------------------------------------------------

CHANGES = [
    ("PUT", "/viewer_a/password", {"password": NEW_PASSWORD}),
    ("POST", "/viewer_a/deactivate", None),
    ("POST", "/viewer_a/activate", None),
    ("PUT", "/viewer_a/role", {"role": "manager"}),
    ("POST", "/viewer_a/facilities", {"facility": "ALPHA-SECOND"}),
    ("DELETE", "/viewer_a/facilities/ALPHA-PLANT", None),
]


def test_only_an_admin_of_the_same_organization_with_the_csrf_token_manages_users(site):
    admin_b, csrf_b = site.client("admin_b")
    manager, csrf_m = site.client("manager_a")
    admin, _ = site.client("admin_a")
    read_token = site.bearer("alpha-read")
    before = snapshot(site)
    for method, path, body in CHANGES:
        url = USERS + path
        # Another organization's admin is told the user does not exist.
        answer = admin_b.request(method, url, json=body, headers={"X-CSRF-Token": csrf_b})
        assert assert_error(answer, 404)["message"] == "没有该用户"
        answer = manager.request(method, url, json=body, headers={"X-CSRF-Token": csrf_m})
        assert_error(answer, 403)
        assert_error(admin.request(method, url, json=body), 403)  # no CSRF token
        assert_error(read_token.request(method, url, json=body), 403)
    assert snapshot(site) == before
    assert signs_in(site, "viewer_a", PASSWORD)


# --- the audit log, filtered and paged in the database -----------------------------------------


def test_audit_log_rules_and_paging_in_the_database(site):
    marker = "probe-entry"
    with session_scope(site.engine) as session:
        for entity, after in (
            ("facility", {"organization": ALPHA}),  # admins of Alpha only
            ("facility", {"organization": BETA}),
            ("app_user", {"organization_id": site.ids["organization_id"]}),  # Alpha's
            ("app_user", {"organization_id": site.ids["organization_id"] + 1000}),
            ("factor_set", {"rows": 3}),  # everyone who reads the log
            ("meter", {"unit": "kWh"}),  # an entity the web never shows
            ("inventory", {"total": 1}),  # the key is no inventory of Alpha's
        ):
            audit.record(
                session,
                actor=marker,
                action="probe",
                entity=entity,
                entity_key="999999",
                after=after,
            )

    def shown(user: str) -> list[tuple[str, dict]]:
        client, _ = site.client(user)
        items = client.get("/api/v1/audit", params={"limit": 1000}).json()["items"]
        return [(e["entity"], e["after"]) for e in items if e["actor"] == marker]

    alpha = {"organization_id": site.ids["organization_id"]}
    assert shown("admin_a") == [
        ("factor_set", {"rows": 3}),
        ("app_user", alpha),
        ("facility", {"organization": ALPHA}),
    ]
    assert shown("auditor_a") == [("factor_set", {"rows": 3}), ("app_user", alpha)]

    # Pages are slices of one order, newest first, with the total of all pages.
    client, _ = site.client("admin_a")
    whole = client.get("/api/v1/audit", params={"limit": 1000}).json()
    first = client.get("/api/v1/audit", params={"limit": 3}).json()
    second = client.get("/api/v1/audit", params={"limit": 3, "offset": 3}).json()
    assert first["total"] == second["total"] == whole["total"] == len(whole["items"])
    assert [e["id"] for e in first["items"] + second["items"]] == [
        e["id"] for e in whole["items"][:6]
    ]
    users = client.get("/api/v1/audit", params={"entity": "app_user", "limit": 1000}).json()
    assert users["total"] == sum(e["entity"] == "app_user" for e in whole["items"])
    assert {e["entity"] for e in users["items"]} == {"app_user"}


# --- the same on the command line ------------------------------------------------------------


def run(site, *args, stdin=None):
    return CliRunner().invoke(main, ["--db", site.url, *args], input=stdin)


def test_users_commands_manage_users_and_keep_the_last_admin(site):
    viewer, _ = site.client("viewer_a")
    result = run(site, "users", "passwd", "viewer_a", "--password-stdin", stdin=NEW_PASSWORD)
    assert result.exit_code == 0, result.output
    assert result.output == "password of viewer_a changed; 1 session(s) ended\n"
    assert_error(viewer.get("/api/v1/session"), 401)
    assert signs_in(site, "viewer_a", NEW_PASSWORD)

    steps = [
        (("deactivate", "viewer_a"), "user viewer_a deactivated; 1 session(s) ended\n"),
        (("activate", "viewer_a"), "user viewer_a activated\n"),
        (
            ("grant", "viewer_a", "--facility", "ALPHA-SECOND"),
            "user viewer_a sees ALPHA-PLANT, ALPHA-SECOND\n",
        ),
        (("revoke", "viewer_a", "--facility", "ALPHA-PLANT"), "user viewer_a sees ALPHA-SECOND\n"),
        (("role", "viewer_a", "manager"), "user viewer_a is now manager (ALPHA-SECOND)\n"),
    ]
    for args, said in steps:
        result = run(site, "users", *args)
        assert result.exit_code == 0, result.output
        assert result.output == said
    actions = [e.action for e in entries_about(site, "viewer_a")]
    assert actions == ["create", "passwd", "deactivate", "activate", "grant", "revoke", "role"]

    before = snapshot(site)
    for args, words in (
        (("deactivate", "admin_b"), "last active admin"),
        (("role", "admin_b", "viewer"), "last active admin"),
        (("activate", "nobody"), "no such user"),
        (("grant", "viewer_a", "--facility", "BETA-PLANT"), "no such facility"),
    ):
        result = run(site, "users", *args)
        assert result.exit_code != 0 and words in result.output, result.output
    short = run(site, "users", "passwd", "viewer_a", "--password-stdin", stdin="short")
    assert short.exit_code != 0 and "at least 10 characters" in short.output
    assert snapshot(site) == before


# --- password policy -------------------------------------------------------------------------

WEAK = [
    ("1234567890", "这是常见密码"),  # ten characters, a top-100 password
    ("password123", "这是常见密码"),
    ("qwertyuiop", "这是常见密码"),
    ("Password123!", "zxcvbn 强度评分为 1"),
    ("aaaaaaaaaaaa", "zxcvbn 强度评分为 0"),
]


@pytest.mark.parametrize(("weak", "rule"), WEAK)
def test_weak_passwords_are_refused_everywhere_with_the_rule_in_chinese(site, weak, rule):
    before = snapshot(site)
    admin, csrf = site.client("admin_a")
    headers = {"X-CSRF-Token": csrf}
    set_by_admin = admin.put(f"{USERS}/viewer_a/password", json={"password": weak}, headers=headers)
    problem = assert_error(set_by_admin, 422)["problems"][0]
    assert problem["field"] == "password" and problem["value"] is None
    assert rule in problem["rule"] and "zxcvbn" in problem["rule"]
    viewer, viewer_csrf = site.client("viewer_a")
    own = viewer.put(
        "/api/v1/session/password",
        json={"current_password": PASSWORD, "new_password": weak},
        headers={"X-CSRF-Token": viewer_csrf},
    )
    assert rule in assert_error(own, 422)["problems"][0]["rule"]
    created = run(
        site, "users", "create", "carla", "--role", "viewer", "--organization", ALPHA,
        "--password-stdin", stdin=weak + "\n",
    )  # fmt: skip
    assert created.exit_code != 0 and rule in created.output, created.output
    changed = run(site, "users", "passwd", "viewer_a", "--password-stdin", stdin=weak)
    assert changed.exit_code != 0 and rule in changed.output, changed.output
    assert weak not in created.output + changed.output + set_by_admin.text + own.text
    assert snapshot(site) == before
    assert signs_in(site, "viewer_a", PASSWORD)


def test_every_advice_of_zxcvbn_has_chinese_and_the_chinese_half_holds_no_english():
    """zxcvbn's advice is English only (its feedback.py): each text it can give is in the
    catalogue (context ``zxcvbn``), and a refusal's Chinese half shows it in Chinese."""
    import zxcvbn.feedback
    from babel.messages.extract import extract

    from lingtan.i18n.catalog import _zh_catalogue

    with open(zxcvbn.feedback.__file__, "rb") as source:
        advice = {found[1] for found in extract("python", source, keywords={"_": None})}
    assert len(advice) > 20
    assert not {text for text in advice if ("zxcvbn", text) not in _zh_catalogue()}
    refused = password_problem("aaaaaaaaaaaa", ())
    chinese, english = refused.rule.split(" / ")
    assert "（zxcvbn：“aaa”这样的重复容易被猜中。再加一两个词，不常见的词更好。" in chinese
    assert not re.search(r"[A-Za-z]{4,}", chinese.replace("zxcvbn", ""))
    assert 'Repeats like "aaa" are easy to guess.' in english


def test_the_users_own_name_makes_a_password_easy_to_guess():
    assert password_problem("viewer_a2026", ("carla",)) is None
    refused = password_problem("viewer_a2026", ("viewer_a",))
    assert refused is not None and "zxcvbn 强度评分为 1" in refused.rule
    long_enough = password_problem("x" * 72 + "Qz9!", ())  # zxcvbn reads 72 characters
    assert long_enough is not None and "zxcvbn 强度评分为 0" in long_enough.rule
