"""Users, sign-in, sessions and API tokens, and what each of them may see.

Everything here works on a SQLAlchemy session and is shared by the web application and the
``lingtan users`` commands. Secrets never reach the database: passwords are stored as argon2
hashes, session ids and API tokens (random, 256 bits) as their SHA-256.

Who sees what (:class:`Principal`): an ``admin`` reads and edits every facility of its
organization and manages its users; a ``manager`` reads and edits the facilities granted to it;
a ``viewer`` reads them; an ``auditor`` reads them, their evidence files and their audit log.
Everyone but a viewer may have a facility's reports written (:attr:`Principal.starts_reports`).
An API token reads one facility (scope ``read``) or only sends it readings (scope ``ingest``).
Nobody ever sees a facility of another organization.

A password (:func:`password_problem`) has at least :data:`MIN_PASSWORD_LENGTH` characters, is
not a common password, and scores at least :data:`MIN_PASSWORD_SCORE` of 4 with the zxcvbn
estimator (which counts dictionary words, names, keyboard walks, dates and the user's own
name); the refusal says which rule, in Chinese and English, with zxcvbn's advice.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from zxcvbn import zxcvbn

from lingtan.errors import InputError, InputProblem
from lingtan.i18n import Message
from lingtan.i18n.catalog import texts
from lingtan.imports.load import organization_by_name
from lingtan.store import audit
from lingtan.store.models import (
    ROLES,
    TOKEN_SCOPES,
    ApiToken,
    AppUser,
    Facility,
    LoginAttempt,
    Organization,
    UserFacility,
    UserSession,
    utc_now,
)

__all__ = [
    "LOGIN_WINDOW",
    "MAX_FAILURES_PER_CLIENT",
    "MAX_FAILURES_PER_USER",
    "MIN_PASSWORD_LENGTH",
    "MIN_PASSWORD_SCORE",
    "SESSION_LIFETIME",
    "Principal",
    "ThrottledError",
    "authenticate",
    "change_own_password",
    "create_token",
    "create_user",
    "end_session",
    "grant_facility",
    "granted_codes",
    "password_problem",
    "principal_for_token",
    "principal_for_user",
    "revoke_facility",
    "revoke_token",
    "session_user",
    "set_active",
    "set_password",
    "set_role",
    "start_session",
    "token_by_secret",
    "user_named",
]

SESSION_LIFETIME = timedelta(hours=12)
LOGIN_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_USER = 5
#: Higher than per user: several people may sign in from one office address.
MAX_FAILURES_PER_CLIENT = 20
MIN_PASSWORD_LENGTH = 10
#: The lowest zxcvbn score accepted (0 to 4; 3: "safely unguessable", about 10^8 guesses).
MIN_PASSWORD_SCORE = 3
#: zxcvbn reads at most this many characters (it refuses more; what follows adds strength).
_SCORED_CHARS = 72
TOKEN_PREFIX = "lt_"
#: Where a problem of a user or of an API token is.
_USER, _TOKEN = Message("user"), Message("token")
_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the user does not exist, so that a wrong name takes as long as
    a wrong password and does not reveal which names exist."""
    return _hasher.hash(secrets.token_hex(16))


