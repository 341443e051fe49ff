"""Signing in and out: the login page and form, logout, and the JSON session endpoints.

The login form is protected against cross-site posts by a double-submit token: ``GET /login``
sets a random cookie and puts the same value in the form, and ``POST /login`` requires both to
agree. After sign-in, every unsafe request made with the session cookie must carry the
session's own CSRF token (form field ``csrf_token`` or header ``X-CSRF-Token``).
"""

from __future__ import annotations

import hmac
import secrets
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from lingtan.i18n import N_, Message
from lingtan.i18n.catalog import install
from lingtan.metering.intervals import metered_note
from lingtan.web import accounts, i18n
from lingtan.web.deps import (
    SESSION_COOKIE,
    ApiError,
    Db,
    User,
    error_body,
    is_secure,
    message_text,
)

__all__ = ["router", "templates"]

LOGIN_CSRF_COOKIE = "lingtan_login_csrf"
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
install(templates.env)  # _(), pgettext, ngettext in the page's language (lingtan.i18n)
templates.env.filters["quality_note"] = metered_note  # a metered record's note, translated
router = APIRouter()


def _throttled(error: accounts.ThrottledError) -> ApiError:
    """The 429 of too many failed sign-ins, with the seconds to wait."""
    return ApiError(
        429,
        Message(
            "too many failed sign-ins; try again in %(seconds)s s", seconds=error.retry_after_s
        ),
        {"Retry-After": str(error.retry_after_s)},
    )


def _sign_in(
    request: Request, session: Session, username: str, password: str
) -> tuple[str, accounts.AppUser] | None:
    """Check the password (throttled) and open a session: (session id, user), or None."""
    client = request.client.host if request.client else "unknown"
    try:
        user = accounts.authenticate(session, username, password, client=client)
    except accounts.ThrottledError as error:
        raise _throttled(error) from None
    if user is None:
        return None
    secret, _ = accounts.start_session(session, user, lifetime=request.app.state.session_lifetime)
    return secret, user


def _with_session_cookie(request: Request, response: Response, secret: str) -> Response:
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        max_age=int(request.app.state.session_lifetime.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=is_secure(request),
        path="/",
    )
    return response


def _login_page(request: Request, status: int = 200, message: str = "", **values) -> Response:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    response = templates.TemplateResponse(
        request,
        "login.html",
        {
            "csrf_token": token,
            "message": message,
            "lang": i18n.language(request),
            "languages": i18n.LANGUAGES,
            "here": str(request.url.path) + (f"?{request.url.query}" if request.url.query else ""),
            "next": values.get("next", "/"),
            "username": values.get("username", ""),
        },
        status_code=status,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=is_secure(request)
    )
    return response


def _local(path: str) -> str:
    """Only redirect within the site (an open redirect would help phishing)."""
    return path if path.startswith("/") and not path.startswith(("//", "/\\")) else "/"


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
def login_page(request: Request, next: str = "/") -> Response:
    return _login_page(request, next=_local(next))


@router.post("/login", include_in_schema=False)
def login(
    request: Request,
    session: Db,
    username: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=1000)],
    csrf_token: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=1000)] = "/",
) -> Response:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(expected.encode(), csrf_token.encode()):
        return _login_page(request, 403, N_("The form expired: try again"))
    signed = _sign_in(request, session, username, password)
    if signed is None:
        message = N_("Wrong user name or password")
        return _login_page(request, 401, message, username=username, next=_local(next))
    response = RedirectResponse(_local(next), status_code=303)
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return _with_session_cookie(request, response, signed[0])


@router.post("/logout", include_in_schema=False)
def logout(request: Request, session: Db, _who: User) -> Response:
    accounts.end_session(session, request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# --- the same for scripts and single-page screens, in JSON ----------------------------------


class Credentials(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=1000)


class SessionInfo(BaseModel):
    username: str
    role: str
    organization_id: int
    csrf_token: str | None = Field(description="Send it as X-CSRF-Token with every change.")


@router.post("/api/v1/session", response_model=SessionInfo, tags=["session"])
def open_session(request: Request, session: Db, credentials: Credentials) -> Response:
    """Sign in: sets the session cookie and returns the CSRF token to send with changes."""
    signed = _sign_in(request, session, credentials.username, credentials.password)
    if signed is None:
        # Answered, not raised: the failed attempt must be committed for the throttle.
        wrong = message_text(Message("wrong user name or password"), i18n.language(request))
        return JSONResponse(error_body(401, wrong), status_code=401)
    secret, user = signed
    row = accounts.session_user(session, secret)
    assert row is not None
    info = SessionInfo(
        username=user.username,
        role=user.role,
        organization_id=user.organization_id,
        csrf_token=row[0].csrf_secret,
    )
    return _with_session_cookie(request, JSONResponse(info.model_dump()), secret)


@router.get("/api/v1/session", response_model=SessionInfo, tags=["session"])
def current_session(who: User) -> SessionInfo:
    """Who is signed in (or which token is used), and the CSRF token of the session."""
    return SessionInfo(
        username=who.name,
        role=who.role,
        organization_id=who.organization_id,
        csrf_token=who.csrf_secret,
    )


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    current_password: str = Field(min_length=1, max_length=1000)
    new_password: str = Field(min_length=1, max_length=1000)


@router.put("/api/v1/session/password", status_code=204, tags=["session"])
def change_password(request: Request, session: Db, who: User, body: PasswordChange) -> Response:
    """Change your own password (needs the current one and the CSRF token). Your other
    sessions end; this one stays signed in. Wrong current passwords count as failed sign-ins."""
    user = session.get(accounts.AppUser, who.user_id) if who.user_id is not None else None
    if user is None:
        raise ApiError(403, Message("only a signed-in user has a password to change"))
    client = request.client.host if request.client else "unknown"
    try:
        changed = accounts.change_own_password(
            session,
            user,
            body.current_password,
            body.new_password,
            client=client,
            keep_session=request.cookies.get(SESSION_COOKIE, ""),
        )
    except accounts.ThrottledError as error:
        raise _throttled(error) from None
    if not changed:
        # Answered, not raised: the failed attempt must be committed for the throttle.
        wrong = message_text(Message("the current password is wrong"), i18n.language(request))
        return JSONResponse(error_body(403, wrong), status_code=403)
    return Response(status_code=204)


@router.delete("/api/v1/session", status_code=204, tags=["session"])
def close_session(request: Request, session: Db, _who: User) -> Response:
    """Sign out (needs the CSRF token)."""
    accounts.end_session(session, request.cookies.get(SESSION_COOKIE, ""))
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
