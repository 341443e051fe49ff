"""The PACT host API (Technical Specifications v3): customers' systems read the footprints an
organization publishes.

- ``POST /auth/token``: OAuth 2.0 client credentials (HTTP Basic, form body
  ``grant_type=client_credentials``) → ``{access_token, token_type: "Bearer", expires_in}``;
  refused credentials get RFC 6749's ``{"error": "invalid_client"}`` (401).
- ``GET /.well-known/openid-configuration``: where the token endpoint is.
- ``GET /3/footprints``: the organization's footprints, with the v3 filters and ``limit``;
  more results are linked by an absolute ``Link: <…>; rel="next"`` (RFC 8288).
- ``GET /3/footprints/{id}``: one of them.
- ``POST /3/events``: CloudEvents 1.0 in structured mode (RequestCreated, RequestFulfilled,
  RequestRejected, Published).

A token reads only the published footprints of the organization of the client it was issued
to: a footprint of another organization is answered exactly as one that does not exist.
Errors are the specification's ``{"code", "message"}`` bodies (BadRequest 400, TokenExpired
401, AccessDenied 403, NotFound 404, InternalError 500). PACT requires HTTPS: serve lingtan
behind TLS (``lingtan web serve --ssl-certfile``, or a proxy).

References
----------
.. [1] PACT Technical Specifications v3.0.3, §"Authentication", §"Action ListFootprints",
   §"Action GetFootprint", §"Action Events", §"Error handling"; ``spec/v3/openapi.yaml``.
.. [2] RFC 6749 §4.4, §5.2; RFC 6750 §3; RFC 8288; CloudEvents 1.0 (JSON format).
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlencode

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from sqlalchemy import select

from lingtan.errors import InputError
from lingtan.footprint import pact as model
from lingtan.i18n import Message
from lingtan.services import pact
from lingtan.store.models import PactClient, PactFootprint
from lingtan.web.deps import Db, message_text

__all__ = ["MAX_LIMIT", "PactError", "router"]

#: The most footprints one page holds (a larger ``limit`` is served in pages of this size).
MAX_LIMIT = 100
_log = logging.getLogger("lingtan.web.pact")


class PactError(Exception):
    """An answer with the specification's Error body ``{"code", "message"}``."""

    def __init__(self, status: int, code: str, message: Message, headers: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers


def _lang(request: Request) -> str:
    # Partners' systems read English unless they ask for Chinese.
    asked = request.headers.get("accept-language", "").lstrip().lower()
    return "zh-CN" if asked.startswith("zh") else "en"


def _error(request: Request, error: PactError) -> JSONResponse:
    body = {"code": error.code, "message": message_text(error.message, _lang(request))}
    return JSONResponse(body, status_code=error.status, headers=error.headers)


class _PactRoute(APIRoute):
    """Every failure of a PACT route answers with the specification's Error body."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except PactError as error:
                return _error(request, error)
            except (RequestValidationError, InputError) as error:
                detail = "; ".join(str(problem) for problem in getattr(error, "problems", ()))
                message = Message("the request is malformed: %(detail)s", detail=detail or "?")
                return _error(request, PactError(400, "BadRequest", message))
            except Exception:
                _log.exception("PACT %s %s failed", request.method, request.url.path)
                message = Message("internal error: nothing was changed")
                return _error(request, PactError(500, "InternalError", message))

        return route


# Not in lingtan's own schema (/api/v1/openapi.json): the PACT API is the specification's.
router = APIRouter(tags=["PACT"], route_class=_PactRoute, include_in_schema=False)

_BEARER = {"WWW-Authenticate": 'Bearer realm="pact"'}


def _client(request: Request, session: Db) -> PactClient:
    """The client of the request's bearer token, or the specification's refusal."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        message = Message("a bearer token from /auth/token is required")
        raise PactError(401, "BadRequest", message, _BEARER)
    checked = pact.check_token(session, token.strip())
    if checked.expired:
        headers = {"WWW-Authenticate": 'Bearer realm="pact", error="invalid_token"'}
        raise PactError(401, "TokenExpired", Message("the access token has expired"), headers)
    if checked.client is None:
        headers = {"WWW-Authenticate": 'Bearer realm="pact", error="invalid_token"'}
        raise PactError(401, "BadRequest", Message("invalid access token"), headers)
    return checked.client


# --- Authentication -----------------------------------------------------------------------


def _oauth_error(error: str, status: int, description: str) -> JSONResponse:
    headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="pact"'
    body = {"error": error, "error_description": description}
    return JSONResponse(body, status_code=status, headers=headers)


@router.post("/auth/token", summary="OAuth 2.0 client credentials token")
async def token(request: Request, session: Db) -> Response:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    try:
        client_id, colon, secret = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        colon = ""
    if scheme.lower() != "basic" or not colon:
        return _oauth_error("invalid_client", 401, "HTTP Basic client authentication required")
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    grant = form.get("grant_type", [""])
    if grant != ["client_credentials"]:
        return _oauth_error("unsupported_grant_type", 400, "grant_type must be client_credentials")
    # RFC 6749 §2.3.1: the credentials are form-urlencoded before Basic encoding.
    issued = pact.issue_token(session, unquote(client_id), unquote(secret))
    if issued is None:
        return _oauth_error("invalid_client", 401, "client authentication failed")
    access_token, expires_in = issued
    body = {"access_token": access_token, "token_type": "Bearer", "expires_in": expires_in}
    return JSONResponse(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


@router.get("/.well-known/openid-configuration", summary="Token endpoint discovery")
def openid_configuration(request: Request) -> dict[str, Any]:
    base = str(request.base_url).rstrip("/")
    return {
        "issuer": base,
        "token_endpoint": f"{base}/auth/token",
        "grant_types_supported": ["client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic"],
        "response_types_supported": ["token"],
    }


# --- Footprints ---------------------------------------------------------------------------


def _times(request: Request, name: str) -> datetime | None:
    given = request.query_params.get(name)
    if given is None:
        return None
    try:
        return model.parse_time(given)
    except ValueError:
        rule = Message("%(name)s must be an RFC 3339 time with its offset", name=name)
        raise PactError(400, "BadRequest", rule) from None


def _whole(request: Request, name: str, default: int) -> int:
    given = request.query_params.get(name)
    if given is None:
        return default
    if not given.isdigit() or len(given) > 9:
        rule = Message("%(name)s must be a whole number ≥ 0", name=name)
        raise PactError(400, "BadRequest", rule)
    return int(given)


def _filter(request: Request) -> model.FootprintFilter:
    params = request.query_params
    # A status other than Active or Deprecated matches nothing ({"data": []}), as any other
    # value no footprint has.
    status = tuple(params.getlist("status"))
    return model.FootprintFilter(
        product_ids=tuple(params.getlist("productId")),
        company_ids=tuple(params.getlist("companyId")),
        geography=tuple(params.getlist("geography")),
        classification=tuple(params.getlist("classification")),
        status=status,
        valid_on=_times(request, "validOn"),
        valid_after=_times(request, "validAfter"),
        valid_before=_times(request, "validBefore"),
    )


@router.get("/3/footprints", summary="ListFootprints")
def list_footprints(request: Request, session: Db) -> Response:
    client = _client(request, session)
    criteria = _filter(request)
    limit = _whole(request, "limit", MAX_LIMIT)
    limit = MAX_LIMIT if limit == 0 else min(limit, MAX_LIMIT)
    offset = _whole(request, "offset", 0)
    found = pact.footprints(session, client.organization_id, criteria)
    page = found[offset : offset + limit]
    headers = {}
    if offset + limit < len(found):
        query = [
            (key, value)
            for key, value in request.query_params.multi_items()
            if key not in ("offset", "limit")
        ]
        query += [("limit", str(limit)), ("offset", str(offset + limit))]
        # The same scheme, host and path as the request: an absolute URL (RFC 8288).
        following = request.url.replace(query=urlencode(query, quote_via=quote, safe=":"))
        headers["Link"] = f'<{following}>; rel="next"'
    return JSONResponse({"data": page}, headers=headers)


@router.get("/3/footprints/{pf_id}", summary="GetFootprint")
def get_footprint(pf_id: str, request: Request, session: Db) -> Response:
    client = _client(request, session)
    row = session.scalars(
        select(PactFootprint).where(
            PactFootprint.pf_id == pf_id.lower()[:36],
            PactFootprint.organization_id == client.organization_id,
        )
    ).first()
    if row is None:
        raise PactError(404, "NotFound", Message("no such footprint"))
    return JSONResponse({"data": row.document})


# --- Events -------------------------------------------------------------------------------


@router.post("/3/events", summary="Events")
async def events(request: Request, session: Db) -> Response:
    client = _client(request, session)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in ("application/cloudevents+json", "application/json"):
        rule = Message("send the event as application/cloudevents+json")
        raise PactError(400, "BadRequest", rule)
    try:
        event = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        raise PactError(400, "BadRequest", Message("the body is not JSON")) from None
    pact.receive_event(session, client, event)
    return Response(status_code=200)