def sha256_hex(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


# --- who may do what ------------------------------------------------------------------------


@dataclass(frozen=True)
class Principal:
    """Who is asking: a signed-in user or an API token, with the facilities it may read and
    write (ids; always inside one organization)."""

    name: str  # the actor recorded in the audit log
    role: str  # admin | manager | viewer | auditor | token
    organization_id: int
    readable: frozenset[int]
    writable: frozenset[int]
    user_id: int | None = None
    token_scope: str | None = None  # read | ingest, for tokens
    csrf_secret: str | None = None  # for a browser session

    @property
    def reads_audit_log(self) -> bool:
        return self.role in ("admin", "auditor")

    @property
    def reads_evidence(self) -> bool:
        return self.role in ("admin", "manager", "auditor")

    @property
    def starts_reports(self) -> bool:
        """Whether it may start report jobs (:mod:`lingtan.web.api_reports`), which take a
        rendering process for seconds per language: not a viewer, nor an API token."""
        return self.role in ("admin", "manager", "auditor")


def principal_for_user(session: Session, user: AppUser, csrf_secret: str | None) -> Principal:
    """What a user may see: its organization's facilities (admin) or those granted to it."""
    in_organization = select(Facility.id).where(Facility.organization_id == user.organization_id)
    if user.role != "admin":
        in_organization = in_organization.join(
            UserFacility, UserFacility.facility_id == Facility.id
        ).where(UserFacility.user_id == user.id)
    readable = frozenset(session.scalars(in_organization))
    writable = readable if user.role in ("admin", "manager") else frozenset()
    return Principal(
        name=user.username,
        role=user.role,
        organization_id=user.organization_id,
        readable=readable,
        writable=writable,
        user_id=user.id,
        csrf_secret=csrf_secret,
    )


def principal_for_token(session: Session, token: ApiToken) -> Principal:
    """A ``read`` token reads its facility; an ``ingest`` token only writes its readings."""
    facility = session.get(Facility, token.facility_id)
    assert facility is not None
    only = frozenset({facility.id})
    return Principal(
        name=f"token {token.prefix} ({token.name})",
        role="token",
        organization_id=facility.organization_id,
        readable=only if token.scope == "read" else frozenset(),
        writable=only if token.scope == "ingest" else frozenset(),
        token_scope=token.scope,
    )


# --- users ----------------------------------------------------------------------------------


def _organization(session: Session, name: str | None) -> Organization:
    """The organization of this name, or the only one in the store when ``name`` is None."""
    return organization_by_name(session, name, _USER)


def facility_of(session: Session, organization_id: int, code: str) -> Facility:
    """The facility ``code`` of one organization (codes are unique only within one)."""
    facility = session.scalars(
        select(Facility).where(Facility.organization_id == organization_id, Facility.code == code)
    ).first()
    if facility is None:
        raise InputError(
            InputProblem(_USER, "facility", code, Message("no such facility in the organization"))
        )
    return facility


def create_user(
    session: Session,
    username: str,
    password: str,
    *,
    role: str,
    organization: str | None,
    facilities: tuple[str, ...] = (),
    display_name: str = "",
    actor: str,
) -> AppUser:
    """Create a user of ``organization`` (by name; None: the only one) with an argon2 hash
    of ``password``.

    An admin sees every facility of its organization and takes no ``facilities``; the other
    roles see only the facilities named (codes of the organization).
    """
    problems = []
    name = username.strip()
    if not name or len(name) > 100 or any(c.isspace() for c in name):
        problems.append(
            InputProblem(_USER, "username", username, Message("1 to 100 characters, no spaces"))
        )
    elif session.scalars(select(AppUser.id).where(AppUser.username == name)).first():
        problems.append(InputProblem(_USER, "username", username, Message("is taken")))
    if role not in ROLES:
        problems.append(
            InputProblem(
                _USER, "role", role, Message("one of %(options)s", options=", ".join(ROLES))
            )
        )
    weak = password_problem(password, (name,))
    if weak is not None:
        problems.append(weak)
    if role == "admin" and facilities:
        problems.append(
            InputProblem(
                _USER,
                "facility",
                ",".join(facilities),
                Message("an admin sees every facility already"),
            )
        )
    if problems:
        raise InputError(problems)
    org = _organization(session, organization)
    granted = [facility_of(session, org.id, code) for code in dict.fromkeys(facilities)]
    user = AppUser(
        username=name,
        display_name=display_name or name,
        password_hash=_hasher.hash(password),
        role=role,
        organization_id=org.id,
        active=True,
    )
    session.add(user)
    session.flush()
    session.add_all(UserFacility(user_id=user.id, facility_id=f.id) for f in granted)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="create",
        entity="app_user",
        entity_key=name,
        after={
            "organization_id": org.id,
            "role": role,
            "facilities": [f.code for f in granted],
        },
    )
    return user


