"""The web application: :func:`create_app` builds it for one database.

Every answer that is not a success has the same JSON body::

    {"error": {"status": 422, "message": "...",
               "problems": [{"where": "body", "field": "start", "value": "2025-13-01",
                             "rule": "Input should be a valid date"}]}}

Unexpected failures answer 500 with a short message and no stack trace (it goes to the log).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy import make_url
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.types import Message as AsgiMessage

from lingtan.errors import InputError, InputProblem, InputTooLargeError
from lingtan.i18n import N_, NP_, Message
from lingtan.services.footprint_studies import studies_folder
from lingtan.store.db import current_revision, database_url, head_revision, make_engine
from lingtan.store.evidence import evidence_root
from lingtan.web import (
    api,
    api_cost,
    api_efficiency,
    api_energy,
    api_evaluation,
    api_footprint,
    api_ledger,
    api_nodes,
    api_overview,
    api_pact,
    api_reconciliation,
    api_reports,
    pages,
    screens,
    screens_assets,
    screens_budgets,
    screens_efficiency,
    screens_energy,
    screens_evaluation,
    screens_footprint,
    screens_nodes,
    screens_planning,
)
from lingtan.web.accounts import SESSION_LIFETIME
from lingtan.web.admission import STOPPED, Admission, StoppedError, busy
from lingtan.web.deps import (
    ERROR_RESPONSES,
    ApiError,
    error_body,
    is_secure,
    message_text,
    problem_text,
)
from lingtan.web.export import TableExport
from lingtan.web.i18n import language

__all__ = ["ENV_MAX_UPLOAD_BYTES", "MAX_UPLOAD_BYTES", "ROUTERS", "create_app"]

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
#: Environment variable that sets another upload limit [bytes].
ENV_MAX_UPLOAD_BYTES = "LINGTAN_MAX_UPLOAD_BYTES"
# Room for the multipart framing and form fields around an upload of the largest size.
_FORM_OVERHEAD_BYTES = 64 * 1024
#: Light requests handled at once (:mod:`lingtan.web.admission`).
MAX_CONCURRENT_REQUESTS = 16
#: Heavy requests computing at once per process (about one per core), the most that may wait
#: for a place, and how long [s]; then their deadline [s] from arrival.
HEAVY_REQUESTS = 2
HEAVY_QUEUE = 64
HEAVY_WAIT_S = 10.0
HEAVY_DEADLINE_S = 30.0
_log = logging.getLogger("lingtan.web")

#: The routers of the application, in order; other parts of lingtan add theirs here.
# The overview API comes first: dashboards ask for it most, and FastAPI tries the routers in
# this order, route by route (about half of that light request's CPU time, measured, when it
# came 18th); no other route matches its path. Then the screens: their "/" (the overview)
# answers before the foundation's page.
ROUTERS = (
    api_overview.router,
    screens.router,
    screens_energy.router,
    screens_nodes.router,
    screens_budgets.router,
    screens_efficiency.router,
    screens_evaluation.router,
    screens_assets.router,
    screens_footprint.router,
    screens_planning.router,
    pages.router,
    api.router,
    api_energy.router,
    api_cost.router,
    api_efficiency.router,
    api_ledger.router,
    api_evaluation.router,
    api_nodes.router,
    api_reconciliation.router,
    api_reports.router,
    api_pact.router,
    api_footprint.router,
)


def _error(status: int, message: str, problems=None, headers=None) -> JSONResponse:
    return JSONResponse(error_body(status, message, problems), status_code=status, headers=headers)


#: The rules of a malformed request for people, by pydantic's error type (their fields are
#: those of the error's ``ctx``). A problem's ``rule`` is pydantic's own text, as a machine
#: reads it; its ``message`` is in the request's language: pydantic's text in English, and
#: in Chinese too for a type not named here.
REQUEST_RULES = {
    kind: msgid
    for kinds, msgid in (
        (("missing",), N_("Field required")),
        (("extra_forbidden",), N_("Extra inputs are not permitted")),
        (("int_type", "int_parsing", "int_from_float"), N_("Input should be a valid integer")),
        (("float_type", "float_parsing"), N_("Input should be a valid number")),
        (("finite_number",), N_("Input should be a finite number")),
        (("bool_type", "bool_parsing"), N_("Input should be a valid boolean")),
        (("string_type",), N_("Input should be a valid string")),
        (("string_too_short",), N_("String should have at least %(min_length)s characters")),
        (("string_too_long",), N_("String should have at most %(max_length)s characters")),
        (("string_pattern_mismatch",), N_("String should match pattern '%(pattern)s'")),
        (("greater_than",), N_("Input should be greater than %(gt)s")),
        (("greater_than_equal",), N_("Input should be greater than or equal to %(ge)s")),
        (("less_than",), N_("Input should be less than %(lt)s")),
        (("less_than_equal",), N_("Input should be less than or equal to %(le)s")),
        (("literal_error", "enum"), N_("Input should be %(expected)s")),
        (
            (
                "date_type",
                "date_parsing",
                "date_from_datetime_parsing",
                "date_from_datetime_inexact",
            ),
            N_("Input should be a valid date"),
        ),
        (
            ("datetime_type", "datetime_parsing", "datetime_from_date_parsing"),
            N_("Input should be a valid datetime"),
        ),
        (("json_invalid",), N_("Invalid JSON: %(error)s")),
        (("list_type",), N_("Input should be a valid list")),
        (
            ("dict_type", "model_type", "model_attributes_type"),
            N_("Input should be a valid dictionary or object"),
        ),
        (("too_short",), N_("List should have at least %(min_length)s items")),
        (("too_long",), N_("List should have at most %(max_length)s items")),
        (("uuid_type", "uuid_parsing"), N_("Input should be a valid UUID")),
        (("decimal_type", "decimal_parsing"), N_("Input should be a valid decimal")),
    )
    for kind in kinds
}


def _rule(item: dict[str, Any], lang: str) -> str | Message:
    """The rule a part of a request broke, for people in ``lang`` (:data:`REQUEST_RULES`)."""
    msgid = REQUEST_RULES.get(item.get("type", ""))
    context = item.get("ctx") or {}
    if lang == "en" or msgid is None or not set(re.findall(r"%\((\w+)\)", msgid)) <= set(context):
        return item.get("msg", "invalid")
    return Message(msgid, **{key: context[key] for key in re.findall(r"%\((\w+)\)", msgid)})


#: Where in a request pydantic finds a problem (its ``loc``'s first part).
_PLACES = frozenset(
    {N_("query"), N_("body"), N_("path"), N_("header"), N_("cookie"), N_("request")}
)


def _validation_problems(error: RequestValidationError, lang: str) -> list[dict[str, Any]]:
    problems = []
    for item in error.errors():
        location = [str(part) for part in item.get("loc", ())]
        field = ".".join(location[1:])
        # Never echo a password, nor a whole body (which may hold one).
        secret = not field or "password" in field.lower()
        where = location[0] if location else "request"
        value = None if secret else item.get("input")
        rule = item.get("msg", "invalid")
        place = Message(where) if where in _PLACES else where
        shown = InputProblem(place, field, value, _rule(item, lang))
        problems.append(
            {
                "where": where,
                "field": field,
                "value": value,
                "rule": rule,
                "message": problem_text(shown, lang),
            }
        )
    return problems


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(StoppedError)
    async def stopped(request: Request, error: StoppedError) -> Response:
        return busy(request, STOPPED)

    @app.exception_handler(ApiError)
    async def api_error(request: Request, error: ApiError) -> JSONResponse:
        message = message_text(error.message, language(request))
        return _error(error.status, message, headers=error.headers)

    @app.exception_handler(InputError)
    async def input_error(request: Request, error: InputError) -> JSONResponse:
        lang = language(request)
        problems = [
            {**problem.as_dict(), "message": problem_text(problem, lang)}
            for problem in error.problems
        ]
        message = Message("the input was refused; nothing was changed")
        if (rest := error.not_listed()) is not None:
            message = Message("the input was refused; nothing was changed (%(rest)s)", rest=rest)
        status = 413 if isinstance(error, InputTooLargeError) else 422
        return _error(status, message_text(message, lang), problems)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        lang = language(request)
        message = message_text(Message("the request is malformed"), lang)
        return _error(422, message, _validation_problems(error, lang))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> JSONResponse:
        return _error(
            error.status_code, _http_detail(error, language(request)), headers=error.headers
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        _log.exception("unexpected failure on %s %s", request.method, request.url.path)
        message = Message("internal error: nothing was changed; the server log has the details")
        return _error(500, message_text(message, language(request)))


#: The reason phrases Starlette and FastAPI answer with (``HTTPException``'s default
#: detail: ``http.HTTPStatus(status).phrase``), in the catalogue's context ``http.status``.
#: FastAPI's own detail of a body it cannot parse is one of them too.
HTTP_PHRASES = frozenset(
    msgid
    for _, msgid in (
        NP_("http.status", "Bad Request"),
        NP_("http.status", "Unauthorized"),
        NP_("http.status", "Forbidden"),
        NP_("http.status", "Not Found"),
        NP_("http.status", "Method Not Allowed"),
        NP_("http.status", "Not Acceptable"),
        NP_("http.status", "Request Entity Too Large"),
        NP_("http.status", "Content Too Large"),
        NP_("http.status", "Unsupported Media Type"),
        NP_("http.status", "Unprocessable Entity"),
        NP_("http.status", "Unprocessable Content"),
        NP_("http.status", "Too Many Requests"),
        NP_("http.status", "Internal Server Error"),
        NP_("http.status", "Service Unavailable"),
        NP_("http.status", "There was an error parsing the body"),
    )
)


def _http_detail(error: HTTPException, lang: str) -> str:
    """The detail of ``error`` in ``lang``: a reason phrase of :data:`HTTP_PHRASES` from
    the catalogue (context ``http.status``), any other detail as it is."""
    detail = str(error.detail)
    if lang == "en" or detail not in HTTP_PHRASES:
        return detail
    from lingtan.i18n.catalog import texts

    return texts(lang).label("http.status", detail)


class _SecurityHeaders:
    """Add :data:`_SECURITY_HEADERS` to every answer that does not set them itself;
    ``Cache-Control: no-store`` to every answer but the public static files (which say they
    may be cached): pages, API answers, downloads and errors may hold a user's data, which no
    browser or proxy may keep; and ``Strict-Transport-Security`` to an answer over HTTPS
    (:func:`lingtan.web.deps.is_secure`), so the browser never comes back over plain HTTP."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        secure = is_secure(Request(scope))

        async def with_headers(message: AsgiMessage) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in _SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                headers.setdefault("Cache-Control", "no-store")
                if secure:
                    headers.setdefault("Strict-Transport-Security", HSTS)
            await send(message)

        await self.app(scope, receive, with_headers)


