"""The code a PAKN carries on the national system (``feedback.national_code``), for a case HCTH entered
from it (QĐ 31/2021/QĐ-TTg Art 43), indexed so that entering the same PAKN twice is caught.

Revision ID: 0019
Revises: 0018
"""
import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


# plain ALTER TABLE, also on SQLite: a batch copy of ``feedback`` would lose the triggers of 0009 (see 0016)
def upgrade():
    op.add_column("feedback", sa.Column("national_code", sa.String(40), nullable=True))
    op.create_index(op.f("ix_feedback_national_code"), "feedback", ["national_code"])


def downgrade():
    op.drop_index(op.f("ix_feedback_national_code"), table_name="feedback")
    op.drop_column("feedback", "national_code")