def user_named(session: Session, username: str, organization_id: int | None = None) -> AppUser:
    """The user ``username`` (of the organization ``organization_id``, when given)."""
    statement = select(AppUser).where(AppUser.username == username)
    if organization_id is not None:
        statement = statement.where(AppUser.organization_id == organization_id)
    user = session.scalars(statement).first()
    if user is None:
        raise InputError(InputProblem(_USER, "username", username, Message("no such user")))
    return user


def _both(message: Message, advice: tuple[str, ...] = ()) -> str:
    """A rule in Chinese, then in English, each with zxcvbn's ``advice`` (English texts of
    zxcvbn, in the catalogue under the context ``zxcvbn``)."""
    zh = texts("zh-CN")
    chinese, english = zh.message(message), str(message)
    if advice:
        chinese += "（zxcvbn：" + "".join(zh.pgettext("zxcvbn", part) for part in advice) + "）"
        english += f" (zxcvbn: {' '.join(advice)})"
    return f"{chinese} / {english}"


def password_problem(password: str, personal: tuple[str, ...] = ()) -> InputProblem | None:
    """Why ``password`` is refused (field ``password``, the value never shown), or ``None``.

    Refused: shorter than :data:`MIN_PASSWORD_LENGTH` characters; a common password (one of
    zxcvbn's list of leaked passwords, also reversed or with l33t substitutions); or a zxcvbn
    score below :data:`MIN_PASSWORD_SCORE`. ``personal`` are words of the user (its name) that
    zxcvbn counts as easy to guess.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        rule = Message("the password needs at least %(n)s characters", n=MIN_PASSWORD_LENGTH)
        return InputProblem(_USER, "password", None, _both(rule))
    found = zxcvbn(password[:_SCORED_CHARS], user_inputs=list(personal))
    common = any(
        match["pattern"] == "dictionary"
        and match.get("dictionary_name") == "passwords"
        and match["token"].lower() == password[:_SCORED_CHARS].lower()
        for match in found["sequence"]
    )
    if common:
        rule = Message("the password is a common password: choose another")
    elif found["score"] < MIN_PASSWORD_SCORE:
        rule = Message(
            "the password is too easy to guess: its zxcvbn strength is %(score)s of 4, at "
            "least %(least)s is needed (longer, several uncommon words)",
            score=found["score"],
            least=MIN_PASSWORD_SCORE,
        )
    else:
        return None
    feedback = found["feedback"]
    advice = tuple(part for part in (feedback["warning"], *feedback["suggestions"]) if part)
    return InputProblem(_USER, "password", None, _both(rule, advice))


def _check_password(password: str, user: AppUser) -> None:
    weak = password_problem(password, (user.username, user.display_name))
    if weak is not None:
        raise InputError(weak)


def _keep_an_admin(session: Session, user: AppUser, rule: Message) -> None:
    """Refuse (by ``rule``) to take away the last active admin of ``user``'s organization.

    The organization's active admins are locked (PostgreSQL) until the transaction ends, so
    that two admins demoting each other at the same moment cannot both succeed.
    """
    if user.role != "admin" or not user.active:
        return
    others = session.scalars(
        select(AppUser.id)
        .where(
            AppUser.organization_id == user.organization_id,
            AppUser.role == "admin",
            AppUser.active.is_(True),
            AppUser.id != user.id,
        )
        .with_for_update()
    ).all()
    if not others:
        raise InputError(InputProblem(_USER, "username", user.username, rule))


def _end_sessions(session: Session, user: AppUser, keep: str | None = None) -> int:
    """End the user's browser sessions (all but the one of cookie ``keep``): how many."""
    statement = delete(UserSession).where(UserSession.user_id == user.id)
    if keep is not None:
        statement = statement.where(UserSession.token_sha256 != sha256_hex(keep))
    return session.execute(statement).rowcount


