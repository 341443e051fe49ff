"""Commands for PACT footprint exchange: ``lingtan pact clients|publish|publish-study|footprints|
remotes|pull|receive|received|answer``.

An organization *publishes* ProductFootprints (PACT v3 JSON) that its customers' systems read
from lingtan's host API with the client credentials ``pact clients add`` issues; it *pulls*
its suppliers' footprints from their hosts (``pact remotes add``, ``pact pull``). Refused
input exits with status 2, every problem on stderr and nothing written. See
docs/footprint-pact.md.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from lingtan.cli.common import (
    Column,
    actor,
    emit,
    format_option,
    open_store,
    refusing_bad_input,
    say,
)
from lingtan.errors import InputError, InputProblem, read_text_file
from lingtan.i18n import Message

__all__ = ["pact"]

_ORGANIZATION = click.option("--organization", help="Organization name (default: the only one).")

_CLIENTS = (
    Column("client_id", "client id"),
    Column("name"),
    Column("created_at", "created"),
    Column("revoked_at", "revoked"),
)
_FOOTPRINTS = (
    Column("id"),
    Column("product", "product"),
    Column("status"),
    Column("declared_unit", "declared unit"),
    Column("pcf_excluding_biogenic_kgco2e", "PCF excl. biogenic uptake [kgCO2e]", 4),
    Column("primary_data_share_pct", "primary data share [%]", 1),
    Column("reference_period", "reference period"),
)
_RECEIVED = (
    Column("id"),
    Column("supplier"),
    Column("product"),
    Column("spec_version", "spec version"),
    Column("status"),
    Column("declared_unit", "declared unit"),
    Column("pcf_excluding_biogenic_kgco2e", "PCF excl. biogenic [kgCO2e]", 4),
    Column("received_from", "received from"),
)


@click.group("pact")
def pact() -> None:
    """PACT footprint exchange: publish product footprints to customers over lingtan's PACT
    host, issue their client credentials, and pull suppliers' footprints from their hosts."""


@pact.group("clients")
def clients() -> None:
    """Customers' systems allowed to read the published footprints (OAuth2 client
    credentials)."""


@clients.command("add")
@click.argument("name")
@_ORGANIZATION
@click.pass_context
@refusing_bad_input
def clients_add(ctx: click.Context, name: str, organization: str | None) -> None:
    """Issue client credentials NAME; the secret is shown once."""
    from lingtan.services import pact as service

    with open_store(ctx) as (session, _):
        owner = service.organization_named(session, organization)
        client_id, secret, _client = service.create_client(session, owner, name=name, actor=actor())
    say(Message("client id: %(id)s", id=client_id))
    say(Message("client secret (shown once): %(secret)s", secret=secret))


@clients.command("list")
@_ORGANIZATION
@format_option
@click.pass_context
@refusing_bad_input
def clients_list(ctx: click.Context, organization: str | None, output: str) -> None:
    """The clients of the organization's host."""
    from sqlalchemy import select

    from lingtan.services import pact as service
    from lingtan.store.models import PactClient

    with open_store(ctx, read_only=True) as (session, _):
        owner = service.organization_named(session, organization)
        rows = [
            {
                "client_id": client.client_id,
                "name": client.name,
                "created_at": client.created_at.isoformat(timespec="seconds"),
                "revoked_at": client.revoked_at and client.revoked_at.isoformat(timespec="seconds"),
            }
            for client in session.scalars(
                select(PactClient)
                .where(PactClient.organization_id == owner.id)
                .order_by(PactClient.id)
            )
        ]
    emit(rows, _CLIENTS, output)


@clients.command("revoke")
@click.argument("client_id")
@_ORGANIZATION
@click.pass_context
@refusing_bad_input
def clients_revoke(ctx: click.Context, client_id: str, organization: str | None) -> None:
    """Revoke CLIENT_ID: its tokens end at once."""
    from lingtan.services import pact as service

    with open_store(ctx) as (session, _):
        owner = service.organization_named(session, organization)
        service.revoke_client(session, owner, client_id, actor=actor())
    say(Message("client %(id)s revoked", id=client_id))


def _documents(file: str) -> list[tuple[str, object]]:
    text = read_text_file(file)
    try:
        loaded = json.loads(text)
    except ValueError as error:
        rule = Message("not valid JSON: %(error)s", error=str(error))
        raise InputError(InputProblem(file, "(file)", None, rule)) from None
    if isinstance(loaded, dict) and isinstance(loaded.get("data"), list):
        loaded = loaded["data"]  # a saved ListFootprints answer
    if isinstance(loaded, list):
        return [(f"{Path(file).name} [{index}]", item) for index, item in enumerate(loaded)]
    return [(Path(file).name, loaded)]


