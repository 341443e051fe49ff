"""Evidence per organization: an evidence row belongs to one organization, content is addressed
and deduplicated inside it only, and each organization's row keeps its own file name.

Revision ID: 0013_evidence_per_organization
Revises: 0012_ingest_dead_letter
Create Date: 2026-12-02

Written by hand to match ``lingtan.store.models``. Before, one ``evidence`` row per SHA-256
served every organization: the second organization to add a content was shown the first one's
file name. Now ``evidence`` has an id and an ``organization_id``, unique per (organization,
SHA-256); ``activity_evidence`` and ``instrument`` point to the id.

Every shared row becomes one row per organization whose records or instruments use it (an
unused row, of no organization, is dropped). Its name is kept where one organization alone
used the content; where several did, the stored name may be another organization's, so each
gets ``evidence-<first 12 hex digits of the SHA-256><extension>`` instead. The files stay
where they are (``root/ab/cdef…``) and are read from there
(:meth:`lingtan.store.evidence.EvidenceStore.locate`) until the organization stores them again.
"""

from collections import defaultdict
from collections.abc import Sequence
from pathlib import PurePath

import sqlalchemy as sa
from alembic import op

revision: str = "0013_evidence_per_organization"
down_revision: str | Sequence[str] | None = "0012_ingest_dead_letter"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 10_000


def _created_at() -> sa.Column:
    return sa.Column("created_at", sa.DateTime(timezone=True), nullable=False)


def _hash_name(sha256: str, filename: str) -> str:
    extension = PurePath(filename).suffix
    return f"evidence-{sha256[:12]}{extension if len(extension) <= 16 else ''}"


def _evidence_rows(*columns: str) -> sa.TableClause:
    """The columns of ``evidence`` both layouts share, and ``columns``, to read rows with."""
    return sa.table(
        "evidence",
        *map(sa.column, columns),
        sa.column("sha256"),
        sa.column("filename"),
        sa.column("media_type"),
        sa.column("size_bytes"),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )


