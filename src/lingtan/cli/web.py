"""Commands of the web application: ``lingtan serve`` and ``lingtan users``.

Added to the ``lingtan`` group by :mod:`lingtan.cli.main`; the database comes from ``--db`` on the
group or ``LINGTAN_DATABASE_URL``, as for every command.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Callable
from datetime import timedelta

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from lingtan.cli.common import Column, actor, emit, format_option, open_store, refusing_bad_input
from lingtan.store.db import database_url
from lingtan.store.models import (
    ROLES,
    TOKEN_SCOPES,
    ApiToken,
    AppUser,
    Facility,
    Organization,
    UserFacility,
    utc_now,
)
from lingtan.web import accounts

__all__ = ["serve", "users", "worker_app", "worker_healthcheck_s"]


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--secure-cookies/--no-secure-cookies",
    default=None,
    help="Mark the session cookie Secure (default: when the request came over HTTPS).",
)
@click.option(
    "--proxy-headers",
    is_flag=True,
    help="Trust X-Forwarded-For/-Proto from a reverse proxy on this machine.",
)
@click.option(
    "--workers",
    default=2,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Server processes (each with its own connections and kept overviews); two keep the "
    "overview under 100 ms at 50 clients on two cores.",
)
@click.pass_context
def serve(
    ctx: click.Context,
    host: str,
    port: int,
    secure_cookies: bool | None,
    proxy_headers: bool,
    workers: int,
) -> None:
    """Run the web application (API under /api/v1, schema at /api/v1/openapi.json)."""
    began_cpu_s = time.process_time()
    import uvicorn

    from lingtan.web.app import create_app

    url = database_url(ctx.obj.get("db"))
    try:
        app = create_app(url, secure_cookies=secure_cookies)  # checks the database once
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    # What a worker process does before it serves, in CPU seconds: the imports of uvicorn
    # and the application and building it (less where a command before imported them).
    start_cpu_s = time.process_time() - began_cpu_s
    if workers > 1:  # each process builds its own application: uvicorn imports the factory
        app.state.engine.dispose()
        os.environ["LINGTAN_DATABASE_URL"] = url
        if secure_cookies is not None:
            os.environ[SECURE_COOKIES] = str(int(secure_cookies))
    uvicorn.run(
        "lingtan.cli.web:worker_app" if workers > 1 else app,
        factory=workers > 1,
        workers=workers,
        host=host,
        port=port,
        proxy_headers=proxy_headers,
        forwarded_allow_ips="127.0.0.1" if proxy_headers else "",
        server_header=False,
        timeout_worker_healthcheck=worker_healthcheck_s(start_cpu_s, workers, os.cpu_count()),
    )


#: How many times the start of this process a worker may take to answer uvicorn's health
#: check: the workers start together, on a machine that other programs may keep busy.
HEALTHCHECK_MARGIN = 4

#: uvicorn's own health-check timeout [s], the least lingtan gives.
HEALTHCHECK_MIN_S = 5


def worker_healthcheck_s(start_cpu_s: float, workers: int, cpus: int | None) -> int:
    """How long uvicorn waits for a worker's answer to its health check before it takes the
    worker for hung, kills it and starts another [s].

    A new worker answers once it has imported uvicorn and lingtan's command line (it then
    imports the application while it answers); on a loaded machine, a few seconds of start-up
    may exceed uvicorn's 5 s, which then kills workers that were only starting ("Child process
    died"). So the timeout is :data:`HEALTHCHECK_MARGIN` times the CPU time the parent took
    to import and build the application (``start_cpu_s``), times the workers per core, and
    never less than uvicorn's.
    """
    per_core = max(1.0, workers / (cpus or 1))
    return max(HEALTHCHECK_MIN_S, math.ceil(HEALTHCHECK_MARGIN * start_cpu_s * per_core))


#: ``1`` or ``0``: the session cookie's ``Secure`` flag, as ``--secure-cookies`` sets it.
SECURE_COOKIES = "LINGTAN_SECURE_COOKIES"


def worker_app():
    """The application of one ``lingtan serve --workers`` process: the database of
    ``LINGTAN_DATABASE_URL`` and the cookie flag of ``LINGTAN_SECURE_COOKIES``, as the parent
    process set them."""
    from lingtan.web.app import create_app

    secure = os.environ.get(SECURE_COOKIES, "")
    return create_app(None, secure_cookies=secure == "1" if secure in ("0", "1") else None)


@click.group("users")
def users() -> None:
    """People who sign in to the web application, and API tokens for gateways and scripts."""


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@users.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--organization", help="Organization name (default: the only one).")
@click.option(
    "--facility",
    "facilities",
    multiple=True,
    help="Facility code the user may see (repeat); not for admins, who see all.",
)
@click.option("--display-name", default="", help="Name shown on screens.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.pass_context
@refusing_bad_input
def users_create(
    ctx: click.Context,
    username: str,
    role: str,
    organization: str | None,
    facilities: tuple[str, ...],
    display_name: str,
    password_stdin: bool,
) -> None:
    """Create a user (the first admin, or anyone later); asks for the password twice."""
    password = _password(password_stdin)
    with open_store(ctx) as (session, _):
        user = accounts.create_user(
            session,
            username,
            password,
            role=role,
            organization=organization,
            facilities=facilities,
            display_name=display_name,
            actor=actor(),
        )
        org = session.get(Organization, user.organization_id)
        assert org is not None
        where = "all facilities" if role == "admin" else ", ".join(facilities) or "no facility yet"
        click.echo(f"user {user.username} created: {role} of {org.name} ({where})")


@users.command("list")
@format_option
@click.pass_context
@refusing_bad_input
def users_list(ctx: click.Context, output: str) -> None:
    """Every user, with role, organization and facilities."""
    with open_store(ctx, read_only=True) as (session, _):
        rows = session.execute(
            select(AppUser, Organization.name)
            .join(Organization, Organization.id == AppUser.organization_id)
            .order_by(Organization.name, AppUser.username)
        ).all()
        granted: dict[int, list[str]] = {}
        for user_id, code in session.execute(
            select(UserFacility.user_id, Facility.code)
            .join(Facility, Facility.id == UserFacility.facility_id)
            .order_by(Facility.code)
        ):
            granted.setdefault(user_id, []).append(code)
    shown = [
        {
            "user": user.username,
            "role": user.role,
            "organization": org,
            "facilities": "(all)" if user.role == "admin" else ", ".join(granted.get(user.id, [])),
            "active": user.active,
            "last_sign_in": user.last_login.isoformat(timespec="seconds")
            if user.last_login
            else None,
        }
        for user, org in rows
    ]
    emit(shown, _USER_COLUMNS, output)


_USER_COLUMNS = (
    Column("user"),
    Column("role", names="role"),
    Column("organization"),
    Column("facilities"),
    Column("active"),
    Column("last_sign_in", "last sign-in"),
)


@users.command("passwd")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.pass_context
@refusing_bad_input
def users_passwd(ctx: click.Context, username: str, password_stdin: bool) -> None:
    """Set a user's password (asks twice) and end its sessions."""
    password = _password(password_stdin)
    with open_store(ctx) as (session, _):
        user = accounts.user_named(session, username)
        ended = accounts.set_password(session, user, password, actor=actor())
    click.echo(f"password of {username} changed; {ended} session(s) ended")