@pact.command("publish")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@_ORGANIZATION
@click.pass_context
@refusing_bad_input
def publish(ctx: click.Context, file: str, organization: str | None) -> None:
    """Publish the PACT v3 ProductFootprint(s) of FILE (JSON: one, a list, or {"data": [...]}),
    all or none."""
    from lingtan.services import pact as service

    documents = _documents(file)
    problems = []
    with open_store(ctx) as (session, _):
        owner = service.organization_named(session, organization)
        published = []
        for where, document in documents:
            try:
                published.append(
                    service.publish_document(
                        session, owner, document, actor=actor(), where=where
                    ).pf_id
                )
            except InputError as error:
                problems.extend(error.problems)
        if problems:
            raise InputError(problems)
    say(Message("%(file)s: %(n)s footprint(s) published", file=file, n=len(published)))


@pact.command("publish-study")
@click.argument("study_file", metavar="STUDY", type=click.Path(dir_okay=False))
@click.option(
    "--suppliers",
    type=click.Path(dir_okay=False),
    help="A supplier footprint file (CSV) for the BOM's pact:<id> links, besides the "
    "footprints received over PACT.",
)
@_ORGANIZATION
@click.pass_context
@refusing_bad_input
def publish_study(
    ctx: click.Context, study_file: str, suppliers: str | None, organization: str | None
) -> None:
    """Publish the result of the study in STUDY (YAML) as a PACT v3 ProductFootprint, served
    at /3/footprints: its figures per declared unit as lingtan footprint calc gives them, the
    product's ids, mass and carbon content from the study's pact section. The organization's
    earlier footprint of the product is deprecated."""
    from lingtan.footprint.background import read_supplier_file
    from lingtan.footprint.study import read_study_file
    from lingtan.imports.load import facility_by_code
    from lingtan.services import pact as service
    from lingtan.services.footprint_pact import publish_study as publish
    from lingtan.services.footprint_result import study_footprint

    study = read_study_file(study_file)
    received = read_supplier_file(suppliers) if suppliers else None
    with open_store(ctx) as (session, _):
        owner = service.organization_named(session, organization)
        facility = facility_by_code(session, study.facility)
        found = study_footprint(session, study, suppliers=received)
        row = publish(session, owner, found, facility, actor=actor())
        document = row.document
    pcf = document["pcf"]
    say(
        Message(
            "%(id)s published: %(pcf)s kg CO2e per %(amount)s %(unit)s (excluding biogenic uptake)",
            id=document["id"],
            pcf=pcf["pcfExcludingBiogenicUptake"],
            amount=pcf["declaredUnitAmount"],
            unit=pcf["declaredUnitOfMeasurement"],
        )
    )
    for older in document.get("precedingPfIds", ()):
        say(Message("%(id)s deprecated", id=older))


def _figures(document: dict, pf_id: str) -> dict:
    pcf = document["pcf"]
    share = pcf.get("primaryDataShare")
    return {
        "id": pf_id,
        "product": document.get("productNameCompany"),
        "status": document.get("status"),
        "declared_unit": f"{pcf['declaredUnitAmount']} {pcf['declaredUnitOfMeasurement']}",
        "pcf_excluding_biogenic_kgco2e": float(pcf["pcfExcludingBiogenicUptake"]),
        "primary_data_share_pct": None if share is None else float(share),
        "reference_period": f"{pcf['referencePeriodStart']} – {pcf['referencePeriodEnd']}",
    }


@pact.command("footprints")
@_ORGANIZATION
@format_option
@click.pass_context
@refusing_bad_input
def footprints(ctx: click.Context, organization: str | None, output: str) -> None:
    """The footprints the organization publishes (JSON: the ProductFootprint documents)."""
    from lingtan.footprint.pact import FootprintFilter
    from lingtan.services import pact as service

    with open_store(ctx, read_only=True) as (session, _):
        owner = service.organization_named(session, organization)
        documents = service.footprints(session, owner.id, FootprintFilter())
    rows = [_figures(document, document["id"]) for document in documents]
    emit(rows, _FOOTPRINTS, output, document=documents if output == "json" else None)


@pact.group("remotes")
def remotes() -> None:
    """Other companies' PACT hosts: suppliers' to pull from, customers' to answer."""


