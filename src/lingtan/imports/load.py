"""Writing a checked activity file into the store: all or nothing, idempotent, never overwriting.

:func:`import_file` parses the file (:mod:`lingtan.imports.parse`), compares it with what the
store already holds, and writes it in the caller's transaction:

* a record with the same key (source, period) and the same values is left as it is, so
  importing a file again changes nothing;
* the same key with a different value is a conflict: the whole file is refused, naming both;
* facility, sources, instruments and products are created when new and must match when known.

The caller commits (``session_scope``): any error leaves the database unchanged.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from lingtan.errors import InputError, InputProblem, Problems
from lingtan.i18n import Message
from lingtan.imports.parse import ActivityRow, ParsedFile, parse_file
from lingtan.imports.text import file_sha256
from lingtan.store import audit
from lingtan.store.evidence import EvidenceStore
from lingtan.store.factor_sets import library_for
from lingtan.store.models import (
    ActivityEvidence,
    ActivityRecord,
    Evidence,
    Facility,
    ImportBatch,
    Instrument,
    Organization,
    Product,
    ProductionRecord,
    ProductionUnit,
    Source,
)

__all__ = ["ImportSummary", "facility_by_code", "import_file"]


@dataclass
class ImportSummary:
    batch_id: int
    facility_code: str
    rows_read: int
    added: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)


def facility_by_code(session: Session, code: str | None) -> Facility:
    """The facility with ``code``, or the only one when ``code`` is None."""
    if code is None:
        facilities = session.scalars(select(Facility)).all()
        if len(facilities) == 1:
            return facilities[0]
        names = ", ".join(f.code for f in facilities) or Message("none yet")
        rule = Message("name the facility (--facility); facilities: %(names)s", names=names)
        raise InputError(InputProblem(Message("import"), "facility", None, rule))
    found = session.scalars(select(Facility).where(Facility.code == code).limit(2)).all()
    if len(found) != 1:
        rule = (
            Message("no such facility: import a workbook with its Facility sheet first")
            if not found
            else Message(
                "several organizations have a facility with this code: use the web API, "
                "which knows whose it is"
            )
        )
        raise InputError(InputProblem(Message("import"), "facility", code, rule))
    return found[0]


def organization_by_name(session: Session, name: str | None, where: str) -> Organization:
    """The organization of this name, or the only one in the store when ``name`` is None.

    Raises
    ------
    InputError
        Naming ``where`` (what asked: a user, a PACT client …) and the organizations known,
        if there is no such organization, or ``name`` is None and there are several.
    """
    if name is None:
        found = session.scalars(select(Organization).limit(2)).all()
        organization = found[0] if len(found) == 1 else None
    else:
        statement = select(Organization).where(Organization.name == name)
        organization = session.scalars(statement).first()
    if organization is None:
        known = ", ".join(session.scalars(select(Organization.name).order_by(Organization.name)))
        known_ = known or Message("none yet: import a workbook first")
        rule = (
            Message("no such organization (known: %(known)s)", known=known_)
            if name is not None
            else Message("name the organization (known: %(known)s)", known=known_)
        )
        raise InputError(InputProblem(where, "organization", name, rule))
    return organization


def record_file_import(
    session: Session,
    facility: Facility,
    path: Path,
    where: str,
    *,
    rows_read: int,
    rows_added: int,
    actor: str,
    evidence: EvidenceStore,
) -> tuple[ImportBatch, Evidence]:
    """The import batch of a file written whole (a register, a list of measures, a bill of
    materials) and the file kept as the facility's organization's evidence, both flushed."""
    batch = ImportBatch(
        facility_id=facility.id,
        filename=where,
        sha256=file_sha256(path),
        rows_read=rows_read,
        rows_added=rows_added,
        actor=actor,
    )
    session.add(batch)
    session.flush()
    kept = evidence.put(session, path, where, organization_id=facility.organization_id)
    return batch, kept


def _same(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)


def import_file(
    session: Session,
    path: str | Path,
    *,
    evidence: EvidenceStore,
    actor: str,
    facility_code: str | None = None,
    max_rows: int | None = None,
) -> ImportSummary:
    """Import an activity file into the store (see the module documentation); ``max_rows``
    is the most data rows it may hold (:func:`lingtan.imports.parse.parse_file`).

    Raises
    ------
    InputError
        With every problem of the file, including conflicts with stored data; nothing written.
    """
    path = Path(path)

    def sources_of(code: str | None) -> dict[str, tuple[str, dict[str, Any]]]:
        if code is None:  # no Facility sheet and no --facility: the only facility, if one
            facilities = session.scalars(select(Facility)).all()
            facility = facilities[0] if len(facilities) == 1 else None
        else:
            facility = session.scalars(select(Facility).where(Facility.code == code)).first()
        if facility is None:
            return {}
        return {s.code: (s.kind, dict(s.params)) for s in facility.sources}

    parsed = parse_file(
        path,
        facility_code=facility_code,
        sources_of=sources_of,
        max_rows=max_rows,
        library=library_for(session),
    )
    problems = Problems()
    facility = _facility(session, parsed, facility_code, problems, actor)
    if facility is None:
        raise InputError(problems, origin=str(path))
    summary = ImportSummary(0, facility.code, parsed.rows_read)
    sources = _sources(session, facility, parsed, problems, summary)
    new_records = _new_records(session, sources, parsed, problems, summary)
    new_instruments = _new_instruments(session, facility, parsed, problems, summary)
    new_production = _new_production(session, facility, parsed, problems, summary)
    if problems:
        raise InputError(problems, origin=str(path))
    if not any(summary.added.values()):
        return summary  # everything was already stored: the import changes nothing

    batch = ImportBatch(
        facility_id=facility.id,
        filename=path.name,
        sha256=parsed.sha256,
        rows_read=parsed.rows_read,
        rows_added=sum(summary.added.values()),
        actor=actor,
    )
    session.add(batch)
    session.flush()
    summary.batch_id = batch.id
    stored: dict[Path, int] = {}

    def evidence_id(file: Path) -> int:
        if file not in stored:
            row = evidence.put(session, file, file.name, organization_id=facility.organization_id)
            stored[file] = row.id
        return stored[file]

    if new_records:
        rows = [
            {
                "source_id": sources[r.source_code].id,
                "period_start": r.period_start,
                "period_end": r.period_end,
                "quantity": r.quantity,
                "unit": r.unit,
                "origin": r.origin,
                "quality_note": r.quality_note,
                "params": r.params,
                "import_id": batch.id,
            }
            for r in new_records
        ]
        # Core executemany without RETURNING: SQLite would otherwise insert row by row
        session.execute(insert(ActivityRecord.__table__), rows)
        with_evidence = [r for r in new_records if r.evidence]
        if with_evidence:
            ids = {
                (source_id, start, end): record_id
                for record_id, source_id, start, end in session.execute(
                    select(
                        ActivityRecord.id,
                        ActivityRecord.source_id,
                        ActivityRecord.period_start,
                        ActivityRecord.period_end,
                    ).where(ActivityRecord.import_id == batch.id)
                )
            }
            links = [
                {
                    "activity_id": ids[(sources[r.source_code].id, r.period_start, r.period_end)],
                    "evidence_id": evidence_id(file),
                }
                for r in with_evidence
                for file in r.evidence
            ]
            session.execute(insert(ActivityEvidence.__table__), links)
    for row in new_instruments:
        session.add(
            Instrument(
                facility_id=facility.id,
                code=row.code,
                kind=row.kind,
                period_start=row.period_start,
                period_end=row.period_end,
                quantity=row.quantity,
                unit=row.unit,
                serial=row.serial,
                sources=list(row.sources),
                import_id=batch.id,
                evidence_id=evidence_id(row.evidence) if row.evidence else None,
            )
        )
    for product, row in new_production:
        session.add(
            ProductionRecord(
                product_id=product.id,
                period_start=row.period_start,
                period_end=row.period_end,
                quantity=row.quantity,
                import_id=batch.id,
            )
        )
    audit.record(
        session,
        actor=actor,
        action="import",
        entity="import_batch",
        entity_key=str(batch.id),
        after={
            "facility": facility.code,
            "file": path.name,
            "sha256": parsed.sha256,
            "rows_read": parsed.rows_read,
            "added": summary.added,
            "unchanged": summary.unchanged,
        },
    )
    session.flush()
    return summary


def _facility(
    session: Session,
    parsed: ParsedFile,
    code: str | None,
    problems: list[InputProblem],
    actor: str,
) -> Facility | None:
    row = parsed.facility
    if row is None:
        try:
            return facility_by_code(session, code)
        except InputError as exc:
            problems += exc.problems
            return None
    organization = session.scalars(
        select(Organization).where(Organization.name == row.organization)
    ).first()
    if organization is None:
        organization = Organization(name=row.organization)
        session.add(organization)
        session.flush()
    facility = session.scalars(select(Facility).where(Facility.code == row.code)).first()
    if facility is not None and facility.organization_id != organization.id:
        problems.append(
            InputProblem(
                row.where,
                "code",
                row.code,
                Message(
                    "is the code of a facility of another organization: facility codes are unique"
                ),
            )
        )
        return None
    wanted = {
        "name": row.name,
        "region": row.region,
        "industry_code": row.industry_code,
        "industry_name": row.industry_name,
        "boundary": row.boundary,
    }
    if row.time_zone:
        wanted["time_zone"] = row.time_zone
    if facility is None:
        facility = Facility(organization_id=organization.id, code=row.code, **wanted)
        session.add(facility)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="create",
            entity="facility",
            entity_key=row.code,
            after={"organization": row.organization, **wanted},
        )
        return facility
    for name, value in wanted.items():
        if value is not None and getattr(facility, name) != value:
            problems.append(
                InputProblem(
                    row.where,
                    name,
                    value,
                    Message(
                        "differs from the stored facility (%(stored)r); "
                        "facility data are not overwritten by an import",
                        stored=getattr(facility, name),
                    ),
                )
            )
    return facility


def _sources(
    session: Session,
    facility: Facility,
    parsed: ParsedFile,
    problems: list[InputProblem],
    summary: ImportSummary,
) -> dict[str, Source]:
    sources = {s.code: s for s in facility.sources}
    units = {u.code: u for u in facility.units}
    added = unchanged = 0
    for row in parsed.sources:
        existing = sources.get(row.code)
        if existing is not None:
            if existing.kind != row.kind or dict(existing.params) != row.params:
                problems.append(
                    InputProblem(
                        row.where,
                        "source_id",
                        row.code,
                        Message(
                            "is stored as %(stored_kind)s %(stored_params)s; the file has "
                            "%(kind)s %(params)s: sources are not overwritten",
                            stored_kind=existing.kind,
                            stored_params=str(dict(existing.params)),
                            kind=row.kind,
                            params=str(row.params),
                        ),
                    )
                )
            else:
                unchanged += 1
            continue
        unit = None
        if row.production_unit:
            unit = units.get(row.production_unit)
            if unit is None:
                unit = ProductionUnit(
                    facility_id=facility.id,
                    code=row.production_unit,
                    name=row.production_unit,
                    kind="workshop",
                )
                session.add(unit)
                session.flush()
                units[row.production_unit] = unit
        source = Source(
            facility_id=facility.id,
            code=row.code,
            kind=row.kind,
            name=row.name,
            params=row.params,
            production_unit_id=unit.id if unit else None,
        )
        session.add(source)
        sources[row.code] = source
        added += 1
    session.flush()
    summary.added["sources"], summary.unchanged["sources"] = added, unchanged
    return sources


@dataclass(frozen=True)
class _Stored:
    """What an import compares of a stored activity record."""

    id: int
    quantity: float
    unit: str
    origin: str
    quality_note: str | None
    params: dict[str, Any] | None


def _differences(
    previous: _Stored, record: ActivityRow, evidence: set[str], incoming: set[str]
) -> Message | None:
    """The fields in which an imported record differs from the stored one, with their
    stored values (``quantity 10 t; origin invoice``), or None when it does not."""
    differ = []
    if not _same(previous.quantity, record.quantity) or previous.unit != record.unit:
        quantity = f"{previous.quantity:g}"
        differ.append(
            Message("quantity %(quantity)s %(unit)s", quantity=quantity, unit=previous.unit)
        )
    if previous.origin != record.origin:
        differ.append(Message("origin %(origin)s", origin=previous.origin))
    if (previous.quality_note or None) != (record.quality_note or None):
        differ.append(Message("quality note %(note)r", note=previous.quality_note))
    if (previous.params or None) != (record.params or None):
        differ.append(Message("measured parameters %(params)s", params=str(previous.params)))
    if evidence != incoming:
        hashes = str(sorted(h[:12] for h in evidence)) if evidence else Message("none")
        differ.append(Message("evidence %(hashes)s", hashes=hashes))
    return (
        functools.reduce(
            lambda head, tail: Message("%(head)s; %(tail)s", head=head, tail=tail), differ
        )
        if differ
        else None
    )


def _new_records(
    session: Session,
    sources: dict[str, Source],
    parsed: ParsedFile,
    problems: list[InputProblem],
    summary: ImportSummary,
) -> list[ActivityRow]:
    codes = {s.id: code for code, s in sources.items()}
    stored: dict[tuple[str, date, date], _Stored] = {}
    if codes:
        query = select(
            ActivityRecord.source_id,
            ActivityRecord.period_start,
            ActivityRecord.period_end,
            ActivityRecord.id,
            ActivityRecord.quantity,
            ActivityRecord.unit,
            ActivityRecord.origin,
            ActivityRecord.quality_note,
            ActivityRecord.params,
        ).where(ActivityRecord.source_id.in_(list(codes)))
        for source_id, start, end, *values in session.execute(query):
            stored[(codes[source_id], start, end)] = _Stored(*values)
    new, repeated = [], []
    for record in parsed.activity:
        previous = stored.get((record.source_code, record.period_start, record.period_end))
        if previous is None:
            new.append(record)
        else:
            repeated.append((previous, record))
    evidence: dict[int, set[str]] = defaultdict(set)
    ids = [previous.id for previous, _ in repeated]
    for chunk in range(0, len(ids), 10_000):
        query = (
            select(ActivityEvidence.activity_id, Evidence.sha256)
            .join(Evidence, Evidence.id == ActivityEvidence.evidence_id)
            .where(ActivityEvidence.activity_id.in_(ids[chunk : chunk + 10_000]))
        )
        for activity_id, sha256 in session.execute(query):
            evidence[activity_id].add(sha256)
    for previous, record in repeated:
        incoming = {file_sha256(file) for file in record.evidence}
        differ = _differences(previous, record, evidence[previous.id], incoming)
        if differ:
            problems.append(
                InputProblem(
                    record.where,
                    "quantity",
                    f"{record.quantity:g} {record.unit}",
                    Message(
                        "conflicts with the stored record of %(source)s for %(start)s..%(end)s "
                        "(stored: %(stored)s): correct it explicitly, an import never overwrites",
                        source=record.source_code,
                        start=str(record.period_start),
                        end=str(record.period_end),
                        stored=differ,
                    ),
                )
            )
    spans: dict[str, list[tuple[date, date, ActivityRow | None]]] = defaultdict(list)
    for code, start, end in stored:
        spans[code].append((start, end, None))
    for record in new:
        spans[record.source_code].append((record.period_start, record.period_end, record))
    _overlaps(spans, "source", problems)
    summary.added["activity"] = len(new)
    summary.unchanged["activity"] = len(repeated)
    return new


def _overlaps(
    spans: dict[str, list[tuple[date, date, Any]]], what: str, problems: list[InputProblem]
) -> None:
    """Refuse new periods (those with the row they were read from, which has a ``where``)
    that overlap another period of the same source or product (stored ones have None): the
    overlap would be counted twice."""
    for code, periods in spans.items():
        periods.sort(key=lambda span: (span[0], span[1]))
        for (start1, end1, row1), (start2, end2, row2) in itertools.pairwise(periods):
            if start2 <= end1 and (row1 or row2):
                row = row2 or row1
                other = Message("a stored record") if not (row1 and row2) else row1.where
                span = {"start": str(start1), "end": str(end1), "code": code, "other": other}
                rule = (
                    Message(
                        "overlaps %(start)s..%(end)s of source %(code)s (%(other)s): "
                        "it would be counted twice",
                        **span,
                    )
                    if what == "source"
                    else Message(
                        "overlaps %(start)s..%(end)s of product %(code)s (%(other)s): "
                        "it would be counted twice",
                        **span,
                    )
                )
                problems.append(InputProblem(row.where, "period", f"{start2}..{end2}", rule))


def _new_instruments(session, facility, parsed, problems, summary) -> list:
    stored = {
        i.code: i
        for i in session.scalars(select(Instrument).where(Instrument.facility_id == facility.id))
    }
    new = []
    for row in parsed.instruments:
        existing = stored.get(row.code)
        if existing is None:
            new.append(row)
            continue
        same = (existing.kind, existing.period_start, existing.period_end, existing.unit) == (
            row.kind,
            row.period_start,
            row.period_end,
            row.unit,
        ) and _same(existing.quantity, row.quantity)
        if not same:
            problems.append(
                InputProblem(
                    row.where,
                    "instrument_id",
                    row.code,
                    Message(
                        "conflicts with the stored instrument (%(quantity)s %(unit)s, "
                        "%(start)s..%(end)s)",
                        quantity=f"{existing.quantity:g}",
                        unit=existing.unit,
                        start=str(existing.period_start),
                        end=str(existing.period_end),
                    ),
                )
            )
    summary.added["instruments"] = len(new)
    summary.unchanged["instruments"] = len(parsed.instruments) - len(new)
    return new


def _new_production(session, facility, parsed, problems, summary) -> list:
    products = {
        p.code: p
        for p in session.scalars(select(Product).where(Product.facility_id == facility.id))
    }
    new = []
    for row in parsed.production:
        product = products.get(row.product)
        if product is None:
            product = Product(
                facility_id=facility.id, code=row.product, name=row.product_name, unit=row.unit
            )
            session.add(product)
            session.flush()
            products[row.product] = product
        elif product.unit != row.unit:
            problems.append(
                InputProblem(
                    row.where,
                    "unit",
                    row.unit,
                    Message(
                        "the product %(product)s is counted in %(unit)s",
                        product=row.product,
                        unit=product.unit,
                    ),
                )
            )
            continue
        existing = session.scalars(
            select(ProductionRecord).where(
                ProductionRecord.product_id == product.id,
                ProductionRecord.period_start == row.period_start,
                ProductionRecord.period_end == row.period_end,
            )
        ).first()
        if existing is None:
            new.append((product, row))
        elif not _same(existing.quantity, row.quantity):
            problems.append(
                InputProblem(
                    row.where,
                    "quantity",
                    row.quantity,
                    Message(
                        "conflicts with the stored output %(quantity)s %(unit)s",
                        quantity=f"{existing.quantity:g}",
                        unit=row.unit,
                    ),
                )
            )
    spans: dict[str, list[tuple[date, date, Any]]] = defaultdict(list)
    for product in products.values():
        for start, end in session.execute(
            select(ProductionRecord.period_start, ProductionRecord.period_end).where(
                ProductionRecord.product_id == product.id
            )
        ):
            spans[product.code].append((start, end, None))
    for product, row in new:
        spans[product.code].append((row.period_start, row.period_end, row))
    _overlaps(spans, "product", problems)
    summary.added["production"] = len(new)
    summary.unchanged["production"] = len(parsed.production) - len(new)
    return new
