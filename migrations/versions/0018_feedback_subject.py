"""What a PAKN is about (``feedback.subject``): an administrative regulation or the behaviour of an
agency or official (NĐ 20/2008 Art 9.1b–c), set when HCTH classifies it. Cases classified before
this column existed were all treated as about a regulation, the decree's own matter: they read so.

Revision ID: 0018
Revises: 0017
"""
import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


# plain ALTER TABLE, also on SQLite (DROP COLUMN from 3.35): a batch copy of ``feedback`` would lose the
# published-search triggers of 0009 and the expression index of 0005/0008 (see 0016)
def upgrade():
    op.add_column("feedback", sa.Column("subject", sa.String(16), nullable=True))
    op.execute("UPDATE feedback SET subject = 'regulation' WHERE category_id IS NOT NULL")


def downgrade():
    op.drop_column("feedback", "subject")