def _record_user_change(
    session: Session, user: AppUser, action: str, actor: str, before: dict, after: dict
) -> None:
    """Audit a change of ``user``; ``organization_id`` makes it visible to its admins."""
    audit.record(
        session,
        actor=actor,
        action=action,
        entity="app_user",
        entity_key=user.username,
        before={"organization_id": user.organization_id, **before},
        after={"organization_id": user.organization_id, **after},
    )


def set_password(
    session: Session, user: AppUser, password: str, *, actor: str, keep_session: str | None = None
) -> int:
    """Give ``user`` a new password and end its sessions (but ``keep_session``, a cookie).

    Returns the number of sessions ended. The audit log records that the password changed,
    never the password or its hash.
    """
    _check_password(password, user)
    user.password_hash = _hasher.hash(password)
    ended = _end_sessions(session, user, keep_session)
    session.flush()
    _record_user_change(session, user, "passwd", actor, {}, {"sessions_ended": ended})
    return ended


def change_own_password(
    session: Session, user: AppUser, current: str, new: str, *, client: str, keep_session: str
) -> bool:
    """A user's own change of password: ``False`` (and a failed sign-in recorded, so that
    guesses are throttled like sign-ins) if ``current`` is wrong.

    Raises
    ------
    ThrottledError
        After too many wrong passwords, as for :func:`authenticate`.
    InputError
        If the new password is too weak (:func:`password_problem`).
    """
    now = utc_now()
    _throttle(session, user.username, client[:100], now)
    try:
        _hasher.verify(user.password_hash, current)
    except (VerificationError, InvalidHashError):
        session.add(LoginAttempt(username=user.username, client=client[:100], at=now))
        return False
    set_password(session, user, new, actor=user.username, keep_session=keep_session)
    return True


def set_active(session: Session, user: AppUser, active: bool, *, actor: str) -> int:
    """Activate or deactivate ``user``; deactivating ends its sessions (returns how many).

    Raises
    ------
    InputError
        If nothing would change, or ``user`` is its organization's last active admin.
    """
    if user.active == active:
        rule = Message("is already active") if active else Message("is already deactivated")
        raise InputError(InputProblem(_USER, "username", user.username, rule))
    ended = 0
    if not active:
        rule = Message(
            "is the last active admin of its organization: cannot deactivate it (make another "
            "user admin first)"
        )
        _keep_an_admin(session, user, rule)
        ended = _end_sessions(session, user)
    user.active = active
    session.flush()
    after: dict = {"active": active} | ({} if active else {"sessions_ended": ended})
    action = "activate" if active else "deactivate"
    _record_user_change(session, user, action, actor, {"active": not active}, after)
    return ended


def granted_codes(session: Session, user: AppUser) -> list[str]:
    """The codes of the facilities granted to ``user``, sorted."""
    return list(
        session.scalars(
            select(Facility.code)
            .join(UserFacility, UserFacility.facility_id == Facility.id)
            .where(UserFacility.user_id == user.id)
            .order_by(Facility.code)
        )
    )


def set_role(session: Session, user: AppUser, role: str, *, actor: str) -> None:
    """Give ``user`` another role. A new admin's facility grants are dropped (an admin sees
    every facility); a former admin sees no facility until some are granted.

    Raises
    ------
    InputError
        For an unknown role, the role it has, or demoting the organization's last active admin.
    """
    if role not in ROLES:
        raise InputError(
            InputProblem(
                _USER, "role", role, Message("one of %(options)s", options=", ".join(ROLES))
            )
        )
    if role == user.role:
        rule = Message("%(username)s has it already", username=user.username)
        raise InputError(InputProblem(_USER, "role", role, rule))
    if role != "admin":
        rule = Message(
            "is the last active admin of its organization: cannot change its role (make "
            "another user admin first)"
        )
        _keep_an_admin(session, user, rule)
    before = {"role": user.role, "facilities": granted_codes(session, user)}
    if role == "admin":
        session.execute(delete(UserFacility).where(UserFacility.user_id == user.id))
    user.role = role
    session.flush()
    after = {"role": role, "facilities": granted_codes(session, user)}
    _record_user_change(session, user, "role", actor, before, after)


