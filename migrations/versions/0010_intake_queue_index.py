"""HCTH's intake queue (new cases and cases waiting for the citizen, oldest first) reads them through
an index on (state, received_at): without it the database walked every case in order of receipt
looking for the few open ones (2.2 s for the office's first page at a million cases, bench/pages.py).

Revision ID: 0010
Revises: 0009
"""
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_feedback_state_received", "feedback", ["state", "received_at"], unique=False)


def downgrade():
    op.drop_index("ix_feedback_state_received", table_name="feedback")
