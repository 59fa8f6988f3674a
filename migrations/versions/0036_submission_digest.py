"""A submission sent with a key (the API's Idempotency-Key, the portal form's key) keeps a digest of its
fields as first stored (``feedback.submission_digest``): sent again with the same key after HCTH corrected
the case, it is still the same submission, answered with its receipt, not refused as another one.

Revision ID: 0036
Revises: 0035
"""
import sqlalchemy as sa
from alembic import op

revision = "0036"
down_revision = "0035"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("feedback", sa.Column("submission_digest", sa.String(length=64), nullable=True))


def downgrade():
    # ALTER TABLE … DROP COLUMN, also on SQLite (3.35 and later): a batch copy of the table would drop
    # the published-search triggers that 0009 put on it
    op.drop_column("feedback", "submission_digest")
