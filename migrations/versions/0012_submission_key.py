"""A submission may carry a key (the API's Idempotency-Key, the portal form's hidden key): the key is
stored with the case, unique where given, so that a retry after a timeout or a 503, or a double click,
gets the case already made instead of a second one. Adding a nullable column is a change of the catalogue only, on both databases; the
partial index reads the table once.

Revision ID: 0012
Revises: 0011
"""
import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

GIVEN = sa.text("submission_key IS NOT NULL")


def upgrade():
    op.add_column("feedback", sa.Column("submission_key", sa.String(length=100), nullable=True))
    op.create_index("ux_feedback_submission_key", "feedback", ["submission_key"], unique=True,
                    sqlite_where=GIVEN, postgresql_where=GIVEN)


def downgrade():
    op.drop_index("ux_feedback_submission_key", table_name="feedback")
    # ALTER TABLE … DROP COLUMN, also on SQLite (3.35 and later): a batch copy of the table would drop
    # the published-search triggers that 0009 put on it
    op.drop_column("feedback", "submission_key")
