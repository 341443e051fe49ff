"""``lingtan users`` and ``lingtan serve`` on a real database."""

import re

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from lingtan.cli.main import main
from lingtan.store.models import ApiToken, AppUser, AuditEntry
from web_support import ALPHA, PASSWORD, build_site


@pytest.fixture
def site(database_url, tmp_path):
    built = build_site(database_url, tmp_path)
    yield built
    built.close()


def run(site, *args, stdin=None):
    return CliRunner().invoke(main, ["--db", site.url, *args], input=stdin)


def test_users_create_asks_twice_and_stores_only_an_argon2_hash(site):
    typed = "another good secret"
    result = run(
        site,
        "users",
        "create",
        "carla",
        "--role",
        "manager",
        "--organization",
        ALPHA,
        "--facility",
        "ALPHA-PLANT",
        stdin=f"{typed}\n{typed}\n",
    )
    assert result.exit_code == 0, result.output
    assert "user carla created: manager of Alpha Secret Co (ALPHA-PLANT)" in result.output
    with site.engine.connect() as connection:
        stored = connection.execute(
            sa.select(AppUser.password_hash).where(AppUser.username == "carla")
        ).scalar_one()
    assert stored.startswith("$argon2id$") and typed not in stored
    client, _ = site.client()
    answer = client.post("/api/v1/session", json={"username": "carla", "password": typed})
    assert answer.status_code == 200 and answer.json()["role"] == "manager"


def test_users_create_refuses_bad_input_and_writes_nothing(site):
    before = site.count(AppUser), site.count(AuditEntry)
    cases = [
        (
            [
                "users",
                "create",
                "dora",
                "--role",
                "admin",
                "--organization",
                ALPHA,
                "--password-stdin",
            ],
            "short\n",
            "at least 10 characters",
        ),
        (
            [
                "users",
                "create",
                "admin_a",
                "--role",
                "viewer",
                "--organization",
                ALPHA,
                "--password-stdin",
            ],
            PASSWORD + "\n",
            "is taken",
        ),
        (
            [
                "users",
                "create",
                "dora",
                "--role",
                "viewer",
                "--organization",
                "Nope Ltd",
                "--password-stdin",
            ],
            PASSWORD + "\n",
            "no such organization",
        ),
        (
            [
                "users",
                "create",
                "dora",
                "--role",
                "viewer",
                "--organization",
                ALPHA,
                "--facility",
                "BETA-PLANT",
                "--password-stdin",
            ],
            PASSWORD + "\n",
            "no such facility in the organization",
        ),
        (
            [
                "users",
                "create",
                "dora",
                "--role",
                "admin",
                "--organization",
                ALPHA,
                "--facility",
                "ALPHA-PLANT",
                "--password-stdin",
            ],
            PASSWORD + "\n",
            "an admin sees every facility",
        ),
        (
            ["users", "create", "dora", "--role", "viewer", "--password-stdin"],
            PASSWORD + "\n",
            "name the organization",
        ),
    ]
    for args, stdin, rule in cases:
        result = run(site, *args, stdin=stdin)
        assert result.exit_code == 2, (args, result.output)
        assert rule in result.output, (args, result.output)
    assert (site.count(AppUser), site.count(AuditEntry)) == before


def test_users_list_shows_roles_and_facilities(site):
    result = run(site, "users", "list")
    assert result.exit_code == 0, result.output
    lines = {
        line.split("│")[1].strip(): line
        for line in result.output.splitlines()
        if line.count("│") > 3
    }
    assert "(all)" in lines["admin_a"] and "ALPHA-PLANT" in lines["viewer_a"]
    assert "Beta Co" in lines["manager_b"] and "BETA-PLANT" in lines["manager_b"]


def test_tokens_create_prints_once_list_and_revoke(site):
    result = run(
        site,
        "users",
        "tokens",
        "create",
        "meter-gw",
        "--facility",
        "ALPHA-PLANT",
        "--organization",
        ALPHA,
        "--scope",
        "ingest",
        "--expires-days",
        "30",
    )
    assert result.exit_code == 0, result.output
    secret = re.search(r"^(lt_\S+)$", result.output, re.M).group(1)
    token_id = int(re.search(r"token (\d+) \(ingest", result.output).group(1))
    with site.engine.connect() as connection:
        row = connection.execute(sa.select(ApiToken).where(ApiToken.id == token_id)).one()
    assert row.token_sha256 != secret and row.prefix == secret[:10]
    listed = run(site, "users", "tokens", "list")
    assert (
        "meter-gw" in listed.output and secret[:10] in listed.output and secret not in listed.output
    )
    site.tokens["new"] = secret
    batch = {"readings": [{"meter": "E-MAIN", "ts": "2025-03-01T08:00:00+08:00", "value": 5.0}]}
    assert (
        site.bearer("new").post("/api/v1/facilities/ALPHA-PLANT/readings", json=batch).status_code
        == 200
    )
    assert run(site, "users", "tokens", "revoke", str(token_id)).exit_code == 0
    assert (
        site.bearer("new").post("/api/v1/facilities/ALPHA-PLANT/readings", json=batch).status_code
        == 401
    )
    again = run(site, "users", "tokens", "revoke", str(token_id))
    assert again.exit_code == 2 and "is already revoked" in again.output
    assert "revoked" in run(site, "users", "tokens", "list").output


def test_serve_refuses_a_database_that_was_never_initialised(tmp_path):
    result = CliRunner().invoke(main, ["--db", f"sqlite:///{tmp_path / 'empty.db'}", "serve"])
    assert result.exit_code == 1
    assert "run `lingtan init` first" in result.output
    assert not (tmp_path / "empty.db").exists()  # not created as a side effect