def grant_facility(session: Session, user: AppUser, code: str, *, actor: str) -> None:
    """Let ``user`` (not an admin) see the facility ``code`` of its organization."""
    if user.role == "admin":
        raise InputError(
            InputProblem(_USER, "facility", code, Message("an admin sees every facility already"))
        )
    site = facility_of(session, user.organization_id, code)
    before = granted_codes(session, user)
    if site.code in before:
        raise InputError(InputProblem(_USER, "facility", code, Message("is granted already")))
    session.add(UserFacility(user_id=user.id, facility_id=site.id))
    session.flush()
    after = granted_codes(session, user)
    _record_user_change(
        session, user, "grant", actor, {"facilities": before}, {"facilities": after}
    )


def revoke_facility(session: Session, user: AppUser, code: str, *, actor: str) -> None:
    """Stop ``user`` seeing the facility ``code`` (from its next request on)."""
    site = facility_of(session, user.organization_id, code)
    before = granted_codes(session, user)
    removed = session.execute(
        delete(UserFacility).where(
            UserFacility.user_id == user.id, UserFacility.facility_id == site.id
        )
    ).rowcount
    if not removed:
        raise InputError(
            InputProblem(_USER, "facility", code, Message("is not granted to the user"))
        )
    session.flush()
    after = granted_codes(session, user)
    _record_user_change(
        session, user, "revoke", actor, {"facilities": before}, {"facilities": after}
    )


# --- signing in -----------------------------------------------------------------------------


class ThrottledError(Exception):
    """Too many failed sign-ins: wait ``retry_after_s`` seconds."""

    def __init__(self, retry_after_s: int):
        self.retry_after_s = retry_after_s
        super().__init__(f"too many failed sign-ins; try again in {retry_after_s} s")


def _throttle(session: Session, username: str, client: str, now: datetime) -> None:
    since = now - LOGIN_WINDOW
    for column, value, limit in (
        (LoginAttempt.username, username, MAX_FAILURES_PER_USER),
        (LoginAttempt.client, client, MAX_FAILURES_PER_CLIENT),
    ):
        times = session.scalars(
            select(LoginAttempt.at)
            .where(column == value, LoginAttempt.at > since)
            .order_by(LoginAttempt.at.desc())
            .limit(limit)
        ).all()
        if len(times) >= limit:
            # Free again when the oldest of the last ``limit`` failures leaves the window.
            raise ThrottledError(max(1, int((times[-1] + LOGIN_WINDOW - now).total_seconds()) + 1))


def authenticate(
    session: Session, username: str, password: str, *, client: str, now: datetime | None = None
) -> AppUser | None:
    """The active user with this name and password, or ``None`` (the failure is recorded).

    Raises
    ------
    ThrottledError
        After :data:`MAX_FAILURES_PER_USER` failures for the name, or
        :data:`MAX_FAILURES_PER_CLIENT` from the address, within :data:`LOGIN_WINDOW`;
        the password is then not even checked.
    """
    now = now or utc_now()
    username, client = username[:100], client[:100]
    session.execute(delete(LoginAttempt).where(LoginAttempt.at <= now - LOGIN_WINDOW))
    _throttle(session, username, client, now)
    user = session.scalars(select(AppUser).where(AppUser.username == username)).first()
    try:
        _hasher.verify(user.password_hash if user else _dummy_hash(), password)
        ok = user is not None and user.active
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok or user is None:
        session.add(LoginAttempt(username=username, client=client, at=now))
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.last_login = now
    session.execute(delete(LoginAttempt).where(LoginAttempt.username == username))
    return user


