"""PACT exchange in the store: an organization's published footprints, the clients allowed to
read them and their tokens, the remote hosts it pulls from, and events.

The host API (:mod:`lingtan.web.api_pact`) and the command line (``lingtan pact``) both work
through these functions; each change is written with its audit entry in the caller's
transaction, or not at all.

References
----------
.. [1] PACT Technical Specifications v3.0.3, §"Authentication" (OAuth 2.0 client
   credentials), §"Action ListFootprints" (filters), §"Action Events".
.. [2] RFC 6749 §4.4 (client credentials grant); RFC 6750 (bearer tokens).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lingtan.errors import InputError, InputProblem
from lingtan.footprint import pact
from lingtan.i18n import Message
from lingtan.imports.load import organization_by_name
from lingtan.store import audit
from lingtan.store.models import (
    Organization,
    PactAccessToken,
    PactClient,
    PactEvent,
    PactFootprint,
    PactReceivedFootprint,
    PactRemote,
    utc_now,
)

__all__ = [
    "EVENT_TYPES",
    "TOKEN_LIFETIME",
    "TokenCheck",
    "add_remote",
    "answer",
    "check_token",
    "create_client",
    "footprints",
    "issue_token",
    "organization_named",
    "publish",
    "publish_document",
    "receive_event",
    "request_filter",
    "revoke_client",
    "store_received",
]

#: How long a token from ``/auth/token`` lasts.
TOKEN_LIFETIME = timedelta(hours=1)

#: The v3 event types (CloudEvents ``type``) and the state a received one is kept in.
EVENT_TYPES = {
    "org.wbcsd.pact.ProductFootprint.RequestCreatedEvent.3": "open",
    "org.wbcsd.pact.ProductFootprint.RequestFulfilledEvent.3": "noted",
    "org.wbcsd.pact.ProductFootprint.RequestRejectedEvent.3": "noted",
    "org.wbcsd.pact.ProductFootprint.PublishedEvent.3": "noted",
}

_CLIENT = "PACT client"
_REMOTE = "PACT host"


def _sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def organization_named(session: Session, name: str | None) -> Organization:
    """The organization of this name, or the only one when ``name`` is None.

    Raises
    ------
    InputError
        If there is no such organization, or ``name`` is None and there are several.
    """
    return organization_by_name(session, name, _CLIENT)


# --- Host: clients and tokens -------------------------------------------------------------


def create_client(
    session: Session, organization: Organization, *, name: str, actor: str
) -> tuple[str, str, PactClient]:
    """A new client of ``organization``'s host: returns (client id, secret, row); the secret
    is shown once and stored as its SHA-256 (256 random bits, so no slow hash is needed)."""
    if not name.strip() or len(name) > 100:
        raise InputError(InputProblem(_CLIENT, "name", name, Message("1 to 100 characters")))
    client_id = "lt-" + secrets.token_hex(12)
    secret = secrets.token_urlsafe(32)
    client = PactClient(
        organization_id=organization.id,
        name=name.strip(),
        client_id=client_id,
        secret_sha256=_sha256(secret),
        created_by=actor,
    )
    session.add(client)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="create",
        entity="pact_client",
        entity_key=client_id,
        after={"name": client.name, "organization_id": organization.id},
    )
    return client_id, secret, client


def revoke_client(
    session: Session, organization: Organization, client_id: str, *, actor: str
) -> PactClient:
    """Revoke a client of ``organization`` and end its tokens."""
    client = session.scalars(
        select(PactClient).where(
            PactClient.client_id == client_id, PactClient.organization_id == organization.id
        )
    ).first()
    if client is None:
        rule = Message("no such PACT client in this organization")
        raise InputError(InputProblem(_CLIENT, "client_id", client_id, rule))
    if client.revoked_at is None:
        client.revoked_at = utc_now()
        for token in session.scalars(
            select(PactAccessToken).where(PactAccessToken.client_id == client.id)
        ):
            session.delete(token)
        audit.record(
            session,
            actor=actor,
            action="revoke",
            entity="pact_client",
            entity_key=client_id,
            after={"revoked_at": client.revoked_at},
        )
    return client


def issue_token(
    session: Session,
    client_id: str,
    secret: str,
    *,
    lifetime: timedelta = TOKEN_LIFETIME,
    now: datetime | None = None,
) -> tuple[str, int] | None:
    """A bearer token and its lifetime [s] for valid, unrevoked credentials, else None."""
    client = session.scalars(select(PactClient).where(PactClient.client_id == client_id)).first()
    expected = client.secret_sha256 if client else _sha256(secrets.token_hex(16))
    if not hmac.compare_digest(expected, _sha256(secret)) or client is None:
        return None
    if client.revoked_at is not None:
        return None
    now = now or utc_now()
    for old in session.scalars(
        select(PactAccessToken).where(
            PactAccessToken.client_id == client.id, PactAccessToken.expires_at <= now
        )
    ):
        session.delete(old)
    token = secrets.token_urlsafe(32)
    session.add(
        PactAccessToken(client_id=client.id, token_sha256=_sha256(token), expires_at=now + lifetime)
    )
    return token, int(lifetime.total_seconds())


@dataclass(frozen=True)
class TokenCheck:
    """What a bearer token is: ``client`` when valid, else ``expired`` tells why not."""

    client: PactClient | None
    expired: bool = False


def check_token(session: Session, token: str, *, now: datetime | None = None) -> TokenCheck:
    """The client a bearer token was issued to, if the token is current and its client not
    revoked."""
    found = session.scalars(
        select(PactAccessToken).where(PactAccessToken.token_sha256 == _sha256(token))
    ).first()
    if found is None:
        return TokenCheck(None)
    client = session.get(PactClient, found.client_id)
    if client is None or client.revoked_at is not None:
        return TokenCheck(None)
    if found.expires_at <= (now or utc_now()):
        return TokenCheck(None, expired=True)
    return TokenCheck(client)


# --- Host: published footprints -----------------------------------------------------------


def publish_document(
    session: Session, organization: Organization, document: Any, *, actor: str, where: str
) -> PactFootprint:
    """Publish a v3 ProductFootprint document of ``organization``.

    Footprints named in its ``precedingPfIds`` that the organization published become
    ``Deprecated`` (the one change a published footprint allows).

    Raises
    ------
    InputError
        If the document breaks the v3 data model, is v2, or reuses a footprint id.
    """
    footprint = pact.parse_footprint(document, where)
    if not isinstance(footprint, pact.ProductFootprint):
        rule = Message("lingtan publishes v3 footprints only")
        raise InputError(InputProblem(where, "specVersion", footprint.spec_version, rule))
    served = footprint.document()
    pf_id = served["id"]
    if session.scalars(select(PactFootprint.id).where(PactFootprint.pf_id == pf_id)).first():
        rule = Message("a footprint with this id is already published (a change needs a new id)")
        raise InputError(InputProblem(where, "id", pf_id, rule))
    for preceding in served.get("precedingPfIds", ()):
        older = session.scalars(
            select(PactFootprint).where(
                PactFootprint.pf_id == preceding,
                PactFootprint.organization_id == organization.id,
            )
        ).first()
        if older is not None and older.status != "Deprecated":
            older.status = "Deprecated"
            older.document = {**older.document, "status": "Deprecated"}
            audit.record(
                session,
                actor=actor,
                action="deprecate",
                entity="pact_footprint",
                entity_key=older.pf_id,
                after={"status": "Deprecated", "by": pf_id},
            )
    start, end = pact.validity_period(served)
    row = PactFootprint(
        organization_id=organization.id,
        pf_id=pf_id,
        status=served["status"],
        validity_start=start,
        validity_end=end,
        document=served,
        created_by=actor,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="publish",
        entity="pact_footprint",
        entity_key=pf_id,
        after={"organization_id": organization.id, "document": served},
    )
    return row


def publish(
    session: Session, organization: Organization, *, actor: str, **figures: Any
) -> PactFootprint:
    """Publish a footprint of ``organization`` made from a study's figures.

    ``figures`` are the keyword parameters of
    :func:`lingtan.footprint.pact.footprint_from_figures` (per declared unit, with their
    units in the names); ``company_name`` defaults to the organization's name.
    """
    figures.setdefault("company_name", organization.name)
    footprint = pact.footprint_from_figures(**figures)
    return publish_document(
        session, organization, footprint.document(), actor=actor, where="ProductFootprint"
    )


def footprints(
    session: Session, organization_id: int, criteria: pact.FootprintFilter
) -> list[dict[str, Any]]:
    """The documents ``organization_id`` published that meet ``criteria``, oldest first."""
    rows = session.scalars(
        select(PactFootprint)
        .where(PactFootprint.organization_id == organization_id)
        .order_by(PactFootprint.id)
    )
    return [row.document for row in rows if criteria.matches(row.document)]


# --- Events -------------------------------------------------------------------------------


def receive_event(session: Session, client: PactClient, event: Any) -> PactEvent:
    """Keep a CloudEvent a client posted to ``/3/events`` (structured mode, CloudEvents 1.0).

    A RequestCreated event stays ``open`` until answered (``lingtan pact answer``).

    Raises
    ------
    InputError
        If the event lacks a CloudEvents attribute, is not version 1.0, or has a type the
        specification does not define.
    """
    where = "CloudEvent"
    if not isinstance(event, Mapping):
        rule = Message("a CloudEvent must be a JSON object")
        raise InputError(InputProblem(where, "(body)", type(event).__name__, rule))
    problems = [
        InputProblem(where, name, None, Message("missing"))
        for name in ("specversion", "id", "source", "type", "data")
        if event.get(name) in (None, "")
    ]
    if event.get("specversion") not in (None, "1.0"):
        problems.append(
            InputProblem(where, "specversion", event["specversion"], Message("must be 1.0"))
        )
    kind = event.get("type")
    if kind is not None and kind not in EVENT_TYPES:
        rule = Message("one of %(options)s", options=", ".join(EVENT_TYPES))
        problems.append(InputProblem(where, "type", kind, rule))
    if event.get("data") is not None and not isinstance(event["data"], Mapping):
        problems.append(InputProblem(where, "data", None, Message("must be a JSON object")))
    elif kind in EVENT_TYPES and event.get("data") is not None:
        problems.extend(pact.event_data_problems(kind, event["data"], where))
    if problems:
        raise InputError(problems)
    row = PactEvent(
        organization_id=client.organization_id,
        direction="received",
        event_id=str(event["id"])[:200],
        event_type=kind,
        source=str(event["source"]),
        body=dict(event),
        client_id=client.id,
        state=EVENT_TYPES[kind],
    )
    session.add(row)
    session.flush()
    return row


def request_filter(data: Mapping[str, Any]) -> pact.FootprintFilter:
    """The criteria of a RequestCreated event's ``data`` as a :class:`FootprintFilter`."""

    def texts(name: str) -> tuple[str, ...]:
        value = data.get(name) or ()
        return (value,) if isinstance(value, str) else tuple(map(str, value))

    def time(name: str) -> datetime | None:
        value = data.get(name)
        return pact.parse_time(value) if value else None

    return pact.FootprintFilter(
        product_ids=texts("productId"),
        company_ids=texts("companyId"),
        geography=texts("geography"),
        classification=texts("classification"),
        status=texts("status"),
        valid_on=time("validOn"),
        valid_after=time("validAfter"),
        valid_before=time("validBefore"),
    )