class _BodyLimit:
    """Refuse request bodies above a size with 413, whether announced or streamed."""

    def __init__(self, app: ASGIApp, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        announced = headers.get(b"content-length")
        if announced is not None and announced.isdigit() and int(announced) > self.limit:
            await self._refuse(scope, send)
            return
        received = 0
        too_large = started = False

        async def counting_receive() -> AsgiMessage:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    too_large = True
                    raise _TooLargeError
            return message

        async def tracking_send(message: AsgiMessage) -> None:
            nonlocal started
            if too_large:  # the answer to a body cut short (FastAPI makes it a 400): not sent
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        with suppress(_TooLargeError):
            await self.app(scope, counting_receive, tracking_send)
        if too_large and not started:
            await self._refuse(scope, send)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        message = Message("the request is larger than %(limit)s bytes", limit=self.limit)
        response = _error(413, message_text(message, language(Request(scope))))
        await response({"type": "http"}, _no_body, send)


class _TooLargeError(Exception):
    pass


async def _no_body() -> AsgiMessage:
    return {"type": "http.request", "body": b"", "more_body": False}


#: Browsers that saw lingtan over HTTPS use nothing else for it for a year.
HSTS = "max-age=31536000"
_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    # Everything is served by lingtan itself (charts included): nothing from elsewhere.
    "Content-Security-Policy": (
        "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "frame-ancestors 'none'; form-action 'self'"
    ),
}


