"""public search: a trigram index on the published cases' folded text (PostgreSQL only)

The published answers are searched with ``search_text LIKE '%term%'`` for every folded term
(feedback_app/services/published.py); at a million cases that is a scan of every published row.
On PostgreSQL a GIN index with pg_trgm's operator class answers such LIKEs from the index; it is
partial (published cases only, the only ones searched). SQLite has no such index: nothing to do there.

Revision ID: 0006
Revises: 0005
"""
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")  # a trusted extension: the database owner may create it
    op.execute("CREATE INDEX IF NOT EXISTS ix_feedback_search_trgm ON feedback "
               "USING gin (search_text gin_trgm_ops) WHERE state = 'published'")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_feedback_search_trgm")
