"""The footprint studies a server shows: the study files of a folder, and the bills of
materials a facility imported.

A study is a file, as on the command line (``lingtan footprint calc STUDY``): the web
application reads the ``*.yaml`` and ``*.yml`` files of one folder (:func:`studies_folder`),
each a study named by its file name without the suffix. Nothing is registered: a study added,
changed or removed in the folder is shown so at the next request, and its figures are always
those ``lingtan footprint calc`` gives for the same file and database. A study belongs to the
facility it names (``facility``), or to the only facility of the database when it names none
(as on the command line).

References
----------
.. [1] GB/T 24067-2024 / ISO 14067:2018 §6 (the study's goal and scope).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import make_url, select
from sqlalchemy.orm import Session

from lingtan.errors import InputError
from lingtan.footprint.study import Study, read_study_file
from lingtan.imports.load import facility_by_code
from lingtan.store.models import BomLine, Facility, Product

__all__ = [
    "ENV_STUDIES_DIR",
    "MAX_STUDIES",
    "StudyFile",
    "facility_boms",
    "find_studies",
    "studies_folder",
]

#: Environment variable naming the folder of the study files the web application shows.
ENV_STUDIES_DIR = "LINGTAN_STUDIES_DIR"
#: The most study files read from the folder (the first by name).
MAX_STUDIES = 200
#: A study's id: its file name without the suffix, as it may stand in a URL.
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def studies_folder(database_url: str, given: str | Path | None = None) -> Path | None:
    """The folder of the study files: ``given``, else ``$LINGTAN_STUDIES_DIR``, else for a
    SQLite file ``<dir>/<name>.db`` the folder ``<dir>/footprint`` beside it (where
    ``lingtan demo`` writes its study); else None (a database server: name the folder)."""
    if given:
        return Path(given).expanduser()
    if env := os.environ.get(ENV_STUDIES_DIR, "").strip():
        return Path(env).expanduser()
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return Path(url.database).parent / "footprint"
    return None


@dataclass(frozen=True)
class StudyFile:
    """A study file of the folder: the checked study, or the problems that refused it."""

    id: str
    path: Path
    study: Study | None
    error: InputError | None

    def version(self) -> tuple[tuple[int, int], ...]:
        """What changes when the file, or the supplier, battery or CBAM file it names, does
        (modification time [ns] and size [bytes] of each)."""
        files = [self.path]
        if self.study is not None:
            named = (self.study.suppliers, self.study.battery, self.study.cbam)
            files += [f for f in named if f is not None]
        return tuple((f.stat().st_mtime_ns, f.stat().st_size) for f in files)

    def sha256(self) -> str:
        """SHA-256 of the study file's bytes: what a declaration issued from it names."""
        return hashlib.sha256(self.path.read_bytes()).hexdigest()

    def facility(self, session: Session) -> Facility | None:
        """The facility the study is of; None when the file was refused or names none that
        the database has (once)."""
        if self.study is None:
            return None
        try:
            return facility_by_code(session, self.study.facility)
        except InputError:
            return None


def find_studies(folder: Path | None) -> list[StudyFile]:
    """The study files of ``folder`` by id (at most :data:`MAX_STUDIES`), each checked; none
    when there is no folder. Files whose names cannot be an id are left out."""
    if folder is None or not folder.is_dir():
        return []
    paths = sorted(
        p
        for p in folder.iterdir()
        if p.suffix in (".yaml", ".yml") and p.is_file() and _ID.fullmatch(p.stem)
    )
    found = []
    for path in paths[:MAX_STUDIES]:
        try:
            found.append(StudyFile(path.stem, path, read_study_file(path), None))
        except InputError as error:
            found.append(StudyFile(path.stem, path, None, error))
    return found


def facility_boms(session: Session, facility: Facility) -> list[dict[str, Any]]:
    """The bills of materials ``facility`` imported (``lingtan import bom``): per product and
    period, its items (kind, stage, material, quantity per product unit, link, supplier,
    freight) in the order of the file."""
    rows = session.execute(
        select(BomLine, Product)
        .join(Product, Product.id == BomLine.product_id)
        .where(BomLine.facility_id == facility.id)
        .order_by(Product.code, BomLine.period_start, BomLine.source_row)
    ).all()
    grouped: dict[tuple[str, Any, Any], dict[str, Any]] = {}
    items: dict[tuple[str, Any, Any], list[dict[str, Any]]] = defaultdict(list)
    for line, product in rows:
        key = (product.code, line.period_start, line.period_end)
        grouped.setdefault(
            key,
            {
                "product": product.code,
                "product_name": product.name,
                "product_unit": product.unit,
                "period": [line.period_start.isoformat(), line.period_end.isoformat()],
            },
        )
        items[key].append(
            {
                "kind": line.kind,
                "stage": line.stage,
                "material": line.material,
                "quantity": line.quantity,
                "unit": line.unit,
                "link": line.link,
                "supplier": line.supplier,
                "distance_km": line.distance_km,
                "transport_mode": line.transport_mode,
                "row": line.source_row,
            }
        )
    return [{**head, "items": items[key]} for key, head in grouped.items()]
