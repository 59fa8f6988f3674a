"""The answers HCTH returned for revision (QĐ 31/2021/QĐ-TTg Art 46), counted apart on the leader's dashboard:
a partial index on ``feedback.state`` where ``due_step = 'revise_answer'``, so that the count reads those few cases
instead of every case at a unit (a million cases on SQLite: 0.67 s of the dashboard's 0.77 s, bench/pages.py).
A new case is at the classify step and writes nothing to it.

Revision ID: 0033
Revises: 0032
"""
import sqlalchemy as sa
from alembic import op

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None

REVISING = sa.text("due_step = 'revise_answer'")


def upgrade():
    op.create_index("ix_feedback_revising", "feedback", ["state"], sqlite_where=REVISING, postgresql_where=REVISING)


def downgrade():
    op.drop_index("ix_feedback_revising", table_name="feedback")
