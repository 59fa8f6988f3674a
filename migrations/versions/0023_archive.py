"""A closed case filed in the department's records (lifecycle ``archive``; NĐ 20/2008 Art 9.1, 14.2e):
``feedback.archived_at`` and ``feedback.archive_ref``, the file's reference there.

Revision ID: 0023
Revises: 0022
"""
import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


# plain ALTER TABLE, also on SQLite: a batch copy of ``feedback`` would lose the triggers of 0009 (see 0016)
def upgrade():
    op.add_column("feedback", sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("feedback", sa.Column("archive_ref", sa.String(100), nullable=True))


def downgrade():
    op.drop_column("feedback", "archive_ref")
    op.drop_column("feedback", "archived_at")