@users.command("deactivate")
@click.argument("username")
@click.pass_context
@refusing_bad_input
def users_deactivate(ctx: click.Context, username: str) -> None:
    """Stop a user signing in and end its sessions (never the last active admin)."""
    with open_store(ctx) as (session, _):
        ended = accounts.set_active(
            session, accounts.user_named(session, username), False, actor=actor()
        )
    click.echo(f"user {username} deactivated; {ended} session(s) ended")


@users.command("activate")
@click.argument("username")
@click.pass_context
@refusing_bad_input
def users_activate(ctx: click.Context, username: str) -> None:
    """Let a deactivated user sign in again."""
    with open_store(ctx) as (session, _):
        accounts.set_active(session, accounts.user_named(session, username), True, actor=actor())
    click.echo(f"user {username} activated")


def _change_access(
    ctx: click.Context, username: str, change: Callable[[Session, AppUser, str], object]
) -> list[str]:
    """Apply *change* (session, user, actor) to the user *username* and return the codes of
    the facilities it sees afterwards."""
    with open_store(ctx) as (session, _):
        user = accounts.user_named(session, username)
        change(session, user, actor())
        return accounts.granted_codes(session, user)


@users.command("role")
@click.argument("username")
@click.argument("role", type=click.Choice(ROLES))
@click.pass_context
@refusing_bad_input
def users_role(ctx: click.Context, username: str, role: str) -> None:
    """Change a user's role (never demoting the last active admin of its organization)."""
    codes = _change_access(ctx, username, lambda s, u, a: accounts.set_role(s, u, role, actor=a))
    where = "all facilities" if role == "admin" else ", ".join(codes) or "no facility yet"
    click.echo(f"user {username} is now {role} ({where})")


