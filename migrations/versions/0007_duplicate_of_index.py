"""An index on feedback.duplicate_of_id: the self-referencing foreign key is checked on every delete
of a case, which without it scans the whole table (seen at a million cases on PostgreSQL).

Revision ID: 0007
Revises: 0006
"""
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_feedback_duplicate_of_id", "feedback", ["duplicate_of_id"])


def downgrade():
    op.drop_index("ix_feedback_duplicate_of_id", table_name="feedback")
