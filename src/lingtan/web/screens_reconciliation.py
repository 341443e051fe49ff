"""The "why these differ" block of the overview and the energy page: the inventory's energy
against the meters', as the API gives it (:mod:`lingtan.web.api_reconciliation`), shown by
``templates/_reconciliation.html``."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session

from lingtan.store.models import Facility
from lingtan.web import api_reconciliation, i18n
from lingtan.web.accounts import Principal
from lingtan.web.deps import ApiError

__all__ = ["reconciliation_block"]


def reconciliation_block(
    request: Request,
    session: Session,
    who: Principal,
    site: Facility,
    year: int | None,
    month: int | None = None,
) -> dict[str, Any] | None:
    """The reconciliation of ``year`` (or of one month) and the names its template needs;
    None when the year has no inventory or the facility no meters, or when neither counts any
    energy in the period (a month before the meters or after the data: nothing to explain)."""
    if year is None:
        return None
    try:
        data = api_reconciliation.reconciliation(request, session, who, site.code, year, month)
    except ApiError as error:
        if error.status != 404:
            raise
        return None
    if not any(data[k] for k in ("invoice_tce", "meter_tce", "invoice_tco2e", "meter_tco2")):
        return None
    t = i18n.texts(i18n.language(request))
    return {**data, "type_name": i18n.named(t, "energy.type")}
