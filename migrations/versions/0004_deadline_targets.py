"""Deadlines: an index on the internal target date (reminders read only what is due through it),
and the target filled in for cases created before targets existed (target = the legal due date).

Revision ID: 0004
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.execute(sa.text("UPDATE feedback SET target_date = due_date WHERE target_date IS NULL"))
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.create_index("ix_feedback_target", ["target_date", "state"], unique=False)


def downgrade():
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_index("ix_feedback_target")
