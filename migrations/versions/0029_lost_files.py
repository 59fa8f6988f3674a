"""A file lost for good, marked so (``flask files mark-lost``): ``attachments.lost_at`` and
``attachments.lost_note`` (what was looked at, e.g. which backups). The nightly backup goes on past a
marked file and lists it in the tar's MISSING.txt, where an unmarked missing file still stops it; staff
and the citizen see the file named as lost instead of a link that answers 404.

Revision ID: 0029
Revises: 0028
"""
import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("attachments", sa.Column("lost_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("attachments", sa.Column("lost_note", sa.String(400), nullable=True))


def downgrade():
    # plain ALTER TABLE on both databases (SQLite 3.35+ drops a column without copying the table)
    op.drop_column("attachments", "lost_note")
    op.drop_column("attachments", "lost_at")
