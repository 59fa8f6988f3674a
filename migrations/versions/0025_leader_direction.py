"""The leader's latest direction on an escalated case (lifecycle ``direct``; NĐ 61/2018 Art 19.9: the
date moves once, then the leader decides): ``feedback.directed_at``, for the overdue list.

Revision ID: 0025
Revises: 0024
"""
import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


# plain ALTER TABLE, also on SQLite: a batch copy of ``feedback`` would lose the triggers of 0009 (see 0016)
def upgrade():
    op.add_column("feedback", sa.Column("directed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    op.drop_column("feedback", "directed_at")
