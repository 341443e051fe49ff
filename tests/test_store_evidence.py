"""Evidence files stored by SHA-256: stored once per organization, atomically, and checked on
every read; nothing shared between organizations."""

import hashlib
import os
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from lingtan.store.db import session_scope
from lingtan.store.evidence import (
    EvidenceCorruptedError,
    EvidenceMissingError,
    EvidenceStore,
    evidence_root,
    safe_filename,
)
from lingtan.store.models import Evidence, Organization

INVOICE = "国网江苏 电费发票 2025-01: 1,234,567 kWh\n".encode()
INVOICE_SHA256 = hashlib.sha256(INVOICE).hexdigest()


def _files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file())


def _rows(engine) -> int:
    with session_scope(engine) as session:
        return session.scalar(sa.select(sa.func.count()).select_from(Evidence))


@pytest.fixture
def orgs(store_engine) -> tuple[int, int]:
    """Two organizations: A and B."""
    with session_scope(store_engine) as session:
        a, b = Organization(name="Alpha"), Organization(name="Beta")
        session.add_all([a, b])
        session.flush()
        return a.id, b.id


def test_put_stores_the_file_under_its_hash(store_engine, orgs, tmp_path):
    a, _ = orgs
    store = EvidenceStore(tmp_path / "evidence")
    with session_scope(store_engine) as session:
        evidence = store.put(session, INVOICE, "invoice-2025-01.txt", organization_id=a)
    assert evidence.sha256 == INVOICE_SHA256
    assert (evidence.filename, evidence.media_type, evidence.size_bytes) == (
        "invoice-2025-01.txt",
        "text/plain",
        len(INVOICE),
    )
    assert (
        store.path(INVOICE_SHA256, a)
        == tmp_path / "evidence" / str(a) / INVOICE_SHA256[:2] / INVOICE_SHA256[2:]
    )
    assert _files(tmp_path / "evidence") == [store.path(INVOICE_SHA256, a)]  # no temporary left
    assert store.read(INVOICE_SHA256, a) == INVOICE


def test_same_content_twice_is_one_file_and_one_row(store_engine, orgs, tmp_path):
    a, _ = orgs
    store = EvidenceStore(tmp_path / "evidence")
    source = tmp_path / "copy.pdf"
    source.write_bytes(INVOICE)
    with session_scope(store_engine) as session:
        first = store.put(session, INVOICE, "invoice.txt", organization_id=a)
    with session_scope(store_engine) as session:
        # a path, another name
        second = store.put(session, source, source.name, organization_id=a)
        again = store.put(session, INVOICE, "invoice.txt", organization_id=a)  # same transaction
    assert first.sha256 == second.sha256 == again.sha256
    assert second.filename == "invoice.txt"  # the first name is kept
    assert _rows(store_engine) == 1
    assert len(_files(tmp_path / "evidence")) == 1


def test_put_from_a_path_streams_and_guesses_the_media_type(store_engine, orgs, tmp_path):
    a, _ = orgs
    source = tmp_path / "meter-export.csv"
    content = b"timestamp,energy_kwh\n" + b"2025-01-01T00:15:00+08:00,12.5\n" * 50_000
    source.write_bytes(content)
    store = EvidenceStore(tmp_path / "evidence")
    with session_scope(store_engine) as session:
        evidence = store.put(session, source, source.name, organization_id=a)
    assert evidence.sha256 == hashlib.sha256(content).hexdigest()
    assert (evidence.media_type, evidence.size_bytes) == ("text/csv", len(content))
    assert store.read(evidence.sha256, a) == content


def test_media_type_given_or_unknown(store_engine, orgs, tmp_path):
    a, _ = orgs
    store = EvidenceStore(tmp_path / "evidence")
    with session_scope(store_engine) as session:
        given = store.put(session, b"a", "scan", media_type="image/tiff", organization_id=a)
        unknown = store.put(session, b"b", "blob.zzz-unknown", organization_id=a)
    assert (given.media_type, unknown.media_type) == ("image/tiff", "application/octet-stream")


def test_an_altered_file_is_detected_on_read(store_engine, orgs, tmp_path):
    a, _ = orgs
    store = EvidenceStore(tmp_path / "evidence")
    with session_scope(store_engine) as session:
        store.put(session, INVOICE, "invoice.txt", organization_id=a)
    path = store.path(INVOICE_SHA256, a)
    os.chmod(path, 0o644)
    path.write_bytes(INVOICE.replace(b"1,234,567", b"1,034,567"))
    with pytest.raises(EvidenceCorruptedError, match=f"evidence {INVOICE_SHA256} was altered"):
        store.read(INVOICE_SHA256, a)


def test_putting_the_original_again_repairs_an_altered_file(store_engine, orgs, tmp_path):
    a, _ = orgs
    store = EvidenceStore(tmp_path / "evidence")
    with session_scope(store_engine) as session:
        store.put(session, INVOICE, "invoice.txt", organization_id=a)
    path = store.path(INVOICE_SHA256, a)
    os.chmod(path, 0o644)
    path.write_bytes(b"tampered")
    with session_scope(store_engine) as session:
        store.put(session, INVOICE, "invoice.txt", organization_id=a)
    assert store.read(INVOICE_SHA256, a) == INVOICE


def test_a_missing_file_is_reported(tmp_path):
    with pytest.raises(EvidenceMissingError, match="missing"):
        EvidenceStore(tmp_path).read(INVOICE_SHA256, 1)


