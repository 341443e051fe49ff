"""Evidence files stored by content: invoices, meter exports, lab reports.

Each organization has its own files and rows: a file's name on disk is its SHA-256 in the
organization's folder (``root/<organization id>/ab/cdef…``), so the same content is stored
once per organization however often it is added, and a changed file can never pass for the
original: :meth:`EvidenceStore.read` checks the hash every time. Nothing is shared between
organizations, so adding bytes another organization holds tells nothing of its file (neither
that it exists nor its name). The :class:`~lingtan.store.models.Evidence` row in the database
is what makes a file part of the record; a file whose row was rolled back is an unreferenced
copy, harmless, and reused if the same content is put again.

Files stored before evidence was kept per organization (migration 0012) lie at
``root/ab/cdef…``; they are read from there until the organization puts the content again.
File names are for people only: :func:`safe_filename` makes every stored name harmless.
"""

from __future__ import annotations

import hashlib
import io
import mimetypes
import os
import re
import tempfile
import unicodedata
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import make_url, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lingtan.store.models import Evidence

__all__ = [
    "ENV_DATA_DIR",
    "EvidenceCorruptedError",
    "EvidenceMissingError",
    "EvidenceStore",
    "evidence_root",
    "safe_filename",
]

ENV_DATA_DIR = "LINGTAN_DATA_DIR"
_SHA256 = re.compile(r"[0-9a-f]{64}")
_CHUNK = 1 << 20
#: The longest stored file name [characters], extension included.
MAX_FILENAME_CHARS = 200


class EvidenceMissingError(FileNotFoundError):
    """No file for this hash in the evidence store."""


class EvidenceCorruptedError(ValueError):
    """The stored file no longer has the content its name (its SHA-256) promises."""


def evidence_root(database_url: str) -> Path:
    """Where the evidence files of a database live.

    ``$LINGTAN_DATA_DIR/evidence`` if the environment variable is set; else, for a SQLite file
    ``<dir>/<name>.db``, the directory ``<dir>/<name>-evidence`` beside it (the two are copied
    and backed up together); else, for a database server, a folder of the user's data
    directory named after the server and database (``$XDG_DATA_HOME``, default
    ``~/.local/share``: ``lingtan/postgresql-db.example-5432-lingtan/evidence``), so that every
    command finds the same files wherever it runs.
    """
    data_dir = os.environ.get(ENV_DATA_DIR)
    if data_dir:
        return Path(data_dir).expanduser() / "evidence"
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        database = Path(url.database)
        return database.parent / f"{database.stem}-evidence"
    if url.get_backend_name() == "sqlite":  # in memory: nothing outlives the process anyway
        return Path("lingtan-evidence")
    data_home = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    server = f"{url.get_backend_name()}-{url.host or 'local'}-{url.port or 'default'}"
    return data_home / "lingtan" / f"{server}-{url.database}" / "evidence"


def safe_filename(name: str | None) -> str:
    """A file name as it may be stored and sent: its last part after any ``/`` or ``\\``,
    without control or format characters (line breaks, NUL, bidirectional overrides), without
    leading or trailing spaces and dots, at most :data:`MAX_FILENAME_CHARS` characters (the
    extension kept); ``evidence`` if nothing is left."""
    name = re.split(r"[/\\]", name or "")[-1]
    name = "".join(c for c in name if unicodedata.category(c) not in ("Cc", "Cf", "Zl", "Zp"))
    name = name.strip(" .")
    if len(name) > MAX_FILENAME_CHARS:
        stem, dot, extension = name.rpartition(".")
        if not dot or len(extension) > 16:
            stem, extension = name, ""
        keep = MAX_FILENAME_CHARS - len(extension) - (1 if extension else 0)
        name = stem[:keep].rstrip(" .") + (f".{extension}" if extension else "")
    return name or "evidence"