@users.command("grant")
@click.argument("username")
@click.option("--facility", required=True, help="Facility code of the user's organization.")
@click.pass_context
@refusing_bad_input
def users_grant(ctx: click.Context, username: str, facility: str) -> None:
    """Let a manager, viewer or auditor see one more facility."""
    codes = _change_access(
        ctx, username, lambda s, u, a: accounts.grant_facility(s, u, facility, actor=a)
    )
    click.echo(f"user {username} sees {', '.join(codes)}")


@users.command("revoke")
@click.argument("username")
@click.option("--facility", required=True, help="Facility code of the user's organization.")
@click.pass_context
@refusing_bad_input
def users_revoke(ctx: click.Context, username: str, facility: str) -> None:
    """Stop a user seeing a facility (from its next request on)."""
    codes = _change_access(
        ctx, username, lambda s, u, a: accounts.revoke_facility(s, u, facility, actor=a)
    )
    click.echo(f"user {username} sees {', '.join(codes) or 'no facility'}")


@users.group("tokens")
def tokens() -> None:
    """API tokens: one facility each, scope read or ingest, stored hashed."""


@tokens.command("create")
@click.argument("name")
@click.option("--facility", required=True, help="Facility code.")
@click.option("--organization", help="Organization name (default: the only one).")
@click.option("--scope", type=click.Choice(TOKEN_SCOPES), required=True)
@click.option("--expires-days", type=click.IntRange(1, 3650), help="Valid for this many days.")
@click.pass_context
@refusing_bad_input
def tokens_create(
    ctx: click.Context,
    name: str,
    facility: str,
    organization: str | None,
    scope: str,
    expires_days: int | None,
) -> None:
    """Create a token and print it once (only its hash is kept)."""
    expires = utc_now() + timedelta(days=expires_days) if expires_days else None
    with open_store(ctx) as (session, _):
        secret, token = accounts.create_token(
            session,
            name=name,
            organization=organization,
            facility=facility,
            scope=scope,
            actor=actor(),
            expires_at=expires,
        )
        click.echo(f"token {token.id} ({scope} for facility {facility}):")
        click.echo(secret)
    click.echo("Store it now: it is not shown again.", err=True)


@tokens.command("list")
@format_option
@click.pass_context
@refusing_bad_input
def tokens_list(ctx: click.Context, output: str) -> None:
    """Every token: prefix, facility, scope, state and last use."""
    with open_store(ctx, read_only=True) as (session, _):
        rows = session.execute(
            select(ApiToken, Facility.code, Organization.name)
            .join(Facility, Facility.id == ApiToken.facility_id)
            .join(Organization, Organization.id == Facility.organization_id)
            .order_by(ApiToken.id)
        ).all()
    now = utc_now()
    shown = []
    for token, code, org in rows:
        if token.revoked_at is not None:
            state = f"revoked {token.revoked_at:%Y-%m-%d}"
        elif token.expires_at is not None and token.expires_at <= now:
            state = f"expired {token.expires_at:%Y-%m-%d}"
        else:
            state = "active"
        used = token.last_used_at.isoformat(timespec="seconds") if token.last_used_at else None
        shown.append({"id": token.id, "name": token.name, "prefix": token.prefix,
                      "organization": org, "facility": code, "scope": token.scope,
                      "state": state, "last_used": used})  # fmt: skip
    emit(shown, _TOKEN_COLUMNS, output)


_TOKEN_COLUMNS = (
    *(Column(key) for key in ("id", "name", "prefix", "organization", "facility")),
    Column("scope", names="token.scope"),
    Column("state"),
    Column("last_used", "last used"),
)


@tokens.command("revoke")
@click.argument("token_id", type=int)
@click.pass_context
@refusing_bad_input
def tokens_revoke(ctx: click.Context, token_id: int) -> None:
    """Revoke a token at once: it is refused from the next request on."""
    with open_store(ctx) as (session, _):
        accounts.revoke_token(session, token_id, actor=actor())
    click.echo(f"token {token_id} revoked")