def answer(session: Session, request: PactEvent, *, source: str) -> dict[str, Any]:
    """The CloudEvent answering an open RequestCreated event: RequestFulfilled with the
    matching footprints, else RequestRejected (NotFound). The request is marked with the
    outcome, and the answer kept as a ``sent`` event."""
    data = request.body.get("data") or {}
    found = footprints(session, request.organization_id, request_filter(data))
    fulfilled = bool(found)
    kind = "RequestFulfilledEvent" if fulfilled else "RequestRejectedEvent"
    body: dict[str, Any] = {
        "type": f"org.wbcsd.pact.ProductFootprint.{kind}.3",
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": source,
        "time": pact.time_text(utc_now()),
        "data": {"requestEventId": request.event_id}
        | (
            {"pfs": found}
            if fulfilled
            else {
                "error": {
                    "code": "NotFound",
                    "message": "No footprint meets the request's criteria.",
                }
            }
        ),
    }
    request.state = "fulfilled" if fulfilled else "rejected"
    session.add(
        PactEvent(
            organization_id=request.organization_id,
            direction="sent",
            event_id=body["id"],
            event_type=body["type"],
            source=source,
            body=body,
            client_id=request.client_id,
            state="sent",
        )
    )
    return body


# --- Remote hosts and what is pulled from them --------------------------------------------