def start_session(
    session: Session, user: AppUser, *, lifetime: timedelta = SESSION_LIFETIME
) -> tuple[str, UserSession]:
    """A new browser session: returns the session id (for the cookie; stored only hashed)."""
    secret = secrets.token_urlsafe(32)
    now = utc_now()
    session.execute(delete(UserSession).where(UserSession.expires_at <= now))  # housekeeping
    row = UserSession(
        user_id=user.id,
        token_sha256=sha256_hex(secret),
        csrf_secret=secrets.token_urlsafe(32),
        created_at=now,
        expires_at=now + lifetime,
    )
    session.add(row)
    session.flush()
    return secret, row


def session_user(session: Session, secret: str) -> tuple[UserSession, AppUser] | None:
    """The live session of a cookie and its active user, or ``None`` (unknown or expired)."""
    found = session.execute(
        select(UserSession, AppUser)
        .join(AppUser, AppUser.id == UserSession.user_id)
        .where(UserSession.token_sha256 == sha256_hex(secret))
    ).first()
    if found is None:
        return None
    row, user = found
    if row.expires_at <= utc_now() or not user.active:
        return None
    return row, user


def end_session(session: Session, secret: str) -> None:
    session.execute(delete(UserSession).where(UserSession.token_sha256 == sha256_hex(secret)))


# --- API tokens -----------------------------------------------------------------------------


def create_token(
    session: Session,
    *,
    name: str,
    organization: str | None,
    facility: str,
    scope: str,
    actor: str,
    expires_at: datetime | None = None,
) -> tuple[str, ApiToken]:
    """A new API token for one facility: returns the token (shown once, stored hashed)."""
    problems = []
    if not name.strip() or len(name) > 100:
        problems.append(InputProblem(_TOKEN, "name", name, Message("1 to 100 characters")))
    if scope not in TOKEN_SCOPES:
        problems.append(
            InputProblem(
                _TOKEN,
                "scope",
                scope,
                Message("one of %(options)s", options=", ".join(TOKEN_SCOPES)),
            )
        )
    if expires_at is not None and expires_at <= utc_now():
        problems.append(
            InputProblem(_TOKEN, "expires", expires_at, Message("must be in the future"))
        )
    if problems:
        raise InputError(problems)
    target = facility_of(session, _organization(session, organization).id, facility)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        name=name.strip(),
        token_sha256=sha256_hex(secret),
        prefix=secret[:10],
        facility_id=target.id,
        scope=scope,
        created_by=actor,
        expires_at=expires_at,
    )
    session.add(token)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="create",
        entity="api_token",
        entity_key=str(token.id),
        after={
            "name": token.name,
            "prefix": token.prefix,
            "facility_id": target.id,
            "scope": scope,
        },
    )
    return secret, token


def revoke_token(session: Session, token_id: int, *, actor: str) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None:
        raise InputError(InputProblem(_TOKEN, "id", token_id, Message("no such token")))
    if token.revoked_at is not None:
        raise InputError(InputProblem(_TOKEN, "id", token_id, Message("is already revoked")))
    token.revoked_at = utc_now()
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="revoke",
        entity="api_token",
        entity_key=str(token.id),
        after={"facility_id": token.facility_id, "revoked_at": token.revoked_at},
    )
    return token


def token_by_secret(session: Session, secret: str) -> ApiToken | None:
    """The token with this secret if it is neither revoked nor expired."""
    token = session.scalars(
        select(ApiToken).where(ApiToken.token_sha256 == sha256_hex(secret))
    ).first()
    if token is None or token.revoked_at is not None:
        return None
    if token.expires_at is not None and token.expires_at <= utc_now():
        return None
    return token
