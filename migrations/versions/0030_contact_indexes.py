"""Staff look a case up by the sender's phone number or e-mail address (services.staff_search: HCTH
when a citizen calls, a unit among its own cases): an index on each reads the few cases of one
number instead of every case.

Revision ID: 0030
Revises: 0029
"""
from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_feedback_phone", "feedback", ["phone"])
    op.create_index("ix_feedback_email", "feedback", ["email"])


def downgrade():
    op.drop_index("ix_feedback_email", table_name="feedback")
    op.drop_index("ix_feedback_phone", table_name="feedback")
