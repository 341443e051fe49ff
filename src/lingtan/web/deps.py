"""What every route depends on: a database session, who is asking, and scoped look-ups.

Who is asking (:func:`authenticate`) is resolved from the session cookie or bearer token once
and then kept in the process (:func:`known_principals`, by the SHA-256 of the secret): what the
user may see (role, organization, facilities) costs two ORM queries to resolve, and a request
needs one small query to know that the kept answer still holds. That query reads, by the
secret's hash, the row of the session (its expiry, its user's role and whether the user is
active) or of the token (expiry, revocation, last use), and the newest audit entry: a session
signed out or ended (password changed, user deactivated) has no row, an expiry or a revocation
is checked against the clock on every request, and every change of a role or of facility
access writes an audit entry (users, grants, new facilities), after which the kept principal is
resolved afresh. Audit writers are serialised (:mod:`lingtan.store.audit`), so a newest entry
seen means every earlier one is committed; the check is in the database, so a change made by
another worker process or the command line takes effect on the next request of every worker.

Routes never fetch a facility's data by a raw id: they go through :func:`facility` (by code)
or :func:`scoped` (an object joined to its facility), which answer 404 for anything outside
the principal's facilities, whether it exists in another organization or not at all, so a
response never tells one from the other.
"""

from __future__ import annotations

import hmac
import math
import unicodedata
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Annotated, Any, TypeVar
from urllib.parse import quote

from fastapi import BackgroundTasks, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy import Engine, Select, bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from lingtan.i18n import Message
from lingtan.store.db import session_scope
from lingtan.store.models import ApiToken, AppUser, AuditEntry, Facility, UserSession, utc_now
from lingtan.web import accounts
from lingtan.web.accounts import Principal
from lingtan.web.kept import Kept, kept

__all__ = [
    "CSRF_FIELD",
    "CSRF_HEADER",
    "SAFE_METHODS",
    "SESSION_COOKIE",
    "ApiError",
    "Db",
    "Ingester",
    "User",
    "attachment",
    "audit_head",
    "error_body",
    "facility",
    "is_secure",
    "known_principals",
    "message_text",
    "principal",
    "problem_text",
    "read_in_one_hop",
    "readable_facilities",
    "scoped",
]

SESSION_COOKIE = "lingtan_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# A token's last use is written at most this often (a read would otherwise write every time).
_LAST_USED_RESOLUTION = timedelta(minutes=5)
#: Principals kept per application and process (least recently used ones go first).
PRINCIPALS_KEPT = 1024

T = TypeVar("T")


class ApiError(Exception):
    """An answer other than success: HTTP status, message, and the headers to send.

    ``message`` is a :class:`~lingtan.i18n.Message` (English source text, Chinese in the
    catalogue): the answer's ``message`` is it in the request's language
    (:func:`message_text`); ``str(error)`` is the English text, for the log.
    ``tests/test_web_api.py`` fails on an ``ApiError`` whose text has no Chinese.
    """

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        self.status, self.message, self.headers = status, message, headers or {}
        super().__init__(message)


def message_text(message: str, lang: str) -> str:
    """``message`` (a :class:`~lingtan.i18n.Message`, or a text marked ``N_``) in ``lang``;
    English needs no catalogue. A text the catalogue cannot fill is shown as it is."""
    if lang == "en":
        return str(message)
    from lingtan.i18n.catalog import texts

    t = texts(lang)
    if isinstance(message, Message):
        return t.message(message)
    try:
        return t.gettext(message)
    except (KeyError, TypeError, ValueError):  # a "%" of an untranslated text
        return str(message)


class ProblemOut(BaseModel):
    where: str
    field: str
    value: Any = Field(description="The value refused, as text where JSON has no form for it.")
    rule: str = Field(description="The rule broken, in English (the same in every language).")
    message: str | None = Field(
        default=None,
        description="The whole problem for people, in the request's language "
        "(where, field, value and rule).",
    )


class ErrorDetail(BaseModel):
    status: int
    message: str
    problems: list[ProblemOut]