@remotes.command("add")
@click.argument("name")
@click.option("--url", "base_url", required=True, help="The host's base URL (https://…).")
@click.option("--auth-url", help="Where its /auth/token is, when not under --url.")
@click.option("--client-id", required=True, help="The client id the company gave.")
@click.option(
    "--client-secret", prompt=True, hide_input=True, help="Its secret (asked when not given)."
)
@click.option(
    "--api-version", type=click.Choice(["3", "2"]), default="3", show_default=True,
    help="The host's PACT API: 3, or 2 for a v2.3 host.",
)  # fmt: skip
@_ORGANIZATION
@click.pass_context
@refusing_bad_input
def remotes_add(
    ctx: click.Context,
    name: str,
    base_url: str,
    auth_url: str | None,
    client_id: str,
    client_secret: str,
    api_version: str,
    organization: str | None,
) -> None:
    """Register the PACT host NAME."""
    from lingtan.services import pact as service

    with open_store(ctx) as (session, _):
        owner = service.organization_named(session, organization)
        service.add_remote(
            session,
            owner,
            name=name,
            base_url=base_url,
            auth_base_url=auth_url,
            client_id=client_id,
            client_secret=client_secret,
            api_version=api_version,
            actor=actor(),
        )
    say(Message("PACT host %(name)s registered", name=name))


@pact.command("pull")
@click.argument("name")
@_ORGANIZATION
@click.pass_context
@refusing_bad_input
def pull(ctx: click.Context, name: str, organization: str | None) -> None:
    """Pull every footprint the host NAME lets the organization read, all or none."""
    from lingtan.services import pact as service
    from lingtan.services import pact_client

    with open_store(ctx) as (session, _):
        owner = service.organization_named(session, organization)
        kept = pact_client.pull(session, owner, name, actor=actor())
    say(Message("%(name)s: %(n)s footprint(s) kept", name=name, n=len(kept)))


@pact.command("receive")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@_ORGANIZATION
@click.pass_context
@refusing_bad_input
def receive(ctx: click.Context, file: str, organization: str | None) -> None:
    """Keep the suppliers' footprints of FILE (PACT v3 or v2.3 JSON: one, a list, or
    {"data": [...]}), all or none."""
    from lingtan.services import pact as service

    documents = _documents(file)
    with open_store(ctx) as (session, _):
        owner = service.organization_named(session, organization)
        kept = service.store_received(session, owner, documents, actor=actor())
    say(Message("%(name)s: %(n)s footprint(s) kept", name=file, n=len(kept)))


@pact.command("received")
@_ORGANIZATION
@format_option
@click.pass_context
@refusing_bad_input
def received(ctx: click.Context, organization: str | None, output: str) -> None:
    """The suppliers' footprints pulled or read, with their figures."""
    from sqlalchemy import select

    from lingtan.services import pact as service
    from lingtan.store.models import PactReceivedFootprint

    with open_store(ctx, read_only=True) as (session, _):
        owner = service.organization_named(session, organization)
        rows = [
            {
                "id": row.pf_id,
                "supplier": row.company_name,
                "product": row.product_name,
                "spec_version": row.spec_version,
                "status": row.status,
                "declared_unit": row.declared_unit,
                "pcf_excluding_biogenic_kgco2e": row.pcf_excluding_biogenic_kgco2e,
                "received_from": row.received_from,
            }
            for row in session.scalars(
                select(PactReceivedFootprint)
                .where(PactReceivedFootprint.organization_id == owner.id)
                .order_by(PactReceivedFootprint.id)
            )
        ]
    emit(rows, _RECEIVED, output)


@pact.command("answer")
@_ORGANIZATION
@click.pass_context
@refusing_bad_input
def answer(ctx: click.Context, organization: str | None) -> None:
    """Answer the open footprint requests received at /3/events: RequestFulfilled with the
    matching footprints, else RequestRejected, sent to the registered host of each request."""
    from lingtan.services import pact as service
    from lingtan.services import pact_client

    with open_store(ctx) as (session, _):
        owner = service.organization_named(session, organization)
        outcomes = pact_client.answer_requests(session, owner, actor=actor())
    outcomes_ = {
        "fulfilled": Message("fulfilled"),
        "rejected": Message("rejected: no footprint meets its criteria"),
        "no host": Message(
            "left open: register the host of its source with `lingtan pact remotes add`"
        ),
    }
    for request, outcome in outcomes:
        said = outcomes_[outcome]
        say(Message("request %(id)s: %(outcome)s", id=request.event_id, outcome=said))
    if not outcomes:
        say(Message("no open footprint request"))