def create_app(
    url: str | None = None,
    *,
    secure_cookies: bool | None = None,
    session_lifetime: timedelta = SESSION_LIFETIME,
    max_upload_bytes: int | None = None,
    evidence_dir: str | Path | None = None,
    heavy_requests: int = HEAVY_REQUESTS,
    heavy_queue: int = HEAVY_QUEUE,
    heavy_wait_s: float = HEAVY_WAIT_S,
    studies_dir: str | Path | None = None,
) -> FastAPI:
    """The lingtan web application for the database at ``url``.

    Parameters
    ----------
    url
        Database URL or SQLite path, as ``--db``; ``None`` reads ``LINGTAN_DATABASE_URL``.
        The database must be at the newest schema (run ``lingtan init``).
    secure_cookies
        Mark the session cookie ``Secure``: ``None`` does so when the request came over HTTPS.
    session_lifetime
        How long a sign-in lasts [timedelta].
    max_upload_bytes
        The largest file accepted [bytes]; larger requests get 413, whether they announce
        their length or not. ``None`` reads ``LINGTAN_MAX_UPLOAD_BYTES``, else 20 MiB.
    evidence_dir
        Where evidence files are stored; by default as for the command line
        (:func:`lingtan.store.evidence.evidence_root`).
    heavy_requests, heavy_queue, heavy_wait_s
        Heavy requests computing at once, the most that wait for a place and how long [s]
        (:mod:`lingtan.web.admission`); beyond them a heavy request gets 503 at once.
    studies_dir
        The folder of the footprint study files the screens and the API show; by default
        :func:`lingtan.services.footprint_studies.studies_folder` (``LINGTAN_STUDIES_DIR``,
        else ``footprint/`` beside a SQLite database file).

    Raises
    ------
    ValueError
        If the database was never initialised or has an older schema.
    """
    if max_upload_bytes is None:
        given = os.environ.get(ENV_MAX_UPLOAD_BYTES, "").strip()
        if given and not given.isdigit():
            raise ValueError(f"{ENV_MAX_UPLOAD_BYTES} must be a whole number of bytes: {given!r}")
        max_upload_bytes = int(given) if given else MAX_UPLOAD_BYTES
    url = database_url(url)
    location = make_url(url)
    if location.get_backend_name() == "sqlite" and not Path(location.database or "").is_file():
        raise ValueError(f"no lingtan database at {url}: run `lingtan init` first")
    # Database connections: one per light request and two per heavy one (its transaction,
    # and the short one that refreshes stale daily totals), so that no worker thread ever
    # waits for a connection while the threads that hold them wait for a worker thread
    # (which would stall the server until the pool timeout).
    pool_size = MAX_CONCURRENT_REQUESTS + 2 * heavy_requests
    engine = make_engine(url, pool_size=pool_size, max_overflow=0)
    revision = current_revision(engine)
    if revision != head_revision():
        engine.dispose()
        have = "no lingtan schema" if revision is None else f"schema {revision}"
        raise ValueError(
            f"the database at {url} has {have}; this lingtan needs {head_revision()}: "
            "run `lingtan init` first"
        )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        engine.dispose()

    app = FastAPI(
        lifespan=lifespan,
        title="lingtan",
        summary="Carbon accounting and energy management for zero-carbon factories",
        version=head_revision(),
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # the Swagger and ReDoc pages would load scripts from a CDN
        redoc_url=None,
    )
    app.state.engine = engine
    app.state.secure_cookies = secure_cookies
    app.state.session_lifetime = session_lifetime
    app.state.max_upload_bytes = max_upload_bytes
    app.state.evidence_root = Path(evidence_dir) if evidence_dir else evidence_root(url)
    app.state.kept = {}  # lingtan.web.kept
    app.state.studies_dir = studies_folder(url, studies_dir)
    _install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router, responses=ERROR_RESPONSES)

    # Innermost: an export renders the page through everything else, as a page request.
    app.add_middleware(TableExport)
    app.add_middleware(_BodyLimit, limit=max_upload_bytes + _FORM_OVERHEAD_BYTES)
    app.add_middleware(_SecurityHeaders)
    app.add_middleware(
        Admission,
        light=MAX_CONCURRENT_REQUESTS,
        heavy=heavy_requests,
        queue=heavy_queue,
        wait_s=heavy_wait_s,
        deadline_s=HEAVY_DEADLINE_S,
    )

    return app