class ErrorOut(BaseModel):
    """The body of every answer that is not a success."""

    error: ErrorDetail


#: The answers other than success any route may give, as documented in the schema.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut, "description": description}
    for status, description in (
        (400, "Bad request"),
        (401, "Not signed in"),
        (403, "Not allowed"),
        (404, "No such object"),
        (405, "Method not allowed"),
        (409, "Conflicts with the stored data"),
        (413, "Too large"),
        (422, "Refused input: every problem named"),
        (429, "Too many requests"),
        (503, "Busy: try again after Retry-After"),
    )
}


def plain(value: Any) -> Any:
    """A rejected value as an error body can hold it: a number JSON has no form for (NaN,
    ±Infinity, what ``1e400`` parses to) as its JavaScript text, anything but JSON's scalars
    as its short ``repr``."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if value is None or isinstance(value, bool | int | float):
        return value
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 200 else text[:200] + "…"


def problem_text(problem: Any, lang: str) -> str:
    """An :class:`~lingtan.errors.InputProblem` for people in ``lang``: where, field, value and
    rule, as the command line shows it (the value's text cut at 200 characters, as in
    :func:`plain`)."""
    value = None if problem.value is None else repr(problem.value)
    if value is not None and len(value) > 200:
        value = value[:200] + "…"
    if lang == "en":
        shown = "(missing)" if value is None else value
        return f"{problem.where}: field {problem.field!r} = {shown}: {problem.rule}"
    from lingtan.i18n.catalog import texts

    t = texts(lang)
    return t.gettext(
        "%(where)s: field %(field)s = %(value)s: %(rule)s",
        where=t.message(problem.where),
        field=t.message(problem.field),
        value=t.gettext("(missing)") if value is None else value,
        rule=t.message(problem.rule),
    )


def error_body(status: int, message: str, problems: list[dict[str, Any]] | None = None) -> dict:
    """The body of every answer that is not a success (every rejected value :func:`plain`)."""
    shown = [{**problem, "value": plain(problem.get("value"))} for problem in problems or ()]
    return {"error": {"status": status, "message": message, "problems": shown}}


def is_secure(request: Request) -> bool:
    """Whether ``request`` came over HTTPS: as configured (``create_app(secure_cookies=)``),
    else by its scheme, which ``lingtan serve --proxy-headers`` takes from the trusted proxy's
    ``X-Forwarded-Proto``."""
    configured = request.app.state.secure_cookies
    return request.url.scheme == "https" if configured is None else configured


def attachment(filename: str) -> str:
    """A ``Content-Disposition`` value that downloads ``filename`` (RFC 6266): an ASCII
    ``filename=`` for old clients (accents dropped, other characters as ``_``, no quote or
    backslash) and the exact name as ``filename*=UTF-8''…`` (RFC 5987). Control characters
    never reach the header."""
    name = "".join(c for c in filename if unicodedata.category(c) not in ("Cc", "Cf"))
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    ascii_name = "".join(c if c.isprintable() and c not in '"\\' else "_" for c in folded)
    ascii_name = ascii_name.strip() or "download"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def not_found(what: str = Message("no such object")) -> ApiError:
    return ApiError(404, what)


def db(request: Request) -> Iterator[Session]:
    """One transaction per request: read-only for GET and HEAD, rolled back on any error."""
    engine = request.app.state.engine
    with session_scope(engine, read_only=request.method in SAFE_METHODS) as session:
        yield session


#: ``scope="function"``: the transaction ends (commit or rollback) before the answer is sent,
#: so a client never sees success for a change that then failed to commit.
Db = Annotated[Session, Depends(db, scope="function")]


async def _csrf_given(request: Request) -> str | None:
    """The CSRF token of an unsafe request: header, or form field of a form post."""
    if request.method in SAFE_METHODS:
        return None
    given = request.headers.get(CSRF_HEADER)
    kind = request.headers.get("content-type", "")
    if given is None and kind.startswith(("application/x-www-form-urlencoded", "multipart/")):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    return given


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


_HEAD = select(func.max(AuditEntry.id)).scalar_subquery()
#: The state of a browser session a kept principal depends on, and the newest audit entry:
#: one row by the unique index of the hash, none once the session is ended.
_SESSION_STATE = (
    select(_HEAD, UserSession.expires_at, AppUser.active, AppUser.role)
    .join(AppUser, AppUser.id == UserSession.user_id)
    .where(UserSession.token_sha256 == bindparam("digest"))
)
#: The same for an API token.
_TOKEN_STATE = select(
    _HEAD, ApiToken.id, ApiToken.expires_at, ApiToken.revoked_at, ApiToken.last_used_at
).where(ApiToken.token_sha256 == bindparam("digest"))


def known_principals(app: Any) -> Kept:
    """The principals this process resolved, by ``("session" | "token", SHA-256 of the
    secret)``: ``(principal, newest audit entry when resolved)``."""
    return kept(app, "principals", PRINCIPALS_KEPT)


def audit_head(request: Request, session: Session) -> int:
    """The id of the newest audit entry (0 for none): as this request's sign-in check read it
    (:func:`authenticate`), else read now."""
    head = getattr(request.state, "audit_head", None)
    return head if head is not None else session.scalar(select(func.max(AuditEntry.id))) or 0


def _kept_principal(
    request: Request, key: tuple[str, str], head: int, resolve: Callable[[], Principal | None]
) -> Principal | None:
    """The principal kept under ``key`` if it was resolved at the newest audit entry ``head``,
    else ``resolve()`` (kept for the next request)."""
    request.state.audit_head = head
    principals = known_principals(request.app)
    found = principals.get(key)
    if found is not None and found[1] == head:
        return found[0]
    who = resolve()
    if who is not None:
        principals.put(key, (who, head))
    return who


def _token_principal(
    request: Request, session: Session, secret: str, background: BackgroundTasks
) -> Principal:
    digest = accounts.sha256_hex(secret)
    state = session.execute(_TOKEN_STATE, {"digest": digest}).first()
    now = utc_now()
    if (
        state is None
        or state.revoked_at is not None
        or (state.expires_at is not None and state.expires_at <= now)
    ):
        known_principals(request.app).discard(("token", digest))
        raise ApiError(401, Message("the API token is unknown, revoked or expired"), _challenge())

    def resolve() -> Principal | None:
        token = accounts.token_by_secret(session, secret)
        return None if token is None else accounts.principal_for_token(session, token)

    who = _kept_principal(request, ("token", digest), state[0] or 0, resolve)
    if who is None:  # revoked or expired between the two queries
        raise ApiError(401, Message("the API token is unknown, revoked or expired"), _challenge())
    if state.last_used_at is None or now - state.last_used_at > _LAST_USED_RESOLUTION:
        if request.method not in SAFE_METHODS:
            _mark_used(session, state.id, now)  # the request's transaction writes anyway
        else:
            # The request's transaction is read-only. Written after the answer, when the
            # request's connection is back in the pool: taking a second connection here
            # would exhaust the pool under load.
            background.add_task(_mark_used_apart, request.app.state.engine, state.id, now)
    return who


def _mark_used(session: Session, token_id: int, now: datetime) -> None:
    session.execute(
        update(ApiToken)
        .where(ApiToken.id == token_id)
        .where(or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < now))
        .values(last_used_at=now)
    )


def _mark_used_apart(engine: Engine, token_id: int, now: datetime) -> None:
    with session_scope(engine) as writer:
        _mark_used(writer, token_id, now)


def _challenge() -> dict[str, str]:
    return {"WWW-Authenticate": 'Bearer realm="lingtan"'}


def authenticate(
    request: Request, session: Session, csrf: str | None, background: BackgroundTasks
) -> Principal:
    """The principal of a request, by bearer token or session cookie (with its CSRF check),
    kept between requests as the module says."""
    secret = _bearer(request)
    if secret is not None:
        return _token_principal(request, session, secret, background)
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        raise ApiError(401, Message("sign in first"), _challenge())
    digest = accounts.sha256_hex(cookie)
    state = session.execute(_SESSION_STATE, {"digest": digest}).first()

    def resolve() -> Principal | None:
        found = accounts.session_user(session, cookie)
        return (
            None
            if found is None
            else accounts.principal_for_user(session, found[1], found[0].csrf_secret)
        )

    key, who = ("session", digest), None
    if state is not None and state.expires_at > utc_now() and state.active:
        who = _kept_principal(request, key, state[0] or 0, resolve)
        if who is not None and who.role != state.role:
            # The role changed with no audit entry (by hand in the database): afresh.
            known_principals(request.app).discard(key)
            who = resolve()
    if who is None:
        known_principals(request.app).discard(key)
        raise ApiError(401, Message("the session has expired: sign in again"), _challenge())
    if request.method not in SAFE_METHODS and (
        csrf is None or not hmac.compare_digest(csrf.encode(), who.csrf_secret.encode())
    ):
        raise ApiError(403, Message("missing or wrong CSRF token"))
    return who


def principal(
    request: Request,
    session: Db,
    csrf: Annotated[str | None, Depends(_csrf_given)],
    background: BackgroundTasks,
) -> Principal:
    """Who is asking; a ``read`` token only reads, an ``ingest`` token is refused here."""
    who = authenticate(request, session, csrf, background)
    if who.token_scope == "ingest":
        raise ApiError(403, Message("an ingest token may only send readings"))
    if who.token_scope == "read" and request.method not in SAFE_METHODS:
        raise ApiError(403, Message("a read token may not change anything"))
    return who


def ingester(
    request: Request,
    session: Db,
    csrf: Annotated[str | None, Depends(_csrf_given)],
    background: BackgroundTasks,
) -> Principal:
    """Who is sending readings: an ``ingest`` token, or a user who edits the facility."""
    who = authenticate(request, session, csrf, background)
    if who.token_scope == "read":
        raise ApiError(403, Message("a read token may not send readings"))
    return who


User = Annotated[Principal, Depends(principal)]
Ingester = Annotated[Principal, Depends(ingester)]


async def read_in_one_hop(
    request: Request, work: Callable[[Session, Principal], Response]
) -> Response:
    """``work(session, who)`` for a light route that only reads, in one worker thread with
    its read-only transaction and the sign-in check (as :data:`Db` and :data:`User` give
    them): one hand-off to the thread pool per request instead of one per dependency."""
    background = BackgroundTasks()

    def run() -> Response:
        with session_scope(request.app.state.engine, read_only=True) as session:
            return work(session, principal(request, session, None, background))

    response = await run_in_threadpool(run)
    if background.tasks:
        response.background = background
    return response


# --- scoped look-ups ------------------------------------------------------------------------


def readable_facilities(who: Principal) -> Select[tuple[Facility]]:
    """The facilities ``who`` may read, as a query."""
    return (
        select(Facility)
        .where(Facility.organization_id == who.organization_id)
        .where(Facility.id.in_(who.readable | who.writable))
    )


def facility(session: Session, who: Principal, code: str, *, write: bool = False) -> Facility:
    """A facility of the principal's organization by code: 404 if it may not see it, 403 if it
    may see it but not change it."""
    found = session.scalars(readable_facilities(who).where(Facility.code == code)).first()
    if found is None:
        raise not_found(Message("no such facility"))
    if write and found.id not in who.writable:
        raise ApiError(403, Message("you may read this facility but not change it"))
    if not write and found.id not in who.readable:
        raise ApiError(403, Message("this token may only send readings"))
    return found


def scoped(
    session: Session,
    who: Principal,
    statement: Select[tuple[T]],
    facility_column: Any,
    *,
    write: bool = False,
    what: str = Message("no such object"),
) -> T:
    """The one object of ``statement`` whose facility (``facility_column``) ``who`` may read
    (or write): 404 otherwise."""
    allowed = who.writable if write else who.readable
    found = session.scalars(statement.where(facility_column.in_(allowed))).first()
    if found is None:
        if write and session.scalars(statement.where(facility_column.in_(who.readable))).first():
            raise ApiError(403, Message("you may read this but not change it"))
        raise not_found(what)
    return found
