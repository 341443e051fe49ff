"""The PACT client: authenticate against another company's host, pull its footprints into the
store, and send the answers to its footprint requests.

A host's answer that is not what the specification defines (a token response without
``access_token``, a list without ``data``, a footprint that breaks the data model, a ``next``
link to another host) is refused with an :class:`~lingtan.errors.InputError` naming the URL,
the field and the rule; nothing of that pull is stored.

References
----------
.. [1] PACT Technical Specifications v3.0.3, §"Authentication" (OpenID Provider
   Configuration Document, else ``/auth/token``), §"Pagination" (``Link: rel="next"``, same
   host), §"Action Events"; v2.3.3 §"Action ListFootprints" (``/2/footprints``).
.. [2] RFC 6749 §2.3.1, §4.4; RFC 8288.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from lingtan.errors import InputError, InputProblem
from lingtan.i18n import Message
from lingtan.services import pact
from lingtan.store import audit
from lingtan.store.models import Organization, PactEvent, PactReceivedFootprint, PactRemote, utc_now

__all__ = ["MAX_PAGES", "access_token", "answer_requests", "pull", "remote_named"]

#: Pages one pull follows at most (a host whose ``next`` never ends is refused).
MAX_PAGES = 1000
TIMEOUT_S = 30.0
_NEXT = re.compile(r'<([^>]+)>\s*;[^,]*\brel="?next"?', re.IGNORECASE)


def _refuse(url: str, field: str, value: Any, rule: Message) -> InputError:
    return InputError(InputProblem(url, field, value, rule))


def _json(answer: httpx.Response) -> Any:
    url = str(answer.request.url)
    if answer.status_code != 200:
        rule = Message("the host answered HTTP %(status)s", status=answer.status_code)
        return _raise(url, "status", answer.text[:200], rule)
    try:
        return answer.json()
    except ValueError:
        return _raise(url, "(body)", answer.text[:200], Message("the body is not JSON"))


def _raise(url: str, field: str, value: Any, rule: Message) -> Any:
    raise _refuse(url, field, value, rule)


def remote_named(session: Session, organization: Organization, name: str) -> PactRemote:
    """The registered host ``name`` of ``organization``."""
    remote = session.scalars(
        select(PactRemote).where(
            PactRemote.organization_id == organization.id, PactRemote.name == name
        )
    ).first()
    if remote is None:
        known = ", ".join(
            session.scalars(
                select(PactRemote.name)
                .where(PactRemote.organization_id == organization.id)
                .order_by(PactRemote.name)
            )
        )
        rule = Message("no such PACT host (known: %(known)s)", known=known or "—")
        raise InputError(InputProblem("PACT host", "name", name, rule))
    return remote


def access_token(http: httpx.Client, remote: PactRemote) -> str:
    """A bearer token from ``remote``'s token endpoint (discovered, else ``/auth/token``).

    Raises
    ------
    InputError
        If the host refuses the credentials or answers something else than a token.
    """
    endpoint = f"{remote.auth_base_url}/auth/token"
    discovery = http.get(f"{remote.auth_base_url}/.well-known/openid-configuration")
    if discovery.status_code == 200:
        try:
            found = discovery.json().get("token_endpoint")
        except (ValueError, AttributeError):
            found = None
        if isinstance(found, str) and found.startswith(("https://", "http://")):
            endpoint = found
    answer = http.post(
        endpoint,
        data={"grant_type": "client_credentials"},
        auth=(quote(remote.client_id, safe=""), quote(remote.client_secret, safe="")),
        headers={"Accept": "application/json"},
    )
    body = _json(answer)
    token = body.get("access_token") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token:
        rule = Message("a token answer must hold access_token")
        raise _refuse(endpoint, "access_token", None, rule)
    # RFC 6749 §5.1 requires token_type; some hosts leave it out, which is taken as Bearer.
    if str(body.get("token_type", "Bearer")).lower() != "bearer":
        rule = Message("token_type must be Bearer")
        raise _refuse(endpoint, "token_type", body.get("token_type"), rule)
    return token


def _documents(http: httpx.Client, remote: PactRemote, token: str) -> list[tuple[str, Any]]:
    url = f"{remote.base_url}/{remote.api_version}/footprints?limit=100"
    host = urlsplit(url).netloc
    documents: list[tuple[str, Any]] = []
    for _ in range(MAX_PAGES):
        answer = http.get(url, headers={"Authorization": f"Bearer {token}"})
        body = _json(answer)
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list):
            rule = Message("a footprint list must be an object with a data list")
            raise _refuse(url, "data", None if data is None else str(data)[:100], rule)
        documents += [(f"{url} data[{index}]", item) for index, item in enumerate(data)]
        link = _NEXT.search(answer.headers.get("link", ""))
        if link is None:
            return documents
        following = urljoin(url, link.group(1))
        if urlsplit(following).netloc != host:  # the token goes to the supplier's host only
            rule = Message("a next link must stay on the same host")
            raise _refuse(url, "Link", following, rule)
        url = following
    rule = Message("more than %(pages)s pages", pages=MAX_PAGES)
    raise _refuse(url, "Link", None, rule)


def pull(
    session: Session,
    organization: Organization,
    name: str,
    *,
    actor: str,
    http: httpx.Client | None = None,
) -> list[PactReceivedFootprint]:
    """Pull every footprint the host ``name`` lets ``organization`` read, and keep them.

    Parameters
    ----------
    http
        The HTTP client to use (a test passes one bound to an application); by default a
        new one with a 30 s timeout.

    Raises
    ------
    InputError
        If the host refuses or answers what the specification does not define (nothing is
        then kept).
    """
    remote = remote_named(session, organization, name)
    own = http is None
    http = http or httpx.Client(timeout=TIMEOUT_S, follow_redirects=False)
    try:
        token = access_token(http, remote)
        documents = _documents(http, remote, token)
    except httpx.HTTPError as error:
        rule = Message("the host could not be reached: %(error)s", error=str(error))
        raise _refuse(remote.base_url, "(connection)", None, rule) from None
    finally:
        if own:
            http.close()
    kept = pact.store_received(session, organization, documents, actor=actor, remote=remote)
    remote.pulled_at = utc_now()
    return kept


def answer_requests(
    session: Session,
    organization: Organization,
    *,
    actor: str,
    http: httpx.Client | None = None,
) -> list[tuple[PactEvent, str]]:
    """Answer ``organization``'s open footprint requests: each to the registered host whose
    base URL is the request's ``source`` (no other: an event cannot make lingtan post to
    an arbitrary address). Returns (request, outcome): ``fulfilled``, ``rejected``, or
    ``no host`` when no registered host has that URL (the request stays open)."""
    requests = session.scalars(
        select(PactEvent)
        .where(
            PactEvent.organization_id == organization.id,
            PactEvent.direction == "received",
            PactEvent.state == "open",
        )
        .order_by(PactEvent.id)
    ).all()
    remotes = {
        remote.base_url.rstrip("/"): remote
        for remote in session.scalars(
            select(PactRemote).where(PactRemote.organization_id == organization.id)
        )
    }
    own = http is None
    http = http or httpx.Client(timeout=TIMEOUT_S, follow_redirects=False)
    outcomes = []
    try:
        for request in requests:
            remote = remotes.get(request.source.rstrip("/"))
            if remote is None:
                outcomes.append((request, "no host"))
                continue
            token = access_token(http, remote)
            body = pact.answer(session, request, source=f"urn:lingtan:{organization.id}")
            sent = http.post(
                f"{remote.base_url}/3/events",
                json=body,
                headers={
                    "Authorization": f"Bearer {token}",
                    "Content-Type": "application/cloudevents+json; charset=UTF-8",
                },
            )
            if sent.status_code != 200:
                rule = Message("the host answered HTTP %(status)s", status=sent.status_code)
                raise _refuse(str(sent.request.url), "status", sent.text[:200], rule)
            outcomes.append((request, request.state))
    finally:
        if own:
            http.close()
    if outcomes:
        audit.record(
            session,
            actor=actor,
            action="answer",
            entity="pact_event",
            entity_key=str(organization.id),
            after={"answered": [[r.event_id, outcome] for r, outcome in outcomes]},
        )
    return outcomes
