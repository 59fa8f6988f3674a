"""A field (lĩnh vực) the department no longer uses is switched off (``categories.active``): HCTH is not
offered it when classifying, and the cases classified in it keep it, in the lists, the reports and the
published search.

Revision ID: 0034
Revises: 0033
"""
import sqlalchemy as sa
from alembic import op

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("categories", sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.text("true")))


def downgrade():
    with op.batch_alter_table("categories") as batch:  # SQLite drops a column by copying the table (not feedback)
        batch.drop_column("active")
