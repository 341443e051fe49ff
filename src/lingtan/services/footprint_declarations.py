"""The declarations of a footprint study, shown and issued: the EU Battery Regulation's carbon
footprint declaration of the battery the study's product goes into, and the CBAM communication
of the installation, where the study names their files (``battery``, ``cbam``).

:func:`study_declarations` computes their figures as ``lingtan footprint battery FILE --study
STUDY`` and ``lingtan footprint cbam FILE`` give them (the battery's stages from the study's
result scaled to its usable energy); a file that is refused is named with its problems and
does not stop the study's page. :func:`issue_declaration` stores the figures as they are now,
with the SHA-256 of the study file, of the declaration file and of the figures' canonical JSON,
who and when; an issued declaration is never changed (issuing again stores a new one) and each
is in the audit log.

References
----------
.. [1] Regulation (EU) 2023/1542, Article 7 and Annex II (battery carbon footprint declaration).
.. [2] Regulation (EU) 2023/956, Annex IV, and the Commission's communication template for
   installations (CBAM).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lingtan.errors import InputError, InputProblem, one_of
from lingtan.footprint.declaration_files import (
    battery_document,
    battery_rows,
    cbam_document,
    read_battery_file,
    read_cbam_file,
)
from lingtan.i18n import Message
from lingtan.services.audit_check import result_digest
from lingtan.services.footprint_result import StudyFootprint
from lingtan.services.footprint_studies import StudyFile
from lingtan.store import audit
from lingtan.store.models import Facility, FootprintDeclaration

__all__ = [
    "KINDS",
    "declaration_row",
    "facility_declarations",
    "issue_declaration",
    "study_declarations",
]

#: The declarations a study can issue.
KINDS = ("battery", "cbam")


def study_declarations(found: StudyFootprint) -> dict[str, Any]:
    """The figures of the declarations ``found``'s study names, by kind: for each, ``file``
    (its name), ``document`` (the JSON of ``lingtan footprint battery|cbam``; the battery's
    also ``rows`` by stage) or ``problems`` when the file is refused; None for a kind the study
    names no file of."""
    study = found.study
    out: dict[str, Any] = {"battery": None, "cbam": None}
    if study.battery is not None:
        try:
            declared = read_battery_file(
                study.battery, lambda battery: found.stages_for_energy(battery.usable_energy_kwh)
            )
        except InputError as error:
            out["battery"] = _refused(study.battery, error)
        else:
            out["battery"] = {
                "file": study.battery.name,
                "document": battery_document(declared, study.battery.name),
                "rows": battery_rows(declared),
                "problems": [],
            }
    if study.cbam is not None:
        try:
            communication = read_cbam_file(study.cbam)
        except InputError as error:
            out["cbam"] = _refused(study.cbam, error)
        else:
            out["cbam"] = {
                "file": study.cbam.name,
                "document": cbam_document(communication, study.cbam.name),
                "problems": [],
            }
    return out


def _refused(path: Path, error: InputError) -> dict[str, Any]:
    return {"file": path.name, "document": None, "problems": [p.as_dict() for p in error.problems]}


def issue_declaration(
    session: Session,
    facility: Facility,
    entry: StudyFile,
    declarations: dict[str, Any],
    kind: str,
    *,
    actor: str,
) -> FootprintDeclaration:
    """Store the ``kind`` declaration of ``declarations`` (:func:`study_declarations` of the
    study ``entry``) as issued by ``actor`` now, with its audit entry (``issue``, entity
    ``footprint_declaration``).

    Raises
    ------
    InputError
        An unknown kind; a study that names no file of that kind, or whose file is refused
        (nothing is written).
    """
    where = Message("declaration")
    if kind not in KINDS:
        raise InputError(InputProblem(where, "kind", kind, one_of(KINDS)))
    found = declarations.get(kind)
    if found is None:
        rule = (
            Message("the study names no battery declaration file")
            if kind == "battery"
            else Message("the study names no CBAM communication file")
        )
        raise InputError(InputProblem(where, "kind", kind, rule))
    if found["document"] is None:
        rule = Message("the study's file %(file)s is refused: see its problems", file=found["file"])
        raise InputError(InputProblem(where, "kind", kind, rule))
    assert entry.study is not None
    source = entry.study.battery if kind == "battery" else entry.study.cbam
    assert source is not None
    figures = audit.to_jsonable(found["document"])
    row = FootprintDeclaration(
        facility_id=facility.id,
        kind=kind,
        study_id=entry.id,
        study_name=entry.study.name,
        study_sha256=entry.sha256(),
        source_file=source.name,
        source_sha256=hashlib.sha256(source.read_bytes()).hexdigest(),
        figures=figures,
        figures_sha256=result_digest(figures),
        issued_by=actor,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="issue",
        entity="footprint_declaration",
        entity_key=str(row.id),
        after={k: v for k, v in declaration_row(row, facility).items() if k != "figures"},
    )
    return row


def declaration_row(row: FootprintDeclaration, facility: Facility) -> dict[str, Any]:
    """An issued declaration as the API and the page give it: the headline figure
    (``kg_co2e_per_kwh`` of a battery; ``see_total_tco2e_per_t`` of each CBAM good) and all
    its figures."""
    figures = row.figures
    if row.kind == "battery":
        headline = {"kg_co2e_per_kwh": figures["carbon_footprint_kg_co2e_per_kwh"]}
        subject = f"{figures['model']} ({figures['plant']})"
    else:
        headline = {
            "see_total_tco2e_per_t": {g["cn_code"]: g["see_total"] for g in figures["goods"]}
        }
        subject = figures["installation"]["name"]
    return {
        "id": row.id,
        "facility": facility.code,
        "kind": row.kind,
        "subject": subject,
        "study_id": row.study_id,
        "study_name": row.study_name,
        "study_sha256": row.study_sha256,
        "source_file": row.source_file,
        "source_sha256": row.source_sha256,
        "figures_sha256": row.figures_sha256,
        "issued_by": row.issued_by,
        "issued_at": row.issued_at.isoformat(),
        **headline,
        "figures": figures,
    }


def facility_declarations(
    session: Session, facility: Facility, study_id: str | None = None
) -> list[dict[str, Any]]:
    """The declarations issued for ``facility`` (of one study if ``study_id``), newest first."""
    query = select(FootprintDeclaration).where(FootprintDeclaration.facility_id == facility.id)
    if study_id is not None:
        query = query.where(FootprintDeclaration.study_id == study_id)
    rows = session.scalars(query.order_by(FootprintDeclaration.id.desc())).all()
    return [declaration_row(row, facility) for row in rows]