def upgrade() -> None:
    bind = op.get_bind()
    shared = _evidence_rows()
    rows = {r.sha256: r for r in bind.execute(sa.select(shared))}
    links = bind.execute(
        sa.text(
            "SELECT ae.activity_id, ae.evidence_sha256, f.organization_id"
            " FROM activity_evidence ae"
            " JOIN activity_record r ON r.id = ae.activity_id"
            " JOIN source s ON s.id = r.source_id"
            " JOIN facility f ON f.id = s.facility_id"
        )
    ).all()
    instruments = bind.execute(
        sa.text(
            "SELECT i.id, i.evidence_sha256, f.organization_id FROM instrument i"
            " JOIN facility f ON f.id = i.facility_id WHERE i.evidence_sha256 IS NOT NULL"
        )
    ).all()
    users: dict[str, set[int]] = defaultdict(set)
    for _, sha256, organization_id in [*links, *instruments]:
        users[sha256].add(organization_id)

    op.drop_table("activity_evidence")
    with op.batch_alter_table("instrument") as batch:
        batch.drop_column("evidence_sha256")
    op.drop_table("evidence")
    evidence = op.create_table(
        "evidence",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "organization_id", sa.Integer(), sa.ForeignKey("organization.id"), nullable=False
        ),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("filename", sa.String(500), nullable=False),
        sa.Column("media_type", sa.String(100), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        _created_at(),
        sa.UniqueConstraint("organization_id", "sha256"),
    )
    activity_evidence = op.create_table(
        "activity_evidence",
        sa.Column(
            "activity_id", sa.Integer(), sa.ForeignKey("activity_record.id"), primary_key=True
        ),
        sa.Column("evidence_id", sa.Integer(), sa.ForeignKey("evidence.id"), primary_key=True),
    )
    with op.batch_alter_table("instrument") as batch:
        batch.add_column(sa.Column("evidence_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_instrument_evidence_id_evidence", "evidence", ["evidence_id"], ["id"]
        )

    new_rows = []
    for sha256, organizations in sorted(users.items()):
        old = rows[sha256]
        filename = old.filename if len(organizations) == 1 else _hash_name(sha256, old.filename)
        new_rows += [
            {
                "organization_id": organization_id,
                "sha256": sha256,
                "filename": filename,
                "media_type": old.media_type,
                "size_bytes": old.size_bytes,
                "created_at": old.created_at,
            }
            for organization_id in sorted(organizations)
        ]
    for start in range(0, len(new_rows), _BATCH):
        bind.execute(evidence.insert(), new_rows[start : start + _BATCH])
    ids = {
        (r.organization_id, r.sha256): r.id
        for r in bind.execute(
            sa.select(evidence.c.id, evidence.c.organization_id, evidence.c.sha256)
        )
    }
    new_links = [
        {"activity_id": activity_id, "evidence_id": ids[(organization_id, sha256)]}
        for activity_id, sha256, organization_id in links
    ]
    for start in range(0, len(new_links), _BATCH):
        bind.execute(activity_evidence.insert(), new_links[start : start + _BATCH])
    instrument = sa.table("instrument", sa.column("id"), sa.column("evidence_id"))
    for instrument_id, sha256, organization_id in instruments:
        bind.execute(
            instrument.update()
            .where(instrument.c.id == instrument_id)
            .values(evidence_id=ids[(organization_id, sha256)])
        )


def downgrade() -> None:
    # One row per SHA-256 again (the name of its first row); the links follow the hash.
    bind = op.get_bind()
    per_organization = _evidence_rows("id")
    rows = {}
    for r in bind.execute(sa.select(per_organization).order_by(per_organization.c.id)):
        rows.setdefault(r.sha256, r)
    by_id = dict(bind.execute(sa.text("SELECT id, sha256 FROM evidence")).all())
    links = {
        (activity_id, by_id[evidence_id])
        for activity_id, evidence_id in bind.execute(
            sa.text("SELECT activity_id, evidence_id FROM activity_evidence")
        )
    }
    instruments = bind.execute(
        sa.text("SELECT id, evidence_id FROM instrument WHERE evidence_id IS NOT NULL")
    ).all()
    op.drop_table("activity_evidence")
    with op.batch_alter_table("instrument") as batch:
        batch.drop_constraint("fk_instrument_evidence_id_evidence", type_="foreignkey")
        batch.drop_column("evidence_id")
    op.drop_table("evidence")
    evidence = op.create_table(
        "evidence",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("filename", sa.String(500), nullable=False),
        sa.Column("media_type", sa.String(100), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        _created_at(),
    )
    activity_evidence = op.create_table(
        "activity_evidence",
        sa.Column(
            "activity_id", sa.Integer(), sa.ForeignKey("activity_record.id"), primary_key=True
        ),
        sa.Column(
            "evidence_sha256", sa.String(64), sa.ForeignKey("evidence.sha256"), primary_key=True
        ),
    )
    with op.batch_alter_table("instrument") as batch:
        batch.add_column(sa.Column("evidence_sha256", sa.String(64), nullable=True))
        batch.create_foreign_key(
            "fk_instrument_evidence_sha256_evidence", "evidence", ["evidence_sha256"], ["sha256"]
        )
    columns = ("sha256", "filename", "media_type", "size_bytes", "created_at")
    if rows:
        bind.execute(
            evidence.insert(), [{c: getattr(r, c) for c in columns} for r in rows.values()]
        )
    if links:
        bind.execute(
            activity_evidence.insert(),
            [{"activity_id": a, "evidence_sha256": h} for a, h in sorted(links)],
        )
    instrument = sa.table("instrument", sa.column("id"), sa.column("evidence_sha256"))
    for instrument_id, evidence_id in instruments:
        bind.execute(
            instrument.update()
            .where(instrument.c.id == instrument_id)
            .values(evidence_sha256=by_id[evidence_id])
        )