class EvidenceStore:
    """Content-addressed files of each organization under ``root`` (created on first write)."""

    def __init__(self, root: Path | str):
        self.root = Path(root)

    def path(self, sha256: str, organization_id: int) -> Path:
        """Where the file of a hash is kept for an organization:
        ``root/<organization id>/<first 2 hex digits>/<other 62>``."""
        if not _SHA256.fullmatch(sha256):
            raise ValueError(f"not a SHA-256 in lowercase hex: {sha256!r}")
        return self.root / str(int(organization_id)) / sha256[:2] / sha256[2:]

    def locate(self, sha256: str, organization_id: int) -> Path:
        """The file of a hash for an organization: :meth:`path`, or where it was stored before
        evidence was kept per organization (``root/ab/cdef…``) if only that file exists."""
        path = self.path(sha256, organization_id)
        legacy = self.root / sha256[:2] / sha256[2:]
        return legacy if not path.exists() and legacy.is_file() else path

    def put(
        self,
        session: Session,
        data: bytes | Path,
        filename: str,
        media_type: str | None = None,
        *,
        organization_id: int,
    ) -> Evidence:
        """Store a file of an organization and its :class:`Evidence` row (in the session's
        transaction).

        Idempotent within the organization: the same content gives the same row and one file,
        whatever the filename the second time (the organization's first name is kept). Another
        organization's rows and files are neither read nor reused.

        Parameters
        ----------
        data
            The content, or the path of a file to copy (read in chunks).
        filename
            The original name, for people (made safe by :func:`safe_filename`).
        media_type
            Guessed from ``filename`` if not given (``application/octet-stream`` if unknown).
        organization_id
            The organization whose evidence it is.
        """
        if isinstance(data, bytes | bytearray | memoryview):
            sha256, size = self._write_bytes(bytes(data), organization_id)
        else:
            with Path(data).open("rb") as stream:
                sha256, size = self._write_stream(stream, organization_id)

        existing = self._row(session, sha256, organization_id)
        if existing is not None:
            return existing
        filename = safe_filename(filename)
        if media_type is None:
            media_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        evidence = Evidence(
            organization_id=organization_id,
            sha256=sha256,
            filename=filename,
            media_type=media_type,
            size_bytes=size,
        )
        try:
            # A savepoint: a concurrent writer may insert the same content first (PostgreSQL;
            # SQLite writers are serialised), which must not abort the caller's transaction.
            with session.begin_nested():
                session.add(evidence)
        except IntegrityError:
            existing = self._row(session, sha256, organization_id)
            if existing is None:
                raise
            return existing
        return evidence

    @staticmethod
    def _row(session: Session, sha256: str, organization_id: int) -> Evidence | None:
        return session.scalars(
            select(Evidence).where(
                Evidence.organization_id == organization_id, Evidence.sha256 == sha256
            )
        ).first()

    def read(self, sha256: str, organization_id: int) -> bytes:
        """The content of an organization's stored file, checked against its hash.

        Raises
        ------
        EvidenceMissingError
            No file for this hash.
        EvidenceCorruptedError
            The file was altered since it was stored.
        """
        path = self.locate(sha256, organization_id)
        try:
            content = path.read_bytes()
        except FileNotFoundError:
            raise EvidenceMissingError(f"evidence {sha256} is missing: no file {path}") from None
        actual = hashlib.sha256(content).hexdigest()
        if actual != sha256:
            raise EvidenceCorruptedError(
                f"evidence {sha256} was altered: {path} now has SHA-256 {actual}"
            )
        return content

    def _write_bytes(self, content: bytes, organization_id: int) -> tuple[str, int]:
        sha256 = hashlib.sha256(content).hexdigest()
        if not self._intact(sha256, organization_id):
            self._write_stream(io.BytesIO(content), organization_id)
        return sha256, len(content)

    def _write_stream(self, stream: BinaryIO, organization_id: int) -> tuple[str, int]:
        # Copy to a temporary file while hashing, then move it into place under its hash.
        self.root.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        fd, temp = tempfile.mkstemp(dir=self.root, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(_CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            sha256 = digest.hexdigest()
            if self._intact(sha256, organization_id):
                os.unlink(temp)
            else:
                self._move_into_place(temp, self.path(sha256, organization_id))
        except BaseException:
            if os.path.exists(temp):
                os.unlink(temp)
            raise
        return sha256, size

    def _intact(self, sha256: str, organization_id: int) -> bool:
        """Whether the organization's file of ``sha256`` exists with that content (a damaged
        one is replaced)."""
        path = self.path(sha256, organization_id)
        if not path.is_file():
            return False
        digest = hashlib.sha256()
        with path.open("rb") as stream:
            while chunk := stream.read(_CHUNK):
                digest.update(chunk)
        return digest.hexdigest() == sha256

    def _move_into_place(self, temp: str, target: Path) -> None:
        # os.replace is atomic on one file system: readers see no file or the whole file,
        # never a partial one, even if the process dies mid-write.
        target.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(temp, 0o444)  # stored evidence is read-only
        if target.exists():
            os.chmod(target, 0o644)  # a damaged copy; Windows cannot replace a read-only file
        os.replace(temp, target)
        if hasattr(os, "O_DIRECTORY"):  # make the rename itself durable (POSIX)
            directory = os.open(target.parent, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(directory)
            finally:
                os.close(directory)