@pytest.mark.parametrize("bad", ["../../etc/passwd", INVOICE_SHA256.upper(), "ab"])
def test_path_accepts_only_a_sha256(tmp_path, bad):
    with pytest.raises(ValueError, match="not a SHA-256"):
        EvidenceStore(tmp_path).path(bad, 1)


def test_a_rolled_back_put_leaves_no_row(store_engine, orgs, tmp_path):
    a, _ = orgs
    store = EvidenceStore(tmp_path / "evidence")
    with pytest.raises(RuntimeError), session_scope(store_engine) as session:
        store.put(session, INVOICE, "invoice.txt", organization_id=a)
        raise RuntimeError("import failed at row 7")
    assert _rows(store_engine) == 0
    with session_scope(store_engine) as session:  # the orphan file is reused
        store.put(session, INVOICE, "invoice.txt", organization_id=a)
    assert _rows(store_engine) == 1
    assert len(_files(tmp_path / "evidence")) == 1


def test_evidence_root(monkeypatch, tmp_path):
    monkeypatch.delenv("LINGTAN_DATA_DIR", raising=False)
    assert evidence_root("sqlite:////srv/lingtan/plant.db") == Path("/srv/lingtan/plant-evidence")
    assert evidence_root("sqlite:///lingtan.db") == Path("lingtan-evidence")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "share"))
    assert evidence_root("postgresql+psycopg://u@db/lt") == (
        tmp_path / "share" / "lingtan" / "postgresql-db-default-lt" / "evidence"
    )
    assert evidence_root("sqlite://") == Path("lingtan-evidence")
    monkeypatch.setenv("LINGTAN_DATA_DIR", str(tmp_path))
    assert evidence_root("sqlite:////srv/lingtan/plant.db") == tmp_path / "evidence"


def test_two_writers_putting_the_same_content_at_once_make_one_row(store_engine, orgs, tmp_path):
    a, _ = orgs
    # The second writer inserts while the first has not committed: on PostgreSQL its insert
    # waits, then fails on the primary key inside a savepoint and reads the first one's row;
    # on SQLite it waits at BEGIN IMMEDIATE.
    store = EvidenceStore(tmp_path / "evidence")
    inserted = threading.Event()

    def first_writer():
        with session_scope(store_engine) as session:
            store.put(session, INVOICE, "first.txt", organization_id=a)
            session.flush()
            inserted.set()
            time.sleep(0.3)

    thread = threading.Thread(target=first_writer)
    thread.start()
    inserted.wait()
    with session_scope(store_engine) as session:
        evidence = store.put(session, INVOICE, "second.txt", organization_id=a)
        assert evidence.filename == "first.txt"
    thread.join()
    assert _rows(store_engine) == 1


def test_each_organization_has_its_own_row_file_and_name(store_engine, orgs, tmp_path):
    a, b = orgs
    store = EvidenceStore(tmp_path / "evidence")
    with session_scope(store_engine) as session:
        mine = store.put(session, INVOICE, "alpha-secret-invoice.txt", organization_id=a)
    with session_scope(store_engine) as session:
        theirs = store.put(session, INVOICE, "beta-bill.txt", organization_id=b)
        again = store.put(session, INVOICE, "beta-copy.txt", organization_id=b)
        assert (theirs.filename, theirs.organization_id) == ("beta-bill.txt", b)
        assert again.id == theirs.id  # deduplicated inside B
    assert theirs.id != mine.id and mine.filename == "alpha-secret-invoice.txt"
    assert _rows(store_engine) == 2
    # one file per organization, each in its own folder
    assert _files(tmp_path / "evidence") == sorted([store.path(INVOICE_SHA256, o) for o in orgs])
    assert store.read(INVOICE_SHA256, b) == INVOICE
    # B's file can be damaged without touching A's
    damaged = store.path(INVOICE_SHA256, b)
    os.chmod(damaged, 0o644)
    damaged.write_bytes(b"tampered")
    assert store.read(INVOICE_SHA256, a) == INVOICE


def test_files_of_the_shared_layout_are_read_until_stored_again(store_engine, orgs, tmp_path):
    a, _ = orgs
    store = EvidenceStore(tmp_path / "evidence")
    legacy = tmp_path / "evidence" / INVOICE_SHA256[:2] / INVOICE_SHA256[2:]
    legacy.parent.mkdir(parents=True)
    legacy.write_bytes(INVOICE)  # as stored before migration 0012
    assert store.locate(INVOICE_SHA256, a) == legacy
    assert store.read(INVOICE_SHA256, a) == INVOICE
    with session_scope(store_engine) as session:
        store.put(session, INVOICE, "invoice.txt", organization_id=a)
    assert store.locate(INVOICE_SHA256, a) == store.path(INVOICE_SHA256, a)


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("invoice\r\n2025.pdf", "invoice2025.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\a\\发票.pdf", "发票.pdf"),
        ("bill\x00.csv", "bill.csv"),
        ("\u202egpj.exe", "gpj.exe"),  # a right-to-left override hides the real extension
        ("  ..  ", "evidence"),
        ("", "evidence"),
        ("a" * 300 + ".xlsx", "a" * 195 + ".xlsx"),
        ("b" * 300, "b" * 200),
    ],
)
def test_stored_names_are_made_safe(store_engine, orgs, tmp_path, given, stored):
    assert safe_filename(given) == stored
    store = EvidenceStore(tmp_path / "evidence")
    with session_scope(store_engine) as session:
        row = store.put(session, b"content", given, organization_id=orgs[0])
        assert row.filename == stored