def add_remote(
    session: Session,
    organization: Organization,
    *,
    name: str,
    base_url: str,
    client_id: str,
    client_secret: str,
    actor: str,
    auth_base_url: str | None = None,
    api_version: str = "3",
) -> PactRemote:
    """Register another company's PACT host (a supplier's or a customer's).

    Raises
    ------
    InputError
        If the URL is not HTTPS (PACT allows no other; ``http://localhost`` is accepted for
        tests), the version is not 2 or 3, or the name is taken.
    """
    problems = []
    for field, url in (("base_url", base_url), ("auth_base_url", auth_base_url or base_url)):
        local = url.startswith(("http://localhost", "http://127.0.0.1"))
        if not (url.startswith("https://") or local):
            problems.append(InputProblem(_REMOTE, field, url, Message("must be an https:// URL")))
    if api_version not in ("2", "3"):
        problems.append(InputProblem(_REMOTE, "api_version", api_version, Message("2 or 3")))
    if not name.strip() or len(name) > 100:
        problems.append(InputProblem(_REMOTE, "name", name, Message("1 to 100 characters")))
    if session.scalars(
        select(PactRemote.id).where(
            PactRemote.organization_id == organization.id, PactRemote.name == name.strip()
        )
    ).first():
        problems.append(InputProblem(_REMOTE, "name", name, Message("already registered")))
    if problems:
        raise InputError(problems)
    remote = PactRemote(
        organization_id=organization.id,
        name=name.strip(),
        base_url=base_url.rstrip("/"),
        auth_base_url=(auth_base_url or base_url).rstrip("/"),
        client_id=client_id,
        client_secret=client_secret,
        api_version=api_version,
        created_by=actor,
    )
    session.add(remote)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="create",
        entity="pact_remote",
        entity_key=str(remote.id),
        after={"name": remote.name, "base_url": remote.base_url, "api_version": api_version},
    )
    return remote


