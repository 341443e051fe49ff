"""Evidence files stored by content: invoices, meter exports, lab reports.

A file's name on disk is its SHA-256 (``root/ab/cdef…``), so the same content is stored once
however often it is added, and a changed file can never pass for the original: :meth:`read`
checks the hash every time. The :class:`~lingtan.store.models.Evidence` row in the database
is what makes a file part of the record; a file whose row was rolled back is an unreferenced
copy, harmless, and reused if the same content is put again.
"""

from __future__ import annotations

import hashlib
import io
import mimetypes
import os
import re
import tempfile
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lingtan.store.models import Evidence

__all__ = [
    "ENV_DATA_DIR",
    "EvidenceCorruptedError",
    "EvidenceMissingError",
    "EvidenceStore",
    "evidence_root",
]

ENV_DATA_DIR = "LINGTAN_DATA_DIR"
_SHA256 = re.compile(r"[0-9a-f]{64}")
_CHUNK = 1 << 20


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


class EvidenceStore:
    """Content-addressed files under ``root`` (created on first write)."""

    def __init__(self, root: Path | str):
        self.root = Path(root)

    def path(self, sha256: str) -> Path:
        """The file of a hash: ``root/<first 2 hex digits>/<other 62>``."""
        if not _SHA256.fullmatch(sha256):
            raise ValueError(f"not a SHA-256 in lowercase hex: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:]

    def put(
        self,
        session: Session,
        data: bytes | Path,
        filename: str,
        media_type: str | None = None,
    ) -> Evidence:
        """Store a file and its :class:`Evidence` row (in the session's transaction).

        Idempotent: the same content gives the same row and one file, whatever the filename
        the second time (the first name is kept).

        Parameters
        ----------
        data
            The content, or the path of a file to copy (read in chunks).
        filename
            The original name, for people; the store does not use it.
        media_type
            Guessed from ``filename`` if not given (``application/octet-stream`` if unknown).
        """
        if isinstance(data, bytes | bytearray | memoryview):
            sha256, size = self._write_bytes(bytes(data))
        else:
            with Path(data).open("rb") as stream:
                sha256, size = self._write_stream(stream)

        existing = session.get(Evidence, sha256)
        if existing is not None:
            return existing
        if media_type is None:
            media_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        evidence = Evidence(
            sha256=sha256, filename=filename, media_type=media_type, size_bytes=size
        )
        try:
            # A savepoint: a concurrent writer may insert the same content first (PostgreSQL;
            # SQLite writers are serialised), which must not abort the caller's transaction.
            with session.begin_nested():
                session.add(evidence)
        except IntegrityError:
            existing = session.get(Evidence, sha256)
            if existing is None:
                raise
            return existing
        return evidence

    def read(self, sha256: str) -> bytes:
        """The content of a stored file, checked against its hash.

        Raises
        ------
        EvidenceMissingError
            No file for this hash.
        EvidenceCorruptedError
            The file was altered since it was stored.
        """
        path = self.path(sha256)
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

    def _write_bytes(self, content: bytes) -> tuple[str, int]:
        sha256 = hashlib.sha256(content).hexdigest()
        if not self._intact(sha256):
            self._write_stream(io.BytesIO(content))
        return sha256, len(content)

    def _write_stream(self, stream: BinaryIO) -> tuple[str, int]:
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
            if self._intact(sha256):
                os.unlink(temp)
            else:
                self._move_into_place(temp, sha256)
        except BaseException:
            if os.path.exists(temp):
                os.unlink(temp)
            raise
        return sha256, size

    def _intact(self, sha256: str) -> bool:
        """Whether the file of ``sha256`` exists with that content (a damaged one is replaced)."""
        path = self.path(sha256)
        if not path.is_file():
            return False
        digest = hashlib.sha256()
        with path.open("rb") as stream:
            while chunk := stream.read(_CHUNK):
                digest.update(chunk)
        return digest.hexdigest() == sha256

    def _move_into_place(self, temp: str, sha256: str) -> None:
        # os.replace is atomic on one file system: readers see no file or the whole file,
        # never a partial one, even if the process dies mid-write.
        target = self.path(sha256)
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
