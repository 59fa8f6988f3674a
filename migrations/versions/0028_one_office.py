"""One office unit (HCTH) at most: a partial unique index on ``units.is_office``, so that two admins
creating the office at once (``flask setup office``, the unit form) cannot make two; the service already
refuses a second one when it sees the first.

Revision ID: 0028
Revises: 0027
"""
import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ux_units_one_office", "units", ["is_office"], unique=True,
                    sqlite_where=sa.text("is_office"), postgresql_where=sa.text("is_office"))


def downgrade():
    op.drop_index("ux_units_one_office", table_name="units")