def store_received(
    session: Session,
    organization: Organization,
    documents: list[tuple[str, Any]],
    *,
    actor: str,
    remote: PactRemote | None = None,
) -> list[PactReceivedFootprint]:
    """Keep received footprints (``(where, document)`` pairs), all or none.

    A footprint already kept (same id) is replaced by the newer copy; a v3 footprint is
    immutable but for its status, so the copy differs at most in that.

    Raises
    ------
    InputError
        Naming every document that breaks the data model (none is then kept).
    """
    parsed, problems = [], []
    for where, document in documents:
        try:
            parsed.append((where, document, pact.parse_footprint(document, where)))
        except InputError as error:
            problems.extend(error.problems)
    if problems:
        raise InputError(problems)
    kept = []
    for where, document, footprint in parsed:
        figures = pact.to_supplier_footprint(footprint)
        row = session.scalars(
            select(PactReceivedFootprint).where(
                PactReceivedFootprint.organization_id == organization.id,
                PactReceivedFootprint.pf_id == figures.id,
            )
        ).first()
        if row is None:
            row = PactReceivedFootprint(organization_id=organization.id, pf_id=figures.id)
            session.add(row)
        row.remote_id = remote.id if remote else None
        row.spec_version = footprint.spec_version
        row.status = footprint.status
        row.company_name = figures.supplier[:200]
        row.product_name = figures.product[:200]
        row.declared_unit = figures.declared_unit
        row.pcf_excluding_biogenic_kgco2e = figures.pcf_excluding_biogenic
        row.document = dict(document)
        row.received_from = where
        row.received_at = utc_now()
        kept.append(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="receive",
        entity="pact_received_footprint",
        entity_key=remote.name if remote else "file",
        after={"organization_id": organization.id, "pf_ids": [row.pf_id for row in kept]},
    )
    return kept
